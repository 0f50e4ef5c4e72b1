/*
 * config.h: rosterd.conf, "key = value" lines with '#' comments, every
 * key overridable by ROSTERD_<KEY> in the environment.
 */
#ifndef ROSTERD_CONFIG_H
#define ROSTERD_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "auth/auth.h"
#include "formats/formats.h"
#include "util/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/rosterd"
#endif
#define CONFIG_DEFAULT_PATH SYSCONFDIR "/rosterd/rosterd.conf"

#define CONFIG_KEYS_MAX	64	/* room in struct config's src[] */

struct config {
	char		*listen;		/* path, host:port or fd:N */
	long		 listen_mode;		/* unix socket mode */
	long		 listen_backlog;
	long		 workers;		/* 0 = number of CPUs */
	char		*db_conninfo;
	long		 db_connect_timeout;	/* seconds */
	long		 statement_timeout_ms;
	long		 max_body_bytes;
	long		 max_bulk_body_bytes;	/* routes flagged ROUTE_BULK */
	long		 request_memory_bytes;	/* arena budget per request */
	long		 max_depth;		/* nesting of a body's values */
	long		 max_items;		/* members or items of one */
	long		 max_string_bytes;	/* one string or key */
	long		 max_values;		/* values in one body */
	long		 max_headers;		/* request header fields */
	long		 max_query_params;
	long		 max_token_bytes;	/* a bearer token */
	char		*jwt_hs256_secret_file;
	char		*jwt_public_key_file;	/* one PEM public key */
	char		*jwt_jwks_file;		/* a JWKS document */
	char		*jwt_issuer;
	char		*jwt_audience;
	long		 jwt_leeway_seconds;
	long		 jwt_require_exp;	/* boolean */
	char		*log_level;
	char		*sql_dir;
	long		 shutdown_timeout;	/* seconds a drain may take */
	long		 access_log;		/* boolean: a line per request */
	/*
	 * The HMAC secret of Idempotency-Key request hashes; a relative
	 * path is relative to the configuration file's directory.
	 */
	char		*idempotency_key_file;
	long		 idempotency_wait_ms;	/* for the same key in flight */

	/* derived at load time */
	struct fmt_limits body_limits;		/* the four body limits above */
	enum log_level	 log_lvl;
	unsigned char	*jwt_secret;		/* NULL if no secret file */
	size_t		 jwt_secret_len;
	struct jwt_key	*jwt_keys;		/* every verification key */
	size_t		 jwt_nkeys;
	char		*path;			/* the file read, or NULL */
	int		 src[CONFIG_KEYS_MAX];	/* per key: 0 default, > 0 the
						 * file's line, -1 environment */
};

/*
 * Loads path (or the default path; a missing default file is not an
 * error, a missing explicit one is), applies ROSTERD_* overrides and
 * checks every value and the files they name.  Returns 0, or -1 with a
 * message naming the key and line in err.  *cfg is heap memory: free it
 * with config_free().
 */
int config_load(const char *path, struct config *cfg, char *err,
    size_t errsz) RS_MUSTCHECK;
void config_free(struct config *cfg);

/*
 * Writes the effective configuration to f, every key in table order,
 * one a line: "key = value  # source", where source is "default",
 * "FILE:LINE" or "env ROSTERD_KEY".  A password in db_conninfo is
 * shown as *****.  Returns 0, or -1 when f reports a write error.
 */
int config_print(const struct config *cfg, FILE *f) RS_MUSTCHECK;

/*
 * Returns a copy of the libpq connection string ci (key=value or URI
 * form) with the values of password and sslpassword replaced by *****;
 * everything else is kept as written.  The caller frees the result.
 */
char *config_redact_conninfo(const char *ci);

/*
 * Returns 1 when the environment entry "NAME=value" (or a bare NAME)
 * is a ROSTERD_ variable that names no key, such as ROSTERD_WORKER;
 * else 0.  config_load() logs one warning naming every such variable.
 */
int config_env_unknown(const char *entry);

/* Effective worker count (workers, or the number of CPUs). */
long config_workers(const struct config *cfg);

#endif
