-- 0022_invite_renew_fresh.sql: ServiceStack's invite renews the pending
-- invite a concurrent request made.
--
-- POST /usergroupuserinvite renews a user's pending invite to the group,
-- or makes one. Two such requests for one new e-mail at once: the second
-- waits for the first at the user's row (the upsert locks it) and then
-- went on with the look-up of the pending invite it had planned on its
-- statement's snapshot, taken before the first committed: it did not see
-- the first's invite and made a second one, two pending invites and two
-- working tokens. The look-up and the renewal or insert now run in this
-- function, whose statements (VOLATILE, in READ COMMITTED) each take a
-- snapshot of their own, after the wait: the invite committed meanwhile
-- is renewed.
--
-- Cost for an operator: a function is created; no table is touched.

CREATE FUNCTION rosterd_invite_renew_or_make(p_tenant uuid, p_group uuid,
    p_user uuid, p_email text, p_hash bytea, p_ttl bigint, p_actor text,
    OUT id uuid, OUT group_id uuid, OUT email text, OUT renewed boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	UPDATE invites i SET token_hash = p_hash,
	    expires_at = now() + p_ttl * interval '1 second', user_id = p_user
	WHERE i.tenant_id = p_tenant AND i.id = (
	    SELECT c.id FROM invites c WHERE c.tenant_id = p_tenant
	    AND c.group_id = p_group AND lower(c.email) = lower(p_email)
	    AND c.accepted_at IS NULL AND c.revoked_at IS NULL
	    ORDER BY c.created_at DESC LIMIT 1)
	    AND i.accepted_at IS NULL AND i.revoked_at IS NULL
	RETURNING i.id, i.group_id, i.email INTO id, group_id, email;
	IF FOUND THEN
		renewed := true;
		RETURN;
	END IF;
	INSERT INTO invites AS i (tenant_id, id, group_id, user_id, email,
	    token_hash, expires_at, created_by)
	VALUES (p_tenant, gen_random_uuid(), p_group, p_user, p_email, p_hash,
	    now() + p_ttl * interval '1 second', p_actor)
	RETURNING i.id, i.group_id, i.email INTO id, group_id, email;
	renewed := false;
END
$$;
