/*
 * table.h: a tabular source for rosterctl import: a header row, then
 * data rows of text cells, read one row at a time so that memory stays
 * flat for any size of file.  CSV (table_csv.c) and xlsx (table_xlsx.c)
 * sources implement it; the import engine maps the header's names to
 * fields and never knows which container the cells came from.
 */
#ifndef ROSTERD_IMP_TABLE_H
#define ROSTERD_IMP_TABLE_H

#include <stddef.h>

/* A cell: UTF-8 text (checked by the source), not NUL-terminated. */
struct table_cell {
	const char	*v;
	size_t		 len;
};

/*
 * One row.  cells and their text belong to the source and stay valid
 * until the next table_next() or table_close().  line: where the row
 * starts, 1-based (CSV: the line; xlsx: the sheet's row number); a
 * cell's column is its index + 1.
 */
struct table_row {
	struct table_cell *cells;
	size_t		 n;
	long		 line;
};

/* Limits every source enforces (an error names the line and column). */
#define TABLE_CELL_MAX		(64 * 1024)	/* bytes in one cell */
#define TABLE_COLS_MAX		256		/* cells in one row */

/*
 * Each source's own struct begins with a struct table_src whose ops
 * are that source's; the functions below call through them.
 */
struct table_src;
struct table_ops {
	int	(*next)(struct table_src *, struct table_row *, char *, size_t);
	void	(*progress)(const struct table_src *, long long *, long long *);
	void	(*close)(struct table_src *);
};
struct table_src {
	const struct table_ops *ops;
};

/*
 * Opens path (a regular file) as a CSV (RFC 4180: quoted cells with
 * doubled quotes, CR LF or LF, an optional UTF-8 BOM) or as the first
 * worksheet of an xlsx workbook.  NULL on failure, with a message in
 * err (errlen bytes, NUL-terminated) naming the file and the reason.
 */
struct table_src *table_open_csv(const char *path, char *err, size_t errlen);
struct table_src *table_open_xlsx(const char *path, char *err,
    size_t errlen);

/*
 * Reads the next row (the first call returns the header row): 1 with
 * *row filled, 0 at the end, -1 on an error that ends the file (a
 * truncated container, a cell over TABLE_CELL_MAX, bad UTF-8, an
 * unterminated quote), with a message in err naming the line and, when
 * known, the column.  After -1 further calls return -1.
 */
static inline int
table_next(struct table_src *t, struct table_row *row, char *err,
    size_t errlen)
{
	return t->ops->next(t, row, err, errlen);
}

/* Bytes of the file consumed so far and its size: for progress. */
static inline void
table_progress(const struct table_src *t, long long *done, long long *total)
{
	t->ops->progress(t, done, total);
}

static inline void
table_close(struct table_src *t)
{
	if (t != NULL)
		t->ops->close(t);
}

#endif
