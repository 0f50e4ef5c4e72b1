/*
 * daemon.h: the process model: the supervisor (master) and its workers.
 */
#ifndef ROSTERD_DAEMON_H
#define ROSTERD_DAEMON_H

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

/* idempotency.c: Idempotency-Key on POST, around the handler. */
struct db;
struct http_req;
struct http_resp;
struct idem {
	const char	*tenant;	/* the key's scope */
	const char	*key;
	int		 reserved;	/* this request owns the key */
};
int idem_begin(struct db *db, struct http_req *req, struct http_resp *resp,
    struct idem *t);
void idem_end(struct db *db, struct http_req *req,
    const struct http_resp *resp, const struct idem *t);

#endif
