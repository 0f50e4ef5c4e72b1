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

#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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
	    JWT_NO_KEY);
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
	    TSECRET_LEN), &p), JWT_NO_KEY);
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
	/* A key exists but holds no HS256 secret (a future public key). */
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
	{ "{" C_STD ",\"roles\":\"SystemAdmin\"}", JWT_BAD_CLAIMS },
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
	/* rights outside the enum */
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
