/*
 * check_auth.c: unit tests for util/base64.c, auth/jwt.c and
 * auth/authz.c.
 *
 * Tokens are built here from raw header and claims JSON (signed with
 * OpenSSL directly), so the verifier is exercised with inputs the
 * minting code would never produce.  One token comes from PyJWT as an
 * independent vector.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "unit.h"
#include "../../src/auth/auth.h"

#define NOW		((time_t)1800000000)
#define ISS		"https://idp.test"
#define AUD		"rosterd"
#define LEEWAY		60L
#define TID		"3f2504e0-4f89-11d3-9a0c-0305e82c3301"
#define TID2		"9b2d7a62-1c1e-4d6a-8d0c-6c1f0c0b4b11"

/* Claims fragments; NOW is fixed, so the times are literals. */
#define C_SUB		"\"sub\":\"user-1\""
#define C_ISS		"\"iss\":\"" ISS "\""
#define C_AUD		"\"aud\":\"" AUD "\""
#define C_EXP		"\"exp\":1800000300"	/* NOW + 300 */
#define C_STD		C_SUB "," C_ISS "," C_AUD "," C_EXP
#define H_STD		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"


static const unsigned char tsecret[] = "rosterd-unit-test-secret-32bytes";
#define TSECRET_LEN	(sizeof(tsecret) - 1)
static const unsigned char osecret[] = "some-other-secret-of-32-bytes!!!";
#define OSECRET_LEN	(sizeof(osecret) - 1)

static const struct jwt_key tkey = {
	.kid = NULL, .secret = tsecret, .secret_len = TSECRET_LEN,
};

static struct jwt_verifier
std_verifier(void)
{
	struct jwt_verifier v = {
		.keys = &tkey, .nkeys = 1, .issuer = ISS, .audience = AUD,
		.leeway = LEEWAY, .require_exp = 1,
	};

	return v;
}

static char *
fmt(const char *f, ...) RS_PRINTF(1, 2);

static char *
fmt(const char *f, ...)
{
	struct buf	b;
	va_list		ap;

	buf_init(&b, ta);
	va_start(ap, f);
	buf_vprintf(&b, f, ap);
	va_end(ap);
	ck_assert(!b.failed);
	return b.p;
}

static char *
b64u(const char *s)
{
	return base64url_encode(ta, s, strlen(s));
}

/* "h64.c64." plus the HS256 signature of "h64.c64" under key. */
static char *
sign_parts(const char *h64, const char *c64, const unsigned char *key,
    size_t keylen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		*input;

	input = fmt("%s.%s", h64, c64);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)input, strlen(input), mac, &maclen));
	ck_assert_uint_eq(maclen, 32);
	return fmt("%s.%s", input, base64url_encode(ta, mac, maclen));
}

static char *
tok(const char *hdr_json, const char *claims_json)
{
	return sign_parts(b64u(hdr_json), b64u(claims_json), tsecret,
	    TSECRET_LEN);
}

static enum jwt_status
verify_with(const struct jwt_verifier *v, const char *t,
    struct principal *p)
{
	return jwt_verify(v, t, strlen(t), NOW, ta, p);
}

static enum jwt_status
verify(const char *t)
{
	struct jwt_verifier	v = std_verifier();
	struct principal	p;

	return verify_with(&v, t, &p);
}

/*
 * base64
 */

struct b64_vec {
	const char	*raw;
	size_t		 rawlen;
	const char	*std;
	const char	*url;
};

/* RFC 4648 section 10, plus bytes that hit the last two symbols. */
static const struct b64_vec b64_vecs[] = {
	{ "", 0, "", "" },
	{ "f", 1, "Zg==", "Zg" },
	{ "fo", 2, "Zm8=", "Zm8" },
	{ "foo", 3, "Zm9v", "Zm9v" },
	{ "foob", 4, "Zm9vYg==", "Zm9vYg" },
	{ "fooba", 5, "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", 6, "Zm9vYmFy", "Zm9vYmFy" },
	{ "\xfb\xff", 2, "+/8=", "-_8" },
	{ "\xfb\xef\xbe", 3, "++++", "----" },
	{ "\xff\xff\xff", 3, "////", "____" },
	{ "\x00\x00\x00\x00", 4, "AAAAAA==", "AAAAAA" },
	{ "\x14\xfb\x9c\x03\xd9\x7e", 6, "FPucA9l+", "FPucA9l-" },
};

START_TEST(test_b64_vectors)
{
	const struct b64_vec	*t = &b64_vecs[_i];
	unsigned char		*out = NULL;
	size_t			 outlen = 0;
	char			*enc;

	enc = base64_encode(ta, t->raw, t->rawlen);
	ck_assert_str_eq(enc, t->std);
	enc = base64url_encode(ta, t->raw, t->rawlen);
	ck_assert_str_eq(enc, t->url);

	ck_assert_int_eq(base64_decode(ta, t->std, strlen(t->std), &out,
	    &outlen), 0);
	ck_assert_uint_eq(outlen, t->rawlen);
	ck_assert_mem_eq(out, t->raw, t->rawlen);
	ck_assert_int_eq(out[outlen], '\0');

	ck_assert_int_eq(base64url_decode(ta, t->url, strlen(t->url), &out,
	    &outlen), 0);
	ck_assert_uint_eq(outlen, t->rawlen);
	ck_assert_mem_eq(out, t->raw, t->rawlen);
	ck_assert_int_eq(out[outlen], '\0');

	/* The standard decoder also takes the unpadded form. */
	enc = base64_encode(ta, t->raw, t->rawlen);
	ck_assert_int_eq(base64_decode(ta, enc, strcspn(enc, "="), &out,
	    &outlen), 0);
	ck_assert_uint_eq(outlen, t->rawlen);
	ck_assert_mem_eq(out, t->raw, t->rawlen);
}
END_TEST

START_TEST(test_b64_not_nul_terminated)
{
	unsigned char	*out;
	size_t		 outlen;

	/* Only n bytes are read: "Zm9v" out of "Zm9vYmFy". */
	ck_assert_int_eq(base64url_decode(ta, "Zm9vYmFy", 4, &out, &outlen),
	    0);
	ck_assert_uint_eq(outlen, 3);
	ck_assert_str_eq((char *)out, "foo");
	ck_assert_int_eq(base64_decode(ta, "Zg==garbage", 4, &out, &outlen),
	    0);
	ck_assert_uint_eq(outlen, 1);
	ck_assert_str_eq((char *)out, "f");
}
END_TEST

struct b64_bad {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
};

static const struct b64_bad b64_std_bad[] = {
	{ "Z", 0 },		/* 1 mod 4 */
	{ "Zm9vY", 0 },		/* 1 mod 4 */
	{ "Zg=", 0 },		/* incomplete padding */
	{ "Zg===", 0 },		/* too much padding */
	{ "Zm8==", 0 },		/* too much padding */
	{ "Zm9v=", 0 },		/* padding after a full quantum */
	{ "====", 0 },
	{ "=Zg=", 0 },		/* padding first */
	{ "Zg==Zg==", 0 },	/* padding in the middle */
	{ "Zh==", 0 },		/* non-zero trailing bits */
	{ "Zm9=", 0 },		/* non-zero trailing bits */
	{ "Zm9v YmFy", 0 },	/* whitespace */
	{ "Zm9v\n", 0 },
	{ " Zm9v", 0 },
	{ "-_8=", 0 },		/* url alphabet */
	{ "Zm9v*mFy", 0 },
	{ "Zm9v\0mFy", 8 },	/* embedded NUL */
	{ "Zm9v\xc3\xa9", 0 },	/* non-ASCII */
};

static const struct b64_bad b64_url_bad[] = {
	{ "Z", 0 },		/* 1 mod 4 */
	{ "Zm9vY", 0 },
	{ "Zg==", 0 },		/* padding refused */
	{ "Zm8=", 0 },
	{ "Zg=", 0 },
	{ "=", 0 },
	{ "Zh", 0 },		/* non-zero trailing bits */
	{ "Zm9", 0 },
	{ "+/8", 0 },		/* standard alphabet */
	{ "Zm9v+mFy", 0 },
	{ "Zm9v/mFy", 0 },
	{ "Zm9v YmFy", 0 },	/* whitespace */
	{ "Zm9v\n", 0 },
	{ "Zm9v\r\nYmFy", 0 },
	{ "Zm9v\tYmFy", 0 },
	{ "Zm.v", 0 },
	{ "Zm9v\0mFy", 8 },	/* embedded NUL */
	{ "Zm9v\xc3\xa9", 0 },
};

START_TEST(test_b64_std_invalid)
{
	const struct b64_bad	*t = &b64_std_bad[_i];
	unsigned char		*out = (unsigned char *)"untouched";
	size_t			 outlen = 12345;

	ck_assert_int_eq(base64_decode(ta, t->in,
	    t->len ? t->len : strlen(t->in), &out, &outlen), -1);
	ck_assert_str_eq((char *)out, "untouched");
	ck_assert_uint_eq(outlen, 12345);
}
END_TEST

START_TEST(test_b64_url_invalid)
{
	const struct b64_bad	*t = &b64_url_bad[_i];
	unsigned char		*out = (unsigned char *)"untouched";
	size_t			 outlen = 12345;

	ck_assert_int_eq(base64url_decode(ta, t->in,
	    t->len ? t->len : strlen(t->in), &out, &outlen), -1);
	ck_assert_str_eq((char *)out, "untouched");
	ck_assert_uint_eq(outlen, 12345);
}
END_TEST

START_TEST(test_b64_roundtrip)
{
	unsigned char	 raw[256], *out;
	size_t		 n, outlen;
	char		*enc;

	for (n = 0; n < sizeof(raw); n++)
		raw[n] = (unsigned char)(n * 37 + 11);
	for (n = 0; n <= sizeof(raw); n++) {
		enc = base64_encode(ta, raw, n);
		ck_assert_uint_eq(strlen(enc), (n + 2) / 3 * 4);
		ck_assert_int_eq(base64_decode(ta, enc, strlen(enc), &out,
		    &outlen), 0);
		ck_assert_uint_eq(outlen, n);
		ck_assert_mem_eq(out, raw, n);

		enc = base64url_encode(ta, raw, n);
		ck_assert_uint_eq(strlen(enc), (n * 4 + 2) / 3);
		ck_assert_ptr_null(strpbrk(enc, "+/="));
		ck_assert_int_eq(base64url_decode(ta, enc, strlen(enc), &out,
		    &outlen), 0);
		ck_assert_uint_eq(outlen, n);
		ck_assert_mem_eq(out, raw, n);
	}
}
END_TEST

/*
 * jwt: good tokens
 */

START_TEST(test_jwt_mint_roundtrip)
{
	static const char *const roles[] = {
		"SystemAdmin", "TenantReader", "Auditor", NULL,
	};
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	unsigned char		*claims;
	size_t			 clen;
	char			*t, *dot1, *dot2;

	t = jwt_mint_hs256(ta, tsecret, TSECRET_LEN, "user-1",
	    "3F2504E0-4F89-11D3-9A0C-0305E82C3301", roles, ISS, AUD, NOW,
	    300);
	ck_assert_ptr_nonnull(t);

	/* The exact shape promised in auth.h. */
	dot1 = strchr(t, '.');
	ck_assert_ptr_nonnull(dot1);
	dot2 = strchr(dot1 + 1, '.');
	ck_assert_ptr_nonnull(dot2);
	ck_assert_int_eq((int)(dot1 - t), 36);
	ck_assert_int_eq(strncmp(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
	    36), 0);
	ck_assert_int_eq(base64url_decode(ta, dot1 + 1,
	    (size_t)(dot2 - dot1 - 1), &claims, &clen), 0);
	ck_assert_str_eq((char *)claims,
	    "{\"sub\":\"user-1\","
	    "\"tid\":\"3F2504E0-4F89-11D3-9A0C-0305E82C3301\","
	    "\"roles\":[\"SystemAdmin\",\"TenantReader\",\"Auditor\"],"
	    "\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"iat\":1800000000,\"exp\":1800000300}");
	ck_assert_uint_eq(strlen(dot2 + 1), 43);

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_OK);
	ck_assert_str_eq(p.sub, "user-1");
	ck_assert_ptr_nonnull(p.tid);
	ck_assert_str_eq(p.tid, TID);	/* normalised to lower case */
	ck_assert_uint_eq(p.roles,
	    AUTH_ROLE_SYSTEM_ADMIN | AUTH_ROLE_TENANT_READER);
}
END_TEST

START_TEST(test_jwt_mint_minimal)
{
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	unsigned char		*claims;
	size_t			 clen;
	char			*t;

	t = jwt_mint_hs256(ta, tsecret, TSECRET_LEN, "svc", NULL, NULL, NULL,
	    NULL, NOW, 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(base64url_decode(ta, strchr(t, '.') + 1,
	    (size_t)(strrchr(t, '.') - strchr(t, '.') - 1), &claims, &clen),
	    0);
	ck_assert_str_eq((char *)claims,
	    "{\"sub\":\"svc\",\"roles\":[],\"iat\":1800000000}");

	/* No exp, iss or aud: refused by the standard verifier... */
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_BAD_ISSUER);
	v.issuer = NULL;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_MISSING_EXP);
	/* ... accepted by a lax one. */
	v.require_exp = 0;
	v.issuer = NULL;
	v.audience = NULL;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_OK);
	ck_assert_str_eq(p.sub, "svc");
	ck_assert_ptr_null(p.tid);
	ck_assert_uint_eq(p.roles, 0);

	/* Missing inputs give NULL rather than a useless token. */
	ck_assert_ptr_null(jwt_mint_hs256(ta, tsecret, TSECRET_LEN, NULL,
	    NULL, NULL, NULL, NULL, NOW, 0));
	ck_assert_ptr_null(jwt_mint_hs256(ta, tsecret, 0, "svc", NULL, NULL,
	    NULL, NULL, NOW, 0));
}
END_TEST

START_TEST(test_jwt_mint_escapes)
{
	static const char *const roles[] = { "Tenant\"Admin", NULL };
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	char			*t;

	t = jwt_mint_hs256(ta, tsecret, TSECRET_LEN, "a\"b\\c\n/d\x01",
	    NULL, roles, ISS, AUD, NOW, 60);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_OK);
	ck_assert_str_eq(p.sub, "a\"b\\c\n/d\x01");
	ck_assert_uint_eq(p.roles, 0);
}
END_TEST

/*
 * Generated once with PyJWT 2.6.0:
 *   jwt.encode(claims, b"pyjwt-independent-vector-secret!",
 *       algorithm="HS256", headers={"kid": "k1"})
 * claims = {"sub": "alice@example.org",
 *   "tid": "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
 *   "roles": ["TenantAdmin", "TenantReader", "Auditor"],
 *   "iss": "https://idp.example.org", "aud": ["rosterd", "other"],
 *   "iat": 1700000000, "nbf": 1700000000, "exp": 1700003600}
 */
static const char pyjwt_token[] =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0."
    "eyJzdWIiOiJhbGljZUBleGFtcGxlLm9yZyIsInRpZCI6IjNGMjUwNEUwLTRGODktMTFE"
    "My05QTBDLTAzMDVFODJDMzMwMSIsInJvbGVzIjpbIlRlbmFudEFkbWluIiwiVGVuYW50"
    "UmVhZGVyIiwiQXVkaXRvciJdLCJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLm9yZyIs"
    "ImF1ZCI6WyJyb3N0ZXJkIiwib3RoZXIiXSwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3"
    "MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMH0."
    "FJQ850JPKnsplfwTgCJ7to3lZ0nbUorpT-hJNsNekYI";
/*
 * The verified-token cache serves exactly what jwt_verify() would: the
 * same principal on a hit, nothing for a token that differs in one byte,
 * and an expired or not-yet-valid answer once time leaves the window.
 */
START_TEST(test_jwt_cache)
{
	struct jwt_verifier	 v = std_verifier();
	struct jwt_trust	 tr = { &v, 1, 0 };
	struct jwt_cache	*c = calloc(1, sizeof(*c));
	struct principal	 p, q;
	char			*t, *bad;
	size_t			 len;

	ck_assert_ptr_nonnull(c);
	t = tok(H_STD, "{" C_STD ",\"nbf\":1799999000,\"tid\":\"" TID
	    "\",\"roles\":[\"TenantAdmin\"]}");
	len = strlen(t);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW, ta, &p), JWT_OK);
	ck_assert_uint_eq(c->misses, 1);
	ck_assert(p.not_after == 1800000300.0 + LEEWAY);
	ck_assert(p.not_before == 1799999000.0 - LEEWAY);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW + 10, ta, &q),
	    JWT_OK);
	ck_assert_uint_eq(c->hits, 1);
	ck_assert_str_eq(q.sub, "user-1");
	ck_assert_str_eq(q.tid, TID);
	ck_assert_uint_eq(q.roles, AUTH_ROLE_TENANT_ADMIN);
	ck_assert_ptr_ne(q.sub, p.sub);	/* a copy in the arena */

	/* one byte of the signature changed: verified again, refused */
	bad = arena_strdup(ta, t);
	bad[len - 2] = bad[len - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(jwt_verify_cached(c, &tr, bad, len, NOW, ta, &q),
	    JWT_BAD_SIGNATURE);
	/* a prefix of the cached token is not the cached token */
	ck_assert_int_ne(jwt_verify_cached(c, &tr, t, len - 1, NOW, ta, &q),
	    JWT_OK);

	/* past exp + leeway, and before nbf - leeway: refused, as uncached */
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len,
	    1800000300 + LEEWAY, ta, &q), JWT_EXPIRED);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW, ta, &q), JWT_OK);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len,
	    1799999000 - LEEWAY - 1, ta, &q), JWT_NOT_YET_VALID);

	/* no exp (allowed here): verified every time, never kept */
	v.require_exp = 0;
	t = tok(H_STD, "{" C_SUB "," C_ISS "," C_AUD "}");
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, strlen(t), NOW, ta, &p),
	    JWT_OK);
	ck_assert(p.not_after == 0);
	c->hits = 0;
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, strlen(t), NOW, ta, &p),
	    JWT_OK);
	ck_assert_uint_eq(c->hits, 0);
	jwt_cache_clear(c);
	free(c);
}
END_TEST

/* A token of about 1,500 bytes, as an IdP's with a long scope claim. */
static char *
long_token(void)
{
	char	 scope[1024];
	size_t	 i;

	for (i = 0; i < sizeof(scope) - 1; i++)
		scope[i] = i % 9 == 8 ? ' ' : (char)('a' + i % 26);
	scope[sizeof(scope) - 1] = '\0';
	return tok(H_STD, fmt("{" C_STD ",\"tid\":\"" TID "\",\"roles\":"
	    "[\"TenantAdmin\"],\"scope\":\"%s\"}", scope));
}

/*
 * A long token: a hit, then a token differing from it in one byte near
 * its end (in the hash's last full 16-byte step and in its tail) is
 * not served from the cache but verified, with jwt_verify()'s answer.
 */
START_TEST(test_jwt_cache_long_token)
{
	struct jwt_verifier	 v = std_verifier();
	struct jwt_trust	 tr = { &v, 1, 0 };
	struct jwt_cache	*c = calloc(1, sizeof(*c));
	struct principal	 p, q;
	char			*t, *u;
	size_t			 len, back;

	ck_assert_ptr_nonnull(c);
	t = long_token();
	len = strlen(t);
	ck_assert_uint_ge(len, 1400);
	ck_assert_uint_le(len, JWT_CACHE_MAX_TOKEN);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW, ta, &p), JWT_OK);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW, ta, &q), JWT_OK);
	ck_assert_uint_eq(c->hits, 1);
	ck_assert_uint_eq(c->misses, 1);
	ck_assert_str_eq(q.sub, "user-1");
	ck_assert_str_eq(q.tid, TID);
	for (back = 1; back <= 20; back++) {
		u = arena_strdup(ta, t);
		u[len - back] = u[len - back] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(jwt_verify_cached(c, &tr, u, len, NOW, ta, &q),
		    jwt_verify(&v, u, len, NOW, ta, &p));
		ck_assert_uint_eq(c->hits, 1);
		ck_assert_uint_eq(c->misses, 1 + back);
	}
	/* the last byte but one changes the signature's bytes */
	u = arena_strdup(ta, t);
	u[len - 2] = u[len - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(jwt_verify_cached(c, &tr, u, len, NOW, ta, &q),
	    JWT_BAD_SIGNATURE);
	/* the cached token is still served */
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW, ta, &q), JWT_OK);
	ck_assert_uint_eq(c->hits, 2);
	jwt_cache_clear(c);
	free(c);
}
END_TEST

/*
 * The hash sees every byte: one byte changed anywhere in a long token,
 * or in a short one of any length (every tail size), changes it; and it
 * is keyed: another seed, another hash.
 */
START_TEST(test_jwt_cache_hash)
{
	const uint64_t	 seed = 0x0123456789abcdefULL;
	char		*t, *u, s[64];
	uint64_t	 h;
	size_t		 len, i, n;

	t = long_token();
	len = strlen(t);
	h = jwt_cache_hash(seed, t, len);
	ck_assert(jwt_cache_hash(seed, t, len) == h);
	ck_assert(jwt_cache_hash(seed + 1, t, len) != h);
	ck_assert(jwt_cache_hash(seed, t, len - 1) != h);
	u = arena_strdup(ta, t);
	for (i = 0; i < len; i++) {
		u[i] ^= 0x01;
		ck_assert_msg(jwt_cache_hash(seed, u, len) != h,
		    "byte %zu of %zu not hashed", i, len);
		u[i] = t[i];
	}
	for (n = 1; n <= sizeof(s); n++) {
		memset(s, 'x', sizeof(s));
		h = jwt_cache_hash(seed, s, n);
		for (i = 0; i < n; i++) {
			s[i] = 'y';
			ck_assert_msg(jwt_cache_hash(seed, s, n) != h,
			    "byte %zu of %zu not hashed", i, n);
			s[i] = 'x';
		}
		/* a trailing NUL is not the same token (tail zero-filled) */
		if (n < sizeof(s)) {
			s[n] = '\0';
			ck_assert(jwt_cache_hash(seed, s, n + 1) != h);
		}
	}
}
END_TEST

/*
 * Collision safety: an entry whose hash and length are those of another
 * token (what a hash collision leaves in the slot) does not vouch for
 * it: the bytes decide, and the other token is verified (and refused).
 */
START_TEST(test_jwt_cache_collision)
{
	struct jwt_verifier	 v = std_verifier();
	struct jwt_trust	 tr = { &v, 1, 0 };
	struct jwt_cache	*c = calloc(1, sizeof(*c));
	struct principal	 p;
	char			*t, *u;
	size_t			 len, st, su;
	uint64_t		 hu;

	ck_assert_ptr_nonnull(c);
	c->seed = 42;
	c->seeded = 1;
	t = long_token();
	len = strlen(t);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, len, NOW, ta, &p), JWT_OK);
	st = jwt_cache_hash(c->seed, t, len) % JWT_CACHE_SLOTS;
	ck_assert_ptr_nonnull(c->slot[st].token);
	u = arena_strdup(ta, t);
	u[len - 2] = u[len - 2] == 'A' ? 'B' : 'A';
	hu = jwt_cache_hash(c->seed, u, len);
	su = hu % JWT_CACHE_SLOTS;
	/* t's entry, as if t hashed to what u does */
	if (su != st) {
		c->slot[su] = c->slot[st];
		memset(&c->slot[st], 0, sizeof(c->slot[st]));
	}
	c->slot[su].hash = hu;
	ck_assert_int_eq(jwt_verify_cached(c, &tr, u, len, NOW, ta, &p),
	    JWT_BAD_SIGNATURE);
	ck_assert_uint_eq(c->hits, 0);
	ck_assert_uint_eq(c->misses, 2);
	jwt_cache_clear(c);
	free(c);
}
END_TEST

static const unsigned char pyjwt_secret[] = "pyjwt-independent-vector-secret!";

START_TEST(test_jwt_pyjwt_vector)
{
	struct jwt_key		 k = {
		.kid = "k1", .secret = pyjwt_secret,
		.secret_len = sizeof(pyjwt_secret) - 1,
	};
	struct jwt_verifier	 v = {
		.keys = &k, .nkeys = 1, .issuer = "https://idp.example.org",
		.audience = "rosterd", .leeway = 0, .require_exp = 1,
	};
	struct principal	 p;
	size_t			 len = strlen(pyjwt_token);

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700001000, ta, &p),
	    JWT_OK);
	ck_assert_str_eq(p.sub, "alice@example.org");
	ck_assert_str_eq(p.tid, TID);
	ck_assert_uint_eq(p.roles,
	    AUTH_ROLE_TENANT_ADMIN | AUTH_ROLE_TENANT_READER);

	/* exp is exclusive; nbf inclusive. */
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700003599, ta, &p),
	    JWT_OK);
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700003600, ta, &p),
	    JWT_EXPIRED);
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700000000, ta, &p),
	    JWT_OK);
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1699999999, ta, &p),
	    JWT_NOT_YET_VALID);

	/* The audience array needs our name in it. */
	v.audience = "someone-else";
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700001000, ta, &p),
	    JWT_BAD_AUDIENCE);
	v.audience = "rosterd";

	/* kid "k1" does not match a key for "k2". */
	k.kid = "k2";
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700001000, ta, &p),
	    JWT_UNKNOWN_KID);
	k.kid = "k1";

	k.secret = tsecret;
	k.secret_len = TSECRET_LEN;
	ck_assert_int_eq(jwt_verify(&v, pyjwt_token, len, 1700001000, ta, &p),
	    JWT_BAD_SIGNATURE);
}
END_TEST

/*
 * jwt: signatures and keys
 */

START_TEST(test_jwt_tampered_payload)
{
	char	*t, *forged, *dot1, *dot2;

	t = tok(H_STD, "{" C_STD ",\"roles\":[\"TenantReader\"]}");
	ck_assert_int_eq(verify(t), JWT_OK);

	/* Same header and signature, payload promoted to SystemAdmin. */
	dot1 = strchr(t, '.');
	dot2 = strrchr(t, '.');
	forged = fmt("%.*s.%s%s", (int)(dot1 - t), t,
	    b64u("{" C_STD ",\"roles\":[\"SystemAdmin\"]}"), dot2);
	ck_assert_int_eq(verify(forged), JWT_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_jwt_tampered_signature)
{
	unsigned char	*raw, *long_sig;
	size_t		 rawlen;
	char		*t, *sig;

	t = tok(H_STD, "{" C_STD "}");
	ck_assert_int_eq(verify(t), JWT_OK);
	sig = strrchr(t, '.') + 1;
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify(t), JWT_BAD_SIGNATURE);

	/* A signature of the wrong length (31 bytes). */
	t = tok(H_STD, "{" C_STD "}");
	sig = strrchr(t, '.') + 1;
	sig[42] = '\0';	/* 43 symbols -> 42: 31 bytes, 4 spare bits */
	sig[41] = 'A';
	ck_assert_int_eq(verify(t), JWT_BAD_SIGNATURE);

	/* The right 32 bytes with one more after them. */
	t = tok(H_STD, "{" C_STD "}");
	sig = strrchr(t, '.') + 1;
	ck_assert_int_eq(base64url_decode(ta, sig, strlen(sig), &raw,
	    &rawlen), 0);
	ck_assert_uint_eq(rawlen, 32);
	long_sig = arena_alloc(ta, 33);
	memcpy(long_sig, raw, 32);
	long_sig[32] = 0;
	sig[-1] = '\0';
	ck_assert_int_eq(verify(fmt("%s.%s", t,
	    base64url_encode(ta, long_sig, 33))), JWT_BAD_SIGNATURE);

	/* Empty signature. */
	t = fmt("%s.%s.", b64u(H_STD), b64u("{" C_STD "}"));
	ck_assert_int_eq(verify(t), JWT_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_jwt_alg_none)
{
	const char	*c = "{" C_STD ",\"roles\":[\"SystemAdmin\"]}";

	/* The classic unsigned token, and with a valid-looking signature. */
	ck_assert_int_eq(verify(fmt("%s.%s.",
	    b64u("{\"alg\":\"none\",\"typ\":\"JWT\"}"), b64u(c))),
	    JWT_BAD_ALG);
	ck_assert_int_eq(verify(tok("{\"alg\":\"none\"}", c)), JWT_BAD_ALG);
}
END_TEST

START_TEST(test_jwt_wrong_secret)
{
	char	*t;

	t = sign_parts(b64u(H_STD), b64u("{" C_STD "}"), osecret,
	    OSECRET_LEN);
	ck_assert_int_eq(verify(t), JWT_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_jwt_kid_selection)
{
	const struct jwt_key	 keys[] = {
		{ .kid = "a", .secret = tsecret, .secret_len = TSECRET_LEN },
		{ .kid = "b", .secret = osecret, .secret_len = OSECRET_LEN },
	};
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	const char		*h_b = "{\"alg\":\"HS256\",\"kid\":\"b\"}";
	char			*c64 = b64u("{" C_STD "}");

	v.keys = keys;
	v.nkeys = RS_ARRAY_LEN(keys);
	ck_assert_int_eq(verify_with(&v, sign_parts(b64u(h_b), c64, osecret,
	    OSECRET_LEN), &p), JWT_OK);
	/* kid "b" signed with a's secret. */
	ck_assert_int_eq(verify_with(&v, sign_parts(b64u(h_b), c64, tsecret,
	    TSECRET_LEN), &p), JWT_BAD_SIGNATURE);
	/* Unknown kid, and no kid at all when every key has one. */
	ck_assert_int_eq(verify_with(&v, sign_parts(
	    b64u("{\"alg\":\"HS256\",\"kid\":\"c\"}"), c64, tsecret,
	    TSECRET_LEN), &p), JWT_UNKNOWN_KID);
	ck_assert_int_eq(verify_with(&v, sign_parts(b64u(H_STD), c64, tsecret,
	    TSECRET_LEN), &p), JWT_NO_KEY);
	/* kid must be a string. */
	ck_assert_int_eq(verify_with(&v, sign_parts(
	    b64u("{\"alg\":\"HS256\",\"kid\":1}"), c64, tsecret,
	    TSECRET_LEN), &p), JWT_MALFORMED);

	/* A key without kid matches any kid. */
	ck_assert_int_eq(verify(sign_parts(
	    b64u("{\"alg\":\"HS256\",\"kid\":\"whatever\"}"), c64, tsecret,
	    TSECRET_LEN)), JWT_OK);
}
END_TEST

START_TEST(test_jwt_no_usable_key)
{
	const struct jwt_key	 pub = { .kid = NULL, .secret = NULL };
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	char			*t = tok(H_STD, "{" C_STD "}");

	v.nkeys = 0;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_NO_KEY);
	v.keys = NULL;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_NO_KEY);
	/* A key exists but holds no HS256 secret. */
	v.keys = &pub;
	v.nkeys = 1;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_BAD_ALG);
}
END_TEST

/*
 * jwt: headers.  Each is signed correctly with the test secret over
 * good claims, so only the header decides.
 */

struct hdr_case {
	const char	*json;
	enum jwt_status	 want;
};

static const struct hdr_case hdr_cases[] = {
	{ H_STD, JWT_OK },
	{ "{\"alg\":\"HS256\"}", JWT_OK },
	{ "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"x\":[1,{}]}", JWT_OK },
	{ "{\"alg\":\"none\",\"typ\":\"JWT\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"None\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"HS384\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"ES256\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"hs256\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"HS256 \"}", JWT_BAD_ALG },
	{ "{\"alg\":\"\"}", JWT_BAD_ALG },
	{ "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", JWT_MALFORMED },
	{ "{\"alg\":\"HS256\",\"crit\":[]}", JWT_MALFORMED },
	{ "{\"typ\":\"JWT\"}", JWT_MALFORMED },		/* no alg */
	{ "{\"alg\":256}", JWT_MALFORMED },
	{ "{\"alg\":null}", JWT_MALFORMED },
	{ "{\"alg\":[\"HS256\"]}", JWT_MALFORMED },
	{ "[\"alg\",\"HS256\"]", JWT_MALFORMED },	/* JSON array */
	{ "\"HS256\"", JWT_MALFORMED },
	{ "null", JWT_MALFORMED },
	{ "not json", JWT_MALFORMED },
	{ "", JWT_MALFORMED },
	{ "{\"alg\":\"HS256\"", JWT_MALFORMED },	/* truncated */
	{ "{\"alg\":\"HS256\"}{}", JWT_MALFORMED },	/* trailing */
	{ "{\"alg\":\"HS256\\u0000\"}", JWT_MALFORMED },/* escaped NUL */
	{ "{\"alg\":\"HS\\u00002\"}", JWT_MALFORMED },
	{ "{\"alg\":\"HS256\",\"kid\":\"\\u0000\"}", JWT_MALFORMED },
	{ "{\"alg\":\"HS256\",\"x\":\"\xff\"}", JWT_MALFORMED }, /* UTF-8 */
};

START_TEST(test_jwt_headers)
{
	const struct hdr_case	*c = &hdr_cases[_i];

	ck_assert_msg(verify(tok(c->json, "{" C_STD "}")) == c->want,
	    "header %s: got %s, want %s", c->json,
	    jwt_status_str(verify(tok(c->json, "{" C_STD "}"))),
	    jwt_status_str(c->want));
}
END_TEST

START_TEST(test_jwt_header_raw_nul)
{
	static const char hdr[] = "{\"alg\":\"HS256\"}\0xx";
	char	*t;

	/* A raw NUL would end yajl's C-string input early. */
	t = sign_parts(base64url_encode(ta, hdr, sizeof(hdr) - 1),
	    b64u("{" C_STD "}"), tsecret, TSECRET_LEN);
	ck_assert_int_eq(verify(t), JWT_MALFORMED);
}
END_TEST

/*
 * jwt: claims.  Each is signed correctly under H_STD and checked with
 * the standard verifier (issuer, audience, leeway 60, exp required) at
 * NOW.
 */

struct claims_case {
	const char	*json;
	enum jwt_status	 want;
};

static const struct claims_case claims_cases[] = {
	{ "{" C_STD "}", JWT_OK },
	{ "{" C_STD ",\"tid\":\"" TID "\",\"roles\":[]}", JWT_OK },
	{ "{" C_STD ",\"roles\":[\"Unknown\",\"TenantAdmin\"]}", JWT_OK },
	{ "{" C_STD ",\"extra\":{\"nested\":[1,2,null]}}", JWT_OK },
	/* exp */
	{ "{" C_SUB "," C_ISS "," C_AUD "}", JWT_MISSING_EXP },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1799999939}", JWT_EXPIRED },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1799999940}", JWT_EXPIRED },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1799999941}", JWT_OK },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1799999940.5}", JWT_OK },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1.8e9}", JWT_OK },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":0}", JWT_EXPIRED },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":-1}", JWT_EXPIRED },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1e400}", JWT_BAD_CLAIMS },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":\"1800000300\"}",
	    JWT_BAD_CLAIMS },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":null}", JWT_BAD_CLAIMS },
	{ "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":[1800000300]}",
	    JWT_BAD_CLAIMS },
	/* nbf */
	{ "{" C_STD ",\"nbf\":1800000060}", JWT_OK },
	{ "{" C_STD ",\"nbf\":1800000061}", JWT_NOT_YET_VALID },
	{ "{" C_STD ",\"nbf\":1799999000}", JWT_OK },
	{ "{" C_STD ",\"nbf\":true}", JWT_BAD_CLAIMS },
	/* iat */
	{ "{" C_STD ",\"iat\":1800000060}", JWT_OK },
	{ "{" C_STD ",\"iat\":1800000061}", JWT_NOT_YET_VALID },
	{ "{" C_STD ",\"iat\":\"now\"}", JWT_BAD_CLAIMS },
	/* iss */
	{ "{" C_SUB "," C_AUD "," C_EXP "}", JWT_BAD_ISSUER },
	{ "{" C_SUB ",\"iss\":\"https://evil.test\"," C_AUD "," C_EXP "}",
	    JWT_BAD_ISSUER },
	{ "{" C_SUB ",\"iss\":\"https://idp.test/\"," C_AUD "," C_EXP "}",
	    JWT_BAD_ISSUER },
	{ "{" C_SUB ",\"iss\":[\"" ISS "\"]," C_AUD "," C_EXP "}",
	    JWT_BAD_ISSUER },
	/* aud */
	{ "{" C_SUB "," C_ISS "," C_EXP "}", JWT_BAD_AUDIENCE },
	{ "{" C_SUB "," C_ISS ",\"aud\":\"other\"," C_EXP "}",
	    JWT_BAD_AUDIENCE },
	{ "{" C_SUB "," C_ISS ",\"aud\":[\"other\",\"" AUD "\"]," C_EXP "}",
	    JWT_OK },
	{ "{" C_SUB "," C_ISS ",\"aud\":[\"" AUD "\"]," C_EXP "}", JWT_OK },
	{ "{" C_SUB "," C_ISS ",\"aud\":[\"other\",\"x\"]," C_EXP "}",
	    JWT_BAD_AUDIENCE },
	{ "{" C_SUB "," C_ISS ",\"aud\":[]," C_EXP "}", JWT_BAD_AUDIENCE },
	{ "{" C_SUB "," C_ISS ",\"aud\":[\"" AUD "\",1]," C_EXP "}",
	    JWT_BAD_AUDIENCE },
	{ "{" C_SUB "," C_ISS ",\"aud\":{\"" AUD "\":1}," C_EXP "}",
	    JWT_BAD_AUDIENCE },
	/* sub */
	{ "{" C_ISS "," C_AUD "," C_EXP "}", JWT_BAD_CLAIMS },
	{ "{\"sub\":\"\"," C_ISS "," C_AUD "," C_EXP "}", JWT_BAD_CLAIMS },
	{ "{\"sub\":42," C_ISS "," C_AUD "," C_EXP "}", JWT_BAD_CLAIMS },
	{ "{\"sub\":null," C_ISS "," C_AUD "," C_EXP "}", JWT_BAD_CLAIMS },
	/* embedded NUL: "admin\u0000x" would read as "admin" */
	{ "{\"sub\":\"admin\\u0000x\"," C_ISS "," C_AUD "," C_EXP "}",
	    JWT_MALFORMED },
	{ "{\"sub\":\"admin\\u0000\"," C_ISS "," C_AUD "," C_EXP "}",
	    JWT_MALFORMED },
	{ "{" C_STD ",\"tid\":\"" TID "\\u0000\"}", JWT_MALFORMED },
	/* tid */
	{ "{" C_STD ",\"tid\":\"not-a-uuid\"}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"tid\":\"\"}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"tid\":\"3f2504e0-4f89-11d3-9a0c-0305e82c330\"}",
	    JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"tid\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301x\"}",
	    JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"tid\":12}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"tid\":null}", JWT_BAD_CLAIMS },
	/* roles */
	/* a string is a list of that one name */
	{ "{" C_STD ",\"roles\":\"SystemAdmin\"}", JWT_OK },
	{ "{" C_STD ",\"roles\":\"\"}", JWT_OK },
	/* duplicate members, at the top or inside, whichever comes first */
	{ "{" C_STD ",\"roles\":[\"TenantReader\"],\"roles\":"
	    "[\"SystemAdmin\"]}", JWT_MALFORMED },
	{ "{" C_STD ",\"roles\":[\"SystemAdmin\"],\"roles\":[]}",
	    JWT_MALFORMED },
	{ "{" C_STD ",\"sub\":\"user-2\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"x\":{\"a\":1,\"b\":2,\"a\":3}}", JWT_MALFORMED },
	{ "{" C_STD ",\"x\":[{\"a\":1},{\"a\":1,\"a\":1}]}",
	    JWT_MALFORMED },
	{ "{" C_STD ",\"x\":{\"a\":1,\"b\":2},\"y\":{\"a\":1}}", JWT_OK },
	/* many members: the sorted comparison */
	{ "{" C_STD ",\"a0\":0,\"a1\":1,\"a2\":2,\"a3\":3,\"a4\":4,"
	    "\"a5\":5,\"a6\":6,\"a7\":7,\"a8\":8,\"a9\":9,\"b0\":0,"
	    "\"b1\":1,\"b2\":2,\"b3\":3,\"b4\":4,\"b5\":5,\"a3\":6}",
	    JWT_MALFORMED },
	{ "{" C_STD ",\"a0\":0,\"a1\":1,\"a2\":2,\"a3\":3,\"a4\":4,"
	    "\"a5\":5,\"a6\":6,\"a7\":7,\"a8\":8,\"a9\":9,\"b0\":0,"
	    "\"b1\":1,\"b2\":2,\"b3\":3,\"b4\":4,\"b5\":5,\"b6\":6}",
	    JWT_OK },
	/* strict UTF-8: overlong, encoded surrogate, beyond U+10FFFF */
	{ "{" C_STD ",\"name\":\"\xc0\xaf\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"\xe0\x80\xaf\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"\xed\xa0\x80\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"\xf4\x90\x80\x80\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"\xff\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", JWT_OK },
	/* escaped surrogates: a pair is fine, a lone one is not */
	{ "{" C_STD ",\"name\":\"\\ud83d\\ude00\"}", JWT_OK },
	{ "{" C_STD ",\"name\":\"\\ud83dx\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"\\ude00\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"name\":\"\\ud83d\"}", JWT_MALFORMED },
	{ "{" C_STD ",\"roles\":{\"SystemAdmin\":true}}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"roles\":null}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"roles\":[\"TenantAdmin\",1]}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"roles\":[[\"SystemAdmin\"]]}", JWT_BAD_CLAIMS },
	{ "{" C_STD ",\"roles\":[null]}", JWT_BAD_CLAIMS },
	/* not an object */
	{ "[" C_STD "]", JWT_MALFORMED },
	{ "[]", JWT_MALFORMED },
	{ "\"user-1\"", JWT_MALFORMED },
	{ "{" C_STD "", JWT_MALFORMED },
	{ "", JWT_MALFORMED },
};

START_TEST(test_jwt_claims)
{
	const struct claims_case	*c = &claims_cases[_i];
	enum jwt_status			 got;

	got = verify(tok(H_STD, c->json));
	ck_assert_msg(got == c->want, "claims %s: got %s, want %s", c->json,
	    jwt_status_str(got), jwt_status_str(c->want));
}
END_TEST

START_TEST(test_jwt_roles_and_tid)
{
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;

	ck_assert_int_eq(verify_with(&v, tok(H_STD, "{" C_STD ",\"tid\":"
	    "\"{3F2504E0-4F89-11D3-9A0C-0305E82C3301}\",\"roles\":"
	    "[\"TenantAdmin\",\"systemadmin\",\"TenantReader\","
	    "\"TenantAdmin\"]}"), &p), JWT_OK);
	ck_assert_str_eq(p.sub, "user-1");
	ck_assert_str_eq(p.tid, TID);
	/* Role names are case-sensitive. */
	ck_assert_uint_eq(p.roles,
	    AUTH_ROLE_TENANT_ADMIN | AUTH_ROLE_TENANT_READER);
}
END_TEST

START_TEST(test_jwt_leeway)
{
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	char			*t;

	/* Expired 10 s ago: fine with 60 s of leeway, not with none. */
	t = tok(H_STD, "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1799999990}");
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_OK);
	v.leeway = 0;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_EXPIRED);
	/* A negative leeway counts as none rather than shortening exp. */
	t = tok(H_STD, "{" C_SUB "," C_ISS "," C_AUD ",\"exp\":1800000001}");
	v.leeway = -100;
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_OK);
}
END_TEST

/*
 * jwt: shape
 */

START_TEST(test_jwt_too_large)
{
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	char			*big;
	size_t			 n = JWT_MAX_TOKEN + 1;

	big = arena_alloc(ta, n + 1);
	memset(big, 'A', n);
	big[n] = '\0';
	ck_assert_int_eq(jwt_verify(&v, big, n, NOW, ta, &p), JWT_TOO_LARGE);
	/* Refused by length alone, whatever the bytes (or pointer). */
	v.nkeys = 0;
	ck_assert_int_eq(jwt_verify(&v, big, SIZE_MAX, NOW, ta, &p),
	    JWT_TOO_LARGE);
	v.nkeys = 1;
	/* At the limit it is judged on content. */
	ck_assert_int_eq(jwt_verify(&v, big, JWT_MAX_TOKEN, NOW, ta, &p),
	    JWT_MALFORMED);

	/* A genuine token padded with claims past the limit. */
	big = arena_alloc(ta, JWT_MAX_TOKEN);
	memset(big, 'x', JWT_MAX_TOKEN - 1);
	big[JWT_MAX_TOKEN - 1] = '\0';
	ck_assert_int_eq(verify(tok(H_STD, fmt("{" C_STD ",\"pad\":\"%s\"}",
	    big))), JWT_TOO_LARGE);
}
END_TEST

START_TEST(test_jwt_shape)
{
	char	*h64 = b64u(H_STD), *c64 = b64u("{" C_STD "}");
	char	*good = tok(H_STD, "{" C_STD "}");
	char	*sig = strrchr(good, '.') + 1;
	char	*t;

	ck_assert_int_eq(verify(good), JWT_OK);

	/* Two parts, four parts, empty parts. */
	ck_assert_int_eq(verify(fmt("%s.%s", h64, c64)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt("%s.%s", h64, sig)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt("%s.", good)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt("%s.%s", good, sig)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt("%s..%s", h64, sig)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt(".%s.%s", c64, sig)), JWT_MALFORMED);
	ck_assert_int_eq(verify(""), JWT_MALFORMED);
	ck_assert_int_eq(verify("."), JWT_MALFORMED);
	ck_assert_int_eq(verify(".."), JWT_MALFORMED);
	ck_assert_int_eq(verify("..."), JWT_MALFORMED);
	ck_assert_int_eq(verify(h64), JWT_MALFORMED);

	/* "Bearer " left on, surrounding whitespace. */
	ck_assert_int_eq(verify(fmt("Bearer %s", good)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt(" %s", good)), JWT_MALFORMED);
	ck_assert_int_eq(verify(fmt("%s\n", good)), JWT_MALFORMED);

	/* The length counts, not the NUL. */
	t = fmt("%s", good);
	t[10] = '\0';
	ck_assert_int_eq(jwt_verify(&(struct jwt_verifier){ .keys = &tkey,
	    .nkeys = 1, .issuer = ISS, .audience = AUD, .leeway = LEEWAY,
	    .require_exp = 1 }, t, strlen(good), NOW, ta,
	    &(struct principal){ 0 }), JWT_MALFORMED);
}
END_TEST

START_TEST(test_jwt_bad_base64url)
{
	char	*c64 = b64u("{" C_STD "}"), *t;
	char	*h64;

	/* Standard-alphabet characters in a correctly signed token. */
	h64 = b64u("{\"alg\":\"HS256\",\"x\":\"?~\"}");
	ck_assert_str_eq(h64, "eyJhbGciOiJIUzI1NiIsIngiOiI_fiJ9");
	ck_assert_int_eq(verify(sign_parts(h64, c64, tsecret, TSECRET_LEN)),
	    JWT_OK);
	h64 = base64_encode(ta, "{\"alg\":\"HS256\",\"x\":\"?~\"}", 24);
	ck_assert_ptr_nonnull(strpbrk(h64, "+/"));
	ck_assert_int_eq(verify(sign_parts(h64, c64, tsecret, TSECRET_LEN)),
	    JWT_MALFORMED);

	/* Junk characters in each part. */
	t = tok(H_STD, "{" C_STD "}");
	t[3] = '*';
	ck_assert_int_eq(verify(t), JWT_MALFORMED);
	t = tok(H_STD, "{" C_STD "}");
	t[strchr(t, '.') - t + 3] = ' ';
	ck_assert_int_eq(verify(t), JWT_MALFORMED);
	t = tok(H_STD, "{" C_STD "}");
	t[strlen(t) - 5] = '!';
	ck_assert_int_eq(verify(t), JWT_MALFORMED);
	/* Non-zero trailing bits in the signature's last symbol. */
	t = tok(H_STD, "{" C_STD "}");
	t[strlen(t) - 1] = 'B';	/* 43 symbols: 2 spare bits, 'B' sets one */
	ck_assert_int_eq(verify(t), JWT_MALFORMED);
}
END_TEST

START_TEST(test_jwt_padding)
{
	/* 22 bytes: base64url needs "==" to pad it. */
	const char	*hj = "{\"alg\":\"HS256\", \"x\":1}";
	char		*h64, *c64 = b64u("{" C_STD "}"), *t;

	ck_assert_uint_eq(strlen(hj), 22);
	h64 = b64u(hj);
	ck_assert_int_eq(verify(sign_parts(h64, c64, tsecret, TSECRET_LEN)),
	    JWT_OK);
	/* The same header padded, and signed over the padded text. */
	ck_assert_int_eq(verify(sign_parts(fmt("%s==", h64), c64, tsecret,
	    TSECRET_LEN)), JWT_MALFORMED);
	/* A padded signature (32 bytes: 43 symbols plus "="). */
	t = tok(H_STD, "{" C_STD "}");
	ck_assert_int_eq(verify(fmt("%s=", t)), JWT_MALFORMED);
}
END_TEST

START_TEST(test_jwt_deep_nesting)
{
	size_t	 depth = 2900, i;	/* as deep as fits in the limit */
	char	*h, *o;

	/* Parsed (and freed) before any signature check: must be cheap. */
	h = arena_alloc(ta, 2 * depth + 64);
	o = h + sprintf(h, "{\"alg\":\"HS256\",\"x\":");
	for (i = 0; i < depth; i++)
		*o++ = '[';
	for (i = 0; i < depth; i++)
		*o++ = ']';
	strcpy(o, "}");
	ck_assert_int_eq(verify(sign_parts(b64u(h), b64u("{" C_STD "}"),
	    tsecret, TSECRET_LEN)), JWT_OK);
	ck_assert_int_eq(verify(sign_parts(b64u(h), b64u("{" C_STD "}"),
	    osecret, OSECRET_LEN)), JWT_BAD_SIGNATURE);
	/* Unbalanced: never closes. */
	h[strlen(h) - 2] = '\0';
	ck_assert_int_eq(verify(sign_parts(b64u(h), b64u("{" C_STD "}"),
	    tsecret, TSECRET_LEN)), JWT_MALFORMED);
}
END_TEST

START_TEST(test_jwt_status_str)
{
	int	s;

	for (s = 0; s < JWT__MAX; s++) {
		ck_assert_ptr_nonnull(jwt_status_str((enum jwt_status)s));
		ck_assert_str_ne(jwt_status_str((enum jwt_status)s),
		    "unknown");
	}
	ck_assert_str_eq(jwt_status_str(JWT_OK), "ok");
	ck_assert_str_eq(jwt_status_str(JWT__MAX), "unknown");
	ck_assert_str_eq(jwt_status_str((enum jwt_status)-1), "unknown");
}
END_TEST

/*
 * authz
 */

static const struct principal pr_sys = {
	"root", NULL, AUTH_ROLE_SYSTEM_ADMIN,
};
static const struct principal pr_sys_t = {
	"root", TID, AUTH_ROLE_SYSTEM_ADMIN,
};
static const struct principal pr_adm = {
	"adm", TID, AUTH_ROLE_TENANT_ADMIN,
};
static const struct principal pr_adm_notid = {
	"adm", NULL, AUTH_ROLE_TENANT_ADMIN,
};
static const struct principal pr_rd = {
	"rd", TID, AUTH_ROLE_TENANT_READER,
};
static const struct principal pr_adm_rd = {
	"both", TID, AUTH_ROLE_TENANT_ADMIN | AUTH_ROLE_TENANT_READER,
};
static const struct principal pr_none = {
	"nobody", TID, 0,
};

struct authz_case {
	const char		*name;
	const struct principal	*p;
	enum authz_right	 right;
	const char		*tenant;
	enum authz_result	 want;
};

static const struct authz_case authz_cases[] = {
	/* public: anyone, even without a principal */
	{ "public/null", NULL, AUTHZ_PUBLIC, NULL, AUTHZ_ALLOW },
	{ "public/none", &pr_none, AUTHZ_PUBLIC, TID2, AUTHZ_ALLOW },
	/* no principal: nothing else */
	{ "null/sys", NULL, AUTHZ_SYSTEM_ADMIN, NULL, AUTHZ_DENY },
	{ "null/admin", NULL, AUTHZ_TENANT_ADMIN, TID, AUTHZ_DENY },
	{ "null/read", NULL, AUTHZ_TENANT_READ, TID, AUTHZ_DENY },
	/* system admin right */
	{ "sys/sys", &pr_sys, AUTHZ_SYSTEM_ADMIN, NULL, AUTHZ_ALLOW },
	{ "sys/sys+t", &pr_sys, AUTHZ_SYSTEM_ADMIN, TID, AUTHZ_ALLOW },
	{ "adm/sys", &pr_adm, AUTHZ_SYSTEM_ADMIN, TID, AUTHZ_DENY },
	{ "adm/sys-null", &pr_adm, AUTHZ_SYSTEM_ADMIN, NULL, AUTHZ_DENY },
	{ "rd/sys", &pr_rd, AUTHZ_SYSTEM_ADMIN, TID, AUTHZ_DENY },
	{ "none/sys", &pr_none, AUTHZ_SYSTEM_ADMIN, TID, AUTHZ_DENY },
	/* tenant admin right */
	{ "sys/admin", &pr_sys, AUTHZ_TENANT_ADMIN, TID, AUTHZ_ALLOW },
	{ "sys/admin-other", &pr_sys, AUTHZ_TENANT_ADMIN, TID2, AUTHZ_ALLOW },
	{ "sys/admin-null", &pr_sys, AUTHZ_TENANT_ADMIN, NULL,
	    AUTHZ_NO_TENANT },
	{ "sys_t/admin-null", &pr_sys_t, AUTHZ_TENANT_ADMIN, NULL,
	    AUTHZ_NO_TENANT },
	{ "sys/admin-junk", &pr_sys, AUTHZ_TENANT_ADMIN, "not-a-uuid",
	    AUTHZ_ALLOW },
	{ "adm/admin", &pr_adm, AUTHZ_TENANT_ADMIN, TID, AUTHZ_ALLOW },
	{ "adm/admin-other", &pr_adm, AUTHZ_TENANT_ADMIN, TID2, AUTHZ_DENY },
	{ "adm/admin-null", &pr_adm, AUTHZ_TENANT_ADMIN, NULL, AUTHZ_DENY },
	{ "adm/admin-junk", &pr_adm, AUTHZ_TENANT_ADMIN, "not-a-uuid",
	    AUTHZ_DENY },
	{ "adm/admin-upper", &pr_adm, AUTHZ_TENANT_ADMIN,
	    "3F2504E0-4F89-11D3-9A0C-0305E82C3301", AUTHZ_DENY },
	{ "adm/admin-empty", &pr_adm, AUTHZ_TENANT_ADMIN, "", AUTHZ_DENY },
	{ "adm_notid/admin", &pr_adm_notid, AUTHZ_TENANT_ADMIN, TID,
	    AUTHZ_DENY },
	{ "adm_notid/admin-null", &pr_adm_notid, AUTHZ_TENANT_ADMIN, NULL,
	    AUTHZ_DENY },
	{ "rd/admin", &pr_rd, AUTHZ_TENANT_ADMIN, TID, AUTHZ_DENY },
	{ "adm_rd/admin", &pr_adm_rd, AUTHZ_TENANT_ADMIN, TID, AUTHZ_ALLOW },
	{ "none/admin", &pr_none, AUTHZ_TENANT_ADMIN, TID, AUTHZ_DENY },
	/* tenant read right */
	{ "sys/read", &pr_sys, AUTHZ_TENANT_READ, TID, AUTHZ_ALLOW },
	{ "sys/read-null", &pr_sys, AUTHZ_TENANT_READ, NULL,
	    AUTHZ_NO_TENANT },
	{ "adm/read", &pr_adm, AUTHZ_TENANT_READ, TID, AUTHZ_ALLOW },
	{ "adm/read-other", &pr_adm, AUTHZ_TENANT_READ, TID2, AUTHZ_DENY },
	{ "rd/read", &pr_rd, AUTHZ_TENANT_READ, TID, AUTHZ_ALLOW },
	{ "rd/read-other", &pr_rd, AUTHZ_TENANT_READ, TID2, AUTHZ_DENY },
	{ "rd/read-null", &pr_rd, AUTHZ_TENANT_READ, NULL, AUTHZ_DENY },
	{ "rd/read-junk", &pr_rd, AUTHZ_TENANT_READ, "x", AUTHZ_DENY },
	{ "none/read", &pr_none, AUTHZ_TENANT_READ, TID, AUTHZ_DENY },
	/* a forgotten right (the zero value) and rights outside the enum */
	{ "sys/unset", &pr_sys, AUTHZ_UNSET, TID, AUTHZ_DENY },
	{ "null/unset", NULL, AUTHZ_UNSET, NULL, AUTHZ_DENY },
	{ "sys/max", &pr_sys, AUTHZ__MAX, TID, AUTHZ_DENY },
	{ "sys/99", &pr_sys, (enum authz_right)99, TID, AUTHZ_DENY },
	{ "sys/-1", &pr_sys, (enum authz_right)-1, TID, AUTHZ_DENY },
};

START_TEST(test_authz_table)
{
	const struct authz_case	*c = &authz_cases[_i];
	enum authz_result	 got;

	got = authz_check(c->p, c->right, c->tenant);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->name,
	    (int)got, (int)c->want);
}
END_TEST

/*
 * jwt: public-key algorithms.  Keys are generated once per test case
 * (unchecked fixture, before the fork), signed here with EVP and
 * checked by jwt_verify.
 */

enum { PK_RSA, PK_EC256, PK_EC384, PK_EC521, PK_ED, PK__MAX };
static EVP_PKEY *pks[PK__MAX];

/* 64 bytes: long enough for HS512. */
static const unsigned char hsecret[] =
    "rosterd-unit-test-hmac-secret-of-sixty-four-bytes-for-hs512-ok!!";
#define HSECRET_LEN	(sizeof(hsecret) - 1)

static void
pk_setup(void)
{
	pks[PK_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	pks[PK_EC256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	pks[PK_EC384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	pks[PK_EC521] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	pks[PK_ED] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (size_t i = 0; i < PK__MAX; i++)
		ck_assert_ptr_nonnull(pks[i]);
}

static void
pk_teardown(void)
{
	for (size_t i = 0; i < PK__MAX; i++) {
		EVP_PKEY_free(pks[i]);
		pks[i] = NULL;
	}
}

/* Digest name and EC half-length for alg, as the signer needs them. */
static const char *
alg_md(const char *alg, size_t *ec_half)
{
	*ec_half = 0;
	if (strcmp(alg, "EdDSA") == 0)
		return NULL;
	if (alg[0] == 'E')
		*ec_half = strcmp(alg, "ES256") == 0 ? 32 :
		    strcmp(alg, "ES384") == 0 ? 48 : 66;
	return strstr(alg, "256") ? "SHA256" : strstr(alg, "384") ?
	    "SHA384" : "SHA512";
}

/* The JWS signature (raw R || S for ES*) of input under pk for alg. */
static unsigned char *
pk_sign(const char *alg, EVP_PKEY *pk, const char *input, size_t *siglen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	*sig, *raw;
	const unsigned char *p;
	ECDSA_SIG	*es;
	const char	*md;
	size_t		 half, len = 0;

	md = alg_md(alg, &half);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL,
	    pk, NULL), 1);
	if (alg[0] == 'P') {
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST), 1);
	}
	ck_assert_int_eq(EVP_DigestSign(ctx, NULL, &len,
	    (const unsigned char *)input, strlen(input)), 1);
	sig = arena_alloc(ta, len);
	ck_assert_int_eq(EVP_DigestSign(ctx, sig, &len,
	    (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	if (half == 0) {
		*siglen = len;
		return sig;
	}
	/* DER ECDSA-Sig-Value -> fixed-width R || S. */
	p = sig;
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(es);
	raw = arena_alloc(ta, 2 * half);
	ck_assert_int_eq(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half),
	    (int)half);
	ck_assert_int_eq(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half,
	    (int)half), (int)half);
	ECDSA_SIG_free(es);
	*siglen = 2 * half;
	return raw;
}

/* HMAC with the digest of alg over input under key. */
static unsigned char *
hs_sign(const char *alg, const unsigned char *key, size_t keylen,
    const char *input, size_t *siglen)
{
	unsigned char	*mac = arena_alloc(ta, EVP_MAX_MD_SIZE);
	size_t		 half;

	ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL,
	    alg_md(alg, &half), NULL, key, keylen,
	    (const unsigned char *)input, strlen(input), mac,
	    EVP_MAX_MD_SIZE, siglen));
	return mac;
}

/* Header {"alg":alg[,"kid":kid]}, claims, signed as sig_alg. */
static char *
pk_tok(const char *alg, const char *kid, const char *claims,
    const char *sig_alg, EVP_PKEY *pk)
{
	unsigned char	*sig;
	size_t		 siglen;
	char		*input;

	input = fmt("%s.%s", b64u(kid != NULL ?
	    fmt("{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid) :
	    fmt("{\"alg\":\"%s\"}", alg)), b64u(claims));
	if (sig_alg[0] == 'H')
		sig = hs_sign(sig_alg, hsecret, HSECRET_LEN, input, &siglen);
	else
		sig = pk_sign(sig_alg, pk, input, &siglen);
	return fmt("%s.%s", input, base64url_encode(ta, sig, siglen));
}

static enum jwt_status
verify_keys(const struct jwt_key *keys, size_t n, const char *t)
{
	struct jwt_verifier	v = std_verifier();
	struct principal	p;

	v.keys = keys;
	v.nkeys = n;
	return verify_with(&v, t, &p);
}

struct pk_case {
	const char	*alg;
	int		 key;	/* PK_*, or -1 for the HMAC secret */
};

static const struct pk_case pk_cases[] = {
	{ "HS256", -1 }, { "HS384", -1 }, { "HS512", -1 },
	{ "RS256", PK_RSA }, { "RS384", PK_RSA }, { "RS512", PK_RSA },
	{ "PS256", PK_RSA }, { "PS384", PK_RSA }, { "PS512", PK_RSA },
	{ "ES256", PK_EC256 }, { "ES384", PK_EC384 }, { "ES512", PK_EC521 },
	{ "EdDSA", PK_ED },
};

START_TEST(test_jwt_pk_algs)
{
	const struct pk_case	*c = &pk_cases[_i];
	struct jwt_key		 k = { .kid = NULL };
	struct jwt_verifier	 v = std_verifier();
	struct principal	 p;
	EVP_PKEY		*pk = c->key >= 0 ? pks[c->key] : NULL;
	const char		*claims =
	    "{" C_STD ",\"roles\":[\"TenantAdmin\"]}";
	char			*t, *forged, *sig;
	size_t			 i;

	if (pk != NULL)
		k.pkey = pk;
	else {
		k.secret = hsecret;
		k.secret_len = HSECRET_LEN;
	}
	v.keys = &k;
	v.nkeys = 1;
	t = pk_tok(c->alg, NULL, claims, c->alg, pk);
	memset(&p, 0, sizeof(p));
	ck_assert_msg(verify_with(&v, t, &p) == JWT_OK, "%s: %s", c->alg,
	    jwt_status_str(verify_with(&v, t, &p)));
	ck_assert_str_eq(p.sub, "user-1");
	ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_ADMIN);

	/* With a kid, against a key with that kid and that alg. */
	k.kid = "k1";
	k.alg = c->alg;
	ck_assert_int_eq(verify_with(&v, pk_tok(c->alg, "k1", claims, c->alg,
	    pk), &p), JWT_OK);
	k.kid = NULL;
	k.alg = NULL;

	/* Same signature, payload promoted. */
	forged = fmt("%.*s.%s%s", (int)(strchr(t, '.') - t), t,
	    b64u("{" C_STD ",\"roles\":[\"SystemAdmin\"]}"), strrchr(t, '.'));
	ck_assert_int_eq(verify_with(&v, forged, &p), JWT_BAD_SIGNATURE);

	/* Each signature symbol flipped in turn (a sample of them). */
	sig = strrchr(t, '.') + 1;
	for (i = 0; i + 1 < strlen(sig); i += 7) {
		char	save = sig[i];

		sig[i] = save == 'A' ? 'B' : 'A';
		ck_assert_int_eq(verify_with(&v, t, &p), JWT_BAD_SIGNATURE);
		sig[i] = save;
	}
	ck_assert_int_eq(verify_with(&v, t, &p), JWT_OK);

	/* The signature one byte short, and one byte long. */
	{
		unsigned char	*raw, *longer;
		size_t		 rawlen;

		ck_assert_int_eq(base64url_decode(ta, sig, strlen(sig), &raw,
		    &rawlen), 0);
		longer = arena_alloc(ta, rawlen + 1);
		memcpy(longer, raw, rawlen);
		longer[rawlen] = 0;
		sig[-1] = '\0';
		ck_assert_int_eq(verify_with(&v, fmt("%s.%s", t,
		    base64url_encode(ta, raw, rawlen - 1)), &p),
		    JWT_BAD_SIGNATURE);
		ck_assert_int_eq(verify_with(&v, fmt("%s.%s", t,
		    base64url_encode(ta, longer, rawlen + 1)), &p),
		    JWT_BAD_SIGNATURE);
	}
}
END_TEST

/* The PEM (SubjectPublicKeyInfo) text of pk, NUL-terminated. */
static char *
pk_pem(EVP_PKEY *pk, size_t *len)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*data, *out;
	long	 n;

	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &data);
	ck_assert_int_gt(n, 0);
	out = arena_strndup(ta, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	return out;
}

START_TEST(test_jwt_pk_confusion)
{
	const char	*c = "{" C_STD ",\"roles\":[\"SystemAdmin\"]}";
	struct jwt_key	 rsa = { .pkey = pks[PK_RSA] };
	struct jwt_key	 two[2], mixed[2];
	unsigned char	*sig;
	size_t		 pemlen, siglen;
	char		*pem, *input, *t;

	/* HS256 keyed with the RSA public key's PEM bytes. */
	pem = pk_pem(pks[PK_RSA], &pemlen);
	input = fmt("%s.%s", b64u("{\"alg\":\"HS256\"}"), b64u(c));
	sig = hs_sign("HS256", (const unsigned char *)pem, pemlen, input,
	    &siglen);
	t = fmt("%s.%s", input, base64url_encode(ta, sig, siglen));
	ck_assert_int_eq(verify_keys(&rsa, 1, t), JWT_BAD_ALG);
	/* ... and with the trailing newline stripped, and as HS512. */
	sig = hs_sign("HS256", (const unsigned char *)pem, pemlen - 1, input,
	    &siglen);
	ck_assert_int_eq(verify_keys(&rsa, 1, fmt("%s.%s", input,
	    base64url_encode(ta, sig, siglen))), JWT_BAD_ALG);
	input = fmt("%s.%s", b64u("{\"alg\":\"HS512\"}"), b64u(c));
	sig = hs_sign("HS512", (const unsigned char *)pem, pemlen, input,
	    &siglen);
	ck_assert_int_eq(verify_keys(&rsa, 1, fmt("%s.%s", input,
	    base64url_encode(ta, sig, siglen))), JWT_BAD_ALG);

	/* An HMAC secret never verifies public-key algorithms. */
	ck_assert_int_eq(verify_keys(&tkey, 1, pk_tok("RS256", NULL, c,
	    "RS256", pks[PK_RSA])), JWT_BAD_ALG);
	/* HS512 needs a 64-byte secret, HS384 48 (RFC 7518 3.2). */
	ck_assert_int_eq(verify_keys(&tkey, 1, pk_tok("HS512", NULL, c,
	    "HS512", NULL)), JWT_BAD_ALG);

	/* ES256 against a P-384 key, and P-384 signatures called ES256. */
	{
		struct jwt_key	ec384 = { .pkey = pks[PK_EC384] };

		ck_assert_int_eq(verify_keys(&ec384, 1, pk_tok("ES256", NULL,
		    c, "ES256", pks[PK_EC256])), JWT_BAD_ALG);
		ck_assert_int_eq(verify_keys(&ec384, 1, pk_tok("ES256", NULL,
		    c, "ES384", pks[PK_EC384])), JWT_BAD_ALG);
		ck_assert_int_eq(verify_keys(&ec384, 1, pk_tok("ES512", NULL,
		    c, "ES384", pks[PK_EC384])), JWT_BAD_ALG);
		ck_assert_int_eq(verify_keys(&ec384, 1, pk_tok("ES384", NULL,
		    c, "ES384", pks[PK_EC384])), JWT_OK);
		/* A DER signature where R || S is expected. */
		ck_assert_int_eq(verify_keys(&ec384, 1, pk_tok("ES384", NULL,
		    c, "RS384", pks[PK_EC384])), JWT_BAD_SIGNATURE);
	}

	/* RS256 signature presented as PS256, and the reverse. */
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("PS256", NULL, c,
	    "RS256", pks[PK_RSA])), JWT_BAD_SIGNATURE);
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("RS256", NULL, c,
	    "PS256", pks[PK_RSA])), JWT_BAD_SIGNATURE);
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("RS384", NULL, c,
	    "RS256", pks[PK_RSA])), JWT_BAD_SIGNATURE);

	/* Types that do not go together. */
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("EdDSA", NULL, c,
	    "EdDSA", pks[PK_ED])), JWT_BAD_ALG);
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("ES256", NULL, c,
	    "ES256", pks[PK_EC256])), JWT_BAD_ALG);

	/* alg none, with and without a signature. */
	ck_assert_int_eq(verify_keys(&rsa, 1, fmt("%s.%s.",
	    b64u("{\"alg\":\"none\"}"), b64u(c))), JWT_BAD_ALG);
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("none", NULL, c,
	    "RS256", pks[PK_RSA])), JWT_BAD_ALG);
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("Ed25519", NULL, c,
	    "EdDSA", pks[PK_ED])), JWT_BAD_ALG);

	/* A key restricted by "alg" takes that one only. */
	rsa.alg = "RS256";
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("RS256", NULL, c,
	    "RS256", pks[PK_RSA])), JWT_OK);
	ck_assert_int_eq(verify_keys(&rsa, 1, pk_tok("PS256", NULL, c,
	    "PS256", pks[PK_RSA])), JWT_BAD_ALG);
	rsa.alg = NULL;

	/* kid: wrong kid, and no kid with two keys that fit. */
	memset(two, 0, sizeof(two));
	two[0].kid = "r1";
	two[0].pkey = pks[PK_RSA];
	two[1].kid = "r2";
	two[1].pkey = pks[PK_RSA];
	ck_assert_int_eq(verify_keys(two, 2, pk_tok("RS256", "r2", c, "RS256",
	    pks[PK_RSA])), JWT_OK);
	ck_assert_int_eq(verify_keys(two, 2, pk_tok("RS256", "r3", c, "RS256",
	    pks[PK_RSA])), JWT_UNKNOWN_KID);
	ck_assert_int_eq(verify_keys(two, 2, pk_tok("RS256", NULL, c, "RS256",
	    pks[PK_RSA])), JWT_NO_KEY);
	/* Without kid, where only one key fits the alg: accepted. */
	memset(mixed, 0, sizeof(mixed));
	mixed[0].kid = "r1";
	mixed[0].pkey = pks[PK_RSA];
	mixed[1].kid = "e1";
	mixed[1].pkey = pks[PK_EC256];
	ck_assert_int_eq(verify_keys(mixed, 2, pk_tok("ES256", NULL, c,
	    "ES256", pks[PK_EC256])), JWT_OK);
	ck_assert_int_eq(verify_keys(mixed, 2, pk_tok("RS512", NULL, c,
	    "RS512", pks[PK_RSA])), JWT_OK);
	/* The kid names the RSA key, the alg is EC. */
	ck_assert_int_eq(verify_keys(mixed, 2, pk_tok("ES256", "r1", c,
	    "ES256", pks[PK_EC256])), JWT_BAD_ALG);
	/* The right kid, signed by another key of the same curve. */
	{
		EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    "P-256");

		ck_assert_ptr_nonnull(other);
		t = pk_tok("ES256", "e1", c, "ES256", other);
		EVP_PKEY_free(other);
		ck_assert_int_eq(verify_keys(mixed, 2, t), JWT_BAD_SIGNATURE);
	}
	/* crit is refused whatever the key. */
	ck_assert_int_eq(verify_keys(&rsa, 1, fmt("%s.%s.AAAA",
	    b64u("{\"alg\":\"RS256\",\"crit\":[\"b64\"],\"b64\":false}"),
	    b64u(c))), JWT_MALFORMED);
}
END_TEST

/* Writes text to a fresh temporary file; returns its arena path. */
static char *
tmpfile_with(const char *text)
{
	char	*path = arena_strdup(ta, "/tmp/check_auth.XXXXXX");
	int	 fd = mkstemp(path);
	size_t	 len = strlen(text);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq((int)write(fd, text, len), (int)len);
	close(fd);
	return path;
}

/* base64url of a BIGNUM parameter of pk. */
static char *
bn_param(EVP_PKEY *pk, const char *name)
{
	BIGNUM		*bn = NULL;
	unsigned char	*raw;
	int		 n;
	char		*out;

	ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, name, &bn), 1);
	n = BN_num_bytes(bn);
	raw = arena_alloc(ta, (size_t)n);
	BN_bn2bin(bn, raw);
	out = base64url_encode(ta, raw, (size_t)n);
	BN_free(bn);
	return out;
}

/* "x":"..","y":".." of an EC key, each half of width bytes. */
static char *
ec_xy(EVP_PKEY *pk, size_t width)
{
	unsigned char	 pt[1 + 2 * 66];
	size_t		 len = 0;

	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pk,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len), 1);
	ck_assert_uint_eq(len, 1 + 2 * width);
	ck_assert_uint_eq(pt[0], 4);
	return fmt("\"x\":\"%s\",\"y\":\"%s\"",
	    base64url_encode(ta, pt + 1, width),
	    base64url_encode(ta, pt + 1 + width, width));
}

static char *
ed_x(EVP_PKEY *pk)
{
	unsigned char	 pub[32];
	size_t		 len = 0;

	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pk,
	    OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &len), 1);
	ck_assert_uint_eq(len, 32);
	return base64url_encode(ta, pub, 32);
}

START_TEST(test_jwt_jwks_load)
{
	const char	*c = "{" C_STD "}";
	struct jwt_key	*keys = NULL;
	size_t		 n = 99;
	char		 err[256] = "";
	char		*doc, *path;

	doc = fmt("{\"keys\":["
	    "{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\","
	    "\"n\":\"%s\",\"e\":\"%s\"},"
	    "{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\",%s},"
	    "{\"kty\":\"EC\",\"kid\":\"e5\",\"crv\":\"P-521\",%s},"
	    "{\"kty\":\"OKP\",\"kid\":\"d1\",\"crv\":\"Ed25519\",\"x\":\"%s\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"x\"},"
	    "{\"kty\":\"oct\",\"kid\":\"h1\",\"k\":\"%s\"}"
	    "]}",
	    bn_param(pks[PK_RSA], OSSL_PKEY_PARAM_RSA_N),
	    bn_param(pks[PK_RSA], OSSL_PKEY_PARAM_RSA_E),
	    ec_xy(pks[PK_EC256], 32), ec_xy(pks[PK_EC521], 66),
	    ed_x(pks[PK_ED]), base64url_encode(ta, hsecret, HSECRET_LEN));
	path = tmpfile_with(doc);
	ck_assert_msg(jwt_keys_from_jwks(path, &keys, &n, err,
	    sizeof(err)) == 0, "%s", err);
	unlink(path);
	ck_assert_uint_eq(n, 5);	/* the "enc" key skipped */
	ck_assert_str_eq(keys[0].kid, "r1");
	ck_assert_str_eq(keys[0].alg, "RS256");
	ck_assert_ptr_null(keys[1].alg);

	ck_assert_int_eq(verify_keys(keys, n, pk_tok("RS256", "r1", c,
	    "RS256", pks[PK_RSA])), JWT_OK);
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("PS256", "r1", c,
	    "PS256", pks[PK_RSA])), JWT_BAD_ALG);	/* "alg":"RS256" */
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("ES256", "e1", c,
	    "ES256", pks[PK_EC256])), JWT_OK);
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("ES512", "e5", c,
	    "ES512", pks[PK_EC521])), JWT_OK);
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("EdDSA", "d1", c,
	    "EdDSA", pks[PK_ED])), JWT_OK);
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("HS512", "h1", c,
	    "HS512", NULL)), JWT_OK);
	/* Only one key fits ES256: no kid needed. */
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("ES256", NULL, c,
	    "ES256", pks[PK_EC256])), JWT_OK);
	/* A kid of another key, and an unknown kid. */
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("ES256", "r1", c,
	    "ES256", pks[PK_EC256])), JWT_BAD_ALG);
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("ES256", "e9", c,
	    "ES256", pks[PK_EC256])), JWT_UNKNOWN_KID);
	ck_assert_int_eq(verify_keys(keys, n, pk_tok("HS256", "r1", c,
	    "HS256", NULL)), JWT_BAD_ALG);
	jwt_keys_free(keys, n);

	/* An empty set loads (nothing verifies with it). */
	path = tmpfile_with("{\"keys\":[]}");
	ck_assert_int_eq(jwt_keys_from_jwks(path, &keys, &n, err,
	    sizeof(err)), 0);
	unlink(path);
	ck_assert_uint_eq(n, 0);
	jwt_keys_free(keys, n);

	ck_assert_int_eq(jwt_keys_from_jwks("/nonexistent/jwks.json", &keys,
	    &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

struct jwks_bad {
	const char	*doc;
	const char	*msg;	/* expected in the error */
};

static const struct jwks_bad jwks_bad_cases[] = {
	{ "", "not a JSON object" },
	{ "[]", "not a JSON object" },
	{ "{\"keys\":{}}", "no \"keys\" array" },
	{ "{\"keys\":[1]}", "key 0: not an object" },
	{ "{\"keys\":[{\"kid\":\"a\"}]}", "key 0 (kid \"a\"): missing" },
	{ "{\"keys\":[{\"kty\":\"XYZ\",\"kid\":\"a\"}]}", "unsupported" },
	{ "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"e\":\"AQAB\"}]}",
	    "bad \"n\"" },
	{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
	    "key 0:" },				/* far too short */
	{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"A+B\",\"e\":\"AQAB\"}]}",
	    "bad \"n\"" },			/* not base64url */
	{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"a\",\"crv\":\"P-192\"}]}",
	    "unsupported \"crv\"" },
	{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
	    "\"x\":\"AAAA\",\"y\":\"AAAA\"}]}", "not a valid EC public key" },
	/* 33 bytes for a 32-byte coordinate. */
	{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
	    "\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"y\":\"AAAA\"}]}", "bad \"x\" or \"y\"" },
	{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
	    "\"x\":\"AAAA\"}]}", "bad \"x\" or \"y\"" },
	/* Right sizes, not a point on the curve. */
	{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
	    "\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
	    "not a valid EC public key" },
	{ "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}]}",
	    "Ed25519" },
	{ "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2hvcnQ\"}]}",
	    "shorter than 32" },
	{ "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"alg\":\"RS256\","
	    "\"k\":\"MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE\"}]}",
	    "does not match" },
	{ "{\"keys\":[{\"kty\":\"oct\",\"alg\":\"none\","
	    "\"k\":\"MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE\"}]}",
	    "unsupported \"alg\"" },
	{ "{\"keys\":[{\"kty\":\"oct\",\"kid\":7,"
	    "\"k\":\"MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE\"}]}",
	    "not a string" },
};

START_TEST(test_jwt_jwks_malformed)
{
	const struct jwks_bad	*c = &jwks_bad_cases[_i];
	struct jwt_key		*keys = (struct jwt_key *)1;
	size_t			 n = 99;
	char			 err[256] = "";
	char			*path;

	path = tmpfile_with(c->doc);
	ck_assert_int_eq(jwt_keys_from_jwks(path, &keys, &n, err,
	    sizeof(err)), -1);
	unlink(path);
	ck_assert_ptr_null(keys);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err, c->msg) != NULL, "doc %s: err \"%s\"",
	    c->doc, err);
}
END_TEST

/* An EC key in the middle of a valid set fails the whole set. */
START_TEST(test_jwt_jwks_one_bad_key)
{
	struct jwt_key	*keys = NULL;
	size_t		 n = 0;
	char		 err[256] = "";
	char		*path;

	path = tmpfile_with(fmt("{\"keys\":["
	    "{\"kty\":\"EC\",\"kid\":\"good\",\"crv\":\"P-384\",%s},"
	    "{\"kty\":\"EC\",\"kid\":\"bad\",\"crv\":\"P-256\",%s}]}",
	    ec_xy(pks[PK_EC384], 48), ec_xy(pks[PK_EC384], 48)));
	ck_assert_int_eq(jwt_keys_from_jwks(path, &keys, &n, err,
	    sizeof(err)), -1);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(err, "key 1 (kid \"bad\")"));
}
END_TEST

START_TEST(test_jwt_pem_load)
{
	struct jwt_key	 k;
	size_t		 len, i;
	char		 err[256] = "";
	char		*path;

	for (i = 0; i < PK__MAX; i++) {
		path = tmpfile_with(pk_pem(pks[i], &len));
		ck_assert_msg(jwt_key_from_pem(path, &k, err,
		    sizeof(err)) == 0, "%s", err);
		unlink(path);
		ck_assert_ptr_nonnull(k.pkey);
		ck_assert_ptr_null(k.secret);
		jwt_key_clear(&k);
	}
	path = tmpfile_with(pk_pem(pks[PK_RSA], &len));
	ck_assert_int_eq(jwt_key_from_pem(path, &k, err, sizeof(err)), 0);
	unlink(path);
	ck_assert_int_eq(verify_keys(&k, 1, pk_tok("PS512", NULL,
	    "{" C_STD "}", "PS512", pks[PK_RSA])), JWT_OK);
	jwt_key_clear(&k);

	path = tmpfile_with("not a key\n");
	ck_assert_int_eq(jwt_key_from_pem(path, &k, err, sizeof(err)), -1);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(err, "no PEM public key"));
	ck_assert_ptr_null(k.pkey);

	/* A 1024-bit RSA key is refused. */
	{
		EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)1024);

		ck_assert_ptr_nonnull(small);
		path = tmpfile_with(pk_pem(small, &len));
		EVP_PKEY_free(small);
		ck_assert_int_eq(jwt_key_from_pem(path, &k, err, sizeof(err)),
		    -1);
		unlink(path);
		ck_assert_ptr_nonnull(strstr(err, "1024 bits"));
	}
}
END_TEST

/*
 * Generated with PyJWT 2.6.0 and python3-cryptography 38.0.4:
 *   k = ec.generate_private_key(ec.SECP256R1())
 *   jwt.encode(claims, k, algorithm="ES256", headers={"kid": "ec-1"})
 * claims = {"sub": "bob@example.org",
 *   "tid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
 *   "roles": ["SystemAdmin"], "iss": "https://idp.example.org",
 *   "aud": "rosterd", "iat": 1700000000, "exp": 1700003600}
 */
static const char pyjwt_es256_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAIv0UsMvN8hadQ7CkRgVrenkHzFy\n"
    "qT4UAPa+FHYF6nH4oGI8Fu4wid1wVnuDpPInhHu7i/AtmrAhNbJXVuVSDQ==\n"
    "-----END PUBLIC KEY-----\n";
static const char pyjwt_es256_token[] =
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjLTEiLCJ0eXAiOiJKV1QifQ."
    "eyJzdWIiOiJib2JAZXhhbXBsZS5vcmciLCJ0aWQiOiIzZjI1MDRlMC00Zjg5LTExZDMt"
    "OWEwYy0wMzA1ZTgyYzMzMDEiLCJyb2xlcyI6WyJTeXN0ZW1BZG1pbiJdLCJpc3MiOiJo"
    "dHRwczovL2lkcC5leGFtcGxlLm9yZyIsImF1ZCI6InJvc3RlcmQiLCJpYXQiOjE3MDAw"
    "MDAwMDAsImV4cCI6MTcwMDAwMzYwMH0."
    "841eMeGVgx0aZNgQMAb3xMB1ZJCKuLRHhfAK9iHX8oGflR7zTNUa5otOf5ZrHB2qwcaK"
    "GAPHiaylNrO59DP19Q";

START_TEST(test_jwt_pyjwt_es256)
{
	struct jwt_key		 k;
	struct jwt_verifier	 v = {
		.nkeys = 1, .issuer = "https://idp.example.org",
		.audience = "rosterd", .leeway = 0, .require_exp = 1,
	};
	struct principal	 p;
	char			 err[256] = "";
	char			*path, *t;
	size_t			 len = strlen(pyjwt_es256_token);

	path = tmpfile_with(pyjwt_es256_pem);
	ck_assert_msg(jwt_key_from_pem(path, &k, err, sizeof(err)) == 0,
	    "%s", err);
	unlink(path);
	v.keys = &k;
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(jwt_verify(&v, pyjwt_es256_token, len, 1700001000,
	    ta, &p), JWT_OK);
	ck_assert_str_eq(p.sub, "bob@example.org");
	ck_assert_str_eq(p.tid, TID);
	ck_assert_uint_eq(p.roles, AUTH_ROLE_SYSTEM_ADMIN);
	ck_assert_int_eq(jwt_verify(&v, pyjwt_es256_token, len, 1700003600,
	    ta, &p), JWT_EXPIRED);

	/* Last signature symbol changed; same token called ES384. */
	t = arena_strdup(ta, pyjwt_es256_token);
	t[len - 2] = t[len - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(jwt_verify(&v, t, len, 1700001000, ta, &p),
	    JWT_BAD_SIGNATURE);
	k.alg = "ES384";
	ck_assert_int_eq(jwt_verify(&v, pyjwt_es256_token, len, 1700001000,
	    ta, &p), JWT_BAD_ALG);
	k.alg = NULL;
	jwt_key_clear(&k);
}
END_TEST

/*
 * Independent vectors for the public-key algorithms and the JWKS
 * loader, generated with PyJWT 2.6.0 and python3-cryptography 38.0.4:
 * an RSA 2048, a P-521 and an Ed25519 key, exported with
 * RSAAlgorithm/ECAlgorithm/OKPAlgorithm.to_jwk (kid added), and
 *   jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
 * (this PyJWT drops a leading zero byte: the P-521 "x" is 65 bytes)
 * claims = {"sub": "carol", "roles": ["TenantReader"],
 *   "iss": "https://idp.example.org", "aud": "rosterd",
 *   "iat": 1700000000, "exp": 1700003600}
 */
static const char pyjwt_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"key_ops\":[\"verify\"],\"n\":\"nyEo0pHIWQDGzd3d"
    "RzdJkXnVkugcdk6KWdWWtKGV8n8jFq0mL7stK89hwRbwBqL79wx22Pm7iIHh6r92"
    "-fCMCte4l8CvHbIsKhNYACwG4dlzGMaH79BoEaLRgoniFKlGH0NnR7gRh-Ll-9ru"
    "rODbK4XI4C55YATp6zu0TnGTrRYoX5DIvl9Czc45qeP1h_y_06xKXeuoEkjGornM"
    "nM5W2nFkG_DN5jxo2FCVCduc7t9bS3I6CCp8qSk7Zf_HIVF9LXBvrrqqUWl8pZ2X"
    "uV0ibPf_pYPkpyVAOdP0DDts39CPLSHRtFSkApms_mnW5W6EU0FHioOFsftAgRmc"
    "VEnipw\",\"e\":\"AQAB\",\"kid\":\"rsa-1\"},{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":"
    "\"-OdK6PPTJ7kEdOZeQ_FwqaQaFfI8t6T8S7wjZPigyx-HsAlhQxAbWys5BJpiMgy"
    "zMdMdx56b7VEUznz4jRoDILY\",\"y\":\"AVsKGjtYDWlRuUzcWpYArfqmYcekj58PG"
    "jlWzNZvUrcIeWlGBg1FI-3fDbvN4RePYiU6zmWT-bvlwZByAzcQoj67\",\"kid\":\""
    "ec-5\"},{\"x\":\"3pB2MtCpMTKbu7TVgsKjrWZhW4NoJVFNa12flx7hLCM\",\"kty\":"
    "\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed-1\"}]}";

static const struct {
	const char	*alg;
	const char	*token;
} pyjwt_pk_vecs[] = {
	{ "PS256",
	    "eyJhbGciOiJQUzI1NiIsImtpZCI6InJzYS0xIiwidHlwIjoiSldUIn0.eyJzdWIi"
	    "OiJjYXJvbCIsInJvbGVzIjpbIlRlbmFudFJlYWRlciJdLCJpc3MiOiJodHRwczov"
	    "L2lkcC5leGFtcGxlLm9yZyIsImF1ZCI6InJvc3RlcmQiLCJpYXQiOjE3MDAwMDAw"
	    "MDAsImV4cCI6MTcwMDAwMzYwMH0.jbt9BzXrtiyMBiYpo2c4_i8DvZqLwb5XRoYV"
	    "AUeVAfwlCxQSyTqfkDylXYvQUhte_KeDG81b648c8FgVT6ob6l7GUR6xbAT-iIck"
	    "7ZeC4DjDFXsz4MfO-Sn9-X-aJBL9_w5541DXrn47IfjqzTUkEElkBpex7gKW5Tz-"
	    "Xin8hEnm-a6UiUGRVj941B5azqO4IWK-eD9QKVGwG9TXHL4bvcF1XGOWEaYeO8Vv"
	    "0Lz6MzU_dhBwBuRl1UbjtPpNGsw6Tv_nSPIr4gLWIrV3UwMGbpU5W8PbwaXdctIg"
	    "5lCW_pCWIu5S0ZrdAlrWttnu6L0jfWNxKdLd3glCEl7RQvhCTg" },
	{ "RS512",
	    "eyJhbGciOiJSUzUxMiIsImtpZCI6InJzYS0xIiwidHlwIjoiSldUIn0.eyJzdWIi"
	    "OiJjYXJvbCIsInJvbGVzIjpbIlRlbmFudFJlYWRlciJdLCJpc3MiOiJodHRwczov"
	    "L2lkcC5leGFtcGxlLm9yZyIsImF1ZCI6InJvc3RlcmQiLCJpYXQiOjE3MDAwMDAw"
	    "MDAsImV4cCI6MTcwMDAwMzYwMH0.L2wz0zzzkTBHee9WPqRnvjYN2XBX_IgAyvaI"
	    "uwZ0pfk7eHZkXNFEpk25r8zfoNxlEsPzTtYbpH8ua11iYHHVCXeBj2scFiLUk8UN"
	    "RAOjL8u6KM_ZgjW3bnRHmDvhC1yxG5iWhfSE4wTpKCS39KnRIpbVu5J1SX8q0tdP"
	    "qsE0lm6VBaci7oo9_3I42Ou-wS-XnyRa036b8prYDfBcMAlBc_Q5PNrQJ7vdhdQk"
	    "lhgpJNnLauTL_ZPKehAHCJ1jFESvmXbge0otxfbYSm10rSBzCjrUjFKlPCMUEZ-8"
	    "0SDerM1J_tEa_yRgag6Mwo_2uiIyQTxAYnUvVhLLILZBu3nDKg" },
	{ "ES512",
	    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImVjLTUiLCJ0eXAiOiJKV1QifQ.eyJzdWIiO"
	    "iJjYXJvbCIsInJvbGVzIjpbIlRlbmFudFJlYWRlciJdLCJpc3MiOiJodHRwczovL"
	    "2lkcC5leGFtcGxlLm9yZyIsImF1ZCI6InJvc3RlcmQiLCJpYXQiOjE3MDAwMDAwM"
	    "DAsImV4cCI6MTcwMDAwMzYwMH0.AfyS3QDC5mn6Xi7poQKA44q17gQOJEH8B-K7E"
	    "MVrA0G-_g998GYnXMv6UOIkkOuru4uYsvofJ-OSTArkcj8Kz1nmAJIUFFDzGXMP4"
	    "LwVFG-_7cu_53Y0wTHjp-VlnE0gbV9hjo8WTCh72QL6WYMUtxYV7vi-nwjGfLel-"
	    "fvAzZIJj6SL" },
	{ "EdDSA",
	    "eyJhbGciOiJFZERTQSIsImtpZCI6ImVkLTEiLCJ0eXAiOiJKV1QifQ.eyJzdWIiO"
	    "iJjYXJvbCIsInJvbGVzIjpbIlRlbmFudFJlYWRlciJdLCJpc3MiOiJodHRwczovL"
	    "2lkcC5leGFtcGxlLm9yZyIsImF1ZCI6InJvc3RlcmQiLCJpYXQiOjE3MDAwMDAwM"
	    "DAsImV4cCI6MTcwMDAwMzYwMH0.WYZcoatMzt5c86uxPldmaaRCO830NRaFdbHQh"
	    "RQra40WYN34fdujmE2s0OV97NNwM-ztQsOm8uMHVIhc7sslAw" },
};

START_TEST(test_jwt_pyjwt_jwks)
{
	struct jwt_key		*keys = NULL;
	struct jwt_verifier	 v = {
		.issuer = "https://idp.example.org", .audience = "rosterd",
		.leeway = 0, .require_exp = 1,
	};
	struct principal	 p;
	size_t			 n = 0, i, len;
	char			 err[256] = "";
	char			*path, *t;

	path = tmpfile_with(pyjwt_jwks);
	ck_assert_msg(jwt_keys_from_jwks(path, &keys, &n, err,
	    sizeof(err)) == 0, "%s", err);
	unlink(path);
	ck_assert_uint_eq(n, 3);
	v.keys = keys;
	v.nkeys = n;
	for (i = 0; i < RS_ARRAY_LEN(pyjwt_pk_vecs); i++) {
		len = strlen(pyjwt_pk_vecs[i].token);
		memset(&p, 0, sizeof(p));
		ck_assert_msg(jwt_verify(&v, pyjwt_pk_vecs[i].token, len,
		    1700001000, ta, &p) == JWT_OK, "%s",
		    pyjwt_pk_vecs[i].alg);
		ck_assert_str_eq(p.sub, "carol");
		ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_READER);

		/* One signature symbol changed. */
		t = arena_strdup(ta, pyjwt_pk_vecs[i].token);
		t[len - 3] = t[len - 3] == 'A' ? 'B' : 'A';
		ck_assert_msg(jwt_verify(&v, t, len, 1700001000, ta, &p) ==
		    JWT_BAD_SIGNATURE, "%s tampered", pyjwt_pk_vecs[i].alg);
	}
	jwt_keys_free(keys, n);
}
END_TEST

static Suite *
base64_suite(void)
{
	Suite	*s = suite_create("base64");
	TCase	*tc = tcase_create("base64");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_b64_vectors, 0,
	    (int)RS_ARRAY_LEN(b64_vecs));
	tcase_add_test(tc, test_b64_not_nul_terminated);
	tcase_add_loop_test(tc, test_b64_std_invalid, 0,
	    (int)RS_ARRAY_LEN(b64_std_bad));
	tcase_add_loop_test(tc, test_b64_url_invalid, 0,
	    (int)RS_ARRAY_LEN(b64_url_bad));
	tcase_add_test(tc, test_b64_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
jwt_suite(void)
{
	Suite	*s = suite_create("jwt");
	TCase	*tc = tcase_create("jwt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jwt_mint_roundtrip);
	tcase_add_test(tc, test_jwt_mint_minimal);
	tcase_add_test(tc, test_jwt_mint_escapes);
	tcase_add_test(tc, test_jwt_pyjwt_vector);
	tcase_add_test(tc, test_jwt_cache);
	tcase_add_test(tc, test_jwt_cache_long_token);
	tcase_add_test(tc, test_jwt_cache_hash);
	tcase_add_test(tc, test_jwt_cache_collision);
	tcase_add_test(tc, test_jwt_tampered_payload);
	tcase_add_test(tc, test_jwt_tampered_signature);
	tcase_add_test(tc, test_jwt_alg_none);
	tcase_add_test(tc, test_jwt_wrong_secret);
	tcase_add_test(tc, test_jwt_kid_selection);
	tcase_add_test(tc, test_jwt_no_usable_key);
	tcase_add_loop_test(tc, test_jwt_headers, 0,
	    (int)RS_ARRAY_LEN(hdr_cases));
	tcase_add_test(tc, test_jwt_header_raw_nul);
	tcase_add_loop_test(tc, test_jwt_claims, 0,
	    (int)RS_ARRAY_LEN(claims_cases));
	tcase_add_test(tc, test_jwt_roles_and_tid);
	tcase_add_test(tc, test_jwt_leeway);
	tcase_add_test(tc, test_jwt_too_large);
	tcase_add_test(tc, test_jwt_shape);
	tcase_add_test(tc, test_jwt_bad_base64url);
	tcase_add_test(tc, test_jwt_padding);
	tcase_add_test(tc, test_jwt_deep_nesting);
	tcase_add_test(tc, test_jwt_status_str);
	suite_add_tcase(s, tc);

	/* Public keys: generated once, before the per-test fork. */
	tc = tcase_create("jwt-pk");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, pk_setup, pk_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_jwt_pk_algs, 0,
	    (int)RS_ARRAY_LEN(pk_cases));
	tcase_add_test(tc, test_jwt_pk_confusion);
	tcase_add_test(tc, test_jwt_jwks_load);
	tcase_add_loop_test(tc, test_jwt_jwks_malformed, 0,
	    (int)RS_ARRAY_LEN(jwks_bad_cases));
	tcase_add_test(tc, test_jwt_jwks_one_bad_key);
	tcase_add_test(tc, test_jwt_pem_load);
	tcase_add_test(tc, test_jwt_pyjwt_es256);
	tcase_add_test(tc, test_jwt_pyjwt_jwks);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
authz_suite(void)
{
	Suite	*s = suite_create("authz");
	TCase	*tc = tcase_create("authz");

	tcase_add_loop_test(tc, test_authz_table, 0,
	    (int)RS_ARRAY_LEN(authz_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;

	sr = srunner_create(base64_suite());
	srunner_add_suite(sr, jwt_suite());
	srunner_add_suite(sr, authz_suite());
	return unit_run(sr);
}
