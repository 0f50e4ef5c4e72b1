/*
 * export_int.h: what export.c and export_xlsx.c share.
 */
#ifndef ROSTERD_IMP_EXPORT_INT_H
#define ROSTERD_IMP_EXPORT_INT_H

#include "imp/export.h"
#include "util/util.h"

enum export_type {
	EXPORT_TEXT = 0,
	EXPORT_BOOL,		/* COPY's t or f */
	EXPORT_LIST,		/* ';'-joined, or a JSON array for JSONL */
};

/* A column: its name in every format, and whether it is a secret. */
struct export_col {
	const char	*name;
	enum export_type type;
	int		 secret;	/* only with --include-password-hashes */
};

extern const struct export_col export_user_cols[], export_group_cols[],
    export_role_cols[];
extern const size_t export_nuser_cols, export_ngroup_cols, export_nrole_cols;

struct lxw_workbook;
struct lxw_worksheet;

struct export_writer {
	enum export_format format;
	int		 hashes;
	FILE		*out;		/* CSV, JSONL */
	struct buf	 b;		/* output not yet written; a cell */
	int		 header_done;
	/* xlsx */
	struct lxw_workbook *wb;
	struct lxw_worksheet *ws[3];	/* users, groups, roles */
	unsigned	 rows[3];	/* rows written on each */
};

void export_who(const struct export_row *row, char *who, size_t wholen);

int export_xlsx_open(struct export_writer *w, const char *path,
    const char *tmpdir, char *err, size_t errlen);
int export_xlsx_put(struct export_writer *w, enum export_kind kind,
    const struct export_row *row, char *err, size_t errlen);
int export_xlsx_close(struct export_writer *w, char *err, size_t errlen);
void export_xlsx_abandon(struct export_writer *w);

#endif
