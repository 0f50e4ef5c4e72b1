/*
 * health.c: liveness and readiness, and the plain RFC 9457 error shape
 * used where no vendor dialect applies.
 */
#include <string.h>
#include <strings.h>

#include "dialect.h"
#include "../auth/apitoken.h"
#include "../auth/auth.h"

/* The body limits of the configuration (config.c fills them). */
const struct fmt_limits *
dialect_limits(const struct http_req *req)
{
	const struct app *app = req->ctx;

	return app != NULL && app->cfg != NULL ? &app->cfg->body_limits :
	    &fmt_default_limits;
}

/* Fills c from the request: the worker's db, the arena, the caller. */
void
dialect_core_ctx(const struct http_req *req, struct core_ctx *c)
{
	const struct app *app = req->ctx;

	c->db = app->db;
	c->a = req->arena;
	c->actor = req->authenticated ? req->principal.sub : "anonymous";
	c->request_id = req->audit_request_id;
}

int
dialect_system_admin(const struct http_req *req)
{
	return req->authenticated && authz_check(&req->principal,
	    AUTHZ_SYSTEM_ADMIN, NULL) == AUTHZ_ALLOW;
}

static void
send_json(struct http_req *req, struct http_resp *resp, int status,
    const char *ctype, struct value *v)
{
	resp->status = status;
	resp->content_type = ctype;
	buf_reset(&resp->body);
	json_encode(&resp->body, v);
	(void)req;
}

/* GET /healthz: 200 while the process serves requests. */
void
health_healthz(struct http_req *req, struct http_resp *resp)
{
	struct value *o = value_object(req->arena);

	value_set(req->arena, o, "status", value_cstr(req->arena, "ok"));
	send_json(req, resp, 200, "application/json", o);
}

/*
 * 1 when the request carries "Authorization: Bearer <metrics_token>"
 * (the scheme in any case); 0 otherwise, and always when no
 * metrics_token_file is configured.  Constant time in the token's
 * bytes.
 */
static int
metrics_token_ok(const struct http_req *req)
{
	const struct app *app = req->ctx;
	const char *h = http_req_header(req, "Authorization"), *want;
	size_t n;

	if (app == NULL || app->cfg == NULL ||
	    (want = app->cfg->metrics_token) == NULL || h == NULL ||
	    strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	n = strlen(want);
	return strlen(h) == n && ct_memcmp(h, want, n) == 0;
}

/* 1 when the request comes from an address of metrics_allow_from. */
static int
metrics_addr_ok(const struct http_req *req)
{
	const struct app *app = req->ctx;
	const char *addr = http_req_env(req, "REMOTE_ADDR");
	size_t i;

	if (app == NULL || app->cfg == NULL || addr == NULL)
		return 0;
	for (i = 0; i < app->cfg->nmetrics_allow; i++)
		if (apitoken_cidr_contains(&app->cfg->metrics_allow[i], addr))
			return 1;
	return 0;
}

/* /metrics and /readyz's detail: the token's holder, or an allowed address. */
static int
metrics_authorized(const struct http_req *req)
{
	return metrics_token_ok(req) || metrics_addr_ok(req);
}

/* Why /readyz says what it says, for the metrics token's holder. */
static void
readyz_detail(struct arena *a, struct value *o, int up, int behind,
    int read_only, const char *missing)
{
	struct value *list;
	const char *p;
	size_t n;

	value_set(a, o, "database", value_cstr(a, up || behind ? "up" :
	    "down"));
	if (up) {
		value_set(a, o, "writable", value_bool(a, !read_only));
		if (read_only)
			value_set(a, o, "detail", value_cstr(a, "the database "
			    "session is read-only: a standby, or "
			    "default_transaction_read_only is on"));
	}
	if (!behind)
		return;
	value_set(a, o, "schema", value_cstr(a, "behind"));
	list = value_array(a);
	for (p = missing; *p != '\0'; p += n + strspn(p + n, ", ")) {
		n = strcspn(p, ",");
		value_push(a, list, value_string(a, p, n));
	}
	value_set(a, o, "missing", list);
	value_set(a, o, "detail", value_cstr(a, arena_sprintf(a,
	    "database schema is behind: run rosterctl migrate "
	    "(missing %s)", missing)));
}

/*
 * GET /readyz: 200 when this host can write: the database answers, has
 * every migration of sql_dir, and the session is not read-only (not a
 * standby, not default_transaction_read_only); else 503.  Everyone gets
 * the status ({"status":"ready"} or {"status":"unavailable"}); a caller
 * with the metrics token or from an address of metrics_allow_from also
 * gets why: "database":"up"/"down", "writable":true/false, and
 * "schema":"behind","missing":[...] with the missing migrations' names.
 */
void
health_readyz(struct http_req *req, struct http_resp *resp)
{
	const struct app *app = req->ctx;
	struct arena *a = req->arena;
	struct value *o = value_object(a);
	const char *missing = "", *ro;
	enum db_status st;
	PGresult *r = NULL;
	int ok, behind, read_only = 0;

	behind = db_ready(app->db) &&
	    db_schema(app->db, &missing) == DB_SCHEMA_BEHIND;
	if (!behind)
		r = db_exec(app->db, a, STMT_PING, NULL, &st, NULL);
	if (r != NULL && ((ro = db_get(r, 0, "read_only")) == NULL ||
	    strcmp(ro, "f") != 0))
		read_only = 1;
	ok = r != NULL && !read_only;
	value_set(a, o, "status", value_cstr(a, ok ? "ready" :
	    "unavailable"));
	if (metrics_authorized(req))
		readyz_detail(a, o, r != NULL, behind, read_only, missing);
	send_json(req, resp, ok ? 200 : 503, "application/json", o);
	if (!ok)
		http_resp_header(resp, "Retry-After", "5");
}

extern const char openapi_doc[];
extern const size_t openapi_doc_len;

/* GET /openapi.json: docs/openapi.json, compiled in. */
void
health_openapi(struct http_req *req, struct http_resp *resp)
{
	(void)req;
	resp->status = 200;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_put(&resp->body, openapi_doc, openapi_doc_len);
}

static void plain_error(struct http_req *req, struct http_resp *resp,
    int status, const char *message);

/*
 * GET /metrics: Prometheus text format, every process's counters, for a
 * caller with "Authorization: Bearer <metrics_token>" or from an address
 * of metrics_allow_from (REMOTE_ADDR as nginx passes it; nginx's own
 * allow-list is not enough: whoever can write to the FastCGI socket
 * passes it).  401 otherwise when metrics_token_file is configured; 403
 * when it is not (closed when metrics_allow_from is empty too).
 */
void
health_metrics(struct http_req *req, struct http_resp *resp)
{
	const struct app *app = req->ctx;
	const char *(*labels)[2];
	size_t i;

	if (app == NULL || app->cfg == NULL || (app->cfg->metrics_token ==
	    NULL && app->cfg->nmetrics_allow == 0)) {
		plain_error(req, resp, 403, "/metrics is closed: set "
		    "metrics_token_file or metrics_allow_from in rosterd.conf.");
		return;
	}
	if (!metrics_authorized(req) && app->cfg->metrics_token == NULL) {
		plain_error(req, resp, 403, "/metrics answers only the "
		    "addresses of metrics_allow_from.");
		return;
	}
	if (!metrics_authorized(req)) {
		plain_error(req, resp, 401, "/metrics needs the bearer token "
		    "of metrics_token_file.");
		return;
	}

	labels = arena_allocarray(req->arena, nroutes, sizeof(*labels));
	for (i = 0; i < nroutes; i++) {
		labels[i][0] = routes[i].method;
		labels[i][1] = routes[i].pattern;
	}
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	buf_reset(&resp->body);
	metrics_render(&resp->body, (const char *const (*)[2])labels, nroutes,
	    PACKAGE_VERSION);
	jwks_metrics_render(&resp->body, req->arena, app->cfg->jwks_sources,
	    app->cfg->njwks_sources, app->cfg->state_dir);
}

static void
plain_error(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	struct arena *a = req->arena;
	struct value *o = value_object(a);

	value_set(a, o, "type", value_cstr(a, "about:blank"));
	value_set(a, o, "title", value_cstr(a, http_status_text(status)));
	value_set(a, o, "status", value_int(a, status));
	value_set(a, o, "detail", value_cstr(a, message));
	send_json(req, resp, status, "application/problem+json", o);
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate", "Bearer");
	if (status == 503)
		http_resp_header(resp, "Retry-After", "5");
}

const struct dialect dialect_plain = { "plain", plain_error };
