/*
 * arena.c: the per-request region allocator.
 *
 * Memory comes from chunks of ARENA_CHUNK_SIZE bytes, or from a chunk
 * of its own for a request larger than ARENA_BIG.  Every allocation is
 * aligned to ARENA_ALIGN.  Nothing is freed individually: arena_reset()
 * runs the deferred cleanups, keeps the first chunk for the next
 * request and returns every other chunk to the heap, so a worker's
 * footprint between requests is one chunk, whatever the last request
 * did.
 *
 * Under AddressSanitizer the unused tail of each chunk, the padding
 * between allocations and everything released by a reset is poisoned,
 * so overruns and use after reset are reported like heap errors.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(ARENA_ASAN)
#define ARENA_ASAN 1
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define arena_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define arena_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define arena_poison(p, n) ((void)(p), (void)(n))
#define arena_unpoison(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_ALIGN	16	/* enough for any scalar and for SSE */
#define ARENA_CHUNK_SIZE 4096	/* bytes per ordinary chunk, with header */
#define ARENA_BIG	1024	/* larger requests get a chunk of their own */

_Static_assert((ARENA_ALIGN & (ARENA_ALIGN - 1)) == 0, "ARENA_ALIGN");

struct arena_chunk {
	struct arena_chunk	*next;	/* older chunk, or NULL */
	size_t			 size;	/* bytes usable in data[] */
	unsigned char		 data[];/* aligned at use, not here */
};

struct arena_defer {
	struct arena_defer	*next;	/* registered earlier */
	arena_cleanup_fn	 fn;
	void			*p;
};

struct arena {
	struct arena_chunk	*chunks;/* all chunks, newest first */
	struct arena_chunk	*first;	/* ordinary chunk kept by reset */
	struct arena_chunk	*cur;	/* ordinary chunk being carved */
	size_t			 off;	/* bytes of cur->data[] in use */
	struct arena_defer	*defers;/* cleanups, newest first */
	size_t			 budget;/* 0 for no budget */
	size_t			 used;	/* bytes handed out, saturating */
	int			 lifted;/* budget off until the next reset */
};

/*
 * Allocates a chunk able to hold an object of `need` bytes at
 * ARENA_ALIGN wherever malloc() puts it, and links it at the head of
 * the chunk list.  The whole usable area starts out poisoned.
 */
static struct arena_chunk *
arena_chunk_new(struct arena *a, size_t need)
{
	struct arena_chunk	*c;
	size_t			 size, total;

	/* Room to align the start of data[] to ARENA_ALIGN. */
	if (__builtin_add_overflow(need, ARENA_ALIGN - 1, &size) ||
	    __builtin_add_overflow(size, sizeof(*c), &total))
		xoom(SIZE_MAX);
	c = xmalloc(total);
	c->size = size;
	c->next = a->chunks;
	a->chunks = c;
	arena_poison(c->data, c->size);
	return c;
}

/* Returns the first ARENA_ALIGN-aligned offset >= off within c->data. */
static size_t
arena_chunk_align(const struct arena_chunk *c, size_t off)
{
	uintptr_t	 base = (uintptr_t)c->data;
	uintptr_t	 at = base + off;

	at = (at + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
	return (size_t)(at - base);
}

/* Starts a fresh ordinary chunk and makes it the one being carved. */
static void
arena_chunk_next(struct arena *a)
{
	a->cur = arena_chunk_new(a,
	    ARENA_CHUNK_SIZE - sizeof(struct arena_chunk) - (ARENA_ALIGN - 1));
	a->off = 0;
}

/*
 * Creates an arena.  budget is the number of bytes that may be handed
 * out before arena_exceeded() turns true, or 0 for no limit.  The
 * arena is released with arena_free().  Aborts when out of memory.
 */
struct arena *
arena_new(size_t budget)
{
	struct arena	*a;

	a = xcalloc(1, sizeof(*a));
	a->budget = budget;
	arena_chunk_next(a);
	a->first = a->cur;
	return a;
}

/*
 * Runs the deferred cleanups, newest first.  A cleanup may itself
 * allocate from the arena or defer another cleanup; that one runs too.
 */
static void
arena_run_defers(struct arena *a)
{
	struct arena_defer	*d;

	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->p);
	}
}

/*
 * Runs the cleanups and returns every chunk but the first to the heap,
 * then makes the whole arena available again with a zero budget count.
 * Every pointer obtained from the arena is invalid afterwards.
 */
void
arena_reset(struct arena *a)
{
	struct arena_chunk	*c, *next;

	arena_run_defers(a);
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		if (c == a->first)
			continue;
		arena_unpoison(c->data, c->size);
		free(c);
	}
	a->first->next = NULL;
	a->chunks = a->cur = a->first;
	a->off = 0;
	a->used = 0;
	a->lifted = 0;
	arena_poison(a->first->data, a->first->size);
}

/*
 * Runs the cleanups and releases the arena with all its memory.
 * Accepts NULL.
 */
void
arena_free(struct arena *a)
{
	struct arena_chunk	*c, *next;

	if (a == NULL)
		return;
	arena_run_defers(a);
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		arena_unpoison(c->data, c->size);
		free(c);
	}
	free(a);
}

/* Adds n to the bytes handed out, saturating rather than wrapping. */
static void
arena_count(struct arena *a, size_t n)
{
	if (__builtin_add_overflow(a->used, n, &a->used))
		a->used = SIZE_MAX;
}

/*
 * Carves n bytes from a chunk of its own.  The current chunk stays the
 * one being carved, so its free tail is not wasted.
 */
static void *
arena_alloc_big(struct arena *a, size_t n)
{
	struct arena_chunk	*c;
	size_t			 off;

	c = arena_chunk_new(a, n);
	off = arena_chunk_align(c, 0);
	arena_unpoison(c->data + off, n);
	return c->data + off;
}

/*
 * Returns n bytes of uninitialised memory aligned to 16 bytes, valid
 * until the next arena_reset() or arena_free().  n == 0 returns a
 * unique pointer.  Counts against the budget; never returns NULL
 * (aborts when out of memory, or when n is absurd).
 */
void *
arena_alloc(struct arena *a, size_t n)
{
	size_t	 need, off, end;
	void	*p;

	if (n == 0)
		n = 1;
	/* Whole alignment units, so the count matches what is used. */
	if (__builtin_add_overflow(n, ARENA_ALIGN - 1, &need))
		xoom(SIZE_MAX);
	need &= ~(size_t)(ARENA_ALIGN - 1);
	arena_count(a, need);
	if (need > ARENA_BIG)
		return arena_alloc_big(a, n);
	off = arena_chunk_align(a->cur, a->off);
	if (off > a->cur->size || a->cur->size - off < n) {
		arena_chunk_next(a);
		off = arena_chunk_align(a->cur, 0);
	}
	p = a->cur->data + off;
	/* The next allocation starts at or after the aligned end. */
	end = off + need;
	a->off = end > a->cur->size ? a->cur->size : end;
	/* Only the n bytes asked for: padding stays poisoned. */
	arena_unpoison(p, n);
	return p;
}

/*
 * Like arena_alloc(), but the memory is zeroed.
 */
void *
arena_zalloc(struct arena *a, size_t n)
{
	void	*p;

	p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

/*
 * Returns uninitialised memory for an array of n objects of sz bytes,
 * like arena_alloc().  Aborts if n * sz overflows, which no valid
 * request can cause: callers cap counts before allocating.
 */
void *
arena_allocarray(struct arena *a, size_t n, size_t sz)
{
	size_t	 total;

	if (__builtin_mul_overflow(n, sz, &total))
		xoom(SIZE_MAX);
	return arena_alloc(a, total);
}

/*
 * Returns an arena copy of at most n bytes of s, stopping early at a
 * NUL (strndup(3) semantics), always NUL-terminated.  Callers that
 * must keep embedded NULs copy with arena_alloc() and memcpy().
 */
char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	n = strnlen(s, n);
	if (n == SIZE_MAX)
		xoom(SIZE_MAX);
	p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*
 * Returns an arena copy of the NUL-terminated string s.
 */
char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

/*
 * Returns a NUL-terminated string formatted as by printf(3), in arena
 * memory.  If the C library refuses the format (an encoding error, or
 * a result beyond INT_MAX bytes) the result is the empty string, not
 * NULL.
 */
char *
arena_sprintf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	int	 len;
	char	*p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return arena_zalloc(a, 1);
	p = arena_alloc(a, (size_t)len + 1);
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

/*
 * The concatenation of the strings given, up to a NULL, in the arena; a
 * cheaper arena_sprintf("%s%s...") for paths and URLs made per row.
 */
char *
arena_strcat(struct arena *a, const char *s, ...)
{
	va_list		 ap;
	const char	*t;
	size_t		 len = 0, n;
	char		*p, *q;

	va_start(ap, s);
	for (t = s; t != NULL; t = va_arg(ap, const char *))
		len += strlen(t);
	va_end(ap);
	p = q = arena_alloc(a, len + 1);
	va_start(ap, s);
	for (t = s; t != NULL; t = va_arg(ap, const char *)) {
		n = strlen(t);
		memcpy(q, t, n);
		q += n;
	}
	va_end(ap);
	*q = '\0';
	return p;
}

/*
 * Registers fn(p) to run at the next arena_reset() or arena_free(),
 * after every cleanup registered later and before any memory is
 * released (so p may point into the arena).  Register right where the
 * foreign object is created, so that no error path can miss it.
 */
void
arena_defer(struct arena *a, arena_cleanup_fn fn, void *p)
{
	struct arena_defer	*d;

	d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}

/*
 * Returns 1 once more bytes than the budget have been handed out since
 * creation or the last reset, else 0.  Always 0 for an arena without
 * a budget, and once the budget is lifted.
 */
int
arena_exceeded(const struct arena *a)
{
	return a->budget != 0 && !a->lifted && a->used > a->budget;
}

/*
 * lift 1: the budget no longer applies until the next reset or
 * arena_lift_budget(a, 0): arena_exceeded() is 0 and arena-backed bufs
 * grow past it.  Allocations are counted all the same (arena_used()).
 */
void
arena_lift_budget(struct arena *a, int lift)
{
	a->lifted = lift != 0;
}

/*
 * Returns the bytes handed out since creation or the last reset,
 * counting each allocation rounded up to the 16-byte alignment unit.
 */
size_t
arena_used(const struct arena *a)
{
	return a->used;
}
