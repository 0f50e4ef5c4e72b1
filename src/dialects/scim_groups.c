/*
 * scim_groups.c: /scim/v2/Groups.  A Group is a rosterd group: its
 * displayName the group's name (unique per tenant without regard to
 * case), its kind and code in the extension SCIM_URN_RGROUP (default
 * kind security, default code the group's id), its members the group's
 * members (users only: groups do not nest).  Member changes are set
 * operations in the statement that updates the group: adding a member
 * twice or removing a non-member is success, never a conflict.  Reads
 * without members (excludedAttributes=members) never touch
 * group_members.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim.h"

static const struct scim_sqlattr group_map[] = {
	{ "id", NULL, "g.id", SCIM_V_STRING, SCIM_SQL_UUID },
	{ "displayName", NULL, "g.name", SCIM_V_STRING,
	    SCIM_SQL_LOWER_INDEXED },
	{ "externalId", NULL, "(g.attrs->'scim'->>'externalId')",
	    SCIM_V_STRING, SCIM_SQL_CASE_EXACT },
	{ "members", NULL, "group_members m WHERE m.tenant_id = g.tenant_id"
	    " AND m.group_id = g.id", SCIM_V_STRING,
	    SCIM_SQL_MULTI | SCIM_SQL_ROWS },
	{ "members.value", NULL, "m.user_id", SCIM_V_STRING, SCIM_SQL_UUID },
	{ "members.type", NULL, "'User'", SCIM_V_STRING, SCIM_SQL_CASE_EXACT },
	{ "meta.created", NULL, "g.created_at", SCIM_V_STRING,
	    SCIM_SQL_DATETIME },
	{ "meta.lastModified", NULL, "g.updated_at", SCIM_V_STRING,
	    SCIM_SQL_DATETIME },
	{ "kind", SCIM_URN_RGROUP, "g.kind", SCIM_V_STRING,
	    SCIM_SQL_CASE_EXACT },
	{ "code", SCIM_URN_RGROUP, "g.code", SCIM_V_STRING,
	    SCIM_SQL_LOWER_INDEXED },
};

static const struct scim_sort group_sort[] = {
	{ "id", "g.id" },
	{ "displayName", "lower(g.name)" },
	{ "externalId", "(g.attrs->'scim'->>'externalId')" },
	{ "meta.created", "g.created_at" },
	{ "meta.lastModified", "g.updated_at" },
};

/* Bodies of up to SCIM_MAX_MEMBERS members (nginx caps the bytes). */
static const struct fmt_limits group_limits = {
	.max_depth = 16, .max_items = SCIM_MAX_MEMBERS + 64,
	.max_string = 65536, .max_nodes = 8 * SCIM_MAX_MEMBERS + 4096,
};

static const char *const kinds[] = { "security", "user", "admin",
	"privilege" };

/* The Group of row `row` (DB_SCIM_GROUP_COLS and members, or NULL). */
static struct value *
group_from_row(struct http_req *req, const PGresult *r, int row)
{
	struct arena *a = req->arena;
	struct value *out = value_object(a), *st, *s, *m, *x;
	const char *id = db_get(r, row, "id"), *base = scim_base(req), *v;
	size_t i;

	st = scim_stored_json(a, db_get(r, row, "scim"));
	if (st == NULL || st->type != VALUE_OBJECT)
		st = value_object(a);
	s = value_array(a);
	value_push(a, s, value_cstr(a, SCIM_URN_GROUP));
	value_push(a, s, value_cstr(a, SCIM_URN_RGROUP));
	value_set(a, out, "schemas", s);
	value_set(a, out, "id", value_cstr(a, id));
	if (scim_str(st, "externalId") != NULL)
		value_set(a, out, "externalId", scim_obj_get(st,
		    "externalId"));
	value_set(a, out, "displayName", value_cstr(a, db_get(r, row,
	    "name")));
	for (i = 0; i < st->u.obj.n; i++) {
		const char *k = st->u.obj.members[i].key;

		if (strcmp(k, "externalId") == 0 ||
		    strcmp(k, "displayName") == 0 ||
		    strcmp(k, "members") == 0 ||
		    strcmp(k, SCIM_URN_RGROUP) == 0)
			continue;
		value_set(a, out, k, st->u.obj.members[i].val);
	}
	m = scim_stored_json(a, db_get(r, row, "members"));
	if (m != NULL && m->type == VALUE_ARRAY) {
		for (i = 0; i < m->u.arr.n; i++) {
			x = m->u.arr.items[i];
			if ((v = scim_str(x, "value")) != NULL)
				value_set(a, x, "$ref", value_cstr(a,
				    arena_strcat(a, base, "/Users/", v,
				    (char *)NULL)));
			value_set(a, x, "type", value_cstr(a, "User"));
		}
		value_set(a, out, "members", m);
	}
	x = value_object(a);
	value_set(a, x, "kind", value_cstr(a, db_get(r, row, "kind")));
	value_set(a, x, "code", value_cstr(a, db_get(r, row, "code")));
	value_set(a, out, SCIM_URN_RGROUP, x);
	value_set(a, out, "meta", scim_res_meta(req, &scim_type_group, r, row,
	    id));
	return out;
}

/* The stored Group's keys group_from_row does not copy as they are. */
static const char *const group_own[] = { "externalId", "displayName",
	"members", SCIM_URN_RGROUP };

/*
 * The Group of row `row` as JSON text, written from the row's stored
 * JSON and members without decoding them: the same text as json_encode
 * of group_from_row's tree.  NULL when the stored Group is one the walk
 * leaves to the tree: not an object, over 1 MB or too deep to decode,
 * more than 128 members, or with a key of group_own that differs from it
 * in case or is escaped.
 */
static struct value *
group_json(struct http_req *req, const PGresult *r, int row)
{
	const char *stored = db_get(r, row, "scim"), *id = db_get(r, row, "id");
	const char *members;
	struct json_span k, v, ext = { NULL, 0 }, m[128][2];
	struct json_walk w;
	struct buf b;
	size_t len = 0, i, n = 0;
	int rc;

	if (stored != NULL) {
		len = strlen(stored);
		if (len > (1 << 20) ||
		    json_walk_start(&w, stored, len, 63) != 0 || w.close != '}')
			return NULL;
		while ((rc = json_walk_next(&w, &k, &v)) == 1) {
			if (memchr(k.p, '\\', k.n) != NULL)
				return NULL;
			for (i = 0; i < RS_ARRAY_LEN(group_own); i++)
				if (strlen(group_own[i]) == k.n &&
				    strncasecmp(group_own[i], k.p, k.n) == 0)
					break;
			if (i == RS_ARRAY_LEN(group_own)) {
				if (n == RS_ARRAY_LEN(m))
					return NULL;
				m[n][0] = k;
				m[n++][1] = v;
			} else if (memcmp(group_own[i], k.p, k.n) != 0) {
				return NULL;
			} else if (i == 0 && *v.p == '"') {
				ext = v;
			}
		}
		if (rc != 0)
			return NULL;
	}
	buf_init(&b, req->arena);
	/* room for all of it at once: the stored text, twice the members' */
	members = db_get(r, row, "members");
	buf_reserve(&b, len + (members != NULL ? 2 * strlen(members) : 0) +
	    512);
	buf_puts(&b, "{\"schemas\":[\"" SCIM_URN_GROUP "\",\"" SCIM_URN_RGROUP
	    "\"],\"id\":");
	json_put_string(&b, id, strlen(id));
	if (ext.p != NULL) {
		buf_puts(&b, ",\"externalId\":");
		json_put_compact(&b, ext.p, ext.n);
	}
	buf_puts(&b, ",\"displayName\":");
	scim_put_str(&b, db_get(r, row, "name"));
	for (i = 0; i < n; i++) {
		buf_putc(&b, ',');
		json_put_compact(&b, m[i][0].p - 1, m[i][0].n + 2);
		buf_putc(&b, ':');
		json_put_compact(&b, m[i][1].p, m[i][1].n);
	}
	if (scim_put_refs(req, &b, "members", members, "/Users/", "User",
	    1) != 0)
		return NULL;
	buf_puts(&b, ",\"" SCIM_URN_RGROUP "\":{\"kind\":");
	scim_put_str(&b, db_get(r, row, "kind"));
	buf_puts(&b, ",\"code\":");
	scim_put_str(&b, db_get(r, row, "code"));
	buf_putc(&b, '}');
	scim_put_meta(req, &b, &scim_type_group, r, row, id);
	buf_putc(&b, '}');
	if (b.failed)
		return NULL;
	return value_raw(req->arena, b.p, b.len);
}

static void
send_group(struct http_req *req, struct http_resp *resp, int status,
    const PGresult *r, const struct scim_proj *p)
{
	struct value *g = NULL;

	if (p->attributes == NULL && p->excluded == NULL)
		g = group_json(req, r, 0);
	if (g == NULL) {
		g = group_from_row(req, r, 0);
		scim_proj_apply(req->arena, p, &scim_rt_group, g);
	}
	scim_res_send(req, resp, &scim_type_group, status, r, g);
}

/* A growing list of canonical user ids. */
struct idlist {
	const char	**v;
	size_t		 n, cap;
};

static void
ids_add(struct arena *a, struct idlist *l, const char *id)
{
	const char **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		nv = arena_allocarray(a, l->cap, sizeof(*nv));
		if (l->n > 0)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
	}
	l->v[l->n++] = id;
}

/* Removes from l the ids of r. */
static void
ids_minus(struct idlist *l, const struct idlist *r)
{
	size_t i, j, k;

	if (l->n == 0 || r->n == 0)
		return;
	for (i = 0, k = 0; i < l->n; i++) {
		for (j = 0; j < r->n; j++)
			if (strcmp(l->v[i], r->v[j]) == 0)
				break;
		if (j == r->n)
			l->v[k++] = l->v[i];
	}
	l->n = k;
}

/*
 * The user ids of a members value (an array of {"value": id}, one such
 * object, or bare ids) into out.  strict: an id that is no uuid is a
 * 400 (sent; -1); else it is skipped (it names no member).
 */
static int
member_ids(struct http_req *req, struct http_resp *resp,
    const struct value *v, int strict, struct idlist *out)
{
	char canon[UUID_STR_LEN + 1];
	const struct value *e;
	const char *id, *type;
	size_t i, n;

	if (v == NULL || v->type == VALUE_NULL)
		return 0;
	n = v->type == VALUE_ARRAY ? v->u.arr.n : 1;
	if (n > SCIM_MAX_MEMBERS) {
		scim_error(req, resp, 413, NULL, arena_sprintf(req->arena,
		    "At most %d members in one request.", SCIM_MAX_MEMBERS));
		return -1;
	}
	for (i = 0; i < n; i++) {
		e = v->type == VALUE_ARRAY ? v->u.arr.items[i] : v;
		id = e->type == VALUE_STRING ? e->u.str.p : scim_str(e,
		    "value");
		type = scim_str(e, "type");
		if (strict && type != NULL && strcasecmp(type, "User") != 0) {
			scim_error(req, resp, 400, "invalidValue",
			    arena_sprintf(req->arena, "members[%zu]: groups "
			    "do not nest; members are users.", i));
			return -1;
		}
		if (id == NULL || uuid_normalize(id, strlen(id), canon) != 0) {
			if (!strict)
				continue;
			scim_error(req, resp, 400, "invalidValue",
			    arena_sprintf(req->arena, "members[%zu].value is "
			    "not the id of a user.", i));
			return -1;
		}
		ids_add(req->arena, out, arena_strdup(req->arena, canon));
	}
	return 0;
}

/* The group's columns from a normalised Group. */
struct gcols {
	const char	*name, *kind, *code, *scim;
};

static int
group_cols(struct http_req *req, struct http_resp *resp, struct value *res,
    struct gcols *c)
{
	const struct value *ext = scim_obj_get(res, SCIM_URN_RGROUP);
	const struct value *xid = scim_obj_get(res, "externalId");
	size_t i;
	struct buf b;

	/* kept as sent, and read back only as a string: nothing else goes */
	if (xid != NULL && xid->type != VALUE_NULL &&
	    (xid->type != VALUE_STRING || xid->u.str.len > 256)) {
		scim_error(req, resp, 400, "invalidValue", "externalId must be "
		    "a string of at most 256 bytes.");
		return -1;
	}
	c->name = scim_str(res, "displayName");
	if (c->name == NULL || *c->name == '\0' || strlen(c->name) > 256) {
		scim_error(req, resp, 400, "invalidValue", "displayName is "
		    "required (1 to 256 bytes).");
		return -1;
	}
	c->kind = scim_str(ext, "kind");
	c->code = scim_str(ext, "code");
	if (c->kind != NULL) {
		for (i = 0; i < RS_ARRAY_LEN(kinds); i++)
			if (strcmp(kinds[i], c->kind) == 0)
				break;
		if (i == RS_ARRAY_LEN(kinds)) {
			scim_error(req, resp, 400, "invalidValue", "kind "
			    "must be security, user, admin or privilege.");
			return -1;
		}
	}
	if (c->code != NULL && (*c->code == '\0' || strlen(c->code) > 128)) {
		scim_error(req, resp, 400, "invalidValue", "code must be 1 to "
		    "128 bytes.");
		return -1;
	}
	scim_obj_del(res, "members");
	scim_obj_del(res, SCIM_URN_RGROUP);
	buf_init(&b, req->arena);
	json_encode(&b, res);
	c->scim = b.p;
	return 0;
}

/* The body as a Group, its members' ids in ids; NULL with the error sent. */
static struct value *
group_body(struct http_req *req, struct http_resp *resp, struct idlist *ids)
{
	struct value *body = scim_body(req, resp, &group_limits);
	char err[160];

	if (body == NULL ||
	    member_ids(req, resp, scim_obj_get(body, "members"), 1, ids) != 0)
		return NULL;
	if (scim_normalize(req->arena, &scim_rt_group, body, err,
	    sizeof(err)) != 0) {
		scim_error(req, resp, 400, "invalidValue", arena_strdup(
		    req->arena, err));
		return NULL;
	}
	return body;
}

static void
group_write_error(struct http_req *req, struct http_resp *resp,
    enum db_status st)
{
	if (st == DB_CONFLICT)
		scim_error(req, resp, 409, "uniqueness", "Another group of "
		    "this tenant has this displayName (or kind and code).");
	else if (st == DB_INVALID)
		scim_error(req, resp, 400, "invalidValue", "A value is not "
		    "valid for this group.");
	else
		scim_db_error(req, resp, st);
}

/* missing / taken of a group write: 1 when refused (sent). */
static int
group_refused(struct http_req *req, struct http_resp *resp, const PGresult *r)
{
	const char *m = db_get(r, 0, "missing"), *t = db_get(r, 0, "taken");

	if (m != NULL && strcmp(m, "0") != 0) {
		scim_error(req, resp, 400, "invalidValue", arena_sprintf(
		    req->arena, "%s of the members are not users of this "
		    "tenant.", m));
		return 1;
	}
	if (t != NULL && strcmp(t, "t") == 0) {
		scim_error(req, resp, 409, "uniqueness", "Another group of "
		    "this tenant has this displayName.");
		return 1;
	}
	return 0;
}

/* POST /Groups */
void
scim_groups_create(struct http_req *req, struct http_resp *resp)
{
	struct scim_proj p = { NULL, NULL };
	struct idlist ids = { NULL, 0, 0 };
	const char *params[8];
	struct value *res;
	struct gcols c;
	enum db_status st;
	PGresult *r;

	if (!scim_tenant_ok(req, resp) ||
	    (res = group_body(req, resp, &ids)) == NULL ||
	    scim_proj_init(req, resp, &p) != 0 ||
	    group_cols(req, resp, res, &c) != 0)
		return;
	params[0] = req->tenant;
	params[1] = c.name;
	params[2] = c.kind != NULL ? c.kind : "security";
	params[3] = c.code;
	params[4] = c.scim;
	params[5] = db_array_literal(req->arena, ids.v, ids.n);
	params[6] = scim_actor(req);
	params[7] = req->audit_request_id;
	if ((r = scim_exec(req, STMT_SCIM_GROUP_CREATE, params, &st,
	    NULL)) == NULL) {
		group_write_error(req, resp, st);
		return;
	}
	if (PQntuples(r) != 1 || strcmp(db_get(r, 0, "tenant_ok"), "t") != 0) {
		scim_error(req, resp, 404, NULL, "No tenant has this id.");
		return;
	}
	if (group_refused(req, resp, r))
		return;
	send_group(req, resp, 201, r, &p);
}

/* Reads group id (with or without members): the result, or NULL (sent). */
static PGresult *
group_read(struct http_req *req, struct http_resp *resp, const char *id,
    int members)
{
	return scim_res_read(req, resp, &scim_type_group, members ?
	    STMT_SCIM_GROUP_GET : STMT_SCIM_GROUP_HEAD, id);
}

/* GET /Groups/{id} */
void
scim_groups_get(struct http_req *req, struct http_resp *resp)
{
	struct scim_proj p;
	const char *id;
	PGresult *r;

	if ((id = scim_path_id(req, resp, "group")) == NULL ||
	    scim_proj_init(req, resp, &p) != 0)
		return;
	if ((r = group_read(req, resp, id, !scim_proj_excludes(&p,
	    "members"))) == NULL)
		return;
	send_group(req, resp, 200, r, &p);
}

/*
 * Updates group id: columns c, members (replace_all: exactly adds; else
 * adds join, rms leave), if its version is still `version` (NULL: any)
 * and its own columns are still those of row 0 of `read` (NULL: any).
 * 1 done, 0 the version or the columns moved on, -1 failed (sent).
 */
static int
group_update(struct http_req *req, struct http_resp *resp, const char *id,
    const struct gcols *c, int replace_all, const struct idlist *adds,
    const struct idlist *rms, const char *version, const PGresult *read,
    const char *what)
{
	const char *params[17];
	enum db_status st;
	PGresult *r;

	params[0] = req->tenant;
	params[1] = id;
	params[2] = c->name;
	params[3] = c->kind;
	params[4] = c->code;
	params[5] = c->scim;
	params[6] = replace_all ? "true" : "false";
	params[7] = db_array_literal(req->arena, adds->v, adds->n);
	params[8] = db_array_literal(req->arena, rms->v, rms->n);
	params[9] = scim_actor(req);
	params[10] = req->audit_request_id;
	params[11] = version;
	params[12] = what;
	params[13] = read != NULL ? db_get(read, 0, "name") : NULL;
	params[14] = read != NULL ? db_get(read, 0, "kind") : NULL;
	params[15] = read != NULL ? db_get(read, 0, "code") : NULL;
	params[16] = read != NULL ? db_get(read, 0, "scim") : NULL;
	if ((r = scim_exec(req, STMT_SCIM_GROUP_UPDATE, params, &st,
	    NULL)) == NULL) {
		group_write_error(req, resp, st);
		return -1;
	}
	if (PQntuples(r) != 1 || db_get(r, 0, "current_version") == NULL) {
		scim_res_missing(req, resp, &scim_type_group);
		return -1;
	}
	if (group_refused(req, resp, r))
		return -1;
	return db_get(r, 0, "id") != NULL ? 1 : 0;
}

/* PUT /Groups/{id} */
void
scim_groups_put(struct http_req *req, struct http_resp *resp)
{
	struct idlist ids = { NULL, 0, 0 }, none = { NULL, 0, 0 };
	const char *id, *ifm = scim_if_match(req);
	struct scim_proj p;
	struct value *res;
	struct gcols c;
	PGresult *r;
	int rc;

	if ((id = scim_path_id(req, resp, "group")) == NULL ||
	    (res = group_body(req, resp, &ids)) == NULL ||
	    scim_proj_init(req, resp, &p) != 0 ||
	    group_cols(req, resp, res, &c) != 0)
		return;
	rc = group_update(req, resp, id, &c, 1, &ids, &none, ifm, NULL,
	    "replace");
	if (rc < 0)
		return;
	if (rc == 0) {
		scim_res_changed(req, resp, &scim_type_group);
		return;
	}
	if ((r = group_read(req, resp, id, !scim_proj_excludes(&p,
	    "members"))) != NULL)
		send_group(req, resp, 200, r, &p);
}

/* What a Group PATCH does to the members. */
struct members_patch {
	int		 replace_all;
	struct idlist	 adds, rms;
	size_t		 taken;	/* operations handled here */
};

/* The ids of a members filter made of value eq "..." joined by or. */
static int
filter_ids(struct http_req *req, const struct scim_node *n,
    struct idlist *out)
{
	char canon[UUID_STR_LEN + 1];

	if (n == NULL)
		return -1;
	if (n->kind == SCIM_N_OR)
		return filter_ids(req, n->left, out) == 0 &&
		    filter_ids(req, n->right, out) == 0 ? 0 : -1;
	if (n->kind != SCIM_N_CMP || n->op != SCIM_EQ ||
	    strcasecmp(n->path.attr, "value") != 0 || n->path.sub != NULL ||
	    n->value == NULL)
		return -1;
	if (uuid_normalize(n->value, strlen(n->value), canon) == 0)
		ids_add(req->arena, out, arena_strdup(req->arena, canon));
	return 0;
}

static int
members_hook(void *ctx, struct http_req *req, struct http_resp *resp,
    const char *op, const struct scim_path *path, const char *pathtext,
    struct value *value)
{
	struct members_patch *mp = ctx;
	struct idlist ids = { NULL, 0, 0 };
	struct value *mv;

	(void)pathtext;
	if (path == NULL) {
		/* a path-less value's members: taken here, the rest left */
		if (value == NULL || value->type != VALUE_OBJECT ||
		    (mv = scim_obj_get(value, "members")) == NULL)
			return 0;
		if (member_ids(req, resp, mv, 1, &ids) != 0)
			return -1;
		if (strcmp(op, "replace") == 0) {
			mp->replace_all = 1;
			mp->adds = ids;
			mp->rms.n = 0;
		} else if (strcmp(op, "add") == 0) {
			ids_minus(&mp->rms, &ids);
			while (ids.n > 0)
				ids_add(req->arena, &mp->adds,
				    ids.v[--ids.n]);
		}
		scim_obj_del(value, "members");
		return 0;
	}
	if (strcasecmp(path->attr.attr, "members") != 0 ||
	    (path->attr.urn != NULL && strcasecmp(path->attr.urn,
	    SCIM_URN_GROUP) != 0))
		return 0;
	mp->taken++;
	if (path->attr.sub != NULL || path->sub_after != NULL)
		return 1;	/* members.display: read-only, ignored */
	if (path->filter != NULL) {
		if (filter_ids(req, path->filter, &ids) != 0) {
			scim_error(req, resp, 400, "invalidFilter", "A members "
			    "filter may only be value eq \"id\" (or several "
			    "joined by or).");
			return -1;
		}
		ids_minus(&mp->adds, &ids);
		while (ids.n > 0)
			ids_add(req->arena, &mp->rms, ids.v[--ids.n]);
		if (strcmp(op, "remove") == 0)
			return 1;
	} else if (strcmp(op, "remove") == 0) {
		if (value == NULL || value->type == VALUE_NULL) {
			mp->replace_all = 1;
			mp->adds.n = 0;
			mp->rms.n = 0;
			return 1;
		}
		if (member_ids(req, resp, value, 0, &ids) != 0)
			return -1;
		ids_minus(&mp->adds, &ids);
		while (ids.n > 0)
			ids_add(req->arena, &mp->rms, ids.v[--ids.n]);
		return 1;
	}
	if (member_ids(req, resp, value, 1, &ids) != 0)
		return -1;
	if (strcmp(op, "replace") == 0 && path->filter == NULL) {
		mp->replace_all = 1;
		mp->adds = ids;
		mp->rms.n = 0;
		return 1;
	}
	ids_minus(&mp->rms, &ids);
	while (ids.n > 0)
		ids_add(req->arena, &mp->adds, ids.v[--ids.n]);
	return 1;
}

/* PATCH /Groups/{id}: 204. */
void
scim_groups_patch(struct http_req *req, struct http_resp *resp)
{
	const char *id, *ifm = scim_if_match(req), *ver;
	struct members_patch mp;
	struct value *body, *res, *ext;
	struct gcols c;
	const PGresult *read;
	PGresult *r;
	int attempt, rc;

	if ((id = scim_path_id(req, resp, "group")) == NULL ||
	    (body = scim_body(req, resp, &group_limits)) == NULL)
		return;
	for (attempt = 0; attempt < 5; attempt++) {
		if ((r = group_read(req, resp, id, 0)) == NULL)
			return;
		ver = db_get(r, 0, "version");
		if (ifm != NULL && strcmp(ifm, ver) != 0)
			break;
		if (scim_patch_empty(body)) {
			scim_no_content(resp);
			return;
		}
		memset(&mp, 0, sizeof(mp));
		if ((res = scim_res_patched(req, resp, &scim_type_group, r,
		    body, members_hook, &mp)) == NULL)
			return;
		ext = scim_obj_get(res, SCIM_URN_RGROUP);
		if (scim_str(ext, "kind") == NULL ||
		    scim_str(ext, "code") == NULL) {
			scim_error(req, resp, 400, "invalidValue", "Every "
			    "group has a kind and a code: they may be "
			    "replaced, not removed.");
			return;
		}
		if (group_cols(req, resp, res, &c) != 0)
			return;
		read = NULL;
		if (mp.taken == scim_obj_get(body, "Operations")->u.arr.n &&
		    ifm == NULL) {
			/*
			 * Members only: set operations that commute with
			 * any other writer's, so no version is awaited and
			 * the group's own attributes are left as they are.
			 */
			memset(&c, 0, sizeof(c));
			ver = NULL;
		} else if (ifm == NULL) {
			/*
			 * The group's own attributes were computed from
			 * those read: they must still be the group's.  The
			 * members are set operations again, and a change of
			 * the members alone, which moves the version, is no
			 * conflict.
			 */
			ver = NULL;
			read = r;
		}
		rc = group_update(req, resp, id, &c, mp.replace_all, &mp.adds,
		    &mp.rms, ver, read, "patch");
		if (rc < 0)
			return;
		if (rc == 1) {
			scim_no_content(resp);
			return;
		}
		if (ifm != NULL)
			break;
	}
	scim_res_gave_up(req, resp, &scim_type_group, ifm);
}

/* DELETE /Groups/{id} */
void
scim_groups_delete(struct http_req *req, struct http_resp *resp)
{
	scim_res_delete(req, resp, &scim_type_group);
}

/* The select list of a page of Groups: members unless left out. */
static const char *
group_cols_sql(const struct scim_listq *q)
{
	if (scim_proj_excludes(&q->proj, "members"))
		return DB_SCIM_GROUP_COLS ", NULL::json AS members";
	return DB_SCIM_GROUP_COLS ", " DB_SCIM_GROUP_MEMBERS;
}

const struct scim_type scim_type_group = {
	.noun = "group",
	.rt = &scim_rt_group,
	.map = group_map,
	.nmap = RS_ARRAY_LEN(group_map),
	.sort = group_sort,
	.nsort = RS_ARRAY_LEN(group_sort),
	.table = "groups",
	.alias = "g",
	.tiebreak = "g.id",
	.deflt = "g.created_at, g.id",
	.del = STMT_SCIM_GROUP_DELETE,
	.cols = group_cols_sql,
	.from_row = group_from_row,
	.json_row = group_json,
};

/* GET /Groups?filter=&startIndex=&count=&sortBy=&sortOrder=&attributes= */
void
scim_groups_list(struct http_req *req, struct http_resp *resp)
{
	scim_res_list(req, resp, &scim_type_group);
}
