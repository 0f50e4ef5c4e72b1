/*
 * fuzz_negotiate.c: response format negotiation: ASP.NET's
 * aspnet_negotiate() (dialects/aspnet.c, Accept and the body's type)
 * for apps with and without the XML and xlsx formatters, and
 * ServiceStack's ss_negotiate() (dialects/servicestack_invite.c: path
 * suffix, ?format=, Accept).
 *
 * Input lines: Accept, Content-Type, path, query (missing lines are
 * absent headers; an empty Accept line is no Accept header).
 *
 * Properties: ASP.NET answers a type the app has a formatter for (never
 * the form type, XML only with XML, xlsx only with xlsx), JSON without
 * Accept and body type, the type itself when Accept names exactly one
 * writable type, and the same answer twice.  ServiceStack answers one
 * of its four formats, text/jsv only with JSV, the format a predefined
 * route's path names (/xml/reply/...) unless ?format= names another, else
 * the path's suffix when there is one, else ?format= when it names a
 * format, and JSON without any of these.
 */
#define FUZZ_NAME "negotiate"
#include "fuzz.h"
#include "../../src/dialects/dialect.h"

#define XLSX_TYPE \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static const char *const media[ASPNET_MEDIA__MAX] = {
	[ASPNET_JSON] = "application/json",
	[ASPNET_TEXT_JSON] = "text/json",
	[ASPNET_XML] = "application/xml",
	[ASPNET_TEXT_XML] = "text/xml",
	[ASPNET_XLSX] = XLSX_TYPE,
	[ASPNET_MS_EXCEL] = "application/vnd.ms-excel",
	[ASPNET_FORM] = "application/x-www-form-urlencoded",
};

static int
writes(const struct aspnet_app *app, enum aspnet_media m)
{
	switch (m) {
	case ASPNET_JSON:
	case ASPNET_TEXT_JSON:
		return 1;
	case ASPNET_XML:
	case ASPNET_TEXT_XML:
		return app->xml;
	case ASPNET_XLSX:
	case ASPNET_MS_EXCEL:
		return app->xlsx;
	default:
		return 0;
	}
}

static void
aspnet(struct arena *a, const char *accept, const char *ctype)
{
	static const struct aspnet_app apps[] = {
		{ .param = "m", .xml = 0, .xlsx = 0 },
		{ .param = "m", .xml = 1, .xlsx = 0 },
		{ .param = "m", .xml = 0, .xlsx = 1 },
		{ .param = "m", .xml = 1, .xlsx = 1 },
	};
	struct http_req req;
	char *env[3];
	size_t i, n = 0;
	enum aspnet_media m, lone = ASPNET_MEDIA__MAX;

	if (accept != NULL)
		env[n++] = arena_sprintf(a, "HTTP_ACCEPT=%s", accept);
	env[n] = NULL;
	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.envp = env;
	req.content_type = ctype;
	for (i = 0; accept != NULL && i < ASPNET_MEDIA__MAX; i++)
		if (strcasecmp(accept, media[i]) == 0)
			lone = (enum aspnet_media)i;
	for (i = 0; i < RS_ARRAY_LEN(apps); i++) {
		m = aspnet_negotiate(&apps[i], &req);
		if ((unsigned)m >= ASPNET_MEDIA__MAX || !writes(&apps[i], m))
			fuzz_fail("app %zu answers media %d", i, (int)m);
		if (aspnet_negotiate(&apps[i], &req) != m)
			fuzz_fail("a second answer differs");
		if (accept == NULL && ctype == NULL && m != ASPNET_JSON)
			fuzz_fail("no Accept, no body: media %d", (int)m);
		if (lone != ASPNET_MEDIA__MAX && writes(&apps[i], lone) &&
		    m != lone)
			fuzz_fail("Accept: %s answered %d", accept, (int)m);
	}
}

static enum ss_format
suffix(const char *path)
{
	static const struct {
		const char	*s;
		enum ss_format	 f;
	} sfx[] = { { ".json", SS_JSON }, { ".jsv", SS_JSV },
	    { ".xml", SS_XML }, { ".csv", SS_CSV } };
	const char *seg = strrchr(path, '/');
	size_t i, n, k;

	seg = seg != NULL ? seg + 1 : path;
	n = strlen(seg);
	for (i = 0; i < RS_ARRAY_LEN(sfx); i++) {
		k = strlen(sfx[i].s);
		if (n > k && strcasecmp(seg + n - k, sfx[i].s) == 0)
			return sfx[i].f;
	}
	return SS_FORMAT__MAX;
}

/* The format a predefined route's path names: /{fmt}/reply/ or /oneway/. */
static enum ss_format
predefined(const char *path)
{
	static const struct {
		const char	*s;
		enum ss_format	 f;
	} pre[] = { { "json", SS_JSON }, { "jsv", SS_JSV },
	    { "xml", SS_XML }, { "csv", SS_CSV } };
	size_t i, k;

	if (path[0] != '/')
		return SS_FORMAT__MAX;
	for (i = 0; i < RS_ARRAY_LEN(pre); i++) {
		k = strlen(pre[i].s);
		if (strncasecmp(path + 1, pre[i].s, k) == 0 &&
		    (strncasecmp(path + 1 + k, "/reply/", 7) == 0 ||
		    strncasecmp(path + 1 + k, "/oneway/", 8) == 0))
			return pre[i].f;
	}
	return SS_FORMAT__MAX;
}

static void
servicestack(const char *path, const char *query, const char *accept,
    const char *ctype)
{
	enum ss_format f, sf, pf;
	int tj = -1, tj2 = -1;

	f = ss_negotiate(path, query, accept, ctype, &tj);
	if ((unsigned)f >= SS_FORMAT__MAX)
		fuzz_fail("ss_negotiate answered %d", (int)f);
	if (tj != 0 && tj != 1)
		fuzz_fail("text_jsv %d", tj);
	if (tj && f != SS_JSV)
		fuzz_fail("text/jsv for format %d", (int)f);
	if (ss_negotiate(path, query, accept, ctype, &tj2) != f || tj2 != tj)
		fuzz_fail("a second answer differs");
	/* the predefined route's format, unless ?format= says otherwise */
	if ((pf = predefined(path)) != SS_FORMAT__MAX) {
		if ((query == NULL || query[0] == '\0') && f != pf)
			fuzz_fail("predefined route %s gave %d", path, (int)f);
		return;
	}
	if ((sf = suffix(path)) != SS_FORMAT__MAX && f != sf)
		fuzz_fail("suffix of %s gave %d", path, (int)f);
	if (sf == SS_FORMAT__MAX && (query == NULL || query[0] == '\0') &&
	    accept == NULL && f != SS_JSON)
		fuzz_fail("nothing asked, format %d", (int)f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size), *f[4] = { NULL }, *next;
	const char *path;
	size_t i;

	for (i = 0; i < 4 && p != NULL; i++, p = next) {
		if ((next = strchr(p, '\n')) != NULL)
			*next++ = '\0';
		f[i] = p;
	}
	if (f[0] != NULL && f[0][0] == '\0')
		f[0] = NULL;
	if (f[1] != NULL && f[1][0] == '\0')
		f[1] = NULL;
	fuzz_accepted++;
	aspnet(a, f[0], f[1]);
	path = f[2] != NULL && f[2][0] != '\0' ? f[2] : "/usergroupuserinvite";
	servicestack(path, f[3], f[0], f[1]);
	arena_reset(a);
	return 0;
}
