-- 0007_hardening.sql: what the security review's fixes need of the schema.
--
-- * audit_log.edge_request_id: nginx's own request id ($request_id, the
--   FastCGI REQUEST_ID), which no client chooses, next to request_id (the
--   client's X-Request-Id when it sent a sane one).  Statements pass both
--   in the one request id parameter they always had, "<request_id>
--   <edge_request_id>" (a space is never part of an id), and the trigger
--   below puts each in its column, so no statement changes shape.
-- * Both columns hold only what rosterd's check lets through: 1 to 128 of
--   [A-Za-z0-9._:-] (NOT VALID: rows written before are not rescanned).
-- * rosterd_audit_json: the /v1 representation gains edgeRequestId.

ALTER TABLE audit_log ADD COLUMN edge_request_id text;

CREATE FUNCTION rosterd_audit_split_request_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.request_id IS NOT NULL AND strpos(NEW.request_id, ' ') > 0 THEN
		NEW.edge_request_id := split_part(NEW.request_id, ' ', 2);
		NEW.request_id := split_part(NEW.request_id, ' ', 1);
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_split_request_id BEFORE INSERT ON audit_log
	FOR EACH ROW EXECUTE FUNCTION rosterd_audit_split_request_id();

ALTER TABLE audit_log ADD CONSTRAINT audit_log_request_id_check
	CHECK (request_id ~ '^[A-Za-z0-9._:-]{1,128}$') NOT VALID;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_edge_request_id_check
	CHECK (edge_request_id ~ '^[A-Za-z0-9._:-]{1,128}$') NOT VALID;

CREATE OR REPLACE FUNCTION rosterd_audit_json(a audit_log) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', a.id::text, 'at', rosterd_ts(a.at), 'actor', a.actor,
	    'action', a.action, 'targetType', a.target_type,
	    'targetId', a.target_id, 'requestId', a.request_id,
	    'edgeRequestId', a.edge_request_id, 'detail', a.detail)
$$;
