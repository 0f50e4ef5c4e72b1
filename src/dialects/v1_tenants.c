/*
 * v1_tenants.c: /v1/tenants.  Creating and listing tenants is for
 * SystemAdmin; a tenant's own admins may read and rename it; deleting
 * one (with every row it owns) is for SystemAdmin and needs
 * ?confirm=<slug>.
 */
#include <string.h>

#include "v1.h"

static const struct v1_field tenant_fields[] = {
	{ "name", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL },
	{ "slug", VT_SLUG, 63, VF_NOT_NULL },
	{ "attributes", VT_OBJECT, 16384, VF_NOT_NULL },
};

static const char *const tenant_conflicts[] = {
	"tenants_slug_key", "slug", NULL
};

/* POST /v1/tenants */
void
v1_tenants_create(struct http_req *req, struct http_resp *resp)
{
	char id[UUID_STR_LEN + 1];
	const char *params[6], *constraint, *attrs = NULL;
	struct value *o, *v;
	struct buf b;
	enum db_status st;
	PGresult *r;

	if (v1_checked_body(req, resp, tenant_fields,
	    RS_ARRAY_LEN(tenant_fields), V1_CREATE, &o) == NULL)
		return;
	uuid_new(id);
	params[0] = id;
	params[1] = value_get(o, "name")->u.str.p;
	if ((v = value_get(o, "slug")) != NULL)
		params[2] = v->u.str.p;
	else {
		params[2] = core_slug_from_name(req->arena, params[1]);
		if (params[2][0] == '\0') {
			v1_field_error(req, resp, 400, "slug", "required",
			    "No slug can be made from this name: send one.");
			return;
		}
	}
	if ((v = value_get(o, "attributes")) != NULL) {
		buf_init(&b, req->arena);
		json_encode(&b, v);
		buf_putc(&b, '\0');
		attrs = b.p;
	}
	params[3] = v1_actor(req);
	params[4] = attrs;
	params[5] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_TENANT_CREATE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, tenant_conflicts);
		return;
	}
	v1_send_resource(req, resp, 201, db_get(r, 0, "json"),
	    db_get(r, 0, "version"));
	http_resp_header(resp, "Location", arena_sprintf(req->arena,
	    "/v1/tenants/%s", id));
}

/* GET /v1/tenants */
void
v1_tenants_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[3], *constraint;
	enum db_status st;
	PGresult *r;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = pg.has_cursor ? pg.cur_us : NULL;
	params[1] = pg.has_cursor ? pg.cur_id : NULL;
	params[2] = pg.limit_plus_one;
	if ((r = v1_exec(req, STMT_TENANT_LIST, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	v1_send_page(req, resp, r, &pg);
}

/* GET /v1/tenants/{tenantId} */
void
v1_tenants_get(struct http_req *req, struct http_resp *resp)
{
	const char *params[1], *constraint;
	enum db_status st;
	PGresult *r;

	if ((params[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL)
		return;
	if ((r = v1_exec(req, STMT_TENANT_GET, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	v1_send_got(req, resp, r, "tenant");
}

/* PATCH /v1/tenants/{tenantId} */
void
v1_tenants_patch(struct http_req *req, struct http_resp *resp)
{
	const char *params[5], *constraint;
	enum db_status st;
	PGresult *r;

	if ((params[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL)
		return;
	if ((params[1] = v1_checked_body(req, resp, tenant_fields,
	    RS_ARRAY_LEN(tenant_fields), V1_PATCH, NULL)) == NULL)
		return;
	if (v1_patch_nothing(req, resp, params[1], STMT_TENANT_GET, params,
	    "tenant"))
		return;
	params[2] = v1_if_match(req);
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_TENANT_PATCH, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, tenant_conflicts);
		return;
	}
	v1_send_patched(req, resp, r, "tenant");
}

/* DELETE /v1/tenants/{tenantId}?confirm=<slug> */
void
v1_tenants_delete(struct http_req *req, struct http_resp *resp)
{
	const char *params[5], *constraint;
	enum db_status st;
	PGresult *r;
	int bad = 0;

	if ((params[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL)
		return;
	params[1] = v1_query(req, "confirm", &bad);
	if (params[1] == NULL || bad) {
		v1_field_error(req, resp, 400, "confirm", "required",
		    "Deleting a tenant deletes all its rows: confirm with "
		    "?confirm=<the tenant's slug>.");
		return;
	}
	params[2] = v1_if_match(req);
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_TENANT_DELETE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (db_true(r, "found") && !db_true(r, "slug_ok")) {
		v1_field_error(req, resp, 400, "confirm", "mismatch",
		    "confirm is not this tenant's slug.");
		return;
	}
	v1_send_deleted(req, resp, r, "tenant");
}
