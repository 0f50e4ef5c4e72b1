/*
 * rosterctl.c: the admin command line: migrate, bootstrap, token,
 * check-config, purge, api-token, export, import, routes, statements.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/apitoken.h"
#include "auth/auth.h"
#include "config.h"
#include "daemon.h"
#include "core/core.h"
#include "dialects/dialect.h"
#include "imp/export.h"

static void
print_usage(FILE *f)
{
	fprintf(f,
	    "usage: rosterctl [-c FILE] migrate [--sql-dir DIR]\n"
	    "       rosterctl [-c FILE] bootstrap --tenant NAME\n"
	    "       rosterctl [-c FILE] token --sub S [--tid T] "
	    "[--roles R1,R2] [--ttl SECONDS]\n"
	    "                [--issuer NAME]\n"
	    "       rosterctl [-c FILE] check-config [--print]\n"
	    "       rosterctl [-c FILE] purge [--dry-run] [--batch N]\n"
	    "       rosterctl [-c FILE] api-token create --tenant ID "
	    "--name NAME\n"
	    "                [--role TenantAdmin|TenantReader] "
	    "[--expires RFC3339]\n"
	    "                [--allow CIDR[,CIDR...]]\n"
	    "       rosterctl [-c FILE] api-token list --tenant ID\n"
	    "       rosterctl [-c FILE] api-token revoke --tenant ID --id ID\n"
	    "       rosterctl [-c FILE] export --tenant ID "
	    "[--format csv|jsonl|xlsx]\n"
	    "                [--include-password-hashes] [-o FILE|-]\n"
	    "       rosterctl [-c FILE] import --tenant ID [--format "
	    "csv|jsonl|xlsx|keycloak|auth0]\n"
	    "                [--mode create|upsert] [--match "
	    "id|username|email]\n"
	    "                [--dry-run] [--atomic] [--batch N] "
	    "[--errors FILE]\n"
	    "                [--restart] [--quiet] FILE\n"
	    "       rosterctl routes\n"
	    "       rosterctl statements [NAME]\n"
	    "       rosterctl --version | --help | help\n"
	    "\n"
	    "  -c FILE       configuration file (default %s)\n"
	    "  token         --roles: SystemAdmin, TenantAdmin, TenantReader;\n"
	    "                --ttl: 1 to %ld seconds (default 3600);\n"
	    "                --issuer: an issuer with an HS256 secret "
	    "(default: the\n"
	    "                jwt_hs256_secret_file's, \"" CONFIG_LOCAL_ISSUER
	    "\")\n"
	    "  check-config  --print: every key's effective value and where "
	    "it\n"
	    "                comes from (default, FILE:LINE, env ROSTERD_KEY)\n"
	    "  purge         deletes what the retention_* keys let go, N rows "
	    "per\n"
	    "                transaction (default 1000); --dry-run: counts "
	    "them\n"
	    "  export        --format: csv (default), jsonl or xlsx; -o: "
	    "written whole\n"
	    "                or not at all (mode 0600); none or -: stdout\n",
	    CONFIG_DEFAULT_PATH, TOKEN_TTL_MAX);
}

RS_NORETURN static void
usage(void)
{
	print_usage(stderr);
	exit(2);
}

static int
cmd_migrate(const struct config *cfg, int argc, char **argv)
{
	const char *dir = cfg->sql_dir;
	char err[1024];

	if (argc == 3 && strcmp(argv[1], "--sql-dir") == 0)
		dir = argv[2];
	else if (argc != 1)
		usage();
	if (db_migrate(cfg->db_conninfo, cfg->db_connect_timeout, dir, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "rosterctl: migrate: %s\n", err);
		return 1;
	}
	return 0;
}

static int
cmd_bootstrap(const struct config *cfg, int argc, char **argv)
{
	char id[UUID_STR_LEN + 1];
	struct core_errors errs = { 0 };
	struct core_ctx c;
	enum core_status st;
	int rc = 1;

	if (argc != 3 || strcmp(argv[1], "--tenant") != 0)
		usage();
	c.db = db_new(cfg->db_conninfo, cfg->db_connect_timeout,
	    cfg->statement_timeout_ms);
	db_options(c.db, cfg->db_deadline_ms, cfg->db_prepared != 0);
	c.a = arena_new(0);
	c.actor = "rosterctl";
	c.request_id = NULL;
	st = core_tenant_bootstrap(&c, argv[2], id, &errs);
	if (st == CORE_OK) {
		/* the id is the operator's to keep: said when it is lost */
		printf("%s\n", id);
		rc = 0;
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "rosterctl: bootstrap: tenant %s was "
			    "made, but its id could not be written to "
			    "standard output\n", id);
			rc = 1;
		}
	} else if (st == CORE_CONFLICT) {
		fprintf(stderr, "rosterctl: a tenant named \"%s\" exists\n",
		    argv[2]);
	} else {
		fprintf(stderr, "rosterctl: bootstrap: %s\n",
		    core_status_str(st));
	}
	arena_free(c.a);
	db_free(c.db);
	return rc;
}

/* A bad argument of rosterctl token: said on stderr, exit status 2. */
static int
token_refusal(const char *why)
{
	fprintf(stderr, "rosterctl: token: %s\n", why);
	return 2;
}

/*
 * Splits --roles into roles[0..15), NULL-terminated: every name must be
 * a role rosterd knows (a token with another name would only be
 * refused later with 403).  0, or -1 after saying why.
 */
static int
token_roles(char *list, const char *roles[16])
{
	char msg[160];
	int n = 0;

	for (char *r = strtok(list, ","); r != NULL; r = strtok(NULL, ",")) {
		if (auth_role_bit(r) == 0) {
			snprintf(msg, sizeof(msg), "unknown role \"%.64s\": "
			    "expected SystemAdmin, TenantAdmin or TenantReader",
			    r);
			(void)token_refusal(msg);
			return -1;
		}
		if (n == 15) {
			(void)token_refusal("more than 15 roles");
			return -1;
		}
		roles[n++] = r;
	}
	return 0;
}

/*
 * The issuer rosterctl token mints for: the one named, else the
 * jwt_* keys' issuer, else the only one with an HS256 secret.  NULL
 * after saying why.
 */
static const struct config_issuer *
token_issuer(const struct config *cfg, const char *name)
{
	const struct config_issuer *is = NULL;
	size_t i, n = 0;

	if (name != NULL) {
		if ((is = config_issuer_find(cfg, name)) == NULL)
			fprintf(stderr, "rosterctl: token: no [issuer %s] "
			    "configured\n", name);
		else if (is->secret == NULL) {
			fprintf(stderr, "rosterctl: token: [issuer %s] has no "
			    "HS256 secret to sign with\n", name);
			is = NULL;
		}
		return is;
	}
	if ((is = config_issuer_find(cfg, CONFIG_LOCAL_ISSUER)) != NULL &&
	    is->secret != NULL)
		return is;
	for (i = 0; i < cfg->nissuers; i++)
		if (cfg->issuers[i].secret != NULL) {
			is = &cfg->issuers[i];
			n++;
		}
	if (n == 1)
		return is;
	fprintf(stderr, "rosterctl: token: %s\n", n == 0 ?
	    "no jwt_hs256_secret_file or hs256_secret_file configured" :
	    "several issuers have an HS256 secret: name one with --issuer");
	return NULL;
}

static int
cmd_token(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sub", required_argument, NULL, 's' },
		{ "tid", required_argument, NULL, 't' },
		{ "roles", required_argument, NULL, 'r' },
		{ "ttl", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = NULL, *tid = NULL, *roles[16] = { NULL };
	const char *iname = NULL;
	const struct config_issuer *is;
	struct jwt_verifier *v;
	char *rl = NULL, *tok, canon[UUID_STR_LEN + 1];
	long ttl = 3600;
	struct arena *a;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sub = optarg; break;
		case 't': tid = optarg; break;
		case 'r': rl = optarg; break;
		case 'i': iname = optarg; break;
		case 'l':
			if (token_ttl_parse(optarg, &ttl) != 0)
				return token_refusal("--ttl must be a whole "
				    "number of seconds from 1 to 31536000");
			break;
		default: usage();
		}
	}
	if (sub == NULL || optind != argc)
		usage();
	if (rl != NULL && token_roles(rl, roles) != 0)
		return 2;
	if ((is = token_issuer(cfg, iname)) == NULL)
		return 1;
	if (tid != NULL && !is->tenant_map) {
		if (uuid_normalize(tid, strlen(tid), canon) != 0)
			return token_refusal("--tid is not a uuid");
		tid = canon;
	}
	v = config_verifiers(cfg);
	a = arena_new(0);
	tok = jwt_mint_for(a, &v[is - cfg->issuers], is->secret,
	    is->secret_len, sub, tid, roles, time(NULL), ttl);
	if (tok != NULL)
		printf("%s\n", tok);
	else
		fprintf(stderr, "rosterctl: token: cannot mint for [issuer "
		    "%s]: a role it maps no name to, or claim paths that "
		    "collide\n", is->name);
	arena_free(a);
	free(v);
	return tok != NULL ? 0 : 1;
}

/*
 * The route table, one route a line: method, pattern, right, tenant
 * parameter ("-" when none) and dialect, tab-separated.  The refusal
 * table of the integration tests is driven by it.
 */
static int
cmd_routes(void)
{
	const char *right;
	size_t i;

	for (i = 0; i < nroutes; i++) {
		right = authz_right_name(routes[i].right);
		printf("%s\t%s\t%s\t%s\t%s\n", routes[i].method,
		    routes[i].pattern, right ? right : "UNSET",
		    routes[i].tenant_param ? routes[i].tenant_param : "-",
		    routes[i].dialect->name);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * The statement table as rosterd prepares it: name, parameter count,
 * flags and SQL, one statement per line; with NAME, that statement's SQL
 * alone.  bench/run builds its pgbench scripts from this, so the baseline
 * runs exactly what rosterd runs.
 */
static int
cmd_statements(const char *name)
{
	size_t i;

	for (i = 0; i < STMT__MAX; i++) {
		const struct stmt_def *s = &db_statements[i];

		if (name != NULL) {
			if (strcmp(s->name, name) != 0)
				continue;
			printf("%s\n", s->sql);
			return fflush(stdout) == 0 ? 0 : 1;
		}
		printf("%s\t%d\t%s%s\t%s\n", s->name, s->nparams,
		    s->readonly ? "r" : "w", s->replan ? "p" : "",
		    s->sql);
	}
	if (name != NULL) {
		fprintf(stderr, "rosterctl: no statement named %s\n", name);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * The config has loaded: say so, or with --print show every key's
 * effective value and its source (the password redacted).
 */
static int
cmd_check_config(const struct config *cfg, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return config_print(cfg, stdout) == 0 ? 0 : 1;
	if (argc != 1)
		usage();
	printf("%s: ok\n", cfg->path ? cfg->path : "(defaults)");
	return fflush(stdout) == 0 ? 0 : 1;
}

/* --version, --help and help: answered before any config is read. */
static int
info_option(const char *arg)
{
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
		printf("rosterctl %s\n", PACKAGE_VERSION);
		return 1;
	}
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 ||
	    strcmp(arg, "help") == 0) {
		print_usage(stdout);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *path = NULL;
	struct config cfg;
	char err[1024];
	int rc;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 2 && info_option(argv[1]))
		return fflush(stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "routes") == 0)
		return cmd_routes();	/* needs no configuration */
	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "statements") == 0)
		return cmd_statements(argc == 3 ? argv[2] : NULL);
	if (argc < 2)
		usage();
	log_set_process("rosterctl");
	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "rosterctl: %s\n", err);
		return 1;
	}
	log_set_level(cfg.log_lvl);
	argc--;
	argv++;
	if (strcmp(argv[0], "migrate") == 0)
		rc = cmd_migrate(&cfg, argc, argv);
	else if (strcmp(argv[0], "bootstrap") == 0)
		rc = cmd_bootstrap(&cfg, argc, argv);
	else if (strcmp(argv[0], "token") == 0)
		rc = cmd_token(&cfg, argc, argv);
	else if (strcmp(argv[0], "api-token") == 0)
		rc = rosterctl_api_token(&cfg, argc, argv);
	else if (strcmp(argv[0], "check-config") == 0)
		rc = cmd_check_config(&cfg, argc, argv);
	else if (strcmp(argv[0], "purge") == 0)
		rc = rosterctl_purge(&cfg, argc, argv);
	else if (strcmp(argv[0], "export") == 0)
		rc = rosterctl_export(&cfg, argc, argv);
	else if (strcmp(argv[0], "import") == 0)
		rc = rosterctl_import(&cfg, argc, argv);
	else
		usage();
	config_free(&cfg);
	return rc;
}
