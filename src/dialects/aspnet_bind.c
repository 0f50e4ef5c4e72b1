/*
 * aspnet_bind.c: binding a request body to a CLR type described by a
 * table, the way Json.NET and Web API's model binding do it (FORMATS.md
 * §3.2, §3.6): member names match without case, values convert (a
 * string "true" is a boolean, as XML and forms send it), a leading
 * "$id" is metadata and "$ref" names an object bound earlier, [Required]
 * value types must be present.  And writing a bound or stored object
 * back with every member of its type in declaration order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialect.h"

static const char *const clr_names[AT__MAX] = {
	[AT_STRING] = "System.String",
	[AT_GUID] = "System.Guid",
	[AT_BOOL] = "System.Boolean",
	[AT_INT] = "System.Int32",
	[AT_DOUBLE] = "System.Double",
	[AT_DATE] = "System.DateTime",
	[AT_BYTES] = "System.Byte[]",
	[AT_OBJECT] = "System.Object",
	[AT_GUID_LIST] = "System.Collections.Generic.List`1[System.Guid]",
	[AT_INT_LIST] = "System.Collections.Generic.List`1[System.Int32]",
};

void
aspnet_binder_init(struct aspnet_binder *b, struct arena *a,
    const char *param)
{
	memset(b, 0, sizeof(*b));
	b->a = a;
	b->param = param;
	b->ms = value_object(a);
	b->refs = value_object(a);
}

void
aspnet_bind_error(struct aspnet_binder *b, const char *path, const char *msg)
{
	aspnet_model_error(b->a, b->ms, *path ? arena_sprintf(b->a, "%s.%s",
	    b->param, path) : b->param, msg);
	b->nerr++;
}

/* path.name, or name at the top ("" path): the path of every member bound */
static const char *
join(struct arena *a, const char *path, const char *name)
{
	size_t pn, nn;
	char *s;

	if (*path == '\0')
		return name;
	pn = strlen(path);
	nn = strlen(name);
	s = arena_alloc(a, pn + nn + 2);
	memcpy(s, path, pn);
	s[pn] = '.';
	memcpy(s + pn + 1, name, nn + 1);
	return s;
}

/*
 * Json.NET's conversion error.  It quotes the value sent; a secret's
 * value (AF_SECRET) is never quoted, whatever its type, so that a
 * password sent where bytes were expected is not sent back (nor kept
 * with a stored answer).
 */
static void
convert_error(struct aspnet_binder *b, const struct value *v,
    enum aspnet_type t, const char *clr, const char *path, int secret)
{
	const char *shown;

	if (secret)
		shown = "";
	else if (v->type == VALUE_STRING || v->type == VALUE_NUMBER)
		shown = arena_sprintf(b->a, "\"%.64s\" ", v->u.str.p);
	else
		shown = arena_sprintf(b->a, "{%s} ", value_type_name(v->type));
	aspnet_bind_error(b, path, arena_sprintf(b->a, "Error converting "
	    "value %sto type '%s'. Path '%s'.", shown, clr ? clr :
	    clr_names[t], path));
}

/* A 32-bit integer from a JSON number or a decimal string. */
static struct value *
to_int(struct aspnet_binder *b, const struct value *v)
{
	const char *s = v->u.str.p;
	char *end;
	long long n;

	if (v->type != VALUE_NUMBER && v->type != VALUE_STRING)
		return NULL;
	while (*s == ' ')
		s++;
	errno = 0;
	n = strtoll(s, &end, 10);
	while (*end == ' ')
		end++;
	if (end == s || *end != '\0' || errno != 0 || n < -2147483648LL ||
	    n > 2147483647LL)
		return NULL;
	return value_int(b->a, n);
}

static struct value *
to_double(struct aspnet_binder *b, const struct value *v)
{
	char *end;
	double d;

	if (v->type != VALUE_NUMBER && v->type != VALUE_STRING)
		return NULL;
	errno = 0;
	d = strtod(v->u.str.p, &end);
	if (end == v->u.str.p || *end != '\0' || errno != 0 || d != d)
		return NULL;
	if (v->type == VALUE_NUMBER)
		return value_number(b->a, v->u.str.p);
	return value_number(b->a, arena_sprintf(b->a, "%.17g", d));
}

static struct value *
to_bool(struct aspnet_binder *b, const struct value *v)
{
	if (v->type == VALUE_BOOL)
		return value_bool(b->a, v->u.boolean);
	if (v->type == VALUE_STRING && strcasecmp(v->u.str.p, "true") == 0)
		return value_bool(b->a, 1);
	if (v->type == VALUE_STRING && strcasecmp(v->u.str.p, "false") == 0)
		return value_bool(b->a, 0);
	if (v->type == VALUE_NUMBER && strcmp(v->u.str.p, "0") == 0)
		return value_bool(b->a, 0);
	if (v->type == VALUE_NUMBER && strcmp(v->u.str.p, "1") == 0)
		return value_bool(b->a, 1);
	return NULL;
}

static struct value *
to_guid(struct aspnet_binder *b, const struct value *v)
{
	char canon[UUID_STR_LEN + 1];

	if (v->type != VALUE_STRING ||
	    uuid_normalize(v->u.str.p, v->u.str.len, canon) != 0)
		return NULL;
	return value_cstr(b->a, canon);
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * ISO 8601 as Json.NET reads it: yyyy-MM-dd, optionally THH:mm, :ss,
 * a fraction, and Z or an offset.  Kept as sent.
 */
static struct value *
to_date(struct aspnet_binder *b, const struct value *v)
{
	const char *s = v->u.str.p;
	size_t n;

	if (v->type != VALUE_STRING)
		return NULL;
	n = v->u.str.len;
	if (n < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return NULL;
	s += 10;
	if (*s == 'T') {
		if (!digits(s + 1, 2) || s[3] != ':' || !digits(s + 4, 2))
			return NULL;
		s += 6;
		if (*s == ':') {
			if (!digits(s + 1, 2))
				return NULL;
			s += 3;
			if (*s == '.') {
				for (s++; isdigit((unsigned char)*s); s++)
					;
			}
		}
		if (*s == 'Z')
			s++;
		else if ((*s == '+' || *s == '-') && digits(s + 1, 2) &&
		    s[3] == ':' && digits(s + 4, 2))
			s += 6;
	}
	if (*s != '\0')
		return NULL;
	return value_string(b->a, v->u.str.p, v->u.str.len);
}

static struct value *
to_bytes(struct aspnet_binder *b, const struct value *v)
{
	unsigned char *out;
	size_t n;

	if (v->type != VALUE_STRING ||
	    base64_decode(b->a, v->u.str.p, v->u.str.len, &out, &n) != 0)
		return NULL;
	return value_string(b->a, v->u.str.p, v->u.str.len);
}

static struct value *
to_string(struct aspnet_binder *b, const struct value *v)
{
	if (v->type == VALUE_STRING || v->type == VALUE_NUMBER)
		return value_string(b->a, v->u.str.p, v->u.str.len);
	if (v->type == VALUE_BOOL)
		return value_cstr(b->a, v->u.boolean ? "True" : "False");
	return NULL;
}

static struct value *
scalar(struct aspnet_binder *b, enum aspnet_type t, const struct value *v)
{
	switch (t) {
	case AT_STRING:
		return to_string(b, v);
	case AT_GUID:
		return to_guid(b, v);
	case AT_BOOL:
		return to_bool(b, v);
	case AT_INT:
		return to_int(b, v);
	case AT_DOUBLE:
		return to_double(b, v);
	case AT_DATE:
		return to_date(b, v);
	case AT_BYTES:
		return to_bytes(b, v);
	default:
		return NULL;
	}
}

/* A list: an array, or one string (a form's lone value) as one item. */
static struct value *
bind_list(struct aspnet_binder *b, enum aspnet_type item,
    const struct value *v, const char *path, enum aspnet_type lt, int secret)
{
	struct value *out = value_array(b->a), *x;
	size_t i, n = v->type == VALUE_ARRAY ? v->u.arr.n : 1;

	if (v->type != VALUE_ARRAY && v->type != VALUE_STRING) {
		convert_error(b, v, lt, NULL, path, secret);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct value *it = v->type == VALUE_ARRAY ?
		    v->u.arr.items[i] : v;
		const char *ip = arena_sprintf(b->a, "%s[%zu]", path, i);

		if ((x = scalar(b, item, it)) == NULL)
			convert_error(b, it, item, NULL, ip, secret);
		else
			value_push(b->a, out, x);
	}
	return out;
}

static struct value *
bind_member(struct aspnet_binder *b, const struct aspnet_field *f,
    const struct value *v, const char *path)
{
	int secret = (f->flags & AF_SECRET) != 0;
	struct value *x;

	switch (f->type) {
	case AT_OBJECT:
		if (v->type != VALUE_OBJECT) {
			convert_error(b, v, f->type, f->obj->name, path,
			    secret);
			return NULL;
		}
		return aspnet_bind(b, f->obj, v, path);
	case AT_GUID_LIST:
		return bind_list(b, AT_GUID, v, path, f->type, secret);
	case AT_INT_LIST:
		return bind_list(b, AT_INT, v, path, f->type, secret);
	default:
		if ((x = scalar(b, f->type, v)) == NULL)
			convert_error(b, v, f->type, NULL, path, secret);
		return x;
	}
}

/* Json.NET's reference metadata: "$ref" resolves, "$id" is recorded. */
static int
resolve_ref(struct aspnet_binder *b, const struct value *v, const char *path,
    struct value **out)
{
	const struct member *m0;
	struct value *hit;

	if (v->u.obj.n == 0)
		return 0;
	m0 = &v->u.obj.members[0];
	if (strcmp(m0->key, "$ref") != 0)
		return 0;
	*out = NULL;
	if (v->u.obj.n != 1 || m0->val->type != VALUE_STRING) {
		aspnet_bind_error(b, path, arena_sprintf(b->a, "Additional "
		    "content found in JSON reference object. Path '%s'.",
		    path));
		return 1;
	}
	if ((hit = value_get(b->refs, m0->val->u.str.p)) == NULL)
		aspnet_bind_error(b, path, arena_sprintf(b->a, "Could not "
		    "resolve reference '%.40s'. Path '%s'.",
		    m0->val->u.str.p, path));
	*out = hit;
	return 1;
}

static void
required_missing(struct aspnet_binder *b, const struct aspnet_field *f,
    const struct value *v, const char *path)
{
	const char *fp = join(b->a, path, f->name);

	if (f->flags & AF_REQUIRED_STR)
		aspnet_bind_error(b, fp, arena_sprintf(b->a, "The %s field is "
		    "required.", f->name));
	else if (v == NULL)
		aspnet_bind_error(b, path, arena_sprintf(b->a, "Required "
		    "property '%s' not found in JSON. Path '%s'.", f->name,
		    path));
	else
		aspnet_bind_error(b, fp, arena_sprintf(b->a, "Error "
		    "converting value {null} to type '%s'. Path '%s'.",
		    clr_names[f->type], fp));
}

struct value *
aspnet_bind(struct aspnet_binder *b, const struct aspnet_type_def *def,
    const struct value *v, const char *path)
{
	struct value *out, *x;
	const struct value *id;
	size_t i;

	if (v == NULL || v->type != VALUE_OBJECT)
		return NULL;
	if (resolve_ref(b, v, path, &out))
		return out;
	out = value_object(b->a);
	if (v->u.obj.n > 0 && strcmp(v->u.obj.members[0].key, "$id") == 0 &&
	    (id = v->u.obj.members[0].val)->type == VALUE_STRING)
		value_set(b->a, b->refs, id->u.str.p, out);
	for (i = 0; i < def->nfields; i++) {
		const struct aspnet_field *f = &def->fields[i];
		const struct value *mv = value_get_ci(v, f->name);
		int empty = mv == NULL || mv->type == VALUE_NULL ||
		    ((f->flags & AF_REQUIRED_STR) && mv->type ==
		    VALUE_STRING && mv->u.str.len == 0);

		if (empty) {
			if (f->flags & (AF_REQUIRED | AF_REQUIRED_STR))
				required_missing(b, f, mv, path);
			continue;
		}
		x = bind_member(b, f, mv, join(b->a, path, f->name));
		if (x != NULL)
			value_set_kept(b->a, out, f->name, x);
	}
	return out;
}

struct value *
aspnet_emit(struct arena *a, const struct aspnet_type_def *def,
    const struct value *v)
{
	struct value *out = value_object(a), *x;
	size_t i;

	for (i = 0; i < def->nfields; i++) {
		const struct aspnet_field *f = &def->fields[i];

		x = v != NULL && v->type == VALUE_OBJECT ?
		    value_get(v, f->name) : NULL;
		if (x == NULL || (f->flags & AF_SECRET))
			x = value_null(a);
		else if (f->type == AT_OBJECT && x->type == VALUE_OBJECT)
			x = aspnet_emit(a, f->obj, x);
		value_set_kept(a, out, f->name, x);
	}
	return out;
}

struct value *
aspnet_strip_secrets(struct arena *a, const struct aspnet_type_def *def,
    const struct value *v)
{
	struct value *out, *x;
	size_t i;

	if (v == NULL || v->type != VALUE_OBJECT)
		return value_null(a);
	out = value_object(a);
	for (i = 0; i < def->nfields; i++) {
		const struct aspnet_field *f = &def->fields[i];

		if ((f->flags & AF_SECRET) ||
		    (x = value_get(v, f->name)) == NULL)
			continue;
		if (f->type == AT_OBJECT)
			x = aspnet_strip_secrets(a, f->obj, x);
		value_set_kept(a, out, f->name, x);
	}
	return out;
}
