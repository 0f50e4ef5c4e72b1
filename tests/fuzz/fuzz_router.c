/*
 * fuzz_router.c: request parsing (http/request.c: FastCGI parameters,
 * percent-decoding, Content-Length, X-Request-Id) and the router
 * (http/router.c) against the real route table, routes[] of routes.c.
 *
 * Input: line 1 the method, line 2 REQUEST_URI, further lines extra
 * FastCGI parameters ("NAME=value": CONTENT_TYPE, HTTP_X_REQUEST_ID,
 * QUERY_STRING, ...).
 *
 * Properties: http_req_init() answers 0 or 400, and on 0 the path is
 * the decoded URI up to '?', the request id is 1-128 safe characters;
 * a found route has the request's method, as many decoded, non-empty
 * parameters as its pattern has, each returned by http_req_param(), a
 * pattern with as many segments as the path; 405 lists in Allow only
 * other methods; a trailing '/' changes nothing; matching twice gives
 * the same answer; every path has a dialect for its errors.
 */
#define FUZZ_NAME "router"
#include "fuzz.h"
#include "../../src/dialects/dialect.h"

#define MAX_ENV 32

static size_t
count_segs(const char *s, size_t n)
{
	size_t i, k = 0;

	if (n > 1 && s[n - 1] == '/')
		n--;
	for (i = 0; i < n; i++)
		if (s[i] == '/')
			k++;
	return k;
}

static enum route_match
match(struct http_req *req, char *allow, size_t allowsz)
{
	req->route = NULL;
	req->nparams = 0;
	return router_match(routes, nroutes, req, allow, allowsz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size), *line, *next, *env[MAX_ENV + 1];
	char allow[64], allow2[64], name[80];
	struct http_req req;
	enum route_match m, m2;
	const struct route *r;
	const char *uri, *q, *pat, *pp;
	size_t n = 0, k, plen, i;
	int rc, pi;

	for (line = p, i = 0; line != NULL && n < MAX_ENV; i++, line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (i == 0)
			env[n++] = arena_sprintf(a, "REQUEST_METHOD=%s", line);
		else if (i == 1)
			env[n++] = arena_sprintf(a, "REQUEST_URI=%s", line);
		else
			env[n++] = line;
	}
	env[n] = NULL;
	rc = http_req_init(&req, a, env);
	if (rc != 0 && rc != 400)
		fuzz_fail("http_req_init returned %d", rc);
	k = strlen(req.request_id);
	if (k == 0 || k > HTTP_REQUEST_ID_MAX || strspn(req.request_id,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "._:-") != k)
		fuzz_fail("request id '%s'", req.request_id);
	if (rc != 0)
		goto out;
	uri = req.uri;
	if (req.method == NULL || uri == NULL || uri[0] != '/' ||
	    req.path == NULL || req.query == NULL)
		fuzz_fail("accepted without method, uri, path or query");
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (strlen(req.path) > plen)
		fuzz_fail("decoded path longer than the raw one");
	if (q != NULL && strcmp(req.query, q + 1) != 0)
		fuzz_fail("query is not the text after '?'");
	if (routes_dialect_for_path(req.path) == NULL)
		fuzz_fail("no dialect for %s", req.path);

	m = match(&req, allow, sizeof(allow));
	r = req.route;
	if (m == ROUTE_FOUND) {
		fuzz_accepted++;
		if (r == NULL || r < routes || r >= routes + nroutes)
			fuzz_fail("found without a route");
		if (strcmp(r->method, req.method) != 0)
			fuzz_fail("%s matched a %s route", req.method,
			    r->method);
		if (count_segs(r->pattern, strlen(r->pattern)) !=
		    count_segs(uri, plen))
			fuzz_fail("%s matched %s", uri, r->pattern);
		for (pp = r->pattern, k = 0; (pp = strchr(pp, '{')) != NULL;
		    pp++, k++) {
			pat = strchr(pp, '}');
			snprintf(name, sizeof(name), "%.*s",
			    (int)(pat - pp - 1), pp + 1);
			pi = router_param_index(r, name);
			if (pi != (int)k || http_req_param(&req, name) !=
			    req.params[k])
				fuzz_fail("parameter %s of %s", name,
				    r->pattern);
			if (req.params[k] == NULL || req.params[k][0] == '\0')
				fuzz_fail("empty parameter %s", name);
		}
		if (k != req.nparams)
			fuzz_fail("%zu parameters for %zu in %s",
			    req.nparams, k, r->pattern);
	} else if (m == ROUTE_BAD_METHOD) {
		if (allow[0] == '\0')
			fuzz_fail("405 without Allow");
		for (pp = allow; pp != NULL; pp = strstr(pp, ", ")) {
			if (pp != allow)
				pp += 2;
			k = strcspn(pp, ",");
			if (strlen(req.method) == k &&
			    strncmp(pp, req.method, k) == 0)
				fuzz_fail("Allow '%s' names the method",
				    allow);
		}
	} else if (m != ROUTE_NOT_FOUND)
		fuzz_fail("router_match returned %d", (int)m);

	/* the same answer twice */
	m2 = match(&req, allow2, sizeof(allow2));
	if (m2 != m || req.route != r || (m == ROUTE_BAD_METHOD &&
	    strcmp(allow, allow2) != 0))
		fuzz_fail("matching twice differs");

	/* one trailing '/' is ignored */
	if (plen > 1 && uri[plen - 1] != '/') {
		req.uri = arena_sprintf(a, "%.*s/%s", (int)plen, uri,
		    q != NULL ? q : "");
		m2 = match(&req, allow2, sizeof(allow2));
		if (m2 != m || req.route != r)
			fuzz_fail("%s and %s match differently", uri,
			    req.uri);
	}
out:
	arena_reset(a);
	return 0;
}
