/*
 * scim.h: the SCIM 2.0 dialect (RFC 7643, RFC 7644): what scim.c
 * (errors, bodies, discovery, schemas, PATCH machinery, projection),
 * scim_resource.c (what Users and Groups do alike), scim_users.c and
 * scim_groups.c share.
 */
#ifndef ROSTERD_SCIM_H
#define ROSTERD_SCIM_H

#include "dialect.h"
#include "../db/db.h"
#include "../scim/filter.h"

#define SCIM_URN_USER	"urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_URN_GROUP	"urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_URN_ENT \
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_URN_RGROUP \
	"urn:rosterd:params:scim:schemas:extension:2.0:Group"
#define SCIM_URN_ERROR	"urn:ietf:params:scim:api:messages:2.0:Error"
#define SCIM_URN_LIST \
	"urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_URN_PATCH	"urn:ietf:params:scim:api:messages:2.0:PatchOp"

#define SCIM_MAX_COUNT	1000	/* largest page */
#define SCIM_DEF_COUNT	100	/* a page without count */
#define SCIM_MAX_MEMBERS 10000	/* members in one request */
#define SCIM_BULK_MAX_OPS 1000	/* operations in one BulkRequest */

/* An attribute of a schema (RFC 7643 §7). */
enum scim_atype {
	SA_STRING = 0,
	SA_BOOL,
	SA_COMPLEX,
	SA_REF,
	SA_DATETIME,
};

enum scim_aflags {
	SA_MULTI = 1u << 0,
	SA_REQUIRED = 1u << 1,
	SA_CASE_EXACT = 1u << 2,
	SA_READ_ONLY = 1u << 3,
	SA_WRITE_ONLY = 1u << 4,	/* returned never */
	SA_UNIQUE = 1u << 5,		/* uniqueness server */
	SA_ALWAYS = 1u << 6,		/* returned always */
	SA_IMMUTABLE = 1u << 7,
};

struct scim_attr {
	const char	*name;
	enum scim_atype	 type;
	unsigned	 flags;
	const char	*desc;
	const struct scim_attr *sub;
	size_t		 nsub;
	const char *const *canon;	/* canonical values, NULL-terminated */
	const char *const *refs;	/* referenceTypes, NULL-terminated */
};

struct scim_schema {
	const char	*urn;
	const char	*name;
	const char	*desc;
	const struct scim_attr *attrs;
	size_t		 nattrs;
};

extern const struct scim_schema scim_schema_user, scim_schema_ent,
    scim_schema_group, scim_schema_rgroup;

/* A resource type: its core schema and its one extension. */
struct scim_rtype {
	const char	*name;		/* "User" */
	const char	*endpoint;	/* "/Users" */
	const struct scim_schema *core, *ext;
};
extern const struct scim_rtype scim_rt_user, scim_rt_group;

extern const struct dialect dialect_scim;

/* Sends the RFC 7644 §3.12 error; scim_type may be NULL. */
void scim_error(struct http_req *req, struct http_resp *resp, int status,
    const char *scim_type, const char *detail);
/* The RFC 7644 §3.12 error object itself; scim_type may be NULL. */
struct value *scim_error_value(struct arena *a, int status,
    const char *scim_type, const char *detail);
/* Maps a failed statement to 503/500 (a conflict is the caller's). */
void scim_db_error(struct http_req *req, struct http_resp *resp,
    enum db_status st);
/* Sends v as application/scim+json with status. */
void scim_send(struct http_req *req, struct http_resp *resp, int status,
    const struct value *v);
/*
 * The JSON object body (application/scim+json or application/json), or
 * NULL with the error sent.  lim NULL: the configured limits.
 */
struct value *scim_body(struct http_req *req, struct http_resp *resp,
    const struct fmt_limits *lim);
/* A query parameter, '+' and %XX decoded; *bad set on a bad escape. */
const char *scim_query(const struct http_req *req, const char *name,
    int *bad);
/* 1 when the request's tenant is a uuid, else 0 with a 404 sent. */
int scim_tenant_ok(struct http_req *req, struct http_resp *resp);
/* The canonical id of the path's {id}, or NULL (then: 404 sent). */
const char *scim_path_id(struct http_req *req, struct http_resp *resp,
    const char *what);
/*
 * If-Match: NULL (absent or "*"), the version number's text, or "-1"
 * (matches nothing) for a tag rosterd never gave.
 */
const char *scim_if_match(const struct http_req *req);
/* The base of the request's URLs: "https://host/scim/v2[/tenants/t]". */
const char *scim_base(struct http_req *req);
/* The caller (audit actor). */
const char *scim_actor(const struct http_req *req);
PGresult *scim_exec(struct http_req *req, enum stmt id,
    const char *const *params, enum db_status *st, const char **constraint);

/* Object helpers (names compared without case). */
struct value *scim_obj_get(const struct value *o, const char *key);
void scim_obj_put(struct arena *a, struct value *o, const char *key,
    struct value *v);
void scim_obj_del(struct value *o, const char *key);
const char *scim_str(const struct value *o, const char *key);

/*
 * Normalises a resource (POST/PUT body or PATCH value) of rt in place:
 * names to the schema's spelling, string booleans to booleans, a bare
 * string to {"value": ...} where a complex value is due, nulls and empty
 * arrays dropped, "name.givenName" and "urn:...:attr" keys expanded,
 * read-only common attributes (id, meta, schemas) dropped.  Returns 0,
 * or -1 with a message in err (a type the schema refuses).
 */
int scim_normalize(struct arena *a, const struct scim_rtype *rt,
    struct value *res, char *err, size_t errlen);

/*
 * Applies the PatchOp body to res (a normalised resource of rt, without
 * its read-only attributes), as RFC 7644 §3.5.2 says and as real clients
 * send it.  The hook, when not NULL, sees every operation first and
 * returns 1 when it took the operation (Group members), 0 to leave it to
 * the generic rules, -1 with the error sent.  Returns 0, or -1 with the
 * error sent.
 */
typedef int (*scim_patch_hook)(void *ctx, struct http_req *req,
    struct http_resp *resp, const char *op, const struct scim_path *path,
    const char *pathtext, struct value *value);
int scim_patch_apply(struct http_req *req, struct http_resp *resp,
    const struct scim_rtype *rt, struct value *res, const struct value *body,
    scim_patch_hook hook, void *ctx);

/* 1 when a PatchOp body's Operations is an empty array (no change). */
int scim_patch_empty(const struct value *body);

/* Evaluates a filter on one JSON object (PATCH value filters). */
int scim_filter_match(const struct scim_node *n, const struct value *v);

/*
 * attributes / excludedAttributes of the request, applied to an output
 * resource of rt in place (id, schemas and meta always stay).
 */
struct scim_proj {
	const char	*attributes;
	const char	*excluded;
};
int scim_proj_init(struct http_req *req, struct http_resp *resp,
    struct scim_proj *p) RS_MUSTCHECK;
void scim_proj_apply(struct arena *a, const struct scim_proj *p,
    const struct scim_rtype *rt, struct value *res);
/* Whether the projection leaves attribute name (top level) out. */
int scim_proj_excludes(const struct scim_proj *p, const char *name);

/*
 * startIndex / count: *offset (0-based) and *count; 0, or -1 with a 400
 * sent.
 */
int scim_paging(struct http_req *req, struct http_resp *resp, long *start,
    long *count) RS_MUSTCHECK;
/* Sends a ListResponse of items[0..n). */
void scim_send_list(struct http_req *req, struct http_resp *resp,
    long total, long start, struct value **items, size_t n);

/*
 * Compiles the filter f (NULL: none) against map into "AND (...)" text
 * appended to w and parameters appended to params (from $first); 0, 1
 * (no filter), 2 (lenient: it names attributes the map lacks), or -1
 * with the 400 invalidFilter sent.
 */
int scim_where(struct http_req *req, struct http_resp *resp, const char *f,
    const struct scim_sqlattr *map, size_t nmap, int first, int lenient,
    struct buf *w, const char ***params, int *nparams);

/*
 * sortBy / sortOrder against map (attribute names of the core schema,
 * without regard to case, with or without its URN): " ORDER BY ..." into
 * order, the fixed SQL of the map followed by tiebreak (the same
 * direction); no sortBy, or (lenient) one the map lacks: deflt.  0, or
 * -1 with a 400 invalidValue sent.
 */
struct scim_sort {
	const char	*name;
	const char	*sql;
};
int scim_order(struct http_req *req, struct http_resp *resp, const char *by,
    const char *dir, int lenient, const char *core_urn,
    const struct scim_sort *map, size_t n, const char *tiebreak,
    const char *deflt, struct buf *order) RS_MUSTCHECK;

/* A list request: from the query string (GET) or a SearchRequest. */
struct scim_listq {
	const char	*filter, *sort_by, *sort_order;
	const char	*cursor;	/* RFC 9865: NULL (index paging) */
	struct scim_proj proj;
	long		 start, count;
};
int scim_listq_query(struct http_req *req, struct http_resp *resp,
    struct scim_listq *q) RS_MUSTCHECK;
int scim_listq_body(struct http_req *req, struct http_resp *resp,
    struct scim_listq *q) RS_MUSTCHECK;
/*
 * Where a page starts.  Index paging, and a cursor in another order than
 * the default or of POST /.search: offset rows skipped.  A cursor of
 * /Users or /Groups in the default order pages by key (keyset): the rows
 * after the one whose (created_at, id) is key_us (microseconds) and
 * key_id, so that a page costs the same at any depth; the key is NULL on
 * the first page, and on a page an offset cursor names (previousCursor),
 * which then skips offset rows.
 */
struct scim_at {
	long		 offset;	/* rows before the page */
	const char	*key_us, *key_id; /* keyset: the row before it */
	long		 total;		/* keyset: the walk's count; -1: none */
	int		 keyset;	/* paged by key (cursor, default order) */
};
/*
 * Where q's page starts: from its cursor (RFC 9865; empty: the first
 * page), else startIndex.  keyset: the list may page by key (a cursor of
 * /Users or /Groups; the order is the default unless q has sortBy).  0,
 * or -1 with a 400 (invalidCursor, expiredCursor, invalidCount) sent.
 */
int scim_cursor_at(struct http_req *req, struct http_resp *resp,
    const struct scim_listq *q, int keyset, struct scim_at *at) RS_MUSTCHECK;
/* A page of a list: what scim_res_query() read. */
struct scim_page {
	long		 total;		/* totalResults */
	struct value	**items;
	size_t		 n;
	const char	*last;		/* keyset: the last row's key */
	int		 more;		/* keyset: rows follow the page */
};
/* Sends a page: index paging, or with nextCursor/previousCursor. */
void scim_send_page(struct http_req *req, struct http_resp *resp,
    const struct scim_listq *q, const struct scim_at *at,
    const struct scim_page *pg);

/* Handlers. */
void scim_spc(struct http_req *req, struct http_resp *resp);
void scim_rtypes(struct http_req *req, struct http_resp *resp);
void scim_rtype_get(struct http_req *req, struct http_resp *resp);
void scim_schemas(struct http_req *req, struct http_resp *resp);
void scim_schema_get(struct http_req *req, struct http_resp *resp);
void scim_me(struct http_req *req, struct http_resp *resp);
void scim_search_root(struct http_req *req, struct http_resp *resp);
/* scim_bulk.c */
void scim_bulk(struct http_req *req, struct http_resp *resp);
void scim_users_search(struct http_req *req, struct http_resp *resp);
void scim_groups_search(struct http_req *req, struct http_resp *resp);

/*
 * A resource type as scim_resource.c's handlers see it: scim_users.c
 * and scim_groups.c each define one (scim_type_user, scim_type_group).
 * The SQL fragments are fixed text; none comes from a request.
 */
struct scim_type {
	const char	*noun;		/* "user": in messages */
	const struct scim_rtype *rt;	/* its schemas and endpoint */
	const struct scim_sqlattr *map;	/* what a filter may name */
	size_t		 nmap;
	const struct scim_sort *sort;	/* what sortBy may name */
	size_t		 nsort;
	const char	*table, *alias;	/* "users", "u" */
	const char	*tiebreak;	/* ORDER BY after sortBy: "u.id" */
	const char	*deflt;		/* without: "u.created_at, u.id" */
	/*
	 * DELETE: $1 tenant, $2 id, $3 actor, $4 request id, $5 If-Match;
	 * it returns found and deleted.
	 */
	enum stmt	 del;
	/* The select list of a page's rows (alias' columns). */
	const char	*(*cols)(const struct scim_listq *q);
	/* The resource of row `row` (the type's columns) of r. */
	struct value	*(*from_row)(struct http_req *req, const PGresult *r,
			    int row);
	/*
	 * Optional: the same resource as JSON text (a VALUE_RAW) when no
	 * projection applies, or NULL to leave it to from_row.
	 */
	struct value	*(*json_row)(struct http_req *req, const PGresult *r,
			    int row);
};
extern const struct scim_type scim_type_user, scim_type_group;

/* scim_resource.c: what Users and Groups do alike. */
/* A 404: no resource of t has this id. */
void scim_res_missing(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t);
/* A 412: the resource changed since the version in If-Match. */
void scim_res_changed(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t);
/*
 * A PATCH that found no version to write over: 412 with If-Match, else
 * 503 (it kept changing).
 */
void scim_res_gave_up(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const char *ifm);
/* A 204 without a body. */
void scim_no_content(struct http_resp *resp);
/* Reads resource id with statement stmt: the row, or NULL (sent). */
PGresult *scim_res_read(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, enum stmt stmt, const char *id);
/*
 * Row 0 of r as the resource, normalised, with the PatchOp body applied
 * and normalised again; NULL with the error sent.
 */
struct value *scim_res_patched(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const PGresult *r, const struct value *body,
    scim_patch_hook hook, void *ctx);
/* The meta of row `row` (created, updated, version columns) of id. */
struct value *scim_res_meta(struct http_req *req, const struct scim_type *t,
    const PGresult *r, int row, const char *id);
/* Sends res (row 0 of r) with its ETag, and its Location on 201. */
void scim_res_send(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, int status, const PGresult *r,
    const struct value *res);
/*
 * The page of the list q asks for that starts at at, of at most limit
 * rows, projected: 0 with *pg; 1 (lenient) the filter names attributes t
 * lacks (nothing matches); -1 with the error sent.
 */
int scim_res_query(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q,
    const struct scim_at *at, long limit, int lenient,
    struct scim_page *pg) RS_MUSTCHECK;
/* Sends q's page as a ListResponse. */
void scim_res_answer(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t, const struct scim_listq *q);
/* GET /{Users,Groups}?filter=&startIndex=&count=&sortBy=&sortOrder=... */
void scim_res_list(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t);
/* DELETE /{Users,Groups}/{id} */
void scim_res_delete(struct http_req *req, struct http_resp *resp,
    const struct scim_type *t);
/* Stored JSON (rosterd wrote it): its value, or NULL. */
struct value *scim_stored_json(struct arena *a, const char *s);
struct value *scim_stored_json_n(struct arena *a, const char *s, size_t n);
/*
 * A row's references (text: json_agg's of {"value", "display"} objects,
 * as DB_SCIM_USER_COLS and DB_SCIM_GROUP_MEMBERS make it) appended as
 * ,"key":[...] with each one's $ref (the base URL, endpoint and its
 * value) and type, as from_row writes them: nothing when text is NULL,
 * or holds none and !empty_too.  0, or -1 (b not to be used) when the
 * text is not as those statements make it.
 */
/* s as a JSON string, or null when it is NULL. */
void scim_put_str(struct buf *b, const char *s);
/* ,"meta":{...} of row `row` of r, as scim_res_meta's tree encodes. */
void scim_put_meta(struct http_req *req, struct buf *b,
    const struct scim_type *t, const PGresult *r, int row, const char *id);
int scim_put_refs(struct http_req *req, struct buf *b, const char *key,
    const char *text, const char *endpoint, const char *type, int empty_too)
    RS_MUSTCHECK;

/* scim_users.c */
void scim_users_create(struct http_req *req, struct http_resp *resp);
void scim_users_list(struct http_req *req, struct http_resp *resp);
void scim_users_get(struct http_req *req, struct http_resp *resp);
void scim_users_put(struct http_req *req, struct http_resp *resp);
void scim_users_patch(struct http_req *req, struct http_resp *resp);
void scim_users_delete(struct http_req *req, struct http_resp *resp);

/* scim_groups.c */
void scim_groups_create(struct http_req *req, struct http_resp *resp);
void scim_groups_list(struct http_req *req, struct http_resp *resp);
void scim_groups_get(struct http_req *req, struct http_resp *resp);
void scim_groups_put(struct http_req *req, struct http_resp *resp);
void scim_groups_patch(struct http_req *req, struct http_resp *resp);
void scim_groups_delete(struct http_req *req, struct http_resp *resp);

#endif
