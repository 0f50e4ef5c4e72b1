/*
 * jwt.c: compact JWS bearer tokens (RFC 7515, RFC 7519, RFC 7518):
 * HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 and
 * EdDSA (Ed25519), verified with OpenSSL 3, for a set of trusted
 * issuers; key loaders for one PEM public key and for a JWKS document
 * (RFC 7517).
 *
 * The token's "iss" picks one trusted issuer, compared exactly, and
 * only that issuer's keys are tried.  The token's "alg" only picks
 * among what those keys allow: each key takes the algorithms of its own
 * type (an HMAC secret HS*, an RSA key RS* and PS*, an EC key the ES*
 * of its curve, an Ed25519 key EdDSA), so neither "none" nor
 * HS-with-a-public-key can get through.  Header and payload are parsed
 * strictly (no duplicate member, strict UTF-8, no NUL) before anything
 * is read from them; the payload's other claims are judged only once
 * the signature holds.  Nothing here logs the token or any part of it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <yajl/yajl_tree.h>

#include "auth.h"

#define JWT_HS256_LEN	32	/* bytes of an HMAC-SHA256 signature */
#define JWT_TENANT_EXT_MAX 256	/* bytes of an external tenant id */

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
	[JWT_BAD_TYP] = "wrong typ",
	[JWT_UNKNOWN_KID] = "unknown kid",
};
_Static_assert(RS_ARRAY_LEN(jwt_status_names) == JWT__MAX,
    "jwt_status_names");

static const char *const jwt_status_reasons[] = {
	[JWT_OK] = "ok",
	[JWT_MALFORMED] = "malformed",
	[JWT_TOO_LARGE] = "too_large",
	[JWT_BAD_ALG] = "bad_alg",
	[JWT_BAD_SIGNATURE] = "bad_signature",
	[JWT_EXPIRED] = "expired",
	[JWT_NOT_YET_VALID] = "not_yet_valid",
	[JWT_MISSING_EXP] = "missing_exp",
	[JWT_BAD_ISSUER] = "wrong_issuer",
	[JWT_BAD_AUDIENCE] = "wrong_audience",
	[JWT_BAD_CLAIMS] = "bad_claims",
	[JWT_NO_KEY] = "no_key",
	[JWT_BAD_TYP] = "wrong_typ",
	[JWT_UNKNOWN_KID] = "unknown_kid",
};
_Static_assert(RS_ARRAY_LEN(jwt_status_reasons) == JWT__MAX,
    "jwt_status_reasons");

/* Role claim names and their bits. */
static const struct {
	const char	*name;
	unsigned	 bit;
} jwt_roles[] = {
	{ "SystemAdmin", AUTH_ROLE_SYSTEM_ADMIN },
	{ "TenantAdmin", AUTH_ROLE_TENANT_ADMIN },
	{ "TenantReader", AUTH_ROLE_TENANT_READER },
};

/*
 * Returns the enum auth_role bit of a role claim name (exact, case
 * sensitive), or 0 when name is no role rosterd knows.
 */
unsigned
auth_role_bit(const char *name)
{
	size_t	i;

	for (i = 0; i < RS_ARRAY_LEN(jwt_roles); i++)
		if (strcmp(name, jwt_roles[i].name) == 0)
			return jwt_roles[i].bit;
	return 0;
}

/* arena_defer() wants a plain function, not a cast of yajl_tree_free. */
static void
yajl_tree_free_cb(void *p)
{
	yajl_tree_free(p);
}

/*
 * Returns the value of key in object o, or NULL.  Parsed tokens hold no
 * duplicate member (jwt_parse_object), so there is one at most.
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

static int
jwt_strp_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/*
 * Does any object in tree v hold a member name twice?  Issuers and
 * libraries disagree on which duplicate wins, so a token with one means
 * different things to different readers: refused.  Small objects are
 * compared pairwise, larger ones through a sorted copy of their names.
 */
static int
jwt_has_duplicate(yajl_val v)
{
	const char	**names;
	size_t		 i, j, n;
	int		 dup = 0;

	if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len; i++)
			if (jwt_has_duplicate(v->u.array.values[i]))
				return 1;
		return 0;
	}
	if (!YAJL_IS_OBJECT(v))
		return 0;
	n = v->u.object.len;
	if (n <= 16) {
		for (i = 0; i < n && !dup; i++)
			for (j = i + 1; j < n && !dup; j++)
				dup = strcmp(v->u.object.keys[i],
				    v->u.object.keys[j]) == 0;
	} else {
		names = xcalloc(n, sizeof(*names));
		memcpy(names, v->u.object.keys, n * sizeof(*names));
		qsort(names, n, sizeof(*names), jwt_strp_cmp);
		for (i = 1; i < n && !dup; i++)
			dup = strcmp(names[i - 1], names[i]) == 0;
		free(names);
	}
	for (i = 0; i < n && !dup; i++)
		dup = jwt_has_duplicate(v->u.object.values[i]);
	return dup;
}

/* The value of hex digits s[0..4), or -1. */
static long
jwt_hex4(const unsigned char *s)
{
	long	v = 0;
	int	i, c;

	for (i = 0; i < 4; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		v = v * 16 + c;
	}
	return v;
}

/*
 * Is there a \u escape of a surrogate that is not a proper high-low
 * pair?  yajl would turn a lone high one into '?' and a lone low one
 * into bytes that are no UTF-8.  Outside strings a backslash is a
 * syntax error anyway, so escapes are taken pairwise.
 */
static int
jwt_bad_surrogate(const unsigned char *s, size_t n)
{
	long	cp, lo;
	size_t	i;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] != 'u' || n - i < 6) {
			i++;	/* the escaped character */
			continue;
		}
		cp = jwt_hex4(s + i + 2);
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return 1;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (n - i < 12 || s[i + 6] != '\\' ||
			    s[i + 7] != 'u' || (lo = jwt_hex4(s + i + 8)) <
			    0xdc00 || lo > 0xdfff)
				return 1;
			i += 11;
			continue;
		}
		i += 5;
	}
	return 0;
}

/*
 * Parses the decoded JSON s[0..n) (NUL-terminated at s[n], as the
 * base64 decoders guarantee) into an object tree whose release is
 * registered on a.  Strict: the bytes must be UTF-8 as RFC 3629 has it
 * (no overlong form, no encoded surrogate; yajl checks only the byte
 * structure), no \u escape may leave a surrogate unpaired, and no
 * object may repeat a member name.  yajl_tree keeps strings as C
 * strings, so a NUL, raw or escaped, would silently truncate a value:
 * refused too.  The escape scan may also hit "\\u0000" (an escaped
 * backslash followed by text), which no legitimate token carries.
 */
static enum jwt_status
jwt_parse_object(struct arena *a, const unsigned char *s, size_t n,
    yajl_val *out)
{
	char		errbuf[128];
	yajl_val	tree;
	size_t		i;

	if (utf8_check((const char *)s, n) != n)
		return JWT_MALFORMED;	/* NUL included */
	for (i = 0; i + 6 <= n; i++)
		if (s[i] == '\\' && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return JWT_MALFORMED;
	if (jwt_bad_surrogate(s, n))
		return JWT_MALFORMED;

	/* The parser's message may quote token bytes: it is not logged. */
	tree = yajl_tree_parse((const char *)s, errbuf, sizeof(errbuf));
	if (tree == NULL)
		return JWT_MALFORMED;
	arena_defer(a, yajl_tree_free_cb, tree);
	if (!YAJL_IS_OBJECT(tree) || jwt_has_duplicate(tree))
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

/*
 * exp, nbf and iat against now, with the verifier's leeway; sets the
 * principal's window (not_before, not_after) on success.
 */
static enum jwt_status
jwt_check_times(const struct jwt_verifier *v, yajl_val claims, time_t now,
    struct principal *p)
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
	p->not_after = has_exp ? exp + leeway : 0;
	p->not_before = 0;
	if (has_nbf)
		p->not_before = nbf - leeway;
	if (has_iat && iat - leeway > p->not_before)
		p->not_before = iat - leeway;
	return JWT_OK;
}

/* Is aud one of the comma-separated names of list (blanks trimmed)? */
static int
jwt_aud_listed(const char *list, const char *aud)
{
	const char	*s = list, *e;
	size_t		 n = strlen(aud);

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, ",");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == n && memcmp(s, aud, n) == 0)
			return 1;
		s += strcspn(s, ",");
		if (*s == ',')
			s++;
	}
	return 0;
}

/* The token's iss against the verifier's, when it has one. */
static enum jwt_status
jwt_check_iss(const struct jwt_verifier *v, yajl_val claims)
{
	yajl_val	val;

	if (v->issuer == NULL)
		return JWT_OK;
	val = jwt_obj_get(claims, "iss");
	if (!YAJL_IS_STRING(val) || strcmp(val->u.string, v->issuer) != 0)
		return JWT_BAD_ISSUER;
	return JWT_OK;
}

/*
 * aud, a string or an array of strings (RFC 7519 4.1.3), must hold one
 * of the verifier's audiences.
 */
static enum jwt_status
jwt_check_aud(const struct jwt_verifier *v, yajl_val claims)
{
	yajl_val	val;
	size_t		i;

	if (v->audience == NULL)
		return JWT_OK;
	val = jwt_obj_get(claims, "aud");
	if (YAJL_IS_STRING(val))
		return jwt_aud_listed(v->audience, val->u.string) ?
		    JWT_OK : JWT_BAD_AUDIENCE;
	if (!YAJL_IS_ARRAY(val))
		return JWT_BAD_AUDIENCE;
	/* An array must be all strings, one of them ours. */
	for (i = 0; i < val->u.array.len; i++)
		if (!YAJL_IS_STRING(val->u.array.values[i]))
			return JWT_BAD_AUDIENCE;
	for (i = 0; i < val->u.array.len; i++)
		if (jwt_aud_listed(v->audience,
		    val->u.array.values[i]->u.string))
			return JWT_OK;
	return JWT_BAD_AUDIENCE;
}

/* A media type without its optional "application/" (RFC 7515 4.1.9). */
static const char *
jwt_typ_base(const char *t)
{
	return strncasecmp(t, "application/", 12) == 0 ? t + 12 : t;
}

/* The header's typ against the verifier's (case-insensitive). */
static enum jwt_status
jwt_check_typ(const struct jwt_verifier *v, yajl_val hdr)
{
	yajl_val	val;

	if (v->typ == NULL)
		return JWT_OK;
	val = jwt_obj_get(hdr, "typ");
	if (!YAJL_IS_STRING(val) || strcasecmp(jwt_typ_base(val->u.string),
	    jwt_typ_base(v->typ)) != 0)
		return JWT_BAD_TYP;
	return JWT_OK;
}

int
jwt_claim_path_parse(const char *s, struct jwt_claim_path *out, char *err,
    size_t errsz)
{
	const char	*e;
	size_t		 n;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) {
		out->seg[out->nseg++] = xstrdup(s);
		return 0;
	}
	for (;;) {
		if (out->nseg == JWT_PATH_MAX) {
			snprintf(err, errsz, "more than %d names",
			    JWT_PATH_MAX);
			goto bad;
		}
		if (*s == '"') {
			if ((e = strchr(s + 1, '"')) == NULL) {
				snprintf(err, errsz, "a quote is not closed");
				goto bad;
			}
			n = (size_t)(e - s - 1);
			s++;
			e++;
		} else {
			n = strcspn(s, ".\"");
			e = s + n;
			if (*e == '"') {
				snprintf(err, errsz, "a quote inside a name");
				goto bad;
			}
		}
		if (n == 0) {
			snprintf(err, errsz, "an empty name");
			goto bad;
		}
		out->seg[out->nseg++] = xstrndup(s, n);
		if (*e == '\0')
			return 0;
		if (*e != '.') {
			snprintf(err, errsz, "a quoted name must end at a dot");
			goto bad;
		}
		s = e + 1;
	}
bad:
	jwt_claim_path_free(out);
	return -1;
}

void
jwt_claim_path_free(struct jwt_claim_path *p)
{
	size_t	i;

	for (i = 0; i < p->nseg; i++)
		free(p->seg[i]);
	memset(p, 0, sizeof(*p));
}

/*
 * The claim at path (or the top-level member dflt when path is NULL or
 * empty) into *out, NULL when absent at any level.  Returns JWT_OK, or
 * JWT_BAD_CLAIMS when a level on the way is not an object.
 */
static enum jwt_status
jwt_claim_at(yajl_val claims, const struct jwt_claim_path *path,
    const char *dflt, yajl_val *out)
{
	yajl_val	cur = claims;
	size_t		i;

	*out = NULL;
	if (path == NULL || path->nseg == 0)
		return (*out = jwt_obj_get(claims, dflt)), JWT_OK;
	for (i = 0; i < path->nseg; i++) {
		if (!YAJL_IS_OBJECT(cur))
			return JWT_BAD_CLAIMS;
		if ((cur = jwt_obj_get(cur, path->seg[i])) == NULL)
			return JWT_OK;
	}
	*out = cur;
	return JWT_OK;
}

/* The role bits that IdP name grants under v's role_map (or as is). */
static unsigned
jwt_role_bits(const struct jwt_verifier *v, const char *name, size_t n)
{
	char		 buf[128];
	unsigned	 bits = 0;
	size_t		 i;

	if (n >= sizeof(buf))
		return 0;	/* longer than any name rosterd maps */
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (v->nrole_map == 0)
		return auth_role_bit(buf);
	for (i = 0; i < v->nrole_map; i++)
		if (strcmp(v->role_map[i].name, buf) == 0)
			bits |= v->role_map[i].bit;
	return bits;
}

/*
 * The roles claim: an array of strings, or one string taken as a list
 * of that one name (issuers such as AD FS send a multi-valued claim
 * with a single value as a plain string).  A string is never split:
 * group names hold blanks.
 */
static enum jwt_status
jwt_read_roles(const struct jwt_verifier *v, yajl_val val, unsigned *roles)
{
	yajl_val	 r;
	size_t		 i;

	*roles = 0;
	if (val == NULL)
		return JWT_OK;
	if (YAJL_IS_STRING(val)) {
		*roles = jwt_role_bits(v, val->u.string,
		    strlen(val->u.string));
		return JWT_OK;
	}
	if (!YAJL_IS_ARRAY(val))
		return JWT_BAD_CLAIMS;
	for (i = 0; i < val->u.array.len; i++) {
		r = val->u.array.values[i];
		if (!YAJL_IS_STRING(r))
			return JWT_BAD_CLAIMS;
		/* Unknown role names are ignored. */
		*roles |= jwt_role_bits(v, r->u.string, strlen(r->u.string));
	}
	return JWT_OK;
}

/* Subject, tenant and roles into *p (arena strings), as v maps them. */
static enum jwt_status
jwt_read_principal(const struct jwt_verifier *v, struct arena *a,
    yajl_val claims, struct principal *p)
{
	char		 canon[UUID_STR_LEN + 1];
	enum jwt_status	 rc;
	yajl_val	 val;
	size_t		 n;

	if ((rc = jwt_claim_at(claims, v->subject, "sub", &val)) != JWT_OK)
		return rc;
	if (!YAJL_IS_STRING(val) || val->u.string[0] == '\0')
		return JWT_BAD_CLAIMS;
	p->sub = arena_strdup(a, val->u.string);

	p->tid = NULL;
	p->tenant_ext = NULL;
	if ((rc = jwt_claim_at(claims, v->tenant, "tid", &val)) != JWT_OK)
		return rc;
	if (val != NULL) {
		if (!YAJL_IS_STRING(val))
			return JWT_BAD_CLAIMS;
		n = strlen(val->u.string);
		if (v->tenant_map) {
			if (n == 0 || n > JWT_TENANT_EXT_MAX)
				return JWT_BAD_CLAIMS;
			p->tenant_ext = arena_strdup(a, val->u.string);
		} else {
			if (uuid_normalize(val->u.string, n, canon) != 0)
				return JWT_BAD_CLAIMS;
			p->tid = arena_strdup(a, canon);
		}
	}

	if ((rc = jwt_claim_at(claims, v->roles, "roles", &val)) != JWT_OK)
		return rc;
	if ((rc = jwt_read_roles(v, val, &p->roles)) != JWT_OK)
		return rc;
	p->issuer = v->name;
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

enum jwt_kind {
	JWT_KIND_HMAC,
	JWT_KIND_RSA,		/* RSASSA-PKCS1-v1_5 */
	JWT_KIND_PSS,		/* RSASSA-PSS, salt = hash length */
	JWT_KIND_EC,		/* ECDSA, raw R || S */
	JWT_KIND_ED25519,
};

/* The JWS algorithms we verify (RFC 7518 section 3, RFC 8037). */
struct jwt_alg {
	const char	*name;
	enum jwt_kind	 kind;
	const char	*md;		/* digest name, NULL for EdDSA */
	int		 curve;		/* EC: curve NID */
	size_t		 size;		/* HMAC: min secret; EC: bytes of R */
};

static const struct jwt_alg jwt_algs[] = {
	/* HS256 keeps any secret the config accepts (>= 32 bytes). */
	{ "HS256", JWT_KIND_HMAC, "SHA256", 0, 1 },
	{ "HS384", JWT_KIND_HMAC, "SHA384", 0, 48 },
	{ "HS512", JWT_KIND_HMAC, "SHA512", 0, 64 },
	{ "RS256", JWT_KIND_RSA, "SHA256", 0, 0 },
	{ "RS384", JWT_KIND_RSA, "SHA384", 0, 0 },
	{ "RS512", JWT_KIND_RSA, "SHA512", 0, 0 },
	{ "PS256", JWT_KIND_PSS, "SHA256", 0, 0 },
	{ "PS384", JWT_KIND_PSS, "SHA384", 0, 0 },
	{ "PS512", JWT_KIND_PSS, "SHA512", 0, 0 },
	{ "ES256", JWT_KIND_EC, "SHA256", NID_X9_62_prime256v1, 32 },
	{ "ES384", JWT_KIND_EC, "SHA384", NID_secp384r1, 48 },
	{ "ES512", JWT_KIND_EC, "SHA512", NID_secp521r1, 66 },
	{ "EdDSA", JWT_KIND_ED25519, NULL, 0, 0 },
};

#define JWT_RSA_MIN_BITS 2048

/* The algorithm named s (exact, case-sensitive), or NULL. */
static const struct jwt_alg *
jwt_alg_find(const char *s)
{
	size_t	i;

	for (i = 0; i < RS_ARRAY_LEN(jwt_algs); i++)
		if (strcmp(jwt_algs[i].name, s) == 0)
			return &jwt_algs[i];
	return NULL;
}

/* The curve NID of an EC key, or NID_undef. */
static int
jwt_ec_curve(const EVP_PKEY *pk)
{
	char	name[64];
	size_t	len = 0;

	if (EVP_PKEY_get_group_name(pk, name, sizeof(name), &len) != 1)
		return NID_undef;
	return OBJ_txt2nid(name);
}

/*
 * Could key k verify alg al?  HMAC secrets take HS* only, RSA keys
 * RS* and PS*, EC keys the ES* of their curve, Ed25519 keys EdDSA; a
 * key with an "alg" takes that one only.
 */
static int
jwt_key_fits(const struct jwt_key *k, const struct jwt_alg *al)
{
	if (k->alg != NULL && strcmp(k->alg, al->name) != 0)
		return 0;
	if (al->kind == JWT_KIND_HMAC)
		return k->pkey == NULL && k->secret != NULL &&
		    k->secret_len > 0 && k->secret_len >= al->size;
	if (k->pkey == NULL)
		return 0;
	switch (al->kind) {
	case JWT_KIND_RSA:
	case JWT_KIND_PSS:
		return EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_RSA &&
		    EVP_PKEY_get_bits(k->pkey) >= JWT_RSA_MIN_BITS;
	case JWT_KIND_EC:
		return EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_EC &&
		    jwt_ec_curve(k->pkey) == al->curve;
	case JWT_KIND_ED25519:
		return EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_ED25519;
	case JWT_KIND_HMAC:
		break;
	}
	return 0;
}

/*
 * The keys one issuer may verify with: its file keys, then its fetched
 * ones.  Read through jwt_ks_at().
 */
struct jwt_keyset {
	const struct jwt_key *file, *remote;
	size_t		 nfile, nremote;
};

static size_t
jwt_ks_len(const struct jwt_keyset *ks)
{
	return ks->nfile + ks->nremote;
}

static const struct jwt_key *
jwt_ks_at(const struct jwt_keyset *ks, size_t i)
{
	return i < ks->nfile ? &ks->file[i] : &ks->remote[i - ks->nfile];
}

/* What the header asks for: an algorithm and maybe a kid. */
struct jwt_sel {
	const struct jwt_alg *alg;
	const char	*kid;		/* NULL: the token has none */
	int		 exact;		/* some key holds kid exactly */
};

/*
 * Is k a candidate for sel by kid?  With an exact match only the keys
 * holding the kid are; a token without kid considers every key; and a
 * kid no key holds reaches this only when no key has a kid at all.
 */
static int
jwt_key_candidate(const struct jwt_key *k, const struct jwt_sel *sel)
{
	if (sel->kid == NULL || !sel->exact)
		return 1;
	return k->kid != NULL && strcmp(k->kid, sel->kid) == 0;
}

/*
 * Finds the keys a token may be checked against: the candidates by
 * kid that fit the algorithm.  Without a kid exactly one key must fit.
 * Returns JWT_OK, JWT_UNKNOWN_KID (the set has kids, none is the
 * token's), JWT_NO_KEY (no key at all, or several fit a token without
 * kid) or JWT_BAD_ALG (candidates, none of this type).
 */
static enum jwt_status
jwt_select(const struct jwt_keyset *ks, struct jwt_sel *sel)
{
	const struct jwt_key *k;
	size_t	i, n = jwt_ks_len(ks), cand = 0, fit = 0;
	int	anykid = 0;

	sel->exact = 0;
	for (i = 0; i < n; i++) {
		k = jwt_ks_at(ks, i);
		if (k->kid == NULL)
			continue;
		anykid = 1;
		if (sel->kid != NULL && strcmp(k->kid, sel->kid) == 0)
			sel->exact = 1;
	}
	if (sel->kid != NULL && !sel->exact && anykid)
		return JWT_UNKNOWN_KID;
	for (i = 0; i < n; i++) {
		k = jwt_ks_at(ks, i);
		if (!jwt_key_candidate(k, sel))
			continue;
		cand++;
		if (jwt_key_fits(k, sel->alg))
			fit++;
	}
	if (cand == 0)
		return JWT_NO_KEY;
	if (fit == 0)
		return JWT_BAD_ALG;	/* keys there, none of this type */
	if (sel->kid == NULL && fit > 1)
		return JWT_NO_KEY;	/* ambiguous without kid */
	return JWT_OK;
}

/*
 * Reads the header: an object with a known "alg", no "crit", and "kid"
 * a string if present.  Fills *sel (tree memory).
 */
static enum jwt_status
jwt_read_header(yajl_val hdr, struct jwt_sel *sel)
{
	yajl_val	 alg, k;

	/* We understand no extensions, so any "crit" must be refused. */
	if (jwt_obj_get(hdr, "crit") != NULL)
		return JWT_MALFORMED;
	alg = jwt_obj_get(hdr, "alg");
	if (!YAJL_IS_STRING(alg))
		return JWT_MALFORMED;

	sel->kid = NULL;
	sel->exact = 0;
	if ((k = jwt_obj_get(hdr, "kid")) != NULL) {
		if (!YAJL_IS_STRING(k))
			return JWT_MALFORMED;
		sel->kid = k->u.string;
	}

	/* "none", "hs256", "ES256K", ...: never accepted. */
	if ((sel->alg = jwt_alg_find(alg->u.string)) == NULL)
		return JWT_BAD_ALG;
	return JWT_OK;
}

/* HMAC under k: exact length, constant-time compare. */
static int
jwt_verify_hmac(const struct jwt_key *k, const struct jwt_alg *al,
    const void *data, size_t n, const unsigned char *sig, size_t siglen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, al->md, NULL, k->secret,
	    k->secret_len, data, n, mac, sizeof(mac), &maclen) == NULL)
		return 0;
	return siglen == maclen && CRYPTO_memcmp(mac, sig, maclen) == 0;
}

/*
 * The raw R || S of a JWS ECDSA signature (each half exactly
 * al->size bytes) as a DER ECDSA-Sig-Value.  Returns its length, 0 on
 * failure; *der is OPENSSL_free'd by the caller.
 */
static size_t
jwt_ecdsa_der(const struct jwt_alg *al, const unsigned char *sig,
    size_t siglen, unsigned char **der)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	int		 n;

	*der = NULL;
	if (siglen != 2 * al->size)
		return 0;
	r = BN_bin2bn(sig, (int)al->size, NULL);
	s = BN_bin2bn(sig + al->size, (int)al->size, NULL);
	if ((es = ECDSA_SIG_new()) == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return 0;
	}
	n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	if (n <= 0) {
		OPENSSL_free(*der);
		*der = NULL;
		return 0;
	}
	return (size_t)n;
}

/* A public-key signature under k with al: 1 valid, 0 not. */
static int
jwt_verify_pkey(const struct jwt_key *k, const struct jwt_alg *al,
    const void *data, size_t n, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	*der = NULL;
	int		 ok = 0;

	if (al->kind == JWT_KIND_EC) {
		if ((siglen = jwt_ecdsa_der(al, sig, siglen, &der)) == 0)
			return 0;
		sig = der;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, al->md, NULL, NULL,
	    k->pkey, NULL) != 1)
		goto out;
	if (al->kind == JWT_KIND_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (al->kind == JWT_KIND_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
	    RSA_PSS_SALTLEN_DIGEST) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, al->md, NULL) != 1))
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen, data, n) == 1;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}


/*
 * Tries the selected keys (several with one kid allow a rotation
 * overlap).  signing_input is "header.payload" as sent.  *used is the
 * key that verified.
 */
static enum jwt_status
jwt_check_signature(const struct jwt_keyset *ks, const struct jwt_sel *sel,
    const char *signing_input, size_t silen, const unsigned char *sig,
    size_t siglen, size_t *used)
{
	const struct jwt_key *k;
	size_t		 i, n = jwt_ks_len(ks);
	int		 ok;

	for (i = 0; i < n; i++) {
		k = jwt_ks_at(ks, i);
		if (!jwt_key_candidate(k, sel) || !jwt_key_fits(k, sel->alg))
			continue;
		if (sel->alg->kind == JWT_KIND_HMAC)
			ok = jwt_verify_hmac(k, sel->alg, signing_input, silen,
			    sig, siglen);
		else
			ok = jwt_verify_pkey(k, sel->alg, signing_input, silen,
			    sig, siglen);
		if (ok) {
			*used = i;
			return JWT_OK;
		}
	}
	return JWT_BAD_SIGNATURE;
}

/* A token taken apart: both JSON objects parsed, the signature decoded. */
struct jwt_parts {
	const char	*token;
	size_t		 silen;		/* "header.payload" */
	yajl_val	 hdr, claims;
	unsigned char	*sig;
	size_t		 siglen;
};

/*
 * Size, shape (three base64url parts) and strict parsing of header and
 * payload; nothing is judged yet.
 */
static enum jwt_status
jwt_split(size_t max, const char *token, size_t len, struct arena *a,
    struct jwt_parts *pt)
{
	const char	*dot1, *dot2;
	unsigned char	*hdr_json, *claims_json;
	size_t		 hdr_len, claims_len;
	enum jwt_status	 rc;

	if (len > (max != 0 ? max : JWT_MAX_TOKEN))
		return JWT_TOO_LARGE;
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
	    &pt->sig, &pt->siglen) != 0)
		return JWT_MALFORMED;
	if ((rc = jwt_parse_object(a, hdr_json, hdr_len, &pt->hdr)) !=
	    JWT_OK ||
	    (rc = jwt_parse_object(a, claims_json, claims_len,
	    &pt->claims)) != JWT_OK)
		return rc;
	pt->token = token;
	pt->silen = (size_t)(dot2 - token);
	return JWT_OK;
}

/*
 * Verifies parsed parts against issuer v: iss, header and key choice,
 * signature, then (authentic from there on) typ, times, aud and the
 * principal.
 */
static enum jwt_status
jwt_verify_parts(const struct jwt_verifier *v, const struct jwt_parts *pt,
    time_t now, struct arena *a, struct principal *p,
    const struct jwt_key **used, int *remote)
{
	struct jwt_keyset ks;
	struct jwt_sel	 sel;
	struct principal tmp;
	enum jwt_status	 rc;
	size_t		 at = 0;

	memset(&ks, 0, sizeof(ks));
	ks.file = v->keys;
	ks.nfile = v->keys != NULL ? v->nkeys : 0;
	if (v->remote_keys != NULL &&
	    v->remote_keys(v->remote_ctx, &ks.remote, &ks.nremote) != 0)
		ks.nremote = 0;
	if (ks.remote == NULL)
		ks.nremote = 0;

	if ((rc = jwt_check_iss(v, pt->claims)) != JWT_OK ||
	    (rc = jwt_read_header(pt->hdr, &sel)) != JWT_OK)
		return rc;
	if ((rc = jwt_select(&ks, &sel)) != JWT_OK) {
		/* A kid the fetched set lacks may be a new key. */
		if ((rc != JWT_UNKNOWN_KID && rc != JWT_NO_KEY) ||
		    sel.kid == NULL || v->refresh == NULL)
			return rc;
		/*
		 * A kid the fetched set lacks may be a new key: ask for a
		 * refetch, and try once more with the set as the file now
		 * holds it (the fetcher may have installed it already).
		 */
		v->refresh(v->remote_ctx);
		if (v->remote_keys(v->remote_ctx, &ks.remote, &ks.nremote) != 0 ||
		    ks.remote == NULL)
			ks.nremote = 0;
		if ((rc = jwt_select(&ks, &sel)) != JWT_OK)
			return rc;
	}
	if ((rc = jwt_check_signature(&ks, &sel, pt->token, pt->silen,
	    pt->sig, pt->siglen, &at)) != JWT_OK)
		return rc;

	/* Authentic from here on; now judge what it says. */
	memset(&tmp, 0, sizeof(tmp));
	if ((rc = jwt_check_typ(v, pt->hdr)) != JWT_OK ||
	    (rc = jwt_check_times(v, pt->claims, now, &tmp)) != JWT_OK ||
	    (rc = jwt_check_aud(v, pt->claims)) != JWT_OK ||
	    (rc = jwt_read_principal(v, a, pt->claims, &tmp)) != JWT_OK)
		return rc;
	if (used != NULL)
		*used = jwt_ks_at(&ks, at);
	if (remote != NULL)
		*remote = at >= ks.nfile;
	*p = tmp;
	return JWT_OK;
}

/*
 * Verifies the compact JWS token[0..len) (token need not be
 * NUL-terminated) against v at time now.  Checks, in order: size,
 * shape, strict JSON of header and payload, iss, header (an alg that a
 * key of its type fits, kid, no crit), the signature, then typ, exp,
 * nbf, iat, aud and the mapped claims.  On JWT_OK fills *p with strings
 * allocated from a; on any other status *p is left untouched.  Parser
 * memory is released when a is reset.  Never logs the token.
 */
enum jwt_status
jwt_verify(const struct jwt_verifier *v, const char *token, size_t len,
    time_t now, struct arena *a, struct principal *p)
{
	struct jwt_parts pt;
	enum jwt_status	 rc;

	if (len > (v->max_token != 0 ? v->max_token : JWT_MAX_TOKEN))
		return JWT_TOO_LARGE;
	if ((v->keys == NULL || v->nkeys == 0) && v->remote_keys == NULL)
		return JWT_NO_KEY;
	if ((rc = jwt_split(v->max_token, token, len, a, &pt)) != JWT_OK)
		return rc;
	return jwt_verify_parts(v, &pt, now, a, p, NULL, NULL);
}

enum jwt_status
jwt_verify_trusted(const struct jwt_trust *t, const char *token,
    size_t len, time_t now, struct arena *a, struct principal *p,
    const struct jwt_key **used, int *remote)
{
	struct jwt_parts pt;
	enum jwt_status	 rc;
	yajl_val	 iss;
	size_t		 i;

	if (len > (t->max_token != 0 ? t->max_token : JWT_MAX_TOKEN))
		return JWT_TOO_LARGE;
	if (t->n == 0)
		return JWT_NO_KEY;
	if ((rc = jwt_split(t->max_token, token, len, a, &pt)) != JWT_OK)
		return rc;
	/* The one issuer the token claims; only its keys are tried. */
	iss = jwt_obj_get(pt.claims, "iss");
	if (!YAJL_IS_STRING(iss))
		return JWT_BAD_ISSUER;
	for (i = 0; i < t->n; i++)
		if (t->issuers[i].issuer != NULL &&
		    strcmp(t->issuers[i].issuer, iss->u.string) == 0) {
			/* refused or not, the issuer it was judged by */
			p->issuer = t->issuers[i].name;
			return jwt_verify_parts(&t->issuers[i], &pt, now, a,
			    p, used, remote);
		}
	return JWT_BAD_ISSUER;
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

const char *
jwt_status_reason(enum jwt_status s)
{
	if ((unsigned)s >= JWT__MAX || jwt_status_reasons[s] == NULL)
		return "malformed";
	return jwt_status_reasons[s];
}

/* Appends s as a quoted JSON string. */
static void
jwt_put_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	buf_put_json_escaped(b, s, strlen(s));
	buf_putc(b, '"');
}

/* Opens the objects of path's names but the last, and writes its key. */
static void
jwt_put_path_open(struct buf *b, const struct jwt_claim_path *path,
    const char *dflt)
{
	size_t	i;

	if (path == NULL || path->nseg == 0) {
		jwt_put_string(b, dflt);
		buf_putc(b, ':');
		return;
	}
	for (i = 0; i < path->nseg; i++) {
		jwt_put_string(b, path->seg[i]);
		buf_putc(b, ':');
		if (i + 1 < path->nseg)
			buf_putc(b, '{');
	}
}

static void
jwt_put_path_close(struct buf *b, const struct jwt_claim_path *path)
{
	size_t	i;

	for (i = 1; path != NULL && i < path->nseg; i++)
		buf_putc(b, '}');
}

/* The first name of path (or dflt). */
static const char *
jwt_path_head(const struct jwt_claim_path *path, const char *dflt)
{
	return path == NULL || path->nseg == 0 ? dflt : path->seg[0];
}

char *
jwt_mint_for(struct arena *a, const struct jwt_verifier *v,
    const unsigned char *secret, size_t secret_len, const char *sub,
    const char *tid, const char *const *roles, time_t now, long ttl)
{
	const char	*heads[3], *aud = NULL, *name;
	unsigned char	 mac[JWT_HS256_LEN];
	struct buf	 hdr, claims, tok;
	long long	 exp;
	size_t		 i, j;
	unsigned	 bit;

	if (sub == NULL || secret == NULL || secret_len == 0)
		return NULL;
	/* Claims whose paths would collide cannot be written. */
	heads[0] = jwt_path_head(v->subject, "sub");
	heads[1] = jwt_path_head(v->tenant, "tid");
	heads[2] = jwt_path_head(v->roles, "roles");
	for (i = 0; i < 3; i++) {
		if (strcmp(heads[i], "iss") == 0 || strcmp(heads[i], "aud") ==
		    0 || strcmp(heads[i], "iat") == 0 ||
		    strcmp(heads[i], "exp") == 0)
			return NULL;
		for (j = 0; j < i; j++)
			if (strcmp(heads[i], heads[j]) == 0)
				return NULL;
	}

	buf_init(&hdr, a);
	buf_puts(&hdr, "{\"alg\":\"HS256\",\"typ\":");
	jwt_put_string(&hdr, v->typ != NULL ? v->typ : "JWT");
	buf_putc(&hdr, '}');

	buf_init(&claims, a);
	buf_putc(&claims, '{');
	jwt_put_path_open(&claims, v->subject, "sub");
	jwt_put_string(&claims, sub);
	jwt_put_path_close(&claims, v->subject);
	if (tid != NULL) {
		buf_putc(&claims, ',');
		jwt_put_path_open(&claims, v->tenant, "tid");
		jwt_put_string(&claims, tid);
		jwt_put_path_close(&claims, v->tenant);
	}
	buf_putc(&claims, ',');
	jwt_put_path_open(&claims, v->roles, "roles");
	buf_putc(&claims, '[');
	for (i = 0; roles != NULL && roles[i] != NULL; i++) {
		name = roles[i];
		if (v->nrole_map > 0) {
			/* the first IdP name that grants this role */
			bit = auth_role_bit(roles[i]);
			for (name = NULL, j = 0; j < v->nrole_map; j++)
				if (v->role_map[j].bit == bit) {
					name = v->role_map[j].name;
					break;
				}
			if (name == NULL)
				return NULL;
		}
		if (i > 0)
			buf_putc(&claims, ',');
		jwt_put_string(&claims, name);
	}
	buf_putc(&claims, ']');
	jwt_put_path_close(&claims, v->roles);
	if (v->issuer != NULL) {
		buf_puts(&claims, ",\"iss\":");
		jwt_put_string(&claims, v->issuer);
	}
	if (v->audience != NULL) {
		/* the first name of the list */
		i = strcspn(v->audience, ",");
		while (i > 0 && (v->audience[i - 1] == ' ' ||
		    v->audience[i - 1] == '\t'))
			i--;
		aud = arena_strndup(a, v->audience, i);
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
	if (claims.failed || hdr.failed)
		return NULL;

	buf_init(&tok, a);
	buf_puts(&tok, base64url_encode(a, hdr.p, hdr.len));
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

/*
 * Mints an HS256 token for sub.  The header is {"alg":"HS256",
 * "typ":"JWT"}; the claims are, in order: sub, tid (if not NULL), roles
 * (the NULL-terminated list, possibly NULL for none, as an array), iss
 * and aud (each if not NULL), iat (now) and exp (now + ttl, only when
 * ttl > 0).  Inputs are C strings owned by the caller; tid is written
 * as given (callers validate it).  Returns the token as a
 * NUL-terminated string allocated from a, or NULL when sub or the
 * secret is missing, now + ttl overflows, or the buffer failed (the
 * arena's budget).
 */
char *
jwt_mint_hs256(struct arena *a, const unsigned char *secret,
    size_t secret_len, const char *sub, const char *tid,
    const char *const *roles, const char *iss, const char *aud,
    time_t now, long ttl)
{
	struct jwt_verifier v;

	memset(&v, 0, sizeof(v));
	v.issuer = iss;
	v.audience = aud;
	return jwt_mint_for(a, &v, secret, secret_len, sub, tid, roles, now,
	    ttl);
}


/*
 * Key loaders.
 */

#define JWKS_MAX_FILE	(1024 * 1024)

/* Is pk a key type and size we verify with? Sets err when not. */
static int
jwt_pkey_usable(EVP_PKEY *pk, const char *what, char *err, size_t errsz)
{
	int	nid;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pk) < JWT_RSA_MIN_BITS) {
			snprintf(err, errsz, "%s: RSA key of %d bits, at "
			    "least %d needed", what, EVP_PKEY_get_bits(pk),
			    JWT_RSA_MIN_BITS);
			return 0;
		}
		return 1;
	case EVP_PKEY_EC:
		nid = jwt_ec_curve(pk);
		if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1 ||
		    nid == NID_secp521r1)
			return 1;
		snprintf(err, errsz, "%s: EC curve not P-256, P-384 or P-521",
		    what);
		return 0;
	case EVP_PKEY_ED25519:
		return 1;
	default:
		snprintf(err, errsz, "%s: key type not RSA, EC or Ed25519",
		    what);
		return 0;
	}
}

int
jwt_key_from_pem(const char *path, struct jwt_key *out, char *err,
    size_t errsz)
{
	EVP_PKEY	*pk;
	FILE		*fp;
	char		 what[256];

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "\"%s\"", path);
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "%s: cannot open: %s", what,
		    strerror(errno));
		return -1;
	}
	pk = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (pk == NULL) {
		snprintf(err, errsz, "%s: no PEM public key", what);
		return -1;
	}
	if (!jwt_pkey_usable(pk, what, err, errsz)) {
		EVP_PKEY_free(pk);
		return -1;
	}
	out->pkey = pk;
	return 0;
}

void
jwt_key_clear(struct jwt_key *k)
{
	if (k == NULL)
		return;
	free((char *)k->kid);
	free((char *)k->alg);
	if (k->secret != NULL) {
		OPENSSL_cleanse((void *)k->secret, k->secret_len);
		free((void *)k->secret);
	}
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

void
jwt_keys_free(struct jwt_key *keys, size_t n)
{
	size_t	i;

	if (keys == NULL)
		return;
	for (i = 0; i < n; i++)
		jwt_key_clear(&keys[i]);
	free(keys);
}

/* Member name of JWK o as a string, NULL when absent; -1 if not a string. */
static int
jwk_str(yajl_val o, const char *name, const char **out)
{
	yajl_val	v = jwt_obj_get(o, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!YAJL_IS_STRING(v))
		return -1;
	*out = v->u.string;
	return 0;
}

/*
 * The base64url member name of JWK o, decoded into arena memory.
 * want > 0 demands exactly that many bytes.  Returns 0 or -1.
 */
static int
jwk_bytes(struct arena *a, yajl_val o, const char *name, size_t want,
    unsigned char **out, size_t *outlen)
{
	const char	*s;

	if (jwk_str(o, name, &s) != 0 || s == NULL || s[0] == '\0' ||
	    base64url_decode(a, s, strlen(s), out, outlen) != 0 ||
	    *outlen == 0 || (want > 0 && *outlen != want))
		return -1;
	return 0;
}

/* EVP_PKEY_fromdata for a public key of type name. */
static EVP_PKEY *
jwk_fromdata(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		return NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (pk != NULL) {
		/* On-curve and range checks for what fromdata took. */
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	return pk;
}

static EVP_PKEY *
jwk_rsa(struct arena *a, yajl_val o, const char **why)
{
	OSSL_PARAM_BLD	*bld;
	BIGNUM		*n = NULL, *e = NULL;
	EVP_PKEY	*pk = NULL;
	unsigned char	*nb, *eb;
	size_t		 nlen, elen;

	if (jwk_bytes(a, o, "n", 0, &nb, &nlen) != 0 || nlen > 2048) {
		*why = "bad \"n\"";
		return NULL;
	}
	if (jwk_bytes(a, o, "e", 0, &eb, &elen) != 0 || elen > 8) {
		*why = "bad \"e\"";
		return NULL;
	}
	*why = "not a valid RSA public key";
	n = BN_bin2bn(nb, (int)nlen, NULL);
	e = BN_bin2bn(eb, (int)elen, NULL);
	if (n != NULL && e != NULL && (bld = OSSL_PARAM_BLD_new()) != NULL) {
		if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			pk = jwk_fromdata("RSA", bld);
		OSSL_PARAM_BLD_free(bld);
	}
	BN_free(n);
	BN_free(e);
	return pk;
}

static EVP_PKEY *
jwk_ec(struct arena *a, yajl_val o, const char **why)
{
	static const struct {
		const char *crv, *group;
		size_t	 len;
	} curves[] = {
		{ "P-256", "prime256v1", 32 },
		{ "P-384", "secp384r1", 48 },
		{ "P-521", "secp521r1", 66 },
	};
	OSSL_PARAM_BLD	*bld;
	EVP_PKEY	*pk = NULL;
	const char	*crv;
	unsigned char	*x, *y, *pt;
	size_t		 i, xl, yl, cl;

	if (jwk_str(o, "crv", &crv) != 0 || crv == NULL) {
		*why = "missing \"crv\"";
		return NULL;
	}
	for (i = 0; i < RS_ARRAY_LEN(curves); i++)
		if (strcmp(crv, curves[i].crv) == 0)
			break;
	if (i == RS_ARRAY_LEN(curves)) {
		*why = "unsupported \"crv\"";
		return NULL;
	}
	/*
	 * RFC 7518 6.2.1.2 wants the full coordinate size, but some
	 * issuers (PyJWT before 2.8) drop leading zero bytes: shorter
	 * values are left-padded; the point is checked on the curve.
	 */
	if (jwk_bytes(a, o, "x", 0, &x, &xl) != 0 || xl > curves[i].len ||
	    jwk_bytes(a, o, "y", 0, &y, &yl) != 0 || yl > curves[i].len) {
		*why = "bad \"x\" or \"y\"";
		return NULL;
	}
	cl = curves[i].len;
	pt = arena_zalloc(a, 1 + 2 * cl);
	pt[0] = 0x04;	/* uncompressed point */
	memcpy(pt + 1 + cl - xl, x, xl);
	memcpy(pt + 1 + 2 * cl - yl, y, yl);
	*why = "not a valid EC public key";
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    curves[i].group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, 1 + 2 * cl))
		pk = jwk_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static EVP_PKEY *
jwk_okp(struct arena *a, yajl_val o, const char **why)
{
	OSSL_PARAM_BLD	*bld;
	EVP_PKEY	*pk = NULL;
	const char	*crv;
	unsigned char	*x;
	size_t		 xl;

	if (jwk_str(o, "crv", &crv) != 0 || crv == NULL ||
	    strcmp(crv, "Ed25519") != 0) {
		*why = "\"crv\" is not \"Ed25519\"";
		return NULL;
	}
	if (jwk_bytes(a, o, "x", 32, &x, &xl) != 0) {
		*why = "bad \"x\"";
		return NULL;
	}
	*why = "not a valid Ed25519 public key";
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    x, xl))
		pk = jwk_fromdata("ED25519", bld);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/*
 * One JWK into *k (heap strings).  Returns 1 loaded, 0 skipped (use
 * not "sig"), -1 malformed with the reason in *why.
 */
static int
jwk_load(struct arena *a, yajl_val o, struct jwt_key *k, const char **why)
{
	const struct jwt_alg *al = NULL;
	const char	*kty, *kid, *alg, *use;
	unsigned char	*sec;
	size_t		 seclen;
	char		 dummy[8];

	memset(k, 0, sizeof(*k));
	if (!YAJL_IS_OBJECT(o)) {
		*why = "not an object";
		return -1;
	}
	if (jwk_str(o, "kty", &kty) != 0 || kty == NULL) {
		*why = "missing \"kty\"";
		return -1;
	}
	if (jwk_str(o, "kid", &kid) != 0 || jwk_str(o, "alg", &alg) != 0 ||
	    jwk_str(o, "use", &use) != 0) {
		*why = "\"kid\", \"alg\" or \"use\" is not a string";
		return -1;
	}
	if (use != NULL && strcmp(use, "sig") != 0)
		return 0;
	if (alg != NULL && (al = jwt_alg_find(alg)) == NULL) {
		*why = "unsupported \"alg\"";
		return -1;
	}

	if (strcmp(kty, "oct") == 0) {
		if (jwk_bytes(a, o, "k", 0, &sec, &seclen) != 0 ||
		    seclen < 32) {
			*why = "\"k\" missing or shorter than 32 bytes";
			return -1;
		}
		k->secret = xmalloc(seclen);
		memcpy((void *)k->secret, sec, seclen);
		k->secret_len = seclen;
		OPENSSL_cleanse(sec, seclen);
	} else {
		if (strcmp(kty, "RSA") == 0)
			k->pkey = jwk_rsa(a, o, why);
		else if (strcmp(kty, "EC") == 0)
			k->pkey = jwk_ec(a, o, why);
		else if (strcmp(kty, "OKP") == 0)
			k->pkey = jwk_okp(a, o, why);
		else {
			*why = "unsupported \"kty\"";
			return -1;
		}
		ERR_clear_error();
		if (k->pkey == NULL)
			return -1;
		if (!jwt_pkey_usable(k->pkey, "key", dummy, sizeof(dummy))) {
			*why = "key type or size not accepted";
			jwt_key_clear(k);
			return -1;
		}
	}
	/* An "alg" the key's type cannot have is a configuration error. */
	if (al != NULL && !jwt_key_fits(k, al)) {
		*why = "\"alg\" does not match the key";
		jwt_key_clear(k);
		return -1;
	}
	if (kid != NULL)
		k->kid = xstrdup(kid);
	if (alg != NULL)
		k->alg = xstrdup(alg);
	return 1;
}

int
jwt_keys_from_jwks(const char *path, struct jwt_key **out, size_t *n,
    char *err, size_t errsz)
{
	struct arena	*a = NULL;
	struct jwt_key	*keys = NULL;
	yajl_val	 tree = NULL, arr, o, kidv;
	const char	*why;
	char		*text, perr[128];
	size_t		 i, nk = 0, len = 0;
	FILE		*fp;
	int		 rc = -1, r;

	*out = NULL;
	*n = 0;
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "\"%s\": cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	text = xmalloc(JWKS_MAX_FILE + 1);
	len = fread(text, 1, JWKS_MAX_FILE + 1, fp);
	r = ferror(fp);
	fclose(fp);
	if (r || len > JWKS_MAX_FILE) {
		snprintf(err, errsz, "\"%s\": %s", path, r ?
		    "read error" : "larger than 1 MiB");
		goto out;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL ||
	    (tree = yajl_tree_parse(text, perr, sizeof(perr))) == NULL ||
	    !YAJL_IS_OBJECT(tree)) {
		snprintf(err, errsz, "\"%s\": not a JSON object", path);
		goto out;
	}
	arr = jwt_obj_get(tree, "keys");
	if (!YAJL_IS_ARRAY(arr)) {
		snprintf(err, errsz, "\"%s\": no \"keys\" array", path);
		goto out;
	}
	a = arena_new(4 * JWKS_MAX_FILE);
	keys = xmalloc((arr->u.array.len + 1) * sizeof(*keys));
	for (i = 0; i < arr->u.array.len; i++) {
		o = arr->u.array.values[i];
		why = "malformed";
		r = jwk_load(a, o, &keys[nk], &why);
		if (r < 0) {
			kidv = YAJL_IS_OBJECT(o) ? jwt_obj_get(o, "kid") :
			    NULL;
			if (YAJL_IS_STRING(kidv))
				snprintf(err, errsz, "\"%s\": key %zu (kid "
				    "\"%.64s\"): %s", path, i, kidv->u.string,
				    why);
			else
				snprintf(err, errsz, "\"%s\": key %zu: %s",
				    path, i, why);
			goto out;
		}
		nk += (size_t)r;
	}
	*out = keys;
	*n = nk;
	keys = NULL;
	rc = 0;
out:
	jwt_keys_free(keys, nk);
	if (a != NULL)
		arena_free(a);
	yajl_tree_free(tree);
	OPENSSL_cleanse(text, len < JWKS_MAX_FILE ? len : JWKS_MAX_FILE);
	free(text);
	return rc;
}
