/*
 * fuzz_jwt.c: the JWT parser and verifier (auth/jwt.c) with fixed keys:
 * an HS256 secret and a P-256 key (ES256), both without kid, behind a
 * strict verifier (issuer, audience, exp required, 60 s leeway) and a
 * lax one (nothing but the signature and the times).
 *
 * The first input byte picks the mode (low two bits):
 *	0  the rest is a token, as sent;
 *	1  the rest is "header JSON \n claims JSON" (no newline: the claims
 *	   under {"alg":"HS256"}), signed here with the HS256 secret;
 *	2  the same, signed with the EC key (default header ES256);
 *	3  the same as 1, signed with another secret.
 * Modes 1 and 2 reach the header and claims checks, which random bytes
 * never would past the signature.
 *
 * Properties: a status is one of enum jwt_status; an accepted token
 * carries a signature that one of the keys made (checked here
 * independently with OpenSSL), a non-empty sub, a canonical tid or
 * none, known role bits only; accepted by the strict verifier means
 * accepted by the lax one; a token signed with another secret is never
 * accepted; and once a token is accepted, changing any one character
 * (of the header, the payload or the signature), one bit of the
 * signature's bytes, dropping its last character or adding padding
 * makes it refused.
 */
#define FUZZ_NAME "jwt"
#include "fuzz.h"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "../../src/auth/auth.h"

#define NOW ((time_t)1800000000)

static const unsigned char secret[] = "rosterd-fuzz-hs256-secret-32byte";
static const unsigned char other[] = "some-other-secret-of-32-bytes!!!";
#define SECRET_LEN (sizeof(secret) - 1)

/* A P-256 key made for this target only (openssl ecparam). */
static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgV1+N4NynPYLT4aCq\n"
    "97WSCDebIZ2CzkEodmw3dtUXmmyhRANCAAThHED/KU8J05ub7g27Np8nFXArngRk\n"
    "SV4EAuZy+fg2sk0nbuVDEefGdMXRzN6rSV7SEutSM4ZHudfplN5NaRVS\n"
    "-----END PRIVATE KEY-----\n";

static EVP_PKEY *ec;
static struct jwt_key keys[2];
static struct jwt_verifier strict, lax;

static void
setup(void)
{
	BIO *bio;

	if (ec != NULL)
		return;
	bio = BIO_new_mem_buf(ec_pem, (int)sizeof(ec_pem) - 1);
	ec = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (ec == NULL)
		fuzz_fail("the EC key does not load");
	keys[0].secret = secret;
	keys[0].secret_len = SECRET_LEN;
	keys[1].pkey = ec;
	strict.keys = lax.keys = keys;
	strict.nkeys = lax.nkeys = 2;
	strict.issuer = "https://issuer.test/";
	strict.audience = "rosterd";
	strict.leeway = lax.leeway = 60;
	strict.require_exp = 1;
}

/* HMAC-SHA256 under key, base64url. */
static char *
hs256(struct arena *a, const unsigned char *key, const char *in, size_t n)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key, (int)SECRET_LEN, (const unsigned char *)in,
	    n, mac, &len) == NULL)
		fuzz_fail("HMAC failed");
	return base64url_encode(a, mac, len);
}

/* ES256 (raw R || S) under the EC key, base64url. */
static char *
es256(struct arena *a, const char *in, size_t n)
{
	unsigned char der[128], raw[64];
	const unsigned char *p = der;
	size_t len = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    ec) != 1 || EVP_DigestSign(ctx, der, &len,
	    (const unsigned char *)in, n) != 1)
		fuzz_fail("ES256 signing failed");
	EVP_MD_CTX_free(ctx);
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) != 32)
		fuzz_fail("ES256 signature conversion failed");
	ECDSA_SIG_free(es);
	return base64url_encode(a, raw, sizeof(raw));
}

/* Did one of the keys make sig over in[0..n)?  Independent of jwt.c. */
static int
authentic(struct arena *a, const char *in, size_t n, const char *sig64)
{
	unsigned char *sig, der[160], *q = der;
	size_t siglen;
	EVP_MD_CTX *ctx;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	int dlen, ok = 0;

	if (strcmp(hs256(a, secret, in, n), sig64) == 0)
		return 1;
	if (base64url_decode(a, sig64, strlen(sig64), &sig, &siglen) != 0 ||
	    siglen != 64)
		return 0;
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	es = ECDSA_SIG_new();
	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		fuzz_fail("ECDSA_SIG setup failed");
	dlen = i2d_ECDSA_SIG(es, &q);
	ECDSA_SIG_free(es);
	ctx = EVP_MD_CTX_new();
	if (dlen > 0 && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL,
	    EVP_sha256(), NULL, ec) == 1)
		ok = EVP_DigestVerify(ctx, der, (size_t)dlen,
		    (const unsigned char *)in, n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static enum jwt_status
verify(const struct jwt_verifier *v, struct arena *a, const char *t,
    size_t n, struct principal *p)
{
	enum jwt_status st;

	memset(p, 0, sizeof(*p));
	st = jwt_verify(v, t, n, NOW, a, p);
	if ((unsigned)st >= JWT__MAX)
		fuzz_fail("status %d", (int)st);
	if (jwt_status_str(st) == NULL)
		fuzz_fail("no text for status %d", (int)st);
	if (n > JWT_MAX_TOKEN && st != JWT_TOO_LARGE)
		fuzz_fail("a token of %zu bytes got %d", n, (int)st);
	return st;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* t was accepted: no change of one character may be. */
static void
tamper(const struct jwt_verifier *v, struct arena *a, const char *t,
    size_t n)
{
	struct principal p;
	const char *dot2 = strrchr(t, '.');
	unsigned char *sig;
	size_t siglen, at, k, pos[5];
	char *u;
	int i;

	pos[0] = 0;				/* header */
	pos[1] = (size_t)(strchr(t, '.') - t) + 1;	/* payload */
	pos[2] = (size_t)(dot2 - t) + 1;	/* signature, first */
	pos[3] = n - 1;				/* signature, last */
	pos[4] = (pos[1] + pos[2]) / 2;		/* inside the payload */
	for (i = 0; i < 5; i++) {
		at = pos[i];
		if (at >= n || t[at] == '.')
			continue;
		u = fuzz_copy(a, (const uint8_t *)t, n);
		for (k = 0; k < 64; k++) {
			u[at] = b64url[(k + (size_t)t[at]) % 64];
			if (u[at] == t[at])
				continue;
			if (verify(v, a, u, n, &p) == JWT_OK)
				fuzz_fail("accepted with character %zu "
				    "changed to '%c'", at, u[at]);
			if (k > 4)
				break;
		}
	}
	/* one bit of the signature's bytes */
	if (base64url_decode(a, dot2 + 1, strlen(dot2 + 1), &sig,
	    &siglen) == 0 && siglen > 0) {
		sig[(n * 7) % siglen] ^= (unsigned char)(1u << (n % 8));
		u = arena_sprintf(a, "%.*s.%s", (int)(dot2 - t), t,
		    base64url_encode(a, sig, siglen));
		if (verify(v, a, u, strlen(u), &p) == JWT_OK)
			fuzz_fail("accepted with a signature bit flipped");
	}
	if (n > 0 && verify(v, a, t, n - 1, &p) == JWT_OK)
		fuzz_fail("accepted without its last character");
	u = arena_sprintf(a, "%s=", t);
	if (verify(v, a, u, n + 1, &p) == JWT_OK)
		fuzz_fail("accepted with '=' padding added");
}

static void
check_principal(const struct principal *p)
{
	if (p->sub == NULL || p->sub[0] == '\0')
		fuzz_fail("accepted without sub");
	if (p->tid != NULL && (strlen(p->tid) != UUID_STR_LEN ||
	    !uuid_valid(p->tid, UUID_STR_LEN) ||
	    strspn(p->tid, "0123456789abcdef-") != UUID_STR_LEN))
		fuzz_fail("tid '%s' is not canonical", p->tid);
	if (p->roles & ~(unsigned)(AUTH_ROLE_SYSTEM_ADMIN |
	    AUTH_ROLE_TENANT_ADMIN | AUTH_ROLE_TENANT_READER))
		fuzz_fail("unknown role bits %x", p->roles);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	struct principal p;
	const char *hdr, *claims, *dflt, *t;
	char *rest, *nl, *in;
	enum jwt_status ss, sl;
	size_t n;
	int mode;

	if (size == 0)
		return 0;
	setup();
	mode = data[0] & 3;
	rest = fuzz_copy(a, data + 1, size - 1);
	n = size - 1;
	if (mode == 0)
		t = rest;
	else {
		dflt = mode == 2 ? "{\"alg\":\"ES256\"}" : "{\"alg\":\"HS256\"}";
		if ((nl = memchr(rest, '\n', n)) != NULL) {
			*nl = '\0';
			hdr = base64url_encode(a, rest, (size_t)(nl - rest));
			claims = base64url_encode(a, nl + 1,
			    n - (size_t)(nl + 1 - rest));
		} else {
			hdr = base64url_encode(a, dflt, strlen(dflt));
			claims = base64url_encode(a, rest, n);
		}
		in = arena_sprintf(a, "%s.%s", hdr, claims);
		t = arena_sprintf(a, "%s.%s", in, mode == 2 ?
		    es256(a, in, strlen(in)) : hs256(a, mode == 3 ? other :
		    secret, in, strlen(in)));
		n = strlen(t);
	}
	ss = verify(&strict, a, t, n, &p);
	if (ss == JWT_OK)
		check_principal(&p);
	sl = verify(&lax, a, t, n, &p);
	if (sl == JWT_OK)
		check_principal(&p);
	if (ss == JWT_OK && sl != JWT_OK)
		fuzz_fail("strict accepted, lax refused (%d)", (int)sl);
	if (sl == JWT_OK) {
		const char *dot2 = strrchr(t, '.');

		if (mode == 3)
			fuzz_fail("accepted a token signed with another "
			    "secret");
		if (memchr(t, '\0', n) != NULL || dot2 == NULL ||
		    !authentic(a, t, (size_t)(dot2 - t), dot2 + 1))
			fuzz_fail("accepted a signature no key made");
		fuzz_accepted++;
		tamper(&lax, a, t, n);
	}
	arena_reset(a);
	return 0;
}
