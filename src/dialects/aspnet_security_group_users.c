/*
 * aspnet_security_group_users.c: seed 000,
 * POST Application/PostSecurityGroupUsers (ASP.NET Web API 2, Json.NET
 * PascalCase with PreserveReferencesHandling: "$id" on every object; JSON
 * and forms, no XML).  Binds a SecurityGroupUser, creates or updates the
 * user (by ID, or new) in the caller's tenant and makes it a member of
 * the security group, with its roles and an audit row, in one statement;
 * answers a ServiceResponse envelope whose Response is the stored
 * SecurityGroupUser.  Failures the service handles are 200 with
 * IsSuccess false and a stable Code, as the envelope's clients expect.
 */
#include <string.h>

#include "dialect.h"
#include "../auth/auth.h"

static const struct aspnet_app app000 = {
	.param = "securityGroupUser",
	.camel_case = 0,
	.dollar_id = 1,
	.xml = 0,
	.secrets = 1,
};

/* ---- the page's types, members in declaration order ---- */

static const struct aspnet_field workflow_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "ParentID", AT_GUID, 0, NULL },
	{ "TypeID", AT_INT, 0, NULL },
	{ "Name", AT_STRING, 0, NULL },
	{ "Description", AT_STRING, 0, NULL },
	{ "Sequence", AT_INT, 0, NULL },
	{ "Active", AT_BOOL, 0, NULL },
	{ "Caption", AT_STRING, 0, NULL },
	{ "IconName", AT_STRING, 0, NULL },
	{ "IsMobile", AT_BOOL, 0, NULL },
	{ "Alias", AT_STRING, 0, NULL },
	{ "NotificationBadgeValueViewModel", AT_STRING, 0, NULL },
	{ "NotificationBadgeBackgroundColour", AT_STRING, 0, NULL },
	{ "NotificationBadgeTextColour", AT_STRING, 0, NULL },
	{ "IsPercentageNotificationBadge", AT_BOOL, 0, NULL },
	{ "IsVisible", AT_BOOL, 0, NULL },
};

static const struct aspnet_type_def workflow = {
	"Workflow", workflow_fields, RS_ARRAY_LEN(workflow_fields)
};

static const struct aspnet_field role_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "Name", AT_STRING, 0, NULL },
	{ "Description", AT_STRING, 0, NULL },
	{ "IsSystemAdministrator", AT_BOOL, 0, NULL },
	{ "WorkflowID", AT_GUID, 0, NULL },
	{ "IsGroupAdmin", AT_BOOL, 0, NULL },
	{ "Workflow", AT_OBJECT, 0, &workflow },
};

static const struct aspnet_type_def role = {
	"Role", role_fields, RS_ARRAY_LEN(role_fields)
};

static const struct aspnet_field contact_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "FirstName", AT_STRING, 0, NULL },
	{ "LastName", AT_STRING, 0, NULL },
	{ "Name", AT_STRING, 0, NULL },
	{ "CellNumber", AT_STRING, 0, NULL },
	{ "WorkNumber", AT_STRING, 0, NULL },
	{ "HomeNumber", AT_STRING, 0, NULL },
	{ "Email", AT_STRING, 0, NULL },
	{ "PhysicalAddress", AT_STRING, 0, NULL },
	{ "PostalAddress", AT_STRING, 0, NULL },
	{ "Birthday", AT_DATE, 0, NULL },
	{ "GenderID", AT_INT, 0, NULL },
	{ "ContactStatusID", AT_INT, 0, NULL },
	{ "PhotoID", AT_GUID, 0, NULL },
	{ "ExternalCode", AT_STRING, 0, NULL },
	{ "Latitude", AT_DOUBLE, 0, NULL },
	{ "Longitude", AT_DOUBLE, 0, NULL },
	{ "IDNumber", AT_STRING, 0, NULL },
	{ "PassportNumber", AT_STRING, 0, NULL },
	{ "DisplayName", AT_STRING, 0, NULL },
	{ "UseDisplayName", AT_BOOL, 0, NULL },
	{ "OptOutNotification", AT_BOOL, 0, NULL },
	{ "CreatedByContactID", AT_GUID, 0, NULL },
	{ "ModifiedByContactID", AT_GUID, 0, NULL },
	{ "CreatedDate", AT_DATE, 0, NULL },
	{ "ModifiedDate", AT_DATE, 0, NULL },
};

static const struct aspnet_type_def contact = {
	"Contact", contact_fields, RS_ARRAY_LEN(contact_fields)
};

static const struct aspnet_field security_group_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "Name", AT_STRING, 0, NULL },
	{ "Description", AT_STRING, 0, NULL },
	{ "LogVerbosityID", AT_INT, 0, NULL },
	{ "BlockSyncMessage", AT_STRING, 0, NULL },
	{ "SyncPollingMin", AT_INT, 0, NULL },
	{ "IsBlocked", AT_BOOL, 0, NULL },
	{ "IsCommercialWorkflow", AT_BOOL, 0, NULL },
	{ "IsDefault", AT_BOOL, 0, NULL },
	{ "PhotoID", AT_GUID, 0, NULL },
};

static const struct aspnet_type_def security_group = {
	"SecurityGroup", security_group_fields,
	RS_ARRAY_LEN(security_group_fields)
};

#define REQ AF_REQUIRED
static const struct aspnet_field sgu_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "ContactID", AT_GUID, REQ, NULL },
	{ "Name", AT_STRING, 0, NULL },
	{ "SecurityGroupID", AT_GUID, REQ, NULL },
	{ "UserName", AT_STRING, AF_REQUIRED_STR, NULL },
	{ "CanLogIn", AT_BOOL, REQ, NULL },
	{ "Password", AT_BYTES, AF_SECRET, NULL },
	{ "ChangePassword", AT_BOOL, REQ, NULL },
	{ "BlockSynch", AT_BOOL, REQ, NULL },
	{ "Domain", AT_STRING, 0, NULL },
	{ "Locked", AT_BOOL, REQ, NULL },
	{ "ClearData", AT_BOOL, REQ, NULL },
	{ "MobileVersion", AT_STRING, 0, NULL },
	{ "DateInstalled", AT_DATE, 0, NULL },
	{ "RememberMe", AT_BOOL, REQ, NULL },
	{ "RefreshData", AT_BOOL, REQ, NULL },
	{ "PinCode", AT_STRING, AF_SECRET, NULL },
	{ "APIToken", AT_STRING, AF_SECRET, NULL },
	{ "RoleID", AT_GUID, 0, NULL },
	{ "CompanyRoleID", AT_GUID, 0, NULL },
	{ "TokenCacheBits", AT_BYTES, AF_SECRET, NULL },
	{ "TokenLastWrite", AT_DATE, 0, NULL },
	{ "ExpiresIn", AT_INT, 0, NULL },
	{ "MonthlyHours", AT_INT, 0, NULL },
	{ "HasTwoFactorAuthentication", AT_BOOL, REQ, NULL },
	{ "IsActive", AT_BOOL, REQ, NULL },
	{ "DatePasswordExpires", AT_DATE, 0, NULL },
	{ "CanSignDocuments", AT_BOOL, REQ, NULL },
	{ "DocuSignUserID", AT_STRING, 0, NULL },
	{ "IsVerified", AT_BOOL, REQ, NULL },
	{ "DateVerified", AT_DATE, 0, NULL },
	{ "Token", AT_STRING, AF_SECRET, NULL },
	{ "MobileOnlyUser", AT_BOOL, REQ, NULL },
	{ "RefreshTokenCache", AT_BYTES, AF_SECRET, NULL },
	{ "LastSyncDate", AT_DATE, 0, NULL },
	{ "IsUpgradeAvailable", AT_BOOL, REQ, NULL },
	{ "DateUpgraded", AT_DATE, 0, NULL },
	{ "LastSuccessfulSyncDate", AT_DATE, 0, NULL },
	{ "PreviousMobileVersion", AT_STRING, 0, NULL },
	{ "Contact", AT_OBJECT, 0, &contact },
	{ "Role", AT_OBJECT, 0, &role },
	{ "SecurityGroup", AT_OBJECT, 0, &security_group },
};
#undef REQ

static const struct aspnet_type_def security_group_user = {
	"SecurityGroupUser", sgu_fields, RS_ARRAY_LEN(sgu_fields)
};

/* ---- the envelope ---- */

static void
send_envelope(struct http_req *req, struct http_resp *resp,
    const char *code, const char *message, struct value *response)
{
	struct arena *a = req->arena;
	struct value *o = value_object(a);

	value_set(a, o, "IsSuccess", value_bool(a, code == NULL));
	value_set(a, o, "ErrorMessage", value_cstr(a, message));
	value_set(a, o, "Code", value_cstr(a, code));
	value_set(a, o, "StackTrace", value_null(a));
	value_set(a, o, "Response", response ? response : value_null(a));
	aspnet_send(&app000, req, resp, 200, o);
}

static void
fail(struct http_req *req, struct http_resp *resp, const char *code,
    const char *message)
{
	send_envelope(req, resp, code, message, NULL);
}

/* ---- helpers ---- */

static const char *
bool_of(const struct value *o, const char *name)
{
	const struct value *v = value_get(o, name);

	if (v == NULL || v->type != VALUE_BOOL)
		return NULL;
	return v->u.boolean ? "true" : "false";
}

/* Argon2id of a secret's bytes into the arena; -1 on failure. */
static int
hash_secret(struct arena *a, const unsigned char *p, size_t n,
    const char **out)
{
	char phc[PASSWORD_PHC_MAX];

	if (password_hash((const char *)p, n, phc, sizeof(phc)) != 0)
		return -1;
	*out = arena_strdup(a, phc);
	explicit_bzero(phc, sizeof(phc));
	return 0;
}

/* Hashes Password (byte[]) and PinCode; 0, or -1 (500). */
static int
hash_secrets(struct arena *a, const struct value *u, const char **pw,
    const char **pin)
{
	const char *s;
	unsigned char *bytes;
	size_t n;
	int rc = 0;

	*pw = *pin = NULL;
	if ((s = value_str(u, "Password")) != NULL) {
		if (base64_decode(a, s, strlen(s), &bytes, &n) != 0)
			return -1;
		rc = hash_secret(a, bytes, n, pw);
		explicit_bzero(bytes, n);
	}
	if (rc == 0 && (s = value_str(u, "PinCode")) != NULL)
		rc = hash_secret(a, (const unsigned char *)s, strlen(s), pin);
	return rc;
}

/*
 * password_min_length (min) for Password, counted in characters of its
 * bytes taken as UTF-8.  PinCode is a PIN, not a password: not checked.
 */
static void
check_password(struct aspnet_binder *b, const struct value *u, long min)
{
	const char *s = value_str(u, "Password");
	unsigned char *bytes;
	size_t n;

	if (s == NULL || base64_decode(b->a, s, strlen(s), &bytes, &n) != 0)
		return;
	if (password_length((const char *)bytes, n) < (size_t)min)
		aspnet_bind_error(b, "Password", arena_sprintf(b->a, "The "
		    "field Password must be a string or array type with a "
		    "minimum length of '%ld'.", min));
	explicit_bzero(bytes, n);
}

struct limit {
	const char	*name;
	size_t		 max;
};

/* The person record's columns must fit; the rest is kept as sent. */
static const char *
check_lengths(struct arena *a, const struct value *u)
{
	static const struct limit user_limits[] = {
		{ "UserName", 256 }, { "Name", 256 },
		/* secrets: 1024 bytes (Password is their base64) */
		{ "Password", 1368 }, { "PinCode", 1024 },
	};
	static const struct limit contact_limits[] = {
		{ "FirstName", 256 }, { "LastName", 256 },
		{ "CellNumber", 64 }, { "ExternalCode", 256 },
	};
	const struct value *c = value_get(u, "Contact");
	const char *s;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(user_limits); i++)
		if ((s = value_str(u, user_limits[i].name)) != NULL &&
		    strlen(s) > user_limits[i].max)
			return arena_sprintf(a, "The field %s must be a string "
			    "with a maximum length of %zu.",
			    user_limits[i].name, user_limits[i].max);
	for (i = 0; c != NULL && i < RS_ARRAY_LEN(contact_limits); i++)
		if ((s = value_str(c, contact_limits[i].name)) != NULL &&
		    strlen(s) > contact_limits[i].max)
			return arena_sprintf(a, "The field Contact.%s must be a "
			    "string with a maximum length of %zu.",
			    contact_limits[i].name, contact_limits[i].max);
	return NULL;
}

/*
 * The Role object is the client's description of the user's role, kept
 * and sent back as it came; RoleID is what assigns.  Only a SystemAdmin
 * may have it say IsSystemAdministrator: true (the vendor's own sample
 * says so, hence no refusal): from anyone else it is kept as false, so
 * that no consumer of the stored user reads a system administrator
 * into a TenantAdmin's words.
 */
static void
clear_system_admin(struct arena *a, struct value *u)
{
	struct value *r = value_get(u, "Role");
	const struct value *f;

	if (r == NULL || r->type != VALUE_OBJECT)
		return;
	f = value_get(r, "IsSystemAdministrator");
	if (f != NULL && f->type == VALUE_BOOL && f->u.boolean)
		value_put(a, r, "IsSystemAdministrator", value_bool(a, 0));
}

/* The roles named by RoleID and CompanyRoleID, in that order. */
static const char *
role_list(struct arena *a, const struct value *u, const char *names[2],
    size_t *n)
{
	const char *ids[2];

	*n = 0;
	if ((ids[*n] = value_str(u, "RoleID")) != NULL)
		names[(*n)++] = "RoleID";
	if ((ids[*n] = value_str(u, "CompanyRoleID")) != NULL)
		names[(*n)++] = "CompanyRoleID";
	return db_array_literal(a, ids, *n);
}

/* ---- the handler ---- */

struct upsert {
	const char	*params[26];
	const char	*role_names[2];
	size_t		 nroles;
};

/* Fills the statement's parameters from the bound user u. */
static void
params_of(struct http_req *req, const struct value *u, struct upsert *x,
    const char *id, const char *pw, const char *pin)
{
	struct arena *a = req->arena;
	const struct value *c = value_get(u, "Contact");
	const char *email = value_str(c, "Email"), **p = x->params;
	struct value *kept;
	struct core_ctx cc;
	struct buf j;

	dialect_core_ctx(req, &cc);
	kept = aspnet_strip_secrets(a, &security_group_user, u);
	buf_init(&j, a);
	json_encode(&j, kept);
	p[0] = req->tenant;
	p[1] = id;
	p[2] = value_str(u, "UserName");
	/* the person record's e-mail column holds only addresses */
	p[3] = email != NULL && core_valid_email(email) ? email : NULL;
	p[4] = value_str(c, "FirstName");
	p[5] = value_str(c, "LastName");
	p[6] = value_str(u, "Name");
	p[7] = value_str(c, "CellNumber");
	p[8] = value_str(c, "ExternalCode");
	p[9] = NULL;
	p[10] = bool_of(u, "IsActive");
	p[11] = bool_of(u, "IsVerified");
	p[12] = bool_of(u, "Locked");
	p[13] = bool_of(u, "ChangePassword");
	p[14] = pw;
	p[15] = pin;
	p[16] = "aspnet000";
	p[17] = j.failed ? "{}" : j.p;
	p[18] = value_str(u, "SecurityGroupID");
	p[19] = "security";
	p[20] = "false";
	p[21] = role_list(a, u, x->role_names, &x->nroles);
	p[22] = cc.actor;
	p[23] = cc.request_id;
	p[24] = "aspnet000.security_group_user";
	p[25] = dialect_system_admin(req) ? "true" : "false";
}

/* The stored SecurityGroupUser: what was kept, secrets null. */
static struct value *
stored_user(struct arena *a, const PGresult *r)
{
	const char *dto = db_get(r, 0, "dto");
	struct fmt_error ferr;
	struct value *v = NULL;

	if (dto == NULL || json_decode(a, dto, strlen(dto),
	    &fmt_default_limits, &v, &ferr) != FMT_OK ||
	    v->type != VALUE_OBJECT)
		v = value_object(a);
	value_put(a, v, "ID", value_cstr(a, db_get(r, 0, "id")));
	return aspnet_emit(a, &security_group_user, v);
}

static void
answer(struct http_req *req, struct http_resp *resp, const struct value *u,
    const struct upsert *x, const PGresult *r)
{
	const char *missing = db_get(r, 0, "missing");

	if (!db_true(r, "tenant_ok"))
		fail(req, resp, "NotFound", "The tenant was not found.");
	else if (db_true(r, "system_role"))
		aspnet_error(&app000, req, resp, 403, arena_sprintf(req->arena,
		    "%s names a role flagged IsSystemAdministrator: only a "
		    "SystemAdmin may assign it.", x->nroles > 1 ?
		    "RoleID or CompanyRoleID" : x->role_names[0]), NULL);
	else if (!db_true(r, "group_ok"))
		fail(req, resp, "NotFound", arena_sprintf(req->arena, "The "
		    "security group '%s' was not found.",
		    value_str(u, "SecurityGroupID")));
	else if (missing != NULL)
		fail(req, resp, "NotFound", arena_sprintf(req->arena, "The "
		    "role named by %s was not found.",
		    x->role_names[missing[1] == '1' && x->nroles > 1 ? 1 : 0]));
	else if (db_get(r, 0, "id") == NULL)
		aspnet_error(&app000, req, resp, 500, "An error has occurred.",
		    NULL);
	else
		send_envelope(req, resp, NULL, NULL,
		    stored_user(req->arena, r));
}

/*
 * A request without a Contact links the person record its ContactID
 * names (the Contact stored with another user of the tenant).  Returns
 * 0, or -1 with the answer sent (an envelope NotFound, or a 5xx).
 */
static int
link_contact(struct http_req *req, struct http_resp *resp, struct value *u)
{
	const struct value *c = value_get(u, "Contact");
	const char *params[2], *json, *constraint = NULL;
	struct app *w = req->ctx;
	struct fmt_error ferr;
	struct value *found;
	enum db_status st;
	PGresult *r;

	if (c != NULL && c->type == VALUE_OBJECT)
		return 0;
	params[0] = req->tenant;
	params[1] = value_str(u, "ContactID");
	if (params[1] == NULL)
		return 0;
	r = db_exec(w->db, req->arena, STMT_ASPNET_CONTACT_GET, params, &st,
	    &constraint);
	if (r == NULL) {
		aspnet_core_error(&app000, req, resp, core_from_db(st), NULL);
		return -1;
	}
	if (PQntuples(r) == 0 || (json = db_get(r, 0, "contact")) == NULL) {
		fail(req, resp, "NotFound", arena_sprintf(req->arena, "The "
		    "contact '%s' was not found.", params[1]));
		return -1;
	}
	if (json_decode(req->arena, json, strlen(json), &fmt_default_limits,
	    &found, &ferr) != FMT_OK || found->type != VALUE_OBJECT) {
		aspnet_error(&app000, req, resp, 500, "An error has occurred.",
		    NULL);
		return -1;
	}
	value_put(req->arena, u, "Contact", found);
	return 0;
}

static void
run(struct http_req *req, struct http_resp *resp, const struct value *u)
{
	char newid[UUID_STR_LEN + 1];
	const char *id = value_str(u, "ID"), *pw, *pin, *constraint = NULL;
	struct app *w = req->ctx;
	struct upsert x;
	enum db_status st;
	PGresult *r;
	int slot = PASSWORD_SLOT_NONE, rc;

	/* both secrets are hashed in one slot */
	if ((value_str(u, "Password") != NULL ||
	    value_str(u, "PinCode") != NULL) &&
	    (slot = password_slot_take(config_hash_slots(w->cfg))) == -1) {
		http_resp_header(resp, "Retry-After", "1");
		aspnet_error(&app000, req, resp, 503, "Too many passwords are "
		    "being set at once: try again in a moment.", NULL);
		return;
	}
	rc = hash_secrets(req->arena, u, &pw, &pin);
	password_slot_give(slot);
	if (rc != 0) {
		aspnet_error(&app000, req, resp, 500, "An error has occurred.",
		    NULL);
		return;
	}
	if (id == NULL || uuid_is_nil(id)) {
		uuid_new(newid);
		id = arena_strdup(req->arena, newid);
	}
	memset(&x, 0, sizeof(x));
	params_of(req, u, &x, id, pw, pin);
	r = db_exec(w->db, req->arena, STMT_ASPNET_ACCOUNT_UPSERT, x.params,
	    &st, &constraint);
	if (r != NULL)
		answer(req, resp, u, &x, r);
	else if (st == DB_CONFLICT)
		fail(req, resp, "Conflict", constraint != NULL &&
		    strcmp(constraint, "users_email_key") == 0 ?
		    "A user with this Contact.Email already exists." :
		    "A user with this UserName already exists.");
	else if (st == DB_INVALID)
		fail(req, resp, "ValidationFailed", "A value is not valid.");
	else
		aspnet_core_error(&app000, req, resp, core_from_db(st), NULL);
}

/*
 * POST Application/PostSecurityGroupUsers.  Authorization (SystemAdmin,
 * or TenantAdmin of the caller's tenant) was checked before.
 */
void
aspnet_security_group_users_post(struct http_req *req,
    struct http_resp *resp)
{
	struct aspnet_binder b;
	struct value *doc, *u;
	const char *why;

	if (aspnet_read_body(&app000, req, resp, &doc) != 0)
		return;
	aspnet_binder_init(&b, req->arena, app000.param);
	u = aspnet_bind(&b, &security_group_user, doc, "");
	if (b.nerr == 0)
		check_password(&b, u, ((const struct app *)req->ctx)->cfg->
		    password_min_length);
	if (b.nerr > 0) {
		aspnet_error(&app000, req, resp, 400, "The request is invalid.",
		    b.ms);
		return;
	}
	if ((why = check_lengths(req->arena, u)) != NULL) {
		fail(req, resp, "ValidationFailed", why);
		return;
	}
	if (!dialect_system_admin(req))
		clear_system_admin(req->arena, u);
	if (link_contact(req, resp, u) != 0)
		return;
	run(req, resp, u);
}

static void
error_000(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	aspnet_error(&app000, req, resp, status, message, NULL);
}

const struct dialect dialect_aspnet_000 = { "aspnet", error_000 };
