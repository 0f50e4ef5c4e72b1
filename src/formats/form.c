/*
 * form.c: application/x-www-form-urlencoded -> value tree (jQuery and
 * MVC keys).  Each pair is decoded and checked before it is inserted;
 * the tree is built in place, and array slots that a client skipped are
 * found by one walk at the end.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "form.h"

enum seg_kind {
	SEG_NAME = 0,		/* "a", ".a", "[a]" */
	SEG_INDEX,		/* "[3]" */
	SEG_APPEND,		/* "[]" */
	SEG__MAX
};

struct seg {
	enum seg_kind	 kind;
	const char	*name;	/* SEG_NAME: NUL-terminated, arena */
	size_t		 index;	/* SEG_INDEX */
};

struct fctx {
	struct arena	*a;
	const struct fmt_limits *lim;
	struct fmt_error *err;
	const char	*key;	/* the decoded key of the pair at hand */
	struct seg	*segs;	/* lim->max_depth + 1 */
	size_t		 nseg;
	size_t		 nodes;	/* member and item slots, holes included */
};

static enum fmt_status RS_PRINTF(3, 4)
fail(struct fctx *c, enum fmt_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return st;
}

/* Renders segments [0, upto] as "Roles[0].Name" into err->path. */
static void
set_path(struct fctx *c, size_t upto)
{
	struct buf b;
	size_t i;

	buf_init(&b, c->a);
	for (i = 0; i <= upto && i < c->nseg; i++) {
		const struct seg *s = &c->segs[i];

		if (s->kind == SEG_NAME)
			buf_printf(&b, "%s%s", i > 0 ? "." : "", s->name);
		else if (s->kind == SEG_INDEX)
			buf_printf(&b, "[%zu]", s->index);
		else
			buf_puts(&b, "[]");
	}
	snprintf(c->err->path, sizeof(c->err->path), "%s",
	    b.failed ? "" : b.p);
}

/* ---- bytes: percent-decoding and strict UTF-8 ---- */

/*
 * Length of s[0..n) once decoded, or (size_t)-1 when a '%' is not
 * followed by two hex digits.
 */
static size_t
pct_len(const char *s, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++, len++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
			return (size_t)-1;
		i += 2;
	}
	return len;
}

/* Decodes s[0..n) (already checked by pct_len) into out, NUL-terminated. */
static void
pct_decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%') {
			out[o++] = (char)(hex_value(s[i + 1]) << 4 |
			    hex_value(s[i + 2]));
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
}


/*
 * Decodes one key or value into *out (arena).  max bounds the decoded
 * length; what names the failure in messages.
 */
static enum fmt_status
decode_part(struct fctx *c, const char *s, size_t n, size_t max,
    const char *what, char **out)
{
	size_t len = pct_len(s, n);

	if (len == (size_t)-1)
		return fail(c, FMT_SYNTAX, "%s has a malformed %%-escape.",
		    what);
	if (len > max)
		return fail(c, FMT_LIMIT, "%s is too long.", what);
	*out = arena_alloc(c->a, len + 1);
	pct_decode(s, n, *out);
	if (utf8_check(*out, len) != len)
		return fail(c, FMT_ENCODING, "%s is not valid UTF-8 or "
		    "contains a NUL.", what);
	return FMT_OK;
}

/* ---- keys ---- */

/* Appends a segment; FMT_LIMIT beyond lim->max_depth. */
static enum fmt_status
add_seg(struct fctx *c, enum seg_kind kind, const char *s, size_t n,
    size_t index)
{
	struct seg *g;

	if (c->nseg >= c->lim->max_depth)
		return fail(c, FMT_LIMIT, "The key '%.64s' is nested too "
		    "deeply.", c->key);
	g = &c->segs[c->nseg++];
	g->kind = kind;
	g->name = kind == SEG_NAME ? arena_strndup(c->a, s, n) : NULL;
	g->index = index;
	return FMT_OK;
}

/* A name segment "a" of length n: never empty. */
static enum fmt_status
name_seg(struct fctx *c, const char *s, size_t n)
{
	if (n == 0)
		return fail(c, FMT_SYNTAX, "The key '%.64s' has an empty "
		    "name.", c->key);
	return add_seg(c, SEG_NAME, s, n, 0);
}

/* The inside of "[...]": "" (append), an index, or a name. */
static enum fmt_status
bracket_seg(struct fctx *c, const char *s, size_t n, int last)
{
	size_t i, v = 0;
	int sign = n > 0 && (s[0] == '-' || s[0] == '+');

	if (n == 0) {
		if (!last)
			return fail(c, FMT_SYNTAX, "In the key '%.64s', '[]' "
			    "may only come last.", c->key);
		return add_seg(c, SEG_APPEND, NULL, 0, 0);
	}
	for (i = sign; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (size_t)(s[i] - '0'), &v))
			v = SIZE_MAX;	/* saturate: only ">= max" matters */
	if (i < n || (sign && n == 1))
		return add_seg(c, SEG_NAME, s, n, 0);	/* "[Name]" */
	if (sign && (s[0] == '-' || n > 1))
		return fail(c, FMT_SYNTAX, "The key '%.64s' has a signed "
		    "index.", c->key);
	if (n > 1 && s[0] == '0')
		return fail(c, FMT_SYNTAX, "The key '%.64s' has an index "
		    "with a leading zero.", c->key);
	if (v >= c->lim->max_items)
		return fail(c, FMT_LIMIT, "The key '%.64s' has an index "
		    "that is too large.", c->key);
	return add_seg(c, SEG_INDEX, NULL, 0, v);
}

/* Splits the decoded key k[0..n) into c->segs. */
static enum fmt_status
parse_key(struct fctx *c, const char *k, size_t n)
{
	size_t i = 0, j;
	enum fmt_status st;

	c->nseg = 0;
	for (j = i; j < n && k[j] != '[' && k[j] != '.' && k[j] != ']'; j++)
		;
	if ((st = name_seg(c, k, j)) != FMT_OK)
		return st;
	for (i = j; i < n; i = j) {
		if (k[i] == '.') {
			for (j = i + 1; j < n && k[j] != '[' && k[j] != '.' &&
			    k[j] != ']'; j++)
				;
			st = name_seg(c, k + i + 1, j - i - 1);
		} else if (k[i] == '[') {
			for (j = i + 1; j < n && k[j] != '[' && k[j] != ']'; j++)
				;
			if (j == n || k[j] != ']')
				return fail(c, FMT_SYNTAX, "The key '%.64s' has "
				    "an unclosed '['.", c->key);
			st = bracket_seg(c, k + i + 1, j - i - 1, j + 1 == n);
			j++;
		} else
			return fail(c, FMT_SYNTAX, "The key '%.64s' has an "
			    "unexpected '%c'.", c->key, k[i]);
		if (st != FMT_OK)
			return st;
	}
	return FMT_OK;
}

/* ---- the tree ---- */

static enum fmt_status
count_nodes(struct fctx *c, size_t more)
{
	if (more > c->lim->max_nodes - c->nodes)
		return fail(c, FMT_LIMIT, "The form has too many values.");
	c->nodes += more;
	return FMT_OK;
}

/* The member named like name (exact, else ignoring case), or NULL. */
static struct member *
find_member(struct value *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->u.obj.n; i++)
		if (strcmp(obj->u.obj.members[i].key, name) == 0)
			return &obj->u.obj.members[i];
	for (i = 0; i < obj->u.obj.n; i++)
		if (strcasecmp(obj->u.obj.members[i].key, name) == 0)
			return &obj->u.obj.members[i];
	return NULL;
}

/*
 * The place for segment i in node (an object for names, an array
 * otherwise), created empty (*slot NULL) when absent.  NULL on failure.
 */
static struct value **
slot_for(struct fctx *c, struct value *node, size_t i)
{
	const struct seg *s = &c->segs[i];
	struct member *m;
	size_t n;

	if (s->kind == SEG_NAME) {
		if ((m = find_member(node, s->name)) != NULL)
			return &m->val;
		if (node->u.obj.n >= c->lim->max_items) {
			set_path(c, i);
			fail(c, FMT_LIMIT, "An object has too many members.");
			return NULL;
		}
		if (count_nodes(c, 1) != FMT_OK) {
			set_path(c, i);
			return NULL;
		}
		value_set(c->a, node, s->name, NULL);
		return &node->u.obj.members[node->u.obj.n - 1].val;
	}
	n = node->u.arr.n;
	if (s->kind == SEG_INDEX && s->index < n)
		return &node->u.arr.items[s->index];
	if (s->kind == SEG_APPEND && n >= c->lim->max_items) {
		set_path(c, i);
		fail(c, FMT_LIMIT, "An array has too many items.");
		return NULL;
	}
	/* holes are nodes too: a[9999]=x costs what it claims */
	if (count_nodes(c, s->kind == SEG_INDEX ? s->index + 1 - n : 1) !=
	    FMT_OK) {
		set_path(c, i);
		return NULL;
	}
	while (node->u.arr.n < (s->kind == SEG_INDEX ? s->index + 1 : n + 1))
		value_push(c->a, node, NULL);
	return &node->u.arr.items[node->u.arr.n - 1];
}

static const char *
shape_name(const struct value *v)
{
	if (v->type == VALUE_OBJECT)
		return "an object";
	if (v->type == VALUE_ARRAY)
		return "an array";
	return "a value";
}

static enum fmt_status
conflict(struct fctx *c, size_t i, const struct value *had,
    const char *want)
{
	set_path(c, i);
	return fail(c, FMT_SYNTAX, "The key '%.64s' uses '%s' as %s, but an "
	    "earlier key made it %s.", c->key, c->err->path, want,
	    shape_name(had));
}

/* 1 when every item of arr is a string or null (a list of values). */
static int
value_list(const struct value *arr)
{
	size_t i;

	for (i = 0; i < arr->u.arr.n; i++) {
		const struct value *v = arr->u.arr.items[i];

		if (v == NULL || v->type == VALUE_OBJECT ||
		    v->type == VALUE_ARRAY)
			return 0;
	}
	return 1;
}

/* Stores leaf at *slot, the place of the key's last segment i. */
static enum fmt_status
set_leaf(struct fctx *c, struct value **slot, size_t i, struct value *leaf)
{
	struct value *arr, *had = *slot;

	if (had == NULL) {
		*slot = leaf;
		return FMT_OK;
	}
	if (c->segs[i].kind == SEG_INDEX && had->type != VALUE_OBJECT &&
	    had->type != VALUE_ARRAY) {
		set_path(c, i);
		return fail(c, FMT_DUPLICATE, "The key '%.64s' appears twice.",
		    c->key);
	}
	if (had->type == VALUE_OBJECT || (had->type == VALUE_ARRAY &&
	    !value_list(had)))
		return conflict(c, i, had, "a value");
	if (had->type == VALUE_ARRAY && had->u.arr.n >= c->lim->max_items) {
		set_path(c, i);
		return fail(c, FMT_LIMIT, "An array has too many items.");
	}
	/*
	 * A new list (a=1&a=2) nests one level below the key's last
	 * segment: it must stay within max_depth like any container.
	 */
	if (had->type != VALUE_ARRAY && i + 2 > c->lim->max_depth) {
		set_path(c, i);
		return fail(c, FMT_LIMIT, "The key '%.64s' is nested too "
		    "deeply.", c->key);
	}
	/* the slots of a list: one more, or two for a new one */
	if (count_nodes(c, had->type == VALUE_ARRAY ? 1 : 2) != FMT_OK)
		return FMT_LIMIT;
	if (had->type == VALUE_ARRAY) {
		value_push(c->a, had, leaf);	/* a=1&a=2&a=3 */
		return FMT_OK;
	}
	arr = value_array(c->a);	/* a=1&a=2: traditional encoding */
	value_push(c->a, arr, had);
	value_push(c->a, arr, leaf);
	*slot = arr;
	return FMT_OK;
}

/* Inserts leaf under the key in c->segs, creating containers on the way. */
static enum fmt_status
insert(struct fctx *c, struct value *root, struct value *leaf)
{
	struct value *node = root, **slot;
	enum value_type want;
	size_t i;

	for (i = 0; i < c->nseg; i++) {
		if ((slot = slot_for(c, node, i)) == NULL)
			return FMT_LIMIT;
		if (i + 1 == c->nseg)
			return set_leaf(c, slot, i, leaf);
		want = c->segs[i + 1].kind == SEG_NAME ? VALUE_OBJECT :
		    VALUE_ARRAY;
		if (*slot == NULL)
			*slot = want == VALUE_OBJECT ? value_object(c->a) :
			    value_array(c->a);
		else if ((*slot)->type != want)
			return conflict(c, i, *slot, want == VALUE_OBJECT ?
			    "an object" : "an array");
		node = *slot;
	}
	return FMT_OK;
}

/* One "key=value" (or "key") pair. */
static enum fmt_status
add_pair(struct fctx *c, struct value *root, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq != NULL ? (size_t)(eq - p) : n;
	struct value *leaf;
	enum fmt_status st;
	char *key, *val;

	if ((st = decode_part(c, p, klen, FORM_MAX_KEY, "A key", &key)) !=
	    FMT_OK)
		return st;
	c->key = key;
	if ((st = parse_key(c, key, strlen(key))) != FMT_OK)
		return st;
	set_path(c, c->nseg - 1);
	if (eq == NULL)
		leaf = value_null(c->a);
	else {
		st = decode_part(c, eq + 1, n - klen - 1, c->lim->max_string,
		    arena_sprintf(c->a, "The value of '%.64s'", key), &val);
		if (st != FMT_OK)
			return st;
		leaf = value_string(c->a, val, strlen(val));
	}
	return insert(c, root, leaf);
}

/* Finds a slot no key filled ("a[1]=x" without a[0]). */
static enum fmt_status
find_gap(struct fctx *c, const struct value *v, struct buf *path,
    size_t depth)
{
	size_t i, mark = path->len;
	enum fmt_status st;

	if (depth > c->lim->max_depth + 1)
		return FMT_OK;	/* cannot happen: keys are bounded */
	for (i = 0; v->type == VALUE_ARRAY && i < v->u.arr.n; i++) {
		buf_printf(path, "[%zu]", i);
		if (v->u.arr.items[i] == NULL) {
			snprintf(c->err->path, sizeof(c->err->path), "%s",
			    path->failed ? "" : path->p);
			return fail(c, FMT_SYNTAX, "No value was given for "
			    "'%.64s': array indices must have no gaps.",
			    c->err->path);
		}
		if ((st = find_gap(c, v->u.arr.items[i], path, depth + 1)) !=
		    FMT_OK)
			return st;
		path->len = mark;	/* the next put rewrites the NUL */
	}
	for (i = 0; v->type == VALUE_OBJECT && i < v->u.obj.n; i++) {
		buf_printf(path, "%s%s", mark ? "." : "",
		    v->u.obj.members[i].key);
		if ((st = find_gap(c, v->u.obj.members[i].val, path,
		    depth + 1)) != FMT_OK)
			return st;
		path->len = mark;
	}
	return FMT_OK;
}

/* Splits the body on '&' and adds each non-empty pair. */
static enum fmt_status
add_pairs(struct fctx *c, struct value *root, const char *p, size_t n)
{
	size_t i = 0, j, pairs = 0;
	const char *amp;
	enum fmt_status st;

	while (i < n) {
		amp = memchr(p + i, '&', n - i);
		j = amp != NULL ? (size_t)(amp - p) : n;
		if (j > i && ++pairs > FORM_MAX_PAIRS) {
			c->err->offset = i;
			return fail(c, FMT_LIMIT, "The form has too many "
			    "fields.");
		}
		if (j > i && (st = add_pair(c, root, p + i, j - i)) != FMT_OK) {
			c->err->offset = i;
			return st;
		}
		i = j + 1;
	}
	return FMT_OK;
}

/*
 * Decodes a form body.  See form.h.
 */
enum fmt_status
form_decode(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
{
	struct fctx c;
	struct value *root;
	struct buf path;
	enum fmt_status st;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (lim == NULL)
		lim = &fmt_default_limits;
	if (p == NULL || fmt_all_space(p, n)) {
		snprintf(err->msg, sizeof(err->msg),
		    "A non-empty request body is required.");
		return FMT_EMPTY;
	}
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.lim = lim;
	c.err = err;
	c.segs = arena_allocarray(a, lim->max_depth + 1, sizeof(*c.segs));
	root = value_object(a);
	if ((st = add_pairs(&c, root, p, n)) != FMT_OK)
		return st;
	memset(err, 0, sizeof(*err));
	buf_init(&path, a);
	if ((st = find_gap(&c, root, &path, 0)) != FMT_OK)
		return st;
	*out = root;
	return FMT_OK;
}
