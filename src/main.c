/*
 * main.c: rosterd, the FastCGI daemon.
 */
#include <stdio.h>

#include "daemon.h"

int
main(int argc, char *argv[])
{
	const char *path;

	switch (rosterd_args(argc, argv, &path)) {
	case RD_RUN:
		return supervisor_run(path);
	case RD_CHECK_SCHEMA:
		return rosterd_check_schema(path);
	case RD_HELP:
		rosterd_usage(stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	case RD_VERSION:
		printf("rosterd %s\n", PACKAGE_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	default:
		rosterd_usage(stderr);
		return 2;
	}
}
