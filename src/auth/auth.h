/*
 * auth.h: bearer token verification (jwt.c) and the authorization
 * rules (authz.c).  Nothing here knows HTTP: callers pass the token
 * bytes and get a principal back.
 */
#ifndef ROSTERD_AUTH_H
#define ROSTERD_AUTH_H

#include <stddef.h>
#include <stdint.h>
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
	const char	*sub;	/* subject claim, never NULL once verified */
	const char	*tid;	/* tenant (canonical uuid) or NULL */
	unsigned	 roles;	/* enum auth_role bits; unknown names ignored */
	/*
	 * When the token is good, leeway included: from not_before (0: any
	 * time) until not_after (exclusive; 0: no exp claim).
	 */
	double		 not_before;
	double		 not_after;
	/*
	 * The [issuer NAME] that vouched for the token (a configuration
	 * string, not the arena's), or NULL (an API token).
	 */
	const char	*issuer;
	/*
	 * With the issuer's tenant_map: the tenant claim as sent (an
	 * external id), which the caller maps to tid; tid is NULL until.
	 */
	const char	*tenant_ext;
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
	JWT_NO_KEY,		/* no key configured, or ambiguous */
	JWT_BAD_TYP,		/* the header's typ is not the issuer's */
	JWT_UNKNOWN_KID,	/* a kid that the issuer's key set lacks */
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

/*
 * A claim's place in the token: member names from the claims object
 * inward ("realm_access", "roles").  nseg 0: the default name.
 */
#define JWT_PATH_MAX	8
struct jwt_claim_path {
	char		*seg[JWT_PATH_MAX];	/* heap strings */
	size_t		 nseg;
};

/*
 * Parses a claim path as the configuration writes it (see
 * rosterd.conf(5)): a value starting with "https://" or "http://" is
 * one member name taken literally (Auth0's namespaced claims); else
 * names separated by dots, where a name in double quotes may hold
 * dots (resource_access."my.client".roles).  At most JWT_PATH_MAX
 * names, none empty.  Returns 0, or -1 with a reason in err.
 */
int jwt_claim_path_parse(const char *s, struct jwt_claim_path *out,
    char *err, size_t errsz) RS_MUSTCHECK;
void jwt_claim_path_free(struct jwt_claim_path *p);

/* An identity provider's role or group name and the role it grants. */
struct jwt_role_map {
	char		*name;
	unsigned	 bit;		/* enum auth_role */
};

/*
 * One trusted issuer: who it is, the keys it signs with, and how its
 * claims become a principal.  Built from the configuration at start-up
 * and read-only afterwards (the fetched keys come through remote_keys).
 */
struct jwt_verifier {
	const char	*name;		/* [issuer NAME], or NULL */
	const struct jwt_key *keys;	/* file keys */
	size_t		 nkeys;
	const char	*issuer;	/* exact iss; NULL: not checked */
	const char	*audience;	/* one or several, comma-separated;
					 * NULL: not checked */
	const char	*typ;		/* required JOSE typ; NULL: any */
	long		 leeway;	/* seconds, for exp/nbf/iat */
	int		 require_exp;	/* 1: a token without exp is refused */
	size_t		 max_token;	/* bytes; 0: JWT_MAX_TOKEN */
	const struct jwt_claim_path *subject;	/* NULL: "sub" */
	const struct jwt_claim_path *tenant;	/* NULL: "tid" */
	const struct jwt_claim_path *roles;	/* NULL: "roles" */
	int		 tenant_map;	/* 1: the tenant claim is external */
	const struct jwt_role_map *role_map;	/* nrole_map 0: names as */
	size_t		 nrole_map;		/* they are */
	/*
	 * Keys fetched from the issuer (NULL: none): the current set, and
	 * a call for a refetch when a token names a kid the set lacks.
	 */
	int		(*remote_keys)(void *ctx, const struct jwt_key **keys,
			    size_t *n);
	void		(*refresh)(void *ctx);
	void		*remote_ctx;
};

/* Every trusted issuer; a token is checked by the one its iss names. */
struct jwt_trust {
	const struct jwt_verifier *issuers;
	size_t		 n;
	size_t		 max_token;	/* bytes; 0: JWT_MAX_TOKEN */
};

/*
 * Verifies a compact JWS token (the bytes after "Bearer ") against v at
 * time `now`.  On JWT_OK fills *p with strings from the arena.  Never
 * logs the token.
 *
 * Key selection: a token with a kid is checked against the keys with
 * that kid; when no key has it, a set where some key has a kid answers
 * JWT_UNKNOWN_KID (and asks a remote set for a refetch), and only a set
 * without any kid lets its keys stand in.  Among the candidates those
 * that fit the alg are all tried.  A token without kid is accepted only
 * when exactly one key fits its alg (JWT_NO_KEY when several do).  No
 * key of the right type for the alg: JWT_BAD_ALG.
 */
enum jwt_status jwt_verify(const struct jwt_verifier *v, const char *token,
    size_t len, time_t now, struct arena *a, struct principal *p)
    RS_MUSTCHECK;

/*
 * The same for a set of issuers: the token's iss picks exactly one
 * (compared exactly; none: JWT_BAD_ISSUER), whose keys alone may verify
 * it.  *used (may be NULL) is set to the key that verified it, and
 * *remote (may be NULL) to 1 when that key came from remote_keys.
 * Whenever the iss picked an issuer, p->issuer is set to its name, also
 * when the token is refused (for the refusal's log line); the rest of
 * *p is written only on JWT_OK.
 */
enum jwt_status jwt_verify_trusted(const struct jwt_trust *t,
    const char *token, size_t len, time_t now, struct arena *a,
    struct principal *p, const struct jwt_key **used, int *remote)
    RS_MUSTCHECK;

/*
 * A worker's verified-token cache (jwt_cache.c): a token that verified
 * is remembered, by its exact bytes, until its exp (leeway included),
 * so that a client sending the same token again costs a keyed hash
 * (a few instructions per 16 bytes) and a compare of the bytes instead
 * of a signature check and two JSON parses.  Only tokens with an exp are kept.  File keys change only
 * when the workers are replaced (SIGHUP), which empties the cache; a
 * token verified with a fetched key is served from the cache only while
 * that key is still in its issuer's current set.  Fixed size; a
 * colliding token replaces the older one.
 */
#define JWT_CACHE_SLOTS	256
#define JWT_CACHE_MAX_TOKEN 4096	/* longer tokens are not kept */

struct jwt_cache_entry {
	char		*token;		/* malloc'd copy, or NULL: empty */
	size_t		 len;
	uint64_t	 hash;		/* jwt_cache_hash() of token */
	struct principal p;		/* sub, tid, tenant_ext malloc'd */
	const struct jwt_verifier *v;	/* the issuer that verified it */
	EVP_PKEY	*pkey;		/* the fetched key used (a reference),
					 * or NULL: a file key */
};

struct jwt_cache {
	struct jwt_cache_entry slot[JWT_CACHE_SLOTS];
	unsigned long	 hits, misses;
	uint64_t	 seed;		/* the hash's key, random on first use */
	int		 seeded;	/* seed set (tests set it to fix it) */
};

/*
 * The cache's hash of s[0..len) under key seed (its slot is the hash
 * modulo JWT_CACHE_SLOTS): exposed for the unit tests.
 */
uint64_t jwt_cache_hash(uint64_t seed, const char *s, size_t len);

/*
 * jwt_verify_trusted() through cache c (zeroed before first use): the
 * same result, with *p's strings from a either way.
 */
enum jwt_status jwt_verify_cached(struct jwt_cache *c,
    const struct jwt_trust *t, const char *token, size_t len, time_t now,
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
 * The status as a refusal reason: a metric label and log word
 * ("bad_signature", "wrong_issuer", ...); "ok" for JWT_OK.
 */
const char *jwt_status_reason(enum jwt_status s);

/*
 * Mints an HS256 token (rosterctl token).  roles is a NULL-terminated
 * list; tid, iss and aud may be NULL.  ttl <= 0 means no exp claim.
 * Returns a string from the arena.
 */
char *jwt_mint_hs256(struct arena *a, const unsigned char *secret,
    size_t secret_len, const char *sub, const char *tid,
    const char *const *roles, const char *iss, const char *aud,
    time_t now, long ttl);

/*
 * The same for the issuer v (rosterctl token --issuer): typ, iss, the
 * first name of aud, and sub, tid and roles where v's claim paths put
 * them, each role written as the first IdP name v's role_map maps to
 * it.  NULL also when a role has no such name or two claim paths
 * start with the same name.
 */
char *jwt_mint_for(struct arena *a, const struct jwt_verifier *v,
    const unsigned char *secret, size_t secret_len, const char *sub,
    const char *tid, const char *const *roles, time_t now, long ttl);

/* password.c: Argon2id password hashes; single-use tokens. */
#define PASSWORD_PHC_MAX	128
int password_hash(const char *pw, size_t n, char *out, size_t outsz)
    RS_MUSTCHECK;
int password_verify(const char *phc, const char *pw, size_t n) RS_MUSTCHECK;
int sha256_digest(const void *p, size_t n, unsigned char out[32])
    RS_MUSTCHECK;
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
char *token_new(struct arena *a, const char *tenant, char hash_hex[65]);
int token_tenant(struct arena *a, const char *tok, size_t n,
    char out[UUID_STR_LEN + 1]);

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
