/*
 * scim_users.c: /scim/v2/Users.  A User's core columns (userName,
 * externalId, name.givenName/familyName, displayName, the primary email
 * and phone number, title, locale, timezone, active) are rosterd's user
 * columns; everything else the client sent is kept verbatim in
 * attrs->'scim'.  password is hashed (Argon2id) and never returned.
 * PATCH reads the user, applies the operations to it and writes it back
 * only if nobody changed it meanwhile (its version), retrying then.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim.h"

#define ENT_SQL "(u.attrs->'scim'->'" SCIM_URN_ENT "'"

/* What a filter may name, and the SQL it reads. */
static const struct scim_sqlattr user_map[] = {
	{ "id", NULL, "u.id", SCIM_V_STRING, SCIM_SQL_UUID },
	{ "userName", NULL, "u.username", SCIM_V_STRING,
	    SCIM_SQL_LOWER_INDEXED },
	{ "externalId", NULL, "u.external_id", SCIM_V_STRING,
	    SCIM_SQL_CASE_EXACT },
	{ "displayName", NULL, "u.display_name", SCIM_V_STRING, 0 },
	{ "name.givenName", NULL, "u.first_name", SCIM_V_STRING, 0 },
	{ "name.familyName", NULL, "u.last_name", SCIM_V_STRING, 0 },
	{ "name.formatted", NULL, "(u.attrs->'scim'->'name'->>'formatted')",
	    SCIM_V_STRING, 0 },
	{ "nickName", NULL, "(u.attrs->'scim'->>'nickName')", SCIM_V_STRING,
	    0 },
	{ "userType", NULL, "(u.attrs->'scim'->>'userType')", SCIM_V_STRING,
	    0 },
	{ "title", NULL, "u.title", SCIM_V_STRING, 0 },
	{ "locale", NULL, "u.locale", SCIM_V_STRING, 0 },
	{ "timezone", NULL, "u.time_zone", SCIM_V_STRING, 0 },
	{ "preferredLanguage", NULL, "(u.attrs->'scim'->>'preferredLanguage')",
	    SCIM_V_STRING, 0 },
	{ "active", NULL, "u.is_active", SCIM_V_BOOL, 0 },
	{ "emails", NULL, "coalesce(u.attrs->'scim'->'emails', CASE WHEN"
	    " u.email IS NOT NULL THEN jsonb_build_array(jsonb_build_object("
	    "'value', u.email, 'type', 'work', 'primary', true)) END)",
	    SCIM_V_STRING, SCIM_SQL_MULTI },
	{ "emails.value", NULL, "(e.v->>'value')", SCIM_V_STRING, 0 },
	{ "emails.type", NULL, "(e.v->>'type')", SCIM_V_STRING, 0 },
	{ "emails.primary", NULL, "((e.v->>'primary')::boolean)", SCIM_V_BOOL,
	    0 },
	{ "phoneNumbers", NULL, "coalesce(u.attrs->'scim'->'phoneNumbers',"
	    " CASE WHEN u.phone IS NOT NULL THEN jsonb_build_array("
	    "jsonb_build_object('value', u.phone, 'type', 'work', 'primary',"
	    " true)) END)", SCIM_V_STRING, SCIM_SQL_MULTI },
	{ "phoneNumbers.value", NULL, "(e.v->>'value')", SCIM_V_STRING, 0 },
	{ "phoneNumbers.type", NULL, "(e.v->>'type')", SCIM_V_STRING, 0 },
	{ "phoneNumbers.primary", NULL, "((e.v->>'primary')::boolean)",
	    SCIM_V_BOOL, 0 },
	{ "groups", NULL, "group_members m WHERE m.tenant_id = u.tenant_id"
	    " AND m.user_id = u.id", SCIM_V_STRING,
	    SCIM_SQL_MULTI | SCIM_SQL_ROWS },
	{ "groups.value", NULL, "m.group_id", SCIM_V_STRING, SCIM_SQL_UUID },
	{ "meta.created", NULL, "u.created_at", SCIM_V_STRING,
	    SCIM_SQL_DATETIME },
	{ "meta.lastModified", NULL, "u.updated_at", SCIM_V_STRING,
	    SCIM_SQL_DATETIME },
	{ "employeeNumber", SCIM_URN_ENT, ENT_SQL "->>'employeeNumber')",
	    SCIM_V_STRING, 0 },
	{ "costCenter", SCIM_URN_ENT, ENT_SQL "->>'costCenter')",
	    SCIM_V_STRING, 0 },
	{ "organization", SCIM_URN_ENT, ENT_SQL "->>'organization')",
	    SCIM_V_STRING, 0 },
	{ "division", SCIM_URN_ENT, ENT_SQL "->>'division')", SCIM_V_STRING,
	    0 },
	{ "department", SCIM_URN_ENT, ENT_SQL "->>'department')",
	    SCIM_V_STRING, 0 },
	{ "manager.value", SCIM_URN_ENT, ENT_SQL "->'manager'->>'value')",
	    SCIM_V_STRING, SCIM_SQL_CASE_EXACT },
};

/* What sortBy may name (the primary email for emails). */
static const struct scim_sort user_sort[] = {
	{ "id", "u.id" },
	{ "userName", "lower(u.username)" },
	{ "externalId", "u.external_id" },
	{ "displayName", "lower(u.display_name)" },
	{ "name.givenName", "lower(u.first_name)" },
	{ "name.familyName", "lower(u.last_name)" },
	{ "title", "lower(u.title)" },
	{ "active", "u.is_active" },
	{ "emails", "lower(u.email)" },
	{ "emails.value", "lower(u.email)" },
	{ "meta.created", "u.created_at" },
	{ "meta.lastModified", "u.updated_at" },
};

/* The column values of a normalised User, in statement order. */
enum ucol {
	UC_USERNAME = 0, UC_EXTERNAL, UC_FIRST, UC_LAST, UC_DISPLAY,
	UC_EMAIL, UC_PHONE, UC_TITLE, UC_LOCALE, UC_TZ, UC_ACTIVE,
	UC_PASSWORD, UC_SCIM, UC__MAX
};

/* Stored JSON as an object (an empty one unless it is one). */
static struct value *
decode_stored(struct arena *a, const char *s)
{
	struct value *v = scim_stored_json(a, s);

	if (v == NULL || v->type != VALUE_OBJECT)
		return value_object(a);
	return v;
}

/* The primary element's value of a multi-valued attribute, else the first. */
static const char *
primary_value(const struct value *res, const char *name)
{
	const struct value *arr = scim_obj_get(res, name), *p;
	size_t i;

	if (arr == NULL || arr->type != VALUE_ARRAY || arr->u.arr.n == 0)
		return NULL;
	for (i = 0; i < arr->u.arr.n; i++) {
		p = scim_obj_get(arr->u.arr.items[i], "primary");
		if (p != NULL && p->type == VALUE_BOOL && p->u.boolean)
			return scim_str(arr->u.arr.items[i], "value");
	}
	return scim_str(arr->u.arr.items[0], "value");
}

/* Sets or removes o[key] as s says. */
static void
put_str(struct arena *a, struct value *o, const char *key, const char *s)
{
	if (s == NULL)
		scim_obj_del(o, key);
	else
		scim_obj_put(a, o, key, value_cstr(a, s));
}

/*
 * Sets o[key] to [{"value": s, "type": "work", "primary": true}] when s
 * is not NULL and o has no key (the column of a User whose client sent
 * no such array: one made by another dialect).  "work" is the type
 * clients match by (Entra's emails[type eq "work"].value).
 */
static void
put_primary(struct arena *a, struct value *o, const char *key,
    const char *s)
{
	struct value *arr, *x;

	if (s == NULL || scim_obj_get(o, key) != NULL)
		return;
	x = value_object(a);
	value_set(a, x, "value", value_cstr(a, s));
	value_set(a, x, "type", value_cstr(a, "work"));
	value_set(a, x, "primary", value_bool(a, 1));
	arr = value_array(a);
	value_push(a, arr, x);
	scim_obj_put(a, o, key, arr);
}

/*
 * name as a row's User has it: the stored one (an object, else none)
 * with the row's givenName and familyName; NULL when it is left empty.
 */
static struct value *
name_of(struct arena *a, struct value *name, const PGresult *r, int row)
{
	if (name == NULL || name->type != VALUE_OBJECT)
		name = value_object(a);
	put_str(a, name, "givenName", db_get(r, row, "first_name"));
	put_str(a, name, "familyName", db_get(r, row, "last_name"));
	return name->u.obj.n == 0 ? NULL : name;
}

/* The User of row `row` (columns of DB_SCIM_USER_COLS). */
static struct value *
user_from_row(struct http_req *req, const PGresult *r, int row)
{
	struct arena *a = req->arena;
	struct value *out = value_object(a), *st, *name, *s, *g, *x;
	const char *id = db_get(r, row, "id"), *v, *base = scim_base(req);
	size_t i;

	st = decode_stored(a, db_get(r, row, "scim"));
	scim_obj_del(st, "password");
	put_str(a, st, "userName", db_get(r, row, "username"));
	put_str(a, st, "displayName", db_get(r, row, "display_name"));
	put_str(a, st, "title", db_get(r, row, "title"));
	put_str(a, st, "locale", db_get(r, row, "locale"));
	put_str(a, st, "timezone", db_get(r, row, "time_zone"));
	if ((name = name_of(a, scim_obj_get(st, "name"), r, row)) != NULL)
		scim_obj_put(a, st, "name", name);
	else
		scim_obj_del(st, "name");
	put_primary(a, st, "emails", db_get(r, row, "email"));
	put_primary(a, st, "phoneNumbers", db_get(r, row, "phone"));
	v = db_get(r, row, "is_active");
	scim_obj_put(a, st, "active", value_bool(a, v != NULL &&
	    strcmp(v, "t") == 0));

	s = value_array(a);
	value_push(a, s, value_cstr(a, SCIM_URN_USER));
	if (scim_obj_get(st, SCIM_URN_ENT) != NULL)
		value_push(a, s, value_cstr(a, SCIM_URN_ENT));
	value_set(a, out, "schemas", s);
	value_set(a, out, "id", value_cstr(a, id));
	if ((v = db_get(r, row, "external_id")) != NULL)
		value_set(a, out, "externalId", value_cstr(a, v));
	scim_obj_del(st, "externalId");
	scim_obj_del(st, "groups");
	for (i = 0; i < st->u.obj.n; i++)
		value_set(a, out, st->u.obj.members[i].key,
		    st->u.obj.members[i].val);
	g = scim_stored_json(a, db_get(r, row, "groups"));
	if (g != NULL && g->type == VALUE_ARRAY && g->u.arr.n > 0) {
		for (i = 0; i < g->u.arr.n; i++) {
			x = g->u.arr.items[i];
			if ((v = scim_str(x, "value")) != NULL)
				value_set(a, x, "$ref", value_cstr(a,
				    arena_strcat(a, base, "/Groups/", v,
				    (char *)NULL)));
			value_set(a, x, "type", value_cstr(a, "direct"));
		}
		value_set(a, out, "groups", g);
	}
	value_set(a, out, "meta", scim_res_meta(req, &scim_type_user, r, row,
	    id));
	return out;
}

/*
 * What user_json does with a stored member: its keys a column or the
 * answer owns, in the order user_from_row adds them when the stored User
 * lacks them (from UK_USERNAME on).
 */
enum ukey {
	UK_OTHER = 0, UK_DROP, UK_ENT, UK_USERNAME, UK_DISPLAY, UK_TITLE,
	UK_LOCALE, UK_TZ, UK_NAME, UK_EMAILS, UK_PHONES, UK_ACTIVE
};

static const struct {
	const char	*key;
	enum ukey	 k;
	const char	*col;	/* a column string's, or NULL */
} ukeys[] = {
	{ "password", UK_DROP, NULL },
	{ "externalId", UK_DROP, NULL },
	{ "groups", UK_DROP, NULL },
	{ SCIM_URN_ENT, UK_ENT, NULL },
	{ "userName", UK_USERNAME, "username" },
	{ "displayName", UK_DISPLAY, "display_name" },
	{ "title", UK_TITLE, "title" },
	{ "locale", UK_LOCALE, "locale" },
	{ "timezone", UK_TZ, "time_zone" },
	{ "name", UK_NAME, NULL },
	{ "emails", UK_EMAILS, "email" },
	{ "phoneNumbers", UK_PHONES, "phone" },
	{ "active", UK_ACTIVE, NULL },
};

/*
 * The ukeys entry of a stored key (its text between the quotes), -1 for
 * none; -2 when only its case differs from one, or it has escapes: the
 * tree's look-ups would find it where a comparison of bytes does not.
 */
static int
ukey_of(const struct json_span *k)
{
	size_t i;

	if (memchr(k->p, '\\', k->n) != NULL)
		return -2;
	for (i = 0; i < RS_ARRAY_LEN(ukeys); i++)
		if (strlen(ukeys[i].key) == k->n &&
		    strncasecmp(ukeys[i].key, k->p, k->n) == 0)
			return memcmp(ukeys[i].key, k->p, k->n) == 0 ?
			    (int)i : -2;
	return -1;
}

/* ,"key": */
static void
put_key(struct buf *b, const char *key)
{
	buf_putc(b, ',');
	json_put_string(b, key, strlen(key));
	buf_putc(b, ':');
}

/* ,"key":"s" */
static void
put_member_str(struct buf *b, const char *key, const char *s)
{
	put_key(b, key);
	json_put_string(b, s, strlen(s));
}

/* ,"active":true or false, as the row has it */
static void
put_active(struct buf *b, const PGresult *r, int row)
{
	const char *v = db_get(r, row, "is_active");

	put_key(b, "active");
	if (v != NULL && strcmp(v, "t") == 0)
		buf_put(b, "true", 4);
	else
		buf_put(b, "false", 5);
}

/* ,"key":[{"value":"s","type":"work","primary":true}]: put_primary's */
static void
put_member_primary(struct buf *b, const char *key, const char *s)
{
	put_key(b, key);
	buf_puts(b, "[{\"value\":");
	json_put_string(b, s, strlen(s));
	buf_puts(b, ",\"type\":\"work\",\"primary\":true}]");
}

/*
 * The User of row `row` as JSON text, written from the row's stored JSON
 * without decoding it: the same text as json_encode of user_from_row's
 * tree, at a fraction of the cost (a page of Users is mostly this).
 * NULL when the stored User is one the walk leaves to the tree: not an
 * object, over 1 MB or too deep to decode, more than 128 members, or a
 * key user_from_row looks up that differs from its name in case or is
 * escaped.
 */
static struct value *
user_json(struct http_req *req, const PGresult *r, int row)
{
	struct arena *a = req->arena;
	const char *stored = db_get(r, row, "scim"), *id = db_get(r, row, "id");
	const char *v, *groups;
	struct {
		struct json_span k, v;
		int	 u;	/* ukeys' index, or -1 */
	} m[128];
	struct json_walk w;
	struct json_span k, val;
	struct value *name;
	unsigned seen = 0;
	size_t n = 0, i, len = 0;
	struct buf b;
	int rc, u;

	if (stored != NULL) {
		len = strlen(stored);
		if (len > (1 << 20) ||
		    json_walk_start(&w, stored, len, 63) != 0 || w.close != '}')
			return NULL;
		while ((rc = json_walk_next(&w, &k, &val)) == 1) {
			if (n == RS_ARRAY_LEN(m) || (u = ukey_of(&k)) == -2)
				return NULL;
			m[n].k = k;
			m[n].v = val;
			m[n++].u = u;
			if (u >= 0)
				seen |= 1u << ukeys[u].k;
		}
		if (rc != 0)
			return NULL;
	}
	buf_init(&b, a);
	/* room for all of it at once: the stored text, twice the groups' */
	groups = db_get(r, row, "groups");
	buf_reserve(&b, (stored != NULL ? len : 0) +
	    (groups != NULL ? 2 * strlen(groups) : 0) + 512);
	buf_puts(&b, "{\"schemas\":[\"" SCIM_URN_USER "\"");
	if (seen & (1u << UK_ENT))
		buf_puts(&b, ",\"" SCIM_URN_ENT "\"");
	buf_puts(&b, "],\"id\":");
	json_put_string(&b, id, strlen(id));
	if ((v = db_get(r, row, "external_id")) != NULL)
		put_member_str(&b, "externalId", v);
	for (i = 0; i < n; i++) {
		u = m[i].u;
		switch (u < 0 ? UK_OTHER : ukeys[u].k) {
		case UK_DROP:
			break;
		case UK_USERNAME:
		case UK_DISPLAY:
		case UK_TITLE:
		case UK_LOCALE:
		case UK_TZ:
			if ((v = db_get(r, row, ukeys[u].col)) != NULL)
				put_member_str(&b, ukeys[u].key, v);
			break;
		case UK_NAME:
			name = scim_stored_json_n(a, m[i].v.p, m[i].v.n);
			if ((name = name_of(a, name, r, row)) != NULL) {
				put_key(&b, "name");
				json_encode(&b, name);
			}
			break;
		case UK_ACTIVE:
			put_active(&b, r, row);
			break;
		default:
			buf_putc(&b, ',');
			json_put_compact(&b, m[i].k.p - 1, m[i].k.n + 2);
			buf_putc(&b, ':');
			json_put_compact(&b, m[i].v.p, m[i].v.n);
			break;
		}
	}
	/* what the stored User lacks, in user_from_row's order */
	for (i = 0; i < RS_ARRAY_LEN(ukeys); i++) {
		if (ukeys[i].k < UK_USERNAME || (seen & (1u << ukeys[i].k)))
			continue;
		v = ukeys[i].col != NULL ? db_get(r, row, ukeys[i].col) : NULL;
		switch (ukeys[i].k) {
		case UK_NAME:
			if ((name = name_of(a, NULL, r, row)) != NULL) {
				put_key(&b, "name");
				json_encode(&b, name);
			}
			break;
		case UK_EMAILS:
		case UK_PHONES:
			if (v != NULL)
				put_member_primary(&b, ukeys[i].key, v);
			break;
		case UK_ACTIVE:
			put_active(&b, r, row);
			break;
		default:
			if (v != NULL)
				put_member_str(&b, ukeys[i].key, v);
			break;
		}
	}
	if (scim_put_refs(req, &b, "groups", groups, "/Groups/", "direct",
	    0) != 0)
		return NULL;
	scim_put_meta(req, &b, &scim_type_user, r, row, id);
	buf_putc(&b, '}');
	if (b.failed)
		return NULL;
	return value_raw(a, b.p, b.len);
}

/* Sends one User with its ETag (and Location on 201). */
static void
send_user(struct http_req *req, struct http_resp *resp, int status,
    const PGresult *r)
{
	struct scim_proj p = { NULL, NULL };
	struct value *u = NULL;

	if (scim_proj_init(req, resp, &p) != 0)
		return;
	if (p.attributes == NULL && p.excluded == NULL)
		u = user_json(req, r, 0);
	if (u == NULL) {
		u = user_from_row(req, r, 0);
		scim_proj_apply(req->arena, &p, &scim_rt_user, u);
	}
	scim_res_send(req, resp, &scim_type_user, status, r, u);
}

/* A string column: absent is NULL; too long is a 400 naming it. */
static int
col_str(struct http_req *req, struct http_resp *resp, const char *what,
    const char *s, size_t max, const char **out)
{
	*out = s;
	if (s != NULL && strlen(s) > max) {
		scim_error(req, resp, 400, "invalidValue", arena_sprintf(
		    req->arena, "%s is longer than %zu bytes.", what, max));
		return -1;
	}
	return 0;
}

/*
 * The columns of a normalised User (the password taken out of it and
 * hashed).  0, or -1 with the error sent.
 */
static int
user_cols(struct http_req *req, struct http_resp *resp, struct value *res,
    const char *cols[UC__MAX])
{
	const struct app *app = req->ctx;
	const struct value *name = scim_obj_get(res, "name"), *v;
	char phc[PASSWORD_PHC_MAX];
	const char *pw;
	struct buf b;
	int rc;

	memset(cols, 0, sizeof(*cols) * UC__MAX);
	v = scim_obj_get(res, "externalId");
	if (v != NULL && v->type != VALUE_STRING) {
		scim_error(req, resp, 400, "invalidValue",
		    "externalId must be a string.");
		return -1;
	}
	if ((cols[UC_USERNAME] = scim_str(res, "userName")) == NULL ||
	    *cols[UC_USERNAME] == '\0') {
		scim_error(req, resp, 400, "invalidValue",
		    "userName is required.");
		return -1;
	}
	if (col_str(req, resp, "userName", cols[UC_USERNAME], 256,
	    &cols[UC_USERNAME]) != 0 ||
	    col_str(req, resp, "externalId", scim_str(res, "externalId"), 256,
	    &cols[UC_EXTERNAL]) != 0 ||
	    col_str(req, resp, "name.givenName", scim_str(name, "givenName"),
	    256, &cols[UC_FIRST]) != 0 ||
	    col_str(req, resp, "name.familyName", scim_str(name, "familyName"),
	    256, &cols[UC_LAST]) != 0 ||
	    col_str(req, resp, "displayName", scim_str(res, "displayName"),
	    256, &cols[UC_DISPLAY]) != 0 ||
	    col_str(req, resp, "emails.value", primary_value(res, "emails"),
	    254, &cols[UC_EMAIL]) != 0 ||
	    col_str(req, resp, "phoneNumbers.value", primary_value(res,
	    "phoneNumbers"), 64, &cols[UC_PHONE]) != 0 ||
	    col_str(req, resp, "title", scim_str(res, "title"), 256,
	    &cols[UC_TITLE]) != 0 ||
	    col_str(req, resp, "locale", scim_str(res, "locale"), 64,
	    &cols[UC_LOCALE]) != 0 ||
	    col_str(req, resp, "timezone", scim_str(res, "timezone"), 64,
	    &cols[UC_TZ]) != 0)
		return -1;
	v = scim_obj_get(res, "active");
	cols[UC_ACTIVE] = v != NULL && v->type == VALUE_BOOL &&
	    !v->u.boolean ? "false" : "true";
	if ((pw = scim_str(res, "password")) != NULL) {
		if (strlen(pw) > 1024 || password_length(pw, strlen(pw)) <
		    (size_t)app->cfg->password_min_length) {
			scim_error(req, resp, 400, "invalidValue",
			    arena_sprintf(req->arena, "password must have at "
			    "least %ld characters and at most 1024 bytes.",
			    app->cfg->password_min_length));
			return -1;
		}
		rc = password_hash_slotted(config_hash_slots(app->cfg), pw,
		    strlen(pw), phc, sizeof(phc));
		if (rc == PASSWORD_BUSY) {
			http_resp_header(resp, "Retry-After", "1");
			scim_error(req, resp, 503, NULL, "Too many passwords "
			    "are being set at once: try again in a moment.");
			return -1;
		}
		if (rc != 0) {
			scim_error(req, resp, 500, NULL,
			    "An error has occurred.");
			return -1;
		}
		cols[UC_PASSWORD] = arena_strdup(req->arena, phc);
	}
	scim_obj_del(res, "password");
	scim_obj_del(res, "groups");
	buf_init(&b, req->arena);
	json_encode(&b, res);
	cols[UC_SCIM] = b.p;
	return 0;
}

/* A failed write: 409 uniqueness, 400, or 503/500. */
static void
user_write_error(struct http_req *req, struct http_resp *resp,
    enum db_status st, const char *constraint)
{
	if (st == DB_CONFLICT) {
		scim_error(req, resp, 409, "uniqueness", constraint != NULL &&
		    strcmp(constraint, "users_email_key") == 0 ?
		    "Another user of this tenant has this primary email." :
		    "Another user of this tenant has this userName.");
		return;
	}
	if (st == DB_INVALID) {
		scim_error(req, resp, 400, "invalidValue", "A value is not "
		    "valid for this user.");
		return;
	}
	scim_db_error(req, resp, st);
}

/* A request body normalised as a User, or NULL with the error sent. */
static struct value *
user_body(struct http_req *req, struct http_resp *resp)
{
	struct value *body = scim_body(req, resp, NULL);
	char err[160];

	if (body == NULL)
		return NULL;
	if (scim_normalize(req->arena, &scim_rt_user, body, err,
	    sizeof(err)) != 0) {
		scim_error(req, resp, 400, "invalidValue", arena_strdup(
		    req->arena, err));
		return NULL;
	}
	return body;
}

/* POST /Users */
void
scim_users_create(struct http_req *req, struct http_resp *resp)
{
	const char *cols[UC__MAX], *params[16], *constraint;
	struct value *res;
	enum db_status st;
	PGresult *r;
	int i;

	if (!scim_tenant_ok(req, resp) ||
	    (res = user_body(req, resp)) == NULL ||
	    user_cols(req, resp, res, cols) != 0)
		return;
	params[0] = req->tenant;
	for (i = 0; i < UC__MAX; i++)
		params[1 + i] = cols[i];
	params[14] = scim_actor(req);
	params[15] = req->audit_request_id;
	if ((r = scim_exec(req, STMT_SCIM_USER_CREATE, params, &st,
	    &constraint)) == NULL) {
		user_write_error(req, resp, st, constraint);
		return;
	}
	if (PQntuples(r) != 1 || db_get(r, 0, "id") == NULL) {
		scim_error(req, resp, 404, NULL, "No tenant has this id.");
		return;
	}
	send_user(req, resp, 201, r);
}

/* GET /Users/{id} */
void
scim_users_get(struct http_req *req, struct http_resp *resp)
{
	const char *id;
	PGresult *r;

	if ((id = scim_path_id(req, resp, "user")) == NULL ||
	    (r = scim_res_read(req, resp, &scim_type_user, STMT_SCIM_USER_GET,
	    id)) == NULL)
		return;
	send_user(req, resp, 200, r);
}

/*
 * Writes res over user id if its version is still `version`: 1 done
 * (sent), 0 the version moved on, -1 failed (sent).
 */
static int
user_replace(struct http_req *req, struct http_resp *resp, const char *id,
    struct value *res, const char *version, const char *what)
{
	const char *cols[UC__MAX], *params[19], *constraint;
	enum db_status st;
	PGresult *r;
	int i;

	if (user_cols(req, resp, res, cols) != 0)
		return -1;
	params[0] = req->tenant;
	params[1] = id;
	for (i = 0; i < UC__MAX; i++)
		params[2 + i] = cols[i];
	params[15] = scim_actor(req);
	params[16] = req->audit_request_id;
	params[17] = version;
	params[18] = what;
	if ((r = scim_exec(req, STMT_SCIM_USER_REPLACE, params, &st,
	    &constraint)) == NULL) {
		user_write_error(req, resp, st, constraint);
		return -1;
	}
	if (PQntuples(r) != 1 || db_get(r, 0, "current_version") == NULL) {
		scim_res_missing(req, resp, &scim_type_user);
		return -1;
	}
	if (db_get(r, 0, "id") == NULL)
		return 0;
	send_user(req, resp, 200, r);
	return 1;
}

/* PUT /Users/{id} */
void
scim_users_put(struct http_req *req, struct http_resp *resp)
{
	const char *id, *ifm = scim_if_match(req);
	struct value *res;

	if ((id = scim_path_id(req, resp, "user")) == NULL ||
	    (res = user_body(req, resp)) == NULL)
		return;
	if (user_replace(req, resp, id, res, ifm, "replace") == 0)
		scim_res_changed(req, resp, &scim_type_user);
}

/* PATCH /Users/{id} */
void
scim_users_patch(struct http_req *req, struct http_resp *resp)
{
	const char *id, *ifm = scim_if_match(req), *ver;
	struct value *body, *res;
	PGresult *r;
	int attempt;

	if ((id = scim_path_id(req, resp, "user")) == NULL ||
	    (body = scim_body(req, resp, NULL)) == NULL)
		return;
	for (attempt = 0; attempt < 5; attempt++) {
		if ((r = scim_res_read(req, resp, &scim_type_user,
		    STMT_SCIM_USER_GET, id)) == NULL)
			return;
		ver = db_get(r, 0, "version");
		if (ifm != NULL && strcmp(ifm, ver) != 0)
			break;
		if (scim_patch_empty(body)) {
			send_user(req, resp, 200, r);
			return;
		}
		if ((res = scim_res_patched(req, resp, &scim_type_user, r, body,
		    NULL, NULL)) == NULL)
			return;
		if (user_replace(req, resp, id, res, ver, "patch") != 0)
			return;
		if (ifm != NULL)
			break;
	}
	scim_res_gave_up(req, resp, &scim_type_user, ifm);
}

/* DELETE /Users/{id} */
void
scim_users_delete(struct http_req *req, struct http_resp *resp)
{
	scim_res_delete(req, resp, &scim_type_user);
}

/* The select list of a page of Users. */
static const char *
user_cols_sql(const struct scim_listq *q)
{
	(void)q;
	return DB_SCIM_USER_COLS;
}

const struct scim_type scim_type_user = {
	.noun = "user",
	.rt = &scim_rt_user,
	.map = user_map,
	.nmap = RS_ARRAY_LEN(user_map),
	.sort = user_sort,
	.nsort = RS_ARRAY_LEN(user_sort),
	.table = "users",
	.alias = "u",
	.tiebreak = "u.id",
	.deflt = "u.created_at, u.id",
	.del = STMT_SCIM_USER_DELETE,
	.cols = user_cols_sql,
	.from_row = user_from_row,
	.json_row = user_json,
};

/* GET /Users?filter=&startIndex=&count=&sortBy=&sortOrder=&attributes= */
void
scim_users_list(struct http_req *req, struct http_resp *resp)
{
	scim_res_list(req, resp, &scim_type_user);
}
