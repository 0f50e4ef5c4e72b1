/*
 * v1_invites.c: invitations.  An invite's token is made here, returned
 * once (in the 201 of the create) and stored only as its SHA-256; the
 * token alone is the credential of POST /v1/invites/accept, which needs
 * no bearer token, is single use, and expires.
 */
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "v1.h"

#define INVITE_DEFAULT_TTL	(7L * 24 * 3600)
#define INVITE_MAX_TTL		(90L * 24 * 3600)

static const struct v1_field invite_fields[] = {
	{ "email", VT_EMAIL, 254, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "groupId", VT_STRING, 64, 0, NULL },
	{ "expiresIn", VT_INT, INVITE_MAX_TTL, VF_NOT_NULL, NULL },
};

/* POST /v1/tenants/{tenantId}/invites */
void
v1_invites_create(struct http_req *req, struct http_resp *resp)
{
	struct arena *a = req->arena;
	const char *params[7], *constraint;
	char hash[65], canon[UUID_STR_LEN + 1], *token;
	struct value *o, *v;
	enum db_status st;
	PGresult *r;
	long long ttl = INVITE_DEFAULT_TTL;

	if (v1_checked_body(req, resp, invite_fields,
	    RS_ARRAY_LEN(invite_fields), V1_CREATE, &o) == NULL)
		return;
	if ((v = value_get(o, "expiresIn")) != NULL &&
	    (ttl = strtoll(v->u.str.p, NULL, 10)) < 60) {
		v1_field_error(req, resp, 400, "expiresIn", "invalid",
		    "expiresIn is at least 60 seconds.");
		return;
	}
	params[0] = req->tenant;
	params[1] = value_get(o, "email")->u.str.p;
	params[2] = NULL;
	if ((v = value_get(o, "groupId")) != NULL &&
	    v->type == VALUE_STRING) {
		if (uuid_normalize(v->u.str.p, v->u.str.len, canon) != 0) {
			v1_field_error(req, resp, 400, "groupId", "invalid",
			    "groupId is not a uuid.");
			return;
		}
		params[2] = arena_strdup(a, canon);
	}
	/* the path's tenant is no uuid: no tenant has it (as DB_INVALID) */
	if (!uuid_valid(req->tenant, strlen(req->tenant))) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	if ((token = token_new(a, req->tenant, hash)) == NULL) {
		v1_problem(req, resp, 500, "An internal error occurred.");
		return;
	}
	params[3] = hash;
	params[4] = arena_sprintf(a, "%lld", ttl);
	params[5] = v1_actor(req);
	params[6] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_INVITE_CREATE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	if (!db_true(r, "group_ok")) {
		v1_field_error(req, resp, params[2] ? 400 : 409, "groupId",
		    params[2] ? "unknown" : "required", params[2] ?
		    "No group of this tenant has this id." : "The tenant has "
		    "no default user group: name one.");
		return;
	}
	v1_send_created_once(req, resp, r, "invites", token);
}

/* GET /v1/tenants/{tenantId}/invites?state= */
void
v1_invites_list(struct http_req *req, struct http_resp *resp)
{
	static const char *const states[] = {
		"pending", "accepted", "revoked", "expired", NULL
	};
	struct v1_page pg;
	const char *params[5];
	size_t i;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	params[4] = v1_query(req, "state", &bad);
	for (i = 0; params[4] != NULL && states[i] != NULL; i++)
		if (strcmp(params[4], states[i]) == 0)
			break;
	if (bad || (params[4] != NULL && states[i] == NULL)) {
		v1_field_error(req, resp, 400, "state", "invalid", "state must "
		    "be pending, accepted, revoked or expired.");
		return;
	}
	v1_res_list(req, resp, STMT_INVITE_LIST, params, 1, &pg, "tenant_ok",
	    "tenant");
}

/* GET /v1/tenants/{tenantId}/invites/{inviteId} */
void
v1_invites_get(struct http_req *req, struct http_resp *resp)
{
	static const struct v1_resource invites = {
		.what = "invite", .collection = "invites",
		.id_param = "inviteId", .get = STMT_INVITE_GET,
	};

	v1_res_get(req, resp, &invites);
}

/* DELETE /v1/tenants/{tenantId}/invites/{inviteId}: revoke. */
void
v1_invites_revoke(struct http_req *req, struct http_resp *resp)
{
	const char *params[4], *constraint;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "inviteId", "invite")) == NULL)
		return;
	params[2] = v1_actor(req);
	params[3] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_INVITE_REVOKE, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "found")) {
		v1_problem(req, resp, 404, "No invite has this id.");
		return;
	}
	if (!db_true(r, "revoked")) {
		v1_problem(req, resp, 409, arena_sprintf(req->arena, "The "
		    "invite is %s already.", db_get(r, 0, "state")));
		return;
	}
	v1_send_empty(resp);
}

static const struct v1_field accept_fields[] = {
	{ "token", VT_STRING, 128, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "password", VT_STRING, 1024, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "username", VT_STRING, 256, VF_NOT_NULL, NULL },
	{ "firstName", VT_STRING, 256, 0, NULL },
	{ "lastName", VT_STRING, 256, 0, NULL },
};

/*
 * 410 unless r (STMT_INVITE_LOOKUP or STMT_INVITE_ACCEPT) says the
 * invite is pending and its user still in the invited state: 0, or -1
 * with the answer sent.
 */
static int
gone(struct http_req *req, struct http_resp *resp, const PGresult *r)
{
	const char *state = db_get(r, 0, "state");

	if (state == NULL || strcmp(state, "pending") != 0) {
		v1_problem(req, resp, 410, state == NULL ? "This invitation "
		    "is not valid." : arena_sprintf(req->arena, "This "
		    "invitation is %s.", state));
		return -1;
	}
	if (!db_true(r, "user_ok")) {
		v1_problem(req, resp, 410, "This invitation is no longer "
		    "valid.");
		return -1;
	}
	return 0;
}

/*
 * POST /v1/invites/accept: the token is the credential.  Anonymous, so
 * nothing costly happens for a request that will be refused: the body
 * is checked, then the invite is looked up (a SHA-256 and one indexed
 * read), and only for a pending invite of a user still in the invited
 * state is the password hashed, in one of the hash slots the workers
 * share (none free: 503 with Retry-After).
 */
void
v1_invites_accept(struct http_req *req, struct http_resp *resp)
{
	const struct app *app = req->ctx;
	const char *params[7], *constraint, *tenant;
	char hash[65], phc[PASSWORD_PHC_MAX], tid[UUID_STR_LEN + 1];
	struct value *o, *pw, *tok;
	enum db_status st;
	PGresult *r;
	long min = app->cfg->password_min_length;
	int rc;

	if (v1_checked_body(req, resp, accept_fields,
	    RS_ARRAY_LEN(accept_fields), V1_CREATE, &o) == NULL)
		return;
	tok = value_get(o, "token");
	pw = value_get(o, "password");
	if (password_length(pw->u.str.p, pw->u.str.len) < (size_t)min) {
		v1_field_error(req, resp, 400, "password", "tooShort",
		    arena_sprintf(req->arena, "password must have at least "
		    "%ld characters.", min));
		return;
	}
	token_sha256_hex(tok->u.str.p, tok->u.str.len, hash);
	tenant = token_tenant(req->arena, tok->u.str.p, tok->u.str.len,
	    tid) == 0 ? tid : NULL;
	params[0] = hash;
	params[1] = value_str(o, "username");
	params[2] = tenant;
	if ((r = v1_exec(req, STMT_INVITE_LOOKUP, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (gone(req, resp, r) != 0)
		return;
	if (db_true(r, "username_taken")) {
		v1_field_error(req, resp, 409, "username", "taken",
		    "This username is already in use.");
		return;
	}
	rc = password_hash_slotted(config_hash_slots(app->cfg), pw->u.str.p,
	    pw->u.str.len, phc, sizeof(phc));
	if (rc == PASSWORD_BUSY) {
		http_resp_header(resp, "Retry-After", "1");
		v1_problem(req, resp, 503, "Too many passwords are being set "
		    "at once: try again in a moment.");
		return;
	}
	if (rc != 0) {
		v1_problem(req, resp, 500, "An internal error occurred.");
		return;
	}
	params[0] = hash;
	params[1] = phc;
	params[2] = value_str(o, "username");
	params[3] = value_str(o, "firstName");
	params[4] = value_str(o, "lastName");
	params[5] = req->audit_request_id;
	params[6] = tenant;
	r = v1_exec(req, STMT_INVITE_ACCEPT, params, &st, &constraint);
	explicit_bzero(phc, sizeof(phc));
	if (r == NULL) {
		static const char *const conflicts[] = {
			"users_username_key", "username", NULL
		};

		v1_db_error(req, resp, st, constraint, conflicts);
		return;
	}
	if (gone(req, resp, r) != 0)
		return;
	req->tenant = db_get(r, 0, "tenant_id");
	v1_send_resource(req, resp, 200, db_get(r, 0, "json"), NULL);
}
