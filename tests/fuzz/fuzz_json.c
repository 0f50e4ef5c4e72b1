/*
 * fuzz_json.c: the JSON decoder (formats/json.c) under each set of
 * limits a caller passes it, and the encoder.
 *
 * Properties: whatever json_decode() accepts keeps the limits it was
 * given (depth, items, string bytes, values), holds only strict UTF-8
 * without NUL and no duplicate key; its json_encode() text decodes
 * again under the same limits and encodes to the same bytes (a fixed
 * point); a document accepted under stricter limits is accepted under
 * looser ones.  A refusal always says why (message).
 *
 * The walk of PostgreSQL's text (json_walk_start/next, json_put_compact)
 * reads no byte past any input and ends; on an object or array that
 * json_decode accepts it yields the members or items in order, each key
 * and value (compacted) decoding to the tree's.
 */
#define FUZZ_NAME "json"
#include "fuzz.h"

/*
 * The limits the callers use.  These copy static tables of src/ (kept
 * in step by hand: a change there that the fuzzer should cover needs
 * a line here).
 */
static const struct {
	const char		*name;
	struct fmt_limits	 lim;
} sets[] = {
	/* v1.c v1_limits: every v1 JSON body */
	{ "v1", { .max_depth = 16, .max_items = 1024, .max_string = 65536,
	    .max_nodes = 20000 } },
	/* v1_groups.c bulk_limits (V1_BULK_MAX 10000) */
	{ "v1-bulk", { .max_depth = 4, .max_items = 40000,
	    .max_string = 4096, .max_nodes = 40016 } },
	/* kibo_admin_groups.c ids_limits (KIBO_BULK_MAX 10000) */
	{ "kibo-ids", { .max_depth = 4, .max_items = 40000,
	    .max_string = 4096, .max_nodes = 40016 } },
	/* config.c defaults: max_depth, max_items, max_string_bytes,
	 * max_values (the dialects' dialect_limits()) */
	{ "config", { .max_depth = 32, .max_items = 1024,
	    .max_string = 65536, .max_nodes = 50000 } },
	/* scim_resource.c stored_limits: what rosterd itself stored */
	{ "scim-stored", { .max_depth = 64, .max_items = 1000000,
	    .max_string = 1 << 24, .max_nodes = 10000000,
	    .max_number = 1 << 24 } },
	/* a tight set, so that the limits themselves are reached */
	{ "tight", { .max_depth = 3, .max_items = 4, .max_string = 8,
	    .max_nodes = 12 } },
};

/* A number's bound (0: json.c's 64). */
static size_t
max_number(const struct fmt_limits *l)
{
	return l->max_number != 0 ? l->max_number : 64;
}

/* a's limits are each at most b's */
static int
stricter(const struct fmt_limits *a, const struct fmt_limits *b)
{
	return a->max_depth <= b->max_depth && a->max_items <= b->max_items &&
	    a->max_string <= b->max_string && a->max_nodes <= b->max_nodes &&
	    max_number(a) <= max_number(b);
}

/* One walk of data (not NUL-terminated: a read past it is reported). */
static void
check_walk(struct arena *a, const char *data, size_t size, const char *p)
{
	struct json_walk w;
	struct json_span k, s;
	struct fmt_error err;
	struct value *v, *x, *item;
	struct buf b;
	size_t i = 0, n = 0;
	int rc;

	if (json_decode(a, p, size, NULL, &v, &err) != FMT_OK ||
	    (v->type != VALUE_OBJECT && v->type != VALUE_ARRAY))
		v = NULL;
	if (v != NULL)
		n = v->type == VALUE_OBJECT ? v->u.obj.n : v->u.arr.n;
	if (json_walk_start(&w, data, size, 64) != 0) {
		if (v != NULL)
			fuzz_fail("walk refused an accepted container");
		return;
	}
	while ((rc = json_walk_next(&w, &k, &s)) == 1) {
		buf_init(&b, a);
		json_put_compact(&b, s.p, s.n);
		if (v == NULL)
			continue;
		if (i >= n)
			fuzz_fail("walk found more than %zu members", n);
		item = v->type == VALUE_OBJECT ? v->u.obj.members[i].val :
		    v->u.arr.items[i];
		if (json_decode(a, b.p, b.len, NULL, &x, &err) != FMT_OK)
			fuzz_fail("member %zu compacted (%s) refused: %s", i,
			    b.p, err.msg);
		if (strcmp(fuzz_json(a, x), fuzz_json(a, item)) != 0)
			fuzz_fail("member %zu: %s, not %s", i,
			    fuzz_json(a, x), fuzz_json(a, item));
		if (v->type == VALUE_OBJECT) {
			buf_init(&b, a);
			json_put_compact(&b, k.p - 1, k.n + 2);
			if (json_decode(a, b.p, b.len, NULL, &x, &err) !=
			    FMT_OK || x->type != VALUE_STRING ||
			    strcmp(x->u.str.p, v->u.obj.members[i].key) != 0)
				fuzz_fail("key %zu: %s, not %s", i, b.p,
				    v->u.obj.members[i].key);
		}
		i++;
	}
	if (v != NULL && (rc != 0 || i != n))
		fuzz_fail("walk of an accepted container: %d after %zu of "
		    "%zu", rc, i, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	struct fmt_error err;
	struct value *v, *w;
	enum fmt_status st[RS_ARRAY_LEN(sets) + 1];
	const struct fmt_limits *lim;
	const char *e1, *e2;
	size_t i, j, nodes;
	char *p;

	p = fuzz_copy(a, data, size);
	for (i = 0; i <= RS_ARRAY_LEN(sets); i++) {
		lim = i < RS_ARRAY_LEN(sets) ? &sets[i].lim :
		    &fmt_default_limits;
		st[i] = json_decode(a, p, size, i < RS_ARRAY_LEN(sets) ?
		    lim : NULL, &v, &err);
		if (st[i] >= FMT__MAX)
			fuzz_fail("status %d", (int)st[i]);
		if (st[i] != FMT_OK) {
			if (v != NULL)
				fuzz_fail("refusal with a tree");
			if (err.msg[0] == '\0')
				fuzz_fail("refusal %d without a message",
				    (int)st[i]);
			continue;
		}
		if (v == NULL)
			fuzz_fail("FMT_OK without a tree");
		fuzz_accepted++;
		nodes = 0;
		fuzz_check_tree(v, lim, 0, &nodes);
		if (nodes > lim->max_nodes)
			fuzz_fail("%zu values past max_nodes %zu", nodes,
			    lim->max_nodes);
		if (!fuzz_no_duplicates(v))
			fuzz_fail("duplicate key accepted");
		e1 = fuzz_json(a, v);
		if (json_decode(a, e1, strlen(e1), lim, &w, &err) != FMT_OK)
			fuzz_fail("re-decode of %s failed: %s", e1, err.msg);
		e2 = fuzz_json(a, w);
		if (strcmp(e1, e2) != 0)
			fuzz_fail("round trip differs:\n%s\n%s", e1, e2);
	}
	check_walk(a, (const char *)data, size, p);
	/* monotone in the limits */
	for (i = 0; i < RS_ARRAY_LEN(sets); i++)
		for (j = 0; j <= RS_ARRAY_LEN(sets); j++) {
			lim = j < RS_ARRAY_LEN(sets) ? &sets[j].lim :
			    &fmt_default_limits;
			if (st[i] == FMT_OK && st[j] != FMT_OK &&
			    stricter(&sets[i].lim, lim))
				fuzz_fail("accepted under %s, refused (%d) "
				    "under looser limits", sets[i].name,
				    (int)st[j]);
			if (st[i] != FMT_OK && st[i] != FMT_LIMIT &&
			    st[j] != st[i] && st[j] != FMT_LIMIT)
				fuzz_fail("refusal %d under %s but %d "
				    "elsewhere", (int)st[i], sets[i].name,
				    (int)st[j]);
		}
	arena_reset(a);
	return 0;
}
