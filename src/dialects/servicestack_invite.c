/*
 * servicestack_invite.c: seed 001, POST /usergroupuserinvite, as a
 * ServiceStack service answers it (FORMATS.md §2, §5(b)): the request
 * DTO in JSON, JSV, XML or a form; the response (UserAuth, or an
 * ErrorResponse) in JSON, JSV, XML or CSV, chosen by path suffix, then
 * ?format=, then Accept, then JSON.  The same handler serves the
 * custom route and ServiceStack's predefined ones, /api/{Request} and
 * /{json|jsv|xml|csv}/reply/{Request}, whose path names the format.
 *
 * Meaning: invite eMail into a user group of the target
 * tenant (its default user group unless userGroupId or groupCode names
 * one): the user is found by e-mail or made in the invited state, joins
 * the group, and gets a pending invite with a fresh single-use token
 * whose SHA-256 alone is stored.  Inviting again renews that invite.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../formats/csv.h"
#include "../formats/form.h"
#include "../formats/jsv.h"
#include "../formats/xml.h"
#include "dialect.h"

#define SS_NS		"http://schemas.servicestack.net/types"
#define SS_XML_DECL	"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
#define SS_DTO		"UserGroupUserInvite"
#define SS_INVITE_TTL	"604800"	/* 7 days, in seconds */
#define SS_GROUP_CODE_MAX 128

/* ---- format negotiation (FORMATS.md §2.4) ---- */

static const struct {
	const char	*name;		/* suffix and ?format= value */
	enum ss_format	 fmt;
} ss_names[] = {
	{ "json", SS_JSON }, { "jsv", SS_JSV }, { "xml", SS_XML },
	{ "csv", SS_CSV },
};

/* The format a media type names, or SS_FORMAT__MAX; *text_jsv for text/jsv. */
static enum ss_format
media_format(const char *p, size_t n, int *text_jsv)
{
	static const struct {
		const char	*type;
		enum ss_format	 fmt;
	} types[] = {
		{ "application/json", SS_JSON }, { "text/json", SS_JSON },
		{ "application/jsv", SS_JSV }, { "text/jsv", SS_JSV },
		{ "application/xml", SS_XML }, { "text/xml", SS_XML },
		{ "text/csv", SS_CSV }, { "application/csv", SS_CSV },
	};
	size_t i;

	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	for (i = 0; i < RS_ARRAY_LEN(types); i++) {
		if (strlen(types[i].type) == n &&
		    strncasecmp(types[i].type, p, n) == 0) {
			if (text_jsv != NULL && i == 3)
				*text_jsv = 1;
			return types[i].fmt;
		}
	}
	return SS_FORMAT__MAX;
}

/* The format of the request body's Content-Type, or SS_FORMAT__MAX. */
static enum ss_format
request_format(const char *ctype, int *text_jsv)
{
	if (ctype == NULL)
		return SS_FORMAT__MAX;
	return media_format(ctype, strcspn(ctype, ";"), text_jsv);
}

static enum ss_format
suffix_format(const char *path)
{
	const char *seg = strrchr(path, '/'), *dot;
	size_t i, n;

	seg = seg != NULL ? seg + 1 : path;
	n = strlen(seg);
	if (n > 0 && seg[n - 1] == '/')
		n--;
	for (i = 0; i < RS_ARRAY_LEN(ss_names); i++) {
		size_t k = strlen(ss_names[i].name);

		dot = seg + n - k - 1;
		if (n > k + 1 && *dot == '.' &&
		    strncasecmp(dot + 1, ss_names[i].name, k) == 0)
			return ss_names[i].fmt;
	}
	return SS_FORMAT__MAX;
}

/*
 * The format a predefined route names, /{json|jsv|xml|csv}/reply/{Request}
 * (or /oneway/), any case; SS_FORMAT__MAX on any other path.
 */
static enum ss_format
reply_format(const char *path)
{
	const char *seg = path + 1, *slash;
	size_t i, n;

	if (path[0] != '/' || (slash = strchr(seg, '/')) == NULL)
		return SS_FORMAT__MAX;
	n = (size_t)(slash - seg);
	if (strncasecmp(slash, "/reply/", 7) != 0 &&
	    strncasecmp(slash, "/oneway/", 8) != 0)
		return SS_FORMAT__MAX;
	for (i = 0; i < RS_ARRAY_LEN(ss_names); i++)
		if (strlen(ss_names[i].name) == n &&
		    strncasecmp(seg, ss_names[i].name, n) == 0)
			return ss_names[i].fmt;
	return SS_FORMAT__MAX;
}

/* ?format=: the text before the first '.', any case. */
static enum ss_format
query_format(const char *q)
{
	const char *p = q;
	size_t i, n;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, "format=", 7) == 0) {
			p += 7;
			n = strcspn(p, "&.");
			for (i = 0; i < RS_ARRAY_LEN(ss_names); i++)
				if (strlen(ss_names[i].name) == n &&
				    strncasecmp(p, ss_names[i].name, n) == 0)
					return ss_names[i].fmt;
			return SS_FORMAT__MAX;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return SS_FORMAT__MAX;
}

/* 1 when the media range's parameters say q=0. */
static int
q_zero(const char *p, size_t n)
{
	const char *q;

	for (q = p; q + 2 <= p + n; q++) {
		if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=' &&
		    (q == p || q[-1] == ';' || q[-1] == ' ')) {
			q += 2;
			while (q < p + n && (*q == '0' || *q == '.'))
				q++;
			return q >= p + n || *q == ' ' || *q == ';';
		}
	}
	return 0;
}

/* Accept: the server's preference order wins; q only excludes (q=0). */
static enum ss_format
accept_format(const char *accept, const char *ctype, int *text_jsv)
{
	static const enum ss_format order[] = { SS_JSON, SS_XML, SS_JSV,
	    SS_CSV };
	int ok[SS_FORMAT__MAX + 1] = { 0 }, any = 0, tj = 0;
	const char *p = accept;
	size_t n, m, i;
	enum ss_format f, reqf;
	int req_tj = 0;

	reqf = request_format(ctype, &req_tj);
	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		m = strcspn(p, ";,");
		if (!q_zero(p + m, n - m)) {
			int t = 0;

			f = media_format(p, m, &t);
			ok[f] = 1;
			tj |= t;
			while (m > 0 && p[m - 1] == ' ')
				m--;
			if (m >= 3 && strncmp(p + m - 3, "*/*", 3) == 0)
				any = 1;
		}
		p = p[n] == ',' ? p + n + 1 : NULL;
	}
	if (reqf != SS_FORMAT__MAX && (ok[reqf] || any)) {
		/* Accept: any type answers in the request's own JSV type */
		*text_jsv = reqf == SS_JSV && (tj || (!ok[reqf] && req_tj));
		return reqf;
	}
	for (i = 0; i < RS_ARRAY_LEN(order); i++)
		if (ok[order[i]]) {
			*text_jsv = order[i] == SS_JSV && tj;
			return order[i];
		}
	return SS_FORMAT__MAX;
}

/*
 * Chooses the response format.  See dialect.h.
 */
enum ss_format
ss_negotiate(const char *path, const char *query, const char *accept,
    const char *ctype, int *text_jsv)
{
	enum ss_format f, pf;

	*text_jsv = 0;
	/* a predefined route's handler has its format; ?format= overrides
	 * it, as in ServiceStack's GenericHandler; JSV is text/jsv there */
	if ((f = reply_format(path)) != SS_FORMAT__MAX) {
		if ((pf = query_format(query)) != SS_FORMAT__MAX)
			return pf;
		*text_jsv = f == SS_JSV;
		return f;
	}
	if ((f = suffix_format(path)) != SS_FORMAT__MAX)
		return f;
	if ((f = query_format(query)) != SS_FORMAT__MAX)
		return f;
	if (accept != NULL && (f = accept_format(accept, ctype, text_jsv)) !=
	    SS_FORMAT__MAX)
		return f;
	return SS_JSON;
}

/* ---- sending ---- */

struct ss_out {
	enum ss_format	 fmt;
	int		 text_jsv;	/* answer JSV as text/jsv */
};

static struct ss_out
out_of(const struct http_req *req)
{
	struct ss_out o;

	o.fmt = ss_negotiate(req->path, req->query,
	    http_req_header(req, "Accept"), req->content_type, &o.text_jsv);
	return o;
}

static const char *
content_type(const struct ss_out *o)
{
	switch (o->fmt) {
	case SS_JSV:
		return o->text_jsv ? "text/jsv" : "application/jsv";
	case SS_XML:
		return "application/xml";
	case SS_CSV:
		return "text/csv";
	default:
		return "application/json; charset=utf-8";
	}
}

/* ServiceStack lower-cases the first letter only ("EMail" -> "eMail"). */
static const char *
camel(struct arena *a, const char *name)
{
	char *s = arena_strdup(a, name);

	s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

/* A copy of v without null members (ServiceStack's JSON omits them). */
static struct value *
strip_nulls(struct arena *a, struct value *v)
{
	struct value *o;
	size_t i;

	if (v == NULL)
		return v;
	if (v->type == VALUE_ARRAY) {
		o = value_array(a);
		for (i = 0; i < v->u.arr.n; i++)
			value_push(a, o, strip_nulls(a, v->u.arr.items[i]));
		return o;
	}
	if (v->type != VALUE_OBJECT)
		return v;
	o = value_object(a);
	for (i = 0; i < v->u.obj.n; i++)
		if (v->u.obj.members[i].val->type != VALUE_NULL)
			value_set(a, o, v->u.obj.members[i].key,
			    strip_nulls(a, v->u.obj.members[i].val));
	return o;
}

/* Encodes dto (member names already cased) in o's text format into b. */
static void
encode_text(const struct ss_out *o, struct arena *a, struct buf *b,
    struct value *dto)
{
	switch (o->fmt) {
	case SS_JSV:
		jsv_encode(b, dto);
		break;
	case SS_CSV:
		if (csv_encode(b, dto) != FMT_OK)
			b->failed = 1;
		break;
	default:
		json_encode(b, strip_nulls(a, dto));
		break;
	}
}

static void
send_common(struct http_resp *resp, const struct ss_out *o, int status)
{
	resp->status = status;
	resp->content_type = content_type(o);
	http_resp_header(resp, "Vary", "Accept");
	if (o->fmt == SS_CSV)
		http_resp_header(resp, "Content-Disposition",
		    "attachment;filename=\"" SS_DTO ".csv\"");
}

/* ---- ErrorResponse ---- */

/*
 * XML character data for our own messages and names (constants and
 * validated values): & < > " escaped, controls dropped.
 */
static void
put_xml_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t' ||
			    *s == '\n')
				buf_putc(b, *s);
			break;
		}
	}
}

static void
put_xml_elem(struct buf *b, const char *name, const char *text)
{
	if (text == NULL) {
		buf_printf(b, "<%s i:nil=\"true\" />", name);
		return;
	}
	buf_printf(b, "<%s>", name);
	put_xml_text(b, text);
	buf_printf(b, "</%s>", name);
}

struct ss_field_error {
	const char	*code;
	const char	*field;
	const char	*message;
};

/*
 * ErrorResponse as DataContractSerializer writes it: ResponseStatus's
 * members in their [DataMember(Order)] order (ErrorCode, Message,
 * StackTrace, Errors, Meta), which xml_encode() cannot express since it
 * orders members by name.
 */
static void
error_xml(struct buf *b, const char *code, const char *message,
    const struct ss_field_error *fe)
{
	buf_puts(b, SS_XML_DECL "<ErrorResponse xmlns:i=\"" XML_NS_INSTANCE
	    "\" xmlns=\"" SS_NS "\"><ResponseStatus>");
	put_xml_elem(b, "ErrorCode", code);
	put_xml_elem(b, "Message", message);
	put_xml_elem(b, "StackTrace", NULL);
	if (fe == NULL) {
		buf_puts(b, "<Errors />");
	} else {
		buf_puts(b, "<Errors><ResponseError>");
		put_xml_elem(b, "ErrorCode", fe->code);
		put_xml_elem(b, "FieldName", fe->field);
		put_xml_elem(b, "Message", fe->message);
		put_xml_elem(b, "Meta", NULL);
		buf_puts(b, "</ResponseError></Errors>");
	}
	put_xml_elem(b, "Meta", NULL);
	buf_puts(b, "</ResponseStatus></ErrorResponse>");
}

/* {responseStatus: {errorCode, message, errors: [...]}} as a tree. */
static struct value *
error_tree(struct arena *a, const struct ss_out *o, const char *code,
    const char *message, const struct ss_field_error *fe)
{
	struct value *rs = value_object(a), *errs = value_array(a), *e, *top;

	value_set(a, rs, "errorCode", value_cstr(a, code));
	value_set(a, rs, "message", value_cstr(a, message));
	if (fe != NULL) {
		e = value_object(a);
		value_set(a, e, "errorCode", value_cstr(a, fe->code));
		value_set(a, e, "fieldName", value_cstr(a, fe->field));
		value_set(a, e, "message", value_cstr(a, fe->message));
		value_push(a, errs, e);
	}
	value_set(a, rs, "errors", errs);
	top = value_object(a);
	value_set(a, top, o->fmt == SS_CSV ? "ResponseStatus" :
	    "responseStatus", rs);
	return top;
}

static void
ss_error_fe(struct http_req *req, struct http_resp *resp, int status,
    const char *code, const char *message, const struct ss_field_error *fe)
{
	struct ss_out o = out_of(req);

	send_common(resp, &o, status);
	buf_reset(&resp->body);
	if (o.fmt == SS_XML)
		error_xml(&resp->body, code, message, fe);
	else
		encode_text(&o, req->arena, &resp->body,
		    error_tree(req->arena, &o, code, message, fe));
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"rosterd\"");
	if (status == 503)
		http_resp_header(resp, "Retry-After", "5");
}

/* A validation failure: errorCode and message are the field's own. */
static void
ss_field_error(struct http_req *req, struct http_resp *resp, int status,
    const char *code, const char *field, const char *message)
{
	struct ss_field_error fe = { code, field, message };

	ss_error_fe(req, resp, status, code, message, &fe);
}

/* HttpStatusCode names: HttpError(status)'s errorCode. */
static const char *
status_code_name(int status)
{
	switch (status) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 409:
		return "Conflict";
	case 413:
		return "RequestEntityTooLarge";
	case 415:
		return "UnsupportedMediaType";
	case 503:
		return "ServiceUnavailable";
	default:
		return "InternalServerError";
	}
}

/* The errors the request path itself finds, in ServiceStack's shape. */
static void
ss_front_error(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	if (status == 401)
		message = "Not Authenticated";
	else if (status == 403)
		message = "Invalid Role";
	else if (status >= 500)
		message = status == 503 ? "The service is temporarily "
		    "unavailable." : "An error has occurred.";
	ss_error_fe(req, resp, status, status_code_name(status), message,
	    NULL);
}

const struct dialect dialect_servicestack = { "servicestack",
	ss_front_error };

/* ---- the request DTO ---- */

struct ss_invite {
	const char	*email;
	const char	*group_id;	/* canonical uuid, or NULL */
	const char	*group_code;	/* or NULL */
};

static const struct xml_member invite_xml_members[] = {
	{ .name = "EMail" },
	{ .name = "GroupCode" },
	{ .name = "UserGroupId" },
};

/* The default namespace declared on the root element, if any. */
static const char *
xml_root_ns(struct arena *a, const char *p, size_t n)
{
	const char *s = p, *end = p + n, *gt, *x, *q;

	while ((s = memchr(s, '<', (size_t)(end - s))) != NULL &&
	    s + 1 < end && (s[1] == '?' || s[1] == '!'))
		s++;
	if (s == NULL || (gt = memchr(s, '>', (size_t)(end - s))) == NULL)
		return NULL;
	for (x = s; x + 7 < gt; x++) {
		if (memcmp(x, " xmlns=", 7) != 0 || (x[7] != '"' &&
		    x[7] != '\''))
			continue;
		q = memchr(x + 8, x[7], (size_t)(gt - (x + 8)));
		return q == NULL ? NULL : arena_strndup(a, x + 8,
		    (size_t)(q - (x + 8)));
	}
	return NULL;
}

/*
 * The request DTO as XML: ServiceStack's own namespace or, for a DTO
 * without [DataContract], any DataContract CLR namespace (FORMATS.md
 * §2.6: the vendor's is unknown).
 */
static enum fmt_status
decode_xml(struct arena *a, const char *p, size_t n,
    const struct fmt_limits *lim, struct value **out, struct fmt_error *err)
{
	struct xml_contract *c = arena_zalloc(a, sizeof(*c));
	const char *ns = xml_root_ns(a, p, n);

	c->name = SS_DTO;
	c->ns = SS_NS;
	if (ns != NULL && strncmp(ns, XML_NS_DATACONTRACT,
	    strlen(XML_NS_DATACONTRACT)) == 0)
		c->ns = ns;
	c->members = invite_xml_members;
	c->nmembers = RS_ARRAY_LEN(invite_xml_members);
	return xml_decode(a, p, n, c, lim, out, err);
}

/* A scalar member as ServiceStack binds it; other types are skipped. */
static const char *
bind_str(const struct value *obj, const char *name)
{
	const struct value *v = value_get_ci(obj, name);

	if (v != NULL && (v->type == VALUE_STRING || v->type == VALUE_NUMBER))
		return v->u.str.p;
	return NULL;
}

static int
media_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * The type of a body sent without a Content-Type or labelled text/plain
 * (what fetch() sends for a string body, as JsonApiClient does, to skip
 * a CORS preflight): the predefined route's own format (/jsv/reply/ ->
 * JSV, /xml/reply/ -> XML), else JSON.
 */
static const char *
unlabelled_type(const char *path)
{
	switch (reply_format(path)) {
	case SS_JSV:
		return "application/jsv";
	case SS_XML:
		return "application/xml";
	default:
		return "application/json";
	}
}

/*
 * Decodes the body by its Content-Type into d.  Returns 0, or -1 with
 * the error response sent.
 */
static int
decode_body(struct http_req *req, struct http_resp *resp,
    struct ss_invite *d)
{
	const char *ct = req->content_type, *gid;
	struct value *doc = NULL;
	struct fmt_error ferr;
	enum fmt_status fs = FMT_OK;
	char canon[UUID_STR_LEN + 1];

	memset(d, 0, sizeof(*d));
	memset(&ferr, 0, sizeof(ferr));
	if (ct == NULL || media_is(ct, "text/plain"))
		ct = unlabelled_type(req->path);
	if (req->body_len == 0)
		doc = value_object(req->arena);
	else if (media_is(ct, "application/json") ||
	    media_is(ct, "text/json"))
		fs = json_decode(req->arena, req->body, req->body_len,
		    dialect_limits(req), &doc, &ferr);
	else if (media_is(ct, "application/jsv") || media_is(ct, "text/jsv"))
		fs = jsv_decode(req->arena, req->body, req->body_len,
		    dialect_limits(req), &doc, &ferr);
	else if (media_is(ct, "application/xml") || media_is(ct, "text/xml"))
		fs = decode_xml(req->arena, req->body, req->body_len,
		    dialect_limits(req), &doc, &ferr);
	else if (media_is(ct, "application/x-www-form-urlencoded"))
		fs = form_decode(req->arena, req->body, req->body_len,
		    dialect_limits(req), &doc, &ferr);
	else {
		ss_error_fe(req, resp, 415, "UnsupportedMediaType",
		    "The request's Content-Type is not supported: send JSON, "
		    "JSV, XML or a form (text/plain is read as JSON).", NULL);
		return -1;
	}
	if (fs == FMT_OK && doc->type != VALUE_OBJECT && doc->type !=
	    VALUE_NULL) {
		fs = FMT_SYNTAX;
		snprintf(ferr.msg, sizeof(ferr.msg), "The body is not an "
		    "object.");
	}
	if (fs != FMT_OK) {
		ss_error_fe(req, resp, 400, "SerializationException",
		    arena_sprintf(req->arena, "Could not deserialize the "
		    "request: %s", ferr.msg), NULL);
		return -1;
	}
	d->email = bind_str(doc, "EMail");
	d->group_code = bind_str(doc, "GroupCode");
	if ((gid = bind_str(doc, "UserGroupId")) != NULL && *gid != '\0') {
		if (jsv_guid_parse(gid, strlen(gid), canon) != FMT_OK) {
			ss_field_error(req, resp, 400, "SerializationException",
			    "UserGroupId", "'UserGroupId' is not a valid "
			    "Guid.");
			return -1;
		}
		d->group_id = arena_strdup(req->arena, canon);
	}
	if (d->group_code != NULL && *d->group_code == '\0')
		d->group_code = NULL;
	return 0;
}

/* FluentValidation's NotEmpty and EmailAddress on EMail. */
static int
validate(struct http_req *req, struct http_resp *resp,
    const struct ss_invite *d)
{
	const char *e = d->email;

	if (e == NULL || e[strspn(e, " \t\r\n")] == '\0') {
		ss_field_error(req, resp, 400, "NotEmpty", "EMail",
		    "'E Mail' must not be empty.");
		return -1;
	}
	if (!core_valid_email(e)) {
		ss_field_error(req, resp, 400, "Email", "EMail",
		    "'E Mail' is not a valid email address.");
		return -1;
	}
	return 0;
}

/* ---- the response DTO: UserAuth ---- */

enum ua_kind {
	UA_STR = 0,
	UA_INT,
	UA_DATE,
	UA_LIST,
	UA_MAP,
	UA_TOKEN,	/* RecoveryToken: the invite token, when given */
};

/* UserAuth's members in declaration order and where each comes from. */
static const struct {
	const char	*name;	/* PascalCase, as XML and CSV write it */
	enum ua_kind	 kind;
	const char	*src;	/* member of the statement's json, or NULL */
} ua_members[] = {
	{ "Id", UA_INT, "num" },
	{ "UserName", UA_STR, "username" },
	{ "Email", UA_STR, "email" },
	{ "PrimaryEmail", UA_STR, "email" },
	{ "PhoneNumber", UA_STR, "phone" },
	{ "FirstName", UA_STR, "firstName" },
	{ "LastName", UA_STR, "lastName" },
	{ "DisplayName", UA_STR, "displayName" },
	{ "Company", UA_STR, NULL },
	{ "BirthDate", UA_DATE, NULL },
	{ "BirthDateRaw", UA_STR, NULL },
	{ "Address", UA_STR, NULL },
	{ "Address2", UA_STR, NULL },
	{ "City", UA_STR, NULL },
	{ "State", UA_STR, NULL },
	{ "Country", UA_STR, NULL },
	{ "Culture", UA_STR, "locale" },
	{ "FullName", UA_STR, NULL },
	{ "Gender", UA_STR, NULL },
	{ "Language", UA_STR, NULL },
	{ "MailAddress", UA_STR, NULL },
	{ "Nickname", UA_STR, NULL },
	{ "PostalCode", UA_STR, NULL },
	{ "TimeZone", UA_STR, "timeZone" },
	{ "Salt", UA_STR, NULL },		/* secrets: never sent */
	{ "PasswordHash", UA_STR, NULL },
	{ "DigestHa1Hash", UA_STR, NULL },
	{ "Roles", UA_LIST, "roles" },
	{ "Permissions", UA_LIST, "permissions" },
	{ "CreatedDate", UA_DATE, "created" },
	{ "ModifiedDate", UA_DATE, "updated" },
	{ "InvalidLoginAttempts", UA_INT, "failedLogins" },
	{ "LastLoginAttempt", UA_DATE, NULL },
	{ "LockedDate", UA_DATE, NULL },
	{ "RecoveryToken", UA_TOKEN, NULL },
	{ "RefId", UA_INT, NULL },
	{ "RefIdStr", UA_STR, NULL },
	{ "Meta", UA_MAP, NULL },
};

static const struct xml_member kv_members[] = {
	{ .name = "Key" }, { .name = "Value" },
};
static const struct xml_contract kv_contract = {
	"KeyValueOfstringstring", XML_NS_ARRAYS, XML_MEMBERS(kv_members)
};

#define UA_XML_SCALAR(n)	{ .name = n }
static const struct xml_member user_auth_xml_members[] = {
	UA_XML_SCALAR("Id"), UA_XML_SCALAR("UserName"),
	UA_XML_SCALAR("Email"), UA_XML_SCALAR("PrimaryEmail"),
	UA_XML_SCALAR("PhoneNumber"), UA_XML_SCALAR("FirstName"),
	UA_XML_SCALAR("LastName"), UA_XML_SCALAR("DisplayName"),
	UA_XML_SCALAR("Company"), UA_XML_SCALAR("BirthDate"),
	UA_XML_SCALAR("BirthDateRaw"), UA_XML_SCALAR("Address"),
	UA_XML_SCALAR("Address2"), UA_XML_SCALAR("City"),
	UA_XML_SCALAR("State"), UA_XML_SCALAR("Country"),
	UA_XML_SCALAR("Culture"), UA_XML_SCALAR("FullName"),
	UA_XML_SCALAR("Gender"), UA_XML_SCALAR("Language"),
	UA_XML_SCALAR("MailAddress"), UA_XML_SCALAR("Nickname"),
	UA_XML_SCALAR("PostalCode"), UA_XML_SCALAR("TimeZone"),
	UA_XML_SCALAR("Salt"), UA_XML_SCALAR("PasswordHash"),
	UA_XML_SCALAR("DigestHa1Hash"),
	{ .name = "Roles", .kind = XML_SCALAR_ARRAY, .item = "string" },
	{ .name = "Permissions", .kind = XML_SCALAR_ARRAY, .item = "string" },
	UA_XML_SCALAR("CreatedDate"), UA_XML_SCALAR("ModifiedDate"),
	UA_XML_SCALAR("InvalidLoginAttempts"),
	UA_XML_SCALAR("LastLoginAttempt"), UA_XML_SCALAR("LockedDate"),
	UA_XML_SCALAR("RecoveryToken"), UA_XML_SCALAR("RefId"),
	UA_XML_SCALAR("RefIdStr"),
	{ .name = "Meta", .kind = XML_OBJECT_ARRAY, .type = &kv_contract },
};
static const struct xml_contract user_auth_xml = {
	"UserAuth", SS_NS, XML_MEMBERS(user_auth_xml_members)
};

/*
 * A date in f's form: JSON "\/Date(ms)\/" (as number text, so that the
 * escaped solidus goes out as it is), JSV and CSV the shortest XSD form
 * (bare), XML xs:dateTime with DataContractSerializer's trimmed
 * fraction.
 */
static struct value *
ua_date(struct arena *a, enum ss_format f, long long ms)
{
	char d[JSV_DATE_SIZE], *s;
	time_t t;
	struct tm tm;
	int frac = (int)(((ms % 1000) + 1000) % 1000);

	switch (f) {
	case SS_JSON:
		return value_number(a, arena_sprintf(a, "\"\\/Date(%lld)\\/\"",
		    ms));
	case SS_XML:
		t = (time_t)((ms - frac) / 1000);
		gmtime_r(&t, &tm);
		s = arena_sprintf(a, "%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		if (frac == 0)
			return value_cstr(a, arena_sprintf(a, "%sZ", s));
		s = arena_sprintf(a, "%s.%03d", s, frac);
		while (s[strlen(s) - 1] == '0')
			s[strlen(s) - 1] = '\0';
		return value_cstr(a, arena_sprintf(a, "%sZ", s));
	default:
		jsv_date((int64_t)ms, d);
		return value_number(a, d);
	}
}

static struct value *
ua_member(struct arena *a, enum ss_format f, enum ua_kind kind,
    const struct value *src, const char *token)
{
	size_t i;
	struct value *l;

	if (kind == UA_TOKEN)
		return value_cstr(a, token);
	if (src == NULL || src->type == VALUE_NULL)
		return value_null(a);
	switch (kind) {
	case UA_DATE:
		return ua_date(a, f, strtoll(src->u.str.p, NULL, 10));
	case UA_LIST:
		l = value_array(a);
		for (i = 0; src->type == VALUE_ARRAY && i < src->u.arr.n; i++)
			value_push(a, l, src->u.arr.items[i]);
		return l;
	case UA_INT:
	case UA_STR:
		return (struct value *)src;
	default:
		return value_null(a);
	}
}

/* The UserAuth of the statement's json, cased and typed for f. */
static struct value *
user_auth(struct arena *a, enum ss_format f, const struct value *row,
    const char *token)
{
	struct value *o = value_object(a);
	const char *name;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(ua_members); i++) {
		name = ua_members[i].name;
		if (f == SS_JSON || f == SS_JSV)
			name = camel(a, name);
		value_set(a, o, name, ua_member(a, f, ua_members[i].kind,
		    ua_members[i].src ? value_get(row, ua_members[i].src) :
		    NULL, token));
	}
	return o;
}

/* Encodes the UserAuth in o's format into b. */
static void
encode_user_auth(struct arena *a, const struct ss_out *o, struct buf *b,
    const struct value *row, const char *token)
{
	struct value *dto = user_auth(a, o->fmt, row, token);

	if (o->fmt == SS_XML) {
		buf_puts(b, SS_XML_DECL);
		xml_encode(b, &user_auth_xml, dto);
	} else {
		encode_text(o, a, b, dto);
	}
}

/* ---- the operation ---- */

static void
db_failed(struct http_req *req, struct http_resp *resp, enum db_status st,
    const char *constraint)
{
	if (st == DB_CONFLICT && constraint != NULL &&
	    strcmp(constraint, "users_username_key") == 0)
		ss_error_fe(req, resp, 409, "Conflict", "Another user already "
		    "has this e-mail address as user name.", NULL);
	else if (st == DB_CONFLICT || st == DB_RETRY)
		ss_error_fe(req, resp, 409, "Conflict", "A concurrent change "
		    "conflicted with this invitation; try again.", NULL);
	else if (st == DB_INVALID)
		ss_error_fe(req, resp, 400, "ArgumentException", "A value is "
		    "out of range.", NULL);
	else
		ss_front_error(req, resp, st == DB_UNAVAILABLE ? 503 : 500,
		    NULL);
}

/* Runs the invite; returns the statement's row or NULL (answered). */
static PGresult *
invite(struct http_req *req, struct http_resp *resp,
    const struct ss_invite *d, const char *hash)
{
	const struct app *app = req->ctx;
	const char *params[8], *constraint = NULL, *code = d->group_code;
	enum db_status st;
	PGresult *r;

	if (code != NULL && strlen(code) > SS_GROUP_CODE_MAX)
		code = "";	/* names no group; never a constraint error */
	params[0] = req->tenant;
	params[1] = d->email;
	params[2] = d->group_id;
	params[3] = code;
	params[4] = hash;
	params[5] = SS_INVITE_TTL;
	params[6] = req->authenticated ? req->principal.sub : "anonymous";
	params[7] = req->audit_request_id;
	r = db_exec(app->db, req->arena, STMT_SS_INVITE, params, &st,
	    &constraint);
	if (r == NULL) {
		db_failed(req, resp, st, constraint);
		return NULL;
	}
	if (strcmp(db_get(r, 0, "tenant_ok"), "t") != 0) {
		ss_error_fe(req, resp, 404, "NotFound", "The tenant was not "
		    "found.", NULL);
		return NULL;
	}
	if (strcmp(db_get(r, 0, "group_ok"), "t") != 0) {
		ss_error_fe(req, resp, 404, "NotFound", d->group_id != NULL ||
		    d->group_code != NULL ? "The user group was not found." :
		    "The tenant has no default user group.", NULL);
		return NULL;
	}
	return r;
}

/* Sends the UserAuth; an Idempotency-Key replay gets it without token. */
static void
send_user(struct http_req *req, struct http_resp *resp, const PGresult *r,
    const char *token)
{
	struct ss_out o = out_of(req);
	struct value *row;
	struct fmt_error ferr;
	struct buf replay;
	const char *json = db_get(r, 0, "json");

	if (json == NULL || json_decode(req->arena, json, strlen(json), NULL,
	    &row, &ferr) != FMT_OK) {
		ss_front_error(req, resp, 500, NULL);
		return;
	}
	send_common(resp, &o, 200);
	buf_reset(&resp->body);
	encode_user_auth(req->arena, &o, &resp->body, row, token);
	buf_init(&replay, req->arena);
	encode_user_auth(req->arena, &o, &replay, row, NULL);
	if (resp->body.failed || replay.failed) {
		http_resp_init(resp, req->arena);
		ss_front_error(req, resp, 500, NULL);
		return;
	}
	resp->replay_body = replay.p;
}

/*
 * POST /usergroupuserinvite[.json|.jsv|.xml|.csv], /api/UserGroupUserInvite
 * and /{json|jsv|xml|csv}/reply/UserGroupUserInvite.  SystemAdmin was
 * checked before the handler runs; the tenant is X-Tenant-Id or the
 * token's tid.
 */
void
ss_invite_post(struct http_req *req, struct http_resp *resp)
{
	struct ss_invite d;
	char hash[65], *token;
	PGresult *r;

	if (decode_body(req, resp, &d) != 0 || validate(req, resp, &d) != 0)
		return;
	if (req->tenant == NULL) {
		ss_error_fe(req, resp, 400, "ArgumentNullException", "The "
		    "request names no tenant: send X-Tenant-Id.", NULL);
		return;
	}
	/* a tenant that is no uuid (a token's tid) names no tenant */
	if (!uuid_valid(req->tenant, strlen(req->tenant))) {
		ss_error_fe(req, resp, 404, "NotFound", "The tenant was not "
		    "found.", NULL);
		return;
	}
	if ((token = token_new(req->arena, req->tenant, hash)) == NULL) {
		ss_front_error(req, resp, 500, NULL);
		return;
	}
	if ((r = invite(req, resp, &d, hash)) == NULL)
		return;
	send_user(req, resp, r, token);
}
