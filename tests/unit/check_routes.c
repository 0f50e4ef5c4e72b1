/*
 * check_routes.c: the invariants of THE route table (src/routes.c), so
 * that a route added carelessly fails the build's tests instead of
 * shipping open:
 *   - every route names a right (the zero value, AUTHZ_UNSET, is refused);
 *   - only the routes listed here may be public;
 *   - a tenant-scoped right names a path parameter that the pattern has,
 *     or none (then X-Tenant-Id or the token's tid names the tenant);
 *   - every route has a dialect and a handler, and no two routes share a
 *     method and pattern.
 * The integration tests' refusal table (tests/http/test_api.py) reads the
 * same table through `rosterctl routes` and refuses to pass when a route
 * has no row there.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <check.h>

#include "unit.h"
#include "../../src/dialects/dialect.h"

/* The only routes that need no token. */
static const char *const public_routes[] = {
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
	"GET /openapi.json",
	"POST /v1/invites/accept",
};

static int
is_listed_public(const struct route *r)
{
	char key[256];
	size_t i;

	snprintf(key, sizeof(key), "%s %s", r->method, r->pattern);
	for (i = 0; i < RS_ARRAY_LEN(public_routes); i++)
		if (strcmp(key, public_routes[i]) == 0)
			return 1;
	return 0;
}

START_TEST(test_routes_have_rights)
{
	const struct route *r = &routes[_i];

	ck_assert_msg(r->right > AUTHZ_UNSET && r->right < AUTHZ__MAX,
	    "%s %s: no right in the route table", r->method, r->pattern);
	ck_assert_ptr_nonnull(authz_right_name(r->right));
	if (r->right == AUTHZ_PUBLIC)
		ck_assert_msg(is_listed_public(r),
		    "%s %s is public but not listed in check_routes.c",
		    r->method, r->pattern);
}
END_TEST

START_TEST(test_routes_tenant_param)
{
	const struct route *r = &routes[_i];
	char brace[128];

	if (r->tenant_param == NULL)
		return;
	/* A SystemAdmin route may name the tenant it acts on in its path
	 * (DELETE /v1/tenants/{tenantId}): the request's tenant is then that
	 * one, and an X-Tenant-Id contradicting it is refused. */
	ck_assert_msg(r->right == AUTHZ_TENANT_ADMIN ||
	    r->right == AUTHZ_TENANT_READ || r->right == AUTHZ_SYSTEM_ADMIN,
	    "%s %s: a tenant parameter on a right that has no tenant",
	    r->method, r->pattern);
	snprintf(brace, sizeof(brace), "{%s}", r->tenant_param);
	ck_assert_msg(strstr(r->pattern, brace) != NULL,
	    "%s %s: tenant parameter %s not in the pattern",
	    r->method, r->pattern, brace);
}
END_TEST

/* Served while the schema is behind: only public, plain health routes. */
START_TEST(test_routes_no_db)
{
	const struct route *r = &routes[_i];

	if (strcmp(r->pattern, "/readyz") == 0 ||
	    strcmp(r->pattern, "/healthz") == 0)
		ck_assert_msg(r->flags & ROUTE_NO_DB, "%s needs no database",
		    r->pattern);
	if (!(r->flags & ROUTE_NO_DB))
		return;
	ck_assert_msg(r->right == AUTHZ_PUBLIC && r->dialect == &dialect_plain,
	    "%s %s is served without the schema but is not a public health "
	    "route", r->method, r->pattern);
	ck_assert_msg(strncmp(r->pattern, "/v1/", 4) != 0 &&
	    strncmp(r->pattern, "/api/", 5) != 0, "%s %s: an API route",
	    r->method, r->pattern);
}
END_TEST

START_TEST(test_routes_complete)
{
	const struct route *r = &routes[_i];
	size_t j;

	ck_assert_ptr_nonnull(r->method);
	ck_assert_ptr_nonnull(r->pattern);
	ck_assert_ptr_nonnull(r->dialect);
	ck_assert_ptr_nonnull(r->handler);
	ck_assert_int_eq(r->pattern[0], '/');
	for (j = 0; j < nroutes; j++) {
		if (j == (size_t)_i)
			continue;
		ck_assert_msg(strcmp(r->method, routes[j].method) != 0 ||
		    strcasecmp(r->pattern, routes[j].pattern) != 0,
		    "%s %s appears twice", r->method, r->pattern);
	}
}
END_TEST

/*
 * The vendors' own paths against THE table: which handler, dialect and
 * right each reaches (the same handler under every alias of a route), and
 * the dialect whose error shape answers a path no route has.
 */
static const struct vendor_path {
	const char	*uri;
	route_handler	 handler;	/* NULL: no route */
	const struct dialect *dialect;	/* the route's, or the 404's */
	unsigned	 flags;		/* flags the route must have */
} vendor_paths[] = {
	/* ServiceStack: custom, /api/{Request}, /{format}/reply/{Request} */
	{ "/usergroupuserinvite", ss_invite_post, &dialect_servicestack, 0 },
	{ "/usergroupuserinvite.jsv", ss_invite_post, &dialect_servicestack,
	    ROUTE_FMT_SUFFIX },
	{ "/api/UserGroupUserInvite", ss_invite_post, &dialect_servicestack,
	    ROUTE_CI },
	{ "/api/usergroupuserinvite", ss_invite_post, &dialect_servicestack,
	    ROUTE_CI },
	{ "/api/USERGROUPUSERINVITE/", ss_invite_post, &dialect_servicestack,
	    ROUTE_CI },
	{ "/json/reply/UserGroupUserInvite", ss_invite_post,
	    &dialect_servicestack, ROUTE_CI },
	{ "/jsv/reply/usergroupuserinvite", ss_invite_post,
	    &dialect_servicestack, ROUTE_CI },
	{ "/XML/Reply/UserGroupUserInvite", ss_invite_post,
	    &dialect_servicestack, ROUTE_CI },
	{ "/csv/reply/UserGroupUserInvite?x=1", ss_invite_post,
	    &dialect_servicestack, ROUTE_CI },
	{ "/json/reply/Nope", NULL, &dialect_servicestack, 0 },
	{ "/jsv/oneway/UserGroupUserInvite", NULL, &dialect_servicestack, 0 },
	{ "/json/reply/UserGroupUserInvite.json", NULL, &dialect_servicestack,
	    0 },
	{ "/yaml/reply/UserGroupUserInvite", NULL, &dialect_plain, 0 },
	{ "/json/replyx/UserGroupUserInvite", NULL, &dialect_plain, 0 },
	/* /api/ is ASP.NET's for every other path */
	{ "/api/Nope", NULL, &dialect_aspnet_004, 0 },
	{ "/api/users", aspnet_accounts_post, &dialect_aspnet_003, ROUTE_CI },
	{ "/api/organizations/0c2a5d8e-0000-4000-8000-000000000001/users",
	    aspnet_org_users_post, &dialect_aspnet_004, ROUTE_CI },
	{ "/api/UserGroupUserInvite/x", NULL, &dialect_aspnet_004, 0 },
	/* Kibo, with and without the SDKs' /api base path */
	{ "/platform/adminuser/groups/Adm/addusers", kibo_group_addusers,
	    &dialect_kibo, ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT },
	{ "/api/platform/adminuser/groups/Adm/addusers", kibo_group_addusers,
	    &dialect_kibo, ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT },
	{ "/API/Platform/AdminUser/Groups/a%20b/RemoveUsers",
	    kibo_group_removeusers, &dialect_kibo,
	    ROUTE_CI | ROUTE_BULK | ROUTE_VOL_TENANT },
	{ "/api/platform/adminuser/groups/Adm/nope", NULL, &dialect_kibo, 0 },
	{ "/api/platform/nope", NULL, &dialect_kibo, 0 },
};

START_TEST(test_vendor_paths)
{
	const struct vendor_path *c = &vendor_paths[_i];
	struct arena *a = arena_new(0);
	struct http_req req;
	char allow[64], *path;
	enum route_match m;

	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.method = "POST";
	req.uri = c->uri;
	m = router_match(routes, nroutes, &req, allow, sizeof(allow));
	path = arena_strndup(a, c->uri, strcspn(c->uri, "?"));
	if (c->handler == NULL) {
		ck_assert_msg(m == ROUTE_NOT_FOUND, "%s: a route", c->uri);
		ck_assert_msg(routes_dialect_for_path(path) == c->dialect,
		    "%s: answered by %s", c->uri,
		    routes_dialect_for_path(path)->name);
	} else {
		ck_assert_msg(m == ROUTE_FOUND, "%s: no route", c->uri);
		ck_assert_msg(req.route->handler == c->handler, "%s: handler "
		    "of %s", c->uri, req.route->pattern);
		ck_assert_ptr_eq(req.route->dialect, c->dialect);
		ck_assert_msg((req.route->flags & c->flags) == c->flags,
		    "%s: flags %#x", c->uri, req.route->flags);
	}
	arena_free(a);
}
END_TEST

/*
 * Every route of a handler requires the same right: an alias is never a
 * way around the right of the route it aliases.  Where the tenant comes
 * from may differ: SCIM's /scim/v2/tenants/{tenantId}/... names it in the
 * path, /scim/v2/... takes the token's (or X-Tenant-Id).
 */
START_TEST(test_routes_aliases_same_right)
{
	const struct route *r = &routes[_i];
	size_t j;

	for (j = 0; j < nroutes; j++)
		if (routes[j].handler == r->handler)
			ck_assert_msg(routes[j].right == r->right &&
			    routes[j].dialect == r->dialect,
			    "%s and %s: one handler, other rights or dialects",
			    r->pattern, routes[j].pattern);
}
END_TEST

/* The predefined routes' format is the path's; ?format= overrides it. */
static const struct {
	const char	*path, *query, *accept;
	enum ss_format	 want;
	int		 text_jsv;
} reply_formats[] = {
	{ "/json/reply/UserGroupUserInvite", "", "application/xml", SS_JSON,
	    0 },
	{ "/jsv/reply/UserGroupUserInvite", "", NULL, SS_JSV, 1 },
	{ "/JSV/Reply/UserGroupUserInvite", "", "application/json", SS_JSV,
	    1 },
	{ "/xml/reply/UserGroupUserInvite", "", "application/json", SS_XML,
	    0 },
	{ "/csv/reply/UserGroupUserInvite", "", NULL, SS_CSV, 0 },
	{ "/xml/reply/UserGroupUserInvite", "format=json", NULL, SS_JSON, 0 },
	{ "/json/oneway/UserGroupUserInvite", "", "text/csv", SS_JSON, 0 },
	{ "/api/UserGroupUserInvite", "", "application/xml", SS_XML, 0 },
	{ "/api/UserGroupUserInvite", "", NULL, SS_JSON, 0 },
	{ "/api/UserGroupUserInvite", "format=jsv", NULL, SS_JSV, 0 },
	{ "/yaml/reply/UserGroupUserInvite", "", "text/csv", SS_CSV, 0 },
};

START_TEST(test_reply_format)
{
	int tj = -1;

	ck_assert_int_eq(ss_negotiate(reply_formats[_i].path,
	    reply_formats[_i].query, reply_formats[_i].accept, NULL, &tj),
	    reply_formats[_i].want);
	ck_assert_int_eq(tj, reply_formats[_i].text_jsv);
}
END_TEST

static Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_routes_have_rights, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_tenant_param, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_complete, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_no_db, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_aliases_same_right, 0,
	    (int)nroutes);
	tcase_add_loop_test(tc, test_vendor_paths, 0,
	    (int)RS_ARRAY_LEN(vendor_paths));
	tcase_add_loop_test(tc, test_reply_format, 0,
	    (int)RS_ARRAY_LEN(reply_formats));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(routes_suite()));
}
