/*
 * scim_bulk.c: POST /Bulk (RFC 7644 §3.7).  Each operation is run as a
 * request of its own through the same route table and handlers (POST,
 * PUT, PATCH, DELETE on /Users and /Groups), in the bulk request's
 * tenant, with its version as If-Match.  "bulkId:<id>" in a path or a
 * value names the resource an operation of the same request created;
 * operations wait for the ones they name (circular or dangling
 * references fail with 409).  failOnErrors stops after that many
 * failures.  Operations are not one transaction, as the RFC says.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim.h"

#define SCIM_URN_BULKREQ  "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#define SCIM_URN_BULKRESP "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

static const struct fmt_limits bulk_limits = {
	.max_depth = 24, .max_items = SCIM_MAX_MEMBERS + 64,
	.max_string = 65536, .max_nodes = 8 * SCIM_MAX_MEMBERS + 65536,
};

struct bulk_op {
	const char	*method, *path, *bulk_id, *version;
	struct value	*data;
	struct value	*result;	/* the answer, once run */
	const char	*id;		/* the created resource's id */
};

/* The id that bulkId b created, or NULL (unknown or not yet). */
static const char *
bulk_resolve(const struct bulk_op *ops, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ops[i].bulk_id != NULL && strcmp(ops[i].bulk_id, b) == 0)
			return ops[i].id;
	return NULL;
}

/*
 * Replaces "bulkId:x" strings in v (in place): 1 when every one
 * resolved, 0 when one waits (its operation has not run).
 */
static int
bulk_subst(struct arena *a, const struct bulk_op *ops, size_t n,
    struct value *v)
{
	const char *id;
	size_t i;
	int ok = 1;

	if (v == NULL)
		return 1;
	switch (v->type) {
	case VALUE_STRING:
		if (strncmp(v->u.str.p, "bulkId:", 7) != 0)
			return 1;
		if ((id = bulk_resolve(ops, n, v->u.str.p + 7)) == NULL)
			return 0;
		v->u.str.p = arena_strdup(a, id);
		v->u.str.len = strlen(id);
		return 1;
	case VALUE_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			ok &= bulk_subst(a, ops, n, v->u.arr.items[i]);
		return ok;
	case VALUE_OBJECT:
		for (i = 0; i < v->u.obj.n; i++)
			ok &= bulk_subst(a, ops, n, v->u.obj.members[i].val);
		return ok;
	default:
		return 1;
	}
}

/* Whether v names a bulkId (still unresolved). */
static int
bulk_refs(const struct value *v)
{
	size_t i;

	if (v == NULL)
		return 0;
	switch (v->type) {
	case VALUE_STRING:
		return strncmp(v->u.str.p, "bulkId:", 7) == 0;
	case VALUE_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			if (bulk_refs(v->u.arr.items[i]))
				return 1;
		return 0;
	case VALUE_OBJECT:
		for (i = 0; i < v->u.obj.n; i++)
			if (bulk_refs(v->u.obj.members[i].val))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/* The request's FastCGI parameters without If-Match, with version. */
static char **
sub_env(struct http_req *req, const char *version)
{
	char **e, **out;
	size_t n = 0, k = 0;

	for (e = req->envp; e != NULL && *e != NULL; e++)
		n++;
	out = arena_allocarray(req->arena, n + 2, sizeof(*out));
	for (e = req->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "HTTP_IF_MATCH=", 14) != 0 &&
		    strncmp(*e, "HTTP_IDEMPOTENCY_KEY=", 21) != 0)
			out[k++] = *e;
	if (version != NULL)
		out[k++] = arena_sprintf(req->arena, "HTTP_IF_MATCH=%s",
		    version);
	out[k] = NULL;
	return out;
}

static const char *
resp_header(const struct http_resp *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* An operation's failure, before it reached a handler. */
static struct value *
op_error(struct arena *a, int status, const char *type, const char *detail)
{
	struct value *r = value_object(a);

	value_set(a, r, "status", value_cstr(a, arena_sprintf(a, "%d",
	    status)));
	value_set(a, r, "response", scim_error_value(a, status, type,
	    detail));
	return r;
}

/* Runs one operation through the route table; its answer. */
static struct value *
op_run(struct http_req *req, const char *prefix, struct bulk_op *op)
{
	struct arena *a = req->arena;
	struct http_req sub = *req;
	struct http_resp sr;
	struct value *r, *body;
	struct fmt_error ferr;
	const char *loc, *etag, *id;
	char allow[64];
	struct buf b;

	if (strchr(op->path, '?') != NULL || (strncasecmp(op->path, "/Users",
	    6) != 0 && strncasecmp(op->path, "/Groups", 7) != 0))
		return op_error(a, 400, "invalidPath", "An operation's path is "
		    "/Users or /Groups, or one of their resources.");
	sub.method = op->method;
	sub.uri = arena_sprintf(a, "%s%s", prefix, op->path);
	sub.path = sub.uri;
	sub.query = "";
	sub.envp = sub_env(req, op->version);
	sub.route = NULL;
	sub.nparams = 0;
	sub.content_type = "application/scim+json";
	sub.body = "";
	sub.body_len = 0;
	if (op->data != NULL) {
		buf_init(&b, a);
		json_encode(&b, op->data);
		sub.body = b.p;
		sub.body_len = b.len;
	}
	if (router_match(routes, nroutes, &sub, allow, sizeof(allow)) !=
	    ROUTE_FOUND || sub.route->dialect != &dialect_scim ||
	    strstr(sub.route->pattern, ".search") != NULL ||
	    strcmp(op->method, "GET") == 0)
		return op_error(a, 404, NULL, "No such resource or method.");
	http_resp_init(&sr, a);
	sub.route->handler(&sub, &sr);
	r = value_object(a);
	value_set(a, r, "status", value_cstr(a, arena_sprintf(a, "%d",
	    sr.status)));
	if ((loc = resp_header(&sr, "Location")) != NULL)
		value_set(a, r, "location", value_cstr(a, loc));
	else if (sr.status < 300 && strcmp(op->method, "POST") != 0)
		value_set(a, r, "location", value_cstr(a, arena_sprintf(a,
		    "%s%s", scim_base(req), op->path)));
	if ((etag = resp_header(&sr, "ETag")) != NULL)
		value_set(a, r, "version", value_cstr(a, etag));
	if (sr.status >= 400 && sr.body.len > 0 && json_decode(a, sr.body.p,
	    sr.body.len, &bulk_limits, &body, &ferr) == FMT_OK)
		value_set(a, r, "response", body);
	if (sr.status == 201 && sr.body.len > 0 && json_decode(a, sr.body.p,
	    sr.body.len, &bulk_limits, &body, &ferr) == FMT_OK &&
	    (id = scim_str(body, "id")) != NULL)
		op->id = id;
	return r;
}

/* POST /Bulk */
void
scim_bulk(struct http_req *req, struct http_resp *resp)
{
	struct arena *a = req->arena;
	struct value *body, *ops, *o, *out, *res, *x;
	const struct value *fv;
	struct bulk_op *bo;
	const char *prefix, *m, *p;
	size_t i, k, n, left;
	long fail_on = -1, failures = 0;
	char *path;
	int progress;

	if (!scim_tenant_ok(req, resp) ||
	    (body = scim_body(req, resp, &bulk_limits)) == NULL)
		return;
	ops = scim_obj_get(body, "Operations");
	if (ops == NULL || ops->type != VALUE_ARRAY) {
		scim_error(req, resp, 400, "invalidSyntax", "A BulkRequest "
		    "needs an Operations array.");
		return;
	}
	if (ops->u.arr.n > SCIM_BULK_MAX_OPS) {
		scim_error(req, resp, 413, NULL, arena_sprintf(a, "At most %d "
		    "operations in one BulkRequest.", SCIM_BULK_MAX_OPS));
		return;
	}
	if ((fv = scim_obj_get(body, "failOnErrors")) != NULL &&
	    fv->type != VALUE_NULL) {
		if (fv->type != VALUE_NUMBER || (fail_on = atol(fv->u.str.p)) <
		    1) {
			scim_error(req, resp, 400, "invalidValue",
			    "failOnErrors must be a whole number of at "
			    "least 1.");
			return;
		}
	}
	n = ops->u.arr.n;
	bo = arena_allocarray(a, n + 1, sizeof(*bo));
	memset(bo, 0, (n + 1) * sizeof(*bo));
	for (i = 0; i < n; i++) {
		o = ops->u.arr.items[i];
		m = scim_str(o, "method");
		p = scim_str(o, "path");
		if (m == NULL || p == NULL) {
			scim_error(req, resp, 400, "invalidSyntax",
			    arena_sprintf(a, "Operations[%zu] needs a method "
			    "and a path.", i));
			return;
		}
		bo[i].method = strcasecmp(m, "POST") == 0 ? "POST" :
		    strcasecmp(m, "PUT") == 0 ? "PUT" :
		    strcasecmp(m, "PATCH") == 0 ? "PATCH" :
		    strcasecmp(m, "DELETE") == 0 ? "DELETE" : "GET";
		bo[i].path = p;
		bo[i].bulk_id = scim_str(o, "bulkId");
		bo[i].version = scim_str(o, "version");
		bo[i].data = scim_obj_get(o, "data");
		if (strcmp(bo[i].method, "POST") == 0 &&
		    bo[i].bulk_id == NULL) {
			scim_error(req, resp, 400, "invalidValue",
			    arena_sprintf(a, "Operations[%zu]: a POST needs a "
			    "bulkId.", i));
			return;
		}
	}
	/* the request's own prefix: /scim/v2 or /scim/v2/tenants/{id} */
	prefix = arena_strdup(a, req->uri);
	if ((path = strchr(prefix, '?')) != NULL)
		*path = '\0';
	if ((path = strrchr(prefix, '/')) != NULL)
		*path = '\0';
	/* in order; one waiting for a later bulkId runs once that has run */
	left = n;
	do {
		progress = 0;
		for (i = 0; i < n; i++) {
			if (bo[i].result != NULL)
				continue;
			if (fail_on > 0 && failures >= fail_on)
				break;
			p = bo[i].path;
			if ((path = strstr(p, "bulkId:")) != NULL) {
				const char *id = bulk_resolve(bo, n, path + 7);

				if (id == NULL)
					continue;
				p = arena_sprintf(a, "%.*s%s", (int)(path - p),
				    p, id);
			}
			if (bo[i].data != NULL && bulk_refs(bo[i].data) &&
			    !bulk_subst(a, bo, n, bo[i].data))
				continue;
			bo[i].path = p;
			bo[i].result = op_run(req, prefix, &bo[i]);
			x = scim_obj_get(bo[i].result, "status");
			if (x != NULL && atoi(x->u.str.p) >= 400)
				failures++;
			left--;
			progress = 1;
		}
	} while (progress && left > 0 && !(fail_on > 0 && failures >= fail_on));
	out = value_object(a);
	x = value_array(a);
	value_push(a, x, value_cstr(a, SCIM_URN_BULKRESP));
	value_set(a, out, "schemas", x);
	res = value_array(a);
	for (i = 0; i < n; i++) {
		if (bo[i].result == NULL) {
			if (fail_on > 0 && failures >= fail_on)
				continue;	/* not run */
			bo[i].result = op_error(a, 409, "invalidValue",
			    "A bulkId this operation names is not created by "
			    "another operation of the request.");
		}
		x = value_object(a);
		value_set(a, x, "method", value_cstr(a, bo[i].method));
		if (bo[i].bulk_id != NULL)
			value_set(a, x, "bulkId", value_cstr(a, bo[i].bulk_id));
		for (k = 0; k < bo[i].result->u.obj.n; k++)
			value_set(a, x, bo[i].result->u.obj.members[k].key,
			    bo[i].result->u.obj.members[k].val);
		value_push(a, res, x);
	}
	value_set(a, out, "Operations", res);
	scim_send(req, resp, 200, out);
}
