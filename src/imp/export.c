/*
 * export.c: the rows of rosterctl export, from COPY's text format to
 * CSV, JSON Lines or xlsx (export_xlsx.c), one row at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv.h"
#include "imp/export.h"
#include "imp/export_int.h"
#include "imp/table.h"
#include "util/util.h"

/* Bytes of output gathered before a write. */
#define EXPORT_FLUSH	(256 * 1024)

const struct export_col export_user_cols[] = {
	{ "id", EXPORT_TEXT, 0 },
	{ "username", EXPORT_TEXT, 0 },
	{ "email", EXPORT_TEXT, 0 },
	{ "firstName", EXPORT_TEXT, 0 },
	{ "lastName", EXPORT_TEXT, 0 },
	{ "displayName", EXPORT_TEXT, 0 },
	{ "title", EXPORT_TEXT, 0 },
	{ "phone", EXPORT_TEXT, 0 },
	{ "externalId", EXPORT_TEXT, 0 },
	{ "locale", EXPORT_TEXT, 0 },
	{ "timeZone", EXPORT_TEXT, 0 },
	{ "active", EXPORT_BOOL, 0 },
	{ "verified", EXPORT_BOOL, 0 },
	{ "locked", EXPORT_BOOL, 0 },
	{ "mustChangePassword", EXPORT_BOOL, 0 },
	{ "passwordHash", EXPORT_TEXT, 1 },
	{ "groups", EXPORT_LIST, 0 },
	{ "roles", EXPORT_LIST, 0 },
};
const size_t export_nuser_cols = RS_ARRAY_LEN(export_user_cols);

const struct export_col export_group_cols[] = {
	{ "id", EXPORT_TEXT, 0 },
	{ "kind", EXPORT_TEXT, 0 },
	{ "code", EXPORT_TEXT, 0 },
	{ "name", EXPORT_TEXT, 0 },
	{ "description", EXPORT_TEXT, 0 },
};
const size_t export_ngroup_cols = RS_ARRAY_LEN(export_group_cols);

const struct export_col export_role_cols[] = {
	{ "id", EXPORT_TEXT, 0 },
	{ "name", EXPORT_TEXT, 0 },
	{ "description", EXPORT_TEXT, 0 },
};
const size_t export_nrole_cols = RS_ARRAY_LEN(export_role_cols);

/*
 * The SQL.  The tenant is a setting of the transaction, as COPY takes
 * no parameters.  A user's groups: every membership, as kind:code;
 * roles: the tenant-wide assignments (scope_type ''), each name once.
 */
#define EXPORT_TENANT	"current_setting('rosterd.export_tenant')::uuid"
#define USER_COLS							\
	"SELECT u.id, u.username, u.email, u.first_name, u.last_name,"	\
	" u.display_name, u.title, u.phone, u.external_id, u.locale,"	\
	" u.time_zone, u.is_active, u.verified, u.locked,"		\
	" u.must_change_password, "
#define GROUPS_OF(agg)							\
	" (SELECT " agg " FROM group_members m JOIN groups g"		\
	" ON g.tenant_id = m.tenant_id AND g.id = m.group_id"		\
	" WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id),"
#define ROLES_OF(agg)							\
	" (SELECT " agg " FROM role_assignments a JOIN roles r"	\
	" ON r.tenant_id = a.tenant_id AND r.id = a.role_id"		\
	" WHERE a.tenant_id = u.tenant_id AND a.user_id = u.id"	\
	" AND a.scope_type = '')"
#define GKEY	"(g.kind || ':' || g.code) COLLATE \"C\""
#define RKEY	"r.name COLLATE \"C\""
#define USER_FROM							\
	" FROM users u WHERE u.tenant_id = " EXPORT_TENANT " ORDER BY u.id"
#define USER_SQL(hash, gagg, ragg)					\
	USER_COLS hash GROUPS_OF(gagg) ROLES_OF(ragg) USER_FROM
#define CSV_GROUPS	"string_agg(" GKEY ", ';' ORDER BY " GKEY ")"
#define CSV_ROLES	"string_agg(DISTINCT " RKEY ", ';' ORDER BY " RKEY ")"
#define JSON_GROUPS							\
	"coalesce(json_agg(" GKEY " ORDER BY " GKEY "), '[]')"
#define JSON_ROLES							\
	"coalesce(json_agg(DISTINCT " RKEY " ORDER BY " RKEY "), '[]')"

const char *
export_sql(enum export_kind kind, enum export_format format, int hashes)
{
	int json = format == EXPORT_JSONL;

	switch (kind) {
	case EXPORT_GROUP:
		return "SELECT id, kind, code, name, description FROM groups"
		    " WHERE tenant_id = " EXPORT_TENANT
		    " ORDER BY kind, code COLLATE \"C\", id";
	case EXPORT_ROLE:
		return "SELECT id, name, description FROM roles"
		    " WHERE tenant_id = " EXPORT_TENANT
		    " ORDER BY name COLLATE \"C\", id";
	case EXPORT_USER:
		if (json)
			return hashes ?
			    USER_SQL("u.password,", JSON_GROUPS, JSON_ROLES) :
			    USER_SQL("", JSON_GROUPS, JSON_ROLES);
		return hashes ? USER_SQL("u.password,", CSV_GROUPS, CSV_ROLES) :
		    USER_SQL("", CSV_GROUPS, CSV_ROLES);
	}
	return NULL;
}

/* One escape of COPY's text format after its backslash; *i moves on. */
static char
copy_unescape(const char *s, size_t len, size_t *i)
{
	unsigned v = 0;
	size_t k;
	char c = s[(*i)++];

	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	case 'x':
		for (k = 0; k < 2 && *i < len; k++, (*i)++) {
			char h = s[*i];

			if (h >= '0' && h <= '9')
				v = v * 16 + (unsigned)(h - '0');
			else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
				v = v * 16 + (unsigned)((h | 0x20) - 'a' + 10);
			else
				break;
		}
		return k == 0 ? 'x' : (char)v;
	default:
		if (c < '0' || c > '7')
			return c;
		v = (unsigned)(c - '0');
		for (k = 1; k < 3 && *i < len && s[*i] >= '0' && s[*i] <= '7';
		    k++, (*i)++)
			v = v * 8 + (unsigned)(s[*i] - '0');
		return (char)v;
	}
}

int
export_copy_split(char *line, size_t len, struct export_row *row)
{
	size_t i = 0, o = 0, start = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	row->n = 0;
	for (;;) {
		if (row->n == EXPORT_FIELDS_MAX)
			return -1;
		start = o = i;
		if (len - i >= 2 && line[i] == '\\' && line[i + 1] == 'N' &&
		    (len - i == 2 || line[i + 2] == '\t')) {
			row->f[row->n] = NULL;
			row->len[row->n++] = 0;
			i += 2;
		} else {
			while (i < len && line[i] != '\t') {
				if (line[i] == '\\' && i + 1 < len) {
					i++;
					line[o++] = copy_unescape(line, len,
					    &i);
				} else
					line[o++] = line[i++];
			}
			row->f[row->n] = line + start;
			row->len[row->n++] = o - start;
		}
		if (i >= len) {
			if (row->f[row->n - 1] != NULL)
				line[o] = '\0';
			return 0;
		}
		line[o] = '\0';	/* o <= i: the tab or before it */
		i++;
	}
}

/* ------------------------------------------------------------------ */

static void
csv_cell(struct buf *b, const char *s, size_t n)
{
	csv_put_cell(b, s, n, 0, csv_cell_protected(s, n));
}

static int
flush_out(struct export_writer *w, int all, char *err, size_t errlen)
{
	if (w->b.failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (w->b.len == 0 || (!all && w->b.len < EXPORT_FLUSH))
		return 0;
	if (fwrite(w->b.p, 1, w->b.len, w->out) != w->b.len) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	buf_reset(&w->b);
	return 0;
}

static void
csv_header(struct export_writer *w)
{
	size_t i;
	int first = 1;

	for (i = 0; i < export_nuser_cols; i++) {
		if (export_user_cols[i].secret && !w->hashes)
			continue;
		if (!first)
			buf_putc(&w->b, ',');
		buf_puts(&w->b, export_user_cols[i].name);
		first = 0;
	}
	buf_put(&w->b, "\r\n", 2);
	w->header_done = 1;
}

/* The user's username, for a message: at most 64 bytes of it. */
void
export_who(const struct export_row *row, char *who, size_t wholen)
{
	snprintf(who, wholen, "%.64s", row->n > 1 && row->f[1] != NULL ?
	    row->f[1] : "?");
}

static int
csv_user(struct export_writer *w, const struct export_row *row, char *err,
    size_t errlen)
{
	size_t i, f = 0;
	int first = 1;
	char who[80];

	if (!w->header_done)
		csv_header(w);
	for (i = 0; i < export_nuser_cols; i++) {
		const struct export_col *c = &export_user_cols[i];

		if (c->secret && !w->hashes)
			continue;
		if (f >= row->n)
			break;
		if (!first)
			buf_putc(&w->b, ',');
		first = 0;
		if (row->f[f] == NULL) {
			f++;
			continue;
		}
		if (row->len[f] + 1 > TABLE_CELL_MAX) {
			export_who(row, who, sizeof(who));
			snprintf(err, errlen, "user \"%s\": %s has %zu bytes, "
			    "more than a cell holds (%d): export as jsonl",
			    who, c->name, row->len[f], TABLE_CELL_MAX);
			return -1;
		}
		if (c->type == EXPORT_BOOL)
			buf_puts(&w->b, row->f[f][0] == 't' ? "true" : "false");
		else
			csv_cell(&w->b, row->f[f], row->len[f]);
		f++;
	}
	buf_put(&w->b, "\r\n", 2);
	return flush_out(w, 0, err, errlen);
}

/* ------------------------------------------------------------------ */

static void
json_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	buf_put_json_escaped(b, s, n);
	buf_putc(b, '"');
}

/* A JSON line of cols from row: NULL fields left out. */
static int
jsonl_put(struct export_writer *w, const char *type,
    const struct export_col *cols, size_t ncols,
    const struct export_row *row, char *err, size_t errlen)
{
	size_t i, f = 0;

	buf_puts(&w->b, "{\"type\":\"");
	buf_puts(&w->b, type);
	buf_putc(&w->b, '"');
	for (i = 0; i < ncols && f < row->n; i++) {
		const struct export_col *c = &cols[i];

		if (c->secret && !w->hashes)
			continue;
		if (row->f[f] == NULL) {
			f++;
			continue;
		}
		buf_puts(&w->b, ",\"");
		buf_puts(&w->b, c->name);
		buf_puts(&w->b, "\":");
		if (c->type == EXPORT_BOOL)
			buf_puts(&w->b, row->f[f][0] == 't' ? "true" : "false");
		else if (c->type == EXPORT_LIST)
			buf_put(&w->b, row->f[f], row->len[f]); /* json_agg */
		else
			json_str(&w->b, row->f[f], row->len[f]);
		f++;
	}
	buf_put(&w->b, "}\n", 2);
	return flush_out(w, 0, err, errlen);
}

/* ------------------------------------------------------------------ */

struct export_writer *
export_writer_new(enum export_format format, int hashes, FILE *out,
    const char *path, const char *tmpdir, char *err, size_t errlen)
{
	struct export_writer *w;

	w = xcalloc(1, sizeof(*w));
	w->format = format;
	w->hashes = hashes;
	w->out = out;
	buf_init(&w->b, NULL);
	if (format == EXPORT_XLSX &&
	    export_xlsx_open(w, path, tmpdir, err, errlen) != 0) {
		export_writer_free(w);
		return NULL;
	}
	return w;
}

int
export_put(struct export_writer *w, enum export_kind kind,
    const struct export_row *row, char *err, size_t errlen)
{
	switch (w->format) {
	case EXPORT_CSV:
		if (kind != EXPORT_USER)
			return 0;
		return csv_user(w, row, err, errlen);
	case EXPORT_JSONL:
		if (kind == EXPORT_GROUP)
			return jsonl_put(w, "group", export_group_cols,
			    export_ngroup_cols, row, err, errlen);
		if (kind == EXPORT_ROLE)
			return jsonl_put(w, "role", export_role_cols,
			    export_nrole_cols, row, err, errlen);
		return jsonl_put(w, "user", export_user_cols,
		    export_nuser_cols, row, err, errlen);
	case EXPORT_XLSX:
		return export_xlsx_put(w, kind, row, err, errlen);
	}
	return -1;
}

int
export_finish(struct export_writer *w, char *err, size_t errlen)
{
	if (w->format == EXPORT_XLSX)
		return export_xlsx_close(w, err, errlen);
	if (w->format == EXPORT_CSV && !w->header_done)
		csv_header(w);
	if (flush_out(w, 1, err, errlen) != 0)
		return -1;
	if (fflush(w->out) != 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
export_writer_free(struct export_writer *w)
{
	if (w == NULL)
		return;
	if (w->format == EXPORT_XLSX)
		export_xlsx_abandon(w);
	buf_release(&w->b);
	free(w);
}
