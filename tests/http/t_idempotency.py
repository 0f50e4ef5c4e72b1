# t_idempotency.py: every documented Idempotency-Key behaviour
# (docs/api.md "Idempotency-Key", src/idempotency.c), checked on the
# database as well as on the answers: a replay is the first answer and
# writes nothing; another request with the key is 422; requests racing
# with one key run once (the others wait for the first and get its
# answer, or 409 "in progress" once idempotency_wait_ms has passed);
# keys are per tenant and per caller; public routes ignore the header;
# neither a 4xx nor a 5xx is kept; the request hash is an HMAC under the
# installation's secret; the reservation, the write and the stored answer
# commit together, so a worker killed between them leaves nothing
# behind; a key expires after 24 hours; a bad key is 400 naming the
# header; all of it on every POST route of an authenticated caller.
#
# Exec'd by test_api.py into its globals: request(), v1(), psql(),
# problem(), ROUTE_CALLS, @test ... are test_api.py's; every top-level
# name of this file starts with _idem_.

_idem_REPLAYED = "Idempotent-Replayed"
_idem_IN_PROGRESS = "A request with this Idempotency-Key is still in progress."
_idem_OTHER = "This Idempotency-Key was used with a different request."


def _idem_rows(tenant, key):
    """The idempotency rows of (tenant, key), of key in any scope when
    tenant is None: [(status, age in seconds)]."""
    scope = "" if tenant is None else f"tenant_id = {lit(tenant)} AND "
    return [tuple(x.split("|")) for x in psql(
        f"SELECT status, floor(extract(epoch FROM now() - created_at))::bigint "
        f"FROM idempotency WHERE {scope}key = {lit(key)}")]


def _idem_users_named(tenant, username):
    return int(sql_one(f"SELECT count(*) FROM users WHERE tenant_id = {lit(tenant)} "
                       f"AND lower(username) = lower({lit(username)})"))


def _idem_key(label="k"):
    return "it-" + label + "-" + uuid.uuid4().hex


def _idem_race(n, method, path, body, headers, token="default"):
    """n requests sent at once: each on its own connection, opened (TLS
    handshake done) before a barrier releases them all together."""
    if token == "default":
        token = default_token()
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        conn = connect(timeout=60)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            out[i] = request(method, path, body, token=token, headers=headers, conn=conn)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = e
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [r for r in out if not isinstance(r, Resp)]
    check(not bad, f"requests failed: {bad[:2]}")
    return out


class _idem_lock_users:
    """with _idem_lock_users(): … holds LOCK TABLE users IN ACCESS EXCLUSIVE
    MODE in a session of its own, so that a write to users blocks
    until the block ends."""

    APP = "it-idem-lock"

    def __enter__(self):
        self.db = pg_session(self.APP)
        self.db.query("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, et, ev, tb):
        try:
            self.db.query("COMMIT")
        finally:
            self.db.close()
        return False


_idem_HOLD = 7243911  # the advisory lock _idem_hold_answer's trigger waits for


class _idem_hold_answer:
    """with _idem_hold_answer(key): … holds every request that stores an
    answer under key as it stores it, its writes made and uncommitted: a
    trigger on idempotency waits for an advisory lock that a session
    of its own holds until the block ends."""

    APP = "it-idem-hold"

    def __init__(self, key):
        self.key = key
        self.db = None

    def __enter__(self):
        psql(f"""CREATE FUNCTION it_idem_hold() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN PERFORM pg_advisory_xact_lock_shared({_idem_HOLD}); RETURN NULL; END $$;
                 CREATE TRIGGER it_idem_hold AFTER INSERT ON idempotency FOR EACH ROW
                 WHEN (NEW.key = {lit(self.key)}) EXECUTE FUNCTION it_idem_hold();""",
             user="postgres")
        self.db = pg_session(self.APP)
        self.db.query(f"SELECT pg_advisory_lock({_idem_HOLD})")
        return self

    def release(self):
        """Lets the held requests go on (the block's end does it too)."""
        if self.db is None:
            return
        try:
            self.db.query(f"SELECT pg_advisory_unlock({_idem_HOLD})")
        finally:
            self.db.close()
            self.db = None

    def __exit__(self, et, ev, tb):
        try:
            self.release()
        finally:
            psql("DROP TRIGGER IF EXISTS it_idem_hold ON idempotency; "
                 "DROP FUNCTION IF EXISTS it_idem_hold();", user="postgres")
        return False


def _idem_wait(cond, what, timeout=60):
    """Polls cond() until it holds; the deadline only guards against a hang."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Fail(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def _idem_kept_connections():
    """FastCGI connections open between nginx and rosterd (the server ends
    of the listening socket's connections, from /proc/net/unix)."""
    n = 0
    with open("/proc/net/unix") as f:
        for line in f.read().splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 8 and cols[7] == ENV["RT_SOCK"] and cols[5] == "03":
                n += 1
    return n


def _idem_blocked_workers():
    """Backends of rosterd waiting for a lock."""
    return psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'rosterd' "
                "AND wait_event_type = 'Lock'")


class _idem_background:
    """One request in a thread of its own; .result() waits for its answer."""

    def __init__(self, *args, **kw):
        self.out = None
        kw.setdefault("timeout", 60)
        self.t = threading.Thread(target=self._run, args=args, kwargs=kw)
        self.t.start()

    def _run(self, *args, **kw):
        try:
            self.out = request(*args, **kw)
        except Exception as e:  # noqa: BLE001 - reported by result()
            self.out = e

    def result(self):
        self.t.join(120)
        check(not self.t.is_alive(), "the background request did not end")
        check(isinstance(self.out, Resp), f"the background request failed: {self.out!r}")
        return self.out


def _idem_text(r):
    return r.body.decode("utf-8", "replace")


@test
def idempotency_replay_is_the_first_answer_and_writes_nothing():
    key = _idem_key("replay")
    path = f"/v1/tenants/{TENANT_A}/users"
    body = {"username": unique("idr"), "email": unique("idr") + "@example.com"}
    h = {"Idempotency-Key": key}
    first = request("POST", path, body, headers=h)
    eq(first.status, 201, f"first ({first!r})")
    eq(first.header(_idem_REPLAYED), None, "first answer marked replayed")
    eq([s for s, _ in _idem_rows(TENANT_A, key)], ["201"], "the stored status")
    for n in range(2):
        with NothingWritten(f"replay {n + 1}"):
            again = request("POST", path, body, headers=h)
        eq((again.status, again.body), (first.status, first.body), f"replay {n + 1}: answer")
        eq(again.header(_idem_REPLAYED), "true", f"replay {n + 1}: {_idem_REPLAYED}")
        for name in ("Location", "ETag", "Content-Type"):
            eq(again.header(name), first.header(name), f"replay {n + 1}: {name}")
    eq(_idem_users_named(TENANT_A, body["username"]), 1, "users rows")
    # Anything that is not the same request: 422, and nothing written.
    others = [
        ("another body", path, dict(body, firstName="Other"), "application/json", {}),
        ("the same body, reordered", path,
         json.dumps({"email": body["email"], "username": body["username"]}),
         "application/json", {}),
        ("another media type", path, json.dumps(body), "text/json", {}),
        ("another query", path + "?x=1", body, "application/json", {}),
        ("another path", f"/v1/tenants/{TENANT_A}/roles", {"name": unique("idr")},
         "application/json", {}),
    ]
    for label, p, b, ct, extra in others:
        with NothingWritten(label):
            r = request("POST", p, b, ctype=ct, headers=dict(h, **extra))
        if ct == "text/json":
            # refused before it reaches the database: its own 4xx
            problem(r, 415)
            continue
        problem(r, 422)
        eq(r.json().get("detail"), _idem_OTHER, f"{label}: detail")
        eq(r.header(_idem_REPLAYED), None, f"{label}: marked replayed")
    eq(_idem_rows(TENANT_A, key)[0][0], "201", "the stored answer after the 422s")


@test
def idempotency_replay_of_a_stored_row_and_of_a_stored_response():
    """A /v1 create keeps its answer as its statement's row (result), and a
    retry renders that row again: the very same status, body, Location,
    ETag and Content-Type, for users, groups and roles. An answer kept as
    a rendered response (by the routes without a keyed variant, or before
    answers were kept as rows) is replayed as it is stored, on those
    routes too; another request with its key is 422."""
    t = TENANT_A
    cases = [("users", lambda: {"username": unique("idrow"), "email": unique("idrow") + "@x.org",
                                "active": False, "attributes": {"a\"b": "c,(d)"}}),
             ("groups", lambda: {"kind": "user", "code": unique("idrow"), "name": "g \"x\""}),
             ("roles", lambda: {"name": unique("idrow"), "isGroupAdmin": True})]
    for coll, mk in cases:
        path = f"/v1/tenants/{t}/{coll}"
        key = _idem_key("row")
        body = mk()
        h = {"Idempotency-Key": key}
        first = request("POST", path, body, headers=h)
        eq(first.status, 201, f"{coll}: first ({first!r})")
        eq(psql(f"SELECT result IS NOT NULL, response IS NULL FROM idempotency "
                f"WHERE tenant_id = {lit(t)} AND key = {lit(key)}"), ["t|t"],
           f"{coll}: the answer kept as the row")
        with NothingWritten(f"{coll}: replay"):
            again = request("POST", path, body, headers=h)
        eq((again.status, again.body), (first.status, first.body), f"{coll}: replay")
        eq(again.header(_idem_REPLAYED), "true", f"{coll}: {_idem_REPLAYED}")
        for name in ("Location", "ETag", "Content-Type"):
            check(first.header(name) is not None, f"{coll}: first answer without {name}")
            eq(again.header(name), first.header(name), f"{coll}: replay's {name}")
        # the same key's answer as a rendered response
        stored = b'{"stored":"as a response"}'
        psql(f"UPDATE idempotency SET result = NULL, status = 200,"
             f" content_type = 'application/json', response = decode({lit(stored.hex())}, 'hex'),"
             f" location = '/elsewhere', etag = '\"42\"'"
             f" WHERE tenant_id = {lit(t)} AND key = {lit(key)}")
        with NothingWritten(f"{coll}: replay of a response"):
            old = request("POST", path, body, headers=h)
        eq((old.status, old.body, old.header(_idem_REPLAYED)), (200, stored, "true"),
           f"{coll}: replay of a stored response")
        eq((old.header("Location"), old.header("ETag")), ("/elsewhere", '"42"'),
           f"{coll}: replay of a stored response: Location, ETag")
        with NothingWritten(f"{coll}: another request"):
            other = request("POST", path, mk(), headers=h)
        problem(other, 422)
        eq(other.json().get("detail"), _idem_OTHER, f"{coll}: another request: detail")


@test
def idempotency_concurrent_same_key_runs_once():
    """2 and then 8 requests with one key and one body, released together:
    exactly one runs (one row, one idempotency row, one audit row); every
    other one gets the replay (the same answer) or 409 "in progress",
    never a second execution. Users (where a second run would also meet
    the username's unique index) and invites (where nothing else stops a
    second run)."""
    seen = {}
    problems = []
    for n, family in ((2, "users"), (2, "invites"), (2, "users"), (2, "invites"),
                      (8, "users"), (8, "invites"), (8, "users"), (8, "invites")):
        try:
            _idem_race_round(n, family, seen)
        except Fail as e:
            problems.append(f"{n} at once, {family}: {e}")
    print(f"# concurrent Idempotency-Key: {seen}", flush=True)
    for p in problems:
        print(f"# concurrent Idempotency-Key: {p}", flush=True)
    check(not problems, f"{len(problems)} of 8 rounds: " + " | ".join(problems))


def _idem_race_round(n, family, seen):
    key = _idem_key(f"race{n}")
    if family == "users":
        path = f"/v1/tenants/{TENANT_A}/users"
        body = {"username": unique("idc"), "email": unique("idc") + "@example.com"}
        rows = lambda: _idem_users_named(TENANT_A, body["username"])
        once = ()
    else:
        path = f"/v1/tenants/{TENANT_A}/invites"
        body = {"email": unique("idc") + "@example.com"}
        rows = lambda: int(sql_one(f"SELECT count(*) FROM invites WHERE tenant_id = "
                                   f"{lit(TENANT_A)} AND lower(email) = "
                                   f"lower({lit(body['email'])})"))
        once = ("token",)
    out = _idem_race(n, "POST", path, body, {"Idempotency-Key": key})
    for r in out:
        if r.status == 201 and once:
            ALL_TOKENS.extend(str(r.json().get(f)) for f in once if r.json().get(f))
    ran = [r for r in out if r.status == 201 and r.header(_idem_REPLAYED) is None]
    others = [r for r in out if r not in ran]
    eq(rows(), 1, f"rows made (answers {out})")
    eq(len(ran), 1, f"executions ({out})")
    for r in others:
        if r.status == 409:
            problem(r, 409)
            eq(r.json().get("detail"), _idem_IN_PROGRESS, "409 detail")
            eq(r.header(_idem_REPLAYED), None, "a 409 marked replayed")
            seen["409"] = seen.get("409", 0) + 1
        else:
            eq((r.status, r.header(_idem_REPLAYED), _idem_without(r.body, once)),
               (201, "true", _idem_without(ran[0].body, once)), f"not the replay ({r!r})")
            seen["replay"] = seen.get("replay", 0) + 1
    eq([s for s, _ in _idem_rows(TENANT_A, key)], ["201"], "idempotency rows")
    eq(audit_rows_mentioning(TENANT_A, ran[0].json()["id"]), 1, "audit rows")
    r = request("POST", path, body, headers={"Idempotency-Key": key})
    eq((r.status, r.header(_idem_REPLAYED), _idem_without(r.body, once)),
       (201, "true", _idem_without(ran[0].body, once)), "a later retry")


@test
def idempotency_409_while_the_first_is_running():
    """The first request with a key is held inside its write (as it stores
    its answer); its reservation is invisible to other sessions; 7 more with
    the key, released together, each wait idempotency_wait_ms for it and
    are then 409 "in progress" with Retry-After (another body too: it
    cannot be told apart before the first commits), and write nothing;
    once the lock goes, the first completes, and only it wrote."""
    path = f"/v1/tenants/{TENANT_A}/users"
    key = _idem_key("held")
    body = {"username": unique("idh")}
    h = {"Idempotency-Key": key}
    _idem_reload_with(["idempotency_wait_ms = 50"])
    try:
        _idem_409_while_held(path, key, body, h)
    finally:
        _idem_reload_with(None)


def _idem_409_while_held(path, key, body, h):
    # A worker serves every connection nginx keeps open to it, one request
    # at a time: a request nginx sends on an idle kept connection of the
    # worker that holds the first request would wait for it. With none
    # kept (nginx closes idle ones after its upstream keepalive_timeout),
    # the first request opens the blocked worker's only connection, and
    # the others are accepted by the other worker.
    _idem_wait(lambda: _idem_kept_connections() == 0, "nginx to close its kept connections")
    with _idem_hold_answer(key):
        first = _idem_background("POST", path, body, headers=h)
        _idem_wait(lambda: _idem_blocked_workers(), "the first request to hold the key")
        # The reservation is not committed: no other session sees it.
        eq(_idem_rows(TENANT_A, key), [], "the reservation of a request in flight")
        # the first's user is not committed: users is counted once it is.
        before = versions(skip=("users",))
        t0 = time.monotonic()
        out = _idem_race(7, "POST", path, body, h)
        other = request("POST", path, dict(body, title="x"), headers=h, timeout=60)
        took = time.monotonic() - t0
        for r in out:
            problem(r, 409)
            eq(r.json().get("detail"), _idem_IN_PROGRESS, "409 detail")
            eq(r.header("Retry-After"), "1", "409 Retry-After")
        # Another request with the key waits too, and is 409 as well: it
        # cannot tell until the first commits.
        problem(other, 409)
        after = versions(skip=("users",))
        check(after == before, f"rows changed by the 409s and the 422 ({took:.1f} s): "
              f"{before} -> {after}; keys: {psql('SELECT key, status, xmin FROM idempotency')}")
        eq(first.out, None, "the first request answered while it was held")
    r = first.result()
    eq((r.status, r.header(_idem_REPLAYED)), (201, None), f"the first request ({r!r})")
    eq(_idem_users_named(TENANT_A, body["username"]), 1, "users rows")
    eq([s for s, _ in _idem_rows(TENANT_A, key)], ["201"], "idempotency rows")
    again = request("POST", path, body, headers=h)
    eq((again.status, again.body, again.header(_idem_REPLAYED)), (201, r.body, "true"),
       "the retry afterwards")


@test
def idempotency_request_racing_the_first_reservation_does_not_run():
    """The race of two requests with one key, made certain: a trigger holds
    the first request as it stores its answer, its invite written and
    uncommitted (it waits for an advisory lock this test holds), while the
    second request starts and waits for the first's key; then the first
    goes on. The second must not run: it waits for the first's commit
    (idempotency_wait_ms is long here) and gets the replay, and one invite
    is made, not two."""
    path = f"/v1/tenants/{TENANT_A}/invites"
    key = _idem_key("hold")
    body = {"email": unique("idrace") + "@example.com"}
    h = {"Idempotency-Key": key}
    _idem_reload_with(["idempotency_wait_ms = 600000"])
    try:
        with _idem_hold_answer(key) as hold:
            # No kept FastCGI connection: the two requests reach two workers.
            _idem_wait(lambda: _idem_kept_connections() == 0,
                       "nginx to close its kept connections")

            def waiting(event):
                return int(sql_one("SELECT count(*) FROM pg_stat_activity WHERE "
                                   f"application_name = 'rosterd' AND wait_event = {lit(event)}"))

            first = _idem_background("POST", path, body, headers=h)
            _idem_wait(lambda: waiting("advisory") == 1, "the first request in the trigger")
            second = _idem_background("POST", path, body, headers=h)
            # the first waits in the trigger, the second for the first's key
            _idem_wait(lambda: waiting("advisory") == 2,
                       "the second request to wait for the first's key")
            hold.release()
            a, b = first.result(), second.result()
    finally:
        _idem_reload_with(None)
    for r in (a, b):
        if r.status == 201 and r.json().get("token"):
            ALL_TOKENS.append(r.json()["token"])
    eq((a.status, a.header(_idem_REPLAYED)), (201, None), f"the first request ({a!r})")
    invites = int(sql_one(f"SELECT count(*) FROM invites WHERE tenant_id = {lit(TENANT_A)} "
                          f"AND lower(email) = lower({lit(body['email'])})"))
    check(b.status != 201 or b.header(_idem_REPLAYED) == "true",
          f"the second request ran as well ({b!r}); invites made: {invites}")
    eq((b.status, b.header(_idem_REPLAYED), _idem_without(b.body, ("token",))),
       (201, "true", _idem_without(a.body, ("token",))), "the second request's answer")
    eq(invites, 1, "invites made")
    eq([s for s, _ in _idem_rows(TENANT_A, key)], ["201"], "idempotency rows")


def _idem_reload_with(extra_lines):
    """Rewrites the test config with extra lines (or restores it, None)
    and reloads the main rosterd."""
    saved = getattr(_idem_reload_with, "saved", None)
    if saved is None:
        with open(CONF) as f:
            saved = _idem_reload_with.saved = f.read()
    text = saved if extra_lines is None else saved + "".join(l + "\n" for l in extra_lines)
    with open(CONF + ".new", "w") as f:
        f.write(text)
    os.replace(CONF + ".new", CONF)
    reload_main()


@test
def idempotency_5xx_is_not_kept():
    """A request whose write runs into statement_timeout_ms (users is
    locked) is 503, and its key is freed: the retry with the same key
    runs for real once the lock is gone. The same when the worker's
    database connection is killed in the middle of the write.
    Behind pgbouncer the session has no statement_timeout (the role's
    settings hold there): the worker gives the connection up at its
    deadline and answers 503, but the keyed create, its stored answer and
    its commit were sent together and complete once the lock is gone, so
    the retry gets that answer, replayed, and there is still one row."""
    pooled = os.environ.get("RT_PGBOUNCER") == "1"
    path = f"/v1/tenants/{TENANT_A}/users"
    body = {"username": unique("id5")}
    key = _idem_key("timeout")
    h = {"Idempotency-Key": key}
    _idem_reload_with(["statement_timeout_ms = 2000"])
    try:
        with _idem_lock_users():
            bg = _idem_background("POST", path, body, headers=h)
            _idem_wait(lambda: _idem_blocked_workers(), "the request to block on users")
            r = bg.result()
            eq(r.status, 503, f"the write that timed out ({r!r})")
            problem(r, 503)
            eq(_idem_rows(TENANT_A, key), [], "the key of the 503 is still stored")
        if not pooled:
            eq(_idem_users_named(TENANT_A, body["username"]), 0,
               "users rows after the 503 of the timeout")
    finally:
        _idem_reload_with(None)
    r = request("POST", path, body, headers=h)
    eq((r.status, r.header(_idem_REPLAYED)), (201, "true" if pooled else None),
       f"the retry ({r!r})")
    eq(_idem_users_named(TENANT_A, body["username"]), 1, "users rows after the retry")
    eq([s for s, _ in _idem_rows(TENANT_A, key)], ["201"], "the answer is kept")

    # The worker's connection killed while it waits: 503, key freed.
    body = {"username": unique("id5k")}
    key = _idem_key("killed")
    h = {"Idempotency-Key": key}
    with _idem_lock_users():
        bg = _idem_background("POST", path, body, headers=h)
        _idem_wait(lambda: _idem_blocked_workers(), "the request to block on users")
        pids = _idem_blocked_workers()
        eq(len(pids), 1, "rosterd backends waiting for the lock")
        psql(f"SELECT pg_terminate_backend({int(pids[0])})")
    # (The lock goes at once: the worker's new connection prepares its
    # statements, and a PREPARE waits for a lock on any table it names.)
    r = bg.result()
    eq(r.status, 503, f"the write whose connection was killed ({r!r})")
    eq(_idem_rows(TENANT_A, key), [], "the key of the 503 is still stored")
    eq(_idem_users_named(TENANT_A, body["username"]), 0,
       "users rows after the 503 of the killed connection")
    r = request("POST", path, body, headers=h)
    eq((r.status, r.header(_idem_REPLAYED)), (201, None), f"the retry runs ({r!r})")
    eq(_idem_users_named(TENANT_A, body["username"]), 1, "users rows after the retry")


@test
def idempotency_key_expires_after_24_hours():
    """A key younger than 24 hours replays even when what it made is gone;
    one older than 24 hours runs the request again."""
    path = f"/v1/tenants/{TENANT_A}/users"
    body = {"username": unique("idx")}
    key = _idem_key("expiry")
    h = {"Idempotency-Key": key}
    first = request("POST", path, body, headers=h)
    eq(first.status, 201, f"first ({first!r})")
    uid = first.json()["id"]
    eq(v1("DELETE", f"/tenants/{TENANT_A}/users/{uid}").status, 204, "delete the user")
    age = (f"UPDATE idempotency SET created_at = now() - interval %s "
           f"WHERE tenant_id = {lit(TENANT_A)} AND key = {lit(key)}")
    psql(age % "'23 hours 59 minutes'")
    with NothingWritten("retry within 24 hours"):
        r = request("POST", path, body, headers=h)
    eq((r.status, r.body, r.header(_idem_REPLAYED)), (201, first.body, "true"),
       "within 24 hours: the replay")
    eq(_idem_users_named(TENANT_A, body["username"]), 0, "users rows: the replay made none")
    psql(age % "'24 hours 1 minute'")
    r = request("POST", path, body, headers=h)
    eq((r.status, r.header(_idem_REPLAYED)), (201, None), f"after 24 hours: runs ({r!r})")
    check(r.json()["id"] != uid, "after 24 hours: the old answer")
    eq(_idem_users_named(TENANT_A, body["username"]), 1, "users rows after the new run")
    rows = _idem_rows(TENANT_A, key)
    eq(len(rows), 1, "idempotency rows")
    check(rows[0][0] == "201" and int(rows[0][1]) < 3600, f"the key's row not renewed: {rows}")
    again = request("POST", path, body, headers=h)
    eq((again.body, again.header(_idem_REPLAYED)), (r.body, "true"),
       "the renewed key replays the new answer")
    # An expired key with another request: runs (no 422).
    psql(age % "'25 hours'")
    other = {"username": unique("idx2")}
    r = request("POST", path, other, headers=h)
    eq((r.status, r.header(_idem_REPLAYED)), (201, None), f"expired key, other body ({r!r})")
    eq(_idem_users_named(TENANT_A, other["username"]), 1, "users rows of the other body")


@test
def idempotency_keys_are_per_tenant():
    """One key, and the very same request (path and body), in tenants A and
    B: each runs, once, in its own tenant; neither gets the other's
    answer. The tenant is the path's, else X-Tenant-Id, else the token's
    tid (the nil uuid when none)."""
    a, b = v1_tenant()["id"], v1_tenant()["id"]
    key = _idem_key("tenant")
    h = {"Idempotency-Key": key}
    sys_a = ctl_token("it-idem-sys-a", ["SystemAdmin"], TENANT_A)
    sys_notid = py_token(sub="it-idem-sys-notid", tid=None)
    # The same e-mail invited (seed 001) into A and into B.
    email = unique("idt") + "@example.com"
    answers = {}
    for t in (a, b):
        r = request("POST", "/usergroupuserinvite", {"eMail": email}, token=sys_a,
                    headers=dict(h, **{"X-Tenant-Id": t}))
        eq((r.status, r.header(_idem_REPLAYED)), (200, None), f"seed 001 in {t} ({r!r})")
        answers[t] = r.body
        eq(sql_one(f"SELECT count(*) FROM users WHERE tenant_id = {lit(t)} "
                   f"AND lower(email) = lower({lit(email)})"), "1", f"seed 001: user in {t}")
        eq([s for s, _ in _idem_rows(t, key)], ["200"], f"seed 001: key row of {t}")
    # The same user id and admin group code in both (seed 002).
    uid, code = str(uuid.uuid4()), unique("IdemAdm")
    for t in (a, b):
        psql(f"INSERT INTO users (tenant_id, id, username) VALUES ({lit(t)}, {lit(uid)}, "
             f"{lit(unique('idk'))})")
        v1_group(t, kind="admin", code=code)
    for t in (a, b):
        key2 = key + "-kibo"
        r = request("POST", f"/platform/adminuser/groups/{code}/addusers", [uid],
                    token=ctl_token("it-idem-tadm-" + t[:8], ["TenantAdmin"], t),
                    headers={"Idempotency-Key": key2})
        eq((r.status, r.header(_idem_REPLAYED)), (200, None), f"seed 002 in {t} ({r!r})")
        eq(sql_one(f"SELECT count(*) FROM group_members WHERE tenant_id = {lit(t)} "
                   f"AND user_id = {lit(uid)}"), "1", f"seed 002: membership in {t}")
        eq([s for s, _ in _idem_rows(t, key2)], ["200"], f"seed 002: key row of {t}")
    # POST /v1/tenants: scoped by X-Tenant-Id, else tid, else the nil uuid.
    name = unique("Idem scope ")
    for label, tok, hh, scope in (("tid A", sys_a, {}, TENANT_A),
                                  ("X-Tenant-Id B", sys_a, {"X-Tenant-Id": b}, b),
                                  ("no tenant", sys_notid, {}, ZERO_UUID)):
        r = request("POST", "/v1/tenants", {"name": name}, token=tok,
                    headers=dict(h, **hh, **{"Idempotency-Key": key + "-t"}))
        check(r.header(_idem_REPLAYED) is None, f"/v1/tenants, {label}: replayed another "
              f"scope's answer ({r!r})")
        check(r.status in (201, 409), f"/v1/tenants, {label}: status ({r!r})")
        # a 4xx (the name taken by the first) is not kept
        eq(len(_idem_rows(scope, key + "-t")), 1 if r.status == 201 else 0,
           f"/v1/tenants, {label}: key row")
    # The same path in the v1 dialect names the tenant: A's and B's.
    for t in (a, b):
        r = v1("POST", f"/tenants/{t}/roles", {"name": "Idem role"},
               headers={"Idempotency-Key": key + "-role"})
        eq((r.status, r.header(_idem_REPLAYED)), (201, None), f"v1 role in {t} ({r!r})")
        eq([s for s, _ in _idem_rows(t, key + "-role")], ["201"], f"v1 role: key row of {t}")


def _idem_post_routes(public=False):
    """The POST routes of the router: those of an authenticated caller, or
    (public=True) the public ones."""
    return [(m, p) for m, p, right, *_ in router_routes()
            if m == "POST" and (right == "public") == public]


# What a replay leaves out: secrets handed out once.
# Routes whose first answer starts work that goes on after it: the replay
# is checked once that work has ended (the import job runner updates its
# job's row and deletes its file; a replay must change nothing).
_idem_SETTLE = {"/v1/tenants/{tenantId}/imports":
                lambda first: _ij_wait(TENANT_A, first.json()["id"])}
_idem_ONCE = {"/v1/tenants/{tenantId}/invites": ("token",),
              "/v1/tenants/{tenantId}/api-tokens": ("token",),
              "/usergroupuserinvite": ("recoveryToken",),
              "/api/UserGroupUserInvite": ("recoveryToken",),
              "/json/reply/UserGroupUserInvite": ("recoveryToken",)}
# The same invite answered as XML, JSV or CSV (ServiceStack's predefined
# routes): its token (the tenant's 16 bytes and 32 random bytes, each
# base64url, joined by '.') is found by its shape.
_idem_ONCE_TEXT = {f"/{f}/reply/UserGroupUserInvite" for f in ("xml", "jsv", "csv")}
_idem_TOKEN_SHAPE = re.compile(rb"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")


def _idem_without(body, fields):
    try:
        v = json.loads(body)
    except ValueError:
        return body
    if isinstance(v, dict):
        for f in fields:
            v.pop(f, None)
    return v


@test
def idempotency_key_on_every_post_route():
    """Every POST of the router (ROUTE_CALLS' rightful call): the key's
    replay is the first answer and writes nothing; another request with
    the key is 422 in the dialect's shape and writes nothing. Every route
    is tried; the failures are listed together."""
    routes = _idem_post_routes()
    check(len(routes) >= 10, f"POST routes: {routes}")
    problems = []
    for method, pattern in routes:
        try:
            _idem_every_post_route_one(method, pattern)
        except Fail as e:
            problems.append(f"POST {pattern}: {e}")
    for p in problems:
        print(f"# Idempotency-Key: {p}", flush=True)
    check(not problems, f"{len(problems)} of {len(routes)} POST routes: " + " | ".join(problems))


def _idem_every_post_route_one(method, pattern):
    """One POST route: replay and 422."""
    name = f"POST {pattern}"
    make = ROUTE_CALLS.get((method, pattern))
    check(make is not None, f"{name}: no row in ROUTE_CALLS")
    m, path, body, ok = make(TENANT_A)
    key = _idem_key("every")
    h = {"Idempotency-Key": key}
    first = request(m, path, body, headers=h)
    eq(first.status, ok, f"{name}: first ({first!r})")
    eq(first.header(_idem_REPLAYED), None, f"{name}: first marked replayed")
    once = _idem_ONCE.get(pattern, ())
    text_token = None
    if pattern in _idem_ONCE_TEXT:
        found = _idem_TOKEN_SHAPE.findall(first.body)
        eq(len(found), 1, f"{name}: tokens in the first answer ({first.body!r})")
        text_token = found[0]
        ALL_TOKENS.append(text_token.decode())
    if once:
        for f in once:
            check(first.json().get(f), f"{name}: no {f} in the first answer")
            ALL_TOKENS.append(first.json()[f])
    if pattern in _idem_SETTLE:
        _idem_SETTLE[pattern](first)
    with NothingWritten(f"{name}: replay"):
        again = request(m, path, body, headers=h)
    eq((again.status, again.header(_idem_REPLAYED)), (ok, "true"), f"{name}: replay")
    eq(again.header("Content-Type"), first.header("Content-Type"),
       f"{name}: replay Content-Type")
    if once:
        eq(_idem_without(again.body, once), _idem_without(first.body, once),
           f"{name}: replayed body")
        for f in once:
            check(not again.json().get(f), f"{name}: {f} replayed")
    elif text_token is not None:
        check(text_token not in again.body, f"{name}: the token replayed ({again.body!r})")
        # the two answers differ only around the token: the same bytes
        # before it and after it
        a, b = first.body, again.body
        pre = 0
        while pre < min(len(a), len(b)) and a[pre] == b[pre]:
            pre += 1
        post = 0
        while post < min(len(a), len(b)) - pre and a[-1 - post] == b[-1 - post]:
            post += 1
        at = a.index(text_token)
        check(pre <= at and len(a) - post >= at + len(text_token) and
              len(a) - post - pre <= len(text_token) + 64,
              f"{name}: replayed body differs beyond the token ({a!r} / {b!r})")
    else:
        eq(again.body, first.body, f"{name}: replayed body")
    m2, path2, body2, _ = make(TENANT_A)
    check(path2 != path or body2 != body, f"{name}: ROUTE_CALLS made the same request")
    with NothingWritten(f"{name}: another request with the key"):
        r = request(m2, path2, body2, headers=h)
    eq(r.status, 422, f"{name}: another request with the key ({r!r})")
    r.json()  # the dialect's own error shape, JSON
    check("Idempotency-Key" in _idem_text(r), f"{name}: the 422 names no header ({r!r})")


@test
def idempotency_bad_keys_400_naming_the_header():
    """Empty, over 255 bytes, a space, a control character or a byte
    outside ASCII: 400 naming Idempotency-Key, in every POST route's
    dialect, and nothing written; 255 visible characters are a key."""
    bad = [("empty", ""), ("256 characters", "k" * 256), ("a space", "bad key"),
           ("a tab", "bad\tkey"), ("a control character", "bad\x01key"),
           ("DEL", "bad\x7fkey"), ("a byte outside ASCII", "caf\xe9")]
    for method, pattern in _idem_post_routes():
        name = f"POST {pattern}"
        m, path, body, ok = ROUTE_CALLS[(method, pattern)](TENANT_A)

        def refuse(label, key):
            r = request(m, path, body, headers={"Idempotency-Key": key})
            eq(r.status, 400, f"{name}: key with {label} ({r!r})")
            check("Idempotency-Key" in _idem_text(r),
                  f"{name}: key with {label}: the answer does not name the header ({r!r})")
        nothing_written_by_any(name, bad, refuse)
        key = uuid.uuid4().hex + "".join(chr(0x21 + i % 94) for i in range(255 - 32))
        r = request(m, path, body, headers={"Idempotency-Key": key})
        eq(r.status, ok, f"{name}: 255 visible characters ({r!r})")
        eq(r.header(_idem_REPLAYED), None, f"{name}: 255 characters: marked replayed")
        # the work it started ends before the next route's "nothing written"
        if pattern in _idem_SETTLE:
            _idem_SETTLE[pattern](r)


@test
def idempotency_ignored_on_public_routes():
    """A public route (POST /v1/invites/accept) ignores Idempotency-Key: an
    anonymous caller writes no idempotency row, whether the request fails
    (4xx) or succeeds, and a retry with the key runs again (no replay, no
    422, no 400 for a bad key)."""
    routes = _idem_post_routes(public=True)
    check(routes, "no public POST route")
    for method, pattern in routes:
        name = f"POST {pattern}"
        key = _idem_key("public")
        h = {"Idempotency-Key": key}
        before = sql_one("SELECT count(*) FROM idempotency")
        r = request(method, pattern, {}, token=None, headers=h)
        check(400 <= r.status < 500, f"{name}: empty body ({r!r})")
        r = request(method, pattern, {}, token=None, headers={"Idempotency-Key": "bad key"})
        check(400 <= r.status < 500 and "Idempotency-Key" not in _idem_text(r),
              f"{name}: a bad key is not looked at ({r!r})")
        m, path, body, ok = ROUTE_CALLS[(method, pattern)](TENANT_A)
        first = request(m, path, body, token=None, headers=h)
        eq(first.status, ok, f"{name}: with a key ({first!r})")
        again = request(m, path, body, token=None, headers=h)
        check(again.header(_idem_REPLAYED) is None and again.status != 422,
              f"{name}: the retry was not run again ({again!r})")
        eq(sql_one("SELECT count(*) FROM idempotency"), before,
           f"{name}: idempotency rows written for an anonymous caller")
        eq(_idem_rows(ZERO_UUID, key), [], f"{name}: the key's row")


@test
def idempotency_keys_are_per_caller():
    """Two TenantAdmins of one tenant (two subs) send the same request with
    the same key: each is its own key. The second runs for real (its own
    invite), and each caller's retry replays that caller's own answer."""
    path = f"/v1/tenants/{TENANT_A}/invites"
    key = _idem_key("caller")
    body = {"email": unique("idcall") + "@example.com"}
    h = {"Idempotency-Key": key}
    x = ctl_token("it-idem-caller-x", ["TenantAdmin"], TENANT_A)
    y = ctl_token("it-idem-caller-y", ["TenantAdmin"], TENANT_A)
    ax = request("POST", path, body, token=x, headers=h)
    ay = request("POST", path, body, token=y, headers=h)
    for r in (ax, ay):
        if r.status == 201 and r.json().get("token"):
            ALL_TOKENS.append(r.json()["token"])
    eq((ax.status, ax.header(_idem_REPLAYED)), (201, None), f"caller x ({ax!r})")
    eq((ay.status, ay.header(_idem_REPLAYED)), (201, None),
       f"caller y got caller x's stored answer ({ay!r})")
    check(ay.json()["id"] != ax.json()["id"], "caller y: caller x's invite")
    eq(sorted(s for s, _ in _idem_rows(TENANT_A, key)), ["201", "201"], "key rows")
    for tok, first, who in ((x, ax, "x"), (y, ay, "y")):
        with NothingWritten(f"caller {who}: retry"):
            r = request("POST", path, body, token=tok, headers=h)
        eq((r.status, r.header(_idem_REPLAYED), r.json()["id"]),
           (201, "true", first.json()["id"]), f"caller {who}: retry")


_idem_SECRET = "Tr0ub4dor&3 horse!"


@test
def idempotency_4xx_is_not_kept():
    """A 4xx answer is not stored (it may quote the request): no row, and
    the key is free: the corrected request with the same key runs. Seed
    000 with a plaintext Password where base64 is expected, and a v1 body
    without its required field."""
    key = _idem_key("4xx")
    h = {"Idempotency-Key": key}
    path = f"/v1/tenants/{TENANT_A}/users"
    r = request("POST", path, {"email": "x"}, headers=h)
    problem(r, 400)
    eq(_idem_rows(TENANT_A, key), [], "the row of a 400")
    good = {"username": unique("id4")}
    r = request("POST", path, good, headers=h)
    eq((r.status, r.header(_idem_REPLAYED)), (201, None), f"the corrected request ({r!r})")
    eq([s for s, _ in _idem_rows(TENANT_A, key)], ["201"], "the corrected request's row")
    # A tenant that does not exist: 404, twice (the create's form for a
    # new key keeps nothing then, and the keyed variant answers), no row.
    ghost = str(uuid.uuid4())
    key = _idem_key("4xx-tenant")
    for _ in range(2):
        with NothingWritten("a keyed create in a tenant that does not exist"):
            r = request("POST", f"/v1/tenants/{ghost}/users", {"username": unique("id4")},
                        headers={"Idempotency-Key": key})
        problem(r, 404)
        eq(r.header(_idem_REPLAYED), None, "the 404 marked replayed")
    eq(_idem_rows(ghost, key), [], "the row of a 404")
    # Seed 000: a Password that is not base64.
    m, p, body, ok = ROUTE_CALLS[("POST", "/Application/PostSecurityGroupUsers")](TENANT_A)
    check(isinstance(body, dict), f"seed 000 body: {body!r}")
    bad = dict(body, Password=_idem_SECRET)
    key = _idem_key("4xx-000")
    r = request(m, p, bad, headers={"Idempotency-Key": key})
    check(400 <= r.status < 500, f"seed 000, bad Password ({r!r})")
    eq(sql_one(f"SELECT count(*) FROM idempotency WHERE key = {lit(key)}"), "0",
       "the row of seed 000's 4xx")
    eq(sql_one("SELECT count(*) FROM idempotency WHERE status >= 400 OR "
               f"position(convert_to({lit(_idem_SECRET)}, 'UTF8') IN response) > 0"), "0",
       "4xx rows, or rows quoting the password")


@test
def idempotency_request_hash_is_keyed():
    """The stored request hash is HMAC-SHA256 under the installation's
    secret (idempotency_key_file, by default idempotency.key next to the
    configuration file, made at first use with mode 0600), not a plain
    SHA-256 that a reader of the database could test guesses against."""
    import hashlib
    import hmac
    key = _idem_key("hmac")
    path = f"/v1/tenants/{TENANT_A}/users"
    raw = json.dumps({"username": unique("idh"), "password": "pw-" + uuid.uuid4().hex})
    r = request("POST", path, raw, headers={"Idempotency-Key": key})
    check(r.status in (201, 400), f"create ({r!r})")
    if r.status == 400:  # no password field on this route: without it
        raw = json.dumps({"username": unique("idh")})
        r = request("POST", path, raw, headers={"Idempotency-Key": key})
        eq(r.status, 201, f"create ({r!r})")
    stored = sql_one(f"SELECT encode(request_hash, 'hex') FROM idempotency "
                     f"WHERE tenant_id = {lit(TENANT_A)} AND key = {lit(key)}")
    secret_file = os.path.join(os.path.dirname(CONF), "idempotency.key")
    check(os.path.exists(secret_file), f"{secret_file} was not made")
    eq(oct(os.stat(secret_file).st_mode & 0o777), "0o600", "the secret's mode")
    with open(secret_file, "rb") as f:
        secret = f.read().rstrip(b"\n").rstrip(b"\r")
    check(len(secret) >= 32, "the secret is short")
    msg = f"POST\n{path}\n\napplication/json\n".encode() + raw.encode()
    check(stored != hashlib.sha256(msg).hexdigest(), "the request hash is a plain SHA-256")
    eq(stored, hmac.new(secret, msg, hashlib.sha256).hexdigest(), "the request hash")
    check(secret.hex() not in "".join(psql("SELECT encode(request_hash, 'hex') || "
                                           "encode(response, 'hex') FROM idempotency")),
          "the secret is in the database")


def _idem_kill_workers():
    """SIGKILL every worker of the main rosterd; returns once new ones run."""
    old = MAIN.workers()
    check(old, "no workers")
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    eq(len(MAIN.wait_workers(WORKERS, 60 * TIME_SCALE, exclude=old)), WORKERS,
       "workers after the kill")


def _idem_made(what, tenant, name):
    """Rows of users (by username), groups (by code) or tenants (by name)
    named so."""
    if what == "users":
        return _idem_users_named(tenant, name)
    if what == "tenants":
        return int(sql_one(f"SELECT count(*) FROM tenants WHERE name = {lit(name)}"))
    return int(sql_one(f"SELECT count(*) FROM groups WHERE tenant_id = {lit(tenant)} "
                       f"AND code = {lit(name)}"))


@test
def idempotency_killed_worker_leaves_no_reservation():
    """The key's lock, the write and the stored answer are one transaction,
    and a request cut short leaves no reservation behind (no 409 "in
    progress" for a day). A route without a keyed variant (the tenant
    create) sends the commit only after the write's result and the stored
    answer came back: a worker killed (SIGKILL) while its request is held
    inside the write (a trigger waits for a lock this test holds), or whose
    database session is terminated as it stores the answer (a trigger on
    idempotency), leaves nothing, and the retry with the same key runs for
    real (201, not replayed) and makes one row. A /v1 create (a group, a
    user) sends the write, its stored answer and the commit in one round
    trip: a terminated session leaves nothing (the retry runs), and a
    killed worker's request still completes with its answer stored, which
    the retry gets (201, replayed): one row either way."""
    groups = f"/v1/tenants/{TENANT_A}/groups"
    users = f"/v1/tenants/{TENANT_A}/users"
    for stage, what, table, when, fault in (
            ("in the write", "tenants", "tenants", "AFTER INSERT ON tenants FOR EACH ROW "
             "WHEN (NEW.name = {name})", "kill"),
            ("storing the answer", "tenants", "idempotency", "BEFORE INSERT ON idempotency "
             "FOR EACH ROW WHEN (NEW.key = {key})", "terminate"),
            ("in the write", "groups", "groups", "AFTER INSERT ON groups FOR EACH ROW WHEN "
             "(NEW.code = {name})", "kill"),
            ("storing the answer", "groups", "idempotency", "BEFORE INSERT ON idempotency "
             "FOR EACH ROW WHEN (NEW.key = {key})", "terminate"),
            ("in the write", "users", "users", "AFTER INSERT ON users FOR EACH "
             "ROW WHEN (NEW.username = {name})", "kill"),
            ("storing the answer", "users", "idempotency", "BEFORE INSERT ON "
             "idempotency FOR EACH ROW WHEN (NEW.key = {key})", "terminate")):
        key = _idem_key("kill")
        name = unique("idk")
        path, body = {"users": (users, {"username": name}),
                      "groups": (groups, {"kind": "user", "code": name, "name": name}),
                      "tenants": ("/v1/tenants", {"name": name})}[what]
        # the request completes without its worker: committed, answer kept
        completes = fault == "kill" and what != "tenants"
        stage = f"{what} {stage}"
        h = {"Idempotency-Key": key}
        trig = when.format(name=lit(name), key=lit(key))
        psql(f"""CREATE FUNCTION it_idem_kill() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN PERFORM pg_advisory_xact_lock_shared({_idem_HOLD}); RETURN NEW; END $$;
                 CREATE TRIGGER it_idem_kill {trig} EXECUTE FUNCTION it_idem_kill();""",
             user="postgres")
        holder = None
        try:
            holder = pg_session("it-idem-kill")
            holder.query(f"SELECT pg_advisory_lock({_idem_HOLD})")
            bg = _idem_background("POST", path, body, headers=h)

            def held():
                return psql("SELECT pid FROM pg_stat_activity WHERE application_name = "
                            "'rosterd' AND wait_event = 'advisory'")

            _idem_wait(lambda: len(held()) == 1, f"the request held {stage}")
            backend = held()[0]
            eq(_idem_rows(TENANT_A, key), [], f"{stage}: the key's row seen by others")
            if fault == "kill":
                _idem_kill_workers()
            else:
                psql(f"SELECT pg_terminate_backend({int(backend)})")
            r = bg.result()
            check(r.status >= 500, f"{stage}: the answer of the request cut short ({r!r})")
            holder.query(f"SELECT pg_advisory_unlock({_idem_HOLD})")
            holder.close()
            holder = None
            _idem_wait(lambda: sql_one("SELECT count(*) FROM pg_stat_activity WHERE "
                                       f"pid = {int(backend)}") == "0",
                       f"{stage}: the killed worker's session to end")
        finally:
            if holder is not None:
                holder.close()
            psql(f"DROP TRIGGER IF EXISTS it_idem_kill ON {table}; "
                 "DROP FUNCTION IF EXISTS it_idem_kill();", user="postgres")
        wait_ready()
        scope = None if what == "tenants" else TENANT_A
        eq([s for s, _ in _idem_rows(scope, key)], ["201"] if completes else [],
           f"{stage}: the key's row after the kill")
        eq(_idem_made(what, TENANT_A, name), 1 if completes else 0,
           f"{stage}: rows after the kill")
        r = request("POST", path, body, headers=h)
        eq((r.status, r.header(_idem_REPLAYED)), (201, "true" if completes else None),
           f"{stage}: the retry ({r!r})")
        eq(_idem_made(what, TENANT_A, name), 1, f"{stage}: rows after the retry")
        eq([s for s, _ in _idem_rows(scope, key)], ["201"], f"{stage}: the key's row")

def _idem_pg_log():
    with open(os.path.join(PG_DIR, "postgresql.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def _idem_pg_mark(label):
    """Logs a marker statement and waits until PostgreSQL's log has it."""
    mark = f"it_idem_mark_{label}_{uuid.uuid4().hex}"
    psql(f"SELECT '{mark}'", user="postgres")
    _idem_wait(lambda: mark in _idem_pg_log(), f"PostgreSQL to log {mark}")
    return mark


def _idem_statements(path, body, h):
    """The prepared statements rosterd ran for one request (log_statement
    = all), in order, by name, and the answer. SQL text (<unnamed>) is
    left out: the import job runner's poll runs such text at any time."""
    a = _idem_pg_mark("a")
    r = request("POST", path, body, headers=h)
    b = _idem_pg_mark("b")
    log = _idem_pg_log()
    seg = log[log.index(a):log.index(b)]
    names = []
    for line in seg.splitlines():
        if "LOG:  execute " in line:
            name = line.split("LOG:  execute ", 1)[1].split(":", 1)[0]
            if name != "<unnamed>":
                names.append(name)
    return names, r


@test
def idempotency_statements_of_a_keyed_create():
    """What a keyed create costs the database, counted in statements. A
    route whose statement has a keyed variant (the /v1 creates): its form
    for a new key, which does the work and stores its row, alone in one
    round trip that commits; its replay that form (a unique violation:
    the key holds an answer), then the key's lock and the variant, which
    replays, in a second. A route without one
    (the tenant create): the lock, the look-up and the route's statement
    in one round trip, then the stored answer and the commit in a second.
    No BEGIN, no COMMIT. Without a key, the create alone."""
    users = f"/v1/tenants/{TENANT_A}/users"
    groups = f"/v1/tenants/{TENANT_A}/groups"
    roles = f"/v1/tenants/{TENANT_A}/roles"
    psql("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();", user="postgres")
    try:
        # the setting reaches rosterd's sessions at their next command
        _idem_wait(lambda: "user_create_v1" in _idem_statements(
            users, {"username": unique("ids")}, {})[0], "log_statement in rosterd's sessions")
        cases = [
            ("plain user", users, lambda: {"username": unique("ids")}, False,
             ["user_create_v1"], None),
            ("keyed user", users, lambda: {"username": unique("ids")}, True,
             ["user_create_v1_keyed_new"], ["user_create_v1_keyed_new", "idem_lock", "user_create_v1_keyed"]),
            ("plain group", groups, lambda: dict(kind="user", code=unique("ids"), name="g"),
             False, ["group_create"], None),
            ("keyed group", groups, lambda: dict(kind="user", code=unique("ids"), name="g"),
             True, ["group_create_keyed_new"], ["group_create_keyed_new", "idem_lock", "group_create_keyed"]),
            ("keyed role", roles, lambda: {"name": unique("ids")}, True,
             ["role_create_keyed_new"], ["role_create_keyed_new", "idem_lock", "role_create_keyed"]),
            ("plain tenant", "/v1/tenants", lambda: {"name": unique("ids")}, False,
             ["tenant_create"], None),
            # the lock and the look-up, the route's statement sent with
            # them; the replay: the same three, then ROLLBACK
            ("keyed tenant", "/v1/tenants", lambda: {"name": unique("ids")}, True,
             ["idem_lock", "idem_lookup", "tenant_create", "idem_store"],
             ["idem_lock", "idem_lookup", "tenant_create"]),
        ]
        for label, path, mk, keyed, want, want_replay in cases:
            h = {"Idempotency-Key": _idem_key("stmts")} if keyed else {}
            body = mk()
            got, r = _idem_statements(path, body, h)
            eq(r.status, 201, f"{label}: {r!r}")
            eq(got, want, f"{label}: statements")
            if keyed:
                got, r2 = _idem_statements(path, body, h)
                eq((r2.status, r2.header(_idem_REPLAYED)), (201, "true"), f"{label}: replay")
                eq(r2.body, r.body, f"{label}: replayed body")
                eq(got, want_replay, f"{label}: replay statements")
    finally:
        psql("ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf();", user="postgres")
