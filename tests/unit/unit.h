/*
 * unit.h: what every check program shares: the per-test arena fixture
 * and the runner.  Included by exactly one .c file per program.
 */
#ifndef ROSTERD_UNIT_H
#define ROSTERD_UNIT_H

#include <check.h>
#include <stdlib.h>

#include "../../src/util/util.h"

static struct arena *ta;	/* per test, reset by the fixture */

static inline void
setup(void)
{
	ta = arena_new(1 << 24);
}

static inline void
teardown(void)
{
	arena_free(ta);
	ta = NULL;
}

/* Runs every suite of sr (CK_FORK honoured), frees it, returns the exit. */
static inline int
unit_run(SRunner *sr)
{
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
