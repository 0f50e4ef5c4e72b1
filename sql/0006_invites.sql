-- 0006_invites.sql: an invite holds only while its user stays as it was
-- invited.
--
-- * A user's pending invites are revoked when the user is deactivated
--   (is_active true -> false), changes e-mail (other than in case) or is
--   deleted: by triggers, so that every path that does so, whatever its
--   dialect, revokes them in its own statement.  "Its" invites: those
--   bound to the user (user_id), and those made for its e-mail address
--   before it existed (user_id NULL, the same e-mail, any case), which
--   an accept would otherwise bind to it (or, once it is deleted, use to
--   make it again).  Each revocation is audited ('invite.revoke', actor
--   'rosterd', detail: reason and user).  Nothing is done for a tenant
--   being deleted: its invites and audit rows go with it.
-- * invites_user_idx: the revocation (and the foreign key's cascade)
--   finds a user's invites without a scan of the tenant's.

CREATE INDEX invites_user_idx ON invites (tenant_id, user_id)
	WHERE user_id IS NOT NULL;

CREATE FUNCTION rosterd_user_invites_revoke() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	why text;
BEGIN
	IF TG_OP = 'DELETE' THEN
		why := 'user.delete';
	ELSIF OLD.is_active AND NOT NEW.is_active THEN
		why := 'user.deactivate';
	ELSE
		why := 'user.email';
	END IF;
	WITH rev AS (
		UPDATE invites i SET revoked_at = now()
		WHERE i.tenant_id = OLD.tenant_id
		    AND (i.user_id = OLD.id OR (i.user_id IS NULL
			AND lower(i.email) = lower(OLD.email)))
		    AND i.accepted_at IS NULL AND i.revoked_at IS NULL
		    AND i.expires_at > now()
		    AND EXISTS (SELECT 1 FROM tenants t
			WHERE t.id = OLD.tenant_id)
		RETURNING i.id
	)
	INSERT INTO audit_log (tenant_id, actor, action, target_type,
	    target_id, detail)
	SELECT OLD.tenant_id, 'rosterd', 'invite.revoke', 'invite', rev.id,
	    jsonb_build_object('reason', why, 'user', OLD.id)
	FROM rev;
	RETURN NULL;
END
$$;

CREATE TRIGGER users_invites_revoke_update
	AFTER UPDATE OF is_active, email ON users FOR EACH ROW
	WHEN ((OLD.is_active AND NOT NEW.is_active)
	    OR lower(OLD.email) IS DISTINCT FROM lower(NEW.email))
	EXECUTE FUNCTION rosterd_user_invites_revoke();

CREATE TRIGGER users_invites_revoke_delete
	AFTER DELETE ON users FOR EACH ROW
	EXECUTE FUNCTION rosterd_user_invites_revoke();
