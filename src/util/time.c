/*
 * time.c: the clocks rosterd reads and the one timestamp format it
 * writes (RFC 3339, UTC, milliseconds).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

/* RFC 3339 covers years 0000 to 9999; clamp to that. */
#define TIME_MS_MIN	(-62167219200000LL)	/* 0000-01-01T00:00:00.000Z */
#define TIME_MS_MAX	253402300799999LL	/* 9999-12-31T23:59:59.999Z */

/*
 * Returns the wall-clock time in milliseconds since the Unix epoch.
 */
int64_t
time_now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Returns a monotonic clock reading in microseconds, from an arbitrary
 * origin, for measuring durations.
 */
int64_t
time_mono_us(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Writes ms (milliseconds since the Unix epoch) as an RFC 3339 UTC
 * timestamp with milliseconds, "2026-11-23T12:34:56.789Z", and a NUL
 * into out (24 bytes used).  Times outside years 0000-9999 are clamped
 * to that range.
 */
void
time_rfc3339(int64_t ms, char out[32])
{
	struct tm	 tm;
	time_t		 secs;
	int		 frac;

	if (ms < TIME_MS_MIN)
		ms = TIME_MS_MIN;
	if (ms > TIME_MS_MAX)
		ms = TIME_MS_MAX;
	/* Floor division: -1 ms is 1969-12-31T23:59:59.999Z. */
	frac = (int)(ms % 1000);
	if (frac < 0)
		frac += 1000;
	secs = (time_t)((ms - frac) / 1000);
	if (gmtime_r(&secs, &tm) == NULL) {
		/* Only with a 32-bit time_t; the epoch is better than junk. */
		secs = 0;
		(void)gmtime_r(&secs, &tm);
		frac = 0;
	}
	/*
	 * The clamp keeps every field in its width; the modulos, no-ops
	 * here, let the compiler see that the output fits.
	 */
	(void)snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
	    (unsigned int)(tm.tm_year + 1900) % 10000u,
	    (unsigned int)(tm.tm_mon + 1) % 100u,
	    (unsigned int)tm.tm_mday % 100u,
	    (unsigned int)tm.tm_hour % 100u,
	    (unsigned int)tm.tm_min % 100u,
	    (unsigned int)tm.tm_sec % 100u,
	    (unsigned int)frac % 1000u);
}
