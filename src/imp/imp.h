/*
 * imp.h: the records rosterctl import reads (users, groups, roles) and
 * the sources that yield them: a tabular source (table.h: CSV, xlsx)
 * mapped by its header row, or JSON Lines.  Fields and their names are
 * /v1's (docs/import.md); every value is checked here, in C, with the
 * limits of POST /v1/.../users, before anything reaches the database.
 */
#ifndef ROSTERD_IMP_IMP_H
#define ROSTERD_IMP_IMP_H

#include <stddef.h>
#include <stdio.h>

#include "imp/table.h"

struct arena;
struct value;

enum imp_field {
	IF_ID = 0,
	IF_USERNAME,
	IF_EMAIL,
	IF_FIRST_NAME,
	IF_LAST_NAME,
	IF_DISPLAY_NAME,
	IF_TITLE,
	IF_PHONE,
	IF_EXTERNAL_ID,
	IF_LOCALE,
	IF_TIME_ZONE,
	IF_ACTIVE,
	IF_VERIFIED,
	IF_LOCKED,
	IF_MUST_CHANGE,
	IF_PASSWORD,
	IF_GROUPS,
	IF_ROLES,
	IF_KIND,		/* group records (JSON Lines) */
	IF_CODE,
	IF_NAME,		/* group and role records */
	IF_DESCRIPTION,
	IF__MAX
};

/* The field's external name ("firstName"). */
const char *imp_field_name(enum imp_field f);
/* The field named s (n bytes, any case), or -1. */
int imp_field_find(const char *s, size_t n);

enum imp_kind { IMP_USER = 0, IMP_GROUP, IMP_ROLE };

struct imp_val {
	const char	*v;		/* NUL-terminated; NULL = absent */
	size_t		 len;
};

/* A group reference of a user: kind (security|user|admin|privilege), code. */
struct imp_gref {
	const char	*kind;
	const char	*code;
};

struct imp_err {
	long		 line;
	int		 col;		/* 1-based; 0 = none (JSON Lines) */
	int		 field;		/* enum imp_field, -1 = the record */
	const char	*msg;		/* arena text; never a secret value */
};

/* One record; its text lives in the arena given to the reader. */
struct imp_rec {
	enum imp_kind	 kind;
	long		 line;
	struct imp_val	 f[IF__MAX];
	int		 bools[4];	/* active, verified, locked, mustChange: -1 absent */
	struct imp_gref	*groups;
	size_t		 ngroups;
	const char	**roles;
	size_t		 nroles;
	const char	*canon_id;	/* the id, canonical, or NULL */
	struct imp_err	*errs;
	size_t		 nerrs, errcap;
	const int	*cols;		/* field -> 1-based column, or NULL */
	const char	*warn;		/* a note on a record that is kept */
};

void imp_rec_error(struct arena *a, struct imp_rec *r, int field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Checks r's values (and parses its lists and booleans) with /v1's
 * limits: fills r->bools, r->groups, r->roles, r->canon_id and adds an
 * error per problem.  upsert: a user's username may be absent (a row
 * that creates a user is refused without one, set-based).  Returns the
 * number of errors.
 */
size_t imp_rec_check(struct arena *a, struct imp_rec *r, int upsert);
/*
 * One group of a record's list, s[0..n): "kind:code", or "code" (kind
 * user; a prefix that is no kind is part of the code), trimmed, into g;
 * 0, or -1 with the error added to r.  A code may hold any character,
 * ';' included (only a CSV cell's list splits on it).
 */
int imp_group_ref(struct arena *a, struct imp_rec *r, const char *s,
    size_t n, struct imp_gref *g);

/* 1 when s is a password hash rosterd stores as is (PHC or bcrypt). */
int imp_hash_shape_ok(const char *s, size_t n);

/* CSV/xlsx truth values: 1, 0, or -1 when s is none of them. */
int imp_bool_parse(const char *s, size_t n);

/*
 * A tabular source's header: which field each column holds.  0, or -1
 * with a message in err naming the column (an unknown or repeated
 * name).
 */
struct imp_header {
	int		 field[TABLE_COLS_MAX];	/* column -> field */
	int		 col[IF__MAX];		/* field -> 1-based column, 0 */
	size_t		 ncols;
};
int imp_header_parse(const struct table_row *row, struct imp_header *h,
    char *err, size_t errlen);
/*
 * A data row as a user record (cells copied into a; a formula-guard
 * quote stripped).  A row with more cells than the header is an error
 * of the record.
 */
void imp_row_record(struct arena *a, const struct imp_header *h,
    const struct table_row *row, struct imp_rec *r);

/* JSON Lines (jsonl.c): one record per line, read with a bounded buffer. */
#define JSONL_LINE_MAX	(1024 * 1024)
struct jsonl;
struct jsonl *jsonl_open(const char *path, char *err, size_t errlen);
/*
 * The next non-blank line as a record: 1, 0 at the end, -1 on a read
 * error (err).  A line that is too long, not UTF-8 or not a JSON object
 * of known fields is a record with errors (r->nerrs > 0).
 */
int jsonl_next(struct jsonl *j, struct arena *a, struct imp_rec *r,
    char *err, size_t errlen);
void jsonl_progress(const struct jsonl *j, long long *done,
    long long *total);
void jsonl_close(struct jsonl *j);
/*
 * Maps each line's object with map(ctx, ...) instead of as rosterd's
 * own records (the Auth0 source); doc is a JSON object.
 */
typedef void (*jsonl_map_fn)(void *ctx, struct arena *a, struct imp_rec *r,
    const struct value *doc);
void jsonl_set_map(struct jsonl *j, jsonl_map_fn map, void *ctx);
/* A JSON list of strings as r's groups or roles (kind:code parsed). */
void imp_json_list(struct arena *a, struct imp_rec *r, int field,
    const struct value *v);

/*
 * What a migration source left out, for the run's summary: counters and
 * the names of what was skipped (the summary prints them).
 */
struct imp_notes {
	long long	 builtin_roles, builtin_assignments;
	long long	 service_accounts, other_credentials;
	long long	 client_roles, no_password;
	char		 algs[128];	/* algorithms not kept */
};
void imp_notes_alg(struct imp_notes *n, const char *alg);
void imp_notes_print(const struct imp_notes *n, const char *src, FILE *f);

/*
 * Keycloak (keycloak.c): a realm export (kc.sh export --file, or the
 * admin console's partial export, or one of kc.sh's <realm>-users-N.json
 * files), one JSON document read with yajl's streaming parser: groups
 * (their tree flattened, code = the path without its leading "/"),
 * realm roles and users as records, numbered from 1 in document order
 * (r->line is that number).  Memory is bounded by one user, group tree
 * or role, whatever the document's size.
 */
#define KC_STRING_MAX	(64 * 1024)	/* bytes in one JSON string */
#define KC_DEPTH_MAX	64		/* nesting in the document */
#define KC_VALUES_MAX	200000		/* values in a user or group tree */
struct kc;
struct kc *kc_open(const char *path, char *err, size_t errlen);
/* As jsonl_next(); -1 also when the document is not well-formed. */
int kc_next(struct kc *k, struct arena *a, struct imp_rec *r, char *err,
    size_t errlen);
void kc_progress(const struct kc *k, long long *done, long long *total);
const struct imp_notes *kc_notes(const struct kc *k);
void kc_close(struct kc *k);
/*
 * A Keycloak password credential (its secretData and credentialData, the
 * JSON texts in the export) as a PHC string in *phc: 0; 1 when its
 * algorithm is none rosterd keeps (*alg names it); -1 when it is
 * malformed (err says why, never with a secret).
 */
int kc_password_phc(struct arena *a, const char *secret, size_t slen,
    const char *cdata, size_t clen, const char **phc, const char **alg,
    char *err, size_t errlen);

/* Auth0 (auth0.c): a line of an Auth0 user export as a user record. */
void auth0_record(void *notes, struct arena *a, struct imp_rec *r,
    const struct value *doc);

/*
 * Opens path read-only for a source: its descriptor and *size, or -1 with
 * a message in err when it cannot be opened or is not a regular file.
 */
int imp_open_file(const char *path, long long *size, char *err,
    size_t errlen);

#endif
