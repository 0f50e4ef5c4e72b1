/*
 * aspnet_xlsx.c: the xlsx that WebApiContrib.Formatting.Xlsx writes for
 * one object (FORMATS.md §3.8): one worksheet "Data", row 1 the CLR
 * property names in declaration order, row 2 the values.  Strings and
 * numbers are native cells, booleans True/False, null an empty cell;
 * collections and nested objects are readable text ("1, 2",
 * "LoginMode=1; Source=x") instead of the vendor's CLR type names.
 *
 * libxlsxwriter 1.1 writes only to a named file, so the workbook goes to
 * an anonymous memory file (memfd) named through /proc/self/fd and is
 * read back from it: nothing touches the file system.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "dialect.h"

#define XLSX_MAX_BYTES (4 * 1024 * 1024)

static void text_of(struct buf *b, const struct value *v);

static void
text_of_object(struct buf *b, const struct value *v)
{
	size_t i;

	for (i = 0; i < v->u.obj.n; i++) {
		if (i > 0)
			buf_puts(b, "; ");
		buf_puts(b, v->u.obj.members[i].key);
		buf_putc(b, '=');
		text_of(b, v->u.obj.members[i].val);
	}
}

/* A value as cell text (bool as .NET's ToString). */
static void
text_of(struct buf *b, const struct value *v)
{
	size_t i;

	switch (v->type) {
	case VALUE_BOOL:
		buf_puts(b, v->u.boolean ? "True" : "False");
		break;
	case VALUE_NUMBER:
	case VALUE_STRING:
		buf_put(b, v->u.str.p, v->u.str.len);
		break;
	case VALUE_ARRAY:
		for (i = 0; i < v->u.arr.n; i++) {
			if (i > 0)
				buf_puts(b, ", ");
			text_of(b, v->u.arr.items[i]);
		}
		break;
	case VALUE_OBJECT:
		text_of_object(b, v);
		break;
	default:
		break;
	}
}

static lxw_error
write_cell(struct arena *a, lxw_worksheet *ws, lxw_col_t col,
    const struct value *v)
{
	struct buf t;

	if (v->type == VALUE_NULL)
		return LXW_NO_ERROR;
	if (v->type == VALUE_NUMBER)
		return worksheet_write_number(ws, 1, col,
		    strtod(v->u.str.p, NULL), NULL);
	buf_init(&t, a);
	text_of(&t, v);
	if (t.failed)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	return worksheet_write_string(ws, 1, col, t.len ? t.p : "", NULL);
}

static int
fill(struct arena *a, lxw_workbook *wb, const struct value *dto)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Data");
	size_t i;

	if (ws == NULL)
		return -1;
	for (i = 0; i < dto->u.obj.n && i < 1000; i++) {
		const struct member *m = &dto->u.obj.members[i];

		if (worksheet_write_string(ws, 0, (lxw_col_t)i, m->key,
		    NULL) != LXW_NO_ERROR ||
		    write_cell(a, ws, (lxw_col_t)i, m->val) != LXW_NO_ERROR)
			return -1;
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i,
		    (double)(strlen(m->key) + 4), NULL);
	}
	return 0;
}

static int
read_back(int fd, struct buf *out)
{
	char chunk[8192];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (out->len + (size_t)n > XLSX_MAX_BYTES)
			return -1;
		buf_put(out, chunk, (size_t)n);
	}
	return out->failed ? -1 : 0;
}

/*
 * Appends the xlsx bytes of dto (an object) to out.  0, or -1 when the
 * workbook could not be made (nothing useful in out then).
 */
int
aspnet_xlsx_write(struct arena *a, const struct value *dto, struct buf *out)
{
	char path[64];
	lxw_workbook *wb;
	int fd, rc = -1;

	if (dto == NULL || dto->type != VALUE_OBJECT)
		return -1;
	if ((fd = memfd_create("rosterd-xlsx", MFD_CLOEXEC)) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((wb = workbook_new(path)) == NULL)
		goto out;
	if (fill(a, wb, dto) != 0) {
		workbook_close(wb);	/* frees it; the bytes are unused */
		goto out;
	}
	if (workbook_close(wb) != LXW_NO_ERROR)
		goto out;
	rc = read_back(fd, out);
out:
	close(fd);
	return rc;
}
