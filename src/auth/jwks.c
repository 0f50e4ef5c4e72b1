/*
 * jwks.c: fetched key sets.  Placeholder implementation: nothing is
 * fetched, so every remote source has no keys.
 */
#include "jwks.h"

int
jwks_current(const struct jwks_source *src, const char *state_dir,
    const struct jwt_key **keys, size_t *n)
{
	(void)state_dir;
	if (src == NULL || keys == NULL || n == NULL)
		return -1;
	*keys = NULL;
	*n = 0;
	return 0;
}

void
jwks_request_refresh(const struct jwks_source *src, const char *state_dir)
{
	(void)src;
	(void)state_dir;
}

void
jwks_release_all(void)
{
}

pid_t
jwks_fetcher_start(const struct jwks_source *srcs, size_t n,
    const char *state_dir)
{
	(void)srcs;
	(void)n;
	(void)state_dir;
	return 0;
}
