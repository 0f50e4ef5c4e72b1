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
    text unnamed, in the same request.  A statement of the table, prepared
    when the connection was made (seed 004's create returns the title),
    is refused the same way: the worker connects again, which prepares
    every statement on the new schema, and runs it, in the same request.
    So does one whose users_limits trigger (PL/pgSQL, compiled once per
    session) was compiled before the change: when the column gets its own
    type back after, every worker's next user write connects again, and
    each is answered."""
    was = sql_one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                  " WHERE attrelid = 'users'::regclass AND attname = 'title'")
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
        # a create on every worker (each connection's prepared create is
        # refused once), each answered 200 with the title
        for i in range(4 * WORKERS):
            r = post_user(new_user(Title="Engineer"))
            eq(r.status, 200, f"seed 004 create {i} after the migration ({r!r})")
            eq(r.json()["Title"], "Engineer", f"seed 004 create {i}: Title")
        with open(os.path.join(TMP, "rosterd.log"), "rb") as f:
            check(b"connecting again to prepare every statement" in f.read(),
                  "rosterd's log says why a worker connected again")
    finally:
        if altered:
            psql(f"ALTER TABLE users ALTER COLUMN title TYPE {was}", user="postgres")
        _stmtc_log_all(False)
    # every worker's trigger was compiled on varchar: a write of a user on
    # each connects again; the seed 004 create returns the title too
    for i in range(4 * WORKERS):
        r = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("stc"),
                                                     "title": "Engineer"})
        eq(r.status, 201, f"/v1 create {i} with the type back ({r!r})")
        r = post_user(new_user(Title="Engineer"))
        eq(r.status, 200, f"seed 004 create {i} with the type back ({r!r})")


@test
def stmtcache_few_names_run_the_prepared_membership_forms():
    """A bulk add or removal of a few names, and the removal of one member,
    run the statements' _few forms (prepared, one cached plan); past 100
    names, the forms planned for their arrays' sizes."""
    g = v1_group()
    users = [v1_user() for _ in range(3)]
    ids = [u["id"] for u in users]
    base = f"/tenants/{TENANT_A}/groups/{g['id']}"
    _stmtc_log_all(True)
    try:
        def logged(what, run, name, needle):
            """Runs run() until PostgreSQL's log has the statement whose
            text has needle executed as name (a session sees the new
            log_statement from its next command)."""
            def once():
                mark = _stmtc_mark()
                run()
                end = _stmtc_mark()
                seg = _stmtc_since(mark)
                return name in _stmtc_executes(seg[:seg.index(end)], needle)
            wait_until(once, f"{what}: executed as {name}", timeout=120)

        def by_name():
            r = v1("POST", base + "/members", {"usernames": [users[0]["username"]]})
            eq(r.status, 200, f"an add by username ({r!r})")

        def remove_two():
            r = v1("POST", base + "/members:remove", {"userIds": ids[1:]})
            eq(r.status, 200, f"a removal of two ({r!r})")

        def remove_one():
            r = v1("DELETE", f"{base}/members/{ids[0]}")
            check(r.status in (204, 404), f"a member's removal ({r!r})")

        def remove_many():
            r = v1("POST", base + "/members:remove",
                   {"userIds": ids + [str(uuid.uuid4()) for _ in range(101)]})
            eq(r.status, 200, f"a removal of 104 ({r!r})")
        adds, removes = "req_name AS", "'group.members.remove'"
        logged("an add by username", by_name, "member_add_by_few", adds)
        logged("a removal of two", remove_two, "member_remove_few", removes)
        logged("a member's removal", remove_one, "member_remove_few", removes)
        # planned for its array, on every run: unnamed
        logged("a removal of 104", remove_many, "<unnamed>", removes)
    finally:
        _stmtc_log_all(False)


def _stmtc_unnest_rows(name, args, mode):
    """The rows PostgreSQL's plan of statement name (its text from
    `rosterctl statements`), run with args under plan_cache_mode mode,
    expects from each unnest() of its arrays."""
    r = rosterctl("statements", name)
    eq(r.returncode, 0, f"rosterctl statements {name}")
    text = r.stdout.decode().strip().rstrip(";")
    out = psql(f"BEGIN;\nPREPARE it_plan AS {text};\n"
               f"SET LOCAL plan_cache_mode = {mode};\n"
               f"EXPLAIN (FORMAT JSON) EXECUTE it_plan({args});\nROLLBACK;\n")
    rows = []

    def walk(node):
        if node.get("Function Name") == "unnest":
            rows.append(node["Plan Rows"])
        for sub in node.get("Plans", []):
            walk(sub)
    walk(json.loads("\n".join(out))[0]["Plan"])
    check(rows, f"{name}: an unnest() in its plan")
    return rows


@test
def stmtcache_few_membership_forms_plan_alike_for_every_array():
    """The _few forms read their arrays by a sub-select, so that a plan made
    for the values of a run (a custom plan) expects what the generic plan
    does: PostgreSQL, comparing them after five runs, then keeps the
    generic one instead of planning each run. The forms planned for their
    arrays' sizes expect as many rows as the array has."""
    g = v1_group()
    u = v1_user()
    head = f"{lit(TENANT_A)}, {lit(g['id'])}, "
    one = f"ARRAY[{lit(u['id'])}]::uuid[], "
    by_name = f"'{{}}'::uuid[], ARRAY[{lit(u['username'])}], ARRAY['x@example.com'], "
    for name, args in (("member_add_few", head + one + "'it', 'it'"),
                       ("member_add_by_few", head + by_name + "'it', 'it'"),
                       ("member_remove_few", head + one + "'it', 'it'")):
        custom = _stmtc_unnest_rows(name, args, "force_custom_plan")
        generic = _stmtc_unnest_rows(name, args, "force_generic_plan")
        eq(custom, generic, f"{name}: the rows expected from its arrays, custom and generic")
    for name, args in (("member_add", head + one + "'it', 'it'"),
                       ("member_add_by", head + by_name + "'it', 'it'"),
                       ("member_remove", head + one + "'it', 'it'")):
        custom = _stmtc_unnest_rows(name, args, "force_custom_plan")
        eq(set(custom), {1}, f"{name}: planned for its one-name arrays")
