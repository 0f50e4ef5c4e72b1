/*
 * check_imp.c: unit tests for rosterctl import's readers: the CSV
 * tabular source (imp/table_csv.c) on RFC 4180's edge cases and broken
 * files, the header mapping and formula-guard quote of imp/record.c,
 * password hash shapes and truth values; the Keycloak source's
 * credential -> PHC conversion (checked with rosterd's own Argon2id
 * verifier and OpenSSL's PBKDF2) and its streaming reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <check.h>
#include <openssl/evp.h>

#include "unit.h"
#include "../../src/auth/auth.h"
#include "../../src/imp/imp.h"
#include "../../src/util/util.h"

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

/* secretData and credentialData as a Keycloak export has them. */
static void
kc_cred(struct arena *a, const unsigned char *hash, size_t hlen,
    const char *salt, const char *alg, long iter, const char *params,
    char **sd, char **cd)
{
	*sd = arena_sprintf(a, "{\"value\":\"%s\",\"salt\":\"%s\","
	    "\"additionalParameters\":{}}", base64_encode(a, hash, hlen),
	    base64_encode(a, salt, strlen(salt)));
	*cd = arena_sprintf(a, "{\"hashIterations\":%ld,\"algorithm\":\"%s\","
	    "\"additionalParameters\":%s}", iter, alg, params);
}

static const char *
b64np(struct arena *a, const void *p, size_t n)
{
	char *s = base64_encode(a, p, n);
	size_t len = strlen(s);

	while (len > 0 && s[len - 1] == '=')
		s[--len] = '\0';
	return s;
}

START_TEST(test_kc_pbkdf2_phc)
{
	static const struct {
		const char *alg, *phc_alg;
		const EVP_MD *(*md)(void);
	} cases[] = {
		{ "pbkdf2-sha256", "pbkdf2-sha256", EVP_sha256 },
		{ "pbkdf2-sha512", "pbkdf2-sha512", EVP_sha512 },
		{ "pbkdf2", "pbkdf2-sha1", EVP_sha1 },
	};
	struct arena *a = arena_new(0);
	unsigned char dk[64];
	const char *phc, *alg, *salt = "a salt, 16 bytes";
	char err[256], *sd, *cd, *want;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(cases); i++) {
		ck_assert_int_eq(PKCS5_PBKDF2_HMAC("hunter2", 7,
		    (const unsigned char *)salt, (int)strlen(salt), 27500,
		    cases[i].md(), sizeof(dk), dk), 1);
		kc_cred(a, dk, sizeof(dk), salt, cases[i].alg, 27500, "{}",
		    &sd, &cd);
		ck_assert_int_eq(kc_password_phc(a, sd, strlen(sd), cd,
		    strlen(cd), &phc, &alg, err, sizeof(err)), 0);
		want = arena_sprintf(a, "$%s$i=27500$%s$%s", cases[i].phc_alg,
		    b64np(a, salt, strlen(salt)), b64np(a, dk, sizeof(dk)));
		ck_assert_str_eq(phc, want);
		ck_assert_int_eq(imp_hash_shape_ok(phc, strlen(phc)), 1);
		/* PHC's B64: no padding (the 64-byte key would have one) */
		ck_assert_ptr_null(strchr(strrchr(phc, '$'), '='));
	}
	arena_free(a);
}
END_TEST

START_TEST(test_kc_argon2_phc)
{
	static const struct {
		const char *params, *prefix;
		uint32_t m, p;
		argon2_type type;
	} cases[] = {
		{ "{\"hashLength\":[\"32\"],\"memory\":[\"7168\"],\"type\":"
		  "[\"id\"],\"version\":[\"1.3\"],\"parallelism\":[\"1\"]}",
		  "$argon2id$v=19$m=7168,t=3,p=1$", 7168, 1, Argon2_id },
		{ "{}", "$argon2id$v=19$m=7168,t=3,p=1$", 7168, 1,
		  Argon2_id },		/* Keycloak's defaults */
		{ "{\"memory\":[\"4096\"],\"parallelism\":[\"2\"],\"type\":"
		  "[\"i\"]}", "$argon2i$v=19$m=4096,t=3,p=2$", 4096, 2,
		  Argon2_i },
	};
	struct arena *a = arena_new(0);
	unsigned char h[32];
	const char *phc, *alg, *salt = "saltsaltsaltsalt";
	char err[256], *sd, *cd;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(cases); i++) {
		ck_assert_int_eq(argon2_hash(3, cases[i].m, cases[i].p,
		    "hunter2", 7, salt, strlen(salt), h, sizeof(h), NULL, 0,
		    cases[i].type, ARGON2_VERSION_13), ARGON2_OK);
		kc_cred(a, h, sizeof(h), salt, "argon2", 3, cases[i].params,
		    &sd, &cd);
		ck_assert_int_eq(kc_password_phc(a, sd, strlen(sd), cd,
		    strlen(cd), &phc, &alg, err, sizeof(err)), 0);
		ck_assert_msg(strncmp(phc, cases[i].prefix,
		    strlen(cases[i].prefix)) == 0, "%s", phc);
		ck_assert_int_eq(imp_hash_shape_ok(phc, strlen(phc)), 1);
		ck_assert_int_eq(argon2_verify(phc, "hunter2", 7,
		    cases[i].type), ARGON2_OK);
		if (cases[i].type == Argon2_id) {
			/* rosterd's own verifier takes it */
			ck_assert_int_eq(password_verify(phc, "hunter2", 7), 1);
			ck_assert_int_eq(password_verify(phc, "hunter3", 7), 0);
		}
	}
	arena_free(a);
}
END_TEST

START_TEST(test_kc_phc_refusals)
{
	static const struct {
		const char *sd, *cd;
		int rc;
		const char *msg;
	} cases[] = {
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":1,\"algorithm\":\"md5\"}", 1, "md5" },
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":1,\"algorithm\":\"bcrypt\"}", 1,
		  "bcrypt" },
		{ "{\"value\":\"!!notb64\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":10,\"algorithm\":\"pbkdf2-sha256\"}", -1,
		  "secretData.value is not base64" },
		{ "{\"value\":\"aGFzaA==\"}",
		  "{\"hashIterations\":10,\"algorithm\":\"pbkdf2-sha256\"}", -1,
		  "secretData.salt is not base64" },
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"algorithm\":\"pbkdf2-sha256\"}", -1,
		  "hashIterations is not a count" },
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":0,\"algorithm\":\"pbkdf2\"}", -1,
		  "hashIterations is not a count" },
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":1}", -1, "no algorithm" },
		{ "not json", "{}", -1, "secretData is not a JSON object" },
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":3,\"algorithm\":\"argon2\","
		  "\"additionalParameters\":{\"type\":[\"x\"]}}", -1,
		  "type is not id, i or d" },
		{ "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
		  "{\"hashIterations\":3,\"algorithm\":\"argon2\","
		  "\"additionalParameters\":{\"hashLength\":[\"32\"]}}", -1,
		  "out of range" },	/* a 4-byte hash said to be 32 */
	};
	struct arena *a = arena_new(0);
	const char *phc, *alg;
	char err[256];
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(cases); i++) {
		err[0] = '\0';
		ck_assert_int_eq(kc_password_phc(a, cases[i].sd,
		    strlen(cases[i].sd), cases[i].cd, strlen(cases[i].cd), &phc,
		    &alg, err, sizeof(err)), cases[i].rc);
		ck_assert_ptr_null(phc);
		if (cases[i].rc == 1)
			ck_assert_str_eq(alg, cases[i].msg);
		else {
			ck_assert_msg(strstr(err, cases[i].msg) != NULL,
			    "%zu: %s", i, err);
			ck_assert(strstr(err, "aGFzaA") == NULL);
		}
	}
	arena_free(a);
}
END_TEST

/* A Keycloak source over text, from a temporary file. */
static struct kc *
kc_of(const char *text, size_t n, char *err, size_t errlen)
{
	struct kc *k;
	int fd;

	snprintf(tmpl, sizeof(tmpl), "/tmp/check_imp.XXXXXX");
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	k = kc_open(tmpl, err, errlen);
	unlink(tmpl);
	return k;
}

START_TEST(test_kc_stream)
{
	struct arena *a = arena_new(0);
	struct buf b;
	struct imp_rec r;
	struct kc *k;
	char err[256];
	long i, n = 3000;

	/* users first, groups after: the groups tree is read as it comes */
	buf_init(&b, NULL);
	buf_puts(&b, "{\"realm\":\"Acme\",\"clients\":[{\"users\":[1]}],"
	    "\"users\":[");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s{\"id\":\"%08lx-0000-4000-8000-000000000000\","
		    "\"username\":\"u%ld\",\"enabled\":%s,\"attributes\":{\"x\":"
		    "[\"%ld\"]},\"realmRoles\":[\"default-roles-acme\",\"r\"],"
		    "\"groups\":[\"/a/b\"]}", i ? "," : "", i + 1, i,
		    i % 2 ? "true" : "false", i);
	buf_puts(&b, "],\"roles\":{\"client\":{\"c\":[{\"name\":\"x\"}]},"
	    "\"realm\":[{\"name\":\"offline_access\"},{\"name\":\"r\","
	    "\"description\":\"d\"}]},\"groups\":[{\"name\":\"a\",\"path\":"
	    "\"/a\",\"subGroups\":[{\"name\":\"b\",\"path\":\"/a/b\"},"
	    "{\"name\":\"c\",\"path\":\"/a/c\"}]}]}");
	k = kc_of(b.p, b.len, err, sizeof(err));
	ck_assert_ptr_nonnull(k);
	/* the user's group, defined before the user: "a/b", named "b" */
	ck_assert_int_eq(kc_next(k, a, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.kind, IMP_GROUP);
	ck_assert_int_eq(r.line, 1);
	ck_assert_str_eq(r.f[IF_CODE].v, "a/b");
	ck_assert_str_eq(r.f[IF_NAME].v, "b");
	for (i = 0; i < n; i++) {
		arena_reset(a);
		ck_assert_int_eq(kc_next(k, a, &r, err, sizeof(err)), 1);
		ck_assert_int_eq(r.kind, IMP_USER);
		ck_assert_int_eq(r.line, i + 2);
		ck_assert_uint_eq(r.nerrs, 0);
		ck_assert_str_eq(r.f[IF_USERNAME].v, arena_sprintf(a, "u%ld",
		    i));
		ck_assert_str_eq(r.canon_id, arena_sprintf(a,
		    "%08lx-0000-4000-8000-000000000000", i + 1));
		ck_assert_str_eq(r.f[IF_ACTIVE].v, i % 2 ? "true" : "false");
		ck_assert_uint_eq(r.nroles, 1);
		ck_assert_str_eq(r.roles[0], "r");
		ck_assert_uint_eq(r.ngroups, 1);
		ck_assert_str_eq(r.groups[0].code, "a/b");
	}
	arena_reset(a);
	ck_assert_int_eq(kc_next(k, a, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.kind, IMP_ROLE);	/* offline_access: skipped */
	ck_assert_str_eq(r.f[IF_NAME].v, "r");
	ck_assert_str_eq(r.f[IF_DESCRIPTION].v, "d");
	/* the tree: "a", then "a/c" ("a/b" was written already) */
	ck_assert_int_eq(kc_next(k, a, &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.f[IF_CODE].v, "a");
	ck_assert_int_eq(kc_next(k, a, &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.f[IF_CODE].v, "a/c");
	ck_assert_str_eq(r.f[IF_NAME].v, "c");
	ck_assert_int_eq(r.line, n + 4);
	ck_assert_int_eq(kc_next(k, a, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(kc_notes(k)->builtin_roles, 1);
	ck_assert_int_eq(kc_notes(k)->builtin_assignments, n);
	kc_close(k);
	/* the same, cut short: the reader fails at the end, not before */
	k = kc_of(b.p, b.len - 40, err, sizeof(err));
	while ((i = kc_next(k, a, &r, err, sizeof(err))) == 1)
		arena_reset(a);
	ck_assert_int_eq(i, -1);
	ck_assert_msg(strstr(err, "the document ends early") != NULL, "%s",
	    err);
	kc_close(k);
	buf_release(&b);
	arena_free(a);
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
	tcase_add_test(tc, test_kc_pbkdf2_phc);
	tcase_add_test(tc, test_kc_argon2_phc);
	tcase_add_test(tc, test_kc_phc_refusals);
	tcase_add_test(tc, test_kc_stream);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(imp_suite()));
}
