/*
 * statements.c: THE table of SQL.  Every statement rosterd runs is here,
 * prepared once per connection; request data only ever reaches the
 * database as parameters.  Each entry says what it guarantees.
 */
#include "db.h"

const struct stmt_def db_statements[STMT__MAX] = {
	/* Readiness probe.  Read-only. */
	[STMT_PING] = { "ping", "SELECT 1", 0, 1 },

	/* $1 tenant id.  One row when the tenant exists.  Read-only. */
	[STMT_TENANT_EXISTS] = { "tenant_exists",
	    "SELECT 1 FROM tenants WHERE id = $1::uuid", 1, 1 },

	/*
	 * Creates a tenant with its two standard roles and its default user
	 * group, and audits it: one round trip, all or nothing.
	 * $1 id, $2 name, $3 slug, $4 actor.  A taken slug is a
	 * unique violation of tenants_slug_key.
	 */
	[STMT_TENANT_CREATE] = { "tenant_create",
	    "WITH t AS ("
	    " INSERT INTO tenants (id, name, slug)"
	    " VALUES ($1::uuid, $2::text, $3::text) RETURNING id"
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
	    "  target_id, detail)"
	    " SELECT t.id, $4::text, 'tenant.create', 'tenant', t.id,"
	    "  jsonb_build_object('name', $2::text) FROM t"
	    ") SELECT id FROM t", 4, 0 },

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
};

_Static_assert(sizeof(db_statements) / sizeof(db_statements[0]) == STMT__MAX,
    "every statement has an entry");
