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
#include <openssl/evp.h>

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
jwt_cache_store(struct jwt_cache_entry *e, const char *token, size_t len,
    const struct principal *p, const struct jwt_verifier *v, EVP_PKEY *pk)
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
	int remote = 0;
	size_t i;

	if (token == NULL || len == 0 || len > JWT_CACHE_MAX_TOKEN)
		return jwt_verify_trusted(t, token, len, now, a, p, NULL,
		    NULL);
	e = &c->slot[jwt_cache_hash(token, len) % JWT_CACHE_SLOTS];
	if (e->token != NULL && e->len == len &&
	    CRYPTO_memcmp(e->token, token, len) == 0) {
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
		jwt_cache_store(e, token, len, p, NULL, NULL);
		return rc;
	}
	/* A fetched key: remember it, to see it is still there on a hit. */
	for (i = 0; i < t->n; i++)
		if (t->issuers[i].name != NULL &&
		    t->issuers[i].name == p->issuer)
			v = &t->issuers[i];
	/* A fetched HMAC key has no EVP_PKEY to recognise it by. */
	if (v != NULL && used->pkey != NULL)
		jwt_cache_store(e, token, len, p, v, used->pkey);
	return rc;
}
