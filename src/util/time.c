/*
 * time.c: the clocks rosterd reads and the one timestamp format it
 * writes (RFC 3339, UTC, milliseconds).
 */
#include <stdint.h>
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

/* v's last n decimal digits, zero-padded, at p (no NUL). */
static void
digits(char *p, unsigned int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
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
	/* The clamp keeps every field in its width. */
	digits(out, (unsigned int)tm.tm_year + 1900, 4);
	out[4] = '-';
	digits(out + 5, (unsigned int)tm.tm_mon + 1, 2);
	out[7] = '-';
	digits(out + 8, (unsigned int)tm.tm_mday, 2);
	out[10] = 'T';
	digits(out + 11, (unsigned int)tm.tm_hour, 2);
	out[13] = ':';
	digits(out + 14, (unsigned int)tm.tm_min, 2);
	out[16] = ':';
	digits(out + 17, (unsigned int)tm.tm_sec, 2);
	out[19] = '.';
	digits(out + 20, (unsigned int)frac, 3);
	out[23] = 'Z';
	out[24] = '\0';
}
