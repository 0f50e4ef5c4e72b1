/*
 * daemon.h: the process model: the supervisor (master) and its workers.
 */
#ifndef ROSTERD_DAEMON_H
#define ROSTERD_DAEMON_H

#include <stdio.h>

#include "config.h"

/*
 * Runs the master: loads the config from path, opens or inherits the
 * listening socket, keeps the workers running, drains on SIGTERM and
 * reloads on SIGHUP.  Returns the process exit status.
 */
int supervisor_run(const char *path);

/* Opens the listening socket of cfg->listen; -1 with err set. */
int listen_open(const struct config *cfg, char *err, size_t errsz);

/* Serves requests on lfd until SIGTERM; never returns. */
RS_NORETURN void worker_run(const struct config *cfg, int lfd);

/*
 * jobs.c: the import job runner, a child of the supervisor: imports the
 * queued /v1 import jobs until SIGTERM; never returns.  A new job is
 * announced with NOTIFY on JOBS_CHANNEL.
 */
#define JOBS_CHANNEL	"rosterd_import_jobs"
RS_NORETURN void jobs_run(const struct config *cfg);

/* cli.c: the command lines. */
enum rosterd_action {
	RD_RUN = 0,		/* serve */
	RD_CHECK_SCHEMA,	/* --check-schema */
	RD_HELP,		/* -h, --help */
	RD_VERSION,		/* -V, --version */
	RD_USAGE,		/* anything else: a usage error */
};

/*
 * Parses rosterd's arguments (-c/--config FILE, --check-schema,
 * -h/--help, -V/--version); *conf gets the -c argument or NULL.  Reads
 * no file.  Returns what to do; RD_USAGE for an unknown option, a
 * missing argument or a stray operand.
 */
enum rosterd_action rosterd_args(int argc, char *const *argv,
    const char **conf);
void rosterd_usage(FILE *f);

/*
 * rosterd --check-schema: loads the config from path, prints each
 * migration of sql_dir that the database lacks, one a line, on stdout.
 * Returns the exit status: 0 none missing, 1 some missing, 2 cannot
 * tell (config, sql_dir or database unreadable; said on stderr).
 */
int rosterd_check_schema(const char *path);

/* The longest token rosterctl token mints: a year, in seconds. */
#define TOKEN_TTL_MAX	31536000L

/*
 * Parses a token lifetime: a whole number of seconds from 1 to
 * TOKEN_TTL_MAX, digits only.  0 with *ttl set, or -1.
 */
int token_ttl_parse(const char *s, long *ttl) RS_MUSTCHECK;

/* idempotency.c: Idempotency-Key on POST, around the handler. */
struct db;
struct http_req;
struct http_resp;
struct idem {
	const char	*tenant;	/* the key's scope: tenant, */
	const char	*caller;	/* caller (hex SHA-256 of sub) */
	const char	*key;
	const char	*hash;		/* the request's keyed hash (hex) */
	int		 reserved;	/* the key's lock was queued */
};
int idem_begin(struct db *db, struct http_req *req, struct http_resp *resp,
    struct idem *t);
void idem_end(struct db *db, struct http_req *req, struct http_resp *resp,
    const struct idem *t);

#endif
