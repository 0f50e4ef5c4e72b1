/*
 * aspnet.c: the ASP.NET Web API 2 conventions shared by seeds 000, 003
 * and 004 (FORMATS.md §3): content negotiation as DefaultContentNegotiator
 * does it, request bodies as JSON, DataContract XML or forms, HttpError
 * bodies and ModelState in JSON or XML, Json.NET's casing and "$id"s.
 * Each app's differences are data in struct aspnet_app, not copies of
 * code.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialect.h"
#include "../formats/form.h"
#include "../formats/xml.h"

#define XLSX_TYPE \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define ACCEPT_MAX_ITEMS 32	/* media ranges looked at in one Accept */

/* Seed 004's request and response contract (XCapture.DTO). */
#define NS_004 XML_NS_DATACONTRACT "XCapture.DTO"

static const struct xml_member role_simple_members[] = {
	{ .name = "Id" },
	{ .name = "Name" },
	{ .name = "OrganizationId" },
};

static const struct xml_contract role_simple = {
	"RoleSimple", NS_004, XML_MEMBERS(role_simple_members)
};

static const struct xml_member user_simple_members[] = {
	{ .name = "Id" },
	{ .name = "Username" },
	{ .name = "FirstName" },
	{ .name = "LastName" },
	{ .name = "Title" },
	{ .name = "Email" },
	{ .name = "Phone" },
	{ .name = "ExternalId" },
	{ .name = "Roles", .kind = XML_OBJECT_ARRAY, .type = &role_simple },
};

const struct xml_contract aspnet_user_simple = {
	"UserSimple", NS_004, XML_MEMBERS(user_simple_members)
};

const struct aspnet_app aspnet_app_004 = {
	.param = "user",
	.camel_case = 0,
	.dollar_id = 0,
	.xml = 1,
	.contract = &aspnet_user_simple,
};

/* The media types, in formatter registration order. */
static const char *const media_names[ASPNET_MEDIA__MAX] = {
	[ASPNET_JSON] = "application/json",
	[ASPNET_TEXT_JSON] = "text/json",
	[ASPNET_XML] = "application/xml",
	[ASPNET_TEXT_XML] = "text/xml",
	[ASPNET_XLSX] = XLSX_TYPE,
	[ASPNET_MS_EXCEL] = "application/vnd.ms-excel",
	[ASPNET_FORM] = "application/x-www-form-urlencoded",
};

static int
is_xml(enum aspnet_media m)
{
	return m == ASPNET_XML || m == ASPNET_TEXT_XML;
}

static int
is_xlsx(enum aspnet_media m)
{
	return m == ASPNET_XLSX || m == ASPNET_MS_EXCEL;
}

/* 1 when the app has a formatter that writes m. */
static int
app_writes(const struct aspnet_app *app, enum aspnet_media m)
{
	if (m == ASPNET_FORM)
		return 0;
	if (is_xml(m))
		return app->xml;
	if (is_xlsx(m))
		return app->xlsx;
	return 1;
}

/* Json.NET's camel-casing: only the leading run of capitals is lowered. */
static const char *
app_name(const struct aspnet_app *app, struct arena *a, const char *name)
{
	char *s;
	size_t i, n;

	if (!app->camel_case || !isupper((unsigned char)name[0]))
		return name;
	s = arena_strdup(a, name);
	n = strlen(s);
	for (i = 0; i < n && isupper((unsigned char)s[i]); i++) {
		if (i > 0 && i + 1 < n && !isupper((unsigned char)s[i + 1]))
			break;
		s[i] = (char)tolower((unsigned char)s[i]);
	}
	return s;
}

/* The media type of a Content-Type value, or -1 for none we read. */
static int
request_media(const char *ct)
{
	size_t n, i;

	if (ct == NULL)
		return -1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	for (i = 0; i < ASPNET_MEDIA__MAX; i++)
		if (strlen(media_names[i]) == n &&
		    strncasecmp(ct, media_names[i], n) == 0)
			return (int)i;
	return -1;
}

/*
 * How well the media range r[0..n) matches m: 3 literally, 2 as
 * "type/ *", 1 as "* / *", 0 not at all.
 */
static int
range_match(const char *r, size_t n, enum aspnet_media m)
{
	const char *t = media_names[m];
	size_t tl = strcspn(t, "/");

	if (n == strlen(t) && strncasecmp(r, t, n) == 0)
		return 3;
	if (n == 3 && strncmp(r, "*/*", 3) == 0)
		return 1;
	if (n == tl + 2 && strncasecmp(r, t, tl) == 0 && r[tl] == '/' &&
	    r[tl + 1] == '*')
		return 2;
	return 0;
}

/* The q parameter of one Accept item (1000 = 1.0); 1000 when absent. */
static int
item_quality(const char *p, size_t n)
{
	const char *end = p + n, *q;
	double d;

	while ((q = memchr(p, ';', (size_t)(end - p))) != NULL) {
		for (q++; q < end && (*q == ' ' || *q == '\t'); q++)
			;
		if (end - q >= 2 && (q[0] == 'q' || q[0] == 'Q') &&
		    q[1] == '=') {
			d = strtod(q + 2, NULL);
			if (!(d > 0.0))
				return 0;
			return d >= 1.0 ? 1000 : (int)(d * 1000.0 + 0.5);
		}
		p = q;
	}
	return 1000;
}

struct accept_item {
	const char	*range;		/* media range, not NUL-terminated */
	size_t		 len;
	int		 q;		/* 0..1000 */
	int		 spec;		/* 3 literal, 2 type/any, 1 any/any */
};

/* Splits Accept into items, sorted as MediaTypeWithQualityHeaderValue-
 * Comparer does: q descending, then the more specific range first. */
static size_t
accept_items(const char *acc, struct accept_item *it, size_t max)
{
	const char *p = acc, *e;
	struct accept_item t;
	size_t n = 0, i, j;

	while (p != NULL && *p != '\0' && n < max) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		it[n].range = p;
		it[n].len = strcspn(p, ";, \t");
		if (p + it[n].len > e)
			it[n].len = (size_t)(e - p);
		it[n].q = item_quality(p, (size_t)(e - p));
		it[n].spec = it[n].len == 3 && strncmp(p, "*/*", 3) == 0 ? 1 :
		    it[n].len >= 2 && p[it[n].len - 1] == '*' ? 2 : 3;
		if (it[n].len > 0 && it[n].q > 0)
			n++;
		p = *e == ',' ? e + 1 : e;
	}
	for (i = 1; i < n; i++)	/* insertion sort: stable, n <= 32 */
		for (j = i; j > 0 && (it[j].q > it[j - 1].q ||
		    (it[j].q == it[j - 1].q && it[j].spec > it[j - 1].spec));
		    j--) {
			t = it[j];
			it[j] = it[j - 1];
			it[j - 1] = t;
		}
	return n;
}

/*
 * The first item (in sorted order) that one of the formatter's media
 * types [first, first + 2) matches: its quality, and the type in *m.
 */
static int
formatter_quality(const struct accept_item *it, size_t n,
    enum aspnet_media first, enum aspnet_media *m)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++)
		for (k = 0; k < 2; k++)
			if (range_match(it[i].range, it[i].len,
			    (enum aspnet_media)(first + k))) {
				*m = (enum aspnet_media)(first + k);
				return it[i].q;
			}
	return 0;
}

enum aspnet_media
aspnet_negotiate(const struct aspnet_app *app, const struct http_req *req)
{
	static const enum aspnet_media formatters[] = {
		ASPNET_JSON, ASPNET_XML, ASPNET_XLSX,
	};
	struct accept_item it[ACCEPT_MAX_ITEMS];
	enum aspnet_media best = ASPNET_JSON, m;
	size_t n, i;
	int q, best_q = 0, rm;

	n = accept_items(http_req_header(req, "Accept"), it, ACCEPT_MAX_ITEMS);
	for (i = 0; i < RS_ARRAY_LEN(formatters); i++) {
		if (!app_writes(app, formatters[i]))
			continue;
		q = formatter_quality(it, n, formatters[i], &m);
		if (q > best_q) {	/* ties keep the earlier formatter */
			best_q = q;
			best = m;
		}
	}
	if (best_q > 0)
		return best;
	rm = request_media(req->content_type);
	if (rm >= 0 && app_writes(app, (enum aspnet_media)rm))
		return (enum aspnet_media)rm;
	return ASPNET_JSON;
}

/*
 * The JSON Json.NET writes for v under app's settings: names cased,
 * and with "$id" (a string, numbered in write order from *n + 1) first
 * in every object when the app preserves references.
 */
static struct value *
decorate(const struct aspnet_app *app, struct arena *a, const struct value *v,
    int *n)
{
	struct value *o;
	size_t i;

	switch (v->type) {
	case VALUE_OBJECT:
		o = value_object(a);
		if (app->dollar_id)
			value_set_kept(a, o, "$id", value_cstr(a,
			    arena_sprintf(a, "%d", ++*n)));
		for (i = 0; i < v->u.obj.n; i++)
			value_set_kept(a, o, app_name(app, a,
			    v->u.obj.members[i].key),
			    decorate(app, a, v->u.obj.members[i].val, n));
		return o;
	case VALUE_ARRAY:
		o = value_array(a);
		for (i = 0; i < v->u.arr.n; i++)
			value_push(a, o, decorate(app, a, v->u.arr.items[i], n));
		return o;
	default:
		return (struct value *)v;
	}
}

static void
send_json(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const struct value *body,
    enum aspnet_media m)
{
	int n = 0;

	resp->status = status;
	resp->content_type = m == ASPNET_TEXT_JSON ?
	    "text/json; charset=utf-8" : "application/json; charset=utf-8";
	buf_reset(&resp->body);
	json_encode(&resp->body, decorate(app, req->arena, body, &n));
}

/*
 * Sends body as JSON with the app's conventions (casing, "$id"), in
 * the JSON media type negotiated.
 */
void
aspnet_send(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, struct value *body)
{
	enum aspnet_media m = aspnet_negotiate(app, req);

	send_json(app, req, resp, status, body, m == ASPNET_TEXT_JSON ? m :
	    ASPNET_JSON);
}

static void
set_xml(struct http_resp *resp, int status, enum aspnet_media m)
{
	resp->status = status;
	resp->content_type = m == ASPNET_TEXT_XML ?
	    "text/xml; charset=utf-8" : "application/xml; charset=utf-8";
	buf_reset(&resp->body);
}

void
aspnet_send_dto(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const struct value *dto,
    const struct xml_contract *c)
{
	enum aspnet_media m = aspnet_negotiate(app, req);

	if (is_xml(m) && c != NULL) {
		set_xml(resp, status, m);
		xml_encode(&resp->body, c, dto);
		if (!resp->body.failed)
			return;
	} else if (is_xlsx(m)) {
		buf_reset(&resp->body);
		if (aspnet_xlsx_write(req->arena, dto, &resp->body) == 0) {
			resp->status = status;
			resp->content_type = media_names[m];
			http_resp_header(resp, "Content-Disposition",
			    arena_sprintf(req->arena, "inline; filename=%s",
			    app->xlsx_name ? app->xlsx_name : "data.xlsx"));
			return;
		}
	} else {
		send_json(app, req, resp, status, dto, m);
		return;
	}
	aspnet_error(app, req, resp, 500, "An error has occurred.", NULL);
}

/* Adds msg to the array under key in the ModelState object ms. */
void
aspnet_model_error(struct arena *a, struct value *ms, const char *key,
    const char *msg)
{
	struct value *arr = value_get(ms, key);

	if (arr == NULL) {
		arr = value_array(a);
		value_set(a, ms, key, arr);
	}
	value_push(a, arr, value_cstr(a, msg));
}

/*
 * Sends an HttpError: {"Message": message, "ModelState": {...}} with the
 * app's casing and "$id"s, or <Error> when XML was negotiated.  Errors
 * asked for as xlsx come as JSON.
 */
void
aspnet_error(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const char *message,
    struct value *model_state)
{
	struct arena *a = req->arena;
	enum aspnet_media m = aspnet_negotiate(app, req);
	struct value *o;

	if (is_xml(m)) {
		set_xml(resp, status, m);
		xml_encode_error(&resp->body, message, model_state);
	} else {
		o = value_object(a);
		value_set(a, o, "Message", value_cstr(a, message));
		if (model_state != NULL)
			value_set(a, o, "ModelState", model_state);
		send_json(app, req, resp, status, o, m == ASPNET_TEXT_JSON ?
		    m : ASPNET_JSON);
	}
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate", "Bearer");
	if (status == 503)
		http_resp_header(resp, "Retry-After", "5");
}

/* 1 when the request's Content-Type is one of the JSON media types. */
int
aspnet_is_json(const struct http_req *req)
{
	int m = request_media(req->content_type);

	return m == ASPNET_JSON || m == ASPNET_TEXT_JSON;
}

/* 415 with Web API's own message. */
void
aspnet_unsupported_media(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp)
{
	const char *ct = req->content_type;
	const char *m;
	size_t n;

	if (ct == NULL) {
		m = "The request entity's media type could not be inferred "
		    "and is not supported for this resource.";
	} else {
		n = strcspn(ct, "; ");
		m = arena_sprintf(req->arena, "The request entity's media "
		    "type '%.*s' is not supported for this resource.",
		    (int)(n > 100 ? 100 : n), ct);
	}
	aspnet_error(app, req, resp, 415, m, NULL);
}

/*
 * msg with every '...' quoted run replaced by '…'.  A form's keys and
 * libxml2's entity names are the body's own bytes: a secret with an
 * unescaped '&' in it reaches a message that way.
 */
static const char *
unquoted(struct arena *a, const char *msg)
{
	struct buf b;
	const char *p = msg, *q, *e;

	buf_init(&b, a);
	while ((q = strchr(p, '\'')) != NULL &&
	    (e = strchr(q + 1, '\'')) != NULL) {
		buf_put(&b, p, (size_t)(q - p));
		buf_puts(&b, "'\xe2\x80\xa6'");
		p = e + 1;
	}
	buf_puts(&b, p);
	return b.failed ? "The request body could not be read." : b.p;
}

int
aspnet_read_body(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, struct value **doc)
{
	struct fmt_error ferr;
	struct value *ms;
	enum fmt_status fs;
	const char *key, *msg;
	int m = request_media(req->content_type);

	memset(&ferr, 0, sizeof(ferr));
	if (m == ASPNET_JSON || m == ASPNET_TEXT_JSON)
		fs = json_decode(req->arena, req->body, req->body_len,
		    dialect_limits(req), doc, &ferr);
	else if ((m == ASPNET_XML || m == ASPNET_TEXT_XML) && app->xml &&
	    app->contract != NULL)
		fs = xml_decode(req->arena, req->body, req->body_len,
		    app->contract, dialect_limits(req), doc, &ferr);
	else if (m == ASPNET_FORM)
		fs = form_decode(req->arena, req->body, req->body_len,
		    dialect_limits(req), doc, &ferr);
	else {
		aspnet_unsupported_media(app, req, resp);
		return -1;
	}
	if (fs == FMT_OK && *doc != NULL && (*doc)->type == VALUE_OBJECT)
		return 0;
	if (fs == FMT_EMPTY)
		msg = "A non-empty request body is required.";
	else if (fs == FMT_OK)
		msg = arena_sprintf(req->arena, "Cannot deserialize a JSON %s "
		    "into this parameter's type, which needs a JSON object.",
		    *doc ? value_type_name((*doc)->type) : "null");
	else if (app->secrets && m != ASPNET_JSON && m != ASPNET_TEXT_JSON)
		msg = unquoted(req->arena, ferr.msg);
	else
		msg = arena_strdup(req->arena, ferr.msg);
	key = ferr.path[0] != '\0' && fs != FMT_OK && fs != FMT_EMPTY &&
	    !(app->secrets && m == ASPNET_FORM) ?
	    arena_sprintf(req->arena, "%s.%s", app->param, ferr.path) :
	    app->param;
	ms = value_object(req->arena);
	aspnet_model_error(req->arena, ms, key, msg);
	aspnet_error(app, req, resp, 400, "The request is invalid.", ms);
	return -1;
}

/* Maps a core status that carries no field errors to an HttpError. */
void
aspnet_core_error(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, enum core_status st, const char *message)
{
	switch (st) {
	case CORE_NOT_FOUND:
		aspnet_error(app, req, resp, 404, message, NULL);
		break;
	case CORE_CONFLICT:
		aspnet_error(app, req, resp, 409, message, NULL);
		break;
	case CORE_FORBIDDEN:
		aspnet_error(app, req, resp, 403,
		    "Authorization has been denied for this request.", NULL);
		break;
	case CORE_TOO_LARGE:
		aspnet_error(app, req, resp, 413,
		    "The request is too large.", NULL);
		break;
	case CORE_UNAVAILABLE:
		aspnet_error(app, req, resp, 503,
		    "The service is temporarily unavailable.", NULL);
		break;
	case CORE_INVALID:
		aspnet_error(app, req, resp, 400, "The request is invalid.",
		    NULL);
		break;
	default:
		aspnet_error(app, req, resp, 500, "An error has occurred.",
		    NULL);
		break;
	}
}

static void
error_004(struct http_req *req, struct http_resp *resp, int status,
    const char *message)
{
	aspnet_error(&aspnet_app_004, req, resp, status, message, NULL);
}

const struct dialect dialect_aspnet_004 = { "aspnet", error_004 };
