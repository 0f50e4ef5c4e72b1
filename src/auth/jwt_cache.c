/*
 * jwt_cache.c: a worker's verified-token cache (see auth.h).  A client
 * that provisions thousands of accounts sends the same bearer token on
 * every request; verifying it again costs a signature check (an RSA or
 * ECDSA public-key operation for asymmetric keys) and two JSON parses,
 * where a cache hit costs a keyed hash of the token, sixteen bytes a
 * step, and a compare of the bytes when the whole hash matches.
 *
 * Only what a full verification would accept is ever served: the entry
 * holds the exact token bytes, which must all match, and its window
 * (not_before, not_after) is checked against now on every hit.
 *
 * The compare need not be constant-time: it runs only when the token's
 * 64-bit hash, keyed with a random secret of the cache's own, equals an
 * entry's, which a token other than the cached one does only by chance
 * (nobody outside the worker can aim for it), so its timing tells
 * nothing about a cached token's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"

/*
 * A keyed 64-bit hash of s[0..len), sixteen bytes a step (wyhash's
 * multiply-fold).  Not a MAC: it only picks the slot and screens
 * entries before the full compare, which decides.  Loads go through
 * memcpy (any alignment; the compiler makes them plain loads).
 */
#define JWT_CACHE_K0	0xa0761d6478bd642fULL
#define JWT_CACHE_K1	0xe7037ed1a0b428dbULL
#define JWT_CACHE_K2	0x8ebc6af09c88c6e3ULL
#define JWT_CACHE_K3	0x589965cc75374cc3ULL

/* The 128-bit product of a and b, its halves xored. */
static inline uint64_t
jwt_cache_fold(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	u128 r = (u128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32,
	    lb = (uint32_t)b, hh, hl, lh, ll, mid, lo, hi;

	hh = ha * hb;
	hl = ha * lb;
	lh = la * hb;
	ll = la * lb;
	mid = (ll >> 32) + (uint32_t)hl + (uint32_t)lh;
	lo = (mid << 32) | (uint32_t)ll;
	hi = hh + (hl >> 32) + (lh >> 32) + (mid >> 32);
	return lo ^ hi;
#endif
}

uint64_t
jwt_cache_hash(uint64_t seed, const char *s, size_t len)
{
	uint64_t h = seed ^ JWT_CACHE_K0, a, b;
	size_t n = len;

	for (; n > 16; s += 16, n -= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		h = jwt_cache_fold(a ^ JWT_CACHE_K1, b ^ h);
	}
	a = b = 0;
	memcpy(&a, s, n < 8 ? n : 8);
	if (n > 8)
		memcpy(&b, s + 8, n - 8);
	h = jwt_cache_fold(a ^ JWT_CACHE_K2, b ^ h);
	return jwt_cache_fold(h ^ JWT_CACHE_K3, (uint64_t)len ^ JWT_CACHE_K1);
}

static void
jwt_cache_entry_free(struct jwt_cache_entry *e)
{
	free(e->token);
	free((char *)e->p.sub);
	free((char *)e->p.tid);
	free((char *)e->p.tenant_ext);
	EVP_PKEY_free(e->pkey);
	memset(e, 0, sizeof(*e));
}

void
jwt_cache_clear(struct jwt_cache *c)
{
	size_t i;

	for (i = 0; i < JWT_CACHE_SLOTS; i++)
		jwt_cache_entry_free(&c->slot[i]);
}

/* A heap copy of s, or NULL for NULL; *fail set when out of memory. */
static char *
jwt_cache_dup(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

/* Copies p into e (malloc'd); on no memory e stays empty. */
static void
jwt_cache_store(struct jwt_cache_entry *e, uint64_t hash, const char *token,
    size_t len, const struct principal *p, const struct jwt_verifier *v,
    EVP_PKEY *pk)
{
	int fail = 0;

	jwt_cache_entry_free(e);
	e->token = malloc(len);
	e->p = *p;
	e->p.sub = jwt_cache_dup(p->sub, &fail);
	e->p.tid = jwt_cache_dup(p->tid, &fail);
	e->p.tenant_ext = jwt_cache_dup(p->tenant_ext, &fail);
	if (e->token == NULL || fail || (pk != NULL &&
	    EVP_PKEY_up_ref(pk) != 1)) {
		jwt_cache_entry_free(e);
		return;
	}
	e->pkey = pk;
	e->v = v;
	memcpy(e->token, token, len);
	e->len = len;
	e->hash = hash;
}

/*
 * Is the fetched key of entry e still in its issuer's current set?  A
 * key the issuer has withdrawn must stop vouching for cached tokens.
 */
static int
jwt_cache_key_current(const struct jwt_cache_entry *e)
{
	const struct jwt_key *keys = NULL;
	size_t n = 0, i;

	if (e->pkey == NULL)
		return 1;	/* a file key: fixed for the worker's life */
	if (e->v == NULL || e->v->remote_keys == NULL ||
	    e->v->remote_keys(e->v->remote_ctx, &keys, &n) != 0)
		return 0;
	for (i = 0; keys != NULL && i < n; i++)
		if (keys[i].pkey != NULL && EVP_PKEY_eq(keys[i].pkey,
		    e->pkey) == 1)
			return 1;
	return 0;
}

enum jwt_status
jwt_verify_cached(struct jwt_cache *c, const struct jwt_trust *t,
    const char *token, size_t len, time_t now, struct arena *a,
    struct principal *p)
{
	struct jwt_cache_entry *e;
	const struct jwt_key *used = NULL;
	enum jwt_status rc;
	const struct jwt_verifier *v = NULL;
	double dnow = (double)now;
	uint64_t h;
	int remote = 0;
	size_t i;

	if (token == NULL || len == 0 || len > JWT_CACHE_MAX_TOKEN)
		return jwt_verify_trusted(t, token, len, now, a, p, NULL,
		    NULL);
	if (!c->seeded) {
		/* no randomness: a fixed key (the compare still decides) */
		if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
			c->seed = JWT_CACHE_K3;
		c->seeded = 1;
	}
	h = jwt_cache_hash(c->seed, token, len);
	e = &c->slot[h % JWT_CACHE_SLOTS];
	if (e->token != NULL && e->hash == h && e->len == len &&
	    memcmp(e->token, token, len) == 0) {
		if (dnow < e->p.not_after && dnow >= e->p.not_before &&
		    jwt_cache_key_current(e)) {
			c->hits++;
			*p = e->p;
			p->sub = arena_strdup(a, e->p.sub);
			p->tid = e->p.tid != NULL ?
			    arena_strdup(a, e->p.tid) : NULL;
			p->tenant_ext = e->p.tenant_ext != NULL ?
			    arena_strdup(a, e->p.tenant_ext) : NULL;
			return JWT_OK;
		}
		jwt_cache_entry_free(e);	/* verify says why */
	}
	c->misses++;
	rc = jwt_verify_trusted(t, token, len, now, a, p, &used, &remote);
	if (rc != JWT_OK || p->not_after <= 0 || used == NULL)
		return rc;
	if (!remote) {
		jwt_cache_store(e, h, token, len, p, NULL, NULL);
		return rc;
	}
	/* A fetched key: remember it, to see it is still there on a hit. */
	for (i = 0; i < t->n; i++)
		if (t->issuers[i].name != NULL &&
		    t->issuers[i].name == p->issuer)
			v = &t->issuers[i];
	/* A fetched HMAC key has no EVP_PKEY to recognise it by. */
	if (v != NULL && used->pkey != NULL)
		jwt_cache_store(e, h, token, len, p, v, used->pkey);
	return rc;
}
