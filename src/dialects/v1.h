/*
 * v1.h: what the /v1 handlers share (v1.c) and the handlers themselves
 * (v1_tenants.c, v1_users.c).
 */
#ifndef ROSTERD_V1_H
#define ROSTERD_V1_H

#include <stdio.h>
#include <strings.h>

#include "dialect.h"

/* The type of a body field. */
enum v1_type {
	VT_STRING = 0,
	VT_EMAIL,		/* a string that must be an e-mail address */
	VT_SLUG,		/* a-z, 0-9, '-', 1..63, not starting with '-' */
	VT_BOOL,
	VT_OBJECT,		/* free-form attributes; max = encoded bytes */
	VT_ENUM,		/* one of the strings in choices */
	VT_INT,			/* a whole number from 0 to max */
};

enum v1_field_flags {
	VF_REQUIRED = 1u << 0,	/* must be present on create */
	VF_NOT_NULL = 1u << 1,	/* null and "" refused */
	VF_CREATE_ONLY = 1u << 2,	/* refused in a PATCH */
};

struct v1_field {
	const char	*name;		/* camelCase, as on the wire */
	enum v1_type	 type;
	long		 max;		/* bytes */
	unsigned	 flags;
	const char *const *choices;	/* VT_ENUM: NULL-terminated */
};

enum v1_mode {
	V1_CREATE = 0,
	V1_PATCH,
};

struct v1_page {
	int		 limit;
	char		 limit_plus_one[16];
	int		 has_cursor;
	char		 cur_us[24];
	char		 cur_id[UUID_STR_LEN + 1];
};

extern const struct dialect dialect_v1;

void v1_problem(struct http_req *req, struct http_resp *resp, int status,
    const char *detail);
void v1_errors_add(struct arena *a, struct value *errors, const char *field,
    const char *code, const char *detail);
void v1_field_problem(struct http_req *req, struct http_resp *resp,
    int status, const char *detail, struct value *errors);
void v1_field_error(struct http_req *req, struct http_resp *resp, int status,
    const char *field, const char *code, const char *detail);
void v1_db_error(struct http_req *req, struct http_resp *resp,
    enum db_status st, const char *constraint, const char *const *conflicts);

struct value *v1_json_body(struct http_req *req, struct http_resp *resp,
    const struct fmt_limits *lim);
const char *v1_checked_body(struct http_req *req, struct http_resp *resp,
    const struct v1_field *fields, size_t nfields, enum v1_mode mode,
    struct value **obj);

const char *v1_query(const struct http_req *req, const char *name, int *bad);
int v1_page(struct http_req *req, struct http_resp *resp,
    struct v1_page *pg) RS_MUSTCHECK;
void v1_send_page(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const struct v1_page *pg);

const char *v1_if_match(const struct http_req *req);
void v1_send_resource(struct http_req *req, struct http_resp *resp,
    int status, const char *json, const char *version);
void v1_send_created(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *collection);
void v1_send_created_once(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *collection, const char *token);
void v1_send_empty(struct http_resp *resp);
const char *v1_path_id(struct http_req *req, struct http_resp *resp,
    const char *name, const char *what);
PGresult *v1_exec(struct http_req *req, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint);
const char *v1_actor(const struct http_req *req);
void v1_send_patched(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *what);
void v1_send_deleted(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *what);
void v1_send_got(struct http_req *req, struct http_resp *resp,
    const PGresult *r, const char *what);
int v1_patch_nothing(struct http_req *req, struct http_resp *resp,
    const char *patch, enum stmt get, const char *const *get_params,
    const char *what);

/* A tenant-scoped resource: what v1_resource.c needs to serve it. */
struct v1_resource {
	const char	*what;		/* "user": in messages */
	const char	*collection;	/* "users": in Location */
	const char	*id_param;	/* "userId": the path parameter */
	const struct v1_field *fields;
	size_t		 nfields;
	const char *const *conflicts;	/* constraint, field, ..., NULL */
	enum stmt	 create, get, patch, del;
};

void v1_res_create(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res);
void v1_res_get(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res);
void v1_res_patch(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res);
void v1_res_delete(struct http_req *req, struct http_resp *resp,
    const struct v1_resource *res);
void v1_res_list(struct http_req *req, struct http_resp *resp, enum stmt id,
    const char **params, size_t first, const struct v1_page *pg,
    const char *owner_ok, const char *owner);

/* v1_tenants.c */
void v1_tenants_create(struct http_req *req, struct http_resp *resp);
void v1_tenants_list(struct http_req *req, struct http_resp *resp);
void v1_tenants_get(struct http_req *req, struct http_resp *resp);
void v1_tenants_patch(struct http_req *req, struct http_resp *resp);
void v1_tenants_delete(struct http_req *req, struct http_resp *resp);

/* v1_groups.c */
void v1_groups_create(struct http_req *req, struct http_resp *resp);
void v1_groups_list(struct http_req *req, struct http_resp *resp);
void v1_groups_get(struct http_req *req, struct http_resp *resp);
void v1_groups_patch(struct http_req *req, struct http_resp *resp);
void v1_groups_delete(struct http_req *req, struct http_resp *resp);
void v1_members_list(struct http_req *req, struct http_resp *resp);
void v1_members_add(struct http_req *req, struct http_resp *resp);
void v1_members_remove(struct http_req *req, struct http_resp *resp);
void v1_member_delete(struct http_req *req, struct http_resp *resp);
void v1_users_groups(struct http_req *req, struct http_resp *resp);

/* v1_roles.c */
void v1_roles_create(struct http_req *req, struct http_resp *resp);
void v1_roles_list(struct http_req *req, struct http_resp *resp);
void v1_roles_get(struct http_req *req, struct http_resp *resp);
void v1_roles_patch(struct http_req *req, struct http_resp *resp);
void v1_roles_delete(struct http_req *req, struct http_resp *resp);
void v1_user_role_put(struct http_req *req, struct http_resp *resp);
void v1_user_role_delete(struct http_req *req, struct http_resp *resp);
void v1_user_roles(struct http_req *req, struct http_resp *resp);

/* v1_imports.c */
void v1_imports_create(struct http_req *req, struct http_resp *resp);
void v1_imports_list(struct http_req *req, struct http_resp *resp);
void v1_imports_get(struct http_req *req, struct http_resp *resp);
void v1_imports_errors(struct http_req *req, struct http_resp *resp);
void v1_imports_cancel(struct http_req *req, struct http_resp *resp);
void v1_export(struct http_req *req, struct http_resp *resp);

/* v1_invites.c */
void v1_invites_create(struct http_req *req, struct http_resp *resp);
void v1_invites_list(struct http_req *req, struct http_resp *resp);
void v1_invites_get(struct http_req *req, struct http_resp *resp);
void v1_invites_revoke(struct http_req *req, struct http_resp *resp);
void v1_invites_accept(struct http_req *req, struct http_resp *resp);

/* v1_audit.c */
void v1_audit_list(struct http_req *req, struct http_resp *resp);

/* v1_tokens.c */
void v1_api_tokens_create(struct http_req *req, struct http_resp *resp);
void v1_api_tokens_list(struct http_req *req, struct http_resp *resp);
void v1_api_tokens_get(struct http_req *req, struct http_resp *resp);
void v1_api_tokens_revoke(struct http_req *req, struct http_resp *resp);
void v1_aliases_create(struct http_req *req, struct http_resp *resp);
void v1_aliases_list(struct http_req *req, struct http_resp *resp);
void v1_aliases_get(struct http_req *req, struct http_resp *resp);
void v1_aliases_delete(struct http_req *req, struct http_resp *resp);

/* v1_users.c */
void v1_users_create(struct http_req *req, struct http_resp *resp);
void v1_users_list(struct http_req *req, struct http_resp *resp);
void v1_users_get(struct http_req *req, struct http_resp *resp);
void v1_users_patch(struct http_req *req, struct http_resp *resp);
void v1_users_delete(struct http_req *req, struct http_resp *resp);

#endif
