/*
 * v1_groups.c: /v1/tenants/{tenantId}/groups and their members.  The
 * four kinds of group are the seeds' security groups (000), user groups
 * (001), admin groups (002) and privilege groups (003).  Bulk membership
 * takes up to V1_BULK_MAX users in one statement, all or nothing, and
 * answers per item; an add names them by id, username or e-mail.
 */
#include <string.h>

#include "v1.h"

#define V1_BULK_MAX	10000
/*
 * A bulk add or removal of at most this many names runs the statement's
 * _few form (prepared, one cached plan: nested loops over the names, the
 * right plan for so few); a larger one runs the form planned for its
 * arrays' sizes.
 */
#define V1_BULK_FEW	100

static const char *const group_kinds[] = {
	"security", "user", "admin", "privilege", NULL
};

static const struct v1_field group_fields[] = {
	{ "kind", VT_ENUM, 16, VF_REQUIRED | VF_NOT_NULL | VF_CREATE_ONLY,
	    group_kinds },
	{ "code", VT_STRING, 128, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "name", VT_STRING, 256, VF_REQUIRED | VF_NOT_NULL, NULL },
	{ "description", VT_STRING, 4096, 0, NULL },
	{ "attributes", VT_OBJECT, 16384, VF_NOT_NULL, NULL },
};

static const char *const group_conflicts[] = {
	"groups_code_key", "code", NULL
};

static const struct v1_resource groups = {
	"group", "groups", "groupId", group_fields,
	RS_ARRAY_LEN(group_fields), group_conflicts, STMT_GROUP_CREATE,
	STMT_GROUP_GET, STMT_GROUP_PATCH, STMT_GROUP_DELETE,
};

void
v1_groups_create(struct http_req *req, struct http_resp *resp)
{
	v1_res_create(req, resp, &groups);
}

void
v1_groups_get(struct http_req *req, struct http_resp *resp)
{
	v1_res_get(req, resp, &groups);
}

void
v1_groups_patch(struct http_req *req, struct http_resp *resp)
{
	v1_res_patch(req, resp, &groups);
}

void
v1_groups_delete(struct http_req *req, struct http_resp *resp)
{
	v1_res_delete(req, resp, &groups);
}

/* GET /v1/tenants/{tenantId}/groups?kind=&code=&limit=&cursor= */
void
v1_groups_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[6];
	size_t i;
	int bad = 0;

	if (v1_page(req, resp, &pg) != 0)
		return;
	params[0] = req->tenant;
	params[4] = v1_query(req, "kind", &bad);
	params[5] = v1_query(req, "code", &bad);
	if (bad || (params[5] != NULL && strlen(params[5]) > 128)) {
		v1_field_error(req, resp, 400, bad ? "$query" : "code",
		    "invalid", "A query parameter is malformed or too long.");
		return;
	}
	for (i = 0; params[4] != NULL && group_kinds[i] != NULL; i++)
		if (strcmp(params[4], group_kinds[i]) == 0)
			break;
	if (params[4] != NULL && group_kinds[i] == NULL) {
		v1_field_error(req, resp, 400, "kind", "invalid", "kind must "
		    "be security, user, admin or privilege.");
		return;
	}
	v1_res_list(req, resp, STMT_GROUP_LIST, params, 1, &pg, "tenant_ok",
	    "tenant");
}

/* GET /v1/tenants/{tenantId}/groups/{groupId}/members (by user id) */
void
v1_members_list(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[5];

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "groupId", "group")) == NULL)
		return;
	if (v1_page(req, resp, &pg) != 0)
		return;
	v1_res_list(req, resp, STMT_MEMBER_LIST, params, 2, &pg, "group_ok",
	    "group");
}

/* Bulk bodies: {"userIds": [...]} (an add may name its users by
 * "usernames" and "emails" too), room for a few more items than the cap
 * so that an oversized list is a 413 naming the cap, not a parse error. */
static const struct fmt_limits bulk_limits = {
	.max_depth = 4, .max_items = 4 * V1_BULK_MAX, .max_string = 4096,
	.max_nodes = 4 * V1_BULK_MAX + 16,
};

/* The members of a bulk body that name users, in the order their items
 * are answered; an item of a name list is at most max bytes (the users'
 * username and email fields). */
enum { BY_ID, BY_USERNAME, BY_EMAIL, BY__N };

static const struct {
	const char	*key;
	const char	*what;	/* one item, in an error */
	const char	*whats;	/* the items */
	long		 max;
} bulk_by[BY__N] = {
	{ "userIds", "a user id (a uuid)", "user ids", 0 },
	{ "usernames", "a username", "usernames", 256 },
	{ "emails", "an e-mail address", "e-mail addresses", 254 },
};

/* Checks item i of list `by`; its canonical text, or NULL with an error
 * added (the first 100 only). */
static const char *
bulk_item(struct arena *a, int by, size_t i, const struct value *v,
    struct value *errors)
{
	const char *field = arena_sprintf(a, "%s[%zu]", bulk_by[by].key, i);
	char c[UUID_STR_LEN + 1];

	if (by == BY_ID) {
		if (v->type == VALUE_STRING &&
		    uuid_normalize(v->u.str.p, v->u.str.len, c) == 0)
			return arena_strdup(a, c);
		if (errors->u.arr.n < 100)
			v1_errors_add(a, errors, field, "invalid",
			    "Not a user id (a uuid).");
		return NULL;
	}
	if (errors->u.arr.n >= 100)
		return NULL;
	if (v->type != VALUE_STRING)
		v1_errors_add(a, errors, field, "type", arena_sprintf(a,
		    "Not %s (a string).", bulk_by[by].what));
	else if (v->u.str.len == 0)
		v1_errors_add(a, errors, field, "required", arena_sprintf(a,
		    "%s is empty.", field));
	else if ((long)v->u.str.len > bulk_by[by].max)
		v1_errors_add(a, errors, field, "tooLong", arena_sprintf(a,
		    "%s is longer than %ld bytes.", field, bulk_by[by].max));
	else
		return v->u.str.p;
	return NULL;
}

/*
 * The user lists of a bulk body as array literals (lit[BY_ID] a uuid[],
 * the others text[]; NULL where the body has no such member): 0, or -1
 * with the response sent: 400 naming each bad member or item, 413 past
 * the cap (V1_BULK_MAX items in all).  by_names: usernames and emails
 * are accepted as well as userIds.  *ntotal: the items of all lists.
 */
static int
bulk_users(struct http_req *req, struct http_resp *resp, int by_names,
    const char *lit[BY__N], size_t *ntotal)
{
	struct arena *a = req->arena;
	struct value *body, *list[BY__N], *errors;
	const char **items;
	size_t i, total = 0;
	int by, nby = by_names ? BY__N : 1, given = 0, over = -1, typed = 1;

	if ((body = v1_json_body(req, resp, &bulk_limits)) == NULL)
		return -1;
	if (body->type != VALUE_OBJECT) {
		v1_field_error(req, resp, 400, "$", "type",
		    "The body must be a JSON object.");
		return -1;
	}
	errors = value_array(a);
	for (i = 0; i < body->u.obj.n; i++) {
		for (by = 0; by < nby; by++)
			if (strcmp(body->u.obj.members[i].key,
			    bulk_by[by].key) == 0)
				break;
		if (by == nby)
			v1_errors_add(a, errors, body->u.obj.members[i].key,
			    "unknown", by_names ? "Only userIds, usernames "
			    "and emails are accepted here." : "Only userIds "
			    "is accepted here.");
	}
	for (by = 0; by < nby; by++) {
		lit[by] = NULL;
		if ((list[by] = value_get(body, bulk_by[by].key)) == NULL)
			continue;
		given++;
		if (list[by]->type != VALUE_ARRAY) {
			v1_errors_add(a, errors, bulk_by[by].key, "type",
			    arena_sprintf(a, "%s must be an array of %s.",
			    bulk_by[by].key, bulk_by[by].whats));
			list[by] = NULL;
			typed = 0;
			continue;
		}
		total += list[by]->u.arr.n;
		if (over < 0 && total > V1_BULK_MAX)
			over = by;
	}
	if (given == 0)
		v1_errors_add(a, errors, "userIds", "required", by_names ?
		    "userIds, usernames or emails must be given, each an "
		    "array." : "userIds must be an array of user ids.");
	if (given == 0 || !typed) {
		v1_field_problem(req, resp, 400, "The request has invalid "
		    "fields.", errors);
		return -1;
	}
	if (over >= 0) {
		v1_field_error(req, resp, 413, bulk_by[over].key, "tooMany",
		    given == 1 ? arena_sprintf(a, "At most %d %s in one "
		    "request; this one has %zu.", V1_BULK_MAX,
		    bulk_by[over].key, total) : arena_sprintf(a, "At most "
		    "%d userIds, usernames and emails together in one "
		    "request; this one has %zu.", V1_BULK_MAX, total));
		return -1;
	}
	for (by = 0; by < nby; by++) {
		if (list[by] == NULL)
			continue;
		if (list[by]->u.arr.n == 0)
			v1_errors_add(a, errors, bulk_by[by].key, "required",
			    arena_sprintf(a, "%s is empty.", bulk_by[by].key));
		items = arena_allocarray(a, list[by]->u.arr.n + 1,
		    sizeof(*items));
		for (i = 0; i < list[by]->u.arr.n; i++)
			items[i] = bulk_item(a, by, i,
			    list[by]->u.arr.items[i], errors);
		lit[by] = db_array_literal(a, items, list[by]->u.arr.n);
	}
	if (errors->u.arr.n > 0) {
		v1_field_problem(req, resp, 400, "The request has invalid "
		    "fields.", errors);
		return -1;
	}
	*ntotal = total;
	return 0;
}

/* A bulk membership statement's form for at most V1_BULK_FEW names. */
static enum stmt
few_form(enum stmt id)
{
	switch (id) {
	case STMT_MEMBER_ADD:
		return STMT_MEMBER_ADD_FEW;
	case STMT_MEMBER_ADD_BY:
		return STMT_MEMBER_ADD_BY_FEW;
	case STMT_MEMBER_REMOVE:
		return STMT_MEMBER_REMOVE_FEW;
	default:
		return id;
	}
}

/*
 * An add or a removal of the users a bulk body names; by_names: an add,
 * whose body may name them by username and e-mail too (then the one
 * statement member_add_by resolves and adds them all).
 */
static void
members_bulk(struct http_req *req, struct http_resp *resp, enum stmt id,
    int by_names)
{
	const char *params[7], *constraint, *lit[BY__N];
	enum db_status st;
	PGresult *r;
	size_t total;
	int n = 5;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "groupId", "group")) == NULL)
		return;
	if (bulk_users(req, resp, by_names, lit, &total) != 0)
		return;
	if (by_names && (lit[BY_USERNAME] != NULL || lit[BY_EMAIL] != NULL)) {
		id = STMT_MEMBER_ADD_BY;
		params[2] = lit[BY_ID] != NULL ? lit[BY_ID] : "{}";
		params[3] = lit[BY_USERNAME] != NULL ? lit[BY_USERNAME] : "{}";
		params[4] = lit[BY_EMAIL] != NULL ? lit[BY_EMAIL] : "{}";
		n = 7;
	} else
		params[2] = lit[BY_ID];
	if (total <= V1_BULK_FEW)
		id = few_form(id);
	params[n - 2] = v1_actor(req);
	params[n - 1] = req->audit_request_id;
	if ((r = v1_exec(req, id, params, &st, &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "group_ok")) {
		v1_problem(req, resp, 404, "No group has this id.");
		return;
	}
	v1_send_resource(req, resp, 200, db_get(r, 0, "json"), NULL);
}

/* POST /v1/tenants/{tenantId}/groups/{groupId}/members */
void
v1_members_add(struct http_req *req, struct http_resp *resp)
{
	members_bulk(req, resp, STMT_MEMBER_ADD, 1);
}

/* POST /v1/tenants/{tenantId}/groups/{groupId}/members:remove */
void
v1_members_remove(struct http_req *req, struct http_resp *resp)
{
	members_bulk(req, resp, STMT_MEMBER_REMOVE, 0);
}

/* DELETE /v1/tenants/{tenantId}/groups/{groupId}/members/{userId} */
void
v1_member_delete(struct http_req *req, struct http_resp *resp)
{
	const char *params[5], *constraint, *uid;
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "groupId", "group")) == NULL)
		return;
	if ((uid = v1_path_id(req, resp, "userId", "member")) == NULL)
		return;
	params[2] = db_array_literal(req->arena, &uid, 1);
	params[3] = v1_actor(req);
	params[4] = req->audit_request_id;
	if ((r = v1_exec(req, STMT_MEMBER_REMOVE_FEW, params, &st,
	    &constraint)) == NULL) {
		v1_db_error(req, resp, st, constraint, NULL);
		return;
	}
	if (!db_true(r, "group_ok")) {
		v1_problem(req, resp, 404, "No group has this id.");
		return;
	}
	if (strcmp(db_get(r, 0, "removed"), "0") == 0) {
		v1_problem(req, resp, 404, "This user is not a member of "
		    "the group.");
		return;
	}
	v1_send_empty(resp);
}

/* GET /v1/tenants/{tenantId}/users/{userId}/groups */
void
v1_users_groups(struct http_req *req, struct http_resp *resp)
{
	struct v1_page pg;
	const char *params[5];

	params[0] = req->tenant;
	if ((params[1] = v1_path_id(req, resp, "userId", "user")) == NULL)
		return;
	if (v1_page(req, resp, &pg) != 0)
		return;
	v1_res_list(req, resp, STMT_USER_GROUPS, params, 2, &pg, "user_ok",
	    "user");
}
