/*
 * table_csv.c: the CSV tabular source (RFC 4180): cells separated by
 * commas, rows by CR LF or LF (or a lone CR), quoted cells with doubled
 * quotes and line breaks inside, an optional UTF-8 byte order mark.  A
 * quote inside an unquoted cell is text.  Blank lines are skipped.  The
 * file is read in blocks and one row is held at a time: memory stays
 * flat, bounded by TABLE_CELL_MAX and TABLE_COLS_MAX.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imp/imp.h"
#include "imp/table.h"
#include "util/util.h"

#define CSV_BLOCK	(256 * 1024)

struct csv_src {
	struct table_src  src;
	int		  fd;
	char		 *path;
	unsigned char	 *blk;		/* read buffer */
	size_t		  bpos, blen;
	long long	  consumed;	/* bytes of the file parsed */
	long long	  size;
	int		  eof;
	int		  failed;
	int		  started;	/* the BOM was looked for */
	long		  line;		/* the line being read, 1-based */
	char		 *text;		/* the row's cells, back to back */
	size_t		  tlen, tcap;
	size_t		  off[TABLE_COLS_MAX];	/* start of each cell in text */
	size_t		  clen[TABLE_COLS_MAX];
	struct table_cell cells[TABLE_COLS_MAX];
};

/* The next byte, or -1 at the end of the file, -2 on a read error. */
static int
csv_getc(struct csv_src *c)
{
	ssize_t n;

	if (c->bpos == c->blen) {
		if (c->eof)
			return -1;
		do
			n = read(c->fd, c->blk, CSV_BLOCK);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -2;
		if (n == 0) {
			c->eof = 1;
			return -1;
		}
		c->bpos = 0;
		c->blen = (size_t)n;
	}
	c->consumed++;
	return c->blk[c->bpos++];
}

/* Looks at the next byte without taking it. */
static int
csv_peek(struct csv_src *c)
{
	int ch = csv_getc(c);

	if (ch >= 0) {
		c->bpos--;
		c->consumed--;
	}
	return ch;
}

static int
csv_fail(struct csv_src *c, char *err, size_t errlen, const char *fmt, ...)
    RS_PRINTF(4, 5);

static int
csv_fail(struct csv_src *c, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s: ", c->path);
	if (n < 0 || (size_t)n >= errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	c->failed = 1;
	return -1;
}

static void
csv_put(struct csv_src *c, int ch)
{
	if (c->tlen == c->tcap) {
		c->tcap = c->tcap ? c->tcap * 2 : 4096;
		c->text = xrealloc(c->text, c->tcap);
	}
	c->text[c->tlen++] = (char)ch;
}

static int
csv_next(struct table_src *t, struct table_row *row, char *err,
    size_t errlen)
{
	struct csv_src *c = (struct csv_src *)t;
	size_t ncells = 0, i, bad;
	long qline;
	int ch, quoted;

	if (c->failed)
		return -1;
	if (!c->started) {
		c->started = 1;
		if (csv_peek(c) == 0xEF) {
			unsigned char b[3];

			for (i = 0; i < 3; i++)
				b[i] = (unsigned char)csv_getc(c);
			if (b[1] != 0xBB || b[2] != 0xBF)
				return csv_fail(c, err, errlen, "line 1: "
				    "bad UTF-8 at the start of the file");
		}
	}
	/* Blank lines between rows are skipped. */
	for (;;) {
		ch = csv_peek(c);
		if (ch == -2)
			return csv_fail(c, err, errlen, "%s", strerror(errno));
		if (ch == -1)
			return 0;
		if (ch != '\r' && ch != '\n')
			break;
		(void)csv_getc(c);
		if (ch == '\n' || csv_peek(c) != '\n')
			c->line++;
	}
	row->line = c->line;
	c->tlen = 0;
	for (;;) {		/* one cell per turn */
		if (ncells == TABLE_COLS_MAX)
			return csv_fail(c, err, errlen, "line %ld: more than "
			    "%d columns", row->line, TABLE_COLS_MAX);
		c->off[ncells] = c->tlen;
		quoted = 0;
		qline = c->line;
		ch = csv_getc(c);
		if (ch == '"') {
			quoted = 1;
			for (;;) {
				ch = csv_getc(c);
				if (ch == -2)
					return csv_fail(c, err, errlen, "%s",
					    strerror(errno));
				if (ch == -1)
					return csv_fail(c, err, errlen,
					    "line %ld, column %zu: a quote "
					    "opened here is never closed",
					    qline, ncells + 1);
				if (ch == '"') {
					if (csv_peek(c) != '"')
						break;
					(void)csv_getc(c);
				} else if (ch == '\n')
					c->line++;
				else if (ch == '\r' && csv_peek(c) != '\n')
					c->line++;
				if (c->tlen - c->off[ncells] ==
				    TABLE_CELL_MAX)
					return csv_fail(c, err, errlen,
					    "line %ld, column %zu: a cell "
					    "longer than %d bytes", qline,
					    ncells + 1, TABLE_CELL_MAX);
				csv_put(c, ch);
			}
			ch = csv_getc(c);
			if (ch >= 0 && ch != ',' && ch != '\r' && ch != '\n')
				return csv_fail(c, err, errlen, "line %ld, "
				    "column %zu: text after a closing quote",
				    c->line, ncells + 1);
		} else {
			while (ch >= 0 && ch != ',' && ch != '\r' &&
			    ch != '\n') {
				if (c->tlen - c->off[ncells] ==
				    TABLE_CELL_MAX)
					return csv_fail(c, err, errlen,
					    "line %ld, column %zu: a cell "
					    "longer than %d bytes", c->line,
					    ncells + 1, TABLE_CELL_MAX);
				csv_put(c, ch);
				ch = csv_getc(c);
			}
		}
		if (ch == -2)
			return csv_fail(c, err, errlen, "%s", strerror(errno));
		c->clen[ncells] = c->tlen - c->off[ncells];
		bad = utf8_check(c->text + c->off[ncells], c->clen[ncells]);
		if (bad != c->clen[ncells])
			return csv_fail(c, err, errlen, "line %ld, column %zu: "
			    "%s at byte %zu of the cell", quoted ? qline :
			    c->line, ncells + 1, c->text[c->off[ncells] +
			    bad] == '\0' ? "a NUL byte" : "bad UTF-8",
			    bad + 1);
		ncells++;
		if (ch == ',')
			continue;
		if (ch == '\r' && csv_peek(c) == '\n')
			(void)csv_getc(c);
		if (ch >= 0)
			c->line++;
		break;
	}
	for (i = 0; i < ncells; i++) {
		c->cells[i].v = c->text + c->off[i];
		c->cells[i].len = c->clen[i];
	}
	row->cells = c->cells;
	row->n = ncells;
	return 1;
}

static void
csv_progress(const struct table_src *t, long long *done, long long *total)
{
	const struct csv_src *c = (const struct csv_src *)t;

	*done = c->consumed;
	*total = c->size;
}

static void
csv_close(struct table_src *t)
{
	struct csv_src *c = (struct csv_src *)t;

	close(c->fd);
	free(c->blk);
	free(c->text);
	free(c->path);
	free(c);
}

static const struct table_ops csv_ops = {
	csv_next, csv_progress, csv_close
};

struct table_src *
table_open_csv(const char *path, char *err, size_t errlen)
{
	struct csv_src *c;
	long long size;
	int fd;

	if ((fd = imp_open_file(path, &size, err, errlen)) < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->src.ops = &csv_ops;
	c->fd = fd;
	c->path = xstrdup(path);
	c->blk = xmalloc(CSV_BLOCK);
	c->size = size;
	c->line = 1;
	return &c->src;
}
