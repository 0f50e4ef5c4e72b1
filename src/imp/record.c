/*
 * record.c: rosterctl import's records: field names, a tabular header
 * mapped to fields, a data row as a record, and the checks every record
 * passes in C before it is staged (the /v1 user rules of
 * core_user_validate(), the /v1 limits of the other fields, password
 * hash shapes, group and role lists).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/core.h"
#include "formats/csv.h"
#include "imp/imp.h"
#include "util/util.h"

#define IMP_GROUP_CODE_MAX	128
#define IMP_NAME_MAX		256
#define IMP_DESCRIPTION_MAX	4096

static const char *const field_names[IF__MAX] = {
	[IF_ID] = "id", [IF_USERNAME] = "username", [IF_EMAIL] = "email",
	[IF_FIRST_NAME] = "firstName", [IF_LAST_NAME] = "lastName",
	[IF_DISPLAY_NAME] = "displayName", [IF_TITLE] = "title",
	[IF_PHONE] = "phone", [IF_EXTERNAL_ID] = "externalId",
	[IF_LOCALE] = "locale", [IF_TIME_ZONE] = "timeZone",
	[IF_ACTIVE] = "active", [IF_VERIFIED] = "verified",
	[IF_LOCKED] = "locked", [IF_MUST_CHANGE] = "mustChangePassword",
	[IF_PASSWORD] = "passwordHash", [IF_GROUPS] = "groups",
	[IF_ROLES] = "roles", [IF_KIND] = "kind", [IF_CODE] = "code",
	[IF_NAME] = "name", [IF_DESCRIPTION] = "description",
};

/* /v1's limits of the text fields core_user_validate() does not check. */
static const struct {
	enum imp_field	 f;
	size_t		 max;
} extra_limits[] = {
	{ IF_DISPLAY_NAME, 256 }, { IF_LOCALE, 35 }, { IF_TIME_ZONE, 64 },
};

static const char *const group_kinds[] = {
	"security", "user", "admin", "privilege",
};

const char *
imp_field_name(enum imp_field f)
{
	return (unsigned)f < IF__MAX ? field_names[f] : "record";
}

int
imp_field_find(const char *s, size_t n)
{
	int i;

	for (i = 0; i < IF__MAX; i++)
		if (strlen(field_names[i]) == n &&
		    strncasecmp(field_names[i], s, n) == 0)
			return i;
	return -1;
}

void
imp_rec_error(struct arena *a, struct imp_rec *r, int field,
    const char *fmt, ...)
{
	va_list ap;
	struct buf b;
	struct imp_err *e;

	if (r->nerrs == r->errcap) {
		struct imp_err *v;

		r->errcap = r->errcap ? r->errcap * 2 : 4;
		v = arena_allocarray(a, r->errcap, sizeof(*v));
		if (r->nerrs > 0)
			memcpy(v, r->errs, r->nerrs * sizeof(*v));
		r->errs = v;
	}
	e = &r->errs[r->nerrs++];
	e->line = r->line;
	e->field = field;
	e->col = field >= 0 && r->cols != NULL ? r->cols[field] : 0;
	buf_init(&b, a);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_putc(&b, '\0');
	e->msg = b.p;
}

int
imp_bool_parse(const char *s, size_t n)
{
	static const char *const yes[] = { "true", "1", "yes" };
	static const char *const no[] = { "false", "0", "no" };
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(yes); i++) {
		if (strlen(yes[i]) == n && strncasecmp(yes[i], s, n) == 0)
			return 1;
		if (strlen(no[i]) == n && strncasecmp(no[i], s, n) == 0)
			return 0;
	}
	return -1;
}

static int
b64ish(const char *s, size_t n, const char *extra)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) ==
		    NULL)
			return 0;
	return 1;
}

/*
 * PHC strings of the algorithms rosterd knows ($argon2id$v=19$m=..,t=..,
 * p=..$salt$hash, $pbkdf2-sha256$i=..$salt$hash or passlib's
 * $pbkdf2-sha256$rounds$salt$hash) and bcrypt's modular crypt format
 * ($2a$, $2b$, $2y$, a two-digit cost from 04 to 31, 53 characters).
 * Only the shape is checked; the hash is stored as it is.
 */
int
imp_hash_shape_ok(const char *s, size_t n)
{
	static const char *const phc[] = {
		"argon2id", "argon2i", "argon2d", "pbkdf2-sha256",
		"pbkdf2-sha512", "pbkdf2-sha1",
	};
	const char *p, *end = s + n, *seg[8];
	size_t i, nseg = 0, len[8];

	if (n < 4 || n > 1024 || s[0] != '$')
		return 0;
	if (n == 60 && s[1] == '2' && strchr("aby", s[2]) != NULL &&
	    s[3] == '$') {
		int cost;

		if (!isdigit((unsigned char)s[4]) ||
		    !isdigit((unsigned char)s[5]) || s[6] != '$')
			return 0;
		cost = (s[4] - '0') * 10 + (s[5] - '0');
		return cost >= 4 && cost <= 31 && b64ish(s + 7, 53, "./");
	}
	for (p = s + 1; p <= end && nseg < RS_ARRAY_LEN(seg); ) {
		const char *d = memchr(p, '$', (size_t)(end - p));

		if (d == NULL)
			d = end;
		seg[nseg] = p;
		len[nseg++] = (size_t)(d - p);
		p = d + 1;
		if (d == end)
			break;
	}
	if (p <= end || nseg < 4)
		return 0;
	for (i = 0; i < RS_ARRAY_LEN(phc); i++)
		if (strlen(phc[i]) == len[0] && memcmp(phc[i], seg[0],
		    len[0]) == 0)
			break;
	if (i == RS_ARRAY_LEN(phc))
		return 0;
	for (i = 1; i < nseg; i++)
		if (!b64ish(seg[i], len[i], "/+.=,-"))
			return 0;
	return 1;
}

/* Text with spaces around it cut: [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * "kind:code" or "code" (kind user); a prefix that is no kind is code.
 * See imp.h.
 */
int
imp_group_ref(struct arena *a, struct imp_rec *r, const char *s, size_t n,
    struct imp_gref *g)
{
	const char *colon = memchr(s, ':', n);
	size_t i;

	g->kind = "user";
	if (colon != NULL)
		for (i = 0; i < RS_ARRAY_LEN(group_kinds); i++)
			if (strlen(group_kinds[i]) == (size_t)(colon - s) &&
			    memcmp(group_kinds[i], s, (size_t)(colon - s)) ==
			    0) {
				g->kind = group_kinds[i];
				n -= (size_t)(colon - s) + 1;
				s = colon + 1;
				break;
			}
	trim(&s, &n);
	if (n == 0) {
		imp_rec_error(a, r, IF_GROUPS, "a group with no code");
		return -1;
	}
	if (n > IMP_GROUP_CODE_MAX) {
		imp_rec_error(a, r, IF_GROUPS, "a group code longer than %d "
		    "bytes", IMP_GROUP_CODE_MAX);
		return -1;
	}
	g->code = arena_strndup(a, s, n);
	return 0;
}

/* Splits a CSV list cell (';'-separated) into r's groups or roles. */
static void
split_list(struct arena *a, struct imp_rec *r, int field)
{
	const char *s = r->f[field].v, *end = s + r->f[field].len, *p, *semi;
	size_t n, cap = 0, count = 1;

	for (p = s; p < end; p++)
		count += *p == ';';
	cap = count;
	if (field == IF_GROUPS)
		r->groups = arena_allocarray(a, cap, sizeof(*r->groups));
	else
		r->roles = arena_allocarray(a, cap, sizeof(*r->roles));
	for (p = s; p <= end; p = semi + 1) {
		const char *t = p;

		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		n = (size_t)(semi - p);
		trim(&t, &n);
		if (n == 0)
			continue;
		if (field == IF_GROUPS) {
			if (imp_group_ref(a, r, t, n,
			    &r->groups[r->ngroups]) == 0)
				r->ngroups++;
		} else
			r->roles[r->nroles++] = arena_strndup(a, t, n);
	}
}

/* The core's error as text for a field of a record. */
static void
core_err(struct arena *a, struct imp_rec *r, const struct core_error *e)
{
	static const int map[CF__MAX] = {
		[CF_USER_ID] = IF_ID, [CF_USERNAME] = IF_USERNAME,
		[CF_EMAIL] = IF_EMAIL, [CF_FIRST_NAME] = IF_FIRST_NAME,
		[CF_LAST_NAME] = IF_LAST_NAME, [CF_TITLE] = IF_TITLE,
		[CF_PHONE] = IF_PHONE, [CF_EXTERNAL_ID] = IF_EXTERNAL_ID,
		[CF_ROLE_ID] = IF_ROLES, [CF_ROLE_NAME] = IF_ROLES,
		[CF_ROLE_TENANT] = IF_ROLES,
	};
	int f = (unsigned)e->field < CF__MAX ? map[e->field] : -1;

	if (f == 0 && e->field != CF_USER_ID)
		f = -1;
	switch (e->code) {
	case CE_REQUIRED:
		imp_rec_error(a, r, f, "required");
		break;
	case CE_TOO_LONG:
		if (f == IF_ROLES && e->index < 0)
			imp_rec_error(a, r, f, "more than %ld roles",
			    e->limit);
		else
			imp_rec_error(a, r, f, "longer than %ld bytes",
			    e->limit);
		break;
	case CE_INVALID_EMAIL:
		imp_rec_error(a, r, f, "not an e-mail address");
		break;
	default:
		imp_rec_error(a, r, f, "invalid");
		break;
	}
}

static void
check_user(struct arena *a, struct imp_rec *r, int require_username)
{
	static const int bool_fields[4] = {
		IF_ACTIVE, IF_VERIFIED, IF_LOCKED, IF_MUST_CHANGE,
	};
	struct core_user_new u = { 0 };
	struct core_errors errs = { 0 };
	struct core_role_ref *refs = NULL;
	const struct imp_val *f = r->f;
	char canon[UUID_STR_LEN + 1];
	size_t i;

	if (f[IF_ID].v != NULL) {
		if (uuid_normalize(f[IF_ID].v, f[IF_ID].len, canon) != 0 ||
		    uuid_is_nil(canon))
			u.id_invalid = 1;
		else
			u.id = r->canon_id = arena_strndup(a, canon,
			    UUID_STR_LEN);
	}
	u.username = f[IF_USERNAME].v;
	if (u.username == NULL && !require_username)
		u.username = "-";	/* checked set-based, when created */
	u.email = f[IF_EMAIL].v;
	u.first_name = f[IF_FIRST_NAME].v;
	u.last_name = f[IF_LAST_NAME].v;
	u.title = f[IF_TITLE].v;
	u.phone = f[IF_PHONE].v;
	u.external_id = f[IF_EXTERNAL_ID].v;
	if (f[IF_GROUPS].v != NULL && r->groups == NULL)
		split_list(a, r, IF_GROUPS);
	if (f[IF_ROLES].v != NULL && r->roles == NULL)
		split_list(a, r, IF_ROLES);
	if (r->nroles > 0) {
		refs = arena_allocarray(a, r->nroles, sizeof(*refs));
		memset(refs, 0, r->nroles * sizeof(*refs));
		for (i = 0; i < r->nroles; i++)
			refs[i].name = r->roles[i];
	}
	u.roles = refs;
	u.nroles = r->nroles;
	core_user_validate(a, &u, "", &errs);
	for (i = 0; i < errs.n; i++)
		core_err(a, r, &errs.v[i]);
	if (u.email == NULL)
		r->f[IF_EMAIL].v = NULL;	/* blank: absent */
	for (i = 0; i < RS_ARRAY_LEN(extra_limits); i++)
		if (f[extra_limits[i].f].v != NULL &&
		    f[extra_limits[i].f].len > extra_limits[i].max)
			imp_rec_error(a, r, extra_limits[i].f, "longer than "
			    "%zu bytes", extra_limits[i].max);
	for (i = 0; i < 4; i++) {
		const struct imp_val *v = &f[bool_fields[i]];

		r->bools[i] = v->v == NULL ? -1 :
		    imp_bool_parse(v->v, v->len);
		if (v->v != NULL && r->bools[i] < 0)
			imp_rec_error(a, r, bool_fields[i], "not a boolean "
			    "(true/false, 1/0, yes/no)");
	}
	if (f[IF_PASSWORD].v != NULL &&
	    !imp_hash_shape_ok(f[IF_PASSWORD].v, f[IF_PASSWORD].len))
		imp_rec_error(a, r, IF_PASSWORD, "not a password hash rosterd "
		    "stores ($argon2id$..., $pbkdf2-sha256$..., bcrypt "
		    "$2b$...)");
	for (i = IF_KIND; i < IF__MAX; i++)
		if (f[i].v != NULL)
			imp_rec_error(a, r, (int)i, "not a field of a user");
}

static void
check_def(struct arena *a, struct imp_rec *r)
{
	char canon[UUID_STR_LEN + 1];
	size_t i;

	for (i = 0; i < IF__MAX; i++) {
		if (r->f[i].v == NULL || i == IF_ID || i == IF_NAME ||
		    i == IF_DESCRIPTION ||
		    (r->kind == IMP_GROUP && (i == IF_KIND || i == IF_CODE)))
			continue;
		imp_rec_error(a, r, (int)i, "not a field of a %s",
		    r->kind == IMP_GROUP ? "group" : "role");
	}
	if (r->f[IF_ID].v != NULL) {
		if (uuid_normalize(r->f[IF_ID].v, r->f[IF_ID].len, canon) != 0
		    || uuid_is_nil(canon))
			imp_rec_error(a, r, IF_ID, "not a uuid");
		else
			r->canon_id = arena_strndup(a, canon, UUID_STR_LEN);
	}
	if (r->f[IF_DESCRIPTION].v != NULL &&
	    r->f[IF_DESCRIPTION].len > IMP_DESCRIPTION_MAX)
		imp_rec_error(a, r, IF_DESCRIPTION, "longer than %d bytes",
		    IMP_DESCRIPTION_MAX);
	if (r->f[IF_NAME].v != NULL && r->f[IF_NAME].len > IMP_NAME_MAX)
		imp_rec_error(a, r, IF_NAME, "longer than %d bytes",
		    IMP_NAME_MAX);
	if (r->kind == IMP_ROLE) {
		if (r->f[IF_NAME].v == NULL)
			imp_rec_error(a, r, IF_NAME, "required");
		return;
	}
	if (r->f[IF_KIND].v == NULL)
		r->f[IF_KIND].v = "user";
	for (i = 0; i < RS_ARRAY_LEN(group_kinds); i++)
		if (strcmp(r->f[IF_KIND].v, group_kinds[i]) == 0)
			break;
	if (i == RS_ARRAY_LEN(group_kinds))
		imp_rec_error(a, r, IF_KIND, "not security, user, admin or "
		    "privilege");
	if (r->f[IF_CODE].v == NULL)
		imp_rec_error(a, r, IF_CODE, "required");
	else if (r->f[IF_CODE].len > IMP_GROUP_CODE_MAX)
		imp_rec_error(a, r, IF_CODE, "longer than %d bytes",
		    IMP_GROUP_CODE_MAX);
}

size_t
imp_rec_check(struct arena *a, struct imp_rec *r, int upsert)
{
	size_t i;

	/* Blank text is absent, as an empty cell is. */
	for (i = 0; i < IF__MAX; i++) {
		const char *s = r->f[i].v;
		size_t n = r->f[i].len;

		if (s == NULL || i == IF_GROUPS || i == IF_ROLES)
			continue;
		trim(&s, &n);
		if (n == 0)
			r->f[i].v = NULL;
	}
	if (r->kind == IMP_USER)
		check_user(a, r, !upsert);
	else
		check_def(a, r);
	return r->nerrs;
}

int
imp_header_parse(const struct table_row *row, struct imp_header *h,
    char *err, size_t errlen)
{
	size_t i;
	int f;

	memset(h, 0, sizeof(*h));
	h->ncols = row->n;
	for (i = 0; i < row->n; i++) {
		const char *s = row->cells[i].v;
		size_t n = row->cells[i].len;

		trim(&s, &n);
		f = imp_field_find(s, n);
		if (f < 0 || f >= IF_KIND) {
			snprintf(err, errlen, "line %ld, column %zu: unknown "
			    "column \"%.*s\" (the columns are /v1's user "
			    "fields: username, email, ... groups, roles)",
			    row->line, i + 1, (int)(n > 64 ? 64 : n), s);
			return -1;
		}
		if (h->col[f] != 0) {
			snprintf(err, errlen, "line %ld, column %zu: column "
			    "\"%s\" again (first in column %d)", row->line,
			    i + 1, field_names[f], h->col[f]);
			return -1;
		}
		h->col[f] = (int)i + 1;
		h->field[i] = f;
	}
	return 0;
}

/*
 * A cell rosterctl export (or a careful spreadsheet user) guarded with a
 * leading ': one whose text after its leading quotes a spreadsheet would
 * take for a formula (csv_cell_protected(), the rule export follows), so
 * that exactly the quote export added goes ("'=1" is "=1", "''=1" is
 * "'=1") and a quote that guards nothing ("'+44 1") stays.
 */
static int
formula_guarded(const char *s, size_t n)
{
	return n >= 2 && s[0] == '\'' && csv_cell_protected(s, n);
}

void
imp_row_record(struct arena *a, const struct imp_header *h,
    const struct table_row *row, struct imp_rec *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->kind = IMP_USER;
	r->line = row->line;
	r->cols = h->col;
	for (i = 0; i < row->n; i++) {
		const char *s = row->cells[i].v;
		size_t n = row->cells[i].len;

		if (i >= h->ncols) {
			if (n > 0) {
				imp_rec_error(a, r, -1, "more cells than the "
				    "header's %zu columns", h->ncols);
				break;
			}
			continue;
		}
		if (n == 0)
			continue;
		if (formula_guarded(s, n)) {
			s++;
			n--;
		}
		r->f[h->field[i]].v = arena_strndup(a, s, n);
		r->f[h->field[i]].len = n;
	}
}

int
imp_open_file(const char *path, long long *size, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*size = (long long)st.st_size;
	return fd;
}
