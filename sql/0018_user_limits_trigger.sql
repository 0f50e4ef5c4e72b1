-- 0018_user_limits_trigger.sql: the length limits of users' eight text
-- columns checked by a trigger instead of eight CHECK constraints.
--
-- PostgreSQL keeps a table's CHECK expressions as text and reads and
-- plans them again for every statement that inserts or updates a row:
-- the eight cost a single-row write about 170,000 instructions, a sixth
-- of a /v1 create's work in PostgreSQL. A PL/pgSQL trigger function is
-- compiled once per session: the same limits cost a quarter of that, and
-- the create 125,000 instructions less. (A statement that writes many
-- rows pays the other way: about 3,000 instructions more per row, which
-- an import's row, forty times that, does not notice.)
--
-- The limits are those of the constraints, in characters, and a value
-- over one is refused as before: check_violation (23514), with the
-- dropped constraint's name in the message and in the error's
-- constraint field, and the column's in its column field. A NULL
-- username is left to the column's NOT NULL, as before.
--
-- Cost for an operator: immediate. No row is read and nothing is
-- rebuilt; the exclusive lock on users is held only while the
-- constraints are dropped and the trigger created, so requests then
-- writing users wait milliseconds. The previous release's workers keep
-- serving on it: no column changes type.

-- Refuses a row of relation rel (in schema sch) whose column col breaks
-- the limit the CHECK constraint <rel>_<col>_check held it to, as that
-- constraint did.
CREATE FUNCTION rosterd_limit_refused(sch text, rel text, col text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'new row for relation "%" violates check constraint '
	    '"%"', rel, rel || '_' || col || '_check'
	    USING ERRCODE = 'check_violation', SCHEMA = sch, TABLE = rel,
	    COLUMN = col, CONSTRAINT = rel || '_' || col || '_check';
END
$$;

CREATE FUNCTION rosterd_user_limits() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	col text;
BEGIN
	IF length(NEW.username) BETWEEN 1 AND 256
	    AND coalesce(length(NEW.email), 0) <= 254
	    AND coalesce(length(NEW.first_name), 0) <= 256
	    AND coalesce(length(NEW.last_name), 0) <= 256
	    AND coalesce(length(NEW.display_name), 0) <= 256
	    AND coalesce(length(NEW.title), 0) <= 256
	    AND coalesce(length(NEW.phone), 0) <= 64
	    AND coalesce(length(NEW.external_id), 0) <= 256 THEN
		RETURN NEW;
	END IF;
	col := CASE
	    WHEN length(NEW.username) NOT BETWEEN 1 AND 256 THEN 'username'
	    WHEN length(NEW.email) > 254 THEN 'email'
	    WHEN length(NEW.first_name) > 256 THEN 'first_name'
	    WHEN length(NEW.last_name) > 256 THEN 'last_name'
	    WHEN length(NEW.display_name) > 256 THEN 'display_name'
	    WHEN length(NEW.title) > 256 THEN 'title'
	    WHEN length(NEW.phone) > 64 THEN 'phone'
	    WHEN length(NEW.external_id) > 256 THEN 'external_id'
	END;
	IF col IS NOT NULL THEN
		PERFORM rosterd_limit_refused(TG_TABLE_SCHEMA, TG_TABLE_NAME, col);
	END IF;
	RETURN NEW;
END
$$;

ALTER TABLE users
	DROP CONSTRAINT users_username_check,
	DROP CONSTRAINT users_email_check,
	DROP CONSTRAINT users_first_name_check,
	DROP CONSTRAINT users_last_name_check,
	DROP CONSTRAINT users_display_name_check,
	DROP CONSTRAINT users_title_check,
	DROP CONSTRAINT users_phone_check,
	DROP CONSTRAINT users_external_id_check;

CREATE TRIGGER users_limits BEFORE INSERT OR UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION rosterd_user_limits();
