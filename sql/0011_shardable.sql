-- 0011_shardable.sql: every statement can be routed by tenant_id.
--
-- An invite token now names its tenant (src/auth/password.c,
-- token_new), and its acceptance looks the invite up by tenant and
-- hash.  A unique index of a table distributed by tenant must hold the
-- tenant column, so the token's uniqueness becomes (token_hash,
-- tenant_id): token_hash first, so that a token issued before tokens
-- carried their tenant is still found by its hash alone until it
-- expires.
CREATE UNIQUE INDEX invites_token_tenant_key ON invites (token_hash, tenant_id);
DROP INDEX invites_token_key;
