-- 0015_inlined_functions.sql: the functions that build the answers are
-- planned once per session, not once per statement.
--
-- PostgreSQL runs a LANGUAGE sql function as part of the statement that
-- calls it (inlines it) only when its body is a single expression without
-- a subquery and is not more volatile than the function is declared. A
-- function it cannot inline is parsed and planned again at every
-- execution of the calling statement, prepared or not: for a one-row get
-- that is most of the statement's cost (rosterd_ts alone halved the rate
-- of the /v1 user get).
--
-- * to_char(), extract(epoch ...) and timestamptz + interval are STABLE,
--   so the helpers that use them are STABLE: declared IMMUTABLE, they were
--   never inlined. No index or constraint uses them.
-- * rosterd_kibo_user_json has a subquery (the roles), so it is never
--   inlined, and stays LANGUAGE sql: planned with each statement that
--   calls it, its plan follows the tables as they grow. In PL/pgSQL (tried)
--   its plan is kept for the session's life, and in two long test runs of
--   five a Kibo answer listing 10,000 members took longer than the client
--   waits.

ALTER FUNCTION rosterd_ts(timestamptz) STABLE;
ALTER FUNCTION rosterd_kibo_ts(timestamptz) STABLE;
ALTER FUNCTION rosterd_cursor(timestamptz, uuid) STABLE;
ALTER FUNCTION rosterd_cursor_ts(bigint) STABLE;
