/*
 * check_formats.c: unit tests for formats/value.c and formats/json.c.
 *
 * The decoder is driven from vector tables of valid and invalid
 * documents; abuse cases are named after the attack (deep nesting,
 * oversize, duplicate keys, bad UTF-8, embedded NUL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/formats/formats.h"


/* Decodes a string literal (sizeof - 1 keeps embedded NULs). */
#define DEC(doc, lim, out, err) \
	json_decode(ta, (doc), sizeof(doc) - 1, (lim), (out), (err))

static const char *
encode(const struct value *v)
{
	struct buf b;

	buf_init(&b, ta);
	json_encode(&b, v);
	ck_assert(!b.failed);
	return b.p;
}

/* ---- valid documents: decode, then encode back to the same text ---- */

static const char *const roundtrip_cases[] = {
	"{}",
	"[]",
	"null",
	"true",
	"\"\"",
	"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	"[[[[]]],{},[{}]]",
	/* member order is the input's, not sorted */
	"{\"z\":1,\"a\":2,\"m\":3,\"B\":4,\"b\":5}",
	/* numbers are kept as sent */
	"[1.50e+3,-0,0.10,1E2,123456789012345678901234567890]",
	"{\"Roles\":[{\"Name\":\"Admin\"},{\"Id\":\"x\"}],\"Email\":null}",
	"\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
};

START_TEST(test_json_roundtrip)
{
	const char *doc = roundtrip_cases[_i];
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(json_decode(ta, doc, strlen(doc), NULL, &v, &err),
	    FMT_OK);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(encode(v), doc);
}
END_TEST

START_TEST(test_json_whitespace_compacts)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(DEC(" \r\n\t{ \"a\" : [ 1 , 2 ] ,\n\"b\":{} } \n",
	    NULL, &v, &err), FMT_OK);
	ck_assert_str_eq(encode(v), "{\"a\":[1,2],\"b\":{}}");
}
END_TEST

START_TEST(test_json_tree_shape)
{
	struct value *v, *r;
	struct fmt_error err;

	ck_assert_int_eq(DEC("{\"n\":1.50,\"s\":\"x\",\"a\":[null,true],"
	    "\"o\":{\"k\":\"v\"}}", NULL, &v, &err), FMT_OK);
	ck_assert_int_eq(v->type, VALUE_OBJECT);
	ck_assert_uint_eq(v->u.obj.n, 4);
	ck_assert_str_eq(v->u.obj.members[0].key, "n");
	ck_assert_str_eq(v->u.obj.members[3].key, "o");
	r = value_get(v, "n");
	ck_assert_int_eq(r->type, VALUE_NUMBER);
	ck_assert_str_eq(r->u.str.p, "1.50");
	ck_assert_uint_eq(r->u.str.len, 4);
	r = value_get(v, "a");
	ck_assert_int_eq(r->type, VALUE_ARRAY);
	ck_assert_uint_eq(r->u.arr.n, 2);
	ck_assert_int_eq(r->u.arr.items[0]->type, VALUE_NULL);
	ck_assert_int_eq(r->u.arr.items[1]->type, VALUE_BOOL);
	ck_assert_int_eq(r->u.arr.items[1]->u.boolean, 1);
	ck_assert_str_eq(value_get(value_get(v, "o"), "k")->u.str.p, "v");
	ck_assert_str_eq(value_type_name(value_get(v, "s")->type), "string");
	ck_assert_str_eq(value_type_name(VALUE__MAX), "unknown");
}
END_TEST

START_TEST(test_json_unicode_escapes)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(DEC("\"\\u00e9\\u4e2d\\ud83d\\ude00\\n\\/\"", NULL,
	    &v, &err), FMT_OK);
	ck_assert_int_eq(v->type, VALUE_STRING);
	ck_assert_str_eq(v->u.str.p, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\n/");
	ck_assert_uint_eq(v->u.str.len, 2 + 3 + 4 + 1 + 1);
}
END_TEST

/* ---- lookups ---- */

START_TEST(test_value_get_ci)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(DEC("{\"email\":1,\"Email\":2,\"NAME\":3}", NULL,
	    &v, &err), FMT_OK);
	/* exact match wins even when a case-insensitive one comes first */
	ck_assert_str_eq(value_get_ci(v, "Email")->u.str.p, "2");
	ck_assert_str_eq(value_get_ci(v, "email")->u.str.p, "1");
	ck_assert_str_eq(value_get_ci(v, "EMAIL")->u.str.p, "1");
	ck_assert_str_eq(value_get_ci(v, "name")->u.str.p, "3");
	ck_assert_ptr_null(value_get(v, "name"));
	ck_assert_ptr_null(value_get_ci(v, "nam"));
	ck_assert_ptr_null(value_get_ci(v, "NAMES"));
	ck_assert_ptr_null(value_get(NULL, "x"));
	ck_assert_ptr_null(value_get_ci(NULL, "x"));
}
END_TEST

START_TEST(test_value_get_not_object)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(DEC("[{\"a\":1}]", NULL, &v, &err), FMT_OK);
	ck_assert_ptr_null(value_get(v, "a"));
	ck_assert_ptr_null(value_get_ci(v, "A"));
	/* a JSON null is a node, an absent member is NULL */
	ck_assert_int_eq(DEC("{\"a\":null}", NULL, &v, &err), FMT_OK);
	ck_assert_ptr_nonnull(value_get(v, "a"));
	ck_assert_int_eq(value_get(v, "a")->type, VALUE_NULL);
}
END_TEST

START_TEST(test_value_put_and_str)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(DEC("{\"a\":1,\"B\":\"x\",\"b\":\"y\"}", NULL,
	    &v, &err), FMT_OK);
	/* the string of the member named exactly so, else NULL */
	ck_assert_str_eq(value_str(v, "b"), "y");
	ck_assert_str_eq(value_str(v, "B"), "x");
	ck_assert_ptr_null(value_str(v, "a"));		/* a number */
	ck_assert_ptr_null(value_str(v, "c"));		/* absent */
	ck_assert_ptr_null(value_str(NULL, "a"));
	/* put replaces the member named exactly so, in its place... */
	value_put(ta, v, "b", value_cstr(ta, "z"));
	value_put(ta, v, "a", value_null(ta));
	/* ...or appends one */
	value_put(ta, v, "A", value_bool(ta, 1));
	ck_assert_str_eq(encode(v),
	    "{\"a\":null,\"B\":\"x\",\"b\":\"z\",\"A\":true}");
	value_put(ta, v, "A", value_int(ta, 2));
	ck_assert_str_eq(encode(v),
	    "{\"a\":null,\"B\":\"x\",\"b\":\"z\",\"A\":2}");
}
END_TEST

/* ---- invalid documents ---- */

struct bad_doc {
	const char	*name;
	const char	*doc;
	size_t		 len;
	enum fmt_status	 st;
	const char	*path;		/* err.path prefix, or NULL */
};

#define BAD(name, doc, st, path) { name, doc, sizeof(doc) - 1, st, path }

static const struct bad_doc bad_cases[] = {
	BAD("empty", "", FMT_EMPTY, NULL),
	BAD("whitespace only", " \t\r\n ", FMT_EMPTY, NULL),
	BAD("embedded NUL in string", "\"a\\u0000b\"", FMT_ENCODING, NULL),
	BAD("embedded NUL in key", "{\"a\\u0000b\":1}", FMT_ENCODING, NULL),
	BAD("embedded NUL in nested key", "{\"x\":[{\"Name\\u0000\":1}]}",
	    FMT_ENCODING, NULL),
	BAD("raw NUL byte", "\"a\0b\"", FMT_SYNTAX, NULL),
	BAD("raw control character", "\"\x01\"", FMT_SYNTAX, NULL),
	BAD("bad UTF-8 0xff in string", "\"\xff\"", FMT_ENCODING, NULL),
	BAD("bad UTF-8 truncated sequence", "\"\xe2\x82\"", FMT_ENCODING,
	    NULL),
	BAD("bad UTF-8 in key", "{\"\xff\":1}", FMT_ENCODING, NULL),
	BAD("overlong UTF-8 slash", "\"\xc0\xaf\"", FMT_ENCODING, NULL),
	BAD("overlong 3-byte UTF-8", "\"\xe0\x80\xaf\"", FMT_ENCODING, NULL),
	BAD("UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", FMT_ENCODING, NULL),
	BAD("lone high surrogate escape", "\"\\ud800x\"", FMT_ENCODING, NULL),
	BAD("high surrogate escape at the end", "\"\\uDBFF\"", FMT_ENCODING,
	    NULL),
	BAD("high surrogate then a high one", "\"\\ud800\\ud800\"",
	    FMT_ENCODING, NULL),
	BAD("lone low surrogate escape", "\"\\udc00\"", FMT_ENCODING, NULL),
	BAD("UTF-8 above U+10FFFF", "\"\xf4\x90\x80\x80\"", FMT_ENCODING,
	    NULL),
	BAD("bad UTF-8 outside a string", "[1]\xff", FMT_SYNTAX, NULL),
	BAD("duplicate key", "{\"a\":1,\"a\":2}", FMT_DUPLICATE, "a"),
	BAD("duplicate nested key", "{\"x\":{\"k\":1,\"k\":[]}}",
	    FMT_DUPLICATE, "x.k"),
	BAD("trailing garbage", "{\"a\":1}x", FMT_SYNTAX, NULL),
	BAD("two documents", "{} {}", FMT_SYNTAX, NULL),
	BAD("trailing comma", "[1,2,]", FMT_SYNTAX, NULL),
	BAD("missing colon", "{\"a\" 1}", FMT_SYNTAX, "a"),
	BAD("single quotes", "{'a':1}", FMT_SYNTAX, NULL),
	BAD("bare word", "nope", FMT_SYNTAX, NULL),
	BAD("truncated member", "{\"Roles\":[{\"Name\":", FMT_SYNTAX,
	    "Roles[0].Name"),
	BAD("truncated array", "{\"a\":[1,{\"b\":", FMT_SYNTAX, "a[1].b"),
	BAD("truncated string", "{\"Email\":\"a@b", FMT_SYNTAX, NULL),
	BAD("number too long",
	    "[1234567890123456789012345678901234567890"
	    "12345678901234567890123456789]", FMT_LIMIT, NULL),
};

START_TEST(test_json_bad)
{
	const struct bad_doc *c = &bad_cases[_i];
	struct value *v = (struct value *)&v;
	struct fmt_error err;
	enum fmt_status st;

	st = json_decode(ta, c->doc, c->len, NULL, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
	ck_assert_msg(v == NULL, "%s: *out set on failure", c->name);
	ck_assert_msg(err.msg[0] != '\0', "%s: no message", c->name);
	if (c->path != NULL)
		ck_assert_msg(strncmp(err.path, c->path, strlen(c->path)) == 0,
		    "%s: path \"%s\", want \"%s\"", c->name, err.path,
		    c->path);
}
END_TEST

START_TEST(test_json_null_input)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(json_decode(ta, NULL, 0, NULL, &v, &err), FMT_EMPTY);
	ck_assert_ptr_null(v);
}
END_TEST

/* ---- limits ---- */

struct limit_case {
	const char	*name;
	const char	*doc;
	enum fmt_status	 st;
};

static const struct fmt_limits small = {
	.max_depth = 2, .max_items = 3, .max_string = 5, .max_nodes = 9,
};

static const struct limit_case limit_cases[] = {
	{ "depth at max", "[[1]]", FMT_OK },
	{ "deep nesting arrays", "[[[1]]]", FMT_LIMIT },
	{ "deep nesting objects", "{\"a\":{\"b\":{}}}", FMT_LIMIT },
	{ "items at max", "[1,2,3]", FMT_OK },
	{ "oversize array", "[1,2,3,4]", FMT_LIMIT },
	{ "oversize object", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}",
	    FMT_LIMIT },
	{ "string at max", "\"abcde\"", FMT_OK },
	{ "oversize string", "\"abcdef\"", FMT_LIMIT },
	{ "oversize key", "{\"abcdef\":1}", FMT_LIMIT },
	{ "oversize escaped string", "\"\\u00e9\\u00e9\\u00e9\"", FMT_LIMIT },
	{ "nodes at max", "[[1,2,3],[4,5,6]]", FMT_OK },
	{ "too many nodes", "[[1,2,3],[4,5,6],[]]", FMT_LIMIT },
};

START_TEST(test_json_limits)
{
	const struct limit_case *c = &limit_cases[_i];
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = json_decode(ta, c->doc, strlen(c->doc), &small, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
}
END_TEST

/* The default limits stop a nesting bomb before the stack is spent. */
START_TEST(test_json_deep_nesting_default)
{
	size_t n = 100000;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	ck_assert_ptr_nonnull(doc);
	memset(doc, '[', n);
	st = json_decode(ta, doc, n, NULL, &v, &err);
	free(doc);
	ck_assert_int_eq(st, FMT_LIMIT);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(fmt_default_limits.max_depth, 32);
}
END_TEST

/* One over the default string limit is refused. */
START_TEST(test_json_oversize_string_default)
{
	size_t n = fmt_default_limits.max_string + 3;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	ck_assert_ptr_nonnull(doc);
	memset(doc, 'x', n);
	doc[0] = doc[n - 1] = '"';
	st = json_decode(ta, doc, n, NULL, &v, &err);
	ck_assert_int_eq(st, FMT_LIMIT);
	/* exactly at the limit is fine */
	st = json_decode(ta, doc + 1, n - 1, NULL, &v, &err);
	ck_assert_int_ne(st, FMT_OK);	/* no opening quote now */
	doc[1] = '"';
	st = json_decode(ta, doc + 1, n - 1, NULL, &v, &err);
	free(doc);
	ck_assert_int_eq(st, FMT_OK);
	ck_assert_uint_eq(v->u.str.len, fmt_default_limits.max_string);
}
END_TEST

/* ---- encoder ---- */

START_TEST(test_json_encode_escaping)
{
	struct value *o = value_object(ta);

	value_set(ta, o, "q\"k", value_cstr(ta, "say \"hi\"\\"));
	value_set(ta, o, "ctl", value_string(ta, "\n\t\r\b\f\x01\x1f", 7));
	value_set(ta, o, "utf8", value_cstr(ta, "\xc3\xa9"));
	/* as yajl's generator wrote them: the solidus, DEL and a byte that
	 * is not UTF-8 as they are */
	value_set(ta, o, "raw", value_string(ta, "/\x7f\xff", 3));
	ck_assert_str_eq(encode(o), "{\"q\\\"k\":\"say \\\"hi\\\"\\\\\","
	    "\"ctl\":\"\\n\\t\\r\\b\\f\\u0001\\u001F\","
	    "\"utf8\":\"\xc3\xa9\",\"raw\":\"/\x7f\xff\"}");
}
END_TEST

/* The escaping of one byte, as the encoder's rule says, for comparison. */
static void
escape_byte(struct buf *b, unsigned char ch)
{
	static const char *const short_esc[0x20] = {
		['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r",
		['\t'] = "\\t",
	};

	if (ch == '"' || ch == '\\') {
		buf_putc(b, '\\');
		buf_putc(b, (char)ch);
	} else if (ch < 0x20 && short_esc[ch] != NULL)
		buf_printf(b, "%s", short_esc[ch]);
	else if (ch < 0x20)
		buf_printf(b, "\\u%04X", ch);
	else
		buf_putc(b, (char)ch);
}

/*
 * The encoder looks at eight bytes at a time: every byte value (0 is
 * left out, a string holds none), at every position of strings of 1 to
 * 24 bytes, among plain bytes or among high ones (UTF-8), and two in one
 * word, come out as escaping each byte alone gives them.
 */
START_TEST(test_json_encode_escaping_every_position)
{
	char s[24];
	struct buf want;
	size_t n, pos, k;
	int c, fill;

	for (fill = 0; fill < 2; fill++)
		for (n = 1; n <= sizeof(s); n++)
			for (pos = 0; pos < n; pos++)
				for (c = 1; c < 256; c++) {
					arena_reset(ta);	/* 150,000 of them */
					memset(s, fill ? 0xc3 : 'a', n);
					s[pos] = (char)c;
					if (pos + 3 < n)
						s[pos + 3] = '"';
					buf_init(&want, ta);
					buf_putc(&want, '"');
					for (k = 0; k < n; k++)
						escape_byte(&want,
						    (unsigned char)s[k]);
					buf_putc(&want, '"');
					ck_assert_str_eq(encode(value_string(ta,
					    s, n)), want.p);
				}
}
END_TEST

/*
 * Embedded NUL through the builder: the tree promises "strings have no
 * NUL", so the stored length must match the stored bytes and the
 * encoder must not read past the copy.
 */
START_TEST(test_value_string_embedded_nul)
{
	struct value *v = value_string(ta, "a\0b", 3);

	ck_assert_uint_eq(v->u.str.len, strlen(v->u.str.p));
	ck_assert_str_eq(encode(v), "\"a\"");
}
END_TEST

/*
 * Look-ups: exact names of the same length only (no prefix), and the
 * binding rule's order: an exact match first wherever it is, else the
 * first member equal without regard to case.
 */
START_TEST(test_value_get_exact_then_case)
{
	struct value *o = value_object(ta), *x = value_int(ta, 1);
	struct value *y = value_int(ta, 2), *z = value_int(ta, 3);

	value_set(ta, o, "ab", x);
	value_set_kept(ta, o, "AB", y);
	value_set(ta, o, "abc", z);
	ck_assert_ptr_eq(value_get(o, "ab"), x);
	ck_assert_ptr_eq(value_get(o, "AB"), y);
	ck_assert_ptr_eq(value_get(o, "abc"), z);
	ck_assert_ptr_null(value_get(o, "a"));
	ck_assert_ptr_null(value_get(o, "Ab"));
	ck_assert_ptr_null(value_get(o, "abcd"));
	ck_assert_ptr_eq(value_get_ci(o, "AB"), y);
	ck_assert_ptr_eq(value_get_ci(o, "Ab"), x);
	ck_assert_ptr_eq(value_get_ci(o, "ABC"), z);
	ck_assert_ptr_null(value_get_ci(o, "A"));
	ck_assert_ptr_null(value_get_ci(value_int(ta, 4), "ab"));
	ck_assert_str_eq(encode(o), "{\"ab\":1,\"AB\":2,\"abc\":3}");
}
END_TEST

START_TEST(test_json_encode_builders)
{
	struct value *o = value_object(ta), *a = value_array(ta);
	struct buf b;

	value_push(ta, a, value_int(ta, -5));
	value_push(ta, a, value_int(ta, 9223372036854775807LL));
	value_push(ta, a, value_number(ta, "1.0e-3"));
	value_set(ta, o, "a", a);
	value_set(ta, o, "t", value_bool(ta, 7));
	value_set(ta, o, "f", value_bool(ta, 0));
	value_set(ta, o, "n", value_null(ta));
	value_set(ta, o, "s", value_cstr(ta, NULL));
	ck_assert_str_eq(encode(o), "{\"a\":[-5,9223372036854775807,1.0e-3],"
	    "\"t\":true,\"f\":false,\"n\":null,\"s\":null}");

	/* a heap buffer works the same and is released by the caller */
	buf_init(&b, NULL);
	json_encode(&b, a);
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "[-5,9223372036854775807,1.0e-3]");
	buf_release(&b);
}
END_TEST

/*
 * Walking PostgreSQL's JSON text: members and items as spans, and text
 * that is cut short or nests too deep ends the walk with -1.  Each text
 * is copied to a buffer of its exact size (no NUL after it), so that a
 * read past its end is one the sanitizer build reports.
 */
static char *
exact(const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc(ta, n > 0 ? n : 1);

	memcpy(p, s, n);
	return p;
}

/* The walk of s: "key=value;" per member ("value;" per item), or "!". */
static const char *
walk(const char *s, size_t max_depth)
{
	struct json_walk w;
	struct json_span k, v;
	struct buf b;
	int rc;

	buf_init(&b, ta);
	if (json_walk_start(&w, exact(s), strlen(s), max_depth) != 0)
		return "!start";
	while ((rc = json_walk_next(&w, &k, &v)) == 1) {
		if (k.p != NULL) {
			buf_put(&b, k.p, k.n);
			buf_putc(&b, '=');
		}
		buf_put(&b, v.p, v.n);
		buf_putc(&b, ';');
	}
	if (rc != 0)
		buf_putc(&b, '!');
	return b.p;
}

START_TEST(test_json_walk)
{
	ck_assert_str_eq(walk("{\"a\": 1, \"b\\\"c\": [1, {\"d\": \"}\"}], "
	    "\"e\": \"x\\\\\"}", 8),
	    "a=1;b\\\"c=[1, {\"d\": \"}\"}];e=\"x\\\\\";");
	ck_assert_str_eq(walk(" [1, \"two\", {}, [], null, -2.5e3] ", 8),
	    "1;\"two\";{};[];null;-2.5e3;");
	ck_assert_str_eq(walk("{}", 8), "");
	ck_assert_str_eq(walk("[[[[1]]]]", 4), "[[[1]]];");
	ck_assert_str_eq(walk("[[[[1]]]]", 2), "!");
	ck_assert_str_eq(walk("\"s\"", 8), "!start");
	ck_assert_str_eq(walk("", 8), "!start");
	/* cut short anywhere */
	ck_assert_str_eq(walk("{", 8), "!");
	ck_assert_str_eq(walk("{\"a", 8), "!");
	ck_assert_str_eq(walk("{\"a\\", 8), "!");
	ck_assert_str_eq(walk("{\"a\"", 8), "!");
	ck_assert_str_eq(walk("{\"a\":", 8), "!");
	ck_assert_str_eq(walk("{\"a\": 1", 8), "a=1;!");
	ck_assert_str_eq(walk("{\"a\": [1, \"b\\", 8), "!");
	ck_assert_str_eq(walk("[1,", 8), "1;!");
	ck_assert_str_eq(walk("[1 2]", 8), "1;!");
	ck_assert_str_eq(walk("{\"a\" 1}", 8), "!");
	/* numbers as long as jsonb prints them */
	ck_assert_str_eq(walk("[1e2, -1234567890123456789012345678901234567890"
	    "1234567890123456789012345.5]", 8), "1e2;-123456789012345678901"
	    "23456789012345678901234567890123456789012345.5;");
}
END_TEST

/* A number's length is the limits' to decide; 64 characters unless set. */
START_TEST(test_json_number_length)
{
	static const struct fmt_limits longer = { .max_depth = 4,
		.max_items = 4, .max_string = 64, .max_nodes = 8,
		.max_number = 70 };
	const char *n65 = "[1000000000000000000000000000000000000000000000000"
	    "0000000000000000]";
	struct fmt_error err;
	struct value *v;

	ck_assert_int_eq(json_decode(ta, n65, strlen(n65), NULL, &v, &err),
	    FMT_LIMIT);
	ck_assert_int_eq(json_decode(ta, n65, strlen(n65), &longer, &v,
	    &err), FMT_OK);
	ck_assert_str_eq(encode(v), n65);
}
END_TEST

/* Objects of up to 1,024 members are walked, as json_decode takes them. */
START_TEST(test_json_walk_members)
{
	struct buf s;
	int n, i;

	for (n = 1024; n <= 1025; n++) {
		buf_init(&s, ta);
		buf_puts(&s, "[{");
		for (i = 0; i < n; i++)
			buf_printf(&s, "%s\"k%d\": %d", i > 0 ? ", " : "", i, i);
		buf_puts(&s, "}]");
		ck_assert_int_eq(strcmp(walk(s.p, 8), "!") != 0, n == 1024);
		/* the same object walked itself */
		ck_assert_int_eq(strchr(walk(s.p + 1, 8), '!') == NULL,
		    n == 1024);
	}
}
END_TEST

/* The items of the array s walked in place: "key=value;" each, "|" after. */
static const char *
walk_in(const char *s)
{
	struct json_walk w, in;
	struct json_span k, v;
	struct buf b;
	int rc, mc;

	buf_init(&b, ta);
	if (json_walk_start(&w, exact(s), strlen(s), 2) != 0)
		return "!start";
	while ((rc = json_walk_enter(&w, &in)) == 1) {
		while ((mc = json_walk_next(&in, &k, &v)) == 1) {
			if (k.p != NULL) {
				buf_put(&b, k.p, k.n);
				buf_putc(&b, '=');
			}
			buf_put(&b, v.p, v.n);
			buf_putc(&b, ';');
		}
		if (mc != 0) {
			buf_putc(&b, '!');
			return b.p;
		}
		json_walk_leave(&w, &in);
		buf_putc(&b, '|');
	}
	if (rc != 0)
		buf_putc(&b, '!');
	return b.p;
}

START_TEST(test_json_walk_in_place)
{
	ck_assert_str_eq(walk_in("[{\"a\": 1, \"b\": [2]}, [3, \"]\"], {}]"),
	    "a=1;b=[2];|3;\"]\";||");
	ck_assert_str_eq(walk_in("[]"), "");
	/* an item that is neither, too deep, cut short */
	ck_assert_str_eq(walk_in("[{}, 1]"), "|!");
	ck_assert_str_eq(walk_in("[{\"a\": [[1]]}]"), "!");
	ck_assert_str_eq(walk_in("[{\"a\": 1"), "a=1;!");
	ck_assert_str_eq(walk_in("[{}"), "|!");
	ck_assert_str_eq(walk_in("{\"a\": {}}"), "!");
}
END_TEST

static const char *
compact(const char *s)
{
	struct buf b;

	buf_init(&b, ta);
	json_put_compact(&b, exact(s), strlen(s));
	return b.p;
}

START_TEST(test_json_put_compact)
{
	/* PostgreSQL's spacing goes; strings keep theirs */
	ck_assert_str_eq(compact("{\"a b\" : [1, \n \"x  y\"], \"c\": {}}"),
	    "{\"a b\":[1,\"x  y\"],\"c\":{}}");
	/* its lower-case \u escapes as json_encode writes them */
	ck_assert_str_eq(compact("\"\\u001f\\u0001\\\\u00ab\\\"\""),
	    "\"\\u001F\\u0001\\\\u00ab\\\"\"");
	/* cut short: nothing read past the end */
	ck_assert_str_eq(compact("\"a\\"), "\"a\\");
	ck_assert_str_eq(compact("\"\\u00a"), "\"\\u00a");
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tc = tcase_create("decode");
	TCase	*tl = tcase_create("limits");
	TCase	*te = tcase_create("encode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_json_roundtrip, 0,
	    (int)RS_ARRAY_LEN(roundtrip_cases));
	tcase_add_test(tc, test_json_whitespace_compacts);
	tcase_add_test(tc, test_json_tree_shape);
	tcase_add_test(tc, test_json_unicode_escapes);
	tcase_add_test(tc, test_value_get_ci);
	tcase_add_test(tc, test_value_get_not_object);
	tcase_add_test(tc, test_value_put_and_str);
	tcase_add_loop_test(tc, test_json_bad, 0,
	    (int)RS_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_json_null_input);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_loop_test(tl, test_json_limits, 0,
	    (int)RS_ARRAY_LEN(limit_cases));
	tcase_add_test(tl, test_json_deep_nesting_default);
	tcase_add_test(tl, test_json_oversize_string_default);
	suite_add_tcase(s, tl);

	tcase_add_checked_fixture(te, setup, teardown);
	/* every byte at every position: seconds under the sanitizers */
	tcase_set_timeout(te, 60);
	tcase_add_test(te, test_json_encode_escaping);
	tcase_add_test(te, test_json_encode_escaping_every_position);
	tcase_add_test(te, test_json_encode_builders);
	tcase_add_test(te, test_json_walk);
	tcase_add_test(te, test_json_walk_members);
	tcase_add_test(te, test_json_number_length);
	tcase_add_test(te, test_json_walk_in_place);
	tcase_add_test(te, test_json_put_compact);
	tcase_add_test(te, test_value_get_exact_then_case);
	tcase_add_test(te, test_value_string_embedded_nul);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner	*sr;

	sr = srunner_create(json_suite());
	return unit_run(sr);
}
