/*
 * v1_users.c: /v1/tenants/{tenantId}/users.  TenantReader reads,
 * TenantAdmin changes (the route table says so); every change writes its
 * audit row in the same statement.
 */
#include <string.h>

#include "v1.h"

static const struct v1_field user_fields[] = {
	{ "username", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL },
	{ "email", VT_EMAIL, 254, 0 },
	{ "firstName", VT_STRING, 256, 0 },
	{ "lastName", VT_STRING, 256, 0 },
	{ "displayName", VT_STRING, 256, 0 },
	{ "title", VT_STRING, 256, 0 },
	{ "phone", VT_STRING, 64, 0 },
	{ "externalId", VT_STRING, 256, 0 },
	{ "locale", VT_STRING, 35, 0 },
	{ "timeZone", VT_STRING, 64, 0 },
	{ "active", VT_BOOL, 0, VF_NOT_NULL },
	{ "attributes", VT_OBJECT, 16384, VF_NOT_NULL },
};

static const char *const user_conflicts[] = {
	"users_username_key", "username",
	"users_email_key", "email",
	NULL
};

/* POST /v1/tenants/{tenantId}/users */
void
v1_users_create(struct http_req *req, struct http_resp *resp)
{
	const char *params[4], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_checked_body(req, resp, user_fields,
	    RS_ARRAY_LEN(user_fields), V1_CREATE, NULL)) == NULL)
		return;
	params[2] = v1_actor(req);
	params[3] = req->request_id;
	if ((r = v1_exec(req, STMT_USER_CREATE_V1, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, user_conflicts);
		return;
	}
	if (!v1_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	v1_send_resource(req, resp, 201, db_get(r, 0, "json"),
	    db_get(r, 0, "version"));
	http_resp_header(resp, "Location", arena_sprintf(req->arena,
	    "/v1/tenants/%s/users/%s", req->tenant, db_get(r, 0, "id")));
}

/* GET /v1/tenants/{tenantId}/users?q=&externalId=&active=&limit=&cursor= */
void
v1_users_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[7], *constraint, *active;
	enum db_status st;
	PGresult *r;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	params[1] = pg.has_cursor ? pg.cur_us : NULL;
	params[2] = pg.has_cursor ? pg.cur_id : NULL;
	params[3] = pg.limit_plus_one;
	params[4] = v1_query(req, "q", &bad);
	params[5] = v1_query(req, "externalId", &bad);
	active = v1_query(req, "active", &bad);
	if (bad || (params[4] != NULL && strlen(params[4]) > 256) ||
	    (params[5] != NULL && strlen(params[5]) > 256)) {
		v1_problem(req, resp, 400, "A query parameter is malformed "
		    "or too long.");
		return;
	}
	if (active == NULL)
		params[6] = NULL;
	else if (strcmp(active, "true") == 0 || strcmp(active, "false") == 0)
		params[6] = active;
	else {
		v1_field_error(req, resp, 400, "active", "invalid",
		    "active must be true or false.");
		return;
	}
	if ((r = v1_exec(req, STMT_USER_LIST, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!v1_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	v1_send_page(req, resp, r, &pg);
}

/* GET /v1/tenants/{tenantId}/users/{userId} */
void
v1_users_get(struct http_req *req, struct http_resp *resp)
{
	const char *params[2], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL)
		return;
	if ((r = v1_exec(req, STMT_USER_GET, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	v1_send_got(req, resp, r, "user");
}

/* PATCH /v1/tenants/{tenantId}/users/{userId} */
void
v1_users_patch(struct http_req *req, struct http_resp *resp)
{
	const char *params[6], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL)
		return;
	if ((params[2] = v1_checked_body(req, resp, user_fields,
	    RS_ARRAY_LEN(user_fields), V1_PATCH, NULL)) == NULL)
		return;
	params[3] = v1_if_match(req);
	params[4] = v1_actor(req);
	params[5] = req->request_id;
	if ((r = v1_exec(req, STMT_USER_PATCH, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, user_conflicts);
		return;
	}
	v1_send_patched(req, resp, r, "user");
}

/* DELETE /v1/tenants/{tenantId}/users/{userId} */
void
v1_users_delete(struct http_req *req, struct http_resp *resp)
{
	const char *params[5], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL)
		return;
	params[2] = v1_if_match(req);
	params[3] = v1_actor(req);
	params[4] = req->request_id;
	if ((r = v1_exec(req, STMT_USER_DELETE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	v1_send_deleted(req, resp, r, "user");
}
