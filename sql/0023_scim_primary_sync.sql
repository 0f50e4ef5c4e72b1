-- 0023_scim_primary_sync.sql: a user's e-mail or phone changed by another
-- dialect is the one SCIM shows.
--
-- SCIM keeps a user's emails and phoneNumbers as the client sent them
-- (attrs->'scim') and writes the primary one (else the first) to the
-- email and phone columns. When /v1, a vendor endpoint or an import
-- changed a column, SCIM went on showing, filtering by, and the next
-- SCIM write of the user writing back, the old value. This trigger
-- puts the new column value into the element SCIM took it from (removes
-- the element when the column is cleared) whenever a column changes and
-- the user has such an array. SCIM's own writes, whose column is that
-- element's value already, change nothing.
--
-- Cost for an operator: immediate; no row is read or rewritten. Writes
-- that change neither column do not run the trigger's function.

-- arr with the element SCIM takes the column from (the first with
-- "primary": true, else the first) set to value v, or removed when v is
-- NULL; an array of none gets one made of v.
CREATE FUNCTION rosterd_scim_primary(arr jsonb, v text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	i int;
BEGIN
	IF jsonb_array_length(arr) = 0 THEN
		RETURN CASE WHEN v IS NULL THEN arr ELSE jsonb_build_array(
		    jsonb_build_object('value', v, 'type', 'work',
		    'primary', true)) END;
	END IF;
	SELECT coalesce(min(e.o) - 1, 0) INTO i
	FROM jsonb_array_elements(arr) WITH ORDINALITY AS e(x, o)
	WHERE jsonb_typeof(e.x) = 'object' AND e.x->'primary' = 'true'::jsonb;
	IF v IS NULL THEN
		RETURN arr - i;
	END IF;
	IF jsonb_typeof(arr->i) <> 'object' THEN
		RETURN jsonb_set(arr, ARRAY[i::text],
		    jsonb_build_object('value', v));
	END IF;
	RETURN jsonb_set(arr, ARRAY[i::text, 'value'], to_jsonb(v));
END
$$;

CREATE FUNCTION rosterd_user_scim_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.email IS DISTINCT FROM OLD.email
	    AND jsonb_typeof(NEW.attrs->'scim'->'emails') = 'array' THEN
		NEW.attrs := jsonb_set(NEW.attrs, '{scim,emails}',
		    rosterd_scim_primary(NEW.attrs->'scim'->'emails', NEW.email));
	END IF;
	IF NEW.phone IS DISTINCT FROM OLD.phone
	    AND jsonb_typeof(NEW.attrs->'scim'->'phoneNumbers') = 'array' THEN
		NEW.attrs := jsonb_set(NEW.attrs, '{scim,phoneNumbers}',
		    rosterd_scim_primary(NEW.attrs->'scim'->'phoneNumbers',
		    NEW.phone));
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER users_scim_sync BEFORE UPDATE OF email, phone ON users
	FOR EACH ROW
	WHEN (OLD.email IS DISTINCT FROM NEW.email
	    OR OLD.phone IS DISTINCT FROM NEW.phone)
	EXECUTE FUNCTION rosterd_user_scim_sync();
