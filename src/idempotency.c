/*
 * idempotency.c: Idempotency-Key on every POST.  The first
 * request with a key reserves it and its response is stored; a retry
 * with the same key and the same request gets that response again (for
 * 24 hours), marked Idempotent-Replayed; the same key with another
 * request is 422; a retry while the first is still running is 409.  A
 * 5xx is not stored, so the request can be retried for real.  Keys are
 * scoped by the tenant the request targets (the nil uuid when none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "daemon.h"
#include "dialects/dialect.h"

#define IDEM_KEY_MAX	255
#define NIL_UUID	"00000000-0000-0000-0000-000000000000"

static const char *
resp_header(const struct http_resp *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

static int
key_ok(const char *k)
{
	size_t n = strlen(k), i;

	if (n == 0 || n > IDEM_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

static char *
hex_encode(struct arena *a, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *s = arena_alloc(a, 2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = hex[(unsigned char)p[i] >> 4];
		s[2 * i + 1] = hex[(unsigned char)p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The request's identity: method, path, query, media type and body. */
static void
request_hash(const struct http_req *req, char out[65])
{
	struct buf b;

	buf_init(&b, req->arena);
	buf_printf(&b, "%s\n%s\n%s\n%s\n", req->method, req->path, req->query,
	    req->content_type ? req->content_type : "");
	buf_put(&b, req->body, req->body_len);
	token_sha256_hex(b.p ? b.p : "", b.len, out);
}

/*
 * Called after the front line, before the handler.  Returns 1 when resp
 * is the answer (a replay or a refusal), 0 to run the handler; t says
 * what idem_end must do.
 */
int
idem_begin(struct db *db, struct http_req *req, struct http_resp *resp,
    struct idem *t)
{
	const char *params[3], *key, *v;
	char hash[65];
	enum db_status st;
	PGresult *r;
	size_t i, n;
	char *body;
	int attempt;

	memset(t, 0, sizeof(*t));
	if (strcmp(req->method, "POST") != 0 ||
	    (key = http_req_header(req, "Idempotency-Key")) == NULL)
		return 0;
	if (!key_ok(key)) {
		req->route->dialect->error(req, resp, 400, "The "
		    "Idempotency-Key header must be 1 to 255 visible ASCII "
		    "characters.");
		return 1;
	}
	t->tenant = req->tenant != NULL && uuid_valid(req->tenant,
	    strlen(req->tenant)) ? req->tenant : NIL_UUID;
	t->key = key;
	request_hash(req, hash);
	params[0] = t->tenant;
	params[1] = key;
	params[2] = hash;
	/*
	 * A reservation that finds neither its own insert nor a row was
	 * racing another one: the statement waited for the other's insert
	 * and its snapshot predates it.  The other's row is committed now;
	 * a new statement sees it.  Should that race repeat, the key is
	 * busy: 409, never a second execution.
	 */
	for (attempt = 0;; attempt++) {
		if ((r = db_exec(db, req->arena, STMT_IDEM_RESERVE, params,
		    &st, NULL)) == NULL) {
			req->route->dialect->error(req, resp, 503, "The "
			    "service is unavailable; try again.");
			return 1;
		}
		if (strcmp(db_get(r, 0, "reserved"), "t") == 0) {
			t->reserved = 1;
			return 0;
		}
		if (db_get(r, 0, "same") != NULL)
			break;
		if (attempt == 1) {
			req->route->dialect->error(req, resp, 409, "A request "
			    "with this Idempotency-Key is still in progress.");
			return 1;
		}
	}
	if (strcmp(db_get(r, 0, "same"), "t") != 0) {
		req->route->dialect->error(req, resp, 422, "This "
		    "Idempotency-Key was used with a different request.");
		return 1;
	}
	if (strcmp(db_get(r, 0, "status"), "0") == 0) {
		req->route->dialect->error(req, resp, 409, "A request with "
		    "this Idempotency-Key is still in progress.");
		return 1;
	}
	resp->status = atoi(db_get(r, 0, "status"));
	resp->content_type = db_get(r, 0, "content_type");
	buf_reset(&resp->body);
	v = db_get(r, 0, "response");
	n = v ? strlen(v) / 2 : 0;
	body = arena_alloc(req->arena, n + 1);
	for (i = 0; i < n; i++)
		body[i] = (char)(hexval(v[2 * i]) << 4 | hexval(v[2 * i + 1]));
	buf_put(&resp->body, body, n);
	if ((v = db_get(r, 0, "location")) != NULL)
		http_resp_header(resp, "Location", v);
	if ((v = db_get(r, 0, "etag")) != NULL)
		http_resp_header(resp, "ETag", v);
	http_resp_header(resp, "Idempotent-Replayed", "true");
	return 1;
}

/* After the handler: store its answer, or free the key after a 5xx. */
void
idem_end(struct db *db, struct http_req *req, const struct http_resp *resp,
    const struct idem *t)
{
	const char *params[7];
	char status[16];
	enum db_status st;

	if (!t->reserved)
		return;
	params[0] = t->tenant;
	params[1] = t->key;
	if (resp->status >= 500) {
		(void)db_exec(db, req->arena, STMT_IDEM_RELEASE, params, &st,
		    NULL);
		return;
	}
	snprintf(status, sizeof(status), "%d", resp->status);
	params[2] = status;
	params[3] = resp->content_type;
	if (resp->replay_body != NULL)
		params[4] = hex_encode(req->arena, resp->replay_body,
		    strlen(resp->replay_body));
	else
		params[4] = hex_encode(req->arena, resp->body.p ?
		    resp->body.p : "", resp->body.len);
	params[5] = resp_header(resp, "Location");
	params[6] = resp_header(resp, "ETag");
	if (db_exec(db, req->arena, STMT_IDEM_STORE, params, &st, NULL) ==
	    NULL)
		log_warn("idempotency key not stored: the response was sent "
		    "but a retry will run again");
}
