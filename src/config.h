/*
 * config.h: rosterd.conf, "key = value" lines with '#' comments, every
 * top-level key overridable by ROSTERD_<KEY> in the environment, then
 * [issuer NAME] sections, one per trusted token issuer.
 */
#ifndef ROSTERD_CONFIG_H
#define ROSTERD_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "auth/auth.h"
#include "auth/jwks.h"
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

#define CONFIG_ISSUER_KEYS 16	/* room in struct config_issuer's src[] */
#define CONFIG_LOCAL_ISSUER "local"	/* the jwt_* keys' issuer */
#define CONFIG_LOCAL_ISS "urn:rosterd:local"	/* its iss and aud when */
#define CONFIG_LOCAL_AUD "rosterd"		/* jwt_issuer/_audience unset */

/*
 * One trusted issuer: an [issuer NAME] section, or the implicit one
 * that the top-level jwt_* keys make (named CONFIG_LOCAL_ISSUER).
 */
struct config_issuer {
	char		*name;
	int		 line;			/* of the section header; 0:
						 * implicit */
	char		*iss;
	char		*aud;			/* comma-separated */
	char		*jwks_uri;		/* URL or "discover" */
	char		*jwks_file;
	char		*public_key_file;
	char		*hs256_secret_file;
	char		*ca_file;
	long		 jwks_refresh_seconds;
	long		 jwks_min_refetch_seconds;
	char		*typ;
	char		*subject_claim;
	char		*tenant_claim;
	long		 tenant_map;		/* boolean */
	char		*roles_claim;
	char		*role_map;
	int		 src[CONFIG_ISSUER_KEYS];	/* per key: line or 0 */

	/* derived at load time */
	struct jwt_key	*keys;			/* file keys */
	size_t		 nkeys;
	unsigned char	*secret;		/* hs256_secret_file's bytes */
	size_t		 secret_len;
	struct jwt_claim_path subject, tenant, roles;
	struct jwt_role_map *roles_map;
	size_t		 nroles_map;
	long		 source;		/* index in jwks_sources, -1 */
};

struct config {
	char		*listen;		/* path, host:port or fd:N */
	long		 listen_mode;		/* unix socket mode */
	long		 listen_backlog;
	long		 workers;		/* 0 = number of CPUs */
	char		*db_conninfo;
	long		 db_connect_timeout;	/* seconds */
	long		 statement_timeout_ms;
	long		 db_deadline_ms;	/* 0: statement_timeout + 5 s */
	long		 db_prepared;		/* boolean; 0: unnamed (a pooler) */
	char		*db_read_conninfo;	/* a standby for GETs; NULL/"": off */
	long		 db_read_retry_ms;	/* a failed standby rests so long */
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
	char		*state_dir;		/* fetched key sets and such */
	long		 shutdown_timeout;	/* seconds a drain may take */
	long		 access_log;		/* boolean: a line per request */
	long		 password_min_length;	/* characters of a new password */
	long		 password_hash_slots;	/* concurrent hashes; 0: auto */
	char		*metrics_token_file;	/* /metrics' bearer token */
	char		*metrics_allow_from;	/* CIDRs needing no token */
	/*
	 * The HMAC secret of Idempotency-Key request hashes; a relative
	 * path is relative to the configuration file's directory.
	 */
	char		*idempotency_key_file;
	long		 idempotency_wait_ms;	/* for the same key in flight */
	/*
	 * rosterctl purge (rosterctl_purge.c): rows older than these go;
	 * 0 days: kept for ever.  Idempotency rows: at least their replay
	 * window, 24 hours.
	 */
	long		 retention_idempotency_hours;
	long		 retention_invites_days;	/* after they ended */
	long		 retention_audit_days;
	long		 retention_api_tokens_days;	/* after they ended */
	long		 retention_import_jobs_days;	/* after they ended */
	/* /v1 import jobs (jobs.c): the runner, an upload's bytes */
	long		 import_jobs;			/* boolean */
	char		*import_db_conninfo;	/* the runner's; NULL: db_conninfo */
	long		 import_max_upload_bytes;

	/* derived at load time */
	struct fmt_limits body_limits;		/* the four body limits above */
	enum log_level	 log_lvl;
	unsigned char	*jwt_secret;		/* NULL if no secret file */
	size_t		 jwt_secret_len;
	char		*metrics_token;		/* NULL: /metrics is closed */
	struct apitoken_cidr *metrics_allow;	/* metrics_allow_from */
	size_t		 nmetrics_allow;
	size_t		 jwt_nkeys;		/* file keys of every issuer,
						 * plus one per remote set;
						 * 0: every token is refused */
	struct config_issuer *issuers;		/* sections, then the implicit
						 * one */
	size_t		 nissuers;
	struct jwks_source *jwks_sources;	/* issuers with jwks_uri */
	size_t		 njwks_sources;
	unsigned char	 auth_digest[32];	/* SHA-256 of everything that
						 * decides a token's fate */
	char		*path;			/* the file read, or NULL */
	int		 src[CONFIG_KEYS_MAX];	/* per key: 0 default, > 0 the
						 * file's line, -1 environment */
};

/*
 * Loads path (or the default path; a missing default file is not an
 * error, a missing explicit one is), applies ROSTERD_* overrides and
 * checks every value and the files they name.  Returns 0, or -1 with a
 * message naming the key and line in err.  *cfg is heap memory: free it
 * with config_free().  Keys of [issuer NAME] sections are not
 * overridable from the environment.
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
 * The verifiers of cfg's issuers (a heap array of cfg->nissuers, in the
 * same order, pointing into cfg; free() it), for struct jwt_trust.
 * Remote key callbacks are left to the caller.
 */
struct jwt_verifier *config_verifiers(const struct config *cfg);

/*
 * Loads path again, quietly, and writes the auth_digest of what it
 * holds to out.  Returns 0, or -1 when it does not load.
 */
int config_auth_digest_of(const char *path, unsigned char out[32])
    RS_MUSTCHECK;

/* The issuer named name, or NULL. */
const struct config_issuer *config_issuer_find(const struct config *cfg,
    const char *name);

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

/*
 * Effective password_hash_slots: the key, or half the workers (at least
 * one), so that a burst of password writes leaves workers to the rest.
 */
long config_hash_slots(const struct config *cfg);

/*
 * rosterctl purge [--dry-run] [--batch N] (rosterctl_purge.c): deletes
 * what the retention_* keys let go, in batches.  Exit status.
 */
int rosterctl_purge(const struct config *cfg, int argc, char **argv);
/* rosterctl import (rosterctl_import.c): users from a file into a tenant. */
int rosterctl_import(const struct config *cfg, int argc, char **argv);

#endif
