/*
 * cli.c: what the two programs' command lines share with the tests:
 * rosterd's options, rosterd --check-schema and the checks of
 * rosterctl token's arguments.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "db/db.h"

/*
 * Parses rosterd's arguments.  See daemon.h.
 */
enum rosterd_action
rosterd_args(int argc, char *const *argv, const char **conf)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-schema", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum rosterd_action act = RD_RUN;
	int ch;

	*conf = NULL;
	optind = 0;	/* GNU: start afresh, also on a second call */
	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 's':
			act = RD_CHECK_SCHEMA;
			break;
		case 'h':
			return RD_HELP;
		case 'V':
			return RD_VERSION;
		default:
			return RD_USAGE;
		}
	}
	return optind == argc ? act : RD_USAGE;
}

/* Writes rosterd's usage and options to f. */
void
rosterd_usage(FILE *f)
{
	fprintf(f,
	    "usage: rosterd [-c FILE]\n"
	    "       rosterd --check-schema [-c FILE]\n"
	    "       rosterd -V | --version\n"
	    "       rosterd -h | --help\n"
	    "\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  --check-schema     print the migrations of sql_dir that the "
	    "database\n"
	    "                     lacks; exit 0 if none, 1 if some, 2 if it "
	    "cannot tell\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n",
	    CONFIG_DEFAULT_PATH);
}

/*
 * rosterd --check-schema.  See daemon.h.
 */
int
rosterd_check_schema(const char *path)
{
	struct config cfg;
	char err[1024];
	int st;

	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "rosterd: %s\n", err);
		return 2;
	}
	st = db_check_schema(cfg.db_conninfo, cfg.db_connect_timeout,
	    cfg.sql_dir, stdout, err, sizeof(err));
	config_free(&cfg);
	switch (st) {
	case DB_SCHEMA_OK:
		return 0;
	case DB_SCHEMA_BEHIND:
		fprintf(stderr, "rosterd: database schema is behind: run "
		    "rosterctl migrate\n");
		return 1;
	default:
		fprintf(stderr, "rosterd: cannot tell: %s\n", err);
		return 2;
	}
}

/*
 * Parses rosterctl token's --ttl.  See daemon.h.
 */
int
token_ttl_parse(const char *s, long *ttl)
{
	char *end;
	long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;	/* no sign, no blank, not empty */
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > TOKEN_TTL_MAX)
		return -1;
	*ttl = v;
	return 0;
}
