-- 0012_auth_generation.sql: the auth caches' generation as one row.
--
-- Workers cache api_tokens and tenant_aliases.  With db_prepared on they
-- LISTEN on rosterd_auth (0005_trust.sql); with it off (behind a pooler
-- in transaction mode, where a worker has no session of its own) they
-- read auth_generation.gen on each use of a cache instead, and drop the
-- caches when it differs from what they read last (src/db/db.c,
-- DB_AUTH_GEN_SQL): one primary-key row, whatever the tables' sizes.
--
-- Row-level triggers bump it once per row that changed what a cache
-- holds, so a statement that matches no row (a cross-tenant UPDATE or
-- DELETE, revoking a token again) changes nothing, not even this row.
-- On api_tokens, an UPDATE counts only when one of the columns the
-- caches hold changes: the last-use bookkeeping (last_used_at,
-- last_used_addr, used_addrs), written by the request that uses a token,
-- does not, or every such request would empty every worker's caches.
-- TRUNCATE has no rows and bumps it once per statement.
--
-- The row is written, and locked until commit, by every token or alias
-- write: those serialize on it.  Such writes are administrative and rare;
-- requests that use a token only read it.

CREATE TABLE auth_generation (
	one		boolean		PRIMARY KEY DEFAULT true CHECK (one),
	gen		bigint		NOT NULL
);
INSERT INTO auth_generation (one, gen) VALUES (true, 0);

CREATE FUNCTION rosterd_auth_generation_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE auth_generation SET gen = gen + 1 WHERE one;
	RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_gen
	AFTER INSERT OR DELETE ON api_tokens
	FOR EACH ROW EXECUTE FUNCTION rosterd_auth_generation_bump();
CREATE TRIGGER api_tokens_gen_update
	AFTER UPDATE OF tenant_id, id, role, token_hash, expires_at,
	    allowed_addrs, revoked_at ON api_tokens
	FOR EACH ROW WHEN ((OLD.tenant_id, OLD.id, OLD.role, OLD.token_hash,
	    OLD.expires_at, OLD.allowed_addrs, OLD.revoked_at) IS DISTINCT FROM
	    (NEW.tenant_id, NEW.id, NEW.role, NEW.token_hash, NEW.expires_at,
	    NEW.allowed_addrs, NEW.revoked_at))
	EXECUTE FUNCTION rosterd_auth_generation_bump();
CREATE TRIGGER api_tokens_gen_truncate
	AFTER TRUNCATE ON api_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION rosterd_auth_generation_bump();

CREATE TRIGGER tenant_aliases_gen
	AFTER INSERT OR DELETE ON tenant_aliases
	FOR EACH ROW EXECUTE FUNCTION rosterd_auth_generation_bump();
CREATE TRIGGER tenant_aliases_gen_update
	AFTER UPDATE ON tenant_aliases
	FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
	EXECUTE FUNCTION rosterd_auth_generation_bump();
CREATE TRIGGER tenant_aliases_gen_truncate
	AFTER TRUNCATE ON tenant_aliases
	FOR EACH STATEMENT EXECUTE FUNCTION rosterd_auth_generation_bump();
