/*
 * check_apitoken.c: unit tests for auth/apitoken.c: the address lists a
 * token may be limited to (parse, canonical text, matching), the shape
 * of a token, and a new token with its hash and shown prefix.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/auth/apitoken.h"

static const struct {
	const char	*in;
	int		 rc;
	const char	*canon;
} parse_cases[] = {
	{ "10.0.0.0/8", 0, "10.0.0.0/8" },
	{ "192.0.2.7", 0, "192.0.2.7/32" },
	{ "0.0.0.0/0", 0, "0.0.0.0/0" },
	{ "2001:db8::/32", 0, "2001:db8::/32" },
	{ "2001:DB8:0:0::1", 0, "2001:db8::1/128" },
	{ "::/0", 0, "::/0" },
	{ "10.0.0.1/8", -2, NULL },
	{ "2001:db8::1/32", -2, NULL },
	{ "10.0.0.0/33", -1, NULL },
	{ "2001:db8::/129", -1, NULL },
	{ "10.0.0.0/", -1, NULL },
	{ "10.0.0.0/-1", -1, NULL },
	{ "10.0.0.0/+8", -1, NULL },
	{ "10.0.0.0/8x", -1, NULL },
	{ "10/8", -1, NULL },
	{ "example.com", -1, NULL },
	{ "", -1, NULL },
	{ "10.0.0.0/0008", -1, NULL },
	{ "1111:2222:3333:4444:5555:6666:7777:8888/128/1", -1, NULL },
};

START_TEST(test_cidr_parse)
{
	struct apitoken_cidr c;
	char out[64];
	int rc;

	rc = apitoken_cidr_parse(parse_cases[_i].in, &c);
	ck_assert_msg(rc == parse_cases[_i].rc, "%s: %d, want %d",
	    parse_cases[_i].in, rc, parse_cases[_i].rc);
	if (rc == 0) {
		apitoken_cidr_format(&c, out, sizeof(out));
		ck_assert_str_eq(out, parse_cases[_i].canon);
	}
}
END_TEST

static const struct {
	const char	*net;
	const char	*addr;
	int		 in;
} match_cases[] = {
	{ "10.0.0.0/8", "10.255.1.2", 1 },
	{ "10.0.0.0/8", "11.0.0.0", 0 },
	{ "10.0.0.0/8", "::ffff:10.1.2.3", 1 },	/* v4-mapped */
	{ "10.0.0.0/8", "2001:db8::1", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
	{ "192.0.2.7", "192.0.2.8", 0 },
	{ "192.0.2.128/25", "192.0.2.127", 0 },
	{ "192.0.2.128/25", "192.0.2.200", 1 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "2001:db8::1", 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "::/0", "::1", 1 },
	{ "10.0.0.0/8", "", 0 },
	{ "10.0.0.0/8", "10.0.0.1 ", 0 },
	{ "10.0.0.0/8", "unix:", 0 },
};

START_TEST(test_cidr_contains)
{
	struct apitoken_cidr c;

	ck_assert_int_eq(apitoken_cidr_parse(match_cases[_i].net, &c), 0);
	ck_assert_msg(apitoken_cidr_contains(&c, match_cases[_i].addr) ==
	    match_cases[_i].in, "%s in %s: want %d", match_cases[_i].addr,
	    match_cases[_i].net, match_cases[_i].in);
}
END_TEST

START_TEST(test_cidr_contains_null)
{
	struct apitoken_cidr c;

	ck_assert_int_eq(apitoken_cidr_parse("0.0.0.0/0", &c), 0);
	ck_assert_int_eq(apitoken_cidr_contains(&c, NULL), 0);
}
END_TEST

START_TEST(test_new_token)
{
	char hash[65], hash2[65], shown[APITOKEN_SHOWN_LEN + 1];
	char *t, *u;

	t = apitoken_new(ta, hash, shown);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(strlen(t), 4 + APITOKEN_SECRET_LEN);
	ck_assert(strncmp(t, "rsd_", 4) == 0);
	ck_assert(apitoken_shape_ok(t, strlen(t)));
	ck_assert(strncmp(shown, t, APITOKEN_SHOWN_LEN) == 0);
	ck_assert_uint_eq(strlen(shown), APITOKEN_SHOWN_LEN);
	token_sha256_hex(t, strlen(t), hash2);
	ck_assert_str_eq(hash, hash2);	/* the hash of the whole token */
	u = apitoken_new(ta, hash2, shown);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_ne(t, u);
	ck_assert_str_ne(hash, hash2);
}
END_TEST

START_TEST(test_shape)
{
	static const char good[] =
	    "rsd_0123456789abcdefghijABCDEFGHIJ-_0123456789";

	ck_assert_uint_eq(strlen(good), 4 + APITOKEN_SECRET_LEN - 1);
	ck_assert(!apitoken_shape_ok(good, strlen(good)));	/* 42 */
	ck_assert(apitoken_shape_ok("rsd_0123456789abcdefghijABCDEFGHIJ-_"
	    "01234567890", 47));
	ck_assert(!apitoken_shape_ok("rsx_0123456789abcdefghijABCDEFGHIJ-_"
	    "01234567890", 47));
	ck_assert(!apitoken_shape_ok("rsd_0123456789abcdefghijABCDEFGHIJ+/"
	    "01234567890", 47));
	ck_assert(!apitoken_shape_ok("rsd_0123456789abcdefghijABCDEFGHIJ-_"
	    "0123456789=", 47));
	ck_assert(!apitoken_shape_ok("rsd_", 4));
}
END_TEST

START_TEST(test_reasons)
{
	ck_assert_str_eq(apitoken_status_reason(APITOKEN_UNKNOWN),
	    "unknown_token");
	ck_assert_str_eq(apitoken_status_reason(APITOKEN_REVOKED), "revoked");
	ck_assert_str_eq(apitoken_status_reason(APITOKEN_EXPIRED),
	    "token_expired");
	ck_assert_str_eq(apitoken_status_reason(APITOKEN_ADDRESS),
	    "address_not_allowed");
	ck_assert_str_eq(apitoken_status_reason(APITOKEN_UNAVAILABLE),
	    "unavailable");
}
END_TEST

static Suite *
apitoken_suite(void)
{
	Suite	*s = suite_create("apitoken");
	TCase	*tc = tcase_create("apitoken");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cidr_parse, 0,
	    (int)RS_ARRAY_LEN(parse_cases));
	tcase_add_loop_test(tc, test_cidr_contains, 0,
	    (int)RS_ARRAY_LEN(match_cases));
	tcase_add_test(tc, test_cidr_contains_null);
	tcase_add_test(tc, test_new_token);
	tcase_add_test(tc, test_shape);
	tcase_add_test(tc, test_reasons);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(apitoken_suite()));
}
