/*
 * form.h: application/x-www-form-urlencoded -> value tree, with the key
 * shapes ASP.NET Web API's JQueryMvcFormUrlEncodedFormatter binds
 * (FORMATS.md §3.7):
 *
 *	Email=a%40b.example&Title=Dr+Who	plain pairs
 *	Roles[0][Name]=x&StoreIDs[]=1		jQuery ($.param)
 *	Roles[0].Name=x&StoreIDs[0]=1		MVC
 *	StoreIDs=1&StoreIDs=2			repeated key (traditional)
 *
 * All values are strings (a key without '=' gives null); typing them is
 * the dialect's job.  A key repeated at a name gives an array of its
 * values, so a dialect that binds a collection from a form also takes a
 * lone string as a one-item collection.
 */
#ifndef ROSTERD_FORM_H
#define ROSTERD_FORM_H

#include "formats.h"

#define FORM_MAX_PAIRS	1000	/* name=value pairs in one body */
#define FORM_MAX_KEY	256	/* bytes of one key, percent-decoded */

/*
 * Decodes n bytes of a form body into *out, an object.  Pairs are split
 * on '&' (empty ones skipped), '+' is a space and %XX a byte in keys and
 * values; the decoded bytes must be strict UTF-8 without NUL.  Key
 * segments are names (first, after '.', or in brackets), indices
 * ("[0]": decimal without sign or leading zero, below lim->max_items)
 * or "[]" (append, last only); names merge ignoring ASCII case, the
 * first spelling kept.  Refused, naming the key: malformed
 * percent-encoding or brackets, empty names, negative or oversized
 * indices, an index that is never filled (a gap, found at the end), a
 * key used both as a value and as an object or array, the same index
 * twice.  lim (NULL for fmt_default_limits) bounds segments per key
 * (max_depth; the tree's nesting too, so a key repeated at the last
 * allowed segment, whose list would nest one deeper, is refused),
 * members or items per container (max_items), value bytes
 * (max_string) and values, counted as the member and item slots they
 * take, unfilled array slots included (max_nodes); pairs and key bytes
 * are bounded by FORM_MAX_PAIRS and FORM_MAX_KEY.
 *
 * Returns FMT_OK with *out set, or, with *out NULL and *err filled
 * (path: the key as "Roles[0].Name"): FMT_EMPTY (no bytes or only
 * whitespace), FMT_SYNTAX, FMT_ENCODING, FMT_LIMIT or FMT_DUPLICATE.
 * Everything in *out comes from a.
 */
enum fmt_status form_decode(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
    RS_MUSTCHECK;

#endif
