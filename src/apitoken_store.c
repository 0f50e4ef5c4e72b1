/*
 * apitoken_store.c: tenant API tokens and external tenant ids, answered
 * from per-worker caches (the declarations are auth/apitoken.h).
 *
 * A token is looked up by the SHA-256 of its whole text; the database
 * holds only that hash.  A cached entry is found by the hash too, and
 * compared with CRYPTO_memcmp.  Both caches hold what the database said
 * as long as db_notify_gen() stays the same: every change of api_tokens
 * or tenant_aliases notifies on DB_AUTH_CHANNEL, the worker's
 * connection LISTENs on it, and the pending notifications are read
 * (without blocking) before each answer, so a revocation is seen by the
 * next request on every worker.  A change made through this host's
 * workers is also counted in shared memory as it commits
 * (metrics_auth_changed()), which every worker compares first: the
 * notification reaches a busy server's other sessions late.  A new connection drops the caches too,
 * since notifications may have been missed.  Expiry and the address
 * list are checked on every use.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/apitoken.h"
#include "db/db.h"

#define TOKEN_SLOTS	256
#define TOKEN_PROBE	8
#define ALIAS_SLOTS	256

struct token_entry {
	int		 used;
	unsigned char	 hash[32];
	char		 id[UUID_STR_LEN + 1];
	char		 tenant[UUID_STR_LEN + 1];
	unsigned	 role;
	long long	 exp;		/* 0: none */
	int		 revoked;
	size_t		 ncidrs;
	struct apitoken_cidr cidrs[APITOKEN_MAX_CIDRS];
	time_t		 touched;	/* last use recorded by this worker */
	char		 touched_addr[INET6_ADDRSTRLEN];
};

struct alias_entry {
	char		*issuer;	/* malloc'd; NULL: empty */
	char		*external_id;
	/* "": no mapping */
	char		 tenant[UUID_STR_LEN + 1];
};

static struct {
	const struct db	*db;
	uint64_t	 gen;
	unsigned long long host_gen;	/* metrics_auth_changes() */
	struct token_entry tokens[TOKEN_SLOTS];
	struct alias_entry aliases[ALIAS_SLOTS];
} cache;

static void
cache_clear(void)
{
	size_t i;

	for (i = 0; i < ALIAS_SLOTS; i++) {
		free(cache.aliases[i].issuer);
		free(cache.aliases[i].external_id);
	}
	OPENSSL_cleanse(cache.tokens, sizeof(cache.tokens));
	memset(cache.aliases, 0, sizeof(cache.aliases));
}

/*
 * Makes the caches current: drops them when a notification arrived or
 * the connection is new.  0, or -1 when the database cannot be asked.
 */
static int
cache_sync(struct db *db)
{
	uint64_t gen;
	unsigned long long host;
	int ok;

	gen = db_notify_gen(db, &ok);
	if (!ok)
		return -1;
	host = metrics_auth_changes();
	if (cache.db != db || cache.gen != gen || cache.host_gen != host) {
		cache_clear();
		cache.db = db;
		cache.gen = gen;
		cache.host_gen = host;
	}
	return 0;
}

void
apitoken_cache_clear(void)
{
	cache_clear();
	cache.db = NULL;
}

static struct token_entry *
token_find(const unsigned char hash[32])
{
	size_t i, h = ((size_t)hash[0] << 8 | hash[1]) % TOKEN_SLOTS;
	struct token_entry *e;

	for (i = 0; i < TOKEN_PROBE; i++) {
		e = &cache.tokens[(h + i) % TOKEN_SLOTS];
		if (e->used && CRYPTO_memcmp(e->hash, hash, 32) == 0)
			return e;
	}
	return NULL;
}

/* A slot for hash: a free one near its home, else its home. */
static struct token_entry *
token_slot(const unsigned char hash[32])
{
	size_t i, h = ((size_t)hash[0] << 8 | hash[1]) % TOKEN_SLOTS;
	struct token_entry *e;

	for (i = 0; i < TOKEN_PROBE; i++) {
		e = &cache.tokens[(h + i) % TOKEN_SLOTS];
		if (!e->used)
			return e;
	}
	e = &cache.tokens[h];
	OPENSSL_cleanse(e, sizeof(*e));
	return e;
}

/*
 * Fills e from the lookup row: cidrs come as a text array literal of
 * cidr values ({10.0.0.0/8,2001:db8::/32}), which need no quoting.
 * 0, or -1 when the row makes no sense.
 */
static int
token_fill(struct token_entry *e, const PGresult *r)
{
	const char *id = db_get(r, 0, "id"), *t = db_get(r, 0, "tenant_id"),
	    *role = db_get(r, 0, "role"), *exp = db_get(r, 0, "exp"),
	    *cidrs = db_get(r, 0, "cidrs"), *rev = db_get(r, 0, "revoked");
	char one[INET6_ADDRSTRLEN + 8];
	const char *p, *q;
	size_t n;

	if (id == NULL || t == NULL || role == NULL || rev == NULL ||
	    strlen(id) > UUID_STR_LEN || strlen(t) > UUID_STR_LEN)
		return -1;
	strcpy(e->id, id);
	strcpy(e->tenant, t);
	e->role = auth_role_bit(role);
	if (e->role != AUTH_ROLE_TENANT_ADMIN &&
	    e->role != AUTH_ROLE_TENANT_READER)
		return -1;
	e->exp = exp != NULL ? strtoll(exp, NULL, 10) : 0;
	if (exp != NULL && e->exp == 0)
		e->exp = 1;	/* the epoch itself: long expired */
	e->revoked = strcmp(rev, "t") == 0;
	e->ncidrs = 0;
	p = cidrs != NULL && *cidrs == '{' ? cidrs + 1 : "}";
	while (*p != '}' && *p != '\0') {
		q = p + strcspn(p, ",}");
		n = (size_t)(q - p);
		if (n >= sizeof(one) || e->ncidrs == APITOKEN_MAX_CIDRS)
			return -1;
		memcpy(one, p, n);
		one[n] = '\0';
		if (apitoken_cidr_parse(one, &e->cidrs[e->ncidrs++]) != 0)
			return -1;
		p = *q == ',' ? q + 1 : q;
	}
	return 0;
}

/*
 * Records a use in the database (last_used_at, last_used_addr, and an
 * audit row for an address the token never came from) at most once
 * every APITOKEN_TOUCH_SECONDS per token and worker, and whenever the
 * address differs from the one this worker recorded last.  A failure
 * only costs the bookkeeping: the next use tries again.
 */
static void
token_touch(struct db *db, struct token_entry *e, const char *addr,
    time_t now, struct arena *a, const char *request_id)
{
	const char *params[4], *shown = addr != NULL ? addr : "";
	char canon[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	enum db_status st;

	if (e->touched != 0 && now - e->touched < APITOKEN_TOUCH_SECONDS &&
	    strcmp(e->touched_addr, shown) == 0)
		return;
	params[0] = e->tenant;
	params[1] = e->id;
	params[2] = NULL;
	if (addr != NULL && (inet_pton(AF_INET, addr, bin) == 1 ||
	    inet_pton(AF_INET6, addr, bin) == 1) && strlen(addr) <
	    sizeof(canon)) {
		strcpy(canon, addr);
		params[2] = canon;
	}
	params[3] = request_id;
	if (db_exec(db, a, STMT_APITOKEN_TOUCH, params, &st, NULL) == NULL) {
		log_warn("api token %s: cannot record its use", e->id);
		return;
	}
	e->touched = now;
	snprintf(e->touched_addr, sizeof(e->touched_addr), "%s", shown);
}

enum apitoken_status
apitoken_verify(struct db *db, const char *token, size_t len,
    const char *remote_addr, time_t now, struct arena *a,
    struct principal *p)
{
	return apitoken_verify_req(db, token, len, remote_addr, NULL, now, a,
	    p);
}

enum apitoken_status
apitoken_verify_req(struct db *db, const char *token, size_t len,
    const char *remote_addr, const char *request_id, time_t now,
    struct arena *a, struct principal *p)
{
	static const char sub_prefix[] = "apitoken:";
	unsigned char hash[32];
	char hex[65], *sub;
	size_t idlen;
	const char *params[1];
	struct token_entry *e, fresh;
	enum db_status st;
	PGresult *r;
	size_t i;
	int ok;

	memset(p, 0, sizeof(*p));
	if (!apitoken_shape_ok(token, len))
		return APITOKEN_UNKNOWN;
	if (sha256_digest(token, len, hash) != 0)
		return APITOKEN_UNAVAILABLE;
	if (cache_sync(db) != 0)
		return APITOKEN_UNAVAILABLE;
	if ((e = token_find(hash)) == NULL) {
		for (i = 0; i < sizeof(hash); i++)
			snprintf(hex + 2 * i, 3, "%02x", hash[i]);
		params[0] = hex;
		r = db_exec(db, a, STMT_APITOKEN_LOOKUP, params, &st, NULL);
		if (r == NULL)
			return APITOKEN_UNAVAILABLE;
		if (PQntuples(r) == 0)
			return APITOKEN_UNKNOWN;
		memset(&fresh, 0, sizeof(fresh));
		if (token_fill(&fresh, r) != 0) {
			log_error("api token lookup: an unusable row");
			return APITOKEN_UNAVAILABLE;
		}
		/*
		 * Kept under the generation read before the lookup: a
		 * change committed meanwhile has notified, and the next
		 * cache_sync() drops the entry.
		 */
		e = token_slot(hash);
		*e = fresh;
		memcpy(e->hash, hash, sizeof(hash));
		e->used = 1;
	}
	if (e->revoked)
		return APITOKEN_REVOKED;
	if (e->exp != 0 && (long long)now >= e->exp)
		return APITOKEN_EXPIRED;
	if (e->ncidrs > 0) {
		for (i = 0, ok = 0; i < e->ncidrs && !ok; i++)
			ok = apitoken_cidr_contains(&e->cidrs[i], remote_addr);
		if (!ok)
			return APITOKEN_ADDRESS;
	}
	token_touch(db, e, remote_addr, now, a, request_id);
	idlen = strlen(e->id);
	sub = arena_alloc(a, sizeof(sub_prefix) + idlen);
	memcpy(sub, sub_prefix, sizeof(sub_prefix) - 1);
	memcpy(sub + sizeof(sub_prefix) - 1, e->id, idlen + 1);
	p->sub = sub;
	p->tid = arena_strdup(a, e->tenant);
	p->roles = e->role;
	p->not_before = 0;
	p->not_after = (double)e->exp;
	return APITOKEN_OK;
}

/* ---- tenant aliases ---- */

static size_t
alias_home(const char *issuer, const char *external_id)
{
	const unsigned char *s;
	size_t h = 5381;

	for (s = (const unsigned char *)issuer; *s != '\0'; s++)
		h = h * 33 + *s;
	h = h * 33;
	for (s = (const unsigned char *)external_id; *s != '\0'; s++)
		h = h * 33 + *s;
	return h % ALIAS_SLOTS;
}

int
tenant_alias_resolve(struct db *db, const char *issuer,
    const char *external_id, struct arena *a, const char **tenant)
{
	struct alias_entry *e;
	const char *params[2], *t;
	enum db_status st;
	PGresult *r;

	*tenant = NULL;
	if (cache_sync(db) != 0)
		return -1;
	e = &cache.aliases[alias_home(issuer, external_id)];
	if (e->issuer == NULL || strcmp(e->issuer, issuer) != 0 ||
	    strcmp(e->external_id, external_id) != 0) {
		params[0] = issuer;
		params[1] = external_id;
		r = db_exec(db, a, STMT_ALIAS_RESOLVE, params, &st, NULL);
		if (r == NULL)
			return -1;
		t = PQntuples(r) > 0 ? db_get(r, 0, "tenant_id") : NULL;
		if (t != NULL && strlen(t) > UUID_STR_LEN)
			return -1;
		free(e->issuer);
		free(e->external_id);
		e->issuer = xstrdup(issuer);
		e->external_id = xstrdup(external_id);
		snprintf(e->tenant, sizeof(e->tenant), "%s",
		    t != NULL ? t : "");
	}
	if (e->tenant[0] == '\0')
		return 1;
	*tenant = arena_strdup(a, e->tenant);
	return 0;
}

