/*
 * scim.c: the SCIM 2.0 dialect's shared machinery: RFC 7644 §3.12
 * errors (every failure under /scim/, the request path's 401, 403, 404,
 * 405 and 413 included), bodies in application/scim+json or
 * application/json, discovery (/ServiceProviderConfig, /ResourceTypes,
 * /Schemas, from the tables of scim_schema.c), normalisation of what
 * real clients send, PATCH (RFC 7644 §3.5.2 and the clients' quirks),
 * attributes/excludedAttributes, startIndex/count and filters compiled
 * to SQL by src/scim/filter.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "scim.h"

/* ---- responses ---- */

void
scim_send(struct http_req *req, struct http_resp *resp, int status,
    const struct value *v)
{
	(void)req;
	resp->status = status;
	resp->content_type = "application/scim+json";
	buf_reset(&resp->body);
	json_encode(&resp->body, v);
}

struct value *
scim_error_value(struct arena *a, int status, const char *scim_type,
    const char *detail)
{
	struct value *v = value_object(a), *s = value_array(a);

	value_push(a, s, value_cstr(a, SCIM_URN_ERROR));
	value_set(a, v, "schemas", s);
	if (scim_type != NULL)
		value_set(a, v, "scimType", value_cstr(a, scim_type));
	value_set(a, v, "detail", value_cstr(a, detail));
	value_set(a, v, "status", value_cstr(a, arena_sprintf(a, "%d",
	    status)));
	return v;
}

void
scim_error(struct http_req *req, struct http_resp *resp, int status,
    const char *scim_type, const char *detail)
{
	scim_send(req, resp, status, scim_error_value(req->arena, status,
	    scim_type, detail));
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"rosterd\"");
}

/* The request path's refusals (401, 403, 404, 405, 413, 503...). */
static void
scim_dialect_error(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	const char *detail = message;

	if (status == 404 && req->route == NULL)
		detail = "No SCIM endpoint has this path.";
	scim_error(req, resp, status, status == 400 ? "invalidValue" : NULL,
	    detail);
}

const struct dialect dialect_scim = { "scim", scim_dialect_error };

void
scim_db_error(struct http_req *req, struct http_resp *resp, enum db_status st)
{
	if (st == DB_UNAVAILABLE) {
		http_resp_header(resp, "Retry-After", "1");
		scim_error(req, resp, 503, NULL, "The service is unavailable "
		    "right now; retry.");
	} else
		scim_error(req, resp, 500, NULL, "An error has occurred.");
}

/* ---- requests ---- */

struct value *
scim_body(struct http_req *req, struct http_resp *resp,
    const struct fmt_limits *lim)
{
	struct fmt_error err;
	struct value *v;
	const char *ct = req->content_type;
	size_t n;

	if (ct != NULL && *ct != '\0') {
		n = strcspn(ct, "; \t");
		if (!(n == 21 && strncasecmp(ct, "application/scim+json",
		    21) == 0) && !(n == 16 && strncasecmp(ct,
		    "application/json", 16) == 0)) {
			scim_error(req, resp, 415, NULL, arena_sprintf(
			    req->arena, "The media type '%.*s' is not "
			    "supported: send application/scim+json.",
			    (int)(n > 64 ? 64 : n), ct));
			return NULL;
		}
	}
	if (req->body_len == 0) {
		scim_error(req, resp, 400, "invalidSyntax",
		    "The request needs a JSON body.");
		return NULL;
	}
	switch (json_decode(req->arena, req->body, req->body_len,
	    lim != NULL ? lim : dialect_limits(req), &v, &err)) {
	case FMT_OK:
		break;
	case FMT_LIMIT:
		scim_error(req, resp, 413, NULL, arena_sprintf(req->arena,
		    "%s%s%s", err.path[0] ? err.path : "", err.path[0] ?
		    ": " : "", err.msg));
		return NULL;
	default:
		scim_error(req, resp, 400, "invalidSyntax", arena_sprintf(
		    req->arena, "The body is not valid JSON%s%s: %s",
		    err.path[0] ? " at " : "", err.path, err.msg));
		return NULL;
	}
	if (v->type != VALUE_OBJECT) {
		scim_error(req, resp, 400, "invalidSyntax",
		    "The body must be a JSON object.");
		return NULL;
	}
	return v;
}

const char *
scim_query(const struct http_req *req, const char *name, int *bad)
{
	return http_query_param(req, name, HTTP_QUERY_ANYCASE | HTTP_QUERY_BARE,
	    bad);
}

int
scim_tenant_ok(struct http_req *req, struct http_resp *resp)
{
	if (req->tenant != NULL && uuid_valid(req->tenant, strlen(req->tenant)))
		return 1;
	scim_error(req, resp, 404, NULL, "No tenant has this id.");
	return 0;
}

const char *
scim_path_id(struct http_req *req, struct http_resp *resp, const char *what)
{
	const char *id = http_req_param(req, "id");
	char canon[UUID_STR_LEN + 1];

	if (!scim_tenant_ok(req, resp))
		return NULL;
	if (id == NULL || uuid_normalize(id, strlen(id), canon) != 0) {
		scim_error(req, resp, 404, NULL, arena_sprintf(req->arena,
		    "No %s has this id.", what));
		return NULL;
	}
	return arena_strdup(req->arena, canon);
}

const char *
scim_if_match(const struct http_req *req)
{
	const char *h = http_req_header(req, "If-Match"), *p;
	size_t n;

	if (h == NULL)
		return NULL;
	while (*h == ' ')
		h++;
	if (strcmp(h, "*") == 0)
		return NULL;
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	/* at most 18 digits: every one a bigint, as versions are */
	if (n < 3 || n > 20 || h[0] != '"' || h[n - 1] != '"')
		return "-1";
	for (p = h + 1; p < h + n - 1; p++)
		if (*p < '0' || *p > '9')
			return "-1";
	return arena_strndup(req->arena, h + 1, n - 2);
}

/* A Host header fit to be echoed in a URL, else NULL. */
static const char *
scim_host(const struct http_req *req)
{
	const char *h = http_req_header(req, "Host"), *p;

	if (h == NULL || *h == '\0' || strlen(h) > 255)
		return NULL;
	for (p = h; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == ':' || *p == '[' || *p == ']'))
			return NULL;
	return h;
}

/*
 * The request's SCIM base URL, made once a request (a page of users
 * needs it for every user and group reference) once the tenant is known.
 */
const char *
scim_base(struct http_req *req)
{
	const char *host, *https, *origin = "", *t;
	const char *base;

	if (req->base_url != NULL)
		return req->base_url;
	host = scim_host(req);
	https = http_req_env(req, "HTTPS");
	t = http_req_param(req, "tenantId");
	if (host != NULL)
		origin = arena_strcat(req->arena, https != NULL &&
		    strcasecmp(https, "on") == 0 ? "https://" : "http://", host,
		    (char *)NULL);
	if (t != NULL && req->tenant != NULL)
		return req->base_url = arena_strcat(req->arena, origin,
		    "/scim/v2/tenants/", req->tenant, (char *)NULL);
	base = arena_strcat(req->arena, origin, "/scim/v2", (char *)NULL);
	if (t == NULL)
		req->base_url = base;
	return base;
}

const char *
scim_actor(const struct http_req *req)
{
	struct core_ctx c;

	dialect_core_ctx(req, &c);
	return c.actor;
}

PGresult *
scim_exec(struct http_req *req, enum stmt id, const char *const *params,
    enum db_status *st, const char **constraint)
{
	const struct app *app = req->ctx;

	return db_exec(app->db, req->arena, id, params, st, constraint);
}

/* ---- objects ---- */

static ssize_t
obj_index(const struct value *o, const char *key)
{
	size_t i;

	if (o == NULL || o->type != VALUE_OBJECT)
		return -1;
	for (i = 0; i < o->u.obj.n; i++)
		if (strcmp(o->u.obj.members[i].key, key) == 0)
			return (ssize_t)i;
	for (i = 0; i < o->u.obj.n; i++)
		if (strcasecmp(o->u.obj.members[i].key, key) == 0)
			return (ssize_t)i;
	return -1;
}

struct value *
scim_obj_get(const struct value *o, const char *key)
{
	ssize_t i = obj_index(o, key);

	return i < 0 ? NULL : o->u.obj.members[i].val;
}

/* Sets key (replacing a member of that name in any case, renamed). */
void
scim_obj_put(struct arena *a, struct value *o, const char *key,
    struct value *v)
{
	ssize_t i = obj_index(o, key);

	if (i < 0) {
		value_set(a, o, key, v);
		return;
	}
	o->u.obj.members[i].key = arena_strdup(a, key);
	o->u.obj.members[i].klen = strlen(key);
	o->u.obj.members[i].val = v;
}

void
scim_obj_del(struct value *o, const char *key)
{
	ssize_t i;

	while ((i = obj_index(o, key)) >= 0) {
		memmove(&o->u.obj.members[i], &o->u.obj.members[i + 1],
		    (o->u.obj.n - (size_t)i - 1) * sizeof(struct member));
		o->u.obj.n--;
	}
}

const char *
scim_str(const struct value *o, const char *key)
{
	const struct value *v = scim_obj_get(o, key);

	return v != NULL && v->type == VALUE_STRING ? v->u.str.p : NULL;
}

/* ---- schemas ---- */

static const struct scim_attr *
attr_find(const struct scim_attr *attrs, size_t n, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcasecmp(attrs[i].name, name) == 0)
			return &attrs[i];
	return NULL;
}

/* The schema of rt that urn names (core or extension), or NULL. */
static const struct scim_schema *
schema_of(const struct scim_rtype *rt, const char *urn, size_t n)
{
	if (strlen(rt->core->urn) == n && strncasecmp(rt->core->urn, urn,
	    n) == 0)
		return rt->core;
	if (rt->ext != NULL && strlen(rt->ext->urn) == n &&
	    strncasecmp(rt->ext->urn, urn, n) == 0)
		return rt->ext;
	return NULL;
}

/* ---- normalisation ---- */

static struct value *norm_value(struct arena *, const struct scim_attr *,
    struct value *, int, char *, size_t);

static struct value *
copy_value(struct arena *a, const struct value *v)
{
	struct value *c;
	size_t i;

	switch (v->type) {
	case VALUE_ARRAY:
		c = value_array(a);
		for (i = 0; i < v->u.arr.n; i++)
			value_push(a, c, copy_value(a, v->u.arr.items[i]));
		return c;
	case VALUE_OBJECT:
		c = value_object(a);
		for (i = 0; i < v->u.obj.n; i++)
			value_set(a, c, v->u.obj.members[i].key,
			    copy_value(a, v->u.obj.members[i].val));
		return c;
	default:
		c = arena_alloc(a, sizeof(*c));
		*c = *v;
		return c;
	}
}

/* Sets, drops or reports err: the result of one normalised member. */
#define NORM_ERR	((struct value *)-1)

/* Normalises the members of a complex value by the sub-attributes. */
static struct value *
norm_complex(struct arena *a, const struct scim_attr *attr, struct value *v,
    char *err, size_t errlen)
{
	struct value *out = value_object(a), *x;
	const struct scim_attr *s;
	size_t i;

	if (v->type == VALUE_STRING &&
	    attr_find(attr->sub, attr->nsub, "value") != NULL) {
		/* a bare id or address where {"value": ...} is due */
		x = value_object(a);
		value_set(a, x, "value", value_string(a, v->u.str.p,
		    v->u.str.len));
		v = x;
	}
	if (v->type != VALUE_OBJECT) {
		snprintf(err, errlen, "%s must be an object.", attr->name);
		return NORM_ERR;
	}
	for (i = 0; i < v->u.obj.n; i++) {
		s = attr_find(attr->sub, attr->nsub, v->u.obj.members[i].key);
		x = norm_value(a, s, v->u.obj.members[i].val, 0, err, errlen);
		if (x == NORM_ERR)
			return NORM_ERR;
		if (x != NULL)
			scim_obj_put(a, out, s != NULL ? s->name :
			    v->u.obj.members[i].key, x);
	}
	return out->u.obj.n > 0 ? out : NULL;
}

/*
 * One attribute's value normalised: NULL to drop it (null, empty),
 * NORM_ERR with err, or the value.  single: a multi-valued attribute's
 * element.
 */
static struct value *
norm_value(struct arena *a, const struct scim_attr *attr, struct value *v,
    int single, char *err, size_t errlen)
{
	struct value *out, *x;
	size_t i;

	if (v == NULL || v->type == VALUE_NULL)
		return NULL;
	if (attr == NULL)
		return v;	/* unknown: kept as sent */
	if ((attr->flags & SA_MULTI) && !single) {
		out = value_array(a);
		if (v->type != VALUE_ARRAY) {
			x = norm_value(a, attr, v, 1, err, errlen);
			if (x == NORM_ERR)
				return NORM_ERR;
			if (x != NULL)
				value_push(a, out, x);
		} else
			for (i = 0; i < v->u.arr.n; i++) {
				x = norm_value(a, attr, v->u.arr.items[i], 1,
				    err, errlen);
				if (x == NORM_ERR)
					return NORM_ERR;
				if (x != NULL)
					value_push(a, out, x);
			}
		return out->u.arr.n > 0 ? out : NULL;
	}
	switch (attr->type) {
	case SA_COMPLEX:
		return norm_complex(a, attr, v, err, errlen);
	case SA_BOOL:
		if (v->type == VALUE_BOOL)
			return v;
		if (v->type == VALUE_STRING &&
		    strcasecmp(v->u.str.p, "true") == 0)
			return value_bool(a, 1);
		if (v->type == VALUE_STRING &&
		    strcasecmp(v->u.str.p, "false") == 0)
			return value_bool(a, 0);
		snprintf(err, errlen, "%s must be true or false.", attr->name);
		return NORM_ERR;
	default:
		if (v->type == VALUE_STRING)
			return v;
		snprintf(err, errlen, "%s must be a string.", attr->name);
		return NORM_ERR;
	}
}

/* Merges src's members into dst (objects): src wins. */
static void
merge_obj(struct arena *a, struct value *dst, const struct value *src)
{
	size_t i;

	for (i = 0; i < src->u.obj.n; i++)
		scim_obj_put(a, dst, src->u.obj.members[i].key,
		    src->u.obj.members[i].val);
}

/* The object member key of o, created empty when absent or not one. */
static struct value *
obj_child(struct arena *a, struct value *o, const char *key)
{
	struct value *c = scim_obj_get(o, key);

	if (c == NULL || c->type != VALUE_OBJECT) {
		c = value_object(a);
		scim_obj_put(a, o, key, c);
	}
	return c;
}

/*
 * Puts the normalised value of attribute name (possibly "name.sub") of
 * schema sc into container o.  0, or -1 with err.
 */
static int
norm_put(struct arena *a, const struct scim_schema *sc, struct value *o,
    const char *name, struct value *v, char *err, size_t errlen)
{
	const struct scim_attr *at, *sub;
	const char *dot = strchr(name, '.');
	struct value *x, *c;
	char *parent;

	if (dot != NULL) {
		parent = arena_strndup(a, name, (size_t)(dot - name));
		at = attr_find(sc->attrs, sc->nattrs, parent);
		sub = at != NULL && at->type == SA_COMPLEX &&
		    !(at->flags & SA_MULTI) ? attr_find(at->sub, at->nsub,
		    dot + 1) : NULL;
		if (at != NULL && (at->type != SA_COMPLEX ||
		    (at->flags & SA_MULTI))) {
			snprintf(err, errlen, "%.64s cannot be set by a "
			    "dotted name.", name);
			return -1;
		}
		x = norm_value(a, sub, v, 0, err, errlen);
		if (x == NORM_ERR)
			return -1;
		c = obj_child(a, o, at != NULL ? at->name : parent);
		if (x == NULL)
			scim_obj_del(c, dot + 1);
		else
			scim_obj_put(a, c, sub != NULL ? sub->name : dot + 1,
			    x);
		return 0;
	}
	at = attr_find(sc->attrs, sc->nattrs, name);
	if (at != NULL && (at->flags & SA_READ_ONLY))
		return 0;	/* groups on a User: ignored */
	x = norm_value(a, at, v, 0, err, errlen);
	if (x == NORM_ERR)
		return -1;
	if (x == NULL)
		scim_obj_del(o, name);
	else
		scim_obj_put(a, o, at != NULL ? at->name : name, x);
	return 0;
}

int
scim_normalize(struct arena *a, const struct scim_rtype *rt,
    struct value *res, char *err, size_t errlen)
{
	struct value *out = value_object(a), *v, *ext;
	const struct scim_schema *sc;
	const char *key, *colon;
	size_t i, j;

	for (i = 0; i < res->u.obj.n; i++) {
		key = res->u.obj.members[i].key;
		v = res->u.obj.members[i].val;
		if (strcasecmp(key, "schemas") == 0 ||
		    strcasecmp(key, "id") == 0 || strcasecmp(key, "meta") == 0)
			continue;
		if ((sc = schema_of(rt, key, strlen(key))) != NULL) {
			if (v->type == VALUE_NULL)
				continue;
			if (v->type != VALUE_OBJECT) {
				snprintf(err, errlen, "%s must be an object.",
				    sc->urn);
				return -1;
			}
			ext = sc == rt->core ? out : obj_child(a, out,
			    sc->urn);
			for (j = 0; j < v->u.obj.n; j++)
				if (norm_put(a, sc, ext,
				    v->u.obj.members[j].key,
				    v->u.obj.members[j].val, err, errlen) != 0)
					return -1;
			continue;
		}
		if (strncasecmp(key, "urn:", 4) == 0 &&
		    (colon = strrchr(key, ':')) != NULL &&
		    (sc = schema_of(rt, key, (size_t)(colon - key))) != NULL) {
			ext = sc == rt->core ? out : obj_child(a, out,
			    sc->urn);
			if (norm_put(a, sc, ext, colon + 1, v, err,
			    errlen) != 0)
				return -1;
			continue;
		}
		if (strncasecmp(key, "urn:", 4) == 0) {
			if (v->type != VALUE_NULL)
				scim_obj_put(a, out, key, v);
			continue;	/* another schema's: kept as sent */
		}
		if (norm_put(a, rt->core, out, key, v, err, errlen) != 0)
			return -1;
	}
	/* empty extension objects go */
	if (rt->ext != NULL &&
	    (ext = scim_obj_get(out, rt->ext->urn)) != NULL &&
	    ext->type == VALUE_OBJECT && ext->u.obj.n == 0)
		scim_obj_del(out, rt->ext->urn);
	res->u.obj = out->u.obj;
	return 0;
}

/* ---- filters on JSON (PATCH value paths) ---- */

static const struct value *
node_operand(const struct scim_node *n, const struct value *v)
{
	const struct value *x = scim_obj_get(v, n->path.attr);

	if (x != NULL && n->path.sub != NULL)
		x = scim_obj_get(x, n->path.sub);
	return x;
}

static int
cmp_match(const struct scim_node *n, const struct value *x)
{
	const char *s;
	size_t sl, vl;
	double a, b;
	int c;

	if (n->op == SCIM_PR)
		return x != NULL && x->type != VALUE_NULL &&
		    !(x->type == VALUE_STRING && x->u.str.len == 0) &&
		    !(x->type == VALUE_ARRAY && x->u.arr.n == 0);
	if (n->vtype == SCIM_V_NULL)
		return (n->op == SCIM_EQ) == (x == NULL ||
		    x->type == VALUE_NULL);
	if (x == NULL || x->type == VALUE_NULL)
		return n->op == SCIM_NE;
	if (x->type == VALUE_BOOL)
		s = x->u.boolean ? "true" : "false";
	else if (x->type == VALUE_STRING || x->type == VALUE_NUMBER)
		s = x->u.str.p;
	else
		return n->op == SCIM_NE;
	if (n->value == NULL)
		return 0;
	sl = strlen(s);
	vl = strlen(n->value);
	if (n->vtype == SCIM_V_NUMBER && x->type == VALUE_NUMBER) {
		a = strtod(s, NULL);
		b = strtod(n->value, NULL);
		c = a < b ? -1 : a > b ? 1 : 0;
	} else
		c = strcasecmp(s, n->value);
	switch (n->op) {
	case SCIM_EQ:
		return c == 0;
	case SCIM_NE:
		return c != 0;
	case SCIM_CO:
		return strcasestr(s, n->value) != NULL;
	case SCIM_SW:
		return sl >= vl && strncasecmp(s, n->value, vl) == 0;
	case SCIM_EW:
		return sl >= vl && strcasecmp(s + sl - vl, n->value) == 0;
	case SCIM_GT:
		return c > 0;
	case SCIM_GE:
		return c >= 0;
	case SCIM_LT:
		return c < 0;
	case SCIM_LE:
		return c <= 0;
	default:
		return 0;
	}
}

int
scim_filter_match(const struct scim_node *n, const struct value *v)
{
	if (n == NULL)
		return 0;
	switch (n->kind) {
	case SCIM_N_AND:
		return scim_filter_match(n->left, v) &&
		    scim_filter_match(n->right, v);
	case SCIM_N_OR:
		return scim_filter_match(n->left, v) ||
		    scim_filter_match(n->right, v);
	case SCIM_N_NOT:
		return !scim_filter_match(n->left, v);
	case SCIM_N_CMP:
		return cmp_match(n, node_operand(n, v));
	default:
		return 0;
	}
}

/* The element a filter describes: its "eq" comparisons, ANDed. */
static void
filter_seed(struct arena *a, const struct scim_node *n, struct value *o)
{
	if (n == NULL)
		return;
	if (n->kind == SCIM_N_AND) {
		filter_seed(a, n->left, o);
		filter_seed(a, n->right, o);
		return;
	}
	if (n->kind != SCIM_N_CMP || n->op != SCIM_EQ || n->path.sub != NULL ||
	    n->value == NULL)
		return;
	if (n->vtype == SCIM_V_BOOL)
		scim_obj_put(a, o, n->path.attr, value_bool(a,
		    strcmp(n->value, "true") == 0));
	else if (n->vtype == SCIM_V_NUMBER)
		scim_obj_put(a, o, n->path.attr, value_number(a, n->value));
	else
		scim_obj_put(a, o, n->path.attr, value_cstr(a, n->value));
}

/* ---- PATCH ---- */

enum patch_op { P_ADD, P_REMOVE, P_REPLACE };

struct patch {
	struct http_req	*req;
	struct http_resp *resp;
	struct arena	*a;
	const struct scim_rtype *rt;
	struct value	*res;
};

static int
patch_fail(struct patch *p, const char *type, const char *detail)
{
	scim_error(p->req, p->resp, 400, type, detail);
	return -1;
}

/* Same element of a multi-valued attribute: same "value", else equal. */
static int
elem_same(const struct value *x, const struct value *y)
{
	const char *a = scim_str(x, "value"), *b = scim_str(y, "value");
	struct buf bx, by;
	int same;

	if (a != NULL || b != NULL)
		return a != NULL && b != NULL && strcmp(a, b) == 0;
	buf_init(&bx, NULL);
	buf_init(&by, NULL);
	json_encode(&bx, x);
	json_encode(&by, y);
	same = bx.len == by.len && memcmp(bx.p, by.p, bx.len) == 0;
	buf_release(&bx);
	buf_release(&by);
	return same;
}

/*
 * When el, an element of arr, is primary ("primary": true), no other is
 * (RFC 7644 3.5.2: the server sets the others' primary to false).
 */
static void
one_primary(struct arena *a, struct value *arr, const struct value *el)
{
	const struct value *p = scim_obj_get(el, "primary");
	struct value *x;
	size_t i;

	if (p == NULL || p->type != VALUE_BOOL || !p->u.boolean)
		return;
	for (i = 0; i < arr->u.arr.n; i++) {
		x = arr->u.arr.items[i];
		if (x != el && x->type == VALUE_OBJECT &&
		    (p = scim_obj_get(x, "primary")) != NULL &&
		    p->type == VALUE_BOOL && p->u.boolean)
			scim_obj_put(a, x, "primary", value_bool(a, 0));
	}
}

/* Appends the elements of add (an array) to o[name], skipping repeats. */
static void
multi_add(struct arena *a, struct value *o, const char *name,
    const struct value *add)
{
	struct value *arr = scim_obj_get(o, name);
	size_t i, j;

	if (arr == NULL || arr->type != VALUE_ARRAY) {
		arr = value_array(a);
		scim_obj_put(a, o, name, arr);
	}
	for (i = 0; i < add->u.arr.n; i++) {
		for (j = 0; j < arr->u.arr.n; j++)
			if (elem_same(arr->u.arr.items[j], add->u.arr.items[i]))
				break;
		if (j < arr->u.arr.n) {
			if (arr->u.arr.items[j]->type == VALUE_OBJECT &&
			    add->u.arr.items[i]->type == VALUE_OBJECT)
				merge_obj(a, arr->u.arr.items[j],
				    add->u.arr.items[i]);
		} else
			value_push(a, arr, add->u.arr.items[i]);
		if (arr->u.arr.items[j]->type == VALUE_OBJECT)
			one_primary(a, arr, arr->u.arr.items[j]);
	}
}

/* Sets attribute at (NULL: unknown, named name) of container o. */
static void
attr_set(struct arena *a, const struct scim_attr *at, struct value *o,
    const char *name, struct value *v, enum patch_op op)
{
	struct value *cur;

	if (v == NULL) {
		if (op == P_REPLACE)
			scim_obj_del(o, name);
		return;
	}
	if (at != NULL && (at->flags & SA_MULTI) && op == P_ADD &&
	    v->type == VALUE_ARRAY) {
		multi_add(a, o, at->name, v);
		return;
	}
	if (at != NULL && at->type == SA_COMPLEX && !(at->flags & SA_MULTI) &&
	    v->type == VALUE_OBJECT && (cur = scim_obj_get(o, name)) != NULL &&
	    cur->type == VALUE_OBJECT) {
		merge_obj(a, cur, v);
		return;
	}
	scim_obj_put(a, o, name, v);
}

/* Removes from o[name] the elements named by v (Entra's remove). */
static void
multi_remove(struct value *o, const char *name, const struct value *v)
{
	struct value *arr = scim_obj_get(o, name);
	size_t i, j, k, n;

	if (arr == NULL || arr->type != VALUE_ARRAY)
		return;
	n = v->type == VALUE_ARRAY ? v->u.arr.n : 1;
	for (i = 0, k = 0; i < arr->u.arr.n; i++) {
		for (j = 0; j < n; j++)
			if (elem_same(arr->u.arr.items[i], v->type ==
			    VALUE_ARRAY ? v->u.arr.items[j] : v))
				break;
		if (j == n)
			arr->u.arr.items[k++] = arr->u.arr.items[i];
	}
	arr->u.arr.n = k;
	if (k == 0)
		scim_obj_del(o, name);
}

/* A path-less add or replace: value's attributes, each as its own op. */
static int
patch_no_path(struct patch *p, enum patch_op op, const struct value *value)
{
	struct value *v, *ext;
	const struct scim_schema *sc;
	char err[160];
	size_t i, j;

	if (op == P_REMOVE)
		return patch_fail(p, "noTarget", "A remove operation needs "
		    "a path.");
	if (value == NULL || value->type != VALUE_OBJECT)
		return patch_fail(p, "invalidValue", "An operation without "
		    "a path needs an object value.");
	v = copy_value(p->a, value);
	if (scim_normalize(p->a, p->rt, v, err, sizeof(err)) != 0)
		return patch_fail(p, "invalidValue", arena_strdup(p->a, err));
	for (i = 0; i < v->u.obj.n; i++) {
		const char *k = v->u.obj.members[i].key;
		struct value *x = v->u.obj.members[i].val;

		sc = p->rt->ext != NULL && strcmp(k, p->rt->ext->urn) == 0 ?
		    p->rt->ext : NULL;
		if (sc != NULL && x->type == VALUE_OBJECT) {
			ext = obj_child(p->a, p->res, sc->urn);
			for (j = 0; j < x->u.obj.n; j++)
				attr_set(p->a, attr_find(sc->attrs, sc->nattrs,
				    x->u.obj.members[j].key), ext,
				    x->u.obj.members[j].key,
				    x->u.obj.members[j].val, op);
			continue;
		}
		attr_set(p->a, attr_find(p->rt->core->attrs,
		    p->rt->core->nattrs, k), p->res, k, x, op);
	}
	/* a path-less replace may name attributes with null: cleared */
	if (op == P_REPLACE)
		for (i = 0; i < value->u.obj.n; i++)
			if (value->u.obj.members[i].val->type == VALUE_NULL &&
			    strchr(value->u.obj.members[i].key, ':') == NULL &&
			    strchr(value->u.obj.members[i].key, '.') == NULL)
				scim_obj_del(p->res,
				    value->u.obj.members[i].key);
	return 0;
}

/* Whether a value clears what it replaces: null, "", []. */
static int
value_clears(const struct value *v)
{
	return v == NULL || v->type == VALUE_NULL ||
	    (v->type == VALUE_STRING && v->u.str.len == 0) ||
	    (v->type == VALUE_ARRAY && v->u.arr.n == 0);
}

static int
patch_path(struct patch *p, enum patch_op op, const struct scim_path *path,
    struct value *value)
{
	const struct scim_schema *sc = p->rt->core;
	const struct scim_attr *at = NULL, *sub = NULL;
	struct value *o = p->res, *x, *arr, *el;
	const char *name = path->attr.attr, *subname;
	char err[160];
	size_t i, k, nmatch;

	if (path->attr.urn != NULL) {
		sc = schema_of(p->rt, path->attr.urn, strlen(path->attr.urn));
		if (sc == NULL && p->rt->ext != NULL && name != NULL &&
		    strncasecmp(p->rt->ext->urn, path->attr.urn,
		    strlen(path->attr.urn)) == 0 &&
		    p->rt->ext->urn[strlen(path->attr.urn)] == ':' &&
		    strcasecmp(p->rt->ext->urn + strlen(path->attr.urn) + 1,
		    name) == 0 && path->attr.sub == NULL &&
		    path->filter == NULL) {
			/* the whole extension */
			if (op == P_REMOVE) {
				scim_obj_del(p->res, p->rt->ext->urn);
				return 0;
			}
			x = value_object(p->a);
			if (value != NULL)
				value_set(p->a, x, p->rt->ext->urn, value);
			return patch_no_path(p, op, x);
		}
		if (sc == NULL)
			return patch_fail(p, "invalidPath", arena_sprintf(p->a,
			    "%.128s is not a schema of this resource.",
			    path->attr.urn));
		if (sc != p->rt->core) {
			if (op == P_REMOVE && scim_obj_get(p->res, sc->urn) ==
			    NULL)
				return 0;
			o = obj_child(p->a, p->res, sc->urn);
		}
	}
	at = attr_find(sc->attrs, sc->nattrs, name);
	if (at == NULL && path->attr.urn == NULL && p->rt->ext != NULL &&
	    (at = attr_find(p->rt->ext->attrs, p->rt->ext->nattrs,
	    name)) != NULL) {
		/* "manager": an extension attribute named without its URN */
		sc = p->rt->ext;
		if (op == P_REMOVE && scim_obj_get(p->res, sc->urn) == NULL)
			return 0;
		o = obj_child(p->a, p->res, sc->urn);
	}
	if (at != NULL && (at->flags & SA_READ_ONLY))
		return patch_fail(p, "mutability", arena_sprintf(p->a,
		    "%s is read-only.", at->name));
	if (at != NULL)
		name = at->name;
	subname = path->filter != NULL ? path->sub_after : path->attr.sub;
	if (subname != NULL && at != NULL && at->type == SA_COMPLEX) {
		sub = attr_find(at->sub, at->nsub, subname);
		if (sub != NULL)
			subname = sub->name;
	}

	if (path->filter == NULL && subname == NULL) {
		if (op == P_REMOVE) {
			if (value != NULL && value->type != VALUE_NULL &&
			    at != NULL && (at->flags & SA_MULTI)) {
				x = norm_value(p->a, at, value, 0, err,
				    sizeof(err));
				if (x == NORM_ERR)
					return patch_fail(p, "invalidValue",
					    arena_strdup(p->a, err));
				if (x != NULL)
					multi_remove(o, name, x);
				return 0;
			}
			scim_obj_del(o, name);
			return 0;
		}
		if (op == P_REPLACE && value_clears(value)) {
			scim_obj_del(o, name);
			return 0;
		}
		x = norm_value(p->a, at, value, 0, err, sizeof(err));
		if (x == NORM_ERR)
			return patch_fail(p, "invalidValue", arena_strdup(p->a,
			    err));
		attr_set(p->a, at, o, name, x, op);
		return 0;
	}

	if (path->filter == NULL) {
		/* name.sub: on the complex attribute (every element) */
		x = NULL;
		if (op != P_REMOVE && !value_clears(value)) {
			x = norm_value(p->a, sub, value, 0, err, sizeof(err));
			if (x == NORM_ERR)
				return patch_fail(p, "invalidValue",
				    arena_strdup(p->a, err));
		}
		arr = scim_obj_get(o, name);
		if (at != NULL && (at->flags & SA_MULTI)) {
			if (arr == NULL || arr->type != VALUE_ARRAY)
				return 0;
			for (i = 0; i < arr->u.arr.n; i++) {
				el = arr->u.arr.items[i];
				if (el->type != VALUE_OBJECT)
					continue;
				if (x == NULL)
					scim_obj_del(el, subname);
				else
					scim_obj_put(p->a, el, subname, x);
			}
			return 0;
		}
		if (x == NULL) {
			if (arr != NULL && arr->type == VALUE_OBJECT) {
				scim_obj_del(arr, subname);
				if (arr->u.obj.n == 0)
					scim_obj_del(o, name);
			}
			return 0;
		}
		scim_obj_put(p->a, obj_child(p->a, o, name), subname, x);
		return 0;
	}

	/* name[filter] or name[filter].sub */
	arr = scim_obj_get(o, name);
	if (at != NULL && !(at->flags & SA_MULTI)) {
		/* manager[value eq "x"]: the one value, if it matches */
		int match = arr != NULL && arr->type == VALUE_OBJECT &&
		    scim_filter_match(path->filter, arr);

		if (op == P_REMOVE) {
			if (match && subname != NULL)
				scim_obj_del(arr, subname);
			else if (match)
				scim_obj_del(o, name);
			return 0;
		}
		x = value_object(p->a);
		if (subname != NULL)
			value_set(p->a, x, subname, value);
		else if (value != NULL)
			x = value;
		x = norm_value(p->a, at, x, 0, err, sizeof(err));
		if (x == NORM_ERR)
			return patch_fail(p, "invalidValue", arena_strdup(p->a,
			    err));
		attr_set(p->a, at, o, name, x, P_ADD);
		return 0;
	}
	if (arr != NULL && arr->type != VALUE_ARRAY)
		arr = NULL;
	nmatch = 0;
	if (op == P_REMOVE) {
		if (arr == NULL)
			return 0;
		for (i = 0, k = 0; i < arr->u.arr.n; i++) {
			el = arr->u.arr.items[i];
			if (!scim_filter_match(path->filter, el)) {
				arr->u.arr.items[k++] = el;
				continue;
			}
			if (subname != NULL) {
				scim_obj_del(el, subname);
				arr->u.arr.items[k++] = el;
			}
		}
		arr->u.arr.n = k;
		if (k == 0)
			scim_obj_del(o, name);
		return 0;
	}
	/* add/replace: the matching elements, or a new one (Entra) */
	if (subname != NULL) {
		x = value_object(p->a);
		value_set(p->a, x, subname, value != NULL ? value :
		    value_null(p->a));
	} else if (value != NULL && value->type == VALUE_OBJECT)
		x = copy_value(p->a, value);
	else
		return patch_fail(p, "invalidValue", arena_sprintf(p->a,
		    "The value for %s[...] must be an object.", name));
	/* normalise as one element: the sub-attributes' names and types */
	if (at != NULL) {
		struct value *n = norm_value(p->a, at, x, 1, err, sizeof(err));

		if (n == NORM_ERR)
			return patch_fail(p, "invalidValue",
			    arena_strdup(p->a, err));
		x = n;
	}
	for (i = 0; arr != NULL && i < arr->u.arr.n; i++) {
		el = arr->u.arr.items[i];
		if (el->type != VALUE_OBJECT ||
		    !scim_filter_match(path->filter, el))
			continue;
		nmatch++;
		if (x == NULL && subname != NULL)
			scim_obj_del(el, subname);
		else if (x != NULL) {
			merge_obj(p->a, el, x);
			one_primary(p->a, arr, el);
		}
	}
	if (nmatch == 0 && x != NULL) {
		el = value_object(p->a);
		filter_seed(p->a, path->filter, el);
		merge_obj(p->a, el, x);
		if (arr == NULL) {
			arr = value_array(p->a);
			scim_obj_put(p->a, o, name, arr);
		}
		value_push(p->a, arr, el);
		one_primary(p->a, arr, el);
	}
	return 0;
}

/* Every name a value filter compares, as a sub-attribute of the path's. */
static int
filter_names_ok(const struct scim_attr *at, const struct scim_node *n)
{
	if (n == NULL)
		return 1;
	switch (n->kind) {
	case SCIM_N_AND:
	case SCIM_N_OR:
		return filter_names_ok(at, n->left) &&
		    filter_names_ok(at, n->right);
	case SCIM_N_NOT:
		return filter_names_ok(at, n->left);
	case SCIM_N_CMP:
		return n->path.urn == NULL && n->path.sub == NULL &&
		    attr_find(at->sub, at->nsub, n->path.attr) != NULL;
	default:
		return 0;
	}
}

/*
 * A value filter of a known complex attribute may name only its
 * sub-attributes: 0, or -1 with a 400 invalidPath sent.
 */
static int
check_filter_names(struct patch *p, const struct scim_path *path)
{
	const struct scim_schema *sc = p->rt->core;
	const struct scim_attr *at;

	if (path->attr.urn != NULL && (sc = schema_of(p->rt, path->attr.urn,
	    strlen(path->attr.urn))) == NULL)
		return 0;	/* reported by the operation */
	at = attr_find(sc->attrs, sc->nattrs, path->attr.attr);
	if (at == NULL && path->attr.urn == NULL && p->rt->ext != NULL)
		at = attr_find(p->rt->ext->attrs, p->rt->ext->nattrs,
		    path->attr.attr);
	if (at == NULL || at->type != SA_COMPLEX ||
	    filter_names_ok(at, path->filter))
		return 0;
	return patch_fail(p, "invalidPath", arena_sprintf(p->a, "The filter "
	    "of %s names an attribute %s does not have.", at->name, at->name));
}

int
scim_patch_empty(const struct value *body)
{
	const struct value *ops = scim_obj_get(body, "Operations");

	return ops != NULL && ops->type == VALUE_ARRAY && ops->u.arr.n == 0;
}

int
scim_patch_apply(struct http_req *req, struct http_resp *resp,
    const struct scim_rtype *rt, struct value *res, const struct value *body,
    scim_patch_hook hook, void *ctx)
{
	struct patch p = { req, resp, req->arena, rt, res };
	const struct value *ops = scim_obj_get(body, "Operations"), *o, *pv;
	struct value *value;
	struct scim_path path;
	const char *opname, *ptext;
	enum patch_op op;
	char err[256];
	size_t i;
	int rc;

	if (ops == NULL || ops->type != VALUE_ARRAY)
		return patch_fail(&p, "invalidSyntax", "A PatchOp body needs "
		    "an Operations array.");
	for (i = 0; i < ops->u.arr.n; i++) {
		o = ops->u.arr.items[i];
		if (o->type != VALUE_OBJECT ||
		    (opname = scim_str(o, "op")) == NULL)
			return patch_fail(&p, "invalidSyntax", arena_sprintf(
			    p.a, "Operations[%zu] needs an op.", i));
		if (strcasecmp(opname, "add") == 0)
			op = P_ADD;
		else if (strcasecmp(opname, "remove") == 0)
			op = P_REMOVE;
		else if (strcasecmp(opname, "replace") == 0)
			op = P_REPLACE;
		else
			return patch_fail(&p, "invalidSyntax", arena_sprintf(
			    p.a, "Operations[%zu].op must be add, remove or "
			    "replace.", i));
		pv = scim_obj_get(o, "path");
		value = scim_obj_get(o, "value");
		ptext = pv != NULL && pv->type == VALUE_STRING &&
		    pv->u.str.len > 0 ? pv->u.str.p : NULL;
		if (pv != NULL && pv->type != VALUE_STRING &&
		    pv->type != VALUE_NULL)
			return patch_fail(&p, "invalidPath", arena_sprintf(
			    p.a, "Operations[%zu].path must be a string.", i));
		memset(&path, 0, sizeof(path));
		if (ptext != NULL && scim_path_parse(ptext, strlen(ptext),
		    &path, err, sizeof(err)) != 0) {
			scim_path_clear(&path);
			return patch_fail(&p, "invalidPath", arena_sprintf(
			    p.a, "Operations[%zu].path: %s", i, err));
		}
		if (op != P_REMOVE && value == NULL) {
			scim_path_clear(&path);
			return patch_fail(&p, "invalidValue", arena_sprintf(
			    p.a, "Operations[%zu] (%s) needs a value.", i,
			    opname));
		}
		if (path.filter != NULL && check_filter_names(&p, &path) != 0) {
			scim_path_clear(&path);
			return -1;
		}
		rc = 0;
		/*
		 * The hook takes its part out of a path-less value: it gets
		 * this attempt's copy, and the body stays whole for the next
		 * attempt (a PATCH is applied again when the resource changed
		 * under it).
		 */
		if (hook != NULL && ptext == NULL && value != NULL)
			value = copy_value(p.a, value);
		if (hook != NULL)
			rc = hook(ctx, req, resp, op == P_ADD ? "add" :
			    op == P_REMOVE ? "remove" : "replace",
			    ptext != NULL ? &path : NULL, ptext, value);
		if (rc == 0)
			rc = ptext == NULL ? patch_no_path(&p, op, value) :
			    patch_path(&p, op, &path, value);
		scim_path_clear(&path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- attributes / excludedAttributes ---- */

int
scim_proj_init(struct http_req *req, struct http_resp *resp,
    struct scim_proj *p)
{
	int bad = 0;

	p->attributes = scim_query(req, "attributes", &bad);
	p->excluded = scim_query(req, "excludedAttributes", &bad);
	if (bad) {
		scim_error(req, resp, 400, "invalidValue", "attributes or "
		    "excludedAttributes is not percent-encoded correctly.");
		return -1;
	}
	if (p->attributes != NULL && *p->attributes == '\0')
		p->attributes = NULL;
	if (p->excluded != NULL && *p->excluded == '\0')
		p->excluded = NULL;
	return 0;
}

/*
 * One name of a list, split into the schema (core: NULL; extension:
 * its URN), the attribute and the sub-attribute.
 */
struct pname {
	const char	*ext;
	char		*attr;
	char		*sub;
};

static int
pname_parse(struct arena *a, const struct scim_rtype *rt, const char *s,
    size_t n, struct pname *out)
{
	const struct scim_schema *sc;
	const char *colon, *dot;
	char *t = arena_strndup(a, s, n);

	while (*t == ' ')
		t++;
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		t[--n] = '\0';
	out->ext = NULL;
	if (strncasecmp(t, "urn:", 4) == 0) {
		if ((sc = schema_of(rt, t, n)) != NULL) {
			if (sc == rt->core)
				return -1;
			out->ext = sc->urn;
			out->attr = NULL;
			out->sub = NULL;
			return 0;
		}
		if ((colon = strrchr(t, ':')) == NULL ||
		    (sc = schema_of(rt, t, (size_t)(colon - t))) == NULL)
			return -1;
		out->ext = sc == rt->core ? NULL : sc->urn;
		t = (char *)colon + 1;
	}
	if ((dot = strchr(t, '.')) != NULL) {
		out->attr = arena_strndup(a, t, (size_t)(dot - t));
		out->sub = arena_strdup(a, dot + 1);
	} else {
		out->attr = t;
		out->sub = NULL;
	}
	return *out->attr != '\0' ? 0 : -1;
}

/* Visits the names of a comma-separated list. */
static size_t
plist(struct arena *a, const struct scim_rtype *rt, const char *list,
    struct pname *out, size_t max)
{
	const char *p = list, *c;
	size_t n = 0, len;

	while (p != NULL && *p != '\0' && n < max) {
		c = strchr(p, ',');
		len = c != NULL ? (size_t)(c - p) : strlen(p);
		if (pname_parse(a, rt, p, len, &out[n]) == 0)
			n++;
		p = c != NULL ? c + 1 : NULL;
	}
	return n;
}

static int
always_kept(const char *key)
{
	return strcmp(key, "schemas") == 0 || strcmp(key, "id") == 0 ||
	    strcmp(key, "meta") == 0;
}

/* Keeps in obj only the names of ns (in its container ext). */
static void
proj_keep(struct arena *a, struct value *obj, const struct pname *ns,
    size_t n, const char *ext, int top)
{
	struct value *out = value_object(a), *v, *c;
	const char *k;
	size_t i, j;
	int whole, any;

	for (i = 0; i < obj->u.obj.n; i++) {
		k = obj->u.obj.members[i].key;
		v = obj->u.obj.members[i].val;
		if (top && always_kept(k)) {
			value_set(a, out, k, v);
			continue;
		}
		if (top && strncmp(k, "urn:", 4) == 0) {
			whole = any = 0;
			for (j = 0; j < n; j++)
				if (ns[j].ext != NULL &&
				    strcmp(ns[j].ext, k) == 0) {
					any = 1;
					if (ns[j].attr == NULL)
						whole = 1;
				}
			if (whole)
				value_set(a, out, k, v);
			else if (any && v->type == VALUE_OBJECT) {
				c = copy_value(a, v);
				proj_keep(a, c, ns, n, k, 0);
				if (c->u.obj.n > 0)
					value_set(a, out, k, c);
			}
			continue;
		}
		whole = any = 0;
		for (j = 0; j < n; j++) {
			if ((ext == NULL) != (ns[j].ext == NULL) ||
			    (ext != NULL && strcmp(ext, ns[j].ext) != 0) ||
			    ns[j].attr == NULL ||
			    strcasecmp(ns[j].attr, k) != 0)
				continue;
			any = 1;
			if (ns[j].sub == NULL)
				whole = 1;
		}
		if (whole)
			value_set(a, out, k, v);
		else if (any) {
			/* name.givenName, emails.value: the named subs */
			c = copy_value(a, v);
			if (c->type == VALUE_OBJECT || c->type == VALUE_ARRAY) {
				size_t e, ne = c->type == VALUE_ARRAY ?
				    c->u.arr.n : 1;

				for (e = 0; e < ne; e++) {
					struct value *o = c->type ==
					    VALUE_ARRAY ? c->u.arr.items[e] : c;
					struct value *keep = value_object(a);

					if (o->type != VALUE_OBJECT)
						continue;
					for (j = 0; j < n; j++) {
						struct value *sv;

						if (ns[j].sub == NULL ||
						    ns[j].attr == NULL ||
						    strcasecmp(ns[j].attr, k) ||
						    (ext == NULL) != (ns[j].ext
						    == NULL))
							continue;
						if ((sv = scim_obj_get(o,
						    ns[j].sub)) != NULL)
							scim_obj_put(a, keep,
							    ns[j].sub, sv);
					}
					o->u.obj = keep->u.obj;
				}
				value_set(a, out, k, c);
			}
		}
	}
	obj->u.obj = out->u.obj;
}

static void
proj_drop(struct value *obj, const struct pname *ns, size_t n)
{
	struct value *c, *v;
	size_t j, e;

	for (j = 0; j < n; j++) {
		c = ns[j].ext != NULL ? scim_obj_get(obj, ns[j].ext) : obj;
		if (c == NULL || c->type != VALUE_OBJECT)
			continue;
		if (ns[j].attr == NULL) {
			scim_obj_del(obj, ns[j].ext);
			continue;
		}
		if (ns[j].ext == NULL && always_kept(ns[j].attr))
			continue;
		if (ns[j].sub == NULL) {
			scim_obj_del(c, ns[j].attr);
			continue;
		}
		if ((v = scim_obj_get(c, ns[j].attr)) == NULL)
			continue;
		if (v->type == VALUE_OBJECT)
			scim_obj_del(v, ns[j].sub);
		else if (v->type == VALUE_ARRAY)
			for (e = 0; e < v->u.arr.n; e++)
				scim_obj_del(v->u.arr.items[e], ns[j].sub);
	}
}

void
scim_proj_apply(struct arena *a, const struct scim_proj *p,
    const struct scim_rtype *rt, struct value *res)
{
	struct pname ns[64];
	size_t n;

	if (p->attributes != NULL) {
		n = plist(a, rt, p->attributes, ns, RS_ARRAY_LEN(ns));
		proj_keep(a, res, ns, n, NULL, 1);
	} else if (p->excluded != NULL) {
		n = plist(a, rt, p->excluded, ns, RS_ARRAY_LEN(ns));
		proj_drop(res, ns, n);
	}
}

int
scim_proj_excludes(const struct scim_proj *p, const char *name)
{
	const char *list = p->attributes != NULL ? p->attributes :
	    p->excluded, *s, *c;
	size_t len, nl = strlen(name);
	int whole = 0, sub = 0;

	if (list == NULL)
		return 0;
	for (s = list; s != NULL && *s != '\0'; s = c != NULL ? c + 1 : NULL) {
		c = strchr(s, ',');
		len = c != NULL ? (size_t)(c - s) : strlen(s);
		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		/* "name", "urn:...:Group:name"; or "name.sub" */
		if (len >= nl && strncasecmp(s + len - nl, name, nl) == 0 &&
		    (len == nl || s[len - nl - 1] == ':'))
			whole = 1;
		else if (len > nl && strncasecmp(s, name, nl) == 0 &&
		    s[nl] == '.')
			sub = 1;
	}
	/*
	 * attributes=name.sub wants name (a part of it); excludedAttributes=
	 * name.sub leaves the rest of name.
	 */
	return p->attributes != NULL ? !(whole || sub) : whole;
}

/* ---- lists ---- */

static int
query_long(struct http_req *req, struct http_resp *resp, const char *name,
    long def, long *out)
{
	const char *v;
	char *end;
	long long n;
	int bad = 0;

	*out = def;
	if ((v = scim_query(req, name, &bad)) == NULL && !bad)
		return 0;
	if (bad || v == NULL || *v == '\0')
		goto fail;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > 1000000000LL ||
	    n < -1000000000LL)
		goto fail;
	*out = (long)n;
	return 0;
fail:
	scim_error(req, resp, 400, "invalidValue", arena_sprintf(req->arena,
	    "%s must be an integer.", name));
	return -1;
}

int
scim_paging(struct http_req *req, struct http_resp *resp, long *start,
    long *count)
{
	if (query_long(req, resp, "startIndex", 1, start) != 0 ||
	    query_long(req, resp, "count", SCIM_DEF_COUNT, count) != 0)
		return -1;
	if (*start < 1)
		*start = 1;
	if (*count < 0)
		*count = 0;
	if (*count > SCIM_MAX_COUNT)
		*count = SCIM_MAX_COUNT;
	return 0;
}

void
scim_send_list(struct http_req *req, struct http_resp *resp, long total,
    long start, struct value **items, size_t n)
{
	struct arena *a = req->arena;
	struct value *v = value_object(a), *s = value_array(a), *r;
	size_t i;

	value_push(a, s, value_cstr(a, SCIM_URN_LIST));
	value_set(a, v, "schemas", s);
	value_set(a, v, "totalResults", value_int(a, total));
	value_set(a, v, "startIndex", value_int(a, start));
	value_set(a, v, "itemsPerPage", value_int(a, (long long)n));
	r = value_array(a);
	for (i = 0; i < n; i++)
		value_push(a, r, items[i]);
	value_set(a, v, "Resources", r);
	scim_send(req, resp, 200, v);
}

int
scim_order(struct http_req *req, struct http_resp *resp, const char *by,
    const char *dir, int lenient, const char *core_urn,
    const struct scim_sort *map, size_t n, const char *tiebreak,
    const char *deflt, struct buf *order)
{
	const char *name;
	size_t i, ul = strlen(core_urn);
	int desc = 0;

	if (dir != NULL && *dir != '\0') {
		if (strcasecmp(dir, "descending") == 0)
			desc = 1;
		else if (strcasecmp(dir, "ascending") != 0) {
			scim_error(req, resp, 400, "invalidValue", "sortOrder "
			    "must be ascending or descending.");
			return -1;
		}
	}
	if (by == NULL || *by == '\0') {
		buf_printf(order, " ORDER BY %s", deflt);
		return 0;
	}
	name = by;
	if (strncasecmp(name, core_urn, ul) == 0 && name[ul] == ':')
		name += ul + 1;
	for (i = 0; i < n; i++)
		if (strcasecmp(map[i].name, name) == 0) {
			buf_printf(order, " ORDER BY %s %s, %s %s", map[i].sql,
			    desc ? "DESC" : "ASC", tiebreak, desc ? "DESC" :
			    "ASC");
			return 0;
		}
	if (lenient) {
		buf_printf(order, " ORDER BY %s", deflt);
		return 0;
	}
	scim_error(req, resp, 400, "invalidValue", arena_sprintf(req->arena,
	    "sortBy: %.64s is not an attribute rosterd sorts by.", by));
	return -1;
}

int
scim_where(struct http_req *req, struct http_resp *resp, const char *f,
    const struct scim_sqlattr *map, size_t nmap, int first, int lenient,
    struct buf *w, const char ***params, int *nparams)
{
	struct scim_node *n = NULL;
	struct scim_sql sql;
	const char **np;
	char err[256];
	int i;

	if (f == NULL)
		return 1;
	if (scim_filter_parse(f, strlen(f), &n, err, sizeof(err)) != 0) {
		scim_error(req, resp, 400, "invalidFilter", arena_strdup(
		    req->arena, err));
		return -1;
	}
	memset(&sql, 0, sizeof(sql));
	if (scim_filter_sql(n, map, nmap, first, &sql, err, sizeof(err)) != 0) {
		scim_node_free(n);
		if (lenient)
			return 2;
		scim_error(req, resp, 400, "invalidFilter", arena_strdup(
		    req->arena, err));
		return -1;
	}
	scim_node_free(n);
	buf_puts(w, " AND (");
	buf_put(w, sql.text, sql.len);
	buf_putc(w, ')');
	np = arena_allocarray(req->arena, (size_t)(*nparams + sql.nparams),
	    sizeof(*np));
	for (i = 0; i < *nparams; i++)
		np[i] = (*params)[i];
	for (i = 0; i < sql.nparams; i++)
		np[*nparams + i] = arena_strdup(req->arena, sql.params[i]);
	*params = np;
	*nparams += sql.nparams;
	scim_sql_clear(&sql);
	return 0;
}

/*
 * RFC 9865 cursors.  A cursor is "<payload>.<tag>": the payload
 * base64url of "<offset>:<count>:<expiry>" (an offset cursor) or
 * "<offset>:<count>:<expiry>:<total>:<microseconds>,<id>" (a keyset
 * cursor: the created_at and id of the last row of the page before, and
 * the count the walk's first page took), the tag the first 128 bits of
 * SHA-256 over the tenant, the route and every parameter of the list
 * (filter, sort, projection) with the payload, in hex.  It is not keyed:
 * a forged cursor can only reach rows of the caller's own tenant and
 * filter, which startIndex reaches anyway; the tag makes a cursor of
 * another tenant, another list or a mangled one invalidCursor.
 */
#define SCIM_CURSOR_TTL	3600	/* seconds: cursorTimeout */

static const char *
cursor_tag(struct http_req *req, const struct scim_listq *q,
    const char *payload)
{
	char hex[65], *s;

	s = arena_sprintf(req->arena, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s",
	    req->tenant, req->route->pattern, q->filter ? q->filter : "",
	    q->sort_by ? q->sort_by : "", q->sort_order ? q->sort_order : "",
	    q->proj.attributes ? q->proj.attributes : "",
	    q->proj.excluded ? q->proj.excluded : "", payload);
	token_sha256_hex(s, strlen(s), hex);
	return arena_strndup(req->arena, hex, 32);
}

/* The cursor of the page after offset rows; key (keyset): "<us>,<id>". */
static const char *
cursor_make(struct http_req *req, const struct scim_listq *q, long offset,
    long total, const char *key)
{
	const char *payload = arena_sprintf(req->arena, "%ld:%ld:%lld",
	    offset, q->count, (long long)time(NULL) + SCIM_CURSOR_TTL);

	if (key != NULL)
		payload = arena_sprintf(req->arena, "%s:%ld:%s", payload,
		    total, key);
	return arena_sprintf(req->arena, "%s.%s", base64url_encode(
	    req->arena, payload, strlen(payload)), cursor_tag(req, q,
	    payload));
}

/* In cursor mode, count must be 0..maxPageSize (invalidCount). */
static int
cursor_count(struct http_req *req, struct http_resp *resp,
    const struct scim_listq *q)
{
	if (q->cursor == NULL || q->count <= SCIM_MAX_COUNT)
		return 0;
	scim_error(req, resp, 400, "invalidCount", arena_sprintf(req->arena,
	    "count must be 0 to %d with a cursor.", SCIM_MAX_COUNT));
	return -1;
}

/*
 * A keyset cursor's key, "<microseconds>,<uuid>" as rosterd_cursor()
 * writes it (lower-case hex, a timestamp within 3,000 years of 1970),
 * split into at->key_us and at->key_id; -1 when it is not one.
 */
static int
cursor_key(struct arena *a, const char *k, struct scim_at *at)
{
	static const char hexd[] = "0123456789abcdef";
	const char *c = strchr(k, ','), *p;
	size_t nd, i;

	if (c == NULL)
		return -1;
	p = *k == '-' ? k + 1 : k;
	nd = (size_t)(c - p);
	if (nd < 1 || nd > 17)
		return -1;
	for (i = 0; i < nd; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	if (strlen(c + 1) != 36)
		return -1;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? c[1 + i] != '-' :
		    c[1 + i] == '\0' || strchr(hexd, c[1 + i]) == NULL)
			return -1;
	at->key_us = arena_strndup(a, k, (size_t)(c - k));
	at->key_id = arena_strdup(a, c + 1);
	return 0;
}

int
scim_cursor_at(struct http_req *req, struct http_resp *resp,
    const struct scim_listq *q, int keyset, struct scim_at *at)
{
	const char *c = q->cursor, *dot;
	unsigned char *raw;
	size_t rawlen;
	long long off, cnt, exp, tot;
	char *payload, *rest, *end;
	int used = 0;

	memset(at, 0, sizeof(*at));
	at->offset = q->start - 1;
	at->total = -1;
	if (c == NULL)
		return 0;
	at->offset = 0;
	at->keyset = keyset && (q->sort_by == NULL || *q->sort_by == '\0');
	if (*c == '\0')
		return 0;
	if (strlen(c) > 256 || (dot = strchr(c, '.')) == NULL ||
	    base64url_decode(req->arena, c, (size_t)(dot - c), &raw,
	    &rawlen) != 0)
		goto invalid;
	payload = arena_strndup(req->arena, (const char *)raw, rawlen);
	if (strlen(payload) != rawlen || sscanf(payload, "%lld:%lld:%lld%n",
	    &off, &cnt, &exp, &used) != 3 || off < 0 || off > 1000000000LL ||
	    strcmp(cursor_tag(req, q, payload), dot + 1) != 0)
		goto invalid;
	rest = payload + used;
	if (*rest != '\0') {
		/* a keyset cursor: ":<total>:<key>", of a keyset list only */
		if (!at->keyset || *rest != ':' || rest[1] < '0' ||
		    rest[1] > '9')
			goto invalid;
		errno = 0;
		tot = strtoll(rest + 1, &end, 10);
		if (errno != 0 || *end != ':' || tot < 0 ||
		    tot > 1000000000LL ||
		    cursor_key(req->arena, end + 1, at) != 0)
			goto invalid;
		at->total = (long)tot;
	}
	if (exp < (long long)time(NULL)) {
		scim_error(req, resp, 400, "expiredCursor", "The cursor has "
		    "expired: start again without one.");
		return -1;
	}
	if (cnt != q->count) {
		scim_error(req, resp, 400, "invalidCount", "count must be the "
		    "count of the request that returned the cursor.");
		return -1;
	}
	at->offset = (long)off;
	return 0;
invalid:
	scim_error(req, resp, 400, "invalidCursor", "The cursor is not one "
	    "this list returned.");
	return -1;
}

void
scim_send_page(struct http_req *req, struct http_resp *resp,
    const struct scim_listq *q, const struct scim_at *at,
    const struct scim_page *pg)
{
	struct arena *a = req->arena;
	struct value *v, *sch, *r;
	long back, next = at->offset + (long)pg->n;
	size_t i;

	if (q->cursor == NULL) {
		scim_send_list(req, resp, pg->total, at->offset + 1, pg->items,
		    pg->n);
		return;
	}
	/* a cursor's page: no startIndex */
	v = value_object(a);
	sch = value_array(a);
	value_push(a, sch, value_cstr(a, SCIM_URN_LIST));
	value_set(a, v, "schemas", sch);
	value_set(a, v, "totalResults", value_int(a, pg->total));
	value_set(a, v, "itemsPerPage", value_int(a, (long long)pg->n));
	/*
	 * By key: a next page when a row follows this one's last.  By
	 * offset: when the count says so.
	 */
	if (at->keyset ? pg->more && pg->last != NULL && q->count > 0 :
	    next < pg->total && q->count > 0)
		value_set(a, v, "nextCursor", value_cstr(a, cursor_make(req, q,
		    next, pg->total, at->keyset ? pg->last : NULL)));
	/* back by offset: rare, and the page after it is by key again */
	if (at->offset > 0 && q->count > 0) {
		back = at->offset - q->count;
		value_set(a, v, "previousCursor", value_cstr(a,
		    cursor_make(req, q, back > 0 ? back : 0, 0, NULL)));
	}
	r = value_array(a);
	for (i = 0; i < pg->n; i++)
		value_push(a, r, pg->items[i]);
	value_set(a, v, "Resources", r);
	scim_send(req, resp, 200, v);
}

/* A list's parameters from the query string. */
int
scim_listq_query(struct http_req *req, struct http_resp *resp,
    struct scim_listq *q)
{
	int bad = 0;

	memset(q, 0, sizeof(*q));
	q->filter = scim_query(req, "filter", &bad);
	q->sort_by = scim_query(req, "sortBy", &bad);
	q->sort_order = scim_query(req, "sortOrder", &bad);
	q->cursor = scim_query(req, "cursor", &bad);
	if (bad) {
		scim_error(req, resp, 400, "invalidValue", "A query parameter "
		    "is not percent-encoded correctly.");
		return -1;
	}
	if (scim_proj_init(req, resp, &q->proj) != 0 ||
	    scim_paging(req, resp, &q->start, &q->count) != 0)
		return -1;
	if (q->cursor != NULL &&
	    query_long(req, resp, "count", SCIM_DEF_COUNT, &q->count) != 0)
		return -1;	/* uncapped: over the maximum: invalidCount */
	if (q->count < 0)
		q->count = 0;
	return cursor_count(req, resp, q);
}

/* A string or an array of strings as "a,b,c"; NULL when neither. */
static const char *
body_list(struct arena *a, const struct value *v)
{
	struct buf b;
	size_t i;

	if (v == NULL)
		return NULL;
	if (v->type == VALUE_STRING)
		return v->u.str.p;
	if (v->type != VALUE_ARRAY)
		return NULL;
	buf_init(&b, a);
	for (i = 0; i < v->u.arr.n; i++) {
		if (v->u.arr.items[i]->type != VALUE_STRING)
			continue;
		if (b.len > 0)
			buf_putc(&b, ',');
		buf_puts(&b, v->u.arr.items[i]->u.str.p);
	}
	return b.p;
}

static int
body_long(struct http_req *req, struct http_resp *resp, const struct value *b,
    const char *name, long def, long *out)
{
	const struct value *v = scim_obj_get(b, name);
	char *end;
	double d;

	*out = def;
	if (v == NULL || v->type == VALUE_NULL)
		return 0;
	if (v->type == VALUE_NUMBER) {
		errno = 0;
		d = strtod(v->u.str.p, &end);
		if (errno == 0 && *end == '\0' && d == (double)(long)d &&
		    d > -1e9 && d < 1e9) {
			*out = (long)d;
			return 0;
		}
	}
	scim_error(req, resp, 400, "invalidValue", arena_sprintf(req->arena,
	    "%s must be an integer.", name));
	return -1;
}

/* A list's parameters from a SearchRequest body (POST .search). */
int
scim_listq_body(struct http_req *req, struct http_resp *resp,
    struct scim_listq *q)
{
	const struct value *b = scim_body(req, resp, NULL), *v;
	static const char *const strs[] = { "filter", "sortBy", "sortOrder",
		"cursor" };
	const char **dst[4];
	size_t i;

	memset(q, 0, sizeof(*q));
	if (b == NULL)
		return -1;
	dst[0] = &q->filter;
	dst[1] = &q->sort_by;
	dst[2] = &q->sort_order;
	dst[3] = &q->cursor;
	for (i = 0; i < RS_ARRAY_LEN(strs); i++) {
		v = scim_obj_get(b, strs[i]);
		if (v != NULL && v->type != VALUE_STRING &&
		    v->type != VALUE_NULL) {
			scim_error(req, resp, 400, "invalidValue",
			    arena_sprintf(req->arena, "%s must be a string.",
			    strs[i]));
			return -1;
		}
		*dst[i] = v != NULL && v->type == VALUE_STRING ?
		    v->u.str.p : NULL;
	}
	q->proj.attributes = body_list(req->arena, scim_obj_get(b,
	    "attributes"));
	q->proj.excluded = body_list(req->arena, scim_obj_get(b,
	    "excludedAttributes"));
	if (q->proj.attributes != NULL && *q->proj.attributes == '\0')
		q->proj.attributes = NULL;
	if (q->proj.excluded != NULL && *q->proj.excluded == '\0')
		q->proj.excluded = NULL;
	if (body_long(req, resp, b, "startIndex", 1, &q->start) != 0 ||
	    body_long(req, resp, b, "count", SCIM_DEF_COUNT, &q->count) != 0)
		return -1;
	if (q->start < 1)
		q->start = 1;
	if (q->count < 0)
		q->count = 0;
	if (q->cursor == NULL && q->count > SCIM_MAX_COUNT)
		q->count = SCIM_MAX_COUNT;
	return cursor_count(req, resp, q);
}

/* POST /Users/.search */
void
scim_users_search(struct http_req *req, struct http_resp *resp)
{
	struct scim_listq q;

	if (scim_listq_body(req, resp, &q) == 0)
		scim_res_answer(req, resp, &scim_type_user, &q);
}

/* POST /Groups/.search */
void
scim_groups_search(struct http_req *req, struct http_resp *resp)
{
	struct scim_listq q;

	if (scim_listq_body(req, resp, &q) == 0)
		scim_res_answer(req, resp, &scim_type_group, &q);
}

/*
 * POST /.search: Users, then Groups, as one list; a filter naming an
 * attribute one type lacks matches none of that type.
 */
void
scim_search_root(struct http_req *req, struct http_resp *resp)
{
	struct scim_page u, g, all;
	struct scim_listq q;
	struct scim_at at, gat;
	size_t i;
	int ru, rg;

	if (!scim_tenant_ok(req, resp) || scim_listq_body(req, resp, &q) != 0 ||
	    scim_cursor_at(req, resp, &q, 0, &at) != 0)
		return;
	ru = scim_res_query(req, resp, &scim_type_user, &q, &at, q.count, 1,
	    &u);
	if (ru < 0)
		return;
	gat = at;
	gat.offset = at.offset > u.total ? at.offset - u.total : 0;
	rg = scim_res_query(req, resp, &scim_type_group, &q, &gat,
	    q.count - (long)u.n, 1, &g);
	if (rg < 0)
		return;
	if (ru == 1 && rg == 1) {
		scim_error(req, resp, 400, "invalidFilter", "The filter names "
		    "attributes that neither Users nor Groups have.");
		return;
	}
	memset(&all, 0, sizeof(all));
	all.total = u.total + g.total;
	all.n = u.n + g.n;
	all.items = arena_allocarray(req->arena, all.n + 1,
	    sizeof(*all.items));
	for (i = 0; i < u.n; i++)
		all.items[i] = u.items[i];
	for (i = 0; i < g.n; i++)
		all.items[u.n + i] = g.items[i];
	scim_send_page(req, resp, &q, &at, &all);
}

/* ---- discovery ---- */

static struct value *
str_array(struct arena *a, const char *const *s)
{
	struct value *v = value_array(a);

	for (; s != NULL && *s != NULL; s++)
		value_push(a, v, value_cstr(a, *s));
	return v;
}

static struct value *
meta_of(struct arena *a, const char *type, const char *location)
{
	struct value *m = value_object(a);

	value_set(a, m, "resourceType", value_cstr(a, type));
	value_set(a, m, "location", value_cstr(a, location));
	return m;
}

static struct value *
schemas_one(struct arena *a, const char *urn)
{
	const char *s[] = { urn, NULL };

	return str_array(a, s);
}

static struct value *
attr_json(struct arena *a, const struct scim_attr *at)
{
	static const char *const types[] = { "string", "boolean", "complex",
		"reference", "dateTime" };
	struct value *v = value_object(a), *subs;
	size_t i;

	value_set(a, v, "name", value_cstr(a, at->name));
	value_set(a, v, "type", value_cstr(a, types[at->type]));
	value_set(a, v, "multiValued", value_bool(a, at->flags & SA_MULTI));
	value_set(a, v, "description", value_cstr(a, at->desc));
	value_set(a, v, "required", value_bool(a, at->flags & SA_REQUIRED));
	if (at->type != SA_COMPLEX && at->type != SA_BOOL)
		value_set(a, v, "caseExact", value_bool(a,
		    (at->flags & SA_CASE_EXACT) || at->type == SA_REF));
	if (at->canon != NULL)
		value_set(a, v, "canonicalValues", str_array(a, at->canon));
	value_set(a, v, "mutability", value_cstr(a,
	    (at->flags & SA_READ_ONLY) ? "readOnly" :
	    (at->flags & SA_WRITE_ONLY) ? "writeOnly" :
	    (at->flags & SA_IMMUTABLE) ? "immutable" : "readWrite"));
	value_set(a, v, "returned", value_cstr(a,
	    (at->flags & SA_WRITE_ONLY) ? "never" :
	    (at->flags & SA_ALWAYS) ? "always" : "default"));
	if (at->type != SA_COMPLEX && at->type != SA_BOOL)
		value_set(a, v, "uniqueness", value_cstr(a,
		    (at->flags & SA_UNIQUE) ? "server" : "none"));
	if (at->refs != NULL)
		value_set(a, v, "referenceTypes", str_array(a, at->refs));
	if (at->type == SA_COMPLEX) {
		subs = value_array(a);
		for (i = 0; i < at->nsub; i++)
			value_push(a, subs, attr_json(a, &at->sub[i]));
		value_set(a, v, "subAttributes", subs);
	}
	return v;
}

static struct value *
schema_json(struct http_req *req, const struct scim_schema *sc)
{
	struct arena *a = req->arena;
	struct value *v = value_object(a), *attrs = value_array(a);
	size_t i;

	value_set(a, v, "schemas", schemas_one(a,
	    "urn:ietf:params:scim:schemas:core:2.0:Schema"));
	value_set(a, v, "id", value_cstr(a, sc->urn));
	value_set(a, v, "name", value_cstr(a, sc->name));
	value_set(a, v, "description", value_cstr(a, sc->desc));
	for (i = 0; i < sc->nattrs; i++)
		value_push(a, attrs, attr_json(a, &sc->attrs[i]));
	value_set(a, v, "attributes", attrs);
	value_set(a, v, "meta", meta_of(a, "Schema", arena_sprintf(a,
	    "%s/Schemas/%s", scim_base(req), sc->urn)));
	return v;
}

static struct value *
rtype_json(struct http_req *req, const struct scim_rtype *rt)
{
	struct arena *a = req->arena;
	struct value *v = value_object(a), *exts = value_array(a), *e;

	value_set(a, v, "schemas", schemas_one(a,
	    "urn:ietf:params:scim:schemas:core:2.0:ResourceType"));
	value_set(a, v, "id", value_cstr(a, rt->name));
	value_set(a, v, "name", value_cstr(a, rt->name));
	value_set(a, v, "endpoint", value_cstr(a, rt->endpoint));
	value_set(a, v, "description", value_cstr(a, rt == &scim_rt_user ?
	    "User Account" : "Group"));
	value_set(a, v, "schema", value_cstr(a, rt->core->urn));
	e = value_object(a);
	value_set(a, e, "schema", value_cstr(a, rt->ext->urn));
	value_set(a, e, "required", value_bool(a, 0));
	value_push(a, exts, e);
	value_set(a, v, "schemaExtensions", exts);
	value_set(a, v, "meta", meta_of(a, "ResourceType", arena_sprintf(a,
	    "%s/ResourceTypes/%s", scim_base(req), rt->name)));
	return v;
}

void
scim_spc(struct http_req *req, struct http_resp *resp)
{
	const struct app *app = req->ctx;
	struct arena *a = req->arena;
	struct value *v = value_object(a), *x, *auth, *s;

	value_set(a, v, "schemas", schemas_one(a,
	    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"));
	value_set(a, v, "documentationUri", value_cstr(a,
	    "https://github.com/rosterd/rosterd/blob/main/docs/scim.md"));
#define FLAG(name, on) do {						\
	x = value_object(a);						\
	value_set(a, x, "supported", value_bool(a, on));		\
	value_set(a, v, name, x);					\
} while (0)
	FLAG("patch", 1);
	x = value_object(a);
	value_set(a, x, "supported", value_bool(a, 1));
	value_set(a, x, "maxOperations", value_int(a, SCIM_BULK_MAX_OPS));
	value_set(a, x, "maxPayloadSize", value_int(a, app != NULL &&
	    app->cfg != NULL ? app->cfg->max_bulk_body_bytes : 0));
	value_set(a, v, "bulk", x);
	x = value_object(a);
	value_set(a, x, "supported", value_bool(a, 1));
	value_set(a, x, "maxResults", value_int(a, SCIM_MAX_COUNT));
	value_set(a, v, "filter", x);
	FLAG("changePassword", 1);
	FLAG("sort", 1);
	FLAG("etag", 1);
#undef FLAG
	x = value_object(a);
	value_set(a, x, "cursor", value_bool(a, 1));
	value_set(a, x, "index", value_bool(a, 1));
	value_set(a, x, "defaultPaginationMethod", value_cstr(a, "index"));
	value_set(a, x, "defaultPageSize", value_int(a, SCIM_DEF_COUNT));
	value_set(a, x, "maxPageSize", value_int(a, SCIM_MAX_COUNT));
	value_set(a, x, "cursorTimeout", value_int(a, SCIM_CURSOR_TTL));
	value_set(a, v, "pagination", x);
	auth = value_array(a);
	s = value_object(a);
	value_set(a, s, "type", value_cstr(a, "oauthbearertoken"));
	value_set(a, s, "name", value_cstr(a, "Bearer token"));
	value_set(a, s, "description", value_cstr(a, "A rosterd tenant API "
	    "token (rsd_...) or a JWT of a trusted issuer, as "
	    "Authorization: Bearer."));
	value_set(a, s, "primary", value_bool(a, 1));
	value_push(a, auth, s);
	value_set(a, v, "authenticationSchemes", auth);
	value_set(a, v, "meta", meta_of(a, "ServiceProviderConfig",
	    arena_sprintf(a, "%s/ServiceProviderConfig", scim_base(req))));
	scim_send(req, resp, 200, v);
}

/* A discovery resource: a resource type or a schema. */
struct disco {
	const struct scim_rtype *rt;
	const struct scim_schema *sc;
};

static const struct disco all_rtypes[] = {
	{ &scim_rt_user, NULL }, { &scim_rt_group, NULL },
};

static const struct disco all_schemas[] = {
	{ NULL, &scim_schema_user }, { NULL, &scim_schema_ent },
	{ NULL, &scim_schema_group }, { NULL, &scim_schema_rgroup },
};

/* d's id: a resource type's name, a schema's URN. */
static const char *
disco_id(const struct disco *d)
{
	return d->rt != NULL ? d->rt->name : d->sc->urn;
}

static struct value *
disco_json(struct http_req *req, const struct disco *d)
{
	return d->rt != NULL ? rtype_json(req, d->rt) :
	    schema_json(req, d->sc);
}

/* Sends d[0..n) as a ListResponse. */
static void
disco_list(struct http_req *req, struct http_resp *resp,
    const struct disco *d, size_t n)
{
	struct value **items;
	size_t i;

	items = arena_allocarray(req->arena, n, sizeof(*items));
	for (i = 0; i < n; i++)
		items[i] = disco_json(req, &d[i]);
	scim_send_list(req, resp, n, 1, items, n);
}

/*
 * Sends the one of d[0..n) whose id is the path's {id} (without regard
 * to case), else a 404 naming noun.
 */
static void
disco_get(struct http_req *req, struct http_resp *resp,
    const struct disco *d, size_t n, const char *noun)
{
	const char *id = http_req_param(req, "id");
	size_t i;

	for (i = 0; id != NULL && i < n; i++)
		if (strcasecmp(disco_id(&d[i]), id) == 0) {
			scim_send(req, resp, 200, disco_json(req, &d[i]));
			return;
		}
	scim_error(req, resp, 404, NULL, arena_sprintf(req->arena,
	    "No %s has this id.", noun));
}

void
scim_rtypes(struct http_req *req, struct http_resp *resp)
{
	disco_list(req, resp, all_rtypes, RS_ARRAY_LEN(all_rtypes));
}

void
scim_rtype_get(struct http_req *req, struct http_resp *resp)
{
	disco_get(req, resp, all_rtypes, RS_ARRAY_LEN(all_rtypes),
	    "resource type");
}

void
scim_schemas(struct http_req *req, struct http_resp *resp)
{
	disco_list(req, resp, all_schemas, RS_ARRAY_LEN(all_schemas));
}

void
scim_schema_get(struct http_req *req, struct http_resp *resp)
{
	disco_get(req, resp, all_schemas, RS_ARRAY_LEN(all_schemas),
	    "schema");
}

void
scim_me(struct http_req *req, struct http_resp *resp)
{
	scim_error(req, resp, 501, NULL, "/Me is not supported: a token "
	    "names a tenant or a service, not a SCIM User.");
}
