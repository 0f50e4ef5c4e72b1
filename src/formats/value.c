/*
 * value.c: the format-neutral value tree.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats.h"

const struct fmt_limits fmt_default_limits = {
	.max_depth = 32,
	.max_items = 10000,
	.max_string = 65536,
	.max_nodes = 200000,
};

static struct value *
value_new(struct arena *a, enum value_type t)
{
	struct value *v;

	v = arena_zalloc(a, sizeof(*v));
	v->type = t;
	return v;
}

/* Returns a JSON null node. */
struct value *
value_null(struct arena *a)
{
	return value_new(a, VALUE_NULL);
}

/* Returns a boolean node. */
struct value *
value_bool(struct arena *a, int b)
{
	struct value *v;

	v = value_new(a, VALUE_BOOL);
	v->u.boolean = b != 0;
	return v;
}

/* Returns a string node holding a copy of s[0..n). */
struct value *
value_string(struct arena *a, const char *s, size_t n)
{
	struct value *v;

	v = value_new(a, VALUE_STRING);
	v->u.str.p = arena_strndup(a, s, n);
	v->u.str.len = strlen(v->u.str.p);	/* strings hold no NUL */
	return v;
}

/* Returns a string node for s, or a null node when s is NULL. */
struct value *
value_cstr(struct arena *a, const char *s)
{
	if (s == NULL)
		return value_null(a);
	return value_string(a, s, strlen(s));
}

/* Returns a number node whose text is a copy of `text`. */
struct value *
value_number(struct arena *a, const char *text)
{
	struct value *v;

	v = value_new(a, VALUE_NUMBER);
	v->u.str.p = arena_strdup(a, text);
	v->u.str.len = strlen(text);
	return v;
}

/* Returns a number node for an integer. */
struct value *
value_int(struct arena *a, long long n)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%lld", n);
	return value_number(a, tmp);
}

/* Returns an empty array node. */
struct value *
value_array(struct arena *a)
{
	return value_new(a, VALUE_ARRAY);
}

/* Returns an empty object node. */
struct value *
value_object(struct arena *a)
{
	return value_new(a, VALUE_OBJECT);
}

/* Returns a node for JSON text already written.  See formats.h. */
struct value *
value_raw(struct arena *a, const char *json, size_t n)
{
	struct value *v;

	v = value_new(a, VALUE_RAW);
	v->u.str.p = json;
	v->u.str.len = n;
	return v;
}

static void *
grow(struct arena *a, void *old, size_t n, size_t *cap, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return old;
	ncap = *cap ? *cap * 2 : 4;
	p = arena_allocarray(a, ncap, sz);
	if (old != NULL)
		memcpy(p, old, n * sz);
	*cap = ncap;
	return p;
}

/* Appends v to the array node arr. */
void
value_push(struct arena *a, struct value *arr, struct value *v)
{
	arr->u.arr.items = grow(a, arr->u.arr.items, arr->u.arr.n,
	    &arr->u.arr.cap, sizeof(*arr->u.arr.items));
	arr->u.arr.items[arr->u.arr.n++] = v;
}

static void
set(struct arena *a, struct value *obj, const char *key, size_t klen,
    struct value *v)
{
	struct member *m;

	obj->u.obj.members = grow(a, obj->u.obj.members, obj->u.obj.n,
	    &obj->u.obj.cap, sizeof(*obj->u.obj.members));
	m = &obj->u.obj.members[obj->u.obj.n++];
	m->klen = klen;
	m->key = key;
	m->val = v;
}

/* Appends member key: v to the object node obj (key is copied). */
void
value_set(struct arena *a, struct value *obj, const char *key,
    struct value *v)
{
	size_t n = strlen(key);

	set(a, obj, arena_strndup(a, key, n), n, v);
}

/*
 * Appends member key: v to obj without copying key, which must last as
 * long as obj: a literal, a static table's name, or a string of obj's
 * own arena.
 */
void
value_set_kept(struct arena *a, struct value *obj, const char *key,
    struct value *v)
{
	set(a, obj, key, strlen(key), v);
}

/*
 * Gives the first member named exactly key the value v, or appends key: v
 * when obj has no such member.
 */
void
value_put(struct arena *a, struct value *obj, const char *key,
    struct value *v)
{
	size_t i, n = strlen(key);

	for (i = 0; i < obj->u.obj.n; i++)
		if (obj->u.obj.members[i].klen == n &&
		    memcmp(obj->u.obj.members[i].key, key, n) == 0) {
			obj->u.obj.members[i].val = v;
			return;
		}
	set(a, obj, arena_strndup(a, key, n), n, v);
}

/* Returns the member named exactly key, or NULL. */
struct value *
value_get(const struct value *obj, const char *key)
{
	const struct member *m;
	size_t n, i;

	if (obj == NULL || obj->type != VALUE_OBJECT)
		return NULL;
	n = strlen(key);
	/* by index: an empty object's members may be NULL */
	for (i = 0; i < obj->u.obj.n; i++) {
		m = &obj->u.obj.members[i];
		if (m->klen == n && memcmp(m->key, key, n) == 0)
			return m->val;
	}
	return NULL;
}

int
fmt_all_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* The text of the member named exactly key when it is a string, or NULL. */
const char *
value_str(const struct value *obj, const char *key)
{
	const struct value *v = value_get(obj, key);

	return v != NULL && v->type == VALUE_STRING ? v->u.str.p : NULL;
}

/*
 * Returns the member named key, matched exactly first and then without
 * regard to ASCII case (the binding rule of Json.NET and ServiceStack).
 * Keys hold no NUL, so names of another length never match either way.
 */
struct value *
value_get_ci(const struct value *obj, const char *key)
{
	const struct member *m;
	struct value *ci = NULL;
	size_t n, i;

	if (obj == NULL || obj->type != VALUE_OBJECT)
		return NULL;
	n = strlen(key);
	for (i = 0; i < obj->u.obj.n; i++) {
		m = &obj->u.obj.members[i];
		if (m->klen != n)
			continue;
		if (memcmp(m->key, key, n) == 0)
			return m->val;
		if (ci == NULL && strncasecmp(m->key, key, n) == 0)
			ci = m->val;
	}
	return ci;
}

static const char *const type_names[VALUE__MAX] = {
	[VALUE_NULL] = "null",
	[VALUE_BOOL] = "boolean",
	[VALUE_NUMBER] = "number",
	[VALUE_STRING] = "string",
	[VALUE_ARRAY] = "array",
	[VALUE_OBJECT] = "object",
	[VALUE_RAW] = "raw",
};

/* Returns the JSON name of a value type ("string", "array", ...). */
const char *
value_type_name(enum value_type t)
{
	if (t >= VALUE__MAX)
		return "unknown";
	return type_names[t];
}
