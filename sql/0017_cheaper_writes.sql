-- 0017_cheaper_writes.sql: what rosterd's writes pay per statement.
--
-- * An answer kept under an Idempotency-Key may be the row its route's
--   statement returned (result: the row's text form, every column as the
--   statement gave it) instead of the rendered response: the statement
--   and the answer it stores are one statement, and a replay renders the
--   row again through the route's own code.  Rows kept as a rendered
--   response (response, content_type, location, etag) stay valid.
-- * idempotency's CHECK constraints go: every value in it is rosterd's
--   own (the caller is a SHA-256 digest, the key is checked before any
--   statement runs, each statement writes either a response or a
--   result), and PostgreSQL reads and plans a table's CHECK expressions
--   again for every statement that writes it: over a quarter of what a
--   keyed create paid for its key.
-- * audit_log's request id checks say the same in a form that costs a
--   tenth as much: a bounded repetition ({1,128}) made the regular
--   expression engine build a large automaton on every insert, about a
--   tenth of a user create's instructions for each of the two ids.
--   NOT VALID, as before: no row is read again.
ALTER TABLE idempotency ALTER COLUMN response DROP NOT NULL,
	ADD COLUMN result text,
	DROP CONSTRAINT idempotency_caller_check,
	DROP CONSTRAINT idempotency_key_check;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_request_id_check,
	DROP CONSTRAINT audit_log_edge_request_id_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_request_id_check
	CHECK (request_id ~ '^[A-Za-z0-9._:-]+$' AND length(request_id) <= 128)
	NOT VALID;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_edge_request_id_check
	CHECK (edge_request_id ~ '^[A-Za-z0-9._:-]+$'
	    AND length(edge_request_id) <= 128) NOT VALID;
