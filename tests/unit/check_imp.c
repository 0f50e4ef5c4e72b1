/*
 * check_imp.c: unit tests for rosterctl import's readers: the CSV
 * tabular source (imp/table_csv.c) on RFC 4180's edge cases and broken
 * files, the header mapping and formula-guard quote of imp/record.c,
 * password hash shapes and truth values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "../../src/imp/imp.h"

static char tmpl[64];

/* A CSV source over n bytes of text, from a temporary file. */
static struct table_src *
csv_of(const char *text, size_t n, char *err, size_t errlen)
{
	struct table_src *t;
	int fd;

	snprintf(tmpl, sizeof(tmpl), "/tmp/check_imp.XXXXXX");
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	t = table_open_csv(tmpl, err, errlen);
	unlink(tmpl);
	return t;
}

#define CSV(lit, err) csv_of((lit), sizeof(lit) - 1, (err), sizeof(err))

static void
cell_is(const struct table_row *r, size_t i, const char *want)
{
	ck_assert_uint_gt(r->n, i);
	ck_assert_uint_eq(r->cells[i].len, strlen(want));
	ck_assert(memcmp(r->cells[i].v, want, r->cells[i].len) == 0);
}

START_TEST(test_csv_quotes_and_breaks)
{
	char err[256];
	struct table_src *t = CSV("\xEF\xBB\xBFusername,email\r\n"
	    "\"a,b\",\"say \"\"hi\"\"\"\r\n"
	    "\"two\nlines\",\r\n"
	    "\n\r\n"
	    "last,x\"y", err);
	struct table_row r;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.line, 1);
	cell_is(&r, 0, "username");	/* the BOM is not in the name */
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.line, 2);
	cell_is(&r, 0, "a,b");
	cell_is(&r, 1, "say \"hi\"");
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.line, 3);
	cell_is(&r, 0, "two\nlines");
	cell_is(&r, 1, "");
	ck_assert_uint_eq(r.n, 2);
	/* blank lines are skipped; a quote inside an unquoted cell is text */
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.line, 7);
	cell_is(&r, 1, "x\"y");
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 0);
	table_close(t);
}
END_TEST

START_TEST(test_csv_unterminated_quote)
{
	char err[256];
	struct table_src *t = CSV("a\nok\n\"never\nclosed\n", err);
	struct table_row r;

	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 3, column 1: a quote opened "
	    "here is never closed"));
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	table_close(t);
}
END_TEST

START_TEST(test_csv_bad_utf8_and_nul)
{
	char err[256];
	struct table_src *t = CSV("a,b\nok,\xC3\x28\n", err);
	struct table_row r;

	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 2, column 2: bad UTF-8"));
	table_close(t);
	t = CSV("a\nx\0y\n", err);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "a NUL byte"));
	table_close(t);
}
END_TEST

START_TEST(test_csv_after_quote_and_limits)
{
	char err[256], *big;
	struct table_src *t = CSV("a\n\"x\"y\n", err);
	struct table_row r;
	size_t n;

	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "text after a closing quote"));
	table_close(t);
	/* a cell of exactly TABLE_CELL_MAX bytes is read, one more is not */
	n = TABLE_CELL_MAX + 16;
	big = malloc(n);
	memset(big, 'x', n);
	big[0] = 'a';
	big[1] = '\n';
	big[2 + TABLE_CELL_MAX] = '\n';
	t = csv_of(big, 3 + TABLE_CELL_MAX, err, sizeof(err));
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_uint_eq(r.cells[0].len, TABLE_CELL_MAX);
	table_close(t);
	big[2 + TABLE_CELL_MAX] = 'x';
	big[3 + TABLE_CELL_MAX] = '\n';
	t = csv_of(big, 4 + TABLE_CELL_MAX, err, sizeof(err));
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 65536 bytes"));
	table_close(t);
	free(big);
}
END_TEST

START_TEST(test_csv_too_many_columns)
{
	char err[256], line[TABLE_COLS_MAX * 2 + 8];
	struct table_src *t;
	struct table_row r;
	size_t i, n = 0;

	line[n++] = 'a';
	line[n++] = '\n';
	for (i = 0; i <= TABLE_COLS_MAX; i++)
		line[n++] = ',';
	line[n++] = '\n';
	t = csv_of(line, n, err, sizeof(err));
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 256 columns"));
	table_close(t);
}
END_TEST

START_TEST(test_header_and_formula_guard)
{
	char err[256];
	struct table_src *t = CSV("UserName , EMAIL,title,phone\n"
	    "'=1+2,'@x.example,'plain,'+44 1\n", err);
	struct imp_header h;
	struct imp_rec rec;
	struct table_row r;

	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(imp_header_parse(&r, &h, err, sizeof(err)), 0);
	ck_assert_int_eq(h.col[IF_USERNAME], 1);
	ck_assert_int_eq(h.col[IF_EMAIL], 2);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	imp_row_record(ta, &h, &r, &rec);
	ck_assert_str_eq(rec.f[IF_USERNAME].v, "=1+2");
	ck_assert_str_eq(rec.f[IF_EMAIL].v, "@x.example");
	ck_assert_str_eq(rec.f[IF_TITLE].v, "'plain");
	/* export never guards a phone number: such a quote is the value's */
	ck_assert_str_eq(rec.f[IF_PHONE].v, "'+44 1");
	table_close(t);

	t = CSV("username,Username\n", err);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(imp_header_parse(&r, &h, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "column 2: column \"username\" "
	    "again"));
	table_close(t);
	t = CSV("username,kind\n", err);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(imp_header_parse(&r, &h, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown column \"kind\""));
	table_close(t);
}
END_TEST

START_TEST(test_record_checks)
{
	char err[256];
	struct table_src *t = CSV("username,email,groups,roles,active\n"
	    "u,A@b.example,security:x; y ;team:z;;,R1;r2,Yes\n"
	    ",bad,admin:,,maybe\n", err);
	struct imp_header h;
	struct imp_rec rec;
	struct table_row r;

	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(imp_header_parse(&r, &h, err, sizeof(err)), 0);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	imp_row_record(ta, &h, &r, &rec);
	ck_assert_uint_eq(imp_rec_check(ta, &rec, 0), 0);
	ck_assert_uint_eq(rec.ngroups, 3);
	ck_assert_str_eq(rec.groups[0].kind, "security");
	ck_assert_str_eq(rec.groups[0].code, "x");
	ck_assert_str_eq(rec.groups[1].kind, "user");
	ck_assert_str_eq(rec.groups[1].code, "y");
	ck_assert_str_eq(rec.groups[2].kind, "user");
	ck_assert_str_eq(rec.groups[2].code, "team:z");
	ck_assert_uint_eq(rec.nroles, 2);
	ck_assert_int_eq(rec.bools[0], 1);
	ck_assert_int_eq(table_next(t, &r, err, sizeof(err)), 1);
	imp_row_record(ta, &h, &r, &rec);
	/* username required, email, the group with no code, the boolean */
	ck_assert_uint_eq(imp_rec_check(ta, &rec, 0), 4);
	ck_assert_int_eq(rec.errs[0].col, 3);
	ck_assert_int_eq(rec.errs[1].field, IF_USERNAME);
	ck_assert_int_eq(rec.errs[1].col, 1);
	table_close(t);
}
END_TEST

START_TEST(test_hash_shapes)
{
	static const char *const good[] = {
		"$2b$12$KKKKKKKKKKKKKKKKKKKKKKqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
		"$2y$04$abcdefghijklmnopqrstuv./ABCDEFGHIJKLMNOPQRSTUVWXYZ012",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		"$pbkdf2-sha256$i=600000$c2FsdA$aGFzaA",
		"$pbkdf2-sha256$29000$N2YuZQ$Xr0Qh4bn",
	};
	static const char *const bad[] = {
		"hunter2", "$2b$12$short", "$2b$99$KKKKKKKKKKKKKKKKKKKKKKqqqqqqqq"
		"qqqqqqqqqqqqqqqqqqqqqqqqq", "$md5$x$y$z", "$argon2id$v=19",
		"$argon2id$v=19$m=1$salt$", "$argon2id$v=19$m=1$sa lt$hash",
		"$2b$12$KKKKKKKKKKKKKKKKKKKKKKqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq!",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(imp_hash_shape_ok(good[i], strlen(good[i])),
		    "%s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!imp_hash_shape_ok(bad[i], strlen(bad[i])),
		    "%s", bad[i]);
	ck_assert_int_eq(imp_bool_parse("TRUE", 4), 1);
	ck_assert_int_eq(imp_bool_parse("no", 2), 0);
	ck_assert_int_eq(imp_bool_parse("0", 1), 0);
	ck_assert_int_eq(imp_bool_parse("y", 1), -1);
}
END_TEST

static Suite *
imp_suite(void)
{
	Suite *s = suite_create("imp");
	TCase *tc = tcase_create("csv");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_csv_quotes_and_breaks);
	tcase_add_test(tc, test_csv_unterminated_quote);
	tcase_add_test(tc, test_csv_bad_utf8_and_nul);
	tcase_add_test(tc, test_csv_after_quote_and_limits);
	tcase_add_test(tc, test_csv_too_many_columns);
	tcase_add_test(tc, test_header_and_formula_guard);
	tcase_add_test(tc, test_record_checks);
	tcase_add_test(tc, test_hash_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(imp_suite()));
}
