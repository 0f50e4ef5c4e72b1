-- 0018_user_domains.sql: users' length limits as domains.
--
-- The eight CHECK constraints on users' text columns cost every statement
-- that writes a user a sixth of its work in PostgreSQL: PostgreSQL keeps
-- a table's CHECK expressions as text and reads and plans each of them
-- again for every statement that inserts or updates the table (a /v1
-- create spent 264,000 of its 1,030,000 instructions on them). A domain's
-- CHECK is read once per session and kept in PostgreSQL's type cache, so
-- the same limits on the columns' types cost a fifth as much: an insert
-- of eight such values took 81,000 instructions with domains against
-- 226,000 with the CHECK constraints (46,000 with no limit at all).
--
-- The limits are the same, and a value over one is refused as before
-- (check_violation, 23514, which rosterd answers as invalid input); the
-- error names the domain instead of the column's constraint.
--
-- Cost for an operator: changing a column's type to a domain over its
-- type rewrites nothing, but PostgreSQL checks every row against the
-- domain and rebuilds the indexes on expressions of those columns
-- (username, email) and on external_id, under an ACCESS EXCLUSIVE lock on
-- users: 12 s for 2,000,000 users on a 2-core machine, so about a minute
-- for 10,000,000, during which requests that touch users wait. Run
-- `rosterctl migrate` in a quiet hour.

CREATE DOMAIN rosterd_username AS text
	CONSTRAINT rosterd_username_check
	CHECK (length(VALUE) BETWEEN 1 AND 256);
CREATE DOMAIN rosterd_text256 AS text
	CONSTRAINT rosterd_text256_check CHECK (length(VALUE) <= 256);
CREATE DOMAIN rosterd_email AS text
	CONSTRAINT rosterd_email_check CHECK (length(VALUE) <= 254);
CREATE DOMAIN rosterd_phone AS text
	CONSTRAINT rosterd_phone_check CHECK (length(VALUE) <= 64);

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
