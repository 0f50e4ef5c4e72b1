/*
 * json.c: JSON <-> value tree.
 *
 * Decoding uses yajl's callback parser so that every limit is checked
 * as the input arrives, before memory is spent on it, and so that
 * strings keep their length (an escaped NUL is refused rather than
 * silently truncating a C string).  Encoding writes the compact text
 * itself, byte for byte what yajl's generator wrote, into the buffer:
 * the generator's callback per fragment cost more than the writing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "formats.h"

/*
 * Members of one object.  Objects are records, not lists: no dialect
 * has more than a few dozen members, and the duplicate check is linear
 * per key, so this keeps a hostile body's cost small.
 */
#define JSON_MAX_MEMBERS 1024
/* Characters of a number unless the limits say (yajl has no bound). */
#define JSON_MAX_NUMBER 64
/* Nesting a walk follows (see skip_value). */
#define JSON_WALK_MAX_DEPTH 64

struct frame {
	struct value	*v;	/* the array or object being filled */
	const char	*key;	/* object: the pending member name */
};

struct jctx {
	struct arena	*a;
	const struct fmt_limits *lim;
	struct frame	*stack;	/* lim->max_depth + 1 frames */
	size_t		 depth;	/* frames in use */
	size_t		 nodes;
	struct value	*root;
	enum fmt_status	 st;	/* set by a callback that cancels */
	int		 at_end;	/* failed in yajl_complete_parse */
	struct fmt_error *err;
};

static void
set_error(struct jctx *c, enum fmt_status st, const char *msg)
{
	c->st = st;
	snprintf(c->err->msg, sizeof(c->err->msg), "%s", msg);
}

/* Renders the path of the value being read, Json.NET style. */
static void
render_path(const struct jctx *c, char *out, size_t outsz)
{
	struct buf b;
	size_t i;

	buf_init(&b, c->a);
	for (i = 0; i < c->depth; i++) {
		const struct value *v = c->stack[i].v;

		if (v->type == VALUE_ARRAY) {
			buf_printf(&b, "[%zu]", v->u.arr.n > 0 ?
			    v->u.arr.n - (i + 1 < c->depth ? 1 : 0) : 0);
		} else if (c->stack[i].key != NULL) {
			if (b.len > 0)
				buf_putc(&b, '.');
			buf_puts(&b, c->stack[i].key);
		}
	}
	snprintf(out, outsz, "%s", b.failed ? "" : b.p);
}

/* Attaches a new node to the current container (or makes it the root). */
static int
attach(struct jctx *c, struct value *v)
{
	struct frame *f;

	if (++c->nodes > c->lim->max_nodes) {
		set_error(c, FMT_LIMIT, "The document has too many values.");
		return 0;
	}
	if (c->depth == 0) {
		c->root = v;
		return 1;
	}
	f = &c->stack[c->depth - 1];
	if (f->v->type == VALUE_ARRAY) {
		if (f->v->u.arr.n >= c->lim->max_items) {
			set_error(c, FMT_LIMIT, "The array has too many items.");
			return 0;
		}
		value_push(c->a, f->v, v);
		return 1;
	}
	if (f->v->u.obj.n >= c->lim->max_items ||
	    f->v->u.obj.n >= JSON_MAX_MEMBERS) {
		set_error(c, FMT_LIMIT, "The object has too many members.");
		return 0;
	}
	value_set_kept(c->a, f->v, f->key, v);	/* the key's own arena copy */
	return 1;
}

static int
open_container(struct jctx *c, struct value *v)
{
	if (!attach(c, v))
		return 0;
	if (c->depth >= c->lim->max_depth) {
		set_error(c, FMT_LIMIT, "The document is nested too deeply.");
		return 0;
	}
	c->stack[c->depth].v = v;
	c->stack[c->depth].key = NULL;
	c->depth++;
	return 1;
}

static int
cb_null(void *ctx)
{
	struct jctx *c = ctx;

	return attach(c, value_null(c->a));
}

static int
cb_boolean(void *ctx, int b)
{
	struct jctx *c = ctx;

	return attach(c, value_bool(c->a, b));
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	struct jctx *c = ctx;
	struct value *v;

	if (n > (c->lim->max_number != 0 ? c->lim->max_number :
	    JSON_MAX_NUMBER)) {
		set_error(c, FMT_LIMIT, "A number is too long.");
		return 0;
	}
	v = value_string(c->a, s, n);
	v->type = VALUE_NUMBER;
	return attach(c, v);
}


static int
check_string(struct jctx *c, const unsigned char *s, size_t n)
{
	if (n > c->lim->max_string) {
		set_error(c, FMT_LIMIT, "A string is too long.");
		return 0;
	}
	if (memchr(s, '\0', n) != NULL) {
		set_error(c, FMT_ENCODING, "A string contains a NUL character.");
		return 0;
	}
	/* yajl checks only the byte structure: overlong forms and encoded
	 * surrogates would pass without this. */
	if (utf8_check((const char *)s, n) != n) {
		set_error(c, FMT_ENCODING, "A string is not valid UTF-8.");
		return 0;
	}
	return 1;
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jctx *c = ctx;

	if (!check_string(c, s, n))
		return 0;
	return attach(c, value_string(c->a, (const char *)s, n));
}

static int
cb_start_map(void *ctx)
{
	struct jctx *c = ctx;

	return open_container(c, value_object(c->a));
}

static int
cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct jctx *c = ctx;
	struct frame *f = &c->stack[c->depth - 1];
	size_t i;

	if (!check_string(c, s, n))
		return 0;
	for (i = 0; i < f->v->u.obj.n; i++) {
		if (f->v->u.obj.members[i].klen == n &&
		    memcmp(f->v->u.obj.members[i].key, s, n) == 0) {
			f->key = arena_strndup(c->a, (const char *)s, n);
			set_error(c, FMT_DUPLICATE,
			    "The same property appears twice in one object.");
			return 0;
		}
	}
	f->key = arena_strndup(c->a, (const char *)s, n);
	return 1;
}

static int
cb_end(void *ctx)
{
	struct jctx *c = ctx;

	c->depth--;
	return 1;
}

static int
cb_start_array(void *ctx)
{
	struct jctx *c = ctx;

	return open_container(c, value_array(c->a));
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

static void
yajl_handle_free(void *p)
{
	yajl_free(p);
}

/* Fills err from yajl's own diagnosis of a syntax or encoding error. */
static enum fmt_status
syntax_error(struct jctx *c, yajl_handle h, const char *p, size_t n)
{
	unsigned char *m;
	enum fmt_status st = FMT_SYNTAX;

	m = yajl_get_error(h, 0, (const unsigned char *)p, n);
	if (m != NULL && strstr((const char *)m, "UTF8") != NULL)
		st = FMT_ENCODING;
	/* complete_parse counts only its own (empty) input */
	c->err->offset = c->at_end ? n : yajl_get_bytes_consumed(h);
	snprintf(c->err->msg, sizeof(c->err->msg),
	    "Invalid JSON at byte %zu: %s.", c->err->offset,
	    m != NULL ? (const char *)m : "parse error");
	if (m != NULL)
		yajl_free_error(h, m);
	/* yajl's messages end in a newline sometimes; drop it */
	c->err->msg[strcspn(c->err->msg, "\n")] = '\0';
	return st;
}

static int
hex4(const char *p, unsigned *cp)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char ch = p[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*cp = v;
	return 0;
}

/*
 * The offset of a \uD800-\uDBFF escape that no \uDC00-\uDFFF escape
 * follows, or n.  yajl would turn such a lone high surrogate into '?'
 * (a lone low one it encodes as bytes that the UTF-8 check refuses), so
 * "\ud800x" would be stored as "?x".  Outside strings a backslash is a
 * syntax error anyway, so escapes are simply taken pairwise.
 */
static size_t
lone_high_surrogate(const char *p, size_t n)
{
	unsigned cp, lo;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && n - i >= 6 && hex4(p + i + 2, &cp) == 0 &&
		    cp >= 0xd800 && cp <= 0xdbff) {
			if (n - i < 12 || p[i + 6] != '\\' || p[i + 7] != 'u' ||
			    hex4(p + i + 8, &lo) != 0 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return i;
			i += 11;
			continue;
		}
		i++;		/* the escaped character */
	}
	return n;
}

/*
 * Decodes one JSON document.  See formats.h.
 */
enum fmt_status
json_decode(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
{
	struct jctx c;
	yajl_handle h;
	yajl_status ys;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (lim == NULL)
		lim = &fmt_default_limits;
	if (p == NULL || fmt_all_space(p, n)) {
		snprintf(err->msg, sizeof(err->msg),
		    "A non-empty request body is required.");
		return FMT_EMPTY;
	}
	if ((err->offset = lone_high_surrogate(p, n)) != n) {
		snprintf(err->msg, sizeof(err->msg), "A string is not valid "
		    "UTF-8: a \\u escape of a high surrogate without its low "
		    "half.");
		return FMT_ENCODING;
	}
	err->offset = 0;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.lim = lim;
	c.err = err;
	c.stack = arena_allocarray(a, lim->max_depth + 1, sizeof(*c.stack));
	h = yajl_alloc(&callbacks, NULL, &c);
	if (h == NULL)
		xoom(sizeof(h));
	arena_defer(a, yajl_handle_free, h);

	ys = yajl_parse(h, (const unsigned char *)p, n);
	if (ys == yajl_status_ok) {
		ys = yajl_complete_parse(h);
		c.at_end = 1;
	}
	if (ys == yajl_status_client_canceled) {
		render_path(&c, err->path, sizeof(err->path));
		err->offset = yajl_get_bytes_consumed(h);
		return c.st;
	}
	if (ys != yajl_status_ok) {
		render_path(&c, err->path, sizeof(err->path));
		return syntax_error(&c, h, p, n);
	}
	*out = c.root;
	return FMT_OK;
}

/*
 * Whether any byte of w is below n (n <= 128), or is c: nonzero exactly
 * when one is (which one, a borrow may blur; the byte loop tells).
 */
#define JSON_ONES	0x0101010101010101ULL
#define JSON_HIGHS	0x8080808080808080ULL
#define JSON_HAS_LESS(w, n)	(((w) - JSON_ONES * (n)) & ~(w) & JSON_HIGHS)
#define JSON_HAS_BYTE(w, c)	JSON_HAS_LESS((w) ^ (JSON_ONES * (c)), 1)

/*
 * A string's inside as yajl's generator writes it (its defaults: no
 * solidus escape, no UTF-8 check): the quote, the backslash and the
 * short escapes \b \f \n \r \t, other controls as \u00XX in upper
 * case, every other byte as it is; unescaped runs in one copy, found
 * eight bytes at a time.
 */
static void
gen_inside(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char short_esc[0x20] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
		['\t'] = 't',
	};
	const unsigned char *u = (const unsigned char *)s;
	char esc[6] = { '\\', 'u', '0', '0' };
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch;
		uint64_t w;

		/* eight bytes at a time while none needs escaping */
		while (n - i >= 8) {
			memcpy(&w, u + i, 8);
			if (JSON_HAS_LESS(w, 0x20) | JSON_HAS_BYTE(w, '"') |
			    JSON_HAS_BYTE(w, '\\'))
				break;
			i += 8;
		}
		if (i == n)
			break;
		ch = u[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		buf_put(b, s + run, i - run);
		run = i + 1;
		if (ch >= 0x20 || short_esc[ch] != 0) {
			esc[1] = ch >= 0x20 ? (char)ch : short_esc[ch];
			buf_put(b, esc, 2);
		} else {
			esc[1] = 'u';
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 0xf];
			buf_put(b, esc, sizeof(esc));
		}
	}
	buf_put(b, s + run, n - run);
}

static void
gen_string(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	gen_inside(b, s, n);
	buf_putc(b, '"');
}

static void
gen_value(struct buf *b, const struct value *v)
{
	size_t i;

	switch (v->type) {
	case VALUE_NULL:
		buf_put(b, "null", 4);
		break;
	case VALUE_BOOL:
		if (v->u.boolean)
			buf_put(b, "true", 4);
		else
			buf_put(b, "false", 5);
		break;
	case VALUE_NUMBER:
	case VALUE_RAW:
		buf_put(b, v->u.str.p, v->u.str.len);
		break;
	case VALUE_STRING:
		gen_string(b, v->u.str.p, v->u.str.len);
		break;
	case VALUE_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < v->u.arr.n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			gen_value(b, v->u.arr.items[i]);
		}
		buf_putc(b, ']');
		break;
	case VALUE_OBJECT:
		buf_putc(b, '{');
		for (i = 0; i < v->u.obj.n; i++) {
			const struct member *m = &v->u.obj.members[i];

			if (i > 0)
				buf_putc(b, ',');
			gen_string(b, m->key, m->klen);
			buf_putc(b, ':');
			gen_value(b, m->val);
		}
		buf_putc(b, '}');
		break;
	default:
		abort();
	}
}

/*
 * Appends the compact JSON text of v to b.  See formats.h.
 */
void
json_encode(struct buf *b, const struct value *v)
{
	gen_value(b, v);
}

void
json_put_string(struct buf *b, const char *s, size_t n)
{
	gen_string(b, s, n);
}

void
json_put_escaped(struct buf *b, const char *s, size_t n)
{
	gen_inside(b, s, n);
}

/* ---- walking well-formed text ---- */

/* Whitespace between tokens, as yajl's lexer has it. */
static int
is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

/* p past the bytes of a string that are neither a quote nor a backslash. */
static const char *
skip_plain(const char *p, const char *end)
{
	uint64_t w;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		if (JSON_HAS_BYTE(w, '"') | JSON_HAS_BYTE(w, '\\'))
			break;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* Past the string whose opening quote is at p; NULL when it has no end. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p = skip_plain(p + 1, end); p < end; p = skip_plain(p, end)) {
		if (*p == '"')
			return p + 1;
		/* a backslash: the byte after it is escaped */
		if (end - p < 2)
			break;
		p += 2;
	}
	return NULL;
}

/*
 * Past the value at p; NULL when it has no end, nests deeper than
 * max_depth arrays and objects (itself one of them) or holds an object of
 * over JSON_MAX_MEMBERS members, which json_decode refuses under any
 * limits.  The brackets' kinds are not matched: the text is well formed
 * by construction, and a walk of text that is not stays within it either
 * way.
 */
static const char *
skip_value(const char *p, const char *end, size_t max_depth)
{
	/* per open container: an object's separators so far, or -1 */
	long seps[JSON_WALK_MAX_DEPTH];
	size_t depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (max_depth > JSON_WALK_MAX_DEPTH)
		max_depth = JSON_WALK_MAX_DEPTH;
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ':' && *p != '"' && !is_space(*p))
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			continue;
		case '{':
		case '[':
			if (++depth > max_depth)
				return NULL;
			seps[depth - 1] = *p == '{' ? 0 : -1;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (seps[depth - 1] >= 0 &&
			    ++seps[depth - 1] >= JSON_MAX_MEMBERS)
				return NULL;
			break;
		default:
			break;
		}
		p++;
	}
	return NULL;
}

int
json_walk_start(struct json_walk *w, const char *p, size_t n,
    size_t max_depth)
{
	const char *end = p + n;

	p = skip_space(p, end);
	if (p >= end || (*p != '{' && *p != '['))
		return -1;
	w->close = *p == '{' ? '}' : ']';
	w->p = p + 1;
	w->end = end;
	w->max_depth = max_depth;
	w->started = 0;
	w->members = 0;
	return 0;
}

/*
 * Where w's next member or item starts (past its separator): 1 with *at
 * set, 0 at w's end (then past it), -1 when the text is not well formed.
 */
static int
walk_step(struct json_walk *w, const char **at)
{
	const char *p = skip_space(w->p, w->end);

	if (p >= w->end)
		return -1;
	if (*p == w->close) {
		w->p = p + 1;
		return 0;
	}
	if (w->started) {
		if (*p != ',')
			return -1;
		p = skip_space(p + 1, w->end);
	}
	w->started = 1;
	*at = p;
	return 1;
}

int
json_walk_enter(struct json_walk *w, struct json_walk *inner)
{
	const char *p;
	int rc;

	if (w->close != ']')
		return -1;
	if ((rc = walk_step(w, &p)) != 1)
		return rc;
	if (p >= w->end || (*p != '{' && *p != '[') || w->max_depth < 1)
		return -1;
	inner->close = *p == '{' ? '}' : ']';
	inner->p = p + 1;
	inner->end = w->end;
	inner->max_depth = w->max_depth - 1;
	inner->started = 0;
	inner->members = 0;
	return 1;
}

void
json_walk_leave(struct json_walk *w, const struct json_walk *inner)
{
	w->p = inner->p;
}

int
json_walk_next(struct json_walk *w, struct json_span *key,
    struct json_span *val)
{
	const char *p, *e;
	int rc;

	if ((rc = walk_step(w, &p)) != 1)
		return rc;
	key->p = NULL;
	key->n = 0;
	if (w->close == '}') {
		if (p >= w->end || *p != '"' ||
		    (e = skip_string(p, w->end)) == NULL)
			return -1;
		key->p = p + 1;
		key->n = (size_t)(e - p) - 2;
		p = skip_space(e, w->end);
		if (p >= w->end || *p != ':')
			return -1;
		p = skip_space(p + 1, w->end);
	}
	if ((e = skip_value(p, w->end, w->max_depth)) == NULL || e == p ||
	    (w->close == '}' && ++w->members > JSON_MAX_MEMBERS))
		return -1;
	val->p = p;
	val->n = (size_t)(e - p);
	w->p = e;
	return 1;
}

void
json_put_compact(struct buf *b, const char *p, size_t n)
{
	const char *end = p + n, *run = p;
	char hex[4];
	size_t i;
	int in_str = 0;

	for (; p < end; p++) {
		if (!in_str) {
			if (*p == '"') {
				in_str = 1;
			} else if (is_space(*p)) {
				buf_put(b, run, (size_t)(p - run));
				run = p + 1;
			}
			continue;
		}
		if ((p = skip_plain(p, end)) == end)
			break;
		if (*p == '"') {
			in_str = 0;
		} else if (*p == '\\' && end - p > 1) {
			if (p[1] == 'u' && end - p >= 6) {
				buf_put(b, run, (size_t)(p + 2 - run));
				for (i = 0; i < 4; i++)
					hex[i] = p[2 + i] >= 'a' &&
					    p[2 + i] <= 'f' ?
					    (char)(p[2 + i] - 'a' + 'A') :
					    p[2 + i];
				buf_put(b, hex, sizeof(hex));
				p += 5;
				run = p + 1;
			} else {
				p++;
			}
		}
	}
	buf_put(b, run, (size_t)(end - run));
}
