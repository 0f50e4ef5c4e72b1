/*
 * engine.h: the import engine (rosterctl_import.c) as rosterd's job
 * runner (jobs.c) drives it: the same batches, checks, writes and
 * checkpoint (import_runs) as rosterctl import, with the run's id
 * given, its row errors and progress handed to hooks instead of
 * printed, and its messages kept instead of printed.
 */
#ifndef ROSTERD_IMP_ENGINE_H
#define ROSTERD_IMP_ENGINE_H

#include <stddef.h>

struct config;

/* A row error: line (a record's number), 1-based column or 0. */
struct imp_row_err {
	long		 line;
	int		 col;
	char		*field;		/* NULL: the record */
	char		*msg;		/* never a secret value */
};

/* A run's totals, with its earlier sessions'. */
struct imp_totals {
	long long	 rows;		/* records of committed batches */
	long long	 bytes;		/* of the file, read by them */
	long long	 users_created, users_updated;
	long long	 groups_created, groups_updated;
	long long	 roles_created, roles_updated;
	long long	 memberships, assignments, errors;
};

struct imp_hooks {
	void		*ctx;
	/*
	 * A batch's row errors (sorted by line), before the batch commits
	 * (at least once: a batch retried or resumed hands them again);
	 * -1 fails the batch.
	 */
	int		(*errors)(void *ctx, const struct imp_row_err *e,
			    size_t n);
	/* After each batch (committed, unless dry-run or atomic): 1 stops
	 * the run after it */
	int		(*progress)(void *ctx, const struct imp_totals *t);
};

enum imp_job_result {
	IMP_JOB_DONE = 0,	/* every row in */
	IMP_JOB_FAILED = 1,	/* refused file, or failed (message) */
	IMP_JOB_ROWS = 3,	/* done, some rows refused (atomic: none in) */
	IMP_JOB_DB = 4,		/* the database failed: try again */
	IMP_JOB_STOPPED = 130,	/* stopped between batches */
};

struct imp_job {
	const char	*tenant;	/* canonical uuid */
	const char	*run_id;	/* resumed when running */
	const char	*path;		/* the file (a regular file) */
	const char	*fname;		/* its name (the audit row) */
	const char	*format;	/* csv|jsonl|xlsx|keycloak|auth0 */
	const char	*mode;		/* create|upsert */
	const char	*match;		/* id|username|email or NULL */
	const char	*actor;		/* created_by, the audit's */
	const char	*request_id;	/* the audit's, or "" */
	/* may assign and define the roles of system administrators */
	int		 system_roles;
	const char	*conninfo;	/* NULL: cfg's db_conninfo */
	int		 dry_run, atomic;
	long		 batch;
	const struct imp_hooks *hooks;
	struct imp_totals totals;	/* out */
	char		 message[512];	/* out: why it failed */
};

/* Imports j->path into j->tenant on a session of cfg's db_conninfo. */
enum imp_job_result imp_job_run(const struct config *cfg,
    struct imp_job *j);
/* Stops the running import after its batch in flight (signal-safe). */
void imp_job_interrupt(void);

/*
 * What rosterctl import refuses before it writes anything, on a file
 * of format (csv|jsonl|xlsx|keycloak|auth0): not well-formed, no
 * header, no username column, no match column.  0, or -1 with err.
 */
int imp_file_check(const char *path, const char *format,
    const char *match, long long *rows, char *err, size_t errlen);

#endif
