/*
 * metrics.c: counters shared by the master and its workers, for GET
 * /metrics (Prometheus text format 0.0.4).  The master maps one
 * anonymous shared region before it forks; every process then adds to
 * it with atomic operations, and any worker can render all of it.
 * Nothing here allocates after metrics_init(), and a failed init leaves
 * every function a no-op (metrics are never worth a failed request).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

/* Latency buckets, seconds (upper bounds; +Inf is implicit). */
static const double bucket_le[METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

/* The status codes counted one by one; the rest go to "other". */
static const int codes[METRICS_CODES] = {
	200, 201, 204, 400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422,
	429, 500, 503, 0,
};

struct route_counters {
	atomic_ullong	 by_code[METRICS_CODES];
	atomic_ullong	 bucket[METRICS_BUCKETS];
	atomic_ullong	 count;
	atomic_ullong	 sum_us;
};

/* rosterd_auth_refused_total's reason labels. */
const char *const metrics_auth_reasons[] = {
	"missing", "malformed", "too_large", "bad_alg", "bad_signature",
	"expired", "not_yet_valid", "missing_exp", "wrong_issuer",
	"wrong_audience", "wrong_typ", "bad_claims", "unknown_kid", "no_key",
	"unknown_token", "revoked", "token_expired", "address_not_allowed",
	"unavailable", "unknown_tenant", NULL,
};
#define METRICS_AUTH_REASONS 20
_Static_assert(RS_ARRAY_LEN(metrics_auth_reasons) == METRICS_AUTH_REASONS + 1,
    "METRICS_AUTH_REASONS");

struct metrics {
	struct route_counters route[METRICS_ROUTES + 1];	/* last: none */
	atomic_ullong	 db_errors;
	atomic_ullong	 db_reconnects;
	atomic_ullong	 worker_restarts;
	atomic_ullong	 reloads;
	atomic_ullong	 auth_refused[METRICS_AUTH_REASONS];
	atomic_ullong	 reads[METRIC_READ__MAX];
	atomic_llong	 started;		/* unix seconds */
	atomic_ullong	 auth_changes;		/* see metrics_auth_changed() */
};

static struct metrics *M;

/* Maps the shared region; call once in the master before any fork. */
int
metrics_init(void)
{
	void *p = mmap(NULL, sizeof(*M), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, sizeof(*M));
	M = p;
	atomic_store(&M->started, (long long)(time_now_ms() / 1000));
	return 0;
}

static size_t
code_slot(int status)
{
	size_t i;

	for (i = 0; i < METRICS_CODES - 1; i++)
		if (codes[i] == status)
			return i;
	return METRICS_CODES - 1;
}

/* One finished request: route index (-1: none matched), status, time. */
void
metrics_request(int route, int status, int64_t us)
{
	struct route_counters *c;
	size_t i;

	if (M == NULL)
		return;
	if (route < 0 || route >= METRICS_ROUTES)
		route = METRICS_ROUTES;
	c = &M->route[route];
	atomic_fetch_add_explicit(&c->by_code[code_slot(status)], 1,
	    memory_order_relaxed);
	for (i = 0; i < METRICS_BUCKETS; i++)
		if ((double)us / 1e6 <= bucket_le[i])
			atomic_fetch_add_explicit(&c->bucket[i], 1,
			    memory_order_relaxed);
	atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->sum_us, (unsigned long long)(us > 0 ?
	    us : 0), memory_order_relaxed);
}

void
metrics_auth_changed(void)
{
	if (M != NULL)
		atomic_fetch_add(&M->auth_changes, 1);
}

unsigned long long
metrics_auth_changes(void)
{
	return M != NULL ? atomic_load(&M->auth_changes) : 0;
}

void
metrics_add(enum metrics_counter which)
{
	atomic_ullong *p;

	if (M == NULL)
		return;
	switch (which) {
	case METRIC_DB_ERROR:
		p = &M->db_errors;
		break;
	case METRIC_DB_RECONNECT:
		p = &M->db_reconnects;
		break;
	case METRIC_WORKER_RESTART:
		p = &M->worker_restarts;
		break;
	case METRIC_RELOAD:
		p = &M->reloads;
		break;
	default:
		return;
	}
	atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
}

void
metrics_auth_refused(const char *reason)
{
	size_t i;

	if (M == NULL)
		return;
	for (i = 0; i < METRICS_AUTH_REASONS; i++)
		if (strcmp(metrics_auth_reasons[i], reason) == 0)
			break;
	if (i == METRICS_AUTH_REASONS)
		i = 1;	/* "malformed" */
	atomic_fetch_add_explicit(&M->auth_refused[i], 1,
	    memory_order_relaxed);
}

/* rosterd_db_reads_total's labels, by enum metrics_read. */
static const char *const read_labels[METRIC_READ__MAX][2] = {
	{ "replica", "no_lsn" },
	{ "replica", "replayed" },
	{ "primary", "behind" },
	{ "primary", "fallback" },
	{ "primary", "backoff" },
};

void
metrics_read(enum metrics_read which)
{
	if (M == NULL || (unsigned)which >= METRIC_READ__MAX)
		return;
	atomic_fetch_add_explicit(&M->reads[which], 1, memory_order_relaxed);
}

/* A label value: backslash, quote and newline escaped. */
static void
put_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(b, '\\');
		if (*s == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *s);
	}
}

static void
counter(struct buf *b, const char *name, const char *help,
    unsigned long long v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name,
	    help, name, name, v);
}

/*
 * Renders everything in the text format.  labels[i] names route i as
 * "METHOD pattern" split in two (method, pattern); n routes.
 */
void
metrics_render(struct buf *b, const char *const (*labels)[2], size_t n,
    const char *version)
{
	size_t r, i;
	unsigned long long v;
	const char *method, *pattern;

	if (M == NULL) {
		buf_puts(b, "# metrics unavailable\n");
		return;
	}
	buf_puts(b, "# HELP rosterd_build_info The running build.\n"
	    "# TYPE rosterd_build_info gauge\nrosterd_build_info{version=\"");
	put_label(b, version);
	buf_puts(b, "\"} 1\n");
	buf_printf(b, "# HELP rosterd_start_time_seconds When the master "
	    "started (unix time).\n# TYPE rosterd_start_time_seconds gauge\n"
	    "rosterd_start_time_seconds %lld\n", (long long)atomic_load(
	    &M->started));
	buf_puts(b, "# HELP rosterd_http_requests_total Requests answered, "
	    "by route and status.\n# TYPE rosterd_http_requests_total "
	    "counter\n");
	for (r = 0; r <= n && r <= METRICS_ROUTES; r++) {
		method = r < n ? labels[r][0] : "";
		pattern = r < n ? labels[r][1] : "unmatched";
		for (i = 0; i < METRICS_CODES; i++) {
			if ((v = atomic_load(&M->route[r < n ? r :
			    METRICS_ROUTES].by_code[i])) == 0)
				continue;
			buf_puts(b, "rosterd_http_requests_total{method=\"");
			put_label(b, method);
			buf_puts(b, "\",route=\"");
			put_label(b, pattern);
			if (codes[i] != 0)
				buf_printf(b, "\",code=\"%d\"} %llu\n",
				    codes[i], v);
			else
				buf_printf(b, "\",code=\"other\"} %llu\n", v);
		}
	}
	buf_puts(b, "# HELP rosterd_http_request_duration_seconds Time from "
	    "the request's arrival to its answer, by route.\n# TYPE "
	    "rosterd_http_request_duration_seconds histogram\n");
	for (r = 0; r <= n && r <= METRICS_ROUTES; r++) {
		const struct route_counters *c = &M->route[r < n ? r :
		    METRICS_ROUTES];
		unsigned long long count = atomic_load(&c->count);

		if (count == 0)
			continue;
		method = r < n ? labels[r][0] : "";
		pattern = r < n ? labels[r][1] : "unmatched";
		for (i = 0; i <= METRICS_BUCKETS; i++) {
			buf_puts(b, "rosterd_http_request_duration_seconds_"
			    "bucket{method=\"");
			put_label(b, method);
			buf_puts(b, "\",route=\"");
			put_label(b, pattern);
			if (i < METRICS_BUCKETS)
				buf_printf(b, "\",le=\"%g\"} %llu\n",
				    bucket_le[i], atomic_load(&c->bucket[i]));
			else
				buf_printf(b, "\",le=\"+Inf\"} %llu\n", count);
		}
		for (i = 0; i < 2; i++) {
			buf_printf(b, "rosterd_http_request_duration_seconds_%s"
			    "{method=\"", i == 0 ? "sum" : "count");
			put_label(b, method);
			buf_puts(b, "\",route=\"");
			put_label(b, pattern);
			if (i == 0)
				buf_printf(b, "\"} %.6f\n", (double)atomic_load(
				    &c->sum_us) / 1e6);
			else
				buf_printf(b, "\"} %llu\n", count);
		}
	}
	counter(b, "rosterd_db_errors_total", "Statements that failed "
	    "(any SQLSTATE, lost connections included).",
	    atomic_load(&M->db_errors));
	counter(b, "rosterd_db_reconnects_total", "Database connections "
	    "made again after one was lost.", atomic_load(&M->db_reconnects));
	counter(b, "rosterd_worker_restarts_total", "Workers that died "
	    "unasked and were replaced.", atomic_load(&M->worker_restarts));
	counter(b, "rosterd_reloads_total", "Configuration reloads "
	    "(SIGHUP).", atomic_load(&M->reloads));
	buf_puts(b, "# HELP rosterd_auth_refused_total Requests refused "
	    "authentication (401, or 503 when it could not be decided), by "
	    "reason.\n# TYPE rosterd_auth_refused_total counter\n");
	for (r = 0; r < METRICS_AUTH_REASONS; r++)
		buf_printf(b, "rosterd_auth_refused_total{reason=\"%s\"} "
		    "%llu\n", metrics_auth_reasons[r],
		    atomic_load(&M->auth_refused[r]));
	buf_puts(b, "# HELP rosterd_db_reads_total Reads that "
	    "db_read_conninfo may send to the standby, by the server that "
	    "answered and why.\n# TYPE rosterd_db_reads_total counter\n");
	for (r = 0; r < METRIC_READ__MAX; r++)
		buf_printf(b, "rosterd_db_reads_total{served_by=\"%s\","
		    "reason=\"%s\"} %llu\n", read_labels[r][0],
		    read_labels[r][1], atomic_load(&M->reads[r]));
}
