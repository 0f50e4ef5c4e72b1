/*
 * scim_resource.c: what /Users and /Groups do alike (reads, DELETE,
 * the answers of a versioned write, filtered and sorted pages), written
 * once and driven by a struct scim_type: its noun, its statements, its
 * filter and sort maps and its table.
 */
#include <stdlib.h>
#include <string.h>

#include "scim.h"

/*
 * Limits for what rosterd itself stored.  Numbers are as long as jsonb
 * prints them: 1e64, five characters in a request, is 65 once stored.
 */
static const struct fmt_limits stored_limits = {
	.max_depth = 64, .max_items = 1000000, .max_string = 1 << 24,
	.max_nodes = 10000000, .max_number = 1 << 24,
};

struct value *
scim_stored_json(struct arena *a, const char *s)
{
	return s == NULL ? NULL : scim_stored_json_n(a, s, strlen(s));
}

struct value *
scim_stored_json_n(struct arena *a, const char *s, size_t n)
{
	struct fmt_error err;
	struct value *v;

	if (json_decode(a, s, n, &stored_limits, &v, &err) != FMT_OK)
		return NULL;
	return v;
}

/* ,"key":[ */
static void
put_refs_key(struct buf *b, const char *key)
{
	buf_putc(b, ',');
	json_put_string(b, key, strlen(key));
	buf_put(b, ":[", 2);
}

int
scim_put_refs(struct http_req *req, struct buf *b, const char *key,
    const char *text, const char *endpoint, const char *type, int empty_too)
{
	const char *base = scim_base(req);
	struct json_walk arr, el;
	struct json_span k, v, ref = { NULL, 0 };
	struct buf pre, post;
	size_t n = 0, nm;
	int rc, mc;

	if (text == NULL)
		return 0;
	if (json_walk_start(&arr, text, strlen(text), 2) != 0 ||
	    arr.close != ']')
		return -1;
	/* what each reference ends with: "$ref":"<base><endpoint>, "type" */
	buf_init(&pre, req->arena);
	buf_puts(&pre, "\"$ref\":\"");
	json_put_escaped(&pre, base, strlen(base));
	json_put_escaped(&pre, endpoint, strlen(endpoint));
	buf_init(&post, req->arena);
	buf_puts(&post, "\"type\":");
	json_put_string(&post, type, strlen(type));
	buf_putc(&post, '}');
	if (pre.failed || post.failed)
		return -1;
	while ((rc = json_walk_enter(&arr, &el)) == 1) {
		if (el.close != '}')
			return -1;
		if (n++ == 0)
			put_refs_key(b, key);
		else
			buf_putc(b, ',');
		buf_putc(b, '{');
		ref.p = NULL;
		nm = 0;
		while ((mc = json_walk_next(&el, &k, &v)) == 1) {
			/* the tree's look-up finds "value" in any case */
			if (k.n == 5 && strncasecmp(k.p, "value", 5) == 0) {
				if (memcmp(k.p, "value", 5) != 0 ||
				    ref.p != NULL ||
				    memchr(v.p, '\\', v.n) != NULL)
					return -1;
				if (*v.p == '"') {
					ref.p = v.p + 1;
					ref.n = v.n - 2;
				}
			}
			if (nm++ > 0)
				buf_putc(b, ',');
			json_put_compact(b, k.p - 1, k.n + 2);
			buf_putc(b, ':');
			json_put_compact(b, v.p, v.n);
		}
		if (mc != 0)
			return -1;
		json_walk_leave(&arr, &el);
		if (ref.p != NULL) {
			if (nm++ > 0)
				buf_putc(b, ',');
			buf_put(b, pre.p, pre.len);
			buf_put(b, ref.p, ref.n);
			buf_putc(b, '"');
		}
		if (nm > 0)
			buf_putc(b, ',');
		buf_put(b, post.p, post.len);
	}
	if (rc != 0)
		return -1;
	if (n == 0 && empty_too)
		put_refs_key(b, key);
	if (n > 0 || empty_too)
		buf_putc(b, ']');
	return 0;
}

void
scim_res_missing(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t)
{
	scim_error(req, resp, 404, NULL, arena_sprintf(req->arena,
	    "No %s has this id.", t->noun));
}

void
scim_res_changed(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t)
{
	scim_error(req, resp, 412, NULL, arena_sprintf(req->arena,
	    "The %s has changed since the version in If-Match.", t->noun));
}

void
scim_res_gave_up(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const char *ifm)
{
	if (ifm != NULL) {
		scim_res_changed(req, resp, t);
		return;
	}
	http_resp_header(resp, "Retry-After", "1");
	scim_error(req, resp, 503, NULL, arena_sprintf(req->arena,
	    "The %s kept changing while this PATCH was applied; retry.",
	    t->noun));
}

void
scim_no_content(struct http_resp *resp)
{
	resp->status = 204;
	resp->content_type = NULL;
	buf_reset(&resp->body);
}

PGresult *
scim_res_read(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, enum stmt stmt, const char *id)
{
	const char *params[2] = { req->tenant, id };
	enum db_status st;
	PGresult *r;

	if ((r = scim_exec(req, stmt, params, &st, NULL)) == NULL) {
		scim_db_error(req, resp, st);
		return NULL;
	}
	if (PQntuples(r) != 1) {
		scim_res_missing(req, resp, t);
		return NULL;
	}
	return r;
}

struct value *
scim_res_patched(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const PGresult *r, const struct value *body,
    scim_patch_hook hook, void *ctx)
{
	struct value *res = t->from_row(req, r, 0);
	char err[160];

	if (scim_normalize(req->arena, t->rt, res, err, sizeof(err)) != 0) {
		scim_error(req, resp, 500, NULL, "An error has occurred.");
		return NULL;
	}
	if (scim_patch_apply(req, resp, t->rt, res, body, hook, ctx) != 0)
		return NULL;
	if (scim_normalize(req->arena, t->rt, res, err, sizeof(err)) != 0) {
		scim_error(req, resp, 400, "invalidValue", arena_strdup(
		    req->arena, err));
		return NULL;
	}
	return res;
}

struct value *
scim_res_meta(struct http_req *req, const struct scim_type *t,
    const PGresult *r, int row, const char *id)
{
	struct arena *a = req->arena;
	struct value *x = value_object(a);

	value_set(a, x, "resourceType", value_cstr(a, t->rt->name));
	value_set(a, x, "created", value_cstr(a, db_get(r, row, "created")));
	value_set(a, x, "lastModified", value_cstr(a, db_get(r, row,
	    "updated")));
	value_set(a, x, "location", value_cstr(a, arena_strcat(a,
	    scim_base(req), t->rt->endpoint, "/", id, (char *)NULL)));
	value_set(a, x, "version", value_cstr(a, arena_strcat(a, "W/\"",
	    db_get(r, row, "version"), "\"", (char *)NULL)));
	return x;
}

void
scim_put_str(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_put(b, "null", 4);
	else
		json_put_string(b, s, strlen(s));
}

void
scim_put_meta(struct http_req *req, struct buf *b, const struct scim_type *t,
    const PGresult *r, int row, const char *id)
{
	const char *base = scim_base(req), *v = db_get(r, row, "version");

	buf_puts(b, ",\"meta\":{\"resourceType\":");
	json_put_string(b, t->rt->name, strlen(t->rt->name));
	buf_puts(b, ",\"created\":");
	scim_put_str(b, db_get(r, row, "created"));
	buf_puts(b, ",\"lastModified\":");
	scim_put_str(b, db_get(r, row, "updated"));
	buf_puts(b, ",\"location\":\"");
	json_put_escaped(b, base, strlen(base));
	json_put_escaped(b, t->rt->endpoint, strlen(t->rt->endpoint));
	buf_putc(b, '/');
	json_put_escaped(b, id, strlen(id));
	buf_puts(b, "\",\"version\":\"W/\\\"");
	/* the tree's arena_strcat ends at a NULL version, before its quote */
	if (v != NULL) {
		json_put_escaped(b, v, strlen(v));
		buf_puts(b, "\\\"");
	}
	buf_puts(b, "\"}");
}

void
scim_res_send(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, int status, const PGresult *r,
    const struct value *res)
{
	scim_send(req, resp, status, res);
	http_resp_header(resp, "ETag", arena_sprintf(req->arena, "W/\"%s\"",
	    db_get(r, 0, "version")));
	if (status == 201)
		http_resp_header(resp, "Location", arena_sprintf(req->arena,
		    "%s%s/%s", scim_base(req), t->rt->endpoint,
		    db_get(r, 0, "id")));
}

void
scim_res_delete(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t)
{
	const char *params[5], *id;
	enum db_status st;
	PGresult *r;

	if ((id = scim_path_id(req, resp, t->noun)) == NULL)
		return;
	params[0] = req->tenant;
	params[1] = id;
	params[2] = scim_actor(req);
	params[3] = req->audit_request_id;
	params[4] = scim_if_match(req);
	if ((r = scim_exec(req, t->del, params, &st, NULL)) == NULL) {
		scim_db_error(req, resp, st);
		return;
	}
	if (!(PQntuples(r) == 1 && strcmp(db_get(r, 0, "found"), "t") == 0)) {
		scim_res_missing(req, resp, t);
		return;
	}
	if (strcmp(db_get(r, 0, "deleted"), "t") != 0) {
		scim_res_changed(req, resp, t);
		return;
	}
	scim_no_content(resp);
}

/*
 * The statement of a page: its total and its rows in one, the filter's
 * values its parameters ($1 tenant, $2 offset, $3 limit, then w's; by
 * key, then the key's microseconds and id).  The rows' keys are read
 * first, in the page's order from an index (index-only in the default
 * order: OFFSET skips index entries, not rows), and only the page's rows
 * are joined by their primary key and get the select list.  By key, the
 * rows follow the key (the first page's key is NULL) and carry their own
 * (scim_key); with the walk's count (at->total) the total is not
 * counted again.  A tenant without rows still gives one row (tenant_ok,
 * total, the rest NULL).
 */
static PGresult *
page_exec(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q,
    const struct scim_at *at, const char *w, const char *order,
    const char **params, int np)
{
	const struct app *app = req->ctx;
	const char *a = t->alias, *key = "", *kcol = "", *total;
	enum db_status st;
	struct buf sql;
	PGresult *r;

	if (at->keyset) {
		key = arena_sprintf(req->arena, " AND (%s) >"
		    " (coalesce(rosterd_cursor_ts($%d::bigint), '-infinity'),"
		    " coalesce($%d::uuid, '00000000-0000-0000-0000-000000000000'))",
		    t->deflt, np - 1, np);
		kcol = arena_sprintf(req->arena, ", rosterd_cursor(%s) AS"
		    " scim_key", t->deflt);
	}
	total = at->keyset && at->total >= 0 ? "SELECT NULL::bigint AS total,"
	    " EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS tenant_ok" :
	    arena_sprintf(req->arena, "SELECT count(*) AS total, (SELECT"
	    " EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)) AS tenant_ok"
	    " FROM %s %s WHERE %s.tenant_id = $1::uuid%s", t->table, a, a, w);
	buf_init(&sql, req->arena);
	buf_printf(&sql, "SELECT t.total, t.tenant_ok, x.* FROM (%s) AS t"
	    " LEFT JOIN LATERAL (SELECT %s%s FROM (SELECT %s.* FROM"
	    " (SELECT %s.tenant_id, %s.id FROM %s %s WHERE %s.tenant_id ="
	    " $1::uuid%s%s%s OFFSET $2::bigint LIMIT $3::bigint) AS k"
	    " JOIN %s %s ON %s.tenant_id = k.tenant_id AND %s.id = k.id) AS %s"
	    "%s) AS x ON true",
	    total, t->cols(q), kcol, a, a, a, t->table, a, a, w, key, order,
	    t->table, a, a, a, a, order);
	if ((r = db_exec_sql(app->db, req->arena, sql.p, np, params,
	    &st)) == NULL) {
		if (st == DB_INVALID)
			scim_error(req, resp, 400, "invalidFilter", "A value "
			    "in the filter does not fit its attribute.");
		else
			scim_db_error(req, resp, st);
		return NULL;
	}
	if (PQntuples(r) < 1 ||
	    strcmp(db_get(r, 0, "tenant_ok"), "t") != 0) {
		scim_error(req, resp, 404, NULL, "No tenant has this id.");
		return NULL;
	}
	return r;
}

int
scim_res_query(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q,
    const struct scim_at *at, long limit, int lenient, struct scim_page *pg)
{
	struct buf w, o;
	const char **params, **kp;
	char off[24], lim[24];
	PGresult *r;
	int np = 3, i, rows, rc;

	memset(pg, 0, sizeof(*pg));
	buf_init(&o, req->arena);
	buf_init(&w, req->arena);
	if (scim_order(req, resp, q->sort_by, q->sort_order, lenient,
	    t->rt->core->urn, t->sort, t->nsort, t->tiebreak, t->deflt,
	    &o) != 0)
		return -1;
	if (limit < 0)
		limit = 0;
	/* by key: one row more, to know whether a page follows */
	snprintf(off, sizeof(off), "%ld", at->keyset && at->key_us != NULL ?
	    0 : at->offset);
	snprintf(lim, sizeof(lim), "%ld", at->keyset && limit > 0 ? limit + 1 :
	    limit);
	params = arena_allocarray(req->arena, 3, sizeof(*params));
	params[0] = req->tenant;
	params[1] = off;
	params[2] = lim;
	rc = scim_where(req, resp, q->filter, t->map, t->nmap, 4, lenient,
	    &w, &params, &np);
	if (rc < 0)
		return -1;
	if (rc == 2)
		return 1;
	if (at->keyset) {
		kp = arena_allocarray(req->arena, (size_t)np + 2, sizeof(*kp));
		for (i = 0; i < np; i++)
			kp[i] = params[i];
		kp[np++] = at->key_us;
		kp[np++] = at->key_id;
		params = kp;
	}
	if ((r = page_exec(req, resp, t, q, at, w.p != NULL ? w.p : "", o.p,
	    params, np)) == NULL)
		return -1;
	rows = PQntuples(r);
	pg->total = at->keyset && at->total >= 0 ? at->total :
	    atol(db_get(r, 0, "total"));
	pg->items = arena_allocarray(req->arena, (size_t)rows + 1,
	    sizeof(*pg->items));
	for (i = 0; i < rows && i < limit && db_get(r, i, "id") != NULL;
	    i++) {
		if (t->json_row != NULL && q->proj.attributes == NULL &&
		    q->proj.excluded == NULL &&
		    (pg->items[i] = t->json_row(req, r, i)) != NULL)
			continue;
		pg->items[i] = t->from_row(req, r, i);
		scim_proj_apply(req->arena, &q->proj, t->rt, pg->items[i]);
	}
	pg->n = (size_t)i;
	if (at->keyset && i > 0) {
		pg->last = arena_strdup(req->arena, db_get(r, i - 1,
		    "scim_key"));
		pg->more = rows > i && db_get(r, i, "id") != NULL;
	}
	return 0;
}

void
scim_res_answer(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q)
{
	struct scim_page pg;
	struct scim_at at;

	if (!scim_tenant_ok(req, resp) ||
	    scim_cursor_at(req, resp, q, 1, &at) != 0 ||
	    scim_res_query(req, resp, t, q, &at, q->count, 0, &pg) != 0)
		return;
	scim_send_page(req, resp, q, &at, &pg);
}

void
scim_res_list(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t)
{
	struct scim_listq q;

	if (scim_listq_query(req, resp, &q) == 0)
		scim_res_answer(req, resp, t, &q);
}
