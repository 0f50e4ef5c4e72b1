/*
 * check_jsv.c: unit tests for formats/jsv.c and formats/csv.c, the
 * ServiceStack JSV and CSV codecs (FORMATS.md 2.1-2.3, 2.6).
 *
 * Table-driven like check_formats.c: valid documents with the compact
 * JSV they re-encode to, invalid ones named after the attack, limits,
 * encoder quoting vectors that must also read back, and CSV cells.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/formats/csv.h"
#include "../../src/formats/jsv.h"

/* Decodes a string literal (sizeof - 1 keeps embedded NULs). */
#define DEC(doc, lim, out, err) \
	jsv_decode(ta, (doc), sizeof(doc) - 1, (lim), (out), (err))

/*
 * Seed 001's sample request body, exactly as the page prints it (the
 * page lost JsvFormatter's indentation; the text is otherwise as
 * ServiceStack's metadata page shows it).
 */
static const char seed_request[] =
	"{\n"
	"eMail: String,\n"
	"responseStatus:\n"
	"{\n"
	"errorCode: String,\n"
	"message: String,\n"
	"stackTrace: String,\n"
	"errors:\n"
	"[\n"
	"{\n"
	"errorCode: String,\n"
	"fieldName: String,\n"
	"message: String,\n"
	"meta:\n"
	"{\n"
	"String: String\n"
	"}\n"
	"}\n"
	"],\n"
	"meta:\n"
	"{\n"
	"String: String\n"
	"}\n"
	"}\n"
	"}\n";

/* The same, compact, as jsv_encode() writes it. */
static const char seed_request_compact[] =
	"{eMail:String,responseStatus:{errorCode:String,message:String,"
	"stackTrace:String,errors:[{errorCode:String,fieldName:String,"
	"message:String,meta:{String:String}}],meta:{String:String}}}";

/* Seed 001's sample response body, exactly as printed. */
static const char seed_response[] =
	"{\n"
	"id: 0,\n"
	"userName: String,\n"
	"email: String,\n"
	"primaryEmail: String,\n"
	"phoneNumber: String,\n"
	"firstName: String,\n"
	"lastName: String,\n"
	"displayName: String,\n"
	"company: String,\n"
	"birthDate: 0001-01-01,\n"
	"birthDateRaw: String,\n"
	"address: String,\n"
	"address2: String,\n"
	"city: String,\n"
	"state: String,\n"
	"country: String,\n"
	"culture: String,\n"
	"fullName: String,\n"
	"gender: String,\n"
	"language: String,\n"
	"mailAddress: String,\n"
	"nickname: String,\n"
	"postalCode: String,\n"
	"timeZone: String,\n"
	"salt: String,\n"
	"passwordHash: String,\n"
	"digestHa1Hash: String,\n"
	"roles:\n"
	"[\n"
	"String\n"
	"],\n"
	"permissions:\n"
	"[\n"
	"String\n"
	"],\n"
	"createdDate: 0001-01-01,\n"
	"modifiedDate: 0001-01-01,\n"
	"invalidLoginAttempts: 0,\n"
	"lastLoginAttempt: 0001-01-01,\n"
	"lockedDate: 0001-01-01,\n"
	"recoveryToken: String,\n"
	"refId: 0,\n"
	"refIdStr: String,\n"
	"meta:\n"
	"{\n"
	"String: String\n"
	"}\n"
	"}";

static const char *
jsv(const struct value *v)
{
	struct buf b;

	buf_init(&b, ta);
	jsv_encode(&b, v);
	ck_assert(!b.failed);
	return b.p;
}

static const char *
csv(const struct value *v)
{
	struct buf b;

	buf_init(&b, ta);
	ck_assert_int_eq(csv_encode(&b, v), FMT_OK);
	ck_assert(!b.failed);
	return b.p;
}

/* Decodes text that must be valid; returns the tree. */
static struct value *
dec_ok(const char *doc, size_t n)
{
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = jsv_decode(ta, doc, n, NULL, &v, &err);
	ck_assert_msg(st == FMT_OK, "status %d: %s (path \"%s\", byte %zu)",
	    st, err.msg, err.path, err.offset);
	ck_assert_ptr_nonnull(v);
	return v;
}

/* Returns the string member key of obj, which must exist. */
static const char *
str_at(const struct value *obj, const char *key)
{
	const struct value *v = value_get(obj, key);

	ck_assert_msg(v != NULL, "no member %s", key);
	ck_assert_msg(v->type == VALUE_STRING, "%s is a %s", key,
	    value_type_name(v->type));
	return v->u.str.p;
}

/* ---- the seed page's samples ---- */

START_TEST(test_jsv_seed_request)
{
	struct value *v, *rs, *e;

	v = dec_ok(seed_request, sizeof(seed_request) - 1);
	ck_assert_int_eq(v->type, VALUE_OBJECT);
	ck_assert_uint_eq(v->u.obj.n, 2);
	ck_assert_str_eq(str_at(v, "eMail"), "String");
	/* ServiceStack binds names case-insensitively */
	ck_assert_str_eq(value_get_ci(v, "EMail")->u.str.p, "String");
	rs = value_get(v, "responseStatus");
	ck_assert_int_eq(rs->type, VALUE_OBJECT);
	ck_assert_uint_eq(rs->u.obj.n, 5);
	ck_assert_str_eq(str_at(rs, "stackTrace"), "String");
	e = value_get(rs, "errors");
	ck_assert_int_eq(e->type, VALUE_ARRAY);
	ck_assert_uint_eq(e->u.arr.n, 1);
	ck_assert_str_eq(str_at(e->u.arr.items[0], "fieldName"), "String");
	ck_assert_str_eq(str_at(value_get(e->u.arr.items[0], "meta"),
	    "String"), "String");
	ck_assert_str_eq(str_at(value_get(rs, "meta"), "String"), "String");
	ck_assert_str_eq(jsv(v), seed_request_compact);
}
END_TEST

/* The acceptance case: the sample with a real address in it. */
START_TEST(test_jsv_seed_request_real_email)
{
	char doc[sizeof(seed_request) + 32];
	const char *at = strstr(seed_request, "String");
	struct value *v;
	int len;

	len = snprintf(doc, sizeof(doc), "%.*salice.o'neil+x@example.com%s",
	    (int)(at - seed_request), seed_request, at + strlen("String"));
	ck_assert_int_lt(len, (int)sizeof(doc));
	v = dec_ok(doc, (size_t)len);
	ck_assert_str_eq(str_at(v, "eMail"), "alice.o'neil+x@example.com");
}
END_TEST

/* What JsvFormatter really prints: tab indentation; CRLF from a client. */
START_TEST(test_jsv_seed_request_indented)
{
	static const char doc[] =
	    "{\r\n\teMail: alice@example.com,\r\n\tresponseStatus: \r\n"
	    "\t{\r\n\t\terrorCode: String,\r\n\t\terrors: \r\n\t\t[\r\n"
	    "\t\t\t{\r\n\t\t\t\tmeta: \r\n\t\t\t\t{\r\n"
	    "\t\t\t\t\tString: String\r\n\t\t\t\t}\r\n\t\t\t}\r\n"
	    "\t\t]\r\n\t}\r\n}\r\n";

	ck_assert_str_eq(jsv(dec_ok(doc, sizeof(doc) - 1)),
	    "{eMail:alice@example.com,responseStatus:{errorCode:String,"
	    "errors:[{meta:{String:String}}]}}");
}
END_TEST

START_TEST(test_jsv_seed_response)
{
	struct value *v, *r;

	v = dec_ok(seed_response, sizeof(seed_response) - 1);
	ck_assert_uint_eq(v->u.obj.n, 38);
	ck_assert_str_eq(str_at(v, "id"), "0");
	ck_assert_str_eq(str_at(v, "birthDate"), "0001-01-01");
	ck_assert_str_eq(str_at(v, "digestHa1Hash"), "String");
	r = value_get(v, "roles");
	ck_assert_int_eq(r->type, VALUE_ARRAY);
	ck_assert_uint_eq(r->u.arr.n, 1);
	ck_assert_str_eq(r->u.arr.items[0]->u.str.p, "String");
	ck_assert_str_eq(str_at(value_get(v, "meta"), "String"), "String");
}
END_TEST

/* Every prefix of the sample is refused cleanly, never read past. */
START_TEST(test_jsv_seed_truncations)
{
	size_t n;
	char *doc;
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	for (n = 0; n < sizeof(seed_request) - 2; n++) {
		doc = malloc(n + 1);	/* exact size: ASan sees overreads */
		ck_assert_ptr_nonnull(doc);
		memcpy(doc, seed_request, n);
		st = jsv_decode(ta, doc, n, NULL, &v, &err);
		free(doc);
		ck_assert_msg(st == (n == 0 ? FMT_EMPTY : FMT_SYNTAX),
		    "prefix %zu: status %d (%s)", n, st, err.msg);
		ck_assert_ptr_null(v);
		ck_assert(err.msg[0] != '\0');
	}
}
END_TEST

/* ---- valid documents and the compact JSV they re-encode to ---- */

struct good_doc {
	const char	*doc;
	size_t		 len;
	const char	*want;		/* jsv_encode() of the tree */
};

#define GOOD(doc, want) { doc, sizeof(doc) - 1, want }
#define SAME(doc) GOOD(doc, doc)

static const struct good_doc good_cases[] = {
	SAME("{}"),
	SAME("[]"),
	GOOD("{ }", "{}"),
	GOOD(" [ \r\n ] ", "[]"),
	SAME("{eMail:alice@example.com}"),
	SAME("{a:1,b:[x,y],c:{d:e}}"),
	SAME("[[[]],{},[{}]]"),
	/* member order is the input's */
	SAME("{z:1,a:2,m:3,B:4,b:5}"),
	/* quoting: "" doubling, separators, brackets, colons */
	SAME("\"2\"\" x 1\"\"\""),
	SAME("{a:\"x,y\",b:\"{c}\",c:\"[d]\",d:\"e:f\",e:\"\"\"\"}"),
	SAME("\"\""),
	SAME("{a:\"\"}"),
	SAME("[\"\",\"\"]"),
	/* insignificant whitespace, significant inside quotes */
	GOOD("{ a : b c , d :\t\"  e \" }", "{a:b c,d:\"  e \"}"),
	GOOD("[ x ,\n y\n]", "[x,y]"),
	GOOD("{a:\"x\" ,b:\"y\"\n}", "{a:x,b:y}"),
	/* a colon needs no quotes in a value (ServiceStack writes dates so)
	 * but a string with one is quoted on the way out */
	GOOD("{createdDate:2023-11-07T05:31:56Z}",
	    "{createdDate:\"2023-11-07T05:31:56Z\"}"),
	GOOD("[a:b]", "[\"a:b\"]"),
	/* an empty value is a null: omitted in objects, empty in arrays */
	GOOD("{a:,b:1}", "{b:1}"),
	GOOD("{a: }", "{}"),
	SAME("[a,,b]"),
	SAME("[,]"),
	GOOD("[a,]", "[a,]"),
	/* quoted keys */
	SAME("{\"a:b\":1,\"\":2,\" k \":3}"),
	GOOD("{\"k\" : v}", "{k:v}"),
	/* scalars at the top level */
	SAME("True"),
	SAME("hello world"),
	SAME("caf\xc3\xa9 \xf0\x9f\x98\x80"),
	/* a tab may sit in a bare value; written back quoted */
	GOOD("{a:x\ty}", "{a:\"x\ty\"}"),
	/* line breaks inside quotes */
	SAME("{a:\"line1\r\nline2\"}"),
	/* names that differ only in case are different names */
	SAME("{email:1,Email:2,EMAIL:3}"),
	/* no null literal: "null" is a string */
	SAME("{a:null,b:False}"),
};

START_TEST(test_jsv_good)
{
	const struct good_doc *c = &good_cases[_i];
	const char *out;
	struct value *v;

	v = dec_ok(c->doc, c->len);
	out = jsv(v);
	ck_assert_msg(strcmp(out, c->want) == 0, "%s: got %s, want %s",
	    c->doc, out, c->want);
	/* and the output reads back to itself */
	ck_assert_str_eq(jsv(dec_ok(out, strlen(out))), c->want);
}
END_TEST

/* JSV has no types: every scalar is a string for the binder. */
START_TEST(test_jsv_tree_shape)
{
	static const char doc1[] = "{n:1.50,b:True,s:\"x\",a:[,\"\"],o:{}}";
	static const char doc2[] = "{\"a\"\"b\":\"\"\"\"}";
	struct value *v, *a;

	v = dec_ok(doc1, sizeof(doc1) - 1);
	ck_assert_str_eq(str_at(v, "n"), "1.50");
	ck_assert_str_eq(str_at(v, "b"), "True");
	ck_assert_str_eq(str_at(v, "s"), "x");
	ck_assert_uint_eq(value_get(v, "s")->u.str.len, 1);
	a = value_get(v, "a");
	ck_assert_uint_eq(a->u.arr.n, 2);
	ck_assert_int_eq(a->u.arr.items[0]->type, VALUE_NULL);
	ck_assert_int_eq(a->u.arr.items[1]->type, VALUE_STRING);
	ck_assert_uint_eq(a->u.arr.items[1]->u.str.len, 0);
	ck_assert_int_eq(value_get(v, "o")->type, VALUE_OBJECT);
	ck_assert_uint_eq(value_get(v, "o")->u.obj.n, 0);
	/* "" undoubling gives the right length */
	v = dec_ok(doc2, sizeof(doc2) - 1);
	ck_assert_str_eq(str_at(v, "a\"b"), "\"");
	ck_assert_uint_eq(v->u.obj.members[0].klen, 3);
	ck_assert_uint_eq(value_get(v, "a\"b")->u.str.len, 1);
}
END_TEST

START_TEST(test_jsv_null_input)
{
	struct value *v = (struct value *)&v;
	struct fmt_error err;

	ck_assert_int_eq(jsv_decode(ta, NULL, 0, NULL, &v, &err), FMT_EMPTY);
	ck_assert_ptr_null(v);
	ck_assert(err.msg[0] != '\0');
}
END_TEST

/* ---- invalid documents ---- */

struct bad_doc {
	const char	*name;
	const char	*doc;
	size_t		 len;
	enum fmt_status	 st;
	const char	*path;		/* err.path, or NULL */
	size_t		 offset;	/* err.offset, or (size_t)-1 */
};

#define ANY ((size_t)-1)
#define BAD(name, doc, st, path, off) \
	{ name, doc, sizeof(doc) - 1, st, path, off }

static const struct bad_doc bad_cases[] = {
	BAD("empty", "", FMT_EMPTY, "", 0),
	BAD("whitespace only", " \t\r\n ", FMT_EMPTY, "", 0),
	/* unterminated */
	BAD("unterminated quoted string", "{a:\"abc}", FMT_SYNTAX, "a", 3),
	BAD("unterminated doubled quote", "{a:\"x\"\"}", FMT_SYNTAX, "a", 3),
	BAD("unterminated object", "{a:1", FMT_SYNTAX, "a", 4),
	BAD("unterminated object after comma", "{a:1, ", FMT_SYNTAX, "a",
	    6),
	BAD("unterminated object in key", "{abc", FMT_SYNTAX, "", 4),
	BAD("unterminated array", "[a,b", FMT_SYNTAX, "[1]", 4),
	BAD("unterminated nested", "{a:[{b:c", FMT_SYNTAX, "a[0].b", 8),
	BAD("unterminated quoted key", "{\"a:1}", FMT_SYNTAX, "", 1),
	/* bad quoting */
	BAD("quote not doubled", "{a:\"x\"y\"}", FMT_SYNTAX, "a", 6),
	BAD("text after closing quote", "[\"x\" y]", FMT_SYNTAX, "[0]", 5),
	BAD("quote in bare value", "{a:x\"y}", FMT_SYNTAX, "a", 4),
	BAD("brace in bare value", "{a:x{y}}", FMT_SYNTAX, "a", 4),
	BAD("bracket in bare value", "{a:b[c]}", FMT_SYNTAX, "a", 4),
	BAD("quoted key then no colon", "{\"a\" b:1}", FMT_SYNTAX, "", 5),
	/* structure */
	BAD("missing colon", "{a}", FMT_SYNTAX, "", 2),
	BAD("missing colon before comma", "{a,b:1}", FMT_SYNTAX, "", 2),
	BAD("missing key", "{:1}", FMT_SYNTAX, "", 1),
	BAD("blank key", "{ \t:1}", FMT_SYNTAX, "", 3),
	BAD("trailing comma in object", "{a:1,}", FMT_SYNTAX, "a", 5),
	BAD("bracket mismatch object", "{a:b]}", FMT_SYNTAX, "a", 4),
	BAD("bracket mismatch array", "[a}", FMT_SYNTAX, "[0]", 2),
	BAD("object as key", "{{a:1}:2}", FMT_SYNTAX, "", 1),
	BAD("lone close brace", "}", FMT_SYNTAX, "", 0),
	BAD("lone comma", " ,", FMT_SYNTAX, "", 1),
	BAD("missing comma across lines", "{\na: x\nb: y\n}", FMT_SYNTAX,
	    "a", 6),
	BAD("control character in bare value", "{a:x\x01y}", FMT_SYNTAX, "a",
	    4),
	BAD("control character in key", "{a\x7f\x01:1}", FMT_SYNTAX, "", 3),
	/* trailing garbage */
	BAD("trailing garbage", "{a:1}x", FMT_SYNTAX, "", 5),
	BAD("two documents", "{a:1} {}", FMT_SYNTAX, "", 6),
	BAD("extra close brace", "{a:1}}", FMT_SYNTAX, "", 5),
	BAD("extra close bracket", "[a]]", FMT_SYNTAX, "", 3),
	BAD("comma at top level", "a,b", FMT_SYNTAX, "", 1),
	BAD("trailing NUL", "{a:1}\0", FMT_SYNTAX, "", 5),
	/* NUL bytes */
	BAD("NUL in bare value", "{a:x\0y}", FMT_ENCODING, "a", 4),
	BAD("NUL in quoted value", "{a:\"x\0y\"}", FMT_ENCODING, "a", 5),
	BAD("NUL in key", "{a\0b:1}", FMT_ENCODING, "", 2),
	BAD("NUL in nested key", "{x:[{Name\0:1}]}", FMT_ENCODING, "x[0]",
	    9),
	BAD("NUL alone", "\0", FMT_ENCODING, "", 0),
	/* UTF-8 */
	BAD("bad UTF-8 0xff", "{a:\xff}", FMT_ENCODING, "a", 3),
	BAD("bad UTF-8 in quotes", "{a:\"\xfe\"}", FMT_ENCODING, "a", 4),
	BAD("bad UTF-8 in key", "{\xff:1}", FMT_ENCODING, "", 1),
	BAD("truncated UTF-8 sequence", "[\xe2\x82]", FMT_ENCODING, "[0]", 1),
	BAD("overlong UTF-8 slash", "[\"\xc0\xaf\"]", FMT_ENCODING, "[0]", 2),
	BAD("overlong 3-byte UTF-8", "[\xe0\x80\xaf]", FMT_ENCODING, "[0]",
	    1),
	BAD("UTF-8 encoded surrogate", "[\xed\xa0\x80]", FMT_ENCODING, "[0]",
	    1),
	BAD("UTF-8 above U+10FFFF", "[\xf4\x90\x80\x80]", FMT_ENCODING,
	    "[0]", 1),
	BAD("lone continuation byte", "x\x80", FMT_ENCODING, "", 1),
	BAD("UTF-8 BOM then object", "\xef\xbb\xbf{a:1}", FMT_SYNTAX, "", 3),
	/* duplicate keys */
	BAD("duplicate key", "{a:1,a:2}", FMT_DUPLICATE, "a", 5),
	BAD("duplicate nested key", "{x:{k:1,k:[]}}", FMT_DUPLICATE, "x.k",
	    8),
	BAD("duplicate quoted and bare", "{a:1,\"a\":2}", FMT_DUPLICATE, "a",
	    5),
	BAD("duplicate after whitespace", "{ a :1,\n a\t:2}", FMT_DUPLICATE,
	    "a", 9),
	BAD("duplicate in seed shape", "{eMail:a,responseStatus:{},"
	    "eMail:b}", FMT_DUPLICATE, "eMail", 27),
};

START_TEST(test_jsv_bad)
{
	const struct bad_doc *c = &bad_cases[_i];
	struct value *v = (struct value *)&v;
	struct fmt_error err;
	enum fmt_status st;

	st = jsv_decode(ta, c->doc, c->len, NULL, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
	ck_assert_msg(v == NULL, "%s: *out set on failure", c->name);
	ck_assert_msg(err.msg[0] != '\0', "%s: no message", c->name);
	if (c->path != NULL)
		ck_assert_msg(strcmp(err.path, c->path) == 0,
		    "%s: path \"%s\", want \"%s\"", c->name, err.path,
		    c->path);
	if (c->offset != ANY)
		ck_assert_msg(err.offset == c->offset,
		    "%s: offset %zu, want %zu (%s)", c->name, err.offset,
		    c->offset, err.msg);
}
END_TEST

/* The message names the byte, for the dialect's error body. */
START_TEST(test_jsv_error_message)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(DEC("{a:\"x\"y\"}", NULL, &v, &err), FMT_SYNTAX);
	ck_assert_ptr_nonnull(strstr(err.msg, "byte 6"));
	ck_assert_ptr_nonnull(strstr(err.msg, "doubled"));
	ck_assert_int_eq(DEC("{a:1,a:2}", NULL, &v, &err), FMT_DUPLICATE);
	ck_assert_str_eq(err.msg,
	    "The same property appears twice in one object.");
}
END_TEST

/* A long path is cut at a UTF-8 boundary, never inside a character. */
START_TEST(test_jsv_error_path_utf8)
{
	struct buf b;
	struct value *v;
	struct fmt_error err;
	size_t i;

	buf_init(&b, ta);
	buf_putc(&b, '{');
	for (i = 0; i < 100; i++)
		buf_puts(&b, "\xc3\xa9");	/* 200 bytes of key */
	buf_puts(&b, ":{x:\xff}}");
	ck_assert_int_eq(jsv_decode(ta, b.p, b.len, NULL, &v, &err),
	    FMT_ENCODING);
	ck_assert_uint_eq(strlen(err.path), 190);
	ck_assert_int_eq((unsigned char)err.path[188], 0xc3);
	ck_assert_int_eq((unsigned char)err.path[189], 0xa9);
	ck_assert_uint_eq(err.offset, 205);
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
	{ "deep nesting objects", "{a:{b:{}}}", FMT_LIMIT },
	{ "deep nesting mixed", "[{a:[]}]", FMT_LIMIT },
	{ "items at max", "[1,2,3]", FMT_OK },
	{ "oversize array", "[1,2,3,4]", FMT_LIMIT },
	{ "oversize array of nulls", "[,,,]", FMT_LIMIT },
	{ "members at max", "{a:1,b:2,c:3}", FMT_OK },
	{ "oversize object", "{a:1,b:2,c:3,d:4}", FMT_LIMIT },
	{ "string at max", "abcde", FMT_OK },
	{ "oversize bare string", "abcdef", FMT_LIMIT },
	{ "oversize trimmed string", "  abcde  ", FMT_OK },
	{ "quoted string at max", "\"a\"\"b\"\"c\"", FMT_OK },
	{ "oversize quoted string", "\"a\"\"b\"\"cd\"", FMT_LIMIT },
	{ "oversize multibyte string", "\xc3\xa9\xc3\xa9\xc3\xa9", FMT_LIMIT },
	{ "key at max", "{abcde:1}", FMT_OK },
	{ "oversize key", "{abcdef:1}", FMT_LIMIT },
	{ "oversize quoted key", "{\"abcdef\":1}", FMT_LIMIT },
	{ "nodes at max", "[[1,2,3],[4,5,6]]", FMT_OK },
	{ "too many nodes", "[[1,2,3],[4,5,6],[]]", FMT_LIMIT },
	{ "too many nodes of nulls", "[[,,],[,,],[]]", FMT_LIMIT },
};

START_TEST(test_jsv_limits)
{
	const struct limit_case *c = &limit_cases[_i];
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = jsv_decode(ta, c->doc, strlen(c->doc), &small, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
	ck_assert(st != FMT_OK || v != NULL);
}
END_TEST

/* A depth bomb of each kind stops at the default depth. */
START_TEST(test_jsv_depth_bomb)
{
	static const char *const units[] = { "[", "{a:", "[{a:" };
	size_t n = 100000, u, k, ulen;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;

	ck_assert_ptr_nonnull(doc);
	for (u = 0; u < RS_ARRAY_LEN(units); u++) {
		ulen = strlen(units[u]);
		for (k = 0; k + ulen <= n; k += ulen)
			memcpy(doc + k, units[u], ulen);
		ck_assert_int_eq(jsv_decode(ta, doc, k, NULL, &v, &err),
		    FMT_LIMIT);
		ck_assert_ptr_null(v);
		ck_assert_ptr_nonnull(strstr(err.msg, "nested too deeply"));
	}
	free(doc);
	ck_assert_uint_eq(fmt_default_limits.max_depth, 32);
}
END_TEST

/* Limits that allow more than JSV_MAX_DEPTH still stop there. */
START_TEST(test_jsv_depth_hard_cap)
{
	const struct fmt_limits deep = {
		.max_depth = 1000000, .max_items = 10, .max_string = 10,
		.max_nodes = 1000000,
	};
	size_t n = 2 * JSV_MAX_DEPTH + 2;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;

	ck_assert_ptr_nonnull(doc);
	/* JSV_MAX_DEPTH levels read; one more does not */
	memset(doc, '[', JSV_MAX_DEPTH);
	memset(doc + JSV_MAX_DEPTH, ']', JSV_MAX_DEPTH);
	ck_assert_int_eq(jsv_decode(ta, doc, 2 * JSV_MAX_DEPTH, &deep, &v,
	    &err), FMT_OK);
	memset(doc, '[', JSV_MAX_DEPTH + 1);
	memset(doc + JSV_MAX_DEPTH + 1, ']', JSV_MAX_DEPTH + 1);
	ck_assert_int_eq(jsv_decode(ta, doc, n, &deep, &v, &err), FMT_LIMIT);
	free(doc);
}
END_TEST

/* One over the default string limit is refused; at it is fine. */
START_TEST(test_jsv_oversize_string_default)
{
	size_t n = fmt_default_limits.max_string + 3;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;

	ck_assert_ptr_nonnull(doc);
	memset(doc, 'x', n);
	doc[0] = doc[n - 1] = '"';
	ck_assert_int_eq(jsv_decode(ta, doc, n, NULL, &v, &err), FMT_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "too long"));
	doc[1] = '"';
	ck_assert_int_eq(jsv_decode(ta, doc + 1, n - 1, NULL, &v, &err),
	    FMT_OK);
	ck_assert_uint_eq(v->u.str.len, fmt_default_limits.max_string);
	/* and bare */
	ck_assert_int_eq(jsv_decode(ta, doc + 2, n - 3, NULL, &v, &err),
	    FMT_OK);
	ck_assert_int_eq(jsv_decode(ta, doc + 2, n - 2, NULL, &v, &err),
	    FMT_SYNTAX);	/* the closing quote is in a bare value */
	memset(doc, 'x', n);
	ck_assert_int_eq(jsv_decode(ta, doc, n - 2, NULL, &v, &err),
	    FMT_LIMIT);
	free(doc);
}
END_TEST

/* A body past JSV_MAX_BYTES is refused before it is read. */
START_TEST(test_jsv_total_size)
{
	size_t n = JSV_MAX_BYTES + 1;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;

	ck_assert_ptr_nonnull(doc);
	memset(doc, ' ', n);
	ck_assert_int_eq(jsv_decode(ta, doc, n, NULL, &v, &err), FMT_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "too large"));
	ck_assert_int_eq(jsv_decode(ta, doc, n - 1, NULL, &v, &err),
	    FMT_EMPTY);
	free(doc);
}
END_TEST

/* JSV_MAX_MEMBERS holds even when max_items allows more. */
START_TEST(test_jsv_max_members)
{
	struct buf b;
	struct value *v;
	struct fmt_error err;
	size_t i;

	buf_init(&b, ta);
	buf_putc(&b, '{');
	for (i = 0; i < JSV_MAX_MEMBERS; i++)
		buf_printf(&b, "%sk%zu:%zu", i > 0 ? "," : "", i, i);
	buf_putc(&b, '}');
	ck_assert(!b.failed);
	ck_assert_int_eq(jsv_decode(ta, b.p, b.len, NULL, &v, &err), FMT_OK);
	ck_assert_uint_eq(v->u.obj.n, JSV_MAX_MEMBERS);
	b.p[b.len - 1] = ',';
	buf_puts(&b, "one:more}");
	ck_assert_int_eq(jsv_decode(ta, b.p, b.len, NULL, &v, &err),
	    FMT_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "too many members"));
}
END_TEST

/*
 * A cheap deterministic fuzz pass over the seed sample: every result
 * is a status with a message, never a crash (ASan/UBSan watch), and
 * whatever decodes re-encodes to a fixed point.
 */
START_TEST(test_jsv_mutations)
{
	static const char alphabet[] = "{}[],:\" \n\r\tx\0\xff\xc3";
	size_t n = sizeof(seed_request) - 1, round, k;
	uint32_t r = 2463534242u;
	char *doc = malloc(n);
	struct value *v;
	struct fmt_error err;
	const char *once;

	ck_assert_ptr_nonnull(doc);
	for (round = 0; round < 4000; round++) {
		memcpy(doc, seed_request, n);
		for (k = 0; k < 1 + round % 4; k++) {
			r ^= r << 13, r ^= r >> 17, r ^= r << 5;
			doc[r % n] = alphabet[(r >> 8) %
			    (sizeof(alphabet) - 1)];
		}
		if (jsv_decode(ta, doc, n, NULL, &v, &err) != FMT_OK) {
			ck_assert(v == NULL && err.msg[0] != '\0');
			continue;
		}
		once = jsv(v);
		ck_assert_str_eq(jsv(dec_ok(once, strlen(once))), once);
	}
	free(doc);
}
END_TEST

/* ---- encoder ---- */

struct quote_case {
	const char	*s;
	const char	*want;
};

static const struct quote_case quote_cases[] = {
	{ "", "\"\"" },
	{ "plain", "plain" },
	{ "alice@example.com", "alice@example.com" },
	{ "in side", "in side" },
	{ "a,b", "\"a,b\"" },
	{ "a:b", "\"a:b\"" },
	{ "{x}", "\"{x}\"" },
	{ "x}", "\"x}\"" },
	{ "[x]", "\"[x]\"" },
	{ "x]", "\"x]\"" },
	{ "2\" x 1\"", "\"2\"\" x 1\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "\"\"", "\"\"\"\"\"\"" },
	{ " lead", "\" lead\"" },
	{ "trail ", "\"trail \"" },
	{ " ", "\" \"" },
	{ "\tx", "\"\tx\"" },
	{ "x\n", "\"x\n\"" },
	{ "a\r\nb", "\"a\r\nb\"" },
	{ "x\x01y", "\"x\x01y\"" },
	{ "True", "True" },
	{ "null", "null" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "{\"a\":[1, 2]}", "\"{\"\"a\"\":[1, 2]}\"" },
};

/* Each string is written as ServiceStack would, and reads back. */
START_TEST(test_jsv_encode_quoting)
{
	const struct quote_case *c = &quote_cases[_i];
	struct value *o, *a, *v;

	ck_assert_str_eq(jsv(value_cstr(ta, c->s)), c->want);
	/* as a value, a key and an item, through the decoder and back */
	o = value_object(ta);
	value_set(ta, o, c->s, value_cstr(ta, c->s));
	a = value_array(ta);
	value_push(ta, a, value_cstr(ta, c->s));
	value_push(ta, a, o);
	v = dec_ok(jsv(a), strlen(jsv(a)));
	ck_assert_int_eq(v->u.arr.items[0]->type, VALUE_STRING);
	ck_assert_str_eq(v->u.arr.items[0]->u.str.p, c->s);
	ck_assert_str_eq(v->u.arr.items[1]->u.obj.members[0].key, c->s);
	ck_assert_str_eq(str_at(v->u.arr.items[1], c->s), c->s);
}
END_TEST

START_TEST(test_jsv_encode_types)
{
	struct value *o = value_object(ta), *a = value_array(ta);
	struct value *in = value_object(ta);
	struct buf b;

	value_push(ta, a, value_cstr(ta, "Admin"));
	value_push(ta, a, value_null(ta));
	value_push(ta, a, value_cstr(ta, "a,b"));
	value_set(ta, in, "k", value_cstr(ta, "v"));
	value_set(ta, in, "gone", value_null(ta));
	value_set(ta, o, "id", value_int(ta, 42));
	value_set(ta, o, "salt", value_null(ta));
	value_set(ta, o, "t", value_bool(ta, 7));
	value_set(ta, o, "f", value_bool(ta, 0));
	value_set(ta, o, "n", value_number(ta, "-1.5e3"));
	value_set(ta, o, "roles", a);
	value_set(ta, o, "meta", in);
	value_set(ta, o, "empty", value_array(ta));
	value_set(ta, o, "last", value_cstr(ta, NULL));
	ck_assert_str_eq(jsv(o), "{id:42,t:True,f:False,n:-1.5e3,"
	    "roles:[Admin,,\"a,b\"],meta:{k:v},empty:[]}");
	ck_assert_str_eq(jsv(value_null(ta)), "");
	ck_assert_str_eq(jsv(value_object(ta)), "{}");

	/* a heap buffer works the same and is released by the caller */
	buf_init(&b, NULL);
	jsv_encode(&b, a);
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "[Admin,,\"a,b\"]");
	buf_release(&b);
}
END_TEST

/*
 * Number text is written as it is, so a date from jsv_date() goes out
 * bare as ServiceStack writes dates; text that would break the grammar
 * is quoted all the same.
 */
START_TEST(test_jsv_encode_number_text)
{
	char d[JSV_DATE_SIZE];
	struct value *o = value_object(ta);

	jsv_date(1699335116000LL, d);
	value_set(ta, o, "createdDate", value_number(ta, d));
	value_set(ta, o, "birthDate", value_number(ta, "0001-01-01"));
	value_set(ta, o, "bad", value_number(ta, "1,2}"));
	value_set(ta, o, "blank", value_number(ta, ""));
	ck_assert_str_eq(jsv(o), "{createdDate:2023-11-07T05:31:56Z,"
	    "birthDate:0001-01-01,bad:\"1,2}\",blank:\"\"}");
	ck_assert_str_eq(str_at(dec_ok(jsv(o), strlen(jsv(o))),
	    "createdDate"), "2023-11-07T05:31:56Z");
}
END_TEST

/* A UserAuth like the seed's response, encoded and read back. */
START_TEST(test_jsv_encode_roundtrip_tree)
{
	struct value *o = value_object(ta), *r = value_array(ta), *v;
	const char *once;

	value_set(ta, o, "id", value_int(ta, 7));
	value_set(ta, o, "userName", value_cstr(ta, "O'Neil, \"Bob\""));
	value_set(ta, o, "email", value_cstr(ta, "bob@example.com"));
	value_set(ta, o, "displayName", value_cstr(ta, "  {Bob} [x]: y "));
	value_set(ta, o, "company", value_cstr(ta, ""));
	value_push(ta, r, value_cstr(ta, "Admin"));
	value_push(ta, r, value_cstr(ta, "Group:Staff"));
	value_set(ta, o, "roles", r);
	value_set(ta, o, "permissions", value_array(ta));
	value_set(ta, o, "passwordHash", value_null(ta));
	once = jsv(o);
	ck_assert_str_eq(once, "{id:7,userName:\"O'Neil, \"\"Bob\"\"\","
	    "email:bob@example.com,displayName:\"  {Bob} [x]: y \","
	    "company:\"\",roles:[Admin,\"Group:Staff\"],permissions:[]}");
	v = dec_ok(once, strlen(once));
	ck_assert_str_eq(str_at(v, "userName"), "O'Neil, \"Bob\"");
	ck_assert_str_eq(str_at(v, "displayName"), "  {Bob} [x]: y ");
	ck_assert_str_eq(str_at(v, "company"), "");
	ck_assert_ptr_null(value_get(v, "passwordHash"));
	ck_assert_str_eq(jsv(v), once);
}
END_TEST

/* ---- scalar helpers ---- */

struct guid_case {
	const char	*in;
	const char	*n;		/* jsv_guid(), or NULL if refused */
	const char	*d;		/* jsv_guid_parse() */
};

static const struct guid_case guid_cases[] = {
	{ "0f8fad5b-d9cb-469f-a165-70867728950e",
	    "0f8fad5bd9cb469fa16570867728950e",
	    "0f8fad5b-d9cb-469f-a165-70867728950e" },
	{ "{0F8FAD5B-D9CB-469F-A165-70867728950E}",
	    "0f8fad5bd9cb469fa16570867728950e",
	    "0f8fad5b-d9cb-469f-a165-70867728950e" },
	{ "0F8FAD5BD9CB469FA16570867728950E",
	    "0f8fad5bd9cb469fa16570867728950e",
	    "0f8fad5b-d9cb-469f-a165-70867728950e" },
	{ "00000000000000000000000000000000",
	    "00000000000000000000000000000000",
	    "00000000-0000-0000-0000-000000000000" },
	{ "0f8fad5bd9cb469fa16570867728950", NULL, NULL },
	{ "0f8fad5bd9cb469fa16570867728950g", NULL, NULL },
	{ "0f8fad5b-d9cb-469f-a165-70867728950", NULL, NULL },
	{ "0f8fad5b d9cb-469f-a165-70867728950e", NULL, NULL },
	{ "", NULL, NULL },
};

START_TEST(test_jsv_guid)
{
	const struct guid_case *c = &guid_cases[_i];
	char n[JSV_GUID_LEN + 1], d[UUID_STR_LEN + 1];
	size_t len = strlen(c->in);

	if (c->n == NULL) {
		ck_assert_int_eq(jsv_guid(c->in, len, n), FMT_SYNTAX);
		ck_assert_int_eq(jsv_guid_parse(c->in, len, d), FMT_SYNTAX);
		return;
	}
	ck_assert_int_eq(jsv_guid(c->in, len, n), FMT_OK);
	ck_assert_str_eq(n, c->n);
	ck_assert_int_eq(jsv_guid_parse(c->in, len, d), FMT_OK);
	ck_assert_str_eq(d, c->d);
}
END_TEST

START_TEST(test_jsv_guid_null)
{
	char n[JSV_GUID_LEN + 1];

	ck_assert_int_eq(jsv_guid(NULL, 32, n), FMT_SYNTAX);
	ck_assert_int_eq(jsv_guid(NULL, 36, n), FMT_SYNTAX);
}
END_TEST

struct date_case {
	long long	 ms;
	const char	*want;
};

static const struct date_case date_cases[] = {
	{ 0, "1970-01-01" },
	{ 1699315200000LL, "2023-11-07" },
	{ 1699335116000LL, "2023-11-07T05:31:56Z" },
	{ 1699335116123LL, "2023-11-07T05:31:56.1230000Z" },
	{ 951825600005LL, "2000-02-29T12:00:00.0050000Z" },
	{ 1000, "1970-01-01T00:00:01Z" },
	{ 1, "1970-01-01T00:00:00.0010000Z" },
	{ -1, "1969-12-31T23:59:59.9990000Z" },
	{ -1000, "1969-12-31T23:59:59Z" },
	{ -86400000LL, "1969-12-31" },
	/* DateTime.MinValue, as on the seed page, and the clamps */
	{ -62135596800000LL, "0001-01-01" },
	{ -62135596800001LL, "0001-01-01" },
	{ INT64_MIN, "0001-01-01" },
	{ 253402300799999LL, "9999-12-31T23:59:59.9990000Z" },
	{ INT64_MAX, "9999-12-31T23:59:59.9990000Z" },
};

START_TEST(test_jsv_date)
{
	const struct date_case *c = &date_cases[_i];
	char out[JSV_DATE_SIZE];

	jsv_date(c->ms, out);
	ck_assert_str_eq(out, c->want);
}
END_TEST

struct bool_case {
	const char	*s;
	int		 want;		/* 0, 1, or -1 for refused */
};

static const struct bool_case bool_cases[] = {
	{ "True", 1 }, { "False", 0 }, { "true", 1 }, { "FALSE", 0 },
	{ " tRuE\t", 1 }, { "\nfalse ", 0 },
	{ "1", 1 }, { "t", 1 }, { "T", 1 }, { "y", 1 }, { "Y", 1 },
	{ "on", 1 }, { "0", 0 }, { "f", 0 }, { "F", 0 }, { "n", 0 },
	{ "N", 0 }, { "off", 0 }, { "", 0 },
	{ "ON", -1 }, { "Off", -1 }, { "yes", -1 }, { "2", -1 },
	{ " 1", -1 }, { "tru", -1 }, { "truex", -1 }, { " ", -1 },
};

START_TEST(test_jsv_bool)
{
	const struct bool_case *c = &bool_cases[_i];
	int b = 42;
	enum fmt_status st;

	st = jsv_bool(value_cstr(ta, c->s), &b);
	if (c->want < 0) {
		ck_assert_msg(st == FMT_SYNTAX, "\"%s\" accepted", c->s);
		ck_assert_int_eq(b, 42);
	} else {
		ck_assert_msg(st == FMT_OK, "\"%s\" refused", c->s);
		ck_assert_int_eq(b, c->want);
	}
}
END_TEST

START_TEST(test_jsv_bool_types)
{
	int b = 42;

	ck_assert_int_eq(jsv_bool(value_bool(ta, 1), &b), FMT_OK);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(jsv_bool(value_number(ta, "0"), &b), FMT_OK);
	ck_assert_int_eq(b, 0);
	b = 42;
	ck_assert_int_eq(jsv_bool(NULL, &b), FMT_SYNTAX);
	ck_assert_int_eq(jsv_bool(value_null(ta), &b), FMT_SYNTAX);
	ck_assert_int_eq(jsv_bool(value_array(ta), &b), FMT_SYNTAX);
	ck_assert_int_eq(b, 42);
}
END_TEST

/* ---- CSV ---- */

struct cell_case {
	const char	*s;
	const char	*want;
};

static const struct cell_case cell_cases[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ " spaced ", " spaced " },
	{ "a,b", "\"a,b\"" },
	{ "he said \"hi\"", "\"he said \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "line\nbreak", "\"line\nbreak\"" },
	{ "cr\rhere", "\"cr\rhere\"" },
	{ "[x", "\"[x\"" },
	{ "{x", "\"{x\"" },
	{ "x[y]", "x[y]" },
	{ "x{y}", "x{y}" },
	{ "a:b", "a:b" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	/* formulas neutralised as OWASP recommends (ServiceStack does not) */
	{ "=1+1", "\"'=1+1\"" },
	{ "+1", "+1" },
	{ "@SUM(1+1)", "\"'@SUM(1+1)\"" },
	{ "\tx", "\"'\tx\"" },
	{ "\rx", "\"'\rx\"" },
	{ "-1+cmd|' /C calc'!A0", "\"'-1+cmd|' /C calc'!A0\"" },
	{ "=HYPERLINK(\"h\",\"o\")", "\"'=HYPERLINK(\"\"h\"\",\"\"o\"\")\"" },
	{ "a=1", "a=1" },
	/* a sign before a phone number's characters only */
	{ "+44 20 7946 0000", "+44 20 7946 0000" },
	{ "+1 (555) 010-0199", "+1 (555) 010-0199" },
	{ "+A1", "\"'+A1\"" },
	{ "+1+cmd|' /C calc'!A0", "\"'+1+cmd|' /C calc'!A0\"" },
	/* a '-' before letters, digits, '-' and '_' only: tokens, -12 */
	{ "-12", "-12" },
	{ "-Ab_9-x", "-Ab_9-x" },
	{ "-", "-" },
};

/* Each string as a cell and as a header name. */
START_TEST(test_csv_cells)
{
	const struct cell_case *c = &cell_cases[_i];
	struct value *o = value_object(ta);
	char want[256];

	value_set(ta, o, c->s, value_cstr(ta, c->s));
	snprintf(want, sizeof(want), "%s\r\n%s\r\n", c->want, c->want);
	ck_assert_str_eq(csv(o), want);
}
END_TEST

/* A UserAuth-shaped DTO: PascalCase names in, as they are out. */
START_TEST(test_csv_dto)
{
	struct value *o = value_object(ta), *r = value_array(ta);
	struct value *m = value_object(ta);
	char d[JSV_DATE_SIZE];

	value_set(ta, o, "Id", value_int(ta, 1));
	value_set(ta, o, "UserName", value_cstr(ta, "bob"));
	value_set(ta, o, "Email", value_cstr(ta, "O'Neil, Bob <bob@x.io>"));
	value_set(ta, o, "Salt", value_null(ta));
	value_push(ta, r, value_cstr(ta, "Admin"));
	value_push(ta, r, value_cstr(ta, "User"));
	value_set(ta, o, "Roles", r);
	value_set(ta, o, "Permissions", value_array(ta));
	jsv_date(1699335116000LL, d);
	value_set(ta, o, "CreatedDate", value_number(ta, d));
	value_set(ta, o, "Locked", value_bool(ta, 0));
	value_set(ta, m, "k", value_cstr(ta, "v"));
	value_set(ta, o, "Meta", m);
	ck_assert_str_eq(csv(o),
	    "Id,UserName,Email,Salt,Roles,Permissions,CreatedDate,Locked,"
	    "Meta\r\n"
	    "1,bob,\"O'Neil, Bob <bob@x.io>\",,\"[Admin,User]\",\"[]\","
	    "2023-11-07T05:31:56Z,False,\"{k:v}\"\r\n");
}
END_TEST

/* Nested JSV with its own quotes is CSV-escaped once more. */
START_TEST(test_csv_nested_quoting)
{
	struct value *o = value_object(ta), *r = value_array(ta);
	struct value *m = value_object(ta);

	value_push(ta, r, value_cstr(ta, "a,b"));
	value_push(ta, r, value_cstr(ta, "say \"hi\""));
	value_set(ta, o, "Roles", r);
	value_set(ta, m, "a:b", value_cstr(ta, ""));
	value_set(ta, m, "gone", value_null(ta));
	value_set(ta, o, "Meta", m);
	ck_assert_str_eq(csv(o), "Roles,Meta\r\n"
	    "\"[\"\"a,b\"\",\"\"say \"\"\"\"hi\"\"\"\"\"\"]\","
	    "\"{\"\"a:b\"\":\"\"\"\"}\"\r\n");
}
END_TEST

START_TEST(test_csv_not_object)
{
	struct buf b;

	buf_init(&b, ta);
	ck_assert_int_eq(csv_encode(&b, value_array(ta)), FMT_SYNTAX);
	ck_assert_int_eq(csv_encode(&b, value_cstr(ta, "x")), FMT_SYNTAX);
	ck_assert_int_eq(csv_encode(&b, NULL), FMT_SYNTAX);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(csv(value_object(ta)), "\r\n\r\n");
}
END_TEST

START_TEST(test_csv_heap_buf)
{
	struct value *o = value_object(ta), *r = value_array(ta);
	struct buf b;

	value_push(ta, r, value_cstr(ta, "x"));
	value_set(ta, o, "True", value_bool(ta, 1));
	value_set(ta, o, "List", r);
	buf_init(&b, NULL);
	ck_assert_int_eq(csv_encode(&b, o), FMT_OK);
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "True,List\r\nTrue,\"[x]\"\r\n");
	buf_release(&b);
}
END_TEST

/* ---- suites ---- */

static Suite *
jsv_decode_suite(void)
{
	Suite	*s = suite_create("jsv decode");
	TCase	*tc = tcase_create("decode");
	TCase	*tl = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jsv_seed_request);
	tcase_add_test(tc, test_jsv_seed_request_real_email);
	tcase_add_test(tc, test_jsv_seed_request_indented);
	tcase_add_test(tc, test_jsv_seed_response);
	tcase_add_test(tc, test_jsv_seed_truncations);
	tcase_add_loop_test(tc, test_jsv_good, 0,
	    (int)RS_ARRAY_LEN(good_cases));
	tcase_add_test(tc, test_jsv_tree_shape);
	tcase_add_test(tc, test_jsv_null_input);
	tcase_add_loop_test(tc, test_jsv_bad, 0,
	    (int)RS_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_jsv_error_message);
	tcase_add_test(tc, test_jsv_error_path_utf8);
	tcase_add_test(tc, test_jsv_mutations);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_loop_test(tl, test_jsv_limits, 0,
	    (int)RS_ARRAY_LEN(limit_cases));
	tcase_add_test(tl, test_jsv_depth_bomb);
	tcase_add_test(tl, test_jsv_depth_hard_cap);
	tcase_add_test(tl, test_jsv_oversize_string_default);
	tcase_add_test(tl, test_jsv_total_size);
	tcase_add_test(tl, test_jsv_max_members);
	suite_add_tcase(s, tl);
	return s;
}

static Suite *
jsv_encode_suite(void)
{
	Suite	*s = suite_create("jsv encode");
	TCase	*te = tcase_create("encode");
	TCase	*th = tcase_create("scalars");

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_loop_test(te, test_jsv_encode_quoting, 0,
	    (int)RS_ARRAY_LEN(quote_cases));
	tcase_add_test(te, test_jsv_encode_types);
	tcase_add_test(te, test_jsv_encode_number_text);
	tcase_add_test(te, test_jsv_encode_roundtrip_tree);
	suite_add_tcase(s, te);

	tcase_add_checked_fixture(th, setup, teardown);
	tcase_add_loop_test(th, test_jsv_guid, 0,
	    (int)RS_ARRAY_LEN(guid_cases));
	tcase_add_test(th, test_jsv_guid_null);
	tcase_add_loop_test(th, test_jsv_date, 0,
	    (int)RS_ARRAY_LEN(date_cases));
	tcase_add_loop_test(th, test_jsv_bool, 0,
	    (int)RS_ARRAY_LEN(bool_cases));
	tcase_add_test(th, test_jsv_bool_types);
	suite_add_tcase(s, th);
	return s;
}

static Suite *
csv_suite(void)
{
	Suite	*s = suite_create("csv");
	TCase	*tc = tcase_create("encode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_csv_cells, 0,
	    (int)RS_ARRAY_LEN(cell_cases));
	tcase_add_test(tc, test_csv_dto);
	tcase_add_test(tc, test_csv_nested_quoting);
	tcase_add_test(tc, test_csv_not_object);
	tcase_add_test(tc, test_csv_heap_buf);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;

	sr = srunner_create(jsv_decode_suite());
	srunner_add_suite(sr, jsv_encode_suite());
	srunner_add_suite(sr, csv_suite());
	return unit_run(sr);
}
