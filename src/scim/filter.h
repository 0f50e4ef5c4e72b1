/*
 * filter.h: SCIM 2.0 filters (RFC 7644 §3.4.2.2) and PATCH paths
 * (§3.5.2), parsed into a tree, and the tree compiled into a SQL
 * boolean expression whose text comes only from a fixed attribute map
 * and operator keywords, the compared values going out as $n
 * parameters.  A pure library: no database, no JSON decoder.
 *
 * The grammar accepted (keywords, operators and the literals true,
 * false, null match without regard to case, as ABNF literals do):
 *
 *	filter    = orExp
 *	orExp     = andExp *( "or" andExp )		; and binds tighter
 *	andExp    = unary *( "and" unary )
 *	unary     = "not" "(" filter ")" / "(" filter ")"
 *		  / attrPath "[" valFilter "]" [ "." subAttr cmp ]
 *		  / attrPath cmp
 *	cmp       = "pr" / compareOp compValue
 *	compareOp = eq / ne / co / sw / ew / gt / lt / ge / le
 *	compValue = false / null / true / number / string  ; JSON's
 *	attrPath  = [ URN ":" ] ATTRNAME [ "." subAttr ]
 *	valFilter = filter without another "[...]" inside
 *
 * Whitespace (space, tab, CR, LF) may surround any token, in any
 * amount; none is needed where the tokens are apart anyway ("(a pr)").
 * ATTRNAME is ALPHA or "$" then ALPHA, DIGIT, "-" or "_" ("$ref").
 * The URN ends at the last ':' of the path, so the dots of "2.0" stay in
 * it: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:
 * manager.value" is urn "...:2.0:User", attr "manager", sub "value".
 * "emails[type eq \"work\"].value eq \"x\"" (not in the ABNF, sent by
 * Microsoft Entra ID) is one VALPATH node whose path.sub, op, vtype and
 * value compare that sub-attribute of the same element.
 *
 * Numbers are JSON numbers; a leading '+' is also taken (and dropped).
 * Strings are JSON strings: the escapes \" \\ \/ \b \f \n \r \t \uXXXX
 * (surrogate pairs joined) are decoded to UTF-8; a lone surrogate,
 * \u0000, a raw control character or ill-formed UTF-8 is refused.
 */
#ifndef ROSTERD_SCIM_FILTER_H
#define ROSTERD_SCIM_FILTER_H

#include <stddef.h>

#define SCIM_FILTER_MAX_LEN	4096	/* bytes of filter or path text */
#define SCIM_FILTER_MAX_DEPTH	16	/* nested "(", "not(" and "[" */
#define SCIM_FILTER_MAX_NODES	128	/* nodes of one tree */

enum scim_op {
	SCIM_EQ, SCIM_NE, SCIM_CO, SCIM_SW, SCIM_EW, SCIM_PR, SCIM_GT,
	SCIM_GE, SCIM_LT, SCIM_LE
};
enum scim_vtype { SCIM_V_STRING, SCIM_V_NUMBER, SCIM_V_BOOL, SCIM_V_NULL };
enum scim_node_kind {
	SCIM_N_CMP, SCIM_N_AND, SCIM_N_OR, SCIM_N_NOT, SCIM_N_VALPATH
};

struct scim_attrpath {		/* urn:...:User:name.givenName */
	char	*urn;		/* "urn:...:User", NULL when not given */
	char	*attr;		/* "name" (as written; compare without case) */
	char	*sub;		/* "givenName" or NULL */
};

struct scim_node {
	enum scim_node_kind kind;
	struct scim_attrpath path;	/* CMP, VALPATH */
	enum scim_op	op;		/* CMP; VALPATH when path.sub */
	enum scim_vtype	vtype;		/* CMP (not PR) */
	char		*value;		/* CMP: the string decoded, the number's
					 * text, "true"/"false"; NULL for pr and
					 * null */
	struct scim_node *left, *right;	/* AND/OR; NOT uses left; VALPATH:
					 * left = the filter inside [] */
};

/* A PATCH path: attrPath | valuePath [ "." subAttr ]. */
struct scim_path {
	struct scim_attrpath attr;	/* attr.sub only without a filter */
	struct scim_node *filter;	/* what is inside [], or NULL */
	char		*sub_after;	/* "value" of members[...].value */
};

/* Names of the operators ("eq"...), for messages. */
const char *scim_op_name(enum scim_op op);

/*
 * Parses the filter s[0..len) into a tree the caller frees with
 * scim_node_free().  Returns 0 and sets *out, or -1 with *out NULL and a
 * message in err (NUL-terminated, cut to errlen) that names the byte
 * offset and what was found there, for a 400 invalidFilter.  Text longer
 * than SCIM_FILTER_MAX_LEN, nested deeper than SCIM_FILTER_MAX_DEPTH or
 * of more than SCIM_FILTER_MAX_NODES nodes is refused the same way.
 */
int scim_filter_parse(const char *s, size_t len, struct scim_node **out,
    char *err, size_t errlen);

/*
 * Parses a PATCH path s[0..len) into *out (cleared first; the caller
 * releases it with scim_path_clear(), also after a failure).  Returns 0,
 * or -1 with a message in err for a 400 invalidPath.
 */
int scim_path_parse(const char *s, size_t len, struct scim_path *out,
    char *err, size_t errlen);

/* Frees a tree (NULL is fine). */
void scim_node_free(struct scim_node *n);
/* Frees what a path holds and zeroes it. */
void scim_path_clear(struct scim_path *p);

/*
 * The attribute map: one row per attribute a filter may name.
 *
 * name	  "userName", "name.givenName", "emails", "emails.value": the
 *	  attribute (and sub-attribute) as the schema spells it; matched
 *	  without regard to case.
 * urn	  the schema URN of an extension attribute, or NULL for the
 *	  resource's core schema.  A path without URN finds a core row
 *	  first, then an extension row of that name; a path with a URN
 *	  finds the row of that URN, or a core row when the URN is a core
 *	  one ("urn:ietf:params:scim:schemas:core:2.0:...").
 * sql	  a fixed SQL expression: a column ("u.username"), an expression
 *	  ("u.attrs->'name'->>'givenName'").  It is pasted into the output
 *	  as it is, so it must be a complete operand (parenthesise
 *	  casts of operators: "(u.attrs->>'n')::numeric").
 * type	  STRING (text), NUMBER (numeric), BOOL (boolean); with
 *	  SCIM_SQL_DATETIME a STRING is a timestamptz.
 * flags  below.
 *
 * Multi-valued complex attributes (emails, phoneNumbers, members...):
 * the row of the attribute itself ("emails") has SCIM_SQL_MULTI and a sql
 * that yields a jsonb array of objects or SQL NULL, never another jsonb
 * value ("u.attrs->'emails'").  Its sub-attributes are rows of their own
 * ("emails.value", "emails.type", "emails.primary") whose sql reads the
 * element SCIM_SQL_ELEM ("e.v->>'type'", "(e.v->>'primary')::boolean"):
 * only these fixed fragments, never a name from the request, reach the
 * SQL text.  Such a filter becomes
 *	EXISTS (SELECT 1 FROM jsonb_array_elements(<emails sql>) AS e(v)
 *	    WHERE <the comparison on the element>)
 * for emails[type eq "work"], emails.value eq "x", emails eq "x" (a
 * multi-valued attribute without sub-attribute compares its "value") and
 * emails[type eq "work"].value eq "x".  "emails pr" is a non-empty array.
 *
 * A complex attribute that is not multi-valued has no row of its own:
 * name[givenName eq "x"] is name.givenName eq "x", and "manager eq x"
 * (no row "manager") compares "manager.value".
 */
#define SCIM_SQL_ELEM		"e.v"	/* the element, jsonb */

#define SCIM_SQL_CASE_EXACT	0x01	/* strings compare with case */
#define SCIM_SQL_MULTI		0x02	/* jsonb array of objects */
#define SCIM_SQL_DATETIME	0x04	/* a STRING that is a timestamptz */
#define SCIM_SQL_LOWER_INDEXED	0x08	/* an index on lower(sql) exists:
					 * not with CASE_EXACT */

struct scim_sqlattr {
	const char	*name;
	const char	*urn;
	const char	*sql;
	enum scim_vtype	 type;
	unsigned	 flags;
};

/*
 * The compiled expression: text (NUL-terminated, len bytes) and the
 * values of its parameters $first_param ... $(first_param + nparams -
 * 1), params[0] being $first_param, all as text (numbers as written,
 * booleans "true"/"false", dateTimes as given, LIKE patterns already
 * escaped).  scim_sql_clear() frees all of it.
 */
struct scim_sql {
	char		*text;
	size_t		 len;
	const char	**params;
	int		 nparams;
};

/*
 * Compiles a tree against map[0..nmap) into *out (cleared first), the
 * first parameter being $first_param.  Returns 0, or -1 with *out
 * cleared and a message in err (unknown attribute, an operator the
 * attribute's type does not have, a value of the wrong type): a 400
 * invalidFilter.
 *
 * The expression is true exactly for the rows the filter matches, never
 * NULL under a "not": strings compare without case unless
 * SCIM_SQL_CASE_EXACT (lower(sql) <op> lower($n)); eq, gt, ge, lt, le
 * and co, sw, ew (LIKE, the pattern built and escaped here) never match
 * an absent value; ne matches one ("a ne v" is "not (a eq v)", IS
 * DISTINCT FROM); pr is IS NOT NULL, and not '' for strings; "eq null"
 * is "not pr" and "ne null" is "pr"; booleans have eq, ne and pr only;
 * numbers and dateTimes have no co, sw, ew.
 */
int scim_filter_sql(const struct scim_node *n, const struct scim_sqlattr *map,
    size_t nmap, int first_param, struct scim_sql *out, char *err,
    size_t errlen);

/* Frees what a compiled expression holds and zeroes it. */
void scim_sql_clear(struct scim_sql *s);

/*
 * Checks a map once (at start-up, in tests): names well formed and not
 * repeated within a schema, flags that fit the type, a sub-attribute row
 * of a SCIM_SQL_MULTI row reading SCIM_SQL_ELEM.  0, or -1 with err.
 */
int scim_sqlmap_check(const struct scim_sqlattr *map, size_t nmap,
    char *err, size_t errlen);

#endif
