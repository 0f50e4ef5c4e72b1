/*
 * check_servicestack.c: the pure parts of the ServiceStack (seed 001)
 * and Kibo (seed 002) dialects: ServiceStack's response format
 * negotiation, the router's format suffixes, and responseFields
 * parsing and filtering.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/dialects/dialect.h"

/* ---- ss_negotiate ---- */

static const struct neg_case {
	const char	*label;
	const char	*path, *query, *accept, *ctype;
	enum ss_format	 want;
	int		 text_jsv;
} neg_cases[] = {
	{ "nothing: JSON", "/usergroupuserinvite", "", NULL, NULL, SS_JSON,
	    0 },
	{ "suffix .jsv", "/usergroupuserinvite.jsv", "", NULL, NULL, SS_JSV,
	    0 },
	{ "suffix .XML any case", "/usergroupuserinvite.XML", "", NULL, NULL,
	    SS_XML, 0 },
	{ "suffix .csv", "/usergroupuserinvite.csv", "", NULL, NULL, SS_CSV,
	    0 },
	{ "suffix over format", "/usergroupuserinvite.json", "format=xml",
	    "text/jsv", NULL, SS_JSON, 0 },
	{ "format=jsv", "/usergroupuserinvite", "format=jsv", NULL, NULL,
	    SS_JSV, 0 },
	{ "format=csv among others", "/usergroupuserinvite", "a=1&format=csv",
	    NULL, NULL, SS_CSV, 0 },
	{ "format=xml.foo: text before the dot", "/usergroupuserinvite",
	    "format=xml.foo", NULL, NULL, SS_XML, 0 },
	{ "format over Accept", "/usergroupuserinvite", "format=xml",
	    "application/json", NULL, SS_XML, 0 },
	{ "unknown format: Accept", "/usergroupuserinvite", "format=html",
	    "text/csv", NULL, SS_CSV, 0 },
	{ "notformat= is not format=", "/usergroupuserinvite",
	    "notformat=xml", NULL, NULL, SS_JSON, 0 },
	{ "Accept text/jsv", "/usergroupuserinvite", "", "text/jsv", NULL,
	    SS_JSV, 1 },
	{ "Accept application/jsv", "/usergroupuserinvite", "",
	    "application/jsv", NULL, SS_JSV, 0 },
	{ "Accept text/xml", "/usergroupuserinvite", "", "text/xml", NULL,
	    SS_XML, 0 },
	{ "server order wins over q", "/usergroupuserinvite", "",
	    "application/xml;q=1, application/json;q=0.5", NULL, SS_JSON, 0 },
	{ "q=0 excludes", "/usergroupuserinvite", "",
	    "application/json;q=0, application/xml", NULL, SS_XML, 0 },
	{ "request type accepted wins", "/usergroupuserinvite", "",
	    "application/json, text/jsv", "text/jsv", SS_JSV, 1 },
	{ "*/* answers in the request's JSV", "/usergroupuserinvite", "",
	    "*/*", "text/jsv; charset=utf-8", SS_JSV, 1 },
	{ "*/* with XML body", "/usergroupuserinvite", "", "*/*",
	    "application/xml", SS_XML, 0 },
	{ "*/* with a form: JSON", "/usergroupuserinvite", "", "*/*",
	    "application/x-www-form-urlencoded", SS_JSON, 0 },
	{ "text/csv", "/usergroupuserinvite", "", "text/csv", NULL, SS_CSV,
	    0 },
	{ "unknown Accept: JSON", "/usergroupuserinvite", "", "image/png",
	    NULL, SS_JSON, 0 },
	{ "html then xml: XML", "/usergroupuserinvite", "",
	    "text/html,application/xhtml+xml,application/xml;q=0.9", NULL,
	    SS_XML, 0 },
	{ "no query at all", "/usergroupuserinvite", NULL, NULL, NULL,
	    SS_JSON, 0 },
};

START_TEST(test_negotiate)
{
	const struct neg_case *c = &neg_cases[_i];
	int tj = -1;

	ck_assert_msg(ss_negotiate(c->path, c->query, c->accept, c->ctype,
	    &tj) == c->want, "%s: format", c->label);
	ck_assert_msg(tj == c->text_jsv, "%s: text_jsv %d", c->label, tj);
}
END_TEST

/* ---- the route table's suffixes ---- */

static enum route_match
match(const char *method, const char *uri)
{
	struct http_req req;
	char allow[64];

	memset(&req, 0, sizeof(req));
	req.arena = ta;
	req.method = method;
	req.uri = uri;
	return router_match(routes, nroutes, &req, allow, sizeof(allow));
}

START_TEST(test_route_suffixes)
{
	static const char *const found[] = {
		"/usergroupuserinvite", "/usergroupuserinvite.json",
		"/usergroupuserinvite.jsv", "/usergroupuserinvite.xml",
		"/usergroupuserinvite.csv", "/UserGroupUserInvite.JSV",
		"/usergroupuserinvite.json?format=xml",
		"/usergroupuserinvite/",
		"/platform/adminuser/groups/ADM/addusers",
		"/Platform/AdminUser/Groups/a%2Fb/AddUsers?responseFields=x",
		"/platform/adminuser/groups/x/removeusers",
	};
	static const char *const not_found[] = {
		"/usergroupuserinvite.html", "/usergroupuserinvite.json.xml",
		"/usergroupuserinvitex", "/usergroupuserinvite.",
		"/usergroupuserinvite/x", "/platform/adminuser/groups/x/addusers.json",
		"/platform/adminuser/groups//addusers",
	};
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(found); i++)
		ck_assert_msg(match("POST", found[i]) == ROUTE_FOUND, "%s",
		    found[i]);
	for (i = 0; i < RS_ARRAY_LEN(not_found); i++)
		ck_assert_msg(match("POST", not_found[i]) != ROUTE_FOUND, "%s",
		    not_found[i]);
	ck_assert_int_eq(match("GET", "/usergroupuserinvite.xml"),
	    ROUTE_BAD_METHOD);
}
END_TEST

/* ---- responseFields ---- */

static const char group_doc[] =
	"{\"groupCode\":\"ADM\",\"scopeTypeId\":0,\"name\":\"Admins\","
	"\"users\":[{\"emailAddress\":\"a@x.example\",\"id\":\"1\","
	"\"roles\":[{\"roleId\":1,\"roleName\":\"R\"}],\"password\":null},"
	"{\"emailAddress\":\"b@x.example\",\"id\":\"2\",\"roles\":[]}],"
	"\"auditInfo\":{\"createBy\":\"me\",\"createDate\":\"d\"}}";

static const char *
select_json(const char *fields)
{
	struct field_sel *sel;
	struct value *doc;
	struct fmt_error err;
	struct buf b;

	ck_assert_int_eq(json_decode(ta, group_doc, sizeof(group_doc) - 1,
	    NULL, &doc, &err), FMT_OK);
	ck_assert_msg(field_sel_parse(ta, fields, &sel) == 0, "%s", fields);
	buf_init(&b, ta);
	json_encode(&b, field_sel_apply(ta, sel, doc));
	ck_assert(!b.failed);
	return b.p;
}

START_TEST(test_fields_select)
{
	ck_assert_str_eq(select_json("groupCode,users(id,emailAddress)"),
	    "{\"groupCode\":\"ADM\",\"users\":[{\"emailAddress\":"
	    "\"a@x.example\",\"id\":\"1\"},{\"emailAddress\":"
	    "\"b@x.example\",\"id\":\"2\"}]}");
	ck_assert_str_eq(select_json("users(roles(roleName))"),
	    "{\"users\":[{\"roles\":[{\"roleName\":\"R\"}]},{\"roles\":[]}]}");
	ck_assert_str_eq(select_json("GROUPCODE,auditInfo"),
	    "{\"groupCode\":\"ADM\",\"auditInfo\":{\"createBy\":\"me\","
	    "\"createDate\":\"d\"}}");
	ck_assert_str_eq(select_json("users(password)"),
	    "{\"users\":[{\"password\":null},{}]}");
	ck_assert_str_eq(select_json("nothing"), "{}");
	ck_assert_str_eq(select_json("name(x)"), "{\"name\":\"Admins\"}");
	ck_assert_str_eq(select_json(""), group_doc);
}
END_TEST

START_TEST(test_fields_malformed)
{
	static const char *const bad[] = {
		",", "a,", ",a", "a,,b", "a(", "a()", "a(b", "a)", "a(b))",
		"a b", " a", "a.b", "a-b", "a(b)c", "(a)", "a(b,)",
		"a(b(c(d(e(f(g(h(i)))))))))",
	};
	struct field_sel *sel;
	char big[5000];
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(bad); i++) {
		ck_assert_msg(field_sel_parse(ta, bad[i], &sel) == -1, "%s",
		    bad[i]);
		ck_assert_ptr_null(sel);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(field_sel_parse(ta, big, &sel), -1);
	for (i = 0; i + 2 < 600; i += 2) {
		big[i] = 'a';
		big[i + 1] = ',';
	}
	big[i] = 'a';
	big[i + 1] = '\0';
	ck_assert_int_eq(field_sel_parse(ta, big, &sel), -1); /* 300 names */
	ck_assert_int_eq(field_sel_parse(ta, "a(b(c(d(e(f(g(h)))))))", &sel),
	    0);
	ck_assert_int_eq(field_sel_parse(ta, NULL, &sel), 0);
	ck_assert_ptr_null(sel);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("servicestack_kibo");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_negotiate, 0, RS_ARRAY_LEN(neg_cases));
	tcase_add_test(tc, test_route_suffixes);
	tcase_add_test(tc, test_fields_select);
	tcase_add_test(tc, test_fields_malformed);
	suite_add_tcase(s, tc);
	return unit_run(srunner_create(s));
}
