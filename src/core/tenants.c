/*
 * tenants.c: tenant operations.
 */
#include <ctype.h>
#include <string.h>

#include "core.h"

/* A URL-safe slug from a display name: "Acme Corp." -> "acme-corp". */
char *
core_slug_from_name(struct arena *a, const char *name)
{
	char *s = arena_alloc(a, 64), *o = s;
	const char *p;

	for (p = name; *p != '\0' && o - s < 63; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) && ch < 0x80)
			*o++ = (char)tolower(ch);
		else if (o > s && o[-1] != '-')
			*o++ = '-';
	}
	while (o > s && o[-1] == '-')
		o--;
	*o = '\0';
	return s;
}

/*
 * Creates a tenant with its standard roles and default group.  See
 * core.h.
 */
enum core_status
core_tenant_bootstrap(const struct core_ctx *c, const char *name,
    char id_out[UUID_STR_LEN + 1], struct core_errors *errs)
{
	const char *params[6];
	enum db_status st;
	char *slug;
	PGresult *r;

	if (name == NULL || strlen(name) == 0 || strlen(name) > 256) {
		core_error_add(c->a, errs, CF_TENANT_NAME, -1,
		    name == NULL || *name == '\0' ? CE_REQUIRED : CE_TOO_LONG,
		    256, NULL);
		return CORE_INVALID;
	}
	slug = core_slug_from_name(c->a, name);
	if (*slug == '\0') {
		core_error_add(c->a, errs, CF_TENANT_NAME, -1, CE_INVALID, 0,
		    name);
		return CORE_INVALID;
	}
	uuid_new(id_out);
	params[0] = id_out;
	params[1] = name;
	params[2] = slug;
	params[3] = c->actor;
	params[4] = NULL;
	params[5] = c->request_id;
	r = db_exec(c->db, c->a, STMT_TENANT_CREATE, params, &st, NULL);
	if (r == NULL) {
		if (st == DB_CONFLICT)
			core_error_add(c->a, errs, CF_TENANT_NAME, -1,
			    CE_TAKEN, 0, name);
		return core_from_db(st);
	}
	return CORE_OK;
}

/* Returns CORE_OK when tenant_id exists. */
enum core_status
core_tenant_exists(const struct core_ctx *c, const char *tenant_id)
{
	const char *params[1] = { tenant_id };
	enum db_status st;
	PGresult *r;

	r = db_exec(c->db, c->a, STMT_TENANT_EXISTS, params, &st, NULL);
	if (r == NULL)
		return core_from_db(st);
	return PQntuples(r) > 0 ? CORE_OK : CORE_NOT_FOUND;
}
