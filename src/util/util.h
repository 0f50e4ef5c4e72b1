/*
 * util.h: the pieces every other module uses: the request arena,
 * length-carrying buffers, logging, uuids, base64 and time.
 *
 * OOM policy: every allocator here aborts on allocation failure (one
 * place, util/xalloc.c); callers never see NULL from them.
 */
#ifndef ROSTERD_UTIL_H
#define ROSTERD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define RS_MUSTCHECK __attribute__((warn_unused_result))
#define RS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RS_NORETURN __attribute__((noreturn))
#define RS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* xalloc.c: allocation that never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
RS_NORETURN void xoom(size_t n);

/*
 * arena.c: per-request region allocator.  Everything allocated from an
 * arena is released by arena_reset() or arena_free().  Cleanups for
 * foreign objects (PGresult, yajl handles) are registered with
 * arena_defer() and run, newest first, at reset.
 *
 * The arena has a budget: once more than `budget` bytes have been
 * handed out, arena_exceeded() turns true (the allocation itself still
 * succeeds, so callers need no NULL paths) and arena-backed bufs stop
 * growing, until the budget is lifted (arena_lift_budget()) or the
 * arena reset.  The request layer refuses a request that spends it
 * before its first statement (413) and lifts it once that statement
 * runs (db_budget()).
 */
struct arena;
typedef void (*arena_cleanup_fn)(void *);

struct arena *arena_new(size_t budget);
void arena_free(struct arena *a);
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
void *arena_allocarray(struct arena *a, size_t n, size_t sz);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...) RS_PRINTF(2, 3);
char *arena_strcat(struct arena *a, const char *s, ...)
    __attribute__((sentinel));
void arena_defer(struct arena *a, arena_cleanup_fn fn, void *p);
int arena_exceeded(const struct arena *a);
void arena_lift_budget(struct arena *a, int lift);
size_t arena_used(const struct arena *a);

/*
 * buf.c: a growable byte string, always NUL-terminated.  Memory comes
 * from the arena when one is given, else from the heap (buf_release()
 * frees it then).  After a failure (size overflow, budget) `failed`
 * stays set and every put is a no-op, so encoders check once at the end.
 */
struct buf {
	char		*p;	/* bytes, NUL-terminated */
	size_t		 len;	/* bytes used, without the NUL */
	size_t		 cap;	/* bytes allocated */
	struct arena	*a;	/* owner of p, or NULL for the heap */
	int		 failed;/* sticky error flag */
};

void buf_init(struct buf *b, struct arena *a);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t n);
void buf_put_grow(struct buf *b, const void *p, size_t n);

/*
 * Appends n bytes from p (which may contain NULs and may be NULL when n
 * is 0).  b->p may move; earlier copies of it are invalid after any put.
 * Inline while the room is there (cap > len + n: the bytes and the NUL),
 * as it is for nearly every append of an encoder.
 */
static inline void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (n != 0 && n < b->cap - b->len && !b->failed) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
		return;
	}
	buf_put_grow(b, p, n);
}

/* Appends the NUL-terminated string s. */
static inline void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Appends the byte c (which may be NUL). */
static inline void
buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}
/* v in decimal, zero-padded to width characters as "%0*lld" (width <= 22). */
void buf_put_int(struct buf *b, long long v, int width);
void buf_printf(struct buf *b, const char *fmt, ...) RS_PRINTF(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) RS_PRINTF(2, 0);
/* Appends s[0..n) as the inside of a JSON string (no quotes). */
void buf_put_json_escaped(struct buf *b, const char *s, size_t n);

/* log.c: one JSON line per event on stderr. */
enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL__MAX
};

void log_set_level(enum log_level lvl);
void log_set_process(const char *role);
long log_pid(void);
int log_level_parse(const char *s, enum log_level *out) RS_MUSTCHECK;
void log_msg(enum log_level lvl, const char *fmt, ...) RS_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
/* Writes a prepared JSON object (without newline) as one log line. */
void log_line(const char *json, size_t len);

/* uuid.c: canonical lower-case "D" form, 36 characters. */
#define UUID_STR_LEN 36
int uuid_valid(const char *s, size_t n) RS_MUSTCHECK;
/* Normalises s (any case, optional braces) into out[37]; 0 on success. */
int uuid_normalize(const char *s, size_t n, char out[UUID_STR_LEN + 1])
    RS_MUSTCHECK;
void uuid_new(char out[UUID_STR_LEN + 1]);
#define UUID_BYTES 16
int uuid_to_bytes(const char *s, size_t n, unsigned char out[UUID_BYTES])
    RS_MUSTCHECK;
void uuid_from_bytes(const unsigned char u[UUID_BYTES],
    char out[UUID_STR_LEN + 1]);
int uuid_is_nil(const char *canon);

/*
 * base64.c: RFC 4648 base64 and base64url.  Encoders return a
 * NUL-terminated string from the arena.  Decoders return 0 and set
 * *out and *outlen (arena memory, NUL-terminated for convenience) or -1 on
 * malformed input.  base64url decoding accepts input without padding
 * and refuses '=' padding, whitespace and the standard alphabet.
 */
char *base64_encode(struct arena *a, const void *p, size_t n);
char *base64url_encode(struct arena *a, const void *p, size_t n);
int base64_decode(struct arena *a, const char *s, size_t n,
    unsigned char **out, size_t *outlen) RS_MUSTCHECK;
int base64url_decode(struct arena *a, const char *s, size_t n,
    unsigned char **out, size_t *outlen) RS_MUSTCHECK;

/*
 * hex.c: hex_value() is the value of the hex digit c (either case), or -1;
 * hex_encode() writes the 2 * n lower-case digits of p[0..n) and a NUL
 * to out.
 */
int hex_value(int c);
void hex_encode(const void *p, size_t n, char *out);

/* metrics.c: counters shared by master and workers (GET /metrics). */
#define METRICS_ROUTES	128	/* routes counted one by one */
#define METRICS_CODES	18	/* statuses counted one by one, + other */
#define METRICS_BUCKETS	12	/* latency histogram buckets */
enum metrics_counter {
	METRIC_DB_ERROR = 0,
	METRIC_DB_RECONNECT,
	METRIC_WORKER_RESTART,
	METRIC_RELOAD,
};
int metrics_init(void);
void metrics_request(int route, int status, int64_t us);
void metrics_add(enum metrics_counter which);
/*
 * A request refused authentication, by reason: one of the names of
 * rosterd_auth_refused_total (malformed, bad_signature, wrong_issuer,
 * ..., see metrics.c); an unknown name is counted as "malformed".
 */
void metrics_auth_refused(const char *reason);
/*
 * A read that db_read_conninfo could send to the standby
 * (rosterd_db_reads_total), by who served it and why.
 */
enum metrics_read {
	METRIC_READ_REPLICA = 0,	/* no LSN asked: the standby */
	METRIC_READ_REPLAYED,		/* the standby had replayed the LSN */
	METRIC_READ_BEHIND,		/* it had not: the primary */
	METRIC_READ_FALLBACK,		/* it failed: the primary */
	METRIC_READ_BACKOFF,		/* it failed lately: the primary */
	METRIC_READ__MAX
};
void metrics_read(enum metrics_read which);
/*
 * Changes to what authenticates (API tokens, tenant aliases) committed
 * through this host's workers, so that every worker drops its caches at
 * its next request without waiting for the database's notification: the
 * committing worker counts one, the others compare the count.  Not a
 * metric (never rendered); it lives in the same shared page.
 */
void metrics_auth_changed(void);
unsigned long long metrics_auth_changes(void);
/* The reason names, NULL-terminated (for tests and documentation). */
extern const char *const metrics_auth_reasons[];
struct buf;
void metrics_render(struct buf *b, const char *const (*labels)[2], size_t n,
    const char *version);

/* utf8.c: strict UTF-8 (RFC 3629). */
size_t utf8_seq_len(const unsigned char *s, size_t n, size_t *bad);
size_t utf8_check(const char *s, size_t n);

/* time.c */
int64_t time_now_ms(void);
/* Monotonic clock in microseconds, for durations. */
int64_t time_mono_us(void);
/* RFC 3339 UTC with milliseconds into out[32]. */
void time_rfc3339(int64_t ms, char out[32]);

/* Constant-time comparison: 0 when equal. */
int ct_memcmp(const void *a, const void *b, size_t n);

#endif
