-- 0017_idempotency_rows.sql: an answer kept under an Idempotency-Key may
-- be the row its route's statement returned (result: the row's text form,
-- every column as the statement gave it) instead of the rendered response:
-- the statement and the answer it stores are one statement, and a replay
-- renders the row again through the route's own code.  Rows kept as a
-- rendered response (response, content_type, location, etag) stay valid.
ALTER TABLE idempotency ALTER COLUMN response DROP NOT NULL,
	ADD COLUMN result text,
	ADD CONSTRAINT idempotency_answer_check
		CHECK ((response IS NULL) <> (result IS NULL));
