/*
 * v1.c: rosterd's own API, the parts every /v1 route shares: errors as
 * RFC 9457 problem details (with an `errors` array naming fields), strict
 * JSON bodies checked against a field table, query parameters, cursor
 * pages, ETags and If-Match, and the mapping of database outcomes to
 * statuses.  Resources themselves are rendered by PostgreSQL
 * (rosterd_*_json in sql/0002_v1.sql), so a create, a get and a list
 * always agree; this file only frames them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "v1.h"

/* ---- errors ---- */

static void
v1_put_problem(struct http_req *req, struct http_resp *resp, int status,
    const char *detail, struct value *errors)
{
	struct arena *a = req->arena;
	struct value *o = value_object(a);

	value_set(a, o, "type", value_cstr(a, "about:blank"));
	value_set(a, o, "title", value_cstr(a, http_status_text(status)));
	value_set(a, o, "status", value_int(a, status));
	if (detail != NULL)
		value_set(a, o, "detail", value_cstr(a, detail));
	if (errors != NULL)
		value_set(a, o, "errors", errors);
	resp->status = status;
	resp->content_type = "application/problem+json";
	buf_reset(&resp->body);
	json_encode(&resp->body, o);
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate", "Bearer");
	if (status == 503)
		http_resp_header(resp, "Retry-After", "5");
}

void
v1_problem(struct http_req *req, struct http_resp *resp, int status,
    const char *detail)
{
	v1_put_problem(req, resp, status, detail, NULL);
}

static void
v1_dialect_error(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	v1_put_problem(req, resp, status, message, NULL);
}

const struct dialect dialect_v1 = { "v1", v1_dialect_error };

void
v1_errors_add(struct arena *a, struct value *errors, const char *field,
    const char *code, const char *detail)
{
	struct value *e = value_object(a);

	value_set(a, e, "field", value_cstr(a, field));
	value_set(a, e, "code", value_cstr(a, code));
	value_set(a, e, "detail", value_cstr(a, detail));
	value_push(a, errors, e);
}

/* 400 or 409 with the field errors collected in `errors`. */
void
v1_field_problem(struct http_req *req, struct http_resp *resp, int status,
    const char *detail, struct value *errors)
{
	v1_put_problem(req, resp, status, detail, errors);
}

/* One field error as a whole response. */
void
v1_field_error(struct http_req *req, struct http_resp *resp, int status,
    const char *field, const char *code, const char *detail)
{
	struct value *errors = value_array(req->arena);

	v1_errors_add(req->arena, errors, field, code, detail);
	v1_put_problem(req, resp, status, detail, errors);
}

/*
 * A database failure as a response.  Unique violations are 409 naming
 * the field of the constraint (conflicts: NULL-terminated pairs of
 * constraint name and field name).
 */
void
v1_db_error(struct http_req *req, struct http_resp *resp, enum db_status st,
    const char *constraint, const char *const *conflicts)
{
	size_t i;

	switch (st) {
	case DB_CONFLICT:
		for (i = 0; conflicts != NULL && conflicts[i] != NULL; i += 2)
			if (constraint != NULL &&
			    strcmp(constraint, conflicts[i]) == 0) {
				v1_field_error(req, resp, 409, conflicts[i + 1],
				    "taken", arena_sprintf(req->arena, "This "
				    "%s is already in use.", conflicts[i + 1]));
				return;
			}
		v1_problem(req, resp, 409, "The request conflicts with the "
		    "current state of the resource.");
		return;
	case DB_INVALID:
		if (req->tenant != NULL &&
		    !uuid_valid(req->tenant, strlen(req->tenant))) {
			v1_problem(req, resp, 404, "No tenant has this id.");
			return;
		}
		v1_problem(req, resp, 400, "The database refused a value of "
		    "the request.");
		return;
	case DB_UNAVAILABLE:
	case DB_RETRY:
		v1_problem(req, resp, 503, "The database is unavailable; "
		    "try again.");
		return;
	default:
		v1_problem(req, resp, 500, "An internal error occurred.");
		return;
	}
}

/* ---- bodies ---- */

/* The body as a JSON value, or NULL with the response sent. */
struct value *
v1_json_body(struct http_req *req, struct http_resp *resp,
    const struct fmt_limits *lim)
{
	struct fmt_error err;
	struct value *v;
	const char *ct = req->content_type;
	size_t n;

	if (ct == NULL || req->body_len == 0) {
		v1_problem(req, resp, 400, "The request needs a JSON body.");
		return NULL;
	}
	n = strcspn(ct, "; \t");
	if (!(n == 16 && strncasecmp(ct, "application/json", 16) == 0)) {
		v1_problem(req, resp, 415, arena_sprintf(req->arena, "The "
		    "media type '%.*s' is not supported: send "
		    "application/json.", (int)(n > 64 ? 64 : n), ct));
		return NULL;
	}
	switch (json_decode(req->arena, req->body, req->body_len,
	    lim != NULL ? lim : dialect_limits(req), &v, &err)) {
	case FMT_OK:
		return v;
	case FMT_LIMIT:
		v1_field_error(req, resp, 400, err.path[0] ? err.path : "$",
		    "limit", err.msg);
		return NULL;
	case FMT_DUPLICATE:
		v1_field_error(req, resp, 400, err.path[0] ? err.path : "$",
		    "duplicate", err.msg);
		return NULL;
	default:
		v1_field_error(req, resp, 400, err.path[0] ? err.path : "$",
		    "malformed", err.msg);
		return NULL;
	}
}

static int
v1_slug_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    (ch == '-' && i > 0)))
			return 0;
	}
	return 1;
}

/* Checks one member against its field; 0 or -1 with an error added. */
static int
v1_check_field(struct arena *a, const struct v1_field *f,
    const struct value *v, struct value *errors)
{
	struct buf tmp;
	size_t len;

	if (v->type == VALUE_NULL) {
		if (f->flags & VF_NOT_NULL) {
			v1_errors_add(a, errors, f->name, "required",
			    arena_sprintf(a, "%s may not be null.", f->name));
			return -1;
		}
		return 0;
	}
	switch (f->type) {
	case VT_STRING:
	case VT_EMAIL:
	case VT_SLUG:
		if (v->type != VALUE_STRING)
			break;
		len = v->u.str.len;
		if (len == 0 && (f->flags & VF_NOT_NULL)) {
			v1_errors_add(a, errors, f->name, "required",
			    arena_sprintf(a, "%s may not be empty.", f->name));
			return -1;
		}
		if ((long)len > f->max) {
			v1_errors_add(a, errors, f->name, "tooLong",
			    arena_sprintf(a, "%s is longer than %ld bytes.",
			    f->name, f->max));
			return -1;
		}
		if (f->type == VT_EMAIL && !core_valid_email(v->u.str.p)) {
			v1_errors_add(a, errors, f->name, "invalid",
			    arena_sprintf(a, "%s is not a valid e-mail "
			    "address.", f->name));
			return -1;
		}
		if (f->type == VT_SLUG && !v1_slug_ok(v->u.str.p, len)) {
			v1_errors_add(a, errors, f->name, "invalid",
			    arena_sprintf(a, "%s must be 1 to 63 characters "
			    "a-z, 0-9 and '-', not starting with '-'.",
			    f->name));
			return -1;
		}
		return 0;
	case VT_BOOL:
		if (v->type == VALUE_BOOL)
			return 0;
		break;
	case VT_INT: {
		char *end;
		long long n;

		if (v->type != VALUE_NUMBER)
			break;
		errno = 0;
		n = strtoll(v->u.str.p, &end, 10);
		if (errno == 0 && *end == '\0' && n >= 0 && n <= f->max)
			return 0;
		v1_errors_add(a, errors, f->name, "invalid", arena_sprintf(a,
		    "%s must be a whole number from 0 to %ld.", f->name,
		    f->max));
		return -1;
	}
	case VT_ENUM:
		if (v->type != VALUE_STRING)
			break;
		for (len = 0; f->choices[len] != NULL; len++)
			if (strcmp(f->choices[len], v->u.str.p) == 0)
				return 0;
		v1_errors_add(a, errors, f->name, "invalid",
		    arena_sprintf(a, "%s is not one of the allowed values.",
		    f->name));
		return -1;
	case VT_OBJECT:
		if (v->type != VALUE_OBJECT)
			break;
		buf_init(&tmp, a);
		json_encode(&tmp, v);
		if ((long)tmp.len > f->max) {
			v1_errors_add(a, errors, f->name, "tooLong",
			    arena_sprintf(a, "%s is larger than %ld bytes.",
			    f->name, f->max));
			return -1;
		}
		return 0;
	}
	v1_errors_add(a, errors, f->name, "type", arena_sprintf(a,
	    "%s must be %s, not %s.", f->name,
	    f->type == VT_BOOL ? "a boolean" :
	    f->type == VT_INT ? "a number" :
	    f->type == VT_OBJECT ? "an object" : "a string",
	    value_type_name(v->type)));
	return -1;
}

/*
 * Checks a JSON object body against a field table.  mode V1_CREATE:
 * fields flagged VF_REQUIRED must be present; V1_PATCH: every field is
 * optional, VF_CREATE_ONLY fields are refused.  Unknown members are
 * refused (a typo must not be silently dropped).  Returns the canonical
 * JSON text of the known members (for a jsonb parameter) and, in *obj
 * when not NULL, the same as a value; or NULL with a 400 sent naming
 * every bad field.
 */
const char *
v1_checked_body(struct http_req *req, struct http_resp *resp,
    const struct v1_field *fields, size_t nfields, enum v1_mode mode,
    struct value **obj)
{
	struct arena *a = req->arena;
	struct value *body, *out, *errors, *v;
	const struct v1_field *f;
	struct buf b;
	size_t i, j;

	if ((body = v1_json_body(req, resp, NULL)) == NULL)
		return NULL;
	if (body->type != VALUE_OBJECT) {
		v1_field_error(req, resp, 400, "$", "type",
		    "The body must be a JSON object.");
		return NULL;
	}
	errors = value_array(a);
	out = value_object(a);
	for (i = 0; i < body->u.obj.n; i++) {
		const char *key = body->u.obj.members[i].key;

		v = body->u.obj.members[i].val;
		for (j = 0, f = NULL; j < nfields; j++)
			if (strcmp(fields[j].name, key) == 0)
				f = &fields[j];
		if (f == NULL) {
			v1_errors_add(a, errors, key, "unknown",
			    arena_sprintf(a, "%.64s is not a field of this "
			    "resource.", key));
			continue;
		}
		if (mode == V1_PATCH && (f->flags & VF_CREATE_ONLY)) {
			v1_errors_add(a, errors, key, "readOnly",
			    arena_sprintf(a, "%s cannot be changed.", key));
			continue;
		}
		if (v1_check_field(a, f, v, errors) == 0)
			value_set(a, out, f->name, v);
	}
	for (j = 0; mode == V1_CREATE && j < nfields; j++)
		if ((fields[j].flags & VF_REQUIRED) &&
		    value_get(body, fields[j].name) == NULL)
			v1_errors_add(a, errors, fields[j].name, "required",
			    arena_sprintf(a, "%s is required.",
			    fields[j].name));
	if (errors->u.arr.n > 0) {
		v1_field_problem(req, resp, 400, "The request has invalid "
		    "fields.", errors);
		return NULL;
	}
	if (obj != NULL)
		*obj = out;
	buf_init(&b, a);
	json_encode(&b, out);
	buf_putc(&b, '\0');
	return b.p;
}

/* ---- query parameters ---- */

/*
 * The decoded value of query parameter `name` (the first one), or NULL
 * when absent.  *bad is set when it is present but not decodable.
 */
const char *
v1_query(const struct http_req *req, const char *name, int *bad)
{
	return http_query_param(req, name, 0, bad);
}

/*
 * limit (1..1000, default 100) and cursor (from nextCursor) of a list
 * request.  Returns 0, or -1 with a 400 sent.
 */
int
v1_page(struct http_req *req, struct http_resp *resp, struct v1_page *pg)
{
	const char *lim, *cur;
	unsigned char *raw;
	size_t rawlen;
	char *end, *comma, *text;
	long long n;
	int bad = 0;

	memset(pg, 0, sizeof(*pg));
	pg->limit = 100;
	lim = v1_query(req, "limit", &bad);
	if (lim != NULL) {
		errno = 0;
		n = strtoll(lim, &end, 10);
		if (errno != 0 || end == lim || *end != '\0' || n < 1 ||
		    n > 1000)
			bad = 1;
		else
			pg->limit = (int)n;
	}
	if (bad) {	/* malformed, or not even decoded (lim NULL then) */
		v1_field_error(req, resp, 400, "limit", "invalid",
		    "limit must be a whole number from 1 to 1000.");
		return -1;
	}
	snprintf(pg->limit_plus_one, sizeof(pg->limit_plus_one), "%d",
	    pg->limit + 1);
	cur = v1_query(req, "cursor", &bad);
	if (cur == NULL && !bad)
		return 0;
	if (bad || cur == NULL || strlen(cur) > 128 ||
	    base64url_decode(req->arena, cur, strlen(cur), &raw, &rawlen) != 0)
		goto badcur;
	text = arena_strndup(req->arena, (const char *)raw, rawlen);
	if (strlen(text) != rawlen || (comma = strchr(text, ',')) == NULL)
		goto badcur;
	*comma = '\0';
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		goto badcur;
	if (uuid_normalize(comma + 1, strlen(comma + 1), pg->cur_id) != 0)
		goto badcur;
	snprintf(pg->cur_us, sizeof(pg->cur_us), "%lld", n);
	pg->has_cursor = 1;
	return 0;
badcur:
	v1_field_error(req, resp, 400, "cursor", "invalid",
	    "cursor is not a cursor this API returned.");
	return -1;
}

/*
 * Sends {"items": [...], "nextCursor": ...} from the rows of r: column
 * `json` holds each item, `cur` its position.  r holds up to limit + 1
 * rows (rows whose json is NULL are skipped: an empty page's marker);
 * the extra row only says there is a next page.
 */
void
v1_send_page(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const struct v1_page *pg)
{
	int i, n = PQntuples(r), jc = PQfnumber(r, "json"),
	    cc = PQfnumber(r, "cur"), items = 0;
	const char *last = NULL;
	struct buf *b = &resp->body;

	resp->status = 200;
	resp->content_type = "application/json";
	buf_reset(b);
	buf_puts(b, "{\"items\":[");
	for (i = 0; i < n && items < pg->limit; i++) {
		if (PQgetisnull(r, i, jc))
			continue;
		if (items++ > 0)
			buf_putc(b, ',');
		buf_puts(b, PQgetvalue(r, i, jc));
		last = cc >= 0 ? PQgetvalue(r, i, cc) : NULL;
	}
	buf_puts(b, "],\"nextCursor\":");
	if (items == pg->limit && i < n && !PQgetisnull(r, i, jc) &&
	    last != NULL) {
		buf_putc(b, '"');
		buf_puts(b, base64url_encode(req->arena, last, strlen(last)));
		buf_putc(b, '"');
	} else
		buf_puts(b, "null");
	buf_putc(b, '}');
}

/* ---- versions ---- */

/*
 * The version an If-Match header demands: NULL when there is none or
 * it is "*"; "-1" (never matches) when it is not one of our ETags.
 * If-Match compares strongly (RFC 9110 §13.1.1): a weak tag W/"n"
 * never matches.
 */
const char *
v1_if_match(const struct http_req *req)
{
	const char *h = http_req_header(req, "If-Match"), *p;
	size_t n;

	if (h == NULL || strcmp(h, "*") == 0)
		return NULL;
	n = strlen(h);
	/* at most 18 digits: every one a bigint, as versions are */
	if (n < 3 || n > 20 || h[0] != '"' || h[n - 1] != '"')
		return "-1";
	for (p = h + 1; p < h + n - 1; p++)
		if (*p < '0' || *p > '9')
			return "-1";
	return arena_strndup(req->arena, h + 1, n - 2);
}

/* Sends a resource (its JSON text from the database) with its ETag. */
void
v1_send_resource(struct http_req *req, struct http_resp *resp, int status,
    const char *json, const char *version)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_puts(&resp->body, json);
	if (version != NULL)
		http_resp_header(resp, "ETag", arena_sprintf(req->arena,
		    "\"%s\"", version));
}

/*
 * 201 Created: row 0 of r's resource (its json, with its version as the
 * ETag when r has one) at /v1/tenants/{tenant}/{collection}/{id}.
 */
void
v1_send_created(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *collection)
{
	v1_send_resource(req, resp, 201, db_get(r, 0, "json"),
	    db_get(r, 0, "version"));
	http_resp_header(resp, "Location", arena_sprintf(req->arena,
	    "/v1/tenants/%s/%s/%s", req->tenant, collection,
	    db_get(r, 0, "id")));
}

/*
 * v1_send_created() for a resource that comes with a secret shown this
 * once: its JSON object with "token" added.  An Idempotency-Key replay
 * gets "token": null, since the token is stored nowhere.
 */
void
v1_send_created_once(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *collection, const char *token)
{
	const char *json = db_get(r, 0, "json");
	int n = (int)strlen(json) - 1;	/* without its closing brace */

	v1_send_created(req, resp, r, collection);
	buf_reset(&resp->body);
	buf_put(&resp->body, json, (size_t)n);
	buf_puts(&resp->body, ",\"token\":\"");
	buf_puts(&resp->body, token);
	buf_puts(&resp->body, "\"}");
	resp->replay_body = arena_sprintf(req->arena, "%.*s,\"token\":null}",
	    n, json);
}

/* 204 No Content. */
void
v1_send_empty(struct http_resp *resp)
{
	resp->status = 204;
	resp->content_type = NULL;
	buf_reset(&resp->body);
}

/* A path parameter that must be a uuid; NULL with a 404 sent if not. */
const char *
v1_path_id(struct http_req *req, struct http_resp *resp, const char *name,
    const char *what)
{
	const char *s = http_req_param(req, name);
	char canon[UUID_STR_LEN + 1];

	if (s == NULL || uuid_normalize(s, strlen(s), canon) != 0) {
		v1_problem(req, resp, 404, arena_sprintf(req->arena,
		    "No %s has this id.", what));
		return NULL;
	}
	return arena_strdup(req->arena, canon);
}

/* Runs a statement for a /v1 handler: the result, or NULL when st != OK. */
PGresult *
v1_exec(struct http_req *req, enum stmt id, const char *const *params,
    enum db_status *st, const char **constraint)
{
	const struct app *app = req->ctx;

	*constraint = NULL;
	return db_exec(app->db, req->arena, id, params, st, constraint);
}

/* The actor of a change: the token's sub. */
const char *
v1_actor(const struct http_req *req)
{
	return req->authenticated ? req->principal.sub : "anonymous";
}

/*
 * Answers a PATCH from its statement's row (found, json, version,
 * current_version): 404, 412 (stale If-Match: nothing changed) or 200.
 */
void
v1_send_patched(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *what)
{
	if (!db_true(r, "found")) {
		v1_problem(req, resp, 404, arena_sprintf(req->arena,
		    "No %s has this id.", what));
		return;
	}
	if (db_get(r, 0, "json") == NULL) {
		v1_problem(req, resp, 412, arena_sprintf(req->arena,
		    "If-Match does not match: the %s is at version %s.",
		    what, db_get(r, 0, "current_version")));
		http_resp_header(resp, "ETag", arena_sprintf(req->arena,
		    "\"%s\"", db_get(r, 0, "current_version")));
		return;
	}
	v1_send_resource(req, resp, 200, db_get(r, 0, "json"),
	    db_get(r, 0, "version"));
}

/*
 * A PATCH whose body changes nothing ("{}"): answers the resource as it
 * is, with the same 404 and 412 as a real change, and writes nothing (no
 * new version, no audit row).  get_params are the GET statement's.
 * Returns 1 when it answered, 0 when the body has changes.
 */
int
v1_patch_nothing(struct http_req *req, struct http_resp *resp,
    const char *patch, enum stmt get, const char *const *get_params,
    const char *what)
{
	const char *constraint, *want = v1_if_match(req), *have;
	enum db_status st;
	PGresult *r;

	if (strcmp(patch, "{}") != 0)
		return 0;
	if ((r = v1_exec(req, get, get_params, &st, &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return 1;
	}
	if (PQntuples(r) > 0 && want != NULL &&
	    strcmp(want, (have = db_get(r, 0, "version"))) != 0) {
		v1_problem(req, resp, 412, arena_sprintf(req->arena,
		    "If-Match does not match: the %s is at version %s.",
		    what, have));
		http_resp_header(resp, "ETag", arena_sprintf(req->arena,
		    "\"%s\"", have));
		return 1;
	}
	v1_send_got(req, resp, r, what);
	return 1;
}

/* Answers a DELETE from its row (found, deleted, current_version). */
void
v1_send_deleted(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *what)
{
	if (!db_true(r, "found")) {
		v1_problem(req, resp, 404, arena_sprintf(req->arena,
		    "No %s has this id.", what));
		return;
	}
	if (!db_true(r, "deleted")) {
		v1_problem(req, resp, 412, arena_sprintf(req->arena,
		    "If-Match does not match: the %s is at version %s.",
		    what, db_get(r, 0, "current_version")));
		http_resp_header(resp, "ETag", arena_sprintf(req->arena,
		    "\"%s\"", db_get(r, 0, "current_version")));
		return;
	}
	v1_send_empty(resp);
}

/* Answers a GET of one resource from its row (json, version), or 404. */
void
v1_send_got(struct http_req *req, struct http_resp *resp, const PGresult *r,
    const char *what)
{
	if (PQntuples(r) == 0) {
		v1_problem(req, resp, 404, arena_sprintf(req->arena,
		    "No %s has this id.", what));
		return;
	}
	v1_send_resource(req, resp, 200, db_get(r, 0, "json"),
	    db_get(r, 0, "version"));
}
