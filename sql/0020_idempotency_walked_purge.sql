-- 0020_idempotency_walked_purge.sql: one index fewer on idempotency.
--
-- idempotency_created_idx (created_at) served only rosterctl purge, and
-- every request with an Idempotency-Key that stores its answer wrote an
-- entry into it: about a fiftieth of what PostgreSQL does for a keyed
-- /v1 create. The purge now walks the table in the order of its pages,
-- each batch picking up after the last row the one before it picked
-- (a TID range scan): one pass over the table per run, which holds a day
-- or two of answers, and no batch reads again the rows an earlier one
-- left dead. Rows are still found for a key by the primary key, and for
-- a deleted tenant by its leading tenant_id.
--
-- Cost for an operator: DROP INDEX is immediate (it removes the index's
-- files; nothing is rewritten), but it takes an ACCESS EXCLUSIVE lock on
-- idempotency, so it waits for the statements running on it to finish
-- (each is one request's), and the keyed requests behind it wait too.

DROP INDEX idempotency_created_idx;
