/*
 * v1_imports.c: /v1 import jobs and the streamed export.
 *
 *   POST   /v1/tenants/{tenantId}/imports            a file -> 202, a job
 *   GET    /v1/tenants/{tenantId}/imports            the jobs, paged
 *   GET    /v1/tenants/{tenantId}/imports/{id}       one job
 *   GET    /v1/tenants/{tenantId}/imports/{id}/errors its row errors
 *   DELETE /v1/tenants/{tenantId}/imports/{id}       cancels it
 *   GET    /v1/tenants/{tenantId}/export             the tenant, streamed
 *
 * A POST checks the file as rosterctl import does before it writes
 * anything (a file that is not well-formed is a 400 naming the problem,
 * and no job), then stores it with a queued job; rosterd's job runner
 * (jobs.c) imports it.  The uploaded file is bound by
 * import_max_upload_bytes.  The error report and the export are written
 * to the FastCGI stream as the rows come from COPY ... TO STDOUT, each
 * on a session of its own, so memory stays flat whatever their size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "v1.h"
#include "../imp/engine.h"
#include "../imp/export.h"

#define MEDIA_XLSX \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define IMPORT_BATCH_DEFAULT	20000
#define IMPORT_BATCH_MAX	200000

static const struct app *
app_of(const struct http_req *req)
{
	return req->ctx;
}

/* A session of its own (the primary, or read: the standby if any). */
static PGconn *
own_session(struct http_req *req, int read)
{
	const struct config *cfg = app_of(req)->cfg;
	const char *ci = read && cfg->db_read_conninfo != NULL &&
	    cfg->db_read_conninfo[0] != '\0' ? cfg->db_read_conninfo :
	    cfg->db_conninfo;
	char err[512];
	PGconn *c;

	c = db_session_open(ci, cfg->db_connect_timeout, "rosterd",
	    cfg->statement_timeout_ms, err, sizeof(err));
	if (c == NULL)
		log_warn("%s: %s", req->route->pattern, err);
	return c;
}

static PGresult *
own_exec(PGconn *c, const char *sql, int n, const char *const *p,
    ExecStatusType want)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(r) == want)
		return r;
	log_warn("import/export: %.*s", (int)strcspn(PQerrorMessage(c), "\n"),
	    PQerrorMessage(c));
	PQclear(r);
	return NULL;
}

/* The media type of s (no parameters), lower-case, in the arena. */
static char *
media_type(struct arena *a, const char *s, size_t n)
{
	size_t i, k;
	char *m;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	for (k = 0; k < n && s[k] != ';'; k++)
		;
	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	m = arena_strndup(a, s, k);
	for (i = 0; i < k; i++)
		if (m[i] >= 'A' && m[i] <= 'Z')
			m[i] = (char)(m[i] - 'A' + 'a');
	return m;
}

/*
 * The first of Accept's media ranges (in the client's order, q=0
 * left out) that names one of types[0..n): its index; def when there is
 * no Accept or it takes anything ("* / *"); -1 when nothing fits.
 */
static int
negotiate(struct http_req *req, const char *const *types, size_t n, int def)
{
	const char *h = http_req_header(req, "Accept"), *p, *e, *q;
	size_t i;
	char *m;

	if (h == NULL || *h == '\0')
		return def;
	for (p = h; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		q = strstr(arena_strndup(req->arena, p, (size_t)(e - p)),
		    "q=0");
		if (q != NULL && (q[3] == '\0' || q[3] == ' ' || q[3] == ';' ||
		    (q[3] == '.' && strspn(q + 4, "0") == strlen(q + 4))))
			continue;
		m = media_type(req->arena, p, (size_t)(e - p));
		if (strcmp(m, "*/*") == 0)
			return def;
		for (i = 0; i < n; i++)
			if (strcmp(m, types[i]) == 0)
				return (int)i;
	}
	return -1;
}

/* The response's head, written by the handler: 0, or -1. */
static int
stream_begin(struct http_req *req, struct http_resp *resp, const char *ctype,
    const char *filename)
{
	char *head;

	head = arena_sprintf(req->arena, "Status: 200 OK\r\n"
	    "Content-Type: %s\r\nCache-Control: no-store\r\n"
	    "%s%s%sX-Request-Id: %s\r\n\r\n", ctype,
	    filename != NULL ? "Content-Disposition: attachment; filename=\"" :
	    "", filename != NULL ? filename : "", filename != NULL ? "\"\r\n" :
	    "", req->request_id);
	resp->status = 200;
	resp->content_type = ctype;
	resp->streamed = 1;
	if (req->write == NULL)
		return -1;
	return req->write(req->write_ctx, head, strlen(head));
}

static int
stream_put(struct http_req *req, struct http_resp *resp, const char *p,
    size_t n)
{
	resp->streamed_bytes += (long long)n;
	return req->write(req->write_ctx, p, n);
}

/* A stdio stream onto the response, for the export's writers. */
struct stream_cookie {
	struct http_req	*req;
	struct http_resp *resp;
	int		 failed;
};

static ssize_t
cookie_write(void *c, const char *p, size_t n)
{
	struct stream_cookie *sc = c;

	if (sc->failed || stream_put(sc->req, sc->resp, p, n) != 0) {
		sc->failed = 1;
		errno = EPIPE;
		return -1;
	}
	return (ssize_t)n;
}

/* ---- POST .../imports ---- */

static const char *const formats[] = { "csv", "jsonl", "xlsx", "keycloak",
    "auth0" };

/* The format of the upload: ?format=, else its Content-Type. */
static const char *
upload_format(struct http_req *req, struct http_resp *resp)
{
	static const char *const types[][2] = {
		{ "text/csv", "csv" },
		{ "application/csv", "csv" },
		{ "application/x-ndjson", "jsonl" },
		{ "application/jsonl", "jsonl" },
		{ "application/x-jsonlines", "jsonl" },
		{ MEDIA_XLSX, "xlsx" },
	};
	const char *f, *ct = req->content_type;
	char *m;
	size_t i;
	int bad = 0;

	f = v1_query(req, "format", &bad);
	if (f != NULL || bad) {
		for (i = 0; !bad && i < RS_ARRAY_LEN(formats); i++)
			if (strcmp(f, formats[i]) == 0)
				return formats[i];
		v1_field_error(req, resp, 400, "format", "invalid", "format is "
		    "csv, jsonl, xlsx, keycloak or auth0.");
		return NULL;
	}
	m = ct != NULL ? media_type(req->arena, ct, strlen(ct)) : NULL;
	for (i = 0; m != NULL && i < RS_ARRAY_LEN(types); i++)
		if (strcmp(m, types[i][0]) == 0)
			return types[i][1];
	v1_field_error(req, resp, 415, "Content-Type", "unsupported",
	    "The file's Content-Type is text/csv, application/x-ndjson "
	    "(or application/jsonl) or " MEDIA_XLSX "; a Keycloak realm "
	    "export or an Auth0 user export needs ?format=keycloak or "
	    "?format=auth0.");
	return NULL;
}

/* A boolean query parameter: 0 or 1, or -1 (400 sent). */
static int
query_bool(struct http_req *req, struct http_resp *resp, const char *name,
    const char *alias)
{
	const char *v;
	int bad = 0;

	v = v1_query(req, name, &bad);
	if (v == NULL && !bad && alias != NULL)
		v = v1_query(req, alias, &bad);
	if (v == NULL && !bad)
		return 0;
	if (!bad && (strcmp(v, "true") == 0 || strcmp(v, "") == 0))
		return 1;
	if (!bad && strcmp(v, "false") == 0)
		return 0;
	v1_field_error(req, resp, 400, name, "invalid", arena_sprintf(
	    req->arena, "%s is true or false.", name));
	return -1;
}

/* The file name to keep: a base name of printable ASCII, or NULL. */
static const char *
upload_name(struct http_req *req, struct http_resp *resp, int *bad)
{
	const char *n = v1_query(req, "fileName", bad), *s;

	if (n == NULL || *bad)
		return NULL;
	for (s = n; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == '/' || *s == '\\')
			break;
	if (*s != '\0' || strlen(n) > 255 || *n == '\0') {
		v1_field_error(req, resp, 400, "fileName", "invalid", "fileName "
		    "is a file's base name of 1 to 255 bytes.");
		*bad = 1;
		return NULL;
	}
	return n;
}

/*
 * The message of a refused file, without the temporary file's path
 * (the source's messages begin with it).
 */
static const char *
file_message(struct http_req *req, const char *path, const char *err)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) == 0)
		return arena_sprintf(req->arena, "The file is refused: it%s",
		    err[n] == ':' ? err + n + 1 : err + n);
	return arena_sprintf(req->arena, "The file is refused: %s", err);
}

void
v1_imports_create(struct http_req *req, struct http_resp *resp)
{
	const struct app *app = req->ctx;
	const char *tenant, *format, *mode, *match, *fname, *p[14], *tmp;
	const char *constraint;
	char id[UUID_STR_LEN + 1], path[4096], err[1024], bstr[24], sstr[24];
	int dry, atomic, bad = 0, fd;
	long long rows;
	long batch = IMPORT_BATCH_DEFAULT;
	enum db_status st;
	PGresult *r;
	size_t i;

	if ((tenant = v1_path_id(req, resp, "tenantId", "tenant")) == NULL)
		return;
	if ((format = upload_format(req, resp)) == NULL)
		return;
	mode = v1_query(req, "mode", &bad);
	if (bad || (mode != NULL && strcmp(mode, "create") != 0 &&
	    strcmp(mode, "upsert") != 0)) {
		v1_field_error(req, resp, 400, "mode", "invalid", "mode is "
		    "create or upsert.");
		return;
	}
	if (mode == NULL)
		mode = "create";
	match = v1_query(req, "match", &bad);
	if (bad || (match != NULL && strcmp(match, "id") != 0 &&
	    strcmp(match, "username") != 0 && strcmp(match, "email") != 0)) {
		v1_field_error(req, resp, 400, "match", "invalid", "match is "
		    "id, username or email.");
		return;
	}
	if ((strcmp(mode, "upsert") == 0) != (match != NULL)) {
		v1_field_error(req, resp, 400, "match", "invalid", match ==
		    NULL ? "mode=upsert needs match=id, username or email." :
		    "match goes with mode=upsert.");
		return;
	}
	if ((dry = query_bool(req, resp, "dryRun", "dry-run")) < 0 ||
	    (atomic = query_bool(req, resp, "atomic", NULL)) < 0)
		return;
	if ((tmp = v1_query(req, "batch", &bad)) != NULL || bad) {
		char *end;

		errno = 0;
		batch = bad ? 0 : strtol(tmp, &end, 10);
		if (bad || errno != 0 || end == tmp || *end != '\0' ||
		    batch < 1 || batch > IMPORT_BATCH_MAX) {
			v1_field_error(req, resp, 400, "batch", "invalid",
			    "batch is a whole number from 1 to 200000.");
			return;
		}
	}
	fname = upload_name(req, resp, &bad);
	if (bad)
		return;
	if (req->body_len == 0) {
		v1_field_error(req, resp, 400, "file", "required", "The request "
		    "body is the file to import; it is empty.");
		return;
	}
	/* the checks rosterctl import makes before it writes anything */
	tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/rosterd-upload-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		log_error("import upload: %s: %s", path, strerror(errno));
		v1_problem(req, resp, 503, "The file cannot be stored now.");
		return;
	}
	i = 0;
	while (i < req->body_len) {
		ssize_t w = write(fd, req->body + i, req->body_len - i);

		if (w <= 0)
			break;
		i += (size_t)w;
	}
	if (close(fd) != 0 || i < req->body_len) {
		unlink(path);
		v1_problem(req, resp, 503, "The file cannot be stored now.");
		return;
	}
	if (imp_file_check(path, format, match, &rows, err,
	    sizeof(err)) != 0) {
		v1_field_error(req, resp, 400, "file", "invalid",
		    file_message(req, path, err));
		unlink(path);
		return;
	}
	unlink(path);
	uuid_new(id);
	snprintf(bstr, sizeof(bstr), "%ld", batch);
	snprintf(sstr, sizeof(sstr), "%zu", req->body_len);
	p[0] = tenant;
	p[1] = id;
	p[2] = format;
	p[3] = mode;
	p[4] = match;
	p[5] = dry ? "true" : "false";
	p[6] = atomic ? "true" : "false";
	p[7] = bstr;
	p[8] = fname;
	p[9] = sstr;
	p[10] = v1_actor(req);
	p[11] = req->audit_request_id;
	p[12] = req->body;
	p[13] = dialect_system_admin(req) ? "true" : "false";
	/*
	 * The file's bytes as they are, in the request's own transaction:
	 * with an Idempotency-Key, a replay rolls back what it ran and
	 * queues no second job.
	 */
	db_binary(app->db, STMT_IMPORT_JOB_CREATE, 12, req->body_len);
	if ((r = v1_exec(req, STMT_IMPORT_JOB_CREATE, p, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (PQntuples(r) != 1) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	http_resp_set(resp, 202, "application/json", PQgetvalue(r, 0, 0),
	    (size_t)PQgetlength(r, 0, 0));
	http_resp_header(resp, "Location", arena_sprintf(req->arena,
	    "/v1/tenants/%s/imports/%s", tenant, id));
}

/* ---- GET, list, DELETE ---- */

void
v1_imports_get(struct http_req *req, struct http_resp *resp)
{
	const char *p[2], *constraint;
	enum db_status st;
	PGresult *r;

	if ((p[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL ||
	    (p[1] = v1_path_id(req, resp, "importId", "import job")) == NULL)
		return;
	if ((r = v1_exec(req, STMT_IMPORT_JOB_GET, p, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (PQntuples(r) != 1) {
		v1_problem(req, resp, 404, "No import job has this id.");
		return;
	}
	http_resp_set(resp, 200, "application/json", PQgetvalue(r, 0, 0),
	    (size_t)PQgetlength(r, 0, 0));
}

void
v1_imports_list(struct http_req *req, struct http_resp *resp)
{
	static const char *const states[] = { "queued", "running",
	    "succeeded", "failed", "cancelled" };
	struct v1_page pg;
	const char *p[5], *constraint;
	enum db_status st;
	PGresult *r;
	size_t i;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	p[0] = req->tenant;
	p[1] = pg.has_cursor ? pg.cur_us : NULL;
	p[2] = pg.has_cursor ? pg.cur_id : NULL;
	p[3] = pg.limit_plus_one;
	p[4] = v1_query(req, "state", &bad);
	for (i = 0; p[4] != NULL && i < RS_ARRAY_LEN(states); i++)
		if (strcmp(p[4], states[i]) == 0)
			break;
	if (bad || i == RS_ARRAY_LEN(states)) {
		v1_field_error(req, resp, 400, "state", "invalid", "state is "
		    "queued, running, succeeded, failed or cancelled.");
		return;
	}
	if ((p[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL)
		return;
	if ((r = v1_exec(req, STMT_IMPORT_JOB_LIST, p, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	v1_send_page(req, resp, r, &pg);
}

void
v1_imports_cancel(struct http_req *req, struct http_resp *resp)
{
	const char *p[4], *constraint, *state;
	enum db_status st;
	PGresult *r;

	if ((p[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL ||
	    (p[1] = v1_path_id(req, resp, "importId", "import job")) == NULL)
		return;
	p[2] = v1_actor(req);
	p[3] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_IMPORT_JOB_CANCEL, p, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	state = db_get(r, 0, "state");
	if (state == NULL) {
		v1_problem(req, resp, 404, "No import job has this id.");
		return;
	}
	if (db_get(r, 0, "json") == NULL) {
		v1_problem(req, resp, 409, arena_sprintf(req->arena, "The "
		    "import job has ended (%s): only a queued or running job "
		    "can be cancelled.", state));
		return;
	}
	http_resp_set(resp, 200, "application/json", db_get(r, 0, "json"),
	    strlen(db_get(r, 0, "json")));
}

/* ---- streamed COPY ---- */

/*
 * COPY (sql) TO STDOUT on c, each row to put(): 0, or -1 (logged).  For
 * text-format rows put gets the row split (export_copy_split); for CSV,
 * the line as it is.
 */
typedef int (*row_fn)(void *ctx, char *line, size_t n);

static int
copy_rows(PGconn *c, const char *sql, row_fn put, void *ctx)
{
	PGresult *r = PQexec(c, sql);
	char *line;
	int n, ok = 1;

	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		log_warn("import/export: COPY: %.*s",
		    (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	while ((n = PQgetCopyData(c, &line, 0)) > 0) {
		if (ok && put(ctx, line, (size_t)n) != 0)
			ok = 0;	/* the connection is closed after */
		PQfreemem(line);
		if (!ok)
			break;
	}
	if (!ok)
		return -1;
	r = PQgetResult(c);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	return ok ? 0 : -1;
}

/* ---- GET .../imports/{id}/errors ---- */

struct err_out {
	struct http_req	*req;
	struct http_resp *resp;
	int		 json;		/* 0 CSV, 1 JSON Lines, 2 {"items"} */
	long long	 n;
};

static int
err_row(void *ctx, char *line, size_t n)
{
	struct err_out *o = ctx;
	struct export_row row;

	if (o->json == 0)
		return stream_put(o->req, o->resp, line, n);
	if (export_copy_split(line, n, &row) != 0 || row.n != 1 ||
	    row.f[0] == NULL)
		return -1;
	if (o->json == 2 && o->n > 0 && stream_put(o->req, o->resp, ",",
	    1) != 0)
		return -1;
	o->n++;
	if (stream_put(o->req, o->resp, row.f[0], row.len[0]) != 0)
		return -1;
	return o->json == 1 ? stream_put(o->req, o->resp, "\n", 1) : 0;
}

#define ERRORS_FROM							\
	" FROM import_job_errors WHERE tenant_id ="			\
	" current_setting('rosterd.job_tenant')::uuid AND job_id ="	\
	" current_setting('rosterd.job_id')::uuid ORDER BY line, col,"	\
	" field NULLS FIRST, message"

void
v1_imports_errors(struct http_req *req, struct http_resp *resp)
{
	static const char *const types[] = { "application/json",
	    "application/x-ndjson", "application/jsonl", "text/csv" };
	static const char q_begin[] =
	    "SELECT set_config('rosterd.job_tenant', $1, true),"
	    " set_config('rosterd.job_id', $2, true), EXISTS (SELECT 1"
	    " FROM import_jobs WHERE tenant_id = $1::uuid AND id = $2::uuid)";
	static const char q_csv[] =
	    "COPY (SELECT line, col AS \"column\", field, message"
	    ERRORS_FROM ") TO STDOUT (FORMAT csv, HEADER)";
	static const char q_json[] =
	    "COPY (SELECT json_build_object('line', line, 'column', col,"
	    " 'field', field, 'message', message)" ERRORS_FROM ") TO STDOUT";
	struct err_out o;
	const char *p[2], *ctype;
	PGconn *c;
	PGresult *r;
	int t, ok;

	if ((p[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL ||
	    (p[1] = v1_path_id(req, resp, "importId", "import job")) == NULL)
		return;
	if ((t = negotiate(req, types, RS_ARRAY_LEN(types), 0)) < 0) {
		v1_problem(req, resp, 406, "The error report is "
		    "application/json, application/x-ndjson or text/csv.");
		return;
	}
	ctype = t == 3 ? "text/csv; charset=utf-8" : t == 0 ?
	    "application/json" : "application/x-ndjson";
	arena_lift_budget(req->arena, 1);
	if ((c = own_session(req, 0)) == NULL) {
		v1_problem(req, resp, 503, "The database is unavailable.");
		return;
	}
	if ((r = own_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    0, NULL, PGRES_COMMAND_OK)) == NULL ||
	    (PQclear(r), r = own_exec(c, q_begin, 2, p,
	    PGRES_TUPLES_OK)) == NULL) {
		v1_problem(req, resp, 503, "The database is unavailable.");
		PQfinish(c);
		return;
	}
	ok = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
	PQclear(r);
	if (!ok) {
		v1_problem(req, resp, 404, "No import job has this id.");
		PQfinish(c);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.req = req;
	o.resp = resp;
	o.json = t == 3 ? 0 : t == 0 ? 2 : 1;
	if (stream_begin(req, resp, ctype, NULL) == 0 && (o.json != 2 ||
	    stream_put(req, resp, "{\"items\":[", 10) == 0) &&
	    copy_rows(c, o.json == 0 ? q_csv : q_json, err_row, &o) == 0 &&
	    o.json == 2)
		(void)stream_put(req, resp, "]}", 2);
	PQfinish(c);
}

/* ---- GET .../export ---- */

struct exp_out {
	struct export_writer *w;
	enum export_kind kind;
	char		 err[512];
};

static int
exp_row(void *ctx, char *line, size_t n)
{
	struct exp_out *o = ctx;
	struct export_row row;

	if (export_copy_split(line, n, &row) != 0) {
		snprintf(o->err, sizeof(o->err), "a row of too many fields");
		return -1;
	}
	return export_put(o->w, o->kind, &row, o->err, sizeof(o->err));
}


/* Streams the workbook at path to the response. */
static int
send_file(struct http_req *req, struct http_resp *resp, const char *path)
{
	char blk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, blk, sizeof(blk))) > 0)
		if (stream_put(req, resp, blk, (size_t)n) != 0) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	close(fd);
	return rc;
}

void
v1_export(struct http_req *req, struct http_resp *resp)
{
	static const char *const types[] = { "application/x-ndjson",
	    "application/jsonl", "text/csv", MEDIA_XLSX };
	static const enum export_kind order[3][3] = {
		{ EXPORT_USER },				/* CSV */
		{ EXPORT_GROUP, EXPORT_ROLE, EXPORT_USER },	/* JSONL */
		{ EXPORT_USER, EXPORT_GROUP, EXPORT_ROLE },	/* xlsx */
	};
	static const char *const ctypes[3] = { "text/csv; charset=utf-8",
	    "application/x-ndjson", MEDIA_XLSX };
	static const char *const exts[3] = { "csv", "jsonl", "xlsx" };
	enum export_format f;
	struct stream_cookie sc;
	struct exp_out o;
	cookie_io_functions_t io = { NULL, cookie_write, NULL, NULL };
	const char *p[1], *q, *tmp;
	char sql[4096], path[4096] = "", *name;
	FILE *out = NULL;
	PGconn *c;
	PGresult *r;
	size_t i, n;
	int t, bad = 0, ok = 0, fd;

	memset(&sc, 0, sizeof(sc));
	memset(&o, 0, sizeof(o));
	if ((p[0] = v1_path_id(req, resp, "tenantId", "tenant")) == NULL)
		return;
	q = v1_query(req, "format", &bad);
	if (q != NULL || bad) {
		t = bad ? -1 : strcmp(q, "jsonl") == 0 ? 0 :
		    strcmp(q, "csv") == 0 ? 2 : strcmp(q, "xlsx") == 0 ? 3 : -1;
		if (t < 0) {
			v1_field_error(req, resp, 400, "format", "invalid",
			    "format is csv, jsonl or xlsx.");
			return;
		}
	} else if ((t = negotiate(req, types, RS_ARRAY_LEN(types), 0)) < 0) {
		v1_problem(req, resp, 406, "An export is text/csv, "
		    "application/x-ndjson or " MEDIA_XLSX " (or ?format=csv, "
		    "jsonl or xlsx).");
		return;
	}
	f = t <= 1 ? EXPORT_JSONL : t == 2 ? EXPORT_CSV : EXPORT_XLSX;
	arena_lift_budget(req->arena, 1);
	if ((c = own_session(req, 1)) == NULL) {
		v1_problem(req, resp, 503, "The database is unavailable.");
		return;
	}
	/* one snapshot; as long as the export takes */
	if ((r = own_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    0, NULL, PGRES_COMMAND_OK)) == NULL ||
	    (PQclear(r), r = own_exec(c, "SET LOCAL statement_timeout = 0", 0,
	    NULL, PGRES_COMMAND_OK)) == NULL ||
	    (PQclear(r), r = own_exec(c, "SELECT set_config("
	    "'rosterd.export_tenant', $1, true), EXISTS (SELECT 1 FROM tenants"
	    " WHERE id = $1::uuid)", 1, p, PGRES_TUPLES_OK)) == NULL) {
		v1_problem(req, resp, 503, "The database is unavailable.");
		goto out;
	}
	ok = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	if (!ok) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		goto out;
	}
	if (f != EXPORT_JSONL) {
		if ((r = own_exec(c, EXPORT_SEMICOLON_SQL, 1, p,
		    PGRES_TUPLES_OK)) == NULL) {
			v1_problem(req, resp, 503, "The database is "
			    "unavailable.");
			goto out;
		}
		ok = PQntuples(r) == 0;
		if (!ok)
			v1_field_error(req, resp, 409, "format", "conflict",
			    arena_sprintf(req->arena, "The %.300s holds ';', "
			    "which a CSV or xlsx list cannot: export as "
			    "jsonl.", PQgetvalue(r, 0, 0)));
		PQclear(r);
		if (!ok)
			goto out;
	}
	sc.req = req;
	sc.resp = resp;
	if (f == EXPORT_XLSX) {
		tmp = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/rosterd-export-XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if ((fd = mkstemp(path)) < 0) {
			path[0] = '\0';
			v1_problem(req, resp, 503, "No room for the workbook.");
			goto out;
		}
		close(fd);
		o.w = export_writer_new(f, 0, NULL, path, tmp != NULL &&
		    *tmp != '\0' ? tmp : "/tmp", o.err, sizeof(o.err));
	} else {
		if ((out = fopencookie(&sc, "w", io)) == NULL) {
			v1_problem(req, resp, 503, "Out of memory.");
			goto out;
		}
		setvbuf(out, NULL, _IOFBF, 65536);
		o.w = export_writer_new(f, 0, out, NULL, NULL, o.err,
		    sizeof(o.err));
	}
	if (o.w == NULL) {
		log_warn("export: %s", o.err);
		v1_problem(req, resp, 503, "The export cannot be written now.");
		goto out;
	}
	name = arena_sprintf(req->arena, "%s.%s", p[0], exts[f]);
	/* the workbook is whole before its first byte goes */
	if (f != EXPORT_XLSX && stream_begin(req, resp, ctypes[f], name) != 0)
		goto fail;
	n = f == EXPORT_CSV ? 1 : 3;
	for (i = 0; i < n; i++) {
		o.kind = order[f][i];
		snprintf(sql, sizeof(sql), "COPY (%s) TO STDOUT",
		    export_sql(o.kind, f, 0));
		if (copy_rows(c, sql, exp_row, &o) != 0)
			goto fail;
	}
	if (export_finish(o.w, o.err, sizeof(o.err)) != 0 ||
	    (out != NULL && fflush(out) != 0) || sc.failed)
		goto fail;
	if (f == EXPORT_XLSX && (stream_begin(req, resp, ctypes[f],
	    name) != 0 || send_file(req, resp, path) != 0))
		goto fail;
	PQclear(own_exec(c, "COMMIT", 0, NULL, PGRES_COMMAND_OK));
	goto out;
fail:
	/*
	 * Once the head is sent the status cannot change: the response
	 * ends short (the log says why); before it, a 503.
	 */
	log_warn("export of tenant %s failed: %s", p[0], o.err[0] != '\0' ?
	    o.err : sc.failed ? "the client went away" : "the database "
	    "failed");
	if (!resp->streamed)
		v1_problem(req, resp, 503, "The export failed.");
out:
	if (o.w != NULL)
		export_writer_free(o.w);
	if (out != NULL)
		fclose(out);
	if (path[0] != '\0')
		unlink(path);
	PQfinish(c);
}
