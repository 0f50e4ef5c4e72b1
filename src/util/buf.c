/*
 * buf.c: growable, length-carrying, always NUL-terminated byte strings.
 *
 * A buf draws memory from its arena when it has one (the old block is
 * simply abandoned on growth; the arena reclaims it at reset) and from
 * the heap otherwise.  Failures are sticky: once a size overflows, or
 * an arena-backed buf grows past its arena's budget, `failed` is set,
 * the contents stay as they were before the failing put, and every
 * later put does nothing.  Encoders therefore check `failed` once, at
 * the end.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define BUF_MIN_CAP	64	/* first allocation, in bytes */

/*
 * What p points at before the first allocation, so that p is a valid
 * empty string from buf_init() on without allocating.  cap == 0 marks
 * it as not ours: it is never written to or freed.
 */
static const char buf_empty[1] = "";

/* Sets the sticky flag, mending the NUL a failed vsnprintf() ate. */
static void
buf_fail(struct buf *b)
{
	b->failed = 1;
	if (b->cap != 0)
		b->p[b->len] = '\0';
}

/*
 * Moves the contents to a block of ncap bytes.  Returns 0, or -1 when
 * the arena's budget was already spent (nothing is allocated then) or
 * is spent by this block.
 */
static int
buf_realloc(struct buf *b, size_t ncap)
{
	char	*np;

	if (b->a == NULL) {
		b->p = xrealloc(b->cap != 0 ? b->p : NULL, ncap);
		b->cap = ncap;
		return 0;
	}
	if (arena_exceeded(b->a))
		return -1;
	np = arena_alloc(b->a, ncap);
	memcpy(np, b->p, b->len);
	np[b->len] = '\0';
	b->p = np;
	b->cap = ncap;
	return arena_exceeded(b->a) ? -1 : 0;
}

/*
 * Makes room for n more bytes plus the NUL.  Returns 0, or -1 with
 * `failed` set (sizes beyond PTRDIFF_MAX count as overflow: no object
 * can be that large).
 */
static int
buf_grow(struct buf *b, size_t n)
{
	size_t	 need, ncap;

	if (b->failed)
		return -1;
	if (__builtin_add_overflow(b->len, n, &need) ||
	    __builtin_add_overflow(need, 1, &need) || need > PTRDIFF_MAX) {
		buf_fail(b);
		return -1;
	}
	if (need <= b->cap)
		return 0;
	/* Double, so that n appends cost O(n) copying in all. */
	if (__builtin_mul_overflow(b->cap, 2, &ncap) || ncap > PTRDIFF_MAX ||
	    ncap < need)
		ncap = need;
	if (ncap < BUF_MIN_CAP)
		ncap = BUF_MIN_CAP;
	if (buf_realloc(b, ncap) == -1) {
		buf_fail(b);
		return -1;
	}
	return 0;
}

/*
 * Initialises b as an empty string.  Memory will come from a, or from
 * the heap when a is NULL (then release it with buf_release()).  Does
 * not allocate.
 */
void
buf_init(struct buf *b, struct arena *a)
{
	/* Never written through while cap == 0; see buf_empty. */
	b->p = (char *)(uintptr_t)buf_empty;
	b->len = 0;
	b->cap = 0;
	b->a = a;
	b->failed = 0;
}

/*
 * Frees heap memory (arena memory stays with the arena) and leaves b
 * empty, with the same arena, ready for reuse.  b->p is invalid
 * afterwards.
 */
void
buf_release(struct buf *b)
{
	if (b->a == NULL && b->cap != 0)
		free(b->p);
	buf_init(b, b->a);
}

/*
 * Empties b, keeping its memory, and clears the `failed` flag.
 */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->cap != 0)
		b->p[0] = '\0';
}

/* Makes room for n more bytes at once (appends of a known size). */
void
buf_reserve(struct buf *b, size_t n)
{
	if (!b->failed && n >= b->cap - b->len)
		(void)buf_grow(b, n);
}

/* buf_put when the room is not there yet (see util.h). */
void
buf_put_grow(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || buf_grow(b, n) == -1)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * Appends v in decimal, at least width digits (zero-padded): what
 * "%0*lld" writes, without the formatter.
 */
void
buf_put_int(struct buf *b, long long v, int width)
{
	char d[24];
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
	    (unsigned long long)v;
	size_t i = sizeof(d);
	int w = width > 22 ? 22 : width - (v < 0);	/* the sign counts */

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 || (int)(sizeof(d) - i) < w);
	if (v < 0)
		d[--i] = '-';
	buf_put(b, d + i, sizeof(d) - i);
}

/*
 * Appends text formatted as by vprintf(3).  Sets `failed` if the C
 * library refuses the format (an encoding error, or more than INT_MAX
 * bytes).  ap is consumed, as with vprintf(3).
 */
void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 cp;
	size_t	 room;
	int	 len;

	if (b->failed)
		return;
	/* Try in place first: most formats fit in the slack. */
	room = b->cap - b->len;
	va_copy(cp, ap);
	len = vsnprintf(room != 0 ? b->p + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (len < 0) {
		buf_fail(b);
		return;
	}
	if ((size_t)len >= room) {
		if (buf_grow(b, (size_t)len) == -1) {
			buf_fail(b);
			return;
		}
		(void)vsnprintf(b->p + b->len, (size_t)len + 1, fmt, ap);
	}
	b->len += (size_t)len;
}

/*
 * Appends text formatted as by printf(3); see buf_vprintf().
 */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/*
 * Appends s[0..n) as the inside of a JSON string, without quotes.
 * This one function decides what needs escaping and writes it: '"',
 * '\\', every control character (short forms where JSON has them,
 * else \u00XX) and DEL; each ill-formed UTF-8 subpart becomes \ufffd.
 * Well-formed UTF-8 is copied unchanged, so the output is valid JSON
 * and valid UTF-8 whatever the input.
 */
void
buf_put_json_escaped(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	static const char	 short_esc[0x80] = {
		['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
		['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	};
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, run = 0, len, bad;
	char			 esc[6] = { '\\', 'u', '0', '0' };

	if (n == 0)
		return;		/* s may be NULL then */
	while (i < n) {
		if (u[i] >= 0x20 && u[i] < 0x7f && short_esc[u[i]] == 0) {
			i++;
			continue;
		}
		bad = 1;
		if (u[i] >= 0x80 && (len = utf8_seq_len(u + i, n - i, &bad))) {
			i += len;
			continue;
		}
		buf_put(b, s + run, i - run);
		if (u[i] >= 0x80)
			buf_put(b, "\\ufffd", 6);
		else if (short_esc[u[i]] != 0) {
			esc[1] = short_esc[u[i]];
			buf_put(b, esc, 2);
		} else {
			esc[1] = 'u';
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 0xf];
			buf_put(b, esc, sizeof(esc));
		}
		i += bad;
		run = i;
	}
	buf_put(b, s + run, i - run);
}
