/*
 * rosterctl_import.c: rosterctl import, users (with their groups and
 * roles) from a CSV, JSON Lines (or xlsx) file, a Keycloak realm export
 * or an Auth0 user export into a tenant, in batches.  Each record is
 * checked in C (imp/record.c: /v1's rules);
 * the good ones are streamed with COPY into temporary staging tables,
 * where the conflicts between records and with existing users are found
 * set-based (a per-row error each, naming line and column); then
 * INSERT ... SELECT and UPDATE ... FROM statements write users, groups,
 * memberships and role assignments, and the run's checkpoint row
 * (import_runs) advances in the same transaction.  A rerun of the same
 * command continues after the last committed batch.  --atomic and
 * --dry-run run all batches in one transaction (committed only when no
 * row failed; never, for --dry-run).
 */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "config.h"
#include "db/db.h"
#include "imp/engine.h"
#include "imp/imp.h"
#include "util/util.h"

#define IMP_BATCH_DEFAULT	20000
#define IMP_BATCH_MAX		200000
/*
 * A batch also ends once its COPY text passes this many bytes, so that
 * memory stays flat whatever the records hold (a groups cell of 64 KiB
 * is thousands of memberships).
 */
#define IMP_BATCH_BYTES		(64 << 20)
/* Rows written by a run past which it ANALYZEs at its end (analyze()). */
#define IMP_ANALYZE_ROWS	10000
#define IMP_TRIES		3

enum imp_format { FMT_CSV, FMT_JSONL, FMT_XLSX, FMT_KEYCLOAK, FMT_AUTH0 };
static const char *const format_names[] = { "csv", "jsonl", "xlsx",
    "keycloak", "auth0" };
static const char *const match_names[] = { "id", "username", "email" };
static const int match_fields[] = { IF_ID, IF_USERNAME, IF_EMAIL };

struct imp_opts {
	const char	*tenant;
	const char	*path;
	const char	*errors_path;
	int		 format;	/* -1: by the file's extension */
	int		 upsert;
	int		 match;		/* -1 none, else index in match_names */
	int		 dry_run, atomic, restart, quiet;
	long		 batch;
	const char	*run_id;	/* a job's: resumed or made */
	const char	*request_id;	/* a job's: its audit row's */
	/*
	 * The rows may assign and define roles flagged is_system_admin:
	 * rosterctl's, and a job's created by a SystemAdmin.
	 */
	int		 system_roles;
};

struct imp_counts {
	long long	 users_created, users_updated;
	long long	 groups_created, groups_updated;
	long long	 roles_created, roles_updated;
	long long	 memberships, assignments, errors;
};

/* A batch; its row errors (imp/engine.h) own their text. */
struct imp_batch {
	struct buf	 users, members, uroles, gdefs, rdefs;
	size_t		 nusers, ngdefs, nrdefs;
	long long	 records;	/* records read into it */
	long		 last_line;
	long long	 bytes;		/* of the file, at its end */
	struct imp_row_err *errs;
	size_t		 nerrs, errcap;
	int		 printed;	/* its errors were reported */
};

struct imp_source {
	int		 format;
	struct table_src *t;
	struct imp_header h;
	struct jsonl	*j;
	struct kc	*k;		/* keycloak */
	struct imp_notes notes;		/* auth0 */
	FILE		*warnf;		/* record warnings, or NULL */
	const char	*fname;
};

static volatile sig_atomic_t imp_interrupted;

static void
imp_on_signal(int sig)
{
	(void)sig;
	imp_interrupted = 1;
	/* a second Ctrl-C or SIGTERM ends it at once */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

static void
imp_usage(void)
{
	fprintf(stderr,
	    "usage: rosterctl [-c FILE] import --tenant ID [--format "
	    "csv|jsonl|xlsx|keycloak|auth0]\n"
	    "           [--mode create|upsert] [--match id|username|email] "
	    "[--dry-run]\n"
	    "           [--atomic] [--batch N] [--errors FILE] [--restart] "
	    "[--quiet] FILE\n"
	    "  --format: by FILE's extension (.csv, .jsonl/.ndjson, .xlsx) "
	    "when not given;\n"
	    "    keycloak (a realm export) and auth0 (a user export) must "
	    "be said\n"
	    "  --mode create (default): a row whose user exists is an "
	    "error; upsert:\n"
	    "    a row matching an existing user by --match updates it "
	    "(--match is\n"
	    "    required with upsert)\n"
	    "  --batch: rows per transaction, 1 to %d (default %d)\n"
	    "  --errors: row errors to FILE instead of stderr\n"
	    "  --restart: start over instead of continuing an unfinished "
	    "run of FILE\n"
	    "  FILE must be a regular file (not -): a run can be resumed\n",
	    IMP_BATCH_MAX, IMP_BATCH_DEFAULT);
}

static int
imp_refuse(const char *fmt, ...) RS_PRINTF(1, 2);

static int
imp_refuse(const char *fmt, ...)
{
	va_list ap;

	fputs("rosterctl: import: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* ---- COPY text ---- */

/* s (n bytes) as a COPY text-format value: \ TAB LF CR escaped. */
static void
copy_text(struct buf *b, const char *s, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		buf_put(b, s + from, i - from);
		buf_put(b, esc, 2);
		from = i + 1;
	}
	buf_put(b, s + from, n - from);
}

static void
copy_val(struct buf *b, const char *s, size_t n, char sep)
{
	if (s == NULL)
		buf_put(b, "\\N", 2);
	else
		copy_text(b, s, n);
	buf_putc(b, sep);
}

static void
copy_str(struct buf *b, const char *s, char sep)
{
	copy_val(b, s, s != NULL ? strlen(s) : 0, sep);
}

static void
copy_bool(struct buf *b, int v, char sep)
{
	buf_put(b, v < 0 ? "\\N" : v ? "t" : "f", v < 0 ? 2 : 1);
	buf_putc(b, sep);
}

/* ---- SQL ---- */

#define STAGE_USER_COLS							\
	"line, id, uid, username, email, first_name, last_name,"	\
	" display_name, title, phone, external_id, locale, time_zone,"	\
	" active, verified, locked, must_change, password"

/*
 * Who writes: the session's rosterd.import_actor (a job's creator), or
 * rosterctl.
 */
#define IMP_ACTOR							\
	"coalesce(nullif(current_setting('rosterd.import_actor', true),"	\
	" ''), 'rosterctl')"

static const char *const imp_stage_ddl[] = {
	"CREATE TEMP TABLE imp_users (line bigint NOT NULL, id uuid,"
	" uid uuid NOT NULL, username text, email text, first_name text,"
	" last_name text, display_name text, title text, phone text,"
	" external_id text, locale text, time_zone text, active boolean,"
	" verified boolean, locked boolean, must_change boolean,"
	" password text, matched boolean NOT NULL DEFAULT false, err text,"
	" errcol text)",
	"CREATE TEMP TABLE imp_members (line bigint NOT NULL,"
	" kind text NOT NULL, code text NOT NULL)",
	"CREATE TEMP TABLE imp_uroles (line bigint NOT NULL,"
	" name text NOT NULL)",
	"CREATE TEMP TABLE imp_gdefs (line bigint NOT NULL, id uuid,"
	" kind text NOT NULL, code text NOT NULL, name text,"
	" description text, err text, errcol text)",
	"CREATE TEMP TABLE imp_rdefs (line bigint NOT NULL, id uuid,"
	" name text NOT NULL, description text, err text, errcol text)",
};

static const char imp_truncate[] =
    "TRUNCATE imp_users, imp_members, imp_uroles, imp_gdefs, imp_rdefs";

static const char imp_analyze[] =
    "ANALYZE imp_users, imp_members, imp_uroles, imp_gdefs, imp_rdefs";

static const char *const imp_copy[] = {
	"COPY imp_users (" STAGE_USER_COLS ") FROM STDIN",
	"COPY imp_members (line, kind, code) FROM STDIN",
	"COPY imp_uroles (line, name) FROM STDIN",
	"COPY imp_gdefs (line, id, kind, code, name, description) FROM STDIN",
	"COPY imp_rdefs (line, id, name, description) FROM STDIN",
};

/* The same value twice among the staged rows: the later ones fail. */
#define DUP_CHECK(table, col, key, what)				\
	"UPDATE " table " s SET err = '" what " as line ' || d.first,"	\
	" errcol = '" col "' FROM (SELECT line, min(line) OVER"		\
	" (PARTITION BY " key ") AS first FROM " table " WHERE " key	\
	" IS NOT NULL AND err IS NULL) d"				\
	" WHERE s.line = d.line AND d.line <> d.first"

/* Checks of the staged users, in order ($1 the tenant). */
static const char *const imp_user_dups[] = {
	DUP_CHECK("imp_users", "id", "id", "the same id"),
	DUP_CHECK("imp_users", "username", "lower(username)",
	    "the same username (ignoring case)"),
	DUP_CHECK("imp_users", "email", "lower(email)",
	    "the same email (ignoring case)"),
	DUP_CHECK("imp_gdefs", "code", "(kind, lower(code))",
	    "the same group"),
	DUP_CHECK("imp_gdefs", "id", "id", "the same group id"),
	DUP_CHECK("imp_rdefs", "name", "lower(name)",
	    "the same role (ignoring case)"),
	DUP_CHECK("imp_rdefs", "id", "id", "the same role id"),
};

/*
 * The staged users are looked up in users one at a time, by index:
 * a scalar subquery with LIMIT is neither pulled up into a join nor
 * hashed, so the tenant's users are never read through (a new
 * tenant's rows are not in users' statistics yet, and a join planned
 * for a few of them sorts or hashes all of them for every batch).
 */
#define PROBE(cond)							\
	"(SELECT u.id FROM users u WHERE u.tenant_id = $1::uuid AND "	\
	cond " LIMIT 1)"

#define MATCH(cond)							\
	"UPDATE imp_users s SET uid = m.id, matched = true FROM"	\
	" (SELECT x.line, " PROBE(cond) " AS id FROM imp_users x"	\
	" WHERE x.err IS NULL) m WHERE m.line = s.line"			\
	" AND m.id IS NOT NULL"

static const char *const imp_match[] = {
	MATCH("u.id = x.id"),
	MATCH("lower(u.username) = lower(x.username)"),
	MATCH("u.email IS NOT NULL AND lower(u.email) = lower(x.email)"),
};

static const char *const imp_conflicts[] = {
	"UPDATE imp_users SET err = 'not the id of the user matched',"
	" errcol = 'id' WHERE matched AND id IS NOT NULL AND id <> uid"
	" AND err IS NULL AND $1::uuid IS NOT NULL",
	"UPDATE imp_users s SET err = 'a user with this id exists',"
	" errcol = 'id' WHERE s.id IS NOT NULL AND NOT s.matched"
	" AND s.err IS NULL AND " PROBE("u.id = s.id") " IS NOT NULL",
	"UPDATE imp_users s SET err = 'taken by another user (ignoring"
	" case)', errcol = 'username' WHERE s.username IS NOT NULL"
	" AND s.err IS NULL AND " PROBE("lower(u.username) ="
	" lower(s.username) AND (NOT s.matched OR u.id <> s.uid)")
	" IS NOT NULL",
	"UPDATE imp_users s SET err = 'taken by another user (ignoring"
	" case)', errcol = 'email' WHERE s.email IS NOT NULL"
	" AND s.err IS NULL AND " PROBE("u.email IS NOT NULL AND"
	" lower(u.email) = lower(s.email)"
	" AND (NOT s.matched OR u.id <> s.uid)") " IS NOT NULL",
	"UPDATE imp_users SET err = 'required to create a user (none"
	" matched)', errcol = 'username' WHERE NOT matched"
	" AND username IS NULL AND err IS NULL AND $1::uuid IS NOT NULL",
	"UPDATE imp_gdefs d SET err = 'the id of another group',"
	" errcol = 'id' FROM groups g WHERE g.tenant_id = $1::uuid"
	" AND g.id = d.id AND (g.kind <> d.kind"
	" OR lower(g.code) <> lower(d.code)) AND d.err IS NULL",
	"UPDATE imp_rdefs d SET err = 'the id of another role',"
	" errcol = 'id' FROM roles r WHERE r.tenant_id = $1::uuid"
	" AND r.id = d.id AND lower(r.name) <> lower(d.name)"
	" AND d.err IS NULL",
};

/*
 * For rows that may not touch the roles of system administrators
 * (imp_opts.system_roles unset): a user assigned one, a definition of
 * one, is a row error, as the same change is 403 on every route.
 */
static const char *const imp_system_roles[] = {
	"UPDATE imp_users s SET err = 'a role of system administrators"
	" (isSystemAdmin): only a SystemAdmin assigns it', errcol = 'roles'"
	" FROM imp_uroles x JOIN roles r ON r.tenant_id = $1::uuid"
	" AND lower(r.name) = lower(x.name) AND r.is_system_admin"
	" WHERE x.line = s.line AND s.err IS NULL",
	"UPDATE imp_rdefs d SET err = 'a role of system administrators"
	" (isSystemAdmin): only a SystemAdmin changes it', errcol = 'name'"
	" FROM roles r WHERE r.tenant_id = $1::uuid AND r.is_system_admin"
	" AND (lower(r.name) = lower(d.name) OR r.id = d.id)"
	" AND d.err IS NULL",
};

/* The lists of a failed user are not written. */
static const char *const imp_failed_lists[] = {
	"DELETE FROM imp_members m USING imp_users s WHERE s.line = m.line"
	" AND s.err IS NOT NULL AND $1::uuid IS NOT NULL",
	"DELETE FROM imp_uroles m USING imp_users s WHERE s.line = m.line"
	" AND s.err IS NOT NULL AND $1::uuid IS NOT NULL",
};

/* The writes, in order; each one's row count goes to a counter. */
enum imp_counter {
	C_GROUPS_UPDATED, C_GROUPS_CREATED, C_ROLES_UPDATED, C_ROLES_CREATED,
	C_USERS_UPDATED, C_USERS_CREATED, C_MEMBERSHIPS, C_ASSIGNMENTS,
	C_NONE,
};

static const struct imp_write {
	int		 upsert_only;
	enum imp_counter counter;
	const char	*sql;
} imp_writes[] = {
	{ 1, C_GROUPS_UPDATED,
	  "UPDATE groups g SET name = coalesce(d.name, g.name),"
	  " description = coalesce(d.description, g.description),"
	  " updated_at = now(), updated_by = " IMP_ACTOR ","
	  " version = g.version + 1 FROM imp_gdefs d"
	  " WHERE g.tenant_id = $1::uuid AND g.kind = d.kind"
	  " AND lower(g.code) = lower(d.code) AND d.err IS NULL" },
	{ 0, C_GROUPS_CREATED,
	  "INSERT INTO groups (tenant_id, id, kind, code, name, description,"
	  " created_by, updated_by) SELECT $1::uuid,"
	  " coalesce(id, gen_random_uuid()), kind, code, coalesce(name, code),"
	  " description, " IMP_ACTOR ", " IMP_ACTOR " FROM imp_gdefs"
	  " WHERE err IS NULL ORDER BY line"
	  " ON CONFLICT (tenant_id, kind, lower(code)) DO NOTHING" },
	{ 0, C_GROUPS_CREATED,
	  "INSERT INTO groups (tenant_id, id, kind, code, name, created_by,"
	  " updated_by) SELECT $1::uuid, gen_random_uuid(), n.kind, n.code,"
	  " n.code, " IMP_ACTOR ", " IMP_ACTOR " FROM (SELECT DISTINCT ON"
	  " (kind, lower(code)) kind, code FROM imp_members"
	  " ORDER BY kind, lower(code), line) n WHERE NOT EXISTS (SELECT 1"
	  " FROM groups g WHERE g.tenant_id = $1::uuid AND g.kind = n.kind"
	  " AND lower(g.code) = lower(n.code))"
	  " ON CONFLICT (tenant_id, kind, lower(code)) DO NOTHING" },
	{ 1, C_ROLES_UPDATED,
	  "UPDATE roles r SET description = coalesce(d.description,"
	  " r.description), updated_at = now(), version = r.version + 1"
	  " FROM imp_rdefs d WHERE r.tenant_id = $1::uuid"
	  " AND lower(r.name) = lower(d.name) AND d.err IS NULL" },
	{ 0, C_ROLES_CREATED,
	  "INSERT INTO roles (tenant_id, id, name, description)"
	  " SELECT $1::uuid, coalesce(id, gen_random_uuid()), name,"
	  " description FROM imp_rdefs WHERE err IS NULL ORDER BY line"
	  " ON CONFLICT (tenant_id, lower(name)) DO NOTHING" },
	{ 0, C_ROLES_CREATED,
	  "INSERT INTO roles (tenant_id, id, name) SELECT $1::uuid,"
	  " gen_random_uuid(), n.name FROM (SELECT DISTINCT ON (lower(name))"
	  " name FROM imp_uroles ORDER BY lower(name), line) n"
	  " WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.tenant_id ="
	  " $1::uuid AND lower(r.name) = lower(n.name))"
	  " ON CONFLICT (tenant_id, lower(name)) DO NOTHING" },
	{ 1, C_USERS_UPDATED,
	  "UPDATE users u SET username = coalesce(s.username, u.username),"
	  " email = coalesce(s.email, u.email),"
	  " first_name = coalesce(s.first_name, u.first_name),"
	  " last_name = coalesce(s.last_name, u.last_name),"
	  " display_name = coalesce(s.display_name, u.display_name),"
	  " title = coalesce(s.title, u.title),"
	  " phone = coalesce(s.phone, u.phone),"
	  " external_id = coalesce(s.external_id, u.external_id),"
	  " locale = coalesce(s.locale, u.locale),"
	  " time_zone = coalesce(s.time_zone, u.time_zone),"
	  " is_active = coalesce(s.active, u.is_active),"
	  " verified = coalesce(s.verified, u.verified),"
	  " locked = coalesce(s.locked, u.locked),"
	  " must_change_password = coalesce(s.must_change,"
	  " u.must_change_password),"
	  " password = coalesce(s.password, u.password),"
	  " updated_at = now(), updated_by = " IMP_ACTOR ","
	  " version = u.version + 1 FROM imp_users s"
	  " WHERE u.tenant_id = $1::uuid AND u.id = s.uid AND s.matched"
	  " AND s.err IS NULL" },
	{ 0, C_USERS_CREATED,
	  "INSERT INTO users (tenant_id, id, username, email, first_name,"
	  " last_name, display_name, title, phone, external_id, locale,"
	  " time_zone, is_active, verified, locked, must_change_password,"
	  " password, created_by, updated_by) SELECT $1::uuid, uid, username,"
	  " email, first_name, last_name, display_name, title, phone,"
	  " external_id, locale, time_zone, coalesce(active, true),"
	  " coalesce(verified, false), coalesce(locked, false),"
	  " coalesce(must_change, false), password, " IMP_ACTOR ", " IMP_ACTOR ""
	  " FROM imp_users WHERE err IS NULL AND NOT matched ORDER BY line" },
	/* a new user's memberships cannot exist: no ON CONFLICT for them */
	{ 0, C_MEMBERSHIPS,
	  "INSERT INTO group_members (tenant_id, group_id, user_id, added_by)"
	  " SELECT DISTINCT $1::uuid, g.id, s.uid, " IMP_ACTOR ""
	  " FROM imp_members m JOIN imp_users s ON s.line = m.line"
	  " AND NOT s.matched JOIN groups g ON g.tenant_id = $1::uuid"
	  " AND g.kind = m.kind AND lower(g.code) = lower(m.code)" },
	{ 1, C_MEMBERSHIPS,
	  "INSERT INTO group_members (tenant_id, group_id, user_id, added_by)"
	  " SELECT $1::uuid, g.id, s.uid, " IMP_ACTOR " FROM imp_members m"
	  " JOIN imp_users s ON s.line = m.line AND s.matched JOIN groups g"
	  " ON g.tenant_id = $1::uuid AND g.kind = m.kind"
	  " AND lower(g.code) = lower(m.code) ON CONFLICT DO NOTHING" },
	{ 0, C_ASSIGNMENTS,
	  "INSERT INTO role_assignments (tenant_id, user_id, role_id,"
	  " created_by) SELECT DISTINCT $1::uuid, s.uid, r.id, " IMP_ACTOR ""
	  " FROM imp_uroles x JOIN imp_users s ON s.line = x.line"
	  " AND NOT s.matched JOIN roles r ON r.tenant_id = $1::uuid"
	  " AND lower(r.name) = lower(x.name)" },
	{ 1, C_ASSIGNMENTS,
	  "INSERT INTO role_assignments (tenant_id, user_id, role_id,"
	  " created_by) SELECT $1::uuid, s.uid, r.id, " IMP_ACTOR ""
	  " FROM imp_uroles x JOIN imp_users s ON s.line = x.line"
	  " AND s.matched JOIN roles r ON r.tenant_id = $1::uuid"
	  " AND lower(r.name) = lower(x.name) ON CONFLICT DO NOTHING" },
};

static const char imp_errors_sql[] =
    "SELECT line, errcol, err FROM imp_users WHERE err IS NOT NULL"
    " UNION ALL SELECT line, errcol, err FROM imp_gdefs"
    " WHERE err IS NOT NULL UNION ALL SELECT line, errcol, err"
    " FROM imp_rdefs WHERE err IS NOT NULL";

static const char imp_run_find[] =
    "SELECT id, state, rows_done, last_line, users_created, users_updated,"
    " groups_created, groups_updated, roles_created, roles_updated,"
    " memberships_added, role_assignments_added, errors,"
    " to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS TZ')"
    " FROM import_runs WHERE tenant_id = $1::uuid"
    " AND file_sha256 = decode($2, 'hex') AND file_size = $3::bigint"
    " AND mode = $4 AND match IS NOT DISTINCT FROM $5"
    " AND state <> 'abandoned' ORDER BY started_at DESC LIMIT 1";

static const char imp_run_by_id[] =
    "SELECT id, state, rows_done, last_line, users_created, users_updated,"
    " groups_created, groups_updated, roles_created, roles_updated,"
    " memberships_added, role_assignments_added, errors, byte_offset"
    " FROM import_runs WHERE tenant_id = $1::uuid AND id = $2::uuid";

static const char imp_run_abandon[] =
    "UPDATE import_runs SET state = 'abandoned', updated_at = now()"
    " WHERE tenant_id = $1::uuid AND id = $2::uuid AND state = 'running'";

static const char imp_run_insert[] =
    "INSERT INTO import_runs (tenant_id, id, file_name, file_sha256,"
    " file_size, format, mode, match) VALUES ($1::uuid, $2::uuid, $3,"
    " decode($4, 'hex'), $5::bigint, $6, $7, $8)";

/* One session per file, tenant and mode at a time ($1 tenant, $2 sha). */
static const char imp_run_trylock[] =
    "SELECT pg_try_advisory_lock(hashtext('rosterctl import ' || $1"
    " || $2 || $3 || $4 || coalesce($5, '')))";
static const char imp_run_lock[] =
    "SELECT pg_advisory_lock(hashtext('rosterctl import ' || $1"
    " || $2 || $3 || $4 || coalesce($5, '')))";

static const char imp_run_step[] =
    "UPDATE import_runs SET rows_done = $3::bigint,"
    " last_line = $4::bigint, byte_offset = $5::bigint,"
    " users_created = users_created + $6::bigint,"
    " users_updated = users_updated + $7::bigint,"
    " groups_created = groups_created + $8::bigint,"
    " groups_updated = groups_updated + $9::bigint,"
    " roles_created = roles_created + $10::bigint,"
    " roles_updated = roles_updated + $11::bigint,"
    " memberships_added = memberships_added + $12::bigint,"
    " role_assignments_added = role_assignments_added + $13::bigint,"
    " errors = errors + $14::bigint, updated_at = now()"
    " WHERE tenant_id = $1::uuid AND id = $2::uuid AND state = 'running'";

static const char imp_run_finish[] =
    "WITH r AS (UPDATE import_runs SET state = 'done', finished_at = now(),"
    " updated_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid"
    " AND state = 'running' RETURNING *)"
    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
    " target_id, request_id, detail) SELECT tenant_id, " IMP_ACTOR ","
    " 'user.import', 'import', id,"
    " nullif(current_setting('rosterd.import_request_id', true), ''),"
    " jsonb_build_object('file', file_name,"
    " 'sha256', encode(file_sha256, 'hex'), 'size', file_size,"
    " 'format', format, 'mode', mode, 'match', match,"
    " 'rows', rows_done, 'usersCreated', users_created,"
    " 'usersUpdated', users_updated, 'groupsCreated', groups_created,"
    " 'groupsUpdated', groups_updated, 'rolesCreated', roles_created,"
    " 'rolesUpdated', roles_updated,"
    " 'membershipsAdded', memberships_added,"
    " 'roleAssignmentsAdded', role_assignments_added,"
    " 'errors', errors, 'atomic', $3::boolean) FROM r";

/* ---- the database ---- */

/* imp_db.sqlstate when the row errors could not be written */
#define IMP_WRITE_FAILED	"58030"

struct imp_db {
	PGconn		*c;
	const char	*tenant;
	char		 errmsg[512];
	char		 sqlstate[6];
};

/* Runs sql with params; NULL after noting the database's message. */
static PGresult *
imp_exec(struct imp_db *d, const char *sql, int n,
    const char *const *params, ExecStatusType want)
{
	PGresult *r = PQexecParams(d->c, sql, n, NULL, params, NULL, NULL, 0);
	const char *m, *s;

	if (PQresultStatus(r) == want)
		return r;
	m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	s = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (m == NULL)
		m = PQerrorMessage(d->c);
	snprintf(d->errmsg, sizeof(d->errmsg), "%.*s", (int)strcspn(m, "\n"),
	    m);
	snprintf(d->sqlstate, sizeof(d->sqlstate), "%s", s ? s : "");
	PQclear(r);
	return NULL;
}

static int
imp_cmd(struct imp_db *d, const char *sql)
{
	const char *p[1] = { d->tenant };
	PGresult *r = imp_exec(d, sql, strstr(sql, "$1") ? 1 : 0, p,
	    PGRES_COMMAND_OK);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

static long long
imp_write(struct imp_db *d, const char *sql)
{
	const char *p[1] = { d->tenant };
	PGresult *r = imp_exec(d, sql, 1, p, PGRES_COMMAND_OK);
	long long n;

	if (r == NULL)
		return -1;
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

static int
imp_copy_in(struct imp_db *d, const char *sql, const struct buf *b)
{
	PGresult *r = imp_exec(d, sql, 0, NULL, PGRES_COPY_IN);
	size_t off = 0, n;

	if (r == NULL)
		return -1;
	PQclear(r);
	while (off < b->len) {
		n = b->len - off > (1 << 20) ? (1 << 20) : b->len - off;
		if (PQputCopyData(d->c, b->p + off, (int)n) != 1)
			break;
		off += n;
	}
	if (PQputCopyEnd(d->c, off < b->len ? "send failed" : NULL) != 1) {
		snprintf(d->errmsg, sizeof(d->errmsg), "%s",
		    PQerrorMessage(d->c));
		return -1;
	}
	r = PQgetResult(d->c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *m = PQresultErrorField(r,
		    PG_DIAG_MESSAGE_PRIMARY);

		snprintf(d->errmsg, sizeof(d->errmsg), "COPY: %s",
		    m ? m : PQerrorMessage(d->c));
		PQclear(r);
		while ((r = PQgetResult(d->c)) != NULL)
			PQclear(r);
		return -1;
	}
	PQclear(r);
	while ((r = PQgetResult(d->c)) != NULL)
		PQclear(r);
	return 0;
}

/* ---- sources ---- */

/*
 * A row with no value in any cell: a line of commas, or a row a
 * spreadsheet keeps for its formatting alone.  It is no record: skipped,
 * as a blank line is.
 */
static int
row_blank(const struct table_row *row)
{
	size_t i;

	for (i = 0; i < row->n; i++)
		if (!fmt_all_space(row->cells[i].v, row->cells[i].len))
			return 0;
	return 1;
}

static int
src_next(struct imp_source *s, struct arena *a, struct imp_rec *r,
    char *err, size_t errlen)
{
	struct table_row row;
	int rc;

	if (s->format == FMT_KEYCLOAK || s->format == FMT_JSONL ||
	    s->format == FMT_AUTH0) {
		rc = s->format == FMT_KEYCLOAK ? kc_next(s->k, a, r, err,
		    errlen) : jsonl_next(s->j, a, r, err, errlen);
		if (rc == 1 && r->warn != NULL && s->warnf != NULL)
			fprintf(s->warnf, "%s:%ld: warning: %s\n", s->fname,
			    r->line, r->warn);
		return rc;
	}
	while ((rc = table_next(s->t, &row, err, errlen)) == 1 &&
	    row_blank(&row))
		;
	if (rc != 1)
		return rc;
	imp_row_record(a, &s->h, &row, r);
	return 1;
}

static void
src_progress(const struct imp_source *s, long long *done, long long *total)
{
	if (s->format == FMT_KEYCLOAK)
		kc_progress(s->k, done, total);
	else if (s->format == FMT_JSONL || s->format == FMT_AUTH0)
		jsonl_progress(s->j, done, total);
	else
		table_progress(s->t, done, total);
}

static void
src_close(struct imp_source *s)
{
	if (s->format == FMT_KEYCLOAK)
		kc_close(s->k);
	else if (s->format == FMT_JSONL || s->format == FMT_AUTH0)
		jsonl_close(s->j);
	else
		table_close(s->t);
	s->k = NULL;
	s->j = NULL;
	s->t = NULL;
}

/* Opens the file and, for a table, reads its header. */
static int
src_open(struct imp_source *s, const char *path, int format, char *err,
    size_t errlen)
{
	struct table_row row;
	int rc;

	memset(s, 0, sizeof(*s));
	s->format = format;
	if (format == FMT_KEYCLOAK)
		return (s->k = kc_open(path, err, errlen)) != NULL ? 0 : -1;
	if (format == FMT_JSONL || format == FMT_AUTH0) {
		if ((s->j = jsonl_open(path, err, errlen)) == NULL)
			return -1;
		if (format == FMT_AUTH0)
			jsonl_set_map(s->j, auth0_record, &s->notes);
		return 0;
	}
	s->t = format == FMT_XLSX ? table_open_xlsx(path, err, errlen) :
	    table_open_csv(path, err, errlen);
	if (s->t == NULL)
		return -1;
	rc = table_next(s->t, &row, err, errlen);
	if (rc == 0)
		snprintf(err, errlen, "%s: no header row", path);
	if (rc != 1 || imp_header_parse(&row, &s->h, err, errlen) != 0) {
		src_close(s);
		return -1;
	}
	if (s->h.col[IF_USERNAME] == 0 && s->h.col[IF_ID] == 0 &&
	    s->h.col[IF_EMAIL] == 0) {
		snprintf(err, errlen, "%s: no username column", path);
		src_close(s);
		return -1;
	}
	return 0;
}

/*
 * A table is read once through before anything is written: a file that
 * is not well-formed (a quote never closed, bad UTF-8, a cell too long)
 * is refused as a whole.  *rows: its data rows.
 */
static int
src_prescan(const char *path, int format, long long *rows, char *err,
    size_t errlen)
{
	struct imp_source s;
	struct table_row row;
	int rc;

	*rows = 0;
	if (format == FMT_JSONL || format == FMT_AUTH0)
		return 0;
	if (src_open(&s, path, format, err, errlen) != 0)
		return -1;
	if (format == FMT_KEYCLOAK) {	/* one document: checked whole */
		struct arena *a = arena_new(0);
		struct imp_rec r;

		while ((rc = kc_next(s.k, a, &r, err, errlen)) == 1) {
			(*rows)++;
			arena_reset(a);
		}
		arena_free(a);
		src_close(&s);
		return rc;
	}
	while ((rc = table_next(s.t, &row, err, errlen)) == 1)
		*rows += !row_blank(&row);
	src_close(&s);
	return rc;
}

static int
file_sha256(const char *path, char hex[65], long long *size, char *err,
    size_t errlen)
{
	unsigned char md[32], *blk;
	EVP_MD_CTX *ctx;
	FILE *f;
	size_t n;
	int i, ok;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	blk = xmalloc(1 << 20);
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	*size = 0;
	while (ok && (n = fread(blk, 1, 1 << 20, f)) > 0) {
		ok = EVP_DigestUpdate(ctx, blk, n) == 1;
		*size += (long long)n;
	}
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	free(blk);
	fclose(f);
	if (!ok) {
		snprintf(err, errlen, "%s: cannot read it through", path);
		return -1;
	}
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* ---- batches ---- */

static void
batch_init(struct imp_batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->users, NULL);
	buf_init(&b->members, NULL);
	buf_init(&b->uroles, NULL);
	buf_init(&b->gdefs, NULL);
	buf_init(&b->rdefs, NULL);
}

static void
batch_clear_errs(struct imp_batch *b)
{
	size_t i;

	for (i = 0; i < b->nerrs; i++) {
		free(b->errs[i].field);
		free(b->errs[i].msg);
	}
	b->nerrs = 0;
}

static void
batch_reset(struct imp_batch *b)
{
	buf_reset(&b->users);
	buf_reset(&b->members);
	buf_reset(&b->uroles);
	buf_reset(&b->gdefs);
	buf_reset(&b->rdefs);
	b->nusers = b->ngdefs = b->nrdefs = 0;
	b->records = 0;
	b->printed = 0;
	batch_clear_errs(b);
}

static void
batch_free(struct imp_batch *b)
{
	batch_clear_errs(b);
	free(b->errs);
	buf_release(&b->users);
	buf_release(&b->members);
	buf_release(&b->uroles);
	buf_release(&b->gdefs);
	buf_release(&b->rdefs);
}

static void
batch_err(struct imp_batch *b, long line, int col, const char *field,
    const char *msg)
{
	struct imp_row_err *e;

	if (b->nerrs == b->errcap) {
		b->errcap = b->errcap ? b->errcap * 2 : 64;
		b->errs = xrealloc(b->errs, b->errcap * sizeof(*b->errs));
	}
	e = &b->errs[b->nerrs++];
	e->line = line;
	e->col = col;
	e->field = field != NULL ? xstrdup(field) : NULL;
	e->msg = xstrdup(msg);
}

/* Stages record r (checked) in b, or its errors. */
static void
batch_add(struct imp_batch *b, const struct imp_rec *r)
{
	char lnum[24], uid[UUID_STR_LEN + 1];
	const struct imp_val *f = r->f;
	size_t i;

	b->records++;
	b->last_line = r->line;
	if (r->nerrs > 0) {
		for (i = 0; i < r->nerrs; i++)
			batch_err(b, r->line, r->errs[i].col,
			    r->errs[i].field >= 0 ?
			    imp_field_name(r->errs[i].field) : NULL,
			    r->errs[i].msg);
		return;
	}
	snprintf(lnum, sizeof(lnum), "%ld\t", r->line);
	if (r->kind == IMP_GROUP) {
		buf_puts(&b->gdefs, lnum);
		copy_str(&b->gdefs, r->canon_id, '\t');
		copy_str(&b->gdefs, f[IF_KIND].v, '\t');
		copy_val(&b->gdefs, f[IF_CODE].v, f[IF_CODE].len, '\t');
		copy_val(&b->gdefs, f[IF_NAME].v, f[IF_NAME].len, '\t');
		copy_val(&b->gdefs, f[IF_DESCRIPTION].v,
		    f[IF_DESCRIPTION].len, '\n');
		b->ngdefs++;
		return;
	}
	if (r->kind == IMP_ROLE) {
		buf_puts(&b->rdefs, lnum);
		copy_str(&b->rdefs, r->canon_id, '\t');
		copy_val(&b->rdefs, f[IF_NAME].v, f[IF_NAME].len, '\t');
		copy_val(&b->rdefs, f[IF_DESCRIPTION].v,
		    f[IF_DESCRIPTION].len, '\n');
		b->nrdefs++;
		return;
	}
	if (r->canon_id != NULL)
		memcpy(uid, r->canon_id, sizeof(uid));
	else
		uuid_new(uid);
	buf_puts(&b->users, lnum);
	copy_str(&b->users, r->canon_id, '\t');
	copy_str(&b->users, uid, '\t');
	for (i = IF_USERNAME; i <= IF_TIME_ZONE; i++)
		copy_val(&b->users, f[i].v, f[i].len, '\t');
	for (i = 0; i < 4; i++)
		copy_bool(&b->users, r->bools[i], '\t');
	copy_val(&b->users, f[IF_PASSWORD].v, f[IF_PASSWORD].len, '\n');
	b->nusers++;
	for (i = 0; i < r->ngroups; i++) {
		buf_puts(&b->members, lnum);
		copy_str(&b->members, r->groups[i].kind, '\t');
		copy_str(&b->members, r->groups[i].code, '\n');
	}
	for (i = 0; i < r->nroles; i++) {
		buf_puts(&b->uroles, lnum);
		copy_str(&b->uroles, r->roles[i], '\n');
	}
}

static int
err_cmp(const void *x, const void *y)
{
	const struct imp_row_err *a = x, *b = y;

	return a->line < b->line ? -1 : a->line > b->line ? 1 :
	    a->col - b->col;
}

/* ---- the run ---- */

struct imp_run {
	struct imp_opts	*o;
	struct imp_db	 db;
	struct imp_source src;
	const char	*fname;		/* the file's base name */
	char		 run_id[UUID_STR_LEN + 1];
	int		 have_run;
	long long	 rows_done;	/* records in committed batches */
	long long	 rows_base;	/* of them, by earlier sessions */
	long		 last_line;
	struct imp_counts total;	/* with the earlier sessions' */
	struct imp_counts session;
	long long	 session_rows;
	long long	 analyze_at;	/* rows written, for the next ANALYZE */
	FILE		*errf;
	int		 tty;
	struct timespec	 t0, last_shown;
	long long	 bytes0;
	long long	 bytes_done;	/* of the file, to the last batch written */
	long long	 bytes_total;
	const struct imp_hooks *hooks;	/* a job's, or NULL */
	char		*msg;		/* a job's: the last message */
	size_t		 msglen;
};

/*
 * A message of the run: on standard error for rosterctl, kept in
 * run->msg for a job.
 */
static void
imp_say(struct imp_run *run, const char *fmt, ...) RS_PRINTF(2, 3);

static void
imp_say(struct imp_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (run->hooks != NULL)
		vsnprintf(run->msg, run->msglen, fmt, ap);
	else {
		fputs("rosterctl: import: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static double
since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void
progress(struct imp_run *run, int final)
{
	long long done, total;
	double t = since(&run->t0), rate, pct, eta;
	char line[160];

	if (run->o->quiet)
		return;
	if (!final && since(&run->last_shown) < (run->tty ? 0.25 : 5.0))
		return;
	clock_gettime(CLOCK_MONOTONIC, &run->last_shown);
	done = run->bytes_done;		/* the reader may be ahead */
	total = run->bytes_total;
	rate = t > 0 ? (double)run->session_rows / t : 0;
	pct = total > 0 ? 100.0 * (double)done / (double)total : 100.0;
	eta = done > run->bytes0 && t > 0 ? t * (double)(total - done) /
	    (double)(done - run->bytes0) : 0;
	snprintf(line, sizeof(line), "%lld rows, %.0f rows/s, %.1f%%, "
	    "ETA %ld:%02ld", run->rows_base + run->session_rows, rate, pct,
	    (long)eta / 60, (long)eta % 60);
	if (run->tty) {
		int width = 30, fill = (int)(pct * width / 100);

		fprintf(stderr, "\r[%.*s%*s] %s\033[K", fill,
		    "##############################", width - fill, "",
		    line);
		if (final)
			fputc('\n', stderr);
	} else
		fprintf(stderr, "rosterctl: import: %s\n", line);
}

static int
print_errors(struct imp_run *run, struct imp_batch *b)
{
	FILE *f = run->errf != NULL ? run->errf : stderr;
	size_t i;

	if (b->nerrs > 1)	/* errs is NULL for none: not for qsort */
		qsort(b->errs, b->nerrs, sizeof(*b->errs), err_cmp);
	if (run->hooks != NULL)
		return b->nerrs == 0 ? 0 : run->hooks->errors(run->hooks->ctx,
		    b->errs, b->nerrs);
	if (run->tty && run->errf == NULL && b->nerrs > 0)
		fputs("\r\033[K", stderr);
	for (i = 0; i < b->nerrs; i++) {
		const struct imp_row_err *e = &b->errs[i];

		fprintf(f, "%s:%ld:", run->fname, e->line);
		if (e->col > 0)
			fprintf(f, "%d:", e->col);
		fprintf(f, " %s%s%s\n", e->field ? e->field : "",
		    e->field ? ": " : "", e->msg);
	}
	/*
	 * Errors that cannot be written fail their batch, which is not
	 * retried (an I/O error, not the database's): never lost.
	 */
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(run->db.errmsg, sizeof(run->db.errmsg),
		    "the row errors cannot be written to %s",
		    run->errf != NULL ? run->o->errors_path : "standard error");
		strcpy(run->db.sqlstate, IMP_WRITE_FAILED);
		return -1;
	}
	return 0;
}

/* The SQL-found errors of the staged batch, into b. */
static int
fetch_errors(struct imp_run *run, struct imp_batch *b, long long *n)
{
	PGresult *r = imp_exec(&run->db, imp_errors_sql, 0, NULL,
	    PGRES_TUPLES_OK);
	int i, f, col;

	if (r == NULL)
		return -1;
	*n = PQntuples(r);
	for (i = 0; i < PQntuples(r); i++) {
		const char *field = PQgetvalue(r, i, 1);

		f = imp_field_find(field, strlen(field));
		col = f >= 0 && run->src.format != FMT_JSONL ?
		    run->src.h.col[f] : 0;
		batch_err(b, strtol(PQgetvalue(r, i, 0), NULL, 10), col,
		    field, PQgetvalue(r, i, 2));
	}
	PQclear(r);
	return 0;
}

static const char *
imp_counter_str(char s[24], long long v)
{
	snprintf(s, 24, "%lld", v);
	return s;
}

/*
 * Stages and writes batch b in the open transaction: the counts go to
 * *c, the SQL-found row errors to b.  -1 on a database failure.
 */
static int
batch_write(struct imp_run *run, struct imp_batch *b, struct imp_counts *c)
{
	struct imp_db *d = &run->db;
	const struct buf *bufs[5] = {
		&b->users, &b->members, &b->uroles, &b->gdefs, &b->rdefs,
	};
	long long n, *ctr[C_NONE] = {
		&c->groups_updated, &c->groups_created, &c->roles_updated,
		&c->roles_created, &c->users_updated, &c->users_created,
		&c->memberships, &c->assignments,
	};
	size_t i;

	memset(c, 0, sizeof(*c));
	if (imp_cmd(d, imp_truncate) != 0)
		return -1;
	for (i = 0; i < 5; i++)
		if (bufs[i]->len > 0 && imp_copy_in(d, imp_copy[i],
		    bufs[i]) != 0)
			return -1;
	/* the planner's estimates of the staged rows, for the joins */
	if (imp_cmd(d, imp_analyze) != 0)
		return -1;
	for (i = 0; i < RS_ARRAY_LEN(imp_user_dups); i++)
		if (imp_cmd(d, imp_user_dups[i]) != 0)
			return -1;
	if (run->o->upsert && imp_cmd(d, imp_match[run->o->match]) != 0)
		return -1;
	for (i = 0; i < RS_ARRAY_LEN(imp_conflicts); i++)
		if (imp_cmd(d, imp_conflicts[i]) != 0)
			return -1;
	for (i = 0; !run->o->system_roles &&
	    i < RS_ARRAY_LEN(imp_system_roles); i++)
		if (imp_cmd(d, imp_system_roles[i]) != 0)
			return -1;
	for (i = 0; i < RS_ARRAY_LEN(imp_failed_lists); i++)
		if (imp_cmd(d, imp_failed_lists[i]) != 0)
			return -1;
	for (i = 0; i < RS_ARRAY_LEN(imp_writes); i++) {
		if (imp_writes[i].upsert_only && !run->o->upsert)
			continue;
		if ((n = imp_write(d, imp_writes[i].sql)) < 0)
			return -1;
		*ctr[imp_writes[i].counter] += n;
	}
	if (fetch_errors(run, b, &n) != 0)
		return -1;
	c->errors = (long long)b->nerrs;
	return 0;
}

static void
counts_add(struct imp_counts *to, const struct imp_counts *c)
{
	to->users_created += c->users_created;
	to->users_updated += c->users_updated;
	to->groups_created += c->groups_created;
	to->groups_updated += c->groups_updated;
	to->roles_created += c->roles_created;
	to->roles_updated += c->roles_updated;
	to->memberships += c->memberships;
	to->assignments += c->assignments;
	to->errors += c->errors;
}

static int
checkpoint(struct imp_run *run, const struct imp_batch *b,
    const struct imp_counts *c)
{
	char v[14][24];
	const char *p[14];
	PGresult *r;
	int i;

	p[0] = run->db.tenant;
	p[1] = run->run_id;
	p[2] = imp_counter_str(v[2], run->rows_done + b->records);
	p[3] = imp_counter_str(v[3], b->last_line);
	p[4] = imp_counter_str(v[4], b->bytes);
	p[5] = imp_counter_str(v[5], c->users_created);
	p[6] = imp_counter_str(v[6], c->users_updated);
	p[7] = imp_counter_str(v[7], c->groups_created);
	p[8] = imp_counter_str(v[8], c->groups_updated);
	p[9] = imp_counter_str(v[9], c->roles_created);
	p[10] = imp_counter_str(v[10], c->roles_updated);
	p[11] = imp_counter_str(v[11], c->memberships);
	p[12] = imp_counter_str(v[12], c->assignments);
	p[13] = imp_counter_str(v[13], c->errors);
	if ((r = imp_exec(&run->db, imp_run_step, 14, p,
	    PGRES_COMMAND_OK)) == NULL)
		return -1;
	i = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!i)
		snprintf(run->db.errmsg, sizeof(run->db.errmsg), "the run's "
		    "checkpoint row is gone or was abandoned");
	return i ? 0 : -1;
}

static int
transient(const struct imp_db *d)
{
	return strcmp(d->sqlstate, "40001") == 0 ||
	    strcmp(d->sqlstate, "40P01") == 0 ||
	    strcmp(d->sqlstate, "23505") == 0;
}

/*
 * ANALYZEs the tables a run fills.  Until autovacuum's next ANALYZE,
 * minutes away, the planner takes a tenant that was new when last
 * analyzed for nearly empty: it may look a staged row up through the
 * primary key's tenant prefix, reading every user of the tenant for each
 * row (a million-user import would never end), and rosterd's own
 * statements on that tenant get plans for a few rows.  A run ANALYZEs
 * after its first batch and each time the rows it wrote have doubled
 * (a few times in all: ANALYZE samples, in a fraction of a second
 * whatever the size), and once more at its end.  A failure only leaves
 * it to autovacuum.
 */
static void
analyze(struct imp_run *run)
{
	if (imp_cmd(&run->db, "ANALYZE users, group_members, "
	    "role_assignments, groups, roles") != 0)
		log_warn("import: ANALYZE failed (autovacuum will do it): %s",
		    run->db.errmsg);
}

static void
analyze_as_it_grows(struct imp_run *run)
{
	long long w = run->session.users_created +
	    run->session.memberships + run->session.assignments;

	if (w > 0 && w >= run->analyze_at) {
		analyze(run);
		run->analyze_at = 2 * w;
	}
}

/*
 * Writes batch b: in its own transaction with the checkpoint (retried
 * when a concurrent writer got in the way), or, with --atomic and
 * --dry-run, inside the run's one transaction.
 */
static int
batch_commit(struct imp_run *run, struct imp_batch *b)
{
	struct imp_counts c;
	int tries;
	size_t nc_errs = b->nerrs;

	if (run->o->atomic || run->o->dry_run) {
		/* the run's row counts (and so its audit row) too */
		if (batch_write(run, b, &c) != 0 ||
		    (!run->o->dry_run && checkpoint(run, b, &c) != 0))
			return -1;
		counts_add(&run->session, &c);
		return 0;
	}
	for (tries = 0; ; tries++) {
		/*
		 * The batch's errors are reported before it commits: a kill
		 * between the two would otherwise lose them for good (the
		 * resumed run skips these rows).  A retry or a resumed run
		 * may report them again: at least once, never lost.
		 */
		if (imp_cmd(&run->db, "BEGIN") == 0 &&
		    batch_write(run, b, &c) == 0 &&
		    checkpoint(run, b, &c) == 0 &&
		    print_errors(run, b) == 0 && (b->printed = 1) &&
		    imp_cmd(&run->db, "COMMIT") == 0)
			break;
		if (PQtransactionStatus(run->db.c) != PQTRANS_IDLE) {
			PGresult *r = PQexec(run->db.c, "ROLLBACK");

			PQclear(r);
		}
		while (b->nerrs > nc_errs) {	/* found by SQL: again */
			b->nerrs--;
			free(b->errs[b->nerrs].field);
			free(b->errs[b->nerrs].msg);
		}
		if (!transient(&run->db) || tries + 1 == IMP_TRIES)
			return -1;
	}
	counts_add(&run->session, &c);
	return 0;
}

/* The committed progress of the run of row r (imp_run_find's columns). */
static void
run_load(struct imp_run *run, const PGresult *r)
{
	long long *t[] = {
		&run->total.users_created, &run->total.users_updated,
		&run->total.groups_created, &run->total.groups_updated,
		&run->total.roles_created, &run->total.roles_updated,
		&run->total.memberships, &run->total.assignments,
		&run->total.errors,
	};
	size_t i;

	snprintf(run->run_id, sizeof(run->run_id), "%s", PQgetvalue(r, 0, 0));
	run->rows_done = run->rows_base = strtoll(PQgetvalue(r, 0, 2), NULL,
	    10);
	run->last_line = strtol(PQgetvalue(r, 0, 3), NULL, 10);
	for (i = 0; i < RS_ARRAY_LEN(t); i++)
		*t[i] = strtoll(PQgetvalue(r, 0, 4 + (int)i), NULL, 10);
	run->have_run = 1;
}

/*
 * A job's run (o->run_id): resumed when it is running, finished (1)
 * when it is done, made with that id when there is none.
 */
static int
run_begin_id(struct imp_run *run, const char *const *p)
{
	const char *q[2] = { run->db.tenant, run->o->run_id };
	PGresult *r;
	int done;

	if ((r = imp_exec(&run->db, imp_run_by_id, 2, q,
	    PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	done = strcmp(PQgetvalue(r, 0, 1), "done") == 0;
	if (strcmp(PQgetvalue(r, 0, 1), "abandoned") == 0) {
		snprintf(run->db.errmsg, sizeof(run->db.errmsg), "the run was "
		    "abandoned");
		snprintf(run->db.sqlstate, sizeof(run->db.sqlstate), "P0001");
		PQclear(r);
		return -1;
	}
	run_load(run, r);
	run->bytes_done = strtoll(PQgetvalue(r, 0, 13), NULL, 10);
	PQclear(r);
	(void)p;
	return done;
}

/* Finds (or starts) the run of this file; 1 when it is finished. */
static int
run_begin(struct imp_run *run, const char *sha, long long size)
{
	struct imp_opts *o = run->o;
	char sizestr[24];
	const char *p[8];
	PGresult *r;
	int done = 0;

	snprintf(sizestr, sizeof(sizestr), "%lld", size);
	p[0] = run->db.tenant;
	p[1] = sha;
	p[2] = sizestr;
	p[3] = o->upsert ? "upsert" : "create";
	p[4] = o->match >= 0 ? match_names[o->match] : NULL;
	if (o->run_id != NULL && !o->atomic) {
		/*
		 * One session a file, as below, but the run is the job's; a
		 * wait past lock_timeout fails the attempt (tried again).
		 */
		if (imp_cmd(&run->db, "SET lock_timeout = '60s'") != 0 ||
		    (r = imp_exec(&run->db, imp_run_lock, 5, p,
		    PGRES_TUPLES_OK)) == NULL)
			return -1;
		PQclear(r);
		if (imp_cmd(&run->db, "SET lock_timeout = 0") != 0)
			return -1;
		if ((done = run_begin_id(run, p)) != 0)
			return done;
	} else if (!o->atomic) {
		/*
		 * A killed rosterctl's server session may still be finishing
		 * its statement: wait for it (lock_timeout bounds the wait).
		 */
		if ((r = imp_exec(&run->db, imp_run_trylock, 5, p,
		    PGRES_TUPLES_OK)) == NULL)
			return -1;
		done = strcmp(PQgetvalue(r, 0, 0), "t") != 0;
		PQclear(r);
		if (done) {
			if (!o->quiet)
				imp_say(run, "waiting for another session "
				    "importing this file to end");
			if (imp_cmd(&run->db, "SET lock_timeout = '10min'") != 0)
				return -1;
			if ((r = imp_exec(&run->db, imp_run_lock, 5, p,
			    PGRES_TUPLES_OK)) == NULL)
				return -1;
			PQclear(r);
			if (imp_cmd(&run->db, "SET lock_timeout = 0") != 0)
				return -1;
			done = 0;
		}
		if ((r = imp_exec(&run->db, imp_run_find, 5, p,
		    PGRES_TUPLES_OK)) == NULL)
			return -1;
		if (PQntuples(r) == 1 && !o->restart) {
			long long *t[] = {
				&run->total.users_created,
				&run->total.users_updated,
				&run->total.groups_created,
				&run->total.groups_updated,
				&run->total.roles_created,
				&run->total.roles_updated,
				&run->total.memberships,
				&run->total.assignments, &run->total.errors,
			};
			size_t i;

			snprintf(run->run_id, sizeof(run->run_id), "%s",
			    PQgetvalue(r, 0, 0));
			done = strcmp(PQgetvalue(r, 0, 1), "done") == 0;
			run->rows_done = run->rows_base =
			    strtoll(PQgetvalue(r, 0, 2), NULL, 10);
			run->last_line = strtol(PQgetvalue(r, 0, 3), NULL, 10);
			for (i = 0; i < RS_ARRAY_LEN(t); i++)
				*t[i] = strtoll(PQgetvalue(r, 0, 4 + (int)i),
				    NULL, 10);
			if (done)
				imp_say(run, "%s was imported into this tenant "
				    "already (run %s, finished %s); --restart "
				    "imports it again", o->path, run->run_id,
				    PQgetvalue(r, 0, 13));
			run->have_run = 1;
		} else if (PQntuples(r) == 1 &&
		    strcmp(PQgetvalue(r, 0, 1), "running") == 0) {
			const char *q[2] = { run->db.tenant,
			    PQgetvalue(r, 0, 0) };

			PQclear(imp_exec(&run->db, imp_run_abandon, 2, q,
			    PGRES_COMMAND_OK));
		}
		PQclear(r);
		if (done)
			return 1;
	} else {
		/*
		 * --atomic neither resumes nor is resumed; an interrupted
		 * run of the same file is left to resume, or abandoned
		 * (within this run's transaction) with --restart.
		 */
		if ((r = imp_exec(&run->db, imp_run_find, 5, p,
		    PGRES_TUPLES_OK)) == NULL)
			return -1;
		if (PQntuples(r) == 1 &&
		    strcmp(PQgetvalue(r, 0, 1), "running") == 0) {
			const char *q[2] = { run->db.tenant,
			    PQgetvalue(r, 0, 0) };

			if (!o->restart) {
				snprintf(run->db.errmsg, sizeof(run->db.errmsg),
				    "an interrupted import of this file into "
				    "this tenant (run %s) can be resumed "
				    "without --atomic; --restart abandons it",
				    PQgetvalue(r, 0, 0));
				PQclear(r);
				return -1;
			}
			PQclear(imp_exec(&run->db, imp_run_abandon, 2, q,
			    PGRES_COMMAND_OK));
		}
		PQclear(r);
	}
	if (!run->have_run) {
		if (o->run_id != NULL)
			snprintf(run->run_id, sizeof(run->run_id), "%s",
			    o->run_id);
		else
			uuid_new(run->run_id);
		p[1] = run->run_id;
		p[2] = run->fname;
		p[3] = sha;
		p[4] = sizestr;
		p[5] = format_names[o->format];
		p[6] = o->upsert ? "upsert" : "create";
		p[7] = o->match >= 0 ? match_names[o->match] : NULL;
		if ((r = imp_exec(&run->db, imp_run_insert, 8, p,
		    PGRES_COMMAND_OK)) == NULL) {
			if (strcmp(run->db.sqlstate, "23505") == 0)
				snprintf(run->db.errmsg, sizeof(run->db.errmsg),
				    "another import of this file into this "
				    "tenant is running");
			return -1;
		}
		PQclear(r);
		run->have_run = 1;
	}
	return 0;
}

static int
run_finish(struct imp_run *run)
{
	const char *p[3] = { run->db.tenant, run->run_id,
	    run->o->atomic ? "true" : "false" };
	PGresult *r = imp_exec(&run->db, imp_run_finish, 3, p,
	    PGRES_COMMAND_OK);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

static void
summary(struct imp_run *run, int wrote)
{
	struct imp_counts t = run->total;
	const char *verb = wrote ? "" : "would be ";

	counts_add(&t, &run->session);
	printf("users: %lld %screated, %lld %supdated\n"
	    "groups: %lld %screated, %lld %supdated\n"
	    "roles: %lld %screated, %lld %supdated\n"
	    "memberships: %lld %sadded\n"
	    "role assignments: %lld %sadded\n"
	    "rows: %lld read, %lld errors\n",
	    t.users_created, verb, t.users_updated, verb,
	    t.groups_created, verb, t.groups_updated, verb,
	    t.roles_created, verb, t.roles_updated, verb,
	    t.memberships, verb, t.assignments, verb,
	    run->rows_base + run->session_rows, t.errors);
	if (run->src.format == FMT_KEYCLOAK)
		imp_notes_print(kc_notes(run->src.k), "keycloak", stdout);
	else if (run->src.format == FMT_AUTH0)
		imp_notes_print(&run->src.notes, "auth0", stdout);
	fflush(stdout);
}

static int
imp_options(int argc, char **argv, struct imp_opts *o)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "match", required_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "atomic", no_argument, NULL, 'a' },
		{ "batch", required_argument, NULL, 'b' },
		{ "errors", required_argument, NULL, 'e' },
		{ "restart", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	const char *dot;
	size_t i;
	int ch;

	memset(o, 0, sizeof(*o));
	o->format = o->match = -1;
	o->batch = IMP_BATCH_DEFAULT;
	o->system_roles = 1;	/* the operator's own command */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': o->tenant = optarg; break;
		case 'n': o->dry_run = 1; break;
		case 'a': o->atomic = 1; break;
		case 'e': o->errors_path = optarg; break;
		case 'r': o->restart = 1; break;
		case 'q': o->quiet = 1; break;
		case 'f':
			for (i = 0; i < RS_ARRAY_LEN(format_names); i++)
				if (strcmp(optarg, format_names[i]) == 0)
					o->format = (int)i;
			if (o->format < 0)
				return imp_refuse("--format: csv, jsonl, xlsx, "
				    "keycloak or auth0");
			break;
		case 'm':
			if (strcmp(optarg, "upsert") == 0)
				o->upsert = 1;
			else if (strcmp(optarg, "create") != 0)
				return imp_refuse("--mode: create or upsert");
			break;
		case 'k':
			for (i = 0; i < RS_ARRAY_LEN(match_names); i++)
				if (strcmp(optarg, match_names[i]) == 0)
					o->match = (int)i;
			if (o->match < 0)
				return imp_refuse("--match: id, username or "
				    "email");
			break;
		case 'b':
			errno = 0;
			o->batch = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    o->batch < 1 || o->batch > IMP_BATCH_MAX)
				return imp_refuse("--batch: 1 to %d",
				    IMP_BATCH_MAX);
			break;
		default:
			imp_usage();
			return 2;
		}
	}
	if (optind + 1 != argc || o->tenant == NULL) {
		imp_usage();
		return 2;
	}
	o->path = argv[optind];
	if (strcmp(o->path, "-") == 0)
		return imp_refuse("FILE: standard input cannot be imported "
		    "(a run must be resumable, from a file it can read "
		    "again): save it to a file first");
	if (o->upsert && o->match < 0)
		return imp_refuse("--mode upsert needs --match id, username "
		    "or email");
	if (!o->upsert && o->match >= 0)
		return imp_refuse("--match goes with --mode upsert");
	if (o->format < 0) {
		dot = strrchr(o->path, '.');
		if (dot != NULL && strcasecmp(dot, ".csv") == 0)
			o->format = FMT_CSV;
		else if (dot != NULL && (strcasecmp(dot, ".jsonl") == 0 ||
		    strcasecmp(dot, ".ndjson") == 0))
			o->format = FMT_JSONL;
		else if (dot != NULL && strcasecmp(dot, ".xlsx") == 0)
			o->format = FMT_XLSX;
		else
			return imp_refuse("%s: say --format csv, jsonl, "
			    "xlsx, keycloak or auth0 (no .csv, .jsonl, .ndjson "
			    "or .xlsx extension)", o->path);
	}
	return 0;
}

/*
 * Reads the next batch from the source (records checked).  1 with
 * records, 0 at the end, -1 when the source failed (err).
 */
static int
batch_read(struct imp_run *run, struct imp_batch *b, struct arena *a,
    char *err, size_t errlen)
{
	struct imp_rec r;
	long long done, total;
	int rc = 0;

	batch_reset(b);
	while (b->records < run->o->batch && !imp_interrupted &&
	    b->users.len + b->members.len + b->uroles.len + b->gdefs.len +
	    b->rdefs.len < IMP_BATCH_BYTES) {
		arena_reset(a);
		if ((rc = src_next(&run->src, a, &r, err, errlen)) != 1)
			break;
		if (r.nerrs == 0)
			(void)imp_rec_check(a, &r, run->o->upsert);
		if (run->o->upsert && r.kind == IMP_USER &&
		    r.f[match_fields[run->o->match]].v == NULL)
			imp_rec_error(a, &r, match_fields[run->o->match],
			    "required by --match %s",
			    match_names[run->o->match]);
		batch_add(b, &r);
	}
	src_progress(&run->src, &done, &total);
	b->bytes = done;
	if (rc < 0)
		return -1;
	return b->records > 0 ? 1 : 0;
}

/*
 * The next batch is read (parsed, checked, its COPY text built) by a
 * thread while the main one writes the batch before it: the two take
 * turns with two batches, so that the client's work overlaps the
 * server's.  Only the reader touches the source and the arena; only
 * the main thread touches the database.
 */
struct imp_reader {
	struct imp_run	*run;
	struct imp_batch *b;
	struct arena	*a;
	pthread_t	 th;
	int		 started, rc;
	char		 err[1024];
};

static void *
reader_main(void *arg)
{
	struct imp_reader *rd = arg;

	rd->rc = batch_read(rd->run, rd->b, rd->a, rd->err,
	    sizeof(rd->err));
	return NULL;
}

static void
reader_start(struct imp_reader *rd, struct imp_batch *b)
{
	rd->b = b;
	rd->started = pthread_create(&rd->th, NULL, reader_main, rd) == 0;
	if (!rd->started)
		(void)reader_main(rd);	/* no thread: in turn, then */
}

/* Waits for the batch being read: batch_read's result. */
static int
reader_wait(struct imp_reader *rd)
{
	if (rd->started)
		pthread_join(rd->th, NULL);
	rd->started = 0;
	return rd->rc;
}

static int
skip_done(struct imp_run *run, struct arena *a, char *err, size_t errlen)
{
	struct imp_rec r;
	long long i;
	long line = 0;

	for (i = 0; i < run->rows_done; i++) {
		arena_reset(a);
		if (src_next(&run->src, a, &r, err, errlen) != 1) {
			snprintf(err, errlen, "the checkpoint says %lld rows "
			    "were imported, the file has fewer",
			    run->rows_done);
			return -1;
		}
		line = r.line;
	}
	if (line != run->last_line) {
		snprintf(err, errlen, "the checkpoint's last line (%ld) is not "
		    "the file's (%ld)", run->last_line, line);
		return -1;
	}
	src_progress(&run->src, &run->bytes0, &i);
	return 0;
}

/* The run's totals so far, for a job's progress hook. */
static void
run_totals(const struct imp_run *run, long long bytes, struct imp_totals *t)
{
	struct imp_counts c = run->total;

	counts_add(&c, &run->session);
	t->rows = run->rows_base + run->session_rows;
	t->bytes = bytes;
	t->users_created = c.users_created;
	t->users_updated = c.users_updated;
	t->groups_created = c.groups_created;
	t->groups_updated = c.groups_updated;
	t->roles_created = c.roles_created;
	t->roles_updated = c.roles_updated;
	t->memberships = c.memberships;
	t->assignments = c.assignments;
	t->errors = c.errors;
}

/* A failure worth another attempt: the connection, a lock, a conflict. */
static int
db_transient(const struct imp_db *d)
{
	return d->c == NULL || PQstatus(d->c) != CONNECTION_OK ||
	    strncmp(d->sqlstate, "08", 2) == 0 ||
	    strncmp(d->sqlstate, "57", 2) == 0 ||
	    strncmp(d->sqlstate, "40", 2) == 0 ||
	    strcmp(d->sqlstate, "55P03") == 0 || d->sqlstate[0] == '\0';
}

static int
imp_main(struct imp_run *run, const char *conninfo, long timeout,
    long stmt_timeout, const char *actor)
{
	struct imp_opts *o = run->o;
	struct imp_batch bb[2], *b;
	struct imp_reader rd;
	struct imp_totals tot;
	struct arena *a = NULL;
	char err[1024], sha[65], canon[UUID_STR_LEN + 1];
	long long size, rows;
	int rc, status = 1, failed_rows = 0, cur;
	size_t i;

	if (uuid_normalize(o->tenant, strlen(o->tenant), canon) != 0)
		return imp_refuse("--tenant is not a uuid");
	run->db.tenant = canon;
	if (src_prescan(o->path, o->format, &rows, err, sizeof(err)) != 0) {
		imp_say(run, "%s; nothing was imported", err);
		return 1;
	}
	if (file_sha256(o->path, sha, &size, err, sizeof(err)) != 0 ||
	    src_open(&run->src, o->path, o->format, err, sizeof(err)) != 0) {
		imp_say(run, "%s", err);
		return 1;
	}
	if (o->upsert && (o->format == FMT_CSV || o->format == FMT_XLSX) &&
	    run->src.h.col[match_fields[o->match]] == 0) {
		imp_say(run, "%s: no %s column for --match %s", run->hooks ?
		    run->fname : o->path, match_names[o->match],
		    match_names[o->match]);
		src_close(&run->src);
		return 1;
	}
	run->db.c = db_session_open(conninfo, timeout, run->hooks != NULL ?
	    "rosterd import job" : "rosterctl import", stmt_timeout, err,
	    sizeof(err));
	if (run->db.c == NULL) {
		imp_say(run, "%s", err);
		src_close(&run->src);
		return run->hooks != NULL ? IMP_JOB_DB : 1;
	}
	batch_init(&bb[0]);
	batch_init(&bb[1]);
	a = arena_new(0);
	{
		const char *p[3] = { canon, actor, o->request_id };
		PGresult *r = imp_exec(&run->db, "SELECT 1 FROM tenants"
		    " WHERE id = $1::uuid AND set_config('rosterd.import_actor',"
		    " coalesce($2, ''), false) IS NOT NULL AND set_config("
		    "'rosterd.import_request_id', coalesce($3, ''), false)"
		    " IS NOT NULL", 3, p, PGRES_TUPLES_OK);

		if (r == NULL)
			goto dbfail;
		rc = PQntuples(r);
		PQclear(r);
		if (rc != 1) {
			imp_say(run, "no tenant %s", canon);
			goto out;
		}
	}
	/* the session's statements may take as long as a batch does */
	if (imp_cmd(&run->db, "SET statement_timeout = 0") != 0)
		goto dbfail;
	for (i = 0; i < RS_ARRAY_LEN(imp_stage_ddl); i++)
		if (imp_cmd(&run->db, imp_stage_ddl[i]) != 0)
			goto dbfail;
	if ((o->atomic || o->dry_run) && imp_cmd(&run->db, "BEGIN") != 0)
		goto dbfail;
	if (!o->dry_run) {
		if ((rc = run_begin(run, sha, size)) < 0)
			goto dbfail;
		if (rc == 1) {
			/* done already: its status as it ended */
			if (run->hooks == NULL)
				summary(run, 1);
			status = run->total.errors > 0 ? 3 : 0;
			goto out;
		}
		if (run->rows_done > 0) {
			if (skip_done(run, a, err, sizeof(err)) != 0) {
				imp_say(run, "%s; %s", err, run->hooks ?
				    "the file is not the one the run began" :
				    "--restart starts over");
				goto out;
			}
			if (!o->quiet)
				fprintf(stderr, "rosterctl: import: resuming "
				    "run %s after %lld rows (line %ld)\n",
				    run->run_id, run->rows_done,
				    run->last_line);
		}
	}
	/* appended to: one file may take the errors of several runs */
	if (o->errors_path != NULL && (run->errf = fopen(o->errors_path,
	    "a")) == NULL) {
		imp_say(run, "%s: %s", o->errors_path, strerror(errno));
		goto out;
	}
	run->src.warnf = run->hooks != NULL ? NULL : run->errf != NULL ?
	    run->errf : stderr;
	run->src.fname = run->fname;
	if (run->hooks == NULL) {
		signal(SIGINT, imp_on_signal);
		signal(SIGTERM, imp_on_signal);
	}
	clock_gettime(CLOCK_MONOTONIC, &run->t0);
	run->last_shown = run->t0;
	src_progress(&run->src, &run->bytes_done, &run->bytes_total);
	memset(&rd, 0, sizeof(rd));
	rd.run = run;
	rd.a = a;
	reader_start(&rd, &bb[0]);
	for (cur = 0; ; cur ^= 1) {
		rc = reader_wait(&rd);
		if (rc < 0) {
			if (run->hooks == NULL)
				fputc('\n', stderr);
			imp_say(run, "%s", rd.err);
			goto out;
		}
		if (imp_interrupted)
			break;		/* the partial batch is not written */
		if (rc == 0)
			break;
		b = &bb[cur];
		reader_start(&rd, &bb[cur ^ 1]);
		if (batch_commit(run, b) != 0) {
			(void)reader_wait(&rd);
			goto dbfail;
		}
		if (!o->dry_run) {
			run->rows_done += b->records;
			run->last_line = b->last_line;
		}
		run->session_rows += b->records;
		run->bytes_done = b->bytes;
		if (b->nerrs > 0)
			failed_rows = 1;
		if (!b->printed && print_errors(run, b) != 0) {
			(void)reader_wait(&rd);
			goto dbfail;
		}
		analyze_as_it_grows(run);
		progress(run, 0);
		if (run->hooks != NULL) {
			run_totals(run, b->bytes, &tot);
			if (run->hooks->progress(run->hooks->ctx, &tot) != 0)
				imp_interrupted = 1;
		}
	}
	if (imp_interrupted) {
		if (o->atomic || o->dry_run)
			PQclear(PQexec(run->db.c, "ROLLBACK"));
		progress(run, 1);
		if (run->hooks != NULL) {
			imp_say(run, "stopped after %lld rows (to line %ld)%s",
			    run->rows_done, run->last_line, o->atomic ||
			    o->dry_run ? "; nothing was written" : "");
			status = 130;
			goto out;
		}
		fprintf(stderr, "rosterctl: import: interrupted; %s\n",
		    o->dry_run ? "nothing was written" : o->atomic ?
		    "nothing was written (--atomic)" : "");
		if (!o->atomic && !o->dry_run)
			fprintf(stderr, "rosterctl: import: %lld rows are "
			    "in (to line %ld); run the same command again to "
			    "continue\n", run->rows_done, run->last_line);
		status = 130;
		goto out;
	}
	progress(run, 1);
	if (o->dry_run) {
		PQclear(PQexec(run->db.c, "ROLLBACK"));
		if (run->hooks == NULL) {
			summary(run, 0);
			printf("dry run: nothing was written\n");
		}
		status = failed_rows ? 3 : 0;
		goto out;
	}
	if (o->atomic && failed_rows) {
		PQclear(PQexec(run->db.c, "ROLLBACK"));
		if (run->hooks == NULL) {
			summary(run, 0);
			printf("--atomic: rows failed, nothing was written\n");
		} else
			imp_say(run, "rows failed: nothing was written "
			    "(atomic)");
		status = 3;
		goto out;
	}
	if (run_finish(run) != 0 || (o->atomic &&
	    imp_cmd(&run->db, "COMMIT") != 0))
		goto dbfail;
	if (run->session.users_created + run->session.memberships +
	    run->session.assignments >= IMP_ANALYZE_ROWS)
		analyze(run);
	if (run->hooks == NULL)
		summary(run, 1);
	/* the rows refused by this session and by the ones it resumed */
	status = failed_rows || run->total.errors > 0 ? 3 : 0;
	goto out;
dbfail:
	if (run->hooks != NULL) {
		imp_say(run, "the database failed: %s", run->db.errmsg);
		status = db_transient(&run->db) ? IMP_JOB_DB : 1;
		goto out;
	}
	fprintf(stderr, "\nrosterctl: import: %s%s%s\n",
	    strcmp(run->db.sqlstate, IMP_WRITE_FAILED) == 0 ? "" :
	    "the database failed: ", run->db.errmsg, o->atomic || o->dry_run ?
	    "; nothing was written" : "; the batches before are in, a rerun "
	    "continues");
out:
	if (run->hooks != NULL)
		run_totals(run, run->bytes_done, &tot);
	if (run->errf != NULL)
		fclose(run->errf);
	batch_free(&bb[0]);
	batch_free(&bb[1]);
	arena_free(a);
	src_close(&run->src);
	PQfinish(run->db.c);
	run->db.c = NULL;
	return status;
}

int
rosterctl_import(const struct config *cfg, int argc, char **argv)
{
	struct imp_opts o;
	struct imp_run run;
	const char *slash;
	int rc;

	if ((rc = imp_options(argc, argv, &o)) != 0)
		return rc;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	slash = strrchr(o.path, '/');
	run.fname = slash != NULL ? slash + 1 : o.path;
	run.tty = isatty(STDERR_FILENO);
	return imp_main(&run, cfg->db_conninfo, cfg->db_connect_timeout,
	    cfg->statement_timeout_ms, NULL);
}

/* ---- the engine for rosterd's import jobs (imp/engine.h) ---- */

void
imp_job_interrupt(void)
{
	imp_interrupted = 1;
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int
imp_file_check(const char *path, const char *format, const char *match,
    long long *rows, char *err, size_t errlen)
{
	struct imp_source src;
	int f = name_index(format_names, RS_ARRAY_LEN(format_names), format);
	int m = name_index(match_names, RS_ARRAY_LEN(match_names), match);

	if (f < 0) {
		snprintf(err, errlen, "no format %s", format ? format : "");
		return -1;
	}
	if (src_prescan(path, f, rows, err, errlen) != 0 ||
	    src_open(&src, path, f, err, errlen) != 0)
		return -1;
	if (m >= 0 && (f == FMT_CSV || f == FMT_XLSX) &&
	    src.h.col[match_fields[m]] == 0) {
		snprintf(err, errlen, "no %s column for match=%s",
		    match_names[m], match_names[m]);
		src_close(&src);
		return -1;
	}
	src_close(&src);
	return 0;
}

enum imp_job_result
imp_job_run(const struct config *cfg, struct imp_job *j)
{
	struct imp_opts o;
	struct imp_run run;
	struct imp_totals t;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&run, 0, sizeof(run));
	j->message[0] = '\0';
	o.tenant = j->tenant;
	o.path = j->path;
	o.format = name_index(format_names, RS_ARRAY_LEN(format_names),
	    j->format);
	o.upsert = j->mode != NULL && strcmp(j->mode, "upsert") == 0;
	o.match = name_index(match_names, RS_ARRAY_LEN(match_names),
	    j->match);
	o.dry_run = j->dry_run;
	o.atomic = j->atomic;
	o.quiet = 1;
	o.batch = j->batch >= 1 && j->batch <= IMP_BATCH_MAX ? j->batch :
	    IMP_BATCH_DEFAULT;
	o.run_id = j->run_id;
	o.request_id = j->request_id;
	o.system_roles = j->system_roles;
	if (o.format < 0 || (o.upsert && o.match < 0)) {
		snprintf(j->message, sizeof(j->message), "bad format, mode "
		    "or match");
		return IMP_JOB_FAILED;
	}
	run.o = &o;
	run.fname = j->fname != NULL ? j->fname : "upload";
	run.hooks = j->hooks;
	run.msg = j->message;
	run.msglen = sizeof(j->message);
	imp_interrupted = 0;
	rc = imp_main(&run, j->conninfo != NULL ? j->conninfo :
	    cfg->db_conninfo, cfg->db_connect_timeout,
	    cfg->statement_timeout_ms, j->actor);
	run_totals(&run, run.bytes_done, &t);
	j->totals = t;
	return (enum imp_job_result)rc;
}
