/*
 * jwks_driver.c: runs auth/jwks.c's two sides outside rosterd, for
 * tests/http/t_jwks.py.
 *
 *   jwks_driver fetch STATE_DIR NAME ISS URI CA REFRESH MIN_REFETCH
 *	[NAME ISS URI CA REFRESH MIN_REFETCH ...]
 *	starts the fetcher (jwks_fetcher_start) for those sources and
 *	waits; on SIGTERM or SIGINT stops it and exits with 0 when it
 *	exited 0.  URI "discover": OIDC discovery; CA "-": the system's.
 *   jwks_driver keys STATE_DIR NAME
 *	prints the kid of each key a worker would use (jwks_current),
 *	one a line; exits 1 on a bad argument.
 *   jwks_driver refresh STATE_DIR NAME
 *	sends one refetch request (jwks_request_refresh).
 *   jwks_driver status STATE_DIR NAME
 *	prints what jwks_status_read() reads: "LAST_ATTEMPT_MS
 *	LAST_SUCCESS_MS FAILURES NKEYS"; exits 1 when it reads nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/auth/jwks.h"

#define FIELDS	6

static int
usage(void)
{
	fprintf(stderr, "usage: jwks_driver fetch STATE_DIR NAME ISS URI CA "
	    "REFRESH MIN_REFETCH ...\n"
	    "       jwks_driver keys|refresh|status STATE_DIR NAME\n");
	return 2;
}

static int
fetch(int argc, char **argv)
{
	struct jwks_source *srcs;
	sigset_t set;
	size_t n, i;
	pid_t pid;
	int sig, status, rc;

	if (argc < FIELDS || argc % FIELDS != 0)
		return usage();
	n = (size_t)argc / FIELDS;
	srcs = xcalloc(n, sizeof(*srcs));
	for (i = 0; i < n; i++) {
		srcs[i].name = argv[i * FIELDS];
		srcs[i].iss = argv[i * FIELDS + 1];
		srcs[i].jwks_uri = strcmp(argv[i * FIELDS + 2], "discover") ==
		    0 ? NULL : argv[i * FIELDS + 2];
		srcs[i].ca_file = strcmp(argv[i * FIELDS + 3], "-") == 0 ?
		    NULL : argv[i * FIELDS + 3];
		srcs[i].refresh_seconds = atol(argv[i * FIELDS + 4]);
		srcs[i].min_refetch_seconds = atol(argv[i * FIELDS + 5]);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = jwks_fetcher_start(srcs, n, argv[-1]);
	if (pid <= 0) {
		free(srcs);
		return 1;
	}
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGCHLD && waitpid(pid, &status, WNOHANG) == 0);
	if (sig != SIGCHLD) {
		kill(pid, SIGTERM);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 && sig != SIGCHLD ?
	    0 : 1;
	if (rc != 0)
		fprintf(stderr, "jwks_driver: the fetcher ended with status "
		    "%d\n", status);
	free(srcs);
	return rc;
}

int
main(int argc, char **argv)
{
	struct jwks_source src;
	struct jwks_status st;
	const struct jwt_key *keys;
	size_t n, i;

	if (argc < 4)
		return usage();
	if (strcmp(argv[1], "fetch") == 0)
		return fetch(argc - 3, argv + 3);
	if (argc != 4)
		return usage();
	memset(&src, 0, sizeof(src));
	src.name = argv[3];
	if (strcmp(argv[1], "refresh") == 0) {
		jwks_request_refresh(&src, argv[2]);
		jwks_release_all();
		return 0;
	}
	if (strcmp(argv[1], "status") == 0) {
		if (jwks_status_read(&src, argv[2], &st) != 0)
			return 1;
		printf("%lld %lld %ld %ld\n", (long long)st.last_attempt_ms,
		    (long long)st.last_success_ms, st.failures, st.nkeys);
		return 0;
	}
	if (strcmp(argv[1], "keys") != 0)
		return usage();
	if (jwks_current(&src, argv[2], &keys, &n) != 0) {
		jwks_release_all();
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s\n", keys[i].kid != NULL ? keys[i].kid : "");
	jwks_release_all();
	return 0;
}
