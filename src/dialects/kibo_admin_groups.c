/*
 * kibo_admin_groups.c: seed 002, Kibo's
 * POST /platform/adminuser/groups/{groupCode}/addusers and its twin
 * .../removeusers (FORMATS.md §4, §5(c)).  The body is a JSON array of
 * user ids; the answer is the AdminGroup (camelCase, the spec's member
 * order), filtered by ?responseFields=; errors are Kibo's body with an
 * x-vol-correlation header.  All ids go to one statement, all or
 * nothing.  Served under /platform/... and, as Kibo's SDKs call it (their
 * base path is https://{host}/api), /api/platform/...; the SDKs' x-vol-*
 * headers are accepted, x-vol-tenant naming the tenant.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../auth/apitoken.h"
#include "dialect.h"

#define KIBO_APP		"AdminUser"
#define KIBO_ALIAS_ISSUER	"kibo"	/* tenant aliases of Kibo tenant ids */
#define KIBO_TENANT_MAX		256	/* a tenant alias's external id */
#define KIBO_BULK_MAX		10000
#define KIBO_GROUP_CODE_MAX	128

/* ---- errors ---- */

/*
 * Sends Kibo's error body {message, errorCode, applicationName,
 * additionalErrorData, items} (never exceptionDetail).  additional may
 * be NULL (an empty list).
 */
static void
kibo_error(struct http_req *req, struct http_resp *resp, int status,
    const char *code, const char *message, struct value *additional)
{
	struct arena *a = req->arena;
	struct value *o = value_object(a);

	value_set(a, o, "message", value_cstr(a, message));
	value_set(a, o, "errorCode", value_cstr(a, code));
	value_set(a, o, "applicationName", value_cstr(a, KIBO_APP));
	value_set(a, o, "additionalErrorData",
	    additional != NULL ? additional : value_array(a));
	value_set(a, o, "items", value_array(a));
	resp->status = status;
	resp->content_type = "application/json; charset=utf-8";
	buf_reset(&resp->body);
	json_encode(&resp->body, o);
	http_resp_header(resp, "x-vol-correlation", req->request_id);
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate", "Bearer");
	if (status == 503)
		http_resp_header(resp, "Retry-After", "5");
}

/* {"name": name, "value": value}, an additionalErrorData entry. */
static void
add_data(struct arena *a, struct value *arr, const char *name,
    const char *value)
{
	struct value *e = value_object(a);

	value_set(a, e, "name", value_cstr(a, name));
	value_set(a, e, "value", value_cstr(a, value));
	value_push(a, arr, e);
}

/* 400 MISSING_OR_INVALID_PARAMETER naming one parameter. */
static void
kibo_bad_param(struct http_req *req, struct http_resp *resp,
    const char *param, const char *message)
{
	struct value *d = value_array(req->arena);

	add_data(req->arena, d, "ParameterName", param);
	kibo_error(req, resp, 400, "MISSING_OR_INVALID_PARAMETER",
	    arena_sprintf(req->arena, "Missing or invalid parameter: %s %s",
	    param, message), d);
}

/* The errors the request path itself finds, in Kibo's shape. */
static void
kibo_front_error(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	const char *prefix = "Missing or invalid parameter: ";
	struct value *d = NULL;
	size_t n = strlen(prefix);

	switch (status) {
	case 400:
		/* "Missing or invalid parameter: NAME ..." names NAME */
		if (message != NULL && strncmp(message, prefix, n) == 0) {
			d = value_array(req->arena);
			add_data(req->arena, d, "ParameterName",
			    arena_strndup(req->arena, message + n,
			    strcspn(message + n, " ")));
		}
		kibo_error(req, resp, status, "MISSING_OR_INVALID_PARAMETER",
		    message, d);
		break;
	case 401:
		kibo_error(req, resp, status, "UNAUTHORIZED", "Authorization "
		    "has been refused for those credentials.", NULL);
		break;
	case 403:
		kibo_error(req, resp, status, "FORBIDDEN", "Token Not "
		    "Authorized.", NULL);
		break;
	case 404:
		kibo_error(req, resp, status, "ITEM_NOT_FOUND", message, NULL);
		break;
	case 405:
		kibo_error(req, resp, status, "METHOD_NOT_ALLOWED", message,
		    NULL);
		break;
	case 409:
		kibo_error(req, resp, status, "VALIDATION_CONFLICT", message,
		    NULL);
		break;
	case 413:
		kibo_error(req, resp, status, "REQUEST_TOO_LARGE", message,
		    NULL);
		break;
	case 503:
		kibo_error(req, resp, status, "SERVICE_UNAVAILABLE", "The "
		    "service is temporarily unavailable.", NULL);
		break;
	default:
		/* Any other refusal of the request (415, 422, 431, ...)
		 * keeps its status and says why. */
		if (status >= 400 && status < 500)
			kibo_error(req, resp, status,
			    "MISSING_OR_INVALID_PARAMETER", message, NULL);
		else
			kibo_error(req, resp, status >= 500 ? status : 500,
			    "UNEXPECTED_ERROR", "An unexpected error occurred.",
			    NULL);
		break;
	}
}

const struct dialect dialect_kibo = { "kibo", kibo_front_error };

/* ---- the tenant: x-vol-tenant ---- */

/*
 * Front line of the Kibo routes (ROUTE_VOL_TENANT), after the tenant of
 * the path, X-Tenant-Id or the token's tid is known and before the right
 * is checked.  x-vol-tenant names a tenant by its rosterd id or by Kibo's
 * tenant id, a tenant alias of issuer "kibo".  A SystemAdmin may name
 * any tenant with it (it then is the request's tenant), unless
 * X-Tenant-Id names another (400); anyone else may name only the
 * tenant the request already targets (else 403).  Absent or empty:
 * nothing to do.  Returns 0, or the refusing status with *msg.
 */
int
kibo_vol_tenant(struct http_req *req, const char **msg)
{
	const struct app *app = req->ctx;
	const char *h = http_req_header(req, "x-vol-tenant"), *t = NULL;
	char canon[UUID_STR_LEN + 1];
	size_t n;

	if (h == NULL || (n = strlen(h)) == 0)
		return 0;
	if (uuid_normalize(h, n, canon) == 0)
		t = arena_strdup(req->arena, canon);
	else if (n <= KIBO_TENANT_MAX) {
		switch (tenant_alias_resolve(app->db, KIBO_ALIAS_ISSUER, h,
		    req->arena, &t)) {
		case 0:
		case 1:
			break;
		default:
			*msg = "The tenant cannot be looked up right now; "
			    "retry.";
			return 503;
		}
	}
	if (!(req->principal.roles & AUTH_ROLE_SYSTEM_ADMIN)) {
		if (t == NULL || req->tenant == NULL ||
		    strcmp(t, req->tenant) != 0) {
			*msg = "x-vol-tenant names another tenant than the "
			    "token's.";
			return 403;
		}
		return 0;
	}
	if (t == NULL) {
		*msg = "Missing or invalid parameter: x-vol-tenant (no "
		    "tenant has this id or Kibo tenant id).";
		return 400;
	}
	if (http_req_header(req, "X-Tenant-Id") != NULL &&
	    req->tenant != NULL && strcmp(t, req->tenant) != 0) {
		*msg = "Missing or invalid parameter: x-vol-tenant (it names "
		    "another tenant than X-Tenant-Id).";
		return 400;
	}
	req->tenant = t;
	return 0;
}

/* ---- the request ---- */

/* Room for some more ids than the cap, so that the cap is named. */
static const struct fmt_limits ids_limits = {
	.max_depth = 4, .max_items = 4 * KIBO_BULK_MAX, .max_string = 4096,
	.max_nodes = 4 * KIBO_BULK_MAX + 16,
};

/* The ids of the body: item i is canonical, or NULL when malformed. */
struct ids {
	const struct value *items;	/* the body's array */
	const char	**canon;	/* per item: uuid or NULL */
	const char	**valid;	/* the canonical ones, in order */
	size_t		*pos;		/* valid[k] is item pos[k] */
	size_t		 nvalid, nbad;
};

static int
is_json(const char *ct)
{
	size_t n = ct ? strcspn(ct, "; ") : 0;

	return ct == NULL || (n == 16 && strncasecmp(ct, "application/json",
	    16) == 0) || (n == 9 && strncasecmp(ct, "text/json", 9) == 0);
}

/* Decodes the body; returns 0, or -1 with the 400 sent. */
static int
decode_ids(struct http_req *req, struct http_resp *resp, struct ids *ids)
{
	struct arena *a = req->arena;
	struct value *doc;
	struct fmt_error ferr;
	char c[UUID_STR_LEN + 1];
	const struct value *v;
	size_t i, n;

	memset(ids, 0, sizeof(*ids));
	if (!is_json(req->content_type) || json_decode(a, req->body,
	    req->body_len, &ids_limits, &doc, &ferr) != FMT_OK ||
	    doc->type != VALUE_ARRAY) {
		kibo_bad_param(req, resp, "userIds", "(the body must be a "
		    "JSON array of user id strings).");
		return -1;
	}
	if ((n = doc->u.arr.n) > KIBO_BULK_MAX) {
		kibo_bad_param(req, resp, "userIds", arena_sprintf(a, "(at "
		    "most %d user ids in one request; this one has %zu).",
		    KIBO_BULK_MAX, n));
		return -1;
	}
	ids->items = doc;
	ids->canon = arena_allocarray(a, n + 1, sizeof(*ids->canon));
	ids->valid = arena_allocarray(a, n + 1, sizeof(*ids->valid));
	ids->pos = arena_allocarray(a, n + 1, sizeof(*ids->pos));
	for (i = 0; i < n; i++) {
		v = doc->u.arr.items[i];
		if (v->type != VALUE_STRING) {
			kibo_bad_param(req, resp, "userIds", arena_sprintf(a,
			    "(item %zu is not a string).", i));
			return -1;
		}
		if (uuid_normalize(v->u.str.p, v->u.str.len, c) != 0) {
			ids->canon[i] = NULL;
			ids->nbad++;
			continue;
		}
		ids->canon[i] = arena_strdup(a, c);
		ids->pos[ids->nvalid] = i;
		ids->valid[ids->nvalid++] = ids->canon[i];
	}
	return 0;
}

/*
 * The 400 naming every bad id in request order: malformed ones and
 * those at the 1-based positions (in valid) of the "{1,5}" literal.
 */
static void
send_bad_ids(struct http_req *req, struct http_resp *resp,
    const struct ids *ids, const char *missing)
{
	struct arena *a = req->arena;
	struct value *d = value_array(a);
	char *bad = arena_zalloc(a, ids->items->u.arr.n + 1);
	const char *p = missing;
	char *end;
	size_t i, nbad = 0;
	long k;

	for (i = 0; i < ids->items->u.arr.n; i++)
		bad[i] = ids->canon[i] == NULL;
	while (p != NULL && *p != '\0') {
		k = strtol(p + 1, &end, 10);	/* skips '{' or ',' */
		if (end == p + 1)
			break;
		if (k >= 1 && (size_t)k <= ids->nvalid)
			bad[ids->pos[k - 1]] = 1;
		p = end;
		if (*p == '}')
			break;
	}
	for (i = 0; i < ids->items->u.arr.n; i++) {
		if (!bad[i])
			continue;
		add_data(a, d, "UserId", ids->items->u.arr.items[i]->u.str.p);
		nbad++;
	}
	kibo_error(req, resp, 400, "MISSING_OR_INVALID_PARAMETER",
	    arena_sprintf(a, "Missing or invalid parameter: UserId (%zu "
	    "user id%s name%s no user of this tenant).", nbad,
	    nbad == 1 ? "" : "s", nbad == 1 ? "s" : ""), d);
}

/* ?responseFields= (any case), percent-decoded; NULL when absent. */
static const char *
response_fields(struct http_req *req, int *bad)
{
	const char *p = req->query, *v = NULL;
	size_t n;

	*bad = 0;
	while (p != NULL && *p != '\0') {
		n = strcspn(p, "&");
		if (n >= 15 && strncasecmp(p, "responseFields=", 15) == 0) {
			if (v != NULL) {
				*bad = 1;	/* twice: ambiguous */
				return NULL;
			}
			v = http_percent_decode(req->arena, p + 15, n - 15);
			if (v == NULL) {
				*bad = 1;
				return NULL;
			}
		}
		p = p[n] == '&' ? p + n + 1 : NULL;
	}
	return v;
}

/* ---- the response ---- */

/*
 * Appends JSON text j without the whitespace between tokens that
 * PostgreSQL's json functions put there.
 */
static void
put_compact(struct buf *b, const char *j)
{
	const char *run = j;
	int in_str = 0;

	for (; *j != '\0'; j++) {
		if (in_str) {
			if (*j == '\\' && j[1] != '\0')
				j++;
			else if (*j == '"')
				in_str = 0;
			continue;
		}
		if (*j == '"') {
			in_str = 1;
		} else if (*j == ' ' || *j == '\n' || *j == '\t' ||
		    *j == '\r') {
			buf_put(b, run, (size_t)(j - run));
			run = j + 1;
		}
	}
	buf_put(b, run, (size_t)(j - run));
}

/* The AdminGroup in the spec's order, as compact JSON text. */
static void
group_json(struct buf *b, const PGresult *r)
{
	const char *head = db_get(r, 0, "head");
	size_t n = strlen(head);

	while (n > 0 && head[n - 1] != '}')
		n--;
	put_compact(b, arena_strndup(b->a, head, n > 0 ? n - 1 : 0));
	buf_puts(b, ",\"users\":");
	put_compact(b, db_get(r, 0, "users"));
	buf_puts(b, ",\"auditInfo\":");
	put_compact(b, db_get(r, 0, "audit"));
	buf_putc(b, '}');
}

/* Large groups: a filtered answer is decoded in full first. */
static const struct fmt_limits group_limits = {
	.max_depth = 16, .max_items = 10000000, .max_string = 1 << 20,
	.max_nodes = 100000000,
};

static void
send_group(struct http_req *req, struct http_resp *resp, const PGresult *r,
    const struct field_sel *sel)
{
	struct buf b;
	struct value *doc;
	struct fmt_error ferr;

	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
	http_resp_header(resp, "x-vol-correlation", req->request_id);
	buf_reset(&resp->body);
	if (sel == NULL) {
		group_json(&resp->body, r);
		return;
	}
	buf_init(&b, req->arena);
	group_json(&b, r);
	if (b.failed || json_decode(req->arena, b.p, b.len, &group_limits,
	    &doc, &ferr) != FMT_OK) {
		http_resp_init(resp, req->arena);
		kibo_front_error(req, resp, 500, NULL);
		return;
	}
	json_encode(&resp->body, field_sel_apply(req->arena, sel, doc));
}

/* ---- the operation ---- */

static void
db_failed(struct http_req *req, struct http_resp *resp, enum db_status st)
{
	if (st == DB_CONFLICT || st == DB_RETRY)
		kibo_front_error(req, resp, 409, "A concurrent change "
		    "conflicted with this request; try again.");
	else
		kibo_front_error(req, resp, st == DB_UNAVAILABLE ? 503 : 500,
		    NULL);
}

static void
members(struct http_req *req, struct http_resp *resp, enum stmt id)
{
	const struct app *app = req->ctx;
	const char *code = http_req_param(req, "groupCode"), *params[6];
	const char *fields, *constraint = NULL, *missing;
	struct field_sel *sel;
	enum db_status st;
	struct ids ids;
	PGresult *r;
	int bad;

	fields = response_fields(req, &bad);
	if (bad || field_sel_parse(req->arena, fields, &sel) != 0) {
		kibo_bad_param(req, resp, "responseFields", "(a comma-"
		    "separated list of names, nested in parentheses).");
		return;
	}
	if (req->tenant == NULL) {
		kibo_bad_param(req, resp, "X-Tenant-Id", "(the request names "
		    "no tenant).");
		return;
	}
	if (decode_ids(req, resp, &ids) != 0)
		return;
	params[0] = req->tenant;
	params[1] = code != NULL && strlen(code) <= KIBO_GROUP_CODE_MAX ?
	    code : "";
	params[2] = db_array_literal(req->arena, ids.valid, ids.nvalid);
	params[3] = arena_sprintf(req->arena, "%zu", ids.nbad);
	params[4] = req->authenticated ? req->principal.sub : "anonymous";
	params[5] = req->audit_request_id;
	if ((r = db_exec(app->db, req->arena, id, params, &st,
	    &constraint)) == NULL) {
		db_failed(req, resp, st);
		return;
	}
	if (strcmp(db_get(r, 0, "group_ok"), "t") != 0) {
		kibo_error(req, resp, 404, "ITEM_NOT_FOUND", "No admin group "
		    "has this group code.", NULL);
		return;
	}
	missing = db_get(r, 0, "missing");
	if (ids.nbad > 0 || missing != NULL) {
		send_bad_ids(req, resp, &ids, missing);
		return;
	}
	send_group(req, resp, r, sel);
}

/* POST [/api]/platform/adminuser/groups/{groupCode}/addusers */
void
kibo_group_addusers(struct http_req *req, struct http_resp *resp)
{
	members(req, resp, STMT_KIBO_MEMBERS_ADD);
}

/* POST [/api]/platform/adminuser/groups/{groupCode}/removeusers */
void
kibo_group_removeusers(struct http_req *req, struct http_resp *resp)
{
	members(req, resp, STMT_KIBO_MEMBERS_REMOVE);
}
