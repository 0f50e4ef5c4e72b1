/*
 * check_util.c: unit tests for src/util (arena, buf, uuid, time,
 * ct_memcmp, log, xalloc).
 *
 * Tests that must abort or crash the process (OOM policy, ASan
 * poisoning) are only registered when check forks, so that
 * CK_FORK=no (gdb, valgrind) runs everything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <signal.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "../../src/util/util.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TEST_ASAN)
#define TEST_ASAN 1
#endif

/* Sends stderr to /dev/null, for tests whose process is meant to die. */
static void
quiet_stderr(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		(void)dup2(fd, STDERR_FILENO);
		(void)close(fd);
	}
}

/*
 * Arena.
 */

START_TEST(test_arena_many)
{
	struct arena	*a = arena_new(0);
	unsigned char	*p[5000];
	size_t		 sz[5000], i, j, misaligned = 0, clobbered = 0;

	/*
	 * Mixed sizes span many chunks, including dedicated big ones.
	 * (Counted, then asserted once: check's asserts are slow.)
	 */
	for (i = 0; i < RS_ARRAY_LEN(p); i++) {
		sz[i] = 1 + (i * 37) % 1500;
		p[i] = arena_alloc(a, sz[i]);
		misaligned += (uintptr_t)p[i] % 16 != 0;
		memset(p[i], (int)(i & 0xff), sz[i]);
	}
	/* No two allocations overlap: every pattern survived. */
	for (i = 0; i < RS_ARRAY_LEN(p); i++)
		for (j = 0; j < sz[i]; j++)
			clobbered += p[i][j] != (i & 0xff);
	ck_assert_uint_eq(misaligned, 0);
	ck_assert_uint_eq(clobbered, 0);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_alignment)
{
	struct arena	*a = arena_new(0);
	size_t		 n, bad = 0;
	void		*p;

	for (n = 0; n <= 2100; n++) {
		p = arena_alloc(a, n);
		bad += p == NULL || (uintptr_t)p % 16 != 0;
	}
	ck_assert_uint_eq(bad, 0);
	p = arena_allocarray(a, 3, sizeof(long double));
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_zero_size_unique)
{
	struct arena	*a = arena_new(0);
	void		*p, *q;

	p = arena_alloc(a, 0);
	q = arena_alloc(a, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_ne(p, q);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_large)
{
	struct arena	*a = arena_new(0);
	unsigned char	*small1, *big, *small2;
	size_t		 i, n = 3 * 1024 * 1024 + 7;

	small1 = arena_alloc(a, 10);
	big = arena_alloc(a, n);
	ck_assert_uint_eq((uintptr_t)big % 16, 0);
	memset(big, 0xa5, n);
	small2 = arena_alloc(a, 10);
	/* The big block has its own chunk; the small ones share one. */
	ck_assert_uint_eq((size_t)(small2 - small1), 16);
	for (i = 0; i < n; i += 4093)
		ck_assert_uint_eq(big[i], 0xa5);
	ck_assert_uint_eq(big[n - 1], 0xa5);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_zalloc)
{
	struct arena	*a = arena_new(0);
	unsigned char	*p, *q;
	size_t		 i, nonzero = 0;

	p = arena_alloc(a, 200);
	memset(p, 0xff, 200);
	arena_reset(a);
	/* Same memory again (see reset test), so zeroing is observable. */
	q = arena_zalloc(a, 200);
	ck_assert_ptr_eq(p, q);
	for (i = 0; i < 200; i++)
		nonzero += q[i] != 0;
	q = arena_zalloc(a, 5000);
	for (i = 0; i < 5000; i++)
		nonzero += q[i] != 0;
	ck_assert_uint_eq(nonzero, 0);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_strings)
{
	struct arena	*a = arena_new(0);
	const char	 emb[] = "ab\0cd";
	char		*s, big[6000];

	s = arena_strdup(a, "hello");
	ck_assert_str_eq(s, "hello");
	s = arena_strdup(a, "");
	ck_assert_str_eq(s, "");
	s = arena_strndup(a, "hello", 3);
	ck_assert_str_eq(s, "hel");
	s = arena_strndup(a, "hi", 10);
	ck_assert_str_eq(s, "hi");
	/* strndup(3) semantics: stops at an embedded NUL. */
	s = arena_strndup(a, emb, sizeof(emb) - 1);
	ck_assert_str_eq(s, "ab");
	s = arena_sprintf(a, "%s=%d/%05.1f", "x", -42, 3.14159);
	ck_assert_str_eq(s, "x=-42/003.1");
	s = arena_sprintf(a, "%s", "");
	ck_assert_str_eq(s, "");
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_sprintf(a, "<%s>", big);
	ck_assert_uint_eq(strlen(s), sizeof(big) + 1);
	ck_assert_int_eq(s[0], '<');
	ck_assert_int_eq(s[sizeof(big)], '>');
	ck_assert_int_eq(s[sizeof(big) / 2], 'q');
	/* arena_strcat: the strings up to the NULL, joined */
	s = arena_strcat(a, "https://", "h.example", "/scim/v2", (char *)NULL);
	ck_assert_str_eq(s, "https://h.example/scim/v2");
	s = arena_strcat(a, "", "x", "", (char *)NULL);
	ck_assert_str_eq(s, "x");
	s = arena_strcat(a, "", (char *)NULL);
	ck_assert_str_eq(s, "");
	s = arena_strcat(a, "<", big, ">", (char *)NULL);
	ck_assert_str_eq(s, arena_sprintf(a, "<%s>", big));
	arena_free(a);
}
END_TEST

static int	 defer_log[8];
static size_t	 defer_n;

static void
defer_record(void *p)
{
	if (defer_n < RS_ARRAY_LEN(defer_log))
		defer_log[defer_n++] = *(int *)p;
}

/* A cleanup that registers another one while the arena is resetting. */
static void
defer_chain(void *p)
{
	struct arena	*a = p;
	int		*v;

	defer_record(&(int){ 9 });
	v = arena_alloc(a, sizeof(*v));
	*v = 10;
	arena_defer(a, defer_record, v);
}

START_TEST(test_arena_defer_order)
{
	struct arena	*a = arena_new(0);
	int		*v;
	int		 i;

	defer_n = 0;
	for (i = 1; i <= 3; i++) {
		/* The value lives in the arena: cleanups run before release. */
		v = arena_alloc(a, sizeof(*v));
		*v = i;
		arena_defer(a, defer_record, v);
	}
	ck_assert_uint_eq(defer_n, 0);
	arena_reset(a);
	ck_assert_uint_eq(defer_n, 3);
	ck_assert_int_eq(defer_log[0], 3);
	ck_assert_int_eq(defer_log[1], 2);
	ck_assert_int_eq(defer_log[2], 1);

	/* Ran once only; arena_free() runs what was registered since. */
	defer_n = 0;
	arena_reset(a);
	ck_assert_uint_eq(defer_n, 0);
	v = arena_alloc(a, sizeof(*v));
	*v = 7;
	arena_defer(a, defer_record, v);
	arena_defer(a, defer_chain, a);
	arena_free(a);
	ck_assert_uint_eq(defer_n, 3);
	ck_assert_int_eq(defer_log[0], 9);
	ck_assert_int_eq(defer_log[1], 10);
	ck_assert_int_eq(defer_log[2], 7);
}
END_TEST

START_TEST(test_arena_reset_reuses)
{
	struct arena	*a = arena_new(0);
	void		*first, *p;
	int		 round, i;

	first = arena_alloc(a, 100);
	for (round = 0; round < 50; round++) {
		/* Grow well past the first chunk, then start over. */
		for (i = 0; i < 200; i++)
			memset(arena_alloc(a, 100 + (size_t)i), 1, 100);
		(void)arena_alloc(a, 100000);
		ck_assert_uint_gt(arena_used(a), 20000);
		arena_reset(a);
		ck_assert_uint_eq(arena_used(a), 0);
		p = arena_alloc(a, 100);
		/* The first chunk is kept and carved from the start. */
		ck_assert_ptr_eq(p, first);
	}
	arena_free(a);
}
END_TEST

START_TEST(test_arena_used)
{
	struct arena	*a = arena_new(0);

	ck_assert_uint_eq(arena_used(a), 0);
	(void)arena_alloc(a, 1);
	ck_assert_uint_eq(arena_used(a), 16);
	(void)arena_alloc(a, 17);
	ck_assert_uint_eq(arena_used(a), 48);
	(void)arena_alloc(a, 100000);
	ck_assert_uint_eq(arena_used(a), 48 + 100000);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_budget)
{
	struct arena	*a = arena_new(1000);
	char		*p;

	ck_assert_int_eq(arena_exceeded(a), 0);
	(void)arena_alloc(a, 992);
	ck_assert_int_eq(arena_exceeded(a), 0);
	/* 8 bytes count as a whole 16-byte unit: 1008 > 1000. */
	(void)arena_alloc(a, 8);
	ck_assert_int_eq(arena_exceeded(a), 1);
	arena_free(a);

	a = arena_new(1024);
	(void)arena_alloc(a, 1024);
	ck_assert_int_eq(arena_exceeded(a), 0);	/* at the budget is fine */
	/* Past it: the flag turns, the allocation still works. */
	p = arena_alloc(a, 5000);
	ck_assert_int_eq(arena_exceeded(a), 1);
	memset(p, 'x', 5000);
	ck_assert_int_eq(p[4999], 'x');
	arena_reset(a);
	ck_assert_int_eq(arena_exceeded(a), 0);
	arena_free(a);

	/* 0 means no budget. */
	a = arena_new(0);
	(void)arena_alloc(a, 1 << 20);
	ck_assert_int_eq(arena_exceeded(a), 0);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_normal_sizes_pass_guard)
{
	struct arena	*a = arena_new(0);
	unsigned char	*p;

	/* Big but legitimate sizes must not be taken for overflow. */
	p = arena_allocarray(a, 1 << 20, 16);
	p[(16 << 20) - 1] = 1;
	p = arena_allocarray(a, 0, SIZE_MAX);
	ck_assert_ptr_nonnull(p);
	p = arena_allocarray(a, SIZE_MAX, 0);
	ck_assert_ptr_nonnull(p);
	p = arena_alloc(a, 64u << 20);
	p[(64u << 20) - 1] = 1;
	arena_free(a);
}
END_TEST

/* Expected to die with SIGABRT through xoom(). */
START_TEST(test_arena_allocarray_overflow_aborts)
{
	struct arena	*a = arena_new(0);

	quiet_stderr();
	(void)arena_allocarray(a, SIZE_MAX / 2 + 2, 2);
	arena_free(a);
}
END_TEST

START_TEST(test_arena_alloc_overflow_aborts)
{
	struct arena	*a = arena_new(0);

	quiet_stderr();
	/* n + alignment wraps: must abort, not hand out a tiny block. */
	(void)arena_alloc(a, SIZE_MAX - 3);
	arena_free(a);
}
END_TEST

#ifdef TEST_ASAN
/* Each of these is expected to be stopped by ASan (exit status 1). */
START_TEST(test_arena_asan_padding)
{
	struct arena		*a = arena_new(0);
	volatile char		*p;

	quiet_stderr();
	p = arena_alloc(a, 5);
	(void)arena_alloc(a, 5);
	p[5] = 'x';		/* inside the alignment padding */
	arena_free(a);
}
END_TEST

START_TEST(test_arena_asan_after_reset)
{
	struct arena		*a = arena_new(0);
	volatile char		*p;

	quiet_stderr();
	p = arena_alloc(a, 64);
	arena_reset(a);
	p[0] = 'x';		/* use after reset */
	arena_free(a);
}
END_TEST

START_TEST(test_arena_asan_big_overrun)
{
	struct arena		*a = arena_new(0);
	volatile char		*p;

	quiet_stderr();
	p = arena_alloc(a, 10000);
	p[10000] = 'x';
	arena_free(a);
}
END_TEST
#endif

/*
 * xalloc.
 */

START_TEST(test_xalloc_basic)
{
	char	*s;
	int	*v;
	size_t	 i;

	s = xmalloc(0);
	ck_assert_ptr_nonnull(s);
	free(s);
	v = xcalloc(100, sizeof(*v));
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(v[i], 0);
	v = xrealloc(v, 1000 * sizeof(*v));
	v[999] = 5;
	ck_assert_int_eq(v[0], 0);
	free(v);
	s = xstrdup("rosterd");
	ck_assert_str_eq(s, "rosterd");
	free(s);
	s = xstrndup("rosterd", 6);
	ck_assert_str_eq(s, "roster");
	free(s);
	s = xstrndup("ab\0cd", 5);
	ck_assert_str_eq(s, "ab");
	free(s);
}
END_TEST

START_TEST(test_xcalloc_overflow_aborts)
{
	void	*p;

	quiet_stderr();
	p = xcalloc(SIZE_MAX / 4, 8);
	free(p);
}
END_TEST

/*
 * Buf.
 */

START_TEST(test_buf_empty_is_string)
{
	struct buf	 b;
	struct arena	*a = arena_new(0);

	buf_init(&b, NULL);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq(b.p, "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(b.failed, 0);
	buf_put(&b, NULL, 0);
	buf_put_json_escaped(&b, NULL, 0);
	ck_assert_str_eq(b.p, "");
	buf_release(&b);
	buf_init(&b, a);
	ck_assert_str_eq(b.p, "");
	ck_assert_ptr_eq(b.a, a);
	arena_free(a);
}
END_TEST

/* Appends byte by byte across many growths, checking as it goes. */
static void
buf_growth_check(struct arena *a)
{
	struct buf	 b;
	size_t		 i, bad = 0;

	buf_init(&b, a);
	for (i = 0; i < 100000; i++) {
		buf_putc(&b, (char)('a' + i % 26));
		bad += b.len != i + 1 || b.cap <= b.len || b.p[b.len] != '\0';
	}
	for (i = 0; i < b.len; i++)
		bad += b.p[i] != 'a' + (int)(i % 26);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(strlen(b.p), 100000);
	ck_assert_int_eq(b.failed, 0);
	buf_release(&b);
}

START_TEST(test_buf_growth_heap)
{
	buf_growth_check(NULL);
}
END_TEST

START_TEST(test_buf_growth_arena)
{
	struct arena	*a = arena_new(0);

	buf_growth_check(a);
	ck_assert_uint_gt(arena_used(a), 100000);
	arena_free(a);
}
END_TEST

START_TEST(test_buf_embedded_nul)
{
	struct buf	 b;

	buf_init(&b, NULL);
	buf_put(&b, "ab\0cd", 5);
	buf_putc(&b, '\0');
	buf_puts(&b, "ef");
	ck_assert_uint_eq(b.len, 8);
	ck_assert_mem_eq(b.p, "ab\0cd\0ef", 9);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	buf_puts(&b, "x");
	ck_assert_str_eq(b.p, "x");
	buf_release(&b);
	/* Usable again after release. */
	buf_puts(&b, "again");
	ck_assert_str_eq(b.p, "again");
	buf_release(&b);
}
END_TEST

static void
buf_printf_check(struct arena *a)
{
	struct buf	 b;
	char		 big[5001];

	buf_init(&b, a);
	buf_printf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(b.p, "42-x");
	ck_assert_uint_eq(b.len, 4);
	buf_printf(&b, "%s", "");
	ck_assert_uint_eq(b.len, 4);
	/* Longer than any slack: takes the grow-and-retry path. */
	buf_printf(&b, "[%4998d]", 7);
	ck_assert_uint_eq(b.len, 4 + 5000);
	ck_assert_int_eq(b.p[4], '[');
	ck_assert_int_eq(b.p[5], ' ');
	ck_assert_int_eq(b.p[b.len - 2], '7');
	ck_assert_int_eq(b.p[b.len - 1], ']');
	ck_assert_int_eq(b.p[b.len], '\0');
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_reset(&b);
	buf_printf(&b, "%s|%s", big, big);
	ck_assert_uint_eq(b.len, 10001);
	ck_assert_int_eq(b.p[5000], '|');
	ck_assert_int_eq(b.failed, 0);
	buf_release(&b);
}

START_TEST(test_buf_printf_heap)
{
	buf_printf_check(NULL);
}
END_TEST

START_TEST(test_buf_printf_arena)
{
	struct arena	*a = arena_new(0);

	buf_printf_check(a);
	arena_free(a);
}
END_TEST

/* buf_put_int writes what "%0*lld" does, the extremes included. */
START_TEST(test_buf_put_int)
{
	static const struct { long long v; int w; } cases[] = {
		{ 0, 0 }, { 0, 3 }, { 7, 3 }, { 42, 1 }, { 999, 3 },
		{ 1000, 3 }, { -5, 0 }, { -5, 3 }, { 1234567, 2 },
		{ LLONG_MAX, 0 }, { LLONG_MIN, 0 }, { LLONG_MIN, 22 }, { -1, 22 },
	};
	char want[64];
	struct buf b;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(cases); i++) {
		buf_init(&b, NULL);
		buf_puts(&b, "x");
		buf_put_int(&b, cases[i].v, cases[i].w);
		(void)snprintf(want, sizeof(want), "x%0*lld", cases[i].w,
		    cases[i].v);
		ck_assert_str_eq(b.p, want);
		buf_release(&b);
	}
}
END_TEST

START_TEST(test_buf_overflow_sticky)
{
	struct buf	 b;
	/* not constants: buf_put's inline copy is never reached with them */
	volatile size_t	 wraps = SIZE_MAX, huge = (size_t)PTRDIFF_MAX;

	buf_init(&b, NULL);
	buf_puts(&b, "keep");
	/* Sizes that wrap, and one no object can have: never read. */
	buf_put(&b, "x", wraps);
	ck_assert_int_eq(b.failed, 1);
	ck_assert_str_eq(b.p, "keep");
	ck_assert_uint_eq(b.len, 4);
	buf_puts(&b, "more");
	buf_putc(&b, 'c');
	buf_printf(&b, "%d", 1);
	buf_put_json_escaped(&b, "j", 1);
	ck_assert_str_eq(b.p, "keep");
	ck_assert_int_eq(b.failed, 1);
	buf_reset(&b);
	ck_assert_int_eq(b.failed, 0);
	buf_put(&b, "x", huge);
	ck_assert_int_eq(b.failed, 1);
	ck_assert_str_eq(b.p, "");
	buf_release(&b);
}
END_TEST

START_TEST(test_buf_budget_sticky)
{
	struct arena	*a = arena_new(1024);
	struct buf	 b;
	size_t		 i, len;

	buf_init(&b, a);
	for (i = 0; i < 10000 && !b.failed; i++)
		buf_puts(&b, "0123456789");
	ck_assert_int_eq(b.failed, 1);
	ck_assert_int_eq(arena_exceeded(a), 1);
	ck_assert_uint_lt(b.len, 1024);
	/* Still a valid string holding whole puts only. */
	ck_assert_uint_eq(strlen(b.p), b.len);
	ck_assert_uint_eq(b.len % 10, 0);
	len = b.len;
	buf_puts(&b, "more");
	ck_assert_uint_eq(b.len, len);
	arena_free(a);
}
END_TEST

struct json_vec {
	const char	*in;
	size_t		 inlen;
	const char	*out;
};
#define JV(i, o) { (i), sizeof(i) - 1, (o) }

static const struct json_vec json_vecs[] = {
	JV("", ""),
	JV("plain text 123", "plain text 123"),
	JV("/slash/", "/slash/"),
	JV("say \"hi\"", "say \\\"hi\\\""),
	JV("back\\slash", "back\\\\slash"),
	JV("\n\r\t\b\f", "\\n\\r\\t\\b\\f"),
	JV("\x01\x1f", "\\u0001\\u001f"),
	JV("\x0b\x1b", "\\u000b\\u001b"),
	/* embedded NUL */
	JV("a\0b", "a\\u0000b"),
	JV("\0", "\\u0000"),
	JV("del\x7f", "del\\u007f"),
	/* well-formed UTF-8 passes unchanged */
	JV("caf\xc3\xa9", "caf\xc3\xa9"),
	JV("\xe2\x82\xac 5", "\xe2\x82\xac 5"),
	JV("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),
	JV("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),		/* U+10FFFF */
	JV("\xed\x9f\xbf", "\xed\x9f\xbf"),			/* U+D7FF */
	JV("\xee\x80\x80", "\xee\x80\x80"),			/* U+E000 */
	JV("\xe2\x80\xa8", "\xe2\x80\xa8"),			/* U+2028 */
	/* bad UTF-8: one \ufffd per maximal ill-formed subpart */
	JV("\x80", "\\ufffd"),
	JV("\xbf\x80", "\\ufffd\\ufffd"),
	JV("\xff", "\\ufffd"),
	JV("\xfe\xff", "\\ufffd\\ufffd"),
	JV("\xc0\xaf", "\\ufffd\\ufffd"),			/* overlong */
	JV("\xc1\xbf", "\\ufffd\\ufffd"),
	JV("\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd"),		/* overlong */
	JV("\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd"),
	JV("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"),		/* surrogate */
	JV("\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd"),
	JV("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"),	/* > 10FFFF */
	JV("\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"),
	JV("\xe2\x82", "\\ufffd"),				/* truncated */
	JV("\xe2\x82x", "\\ufffdx"),
	JV("\xf0\x9f\x98" "A", "\\ufffdA"),
	JV("ok\xc3", "ok\\ufffd"),
	JV("\xc3\xa9\xc3", "\xc3\xa9\\ufffd"),
	JV("\xc3\"", "\\ufffd\\\""),
	JV("\xc3\n", "\\ufffd\\n"),
	JV("\xe2\x28\xa1", "\\ufffd(\\ufffd"),
	JV("a\xf0\x9f\x98\x80\x80z", "a\xf0\x9f\x98\x80\\ufffdz"),
	/* a log-injection attempt stays on one line, inside the string */
	JV("x\"}\n{\"level\":\"error", "x\\\"}\\n{\\\"level\\\":\\\"error"),
};

START_TEST(test_buf_json_vectors)
{
	const struct json_vec	*v = &json_vecs[_i];
	struct arena		*a = arena_new(0);
	struct buf		 h, b;

	buf_init(&h, NULL);
	buf_init(&b, a);
	buf_puts(&h, "<");
	buf_puts(&b, "<");
	buf_put_json_escaped(&h, v->in, v->inlen);
	buf_put_json_escaped(&b, v->in, v->inlen);
	buf_puts(&h, ">");
	buf_puts(&b, ">");
	ck_assert_int_eq(h.failed, 0);
	ck_assert_uint_eq(h.len, strlen(v->out) + 2);
	ck_assert_uint_eq(strlen(h.p), h.len);
	ck_assert_msg(strncmp(h.p + 1, v->out, h.len - 2) == 0,
	    "vector %d: got \"%s\", want <%s>", _i, h.p, v->out);
	ck_assert_str_eq(h.p, b.p);
	buf_release(&h);
	arena_free(a);
}
END_TEST

/*
 * Returns 1 if s[0..n) may sit between the quotes of a JSON string:
 * valid UTF-8 (by iconv, a decoder independent of ours), no raw
 * control characters or DEL, no bare '"', only well-formed escapes.
 * Else returns 0 with *at set to the offending offset.
 */
static int
json_inside_ok(const char *s, size_t n, size_t *at)
{
	iconv_t		 cd;
	char		 out[8192], *in = (char *)(uintptr_t)s, *o = out;
	size_t		 inleft = n, outleft = sizeof(out), rc;

	for (*at = 0; *at < n; (*at)++) {
		if ((unsigned char)s[*at] < 0x20 || s[*at] == 0x7f ||
		    s[*at] == '"')
			return 0;
		if (s[*at] != '\\')
			continue;
		if (++*at == n || strchr("\"\\bfnrtu", s[*at]) == NULL ||
		    s[*at] == '\0')
			return 0;
		if (s[*at] != 'u')
			continue;
		if (n - *at <= 4 || strspn(s + *at + 1, "0123456789abcdef") < 4)
			return 0;
		*at += 4;
	}
	if ((cd = iconv_open("UTF-8", "UTF-8")) == (iconv_t)-1)
		return 0;
	rc = iconv(cd, &in, &inleft, &o, &outleft);
	(void)iconv_close(cd);
	*at = n - inleft;
	return rc != (size_t)-1 && inleft == 0;
}

START_TEST(test_buf_json_checker)
{
	static const char *const bad[] = {
		"\"", "a\x01", "\x7f", "\\", "\\x", "\\u12", "\\u12g4",
		"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf",
	};
	static const char	 good[] = "a\\\"\\u00e9\xc3\xa9\\n";
	size_t			 i, at;

	/* The random test below relies on this checker: test it too. */
	ck_assert(json_inside_ok(good, sizeof(good) - 1, &at));
	for (i = 0; i < RS_ARRAY_LEN(bad); i++)
		ck_assert_msg(!json_inside_ok(bad[i], strlen(bad[i]), &at),
		    "checker accepted bad[%zu]", i);
}
END_TEST

START_TEST(test_buf_json_random)
{
	struct buf	 b;
	unsigned char	 in[256];
	unsigned int	 seed = 12345;
	size_t		 i, round, n, at = 0;

	buf_init(&b, NULL);
	for (round = 0; round < 2000; round++) {
		n = (size_t)rand_r(&seed) % sizeof(in);
		for (i = 0; i < n; i++) {
			/* Bias towards bytes that start or continue UTF-8. */
			in[i] = (unsigned char)rand_r(&seed);
			if (rand_r(&seed) % 3 == 0)
				in[i] |= 0x80;
		}
		buf_reset(&b);
		buf_put_json_escaped(&b, (const char *)in, n);
		if (!json_inside_ok(b.p, b.len, &at))
			break;
	}
	ck_assert_msg(round == 2000, "round %zu: bad output at %zu: %s",
	    round, at, b.p);
	buf_release(&b);
}
END_TEST

/*
 * Uuid.
 */

static const char *const uuid_valids[] = {
	"123e4567-e89b-12d3-a456-426614174000",
	"123E4567-E89B-12D3-A456-426614174000",
	"123e4567-E89B-12d3-A456-426614174000",
	"{123e4567-e89b-12d3-a456-426614174000}",
	"{123E4567-E89B-12D3-A456-426614174000}",
	"00000000-0000-0000-0000-000000000000",
	"ffffffff-ffff-ffff-ffff-ffffffffffff",
	"6ba7b810-9dad-11d1-80b4-00c04fd430c8",	/* v1: versions not checked */
};

static const char *const uuid_invalids[] = {
	"",
	"123e4567e89b12d3a456426614174000",
	"123e4567-e89b-12d3-a456-42661417400",
	"123e4567-e89b-12d3-a456-4266141740000",
	"123e4567-e89b-12d3-a456-42661417400g",
	"g23e4567-e89b-12d3-a456-426614174000",
	"123e456-7e89b-12d3-a456-426614174000",
	"123e4567-e89b-12d3-a456_426614174000",
	"123e4567+e89b-12d3-a456-426614174000",
	" 123e4567-e89b-12d3-a456-42661417400",
	"123e4567-e89b-12d3-a456-42661417400 ",
	"{123e4567-e89b-12d3-a456-426614174000",
	"123e4567-e89b-12d3-a456-426614174000}",
	"(123e4567-e89b-12d3-a456-426614174000)",
	"{123e4567-e89b-12d3-a456-426614174000]",
	"{{123e4567-e89b-12d3-a456-4266141740}}",
	"{123e4567e89b12d3a456426614174000}",
	"urn:uuid:123e4567-e89b-12d3-a456-426614174000",
	"123e4567-e89b-12d3-a456-4266141740\xc3\xa9",
	"------------------------------------",
	"0x3e4567-e89b-12d3-a456-426614174000",
};

START_TEST(test_uuid_valid_vectors)
{
	const char	*s = uuid_valids[_i];
	char		 out[UUID_STR_LEN + 1];
	size_t		 i;

	ck_assert_msg(uuid_valid(s, strlen(s)), "should be valid: %s", s);
	ck_assert_int_eq(uuid_normalize(s, strlen(s), out), 0);
	ck_assert_uint_eq(strlen(out), UUID_STR_LEN);
	for (i = 0; i < UUID_STR_LEN; i++)
		ck_assert(strchr("0123456789abcdef-", out[i]) != NULL);
	ck_assert(uuid_valid(out, strlen(out)));
}
END_TEST

START_TEST(test_uuid_invalid_vectors)
{
	const char	*s = uuid_invalids[_i];
	char		 out[UUID_STR_LEN + 1], zs[UUID_STR_LEN + 1];

	memset(out, 'Z', sizeof(out));
	memset(zs, 'Z', sizeof(zs));
	ck_assert_msg(!uuid_valid(s, strlen(s)), "should be invalid: %s", s);
	ck_assert_int_eq(uuid_normalize(s, strlen(s), out), -1);
	/* out is untouched on failure. */
	ck_assert_mem_eq(out, zs, sizeof(out));
}
END_TEST

START_TEST(test_uuid_lengths)
{
	const char	 s[] = "123e4567-e89b-12d3-a456-426614174000xyz";
	const char	 nul[] = "123e4567-e89b-12d3-a456-4266141740" "\0" "0";

	/* n decides, not the NUL: no terminator needed, none trusted. */
	ck_assert(uuid_valid(s, 36));
	ck_assert(!uuid_valid(s, 35));
	ck_assert(!uuid_valid(s, 37));
	ck_assert(!uuid_valid(s, 0));
	ck_assert(!uuid_valid(NULL, 0));
	ck_assert(!uuid_valid(nul, sizeof(nul) - 1));	/* embedded NUL */
}
END_TEST

START_TEST(test_uuid_normalize)
{
	const char	 up[] = "{123E4567-E89B-12D3-A456-42661417400F}";
	char		 out[UUID_STR_LEN + 1];

	ck_assert_int_eq(uuid_normalize(up, strlen(up), out), 0);
	ck_assert_str_eq(out, "123e4567-e89b-12d3-a456-42661417400f");
	ck_assert_int_eq(uuid_normalize(out, strlen(out), out), 0);
	ck_assert_str_eq(out, "123e4567-e89b-12d3-a456-42661417400f");
}
END_TEST

START_TEST(test_uuid_bytes)
{
	const char	 up[] = "{123E4567-E89B-12D3-A456-42661417400F}";
	const unsigned char want[UUID_BYTES] = { 0x12, 0x3e, 0x45, 0x67,
	    0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17,
	    0x40, 0x0f };
	unsigned char	 b[UUID_BYTES];
	char		 out[UUID_STR_LEN + 1];

	ck_assert_int_eq(uuid_to_bytes(up, strlen(up), b), 0);
	ck_assert_mem_eq(b, want, sizeof(want));
	uuid_from_bytes(b, out);
	ck_assert_str_eq(out, "123e4567-e89b-12d3-a456-42661417400f");
	ck_assert_int_eq(uuid_to_bytes("123e4567-e89b-12d3-a456-42661417400g",
	    36, b), -1);
	ck_assert_int_eq(uuid_to_bytes("not-a-uuid", 10, b), -1);
}
END_TEST

START_TEST(test_uuid_new)
{
	char	 u[UUID_STR_LEN + 1], prev[UUID_STR_LEN + 1] = "";
	char	 norm[UUID_STR_LEN + 1];
	int	 i;

	for (i = 0; i < 1000; i++) {
		uuid_new(u);
		ck_assert_uint_eq(strlen(u), UUID_STR_LEN);
		ck_assert(uuid_valid(u, strlen(u)));
		ck_assert_int_eq(uuid_normalize(u, strlen(u), norm), 0);
		ck_assert_str_eq(u, norm);		/* already lower case */
		ck_assert_int_eq(u[14], '4');		/* version 4 */
		ck_assert(strchr("89ab", u[19]) != NULL);/* RFC 4122 variant */
		ck_assert(!uuid_is_nil(u));
		ck_assert_str_ne(u, prev);
		memcpy(prev, u, sizeof(u));
	}
}
END_TEST

START_TEST(test_uuid_nil)
{
	ck_assert(uuid_is_nil("00000000-0000-0000-0000-000000000000"));
	ck_assert(!uuid_is_nil("00000000-0000-0000-0000-000000000001"));
	ck_assert(!uuid_is_nil("10000000-0000-0000-0000-000000000000"));
	ck_assert(!uuid_is_nil("00000000-0000-0000-0000-0000000000000"));
	ck_assert(!uuid_is_nil("00000000-0000-0000-0000-00000000000"));
	ck_assert(!uuid_is_nil("{00000000-0000-0000-0000-000000000000}"));
	ck_assert(!uuid_is_nil(""));
	ck_assert(!uuid_is_nil(NULL));
}
END_TEST

/*
 * Time.
 */

struct rfc3339_vec {
	int64_t		 ms;
	const char	*out;
};

static const struct rfc3339_vec rfc3339_vecs[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1795437296789LL, "2026-11-23T12:34:56.789Z" },
	{ 1709251199999LL, "2024-02-29T23:59:59.999Z" },
	{ 946684800000LL, "2000-01-01T00:00:00.000Z" },
	{ 946684800001LL, "2000-01-01T00:00:00.001Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
	{ -1000, "1969-12-31T23:59:59.000Z" },
	{ -1001, "1969-12-31T23:59:58.999Z" },
	{ 253402300799999LL, "9999-12-31T23:59:59.999Z" },
	{ INT64_MAX, "9999-12-31T23:59:59.999Z" },	/* clamped */
	{ INT64_MIN, "0000-01-01T00:00:00.000Z" },	/* clamped */
};

START_TEST(test_time_rfc3339)
{
	const struct rfc3339_vec	*v = &rfc3339_vecs[_i];
	char				 out[32];

	memset(out, 'Z', sizeof(out));
	time_rfc3339(v->ms, out);
	ck_assert_str_eq(out, v->out);
}
END_TEST

START_TEST(test_time_clocks)
{
	struct timespec	 ts = { 0, 3 * 1000 * 1000 };
	int64_t		 now, sys, m0, m1;

	sys = (int64_t)time(NULL) * 1000;
	now = time_now_ms();
	ck_assert_int_ge(now, sys - 2000);
	ck_assert_int_le(now, sys + 2000);
	m0 = time_mono_us();
	(void)nanosleep(&ts, NULL);
	m1 = time_mono_us();
	ck_assert_int_ge(m1 - m0, 3000);
	ck_assert_int_lt(m1 - m0, 10 * 1000 * 1000);
}
END_TEST

/*
 * hex_value, hex_encode.
 */

START_TEST(test_hex)
{
	static const unsigned char bytes[] = { 0x00, 0x09, 0xa5, 0xff, 0x10 };
	const char *digits = "0123456789abcdefABCDEF";
	char out[2 * sizeof(bytes) + 1];
	int c;

	for (c = 0; c < 256; c++) {
		const char *d = c != 0 ? strchr(digits, c) : NULL;
		int want = d == NULL ? -1 : (int)(d - digits) < 16 ?
		    (int)(d - digits) : (int)(d - digits) - 6;

		ck_assert_int_eq(hex_value(c), want);
	}
	ck_assert_int_eq(hex_value(-1), -1);	/* a char above 0x7f */
	memset(out, 'x', sizeof(out));
	hex_encode(bytes, sizeof(bytes), out);
	ck_assert_str_eq(out, "0009a5ff10");
	hex_encode(bytes, 0, out);
	ck_assert_str_eq(out, "");
}
END_TEST

/*
 * ct_memcmp.
 */

START_TEST(test_ct_memcmp)
{
	unsigned char	 x[64], y[64];
	size_t		 i;
	int		 bit;

	for (i = 0; i < sizeof(x); i++)
		x[i] = y[i] = (unsigned char)(i * 7);
	ck_assert_int_eq(ct_memcmp(x, y, sizeof(x)), 0);
	ck_assert_int_eq(ct_memcmp(x, x, sizeof(x)), 0);
	ck_assert_int_eq(ct_memcmp(x, "", 0), 0);
	/* Every single-bit difference, at every position, is seen. */
	for (i = 0; i < sizeof(x); i++)
		for (bit = 0; bit < 8; bit++) {
			y[i] ^= (unsigned char)(1 << bit);
			ck_assert_int_ne(ct_memcmp(x, y, sizeof(x)), 0);
			ck_assert_int_ne(ct_memcmp(y, x, sizeof(x)), 0);
			/* ...and only within the compared length. */
			ck_assert_int_eq(ct_memcmp(x, y, i), 0);
			y[i] ^= (unsigned char)(1 << bit);
		}
	ck_assert_int_eq(ct_memcmp("secret", "secreT", 5), 0);
	ck_assert_int_ne(ct_memcmp("secret", "secreT", 6), 0);
}
END_TEST

/*
 * Log.
 */

struct level_vec {
	const char	*in;
	int		 rc;
	enum log_level	 lvl;
};

static const struct level_vec level_vecs[] = {
	{ "error", 0, LOG_LVL_ERROR },
	{ "ERROR", 0, LOG_LVL_ERROR },
	{ "warn", 0, LOG_LVL_WARN },
	{ "Warn", 0, LOG_LVL_WARN },
	{ "warning", 0, LOG_LVL_WARN },
	{ "WARNING", 0, LOG_LVL_WARN },
	{ "info", 0, LOG_LVL_INFO },
	{ "InFo", 0, LOG_LVL_INFO },
	{ "debug", 0, LOG_LVL_DEBUG },
	{ "DEBUG", 0, LOG_LVL_DEBUG },
	{ "", -1, 0 },
	{ "err", -1, 0 },
	{ "warnings", -1, 0 },
	{ "trace", -1, 0 },
	{ "info ", -1, 0 },
	{ " debug", -1, 0 },
	{ "3", -1, 0 },
	{ NULL, -1, 0 },
};

START_TEST(test_log_level_parse)
{
	const struct level_vec	*v = &level_vecs[_i];
	enum log_level		 out = LOG_LVL__MAX;

	ck_assert_int_eq(log_level_parse(v->in, &out), v->rc);
	if (v->rc == 0)
		ck_assert_int_eq(out, v->lvl);
	else
		ck_assert_int_eq(out, LOG_LVL__MAX);	/* untouched */
}
END_TEST

/*
 * Runs fn with stderr captured into a temporary file and returns what
 * it wrote, NUL-terminated, in out[0..sz).
 */
static size_t
capture_stderr(void (*fn)(void), char *out, size_t sz)
{
	FILE	*f;
	int	 saved;
	size_t	 n;

	ck_assert_ptr_nonnull(f = tmpfile());
	ck_assert_int_ne(saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(fileno(f), STDERR_FILENO), -1);
	fn();
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	(void)close(saved);
	rewind(f);
	n = fread(out, 1, sz - 1, f);
	out[n] = '\0';
	(void)fclose(f);
	return n;
}

static void
log_some(void)
{
	log_set_process("worker");
	log_set_level(LOG_LVL_INFO);
	log_debug("dropped %d", 1);
	errno = ENOENT;
	log_warn("user \"%s\" said %s", "eve", "\xff\n{\"x\":1}");
	ck_assert_int_eq(errno, ENOENT);
	log_set_level(LOG_LVL_DEBUG);
	log_debug("kept");
	log_set_level(LOG_LVL_ERROR);
	log_info("dropped too");
	log_line("{\"a\":1}", 7);
	log_set_process(NULL);
	log_set_level(LOG_LVL_INFO);
	log_error("back to %s", "default");
}

/* Checks one line: a timestamp, then exactly rest. */
static const char *
check_log_line(const char *p, const char *rest)
{
	const char	*pre = "{\"time\":\"";
	const char	*shape = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t		 i;

	ck_assert_msg(strncmp(p, pre, strlen(pre)) == 0, "line: %s", p);
	p += strlen(pre);
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd')
			ck_assert_msg(p[i] >= '0' && p[i] <= '9',
			    "time: %s", p);
		else
			ck_assert_int_eq(p[i], shape[i]);
	p += i;
	ck_assert_msg(strncmp(p, rest, strlen(rest)) == 0,
	    "got: %s\nwant: %s", p, rest);
	return p + strlen(rest);
}

START_TEST(test_log_output)
{
	char		 out[4096], want[512];
	const char	*p;
	long		 pid = (long)getpid();

	(void)capture_stderr(log_some, out, sizeof(out));
	(void)snprintf(want, sizeof(want), "\",\"level\":\"warn\","
	    "\"process\":\"worker\",\"pid\":%ld,\"msg\":\"user \\\"eve\\\" "
	    "said \\ufffd\\n{\\\"x\\\":1}\"}\n", pid);
	p = check_log_line(out, want);
	(void)snprintf(want, sizeof(want), "\",\"level\":\"debug\","
	    "\"process\":\"worker\",\"pid\":%ld,\"msg\":\"kept\"}\n", pid);
	p = check_log_line(p, want);
	ck_assert_msg(strncmp(p, "{\"a\":1}\n", 8) == 0, "got: %s", p);
	p += 8;
	(void)snprintf(want, sizeof(want), "\",\"level\":\"error\","
	    "\"process\":\"rosterd\",\"pid\":%ld,\"msg\":\"back to "
	    "default\"}\n", pid);
	p = check_log_line(p, want);
	ck_assert_str_eq(p, "");
}
END_TEST

/*
 * Runner.
 */

static Suite *
arena_suite(int forking)
{
	Suite	*s = suite_create("arena");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_arena_many);
	tcase_add_test(tc, test_arena_alignment);
	tcase_add_test(tc, test_arena_zero_size_unique);
	tcase_add_test(tc, test_arena_large);
	tcase_add_test(tc, test_arena_zalloc);
	tcase_add_test(tc, test_arena_strings);
	tcase_add_test(tc, test_arena_defer_order);
	tcase_add_test(tc, test_arena_reset_reuses);
	tcase_add_test(tc, test_arena_used);
	tcase_add_test(tc, test_arena_budget);
	tcase_add_test(tc, test_arena_normal_sizes_pass_guard);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	if (!forking)
		return s;
	tc = tcase_create("dies");
	tcase_add_test_raise_signal(tc, test_arena_allocarray_overflow_aborts,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_arena_alloc_overflow_aborts,
	    SIGABRT);
#ifdef TEST_ASAN
	/* ASan reports then exits 1, or aborts with abort_on_error=1 */
	if (getenv("ASAN_OPTIONS") != NULL &&
	    strstr(getenv("ASAN_OPTIONS"), "abort_on_error=1") != NULL) {
		tcase_add_test_raise_signal(tc, test_arena_asan_padding,
		    SIGABRT);
		tcase_add_test_raise_signal(tc, test_arena_asan_after_reset,
		    SIGABRT);
		tcase_add_test_raise_signal(tc, test_arena_asan_big_overrun,
		    SIGABRT);
	} else {
		tcase_add_exit_test(tc, test_arena_asan_padding, 1);
		tcase_add_exit_test(tc, test_arena_asan_after_reset, 1);
		tcase_add_exit_test(tc, test_arena_asan_big_overrun, 1);
	}
#endif
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
xalloc_suite(int forking)
{
	Suite	*s = suite_create("xalloc");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_xalloc_basic);
	if (forking)
		tcase_add_test_raise_signal(tc, test_xcalloc_overflow_aborts,
		    SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
buf_suite(void)
{
	Suite	*s = suite_create("buf");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_buf_empty_is_string);
	tcase_add_test(tc, test_buf_growth_heap);
	tcase_add_test(tc, test_buf_put_int);
	tcase_add_test(tc, test_buf_growth_arena);
	tcase_add_test(tc, test_buf_embedded_nul);
	tcase_add_test(tc, test_buf_printf_heap);
	tcase_add_test(tc, test_buf_printf_arena);
	tcase_add_test(tc, test_buf_overflow_sticky);
	tcase_add_test(tc, test_buf_budget_sticky);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_loop_test(tc, test_buf_json_vectors, 0,
	    (int)RS_ARRAY_LEN(json_vecs));
	tcase_add_test(tc, test_buf_json_checker);
	tcase_add_test(tc, test_buf_json_random);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
uuid_suite(void)
{
	Suite	*s = suite_create("uuid");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_uuid_valid_vectors, 0,
	    (int)RS_ARRAY_LEN(uuid_valids));
	tcase_add_loop_test(tc, test_uuid_invalid_vectors, 0,
	    (int)RS_ARRAY_LEN(uuid_invalids));
	tcase_add_test(tc, test_uuid_lengths);
	tcase_add_test(tc, test_uuid_normalize);
	tcase_add_test(tc, test_uuid_bytes);
	tcase_add_test(tc, test_uuid_new);
	tcase_add_test(tc, test_uuid_nil);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *
misc_suite(void)
{
	Suite	*s = suite_create("time-ct-log");
	TCase	*tc;

	tc = tcase_create("time");
	tcase_add_loop_test(tc, test_time_rfc3339, 0,
	    (int)RS_ARRAY_LEN(rfc3339_vecs));
	tcase_add_test(tc, test_time_clocks);
	suite_add_tcase(s, tc);
	tc = tcase_create("ct");
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_ct_memcmp);
	suite_add_tcase(s, tc);
	tc = tcase_create("log");
	tcase_add_loop_test(tc, test_log_level_parse, 0,
	    (int)RS_ARRAY_LEN(level_vecs));
	tcase_add_test(tc, test_log_output);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 forking;

	sr = srunner_create(NULL);
	forking = srunner_fork_status(sr) != CK_NOFORK;
	srunner_add_suite(sr, arena_suite(forking));
	srunner_add_suite(sr, xalloc_suite(forking));
	srunner_add_suite(sr, buf_suite());
	srunner_add_suite(sr, uuid_suite());
	srunner_add_suite(sr, misc_suite());
	return unit_run(sr);
}
