/*
 * fuzz_scim_filter.c: SCIM filters and PATCH paths (scim/filter.c).
 *
 * Properties: an accepted filter is a tree within the bounds (nodes,
 * depth) whose strings are strict UTF-8 without NUL; written back in a
 * canonical form (only the parentheses precedence needs) it parses to
 * the same tree; compiled over a sample map, its SQL text holds only the
 * map's fragments and keywords (never a '"' or ';', which no fragment
 * has), and refers to no parameter past the ones it returns; a refusal
 * always comes with a message.  Accepted paths hold an attribute name.
 */
#define FUZZ_NAME "scim_filter"
#include "fuzz.h"
#include "../../src/scim/filter.h"

#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static const struct scim_sqlattr map[] = {
	{ "userName", NULL, "u.username", SCIM_V_STRING,
	    SCIM_SQL_LOWER_INDEXED },
	{ "externalId", NULL, "u.external_id", SCIM_V_STRING,
	    SCIM_SQL_CASE_EXACT },
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

static void
check_str(const char *s, const char *what)
{
	if (s == NULL)
		fuzz_fail("%s is NULL", what);
	if (utf8_check(s, strlen(s)) != strlen(s))
		fuzz_fail("%s is not UTF-8", what);
}

static void
check_path(const struct scim_attrpath *a)
{
	check_str(a->attr, "attr");
	if (a->attr[0] == '\0')
		fuzz_fail("empty attribute name");
	if (a->urn != NULL)
		check_str(a->urn, "urn");
	if (a->sub != NULL)
		check_str(a->sub, "sub");
}

/* Checks n's fields; returns its node count, *depth its nesting. */
static int
check_tree(const struct scim_node *n, int level, int *depth)
{
	if (n == NULL)
		fuzz_fail("NULL node");
	if (level > *depth)
		*depth = level;
	switch (n->kind) {
	case SCIM_N_AND:
	case SCIM_N_OR:
		return 1 + check_tree(n->left, level, depth) +
		    check_tree(n->right, level, depth);
	case SCIM_N_NOT:
		return 1 + check_tree(n->left, level + 1, depth);
	case SCIM_N_VALPATH:
		check_path(&n->path);
		return 1 + check_tree(n->left, level + 1, depth);
	case SCIM_N_CMP:
		check_path(&n->path);
		if (n->op > SCIM_LE)
			fuzz_fail("operator %d", (int)n->op);
		if (n->op != SCIM_PR && n->vtype != SCIM_V_NULL)
			check_str(n->value, "value");
		return 1;
	}
	fuzz_fail("node kind %d", (int)n->kind);
}

static void write_node(struct buf *b, const struct scim_node *n);

static void
write_path(struct buf *b, const struct scim_attrpath *a)
{
	if (a->urn != NULL)
		buf_printf(b, "%s:", a->urn);
	buf_puts(b, a->attr);
	if (a->sub != NULL)
		buf_printf(b, ".%s", a->sub);
}

static void
write_cmp(struct buf *b, const struct scim_node *n)
{
	buf_printf(b, " %s", scim_op_name(n->op));
	if (n->op == SCIM_PR)
		return;
	if (n->vtype == SCIM_V_NULL)
		buf_puts(b, " null");
	else if (n->vtype == SCIM_V_STRING) {
		buf_puts(b, " \"");
		buf_put_json_escaped(b, n->value, strlen(n->value));
		buf_putc(b, '"');
	} else
		buf_printf(b, " %s", n->value);
}

static void
write_sub(struct buf *b, const struct scim_node *n, int paren)
{
	if (paren)
		buf_putc(b, '(');
	write_node(b, n);
	if (paren)
		buf_putc(b, ')');
}

/* The canonical filter text of n: parentheses only where needed. */
static void
write_node(struct buf *b, const struct scim_node *n)
{
	switch (n->kind) {
	case SCIM_N_AND:
		write_sub(b, n->left, n->left->kind == SCIM_N_OR);
		buf_puts(b, " and ");
		write_sub(b, n->right, n->right->kind == SCIM_N_OR ||
		    n->right->kind == SCIM_N_AND);
		break;
	case SCIM_N_OR:
		write_node(b, n->left);
		buf_puts(b, " or ");
		write_sub(b, n->right, n->right->kind == SCIM_N_OR);
		break;
	case SCIM_N_NOT:
		buf_puts(b, "not ");
		write_sub(b, n->left, 1);
		break;
	case SCIM_N_VALPATH:		/* path.sub comes after "]" */
		if (n->path.urn != NULL)
			buf_printf(b, "%s:", n->path.urn);
		buf_puts(b, n->path.attr);
		buf_putc(b, '[');
		write_node(b, n->left);
		buf_putc(b, ']');
		if (n->path.sub != NULL) {
			buf_printf(b, ".%s", n->path.sub);
			write_cmp(b, n);
		}
		break;
	case SCIM_N_CMP:
		write_path(b, &n->path);
		write_cmp(b, n);
		break;
	}
}

/* Checks the compiled SQL of an accepted tree. */
static void
check_sql(const struct scim_node *n)
{
	struct scim_sql q;
	char err[256];
	const char *p;
	long k;
	int i;

	if (scim_filter_sql(n, map, RS_ARRAY_LEN(map), 2, &q, err,
	    sizeof(err)) != 0) {
		if (err[0] == '\0' || q.text != NULL || q.nparams != 0)
			fuzz_fail("a refusal without message or with output");
		return;
	}
	if (q.text == NULL || strlen(q.text) != q.len || q.len == 0)
		fuzz_fail("bad SQL text");
	if (strpbrk(q.text, "\";") != NULL)
		fuzz_fail("request text in the SQL: %s", q.text);
	if (q.nparams > SCIM_FILTER_MAX_NODES)
		fuzz_fail("%d parameters", q.nparams);
	for (i = 0; i < q.nparams; i++)
		check_str(q.params[i], "parameter");
	for (p = q.text; (p = strchr(p, '$')) != NULL; p++) {
		if (p[1] < '0' || p[1] > '9')
			continue;	/* the jsonpath's "$[*]" */
		k = strtol(p + 1, NULL, 10);
		if (k < 2 || k >= 2 + q.nparams)
			fuzz_fail("$%ld of %d parameters in %s", k, q.nparams,
			    q.text);
	}
	scim_sql_clear(&q);
}

static void
check_filter(struct arena *a, const char *p, size_t size)
{
	struct scim_node *n, *m;
	struct buf b, c;
	char err[256];
	int depth = 0, nodes;

	if (scim_filter_parse(p, size, &n, err, sizeof(err)) != 0) {
		if (n != NULL || err[0] == '\0')
			fuzz_fail("a refusal with a tree or without message");
		return;
	}
	fuzz_accepted++;
	if (size > SCIM_FILTER_MAX_LEN)
		fuzz_fail("%zu bytes accepted", size);
	nodes = check_tree(n, 0, &depth);
	if (nodes > SCIM_FILTER_MAX_NODES || depth > SCIM_FILTER_MAX_DEPTH)
		fuzz_fail("%d nodes, depth %d accepted", nodes, depth);
	buf_init(&b, a);
	write_node(&b, n);
	if (b.len <= SCIM_FILTER_MAX_LEN) {
		if (scim_filter_parse(b.p, b.len, &m, err, sizeof(err)) != 0)
			fuzz_fail("canonical form refused (%s): %s", err, b.p);
		buf_init(&c, a);
		write_node(&c, m);
		if (strcmp(b.p, c.p) != 0)
			fuzz_fail("canonical form differs:\n%s\n%s", b.p, c.p);
		scim_node_free(m);
	}
	check_sql(n);
	scim_node_free(n);
}

static void
check_patch_path(const char *p, size_t size)
{
	struct scim_path path;
	char err[256];

	if (scim_path_parse(p, size, &path, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || path.filter != NULL)
			fuzz_fail("a path refused without message");
		scim_path_clear(&path);
		return;
	}
	check_path(&path.attr);
	if (path.filter != NULL && path.attr.sub != NULL)
		fuzz_fail("a filter after a sub-attribute");
	if (path.sub_after != NULL && path.filter == NULL)
		fuzz_fail("a sub-attribute after no filter");
	scim_path_clear(&path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size);

	check_filter(a, p, size);
	check_patch_path(p, size);
	arena_reset(a);
	return 0;
}
