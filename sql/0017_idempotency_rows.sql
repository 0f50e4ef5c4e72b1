-- 0017_idempotency_rows.sql: an answer kept under an Idempotency-Key may
-- be the row its route's statement returned (result: the row's text form,
-- every column as the statement gave it) instead of the rendered response:
-- the statement and the answer it stores are one statement, and a replay
-- renders the row again through the route's own code.  Rows kept as a
-- rendered response (response, content_type, location, etag) stay valid.
--
-- The table's CHECK constraints go: every value in it is rosterd's own
-- (the caller is a SHA-256 digest, the key is checked before any
-- statement runs, and each statement writes either a response or a
-- result), and PostgreSQL reads and plans a table's CHECK expressions
-- again for every statement that writes it: over a quarter of what a
-- keyed create paid for its key.
ALTER TABLE idempotency ALTER COLUMN response DROP NOT NULL,
	ADD COLUMN result text,
	DROP CONSTRAINT idempotency_caller_check,
	DROP CONSTRAINT idempotency_key_check;
