/*
 * http.h: the request model (built from FastCGI parameters), the
 * response model (serialised as a CGI response), and the route table
 * matcher.  Nothing here depends on libfcgi, so all of it is unit-tested
 * with plain arrays.
 */
#ifndef ROSTERD_HTTP_H
#define ROSTERD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../auth/auth.h"
#include "../util/util.h"

#define HTTP_MAX_PARAMS 4	/* path parameters in one route */
#define HTTP_MAX_RESP_HEADERS 16
#define HTTP_REQUEST_ID_MAX 128

struct route;
struct http_req;
struct http_resp;
struct dialect;

/*
 * A route handler.  It fills resp (status, body, content type) and
 * returns nothing: the status it set is what is sent and logged.
 */
typedef void (*route_handler)(struct http_req *req, struct http_resp *resp);

/* Writes n bytes of the response: 0, or -1 when the client is gone. */
typedef int (*http_write_fn)(void *ctx, const char *p, size_t n);

enum route_flags {
	ROUTE_CI = 1u << 0,	/* literal segments match without case */
	ROUTE_BULK = 1u << 1,	/* bodies up to max_bulk_body_bytes */
	/*
	 * The last segment may end in a format suffix (.json .jsv .xml
	 * .csv, any case) that matching ignores, as ServiceStack's
	 * AllowRouteContentTypeExtensions does; the handler reads it.
	 */
	ROUTE_FMT_SUFFIX = 1u << 2,
	/*
	 * Served without the database's tables (health, metrics, the
	 * OpenAPI document): answered while the schema is behind.
	 */
	ROUTE_NO_DB = 1u << 3,
	/*
	 * Kibo's x-vol-tenant header may name the tenant (checked by
	 * kibo_vol_tenant() before the route's right).
	 */
	ROUTE_VOL_TENANT = 1u << 4,
	/*
	 * A GET served by the primary even with db_read_conninfo: what
	 * decides who is trusted (API tokens, tenant aliases) is never
	 * read stale.
	 */
	ROUTE_PRIMARY = 1u << 5,
	/*
	 * A file upload: a body up to import_max_upload_bytes, held in
	 * the request's memory outside request_memory_bytes.
	 */
	ROUTE_UPLOAD = 1u << 6,
	/*
	 * Changes what authenticates (API tokens, tenant aliases, a
	 * tenant): once it has committed, every worker of the host drops
	 * its caches (metrics_auth_changed()).
	 */
	ROUTE_AUTH_CHANGE = 1u << 7,
};

struct route {
	const char	*method;	/* "GET", "POST", ... */
	const char	*pattern;	/* "/api/organizations/{organizationId}/users" */
	unsigned	 flags;		/* enum route_flags */
	enum authz_right right;		/* checked before the handler runs */
	const char	*tenant_param;	/* path parameter naming the tenant */
	const struct dialect *dialect;	/* error shapes for this route */
	route_handler	 handler;
};

/*
 * Error rendering of a wire dialect, used for the failures the request
 * path itself detects (401, 403, 404, 405, 413, 415, 503) so that they
 * come out in the dialect's own shape.
 */
struct dialect {
	const char	*name;
	void		(*error)(struct http_req *req, struct http_resp *resp,
			    int status, const char *message);
};

struct http_req {
	struct arena	*arena;		/* everything below lives here */
	char		**envp;		/* FastCGI parameters, NAME=value */
	const char	*method;
	const char	*uri;		/* REQUEST_URI as received */
	const char	*path;		/* percent-decoded path, no query */
	const char	*query;		/* raw query string, "" if none */
	const char	*content_type;	/* CONTENT_TYPE or NULL */
	long long	 content_length;/* CONTENT_LENGTH, -1 if absent */
	const char	*body;		/* NUL-terminated, body_len bytes */
	size_t		 body_len;
	/* the client's X-Request-Id when valid, else nginx's, else made */
	char		 request_id[HTTP_REQUEST_ID_MAX + 1];
	/* nginx's own id (FastCGI REQUEST_ID) when valid, else "" */
	char		 edge_request_id[HTTP_REQUEST_ID_MAX + 1];
	/*
	 * What a statement stores as the audit row's request id:
	 * request_id, then a space and edge_request_id when there is one
	 * (the audit_log trigger splits the two into their columns).
	 */
	const char	*audit_request_id;
	const struct route *route;	/* NULL until matched */
	const char	*params[HTTP_MAX_PARAMS];	/* decoded values */
	size_t		 nparams;
	struct principal principal;	/* valid when authenticated */
	int		 authenticated;
	const char	*tenant;	/* the tenant the request targets */
	int64_t		 start_us;	/* time_mono_us() at start */
	void		*ctx;		/* the worker's state (db, config) */
	const char	*base_url;	/* a dialect's, made once; NULL until */
	/*
	 * The response stream, for a handler that writes its response
	 * itself as it goes (http_resp.streamed); NULL outside a worker.
	 */
	http_write_fn	 write;
	void		*write_ctx;
};

struct http_resp {
	int		 status;	/* 0 until set */
	const char	*content_type;	/* NULL: no body */
	struct buf	 body;
	struct {
		const char *name;
		const char *value;
	}		 headers[HTTP_MAX_RESP_HEADERS];
	size_t		 nheaders;
	/*
	 * What an Idempotency-Key replay may return instead of body, when
	 * body holds a secret shown only once (an invite's token); NULL:
	 * the body itself.
	 */
	const char	*replay_body;
	/*
	 * The handler wrote the whole CGI response itself through
	 * req->write (a streamed export): nothing more is sent.
	 */
	int		 streamed;
	long long	 streamed_bytes;	/* for the access log */
};

/* request.c */

/*
 * Builds req from FastCGI parameters.  Returns 0, or an HTTP status
 * (400) when the request line itself is unusable.
 */
int http_req_init(struct http_req *req, struct arena *a, char **envp)
    RS_MUSTCHECK;
/* Returns the FastCGI parameter `name` (e.g. "REQUEST_METHOD") or NULL. */
const char *http_req_env(const struct http_req *req, const char *name);
/* Returns the request header `name` ("X-Tenant-Id") or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
/* Returns the path parameter `name` of the matched route, or NULL. */
const char *http_req_param(const struct http_req *req, const char *name);

/* Reads up to n bytes of body; returns bytes read, 0 at end, -1 on error. */
typedef ssize_t (*http_read_fn)(void *ctx, char *p, size_t n);

/*
 * Reads the body through fn, refusing more than max bytes: a declared
 * CONTENT_LENGTH over max is refused before reading anything.  Returns
 * 0, 413 (too large) or 400 (short or failed read).
 */
int http_req_read_body(struct http_req *req, http_read_fn fn, void *ctx,
    size_t max) RS_MUSTCHECK;

/* response.c */
void http_resp_init(struct http_resp *resp, struct arena *a);
void http_resp_header(struct http_resp *resp, const char *name,
    const char *value);
/* Sets status, content type and body (copied) in one call. */
void http_resp_set(struct http_resp *resp, int status, const char *ctype,
    const char *body, size_t len);
/* Serialises resp as a CGI response ("Status: ..." + headers + body). */
void http_resp_serialize(const struct http_resp *resp, struct buf *out);
const char *http_status_text(int status);

/* router.c */
enum route_match {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND,
	ROUTE_BAD_METHOD,	/* the path exists with other methods */
};

/*
 * Finds the route for req->method and req->path in routes[0..n).  On
 * ROUTE_FOUND sets req->route and req->params.  On ROUTE_BAD_METHOD
 * writes the allowed methods ("GET, POST") into allow[allowsz].
 */
enum route_match router_match(const struct route *routes, size_t n,
    struct http_req *req, char *allow, size_t allowsz);
/* Returns the index of the parameter `name` in r's pattern, or -1. */
int router_param_index(const struct route *r, const char *name);

/*
 * Percent-decodes s[0..n) into the arena; NULL on a bad escape, a NUL or
 * invalid UTF-8 in the result.
 */
char *http_percent_decode(struct arena *a, const char *s, size_t n);

/* Flags of http_query_param(). */
#define HTTP_QUERY_ANYCASE	0x1	/* the name in any case */
#define HTTP_QUERY_BARE		0x2	/* "&name" (no '='): present, "" */

/*
 * The decoded value of query parameter `name` of req (the first one; '+'
 * is a space, then %XX), or NULL when absent.  *bad is set when it is
 * present but not decodable.
 */
const char *http_query_param(const struct http_req *req, const char *name,
    int flags, int *bad);

#endif
