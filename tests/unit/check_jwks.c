/*
 * check_jwks.c: unit tests for auth/jwks.c without a network: the
 * fetcher's pure parts (discovery, Cache-Control, schedule), the
 * worker side (jwks_current reading state_dir, the refetch datagram),
 * and listen_open()'s choice of address for "host:port".  The fetcher
 * against a real HTTPS server is tested by tests/http/t_jwks.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "../../src/auth/jwks.h"
#include "../../src/daemon.h"

/* An Ed25519 public key (from check_auth.c's PyJWT vector). */
#define ED_X	"3pB2MtCpMTKbu7TVgsKjrWZhW4NoJVFNa12flx7hLCM"
#define DEADLINE 60	/* seconds: only guards against a hang */

/* ------------------------------------------------------------------ */
/* Helpers */

static char state[64];

static void
state_setup(void)
{
	char path[128];

	setup();
	strcpy(state, "/tmp/check_jwks.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state));
	snprintf(path, sizeof(path), "%s/jwks", state);
	ck_assert_int_eq(mkdir(path, 0750), 0);
}

static void
state_teardown(void)
{
	char cmd[128];

	jwks_release_all();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	ck_assert_int_eq(system(cmd), 0);
	teardown();
}

/* Replaces state/jwks/NAME.json with text, as the fetcher does. */
static void
put_file(const char *name, const char *text)
{
	char tmp[128], path[128];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s/jwks/.%s.tmp", state, name);
	snprintf(path, sizeof(path), "%s/jwks/%s.json", state, name);
	ck_assert_ptr_nonnull(fp = fopen(tmp, "w"));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static char *
ed_jwks(const char *kid)
{
	return arena_sprintf(ta, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"" ED_X "\",\"kid\":\"%s\"}]}", kid);
}

/* The kids jwks_current() gives for src, comma-separated. */
static char *
kids_of(const struct jwks_source *src)
{
	const struct jwt_key *keys;
	struct buf b;
	size_t n, i;

	ck_assert_int_eq(jwks_current(src, state, &keys, &n), 0);
	buf_init(&b, ta);
	buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, keys[i].kid != NULL ? keys[i].kid : "(none)");
	}
	return b.p;
}

/* Polls kids_of(src) until it is want; fails after DEADLINE. */
static void
await_kids(const struct jwks_source *src, const char *want)
{
	time_t end = time(NULL) + DEADLINE;
	const char *got;

	while (strcmp(got = kids_of(src), want) != 0) {
		ck_assert_msg(time(NULL) < end, "kids \"%s\", wanted \"%s\"",
		    got, want);
		usleep(20000);
	}
}

/* Sends stderr to a file; returns the file's path. */
static char *
capture_stderr(void)
{
	char *path = arena_sprintf(ta, "%s/stderr", state);
	int fd;

	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	return path;
}

static int
file_has(const char *path, const char *needle)
{
	char text[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	return strstr(text, needle) != NULL;
}

/* Polls jwks_current(src) until the log at path holds needle. */
static void
await_log(const struct jwks_source *src, const char *path, const char *needle)
{
	time_t end = time(NULL) + DEADLINE;

	while (!file_has(path, needle)) {
		ck_assert_msg(time(NULL) < end, "no \"%s\" logged", needle);
		(void)kids_of(src);
		usleep(20000);
	}
}

/* ------------------------------------------------------------------ */
/* Pure parts */

START_TEST(names)
{
	static const char *good[] = { "a", "keycloak", "entra-common",
	    "okta_2", "0123456789012345678901234567890123456789012345678901"
	    "234567890123" };
	static const char *bad[] = { "", "A", "x/y", "../x", ".x", "x.json",
	    "a b", "é", "01234567890123456789012345678901234567890123456789"
	    "0123456789012345" };
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(good); i++)
		ck_assert_msg(jwks_name_ok(good[i]), "%s", good[i]);
	for (i = 0; i < RS_ARRAY_LEN(bad); i++)
		ck_assert_msg(!jwks_name_ok(bad[i]), "%s", bad[i]);
	ck_assert(!jwks_name_ok(NULL));
}
END_TEST

START_TEST(discovery_url)
{
	char *u;

	u = jwks_discovery_url("https://idp.test/realms/x");
	ck_assert_str_eq(u, "https://idp.test/realms/x/.well-known/"
	    "openid-configuration");
	free(u);
	u = jwks_discovery_url("https://idp.test/v2.0/");
	ck_assert_str_eq(u, "https://idp.test/v2.0/.well-known/"
	    "openid-configuration");
	free(u);
}
END_TEST

static const struct {
	const char	*doc;
	const char	*uri;		/* NULL: refused */
	const char	*why;		/* in the message when refused */
} disc_cases[] = {
	{ "{\"issuer\":\"https://idp.test/r\",\"jwks_uri\":"
	    "\"https://idp.test/r/certs\"}", "https://idp.test/r/certs", NULL },
	{ "{\"jwks_uri\":\"https://k.test/c\",\"issuer\":\"https://idp.test/r\","
	    "\"x\":[1,{\"jwks_uri\":\"https://evil\"}]}", "https://k.test/c",
	    NULL },
	{ "{\"issuer\":\"https://idp.test/r/\",\"jwks_uri\":"
	    "\"https://idp.test/r/certs\"}", NULL, "\"issuer\" is not" },
	{ "{\"issuer\":\"https://evil.test/r\",\"jwks_uri\":"
	    "\"https://idp.test/r/certs\"}", NULL, "\"issuer\" is not" },
	{ "{\"jwks_uri\":\"https://idp.test/r/certs\"}", NULL,
	    "\"issuer\" is not" },
	{ "{\"issuer\":\"https://idp.test/r\\u0000x\",\"jwks_uri\":"
	    "\"https://idp.test/r/certs\"}", NULL, "NUL" },
	{ "{\"issuer\":\"https://idp.test/r\"}", NULL, "no \"jwks_uri\"" },
	{ "{\"issuer\":\"https://idp.test/r\",\"jwks_uri\":"
	    "\"http://idp.test/r/certs\"}", NULL, "not an https URL" },
	{ "{\"issuer\":\"https://idp.test/r\",\"jwks_uri\":"
	    "\"file:///etc/passwd\"}", NULL, "not an https URL" },
	{ "{\"issuer\":\"https://idp.test/r\",\"jwks_uri\":\"https://\"}",
	    NULL, "not an https URL" },
	{ "{\"issuer\":\"https://idp.test/r\",\"jwks_uri\":7}", NULL,
	    "no \"jwks_uri\"" },
	{ "[\"https://idp.test/r\"]", NULL, "not a JSON object" },
	{ "<html>", NULL, "not a JSON object" },
	{ "", NULL, "not a JSON object" },
};

START_TEST(discovery_parse)
{
	char err[256], *uri;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(disc_cases); i++) {
		err[0] = '\0';
		uri = jwks_discovery_parse(disc_cases[i].doc,
		    strlen(disc_cases[i].doc), "https://idp.test/r", err,
		    sizeof(err));
		if (disc_cases[i].uri != NULL) {
			ck_assert_msg(uri != NULL, "case %zu: %s", i, err);
			ck_assert_str_eq(uri, disc_cases[i].uri);
		} else {
			ck_assert_msg(uri == NULL, "case %zu accepted", i);
			ck_assert_msg(strstr(err, disc_cases[i].why) != NULL,
			    "case %zu: \"%s\"", i, err);
		}
		free(uri);
	}
	/* a raw NUL inside the bytes */
	uri = jwks_discovery_parse("{\"issuer\":\"https://idp.test/r\"}\0x",
	    33, "https://idp.test/r", err, sizeof(err));
	ck_assert_ptr_null(uri);
}
END_TEST

START_TEST(max_age)
{
	ck_assert_int_eq(jwks_max_age(" max-age=300"), 300);
	ck_assert_int_eq(jwks_max_age("public, max-age=60, must-revalidate"),
	    60);
	ck_assert_int_eq(jwks_max_age("Max-Age=5"), 5);
	ck_assert_int_eq(jwks_max_age("no-store, max-age=60"), -1);
	ck_assert_int_eq(jwks_max_age("max-age=60, no-cache"), -1);
	ck_assert_int_eq(jwks_max_age("public"), -1);
	ck_assert_int_eq(jwks_max_age(""), -1);
	ck_assert_int_eq(jwks_max_age("max-age=abc"), -1);
	ck_assert_int_eq(jwks_max_age("s-maxage=10"), -1);
	ck_assert_int_eq(jwks_max_age("max-age=99999999999999999999999"),
	    LONG_MAX);
}
END_TEST

START_TEST(next_delay)
{
	struct jwks_source s = { .name = "x", .iss = "https://i",
	    .refresh_seconds = 3600, .min_refetch_seconds = 30 };

	ck_assert_int_eq(jwks_next_delay(&s, 0, -1), 3600);
	ck_assert_int_eq(jwks_next_delay(&s, 0, 300), 300);
	ck_assert_int_eq(jwks_next_delay(&s, 0, 5), 30);
	ck_assert_int_eq(jwks_next_delay(&s, 0, 0), 30);
	ck_assert_int_eq(jwks_next_delay(&s, 0, 86400), 3600);
	ck_assert_int_eq(jwks_next_delay(&s, 0, LONG_MAX), 3600);
	ck_assert_int_eq(jwks_next_delay(&s, 1, -1), 5);
	ck_assert_int_eq(jwks_next_delay(&s, 2, -1), 10);
	ck_assert_int_eq(jwks_next_delay(&s, 3, -1), 20);
	ck_assert_int_eq(jwks_next_delay(&s, 7, -1), 300);
	ck_assert_int_eq(jwks_next_delay(&s, 1000000, -1), 300);
	s.refresh_seconds = 60;
	ck_assert_int_eq(jwks_next_delay(&s, 10, -1), 60);
	s.refresh_seconds = 1;
	ck_assert_int_eq(jwks_next_delay(&s, 1, -1), 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Worker side */

START_TEST(current_bad_arguments)
{
	struct jwks_source s = { .name = "x" }, bad = { .name = "../x" };
	const struct jwt_key *keys;
	size_t n;

	ck_assert_int_eq(jwks_current(NULL, state, &keys, &n), -1);
	ck_assert_int_eq(jwks_current(&s, NULL, &keys, &n), -1);
	ck_assert_int_eq(jwks_current(&s, state, NULL, &n), -1);
	ck_assert_int_eq(jwks_current(&s, state, &keys, NULL), -1);
	ck_assert_int_eq(jwks_current(&bad, state, &keys, &n), -1);
	bad.name = NULL;
	ck_assert_int_eq(jwks_current(&bad, state, &keys, &n), -1);
}
END_TEST

START_TEST(current_nothing_fetched)
{
	struct jwks_source s = { .name = "idp" };

	ck_assert_str_eq(kids_of(&s), "");
}
END_TEST

START_TEST(current_follows_the_file)
{
	struct jwks_source a = { .name = "a" }, b = { .name = "b" };

	put_file("a", ed_jwks("a1"));
	put_file("b", ed_jwks("b1"));
	ck_assert_str_eq(kids_of(&a), "a1");
	ck_assert_str_eq(kids_of(&b), "b1");
	put_file("a", ed_jwks("a2"));
	await_kids(&a, "a2");
	ck_assert_str_eq(kids_of(&b), "b1");
}
END_TEST

START_TEST(current_keeps_keys_over_a_bad_file)
{
	struct jwks_source s = { .name = "idp" };
	char *log = capture_stderr();

	put_file("idp", ed_jwks("k1"));
	ck_assert_str_eq(kids_of(&s), "k1");
	put_file("idp", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"broken\"}]}");
	await_log(&s, log, "keeping the 1 keys loaded before");
	ck_assert_str_eq(kids_of(&s), "k1");
	put_file("idp", "{\"keys\":[]}");
	await_log(&s, log, "holds no public signing key");
	ck_assert_str_eq(kids_of(&s), "k1");
	put_file("idp", ed_jwks("k2"));
	await_kids(&s, "k2");
}
END_TEST

START_TEST(current_drops_shared_secrets)
{
	struct jwks_source s = { .name = "idp" };
	char *log = capture_stderr();

	put_file("idp", arena_sprintf(ta, "{\"keys\":[{\"kty\":\"oct\","
	    "\"kid\":\"hs\",\"k\":\"%s\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"" ED_X "\",\"kid\":\"ed\"}]}",
	    "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0"));
	ck_assert_str_eq(kids_of(&s), "ed");
	jwks_release_all();
	put_file("idp", "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"hs\",\"k\":"
	    "\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0\"}]}");
	ck_assert_str_eq(kids_of(&s), "");
	ck_assert(file_has(log, "holds no public signing key"));
}
END_TEST

START_TEST(status_file)
{
	struct jwks_source s = { .name = "idp" };
	struct jwks_status st;
	char path[128];
	FILE *fp;

	ck_assert_int_eq(jwks_status_read(&s, state, &st), -1);
	snprintf(path, sizeof(path), "%s/jwks/idp.status.json", state);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("{\"issuer\":\"idp\",\"last_error\":\"x\",\"failures\":3,"
	    "\"kids\":[\"a\",\"b\"],\"last_attempt_ms\":1800000000123,"
	    "\"last_success_ms\":1799999999000}\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(jwks_status_read(&s, state, &st), 0);
	ck_assert_int_eq(st.last_attempt_ms, 1800000000123LL);
	ck_assert_int_eq(st.last_success_ms, 1799999999000LL);
	ck_assert_int_eq(st.failures, 3);
	ck_assert_int_eq(st.nkeys, 2);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("{\"issuer\":", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(jwks_status_read(&s, state, &st), -1);
	ck_assert_int_eq(st.failures, 0);
	s.name = "../idp";
	ck_assert_int_eq(jwks_status_read(&s, state, &st), -1);
}
END_TEST

START_TEST(refresh_request_datagram)
{
	struct jwks_source s = { .name = "keycloak" };
	struct sockaddr_un sa;
	char got[128];
	ssize_t n;
	int fd;

	/* nobody listening: returns at once */
	jwks_request_refresh(&s, state);
	jwks_release_all();
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/jwks/refresh.sock",
	    state);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	jwks_request_refresh(&s, state);
	n = recv(fd, got, sizeof(got), 0);
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(memcmp(got, "keycloak", 8), 0);
	s.name = "../etc";
	jwks_request_refresh(&s, state);	/* refused: not sent */
	n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
	ck_assert_int_eq(n, -1);
	close(fd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* listen_open: the address a "host:port" binds */

static char *
bound(const char *listen)
{
	struct config cfg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char err[256], host[INET6_ADDRSTRLEN];
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = (char *)listen;
	cfg.listen_backlog = 16;
	cfg.listen_mode = 0600;
	fd = listen_open(&cfg, err, sizeof(err));
	if (fd < 0)
		return arena_sprintf(ta, "error: %s", err);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	close(fd);
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    host, sizeof(host));
	return arena_sprintf(ta, "%s", host);
}

START_TEST(listen_port_only_is_loopback)
{
	ck_assert_str_eq(bound(":0"), "127.0.0.1");
	ck_assert_str_eq(bound("127.0.0.1:0"), "127.0.0.1");
	ck_assert_str_eq(bound("0.0.0.0:0"), "0.0.0.0");
	if (strncmp(bound("[::1]:0"), "error: ", 7) != 0) {	/* has IPv6 */
		ck_assert_str_eq(bound("[::1]:0"), "::1");
		ck_assert_str_eq(bound("[::]:0"), "::");
	}
	ck_assert_ptr_nonnull(strstr(bound("localhost:0"), "error: "));
}
END_TEST

static Suite *
jwks_suite(void)
{
	Suite *s = suite_create("jwks");
	TCase *tc;

	tc = tcase_create("pure");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names);
	tcase_add_test(tc, discovery_url);
	tcase_add_test(tc, discovery_parse);
	tcase_add_test(tc, max_age);
	tcase_add_test(tc, next_delay);
	suite_add_tcase(s, tc);

	tc = tcase_create("worker");
	tcase_add_checked_fixture(tc, state_setup, state_teardown);
	tcase_set_timeout(tc, 2 * DEADLINE);
	tcase_add_test(tc, current_bad_arguments);
	tcase_add_test(tc, current_nothing_fetched);
	tcase_add_test(tc, current_follows_the_file);
	tcase_add_test(tc, current_keeps_keys_over_a_bad_file);
	tcase_add_test(tc, current_drops_shared_secrets);
	tcase_add_test(tc, refresh_request_datagram);
	tcase_add_test(tc, status_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("listen");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, listen_port_only_is_loopback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(jwks_suite()));
}
