/*
 * rosterctl_apitoken.c: rosterctl api-token create|list|revoke, the
 * tenant API tokens of POST/GET/DELETE /v1/tenants/{id}/api-tokens from
 * the command line, through the same statements (and audit rows, with
 * actor "rosterctl").  create prints the token, and only the token, on
 * stdout: the one time it is shown.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/apitoken.h"
#include "config.h"
#include "db/db.h"

static void
at_usage(void)
{
	fprintf(stderr,
	    "usage: rosterctl [-c FILE] api-token create --tenant ID "
	    "--name NAME\n"
	    "           [--role TenantAdmin|TenantReader] [--expires RFC3339]\n"
	    "           [--allow CIDR[,CIDR...]]\n"
	    "       rosterctl [-c FILE] api-token list --tenant ID\n"
	    "       rosterctl [-c FILE] api-token revoke --tenant ID --id ID\n"
	    "  --role: default TenantReader; --allow: source addresses or "
	    "networks\n");
}

static int
at_refusal(const char *why)
{
	fprintf(stderr, "rosterctl: api-token: %s\n", why);
	return 2;
}

static int
at_db_failed(enum db_status st)
{
	fprintf(stderr, "rosterctl: api-token: %s\n", st == DB_INVALID ?
	    "the database refused a value (is --expires RFC 3339?)" :
	    "the database is unavailable");
	return 1;
}

/* --allow a,b,c as a cidr[] literal of canonical networks; NULL: bad. */
static const char *
at_cidrs(struct arena *a, char *list)
{
	const char *items[APITOKEN_MAX_CIDRS];
	struct apitoken_cidr c;
	char canon[64];
	size_t n = 0;

	for (char *s = strtok(list, ","); s != NULL; s = strtok(NULL, ",")) {
		if (n == APITOKEN_MAX_CIDRS ||
		    apitoken_cidr_parse(s, &c) != 0)
			return NULL;
		apitoken_cidr_format(&c, canon, sizeof(canon));
		items[n++] = arena_strdup(a, canon);
	}
	return db_array_literal(a, items, n);
}

static int
at_create(struct db *db, struct arena *a, const char *tenant, int argc,
    char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "allow", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *params[9] = { NULL };
	char hash[65], shown[APITOKEN_SHOWN_LEN + 1], *token;
	enum db_status st;
	PGresult *r;
	int ch;

	params[2] = "TenantReader";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': break;
		case 'n': params[1] = optarg; break;
		case 'r': params[2] = optarg; break;
		case 'e': params[5] = optarg; break;
		case 'a':
			if ((params[6] = at_cidrs(a, optarg)) == NULL)
				return at_refusal("--allow: not a list of up "
				    "to 32 addresses or networks (10.0.0.0/8)");
			break;
		default: at_usage(); return 2;
		}
	}
	if (optind != argc || params[1] == NULL || *params[1] == '\0' ||
	    strlen(params[1]) > 200) {
		at_usage();
		return 2;
	}
	if (strcmp(params[2], "TenantAdmin") != 0 &&
	    strcmp(params[2], "TenantReader") != 0)
		return at_refusal("--role must be TenantAdmin or TenantReader "
		    "(never SystemAdmin)");
	if ((token = apitoken_new(a, hash, shown)) == NULL) {
		fprintf(stderr, "rosterctl: api-token: no random bytes\n");
		return 1;
	}
	params[0] = tenant;
	params[3] = hash;
	params[4] = shown;
	params[7] = "rosterctl";
	params[8] = NULL;
	if ((r = db_exec(db, a, STMT_APITOKEN_CREATE, params, &st,
	    NULL)) == NULL)
		return at_db_failed(st);
	if (!strcmp(db_get(r, 0, "tenant_ok"), "f"))
		return at_refusal("no tenant has this id");
	if (!strcmp(db_get(r, 0, "expiry_ok"), "f"))
		return at_refusal("--expires must be in the future");
	fprintf(stderr, "rosterctl: api token %s (%s…) made; this is the "
	    "only time it is shown\n", db_get(r, 0, "id"), shown);
	printf("%s\n", token);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* One line a token: id, prefix, role, state, lastUsedAt, name. */
static int
at_list(struct db *db, struct arena *a, const char *tenant)
{
	const char *params[4];
	char us[24], id[UUID_STR_LEN + 1], *comma;
	enum db_status st;
	PGresult *r;
	int i, n;

	params[0] = tenant;
	params[1] = params[2] = NULL;
	params[3] = "1000";
	for (;;) {
		if ((r = db_exec(db, a, STMT_APITOKEN_LIST, params, &st,
		    NULL)) == NULL)
			return at_db_failed(st);
		if (PQntuples(r) == 0 ||
		    strcmp(db_get(r, 0, "tenant_ok"), "t") != 0)
			return at_refusal("no tenant has this id");
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			if (db_get(r, i, "json") == NULL)
				continue;
			printf("%s\n", db_get(r, i, "json"));
		}
		if (n < 1000 || db_get(r, n - 1, "cur") == NULL)
			break;
		snprintf(us, sizeof(us), "%s", db_get(r, n - 1, "cur"));
		if ((comma = strchr(us, ',')) == NULL)
			break;
		*comma = '\0';
		snprintf(id, sizeof(id), "%s", strchr(db_get(r, n - 1, "cur"),
		    ',') + 1);
		params[1] = arena_strdup(a, us);
		params[2] = arena_strdup(a, id);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
at_revoke(struct db *db, struct arena *a, const char *tenant, int argc,
    char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *params[4];
	char canon[UUID_STR_LEN + 1];
	const char *id = NULL;
	enum db_status st;
	PGresult *r;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': break;
		case 'i': id = optarg; break;
		default: at_usage(); return 2;
		}
	}
	if (optind != argc || id == NULL) {
		at_usage();
		return 2;
	}
	if (uuid_normalize(id, strlen(id), canon) != 0)
		return at_refusal("--id is not a uuid");
	params[0] = tenant;
	params[1] = canon;
	params[2] = "rosterctl";
	params[3] = NULL;
	if ((r = db_exec(db, a, STMT_APITOKEN_REVOKE, params, &st,
	    NULL)) == NULL)
		return at_db_failed(st);
	if (strcmp(db_get(r, 0, "found"), "t") != 0)
		return at_refusal("no API token of this tenant has this id");
	fprintf(stderr, "rosterctl: api token %s %s\n", canon,
	    strcmp(db_get(r, 0, "revoked"), "t") == 0 ? "revoked" :
	    "was revoked already");
	return 0;
}

/* rosterctl api-token SUBCOMMAND ...: argv[0] is "api-token". */
int
rosterctl_api_token(const struct config *cfg, int argc, char **argv)
{
	char canon[UUID_STR_LEN + 1];
	const char *tenant = NULL;
	struct arena *a;
	struct db *db;
	int i, rc;

	if (argc < 2) {
		at_usage();
		return 2;
	}
	/* --tenant, wherever it is */
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc)
			tenant = argv[i + 1];
		else if (strncmp(argv[i], "--tenant=", 9) == 0)
			tenant = argv[i] + 9;
	if (tenant == NULL) {
		at_usage();
		return 2;
	}
	if (uuid_normalize(tenant, strlen(tenant), canon) != 0)
		return at_refusal("--tenant is not a uuid");
	db = db_new(cfg->db_conninfo, cfg->db_connect_timeout,
	    cfg->statement_timeout_ms);
	db_options(db, cfg->db_deadline_ms, cfg->db_prepared != 0);
	a = arena_new(0);
	if (strcmp(argv[1], "create") == 0)
		rc = at_create(db, a, canon, argc - 1, argv + 1);
	else if (strcmp(argv[1], "list") == 0 && argc <= 4)
		rc = at_list(db, a, canon);
	else if (strcmp(argv[1], "revoke") == 0)
		rc = at_revoke(db, a, canon, argc - 1, argv + 1);
	else {
		at_usage();
		rc = 2;
	}
	arena_free(a);
	db_free(db);
	return rc;
}
