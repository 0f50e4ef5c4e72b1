-- 0015_inlined_functions.sql: the functions that build the answers are
-- planned once per session, not once per statement.
--
-- PostgreSQL runs a LANGUAGE sql function as part of the statement that
-- calls it (inlines it) only when its body is a single expression without
-- a subquery and is not more volatile than the function is declared. A
-- function it cannot inline is parsed and planned again at every
-- execution of the calling statement, prepared or not: for a one-row get
-- that is most of the statement's cost (rosterd_ts alone halved the rate
-- of the /v1 user get).
--
-- * to_char(), extract(epoch ...) and timestamptz + interval are STABLE,
--   so the helpers that use them are STABLE: declared IMMUTABLE, they were
--   never inlined. No index or constraint uses them.
-- * rosterd_kibo_user_json has a subquery (the roles), so it can never be
--   inlined; in PL/pgSQL its plan is kept for the session. The expression
--   is the one of 0004_servicestack_kibo.sql, unchanged.

ALTER FUNCTION rosterd_ts(timestamptz) STABLE;
ALTER FUNCTION rosterd_kibo_ts(timestamptz) STABLE;
ALTER FUNCTION rosterd_cursor(timestamptz, uuid) STABLE;
ALTER FUNCTION rosterd_cursor_ts(bigint) STABLE;

CREATE OR REPLACE FUNCTION rosterd_kibo_user_json(u users) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
	RETURN json_build_object(
		    'emailAddress', u.email, 'userName', u.username,
		    'phoneNumber', u.phone, 'externalId', u.external_id,
		    'localeCode', u.locale, 'firstName', u.first_name,
		    'lastName', u.last_name, 'password', NULL,
		    'optInToEmail', coalesce(u.attrs->'optInToEmail' = 'true', false),
		    'optInToTextMessage',
		    coalesce(u.attrs->'optInToTextMessage' = 'true', false),
		    'id', u.id::text,
		    'systemData', json_build_object(
			'createdOn', rosterd_kibo_ts(u.created_at),
			'failedLoginAttemptCount', u.failed_logins,
			'firstFailedLoginAttemptOn', NULL,
			'isLocked', u.locked,
			'isPasswordChangeRequired', u.must_change_password,
			'lastLockedOn', NULL, 'lastLoginOn', NULL,
			'lastPasswordChangeOn', NULL,
			'remainingLoginAttempts', NULL,
			'updatedOn', rosterd_kibo_ts(u.updated_at)),
		    'roles', coalesce((SELECT json_agg(json_build_object(
			'assignedInScope', json_build_object(
			    'id', NULL,
			    'name', CASE WHEN a.scope_type = '' THEN t.name END,
			    'type', CASE WHEN a.scope_type = '' THEN 'Tenant'
				ELSE a.scope_type END),
			'auditInfo', json_build_object(
			    'createBy', a.created_by,
			    'createDate', rosterd_kibo_ts(a.created_at),
			    'updateBy', a.created_by,
			    'updateDate', rosterd_kibo_ts(a.created_at)),
			'roleId', r.num, 'roleName', r.name,
			'roleResources', '[]'::json,
			'roleTags', coalesce(CASE WHEN jsonb_typeof(r.attrs->'tags')
			    = 'array' THEN (r.attrs->'tags')::json END, '[]'::json),
			'userId', u.id::text) ORDER BY lower(r.name), a.scope_type,
			a.scope_id)
			FROM role_assignments a
			JOIN roles r ON r.tenant_id = a.tenant_id AND r.id = a.role_id
			JOIN tenants t ON t.id = a.tenant_id
			WHERE a.tenant_id = u.tenant_id AND a.user_id = u.id),
			'[]'::json),
		    'isActive', u.is_active,
		    'identityProviderId', u.attrs->>'identityProviderId');
END
$$;
