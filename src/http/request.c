/*
 * request.c: the request model, built from FastCGI parameters, and the
 * bounded body read.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* Returns the FastCGI parameter `name`, or NULL. */
const char *
http_req_env(const struct http_req *req, const char *name)
{
	size_t n = strlen(name);
	char **e;

	if (req->envp == NULL)
		return NULL;
	for (e = req->envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/*
 * Returns the request header `name` as passed by the web server
 * ("X-Tenant-Id" is the parameter HTTP_X_TENANT_ID), or NULL.
 */
const char *
http_req_header(const struct http_req *req, const char *name)
{
	char key[128];
	size_t i, n = strlen(name);

	if (n + 5 >= sizeof(key))
		return NULL;
	memcpy(key, "HTTP_", 5);
	for (i = 0; i < n; i++)
		key[5 + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	key[5 + n] = '\0';
	return http_req_env(req, key);
}

/* The value of query parameter name.  See http.h. */
const char *
http_query_param(const struct http_req *req, const char *name, int flags,
    int *bad)
{
	const char *p = req->query, *amp, *eq;
	size_t nlen = strlen(name), klen;
	char *v, *s;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		klen = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', klen);
		if ((eq != NULL ? (size_t)(eq - p) : klen) == nlen &&
		    ((flags & HTTP_QUERY_ANYCASE) ?
		    strncasecmp(p, name, nlen) : memcmp(p, name, nlen)) == 0) {
			if (eq == NULL) {
				if (flags & HTTP_QUERY_BARE)
					return "";
				p = amp ? amp + 1 : NULL;
				continue;
			}
			v = arena_strndup(req->arena, eq + 1,
			    klen - nlen - 1);
			for (s = v; *s != '\0'; s++)
				if (*s == '+')
					*s = ' ';
			v = http_percent_decode(req->arena, v, strlen(v));
			if (v == NULL)
				*bad = 1;
			return v;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/*
 * Percent-decodes s[0..n) into a NUL-terminated arena string.  Returns
 * NULL on a malformed escape or an encoded NUL.  '+' stays '+' (paths).
 */
char *
http_percent_decode(struct arena *a, const char *s, size_t n)
{
	char *out, *o;
	size_t i;

	out = o = arena_alloc(a, n + 1);
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (n - i < 3)
			return NULL;
		hi = hex_value((unsigned char)s[i + 1]);
		lo = hex_value((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	/* names and values are text: invalid UTF-8 is a bad request */
	if (utf8_check(out, (size_t)(o - out)) != (size_t)(o - out))
		return NULL;
	return out;
}

static int
valid_request_id(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > HTTP_REQUEST_ID_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

/*
 * The request's ids.  request_id: the client's X-Request-Id when it is
 * sane (1 to 128 of [A-Za-z0-9._:-]), else nginx's REQUEST_ID when
 * sane, else a fresh one; it is echoed and logged.  edge_request_id:
 * nginx's REQUEST_ID alone, which a client cannot choose, so that an
 * audit row can be tied to nginx's access log line even when the
 * client's id was forged or reused.  A value failing the check is
 * never stored anywhere.
 */
static void
set_request_id(struct http_req *req)
{
	const char *id, *edge;
	char u[UUID_STR_LEN + 1];
	size_t i, j;

	edge = http_req_env(req, "REQUEST_ID");
	if (valid_request_id(edge))
		strcpy(req->edge_request_id, edge);
	id = http_req_header(req, "X-Request-Id");
	if (!valid_request_id(id))
		id = req->edge_request_id;
	if (*id != '\0')
		strcpy(req->request_id, id);
	else {
		uuid_new(u);
		for (i = j = 0; u[i] != '\0'; i++)
			if (u[i] != '-')
				req->request_id[j++] = u[i];
		req->request_id[j] = '\0';
	}
	req->audit_request_id = req->edge_request_id[0] == '\0' ?
	    req->request_id : arena_sprintf(req->arena, "%s %s",
	    req->request_id, req->edge_request_id);
}

static long long
parse_length(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	if (!isdigit((unsigned char)*s))
		return -2;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0)
		return -2;
	return v;
}

/*
 * Builds req from the FastCGI parameters envp.  Returns 0, or 400 when
 * the method or path is missing or malformed (the request id is set
 * either way, so the error can be logged and returned with it).
 */
int
http_req_init(struct http_req *req, struct arena *a, char **envp)
{
	const char *uri, *q, *ct;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->envp = envp;
	req->start_us = time_mono_us();
	req->query = "";
	set_request_id(req);
	req->method = http_req_env(req, "REQUEST_METHOD");
	uri = http_req_env(req, "REQUEST_URI");
	if (uri == NULL)
		uri = http_req_env(req, "DOCUMENT_URI");
	req->uri = uri;
	ct = http_req_env(req, "CONTENT_TYPE");
	req->content_type = ct != NULL && *ct != '\0' ? ct : NULL;
	req->content_length = parse_length(http_req_env(req,
	    "CONTENT_LENGTH"));
	if (req->method == NULL || uri == NULL || uri[0] != '/' ||
	    req->content_length == -2)
		return 400;
	q = strchr(uri, '?');
	req->path = http_percent_decode(a, uri, q ? (size_t)(q - uri) :
	    strlen(uri));
	if (q != NULL)
		req->query = q + 1;
	else if (http_req_env(req, "QUERY_STRING") != NULL)
		req->query = http_req_env(req, "QUERY_STRING");
	if (req->path == NULL)
		return 400;
	return 0;
}

/*
 * Reads the request body with fn, never more than max bytes.  See
 * http.h.
 */
int
http_req_read_body(struct http_req *req, http_read_fn fn, void *ctx,
    size_t max)
{
	struct buf b;
	char chunk[8192];
	ssize_t r;

	if (req->content_length > 0 && (unsigned long long)req->content_length
	    > max)
		return 413;
	buf_init(&b, req->arena);
	for (;;) {
		r = fn(ctx, chunk, sizeof(chunk));
		if (r < 0)
			return 400;
		if (r == 0)
			break;
		if (b.len + (size_t)r > max)
			return 413;
		buf_put(&b, chunk, (size_t)r);
	}
	if (b.failed)
		return 413;
	if (req->content_length >= 0 &&
	    (unsigned long long)req->content_length != b.len)
		return 400;
	req->body = b.p != NULL ? b.p : "";
	req->body_len = b.len;
	return 0;
}
