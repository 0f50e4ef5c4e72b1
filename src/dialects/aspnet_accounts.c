/*
 * aspnet_accounts.c: seed 003, POST api/users (ASP.NET Web API 2,
 * Json.NET camelCase with "$id"; DataContract XML in
 * EziManager.Models.Tenancies.Accounts; forms; xlsx out).  Creates or
 * updates an account of the caller's tenant: an id that exists there
 * updates it, an absent, empty or unknown id creates it, another
 * tenant's id is 404.  The account's privilege group membership is set
 * to privilegeGroup, in the same statement as the account and its audit
 * row.
 */
#include <string.h>

#include "dialect.h"
#include "../auth/auth.h"
#include "../formats/xml.h"

#define NS_003 XML_NS_DATACONTRACT "EziManager.Models.Tenancies.Accounts"
#define NS_003_BROWSER \
	XML_NS_DATACONTRACT "EziManager.Service.Tenancies.Browser"

/* ---- the XML contracts (the encoder sorts members) ---- */

static const struct xml_member security_options_members[] = {
	{ .name = "LoginMode" },
	{ .name = "AllowSelfVerification" },
	{ .name = "VerifierEmail" },
	{ .name = "Source" },
	{ .name = "LoginModeInherited" },
	{ .name = "LoginModeSource" },
	{ .name = "SelfVerifyInherited" },
	{ .name = "SelfVerifySource" },
	{ .name = "VerifyEmailInherited" },
	{ .name = "VerifyEmailSource" },
};

static const struct xml_contract security_options_xml = {
	"SecurityOptions", NS_003_BROWSER,
	XML_MEMBERS(security_options_members)
};

static const struct xml_member account_details_members[] = {
	{ .name = "ID" },
	{ .name = "OperatorID" },
	{ .name = "Email" },
	{ .name = "Password" },
	{ .name = "ConfirmPassword" },
	{ .name = "Verified" },
	{ .name = "Disabled" },
	{ .name = "TimeZone" },
	{ .name = "StoreScope", .kind = XML_SCALAR_ARRAY, .item = "guid" },
	{ .name = "PrivilegeGroup" },
	{ .name = "ExternalSender" },
	{ .name = "CanPromptStores" },
	{ .name = "PromptStoresOnLogin" },
	{ .name = "ReleaseNotify" },
	{ .name = "Required" },
	{ .name = "PrivilegeGroupName" },
	{ .name = "StoreIDs", .kind = XML_SCALAR_ARRAY, .item = "int" },
	{ .name = "SecurityOptions", .kind = XML_OBJECT,
	    .type = &security_options_xml },
};

static const struct xml_contract account_details_xml = {
	"AccountDetails", NS_003, XML_MEMBERS(account_details_members)
};

static const struct aspnet_app app003 = {
	.param = "model",
	.camel_case = 1,
	.dollar_id = 1,
	.xml = 1,
	.xlsx = 1,
	.contract = &account_details_xml,
	.xlsx_name = "users.xlsx",
	.secrets = 1,
};

/* ---- the binding types, in the page's (declaration) order ---- */

static const struct aspnet_field security_options_fields[] = {
	{ "LoginMode", AT_INT, 0, NULL },
	{ "AllowSelfVerification", AT_BOOL, 0, NULL },
	{ "VerifierEmail", AT_STRING, 0, NULL },
	{ "Source", AT_STRING, 0, NULL },
	{ "LoginModeInherited", AT_INT, 0, NULL },
	{ "LoginModeSource", AT_STRING, 0, NULL },
	{ "SelfVerifyInherited", AT_BOOL, 0, NULL },
	{ "SelfVerifySource", AT_STRING, 0, NULL },
	{ "VerifyEmailInherited", AT_STRING, 0, NULL },
	{ "VerifyEmailSource", AT_STRING, 0, NULL },
};

static const struct aspnet_type_def security_options = {
	"SecurityOptions", security_options_fields,
	RS_ARRAY_LEN(security_options_fields)
};

static const struct aspnet_field account_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "OperatorID", AT_GUID, 0, NULL },
	{ "Email", AT_STRING, 0, NULL },
	{ "Password", AT_STRING, AF_SECRET, NULL },
	{ "ConfirmPassword", AT_STRING, AF_SECRET, NULL },
	{ "Verified", AT_BOOL, 0, NULL },
	{ "Disabled", AT_BOOL, 0, NULL },
	{ "TimeZone", AT_STRING, 0, NULL },
	{ "StoreScope", AT_GUID_LIST, 0, NULL },
	{ "PrivilegeGroup", AT_GUID, 0, NULL },
	{ "ExternalSender", AT_BOOL, 0, NULL },
	{ "CanPromptStores", AT_BOOL, 0, NULL },
	{ "PromptStoresOnLogin", AT_BOOL, 0, NULL },
	{ "ReleaseNotify", AT_BOOL, 0, NULL },
	{ "Required", AT_BOOL, 0, NULL },
	{ "PrivilegeGroupName", AT_STRING, 0, NULL },
	{ "StoreIDs", AT_INT_LIST, 0, NULL },
	{ "SecurityOptions", AT_OBJECT, 0, &security_options },
};

static const struct aspnet_type_def account_details = {
	"AccountDetails", account_fields, RS_ARRAY_LEN(account_fields)
};

/* Members that live in columns or come from the group, not in attrs. */
static const char *const column_members[] = {
	"ID", "Email", "Verified", "Disabled", "TimeZone", "PrivilegeGroup",
	"PrivilegeGroupName",
};

/* ---- helpers ---- */

static const char *
bool_of(const struct value *o, const char *name, int negate)
{
	const struct value *v = value_get(o, name);

	if (v == NULL || v->type != VALUE_BOOL)
		return NULL;
	return (v->u.boolean != negate) ? "true" : "false";
}

/* What attrs keeps: the bound account without secrets and columns. */
static const char *
attrs_json(struct arena *a, const struct value *u)
{
	struct value *kept = aspnet_strip_secrets(a, &account_details, u);
	struct value *o = value_object(a);
	struct buf j;
	size_t i, k;

	for (i = 0; i < kept->u.obj.n; i++) {
		const struct member *m = &kept->u.obj.members[i];

		for (k = 0; k < RS_ARRAY_LEN(column_members); k++)
			if (strcmp(m->key, column_members[k]) == 0)
				break;
		if (k == RS_ARRAY_LEN(column_members))
			value_set(a, o, m->key, m->val);
	}
	buf_init(&j, a);
	json_encode(&j, o);
	return j.failed ? "{}" : j.p;
}

/*
 * rosterd's own checks (the page's type has no annotations); min is
 * password_min_length.
 */
static void
validate(struct aspnet_binder *b, const struct value *u, long min)
{
	const char *email = value_str(u, "Email");
	const char *pw = value_str(u, "Password");
	const char *cpw = value_str(u, "ConfirmPassword");
	const char *tz = value_str(u, "TimeZone");

	if (email == NULL || *email == '\0')
		aspnet_bind_error(b, "Email", "The Email field is required.");
	else if (strlen(email) > 254 || !core_valid_email(email))
		aspnet_bind_error(b, "Email", "The Email field is not a valid "
		    "e-mail address.");
	if ((pw != NULL || cpw != NULL) &&
	    (pw == NULL || cpw == NULL || strcmp(pw, cpw) != 0))
		aspnet_bind_error(b, "ConfirmPassword", "The password and "
		    "confirmation password do not match.");
	if (pw != NULL && strlen(pw) > 1024)
		aspnet_bind_error(b, "Password", "The field Password must be "
		    "a string with a maximum length of 1024.");
	else if (pw != NULL && password_length(pw, strlen(pw)) < (size_t)min)
		aspnet_bind_error(b, "Password", arena_sprintf(b->a, "The "
		    "field Password must be a string or array type with a "
		    "minimum length of '%ld'.", min));
	if (tz != NULL && strlen(tz) > 64)
		aspnet_bind_error(b, "TimeZone", "The field TimeZone must be a "
		    "string with a maximum length of 64.");
}

/* The stored AccountDetails: attrs, then the columns and the group. */
static struct value *
stored_account(struct arena *a, const PGresult *r, const char *group)
{
	const char *dto = db_get(r, 0, "dto");
	struct fmt_error ferr;
	struct value *v = NULL;

	if (dto == NULL || json_decode(a, dto, strlen(dto),
	    &fmt_default_limits, &v, &ferr) != FMT_OK ||
	    v->type != VALUE_OBJECT)
		v = value_object(a);
	value_put(a, v, "ID", value_cstr(a, db_get(r, 0, "id")));
	value_put(a, v, "Email", value_cstr(a, db_get(r, 0, "email")));
	value_put(a, v, "Verified", value_bool(a, db_true(r, "verified")));
	value_put(a, v, "Disabled", value_bool(a, !db_true(r, "is_active")));
	value_put(a, v, "TimeZone", value_cstr(a, db_get(r, 0, "time_zone")));
	value_put(a, v, "PrivilegeGroup", value_cstr(a, group));
	value_put(a, v, "PrivilegeGroupName",
	    value_cstr(a, db_get(r, 0, "group_name")));
	return aspnet_emit(a, &account_details, v);
}

static void
answer(struct http_req *req, struct http_resp *resp, const struct value *u,
    const char *group, const PGresult *r)
{
	struct value *ms;

	if (!db_true(r, "tenant_ok")) {
		aspnet_error(&app003, req, resp, 404, arena_sprintf(req->arena,
		    "The account '%s' was not found.", value_str(u, "ID")),
		    NULL);
	} else if (!db_true(r, "group_ok")) {
		ms = value_object(req->arena);
		aspnet_model_error(req->arena, ms, "model.PrivilegeGroup",
		    arena_sprintf(req->arena, "The privilege group '%s' does "
		    "not exist.", group));
		aspnet_error(&app003, req, resp, 400, "The request is invalid.",
		    ms);
	} else if (db_get(r, 0, "id") == NULL) {
		aspnet_error(&app003, req, resp, 500, "An error has occurred.",
		    NULL);
	} else {
		aspnet_send_dto(&app003, req, resp, 200,
		    stored_account(req->arena, r, group),
		    &account_details_xml);
	}
}

static void
run(struct http_req *req, struct http_resp *resp, const struct value *u,
    const char *pw_hash)
{
	char newid[UUID_STR_LEN + 1];
	const char *id = value_str(u, "ID"), *p[26], *constraint = NULL;
	const char *group = value_str(u, "PrivilegeGroup");
	struct app *w = req->ctx;
	struct core_ctx cc;
	enum db_status st;
	PGresult *r;

	if (id == NULL || uuid_is_nil(id)) {
		uuid_new(newid);
		id = arena_strdup(req->arena, newid);
	}
	dialect_core_ctx(req, &cc);
	memset(p, 0, sizeof(p));
	p[0] = req->tenant;
	p[1] = id;
	p[2] = value_str(u, "Email");	/* the account's login name */
	p[3] = value_str(u, "Email");
	p[9] = value_str(u, "TimeZone");
	p[10] = bool_of(u, "Disabled", 1);
	p[11] = bool_of(u, "Verified", 0);
	p[14] = pw_hash;
	p[16] = "aspnet003";
	p[17] = attrs_json(req->arena, u);
	p[18] = group;
	p[19] = "privilege";
	p[20] = "true";
	p[21] = "{}";
	p[22] = cc.actor;
	p[23] = cc.request_id;
	p[24] = "aspnet003.account";
	p[25] = "false";	/* no roles: the privilege group only */
	r = db_exec(w->db, req->arena, STMT_ASPNET_ACCOUNT_UPSERT, p, &st,
	    &constraint);
	if (r != NULL)
		answer(req, resp, u, group, r);
	else if (st == DB_CONFLICT)
		aspnet_error(&app003, req, resp, 409, "An account with this "
		    "Email already exists.", NULL);
	else
		aspnet_core_error(&app003, req, resp, core_from_db(st),
		    "The request is invalid.");
}

/*
 * POST api/users.  Authorization (SystemAdmin, or TenantAdmin of the
 * caller's tenant) was checked before.
 */
void
aspnet_accounts_post(struct http_req *req, struct http_resp *resp)
{
	char phc[PASSWORD_PHC_MAX];
	const char *pw, *hash = NULL;
	const struct app *app = req->ctx;
	struct aspnet_binder b;
	struct value *doc, *u;
	int rc;

	if (aspnet_read_body(&app003, req, resp, &doc) != 0)
		return;
	aspnet_binder_init(&b, req->arena, app003.param);
	u = aspnet_bind(&b, &account_details, doc, "");
	if (b.nerr == 0)
		validate(&b, u, app->cfg->password_min_length);
	if (b.nerr > 0) {
		aspnet_error(&app003, req, resp, 400, "The request is invalid.",
		    b.ms);
		return;
	}
	if ((pw = value_str(u, "Password")) != NULL) {
		rc = password_hash_slotted(config_hash_slots(app->cfg), pw,
		    strlen(pw), phc, sizeof(phc));
		if (rc == PASSWORD_BUSY) {
			http_resp_header(resp, "Retry-After", "1");
			aspnet_error(&app003, req, resp, 503, "Too many "
			    "passwords are being set at once: try again in a "
			    "moment.", NULL);
			return;
		}
		if (rc != 0) {
			aspnet_error(&app003, req, resp, 500,
			    "An error has occurred.", NULL);
			return;
		}
		hash = arena_strdup(req->arena, phc);
		explicit_bzero(phc, sizeof(phc));
	}
	run(req, resp, u, hash);
}

static void
error_003(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	aspnet_error(&app003, req, resp, status, message, NULL);
}

const struct dialect dialect_aspnet_003 = { "aspnet", error_003 };
