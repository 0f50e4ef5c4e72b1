/*
 * v1_audit.c: GET /v1/tenants/{tenantId}/audit, newest first, filtered
 * by actor, action, targetId and a time range (from inclusive, until
 * exclusive; RFC 3339).
 */
#include <string.h>

#include "v1.h"

/* An RFC 3339 timestamp, roughly: the database checks it precisely. */
static int
looks_like_time(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 10 || n > 40)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("0123456789-:.TtZz+ ", s[i]) == NULL)
			return 0;
	return 1;
}

void
v1_audit_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[8], *constraint, *target;
	char canon[UUID_STR_LEN + 1];
	enum db_status st;
	PGresult *r;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	params[1] = pg.has_cursor ? pg.cur_us : NULL;
	params[2] = pg.limit_plus_one;
	params[3] = v1_query(req, "actor", &bad);
	params[4] = v1_query(req, "action", &bad);
	target = v1_query(req, "targetId", &bad);
	params[6] = v1_query(req, "from", &bad);
	params[7] = v1_query(req, "until", &bad);
	if (bad || (params[3] && strlen(params[3]) > 256) ||
	    (params[4] && strlen(params[4]) > 64)) {
		v1_problem(req, resp, 400, "A query parameter is malformed "
		    "or too long.");
		return;
	}
	params[5] = NULL;
	if (target != NULL) {
		if (uuid_normalize(target, strlen(target), canon) != 0) {
			v1_field_error(req, resp, 400, "targetId", "invalid",
			    "targetId is not a uuid.");
			return;
		}
		params[5] = canon;
	}
	if ((params[6] && !looks_like_time(params[6])) ||
	    (params[7] && !looks_like_time(params[7]))) {
		v1_field_error(req, resp, 400, params[6] &&
		    !looks_like_time(params[6]) ? "from" : "until", "invalid",
		    "from and until are RFC 3339 timestamps.");
		return;
	}
	if ((r = v1_exec(req, STMT_AUDIT_LIST, params, &st,
	    &constraint)) == NULL) {
		/* a tenant id that is no uuid is refused too: 404 */
		if (st == DB_INVALID && (params[6] || params[7]) &&
		    req->tenant != NULL &&
		    uuid_valid(req->tenant, strlen(req->tenant)))
			v1_field_error(req, resp, 400, params[6] ? "from" :
			    "until", "invalid", "from or until is not a valid "
			    "timestamp.");
		else
			v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "tenant_ok")) {
		v1_problem(req, resp, 404, "No tenant has this id.");
		return;
	}
	v1_send_page(req, resp, r, &pg);
}
