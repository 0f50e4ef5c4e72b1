/*
 * db.c: the worker's connection: connect, session set-up, prepare,
 * execute, notice a restarted server and reconnect.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-events.h>

#include "db.h"

/*
 * SQL text of db_exec_sql() (the SCIM dialect's filtered lists) is
 * prepared on the connection the second time the same text is seen there
 * and executed by name from then on, so PostgreSQL parses and plans it
 * once per connection instead of once per request; a text seen once is
 * only remembered by its hash, so one-off texts neither take a slot nor
 * cost a PREPARE and a DEALLOCATE.  The texts come only from the filter
 * compiler's fixed fragments, every value of a request being a $n
 * parameter: naming a text changes nothing of what SQL can run.
 * Bounded per connection: SQLC_MAX texts of at most SQLC_TEXT_MAX bytes
 * (a longer one always runs unnamed), least recently used evicted with
 * DEALLOCATE; forgotten with the connection (disconnect()).
 */
#define SQLC_MAX	32		/* prepared texts per connection */
#define SQLC_SEEN	64		/* hashes of texts seen, not prepared */
#define SQLC_TEXT_MAX	8192

struct sqlc_ent {
	char		*sql;		/* NULL: the slot is free */
	uint64_t	 hash;
	uint64_t	 used;		/* sqlc_tick when last run */
	int		 stale;		/* failed in a pipeline: prepare afresh */
	char		 name[24];	/* "sql_<n>" */
};

struct db {
	PGconn		*conn;		/* NULL when not connected */
	char		*conninfo;
	long		 connect_timeout;	/* seconds */
	long		 statement_timeout_ms;
	int64_t		 deadline_us;	/* see db_options() */
	int		 unnamed;	/* db_prepared off: no named statement */
	int		 late;		/* no retry: a wait hit the deadline, or
					   connecting failed */
	int		 ok_seen;	/* db_last() saw a successful result */
	int		 not_run;	/* the failed statement never ran */
	int		 stale;		/* a migration changed a type a plan of
					   this session holds: see classify() */
	int		 unreplicated;	/* see notice() */
	char		 auth_gen[64];	/* unnamed: see db_notify_gen() */
	int64_t		 plans_at;	/* when cached plans were last dropped */
	int		 prepared;	/* the up-front prepare ran on conn */
	unsigned char	 ready[STMT__MAX];	/* statement prepared on conn */
	int		 budget;	/* see db_budget() */
	char *const	*want;		/* sql_dir's migrations (borrowed) */
	size_t		 nwant;
	enum db_schema	 schema;	/* as last checked */
	int64_t		 schema_at;	/* when (time_mono_us) */
	int64_t		 warned_at;	/* last "schema is behind" warning */
	char		 missing[1024];	/* the missing ones, ", "-separated */
	uint64_t	 notify_gen;	/* see db_notify_gen() */
	int		 in_tx;		/* a transaction is open */
	int		 pipe;		/* in pipeline mode, its transaction open */
	int		 pipe_failed;	/* a statement of it failed */
	/* db_tx_queue(): the transaction's opening, sent with a statement */
	int		 queued;	/* not sent yet */
	int		 q_sent;
	size_t		 q_n;		/* statements of the opening */
	enum stmt	 q_id[DB_TX_OPENING_MAX];
	const char *const *q_params[DB_TX_OPENING_MAX];
	PGresult	*q_res;		/* the last one's result (request arena) */
	char		 q_state[6];	/* the opening's SQLSTATE */
	/* db_tx_key(): the look-up's key, for a statement's keyed variant */
	const char *const *k_params;
	enum db_keyed	 k_state;	/* what the variant did */
	PGresult	*k_res;		/* its result (request arena) */
	/* reads on a standby, read-your-writes (see db_standby()) */
	int		 standby;	/* no LISTEN: a standby refuses it */
	int		 track_lsn;	/* see db_track_lsn() */
	int		 lsn_pending;	/* db_tx_commit() sent DB_LSN_SQL */
	uint64_t	 lsn;		/* see db_lsn_take() */
	uint64_t	 conn_gen;	/* connections made */
	/* db_binary(): one parameter of one statement sent as bytes */
	int		 bin_on;
	enum stmt	 bin_id;
	int		 bin_i;
	int		 bin_len;
	unsigned long	 failures;	/* see db_failures() */
	int		 canceled;	/* the last statement hit statement_timeout */
	/* db_idle(): a reconnection after a loss noticed while idle failed */
	int64_t		 idle_backoff_us;	/* 0: none pending */
	int64_t		 idle_retry_at;		/* the next try (time_mono_us) */
	/* SQL text prepared on conn (see SQLC_MAX) */
	struct sqlc_ent	 sqlc[SQLC_MAX];
	uint64_t	 sqlc_seen[SQLC_SEEN];
	size_t		 sqlc_next;	/* sqlc_seen's next slot */
	uint64_t	 sqlc_tick;
	uint64_t	 sqlc_names;	/* names handed out */
};

/*
 * How long the connection's set-up (the schema check, the up-front
 * PREPAREs) waits for a table lock.  PREPARE takes a share lock on the
 * tables it names, so a migration holding ACCESS EXCLUSIVE on one would
 * otherwise hold a starting worker until statement_timeout or for good,
 * serving nothing, not even /healthz.  A statement whose PREPARE timed
 * out is prepared when first used, waiting as its request would.
 */
#define DB_SETUP_LOCK_TIMEOUT	"500ms"

/* A schema that is behind is checked again at most this often. */
#define DB_SCHEMA_RECHECK_US	1000000LL
/* and said so in the log at most this often per worker. */
#define DB_SCHEMA_WARN_US	(60 * 1000000LL)

/*
 * Without LISTEN (db_prepared off: a pooler's server session is not the
 * worker's), the auth caches' generation is read from auth_generation,
 * one row that row-level triggers on api_tokens and tenant_aliases bump
 * whenever a row a cache holds changes (sql/0012_auth_generation.sql).
 * Its gen and xmin (a recreated row reads differently too) are read on
 * each use of a cache (one round trip, one primary-key row,
 * whatever the tables' sizes): a revocation is seen by the next request,
 * as with LISTEN.
 */
#define DB_AUTH_GEN_SQL \
	"SELECT gen || '/' || xmin FROM auth_generation WHERE one"

/*
 * How long a generic plan is kept.  PostgreSQL plans a prepared statement
 * for the sizes its tables have then, and keeps that plan: a plan made
 * while `invites` held a few rows scanned it whole for every invite once
 * a provisioning burst had made it large (99 invites/s instead of 2,000;
 * bench/ found it), until autovacuum's next ANALYZE, a minute later at
 * best.  DISCARD PLANS every DB_REPLAN_US on each connection bounds that
 * at the cost of one round trip per connection per period.
 */
#define DB_REPLAN_US	(2 * 1000000LL)

/*
 * The WAL position after a write's commit, sent after the Sync that
 * commits it (see db_track_lsn()): at or past the end of its commit
 * record, as the transaction's own pg_current_wal_lsn() would not be.
 */
#define DB_LSN_SQL	"SELECT pg_current_wal_insert_lsn()::text"
/* What a standby has replayed; NULL on a server not in recovery. */
#define DB_REPLAY_SQL	"SELECT pg_last_wal_replay_lsn()::text"

/* Creates a handle; the connection is made by the first db_exec(). */
struct db *
db_new(const char *conninfo, long connect_timeout, long statement_timeout_ms)
{
	struct db *db;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	db->connect_timeout = connect_timeout;
	db->statement_timeout_ms = statement_timeout_ms;
	db->deadline_us = db_deadline_default(statement_timeout_ms) * 1000LL;
	db->schema = DB_SCHEMA_UNKNOWN;
	return db;
}

/* The client-side deadline db_deadline_ms = 0 stands for.  See db.h. */
long
db_deadline_default(long statement_timeout_ms)
{
	return statement_timeout_ms > 0 ? statement_timeout_ms +
	    DB_DEADLINE_MARGIN_MS : DB_DEADLINE_UNLIMITED_MS;
}

/* The worker's db_deadline_ms and db_prepared.  See db.h. */
void
db_options(struct db *db, long deadline_ms, int prepared)
{
	if (deadline_ms <= 0)
		deadline_ms = db_deadline_default(db->statement_timeout_ms);
	db->deadline_us = deadline_ms * 1000LL;
	db->unnamed = !prepared;
}

/*
 * Waits until c's socket is ready for events, or the deadline
 * (time_mono_us()) passes: 1 ready, 0 the deadline passed, -1 no socket.
 */
static int
sock_wait(PGconn *c, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	if ((pfd.fd = PQsocket(c)) < 0)
		return -1;
	for (;;) {
		if ((left = deadline - time_mono_us()) <= 0)
			return 0;
		left = (left + 999) / 1000;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * The next result of what was sent on c, as PQgetResult() gives it
 * (NULL: that query's results are over), never waiting past the
 * deadline: what libpq holds is flushed and the answer read as the
 * socket allows.  NULL with *lost = 1 when the deadline passed (then
 * with *late = 1) or the connection broke: c is of no use any more.
 */
static PGresult *
conn_result(PGconn *c, int64_t deadline, int *lost, int *late)
{
	int rc;

	*lost = 0;
	while ((rc = PQflush(c)) == 1) {
		/* the server may wait for us to read before it reads on */
		if ((rc = sock_wait(c, POLLIN | POLLOUT, deadline)) != 1 ||
		    PQconsumeInput(c) == 0) {
			*late = *late || rc == 0;
			*lost = 1;
			return NULL;
		}
	}
	if (rc != 0) {
		*lost = 1;
		return NULL;
	}
	while (PQisBusy(c)) {
		if ((rc = sock_wait(c, POLLIN, deadline)) != 1 ||
		    PQconsumeInput(c) == 0) {
			*late = *late || rc == 0;
			*lost = 1;
			return NULL;
		}
	}
	return PQgetResult(c);
}

/*
 * The outcome of the query just sent on c, as PQexec() returns it (its
 * last result), waiting until the deadline at most; *ok_seen = 1 when
 * one of its results was a success.  NULL when the deadline passed or
 * the connection broke.
 */
static PGresult *
conn_last(PGconn *c, int64_t deadline, int *late, int *ok_seen)
{
	PGresult *r, *last = NULL;
	int lost;

	*ok_seen = 0;
	while ((r = conn_result(c, deadline, &lost, late)) != NULL) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK ||
		    PQresultStatus(r) == PGRES_TUPLES_OK)
			*ok_seen = 1;
		PQclear(last);
		last = r;
	}
	if (lost) {
		PQclear(last);
		return NULL;
	}
	return last;
}

/* Forgets the SQL text prepared on the connection (not the server's). */
static void
sqlc_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < SQLC_MAX; i++) {
		free(db->sqlc[i].sql);
		db->sqlc[i].sql = NULL;
	}
}

/* Closes the connection and frees the handle. */
void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	sqlc_clear(db);
	free(db->conninfo);
	free(db);
}

static void disconnect(struct db *);

/* libpq's first message line for c (never the conninfo) into err. */
static void
conn_error(PGconn *c, const char *what, char *err, size_t errsz)
{
	const char *m = c != NULL ? PQerrorMessage(c) : "out of memory";

	snprintf(err, errsz, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

/*
 * Opens a connection with rosterd's session settings.  See db.h.
 * JIT is off: it pays only for long analytical queries, and compiling a
 * bulk statement (estimated expensive by its 10,000-element arrays) was
 * seen to cost seconds on a first run.
 */
static PGconn *
session_open(const char *conninfo, long connect_timeout,
    const char *application_name, long statement_timeout_ms, int settings,
    char *err, size_t errsz)
{
	/*
	 * defaults first: the expanded conninfo overrides them; then what
	 * nothing may override: every byte rosterd sends and reads is UTF-8
	 * (a PGCLIENTENCODING=LATIN1 in an operator's environment would have
	 * the server convert COPY data and answers without an error)
	 */
	const char *kw[] = { "connect_timeout", "application_name",
	    "keepalives", "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "tcp_user_timeout", "dbname",
	    "client_encoding", NULL };
	const char *val[] = { NULL, application_name, "1",
	    DB_KEEPALIVES_IDLE, DB_KEEPALIVES_INTERVAL, DB_KEEPALIVES_COUNT,
	    DB_TCP_USER_TIMEOUT, conninfo, "UTF8", NULL };
	char timeout[24], stmt[24];
	const char *p[1] = { stmt };
	PGresult *r;
	PGconn *c;
	int ok, late = 0, ok_seen;

	snprintf(timeout, sizeof(timeout), "%ld", connect_timeout);
	snprintf(stmt, sizeof(stmt), "%ld", statement_timeout_ms);
	val[0] = timeout;
	c = PQconnectdbParams(kw, val, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		conn_error(c, "cannot connect", err, errsz);
		PQfinish(c);
		return NULL;
	}
	if (!settings)
		return c;
	/* a set-up of constant cost: it waits as long as connecting may */
	r = NULL;
	if (PQsendQueryParams(c, statement_timeout_ms >= 0 ?
	    "SELECT set_config('search_path', 'public', false), "
	    "set_config('TimeZone', 'UTC', false), "
	    "set_config('jit', 'off', false), "
	    "set_config('statement_timeout', $1, false)" :
	    "SELECT set_config('search_path', 'public', false), "
	    "set_config('TimeZone', 'UTC', false), "
	    "set_config('jit', 'off', false)",
	    statement_timeout_ms >= 0 ? 1 : 0, NULL, p, NULL, NULL, 0) == 1)
		r = conn_last(c, time_mono_us() + connect_timeout * 1000000LL,
		    &late, &ok_seen);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (!ok) {
		if (late)
			snprintf(err, errsz, "cannot set up the session: no "
			    "answer within %ld s", connect_timeout);
		else
			conn_error(c, "cannot set up the session", err, errsz);
		PQfinish(c);
		return NULL;
	}
	return c;
}

PGconn *
db_session_open(const char *conninfo, long connect_timeout,
    const char *application_name, long statement_timeout_ms, char *err,
    size_t errsz)
{
	return session_open(conninfo, connect_timeout, application_name,
	    statement_timeout_ms, 1, err, errsz);
}

/*
 * The next result on the handle's connection, as conn_result(): NULL
 * with *lost = 1 when the connection is of no use any more, which is
 * then closed (the handle's state with it).  A server that does not
 * answer within the deadline is given up: closing the socket is all
 * that is done, nothing that could wait on the server (no cancel
 * request, which would open a connection to it); what it was running
 * ends with its session, or, when it has committed, stays done.
 */
static void
db_lost(struct db *db, int late)
{
	if (late) {
		db->late = 1;
		log_warn("the database did not answer within %lld ms: "
		    "connection given up", (long long)(db->deadline_us / 1000));
		metrics_add(METRIC_DB_ERROR);
	}
	disconnect(db);
}

static PGresult *
db_result(struct db *db, int *lost)
{
	PGresult *r;
	int late = 0;

	*lost = 1;
	if (db->conn == NULL)
		return NULL;
	r = conn_result(db->conn, time_mono_us() + db->deadline_us, lost,
	    &late);
	if (*lost)
		db_lost(db, late);
	return r;
}

/* The outcome of the query just sent, as conn_last(); NULL: lost. */
static PGresult *
db_last(struct db *db)
{
	PGresult *r;
	int late = 0;

	db->ok_seen = 0;
	if (db->conn == NULL)
		return NULL;
	/* a query sent always has a result: none is a lost connection */
	if ((r = conn_last(db->conn, time_mono_us() + db->deadline_us, &late,
	    &db->ok_seen)) == NULL)
		db_lost(db, late);
	return r;
}

static void
disconnect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->prepared = 0;
	db->lsn_pending = 0;
	memset(db->ready, 0, sizeof(db->ready));
	sqlc_clear(db);
	if (db->schema == DB_SCHEMA_OK)
		db->schema = DB_SCHEMA_UNKNOWN;	/* the next server may differ */
}

static int cols_event(PGEventId, void *, void *);

/* Runs a set-up command of constant text; 0 or -1. */
static int
setup_command(struct db *db, const char *sql)
{
	PGresult *r = NULL;
	ExecStatusType es;

	if (db->conn != NULL && PQsendQuery(db->conn, sql) == 1)
		r = db_last(db);
	else
		disconnect(db);
	es = PQresultStatus(r);
	PQclear(r);
	return es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK ? 0 : -1;
}

/*
 * Every statement of the table, prepared once per connection, up front
 * (with the set-up's lock timeout in force).  A PREPARE that timed out
 * waiting for a lock ends the pass: that statement and those after it
 * are prepared when first used (exec_once()).  0, or -1 when a
 * statement cannot be prepared at all.
 */
static int
prepare_all(struct db *db)
{
	const char *m, *state;
	PGresult *r;
	size_t i;
	int ok;

	if (db->unnamed) {
		/* every statement is sent with its text (run_statement()) */
		db->prepared = 1;
		return 0;
	}
	for (i = 0; i < STMT__MAX; i++) {
		if (db->ready[i])
			continue;
		r = NULL;
		if (db->conn != NULL && PQsendPrepare(db->conn,
		    db_statements[i].name, db_statements[i].sql,
		    db_statements[i].nparams, NULL) == 1)
			r = db_last(db);
		if (r == NULL) {
			disconnect(db);
			return -1;
		}
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (!ok && state != NULL && strcmp(state, "55P03") == 0) {
			log_warn("statement %s waits for a table lock: it and "
			    "the %zu after it are prepared when first used",
			    db_statements[i].name, (size_t)STMT__MAX - i - 1);
			PQclear(r);
			break;
		}
		if (!ok) {
			m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			log_error("cannot prepare statement %s: %s",
			    db_statements[i].name, m != NULL ? m : "no result");
		}
		PQclear(r);
		if (!ok)
			return -1;
		db->ready[i] = 1;
	}
	db->prepared = 1;
	db->plans_at = time_mono_us();
	return 0;
}

/* A query of the schema check, waiting as db_last() does. */
static PGresult *
query_bounded(void *arg, const char *sql)
{
	struct db *db = arg;

	if (db->conn == NULL || PQsendQuery(db->conn, sql) != 1)
		return NULL;
	return db_last(db);
}

/* Logs what a schema check found, when it is news. */
static void
schema_log(struct db *db, enum db_schema was, const char *extra,
    int64_t now)
{
	if (extra != NULL && *extra != '\0')
		log_warn("the database has migrations this build does not "
		    "know (%s): a newer schema; serving", extra);
	if (db->schema == DB_SCHEMA_BEHIND && (was != DB_SCHEMA_BEHIND ||
	    now - db->warned_at >= DB_SCHEMA_WARN_US)) {
		db->warned_at = now;
		log_warn("database schema is behind: run rosterctl migrate "
		    "(missing %s)", db->missing);
	} else if (db->schema == DB_SCHEMA_OK && was == DB_SCHEMA_BEHIND)
		log_info("database schema is up to date: serving");
}

/*
 * Compares schema_migrations with sql_dir's migrations (when the handle
 * has them), then prepares the statements if nothing is missing.
 * 0, or -1 when the connection is of no use.
 */
static int
schema_check(struct db *db, int log_extra)
{
	enum db_schema was = db->schema;
	struct buf miss, extra;
	char **have = NULL, err[256];
	size_t nhave = 0, n;
	int rc = 0;

	db->schema_at = time_mono_us();
	/*
	 * Behind a pooler a SET would stay on whichever server session ran
	 * it: nothing is prepared there, so nothing waits for a lock long.
	 */
	if (!db->unnamed && setup_command(db, "SET lock_timeout = '"
	    DB_SETUP_LOCK_TIMEOUT "'") != 0)
		return -1;
	if (db->nwant > 0 && db_migrations_read(query_bounded, db, &have,
	    &nhave, err, sizeof(err)) != 0) {
		log_warn("%s", err);
		return -1;
	}
	buf_init(&miss, NULL);
	buf_init(&extra, NULL);
	n = db_migrations_diff(db->want, db->nwant, have, nhave, &miss,
	    log_extra ? &extra : NULL);
	db->schema = n > 0 ? DB_SCHEMA_BEHIND : DB_SCHEMA_OK;
	snprintf(db->missing, sizeof(db->missing), "%s",
	    miss.p != NULL && !miss.failed ? miss.p : "");
	schema_log(db, was, extra.p != NULL && !extra.failed ? extra.p : NULL,
	    db->schema_at);
	buf_release(&miss);
	buf_release(&extra);
	db_names_free(have, nhave);
	if (db->schema == DB_SCHEMA_OK && !db->prepared)
		rc = prepare_all(db);
	/* the session's own lock_timeout again */
	if (rc == 0 && !db->unnamed &&
	    setup_command(db, "RESET lock_timeout") != 0)
		rc = -1;
	return rc;
}

/*
 * The connection's notices: the warning of a ROLLBACK that ends the
 * implicit transaction of a pipeline (tx_abort()) is expected and
 * dropped; any other goes where libpq sends it by default.  A commit
 * whose wait for the synchronous standby was cancelled (statement_timeout
 * during a standby's loss) has committed on this server only: a failover
 * now could lose it, so the statement's success is not one to
 * acknowledge (unreplicated).  PostgreSQL says so in a plain WARNING,
 * told apart by its text (in English, as lc_messages = C gives it).
 */
static PQnoticeReceiver notice_default;

#define DB_SYNC_CANCELLED	"canceling wait for synchronous replication"

static void
notice(void *arg, const PGresult *r)
{
	struct db *db = arg;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	if (state != NULL && strcmp(state, "25P01") == 0)
		return;
	if (msg != NULL && strncmp(msg, DB_SYNC_CANCELLED,
	    strlen(DB_SYNC_CANCELLED)) == 0)
		db->unreplicated = 1;
	if (notice_default != NULL)
		notice_default(NULL, r);
}

/*
 * 1 (and the log says why) when the last commit was not confirmed by a
 * synchronous standby: its outcome is for the caller as unknown as a
 * lost connection's.
 */
static int
unreplicated(struct db *db)
{
	if (!db->unreplicated)
		return 0;
	db->unreplicated = 0;
	log_warn("a write committed on the primary, but its wait for the "
	    "synchronous standby was cancelled: answered 503, its outcome "
	    "unknown to the client");
	metrics_add(METRIC_DB_ERROR);
	return 1;
}

static int
db_connect(struct db *db)
{
	PQnoticeReceiver prev;
	char err[512];

	disconnect(db);
	/* behind a pooler the session's settings are the role's */
	db->conn = session_open(db->conninfo, db->connect_timeout,
	    "rosterd", db->statement_timeout_ms, !db->unnamed, err,
	    sizeof(err));
	if (db->conn == NULL) {
		log_warn("database connection failed%s: %s", db->standby ?
		    " (db_read_conninfo)" : "", err);
		if (db->schema == DB_SCHEMA_BEHIND)
			db->schema = DB_SCHEMA_UNKNOWN;
		return -1;
	}
	/* every wait is the handle's, bounded by the deadline */
	if (PQsetnonblocking(db->conn, 1) != 0) {
		log_warn("database session set-up failed: cannot make the "
		    "socket non-blocking");
		disconnect(db);
		return -1;
	}
	/* db_get()'s column tables; without them, look-ups as before */
	(void)PQregisterEventProc(db->conn, cols_event, "rosterd columns",
	    NULL);
	prev = PQsetNoticeReceiver(db->conn, notice, db);
	if (prev != notice)
		notice_default = prev;
	if (schema_check(db, 1) != 0) {
		log_warn("database session set-up failed");
		disconnect(db);
		db->schema = DB_SCHEMA_UNKNOWN;
		return -1;
	}
	/*
	 * A pooler's session is not ours to listen on (db_notify_gen()),
	 * and a standby refuses LISTEN: its handle serves no auth cache.
	 */
	if (!db->unnamed && !db->standby &&
	    setup_command(db, "LISTEN " DB_AUTH_CHANNEL) != 0) {
		log_warn("database session set-up failed: cannot LISTEN");
		disconnect(db);
		return -1;
	}
	/* notifications may have been missed while not listening */
	db->notify_gen++;
	/*
	 * Every connection after the first replaces one that was lost or
	 * given up, whichever path noticed it (idle, before a statement, a
	 * statement's FATAL answer, a deadline): counted here, once.
	 */
	if (db->conn_gen++ > 0)
		metrics_add(METRIC_DB_RECONNECT);
	log_info("database connection established%s", db->standby ?
	    " (db_read_conninfo)" : "");
	return 0;
}

/* Drops the connection's cached plans when they are DB_REPLAN_US old. */
static void
refresh_plans(struct db *db)
{
	int64_t now = time_mono_us();

	if (db->unnamed || now - db->plans_at < DB_REPLAN_US)
		return;
	db->plans_at = now;
	(void)setup_command(db, "DISCARD PLANS");
}

/* Counts and frees the notifications libpq has read; returns how many. */
static int
take_notifies(struct db *db)
{
	PGnotify *n;
	int got = 0;

	while ((n = PQnotifies(db->conn)) != NULL) {
		PQfreemem(n);
		got++;
	}
	db->notify_gen += (uint64_t)got;
	return got;
}

/*
 * A server that restarted has closed our socket (or sent a FATAL
 * message): the socket is readable while we expect nothing.  This check
 * costs one poll(2) and lets a worker reconnect before sending, instead
 * of failing a request or retrying a write that may have run.
 */
static int
conn_alive(struct db *db)
{
	struct pollfd pfd;
	int i;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return 0;
	pfd.fd = PQsocket(db->conn);
	if (pfd.fd < 0)
		return 0;
	/*
	 * Input on an idle connection is a notification (LISTEN
	 * DB_AUTH_CHANNEL), or a server going away (FATAL 57P01, then
	 * EOF), or an error on the socket (keepalives or tcp_user_timeout
	 * gave up on the host): then start afresh.  A notification read may
	 * have come with the end of the connection behind it, which a
	 * second look finds.
	 */
	for (i = 0; i < 8; i++) {
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 0)
			return 1;
		if (PQconsumeInput(db->conn) == 0 ||
		    PQstatus(db->conn) != CONNECTION_OK ||
		    take_notifies(db) == 0)
			return 0;
	}
	return 1;	/* notifications, and more: the next look decides */
}

static int
ensure_conn(struct db *db)
{
	if (db->stale && !db->in_tx && !db->pipe) {
		db->stale = 0;
		disconnect(db);
		log_info("a migration changed a type this session's plans "
		    "hold: connecting again to prepare every statement");
	}
	if (conn_alive(db))
		return 0;
	if (db->conn != NULL)
		log_warn("database connection lost; reconnecting");
	return db_connect(db);
}

/*
 * Reads what notifications have arrived, without blocking.  See db.h.
 */
uint64_t
db_notify_gen(struct db *db, int *ok)
{
	PGresult *r = NULL;
	const char *v;

	*ok = ensure_conn(db) == 0;
	if (!*ok)
		return db->notify_gen;
	if (!db->unnamed) {
		(void)take_notifies(db);
		return db->notify_gen;
	}
	/* a transaction is open: what it sees is what was read before */
	if (db->in_tx || db->queued)
		return db->notify_gen;
	if (PQsendQueryParams(db->conn, DB_AUTH_GEN_SQL, 0, NULL, NULL, NULL,
	    NULL, 0) == 1)
		r = db_last(db);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
	    (v = PQgetvalue(r, 0, 0)) == NULL) {
		*ok = 0;
		PQclear(r);
		return db->notify_gen;
	}
	if (strcmp(v, db->auth_gen) != 0) {
		snprintf(db->auth_gen, sizeof(db->auth_gen), "%s", v);
		db->notify_gen++;
	}
	PQclear(r);
	return db->notify_gen;
}

/* A failed reconnection while idle is tried again this often, at most. */
#define DB_IDLE_RETRY_MIN_US	1000000LL
#define DB_IDLE_RETRY_MAX_US	30000000LL

/*
 * Notices, while idle, a connection that has ended, and connects again.
 * When that fails (the server is restarting, or refuses connections for
 * a while), it is tried again on later idle ticks, the wait doubling
 * from one second to thirty.  A handle that has never connected is left
 * to the first request.  See db.h.
 */
void
db_idle(struct db *db)
{
	int64_t now;

	if (db->in_tx || db->queued)
		return;
	if (db->conn != NULL) {
		if (conn_alive(db)) {
			db->idle_backoff_us = 0;
			return;
		}
		log_warn("database connection lost while idle; reconnecting");
		db->idle_backoff_us = 0;
	} else if (db->idle_backoff_us == 0 ||
	    time_mono_us() < db->idle_retry_at)
		return;
	if (db_connect(db) == 0) {
		db->idle_backoff_us = 0;
		return;
	}
	now = time_mono_us();
	db->idle_backoff_us = db->idle_backoff_us == 0 ? DB_IDLE_RETRY_MIN_US :
	    db->idle_backoff_us * 2 > DB_IDLE_RETRY_MAX_US ?
	    DB_IDLE_RETRY_MAX_US : db->idle_backoff_us * 2;
	db->idle_retry_at = now + db->idle_backoff_us;
}

/* Returns 1 when the database answers. */
int
db_ready(struct db *db)
{
	return ensure_conn(db) == 0;
}

/* Gives the handle sql_dir's migrations.  See db.h. */
void
db_set_migrations(struct db *db, char *const *names, size_t n)
{
	db->want = names;
	db->nwant = n;
}

/*
 * The schema's state, asked again at most once a second while behind.
 * See db.h.
 */
enum db_schema
db_schema(struct db *db, const char **missing)
{
	if (db->schema == DB_SCHEMA_BEHIND &&
	    time_mono_us() - db->schema_at >= DB_SCHEMA_RECHECK_US) {
		if (!conn_alive(db))
			(void)ensure_conn(db);	/* reconnecting checks */
		else if (schema_check(db, 0) != 0) {
			disconnect(db);
			db->schema = DB_SCHEMA_UNKNOWN;
		}
	}
	if (missing != NULL)
		*missing = db->missing;
	return db->schema;
}

static void
pgres_free(void *p)
{
	PQclear(p);
}

static enum db_status
classify(struct db *db, struct arena *a, PGresult *r, const char **constraint)
{
	const char *state, *msg;
	enum db_status st;

	if (r == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return DB_UNAVAILABLE;
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	st = db_sqlstate_status(state);
	db->canceled = state != NULL && strcmp(state, "57014") == 0;
	/*
	 * A statement prepared on this connection whose result type a
	 * migration changed since (a column's type) fails so every time,
	 * before it runs: PostgreSQL plans it again but refuses a row of
	 * another shape than the one it described when prepared.  A
	 * PL/pgSQL trigger compiled on this connection before such a change
	 * fails the same way, every time, on the row's changed field.  The
	 * connection is made again, which prepares every statement on the
	 * new schema and compiles the trigger afresh, and the statement is
	 * retried.
	 */
	msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	if (state != NULL && msg != NULL && ((strcmp(state, "0A000") == 0 &&
	    strcmp(msg, "cached plan must not change result type") == 0) ||
	    (strcmp(state, "42804") == 0 && strstr(msg, " does not match "
	    "that when preparing the plan ") != NULL))) {
		db->stale = 1;
		return DB_RETRY;
	}
	/* copied: the result is cleared before the caller looks */
	if (constraint != NULL &&
	    PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) != NULL)
		*constraint = arena_strdup(a,
		    PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME));
	if (st == DB_INTERNAL || st == DB_UNAVAILABLE) {
		/* primary text only: DETAIL may hold the row's values */
		log_error("database error %s: %s", state ? state : "?",
		    msg ? msg : "?");
	}
	return st;
}

static PGresult *exec_queued(struct db *, struct arena *, enum stmt,
    const char *const *, enum db_status *, const char **);
static PGresult *run_write_lsn(struct db *, enum stmt, const char *const *);
static PGresult *tx_exec(struct db *, struct arena *, enum stmt,
    const char *const *, enum db_status *, const char **);
static PGresult *exec_keyed(struct db *, struct arena *, enum stmt,
    const char *const *, enum db_status *, const char **);

/* The most parameters a statement sent with a binary one may have. */
#define DB_BIN_PARAMS	32

/*
 * The lengths and formats of statement id's nparams parameters, when
 * db_binary() named one of them: 1, else 0 (all text: NULL arrays).
 */
static int
bin_arrays(const struct db *db, enum stmt id, int nparams, int *lens,
    int *fmts)
{
	int i;

	if (!db->bin_on || db->bin_id != id || db->bin_i >= nparams ||
	    nparams > DB_BIN_PARAMS)
		return 0;
	for (i = 0; i < nparams; i++)
		lens[i] = fmts[i] = 0;
	lens[db->bin_i] = db->bin_len;
	fmts[db->bin_i] = 1;
	return 1;
}

/*
 * Runs statement id on the connection.  One the up-front pass left
 * unprepared (it timed out on a lock) is prepared first, waiting as the
 * statement itself would; a failed PREPARE's result is returned then.
 */
static PGresult *
run_statement(struct db *db, enum stmt id, const char *const *params)
{
	const struct stmt_def *d = &db_statements[id];
	PGresult *r;
	int sent, lens[DB_BIN_PARAMS], fmts[DB_BIN_PARAMS], bin;

	bin = bin_arrays(db, id, d->nparams, lens, fmts);
	if (d->replan || db->unnamed)
		sent = PQsendQueryParams(db->conn, d->sql, d->nparams, NULL,
		    params, bin ? lens : NULL, bin ? fmts : NULL, 0);
	else {
		if (!db->ready[id]) {
			if (PQsendPrepare(db->conn, d->name, d->sql,
			    d->nparams, NULL) != 1 || (r = db_last(db)) == NULL) {
				disconnect(db);
				return NULL;
			}
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				return r;
			PQclear(r);
			db->ready[id] = 1;
		}
		sent = PQsendQueryPrepared(db->conn, d->name, d->nparams,
		    params, bin ? lens : NULL, bin ? fmts : NULL, 0);
	}
	if (sent != 1) {
		disconnect(db);
		return NULL;
	}
	return db_last(db);
}

/*
 * Whether the failed result r says the statement never ran: the server
 * ended the session (57P01, pg_terminate_backend() or a shutdown)
 * before anything of the statement succeeded.  Such an end comes only
 * where interrupts are taken (waiting for the statement, running it),
 * never inside a commit; a statement that got as far as its command's
 * completion has that result before the error (db->ok_seen), and a
 * commit after it is possible.  So nothing was done, and even a write
 * may be sent again on a new connection.
 */
static int
never_ran(const struct db *db, const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return !db->ok_seen && state != NULL && strcmp(state, "57P01") == 0;
}

static PGresult *
exec_once(struct db *db, struct arena *a, enum stmt id, const char *const *params,
    enum db_status *st, const char **constraint)
{
	PGresult *r;
	ExecStatusType es;

	if (db->queued)
		return exec_queued(db, a, id, params, st, constraint);
	if (db->in_tx) {
		/*
		 * A new connection would run outside the transaction, and a
		 * transaction whose opening failed runs nothing.
		 */
		if (!db->pipe || db->q_res == NULL || !conn_alive(db)) {
			*st = DB_UNAVAILABLE;
			return NULL;
		}
		return tx_exec(db, a, id, params, st, constraint);
	} else if (ensure_conn(db) != 0 || (!db->prepared &&
	    db_schema(db, NULL) != DB_SCHEMA_OK)) {
		/* connecting again at once would wait as long again */
		db->late = db->conn == NULL;
		*st = DB_UNAVAILABLE;
		return NULL;
	}
	refresh_plans(db);
	db->unreplicated = 0;
	if (db->track_lsn && !db_statements[id].readonly)
		r = run_write_lsn(db, id, params);
	else
		r = run_statement(db, id, params);
	es = PQresultStatus(r);
	if (r != NULL && (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK)) {
		if (unreplicated(db)) {
			PQclear(r);
			*st = DB_UNAVAILABLE;
			return NULL;
		}
		*st = DB_OK;
		return r;
	}
	db->not_run = r != NULL && never_ran(db, r);
	*st = classify(db, a, r, constraint);
	metrics_add(METRIC_DB_ERROR);
	PQclear(r);
	if (*st == DB_UNAVAILABLE && PQstatus(db->conn) != CONNECTION_OK)
		disconnect(db);
	return NULL;
}

/* Whether db_exec() guards its arena's budget from now on.  See db.h. */
void
db_budget(struct db *db, int guard)
{
	db->budget = guard != 0;
}

/*
 * Executes a prepared statement.  See db.h.  A serialization failure or
 * deadlock is retried once; a lost connection is retried once only for
 * read-only statements (a write may have committed before the loss).
 * Inside a transaction nothing is retried: the failure ended it.
 */
PGresult *
db_exec(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint)
{
	PGresult *r;

	if (constraint != NULL)
		*constraint = NULL;
	if (db->budget) {
		if (arena_exceeded(a)) {
			log_info("statement %s not run: the request spent its "
			    "memory budget (%zu bytes used)",
			    db_statements[id].name, arena_used(a));
			*st = DB_UNAVAILABLE;
			return NULL;
		}
		/* the work starts: what it returns is not refused */
		arena_lift_budget(a, 1);
	}
	/*
	 * A statement that met the deadline is not sent again: the server
	 * that did not answer is likely the one a new connection finds.
	 */
	db->late = 0;
	db->not_run = 0;
	db->canceled = 0;
	r = exec_once(db, a, id, params, st, constraint);
	if (r == NULL && !db->in_tx && !db->late && (*st == DB_RETRY ||
	    (*st == DB_UNAVAILABLE && (db_statements[id].readonly ||
	    db->not_run))))
		r = exec_once(db, a, id, params, st, constraint);
	if (r == NULL && *st == DB_RETRY)
		*st = DB_UNAVAILABLE;
	if (r == NULL && (*st == DB_UNAVAILABLE || *st == DB_INTERNAL) &&
	    !db->canceled)
		db->failures++;
	if (r != NULL)
		arena_defer(a, pgres_free, r);
	db->bin_on = 0;
	return r;
}

/* Names statement id's binary parameter for the next db_exec().  See db.h. */
void
db_binary(struct db *db, enum stmt id, int i, size_t n)
{
	db->bin_on = n <= INT_MAX;
	db->bin_id = id;
	db->bin_i = i;
	db->bin_len = (int)(n <= INT_MAX ? n : 0);
}

/* One query of a pipeline: SQL text, or prepared statement id. */
struct pipe_q {
	const char		*sql;		/* NULL: statement id */
	const char		*name;		/* sql prepared as name */
	enum stmt		 id;
	int			 nparams;
	const char *const	*params;
};

static void
results_clear(PGresult **res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
}

/*
 * The transaction of db_tx_queue() is PostgreSQL's implicit transaction
 * of a pipeline: every statement sent before the pipeline's Sync runs in
 * one transaction, which the Sync commits (or, after a failed statement,
 * rolls back); no BEGIN, no COMMIT.  A statement is sent with a flush
 * request, so that its result can be read while the transaction stays
 * open.  Until the Sync the server does not wait for more in a state
 * that idle_in_transaction_session_timeout covers; a worker that dies
 * closes the connection, and the server rolls the transaction back.
 */

/* Sends query q into the open pipeline; 1, or 0 when it cannot. */
static int
pipe_send(struct db *db, const struct pipe_q *q)
{
	const struct stmt_def *d = q->sql == NULL ? &db_statements[q->id] :
	    NULL;
	int lens[DB_BIN_PARAMS], fmts[DB_BIN_PARAMS], bin;

	if (q->name != NULL)
		return PQsendQueryPrepared(db->conn, q->name, q->nparams,
		    q->params, NULL, NULL, 0) == 1;
	bin = d != NULL && bin_arrays(db, q->id, d->nparams, lens, fmts);
	/* one the up-front pass left unprepared runs unnamed */
	if (d != NULL && !d->replan && db->ready[q->id])
		return PQsendQueryPrepared(db->conn, d->name, d->nparams,
		    q->params, bin ? lens : NULL, bin ? fmts : NULL, 0) == 1;
	return PQsendQueryParams(db->conn, d != NULL ? d->sql : q->sql,
	    d != NULL ? d->nparams : q->nparams, NULL, q->params,
	    bin ? lens : NULL, bin ? fmts : NULL, 0) == 1;
}

/*
 * The next query's result in the open pipeline (an error result for a
 * failed one, PGRES_PIPELINE_ABORTED for one skipped after it), or NULL
 * when the connection broke.
 */
static PGresult *
pipe_read(struct db *db)
{
	PGresult *r, *x;
	int lost;

	if ((r = db_result(db, &lost)) == NULL)
		return NULL;
	/* each query's results end with a NULL */
	if ((x = db_result(db, &lost)) != NULL || lost) {
		PQclear(x);
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The transaction's connection broke: it is gone, and so is the handle's. */
static void
pipe_lost(struct db *db)
{
	db->pipe = 0;
	metrics_add(METRIC_DB_ERROR);
	disconnect(db);
}

/* Keeps the highest WAL position of text v (pg_lsn's form). */
static void
lsn_note(struct db *db, const char *v)
{
	uint64_t lsn;

	if (v != NULL && db_lsn_parse(v, &lsn) == 0 && lsn > db->lsn)
		db->lsn = lsn;
}

/*
 * Reads the open pipeline's results up to its next Sync, giving each
 * other result to fn, which clears it: 1 once the Sync is read, 0 when
 * the connection broke or the results ended without one.
 */
static int
to_sync(struct db *db, void (*fn)(struct db *, PGresult *, void *),
    void *arg)
{
	PGresult *r;
	int lost, nulls = 0;

	while (nulls < 2) {
		if ((r = db_result(db, &lost)) == NULL) {
			if (lost)
				return 0;
			nulls++;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return 1;
		}
		fn(db, r, arg);
	}
	return 0;
}

static void
lsn_result(struct db *db, PGresult *r, void *arg)
{
	(void)arg;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    !PQgetisnull(r, 0, 0))
		lsn_note(db, PQgetvalue(r, 0, 0));
	PQclear(r);
}

/*
 * Reads the result of DB_LSN_SQL, sent after a Sync, up to its own
 * Sync.  0, or -1 when the connection broke (then closed).
 */
static int
lsn_collect(struct db *db)
{
	db->lsn_pending = 0;
	if (to_sync(db, lsn_result, NULL))
		return 0;
	log_warn("the WAL position after a commit could not be read: the "
	    "answer carries none");
	if (db->conn != NULL)
		disconnect(db);
	return -1;
}

/* Keeps the last result of a statement in *arg, noting a success. */
static void
keep_result(struct db *db, PGresult *r, void *arg)
{
	PGresult **res = arg;
	ExecStatusType es = PQresultStatus(r);

	if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK)
		db->ok_seen = 1;
	PQclear(*res);
	*res = r;
}

/*
 * Runs write statement id outside a transaction and reads the WAL
 * position after its commit in the same round trip: in pipeline mode
 * the statement, the Sync that commits it, DB_LSN_SQL and its Sync.
 * The statement's result as run_statement() returns it; a connection
 * lost after the commit's Sync loses the position only.
 */
static PGresult *
run_write_lsn(struct db *db, enum stmt id, const char *const *params)
{
	struct pipe_q q, l;
	PGresult *res = NULL;

	db->ok_seen = 0;
	memset(&q, 0, sizeof(q));
	memset(&l, 0, sizeof(l));
	q.id = id;
	q.params = params;
	l.sql = DB_LSN_SQL;
	if (PQenterPipelineMode(db->conn) != 1 || !pipe_send(db, &q) ||
	    PQpipelineSync(db->conn) != 1 || !pipe_send(db, &l) ||
	    PQpipelineSync(db->conn) != 1) {
		disconnect(db);
		return NULL;
	}
	/* the statement's results, then the Sync that ends it */
	if (!to_sync(db, keep_result, &res)) {
		if (db->conn != NULL)
			disconnect(db);
		/* a statement that failed as its session ended: see
		 * never_ran() */
		if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR)
			return res;
		PQclear(res);
		return NULL;
	}
	if (lsn_collect(db) == 0 && PQexitPipelineMode(db->conn) != 1)
		disconnect(db);
	return res;
}

/* Counts in *arg the statements that failed. */
static void
count_failed(struct db *db, PGresult *r, void *arg)
{
	int *failed = arg;
	ExecStatusType es = PQresultStatus(r);

	(void)db;
	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
		if (es != PGRES_PIPELINE_ABORTED)
			metrics_add(METRIC_DB_ERROR);
		(*failed)++;
	}
	PQclear(r);
}

/*
 * Reads up to the pipeline's Sync (sent) and leaves pipeline mode: 1 when
 * every statement since the last result read and the commit succeeded, 0
 * when one failed (the transaction was rolled back), -1 when the
 * connection broke (disconnected; the outcome is unknown).
 */
static int
pipe_end(struct db *db)
{
	int failed = 0;

	if (to_sync(db, count_failed, &failed)) {
		db->pipe = 0;
		db->in_tx = 0;
		/* committed or not: a lost LSN loses no write */
		if (db->lsn_pending && lsn_collect(db) != 0)
			return failed ? 0 : 1;
		if (PQexitPipelineMode(db->conn) == 1 &&
		    PQtransactionStatus(db->conn) == PQTRANS_IDLE)
			return failed ? 0 : 1;
	}
	pipe_lost(db);
	return -1;
}

/*
 * Sends q with a flush request and reads its result (the caller clears
 * it), as pipe_read() does; NULL: the connection broke (disconnected).
 */
static PGresult *
pipe_exec(struct db *db, const struct pipe_q *q)
{
	PGresult *r;

	/* pipe_read() sends what is queued */
	if (!pipe_send(db, q) || PQsendFlushRequest(db->conn) != 1 ||
	    (r = pipe_read(db)) == NULL) {
		pipe_lost(db);
		return NULL;
	}
	return r;
}

/*
 * A statement's result inside the open transaction, as exec_once()
 * returns it: a failed statement fails the transaction, and nothing is
 * sent after it.
 */
static PGresult *
tx_run(struct db *db, struct arena *a, const struct pipe_q *q,
    enum db_status *st, const char **constraint)
{
	PGresult *r;
	ExecStatusType es;

	*st = DB_UNAVAILABLE;
	if (db->pipe_failed)
		return NULL;
	if ((r = pipe_exec(db, q)) == NULL)
		return NULL;
	es = PQresultStatus(r);
	if (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK) {
		*st = DB_OK;
		return r;
	}
	db->pipe_failed = 1;
	metrics_add(METRIC_DB_ERROR);
	*st = classify(db, a, r, constraint);
	if (*st == DB_RETRY)
		*st = DB_UNAVAILABLE;
	PQclear(r);
	return NULL;
}

/* Prepared statement id inside the open transaction, as tx_run(). */
static PGresult *
tx_exec(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint)
{
	struct pipe_q q;

	memset(&q, 0, sizeof(q));
	q.id = id;
	q.params = params;
	return tx_run(db, a, &q, st, constraint);
}

/* FNV-1a of the text. */
static uint64_t
sqlc_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The entry of text sql prepared on the connection, or NULL. */
static struct sqlc_ent *
sqlc_find(struct db *db, const char *sql, uint64_t hash)
{
	size_t i;

	for (i = 0; i < SQLC_MAX; i++)
		if (db->sqlc[i].sql != NULL && db->sqlc[i].hash == hash &&
		    strcmp(db->sqlc[i].sql, sql) == 0)
			return &db->sqlc[i];
	return NULL;
}

/*
 * Whether a text of this hash was seen before on the handle; remembers
 * it if not.  A collision merely prepares a text seen once.
 */
static int
sqlc_seen(struct db *db, uint64_t hash)
{
	size_t i;

	for (i = 0; i < SQLC_SEEN; i++)
		if (db->sqlc_seen[i] == hash)
			return 1;
	db->sqlc_seen[db->sqlc_next] = hash;
	db->sqlc_next = (db->sqlc_next + 1) % SQLC_SEEN;
	return 0;
}

/* Drops entry e, and its statement on the server (name of ours). */
static void
sqlc_drop(struct db *db, struct sqlc_ent *e)
{
	char cmd[48];

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		snprintf(cmd, sizeof(cmd), "DEALLOCATE %s", e->name);
		(void)setup_command(db, cmd);	/* lost: all is forgotten */
	}
	free(e->sql);
	e->sql = NULL;
}

/*
 * Prepares sql on the connection in a free slot, or in place of the
 * least recently used one; NULL with PREPARE's failed result in *r.
 */
static struct sqlc_ent *
sqlc_prepare(struct db *db, const char *sql, uint64_t hash, int nparams,
    PGresult **r)
{
	struct sqlc_ent *e = &db->sqlc[0];
	size_t i;

	for (i = 0; i < SQLC_MAX && e->sql != NULL; i++)
		if (db->sqlc[i].sql == NULL || db->sqlc[i].used < e->used)
			e = &db->sqlc[i];
	if (e->sql != NULL)
		sqlc_drop(db, e);
	snprintf(e->name, sizeof(e->name), "sql_%llu",
	    (unsigned long long)++db->sqlc_names);
	*r = NULL;
	if (db->conn == NULL || PQsendPrepare(db->conn, e->name, sql, nparams,
	    NULL) != 1 || (*r = db_last(db)) == NULL) {
		disconnect(db);
		return NULL;
	}
	if (PQresultStatus(*r) != PGRES_COMMAND_OK)
		return NULL;
	PQclear(*r);
	*r = NULL;
	e->sql = xstrdup(sql);
	e->hash = hash;
	e->stale = 0;
	return e;
}

/*
 * Runs read-only SQL text with parameters.  See db.h.  Text seen before
 * on the connection runs as a prepared statement (see SQLC_MAX); inside
 * the open pipeline only one prepared already, as nothing but the
 * transaction's statements may be sent there.  A prepared text whose
 * result type a migration changed fails ("cached plan must not change
 * result type", 0A000): it is dropped, and run again unnamed.
 */
static PGresult *exec_sql(struct db *, struct arena *, const char *, int,
    const char *const *, enum db_status *);

PGresult *
db_exec_sql(struct db *db, struct arena *a, const char *sql, int nparams,
    const char *const *params, enum db_status *st)
{
	PGresult *r;

	if (db->budget) {
		if (arena_exceeded(a)) {
			log_info("statement not run: the request spent its "
			    "memory budget (%zu bytes used)", arena_used(a));
			*st = DB_UNAVAILABLE;
			return NULL;
		}
		arena_lift_budget(a, 1);
	}
	db->canceled = 0;
	r = exec_sql(db, a, sql, nparams, params, st);
	if (r == NULL && (*st == DB_UNAVAILABLE || *st == DB_INTERNAL) &&
	    !db->canceled)
		db->failures++;
	return r;
}

static PGresult *
exec_sql(struct db *db, struct arena *a, const char *sql, int nparams,
    const char *const *params, enum db_status *st)
{
	struct sqlc_ent *e = NULL;
	struct pipe_q q;
	PGresult *r;
	ExecStatusType es;
	const char *state;
	uint64_t hash = 0;
	int tries, cache, seen = 0, failed;

	db->late = 0;
	/* behind a pooler nothing is named: every text runs unnamed */
	if ((cache = !db->unnamed && strlen(sql) <= SQLC_TEXT_MAX)) {
		hash = sqlc_hash(sql);
		seen = sqlc_seen(db, hash);
	}
	if (db->queued)
		(void)exec_queued(db, a, STMT__MAX, NULL, st, NULL);
	if (db->in_tx) {
		/* in the open pipeline, as a prepared statement would run */
		if (!db->pipe || db->q_res == NULL || !conn_alive(db)) {
			*st = DB_UNAVAILABLE;
			return NULL;
		}
		memset(&q, 0, sizeof(q));
		q.sql = sql;
		q.nparams = nparams;
		q.params = params;
		if (cache && (e = sqlc_find(db, sql, hash)) != NULL &&
		    !e->stale) {
			e->used = ++db->sqlc_tick;
			q.name = e->name;
		}
		failed = db->pipe_failed;
		if ((r = tx_run(db, a, &q, st, NULL)) != NULL)
			arena_defer(a, pgres_free, r);
		else if (q.name != NULL && !failed && db->conn != NULL)
			e->stale = 1;	/* it may be the cause: prepare afresh */
		return r;
	}
	for (tries = 0; tries < 2; tries++) {
		if (ensure_conn(db) != 0 || (!db->prepared &&
		    db_schema(db, NULL) != DB_SCHEMA_OK)) {
			*st = DB_UNAVAILABLE;
			return NULL;
		}
		r = NULL;
		e = NULL;
		db->unreplicated = 0;
		if (cache && (e = sqlc_find(db, sql, hash)) != NULL &&
		    e->stale) {
			sqlc_drop(db, e);
			e = NULL;
		}
		if (cache && e == NULL && seen)
			e = sqlc_prepare(db, sql, hash, nparams, &r);
		if (e != NULL) {
			e->used = ++db->sqlc_tick;
			refresh_plans(db);	/* its plan may be generic */
			if (db->conn != NULL && PQsendQueryPrepared(db->conn,
			    e->name, nparams, params, NULL, NULL, 0) == 1)
				r = db_last(db);
		} else if (r == NULL && db->conn != NULL &&
		    PQsendQueryParams(db->conn, sql, nparams, NULL, params,
		    NULL, NULL, 0) == 1)
			r = db_last(db);
		es = PQresultStatus(r);
		if (r != NULL && (es == PGRES_TUPLES_OK ||
		    es == PGRES_COMMAND_OK)) {
			if (unreplicated(db)) {
				PQclear(r);
				*st = DB_UNAVAILABLE;
				return NULL;
			}
			*st = DB_OK;
			arena_defer(a, pgres_free, r);
			return r;
		}
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (e != NULL && state != NULL && strcmp(state, "0A000") == 0) {
			log_info("statement %s failed with 0A000 (a migration "
			    "changed its result type?): dropped, run unnamed",
			    e->name);
			PQclear(r);
			sqlc_drop(db, e);
			cache = 0;
			tries--;	/* once: cache is 0 from now on */
			continue;
		}
		*st = classify(db, a, r, NULL);
		metrics_add(METRIC_DB_ERROR);
		PQclear(r);
		if (*st == DB_UNAVAILABLE && PQstatus(db->conn) != CONNECTION_OK)
			disconnect(db);
		if ((*st != DB_RETRY && *st != DB_UNAVAILABLE) || db->late)
			break;
	}
	if (*st == DB_RETRY)
		*st = DB_UNAVAILABLE;
	return NULL;
}

/* Ends the transaction, rolling back whatever it did. */
static void
tx_abort(struct db *db)
{
	struct pipe_q q;

	db->in_tx = 0;
	db->queued = 0;
	if (!db->pipe)
		return;
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		pipe_lost(db);
		return;
	}
	/*
	 * ROLLBACK in the implicit transaction ends it (the server's
	 * warning that no transaction is in progress is dropped by
	 * notice()); after a failed statement the Sync alone does.
	 */
	memset(&q, 0, sizeof(q));
	q.sql = "ROLLBACK";
	if ((!db->pipe_failed && !pipe_send(db, &q)) ||
	    PQpipelineSync(db->conn) != 1) {
		pipe_lost(db);
		return;
	}
	(void)pipe_end(db);
}

/*
 * Enters pipeline mode and sends the n queries of q: 1, or 0 when one
 * could not be sent (then -1 when pipeline mode could not be entered:
 * disconnected).
 */
static int
pipe_start(struct db *db, const struct pipe_q *q, size_t n)
{
	size_t i;
	int ok;

	if (PQenterPipelineMode(db->conn) != 1) {
		disconnect(db);
		return -1;
	}
	db->pipe = 1;
	db->pipe_failed = 0;
	for (i = 0, ok = 1; ok && i < n; i++)
		ok = pipe_send(db, &q[i]);
	return ok;
}

/*
 * Whether a statement of the opening (its nq results in res) failed:
 * then its SQLSTATE is in q_state, and the error is counted and logged
 * (a lock wait that timed out is no error).
 */
static int
opening_failed(struct db *db, struct arena *a, PGresult **res, size_t nq)
{
	const char *s;
	size_t i;

	for (i = 0; i < nq; i++)
		if (PQresultStatus(res[i]) != PGRES_TUPLES_OK)
			break;
	if (i == nq)
		return 0;
	metrics_add(METRIC_DB_ERROR);
	s = PQresultErrorField(res[i], PG_DIAG_SQLSTATE);
	snprintf(db->q_state, sizeof(db->q_state), "%s", s != NULL ? s :
	    "08006");
	if (strcmp(db->q_state, "55P03") != 0)
		(void)classify(db, a, res[i], NULL);
	return 1;
}

#define DB_KEPT_MAX	8	/* columns of an answer kept under a key */

/*
 * The row of an answer kept under a key (idempotency.result, in the form
 * that kept names: see stmt_def.kept): a result of one row whose columns
 * are kept's, holding text's values.  NULL when text is not that form.
 */
static PGresult *
kept_row(const char *kept, const char *text)
{
	PGresAttDesc attrs[DB_KEPT_MAX];
	char names[DB_KEPT_MAX][32];
	const char *k = kept, *v = text, *sp;
	PGresult *x;
	int n = 0, i;
	size_t len;

	memset(attrs, 0, sizeof(attrs));
	while (*k != '\0') {
		len = strcspn(k, " ");
		if (n == DB_KEPT_MAX || len == 0 || len >= sizeof(names[0]))
			abort();	/* a bug: stmt_def.kept is ours */
		memcpy(names[n], k, len);
		names[n][len] = '\0';
		attrs[n].name = names[n];
		attrs[n++].format = 0;
		k += len + (k[len] == ' ');
	}
	if ((x = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK)) == NULL)
		return NULL;
	if (PQsetResultAttrs(x, n, attrs) != 1)
		goto bad;
	for (i = 0; i < n; i++) {
		sp = i < n - 1 ? strchr(v, ' ') : v + strlen(v);
		if (sp == NULL ||
		    PQsetvalue(x, 0, i, (char *)v, (int)(sp - v)) != 1)
			goto bad;
		v = sp + (i < n - 1);
	}
	return x;
bad:
	PQclear(x);
	return NULL;
}

/*
 * Sends the n queries of q and the Sync that ends their transaction (and
 * the WAL position after it when tracking), and reads their results into
 * res: pipe_end()'s outcome (1 committed, 0 a statement failed and
 * nothing did, -1 lost, the results cleared), or -2 when nothing could
 * be sent (disconnected).  The transaction is over at the server either
 * way; db_tx_keyed() ends it here.
 */
static int
keyed_round(struct db *db, const struct pipe_q *q, size_t n, PGresult **res)
{
	struct pipe_q l;
	size_t i;
	int ok, end;

	memset(&l, 0, sizeof(l));
	l.sql = DB_LSN_SQL;
	db->unreplicated = 0;
	if ((ok = pipe_start(db, q, n)) < 0)
		return -2;
	ok = ok && PQpipelineSync(db->conn) == 1;
	if (ok && db->track_lsn) {
		ok = pipe_send(db, &l) && PQpipelineSync(db->conn) == 1;
		db->lsn_pending = ok;
	}
	for (i = 0; ok && i < n; i++)
		ok = (res[i] = pipe_read(db)) != NULL;
	end = ok ? pipe_end(db) : -1;
	if (!ok)
		pipe_lost(db);
	db->in_tx = 1;
	db->pipe = 0;
	if (end < 0)
		results_clear(res, n);
	return end;
}

/*
 * The keyed variant's form for a new key (stmt_def.keyed_new) of d, with
 * kp, its parameters, alone in a round trip: the row it kept when it
 * committed (DB_KEYED_RAN); NULL with *again = 1 when it wrote nothing
 * (another request holds the key's lock, or the statement's row was no
 * success) or met a unique violation (the key holds an answer, or the
 * statement's own values are taken): the keyed variant says which; else
 * NULL as exec_keyed().
 */
static PGresult *
exec_keyed_new(struct db *db, struct arena *a, const struct stmt_def *d,
    const char *const *kp, enum db_status *st, const char **constraint,
    int *again)
{
	struct pipe_q q;
	PGresult *res[1] = { NULL }, *r = NULL;
	const char *s;
	int end;

	*again = 0;
	memset(&q, 0, sizeof(q));
	q.id = d->keyed_new;
	q.params = kp;
	if ((end = keyed_round(db, &q, 1, res)) < 0)
		return NULL;
	if (PQresultStatus(res[0]) != PGRES_TUPLES_OK) {
		s = PQresultErrorField(res[0], PG_DIAG_SQLSTATE);
		if (s != NULL && strcmp(s, "23505") == 0)
			*again = 1;
		else {
			metrics_add(METRIC_DB_ERROR);
			db->k_state = DB_KEYED_FAILED;
			*st = classify(db, a, res[0], constraint);
			if (*st == DB_RETRY)
				*st = DB_UNAVAILABLE;
		}
	} else if (end == 1 && !unreplicated(db)) {
		if (PQntuples(res[0]) == 0)
			*again = 1;
		else if (PQgetisnull(res[0], 0, 0) || (r = kept_row(d->kept,
		    PQgetvalue(res[0], 0, 0))) == NULL)
			/* committed, its answer unknown: as a lost commit */
			log_error("statement %s: a kept answer that does not "
			    "parse", db_statements[d->keyed_new].name);
		else {
			snprintf(db->q_state, sizeof(db->q_state), "00000");
			db->k_state = DB_KEYED_RAN;
			*st = DB_OK;
		}
	}
	results_clear(res, 1);
	return r;
}

/*
 * Opens, runs and ends the transaction: first the variant's form for a
 * new key alone, in one round trip; when that met an answer under the
 * key (or the statement's own unique values), the queued opening but its
 * look-up, the keyed variant of statement id (its parameters, then the
 * key's) and the Sync that commits, in a second.  See db_tx_key().
 */
static PGresult *
exec_keyed(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint)
{
	const struct stmt_def *d = &db_statements[id];
	struct pipe_q q[DB_TX_OPENING_MAX + 1];
	PGresult *res[DB_TX_OPENING_MAX + 1] = { NULL }, *r = NULL;
	const char **kp, *s;
	size_t nq = db->q_n - 1, n = nq + 1, i;
	int end, col, again;

	kp = arena_alloc(a, (size_t)(d->nparams + 4) * sizeof(*kp));
	for (i = 0; i < (size_t)d->nparams; i++)
		kp[i] = params[i];
	for (i = 0; i < 4; i++)
		kp[d->nparams + i] = db->k_params[i];
	/* until it is known to have committed, or what it found */
	db->k_state = DB_KEYED_NOT_COMMITTED;
	if (d->keyed_new != STMT_PING) {
		r = exec_keyed_new(db, a, d, kp, st, constraint, &again);
		if (!again)
			return r;
		db->k_state = DB_KEYED_NOT_COMMITTED;
	}
	memset(q, 0, sizeof(q));
	for (i = 0; i < nq; i++) {
		q[i].id = db->q_id[i];
		q[i].params = db->q_params[i];
	}
	q[nq].id = d->keyed;
	q[nq].params = kp;
	if ((end = keyed_round(db, q, n, res)) < 0)
		return NULL;
	if (opening_failed(db, a, res, nq)) {
		results_clear(res, n);
		return NULL;
	}
	if (PQresultStatus(res[nq]) != PGRES_TUPLES_OK) {
		metrics_add(METRIC_DB_ERROR);
		db->k_state = DB_KEYED_FAILED;
		*st = classify(db, a, res[nq], constraint);
		if (*st == DB_RETRY)
			*st = DB_UNAVAILABLE;
	} else if (end == 1 && !unreplicated(db)) {
		snprintf(db->q_state, sizeof(db->q_state), "00000");
		r = res[nq];
		res[nq] = NULL;
		col = PQfnumber(r, "idem_same");
		if (col < 1 || PQntuples(r) != 1) {
			log_error("statement %s: not one row ending with "
			    "idem_same", db_statements[d->keyed].name);
			PQclear(r);
			r = NULL;
		} else if (PQgetisnull(r, 0, col))
			db->k_state = DB_KEYED_RAN;
		else {
			db->k_res = r;
			arena_defer(a, pgres_free, r);
			db->k_state = DB_KEYED_STORED;
			r = NULL;
			s = PQgetvalue(db->k_res, 0, col + 1);
			if (strcmp(PQgetvalue(db->k_res, 0, col), "t") == 0 &&
			    !PQgetisnull(db->k_res, 0, col + 1)) {
				if ((r = kept_row(d->kept, s)) != NULL)
					db->k_state = DB_KEYED_REPLAYED;
				else {
					log_error("statement %s: a kept "
					    "answer that does not parse",
					    db_statements[d->keyed].name);
					db->k_state = DB_KEYED_NOT_COMMITTED;
				}
			}
		}
		if (r != NULL)
			*st = DB_OK;
	}
	results_clear(res, n);
	return r;
}

/* What the keyed variant did, ending the transaction.  See db.h. */
enum db_keyed
db_tx_keyed(struct db *db, const PGresult **stored, char state[6])
{
	enum db_keyed k = db->k_state;

	*stored = db->k_res;
	snprintf(state, 6, "%s", db->q_state);
	if (k != DB_KEYED_NOT_RUN) {
		db->in_tx = 0;
		db->k_state = DB_KEYED_NOT_RUN;
		db->k_res = NULL;
	}
	return k;
}

/* The key of the opening's look-up.  See db.h. */
void
db_tx_key(struct db *db, const char *const *key)
{
	db->k_params = key;
}

/* Queues a statement of the transaction's opening.  See db.h. */
void
db_tx_queue(struct db *db, enum stmt id, const char *const *params)
{
	if (!db->queued) {
		db_tx_rollback(db);
		db->queued = 1;
		db->q_sent = 0;
		db->q_res = NULL;
		db->q_n = 0;
		snprintf(db->q_state, sizeof(db->q_state), "00000");
		db->k_params = NULL;
		db->k_state = DB_KEYED_NOT_RUN;
		db->k_res = NULL;
	}
	if (db->q_n == DB_TX_OPENING_MAX)
		abort();	/* a bug: the caller knows the limit */
	db->q_id[db->q_n] = id;
	db->q_params[db->q_n++] = params;
}

/*
 * Opens the transaction: sends the queued opening, followed by statement
 * id when id < STMT__MAX, in one round trip.  The opening's outcome is
 * kept for db_tx_opened(); the result of id is returned as exec_once()
 * does.
 */
static PGresult *
exec_queued(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint)
{
	struct pipe_q q[DB_TX_OPENING_MAX + 1];
	PGresult *res[DB_TX_OPENING_MAX + 1] = { NULL }, *r = NULL;
	ExecStatusType es;
	size_t nq = db->q_n, n, i;
	int ok;

	db->queued = 0;
	db->q_sent = 1;
	db->in_tx = 1;	/* from here no statement runs outside it */
	*st = DB_UNAVAILABLE;
	snprintf(db->q_state, sizeof(db->q_state), "08006");
	if (ensure_conn(db) != 0 || (!db->prepared &&
	    db_schema(db, NULL) != DB_SCHEMA_OK))
		return NULL;
	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		log_error("a transaction was left open; reconnecting");
		disconnect(db);
		if (ensure_conn(db) != 0)
			return NULL;
	}
	refresh_plans(db);
	if (db->k_params != NULL && id < STMT__MAX &&
	    db_statements[id].keyed != STMT_PING)
		return exec_keyed(db, a, id, params, st, constraint);
	memset(q, 0, sizeof(q));
	for (i = 0; i < nq; i++) {
		q[i].id = db->q_id[i];
		q[i].params = db->q_params[i];
	}
	n = nq;
	if (id < STMT__MAX) {
		q[n].id = id;
		q[n++].params = params;
	}
	if ((ok = pipe_start(db, q, n)) < 0)
		return NULL;
	ok = ok && PQsendFlushRequest(db->conn) == 1;
	for (i = 0; ok && i < n; i++)
		ok = (res[i] = pipe_read(db)) != NULL;
	if (!ok) {
		results_clear(res, n);
		pipe_lost(db);
		return NULL;
	}
	if (opening_failed(db, a, res, nq)) {
		/* the opening failed: the transaction is to be rolled back */
		db->pipe_failed = 1;
	} else {
		snprintf(db->q_state, sizeof(db->q_state), "00000");
		db->q_res = res[nq - 1];
		res[nq - 1] = NULL;
		arena_defer(a, pgres_free, db->q_res);
		es = n > nq ? PQresultStatus(res[nq]) : PGRES_EMPTY_QUERY;
		if (n > nq && (es == PGRES_TUPLES_OK ||
		    es == PGRES_COMMAND_OK)) {
			r = res[nq];
			res[nq] = NULL;
			*st = DB_OK;
		} else if (n > nq) {
			db->pipe_failed = 1;
			metrics_add(METRIC_DB_ERROR);
			*st = classify(db, a, res[nq], constraint);
			if (*st == DB_RETRY)
				*st = DB_UNAVAILABLE;
		}
	}
	results_clear(res, n);
	return r;
}

/* The queued opening's outcome, sent now if still queued.  See db.h. */
PGresult *
db_tx_opened(struct db *db, struct arena *a, char state[6])
{
	enum db_status st;

	if (db->queued)
		(void)exec_queued(db, a, STMT__MAX, NULL, &st, NULL);
	snprintf(state, 6, "%s", db->q_state);
	if (db->q_res == NULL) {
		if (strcmp(state, "00000") == 0)
			snprintf(state, 6, "08006");
		tx_abort(db);
	}
	return db->q_res;
}

/* Whether the queued opening has been sent.  See db.h. */
int
db_tx_sent(const struct db *db)
{
	return db->q_sent;
}

/* Commits, after statement id (STMT__MAX: none).  See db.h. */
int
db_tx_commit(struct db *db, enum stmt id, const char *const *params)
{
	struct pipe_q q;

	if (!db->in_tx)
		return -1;
	if (!db->pipe || db->pipe_failed || !conn_alive(db)) {
		tx_abort(db);
		return -1;
	}
	db->in_tx = 0;
	db->unreplicated = 0;
	memset(&q, 0, sizeof(q));
	q.id = id;
	q.params = params;
	if ((id != STMT__MAX && !pipe_send(db, &q)) ||
	    PQpipelineSync(db->conn) != 1) {
		pipe_lost(db);
		return -1;
	}
	if (db->track_lsn) {
		/* in the same round trip: the WAL position after the commit */
		memset(&q, 0, sizeof(q));
		q.sql = DB_LSN_SQL;
		if (!pipe_send(db, &q) || PQpipelineSync(db->conn) != 1) {
			pipe_lost(db);
			return -1;
		}
		db->lsn_pending = 1;
	}
	if (pipe_end(db) != 1)
		return -1;
	return unreplicated(db) ? -1 : 0;
}

/* Rolls the transaction back, or forgets the queued one.  See db.h. */
void
db_tx_rollback(struct db *db)
{
	db->queued = 0;
	if (db->in_tx)
		tx_abort(db);
}

/*
 * Encodes a text array literal: every element double-quoted with '"'
 * and '\' backslash-escaped, NULL elements as NULL.  The literal is a
 * parameter value, never SQL text.
 */
const char *
db_array_literal(struct arena *a, const char *const *items, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, a);
	buf_putc(&b, '{');
	for (i = 0; i < n; i++) {
		const char *s;

		if (i > 0)
			buf_putc(&b, ',');
		if (items[i] == NULL) {
			buf_puts(&b, "NULL");
			continue;
		}
		buf_putc(&b, '"');
		for (s = items[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *s);
		}
		buf_putc(&b, '"');
	}
	buf_putc(&b, '}');
	return b.p;
}

/*
 * Columns by name.  PQfnumber() compares the name with each column's in
 * turn, and a handler asks every row for each of its columns: a SCIM
 * page of 100 Users, 18 columns of about 20, asked it 1,800 times.  A
 * result of rosterd's connections (cols_event, registered on each)
 * keeps, from db_get()'s first question, a small table from the name's
 * address to its column: a name asked again (a constant, the same
 * address) costs one probe and one comparison with the column's name,
 * which also tells a buffer that now holds another name.  Missing
 * columns are not kept.  A result of one row, or made otherwise
 * (PQcopyResult()), has no table: PQfnumber() as before.
 */
#define COLS_SLOTS	64	/* a power of two, above any result's width */

struct cols {
	const char	*name[COLS_SLOTS];
	int		 col[COLS_SLOTS];
};

static int
cols_event(PGEventId id, void *info, void *passthrough)
{
	(void)passthrough;
	if (id == PGEVT_RESULTDESTROY)
		free(PQresultInstanceData(
		    ((PGEventResultDestroy *)info)->result, cols_event));
	return 1;
}

static int
cols_find(const PGresult *r, const char *name)
{
	struct cols *m;
	size_t h, i, s;
	int col;

	/* one row: each name is asked once, a table would not pay */
	if (PQntuples(r) < 2)
		return PQfnumber(r, name);
	if ((m = PQresultInstanceData(r, cols_event)) == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return PQfnumber(r, name);
		/* not ours (no event): no table */
		if (PQresultSetInstanceData((PGresult *)r, cols_event,
		    m) == 0) {
			free(m);
			return PQfnumber(r, name);
		}
	}
	h = (size_t)(((uint64_t)(uintptr_t)name * 0x9E3779B97F4A7C15ULL) >>
	    40);
	for (i = 0; i < COLS_SLOTS; i++) {
		s = (h + i) & (COLS_SLOTS - 1);
		if (m->name[s] == name &&
		    strcmp(PQfname(r, m->col[s]), name) == 0)
			return m->col[s];
		if (m->name[s] == NULL || m->name[s] == name) {
			if ((col = PQfnumber(r, name)) >= 0) {
				m->name[s] = name;
				m->col[s] = col;
			}
			return col;
		}
	}
	return PQfnumber(r, name);
}

/* Returns the text of column `name` in `row`, or NULL for SQL NULL. */
const char *
db_get(const PGresult *r, int row, const char *name)
{
	int col = cols_find(r, name);

	if (col < 0 || row >= PQntuples(r) || PQgetisnull(r, row, col))
		return NULL;
	return PQgetvalue(r, row, col);
}

int
db_true(const PGresult *r, const char *name)
{
	const char *v = db_get(r, 0, name);

	return v != NULL && strcmp(v, "t") == 0;
}

/* A handle for a standby's reads.  See db.h. */
void
db_standby(struct db *db)
{
	db->standby = 1;
}

/* Whether writes read the WAL position after their commit.  See db.h. */
void
db_track_lsn(struct db *db, int on)
{
	db->track_lsn = on != 0;
}

/* Keeps WAL position text when tracking.  See db.h. */
void
db_lsn_note(struct db *db, const char *text)
{
	if (db->track_lsn)
		lsn_note(db, text);
}

/* The highest WAL position since the last call.  See db.h. */
uint64_t
db_lsn_take(struct db *db)
{
	uint64_t lsn = db->lsn;

	db->lsn = 0;
	return lsn;
}

/* Statements that failed on the server or for want of it.  See db.h. */
unsigned long
db_failures(const struct db *db)
{
	return db->failures;
}

/* Connections made so far.  See db.h. */
uint64_t
db_conn_gen(const struct db *db)
{
	return db->conn_gen;
}

/* What the standby has replayed.  See db.h. */
int
db_replay_lsn(struct db *db, struct arena *a, uint64_t *lsn)
{
	enum db_status st;
	PGresult *r;
	const char *v;

	if ((r = db_exec_sql(db, a, DB_REPLAY_SQL, 0, NULL, &st)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
		return 1;	/* not in recovery: not a standby */
	v = PQgetvalue(r, 0, 0);
	return db_lsn_parse(v, lsn) == 0 ? 0 : -1;
}

/* Parses a WAL position, "X/Y" (pg_lsn's form).  See db.h. */
int
db_lsn_parse(const char *s, uint64_t *lsn)
{
	uint64_t part[2] = { 0, 0 };
	size_t i, n;
	int d;

	for (i = 0; i < 2; i++) {
		for (n = 0; ; n++, s++) {
			if (*s >= '0' && *s <= '9')
				d = *s - '0';
			else if (*s >= 'a' && *s <= 'f')
				d = *s - 'a' + 10;
			else if (*s >= 'A' && *s <= 'F')
				d = *s - 'A' + 10;
			else
				break;
			if (n == 8)
				return -1;
			part[i] = part[i] << 4 | (uint64_t)d;
		}
		if (n == 0 || *s != (i == 0 ? '/' : '\0'))
			return -1;
		s++;
	}
	*lsn = part[0] << 32 | part[1];
	return 0;
}

/* Formats a WAL position as pg_lsn does.  See db.h. */
void
db_lsn_format(uint64_t lsn, char out[DB_LSN_STR])
{
	snprintf(out, DB_LSN_STR, "%X/%X", (unsigned)(lsn >> 32),
	    (unsigned)(lsn & 0xffffffffu));
}
