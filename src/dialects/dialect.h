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

/* Builds the core context of a request (db, arena, actor, request id). */
void dialect_core_ctx(const struct http_req *req, struct core_ctx *c);

/* health.c: /healthz, /readyz, and the plain problem+json shape. */
extern const struct dialect dialect_plain;
void health_healthz(struct http_req *req, struct http_resp *resp);
void health_readyz(struct http_req *req, struct http_resp *resp);

/* aspnet.c: what the three ASP.NET Web API apps share. */
struct aspnet_app {
	const char	*param;		/* action parameter: ModelState prefix */
	int		 camel_case;	/* Json.NET CamelCasePropertyNames */
};

extern const struct aspnet_app aspnet_app_004;
extern const struct dialect dialect_aspnet_004;

/* Sends {"Message": message} (+ ModelState when not NULL) as status. */
void aspnet_error(const struct aspnet_app *app, struct http_req *req,
    struct http_resp *resp, int status, const char *message,
    struct value *model_state);
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

/* aspnet_organization_users.c: seed 004. */
void aspnet_org_users_post(struct http_req *req, struct http_resp *resp);

/* Seeds 000 and 003 (issue 5): declarations below this line. */

/* Seeds 001 and 002 (issue 6): declarations below this line. */

/* routes.c: the route table. */
extern const struct route routes[];
extern const size_t nroutes;
/* The dialect whose error shape answers an unmatched path. */
const struct dialect *routes_dialect_for_path(const char *path);

#endif
