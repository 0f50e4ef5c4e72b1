/*
 * fuzz_form.c: application/x-www-form-urlencoded (formats/form.c),
 * under the default limits (the ASP.NET bodies), the config's defaults
 * (ServiceStack's dialect_limits()) and a tight set.
 *
 * Properties: an accepted form is an object of objects, arrays,
 * strings and nulls only, never an empty container nor an array slot
 * left unfilled, within the limits, strict UTF-8; written back as a
 * canonical MVC form ("Roles[0].Name=x", every byte but [A-Za-z0-9]
 * percent-encoded, a null as a key alone) it decodes to the same tree
 * (a fixed point), unless the canonical keys need more room than the
 * limits give (a traditional "a=1&a=2" becomes a[0], a[1]).
 */
#define FUZZ_NAME "form"
#include "fuzz.h"
#include "../../src/formats/form.h"

static const struct fmt_limits sets[] = {
	{ .max_depth = 32, .max_items = 1024, .max_string = 65536,
	    .max_nodes = 50000 },
	{ .max_depth = 3, .max_items = 4, .max_string = 8, .max_nodes = 12 },
};

struct enc {
	struct buf	 out;
	struct buf	 key;		/* the decoded key so far */
	size_t		 max_key;	/* longest decoded key written */
	size_t		 max_segs;	/* most segments in one key */
};

static void
put_pct(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			buf_putc(b, (char)c);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

/* Writes v under the encoded prefix pre (and decoded key e->key). */
static void
walk(struct arena *a, struct enc *e, const char *pre, size_t segs,
    const struct value *v)
{
	struct buf p;
	size_t i, mark = e->key.len;
	char idx[32];

	switch (v->type) {
	case VALUE_NULL:
	case VALUE_STRING:
		if (e->out.len > 0)
			buf_putc(&e->out, '&');
		buf_puts(&e->out, pre);
		if (v->type == VALUE_STRING) {
			buf_putc(&e->out, '=');
			put_pct(&e->out, v->u.str.p, v->u.str.len);
		}
		if (e->key.len > e->max_key)
			e->max_key = e->key.len;
		if (segs > e->max_segs)
			e->max_segs = segs;
		return;
	case VALUE_ARRAY:
		if (v->u.arr.n == 0)
			fuzz_fail("an empty array was decoded");
		for (i = 0; i < v->u.arr.n; i++) {
			if (v->u.arr.items[i] == NULL)
				fuzz_fail("an unfilled array slot");
			snprintf(idx, sizeof(idx), "[%zu]", i);
			buf_init(&p, a);
			buf_puts(&p, pre);
			buf_puts(&p, idx);
			buf_puts(&e->key, idx);
			walk(a, e, p.p, segs + 1, v->u.arr.items[i]);
			e->key.len = mark;
		}
		return;
	case VALUE_OBJECT:
		if (v->u.obj.n == 0 && segs > 0)
			fuzz_fail("an empty object was decoded");
		for (i = 0; i < v->u.obj.n; i++) {
			const struct member *m = &v->u.obj.members[i];
			int dot = memchr(m->key, '.', m->klen) != NULL;

			if (m->klen == 0)
				fuzz_fail("an empty name was decoded");
			if (segs == 0 && dot)
				fuzz_fail("a first name with a '.'");
			buf_init(&p, a);
			buf_puts(&p, pre);
			if (segs > 0)
				buf_puts(&p, dot ? "[" : ".");
			put_pct(&p, m->key, m->klen);
			if (segs > 0 && dot)
				buf_putc(&p, ']');
			buf_puts(&e->key, segs > 0 ? (dot ? "[" : ".") : "");
			buf_put(&e->key, m->key, m->klen);
			buf_puts(&e->key, segs > 0 && dot ? "]" : "");
			walk(a, e, p.p, segs + 1, m->val);
			e->key.len = mark;
		}
		return;
	default:
		fuzz_fail("a %s in a form", value_type_name(v->type));
	}
}

static void
one(struct arena *a, const char *p, size_t n, const struct fmt_limits *lim)
{
	const struct fmt_limits *l = lim != NULL ? lim : &fmt_default_limits;
	struct fmt_error err;
	struct value *v, *w;
	enum fmt_status st;
	struct enc e;
	size_t nodes = 0;
	const char *j1, *j2;

	st = form_decode(a, p, n, lim, &v, &err);
	if (st >= FMT__MAX)
		fuzz_fail("status %d", (int)st);
	if (st != FMT_OK) {
		if (v != NULL || err.msg[0] == '\0')
			fuzz_fail("refusal %d with a tree or no message",
			    (int)st);
		return;
	}
	if (v == NULL || v->type != VALUE_OBJECT)
		fuzz_fail("a form that is not an object");
	fuzz_accepted++;
	fuzz_check_tree(v, l, 0, &nodes);
	if (v->u.obj.n == 0)
		return;		/* only empty pairs ("&&") */
	memset(&e, 0, sizeof(e));
	buf_init(&e.out, a);
	buf_init(&e.key, a);
	buf_put(&e.key, "", 0);
	walk(a, &e, "", 0, v);
	if (e.out.failed || e.out.len == 0)
		fuzz_fail("nothing to write back");
	st = form_decode(a, e.out.p, e.out.len, lim, &w, &err);
	if (st == FMT_LIMIT && (e.max_key > FORM_MAX_KEY ||
	    e.max_segs > l->max_depth))
		return;
	if (st != FMT_OK)
		fuzz_fail("re-decode failed (%d: %s) of %s", (int)st, err.msg,
		    e.out.p);
	j1 = fuzz_json(a, v);
	j2 = fuzz_json(a, w);
	if (strcmp(j1, j2) != 0)
		fuzz_fail("round trip differs:\n%s\n%s\nvia %s", j1, j2,
		    e.out.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size);
	size_t i;

	fuzz_max_key = FORM_MAX_KEY;	/* names are parts of keys */

	one(a, p, size, NULL);
	for (i = 0; i < RS_ARRAY_LEN(sets); i++)
		one(a, p, size, &sets[i]);
	arena_reset(a);
	return 0;
}
