/*
 * authz.c: who may do what.  SystemAdmin acts on every
 * tenant; TenantAdmin and TenantReader only on the tenant named by
 * their token's tid.  Anything not explicitly allowed is denied.
 */
#include <string.h>

#include "auth.h"

/*
 * Does p hold `role` for exactly `tenant`?  Both sides are canonical
 * lower-case uuid text (jwt.c normalises tid; the request layer the
 * path or header), so plain strcmp() is the right comparison.
 */
static int
authz_tenant_role(const struct principal *p, unsigned role,
    const char *tenant)
{
	if (!(p->roles & role))
		return 0;
	if (tenant == NULL || p->tid == NULL)
		return 0;
	return strcmp(tenant, p->tid) == 0;
}

/*
 * Decides whether p may exercise `right` on `tenant` (NULL when the
 * request names no tenant).  p may be NULL only for AUTHZ_PUBLIC.
 * Returns AUTHZ_ALLOW; AUTHZ_NO_TENANT when a SystemAdmin calls a
 * tenant route without naming a tenant; AUTHZ_DENY otherwise, including
 * for an unknown right or a NULL principal.
 */
enum authz_result
authz_check(const struct principal *p, enum authz_right right,
    const char *tenant)
{
	if (right == AUTHZ_PUBLIC)
		return AUTHZ_ALLOW;
	if (p == NULL)
		return AUTHZ_DENY;

	switch (right) {
	case AUTHZ_SYSTEM_ADMIN:
		return (p->roles & AUTH_ROLE_SYSTEM_ADMIN) ?
		    AUTHZ_ALLOW : AUTHZ_DENY;
	case AUTHZ_TENANT_ADMIN:
	case AUTHZ_TENANT_READ:
		if (p->roles & AUTH_ROLE_SYSTEM_ADMIN)
			return tenant != NULL ? AUTHZ_ALLOW : AUTHZ_NO_TENANT;
		if (authz_tenant_role(p, AUTH_ROLE_TENANT_ADMIN, tenant))
			return AUTHZ_ALLOW;
		if (right == AUTHZ_TENANT_READ &&
		    authz_tenant_role(p, AUTH_ROLE_TENANT_READER, tenant))
			return AUTHZ_ALLOW;
		return AUTHZ_DENY;
	default:
		return AUTHZ_DENY;
	}
}

const char *
authz_right_name(enum authz_right right)
{
	switch (right) {
	case AUTHZ_PUBLIC:
		return "public";
	case AUTHZ_SYSTEM_ADMIN:
		return "SystemAdmin";
	case AUTHZ_TENANT_ADMIN:
		return "TenantAdmin";
	case AUTHZ_TENANT_READ:
		return "TenantReader";
	default:
		return NULL;
	}
}
