/*
 * jsv.c: ServiceStack's JSV text format <-> the value tree.
 *
 * The decoder is a recursive-descent reader over a body the caller
 * holds in memory.  Each limit is checked before the memory it guards
 * is spent: a string's length is measured while it is scanned, members
 * and items are counted before the next one is read, and nesting is
 * capped (JSV_MAX_DEPTH) well below what the stack can take.  It is
 * stricter than ServiceStack about quoting and laxer about whitespace
 * (FORMATS.md 2.3); jsv.h states the grammar.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "csv.h"
#include "jsv.h"

struct frame {
	struct value	*v;	/* the array or object being read */
	const char	*key;	/* object: member being read, or NULL */
	size_t		 idx;	/* array: index of the item being read */
};

struct jctx {
	struct arena	*a;
	const struct fmt_limits *lim;
	const unsigned char *p;	/* the document */
	size_t		 n;	/* its length */
	size_t		 i;	/* read position */
	struct frame	*stack;	/* max_depth frames */
	size_t		 depth;	/* frames in use */
	size_t		 max_depth;
	size_t		 nodes;	/* values read so far */
	struct fmt_error *err;
};

/* What check_text() allows in a token. */
enum text_kind {
	TEXT_QUOTED = 0,	/* inside quotes: any byte but NUL */
	TEXT_BARE,		/* unquoted: no control character but tab */
};

static enum fmt_status parse_value(struct jctx *, struct value **);

static int
is_ws(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Whether ch is one of the bytes of set (never NUL). */
static int
in_set(unsigned char ch, const char *set)
{
	return ch != '\0' && strchr(set, ch) != NULL;
}

static void
skip_ws(struct jctx *c)
{
	while (c->i < c->n && is_ws(c->p[c->i]))
		c->i++;
}

/* Returns n less any partial UTF-8 sequence at the end of s[0..n). */
static size_t
utf8_cut(const char *s, size_t n)
{
	size_t k = n;

	while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0 || (unsigned char)s[k - 1] < 0xc0)
		return n;	/* ASCII, or no lead byte: nothing split */
	/* s[k - 1] leads a sequence of this many bytes */
	if (n - (k - 1) < ((unsigned char)s[k - 1] >= 0xf0 ? 4u :
	    (unsigned char)s[k - 1] >= 0xe0 ? 3u : 2u))
		return k - 1;
	return n;
}

/* Renders the path of the value being read: "errors[0].meta". */
static void
render_path(const struct jctx *c, char *out, size_t outsz)
{
	const struct frame *f;
	struct buf b;
	size_t i;

	buf_init(&b, c->a);
	for (i = 0; i < c->depth; i++) {
		f = &c->stack[i];
		if (f->v->type == VALUE_ARRAY) {
			buf_printf(&b, "[%zu]", f->idx);
		} else if (f->key != NULL) {
			if (b.len > 0)
				buf_putc(&b, '.');
			buf_puts(&b, f->key);
		}
	}
	snprintf(out, outsz, "%s", b.failed ? "" : b.p);
	/* a cut must not split a UTF-8 sequence of a key */
	if (!b.failed && b.len >= outsz)
		out[utf8_cut(out, outsz - 1)] = '\0';
}

/* Fills the error (message, path, offset) and returns st. */
static enum fmt_status RS_PRINTF(4, 5)
fail(struct jctx *c, enum fmt_status st, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	c->err->offset = off;
	render_path(c, c->err->path, sizeof(c->err->path));
	return st;
}

static enum fmt_status
syntax(struct jctx *c, size_t off, const char *what)
{
	return fail(c, FMT_SYNTAX, off, "Invalid JSV at byte %zu: %s.", off,
	    what);
}


/*
 * Checks the bytes p[off..off+len) of one key or scalar: no NUL, valid
 * UTF-8 and, unquoted, no control character but tab (a line break
 * there is a missing separator: ServiceStack quotes CR and LF).
 */
static enum fmt_status
check_text(struct jctx *c, size_t off, size_t len, enum text_kind kind)
{
	const unsigned char *s = c->p + off;
	size_t i = 0, k;

	while (i < len) {
		if (s[i] == '\0')
			return fail(c, FMT_ENCODING, off + i,
			    "Invalid JSV at byte %zu: a NUL character.",
			    off + i);
		if (s[i] < 0x20 && s[i] != '\t' && kind == TEXT_BARE)
			return syntax(c, off + i, "a line break or control "
			    "character in an unquoted value (missing ','?)");
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq_len(s + i, len - i, NULL)) == 0)
			return fail(c, FMT_ENCODING, off + i,
			    "Invalid JSV at byte %zu: not valid UTF-8.",
			    off + i);
		i += k;
	}
	return FMT_OK;
}

static enum fmt_status
too_long(struct jctx *c, size_t off)
{
	return fail(c, FMT_LIMIT, off, "A string is too long.");
}

/*
 * Scans the quoted string at c->i (a '"').  On FMT_OK, *close is the
 * offset of the closing quote, *len the length with "" undoubled, and
 * c->i is past the whitespace after the closing quote, at a separator
 * or the end.
 */
static enum fmt_status
scan_quoted(struct jctx *c, size_t *close, size_t *len)
{
	size_t start = c->i, dlen = 0;
	enum fmt_status st;

	for (c->i++; c->i < c->n; c->i++, dlen++) {
		if (c->p[c->i] != '"')
			continue;
		if (c->i + 1 >= c->n || c->p[c->i + 1] != '"')
			break;
		c->i++;			/* "" is one literal quote */
	}
	if (c->i >= c->n)
		return syntax(c, start, "unterminated quoted string");
	*close = c->i++;
	if (dlen > c->lim->max_string)
		return too_long(c, start);
	st = check_text(c, start + 1, *close - start - 1, TEXT_QUOTED);
	if (st != FMT_OK)
		return st;
	*len = dlen;
	skip_ws(c);
	if (c->i < c->n && !in_set(c->p[c->i], ",}]:"))
		return syntax(c, c->i, "unexpected character after a closing "
		    "quote (a quote inside a quoted value must be doubled)");
	return FMT_OK;
}

/*
 * Returns, from the arena, the text between the quotes at open and
 * close with each "" undoubled; len is its length from scan_quoted().
 */
static char *
unquote(struct jctx *c, size_t open, size_t close, size_t len)
{
	char *s;
	size_t i, k = 0;

	s = arena_alloc(c->a, len + 1);
	for (i = open + 1; i < close; i++) {
		s[k++] = (char)c->p[i];
		if (c->p[i] == '"')
			i++;		/* "" is one quote */
	}
	s[k] = '\0';
	return s;
}

static enum fmt_status
parse_string(struct jctx *c, struct value **out)
{
	enum fmt_status st;
	size_t open = c->i, close, len;

	if ((st = scan_quoted(c, &close, &len)) != FMT_OK)
		return st;
	/* a string node that takes the unquoted copy without copying it */
	*out = value_string(c->a, "", 0);
	(*out)->u.str.p = unquote(c, open, close, len);
	(*out)->u.str.len = len;
	return FMT_OK;
}

static int
is_value_stop(unsigned char ch)
{
	return ch == ',' || ch == '}' || ch == ']';
}

/*
 * Reads an unquoted scalar: it runs to the next ',' '}' or ']' (or the
 * end), less surrounding whitespace.  Empty, it is a null inside a
 * container and an error at the top.
 */
static enum fmt_status
parse_bare(struct jctx *c, struct value **out)
{
	size_t start = c->i, end, i;
	enum fmt_status st;

	while (c->i < c->n && !is_value_stop(c->p[c->i]))
		c->i++;
	for (end = c->i; end > start && is_ws(c->p[end - 1]); end--)
		continue;
	if (end == start) {
		if (c->depth == 0)
			return syntax(c, start, "expected a value");
		*out = value_null(c->a);
		return FMT_OK;
	}
	for (i = start; i < end; i++)
		if (c->p[i] == '"' || c->p[i] == '{' || c->p[i] == '[')
			return syntax(c, i, "unexpected '\"', '{' or '[' in an "
			    "unquoted value (quote the value)");
	if (end - start > c->lim->max_string)
		return too_long(c, start);
	if ((st = check_text(c, start, end - start, TEXT_BARE)) != FMT_OK)
		return st;
	*out = value_string(c->a, (const char *)c->p + start, end - start);
	return FMT_OK;
}

/* Enters the container v, or fails when nested too deeply. */
static enum fmt_status
push(struct jctx *c, struct value *v)
{
	if (c->depth >= c->max_depth)
		return fail(c, FMT_LIMIT, c->i,
		    "The document is nested too deeply.");
	c->stack[c->depth].v = v;
	c->stack[c->depth].key = NULL;
	c->stack[c->depth].idx = 0;
	c->depth++;
	return FMT_OK;
}

/* Reads a bare key: up to ':' less whitespace, no structural byte. */
static enum fmt_status
scan_bare_key(struct jctx *c, const char **key, size_t *klen)
{
	size_t start = c->i, end;
	enum fmt_status st;

	while (c->i < c->n && !in_set(c->p[c->i], ":,{}[]\""))
		c->i++;
	for (end = c->i; end > start && is_ws(c->p[end - 1]); end--)
		continue;
	if (c->i >= c->n)
		return syntax(c, c->n, "unterminated object");
	if (end == start)
		return syntax(c, start, "a property name is missing");
	if (c->p[c->i] != ':')
		return syntax(c, c->i, "expected ':' after a property name");
	if (end - start > c->lim->max_string)
		return too_long(c, start);
	if ((st = check_text(c, start, end - start, TEXT_BARE)) != FMT_OK)
		return st;
	*key = arena_strndup(c->a, (const char *)c->p + start, end - start);
	*klen = end - start;
	return FMT_OK;
}

/* Reads a key, quoted or bare, and the ':' after it. */
static enum fmt_status
parse_key(struct jctx *c, const char **key, size_t *klen)
{
	enum fmt_status st;
	size_t open = c->i, close;

	if (c->i < c->n && c->p[c->i] == '"') {
		if ((st = scan_quoted(c, &close, klen)) != FMT_OK)
			return st;
		*key = unquote(c, open, close, *klen);
	} else if ((st = scan_bare_key(c, key, klen)) != FMT_OK) {
		return st;
	}
	if (c->i >= c->n)
		return syntax(c, c->n, "unterminated object");
	if (c->p[c->i] != ':')
		return syntax(c, c->i, "expected ':' after a property name");
	c->i++;
	return FMT_OK;
}

/* Reads one "key:value" into obj, the innermost container. */
static enum fmt_status
parse_member(struct jctx *c, struct value *obj)
{
	struct frame *f = &c->stack[c->depth - 1];
	struct value *v;
	const char *key = NULL;
	enum fmt_status st;
	size_t kpos = c->i, klen = 0, i;

	if (obj->u.obj.n >= c->lim->max_items ||
	    obj->u.obj.n >= JSV_MAX_MEMBERS)
		return fail(c, FMT_LIMIT, c->i,
		    "The object has too many members.");
	if ((st = parse_key(c, &key, &klen)) != FMT_OK)
		return st;
	f->key = key;
	for (i = 0; i < obj->u.obj.n; i++)
		if (obj->u.obj.members[i].klen == klen &&
		    memcmp(obj->u.obj.members[i].key, key, klen) == 0)
			return fail(c, FMT_DUPLICATE, kpos, "The same "
			    "property appears twice in one object.");
	skip_ws(c);
	if ((st = parse_value(c, &v)) != FMT_OK)
		return st;
	value_set(c->a, obj, key, v);
	return FMT_OK;
}

static enum fmt_status
parse_object(struct jctx *c, struct value **out)
{
	struct value *obj = value_object(c->a);
	enum fmt_status st;

	if ((st = push(c, obj)) != FMT_OK)
		return st;
	c->i++;
	skip_ws(c);
	if (c->i < c->n && c->p[c->i] == '}')
		goto done;
	for (;;) {
		if ((st = parse_member(c, obj)) != FMT_OK)
			return st;
		skip_ws(c);
		if (c->i >= c->n)
			return syntax(c, c->n, "unterminated object");
		if (c->p[c->i] == '}')
			break;
		if (c->p[c->i] != ',')
			return syntax(c, c->i, "expected ',' or '}'");
		c->i++;
		skip_ws(c);
	}
done:
	c->i++;
	c->depth--;
	*out = obj;
	return FMT_OK;
}

static enum fmt_status
parse_array(struct jctx *c, struct value **out)
{
	struct value *arr = value_array(c->a), *v;
	enum fmt_status st;

	if ((st = push(c, arr)) != FMT_OK)
		return st;
	c->i++;
	skip_ws(c);
	if (c->i < c->n && c->p[c->i] == ']')
		goto done;
	for (;;) {
		if (arr->u.arr.n >= c->lim->max_items)
			return fail(c, FMT_LIMIT, c->i,
			    "The array has too many items.");
		c->stack[c->depth - 1].idx = arr->u.arr.n;
		if ((st = parse_value(c, &v)) != FMT_OK)
			return st;
		value_push(c->a, arr, v);
		skip_ws(c);
		if (c->i >= c->n)
			return syntax(c, c->n, "unterminated array");
		if (c->p[c->i] == ']')
			break;
		if (c->p[c->i] != ',')
			return syntax(c, c->i, "expected ',' or ']'");
		c->i++;
		skip_ws(c);
	}
done:
	c->i++;
	c->depth--;
	*out = arr;
	return FMT_OK;
}

/* Reads one value at c->i (whitespace already skipped). */
static enum fmt_status
parse_value(struct jctx *c, struct value **out)
{
	if (++c->nodes > c->lim->max_nodes)
		return fail(c, FMT_LIMIT, c->i,
		    "The document has too many values.");
	if (c->i < c->n && c->p[c->i] == '{')
		return parse_object(c, out);
	if (c->i < c->n && c->p[c->i] == '[')
		return parse_array(c, out);
	if (c->i < c->n && c->p[c->i] == '"')
		return parse_string(c, out);
	return parse_bare(c, out);
}

/*
 * Decodes one JSV document.  See jsv.h.
 */
enum fmt_status
jsv_decode(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
{
	struct jctx c;
	struct value *v;
	enum fmt_status st;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.lim = lim != NULL ? lim : &fmt_default_limits;
	c.err = err;
	if (p == NULL || n == 0 || (n <= JSV_MAX_BYTES && fmt_all_space(p, n)))
		return fail(&c, FMT_EMPTY, 0,
		    "A non-empty request body is required.");
	if (n > JSV_MAX_BYTES)
		return fail(&c, FMT_LIMIT, JSV_MAX_BYTES,
		    "The document is too large.");
	c.p = (const unsigned char *)p;
	c.n = n;
	c.max_depth = c.lim->max_depth < JSV_MAX_DEPTH ? c.lim->max_depth :
	    JSV_MAX_DEPTH;
	c.stack = arena_allocarray(a, c.max_depth + 1, sizeof(*c.stack));
	skip_ws(&c);
	if ((st = parse_value(&c, &v)) != FMT_OK)
		return st;
	skip_ws(&c);
	if (c.i < c.n)
		return syntax(&c, c.i, "unexpected data after the document");
	*out = v;
	return FMT_OK;
}

/* ---- encoder ---- */

/*
 * Whether s[0..n) must be quoted to read back as itself: ServiceStack's
 * escape characters (JsWriter.EscapeChars) plus any control character
 * and leading or trailing whitespace, which rosterd's reader trims.
 * Number text may keep ':' bare (ServiceStack writes dates so).
 */
static int
needs_quotes(const char *s, size_t n, int colon_ok)
{
	size_t i;

	if (n == 0 || is_ws((unsigned char)s[0]) ||
	    is_ws((unsigned char)s[n - 1]))
		return 1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (s[i] == ':' && !colon_ok))
			return 1;
		if (in_set((unsigned char)s[i], "\",{}[]"))
			return 1;
	}
	return 0;
}

/*
 * Appends s[0..n) bare, or quoted with every '"' doubled: JSV quotes as
 * CSV does (a text that needs no quotes holds none of CSV's specials).
 */
static void
put_scalar(struct buf *b, const char *s, size_t n, int colon_ok)
{
	csv_put_cell(b, s, n, needs_quotes(s, n, colon_ok), 0);
}

static void
encode_value(struct buf *b, const struct value *v)
{
	const struct member *m;
	size_t i, k = 0;

	switch (v->type) {
	case VALUE_NULL:
		break;
	case VALUE_BOOL:
		buf_puts(b, v->u.boolean ? "True" : "False");
		break;
	case VALUE_NUMBER:
		put_scalar(b, v->u.str.p, v->u.str.len, 1);
		break;
	case VALUE_STRING:
		put_scalar(b, v->u.str.p, v->u.str.len, 0);
		break;
	case VALUE_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < v->u.arr.n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			encode_value(b, v->u.arr.items[i]);
		}
		buf_putc(b, ']');
		break;
	case VALUE_OBJECT:
		buf_putc(b, '{');
		for (i = 0; i < v->u.obj.n; i++) {
			m = &v->u.obj.members[i];
			if (m->val->type == VALUE_NULL)
				continue;	/* JSV never writes nulls */
			if (k++ > 0)
				buf_putc(b, ',');
			put_scalar(b, m->key, m->klen, 0);
			buf_putc(b, ':');
			encode_value(b, m->val);
		}
		buf_putc(b, '}');
		break;
	default:
		abort();
	}
}

/*
 * Appends the compact JSV text of v to b.  See jsv.h.
 */
void
jsv_encode(struct buf *b, const struct value *v)
{
	encode_value(b, v);
}

/* ---- scalar helpers ---- */

/* Collects the 32 hex digits of a Guid in N, D or {D} form, lower case. */
static int
guid_digits(const char *s, size_t n, char hex[JSV_GUID_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	char canon[UUID_STR_LEN + 1];
	size_t i, k = 0;

	if (s != NULL && n == JSV_GUID_LEN) {
		for (i = 0; i < n; i++)
			if (hex_value(s[i]) < 0)
				return 0;
		for (i = 0; i < n; i++)
			hex[i] = digits[hex_value(s[i])];
		hex[n] = '\0';
		return 1;
	}
	if (uuid_normalize(s, n, canon) != 0)
		return 0;
	for (i = 0; i < UUID_STR_LEN; i++)
		if (canon[i] != '-')
			hex[k++] = canon[i];
	hex[k] = '\0';
	return 1;
}

/*
 * Writes the "N" form of a Guid.  See jsv.h.
 */
enum fmt_status
jsv_guid(const char *s, size_t n, char out[JSV_GUID_LEN + 1])
{
	char hex[JSV_GUID_LEN + 1];

	if (!guid_digits(s, n, hex))
		return FMT_SYNTAX;
	memcpy(out, hex, sizeof(hex));
	return FMT_OK;
}

/*
 * Reads a Guid into the canonical "D" form.  See jsv.h.
 */
enum fmt_status
jsv_guid_parse(const char *s, size_t n, char out[UUID_STR_LEN + 1])
{
	char hex[JSV_GUID_LEN + 1];
	size_t i, k = 0;

	if (!guid_digits(s, n, hex))
		return FMT_SYNTAX;
	for (i = 0; i < JSV_GUID_LEN; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[k++] = '-';
		out[k++] = hex[i];
	}
	out[k] = '\0';
	return FMT_OK;
}

/* DateTime.MinValue and MaxValue (to the millisecond), Unix ms. */
#define JSV_MS_MIN	(-62135596800000LL)	/* 0001-01-01T00:00:00Z */
#define JSV_MS_MAX	253402300799999LL	/* 9999-12-31T23:59:59.999Z */

/*
 * Writes a time in ServiceStack's shortest XSD form.  See jsv.h.
 */
void
jsv_date(int64_t ms, char out[JSV_DATE_SIZE])
{
	struct tm tm;
	time_t secs;
	unsigned y, mo, d, h, mi, se, frac;

	if (ms < JSV_MS_MIN)
		ms = JSV_MS_MIN;
	if (ms > JSV_MS_MAX)
		ms = JSV_MS_MAX;
	/* floor division: -1 ms is 1969-12-31T23:59:59.999Z */
	frac = (unsigned)(((ms % 1000) + 1000) % 1000);
	secs = (time_t)((ms - (int64_t)frac) / 1000);
	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));	/* 32-bit time_t only */
	/* the moduli only tell the compiler the widths; all are in range */
	y = (unsigned)(tm.tm_year + 1900) % 10000u;
	mo = (unsigned)(tm.tm_mon + 1) % 100u;
	d = (unsigned)tm.tm_mday % 100u;
	h = (unsigned)tm.tm_hour % 100u;
	mi = (unsigned)tm.tm_min % 100u;
	se = (unsigned)tm.tm_sec % 100u;
	if (h == 0 && mi == 0 && se == 0 && frac == 0)
		snprintf(out, JSV_DATE_SIZE, "%04u-%02u-%02u", y, mo, d);
	else if (frac == 0)
		snprintf(out, JSV_DATE_SIZE, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		    y, mo, d, h, mi, se);
	else
		snprintf(out, JSV_DATE_SIZE,
		    "%04u-%02u-%02uT%02u:%02u:%02u.%03u0000Z", y, mo, d, h, mi,
		    se, frac);
}

/* ServiceStack's short spellings (StringSpanExtensions.ParseBoolean). */
static const struct {
	const char	*text;
	int		 val;
} short_bools[] = {
	{ "", 0 }, { "1", 1 }, { "t", 1 }, { "T", 1 }, { "y", 1 },
	{ "Y", 1 }, { "on", 1 }, { "0", 0 }, { "f", 0 }, { "F", 0 },
	{ "n", 0 }, { "N", 0 }, { "off", 0 },
};

/*
 * Reads a boolean as ServiceStack does.  See jsv.h.
 */
enum fmt_status
jsv_bool(const struct value *v, int *out)
{
	const char *s;
	size_t n, i;

	if (v == NULL)
		return FMT_SYNTAX;
	if (v->type == VALUE_BOOL) {
		*out = v->u.boolean != 0;
		return FMT_OK;
	}
	if (v->type != VALUE_STRING && v->type != VALUE_NUMBER)
		return FMT_SYNTAX;
	s = v->u.str.p;
	n = v->u.str.len;
	for (i = 0; i < RS_ARRAY_LEN(short_bools); i++) {
		if (strcmp(s, short_bools[i].text) == 0) {
			*out = short_bools[i].val;
			return FMT_OK;
		}
	}
	/* then bool.Parse: either word, any case, whitespace trimmed */
	for (; n > 0 && is_ws((unsigned char)*s); s++, n--)
		continue;
	for (; n > 0 && is_ws((unsigned char)s[n - 1]); n--)
		continue;
	if (n == 4 && strncasecmp(s, "true", 4) == 0)
		*out = 1;
	else if (n == 5 && strncasecmp(s, "false", 5) == 0)
		*out = 0;
	else
		return FMT_SYNTAX;
	return FMT_OK;
}
