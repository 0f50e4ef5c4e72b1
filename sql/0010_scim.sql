-- 0010_scim.sql: what the SCIM 2.0 dialect (src/dialects/scim*.c) needs
-- beyond the identity core.
--
-- * A SCIM resource keeps everything its client sent that has no column
--   of its own (nickName, addresses, every email and phone number, the
--   enterprise extension, ...) in attrs->'scim', verbatim, so that it
--   round-trips; the columns hold what the rest of rosterd reads
--   (username, external_id, names, the primary email and phone, active,
--   the group's name, kind and code).
-- * SCIM's Group.displayName is unique per tenant without regard to case
--   among the groups SCIM manages (attrs ? 'scim'): identity providers
--   find a group by it.  Groups made by other dialects may share a name
--   (their uniqueness is by kind and code); a SCIM create or rename that
--   would reuse any group's name is refused by the statement itself.
-- * groups_name_idx serves filter=displayName eq "..." (lower(name)).

CREATE UNIQUE INDEX groups_scim_display_key ON groups (tenant_id, lower(name))
	WHERE attrs ? 'scim';
CREATE INDEX groups_name_idx ON groups (tenant_id, lower(name));
