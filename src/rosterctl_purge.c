/*
 * rosterctl_purge.c: rosterctl purge [--dry-run] [--batch N], the
 * retention of the tables that grow with use.  For each table whose
 * retention_* key is not 0, the rows that ended longer ago than the key
 * says are deleted, at most N (default 1000) per DELETE; each DELETE is
 * its own short transaction, locks only the rows it deletes and skips
 * rows another transaction holds (the next run gets them).  No table is
 * rewritten or locked as a whole.  --dry-run counts instead.  One line
 * per table on stdout; exit 0, 1 when the database failed (the batches
 * before it stay deleted), 2 on a bad argument.
 *
 * A row's end, per table: idempotency, created_at (an answer is replayed
 * for 24 hours, and retention_idempotency_hours is at least that; the
 * table has no index on it, which every keyed write would pay for: its
 * batches walk the table once, in the order of its pages, each one
 * picking up after the last row the one before it picked);
 * invites, the first of accepted_at, revoked_at and expires_at (LEAST
 * ignores NULLs: a pending invite ends at expires_at, in the future);
 * audit_log, at; api_tokens, the first of revoked_at and expires_at (a
 * token that is neither never ends); import_jobs, finished_at (a job
 * queued or running never ends), and import_job_errors, its job's: the
 * error rows go first, in batches of their own, so that deleting a job
 * does not cascade to an unbounded number of them; import_runs (the
 * checkpoints of rosterctl import and of the jobs), finished_at, or
 * updated_at for a run abandoned (a run still running, which a rerun
 * resumes, never ends).  Tenants are deleted at once, with
 * their rows, by DELETE /v1/tenants/{id}; only their tenant.delete audit
 * row stays, under retention_audit_days.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "db/db.h"

#define PURGE_BATCH_DEFAULT	1000
#define PURGE_BATCH_MAX		100000
#define PURGE_RETRIES		3	/* a batch after a deadlock and such */

/*
 * $1 the retention (hours or days), $2 (DELETE) the batch size.  The age test is
 * repeated outside the sub-select: it holds for the very row version
 * that is deleted.
 */
#define PURGE_DELETE(table, end, unit)					\
	"DELETE FROM " table " WHERE ctid = ANY (ARRAY("		\
	"SELECT ctid FROM " table " WHERE " end " < now() -"		\
	" make_interval(" unit " => $1::int) LIMIT $2::int"		\
	" FOR UPDATE SKIP LOCKED))"					\
	" AND " end " < now() - make_interval(" unit " => $1::int)"
/*
 * The same for a table walked in the order of its pages: the rows after
 * row $3 (a tid), at most $2; one row: the rows picked (all of them but
 * those another transaction holds, and whose age the DELETE checks
 * again), the last of them (the next batch's $3) and the rows deleted.
 */
#define PURGE_WALK(table, end, unit)					\
	"WITH c AS MATERIALIZED ("					\
	" SELECT ctid FROM " table " WHERE ctid > $3::tid AND " end	\
	" < now() - make_interval(" unit " => $1::int) LIMIT $2::int"	\
	" FOR UPDATE SKIP LOCKED"					\
	"), d AS ("							\
	" DELETE FROM " table " WHERE ctid = ANY (ARRAY("		\
	"SELECT ctid FROM c)) AND " end " < now() -"			\
	" make_interval(" unit " => $1::int) RETURNING 1"		\
	") SELECT (SELECT count(*) FROM c),"				\
	" (SELECT ctid FROM c ORDER BY ctid DESC LIMIT 1)::text,"	\
	" (SELECT count(*) FROM d)"
#define PURGE_COUNT(table, end, unit)					\
	"SELECT count(*) FROM " table " WHERE " end " < now() -"	\
	" make_interval(" unit " => $1::int)"

struct purge_table {
	const char	*table;
	const char	*key;		/* the retention key */
	size_t		 off;		/* its field in struct config */
	const char	*unit;		/* "hours" or "days" */
	const char	*del;
	const char	*count;
	int		 walk;		/* del is a PURGE_WALK */
};

#define PT(table, key, end, unit) {					\
	table, #key, offsetof(struct config, key), unit,		\
	PURGE_DELETE(table, end, unit), PURGE_COUNT(table, end, unit), 0 }
#define PT_WALK(table, key, end, unit) {				\
	table, #key, offsetof(struct config, key), unit,		\
	PURGE_WALK(table, end, unit), PURGE_COUNT(table, end, unit), 1 }

/*
 * The error rows of import jobs that finished before $1 days ago, found
 * from the jobs (the errors' key index starts with the job's).
 */
#define PURGE_JOB_ERRORS						\
	" FROM import_jobs j JOIN import_job_errors e"			\
	" ON e.tenant_id = j.tenant_id AND e.job_id = j.id"		\
	" WHERE j.finished_at < now() - make_interval(days => $1::int)"

static const struct purge_table purge_tables[] = {
	PT_WALK("idempotency", retention_idempotency_hours, "created_at",
	    "hours"),
	PT("invites", retention_invites_days,
	    "least(accepted_at, revoked_at, expires_at)", "days"),
	PT("audit_log", retention_audit_days, "at", "days"),
	PT("api_tokens", retention_api_tokens_days,
	    "least(revoked_at, expires_at)", "days"),
	{ "import_job_errors", "retention_import_jobs_days",
	    offsetof(struct config, retention_import_jobs_days), "days",
	    "DELETE FROM import_job_errors WHERE ctid = ANY (ARRAY("
	    "SELECT e.ctid" PURGE_JOB_ERRORS " LIMIT $2::int"
	    " FOR UPDATE OF e SKIP LOCKED))",
	    "SELECT count(*)" PURGE_JOB_ERRORS },
	PT("import_jobs", retention_import_jobs_days, "finished_at", "days"),
	PT("import_runs", retention_import_jobs_days,
	    "CASE WHEN state <> 'running' THEN coalesce(finished_at,"
	    " updated_at) END", "days"),
};

static void
purge_usage(void)
{
	fprintf(stderr,
	    "usage: rosterctl [-c FILE] purge [--dry-run] [--batch N]\n"
	    "  --batch: rows per DELETE, 1 to %d (default %d)\n",
	    PURGE_BATCH_MAX, PURGE_BATCH_DEFAULT);
}

/* The database's message, first line; never a parameter. */
static void
purge_failed(const struct purge_table *t, PGconn *c, const PGresult *r)
{
	const char *m = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m == NULL)
		m = PQerrorMessage(c);
	fprintf(stderr, "rosterctl: purge: %s: %.*s\n", t->table,
	    (int)strcspn(m, "\n"), m);
}

/* A failure that the same statement may not meet again. */
static int
purge_transient(const PGresult *r)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return s != NULL && (strcmp(s, "40001") == 0 ||
	    strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0);
}

/*
 * Runs prepared statement name until it fails for good (-1) or, for a
 * DELETE, until a batch finds fewer than batch rows; *rows gets the rows
 * deleted (or counted), *batches the statements that deleted.  params:
 * $1 the retention, $2 the batch size, and for a walked table $3, the
 * row its next batch starts after.
 */
static int
purge_run(PGconn *c, const struct purge_table *t, const char *name,
    int dry_run, const char *params[3], long batch, long *rows,
    long *batches)
{
	char after[32] = "(0,0)";
	PGresult *r;
	long found, n;
	int tries = 0, nparams = dry_run ? 1 : t->walk ? 3 : 2;

	*rows = *batches = 0;
	params[2] = after;
	for (;;) {
		r = PQexecPrepared(c, name, nparams, params, NULL, NULL, 0);
		if (PQresultStatus(r) != (dry_run || t->walk ?
		    PGRES_TUPLES_OK : PGRES_COMMAND_OK)) {
			if (r != NULL && purge_transient(r) &&
			    ++tries < PURGE_RETRIES) {
				PQclear(r);
				continue;
			}
			purge_failed(t, c, r);
			PQclear(r);
			return -1;
		}
		tries = 0;
		if (dry_run)
			found = n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		else if (t->walk) {
			found = strtol(PQgetvalue(r, 0, 0), NULL, 10);
			if (found > 0)
				snprintf(after, sizeof(after), "%s",
				    PQgetvalue(r, 0, 1));
			n = strtol(PQgetvalue(r, 0, 2), NULL, 10);
		} else
			found = n = strtol(PQcmdTuples(r), NULL, 10);
		PQclear(r);
		*rows += n;
		if (dry_run)
			return 0;
		if (n > 0)
			(*batches)++;
		if (found < batch)
			return 0;
	}
}

static int
purge_table(PGconn *c, const struct config *cfg,
    const struct purge_table *t, int dry_run, long batch)
{
	long age = *(const long *)(const void *)((const char *)cfg + t->off);
	char name[64], agestr[24], batchstr[24];
	const char *params[3] = { agestr, batchstr, NULL };
	long rows, batches;
	PGresult *r;
	int ok;

	if (age == 0) {
		printf("%s: kept (%s = 0)\n", t->table, t->key);
		return 0;
	}
	snprintf(agestr, sizeof(agestr), "%ld", age);
	snprintf(batchstr, sizeof(batchstr), "%ld", batch);
	snprintf(name, sizeof(name), "purge_%s%s", t->table,
	    dry_run ? "_count" : "");
	r = PQprepare(c, name, dry_run ? t->count : t->del,
	    dry_run ? 1 : t->walk ? 3 : 2, NULL);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		purge_failed(t, c, r);
	PQclear(r);
	if (!ok || purge_run(c, t, name, dry_run, params, batch, &rows,
	    &batches) != 0)
		return -1;
	if (dry_run)
		printf("%s: %ld rows would be deleted (older than %ld %s)\n",
		    t->table, rows, age, t->unit);
	else
		printf("%s: %ld rows deleted in %ld batches (older than %ld "
		    "%s)\n", t->table, rows, batches, age, t->unit);
	return fflush(stdout) == 0 ? 0 : -1;
}

int
rosterctl_purge(const struct config *cfg, int argc, char **argv)
{
	long batch = PURGE_BATCH_DEFAULT;
	int dry_run = 0, rc = 0;
	char err[512], *end;
	PGconn *c;
	size_t i;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = 1;
		else if (strcmp(argv[i], "--batch") == 0 &&
		    i + 1 < (size_t)argc) {
			batch = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || batch < 1 ||
			    batch > PURGE_BATCH_MAX) {
				fprintf(stderr, "rosterctl: purge: --batch: "
				    "1 to %d\n", PURGE_BATCH_MAX);
				return 2;
			}
		} else {
			purge_usage();
			return 2;
		}
	}
	c = db_session_open(cfg->db_conninfo, cfg->db_connect_timeout,
	    "rosterctl", cfg->statement_timeout_ms, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "rosterctl: purge: %s\n", err);
		return 1;
	}
	for (i = 0; i < RS_ARRAY_LEN(purge_tables); i++)
		if (purge_table(c, cfg, &purge_tables[i], dry_run, batch) != 0)
			rc = 1;
	PQfinish(c);
	return rc;
}
