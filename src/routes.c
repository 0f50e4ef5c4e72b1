/*
 * routes.c: THE route table.  Each route names its method, its pattern,
 * the right it requires (checked before the handler, in one place), the
 * path parameter naming its tenant, and its dialect.
 */
#include <strings.h>

#include "dialects/dialect.h"

const struct route routes[] = {
	{ "GET", "/healthz", 0, AUTHZ_PUBLIC, NULL, &dialect_plain,
	    health_healthz },
	{ "GET", "/readyz", 0, AUTHZ_PUBLIC, NULL, &dialect_plain,
	    health_readyz },
	{ "POST", "/api/organizations/{organizationId}/users", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "organizationId", &dialect_aspnet_004,
	    aspnet_org_users_post },
};

const size_t nroutes = RS_ARRAY_LEN(routes);

/* ASP.NET answers unknown paths under its prefixes in its own shape. */
const struct dialect *
routes_dialect_for_path(const char *path)
{
	if (strncasecmp(path, "/api/", 5) == 0)
		return &dialect_aspnet_004;
	return &dialect_plain;
}
