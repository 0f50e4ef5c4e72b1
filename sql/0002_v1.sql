-- 0002_v1.sql: what rosterd's own API (/v1) needs of the schema.
--
-- * Keyset pagination walks (created_at, id): both immutable, so a walk
--   sees every row that exists throughout it exactly once, however rows
--   are inserted and deleted meanwhile; these indexes make each page an
--   index range scan, never an OFFSET.
-- * The rosterd_*_json functions are THE representation of each resource
--   (camelCase, RFC 3339 UTC timestamps): every statement that returns a
--   resource returns it through them, so a create, a get and a list can
--   never disagree. json, not jsonb: jsonb would reorder the members.
--   Secrets (users.password) are not in them.

CREATE INDEX tenants_created_idx ON tenants (created_at, id);
CREATE INDEX users_created_idx ON users (tenant_id, created_at, id);
CREATE INDEX groups_created_idx ON groups (tenant_id, created_at, id);
CREATE INDEX group_members_added_idx
	ON group_members (tenant_id, group_id, added_at, user_id);

CREATE FUNCTION rosterd_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The opaque position of a row in a (created_at, id) walk: microseconds
-- since the epoch and the id. The API base64url-encodes it.
CREATE FUNCTION rosterd_cursor(t timestamptz, id uuid) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT (extract(epoch FROM t) * 1000000)::bigint::text || ',' || id::text
$$;

CREATE FUNCTION rosterd_cursor_ts(us bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT timestamptz 'epoch' + us * interval '1 microsecond'
$$;

CREATE FUNCTION rosterd_tenant_json(t tenants) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', t.id, 'name', t.name, 'slug', t.slug,
	    'attributes', t.attrs,
	    'createdAt', rosterd_ts(t.created_at),
	    'updatedAt', rosterd_ts(t.updated_at),
	    'version', t.version)
$$;

CREATE FUNCTION rosterd_user_json(u users) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', u.id, 'tenantId', u.tenant_id, 'username', u.username,
	    'email', u.email, 'firstName', u.first_name,
	    'lastName', u.last_name, 'displayName', u.display_name,
	    'title', u.title, 'phone', u.phone, 'externalId', u.external_id,
	    'locale', u.locale, 'timeZone', u.time_zone,
	    'active', u.is_active, 'verified', u.verified,
	    'locked', u.locked, 'mustChangePassword', u.must_change_password,
	    'hasPassword', u.password IS NOT NULL,
	    'attributes', u.attrs,
	    'createdAt', rosterd_ts(u.created_at), 'createdBy', u.created_by,
	    'updatedAt', rosterd_ts(u.updated_at), 'updatedBy', u.updated_by,
	    'version', u.version)
$$;

CREATE FUNCTION rosterd_group_json(g groups) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', g.id, 'tenantId', g.tenant_id, 'kind', g.kind,
	    'code', g.code, 'name', g.name, 'description', g.description,
	    'scopeIds', to_json(g.scope_ids), 'isDefault', g.is_default,
	    'attributes', g.attrs,
	    'createdAt', rosterd_ts(g.created_at), 'createdBy', g.created_by,
	    'updatedAt', rosterd_ts(g.updated_at), 'updatedBy', g.updated_by,
	    'version', g.version)
$$;

CREATE INDEX roles_created_idx ON roles (tenant_id, created_at, id);
CREATE INDEX invites_created_idx ON invites (tenant_id, created_at, id);

CREATE FUNCTION rosterd_role_json(r roles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', r.id, 'tenantId', r.tenant_id, 'number', r.num,
	    'name', r.name, 'description', r.description,
	    'isSystemAdmin', r.is_system_admin, 'isGroupAdmin', r.is_group_admin,
	    'attributes', r.attrs,
	    'createdAt', rosterd_ts(r.created_at),
	    'updatedAt', rosterd_ts(r.updated_at),
	    'version', r.version)
$$;

-- An invite's state is derived, so it can never disagree with its times.
CREATE FUNCTION rosterd_invite_state(i invites) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'
	    WHEN i.revoked_at IS NOT NULL THEN 'revoked'
	    WHEN i.expires_at <= now() THEN 'expired'
	    ELSE 'pending' END
$$;

CREATE FUNCTION rosterd_invite_json(i invites) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', i.id, 'tenantId', i.tenant_id, 'email', i.email,
	    'groupId', i.group_id, 'userId', i.user_id,
	    'state', rosterd_invite_state(i),
	    'expiresAt', rosterd_ts(i.expires_at),
	    'acceptedAt', rosterd_ts(i.accepted_at),
	    'revokedAt', rosterd_ts(i.revoked_at),
	    'createdAt', rosterd_ts(i.created_at), 'createdBy', i.created_by,
	    'updatedAt', rosterd_ts(greatest(i.created_at, i.accepted_at,
	        i.revoked_at)),
	    -- an invite changes at most twice: accepted, or revoked
	    'version', 1 + (i.accepted_at IS NOT NULL)::int
	        + (i.revoked_at IS NOT NULL)::int)
$$;

CREATE FUNCTION rosterd_audit_json(a audit_log) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', a.id::text, 'at', rosterd_ts(a.at), 'actor', a.actor,
	    'action', a.action, 'targetType', a.target_type,
	    'targetId', a.target_id, 'requestId', a.request_id,
	    'detail', a.detail)
$$;

-- Idempotency-Key: a replay returns the first response's Location and
-- ETag as well as its status and body. status 0 marks a request still
-- in progress.
ALTER TABLE idempotency ADD COLUMN location text, ADD COLUMN etag text;

CREATE FUNCTION rosterd_assignment_json(a role_assignments, role_name text)
RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'roleId', a.role_id, 'name', role_name,
	    'scopeType', nullif(a.scope_type, ''),
	    'scopeId', nullif(a.scope_id, '00000000-0000-0000-0000-000000000000'),
	    'assignedAt', rosterd_ts(a.created_at), 'assignedBy', a.created_by)
$$;
