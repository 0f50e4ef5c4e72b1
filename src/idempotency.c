/*
 * idempotency.c: Idempotency-Key on the POST routes of an authenticated
 * caller.  The key's lock and the look-up of its stored answer open the
 * request's transaction, sent with the handler's first statement in one
 * round trip; the handler's statements run in it, and a success (2xx,
 * 3xx) is stored in it as it commits (one more round trip): all of it
 * commits, or none of it.  A handler whose only statement has a keyed
 * variant (the /v1 creates: IDEM_KEYED in statements.c) costs one round
 * trip: the lock, then the variant, which does the work and keeps its
 * row as the answer (or, when the key holds one, returns it), and the
 * commit; a replay renders the kept row through the handler again, and
 * an answer kept as a response (the other routes) is replayed as it is
 * stored.  Sent at once, that commit does not wait for the worker: a
 * worker that dies after sending it leaves the request to complete, its
 * answer kept for the retry.  A retry with the
 * same key and the same request gets that answer again (for 24 hours),
 * marked Idempotent-Replayed; the same key with another request is 422.
 * A request whose key is held by one still running waits for it (at
 * most idempotency_wait_ms), then gets its answer, runs (the first
 * failed), or is 409 with Retry-After.  A worker or a database session
 * that dies before the commit is sent leaves nothing.  A 4xx or 5xx
 * answer is not kept: the key is free again.  Keys are scoped by the
 * tenant the request targets (the nil uuid when none) and by the caller
 * (issuer and sub); on public routes the header is ignored.  The request
 * hash is an HMAC-SHA256 under the installation's secret
 * (idempotency_key_file), which is not in the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/auth.h"
#include "daemon.h"
#include "dialects/dialect.h"

#define IDEM_KEY_MAX	255
#define IDEM_SECRET_MIN	32
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

/* p[0..n) as hex text in the arena. */
static char *
hex_text(struct arena *a, const char *p, size_t n)
{
	char *s = arena_alloc(a, 2 * n + 1);

	hex_encode(p, n, s);
	return s;
}

/*
 * The installation's secret, read from idempotency_key_file once per
 * process (again when the configured path changes).  A missing file is
 * made: 32 random bytes, hex, mode 0600, linked into place whole so
 * that every process reads the same secret.  Beside it, an HMAC-SHA256
 * context keyed with it, which each request hash restarts: OpenSSL 3's
 * one-shot HMAC() looks the MAC and the digest up by name, and allocates
 * and frees its contexts, on every call, which cost a keyed request more
 * than the hash itself.
 */
static struct {
	char		 path[PATH_MAX];
	unsigned char	 key[4096];
	size_t		 len;
	EVP_MAC_CTX	*mac;
} secret;

static int
secret_path(const struct config *cfg, char *out, size_t n)
{
	const char *f = cfg->idempotency_key_file, *conf, *slash;
	int len;

	if (f == NULL || *f == '\0')
		return -1;
	if (*f == '/')
		len = snprintf(out, n, "%s", f);
	else {
		conf = cfg->path != NULL ? cfg->path : CONFIG_DEFAULT_PATH;
		slash = strrchr(conf, '/');
		len = slash == NULL ? snprintf(out, n, "%s", f) :
		    snprintf(out, n, "%.*s/%s", (int)(slash - conf), conf, f);
	}
	return len > 0 && (size_t)len < n ? 0 : -1;
}

static int
secret_make(const char *path)
{
	unsigned char r[32];
	char tmp[PATH_MAX], text[2 * sizeof(r) + 1];
	int fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	hex_encode(r, sizeof(r), text);
	text[2 * sizeof(r)] = '\n';	/* in the NUL's place */
	explicit_bzero(r, sizeof(r));
	if ((fd = mkstemp(tmp)) < 0)	/* mode 0600 */
		goto out;
	if (write(fd, text, sizeof(text)) == (ssize_t)sizeof(text) &&
	    fsync(fd) == 0 && (link(tmp, path) == 0 || errno == EEXIST))
		rc = 0;
	close(fd);
	(void)unlink(tmp);
	if (rc == 0)
		log_info("idempotency_key_file: made %s", path);
out:
	explicit_bzero(text, sizeof(text));
	return rc;
}

/* Keys secret.mac with key[0..n). */
static int
mac_init(const unsigned char *key, size_t n)
{
	static EVP_MAC *hmac;
	OSSL_PARAM params[2];

	if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	EVP_MAC_CTX_free(secret.mac);
	if ((secret.mac = EVP_MAC_CTX_new(hmac)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(secret.mac, key, n, params) != 1) {
		EVP_MAC_CTX_free(secret.mac);
		secret.mac = NULL;
		return -1;
	}
	return 0;
}

static int
secret_load(const struct config *cfg)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (secret_path(cfg, path, sizeof(path)) != 0) {
		log_error("idempotency_key_file: no usable path");
		return -1;
	}
	if (secret.len > 0 && strcmp(secret.path, path) == 0)
		return 0;
	secret.len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == ENOENT &&
	    secret_make(path) == 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("idempotency_key_file: cannot open \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	n = read(fd, secret.key, sizeof(secret.key));
	close(fd);
	if (n > 0 && secret.key[n - 1] == '\n')
		n--;
	if (n > 0 && secret.key[n - 1] == '\r')
		n--;
	if (n < IDEM_SECRET_MIN) {
		explicit_bzero(secret.key, sizeof(secret.key));
		log_error("idempotency_key_file: \"%s\" must hold at least %d "
		    "bytes", path, IDEM_SECRET_MIN);
		return -1;
	}
	if (mac_init(secret.key, (size_t)n) != 0) {
		explicit_bzero(secret.key, sizeof(secret.key));
		log_error("idempotency_key_file: HMAC-SHA256 is not available");
		return -1;
	}
	snprintf(secret.path, sizeof(secret.path), "%s", path);
	secret.len = (size_t)n;
	return 0;
}

/*
 * The request's identity, keyed: HMAC-SHA256 under the secret over the
 * method, path, query, media type and body.
 */
static void
request_hash(const struct http_req *req, char out[65])
{
	unsigned char mac[32];
	const char *head[4];
	size_t i, maclen = 0;
	EVP_MAC_CTX *c = secret.mac;
	int ok;

	head[0] = req->method;
	head[1] = req->path;
	head[2] = req->query;
	head[3] = req->content_type ? req->content_type : "";
	/* restarted with the key it holds; HMAC of memory cannot fail */
	ok = EVP_MAC_init(c, NULL, 0, NULL) == 1;
	/* each of the four, then a newline */
	for (i = 0; ok && i < 4; i++)
		ok = EVP_MAC_update(c, (const unsigned char *)head[i],
		    strlen(head[i])) == 1 &&
		    EVP_MAC_update(c, (const unsigned char *)"\n", 1) == 1;
	if (!ok ||
	    EVP_MAC_update(c, (const unsigned char *)(req->body ? req->body :
	    ""), req->body_len) != 1 ||
	    EVP_MAC_final(c, mac, &maclen, sizeof(mac)) != 1 ||
	    maclen != sizeof(mac))
		abort();
	hex_encode(mac, sizeof(mac), out);
}

static void
busy(struct http_req *req, struct http_resp *resp)
{
	req->route->dialect->error(req, resp, 409, "A request with this "
	    "Idempotency-Key is still in progress.");
	http_resp_header(resp, "Retry-After", "1");
}

static void
unavailable(struct http_req *req, struct http_resp *resp)
{
	http_resp_init(resp, req->arena);
	req->route->dialect->error(req, resp, 503, "The service is "
	    "unavailable; try again.");
}

/* Column pre + name of row 0 of r. */
static const char *
col(struct http_req *req, const PGresult *r, const char *pre,
    const char *name)
{
	return db_get(r, 0, arena_sprintf(req->arena, "%s%s", pre, name));
}

/*
 * Replaces resp with the answer stored in row 0 of r as a response:
 * columns pre + status, content_type, response (hex), location, etag.
 */
static void
replay(struct http_req *req, struct http_resp *resp, const PGresult *r,
    const char *pre)
{
	const char *v;
	size_t i, n;
	char *body;

	http_resp_init(resp, req->arena);
	resp->status = atoi(col(req, r, pre, "status"));
	resp->content_type = col(req, r, pre, "content_type");
	v = col(req, r, pre, "response");
	n = v ? strlen(v) / 2 : 0;
	body = arena_alloc(req->arena, n + 1);
	for (i = 0; i < n; i++)
		body[i] = (char)(hex_value(v[2 * i]) << 4 |
		    hex_value(v[2 * i + 1]));
	buf_put(&resp->body, body, n);
	if ((v = col(req, r, pre, "location")) != NULL)
		http_resp_header(resp, "Location", v);
	if ((v = col(req, r, pre, "etag")) != NULL)
		http_resp_header(resp, "ETag", v);
	http_resp_header(resp, "Idempotent-Replayed", "true");
}

/* The key's answer, r being its row: the same request's, or 422. */
static void
answered(struct http_req *req, struct http_resp *resp, const PGresult *r,
    const char *pre)
{
	if (strcmp(col(req, r, pre, "same"), "t") == 0) {
		replay(req, resp, r, pre);
		return;
	}
	http_resp_init(resp, req->arena);
	req->route->dialect->error(req, resp, 422, "This Idempotency-Key was "
	    "used with a different request.");
}

/*
 * ms in decimal, formatted again only when it changed (a reload): the
 * same text for every request.
 */
static const char *
wait_text(long ms)
{
	static char text[24];
	static long was = -1;

	if (ms != was) {
		snprintf(text, sizeof(text), "%ld", ms);
		was = ms;
	}
	return text;
}

/*
 * Called after the front line, before the handler.  Returns 1 when resp
 * is the answer (a refusal), 0 to run the handler; t says what idem_end
 * must do.  The key's lock and look-up are queued, not sent: they open
 * the request's transaction in the round trip of the handler's first
 * statement, and idem_end looks at their outcome.
 */
int
idem_begin(struct db *db, struct http_req *req, struct http_resp *resp,
    struct idem *t)
{
	const struct app *app = req->ctx;
	const char **lock, **look, *key;
	char *hash, *caller, *subj;

	memset(t, 0, sizeof(*t));
	if (strcmp(req->method, "POST") != 0 ||
	    req->route->right == AUTHZ_PUBLIC || !req->authenticated ||
	    (key = http_req_header(req, "Idempotency-Key")) == NULL)
		return 0;
	if (!key_ok(key)) {
		req->route->dialect->error(req, resp, 400, "The "
		    "Idempotency-Key header must be 1 to 255 visible ASCII "
		    "characters.");
		return 1;
	}
	if (secret_load(app->cfg) != 0) {
		unavailable(req, resp);
		return 1;
	}
	t->tenant = req->tenant != NULL && uuid_valid(req->tenant,
	    strlen(req->tenant)) ? req->tenant : NIL_UUID;
	/*
	 * The caller: the issuer's name and the subject, since two issuers
	 * may use the same sub for different principals (API tokens: no
	 * issuer, sub "apitoken:<id>").
	 */
	caller = arena_alloc(req->arena, 65);
	subj = arena_strcat(req->arena, req->principal.issuer != NULL ?
	    req->principal.issuer : "", "\n", req->principal.sub, NULL);
	token_sha256_hex(subj, strlen(subj), caller);
	t->caller = caller;
	t->key = key;
	hash = arena_alloc(req->arena, 65);
	request_hash(req, hash);
	t->hash = hash;
	lock = arena_alloc(req->arena, 4 * sizeof(*lock));
	lock[0] = t->tenant;
	lock[1] = t->caller;
	lock[2] = key;
	/* lock_timeout 0 would be no limit at all: "at once" is 1 ms */
	lock[3] = wait_text(app->cfg->idempotency_wait_ms > 0 ?
	    app->cfg->idempotency_wait_ms : 1);
	look = arena_alloc(req->arena, 4 * sizeof(*look));
	look[0] = t->tenant;
	look[1] = t->caller;
	look[2] = key;
	look[3] = hash;
	db_tx_queue(db, STMT_IDEM_LOCK, lock);
	db_tx_queue(db, STMT_IDEM_LOOKUP, look);
	db_tx_key(db, look);
	t->reserved = 1;
	return 0;
}

/*
 * After the handler, which ran inside the key's transaction.  The
 * look-up's outcome decides: the key was free: a success is stored and
 * everything commits, a 4xx or 5xx rolls everything back (the key is
 * free again); the key holds an answer: everything rolls back and the
 * answer is the stored one (the same request) or 422; the key is held by
 * a request still running after idempotency_wait_ms: 409.  When the
 * commit fails, or its outcome is unknown, the answer becomes 503: a
 * retry gets the stored answer or runs anew.  A 4xx or 5xx given before
 * the handler's first statement (nothing was sent) stands as it is.
 */
void
idem_end(struct db *db, struct http_req *req, struct http_resp *resp,
    const struct idem *t)
{
	const char *params[9];
	char status[16], state[6];
	const PGresult *stored;
	PGresult *r;

	if (!t->reserved)
		return;
	switch (db_tx_keyed(db, &stored, state)) {
	case DB_KEYED_NOT_RUN:
		break;
	case DB_KEYED_RAN:
	case DB_KEYED_FAILED:
		/* committed with the answer of a success, or nothing */
		return;
	case DB_KEYED_REPLAYED:
		/* the handler answered from the stored row */
		http_resp_header(resp, "Idempotent-Replayed", "true");
		return;
	case DB_KEYED_STORED:
		answered(req, resp, stored, "idem_");
		return;
	case DB_KEYED_NOT_COMMITTED:
		http_resp_init(resp, req->arena);
		if (strcmp(state, "55P03") == 0)
			busy(req, resp);
		else {
			log_warn("request with an Idempotency-Key not "
			    "committed: answered 503");
			unavailable(req, resp);
		}
		return;
	}
	if (resp->status >= 400 && !db_tx_sent(db)) {
		db_tx_rollback(db);
		return;
	}
	if ((r = db_tx_opened(db, req->arena, state)) == NULL) {
		http_resp_init(resp, req->arena);
		if (strcmp(state, "55P03") == 0)
			busy(req, resp);
		else
			unavailable(req, resp);
		return;
	}
	if (PQntuples(r) > 0) {
		db_tx_rollback(db);
		answered(req, resp, r, "");
		/* for the reads after it, as the first answer had */
		if (resp->status < 400)
			db_lsn_note(db, db_get(r, 0, "lsn"));
		return;
	}
	if (resp->status >= 400) {
		db_tx_rollback(db);
		return;
	}
	snprintf(status, sizeof(status), "%d", resp->status);
	params[0] = t->tenant;
	params[1] = t->caller;
	params[2] = t->key;
	params[3] = t->hash;
	params[4] = status;
	params[5] = resp->content_type;
	if (resp->replay_body != NULL)
		params[6] = hex_text(req->arena, resp->replay_body,
		    strlen(resp->replay_body));
	else
		params[6] = hex_text(req->arena, resp->body.p ?
		    resp->body.p : "", resp->body.len);
	params[7] = resp_header(resp, "Location");
	params[8] = resp_header(resp, "ETag");
	if (db_tx_commit(db, STMT_IDEM_STORE, params) != 0) {
		log_warn("request with an Idempotency-Key not committed: "
		    "answered 503");
		unavailable(req, resp);
	}
}
