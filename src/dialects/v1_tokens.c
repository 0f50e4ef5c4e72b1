/*
 * v1_tokens.c: tenant API tokens and tenant aliases.
 *
 * An API token is made here, returned once (in the 201 of the create)
 * and stored only as its SHA-256 (apitoken.c verifies it).  Its role is
 * TenantAdmin or TenantReader of its tenant, never SystemAdmin.  A
 * principal that is itself an API token cannot create one: a leaked
 * token must not be able to outlive its own revocation.
 *
 * A tenant alias maps the external tenant id that a configured issuer's
 * tokens carry to a rosterd tenant.  Creating or deleting one decides
 * which tenant an outside identity lands in, so only a SystemAdmin may
 * (routes.c); a tenant's own users may read its aliases.
 */
#include <string.h>

#include "../auth/apitoken.h"
#include "v1.h"

#define TOKEN_NAME_MAX	200

/* ---- API tokens ---- */

/*
 * Checks a create body: name, role, expiresAt, allowedAddresses.
 * Unknown members are refused.  Fills the statement's name, role,
 * expiry and cidr[] literal (canonical networks); 0, or -1 with a 400
 * sent naming every bad field.
 */
static int
token_body(struct http_req *req, struct http_resp *resp, const char **name,
    const char **role, const char **expires, const char **cidrs)
{
	struct arena *a = req->arena;
	struct value *body, *errors, *v;
	const char *items[APITOKEN_MAX_CIDRS], *key;
	struct apitoken_cidr c;
	char canon[64];
	size_t i, j;

	*name = *role = *expires = *cidrs = NULL;
	if ((body = v1_json_body(req, resp, NULL)) == NULL)
		return -1;
	if (body->type != VALUE_OBJECT) {
		v1_field_error(req, resp, 400, "$", "type",
		    "The body must be a JSON object.");
		return -1;
	}
	errors = value_array(a);
	for (i = 0; i < body->u.obj.n; i++) {
		key = body->u.obj.members[i].key;
		v = body->u.obj.members[i].val;
		if (strcmp(key, "name") == 0) {
			if (v->type != VALUE_STRING)
				v1_errors_add(a, errors, key, "type",
				    "name must be a string.");
			else if (v->u.str.len == 0)
				v1_errors_add(a, errors, key, "required",
				    "name may not be empty.");
			else if (v->u.str.len > TOKEN_NAME_MAX)
				v1_errors_add(a, errors, key, "tooLong",
				    "name is longer than 200 bytes.");
			else
				*name = v->u.str.p;
		} else if (strcmp(key, "role") == 0) {
			if (v->type == VALUE_STRING && (strcmp(v->u.str.p,
			    "TenantAdmin") == 0 || strcmp(v->u.str.p,
			    "TenantReader") == 0))
				*role = v->u.str.p;
			else if (v->type == VALUE_STRING &&
			    strcmp(v->u.str.p, "SystemAdmin") == 0)
				v1_errors_add(a, errors, key, "invalid",
				    "An API token cannot be SystemAdmin: role "
				    "must be TenantAdmin or TenantReader.");
			else
				v1_errors_add(a, errors, key, "invalid",
				    "role must be TenantAdmin or TenantReader.");
		} else if (strcmp(key, "expiresAt") == 0) {
			if (v->type == VALUE_NULL)
				continue;
			if (v->type != VALUE_STRING || v->u.str.len < 10 ||
			    v->u.str.len > 40 || strspn(v->u.str.p,
			    "0123456789-:.TtZz+") != v->u.str.len)
				v1_errors_add(a, errors, key, "invalid",
				    "expiresAt must be an RFC 3339 timestamp.");
			else
				*expires = v->u.str.p;
		} else if (strcmp(key, "allowedAddresses") == 0) {
			if (v->type == VALUE_NULL)
				continue;
			if (v->type != VALUE_ARRAY) {
				v1_errors_add(a, errors, key, "type",
				    "allowedAddresses must be an array of "
				    "addresses or networks.");
				continue;
			}
			if (v->u.arr.n > APITOKEN_MAX_CIDRS) {
				v1_errors_add(a, errors, key, "tooLong",
				    "allowedAddresses has more than 32 "
				    "entries.");
				continue;
			}
			for (j = 0; j < v->u.arr.n; j++) {
				const struct value *x = v->u.arr.items[j];
				int rc;

				rc = x->type == VALUE_STRING ?
				    apitoken_cidr_parse(x->u.str.p, &c) : -1;
				if (rc != 0) {
					v1_errors_add(a, errors, arena_sprintf(a,
					    "allowedAddresses[%zu]", j),
					    "invalid", rc == -2 ? "The network "
					    "has bits set right of its mask "
					    "(write 10.0.0.0/8, not "
					    "10.0.0.1/8)." : "Not an IP address "
					    "or network (10.0.0.0/8, "
					    "2001:db8::/32, 192.0.2.7).");
					break;
				}
				apitoken_cidr_format(&c, canon, sizeof(canon));
				items[j] = arena_strdup(a, canon);
			}
			if (j == v->u.arr.n)
				*cidrs = db_array_literal(a, items, j);
		} else
			v1_errors_add(a, errors, key, "unknown",
			    arena_sprintf(a, "%.64s is not a field of this "
			    "resource.", key));
	}
	if (value_get(body, "name") == NULL)
		v1_errors_add(a, errors, "name", "required",
		    "name is required.");
	if (value_get(body, "role") == NULL)
		v1_errors_add(a, errors, "role", "required",
		    "role is required.");
	if (errors->u.arr.n > 0) {
		v1_field_problem(req, resp, 400, "The request has invalid "
		    "fields.", errors);
		return -1;
	}
	return 0;
}

/* 1 when the caller authenticated with an API token. */
static int
by_api_token(const struct http_req *req)
{
	return req->authenticated && req->principal.sub != NULL &&
	    strncmp(req->principal.sub, "apitoken:", 9) == 0;
}

/* POST /v1/tenants/{tenantId}/api-tokens */
void
v1_api_tokens_create(struct http_req *req, struct http_resp *resp)
{
	struct arena *a = req->arena;
	const char *params[9], *constraint;
	char hash[65], shown[APITOKEN_SHOWN_LEN + 1], *token;
	enum db_status st;
	PGresult *r;

	if (by_api_token(req)) {
		v1_problem(req, resp, 403, "An API token cannot create API "
		    "tokens.");
		return;
	}
	if (token_body(req, resp, &params[1], &params[2], &params[5],
	    &params[6]) != 0)
		return;
	params[0] = req->tenant;
	if ((token = apitoken_new(a, hash, shown)) == NULL) {
		v1_problem(req, resp, 500, "An internal error occurred.");
		return;
	}
	params[3] = hash;
	params[4] = shown;
	params[7] = v1_actor(req);
	params[8] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_APITOKEN_CREATE, params, &st,
	    &constraint)) == NULL) {
		if (st == DB_INVALID && params[5] != NULL && req->tenant !=
		    NULL && uuid_valid(req->tenant, strlen(req->tenant)))
			v1_field_error(req, resp, 400, "expiresAt", "invalid",
			    "expiresAt is not a valid RFC 3339 timestamp.");
		else
			v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	if (!db_true(r, "expiry_ok")) {
		v1_field_error(req, resp, 400, "expiresAt", "invalid",
		    "expiresAt must be in the future.");
		return;
	}
	v1_send_created_once(req, resp, r, "api-tokens", token);
}

/* GET /v1/tenants/{tenantId}/api-tokens */
void
v1_api_tokens_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[4];

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	v1_res_list(req, resp, STMT_APITOKEN_LIST, params, 1, &pg,
	    "tenant_ok", "tenant");
}

/* GET /v1/tenants/{tenantId}/api-tokens/{tokenId} */
void
v1_api_tokens_get(struct http_req *req, struct http_resp *resp)
{
	static const struct v1_resource tokens = {
		.what = "API token", .collection = "api-tokens",
		.id_param = "tokenId", .get = STMT_APITOKEN_GET,
	};

	v1_res_get(req, resp, &tokens);
}

/*
 * DELETE /v1/tenants/{tenantId}/api-tokens/{tokenId}: revoke.  A
 * revoked token stays listed; revoking it again changes nothing and
 * answers 204 as well.
 */
void
v1_api_tokens_revoke(struct http_req *req, struct http_resp *resp)
{
	const char *params[4], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "tokenId", "API token")) ==
	    NULL)
		return;
	params[2] = v1_actor(req);
	params[3] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_APITOKEN_REVOKE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "found")) {
		v1_problem(req, resp, 404, "No API token has this id.");
		return;
	}
	v1_send_empty(resp);
}

/* ---- tenant aliases ---- */

static const struct v1_field alias_fields[] = {
	{ "issuer", VT_STRING, 64, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "externalId", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL, NULL },
};

static const char *const alias_conflicts[] = {
	"tenant_aliases_external_key", "externalId", NULL
};

static const struct v1_resource aliases = {
	.what = "tenant alias", .collection = "aliases",
	.id_param = "aliasId", .fields = alias_fields,
	.nfields = RS_ARRAY_LEN(alias_fields), .conflicts = alias_conflicts,
	.get = STMT_ALIAS_GET, .del = STMT_ALIAS_DELETE,
};

/* An issuer's section name: [a-z0-9_-]+ (config.c's rule). */
static int
issuer_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* POST /v1/tenants/{tenantId}/aliases */
void
v1_aliases_create(struct http_req *req, struct http_resp *resp)
{
	const char *params[5], *constraint;
	struct value *o;
	enum db_status st;
	PGresult *r;

	if (v1_checked_body(req, resp, alias_fields,
	    RS_ARRAY_LEN(alias_fields), V1_CREATE, &o) == NULL)
		return;
	params[0] = req->tenant;
	params[1] = value_get(o, "issuer")->u.str.p;
	params[2] = value_get(o, "externalId")->u.str.p;
	if (!issuer_name_ok(params[1])) {
		v1_field_error(req, resp, 400, "issuer", "invalid", "issuer "
		    "is the name of an [issuer NAME] section: a-z, 0-9, '_' "
		    "and '-'.");
		return;
	}
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_ALIAS_CREATE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, alias_conflicts);
		return;
	}
	if (!db_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	v1_send_created(req, resp, r, "aliases");
}

/* GET /v1/tenants/{tenantId}/aliases */
void
v1_aliases_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[4];

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	v1_res_list(req, resp, STMT_ALIAS_LIST, params, 1, &pg, "tenant_ok",
	    "tenant");
}

/* GET /v1/tenants/{tenantId}/aliases/{aliasId} */
void
v1_aliases_get(struct http_req *req, struct http_resp *resp)
{
	v1_res_get(req, resp, &aliases);
}

/* DELETE /v1/tenants/{tenantId}/aliases/{aliasId} */
void
v1_aliases_delete(struct http_req *req, struct http_resp *resp)
{
	v1_res_delete(req, resp, &aliases);
}
