# t_stmtcache.py: the SQL text of SCIM's filtered lists (db_exec_sql()) runs
# as a statement prepared on the worker's connection once the same text has
# been seen there before: PostgreSQL's log (log_statement = all) names it
# sql_<n> instead of <unnamed>. A new connection forgets those names, and a
# migration that changes a prepared text's result type costs no request.
#
# Exec'd by test_api.py into its globals after t_scim.py, whose _scim_*
# helpers it uses; every top-level name of this file starts with _stmtc_ or
# stmtcache_.

_stmtc_USERNAME_SQL = "lower(u.username) = lower($"


def _stmtc_pg_log():
    with open(os.path.join(PG_DIR, "postgresql.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def _stmtc_mark():
    """Logs a marker statement, waits until PostgreSQL's log has it."""
    mark = f"it_stmtc_mark_{uuid.uuid4().hex}"
    psql(f"SELECT '{mark}'", user="postgres")
    wait_until(lambda: mark in _stmtc_pg_log(), f"PostgreSQL to log {mark}", timeout=60)
    return mark


def _stmtc_since(mark):
    log = _stmtc_pg_log()
    return log[log.index(mark):]


def _stmtc_executes(seg, needle):
    """The names of the statements executed in log segment seg whose text
    has needle (<unnamed> for unnamed ones)."""
    names = []
    for line in seg.splitlines():
        if "LOG:  execute " in line and needle in line:
            names.append(line.split("LOG:  execute ", 1)[1].split(":", 1)[0])
    return names


def _stmtc_search(path, want_id, what):
    """GET path (a filter matching exactly user want_id), checked."""
    b = _scim_list(path)
    eq(b["totalResults"], 1, f"{what}: totalResults")
    eq(b["Resources"][0]["id"], want_id, f"{what}: the user found")


def _stmtc_keyed_search(flt, want_id, what):
    """POST /Users/.search with an Idempotency-Key (its statements run in
    the key's transaction, a pipeline), checked."""
    r = _scim("POST", "/Users/.search", {"filter": flt},
              headers={"Idempotency-Key": unique("stmtc")})
    eq(r.status, 200, f"{what} ({r!r})")
    eq([x["id"] for x in r.json()["Resources"]], [want_id], f"{what}: the user found")


def _stmtc_until_named(path, want_id, what, run=None):
    """Runs path (or run()) until PostgreSQL logs it executed by a sql_<n>
    name (each worker prepares a text the second time it sees it); every
    answer is checked. Returns the names seen."""
    mark = _stmtc_mark()
    seen = []
    run = run or (lambda: _stmtc_search(path, want_id, what))

    def named():
        run()
        end = _stmtc_mark()
        seg = _stmtc_since(mark)
        seg = seg[:seg.index(end)]
        seen[:] = _stmtc_executes(seg, _stmtc_USERNAME_SQL)
        return any(n.startswith("sql_") for n in seen)
    wait_until(named, f"{what}: an execution by name", timeout=120)
    return seen


def _stmtc_log_all(on):
    if on:
        psql("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();", user="postgres")
    else:
        psql("ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf();", user="postgres")


@test
def stmtcache_scim_filter_text_runs_prepared():
    u = _scim_new_user()
    _stmtc_log_all(True)
    try:
        # Texts of shapes nothing else sends (userName eq ... or'ed k
        # times), each sent once: unnamed, whichever worker gets it.
        # (A session sees the new log_statement from its next command
        # on: shapes are tried until one is logged.)
        logged = []

        def shape(k):
            return "/Users?filter=" + _scim_q(" or ".join(
                [f'userName eq "{u["userName"]}"'] +
                [f'userName eq "{uuid.uuid4()}@example.invalid"' for _ in range(k)]))
        k = [6]

        def once():
            k[0] += 1
            mark = _stmtc_mark()
            _stmtc_search(shape(k[0]), u["id"], f"{k[0]} or'ed terms")
            end = _stmtc_mark()
            seg = _stmtc_since(mark)
            logged[:] = _stmtc_executes(seg[:seg.index(end)], _stmtc_USERNAME_SQL)
            return logged
        wait_until(once, "log_statement in rosterd's sessions (a SCIM filter logged)",
                   timeout=120)
        eq(logged, ["<unnamed>"], "a text seen for the first time runs unnamed")
        path = shape(k[0])
        # The same text again (other values): by name, sooner or later on
        # each worker.
        names = _stmtc_until_named(path, u["id"], "the same filter again")
        check(all(n == "<unnamed>" or n.startswith("sql_") for n in names), f"names {names}")
        # userName eq alone, as clients send it.
        path = "/Users?filter=" + _scim_q(f'userName eq "{u["userName"]}"')
        _stmtc_until_named(path, u["id"], "userName eq")
        # Inside the pipeline of an Idempotency-Key: by the name the
        # worker prepared it under outside (never prepared there).
        flt = f'userName eq "{u["userName"]}"'
        _stmtc_until_named(None, u["id"], "a keyed search", run=lambda: _stmtc_keyed_search(
            flt, u["id"], "a keyed search"))
    finally:
        _stmtc_log_all(False)


@test
def stmtcache_new_connections_forget_prepared_text():
    """Every rosterd session ends: the workers reconnect, and the texts they
    had prepared run again (a name the new session lacks would fail)."""
    u = _scim_new_user()
    path = "/Users?filter=" + _scim_q(f'userName eq "{u["userName"]}"')
    _stmtc_log_all(True)
    try:
        _stmtc_until_named(path, u["id"], "before the sessions end")
        # every session made after this moment is a new one
        ended = end_rosterd_sessions(timeout=60)
        for i in range(4 * WORKERS):
            _stmtc_search(path, u["id"], f"after the sessions ended, #{i}")
        _stmtc_until_named(path, u["id"], "prepared again on the new sessions")

        # Every worker reconnected before the next test: a worker that
        # finds its connection lost under a write answers 503 (the write
        # may have been done), so the searches (reads, which reconnect)
        # go on until each worker has a new session.
        def reconnected():
            _stmtc_search(path, u["id"], "until every worker reconnected")
            return int(sql_one("SELECT count(*) FROM pg_stat_activity WHERE "
                               "application_name = 'rosterd' AND backend_start > "
                               f"{lit(ended)}::timestamptz")) >= WORKERS
        wait_until(reconnected, "every worker's new session", timeout=120)
    finally:
        _stmtc_log_all(False)


@test
def stmtcache_result_type_change_costs_no_request():
    """A migration changes the result type of a prepared text (users.title
    becomes varchar): PostgreSQL refuses the prepared statement ("cached
    plan must not change result type"), and rosterd drops it and runs the
    text unnamed, in the same request."""
    u = _scim_new_user(title="Engineer")
    path = "/Users?filter=" + _scim_q(f'userName eq "{u["userName"]}"')
    _stmtc_log_all(True)
    altered = False
    try:
        _stmtc_until_named(path, u["id"], "before the migration")
        mark = _stmtc_mark()
        psql("ALTER TABLE users ALTER COLUMN title TYPE varchar(300)", user="postgres")
        altered = True

        def refused():
            b = _scim_list(path)
            eq(b["totalResults"], 1, "after the migration: totalResults")
            eq(b["Resources"][0].get("title"), "Engineer", "after the migration: title")
            return "cached plan must not change result type" in _stmtc_since(mark)
        wait_until(refused, "a prepared text refused after the migration", timeout=120)
        _stmtc_until_named(path, u["id"], "prepared again after the migration")
    finally:
        if altered:
            psql("ALTER TABLE users ALTER COLUMN title TYPE text", user="postgres")
        _stmtc_log_all(False)
