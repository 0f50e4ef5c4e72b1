/*
 * routes.c: THE route table.  Each route names its method, its pattern,
 * the right it requires (checked before the handler, in one place), the
 * path parameter naming its tenant, and its dialect.
 */
#include <string.h>
#include <strings.h>

#include "dialects/dialect.h"
#include "dialects/scim.h"
#include "dialects/v1.h"

const struct route routes[] = {
	{ "GET", "/healthz", ROUTE_NO_DB, AUTHZ_PUBLIC, NULL, &dialect_plain,
	    health_healthz },
	{ "GET", "/readyz", ROUTE_NO_DB, AUTHZ_PUBLIC, NULL, &dialect_plain,
	    health_readyz },
	{ "GET", "/openapi.json", ROUTE_NO_DB, AUTHZ_PUBLIC, NULL, &dialect_plain,
	    health_openapi },
	/* Public to rosterd: nginx lets only this host reach it. */
	{ "GET", "/metrics", ROUTE_NO_DB, AUTHZ_PUBLIC, NULL, &dialect_plain,
	    health_metrics },
	{ "POST", "/api/organizations/{organizationId}/users", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "organizationId", &dialect_aspnet_004,
	    aspnet_org_users_post },
	/* ASP.NET seeds 000 and 003: below this line. */
	{ "POST", "/Application/PostSecurityGroupUsers", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_aspnet_000,
	    aspnet_security_group_users_post },
	{ "POST", "/api/users", ROUTE_CI, AUTHZ_TENANT_ADMIN, NULL,
	    &dialect_aspnet_003, aspnet_accounts_post },

	/* ServiceStack seed 001 and Kibo seed 002: below this line. */
	{ "POST", "/usergroupuserinvite", ROUTE_CI | ROUTE_FMT_SUFFIX,
	    AUTHZ_SYSTEM_ADMIN, NULL, &dialect_servicestack, ss_invite_post },
	{ "POST", "/platform/adminuser/groups/{groupCode}/addusers",
	    ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT, AUTHZ_TENANT_ADMIN, NULL,
	    &dialect_kibo, kibo_group_addusers },
	{ "POST", "/platform/adminuser/groups/{groupCode}/removeusers",
	    ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT, AUTHZ_TENANT_ADMIN, NULL,
	    &dialect_kibo, kibo_group_removeusers },
	/* ServiceStack's predefined routes: the format is the path's */
	{ "POST", "/api/UserGroupUserInvite", ROUTE_CI, AUTHZ_SYSTEM_ADMIN,
	    NULL, &dialect_servicestack, ss_invite_post },
	{ "POST", "/json/reply/UserGroupUserInvite", ROUTE_CI,
	    AUTHZ_SYSTEM_ADMIN, NULL, &dialect_servicestack, ss_invite_post },
	{ "POST", "/jsv/reply/UserGroupUserInvite", ROUTE_CI,
	    AUTHZ_SYSTEM_ADMIN, NULL, &dialect_servicestack, ss_invite_post },
	{ "POST", "/xml/reply/UserGroupUserInvite", ROUTE_CI,
	    AUTHZ_SYSTEM_ADMIN, NULL, &dialect_servicestack, ss_invite_post },
	{ "POST", "/csv/reply/UserGroupUserInvite", ROUTE_CI,
	    AUTHZ_SYSTEM_ADMIN, NULL, &dialect_servicestack, ss_invite_post },
	/* Kibo's SDKs call the platform under their base path .../api */
	{ "POST", "/api/platform/adminuser/groups/{groupCode}/addusers",
	    ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT, AUTHZ_TENANT_ADMIN, NULL,
	    &dialect_kibo, kibo_group_addusers },
	{ "POST", "/api/platform/adminuser/groups/{groupCode}/removeusers",
	    ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT, AUTHZ_TENANT_ADMIN, NULL,
	    &dialect_kibo, kibo_group_removeusers },

	/* rosterd's own API */
	{ "POST", "/v1/tenants", 0, AUTHZ_SYSTEM_ADMIN, NULL, &dialect_v1,
	    v1_tenants_create },
	{ "GET", "/v1/tenants", 0, AUTHZ_SYSTEM_ADMIN, NULL, &dialect_v1,
	    v1_tenants_list },
	{ "GET", "/v1/tenants/{tenantId}", 0, AUTHZ_TENANT_READ, "tenantId",
	    &dialect_v1, v1_tenants_get },
	{ "PATCH", "/v1/tenants/{tenantId}", 0, AUTHZ_TENANT_ADMIN,
	    "tenantId", &dialect_v1, v1_tenants_patch },
	{ "DELETE", "/v1/tenants/{tenantId}", ROUTE_AUTH_CHANGE,
	    AUTHZ_SYSTEM_ADMIN, "tenantId", &dialect_v1, v1_tenants_delete },
	{ "POST", "/v1/tenants/{tenantId}/users", 0, AUTHZ_TENANT_ADMIN,
	    "tenantId", &dialect_v1, v1_users_create },
	{ "GET", "/v1/tenants/{tenantId}/users", 0, AUTHZ_TENANT_READ,
	    "tenantId", &dialect_v1, v1_users_list },
	{ "GET", "/v1/tenants/{tenantId}/users/{userId}", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_users_get },
	{ "PATCH", "/v1/tenants/{tenantId}/users/{userId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_users_patch },
	{ "DELETE", "/v1/tenants/{tenantId}/users/{userId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_users_delete },
	{ "GET", "/v1/tenants/{tenantId}/users/{userId}/groups", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_users_groups },
	{ "POST", "/v1/tenants/{tenantId}/groups", 0, AUTHZ_TENANT_ADMIN,
	    "tenantId", &dialect_v1, v1_groups_create },
	{ "GET", "/v1/tenants/{tenantId}/groups", 0, AUTHZ_TENANT_READ,
	    "tenantId", &dialect_v1, v1_groups_list },
	{ "GET", "/v1/tenants/{tenantId}/groups/{groupId}", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_groups_get },
	{ "PATCH", "/v1/tenants/{tenantId}/groups/{groupId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_groups_patch },
	{ "DELETE", "/v1/tenants/{tenantId}/groups/{groupId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_groups_delete },
	{ "GET", "/v1/tenants/{tenantId}/groups/{groupId}/members", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_members_list },
	{ "POST", "/v1/tenants/{tenantId}/groups/{groupId}/members", ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_members_add },
	{ "POST", "/v1/tenants/{tenantId}/groups/{groupId}/members:remove",
	    ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_members_remove },
	{ "DELETE", "/v1/tenants/{tenantId}/groups/{groupId}/members/{userId}",
	    0, AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_member_delete },
	{ "POST", "/v1/tenants/{tenantId}/roles", 0, AUTHZ_TENANT_ADMIN,
	    "tenantId", &dialect_v1, v1_roles_create },
	{ "GET", "/v1/tenants/{tenantId}/roles", 0, AUTHZ_TENANT_READ,
	    "tenantId", &dialect_v1, v1_roles_list },
	{ "GET", "/v1/tenants/{tenantId}/roles/{roleId}", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_roles_get },
	{ "PATCH", "/v1/tenants/{tenantId}/roles/{roleId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_roles_patch },
	{ "DELETE", "/v1/tenants/{tenantId}/roles/{roleId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_roles_delete },
	{ "GET", "/v1/tenants/{tenantId}/users/{userId}/roles", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_user_roles },
	{ "PUT", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_user_role_put },
	{ "DELETE", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_user_role_delete },
	{ "POST", "/v1/tenants/{tenantId}/invites", 0, AUTHZ_TENANT_ADMIN,
	    "tenantId", &dialect_v1, v1_invites_create },
	{ "GET", "/v1/tenants/{tenantId}/invites", 0, AUTHZ_TENANT_READ,
	    "tenantId", &dialect_v1, v1_invites_list },
	{ "GET", "/v1/tenants/{tenantId}/invites/{inviteId}", 0,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_invites_get },
	{ "DELETE", "/v1/tenants/{tenantId}/invites/{inviteId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_invites_revoke },
	{ "POST", "/v1/invites/accept", 0, AUTHZ_PUBLIC, NULL, &dialect_v1,
	    v1_invites_accept },
	{ "GET", "/v1/tenants/{tenantId}/audit", 0, AUTHZ_TENANT_READ,
	    "tenantId", &dialect_v1, v1_audit_list },
	{ "POST", "/v1/tenants/{tenantId}/api-tokens", ROUTE_AUTH_CHANGE,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1,
	    v1_api_tokens_create },
	{ "GET", "/v1/tenants/{tenantId}/api-tokens", ROUTE_PRIMARY,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_api_tokens_list },
	{ "GET", "/v1/tenants/{tenantId}/api-tokens/{tokenId}", ROUTE_PRIMARY,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_api_tokens_get },
	{ "DELETE", "/v1/tenants/{tenantId}/api-tokens/{tokenId}",
	    ROUTE_AUTH_CHANGE, AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1,
	    v1_api_tokens_revoke },
	/* an alias decides which tenant an outside identity lands in */
	{ "POST", "/v1/tenants/{tenantId}/aliases", ROUTE_AUTH_CHANGE,
	    AUTHZ_SYSTEM_ADMIN, "tenantId", &dialect_v1, v1_aliases_create },
	{ "GET", "/v1/tenants/{tenantId}/aliases", ROUTE_PRIMARY,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_aliases_list },
	{ "GET", "/v1/tenants/{tenantId}/aliases/{aliasId}", ROUTE_PRIMARY,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_v1, v1_aliases_get },
	{ "DELETE", "/v1/tenants/{tenantId}/aliases/{aliasId}",
	    ROUTE_AUTH_CHANGE, AUTHZ_SYSTEM_ADMIN, "tenantId", &dialect_v1,
	    v1_aliases_delete },

	/* import jobs (jobs.c runs them) and the streamed export */
	{ "POST", "/v1/tenants/{tenantId}/imports", ROUTE_UPLOAD,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_imports_create },
	{ "GET", "/v1/tenants/{tenantId}/imports", ROUTE_PRIMARY,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_imports_list },
	{ "GET", "/v1/tenants/{tenantId}/imports/{importId}", ROUTE_PRIMARY,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_imports_get },
	{ "DELETE", "/v1/tenants/{tenantId}/imports/{importId}", 0,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_imports_cancel },
	{ "GET", "/v1/tenants/{tenantId}/imports/{importId}/errors",
	    ROUTE_PRIMARY, AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1,
	    v1_imports_errors },
	{ "GET", "/v1/tenants/{tenantId}/export", ROUTE_PRIMARY,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_v1, v1_export },

	/*
	 * SCIM 2.0: the token's tenant (an API token or a TenantAdmin JWT;
	 * a SystemAdmin names it with X-Tenant-Id), and any tenant by path.
	 */
	{ "GET", "/scim/v2/ServiceProviderConfig", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_spc },
	{ "GET", "/scim/v2/ResourceTypes", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_rtypes },
	{ "GET", "/scim/v2/ResourceTypes/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_rtype_get },
	{ "GET", "/scim/v2/Schemas", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_schemas },
	{ "GET", "/scim/v2/Schemas/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_schema_get },
	{ "GET", "/scim/v2/Me", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_me },
	{ "POST", "/scim/v2/Users", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_users_create },
	{ "GET", "/scim/v2/Users", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_users_list },
	{ "GET", "/scim/v2/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_users_get },
	{ "PUT", "/scim/v2/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_users_put },
	{ "PATCH", "/scim/v2/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_users_patch },
	{ "DELETE", "/scim/v2/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_users_delete },
	{ "POST", "/scim/v2/Groups", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_groups_create },
	{ "GET", "/scim/v2/Groups", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_groups_list },
	{ "GET", "/scim/v2/Groups/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, NULL, &dialect_scim, scim_groups_get },
	{ "PUT", "/scim/v2/Groups/{id}", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_groups_put },
	{ "PATCH", "/scim/v2/Groups/{id}", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_groups_patch },
	{ "DELETE", "/scim/v2/Groups/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_groups_delete },
	{ "POST", "/scim/v2/.search", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_search_root },
	{ "POST", "/scim/v2/Users/.search", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_users_search },
	{ "POST", "/scim/v2/Groups/.search", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_groups_search },
	{ "POST", "/scim/v2/Bulk", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, NULL, &dialect_scim, scim_bulk },
	{ "GET", "/scim/v2/tenants/{tenantId}/ServiceProviderConfig", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_spc },
	{ "GET", "/scim/v2/tenants/{tenantId}/ResourceTypes", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_rtypes },
	{ "GET", "/scim/v2/tenants/{tenantId}/ResourceTypes/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_rtype_get },
	{ "GET", "/scim/v2/tenants/{tenantId}/Schemas", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_schemas },
	{ "GET", "/scim/v2/tenants/{tenantId}/Schemas/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_schema_get },
	{ "GET", "/scim/v2/tenants/{tenantId}/Me", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_me },
	{ "POST", "/scim/v2/tenants/{tenantId}/Users", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_users_create },
	{ "GET", "/scim/v2/tenants/{tenantId}/Users", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_users_list },
	{ "GET", "/scim/v2/tenants/{tenantId}/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_users_get },
	{ "PUT", "/scim/v2/tenants/{tenantId}/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_users_put },
	{ "PATCH", "/scim/v2/tenants/{tenantId}/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_users_patch },
	{ "DELETE", "/scim/v2/tenants/{tenantId}/Users/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_users_delete },
	{ "POST", "/scim/v2/tenants/{tenantId}/Groups", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_groups_create },
	{ "GET", "/scim/v2/tenants/{tenantId}/Groups", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_groups_list },
	{ "GET", "/scim/v2/tenants/{tenantId}/Groups/{id}", ROUTE_CI,
	    AUTHZ_TENANT_READ, "tenantId", &dialect_scim, scim_groups_get },
	{ "PUT", "/scim/v2/tenants/{tenantId}/Groups/{id}", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_groups_put },
	{ "PATCH", "/scim/v2/tenants/{tenantId}/Groups/{id}", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_groups_patch },
	{ "DELETE", "/scim/v2/tenants/{tenantId}/Groups/{id}", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_groups_delete },
	{ "POST", "/scim/v2/tenants/{tenantId}/.search", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_search_root },
	{ "POST", "/scim/v2/tenants/{tenantId}/Users/.search", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_users_search },
	{ "POST", "/scim/v2/tenants/{tenantId}/Groups/.search", ROUTE_CI,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_groups_search },
	{ "POST", "/scim/v2/tenants/{tenantId}/Bulk", ROUTE_CI | ROUTE_BULK,
	    AUTHZ_TENANT_ADMIN, "tenantId", &dialect_scim, scim_bulk },
};

const size_t nroutes = RS_ARRAY_LEN(routes);

/* /metrics counts each route on its own up to METRICS_ROUTES. */
_Static_assert(RS_ARRAY_LEN(routes) <= METRICS_ROUTES,
    "more routes than /metrics counts: raise METRICS_ROUTES");

/* 1 when path is under /{json|jsv|xml|csv}/{reply|oneway}/, any case. */
static int
ss_predefined_path(const char *path)
{
	static const char *const fmts[] = { "/json/", "/jsv/", "/xml/",
	    "/csv/" };
	size_t i, n;

	for (i = 0; i < RS_ARRAY_LEN(fmts); i++) {
		n = strlen(fmts[i]);
		if (strncasecmp(path, fmts[i], n) == 0)
			return strncasecmp(path + n, "reply/", 6) == 0 ||
			    strncasecmp(path + n, "oneway/", 7) == 0;
	}
	return 0;
}

/*
 * Unknown paths are answered in the shape of the dialect whose prefix
 * they have.  Kibo's /api/platform/ comes before ASP.NET's /api/, which
 * keeps every other /api/ path, /api/{Request} of an unknown
 * ServiceStack request too.
 */
const struct dialect *
routes_dialect_for_path(const char *path)
{
	if (strncasecmp(path, "/api/platform/", 14) == 0)
		return &dialect_kibo;
	if (ss_predefined_path(path))
		return &dialect_servicestack;
	if (strncasecmp(path, "/api/", 5) == 0)
		return &dialect_aspnet_004;
	/* ASP.NET /Application/: here. */
	if (strncasecmp(path, "/Application/", 13) == 0)
		return &dialect_aspnet_000;
	/* ServiceStack and Kibo prefixes: here. */
	if (strncasecmp(path, "/usergroupuserinvite", 20) == 0)
		return &dialect_servicestack;
	if (strncasecmp(path, "/platform/", 10) == 0)
		return &dialect_kibo;
	if (strncmp(path, "/v1/", 4) == 0)
		return &dialect_v1;
	if (strncasecmp(path, "/scim/", 6) == 0)
		return &dialect_scim;
	return &dialect_plain;
}
