/*
 * migrate.c: numbered plain-SQL migrations, applied in name order and
 * recorded in schema_migrations.  The file text comes from the
 * operator's installation, never from a request, so it is run with
 * PQexec (several statements per file).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static int
is_sql(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".sql") == 0;
}

static int
run(PGconn *c, const char *sql, char *err, size_t errsz)
{
	PGresult *r;
	int ok;

	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errsz, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

static char *
slurp(const char *path, char *err, size_t errsz)
{
	FILE *f;
	char *s;
	long n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "cannot open %s", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errsz, "cannot read %s", path);
		return NULL;
	}
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		fclose(f);
		snprintf(err, errsz, "cannot read %s", path);
		return NULL;
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

static int
applied(PGconn *c, const char *version)
{
	const char *p[1] = { version };
	PGresult *r;
	int yes;

	r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1",
	    1, NULL, p, NULL, NULL, 0);
	yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
	PQclear(r);
	return yes;
}

/* Applies one file in its own transaction; 1 applied, 0 skipped, -1. */
static int
apply(PGconn *c, const char *dir, const char *name, char *err, size_t errsz)
{
	const char *p[1] = { name };
	char path[4096];
	char *sql;
	PGresult *r;
	int ok;

	if (applied(c, name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((sql = slurp(path, err, errsz)) == NULL)
		return -1;
	ok = run(c, "BEGIN", err, errsz) == 0 && run(c, sql, err, errsz) == 0;
	free(sql);
	if (ok) {
		r = PQexecParams(c, "INSERT INTO schema_migrations (version) "
		    "VALUES ($1)", 1, NULL, p, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok || run(c, "COMMIT", err, errsz) != 0) {
		char e2[64];

		(void)run(c, "ROLLBACK", e2, sizeof(e2));
		return -1;
	}
	printf("applied %s\n", name);
	return 1;
}

/*
 * Lists the migrations of dir.  See db.h.
 */
int
db_migrations_list(const char *dir, char ***names, size_t *n, char *err,
    size_t errsz)
{
	struct dirent **list = NULL;
	int i, k;

	*names = NULL;
	*n = 0;
	if ((k = scandir(dir, &list, is_sql, alphasort)) < 0) {
		snprintf(err, errsz, "cannot read directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	*names = xcalloc((size_t)k + 1, sizeof(**names));
	for (i = 0; i < k; i++) {
		(*names)[i] = xstrdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	*n = (size_t)k;
	return 0;
}

/* Frees a list from db_migrations_list() or db_migrations_applied(). */
void
db_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static PGresult *
query_blocking(void *arg, const char *sql)
{
	return PQexec(arg, sql);
}

/* Reads the versions recorded in schema_migrations.  See db.h. */
int
db_migrations_applied(PGconn *c, char ***names, size_t *n, char *err,
    size_t errsz)
{
	return db_migrations_read(query_blocking, c, names, n, err, errsz);
}

/*
 * As db_migrations_applied(), each query run by q.  The table's
 * existence is asked first, so that a fresh database puts no error in
 * the server's log each time a worker re-checks.
 */
int
db_migrations_read(db_query_fn q, void *arg, char ***names, size_t *n,
    char *err, size_t errsz)
{
	const char *m;
	PGresult *r;
	int i, k;

	*names = NULL;
	*n = 0;
	r = q(arg, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "f") == 0) {
		PQclear(r);	/* no schema_migrations: nothing applied */
		*names = xcalloc(1, sizeof(**names));
		return 0;
	}
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		r = q(arg, "SELECT version FROM schema_migrations "
		    "ORDER BY version");
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		m = r != NULL ? PQresultErrorMessage(r) :
		    "no answer from the database";
		snprintf(err, errsz, "cannot read schema_migrations: %.*s",
		    (int)strcspn(m, "\n"), m);
		PQclear(r);
		return -1;
	}
	k = PQntuples(r);
	*names = xcalloc((size_t)k + 1, sizeof(**names));
	for (i = 0; i < k; i++)
		(*names)[i] = xstrdup(PQgetvalue(r, i, 0));
	*n = (size_t)k;
	PQclear(r);
	return 0;
}

static int
listed(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* Appends the names of a[] that b[] lacks to out, ", "-separated. */
static size_t
names_lacking(char *const *a, size_t na, char *const *b, size_t nb,
    struct buf *out)
{
	size_t i, k = 0;

	for (i = 0; i < na; i++) {
		if (listed(b, nb, a[i]))
			continue;
		if (out != NULL && k > 0)
			buf_puts(out, ", ");
		if (out != NULL)
			buf_puts(out, a[i]);
		k++;
	}
	return k;
}

/*
 * Compares the migrations a build knows with those a database has.
 * See db.h.
 */
size_t
db_migrations_diff(char *const *want, size_t nwant, char *const *have,
    size_t nhave, struct buf *missing, struct buf *extra)
{
	(void)names_lacking(have, nhave, want, nwant, extra);
	return names_lacking(want, nwant, have, nhave, missing);
}

/*
 * Prints the migrations of dir that the database lacks.  See db.h.
 */
int
db_check_schema(const char *conninfo, long connect_timeout, const char *dir,
    FILE *out, char *err, size_t errsz)
{
	char **want = NULL, **have = NULL;
	size_t nwant = 0, nhave = 0, i;
	PGconn *c;
	int rc = DB_SCHEMA_UNKNOWN;

	if (db_migrations_list(dir, &want, &nwant, err, errsz) != 0)
		return rc;
	if ((c = db_session_open(conninfo, connect_timeout, "rosterd",
	    -1, err, errsz)) == NULL) {
		db_names_free(want, nwant);
		return rc;
	}
	if (db_migrations_applied(c, &have, &nhave, err, errsz) == 0) {
		rc = DB_SCHEMA_OK;
		for (i = 0; i < nwant; i++)
			if (!listed(have, nhave, want[i])) {
				fprintf(out, "%s\n", want[i]);
				rc = DB_SCHEMA_BEHIND;
			}
	}
	PQfinish(c);
	db_names_free(want, nwant);
	db_names_free(have, nhave);
	return rc;
}

/*
 * Applies pending migrations.  See db.h.
 */
int
db_migrate(const char *conninfo, long connect_timeout, const char *dir,
    char *err, size_t errsz)
{
	char **list = NULL;
	size_t i, n = 0;
	PGconn *c;
	int rc = 0, count = 0;

	if ((c = db_session_open(conninfo, connect_timeout, "rosterctl", -1,
	    err, errsz)) == NULL)
		return -1;
	if (db_migrations_list(dir, &list, &n, err, errsz) != 0) {
		PQfinish(c);
		return -1;
	}
	if (run(c, "SET client_min_messages = warning; "
	    "SELECT pg_advisory_lock(7283915); "
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version text PRIMARY KEY, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", err, errsz) != 0)
		rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		int a = apply(c, dir, list[i], err, errsz);

		if (a < 0)
			rc = -1;
		else
			count += a;
	}
	if (rc == 0)
		printf("%d migration(s) applied, %zu file(s) in %s\n", count, n,
		    dir);
	db_names_free(list, n);
	PQfinish(c);
	return rc;
}
