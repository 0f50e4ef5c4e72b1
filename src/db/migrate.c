/*
 * migrate.c: numbered plain-SQL migrations, applied in name order and
 * recorded in schema_migrations.  The file text comes from the
 * operator's installation, never from a request, so it is run with
 * PQexec (several statements per file).
 */
#include <dirent.h>
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
 * Applies pending migrations.  See db.h.
 */
int
db_migrate(const char *conninfo, const char *dir, char *err, size_t errsz)
{
	struct dirent **list = NULL;
	PGconn *c;
	int i, n, rc = 0, count = 0;

	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errsz, "cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	if ((n = scandir(dir, &list, is_sql, alphasort)) < 0) {
		snprintf(err, errsz, "cannot read directory %s", dir);
		PQfinish(c);
		return -1;
	}
	if (run(c, "SET client_min_messages = warning; "
	    "SELECT pg_advisory_lock(7283915); "
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version text PRIMARY KEY, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", err, errsz) != 0)
		rc = -1;
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			int a = apply(c, dir, list[i]->d_name, err, errsz);

			if (a < 0)
				rc = -1;
			else
				count += a;
		}
		free(list[i]);
	}
	free(list);
	if (rc == 0)
		printf("%d migration(s) applied, %d file(s) in %s\n", count, n,
		    dir);
	PQfinish(c);
	return rc;
}
