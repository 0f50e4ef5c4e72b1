/*
 * jwks.c: fetched key sets.  The fetcher process keeps
 * <state_dir>/jwks/<name>.json current for every remote source (libcurl,
 * HTTPS only); workers load that file when it changes and ask for a
 * refetch with a datagram to <state_dir>/jwks/refresh.sock.  See jwks.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <yajl/yajl_tree.h>

#include "jwks.h"

#define JWKS_DIR		"jwks"
#define JWKS_SOCK		"refresh.sock"
#define JWKS_MAX_DOC		(1024L * 1024)	/* as jwt_keys_from_jwks() */
#define JWKS_MAX_DISCOVERY	(256L * 1024)
#define JWKS_CONNECT_TIMEOUT	10L	/* seconds, TLS handshake included */
#define JWKS_TOTAL_TIMEOUT	20L	/* seconds, one request */
#define JWKS_BACKOFF_FIRST	5L	/* seconds after the first failure */
#define JWKS_BACKOFF_MAX	300L
#define JWKS_MAX_LOGGED_KIDS	16
#define JWKS_NAME_MAX		64
#define SEC_US			1000000LL

/* ------------------------------------------------------------------ */
/* Shared helpers */

int
jwks_name_ok(const char *name)
{
	size_t i, n;

	if (name == NULL || (n = strlen(name)) == 0 || n > JWKS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		    name[i] == '-'))
			return 0;
	return 1;
}

/* state_dir "/jwks/" name suffix into out; -1 when it does not fit. */
static int
jwks_path(char *out, size_t outsz, const char *state_dir, const char *name,
    const char *suffix)
{
	int r;

	r = snprintf(out, outsz, "%s/" JWKS_DIR "/%s%s", state_dir, name,
	    suffix);
	return r < 0 || (size_t)r >= outsz ? -1 : 0;
}

/*
 * Drops the HMAC keys of keys[0..n) (a published key set is public: a
 * shared secret in it would let anybody sign).  Returns the number of
 * public keys left at the front of the array.
 */
static size_t
jwks_public_only(struct jwt_key *keys, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (keys[i].pkey == NULL)
			jwt_key_clear(&keys[i]);
		else
			keys[j++] = keys[i];
	}
	return j;
}

/* ------------------------------------------------------------------ */
/* Worker side */

struct jwks_loaded {
	char		*state_dir;
	char		*name;
	char		 path[PATH_MAX];
	struct jwt_key	*keys;		/* public keys only */
	size_t		 n;
	int		 seen;		/* the identity below is set */
	dev_t		 dev;		/* the file last loaded or refused */
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
	int64_t		 checked_us;	/* last stat(2), monotonic; 0: never */
	int64_t		 asked_us;	/* last refetch request */
};

static struct jwks_loaded *jwks_set;
static size_t jwks_nset;
static int jwks_req_fd = -1;

static struct jwks_loaded *
jwks_loaded_of(const struct jwks_source *src, const char *state_dir)
{
	struct jwks_loaded *l;
	size_t i;

	for (i = 0; i < jwks_nset; i++) {
		l = &jwks_set[i];
		if (strcmp(l->name, src->name) == 0 &&
		    strcmp(l->state_dir, state_dir) == 0)
			return l;
	}
	jwks_set = xrealloc(jwks_set, (jwks_nset + 1) * sizeof(*jwks_set));
	l = &jwks_set[jwks_nset++];
	memset(l, 0, sizeof(*l));
	l->state_dir = xstrdup(state_dir);
	l->name = xstrdup(src->name);
	if (jwks_path(l->path, sizeof(l->path), state_dir, src->name,
	    ".json") != 0)
		l->path[0] = '\0';
	return l;
}

static int
jwks_same_file(const struct jwks_loaded *l, const struct stat *st)
{
	return l->seen && l->dev == st->st_dev && l->ino == st->st_ino &&
	    l->size == st->st_size && l->mtim.tv_sec == st->st_mtim.tv_sec &&
	    l->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* Loads l->path when it is not the file seen last. */
static void
jwks_reload(struct jwks_loaded *l)
{
	struct jwt_key *keys;
	struct stat st;
	size_t n;
	char err[512];

	if (l->path[0] == '\0' || stat(l->path, &st) != 0 ||
	    jwks_same_file(l, &st))
		return;
	l->seen = 1;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->size = st.st_size;
	l->mtim = st.st_mtim;
	if (jwt_keys_from_jwks(l->path, &keys, &n, err, sizeof(err)) != 0) {
		log_warn("jwks: issuer %s: %s; keeping the %zu keys loaded "
		    "before", l->name, err, l->n);
		return;
	}
	if ((n = jwks_public_only(keys, n)) == 0) {
		jwt_keys_free(keys, n);
		log_warn("jwks: issuer %s: \"%s\" holds no public signing key; "
		    "keeping the %zu keys loaded before", l->name, l->path,
		    l->n);
		return;
	}
	jwt_keys_free(l->keys, l->n);
	l->keys = keys;
	l->n = n;
	log_debug("jwks: issuer %s: %zu keys loaded", l->name, n);
}

int
jwks_current(const struct jwks_source *src, const char *state_dir,
    const struct jwt_key **keys, size_t *n)
{
	struct jwks_loaded *l;
	int64_t now;

	if (src == NULL || !jwks_name_ok(src->name) || state_dir == NULL ||
	    keys == NULL || n == NULL)
		return -1;
	l = jwks_loaded_of(src, state_dir);
	now = time_mono_us();
	if (l->checked_us == 0 || now - l->checked_us >= SEC_US) {
		l->checked_us = now;
		jwks_reload(l);
	}
	*keys = l->keys;
	*n = l->n;
	return 0;
}

void
jwks_request_refresh(const struct jwks_source *src, const char *state_dir)
{
	struct sockaddr_un sa;
	struct jwks_loaded *l;
	int64_t now;
	int r;

	if (src == NULL || !jwks_name_ok(src->name) || state_dir == NULL)
		return;
	l = jwks_loaded_of(src, state_dir);
	/*
	 * The fetcher may have installed the new set already (on its
	 * schedule, or for another worker's request): look at the file
	 * again on the next jwks_current() rather than up to a second late.
	 */
	l->checked_us = 0;
	now = time_mono_us();
	if (l->asked_us != 0 && now - l->asked_us < SEC_US)
		return;
	l->asked_us = now;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" JWKS_DIR "/"
	    JWKS_SOCK, state_dir);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path))
		return;
	if (jwks_req_fd < 0)
		jwks_req_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (jwks_req_fd < 0)
		return;
	if (sendto(jwks_req_fd, src->name, strlen(src->name), MSG_DONTWAIT,
	    (struct sockaddr *)&sa, sizeof(sa)) < 0)
		log_debug("jwks: issuer %s: refetch request not sent: %s",
		    src->name, strerror(errno));
}

void
jwks_release_all(void)
{
	size_t i;

	for (i = 0; i < jwks_nset; i++) {
		jwt_keys_free(jwks_set[i].keys, jwks_set[i].n);
		free(jwks_set[i].state_dir);
		free(jwks_set[i].name);
	}
	free(jwks_set);
	jwks_set = NULL;
	jwks_nset = 0;
	if (jwks_req_fd >= 0)
		close(jwks_req_fd);
	jwks_req_fd = -1;
}

static int64_t
jwks_int(yajl_val tree, const char *name)
{
	const char *path[] = { name, NULL };
	yajl_val v = yajl_tree_get(tree, path, yajl_t_number);

	return v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 ?
	    YAJL_GET_INTEGER(v) : 0;
}

int
jwks_status_read(const struct jwks_source *src, const char *state_dir,
    struct jwks_status *st)
{
	const char *kpath[] = { "kids", NULL };
	char path[PATH_MAX], text[65536], perr[64];
	yajl_val tree, kids;
	size_t n;
	FILE *fp;

	memset(st, 0, sizeof(*st));
	if (src == NULL || !jwks_name_ok(src->name) || state_dir == NULL ||
	    jwks_path(path, sizeof(path), state_dir, src->name,
	    ".status.json") != 0 || (fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	if ((tree = yajl_tree_parse(text, perr, sizeof(perr))) == NULL)
		return -1;
	st->last_attempt_ms = jwks_int(tree, "last_attempt_ms");
	st->last_success_ms = jwks_int(tree, "last_success_ms");
	st->failures = (long)jwks_int(tree, "failures");
	kids = yajl_tree_get(tree, kpath, yajl_t_array);
	st->nkeys = kids != NULL ? (long)kids->u.array.len : 0;
	yajl_tree_free(tree);
	return st->last_attempt_ms > 0 ? 0 : -1;
}

void
jwks_metrics_render(struct buf *b, struct arena *a,
    const struct jwks_source *srcs, size_t n, const char *state_dir)
{
	static const struct {
		const char	*name;
		const char	*help;
	} fam[] = {
		{ "rosterd_jwks_keys", "Public keys the workers verify the "
		    "issuer's tokens with (the fetched set in state_dir); 0: "
		    "none, its tokens are refused." },
		{ "rosterd_jwks_last_attempt_timestamp_seconds", "When the key "
		    "fetcher last finished a fetch of the issuer's keys, "
		    "successful or not (unix time); 0: not yet." },
		{ "rosterd_jwks_last_success_timestamp_seconds", "When the key "
		    "fetcher last installed or confirmed the issuer's keys "
		    "(unix time); 0: not since it started." },
		{ "rosterd_jwks_consecutive_failures", "Failed fetches of the "
		    "issuer's keys since the last success." },
	};
	struct jwks_status *st;
	const struct jwt_key *keys;
	size_t *nkeys, i, f;

	if (n == 0 || srcs == NULL || state_dir == NULL)
		return;
	st = arena_allocarray(a, n, sizeof(*st));
	nkeys = arena_allocarray(a, n, sizeof(*nkeys));
	if (st == NULL || nkeys == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (jwks_status_read(&srcs[i], state_dir, &st[i]) != 0)
			memset(&st[i], 0, sizeof(st[i]));
		if (jwks_current(&srcs[i], state_dir, &keys, &nkeys[i]) != 0)
			nkeys[i] = 0;
	}
	for (f = 0; f < RS_ARRAY_LEN(fam); f++) {
		buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", fam[f].name,
		    fam[f].help, fam[f].name);
		for (i = 0; i < n; i++) {
			/* names are [a-z0-9_-]: nothing to escape */
			buf_printf(b, "%s{issuer=\"%s\"} ", fam[f].name,
			    srcs[i].name);
			switch (f) {
			case 0:
				buf_printf(b, "%zu\n", nkeys[i]);
				break;
			case 1:
			case 2:
				buf_printf(b, "%.3f\n", (double)(f == 1 ?
				    st[i].last_attempt_ms :
				    st[i].last_success_ms) / 1000.0);
				break;
			default:
				buf_printf(b, "%ld\n", st[i].failures);
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Pure parts of the fetcher */

char *
jwks_discovery_url(const char *iss)
{
	size_t n = strlen(iss);
	char *url;

	while (n > 0 && iss[n - 1] == '/')
		n--;
	url = xmalloc(n + sizeof("/.well-known/openid-configuration"));
	memcpy(url, iss, n);
	strcpy(url + n, "/.well-known/openid-configuration");
	return url;
}

static int
jwks_is_https(const char *s)
{
	return strncasecmp(s, "https://", 8) == 0 && s[8] != '\0' &&
	    s[8] != '/';
}

char *
jwks_discovery_parse(const char *doc, size_t len, const char *iss,
    char *err, size_t errsz)
{
	const char *ipath[] = { "issuer", NULL }, *upath[] = { "jwks_uri",
	    NULL };
	yajl_val tree, issv, uriv;
	char *text, perr[128], *uri = NULL;

	text = xstrndup(doc, len);
	if (strlen(text) != len || strstr(text, "\\u0000") != NULL) {
		/* yajl's strings end at an escaped NUL: refuse any NUL */
		free(text);
		snprintf(err, errsz, "discovery document: holds a NUL");
		return NULL;
	}
	tree = yajl_tree_parse(text, perr, sizeof(perr));
	free(text);
	if (tree == NULL || !YAJL_IS_OBJECT(tree)) {
		snprintf(err, errsz, "discovery document: not a JSON object");
		goto out;
	}
	issv = yajl_tree_get(tree, ipath, yajl_t_string);
	uriv = yajl_tree_get(tree, upath, yajl_t_string);
	if (issv == NULL || strcmp(issv->u.string, iss) != 0)
		snprintf(err, errsz, "discovery document: \"issuer\" is not "
		    "\"%s\"", iss);
	else if (uriv == NULL)
		snprintf(err, errsz, "discovery document: no \"jwks_uri\"");
	else if (!jwks_is_https(uriv->u.string))
		snprintf(err, errsz, "discovery document: jwks_uri \"%.200s\" "
		    "is not an https URL", uriv->u.string);
	else
		uri = xstrdup(uriv->u.string);
out:
	yajl_tree_free(tree);
	return uri;
}

long
jwks_max_age(const char *value)
{
	const char *p = value;
	long age = -1;
	char *end;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		if (strncasecmp(p, "no-store", 8) == 0 ||
		    strncasecmp(p, "no-cache", 8) == 0)
			return -1;
		if (strncasecmp(p, "max-age=", 8) == 0 && p[8] >= '0' &&
		    p[8] <= '9') {
			errno = 0;
			age = strtol(p + 8, &end, 10);
			if (errno != 0 || age < 0)
				age = LONG_MAX;
		}
		p = strchr(p, ',');
	}
	return age;
}

long
jwks_next_delay(const struct jwks_source *src, long failures, long max_age)
{
	long d, cap;

	if (failures <= 0) {
		if (max_age < 0 || max_age >= src->refresh_seconds)
			return src->refresh_seconds;
		return max_age > src->min_refetch_seconds ? max_age :
		    src->min_refetch_seconds;
	}
	cap = src->refresh_seconds < JWKS_BACKOFF_MAX ?
	    src->refresh_seconds : JWKS_BACKOFF_MAX;
	d = JWKS_BACKOFF_FIRST;
	while (--failures > 0 && d < cap)
		d *= 2;
	d = d < cap ? d : cap;
	return d > 1 ? d : 1;
}

/* ------------------------------------------------------------------ */
/* The fetcher process */

/* A response body being received, at most max bytes. */
struct jwks_resp {
	struct buf	 body;
	size_t		 max;
	int		 too_large;
	long		 max_age;	/* Cache-Control, -1: none */
};

enum jwks_step {
	JWKS_IDLE = 0,
	JWKS_DISCOVERY,		/* GET {iss}/.well-known/openid-configuration */
	JWKS_KEYS,		/* GET jwks_uri */
};

struct jwks_fsrc {
	const struct jwks_source *src;
	char		 path[PATH_MAX];	/* <name>.json */
	char		 status[PATH_MAX];	/* <name>.status.json */
	int64_t		 due_us;	/* next fetch, monotonic */
	int64_t		 began_us;	/* start of the last fetch; 0: none */
	long		 failures;	/* in a row */
	int64_t		 ok_ms;		/* last success, wall clock; 0: none */
	char		*kids;		/* JSON array of the last good set */
	char		*uri;		/* jwks_uri of the last fetch, or NULL */
	/* the fetch in flight */
	enum jwks_step	 step;
	int		 asked;		/* a refetch was asked meanwhile */
	CURL		*easy;		/* made at the first fetch, kept */
	char		*url;		/* being fetched */
	struct jwks_resp resp;
	char		 cerr[CURL_ERROR_SIZE];
};

struct jwks_fetcher {
	struct jwks_fsrc *s;
	size_t		 n;
	char		 dir[PATH_MAX];	/* <state_dir>/jwks */
	char		 sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t		 sock_ino;	/* of the socket we bound */
	int		 sfd;		/* signalfd: SIGTERM, SIGINT */
	int		 rfd;		/* refetch requests, or -1 */
	int		 stopping;
	CURLM		*multi;		/* every source's transfer at once */
	struct curl_slist *hdrs;
};

static size_t
jwks_write_cb(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct jwks_resp *r = arg;
	size_t n = sz * nmemb;

	if (n > r->max || r->body.len > r->max - n) {
		r->too_large = 1;
		return 0;	/* aborts the transfer */
	}
	buf_put(&r->body, p, n);
	return n;
}

static size_t
jwks_header_cb(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct jwks_resp *r = arg;
	size_t n = sz * nmemb;
	char line[512];

	if (n > 14 && n < sizeof(line) && strncasecmp(p, "cache-control:",
	    14) == 0) {
		memcpy(line, p + 14, n - 14);
		line[n - 14] = '\0';
		r->max_age = jwks_max_age(line);
	}
	return n;
}

/*
 * Starts a GET of url (https only, redirects to https only) for s, its
 * body limited to max bytes.  Returns 0, or -1 with a message in err.
 */
static int
jwks_request(struct jwks_fetcher *f, struct jwks_fsrc *s, const char *url,
    size_t max, char *err, size_t errsz)
{
	CURL *c;

	buf_release(&s->resp.body);
	buf_init(&s->resp.body, NULL);
	s->resp.max = max;
	s->resp.too_large = 0;
	s->resp.max_age = -1;
	s->cerr[0] = '\0';
	free(s->url);
	s->url = xstrdup(url);
	if (s->easy == NULL && (s->easy = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "%s: cannot start a transfer", url);
		return -1;
	}
	c = s->easy;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, s);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (s->src->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->src->ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, JWKS_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, JWKS_TOTAL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "rosterd/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, jwks_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s->resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, jwks_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s->resp);
	if (curl_multi_add_handle(f->multi, c) != CURLM_OK) {
		snprintf(err, errsz, "%s: cannot start a transfer", url);
		return -1;
	}
	return 0;
}

/* How s's finished transfer went: 0 on a 200, or -1 with err set. */
static int
jwks_response(struct jwks_fsrc *s, CURLcode rc, char *err, size_t errsz)
{
	long status = 0;

	if (rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errsz, "%s: declares a body larger than %zu "
		    "bytes", s->url, s->resp.max);
		return -1;
	}
	if (s->resp.too_large) {
		snprintf(err, errsz, "%s: sent more than %zu bytes", s->url,
		    s->resp.max);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errsz, "%s: %s", s->url, s->cerr[0] != '\0' ?
		    s->cerr : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, errsz, "%s: HTTP status %ld", s->url, status);
		return -1;
	}
	return 0;
}

/* Writes p[0..n) to a new file dir/.<name>.XXXXXX (mode 0640). */
static int
jwks_write_tmp(const char *dir, const char *name, const void *p, size_t n,
    char *tmp, size_t tmpsz)
{
	ssize_t w;
	size_t off = 0;
	int fd, r;

	r = snprintf(tmp, tmpsz, "%s/.%s.XXXXXX", dir, name);
	if (r < 0 || (size_t)r >= tmpsz || (fd = mkostemp(tmp,
	    O_CLOEXEC)) < 0)
		return -1;
	r = fchmod(fd, 0640);
	while (r == 0 && off < n) {
		w = write(fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = -1;
		else
			off += (size_t)w;
	}
	if (r == 0)
		r = fsync(fd);
	if (close(fd) != 0)
		r = -1;
	if (r != 0)
		unlink(tmp);
	return r;
}

/* 1 when the file at path holds exactly p[0..n). */
static int
jwks_same_content(const char *path, const char *p, size_t n)
{
	struct buf b;
	char chunk[8192];
	size_t got;
	FILE *fp;
	int same;

	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	buf_init(&b, NULL);
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0 &&
	    b.len <= n)
		buf_put(&b, chunk, got);
	same = !ferror(fp) && b.len == n && (n == 0 || memcmp(b.p, p,
	    n) == 0);
	fclose(fp);
	buf_release(&b);
	return same;
}

/* The kids of keys[0..n) as a JSON array into b ("" for a key without). */
static void
jwks_kids_json(struct buf *b, const struct jwt_key *keys, size_t n)
{
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_putc(b, '"');
		if (keys[i].kid != NULL)
			buf_put_json_escaped(b, keys[i].kid,
			    strlen(keys[i].kid));
		buf_putc(b, '"');
	}
	buf_putc(b, ']');
}

/*
 * Checks a fetched document as workers will load it and, when good,
 * makes it s's file.  Returns 0, or -1 with a message in err.
 */
static int
jwks_install(struct jwks_fetcher *f, struct jwks_fsrc *s, const char *doc,
    size_t len, char *err, size_t errsz)
{
	struct jwt_key *keys = NULL;
	struct buf kids;
	size_t n = 0, npub;
	char tmp[PATH_MAX], lerr[400];
	const char *why;
	int rc = -1, changed = 0;

	if (jwks_write_tmp(f->dir, s->src->name, doc, len, tmp,
	    sizeof(tmp)) != 0) {
		snprintf(err, errsz, "cannot write in %.300s: %s", f->dir,
		    strerror(errno));
		return -1;
	}
	buf_init(&kids, NULL);
	if (jwt_keys_from_jwks(tmp, &keys, &n, lerr, sizeof(lerr)) != 0) {
		/* the loader names the file: the temporary one, of no use */
		why = lerr;
		if (lerr[0] == '"' && strncmp(lerr + 1, tmp, strlen(tmp)) == 0 &&
		    strncmp(lerr + 1 + strlen(tmp), "\": ", 3) == 0)
			why = lerr + 1 + strlen(tmp) + 3;
		snprintf(err, errsz, "%s: key set refused: %s", s->uri, why);
		goto out;
	}
	if ((npub = jwks_public_only(keys, n)) != n) {
		snprintf(err, errsz, "%s: key set refused: it holds a shared "
		    "secret (\"oct\" key)", s->uri);
		n = npub;
		goto out;
	}
	if (n == 0) {
		snprintf(err, errsz, "%s: key set refused: no signing key",
		    s->uri);
		goto out;
	}
	changed = !jwks_same_content(s->path, doc, len);
	if (changed && rename(tmp, s->path) != 0) {
		snprintf(err, errsz, "cannot rename to %.300s: %s", s->path,
		    strerror(errno));
		goto out;
	}
	jwks_kids_json(&kids, keys, n);
	free(s->kids);
	s->kids = xstrndup(kids.p, kids.len);
	log_info("jwks: issuer %s: %zu keys %s from %s, kids %.*s%s",
	    s->src->name, n, changed ? "installed" : "unchanged", s->uri,
	    (int)(kids.len < 80 * JWKS_MAX_LOGGED_KIDS ? kids.len :
	    80 * JWKS_MAX_LOGGED_KIDS), kids.p,
	    kids.len < 80 * JWKS_MAX_LOGGED_KIDS ? "" : "...");
	rc = 0;
out:
	if (rc != 0 || !changed)
		unlink(tmp);
	buf_release(&kids);
	jwt_keys_free(keys, n);
	return rc;
}

/* Rewrites s's status file (best effort). */
static void
jwks_write_status(struct jwks_fetcher *f, const struct jwks_fsrc *s,
    const char *error)
{
	struct buf b;
	char ts[32], tmp[PATH_MAX];
	int64_t now_ms = time_now_ms();

	buf_init(&b, NULL);
	buf_puts(&b, "{\"issuer\":\"");
	buf_put_json_escaped(&b, s->src->name, strlen(s->src->name));
	buf_puts(&b, "\",\"jwks_uri\":");
	if (s->uri != NULL) {
		buf_putc(&b, '"');
		buf_put_json_escaped(&b, s->uri, strlen(s->uri));
		buf_putc(&b, '"');
	} else
		buf_puts(&b, "null");
	time_rfc3339(now_ms, ts);
	buf_printf(&b, ",\"last_attempt\":\"%s\",\"last_success\":", ts);
	if (s->ok_ms != 0) {
		time_rfc3339(s->ok_ms, ts);
		buf_printf(&b, "\"%s\"", ts);
	} else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"last_error\":");
	if (error != NULL) {
		buf_putc(&b, '"');
		buf_put_json_escaped(&b, error, strlen(error));
		buf_putc(&b, '"');
	} else
		buf_puts(&b, "null");
	buf_printf(&b, ",\"failures\":%ld,\"kids\":%s,\"last_attempt_ms\":"
	    "%lld,\"last_success_ms\":%lld}\n", s->failures,
	    s->kids != NULL ? s->kids : "[]", (long long)now_ms,
	    (long long)s->ok_ms);
	if (!b.failed && jwks_write_tmp(f->dir, s->src->name, b.p, b.len,
	    tmp, sizeof(tmp)) == 0 && rename(tmp, s->status) != 0)
		unlink(tmp);
	buf_release(&b);
}

static void jwks_requested(struct jwks_fetcher *, const char *, size_t);

/* Ends s's fetch (rc 0: its set installed); schedules the next. */
static void
jwks_finish(struct jwks_fetcher *f, struct jwks_fsrc *s, int rc,
    const char *err)
{
	long max_age = rc == 0 ? s->resp.max_age : -1;

	s->step = JWKS_IDLE;
	buf_release(&s->resp.body);
	buf_init(&s->resp.body, NULL);
	if (rc == 0) {
		s->failures = 0;
		s->ok_ms = time_now_ms();
	} else {
		s->failures++;
		if (!f->stopping)
			log_warn("jwks: issuer %s: fetch failed (%ld in a row): "
			    "%s; %s", s->src->name, s->failures, err,
			    s->ok_ms != 0 || access(s->path, F_OK) == 0 ?
			    "keeping the last good key set" :
			    "no key set yet");
	}
	jwks_write_status(f, s, rc == 0 ? NULL : err);
	s->due_us = s->began_us + SEC_US * jwks_next_delay(s->src,
	    s->failures, max_age);
	if (s->asked) {
		s->asked = 0;
		jwks_requested(f, s->src->name, strlen(s->src->name));
	}
}

/* Starts a fetch of s: discovery first unless jwks_uri is configured. */
static void
jwks_begin(struct jwks_fetcher *f, struct jwks_fsrc *s)
{
	const char *uri = s->src->jwks_uri;
	char err[1024], *url;
	int rc;

	s->began_us = time_mono_us();
	free(s->uri);
	s->uri = NULL;
	if (uri != NULL && strcmp(uri, "discover") != 0) {
		s->step = JWKS_KEYS;
		if (!jwks_is_https(uri)) {
			snprintf(err, sizeof(err), "jwks_uri \"%.200s\" is not "
			    "an https URL", uri);
			jwks_finish(f, s, -1, err);
			return;
		}
		s->uri = xstrdup(uri);
		if (jwks_request(f, s, uri, JWKS_MAX_DOC, err,
		    sizeof(err)) != 0)
			jwks_finish(f, s, -1, err);
		return;
	}
	s->step = JWKS_DISCOVERY;
	url = jwks_discovery_url(s->src->iss);
	if (!jwks_is_https(url)) {
		snprintf(err, sizeof(err), "issuer \"%.200s\" is not an https "
		    "URL: no discovery", s->src->iss);
		rc = -1;
	} else
		rc = jwks_request(f, s, url, JWKS_MAX_DISCOVERY, err,
		    sizeof(err));
	free(url);
	if (rc != 0)
		jwks_finish(f, s, -1, err);
}

/* s's transfer ended with rc: the next step, or the end of the fetch. */
static void
jwks_done(struct jwks_fetcher *f, struct jwks_fsrc *s, CURLcode rc)
{
	const char *body;
	char err[1024];

	curl_multi_remove_handle(f->multi, s->easy);
	if (jwks_response(s, rc, err, sizeof(err)) != 0) {
		jwks_finish(f, s, -1, err);
		return;
	}
	body = s->resp.body.p != NULL ? s->resp.body.p : "";
	if (s->step == JWKS_DISCOVERY) {
		s->uri = jwks_discovery_parse(body, s->resp.body.len,
		    s->src->iss, err, sizeof(err));
		s->step = JWKS_KEYS;
		if (s->uri == NULL || jwks_request(f, s, s->uri, JWKS_MAX_DOC,
		    err, sizeof(err)) != 0)
			jwks_finish(f, s, -1, err);
		return;
	}
	jwks_finish(f, s, jwks_install(f, s, body, s->resp.body.len, err,
	    sizeof(err)), err);
}

/* Stopping: every fetch in flight is abandoned. */
static void
jwks_abandon(struct jwks_fetcher *f)
{
	size_t i;

	f->stopping = 1;
	for (i = 0; i < f->n; i++) {
		if (f->s[i].step == JWKS_IDLE)
			continue;
		curl_multi_remove_handle(f->multi, f->s[i].easy);
		jwks_finish(f, &f->s[i], -1, "fetch aborted: the fetcher is "
		    "stopping");
	}
}

/* A refetch request for the source named name[0..n). */
static void
jwks_requested(struct jwks_fetcher *f, const char *name, size_t n)
{
	struct jwks_fsrc *s;
	int64_t at;
	size_t i;

	for (i = 0; i < f->n; i++) {
		s = &f->s[i];
		if (strlen(s->src->name) != n || memcmp(s->src->name, name,
		    n) != 0)
			continue;
		if (s->step != JWKS_IDLE) {
			s->asked = 1;	/* for when this fetch is over */
			return;
		}
		at = s->began_us == 0 ? 0 : s->began_us + SEC_US *
		    s->src->min_refetch_seconds;
		if (at < s->due_us) {
			s->due_us = at;
			log_debug("jwks: issuer %s: refetch requested",
			    s->src->name);
		}
		return;
	}
}

static void
jwks_read_requests(struct jwks_fetcher *f)
{
	char name[JWKS_NAME_MAX + 1];
	ssize_t got;
	int i;

	for (i = 0; i < 256; i++) {
		got = recv(f->rfd, name, sizeof(name), MSG_DONTWAIT);
		if (got < 0)
			return;
		if (got > 0 && (size_t)got <= JWKS_NAME_MAX)
			jwks_requested(f, name, (size_t)got);
	}
}

/* Binds the refetch socket; without it, scheduled refreshes only. */
static void
jwks_bind(struct jwks_fetcher *f)
{
	struct sockaddr_un sa;
	struct stat st;
	int r;

	f->rfd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" JWKS_SOCK,
	    f->dir);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path)) {
		log_warn("jwks: %s/" JWKS_SOCK ": path too long; no refetch "
		    "on an unknown kid", f->dir);
		return;
	}
	memcpy(f->sock, sa.sun_path, sizeof(f->sock));
	unlink(sa.sun_path);
	f->rfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->rfd < 0 || bind(f->rfd, (struct sockaddr *)&sa,
	    sizeof(sa)) != 0 || chmod(sa.sun_path, 0600) != 0 ||
	    stat(sa.sun_path, &st) != 0) {
		log_warn("jwks: %s: %s; no refetch on an unknown kid",
		    sa.sun_path, strerror(errno));
		if (f->rfd >= 0)
			close(f->rfd);
		f->rfd = -1;
		return;
	}
	f->sock_ino = st.st_ino;
}

/* Removes temporary files a killed fetcher left in f->dir. */
static void
jwks_sweep(struct jwks_fetcher *f)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d;
	int r;

	if ((d = opendir(f->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		r = snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		if (r > 0 && (size_t)r < sizeof(path))
			unlink(path);
	}
	closedir(d);
}

static int
jwks_setup(struct jwks_fetcher *f, const struct jwks_source *srcs,
    size_t n, const char *state_dir)
{
	sigset_t set;
	size_t i;
	int r;

	memset(f, 0, sizeof(*f));
	f->sfd = f->rfd = -1;
	r = snprintf(f->dir, sizeof(f->dir), "%s/" JWKS_DIR, state_dir);
	if (r < 0 || (size_t)r >= sizeof(f->dir) ||
	    (mkdir(f->dir, 0750) != 0 && errno != EEXIST)) {
		log_error("jwks: cannot create %s/" JWKS_DIR ": %s", state_dir,
		    r < 0 || (size_t)r >= sizeof(f->dir) ? "path too long" :
		    strerror(errno));
		return -1;
	}
	f->s = xcalloc(n, sizeof(*f->s));
	for (i = 0; i < n; i++) {
		f->s[f->n].src = &srcs[i];
		if (!jwks_name_ok(srcs[i].name) || srcs[i].iss == NULL ||
		    jwks_path(f->s[f->n].path, PATH_MAX, state_dir,
		    srcs[i].name, ".json") != 0 || jwks_path(f->s[f->n].status,
		    PATH_MAX, state_dir, srcs[i].name, ".status.json") != 0) {
			log_error("jwks: issuer \"%.64s\": bad name or path; "
			    "not fetched", srcs[i].name ? srcs[i].name : "");
			continue;
		}
		f->n++;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	f->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	jwks_sweep(f);
	jwks_bind(f);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (f->multi = curl_multi_init()) == NULL) {
		log_error("jwks: cannot initialise libcurl");
		return -1;
	}
	f->hdrs = curl_slist_append(NULL, "Accept: application/json, "
	    "application/jwk-set+json");
	return 0;
}

static void
jwks_teardown(struct jwks_fetcher *f)
{
	struct stat st;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->s[i].step != JWKS_IDLE)
			curl_multi_remove_handle(f->multi, f->s[i].easy);
		if (f->s[i].easy != NULL)
			curl_easy_cleanup(f->s[i].easy);
		buf_release(&f->s[i].resp.body);
		free(f->s[i].url);
		free(f->s[i].kids);
		free(f->s[i].uri);
	}
	free(f->s);
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->hdrs);
	curl_global_cleanup();
	if (f->rfd >= 0) {
		close(f->rfd);
		/* a newer fetcher may have bound the path since */
		if (stat(f->sock, &st) == 0 && st.st_ino == f->sock_ino)
			unlink(f->sock);
	}
	if (f->sfd >= 0)
		close(f->sfd);
}

/*
 * Milliseconds until the earliest due fetch (0: one is due); libcurl
 * wakes its poll sooner for the transfers in flight.
 */
static int
jwks_wait_ms(const struct jwks_fetcher *f)
{
	int64_t now = time_mono_us(), next = now + 3600 * SEC_US;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->s[i].step == JWKS_IDLE && f->s[i].due_us < next)
			next = f->s[i].due_us;
	if (next <= now)
		return 0;
	return (int)((next - now + 999) / 1000);
}

/* 1 when SIGTERM or SIGINT waits for us (they stay blocked). */
static int
jwks_stop_pending(void)
{
	sigset_t set;

	if (sigpending(&set) != 0)
		return 0;
	return sigismember(&set, SIGTERM) == 1 || sigismember(&set,
	    SIGINT) == 1;
}

/* Hands each finished transfer to jwks_done(). */
static void
jwks_transfers(struct jwks_fetcher *f)
{
	struct jwks_fsrc *s;
	CURLMsg *m;
	int left;

	curl_multi_perform(f->multi, &left);
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE || curl_easy_getinfo(m->easy_handle,
		    CURLINFO_PRIVATE, (char **)&s) != CURLE_OK || s == NULL)
			continue;
		jwks_done(f, s, m->data.result);
	}
}

/*
 * The fetcher's loop, until SIGTERM or SIGINT: every source's fetch
 * runs on its own, so a provider that hangs delays no other.  Returns
 * the exit status.
 */
static int
jwks_fetcher_run(const struct jwks_source *srcs, size_t n,
    const char *state_dir)
{
	struct signalfd_siginfo si;
	struct curl_waitfd wfd[2];
	struct jwks_fetcher f;
	size_t i;
	int rc = 1;

	if (jwks_setup(&f, srcs, n, state_dir) != 0)
		goto out;
	log_info("jwks: fetching the key sets of %zu issuers into %s", f.n,
	    f.dir);
	for (;;) {
		for (i = 0; i < f.n; i++)
			if (f.s[i].step == JWKS_IDLE &&
			    f.s[i].due_us <= time_mono_us())
				jwks_begin(&f, &f.s[i]);
		memset(wfd, 0, sizeof(wfd));
		wfd[0].fd = f.sfd;
		wfd[0].events = CURL_WAIT_POLLIN;
		wfd[1].fd = f.rfd;
		wfd[1].events = CURL_WAIT_POLLIN;
		if (curl_multi_poll(f.multi, wfd, f.rfd >= 0 ? 2 : 1,
		    jwks_wait_ms(&f), NULL) != CURLM_OK) {
			log_error("jwks: waiting on the transfers failed");
			break;
		}
		if (((wfd[0].revents & CURL_WAIT_POLLIN) && read(f.sfd, &si,
		    sizeof(si)) == sizeof(si)) || jwks_stop_pending()) {
			rc = 0;
			break;
		}
		if (wfd[1].revents & CURL_WAIT_POLLIN)
			jwks_read_requests(&f);
		jwks_transfers(&f);
	}
	jwks_abandon(&f);
out:
	jwks_teardown(&f);
	return rc;
}

static char *
jwks_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A heap copy of srcs[0..n), strings included. */
static struct jwks_source *
jwks_sources_copy(const struct jwks_source *srcs, size_t n)
{
	struct jwks_source *c = xcalloc(n, sizeof(*c));
	size_t i;

	for (i = 0; i < n; i++) {
		c[i] = srcs[i];
		c[i].name = jwks_dup(srcs[i].name);
		c[i].iss = jwks_dup(srcs[i].iss);
		c[i].jwks_uri = jwks_dup(srcs[i].jwks_uri);
		c[i].ca_file = jwks_dup(srcs[i].ca_file);
	}
	return c;
}

static void
jwks_sources_free(struct jwks_source *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)c[i].name);
		free((char *)c[i].iss);
		free((char *)c[i].jwks_uri);
		free((char *)c[i].ca_file);
	}
	free(c);
}

pid_t
jwks_fetcher_spawn(const struct jwks_source *srcs, size_t n,
    const char *state_dir, void (*child_init)(void *), void *arg)
{
	struct jwks_source *mine;
	pid_t pid, parent = getpid();
	char *dir;
	int rc;

	if (srcs == NULL || n == 0)
		return 0;
	if (state_dir == NULL)
		return -1;
	if ((pid = fork()) != 0) {
		if (pid < 0)
			log_error("cannot fork the key fetcher: %s",
			    strerror(errno));
		return pid;
	}
	close_range(3, ~0U, 0);
	log_set_process("jwks");
	prctl(PR_SET_NAME, "rosterd-jwks", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (getppid() != parent)
		_exit(0);
	mine = jwks_sources_copy(srcs, n);
	dir = xstrdup(state_dir);
	if (child_init != NULL)
		child_init(arg);
	rc = jwks_fetcher_run(mine, n, dir);
	jwks_sources_free(mine, n);
	free(dir);
	_exit(rc);
}

pid_t
jwks_fetcher_start(const struct jwks_source *srcs, size_t n,
    const char *state_dir)
{
	return jwks_fetcher_spawn(srcs, n, state_dir, NULL, NULL);
}
