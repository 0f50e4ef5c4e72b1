/*
 * fuzz.h: what every fuzz target shares.
 *
 * A target defines FUZZ_NAME ("json") before including this file and
 * implements LLVMFuzzerTestOneInput().  Built with -DROSTERD_LIBFUZZER
 * and -fsanitize=fuzzer (./configure --enable-fuzzer, scripts/fuzz) it
 * is a libFuzzer target.  Otherwise this file supplies main(), which
 * `make check` runs in the default and the sanitizer builds:
 *
 *	fuzz_NAME [FILE|DIR ...]
 *
 * replays every file given (a directory: each of its files), by default
 * the committed corpus $top_srcdir/tests/fuzz/corpus/NAME, then feeds
 * FUZZ_RUNS (default 2000) deterministic mutations of those files, so
 * that a crash found once stays a regression test in both builds.
 *
 * Invariant failures call fuzz_fail(), which prints the reason and
 * aborts: libFuzzer keeps the input as a crash.
 */
#ifndef ROSTERD_FUZZ_H
#define ROSTERD_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/formats/formats.h"

#ifndef FUZZ_NAME
#error "define FUZZ_NAME before including fuzz.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn, unused));

/* Inputs the code under test accepted (printed standalone). */
static long fuzz_accepted;

/* Standalone mode: the input at hand, written out when it fails. */
static const uint8_t *fuzz_cur;
static size_t fuzz_cur_len;

/*
 * Reports a broken invariant and aborts (a libFuzzer crash, which
 * libFuzzer saves; standalone, the input goes to fuzz-NAME.failed).
 */
static void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	fprintf(stderr, "fuzz_%s: invariant broken: ", FUZZ_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (fuzz_cur != NULL &&
	    (f = fopen("fuzz-" FUZZ_NAME ".failed", "wb")) != NULL) {
		fwrite(fuzz_cur, 1, fuzz_cur_len, f);
		fclose(f);
		fprintf(stderr, "fuzz_%s: input (%zu bytes) written to "
		    "fuzz-%s.failed\n", FUZZ_NAME, fuzz_cur_len, FUZZ_NAME);
	}
	abort();
}

/* One arena for the whole run, reset after each input. */
static struct arena *
fuzz_arena(void)
{
	static struct arena *a;

	if (a == NULL)
		a = arena_new((size_t)1 << 28);
	return a;
}

/* A NUL-terminated copy of the input in the arena (as a body is). */
static __attribute__((unused)) char *
fuzz_copy(struct arena *a, const uint8_t *data, size_t size)
{
	char *p = arena_alloc(a, size + 1);

	if (size > 0)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* Compact JSON of v (for comparing trees), in the arena. */
static __attribute__((unused)) const char *
fuzz_json(struct arena *a, const struct value *v)
{
	struct buf b;

	if (v == NULL)
		return "(none)";
	buf_init(&b, a);
	json_encode(&b, v);
	if (b.failed)
		fuzz_fail("json_encode failed");
	return b.p != NULL ? b.p : "";
}

/* The bound on keys: 0 for max_string (a form's keys have their own). */
static size_t fuzz_max_key;

/*
 * Checks that an accepted tree keeps the limits lim promised: depth of
 * containers, items per container, bytes per string (number text has
 * the decoder's own bound) or key (fuzz_max_key), and (when
 * nodes is not NULL) counts the values into *nodes.  Strings and keys
 * must hold no NUL and be strict UTF-8.
 */
static __attribute__((unused)) void
fuzz_check_tree(const struct value *v, const struct fmt_limits *lim,
    size_t depth, size_t *nodes)
{
	size_t i, n;

	if (v == NULL)
		fuzz_fail("NULL node in an accepted tree");
	if (nodes != NULL)
		(*nodes)++;
	switch (v->type) {
	case VALUE_NULL:
	case VALUE_BOOL:
		break;
	case VALUE_NUMBER:
	case VALUE_STRING:
		if (v->u.str.p == NULL || strlen(v->u.str.p) != v->u.str.len)
			fuzz_fail("string length or NUL mismatch");
		if (v->type == VALUE_STRING && v->u.str.len > lim->max_string)
			fuzz_fail("string of %zu bytes past max_string %zu",
			    v->u.str.len, lim->max_string);
		if (v->type == VALUE_NUMBER && v->u.str.len >
		    (lim->max_number != 0 ? lim->max_number : 64))
			fuzz_fail("number of %zu characters past its bound",
			    v->u.str.len);
		if (utf8_check(v->u.str.p, v->u.str.len) != v->u.str.len)
			fuzz_fail("accepted string is not UTF-8");
		break;
	case VALUE_ARRAY:
	case VALUE_OBJECT:
		if (depth + 1 > lim->max_depth)
			fuzz_fail("depth %zu past max_depth %zu", depth + 1,
			    lim->max_depth);
		n = v->type == VALUE_ARRAY ? v->u.arr.n : v->u.obj.n;
		if (n > lim->max_items)
			fuzz_fail("%zu items past max_items %zu", n,
			    lim->max_items);
		for (i = 0; i < n; i++) {
			if (v->type == VALUE_ARRAY) {
				fuzz_check_tree(v->u.arr.items[i], lim,
				    depth + 1, nodes);
				continue;
			}
			const struct member *m = &v->u.obj.members[i];

			if (m->key == NULL || strlen(m->key) != m->klen)
				fuzz_fail("key length or NUL mismatch");
			if (m->klen > (fuzz_max_key != 0 ? fuzz_max_key :
			    lim->max_string))
				fuzz_fail("key of %zu bytes past its limit",
				    m->klen);
			if (utf8_check(m->key, m->klen) != m->klen)
				fuzz_fail("accepted key is not UTF-8");
			fuzz_check_tree(m->val, lim, depth + 1, nodes);
		}
		break;
	default:
		fuzz_fail("bad node type %d", (int)v->type);
	}
}

/* 1 when no object in v has the same key twice (exact bytes). */
static __attribute__((unused)) int
fuzz_no_duplicates(const struct value *v)
{
	size_t i, j;

	if (v->type == VALUE_ARRAY) {
		for (i = 0; i < v->u.arr.n; i++)
			if (!fuzz_no_duplicates(v->u.arr.items[i]))
				return 0;
	} else if (v->type == VALUE_OBJECT) {
		for (i = 0; i < v->u.obj.n; i++) {
			for (j = 0; j < i; j++)
				if (v->u.obj.members[i].klen ==
				    v->u.obj.members[j].klen && memcmp(
				    v->u.obj.members[i].key,
				    v->u.obj.members[j].key,
				    v->u.obj.members[i].klen) == 0)
					return 0;
			if (!fuzz_no_duplicates(v->u.obj.members[i].val))
				return 0;
		}
	}
	return 1;
}

#ifndef ROSTERD_LIBFUZZER
#include <dirent.h>
#include <sys/stat.h>

#define FUZZ_MAX_INPUT	65536

struct fuzz_input {
	uint8_t		*p;
	size_t		 n;
};

static struct fuzz_input *fuzz_inputs;
static size_t fuzz_ninputs;

static int
fuzz_load_file(const char *path)
{
	struct fuzz_input in;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	in.p = xmalloc(FUZZ_MAX_INPUT);
	in.n = fread(in.p, 1, FUZZ_MAX_INPUT, f);
	fclose(f);
	fuzz_inputs = xrealloc(fuzz_inputs,
	    (fuzz_ninputs + 1) * sizeof(*fuzz_inputs));
	fuzz_inputs[fuzz_ninputs++] = in;
	return 0;
}

static int
fuzz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads a file, or every regular file of a directory (sorted). */
static int
fuzz_load(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL, full[4096];
	size_t n = 0, i;
	DIR *d;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fuzz_load_file(path);
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), fuzz_name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    fuzz_load_file(full) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static uint64_t fuzz_rng = 0x9e3779b97f4a7c15ull;

static uint32_t
fuzz_rnd(uint32_t n)
{
	fuzz_rng ^= fuzz_rng << 13;
	fuzz_rng ^= fuzz_rng >> 7;
	fuzz_rng ^= fuzz_rng << 17;
	return n ? (uint32_t)(fuzz_rng % n) : 0;
}

/* One mutation of buf[0..*n) (capacity cap), libFuzzer-like. */
static void
fuzz_mutate(uint8_t *buf, size_t *n, size_t cap)
{
	static const char dict[] = "{}[](),.:;=&%+\"'<>/?*#  \t\r\n"
	    "aZ09\xc3\xa9\x00\xff";
	size_t at = *n ? fuzz_rnd((uint32_t)*n) : 0, len;

	switch (fuzz_rnd(6)) {
	case 0:		/* flip a bit */
		if (*n)
			buf[at] ^= (uint8_t)(1u << fuzz_rnd(8));
		break;
	case 1:		/* insert an interesting byte */
		if (*n < cap) {
			memmove(buf + at + 1, buf + at, *n - at);
			buf[at] = (uint8_t)dict[fuzz_rnd(sizeof(dict) - 1)];
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
			len = fuzz_rnd((uint32_t)(*n - at)) + 1;
			memmove(buf + at + len, buf + at, *n - at);
			(*n) += len;
		}
		break;
	case 4:		/* overwrite with an interesting byte */
		if (*n)
			buf[at] = (uint8_t)dict[fuzz_rnd(sizeof(dict) - 1)];
		break;
	default:	/* truncate */
		*n = at;
		break;
	}
}

static void
fuzz_run(const uint8_t *p, size_t n)
{
	uint8_t *copy = xmalloc(n + 1);	/* exact size: ASan sees overreads */

	memcpy(copy, p, n);
	fuzz_cur = copy;
	fuzz_cur_len = n;
	LLVMFuzzerTestOneInput(copy, n);
	fuzz_cur = NULL;
	free(copy);
}

int
main(int argc, char **argv)
{
	const char *env = getenv("FUZZ_RUNS"), *top = getenv("top_srcdir");
	long runs = env != NULL ? atol(env) : 2000, i;
	uint8_t *buf;
	size_t s, n, k;
	char dir[4096];
	int a;

	if (argc > 1) {
		for (a = 1; a < argc; a++)
			if (fuzz_load(argv[a]) != 0)
				return 1;
		if (env == NULL)
			runs = 0;	/* replaying given files only */
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    top != NULL ? top : ".", FUZZ_NAME);
		if (fuzz_load(dir) != 0)
			return 1;
	}
	if (fuzz_ninputs == 0) {
		fprintf(stderr, "fuzz_%s: empty corpus\n", FUZZ_NAME);
		return 1;
	}
	for (s = 0; s < fuzz_ninputs; s++)
		fuzz_run(fuzz_inputs[s].p, fuzz_inputs[s].n);
	buf = xmalloc(2 * FUZZ_MAX_INPUT);
	for (i = 0; i < runs; i++) {
		s = fuzz_rnd((uint32_t)fuzz_ninputs);
		n = fuzz_inputs[s].n;
		memcpy(buf, fuzz_inputs[s].p, n);
		for (k = fuzz_rnd(8) + 1; k > 0; k--)
			fuzz_mutate(buf, &n, 2 * FUZZ_MAX_INPUT);
		fuzz_run(buf, n);
	}
	free(buf);
	for (s = 0; s < fuzz_ninputs; s++)
		free(fuzz_inputs[s].p);
	free(fuzz_inputs);
	arena_free(fuzz_arena());
	printf("fuzz_%s: %zu corpus inputs replayed, %ld mutated inputs, "
	    "%ld acceptances checked\n", FUZZ_NAME, fuzz_ninputs, runs,
	    fuzz_accepted);
	return 0;
}
#endif /* !ROSTERD_LIBFUZZER */

#endif
