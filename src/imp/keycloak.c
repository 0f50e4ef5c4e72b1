/*
 * keycloak.c: the Keycloak source of rosterctl import.  A realm export
 * is one JSON document ({"realm": ..., "roles": {"realm": [...]},
 * "groups": [...], "users": [...], ...}); it is read in blocks through
 * yajl's callback parser.  The top levels are followed by a small state
 * machine; each element of "users", "groups" and "roles"."realm" is
 * built as a value tree in an arena of its own (bounded: KC_VALUES_MAX
 * values, KC_STRING_MAX bytes a string) and queued; kc_next() maps the
 * queue's head to a record and frees it on the next call.  Nothing else
 * of the document is held.
 *
 * Mapping: a user's username, email, firstName, lastName, enabled
 * (active), emailVerified (verified), id (when a uuid),
 * requiredActions UPDATE_PASSWORD (mustChangePassword),
 * attributes.locale, realmRoles (roles), groups (paths: group codes
 * without the leading "/") and its password credential (a PHC string);
 * a group's path, name, id and description; a realm role's name,
 * description and id.  Keycloak's built-in roles (default-roles-<realm>,
 * offline_access, uma_authorization), service-account users, client
 * roles and credentials other than passwords are counted, not imported.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "formats/formats.h"
#include "imp/imp.h"
#include "util/util.h"

#define KC_BLOCK	(64 * 1024)
#define KC_CRED_MAX	(8 * 1024)	/* secretData, credentialData */

enum kc_sect { S_NONE, S_USERS, S_GROUPS, S_ROLES, S_ROLES_REALM };

struct kc_item {
	enum imp_kind	 kind;
	struct value	*v;		/* a user, role or group tree */
	const char	*code, *name, *id, *descr;	/* a group */
	long		 index;		/* in its array */
	struct arena	*a;		/* owned: freed after its use */
	char		*errs;		/* found while building it */
	int		 pre;		/* its groups were looked at */
	struct kc_item	*next;
};

struct kc {
	int		 fd;
	char		*path;
	yajl_handle	 y;
	unsigned char	*blk;
	long long	 consumed, size;
	int		 eof, done;
	char		 perr[256];	/* a parse-level failure */
	char		 realm[256];
	/* where the parser is, outside an element */
	int		 depth;
	int		 key1, key2;	/* the key at depth 1 and 2 */
	enum kc_sect	 sect;
	long		 index[3];	/* users, groups, roles seen */
	/* the element being built */
	struct arena	*ea;
	struct value	*cstack[KC_DEPTH_MAX];
	long		 cidx[KC_DEPTH_MAX];
	char		*ckey[KC_DEPTH_MAX];
	int		 cdepth;
	size_t		 nvalues;
	struct buf	 cerr;
	/* a string's length, scanned before yajl holds it */
	int		 in_str, esc;
	size_t		 slen;
	/* the queue of built elements */
	struct kc_item	*head, *tail;
	struct arena	*used;		/* the last record's */
	long		 ord;		/* records returned */
	/* the group codes written (lower case), so each is once */
	char		**gset;
	size_t		 gcap, gn;
	struct imp_notes notes;
};

enum { K_OTHER, K_REALM, K_USERS, K_GROUPS, K_ROLES, K_REALMROLES };

static const char *const builtin_roles[] = {
	"offline_access", "uma_authorization",
};

/* ---- the set of group codes ---- */

static size_t
gset_hash(const char *s)
{
	size_t h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)tolower((unsigned char)*s);
	return h;
}

/* 1 when code was added (it was not there), 0 when it was. */
static int
gset_add(struct kc *k, const char *code)
{
	size_t i, j;

	if (k->gn * 2 >= k->gcap) {
		char **old = k->gset;
		size_t oldcap = k->gcap;

		k->gcap = k->gcap ? k->gcap * 2 : 256;
		k->gset = xcalloc(k->gcap, sizeof(*k->gset));
		for (j = 0; j < oldcap; j++) {
			if (old[j] == NULL)
				continue;
			for (i = gset_hash(old[j]) % k->gcap;
			    k->gset[i] != NULL; i = (i + 1) % k->gcap)
				;
			k->gset[i] = old[j];
		}
		free(old);
	}
	for (i = gset_hash(code) % k->gcap; k->gset[i] != NULL;
	    i = (i + 1) % k->gcap)
		if (strcasecmp(k->gset[i], code) == 0)
			return 0;
	k->gset[i] = xstrdup(code);
	k->gn++;
	return 1;
}

/* ---- building elements ---- */

static void
kc_path(struct kc *k, struct buf *b)
{
	static const char *const sect[] = { "", "users", "groups", "roles",
	    "roles.realm" };
	int i;

	buf_printf(b, "%s[%ld]", sect[k->sect], k->cidx[0]);
	for (i = 1; i < k->cdepth; i++) {
		if (k->cstack[i - 1]->type == VALUE_OBJECT)
			buf_printf(b, ".%.64s", k->ckey[i - 1] ?
			    k->ckey[i - 1] : "");
		else
			buf_printf(b, "[%ld]", k->cidx[i] - 1);
	}
	if (k->cdepth > 0 && k->cstack[k->cdepth - 1]->type ==
	    VALUE_OBJECT && k->ckey[k->cdepth - 1] != NULL)
		buf_printf(b, ".%.64s", k->ckey[k->cdepth - 1]);
}

static void
kc_elem_error(struct kc *k, const char *msg)
{
	if (k->cerr.len > 0)
		buf_puts(&k->cerr, "; ");
	kc_path(k, &k->cerr);
	buf_printf(&k->cerr, ": %s", msg);
}

/* Adds v to the element being built (NULL: v was dropped). */
static void
kc_attach(struct kc *k, struct value *v)
{
	struct value *top = k->cstack[k->cdepth - 1];

	if (top->type == VALUE_OBJECT) {
		if (v != NULL && k->ckey[k->cdepth - 1] != NULL)
			value_set(k->ea, top, k->ckey[k->cdepth - 1], v);
		k->ckey[k->cdepth - 1] = NULL;
	} else {
		if (v != NULL)
			value_push(k->ea, top, v);
		k->cidx[k->cdepth - 1]++;
	}
}

/* A new scalar of the element; 0 when it is over its bound. */
static int
kc_counted(struct kc *k)
{
	if (++k->nvalues == KC_VALUES_MAX + 1)
		kc_elem_error(k, "more than 200000 values");
	return k->nvalues <= KC_VALUES_MAX;
}

static void
kc_queue(struct kc *k, struct kc_item *it)
{
	it->next = NULL;
	if (k->tail != NULL)
		k->tail->next = it;
	else
		k->head = it;
	k->tail = it;
}

/* The element's root closed: queued. */
static void
kc_elem_done(struct kc *k)
{
	struct kc_item *it = arena_zalloc(k->ea, sizeof(*it));

	it->kind = k->sect == S_USERS ? IMP_USER : k->sect == S_GROUPS ?
	    IMP_GROUP : IMP_ROLE;
	it->v = k->cstack[0];
	it->index = k->cidx[0];
	it->a = k->ea;
	if (k->cerr.len > 0)
		it->errs = arena_strndup(k->ea, k->cerr.p, k->cerr.len);
	buf_reset(&k->cerr);
	k->ea = NULL;
	k->cdepth = 0;
	kc_queue(k, it);
}

/* ---- yajl's callbacks ---- */

static int
kc_fail(struct kc *k, const char *msg)
{
	snprintf(k->perr, sizeof(k->perr), "%s", msg);
	return 0;
}

/* A scalar at the top levels (outside elements). */
static int
kc_top_scalar(struct kc *k, const unsigned char *s, size_t n, int is_str)
{
	if (k->depth == 0)
		return kc_fail(k, "not a Keycloak realm export (the document "
		    "is not a JSON object)");
	if (k->depth == 1 && k->key1 == K_REALM && is_str)
		snprintf(k->realm, sizeof(k->realm), "%.*s", (int)n,
		    (const char *)s);
	return 1;
}

static int
kc_scalar(struct kc *k, struct value *(*mk)(struct kc *,
    const unsigned char *, size_t), const unsigned char *s, size_t n,
    int is_str)
{
	if (k->cdepth == 0)
		return kc_top_scalar(k, s, n, is_str);
	kc_attach(k, kc_counted(k) ? mk(k, s, n) : NULL);
	return 1;
}

static struct value *
mk_null(struct kc *k, const unsigned char *s, size_t n)
{
	(void)s;
	(void)n;
	return value_null(k->ea);
}

static struct value *
mk_bool(struct kc *k, const unsigned char *s, size_t n)
{
	(void)n;
	return value_bool(k->ea, s != NULL);
}

static struct value *
mk_number(struct kc *k, const unsigned char *s, size_t n)
{
	char *t = arena_strndup(k->ea, (const char *)s, n);

	return value_number(k->ea, t);
}

static struct value *
mk_string(struct kc *k, const unsigned char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL) {
		kc_elem_error(k, "a NUL character");
		return NULL;
	}
	return value_string(k->ea, (const char *)s, n);
}

static int
cb_null(void *ctx)
{
	return kc_scalar(ctx, mk_null, NULL, 0, 0);
}

static int
cb_bool(void *ctx, int b)
{
	return kc_scalar(ctx, mk_bool, b ? (const unsigned char *)"" : NULL,
	    0, 0);
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	return kc_scalar(ctx, mk_number, (const unsigned char *)s, n, 0);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	if (utf8_check((const char *)s, n) != n)
		return kc_fail(ctx, "a string is not valid UTF-8");
	return kc_scalar(ctx, mk_string, s, n, 1);
}

/* The elements: a container where sect's elements are. */
static int
kc_elements_here(struct kc *k)
{
	return (k->depth == 2 && (k->sect == S_USERS ||
	    k->sect == S_GROUPS)) || (k->depth == 3 &&
	    k->sect == S_ROLES_REALM);
}

static int
kc_open_container(struct kc *k, int is_map)
{
	struct value *v;

	if (k->depth + 1 > KC_DEPTH_MAX)
		return kc_fail(k, "nested deeper than 64 levels");
	if (k->cdepth == 0 && kc_elements_here(k)) {
		if (!is_map)
			return kc_fail(k, "an element that is not an object");
		k->ea = arena_new(0);
		k->nvalues = 1;
		k->index[k->sect == S_USERS ? 0 : k->sect == S_GROUPS ? 1 :
		    2]++;
		k->cstack[0] = value_object(k->ea);
		k->ckey[0] = NULL;
		k->cidx[0] = k->index[k->sect == S_USERS ? 0 :
		    k->sect == S_GROUPS ? 1 : 2] - 1;
		k->cdepth = 1;
	} else if (k->cdepth > 0) {
		v = kc_counted(k) ? (is_map ? value_object(k->ea) :
		    value_array(k->ea)) : NULL;
		kc_attach(k, v);
		if (v == NULL)	/* over the bound: a scratch one */
			v = is_map ? value_object(k->ea) : value_array(k->ea);
		k->cstack[k->cdepth] = v;
		k->ckey[k->cdepth] = NULL;
		k->cidx[k->cdepth] = 0;
		k->cdepth++;
	} else if (k->depth == 0 && !is_map)
		return kc_fail(k, "not a Keycloak realm export (the document "
		    "is not a JSON object)");
	else if (k->depth == 1 && k->key1 == K_USERS && is_map)
		return kc_fail(k, "\"users\" is not an array");
	else if (k->depth == 1)
		k->sect = !is_map ? (k->key1 == K_USERS ? S_USERS :
		    k->key1 == K_GROUPS ? S_GROUPS : S_NONE) :
		    k->key1 == K_ROLES ? S_ROLES : S_NONE;
	else if (k->depth == 2 && k->sect == S_ROLES && !is_map &&
	    k->key2 == K_REALMROLES)
		k->sect = S_ROLES_REALM;
	k->depth++;
	return 1;
}

static int
kc_close_container(struct kc *k)
{
	k->depth--;
	if (k->cdepth > 0) {
		if (--k->cdepth == 0)
			kc_elem_done(k);
		else if (k->cstack[k->cdepth - 1]->type == VALUE_OBJECT)
			k->ckey[k->cdepth - 1] = NULL;
		return 1;
	}
	if (k->depth == 1 || (k->depth == 2 && k->sect == S_ROLES_REALM))
		k->sect = k->depth == 2 ? S_ROLES : S_NONE;
	if (k->depth == 0)
		k->done = 1;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return kc_open_container(ctx, 1);
}

static int
cb_end_map(void *ctx)
{
	return kc_close_container(ctx);
}

static int
cb_start_array(void *ctx)
{
	return kc_open_container(ctx, 0);
}

static int
cb_end_array(void *ctx)
{
	return kc_close_container(ctx);
}

static int
cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct kc *k = ctx;

	if (utf8_check((const char *)s, n) != n)
		return kc_fail(k, "a key is not valid UTF-8");
	if (k->cdepth > 0) {
		k->ckey[k->cdepth - 1] = memchr(s, '\0', n) != NULL ? NULL :
		    arena_strndup(k->ea, (const char *)s, n);
		return 1;
	}
#define KEY_IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)
	if (k->depth == 1)
		k->key1 = KEY_IS("realm") ? K_REALM : KEY_IS("users") ?
		    K_USERS : KEY_IS("groups") ? K_GROUPS : KEY_IS("roles") ?
		    K_ROLES : K_OTHER;
	else if (k->depth == 2 && k->sect == S_ROLES)
		k->key2 = KEY_IS("realm") ? K_REALMROLES : K_OTHER;
#undef KEY_IS
	return 1;
}

static const yajl_callbacks kc_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/* ---- the file ---- */

struct kc *
kc_open(const char *path, char *err, size_t errlen)
{
	struct kc *k;
	long long size;
	int fd;

	if ((fd = imp_open_file(path, &size, err, errlen)) < 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->fd = fd;
	k->path = xstrdup(path);
	k->blk = xmalloc(KC_BLOCK);
	k->size = size;
	buf_init(&k->cerr, NULL);
	k->y = yajl_alloc(&kc_callbacks, NULL, k);
	if (k->y == NULL)
		abort();
	return k;
}

/*
 * The lengths of the strings in blk[0..n), followed across blocks: yajl
 * holds a whole string before its callback, so a string over
 * KC_STRING_MAX is refused before yajl sees it.  -1 then.
 */
static int
kc_scan_strings(struct kc *k, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!k->in_str) {
			if (p[i] == '"') {
				k->in_str = 1;
				k->slen = 0;
			}
			continue;
		}
		if (k->esc)
			k->esc = 0;
		else if (p[i] == '\\')
			k->esc = 1;
		else if (p[i] == '"') {
			k->in_str = 0;
			continue;
		}
		if (++k->slen > KC_STRING_MAX) {
			snprintf(k->perr, sizeof(k->perr), "a string longer "
			    "than %d bytes at byte %lld", KC_STRING_MAX,
			    k->consumed + (long long)i + 1);
			return -1;
		}
	}
	return 0;
}

/* Parses one more block: 0, or -1 with err (the document is bad). */
static int
kc_feed(struct kc *k, char *err, size_t errlen)
{
	yajl_status st;
	ssize_t n;

	do
		n = read(k->fd, k->blk, KC_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", k->path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		k->eof = 1;
		st = yajl_complete_parse(k->y);
		if ((st == yajl_status_ok && !k->done) || k->consumed == 0)
			snprintf(k->perr, sizeof(k->perr), "the document is "
			    "empty");
		else if (st != yajl_status_ok && k->perr[0] == '\0')
			snprintf(k->perr, sizeof(k->perr), "the document ends "
			    "early (truncated?)");
	} else if (kc_scan_strings(k, k->blk, (size_t)n) != 0)
		st = yajl_status_error;
	else {
		st = yajl_parse(k->y, k->blk, (size_t)n);
		if (st != yajl_status_ok && k->perr[0] == '\0') {
			unsigned char *m = yajl_get_error(k->y, 0, k->blk,
			    (size_t)n);

			snprintf(k->perr, sizeof(k->perr), "not JSON at byte "
			    "%lld: %s", k->consumed + (long long)
			    yajl_get_bytes_consumed(k->y), (const char *)m);
			yajl_free_error(k->y, m);
		}
		k->consumed += n;
	}
	if (k->perr[0] != '\0') {
		snprintf(err, errlen, "%s: %s", k->path, k->perr);
		return -1;
	}
	return 0;
}

/* ---- mapping ---- */

static const char *
str_of(const struct value *v, size_t *n)
{
	if (v == NULL || v->type != VALUE_STRING)
		return NULL;
	if (n != NULL)
		*n = v->u.str.len;
	return v->u.str.p;
}

static void
set_str(struct imp_rec *r, int f, const struct value *obj, const char *key)
{
	const struct value *v = value_get(obj, key);

	if (v != NULL && v->type == VALUE_STRING) {
		r->f[f].v = v->u.str.p;
		r->f[f].len = v->u.str.len;
	}
}

static void
set_bool(struct imp_rec *r, int f, int b)
{
	r->f[f].v = b ? "true" : "false";
	r->f[f].len = strlen(r->f[f].v);
}

static int
uuid_ok(const char *s, size_t n)
{
	char canon[UUID_STR_LEN + 1];

	return s != NULL && uuid_normalize(s, n, canon) == 0 &&
	    !uuid_is_nil(canon);
}

static int
kc_builtin_role(const struct kc *k, const char *name)
{
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(builtin_roles); i++)
		if (strcmp(name, builtin_roles[i]) == 0)
			return 1;
	if (strncmp(name, "default-roles-", 14) != 0)
		return 0;
	return k->realm[0] == '\0' || strcasecmp(name + 14, k->realm) == 0;
}

/* A value of an additionalParameters map: ["7168"], "7168" or 7168. */
static long
kc_param(const struct value *params, const char *key, long dflt,
    const char **sval)
{
	const struct value *v = value_get(params, key);
	char *end;
	long n;

	if (v != NULL && v->type == VALUE_ARRAY && v->u.arr.n > 0)
		v = v->u.arr.items[0];
	if (v == NULL || (v->type != VALUE_STRING &&
	    v->type != VALUE_NUMBER))
		return dflt;
	if (sval != NULL)
		*sval = v->u.str.p;
	errno = 0;
	n = strtol(v->u.str.p, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	return n;
}

/* Standard base64 (padded or not) as PHC's B64: no padding. */
static const char *
kc_b64(struct arena *a, const struct value *v, size_t *rawlen)
{
	unsigned char *raw;
	size_t n, len;
	const char *s = str_of(v, &n);
	char *out;

	if (s == NULL || n == 0 || base64_decode(a, s, n, &raw, &len) != 0 ||
	    len == 0)
		return NULL;
	out = base64_encode(a, raw, len);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	if (rawlen != NULL)
		*rawlen = len;
	return out;
}

static const struct fmt_limits kc_cred_limits = {
	4, 64, KC_CRED_MAX, 256,
};

int
kc_password_phc(struct arena *a, const char *secret, size_t slen,
    const char *cdata, size_t clen, const char **phc, const char **alg,
    char *err, size_t errlen)
{
	struct value *sd, *cd, *params;
	struct fmt_error fe;
	const char *salt, *hash, *type = "id", *ver = "1.3";
	long iter, m, p, hlen;
	size_t rawlen;
	char *end;

	*phc = NULL;
	*alg = NULL;
	if (json_decode(a, secret, slen, &kc_cred_limits, &sd, &fe) !=
	    FMT_OK || sd->type != VALUE_OBJECT) {
		snprintf(err, errlen, "secretData is not a JSON object");
		return -1;
	}
	if (json_decode(a, cdata, clen, &kc_cred_limits, &cd, &fe) !=
	    FMT_OK || cd->type != VALUE_OBJECT) {
		snprintf(err, errlen, "credentialData is not a JSON object");
		return -1;
	}
	if ((*alg = str_of(value_get(cd, "algorithm"), NULL)) == NULL) {
		snprintf(err, errlen, "credentialData has no algorithm");
		return -1;
	}
	if (strcmp(*alg, "pbkdf2-sha256") != 0 &&
	    strcmp(*alg, "pbkdf2-sha512") != 0 &&
	    strcmp(*alg, "pbkdf2") != 0 && strcmp(*alg, "argon2") != 0)
		return 1;
	iter = -1;
	if (value_get(cd, "hashIterations") != NULL &&
	    value_get(cd, "hashIterations")->type == VALUE_NUMBER) {
		errno = 0;
		iter = strtol(value_get(cd, "hashIterations")->u.str.p, &end,
		    10);
		if (*end != '\0' || errno != 0)
			iter = -1;
	}
	if (iter < 1 || iter > 100000000) {
		snprintf(err, errlen, "credentialData.hashIterations is not a "
		    "count from 1 to 100000000");
		return -1;
	}
	if ((salt = kc_b64(a, value_get(sd, "salt"), NULL)) == NULL) {
		snprintf(err, errlen, "secretData.salt is not base64");
		return -1;
	}
	if ((hash = kc_b64(a, value_get(sd, "value"), &rawlen)) == NULL) {
		snprintf(err, errlen, "secretData.value is not base64");
		return -1;
	}
	if (strcmp(*alg, "argon2") != 0) {
		*phc = arena_sprintf(a, "$pbkdf2-%s$i=%ld$%s$%s",
		    strcmp(*alg, "pbkdf2") == 0 ? "sha1" : *alg + 7, iter,
		    salt, hash);
		return 0;
	}
	params = value_get(cd, "additionalParameters");
	m = kc_param(params, "memory", 7168, NULL);
	p = kc_param(params, "parallelism", 1, NULL);
	hlen = kc_param(params, "hashLength", (long)rawlen, NULL);
	(void)kc_param(params, "type", 0, &type);
	(void)kc_param(params, "version", 0, &ver);
	if (m < 8 || m > 4194304 || p < 1 || p > 255 ||
	    hlen != (long)rawlen) {
		snprintf(err, errlen, "credentialData.additionalParameters: "
		    "memory, parallelism or hashLength out of range");
		return -1;
	}
	if (strcmp(type, "id") != 0 && strcmp(type, "i") != 0 &&
	    strcmp(type, "d") != 0) {
		snprintf(err, errlen, "credentialData.additionalParameters."
		    "type is not id, i or d");
		return -1;
	}
	if (strcmp(ver, "1.3") != 0 && strcmp(ver, "1.0") != 0) {
		snprintf(err, errlen, "credentialData.additionalParameters."
		    "version is not 1.3 or 1.0");
		return -1;
	}
	*phc = arena_sprintf(a, "$argon2%s$v=%d$m=%ld,t=%ld,p=%ld$%s$%s",
	    type, strcmp(ver, "1.3") == 0 ? 19 : 16, m, iter, p, salt, hash);
	return 0;
}

/* A user's or group's error text: its place, then msg. */
static void
kc_rec_error(struct arena *a, struct imp_rec *r, int field,
    const char *where, const char *msg)
{
	imp_rec_error(a, r, field, "%s: %s", where, msg);
}

static void
kc_password(struct kc *k, struct arena *a, struct imp_rec *r,
    const struct value *creds, const char *where)
{
	const char *phc, *alg;
	char err[256];
	size_t i, sl = 0, cl = 0;
	int seen = 0;

	if (creds == NULL || creds->type != VALUE_ARRAY)
		return;
	for (i = 0; i < creds->u.arr.n; i++) {
		const struct value *c = creds->u.arr.items[i];
		const char *type = str_of(value_get(c, "type"), NULL);
		const char *sd = str_of(value_get(c, "secretData"), &sl);
		const char *cd = str_of(value_get(c, "credentialData"), &cl);

		if (type == NULL || strcmp(type, "password") != 0) {
			if (type == NULL || strcmp(type, "password-history"))
				k->notes.other_credentials++;
			continue;
		}
		if (seen++)
			continue;
		if (sd == NULL || cd == NULL) {
			imp_rec_error(a, r, IF_PASSWORD, "%s.credentials[%zu]: "
			    "no secretData or credentialData", where, i);
			continue;
		}
		if (sl > KC_CRED_MAX || cl > KC_CRED_MAX) {
			imp_rec_error(a, r, IF_PASSWORD, "%s.credentials[%zu]: "
			    "longer than %d bytes", where, i, KC_CRED_MAX);
			continue;
		}
		switch (kc_password_phc(a, sd, sl, cd, cl, &phc, &alg, err,
		    sizeof(err))) {
		case 0:
			r->f[IF_PASSWORD].v = phc;
			r->f[IF_PASSWORD].len = strlen(phc);
			break;
		case 1:
			r->warn = arena_sprintf(a, "%s.credentials[%zu]: "
			    "password algorithm \"%.64s\" is none rosterd "
			    "keeps; the user is imported without a password",
			    where, i, alg);
			k->notes.no_password++;
			imp_notes_alg(&k->notes, alg);
			break;
		default:
			imp_rec_error(a, r, IF_PASSWORD, "%s.credentials[%zu]: "
			    "%s", where, i, err);
			break;
		}
	}
}

/* A group reference of a user: its code, and its definition once. */
static void
kc_user_group(struct kc *k, struct arena *a, struct imp_rec *r,
    const char *path, size_t n, const char *where, size_t i)
{
	struct imp_gref *g = &r->groups[r->ngroups];

	if (n > 0 && path[0] == '/') {
		path++;
		n--;
	}
	if (n == 0 || n > 128) {
		imp_rec_error(a, r, IF_GROUPS, "%s.groups[%zu]: %s", where, i,
		    n == 0 ? "an empty path" : "a path longer than 128 "
		    "bytes");
		return;
	}
	(void)k;
	g->kind = "user";
	g->code = arena_strndup(a, path, n);
	r->ngroups++;
}

/*
 * The groups of user item it that no "groups" element defined (a
 * <realm>-users-N.json file has none): a group record each, queued
 * before it (name = the path's last part).  1 when there are any.
 */
static int
kc_user_groups_first(struct kc *k, struct kc_item *it)
{
	const struct value *v = value_get(it->v, "groups");
	struct kc_item *first = NULL, *last = NULL, *g;
	const char *s, *slash;
	size_t i, n = 0;

	if (v == NULL || v->type != VALUE_ARRAY ||
	    value_get(it->v, "serviceAccountClientId") != NULL)
		return 0;
	for (i = 0; i < v->u.arr.n; i++) {
		if ((s = str_of(v->u.arr.items[i], &n)) == NULL)
			continue;
		if (n > 0 && s[0] == '/') {
			s++;
			n--;
		}
		if (n == 0 || n > 128 || !gset_add(k, s))
			continue;
		g = arena_zalloc(it->a, sizeof(*g));
		g->kind = IMP_GROUP;
		g->code = s;
		slash = strrchr(s, '/');
		g->name = slash != NULL ? slash + 1 : s;
		g->index = -1;
		if (last != NULL)
			last->next = g;
		else
			first = g;
		last = g;
	}
	if (first == NULL)
		return 0;
	last->next = k->head;
	k->head = first;
	return 1;
}

/* A user element as a record; 0 when it is skipped. */
static int
kc_user(struct kc *k, struct kc_item *it, struct arena *a,
    struct imp_rec *r)
{
	const struct value *u = it->v, *v;
	const char *name = str_of(value_get(u, "username"), NULL);
	const char *where, *idv;
	size_t i, n = 0;

	where = arena_sprintf(a, "users[%ld] (%.64s)", it->index,
	    name != NULL ? name : "no username");
	if (value_get(u, "serviceAccountClientId") != NULL &&
	    value_get(u, "serviceAccountClientId")->type == VALUE_STRING) {
		k->notes.service_accounts++;
		return 0;
	}
	r->kind = IMP_USER;
	if (it->errs != NULL)
		imp_rec_error(a, r, -1, "%s", it->errs);
	set_str(r, IF_USERNAME, u, "username");
	if (name == NULL)
		kc_rec_error(a, r, IF_USERNAME, where, "no username");
	set_str(r, IF_EMAIL, u, "email");
	set_str(r, IF_FIRST_NAME, u, "firstName");
	set_str(r, IF_LAST_NAME, u, "lastName");
	if ((idv = str_of(value_get(u, "id"), &n)) != NULL && uuid_ok(idv, n))
		set_str(r, IF_ID, u, "id");
	if ((v = value_get(u, "enabled")) != NULL && v->type == VALUE_BOOL)
		set_bool(r, IF_ACTIVE, v->u.boolean);
	if ((v = value_get(u, "emailVerified")) != NULL &&
	    v->type == VALUE_BOOL)
		set_bool(r, IF_VERIFIED, v->u.boolean);
	if ((v = value_get(u, "requiredActions")) != NULL &&
	    v->type == VALUE_ARRAY)
		for (i = 0; i < v->u.arr.n; i++)
			if (str_of(v->u.arr.items[i], NULL) != NULL &&
			    strcmp(v->u.arr.items[i]->u.str.p,
			    "UPDATE_PASSWORD") == 0)
				set_bool(r, IF_MUST_CHANGE, 1);
	if ((v = value_get(value_get(u, "attributes"), "locale")) != NULL &&
	    v->type == VALUE_ARRAY && v->u.arr.n > 0 &&
	    str_of(v->u.arr.items[0], &n) != NULL) {
		r->f[IF_LOCALE].v = v->u.arr.items[0]->u.str.p;
		r->f[IF_LOCALE].len = n;
	}
	if ((v = value_get(u, "realmRoles")) != NULL) {
		if (v->type != VALUE_ARRAY)
			kc_rec_error(a, r, IF_ROLES, where, "realmRoles is not "
			    "an array");
		else {
			r->f[IF_ROLES].v = "";
			r->roles = arena_allocarray(a, v->u.arr.n + 1,
			    sizeof(*r->roles));
			for (i = 0; i < v->u.arr.n; i++) {
				const char *s = str_of(v->u.arr.items[i],
				    NULL);

				if (s == NULL)
					imp_rec_error(a, r, IF_ROLES, "%s."
					    "realmRoles[%zu]: not a string",
					    where, i);
				else if (kc_builtin_role(k, s))
					k->notes.builtin_assignments++;
				else
					r->roles[r->nroles++] = s;
			}
		}
	}
	if ((v = value_get(u, "clientRoles")) != NULL &&
	    v->type == VALUE_OBJECT)
		for (i = 0; i < v->u.obj.n; i++)
			if (v->u.obj.members[i].val->type == VALUE_ARRAY)
				k->notes.client_roles +=
				    (long long)v->u.obj.members[i].val->u.arr.n;
	if ((v = value_get(u, "groups")) != NULL) {
		if (v->type != VALUE_ARRAY)
			kc_rec_error(a, r, IF_GROUPS, where, "groups is not an "
			    "array");
		else {
			r->f[IF_GROUPS].v = "";
			r->groups = arena_allocarray(a, v->u.arr.n + 1,
			    sizeof(*r->groups));
			for (i = 0; i < v->u.arr.n; i++) {
				const char *s = str_of(v->u.arr.items[i], &n);

				if (s == NULL)
					imp_rec_error(a, r, IF_GROUPS, "%s."
					    "groups[%zu]: not a string", where,
					    i);
				else
					kc_user_group(k, a, r, s, n, where, i);
			}
		}
	}
	kc_password(k, a, r, value_get(u, "credentials"), where);
	if (r->nerrs == 0 && imp_rec_check(a, r, 1) > 0) {
		/* where it is: the record number is not a line */
		for (i = 0; i < r->nerrs; i++)
			r->errs[i].msg = arena_sprintf(a, "%s: %s", where,
			    r->errs[i].msg);
	}
	return 1;
}

/* A group tree's nodes as group items, queued in front (parents first). */
static void
kc_group_tree(struct kc *k, struct kc_item *root, struct arena *a)
{
	struct kc_item *first = NULL, *last = NULL, *it;
	struct {
		const struct value *g;
		const char *parent;
	} stack[KC_DEPTH_MAX];
	int sp = 0;
	size_t i, n = 0;

	stack[sp].g = root->v;
	stack[sp++].parent = "";
	while (sp > 0) {
		const struct value *g = stack[--sp].g, *sub;
		const char *parent = stack[sp].parent;
		const char *name = str_of(value_get(g, "name"), NULL);
		const char *path = str_of(value_get(g, "path"), &n);
		const char *id;

		it = arena_zalloc(a, sizeof(*it));
		it->kind = IMP_GROUP;
		it->index = root->index;
		it->errs = root->errs;
		root->errs = NULL;
		it->name = name;
		if (path != NULL && n > 1 && path[0] == '/')
			it->code = path + 1;
		else if (name != NULL)
			it->code = parent[0] != '\0' ? arena_sprintf(a,
			    "%s/%s", parent, name) : name;
		id = str_of(value_get(g, "id"), &n);
		if (uuid_ok(id, n))
			it->id = id;
		it->descr = str_of(value_get(g, "description"), NULL);
		if (it->code == NULL || gset_add(k, it->code) || it->errs) {
			if (last != NULL)
				last->next = it;
			else
				first = it;
			last = it;
		}
		sub = value_get(g, "subGroups");
		if (sub == NULL || sub->type != VALUE_ARRAY ||
		    it->code == NULL)
			continue;
		for (i = sub->u.arr.n; i > 0 && sp < KC_DEPTH_MAX; i--) {
			stack[sp].g = sub->u.arr.items[i - 1];
			stack[sp++].parent = it->code;
		}
	}
	if (first == NULL)
		return;
	last->next = k->head;
	k->head = first;
	if (k->tail == NULL)
		k->tail = last;
}

int
kc_next(struct kc *k, struct arena *a, struct imp_rec *r, char *err,
    size_t errlen)
{
	struct kc_item *it;

	for (;;) {
		if (k->head == NULL && k->used != NULL) {
			arena_free(k->used);
			k->used = NULL;
		}
		while (k->head == NULL) {
			if (k->eof)
				return 0;
			if (kc_feed(k, err, errlen) != 0)
				return -1;
		}
		it = k->head;
		if (it->kind == IMP_USER && !it->pre) {
			it->pre = 1;
			if (kc_user_groups_first(k, it))
				continue;
		}
		if ((k->head = it->next) == NULL)
			k->tail = NULL;
		if (it->a != NULL) {
			if (k->used != NULL)
				arena_free(k->used);
			k->used = it->a;
		}
		memset(r, 0, sizeof(*r));
		r->line = k->ord + 1;
		if (it->kind == IMP_GROUP && it->v != NULL) {
			kc_group_tree(k, it, k->used);
			continue;
		}
		if (it->kind == IMP_USER) {
			if (!kc_user(k, it, a, r))
				continue;
			k->ord++;
			return 1;
		}
		if (it->kind == IMP_ROLE) {
			const char *name = str_of(value_get(it->v, "name"),
			    NULL), *id;
			size_t n = 0;

			if (name != NULL && kc_builtin_role(k, name)) {
				k->notes.builtin_roles++;
				continue;
			}
			r->kind = IMP_ROLE;
			set_str(r, IF_NAME, it->v, "name");
			set_str(r, IF_DESCRIPTION, it->v, "description");
			id = str_of(value_get(it->v, "id"), &n);
			if (uuid_ok(id, n))
				set_str(r, IF_ID, it->v, "id");
			if (it->errs != NULL)
				imp_rec_error(a, r, -1, "%s", it->errs);
			if (name == NULL)
				imp_rec_error(a, r, IF_NAME,
				    "roles.realm[%ld]: no name", it->index);
			k->ord++;
			return 1;
		}
		r->kind = IMP_GROUP;
		r->f[IF_KIND].v = "user";
		r->f[IF_KIND].len = 4;
		if (it->code != NULL) {
			r->f[IF_CODE].v = it->code;
			r->f[IF_CODE].len = strlen(it->code);
		} else
			imp_rec_error(a, r, IF_CODE, "groups[%ld]: a group "
			    "with no name or path", it->index);
		r->f[IF_NAME].v = it->name;
		r->f[IF_NAME].len = it->name != NULL ? strlen(it->name) : 0;
		r->f[IF_ID].v = it->id;
		r->f[IF_ID].len = it->id != NULL ? strlen(it->id) : 0;
		r->f[IF_DESCRIPTION].v = it->descr;
		r->f[IF_DESCRIPTION].len = it->descr != NULL ?
		    strlen(it->descr) : 0;
		if (it->errs != NULL)
			imp_rec_error(a, r, -1, "%s", it->errs);
		k->ord++;
		return 1;
	}
}

void
kc_progress(const struct kc *k, long long *done, long long *total)
{
	*done = k->consumed;
	*total = k->size;
}

const struct imp_notes *
kc_notes(const struct kc *k)
{
	return &k->notes;
}

void
kc_close(struct kc *k)
{
	struct kc_item *it, *next;
	size_t i;

	if (k == NULL)
		return;
	/* items own the arenas they live in: collect those first */
	for (it = k->head; it != NULL; it = next) {
		next = it->next;
		if (it->a != NULL)
			arena_free(it->a);
	}
	if (k->used != NULL)
		arena_free(k->used);
	if (k->ea != NULL)
		arena_free(k->ea);
	for (i = 0; i < k->gcap; i++)
		free(k->gset[i]);
	free(k->gset);
	buf_release(&k->cerr);
	yajl_free(k->y);
	close(k->fd);
	free(k->blk);
	free(k->path);
	free(k);
}

/* ---- notes (shared with the Auth0 source) ---- */

void
imp_notes_alg(struct imp_notes *n, const char *alg)
{
	size_t len = strlen(n->algs), al = strlen(alg);
	const char *p = n->algs;

	while ((p = strstr(p, alg)) != NULL) {
		if ((p == n->algs || p[-1] == ' ') &&
		    (p[al] == ',' || p[al] == '\0'))
			return;
		p += al;
	}
	if (len + al + 3 >= sizeof(n->algs))
		return;
	snprintf(n->algs + len, sizeof(n->algs) - len, "%s%s",
	    len > 0 ? ", " : "", alg);
}

void
imp_notes_print(const struct imp_notes *n, const char *src, FILE *f)
{
	if (n->builtin_roles > 0 || n->builtin_assignments > 0)
		fprintf(f, "%s: Keycloak's built-in roles (default-roles-"
		    "<realm>, offline_access, uma_authorization) not imported: "
		    "%lld roles, %lld assignments\n", src, n->builtin_roles,
		    n->builtin_assignments);
	if (n->service_accounts > 0)
		fprintf(f, "%s: %lld service-account users not imported\n",
		    src, n->service_accounts);
	if (n->client_roles > 0)
		fprintf(f, "%s: %lld client role assignments not imported "
		    "(rosterd has realm-wide roles only)\n", src,
		    n->client_roles);
	if (n->other_credentials > 0)
		fprintf(f, "%s: %lld credentials other than passwords (OTP, "
		    "WebAuthn, ...) not imported\n", src,
		    n->other_credentials);
	if (n->no_password > 0)
		fprintf(f, "%s: %lld users imported without a password "
		    "(algorithm not kept: %s)\n", src, n->no_password,
		    n->algs);
}
