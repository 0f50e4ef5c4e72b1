/*
 * rosterctl_export.c: rosterctl export --tenant ID [--format
 * csv|jsonl|xlsx] [--include-password-hashes] [-o FILE|-], a tenant's
 * users (with their groups and roles) as docs/import.md describes, which
 * rosterctl import reads back.
 *
 * One REPEATABLE READ READ ONLY transaction, so groups, roles and users
 * are one snapshot; each is read with COPY (SELECT ...) TO STDOUT and
 * written a row at a time (src/imp/export.c), so memory stays flat for
 * any size of tenant.  The tenant is a setting of the transaction
 * (set_config() with a parameter), as COPY takes no parameters.  The
 * statement_timeout of the session is off: an export takes as long as
 * the tenant is big.
 *
 * -o FILE is written to a temporary file beside it (mode 0600) that is
 * renamed over FILE at the end, so a failure or a signal leaves no half
 * file; without -o, or with -o -, the export goes to stdout.  Password
 * hashes are written only with --include-password-hashes, and then a
 * line on stderr says so.  Exit 0; 1 on any failure, with a message on
 * stderr; 2 on a bad argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "db/db.h"
#include "imp/export.h"
#include "util/util.h"

/* The temporary file, for the signal handler to remove. */
static char tmp_path[4096];
static volatile sig_atomic_t tmp_live;

static void
on_signal(int sig)
{
	if (tmp_live)
		(void)unlink(tmp_path);
	_exit(128 + sig);
}

static void
export_usage(void)
{
	fprintf(stderr,
	    "usage: rosterctl [-c FILE] export --tenant ID "
	    "[--format csv|jsonl|xlsx]\n"
	    "                [--include-password-hashes] [-o FILE|-]\n"
	    "  --format   csv (default), jsonl or xlsx\n"
	    "  -o FILE    written whole or not at all (mode 0600); "
	    "- or none: stdout\n");
}

/* The database's message, first line. */
static int
db_failed(PGconn *c, const PGresult *r, const char *what)
{
	const char *m = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m == NULL)
		m = PQerrorMessage(c);
	fprintf(stderr, "rosterctl: export: %s: %.*s\n", what,
	    (int)strcspn(m, "\n"), m);
	return -1;
}

static int
exec_ok(PGconn *c, const char *sql, int nparams, const char *const *params,
    ExecStatusType want, const char *what, PGresult **out)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL,
	    0);

	if (PQresultStatus(r) != want) {
		db_failed(c, r, what);
		PQclear(r);
		return -1;
	}
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return 0;
}

struct counts {
	long long	 n[3];		/* groups, roles, users */
	long long	 hashes;	/* users with a password hash */
};

/* COPY (the SELECT of kind) TO STDOUT, each row to w. */
static int
copy_kind(PGconn *c, struct export_writer *w, enum export_kind kind,
    enum export_format format, int hashes, struct counts *cnt)
{
	static const char *const what[3] = { "groups", "roles", "users" };
	char sql[4096], err[512], *line;
	struct export_row row;
	PGresult *r;
	int n, ok;

	snprintf(sql, sizeof(sql), "COPY (%s) TO STDOUT",
	    export_sql(kind, format, hashes));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		db_failed(c, r, what[kind]);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	while ((n = PQgetCopyData(c, &line, 0)) > 0) {
		if (export_copy_split(line, (size_t)n, &row) != 0) {
			PQfreemem(line);
			fprintf(stderr, "rosterctl: export: %s: a row of too "
			    "many fields\n", what[kind]);
			return -1;
		}
		if (kind == EXPORT_USER && hashes && row.n > 15 &&
		    row.f[15] != NULL)
			cnt->hashes++;
		ok = export_put(w, kind, &row, err, sizeof(err)) == 0;
		PQfreemem(line);
		if (!ok) {
			fprintf(stderr, "rosterctl: export: %s\n", err);
			return -1;
		}
		cnt->n[kind]++;
	}
	if (n == -2)
		return db_failed(c, NULL, what[kind]);
	r = PQgetResult(c);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		db_failed(c, r, what[kind]);
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	return ok ? 0 : -1;
}

#define SCOPED_SQL							\
	"SELECT count(*) FROM role_assignments"				\
	" WHERE tenant_id = $1::uuid AND scope_type <> ''"

/* The transaction's start: the snapshot, the tenant, the checks. */
static int
export_begin(PGconn *c, const char *tenant, enum export_format format)
{
	const char *p[1] = { tenant };
	PGresult *r;
	int ok;

	if (exec_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
	    NULL, PGRES_COMMAND_OK, "begin", NULL) != 0 ||
	    exec_ok(c, "SELECT set_config('rosterd.export_tenant', $1, true),"
	    " EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)", 1, p,
	    PGRES_TUPLES_OK, "tenant", &r) != 0)
		return -1;
	ok = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	if (!ok) {
		fprintf(stderr, "rosterctl: export: no tenant %s\n", tenant);
		return -1;
	}
	if (format != EXPORT_JSONL) {
		if (exec_ok(c, EXPORT_SEMICOLON_SQL, 1, p, PGRES_TUPLES_OK,
		    "names", &r) != 0)
			return -1;
		ok = PQntuples(r) == 0;
		if (!ok)
			fprintf(stderr, "rosterctl: export: %.300s holds ';', "
			    "which a CSV or xlsx list cannot: export as "
			    "jsonl\n", PQgetvalue(r, 0, 0));
		PQclear(r);
		if (!ok)
			return -1;
	}
	if (exec_ok(c, SCOPED_SQL, 1, p, PGRES_TUPLES_OK, "roles", &r) != 0)
		return -1;
	if (strcmp(PQgetvalue(r, 0, 0), "0") != 0)
		fprintf(stderr, "rosterctl: export: %s role assignments "
		    "limited to a scope are not exported (the format holds "
		    "tenant-wide roles only)\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int
export_run(PGconn *c, struct export_writer *w, const char *tenant,
    enum export_format format, int hashes, struct counts *cnt)
{
	static const enum export_kind jsonl[] = { EXPORT_GROUP, EXPORT_ROLE,
	    EXPORT_USER };
	static const enum export_kind xlsx[] = { EXPORT_USER, EXPORT_GROUP,
	    EXPORT_ROLE };
	static const enum export_kind csv[] = { EXPORT_USER };
	const enum export_kind *k = format == EXPORT_JSONL ? jsonl :
	    format == EXPORT_XLSX ? xlsx : csv;
	size_t i, n = format == EXPORT_CSV ? 1 : 3;

	if (export_begin(c, tenant, format) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (copy_kind(c, w, k[i], format, hashes, cnt) != 0)
			return -1;
	return exec_ok(c, "COMMIT", 0, NULL, PGRES_COMMAND_OK, "commit",
	    NULL);
}

/* A temporary file beside path (or in TMPDIR when path is NULL). */
static int
tmp_open(const char *path)
{
	const char *dir;
	int fd, n;

	if (path != NULL)
		n = snprintf(tmp_path, sizeof(tmp_path), "%s.tmp.XXXXXX",
		    path);
	else {
		if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
			dir = "/tmp";
		n = snprintf(tmp_path, sizeof(tmp_path),
		    "%s/rosterctl-export.XXXXXX", dir);
	}
	if (n < 0 || (size_t)n >= sizeof(tmp_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp_path)) >= 0)
		tmp_live = 1;
	return fd;
}

static void
tmp_discard(void)
{
	if (tmp_live)
		(void)unlink(tmp_path);
	tmp_live = 0;
}

/* Copies the finished temporary file to stdout (xlsx without -o). */
static int
tmp_to_stdout(void)
{
	char b[65536];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(tmp_path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((n = read(fd, b, sizeof(b))) > 0)
		if (fwrite(b, 1, (size_t)n, stdout) != (size_t)n) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	close(fd);
	if (fflush(stdout) != 0)
		rc = -1;
	return rc;
}

static int
parse_format(const char *s, enum export_format *f)
{
	if (strcmp(s, "csv") == 0)
		*f = EXPORT_CSV;
	else if (strcmp(s, "jsonl") == 0)
		*f = EXPORT_JSONL;
	else if (strcmp(s, "xlsx") == 0)
		*f = EXPORT_XLSX;
	else
		return -1;
	return 0;
}

int
rosterctl_export(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "include-password-hashes", no_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "print-query", no_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 },
	};
	enum export_format format = EXPORT_CSV;
	const char *tenant = NULL, *out = NULL, *tmpdir;
	char canon[UUID_STR_LEN + 1], err[512];
	struct export_writer *w = NULL;
	struct counts cnt = { { 0 }, 0 };
	int ch, hashes = 0, print_query = 0, fd = -1, rc = 1;
	struct sigaction sa;
	FILE *f = NULL;
	PGconn *c = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tenant = optarg; break;
		case 'H': hashes = 1; break;
		case 'o': out = optarg; break;
		case 'Q': print_query = 1; break;
		case 'f':
			if (parse_format(optarg, &format) == 0)
				break;
			fprintf(stderr, "rosterctl: export: --format: csv, "
			    "jsonl or xlsx\n");
			return 2;
		default:
			export_usage();
			return 2;
		}
	}
	if (print_query) {	/* bench/export.py's COPY baseline */
		printf("%s\n", export_sql(EXPORT_USER, format, hashes));
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (tenant == NULL || optind != argc) {
		export_usage();
		return 2;
	}
	if (uuid_normalize(tenant, strlen(tenant), canon) != 0) {
		fprintf(stderr, "rosterctl: export: --tenant is not a uuid\n");
		return 2;
	}
	if (out != NULL && strcmp(out, "-") == 0)
		out = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);

	if (out != NULL || format == EXPORT_XLSX) {
		if ((fd = tmp_open(out)) < 0) {
			fprintf(stderr, "rosterctl: export: cannot create "
			    "%s: %s\n", out != NULL ? out : "a temporary file",
			    strerror(errno));
			return 1;
		}
	}
	if (format == EXPORT_XLSX) {
		close(fd);	/* libxlsxwriter writes it by name */
		fd = -1;
	} else if (fd >= 0) {
		if ((f = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, "rosterctl: export: %s: %s\n", out,
			    strerror(errno));
			close(fd);
			goto done;
		}
		fd = -1;
	} else
		f = stdout;
	if ((tmpdir = getenv("TMPDIR")) != NULL && *tmpdir == '\0')
		tmpdir = NULL;
	if ((w = export_writer_new(format, hashes, f, tmp_path, tmpdir, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "rosterctl: export: %s\n", err);
		goto done;
	}
	c = db_session_open(cfg->db_conninfo, cfg->db_connect_timeout,
	    "rosterctl export", 0, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "rosterctl: export: %s\n", err);
		goto done;
	}
	if (export_run(c, w, canon, format, hashes, &cnt) != 0)
		goto done;
	PQfinish(c);
	c = NULL;
	if (export_finish(w, err, sizeof(err)) != 0) {
		fprintf(stderr, "rosterctl: export: %s\n", err);
		goto done;
	}
	if (f != NULL && f != stdout) {
		if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
			fprintf(stderr, "rosterctl: export: %s: %s\n", out,
			    strerror(errno));
			goto done;
		}
	}
	if (out != NULL && rename(tmp_path, out) != 0) {
		fprintf(stderr, "rosterctl: export: %s: %s\n", out,
		    strerror(errno));
		goto done;
	}
	if (out != NULL)
		tmp_live = 0;
	else if (format == EXPORT_XLSX && tmp_to_stdout() != 0) {
		fprintf(stderr, "rosterctl: export: stdout: %s\n",
		    strerror(errno));
		goto done;
	}
	if (hashes)
		fprintf(stderr, "rosterctl: export: password hashes included "
		    "(%lld users have one): keep the export secret\n",
		    cnt.hashes);
	fprintf(stderr, "rosterctl: export: %lld users", cnt.n[EXPORT_USER]);
	if (format != EXPORT_CSV)
		fprintf(stderr, ", %lld groups, %lld roles",
		    cnt.n[EXPORT_GROUP], cnt.n[EXPORT_ROLE]);
	fprintf(stderr, "\n");
	rc = 0;
done:
	if (c != NULL)
		PQfinish(c);
	export_writer_free(w);
	if (f != NULL && f != stdout && fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "rosterctl: export: %s: %s\n", out,
		    strerror(errno));
		rc = 1;
	}
	if (rc != 0 || out == NULL)
		tmp_discard();
	return rc;
}
