/*
 * db.h: one libpq connection per worker, every statement prepared once
 * per connection from the table in statements.c, SQLSTATEs mapped to
 * statuses in one place (sqlstate.c).
 */
#ifndef ROSTERD_DB_H
#define ROSTERD_DB_H

#include <libpq-fe.h>

#include "../util/util.h"

enum stmt {
	STMT_PING = 0,
	STMT_TENANT_EXISTS,
	STMT_TENANT_CREATE,
	STMT_USER_CREATE,
	STMT_ROLES_MISSING,
	STMT_TENANT_GET,
	STMT_TENANT_LIST,
	STMT_TENANT_PATCH,
	STMT_TENANT_DELETE,
	STMT_USER_CREATE_V1,
	STMT_USER_GET,
	STMT_USER_LIST,
	STMT_USER_PATCH,
	STMT_USER_DELETE,
	STMT_GROUP_CREATE,
	STMT_GROUP_GET,
	STMT_GROUP_LIST,
	STMT_GROUP_PATCH,
	STMT_GROUP_DELETE,
	STMT_MEMBER_LIST,
	STMT_MEMBER_ADD,
	STMT_MEMBER_REMOVE,
	STMT_USER_GROUPS,
	STMT_ROLE_CREATE,
	STMT_ROLE_GET,
	STMT_ROLE_LIST,
	STMT_ROLE_PATCH,
	STMT_ROLE_DELETE,
	STMT_USER_ROLE_PUT,
	STMT_USER_ROLE_DELETE,
	STMT_USER_ROLES,
	STMT_INVITE_CREATE,
	STMT_INVITE_GET,
	STMT_INVITE_LIST,
	STMT_INVITE_REVOKE,
	STMT_INVITE_ACCEPT,
	STMT_AUDIT_LIST,
	STMT_IDEM_RESERVE,
	STMT_IDEM_STORE,
	STMT_IDEM_RELEASE,
	STMT_SS_INVITE,
	STMT_KIBO_MEMBERS_ADD,
	STMT_KIBO_MEMBERS_REMOVE,
	STMT_ASPNET_ACCOUNT_UPSERT,
	STMT_ASPNET_CONTACT_GET,
	STMT__MAX
};

struct stmt_def {
	const char	*name;		/* prepared statement name */
	const char	*sql;
	int		 nparams;
	int		 readonly;	/* safe to retry after a lost connection */
	/*
	 * Planned afresh on every run, with the parameters' values: for
	 * bulk statements, whose good plan (hash joins over 10,000 ids)
	 * depends on the size of their arrays.  A cached generic plan
	 * assumes a few rows and nests loops: seconds instead of
	 * milliseconds.  Still one round trip.
	 */
	int		 replan;
};

extern const struct stmt_def db_statements[STMT__MAX];

enum db_status {
	DB_OK = 0,
	DB_CONFLICT,		/* unique violation (23505) */
	DB_INVALID,		/* foreign key, check, bad input (23xxx, 22xxx) */
	DB_UNAVAILABLE,		/* no connection, shutdown, timeout */
	DB_RETRY,		/* serialization failure, deadlock */
	DB_INTERNAL,		/* anything else: a bug */
	DB__MAX
};

struct db;

/* Creates a handle; connects lazily, so it never fails. */
struct db *db_new(const char *conninfo, long connect_timeout,
    long statement_timeout_ms);
void db_free(struct db *db);

/*
 * Runs prepared statement `id` with text parameters (NULL = SQL NULL).
 * Connects or reconnects first when needed.  Returns the result
 * (registered for PQclear with the arena) with *st = DB_OK, or NULL with
 * *st set; *constraint (may be NULL) gets the violated constraint's
 * name for DB_CONFLICT/DB_INVALID.
 */
PGresult *db_exec(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint);

/* 1 when a connection is up (connecting if needed), else 0. */
int db_ready(struct db *db);

/*
 * Encodes items[0..n) (NULL = SQL NULL) as a PostgreSQL array literal
 * ({"a",NULL}) for a text or uuid[] parameter.  Arena memory.
 */
const char *db_array_literal(struct arena *a, const char *const *items,
    size_t n);

/* Returns column `name` of row `row`, or NULL when it is SQL NULL. */
const char *db_get(const PGresult *r, int row, const char *name);

/* sqlstate.c: maps a five-character SQLSTATE to a status. */
enum db_status db_sqlstate_status(const char *sqlstate);

/*
 * migrate.c: applies the *.sql files of dir not yet recorded in
 * schema_migrations, in name order, each in its own transaction, under
 * an advisory lock.  Reports progress on stdout.  0 on success, -1 with
 * a message in err.
 */
int db_migrate(const char *conninfo, const char *dir, char *err,
    size_t errsz) RS_MUSTCHECK;

#endif
