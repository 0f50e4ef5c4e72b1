/*
 * main.c: rosterd, the FastCGI daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"

static void
usage(void)
{
	fprintf(stderr, "usage: rosterd [-c config]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *path = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "c:hV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'V':
			printf("rosterd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	return supervisor_run(path);
}
