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
	VALUE_RAW,		/* JSON text: json_encode writes it as it is */
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
		} str;		/* VALUE_STRING, VALUE_NUMBER, VALUE_RAW */
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
/*
 * A node holding compact JSON text already written (json[0..n), not
 * copied: it must last as long as the node).  Only json_encode writes
 * one; no decoder makes one and no other encoder takes one.
 */
struct value *value_raw(struct arena *a, const char *json, size_t n);
void value_push(struct arena *a, struct value *arr, struct value *v);
void value_set(struct arena *a, struct value *obj, const char *key,
    struct value *v);
/* value_set without the copy: key lasts as long as obj (see value.c). */
void value_set_kept(struct arena *a, struct value *obj, const char *key,
    struct value *v);
/* value_set, or the first member named key given the value v instead. */
void value_put(struct arena *a, struct value *obj, const char *key,
    struct value *v);

/* Lookups.  NULL when absent (a JSON null is a VALUE_NULL, not NULL). */
struct value *value_get(const struct value *obj, const char *key);
/* value_get's member when it is a string: its text; else NULL. */
const char *value_str(const struct value *obj, const char *key);
/* ASP.NET/ServiceStack binding: exact name first, then ignoring case. */
struct value *value_get_ci(const struct value *obj, const char *key);
const char *value_type_name(enum value_type t);

/* Decoder limits; checked before the memory is spent. */
struct fmt_limits {
	size_t		 max_depth;	/* nesting of arrays and objects */
	size_t		 max_items;	/* members or items in one container */
	size_t		 max_string;	/* bytes in one string or key */
	size_t		 max_nodes;	/* values in the whole document */
	size_t		 max_number;	/* characters of a number; 0: 64 */
};

extern const struct fmt_limits fmt_default_limits;

/*
 * Whether p[0..n) is only whitespace (space, TAB, CR, LF: what JSON, JSV,
 * XML and a form body may hold around a document); 1 when n is 0.  A body
 * of only these is no document (FMT_EMPTY).
 */
int fmt_all_space(const char *p, size_t n);

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
/* Appends s[0..n) as a JSON string, quoted, as json_encode writes one. */
void json_put_string(struct buf *b, const char *s, size_t n);
/* The same without the quotes: a piece of a string. */
void json_put_escaped(struct buf *b, const char *s, size_t n);

/*
 * Reading JSON text that PostgreSQL wrote (json and jsonb output, well
 * formed by construction) without decoding it: an object's members or
 * an array's items one at a time, as spans of the text.  Text that is
 * not well formed ends the walk with -1 (never a read past its end);
 * what it holds is then the caller's to decide.
 */
struct json_span {
	const char	*p;
	size_t		 n;
};
struct json_walk {
	const char	*p, *end;
	size_t		 max_depth;	/* a value's nesting, itself counted */
	size_t		 members;	/* an object's, so far */
	char		 close;		/* '}' or ']' */
	int		 started;
};
/* Starts at the object or array p[0..n) holds: 0, or -1 when neither. */
int json_walk_start(struct json_walk *w, const char *p, size_t n,
    size_t max_depth) RS_MUSTCHECK;
/*
 * The next member (key: the text between its quotes, escapes as they
 * are; an array's items have none) and its value's text: 1, 0 at the
 * end, -1 when the text is not well formed, nests deeper than allowed
 * or holds what json_decode refuses under any limits (an object of over
 * 1,024 members).
 */
int json_walk_next(struct json_walk *w, struct json_span *key,
    struct json_span *val) RS_MUSTCHECK;
/*
 * The next item of an array's walk w as a walk of its own, where it is
 * (an object or array, one level less deep): 1 with *inner started, 0 at
 * w's end, -1 when it is neither or the text is not well formed.  Once
 * inner has ended (json_walk_next answered 0), json_walk_leave goes on in
 * w after it.  The walk of an array of objects without a second pass.
 */
int json_walk_enter(struct json_walk *w, struct json_walk *inner)
    RS_MUSTCHECK;
void json_walk_leave(struct json_walk *w, const struct json_walk *inner);
/*
 * Appends well-formed JSON text p[0..n) as json_encode would write what
 * it holds: without the whitespace between tokens, \u escapes in upper
 * case.
 */
void json_put_compact(struct buf *b, const char *p, size_t n);

#endif
