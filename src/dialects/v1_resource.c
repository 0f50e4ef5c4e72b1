/*
 * v1_resource.c: the operations every tenant-scoped /v1 resource has
 * (create, get, list, patch, delete), written once and driven by a
 * struct v1_resource: its field table, its statements and its names.
 * The statements of all resources take the same parameters in the same
 * order (see the comments of STMT_*_CREATE, _GET, _PATCH, _DELETE).
 */
#include <string.h>

#include "v1.h"

/* POST …/{collection}: $1 tenant, $2 body, $3 actor, $4 request id. */
void
v1_res_create(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res)
{
	const char *params[4], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_checked_body(req, resp, res->fields,
	    res->nfields, V1_CREATE, NULL)) == NULL)
		return;
	params[2] = v1_actor(req);
	params[3] = req->audit_request_id;
	if ((r = v1_exec(req, res->create, params, &st, &constraint)) ==
	    NULL) {
		v1_db_error(req, resp, st, constraint, res->conflicts);
		return;
	}
	if (!db_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	v1_send_created(req, resp, r, res->collection);
}

/* GET …/{collection}/{id}: $1 tenant, $2 id. */
void
v1_res_get(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res)
{
	const char *params[2], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, res->id_param, res->what)) ==
	    NULL)
		return;
	if ((r = v1_exec(req, res->get, params, &st, &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	v1_send_got(req, resp, r, res->what);
}

/*
 * PATCH …/{collection}/{id}: $1 tenant, $2 id, $3 changes, $4 If-Match
 * version, $5 actor, $6 request id.
 */
void
v1_res_patch(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res)
{
	const char *params[6], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, res->id_param, res->what)) ==
	    NULL)
		return;
	if ((params[2] = v1_checked_body(req, resp, res->fields,
	    res->nfields, V1_PATCH, NULL)) == NULL)
		return;
	if (v1_patch_nothing(req, resp, params[2], res->get, params,
	    res->what))
		return;
	params[3] = v1_if_match(req);
	params[4] = v1_actor(req);
	params[5] = req->audit_request_id;
	if ((r = v1_exec(req, res->patch, params, &st, &constraint)) ==
	    NULL) {
		v1_db_error(req, resp, st, constraint, res->conflicts);
		return;
	}
	v1_send_patched(req, resp, r, res->what);
}

/*
 * DELETE …/{collection}/{id}: $1 tenant, $2 id, $3 If-Match version,
 * $4 actor, $5 request id.
 */
void
v1_res_delete(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res)
{
	const char *params[5], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, res->id_param, res->what)) ==
	    NULL)
		return;
	params[2] = v1_if_match(req);
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, res->del, params, &st, &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	v1_send_deleted(req, resp, r, res->what);
}

/*
 * A page of a list statement whose parameters are params[0..] with the
 * page's (cursor us, cursor id, limit + 1) at params[first..first+2];
 * `owner_ok` names the column that says the owner (tenant, group, user)
 * exists, `owner` what to call it in a 404.
 */
void
v1_res_list(struct http_req *req, struct http_resp *resp, enum stmt id,
    const char **params, size_t first, const struct v1_page *pg,
    const char *owner_ok, const char *owner)
{
	const char *constraint;
	enum db_status st;
	PGresult *r;

	params[first] = pg->has_cursor ? pg->cur_us : NULL;
	params[first + 1] = pg->has_cursor ? pg->cur_id : NULL;
	params[first + 2] = pg->limit_plus_one;
	if ((r = v1_exec(req, id, params, &st, &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, owner_ok)) {
		v1_problem(req, resp, 404, arena_sprintf(req->arena,
		    "No %s has this id.", owner));
		return;
	}
	v1_send_page(req, resp, r, pg);
}
