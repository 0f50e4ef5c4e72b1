/*
 * aspnet.c: the ASP.NET Web API 2 conventions shared by seeds 000, 003
 * and 004 (FORMATS.md §3): HttpError bodies, ModelState, JSON media
 * types.  Each app's differences (casing, "$id") are data in struct
 * aspnet_app, not copies of code.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dialect.h"

const struct aspnet_app aspnet_app_004 = {
	.param = "user",
	.camel_case = 0,
};

/* Json.NET's camel-casing: only the leading run of capitals is lowered. */
static const char *
app_name(const struct aspnet_app *app, struct arena *a, const char *name)
{
	char *s;
	size_t i, n;

	if (!app->camel_case)
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

/* The JSON media type to answer with: text/json when that is asked. */
static const char *
json_type(const struct http_req *req)
{
	const char *acc = http_req_header(req, "Accept");

	if (acc != NULL && strstr(acc, "text/json") != NULL &&
	    strstr(acc, "application/json") == NULL)
		return "text/json; charset=utf-8";
	return "application/json; charset=utf-8";
}

/*
 * Sends body as JSON with the app's conventions.  The names in body are
 * already in the app's casing.
 */
void
aspnet_send(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, struct value *body)
{
	(void)app;	/* "$id" apps (000, 003) will decorate body here */
	resp->status = status;
	resp->content_type = json_type(req);
	buf_reset(&resp->body);
	json_encode(&resp->body, body);
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
 * app's casing of the envelope keys.
 */
void
aspnet_error(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const char *message,
    struct value *model_state)
{
	struct arena *a = req->arena;
	struct value *o = value_object(a);

	value_set(a, o, app_name(app, a, "Message"), value_cstr(a, message));
	if (model_state != NULL)
		value_set(a, o, app_name(app, a, "ModelState"), model_state);
	aspnet_send(app, req, resp, status, o);
	if (status == 401)
		http_resp_header(resp, "WWW-Authenticate", "Bearer");
	if (status == 503)
		http_resp_header(resp, "Retry-After", "5");
}

static int
media_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* 1 when the request's Content-Type is one of the JSON media types. */
int
aspnet_is_json(const struct http_req *req)
{
	const char *ct = req->content_type;

	return ct != NULL && (media_is(ct, "application/json") ||
	    media_is(ct, "text/json"));
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
