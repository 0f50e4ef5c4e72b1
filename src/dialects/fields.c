/*
 * fields.c: response field selection (Kibo's responseFields,
 * FORMATS.md §4.2): "groupCode,users(id,emailAddress)" keeps those
 * members of an encoder's value tree, nested selections apply to the
 * member's value, and a selection applies element-wise to arrays.  Any
 * dialect can use it: it knows names only as the tree spells them.
 */
#include <string.h>
#include <strings.h>

#include "dialect.h"

#define FIELD_SEL_MAX_BYTES	4096	/* of the selection text */
#define FIELD_SEL_MAX_DEPTH	8	/* nested parentheses */
#define FIELD_SEL_MAX_ITEMS	256	/* names in the whole selection */
#define FIELD_TREE_MAX_DEPTH	64	/* of the tree filtered (recursion bound) */

struct field_item {
	const char	*name;	/* NUL-terminated */
	size_t		 len;
	struct field_sel *sub;	/* nested selection, or NULL */
};

struct field_sel {
	struct field_item *items;
	size_t		 n, cap;
};

struct fparse {
	struct arena	*a;
	const char	*s;
	size_t		 pos, len;
	size_t		 nitems;
};

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static void
sel_add(struct arena *a, struct field_sel *sel, const struct field_item *it)
{
	struct field_item *n;

	if (sel->n == sel->cap) {
		sel->cap = sel->cap ? sel->cap * 2 : 4;
		n = arena_allocarray(a, sel->cap, sizeof(*n));
		if (sel->n > 0)
			memcpy(n, sel->items, sel->n * sizeof(*n));
		sel->items = n;
	}
	sel->items[sel->n++] = *it;
}

/* list := item (',' item)*; item := name ['(' list ')'].  0 or -1. */
static int
parse_list(struct fparse *p, int depth, struct field_sel **out)
{
	struct field_sel *sel = arena_zalloc(p->a, sizeof(*sel));
	struct field_item it;
	size_t start;

	for (;;) {
		start = p->pos;
		while (p->pos < p->len && name_char(p->s[p->pos]))
			p->pos++;
		if (p->pos == start || ++p->nitems > FIELD_SEL_MAX_ITEMS)
			return -1;
		it.len = p->pos - start;
		it.name = arena_strndup(p->a, p->s + start, it.len);
		it.sub = NULL;
		if (p->pos < p->len && p->s[p->pos] == '(') {
			p->pos++;
			if (depth + 1 >= FIELD_SEL_MAX_DEPTH ||
			    parse_list(p, depth + 1, &it.sub) != 0)
				return -1;
			if (p->pos >= p->len || p->s[p->pos] != ')')
				return -1;
			p->pos++;
		}
		sel_add(p->a, sel, &it);
		if (p->pos >= p->len || p->s[p->pos] != ',')
			break;
		p->pos++;
	}
	*out = sel;
	return 0;
}

/*
 * Parses a selection.  See dialect.h.
 */
int
field_sel_parse(struct arena *a, const char *s, struct field_sel **out)
{
	struct fparse p;

	*out = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.s = s;
	p.len = strlen(s);
	if (p.len > FIELD_SEL_MAX_BYTES)
		return -1;
	if (parse_list(&p, 0, out) != 0 || p.pos != p.len) {
		*out = NULL;
		return -1;
	}
	return 0;
}

static const struct field_item *
sel_find(const struct field_sel *sel, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (sel->items[i].len == klen &&
		    strncasecmp(sel->items[i].name, key, klen) == 0)
			return &sel->items[i];
	return NULL;
}

static struct value *
apply(struct arena *a, const struct field_sel *sel, struct value *v,
    int depth)
{
	const struct field_item *it;
	struct value *o;
	size_t i;

	if (v == NULL)
		return v;
	if (depth > FIELD_TREE_MAX_DEPTH)
		return value_null(a);	/* never unfiltered */
	if (v->type == VALUE_ARRAY) {
		o = value_array(a);
		for (i = 0; i < v->u.arr.n; i++)
			value_push(a, o, apply(a, sel, v->u.arr.items[i],
			    depth + 1));
		return o;
	}
	if (v->type != VALUE_OBJECT)
		return v;
	o = value_object(a);
	o->u.obj.members = arena_allocarray(a, v->u.obj.n + 1,
	    sizeof(*o->u.obj.members));
	o->u.obj.cap = v->u.obj.n + 1;
	for (i = 0; i < v->u.obj.n; i++) {
		const struct member *m = &v->u.obj.members[i];

		if ((it = sel_find(sel, m->key, m->klen)) == NULL)
			continue;
		o->u.obj.members[o->u.obj.n] = *m;
		if (it->sub != NULL)
			o->u.obj.members[o->u.obj.n].val = apply(a, it->sub,
			    m->val, depth + 1);
		o->u.obj.n++;
	}
	return o;
}

/*
 * Applies a selection.  See dialect.h.
 */
struct value *
field_sel_apply(struct arena *a, const struct field_sel *sel, struct value *v)
{
	if (sel == NULL)
		return v;
	return apply(a, sel, v, 0);
}
