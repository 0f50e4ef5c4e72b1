/*
 * check_export.c: unit tests for rosterctl export's pieces that need no
 * database: COPY's text format split into fields (export_copy_split())
 * and the formula protection that export and import share
 * (csv_cell_protected()).
 */
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/formats/csv.h"
#include "../../src/imp/export.h"

/* A copy with room for the NUL that PQgetCopyData() adds. */
static char *
line(const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc(ta, n + 1);

	memcpy(p, s, n + 1);
	return p;
}

START_TEST(test_copy_split_escapes)
{
	static const char in[] = "a\tb\\tc\t\\N\t\\\\N\t\\n\\r\\101\\x41\\x4"
	    "\t\\b\\f\\v\\q\t\\0061\n";
	static const char *const want[] = { "a", "b\tc", NULL, "\\N",
	    "\n\rAA\x04", "\b\f\vq", "\x06" "1" };
	static const size_t wlen[] = { 1, 3, 0, 2, 5, 4, 2 };
	struct export_row r;
	size_t i;

	ck_assert_int_eq(export_copy_split(line(in), strlen(in), &r), 0);
	ck_assert_uint_eq(r.n, RS_ARRAY_LEN(want));
	for (i = 0; i < r.n; i++) {
		if (want[i] == NULL) {
			ck_assert_ptr_null(r.f[i]);
			continue;
		}
		ck_assert_ptr_nonnull(r.f[i]);
		ck_assert_uint_eq(r.len[i], wlen[i]);
		ck_assert_msg(memcmp(r.f[i], want[i], wlen[i]) == 0,
		    "field %zu", i);
		ck_assert_int_eq(r.f[i][r.len[i]], '\0');
	}
}
END_TEST

START_TEST(test_copy_split_edges)
{
	struct export_row r;
	char *s;
	size_t i;

	ck_assert_int_eq(export_copy_split(line("\\N"), 2, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_ptr_null(r.f[0]);
	ck_assert_int_eq(export_copy_split(line("\n"), 1, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.f[0], "");
	ck_assert_int_eq(export_copy_split(line("x\t\t\\N"), 5, &r), 0);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.f[1], "");
	ck_assert_ptr_null(r.f[2]);
	/* "\N" inside a field is text */
	ck_assert_int_eq(export_copy_split(line("\\Nx"), 3, &r), 0);
	ck_assert_str_eq(r.f[0], "Nx");
	/* a backslash ending the line stays */
	ck_assert_int_eq(export_copy_split(line("a\\"), 2, &r), 0);
	ck_assert_str_eq(r.f[0], "a\\");
	s = arena_alloc(ta, 2 * (EXPORT_FIELDS_MAX + 1) + 1);
	for (i = 0; i <= EXPORT_FIELDS_MAX; i++) {
		s[2 * i] = 'x';
		s[2 * i + 1] = '\t';
	}
	s[2 * EXPORT_FIELDS_MAX + 1] = '\0';
	ck_assert_int_eq(export_copy_split(s, 2 * EXPORT_FIELDS_MAX + 1, &r),
	    -1);
}
END_TEST

static const struct {
	const char	*s;
	int		 protect;
} protect_cases[] = {
	{ "", 0 }, { "abc", 0 }, { "=1+2", 1 }, { "@cmd", 1 }, { "\tx", 1 },
	{ "\rx", 1 }, { "+SUM(A1)", 1 }, { "-1+2", 1 },
	{ "+44 20 7946 0000", 0 }, { "-abc_DEF", 0 }, { "-12.5", 0 },
	{ "'=1", 1 }, { "''=1", 1 }, { "'abc", 0 }, { "'", 0 },
	{ "'+44 1", 0 }, { "'-1+2", 1 }, { "a=1", 0 },
};

START_TEST(test_cell_protected)
{
	const char *s = protect_cases[_i].s;

	ck_assert_msg(csv_cell_protected(s, strlen(s)) ==
	    protect_cases[_i].protect, "\"%s\"", s);
}
END_TEST

static Suite *
export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_copy_split_escapes);
	tcase_add_test(tc, test_copy_split_edges);
	tcase_add_loop_test(tc, test_cell_protected, 0,
	    (int)RS_ARRAY_LEN(protect_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(export_suite()));
}
