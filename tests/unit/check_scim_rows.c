/*
 * check_scim_rows.c: a SCIM User or Group written from its row's stored
 * JSON text (the type's json_row, what pages and reads without a
 * projection use) is the very text json_encode writes of the tree the
 * type's from_row builds of the same row; rows the text walk leaves to
 * the tree say so.  The rows are made with libpq's result builders,
 * their JSON as PostgreSQL prints jsonb (attrs->'scim') and json_agg
 * (a User's groups, a Group's members).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <libpq-fe.h>

#include "unit.h"
#include "../../src/dialects/scim.h"

/* The columns of DB_SCIM_USER_COLS, in its order. */
enum {
	C_ID, C_USERNAME, C_EXTERNAL, C_FIRST, C_LAST, C_DISPLAY, C_EMAIL,
	C_PHONE, C_TITLE, C_LOCALE, C_TZ, C_ACTIVE, C_SCIM, C_VERSION,
	C_CREATED, C_UPDATED, C_GROUPS, C__MAX
};

static const char *const col_names[C__MAX] = {
	"id", "username", "external_id", "first_name", "last_name",
	"display_name", "email", "phone", "title", "locale", "time_zone",
	"is_active", "scim", "version", "created", "updated", "groups",
};

#define UID	"7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define G1	"a4a1c6a0-9b1d-4e55-8f4e-111111111111"
#define G2	"b4a1c6a0-9b1d-4e55-8f4e-222222222222"

struct urow {
	const char	*what;
	const char	*scim;		/* attrs->'scim' as jsonb prints it */
	const char	*groups;	/* json_agg's text */
	const char	*first, *last, *display, *email, *phone, *title;
	const char	*external, *active;
	int		 walked;	/* json_row writes it (else NULL) */
};

static const struct urow rows[] = {
	{ "Okta's create, two groups",
	  "{\"name\": {\"givenName\": \"Test\", \"familyName\": \"User\"}, "
	  "\"active\": true, \"emails\": [{\"type\": \"work\", \"value\": "
	  "\"t@example.com\", \"primary\": true}], \"locale\": \"en-US\", "
	  "\"userName\": \"t@example.com\", \"externalId\": \"00u1\", "
	  "\"displayName\": \"Test User\"}",
	  "[{\"value\" : \"" G1 "\", \"display\" : \"Admins\"}, \n "
	  "{\"value\" : \"" G2 "\", \"display\" : \"G \\\"q\\\" \\u0001 "
	  "\xc3\xa9\\\\\"}]",
	  "Test", "User", "Test User", "t@example.com", NULL, NULL, "00u1",
	  "t", 1 },
	{ "no stored User (made by /v1), inactive",
	  NULL, "[]", NULL, NULL, NULL, "v1@example.com", "+1 555", NULL,
	  NULL, "f", 1 },
	{ "no stored User, no columns", NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, 1 },
	{ "columns changed since (another dialect wrote them)",
	  "{\"name\": {\"formatted\": \"Dr A\", \"givenName\": \"Old\"}, "
	  "\"title\": \"Old\", \"active\": false, \"userName\": \"old\", "
	  "\"displayName\": \"Old\"}",
	  "[]", NULL, "New", NULL, NULL, NULL, "Boss", NULL, "t", 1 },
	{ "name left empty by the columns",
	  "{\"name\": {\"givenName\": \"Old\"}, \"nickName\": \"n\"}",
	  "[]", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "t", 1 },
	{ "name not an object, the others of odd types",
	  "{\"name\": \"str\", \"active\": \"yes\", \"emails\": null, "
	  "\"phoneNumbers\": [{\"value\": \"+2\"}], \"title\": 7}",
	  "[]", "F", NULL, NULL, "e@example.com", "+3", NULL, NULL, "f", 1 },
	{ "the enterprise extension, another schema's, odd text",
	  "{\"id\": \"evil\", \"meta\": {\"x\": 1}, \"schemas\": [\"x\"], "
	  "\"nickName\": \"tab\\there \\\"q\\\" \\\\ \\u001f \xe2\x82\xac\", "
	  "\"urn:other:x\": {\"n\": [1.5e3, -0, 2.50, true, false, null, "
	  "{\"deep\": [[[]]], \"e\": {}}]}, "
	  "\"" SCIM_URN_ENT "\": {\"manager\": {\"value\": \"m1\"}, "
	  "\"department\": \"R&D\"}}",
	  "[{\"display\" : \"no value\"}, {\"value\" : null, \"display\" : "
	  "\"x\"}]",
	  NULL, NULL, NULL, NULL, NULL, NULL, "ext\"1", "t", 1 },
	{ "a key whose case differs from userName",
	  "{\"USERNAME\": \"x\"}", "[]", NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, "t", 0 },
	{ "a key with an escape",
	  "{\"user\\u004eame\": \"x\"}", "[]", NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, "t", 0 },
	{ "an array", "[1, 2]", "[]", NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, "t", 0 },
	{ "a string", "\"s\"", "[]", NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, "t", 0 },
	{ "cut short", "{\"a\": [1, \"b\\", "[]", NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, "t", 0 },
	{ "a number of 65 digits (jsonb prints 1e64 so)",
	  "{\"nickName\": \"n\", \"urn:other:x\": {\"n\": 1"
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "}}", "[]", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "t", 1 },
	{ "a group's value spelt VALUE", "{}",
	  "[{\"VALUE\" : \"" G1 "\", \"display\" : \"d\"}]", NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, "t", 0 },
};

static struct http_req *
scim_req(void)
{
	const char **env = arena_zalloc(ta, 6 * sizeof(*env));
	struct http_req *req = arena_zalloc(ta, sizeof(*req));

	env[0] = "REQUEST_METHOD=GET";
	env[1] = "REQUEST_URI=/scim/v2/Users";
	env[2] = "HTTP_HOST=rosterd.example";
	env[3] = "HTTPS=on";
	ck_assert_int_eq(http_req_init(req, ta, (char **)env), 0);
	return req;
}

static void
set(PGresult *r, int row, int col, const char *v)
{
	ck_assert_int_eq(PQsetvalue(r, row, col, (char *)v,
	    v == NULL ? -1 : (int)strlen(v)), 1);
}

/* An empty result with text columns of these names. */
static PGresult *
result_new(const char *const *names, size_t n)
{
	PGresAttDesc att[32];
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	size_t i;

	ck_assert_uint_le(n, RS_ARRAY_LEN(att));
	memset(att, 0, sizeof(att));
	for (i = 0; i < n; i++) {
		att[i].name = (char *)names[i];
		att[i].typid = 25;
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(PQsetResultAttrs(r, (int)n, att), 1);
	return r;
}

/*
 * Row `row` of r as t's json_row writes it is json_encode's text of its
 * from_row tree, or (!walked) json_row leaves it to the tree.
 */
static void
check_row(const struct scim_type *t, const PGresult *r, int row,
    const char *what, int walked)
{
	struct http_req *req = scim_req();
	struct value *raw = t->json_row(req, r, row);
	struct buf want;

	buf_init(&want, ta);
	json_encode(&want, t->from_row(req, r, row));
	ck_assert_int_eq(want.failed, 0);
	if (!walked) {
		ck_assert_msg(raw == NULL, "%s: walked", what);
		return;
	}
	ck_assert_msg(raw != NULL, "%s: left to the tree", what);
	ck_assert_int_eq(raw->type, VALUE_RAW);
	ck_assert_msg(raw->u.str.len == want.len &&
	    memcmp(raw->u.str.p, want.p, want.len) == 0,
	    "%s:\n walked %.*s\n tree   %s", what, (int)raw->u.str.len,
	    raw->u.str.p, want.p);
}

/* A result of n rows, each row `u` of rows[] (n > 1: db_get's table). */
static PGresult *
result_of(const struct urow *u, int n)
{
	PGresult *r = result_new(col_names, C__MAX);
	int row;

	for (row = 0; row < n; row++) {
		set(r, row, C_ID, UID);
		set(r, row, C_USERNAME, "u@example.com");
		set(r, row, C_EXTERNAL, u->external);
		set(r, row, C_FIRST, u->first);
		set(r, row, C_LAST, u->last);
		set(r, row, C_DISPLAY, u->display);
		set(r, row, C_EMAIL, u->email);
		set(r, row, C_PHONE, u->phone);
		set(r, row, C_TITLE, u->title);
		set(r, row, C_LOCALE, NULL);
		set(r, row, C_TZ, row == 0 ? NULL : "Europe/Paris");
		set(r, row, C_ACTIVE, u->active);
		set(r, row, C_SCIM, u->scim);
		set(r, row, C_VERSION, "3");
		set(r, row, C_CREATED, "2026-12-05T08:00:00.123456Z");
		set(r, row, C_UPDATED, "2026-12-05T09:00:00Z");
		set(r, row, C_GROUPS, u->groups);
	}
	return r;
}

START_TEST(test_user_text_is_the_trees)
{
	const struct urow *u = &rows[_i];
	PGresult *r;
	int n, row;

	for (n = 1; n <= 2; n++) {
		r = result_of(u, n);
		for (row = 0; row < n; row++)
			check_row(&scim_type_user, r, row, u->what,
			    u->walked);
		PQclear(r);
	}
}
END_TEST

/* Nesting the tree's decoder refuses is left to it (which keeps none). */
START_TEST(test_user_too_deep_is_left_to_the_tree)
{
	struct urow u = rows[1];
	struct buf s;
	PGresult *r;
	int i, depth;

	for (depth = 60; depth <= 70; depth += 10) {
		buf_init(&s, ta);
		buf_puts(&s, "{\"x\": ");
		for (i = 0; i < depth; i++)
			buf_putc(&s, '[');
		for (i = 0; i < depth; i++)
			buf_putc(&s, ']');
		buf_putc(&s, '}');
		u.scim = s.p;
		r = result_of(&u, 1);
		check_row(&scim_type_user, r, 0, s.p, depth == 60);
		PQclear(r);
	}
}
END_TEST

/* meta as the tree has it for columns it never lacks today. */
START_TEST(test_user_without_meta_columns)
{
	PGresult *r = result_of(&rows[0], 1);

	set(r, 0, C_VERSION, NULL);
	set(r, 0, C_CREATED, NULL);
	set(r, 0, C_UPDATED, NULL);
	check_row(&scim_type_user, r, 0, "no version, created, updated", 1);
	PQclear(r);
}
END_TEST

/* The columns of DB_SCIM_GROUP_COLS and members, in their order. */
static const char *const gcol_names[] = {
	"id", "name", "kind", "code", "scim", "version", "created",
	"updated", "members",
};

struct grow {
	const char	*what;
	const char	*name, *kind, *code;
	const char	*scim;		/* attrs->'scim' as jsonb prints it */
	const char	*members;	/* json_agg's text, or NULL */
	int		 walked;
};

static const struct grow grows[] = {
	{ "Entra's create, two members", "Sales \"EU\"", "security", G1,
	  "{\"externalId\": \"e-1\", \"displayName\": \"Sales\"}",
	  "[{\"value\" : \"" UID "\", \"display\" : \"A \\u0001\"}, \n "
	  "{\"value\" : \"" G2 "\", \"display\" : \"B\"}]", 1 },
	{ "no members asked for (excluded)", "G", "user", "c", "{}", NULL,
	  1 },
	{ "no members", "G", "admin", NULL, NULL, "[]", 1 },
	{ "other attributes, externalId not a string", "G", "security", "c",
	  "{\"x\": {\"y\": [1, 2.0]}, \"members\": [1], \"externalId\": 5, "
	  "\"" SCIM_URN_RGROUP "\": {\"kind\": \"user\"}}", "[]", 1 },
	{ "externalId in another case", "G", "security", "c",
	  "{\"EXTERNALID\": \"e\"}", "[]", 0 },
	{ "stored text not an object", "G", "security", "c", "[]", "[]",
	  0 },
};

START_TEST(test_group_text_is_the_trees)
{
	const struct grow *g = &grows[_i];
	const char *v[RS_ARRAY_LEN(gcol_names)] = { UID, g->name, g->kind,
		g->code, g->scim, "5", "2026-12-05T08:00:00Z",
		"2026-12-05T08:00:01Z", g->members };
	PGresult *r = result_new(gcol_names, RS_ARRAY_LEN(gcol_names));
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(gcol_names); i++)
		set(r, 0, (int)i, v[i]);
	check_row(&scim_type_group, r, 0, g->what, g->walked);
	PQclear(r);
}
END_TEST

static Suite *
scim_rows_suite(void)
{
	Suite *s = suite_create("scim_rows");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_user_text_is_the_trees, 0,
	    (int)RS_ARRAY_LEN(rows));
	tcase_add_test(tc, test_user_too_deep_is_left_to_the_tree);
	tcase_add_test(tc, test_user_without_meta_columns);
	tcase_add_loop_test(tc, test_group_text_is_the_trees, 0,
	    (int)RS_ARRAY_LEN(grows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(scim_rows_suite()));
}
