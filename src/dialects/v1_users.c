/*
 * v1_users.c: /v1/tenants/{tenantId}/users.  TenantReader reads,
 * TenantAdmin changes (the route table says so); every change writes its
 * audit row in the same statement.
 */
#include <string.h>

#include "v1.h"

static const struct v1_field user_fields[] = {
	{ "username", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "email", VT_EMAIL, 254, 0, NULL },
	{ "firstName", VT_STRING, 256, 0, NULL },
	{ "lastName", VT_STRING, 256, 0, NULL },
	{ "displayName", VT_STRING, 256, 0, NULL },
	{ "title", VT_STRING, 256, 0, NULL },
	{ "phone", VT_STRING, 64, 0, NULL },
	{ "externalId", VT_STRING, 256, 0, NULL },
	{ "locale", VT_STRING, 35, 0, NULL },
	{ "timeZone", VT_STRING, 64, 0, NULL },
	{ "active", VT_BOOL, 0, VF_NOT_NULL, NULL },
	{ "attributes", VT_OBJECT, 16384, VF_NOT_NULL, NULL },
};

static const char *const user_conflicts[] = {
	"users_username_key", "username",
	"users_email_key", "email",
	NULL
};

static const struct v1_resource users = {
	"user", "users", "userId", user_fields, RS_ARRAY_LEN(user_fields),
	user_conflicts, STMT_USER_CREATE_V1, STMT_USER_GET, STMT_USER_PATCH,
	STMT_USER_DELETE,
};

void
v1_users_create(struct http_req *req, struct http_resp *resp)
{
	v1_res_create(req, resp, &users);
}

void
v1_users_get(struct http_req *req, struct http_resp *resp)
{
	v1_res_get(req, resp, &users);
}

void
v1_users_patch(struct http_req *req, struct http_resp *resp)
{
	v1_res_patch(req, resp, &users);
}

void
v1_users_delete(struct http_req *req, struct http_resp *resp)
{
	v1_res_delete(req, resp, &users);
}

/* GET /v1/tenants/{tenantId}/users?q=&externalId=&active=&limit=&cursor= */
void
v1_users_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[7], *active;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	params[4] = v1_query(req, "q", &bad);
	params[5] = v1_query(req, "externalId", &bad);
	active = v1_query(req, "active", &bad);
	if (bad) {
		v1_problem(req, resp, 400, "A query parameter is not "
		    "percent-encoded correctly.");
		return;
	}
	if ((params[4] != NULL && strlen(params[4]) > 256) ||
	    (params[5] != NULL && strlen(params[5]) > 256)) {
		v1_field_error(req, resp, 400, params[4] != NULL &&
		    strlen(params[4]) > 256 ? "q" : "externalId", "tooLong",
		    "A filter is longer than 256 bytes.");
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
	v1_res_list(req, resp, STMT_USER_LIST, params, 1, &pg, "tenant_ok",
	    "tenant");
}
