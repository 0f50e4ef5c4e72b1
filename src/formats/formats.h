/*
 * formats.h: one in-memory value tree, and decoders to it and encoders
 * from it for each wire format.  No business rules live here: names,
 * casing and validation belong to the dialects and the core.
 *
 * Every node and string is allocated from the arena passed in.
 */
#ifndef ROSTERD_FORMATS_H
#define ROSTERD_FORMATS_H

#include <stddef.h>

#include "../util/util.h"

enum value_type {
	VALUE_NULL = 0,
	VALUE_BOOL,
	VALUE_NUMBER,		/* kept as its text, as sent */
	VALUE_STRING,
	VALUE_ARRAY,
	VALUE_OBJECT,
	VALUE__MAX
};

struct value;

struct member {
	const char	*key;	/* NUL-terminated, no embedded NUL */
	size_t		 klen;
	struct value	*val;
};

struct value {
	enum value_type	 type;
	union {
		int	 boolean;
		struct {
			const char *p;	/* NUL-terminated; strings have no NUL */
			size_t	 len;
		} str;		/* VALUE_STRING and VALUE_NUMBER */
		struct {
			struct value **items;
			size_t	 n, cap;
		} arr;
		struct {
			struct member *members;	/* in input/insertion order */
			size_t	 n, cap;
		} obj;
	} u;
};

/* value.c: builders (never fail: the arena aborts on OOM). */
struct value *value_null(struct arena *a);
struct value *value_bool(struct arena *a, int b);
struct value *value_string(struct arena *a, const char *s, size_t n);
/* A string value, or null when s is NULL. */
struct value *value_cstr(struct arena *a, const char *s);
struct value *value_number(struct arena *a, const char *text);
struct value *value_int(struct arena *a, long long n);
struct value *value_array(struct arena *a);
struct value *value_object(struct arena *a);
void value_push(struct arena *a, struct value *arr, struct value *v);
void value_set(struct arena *a, struct value *obj, const char *key,
    struct value *v);
/* value_set without the copy: key lasts as long as obj (see value.c). */
void value_set_kept(struct arena *a, struct value *obj, const char *key,
    struct value *v);

/* Lookups.  NULL when absent (a JSON null is a VALUE_NULL, not NULL). */
struct value *value_get(const struct value *obj, const char *key);
/* ASP.NET/ServiceStack binding: exact name first, then ignoring case. */
struct value *value_get_ci(const struct value *obj, const char *key);
const char *value_type_name(enum value_type t);

/* Decoder limits; checked before the memory is spent. */
struct fmt_limits {
	size_t		 max_depth;	/* nesting of arrays and objects */
	size_t		 max_items;	/* members or items in one container */
	size_t		 max_string;	/* bytes in one string or key */
	size_t		 max_nodes;	/* values in the whole document */
};

extern const struct fmt_limits fmt_default_limits;

enum fmt_status {
	FMT_OK = 0,
	FMT_EMPTY,		/* no document at all */
	FMT_SYNTAX,		/* not well-formed */
	FMT_ENCODING,		/* invalid UTF-8, embedded NUL */
	FMT_LIMIT,		/* a limit was exceeded */
	FMT_DUPLICATE,		/* the same key twice in one object */
	FMT__MAX
};

/* Where and why decoding failed, for the dialect's error body. */
struct fmt_error {
	char		 msg[192];	/* "Unexpected end of input." ... */
	char		 path[192];	/* JSON path like "Roles[0].Name" */
	size_t		 offset;	/* byte offset in the input */
};

/*
 * json.c: decodes n bytes of JSON (one document, UTF-8) into *out.
 * Returns FMT_OK or a failure with *err filled.  Keys and strings are
 * copied into the arena with their lengths; an escaped NUL is refused.
 */
enum fmt_status json_decode(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
    RS_MUSTCHECK;

/*
 * Encodes v as compact JSON, appended to b (sticky errors: check
 * b->failed).  Object members keep their order; nulls are written.
 */
void json_encode(struct buf *b, const struct value *v);

#endif
