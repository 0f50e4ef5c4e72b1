/*
 * db.c: the worker's connection: connect, session set-up, prepare,
 * execute, notice a restarted server and reconnect.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

struct db {
	PGconn		*conn;		/* NULL when not connected */
	char		*conninfo;
	char		 connect_timeout[16];
	char		 statement_timeout[16];
	int64_t		 plans_at;	/* when cached plans were last dropped */
};

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

/* Creates a handle; the connection is made by the first db_exec(). */
struct db *
db_new(const char *conninfo, long connect_timeout, long statement_timeout_ms)
{
	struct db *db;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	snprintf(db->connect_timeout, sizeof(db->connect_timeout), "%ld",
	    connect_timeout);
	snprintf(db->statement_timeout, sizeof(db->statement_timeout), "%ld",
	    statement_timeout_ms);
	return db;
}

/* Closes the connection and frees the handle. */
void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

/* Logs the first line of libpq's message (never the conninfo). */
static void
log_conn_error(const char *what, PGconn *conn)
{
	const char *m = conn != NULL ? PQerrorMessage(conn) : "out of memory";

	log_warn("%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

static void
disconnect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
}

/* Session settings, then every statement of the table, prepared once. */
static int
setup_session(struct db *db)
{
	const char *p[1] = { db->statement_timeout };
	PGresult *r;
	size_t i;
	int ok;

	/*
	 * JIT off: it pays only for long analytical queries, and compiling a
	 * bulk statement (estimated expensive by its 10,000-element arrays)
	 * was seen to cost seconds on a first run.
	 */
	r = PQexecParams(db->conn, "SELECT set_config('search_path', "
	    "'public', false), set_config('TimeZone', 'UTC', false), "
	    "set_config('statement_timeout', $1, false), "
	    "set_config('jit', 'off', false)", 1, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (!ok)
		return -1;
	for (i = 0; i < STMT__MAX; i++) {
		r = PQprepare(db->conn, db_statements[i].name,
		    db_statements[i].sql, db_statements[i].nparams, NULL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			log_error("cannot prepare statement %s: %s",
			    db_statements[i].name,
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) ?
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
			    "no result");
		PQclear(r);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
db_connect(struct db *db)
{
	/* defaults first: the expanded conninfo overrides them */
	const char *kw[] = { "connect_timeout", "application_name", "dbname",
	    NULL };
	const char *val[] = { db->connect_timeout, "rosterd", db->conninfo,
	    NULL };

	disconnect(db);
	db->conn = PQconnectdbParams(kw, val, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_conn_error("database connection failed", db->conn);
		disconnect(db);
		return -1;
	}
	if (setup_session(db) != 0) {
		log_conn_error("database session set-up failed", db->conn);
		disconnect(db);
		return -1;
	}
	db->plans_at = time_mono_us();
	log_info("database connection established");
	return 0;
}

/* Drops the connection's cached plans when they are DB_REPLAN_US old. */
static void
refresh_plans(struct db *db)
{
	int64_t now = time_mono_us();

	if (now - db->plans_at < DB_REPLAN_US)
		return;
	db->plans_at = now;
	PQclear(PQexec(db->conn, "DISCARD PLANS"));
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

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return 0;
	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return 0;
	/*
	 * rosterd LISTENs to nothing, so input on an idle connection is a
	 * server going away (FATAL 57P01, then EOF): start afresh.
	 */
	if (poll(&pfd, 1, 0) != 0)
		return 0;
	return 1;
}

static int
ensure_conn(struct db *db)
{
	if (conn_alive(db))
		return 0;
	if (db->conn != NULL) {
		log_warn("database connection lost; reconnecting");
		metrics_add(METRIC_DB_RECONNECT);
	}
	return db_connect(db);
}

/* Returns 1 when the database answers. */
int
db_ready(struct db *db)
{
	return ensure_conn(db) == 0;
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
	/* copied: the result is cleared before the caller looks */
	if (constraint != NULL &&
	    PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) != NULL)
		*constraint = arena_strdup(a,
		    PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME));
	if (st == DB_INTERNAL || st == DB_UNAVAILABLE) {
		/* primary text only: DETAIL may hold the row's values */
		msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		log_error("database error %s: %s", state ? state : "?",
		    msg ? msg : "?");
	}
	return st;
}

static PGresult *
exec_once(struct db *db, struct arena *a, enum stmt id, const char *const *params,
    enum db_status *st, const char **constraint)
{
	PGresult *r;
	ExecStatusType es;

	if (ensure_conn(db) != 0) {
		*st = DB_UNAVAILABLE;
		return NULL;
	}
	refresh_plans(db);
	if (db_statements[id].replan)
		r = PQexecParams(db->conn, db_statements[id].sql,
		    db_statements[id].nparams, NULL, params, NULL, NULL, 0);
	else
		r = PQexecPrepared(db->conn, db_statements[id].name,
		    db_statements[id].nparams, params, NULL, NULL, 0);
	es = PQresultStatus(r);
	if (r != NULL && (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK)) {
		*st = DB_OK;
		return r;
	}
	*st = classify(db, a, r, constraint);
	metrics_add(METRIC_DB_ERROR);
	PQclear(r);
	if (*st == DB_UNAVAILABLE && PQstatus(db->conn) != CONNECTION_OK)
		disconnect(db);
	return NULL;
}

/*
 * Executes a prepared statement.  See db.h.  A serialization failure or
 * deadlock is retried once; a lost connection is retried once only for
 * read-only statements (a write may have committed before the loss).
 */
PGresult *
db_exec(struct db *db, struct arena *a, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint)
{
	PGresult *r;

	if (constraint != NULL)
		*constraint = NULL;
	r = exec_once(db, a, id, params, st, constraint);
	if (r == NULL && (*st == DB_RETRY ||
	    (*st == DB_UNAVAILABLE && db_statements[id].readonly)))
		r = exec_once(db, a, id, params, st, constraint);
	if (r == NULL && *st == DB_RETRY)
		*st = DB_UNAVAILABLE;
	if (r != NULL)
		arena_defer(a, pgres_free, r);
	return r;
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

/* Returns the text of column `name` in `row`, or NULL for SQL NULL. */
const char *
db_get(const PGresult *r, int row, const char *name)
{
	int col = PQfnumber(r, name);

	if (col < 0 || row >= PQntuples(r) || PQgetisnull(r, row, col))
		return NULL;
	return PQgetvalue(r, row, col);
}
