/*
 * config.c: the configuration table, the file parser and the
 * environment overrides.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

enum key_type {
	KEY_STRING,
	KEY_INT,
	KEY_OCTAL,
	KEY_BOOL,
	KEY_SIZE,	/* integer with optional k/M/G suffix */
};

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	const char	*def;		/* default as text, NULL = unset */
	long		 min, max;	/* for numbers */
};

#define O(f) offsetof(struct config, f)

static const struct key keys[] = {
	{ "listen", KEY_STRING, O(listen), "/run/rosterd/rosterd.sock", 0, 0 },
	{ "listen_mode", KEY_OCTAL, O(listen_mode), "0660", 0, 0777 },
	{ "listen_backlog", KEY_INT, O(listen_backlog), "1024", 1, 65535 },
	{ "workers", KEY_INT, O(workers), "0", 0, 1024 },
	{ "db_conninfo", KEY_STRING, O(db_conninfo), "dbname=rosterd", 0, 0 },
	{ "db_connect_timeout", KEY_INT, O(db_connect_timeout), "3", 1, 600 },
	{ "statement_timeout_ms", KEY_INT, O(statement_timeout_ms), "30000",
	    0, 86400000 },
	{ "max_body_bytes", KEY_SIZE, O(max_body_bytes), "1048576", 1,
	    1073741824 },
	{ "max_bulk_body_bytes", KEY_SIZE, O(max_bulk_body_bytes), "2097152",
	    1, 1073741824 },
	{ "max_depth", KEY_INT, O(max_depth), "32", 2, 1000 },
	{ "max_items", KEY_INT, O(max_items), "1024", 1, 1000000 },
	{ "max_string_bytes", KEY_SIZE, O(max_string_bytes), "65536", 64,
	    16777216 },
	{ "max_values", KEY_INT, O(max_values), "50000", 16, 10000000 },
	{ "max_headers", KEY_INT, O(max_headers), "100", 8, 10000 },
	{ "max_query_params", KEY_INT, O(max_query_params), "32", 1, 10000 },
	{ "max_token_bytes", KEY_SIZE, O(max_token_bytes), "8192", 256,
	    65536 },
	{ "request_memory_bytes", KEY_SIZE, O(request_memory_bytes),
	    "67108864", 65536, 4294967295L },
	{ "jwt_hs256_secret_file", KEY_STRING, O(jwt_hs256_secret_file), NULL,
	    0, 0 },
	{ "jwt_public_key_file", KEY_STRING, O(jwt_public_key_file), NULL,
	    0, 0 },
	{ "jwt_jwks_file", KEY_STRING, O(jwt_jwks_file), NULL, 0, 0 },
	{ "jwt_issuer", KEY_STRING, O(jwt_issuer), NULL, 0, 0 },
	{ "jwt_audience", KEY_STRING, O(jwt_audience), NULL, 0, 0 },
	{ "jwt_leeway_seconds", KEY_INT, O(jwt_leeway_seconds), "60", 0, 3600 },
	{ "jwt_require_exp", KEY_BOOL, O(jwt_require_exp), "true", 0, 1 },
	{ "log_level", KEY_STRING, O(log_level), "info", 0, 0 },
	{ "access_log", KEY_BOOL, O(access_log), "true", 0, 1 },
	{ "sql_dir", KEY_STRING, O(sql_dir), PKGDATADIR "/sql", 0, 0 },
	{ "shutdown_timeout", KEY_INT, O(shutdown_timeout), "30", 1, 3600 },
	{ "idempotency_key_file", KEY_STRING, O(idempotency_key_file),
	    "idempotency.key", 0, 0 },
	{ "idempotency_wait_ms", KEY_INT, O(idempotency_wait_ms), "5000", 0,
	    600000 },
};

_Static_assert(RS_ARRAY_LEN(keys) <= CONFIG_KEYS_MAX, "CONFIG_KEYS_MAX");

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
parse_number(const struct key *k, const char *s, long *out)
{
	char *end;
	long long v, mul = 1;

	if (k->type == KEY_BOOL) {
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
		    !strcmp(s, "1") || !strcasecmp(s, "on"))
			*out = 1;
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") ||
		    !strcmp(s, "0") || !strcasecmp(s, "off"))
			*out = 0;
		else
			return -1;
		return 0;
	}
	if (*s == '\0' || (!isdigit((unsigned char)*s) && *s != '-'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, k->type == KEY_OCTAL ? 8 : 10);
	if (errno != 0)
		return -1;
	if (k->type == KEY_SIZE && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k': case 'K': mul = 1024; end++; break;
		case 'm': case 'M': mul = 1024 * 1024; end++; break;
		case 'g': case 'G': mul = 1024 * 1024 * 1024; end++; break;
		default: break;
		}
	}
	if (*end != '\0' || __builtin_mul_overflow(v, mul, &v))
		return -1;
	if (v < k->min || v > k->max)
		return -1;
	*out = (long)v;
	return 0;
}

/* Stores value text s into the field of k; -1 when s is not valid. */
static int
set_value(struct config *cfg, const struct key *k, const char *s)
{
	char **sp;
	long *lp;

	if (k->type == KEY_STRING) {
		sp = (char **)((char *)cfg + k->off);
		free(*sp);
		*sp = *s != '\0' ? xstrdup(s) : NULL;
		return 0;
	}
	lp = (long *)((char *)cfg + k->off);
	return parse_number(k, s, lp);
}

static void
range_hint(const struct key *k, char *hint, size_t n)
{
	switch (k->type) {
	case KEY_BOOL:
		snprintf(hint, n, "true or false");
		break;
	case KEY_OCTAL:
		snprintf(hint, n, "an octal mode such as 0660");
		break;
	case KEY_STRING:
		snprintf(hint, n, "text");
		break;
	default:
		snprintf(hint, n, "an integer from %ld to %ld", k->min, k->max);
		break;
	}
}

static int
bad_value(const struct key *k, const char *where, char *err, size_t errsz)
{
	char hint[64];

	range_hint(k, hint, sizeof(hint));
	snprintf(err, errsz, "%s: invalid value for \"%s\": expected %s",
	    where, k->name, hint);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parses one "key = value" line; -1 with err set on a bad line. */
static int
parse_line(struct config *cfg, char *line, const char *file, int lineno,
    char *err, size_t errsz)
{
	char where[PATH_MAX + 32], *eq, *name, *val, *hash;
	const struct key *k;

	snprintf(where, sizeof(where), "%s:%d", file, lineno);
	/* '#' starts a comment at the start or after blanks, so that a
	 * value such as a password in db_conninfo may contain one */
	for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == line || isspace((unsigned char)hash[-1])) {
			*hash = '\0';
			break;
		}
	name = trim(line);
	if (*name == '\0')
		return 0;
	if ((eq = strchr(name, '=')) == NULL) {
		snprintf(err, errsz, "%s: expected \"key = value\"", where);
		return -1;
	}
	*eq = '\0';
	name = trim(name);
	val = trim(eq + 1);
	if ((k = find_key(name)) == NULL) {
		snprintf(err, errsz, "%s: unknown key \"%s\"", where, name);
		return -1;
	}
	if (set_value(cfg, k, val) != 0)
		return bad_value(k, where, err, errsz);
	cfg->src[k - keys] = lineno;
	return 0;
}

static int
read_file(struct config *cfg, const char *path, int explicit, char *err,
    size_t errsz)
{
	char line[4096];
	FILE *f;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (!explicit && errno == ENOENT)
			return 0;
		snprintf(err, errsz, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	cfg->path = xstrdup(path);
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errsz, "%s:%d: line too long", path,
			    lineno);
			rc = -1;
			break;
		}
		rc = parse_line(cfg, line, path, lineno, err, errsz);
	}
	fclose(f);
	return rc;
}

/* Writes ROSTERD_<NAME> for a key name into var[0..n). */
static void
env_name(const char *name, char *var, size_t n)
{
	size_t j;

	snprintf(var, n, "ROSTERD_");
	for (j = 0; name[j] != '\0' && j + 9 < n; j++)
		var[8 + j] = (char)toupper((unsigned char)name[j]);
	var[8 + j] = '\0';
}

/* ROSTERD_<KEY> variables override the file. */
static int
read_env(struct config *cfg, char *err, size_t errsz)
{
	char var[128], where[160];
	const char *v;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(keys); i++) {
		env_name(keys[i].name, var, sizeof(var));
		if ((v = getenv(var)) == NULL)
			continue;
		snprintf(where, sizeof(where), "environment %s", var);
		if (set_value(cfg, &keys[i], v) != 0)
			return bad_value(&keys[i], where, err, errsz);
		cfg->src[i] = -1;
	}
	return 0;
}

/*
 * Says whether an environment entry is an unknown ROSTERD_ variable.
 * See config.h.
 */
int
config_env_unknown(const char *entry)
{
	char var[128];
	size_t n = strcspn(entry, "="), i;

	if (n <= 8 || strncmp(entry, "ROSTERD_", 8) != 0)
		return 0;
	for (i = 0; i < RS_ARRAY_LEN(keys); i++) {
		env_name(keys[i].name, var, sizeof(var));
		if (strlen(var) == n && strncmp(var, entry, n) == 0)
			return 0;
	}
	return 1;
}

/* One warning naming every ROSTERD_ variable that is no key. */
static void
warn_unknown_env(void)
{
	extern char **environ;
	struct buf b;
	char **e;

	buf_init(&b, NULL);
	for (e = environ; e != NULL && *e != NULL; e++) {
		if (!config_env_unknown(*e))
			continue;
		if (b.len > 0)
			buf_puts(&b, ", ");
		buf_put(&b, *e, strcspn(*e, "="));
	}
	if (b.len > 0 && !b.failed)
		log_warn("ignoring environment variables that name no "
		    "configuration key: %s", b.p);
	buf_release(&b);
}

/* Reads the HS256 secret: the file's bytes less one trailing newline. */
static int
load_secret(struct config *cfg, char *err, size_t errsz)
{
	unsigned char tmp[4096];
	ssize_t n;
	int fd;

	if (cfg->jwt_hs256_secret_file == NULL)
		return 0;
	fd = open(cfg->jwt_hs256_secret_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "jwt_hs256_secret_file: cannot open "
		    "\"%s\": %s", cfg->jwt_hs256_secret_file, strerror(errno));
		return -1;
	}
	n = read(fd, tmp, sizeof(tmp));
	close(fd);
	if (n > 0 && tmp[n - 1] == '\n')
		n--;
	if (n > 0 && tmp[n - 1] == '\r')
		n--;
	if (n < 32) {
		explicit_bzero(tmp, sizeof(tmp));
		snprintf(err, errsz, "jwt_hs256_secret_file: \"%s\" must hold "
		    "at least 32 bytes", cfg->jwt_hs256_secret_file);
		return -1;
	}
	cfg->jwt_secret = xmalloc((size_t)n);
	memcpy(cfg->jwt_secret, tmp, (size_t)n);
	cfg->jwt_secret_len = (size_t)n;
	explicit_bzero(tmp, sizeof(tmp));
	return 0;
}

/*
 * Assembles every verification key: the HS256 secret, the PEM public
 * key and the JWKS keys.  Read at start-up and again on SIGHUP, so keys
 * rotate without a restart.
 */
static int
load_keys(struct config *cfg, char *err, size_t errsz)
{
	struct jwt_key pem, *jwks = NULL, *all;
	size_t njwks = 0, n = 0;
	char e[400];

	memset(&pem, 0, sizeof(pem));
	if (cfg->jwt_public_key_file != NULL && jwt_key_from_pem(
	    cfg->jwt_public_key_file, &pem, e, sizeof(e)) != 0) {
		snprintf(err, errsz, "jwt_public_key_file: %s", e);
		return -1;
	}
	if (cfg->jwt_jwks_file != NULL && jwt_keys_from_jwks(
	    cfg->jwt_jwks_file, &jwks, &njwks, e, sizeof(e)) != 0) {
		jwt_key_clear(&pem);
		snprintf(err, errsz, "jwt_jwks_file: %s", e);
		return -1;
	}
	all = xcalloc(njwks + 2, sizeof(*all));
	if (cfg->jwt_secret != NULL) {
		unsigned char *s = xmalloc(cfg->jwt_secret_len);

		memcpy(s, cfg->jwt_secret, cfg->jwt_secret_len);
		all[n].secret = s;
		all[n++].secret_len = cfg->jwt_secret_len;
	}
	if (pem.pkey != NULL)
		all[n++] = pem;
	if (njwks > 0)
		memcpy(&all[n], jwks, njwks * sizeof(*jwks));
	n += njwks;
	free(jwks);	/* the keys moved into all[] */
	cfg->jwt_keys = all;
	cfg->jwt_nkeys = n;
	return 0;
}

static int
check_values(struct config *cfg, char *err, size_t errsz)
{
	cfg->body_limits.max_depth = (size_t)cfg->max_depth;
	cfg->body_limits.max_items = (size_t)cfg->max_items;
	cfg->body_limits.max_string = (size_t)cfg->max_string_bytes;
	cfg->body_limits.max_nodes = (size_t)cfg->max_values;
	if (cfg->log_level == NULL ||
	    log_level_parse(cfg->log_level, &cfg->log_lvl) != 0) {
		snprintf(err, errsz, "invalid value for \"log_level\": "
		    "expected error, warn, info or debug");
		return -1;
	}
	if (cfg->listen == NULL) {
		snprintf(err, errsz, "\"listen\" must not be empty");
		return -1;
	}
	if (cfg->sql_dir == NULL) {
		snprintf(err, errsz, "\"sql_dir\" must not be empty");
		return -1;
	}
	if (cfg->db_conninfo == NULL) {
		snprintf(err, errsz, "\"db_conninfo\" must not be empty");
		return -1;
	}
	if (load_secret(cfg, err, errsz) != 0)
		return -1;
	return load_keys(cfg, err, errsz);
}

/*
 * Loads the configuration.  See config.h.
 */
int
config_load(const char *path, struct config *cfg, char *err, size_t errsz)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < RS_ARRAY_LEN(keys); i++)
		if (keys[i].def != NULL &&
		    set_value(cfg, &keys[i], keys[i].def) != 0)
			abort();	/* a bad default is a bug */
	warn_unknown_env();
	if (read_file(cfg, path != NULL ? path : CONFIG_DEFAULT_PATH,
	    path != NULL, err, errsz) != 0 ||
	    read_env(cfg, err, errsz) != 0 ||
	    check_values(cfg, err, errsz) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

/* Releases everything config_load() allocated. */
void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(keys); i++)
		if (keys[i].type == KEY_STRING)
			free(*(char **)((char *)cfg + keys[i].off));
	jwt_keys_free(cfg->jwt_keys, cfg->jwt_nkeys);
	if (cfg->jwt_secret != NULL) {
		explicit_bzero(cfg->jwt_secret, cfg->jwt_secret_len);
		free(cfg->jwt_secret);
	}
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/* Returns the number of workers to run. */
long
config_workers(const struct config *cfg)
{
	long n;

	if (cfg->workers > 0)
		return cfg->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

/* The libpq keywords whose values are secrets. */
static int
secret_keyword(const char *k, size_t n)
{
	return (n == 8 && strncmp(k, "password", 8) == 0) ||
	    (n == 11 && strncmp(k, "sslpassword", 11) == 0);
}

/* Length of a key=value value at s: quoted with '' or up to a blank. */
static size_t
conninfo_value_len(const char *s)
{
	const char *p = s;

	if (*p == '\'') {
		for (p++; *p != '\0' && *p != '\''; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		return (size_t)(p - s) + (*p == '\'');
	}
	for (; *p != '\0' && !isspace((unsigned char)*p); p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return (size_t)(p - s);
}

/* key=value form: copied as written, secret values replaced. */
static void
redact_keywords(struct buf *b, const char *s)
{
	const char *k;
	size_t kn, vn;

	while (*s != '\0') {
		if (isspace((unsigned char)*s) || *s == '=') {
			buf_putc(b, *s++);
			continue;
		}
		k = s;
		kn = strcspn(s, "= \t\r\n\f\v");
		s += kn;
		buf_put(b, k, kn);
		while (isspace((unsigned char)*s))
			buf_putc(b, *s++);
		if (*s != '=')
			continue;
		buf_putc(b, *s++);
		while (isspace((unsigned char)*s))
			buf_putc(b, *s++);
		vn = conninfo_value_len(s);
		if (secret_keyword(k, kn))
			buf_puts(b, "*****");
		else
			buf_put(b, s, vn);
		s += vn;
	}
}

/* URI form: the password of user:password@ and ?password= parameters. */
static void
redact_uri(struct buf *b, const char *s)
{
	const char *auth = strstr(s, "://") + 3, *end, *at, *colon, *q;
	size_t n;

	end = auth + strcspn(auth, "/?");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	at = at > auth ? at - 1 : NULL;	/* the last '@' of the authority */
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL) {
		buf_put(b, s, (size_t)(colon + 1 - s));
		buf_puts(b, "*****");
		s = at;
	}
	if ((q = strchr(s, '?')) == NULL) {
		buf_puts(b, s);
		return;
	}
	buf_put(b, s, (size_t)(q + 1 - s));
	for (s = q + 1; *s != '\0'; s += n) {
		n = strcspn(s, "&");
		if (secret_keyword(s, strcspn(s, "=&")) && s[strcspn(s, "=&")]
		    == '=') {
			buf_put(b, s, strcspn(s, "=") + 1);
			buf_puts(b, "*****");
		} else
			buf_put(b, s, n);
		if (s[n] == '&')
			buf_putc(b, s[n++]);
	}
}

/*
 * Redacts a connection string.  See config.h.
 */
char *
config_redact_conninfo(const char *ci)
{
	struct buf b;
	char *out;

	buf_init(&b, NULL);
	if (strncmp(ci, "postgresql://", 13) == 0 ||
	    strncmp(ci, "postgres://", 11) == 0)
		redact_uri(&b, ci);
	else
		redact_keywords(&b, ci);
	out = xstrdup(b.failed || b.p == NULL ? "*****" : b.p);
	buf_release(&b);
	return out;
}

/* One key's value as config_print shows it; heap memory. */
static char *
value_text(const struct config *cfg, const struct key *k)
{
	const void *f = (const char *)cfg + k->off;
	char num[32];
	const char *s;

	switch (k->type) {
	case KEY_STRING:
		s = *(char *const *)f;
		if (s != NULL && k->off == O(db_conninfo))
			return config_redact_conninfo(s);
		return xstrdup(s != NULL ? s : "");
	case KEY_BOOL:
		return xstrdup(*(const long *)f ? "true" : "false");
	case KEY_OCTAL:
		snprintf(num, sizeof(num), "%04lo", *(const long *)f);
		return xstrdup(num);
	default:
		snprintf(num, sizeof(num), "%ld", *(const long *)f);
		return xstrdup(num);
	}
}

/*
 * Prints the effective configuration.  See config.h.
 */
int
config_print(const struct config *cfg, FILE *f)
{
	char var[128], *v;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(keys); i++) {
		v = value_text(cfg, &keys[i]);
		fprintf(f, "%s = %s  # ", keys[i].name, v);
		free(v);
		if (cfg->src[i] > 0)
			fprintf(f, "%s:%d\n", cfg->path, cfg->src[i]);
		else if (cfg->src[i] < 0) {
			env_name(keys[i].name, var, sizeof(var));
			fprintf(f, "env %s\n", var);
		} else
			fprintf(f, "default\n");
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
