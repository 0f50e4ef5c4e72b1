-- 0018_user_domains.sql: the length and character limits of users' and
-- audit_log's text columns as domains instead of CHECK constraints.
--
-- PostgreSQL keeps a table's CHECK expressions as text and reads and
-- plans each of them again for every statement that inserts or updates
-- the table: the eight on users and the two on audit_log cost a /v1
-- create 264,000 of its 1,030,000 instructions in PostgreSQL, and every
-- write of any route writes an audit row. A domain's CHECK is read once
-- per session and kept in PostgreSQL's type cache: an insert of eight
-- values under such limits took 81,000 instructions with domains against
-- 226,000 with CHECK constraints (46,000 with no limit), an audit row
-- 91,000 against 156,000.
--
-- The limits are the same, and a value over one is refused as before
-- (check_violation, 23514, which rosterd answers as invalid input); the
-- error names the domain instead of the table's constraint. A request id
-- stored in audit_log is 1 to 128 of [A-Za-z0-9._:-], in either column:
-- the insert gives both ids in request_id, joined by a space, and the
-- trigger audit_log_split_request_id splits them, so the domain admits
-- that form too, and each part is checked again when the trigger assigns
-- it.
--
-- The columns change type first, to domains without a constraint: that
-- reads no row (the domain's base type is the column's). The constraints
-- follow NOT VALID: they hold for every value written from now on, and
-- every row there holds to them already (users' CHECK constraints were
-- validated; audit_log's were NOT VALID, and stay so).
--
-- Cost for an operator: audit_log's change is immediate. users' rebuilds
-- the indexes on lower(username) and lower(email) under an ACCESS
-- EXCLUSIVE lock on users: 6 s for 2,000,000 users on a 2-core machine,
-- so about 30 s for 10,000,000, during which requests that touch users
-- wait. Run `rosterctl migrate` in a quiet hour.

CREATE DOMAIN rosterd_username AS text;
CREATE DOMAIN rosterd_text256 AS text;
CREATE DOMAIN rosterd_email AS text;
CREATE DOMAIN rosterd_phone AS text;
CREATE DOMAIN rosterd_request_id AS text;

-- a column a trigger's WHEN reads cannot change its type under it
DROP TRIGGER users_invites_revoke_update ON users;

ALTER TABLE users
	DROP CONSTRAINT users_username_check,
	DROP CONSTRAINT users_email_check,
	DROP CONSTRAINT users_first_name_check,
	DROP CONSTRAINT users_last_name_check,
	DROP CONSTRAINT users_display_name_check,
	DROP CONSTRAINT users_title_check,
	DROP CONSTRAINT users_phone_check,
	DROP CONSTRAINT users_external_id_check,
	ALTER COLUMN username TYPE rosterd_username,
	ALTER COLUMN email TYPE rosterd_email,
	ALTER COLUMN first_name TYPE rosterd_text256,
	ALTER COLUMN last_name TYPE rosterd_text256,
	ALTER COLUMN display_name TYPE rosterd_text256,
	ALTER COLUMN title TYPE rosterd_text256,
	ALTER COLUMN phone TYPE rosterd_phone,
	ALTER COLUMN external_id TYPE rosterd_text256;

CREATE TRIGGER users_invites_revoke_update
	AFTER UPDATE OF is_active, email ON users FOR EACH ROW
	WHEN ((OLD.is_active AND NOT NEW.is_active)
	    OR lower(OLD.email) IS DISTINCT FROM lower(NEW.email))
	EXECUTE FUNCTION rosterd_user_invites_revoke();

ALTER TABLE audit_log
	DROP CONSTRAINT audit_log_request_id_check,
	DROP CONSTRAINT audit_log_edge_request_id_check,
	ALTER COLUMN request_id TYPE rosterd_request_id,
	ALTER COLUMN edge_request_id TYPE rosterd_request_id;

ALTER DOMAIN rosterd_username ADD CONSTRAINT rosterd_username_check
	CHECK (length(VALUE) BETWEEN 1 AND 256) NOT VALID;
ALTER DOMAIN rosterd_text256 ADD CONSTRAINT rosterd_text256_check
	CHECK (length(VALUE) <= 256) NOT VALID;
ALTER DOMAIN rosterd_email ADD CONSTRAINT rosterd_email_check
	CHECK (length(VALUE) <= 254) NOT VALID;
ALTER DOMAIN rosterd_phone ADD CONSTRAINT rosterd_phone_check
	CHECK (length(VALUE) <= 64) NOT VALID;
ALTER DOMAIN rosterd_request_id ADD CONSTRAINT rosterd_request_id_check
	CHECK (VALUE ~ '^[A-Za-z0-9._:-]+( [A-Za-z0-9._:-]+)?$'
	    AND length(split_part(VALUE, ' ', 1)) <= 128
	    AND length(split_part(VALUE, ' ', 2)) <= 128) NOT VALID;
