-- Idempotency keys are scoped by tenant and caller (the SHA-256 of the
-- token's sub), their request hash is an HMAC under a per-installation
-- secret that is not in the database, and only the answers of requests
-- that succeeded are kept, stored in the request's own transaction.
-- Rows of the former scheme cannot match a request any more (their hash
-- is unkeyed, their scope has no caller), may hold a 4xx answer that
-- quotes a request's secret, or a reservation left behind by a worker
-- that died ("in progress" for 24 hours): they go.
TRUNCATE idempotency;
ALTER TABLE idempotency ADD COLUMN caller bytea NOT NULL
	CHECK (length(caller) = 32);
ALTER TABLE idempotency DROP CONSTRAINT idempotency_pkey,
	ADD PRIMARY KEY (tenant_id, caller, key);
