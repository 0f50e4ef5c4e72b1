/*
 * users.c: user operations.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* Positions listed in a PostgreSQL int array text ("{0,2}"). */
static void
report_missing_roles(const struct core_ctx *c, const struct core_user_new *in,
    const char *missing, struct core_errors *errs)
{
	const char *p = missing;
	char *end;

	while (*p != '\0') {
		long i;

		if (*p == '{' || *p == ',' || *p == '}') {
			p++;
			continue;
		}
		i = strtol(p, &end, 10);
		if (end == p)
			break;
		p = end;
		if (i < 0 || (size_t)i >= in->nroles)
			continue;
		if (in->roles[i].id != NULL)
			core_error_add(c->a, errs, CF_ROLE_ID, (int)i,
			    CE_UNKNOWN, 0, in->roles[i].id);
		else
			core_error_add(c->a, errs, CF_ROLE_NAME, (int)i,
			    CE_UNKNOWN, 0, in->roles[i].name);
	}
}

static enum core_status
conflict(const struct core_ctx *c, const char *constraint,
    const struct core_user_new *in, struct core_errors *errs)
{
	enum core_field f = CF_USERNAME;
	const char *v = in->username;

	if (constraint != NULL && strcmp(constraint, "users_email_key") == 0) {
		f = CF_EMAIL;
		v = in->email;
	} else if (constraint != NULL && strcmp(constraint, "users_pkey") == 0) {
		f = CF_USER_ID;
		v = in->id;
	}
	core_error_add(c->a, errs, f, -1, CE_TAKEN, 0, v);
	return CORE_CONFLICT;
}

static void
read_user(const struct core_ctx *c, const PGresult *r, const char *tenant_id,
    struct core_user *out)
{
	int i, n = PQntuples(r);

	memset(out, 0, sizeof(*out));
	out->tenant_id = tenant_id;
	out->id = arena_strdup(c->a, db_get(r, 0, "id"));
	out->username = db_get(r, 0, "username");
	out->email = db_get(r, 0, "email");
	out->first_name = db_get(r, 0, "first_name");
	out->last_name = db_get(r, 0, "last_name");
	out->title = db_get(r, 0, "title");
	out->phone = db_get(r, 0, "phone");
	out->external_id = db_get(r, 0, "external_id");
	out->roles = arena_allocarray(c->a, (size_t)n, sizeof(*out->roles));
	for (i = 0; i < n; i++) {
		const char *rid = db_get(r, i, "role_id");

		if (rid == NULL)
			continue;
		out->roles[out->nroles].id = rid;
		out->roles[out->nroles].name = db_get(r, i, "role_name");
		out->roles[out->nroles].tenant_id = tenant_id;
		out->nroles++;
	}
}

static void
role_arrays(const struct core_ctx *c, const struct core_user_new *in,
    const char **ids_out, const char **names_out)
{
	const char **ids, **names;
	size_t i;

	ids = arena_allocarray(c->a, in->nroles + 1, sizeof(*ids));
	names = arena_allocarray(c->a, in->nroles + 1, sizeof(*names));
	for (i = 0; i < in->nroles; i++) {
		ids[i] = in->roles[i].id;
		names[i] = in->roles[i].id == NULL ? in->roles[i].name : NULL;
	}
	*ids_out = db_array_literal(c->a, ids, in->nroles);
	*names_out = db_array_literal(c->a, names, in->nroles);
}

/*
 * An invalid request still learns which of its roles do not exist, so
 * that a client fixes everything at once (one extra read, only on this
 * error path; a database that does not answer just leaves them out).
 */
static void
add_unknown_roles(const struct core_ctx *c, const char *tenant_id,
    const struct core_user_new *in, struct core_errors *errs)
{
	const char *params[3], *missing;
	enum db_status st;
	PGresult *r;

	if (in->nroles == 0 || in->nroles > 100)
		return;
	params[0] = tenant_id;
	role_arrays(c, in, &params[1], &params[2]);
	r = db_exec(c->db, c->a, STMT_ROLES_MISSING, params, &st, NULL);
	if (r != NULL && (missing = db_get(r, 0, "missing")) != NULL)
		report_missing_roles(c, in, missing, errs);
}

/*
 * Creates a user, its role assignments and its audit row.  See core.h.
 */
enum core_status
core_user_create(const struct core_ctx *c, const char *tenant_id,
    struct core_user_new *in, struct core_user *out, struct core_errors *errs)
{
	const char *params[13], *constraint, *missing, *ok;
	char newid[UUID_STR_LEN + 1];
	enum db_status st;
	PGresult *r;

	core_user_validate(c->a, in, tenant_id, errs);
	if (errs->n > 0) {
		add_unknown_roles(c, tenant_id, in, errs);
		return CORE_INVALID;
	}
	if (in->id == NULL || uuid_is_nil(in->id)) {
		uuid_new(newid);
		in->id = arena_strdup(c->a, newid);
	}
	params[0] = tenant_id;
	params[1] = in->id;
	params[2] = in->username;
	params[3] = in->email;
	params[4] = in->first_name;
	params[5] = in->last_name;
	params[6] = in->title;
	params[7] = in->phone;
	params[8] = in->external_id;
	role_arrays(c, in, &params[9], &params[10]);
	params[11] = c->actor;
	params[12] = c->request_id;

	r = db_exec(c->db, c->a, STMT_USER_CREATE, params, &st, &constraint);
	if (r == NULL)
		return st == DB_CONFLICT ? conflict(c, constraint, in, errs) :
		    core_from_db(st);
	ok = db_get(r, 0, "tenant_ok");
	if (ok == NULL || strcmp(ok, "t") != 0)
		return CORE_NOT_FOUND;
	if ((missing = db_get(r, 0, "missing")) != NULL) {
		report_missing_roles(c, in, missing, errs);
		return CORE_INVALID;
	}
	if (db_get(r, 0, "id") == NULL)
		return CORE_INTERNAL;
	read_user(c, r, tenant_id, out);
	return CORE_OK;
}
