/*
 * check_scim_filter.c: unit tests for scim/filter.c: the filter grammar
 * (as trees written out), its refusals with their messages, the bounds,
 * PATCH paths, and the SQL compiled over a sample map (exact text and
 * parameters).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/scim/filter.h"

#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define CORE "urn:ietf:params:scim:schemas:core:2.0:User"

/* ------------------------------------------------------------------ */
/* Trees written out: [urn|attr.sub op type:value], (a and b), not(a),
 * attr[filter].sub op value */

static void dump(struct buf *b, const struct scim_node *n);

static void
dump_path(struct buf *b, const struct scim_attrpath *a)
{
	if (a->urn != NULL)
		buf_printf(b, "%s|", a->urn);
	buf_puts(b, a->attr);
	if (a->sub != NULL)
		buf_printf(b, ".%s", a->sub);
}

static void
dump_cmp(struct buf *b, const struct scim_node *n)
{
	static const char *const t[] = { "s", "n", "b", "null" };

	buf_printf(b, " %s", scim_op_name(n->op));
	if (n->op == SCIM_PR)
		return;
	if (n->vtype == SCIM_V_NULL)
		buf_puts(b, " null");
	else
		buf_printf(b, " %s:%s", t[n->vtype], n->value);
}

static void
dump(struct buf *b, const struct scim_node *n)
{
	switch (n->kind) {
	case SCIM_N_CMP:
		buf_putc(b, '[');
		dump_path(b, &n->path);
		dump_cmp(b, n);
		buf_putc(b, ']');
		break;
	case SCIM_N_AND:
	case SCIM_N_OR:
		buf_putc(b, '(');
		dump(b, n->left);
		buf_puts(b, n->kind == SCIM_N_AND ? " and " : " or ");
		dump(b, n->right);
		buf_putc(b, ')');
		break;
	case SCIM_N_NOT:
		buf_puts(b, "not(");
		dump(b, n->left);
		buf_putc(b, ')');
		break;
	case SCIM_N_VALPATH:
		if (n->path.urn != NULL)
			buf_printf(b, "%s|", n->path.urn);
		buf_printf(b, "%s[", n->path.attr);
		dump(b, n->left);
		buf_putc(b, ']');
		if (n->path.sub != NULL) {
			buf_printf(b, ".%s", n->path.sub);
			dump_cmp(b, n);
		}
		break;
	}
}

static const char *
parse_dump(const char *s)
{
	struct scim_node *n;
	struct buf b;
	char err[256];

	if (scim_filter_parse(s, strlen(s), &n, err, sizeof(err)) != 0)
		return arena_sprintf(ta, "error: %s", err);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(err, "");
	buf_init(&b, ta);
	dump(&b, n);
	scim_node_free(n);
	return b.p;
}

static const struct {
	const char	*in;
	const char	*tree;
} grammar[] = {
	/* every operator, any case */
	{ "userName eq \"bjensen\"", "[userName eq s:bjensen]" },
	{ "userName EQ \"x\"", "[userName eq s:x]" },
	{ "userName Eq \"x\"", "[userName eq s:x]" },
	{ "title ne \"x\"", "[title ne s:x]" },
	{ "name.familyName co \"O'Malley\"", "[name.familyName co s:O'Malley]" },
	{ "userName sw \"J\"", "[userName sw s:J]" },
	{ "userName EW \"n\"", "[userName ew s:n]" },
	{ "title pr", "[title pr]" },
	{ "title PR", "[title pr]" },
	{ "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
	    "[meta.lastModified gt s:2011-05-13T04:42:34Z]" },
	{ "meta.lastModified ge \"2011\"", "[meta.lastModified ge s:2011]" },
	{ "x lt 5", "[x lt n:5]" },
	{ "x le 5", "[x le n:5]" },
	/* literals, any case; numbers in JSON's grammar, '+' dropped */
	{ "active eq true", "[active eq b:true]" },
	{ "active eq TRUE", "[active eq b:true]" },
	{ "active eq False", "[active eq b:false]" },
	{ "title eq null", "[title eq null]" },
	{ "title eq NULL", "[title eq null]" },
	{ "x eq -1.5e+3", "[x eq n:-1.5e+3]" },
	{ "x eq +42", "[x eq n:42]" },
	{ "x eq 0", "[x eq n:0]" },
	{ "x eq -0.25E-2", "[x eq n:-0.25E-2]" },
	/* whitespace: several, tabs, none where not needed */
	{ "  userName   eq   \"x\"  ", "[userName eq s:x]" },
	{ "userName\teq\t\"x\"", "[userName eq s:x]" },
	{ "userName eq\"x\"", "[userName eq s:x]" },
	{ "(a pr)and(b pr)", "([a pr] and [b pr])" },
	/* strings: spaces, ')', ']', escapes, UTF-8 */
	{ "displayName eq \"EDU All (personal) ]\"",
	    "[displayName eq s:EDU All (personal) ]]" },
	{ "x eq \"a\\\"b\\\\c\\/d\"", "[x eq s:a\"b\\c/d]" },
	{ "x eq \"\\b\\f\\n\\r\\t\"", "[x eq s:\b\f\n\r\t]" },
	{ "x eq \"\\u00e9\\u20AC\"", "[x eq s:\xc3\xa9\xe2\x82\xac]" },
	{ "x eq \"\\ud83d\\ude00\"", "[x eq s:\xf0\x9f\x98\x80]" },
	{ "x eq \"caf\xc3\xa9\"", "[x eq s:caf\xc3\xa9]" },
	{ "x eq \"\"", "[x eq s:]" },
	/* precedence: and binds tighter than or; left to right */
	{ "a pr or b pr and c pr", "([a pr] or ([b pr] and [c pr]))" },
	{ "a pr and b pr or c pr", "(([a pr] and [b pr]) or [c pr])" },
	{ "a pr AND b pr OR c pr and d pr",
	    "(([a pr] and [b pr]) or ([c pr] and [d pr]))" },
	{ "a pr or b pr or c pr", "(([a pr] or [b pr]) or [c pr])" },
	{ "(a pr or b pr) and c pr", "(([a pr] or [b pr]) and [c pr])" },
	/* not */
	{ "not (a pr)", "not([a pr])" },
	{ "NOT(a pr)", "not([a pr])" },
	{ "userType ne \"Employee\" and not (emails co \"example.com\" or "
	    "emails.value co \"example.org\")",
	    "([userType ne s:Employee] and not(([emails co s:example.com] or "
	    "[emails.value co s:example.org])))" },
	{ "not (not (a pr))", "not(not([a pr]))" },
	{ "not eq \"x\"", "[not eq s:x]" },	/* an attribute named not */
	{ "((a pr))", "[a pr]" },
	/* value paths, the form Entra sends, capitals */
	{ "emails[type eq \"work\" and primary eq true]",
	    "emails[([type eq s:work] and [primary eq b:true])]" },
	{ "emails[type eq \"work\"].value eq \"x@example.com\"",
	    "emails[[type eq s:work]].value eq s:x@example.com" },
	{ "emails[type eq \"other\"].Value pr",
	    "emails[[type eq s:other]].Value pr" },
	{ "emails[ not (type eq \"work\") ]",
	    "emails[not([type eq s:work])]" },
	{ "members[value eq \"id\"] or emails pr",
	    "(members[[value eq s:id]] or [emails pr])" },
	{ "userType eq \"Employee\" and emails[type eq \"work\" and "
	    "value co \"@example.com\"]",
	    "([userType eq s:Employee] and emails[([type eq s:work] and "
	    "[value co s:@example.com])])" },
	/* URNs: the URN ends at the last ':' */
	{ ENT ":employeeNumber eq \"701984\"",
	    "[" ENT "|employeeNumber eq s:701984]" },
	{ CORE ":userName eq \"x\"", "[" CORE "|userName eq s:x]" },
	{ ENT ":manager.value eq \"m\"", "[" ENT "|manager.value eq s:m]" },
	{ "URN:x:y eq 1", "[URN:x|y eq n:1]" },
	{ ENT ":manager[value eq \"m\"]", ENT "|manager[[value eq s:m]]" },
	/* names */
	{ "members.$ref pr", "[members.$ref pr]" },
	{ "x_1-b eq 1", "[x_1-b eq n:1]" },
	{ "USERNAME eq \"x\"", "[USERNAME eq s:x]" },
	{ "userName eq \"x\" AnD title pr", "([userName eq s:x] and [title pr])" },
	{ "a eq 1 or b eq true and c eq null",
	    "([a eq n:1] or ([b eq b:true] and [c eq null]))" },
};

START_TEST(test_grammar)
{
	ck_assert_str_eq(parse_dump(grammar[_i].in), grammar[_i].tree);
}
END_TEST

static const struct {
	const char	*in;
	const char	*err;
} refusals[] = {
	{ "", "filter is empty" },
	{ "   ", "filter is empty" },
	{ "userName", "expected an operator (eq, ne, co, sw, ew, pr, gt, ge, "
	    "lt, le) at offset 8, found end of input" },
	{ "userName foo \"x\"", "expected an operator (eq, ne, co, sw, ew, "
	    "pr, gt, ge, lt, le) at offset 9, found 'foo'" },
	{ "userName eq", "expected a value (a string in double quotes, a "
	    "number, true, false or null) at offset 11, found end of input" },
	{ "userName eq bjensen", "expected a value (a string in double "
	    "quotes, a number, true, false or null) at offset 12, found "
	    "'bjensen'" },
	{ "userName eq 'x'", "expected a value (a string in double quotes, "
	    "a number, true, false or null) at offset 12, found '''" },
	{ "active eq truex", "expected a value (a string in double quotes, "
	    "a number, true, false or null) at offset 10, found 'truex'" },
	{ "userName eq1", "expected an operator (eq, ne, co, sw, ew, pr, gt, "
	    "ge, lt, le) at offset 9, found 'eq1'" },
	{ "userName eq \"x", "unterminated string starting at offset 12" },
	{ "userName eq \"x\\", "unterminated string at offset 15" },
	{ "userName eq \"\\x\"", "invalid escape \\'x' at offset 13" },
	{ "userName eq \"\\u12\"", "invalid \\u escape at offset 13" },
	{ "userName eq \"\\u0000\"", "\\u0000 at offset 13 is not allowed" },
	{ "userName eq \"\\ud800\"", "lone surrogate \\uD800 at offset 13" },
	{ "userName eq \"\\udc00\"", "lone surrogate \\uDC00 at offset 13" },
	{ "userName eq \"\\ud800\\u0041\"",
	    "lone surrogate \\uD800 at offset 13" },
	{ "userName eq \"a\tb\"", "control character in a string at offset 14" },
	{ "userName eq \"\xc3\"", "invalid UTF-8 at offset 13" },
	{ "userName eq \"\xed\xa0\x80\"", "invalid UTF-8 at offset 13" },
	{ "x eq 01", "invalid number at offset 5, found '01'" },
	{ "x eq 1.", "invalid number at offset 5, found '1.'" },
	{ "x eq -", "invalid number at offset 5, found '-'" },
	{ "x eq 1e", "invalid number at offset 5, found '1e'" },
	{ "x eq 12abc", "invalid number at offset 5, found '12abc'" },
	{ "x eq 1e1001", "number out of range at offset 5, found '1e1001'" },
	{ "x eq --1", "invalid number at offset 5, found '--1'" },
	{ "(a pr", "expected ')' at offset 5, found end of input" },
	{ "a pr)", "unexpected text after the filter at offset 4, found ')'" },
	{ "a pr b pr", "unexpected text after the filter at offset 5, found "
	    "'b'" },
	{ "a pr and", "expected an attribute name at offset 8, found end of "
	    "input" },
	{ "and a pr", "expected an operator (eq, ne, co, sw, ew, pr, gt, ge, "
	    "lt, le) at offset 4, found 'a'" },
	{ "a pr andb pr", "unexpected text after the filter at offset 5, "
	    "found 'andb'" },
	{ "not a pr", "expected an operator (eq, ne, co, sw, ew, pr, gt, ge, "
	    "lt, le) at offset 4, found 'a'" },
	{ "title pr \"x\"", "unexpected text after the filter at offset 9, "
	    "found '\"x\"'" },
	{ "emails[type eq \"work\"", "expected ']' at offset 21, found end "
	    "of input" },
	{ "emails[type[value pr]]", "a value filter inside a value filter at "
	    "offset 11" },
	{ "name.x[a pr]", "a value filter after a sub-attribute at offset 6" },
	{ "emails[" ENT ":x pr]", "no schema URN inside a value filter at "
	    "offset 7, found 'urn:ietf:params:scim:sch...'" },
	{ "emails[type eq \"w\"].value", "expected an operator (eq, ne, co, "
	    "sw, ew, pr, gt, ge, lt, le) at offset 25, found end of input" },
	{ "emails[type eq \"w\"].", "expected a sub-attribute name at offset "
	    "20, found end of input" },
	{ "emails[type eq \"w\"].1x eq 1", "expected a sub-attribute name at "
	    "offset 20, found '1x'" },
	{ "a.b.c pr", "an attribute path has at most one '.' at offset 4, "
	    "found 'c'" },
	{ "x:y pr", "a schema URN must start with \"urn:\" at offset 0, found "
	    "'x:y'" },
	{ "urn: pr", "a schema URN must start with \"urn:\" at offset 0, "
	    "found 'urn:'" },
	{ "1abc pr", "invalid attribute name at offset 0, found '1abc'" },
	{ "urn:a:b: pr", "expected an attribute name after the schema URN at "
	    "offset 8, found ' '" },
	{ "a. pr", "invalid attribute name at offset 0, found 'a.'" },
	{ "a$b pr", "invalid attribute name at offset 0, found 'a$b'" },
	{ "[a pr]", "expected an attribute name at offset 0, found '['" },
	{ "\"x\" eq 1", "expected an attribute name at offset 0, found '\"x\"'" },
	{ "userName eq \"x\" or", "expected an attribute name at offset 18, "
	    "found end of input" },
	{ "()", "expected an attribute name at offset 1, found ')'" },
};

START_TEST(test_refusals)
{
	struct scim_node *n = (struct scim_node *)1;
	char err[256];

	ck_assert_int_eq(scim_filter_parse(refusals[_i].in,
	    strlen(refusals[_i].in), &n, err, sizeof(err)), -1);
	ck_assert_ptr_null(n);
	ck_assert_str_eq(err, refusals[_i].err);
}
END_TEST

START_TEST(test_embedded_nul)
{
	static const char s[] = "userName eq \"a\0b\"";
	struct scim_node *n;
	char err[256];

	ck_assert_int_eq(scim_filter_parse(s, sizeof(s) - 1, &n, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "NUL byte at offset 14");
}
END_TEST

START_TEST(test_small_err_buffer)
{
	struct scim_node *n;
	char err[8];

	ck_assert_int_eq(scim_filter_parse("a", 1, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expecte");
	ck_assert_int_eq(scim_filter_parse("a", 1, &n, NULL, 0), -1);
	ck_assert_int_eq(scim_filter_parse(NULL, 0, &n, NULL, 0), -1);
	scim_node_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bounds */

static char *
repeat_join(const char *pre, const char *item, const char *sep, int n,
    const char *post)
{
	struct buf b;
	int i;

	buf_init(&b, ta);
	buf_puts(&b, pre);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i > 0 ? sep : "", item);
	buf_puts(&b, post);
	return b.p;
}

static int
try_parse(const char *s, char *err, size_t errlen)
{
	struct scim_node *n;
	int rc;

	rc = scim_filter_parse(s, strlen(s), &n, err, errlen);
	scim_node_free(n);
	return rc;
}

START_TEST(test_bound_depth)
{
	char err[256];
	struct buf b;
	int i;

	/* 16 levels: 15 "(" around a value path */
	buf_init(&b, ta);
	for (i = 0; i < 15; i++)
		buf_puts(&b, i % 2 ? "(" : "not (");
	buf_puts(&b, "emails[type pr]");
	for (i = 0; i < 15; i++)
		buf_putc(&b, ')');
	ck_assert_int_eq(try_parse(b.p, err, sizeof(err)), 0);
	ck_assert_int_eq(try_parse(repeat_join("", "(", "", 16, "a pr") ,
	    err, sizeof(err)), -1);		/* unclosed, but deep enough */
	ck_assert_int_eq(try_parse(repeat_join(repeat_join("", "(", "", 16,
	    "a pr"), ")", "", 16, ""), err, sizeof(err)), 0);
	ck_assert_int_eq(try_parse(repeat_join(repeat_join("", "(", "", 17,
	    "a pr"), ")", "", 17, ""), err, sizeof(err)), -1);
	ck_assert_str_eq(err, "filter nested deeper than 16 levels at offset "
	    "16");
	ck_assert_int_eq(try_parse(repeat_join(repeat_join("", "(", "", 16,
	    "e[a pr]"), ")", "", 16, ""), err, sizeof(err)), -1);
	ck_assert_str_eq(err, "filter nested deeper than 16 levels at offset "
	    "17");
	/* far deeper than the bound: refused early, no deep recursion */
	ck_assert_int_eq(try_parse(repeat_join("", "not(", "", 1000, ""),
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "filter nested deeper than 16 levels at offset "
	    "67");
}
END_TEST

START_TEST(test_bound_nodes)
{
	char err[256];

	/* 64 comparisons, 63 "and", one "not": 128 nodes */
	ck_assert_int_eq(try_parse(repeat_join("not(", "a pr", " and ", 64,
	    ")"), err, sizeof(err)), 0);
	ck_assert_int_eq(try_parse(repeat_join("not(", "a pr", " and ", 65,
	    ")"), err, sizeof(err)), -1);
	ck_assert_str_eq(err, "filter has more than 128 parts (at offset 579)");
	ck_assert_int_eq(try_parse(repeat_join("", "a pr", " or ", 500, ""),
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "filter has more than 128 parts (at offset 512)");
}
END_TEST

START_TEST(test_bound_length)
{
	char err[256], *s;
	size_t pad = SCIM_FILTER_MAX_LEN - strlen("userName eq \"\"");
	struct scim_path path;

	s = arena_alloc(ta, SCIM_FILTER_MAX_LEN + 2);
	snprintf(s, SCIM_FILTER_MAX_LEN + 2, "userName eq \"%s\"",
	    repeat_join("", "x", "", (int)pad, ""));
	ck_assert_uint_eq(strlen(s), SCIM_FILTER_MAX_LEN);
	ck_assert_int_eq(try_parse(s, err, sizeof(err)), 0);
	snprintf(s, SCIM_FILTER_MAX_LEN + 2, "userName eq \"%s\"",
	    repeat_join("", "x", "", (int)pad + 1, ""));
	ck_assert_int_eq(try_parse(s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "filter longer than 4096 bytes");
	ck_assert_int_eq(scim_path_parse(s, strlen(s), &path, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "path longer than 4096 bytes");
	scim_path_clear(&path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* PATCH paths */

static const char *
path_dump(const char *s)
{
	struct scim_path p;
	struct buf b;
	char err[256];

	if (scim_path_parse(s, strlen(s), &p, err, sizeof(err)) != 0) {
		ck_assert_ptr_null(p.filter);
		scim_path_clear(&p);
		return arena_sprintf(ta, "error: %s", err);
	}
	buf_init(&b, ta);
	dump_path(&b, &p.attr);
	if (p.filter != NULL) {
		buf_putc(&b, '[');
		dump(&b, p.filter);
		buf_putc(&b, ']');
	}
	if (p.sub_after != NULL)
		buf_printf(&b, ".%s", p.sub_after);
	scim_path_clear(&p);
	ck_assert_ptr_null(p.attr.attr);
	return b.p;
}

static const struct {
	const char	*in;
	const char	*out;
} paths[] = {
	{ "active", "active" },
	{ "name.givenName", "name.givenName" },
	{ "members", "members" },
	{ "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
	    "members[[value eq s:2819c223-7f76-453a-919d-413861904646]]" },
	{ "emails[type eq \"work\"].value", "emails[[type eq s:work]].value" },
	{ "emails[type eq \"other\"].Value", "emails[[type eq s:other]].Value" },
	{ "addresses[type eq \"work\"].Formatted",
	    "addresses[[type eq s:work]].Formatted" },
	{ "emails[type eq \"work\" and primary eq true].value",
	    "emails[([type eq s:work] and [primary eq b:true])].value" },
	{ ENT ":employeeNumber", ENT "|employeeNumber" },
	{ ENT ":manager", ENT "|manager" },
	{ ENT ":manager.value", ENT "|manager.value" },
	{ "manager[value eq \"x\"]", "manager[[value eq s:x]]" },
	{ CORE ":name.familyName", CORE "|name.familyName" },
	{ " displayName ", "displayName" },
	{ "members[value eq \"a\" or value eq \"b\"]",
	    "members[([value eq s:a] or [value eq s:b])]" },
	{ "", "error: path is empty" },
	{ "emails[type eq \"work\"", "error: expected ']' at offset 21, "
	    "found end of input" },
	{ "emails[type eq \"work\"].", "error: expected a sub-attribute name "
	    "at offset 23, found end of input" },
	{ "emails[type eq \"work\"].value.x", "error: expected a "
	    "sub-attribute name at offset 23, found 'value.x'" },
	{ "emails[type eq \"work\"]x", "error: unexpected text after the path "
	    "at offset 22, found 'x'" },
	{ "name.givenName[a pr]", "error: a value filter after a "
	    "sub-attribute at offset 14" },
	{ "a b", "error: unexpected text after the path at offset 2, found "
	    "'b'" },
	{ "emails[]", "error: expected an attribute name at offset 7, found "
	    "']'" },
	{ "emails[x]", "error: expected an operator (eq, ne, co, sw, ew, pr, "
	    "gt, ge, lt, le) at offset 8, found ']'" },
	{ "a.b.c", "error: an attribute path has at most one '.' at offset 4, "
	    "found 'c'" },
};

START_TEST(test_paths)
{
	ck_assert_str_eq(path_dump(paths[_i].in), paths[_i].out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SQL */

static const struct scim_sqlattr map[] = {
	{ "userName", NULL, "u.username", SCIM_V_STRING,
	    SCIM_SQL_LOWER_INDEXED },
	{ "externalId", NULL, "u.external_id", SCIM_V_STRING,
	    SCIM_SQL_CASE_EXACT },
	{ "displayName", NULL, "u.display_name", SCIM_V_STRING, 0 },
	{ "active", NULL, "u.active", SCIM_V_BOOL, 0 },
	{ "name.givenName", NULL, "u.attrs->'name'->>'givenName'",
	    SCIM_V_STRING, 0 },
	{ "meta.lastModified", NULL, "u.updated_at", SCIM_V_STRING,
	    SCIM_SQL_DATETIME },
	{ "x.n", NULL, "(u.attrs->>'n')::numeric", SCIM_V_NUMBER, 0 },
	{ "emails", NULL, "u.attrs->'emails'", SCIM_V_STRING, SCIM_SQL_MULTI },
	{ "emails.value", NULL, "e.v->>'value'", SCIM_V_STRING, 0 },
	{ "emails.type", NULL, "e.v->>'type'", SCIM_V_STRING, 0 },
	{ "emails.primary", NULL, "(e.v->>'primary')::boolean", SCIM_V_BOOL,
	    0 },
	{ "employeeNumber", ENT, "u.attrs->>'employeeNumber'", SCIM_V_STRING,
	    0 },
	{ "manager.value", ENT, "u.manager_id::text", SCIM_V_STRING,
	    SCIM_SQL_CASE_EXACT },
};

static const struct {
	const char	*in;
	const char	*sql;
	const char	*params[4];	/* $3, $4 ... */
} sqls[] = {
	/* the index forms */
	{ "userName eq \"BJensen\"", "lower(u.username) = lower($3)",
	    { "BJensen" } },
	{ "externalId eq \"00ujl29u0le5T6Aj10h7\"", "u.external_id = $3",
	    { "00ujl29u0le5T6Aj10h7" } },
	{ CORE ":userName eq \"x\"", "lower(u.username) = lower($3)",
	    { "x" } },
	{ "USERNAME EQ \"x\"", "lower(u.username) = lower($3)", { "x" } },
	/* every operator on text, without and with case */
	{ "displayName ne \"x\"", "lower(u.display_name) IS DISTINCT FROM "
	    "lower($3)", { "x" } },
	{ "externalId ne \"x\"", "u.external_id IS DISTINCT FROM $3", { "x" } },
	{ "displayName co \"a%b_c\\\\d\"", "lower(u.display_name) LIKE "
	    "lower($3) ESCAPE '\\'", { "%a\\%b\\_c\\\\d%" } },
	{ "displayName sw \"ab\"", "lower(u.display_name) LIKE lower($3) "
	    "ESCAPE '\\'", { "ab%" } },
	{ "externalId ew \"ab\"", "u.external_id LIKE $3 ESCAPE '\\'",
	    { "%ab" } },
	{ "displayName gt \"m\"", "lower(u.display_name) > lower($3)",
	    { "m" } },
	{ "displayName ge \"m\"", "lower(u.display_name) >= lower($3)",
	    { "m" } },
	{ "externalId lt \"m\"", "u.external_id < $3", { "m" } },
	{ "externalId le \"m\"", "u.external_id <= $3", { "m" } },
	{ "displayName pr", "(u.display_name IS NOT NULL AND "
	    "u.display_name <> '')", { NULL } },
	{ "displayName eq null", "((u.display_name IS NOT NULL AND "
	    "u.display_name <> '')) IS NOT TRUE", { NULL } },
	{ "displayName ne null", "(u.display_name IS NOT NULL AND "
	    "u.display_name <> '')", { NULL } },
	{ "externalId eq 12345", "u.external_id = $3", { "12345" } },
	/* booleans, strings as booleans */
	{ "active eq true", "u.active = $3::boolean", { "true" } },
	{ "active eq \"False\"", "u.active = $3::boolean", { "false" } },
	{ "active ne false", "u.active IS DISTINCT FROM $3::boolean",
	    { "false" } },
	{ "active pr", "u.active IS NOT NULL", { NULL } },
	{ "active eq null", "(u.active IS NOT NULL) IS NOT TRUE", { NULL } },
	/* numbers, dateTimes */
	{ "x.n gt -1.5e3", "(u.attrs->>'n')::numeric > $3::numeric",
	    { "-1.5e3" } },
	{ "x.n eq \"+7\"", "(u.attrs->>'n')::numeric = $3::numeric",
	    { "7" } },
	{ "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
	    "u.updated_at > $3::timestamptz", { "2011-05-13T04:42:34Z" } },
	{ "meta.lastModified le \"2024-02-29T23:59:59.123456+05:30\"",
	    "u.updated_at <= $3::timestamptz",
	    { "2024-02-29T23:59:59.123456+05:30" } },
	{ "meta.lastModified pr", "u.updated_at IS NOT NULL", { NULL } },
	/* complex single-valued */
	{ "name.givenName sw \"J\"", "lower(u.attrs->'name'->>'givenName') "
	    "LIKE lower($3) ESCAPE '\\'", { "J%" } },
	{ "name[givenName eq \"J\"]", "lower(u.attrs->'name'->>'givenName') "
	    "= lower($3)", { "J" } },
	{ "name[givenName eq \"J\"].givenName pr",
	    "(lower(u.attrs->'name'->>'givenName') = lower($3) AND "
	    "(u.attrs->'name'->>'givenName' IS NOT NULL AND "
	    "u.attrs->'name'->>'givenName' <> ''))", { "J" } },
	/* extension attributes, with and without URN */
	{ ENT ":employeeNumber eq \"701984\"",
	    "lower(u.attrs->>'employeeNumber') = lower($3)", { "701984" } },
	{ "employeeNumber eq \"1\"",
	    "lower(u.attrs->>'employeeNumber') = lower($3)", { "1" } },
	{ ENT ":manager eq \"m\"", "u.manager_id::text = $3", { "m" } },
	{ "manager.value eq \"m\"", "u.manager_id::text = $3", { "m" } },
	{ ENT ":manager[value eq \"m\"]", "u.manager_id::text = $3", { "m" } },
	/* multi-valued */
	{ "emails[type eq \"work\" and primary eq true]",
	    "EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE (lower(e.v->>'type') = lower($3) AND "
	    "(e.v->>'primary')::boolean = $4::boolean))", { "work", "true" } },
	{ "emails[type eq \"work\"].value eq \"x@example.com\"",
	    "EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE (lower(e.v->>'type') = lower($3) AND "
	    "lower(e.v->>'value') = lower($4)))", { "work", "x@example.com" } },
	{ "emails[TYPE eq \"work\"].Value ne \"x\"",
	    "EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE (lower(e.v->>'type') = lower($3) AND "
	    "lower(e.v->>'value') IS DISTINCT FROM lower($4)))",
	    { "work", "x" } },
	{ "emails.value eq \"x\"",
	    "EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE lower(e.v->>'value') = lower($3))", { "x" } },
	{ "emails co \"@example.com\"",
	    "EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE lower(e.v->>'value') LIKE lower($3) ESCAPE '\\')",
	    { "%@example.com%" } },
	{ "emails.value ne \"x\"",
	    "NOT EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE lower(e.v->>'value') = lower($3))", { "x" } },
	{ "emails.type eq null",
	    "NOT EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE (e.v->>'type' IS NOT NULL AND e.v->>'type' <> ''))",
	    { NULL } },
	{ "emails pr", "jsonb_path_exists(u.attrs->'emails', 'lax $[*] ? "
	    "(exists (@.*))')", { NULL } },
	{ "emails eq null", "jsonb_path_exists(u.attrs->'emails', 'lax $[*] ? "
	    "(exists (@.*))') IS NOT TRUE", { NULL } },
	{ "emails[not (type eq \"work\")]",
	    "EXISTS (SELECT 1 FROM jsonb_path_query(u.attrs->'emails', "
	    "'lax $[*] ? (exists (@.*))') AS e(v) WHERE (lower(e.v->>'type') = lower($3)) IS NOT TRUE)",
	    { "work" } },
	/* logic: parentheses as the tree has them, not under NULL */
	{ "userName eq \"a\" or userName eq \"b\" and active eq true",
	    "(lower(u.username) = lower($3) OR (lower(u.username) = lower($4) "
	    "AND u.active = $5::boolean))", { "a", "b", "true" } },
	{ "(userName eq \"a\" or userName eq \"b\") and active eq true",
	    "((lower(u.username) = lower($3) OR lower(u.username) = lower($4)) "
	    "AND u.active = $5::boolean)", { "a", "b", "true" } },
	{ "not (userName eq \"a\")", "(lower(u.username) = lower($3)) IS NOT "
	    "TRUE", { "a" } },
	{ "not (userName eq \"a\" or active eq true)",
	    "(lower(u.username) = lower($3) OR u.active = $4::boolean) IS NOT "
	    "TRUE", { "a", "true" } },
	/* request text never reaches the SQL text */
	{ "userName eq \"x'); DROP TABLE users; --\"",
	    "lower(u.username) = lower($3)", { "x'); DROP TABLE users; --" } },
};

START_TEST(test_sql)
{
	struct scim_node *n;
	struct scim_sql q;
	char err[256];
	int i, np = 0;

	while (np < 4 && sqls[_i].params[np] != NULL)
		np++;
	ck_assert_int_eq(scim_filter_parse(sqls[_i].in, strlen(sqls[_i].in),
	    &n, err, sizeof(err)), 0);
	if (scim_filter_sql(n, map, RS_ARRAY_LEN(map), 3, &q, err,
	    sizeof(err)) != 0)
		ck_abort_msg("%s: %s", sqls[_i].in, err);
	ck_assert_str_eq(q.text, sqls[_i].sql);
	ck_assert_uint_eq(q.len, strlen(sqls[_i].sql));
	ck_assert_int_eq(q.nparams, np);
	for (i = 0; i < np; i++)
		ck_assert_str_eq(q.params[i], sqls[_i].params[i]);
	scim_sql_clear(&q);
	ck_assert_ptr_null(q.text);
	scim_node_free(n);
}
END_TEST

/* Groups: members are rows of a table, ids uuid columns. */
static const struct scim_sqlattr gmap[] = {
	{ "id", NULL, "g.id", SCIM_V_STRING, SCIM_SQL_UUID },
	{ "displayName", NULL, "g.display_name", SCIM_V_STRING,
	    SCIM_SQL_LOWER_INDEXED },
	{ "members", NULL, "group_members m WHERE m.group_id = g.id",
	    SCIM_V_STRING, SCIM_SQL_MULTI | SCIM_SQL_ROWS },
	{ "members.value", NULL, "m.user_id", SCIM_V_STRING, SCIM_SQL_UUID },
	{ "members.type", NULL, "'User'", SCIM_V_STRING, SCIM_SQL_CASE_EXACT },
};

#define GM "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id"
#define UID "0f8fad5b-d9cb-469f-a165-70867728950e"

static const struct {
	const char	*in;
	const char	*sql;
	const char	*params[4];	/* $3, $4 ... */
} gsqls[] = {
	{ "id eq \"" UID "\"", "g.id = $3::uuid", { UID } },
	{ "ID EQ \"{0F8FAD5B-D9CB-469F-A165-70867728950E}\"",
	    "g.id = $3::uuid", { UID } },
	{ "id ne \"" UID "\"", "g.id IS DISTINCT FROM $3::uuid", { UID } },
	{ "id eq \"not-a-uuid\"", "FALSE", { NULL } },
	{ "id ne \"not-a-uuid\"", "TRUE", { NULL } },
	{ "id pr", "g.id IS NOT NULL", { NULL } },
	{ "id eq null", "(g.id IS NOT NULL) IS NOT TRUE", { NULL } },
	{ "members[value eq \"" UID "\"]", GM " AND m.user_id = $3::uuid)",
	    { UID } },
	{ "members.value eq \"" UID "\"", GM " AND m.user_id = $3::uuid)",
	    { UID } },
	{ "members eq \"" UID "\"", GM " AND m.user_id = $3::uuid)", { UID } },
	{ "members.value ne \"" UID "\"",
	    "NOT " GM " AND m.user_id = $3::uuid)", { UID } },
	{ "members pr", GM ")", { NULL } },
	{ "members eq null", "NOT " GM ")", { NULL } },
	{ "members[type eq \"User\" and value eq \"x\"]",
	    GM " AND ('User' = $3 AND FALSE))", { "User" } },
	{ "members[type eq \"User\"].value eq \"" UID "\"",
	    GM " AND ('User' = $3 AND m.user_id = $4::uuid))",
	    { "User", UID } },
	{ "displayName eq \"EDU All personal\" and members pr",
	    "(lower(g.display_name) = lower($3) AND " GM "))",
	    { "EDU All personal" } },
};

START_TEST(test_sql_groups)
{
	struct scim_node *n;
	struct scim_sql q;
	char err[256];
	int i, np = 0;

	while (np < 4 && gsqls[_i].params[np] != NULL)
		np++;
	ck_assert_int_eq(scim_filter_parse(gsqls[_i].in, strlen(gsqls[_i].in),
	    &n, err, sizeof(err)), 0);
	if (scim_filter_sql(n, gmap, RS_ARRAY_LEN(gmap), 3, &q, err,
	    sizeof(err)) != 0)
		ck_abort_msg("%s: %s", gsqls[_i].in, err);
	ck_assert_str_eq(q.text, gsqls[_i].sql);
	ck_assert_int_eq(q.nparams, np);
	for (i = 0; i < np; i++)
		ck_assert_str_eq(q.params[i], gsqls[_i].params[i]);
	scim_sql_clear(&q);
	scim_node_free(n);
}
END_TEST

START_TEST(test_sql_groups_refused)
{
	static const char *const in[] = { "id gt \"" UID "\"",
	    "id co \"0f\"", "id eq true", "members.value sw \"0f\"" };
	static const char *const msg[] = {
	    "operator 'gt' is not supported on id attribute 'id'",
	    "operator 'co' is not supported on id attribute 'id'",
	    "attribute 'id' is an id: compare it with a string",
	    "operator 'sw' is not supported on id attribute 'members.value'" };
	struct scim_node *n;
	struct scim_sql q;
	char err[256];
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(in); i++) {
		ck_assert_int_eq(scim_filter_parse(in[i], strlen(in[i]), &n,
		    err, sizeof(err)), 0);
		ck_assert_int_eq(scim_filter_sql(n, gmap, RS_ARRAY_LEN(gmap),
		    1, &q, err, sizeof(err)), -1);
		ck_assert_str_eq(err, msg[i]);
		scim_node_free(n);
	}
}
END_TEST

START_TEST(test_map_find)
{
	struct scim_attrpath a = { NULL, arena_strdup(ta, "USERNAME"), NULL };
	const struct scim_sqlattr *e;

	ck_assert_int_eq(scim_sqlmap_check(gmap, RS_ARRAY_LEN(gmap), NULL, 0),
	    0);
	e = scim_sqlmap_find(map, RS_ARRAY_LEN(map), &a);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->sql, "u.username");
	a.attr = arena_strdup(ta, "name");
	a.sub = arena_strdup(ta, "GIVENNAME");
	ck_assert_str_eq(scim_sqlmap_find(map, RS_ARRAY_LEN(map), &a)->sql,
	    "u.attrs->'name'->>'givenName'");
	a.urn = arena_strdup(ta, ENT);
	a.attr = arena_strdup(ta, "manager");
	a.sub = NULL;
	ck_assert_str_eq(scim_sqlmap_find(map, RS_ARRAY_LEN(map), &a)->sql,
	    "u.manager_id::text");
	a.attr = arena_strdup(ta, "nope");
	ck_assert_ptr_null(scim_sqlmap_find(map, RS_ARRAY_LEN(map), &a));
	ck_assert_ptr_null(scim_sqlmap_find(map, RS_ARRAY_LEN(map), NULL));
}
END_TEST

static const struct {
	const char	*in;
	const char	*err;
} sql_refusals[] = {
	{ "foo eq \"x\"", "unknown attribute 'foo'" },
	{ "name.middleName eq \"x\"", "unknown attribute 'name.middleName'" },
	{ "emails.display eq \"x\"", "unknown attribute 'emails.display'" },
	{ "emails[display eq \"x\"]", "unknown attribute 'emails.display'" },
	{ "emails[type.x eq \"x\"]", "unknown attribute 'emails.type.x'" },
	{ "emails[type eq \"w\"].display eq \"x\"",
	    "unknown attribute 'emails.display'" },
	{ "urn:x:y:userName eq \"x\"", "unknown attribute 'urn:x:y:userName'" },
	{ ENT ":userName eq \"x\"", "unknown attribute '" ENT ":userName'" },
	{ "urn:ietf:params:scim:schemas:core:2.0:Group:manager.value eq 1",
	    "unknown attribute 'urn:ietf:params:scim:schemas:core:2.0:Group:"
	    "manager.value'" },
	{ "active gt true", "operator 'gt' is not supported on boolean "
	    "attribute 'active'" },
	{ "active le false", "operator 'le' is not supported on boolean "
	    "attribute 'active'" },
	{ "active co \"t\"", "operator 'co' is not supported on boolean "
	    "attribute 'active'" },
	{ "emails[primary ge true]", "operator 'ge' is not supported on "
	    "boolean attribute 'emails.primary'" },
	{ "active eq \"yes\"", "attribute 'active' is boolean: compare it with "
	    "true or false" },
	{ "active eq 1", "attribute 'active' is boolean: compare it with true "
	    "or false" },
	{ "x.n eq \"abc\"", "attribute 'x.n' is a number: compare it with a "
	    "number" },
	{ "x.n eq true", "attribute 'x.n' is a number: compare it with a "
	    "number" },
	{ "x.n sw 1", "operator 'sw' is not supported on number attribute "
	    "'x.n'" },
	{ "meta.lastModified gt \"yesterday\"", "attribute "
	    "'meta.lastModified' is a dateTime: compare it with a string such "
	    "as \"2026-01-23T04:56:22Z\"" },
	{ "meta.lastModified gt \"2023-02-29T00:00:00Z\"", "attribute "
	    "'meta.lastModified' is a dateTime: compare it with a string such "
	    "as \"2026-01-23T04:56:22Z\"" },
	{ "meta.lastModified gt \"2023-01-01T24:00:00Z\"", "attribute "
	    "'meta.lastModified' is a dateTime: compare it with a string such "
	    "as \"2026-01-23T04:56:22Z\"" },
	{ "meta.lastModified gt \"2023-01-01T00:00:00+25:00\"", "attribute "
	    "'meta.lastModified' is a dateTime: compare it with a string such "
	    "as \"2026-01-23T04:56:22Z\"" },
	{ "meta.lastModified gt 5", "attribute 'meta.lastModified' is a "
	    "dateTime: compare it with a string such as "
	    "\"2026-01-23T04:56:22Z\"" },
	{ "meta.lastModified co \"2023\"", "operator 'co' is not supported on "
	    "dateTime attribute 'meta.lastModified'" },
	{ "userName eq true", "attribute 'userName' is a string: compare it "
	    "with a string" },
	{ "userName gt null", "null can only be compared with eq or ne "
	    "(attribute 'userName')" },
	{ "emails.value co null", "null can only be compared with eq or ne "
	    "(attribute 'emails')" },
	{ "userName[value eq \"x\"]", "attribute 'userName' has no "
	    "sub-attributes to filter on" },
	{ "userName eq \"a\" and nope pr", "unknown attribute 'nope'" },
};

START_TEST(test_sql_refusals)
{
	struct scim_node *n;
	struct scim_sql q;
	char err[256];

	ck_assert_int_eq(scim_filter_parse(sql_refusals[_i].in,
	    strlen(sql_refusals[_i].in), &n, err, sizeof(err)), 0);
	ck_assert_int_eq(scim_filter_sql(n, map, RS_ARRAY_LEN(map), 3, &q,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, sql_refusals[_i].err);
	ck_assert_ptr_null(q.text);
	ck_assert_int_eq(q.nparams, 0);
	scim_node_free(n);
}
END_TEST

START_TEST(test_sql_params)
{
	struct scim_node *n;
	struct scim_sql q;
	char err[256];

	ck_assert_int_eq(scim_filter_parse("userName eq \"x\"", 15, &n, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(scim_filter_sql(n, map, RS_ARRAY_LEN(map), 0, &q,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "first parameter $0 out of range");
	ck_assert_int_eq(scim_filter_sql(n, map, RS_ARRAY_LEN(map), 1, &q,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(q.text, "lower(u.username) = lower($1)");
	scim_sql_clear(&q);
	ck_assert_int_eq(scim_filter_sql(n, map, 0, 1, &q, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "unknown attribute 'userName'");
	ck_assert_int_eq(scim_filter_sql(NULL, map, 1, 1, &q, err,
	    sizeof(err)), -1);
	scim_node_free(n);
}
END_TEST

/* A tree near the bound (126 nodes) compiles; every value a parameter. */
START_TEST(test_sql_bounded)
{
	struct scim_node *n;
	struct scim_sql q;
	char err[256];
	const char *s = repeat_join("not(", "emails[type eq \"w\"].value co "
	    "\"v\"", " or ", 42, ")");

	ck_assert_int_eq(scim_filter_parse(s, strlen(s), &n, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(scim_filter_sql(n, map, RS_ARRAY_LEN(map), 1, &q,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(q.nparams, 84);
	ck_assert_str_eq(q.params[83], "%v%");
	ck_assert_ptr_null(strstr(q.text, "\"w\""));
	ck_assert_ptr_nonnull(strstr(q.text, "$84"));
	scim_sql_clear(&q);
	scim_node_free(n);
}
END_TEST

START_TEST(test_map_check)
{
	static const struct scim_sqlattr bad_flags[] = {
		{ "a", NULL, "x", SCIM_V_STRING,
		    SCIM_SQL_CASE_EXACT | SCIM_SQL_LOWER_INDEXED },
	};
	static const struct scim_sqlattr bad_bool[] = {
		{ "a", NULL, "x", SCIM_V_BOOL, SCIM_SQL_CASE_EXACT },
	};
	static const struct scim_sqlattr twice[] = {
		{ "a", NULL, "x", SCIM_V_STRING, 0 },
		{ "A", NULL, "y", SCIM_V_STRING, 0 },
	};
	static const struct scim_sqlattr elem[] = {
		{ "e", NULL, "x", SCIM_V_STRING, SCIM_SQL_MULTI },
		{ "e.value", NULL, "u.v", SCIM_V_STRING, 0 },
	};
	static const struct scim_sqlattr name[] = {
		{ "a b", NULL, "x", SCIM_V_STRING, 0 },
	};
	static const struct scim_sqlattr rows[] = {
		{ "a", NULL, "t WHERE t.x = u.x", SCIM_V_STRING, SCIM_SQL_ROWS },
	};
	static const struct scim_sqlattr uuid[] = {
		{ "a", NULL, "x", SCIM_V_STRING,
		    SCIM_SQL_UUID | SCIM_SQL_CASE_EXACT },
	};
	static const struct scim_sqlattr unknown_flag[] = {
		{ "a", NULL, "x", SCIM_V_STRING, 0x40 },
	};
	char err[128];

	ck_assert_int_eq(scim_sqlmap_check(map, RS_ARRAY_LEN(map), err,
	    sizeof(err)), 0);
	ck_assert_int_eq(scim_sqlmap_check(bad_flags, 1, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "row 0 (a): flags do not fit its type");
	ck_assert_int_eq(scim_sqlmap_check(bad_bool, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(scim_sqlmap_check(twice, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "row 1: 'A' again");
	ck_assert_int_eq(scim_sqlmap_check(elem, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "row 1 (e.value): a sub-attribute of a "
	    "multi-valued row reads e.v");
	ck_assert_int_eq(scim_sqlmap_check(name, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "row 0: bad name 'a b'");
	ck_assert_int_eq(scim_sqlmap_check(rows, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(scim_sqlmap_check(uuid, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(scim_sqlmap_check(unknown_flag, 1, err, sizeof(err)),
	    -1);
}
END_TEST

static Suite *
scim_filter_suite(void)
{
	Suite *s = suite_create("scim_filter");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_grammar, 0, RS_ARRAY_LEN(grammar));
	tcase_add_loop_test(tc, test_refusals, 0, RS_ARRAY_LEN(refusals));
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_small_err_buffer);
	tcase_add_test(tc, test_bound_depth);
	tcase_add_test(tc, test_bound_nodes);
	tcase_add_test(tc, test_bound_length);
	tcase_add_loop_test(tc, test_paths, 0, RS_ARRAY_LEN(paths));
	suite_add_tcase(s, tc);

	tc = tcase_create("sql");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_sql, 0, RS_ARRAY_LEN(sqls));
	tcase_add_loop_test(tc, test_sql_refusals, 0,
	    RS_ARRAY_LEN(sql_refusals));
	tcase_add_test(tc, test_sql_params);
	tcase_add_test(tc, test_sql_bounded);
	tcase_add_test(tc, test_map_check);
	tcase_add_loop_test(tc, test_sql_groups, 0, RS_ARRAY_LEN(gsqls));
	tcase_add_test(tc, test_sql_groups_refused);
	tcase_add_test(tc, test_map_find);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(scim_filter_suite()));
}
