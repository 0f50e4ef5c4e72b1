/*
 * apitoken.h: tenant API tokens ("rsd_" + 256 random bits, stored only
 * as a hash) and the external tenant ids that issuers' tokens may name
 * (apitoken.c: the tokens themselves; ../apitoken_store.c: the database
 * and the per-worker caches).  Both are answered from a per-worker cache that
 * PostgreSQL LISTEN/NOTIFY invalidates.
 */
#ifndef ROSTERD_APITOKEN_H
#define ROSTERD_APITOKEN_H

#include <stddef.h>
#include <time.h>

#include "auth.h"

struct db;

#define APITOKEN_PREFIX "rsd_"
/* base64url characters after the prefix: 32 random bytes */
#define APITOKEN_SECRET_LEN	43
/* characters of a token kept and shown to tell tokens apart */
#define APITOKEN_SHOWN_LEN	8
/* addresses or networks a token may be limited to */
#define APITOKEN_MAX_CIDRS	32
/* a worker records a token's use at most this often (and on a new address) */
#define APITOKEN_TOUCH_SECONDS	60

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
 * apitoken_verify() with the request's id, for the audit row of a use
 * from a new address (request_id may be NULL).
 */
enum apitoken_status apitoken_verify_req(struct db *db, const char *token,
    size_t len, const char *remote_addr, const char *request_id, time_t now,
    struct arena *a, struct principal *p) RS_MUSTCHECK;

/*
 * A new token (APITOKEN_PREFIX + base64url of 32 bytes from the OS
 * CSPRNG), from a; hash_hex gets the SHA-256 of the whole token in hex,
 * shown its first APITOKEN_SHOWN_LEN characters.  NULL when no random
 * bytes could be had.
 */
char *apitoken_new(struct arena *a, char hash_hex[65],
    char shown[APITOKEN_SHOWN_LEN + 1]);

/* An address or network of a token's list. */
struct apitoken_cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};

/*
 * Parses "10.0.0.0/8", "2001:db8::/32" or a single address ("10.1.2.3":
 * /32, /128).  0; -1 when it is no address; -2 when bits right of the
 * mask are set ("10.0.0.1/8").
 */
int apitoken_cidr_parse(const char *s, struct apitoken_cidr *c) RS_MUSTCHECK;
/*
 * 1 when address text addr (NULL: 0) lies in c; ::ffff:a.b.c.d is
 * a.b.c.d.
 */
int apitoken_cidr_contains(const struct apitoken_cidr *c, const char *addr);
/* 1 when token[0..len) has the shape of an API token. */
int apitoken_shape_ok(const char *token, size_t len);
/* The canonical text of c ("10.0.0.0/8"); outsz >= 64 is enough. */
void apitoken_cidr_format(const struct apitoken_cidr *c, char *out,
    size_t outsz);

/*
 * rosterctl api-token create|list|revoke (../rosterctl_apitoken.c):
 * argv[0] is "api-token".  Returns the exit status.
 */
struct config;
int rosterctl_api_token(const struct config *cfg, int argc, char **argv);

/* Empties this process's caches (tests; a new worker starts empty). */
void apitoken_cache_clear(void);

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
/*
 * The reason label of rosterd_auth_refused_total for a refusal:
 * unknown_token, revoked, token_expired, address_not_allowed,
 * unavailable.
 */
const char *apitoken_status_reason(enum apitoken_status s);

#endif
