/*
 * v1_groups.c: /v1/tenants/{tenantId}/groups and their members.  The
 * four kinds of group are the seeds' security groups (000), user groups
 * (001), admin groups (002) and privilege groups (003).  Bulk membership
 * takes up to V1_BULK_MAX user ids in one statement, all or nothing,
 * and answers per id.
 */
#include <string.h>

#include "v1.h"

#define V1_BULK_MAX	10000

static const char *const group_kinds[] = {
	"security", "user", "admin", "privilege", NULL
};

static const struct v1_field group_fields[] = {
	{ "kind", VT_ENUM, 16, VF_REQUIRED | VF_NOT_NULL | VF_CREATE_ONLY,
	    group_kinds },
	{ "code", VT_STRING, 128, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "name", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "description", VT_STRING, 4096, 0, NULL },
	{ "attributes", VT_OBJECT, 16384, VF_NOT_NULL, NULL },
};

static const char *const group_conflicts[] = {
	"groups_code_key", "code", NULL
};

static const struct v1_resource groups = {
	"group", "groups", "groupId", group_fields,
	RS_ARRAY_LEN(group_fields), group_conflicts, STMT_GROUP_CREATE,
	STMT_GROUP_GET, STMT_GROUP_PATCH, STMT_GROUP_DELETE,
};

void
v1_groups_create(struct http_req *req, struct http_resp *resp)
{
	v1_res_create(req, resp, &groups);
}

void
v1_groups_get(struct http_req *req, struct http_resp *resp)
{
	v1_res_get(req, resp, &groups);
}

void
v1_groups_patch(struct http_req *req, struct http_resp *resp)
{
	v1_res_patch(req, resp, &groups);
}

void
v1_groups_delete(struct http_req *req, struct http_resp *resp)
{
	v1_res_delete(req, resp, &groups);
}

/* GET /v1/tenants/{tenantId}/groups?kind=&code=&limit=&cursor= */
void
v1_groups_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[6];
	size_t i;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	params[4] = v1_query(req, "kind", &bad);
	params[5] = v1_query(req, "code", &bad);
	if (bad || (params[5] != NULL && strlen(params[5]) > 128)) {
		v1_field_error(req, resp, 400, bad ? "$query" : "code",
		    "invalid", "A query parameter is malformed or too long.");
		return;
	}
	for (i = 0; params[4] != NULL && group_kinds[i] != NULL; i++)
		if (strcmp(params[4], group_kinds[i]) == 0)
			break;
	if (params[4] != NULL && group_kinds[i] == NULL) {
		v1_field_error(req, resp, 400, "kind", "invalid", "kind must "
		    "be security, user, admin or privilege.");
		return;
	}
	v1_res_list(req, resp, STMT_GROUP_LIST, params, 1, &pg, "tenant_ok",
	    "tenant");
}

/* GET /v1/tenants/{tenantId}/groups/{groupId}/members (by user id) */
void
v1_members_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[5];

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "groupId", "group")) == NULL)
		return;
	if (v1_page(req, resp, &pg) != 0)
		return;
	v1_res_list(req, resp, STMT_MEMBER_LIST, params, 2, &pg, "group_ok",
	    "group");
}

/* Bulk bodies: {"userIds": [...]}, room for a few more ids than the cap
 * so that an oversized list is a 413 naming the cap, not a parse error. */
static const struct fmt_limits bulk_limits = {
	.max_depth = 4, .max_items = 4 * V1_BULK_MAX, .max_string = 4096,
	.max_nodes = 4 * V1_BULK_MAX + 16,
};

/*
 * The userIds of a bulk body as a uuid[] literal, or NULL with the
 * response sent: 400 naming each bad entry, 413 past the cap.
 */
static const char *
bulk_user_ids(struct http_req *req, struct http_resp *resp)
{
	struct arena *a = req->arena;
	struct value *body, *ids, *errors, *v;
	const char **canon;
	char c[UUID_STR_LEN + 1];
	size_t i;

	if ((body = v1_json_body(req, resp, &bulk_limits)) == NULL)
		return NULL;
	if (body->type != VALUE_OBJECT) {
		v1_field_error(req, resp, 400, "$", "type",
		    "The body must be a JSON object.");
		return NULL;
	}
	errors = value_array(a);
	for (i = 0; i < body->u.obj.n; i++)
		if (strcmp(body->u.obj.members[i].key, "userIds") != 0)
			v1_errors_add(a, errors, body->u.obj.members[i].key,
			    "unknown", "Only userIds is accepted here.");
	ids = value_get(body, "userIds");
	if (ids == NULL || ids->type != VALUE_ARRAY) {
		v1_errors_add(a, errors, "userIds", ids == NULL ?
		    "required" : "type", "userIds must be an array of user "
		    "ids.");
		v1_field_problem(req, resp, 400, "The request has invalid "
		    "fields.", errors);
		return NULL;
	}
	if (ids->u.arr.n > V1_BULK_MAX) {
		v1_field_error(req, resp, 413, "userIds", "tooMany",
		    arena_sprintf(a, "At most %d userIds in one request; this "
		    "one has %zu.", V1_BULK_MAX, ids->u.arr.n));
		return NULL;
	}
	if (ids->u.arr.n == 0)
		v1_errors_add(a, errors, "userIds", "required",
		    "userIds is empty.");
	canon = arena_allocarray(a, ids->u.arr.n + 1, sizeof(*canon));
	for (i = 0; i < ids->u.arr.n; i++) {
		v = ids->u.arr.items[i];
		if (v->type != VALUE_STRING ||
		    uuid_normalize(v->u.str.p, v->u.str.len, c) != 0) {
			if (errors->u.arr.n < 100)
				v1_errors_add(a, errors, arena_sprintf(a,
				    "userIds[%zu]", i), "invalid",
				    "Not a user id (a uuid).");
			continue;
		}
		canon[i] = arena_strdup(a, c);
	}
	if (errors->u.arr.n > 0) {
		v1_field_problem(req, resp, 400, "The request has invalid "
		    "fields.", errors);
		return NULL;
	}
	return db_array_literal(a, canon, ids->u.arr.n);
}

static void
members_bulk(struct http_req *req, struct http_resp *resp, enum stmt id)
{
	const char *params[5], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "groupId", "group")) == NULL)
		return;
	if ((params[2] = bulk_user_ids(req, resp)) == NULL)
		return;
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, id, params, &st, &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!v1_true(r, "group_ok")) {
		v1_problem(req, resp, 404, "No group has this id.");
		return;
	}
	v1_send_resource(req, resp, 200, db_get(r, 0, "json"), NULL);
}

/* POST /v1/tenants/{tenantId}/groups/{groupId}/members */
void
v1_members_add(struct http_req *req, struct http_resp *resp)
{
	members_bulk(req, resp, STMT_MEMBER_ADD);
}

/* POST /v1/tenants/{tenantId}/groups/{groupId}/members:remove */
void
v1_members_remove(struct http_req *req, struct http_resp *resp)
{
	members_bulk(req, resp, STMT_MEMBER_REMOVE);
}

/* DELETE /v1/tenants/{tenantId}/groups/{groupId}/members/{userId} */
void
v1_member_delete(struct http_req *req, struct http_resp *resp)
{
	const char *params[5], *constraint, *uid;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "groupId", "group")) == NULL)
		return;
	if ((uid = v1_path_id(req, resp, "userId", "member")) == NULL)
		return;
	params[2] = db_array_literal(req->arena, &uid, 1);
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_MEMBER_REMOVE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!v1_true(r, "group_ok")) {
		v1_problem(req, resp, 404, "No group has this id.");
		return;
	}
	if (strcmp(db_get(r, 0, "removed"), "0") == 0) {
		v1_problem(req, resp, 404, "This user is not a member of "
		    "the group.");
		return;
	}
	v1_send_empty(resp);
}

/* GET /v1/tenants/{tenantId}/users/{userId}/groups */
void
v1_users_groups(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[5];

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL)
		return;
	if (v1_page(req, resp, &pg) != 0)
		return;
	v1_res_list(req, resp, STMT_USER_GROUPS, params, 2, &pg, "user_ok",
	    "user");
}
