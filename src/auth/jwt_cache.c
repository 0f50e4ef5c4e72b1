/*
 * jwt_cache.c: a worker's verified-token cache (see auth.h).  A client
 * that provisions thousands of accounts sends the same bearer token on
 * every request; verifying it again costs a signature check (an RSA or
 * ECDSA public-key operation for asymmetric keys) and two JSON parses,
 * where a cache hit costs one pass of FNV-1a over the token and a
 * constant-time compare.
 *
 * Only what a full verification would accept is ever served: the entry
 * holds the exact token bytes, and its window (not_before, not_after)
 * is checked against now on every hit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"

static uint64_t
jwt_cache_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
jwt_cache_entry_free(struct jwt_cache_entry *e)
{
	free(e->token);
	free((char *)e->p.sub);
	free((char *)e->p.tid);
	memset(e, 0, sizeof(*e));
}

void
jwt_cache_clear(struct jwt_cache *c)
{
	size_t i;

	for (i = 0; i < JWT_CACHE_SLOTS; i++)
		jwt_cache_entry_free(&c->slot[i]);
}

/* Copies p into e (malloc'd); on no memory e stays empty. */
static void
jwt_cache_store(struct jwt_cache_entry *e, const char *token, size_t len,
    const struct principal *p)
{
	jwt_cache_entry_free(e);
	e->token = malloc(len);
	e->p = *p;
	e->p.sub = strdup(p->sub);
	e->p.tid = p->tid != NULL ? strdup(p->tid) : NULL;
	if (e->token == NULL || e->p.sub == NULL ||
	    (p->tid != NULL && e->p.tid == NULL)) {
		jwt_cache_entry_free(e);
		return;
	}
	memcpy(e->token, token, len);
	e->len = len;
}

enum jwt_status
jwt_verify_cached(struct jwt_cache *c, const struct jwt_verifier *v,
    const char *token, size_t len, time_t now, struct arena *a,
    struct principal *p)
{
	struct jwt_cache_entry *e;
	enum jwt_status rc;
	double dnow = (double)now;

	if (token == NULL || len == 0 || len > JWT_CACHE_MAX_TOKEN)
		return jwt_verify(v, token, len, now, a, p);
	e = &c->slot[jwt_cache_hash(token, len) % JWT_CACHE_SLOTS];
	if (e->token != NULL && e->len == len &&
	    CRYPTO_memcmp(e->token, token, len) == 0) {
		if (dnow < e->p.not_after && dnow >= e->p.not_before) {
			c->hits++;
			*p = e->p;
			p->sub = arena_strdup(a, e->p.sub);
			p->tid = e->p.tid != NULL ?
			    arena_strdup(a, e->p.tid) : NULL;
			return JWT_OK;
		}
		jwt_cache_entry_free(e);	/* expired: verify says why */
	}
	c->misses++;
	rc = jwt_verify(v, token, len, now, a, p);
	if (rc == JWT_OK && p->not_after > 0)
		jwt_cache_store(e, token, len, p);
	return rc;
}
