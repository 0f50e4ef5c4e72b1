/*
 * fuzz_jsv.c: the JSV decoder (formats/jsv.c) and the encoder's round
 * trip.  Properties: whatever jsv_decode() accepts keeps the limits it
 * was given (the defaults, the config's defaults, a tight set), holds
 * strict UTF-8 without NUL and no duplicate key; jsv_encode() writes
 * text that decodes again and re-encodes to the same bytes; nothing
 * crashes, reads out of bounds or leaks (the sanitizer builds check).
 *
 * Corpus: tests/fuzz/corpus/jsv (seed 001's samples and the grammar's
 * edge cases); see fuzz.h for the two ways it runs.
 */
#define FUZZ_NAME "jsv"
#include "fuzz.h"
#include "../../src/formats/jsv.h"

static const struct fmt_limits sets[] = {
	/* config.c defaults (dialect_limits()) */
	{ .max_depth = 32, .max_items = 1024, .max_string = 65536,
	    .max_nodes = 50000 },
	{ .max_depth = 3, .max_items = 4, .max_string = 8, .max_nodes = 12 },
};

static void
one(struct arena *a, const char *p, size_t n, const struct fmt_limits *lim)
{
	const struct fmt_limits *l = lim != NULL ? lim : &fmt_default_limits;
	struct value *v, *w;
	struct fmt_error err;
	enum fmt_status st;
	struct buf b1, b2;
	size_t nodes = 0;

	st = jsv_decode(a, p, n, lim, &v, &err);
	if (st >= FMT__MAX)
		fuzz_fail("status %d", (int)st);
	if (st != FMT_OK) {
		if (v != NULL || err.msg[0] == '\0')
			fuzz_fail("refusal %d with a tree or no message",
			    (int)st);
		return;
	}
	fuzz_accepted++;
	fuzz_check_tree(v, l, 0, &nodes);
	if (nodes > l->max_nodes)
		fuzz_fail("%zu values past max_nodes", nodes);
	if (!fuzz_no_duplicates(v))
		fuzz_fail("duplicate key accepted");
	buf_init(&b1, a);
	jsv_encode(&b1, v);
	if (b1.failed)
		fuzz_fail("jsv_encode failed");
	if (jsv_decode(a, b1.p, b1.len, lim, &w, &err) != FMT_OK)
		fuzz_fail("re-decode failed: %s\n%s", err.msg, b1.p);
	buf_init(&b2, a);
	jsv_encode(&b2, w);
	if (b2.failed || b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
		fuzz_fail("round trip differs:\n%s\n%s", b1.p, b2.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size);
	size_t i;

	one(a, p, size, NULL);
	for (i = 0; i < RS_ARRAY_LEN(sets); i++)
		one(a, p, size, &sets[i]);
	arena_reset(a);
	return 0;
}
