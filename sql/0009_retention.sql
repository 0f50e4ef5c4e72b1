-- 0009_retention.sql: indexes for rosterctl purge (src/rosterctl_purge.c).
--
-- Each batch of the purge looks for at most N rows that ended before a
-- cutoff, with the expression written here, so that it reads an index
-- range instead of scanning the table (and, batch after batch, the rows
-- earlier batches left dead).  idempotency has its index already
-- (idempotency_created_idx); api_tokens is small.
-- * audit_log_at_purge_idx: audit_log_at_idx leads with tenant_id.
-- * invites_ended_idx: an invite ends when it is accepted, revoked or
--   expires, whichever comes first (LEAST ignores NULLs).

CREATE INDEX audit_log_at_purge_idx ON audit_log (at);
CREATE INDEX invites_ended_idx
	ON invites (least(accepted_at, revoked_at, expires_at));
