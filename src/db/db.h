/*
 * db.h: one libpq connection per worker, every statement prepared once
 * per connection from the table in statements.c, SQLSTATEs mapped to
 * statuses in one place (sqlstate.c).
 */
#ifndef ROSTERD_DB_H
#define ROSTERD_DB_H

#include <stdio.h>

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
	STMT_USER_CREATE_V1_KEYED,
	STMT_USER_CREATE_V1_KEYED_NEW,
	STMT_USER_GET,
	STMT_USER_LIST,
	STMT_USER_PATCH,
	STMT_USER_DELETE,
	STMT_GROUP_CREATE,
	STMT_GROUP_CREATE_KEYED,
	STMT_GROUP_CREATE_KEYED_NEW,
	STMT_GROUP_GET,
	STMT_GROUP_LIST,
	STMT_GROUP_PATCH,
	STMT_GROUP_DELETE,
	STMT_MEMBER_LIST,
	STMT_MEMBER_ADD,
	STMT_MEMBER_ADD_FEW,
	STMT_MEMBER_ADD_BY,
	STMT_MEMBER_ADD_BY_FEW,
	STMT_MEMBER_REMOVE,
	STMT_MEMBER_REMOVE_FEW,
	STMT_USER_GROUPS,
	STMT_ROLE_CREATE,
	STMT_ROLE_CREATE_KEYED,
	STMT_ROLE_CREATE_KEYED_NEW,
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
	STMT_INVITE_LOOKUP,
	STMT_AUDIT_LIST,
	STMT_IDEM_LOCK,
	STMT_IDEM_LOOKUP,
	STMT_IDEM_STORE,
	STMT_SS_INVITE,
	STMT_KIBO_MEMBERS_ADD,
	STMT_KIBO_MEMBERS_REMOVE,
	STMT_ASPNET_ACCOUNT_UPSERT,
	STMT_ASPNET_CONTACT_GET,
	STMT_ROLES_SYSTEM,
	STMT_APITOKEN_CREATE,
	STMT_APITOKEN_GET,
	STMT_APITOKEN_LIST,
	STMT_APITOKEN_REVOKE,
	STMT_APITOKEN_LOOKUP,
	STMT_APITOKEN_TOUCH,
	STMT_ALIAS_CREATE,
	STMT_ALIAS_GET,
	STMT_ALIAS_LIST,
	STMT_ALIAS_DELETE,
	STMT_ALIAS_RESOLVE,
	STMT_SCIM_USER_GET,
	STMT_SCIM_USER_CREATE,
	STMT_SCIM_USER_REPLACE,
	STMT_SCIM_USER_DELETE,
	STMT_SCIM_GROUP_GET,
	STMT_SCIM_GROUP_HEAD,
	STMT_SCIM_GROUP_CREATE,
	STMT_SCIM_GROUP_UPDATE,
	STMT_SCIM_GROUP_DELETE,
	STMT_IMPORT_JOB_CREATE,
	STMT_IMPORT_JOB_GET,
	STMT_IMPORT_JOB_LIST,
	STMT_IMPORT_JOB_CANCEL,
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
	/*
	 * Its keyed variant (see IDEM_KEYED in statements.c), run in its
	 * place for a request with an Idempotency-Key; STMT_PING (0, never
	 * a variant): none.
	 */
	enum stmt	 keyed;
	/* and that variant's form for a new key (IDEM_KEYED_NEW), tried first */
	enum stmt	 keyed_new;
	/*
	 * With a keyed variant: the columns of the answer it keeps under
	 * the key (idempotency.result), in the order kept, separated by
	 * spaces.  The text kept is their values in that order, each but
	 * the last followed by one space: none NULL, none but the last with
	 * a space in it.  The row read back has these columns.
	 */
	const char	*kept;
};

/*
 * The SCIM dialect's select lists (u: users, g: groups), shared by its
 * prepared statements and its filtered lists (db_exec_sql()).  A user's
 * groups are looked up one by one by key (the LIMIT keeps PostgreSQL
 * from flattening the lookup into a join that hashes the tenant's
 * groups for every user of a page).
 */
#define DB_SCIM_USER_COLS \
	"u.id, u.username, u.external_id, u.first_name, u.last_name," \
	" u.display_name, u.email, u.phone, u.title, u.locale, u.time_zone," \
	" u.is_active, u.attrs->'scim' AS scim, u.version," \
	" rosterd_ts(u.created_at) AS created," \
	" rosterd_ts(u.updated_at) AS updated," \
	" (SELECT coalesce(json_agg(json_build_object('value', g.id," \
	"  'display', g.name) ORDER BY g.name, g.id), '[]')" \
	"  FROM group_members m CROSS JOIN LATERAL (SELECT g.id, g.name" \
	"  FROM groups g WHERE g.tenant_id = m.tenant_id" \
	"  AND g.id = m.group_id LIMIT 1) AS g WHERE m.tenant_id = u.tenant_id" \
	"  AND m.user_id = u.id) AS groups"
#define DB_SCIM_GROUP_COLS \
	"g.id, g.name, g.kind, g.code, g.attrs->'scim' AS scim, g.version," \
	" rosterd_ts(g.created_at) AS created," \
	" rosterd_ts(g.updated_at) AS updated"
#define DB_SCIM_GROUP_MEMBERS \
	"(SELECT coalesce(json_agg(json_build_object('value', u.id," \
	"  'display', coalesce(u.display_name, u.username))" \
	"  ORDER BY m.added_at, u.id), '[]')" \
	"  FROM group_members m JOIN users u ON u.tenant_id = m.tenant_id" \
	"  AND u.id = m.user_id WHERE m.tenant_id = g.tenant_id" \
	"  AND m.group_id = g.id) AS members"

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
 * Every wait on the server (a statement's result, a set-up command, the
 * send of what libpq holds) is bounded client side: the socket is
 * non-blocking and polled against a deadline.  A server that does not
 * answer within it (frozen, black-holed, behind a dead link) is given
 * up: the connection is closed (no cancel request: it would wait on
 * the same server), the statement ends DB_UNAVAILABLE and is not sent
 * again, even if read-only, and the next statement connects afresh, to
 * whichever host of a multi-host conninfo answers then.  What the
 * server was running may still complete: a write given up is an
 * unknown outcome, never retried.
 */
#define DB_DEADLINE_MARGIN_MS		5000	/* over statement_timeout_ms */
#define DB_DEADLINE_UNLIMITED_MS	35000	/* statement_timeout_ms 0 */

/*
 * The deadline for db_deadline_ms = 0: statement_timeout_ms plus
 * DB_DEADLINE_MARGIN_MS, so that the server's own timeout (an error the
 * connection survives) comes first; DB_DEADLINE_UNLIMITED_MS when
 * statement_timeout_ms is 0.
 */
long db_deadline_default(long statement_timeout_ms);

/*
 * The worker's options: the client-side deadline in milliseconds (<= 0:
 * db_deadline_default()) and prepared (db_prepared): 0 sends every
 * statement unnamed (PQsendQueryParams; no PREPARE, no SQL text cache,
 * no DISCARD PLANS), sets nothing on the session (the role's settings
 * apply: ALTER ROLE ... SET) and LISTENs on nothing, for a pooler in
 * transaction mode; db_notify_gen() then reads the tables' generation.
 */
void db_options(struct db *db, long deadline_ms, int prepared);

/*
 * For the worker's idle tick: when the connection has ended (the
 * server closed it, or keepalives gave up on the host), connects again
 * now, so that the next request, a write as well, does not meet it; a
 * reconnection that failed is tried again on later ticks, backing off
 * from one second to thirty.
 */
void db_idle(struct db *db);

/*
 * Runs prepared statement `id` with text parameters (NULL = SQL NULL).
 * Connects or reconnects first when needed.  Returns the result
 * (registered for PQclear with the arena) with *st = DB_OK, or NULL with
 * *st set; *constraint (may be NULL) gets the violated constraint's
 * name for DB_CONFLICT/DB_INVALID.
 */
PGresult *db_exec(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint);

/*
 * The next db_exec() of statement id sends its parameter i (from 0) as
 * the n bytes params[i] points to, in binary (a bytea's bytes as they
 * are, with no escaping), the others as text.  That db_exec() forgets
 * it, whichever statement it ran.
 */
void db_binary(struct db *db, enum stmt id, int i, size_t n);

/*
 * Runs sql (text built only from fixed fragments, never from request
 * data) with nparams text parameters, unprepared (PQexecParams): for
 * the SCIM dialect's filtered lists, whose WHERE clause varies with the
 * filter.  Read-only statements only: a lost connection is retried once.
 * Otherwise as db_exec().
 */
PGresult *db_exec_sql(struct db *db, struct arena *a, const char *sql,
    int nparams, const char *const *params, enum db_status *st);

/*
 * The channel every connection LISTENs on: api_tokens and
 * tenant_aliases notify on it when they change (sql/0005_trust.sql).
 */
#define DB_AUTH_CHANNEL "rosterd_auth"

/*
 * A number that changes whenever a notification arrived on
 * DB_AUTH_CHANNEL or the connection was made afresh (notifications may
 * have been missed meanwhile): a cache of those tables is good while
 * it stays the same.  Reads the pending notifications without blocking;
 * connects when needed.  *ok = 0 when no connection could be made (the
 * number then says nothing).
 */
uint64_t db_notify_gen(struct db *db, int *ok);

/*
 * One transaction over several statements (Idempotency-Key: the key's
 * lock and lookup, the handler's statements and the stored answer),
 * opened without a round trip of its own and without BEGIN or COMMIT:
 * it is the implicit transaction of a libpq pipeline, which its Sync
 * ends.  db_tx_queue() queues statement id, a statement of the opening
 * (at most DB_TX_OPENING_MAX, in order); the next db_exec() sends them
 * with its own statement in one round trip (params must live until
 * then).  From then on every db_exec() runs inside the transaction, one
 * round trip each: none is retried, a lost connection is not replaced,
 * and after a failed statement nothing runs (DB_UNAVAILABLE).
 * db_tx_sent() says whether the opening was sent.  db_tx_opened()
 * (sending the opening now if it is still queued) returns the result of
 * the opening's last statement, or NULL with the SQLSTATE of the first
 * that failed in state ("55P03": a lock wait timed out; "08006": no
 * connection), the transaction then rolled back.  db_tx_commit() sends
 * statement id (STMT__MAX: none) and the Sync that commits, in one round
 * trip: 0 when the transaction committed, -1 when it did not, or may not
 * have (the connection broke); any statement of the transaction that
 * failed makes it -1.  db_tx_rollback() rolls back, or forgets a queued
 * opening.  After any of the three the transaction is over.  A worker
 * that dies inside the transaction closes its connection: the server
 * rolls it back.
 */
#define DB_TX_OPENING_MAX	2
void db_tx_queue(struct db *db, enum stmt id, const char *const *params);
int db_tx_sent(const struct db *db);
PGresult *db_tx_opened(struct db *db, struct arena *a, char state[6]);
int db_tx_commit(struct db *db, enum stmt id, const char *const *params);
void db_tx_rollback(struct db *db);

/*
 * The whole transaction of an Idempotency-Key in one round trip.
 * db_tx_key() says that the opening's last statement (queued) is the
 * look-up of a key, whose parameters key[0..3] are the tenant, the caller
 * (hex), the key and the request's keyed hash (hex); key must live until
 * the opening is sent.  When the statement that sends the opening has a
 * keyed variant (stmt_def.keyed), the look-up is not sent: the opening's
 * other statements, the variant (the statement's parameters, then key's)
 * and the Sync that commits go in one round trip, and the transaction is
 * over at the server before db_exec() returns.  db_exec() returns the
 * variant's row when the key held no answer and it committed, the row of
 * the answer stored under the key when that is one of the same request
 * stored as a row (the statement's columns holding the stored values, as
 * the statement returned them), else NULL: DB_UNAVAILABLE, or the status
 * of the variant when it failed.  Any other statement after it is
 * refused (DB_UNAVAILABLE).  db_tx_keyed(), once the handler is done,
 * says which (DB_KEYED_NOT_RUN: none of it, the transaction is as above),
 * ends the transaction, sets *stored to the variant's row when the key
 * held an answer and state as db_tx_opened() does.
 */
enum db_keyed {
	DB_KEYED_NOT_RUN = 0,
	DB_KEYED_RAN,		/* it ran and committed: its own row */
	DB_KEYED_REPLAYED,	/* the key's answer's row was returned */
	DB_KEYED_STORED,	/* the key holds an answer: *stored's idem_*
				   columns (same, result, status,
				   content_type, response, location, etag) */
	DB_KEYED_FAILED,	/* the variant failed: its status was
				   returned, nothing committed */
	DB_KEYED_NOT_COMMITTED	/* the opening failed (state), or the commit
				   failed or its outcome is unknown */
};
void db_tx_key(struct db *db, const char *const *key);
enum db_keyed db_tx_keyed(struct db *db, const PGresult **stored,
    char state[6]);

/*
 * Reads on a standby (db_read_conninfo), with read-your-writes by WAL
 * position (LSN).
 *
 * db_standby() makes the handle one for a hot standby: its session set-up
 * writes nothing and LISTENs on nothing (a standby refuses LISTEN), so
 * it serves no auth cache (db_notify_gen() is the primary's).
 *
 * db_track_lsn(1) on the primary's handle: every write statement run
 * outside a transaction (not readonly in the statement table) is sent in
 * pipeline mode followed by its Sync, which commits it, and
 * pg_current_wal_insert_lsn() with its own Sync, all in one round trip;
 * db_tx_commit() sends the same query after the Sync that commits.  The
 * position read is at or past the end of the commit record.
 * db_lsn_take() returns the highest position read since its last call
 * (0: none) and forgets it.  Off (the default), nothing of this is sent.
 * db_lsn_note() adds a position read by a statement of the caller's (a
 * replayed answer's: the write it answered is older), when tracking.
 *
 * db_replay_lsn(): the standby's pg_last_wal_replay_lsn() into *lsn: 0;
 * 1 when the server is not in recovery (no standby: it says nothing of
 * what it has of the primary's WAL); -1 when it could not be asked.
 *
 * db_failures() counts the handle's statements that ended DB_UNAVAILABLE
 * or DB_INTERNAL (no connection, a deadline, a server error, a recovery
 * conflict not cured by the one retry): a read that failed so may be run
 * again elsewhere.  A statement that ran into statement_timeout is not
 * counted: it would cost the primary as long, and a client could switch
 * the standby off with expensive reads.  db_conn_gen() counts the connections made: a change
 * means the server may be another one.
 *
 * db_lsn_parse(): "X/Y", each part 1 to 8 hex digits (pg_lsn's text):
 * 0, or -1 when s is not one.  db_lsn_format(): the same form.
 */
#define DB_LSN_STR	18
void db_standby(struct db *db);
void db_track_lsn(struct db *db, int on);
uint64_t db_lsn_take(struct db *db);
void db_lsn_note(struct db *db, const char *text);
int db_replay_lsn(struct db *db, struct arena *a, uint64_t *lsn);
unsigned long db_failures(const struct db *db);
uint64_t db_conn_gen(const struct db *db);
int db_lsn_parse(const char *s, uint64_t *lsn);
void db_lsn_format(uint64_t lsn, char out[DB_LSN_STR]);

/*
 * 1 when a connection is up (connecting if needed), else 0.  Connecting
 * checks the schema and prepares the statements; a statement whose
 * PREPARE waits on a table lock for more than half a second is left
 * to be prepared when first used, so this never waits on a lock for
 * long.
 */
int db_ready(struct db *db);

/*
 * guard 1: db_exec() guards the budget of the arena it is given (the
 * request's request_memory_bytes), as the worker asks around a request's
 * statements.  No statement runs while the budget is spent: db_exec()
 * logs it and answers DB_UNAVAILABLE, and the arena stays spent
 * (arena_exceeded()) for the worker to refuse the request.  A statement
 * that runs lifts the budget (arena_lift_budget()): the work has
 * started, so what it returns and the answer built from it are never
 * refused for memory.  guard 0 (the default): statements run whatever
 * the budget.
 */
void db_budget(struct db *db, int guard);

/*
 * TCP settings every connection has unless the conninfo sets them: a
 * host that stops answering on an idle connection is noticed after
 * about DB_KEEPALIVES_IDLE + DB_KEEPALIVES_INTERVAL * DB_KEEPALIVES_COUNT
 * seconds, and data left unacknowledged for DB_TCP_USER_TIMEOUT ms ends
 * the connection.
 */
#define DB_KEEPALIVES_IDLE	"5"
#define DB_KEEPALIVES_INTERVAL	"2"
#define DB_KEEPALIVES_COUNT	"3"
#define DB_TCP_USER_TIMEOUT	"10000"

/*
 * Opens a connection with the session every rosterd connection has:
 * connect_timeout (per host of a multi-host conninfo), application_name
 * and the TCP settings above as defaults (the conninfo may override
 * them), search_path 'public', TimeZone UTC, jit off and,
 * when statement_timeout_ms >= 0, that statement_timeout.  Used by the
 * workers, rosterctl migrate and rosterd --check-schema.  Returns the
 * connection, or NULL with libpq's first message line (never the
 * conninfo) in err.
 */
PGconn *db_session_open(const char *conninfo, long connect_timeout,
    const char *application_name, long statement_timeout_ms, char *err,
    size_t errsz);

/* Whether the database has every migration the build knows. */
enum db_schema {
	DB_SCHEMA_OK = 0,	/* every known migration applied */
	DB_SCHEMA_BEHIND,	/* some are missing: rosterctl migrate */
	DB_SCHEMA_UNKNOWN,	/* not connected, or the check failed */
};

/*
 * Gives the handle the migrations of sql_dir (names[0..n), borrowed:
 * they must outlive it).  From then on every connection checks
 * schema_migrations before it prepares anything; while a migration is
 * missing nothing is prepared and db_exec() answers DB_UNAVAILABLE.
 * Without this call the schema is not checked.
 */
void db_set_migrations(struct db *db, char *const *names, size_t n);

/*
 * The schema's state as last seen, and *missing (may be NULL) the
 * missing migrations, ", "-separated (handle memory, valid until the
 * next call).  DB_SCHEMA_OK costs nothing.  While behind, the database
 * is asked again at most once a second, and the statements are
 * prepared as soon as nothing is missing.  Not connected: UNKNOWN, and
 * no attempt to connect (db_exec() and db_ready() connect).
 */
enum db_schema db_schema(struct db *db, const char **missing);

/*
 * Encodes items[0..n) (NULL = SQL NULL) as a PostgreSQL array literal
 * ({"a",NULL}) for a text or uuid[] parameter.  Arena memory.
 */
const char *db_array_literal(struct arena *a, const char *const *items,
    size_t n);

/* Returns column `name` of row `row`, or NULL when it is SQL NULL. */
const char *db_get(const PGresult *r, int row, const char *name);
/* Whether row 0 has column name and it is true ("t"). */
int db_true(const PGresult *r, const char *name);

/* sqlstate.c: maps a five-character SQLSTATE to a status. */
enum db_status db_sqlstate_status(const char *sqlstate);

/*
 * migrate.c: applies the *.sql files of dir not yet recorded in
 * schema_migrations, in name order, each in its own transaction, under
 * an advisory lock.  Reports progress on stdout.  0 on success, -1 with
 * a message in err.
 */
int db_migrate(const char *conninfo, long connect_timeout, const char *dir,
    char *err, size_t errsz) RS_MUSTCHECK;

/*
 * The *.sql files of dir in name order (the migrations a build knows):
 * *names is a heap array of *n heap strings, NULL-terminated; free it
 * with db_names_free().  0, or -1 with a message in err.
 */
int db_migrations_list(const char *dir, char ***names, size_t *n, char *err,
    size_t errsz) RS_MUSTCHECK;

/*
 * The versions schema_migrations records on c (none when the table
 * does not exist), as db_migrations_list().  0, or -1 with err.
 */
int db_migrations_applied(PGconn *c, char ***names, size_t *n, char *err,
    size_t errsz) RS_MUSTCHECK;

void db_names_free(char **names, size_t n);

/*
 * db_migrations_applied() with each query run by q(arg, sql), which
 * returns its result as PQexec() does (NULL: no answer).
 */
typedef PGresult *(*db_query_fn)(void *arg, const char *sql);
int db_migrations_read(db_query_fn q, void *arg, char ***names, size_t *n,
    char *err, size_t errsz) RS_MUSTCHECK;

/*
 * Appends to missing (may be NULL) the names of want[] that have[]
 * lacks and to extra (may be NULL) those of have[] that want[] lacks,
 * each list ", "-separated.  Returns how many are missing.
 */
size_t db_migrations_diff(char *const *want, size_t nwant,
    char *const *have, size_t nhave, struct buf *missing, struct buf *extra);

/*
 * rosterd --check-schema: prints each migration of dir that the
 * database lacks, one a line, on out.  Returns DB_SCHEMA_OK,
 * DB_SCHEMA_BEHIND, or DB_SCHEMA_UNKNOWN with a message in err (the
 * directory or the database could not be read).
 */
int db_check_schema(const char *conninfo, long connect_timeout,
    const char *dir, FILE *out, char *err, size_t errsz) RS_MUSTCHECK;

#endif
