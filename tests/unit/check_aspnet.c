/*
 * check_aspnet.c: unit tests for the pure parts of the ASP.NET layer
 * (src/dialects/aspnet*.c): content negotiation, HttpError bodies in
 * JSON (casing, "$id") and XML, binding by a type table, the xlsx writer.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/dialects/dialect.h"

static const struct aspnet_app app_all = {
	.param = "model", .camel_case = 1, .dollar_id = 1, .xml = 1,
	.xlsx = 1, .xlsx_name = "users.xlsx",
};

static const struct aspnet_app app_json = {
	.param = "securityGroupUser", .dollar_id = 1,
};

static struct http_req *
req_with(const char *accept, const char *ctype)
{
	static char acc[512], ct[128];
	/* the request keeps envp: it lives in the arena */
	const char **env = arena_zalloc(ta, 6 * sizeof(*env));
	struct http_req *req = arena_zalloc(ta, sizeof(*req));
	int n = 2;

	env[0] = "REQUEST_METHOD=POST";
	env[1] = "REQUEST_URI=/api/users";
	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "HTTP_ACCEPT=%s", accept);
		env[n++] = arena_strdup(ta, acc);
	}
	if (ctype != NULL) {
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype);
		env[n++] = arena_strdup(ta, ct);
	}
	ck_assert_int_eq(http_req_init(req, ta, (char **)env), 0);
	return req;
}

static const struct {
	const char	*accept;
	const char	*ctype;
	int		 all;		/* app_all, else app_json */
	enum aspnet_media want;
} negotiations[] = {
	{ NULL, NULL, 1, ASPNET_JSON },
	{ NULL, "text/xml", 1, ASPNET_TEXT_XML },
	{ NULL, "text/json; charset=utf-8", 1, ASPNET_TEXT_JSON },
	{ NULL, "application/x-www-form-urlencoded", 1, ASPNET_JSON },
	{ "application/xml", NULL, 1, ASPNET_XML },
	{ "application/xml", NULL, 0, ASPNET_JSON },	/* no XML formatter */
	{ "application/xml, application/json", NULL, 1, ASPNET_JSON },
	{ "application/json;q=0.5, application/xml", NULL, 1, ASPNET_XML },
	{ "text/*", NULL, 1, ASPNET_TEXT_JSON },
	{ "*/*", "application/xml", 1, ASPNET_JSON },
	{ "image/png", "application/xml", 1, ASPNET_XML },
	{ "application/xml;q=0", NULL, 1, ASPNET_JSON },
	{ "application/vnd.ms-excel", NULL, 1, ASPNET_MS_EXCEL },
	{ "application/vnd.ms-excel", NULL, 0, ASPNET_JSON },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	    NULL, 1, ASPNET_XLSX },
	{ "TEXT/XML;Q=0.9, foo/bar", NULL, 1, ASPNET_TEXT_XML },
	{ ",,;,", NULL, 1, ASPNET_JSON },
};

START_TEST(test_negotiate)
{
	const struct aspnet_app *app = negotiations[_i].all ? &app_all :
	    &app_json;

	ck_assert_int_eq(aspnet_negotiate(app, req_with(
	    negotiations[_i].accept, negotiations[_i].ctype)),
	    negotiations[_i].want);
}
END_TEST

/* A hostile Accept: a thousand items cost no more than 32. */
START_TEST(test_negotiate_long_accept)
{
	struct buf b;
	int i;

	buf_init(&b, ta);
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "x/y;q=0.1, ");
	buf_puts(&b, "application/xml");
	ck_assert_int_eq(aspnet_negotiate(&app_all, req_with(b.p, NULL)),
	    ASPNET_JSON);
}
END_TEST

static struct http_resp *
error_resp(const struct aspnet_app *app, const char *accept)
{
	struct http_req *req = req_with(accept, NULL);
	struct http_resp *resp = arena_zalloc(ta, sizeof(*resp));
	struct value *ms = value_object(ta);

	http_resp_init(resp, ta);
	aspnet_model_error(ta, ms, "model.Email", "bad");
	aspnet_error(app, req, resp, 400, "The request is invalid.", ms);
	return resp;
}

START_TEST(test_error_json_camel_dollar_id)
{
	struct http_resp *r = error_resp(&app_all, NULL);

	ck_assert_int_eq(r->status, 400);
	ck_assert_str_eq(r->content_type, "application/json; charset=utf-8");
	ck_assert_str_eq(r->body.p, "{\"$id\":\"1\",\"message\":\"The request "
	    "is invalid.\",\"modelState\":{\"$id\":\"2\",\"model.Email\":"
	    "[\"bad\"]}}");
	r = error_resp(&aspnet_app_004, NULL);
	ck_assert_str_eq(r->body.p, "{\"Message\":\"The request is invalid.\","
	    "\"ModelState\":{\"model.Email\":[\"bad\"]}}");
}
END_TEST

START_TEST(test_error_xml)
{
	struct http_resp *r = error_resp(&app_all, "text/xml");

	ck_assert_str_eq(r->content_type, "text/xml; charset=utf-8");
	ck_assert_str_eq(r->body.p, "<Error><Message>The request is invalid."
	    "</Message><ModelState><model.Email>bad</model.Email></ModelState>"
	    "</Error>");
	/* asked for as xlsx: JSON */
	r = error_resp(&app_all, "application/vnd.ms-excel");
	ck_assert_str_eq(r->content_type, "application/json; charset=utf-8");
}
END_TEST

/* ---- binding ---- */

static const struct aspnet_field inner_fields[] = {
	{ "Sequence", AT_INT, 0, NULL },
};
static const struct aspnet_type_def inner = {
	"Inner", inner_fields, RS_ARRAY_LEN(inner_fields)
};
static const struct aspnet_field outer_fields[] = {
	{ "ID", AT_GUID, 0, NULL },
	{ "UserName", AT_STRING, AF_REQUIRED_STR, NULL },
	{ "CanLogIn", AT_BOOL, AF_REQUIRED, NULL },
	{ "Password", AT_BYTES, AF_SECRET, NULL },
	{ "When", AT_DATE, 0, NULL },
	{ "Ids", AT_INT_LIST, 0, NULL },
	{ "A", AT_OBJECT, 0, &inner },
	{ "B", AT_OBJECT, 0, &inner },
};
static const struct aspnet_type_def outer = {
	"Outer", outer_fields, RS_ARRAY_LEN(outer_fields)
};

static struct value *
json(const char *s)
{
	struct fmt_error e;
	struct value *v;

	ck_assert_int_eq(json_decode(ta, s, strlen(s), NULL, &v, &e), FMT_OK);
	return v;
}

static const char *
to_json(const struct value *v)
{
	struct buf b;

	buf_init(&b, ta);
	json_encode(&b, v);
	return b.p;
}

START_TEST(test_bind_ok_canonical_and_ref)
{
	struct aspnet_binder b;
	struct value *v;

	aspnet_binder_init(&b, ta, "p");
	v = aspnet_bind(&b, &outer, json("{\"id\":\"ABCDEF01-2345-6789-ABCD-"
	    "EF0123456789\",\"username\":\"u\",\"CANLOGIN\":\"true\","
	    "\"Password\":\"QEA=\",\"When\":\"2026-02-04T16:12:50.396612+00:00\","
	    "\"Ids\":\"7\",\"A\":{\"$id\":\"9\",\"Sequence\":\"5\"},"
	    "\"B\":{\"$ref\":\"9\"},\"Unknown\":1}"), "");
	ck_assert_int_eq(b.nerr, 0);
	ck_assert_str_eq(to_json(v), "{\"ID\":\"abcdef01-2345-6789-abcd-"
	    "ef0123456789\",\"UserName\":\"u\",\"CanLogIn\":true,\"Password\":"
	    "\"QEA=\",\"When\":\"2026-02-04T16:12:50.396612+00:00\",\"Ids\":[7],"
	    "\"A\":{\"Sequence\":5},\"B\":{\"Sequence\":5}}");
	ck_assert_str_eq(to_json(aspnet_strip_secrets(ta, &outer, v)),
	    "{\"ID\":\"abcdef01-2345-6789-abcd-ef0123456789\",\"UserName\":"
	    "\"u\",\"CanLogIn\":true,\"When\":\"2026-02-04T16:12:50.396612+"
	    "00:00\",\"Ids\":[7],\"A\":{\"Sequence\":5},\"B\":{\"Sequence\":5}}");
	ck_assert_str_eq(to_json(aspnet_emit(ta, &outer, json("{\"UserName\":"
	    "\"u\",\"Password\":\"QEA=\"}"))), "{\"ID\":null,\"UserName\":\"u\","
	    "\"CanLogIn\":null,\"Password\":null,\"When\":null,\"Ids\":null,"
	    "\"A\":null,\"B\":null}");
}
END_TEST

START_TEST(test_bind_errors_keys)
{
	struct aspnet_binder b;

	aspnet_binder_init(&b, ta, "p");
	(void)aspnet_bind(&b, &outer, json("{\"ID\":\"nope\",\"UserName\":\"\","
	    "\"When\":\"yesterday\",\"Ids\":[1,\"x\"],\"Password\":\"***\","
	    "\"A\":{\"Sequence\":1.5},\"B\":{\"$ref\":\"404\"}}"), "");
	ck_assert_int_eq(b.nerr, 8);
	ck_assert_ptr_nonnull(value_get(b.ms, "p"));	/* CanLogIn absent */
	ck_assert_ptr_nonnull(value_get(b.ms, "p.ID"));
	ck_assert_ptr_nonnull(value_get(b.ms, "p.UserName"));
	ck_assert_ptr_nonnull(value_get(b.ms, "p.When"));
	ck_assert_ptr_nonnull(value_get(b.ms, "p.Ids[1]"));
	ck_assert_ptr_nonnull(value_get(b.ms, "p.Password"));
	ck_assert_ptr_nonnull(value_get(b.ms, "p.A.Sequence"));
	ck_assert_ptr_nonnull(value_get(b.ms, "p.B"));
	aspnet_binder_init(&b, ta, "p");
	(void)aspnet_bind(&b, &outer, json("{\"UserName\":\"u\","
	    "\"CanLogIn\":null}"), "");
	ck_assert_ptr_nonnull(value_get(b.ms, "p.CanLogIn"));
}
END_TEST

START_TEST(test_xlsx_is_a_zip)
{
	struct buf out;

	buf_init(&out, ta);
	ck_assert_int_eq(aspnet_xlsx_write(ta, json("{\"ID\":\"x\",\"N\":1,"
	    "\"B\":true,\"L\":[1,2],\"O\":{\"a\":null},\"Z\":null}"), &out), 0);
	ck_assert_uint_gt(out.len, 1000);
	ck_assert_int_eq(memcmp(out.p, "PK\003\004", 4), 0);
	buf_reset(&out);
	ck_assert_int_eq(aspnet_xlsx_write(ta, json("[1]"), &out), -1);
}
END_TEST

static Suite *
aspnet_suite(void)
{
	Suite *s = suite_create("aspnet");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_negotiate, 0,
	    (int)RS_ARRAY_LEN(negotiations));
	tcase_add_test(tc, test_negotiate_long_accept);
	tcase_add_test(tc, test_error_json_camel_dollar_id);
	tcase_add_test(tc, test_error_xml);
	tcase_add_test(tc, test_bind_ok_canonical_and_ref);
	tcase_add_test(tc, test_bind_errors_keys);
	tcase_add_test(tc, test_xlsx_is_a_zip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(aspnet_suite()));
}
