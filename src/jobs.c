/*
 * jobs.c: the import job runner, a child process of the supervisor (off
 * with import_jobs = off).  It takes the queued /v1 import jobs
 * (sql/0014_import_jobs.sql) one at a time and imports each with
 * rosterctl import's engine (imp/engine.h), so that request workers
 * never spend more than a request's time on an import.
 *
 * A job is claimed in a transaction that locks queued or running jobs
 * with FOR UPDATE SKIP LOCKED (other runners, on this host or another,
 * skip them) and takes a session-level advisory lock on the first one
 * whose lock is free: a running job's lock is held by its runner's
 * control session for as long as it works on it, so a job whose runner
 * died (its session ended with it) is taken over by the next runner
 * that looks.  The engine's checkpoint (import_runs, with the job's id)
 * makes the taken-over job go on after its last committed batch.  The
 * runner waits for work on LISTEN rosterd_import_jobs (a POST notifies)
 * or every JOB_POLL_MS.  Its process name is rosterd-jobs.  SIGTERM
 * stops it after the batch in flight; the job stays running, unlocked,
 * for the next runner.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "daemon.h"
#include "db/db.h"
#include "imp/engine.h"

#define JOB_POLL_MS	5000
#define JOB_SLICE	(4 << 20)	/* bytes of the file a read */
#define JOB_ATTEMPTS	10		/* claims before a job fails */
#define JOB_ERRORS_A_STATEMENT	2000

static volatile sig_atomic_t jobs_stopping;
/*
 * The handler's byte to jobs_wait()'s poll(): a signal that arrives while
 * the runner is busy (connecting, claiming) must not leave it asleep for
 * a whole JOB_POLL_MS afterwards.
 */
static int jobs_wake[2] = { -1, -1 };

static void
jobs_on_term(int sig)
{
	int e = errno;

	(void)sig;
	jobs_stopping = 1;
	imp_job_interrupt();
	if (jobs_wake[1] >= 0)
		(void)!write(jobs_wake[1], "", 1);
	errno = e;
}

struct job {
	char		 tenant[UUID_STR_LEN + 1];
	char		 id[UUID_STR_LEN + 1];
	char		 format[16], mode[16], match[16];
	char		 actor[300];
	/* its creator's request id(s): the audit row's ("client edge") */
	char		 request_id[264];
	char		 fname[256];
	int		 dry_run, atomic, has_match;
	int		 system_admin;	/* created by a SystemAdmin */
	long		 batch;
	long long	 size;
	int		 cancelled;	/* seen by the progress hook */
	int		 lost;		/* the control session broke */
	int		 retry;		/* the database failed */
};

struct runner {
	const struct config *cfg;
	PGconn		*c;		/* claims, progress, errors */
	struct job	 job;
};

static PGresult *
jobs_exec(PGconn *c, const char *sql, int n, const char *const *p,
    ExecStatusType want, const char *what)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	const char *m;

	if (PQresultStatus(r) == want)
		return r;
	m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	log_warn("import jobs: %s: %.*s", what, m != NULL ?
	    (int)strcspn(m, "\n") : (int)strcspn(PQerrorMessage(c), "\n"),
	    m != NULL ? m : PQerrorMessage(c));
	PQclear(r);
	return NULL;
}

static int
jobs_cmd(PGconn *c, const char *sql, int n, const char *const *p,
    const char *what)
{
	PGresult *r = jobs_exec(c, sql, n, p, PGRES_COMMAND_OK, what);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

/* ---- claiming ---- */

/* the jobs not ended whose lock nobody holds, oldest first */
static const char q_candidates[] =
    "SELECT j.tenant_id, j.id FROM import_jobs j"
    " WHERE j.state IN ('queued', 'running') AND NOT EXISTS (SELECT 1"
    " FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database"
    " WHERE datname = current_database())"
    " AND l.classid::int4 = hashtext('rosterd import job')"
    " AND l.objid::int4 = hashtext(j.id::text))"
    " ORDER BY j.created_at, j.id FOR UPDATE OF j SKIP LOCKED LIMIT 16";
/* the job's lock: held by the control session while it works on it */
static const char q_trylock[] =
    "SELECT pg_try_advisory_lock(hashtext('rosterd import job'),"
    " hashtext($1))";
static const char q_unlock[] =
    "SELECT pg_advisory_unlock(hashtext('rosterd import job'),"
    " hashtext($1))";
static const char q_claim[] =
    "UPDATE import_jobs SET state = 'running', attempts = attempts + 1,"
    " started_at = coalesce(started_at, now()), updated_at = now()"
    " WHERE tenant_id = $1::uuid AND id = $2::uuid"
    " RETURNING format, mode, match, dry_run, atomic, batch,"
    " coalesce(file_name, ''), file_size, created_by, attempts,"
    " request_id, by_system_admin";
static const char q_slice[] =
    "SELECT substring(file FROM $3::int FOR $4::int) FROM import_job_files"
    " WHERE tenant_id = $1::uuid AND job_id = $2::uuid";
static const char q_progress[] =
    "UPDATE import_jobs SET rows_done = $3::bigint, bytes_done = $4::bigint,"
    " users_created = $5::bigint, users_updated = $6::bigint,"
    " groups_created = $7::bigint, groups_updated = $8::bigint,"
    " roles_created = $9::bigint, roles_updated = $10::bigint,"
    " memberships_added = $11::bigint,"
    " role_assignments_added = $12::bigint, errors = $13::bigint,"
    " updated_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid"
    " AND state = 'running'";
/* $3 the end state (a cancelled job stays cancelled), $4 message */
static const char q_finish[] =
    "WITH j AS (UPDATE import_jobs SET state = CASE WHEN state ="
    " 'cancelled' THEN state ELSE $3 END, message = $4,"
    " rows_done = $5::bigint, bytes_done = $6::bigint,"
    " users_created = $7::bigint, users_updated = $8::bigint,"
    " groups_created = $9::bigint, groups_updated = $10::bigint,"
    " roles_created = $11::bigint, roles_updated = $12::bigint,"
    " memberships_added = $13::bigint,"
    " role_assignments_added = $14::bigint, errors = $15::bigint,"
    " finished_at = coalesce(finished_at, now()), updated_at = now()"
    " WHERE tenant_id = $1::uuid AND id = $2::uuid"
    " AND state IN ('running', 'cancelled') RETURNING tenant_id, id, state)"
    ", f AS (DELETE FROM import_job_files f USING j"
    " WHERE f.tenant_id = j.tenant_id AND f.job_id = j.id)"
    " UPDATE import_runs r SET state = 'abandoned', updated_at = now()"
    " FROM j WHERE r.tenant_id = j.tenant_id AND r.id = j.id"
    " AND j.state = 'cancelled' AND r.state = 'running'";
static const char q_errors[] =
    "INSERT INTO import_job_errors (tenant_id, job_id, line, col, field,"
    " message) SELECT $1::uuid, $2::uuid, e.line, e.col, e.field,"
    " e.message FROM unnest($3::bigint[], $4::int[], $5::text[],"
    " $6::text[]) AS e(line, col, field, message) ON CONFLICT DO NOTHING";

static void
copy_field(char *to, size_t n, const PGresult *r, int col)
{
	snprintf(to, n, "%s", PQgetisnull(r, 0, col) ? "" :
	    PQgetvalue(r, 0, col));
}

/*
 * Claims a job into run->job: 1, 0 when there is none free, -1 when the
 * database failed.
 */
static int
jobs_claim(struct runner *run)
{
	struct job *j = &run->job;
	PGresult *cand, *r;
	const char *p[2];
	int i, got = 0;

	if (jobs_cmd(run->c, "BEGIN", 0, NULL, "begin") != 0)
		return -1;
	if ((cand = jobs_exec(run->c, q_candidates, 0, NULL, PGRES_TUPLES_OK,
	    "claim")) == NULL) {
		PQclear(PQexec(run->c, "ROLLBACK"));
		return -1;
	}
	for (i = 0; i < PQntuples(cand) && !got; i++) {
		p[0] = PQgetvalue(cand, i, 1);
		if ((r = jobs_exec(run->c, q_trylock, 1, p, PGRES_TUPLES_OK,
		    "lock")) == NULL)
			break;
		got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		PQclear(r);
		if (!got)
			continue;
		memset(j, 0, sizeof(*j));
		snprintf(j->tenant, sizeof(j->tenant), "%s",
		    PQgetvalue(cand, i, 0));
		snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(cand, i, 1));
	}
	PQclear(cand);
	if (!got) {
		(void)jobs_cmd(run->c, "COMMIT", 0, NULL, "commit");
		return PQstatus(run->c) == CONNECTION_OK ? 0 : -1;
	}
	p[0] = j->tenant;
	p[1] = j->id;
	if ((r = jobs_exec(run->c, q_claim, 2, p, PGRES_TUPLES_OK,
	    "claim")) == NULL || PQntuples(r) != 1) {
		PQclear(r);
		PQclear(PQexec(run->c, "ROLLBACK"));
		p[0] = j->id;
		PQclear(PQexecParams(run->c, q_unlock, 1, NULL, p, NULL, NULL,
		    0));
		return -1;
	}
	copy_field(j->format, sizeof(j->format), r, 0);
	copy_field(j->mode, sizeof(j->mode), r, 1);
	j->has_match = !PQgetisnull(r, 0, 2);
	copy_field(j->match, sizeof(j->match), r, 2);
	j->dry_run = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	j->atomic = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
	j->batch = strtol(PQgetvalue(r, 0, 5), NULL, 10);
	copy_field(j->fname, sizeof(j->fname), r, 6);
	j->size = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
	copy_field(j->actor, sizeof(j->actor), r, 8);
	i = (int)strtol(PQgetvalue(r, 0, 9), NULL, 10);
	copy_field(j->request_id, sizeof(j->request_id), r, 10);
	j->system_admin = strcmp(PQgetvalue(r, 0, 11), "t") == 0;
	PQclear(r);
	if (jobs_cmd(run->c, "COMMIT", 0, NULL, "commit") != 0)
		return -1;
	return i > JOB_ATTEMPTS ? 2 : 1;
}

static void
jobs_release(struct runner *run)
{
	const char *p[1] = { run->job.id };

	PQclear(PQexecParams(run->c, q_unlock, 1, NULL, p, NULL, NULL, 0));
}

/* ---- the file ---- */

/* Writes the job's file to a new temporary file: its path in path. */
static int
jobs_file(struct runner *run, char *path, size_t pathlen)
{
	struct job *j = &run->job;
	const char *tmp = getenv("TMPDIR"), *p[4];
	char off[24], len[24];
	long long done = 0;
	PGresult *r;
	int fd, ok = 1, n;

	snprintf(path, pathlen, "%s/rosterd-import-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		log_error("import jobs: %s: %s", path, strerror(errno));
		return -1;
	}
	p[0] = j->tenant;
	p[1] = j->id;
	p[2] = off;
	p[3] = len;
	snprintf(len, sizeof(len), "%d", JOB_SLICE);
	while (ok && done < j->size) {
		snprintf(off, sizeof(off), "%lld", done + 1);
		r = PQexecParams(run->c, q_slice, 4, NULL, p, NULL, NULL, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK ||
		    PQntuples(r) != 1 || (n = PQgetlength(r, 0, 0)) == 0) {
			log_warn("import jobs: job %s: its file cannot be read",
			    j->id);
			ok = 0;
		} else if (write(fd, PQgetvalue(r, 0, 0), (size_t)n) != n) {
			log_error("import jobs: %s: %s", path, strerror(errno));
			ok = 0;
		} else
			done += n;
		PQclear(r);
	}
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* ---- the engine's hooks ---- */

static int
hook_errors(void *ctx, const struct imp_row_err *e, size_t n)
{
	struct runner *run = ctx;
	struct arena *a = arena_new(0);
	const char **lines, **cols, **fields, **msgs, *p[6];
	size_t i, k, m;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i += m) {
		m = n - i > JOB_ERRORS_A_STATEMENT ? JOB_ERRORS_A_STATEMENT :
		    n - i;
		arena_reset(a);
		lines = arena_alloc(a, m * sizeof(*lines));
		cols = arena_alloc(a, m * sizeof(*cols));
		fields = arena_alloc(a, m * sizeof(*fields));
		msgs = arena_alloc(a, m * sizeof(*msgs));
		for (k = 0; k < m; k++) {
			lines[k] = arena_sprintf(a, "%ld", e[i + k].line);
			cols[k] = arena_sprintf(a, "%d", e[i + k].col);
			fields[k] = e[i + k].field;
			msgs[k] = e[i + k].msg;
		}
		p[0] = run->job.tenant;
		p[1] = run->job.id;
		p[2] = db_array_literal(a, lines, m);
		p[3] = db_array_literal(a, cols, m);
		p[4] = db_array_literal(a, fields, m);
		p[5] = db_array_literal(a, msgs, m);
		rc = jobs_cmd(run->c, q_errors, 6, p, "row errors");
	}
	arena_free(a);
	if (rc != 0)
		run->job.lost = 1;
	return rc;
}

/* The job's row gets t; 1 (stop) when it was cancelled or cannot. */
static int
totals_params(const struct imp_totals *t, char v[][24], const char **p)
{
	const long long x[] = { t->rows, t->bytes, t->users_created,
	    t->users_updated, t->groups_created, t->groups_updated,
	    t->roles_created, t->roles_updated, t->memberships,
	    t->assignments, t->errors };
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(x); i++) {
		snprintf(v[i], 24, "%lld", x[i]);
		p[i] = v[i];
	}
	return (int)RS_ARRAY_LEN(x);
}

static int
hook_progress(void *ctx, const struct imp_totals *t)
{
	struct runner *run = ctx;
	char v[11][24];
	const char *p[13];
	PGresult *r;
	int stop;

	p[0] = run->job.tenant;
	p[1] = run->job.id;
	(void)totals_params(t, v, p + 2);
	if ((r = jobs_exec(run->c, q_progress, 13, p, PGRES_COMMAND_OK,
	    "progress")) == NULL) {
		run->job.lost = 1;
		return 1;
	}
	stop = strcmp(PQcmdTuples(r), "1") != 0;
	PQclear(r);
	if (stop)
		run->job.cancelled = 1;
	return stop || jobs_stopping;
}

/* ---- a job ---- */

/*
 * The runner's sessions hold advisory locks, LISTEN and temporary
 * tables: import_db_conninfo names PostgreSQL itself when db_conninfo
 * is a pooler in transaction mode.
 */
static const char *
jobs_conninfo(const struct config *cfg)
{
	return cfg->import_db_conninfo != NULL &&
	    cfg->import_db_conninfo[0] != '\0' ? cfg->import_db_conninfo :
	    cfg->db_conninfo;
}

static void
jobs_finish(struct runner *run, const char *state, const char *message,
    const struct imp_totals *t)
{
	char v[11][24];
	const char *p[15];

	p[0] = run->job.tenant;
	p[1] = run->job.id;
	p[2] = state;
	p[3] = message != NULL && *message != '\0' ? message : NULL;
	(void)totals_params(t, v, p + 4);
	(void)jobs_cmd(run->c, q_finish, 15, p, "finish");
	log_info("import job %s of tenant %s: %s%s%s", run->job.id,
	    run->job.tenant, state, p[3] != NULL ? ": " : "",
	    p[3] != NULL ? p[3] : "");
}

static void
jobs_work(struct runner *run)
{
	static const struct imp_hooks hooks_tmpl = { NULL, hook_errors,
	    hook_progress };
	struct imp_hooks hooks = hooks_tmpl;
	struct imp_totals none;
	struct imp_job ij;
	struct job *j = &run->job;
	enum imp_job_result rc;
	char path[4096];

	memset(&none, 0, sizeof(none));
	hooks.ctx = run;
	if (jobs_file(run, path, sizeof(path)) != 0) {
		jobs_finish(run, "failed", "the uploaded file cannot be read",
		    &none);
		return;
	}
	memset(&ij, 0, sizeof(ij));
	ij.tenant = j->tenant;
	ij.run_id = j->id;
	ij.path = path;
	ij.fname = j->fname[0] != '\0' ? j->fname : "upload";
	ij.format = j->format;
	ij.mode = j->mode;
	ij.match = j->has_match ? j->match : NULL;
	ij.actor = j->actor;
	ij.request_id = j->request_id;
	ij.system_roles = j->system_admin;
	ij.conninfo = jobs_conninfo(run->cfg);
	ij.dry_run = j->dry_run;
	ij.atomic = j->atomic;
	ij.batch = j->batch;
	ij.hooks = &hooks;
	log_info("import job %s of tenant %s: %s", j->id, j->tenant,
	    "started");
	rc = imp_job_run(run->cfg, &ij);
	unlink(path);
	switch (rc) {
	case IMP_JOB_DONE:
		jobs_finish(run, "succeeded", NULL, &ij.totals);
		break;
	case IMP_JOB_ROWS:
		jobs_finish(run, j->atomic ? "failed" : "succeeded",
		    j->atomic ? ij.message : NULL, &ij.totals);
		break;
	case IMP_JOB_STOPPED:
		if (j->cancelled)
			jobs_finish(run, "cancelled", NULL, &ij.totals);
		/* else stopped by SIGTERM: left to the next runner */
		break;
	case IMP_JOB_DB:
		log_warn("import job %s: %s; it is tried again", j->id,
		    ij.message);
		j->retry = 1;
		break;
	default:
		jobs_finish(run, "failed", ij.message, &ij.totals);
		break;
	}
}

/* ---- the loop ---- */

static PGconn *
jobs_connect(const struct config *cfg)
{
	char err[512];
	PGconn *c;

	c = db_session_open(jobs_conninfo(cfg), cfg->db_connect_timeout,
	    "rosterd import jobs", cfg->statement_timeout_ms, err,
	    sizeof(err));
	if (c == NULL) {
		log_warn("import jobs: %s", err);
		return NULL;
	}
	if (jobs_cmd(c, "LISTEN " JOBS_CHANNEL, 0, NULL, "listen") != 0) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Waits for a notification, ms, or a signal (one before the wait too). */
static void
jobs_wait(PGconn *c, int ms)
{
	struct pollfd pfd[2];
	PGnotify *n;

	pfd[0].fd = jobs_wake[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = c != NULL ? PQsocket(c) : -1;
	pfd[1].events = POLLIN;
	if (jobs_stopping)
		return;
	if (poll(pfd, 2, ms) > 0 && pfd[1].revents != 0 && c != NULL) {
		(void)PQconsumeInput(c);
		while ((n = PQnotifies(c)) != NULL)
			PQfreemem(n);
	}
}

void
jobs_run(const struct config *cfg)
{
	struct runner run;
	struct sigaction sa;
	sigset_t none;
	int rc, backoff = 1000;

	prctl(PR_SET_NAME, "rosterd-jobs", 0, 0, 0);
	if (pipe2(jobs_wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		log_error("import job runner: pipe: %s", strerror(errno));
		_exit(1);
	}
	memset(&run, 0, sizeof(run));
	run.cfg = cfg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = jobs_on_term;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	log_info("import job runner ready");
	while (!jobs_stopping) {
		if (run.c == NULL || PQstatus(run.c) != CONNECTION_OK) {
			PQfinish(run.c);
			if ((run.c = jobs_connect(cfg)) == NULL) {
				jobs_wait(NULL, backoff);
				backoff = backoff * 2 > 30000 ? 30000 :
				    backoff * 2;
				continue;
			}
			backoff = 1000;
		}
		rc = jobs_claim(&run);
		if (rc < 0) {
			jobs_wait(NULL, 1000);
			continue;
		}
		if (rc == 0) {
			jobs_wait(run.c, JOB_POLL_MS);
			continue;
		}
		if (rc == 2) {
			struct imp_totals zero;

			memset(&zero, 0, sizeof(zero));
			jobs_finish(&run, "failed", "the job was tried too "
			    "many times", &zero);
		} else
			jobs_work(&run);
		if (run.job.lost || PQstatus(run.c) != CONNECTION_OK) {
			/* the lock went with the session */
			PQfinish(run.c);
			run.c = NULL;
		} else
			jobs_release(&run);
		if (run.job.retry)
			jobs_wait(NULL, 2000);
	}
	PQfinish(run.c);
	log_info("import job runner stopped");
	_exit(0);
}
