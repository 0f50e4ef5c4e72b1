/*
 * worker.c: a worker process.  It accepts FastCGI requests on the
 * shared listening socket and runs each through the request path:
 * build -> route -> bounded body -> authenticate -> authorize ->
 * handler -> render -> log.  Everything a request allocates comes from
 * one arena that is reset when the request is finished.
 */
#include <errno.h>
#include <poll.h>
#include <malloc.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "auth/apitoken.h"
#include "auth/jwks.h"
#include "daemon.h"
#include "dialects/dialect.h"

/*
 * fcgi_put(): the response size from which it writes its own records
 * (libfcgi's output stream holds 8 KiB), their largest content (a record
 * says its length in 16 bits; a multiple of 8 needs no padding), and how
 * many go in one writev().
 */
#define FCGI_STREAM_BYTES	8192
#define FCGI_RECORD_MAX		65528
#define FCGI_RECORDS		16

/* FastCGI connections a worker keeps open when nginx asks it to. */
#define WORKER_CONNS	256
/*
 * A request whose arena grew past this gives the heap back to the system
 * (malloc_trim).  Below it, glibc's own trimming of the heap's top does:
 * malloc_trim also unmaps the free pages inside the heap, one madvise each
 * (a TLB shootdown on every core), and the next large answer faults them
 * in again, which cost a worker more than building a SCIM page of a few
 * MB did.
 */
#define WORKER_TRIM_BYTES (64u << 20)

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* What an issuer's remote key callbacks need. */
struct worker_remote {
	const struct jwks_source *src;
	const char	*state_dir;
};

struct worker {
	struct app	 app;
	struct jwt_verifier *verifiers;	/* one per issuer */
	struct worker_remote *remotes;	/* one per issuer, used or not */
	struct jwt_trust trust;
	struct jwt_cache jwt_cache;
	/*
	 * Draining after a reload that changed how tokens are judged: this
	 * worker's keys and issuers are no longer the configuration's, so
	 * it authenticates nobody (503, which a client retries and a new
	 * worker then answers).
	 */
	int		 auth_stale;
	struct arena	*arena;
	char		**migrations;	/* sql_dir's, for the schema check */
	size_t		 nmigrations;
	/*
	 * db_read_conninfo: the standby that serves the handlers of reads
	 * (see reader()); app.db is the primary but around such a handler.
	 */
	struct db	*primary;
	struct db	*replica;	/* NULL: off */
	uint64_t	 replica_lsn;	/* its replay position as last seen */
	uint64_t	 replica_gen;	/* on its connection of this number */
	int64_t		 replica_rest;	/* failed: not used before then */
};

static ssize_t
fcgi_read(void *ctx, char *p, size_t n)
{
	FCGX_Stream *in = ctx;
	int r;

	r = FCGX_GetStr(p, (int)(n > 65536 ? 65536 : n), in);
	if (r < 0 || FCGX_GetError(in) != 0)
		return -1;
	return r;
}

/* Writes the iovecs v[0..n) whole (the connection blocks): 0, or -1. */
static int
writev_all(int fd, struct iovec *v, int n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = writev(fd, v, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)k >= v->iov_len) {
			k -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + k;
			v->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/*
 * Writes n bytes of the response of FastCGI request r.  libfcgi's stream
 * frames its output in records of 8 KiB, a write() each; a response of
 * that size or more goes out here instead, after whatever the stream
 * holds, as STDOUT records of up to FCGI_RECORD_MAX bytes gathered into
 * one writev() per FCGI_RECORDS records.  A smaller one stays in the
 * stream, which sends it with the request's closing records in one
 * write().  0, or -1 when the connection failed.
 */
static int
fcgi_put(FCGX_Request *r, const char *p, size_t n)
{
	unsigned char head[FCGI_RECORDS][FCGI_HEADER_LEN];
	struct iovec v[2 * FCGI_RECORDS];
	size_t k;
	int i;

	if (n < FCGI_STREAM_BYTES)
		return FCGX_PutStr(p, (int)n, r->out) == (int)n &&
		    FCGX_GetError(r->out) == 0 ? 0 : -1;
	if (FCGX_FFlush(r->out) != 0)
		return -1;
	while (n > 0) {
		for (i = 0; i < FCGI_RECORDS && n > 0; i++) {
			k = n < FCGI_RECORD_MAX ? n : FCGI_RECORD_MAX;
			head[i][0] = FCGI_VERSION_1;
			head[i][1] = FCGI_STDOUT;
			head[i][2] = (unsigned char)(r->requestId >> 8);
			head[i][3] = (unsigned char)r->requestId;
			head[i][4] = (unsigned char)(k >> 8);
			head[i][5] = (unsigned char)k;
			head[i][6] = 0;		/* padding */
			head[i][7] = 0;
			v[2 * i].iov_base = head[i];
			v[2 * i].iov_len = FCGI_HEADER_LEN;
			v[2 * i + 1].iov_base = (void *)(uintptr_t)p;
			v[2 * i + 1].iov_len = k;
			p += k;
			n -= k;
		}
		if (writev_all(r->ipcFd, v, 2 * i) != 0)
			return -1;
	}
	return 0;
}

/* req->write of a streamed response: fcgi_put() to its request. */
static int
fcgi_write(void *ctx, const char *p, size_t n)
{
	return fcgi_put(ctx, p, n);
}

static int
worker_remote_keys(void *ctx, const struct jwt_key **keys, size_t *n)
{
	const struct worker_remote *r = ctx;

	return jwks_current(r->src, r->state_dir, keys, n);
}

static void
worker_remote_refresh(void *ctx)
{
	const struct worker_remote *r = ctx;

	jwks_request_refresh(r->src, r->state_dir);
}

/*
 * A refused authentication: one info line with the request id, the
 * reason and the [issuer NAME] whose tokens the token claimed to be
 * (NULL: none known), never the token; counted by reason; returns
 * status.
 */
static int
auth_refused(struct http_req *req, int status, const char *reason,
    const char *issuer, const char **msg)
{
	log_info("authentication refused: reason=%s request_id=%s%s%s",
	    reason, req->request_id != NULL ? req->request_id : "-",
	    issuer != NULL ? " issuer=" : "", issuer != NULL ? issuer : "");
	metrics_auth_refused(reason);
	if (status == 503)
		*msg = "The service cannot authenticate the request right "
		    "now; retry.";
	return status;
}

/*
 * 401 unless the request carries a valid bearer token: an API token
 * ("rsd_...") or a JWT of a trusted issuer; 503 when that cannot be
 * decided now (the database, or a worker outliving its keys).
 */
static int
authenticate(struct worker *w, struct http_req *req, const char **msg)
{
	const char *h = http_req_header(req, "Authorization"), *tenant;
	const char *issuer;
	enum apitoken_status as;
	enum jwt_status st;
	size_t len;

	memset(&req->principal, 0, sizeof(req->principal));
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return auth_refused(req, 401, "missing", NULL, msg);
	h += 7;
	while (*h == ' ')
		h++;
	len = strlen(h);
	if (w->auth_stale)
		return auth_refused(req, 503, "unavailable", NULL, msg);
	if (strncmp(h, APITOKEN_PREFIX, strlen(APITOKEN_PREFIX)) == 0) {
		as = apitoken_verify_req(w->app.db, h, len, http_req_env(req,
		    "REMOTE_ADDR"), req->audit_request_id, time(NULL), req->arena,
		    &req->principal);
		if (as != APITOKEN_OK) {
			memset(&req->principal, 0, sizeof(req->principal));
			return auth_refused(req, as == APITOKEN_UNAVAILABLE ?
			    503 : 401, apitoken_status_reason(as), NULL, msg);
		}
		req->authenticated = 1;
		return 0;
	}
	st = jwt_verify_cached(&w->jwt_cache, &w->trust, h, len, time(NULL),
	    req->arena, &req->principal);
	if (st != JWT_OK) {
		/* the issuer the token's iss picked, if any (not its sub) */
		issuer = req->principal.issuer;
		memset(&req->principal, 0, sizeof(req->principal));
		return auth_refused(req, 401, jwt_status_reason(st), issuer,
		    msg);
	}
	if (req->principal.tenant_ext != NULL) {
		/* The issuer's own tenant id, mapped to a rosterd tenant. */
		switch (tenant_alias_resolve(w->app.db, req->principal.issuer,
		    req->principal.tenant_ext, req->arena, &tenant)) {
		case 0:
			req->principal.tid = tenant;
			break;
		case 1:
			return auth_refused(req, 401, "unknown_tenant",
			    req->principal.issuer, msg);
		default:
			return auth_refused(req, 503, "unavailable",
			    req->principal.issuer, msg);
		}
	}
	req->authenticated = 1;
	return 0;
}

/*
 * The tenant a request targets: the path's tenant parameter,
 * else X-Tenant-Id, else the token's tid.  An X-Tenant-Id that is not a
 * uuid, or that names another tenant than the path, is a 400: the caller
 * is confused about where it acts, and guessing for it is how a request
 * lands in the wrong tenant.  Returns 0 or 400.
 */
static int
target_tenant(struct http_req *req, const char **msg)
{
	char canon[UUID_STR_LEN + 1], hcanon[UUID_STR_LEN + 1];
	const char *t = NULL, *h;

	h = http_req_header(req, "X-Tenant-Id");
	if (h != NULL && uuid_normalize(h, strlen(h), hcanon) != 0) {
		*msg = "The X-Tenant-Id header is not a valid tenant id.";
		return 400;
	}
	if (req->route->tenant_param != NULL)
		t = http_req_param(req, req->route->tenant_param);
	else if (h != NULL)
		t = hcanon;
	else
		t = req->principal.tid;
	if (t != NULL && uuid_normalize(t, strlen(t), canon) == 0)
		t = arena_strdup(req->arena, canon);
	if (h != NULL && t != NULL && strcmp(t, hcanon) != 0) {
		*msg = "The X-Tenant-Id header names another tenant than "
		    "the request's path.";
		return 400;
	}
	req->tenant = t;
	return 0;
}

/*
 * The request's header fields and query parameters against max_headers
 * and max_query_params: 431 or 400, before anything reads them.
 */
static int
count_limits(struct worker *w, struct http_req *req, const char **msg)
{
	const struct config *cfg = w->app.cfg;
	const char *q;
	long n;
	char **e;

	for (n = 0, e = req->envp; *e != NULL; e++)
		if (strncmp(*e, "HTTP_", 5) == 0)
			n++;
	if (n > cfg->max_headers) {
		*msg = arena_sprintf(req->arena, "The request has %ld header "
		    "fields; at most %ld are accepted.", n, cfg->max_headers);
		return 431;
	}
	for (n = 0, q = req->query; q != NULL && *q != '\0'; n++) {
		q = strchr(q, '&');
		q = q != NULL ? q + 1 : NULL;
	}
	if (n > cfg->max_query_params) {
		*msg = arena_sprintf(req->arena, "The request has %ld query "
		    "parameters; at most %ld are accepted.", n,
		    cfg->max_query_params);
		return 400;
	}
	return 0;
}

/* Everything before the handler; returns 0 or the refusing status. */
static int
front_line(struct worker *w, struct http_req *req, FCGX_Stream *in,
    const char **msg)
{
	long max = (req->route->flags & ROUTE_UPLOAD) ?
	    w->app.cfg->import_max_upload_bytes :
	    (req->route->flags & ROUTE_BULK) ?
	    w->app.cfg->max_bulk_body_bytes : w->app.cfg->max_body_bytes;
	int rc;

	if ((rc = count_limits(w, req, msg)) != 0)
		return rc;
	if (req->content_length > max) {
		*msg = arena_sprintf(req->arena, "The request body is larger "
		    "than this route accepts (%ld bytes).", max);
		return 413;
	}
	if (req->route->right != AUTHZ_PUBLIC) {
		if ((rc = authenticate(w, req, msg)) != 0)
			return rc;
		if ((rc = target_tenant(req, msg)) != 0)
			return rc;
		if ((req->route->flags & ROUTE_VOL_TENANT) &&
		    (rc = kibo_vol_tenant(req, msg)) != 0)
			return rc;
		switch (authz_check(&req->principal, req->route->right,
		    req->tenant)) {
		case AUTHZ_ALLOW:
			break;
		case AUTHZ_NO_TENANT:
			*msg = "The request names no tenant: send X-Tenant-Id.";
			return 400;
		default:
			return 403;
		}
	}
	/* an upload is held whole, bounded by import_max_upload_bytes */
	if (req->route->flags & ROUTE_UPLOAD)
		arena_lift_budget(req->arena, 1);
	rc = http_req_read_body(req, fcgi_read, in, (size_t)max);
	if (rc == 413)
		*msg = arena_sprintf(req->arena, "The request body is larger "
		    "than this route accepts (%ld bytes).", max);
	return rc;
}

static const char *
front_message(int status)
{
	switch (status) {
	case 400:
		return "The request is invalid.";
	case 401:
	case 403:
		return "Authorization has been denied for this request.";
	case 413:
		return "The request body is too large.";
	default:
		return http_status_text(status);
	}
}

/*
 * While the database lacks a migration of sql_dir, a route that needs
 * the database answers 503 in its dialect's shape, with Retry-After.
 */
static void
schema_refusal(struct http_req *req, struct http_resp *resp,
    const char *missing)
{
	http_resp_init(resp, req->arena);
	req->route->dialect->error(req, resp, 503, arena_sprintf(req->arena,
	    "database schema is behind: run rosterctl migrate (missing %s)",
	    missing));
}

/*
 * A request that spent request_memory_bytes before its work started
 * (reading and decoding its body, building its statements' parameters):
 * 413 in the dialect's shape, rendered outside the budget.  None of its
 * statements has run (db_budget()).
 */
static void
memory_refusal(struct worker *w, struct http_req *req,
    struct http_resp *resp, const struct dialect *d)
{
	arena_lift_budget(req->arena, 1);
	http_resp_init(resp, req->arena);
	d->error(req, resp, 413, arena_sprintf(req->arena, "The request "
	    "needs more memory than the %ld bytes one request may use "
	    "(request_memory_bytes).", w->app.cfg->request_memory_bytes));
}

/*
 * Read-your-writes.  With db_read_conninfo, the answer to a write (not a
 * GET, 2xx) that committed something carries the primary's WAL position
 * after its commit in READ_LSN_HEADER; a GET that sends it back is served
 * by the standby only once the standby has replayed that far, else by
 * the primary.  A GET without it is served by the standby: it tolerates
 * staleness.
 */
#define READ_LSN_HEADER	"Rosterd-LSN"

/*
 * The WAL position a GET asks for: 0 and *lsn (0: none asked), or 400
 * with *msg when READ_LSN_HEADER is no WAL position.  Checked whether
 * db_read_conninfo is set or not, so that a client learns of its bad
 * value on any deployment.
 */
static int
read_lsn(struct http_req *req, uint64_t *lsn, const char **msg)
{
	const char *h = http_req_header(req, READ_LSN_HEADER);

	*lsn = 0;
	if (h == NULL)
		return 0;
	if (db_lsn_parse(h, lsn) != 0) {
		*msg = "The " READ_LSN_HEADER " header is not a WAL position "
		    "(two hexadecimal numbers separated by '/', as "
		    "0/16B3748, from a write's answer).";
		return 400;
	}
	return 0;
}

/* Whether the request's handler may read on the standby. */
static int
readable(const struct worker *w, const struct http_req *req)
{
	return w->replica != NULL && strcmp(req->method, "GET") == 0 &&
	    !(req->route->flags & (ROUTE_NO_DB | ROUTE_PRIMARY));
}

/* The standby failed: reads go to the primary for db_read_retry_ms. */
static void
replica_rest(struct worker *w)
{
	w->replica_rest = time_mono_us() + w->app.cfg->db_read_retry_ms *
	    1000LL;
	w->replica_lsn = 0;
	log_warn("the read standby (db_read_conninfo) failed: reads go to "
	    "the primary for %ld ms", w->app.cfg->db_read_retry_ms);
}

/*
 * Who serves a readable() request that asks for WAL position want (0:
 * none): the standby, unless it failed less than db_read_retry_ms ago
 * or, for want, has not replayed that far.  Its replay position is kept
 * and asked again (one round trip to the standby) only when want is
 * past it, or the standby's connection is a new one (it may be another
 * server).  *why says which case it was.
 */
static struct db *
reader(struct worker *w, struct http_req *req, uint64_t want,
    enum metrics_read *why)
{
	uint64_t lsn;
	int rc;

	if (time_mono_us() < w->replica_rest) {
		*why = METRIC_READ_BACKOFF;
		return w->primary;
	}
	if (want == 0) {
		*why = METRIC_READ_REPLICA;
		return w->replica;
	}
	if (db_conn_gen(w->replica) != w->replica_gen)
		w->replica_lsn = 0;
	if (want > w->replica_lsn) {
		if ((rc = db_replay_lsn(w->replica, req->arena, &lsn)) < 0) {
			replica_rest(w);
			*why = METRIC_READ_FALLBACK;
			return w->primary;
		}
		/* a server not in recovery: nothing says what it has */
		w->replica_lsn = rc == 0 ? lsn : 0;
		w->replica_gen = db_conn_gen(w->replica);
	}
	if (want > w->replica_lsn) {
		*why = METRIC_READ_BEHIND;
		return w->primary;
	}
	*why = METRIC_READ_REPLAYED;
	return w->replica;
}

/*
 * Runs the handler of a readable() request on whichever server reader()
 * picks.  A read that failed on the standby (no connection, an error, a
 * recovery conflict), or that asked for a WAL position and met a new
 * connection to the standby (perhaps another server, behind it), is run
 * again on the primary: reads are safe to repeat.
 */
static void
read_handler(struct worker *w, struct http_req *req, struct http_resp *resp,
    uint64_t want)
{
	enum metrics_read why;
	unsigned long failures = db_failures(w->replica);
	uint64_t gen;

	w->app.db = reader(w, req, want, &why);
	gen = db_conn_gen(w->replica);
	if (w->app.db == w->replica) {
		db_budget(w->replica, 1);
		req->route->handler(req, resp);
		db_budget(w->replica, 0);
		if (db_failures(w->replica) != failures) {
			replica_rest(w);
			why = METRIC_READ_FALLBACK;
		} else if (want != 0 && db_conn_gen(w->replica) != gen) {
			w->replica_lsn = 0;
			why = METRIC_READ_FALLBACK;
		}
		w->app.db = w->primary;
		if (why == METRIC_READ_FALLBACK) {
			http_resp_init(resp, req->arena);
			req->route->handler(req, resp);
		}
	} else
		req->route->handler(req, resp);
	w->app.db = w->primary;
	metrics_read(why);
}

/*
 * The route's work once it is matched: front line, schema, handler.
 * The memory budget holds until the handler's first statement runs
 * (db_budget()); a route without the database answers with what the
 * server has, so its budget ends with the front line.
 */
static void
dispatch(struct worker *w, struct http_req *req, struct http_resp *resp,
    FCGX_Stream *in)
{
	const char *msg = NULL, *missing;
	struct idem idem;
	uint64_t want = 0, lsn;
	char *lsn_text;
	int rc;

	if (w->replica != NULL)
		(void)db_lsn_take(w->primary);	/* this request's writes */
	if ((rc = front_line(w, req, in, &msg)) != 0 ||
	    arena_exceeded(req->arena)) {
		if (arena_exceeded(req->arena))
			memory_refusal(w, req, resp, req->route->dialect);
		else
			req->route->dialect->error(req, resp, rc,
			    msg != NULL ? msg : front_message(rc));
		return;
	}
	if (req->route->flags & ROUTE_NO_DB)
		arena_lift_budget(req->arena, 1);
	else if (db_schema(w->app.db, &missing) == DB_SCHEMA_BEHIND) {
		schema_refusal(req, resp, missing);
		return;
	}
	if (strcmp(req->method, "GET") == 0 &&
	    !(req->route->flags & ROUTE_NO_DB) &&
	    (rc = read_lsn(req, &want, &msg)) != 0) {
		req->route->dialect->error(req, resp, rc, msg);
		return;
	}
	db_budget(w->app.db, 1);
	if (idem_begin(w->app.db, req, resp, &idem) == 0) {
		/* an Idempotency-Key's reservation lifted the budget (a
		 * replay is the answer of finished work); it is not this
		 * request's work, so the budget holds again */
		if (!(req->route->flags & ROUTE_NO_DB))
			arena_lift_budget(req->arena, 0);
		if (readable(w, req))
			read_handler(w, req, resp, want);
		else
			req->route->handler(req, resp);
		if (resp->status == 0)
			req->route->dialect->error(req, resp, 500,
			    "An error has occurred.");
	}
	db_budget(w->app.db, 0);
	if (arena_exceeded(req->arena))
		memory_refusal(w, req, resp, req->route->dialect);
	idem_end(w->app.db, req, resp, &idem);
	/* committed: the host's other workers drop their auth caches now */
	if ((req->route->flags & ROUTE_AUTH_CHANGE) && resp->status >= 200 &&
	    resp->status < 300)
		metrics_auth_changed();
	/* what this write committed, for the reads after it */
	if (w->replica != NULL && strcmp(req->method, "GET") != 0 &&
	    resp->status >= 200 && resp->status < 300 &&
	    (lsn = db_lsn_take(w->primary)) != 0) {
		lsn_text = arena_alloc(req->arena, DB_LSN_STR);
		db_lsn_format(lsn, lsn_text);
		http_resp_header(resp, READ_LSN_HEADER, lsn_text);
	}
	/* the connection made for this request found the schema behind */
	if (resp->status == 503 && !(req->route->flags & ROUTE_NO_DB) &&
	    db_schema(w->app.db, &missing) == DB_SCHEMA_BEHIND)
		schema_refusal(req, resp, missing);
}

static void
process(struct worker *w, struct http_req *req, struct http_resp *resp,
    FCGX_Stream *in)
{
	const struct dialect *d;
	char allow[64];

	switch (router_match(routes, nroutes, req, allow, sizeof(allow))) {
	case ROUTE_FOUND:
		dispatch(w, req, resp, in);
		return;
	case ROUTE_BAD_METHOD:
		d = routes_dialect_for_path(req->path);
		d->error(req, resp, 405, arena_sprintf(req->arena, "The "
		    "requested resource does not support http method '%.16s'.",
		    req->method));
		http_resp_header(resp, "Allow", arena_strdup(req->arena,
		    allow));
		return;
	default:
		d = routes_dialect_for_path(req->path);
		d->error(req, resp, 404, "No HTTP resource was found that "
		    "matches the request URI.");
		return;
	}
}

/* One JSON log line per request; never a token or a body. */
static void
log_request(const struct http_req *req, const struct http_resp *resp)
{
	char ts[32];
	struct buf b;
	const char *addr = http_req_env(req, "REMOTE_ADDR");
	const char *f[][2] = {
		{ "request_id", req->request_id },
		{ "remote_addr", addr != NULL ? addr : "" },
		{ "method", req->method ? req->method : "-" },
		{ "route", req->route ? req->route->pattern : "-" },
		{ "tenant", req->tenant ? req->tenant : "" },
		{ "subject", req->authenticated ? req->principal.sub : "" },
	};
	size_t i;
	int64_t us;

	buf_init(&b, NULL);
	time_rfc3339(time_now_ms(), ts);
	buf_puts(&b, "{\"time\":\"");
	buf_puts(&b, ts);
	buf_puts(&b, "\",\"level\":\"info\",\"msg\":\"request\",\"pid\":");
	buf_put_int(&b, log_pid(), 0);
	for (i = 0; i < RS_ARRAY_LEN(f); i++) {
		buf_puts(&b, ",\"");
		buf_puts(&b, f[i][0]);
		buf_puts(&b, "\":\"");
		buf_put_json_escaped(&b, f[i][1], strlen(f[i][1]));
		buf_putc(&b, '"');
	}
	/* milliseconds with three decimals, from whole microseconds */
	us = time_mono_us() - req->start_us;
	if (us < 0)
		us = 0;
	buf_puts(&b, ",\"status\":");
	buf_put_int(&b, resp->status, 0);
	buf_puts(&b, ",\"duration_ms\":");
	buf_put_int(&b, us / 1000, 0);
	buf_putc(&b, '.');
	buf_put_int(&b, us % 1000, 3);
	buf_puts(&b, ",\"bytes\":");
	buf_put_int(&b, resp->streamed ? resp->streamed_bytes :
	    (long long)resp->body.len, 0);
	buf_putc(&b, '}');
	if (!b.failed)
		log_line(b.p, b.len);
	buf_release(&b);
}

static void
handle(struct worker *w, FCGX_Request *r)
{
	struct http_req req;
	struct http_resp resp;
	struct buf out;

	http_resp_init(&resp, w->arena);
	if (http_req_init(&req, w->arena, r->envp) != 0) {
		req.ctx = &w->app;
		dialect_plain.error(&req, &resp, 400, "Malformed request.");
	} else {
		req.ctx = &w->app;
		req.write = fcgi_write;
		req.write_ctx = r;
		process(w, &req, &resp, r->in);
	}
	if (arena_exceeded(w->arena))	/* spent before any route's work */
		memory_refusal(w, &req, &resp, req.route != NULL ?
		    req.route->dialect : req.path != NULL ?
		    routes_dialect_for_path(req.path) : &dialect_plain);
	buf_init(&out, NULL);
	if (!resp.streamed) {
		http_resp_header(&resp, "X-Request-Id", req.request_id);
		http_resp_serialize(&resp, &out);
		if (!out.failed)
			(void)fcgi_put(r, out.p, out.len);
	}
	buf_release(&out);
	if (w->app.cfg->access_log)
		log_request(&req, &resp);
	metrics_request(req.route != NULL ? (int)(req.route - routes) : -1,
	    resp.status, time_mono_us() - req.start_us);
	if (resp.body.a == NULL)
		buf_release(&resp.body);
}

/*
 * The migrations of sql_dir, which the database must have before a
 * route that needs it is served.  An unreadable sql_dir is logged and
 * leaves the schema unchecked: the worker serves whatever it finds.
 */
static void
setup_schema_check(struct worker *w, const struct config *cfg)
{
	char err[512];

	if (db_migrations_list(cfg->sql_dir, &w->migrations,
	    &w->nmigrations, err, sizeof(err)) != 0) {
		log_warn("the schema is not checked: sql_dir: %s", err);
		return;
	}
	db_set_migrations(w->app.db, w->migrations, w->nmigrations);
	if (w->replica != NULL)
		db_set_migrations(w->replica, w->migrations, w->nmigrations);
}

static void
setup(struct worker *w, const struct config *cfg, sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t term;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	/*
	 * SIGTERM and SIGINT stay blocked except inside ppoll(2), so they
	 * never interrupt libfcgi: after accept(2) it waits for the first
	 * bytes in select(2), and an EINTR there makes it close the
	 * connection it just took (nginx answers 502).
	 */
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, waitmask);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);

	memset(w, 0, sizeof(*w));
	w->app.cfg = cfg;
	w->app.db = db_new(cfg->db_conninfo, cfg->db_connect_timeout,
	    cfg->statement_timeout_ms);
	db_options(w->app.db, cfg->db_deadline_ms, cfg->db_prepared != 0);
	w->primary = w->app.db;
	if (cfg->db_read_conninfo != NULL && *cfg->db_read_conninfo != '\0') {
		w->replica = db_new(cfg->db_read_conninfo,
		    cfg->db_connect_timeout, cfg->statement_timeout_ms);
		db_options(w->replica, cfg->db_deadline_ms,
		    cfg->db_prepared != 0);
		db_standby(w->replica);
		db_track_lsn(w->primary, 1);
	}
	w->verifiers = config_verifiers(cfg);
	w->remotes = xcalloc(cfg->nissuers + 1, sizeof(*w->remotes));
	for (i = 0; i < cfg->nissuers; i++) {
		if (cfg->issuers[i].source < 0)
			continue;
		w->remotes[i].src = &cfg->jwks_sources[cfg->issuers[i].source];
		w->remotes[i].state_dir = cfg->state_dir;
		w->verifiers[i].remote_keys = worker_remote_keys;
		w->verifiers[i].refresh = worker_remote_refresh;
		w->verifiers[i].remote_ctx = &w->remotes[i];
	}
	w->trust.issuers = w->verifiers;
	w->trust.n = cfg->nissuers;
	w->trust.max_token = (size_t)cfg->max_token_bytes;
	w->arena = arena_new((size_t)cfg->request_memory_bytes);
	setup_schema_check(w, cfg);
}

/*
 * A stopping worker goes on serving the FastCGI connections nginx keeps
 * open to it, for up to keepalive_time.  When the configuration on disk
 * now judges tokens differently (a reload removed a key or changed an
 * issuer), this worker's keys are stale: it stops authenticating, so
 * that a removed key is refused at once rather than a few seconds
 * later.  Unchanged (a plain restart or a reload of other keys): it
 * serves on as before.
 */
static void
check_auth_current(struct worker *w, const struct config *cfg)
{
	unsigned char d[sizeof(cfg->auth_digest)];

	if (config_auth_digest_of(cfg->path, d) != 0 ||
	    memcmp(d, cfg->auth_digest, sizeof(d)) != 0) {
		w->auth_stale = 1;
		jwt_cache_clear(&w->jwt_cache);
		log_info("the configuration judges tokens differently now: "
		    "this stopping worker authenticates no more requests");
	}
}

/*
 * After the response: what is left of the request body is read and
 * dropped (a refused request may not have read it), so that the next
 * request on a kept connection starts at a record boundary.  More than
 * a body cap's worth: the connection is closed instead.
 */
static void
drain_stdin(FCGX_Request *r)
{
	char scratch[16384];
	size_t total = 0;
	int n;

	if (!r->keepConnection)
		return;
	while ((n = FCGX_GetStr(scratch, (int)sizeof(scratch), r->in)) > 0) {
		total += (size_t)n;
		if (total > (8u << 20)) {
			r->keepConnection = 0;
			return;
		}
	}
	if (n < 0 || FCGX_GetError(r->in) != 0)
		r->keepConnection = 0;
}

/*
 * Reads the next request on c (a kept connection, or a new one accepted
 * from the listening socket when c has none), runs it and finishes it.
 * There may be none: another worker won the race for the listening
 * socket, or nginx closed the kept connection.
 */
static void
serve(struct worker *w, FCGX_Request *c)
{
	size_t used;

	if (FCGX_Accept_r(c) < 0)
		return;
	handle(w, c);
	drain_stdin(c);
	FCGX_Finish_r(c);
	used = arena_used(w->arena);
	arena_reset(w->arena);
	if (used > WORKER_TRIM_BYTES)
		(void)malloc_trim(WORKER_TRIM_BYTES);
}

/*
 * The accept loop.  A worker keeps up to WORKER_CONNS FastCGI
 * connections open (nginx's fastcgi_keep_conn with an upstream keepalive
 * pool): it polls them and the listening socket together and serves a
 * request from whichever is ready, so a connection nginx keeps idle
 * never holds a worker that another connection waits for.  Without
 * keep_conn every connection is closed after its request, as libfcgi
 * always did.
 *
 * The listening socket is non-blocking: workers wait in ppoll(2), the
 * only place SIGTERM is let in, and a worker that loses the race for a
 * connection gets EAGAIN and waits again.  On SIGTERM a worker stops
 * accepting, finishes what it is doing and goes on serving its kept
 * connections until nginx has closed them all (the site's upstream
 * keepalive_time and keepalive_timeout bound that), or shutdown_timeout
 * is nearly over.  It never closes a kept connection itself: nginx could
 * be sending a request on it at that moment, and it does not retry a
 * POST it has sent.
 */
void
worker_run(const struct config *cfg, int lfd)
{
	struct timespec tick = { 1, 0 }, drain_tick = { 0, 100000000 };
	struct worker w;
	FCGX_Request conn[WORKER_CONNS];
	long long drain_until = 0;
	int draining = 0;
	struct pollfd pfd[WORKER_CONNS + 1];
	int slot[WORKER_CONNS + 1];
	sigset_t waitmask, pending;
	int i, n, k;

	/*
	 * A fixed mmap threshold: glibc would otherwise raise it to the
	 * size of the largest block freed (Argon2id's 19 MiB), and from
	 * then on keep such blocks in the heap: a worker that hashed one
	 * password would stay 20 MiB larger for good.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	setup(&w, cfg, &waitmask);
	if (FCGX_Init() != 0) {
		log_error("cannot initialise libfcgi");
		_exit(1);
	}
	for (i = 0; i < WORKER_CONNS; i++)
		if (FCGX_InitRequest(&conn[i], lfd,
		    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
			log_error("cannot initialise libfcgi");
			_exit(1);
		}
	/* connect and prepare up front; a statement whose table is locked
	 * is prepared at its first use instead (db_ready()), so that this
	 * worker serves, /healthz first, whatever a migration holds */
	(void)db_ready(w.app.db);
	log_info("worker ready");
	for (;;) {
		if (stopping && !draining) {
			/* nginx closes kept connections at a request boundary
			 * (keepalive_time, keepalive_timeout); closing one here
			 * could cut off a request it is sending right now. */
			draining = 1;
			/* libfcgi accepts a new connection when a kept one
			 * ends; a draining worker must take none, or under a
			 * steady load it never finishes (OS_Accept fails on
			 * -1). */
			for (i = 0; i < WORKER_CONNS; i++)
				conn[i].listen_sock = -1;
			check_auth_current(&w, cfg);
			drain_until = time_mono_us() +
			    (cfg->shutdown_timeout > 1 ?
			    cfg->shutdown_timeout - 1 : 1) * 1000000LL;
		}
		n = 0;
		for (i = 0; i < WORKER_CONNS; i++) {
			if (conn[i].ipcFd < 0)
				continue;
			pfd[n].fd = conn[i].ipcFd;
			pfd[n].events = POLLIN;
			slot[n++] = i;
		}
		if (draining && (n == 0 || time_mono_us() >= drain_until))
			break;
		if (!draining && n < WORKER_CONNS) {
			pfd[n].fd = lfd;
			pfd[n].events = POLLIN;
			slot[n++] = -1;
		}
		k = ppoll(pfd, (nfds_t)n, draining ? &drain_tick : &tick,
		    &waitmask);
		/* a second without a request: a connection that ended is
		 * replaced now, not by the next request (a write fails) */
		if (k == 0 && !draining)
			db_idle(w.app.db);
		if (k <= 0)
			continue;
		/*
		 * ppoll(2) that finds a descriptor ready returns at once and
		 * leaves a pending SIGTERM pending: under a steady load on
		 * kept connections the worker would never see it.
		 */
		if (!stopping && sigpending(&pending) == 0 &&
		    sigismember(&pending, SIGTERM)) {
			stopping = 1;
			continue;
		}
		for (k = 0; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if ((i = slot[k]) < 0) {
				if (stopping)
					continue;
				/* a free slot for the new connection */
				for (i = 0; i < WORKER_CONNS &&
				    conn[i].ipcFd >= 0; i++)
					;
				if (i == WORKER_CONNS)
					continue;
			}
			serve(&w, &conn[i]);
		}
	}
	if (n > 0)
		log_warn("stopping with %d kept FastCGI connections still open "
		    "(nginx's upstream keepalive_time should be shorter than "
		    "shutdown_timeout)", n);
	for (i = 0; i < WORKER_CONNS; i++)
		FCGX_Free(&conn[i], 1);
	jwt_cache_clear(&w.jwt_cache);
	jwks_release_all();
	free(w.verifiers);
	free(w.remotes);
	db_free(w.primary);
	db_free(w.replica);
	db_names_free(w.migrations, w.nmigrations);
	arena_free(w.arena);
	log_info("worker stopped");
	_exit(0);
}
