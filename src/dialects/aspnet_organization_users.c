/*
 * aspnet_organization_users.c: seed 004,
 * POST api/organizations/{organizationId}/users (ASP.NET Web API 2,
 * Json.NET PascalCase, no "$id"; DataContract XML; forms).  Decode a
 * UserSimple, create the user
 * with its roles in the organization (a tenant), answer the stored
 * UserSimple.
 */
#include <string.h>

#include "dialect.h"

static const struct aspnet_app *const app = &aspnet_app_004;

/* UserSimple's string members and where they go in core_user_new. */
static const struct {
	const char	*name;
	size_t		 off;
} user_fields[] = {
	{ "Username", offsetof(struct core_user_new, username) },
	{ "FirstName", offsetof(struct core_user_new, first_name) },
	{ "LastName", offsetof(struct core_user_new, last_name) },
	{ "Title", offsetof(struct core_user_new, title) },
	{ "Email", offsetof(struct core_user_new, email) },
	{ "Phone", offsetof(struct core_user_new, phone) },
	{ "ExternalId", offsetof(struct core_user_new, external_id) },
};

/* The wire name of a core field, for ModelState keys and messages. */
static const char *const field_names[CF__MAX] = {
	[CF_NONE] = "",
	[CF_USER_ID] = "Id",
	[CF_USERNAME] = "Username",
	[CF_EMAIL] = "Email",
	[CF_FIRST_NAME] = "FirstName",
	[CF_LAST_NAME] = "LastName",
	[CF_TITLE] = "Title",
	[CF_PHONE] = "Phone",
	[CF_EXTERNAL_ID] = "ExternalId",
	[CF_ROLE_ID] = "Id",
	[CF_ROLE_NAME] = "Name",
	[CF_ROLE_TENANT] = "OrganizationId",
	[CF_TENANT_NAME] = "Name",
};

struct decode {
	struct arena	*a;
	struct value	*ms;		/* ModelState being filled */
	int		 nerr;
};

static void
bind_error(struct decode *d, const char *path, const char *msg)
{
	aspnet_model_error(d->a, d->ms, arena_sprintf(d->a, "%s%s%s",
	    app->param, *path ? "." : "", path), msg);
	d->nerr++;
}

/*
 * Json.NET reads a string member from a string, a number (its text) or
 * null; anything else is a conversion error at that path.
 */
static const char *
bind_string(struct decode *d, const struct value *v, const char *path)
{
	if (v == NULL || v->type == VALUE_NULL)
		return NULL;
	if (v->type == VALUE_STRING || v->type == VALUE_NUMBER)
		return v->u.str.p;
	bind_error(d, path, arena_sprintf(d->a, "Error converting value of "
	    "type %s to type 'System.String'. Path '%s'.",
	    value_type_name(v->type), path));
	return NULL;
}

/* A Guid member: NULL when absent or null; *bad set when malformed. */
static const char *
bind_guid(struct decode *d, const struct value *v, const char *path,
    int *bad)
{
	char canon[UUID_STR_LEN + 1];

	*bad = 0;
	if (v == NULL || v->type == VALUE_NULL)
		return NULL;
	if (v->type == VALUE_STRING &&
	    uuid_normalize(v->u.str.p, v->u.str.len, canon) == 0)
		return arena_strdup(d->a, canon);
	bind_error(d, path, arena_sprintf(d->a, "Error converting value to "
	    "type 'System.Guid'. Path '%s'.", path));
	*bad = 1;
	return NULL;
}

static void
bind_role(struct decode *d, const struct value *v, size_t i,
    struct core_role_ref *r)
{
	char *path = arena_sprintf(d->a, "Roles[%zu]", i);
	int bad;

	memset(r, 0, sizeof(*r));
	if (v->type != VALUE_OBJECT) {
		bind_error(d, path, arena_sprintf(d->a, "Error converting value "
		    "of type %s to type 'RoleSimple'. Path '%s'.",
		    value_type_name(v->type), path));
		return;
	}
	r->id = bind_guid(d, value_get_ci(v, "Id"),
	    arena_sprintf(d->a, "%s.Id", path), &bad);
	r->name = bind_string(d, value_get_ci(v, "Name"),
	    arena_sprintf(d->a, "%s.Name", path));
	r->tenant_id = bind_guid(d, value_get_ci(v, "OrganizationId"),
	    arena_sprintf(d->a, "%s.OrganizationId", path), &bad);
}

static void
bind_roles(struct decode *d, const struct value *v, struct core_user_new *u)
{
	struct core_role_ref *refs;
	size_t i;

	if (v == NULL || v->type == VALUE_NULL)
		return;
	if (v->type != VALUE_ARRAY) {
		bind_error(d, "Roles", arena_sprintf(d->a, "Error converting "
		    "value of type %s to type 'Collection of RoleSimple'. "
		    "Path 'Roles'.", value_type_name(v->type)));
		return;
	}
	refs = arena_allocarray(d->a, v->u.arr.n + 1, sizeof(*refs));
	for (i = 0; i < v->u.arr.n; i++)
		bind_role(d, v->u.arr.items[i], i, &refs[i]);
	u->roles = refs;
	u->nroles = v->u.arr.n;
}

/* Binds a UserSimple object into u; conversion errors go to ModelState. */
static void
bind_user(struct decode *d, const struct value *obj, struct core_user_new *u)
{
	size_t i;
	int bad;

	memset(u, 0, sizeof(*u));
	u->id = bind_guid(d, value_get_ci(obj, "Id"), "Id", &bad);
	for (i = 0; i < RS_ARRAY_LEN(user_fields); i++) {
		const char **fp = (const char **)((char *)u +
		    user_fields[i].off);

		*fp = bind_string(d, value_get_ci(obj, user_fields[i].name),
		    user_fields[i].name);
	}
	bind_roles(d, value_get_ci(obj, "Roles"), u);
}

/* DataAnnotations-style text for a core field error. */
static const char *
error_text(struct arena *a, const struct core_error *e, const char *name)
{
	switch (e->code) {
	case CE_REQUIRED:
		if (e->field == CF_ROLE_ID)
			return "A role needs an Id or a Name.";
		return arena_sprintf(a, "The %s field is required.", name);
	case CE_TOO_LONG:
		if (e->field == CF_ROLE_ID && e->index < 0)
			return arena_sprintf(a, "At most %ld roles can be "
			    "given.", e->limit);
		return arena_sprintf(a, "The field %s must be a string with a "
		    "maximum length of %ld.", name, e->limit);
	case CE_INVALID_EMAIL:
		return arena_sprintf(a, "The %s field is not a valid e-mail "
		    "address.", name);
	case CE_UNKNOWN:
		return arena_sprintf(a, "The role '%s' does not exist in this "
		    "organization.", e->value ? e->value : "");
	case CE_OTHER_TENANT:
		return "The role belongs to another organization.";
	case CE_TAKEN:
		return arena_sprintf(a, "The %s is already taken.", name);
	default:
		return arena_sprintf(a, "The value is not valid for %s.", name);
	}
}

static const char *
error_key(struct arena *a, const struct core_error *e)
{
	const char *name = field_names[e->field];

	if (e->index >= 0)
		return arena_sprintf(a, "%s.Roles[%d].%s", app->param,
		    e->index, name);
	if (e->field == CF_ROLE_ID)
		return arena_sprintf(a, "%s.Roles", app->param);
	return arena_sprintf(a, "%s.%s", app->param, name);
}

static void
send_invalid(struct http_req *req, struct http_resp *resp,
    const struct core_errors *errs)
{
	struct value *ms = value_object(req->arena);
	size_t i;

	for (i = 0; i < errs->n; i++)
		aspnet_model_error(req->arena, ms, error_key(req->arena,
		    &errs->v[i]), error_text(req->arena, &errs->v[i],
		    field_names[errs->v[i].field]));
	aspnet_error(app, req, resp, 400, "The request is invalid.", ms);
}

static void
send_conflict(struct http_req *req, struct http_resp *resp,
    const struct core_errors *errs)
{
	const struct core_error *e = errs->n > 0 ? &errs->v[0] : NULL;
	const char *name = e ? field_names[e->field] : "user";

	aspnet_error(app, req, resp, 409, arena_sprintf(req->arena,
	    "A user with this %s already exists in the organization.",
	    name), NULL);
}

/* The stored user as a UserSimple, members in the page's order. */
static struct value *
encode_user(struct arena *a, const struct core_user *u)
{
	struct value *o = value_object(a), *roles = value_array(a);
	size_t i;

	value_set(a, o, "Id", value_cstr(a, u->id));
	value_set(a, o, "Username", value_cstr(a, u->username));
	value_set(a, o, "FirstName", value_cstr(a, u->first_name));
	value_set(a, o, "LastName", value_cstr(a, u->last_name));
	value_set(a, o, "Title", value_cstr(a, u->title));
	value_set(a, o, "Email", value_cstr(a, u->email));
	value_set(a, o, "Phone", value_cstr(a, u->phone));
	value_set(a, o, "ExternalId", value_cstr(a, u->external_id));
	for (i = 0; i < u->nroles; i++) {
		struct value *r = value_object(a);

		value_set(a, r, "Id", value_cstr(a, u->roles[i].id));
		value_set(a, r, "Name", value_cstr(a, u->roles[i].name));
		value_set(a, r, "OrganizationId",
		    value_cstr(a, u->roles[i].tenant_id));
		value_push(a, roles, r);
	}
	value_set(a, o, "Roles", roles);
	return o;
}

/*
 * Decodes the body (JSON, XML UserSimple or a form) into u; on failure
 * sends the 400 (or 415) and returns -1.
 */
static int
decode_body(struct http_req *req, struct http_resp *resp,
    struct core_user_new *u)
{
	struct decode d = { req->arena, value_object(req->arena), 0 };
	struct value *doc;

	if (aspnet_read_body(app, req, resp, &doc) != 0)
		return -1;
	bind_user(&d, doc, u);
	if (d.nerr == 0)
		return 0;
	aspnet_error(app, req, resp, 400, "The request is invalid.", d.ms);
	return -1;
}

/*
 * 0 when the caller may assign the roles of u: a SystemAdmin, or no
 * role flagged isSystemAdmin among them (resolved as the create
 * resolves them: by Id, else by Name).  -1 with the answer sent: 403
 * naming Roles, or the database's error.
 */
static int
roles_check(struct http_req *req, struct http_resp *resp, const char *org,
    const struct core_user_new *u)
{
	const char **ids, **names, *params[3], *constraint;
	struct app *w = req->ctx;
	enum db_status st;
	PGresult *r;
	size_t i;

	if (u->nroles == 0 || dialect_system_admin(req))
		return 0;
	ids = arena_allocarray(req->arena, u->nroles, sizeof(*ids));
	names = arena_allocarray(req->arena, u->nroles, sizeof(*names));
	for (i = 0; i < u->nroles; i++) {
		ids[i] = u->roles[i].id;
		names[i] = u->roles[i].id == NULL ? u->roles[i].name : NULL;
	}
	params[0] = org;
	params[1] = db_array_literal(req->arena, ids, u->nroles);
	params[2] = db_array_literal(req->arena, names, u->nroles);
	r = db_exec(w->db, req->arena, STMT_ROLES_SYSTEM, params, &st,
	    &constraint);
	if (r == NULL) {
		aspnet_core_error(app, req, resp, core_from_db(st), NULL);
		return -1;
	}
	if (PQntuples(r) == 1 && db_get(r, 0, "system") != NULL &&
	    strcmp(db_get(r, 0, "system"), "t") == 0) {
		aspnet_error(app, req, resp, 403, "Roles names a role flagged "
		    "isSystemAdmin: only a SystemAdmin may assign it.", NULL);
		return -1;
	}
	return 0;
}

/*
 * POST api/organizations/{organizationId}/users.  Authorization
 * (SystemAdmin, or TenantAdmin of this organization) was checked before
 * the handler runs.
 */
void
aspnet_org_users_post(struct http_req *req, struct http_resp *resp)
{
	char org[UUID_STR_LEN + 1];
	const char *raw = http_req_param(req, "organizationId");
	struct core_errors errs = { 0 };
	struct core_user_new in;
	struct core_user out;
	struct core_ctx c;
	enum core_status st;

	if (raw == NULL || uuid_normalize(raw, strlen(raw), org) != 0) {
		aspnet_error(app, req, resp, 400, "The request is invalid.",
		    NULL);
		return;
	}
	if (decode_body(req, resp, &in) != 0 ||
	    roles_check(req, resp, org, &in) != 0)
		return;
	dialect_core_ctx(req, &c);
	st = core_user_create(&c, org, &in, &out, &errs);
	if (st == CORE_OK)
		aspnet_send_dto(app, req, resp, 200,
		    encode_user(req->arena, &out), &aspnet_user_simple);
	else if (st == CORE_INVALID && errs.n > 0)
		send_invalid(req, resp, &errs);
	else if (st == CORE_CONFLICT)
		send_conflict(req, resp, &errs);
	else
		aspnet_core_error(app, req, resp, st, arena_sprintf(req->arena,
		    "The organization '%s' was not found.", org));
}
