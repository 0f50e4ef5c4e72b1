/*
 * jsonl.c: the JSON Lines source of rosterctl import: one JSON object
 * per line ({"type":"user"|"group"|"role", ...}, no "type" = a user),
 * decoded with yajl (formats/json.c).  The file is read through a
 * buffer of JSONL_LINE_MAX bytes and a block: a longer line is skipped
 * to its end without being held (an error of that line), and so is a
 * line that is not UTF-8 or not JSON; reading goes on at the next line.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/formats.h"
#include "imp/imp.h"
#include "util/util.h"

#define JSONL_BLOCK	(64 * 1024)
#define JSONL_CAP	(JSONL_LINE_MAX + JSONL_BLOCK)

struct jsonl {
	int		 fd;
	char		*path;
	char		*buf;
	size_t		 start, end;
	int		 eof;
	long		 line;		/* of the next line */
	long long	 consumed, size;
	jsonl_map_fn	 map;		/* NULL: rosterd's own records */
	void		*map_ctx;
};

struct jsonl *
jsonl_open(const char *path, char *err, size_t errlen)
{
	struct jsonl *j;
	long long size;
	int fd;

	if ((fd = imp_open_file(path, &size, err, errlen)) < 0)
		return NULL;
	j = xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = xstrdup(path);
	j->buf = xmalloc(JSONL_CAP + 1);
	j->line = 1;
	j->size = size;
	return j;
}

/* Reads more after end (moving the unread part to the front). */
static int
jsonl_fill(struct jsonl *j, char *err, size_t errlen)
{
	ssize_t n;

	if (j->start > 0) {
		memmove(j->buf, j->buf + j->start, j->end - j->start);
		j->end -= j->start;
		j->start = 0;
	}
	if (j->end == JSONL_CAP)
		return 0;
	do
		n = read(j->fd, j->buf + j->end, JSONL_CAP - j->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	if (n == 0)
		j->eof = 1;
	j->end += (size_t)n;
	return 0;
}

/*
 * The next line in [*p, *p + *n) (its newline cut): 1, 0 at the end, -1
 * on a read error; *toolong when it was longer than JSONL_LINE_MAX (then
 * it was skipped and *n is 0).
 */
static int
jsonl_line(struct jsonl *j, char **p, size_t *n, int *toolong, char *err,
    size_t errlen)
{
	char *nl;

	*toolong = 0;
	for (;;) {
		nl = memchr(j->buf + j->start, '\n', j->end - j->start);
		if (nl != NULL && !*toolong &&
		    (size_t)(nl - (j->buf + j->start)) <= JSONL_LINE_MAX) {
			*p = j->buf + j->start;
			*n = (size_t)(nl - *p);
			j->consumed += (long long)*n + 1;
			j->start += *n + 1;
			return 1;
		}
		if (nl != NULL) {	/* the end of a skipped line */
			j->consumed += nl + 1 - (j->buf + j->start);
			j->start = (size_t)(nl + 1 - j->buf);
			*toolong = 1;
			*n = 0;
			return 1;
		}
		if (j->end - j->start > JSONL_LINE_MAX) {
			*toolong = 1;	/* drop what is held, read on */
			j->consumed += (long long)(j->end - j->start);
			j->start = j->end = 0;
		}
		if (j->eof) {
			if (*toolong) {
				*n = 0;
				return 1;
			}
			if (j->end == j->start)
				return 0;
			*p = j->buf + j->start;
			*n = j->end - j->start;
			j->consumed += (long long)*n;
			j->start = j->end;
			return 1;
		}
		if (jsonl_fill(j, err, errlen) != 0)
			return -1;
	}
}

static const struct fmt_limits jsonl_limits = {
	8,			/* depth */
	10000,			/* members or items */
	TABLE_CELL_MAX,		/* string */
	100000,			/* values */
};

/* A mapped source's lines (Auth0's metadata nests deeper). */
static const struct fmt_limits jsonl_map_limits = {
	32, 10000, TABLE_CELL_MAX, 100000,
};

/* A list of strings: groups or roles. */
void
imp_json_list(struct arena *a, struct imp_rec *r, int field,
    const struct value *v)
{
	size_t i, n = 0;

	if (v->type != VALUE_ARRAY) {
		imp_rec_error(a, r, field, "not an array of strings");
		return;
	}
	r->f[field].v = "";
	if (field == IF_ROLES)
		r->roles = arena_allocarray(a, v->u.arr.n + 1,
		    sizeof(*r->roles));
	else
		r->groups = arena_allocarray(a, v->u.arr.n + 1,
		    sizeof(*r->groups));
	for (i = 0; i < v->u.arr.n; i++) {
		const struct value *it = v->u.arr.items[i];

		if (it->type != VALUE_STRING) {
			imp_rec_error(a, r, field, "item %zu is not a string",
			    i);
			continue;
		}
		if (field == IF_ROLES)
			r->roles[n++] = it->u.str.p;
		else {
			/* one item, whole: a ';' is part of its code */
			struct imp_rec one = { 0 };

			one.line = r->line;
			if (imp_group_ref(a, &one, it->u.str.p, it->u.str.len,
			    &r->groups[n]) == 0)
				n++;
			else
				imp_rec_error(a, r, field, "item %zu: %s", i,
				    one.errs[0].msg);
		}
	}
	if (field == IF_ROLES)
		r->nroles = n;
	else
		r->ngroups = n;
}

static void
jsonl_record(struct arena *a, struct imp_rec *r, const struct value *doc)
{
	const struct value *t = value_get(doc, "type");
	size_t i;
	int f;

	r->kind = IMP_USER;
	if (t != NULL && t->type == VALUE_STRING &&
	    strcmp(t->u.str.p, "group") == 0)
		r->kind = IMP_GROUP;
	else if (t != NULL && t->type == VALUE_STRING &&
	    strcmp(t->u.str.p, "role") == 0)
		r->kind = IMP_ROLE;
	else if (t != NULL && !(t->type == VALUE_STRING &&
	    strcmp(t->u.str.p, "user") == 0)) {
		imp_rec_error(a, r, -1, "\"type\" is not \"user\", \"group\" "
		    "or \"role\"");
		return;
	}
	for (i = 0; i < doc->u.obj.n; i++) {
		const struct member *m = &doc->u.obj.members[i];
		const struct value *v = m->val;

		if (strcmp(m->key, "type") == 0)
			continue;
		f = imp_field_find(m->key, m->klen);
		if (f < 0 || strcmp(imp_field_name(f), m->key) != 0) {
			imp_rec_error(a, r, -1, "unknown field \"%.64s\"",
			    m->key);
			continue;
		}
		if (v->type == VALUE_NULL)
			continue;
		if (f == IF_GROUPS || f == IF_ROLES) {
			imp_json_list(a, r, f, v);
			continue;
		}
		if (f >= IF_ACTIVE && f <= IF_MUST_CHANGE) {
			if (v->type != VALUE_BOOL) {
				imp_rec_error(a, r, f, "not true or false");
				continue;
			}
			r->f[f].v = v->u.boolean ? "true" : "false";
			r->f[f].len = strlen(r->f[f].v);
			continue;
		}
		if (v->type != VALUE_STRING) {
			imp_rec_error(a, r, f, "not a string");
			continue;
		}
		r->f[f].v = v->u.str.p;
		r->f[f].len = v->u.str.len;
	}
}

int
jsonl_next(struct jsonl *j, struct arena *a, struct imp_rec *r, char *err,
    size_t errlen)
{
	struct fmt_error fe;
	struct value *doc;
	char *p;
	size_t n, bad, k;
	int toolong, rc;

	for (;;) {
		memset(r, 0, sizeof(*r));
		r->line = j->line;
		if ((rc = jsonl_line(j, &p, &n, &toolong, err, errlen)) <= 0)
			return rc;
		j->line++;
		if (toolong) {
			imp_rec_error(a, r, -1, "a line longer than %d bytes",
			    JSONL_LINE_MAX);
			return 1;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		/* a UTF-8 byte order mark first (PowerShell writes one) */
		if (r->line == 1 && n >= 3 &&
		    memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			p += 3;
			n -= 3;
		}
		for (k = 0; k < n && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k == n)
			continue;	/* blank */
		if ((bad = utf8_check(p, n)) != n) {
			imp_rec_error(a, r, -1, "%s at byte %zu", p[bad] ==
			    '\0' ? "a NUL byte" : "bad UTF-8", bad + 1);
			return 1;
		}
		if (json_decode(a, p, n, j->map != NULL ?
		    &jsonl_map_limits : &jsonl_limits, &doc, &fe) != FMT_OK) {
			imp_rec_error(a, r, -1, "not JSON: %s", fe.msg);
			return 1;
		}
		if (doc->type != VALUE_OBJECT) {
			imp_rec_error(a, r, -1, "not a JSON object");
			return 1;
		}
		if (j->map != NULL)
			j->map(j->map_ctx, a, r, doc);
		else
			jsonl_record(a, r, doc);
		return 1;
	}
}

void
jsonl_set_map(struct jsonl *j, jsonl_map_fn map, void *ctx)
{
	j->map = map;
	j->map_ctx = ctx;
}

void
jsonl_progress(const struct jsonl *j, long long *done, long long *total)
{
	*done = j->consumed;
	*total = j->size;
}

void
jsonl_close(struct jsonl *j)
{
	if (j == NULL)
		return;
	close(j->fd);
	free(j->buf);
	free(j->path);
	free(j);
}
