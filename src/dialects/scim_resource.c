/*
 * scim_resource.c: what /Users and /Groups do alike (reads, DELETE,
 * the answers of a versioned write, filtered and sorted pages), written
 * once and driven by a struct scim_type: its noun, its statements, its
 * filter and sort maps and its table.
 */
#include <stdlib.h>
#include <string.h>

#include "scim.h"

/* Limits for what rosterd itself stored. */
static const struct fmt_limits stored_limits = {
	.max_depth = 64, .max_items = 1000000, .max_string = 1 << 24,
	.max_nodes = 10000000,
};

struct value *
scim_stored_json(struct arena *a, const char *s)
{
	struct fmt_error err;
	struct value *v;

	if (s == NULL || json_decode(a, s, strlen(s), &stored_limits, &v,
	    &err) != FMT_OK)
		return NULL;
	return v;
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
	value_set(a, x, "location", value_cstr(a, arena_sprintf(a,
	    "%s%s/%s", scim_base(req), t->rt->endpoint, id)));
	value_set(a, x, "version", value_cstr(a, arena_sprintf(a, "W/\"%s\"",
	    db_get(r, row, "version"))));
	return x;
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
 * values its parameters ($1 tenant, $2 offset, $3 limit, then w's).
 * The select list is computed for the page's rows only, not for the
 * rows OFFSET skips; a tenant without rows still gives one row
 * (tenant_ok, total 0, the rest NULL).
 */
static PGresult *
page_exec(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q, const char *w,
    const char *order, const char **params, int np)
{
	const struct app *app = req->ctx;
	enum db_status st;
	struct buf sql;
	PGresult *r;

	buf_init(&sql, req->arena);
	buf_printf(&sql, "SELECT t.total, t.tenant_ok, x.* FROM"
	    " (SELECT count(*) AS total, (SELECT EXISTS (SELECT 1"
	    "  FROM tenants WHERE id = $1::uuid)) AS tenant_ok"
	    "  FROM %s %s WHERE %s.tenant_id = $1::uuid%s) AS t"
	    " LEFT JOIN LATERAL (SELECT %s"
	    " FROM (SELECT * FROM %s %s WHERE %s.tenant_id = $1::uuid%s%s"
	    " OFFSET $2::bigint LIMIT $3::bigint) AS %s%s) AS x ON true",
	    t->table, t->alias, t->alias, w, t->cols(q), t->table, t->alias,
	    t->alias, w, order, t->alias, order);
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
    const struct scim_type *t, const struct scim_listq *q, long offset,
    long limit, int lenient, long *total, struct value ***items, size_t *n)
{
	struct buf w, o;
	const char **params;
	char off[24], lim[24];
	PGresult *r;
	int np = 3, i, rows, rc;

	*total = 0;
	*items = NULL;
	*n = 0;
	buf_init(&o, req->arena);
	buf_init(&w, req->arena);
	if (scim_order(req, resp, q->sort_by, q->sort_order, lenient,
	    t->rt->core->urn, t->sort, t->nsort, t->tiebreak, t->deflt,
	    &o) != 0)
		return -1;
	snprintf(off, sizeof(off), "%ld", offset);
	snprintf(lim, sizeof(lim), "%ld", limit > 0 ? limit : 0);
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
	if ((r = page_exec(req, resp, t, q, w.p != NULL ? w.p : "", o.p,
	    params, np)) == NULL)
		return -1;
	rows = PQntuples(r);
	*total = atol(db_get(r, 0, "total"));
	*items = arena_allocarray(req->arena, (size_t)rows + 1,
	    sizeof(**items));
	for (i = 0; i < rows && db_get(r, i, "id") != NULL; i++) {
		(*items)[i] = t->from_row(req, r, i);
		scim_proj_apply(req->arena, &q->proj, t->rt, (*items)[i]);
	}
	*n = (size_t)i;
	return 0;
}

void
scim_res_answer(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q)
{
	struct value **items;
	long total, off;
	size_t n;

	if (!scim_tenant_ok(req, resp) ||
	    scim_cursor_offset(req, resp, q, &off) != 0 ||
	    scim_res_query(req, resp, t, q, off, q->count, 0, &total, &items,
	    &n) != 0)
		return;
	scim_send_page(req, resp, q, total, off, items, n);
}

void
scim_res_list(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t)
{
	struct scim_listq q;

	if (scim_listq_query(req, resp, &q) == 0)
		scim_res_answer(req, resp, t, &q);
}
