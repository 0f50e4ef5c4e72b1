/*
 * jwks.h: signing keys fetched from an issuer's jwks_uri (jwks.c).
 *
 * A fetcher process, started and restarted by the supervisor, fetches
 * each remote key set over HTTPS (libcurl) and writes the last good
 * document to <state_dir>/jwks/<name>.json (atomic rename).  Workers
 * never fetch: they read that file when it changes, so a request never
 * waits on an identity provider, and the last good set outlives both
 * an unreachable provider and a restart.
 *
 * Files under <state_dir>/jwks/ (the fetcher creates the directory,
 * mode 0750; state_dir itself must exist):
 *	<name>.json		the last good key set, exactly as served
 *				(mode 0640); replaced only by a document
 *				that loads and holds a public signing key
 *	<name>.status.json	the fetcher's last attempt: see
 *				jwks_fetcher_start()
 *	refresh.sock		the fetcher's datagram socket for refetch
 *				requests (mode 0600)
 */
#ifndef ROSTERD_JWKS_H
#define ROSTERD_JWKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "auth.h"

/* One issuer whose keys come from the network. */
struct jwks_source {
	const char	*name;		/* the [issuer NAME] section, [a-z0-9_-]+ */
	const char	*iss;		/* the issuer identifier (https URL) */
	const char	*jwks_uri;	/* NULL or "discover": OIDC discovery
					 * from iss */
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
 *
 * A file that fails to load, or holds no public key, leaves the keys
 * loaded before in place (one warning per change of the file).  HMAC
 * ("oct") keys in the file are dropped: a published key set is public.
 */
int jwks_current(const struct jwks_source *src, const char *state_dir,
    const struct jwt_key **keys, size_t *n) RS_MUSTCHECK;

/*
 * Worker side.  Asks the fetcher to refetch src soon (a token named a
 * kid that the current set lacks).  Never blocks; the fetcher honours
 * min_refetch_seconds.  A worker sends at most one request a second
 * per source; a request nobody receives is dropped.
 */
void jwks_request_refresh(const struct jwks_source *src,
    const char *state_dir);

/* Worker side: releases what jwks_current() holds. */
void jwks_release_all(void);

/*
 * Supervisor side: forks the fetcher for the n sources (none: returns
 * 0 and starts nothing).  Returns the child's pid, 0, or -1.
 *
 * The child (process name "rosterd-jwks", log process "jwks") closes
 * every descriptor above 2, fetches each source at once (the sources
 * side by side: a provider that hangs delays no other; 10 s to connect,
 * 20 s a request, https only, 1 MiB at most) and then every
 * refresh_seconds (sooner when the document's Cache-Control max-age
 * says so, but not sooner than min_refetch_seconds); a failed fetch is
 * retried after 5 s, 10 s, 20 s ... up to 5 minutes (never later than
 * refresh_seconds), and a refetch request is served no sooner than
 * min_refetch_seconds after the source's previous fetch began.  Each
 * attempt rewrites <name>.status.json:
 *	{"issuer":NAME,"jwks_uri":URI|null,"last_attempt":T,
 *	 "last_success":T|null,"last_error":TEXT|null,"failures":N,
 *	 "kids":[KID...],"last_attempt_ms":MS,"last_success_ms":MS}
 * (T: RFC 3339 UTC; MS: the same as Unix time in ms, 0 for none;
 * failures: consecutive; kids: of the last good set; last_success is
 * this fetcher's, null until its first success).  It exits 0 on SIGTERM or SIGINT, also in the middle of a
 * fetch, and when its parent dies.
 */
pid_t jwks_fetcher_start(const struct jwks_source *srcs, size_t n,
    const char *state_dir);

/*
 * jwks_fetcher_start() that has the child call child_init(arg) (when
 * not NULL) before anything else it does, once it has copied srcs and
 * state_dir: child_init may free what they point into.  The child is
 * a copy of its parent, which it talks to the network for: the
 * supervisor drops its copy of the configuration there.
 */
pid_t jwks_fetcher_spawn(const struct jwks_source *srcs, size_t n,
    const char *state_dir, void (*child_init)(void *), void *arg);

/* What the fetcher last did for a source (its status file). */
struct jwks_status {
	int64_t		 last_attempt_ms;	/* Unix time in ms */
	int64_t		 last_success_ms;	/* 0: none since it started */
	long		 failures;		/* in a row; 0 after a success */
	long		 nkeys;			/* in the last good set */
};

/*
 * Any process: reads <state_dir>/jwks/<name>.status.json into *st, for
 * /metrics and /readyz.  Returns 0, or -1 when there is none yet or it
 * does not parse (*st zeroed).
 */
int jwks_status_read(const struct jwks_source *src, const char *state_dir,
    struct jwks_status *st) RS_MUSTCHECK;

/*
 * Worker side, for GET /metrics: appends, in Prometheus text format, one
 * sample per source of each of these gauges, labelled issuer="NAME":
 *	rosterd_jwks_keys			keys the workers verify with
 *						(jwks_current())
 *	rosterd_jwks_last_attempt_timestamp_seconds
 *	rosterd_jwks_last_success_timestamp_seconds
 *	rosterd_jwks_consecutive_failures	(from the status file; 0
 *						where it says none or is
 *						missing)
 * Scratch memory from a.  Nothing when n is 0.
 */
void jwks_metrics_render(struct buf *b, struct arena *a,
    const struct jwks_source *srcs, size_t n, const char *state_dir);

/*
 * Fetcher internals, declared for the unit tests.
 */

/* 1 when name is a usable source name ([a-z0-9_-], 1 to 64 bytes). */
int jwks_name_ok(const char *name) RS_MUSTCHECK;

/*
 * The OIDC discovery URL of issuer iss: iss without its trailing
 * slashes, then "/.well-known/openid-configuration".  A heap string.
 */
char *jwks_discovery_url(const char *iss);

/*
 * Reads an OIDC discovery document doc[0..len): its "issuer" must
 * equal iss exactly and its "jwks_uri" must be an https URL.  Returns
 * the jwks_uri (heap), or NULL with a message in err.
 */
char *jwks_discovery_parse(const char *doc, size_t len, const char *iss,
    char *err, size_t errsz);

/*
 * The max-age of a Cache-Control header value (e.g. "public,
 * max-age=3600"), or -1 when it has none or says no-store/no-cache.
 */
long jwks_max_age(const char *value);

/*
 * Seconds until the next fetch of src: after a success (failures 0),
 * refresh_seconds, or max_age (>= 0) bounded by min_refetch_seconds
 * and refresh_seconds; after the failures-th failure in a row, the
 * backoff described at jwks_fetcher_start().
 */
long jwks_next_delay(const struct jwks_source *src, long failures,
    long max_age);

#endif
