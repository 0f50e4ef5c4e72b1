/*
 * xlsx_dump.c: prints the rows of an xlsx workbook's first worksheet as
 * the xlsx tabular source (src/imp/table_xlsx.c) reads them, one JSON
 * array of strings a line, so that tests/export compares what rosterctl
 * export writes with what rosterctl import will read.  Exit 1 with the
 * source's message on stderr when it fails.
 */
#include <stdio.h>
#include <stdlib.h>

#include "imp/table.h"
#include "util/util.h"

int
main(int argc, char *argv[])
{
	struct table_src *t;
	struct table_row row;
	struct buf b;
	char err[1024];
	size_t i;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: xlsx_dump FILE\n");
		return 2;
	}
	if ((t = table_open_xlsx(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "xlsx_dump: %s\n", err);
		return 1;
	}
	buf_init(&b, NULL);
	while ((r = table_next(t, &row, err, sizeof(err))) == 1) {
		buf_reset(&b);
		buf_printf(&b, "[%ld", row.line);
		for (i = 0; i < row.n; i++) {
			buf_puts(&b, ",\"");
			buf_put_json_escaped(&b, row.cells[i].v,
			    row.cells[i].len);
			buf_putc(&b, '"');
		}
		buf_puts(&b, "]\n");
		if (b.failed || fwrite(b.p, 1, b.len, stdout) != b.len) {
			r = -1;
			snprintf(err, sizeof(err), "write failed");
			break;
		}
	}
	buf_release(&b);
	table_close(t);
	if (r < 0) {
		fprintf(stderr, "xlsx_dump: %s\n", err);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
