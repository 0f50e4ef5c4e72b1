/*
 * auth0.c: the Auth0 source of rosterctl import: a line of an Auth0 user
 * export (NDJSON: the Management API's export job, the User Import /
 * Export extension, or Auth0's bulk-import schema with password hashes)
 * as a user record.  jsonl.c reads the lines; this maps one object.
 *
 * user_id (or the password-hash export's _id.$oid, as "auth0|<oid>") is
 * the externalId; username (else email) the username; given_name,
 * family_name, name and phone_number are firstName, lastName,
 * displayName and phone; blocked is not active; email_verified is
 * verified; app_metadata.roles and app_metadata.groups (arrays of
 * strings) are the roles and groups.  A password hash (password_hash,
 * passwordHash, or custom_password_hash {algorithm, hash {value}} of
 * bcrypt, argon2 or pbkdf2, already a PHC or bcrypt string) is kept as
 * it is; another algorithm imports the user without a password and says
 * so.  Every other field is not imported.
 */
#include <stdio.h>
#include <string.h>

#include "formats/formats.h"
#include "imp/imp.h"
#include "util/util.h"

static const char *
a0_str(const struct value *obj, const char *key, size_t *n)
{
	const struct value *v = value_get(obj, key);

	if (v == NULL || v->type != VALUE_STRING)
		return NULL;
	*n = v->u.str.len;
	return v->u.str.p;
}

static void
a0_field(struct arena *a, struct imp_rec *r, int f, const struct value *doc,
    const char *key)
{
	const struct value *v = value_get(doc, key);

	if (v == NULL || v->type == VALUE_NULL)
		return;
	if (v->type != VALUE_STRING) {
		imp_rec_error(a, r, f, "%s is not a string", key);
		return;
	}
	r->f[f].v = v->u.str.p;
	r->f[f].len = v->u.str.len;
}

static void
a0_bool(struct arena *a, struct imp_rec *r, int f, const struct value *doc,
    const char *key, int negate)
{
	const struct value *v = value_get(doc, key);

	if (v == NULL || v->type == VALUE_NULL)
		return;
	if (v->type != VALUE_BOOL) {
		imp_rec_error(a, r, f, "%s is not true or false", key);
		return;
	}
	r->f[f].v = (v->u.boolean != 0) != negate ? "true" : "false";
	r->f[f].len = strlen(r->f[f].v);
}

static void
a0_password(struct imp_notes *notes, struct arena *a, struct imp_rec *r,
    const struct value *doc)
{
	const struct value *c = value_get(doc, "custom_password_hash");
	const char *s, *alg;
	size_t n;

	if ((s = a0_str(doc, "password_hash", &n)) != NULL ||
	    (s = a0_str(doc, "passwordHash", &n)) != NULL) {
		r->f[IF_PASSWORD].v = s;
		r->f[IF_PASSWORD].len = n;
		return;
	}
	if (c == NULL || c->type == VALUE_NULL)
		return;
	if (c->type != VALUE_OBJECT || (alg = a0_str(c, "algorithm", &n)) ==
	    NULL) {
		imp_rec_error(a, r, IF_PASSWORD, "custom_password_hash has "
		    "no algorithm");
		return;
	}
	if (strcmp(alg, "bcrypt") != 0 && strcmp(alg, "argon2") != 0 &&
	    strcmp(alg, "pbkdf2") != 0) {
		r->warn = arena_sprintf(a, "custom_password_hash: password "
		    "algorithm \"%.64s\" is none rosterd keeps; the user is "
		    "imported without a password", alg);
		if (notes != NULL) {
			notes->no_password++;
			imp_notes_alg(notes, alg);
		}
		return;
	}
	if ((s = a0_str(value_get(c, "hash"), "value", &n)) == NULL) {
		imp_rec_error(a, r, IF_PASSWORD, "custom_password_hash.hash."
		    "value is not a string");
		return;
	}
	r->f[IF_PASSWORD].v = s;
	r->f[IF_PASSWORD].len = n;
}

void
auth0_record(void *notes, struct arena *a, struct imp_rec *r,
    const struct value *doc)
{
	const struct value *meta = value_get(doc, "app_metadata"), *v;
	const char *s;
	size_t n;

	r->kind = IMP_USER;
	a0_field(a, r, IF_EXTERNAL_ID, doc, "user_id");
	if (r->f[IF_EXTERNAL_ID].v == NULL &&
	    (s = a0_str(value_get(doc, "_id"), "$oid", &n)) != NULL) {
		r->f[IF_EXTERNAL_ID].v = arena_sprintf(a, "auth0|%s", s);
		r->f[IF_EXTERNAL_ID].len = n + 6;
	}
	a0_field(a, r, IF_EMAIL, doc, "email");
	a0_field(a, r, IF_USERNAME, doc, "username");
	if (r->f[IF_USERNAME].v == NULL)
		r->f[IF_USERNAME] = r->f[IF_EMAIL];
	if (r->f[IF_USERNAME].v == NULL)
		imp_rec_error(a, r, IF_USERNAME, "no username and no email");
	a0_field(a, r, IF_FIRST_NAME, doc, "given_name");
	a0_field(a, r, IF_LAST_NAME, doc, "family_name");
	a0_field(a, r, IF_DISPLAY_NAME, doc, "name");
	a0_field(a, r, IF_PHONE, doc, "phone_number");
	a0_bool(a, r, IF_VERIFIED, doc, "email_verified", 0);
	a0_bool(a, r, IF_ACTIVE, doc, "blocked", 1);
	if (meta != NULL && meta->type == VALUE_OBJECT) {
		if ((v = value_get(meta, "roles")) != NULL &&
		    v->type != VALUE_NULL)
			imp_json_list(a, r, IF_ROLES, v);
		if ((v = value_get(meta, "groups")) != NULL &&
		    v->type != VALUE_NULL)
			imp_json_list(a, r, IF_GROUPS, v);
	}
	a0_password(notes, a, r, doc);
}
