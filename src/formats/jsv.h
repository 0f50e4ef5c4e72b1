/*
 * jsv.h: ServiceStack's JSV text format <-> the value tree (FORMATS.md
 * sections 2.1 to 2.3), and the small scalar conversions ServiceStack
 * applies to JSV values (Guid "N" form, shortest XSD dates, lenient
 * booleans).  Pure functions: no names, casing or business rules.
 */
#ifndef ROSTERD_FORMATS_JSV_H
#define ROSTERD_FORMATS_JSV_H

#include <stddef.h>
#include <stdint.h>

#include "formats.h"

/*
 * The largest JSV document jsv_decode() reads, whatever the limits
 * passed: the front line caps request bodies lower than this already.
 */
#define JSV_MAX_BYTES	(4u * 1024 * 1024)

/* Nesting cap applied on top of fmt_limits.max_depth (recursion bound). */
#define JSV_MAX_DEPTH	256

/* Members in one object, on top of fmt_limits.max_items (as json.c). */
#define JSV_MAX_MEMBERS	1024

/* Characters of a Guid in "N" form, without the NUL. */
#define JSV_GUID_LEN	32

/* Bytes jsv_date() writes at most, with the NUL. */
#define JSV_DATE_SIZE	29

/*
 * Decodes n bytes of JSV (one document, UTF-8, no BOM) into *out.
 *
 * Grammar: objects {key:value,...}, arrays [a,b], quoted strings "..."
 * with "" for a literal quote, and unquoted scalars that run to the
 * next ',' '}' or ']'.  Whitespace (space, tab, CR, LF) around
 * structural characters and around unquoted keys and scalars is
 * insignificant, so ServiceStack's pretty-printed samples parse; it is
 * kept inside quotes.  JSV has no types: every scalar, quoted or not,
 * becomes a VALUE_STRING and the caller converts it by the target
 * type, as ServiceStack binds.  An empty value ("{a:}", "[a,,b]")
 * becomes a VALUE_NULL (ServiceStack reads it as the default); empty
 * braces or brackets are an empty object or array.
 *
 * Refused: an unterminated string, object or array; a '"' '{' or '['
 * inside an unquoted scalar and anything but whitespace and a
 * separator after a closing quote (bad quoting); a line break or other
 * control character inside an unquoted key or scalar; NUL bytes and
 * invalid UTF-8 anywhere; duplicate keys in one object (exact bytes);
 * a missing key, a trailing ',' before '}'; data after the document;
 * and input past any limit of lim (fmt_default_limits when NULL),
 * JSV_MAX_MEMBERS, JSV_MAX_DEPTH or JSV_MAX_BYTES.
 *
 * Returns FMT_OK with *out set, or FMT_EMPTY, FMT_SYNTAX, FMT_ENCODING,
 * FMT_LIMIT or FMT_DUPLICATE with *out NULL and *err filled: a message,
 * the path of the offending value ("responseStatus.errors[0].meta")
 * and the byte offset.  Everything is allocated from a.
 */
enum fmt_status jsv_decode(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
    RS_MUSTCHECK;

/*
 * Appends the compact JSV text of v to b (sticky errors: check
 * b->failed), as ServiceStack writes it: no whitespace; object members
 * in order, those whose value is null omitted; null array items left
 * empty ("[a,,b]"; so a lone null item reads back as "[]"); booleans
 * True/False; number text as it is.  A string (or key) is written
 * quoted, with every '"' doubled, when it is empty or contains any of
 * '"' ':' ',' '{' '}' '[' ']' or a control character, or starts or ends
 * with whitespace; otherwise bare.  Number text that would break the
 * grammar that way is quoted too, so the output always reads back.
 * Colons are allowed bare in number text: put a ServiceStack date from
 * jsv_date() in a VALUE_NUMBER node to have it written bare, as
 * ServiceStack writes dates, rather than quoted.
 */
void jsv_encode(struct buf *b, const struct value *v);

/*
 * Writes the Guid s[0..n) ("D" form in either case, optionally in
 * {braces}, or "N" form) as ServiceStack's JSV and JSON write Guids:
 * 32 lower-case hex digits, no hyphens, and a NUL.  Returns FMT_OK, or
 * FMT_SYNTAX (out untouched) when s is not a Guid.
 */
enum fmt_status jsv_guid(const char *s, size_t n,
    char out[JSV_GUID_LEN + 1]) RS_MUSTCHECK;

/*
 * Reads a Guid in any form jsv_guid() accepts into rosterd's canonical
 * lower-case 36-character form and a NUL.  Returns FMT_OK, or
 * FMT_SYNTAX (out untouched).
 */
enum fmt_status jsv_guid_parse(const char *s, size_t n,
    char out[UUID_STR_LEN + 1]) RS_MUSTCHECK;

/*
 * Writes the UTC time ms (milliseconds since the Unix epoch) in
 * ServiceStack's shortest XSD form and a NUL into out: "yyyy-MM-dd" at
 * midnight, "yyyy-MM-ddTHH:mm:ssZ" on a whole second, else
 * "yyyy-MM-ddTHH:mm:ss.fffffffZ" (seven digits).  Times outside years
 * 0001-9999 are clamped to that range (DateTime.MinValue/MaxValue).
 */
void jsv_date(int64_t ms, char out[JSV_DATE_SIZE]);

/*
 * Reads a boolean as ServiceStack does: a VALUE_BOOL, or a string that
 * is one of 1 t T y Y on / "" 0 f F n N off exactly, or "true"/"false"
 * in any case with surrounding whitespace (bool.Parse).  Returns FMT_OK
 * with *out 0 or 1, or FMT_SYNTAX (*out untouched) for anything else,
 * including NULL and null.
 */
enum fmt_status jsv_bool(const struct value *v, int *out) RS_MUSTCHECK;

#endif
