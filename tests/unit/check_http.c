/*
 * check_http.c: unit tests for http/request.c, http/response.c,
 * http/router.c, config.c and the validators of core/validate.c.
 *
 * Requests are built from plain FastCGI parameter arrays and bodies
 * come from a fake reader, so no libfcgi is involved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "../../src/config.h"
#include "../../src/core/core.h"
#include "../../src/http/http.h"

#define MAX_ENV 8


/* ---- http_req_init ---- */

struct req_case {
	const char	*name;
	const char	*env[MAX_ENV];	/* NULL-terminated */
	int		 rc;
	const char	*method, *path, *query;
};

#define M_GET		"REQUEST_METHOD=GET"

static const struct req_case req_cases[] = {
	{ "plain", { M_GET, "REQUEST_URI=/api/users" }, 0,
	    "GET", "/api/users", "" },
	{ "query", { M_GET, "REQUEST_URI=/api/users?x=1&y=%20" }, 0,
	    "GET", "/api/users", "x=1&y=%20" },
	{ "empty query", { M_GET, "REQUEST_URI=/a?" }, 0, "GET", "/a", "" },
	{ "decoded path", { M_GET, "REQUEST_URI=/a%20b/%C3%A9" }, 0,
	    "GET", "/a b/\xc3\xa9", "" },
	{ "encoded slash decoded in path", { M_GET, "REQUEST_URI=/a%2Fb" },
	    0, "GET", "/a/b", "" },
	{ "encoded question mark", { M_GET, "REQUEST_URI=/a%3Fb?c" }, 0,
	    "GET", "/a?b", "c" },
	{ "plus stays plus", { M_GET, "REQUEST_URI=/a+b" }, 0,
	    "GET", "/a+b", "" },
	{ "document uri fallback", { M_GET, "DOCUMENT_URI=/d",
	    "QUERY_STRING=q=1" }, 0, "GET", "/d", "q=1" },
	{ "empty content length", { M_GET, "REQUEST_URI=/",
	    "CONTENT_LENGTH=" }, 0, "GET", "/", "" },
	{ "bad escape", { M_GET, "REQUEST_URI=/a%zz" }, 400, NULL, NULL, NULL },
	{ "truncated escape", { M_GET, "REQUEST_URI=/a%2" }, 400,
	    NULL, NULL, NULL },
	{ "encoded invalid UTF-8 in path", { M_GET, "REQUEST_URI=/a%ff%fe" },
	    400, NULL, NULL, NULL },
	{ "encoded overlong UTF-8 in path", { M_GET, "REQUEST_URI=/a%c0%af" },
	    400, NULL, NULL, NULL },
	{ "encoded NUL in path", { M_GET, "REQUEST_URI=/a%00b" }, 400,
	    NULL, NULL, NULL },
	{ "missing method", { "REQUEST_URI=/a" }, 400, NULL, NULL, NULL },
	{ "missing uri", { M_GET }, 400, NULL, NULL, NULL },
	{ "relative uri", { M_GET, "REQUEST_URI=a/b" }, 400, NULL, NULL, NULL },
	{ "content length garbage", { M_GET, "REQUEST_URI=/",
	    "CONTENT_LENGTH=12x" }, 400, NULL, NULL, NULL },
	{ "negative content length", { M_GET, "REQUEST_URI=/",
	    "CONTENT_LENGTH=-1" }, 400, NULL, NULL, NULL },
	{ "empty envp", { NULL }, 400, NULL, NULL, NULL },
};

START_TEST(test_req_init)
{
	const struct req_case *c = &req_cases[_i];
	struct http_req req;
	int rc;

	rc = http_req_init(&req, ta, (char **)c->env);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
	ck_assert_msg(strlen(req.request_id) > 0, "%s: no request id",
	    c->name);
	if (c->rc != 0)
		return;
	ck_assert_str_eq(req.method, c->method);
	ck_assert_str_eq(req.path, c->path);
	ck_assert_str_eq(req.query, c->query);
}
END_TEST

START_TEST(test_query_param)
{
	const char *env[] = { M_GET,
	    "REQUEST_URI=/x?Filter=userName+eq+%22a+b%22&cursor&limit=5&x=%zz"
	    "&limit=6", NULL };
	struct http_req req;
	int bad = 0;

	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	/* '+' is a space, then %XX; the name exactly, unless ANYCASE */
	ck_assert_ptr_null(http_query_param(&req, "filter", 0, &bad));
	ck_assert_str_eq(http_query_param(&req, "filter", HTTP_QUERY_ANYCASE,
	    &bad), "userName eq \"a b\"");
	/* a bare name is absent, unless BARE */
	ck_assert_ptr_null(http_query_param(&req, "cursor", 0, &bad));
	ck_assert_str_eq(http_query_param(&req, "cursor", HTTP_QUERY_BARE,
	    &bad), "");
	/* the first of two; a prefix of a name is not the name */
	ck_assert_str_eq(http_query_param(&req, "limit", 0, &bad), "5");
	ck_assert_ptr_null(http_query_param(&req, "lim", 0, &bad));
	ck_assert_int_eq(bad, 0);
	ck_assert_ptr_null(http_query_param(&req, "x", 0, &bad));
	ck_assert_int_eq(bad, 1);
}
END_TEST

START_TEST(test_req_fields)
{
	const char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=42",
	    "HTTP_X_TENANT_ID=t-1", "HTTP_ACCEPT=*/*", NULL };
	const char *env2[] = { M_GET, "REQUEST_URI=/x", "CONTENT_TYPE=", NULL };
	struct http_req req;

	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	ck_assert_str_eq(req.content_type, "application/json");
	ck_assert_int_eq(req.content_length, 42);
	ck_assert_str_eq(http_req_header(&req, "X-Tenant-Id"), "t-1");
	ck_assert_str_eq(http_req_header(&req, "x-tenant-id"), "t-1");
	ck_assert_str_eq(http_req_header(&req, "Accept"), "*/*");
	ck_assert_ptr_null(http_req_header(&req, "X-Tenant"));
	ck_assert_ptr_null(http_req_header(&req, "Authorization"));
	ck_assert_str_eq(http_req_env(&req, "REQUEST_URI"), "/x");
	/* a prefix of a name is not the name */
	ck_assert_ptr_null(http_req_env(&req, "REQUEST"));
	ck_assert_ptr_null(req.route);

	ck_assert_int_eq(http_req_init(&req, ta, (char **)env2), 0);
	ck_assert_ptr_null(req.content_type);
	ck_assert_int_eq(req.content_length, -1);
}
END_TEST

/* ---- request ids ---- */

static int
is_hex32(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

struct rid_case {
	const char	*name;
	const char	*hdr;		/* HTTP_X_REQUEST_ID=..., or NULL */
	const char	*nginx;		/* REQUEST_ID=..., or NULL */
	const char	*want;		/* NULL: a fresh 32-hex id */
	const char	*edge;		/* edge_request_id wanted */
	const char	*audit;		/* audit_request_id; NULL: request_id */
};

static const struct rid_case rid_cases[] = {
	{ "taken", "HTTP_X_REQUEST_ID=abc-123.x_Y:9", NULL, "abc-123.x_Y:9",
	    "", NULL },
	{ "absent", NULL, NULL, NULL, "", NULL },
	{ "empty", "HTTP_X_REQUEST_ID=", NULL, NULL, "", NULL },
	{ "log injection", "HTTP_X_REQUEST_ID=a\r\n{\"level\":\"error\"}",
	    NULL, NULL, "", NULL },
	{ "space", "HTTP_X_REQUEST_ID=a b", NULL, NULL, "", NULL },
	{ "nginx fallback", "HTTP_X_REQUEST_ID=bad id",
	    "REQUEST_ID=0123abcd", "0123abcd", "0123abcd",
	    "0123abcd 0123abcd" },
	{ "header beats nginx", "HTTP_X_REQUEST_ID=h1", "REQUEST_ID=n1", "h1",
	    "n1", "h1 n1" },
	{ "bad nginx id ignored", "HTTP_X_REQUEST_ID=h1",
	    "REQUEST_ID=n 1", "h1", "", NULL },
	{ "neither sane", "HTTP_X_REQUEST_ID=a;b", "REQUEST_ID=", NULL, "",
	    NULL },
};

START_TEST(test_req_request_id)
{
	const struct rid_case *c = &rid_cases[_i];
	const char *env[MAX_ENV] = { M_GET, "REQUEST_URI=/" };
	size_t n = 2;
	struct http_req req;

	if (c->hdr != NULL)
		env[n++] = c->hdr;
	if (c->nginx != NULL)
		env[n++] = c->nginx;
	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	if (c->want != NULL)
		ck_assert_str_eq(req.request_id, c->want);
	else
		ck_assert_msg(is_hex32(req.request_id), "%s: id \"%s\"",
		    c->name, req.request_id);
	ck_assert_str_eq(req.edge_request_id, c->edge);
	ck_assert_str_eq(req.audit_request_id, c->audit != NULL ? c->audit :
	    req.request_id);
}
END_TEST

START_TEST(test_req_request_id_oversize)
{
	char hdr[32 + HTTP_REQUEST_ID_MAX + 2];
	const char *env[] = { M_GET, "REQUEST_URI=/", hdr, NULL };
	struct http_req req;
	char first[HTTP_REQUEST_ID_MAX + 1];

	/* exactly the maximum is taken */
	snprintf(hdr, sizeof(hdr), "HTTP_X_REQUEST_ID=");
	memset(hdr + 18, 'a', HTTP_REQUEST_ID_MAX);
	hdr[18 + HTTP_REQUEST_ID_MAX] = '\0';
	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	ck_assert_str_eq(req.request_id, hdr + 18);
	/* one more byte is refused and a fresh id made */
	strcat(hdr, "a");
	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	ck_assert(is_hex32(req.request_id));
	/* fresh ids differ */
	memcpy(first, req.request_id, sizeof(first));
	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	ck_assert_str_ne(req.request_id, first);
}
END_TEST

/* ---- body ---- */

struct fake {
	const char	*data;
	size_t		 len, pos;
	size_t		 chunk;		/* most bytes per call */
	int		 calls;
	int		 fail;		/* return -1 on this call (1-based) */
};

static ssize_t
fake_read(void *ctx, char *p, size_t n)
{
	struct fake *f = ctx;
	size_t k = f->len - f->pos;

	if (++f->calls == f->fail)
		return -1;
	if (k > n)
		k = n;
	if (k > f->chunk)
		k = f->chunk;
	memcpy(p, f->data + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

struct body_case {
	const char	*name;
	const char	*clen;		/* CONTENT_LENGTH=..., or NULL */
	const char	*data;
	size_t		 max;
	int		 fail;
	int		 rc;
	int		 reads;		/* 1: the reader must be called */
};

static const struct body_case body_cases[] = {
	{ "under limit", "CONTENT_LENGTH=5", "hello", 10, 0, 0, 1 },
	{ "at limit", "CONTENT_LENGTH=10", "0123456789", 10, 0, 0, 1 },
	{ "no length", NULL, "hello", 10, 0, 0, 1 },
	{ "empty", NULL, "", 10, 0, 0, 1 },
	{ "oversize declared", "CONTENT_LENGTH=11", "01234567890", 10, 0,
	    413, 0 },
	{ "oversize declared huge", "CONTENT_LENGTH=99999999999999999999",
	    "x", 10, 0, 413, 0 },
	{ "oversize streamed", NULL, "0123456789abcdefghij", 10, 0, 413, 1 },
	{ "lying content length", "CONTENT_LENGTH=5", "0123456789abc", 10, 0,
	    413, 1 },
	{ "short body", "CONTENT_LENGTH=10", "hello", 100, 0, 400, 1 },
	{ "long body", "CONTENT_LENGTH=3", "hello", 100, 0, 400, 1 },
	{ "read error", "CONTENT_LENGTH=5", "hello", 10, 2, 400, 1 },
};

START_TEST(test_req_read_body)
{
	const struct body_case *c = &body_cases[_i];
	const char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/",
	    c->clen, NULL };
	struct fake f = { c->data, strlen(c->data), 0, 3, 0, c->fail };
	struct http_req req;
	int rc;

	ck_assert_int_eq(http_req_init(&req, ta, (char **)env), 0);
	rc = http_req_read_body(&req, fake_read, &f, c->max);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
	ck_assert_msg((f.calls > 0) == c->reads, "%s: %d reads", c->name,
	    f.calls);
	if (rc != 0)
		return;
	ck_assert_uint_eq(req.body_len, strlen(c->data));
	ck_assert_str_eq(req.body, c->data);
}
END_TEST

/* ---- router ---- */

static void
nop(struct http_req *req, struct http_resp *resp)
{
	(void)req;
	(void)resp;
}

static const struct route routes[] = {
	{ .method = "GET", .pattern = "/api/users", .flags = ROUTE_CI,
	    .handler = nop },
	{ .method = "POST", .pattern = "/api/users", .flags = ROUTE_CI,
	    .handler = nop },
	{ .method = "GET", .pattern = "/api/users/{id}", .flags = ROUTE_CI,
	    .handler = nop },
	{ .method = "DELETE", .pattern = "/api/orgs/{org}/users/{id}",
	    .handler = nop },
	{ .method = "GET", .pattern = "/health", .handler = nop },
	{ .method = "GET", .pattern = "/", .handler = nop },
};

struct route_case {
	const char	*name;
	const char	*method, *uri;
	enum route_match want;
	int		 route;		/* index in routes, or allow text */
	const char	*p0, *p1;	/* decoded parameters */
	const char	*allow;
};

static const struct route_case route_cases[] = {
	{ "literal", "GET", "/api/users", ROUTE_FOUND, 0, NULL, NULL, NULL },
	{ "second method", "POST", "/api/users", ROUTE_FOUND, 1, NULL, NULL,
	    NULL },
	{ "query ignored", "GET", "/api/users?a=/b/c", ROUTE_FOUND, 0,
	    NULL, NULL, NULL },
	{ "trailing slash", "GET", "/api/users/", ROUTE_FOUND, 0,
	    NULL, NULL, NULL },
	{ "root", "GET", "/", ROUTE_FOUND, 5, NULL, NULL, NULL },
	{ "case-insensitive", "GET", "/API/Users", ROUTE_FOUND, 0,
	    NULL, NULL, NULL },
	{ "case-sensitive", "GET", "/Health", ROUTE_NOT_FOUND, 0,
	    NULL, NULL, NULL },
	{ "param", "GET", "/api/users/42", ROUTE_FOUND, 2, "42", NULL, NULL },
	{ "param decoded", "GET", "/api/users/a%20b%C3%A9", ROUTE_FOUND, 2,
	    "a b\xc3\xa9", NULL, NULL },
	{ "encoded slash stays in param", "GET", "/api/users/a%2Fb",
	    ROUTE_FOUND, 2, "a/b", NULL, NULL },
	{ "two params", "DELETE", "/api/orgs/o1/users/u%3F1", ROUTE_FOUND,
	    3, "o1", "u?1", NULL },
	{ "empty param", "GET", "/api/users//", ROUTE_NOT_FOUND, 0,
	    NULL, NULL, NULL },
	{ "extra segment", "GET", "/api/users/1/x", ROUTE_NOT_FOUND, 0,
	    NULL, NULL, NULL },
	{ "unknown", "GET", "/nope", ROUTE_NOT_FOUND, 0, NULL, NULL, NULL },
	{ "bad method", "PUT", "/api/users", ROUTE_BAD_METHOD, 0,
	    NULL, NULL, "GET, POST" },
	{ "bad method on param", "POST", "/api/users/1", ROUTE_BAD_METHOD, 0,
	    NULL, NULL, "GET" },
	{ "method is case-sensitive", "get", "/health", ROUTE_BAD_METHOD, 0,
	    NULL, NULL, "GET" },
	{ "deep path", "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t",
	    ROUTE_NOT_FOUND, 0, NULL, NULL, NULL },
	{ "bad escape in param", "GET", "/api/users/%zz", ROUTE_NOT_FOUND, 0,
	    NULL, NULL, NULL },
};

START_TEST(test_router_match)
{
	const struct route_case *c = &route_cases[_i];
	struct http_req req;
	char allow[64];
	enum route_match m;

	memset(&req, 0, sizeof(req));
	req.arena = ta;
	req.method = c->method;
	req.uri = c->uri;
	memset(allow, 'x', sizeof(allow));
	m = router_match(routes, RS_ARRAY_LEN(routes), &req, allow,
	    sizeof(allow));
	ck_assert_msg(m == c->want, "%s: %d, want %d", c->name, m, c->want);
	if (c->allow != NULL)
		ck_assert_str_eq(allow, c->allow);
	if (m != ROUTE_FOUND) {
		ck_assert_ptr_null(req.route);
		return;
	}
	ck_assert_ptr_eq(req.route, &routes[c->route]);
	ck_assert_uint_eq(req.nparams, (c->p0 != NULL) + (c->p1 != NULL));
	if (c->p0 != NULL)
		ck_assert_str_eq(req.params[0], c->p0);
	if (c->p1 != NULL) {
		ck_assert_str_eq(req.params[1], c->p1);
		ck_assert_str_eq(http_req_param(&req, "org"), c->p0);
		ck_assert_str_eq(http_req_param(&req, "id"), c->p1);
	}
	ck_assert_ptr_null(http_req_param(&req, "nope"));
}
END_TEST

/* ---- response ---- */

START_TEST(test_resp_serialize)
{
	struct http_resp resp;
	struct buf out;

	http_resp_init(&resp, ta);
	http_resp_set(&resp, 200, "application/json", "{\"a\":1}", 7);
	http_resp_header(&resp, "X-Request-Id", "r1");
	buf_init(&out, ta);
	http_resp_serialize(&resp, &out);
	ck_assert_str_eq(out.p, "Status: 200 OK\r\nX-Request-Id: r1\r\n"
	    "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n"
	    "{\"a\":1}");

	http_resp_set(&resp, 204, NULL, NULL, 0);
	buf_reset(&out);
	http_resp_serialize(&resp, &out);
	ck_assert_str_eq(out.p, "Status: 204 No Content\r\n"
	    "X-Request-Id: r1\r\nContent-Length: 0\r\n\r\n");

	ck_assert_str_eq(http_status_text(405), "Method Not Allowed");
	ck_assert_str_eq(http_status_text(413), "Content Too Large");
	ck_assert_str_eq(http_status_text(599), "Unknown");
}
END_TEST

/* ---- config ---- */

static char tmpfiles[4][32];
static int ntmp;

static const char *
write_tmp(const char *text)
{
	char *p = tmpfiles[ntmp++];
	int fd;

	snprintf(p, sizeof(tmpfiles[0]), "/tmp/check_http.XXXXXX");
	fd = mkstemp(p);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return p;
}

static void
cfg_setup(void)
{
	ntmp = 0;
	unsetenv("ROSTERD_WORKERS");
}

static void
cfg_teardown(void)
{
	while (ntmp > 0)
		unlink(tmpfiles[--ntmp]);
	unsetenv("ROSTERD_WORKERS");
}

START_TEST(test_config_valid)
{
	struct config cfg;
	char err[256] = "";
	const char *path = write_tmp("# rosterd.conf\n\n"
	    "  workers = 4   # four\n"
	    "listen=127.0.0.1:9000\n"
	    "max_body_bytes = 2k\n"
	    "jwt_require_exp = off\n"
	    "listen_mode = 0600\n");

	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(cfg.workers, 4);
	ck_assert_int_eq(config_workers(&cfg), 4);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:9000");
	ck_assert_int_eq(cfg.max_body_bytes, 2048);
	ck_assert_int_eq(cfg.jwt_require_exp, 0);
	ck_assert_int_eq(cfg.listen_mode, 0600);
	ck_assert_str_eq(cfg.db_conninfo, "dbname=rosterd");	/* default */
	ck_assert_ptr_null(cfg.jwt_secret);
	ck_assert_str_eq(cfg.path, path);
	config_free(&cfg);
}
END_TEST

START_TEST(test_config_env_override)
{
	struct config cfg;
	char err[256] = "";
	const char *path = write_tmp("workers = 4\n");

	setenv("ROSTERD_WORKERS", "3", 1);
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(cfg.workers, 3);
	config_free(&cfg);

	setenv("ROSTERD_WORKERS", "many", 1);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "ROSTERD_WORKERS"));
}
END_TEST

struct cfg_case {
	const char	*name;
	const char	*text;
	const char	*want[2];	/* substrings of err */
};

static const struct cfg_case cfg_bad_cases[] = {
	{ "unknown key", "workers = 2\nbogus = 1\n", { "bogus", ":2:" } },
	{ "bad integer", "workers = many\n", { "workers", ":1:" } },
	{ "over range", "\n\nworkers = 1025\n", { "workers", ":3:" } },
	{ "negative", "workers = -1\n", { "workers", NULL } },
	{ "bad octal", "listen_mode = 0999\n", { "listen_mode", NULL } },
	{ "bad size suffix", "max_body_bytes = 2x\n", { "max_body_bytes",
	    NULL } },
	{ "size over range", "max_body_bytes = 2G\n", { "max_body_bytes",
	    NULL } },
	{ "bad boolean", "jwt_require_exp = maybe\n", { "jwt_require_exp",
	    NULL } },
	{ "no equals", "workers\n", { "key = value", ":1:" } },
	{ "bad log level", "log_level = loud\n", { "log_level", NULL } },
	{ "empty listen", "listen =\n", { "listen", NULL } },
	{ "empty sql_dir", "sql_dir =\n", { "sql_dir", NULL } },
};

START_TEST(test_config_bad)
{
	const struct cfg_case *c = &cfg_bad_cases[_i];
	struct config cfg;
	char err[512] = "";
	size_t i;

	ck_assert_int_eq(config_load(write_tmp(c->text), &cfg, err,
	    sizeof(err)), -1);
	for (i = 0; i < 2; i++)
		if (c->want[i] != NULL)
			ck_assert_msg(strstr(err, c->want[i]) != NULL,
			    "%s: \"%s\" lacks \"%s\"", c->name, err,
			    c->want[i]);
}
END_TEST

START_TEST(test_config_secret)
{
	struct config cfg;
	char err[512] = "", text[128];
	const char *shortf = write_tmp("0123456789012345678901234567890\n");
	const char *okf = write_tmp("01234567890123456789012345678901\r\n");

	snprintf(text, sizeof(text), "jwt_hs256_secret_file = %s\n", shortf);
	ck_assert_int_eq(config_load(write_tmp(text), &cfg, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "32 bytes"));

	snprintf(text, sizeof(text), "jwt_hs256_secret_file = %s\n", okf);
	ck_assert_msg(config_load(write_tmp(text), &cfg, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_uint_eq(cfg.jwt_secret_len, 32);
	ck_assert_int_eq(memcmp(cfg.jwt_secret,
	    "01234567890123456789012345678901", 32), 0);
	config_free(&cfg);
}
END_TEST

START_TEST(test_config_missing)
{
	struct config cfg;
	char err[512] = "";

	ck_assert_int_eq(config_load("/nonexistent/rosterd.conf", &cfg, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/rosterd.conf"));
	ck_assert_int_eq(config_load(write_tmp(
	    "jwt_hs256_secret_file = /nonexistent/secret\n"), &cfg, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "jwt_hs256_secret_file"));
}
END_TEST

/* ---- core validation ---- */

static const char *const valid_emails[] = {
	"a@b.co",
	"first.last+tag@example.co.uk",
	"x_y-z!#$%&'*/=?^`{|}~@sub-domain.example",
	"\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.fr",	/* SMTPUTF8 */
	"user@123.example",
};

static const char *const invalid_emails[] = {
	"", "nope", "a@b", "@b.co", "a@", "a..b@c.co", ".a@b.co", "a.@b.co",
	"a@-b.co", "a@b-.co", "a@b..co", "a@.b.co", "a@b.co.", "a b@c.co",
	"a@b@c.co", "a@b_c.co", "a\"b@c.co", "a@b.co\n", "a@[127.0.0.1]",
};

START_TEST(test_email_valid)
{
	ck_assert_msg(core_valid_email(valid_emails[_i]), "refused \"%s\"",
	    valid_emails[_i]);
}
END_TEST

START_TEST(test_email_invalid)
{
	ck_assert_msg(!core_valid_email(invalid_emails[_i]),
	    "accepted \"%s\"", invalid_emails[_i]);
}
END_TEST

/* An address of n bytes: a local part of `local` bytes, labels of 49. */
static char *
long_email(size_t local, size_t n)
{
	char *s = arena_alloc(ta, n + 1);
	size_t i;

	memset(s, 'a', local);
	s[local] = '@';
	for (i = local + 1; i < n; i++)
		s[i] = (i - local) % 50 == 0 ? '.' : 'b';
	memcpy(s + n - 3, ".co", 4);
	return s;
}

START_TEST(test_email_oversize)
{
	ck_assert(core_valid_email(long_email(64, 254)));
	ck_assert(!core_valid_email(long_email(64, 255)));
	ck_assert(!core_valid_email(long_email(65, 100)));
	ck_assert(!core_valid_email(NULL));
}
END_TEST

START_TEST(test_user_validate)
{
	static const char tid[] = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
	struct core_role_ref roles[] = {
		{ .name = "Admin" },
		{ .name = " " },
		{ .name = "x", .tenant_id = "9b2d7a62-1c1e-4d6a-8d0c-6c1f0c0b4b11" },
	};
	struct core_user_new u = { .username = "jo", .email = "",
	    .phone = "0123456789012345678901234567890123456789"
	    "0123456789012345678901234", .roles = roles, .nroles = 3 };
	struct core_errors errs = { NULL, 0, 0 };

	core_user_validate(ta, &u, tid, &errs);
	ck_assert_ptr_null(u.email);	/* "" is no address */
	ck_assert_uint_eq(errs.n, 3);
	ck_assert_int_eq(errs.v[0].field, CF_PHONE);
	ck_assert_int_eq(errs.v[0].code, CE_TOO_LONG);
	ck_assert_int_eq(errs.v[0].limit, 64);
	ck_assert_int_eq(errs.v[1].field, CF_ROLE_ID);
	ck_assert_int_eq(errs.v[1].index, 1);
	ck_assert_int_eq(errs.v[1].code, CE_REQUIRED);
	ck_assert_int_eq(errs.v[2].field, CF_ROLE_TENANT);
	ck_assert_int_eq(errs.v[2].index, 2);
	ck_assert_int_eq(errs.v[2].code, CE_OTHER_TENANT);

	memset(&errs, 0, sizeof(errs));
	u = (struct core_user_new){ .username = " \t", .email = "nope" };
	core_user_validate(ta, &u, tid, &errs);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_int_eq(errs.v[0].field, CF_USERNAME);
	ck_assert_int_eq(errs.v[0].code, CE_REQUIRED);
	ck_assert_int_eq(errs.v[1].field, CF_EMAIL);
	ck_assert_int_eq(errs.v[1].code, CE_INVALID_EMAIL);
	ck_assert_str_eq(errs.v[1].value, "nope");
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("request");
	TCase	*tr = tcase_create("router");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_req_init, 0, (int)RS_ARRAY_LEN(req_cases));
	tcase_add_test(tc, test_req_fields);
	tcase_add_test(tc, test_query_param);
	tcase_add_loop_test(tc, test_req_request_id, 0,
	    (int)RS_ARRAY_LEN(rid_cases));
	tcase_add_test(tc, test_req_request_id_oversize);
	tcase_add_loop_test(tc, test_req_read_body, 0,
	    (int)RS_ARRAY_LEN(body_cases));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_loop_test(tr, test_router_match, 0,
	    (int)RS_ARRAY_LEN(route_cases));
	tcase_add_test(tr, test_resp_serialize);
	suite_add_tcase(s, tr);
	return s;
}

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("config");

	tcase_add_checked_fixture(tc, cfg_setup, cfg_teardown);
	tcase_add_test(tc, test_config_valid);
	tcase_add_test(tc, test_config_env_override);
	tcase_add_loop_test(tc, test_config_bad, 0,
	    (int)RS_ARRAY_LEN(cfg_bad_cases));
	tcase_add_test(tc, test_config_secret);
	tcase_add_test(tc, test_config_missing);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
validate_suite(void)
{
	Suite	*s = suite_create("validate");
	TCase	*tc = tcase_create("validate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_email_valid, 0,
	    (int)RS_ARRAY_LEN(valid_emails));
	tcase_add_loop_test(tc, test_email_invalid, 0,
	    (int)RS_ARRAY_LEN(invalid_emails));
	tcase_add_test(tc, test_email_oversize);
	tcase_add_test(tc, test_user_validate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;

	sr = srunner_create(http_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, validate_suite());
	return unit_run(sr);
}
