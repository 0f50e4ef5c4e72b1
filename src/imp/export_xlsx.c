/*
 * export_xlsx.c: rosterctl export --format xlsx.  libxlsxwriter in
 * constant_memory mode: each worksheet's rows go to a temporary file as
 * they come (inline strings, no shared-strings table), so memory stays
 * flat; rows of a worksheet must come in order, and the three
 * worksheets are written one after the other: "users" (the CSV's
 * columns, which rosterctl import reads), then "groups" and "roles"
 * (their details, for a reader; import does not read them).  Text is
 * written as strings, never as formulas; the cells a spreadsheet would
 * take for a formula get the leading ' of the CSV (csv_cell_protected()),
 * so that the same import reads both.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <xlsxwriter.h>

#include "formats/csv.h"
#include "imp/export_int.h"
#include "imp/table.h"

/* Whether s[i..] is an escape of ST_Xstring: "_x" 4 hex digits "_". */
static int
xstring_at(const char *s, size_t n, size_t i)
{
	size_t k;

	if (n - i < 7 || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_')
		return 0;
	for (k = 2; k < 6; k++)
		if (!isxdigit((unsigned char)s[i + k]))
			return 0;
	return 1;
}

static int
xstring_escape_needed(const char *s, size_t n)
{
	const char *p = s;

	while ((p = memchr(p, '_', n - (size_t)(p - s))) != NULL) {
		if (xstring_at(s, n, (size_t)(p - s)))
			return 1;
		p++;
	}
	return 0;
}

/*
 * Appends s with the '_' of each text that reads as an escape of
 * ST_Xstring written "_x005F_", as the format wants and libxlsxwriter
 * does not do (it escapes control characters only), so that a reader
 * that undoes the escapes (Excel, table_xlsx.c) gets s back.
 */
static void
xstring_put(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (xstring_at(s, n, i))
			buf_puts(b, "_x005F");
		buf_putc(b, s[i]);
	}
}

static const char *const sheet_names[3] = { "users", "groups", "roles" };

static const struct export_col *
sheet_cols(enum export_kind kind, size_t *n)
{
	switch (kind) {
	case EXPORT_GROUP:
		*n = export_ngroup_cols;
		return export_group_cols;
	case EXPORT_ROLE:
		*n = export_nrole_cols;
		return export_role_cols;
	default:
		*n = export_nuser_cols;
		return export_user_cols;
	}
}

static int
sheet_of(enum export_kind kind)
{
	return kind == EXPORT_USER ? 0 : kind == EXPORT_GROUP ? 1 : 2;
}

static int
xlsx_failed(const char *what, lxw_error e, char *err, size_t errlen)
{
	snprintf(err, errlen, "xlsx: %s: %s", what, lxw_strerror(e));
	return -1;
}

int
export_xlsx_open(struct export_writer *w, const char *path,
    const char *tmpdir, char *err, size_t errlen)
{
	static const enum export_kind kinds[3] = { EXPORT_USER, EXPORT_GROUP,
	    EXPORT_ROLE };
	lxw_workbook_options o = { 0 };
	const struct export_col *cols;
	size_t i, n, c;
	lxw_error e;
	int s;

	o.constant_memory = LXW_TRUE;
	o.tmpdir = (char *)(uintptr_t)tmpdir;
	o.use_zip64 = LXW_FALSE;
	if ((w->wb = workbook_new_opt(path, &o)) == NULL) {
		snprintf(err, errlen, "xlsx: cannot start a workbook");
		return -1;
	}
	for (s = 0; s < 3; s++) {
		if ((w->ws[s] = workbook_add_worksheet(w->wb,
		    sheet_names[s])) == NULL) {
			snprintf(err, errlen, "xlsx: cannot add a worksheet");
			return -1;
		}
		cols = sheet_cols(kinds[s], &n);
		for (i = c = 0; i < n; i++) {
			if (cols[i].secret && !w->hashes)
				continue;
			e = worksheet_write_string(w->ws[s], 0, (lxw_col_t)c++,
			    cols[i].name, NULL);
			if (e != LXW_NO_ERROR)
				return xlsx_failed("header", e, err, errlen);
		}
		w->rows[s] = 1;
	}
	return 0;
}

int
export_xlsx_put(struct export_writer *w, enum export_kind kind,
    const struct export_row *row, char *err, size_t errlen)
{
	const struct export_col *cols;
	int s = sheet_of(kind);
	lxw_worksheet *ws = w->ws[s];
	lxw_row_t r = w->rows[s];
	size_t i, n, f = 0;
	lxw_col_t c = 0;
	char who[80];
	lxw_error e;

	if (r >= LXW_ROW_MAX) {
		snprintf(err, errlen, "xlsx: more than %u %s: a worksheet "
		    "holds no more; export as csv or jsonl", LXW_ROW_MAX - 1,
		    sheet_names[s]);
		return -1;
	}
	cols = sheet_cols(kind, &n);
	for (i = 0; i < n && f < row->n; i++, c++) {
		const char *v = row->f[f];
		size_t len = row->len[f];

		if (cols[i].secret && !w->hashes) {
			c--;
			continue;
		}
		f++;
		if (v == NULL || len == 0)
			continue;
		if (cols[i].type == EXPORT_BOOL) {
			e = worksheet_write_boolean(ws, r, c, v[0] == 't',
			    NULL);
		} else {
			if (len + 1 > TABLE_CELL_MAX) {
				export_who(row, who, sizeof(who));
				snprintf(err, errlen, "%s \"%s\": %s has %zu "
				    "bytes, more than a cell holds (%d): "
				    "export as jsonl", kind == EXPORT_USER ?
				    "user" : "row", who, cols[i].name, len,
				    TABLE_CELL_MAX);
				return -1;
			}
			if (csv_cell_protected(v, len) ||
			    xstring_escape_needed(v, len)) {
				buf_reset(&w->b);
				if (csv_cell_protected(v, len))
					buf_putc(&w->b, '\'');
				xstring_put(&w->b, v, len);
				if (w->b.failed) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
				v = w->b.p;
			}
			e = worksheet_write_string(ws, r, c, v, NULL);
		}
		if (e != LXW_NO_ERROR) {
			export_who(row, who, sizeof(who));
			snprintf(err, errlen, "xlsx: %s \"%s\": %s: %s",
			    sheet_names[s], who, cols[i].name, lxw_strerror(e));
			return -1;
		}
	}
	w->rows[s]++;
	return 0;
}

int
export_xlsx_close(struct export_writer *w, char *err, size_t errlen)
{
	lxw_error e = workbook_close(w->wb);

	w->wb = NULL;
	if (e != LXW_NO_ERROR)
		return xlsx_failed("writing the workbook", e, err, errlen);
	return 0;
}

void
export_xlsx_abandon(struct export_writer *w)
{
	if (w->wb != NULL)
		lxw_workbook_free(w->wb);
	w->wb = NULL;
}
