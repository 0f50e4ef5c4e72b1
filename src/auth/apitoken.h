/*
 * apitoken.h: tenant API tokens ("rsd_" + 256 random bits, stored only
 * as a hash) and the external tenant ids that issuers' tokens may name
 * (apitoken.c).  Both are answered from a per-worker cache that
 * PostgreSQL LISTEN/NOTIFY invalidates.
 */
#ifndef ROSTERD_APITOKEN_H
#define ROSTERD_APITOKEN_H

#include <stddef.h>
#include <time.h>

#include "auth.h"

struct db;

#define APITOKEN_PREFIX "rsd_"

enum apitoken_status {
	APITOKEN_OK = 0,
	APITOKEN_UNKNOWN,	/* no such token (or malformed) */
	APITOKEN_REVOKED,
	APITOKEN_EXPIRED,
	APITOKEN_ADDRESS,	/* source address not in the token's list */
	APITOKEN_UNAVAILABLE,	/* the database could not be asked */
};

/*
 * Verifies an API token (the bytes after "Bearer ", starting with
 * APITOKEN_PREFIX) for a request from remote_addr (may be NULL).  On
 * APITOKEN_OK fills *p (sub "apitoken:<id>", tid, one role) with
 * strings from a.
 */
enum apitoken_status apitoken_verify(struct db *db, const char *token,
    size_t len, const char *remote_addr, time_t now, struct arena *a,
    struct principal *p) RS_MUSTCHECK;

/*
 * The rosterd tenant that issuer `issuer` (its section name) calls
 * external_id.  Returns 0 with *tenant (canonical uuid, from a), 1 when
 * no mapping exists, -1 when the database could not be asked.
 */
int tenant_alias_resolve(struct db *db, const char *issuer,
    const char *external_id, struct arena *a, const char **tenant)
    RS_MUSTCHECK;

/* Short lower-case text for a status, for logs and metrics. */
const char *apitoken_status_str(enum apitoken_status s);

#endif
