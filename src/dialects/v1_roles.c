/*
 * v1_roles.c: /v1/tenants/{tenantId}/roles and the role assignments of
 * users (PUT and DELETE .../users/{userId}/roles/{roleId}, with an
 * optional scope in the body).
 */
#include <string.h>

#include "v1.h"

static const struct v1_field role_fields[] = {
	{ "name", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "description", VT_STRING, 4096, 0, NULL },
	{ "isSystemAdmin", VT_BOOL, 0, VF_NOT_NULL, NULL },
	{ "isGroupAdmin", VT_BOOL, 0, VF_NOT_NULL, NULL },
	{ "attributes", VT_OBJECT, 16384, VF_NOT_NULL, NULL },
};

static const char *const role_conflicts[] = {
	"roles_name_key", "name", NULL
};

static const struct v1_resource roles = {
	"role", "roles", "roleId", role_fields, RS_ARRAY_LEN(role_fields),
	role_conflicts, STMT_ROLE_CREATE, STMT_ROLE_GET, STMT_ROLE_PATCH,
	STMT_ROLE_DELETE,
};

/*
 * Roles flagged isSystemAdmin are SystemAdmins' to create, change,
 * delete and assign: rosterd never reads the flag, but it is exported
 * (here, ServiceStack's Roles, Kibo, seed 000's Role) and a consumer
 * may grant global rights by it.  A TenantAdmin may read such a role
 * and remove an assignment of it.  Each refusal is 403 naming the
 * field isSystemAdmin, before anything is written.
 */
static void
system_role_refused(struct http_req *req, struct http_resp *resp,
    const char *detail)
{
	v1_field_error(req, resp, 403, "isSystemAdmin", "forbidden", detail);
}

/*
 * 0 when the caller may write the body: a SystemAdmin, or a body that
 * does not set isSystemAdmin true.  -1 with the answer sent (403, or
 * the body's 400).
 */
static int
body_check(struct http_req *req, struct http_resp *resp, enum v1_mode mode)
{
	struct value *o;
	const struct value *f;

	if (dialect_system_admin(req))
		return 0;
	if (v1_checked_body(req, resp, role_fields, RS_ARRAY_LEN(role_fields),
	    mode, &o) == NULL)
		return -1;
	f = value_get(o, "isSystemAdmin");
	if (f != NULL && f->type == VALUE_BOOL && f->u.boolean) {
		system_role_refused(req, resp, "Only a SystemAdmin may set "
		    "isSystemAdmin.");
		return -1;
	}
	return 0;
}

/*
 * 0 when the caller may change, delete or assign the role of path
 * parameter param: a SystemAdmin, or a role not flagged isSystemAdmin
 * (or none: the operation answers its own 404).  -1 with the answer
 * sent.
 */
static int
role_check(struct http_req *req, struct http_resp *resp, const char *param,
    const char *what)
{
	const char *params[3], *id, *constraint;
	enum db_status st;
	PGresult *r;

	if (dialect_system_admin(req))
		return 0;
	if ((id = v1_path_id(req, resp, param, "role")) == NULL)
		return -1;
	params[0] = req->tenant;
	params[1] = db_array_literal(req->arena, &id, 1);
	params[2] = "{NULL}";
	if ((r = v1_exec(req, STMT_ROLES_SYSTEM, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return -1;
	}
	if (db_true(r, "system")) {
		system_role_refused(req, resp, arena_sprintf(req->arena, "The "
		    "role is flagged isSystemAdmin: only a SystemAdmin may %s "
		    "it.", what));
		return -1;
	}
	return 0;
}

void
v1_roles_create(struct http_req *req, struct http_resp *resp)
{
	if (body_check(req, resp, V1_CREATE) == 0)
		v1_res_create(req, resp, &roles);
}

void
v1_roles_get(struct http_req *req, struct http_resp *resp)
{
	v1_res_get(req, resp, &roles);
}

void
v1_roles_patch(struct http_req *req, struct http_resp *resp)
{
	if (role_check(req, resp, "roleId", "change") == 0 &&
	    body_check(req, resp, V1_PATCH) == 0)
		v1_res_patch(req, resp, &roles);
}

void
v1_roles_delete(struct http_req *req, struct http_resp *resp)
{
	if (role_check(req, resp, "roleId", "delete") == 0)
		v1_res_delete(req, resp, &roles);
}

/* GET /v1/tenants/{tenantId}/roles */
void
v1_roles_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[4];

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	v1_res_list(req, resp, STMT_ROLE_LIST, params, 1, &pg, "tenant_ok",
	    "tenant");
}

static const struct v1_field scope_fields[] = {
	{ "scopeType", VT_STRING, 64, VF_NOT_NULL, NULL },
	{ "scopeId", VT_STRING, 64, VF_NOT_NULL, NULL },
};

/*
 * The scope of an assignment: an optional body {"scopeType", "scopeId"},
 * or the same as query parameters (for DELETE, whose body some clients
 * and proxies drop); both or neither, none being the whole tenant.
 * Fills params[0..1]; returns 0, or -1 with a 400 sent.
 */
static int
assignment_scope(struct http_req *req, struct http_resp *resp,
    const char **params)
{
	struct value *o, *type, *id;
	char canon[UUID_STR_LEN + 1];
	const char *qt, *qi;
	int bad = 0;

	params[0] = "";
	params[1] = NULL;
	qt = v1_query(req, "scopeType", &bad);
	qi = v1_query(req, "scopeId", &bad);
	if (bad || ((qt != NULL || qi != NULL) && req->body_len > 0)) {
		v1_problem(req, resp, 400, "Give the scope in the body or in "
		    "the query, once.");
		return -1;
	}
	if (req->body_len == 0 && qt == NULL && qi == NULL)
		return 0;
	if (req->body_len == 0) {
		o = value_object(req->arena);
		if (qt != NULL)
			value_set(req->arena, o, "scopeType",
			    value_cstr(req->arena, qt));
		if (qi != NULL)
			value_set(req->arena, o, "scopeId",
			    value_cstr(req->arena, qi));
	} else if (v1_checked_body(req, resp, scope_fields,
	    RS_ARRAY_LEN(scope_fields), V1_CREATE, &o) == NULL)
		return -1;
	type = value_get(o, "scopeType");
	id = value_get(o, "scopeId");
	if ((type == NULL) != (id == NULL) || (type != NULL &&
	    type->u.str.len == 0)) {
		v1_field_error(req, resp, 400, type == NULL ? "scopeType" :
		    "scopeId", "required", "scopeType and scopeId go "
		    "together.");
		return -1;
	}
	if (id == NULL)
		return 0;
	if (uuid_normalize(id->u.str.p, id->u.str.len, canon) != 0) {
		v1_field_error(req, resp, 400, "scopeId", "invalid",
		    "scopeId is not a uuid.");
		return -1;
	}
	params[0] = type->u.str.p;
	params[1] = arena_strdup(req->arena, canon);
	return 0;
}

/* PUT /v1/tenants/{tenantId}/users/{userId}/roles/{roleId} */
void
v1_user_role_put(struct http_req *req, struct http_resp *resp)
{
	const char *params[7], *constraint, *json = NULL;
	enum db_status st;
	PGresult *r;
	int attempt;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL ||
	    (params[2] = v1_path_id(req, resp, "roleId", "role")) == NULL)
		return;
	if (role_check(req, resp, "roleId", "assign") != 0)
		return;
	if (assignment_scope(req, resp, &params[3]) != 0)
		return;
	params[5] = v1_actor(req);
	params[6] = req->audit_request_id;
	/*
	 * The same assignment committed by another request after this
	 * statement's snapshot is skipped by its insert and unseen by its
	 * read: no row to answer with.  Once more then, on a new snapshot.
	 */
	for (attempt = 0; attempt < 2 && json == NULL; attempt++) {
		if ((r = v1_exec(req, STMT_USER_ROLE_PUT, params, &st,
		    &constraint)) == NULL) {
			v1_db_error(req, resp, st, constraint, NULL);
			return;
		}
		if (!db_true(r, "user_ok") || !db_true(r, "role_ok")) {
			v1_problem(req, resp, 404, db_true(r, "user_ok") ?
			    "No role has this id." : "No user has this id.");
			return;
		}
		json = db_get(r, 0, "json");
	}
	if (json == NULL) {
		http_resp_header(resp, "Retry-After", "1");
		v1_problem(req, resp, 503, "The assignment kept changing "
		    "while it was written; retry.");
		return;
	}
	v1_send_resource(req, resp, db_true(r, "created") ? 201 : 200, json,
	    NULL);
}

/* DELETE /v1/tenants/{tenantId}/users/{userId}/roles/{roleId} */
void
v1_user_role_delete(struct http_req *req, struct http_resp *resp)
{
	const char *params[7], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL ||
	    (params[2] = v1_path_id(req, resp, "roleId", "role")) == NULL)
		return;
	if (assignment_scope(req, resp, &params[3]) != 0)
		return;
	params[5] = v1_actor(req);
	params[6] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_USER_ROLE_DELETE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "removed")) {
		v1_problem(req, resp, 404, db_true(r, "user_ok") ?
		    "The user does not have this role in this scope." :
		    "No user has this id.");
		return;
	}
	v1_send_empty(resp);
}

/* GET /v1/tenants/{tenantId}/users/{userId}/roles */
void
v1_user_roles(struct http_req *req, struct http_resp *resp)
{
	const char *params[2], *constraint;
	struct v1_page pg = { .limit = 1 << 30 };
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL)
		return;
	if ((r = v1_exec(req, STMT_USER_ROLES, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "user_ok")) {
		v1_problem(req, resp, 404, "No user has this id.");
		return;
	}
	v1_send_page(req, resp, r, &pg);
}
