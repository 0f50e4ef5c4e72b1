/*
 * jwt.c: compact JWS bearer tokens (RFC 7515, RFC 7519), HS256 only
 * for now.
 *
 * The algorithm is taken from the key configuration, never from the
 * token: a token must say "HS256" and a configured key must hold a
 * shared secret.  The signature is checked before the claims are
 * parsed.  Nothing here logs the token or any part of it.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <yajl/yajl_tree.h>

#include "auth.h"

#define JWT_HS256_LEN	32	/* bytes of an HMAC-SHA256 signature */

static const char *const jwt_status_names[] = {
	[JWT_OK] = "ok",
	[JWT_MALFORMED] = "malformed token",
	[JWT_TOO_LARGE] = "token too large",
	[JWT_BAD_ALG] = "algorithm not allowed",
	[JWT_BAD_SIGNATURE] = "bad signature",
	[JWT_EXPIRED] = "token expired",
	[JWT_NOT_YET_VALID] = "token not yet valid",
	[JWT_MISSING_EXP] = "missing exp claim",
	[JWT_BAD_ISSUER] = "bad issuer",
	[JWT_BAD_AUDIENCE] = "bad audience",
	[JWT_BAD_CLAIMS] = "bad claims",
	[JWT_NO_KEY] = "no key",
};
_Static_assert(RS_ARRAY_LEN(jwt_status_names) == JWT__MAX,
    "jwt_status_names");

/* Role claim names and their bits (DESIGN §4). */
static const struct {
	const char	*name;
	unsigned	 bit;
} jwt_roles[] = {
	{ "SystemAdmin", AUTH_ROLE_SYSTEM_ADMIN },
	{ "TenantAdmin", AUTH_ROLE_TENANT_ADMIN },
	{ "TenantReader", AUTH_ROLE_TENANT_READER },
};

/* arena_defer() wants a plain function, not a cast of yajl_tree_free. */
static void
yajl_tree_free_cb(void *p)
{
	yajl_tree_free(p);
}

/*
 * Returns the value of key in object o, or NULL.  With duplicate keys
 * the first one wins; the signature vouches for the issuer's intent.
 */
static yajl_val
jwt_obj_get(yajl_val o, const char *key)
{
	size_t	i;

	for (i = 0; i < o->u.object.len; i++)
		if (strcmp(o->u.object.keys[i], key) == 0)
			return o->u.object.values[i];
	return NULL;
}

/*
 * Parses the decoded JSON s[0..n) (NUL-terminated at s[n], as the
 * base64 decoders guarantee) into an object tree whose release is
 * registered on a.  yajl_tree keeps strings as C strings, so a NUL,
 * raw or escaped, would silently truncate a value: refuse both before
 * parsing.  The escape scan may also hit "\\u0000" (an escaped
 * backslash followed by text), which no legitimate token carries.
 */
static enum jwt_status
jwt_parse_object(struct arena *a, const unsigned char *s, size_t n,
    yajl_val *out)
{
	char		errbuf[128];
	yajl_val	tree;
	size_t		i;

	if (memchr(s, '\0', n) != NULL)
		return JWT_MALFORMED;
	for (i = 0; i + 6 <= n; i++)
		if (s[i] == '\\' && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return JWT_MALFORMED;

	/* The parser's message may quote token bytes: it is not logged. */
	tree = yajl_tree_parse((const char *)s, errbuf, sizeof(errbuf));
	if (tree == NULL)
		return JWT_MALFORMED;
	arena_defer(a, yajl_tree_free_cb, tree);
	if (!YAJL_IS_OBJECT(tree))
		return JWT_MALFORMED;
	*out = tree;
	return JWT_OK;
}

/*
 * Reads an optional NumericDate claim.  *present is 0 when the claim
 * is absent.  Returns JWT_BAD_CLAIMS when it is not a finite number.
 */
static enum jwt_status
jwt_numeric_date(yajl_val claims, const char *name, int *present,
    double *out)
{
	yajl_val	v;

	*present = 0;
	if ((v = jwt_obj_get(claims, name)) == NULL)
		return JWT_OK;
	/* Use the double: INT_VALID is unset for 1.5 or 1e9 anyway. */
	if (!YAJL_IS_NUMBER(v) ||
	    !(v->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) ||
	    !isfinite(v->u.number.d))
		return JWT_BAD_CLAIMS;
	*present = 1;
	*out = v->u.number.d;
	return JWT_OK;
}

/* exp, nbf and iat against now, with the verifier's leeway. */
static enum jwt_status
jwt_check_times(const struct jwt_verifier *v, yajl_val claims, time_t now)
{
	enum jwt_status	 rc;
	double		 exp = 0, nbf = 0, iat = 0, dnow, leeway;
	int		 has_exp, has_nbf, has_iat;

	if ((rc = jwt_numeric_date(claims, "exp", &has_exp, &exp)) != JWT_OK ||
	    (rc = jwt_numeric_date(claims, "nbf", &has_nbf, &nbf)) != JWT_OK ||
	    (rc = jwt_numeric_date(claims, "iat", &has_iat, &iat)) != JWT_OK)
		return rc;

	/* Doubles: exact for any plausible time, and no overflow. */
	dnow = (double)now;
	leeway = v->leeway > 0 ? (double)v->leeway : 0.0;

	if (!has_exp && v->require_exp)
		return JWT_MISSING_EXP;
	if (has_exp && dnow >= exp + leeway)
		return JWT_EXPIRED;
	if (has_nbf && dnow + leeway < nbf)
		return JWT_NOT_YET_VALID;
	if (has_iat && dnow + leeway < iat)
		return JWT_NOT_YET_VALID;
	return JWT_OK;
}

/* iss and aud, when the verifier is configured to check them. */
static enum jwt_status
jwt_check_iss_aud(const struct jwt_verifier *v, yajl_val claims)
{
	yajl_val	val;
	size_t		i;

	if (v->issuer != NULL) {
		val = jwt_obj_get(claims, "iss");
		if (!YAJL_IS_STRING(val) ||
		    strcmp(val->u.string, v->issuer) != 0)
			return JWT_BAD_ISSUER;
	}
	if (v->audience == NULL)
		return JWT_OK;

	val = jwt_obj_get(claims, "aud");
	if (YAJL_IS_STRING(val))
		return strcmp(val->u.string, v->audience) == 0 ?
		    JWT_OK : JWT_BAD_AUDIENCE;
	if (!YAJL_IS_ARRAY(val))
		return JWT_BAD_AUDIENCE;
	/* An array must be all strings, one of them ours. */
	for (i = 0; i < val->u.array.len; i++)
		if (!YAJL_IS_STRING(val->u.array.values[i]))
			return JWT_BAD_AUDIENCE;
	for (i = 0; i < val->u.array.len; i++)
		if (strcmp(val->u.array.values[i]->u.string, v->audience) == 0)
			return JWT_OK;
	return JWT_BAD_AUDIENCE;
}

/* sub, tid and roles into *p (arena strings). */
static enum jwt_status
jwt_read_principal(struct arena *a, yajl_val claims, struct principal *p)
{
	char		 canon[UUID_STR_LEN + 1];
	yajl_val	 val, r;
	size_t		 i, j;

	val = jwt_obj_get(claims, "sub");
	if (!YAJL_IS_STRING(val) || val->u.string[0] == '\0')
		return JWT_BAD_CLAIMS;
	p->sub = arena_strdup(a, val->u.string);

	p->tid = NULL;
	if ((val = jwt_obj_get(claims, "tid")) != NULL) {
		if (!YAJL_IS_STRING(val) || uuid_normalize(val->u.string,
		    strlen(val->u.string), canon) != 0)
			return JWT_BAD_CLAIMS;
		p->tid = arena_strdup(a, canon);
	}

	p->roles = 0;
	if ((val = jwt_obj_get(claims, "roles")) == NULL)
		return JWT_OK;
	if (!YAJL_IS_ARRAY(val))
		return JWT_BAD_CLAIMS;
	for (i = 0; i < val->u.array.len; i++) {
		r = val->u.array.values[i];
		if (!YAJL_IS_STRING(r))
			return JWT_BAD_CLAIMS;
		/* Unknown role names are ignored (DESIGN §4). */
		for (j = 0; j < RS_ARRAY_LEN(jwt_roles); j++)
			if (strcmp(r->u.string, jwt_roles[j].name) == 0)
				p->roles |= jwt_roles[j].bit;
	}
	return JWT_OK;
}

/*
 * HMAC-SHA256 of data[0..n) under key into mac[32].  Returns JWT_OK,
 * or JWT_BAD_SIGNATURE when OpenSSL fails (fail closed).
 */
static enum jwt_status
jwt_hs256(const unsigned char *key, size_t keylen, const void *data,
    size_t n, unsigned char mac[JWT_HS256_LEN])
{
	unsigned int	maclen = 0;

	if (keylen > INT_MAX)
		return JWT_BAD_SIGNATURE;
	if (HMAC(EVP_sha256(), key, (int)keylen, data, n, mac,
	    &maclen) == NULL || maclen != JWT_HS256_LEN)
		return JWT_BAD_SIGNATURE;
	return JWT_OK;
}

/* Does configured key k apply to a token with header kid (or NULL)? */
static int
jwt_key_matches(const struct jwt_key *k, const char *kid)
{
	if (k->kid == NULL)
		return 1;
	return kid != NULL && strcmp(k->kid, kid) == 0;
}

/*
 * Checks the header: an object with "alg" "HS256", no "crit", "kid" a
 * string if present, and at least one key for that kid holding a
 * secret.  Sets *kid (tree memory) for the signature step.
 */
static enum jwt_status
jwt_check_header(const struct jwt_verifier *v, yajl_val hdr,
    const char **kid)
{
	yajl_val	 alg, k;
	size_t		 i;
	int		 matched = 0;

	/* We understand no extensions, so any "crit" must be refused. */
	if (jwt_obj_get(hdr, "crit") != NULL)
		return JWT_MALFORMED;
	alg = jwt_obj_get(hdr, "alg");
	if (!YAJL_IS_STRING(alg))
		return JWT_MALFORMED;

	*kid = NULL;
	if ((k = jwt_obj_get(hdr, "kid")) != NULL) {
		if (!YAJL_IS_STRING(k))
			return JWT_MALFORMED;
		*kid = k->u.string;
	}

	/* "none", HS384, RS256, ...: nothing configured accepts them. */
	if (strcmp(alg->u.string, "HS256") != 0)
		return JWT_BAD_ALG;

	for (i = 0; i < v->nkeys; i++) {
		if (!jwt_key_matches(&v->keys[i], *kid))
			continue;
		matched = 1;
		if (v->keys[i].secret != NULL && v->keys[i].secret_len > 0)
			return JWT_OK;
	}
	/* A key for this kid exists but is not an HS256 secret. */
	return matched ? JWT_BAD_ALG : JWT_NO_KEY;
}

/*
 * Tries every HS256 key that matches kid (several kid-less secrets
 * allow rotation).  signing_input is "header.payload" as sent.
 */
static enum jwt_status
jwt_check_signature(const struct jwt_verifier *v, const char *kid,
    const char *signing_input, size_t silen, const unsigned char *sig,
    size_t siglen)
{
	unsigned char	 mac[JWT_HS256_LEN];
	const struct jwt_key *k;
	size_t		 i;

	if (siglen != JWT_HS256_LEN)
		return JWT_BAD_SIGNATURE;
	for (i = 0; i < v->nkeys; i++) {
		k = &v->keys[i];
		if (!jwt_key_matches(k, kid) || k->secret == NULL ||
		    k->secret_len == 0)
			continue;
		if (jwt_hs256(k->secret, k->secret_len, signing_input, silen,
		    mac) != JWT_OK)
			continue;
		if (CRYPTO_memcmp(mac, sig, JWT_HS256_LEN) == 0)
			return JWT_OK;
	}
	return JWT_BAD_SIGNATURE;
}

/*
 * Verifies the compact JWS token[0..len) (token need not be
 * NUL-terminated) against v at time now.  Checks, in order: size,
 * shape (three base64url parts), header (alg HS256 with a configured
 * secret, kid, no crit), the HMAC, then the claims (exp, nbf, iat, iss,
 * aud, sub, tid, roles).  On JWT_OK fills *p with strings allocated
 * from a; on any other status *p is left untouched.  Parser memory is
 * released when a is reset.  Returns JWT_OK or the first problem found:
 * JWT_TOO_LARGE, JWT_NO_KEY (no key configured, or none for the kid),
 * JWT_MALFORMED, JWT_BAD_ALG, JWT_BAD_SIGNATURE, JWT_MISSING_EXP,
 * JWT_EXPIRED, JWT_NOT_YET_VALID, JWT_BAD_ISSUER, JWT_BAD_AUDIENCE or
 * JWT_BAD_CLAIMS.  Never logs the token.
 */
enum jwt_status
jwt_verify(const struct jwt_verifier *v, const char *token, size_t len,
    time_t now, struct arena *a, struct principal *p)
{
	const char	*dot1, *dot2, *kid = NULL;
	unsigned char	*hdr_json, *claims_json, *sig;
	size_t		 hdr_len, claims_len, sig_len;
	yajl_val	 hdr, claims;
	enum jwt_status	 rc;
	struct principal tmp;

	if (len > JWT_MAX_TOKEN)
		return JWT_TOO_LARGE;
	if (v->keys == NULL || v->nkeys == 0)
		return JWT_NO_KEY;
	if (token == NULL)
		return JWT_MALFORMED;

	/* header "." payload "." signature, nothing more. */
	if ((dot1 = memchr(token, '.', len)) == NULL)
		return JWT_MALFORMED;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (dot2 == NULL)
		return JWT_MALFORMED;
	if (memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return JWT_MALFORMED;
	/*
	 * Header and payload must be JSON objects, so they cannot be
	 * empty.  An empty signature is left to the header check: "none"
	 * tokens then get JWT_BAD_ALG, which says more.
	 */
	if (dot1 == token || dot2 == dot1 + 1)
		return JWT_MALFORMED;

	if (base64url_decode(a, token, (size_t)(dot1 - token), &hdr_json,
	    &hdr_len) != 0 ||
	    base64url_decode(a, dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    &claims_json, &claims_len) != 0 ||
	    base64url_decode(a, dot2 + 1, len - (size_t)(dot2 + 1 - token),
	    &sig, &sig_len) != 0)
		return JWT_MALFORMED;

	if ((rc = jwt_parse_object(a, hdr_json, hdr_len, &hdr)) != JWT_OK ||
	    (rc = jwt_check_header(v, hdr, &kid)) != JWT_OK)
		return rc;
	if ((rc = jwt_check_signature(v, kid, token, (size_t)(dot2 - token),
	    sig, sig_len)) != JWT_OK)
		return rc;

	/* Authentic from here on; now judge what it says. */
	if ((rc = jwt_parse_object(a, claims_json, claims_len,
	    &claims)) != JWT_OK ||
	    (rc = jwt_check_times(v, claims, now)) != JWT_OK ||
	    (rc = jwt_check_iss_aud(v, claims)) != JWT_OK ||
	    (rc = jwt_read_principal(a, claims, &tmp)) != JWT_OK)
		return rc;

	*p = tmp;
	return JWT_OK;
}

/*
 * Returns a short lower-case description of s for logs and error
 * details: a static string, never NULL.
 */
const char *
jwt_status_str(enum jwt_status s)
{
	if ((unsigned)s >= JWT__MAX || jwt_status_names[s] == NULL)
		return "unknown";
	return jwt_status_names[s];
}

/* Appends s as a quoted JSON string. */
static void
jwt_put_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	buf_put_json_escaped(b, s, strlen(s));
	buf_putc(b, '"');
}

/*
 * Mints an HS256 token for sub (rosterctl token).  The header is
 * {"alg":"HS256","typ":"JWT"}; the claims are, in order: sub, tid (if
 * not NULL), roles (the NULL-terminated list, possibly NULL for none,
 * as an array), iss and aud (each if not NULL), iat (now) and exp
 * (now + ttl, only when ttl > 0).  Inputs are C strings owned by the
 * caller; tid is written as given (callers validate it).  Returns the
 * token as a NUL-terminated string allocated from a, or NULL when sub
 * or the secret is missing, now + ttl overflows, or the buffer failed
 * (the arena's budget).
 */
char *
jwt_mint_hs256(struct arena *a, const unsigned char *secret,
    size_t secret_len, const char *sub, const char *tid,
    const char *const *roles, const char *iss, const char *aud,
    time_t now, long ttl)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char	 mac[JWT_HS256_LEN];
	struct buf	 claims, tok;
	long long	 exp;
	size_t		 i;

	if (sub == NULL || secret == NULL || secret_len == 0)
		return NULL;

	buf_init(&claims, a);
	buf_puts(&claims, "{\"sub\":");
	jwt_put_string(&claims, sub);
	if (tid != NULL) {
		buf_puts(&claims, ",\"tid\":");
		jwt_put_string(&claims, tid);
	}
	buf_puts(&claims, ",\"roles\":[");
	for (i = 0; roles != NULL && roles[i] != NULL; i++) {
		if (i > 0)
			buf_putc(&claims, ',');
		jwt_put_string(&claims, roles[i]);
	}
	buf_putc(&claims, ']');
	if (iss != NULL) {
		buf_puts(&claims, ",\"iss\":");
		jwt_put_string(&claims, iss);
	}
	if (aud != NULL) {
		buf_puts(&claims, ",\"aud\":");
		jwt_put_string(&claims, aud);
	}
	buf_printf(&claims, ",\"iat\":%lld", (long long)now);
	if (ttl > 0) {
		if (__builtin_add_overflow((long long)now, (long long)ttl,
		    &exp))
			return NULL;
		buf_printf(&claims, ",\"exp\":%lld", exp);
	}
	buf_putc(&claims, '}');
	if (claims.failed)
		return NULL;

	buf_init(&tok, a);
	buf_puts(&tok, base64url_encode(a, hdr, sizeof(hdr) - 1));
	buf_putc(&tok, '.');
	buf_puts(&tok, base64url_encode(a, claims.p, claims.len));
	if (tok.failed ||
	    jwt_hs256(secret, secret_len, tok.p, tok.len, mac) != JWT_OK)
		return NULL;
	buf_putc(&tok, '.');
	buf_puts(&tok, base64url_encode(a, mac, sizeof(mac)));
	if (tok.failed)
		return NULL;
	return tok.p;
}
