/*
 * response.c: the response model and its CGI serialisation.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Prepares an empty response whose body lives in arena a. */
void
http_resp_init(struct http_resp *resp, struct arena *a)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, a);
}

/*
 * Adds a response header.  name and value must outlive the response
 * (literals or arena strings).  Headers past HTTP_MAX_RESP_HEADERS are
 * a programming error and abort.
 */
void
http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
	if (name == NULL || value == NULL)
		return;		/* no header rather than a "(null)" one */
	if (resp->nheaders >= HTTP_MAX_RESP_HEADERS)
		abort();
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = value;
	resp->nheaders++;
}

/* Sets status, content type and a copy of the body. */
void
http_resp_set(struct http_resp *resp, int status, const char *ctype,
    const char *body, size_t len)
{
	resp->status = status;
	resp->content_type = ctype;
	buf_reset(&resp->body);
	if (body != NULL)
		buf_put(&resp->body, body, len);
}

static const struct {
	int		 code;
	const char	*text;
} statuses[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 409, "Conflict" }, { 410, "Gone" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 503, "Service Unavailable" },
};

/* Returns the reason phrase of an HTTP status. */
const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(statuses); i++)
		if (statuses[i].code == status)
			return statuses[i].text;
	return "Unknown";
}

/*
 * Appends the CGI form of resp to out: a Status line, the headers,
 * Content-Type and Content-Length, a blank line and the body.
 */
void
http_resp_serialize(const struct http_resp *resp, struct buf *out)
{
	size_t i;

	buf_puts(out, "Status: ");
	buf_put_int(out, resp->status, 0);
	buf_putc(out, ' ');
	buf_puts(out, http_status_text(resp->status));
	buf_puts(out, "\r\n");
	for (i = 0; i < resp->nheaders; i++) {
		buf_puts(out, resp->headers[i].name);
		buf_puts(out, ": ");
		buf_puts(out, resp->headers[i].value);
		buf_puts(out, "\r\n");
	}
	if (resp->content_type != NULL) {
		buf_puts(out, "Content-Type: ");
		buf_puts(out, resp->content_type);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "Content-Length: ");
	buf_put_int(out, (long long)resp->body.len, 0);
	buf_puts(out, "\r\n\r\n");
	if (resp->body.len > 0)
		buf_put(out, resp->body.p, resp->body.len);
}
