/*
 * export.h: rosterctl export's writers.  Rows come from COPY ... TO
 * STDOUT in PostgreSQL's text format, one at a time; each writer turns
 * a row into CSV (RFC 4180), a JSON line or an xlsx row at once, so
 * that memory stays flat for any size of tenant.  The records are those
 * of docs/import.md, which rosterctl import reads back.
 */
#ifndef ROSTERD_IMP_EXPORT_H
#define ROSTERD_IMP_EXPORT_H

#include <stddef.h>
#include <stdio.h>

struct config;

/* The fields of one COPY row: f[i] NULL for SQL NULL; NUL-terminated. */
#define EXPORT_FIELDS_MAX	24
struct export_row {
	char		*f[EXPORT_FIELDS_MAX];
	size_t		 len[EXPORT_FIELDS_MAX];
	size_t		 n;
};

/*
 * Splits one row of COPY's text format (line[0..len), its '\n' left
 * out or not, and line[len] writable, as PQgetCopyData()'s NUL is) into
 * NUL-terminated fields in place, undoing the backslash escapes; "\N"
 * is NULL.  0, or -1 when it has more than EXPORT_FIELDS_MAX fields.
 */
int export_copy_split(char *line, size_t len, struct export_row *row);

enum export_format {
	EXPORT_CSV = 0,
	EXPORT_JSONL,
	EXPORT_XLSX,
};

/* What a row of each query holds, in order (export.c's SQL). */
enum export_kind {
	EXPORT_GROUP = 0,	/* id, kind, code, name, description */
	EXPORT_ROLE,		/* id, name, description */
	EXPORT_USER,		/* export_user_cols, then groups, roles */
};

/*
 * Before a CSV or xlsx export of tenant $1: a group code or role name
 * holding ';' cannot be told apart in a ';'-joined list, so such a name
 * that some user has refuses the export (JSON Lines holds it).  One row
 * naming the first, or none.
 */
#define EXPORT_SEMICOLON_SQL						\
	"(SELECT 'group ' || g.kind || ':' || g.code FROM groups g"	\
	" WHERE g.tenant_id = $1::uuid AND strpos(g.code, ';') > 0"	\
	" AND EXISTS (SELECT 1 FROM group_members m"			\
	" WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id) LIMIT 1)" \
	" UNION ALL (SELECT 'role ' || r.name FROM roles r"		\
	" WHERE r.tenant_id = $1::uuid AND strpos(r.name, ';') > 0"	\
	" AND EXISTS (SELECT 1 FROM role_assignments a"		\
	" WHERE a.tenant_id = r.tenant_id AND a.role_id = r.id"		\
	" AND a.scope_type = '') LIMIT 1) LIMIT 1"

/*
 * The SELECT of each kind of row, for COPY (...) TO STDOUT, for format
 * and with or without the password hash; the tenant is the setting
 * rosterd.export_tenant (set_config() in the same transaction).  Users
 * in id order with their groups ("kind:code") and tenant-wide roles
 * sorted (CSV and xlsx: ';'-joined; JSONL: JSON arrays); groups by kind
 * and code, roles by name.
 */
const char *export_sql(enum export_kind kind, enum export_format format,
    int hashes);

struct export_writer;

/*
 * A writer of format with or without the passwordHash column.  CSV and
 * JSONL write to out; xlsx writes the workbook at path (libxlsxwriter in
 * constant_memory mode, its temporary files in tmpdir) and out is NULL.
 * NULL with a message in err.
 */
struct export_writer *export_writer_new(enum export_format format,
    int hashes, FILE *out, const char *path, const char *tmpdir, char *err,
    size_t errlen);

/*
 * Writes one row of kind.  CSV and xlsx write users only (and the
 * header before the first) on the first worksheet; xlsx puts groups and
 * roles on worksheets of their own after it, so the users must come
 * first.  JSONL takes groups, roles and users in that order.  0, or -1
 * with a message in err (a write error, a cell too long for the format).
 */
int export_put(struct export_writer *w, enum export_kind kind,
    const struct export_row *row, char *err, size_t errlen);

/* Ends the output (the header if no row came; xlsx: the workbook). */
int export_finish(struct export_writer *w, char *err, size_t errlen);

/* Frees w; an unfinished xlsx workbook is not written. */
void export_writer_free(struct export_writer *w);

/*
 * rosterctl [-c FILE] export --tenant ID [--format csv|jsonl|xlsx]
 *     [--include-password-hashes] [-o FILE|-] (rosterctl_export.c).
 * Exit status.
 */
int rosterctl_export(const struct config *cfg, int argc, char **argv);

#endif
