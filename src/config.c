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

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config.h"
#include "auth/apitoken.h"

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
	{ "db_deadline_ms", KEY_INT, O(db_deadline_ms), "0", 0, 86400000 },
	{ "db_prepared", KEY_BOOL, O(db_prepared), "true", 0, 1 },
	{ "db_read_conninfo", KEY_STRING, O(db_read_conninfo), NULL, 0, 0 },
	{ "db_read_retry_ms", KEY_INT, O(db_read_retry_ms), "5000", 0,
	    3600000 },
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
	{ "state_dir", KEY_STRING, O(state_dir), "/var/lib/rosterd", 0, 0 },
	{ "shutdown_timeout", KEY_INT, O(shutdown_timeout), "30", 1, 3600 },
	{ "password_min_length", KEY_INT, O(password_min_length), "8", 1,
	    1024 },
	{ "password_hash_slots", KEY_INT, O(password_hash_slots), "0", 0,
	    1024 },
	{ "metrics_token_file", KEY_STRING, O(metrics_token_file), NULL, 0,
	    0 },
	{ "metrics_allow_from", KEY_STRING, O(metrics_allow_from), NULL, 0,
	    0 },
	{ "idempotency_key_file", KEY_STRING, O(idempotency_key_file),
	    "idempotency.key", 0, 0 },
	{ "idempotency_wait_ms", KEY_INT, O(idempotency_wait_ms), "5000", 0,
	    600000 },
	{ "retention_idempotency_hours", KEY_INT,
	    O(retention_idempotency_hours), "24", 24, 876000 },
	{ "retention_invites_days", KEY_INT, O(retention_invites_days), "30",
	    0, 36500 },
	{ "retention_audit_days", KEY_INT, O(retention_audit_days), "0", 0,
	    36500 },
	{ "retention_api_tokens_days", KEY_INT, O(retention_api_tokens_days),
	    "0", 0, 36500 },
	{ "retention_import_jobs_days", KEY_INT,
	    O(retention_import_jobs_days), "30", 0, 36500 },
	{ "import_jobs", KEY_BOOL, O(import_jobs), "true", 0, 1 },
	{ "import_db_conninfo", KEY_STRING, O(import_db_conninfo), NULL, 0, 0 },
	{ "import_max_upload_bytes", KEY_SIZE, O(import_max_upload_bytes),
	    "33554432", 1024, 1073741824 },
};

_Static_assert(RS_ARRAY_LEN(keys) <= CONFIG_KEYS_MAX, "CONFIG_KEYS_MAX");

#define I(f) offsetof(struct config_issuer, f)

/* The keys of an [issuer NAME] section. */
static const struct key ikeys[] = {
	{ "iss", KEY_STRING, I(iss), NULL, 0, 0 },
	{ "aud", KEY_STRING, I(aud), NULL, 0, 0 },
	{ "jwks_uri", KEY_STRING, I(jwks_uri), NULL, 0, 0 },
	{ "jwks_file", KEY_STRING, I(jwks_file), NULL, 0, 0 },
	{ "public_key_file", KEY_STRING, I(public_key_file), NULL, 0, 0 },
	{ "hs256_secret_file", KEY_STRING, I(hs256_secret_file), NULL, 0, 0 },
	{ "ca_file", KEY_STRING, I(ca_file), NULL, 0, 0 },
	{ "jwks_refresh_seconds", KEY_INT, I(jwks_refresh_seconds), "3600",
	    60, 604800 },
	{ "jwks_min_refetch_seconds", KEY_INT, I(jwks_min_refetch_seconds),
	    "30", 1, 86400 },
	{ "typ", KEY_STRING, I(typ), NULL, 0, 0 },
	{ "subject_claim", KEY_STRING, I(subject_claim), "sub", 0, 0 },
	{ "tenant_claim", KEY_STRING, I(tenant_claim), "tid", 0, 0 },
	{ "tenant_map", KEY_BOOL, I(tenant_map), "false", 0, 1 },
	{ "roles_claim", KEY_STRING, I(roles_claim), "roles", 0, 0 },
	{ "role_map", KEY_STRING, I(role_map), NULL, 0, 0 },
};

_Static_assert(RS_ARRAY_LEN(ikeys) <= CONFIG_ISSUER_KEYS,
    "CONFIG_ISSUER_KEYS");

#define CONFIG_ISSUERS_MAX	64
#define CONFIG_SECRET_MAX	4096	/* bytes of an HS256 secret file */

static const struct key *
find_in(const struct key *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static const struct key *
find_key(const char *name)
{
	return find_in(keys, RS_ARRAY_LEN(keys), name);
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
/*
 * Frees a string value, wiped first: db_conninfo may hold a password, and
 * freed memory is still there to read in the processes forked later (the
 * key fetcher, which talks to the network, must not hold it).
 */
static void
free_wiped(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static int
set_value(void *base, const struct key *k, const char *s)
{
	char **sp;
	long *lp;

	if (k->type == KEY_STRING) {
		sp = (char **)((char *)base + k->off);
		free_wiped(*sp);
		*sp = *s != '\0' ? xstrdup(s) : NULL;
		return 0;
	}
	lp = (long *)((char *)base + k->off);
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

/* Is s a valid issuer name: [a-z0-9_-]+, at most 64 bytes? */
static int
valid_issuer_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* A new [issuer NAME] section with its defaults, from the line at where. */
static int
begin_section(struct config *cfg, char *hdr, const char *where, int lineno,
    char *err, size_t errsz)
{
	struct config_issuer *is;
	char *name, *end;
	size_t i;

	end = hdr + strlen(hdr) - 1;	/* the ']' */
	*end = '\0';
	name = trim(hdr + 1);
	if (strncmp(name, "issuer", 6) != 0 ||
	    !isspace((unsigned char)name[6])) {
		snprintf(err, errsz, "%s: unknown section \"[%s]\": expected "
		    "[issuer NAME]", where, name);
		return -1;
	}
	name = trim(name + 7);
	if (!valid_issuer_name(name)) {
		snprintf(err, errsz, "%s: issuer name \"%.64s\": expected "
		    "1 to 64 of a-z, 0-9, _ and -", where, name);
		return -1;
	}
	if (strcmp(name, CONFIG_LOCAL_ISSUER) == 0) {
		snprintf(err, errsz, "%s: [issuer %s]: the name is taken by "
		    "the jwt_* keys' issuer", where, name);
		return -1;
	}
	for (i = 0; i < cfg->nissuers; i++)
		if (strcmp(cfg->issuers[i].name, name) == 0) {
			snprintf(err, errsz, "%s: [issuer %s] again (first "
			    "at line %d)", where, name, cfg->issuers[i].line);
			return -1;
		}
	if (cfg->nissuers == CONFIG_ISSUERS_MAX) {
		snprintf(err, errsz, "%s: more than %d issuers", where,
		    CONFIG_ISSUERS_MAX);
		return -1;
	}
	cfg->issuers = xrealloc(cfg->issuers, (cfg->nissuers + 1) *
	    sizeof(*cfg->issuers));
	is = &cfg->issuers[cfg->nissuers++];
	memset(is, 0, sizeof(*is));
	is->name = xstrdup(name);
	is->line = lineno;
	is->source = -1;
	for (i = 0; i < RS_ARRAY_LEN(ikeys); i++)
		if (ikeys[i].def != NULL &&
		    set_value(is, &ikeys[i], ikeys[i].def) != 0)
			abort();	/* a bad default is a bug */
	return 0;
}

/*
 * Parses one line: "key = value" (top-level, or of the section last
 * opened) or "[issuer NAME]"; -1 with err set on a bad line.
 */
static int
parse_line(struct config *cfg, char *line, const char *file, int lineno,
    char *err, size_t errsz)
{
	char where[PATH_MAX + 32], *eq, *name, *val, *hash;
	struct config_issuer *is = NULL;
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
	if (*name == '[' && name[strlen(name) - 1] == ']')
		return begin_section(cfg, name, where, lineno, err, errsz);
	if ((eq = strchr(name, '=')) == NULL) {
		snprintf(err, errsz, "%s: expected \"key = value\"", where);
		return -1;
	}
	*eq = '\0';
	name = trim(name);
	val = trim(eq + 1);
	if (cfg->nissuers > 0) {
		is = &cfg->issuers[cfg->nissuers - 1];
		if ((k = find_in(ikeys, RS_ARRAY_LEN(ikeys), name)) == NULL) {
			snprintf(err, errsz, "%s: unknown key \"%s\" in "
			    "[issuer %s]%s", where, name, is->name,
			    find_key(name) != NULL ? " (top-level keys go "
			    "before the first section)" : "");
			return -1;
		}
		if (is->src[k - ikeys] != 0) {
			snprintf(err, errsz, "%s: \"%s\" again in [issuer %s] "
			    "(first at line %d)", where, name, is->name,
			    is->src[k - ikeys]);
			return -1;
		}
		if (set_value(is, k, val) != 0)
			return bad_value(k, where, err, errsz);
		is->src[k - ikeys] = lineno;
		return 0;
	}
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
	/* the file's text, a password among it, stays in these two only */
	char line[4096], iobuf[BUFSIZ];
	FILE *f;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (!explicit && errno == ENOENT)
			return 0;
		snprintf(err, errsz, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
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
	explicit_bzero(line, sizeof(line));
	explicit_bzero(iobuf, sizeof(iobuf));
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

/*
 * Reads an HS256 secret: the file's bytes less one trailing newline, 32
 * to CONFIG_SECRET_MAX of them.  A PEM or JSON document is refused: an
 * identity provider's public key (or JWKS) configured as the secret
 * would let anyone holding that public key mint tokens.  what names the
 * key in messages.  Returns 0 with *out (heap) and *len, or -1.
 */
static int
load_secret_file(const char *path, const char *what, unsigned char **out,
    size_t *len, char *err, size_t errsz)
{
	unsigned char tmp[CONFIG_SECRET_MAX + 1];
	size_t n = 0, lead;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s: cannot open \"%s\": %s", what, path,
		    strerror(errno));
		return -1;
	}
	while (n < sizeof(tmp) && (r = read(fd, tmp + n,
	    sizeof(tmp) - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errsz, "%s: cannot read \"%s\": %s",
			    what, path, strerror(errno));
			close(fd);
			explicit_bzero(tmp, sizeof(tmp));
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	if (n > CONFIG_SECRET_MAX) {
		explicit_bzero(tmp, sizeof(tmp));
		snprintf(err, errsz, "%s: \"%s\" is larger than 4 KiB: not "
		    "an HS256 secret", what, path);
		return -1;
	}
	for (lead = 0; lead < n && isspace(tmp[lead]); lead++)
		;
	if ((n - lead >= 10 && memcmp(tmp + lead, "-----BEGIN", 10) == 0) ||
	    (n - lead >= 1 && tmp[lead] == '{')) {
		snprintf(err, errsz, "%s: \"%s\" holds a %s, not a shared "
		    "secret (a public key must never be an HMAC secret)",
		    what, path, tmp[lead] == '{' ? "JSON document (a JWKS?)" :
		    "PEM key");
		explicit_bzero(tmp, sizeof(tmp));
		return -1;
	}
	if (n > 0 && tmp[n - 1] == '\n')
		n--;
	if (n > 0 && tmp[n - 1] == '\r')
		n--;
	if (n < 32) {
		explicit_bzero(tmp, sizeof(tmp));
		snprintf(err, errsz, "%s: \"%s\" must hold at least 32 bytes",
		    what, path);
		return -1;
	}
	*out = xmalloc(n);
	memcpy(*out, tmp, n);
	*len = n;
	explicit_bzero(tmp, sizeof(tmp));
	return 0;
}

/* The top-level HS256 secret (jwt_hs256_secret_file). */
static int
load_secret(struct config *cfg, char *err, size_t errsz)
{
	if (cfg->jwt_hs256_secret_file == NULL)
		return 0;
	return load_secret_file(cfg->jwt_hs256_secret_file,
	    "jwt_hs256_secret_file", &cfg->jwt_secret, &cfg->jwt_secret_len,
	    err, errsz);
}

/* "FILE:LINE: [issuer NAME]" or "jwt_* keys" for messages. */
static void
issuer_where(const struct config *cfg, const struct config_issuer *is,
    const char *key, char *out, size_t n)
{
	const struct key *k;
	int line = is->line;

	if (is->line == 0) {
		snprintf(out, n, "%s", key != NULL ? key : "jwt_* keys");
		return;
	}
	if (key != NULL && (k = find_in(ikeys, RS_ARRAY_LEN(ikeys),
	    key)) != NULL && is->src[k - ikeys] != 0)
		line = is->src[k - ikeys];
	snprintf(out, n, "%s:%d: [issuer %s]%s%s", cfg->path != NULL ?
	    cfg->path : "-", line, is->name, key != NULL ? " " : "",
	    key != NULL ? key : "");
}

/*
 * role_map: "IdP-name=Role, ..." with Role one of rosterd's three.
 * Names are case-sensitive and may hold blanks inside, not ',' or '='.
 */
static int
parse_role_map(struct config_issuer *is, const char *where, char *err,
    size_t errsz)
{
	char *copy, *item, *save = NULL, *eq, *name, *role;
	unsigned bit;
	size_t i;
	int rc = -1;

	if (is->role_map == NULL)
		return 0;
	copy = xstrdup(is->role_map);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL) {
			snprintf(err, errsz, "%s: \"%.64s\" is not NAME=ROLE",
			    where, trim(item));
			goto out;
		}
		*eq = '\0';
		name = trim(item);
		role = trim(eq + 1);
		if (*name == '\0' || strlen(name) >= 128) {
			snprintf(err, errsz, "%s: an empty or over-long name",
			    where);
			goto out;
		}
		if ((bit = auth_role_bit(role)) == 0) {
			snprintf(err, errsz, "%s: \"%.64s\" maps to \"%.64s\": "
			    "expected SystemAdmin, TenantAdmin or "
			    "TenantReader", where, name, role);
			goto out;
		}
		for (i = 0; i < is->nroles_map; i++)
			if (strcmp(is->roles_map[i].name, name) == 0) {
				snprintf(err, errsz, "%s: \"%.64s\" is mapped "
				    "twice", where, name);
				goto out;
			}
		is->roles_map = xrealloc(is->roles_map, (is->nroles_map + 1) *
		    sizeof(*is->roles_map));
		is->roles_map[is->nroles_map].name = xstrdup(name);
		is->roles_map[is->nroles_map++].bit = bit;
	}
	if (is->nroles_map == 0) {
		snprintf(err, errsz, "%s: no NAME=ROLE pair", where);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* Every name of a comma-separated aud is non-empty. */
static int
valid_aud_list(const char *s)
{
	const char *e;

	for (;;) {
		e = s + strcspn(s, ",");
		while (s < e && isspace((unsigned char)*s))
			s++;
		if (s == e)
			return 0;
		if (*e == '\0')
			return 1;
		s = e + 1;
	}
}

/* Appends keys[0..n) (moved) to is's file keys. */
static void
add_keys(struct config_issuer *is, struct jwt_key *k, size_t n)
{
	if (n == 0)
		return;
	is->keys = xrealloc(is->keys, (is->nkeys + n) * sizeof(*is->keys));
	memcpy(&is->keys[is->nkeys], k, n * sizeof(*k));
	is->nkeys += n;
}

/* The file keys of one issuer: HS256 secret, PEM key, JWKS. */
static int
load_issuer_keys(const struct config *cfg, struct config_issuer *is,
    char *err, size_t errsz)
{
	struct jwt_key pem, *jwks = NULL, sec;
	char where[PATH_MAX + 128], e[600];
	size_t njwks = 0;

	if (is->hs256_secret_file != NULL) {
		issuer_where(cfg, is, "hs256_secret_file", where,
		    sizeof(where));
		if (load_secret_file(is->hs256_secret_file, where, &is->secret,
		    &is->secret_len, err, errsz) != 0)
			return -1;
		memset(&sec, 0, sizeof(sec));
		sec.secret = xmalloc(is->secret_len);
		memcpy((void *)sec.secret, is->secret, is->secret_len);
		sec.secret_len = is->secret_len;
		add_keys(is, &sec, 1);
	}
	if (is->public_key_file != NULL) {
		issuer_where(cfg, is, "public_key_file", where, sizeof(where));
		if (jwt_key_from_pem(is->public_key_file, &pem, e,
		    sizeof(e)) != 0) {
			snprintf(err, errsz, "%s: %s", where, e);
			return -1;
		}
		add_keys(is, &pem, 1);
	}
	if (is->jwks_file != NULL) {
		issuer_where(cfg, is, "jwks_file", where, sizeof(where));
		if (jwt_keys_from_jwks(is->jwks_file, &jwks, &njwks, e,
		    sizeof(e)) != 0) {
			snprintf(err, errsz, "%s: %s", where, e);
			return -1;
		}
		add_keys(is, jwks, njwks);
		free(jwks);	/* the keys moved */
	}
	return 0;
}

/* Is s an https:// URL with a host? */
static int
https_url(const char *s)
{
	return strncasecmp(s, "https://", 8) == 0 && s[8] != '\0' &&
	    s[8] != '/' && strpbrk(s, " \t") == NULL;
}

/* Checks one issuer section and loads what it names. */
static int
build_issuer(struct config *cfg, struct config_issuer *is, char *err,
    size_t errsz)
{
	static const char *const remote_only[] = {
		"ca_file", "jwks_refresh_seconds", "jwks_min_refetch_seconds",
	};
	const struct { const char *key; char *val;
	    struct jwt_claim_path *out; } paths[] = {
		{ "subject_claim", is->subject_claim, &is->subject },
		{ "tenant_claim", is->tenant_claim, &is->tenant },
		{ "roles_claim", is->roles_claim, &is->roles },
	};
	char where[PATH_MAX + 128], e[160];
	const struct key *k;
	size_t i;

	issuer_where(cfg, is, NULL, where, sizeof(where));
	if (is->iss == NULL) {
		snprintf(err, errsz, "%s: \"iss\" is required", where);
		return -1;
	}
	if (is->aud == NULL || !valid_aud_list(is->aud)) {
		snprintf(err, errsz, "%s: \"aud\" is required (one or more "
		    "names, comma-separated)", where);
		return -1;
	}
	if (is->jwks_uri == NULL && is->jwks_file == NULL &&
	    is->public_key_file == NULL && is->hs256_secret_file == NULL) {
		snprintf(err, errsz, "%s: no keys: set jwks_uri, jwks_file, "
		    "public_key_file or hs256_secret_file", where);
		return -1;
	}
	if (is->jwks_uri != NULL) {
		issuer_where(cfg, is, "jwks_uri", where, sizeof(where));
		if (strcmp(is->jwks_uri, "discover") == 0) {
			if (!https_url(is->iss)) {
				snprintf(err, errsz, "%s: \"discover\" needs "
				    "an https:// iss (discovery is fetched from "
				    "{iss}/.well-known/openid-configuration)",
				    where);
				return -1;
			}
		} else if (!https_url(is->jwks_uri)) {
			snprintf(err, errsz, "%s: expected an https:// URL or "
			    "\"discover\"", where);
			return -1;
		}
	} else {
		for (i = 0; i < RS_ARRAY_LEN(remote_only); i++) {
			k = find_in(ikeys, RS_ARRAY_LEN(ikeys), remote_only[i]);
			if (is->src[k - ikeys] == 0)
				continue;
			issuer_where(cfg, is, remote_only[i], where,
			    sizeof(where));
			snprintf(err, errsz, "%s: only used with jwks_uri",
			    where);
			return -1;
		}
	}
	if (is->ca_file != NULL && access(is->ca_file, R_OK) != 0) {
		issuer_where(cfg, is, "ca_file", where, sizeof(where));
		snprintf(err, errsz, "%s: cannot read \"%s\": %s", where,
		    is->ca_file, strerror(errno));
		return -1;
	}
	for (i = 0; i < RS_ARRAY_LEN(paths); i++) {
		issuer_where(cfg, is, paths[i].key, where, sizeof(where));
		if (paths[i].val == NULL) {
			snprintf(err, errsz, "%s: must not be empty", where);
			return -1;
		}
		if (jwt_claim_path_parse(paths[i].val, paths[i].out, e,
		    sizeof(e)) != 0) {
			snprintf(err, errsz, "%s: \"%.128s\": %s", where,
			    paths[i].val, e);
			return -1;
		}
	}
	issuer_where(cfg, is, "role_map", where, sizeof(where));
	if (parse_role_map(is, where, err, errsz) != 0)
		return -1;
	return load_issuer_keys(cfg, is, err, errsz);
}

/*
 * The implicit issuer of the top-level jwt_* keys.  A public key or a
 * JWKS verifies tokens an identity provider issued for every one of its
 * applications, so it needs jwt_issuer and jwt_audience; an HS256
 * secret alone is rosterd's own and defaults to the local issuer.
 */
static int
add_local_issuer(struct config *cfg, char *err, size_t errsz)
{
	struct config_issuer *is;
	const struct key *k;
	char where[PATH_MAX + 64];
	size_t i;

	if (cfg->jwt_hs256_secret_file == NULL &&
	    cfg->jwt_public_key_file == NULL && cfg->jwt_jwks_file == NULL)
		return 0;
	if ((cfg->jwt_public_key_file != NULL || cfg->jwt_jwks_file != NULL) &&
	    (cfg->jwt_issuer == NULL || cfg->jwt_audience == NULL)) {
		k = find_key(cfg->jwt_public_key_file != NULL ?
		    "jwt_public_key_file" : "jwt_jwks_file");
		if (cfg->src[k - keys] > 0)
			snprintf(where, sizeof(where), "%s:%d: %s", cfg->path,
			    cfg->src[k - keys], k->name);
		else
			snprintf(where, sizeof(where), "%s", k->name);
		snprintf(err, errsz, "%s: a public key or JWKS needs "
		    "jwt_issuer and jwt_audience (or an [issuer NAME] "
		    "section): without them it would accept tokens issued "
		    "for any application", where);
		return -1;
	}
	cfg->issuers = xrealloc(cfg->issuers, (cfg->nissuers + 1) *
	    sizeof(*cfg->issuers));
	is = &cfg->issuers[cfg->nissuers++];
	memset(is, 0, sizeof(*is));
	for (i = 0; i < RS_ARRAY_LEN(ikeys); i++)
		if (ikeys[i].def != NULL &&
		    set_value(is, &ikeys[i], ikeys[i].def) != 0)
			abort();
	is->name = xstrdup(CONFIG_LOCAL_ISSUER);
	is->source = -1;
	is->iss = xstrdup(cfg->jwt_issuer != NULL ? cfg->jwt_issuer :
	    CONFIG_LOCAL_ISS);
	is->aud = xstrdup(cfg->jwt_audience != NULL ? cfg->jwt_audience :
	    CONFIG_LOCAL_AUD);
	if (cfg->jwt_public_key_file != NULL)
		is->public_key_file = xstrdup(cfg->jwt_public_key_file);
	if (cfg->jwt_jwks_file != NULL)
		is->jwks_file = xstrdup(cfg->jwt_jwks_file);
	/* the secret is read once, as jwt_secret (rosterctl token) */
	if (cfg->jwt_secret != NULL) {
		struct jwt_key sec;

		memset(&sec, 0, sizeof(sec));
		sec.secret = xmalloc(cfg->jwt_secret_len);
		memcpy((void *)sec.secret, cfg->jwt_secret,
		    cfg->jwt_secret_len);
		sec.secret_len = cfg->jwt_secret_len;
		add_keys(is, &sec, 1);
		is->secret = xmalloc(cfg->jwt_secret_len);
		memcpy(is->secret, cfg->jwt_secret, cfg->jwt_secret_len);
		is->secret_len = cfg->jwt_secret_len;
	}
	if (jwt_claim_path_parse(is->subject_claim, &is->subject, where,
	    sizeof(where)) != 0 || jwt_claim_path_parse(is->tenant_claim,
	    &is->tenant, where, sizeof(where)) != 0 ||
	    jwt_claim_path_parse(is->roles_claim, &is->roles, where,
	    sizeof(where)) != 0)
		abort();	/* the defaults parse */
	if (cfg->jwt_public_key_file != NULL || cfg->jwt_jwks_file != NULL) {
		struct jwt_key pem, *jwks = NULL;
		size_t njwks = 0;
		char e[600];

		if (cfg->jwt_public_key_file != NULL) {
			if (jwt_key_from_pem(cfg->jwt_public_key_file, &pem, e,
			    sizeof(e)) != 0) {
				snprintf(err, errsz, "jwt_public_key_file: %s",
				    e);
				return -1;
			}
			add_keys(is, &pem, 1);
		}
		if (cfg->jwt_jwks_file != NULL) {
			if (jwt_keys_from_jwks(cfg->jwt_jwks_file, &jwks,
			    &njwks, e, sizeof(e)) != 0) {
				snprintf(err, errsz, "jwt_jwks_file: %s", e);
				return -1;
			}
			add_keys(is, jwks, njwks);
			free(jwks);
		}
	}
	return 0;
}

/* Feeds s and its NUL into the digest. */
static void
digest_str(EVP_MD_CTX *md, const char *s)
{
	if (s == NULL)
		s = "";
	EVP_DigestUpdate(md, s, strlen(s) + 1);
}

/*
 * cfg->auth_digest: SHA-256 over every issuer's settings and file key
 * material, and the token limits.  Two configurations with the same
 * digest judge every token alike (fetched keys aside).
 */
static void
auth_digest(struct config *cfg)
{
	const struct config_issuer *is;
	unsigned char *der;
	unsigned int dlen = 0;
	EVP_MD_CTX *md;
	char num[64];
	size_t i, j;
	int n;

	memset(cfg->auth_digest, 0, sizeof(cfg->auth_digest));
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return;
	}
	snprintf(num, sizeof(num), "%ld %ld %ld", cfg->jwt_leeway_seconds,
	    cfg->jwt_require_exp, cfg->max_token_bytes);
	digest_str(md, num);
	for (i = 0; i < cfg->nissuers; i++) {
		is = &cfg->issuers[i];
		digest_str(md, is->name);
		for (j = 0; j < RS_ARRAY_LEN(ikeys); j++) {
			if (ikeys[j].type == KEY_STRING)
				digest_str(md, *(char *const *)((const char *)
				    is + ikeys[j].off));
			else {
				snprintf(num, sizeof(num), "%ld",
				    *(const long *)((const char *)is +
				    ikeys[j].off));
				digest_str(md, num);
			}
		}
		for (j = 0; j < is->nkeys; j++) {
			digest_str(md, is->keys[j].kid);
			digest_str(md, is->keys[j].alg);
			if (is->keys[j].secret != NULL)
				EVP_DigestUpdate(md, is->keys[j].secret,
				    is->keys[j].secret_len);
			der = NULL;
			if (is->keys[j].pkey != NULL && (n = i2d_PUBKEY(
			    is->keys[j].pkey, &der)) > 0)
				EVP_DigestUpdate(md, der, (size_t)n);
			OPENSSL_free(der);
			digest_str(md, "|");
		}
	}
	EVP_DigestFinal_ex(md, cfg->auth_digest, &dlen);
	EVP_MD_CTX_free(md);
}

/* Every issuer checked and loaded, iss unique, remote sources listed. */
static int
build_issuers(struct config *cfg, char *err, size_t errsz)
{
	struct config_issuer *is;
	struct jwks_source *src;
	char where[PATH_MAX + 128];
	size_t i, j, nsections = cfg->nissuers;

	for (i = 0; i < nsections; i++)
		if (build_issuer(cfg, &cfg->issuers[i], err, errsz) != 0)
			return -1;
	if (add_local_issuer(cfg, err, errsz) != 0)
		return -1;
	for (i = 0; i < cfg->nissuers; i++)
		for (j = 0; j < i; j++)
			if (strcmp(cfg->issuers[i].iss,
			    cfg->issuers[j].iss) == 0) {
				issuer_where(cfg, &cfg->issuers[i], "iss",
				    where, sizeof(where));
				snprintf(err, errsz, "%s: \"%.200s\" is also "
				    "the iss of [issuer %s]: a token's iss "
				    "must name one issuer", where,
				    cfg->issuers[i].iss, cfg->issuers[j].name);
				return -1;
			}
	cfg->jwks_sources = xcalloc(cfg->nissuers + 1,
	    sizeof(*cfg->jwks_sources));
	cfg->jwt_nkeys = 0;
	for (i = 0; i < cfg->nissuers; i++) {
		is = &cfg->issuers[i];
		cfg->jwt_nkeys += is->nkeys;
		if (is->jwks_uri == NULL)
			continue;
		is->source = (long)cfg->njwks_sources;
		src = &cfg->jwks_sources[cfg->njwks_sources++];
		src->name = is->name;
		src->iss = is->iss;
		src->jwks_uri = strcmp(is->jwks_uri, "discover") == 0 ? NULL :
		    is->jwks_uri;
		src->ca_file = is->ca_file;
		src->refresh_seconds = is->jwks_refresh_seconds;
		src->min_refetch_seconds = is->jwks_min_refetch_seconds;
		cfg->jwt_nkeys++;
	}
	auth_digest(cfg);
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
	if (cfg->state_dir == NULL) {
		snprintf(err, errsz, "\"state_dir\" must not be empty");
		return -1;
	}
	if (cfg->db_conninfo == NULL) {
		snprintf(err, errsz, "\"db_conninfo\" must not be empty");
		return -1;
	}
	if (load_secret(cfg, err, errsz) != 0)
		return -1;
	return build_issuers(cfg, err, errsz);
}

/*
 * Reads metrics_token_file: the bearer token /metrics and /readyz's
 * detail want, the file's bytes less one trailing newline: 32 to 1024
 * printable ASCII characters, no space (a Prometheus
 * credentials_file holds the same bytes).
 */
static int
load_metrics_token(struct config *cfg, char *err, size_t errsz)
{
	char tmp[1026];
	ssize_t n;
	size_t i;
	int fd;

	if (cfg->metrics_token_file == NULL)
		return 0;
	if ((fd = open(cfg->metrics_token_file, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "metrics_token_file: cannot open \"%s\": "
		    "%s", cfg->metrics_token_file, strerror(errno));
		return -1;
	}
	n = read(fd, tmp, sizeof(tmp));
	close(fd);
	if (n > 0 && tmp[n - 1] == '\n')
		n--;
	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (tmp[i] <= ' ' || tmp[i] > '~')
			break;
	if (n < 32 || n > 1024 || i < (size_t)n) {
		explicit_bzero(tmp, sizeof(tmp));
		snprintf(err, errsz, "metrics_token_file: \"%s\" must hold 32 "
		    "to 1024 printable characters without spaces, and a "
		    "newline at most", cfg->metrics_token_file);
		return -1;
	}
	cfg->metrics_token = xmalloc((size_t)n + 1);
	memcpy(cfg->metrics_token, tmp, (size_t)n);
	cfg->metrics_token[n] = '\0';
	explicit_bzero(tmp, sizeof(tmp));
	return 0;
}

/*
 * Parses metrics_allow_from: addresses and networks ("10.0.0.0/8",
 * "2001:db8::/32", "192.0.2.7"), separated by commas or spaces, whose
 * requests /metrics and /readyz's detail answer without the metrics
 * token.
 */
static int
load_metrics_allow(struct config *cfg, char *err, size_t errsz)
{
	const char *p;
	char item[128];
	size_t n;

	if (cfg->metrics_allow_from == NULL)
		return 0;
	for (p = cfg->metrics_allow_from; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		if ((n = strcspn(p, ", \t")) == 0)
			break;
		cfg->metrics_allow = xrealloc(cfg->metrics_allow,
		    (cfg->nmetrics_allow + 1) * sizeof(*cfg->metrics_allow));
		if (n >= sizeof(item) || (memcpy(item, p, n), item[n] = '\0',
		    apitoken_cidr_parse(item,
		    &cfg->metrics_allow[cfg->nmetrics_allow]) != 0)) {
			snprintf(err, errsz, "metrics_allow_from: \"%.*s\" is "
			    "no address or network (10.0.0.0/8, 2001:db8::/32, "
			    "192.0.2.7; no bits set right of the mask)",
			    (int)(n > 64 ? 64 : n), p);
			return -1;
		}
		cfg->nmetrics_allow++;
	}
	return 0;
}

/*
 * jwt_issuer and jwt_audience bind the top-level jwt_*_file keys only:
 * without any of those there is no issuer for them, and they change
 * nothing (an [issuer NAME] section has its own iss and aud).  Said
 * once at load, as a warning: refusing would stop a start or reload
 * over keys that admit no token.
 */
static void
warn_unbound_jwt_keys(const struct config *cfg)
{
	const struct {
		const char	*name;
		const char	*value;
	} set[] = {
		{ "jwt_issuer", cfg->jwt_issuer },
		{ "jwt_audience", cfg->jwt_audience },
	};
	const struct key *k;
	char where[PATH_MAX + 64], var[128];
	size_t i;
	int line;

	if (cfg->jwt_hs256_secret_file != NULL ||
	    cfg->jwt_public_key_file != NULL || cfg->jwt_jwks_file != NULL)
		return;
	for (i = 0; i < RS_ARRAY_LEN(set); i++) {
		if (set[i].value == NULL || (k = find_key(set[i].name)) == NULL)
			continue;
		line = cfg->src[k - keys];
		if (line > 0)
			snprintf(where, sizeof(where), "%s:%d: %s", cfg->path,
			    line, k->name);
		else if (line < 0) {
			env_name(k->name, var, sizeof(var));
			snprintf(where, sizeof(where), "%s", var);
		} else
			snprintf(where, sizeof(where), "%s", k->name);
		log_warn("%s is ignored: it applies only to the keys of "
		    "jwt_hs256_secret_file, jwt_public_key_file and "
		    "jwt_jwks_file, and none is set (an [issuer NAME] "
		    "section takes iss and aud)", where);
	}
}

static int
config_load_ex(const char *path, struct config *cfg, int quiet, char *err,
    size_t errsz)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < RS_ARRAY_LEN(keys); i++)
		if (keys[i].def != NULL &&
		    set_value(cfg, &keys[i], keys[i].def) != 0)
			abort();	/* a bad default is a bug */
	if (!quiet)
		warn_unknown_env();
	if (read_file(cfg, path != NULL ? path : CONFIG_DEFAULT_PATH,
	    path != NULL, err, errsz) != 0 ||
	    read_env(cfg, err, errsz) != 0 ||
	    check_values(cfg, err, errsz) != 0) {
		config_free(cfg);
		return -1;
	}
	if (load_metrics_token(cfg, err, errsz) != 0 ||
	    load_metrics_allow(cfg, err, errsz) != 0) {
		config_free(cfg);
		return -1;
	}
	if (!quiet)
		warn_unbound_jwt_keys(cfg);
	return 0;
}

/*
 * Loads the configuration.  See config.h.
 */
int
config_load(const char *path, struct config *cfg, char *err, size_t errsz)
{
	return config_load_ex(path, cfg, 0, err, errsz);
}

int
config_auth_digest_of(const char *path, unsigned char out[32])
{
	struct config c;
	char err[512];

	if (config_load_ex(path, &c, 1, err, sizeof(err)) != 0)
		return -1;
	memcpy(out, c.auth_digest, sizeof(c.auth_digest));
	config_free(&c);
	return 0;
}

static void
issuer_free(struct config_issuer *is)
{
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(ikeys); i++)
		if (ikeys[i].type == KEY_STRING)
			free(*(char **)((char *)is + ikeys[i].off));
	free(is->name);
	jwt_keys_free(is->keys, is->nkeys);
	if (is->secret != NULL) {
		explicit_bzero(is->secret, is->secret_len);
		free(is->secret);
	}
	jwt_claim_path_free(&is->subject);
	jwt_claim_path_free(&is->tenant);
	jwt_claim_path_free(&is->roles);
	for (i = 0; i < is->nroles_map; i++)
		free(is->roles_map[i].name);
	free(is->roles_map);
}

/* Releases everything config_load() allocated. */
void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(keys); i++)
		if (keys[i].type == KEY_STRING)
			free_wiped(*(char **)((char *)cfg + keys[i].off));
	if (cfg->metrics_token != NULL) {
		explicit_bzero(cfg->metrics_token, strlen(cfg->metrics_token));
		free(cfg->metrics_token);
	}
	free(cfg->metrics_allow);
	for (i = 0; i < cfg->nissuers; i++)
		issuer_free(&cfg->issuers[i]);
	free(cfg->issuers);
	free(cfg->jwks_sources);
	if (cfg->jwt_secret != NULL) {
		explicit_bzero(cfg->jwt_secret, cfg->jwt_secret_len);
		free(cfg->jwt_secret);
	}
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

struct jwt_verifier *
config_verifiers(const struct config *cfg)
{
	const struct config_issuer *is;
	struct jwt_verifier *v;
	size_t i;

	v = xcalloc(cfg->nissuers + 1, sizeof(*v));
	for (i = 0; i < cfg->nissuers; i++) {
		is = &cfg->issuers[i];
		v[i].name = is->name;
		v[i].keys = is->keys;
		v[i].nkeys = is->nkeys;
		v[i].issuer = is->iss;
		v[i].audience = is->aud;
		v[i].typ = is->typ;
		v[i].leeway = cfg->jwt_leeway_seconds;
		v[i].require_exp = (int)cfg->jwt_require_exp;
		v[i].max_token = (size_t)cfg->max_token_bytes;
		v[i].subject = &is->subject;
		v[i].tenant = &is->tenant;
		v[i].roles = &is->roles;
		v[i].tenant_map = (int)is->tenant_map;
		v[i].role_map = is->roles_map;
		v[i].nrole_map = is->nroles_map;
	}
	return v;
}

const struct config_issuer *
config_issuer_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nissuers; i++)
		if (strcmp(cfg->issuers[i].name, name) == 0)
			return &cfg->issuers[i];
	return NULL;
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

long
config_hash_slots(const struct config *cfg)
{
	long n = config_workers(cfg) / 2;

	if (cfg->password_hash_slots > 0)
		return cfg->password_hash_slots;
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
value_text(const void *base, const struct key *k)
{
	const void *f = (const char *)base + k->off;
	char num[32];
	const char *s;

	switch (k->type) {
	case KEY_STRING:
		s = *(char *const *)f;
		if (s != NULL && (k == find_key("db_conninfo") ||
		    k == find_key("db_read_conninfo") ||
		    k == find_key("import_db_conninfo")))
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
	/* The sections; the implicit issuer is the jwt_* lines above. */
	for (i = 0; i < cfg->nissuers; i++) {
		const struct config_issuer *is = &cfg->issuers[i];
		size_t j;

		if (is->line == 0)
			continue;
		fprintf(f, "[issuer %s]  # %s:%d\n", is->name, cfg->path,
		    is->line);
		for (j = 0; j < RS_ARRAY_LEN(ikeys); j++) {
			v = value_text(is, &ikeys[j]);
			fprintf(f, "%s = %s  # ", ikeys[j].name, v);
			free(v);
			if (is->src[j] > 0)
				fprintf(f, "%s:%d\n", cfg->path, is->src[j]);
			else
				fprintf(f, "default\n");
		}
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
