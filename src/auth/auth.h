/*
 * auth.h: bearer token verification (jwt.c) and the authorization
 * rules (authz.c).  Nothing here knows HTTP: callers pass the token
 * bytes and get a principal back.
 */
#ifndef ROSTERD_AUTH_H
#define ROSTERD_AUTH_H

#include <stddef.h>
#include <time.h>

#include "../util/util.h"

/* Roles a token can carry (DESIGN §4).  Bit flags in principal.roles. */
enum auth_role {
	AUTH_ROLE_SYSTEM_ADMIN = 1u << 0,	/* "SystemAdmin" */
	AUTH_ROLE_TENANT_ADMIN = 1u << 1,	/* "TenantAdmin" */
	AUTH_ROLE_TENANT_READER = 1u << 2,	/* "TenantReader" */
};

/* The authenticated caller; strings live in the request arena. */
struct principal {
	const char	*sub;	/* "sub" claim, never NULL once verified */
	const char	*tid;	/* "tid" claim (canonical uuid) or NULL */
	unsigned	 roles;	/* enum auth_role bits; unknown names ignored */
};

enum jwt_status {
	JWT_OK = 0,
	JWT_MALFORMED,		/* not three base64url parts, bad JSON, ... */
	JWT_TOO_LARGE,		/* token longer than JWT_MAX_TOKEN */
	JWT_BAD_ALG,		/* alg not allowed for any configured key */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,		/* exp + leeway <= now */
	JWT_NOT_YET_VALID,	/* nbf - leeway > now, or iat in the future */
	JWT_MISSING_EXP,
	JWT_BAD_ISSUER,
	JWT_BAD_AUDIENCE,
	JWT_BAD_CLAIMS,		/* sub missing, roles not a string array, ... */
	JWT_NO_KEY,		/* no key configured */
	JWT__MAX
};

#define JWT_MAX_TOKEN 8192

/*
 * Verification settings, built once at start-up (config) and read-only
 * afterwards.  Keys are a list so that public keys (RS/ES/EdDSA, JWKS
 * with kid) slot in next to the HS256 secret later.
 */
struct jwt_key {
	const char	*kid;		/* NULL: matches tokens without kid */
	const unsigned char *secret;	/* HS256 shared secret */
	size_t		 secret_len;
};

struct jwt_verifier {
	const struct jwt_key *keys;
	size_t		 nkeys;
	const char	*issuer;	/* NULL: not checked */
	const char	*audience;	/* NULL: not checked */
	long		 leeway;	/* seconds, for exp/nbf/iat */
	int		 require_exp;	/* 1: a token without exp is refused */
};

/*
 * Verifies a compact JWS token (the bytes after "Bearer ") against v at
 * time `now`.  On JWT_OK fills *p with strings from the arena.  Never
 * logs the token.
 */
enum jwt_status jwt_verify(const struct jwt_verifier *v, const char *token,
    size_t len, time_t now, struct arena *a, struct principal *p)
    RS_MUSTCHECK;

/* Short lower-case text for a status, for logs and error details. */
const char *jwt_status_str(enum jwt_status s);

/*
 * Mints an HS256 token (rosterctl token).  roles is a NULL-terminated
 * list; tid, iss and aud may be NULL.  ttl <= 0 means no exp claim.
 * Returns a string from the arena.
 */
char *jwt_mint_hs256(struct arena *a, const unsigned char *secret,
    size_t secret_len, const char *sub, const char *tid,
    const char *const *roles, const char *iss, const char *aud,
    time_t now, long ttl);

/* authz.c */
enum authz_right {
	AUTHZ_PUBLIC = 0,	/* no token needed (health, readiness) */
	AUTHZ_SYSTEM_ADMIN,	/* SystemAdmin only */
	AUTHZ_TENANT_ADMIN,	/* SystemAdmin, or TenantAdmin of the tenant */
	AUTHZ_TENANT_READ,	/* the above, or TenantReader of the tenant */
	AUTHZ__MAX
};

enum authz_result {
	AUTHZ_ALLOW = 0,
	AUTHZ_DENY,		/* 403: authenticated, not allowed */
	AUTHZ_NO_TENANT,	/* 400: the route needs a tenant, none given */
};

/*
 * Decides whether p may exercise `right` on `tenant` (the tenant the
 * request targets: from the path, else X-Tenant-Id, else the token's
 * tid; canonical uuid text, or any text when the path's value is not a
 * uuid, which then never matches a TenantAdmin's tid).
 */
enum authz_result authz_check(const struct principal *p,
    enum authz_right right, const char *tenant) RS_MUSTCHECK;

#endif
