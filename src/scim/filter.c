/*
 * filter.c: the SCIM filter and PATCH path parser (a recursive descent
 * bounded in length, depth and nodes) and the compiler of its trees into
 * SQL over a fixed attribute map.  See filter.h for the grammar and the
 * map.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "../util/util.h"

struct parser {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	int		 depth;		/* open "(", "not(", "[" */
	int		 nodes;		/* nodes made so far */
	int		 in_valpath;	/* inside "[...]" */
	char		*err;
	size_t		 errlen;
};

static const char *const op_names[] = {
	[SCIM_EQ] = "eq", [SCIM_NE] = "ne", [SCIM_CO] = "co",
	[SCIM_SW] = "sw", [SCIM_EW] = "ew", [SCIM_PR] = "pr",
	[SCIM_GT] = "gt", [SCIM_GE] = "ge", [SCIM_LT] = "lt",
	[SCIM_LE] = "le",
};
_Static_assert(RS_ARRAY_LEN(op_names) == SCIM_LE + 1, "op_names");

static int parse_or(struct parser *, struct scim_node **);

const char *
scim_op_name(enum scim_op op)
{
	if ((size_t)op >= RS_ARRAY_LEN(op_names))
		return "?";
	return op_names[op];
}

/* Writes a message into err (when there is room), truncating. */
static void RS_PRINTF(3, 4)
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int RS_PRINTF(2, 3)
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL && p->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A byte of an attribute path token (URN, name, '.', '$'). */
static int
is_pathc(char c)
{
	return is_alpha(c) || is_digit(c) || c == ':' || c == '.' ||
	    c == '-' || c == '_' || c == '$';
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && is_ws(p->s[p->pos]))
		p->pos++;
}

/*
 * Describes what stands at offset at for a message: "end of filter", or
 * the token (a word, a string's start, one byte), quoted, printable
 * ASCII only, at most 24 bytes.
 */
static const char *
found(const struct parser *p, size_t at, char out[40])
{
	size_t i = at, n = 0;
	unsigned char c;

	if (at >= p->len)
		return "end of input";
	if (is_pathc(p->s[at]) || p->s[at] == '+')
		while (i < p->len && (is_pathc(p->s[i]) || p->s[i] == '+'))
			i++;
	else if (p->s[at] == '"')
		for (i++; i < p->len && p->s[i] != '"' && i - at < 24; i++)
			;
	else
		i++;
	if (i < p->len && p->s[i] == '"' && p->s[at] == '"')
		i++;
	out[n++] = '\'';
	for (; at < i && n < 24 + 1; at++) {
		c = (unsigned char)p->s[at];
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (at < i) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return out;
}

static int
fail_at(struct parser *p, const char *what, size_t at)
{
	char tok[40];

	return fail(p, "%s at offset %zu, found %s", what, at,
	    found(p, at, tok));
}

static struct scim_node *
node_new(struct parser *p, enum scim_node_kind kind)
{
	struct scim_node *n;

	if (++p->nodes > SCIM_FILTER_MAX_NODES) {
		fail(p, "filter has more than %d parts (at offset %zu)",
		    SCIM_FILTER_MAX_NODES, p->pos);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

static void
attrpath_clear(struct scim_attrpath *a)
{
	free(a->urn);
	free(a->attr);
	free(a->sub);
	a->urn = a->attr = a->sub = NULL;
}

void
scim_node_free(struct scim_node *n)
{
	if (n == NULL)
		return;
	scim_node_free(n->left);
	scim_node_free(n->right);
	attrpath_clear(&n->path);
	free(n->value);
	free(n);
}

/* Checks the input as a whole: length, NUL, UTF-8, not blank. */
static int
check_input(struct parser *p, const char *what)
{
	size_t bad;

	if (p->s == NULL)
		p->len = 0;
	if (p->len > SCIM_FILTER_MAX_LEN)
		return fail(p, "%s longer than %d bytes", what,
		    SCIM_FILTER_MAX_LEN);
	if ((bad = utf8_check(p->s, p->len)) < p->len)
		return fail(p, "%s at offset %zu", p->s[bad] == '\0' ?
		    "NUL byte" : "invalid UTF-8", bad);
	skip_ws(p);
	if (p->pos == p->len)
		return fail(p, "%s is empty", what);
	return 0;
}

/* 1 when ATTRNAME: ALPHA or '$', then ALPHA, DIGIT, '-', '_'. */
static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (!is_alpha(s[0]) && s[0] != '$'))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return 1;
}

/*
 * Splits the path token s[0..n) (at offset at) into a: the URN up to
 * the last ':', then name [ "." sub ].
 */
static int
split_path(struct parser *p, const char *s, size_t n, size_t at,
    struct scim_attrpath *a)
{
	const char *colon = NULL, *name, *dot;
	size_t i, nlen;

	for (i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	name = colon != NULL ? colon + 1 : s;
	nlen = (size_t)(s + n - name);
	if (colon != NULL && (colon - s < 5 ||
	    strncasecmp(s, "urn:", 4) != 0))
		return fail_at(p, "a schema URN must start with \"urn:\"", at);
	dot = memchr(name, '.', nlen);
	if (dot != NULL && memchr(dot + 1, '.', nlen -
	    (size_t)(dot + 1 - name)) != NULL)
		return fail_at(p, "an attribute path has at most one '.'",
		    (size_t)(dot - p->s) + 1);
	if (!valid_name(name, dot != NULL ? (size_t)(dot - name) : nlen) ||
	    (dot != NULL && !valid_name(dot + 1, nlen - (size_t)(dot + 1 -
	    name))))
		return fail_at(p, "invalid attribute name",
		    (size_t)(name - p->s));
	if (colon != NULL)
		a->urn = xstrndup(s, (size_t)(colon - s));
	a->attr = xstrndup(name, dot != NULL ? (size_t)(dot - name) : nlen);
	if (dot != NULL)
		a->sub = xstrndup(dot + 1, nlen - (size_t)(dot + 1 - name));
	return 0;
}

static int
parse_attrpath(struct parser *p, struct scim_attrpath *a)
{
	size_t start;

	skip_ws(p);
	start = p->pos;
	while (p->pos < p->len && is_pathc(p->s[p->pos]))
		p->pos++;
	if (p->pos == start)
		return fail_at(p, "expected an attribute name", start);
	if (split_path(p, p->s + start, p->pos - start, start, a) != 0)
		return -1;
	if (p->in_valpath && a->urn != NULL)
		return fail_at(p, "no schema URN inside a value filter", start);
	return 0;
}

/* The length of the word (ALPHA run) at pos, which is not consumed. */
static size_t
peek_word(const struct parser *p)
{
	size_t i = p->pos;

	while (i < p->len && is_alpha(p->s[i]))
		i++;
	return i - p->pos;
}

static int
word_is(const struct parser *p, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp(p->s + p->pos, w, n) == 0;
}

static int
parse_op(struct parser *p, enum scim_op *op)
{
	size_t n, i;

	skip_ws(p);
	n = peek_word(p);
	if (p->pos + n < p->len && is_pathc(p->s[p->pos + n]))
		n = 0;		/* "eq1", "eq.x": no operator */
	for (i = 0; n == 2 && i < RS_ARRAY_LEN(op_names); i++)
		if (word_is(p, n, op_names[i])) {
			*op = (enum scim_op)i;
			p->pos += n;
			return 0;
		}
	return fail_at(p, "expected an operator (eq, ne, co, sw, ew, pr, "
	    "gt, ge, lt, le)", p->pos);
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_putc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, u, 4);
	}
}

/* Four hex digits at s[at..]: the value, or -1. */
static long
hex4(const struct parser *p, size_t at)
{
	long v = 0;
	size_t i;
	char c;

	if (at + 4 > p->len)
		return -1;
	for (i = at; i < at + 4; i++) {
		c = p->s[i];
		v <<= 4;
		if (is_digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A \uXXXX escape (pair) at pos (on the 'u'), appended to b. */
static int
parse_uescape(struct parser *p, struct buf *b)
{
	size_t at = p->pos - 1;
	long hi, lo;

	if ((hi = hex4(p, p->pos + 1)) < 0)
		return fail(p, "invalid \\u escape at offset %zu", at);
	p->pos += 5;
	if (hi == 0)
		return fail(p, "\\u0000 at offset %zu is not allowed", at);
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(p, "lone surrogate \\u%04lX at offset %zu", hi, at);
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (p->pos + 1 >= p->len || p->s[p->pos] != '\\' ||
		    p->s[p->pos + 1] != 'u' ||
		    (lo = hex4(p, p->pos + 2)) < 0xdc00 || lo > 0xdfff)
			return fail(p, "lone surrogate \\u%04lX at offset %zu",
			    hi, at);
		p->pos += 6;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(b, (unsigned long)hi);
	return 0;
}

/* One escape at pos (on the byte after '\'), appended to b. */
static int
parse_escape(struct parser *p, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	char tok[40];

	if (p->pos >= p->len)
		return fail(p, "unterminated string at offset %zu", p->pos);
	if (p->s[p->pos] == 'u')
		return parse_uescape(p, b);
	if (p->s[p->pos] == '\0' ||
	    (e = strchr(from, p->s[p->pos])) == NULL)
		return fail(p, "invalid escape \\%s at offset %zu",
		    found(p, p->pos, tok), p->pos - 1);
	buf_putc(b, to[e - from]);
	p->pos++;
	return 0;
}

/* A JSON string at pos (on the '"') into *out. */
static int
parse_string(struct parser *p, char **out)
{
	size_t start = p->pos;
	struct buf b;
	unsigned char c;

	buf_init(&b, NULL);
	for (p->pos++;; ) {
		if (p->pos >= p->len) {
			buf_release(&b);
			return fail(p, "unterminated string starting at "
			    "offset %zu", start);
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20) {
			buf_release(&b);
			return fail(p, "control character in a string at "
			    "offset %zu", p->pos);
		}
		if (c == '\\') {
			p->pos++;
			if (parse_escape(p, &b) != 0) {
				buf_release(&b);
				return -1;
			}
			continue;
		}
		buf_putc(&b, (char)c);
		p->pos++;
	}
	p->pos++;
	*out = xstrndup(b.p, b.len);
	buf_release(&b);
	return 0;
}

/*
 * The length of the JSON number (with an optional leading '+') at
 * s[0..n), or 0 when there is none.  *exp gets the exponent's value
 * (capped).
 */
static size_t
number_len(const char *s, size_t n, long *exp)
{
	size_t i = 0, d;
	int neg = 0;

	*exp = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && is_digit(s[i]) && s[i] != '0')
		while (i < n && is_digit(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && is_digit(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			neg = s[i++] == '-';
		for (d = i; i < n && is_digit(s[i]); i++)
			if (*exp < 100000)
				*exp = *exp * 10 + (s[i] - '0');
		if (i == d)
			return 0;
		if (neg)
			*exp = -*exp;
	}
	return i;
}

/* Numbers outside what PostgreSQL's numeric takes without fuss. */
#define SCIM_MAX_EXPONENT	1000

static int
parse_number(struct parser *p, char **out)
{
	size_t start = p->pos, n, end;
	long exp;

	n = number_len(p->s + start, p->len - start, &exp);
	end = start + n;
	if (n == 0 || (end < p->len && (is_pathc(p->s[end]) ||
	    p->s[end] == '+')))
		return fail_at(p, "invalid number", start);
	if (exp > SCIM_MAX_EXPONENT || exp < -SCIM_MAX_EXPONENT)
		return fail_at(p, "number out of range", start);
	if (p->s[start] == '+')
		start++;
	*out = xstrndup(p->s + start, end - start);
	p->pos = end;
	return 0;
}

/* compValue at pos into n (vtype, value). */
static int
parse_value(struct parser *p, struct scim_node *n)
{
	size_t w;
	char c;

	skip_ws(p);
	c = p->pos < p->len ? p->s[p->pos] : '\0';
	if (c == '"') {
		n->vtype = SCIM_V_STRING;
		return parse_string(p, &n->value);
	}
	if (c == '-' || c == '+' || is_digit(c)) {
		n->vtype = SCIM_V_NUMBER;
		return parse_number(p, &n->value);
	}
	w = peek_word(p);
	if ((p->pos + w == p->len || !is_pathc(p->s[p->pos + w])) &&
	    (word_is(p, w, "true") || word_is(p, w, "false"))) {
		n->vtype = SCIM_V_BOOL;
		n->value = xstrdup(word_is(p, w, "true") ? "true" : "false");
		p->pos += w;
		return 0;
	}
	if ((p->pos + w == p->len || !is_pathc(p->s[p->pos + w])) &&
	    word_is(p, w, "null")) {
		n->vtype = SCIM_V_NULL;
		p->pos += w;
		return 0;
	}
	return fail_at(p, "expected a value (a string in double quotes, a "
	    "number, true, false or null)", p->pos);
}

/* cmp = "pr" / compareOp compValue, into n. */
static int
parse_cmp(struct parser *p, struct scim_node *n)
{
	if (parse_op(p, &n->op) != 0)
		return -1;
	if (n->op == SCIM_PR)
		return 0;
	return parse_value(p, n);
}

static int
enter(struct parser *p)
{
	if (++p->depth > SCIM_FILTER_MAX_DEPTH)
		return fail(p, "filter nested deeper than %d levels at offset "
		    "%zu", SCIM_FILTER_MAX_DEPTH, p->pos);
	return 0;
}

static int
expect(struct parser *p, char c, const char *what)
{
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != c)
		return fail_at(p, what, p->pos);
	p->pos++;
	return 0;
}

/* "[" valFilter "]" at pos, into n->left. */
static int
parse_brackets(struct parser *p, struct scim_node *n)
{
	size_t at = p->pos;

	if (p->in_valpath)
		return fail(p, "a value filter inside a value filter at "
		    "offset %zu", at);
	if (n->path.sub != NULL)
		return fail(p, "a value filter after a sub-attribute at "
		    "offset %zu", at);
	if (enter(p) != 0)
		return -1;
	p->pos++;
	p->in_valpath = 1;
	if (parse_or(p, &n->left) != 0)
		return -1;
	p->in_valpath = 0;
	if (expect(p, ']', "expected ']'") != 0)
		return -1;
	p->depth--;
	return 0;
}

/* attrPath "[" valFilter "]" [ "." subAttr cmp ] / attrPath cmp */
static int
parse_attrexp(struct parser *p, struct scim_node **out)
{
	struct scim_node *n;
	size_t at;

	if ((n = *out = node_new(p, SCIM_N_CMP)) == NULL)
		return -1;
	if (parse_attrpath(p, &n->path) != 0)
		return -1;
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '[')
		return parse_cmp(p, n);
	n->kind = SCIM_N_VALPATH;
	if (parse_brackets(p, n) != 0)
		return -1;
	if (p->pos >= p->len || p->s[p->pos] != '.')
		return 0;
	at = ++p->pos;
	while (p->pos < p->len && is_pathc(p->s[p->pos]) &&
	    p->s[p->pos] != '.' && p->s[p->pos] != ':')
		p->pos++;
	if (!valid_name(p->s + at, p->pos - at))
		return fail_at(p, "expected a sub-attribute name", at);
	n->path.sub = xstrndup(p->s + at, p->pos - at);
	return parse_cmp(p, n);
}

/* "not" "(" filter ")" / "(" filter ")" / attribute expression */
static int
parse_unary(struct parser *p, struct scim_node **out)
{
	size_t w, save;
	int not = 0;

	skip_ws(p);
	w = peek_word(p);
	if (word_is(p, w, "not")) {
		save = p->pos;
		p->pos += w;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '(')
			not = 1;
		else
			p->pos = save;
	}
	if (!not && (p->pos >= p->len || p->s[p->pos] != '('))
		return parse_attrexp(p, out);
	if (not && (*out = node_new(p, SCIM_N_NOT)) == NULL)
		return -1;
	if (enter(p) != 0)
		return -1;
	p->pos++;
	if (parse_or(p, not ? &(*out)->left : out) != 0)
		return -1;
	if (expect(p, ')', "expected ')'") != 0)
		return -1;
	p->depth--;
	return 0;
}

/* A left-deep chain of kind over sub-expressions from next. */
static int
parse_chain(struct parser *p, struct scim_node **out, const char *kw,
    enum scim_node_kind kind, int (*next)(struct parser *,
    struct scim_node **))
{
	struct scim_node *n;
	size_t w;

	if (next(p, out) != 0)
		return -1;
	for (;;) {
		skip_ws(p);
		w = peek_word(p);
		if (!word_is(p, w, kw) || (p->pos + w < p->len &&
		    is_pathc(p->s[p->pos + w])))
			return 0;
		p->pos += w;
		if ((n = node_new(p, kind)) == NULL)
			return -1;
		n->left = *out;
		*out = n;
		if (next(p, &n->right) != 0)
			return -1;
	}
}

static int
parse_and(struct parser *p, struct scim_node **out)
{
	return parse_chain(p, out, "and", SCIM_N_AND, parse_unary);
}

static int
parse_or(struct parser *p, struct scim_node **out)
{
	return parse_chain(p, out, "or", SCIM_N_OR, parse_and);
}

int
scim_filter_parse(const char *s, size_t len, struct scim_node **out,
    char *err, size_t errlen)
{
	struct parser p = { .s = s, .len = len, .err = err,
	    .errlen = errlen };
	struct scim_node *n = NULL;

	*out = NULL;
	set_err(err, errlen, "%s", "");
	if (check_input(&p, "filter") != 0)
		return -1;
	if (parse_or(&p, &n) != 0) {
		scim_node_free(n);
		return -1;
	}
	skip_ws(&p);
	if (p.pos < p.len) {
		scim_node_free(n);
		return fail_at(&p, "unexpected text after the filter", p.pos);
	}
	*out = n;
	return 0;
}

/* valuePath's "." subAttr at the end of a PATCH path */
static int
parse_path_sub(struct parser *p, struct scim_path *out)
{
	size_t at;

	if (p->pos >= p->len || p->s[p->pos] != '.')
		return 0;
	at = ++p->pos;
	while (p->pos < p->len && is_pathc(p->s[p->pos]))
		p->pos++;
	if (!valid_name(p->s + at, p->pos - at))
		return fail_at(p, "expected a sub-attribute name", at);
	out->sub_after = xstrndup(p->s + at, p->pos - at);
	return 0;
}

int
scim_path_parse(const char *s, size_t len, struct scim_path *out,
    char *err, size_t errlen)
{
	struct parser p = { .s = s, .len = len, .err = err,
	    .errlen = errlen };
	struct scim_node holder = { .kind = SCIM_N_VALPATH };

	memset(out, 0, sizeof(*out));
	set_err(err, errlen, "%s", "");
	if (check_input(&p, "path") != 0)
		return -1;
	if (parse_attrpath(&p, &out->attr) != 0)
		return -1;
	if (p.pos < p.len && p.s[p.pos] == '[') {
		holder.path.sub = out->attr.sub;
		if (parse_brackets(&p, &holder) != 0) {
			scim_node_free(holder.left);
			return -1;
		}
		out->filter = holder.left;
		if (parse_path_sub(&p, out) != 0)
			return -1;
	}
	skip_ws(&p);
	if (p.pos < p.len)
		return fail_at(&p, "unexpected text after the path", p.pos);
	return 0;
}

void
scim_path_clear(struct scim_path *p)
{
	attrpath_clear(&p->attr);
	scim_node_free(p->filter);
	free(p->sub_after);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* The SQL compiler */

#define CORE_URN_PREFIX	"urn:ietf:params:scim:schemas:core:2.0:"
/* PostgreSQL's limit on parameters of one statement */
#define SCIM_MAX_PARAM	65535
/* the FROM alias whose column SCIM_SQL_ELEM is */
#define SCIM_SQL_ELEM_ALIAS	"e(v)"

struct comp {
	const struct scim_sqlattr *map;
	size_t		 nmap;
	struct buf	 t;		/* the text so far */
	char		**params;
	int		 nparams;
	int		 first;
	char		*err;
	size_t		 errlen;
};

/* Inside "attr[...]": names are attr's sub-attributes. */
struct ctx {
	const char	*urn;
	const char	*attr;
};

static int RS_PRINTF(2, 3)
cfail(struct comp *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* 1 when the map's name is a, or a "." b, without regard to case. */
static int
name_is(const char *name, const char *a, const char *b)
{
	size_t la = strlen(a);

	if (b == NULL)
		return strcasecmp(name, a) == 0;
	return strncasecmp(name, a, la) == 0 && name[la] == '.' &&
	    strcasecmp(name + la + 1, b) == 0;
}

/* The row for [urn:]a[.b] (filter.h says which rows a URN finds). */
static const struct scim_sqlattr *
lookup(const struct comp *c, const char *urn, const char *a, const char *b)
{
	const struct scim_sqlattr *e;
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < c->nmap; i++) {
			e = &c->map[i];
			if (!name_is(e->name, a, b))
				continue;
			if (urn == NULL && (pass == 1 || e->urn == NULL))
				return e;
			if (urn != NULL && pass == 0 && e->urn != NULL &&
			    strcasecmp(e->urn, urn) == 0)
				return e;
			if (urn != NULL && pass == 1 && e->urn == NULL &&
			    strncasecmp(urn, CORE_URN_PREFIX,
			    strlen(CORE_URN_PREFIX)) == 0)
				return e;
		}
	return NULL;
}

static int
unknown(struct comp *c, const char *urn, const char *a, const char *b,
    const char *b2)
{
	return cfail(c, "unknown attribute '%.200s%s%.64s%s%.64s%s%.64s'",
	    urn != NULL ? urn : "", urn != NULL ? ":" : "", a,
	    b != NULL ? "." : "", b != NULL ? b : "",
	    b2 != NULL ? "." : "", b2 != NULL ? b2 : "");
}

/* Appends value as the next parameter; its number. */
static int
param(struct comp *c, char *value)
{
	c->params = xrealloc(c->params, (size_t)(c->nparams + 1) *
	    sizeof(*c->params));
	c->params[c->nparams++] = value;
	return c->first + c->nparams - 1;
}

static void
put_sql(struct comp *c, const char *a, const char *b, const char *d)
{
	buf_puts(&c->t, a);
	if (b != NULL)
		buf_puts(&c->t, b);
	if (d != NULL)
		buf_puts(&c->t, d);
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * 1 when s is an xsd:dateTime (RFC 7643 §2.3.5) PostgreSQL reads as the
 * same instant: YYYY-MM-DDThh:mm:ss[.s+][Z|(+|-)hh:mm], year 0001-9999.
 */
static int
valid_datetime(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	size_t n = strlen(s), i = 19;
	int y, mo, d;

	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != 't') || s[13] != ':' || s[16] != ':')
		return 0;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] +
	    (mo == 2 && leap(y)) || digits(s + 11, 2) < 0 ||
	    digits(s + 11, 2) > 23 || digits(s + 14, 2) < 0 ||
	    digits(s + 14, 2) > 59 || digits(s + 17, 2) < 0 ||
	    digits(s + 17, 2) > 59)
		return 0;
	if (i < n && s[i] == '.') {
		for (i++; i < n && is_digit(s[i]); i++)
			;
		if (i == 20 || i > 29)
			return 0;
	}
	if (i == n || (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')))
		return 1;
	return i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	    digits(s + i + 1, 2) >= 0 && digits(s + i + 1, 2) <= 14 &&
	    digits(s + i + 4, 2) >= 0 && digits(s + i + 4, 2) <= 59;
}

/* 1 when the operator orders or matches text (no boolean has them). */
static int
op_is_text(enum scim_op op)
{
	return op == SCIM_CO || op == SCIM_SW || op == SCIM_EW;
}

/*
 * Checks the value of "e op value" against e's type; *norm gets the
 * parameter's text (a copy).
 */
static int
check_value(struct comp *c, const struct scim_sqlattr *e, enum scim_op op,
    enum scim_vtype vt, const char *value, char **norm)
{
	long exp;
	const char *v = value;

	if (e->type == SCIM_V_BOOL) {
		if (op != SCIM_EQ && op != SCIM_NE)
			return cfail(c, "operator '%s' is not supported on "
			    "boolean attribute '%s'", scim_op_name(op), e->name);
		if (vt == SCIM_V_STRING && (strcasecmp(v, "true") == 0 ||
		    strcasecmp(v, "false") == 0))
			v = strcasecmp(v, "true") == 0 ? "true" : "false";
		else if (vt != SCIM_V_BOOL)
			return cfail(c, "attribute '%s' is boolean: compare it "
			    "with true or false", e->name);
	} else if (e->type == SCIM_V_NUMBER) {
		if (op_is_text(op))
			return cfail(c, "operator '%s' is not supported on "
			    "number attribute '%s'", scim_op_name(op), e->name);
		if ((vt != SCIM_V_NUMBER && vt != SCIM_V_STRING) ||
		    number_len(v, strlen(v), &exp) != strlen(v) ||
		    exp > SCIM_MAX_EXPONENT || exp < -SCIM_MAX_EXPONENT)
			return cfail(c, "attribute '%s' is a number: compare "
			    "it with a number", e->name);
		v += *v == '+';
	} else if (e->flags & SCIM_SQL_DATETIME) {
		if (op_is_text(op))
			return cfail(c, "operator '%s' is not supported on "
			    "dateTime attribute '%s'", scim_op_name(op),
			    e->name);
		if (vt != SCIM_V_STRING || !valid_datetime(v))
			return cfail(c, "attribute '%s' is a dateTime: compare "
			    "it with a string such as \"2026-01-23T04:56:22Z\"",
			    e->name);
	} else if (vt != SCIM_V_STRING && vt != SCIM_V_NUMBER)
		return cfail(c, "attribute '%s' is a string: compare it with "
		    "a string", e->name);
	*norm = xstrdup(v);
	return 0;
}

/* '%' / '_' / '\' escaped with '\', and the wildcards op wants. */
static char *
like_pattern(enum scim_op op, const char *v)
{
	struct buf b;
	char *p;

	buf_init(&b, NULL);
	if (op != SCIM_SW)
		buf_putc(&b, '%');
	for (; *v != '\0'; v++) {
		if (*v == '%' || *v == '_' || *v == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *v);
	}
	if (op != SCIM_EW)
		buf_putc(&b, '%');
	p = xstrndup(b.p, b.len);
	buf_release(&b);
	return p;
}

/* e IS NOT NULL (and not '' for text) */
static void
emit_pr(struct comp *c, const struct scim_sqlattr *e)
{
	if (e->type == SCIM_V_STRING && !(e->flags & SCIM_SQL_DATETIME)) {
		put_sql(c, "(", e->sql, " IS NOT NULL AND ");
		put_sql(c, e->sql, " <> '')", NULL);
	} else
		put_sql(c, e->sql, " IS NOT NULL", NULL);
}

/* "e op $n", the value checked and made a parameter. */
static int
emit_value_cmp(struct comp *c, const struct scim_sqlattr *e,
    enum scim_op op, enum scim_vtype vt, const char *value)
{
	static const char *const sqlop[] = {
		[SCIM_EQ] = " = ", [SCIM_NE] = " IS DISTINCT FROM ",
		[SCIM_CO] = " LIKE ", [SCIM_SW] = " LIKE ",
		[SCIM_EW] = " LIKE ", [SCIM_GT] = " > ", [SCIM_GE] = " >= ",
		[SCIM_LT] = " < ", [SCIM_LE] = " <= ",
	};
	int ci = e->type == SCIM_V_STRING && !(e->flags &
	    (SCIM_SQL_DATETIME | SCIM_SQL_CASE_EXACT));
	const char *cast = e->type == SCIM_V_NUMBER ? "::numeric" :
	    e->type == SCIM_V_BOOL ? "::boolean" :
	    e->flags & SCIM_SQL_DATETIME ? "::timestamptz" : "";
	char *v = NULL, num[16];
	int n;

	if (check_value(c, e, op, vt, value, &v) != 0)
		return -1;
	if (op_is_text(op)) {
		n = param(c, like_pattern(op, v));
		free(v);
	} else
		n = param(c, v);
	snprintf(num, sizeof(num), "$%d", n);
	put_sql(c, ci ? "lower(" : "", e->sql, ci ? ")" : "");
	put_sql(c, sqlop[op], ci ? "lower(" : "", num);
	put_sql(c, ci ? ")" : "", cast, op_is_text(op) ? " ESCAPE '\\'" : "");
	return 0;
}

/*
 * "e op value" for one row (a column, or an element's sub-attribute):
 * pr, "eq null" (not pr), "ne null" (pr) or a comparison.
 */
static int
emit_leaf(struct comp *c, const struct scim_sqlattr *e, enum scim_op op,
    enum scim_vtype vt, const char *value)
{
	if (e->flags & SCIM_SQL_MULTI)
		return cfail(c, "attribute '%s' cannot be compared here",
		    e->name);
	if (op != SCIM_PR && vt == SCIM_V_NULL) {
		if (op != SCIM_EQ && op != SCIM_NE)
			return cfail(c, "null can only be compared with eq or "
			    "ne (attribute '%s')", e->name);
		if (op == SCIM_EQ)
			put_sql(c, "(", NULL, NULL);
		emit_pr(c, e);
		if (op == SCIM_EQ)
			put_sql(c, ") IS NOT TRUE", NULL, NULL);
		return 0;
	}
	if (op == SCIM_PR) {
		emit_pr(c, e);
		return 0;
	}
	return emit_value_cmp(c, e, op, vt, value);
}

static void
open_exists(struct comp *c, const struct scim_sqlattr *multi, int not)
{
	put_sql(c, not ? "NOT " : "", "EXISTS (SELECT 1 FROM "
	    "jsonb_array_elements(", multi->sql);
	put_sql(c, ") AS ", SCIM_SQL_ELEM_ALIAS, " WHERE ");
}

/*
 * [urn:]attr[.sub] op value where attr is the multi-valued row m: any
 * element matches ("ne" and "eq null": none matches the opposite).
 */
static int
compile_multi(struct comp *c, const struct scim_sqlattr *m,
    const struct scim_node *n)
{
	const struct scim_sqlattr *e;
	const char *sub = n->path.sub != NULL ? n->path.sub : "value";
	int null = n->op != SCIM_PR && n->vtype == SCIM_V_NULL;
	int not = (n->op == SCIM_NE && !null) || (n->op == SCIM_EQ && null);

	if (n->path.sub == NULL && (n->op == SCIM_PR || null)) {
		put_sql(c, not ? "(" : "", "jsonb_array_length(", m->sql);
		put_sql(c, ") > 0", not ? ") IS NOT TRUE" : "", NULL);
		return 0;
	}
	if (null && n->op != SCIM_EQ && n->op != SCIM_NE)
		return cfail(c, "null can only be compared with eq or ne "
		    "(attribute '%s')", m->name);
	if ((e = lookup(c, n->path.urn, n->path.attr, sub)) == NULL)
		return unknown(c, n->path.urn, n->path.attr, sub, NULL);
	open_exists(c, m, not);
	if (emit_leaf(c, e, null ? SCIM_PR : not ? SCIM_EQ : n->op,
	    n->vtype, n->value) != 0)
		return -1;
	put_sql(c, ")", NULL, NULL);
	return 0;
}

static int
compile_cmp(struct comp *c, const struct scim_node *n, const struct ctx *x)
{
	const struct scim_sqlattr *e, *parent;
	const struct scim_attrpath *a = &n->path;

	if (x != NULL) {
		e = a->sub == NULL ? lookup(c, x->urn, x->attr, a->attr) :
		    NULL;
		if (e == NULL)
			return unknown(c, x->urn, x->attr, a->attr, a->sub);
		return emit_leaf(c, e, n->op, n->vtype, n->value);
	}
	parent = lookup(c, a->urn, a->attr, NULL);
	if (parent != NULL && (parent->flags & SCIM_SQL_MULTI))
		return compile_multi(c, parent, n);
	if (a->sub != NULL)
		e = lookup(c, a->urn, a->attr, a->sub);
	else if ((e = parent) == NULL)
		e = lookup(c, a->urn, a->attr, "value");
	if (e == NULL)
		return unknown(c, a->urn, a->attr, a->sub, NULL);
	return emit_leaf(c, e, n->op, n->vtype, n->value);
}

static int compile(struct comp *, const struct scim_node *,
    const struct ctx *);

/*
 * attr[filter] and attr[filter].sub op value: over the elements of a
 * multi-valued attr, or over a complex attr's sub-attributes.
 */
static int
compile_valpath(struct comp *c, const struct scim_node *n)
{
	const struct scim_sqlattr *m, *e = NULL;
	struct ctx x = { n->path.urn, n->path.attr };

	m = lookup(c, n->path.urn, n->path.attr, NULL);
	if (m != NULL && !(m->flags & SCIM_SQL_MULTI))
		return cfail(c, "attribute '%s' has no sub-attributes to "
		    "filter on", m->name);
	if (n->path.sub != NULL && (e = lookup(c, n->path.urn,
	    n->path.attr, n->path.sub)) == NULL)
		return unknown(c, n->path.urn, n->path.attr, n->path.sub, NULL);
	if (m != NULL)
		open_exists(c, m, 0);
	if (e != NULL)
		put_sql(c, "(", NULL, NULL);
	if (compile(c, n->left, &x) != 0)
		return -1;
	if (e != NULL) {
		put_sql(c, " AND ", NULL, NULL);
		if (emit_leaf(c, e, n->op, n->vtype, n->value) != 0)
			return -1;
		put_sql(c, ")", NULL, NULL);
	}
	if (m != NULL)
		put_sql(c, ")", NULL, NULL);
	return 0;
}

static int
compile(struct comp *c, const struct scim_node *n, const struct ctx *x)
{
	int paren;

	if (n == NULL || (n->kind == SCIM_N_NOT && n->left == NULL))
		return cfail(c, "%s", "empty filter");
	switch (n->kind) {
	case SCIM_N_AND:
	case SCIM_N_OR:
		put_sql(c, "(", NULL, NULL);
		if (compile(c, n->left, x) != 0)
			return -1;
		put_sql(c, n->kind == SCIM_N_AND ? " AND " : " OR ", NULL,
		    NULL);
		if (compile(c, n->right, x) != 0)
			return -1;
		put_sql(c, ")", NULL, NULL);
		return 0;
	case SCIM_N_NOT:		/* and/or come in parentheses */
		paren = n->left->kind != SCIM_N_AND &&
		    n->left->kind != SCIM_N_OR;
		put_sql(c, paren ? "(" : "", NULL, NULL);
		if (compile(c, n->left, x) != 0)
			return -1;
		put_sql(c, paren ? ")" : "", " IS NOT TRUE", NULL);
		return 0;
	case SCIM_N_CMP:
		return compile_cmp(c, n, x);
	case SCIM_N_VALPATH:
		if (x != NULL)
			return cfail(c, "%s", "a value filter inside a value "
			    "filter");
		return compile_valpath(c, n);
	}
	return cfail(c, "%s", "bad filter tree");
}

void
scim_sql_clear(struct scim_sql *s)
{
	int i;

	for (i = 0; i < s->nparams; i++)
		free((char *)s->params[i]);
	free(s->params);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

int
scim_filter_sql(const struct scim_node *n, const struct scim_sqlattr *map,
    size_t nmap, int first_param, struct scim_sql *out, char *err,
    size_t errlen)
{
	struct comp c = { .map = map, .nmap = nmap, .first = first_param,
	    .err = err, .errlen = errlen };
	int i;

	memset(out, 0, sizeof(*out));
	set_err(err, errlen, "%s", "");
	if (first_param < 1 || first_param > SCIM_MAX_PARAM -
	    SCIM_FILTER_MAX_NODES)
		return cfail(&c, "first parameter $%d out of range",
		    first_param);
	buf_init(&c.t, NULL);
	if (compile(&c, n, NULL) != 0 || c.t.failed) {
		for (i = 0; i < c.nparams; i++)
			free(c.params[i]);
		free(c.params);
		buf_release(&c.t);
		if (c.t.failed)
			return cfail(&c, "%s", "filter too large");
		return -1;
	}
	out->text = xstrndup(c.t.p, c.t.len);
	out->len = c.t.len;
	out->params = (const char **)c.params;
	out->nparams = c.nparams;
	buf_release(&c.t);
	return 0;
}

/* One row of scim_sqlmap_check(). */
static int
check_row(const struct scim_sqlattr *map, size_t nmap, size_t i,
    char *err, size_t errlen)
{
	const struct scim_sqlattr *e = &map[i], *m;
	const char *dot;
	size_t j, plen;

	if (e->name == NULL || e->sql == NULL || e->sql[0] == '\0')
		return set_err(err, errlen, "row %zu: no name or sql", i), -1;
	dot = strchr(e->name, '.');
	if (!valid_name(e->name, dot != NULL ? (size_t)(dot - e->name) :
	    strlen(e->name)) || (dot != NULL && !valid_name(dot + 1,
	    strlen(dot + 1))))
		return set_err(err, errlen, "row %zu: bad name '%s'", i,
		    e->name), -1;
	if (((e->flags & SCIM_SQL_LOWER_INDEXED) && (e->flags &
	    SCIM_SQL_CASE_EXACT)) || ((e->flags & (SCIM_SQL_LOWER_INDEXED |
	    SCIM_SQL_CASE_EXACT | SCIM_SQL_DATETIME)) && e->type !=
	    SCIM_V_STRING) || ((e->flags & SCIM_SQL_MULTI) && dot != NULL) ||
	    e->type == SCIM_V_NULL || (e->flags & ~0x0fu))
		return set_err(err, errlen, "row %zu (%s): flags do not fit "
		    "its type", i, e->name), -1;
	for (j = 0; j < i; j++)
		if (strcasecmp(map[j].name, e->name) == 0 &&
		    (map[j].urn == NULL) == (e->urn == NULL) &&
		    (e->urn == NULL || strcasecmp(map[j].urn, e->urn) == 0))
			return set_err(err, errlen, "row %zu: '%s' again", i,
			    e->name), -1;
	plen = dot != NULL ? (size_t)(dot - e->name) : 0;
	for (j = 0; dot != NULL && j < nmap; j++) {
		m = &map[j];
		if ((m->flags & SCIM_SQL_MULTI) && strlen(m->name) == plen &&
		    strncasecmp(m->name, e->name, plen) == 0 &&
		    (m->urn == NULL) == (e->urn == NULL) &&
		    strstr(e->sql, SCIM_SQL_ELEM) == NULL)
			return set_err(err, errlen, "row %zu (%s): a "
			    "sub-attribute of a multi-valued row reads %s",
			    i, e->name, SCIM_SQL_ELEM), -1;
	}
	return 0;
}

int
scim_sqlmap_check(const struct scim_sqlattr *map, size_t nmap, char *err,
    size_t errlen)
{
	size_t i;

	set_err(err, errlen, "%s", "");
	for (i = 0; i < nmap; i++)
		if (check_row(map, nmap, i, err, errlen) != 0)
			return -1;
	return 0;
}
