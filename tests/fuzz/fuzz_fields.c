/*
 * fuzz_fields.c: Kibo's responseFields selections (dialects/fields.c).
 * The input is the selection, a newline, then a JSON document (seed
 * 002's group when the rest is not JSON).
 *
 * Properties: a selection is accepted only when it is [A-Za-z0-9_]
 * names, ',' and balanced '(' ')', at most 4096 bytes; applying it
 * leaves the document unchanged, keeps of each object a subsequence of
 * its members, only ones the selection names somewhere (ASCII case
 * ignored), and is idempotent: applying it to its own result changes
 * nothing.
 */
#define FUZZ_NAME "fields"
#include "fuzz.h"
#include "../../src/dialects/dialect.h"

static const char group_002[] =
    "{\"auditInfo\":{\"createBy\":\"<string>\",\"createDate\":"
    "\"2023-11-07T05:31:56Z\",\"updateBy\":\"<string>\",\"updateDate\":"
    "\"2023-11-07T05:31:56Z\"},\"description\":\"<string>\",\"groupCode\":"
    "\"<string>\",\"name\":\"<string>\",\"scopeId\":123,\"scopeTypeId\":123,"
    "\"users\":[{\"emailAddress\":\"<string>\",\"externalId\":\"<string>\","
    "\"firstName\":\"<string>\",\"id\":\"<string>\",\"identityProviderId\":"
    "\"<string>\",\"lastName\":\"<string>\",\"userName\":\"<string>\"}]}";

/* Is name[0..n) a name token of the selection text s (any case)? */
static int
named(const char *s, const char *name, size_t n)
{
	const char *p = s;
	size_t len;

	while (*p != '\0') {
		len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		    "TUVWXYZ0123456789_");
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len > 0 ? len : 1;
	}
	return 0;
}

/* out filtered from in: objects keep a subsequence of named members. */
static void
check_subset(const char *sel, const struct value *in,
    const struct value *out, int depth)
{
	size_t i, j;

	if (out == NULL)
		fuzz_fail("NULL in a filtered tree");
	if (out->type == VALUE_NULL && in->type != VALUE_NULL && depth > 64)
		return;		/* cut at the recursion bound */
	if (in->type != out->type)
		fuzz_fail("a %s became a %s", value_type_name(in->type),
		    value_type_name(out->type));
	if (in->type == VALUE_ARRAY) {
		if (in->u.arr.n != out->u.arr.n)
			fuzz_fail("an array lost items");
		for (i = 0; i < in->u.arr.n; i++)
			check_subset(sel, in->u.arr.items[i],
			    out->u.arr.items[i], depth + 1);
		return;
	}
	if (in->type != VALUE_OBJECT)
		return;
	for (i = j = 0; i < out->u.obj.n; i++, j++) {
		const struct member *m = &out->u.obj.members[i];

		while (j < in->u.obj.n && strcmp(in->u.obj.members[j].key,
		    m->key) != 0)
			j++;
		if (j == in->u.obj.n)
			fuzz_fail("member %s is not a subsequence", m->key);
		if (!named(sel, m->key, m->klen))
			fuzz_fail("member %s kept but never named", m->key);
		if (m->val == in->u.obj.members[j].val)
			continue;	/* kept whole: no nested selection */
		check_subset(sel, in->u.obj.members[j].val, m->val,
		    depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size), *nl, *doc_text;
	struct field_sel *sel;
	struct fmt_error err;
	struct value *doc, *r1, *r2;
	const char *before, *j1, *j2;
	size_t len, i, depth;
	int rc;

	if ((nl = memchr(p, '\n', size)) != NULL)
		*nl = '\0';
	doc_text = nl != NULL ? nl + 1 : NULL;
	rc = field_sel_parse(a, p, &sel);
	len = strlen(p);
	if (rc != 0 && rc != -1)
		fuzz_fail("field_sel_parse returned %d", rc);
	if (rc == -1 && sel != NULL)
		fuzz_fail("refused with a selection");
	if (rc == 0) {
		if (len > 4096)
			fuzz_fail("a selection of %zu bytes accepted", len);
		if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		    "TUVWXYZ0123456789_,()") != len)
			fuzz_fail("a selection with other bytes accepted");
		for (i = 0, depth = 0; i < len; i++) {
			if (p[i] == '(')
				depth++;
			else if (p[i] == ')' && depth-- == 0)
				fuzz_fail("unbalanced ')' accepted");
		}
		if (depth != 0)
			fuzz_fail("unbalanced '(' accepted");
		if ((len == 0) != (sel == NULL))
			fuzz_fail("empty selection and NULL disagree");
	}
	if (rc != 0 || sel == NULL)
		goto out;
	if (doc_text == NULL || json_decode(a, doc_text,
	    size - (size_t)(doc_text - p), NULL, &doc, &err) != FMT_OK) {
		if (json_decode(a, group_002, sizeof(group_002) - 1, NULL, &doc,
		    &err) != FMT_OK)
			fuzz_fail("seed 002's group does not decode");
	}
	fuzz_accepted++;
	before = fuzz_json(a, doc);
	r1 = field_sel_apply(a, sel, doc);
	if (strcmp(before, fuzz_json(a, doc)) != 0)
		fuzz_fail("the document was changed");
	check_subset(p, doc, r1, 0);
	r2 = field_sel_apply(a, sel, r1);
	j1 = fuzz_json(a, r1);
	j2 = fuzz_json(a, r2);
	if (strcmp(j1, j2) != 0)
		fuzz_fail("not idempotent:\n%s\n%s", j1, j2);
out:
	arena_reset(a);
	return 0;
}
