-- 0005_trust.sql: tenant API tokens and tenant aliases.
--
-- * api_tokens: long-lived bearer tokens of one tenant for machines
--   ("rsd_" + 43 base64url characters of 32 random bytes).  The token
--   itself is never stored: token_hash is the SHA-256 of the whole
--   token, and prefix its first 8 characters, for people to tell tokens
--   apart.  used_addrs remembers the source addresses a token was used
--   from (at most 64), so that a use from a new one is audited once.
-- * tenant_aliases: the external tenant (organization) id that a
--   configured issuer's tokens name, mapped to a rosterd tenant.  One
--   external id of one issuer maps to one tenant.
-- * Workers cache both tables; every change that matters to a cache
--   (not the last-use bookkeeping) sends a notification on channel
--   rosterd_auth, and a worker drops its caches on any.

CREATE TABLE api_tokens (
	tenant_id	uuid		NOT NULL REFERENCES tenants ON DELETE CASCADE,
	id		uuid		NOT NULL,
	name		text		NOT NULL
	    CHECK (length(name) BETWEEN 1 AND 200),
	role		text		NOT NULL
	    CHECK (role IN ('TenantAdmin', 'TenantReader')),
	token_hash	bytea		NOT NULL CHECK (length(token_hash) = 32),
	prefix		text		NOT NULL CHECK (length(prefix) <= 12),
	expires_at	timestamptz,
	allowed_addrs	cidr[]		NOT NULL DEFAULT '{}'
	    CHECK (cardinality(allowed_addrs) <= 32),
	created_at	timestamptz	NOT NULL DEFAULT now(),
	created_by	text		NOT NULL,
	last_used_at	timestamptz,
	last_used_addr	inet,
	used_addrs	inet[]		NOT NULL DEFAULT '{}',
	revoked_at	timestamptz,
	revoked_by	text,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_created_idx ON api_tokens (tenant_id, created_at, id);

CREATE TABLE tenant_aliases (
	tenant_id	uuid		NOT NULL REFERENCES tenants ON DELETE CASCADE,
	id		uuid		NOT NULL,
	issuer		text		NOT NULL
	    CHECK (issuer ~ '^[a-z0-9_-]{1,64}$'),
	external_id	text		NOT NULL
	    CHECK (length(external_id) BETWEEN 1 AND 256),
	created_at	timestamptz	NOT NULL DEFAULT now(),
	created_by	text		NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX tenant_aliases_external_key
	ON tenant_aliases (issuer, external_id);
CREATE INDEX tenant_aliases_created_idx
	ON tenant_aliases (tenant_id, created_at, id);

CREATE FUNCTION rosterd_api_token_state(t api_tokens) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked'
	    WHEN t.expires_at <= now() THEN 'expired'
	    ELSE 'active' END
$$;

-- Never the token nor its hash.
CREATE FUNCTION rosterd_api_token_json(t api_tokens) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', t.id, 'tenantId', t.tenant_id, 'name', t.name,
	    'role', t.role, 'prefix', t.prefix,
	    'state', rosterd_api_token_state(t),
	    'expiresAt', rosterd_ts(t.expires_at),
	    'allowedAddresses', to_json(t.allowed_addrs::text[]),
	    'createdAt', rosterd_ts(t.created_at), 'createdBy', t.created_by,
	    'lastUsedAt', rosterd_ts(t.last_used_at),
	    'lastUsedAddr', host(t.last_used_addr),
	    'revokedAt', rosterd_ts(t.revoked_at), 'revokedBy', t.revoked_by)
$$;

CREATE FUNCTION rosterd_tenant_alias_json(x tenant_aliases) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', x.id, 'tenantId', x.tenant_id, 'issuer', x.issuer,
	    'externalId', x.external_id,
	    'createdAt', rosterd_ts(x.created_at), 'createdBy', x.created_by)
$$;

CREATE FUNCTION rosterd_auth_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('rosterd_auth', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

-- Not on last_used_at, last_used_addr, used_addrs: bookkeeping that
-- workers write themselves and that no cache holds.
CREATE TRIGGER api_tokens_notify
	AFTER INSERT OR DELETE OR UPDATE OF tenant_id, id, role, token_hash,
	    expires_at, allowed_addrs, revoked_at
	ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION rosterd_auth_notify();
CREATE TRIGGER api_tokens_notify_truncate
	AFTER TRUNCATE ON api_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION rosterd_auth_notify();
CREATE TRIGGER tenant_aliases_notify
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_aliases
	FOR EACH STATEMENT EXECUTE FUNCTION rosterd_auth_notify();
