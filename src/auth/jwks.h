/*
 * jwks.h: signing keys fetched from an issuer's jwks_uri (jwks.c).
 *
 * A fetcher process, started and restarted by the supervisor, fetches
 * each remote key set over HTTPS (libcurl) and writes the last good
 * document to <state_dir>/jwks/<name>.json (atomic rename).  Workers
 * never fetch: they read that file when it changes, so a request never
 * waits on an identity provider, and the last good set outlives both
 * an unreachable provider and a restart.
 */
#ifndef ROSTERD_JWKS_H
#define ROSTERD_JWKS_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "auth.h"

/* One issuer whose keys come from the network. */
struct jwks_source {
	const char	*name;		/* the [issuer NAME] section, [a-z0-9_-]+ */
	const char	*iss;		/* the issuer identifier (https URL) */
	const char	*jwks_uri;	/* NULL: OIDC discovery from iss */
	const char	*ca_file;	/* PEM bundle to trust; NULL: system's */
	long		 refresh_seconds;	/* scheduled refresh */
	long		 min_refetch_seconds;	/* unknown-kid refetch bound */
};

/*
 * Worker side.  The current fetched keys of src, read from state_dir
 * when the file changed since the last call (checked at most once a
 * second per source).  *keys stays valid until the next call for the
 * same source.  Returns 0 (possibly with *n == 0: nothing fetched yet),
 * -1 only on a bad argument.
 */
int jwks_current(const struct jwks_source *src, const char *state_dir,
    const struct jwt_key **keys, size_t *n) RS_MUSTCHECK;

/*
 * Worker side.  Asks the fetcher to refetch src soon (a token named a
 * kid that the current set lacks).  Never blocks; the fetcher honours
 * min_refetch_seconds.
 */
void jwks_request_refresh(const struct jwks_source *src,
    const char *state_dir);

/* Worker side: releases what jwks_current() holds. */
void jwks_release_all(void);

/*
 * Supervisor side: forks the fetcher for the n sources (none: returns
 * 0 and starts nothing).  Returns the child's pid, 0, or -1.
 */
pid_t jwks_fetcher_start(const struct jwks_source *srcs, size_t n,
    const char *state_dir);

#endif
