/*
 * router.c: matches a method and path against the route table.
 *
 * Patterns are absolute paths whose segments are literals or {name}
 * parameters.  Matching works on the raw (still percent-encoded) path,
 * segment by segment, so an encoded '/' stays inside its parameter;
 * parameters are decoded after the match.  One trailing '/' is ignored,
 * as ASP.NET and ServiceStack do.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

struct seg {
	const char	*p;
	size_t		 n;
};

/* Splits a path into at most max segments; -1 when there are more. */
static int
split(const char *path, size_t len, struct seg *segs, int max)
{
	int n = 0;
	size_t i = 0;

	if (len > 1 && path[len - 1] == '/')
		len--;
	while (i < len) {
		size_t start;

		if (path[i] != '/')
			return -1;
		start = ++i;
		while (i < len && path[i] != '/')
			i++;
		if (n >= max)
			return -1;
		segs[n].p = path + start;
		segs[n].n = i - start;
		n++;
	}
	return n;
}

static int
is_param(const struct seg *s)
{
	return s->n > 2 && s->p[0] == '{' && s->p[s->n - 1] == '}';
}

/* The length of s without a format suffix (ROUTE_FMT_SUFFIX). */
static size_t
strip_fmt_suffix(const struct seg *s)
{
	static const char *const sfx[] = { ".json", ".jsv", ".xml", ".csv" };
	size_t i, n;

	for (i = 0; i < RS_ARRAY_LEN(sfx); i++) {
		n = strlen(sfx[i]);
		if (s->n > n && strncasecmp(s->p + s->n - n, sfx[i], n) == 0)
			return s->n - n;
	}
	return s->n;
}

/* Returns 1 when the path segments match the pattern segments. */
static int
segs_match(const struct route *r, const struct seg *ps, int np,
    const struct seg *qs, int nq)
{
	struct seg last;
	int i;

	if (np != nq)
		return 0;
	for (i = 0; i < np; i++) {
		if (is_param(&ps[i])) {
			if (qs[i].n == 0)
				return 0;
			continue;
		}
		if (ps[i].n != qs[i].n && (r->flags & ROUTE_FMT_SUFFIX) &&
		    i == np - 1) {
			last = qs[i];
			last.n = strip_fmt_suffix(&qs[i]);
			if (ps[i].n != last.n)
				return 0;
			return (r->flags & ROUTE_CI) ?
			    strncasecmp(ps[i].p, last.p, last.n) == 0 :
			    strncmp(ps[i].p, last.p, last.n) == 0;
		}
		if (ps[i].n != qs[i].n)
			return 0;
		if ((r->flags & ROUTE_CI) ?
		    strncasecmp(ps[i].p, qs[i].p, qs[i].n) != 0 :
		    strncmp(ps[i].p, qs[i].p, qs[i].n) != 0)
			return 0;
	}
	return 1;
}

#define MAX_SEGS 16

/* Decodes the parameters of the matched route into req->params. */
static int
take_params(struct http_req *req, const struct seg *ps, int np,
    const struct seg *qs)
{
	int i;

	req->nparams = 0;
	for (i = 0; i < np; i++) {
		char *v;

		if (!is_param(&ps[i]))
			continue;
		if (req->nparams >= HTTP_MAX_PARAMS)
			return 0;
		v = http_percent_decode(req->arena, qs[i].p, qs[i].n);
		if (v == NULL)
			return 0;
		req->params[req->nparams++] = v;
	}
	return 1;
}

static void
add_allow(char *allow, size_t allowsz, const char *method)
{
	size_t len = strlen(allow), mlen = strlen(method);
	const char *p;

	for (p = allow; (p = strstr(p, method)) != NULL; p += mlen)
		if ((p == allow || p[-1] == ' ') &&
		    (p[mlen] == ',' || p[mlen] == '\0'))
			return;
	if (len + 2 + mlen >= allowsz)
		return;
	if (len > 0)
		strcat(allow, ", ");
	strcat(allow, method);
}

/*
 * The segment count of each pattern of the table matched last (-1: more
 * than MAX_SEGS), so that a route whose count is not the path's is passed
 * over without splitting its pattern.  A worker matches against one table
 * all its life; another table (the unit tests') is counted afresh.
 */
static const struct route *counted;
static size_t ncounted;
static signed char *counts;

static const signed char *
segment_counts(const struct route *routes, size_t n)
{
	struct seg ps[MAX_SEGS];
	size_t i;

	if (counted == routes && ncounted == n)
		return counts;
	free(counts);
	counts = xmalloc(n > 0 ? n : 1);
	for (i = 0; i < n; i++)
		counts[i] = (signed char)split(routes[i].pattern,
		    strlen(routes[i].pattern), ps, MAX_SEGS);
	counted = routes;
	ncounted = n;
	return counts;
}

/*
 * Matches req against routes[0..n).  See http.h.
 */
enum route_match
router_match(const struct route *routes, size_t n, struct http_req *req,
    char *allow, size_t allowsz)
{
	struct seg ps[MAX_SEGS], qs[MAX_SEGS];
	const char *raw = req->uri, *q;
	const signed char *count;
	int np, nq, path_seen = 0;
	size_t i;

	if (allowsz > 0)
		allow[0] = '\0';
	q = strchr(raw, '?');
	nq = split(raw, q ? (size_t)(q - raw) : strlen(raw), qs, MAX_SEGS);
	if (nq < 0)
		return ROUTE_NOT_FOUND;
	count = segment_counts(routes, n);
	for (i = 0; i < n; i++) {
		if (count[i] != nq)
			continue;
		np = split(routes[i].pattern, strlen(routes[i].pattern), ps,
		    MAX_SEGS);
		if (np < 0 || !segs_match(&routes[i], ps, np, qs, nq))
			continue;
		if (strcmp(routes[i].method, req->method) != 0) {
			path_seen = 1;
			add_allow(allow, allowsz, routes[i].method);
			continue;
		}
		if (!take_params(req, ps, np, qs))
			return ROUTE_NOT_FOUND;
		req->route = &routes[i];
		return ROUTE_FOUND;
	}
	return path_seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

/* Returns the position of {name} among r's parameters, or -1. */
int
router_param_index(const struct route *r, const char *name)
{
	struct seg ps[MAX_SEGS];
	int i, np, k = 0;
	size_t n = strlen(name);

	np = split(r->pattern, strlen(r->pattern), ps, MAX_SEGS);
	for (i = 0; i < np; i++) {
		if (!is_param(&ps[i]))
			continue;
		if (ps[i].n == n + 2 && strncmp(ps[i].p + 1, name, n) == 0)
			return k;
		k++;
	}
	return -1;
}

/* Returns the value of path parameter `name`, or NULL. */
const char *
http_req_param(const struct http_req *req, const char *name)
{
	int i;

	if (req->route == NULL)
		return NULL;
	i = router_param_index(req->route, name);
	if (i < 0 || (size_t)i >= req->nparams)
		return NULL;
	return req->params[i];
}
