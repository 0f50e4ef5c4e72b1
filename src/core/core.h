/*
 * core.h: the identity domain.  Plain structs in, plain structs out, one
 * function per operation.  Knows nothing of HTTP or of any vendor: field
 * problems are reported as (field, index, code) so that each dialect
 * names them in its own words.
 */
#ifndef ROSTERD_CORE_H
#define ROSTERD_CORE_H

#include <stddef.h>

#include "../db/db.h"
#include "../util/util.h"

enum core_status {
	CORE_OK = 0,
	CORE_INVALID,		/* field errors in struct core_errors */
	CORE_NOT_FOUND,
	CORE_CONFLICT,		/* field errors name what is taken */
	CORE_PRECONDITION,
	CORE_FORBIDDEN,
	CORE_TOO_LARGE,
	CORE_UNAVAILABLE,
	CORE_INTERNAL,
	CORE__MAX
};

/* The fields the core validates, for the dialects' name tables. */
enum core_field {
	CF_NONE = 0,		/* the request as a whole */
	CF_USER_ID,
	CF_USERNAME,
	CF_EMAIL,
	CF_FIRST_NAME,
	CF_LAST_NAME,
	CF_TITLE,
	CF_PHONE,
	CF_EXTERNAL_ID,
	CF_ROLE_ID,		/* index = position in the request's roles */
	CF_ROLE_NAME,
	CF_ROLE_TENANT,
	CF_TENANT_NAME,
	CF__MAX
};

enum core_code {
	CE_REQUIRED = 0,	/* missing or empty */
	CE_TOO_LONG,		/* limit = the maximum length */
	CE_INVALID_EMAIL,
	CE_INVALID,		/* malformed (a uuid, a number) */
	CE_UNKNOWN,		/* names nothing that exists */
	CE_OTHER_TENANT,	/* belongs to another tenant */
	CE_TAKEN,		/* already in use */
	CE__MAX
};

struct core_error {
	enum core_field	 field;
	int		 index;		/* list position, -1 if none */
	enum core_code	 code;
	long		 limit;		/* CE_TOO_LONG: the maximum */
	const char	*value;		/* the offending value, or NULL */
};

struct core_errors {
	struct core_error *v;
	size_t		 n, cap;
};

/* errors.c */
void core_error_add(struct arena *a, struct core_errors *e,
    enum core_field field, int index, enum core_code code, long limit,
    const char *value);
const char *core_status_str(enum core_status st);
/* Maps a database status (db.h) to a core status. */
enum core_status core_from_db(enum db_status st);

/* The context of one operation: who, with which connection. */
struct core_ctx {
	struct db	*db;
	struct arena	*a;
	const char	*actor;		/* the caller's sub, for audit */
	const char	*request_id;
};

/* A role named by a request: by id, or by name when id is NULL. */
struct core_role_ref {
	const char	*id;		/* canonical uuid or NULL */
	const char	*name;		/* or NULL */
	const char	*tenant_id;	/* canonical uuid the caller claims, or NULL */
	int		 tenant_invalid;/* the claimed tenant id was not a uuid */
	int		 id_invalid;	/* the id was given but not a uuid */
};

struct core_role {
	const char	*id;
	const char	*name;
	const char	*tenant_id;
};

/* A user; NULL strings are absent/null. */
struct core_user {
	const char	*id;
	const char	*tenant_id;
	const char	*username;
	const char	*email;
	const char	*first_name;
	const char	*last_name;
	const char	*title;
	const char	*phone;
	const char	*external_id;
	struct core_role *roles;
	size_t		 nroles;
};

struct core_user_new {
	const char	*id;		/* canonical uuid; NULL or nil = new */
	int		 id_invalid;	/* an id was given but is not a uuid */
	const char	*username;
	const char	*email;
	const char	*first_name;
	const char	*last_name;
	const char	*title;
	const char	*phone;
	const char	*external_id;
	const struct core_role_ref *roles;
	size_t		 nroles;
};

/* validate.c */
int core_valid_email(const char *s) RS_MUSTCHECK;
/* Validates a new user (a blank e-mail becomes NULL); adds to errs. */
void core_user_validate(struct arena *a, struct core_user_new *u,
    const char *tenant_id, struct core_errors *errs);

/* users.c */

/*
 * Creates user `in` in tenant tenant_id with its role assignments and an
 * audit row, in one statement (nothing is written on failure).  On
 * CORE_OK fills *out (roles deduplicated, in request order).  Returns
 * CORE_INVALID (errs filled), CORE_NOT_FOUND (no such tenant),
 * CORE_CONFLICT (errs names the taken field), CORE_UNAVAILABLE or
 * CORE_INTERNAL.
 */
enum core_status core_user_create(const struct core_ctx *c,
    const char *tenant_id, struct core_user_new *in, struct core_user *out,
    struct core_errors *errs) RS_MUSTCHECK;

/* tenants.c */

/*
 * Creates a tenant with the roles Administrator and Member and a default
 * user group; writes its id into id_out.  CORE_CONFLICT when the slug
 * derived from name is taken.
 */
enum core_status core_tenant_bootstrap(const struct core_ctx *c,
    const char *name, char id_out[UUID_STR_LEN + 1],
    struct core_errors *errs) RS_MUSTCHECK;
/* A URL-safe slug from a display name ("Acme Corp." -> "acme-corp"). */
char *core_slug_from_name(struct arena *a, const char *name);
/* CORE_OK when the tenant exists, CORE_NOT_FOUND when not. */
enum core_status core_tenant_exists(const struct core_ctx *c,
    const char *tenant_id) RS_MUSTCHECK;

#endif
