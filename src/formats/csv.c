/*
 * csv.c: ServiceStack's CSV for one DTO: a header row and a data row.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "jsv.h"

/*
 * 1 when a spreadsheet would read the text as a formula: it starts with
 * '=', '+', '-', '@', TAB or CR (OWASP's CSV injection list).  A sign
 * followed only by digits, spaces and ( ) . - / is let through (phone
 * numbers, "+44 20 7946 0000"), and so is a '-' followed only by ASCII
 * letters, digits, '-' and '_' (base64url tokens: an invite's
 * RecoveryToken): such text names no function, sheet, file or DDE
 * channel, and a quote would corrupt it for the programs that read it.
 */
int
csv_formula_like(const char *s, size_t n)
{
	size_t i, phone = 1, token;

	if (n == 0 || s[0] == '\0' || strchr("=+-@\t\r", s[0]) == NULL)
		return 0;
	token = s[0] == '-';
	if (s[0] != '+' && s[0] != '-')
		return 1;
	for (i = 1; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) &&
		    strchr(" ().-/", s[i]) == NULL)
			phone = 0;
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			token = 0;
	}
	return !phone && !token;
}

int
csv_cell_protected(const char *s, size_t n)
{
	while (n > 0 && s[0] == '\'') {
		s++;
		n--;
	}
	return csv_formula_like(s, n);
}

/*
 * Appends s[0..n) as one RFC 4180 cell: as it is unless it holds '"', ',',
 * CR or LF, or quote is set; else between double quotes with every '"'
 * doubled.  protect puts a single quote before the text (and quotes the
 * cell), as OWASP recommends against spreadsheet formulas.
 */
void
csv_put_cell(struct buf *b, const char *s, size_t n, int quote, int protect)
{
	const char *q;
	size_t i;

	for (i = 0; i < n && !quote && !protect; i++)
		if (s[i] == '"' || s[i] == ',' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote && !protect) {
		buf_put(b, s, n);
		return;
	}
	buf_putc(b, '"');
	if (protect)
		buf_putc(b, '\'');
	while ((q = memchr(s, '"', n)) != NULL) {
		buf_put(b, s, (size_t)(q - s) + 1);
		buf_putc(b, '"');
		n -= (size_t)(q - s) + 1;
		s = q + 1;
	}
	buf_put(b, s, n);
	buf_putc(b, '"');
}

/*
 * Appends one field of csv_encode(): quoted when RFC 4180 or ServiceStack
 * (a leading '[' or '{') says so; formula-like text (csv_formula_like())
 * neutralised.
 */
static void
csv_put_field(struct buf *b, const char *s, size_t n, int text)
{
	csv_put_cell(b, s, n, n > 0 && (s[0] == '[' || s[0] == '{'),
	    text && csv_formula_like(s, n));
}

/* Appends a nested array or object as a field holding its JSV. */
static void
csv_put_jsv(struct buf *b, const struct value *v)
{
	struct buf jb;

	buf_init(&jb, b->a);
	jsv_encode(&jb, v);
	if (jb.failed)
		b->failed = 1;	/* the same sticky contract as b's own */
	else
		csv_put_field(b, jb.p, jb.len, 1);
	buf_release(&jb);
}

static void
csv_put_value(struct buf *b, const struct value *v)
{
	switch (v->type) {
	case VALUE_NULL:
		break;
	case VALUE_BOOL:
		buf_puts(b, v->u.boolean ? "True" : "False");
		break;
	case VALUE_NUMBER:
		csv_put_field(b, v->u.str.p, v->u.str.len, 0);
		break;
	case VALUE_STRING:
		csv_put_field(b, v->u.str.p, v->u.str.len, 1);
		break;
	case VALUE_ARRAY:
	case VALUE_OBJECT:
		csv_put_jsv(b, v);
		break;
	default:
		abort();
	}
}

/*
 * Appends the CSV header and data rows of dto.  See csv.h.
 */
enum fmt_status
csv_encode(struct buf *b, const struct value *dto)
{
	const struct member *m;
	size_t i;

	if (dto == NULL || dto->type != VALUE_OBJECT)
		return FMT_SYNTAX;
	for (i = 0; i < dto->u.obj.n; i++) {
		m = &dto->u.obj.members[i];
		if (i > 0)
			buf_putc(b, ',');
		csv_put_field(b, m->key, m->klen, 1);
	}
	buf_put(b, "\r\n", 2);
	for (i = 0; i < dto->u.obj.n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		csv_put_value(b, dto->u.obj.members[i].val);
	}
	buf_put(b, "\r\n", 2);
	return FMT_OK;
}
