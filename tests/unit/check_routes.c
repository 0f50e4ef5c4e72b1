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

static Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_routes_have_rights, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_tenant_param, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_complete, 0, (int)nroutes);
	tcase_add_loop_test(tc, test_routes_no_db, 0, (int)nroutes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(routes_suite()));
}
