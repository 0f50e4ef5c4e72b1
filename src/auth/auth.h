/*
 * auth.h: bearer token verification (jwt.c) and the authorization
 * rules (authz.c).  Nothing here knows HTTP: callers pass the token
 * bytes and get a principal back.
 */
#ifndef ROSTERD_AUTH_H
#define ROSTERD_AUTH_H

#include <stddef.h>
#include <time.h>

#include <openssl/types.h>

#include "../util/util.h"

/* Roles a token can carry.  Bit flags in principal.roles. */
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
	/*
	 * When the token is good, leeway included: from not_before (0: any
	 * time) until not_after (exclusive; 0: no exp claim).
	 */
	double		 not_before;
	double		 not_after;
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
 * afterwards.  A key is either an HMAC secret (pkey NULL, secret set:
 * HS256/384/512) or a public key (pkey set: RSA for RS* and PS*, EC
 * for the ES* of its curve, Ed25519 for EdDSA).  alg, when set,
 * restricts the key to that one algorithm (the JWK "alg" member).
 */
struct jwt_key {
	const char	*kid;		/* NULL: see jwt_verify() */
	const unsigned char *secret;	/* HMAC shared secret, or NULL */
	size_t		 secret_len;
	EVP_PKEY	*pkey;		/* public key, NULL for HMAC */
	const char	*alg;		/* NULL: any alg of the key's type */
};

struct jwt_verifier {
	const struct jwt_key *keys;
	size_t		 nkeys;
	const char	*issuer;	/* NULL: not checked */
	const char	*audience;	/* NULL: not checked */
	long		 leeway;	/* seconds, for exp/nbf/iat */
	int		 require_exp;	/* 1: a token without exp is refused */
	size_t		 max_token;	/* bytes; 0: JWT_MAX_TOKEN */
};

/*
 * Verifies a compact JWS token (the bytes after "Bearer ") against v at
 * time `now`.  On JWT_OK fills *p with strings from the arena.  Never
 * logs the token.
 *
 * Key selection: a token with a kid is checked against the keys with
 * that kid (or, when none has it, the keys without kid), among those
 * that fit its alg; several such keys are all tried.  A token without
 * kid is accepted only when exactly one configured key fits its alg
 * (JWT_NO_KEY when several do).  No key of the right type for the alg:
 * JWT_BAD_ALG; no key for the kid at all: JWT_NO_KEY.
 */
enum jwt_status jwt_verify(const struct jwt_verifier *v, const char *token,
    size_t len, time_t now, struct arena *a, struct principal *p)
    RS_MUSTCHECK;

/*
 * A worker's verified-token cache (jwt_cache.c): a token that verified
 * is remembered, by its exact bytes, until its exp (leeway included),
 * so that a client sending the same token again costs a hash and a
 * constant-time compare instead of a signature check and two JSON
 * parses.  Only tokens with an exp are kept.  Keys change only when the
 * workers are replaced (SIGHUP), which empties the cache.  Fixed size;
 * a colliding token replaces the older one.
 */
#define JWT_CACHE_SLOTS	256
#define JWT_CACHE_MAX_TOKEN 4096	/* longer tokens are not kept */

struct jwt_cache_entry {
	char		*token;		/* malloc'd copy, or NULL: empty */
	size_t		 len;
	struct principal p;		/* strings malloc'd */
};

struct jwt_cache {
	struct jwt_cache_entry slot[JWT_CACHE_SLOTS];
	unsigned long	 hits, misses;
};

/*
 * jwt_verify() through cache c (zeroed before first use): the same
 * result, with *p's strings from a either way.
 */
enum jwt_status jwt_verify_cached(struct jwt_cache *c,
    const struct jwt_verifier *v, const char *token, size_t len, time_t now,
    struct arena *a, struct principal *p) RS_MUSTCHECK;
/* Releases every entry. */
void jwt_cache_clear(struct jwt_cache *c);

/*
 * Loads one public key (RSA of at least 2048 bits, EC P-256/P-384/
 * P-521 or Ed25519) from the PEM file at path (PEM_read_PUBKEY) into
 * *out, which the caller releases with jwt_key_clear().  kid and
 * alg are left NULL.  Returns 0, or -1 with a message in err.
 */
int jwt_key_from_pem(const char *path, struct jwt_key *out, char *err,
    size_t errsz) RS_MUSTCHECK;

/*
 * Loads a JWKS document (RFC 7517) from path: the "keys" array, with
 * kty "RSA" (n, e), "EC" (crv, x, y), "OKP" (crv "Ed25519", x) or
 * "oct" (k), and optional "kid", "alg" and "use".  Keys whose "use" is
 * not "sig" are skipped.  Any malformed key fails the whole document
 * with a message naming its kid or index.  On success *out is a heap
 * array of *n keys (possibly zero), released with jwt_keys_free().
 * Returns 0, or -1 with a message in err.
 */
int jwt_keys_from_jwks(const char *path, struct jwt_key **out, size_t *n,
    char *err, size_t errsz) RS_MUSTCHECK;

/*
 * Releases what a loader allocated in k (kid, alg, secret, pkey) and
 * zeroes it; the struct itself stays the caller's.  For the result of
 * jwt_key_from_pem().
 */
void jwt_key_clear(struct jwt_key *k);

/*
 * Releases keys[0..n) as jwt_key_clear() does, then the array (the
 * result of jwt_keys_from_jwks()).  NULL is a no-op.
 */
void jwt_keys_free(struct jwt_key *keys, size_t n);

/* The enum auth_role bit of a role name ("TenantAdmin"), 0 if none. */
unsigned auth_role_bit(const char *name);

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

/* password.c: Argon2id password hashes; single-use tokens. */
#define PASSWORD_PHC_MAX	128
int password_hash(const char *pw, size_t n, char *out, size_t outsz)
    RS_MUSTCHECK;
int password_verify(const char *phc, const char *pw, size_t n) RS_MUSTCHECK;
void token_sha256_hex(const char *s, size_t n, char out[65]);
/*
 * Hashing is bounded across the workers: the master calls
 * password_slots_init() once before it forks (0, or -1: no bound then);
 * password_hash_slotted() hashes only in a free one of `slots` slots.
 */
#define PASSWORD_BUSY		1	/* every slot taken: 503 */
#define PASSWORD_SLOT_NONE	(-2)
int password_slots_init(void) RS_MUSTCHECK;
/* A slot: its index (give it back), -1 (none free) or PASSWORD_SLOT_NONE. */
int password_slot_take(long slots);
void password_slot_give(int slot);
int password_hash_slotted(long slots, const char *pw, size_t n, char *out,
    size_t outsz) RS_MUSTCHECK;
size_t password_length(const char *pw, size_t n);
char *token_new(struct arena *a, char hash_hex[65]);

/* authz.c */
/*
 * The zero value is deliberately no right at all: a route table entry
 * that forgets its right is refused for everybody (and fails the unit
 * test that walks the table), never left open.
 */
enum authz_right {
	AUTHZ_UNSET = 0,	/* a forgotten right: denied to everybody */
	AUTHZ_PUBLIC,		/* no token needed (health, readiness) */
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

/* "public", "SystemAdmin", "TenantAdmin", "TenantReader"; NULL if unset. */
const char *authz_right_name(enum authz_right right);

#endif
