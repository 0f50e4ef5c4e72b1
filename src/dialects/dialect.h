/*
 * dialect.h: the wire dialects (decode -> core -> encode), their route
 * handlers and their error shapes.
 */
#ifndef ROSTERD_DIALECT_H
#define ROSTERD_DIALECT_H

#include "../config.h"
#include "../core/core.h"
#include "../formats/formats.h"
#include "../http/http.h"

/* What a handler reaches through req->ctx: the worker's long-lived state. */
struct app {
	const struct config *cfg;
	struct db	*db;
};

/* The configured limits of a request body (max_depth, max_items, ...). */
const struct fmt_limits *dialect_limits(const struct http_req *req);

/* Builds the core context of a request (db, arena, actor, request id). */
void dialect_core_ctx(const struct http_req *req, struct core_ctx *c);

/*
 * 1 when the caller holds SystemAdmin (authz_check()'s rule), else 0:
 * roles flagged isSystemAdmin are created, changed, deleted and
 * assigned by SystemAdmins only.
 */
int dialect_system_admin(const struct http_req *req);

/* health.c: /healthz, /readyz, and the plain problem+json shape. */
extern const struct dialect dialect_plain;
void health_healthz(struct http_req *req, struct http_resp *resp);
void health_readyz(struct http_req *req, struct http_resp *resp);
void health_metrics(struct http_req *req, struct http_resp *resp);
void health_openapi(struct http_req *req, struct http_resp *resp);

/* aspnet.c: what the three ASP.NET Web API apps share. */

/* Media types of Web API's formatters, in their registration order. */
enum aspnet_media {
	ASPNET_JSON = 0,	/* application/json */
	ASPNET_TEXT_JSON,	/* text/json */
	ASPNET_XML,		/* application/xml */
	ASPNET_TEXT_XML,	/* text/xml */
	ASPNET_XLSX,		/* ...spreadsheetml.sheet (003) */
	ASPNET_MS_EXCEL,	/* application/vnd.ms-excel: the same xlsx */
	ASPNET_FORM,		/* x-www-form-urlencoded: request bodies only */
	ASPNET_MEDIA__MAX
};

struct xml_contract;

struct aspnet_app {
	const char	*param;		/* action parameter: ModelState prefix */
	int		 camel_case;	/* Json.NET CamelCasePropertyNames */
	int		 dollar_id;	/* PreserveReferencesHandling.Objects */
	int		 xml;		/* XmlMediaTypeFormatter registered */
	int		 xlsx;		/* the xlsx formatter registered (003) */
	const struct xml_contract *contract; /* the request body's, or NULL */
	const char	*xlsx_name;	/* Content-Disposition file name */
	int		 secrets;	/* bodies carry secrets: a decoder's
					 * message quotes nothing of a form or
					 * XML body */
};

extern const struct aspnet_app aspnet_app_004;
extern const struct dialect dialect_aspnet_004;

/*
 * The response media type DefaultContentNegotiator would choose: Accept
 * by q-value (a literal type before type/any before any/any, ties in
 * formatter order), else
 * the request's own body type, else JSON.  Never fails.
 */
enum aspnet_media aspnet_negotiate(const struct aspnet_app *app,
    const struct http_req *req);
/* Sends {"Message": message} (+ ModelState when not NULL) as status. */
void aspnet_error(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const char *message,
    struct value *model_state);
/*
 * Sends a DTO (CLR names, members in declaration order) as negotiated:
 * JSON with the app's casing and "$id"s, XML by app's response contract
 * c (NULL: JSON), or xlsx (row 1 the names, row 2 the values) when the
 * app has it.
 */
void aspnet_send_dto(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const struct value *dto,
    const struct xml_contract *c);
/* Sends a JSON body in the app's conventions (casing is the caller's). */
void aspnet_send(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, struct value *body);
/* Adds msg under key in a ModelState object. */
void aspnet_model_error(struct arena *a, struct value *ms, const char *key,
    const char *msg);
/* 1 when the request body is JSON (application/json, text/json). */
int aspnet_is_json(const struct http_req *req);
/* Sends 415 for the request's media type. */
void aspnet_unsupported_media(const struct aspnet_app *app,
    struct http_req *req, struct http_resp *resp);
/* Maps a core status with no field errors to the app's error response. */
void aspnet_core_error(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, enum core_status st, const char *message);
/*
 * Decodes the request body by its Content-Type (JSON, XML by
 * app->contract when app->xml, form) into *doc, an object.  On failure
 * sends 415 or 400 ModelState (key: app->param and the path) and
 * returns -1; 0 on success.
 */
int aspnet_read_body(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, struct value **doc) RS_MUSTCHECK;

/* aspnet_organization_users.c: seed 004. */
void aspnet_org_users_post(struct http_req *req, struct http_resp *resp);

/* Seeds 000 and 003: declarations below this line. */

/*
 * aspnet_bind.c: binding a body to a CLR type described by a table, as
 * Json.NET does (names without case, values converted, "$id"/"$ref"),
 * and writing it back in declaration order.
 */
enum aspnet_type {
	AT_STRING = 0,
	AT_GUID,
	AT_BOOL,
	AT_INT,
	AT_DOUBLE,
	AT_DATE,
	AT_BYTES,		/* byte[]: base64 */
	AT_OBJECT,		/* a nested type (obj) */
	AT_GUID_LIST,
	AT_INT_LIST,
	AT__MAX
};

enum aspnet_field_flags {
	AF_REQUIRED = 1u << 0,	/* [Required] value type: absent is an error */
	AF_REQUIRED_STR = 1u << 1, /* [Required] string: absent or empty */
	AF_SECRET = 1u << 2,	/* write-only: never stored as sent, null out */
};

struct aspnet_type_def;

struct aspnet_field {
	const char	*name;		/* the CLR name */
	enum aspnet_type type;
	unsigned	 flags;		/* enum aspnet_field_flags */
	const struct aspnet_type_def *obj; /* AT_OBJECT */
};

struct aspnet_type_def {
	const char	*name;		/* CLR type name, for messages */
	const struct aspnet_field *fields;
	size_t		 nfields;
};

struct aspnet_binder {
	struct arena	*a;
	const char	*param;		/* ModelState prefix */
	struct value	*ms;		/* ModelState being filled */
	int		 nerr;
	struct value	*refs;		/* "$id" -> bound object */
};

void aspnet_binder_init(struct aspnet_binder *b, struct arena *a,
    const char *param);
/* Adds a ModelState error at path (relative to the parameter). */
void aspnet_bind_error(struct aspnet_binder *b, const char *path,
    const char *msg);
/*
 * Binds v (the body, or a nested object at path) to def: an object of
 * the members present, canonical (Guids lower-case D form, booleans
 * and numbers typed), in def's order; conversion errors and missing
 * required members go to b->ms.  NULL when v is null or not an object.
 */
struct value *aspnet_bind(struct aspnet_binder *b,
    const struct aspnet_type_def *def, const struct value *v,
    const char *path);
/*
 * Every member of def in order from the bound or stored object v
 * (absent and AF_SECRET members null), nested types likewise.
 */
struct value *aspnet_emit(struct arena *a, const struct aspnet_type_def *def,
    const struct value *v);
/* v without its AF_SECRET members (what may be stored as sent). */
struct value *aspnet_strip_secrets(struct arena *a,
    const struct aspnet_type_def *def, const struct value *v);

/* aspnet_xlsx.c: a one-object workbook (sheet "Data"), in memory. */
int aspnet_xlsx_write(struct arena *a, const struct value *dto,
    struct buf *out) RS_MUSTCHECK;

/* aspnet.c: seed 004's UserSimple contract. */
extern const struct xml_contract aspnet_user_simple;

/* aspnet_security_group_users.c: seed 000. */
extern const struct dialect dialect_aspnet_000;
void aspnet_security_group_users_post(struct http_req *req,
    struct http_resp *resp);

/* aspnet_accounts.c: seed 003. */
extern const struct dialect dialect_aspnet_003;
void aspnet_accounts_post(struct http_req *req, struct http_resp *resp);

/* Seeds 001 and 002: declarations below this line. */

/* servicestack_invite.c: seed 001 (ServiceStack). */
enum ss_format {
	SS_JSON = 0,
	SS_JSV,
	SS_XML,
	SS_CSV,
	SS_FORMAT__MAX
};

/*
 * ServiceStack's choice of response format (FORMATS.md §2.4): on a
 * predefined route /{json|jsv|xml|csv}/reply/... (or /oneway/) ?format=,
 * else the path's format (JSV as text/jsv); elsewhere the path's
 * last segment's suffix (.json .jsv .xml .csv), else ?format= (text
 * before the first '.'), else Accept (the request body's own format
 * when accepted, else the server's order JSON, XML, JSV, then CSV; q
 * only excludes with q=0; text/ and application/ alike; a lone * / *
 * answers in the request's format), else JSON.  *text_jsv is set when
 * JSV is to be labelled text/jsv (Accept or the request named it).
 * All arguments but path may be NULL.  Pure.
 */
enum ss_format ss_negotiate(const char *path, const char *query,
    const char *accept, const char *content_type, int *text_jsv);
extern const struct dialect dialect_servicestack;
void ss_invite_post(struct http_req *req, struct http_resp *resp);

/* fields.c: response field selection (Kibo's responseFields). */
struct field_sel;
/*
 * Parses "a,b(c,d(e))" (names of [A-Za-z0-9_], no spaces) into *out
 * (arena memory).  NULL or "" gives *out NULL: no selection.  Returns
 * 0, or -1 (*out NULL) when malformed, nested deeper than 8, longer
 * than 4096 bytes or naming more than 256 names.
 */
int field_sel_parse(struct arena *a, const char *s, struct field_sel **out)
    RS_MUSTCHECK;
/*
 * Returns v filtered by sel (v itself when sel is NULL): an object keeps
 * the members sel names (ASCII case ignored), in v's order, a nested
 * selection filtering that member's value; an array is filtered item by
 * item; scalars stay.  Builds new nodes in a; v is not changed.
 */
struct value *field_sel_apply(struct arena *a, const struct field_sel *sel,
    struct value *v);

/* kibo_admin_groups.c: seed 002 (Kibo). */
extern const struct dialect dialect_kibo;
void kibo_group_addusers(struct http_req *req, struct http_resp *resp);
void kibo_group_removeusers(struct http_req *req, struct http_resp *resp);
/*
 * The Kibo routes' x-vol-tenant header (ROUTE_VOL_TENANT), checked and
 * applied to req->tenant once the principal and the tenant the request
 * names otherwise are known, before the right is checked: 0, or the
 * refusing status (400, 403, 503) with *msg.
 */
int kibo_vol_tenant(struct http_req *req, const char **msg) RS_MUSTCHECK;

/* routes.c: the route table. */
extern const struct route routes[];
extern const size_t nroutes;
/* The dialect whose error shape answers an unmatched path. */
const struct dialect *routes_dialect_for_path(const char *path);

#endif
