/*
 * statements.c: THE table of SQL.  Every statement rosterd runs is here,
 * prepared once per connection; request data only ever reaches the
 * database as parameters.  Each entry says what it guarantees.
 *
 * "NOT EXISTS", never "NOT IN (SELECT ...)": NOT IN cannot become an
 * anti-join, and where PostgreSQL expects its subquery not to fit in
 * memory it runs it once per row: a 10,000-id bulk add took 5 s instead
 * of 0.2 s when the statistics said so.
 *
 * Keyset walks compare (created_at, id) > (cursor, or -infinity and the
 * nil uuid on the first page), never "$n IS NULL OR ...": PostgreSQL
 * switches a prepared statement to its generic plan after five runs,
 * and a generic plan can use the row comparison as an index condition
 * only when no OR hides it.  With the OR, page 90 of a 100,000-member
 * group read 90,000 index entries to return 1,000 (90 ms instead of 10;
 * bench/ found it).
 */
#include "db.h"

/*
 * Keyed variants (Idempotency-Key, src/idempotency.c).  The keyed
 * variant of a statement does the statement's work and stores its answer
 * in one statement: sent right after idem_lock, in a statement of its own
 * (its snapshot is taken once the key's lock is held, so it sees the
 * answer of the request that held it), and committed in the same round
 * trip.  IDEM_KEYED(t, c, k, h, ctes, row, status, ok, kept) is the
 * variant of "WITH ctes row" (ctes: the statement's CTEs, each of its
 * data-modifying ones gated by IDEM_GATE; row: its final SELECT, one row)
 * whose key parameters are $t tenant, $c caller (hex), $k key, $h the
 * request's keyed hash (hex), after the statement's own.  k is the row
 * stored under the key (live: younger than 24 hours).  When k holds no
 * live answer the statement runs, and when its row says it succeeded
 * (ok, a condition on r, the row) the row is stored as result, in the
 * form that kept (an expression of r) writes and stmt_def.kept names,
 * with status (the handler's status for a success): a new row, or the
 * expired one renewed; a row inserted meanwhile by one that did not hold
 * the lock is a unique violation.  When k holds a live answer nothing is
 * written.  One row: the statement's columns, then idem_same (NULL: no
 * live answer; else whether its request hash is $h), idem_result,
 * idem_status, idem_content_type, idem_response (hex), idem_location,
 * idem_etag (an answer stored as a rendered response: result NULL).  A
 * statement may have a variant only when it is its handler's only
 * statement for the request, its answer is a pure function of the
 * request and its row, and the handler sets no replay_body.
 */
#define IDEM_S(n)	#n
#define IDEM_SCOPE(t, c, k) \
	" i.tenant_id = $" IDEM_S(t) "::uuid" \
	" AND i.caller = decode($" IDEM_S(c) "::text, 'hex')" \
	" AND i.key = $" IDEM_S(k) "::text"
#define IDEM_GATE	" AND NOT EXISTS (SELECT 1 FROM k WHERE k.live)"
#define IDEM_KEYED(t, c, k, h, ctes, row, status, ok, kept) \
	"WITH k AS MATERIALIZED (" \
	" SELECT i.request_hash = decode($" IDEM_S(h) "::text, 'hex') AS same," \
	"  i.created_at >= now() - interval '24 hours' AS live, i.result," \
	"  i.status, i.content_type, encode(i.response, 'hex') AS response," \
	"  i.location, i.etag" \
	" FROM idempotency i WHERE" IDEM_SCOPE(t, c, k) \
	"), " ctes ", r AS (" row "), ku AS (" \
	" UPDATE idempotency i SET" \
	"  request_hash = decode($" IDEM_S(h) "::text, 'hex')," \
	"  status = " status ", content_type = NULL, response = NULL," \
	"  location = NULL, etag = NULL, result = " kept ", created_at = now()" \
	" FROM r, k WHERE " ok " AND NOT k.live AND" IDEM_SCOPE(t, c, k) \
	"), ki AS (" \
	" INSERT INTO idempotency (tenant_id, caller, key, request_hash," \
	"  status, result)" \
	" SELECT $" IDEM_S(t) "::uuid, decode($" IDEM_S(c) "::text, 'hex')," \
	"  $" IDEM_S(k) "::text, decode($" IDEM_S(h) "::text, 'hex'), " \
	   status ", " kept \
	" FROM r WHERE " ok " AND NOT EXISTS (SELECT 1 FROM k)" \
	") SELECT r.*, k.same AS idem_same, k.result AS idem_result," \
	" k.status AS idem_status, k.content_type AS idem_content_type," \
	" k.response AS idem_response, k.location AS idem_location," \
	" k.etag AS idem_etag" \
	" FROM r LEFT JOIN k ON k.live"

/*
 * A keyed variant's form for a key not seen before: the statement's work
 * gated on taking the key's lock if it is free (IDEM_TRY_LOCK, in the
 * CTEs' gate), and its answer stored under the key, with no look-up.
 * The statement is the insert of the key's row, built from the rows
 * the work returns (from, e.g. the CTE of an insert; kept reads them):
 * it returns what it stored (result, in the form kept writes), one row
 * when the work was done, and none when it was not (the lock is held by
 * another request, or the tenant is unknown).  Any row already under
 * the key, or a request with the same key that committed since the
 * statement's snapshot, makes the insert into idempotency (or the
 * statement's own insert of the same unique values) a unique violation.
 * When it wrote nothing, either way, db.c runs the keyed variant
 * (IDEM_KEYED), which waits for the key's lock and replays, answers 422
 * or 409, renews an expired row, or runs and answers the statement's
 * failure.  A key's first request costs one statement, a retry two.  The
 * text stored is the row the handler reads (see stmt_def.kept), built
 * from the work's own rows rather than from the plain statement's answer
 * row, whose sub-selects PostgreSQL would start and run for nothing.
 */
#define IDEM_LOCK_KEY(t, c, k) \
	"hashtextextended($" IDEM_S(t) "::text::uuid::text || ' ' || $" \
	IDEM_S(c) "::text || ' ' || $" IDEM_S(k) "::text, 20261203)"
#define IDEM_TRY_LOCK(t, c, k) \
	" AND pg_try_advisory_xact_lock(" IDEM_LOCK_KEY(t, c, k) ")"
#define IDEM_KEYED_NEW(t, c, k, h, ctes, from, status, kept) \
	"WITH " ctes \
	" INSERT INTO idempotency (tenant_id, caller, key, request_hash," \
	"  status, result)" \
	" SELECT $" IDEM_S(t) "::uuid, decode($" IDEM_S(c) "::text, 'hex')," \
	"  $" IDEM_S(k) "::text, decode($" IDEM_S(h) "::text, 'hex'), " \
	   status ", " kept " FROM " from " RETURNING result"

/*
 * The final SELECT of a /v1 create (ins: the row inserted, json: the
 * function rendering it): tenant_ok, id, json, version; and its keyed
 * variant, whose key parameters follow the create's four.  A success is
 * kept as V1_CREATE_KEPT names it (see stmt_def.kept): tenant_ok (t, as
 * only a success is kept), id, version, then json, the rest of the text;
 * V1_CREATE_KEPT_SQL(id, version, json) writes it.
 */
#define V1_CREATE_ROW(json) \
	"SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)" \
	"  AS tenant_ok, (SELECT id FROM ins) AS id," \
	" (SELECT " json "(ins) FROM ins) AS json," \
	" (SELECT version FROM ins) AS version"
#define V1_CREATE_KEPT		"tenant_ok id version json"
#define V1_CREATE_KEPT_SQL(id, version, json) \
	"'t ' || " id " || ' ' || " version " || ' ' || " json
/* ins's end (from b, when the tenant exists), then au's start */
#define V1_CREATE_AUDIT(gate) \
	" FROM b WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)" \
	gate " RETURNING *" \
	"), au AS (" \
	" INSERT INTO audit_log (tenant_id, actor, action, target_type," \
	"  target_id, request_id, detail)"
#define V1_CREATE_KEYED(ctes, json) \
	IDEM_KEYED(5, 6, 7, 8, ctes, V1_CREATE_ROW(json), "201", \
	    "r.id IS NOT NULL", \
	    V1_CREATE_KEPT_SQL("r.id", "r.version", "r.json"))
#define V1_CREATE_KEYED_NEW(ctes, json) \
	IDEM_KEYED_NEW(5, 6, 7, 8, ctes, "ins", "201", \
	    V1_CREATE_KEPT_SQL("ins.id", "ins.version", json "(ins)"))
/*
 * A /v1 create's three entries: statement id named name, of the CTEs
 * ctes(gate) and the answer row's function json, and its keyed variant
 * and that variant's form for a new key (ids id_KEYED and id_KEYED_NEW).
 */
#define V1_CREATE_STMTS(id, name, ctes, json) \
	[id] = { name, "WITH " ctes("") " " V1_CREATE_ROW(json), 4, 0, 0, \
	    id##_KEYED, id##_KEYED_NEW, V1_CREATE_KEPT }, \
	[id##_KEYED] = { name "_keyed", \
	    V1_CREATE_KEYED(ctes(IDEM_GATE), json), 8, 0 }, \
	[id##_KEYED_NEW] = { name "_keyed_new", \
	    V1_CREATE_KEYED_NEW(ctes(IDEM_TRY_LOCK(5, 6, 7)), json), 8, 0 }

/*
 * The bulk membership statements' texts, with ids (names, emails) the
 * expression of an array parameter: the parameter itself, whose size the
 * plan then knows, or a sub-select of it, which every plan estimates
 * alike (so that PostgreSQL keeps its generic plan instead of planning
 * each run).  MEMBER_REQ: their group g ($2 of tenant $1) and the ids
 * req of the uuid[] ids, each once, with its first place.
 */
#define MEMBER_REQ(ids) \
	"WITH g AS (" \
	" SELECT id FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid" \
	"), req AS (" \
	" SELECT r.uid, min(r.ord) AS ord" \
	" FROM unnest(" ids ") WITH ORDINALITY AS r(uid, ord)" \
	" GROUP BY r.uid"

#define MEMBER_ADD_SQL(ids) \
	MEMBER_REQ(ids) \
	"), known AS (" \
	" SELECT req.uid, req.ord FROM req JOIN users u" \
	"  ON u.tenant_id = $1::uuid AND u.id = req.uid" \
	" WHERE EXISTS (SELECT 1 FROM g) FOR KEY SHARE OF u" \
	"), ins AS (" \
	" INSERT INTO group_members (tenant_id, group_id, user_id, added_by)" \
	" SELECT $1::uuid, g.id, k.uid, $4::text FROM g, known k" \
	" ORDER BY k.uid ON CONFLICT DO NOTHING RETURNING user_id" \
	"), au AS (" \
	" INSERT INTO audit_log (tenant_id, actor, action, target_type," \
	"  target_id, request_id, detail)" \
	" SELECT $1::uuid, $4::text, 'group.members.add', 'group', g.id," \
	"  $5::text, jsonb_build_object('added'," \
	"  (SELECT jsonb_agg(user_id) FROM ins)) FROM g" \
	" WHERE EXISTS (SELECT 1 FROM ins)" \
	") SELECT EXISTS (SELECT 1 FROM g) AS group_ok," \
	" json_build_object(" \
	"  'added', coalesce((SELECT json_agg(k.uid ORDER BY k.ord)" \
	"   FROM known k WHERE k.uid IN (SELECT user_id FROM ins)), '[]')," \
	"  'alreadyMember', coalesce((SELECT json_agg(k.uid ORDER BY k.ord)" \
	"   FROM known k WHERE NOT EXISTS" \
	"   (SELECT 1 FROM ins x WHERE x.user_id = k.uid))," \
	"   '[]')," \
	"  'notFound', coalesce((SELECT json_agg(req.uid ORDER BY req.ord)" \
	"   FROM req WHERE NOT EXISTS" \
	"   (SELECT 1 FROM known x WHERE x.uid = req.uid)), '[]'))" \
	" AS json"

#define MEMBER_ADD_BY_SQL(ids, names, emails) \
	"WITH g AS (" \
	" SELECT id FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid" \
	"), req_id AS (" \
	" SELECT r.v AS uid, min(r.ord) AS ord" \
	" FROM unnest(" ids ") WITH ORDINALITY AS r(v, ord) GROUP BY r.v" \
	"), req_name AS (" \
	" SELECT lower(r.v) AS lv, (array_agg(r.v ORDER BY r.ord))[1] AS v," \
	"  min(r.ord) AS ord" \
	" FROM unnest(" names ") WITH ORDINALITY AS r(v, ord)" \
	" GROUP BY lower(r.v)" \
	"), req_email AS (" \
	" SELECT lower(r.v) AS lv, (array_agg(r.v ORDER BY r.ord))[1] AS v," \
	"  min(r.ord) AS ord" \
	" FROM unnest(" emails ") WITH ORDINALITY AS r(v, ord)" \
	" GROUP BY lower(r.v)" \
	"), by_id AS (" \
	" SELECT u.id AS uid, 1 AS k, q.ord FROM req_id q JOIN users u" \
	"  ON u.tenant_id = $1::uuid AND u.id = q.uid" \
	" WHERE EXISTS (SELECT 1 FROM g) FOR KEY SHARE OF u" \
	"), by_name AS (" \
	" SELECT u.id AS uid, 2 AS k, q.ord FROM req_name q JOIN users u" \
	"  ON u.tenant_id = $1::uuid AND lower(u.username) = q.lv" \
	" WHERE EXISTS (SELECT 1 FROM g) FOR KEY SHARE OF u" \
	"), by_email AS (" \
	" SELECT u.id AS uid, 3 AS k, q.ord FROM req_email q JOIN users u" \
	"  ON u.tenant_id = $1::uuid AND lower(u.email) = q.lv" \
	"  AND u.email IS NOT NULL" \
	" WHERE EXISTS (SELECT 1 FROM g) FOR KEY SHARE OF u" \
	"), hit AS (" \
	" SELECT * FROM by_id UNION ALL SELECT * FROM by_name" \
	" UNION ALL SELECT * FROM by_email" \
	"), known AS (" \
	" SELECT DISTINCT ON (uid) uid, k, ord FROM hit ORDER BY uid, k, ord" \
	"), ins AS (" \
	" INSERT INTO group_members (tenant_id, group_id, user_id, added_by)" \
	" SELECT $1::uuid, g.id, k.uid, $6::text FROM g, known k" \
	" ORDER BY k.uid ON CONFLICT DO NOTHING RETURNING user_id" \
	"), au AS (" \
	" INSERT INTO audit_log (tenant_id, actor, action, target_type," \
	"  target_id, request_id, detail)" \
	" SELECT $1::uuid, $6::text, 'group.members.add', 'group', g.id," \
	"  $7::text, jsonb_build_object('added'," \
	"  (SELECT jsonb_agg(user_id) FROM ins)) FROM g" \
	" WHERE EXISTS (SELECT 1 FROM ins)" \
	") SELECT EXISTS (SELECT 1 FROM g) AS group_ok," \
	" json_build_object(" \
	"  'added', coalesce((SELECT json_agg(k.uid ORDER BY k.k, k.ord)" \
	"   FROM known k WHERE k.uid IN (SELECT user_id FROM ins)), '[]')," \
	"  'alreadyMember', coalesce((SELECT json_agg(k.uid" \
	"   ORDER BY k.k, k.ord) FROM known k WHERE NOT EXISTS" \
	"   (SELECT 1 FROM ins x WHERE x.user_id = k.uid)), '[]')," \
	"  'notFound', coalesce((SELECT json_agg(n.v ORDER BY n.k, n.ord)" \
	"   FROM (SELECT 1 AS k, q.ord, q.uid::text AS v FROM req_id q" \
	"   WHERE NOT EXISTS (SELECT 1 FROM by_id x WHERE x.ord = q.ord)" \
	"   UNION ALL SELECT 2, q.ord, q.v FROM req_name q" \
	"   WHERE NOT EXISTS (SELECT 1 FROM by_name x WHERE x.ord = q.ord)" \
	"   UNION ALL SELECT 3, q.ord, q.v FROM req_email q" \
	"   WHERE NOT EXISTS (SELECT 1 FROM by_email x WHERE x.ord = q.ord))" \
	"   AS n), '[]'))" \
	" AS json"

#define MEMBER_REMOVE_SQL(ids) \
	MEMBER_REQ(ids) \
	"), del AS (" \
	" DELETE FROM group_members m USING g" \
	" WHERE m.tenant_id = $1::uuid AND m.group_id = g.id" \
	"  AND m.user_id IN (SELECT uid FROM req) RETURNING m.user_id" \
	"), au AS (" \
	" INSERT INTO audit_log (tenant_id, actor, action, target_type," \
	"  target_id, request_id, detail)" \
	" SELECT $1::uuid, $4::text, 'group.members.remove', 'group', g.id," \
	"  $5::text, jsonb_build_object('removed'," \
	"  (SELECT jsonb_agg(user_id) FROM del)) FROM g" \
	" WHERE EXISTS (SELECT 1 FROM del)" \
	") SELECT EXISTS (SELECT 1 FROM g) AS group_ok," \
	" json_build_object(" \
	"  'removed', coalesce((SELECT json_agg(req.uid ORDER BY req.ord)" \
	"   FROM req WHERE req.uid IN (SELECT user_id FROM del)), '[]')," \
	"  'notMember', coalesce((SELECT json_agg(req.uid ORDER BY req.ord)" \
	"   FROM req WHERE NOT EXISTS" \
	"   (SELECT 1 FROM del x WHERE x.user_id = req.uid)), '[]'))" \
	" AS json, (SELECT count(*) FROM del) AS removed"

const struct stmt_def db_statements[STMT__MAX] = {
	/*
	 * Readiness probe: read_only is true on a standby and when
	 * default_transaction_read_only is on.  Read-only.
	 */
	[STMT_PING] = { "ping", "SELECT pg_is_in_recovery() OR"
	    " current_setting('transaction_read_only')::boolean AS read_only",
	    0, 1 },

	/* $1 tenant id.  One row when the tenant exists.  Read-only. */
	[STMT_TENANT_EXISTS] = { "tenant_exists",
	    "SELECT 1 FROM tenants WHERE id = $1::uuid", 1, 1 },

	/*
	 * Creates a tenant with its two standard roles and its default user
	 * group, and audits it: one round trip, all or nothing.
	 * $1 id, $2 name, $3 slug, $4 actor, $5 attributes (jsonb, NULL for
	 * none), $6 request id.  A taken slug is a unique violation of
	 * tenants_slug_key.  Returns id, json (the resource) and version.
	 */
	[STMT_TENANT_CREATE] = { "tenant_create",
	    "WITH t AS ("
	    " INSERT INTO tenants (id, name, slug, attrs)"
	    " VALUES ($1::uuid, $2::text, $3::text,"
	    "  coalesce($5::jsonb, '{}')) RETURNING *"
	    "), r AS ("
	    " INSERT INTO roles (tenant_id, id, name, description)"
	    " SELECT t.id, gen_random_uuid(), x.name, x.descr"
	    " FROM t, (VALUES ('Administrator',"
	    "   'Administers the organization'),"
	    "  ('Member', 'A member of the organization')) AS x(name, descr)"
	    "), g AS ("
	    " INSERT INTO groups (tenant_id, id, kind, code, name,"
	    "  description, is_default, created_by)"
	    " SELECT t.id, gen_random_uuid(), 'user', 'default',"
	    "  'Default user group', 'New and invited users join this group',"
	    "  true, $4::text FROM t"
	    "), a AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT t.id, $4::text, 'tenant.create', 'tenant', t.id,"
	    "  $6::text, jsonb_build_object('name', $2::text, 'slug', $3::text)"
	    " FROM t"
	    ") SELECT t.id, rosterd_tenant_json(t) AS json, t.version FROM t",
	    6, 0 },

	/*
	 * Creates a user with its role assignments and its audit row in one
	 * statement.  Roles are resolved inside the tenant, by id or else by
	 * name (case-insensitive); the same role twice is one assignment.
	 * Nothing is written unless the tenant exists and every role
	 * resolves: the first row reports tenant_ok and `missing` (0-based
	 * positions of unresolved roles).  A taken username, e-mail or id is
	 * a unique violation (users_username_key, users_email_key,
	 * users_pkey) that aborts the whole statement.
	 * $1 tenant, $2 id, $3 username, $4 email, $5 first name,
	 * $6 last name, $7 title, $8 phone, $9 external id, $10 role ids
	 * (uuid[], NULL where by name), $11 role names (text[]), $12 actor,
	 * $13 request id.  One row per assigned role (at least one row).
	 */
	[STMT_USER_CREATE] = { "user_create",
	    "WITH req AS ("
	    " SELECT r.ord, r.rid, r.rname"
	    " FROM unnest($10::uuid[], $11::text[])"
	    "  WITH ORDINALITY AS r(rid, rname, ord)"
	    "), res AS ("
	    " SELECT req.ord, ro.id AS role_id, ro.name AS role_name"
	    " FROM req LEFT JOIN roles ro ON ro.tenant_id = $1::uuid"
	    "  AND CASE WHEN req.rid IS NOT NULL THEN ro.id = req.rid"
	    "   ELSE lower(ro.name) = lower(req.rname) END"
	    "), chk AS ("
	    " SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AS tenant_ok,"
	    " (SELECT array_agg(ord - 1 ORDER BY ord) FROM res"
	    "  WHERE role_id IS NULL) AS missing"
	    "), ins AS ("
	    " INSERT INTO users (tenant_id, id, username, email, first_name,"
	    "  last_name, title, phone, external_id, created_by, updated_by)"
	    " SELECT $1::uuid, $2::uuid, $3::text, $4::text, $5::text,"
	    "  $6::text, $7::text, $8::text, $9::text, $12::text, $12::text"
	    " FROM chk WHERE chk.tenant_ok AND chk.missing IS NULL"
	    " RETURNING id, username, email, first_name, last_name, title,"
	    "  phone, external_id"
	    "), granted AS ("
	    " SELECT role_id, min(role_name) AS role_name, min(ord) AS ord"
	    " FROM res WHERE role_id IS NOT NULL GROUP BY role_id"
	    "), ra AS ("
	    " INSERT INTO role_assignments (tenant_id, user_id, role_id,"
	    "  created_by)"
	    " SELECT $1::uuid, ins.id, g.role_id, $12::text"
	    " FROM ins CROSS JOIN granted g"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $12::text, 'user.create', 'user', ins.id,"
	    "  $13::text, jsonb_build_object('username', ins.username,"
	    "  'roles', (SELECT coalesce(jsonb_agg(g.role_id ORDER BY g.ord),"
	    "  '[]'::jsonb) FROM granted g))"
	    " FROM ins"
	    ") SELECT chk.tenant_ok, chk.missing, ins.id, ins.username,"
	    " ins.email, ins.first_name, ins.last_name, ins.title, ins.phone,"
	    " ins.external_id, g.role_id, g.role_name"
	    " FROM chk LEFT JOIN ins ON true"
	    " LEFT JOIN granted g ON ins.id IS NOT NULL"
	    " ORDER BY g.ord", 13, 0 },

	/*
	 * The 0-based positions of the roles (by id, else by name) that do
	 * not exist in the tenant; used to report every problem of an
	 * invalid request at once.  $1 tenant, $2 ids, $3 names.  Read-only.
	 */
	[STMT_ROLES_MISSING] = { "roles_missing",
	    "SELECT array_agg(r.ord - 1 ORDER BY r.ord) AS missing"
	    " FROM unnest($2::uuid[], $3::text[])"
	    "  WITH ORDINALITY AS r(rid, rname, ord)"
	    " WHERE (r.rid IS NOT NULL OR r.rname IS NOT NULL)"
	    " AND NOT EXISTS (SELECT 1 FROM roles ro"
	    "  WHERE ro.tenant_id = $1::uuid AND CASE WHEN r.rid IS NOT NULL"
	    "  THEN ro.id = r.rid ELSE lower(ro.name) = lower(r.rname) END)",
	    3, 1 },

	/* ---- /v1: tenants ---- */

	/* $1 id.  json, version of the tenant (no row: none).  Read-only. */
	[STMT_TENANT_GET] = { "tenant_get",
	    "SELECT rosterd_tenant_json(t) AS json, t.version"
	    " FROM tenants t WHERE t.id = $1::uuid", 1, 1 },

	/*
	 * A page of tenants in (created_at, id) order after the cursor
	 * ($1 microseconds, $2 id; both NULL for the first page), at most
	 * $3 rows: json and cur (the row's cursor).  Read-only.
	 */
	[STMT_TENANT_LIST] = { "tenant_list",
	    "SELECT rosterd_tenant_json(t) AS json,"
	    " rosterd_cursor(t.created_at, t.id) AS cur"
	    " FROM tenants t"
	    " WHERE (t.created_at, t.id) >"
	    "  (coalesce(rosterd_cursor_ts($1::bigint), '-infinity'),"
	    "  coalesce($2::uuid, '00000000-0000-0000-0000-000000000000'))"
	    " ORDER BY t.created_at, t.id LIMIT $3::int", 3, 1 },

	/*
	 * Changes tenant $1 by $2 (a validated jsonb object holding only the
	 * fields to change: name, slug, attributes) when its version is $3
	 * (NULL: any), and audits it.  $4 actor, $5 request id.  One row:
	 * found, json and version (NULL when the version did not match:
	 * nothing changed), current_version.
	 */
	[STMT_TENANT_PATCH] = { "tenant_patch",
	    "WITH cur AS ("
	    " SELECT * FROM tenants WHERE id = $1::uuid"
	    "), b AS (SELECT $2::jsonb AS b), upd AS ("
	    " UPDATE tenants t SET"
	    "  name = CASE WHEN b ? 'name' THEN b->>'name' ELSE t.name END,"
	    "  slug = CASE WHEN b ? 'slug' THEN b->>'slug' ELSE t.slug END,"
	    "  attrs = CASE WHEN b ? 'attributes' THEN b->'attributes'"
	    "   ELSE t.attrs END,"
	    "  updated_at = now(), version = t.version + 1"
	    " FROM b WHERE t.id = $1::uuid"
	    "  AND ($3::bigint IS NULL OR t.version = $3::bigint)"
	    " RETURNING t.*"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT upd.id, $4::text, 'tenant.update', 'tenant', upd.id,"
	    "  $5::text, jsonb_build_object('changed', (SELECT"
	    "  jsonb_agg(k ORDER BY k) FROM jsonb_object_keys($2::jsonb) k))"
	    " FROM upd"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " (SELECT rosterd_tenant_json(upd) FROM upd) AS json,"
	    " (SELECT version FROM upd) AS version,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/*
	 * Deletes tenant $1 and, by its foreign keys, every row of it, when
	 * $2 is its slug and its version is $3 (NULL: any), as the row is
	 * when the delete gets to it (a change committed meanwhile is
	 * checked, not the statement's snapshot, cur); the tenant's
	 * audit and idempotency rows go too, and one audit row records the
	 * deletion.  $4 actor, $5 request id.  One row: found, slug_ok,
	 * deleted, current_version.
	 */
	[STMT_TENANT_DELETE] = { "tenant_delete",
	    "WITH cur AS ("
	    " SELECT * FROM tenants WHERE id = $1::uuid"
	    "), del AS ("
	    " DELETE FROM tenants t WHERE t.id = $1::uuid"
	    "  AND t.slug = $2::text"
	    "  AND ($3::bigint IS NULL OR t.version = $3::bigint)"
	    " RETURNING t.id, t.slug"
	    "), da AS ("
	    " DELETE FROM audit_log WHERE tenant_id IN (SELECT id FROM del)"
	    "), di AS ("
	    " DELETE FROM idempotency WHERE tenant_id IN (SELECT id FROM del)"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT del.id, $4::text, 'tenant.delete', 'tenant', del.id,"
	    "  $5::text, jsonb_build_object('slug', del.slug) FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM cur WHERE slug = $2::text) AS slug_ok,"
	    " EXISTS (SELECT 1 FROM del) AS deleted,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/* ---- /v1: users ---- */

	/*
	 * Creates a user of tenant $1 from $2 (a validated jsonb object:
	 * username, email, firstName, lastName, displayName, title, phone,
	 * externalId, locale, timeZone, active, attributes) and audits it.
	 * $3 actor, $4 request id.  One row: tenant_ok, id, json, version
	 * (NULL when the tenant does not exist).  A taken username or e-mail is a
	 * unique violation (users_username_key, users_email_key).
	 * Keyed variant (IDEM_KEYED): this is v1_res_create()'s only
	 * statement and its answer (201, or 404 when tenant_ok is false) is
	 * a function of the request and this row alone; a success is a row
	 * with an id.
	 */
#define USER_CREATE_V1_CTES(gate) \
	    "b AS (SELECT $2::jsonb AS b), ins AS (" \
	    " INSERT INTO users (tenant_id, id, username, email, first_name," \
	    "  last_name, display_name, title, phone, external_id, locale," \
	    "  time_zone, is_active, attrs, created_by, updated_by)" \
	    " SELECT $1::uuid, gen_random_uuid(), b->>'username', b->>'email'," \
	    "  b->>'firstName', b->>'lastName', b->>'displayName', b->>'title'," \
	    "  b->>'phone', b->>'externalId', b->>'locale', b->>'timeZone'," \
	    "  coalesce((b->>'active')::boolean, true)," \
	    "  coalesce(b->'attributes', '{}'), $3::text, $3::text" \
	    V1_CREATE_AUDIT(gate) \
	    " SELECT $1::uuid, $3::text, 'user.create', 'user', ins.id," \
	    "  $4::text, jsonb_build_object('username', ins.username) FROM ins)"
	V1_CREATE_STMTS(STMT_USER_CREATE_V1, "user_create_v1",
	    USER_CREATE_V1_CTES, "rosterd_user_json"),

	/* $1 tenant, $2 id.  json, version (no row: none).  Read-only. */
	[STMT_USER_GET] = { "user_get",
	    "SELECT rosterd_user_json(u) AS json, u.version FROM users u"
	    " WHERE u.tenant_id = $1::uuid AND u.id = $2::uuid", 2, 1 },

	/*
	 * A page of users of tenant $1 after the cursor ($2 microseconds,
	 * $3 id), at most $4 rows, filtered by $5 (a prefix of username,
	 * e-mail, first, last or display name, case-insensitive), $6
	 * (external id) and $7 (active); NULL filters are off.  Every row
	 * says tenant_ok; an empty page is one row with json NULL.
	 * Read-only.
	 */
	[STMT_USER_LIST] = { "user_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_user_json(u) AS json,"
	    "  rosterd_cursor(u.created_at, u.id) AS cur,"
	    "  u.created_at, u.id"
	    " FROM users u WHERE u.tenant_id = $1::uuid"
	    "  AND (u.created_at, u.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    "  AND ($5::text IS NULL"
	    "   OR starts_with(lower(u.username), lower($5::text))"
	    "   OR starts_with(lower(u.email), lower($5::text))"
	    "   OR starts_with(lower(u.first_name), lower($5::text))"
	    "   OR starts_with(lower(u.last_name), lower($5::text))"
	    "   OR starts_with(lower(u.display_name), lower($5::text)))"
	    "  AND ($6::text IS NULL OR u.external_id = $6::text)"
	    "  AND ($7::boolean IS NULL OR u.is_active = $7::boolean)"
	    " ORDER BY u.created_at, u.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 7, 1 },

	/*
	 * Changes user $2 of tenant $1 by $3 (a validated jsonb object of
	 * the fields to change) when its version is $4 (NULL: any), and
	 * audits it.  $5 actor, $6 request id.  One row: found, json and
	 * version (NULL when the version did not match), current_version.
	 * A taken username or e-mail is a unique violation.
	 */
	[STMT_USER_PATCH] = { "user_patch",
	    "WITH cur AS ("
	    " SELECT * FROM users WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "), b AS (SELECT $3::jsonb AS b), upd AS ("
	    " UPDATE users u SET"
	    "  username = CASE WHEN b ? 'username' THEN b->>'username'"
	    "   ELSE u.username END,"
	    "  email = CASE WHEN b ? 'email' THEN b->>'email' ELSE u.email END,"
	    "  first_name = CASE WHEN b ? 'firstName' THEN b->>'firstName'"
	    "   ELSE u.first_name END,"
	    "  last_name = CASE WHEN b ? 'lastName' THEN b->>'lastName'"
	    "   ELSE u.last_name END,"
	    "  display_name = CASE WHEN b ? 'displayName'"
	    "   THEN b->>'displayName' ELSE u.display_name END,"
	    "  title = CASE WHEN b ? 'title' THEN b->>'title' ELSE u.title END,"
	    "  phone = CASE WHEN b ? 'phone' THEN b->>'phone' ELSE u.phone END,"
	    "  external_id = CASE WHEN b ? 'externalId' THEN b->>'externalId'"
	    "   ELSE u.external_id END,"
	    "  locale = CASE WHEN b ? 'locale' THEN b->>'locale'"
	    "   ELSE u.locale END,"
	    "  time_zone = CASE WHEN b ? 'timeZone' THEN b->>'timeZone'"
	    "   ELSE u.time_zone END,"
	    "  is_active = CASE WHEN b ? 'active'"
	    "   THEN (b->>'active')::boolean ELSE u.is_active END,"
	    "  attrs = CASE WHEN b ? 'attributes' THEN b->'attributes'"
	    "   ELSE u.attrs END,"
	    "  updated_at = now(), updated_by = $5::text,"
	    "  version = u.version + 1"
	    " FROM b WHERE u.tenant_id = $1::uuid AND u.id = $2::uuid"
	    "  AND ($4::bigint IS NULL OR u.version = $4::bigint)"
	    " RETURNING u.*"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $5::text, 'user.update', 'user', upd.id,"
	    "  $6::text, jsonb_build_object('changed', (SELECT"
	    "  jsonb_agg(k ORDER BY k) FROM jsonb_object_keys($3::jsonb) k))"
	    " FROM upd"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " (SELECT rosterd_user_json(upd) FROM upd) AS json,"
	    " (SELECT version FROM upd) AS version,"
	    " (SELECT version FROM cur) AS current_version", 6, 0 },

	/*
	 * Deletes user $2 of tenant $1 (its memberships, role assignments
	 * and invites go by their foreign keys, in this statement) when its
	 * version is $3 (NULL: any), and audits it.  $4 actor, $5 request
	 * id.  One row: found, deleted, current_version.
	 */
	[STMT_USER_DELETE] = { "user_delete",
	    "WITH cur AS ("
	    " SELECT * FROM users WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "), del AS ("
	    " DELETE FROM users u WHERE u.tenant_id = $1::uuid"
	    "  AND u.id = $2::uuid"
	    "  AND ($3::bigint IS NULL OR u.version = $3::bigint)"
	    " RETURNING u.id, u.username"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $4::text, 'user.delete', 'user', del.id,"
	    "  $5::text, jsonb_build_object('username', del.username) FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM del) AS deleted,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/* ---- /v1: groups ---- */

	/*
	 * Creates a group of tenant $1 from $2 (a validated jsonb object:
	 * kind, code, name, description, attributes) and audits it.  $3
	 * actor, $4 request id.  One row: tenant_ok, id, json, version.  A
	 * taken code (per kind) is a unique violation of groups_code_key.
	 * Keyed variant (IDEM_KEYED): this is v1_res_create()'s only
	 * statement and its answer (201, or 404 when tenant_ok is false) is
	 * a function of the request and this row alone; a success is a row
	 * with an id.
	 */
#define GROUP_CREATE_CTES(gate) \
	    "b AS (SELECT $2::jsonb AS b), ins AS (" \
	    " INSERT INTO groups (tenant_id, id, kind, code, name, description," \
	    "  attrs, created_by, updated_by)" \
	    " SELECT $1::uuid, gen_random_uuid(), b->>'kind', b->>'code'," \
	    "  b->>'name', b->>'description', coalesce(b->'attributes', '{}')," \
	    "  $3::text, $3::text" \
	    V1_CREATE_AUDIT(gate) \
	    " SELECT $1::uuid, $3::text, 'group.create', 'group', ins.id," \
	    "  $4::text, jsonb_build_object('kind', ins.kind, 'code', ins.code)" \
	    " FROM ins)"
	V1_CREATE_STMTS(STMT_GROUP_CREATE, "group_create",
	    GROUP_CREATE_CTES, "rosterd_group_json"),

	/* $1 tenant, $2 id.  json, version (no row: none).  Read-only. */
	[STMT_GROUP_GET] = { "group_get",
	    "SELECT rosterd_group_json(g) AS json, g.version FROM groups g"
	    " WHERE g.tenant_id = $1::uuid AND g.id = $2::uuid", 2, 1 },

	/*
	 * A page of groups of tenant $1 after the cursor ($2, $3), at most
	 * $4 rows, filtered by $5 (kind) and $6 (code, case-insensitive).
	 * Every row says tenant_ok; an empty page is one row with json NULL.
	 * Read-only.
	 */
	[STMT_GROUP_LIST] = { "group_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_group_json(g) AS json,"
	    "  rosterd_cursor(g.created_at, g.id) AS cur, g.created_at, g.id"
	    " FROM groups g WHERE g.tenant_id = $1::uuid"
	    "  AND (g.created_at, g.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    "  AND ($5::text IS NULL OR g.kind = $5::text)"
	    "  AND ($6::text IS NULL OR lower(g.code) = lower($6::text))"
	    " ORDER BY g.created_at, g.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 6, 1 },

	/*
	 * Changes group $2 of tenant $1 by $3 (code, name, description,
	 * attributes) when its version is $4 (NULL: any), and audits it.
	 * $5 actor, $6 request id.  One row: found, json, version,
	 * current_version.
	 */
	[STMT_GROUP_PATCH] = { "group_patch",
	    "WITH cur AS ("
	    " SELECT * FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "), b AS (SELECT $3::jsonb AS b), upd AS ("
	    " UPDATE groups g SET"
	    "  code = CASE WHEN b ? 'code' THEN b->>'code' ELSE g.code END,"
	    "  name = CASE WHEN b ? 'name' THEN b->>'name' ELSE g.name END,"
	    "  description = CASE WHEN b ? 'description'"
	    "   THEN b->>'description' ELSE g.description END,"
	    "  attrs = CASE WHEN b ? 'attributes' THEN b->'attributes'"
	    "   ELSE g.attrs END,"
	    "  updated_at = now(), updated_by = $5::text,"
	    "  version = g.version + 1"
	    " FROM b WHERE g.tenant_id = $1::uuid AND g.id = $2::uuid"
	    "  AND ($4::bigint IS NULL OR g.version = $4::bigint)"
	    " RETURNING g.*"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $5::text, 'group.update', 'group', upd.id,"
	    "  $6::text, jsonb_build_object('changed', (SELECT"
	    "  jsonb_agg(k ORDER BY k) FROM jsonb_object_keys($3::jsonb) k))"
	    " FROM upd"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " (SELECT rosterd_group_json(upd) FROM upd) AS json,"
	    " (SELECT version FROM upd) AS version,"
	    " (SELECT version FROM cur) AS current_version", 6, 0 },

	/*
	 * Deletes group $2 of tenant $1 (its memberships and invites go by
	 * their foreign keys) when its version is $3 (NULL: any), and
	 * audits it.  $4 actor, $5 request id.  One row: found, deleted,
	 * current_version.
	 */
	[STMT_GROUP_DELETE] = { "group_delete",
	    "WITH cur AS ("
	    " SELECT * FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "), del AS ("
	    " DELETE FROM groups g WHERE g.tenant_id = $1::uuid"
	    "  AND g.id = $2::uuid"
	    "  AND ($3::bigint IS NULL OR g.version = $3::bigint)"
	    " RETURNING g.id, g.kind, g.code"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $4::text, 'group.delete', 'group', del.id,"
	    "  $5::text, jsonb_build_object('kind', del.kind, 'code', del.code)"
	    " FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM del) AS deleted,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/* ---- /v1: group members ---- */

	/*
	 * A page of the members of group $2 of tenant $1 in the order they
	 * were added, after the cursor ($3 microseconds, $4 user id), at
	 * most $5 rows.  Every row says group_ok; an empty page is one row
	 * with json NULL.  Read-only.
	 *
	 * The page's memberships come first, from group_members_added_idx
	 * in order with the LIMIT, and then each member's user by its
	 * primary key, one look-up a row (LATERAL with LIMIT 1: a join the
	 * planner cannot turn into a scan of the tenant's users).  Every
	 * membership has its user (the foreign key), so the page is the one
	 * a join before the LIMIT gives.  Joined before the LIMIT, a custom
	 * plan of the first page of a million-member group expected tens
	 * of thousands of rows and started two parallel workers for the
	 * page (a Gather Merge, 280 ms for 1,000 rows).
	 */
	[STMT_MEMBER_LIST] = { "member_list",
	    "SELECT t.ok AS group_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM groups WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid) AS ok) AS t LEFT JOIN LATERAL ("
	    " SELECT json_build_object('userId', u.id, 'username', u.username,"
	    "  'email', u.email, 'displayName', u.display_name,"
	    "  'active', u.is_active, 'addedAt', rosterd_ts(m.added_at),"
	    "  'addedBy', m.added_by) AS json,"
	    "  rosterd_cursor(m.added_at, m.user_id) AS cur, m.added_at,"
	    "  m.user_id"
	    " FROM (SELECT m.user_id, m.added_at, m.added_by"
	    "  FROM group_members m"
	    "  WHERE m.tenant_id = $1::uuid AND m.group_id = $2::uuid"
	    "   AND (m.added_at, m.user_id) >"
	    "    (coalesce(rosterd_cursor_ts($3::bigint), '-infinity'),"
	    "    coalesce($4::uuid, '00000000-0000-0000-0000-000000000000'))"
	    "  ORDER BY m.added_at, m.user_id LIMIT $5::int) AS m"
	    " CROSS JOIN LATERAL (SELECT u.id, u.username, u.email,"
	    "  u.display_name, u.is_active FROM users u"
	    "  WHERE u.tenant_id = $1::uuid AND u.id = m.user_id LIMIT 1) AS u"
	    ") AS p ON t.ok ORDER BY p.added_at, p.user_id", 5, 1 },

	/*
	 * Adds the users $3 (uuid[], up to 10,000; repeats count once) to
	 * group $2 of tenant $1 in one statement, all or nothing, with one
	 * audit row.  The users are key-share locked so that none can be
	 * deleted half-way.  $4 actor, $5 request id.  One row: group_ok,
	 * json {"added", "alreadyMember", "notFound"} (ids in request order).
	 * Planned afresh each run, for its array's size.
	 */
	[STMT_MEMBER_ADD] = { "member_add", MEMBER_ADD_SQL("$3::uuid[]"), 5, 0,
	    1 },

	/*
	 * member_add for an add of a few users (v1_groups.c's V1_BULK_FEW
	 * ids at most), whose planning took longer than its run: prepared,
	 * its array read by a sub-select so that the plan does not depend
	 * on its size and PostgreSQL keeps the generic one (nested loops
	 * over the ids, right for so few).
	 */
	[STMT_MEMBER_ADD_FEW] = { "member_add_few",
	    MEMBER_ADD_SQL("(SELECT $3::uuid[])"), 5, 0 },

	/*
	 * Adds to group $2 of tenant $1 the users named by id ($3, uuid[]),
	 * by username ($4, text[]) and by e-mail ($5, text[]), up to 10,000
	 * names in all, in one statement, all or nothing, with one audit row
	 * as member_add writes it.  A username or e-mail matches as the
	 * unique indexes users_username_key and users_email_key compare them
	 * (lower(), in the tenant), so each is an index lookup; repeats, and
	 * a user named more than once, count once.  The users are key-share
	 * locked.  $6 actor, $7 request id.  One row: group_ok, json
	 * {"added", "alreadyMember"} (user ids) and "notFound" (the names as
	 * sent), in request order: ids, then usernames, then e-mails.
	 */
	[STMT_MEMBER_ADD_BY] = { "member_add_by",
	    MEMBER_ADD_BY_SQL("$3::uuid[]", "$4::text[]", "$5::text[]"), 7, 0,
	    1 },

	/* member_add_by for a few names, as member_add_few is for ids */
	[STMT_MEMBER_ADD_BY_FEW] = { "member_add_by_few",
	    MEMBER_ADD_BY_SQL("(SELECT $3::uuid[])", "(SELECT $4::text[])",
	    "(SELECT $5::text[])"), 7, 0 },

	/*
	 * Removes the users $3 (uuid[]) from group $2 of tenant $1 in one
	 * statement with one audit row.  $4 actor, $5 request id.  One row:
	 * group_ok, json {"removed", "notMember"} (ids in request order),
	 * removed (their number).
	 */
	[STMT_MEMBER_REMOVE] = { "member_remove",
	    MEMBER_REMOVE_SQL("$3::uuid[]"), 5, 0, 1 },

	/* member_remove for a few ids, as member_add_few is for an add */
	[STMT_MEMBER_REMOVE_FEW] = { "member_remove_few",
	    MEMBER_REMOVE_SQL("(SELECT $3::uuid[])"), 5, 0 },

	/*
	 * A page of the groups user $2 of tenant $1 belongs to, after the
	 * cursor ($3, $4), at most $5 rows.  Every row says user_ok.
	 * Read-only.
	 */
	[STMT_USER_GROUPS] = { "user_groups",
	    "SELECT t.ok AS user_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid) AS ok) AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_group_json(g) AS json,"
	    "  rosterd_cursor(g.created_at, g.id) AS cur, g.created_at, g.id"
	    " FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id"
	    "  AND g.id = m.group_id"
	    " WHERE m.tenant_id = $1::uuid AND m.user_id = $2::uuid"
	    "  AND (g.created_at, g.id) >"
	    "   (coalesce(rosterd_cursor_ts($3::bigint), '-infinity'),"
	    "   coalesce($4::uuid, '00000000-0000-0000-0000-000000000000'))"
	    " ORDER BY g.created_at, g.id LIMIT $5::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 5, 1 },

	/* ---- /v1: roles ---- */

	/*
	 * Creates a role of tenant $1 from $2 (name, description,
	 * isSystemAdmin, isGroupAdmin, attributes) and audits it.  $3 actor,
	 * $4 request id.  One row: tenant_ok, id, json, version.  A taken
	 * name is a unique violation of roles_name_key.
	 * Keyed variant (IDEM_KEYED): this is v1_res_create()'s only
	 * statement and its answer (201, or 404 when tenant_ok is false) is
	 * a function of the request and this row alone; a success is a row
	 * with an id.
	 */
#define ROLE_CREATE_CTES(gate) \
	    "b AS (SELECT $2::jsonb AS b), ins AS (" \
	    " INSERT INTO roles (tenant_id, id, name, description," \
	    "  is_system_admin, is_group_admin, attrs)" \
	    " SELECT $1::uuid, gen_random_uuid(), b->>'name', b->>'description'," \
	    "  coalesce((b->>'isSystemAdmin')::boolean, false)," \
	    "  coalesce((b->>'isGroupAdmin')::boolean, false)," \
	    "  coalesce(b->'attributes', '{}')" \
	    V1_CREATE_AUDIT(gate) \
	    " SELECT $1::uuid, $3::text, 'role.create', 'role', ins.id," \
	    "  $4::text, jsonb_build_object('name', ins.name) FROM ins)"
	V1_CREATE_STMTS(STMT_ROLE_CREATE, "role_create",
	    ROLE_CREATE_CTES, "rosterd_role_json"),

	/* $1 tenant, $2 id.  json, version (no row: none).  Read-only. */
	[STMT_ROLE_GET] = { "role_get",
	    "SELECT rosterd_role_json(r) AS json, r.version FROM roles r"
	    " WHERE r.tenant_id = $1::uuid AND r.id = $2::uuid", 2, 1 },

	/*
	 * A page of roles of tenant $1 after the cursor ($2, $3), at most
	 * $4 rows.  Every row says tenant_ok.  Read-only.
	 */
	[STMT_ROLE_LIST] = { "role_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_role_json(r) AS json,"
	    "  rosterd_cursor(r.created_at, r.id) AS cur, r.created_at, r.id"
	    " FROM roles r WHERE r.tenant_id = $1::uuid"
	    "  AND (r.created_at, r.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    " ORDER BY r.created_at, r.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 4, 1 },

	/*
	 * Changes role $2 of tenant $1 by $3 when its version is $4 (NULL:
	 * any), and audits it.  $5 actor, $6 request id.  One row: found,
	 * json, version, current_version.
	 */
	[STMT_ROLE_PATCH] = { "role_patch",
	    "WITH cur AS ("
	    " SELECT * FROM roles WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "), b AS (SELECT $3::jsonb AS b), upd AS ("
	    " UPDATE roles r SET"
	    "  name = CASE WHEN b ? 'name' THEN b->>'name' ELSE r.name END,"
	    "  description = CASE WHEN b ? 'description'"
	    "   THEN b->>'description' ELSE r.description END,"
	    "  is_system_admin = CASE WHEN b ? 'isSystemAdmin'"
	    "   THEN (b->>'isSystemAdmin')::boolean ELSE r.is_system_admin END,"
	    "  is_group_admin = CASE WHEN b ? 'isGroupAdmin'"
	    "   THEN (b->>'isGroupAdmin')::boolean ELSE r.is_group_admin END,"
	    "  attrs = CASE WHEN b ? 'attributes' THEN b->'attributes'"
	    "   ELSE r.attrs END,"
	    "  updated_at = now(), version = r.version + 1"
	    " FROM b WHERE r.tenant_id = $1::uuid AND r.id = $2::uuid"
	    "  AND ($4::bigint IS NULL OR r.version = $4::bigint)"
	    " RETURNING r.*"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $5::text, 'role.update', 'role', upd.id,"
	    "  $6::text, jsonb_build_object('changed', (SELECT"
	    "  jsonb_agg(k ORDER BY k) FROM jsonb_object_keys($3::jsonb) k))"
	    " FROM upd"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " (SELECT rosterd_role_json(upd) FROM upd) AS json,"
	    " (SELECT version FROM upd) AS version,"
	    " (SELECT version FROM cur) AS current_version", 6, 0 },

	/*
	 * Deletes role $2 of tenant $1 (its assignments go by their foreign
	 * key) when its version is $3 (NULL: any), and audits it.  $4
	 * actor, $5 request id.  One row: found, deleted, current_version.
	 */
	[STMT_ROLE_DELETE] = { "role_delete",
	    "WITH cur AS ("
	    " SELECT * FROM roles WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "), del AS ("
	    " DELETE FROM roles r WHERE r.tenant_id = $1::uuid"
	    "  AND r.id = $2::uuid"
	    "  AND ($3::bigint IS NULL OR r.version = $3::bigint)"
	    " RETURNING r.id, r.name"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $4::text, 'role.delete', 'role', del.id,"
	    "  $5::text, jsonb_build_object('name', del.name) FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM del) AS deleted,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/*
	 * Assigns role $3 to user $2 of tenant $1 in scope ($4 type, '' for
	 * the whole tenant; $5 id, NULL for the whole tenant), auditing a
	 * new assignment.  $6 actor, $7 request id.  One row: user_ok,
	 * role_ok, created (a new assignment), json (the assignment).
	 */
	[STMT_USER_ROLE_PUT] = { "user_role_put",
	    "WITH u AS ("
	    " SELECT id FROM users WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    " FOR KEY SHARE"
	    "), r AS ("
	    " SELECT id, name FROM roles"
	    " WHERE tenant_id = $1::uuid AND id = $3::uuid FOR KEY SHARE"
	    "), ins AS ("
	    " INSERT INTO role_assignments (tenant_id, user_id, role_id,"
	    "  scope_type, scope_id, created_by)"
	    " SELECT $1::uuid, u.id, r.id, $4::text,"
	    "  coalesce($5::uuid, '00000000-0000-0000-0000-000000000000'),"
	    "  $6::text FROM u, r"
	    " ON CONFLICT DO NOTHING RETURNING *"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $6::text, 'user.role.assign', 'user', ins.user_id,"
	    "  $7::text, jsonb_build_object('role', ins.role_id, 'scopeType',"
	    "  ins.scope_type, 'scopeId', $5::uuid) FROM ins"
	    ") SELECT EXISTS (SELECT 1 FROM u) AS user_ok,"
	    " EXISTS (SELECT 1 FROM r) AS role_ok,"
	    " EXISTS (SELECT 1 FROM ins) AS created,"
	    " (SELECT rosterd_assignment_json(a, r.name) FROM r, ("
	    "  SELECT * FROM ins UNION ALL SELECT x.* FROM role_assignments x"
	    "  WHERE x.tenant_id = $1::uuid AND x.user_id = $2::uuid"
	    "  AND x.role_id = $3::uuid AND x.scope_type = $4::text"
	    "  AND x.scope_id = coalesce($5::uuid,"
	    "   '00000000-0000-0000-0000-000000000000')) AS a LIMIT 1)"
	    " AS json", 7, 0 },

	/*
	 * Removes the assignment of role $3 to user $2 of tenant $1 in scope
	 * ($4, $5 as above), auditing it.  $6 actor, $7 request id.  One
	 * row: user_ok, removed.
	 */
	[STMT_USER_ROLE_DELETE] = { "user_role_delete",
	    "WITH del AS ("
	    " DELETE FROM role_assignments WHERE tenant_id = $1::uuid"
	    "  AND user_id = $2::uuid AND role_id = $3::uuid"
	    "  AND scope_type = $4::text AND scope_id ="
	    "   coalesce($5::uuid, '00000000-0000-0000-0000-000000000000')"
	    " RETURNING user_id, role_id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $6::text, 'user.role.unassign', 'user',"
	    "  del.user_id, $7::text, jsonb_build_object('role', del.role_id,"
	    "  'scopeType', $4::text, 'scopeId', $5::uuid) FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid) AS user_ok,"
	    " EXISTS (SELECT 1 FROM del) AS removed", 7, 0 },

	/*
	 * The role assignments of user $2 of tenant $1 (a user has few:
	 * one unpaged list).  Every row says user_ok.  Read-only.
	 */
	[STMT_USER_ROLES] = { "user_roles",
	    "SELECT t.ok AS user_ok, p.json FROM"
	    " (SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid) AS ok) AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_assignment_json(a, r.name) AS json, r.name AS rname,"
	    "  a.scope_type, a.scope_id"
	    " FROM role_assignments a JOIN roles r ON r.tenant_id = a.tenant_id"
	    "  AND r.id = a.role_id"
	    " WHERE a.tenant_id = $1::uuid AND a.user_id = $2::uuid"
	    ") AS p ON t.ok ORDER BY lower(p.rname), p.scope_type, p.scope_id",
	    2, 1 },

	/* ---- /v1: invites ---- */

	/*
	 * Invites $2 (e-mail) into group $3 (NULL: the tenant's default user
	 * group) of tenant $1; the token's SHA-256 is $4 (hex), the invite
	 * lives $5 seconds.  $6 actor, $7 request id.  One row: tenant_ok,
	 * group_ok, id, json.
	 */
	[STMT_INVITE_CREATE] = { "invite_create",
	    "WITH g AS ("
	    " SELECT id FROM groups WHERE tenant_id = $1::uuid AND CASE"
	    "  WHEN $3::uuid IS NULL THEN kind = 'user' AND is_default"
	    "  ELSE id = $3::uuid END"
	    "), ins AS ("
	    " INSERT INTO invites (tenant_id, id, group_id, user_id, email,"
	    "  token_hash, expires_at, created_by)"
	    " SELECT $1::uuid, gen_random_uuid(), g.id, (SELECT u.id FROM users u"
	    "  WHERE u.tenant_id = $1::uuid AND lower(u.email) = lower($2::text)),"
	    "  $2::text, decode($4::text, 'hex'),"
	    "  now() + $5::bigint * interval '1 second', $6::text"
	    " FROM g RETURNING *"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $6::text, 'invite.create', 'invite', ins.id,"
	    "  $7::text, jsonb_build_object('email', ins.email, 'group',"
	    "  ins.group_id) FROM ins"
	    ") SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AS tenant_ok, EXISTS (SELECT 1 FROM g) AS group_ok,"
	    " (SELECT id FROM ins) AS id,"
	    " (SELECT rosterd_invite_json(ins) FROM ins) AS json", 7, 0 },

	/* $1 tenant, $2 id.  json (no row: none).  Read-only. */
	[STMT_INVITE_GET] = { "invite_get",
	    "SELECT rosterd_invite_json(i) AS json,"
	    " 1 + (i.accepted_at IS NOT NULL)::int"
	    "  + (i.revoked_at IS NOT NULL)::int AS version"
	    " FROM invites i WHERE i.tenant_id = $1::uuid AND i.id = $2::uuid",
	    2, 1 },

	/*
	 * A page of invites of tenant $1 after the cursor ($2, $3), at most
	 * $4 rows, in state $5 (NULL: any).  Every row says tenant_ok.
	 * Read-only.
	 */
	[STMT_INVITE_LIST] = { "invite_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_invite_json(i) AS json,"
	    "  rosterd_cursor(i.created_at, i.id) AS cur, i.created_at, i.id"
	    " FROM invites i WHERE i.tenant_id = $1::uuid"
	    "  AND (i.created_at, i.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    "  AND ($5::text IS NULL OR rosterd_invite_state(i) = $5::text)"
	    " ORDER BY i.created_at, i.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 5, 1 },

	/*
	 * Revokes pending invite $2 of tenant $1.  $3 actor, $4 request id.
	 * One row: found, revoked, state (before).
	 */
	[STMT_INVITE_REVOKE] = { "invite_revoke",
	    "WITH cur AS ("
	    " SELECT rosterd_invite_state(i) AS state FROM invites i"
	    " WHERE i.tenant_id = $1::uuid AND i.id = $2::uuid"
	    "), upd AS ("
	    " UPDATE invites i SET revoked_at = now()"
	    " WHERE i.tenant_id = $1::uuid AND i.id = $2::uuid"
	    "  AND i.accepted_at IS NULL AND i.revoked_at IS NULL"
	    "  AND i.expires_at > now()"
	    " RETURNING i.id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id)"
	    " SELECT $1::uuid, $3::text, 'invite.revoke', 'invite', upd.id,"
	    "  $4::text FROM upd"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM upd) AS revoked,"
	    " (SELECT state FROM cur) AS state", 4, 0 },

	/*
	 * Accepts the invite of tenant $7 whose token hashes to $1 (hex)
	 * ($7 NULL: a token without its tenant, issued before tokens
	 * carried it: looked up by hash alone): creates the
	 * user (username $3, else the e-mail) or activates the one it is
	 * for, sets its password to $2 (a PHC string), adds it to the
	 * invite's group, marks the invite accepted, audits it: one
	 * statement.  The user it is for: its user_id's, else the one with
	 * its e-mail (any case); that user must still be in the invited
	 * state: no password, not locked, and the invite's e-mail (any
	 * case).  Otherwise nothing is written.  $4 first name, $5 last
	 * name, $6 request id.  One row: state (of the invite before; NULL:
	 * no such token), tenant_id, user_ok (false: the user is no longer
	 * in the invited state), user_id, json (the user; NULL when nothing
	 * was written).  The invite row is locked first, so two concurrent
	 * accepts of one token cannot both succeed.
	 */
	[STMT_INVITE_ACCEPT] = { "invite_accept",
	    "WITH inv AS ("
	    " SELECT i.*, rosterd_invite_state(i) AS state FROM invites i"
	    " WHERE i.token_hash = decode($1::text, 'hex')"
	    "  AND ($7::uuid IS NULL OR i.tenant_id = $7::uuid) FOR UPDATE"
	    "), ok AS (SELECT * FROM inv WHERE state = 'pending'"
	    "), existing AS ("
	    " SELECT u.id, u.password IS NULL AND NOT u.locked"
	    "  AND lower(u.email) = lower(ok.email)"
	    "  AND (ok.user_id IS NULL OR u.id = ok.user_id) AS invited"
	    " FROM users u, ok WHERE u.tenant_id = ok.tenant_id"
	    "  AND (u.id = ok.user_id OR lower(u.email) = lower(ok.email))"
	    " ORDER BY u.id = ok.user_id DESC LIMIT 1 FOR UPDATE OF u"
	    "), ins AS ("
	    " INSERT INTO users (tenant_id, id, username, email, first_name,"
	    "  last_name, is_active, verified, password, created_by, updated_by)"
	    " SELECT ok.tenant_id, gen_random_uuid(),"
	    "  coalesce($3::text, ok.email), ok.email, $4::text, $5::text,"
	    "  true, true, $2::text, 'invite:' || ok.id, 'invite:' || ok.id"
	    " FROM ok WHERE NOT EXISTS (SELECT 1 FROM existing)"
	    " RETURNING *"
	    "), upd AS ("
	    " UPDATE users u SET is_active = true, verified = true,"
	    "  password = $2::text,"
	    "  first_name = coalesce($4::text, u.first_name),"
	    "  last_name = coalesce($5::text, u.last_name),"
	    "  updated_at = now(), updated_by = 'invite:' || ok.id,"
	    "  version = u.version + 1"
	    " FROM ok, existing WHERE u.tenant_id = ok.tenant_id"
	    "  AND u.id = existing.id AND existing.invited RETURNING u.*"
	    "), usr AS (SELECT * FROM ins UNION ALL SELECT * FROM upd"
	    "), gm AS ("
	    " INSERT INTO group_members (tenant_id, group_id, user_id, added_by)"
	    " SELECT ok.tenant_id, ok.group_id, usr.id, 'invite:' || ok.id"
	    " FROM ok, usr WHERE ok.group_id IS NOT NULL"
	    " ON CONFLICT DO NOTHING"
	    "), acc AS ("
	    " UPDATE invites i SET accepted_at = now(), user_id = usr.id"
	    " FROM ok, usr WHERE i.tenant_id = ok.tenant_id AND i.id = ok.id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT ok.tenant_id, 'invite:' || ok.id, 'invite.accept', 'user',"
	    "  usr.id, $6::text, jsonb_build_object('invite', ok.id,"
	    "  'group', ok.group_id) FROM ok, usr"
	    ") SELECT (SELECT state FROM inv) AS state,"
	    " (SELECT tenant_id FROM inv) AS tenant_id,"
	    " coalesce((SELECT invited FROM existing), true) AS user_ok,"
	    " (SELECT id FROM usr) AS user_id,"
	    " (SELECT rosterd_user_json(usr) FROM usr) AS json", 7, 0 },

	/*
	 * What an accept of the invite of tenant $3 (NULL: as in
	 * STMT_INVITE_ACCEPT) whose token hashes to $1 (hex), with
	 * username $2 (NULL: the e-mail), would meet, before anything is
	 * hashed: state (NULL: no such token), user_ok (as in
	 * STMT_INVITE_ACCEPT), username_taken (a new user would need a
	 * username another user has).  One row.  Read-only.
	 */
	[STMT_INVITE_LOOKUP] = { "invite_lookup",
	    "WITH inv AS ("
	    " SELECT i.*, rosterd_invite_state(i) AS state FROM invites i"
	    " WHERE i.token_hash = decode($1::text, 'hex')"
	    "  AND ($3::uuid IS NULL OR i.tenant_id = $3::uuid)"
	    "), existing AS ("
	    " SELECT u.id, u.password IS NULL AND NOT u.locked"
	    "  AND lower(u.email) = lower(inv.email)"
	    "  AND (inv.user_id IS NULL OR u.id = inv.user_id) AS invited"
	    " FROM users u, inv WHERE u.tenant_id = inv.tenant_id"
	    "  AND (u.id = inv.user_id OR lower(u.email) = lower(inv.email))"
	    " ORDER BY u.id = inv.user_id DESC LIMIT 1"
	    ") SELECT (SELECT state FROM inv) AS state,"
	    " coalesce((SELECT invited FROM existing), true) AS user_ok,"
	    " NOT EXISTS (SELECT 1 FROM existing) AND EXISTS (SELECT 1"
	    "  FROM users u, inv WHERE u.tenant_id = inv.tenant_id"
	    "  AND lower(u.username) = lower(coalesce($2::text, inv.email)))"
	    "  AS username_taken", 3, 1 },

	/* ---- /v1: audit ---- */

	/*
	 * A page of tenant $1's audit rows, newest first, before row id $2
	 * (NULL for the first page), at most $3 rows, filtered by $4 actor,
	 * $5 action, $6 target id, $7 from, $8 until (timestamps; NULLs are
	 * off).  Every row says tenant_ok.  Read-only.
	 */
	[STMT_AUDIT_LIST] = { "audit_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_audit_json(a) AS json,"
	    "  a.id::text || ',00000000-0000-0000-0000-000000000000' AS cur, a.id"
	    " FROM audit_log a WHERE a.tenant_id = $1::uuid"
	    "  AND a.id < coalesce($2::bigint, 9223372036854775807)"
	    "  AND ($4::text IS NULL OR a.actor = $4::text)"
	    "  AND ($5::text IS NULL OR a.action = $5::text)"
	    "  AND ($6::uuid IS NULL OR a.target_id = $6::uuid)"
	    "  AND ($7::timestamptz IS NULL OR a.at >= $7::timestamptz)"
	    "  AND ($8::timestamptz IS NULL OR a.at < $8::timestamptz)"
	    " ORDER BY a.id DESC LIMIT $3::int"
	    ") AS p ON t.ok ORDER BY p.id DESC", 8, 1 },

	/* ---- Idempotency-Key (POST of an authenticated caller) ---- */

	/*
	 * Takes the lock of key $3 of caller $2 (hex SHA-256 of issuer and
	 * sub) in tenant $1 (the nil uuid for routes without a tenant): a
	 * transaction-level advisory lock on a hash of the three, held until
	 * the request's transaction ends, so that a request with the same
	 * key waits for that commit (or rollback), for at most $4
	 * milliseconds (lock_timeout, for this lock only: o, then the final
	 * SELECT puts the session's value back).  Two keys whose hashes
	 * meet only wait for each other.  Opens the request's transaction.
	 */
	[STMT_IDEM_LOCK] = { "idem_lock",
	    "WITH o0 AS MATERIALIZED ("
	    " SELECT current_setting('lock_timeout') AS lt"
	    "), o AS MATERIALIZED ("
	    " SELECT o0.lt, set_config('lock_timeout', $4::text, true) FROM o0"
	    "), l AS MATERIALIZED ("
	    " SELECT pg_advisory_xact_lock(" IDEM_LOCK_KEY(1, 2, 3) ") FROM o"
	    ") SELECT set_config('lock_timeout', o.lt, true) FROM o, l", 4, 0 },

	/*
	 * After idem_lock, in a statement of its own so that its snapshot
	 * is taken once the lock is held: the answer stored for key $3 of
	 * caller $2 in tenant $1, when one is younger than 24 hours (an
	 * older one is deleted): same (the request's keyed hash is $4, hex),
	 * status, content_type, response (hex), location, etag.  No row:
	 * the key is free.
	 */
	[STMT_IDEM_LOOKUP] = { "idem_lookup",
	    "WITH d AS ("
	    " DELETE FROM idempotency WHERE tenant_id = $1::uuid"
	    "  AND caller = decode($2::text, 'hex') AND key = $3::text"
	    "  AND created_at < now() - interval '24 hours'"
	    ") SELECT i.request_hash = decode($4::text, 'hex') AS same,"
	    " i.status, i.content_type, encode(i.response, 'hex') AS response,"
	    " i.location, i.etag, pg_current_wal_insert_lsn()::text AS lsn"
	    " FROM idempotency i"
	    " WHERE i.tenant_id = $1::uuid AND i.caller = decode($2::text, 'hex')"
	    "  AND i.key = $3::text"
	    "  AND i.created_at >= now() - interval '24 hours'", 4, 0 },

	/*
	 * Stores the answer of the request that holds the lock of key $3 of
	 * caller $2 in tenant $1, in its transaction: $4 the request's keyed
	 * hash (hex), $5 status, $6 content type, $7 body (hex), $8
	 * Location, $9 ETag.  A row for the key already there (written by
	 * one that did not take the lock) is a unique violation: the
	 * transaction fails.
	 */
	[STMT_IDEM_STORE] = { "idem_store",
	    "INSERT INTO idempotency (tenant_id, caller, key, request_hash,"
	    " status, content_type, response, location, etag)"
	    " VALUES ($1::uuid, decode($2::text, 'hex'), $3::text,"
	    " decode($4::text, 'hex'), $5::int, $6::text,"
	    " decode($7::text, 'hex'), $8::text, $9::text)", 9, 0 },

	/* ---- ServiceStack seed 001 and Kibo seed 002 ---- */

	/*
	 * POST /usergroupuserinvite: invites e-mail $2 into user group $3
	 * (by id) or $4 (by code, case-insensitive) of tenant $1, or its
	 * default user group when both are NULL.  One statement, all or
	 * nothing, nothing at all when the tenant or the group is unknown:
	 * the user with that e-mail (any case) is taken, or made in the
	 * invited state (inactive, no password, username = e-mail); it
	 * joins the group (once); its pending invite to that group is
	 * renewed (new token hash $5, hex, expiry $6 seconds from now) or
	 * one is made; one audit row.  Two users never share an e-mail:
	 * the upsert locks the existing row, and a request that waited there
	 * renews the invite the first one made (rosterd_invite_renew_or_make
	 * looks on a snapshot taken after the wait: sql/0022).  A username taken by another
	 * user is a unique violation of users_username_key.  $7 actor,
	 * $8 request id.  One row: tenant_ok, group_ok, renewed, json
	 * (the user's fields, roles and permissions, dates in epoch ms).
	 */
	[STMT_SS_INVITE] = { "ss_invite",
	    "WITH t AS (SELECT id FROM tenants WHERE id = $1::uuid"
	    "), g AS ("
	    " SELECT gr.id FROM groups gr JOIN t ON gr.tenant_id = t.id"
	    " WHERE gr.kind = 'user' AND CASE"
	    "  WHEN $3::uuid IS NOT NULL THEN gr.id = $3::uuid"
	    "  WHEN $4::text IS NOT NULL THEN lower(gr.code) = lower($4::text)"
	    "  ELSE gr.is_default END"
	    "), u AS ("
	    " INSERT INTO users AS x (tenant_id, id, username, email, is_active,"
	    "  created_by, updated_by)"
	    " SELECT $1::uuid, gen_random_uuid(), $2::text, $2::text, false,"
	    "  $7::text, $7::text FROM g"
	    " ON CONFLICT (tenant_id, lower(email)) WHERE email IS NOT NULL"
	    " DO UPDATE SET email = x.email"
	    " RETURNING x.*, (x.xmax = 0) AS created"
	    "), inv AS MATERIALIZED ("
	    " SELECT f.* FROM g, u, rosterd_invite_renew_or_make($1::uuid,"
	    "  g.id, u.id, u.email, decode($5::text, 'hex'), $6::bigint,"
	    "  $7::text) AS f"
	    "), gm AS ("
	    " INSERT INTO group_members (tenant_id, group_id, user_id, added_by)"
	    " SELECT $1::uuid, g.id, u.id, $7::text FROM g, u"
	    " ON CONFLICT DO NOTHING"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $7::text, CASE WHEN inv.renewed"
	    "  THEN 'invite.renew' ELSE 'invite.create' END, 'invite', inv.id,"
	    "  $8::text, jsonb_build_object('email', inv.email, 'group',"
	    "  inv.group_id, 'user', u.id, 'userCreated', u.created,"
	    "  'dialect', 'servicestack') FROM inv, u"
	    ") SELECT EXISTS (SELECT 1 FROM t) AS tenant_ok,"
	    " EXISTS (SELECT 1 FROM g) AS group_ok,"
	    " coalesce((SELECT renewed FROM inv), false) AS renewed,"
	    " (SELECT json_build_object('num', u.num, 'username', u.username,"
	    "  'email', u.email, 'phone', u.phone, 'firstName', u.first_name,"
	    "  'lastName', u.last_name, 'displayName', u.display_name,"
	    "  'locale', u.locale, 'timeZone', u.time_zone,"
	    "  'failedLogins', u.failed_logins,"
	    "  'created', (extract(epoch FROM u.created_at) * 1000)::bigint,"
	    "  'updated', (extract(epoch FROM u.updated_at) * 1000)::bigint,"
	    "  'roles', array_to_json(array(SELECT DISTINCT r.name"
	    "   FROM role_assignments a JOIN roles r ON r.tenant_id = a.tenant_id"
	    "   AND r.id = a.role_id WHERE a.tenant_id = u.tenant_id"
	    "   AND a.user_id = u.id ORDER BY 1)),"
	    "  'permissions', array_to_json(array(SELECT DISTINCT p.p"
	    "   FROM role_assignments a JOIN roles r ON r.tenant_id = a.tenant_id"
	    "   AND r.id = a.role_id, jsonb_array_elements_text(CASE WHEN"
	    "   jsonb_typeof(r.attrs->'permissions') = 'array' THEN"
	    "   r.attrs->'permissions' ELSE '[]'::jsonb END) AS p(p)"
	    "   WHERE a.tenant_id = u.tenant_id AND a.user_id = u.id"
	    "   ORDER BY 1))) FROM u) AS json", 8, 0 },

	/*
	 * Kibo addusers: adds the users $3 (uuid[], up to 10,000; repeats
	 * count once) to the admin group with code $2 (case-insensitive) of
	 * tenant $1, in one statement, all or nothing: nothing is written
	 * unless the group exists, $4 (ids the dialect found malformed) is
	 * 0 and every id names a user of the tenant.  The users are
	 * key-share locked.  One audit row when something was added.
	 * $5 actor, $6 request id.  One row: group_ok, missing (1-based
	 * positions in $3 of unknown ids, NULL when none), head and audit
	 * (rosterd_kibo_group_*_json) and users (the members afterwards as
	 * a json array, NULL unless written).
	 */
	[STMT_KIBO_MEMBERS_ADD] = { "kibo_members_add",
	    "WITH g AS ("
	    " SELECT * FROM groups WHERE tenant_id = $1::uuid AND kind = 'admin'"
	    "  AND lower(code) = lower($2::text)"
	    "), req AS ("
	    " SELECT r.uid, r.ord"
	    " FROM unnest($3::uuid[]) WITH ORDINALITY AS r(uid, ord)"
	    "), known AS ("
	    " SELECT u.id AS uid FROM users u WHERE u.tenant_id = $1::uuid"
	    "  AND u.id IN (SELECT uid FROM req)"
	    "  AND EXISTS (SELECT 1 FROM g) FOR KEY SHARE OF u"
	    "), missing AS ("
	    " SELECT array_agg(req.ord ORDER BY req.ord) AS ords FROM req"
	    " WHERE NOT EXISTS (SELECT 1 FROM known x WHERE x.uid = req.uid)"
	    "), ok AS ("
	    " SELECT 1 FROM g WHERE $4::int = 0"
	    "  AND (SELECT ords FROM missing) IS NULL"
	    "), ins AS ("
	    " INSERT INTO group_members (tenant_id, group_id, user_id, added_by)"
	    " SELECT $1::uuid, g.id, k.uid, $5::text FROM g, known k, ok"
	    " ORDER BY k.uid ON CONFLICT DO NOTHING RETURNING user_id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $5::text, 'group.members.add', 'group', g.id,"
	    "  $6::text, jsonb_build_object('added',"
	    "  (SELECT jsonb_agg(user_id) FROM ins), 'dialect', 'kibo') FROM g"
	    " WHERE EXISTS (SELECT 1 FROM ins)"
	    "), mem AS ("
	    " SELECT m.user_id FROM group_members m, g, ok"
	    " WHERE m.tenant_id = $1::uuid AND m.group_id = g.id"
	    " UNION SELECT k.uid FROM known k, ok"
	    ") SELECT EXISTS (SELECT 1 FROM g) AS group_ok,"
	    " (SELECT ords FROM missing) AS missing,"
	    " (SELECT rosterd_kibo_group_head_json(g) FROM g) AS head,"
	    " (SELECT rosterd_kibo_group_audit_json(g) FROM g) AS audit,"
	    " (SELECT coalesce(json_agg(rosterd_kibo_user_json(u)"
	    "  ORDER BY u.created_at, u.id), '[]') FROM users u JOIN mem"
	    "  ON u.tenant_id = $1::uuid AND u.id = mem.user_id"
	    "  WHERE EXISTS (SELECT 1 FROM ok)) AS users", 6, 0, 1 },

	/*
	 * Kibo removeusers: the same as kibo_members_add, removing: unknown
	 * ids fail the request, an id that is not a member is fine.
	 */
	[STMT_KIBO_MEMBERS_REMOVE] = { "kibo_members_remove",
	    "WITH g AS ("
	    " SELECT * FROM groups WHERE tenant_id = $1::uuid AND kind = 'admin'"
	    "  AND lower(code) = lower($2::text)"
	    "), req AS ("
	    " SELECT r.uid, r.ord"
	    " FROM unnest($3::uuid[]) WITH ORDINALITY AS r(uid, ord)"
	    "), known AS ("
	    " SELECT u.id AS uid FROM users u WHERE u.tenant_id = $1::uuid"
	    "  AND u.id IN (SELECT uid FROM req)"
	    "  AND EXISTS (SELECT 1 FROM g)"
	    "), missing AS ("
	    " SELECT array_agg(req.ord ORDER BY req.ord) AS ords FROM req"
	    " WHERE NOT EXISTS (SELECT 1 FROM known x WHERE x.uid = req.uid)"
	    "), ok AS ("
	    " SELECT 1 FROM g WHERE $4::int = 0"
	    "  AND (SELECT ords FROM missing) IS NULL"
	    "), del AS ("
	    " DELETE FROM group_members m USING g, ok"
	    " WHERE m.tenant_id = $1::uuid AND m.group_id = g.id"
	    "  AND m.user_id IN (SELECT uid FROM known) RETURNING m.user_id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $5::text, 'group.members.remove', 'group', g.id,"
	    "  $6::text, jsonb_build_object('removed',"
	    "  (SELECT jsonb_agg(user_id) FROM del), 'dialect', 'kibo') FROM g"
	    " WHERE EXISTS (SELECT 1 FROM del)"
	    "), mem AS ("
	    " SELECT m.user_id FROM group_members m, g, ok"
	    " WHERE m.tenant_id = $1::uuid AND m.group_id = g.id"
	    "  AND NOT EXISTS (SELECT 1 FROM known x WHERE x.uid = m.user_id)"
	    ") SELECT EXISTS (SELECT 1 FROM g) AS group_ok,"
	    " (SELECT ords FROM missing) AS missing,"
	    " (SELECT rosterd_kibo_group_head_json(g) FROM g) AS head,"
	    " (SELECT rosterd_kibo_group_audit_json(g) FROM g) AS audit,"
	    " (SELECT coalesce(json_agg(rosterd_kibo_user_json(u)"
	    "  ORDER BY u.created_at, u.id), '[]') FROM users u JOIN mem"
	    "  ON u.tenant_id = $1::uuid AND u.id = mem.user_id"
	    "  WHERE EXISTS (SELECT 1 FROM ok)) AS users", 6, 0, 1 },

	/* ---- ASP.NET seeds 000 and 003 ---- */

	/*
	 * Creates or updates user $2 of tenant $1 with its group membership,
	 * role assignments and audit row: one round trip, all or nothing.
	 * User ids are per tenant: $2 names this tenant's user or a new
	 * one, whatever other tenants hold, so the answer never depends on
	 * another tenant's rows.  Nothing is written unless the tenant
	 * exists, group $19 (NULL: none) is a group of kind $20 of the
	 * tenant, every role of $22 is the tenant's and none is flagged
	 * is_system_admin unless $26 (the caller is a SystemAdmin): the row
	 * reports tenant_ok, group_ok, missing (0-based positions of unknown
	 * roles) and system_role.  An update keeps what a NULL leaves unsaid
	 * (booleans $11-$14, password $15, pin code $16: PHC strings, never
	 * secrets) and replaces the dialect's attrs member $17 by $18.  With
	 * $21 the user leaves every other group of kind $20.  Role
	 * assignments are added, never removed.  A taken username or e-mail
	 * is a unique violation (users_username_key, users_email_key).
	 * $3 username, $4 email, $5 first name, $6 last name, $7 display
	 * name, $8 phone, $9 external id, $10 time zone, $23 actor,
	 * $24 request id, $25 audit action, $26 may assign system roles.
	 * One row: the checks, then id,
	 * created, username, email, verified, is_active, time_zone, dto (the
	 * attrs member), group_name.
	 */
	[STMT_ASPNET_ACCOUNT_UPSERT] = { "aspnet_account_upsert",
	    "WITH chk AS ("
	    " SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AS tenant_ok,"
	    " (NOT $26::boolean AND EXISTS (SELECT 1 FROM roles ro"
	    "  WHERE ro.tenant_id = $1::uuid AND ro.id = ANY ($22::uuid[])"
	    "  AND ro.is_system_admin)) AS system_role,"
	    " ($19::uuid IS NULL OR EXISTS (SELECT 1 FROM groups"
	    "  WHERE tenant_id = $1::uuid AND id = $19::uuid"
	    "  AND kind = $20::text)) AS group_ok,"
	    " (SELECT array_agg(r.ord - 1 ORDER BY r.ord)"
	    "  FROM unnest($22::uuid[]) WITH ORDINALITY AS r(rid, ord)"
	    "  WHERE NOT EXISTS (SELECT 1 FROM roles ro"
	    "  WHERE ro.tenant_id = $1::uuid AND ro.id = r.rid)) AS missing"
	    "), up AS ("
	    " INSERT INTO users AS u (tenant_id, id, username, email,"
	    "  first_name, last_name, display_name, phone, external_id,"
	    "  time_zone, is_active, verified, locked, must_change_password,"
	    "  password, pin_code, attrs, created_by, updated_by)"
	    " SELECT $1::uuid, $2::uuid, $3::text, $4::text, $5::text,"
	    "  $6::text, $7::text, $8::text, $9::text, $10::text,"
	    "  coalesce($11::boolean, true), coalesce($12::boolean, false),"
	    "  coalesce($13::boolean, false), coalesce($14::boolean, false),"
	    "  $15::text, $16::text, jsonb_build_object($17::text, $18::jsonb),"
	    "  $23::text, $23::text"
	    " FROM chk WHERE chk.tenant_ok AND NOT chk.system_role"
	    "  AND chk.group_ok AND chk.missing IS NULL"
	    " ON CONFLICT (tenant_id, id) DO UPDATE SET"
	    "  username = EXCLUDED.username, email = EXCLUDED.email,"
	    "  first_name = EXCLUDED.first_name,"
	    "  last_name = EXCLUDED.last_name,"
	    "  display_name = EXCLUDED.display_name, phone = EXCLUDED.phone,"
	    "  external_id = EXCLUDED.external_id,"
	    "  time_zone = EXCLUDED.time_zone,"
	    "  is_active = coalesce($11::boolean, u.is_active),"
	    "  verified = coalesce($12::boolean, u.verified),"
	    "  locked = coalesce($13::boolean, u.locked),"
	    "  must_change_password = coalesce($14::boolean,"
	    "   u.must_change_password),"
	    "  password = coalesce($15::text, u.password),"
	    "  pin_code = coalesce($16::text, u.pin_code),"
	    "  attrs = u.attrs || EXCLUDED.attrs, updated_at = now(),"
	    "  updated_by = $23::text, version = u.version + 1"
	    " RETURNING u.id, (u.xmax = 0) AS created, u.username, u.email,"
	    "  u.verified, u.is_active, u.time_zone, u.attrs -> $17::text AS dto"
	    "), gd AS ("
	    " DELETE FROM group_members gm USING up, groups g"
	    " WHERE $21::boolean AND gm.tenant_id = $1::uuid"
	    "  AND gm.user_id = up.id AND g.tenant_id = $1::uuid"
	    "  AND g.id = gm.group_id AND g.kind = $20::text"
	    "  AND gm.group_id IS DISTINCT FROM $19::uuid"
	    "), gm AS ("
	    " INSERT INTO group_members (tenant_id, group_id, user_id,"
	    "  added_by)"
	    " SELECT $1::uuid, $19::uuid, up.id, $23::text FROM up"
	    " WHERE $19::uuid IS NOT NULL ON CONFLICT DO NOTHING"
	    "), ra AS ("
	    " INSERT INTO role_assignments (tenant_id, user_id, role_id,"
	    "  created_by)"
	    " SELECT DISTINCT $1::uuid, up.id, r.rid, $23::text"
	    " FROM up, unnest($22::uuid[]) AS r(rid) ON CONFLICT DO NOTHING"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $23::text, $25::text, 'user', up.id, $24::text,"
	    "  jsonb_build_object('username', up.username, 'created',"
	    "  up.created, 'group', $19::uuid, 'roles',"
	    "  to_jsonb(coalesce($22::uuid[], '{}')))"
	    " FROM up"
	    ") SELECT chk.tenant_ok, chk.system_role, chk.group_ok,"
	    " chk.missing, up.id, up.created, up.username, up.email,"
	    " up.verified, up.is_active, up.time_zone, up.dto,"
	    " (SELECT g.name FROM groups g WHERE g.tenant_id = $1::uuid"
	    "  AND g.id = $19::uuid) AS group_name"
	    " FROM chk LEFT JOIN up ON true", 26, 0 },

	/*
	 * Seed 000's person record named by ContactID $2 in tenant $1: the
	 * Contact stored with the user whose Contact.ID (else ContactID) it
	 * is, the oldest first.  One row or none.  Read-only.
	 */
	[STMT_ASPNET_CONTACT_GET] = { "aspnet_contact_get",
	    "SELECT u.attrs->'aspnet000'->'Contact' AS contact FROM users u"
	    " WHERE u.tenant_id = $1::uuid"
	    "  AND jsonb_typeof(u.attrs->'aspnet000'->'Contact') = 'object'"
	    "  AND lower(coalesce(u.attrs->'aspnet000'->'Contact'->>'ID',"
	    "   u.attrs->'aspnet000'->>'ContactID')) = lower($2::text)"
	    " ORDER BY u.created_at, u.id LIMIT 1", 2, 1 },

	/*
	 * Whether any role of tenant $1 named by id ($2) or else by name
	 * ($3, case-insensitive), as STMT_ROLES_MISSING resolves them, is
	 * flagged is_system_admin: such roles are created, changed, deleted
	 * and assigned by SystemAdmins only.  One row (system).  Read-only.
	 */
	[STMT_ROLES_SYSTEM] = { "roles_system",
	    "SELECT EXISTS (SELECT 1"
	    " FROM unnest($2::uuid[], $3::text[]) AS r(rid, rname)"
	    " JOIN roles ro ON ro.tenant_id = $1::uuid AND ro.is_system_admin"
	    "  AND CASE WHEN r.rid IS NOT NULL THEN ro.id = r.rid"
	    "  ELSE lower(ro.name) = lower(r.rname) END) AS system", 3, 1 },

	/* ---- /v1: tenant API tokens ---- */

	/*
	 * Creates an API token of tenant $1: name $2, role $3, the token's
	 * SHA-256 $4 (hex), display prefix $5, expiry $6 (timestamptz text,
	 * NULL: none; must be in the future), allowed addresses $7 (cidr[]
	 * literal), actor $8, request id $9; audits it.  One row:
	 * tenant_ok, expiry_ok, id, json.  A bad $6 is an invalid input
	 * (22xxx): nothing is written.
	 */
	[STMT_APITOKEN_CREATE] = { "apitoken_create",
	    "WITH chk AS ("
	    " SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS tenant_ok,"
	    "  ($6::timestamptz IS NULL OR $6::timestamptz > now()) AS expiry_ok"
	    "), ins AS ("
	    " INSERT INTO api_tokens (tenant_id, id, name, role, token_hash,"
	    "  prefix, expires_at, allowed_addrs, created_by)"
	    " SELECT $1::uuid, gen_random_uuid(), $2::text, $3::text,"
	    "  decode($4::text, 'hex'), $5::text, $6::timestamptz,"
	    "  coalesce($7::cidr[], '{}'), $8::text"
	    " FROM chk WHERE chk.tenant_ok AND chk.expiry_ok RETURNING *"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $8::text, 'apitoken.create', 'api_token', ins.id,"
	    "  $9::text, jsonb_build_object('name', ins.name, 'role', ins.role,"
	    "  'prefix', ins.prefix, 'expiresAt', rosterd_ts(ins.expires_at),"
	    "  'allowedAddresses', to_jsonb(ins.allowed_addrs::text[]))"
	    " FROM ins"
	    ") SELECT chk.tenant_ok, chk.expiry_ok, (SELECT id FROM ins) AS id,"
	    " (SELECT rosterd_api_token_json(ins) FROM ins) AS json FROM chk",
	    9, 0 },

	/* $1 tenant, $2 id.  json (no row: none).  Read-only. */
	[STMT_APITOKEN_GET] = { "apitoken_get",
	    "SELECT rosterd_api_token_json(t) AS json FROM api_tokens t"
	    " WHERE t.tenant_id = $1::uuid AND t.id = $2::uuid", 2, 1 },

	/*
	 * A page of tenant $1's API tokens after the cursor ($2, $3), at
	 * most $4 rows.  Every row says tenant_ok.  Read-only.
	 */
	[STMT_APITOKEN_LIST] = { "apitoken_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_api_token_json(k) AS json,"
	    "  rosterd_cursor(k.created_at, k.id) AS cur, k.created_at, k.id"
	    " FROM api_tokens k WHERE k.tenant_id = $1::uuid"
	    "  AND (k.created_at, k.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    " ORDER BY k.created_at, k.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 4, 1 },

	/*
	 * Revokes API token $2 of tenant $1 unless it is revoked already
	 * (then nothing changes).  $3 actor, $4 request id.  One row:
	 * found, revoked (by this statement).
	 */
	[STMT_APITOKEN_REVOKE] = { "apitoken_revoke",
	    "WITH upd AS ("
	    " UPDATE api_tokens k SET revoked_at = now(), revoked_by = $3::text"
	    " WHERE k.tenant_id = $1::uuid AND k.id = $2::uuid"
	    "  AND k.revoked_at IS NULL RETURNING k.id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id)"
	    " SELECT $1::uuid, $3::text, 'apitoken.revoke', 'api_token', upd.id,"
	    "  $4::text FROM upd"
	    ") SELECT EXISTS (SELECT 1 FROM api_tokens WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid) AS found,"
	    " EXISTS (SELECT 1 FROM upd) AS revoked", 4, 0 },

	/*
	 * The API token whose SHA-256 is $1 (hex): id, tenant_id, role,
	 * exp (whole seconds since the epoch, rounded down; NULL: none),
	 * cidrs (text array literal), revoked.  No row: none.  Read-only.
	 */
	[STMT_APITOKEN_LOOKUP] = { "apitoken_lookup",
	    "SELECT k.id, k.tenant_id, k.role,"
	    " floor(extract(epoch FROM k.expires_at))::bigint AS exp,"
	    " k.allowed_addrs::text[] AS cidrs,"
	    " k.revoked_at IS NOT NULL AS revoked"
	    " FROM api_tokens k WHERE k.token_hash = decode($1::text, 'hex')",
	    1, 1 },

	/*
	 * Records a use of API token $2 of tenant $1 from address $3 (NULL:
	 * unknown) now; a use from an address the token was never used from
	 * is audited (request id $4).  The row is locked first, so two
	 * workers seeing one new address audit it once.  One row: audited.
	 */
	[STMT_APITOKEN_TOUCH] = { "apitoken_touch",
	    "WITH old AS ("
	    " SELECT k.used_addrs FROM api_tokens k"
	    " WHERE k.tenant_id = $1::uuid AND k.id = $2::uuid FOR UPDATE"
	    "), upd AS ("
	    " UPDATE api_tokens k SET last_used_at = now(),"
	    "  last_used_addr = coalesce($3::inet, k.last_used_addr),"
	    "  used_addrs = CASE WHEN $3::inet IS NULL"
	    "   OR $3::inet = ANY (k.used_addrs)"
	    "   OR cardinality(k.used_addrs) >= 64 THEN k.used_addrs"
	    "   ELSE k.used_addrs || $3::inet END"
	    " WHERE k.tenant_id = $1::uuid AND k.id = $2::uuid RETURNING k.id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, 'apitoken:' || upd.id, 'apitoken.use',"
	    "  'api_token', upd.id, $4::text,"
	    "  jsonb_build_object('address', host($3::inet))"
	    " FROM old, upd WHERE $3::inet IS NOT NULL"
	    "  AND NOT ($3::inet = ANY (old.used_addrs)) RETURNING 1"
	    ") SELECT EXISTS (SELECT 1 FROM au) AS audited", 4, 0 },

	/* ---- /v1: tenant aliases ---- */

	/*
	 * Maps external id $3 of issuer $2 to tenant $1.  $4 actor, $5
	 * request id.  A mapping of ($2, $3) that exists is a unique
	 * violation of tenant_aliases_external_key.  One row: tenant_ok,
	 * id, json, version.
	 */
	[STMT_ALIAS_CREATE] = { "alias_create",
	    "WITH ins AS ("
	    " INSERT INTO tenant_aliases (tenant_id, id, issuer, external_id,"
	    "  created_by)"
	    " SELECT $1::uuid, gen_random_uuid(), $2::text, $3::text, $4::text"
	    " WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    " RETURNING *"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $4::text, 'tenant_alias.create', 'tenant_alias',"
	    "  ins.id, $5::text, jsonb_build_object('issuer', ins.issuer,"
	    "  'externalId', ins.external_id) FROM ins"
	    ") SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AS tenant_ok, (SELECT id FROM ins) AS id,"
	    " (SELECT rosterd_tenant_alias_json(ins) FROM ins) AS json,"
	    " 1 AS version", 5, 0 },

	/* $1 tenant, $2 id.  json, version (no row: none).  Read-only. */
	[STMT_ALIAS_GET] = { "alias_get",
	    "SELECT rosterd_tenant_alias_json(x) AS json, 1 AS version"
	    " FROM tenant_aliases x"
	    " WHERE x.tenant_id = $1::uuid AND x.id = $2::uuid", 2, 1 },

	/*
	 * A page of tenant $1's aliases after the cursor ($2, $3), at most
	 * $4 rows.  Every row says tenant_ok.  Read-only.
	 */
	[STMT_ALIAS_LIST] = { "alias_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_tenant_alias_json(x) AS json,"
	    "  rosterd_cursor(x.created_at, x.id) AS cur, x.created_at, x.id"
	    " FROM tenant_aliases x WHERE x.tenant_id = $1::uuid"
	    "  AND (x.created_at, x.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    " ORDER BY x.created_at, x.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 4, 1 },

	/*
	 * Deletes alias $2 of tenant $1 when If-Match $3 is NULL or "1" (an
	 * alias never changes).  $4 actor, $5 request id.  One row: found,
	 * deleted, current_version.
	 */
	[STMT_ALIAS_DELETE] = { "alias_delete",
	    "WITH del AS ("
	    " DELETE FROM tenant_aliases x"
	    " WHERE x.tenant_id = $1::uuid AND x.id = $2::uuid"
	    "  AND ($3::text IS NULL OR $3::text = '1') RETURNING *"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $4::text, 'tenant_alias.delete', 'tenant_alias',"
	    "  del.id, $5::text, jsonb_build_object('issuer', del.issuer,"
	    "  'externalId', del.external_id) FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM tenant_aliases WHERE"
	    "  tenant_id = $1::uuid AND id = $2::uuid) AS found,"
	    " EXISTS (SELECT 1 FROM del) AS deleted, 1 AS current_version",
	    5, 0 },

	/*
	 * The tenant that issuer $1 calls $2: one row (tenant_id) or none.
	 * Read-only.
	 */
	[STMT_ALIAS_RESOLVE] = { "alias_resolve",
	    "SELECT x.tenant_id FROM tenant_aliases x"
	    " WHERE x.issuer = $1::text AND x.external_id = $2::text", 2, 1 },
	/* ---- SCIM 2.0 (src/dialects/scim*.c) ---- */

	/* $1 tenant, $2 id.  The user's columns (no row: none).  Read-only. */
	[STMT_SCIM_USER_GET] = { "scim_user_get",
	    "SELECT " DB_SCIM_USER_COLS " FROM users u"
	    " WHERE u.tenant_id = $1::uuid AND u.id = $2::uuid", 2, 1 },

	/*
	 * Creates a user and audits it.  $1 tenant, $2 username,
	 * $3 external id, $4 first, $5 last, $6 display name, $7 email,
	 * $8 phone, $9 title, $10 locale, $11 time zone, $12 active,
	 * $13 password (PHC string or NULL), $14 the SCIM attributes kept
	 * verbatim (jsonb), $15 actor, $16 request id.  One row: tenant_ok
	 * and the user's columns (NULL when not created).  A taken username
	 * or e-mail is a unique violation (users_username_key,
	 * users_email_key).
	 */
	[STMT_SCIM_USER_CREATE] = { "scim_user_create",
	    "WITH u AS ("
	    " INSERT INTO users (tenant_id, id, username, external_id,"
	    "  first_name, last_name, display_name, email, phone, title,"
	    "  locale, time_zone, is_active, password, attrs, created_by,"
	    "  updated_by)"
	    " SELECT $1::uuid, gen_random_uuid(), $2::text, $3::text, $4::text,"
	    "  $5::text, $6::text, $7::text, $8::text, $9::text, $10::text,"
	    "  $11::text, $12::boolean, $13::text,"
	    "  jsonb_build_object('scim', $14::jsonb), $15::text, $15::text"
	    " WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    " RETURNING *"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $15::text, 'user.create', 'user', u.id,"
	    "  $16::text, jsonb_build_object('username', u.username,"
	    "  'dialect', 'scim') FROM u"
	    ") SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AS tenant_ok, x.* FROM (SELECT 1) AS one LEFT JOIN ("
	    " SELECT u.id, u.username, u.external_id, u.first_name,"
	    "  u.last_name, u.display_name, u.email, u.phone, u.title,"
	    "  u.locale, u.time_zone, u.is_active, u.attrs->'scim' AS scim,"
	    "  u.version, rosterd_ts(u.created_at) AS created,"
	    "  rosterd_ts(u.updated_at) AS updated, '[]'::json AS groups"
	    " FROM u) AS x ON true", 16, 0 },

	/*
	 * Replaces user $2 of tenant $1 (PUT, and PATCH once applied):
	 * $3..$15 are scim_user_create's $2..$14 ($14 NULL keeps the
	 * password), $16 actor, $17 request id, $18 the version the caller
	 * read (NULL: any), $19 what happened ('replace' or 'patch', for the
	 * audit row).
	 * One row: current_version (NULL: no such user) and the user's
	 * columns (NULL when not updated: the version moved on).
	 */
	[STMT_SCIM_USER_REPLACE] = { "scim_user_replace",
	    "WITH cur AS ("
	    " SELECT version FROM users WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid"
	    "), upd AS ("
	    " UPDATE users u SET username = $3::text, external_id = $4::text,"
	    "  first_name = $5::text, last_name = $6::text,"
	    "  display_name = $7::text, email = $8::text, phone = $9::text,"
	    "  title = $10::text, locale = $11::text, time_zone = $12::text,"
	    "  is_active = $13::boolean,"
	    "  password = coalesce($14::text, u.password),"
	    "  attrs = u.attrs || jsonb_build_object('scim', $15::jsonb),"
	    "  updated_at = now(), updated_by = $16::text,"
	    "  version = u.version + 1"
	    " WHERE u.tenant_id = $1::uuid AND u.id = $2::uuid"
	    "  AND ($18::bigint IS NULL OR u.version = $18::bigint)"
	    " RETURNING u.*"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $16::text, 'user.update', 'user', upd.id,"
	    "  $17::text, jsonb_build_object('dialect', 'scim',"
	    "  'op', $19::text,"
	    "  'active', upd.is_active) FROM upd"
	    ") SELECT (SELECT version FROM cur) AS current_version, x.*"
	    " FROM (SELECT 1) AS one LEFT JOIN ("
	    " SELECT " DB_SCIM_USER_COLS " FROM upd u) AS x ON true", 19, 0 },

	/*
	 * Deletes user $2 of tenant $1 (memberships go by their foreign
	 * keys) when its version is $5 (NULL: any), and audits it.  $3 actor,
	 * $4 request id.  found, deleted, current_version.
	 */
	[STMT_SCIM_USER_DELETE] = { "scim_user_delete",
	    "WITH cur AS ("
	    " SELECT version FROM users WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid"
	    "), del AS ("
	    " DELETE FROM users u WHERE u.tenant_id = $1::uuid"
	    "  AND u.id = $2::uuid"
	    "  AND ($5::bigint IS NULL OR u.version = $5::bigint)"
	    " RETURNING u.id, u.username"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $3::text, 'user.delete', 'user', del.id,"
	    "  $4::text, jsonb_build_object('username', del.username,"
	    "  'dialect', 'scim') FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM del) AS deleted,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/* $1 tenant, $2 id.  The group with its members.  Read-only. */
	[STMT_SCIM_GROUP_GET] = { "scim_group_get",
	    "SELECT " DB_SCIM_GROUP_COLS ", " DB_SCIM_GROUP_MEMBERS
	    " FROM groups g WHERE g.tenant_id = $1::uuid AND g.id = $2::uuid",
	    2, 1 },

	/*
	 * $1 tenant, $2 id.  The group without its members: never reads
	 * group_members (excludedAttributes=members).  Read-only.
	 */
	[STMT_SCIM_GROUP_HEAD] = { "scim_group_head",
	    "SELECT " DB_SCIM_GROUP_COLS ", NULL::json AS members"
	    " FROM groups g WHERE g.tenant_id = $1::uuid AND g.id = $2::uuid",
	    2, 1 },

	/*
	 * Creates a group with its members and audits it.  $1 tenant,
	 * $2 name (displayName), $3 kind, $4 code (NULL: the new id),
	 * $5 the SCIM attributes kept verbatim (jsonb), $6 member user ids
	 * (uuid[]), $7 actor, $8 request id.  Nothing is written unless the
	 * tenant exists, every member is a user of the tenant (missing: how
	 * many are not) and no group of the tenant has the name (taken).
	 * One row: tenant_ok, missing, taken, the group's columns and
	 * members (NULL when not created).  Planned per run (the array).
	 */
	[STMT_SCIM_GROUP_CREATE] = { "scim_group_create",
	    "WITH req AS ("
	    " SELECT DISTINCT x FROM unnest($6::uuid[]) AS x"
	    "), missing AS ("
	    " SELECT count(*) AS n FROM req WHERE NOT EXISTS (SELECT 1"
	    "  FROM users u WHERE u.tenant_id = $1::uuid AND u.id = req.x)"
	    "), taken AS ("
	    " SELECT EXISTS (SELECT 1 FROM groups WHERE tenant_id = $1::uuid"
	    "  AND lower(name) = lower($2::text)) AS t"
	    "), nid AS (SELECT gen_random_uuid() AS id"
	    "), g AS ("
	    " INSERT INTO groups (tenant_id, id, kind, code, name, attrs,"
	    "  created_by, updated_by)"
	    " SELECT $1::uuid, nid.id, $3::text, coalesce($4::text,"
	    "  nid.id::text), $2::text, jsonb_build_object('scim', $5::jsonb),"
	    "  $7::text, $7::text FROM nid"
	    " WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AND (SELECT n FROM missing) = 0 AND NOT (SELECT t FROM taken)"
	    " RETURNING *"
	    "), mem AS ("
	    " INSERT INTO group_members (tenant_id, group_id, user_id,"
	    "  added_by)"
	    " SELECT $1::uuid, g.id, req.x, $7::text FROM g, req"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $7::text, 'group.create', 'group', g.id,"
	    "  $8::text, jsonb_build_object('kind', g.kind, 'code', g.code,"
	    "  'name', g.name, 'members', (SELECT count(*) FROM req),"
	    "  'dialect', 'scim') FROM g"
	    ") SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid)"
	    "  AS tenant_ok, (SELECT n FROM missing) AS missing,"
	    " (SELECT t FROM taken) AS taken, x.*"
	    " FROM (SELECT 1) AS one LEFT JOIN ("
	    " SELECT " DB_SCIM_GROUP_COLS ","
	    "  (SELECT coalesce(json_agg(json_build_object('value', u.id,"
	    "  'display', coalesce(u.display_name, u.username))"
	    "  ORDER BY u.id), '[]') FROM users u JOIN req"
	    "  ON u.tenant_id = $1::uuid AND u.id = req.x) AS members"
	    " FROM g) AS x ON true", 8, 0, 1 },

	/*
	 * Updates group $2 of tenant $1 (PUT and PATCH) and its members as
	 * set operations, in one statement: $3 name, $4 kind, $5 code, $6
	 * the SCIM attributes (jsonb) (each NULL: kept as it is), $7 true:
	 * the members become exactly $8; false: $8 (uuid[]) join (already a
	 * member is fine) and $9 (uuid[]) leave (not a member is fine).  $10
	 * actor, $11 request id, $12 the version the caller read (NULL:
	 * any), $13 'replace' or 'patch' (the audit row), $14-$17 the name,
	 * kind, code and SCIM attributes the caller read (NULL: any), which
	 * must still be the group's: a PATCH computed from them does not
	 * conflict with a concurrent change of the members alone, which
	 * moves the version.  Nothing is written unless every id of $8 is a
	 * user of the tenant (missing) and no other group has the name
	 * (taken).  One row: current_version (NULL: no such group), missing,
	 * taken, and the group's columns (NULL when not updated).  Planned
	 * per run (the arrays).
	 */
	[STMT_SCIM_GROUP_UPDATE] = { "scim_group_update",
	    "WITH cur AS ("
	    " SELECT version FROM groups WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid"
	    "), req AS ("
	    " SELECT DISTINCT x FROM unnest($8::uuid[]) AS x"
	    "), missing AS ("
	    " SELECT count(*) AS n FROM req WHERE NOT EXISTS (SELECT 1"
	    "  FROM users u WHERE u.tenant_id = $1::uuid AND u.id = req.x)"
	    "), taken AS ("
	    " SELECT EXISTS (SELECT 1 FROM groups WHERE tenant_id = $1::uuid"
	    "  AND lower(name) = lower($3::text) AND id <> $2::uuid) AS t"
	    "), g AS ("
	    " UPDATE groups g SET name = coalesce($3::text, g.name),"
	    "  kind = coalesce($4::text, g.kind),"
	    "  code = coalesce($5::text, g.code),"
	    "  attrs = CASE WHEN $6::jsonb IS NULL THEN g.attrs"
	    "   ELSE g.attrs || jsonb_build_object('scim', $6::jsonb) END,"
	    "  updated_at = now(), updated_by = $10::text,"
	    "  version = g.version + 1"
	    " WHERE g.tenant_id = $1::uuid AND g.id = $2::uuid"
	    "  AND ($12::bigint IS NULL OR g.version = $12::bigint)"
	    "  AND ($14::text IS NULL OR (g.name = $14::text"
	    "   AND g.kind = $15::text AND g.code = $16::text"
	    "   AND g.attrs->'scim' IS NOT DISTINCT FROM $17::jsonb))"
	    "  AND (SELECT n FROM missing) = 0 AND NOT (SELECT t FROM taken)"
	    " RETURNING g.*"
	    "), del AS ("
	    " DELETE FROM group_members m USING g"
	    " WHERE m.tenant_id = $1::uuid AND m.group_id = g.id"
	    "  AND CASE WHEN $7::boolean"
	    "   THEN NOT EXISTS (SELECT 1 FROM req WHERE req.x = m.user_id)"
	    "   ELSE m.user_id = ANY ($9::uuid[]) END"
	    " RETURNING m.user_id"
	    "), ins AS ("
	    " INSERT INTO group_members (tenant_id, group_id, user_id,"
	    "  added_by)"
	    " SELECT $1::uuid, g.id, req.x, $10::text FROM g, req"
	    " ON CONFLICT DO NOTHING RETURNING user_id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $10::text, 'group.update', 'group', g.id,"
	    "  $11::text, jsonb_build_object('dialect', 'scim',"
	    "  'op', $13::text,"
	    "  'name', g.name, 'added', (SELECT count(*) FROM ins),"
	    "  'removed', (SELECT count(*) FROM del)) FROM g"
	    ") SELECT (SELECT version FROM cur) AS current_version,"
	    " (SELECT n FROM missing) AS missing,"
	    " (SELECT t FROM taken) AS taken,"
	    " x.* FROM (SELECT 1) AS one LEFT JOIN ("
	    " SELECT " DB_SCIM_GROUP_COLS ", NULL::json AS members FROM g)"
	    " AS x ON true", 17, 0, 1 },

	/*
	 * Deletes group $2 of tenant $1 (its members go by their foreign
	 * key) when its version is $5 (NULL: any), and audits it.  $3 actor,
	 * $4 request id.  found, deleted, current_version.
	 */
	[STMT_SCIM_GROUP_DELETE] = { "scim_group_delete",
	    "WITH cur AS ("
	    " SELECT version FROM groups WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid"
	    "), del AS ("
	    " DELETE FROM groups g WHERE g.tenant_id = $1::uuid"
	    "  AND g.id = $2::uuid"
	    "  AND ($5::bigint IS NULL OR g.version = $5::bigint)"
	    " RETURNING g.id, g.kind, g.code, g.name"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT $1::uuid, $3::text, 'group.delete', 'group', del.id,"
	    "  $4::text, jsonb_build_object('kind', del.kind, 'code', del.code,"
	    "  'name', del.name, 'dialect', 'scim') FROM del"
	    ") SELECT EXISTS (SELECT 1 FROM cur) AS found,"
	    " EXISTS (SELECT 1 FROM del) AS deleted,"
	    " (SELECT version FROM cur) AS current_version", 5, 0 },

	/* ---- /v1: import jobs (sql/0014_import_jobs.sql) ---- */

	/*
	 * Queues import job $2 of tenant $1 with its file $13 (sent as
	 * bytes: db_binary()): $3 format, $4 mode, $5 match, $6 dry run, $7
	 * atomic, $8 batch, $9 file name, $10 file size, $11 creator, $12
	 * request id, $14 whether the creator is a SystemAdmin (the job's
	 * rows may then assign and define the roles of system
	 * administrators).  The job's JSON, and a notification for the runners
	 * (delivered at the commit); no row: no such tenant.
	 */
	[STMT_IMPORT_JOB_CREATE] = { "import_job_create",
	    "WITH t AS (SELECT id FROM tenants WHERE id = $1::uuid), j AS ("
	    " INSERT INTO import_jobs (tenant_id, id, format, mode, match,"
	    "  dry_run, atomic, batch, file_name, file_size, created_by,"
	    "  request_id, by_system_admin)"
	    " SELECT t.id, $2::uuid, $3::text, $4::text, $5::text,"
	    "  $6::boolean, $7::boolean, $8::int, $9::text, $10::bigint,"
	    "  $11::text, $12::text, $14::boolean FROM t RETURNING *"
	    "), f AS ("
	    " INSERT INTO import_job_files (tenant_id, job_id, file)"
	    " SELECT tenant_id, id, $13::bytea FROM j"
	    ") SELECT rosterd_import_job_json(j::import_jobs) AS json,"
	    " pg_notify('rosterd_import_jobs', '') FROM j", 14, 0 },

	/* Import job $2 of tenant $1. */
	[STMT_IMPORT_JOB_GET] = { "import_job_get",
	    "SELECT rosterd_import_job_json(j) AS json FROM import_jobs j"
	    " WHERE j.tenant_id = $1::uuid AND j.id = $2::uuid", 2, 1 },

	/*
	 * A page of tenant $1's import jobs, oldest first, after cursor
	 * ($2 created microseconds, $3 id), at most $4 rows, of state $5
	 * (NULL: any).  Every row says tenant_ok.
	 */
	[STMT_IMPORT_JOB_LIST] = { "import_job_list",
	    "SELECT t.ok AS tenant_ok, p.json, p.cur FROM"
	    " (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) AS ok)"
	    "  AS t LEFT JOIN LATERAL ("
	    " SELECT rosterd_import_job_json(j) AS json,"
	    "  rosterd_cursor(j.created_at, j.id) AS cur, j.created_at, j.id"
	    " FROM import_jobs j WHERE j.tenant_id = $1::uuid"
	    "  AND (j.created_at, j.id) >"
	    "   (coalesce(rosterd_cursor_ts($2::bigint), '-infinity'),"
	    "   coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"
	    "  AND ($5::text IS NULL OR j.state = $5::text)"
	    " ORDER BY j.created_at, j.id LIMIT $4::int"
	    ") AS p ON t.ok ORDER BY p.created_at, p.id", 5, 1 },

	/*
	 * Cancels import job $2 of tenant $1 when it is queued or running
	 * (a running job stops after its batch in flight: the runner sees
	 * the state), drops its file, and audits it ($3 actor, $4 request
	 * id).  json: the job cancelled, or NULL; state: its state before
	 * (NULL: no such job).
	 */
	[STMT_IMPORT_JOB_CANCEL] = { "import_job_cancel",
	    "WITH cur AS ("
	    " SELECT state FROM import_jobs WHERE tenant_id = $1::uuid"
	    "  AND id = $2::uuid"
	    "), j AS ("
	    " UPDATE import_jobs SET state = 'cancelled', updated_at = now(),"
	    "  finished_at = CASE WHEN state = 'queued' THEN now() END"
	    " WHERE tenant_id = $1::uuid AND id = $2::uuid"
	    "  AND state IN ('queued', 'running') RETURNING *"
	    "), f AS ("
	    " DELETE FROM import_job_files f USING j"
	    " WHERE f.tenant_id = j.tenant_id AND f.job_id = j.id"
	    "), au AS ("
	    " INSERT INTO audit_log (tenant_id, actor, action, target_type,"
	    "  target_id, request_id, detail)"
	    " SELECT j.tenant_id, $3::text, 'import.cancel', 'import', j.id,"
	    "  $4::text, jsonb_build_object('state', (SELECT state FROM cur))"
	    " FROM j"
	    ") SELECT (SELECT state FROM cur) AS state,"
	    " (SELECT rosterd_import_job_json(j::import_jobs) FROM j) AS json",
	    4, 0 },
};

_Static_assert(sizeof(db_statements) / sizeof(db_statements[0]) == STMT__MAX,
    "every statement has an entry");
