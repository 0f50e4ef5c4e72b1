/*
 * check_cli.c: unit tests for what the operator types and reads: the
 * options of rosterd, rosterctl token's --ttl and roles, the config's
 * sources and redacted password (check-config --print), the warning on
 * unknown ROSTERD_ variables, and the comparison of migrations behind
 * schema readiness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "../../src/daemon.h"
#include "../../src/db/db.h"

/* rosterd's arguments, as main() gets them */
static const struct {
	const char	*argv[5];
	enum rosterd_action act;
	const char	*conf;
} args_cases[] = {
	{ { "rosterd" }, RD_RUN, NULL },
	{ { "rosterd", "-c", "/x.conf" }, RD_RUN, "/x.conf" },
	{ { "rosterd", "--config", "/x.conf" }, RD_RUN, "/x.conf" },
	{ { "rosterd", "-V" }, RD_VERSION, NULL },
	{ { "rosterd", "--version" }, RD_VERSION, NULL },
	{ { "rosterd", "-h" }, RD_HELP, NULL },
	{ { "rosterd", "--help" }, RD_HELP, NULL },
	{ { "rosterd", "-c", "/nonexistent", "--version" }, RD_VERSION, NULL },
	{ { "rosterd", "--check-schema" }, RD_CHECK_SCHEMA, NULL },
	{ { "rosterd", "--check-schema", "-c", "/y" }, RD_CHECK_SCHEMA, "/y" },
	{ { "rosterd", "-c", "/y", "--check-schema" }, RD_CHECK_SCHEMA, "/y" },
	{ { "rosterd", "-c" }, RD_USAGE, NULL },
	{ { "rosterd", "--bogus" }, RD_USAGE, NULL },
	{ { "rosterd", "-x" }, RD_USAGE, NULL },
	{ { "rosterd", "stray" }, RD_USAGE, NULL },
	{ { "rosterd", "-c", "/x", "stray" }, RD_USAGE, NULL },
};

START_TEST(test_rosterd_args)
{
	char *argv[6] = { NULL };
	const char *conf = "unset";
	enum rosterd_action act;
	int argc = 0;

	while (args_cases[_i].argv[argc] != NULL) {
		argv[argc] = (char *)args_cases[_i].argv[argc];
		argc++;
	}
	act = rosterd_args(argc, argv, &conf);
	ck_assert_msg(act == args_cases[_i].act, "case %d: action %d, want %d",
	    _i, act, args_cases[_i].act);
	if (act == RD_RUN || act == RD_CHECK_SCHEMA) {
		if (args_cases[_i].conf == NULL)
			ck_assert_ptr_null(conf);
		else
			ck_assert_str_eq(conf, args_cases[_i].conf);
	}
}
END_TEST

static const char *const ttl_valid[] = { "1", "60", "3600", "31536000",
    "0031536000" };
static const long ttl_valid_value[] = { 1, 60, 3600, 31536000, 31536000 };
static const char *const ttl_invalid[] = { "", "0", "-1", "+5", " 5", "5 ",
    "5s", "1e3", "0x10", "31536001", "99999999999999999999", "3.5", "abc" };

START_TEST(test_ttl_valid)
{
	long ttl = 0;

	ck_assert_int_eq(token_ttl_parse(ttl_valid[_i], &ttl), 0);
	ck_assert_int_eq(ttl, ttl_valid_value[_i]);
}
END_TEST

START_TEST(test_ttl_invalid)
{
	long ttl = 42;

	ck_assert_msg(token_ttl_parse(ttl_invalid[_i], &ttl) == -1,
	    "--ttl \"%s\" accepted", ttl_invalid[_i]);
	ck_assert_int_eq(ttl, 42);
}
END_TEST

START_TEST(test_ttl_null)
{
	long ttl = 42;

	ck_assert_int_eq(token_ttl_parse(NULL, &ttl), -1);
}
END_TEST

START_TEST(test_role_names)
{
	ck_assert_uint_eq(auth_role_bit("SystemAdmin"), AUTH_ROLE_SYSTEM_ADMIN);
	ck_assert_uint_eq(auth_role_bit("TenantAdmin"), AUTH_ROLE_TENANT_ADMIN);
	ck_assert_uint_eq(auth_role_bit("TenantReader"),
	    AUTH_ROLE_TENANT_READER);
	ck_assert_uint_eq(auth_role_bit("tenantadmin"), 0);	/* case */
	ck_assert_uint_eq(auth_role_bit("Admin"), 0);
	ck_assert_uint_eq(auth_role_bit(""), 0);
	ck_assert_uint_eq(auth_role_bit("SystemAdmin "), 0);
}
END_TEST

/* conninfo as written, and as check-config --print shows it */
static const char *const redact_cases[][2] = {
	{ "dbname=rosterd", "dbname=rosterd" },
	{ "host=db password=s3cret user=r", "host=db password=***** user=r" },
	{ "password=s3cret", "password=*****" },
	{ "host=db password = 's3 cr\\'et' user=r",
	    "host=db password = ***** user=r" },
	{ "password='' user=r", "password=***** user=r" },
	{ "sslpassword=k password=p", "sslpassword=***** password=*****" },
	{ "user=password dbname=password", "user=password dbname=password" },
	{ "passfile=/p/.pgpass", "passfile=/p/.pgpass" },
	{ "password=a\\ b host=h", "password=***** host=h" },
	{ "postgresql://bob:s3cret@db:5432/rosterd",
	    "postgresql://bob:*****@db:5432/rosterd" },
	{ "postgres://bob:s3cret@db/rosterd?sslmode=verify-full",
	    "postgres://bob:*****@db/rosterd?sslmode=verify-full" },
	{ "postgresql://bob@db/rosterd", "postgresql://bob@db/rosterd" },
	{ "postgresql://db/rosterd?user=bob&password=s3cret&sslmode=require",
	    "postgresql://db/rosterd?user=bob&password=*****&sslmode=require" },
	{ "postgresql://b:p%40ss@db/x?password=q",
	    "postgresql://b:*****@db/x?password=*****" },
	{ "postgresql://b:p@ss@db/x", "postgresql://b:*****@db/x" },
	{ "postgresql:///rosterd?host=/run/pg", "postgresql:///rosterd?host=/run/pg" },
};

START_TEST(test_redact_conninfo)
{
	char *got = config_redact_conninfo(redact_cases[_i][0]);

	ck_assert_str_eq(got, redact_cases[_i][1]);
	free(got);
}
END_TEST

/* environment entries, and whether they are unknown ROSTERD_ variables */
static const struct {
	const char	*entry;
	int		 unknown;
} env_cases[] = {
	{ "ROSTERD_WORKERS=4", 0 },
	{ "ROSTERD_DB_CONNINFO=x=y", 0 },
	{ "ROSTERD_ACCESS_LOG=off", 0 },
	{ "ROSTERD_LOG_LEVEL", 0 },
	{ "ROSTERD_WORKER=4", 1 },
	{ "ROSTERD_WORKERSS=4", 1 },
	{ "ROSTERD_workers=4", 1 },	/* names are upper case */
	{ "ROSTERD_TOKEN=abc", 1 },
	{ "ROSTERD_=1", 0 },
	{ "ROSTERDX_WORKER=1", 0 },
	{ "PATH=/bin", 0 },
	{ "XROSTERD_WORKER=1", 0 },
};

START_TEST(test_env_unknown)
{
	ck_assert_msg(config_env_unknown(env_cases[_i].entry) ==
	    env_cases[_i].unknown, "%s", env_cases[_i].entry);
}
END_TEST

/* Finds the line of key in text and copies it (without '\n') to out. */
static void
print_line(const char *text, const char *key, char *out, size_t n)
{
	char want[64];
	const char *p, *e;

	snprintf(want, sizeof(want), "%s = ", key);
	for (p = text; p != NULL && *p != '\0'; p = e + (*e != '\0')) {
		e = p + strcspn(p, "\n");
		if (strncmp(p, want, strlen(want)) == 0) {
			snprintf(out, n, "%.*s", (int)(e - p), p);
			return;
		}
	}
	ck_abort_msg("no line for %s in:\n%s", key, text);
}

START_TEST(test_config_print_sources)
{
	char path[] = "/tmp/check_cli.XXXXXX", line[512], want[512];
	struct config cfg;
	char err[512], *text = NULL;
	size_t len = 0, lines = 0, i;
	FILE *f, *mem;
	int fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fprintf(f, "# a comment\nworkers = 3\n\ndb_conninfo = host=h "
	    "password=s3cret dbname=d\nlisten_mode = 0600\n"
	    "access_log = off\n");
	fclose(f);
	setenv("ROSTERD_LOG_LEVEL", "debug", 1);
	setenv("ROSTERD_WORKERS", "5", 1);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), 0);
	unsetenv("ROSTERD_LOG_LEVEL");
	unsetenv("ROSTERD_WORKERS");
	ck_assert_ptr_nonnull(mem = open_memstream(&text, &len));
	ck_assert_int_eq(config_print(&cfg, mem), 0);
	fclose(mem);

	print_line(text, "workers", line, sizeof(line));
	ck_assert_str_eq(line, "workers = 5  # env ROSTERD_WORKERS");
	print_line(text, "log_level", line, sizeof(line));
	ck_assert_str_eq(line, "log_level = debug  # env ROSTERD_LOG_LEVEL");
	print_line(text, "db_conninfo", line, sizeof(line));
	snprintf(want, sizeof(want), "db_conninfo = host=h password=***** "
	    "dbname=d  # %s:4", path);
	ck_assert_str_eq(line, want);
	print_line(text, "listen_mode", line, sizeof(line));
	snprintf(want, sizeof(want), "listen_mode = 0600  # %s:5", path);
	ck_assert_str_eq(line, want);
	print_line(text, "access_log", line, sizeof(line));
	snprintf(want, sizeof(want), "access_log = false  # %s:6", path);
	ck_assert_str_eq(line, want);
	print_line(text, "max_depth", line, sizeof(line));
	ck_assert_str_eq(line, "max_depth = 32  # default");
	print_line(text, "jwt_issuer", line, sizeof(line));
	ck_assert_str_eq(line, "jwt_issuer =   # default");
	ck_assert_ptr_null(strstr(text, "s3cret"));
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	ck_assert_uint_ge(lines, 28);	/* every key */
	free(text);
	config_free(&cfg);
	unlink(path);
}
END_TEST

START_TEST(test_migrations_diff)
{
	char w1[] = "0001_a.sql", w2[] = "0002_b.sql", w3[] = "0003_c.sql";
	char h1[] = "0001_a.sql", h2[] = "0004_new.sql";
	char *want[] = { w1, w2, w3 }, *have[] = { h1, h2 };
	struct buf miss, extra;

	buf_init(&miss, ta);
	buf_init(&extra, ta);
	ck_assert_uint_eq(db_migrations_diff(want, 3, have, 2, &miss, &extra),
	    2);
	ck_assert_str_eq(miss.p, "0002_b.sql, 0003_c.sql");
	ck_assert_str_eq(extra.p, "0004_new.sql");
	ck_assert_uint_eq(db_migrations_diff(want, 3, want, 3, NULL, NULL), 0);
	ck_assert_uint_eq(db_migrations_diff(want, 3, NULL, 0, NULL, NULL), 3);
	ck_assert_uint_eq(db_migrations_diff(NULL, 0, have, 2, NULL, NULL), 0);
}
END_TEST

START_TEST(test_migrations_list)
{
	char dir[] = "/tmp/check_cli_sql.XXXXXX", p[128], err[256];
	const char *files[] = { "0002_b.sql", "0001_a.sql", "notes.txt",
	    ".0003_hidden.sql", "x.sql.orig" };
	char **names;
	size_t n, i;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < RS_ARRAY_LEN(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		ck_assert_ptr_nonnull(f = fopen(p, "w"));
		fclose(f);
	}
	ck_assert_int_eq(db_migrations_list(dir, &names, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "0001_a.sql");
	ck_assert_str_eq(names[1], "0002_b.sql");
	db_names_free(names, n);
	for (i = 0; i < RS_ARRAY_LEN(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	ck_assert_int_eq(db_migrations_list(dir, &names, &n, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, dir));
}
END_TEST

/* db_read_conninfo's password is redacted as db_conninfo's is. */
START_TEST(test_read_conninfo_redacted)
{
	char path[] = "/tmp/check_cli.XXXXXX", line[512], want[512];
	struct config cfg;
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *f, *mem;
	int fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fprintf(f, "db_read_conninfo = host=r password=s3cret dbname=d\n"
	    "db_read_retry_ms = 250\n");
	fclose(f);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.db_read_conninfo,
	    "host=r password=s3cret dbname=d");
	ck_assert_int_eq(cfg.db_read_retry_ms, 250);
	ck_assert_ptr_nonnull(mem = open_memstream(&text, &len));
	ck_assert_int_eq(config_print(&cfg, mem), 0);
	fclose(mem);
	print_line(text, "db_read_conninfo", line, sizeof(line));
	snprintf(want, sizeof(want), "db_read_conninfo = host=r "
	    "password=***** dbname=d  # %s:1", path);
	ck_assert_str_eq(line, want);
	ck_assert_ptr_null(strstr(text, "s3cret"));
	free(text);
	config_free(&cfg);
	unlink(path);
}
END_TEST

/* WAL positions as pg_lsn writes them (Rosterd-LSN). */
static const struct {
	const char	*text;
	int		 ok;
	uint64_t	 lsn;
} lsn_cases[] = {
	{ "0/16B3748", 1, 0x16B3748 },
	{ "0/0", 1, 0 },
	{ "1/0", 1, 1ULL << 32 },
	{ "ab/cdEF0123", 1, 0xab00000000ULL | 0xcdef0123 },
	{ "FFFFFFFF/FFFFFFFF", 1, UINT64_MAX },
	{ "", 0, 0 }, { "0", 0, 0 }, { "0/", 0, 0 }, { "/0", 0, 0 },
	{ "0/1/2", 0, 0 }, { "123456789/0", 0, 0 }, { "0/123456789", 0, 0 },
	{ "0x1/2", 0, 0 }, { "-1/2", 0, 0 }, { "+1/2", 0, 0 },
	{ " 0/1", 0, 0 }, { "0/1 ", 0, 0 }, { "g/1", 0, 0 },
};

START_TEST(test_lsn_parse)
{
	char out[DB_LSN_STR];
	uint64_t lsn = 42;

	ck_assert_int_eq(db_lsn_parse(lsn_cases[_i].text, &lsn),
	    lsn_cases[_i].ok ? 0 : -1);
	if (!lsn_cases[_i].ok) {
		ck_assert_uint_eq(lsn, 42);	/* untouched */
		return;
	}
	ck_assert_uint_eq(lsn, lsn_cases[_i].lsn);
	db_lsn_format(lsn, out);
	ck_assert_uint_eq(db_lsn_parse(out, &lsn), 0);
	ck_assert_uint_eq(lsn, lsn_cases[_i].lsn);
}
END_TEST

START_TEST(test_lsn_format)
{
	char out[DB_LSN_STR];

	db_lsn_format(0x16B3748, out);
	ck_assert_str_eq(out, "0/16B3748");
	db_lsn_format(UINT64_MAX, out);
	ck_assert_str_eq(out, "FFFFFFFF/FFFFFFFF");
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rosterd_args, 0,
	    (int)RS_ARRAY_LEN(args_cases));
	tcase_add_loop_test(tc, test_ttl_valid, 0,
	    (int)RS_ARRAY_LEN(ttl_valid));
	tcase_add_loop_test(tc, test_ttl_invalid, 0,
	    (int)RS_ARRAY_LEN(ttl_invalid));
	tcase_add_test(tc, test_ttl_null);
	tcase_add_test(tc, test_role_names);
	tcase_add_loop_test(tc, test_redact_conninfo, 0,
	    (int)RS_ARRAY_LEN(redact_cases));
	tcase_add_loop_test(tc, test_env_unknown, 0,
	    (int)RS_ARRAY_LEN(env_cases));
	tcase_add_test(tc, test_config_print_sources);
	tcase_add_test(tc, test_migrations_diff);
	tcase_add_test(tc, test_migrations_list);
	tcase_add_test(tc, test_read_conninfo_redacted);
	tcase_add_loop_test(tc, test_lsn_parse, 0,
	    (int)RS_ARRAY_LEN(lsn_cases));
	tcase_add_test(tc, test_lsn_format);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(cli_suite()));
}
