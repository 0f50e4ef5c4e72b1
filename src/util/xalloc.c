/*
 * xalloc.c: the one place that decides what running out of memory
 * means.  Every allocator in rosterd ends up here, and the answer is
 * always the same: say so on stderr and abort(), so that the
 * supervisor restarts the worker.  Callers never see NULL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Reports an allocation of n bytes that could not be satisfied (or
 * whose size overflowed; n is then SIZE_MAX) and aborts.  The message
 * is built on the stack and leaves in one write(2): no stdio, no
 * malloc, as the heap may be what failed.  Never returns.
 */
void
xoom(size_t n)
{
	static const char	 pre[] = "rosterd: out of memory allocating ";
	static const char	 post[] = " bytes\n";
	char			 msg[sizeof(pre) + 20 + sizeof(post)];
	char			 num[20];	/* SIZE_MAX has 20 digits */
	size_t			 i = sizeof(num), len;

	do {
		num[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0 && i > 0);
	len = sizeof(pre) - 1;
	memcpy(msg, pre, len);
	memcpy(msg + len, num + i, sizeof(num) - i);
	len += sizeof(num) - i;
	memcpy(msg + len, post, sizeof(post) - 1);
	len += sizeof(post) - 1;
	/* Nothing sensible to do if stderr is gone: abort regardless. */
	if (write(STDERR_FILENO, msg, len) == -1)
		abort();
	abort();
}

/*
 * Returns n bytes of uninitialised heap memory, to be released with
 * free().  A request for 0 bytes returns a unique pointer.  Aborts on
 * failure.
 */
void *
xmalloc(size_t n)
{
	void	*p;

	/* malloc(0) may legitimately return NULL; don't mistake it. */
	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		xoom(n);
	return p;
}

/*
 * Returns zeroed heap memory for n objects of sz bytes, to be released
 * with free().  Aborts on failure or if n * sz overflows.
 */
void *
xcalloc(size_t n, size_t sz)
{
	size_t	 total;
	void	*p;

	if (__builtin_mul_overflow(n, sz, &total))
		xoom(SIZE_MAX);
	if (total == 0)
		n = sz = 1;
	if ((p = calloc(n, sz)) == NULL)
		xoom(total);
	return p;
}

/*
 * Resizes heap memory p (may be NULL) to n bytes, like realloc().  The
 * old pointer is invalid afterwards; the returned one is to be
 * released with free().  Unlike realloc(), n == 0 never frees: it
 * returns a unique minimal allocation.  Aborts on failure, in which
 * case p is untouched (and, the process being gone, moot).
 */
void *
xrealloc(void *p, size_t n)
{
	void	*np;

	if ((np = realloc(p, n == 0 ? 1 : n)) == NULL)
		xoom(n);
	return np;
}

/*
 * Returns a heap copy of the NUL-terminated string s, to be released
 * with free().  Aborts on failure.
 */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/*
 * Returns a heap copy of at most n bytes of s, stopping early at a NUL
 * (strndup(3) semantics), always NUL-terminated.  The result is to be
 * released with free().  Aborts on failure.
 */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	n = strnlen(s, n);
	if (n == SIZE_MAX)
		xoom(SIZE_MAX);
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
