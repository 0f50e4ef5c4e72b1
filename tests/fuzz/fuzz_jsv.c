/*
 * fuzz_jsv.c: a fuzz target for the JSV decoder (formats/jsv.c) and the
 * encoder's round trip.  Property: whatever jsv_decode() accepts,
 * jsv_encode() writes text that decodes again and re-encodes to the same
 * bytes; nothing crashes, reads out of bounds or leaks (the sanitizer
 * build checks).
 *
 * Built with -DROSTERD_LIBFUZZER and -fsanitize=fuzzer it is a libFuzzer
 * target.  Otherwise main() is a self-contained, deterministic mutation
 * fuzzer over a seed corpus (seed 001's samples and the grammar's edge
 * cases), run by `make check`: FUZZ_JSV_RUNS (default 20000) inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/formats/jsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *fa;
static long accepted;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct value *v, *w;
	struct fmt_error err;
	struct buf b1, b2;
	char *copy;

	if (fa == NULL)
		fa = arena_new(1u << 26);
	copy = arena_alloc(fa, size + 1);	/* exact bytes, as a body */
	memcpy(copy, data, size);
	if (jsv_decode(fa, copy, size, NULL, &v, &err) == FMT_OK) {
		accepted++;
		buf_init(&b1, fa);
		jsv_encode(&b1, v);
		if (b1.failed)
			abort();
		if (jsv_decode(fa, b1.p, b1.len, NULL, &w, &err) != FMT_OK) {
			fprintf(stderr, "re-decode failed: %s\n", err.msg);
			abort();
		}
		buf_init(&b2, fa);
		jsv_encode(&b2, w);
		if (b2.failed || b1.len != b2.len ||
		    memcmp(b1.p, b2.p, b1.len) != 0) {
			fprintf(stderr, "round trip differs:\n%s\n%s\n", b1.p,
			    b2.p);
			abort();
		}
	}
	arena_reset(fa);
	return 0;
}

#ifndef ROSTERD_LIBFUZZER
static const char *const seeds[] = {
	"{eMail:alice@example.com}",
	"{\neMail: String,\nresponseStatus:\n{\nerrorCode: String,\n"
	"errors:\n[\n{\nfieldName: String,\nmeta:\n{\nString: String\n}\n}\n"
	"],\nmeta:\n{\nString: String\n}\n}\n}",
	"{a:\"x,y\",b:\"say \"\"hi\"\"\",c:[1,,2],d:{},e:[],f:\"\"}",
	"[a,b,[c,{d:e}]]",
	"{a:\" lead\",b:\"trail \",c:\"{[]}\",d:\"a:b\"}",
	"{id:0,birthDate:0001-01-01,createdDate:2023-11-07T05:31:56Z}",
	"\"\"", "x", "[]", "{}", "[[[[[]]]]]",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* One mutation of buf[0..*n) (capacity cap). */
static void
mutate(uint8_t *buf, size_t *n, size_t cap)
{
	static const char dict[] = "{}[],:\"  \t\r\nab\xc3\xa9\x00\xff";
	size_t at = *n ? rnd((uint32_t)*n) : 0;

	switch (rnd(5)) {
	case 0:		/* flip a bit */
		if (*n)
			buf[at] ^= (uint8_t)(1u << rnd(8));
		break;
	case 1:		/* insert a structural byte */
		if (*n < cap) {
			memmove(buf + at + 1, buf + at, *n - at);
			buf[at] = (uint8_t)dict[rnd(sizeof(dict) - 1)];
			(*n)++;
		}
		break;
	case 2:		/* delete a byte */
		if (*n) {
			memmove(buf + at, buf + at + 1, *n - at - 1);
			(*n)--;
		}
		break;
	case 3:		/* duplicate a run */
		if (*n && *n * 2 <= cap) {
			size_t len = rnd((uint32_t)(*n - at)) + 1;

			memmove(buf + at + len, buf + at, *n - at);
			(*n) += len;
		}
		break;
	default:	/* truncate */
		*n = at;
		break;
	}
}

int
main(void)
{
	uint8_t buf[4096];
	const char *env = getenv("FUZZ_JSV_RUNS");
	long runs = env ? atol(env) : 20000, i;
	size_t n, k, s;

	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		LLVMFuzzerTestOneInput((const uint8_t *)seeds[s],
		    strlen(seeds[s]));
	for (i = 0; i < runs; i++) {
		s = rnd(sizeof(seeds) / sizeof(seeds[0]));
		n = strlen(seeds[s]);
		memcpy(buf, seeds[s], n);
		for (k = rnd(8) + 1; k > 0; k--)
			mutate(buf, &n, sizeof(buf));
		LLVMFuzzerTestOneInput(buf, n);
	}
	arena_free(fa);
	printf("fuzz_jsv: %ld inputs, %ld accepted and round-tripped\n",
	    runs, accepted);
	return 0;
}
#endif
