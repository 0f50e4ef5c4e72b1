/*
 * fuzz_csv.c: ServiceStack CSV field encoding (formats/csv.c).  The
 * input is a DTO, read as JSON (types as sent) and, separately, as JSV
 * (strings only, as seed 001's requests arrive); every object becomes
 * CSV.
 *
 * Properties, checked by an RFC 4180 reader here: the output is
 * exactly two records, each ending in CR LF; the header's fields are
 * the member names, the data row's the values (strings and number text
 * as they are, True/False, "" for null, jsv_encode() text for arrays and
 * objects, which decodes again as JSV); a field is quoted exactly when
 * it must be (a '"' ',' CR or LF inside, or a leading '[' or '{'), or
 * when a text starts like a formula ('=', '@', TAB, CR, or a sign
 * before more than a phone number's characters or, after '-', a
 * token's): then it is quoted with a single quote before it; numbers
 * are never prefixed.
 * Anything that is not an object is refused with nothing written.
 */
#define FUZZ_NAME "csv"
#include "fuzz.h"
#include "../../src/formats/csv.h"
#include "../../src/formats/jsv.h"

struct field {
	const char	*p;
	size_t		 n;
	int		 quoted;
};

/* Reads one record at *pos; returns its fields (arena) and count. */
static struct field *
read_record(struct arena *a, const char *s, size_t len, size_t *pos,
    size_t *nf)
{
	struct field *f = NULL;
	size_t cap = 0, i = *pos;
	struct buf b;
	int quoted;

	*nf = 0;
	for (;;) {
		buf_init(&b, a);
		buf_put(&b, "", 0);
		quoted = 0;
		if (i < len && s[i] == '"') {
			quoted = 1;
			for (i++;; i++) {
				if (i >= len)
					fuzz_fail("unterminated quoted field");
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						buf_putc(&b, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				buf_putc(&b, s[i]);
			}
		} else {
			while (i < len && s[i] != ',' && s[i] != '\r' &&
			    s[i] != '\n') {
				if (s[i] == '"')
					fuzz_fail("bare quote in a field");
				buf_putc(&b, s[i]);
				i++;
			}
		}
		if (*nf == cap) {
			struct field *nfp;

			cap = cap ? cap * 2 : 8;
			nfp = arena_allocarray(a, cap, sizeof(*nfp));
			if (*nf > 0)
				memcpy(nfp, f, *nf * sizeof(*nfp));
			f = nfp;
		}
		f[*nf].p = b.p;
		f[*nf].n = b.len;
		f[*nf].quoted = quoted;
		(*nf)++;
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n') {
			*pos = i + 2;
			return f;
		}
		fuzz_fail("record does not end in CR LF at %zu", i);
	}
}

static int
needs_quotes(const char *s, size_t n)
{
	return (n > 0 && (s[0] == '[' || s[0] == '{')) ||
	    memchr(s, '"', n) != NULL || memchr(s, ',', n) != NULL ||
	    memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL;
}

/* The OWASP rule and its two exceptions, written out apart from csv.c. */
static int
formula_like(const char *s, size_t n)
{
	size_t i;
	int phone = 1, token;

	if (n == 0)
		return 0;
	if (s[0] == '=' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')
		return 1;
	if (s[0] != '+' && s[0] != '-')
		return 0;
	token = s[0] == '-';
	for (i = 1; i < n; i++) {
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != ' ' &&
		    s[i] != '(' && s[i] != ')' && s[i] != '.' && s[i] != '-' &&
		    s[i] != '/')
			phone = 0;
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' &&
		    s[i] != '_')
			token = 0;
	}
	return !phone && !token;
}

static void
expect_text(const struct field *f, const char *s, size_t n, int text,
    const char *what)
{
	if (text && formula_like(s, n)) {
		if (!f->quoted || f->n != n + 1 || f->p[0] != '\'' ||
		    memcmp(f->p + 1, s, n) != 0)
			fuzz_fail("%s: formula '%.*s' not neutralised: '%s'",
			    what, (int)n, s, f->p);
		return;
	}
	if (f->n != n || memcmp(f->p, s, n) != 0)
		fuzz_fail("%s: field '%s' is not '%.*s'", what, f->p, (int)n,
		    s);
	if (f->quoted != needs_quotes(s, n))
		fuzz_fail("%s: field '%s' quoted %d", what, f->p, f->quoted);
}

static void
expect(const struct field *f, const char *s, size_t n, const char *what)
{
	expect_text(f, s, n, 1, what);
}

static void
check(struct arena *a, const struct value *dto)
{
	const struct value *v;
	struct value *j;
	struct fmt_error err;
	enum fmt_status st;
	struct field *h, *d;
	size_t pos = 0, nh, nd, i;
	struct buf b, jb;

	buf_init(&b, a);
	if (dto->type != VALUE_OBJECT) {
		if (csv_encode(&b, dto) != FMT_SYNTAX || b.len != 0)
			fuzz_fail("a %s was written as CSV",
			    value_type_name(dto->type));
		return;
	}
	fuzz_accepted++;
	if (csv_encode(&b, dto) != FMT_OK || b.failed)
		fuzz_fail("csv_encode failed");
	if (dto->u.obj.n == 0) {
		if (b.len != 4 || memcmp(b.p, "\r\n\r\n", 4) != 0)
			fuzz_fail("empty DTO is not two empty rows");
		return;
	}
	h = read_record(a, b.p, b.len, &pos, &nh);
	d = read_record(a, b.p, b.len, &pos, &nd);
	if (pos != b.len)
		fuzz_fail("more than two records");
	if (nh != dto->u.obj.n || nd != dto->u.obj.n)
		fuzz_fail("%zu members, %zu header and %zu data fields",
		    dto->u.obj.n, nh, nd);
	for (i = 0; i < nh; i++) {
		const struct member *m = &dto->u.obj.members[i];

		expect(&h[i], m->key, m->klen, "header");
		v = m->val;
		switch (v->type) {
		case VALUE_NULL:
			expect(&d[i], "", 0, "null");
			break;
		case VALUE_BOOL:
			expect(&d[i], v->u.boolean ? "True" : "False",
			    v->u.boolean ? 4 : 5, "bool");
			break;
		case VALUE_NUMBER:
			expect_text(&d[i], v->u.str.p, v->u.str.len, 0,
			    "number");
			break;
		case VALUE_STRING:
			expect(&d[i], v->u.str.p, v->u.str.len, "string");
			break;
		default:
			buf_init(&jb, a);
			jsv_encode(&jb, v);
			expect(&d[i], jb.p, jb.len, "JSV");
			st = jsv_decode(a, d[i].p, d[i].n, NULL, &j, &err);
			if (st != FMT_OK && st != FMT_LIMIT)
				fuzz_fail("cell JSV does not decode: %s: %s",
				    err.msg, d[i].p);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size);
	struct fmt_error err;
	struct value *v;

	if (json_decode(a, p, size, NULL, &v, &err) == FMT_OK)
		check(a, v);
	if (jsv_decode(a, p, size, NULL, &v, &err) == FMT_OK)
		check(a, v);
	arena_reset(a);
	return 0;
}
