/*
 * fuzz_config.c: the configuration parser (config.c), from a temporary
 * file holding the input (config_load() reads a path).  ROSTERD_*
 * variables are cleared first, so only the file counts.  The file is
 * unlinked as soon as it is made and read back through /proc/self/fd, so
 * that no run, not even one that crashes, leaves it behind in /tmp.
 *
 * Properties: config_load() answers 0, or -1 with a message; on 0 every
 * number is within its key's range, the derived body limits are the
 * four keys', listen and db_conninfo are set; and the configuration
 * written back as "key=value" lines loads to the same values (a fixed
 * point).
 *
 * Inputs naming special files (/dev/, /proc/, /sys/) for the key files
 * are skipped: a FIFO or a terminal would block the run, which says
 * nothing about the parser.
 */
#define FUZZ_NAME "config"
#include "fuzz.h"

#include <unistd.h>

#include "../../src/config.h"

extern char **environ;

static char path[64];	/* /proc/self/fd/N once set up */
static int fd = -1;

static void
setup(void)
{
	char **e;
	char name[128];
	size_t n;

	if (fd >= 0)
		return;
	for (e = environ; *e != NULL;) {
		if (strncmp(*e, "ROSTERD_", 8) == 0) {
			n = strcspn(*e, "=");
			snprintf(name, sizeof(name), "%.*s", (int)n, *e);
			unsetenv(name);
			e = environ;
			continue;
		}
		e++;
	}
	snprintf(path, sizeof(path), "/tmp/fuzz_config.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		fuzz_fail("mkstemp failed");
	if (unlink(path) != 0)
		fuzz_fail("cannot unlink %s", path);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (access(path, R_OK) != 0)
		fuzz_fail("%s is not readable (is /proc mounted?)", path);
}

static int
load(const void *p, size_t n, struct config *cfg, char *err, size_t errsz)
{
	if (ftruncate(fd, 0) != 0 || pwrite(fd, p, n, 0) != (ssize_t)n)
		fuzz_fail("cannot write %s", path);
	return config_load(path, cfg, err, errsz);
}

#define NUM(f, lo, hi) do {						\
	if (c->f < (lo) || c->f > (hi))					\
		fuzz_fail(#f " = %ld out of range", c->f);		\
} while (0)

static void
check(const struct config *c)
{
	NUM(listen_mode, 0, 0777);
	NUM(listen_backlog, 1, 65535);
	NUM(workers, 0, 1024);
	NUM(db_connect_timeout, 1, 600);
	NUM(statement_timeout_ms, 0, 86400000);
	NUM(max_body_bytes, 1, 1073741824);
	NUM(max_bulk_body_bytes, 1, 1073741824);
	NUM(max_depth, 2, 1000);
	NUM(max_items, 1, 1000000);
	NUM(max_string_bytes, 64, 16777216);
	NUM(max_values, 16, 10000000);
	NUM(max_headers, 8, 10000);
	NUM(max_query_params, 1, 10000);
	NUM(max_token_bytes, 256, 65536);
	NUM(request_memory_bytes, 65536, 4294967295L);
	NUM(jwt_leeway_seconds, 0, 3600);
	NUM(jwt_require_exp, 0, 1);
	NUM(shutdown_timeout, 1, 3600);
	if (c->listen == NULL || c->db_conninfo == NULL || c->log_level == NULL)
		fuzz_fail("listen, db_conninfo or log_level unset");
	if (c->body_limits.max_depth != (size_t)c->max_depth ||
	    c->body_limits.max_items != (size_t)c->max_items ||
	    c->body_limits.max_string != (size_t)c->max_string_bytes ||
	    c->body_limits.max_nodes != (size_t)c->max_values)
		fuzz_fail("body limits differ from their keys");
	if ((c->jwt_secret == NULL) != (c->jwt_secret_len == 0) ||
	    (c->jwt_secret != NULL && c->jwt_secret_len < 32))
		fuzz_fail("HS256 secret of %zu bytes", c->jwt_secret_len);
}

/* Writes c as a configuration file that must load to the same. */
static void
write_back(struct buf *b, const struct config *c)
{
	/* "key=" sets a string key to NULL, which is not its default */
#define S(f) buf_printf(b, #f "=%s\n", c->f != NULL ? c->f : "")
#define L(f) buf_printf(b, #f "=%ld\n", c->f)
	S(listen);
	buf_printf(b, "listen_mode=0%lo\n", c->listen_mode);
	L(listen_backlog); L(workers); S(db_conninfo); L(db_connect_timeout);
	L(statement_timeout_ms); L(max_body_bytes); L(max_bulk_body_bytes);
	L(max_depth); L(max_items); L(max_string_bytes); L(max_values);
	L(max_headers); L(max_query_params); L(max_token_bytes);
	L(request_memory_bytes); S(jwt_hs256_secret_file);
	S(jwt_public_key_file); S(jwt_jwks_file); S(jwt_issuer);
	S(jwt_audience); L(jwt_leeway_seconds); L(jwt_require_exp);
	S(log_level); S(sql_dir); L(shutdown_timeout);
#undef S
#undef L
}

static int
same_str(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && strcmp(x, y) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	struct config c1, c2;
	char err[512], err2[512];
	struct buf b;
	const char *s = (const char *)data;

	setup();
	if (memmem(s, size, "/dev/", 5) != NULL ||
	    memmem(s, size, "/proc/", 6) != NULL ||
	    memmem(s, size, "/sys/", 5) != NULL)
		return 0;
	err[0] = '\0';
	if (load(data, size, &c1, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			fuzz_fail("refused without a message");
		goto out;
	}
	fuzz_accepted++;
	check(&c1);
	buf_init(&b, a);
	write_back(&b, &c1);
	if (b.failed)
		fuzz_fail("write back failed");
	if (load(b.p, b.len, &c2, err2, sizeof(err2)) != 0)
		fuzz_fail("written back, refused: %s\n%s", err2, b.p);
#define SAME_L(f) if (c1.f != c2.f) fuzz_fail(#f " %ld then %ld", c1.f, c2.f)
#define SAME_S(f) if (!same_str(c1.f, c2.f)) fuzz_fail(#f " changed")
	SAME_S(listen); SAME_L(listen_mode); SAME_L(listen_backlog);
	SAME_L(workers); SAME_S(db_conninfo); SAME_L(db_connect_timeout);
	SAME_L(statement_timeout_ms); SAME_L(max_body_bytes);
	SAME_L(max_bulk_body_bytes); SAME_L(max_depth); SAME_L(max_items);
	SAME_L(max_string_bytes); SAME_L(max_values); SAME_L(max_headers);
	SAME_L(max_query_params); SAME_L(max_token_bytes);
	SAME_L(request_memory_bytes); SAME_S(jwt_hs256_secret_file);
	SAME_S(jwt_public_key_file); SAME_S(jwt_jwks_file); SAME_S(jwt_issuer);
	SAME_S(jwt_audience); SAME_L(jwt_leeway_seconds);
	SAME_L(jwt_require_exp); SAME_S(log_level); SAME_S(sql_dir);
	SAME_L(shutdown_timeout);
#undef SAME_L
#undef SAME_S
	config_free(&c2);
	config_free(&c1);
out:
	arena_reset(a);
	return 0;
}
