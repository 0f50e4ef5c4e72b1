/*
 * check_jwt_issuers.c: unit tests for trusted issuers: the choice of
 * the one issuer a token's iss names (auth/jwt.c), its keys only, kid
 * without fallback, aud lists, typ, claim paths and role maps in the
 * shapes Keycloak, Auth0, Microsoft Entra and Okta document, the cache
 * against a withdrawn fetched key (auth/jwt_cache.c), and the [issuer
 * NAME] sections of the configuration (config.c).
 *
 * Tokens are signed here with OpenSSL from raw JSON, so the verifier
 * sees exactly the shapes written below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "unit.h"
#include "../../src/config.h"

#define NOW	((time_t)1800000000)
#define EXP	"\"exp\":1800000300"
#define TID	"3f2504e0-4f89-11d3-9a0c-0305e82c3301"

static const unsigned char sec_a[] = "issuer-a-secret-of-at-least-32-bytes";
static const unsigned char sec_b[] = "issuer-b-secret-of-at-least-32-bytes";
#define SEC_LEN	(sizeof(sec_a) - 1)

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

/* header and claims JSON, HS256-signed with key. */
static char *
hs(const char *hdr, const char *claims, const unsigned char *key)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	char		*in;

	in = fmt("%s.%s", base64url_encode(ta, hdr, strlen(hdr)),
	    base64url_encode(ta, claims, strlen(claims)));
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)SEC_LEN,
	    (const unsigned char *)in, strlen(in), mac, &n));
	return fmt("%s.%s", in, base64url_encode(ta, mac, n));
}

/* header and claims JSON, ES256-signed (raw R || S) with pk. */
static char *
es(const char *hdr, const char *claims, EVP_PKEY *pk)
{
	unsigned char	 der[128], raw[64];
	const unsigned char *p = der;
	size_t		 len = sizeof(der);
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	ECDSA_SIG	*sig;
	char		*in;

	in = fmt("%s.%s", base64url_encode(ta, hdr, strlen(hdr)),
	    base64url_encode(ta, claims, strlen(claims)));
	ck_assert(ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(),
	    NULL, pk) == 1 && EVP_DigestSign(ctx, der, &len,
	    (const unsigned char *)in, strlen(in)) == 1);
	EVP_MD_CTX_free(ctx);
	ck_assert_ptr_nonnull(sig = d2i_ECDSA_SIG(NULL, &p, (long)len));
	ck_assert_int_eq(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32), 32);
	ck_assert_int_eq(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32),
	    32);
	ECDSA_SIG_free(sig);
	return fmt("%s.%s", in, base64url_encode(ta, raw, sizeof(raw)));
}

/* A fetched key set, as a remote_keys callback hands it out. */
struct fake_remote {
	const struct jwt_key *keys;
	size_t		 n;
	int		 refreshes;
};

static int
fake_keys(void *ctx, const struct jwt_key **keys, size_t *n)
{
	struct fake_remote *r = ctx;

	*keys = r->keys;
	*n = r->n;
	return 0;
}

static void
fake_refresh(void *ctx)
{
	((struct fake_remote *)ctx)->refreshes++;
}

static const struct jwt_key key_a = { .kid = "a1", .secret = sec_a,
    .secret_len = SEC_LEN };
static const struct jwt_key key_b = { .kid = NULL, .secret = sec_b,
    .secret_len = SEC_LEN };

/* Two issuers: a (kid a1) and b (no kid, two audiences). */
static void
two_issuers(struct jwt_verifier v[2])
{
	memset(v, 0, 2 * sizeof(*v));
	v[0].name = "a";
	v[0].keys = &key_a;
	v[0].nkeys = 1;
	v[0].issuer = "https://a.test/";
	v[0].audience = "api-a";
	v[0].require_exp = 1;
	v[1].name = "b";
	v[1].keys = &key_b;
	v[1].nkeys = 1;
	v[1].issuer = "https://b.test/";
	v[1].audience = "api-b, api-b2";
	v[1].require_exp = 1;
}

static enum jwt_status
trusted(const struct jwt_verifier *v, size_t n, const char *t,
    struct principal *p)
{
	struct jwt_trust tr = { v, n, 0 };

	memset(p, 0, sizeof(*p));
	return jwt_verify_trusted(&tr, t, strlen(t), NOW, ta, p, NULL, NULL);
}

#define H_A	"{\"alg\":\"HS256\",\"kid\":\"a1\"}"
#define H_B	"{\"alg\":\"HS256\"}"

START_TEST(test_issuer_picks_keys)
{
	struct jwt_verifier v[2];
	struct principal p;

	two_issuers(v);
	/* each issuer with its own key */
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "\"https://a.test/\",\"aud\":\"api-a\"," EXP "}", sec_a), &p),
	    JWT_OK);
	ck_assert_str_eq(p.issuer, "a");
	ck_assert_int_eq(trusted(v, 2, hs(H_B, "{\"sub\":\"u\",\"iss\":"
	    "\"https://b.test/\",\"aud\":\"api-b2\"," EXP "}", sec_b), &p),
	    JWT_OK);
	ck_assert_str_eq(p.issuer, "b");
	/* a token claiming b, signed with a's key (and a's kid) */
	ck_assert_int_eq(trusted(v, 2, hs(H_B, "{\"sub\":\"u\",\"iss\":"
	    "\"https://b.test/\",\"aud\":\"api-b\"," EXP "}", sec_a), &p),
	    JWT_BAD_SIGNATURE);
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "\"https://b.test/\",\"aud\":\"api-b\"," EXP "}", sec_a), &p),
	    JWT_BAD_SIGNATURE);
	/* claiming a, signed with b's key */
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "\"https://a.test/\",\"aud\":\"api-a\"," EXP "}", sec_b), &p),
	    JWT_BAD_SIGNATURE);
	/* no issuer of that name, exactly */
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "\"https://a.test\",\"aud\":\"api-a\"," EXP "}", sec_a), &p),
	    JWT_BAD_ISSUER);
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\","
	    "\"aud\":\"api-a\"," EXP "}", sec_a), &p), JWT_BAD_ISSUER);
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "[\"https://a.test/\"],\"aud\":\"api-a\"," EXP "}", sec_a), &p),
	    JWT_BAD_ISSUER);
	/* the right key for another issuer's audience */
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "\"https://a.test/\",\"aud\":\"api-b\"," EXP "}", sec_a), &p),
	    JWT_BAD_AUDIENCE);
	ck_assert_int_eq(trusted(v, 2, hs(H_A, "{\"sub\":\"u\",\"iss\":"
	    "\"https://a.test/\"," EXP "}", sec_a), &p), JWT_BAD_AUDIENCE);
	ck_assert_int_eq(trusted(v, 2, hs(H_B, "{\"sub\":\"u\",\"iss\":"
	    "\"https://b.test/\",\"aud\":[\"x\",\"api-b\"]," EXP "}", sec_b),
	    &p), JWT_OK);
	ck_assert_int_eq(trusted(v, 2, hs(H_B, "{\"sub\":\"u\",\"iss\":"
	    "\"https://b.test/\",\"aud\":\"api-b, api-b2\"," EXP "}", sec_b),
	    &p), JWT_BAD_AUDIENCE);
	/* no issuer configured at all */
	ck_assert_int_eq(trusted(v, 0, hs(H_A, "{\"sub\":\"u\"}", sec_a), &p),
	    JWT_NO_KEY);
}
END_TEST

START_TEST(test_unknown_kid_no_fallback)
{
	struct jwt_key	 remote[1] = { { .kid = "r1", .secret = sec_b,
	    .secret_len = SEC_LEN } };
	struct jwt_key	 kidless = { .secret = sec_a, .secret_len = SEC_LEN };
	struct fake_remote fr = { remote, 1, 0 };
	struct jwt_verifier v[2];
	struct principal p;
	const char	*c = "{\"sub\":\"u\",\"iss\":\"https://a.test/\","
	    "\"aud\":\"api-a\"," EXP "}";

	two_issuers(v);
	/* a kid issuer a lacks, signed with b's kid-less key: not b's */
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"kid\":\"zz\"}",
	    c, sec_b), &p), JWT_UNKNOWN_KID);
	/* nor a kid-less key of a's own once the set has kids */
	v[0].keys = &kidless;
	v[0].remote_keys = fake_keys;
	v[0].refresh = fake_refresh;
	v[0].remote_ctx = &fr;
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"kid\":\"zz\"}",
	    c, sec_a), &p), JWT_UNKNOWN_KID);
	ck_assert_int_eq(fr.refreshes, 1);	/* asked for a refetch */
	/* the fetched kid works; the kid-less file key without a kid too */
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"kid\":\"r1\"}",
	    c, sec_b), &p), JWT_OK);
	ck_assert_int_eq(fr.refreshes, 1);
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"kid\":\"r1\"}",
	    c, sec_a), &p), JWT_BAD_SIGNATURE);
	/* nothing fetched yet: no key, and a refetch asked for */
	fr.n = 0;
	v[0].keys = NULL;
	v[0].nkeys = 0;
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"kid\":\"r1\"}",
	    c, sec_b), &p), JWT_NO_KEY);
	ck_assert_int_eq(fr.refreshes, 2);
	/* a set without any kid still lets its keys stand in */
	v[0].keys = &kidless;
	v[0].nkeys = 1;
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"kid\":\"any\"}",
	    c, sec_a), &p), JWT_OK);
}
END_TEST

START_TEST(test_typ)
{
	struct jwt_verifier v[2];
	struct principal p;
	const char	*c = "{\"sub\":\"u\",\"iss\":\"https://b.test/\","
	    "\"aud\":\"api-b\"," EXP "}";

	two_issuers(v);
	v[1].typ = "at+jwt";
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"typ\":"
	    "\"at+jwt\"}", c, sec_b), &p), JWT_OK);
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"typ\":"
	    "\"application/AT+JWT\"}", c, sec_b), &p), JWT_OK);
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"typ\":"
	    "\"JWT\"}", c, sec_b), &p), JWT_BAD_TYP);
	ck_assert_int_eq(trusted(v, 2, hs(H_B, c, sec_b), &p), JWT_BAD_TYP);
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"typ\":1}", c,
	    sec_b), &p), JWT_BAD_TYP);
	/* a forged token is refused for its signature first */
	ck_assert_int_eq(trusted(v, 2, hs(H_B, c, sec_a), &p),
	    JWT_BAD_SIGNATURE);
	/* the header is strict JSON too */
	ck_assert_int_eq(trusted(v, 2, hs("{\"alg\":\"HS256\",\"typ\":"
	    "\"at+jwt\",\"alg\":\"none\"}", c, sec_b), &p), JWT_MALFORMED);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 n;		/* 0: refused */
	const char	*last;
} path_cases[] = {
	{ "roles", 1, "roles" },
	{ "realm_access.roles", 2, "roles" },
	{ "https://rosterd.example/roles", 1,
	    "https://rosterd.example/roles" },
	{ "http://x.example/a.b", 1, "http://x.example/a.b" },
	{ "resource_access.\"my.client\".roles", 3, "roles" },
	{ "\"https://rosterd.example/claims\".roles", 2, "roles" },
	{ "\"a.b\"", 1, "a.b" },
	{ "a.b.c.d.e.f.g.h", 8, "h" },
	{ "a.b.c.d.e.f.g.h.i", 0, NULL },
	{ "", 0, NULL },
	{ "a..b", 0, NULL },
	{ ".a", 0, NULL },
	{ "a.", 0, NULL },
	{ "\"a", 0, NULL },
	{ "a\"b\"", 0, NULL },
	{ "\"a\"b", 0, NULL },
	{ "\"\"", 0, NULL },
};

START_TEST(test_claim_path_parse)
{
	struct jwt_claim_path path;
	char err[128];
	int rc;

	rc = jwt_claim_path_parse(path_cases[_i].in, &path, err, sizeof(err));
	if (path_cases[_i].n == 0) {
		ck_assert_msg(rc == -1, "%s accepted", path_cases[_i].in);
		ck_assert_uint_eq(path.nseg, 0);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", path_cases[_i].in, err);
	ck_assert_uint_eq(path.nseg, path_cases[_i].n);
	ck_assert_str_eq(path.seg[path.nseg - 1], path_cases[_i].last);
	jwt_claim_path_free(&path);
}
END_TEST

/* One issuer with claim paths and a role map, all from text. */
struct mapped {
	struct jwt_claim_path subject, tenant, roles;
	struct jwt_role_map map[4];
	struct jwt_verifier v;
};

static void
mapped_init(struct mapped *m, const char *sub, const char *tenant,
    const char *roles, const char *const *map)
{
	char err[128];
	size_t n;

	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(jwt_claim_path_parse(sub, &m->subject, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(jwt_claim_path_parse(tenant, &m->tenant, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(jwt_claim_path_parse(roles, &m->roles, err,
	    sizeof(err)), 0);
	for (n = 0; map != NULL && map[2 * n] != NULL; n++) {
		m->map[n].name = (char *)map[2 * n];
		m->map[n].bit = auth_role_bit(map[2 * n + 1]);
	}
	m->v.name = "idp";
	m->v.keys = &key_b;
	m->v.nkeys = 1;
	m->v.issuer = "https://idp.test/";
	m->v.audience = "rosterd";
	m->v.require_exp = 1;
	m->v.subject = &m->subject;
	m->v.tenant = &m->tenant;
	m->v.roles = &m->roles;
	m->v.role_map = n > 0 ? m->map : NULL;
	m->v.nrole_map = n;
}

static void
mapped_free(struct mapped *m)
{
	jwt_claim_path_free(&m->subject);
	jwt_claim_path_free(&m->tenant);
	jwt_claim_path_free(&m->roles);
}

#define IDP	"\"iss\":\"https://idp.test/\",\"aud\":\"rosterd\"," EXP

/*
 * Keycloak: realm roles under realm_access.roles (client roles under
 * resource_access.<client>.roles), the tenant a user-attribute mapper
 * puts in a tid claim.
 */
START_TEST(test_shape_keycloak)
{
	static const char *const map[] = { "rosterd-admin", "TenantAdmin",
	    NULL };
	struct mapped m;
	struct principal p;

	mapped_init(&m, "sub", "tid", "realm_access.roles", map);
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"exp\":1800000300,"
	    "\"iat\":1799999700,\"jti\":\"6a1c\",\"iss\":\"https://idp.test/\","
	    "\"aud\":\"rosterd\",\"sub\":\"f1b0c4a2-9a0e-4c1d\","
	    "\"typ\":\"Bearer\",\"azp\":\"rosterd\",\"tid\":\"" TID "\","
	    "\"realm_access\":{\"roles\":[\"offline_access\","
	    "\"uma_authorization\",\"rosterd-admin\"]},\"resource_access\":"
	    "{\"account\":{\"roles\":[\"manage-account\"]}},\"scope\":"
	    "\"profile email\"}", sec_b), &p), JWT_OK);
	ck_assert_str_eq(p.sub, "f1b0c4a2-9a0e-4c1d");
	ck_assert_str_eq(p.tid, TID);
	ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_ADMIN);
	/* realm_access that is not an object: refused, not ignored */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP
	    ",\"realm_access\":[\"rosterd-admin\"]}", sec_b), &p),
	    JWT_BAD_CLAIMS);
	/* no realm_access: no roles */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP "}",
	    sec_b), &p), JWT_OK);
	ck_assert_uint_eq(p.roles, 0);
	/* with a role map, rosterd's own names grant nothing */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP
	    ",\"realm_access\":{\"roles\":[\"SystemAdmin\"]}}", sec_b), &p),
	    JWT_OK);
	ck_assert_uint_eq(p.roles, 0);
	mapped_free(&m);
}
END_TEST

/* Auth0: custom claims must be namespaced with a URL, dots and all. */
START_TEST(test_shape_auth0)
{
	static const char *const map[] = { "admin", "TenantAdmin",
	    "viewer", "TenantReader", NULL };
	struct mapped m;
	struct principal p;

	mapped_init(&m, "sub", "https://rosterd.example.com/tenant",
	    "https://rosterd.example.com/roles", map);
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{"
	    "\"https://rosterd.example.com/roles\":[\"viewer\"],"
	    "\"https://rosterd.example.com/tenant\":\"" TID "\","
	    "\"iss\":\"https://idp.test/\",\"sub\":\"auth0|64f1c2\","
	    "\"aud\":[\"rosterd\",\"https://tenant.eu.auth0.com/userinfo\"],"
	    "\"iat\":1799999700," EXP ",\"scope\":\"openid profile\","
	    "\"azp\":\"Xq3Z\",\"permissions\":[]}", sec_b), &p), JWT_OK);
	ck_assert_str_eq(p.sub, "auth0|64f1c2");
	ck_assert_str_eq(p.tid, TID);
	ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_READER);
	/* the dotted name is one member, never a path */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP
	    ",\"https://rosterd\":{\"example\":{\"com/roles\":[\"admin\"]}}}",
	    sec_b), &p), JWT_OK);
	ck_assert_uint_eq(p.roles, 0);
	mapped_free(&m);
}
END_TEST

/*
 * Microsoft Entra ID: app roles in roles, the directory's id in tid
 * (an external id, mapped), the stable user id in oid.
 */
START_TEST(test_shape_entra)
{
	static const char *const map[] = { "Rosterd.Admin", "TenantAdmin",
	    "Rosterd.Read", "TenantReader", NULL };
	struct mapped m;
	struct principal p;

	mapped_init(&m, "oid", "tid", "roles", map);
	m.v.tenant_map = 1;
	ck_assert_int_eq(trusted(&m.v, 1, hs("{\"typ\":\"JWT\","
	    "\"alg\":\"HS256\"}", "{\"aud\":\"rosterd\","
	    "\"iss\":\"https://idp.test/\",\"iat\":1799999700,"
	    "\"nbf\":1799999700," EXP ",\"aio\":\"E2Zg\","
	    "\"azp\":\"5f4c\",\"azpacr\":\"1\",\"idp\":\"https://sts.windows."
	    "net/72f988bf-86f1-41af-91ab-2d7cd011db47/\",\"oid\":"
	    "\"0b5e8f6c-2d5a-4b8e-9c1d-1e2f3a4b5c6d\",\"rh\":\"0.AR\","
	    "\"roles\":[\"Rosterd.Admin\"],\"sub\":\"pairwise-x\","
	    "\"tid\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\",\"uti\":\"q\","
	    "\"ver\":\"2.0\"}", sec_b), &p), JWT_OK);
	ck_assert_str_eq(p.sub, "0b5e8f6c-2d5a-4b8e-9c1d-1e2f3a4b5c6d");
	ck_assert_ptr_null(p.tid);	/* mapped by the caller */
	ck_assert_str_eq(p.tenant_ext, "72f988bf-86f1-41af-91ab-2d7cd011db47");
	ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_ADMIN);
	/* an app role named SystemAdmin by a stranger grants nothing */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"oid\":\"x\"," IDP
	    ",\"roles\":[\"SystemAdmin\"],\"tid\":\"t\"}", sec_b), &p),
	    JWT_OK);
	ck_assert_uint_eq(p.roles, 0);
	/* the external id must be a non-empty string */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"oid\":\"x\"," IDP
	    ",\"tid\":\"\"}", sec_b), &p), JWT_BAD_CLAIMS);
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"oid\":\"x\"," IDP
	    ",\"tid\":7}", sec_b), &p), JWT_BAD_CLAIMS);
	/* no oid: no subject */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"x\"," IDP "}",
	    sec_b), &p), JWT_BAD_CLAIMS);
	mapped_free(&m);
}
END_TEST

/*
 * Okta: group names in a groups claim; a single-valued claim sent as a
 * string is that one name, blanks and all.
 */
START_TEST(test_shape_okta)
{
	static const char *const map[] = { "Rosterd Admins", "TenantAdmin",
	    "rosterd-readers", "TenantReader", NULL };
	struct mapped m;
	struct principal p;

	mapped_init(&m, "sub", "tid", "groups", map);
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"ver\":1,"
	    "\"jti\":\"AT.x\",\"iss\":\"https://idp.test/\","
	    "\"aud\":\"rosterd\",\"iat\":1799999700," EXP ",\"cid\":\"0oa1\","
	    "\"uid\":\"00u1\",\"scp\":[\"openid\"],\"auth_time\":1799999000,"
	    "\"sub\":\"ada@example.com\",\"groups\":[\"Everyone\","
	    "\"rosterd-readers\"],\"tid\":\"" TID "\"}", sec_b), &p), JWT_OK);
	ck_assert_str_eq(p.sub, "ada@example.com");
	ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_READER);
	/* a string: one name, never split */
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP
	    ",\"groups\":\"Rosterd Admins\"}", sec_b), &p), JWT_OK);
	ck_assert_uint_eq(p.roles, AUTH_ROLE_TENANT_ADMIN);
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP
	    ",\"groups\":\"Everyone rosterd-readers\"}", sec_b), &p),
	    JWT_OK);
	ck_assert_uint_eq(p.roles, 0);
	ck_assert_int_eq(trusted(&m.v, 1, hs(H_B, "{\"sub\":\"u\"," IDP
	    ",\"groups\":[\"Everyone\",3]}", sec_b), &p), JWT_BAD_CLAIMS);
	mapped_free(&m);
}
END_TEST

/*
 * A token verified with a fetched key is served from the cache only
 * while that key is in the issuer's current set.
 */
START_TEST(test_cache_withdrawn_key)
{
	EVP_PKEY	*pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct jwt_key	 fetched[1];
	struct fake_remote fr = { fetched, 1, 0 };
	struct jwt_verifier v;
	struct jwt_trust tr = { &v, 1, 0 };
	struct jwt_cache *c = calloc(1, sizeof(*c));
	struct principal p;
	char		*t;

	ck_assert_ptr_nonnull(pk);
	ck_assert_ptr_nonnull(c);
	memset(fetched, 0, sizeof(fetched));
	fetched[0].kid = "e1";
	fetched[0].pkey = pk;
	memset(&v, 0, sizeof(v));
	v.name = "idp";
	v.issuer = "https://idp.test/";
	v.audience = "rosterd";
	v.require_exp = 1;
	v.remote_keys = fake_keys;
	v.refresh = fake_refresh;
	v.remote_ctx = &fr;
	t = es("{\"alg\":\"ES256\",\"kid\":\"e1\"}", "{\"sub\":\"u\"," IDP
	    "}", pk);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, strlen(t), NOW, ta, &p),
	    JWT_OK);
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, strlen(t), NOW, ta, &p),
	    JWT_OK);
	ck_assert_uint_eq(c->hits, 1);
	/* the issuer withdrew the key: the cached token goes with it */
	fr.n = 0;
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, strlen(t), NOW, ta, &p),
	    JWT_NO_KEY);
	ck_assert_uint_eq(c->hits, 1);
	fr.n = 1;
	ck_assert_int_eq(jwt_verify_cached(c, &tr, t, strlen(t), NOW, ta, &p),
	    JWT_OK);
	jwt_cache_clear(c);
	free(c);
	EVP_PKEY_free(pk);
}
END_TEST

/* Every refusal's reason is a label of rosterd_auth_refused_total. */
START_TEST(test_reasons_are_metric_labels)
{
	static const char *const worker_reasons[] = { "missing",
	    "unknown_token", "revoked", "token_expired",
	    "address_not_allowed", "unavailable", "unknown_tenant" };
	const char *r;
	size_t i, j, n = 0;
	int s;

	for (i = 0; metrics_auth_reasons[i] != NULL; i++)
		n++;
	for (s = 1; s < JWT__MAX; s++) {
		r = jwt_status_reason((enum jwt_status)s);
		for (j = 0; j < n && strcmp(metrics_auth_reasons[j], r) != 0;
		    j++)
			;
		ck_assert_msg(j < n, "%s is no metric label", r);
	}
	for (i = 0; i < RS_ARRAY_LEN(worker_reasons); i++) {
		for (j = 0; j < n && strcmp(metrics_auth_reasons[j],
		    worker_reasons[i]) != 0; j++)
			;
		ck_assert_msg(j < n, "%s is no metric label", worker_reasons[i]);
	}
	ck_assert_uint_eq(n, 20);
}
END_TEST

/*
 * Configuration.
 */

static char tmpdir[] = "/tmp/check_jwt_issuers.XXXXXX";

static const char *
tmpfile_with(const char *name, const char *text)
{
	const char *path = fmt("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static const char *secret_path;

static void
cfg_setup(void)
{
	setup();
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	secret_path = tmpfile_with("secret",
	    "0123456789abcdef0123456789abcdef\n");
}

static void
cfg_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
	teardown();
}

/* Loads text as a config file; returns config_load()'s result. */
static int
load_text(const char *text, struct config *cfg, char *err, size_t errsz)
{
	return config_load(tmpfile_with("rosterd.conf", text), cfg, err,
	    errsz);
}

#define SECT(body) "[issuer idp]\niss = https://idp.test/\naud = rosterd\n" \
	"hs256_secret_file = %s\n" body

static const struct {
	const char	*text;		/* %s: the secret file's path */
	const char	*want;		/* in the message */
} bad_conf[] = {
	{ SECT("colour = blue\n"), ":5: unknown key \"colour\" in [issuer "
	    "idp]" },
	{ SECT("workers = 2\n"), "top-level keys go before the first "
	    "section" },
	{ "[issuer idp]\naud = x\nhs256_secret_file = %s\n",
	    ":1: [issuer idp]: \"iss\" is required" },
	{ "[issuer idp]\niss = https://idp.test/\nhs256_secret_file = %s\n",
	    ":1: [issuer idp]: \"aud\" is required" },
	{ "[issuer idp]\niss = https://idp.test/\naud = a, ,b\n"
	    "hs256_secret_file = %s\n", "\"aud\" is required" },
	{ "[issuer idp]\niss = https://idp.test/\naud = x\n#%s\n",
	    "[issuer idp]: no keys" },
	{ SECT("jwks_uri = http://idp.test/certs\n"), ":5: [issuer idp] "
	    "jwks_uri: expected an https:// URL or \"discover\"" },
	{ "[issuer idp]\niss = http://idp.test/\naud = x\n"
	    "hs256_secret_file = %s\njwks_uri = discover\n",
	    "jwks_uri: \"discover\" needs an https:// iss" },
	{ SECT("ca_file = /etc/hostname\n"), ":5: [issuer idp] ca_file: only "
	    "used with jwks_uri" },
	{ SECT("role_map = admins=Admin\n"), "role_map: \"admins\" maps to "
	    "\"Admin\": expected SystemAdmin, TenantAdmin or TenantReader" },
	{ SECT("role_map = admins\n"), "role_map: \"admins\" is not "
	    "NAME=ROLE" },
	{ SECT("role_map = a=TenantAdmin, a=TenantReader\n"), "\"a\" is "
	    "mapped twice" },
	{ SECT("roles_claim = a..b\n"), "roles_claim: \"a..b\": an empty "
	    "name" },
	{ SECT("typ = at+jwt\ntyp = JWT\n"), ":6: \"typ\" again in [issuer "
	    "idp] (first at line 5)" },
	{ SECT("tenant_map = maybe\n"), ":5: invalid value for "
	    "\"tenant_map\"" },
	{ SECT("[issuer idp]\n"), ":5: [issuer idp] again (first at line "
	    "1)" },
	{ SECT("[issuer other]\niss = https://idp.test/\naud = y\n"
	    "jwks_uri = discover\n"), "[issuer other] iss: "
	    "\"https://idp.test/\" is also the iss of [issuer idp]" },
	{ SECT("[issuer Bad.Name]\n"), ":5: issuer name \"Bad.Name\"" },
	{ SECT("[tenant x]\n"), ":5: unknown section \"[tenant x]\"" },
	{ "jwt_hs256_secret_file = %s\n[issuer local]\niss = https://x/\n"
	    "aud = y\njwks_uri = discover\n", "[issuer local]: the name is "
	    "taken by the jwt_* keys' issuer" },
};

/* t with every "%s" replaced by path. */
static char *
subst(const char *t, const char *path)
{
	struct buf b;
	const char *p;

	buf_init(&b, ta);
	while ((p = strstr(t, "%s")) != NULL) {
		buf_put(&b, t, (size_t)(p - t));
		buf_puts(&b, path);
		t = p + 2;
	}
	buf_puts(&b, t);
	ck_assert(!b.failed);
	return b.p;
}

START_TEST(test_config_refused)
{
	struct config cfg;
	char err[1024];

	ck_assert_int_eq(load_text(subst(bad_conf[_i].text, secret_path), &cfg,
	    err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad_conf[_i].want) != NULL,
	    "case %d: \"%s\" not in \"%s\"", _i, bad_conf[_i].want, err);
}
END_TEST

START_TEST(test_config_public_key_needs_iss_aud)
{
	static const char jwks[] = "{\"keys\":[]}";
	struct config cfg;
	const char *jp = tmpfile_with("jwks.json", jwks);
	char err[1024];

	ck_assert_int_eq(load_text(fmt("jwt_jwks_file = %s\n", jp), &cfg, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: jwt_jwks_file: a public key "
	    "or JWKS needs jwt_issuer and jwt_audience"));
	ck_assert_int_eq(load_text(fmt("jwt_jwks_file = %s\njwt_issuer = "
	    "https://idp/\n", jp), &cfg, err, sizeof(err)), -1);
	ck_assert_int_eq(load_text(fmt("jwt_jwks_file = %s\njwt_issuer = "
	    "https://idp/\njwt_audience = api\n", jp), &cfg, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.nissuers, 1);
	ck_assert_str_eq(cfg.issuers[0].name, "local");
	ck_assert_str_eq(cfg.issuers[0].iss, "https://idp/");
	ck_assert_str_eq(cfg.issuers[0].aud, "api");
	config_free(&cfg);
}
END_TEST

/*
 * config_load() with stderr (the log) captured into out[0..sz); returns
 * its result.
 */
static int
load_text_logged(const char *text, struct config *cfg, char *out, size_t sz)
{
	char err[1024];
	FILE *f;
	size_t n;
	int saved, rc;

	ck_assert_ptr_nonnull(f = tmpfile());
	fflush(stderr);
	ck_assert_int_ne(saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(fileno(f), STDERR_FILENO), -1);
	rc = load_text(text, cfg, err, sizeof(err));
	fflush(stderr);
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	(void)close(saved);
	rewind(f);
	n = fread(out, 1, sz - 1, f);
	out[n] = '\0';
	(void)fclose(f);
	ck_assert_msg(rc == 0, "config refused: %s", err);
	return rc;
}

/*
 * jwt_issuer and jwt_audience without any jwt_*_file key bind nothing:
 * a warning at load names each (file line, or environment variable);
 * with a jwt_*_file key, or neither set, no warning.
 */
START_TEST(test_config_unbound_jwt_keys_warned)
{
	struct config cfg;
	char log[4096];

	(void)load_text_logged("jwt_issuer = https://idp/\n", &cfg, log,
	    sizeof(log));
	ck_assert_msg(strstr(log, "\"level\":\"warn\"") != NULL &&
	    strstr(log, "rosterd.conf:1: jwt_issuer is ignored: it applies "
	    "only to the keys of jwt_hs256_secret_file, jwt_public_key_file "
	    "and jwt_jwks_file, and none is set") != NULL, "log: %s", log);
	ck_assert_ptr_null(strstr(log, "jwt_audience"));
	ck_assert_uint_eq(cfg.nissuers, 0);
	config_free(&cfg);

	(void)load_text_logged(fmt("jwt_audience = api\n[issuer idp]\niss = "
	    "https://idp.test/\naud = rosterd\nhs256_secret_file = %s\n",
	    secret_path), &cfg, log, sizeof(log));
	ck_assert_msg(strstr(log, "rosterd.conf:1: jwt_audience is ignored")
	    != NULL, "log: %s", log);
	config_free(&cfg);

	ck_assert_int_eq(setenv("ROSTERD_JWT_AUDIENCE", "api", 1), 0);
	(void)load_text_logged("jwt_issuer = https://idp/\n", &cfg, log,
	    sizeof(log));
	ck_assert_int_eq(unsetenv("ROSTERD_JWT_AUDIENCE"), 0);
	ck_assert_msg(strstr(log, "ROSTERD_JWT_AUDIENCE is ignored") != NULL &&
	    strstr(log, ":1: jwt_issuer is ignored") != NULL, "log: %s", log);
	config_free(&cfg);

	(void)load_text_logged(fmt("jwt_hs256_secret_file = %s\njwt_issuer = "
	    "https://idp/\n", secret_path), &cfg, log, sizeof(log));
	ck_assert_msg(strstr(log, "is ignored") == NULL, "log: %s", log);
	ck_assert_str_eq(cfg.issuers[0].iss, "https://idp/");
	config_free(&cfg);

	(void)load_text_logged("log_level = info\n", &cfg, log, sizeof(log));
	ck_assert_msg(strstr(log, "is ignored") == NULL, "log: %s", log);
	config_free(&cfg);
}
END_TEST

/* An HS256 secret alone is bound to rosterd's own dev issuer. */
START_TEST(test_config_local_issuer)
{
	struct config cfg;
	char err[1024];

	ck_assert_int_eq(load_text(fmt("jwt_hs256_secret_file = %s\n",
	    secret_path), &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.nissuers, 1);
	ck_assert_str_eq(cfg.issuers[0].iss, "urn:rosterd:local");
	ck_assert_str_eq(cfg.issuers[0].aud, "rosterd");
	ck_assert_uint_eq(cfg.issuers[0].nkeys, 1);
	ck_assert_uint_eq(cfg.issuers[0].secret_len, 32);
	ck_assert_uint_eq(cfg.jwt_nkeys, 1);
	config_free(&cfg);
	/* nothing configured: no issuer */
	ck_assert_int_eq(load_text("workers = 1\n", &cfg, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(cfg.nissuers, 0);
	ck_assert_uint_eq(cfg.jwt_nkeys, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(test_config_secret_file_checks)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC "
		    "KEY-----\n", "holds a PEM key, not a shared secret" },
		{ "  {\"keys\":[{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJX"
		    "ZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxu"
		    "hDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4H"
		    "c5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368Q"
		    "QMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbIS"
		    "D08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
		    "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}]}\n",
		    "holds a JSON document (a JWKS?), not a shared secret" },
		{ "short\n", "must hold at least 32 bytes" },
	};
	struct config cfg;
	char err[1024], big[5000];
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(cases); i++) {
		ck_assert_int_eq(load_text(fmt("jwt_hs256_secret_file = %s\n",
		    tmpfile_with("s", cases[i].text)), &cfg, err, sizeof(err)),
		    -1);
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "%s", err);
		ck_assert_int_eq(load_text(fmt(SECT(""), tmpfile_with("s",
		    cases[i].text)), &cfg, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "%s", err);
		ck_assert_ptr_nonnull(strstr(err, "[issuer idp] "
		    "hs256_secret_file"));
	}
	/* 4 KiB is the most; one byte more is no secret */
	memset(big, 'k', sizeof(big));
	big[4096] = '\0';
	ck_assert_int_eq(load_text(fmt("jwt_hs256_secret_file = %s\n",
	    tmpfile_with("s", big)), &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.jwt_secret_len, 4096);
	config_free(&cfg);
	big[4097] = '\0';
	big[4096] = 'k';
	ck_assert_int_eq(load_text(fmt("jwt_hs256_secret_file = %s\n",
	    tmpfile_with("s", big)), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is larger than 4 KiB"));
}
END_TEST

START_TEST(test_config_sections)
{
	struct config cfg;
	struct jwt_verifier *v;
	char err[1024], *text = NULL;
	size_t len = 0;
	FILE *mem;

	ck_assert_msg(load_text(fmt("jwt_hs256_secret_file = %s\n"
	    "state_dir = /srv/rosterd\n"
	    "[issuer kc]\n"
	    "iss = https://kc.example/realms/acme\n"
	    "aud = rosterd, account\n"
	    "jwks_uri = discover\n"
	    "typ = at+jwt\n"
	    "roles_claim = realm_access.roles\n"
	    "role_map = rosterd-admin=TenantAdmin, readers = TenantReader\n"
	    "[issuer auth0]\n"
	    "iss = https://acme.eu.auth0.com/\n"
	    "aud = https://rosterd.example.com\n"
	    "jwks_uri = https://acme.eu.auth0.com/.well-known/jwks.json\n"
	    "jwks_refresh_seconds = 600\n"
	    "roles_claim = https://rosterd.example.com/roles\n"
	    "tenant_claim = org_id\n"
	    "tenant_map = true\n"
	    "[issuer lab]\n"
	    "iss = https://lab.example/\n"
	    "aud = rosterd\n"
	    "hs256_secret_file = %s\n", secret_path, secret_path), &cfg, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.nissuers, 4);	/* three and the local one */
	ck_assert_str_eq(cfg.state_dir, "/srv/rosterd");
	ck_assert_uint_eq(cfg.njwks_sources, 2);
	ck_assert_str_eq(cfg.jwks_sources[0].name, "kc");
	ck_assert_ptr_null(cfg.jwks_sources[0].jwks_uri);	/* discover */
	ck_assert_int_eq(cfg.jwks_sources[0].refresh_seconds, 3600);
	ck_assert_int_eq(cfg.jwks_sources[0].min_refetch_seconds, 30);
	ck_assert_str_eq(cfg.jwks_sources[1].jwks_uri,
	    "https://acme.eu.auth0.com/.well-known/jwks.json");
	ck_assert_int_eq(cfg.jwks_sources[1].refresh_seconds, 600);
	ck_assert_uint_eq(cfg.issuers[0].nroles_map, 2);
	ck_assert_str_eq(cfg.issuers[0].roles_map[1].name, "readers");
	ck_assert_uint_eq(cfg.issuers[0].roles.nseg, 2);
	ck_assert_uint_eq(cfg.issuers[1].roles.nseg, 1);
	ck_assert_str_eq(config_issuer_find(&cfg, "local")->iss,
	    "urn:rosterd:local");
	v = config_verifiers(&cfg);
	ck_assert_str_eq(v[1].typ == NULL ? "" : "set", "");
	ck_assert_str_eq(v[0].typ, "at+jwt");
	ck_assert_int_eq(v[1].tenant_map, 1);
	ck_assert_str_eq(v[2].name, "lab");
	free(v);

	ck_assert_ptr_nonnull(mem = open_memstream(&text, &len));
	ck_assert_int_eq(config_print(&cfg, mem), 0);
	fclose(mem);
	ck_assert_ptr_nonnull(strstr(text, fmt("[issuer kc]  # %s:3\n",
	    cfg.path)));
	ck_assert_ptr_nonnull(strstr(text, fmt("roles_claim = "
	    "realm_access.roles  # %s:8\n", cfg.path)));
	ck_assert_ptr_nonnull(strstr(text, "subject_claim = sub  # default\n"));
	ck_assert_ptr_nonnull(strstr(text, "state_dir = /srv/rosterd  # "));
	ck_assert_ptr_null(strstr(text, "[issuer local]"));
	free(text);
	config_free(&cfg);
}
END_TEST

/* The digest changes with a key or an issuer setting, not otherwise. */
START_TEST(test_config_auth_digest)
{
	struct config a, b;
	unsigned char d[32];
	char err[1024];
	const char *conf;

	ck_assert_int_eq(load_text(fmt(SECT(""), secret_path), &a, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_auth_digest_of(a.path, d), 0);
	ck_assert_mem_eq(d, a.auth_digest, 32);
	ck_assert_int_eq(load_text(fmt("workers = 7\n" SECT(""), secret_path),
	    &b, err, sizeof(err)), 0);
	ck_assert_mem_eq(a.auth_digest, b.auth_digest, 32);
	config_free(&b);
	ck_assert_int_eq(load_text(fmt(SECT("typ = at+jwt\n"), secret_path),
	    &b, err, sizeof(err)), 0);
	ck_assert_mem_ne(a.auth_digest, b.auth_digest, 32);
	config_free(&b);
	conf = tmpfile_with("secret",
	    "fedcba9876543210fedcba9876543210\n");
	ck_assert_int_eq(load_text(fmt(SECT(""), conf), &b, err, sizeof(err)),
	    0);
	ck_assert_mem_ne(a.auth_digest, b.auth_digest, 32);
	config_free(&b);
	config_free(&a);
}
END_TEST

static Suite *
issuers_suite(void)
{
	Suite *s = suite_create("jwt-issuers");
	TCase *tc = tcase_create("verify");
	TCase *tc2 = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_issuer_picks_keys);
	tcase_add_test(tc, test_unknown_kid_no_fallback);
	tcase_add_test(tc, test_typ);
	tcase_add_loop_test(tc, test_claim_path_parse, 0,
	    (int)RS_ARRAY_LEN(path_cases));
	tcase_add_test(tc, test_shape_keycloak);
	tcase_add_test(tc, test_shape_auth0);
	tcase_add_test(tc, test_shape_entra);
	tcase_add_test(tc, test_shape_okta);
	tcase_add_test(tc, test_cache_withdrawn_key);
	tcase_add_test(tc, test_reasons_are_metric_labels);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tc2, cfg_setup, cfg_teardown);
	tcase_add_loop_test(tc2, test_config_refused, 0,
	    (int)RS_ARRAY_LEN(bad_conf));
	tcase_add_test(tc2, test_config_public_key_needs_iss_aud);
	tcase_add_test(tc2, test_config_local_issuer);
	tcase_add_test(tc2, test_config_unbound_jwt_keys_warned);
	tcase_add_test(tc2, test_config_secret_file_checks);
	tcase_add_test(tc2, test_config_sections);
	tcase_add_test(tc2, test_config_auth_digest);
	suite_add_tcase(s, tc2);
	return s;
}

int
main(void)
{
	unsetenv("ROSTERD_WORKERS");
	return unit_run(srunner_create(issuers_suite()));
}
