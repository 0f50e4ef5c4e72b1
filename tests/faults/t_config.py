# t_config.py: configuration keys and process behaviour seen end to end, on
# the real stack (nginx, rosterd, PostgreSQL), each with a rosterd of its own:
#   * db_connect_timeout: a database address that accepts and stays silent;
#   * statement_timeout_ms: a statement held by a lock, then the same
#     connection serving again;
#   * max_bulk_body_bytes at its boundary (below nginx's cap for the route),
#     max_string_bytes reachable (max_body_bytes raised), max_values;
#   * request_memory_bytes: a request that spends its budget;
#   * SIGTERM with a request in flight, and shutdown_timeout with a worker
#     that cannot drain;
#   * an Idempotency-Key whose worker was killed while running it;
#   * reloads: refused for a bad config or key file (the old one serves on),
#     `workers` changed, SIGHUP and SIGTERM arriving while a reload drains,
#     a reload while a table is locked;
#   * listen (numeric TCP, a host name refused), listen_mode, listen_backlog,
#     workers = 0, log_level, jwt_require_exp;
#   * a tenant's default group and standard roles deleted;
#   * no secret in rosterd's, nginx's or PostgreSQL's logs.
#
# Exec'd by faults.py into its globals: running(), Rosterd, request(),
# token(), psql(), pg_session(), wait_until(), @test ... are faults.py's;
# every top-level name of this file starts with _cfg_ or config_.

_cfg_V1_USERS = f"/v1/tenants/{TENANT_A}/users"
# A database password put in one test's db_conninfo, looked for in the logs.
_cfg_DB_PASSWORD = "cfg-db-pw-" + uuid.uuid4().hex


def _cfg_problem(r, status, what):
    """The v1 dialect's error: application/problem+json naming the status."""
    eq(r.status, status, f"{what}: status ({r!r})")
    ct = (r.header("Content-Type") or "").split(";")[0]
    eq(ct, "application/problem+json", f"{what}: Content-Type")
    b = r.json()
    eq(b.get("status"), status, f"{what}: the problem's status ({b!r})")
    check(b.get("title"), f"{what}: the problem has no title ({b!r})")
    if status == 503:
        check(r.header("Retry-After"), f"{what}: 503 without Retry-After")
    return b


def _cfg_aspnet(r, status, what):
    """Seed 004's (ASP.NET Web API) error: {"Message": …} as JSON."""
    eq(r.status, status, f"{what}: status ({r!r})")
    ct = (r.header("Content-Type") or "").split(";")[0]
    eq(ct, "application/json", f"{what}: Content-Type")
    b = r.json()
    check(isinstance(b, dict) and isinstance(b.get("Message"), str),
          f"{what}: not an HttpError ({b!r})")
    if status == 503:
        check(r.header("Retry-After"), f"{what}: 503 without Retry-After")
    return b


def _cfg_users_named(name):
    return int(sql_one(f"SELECT count(*) FROM users WHERE username = {lit(name)}"))


def _cfg_rosterd_backends(state=None):
    """PostgreSQL backends of rosterd (application_name = 'rosterd'); with
    state "Lock", those waiting for a lock."""
    where = " AND wait_event_type = 'Lock'" if state == "Lock" else ""
    return [int(x) for x in psql("SELECT pid FROM pg_stat_activity WHERE "
                                 f"application_name = 'rosterd'{where} ORDER BY pid")]


class _cfg_lock_users:
    """with _cfg_lock_users(): … holds LOCK TABLE users (ACCESS EXCLUSIVE) in
    a session of its own until the block ends (or .release())."""

    def __enter__(self):
        self.db = pg_session()
        self.db.query("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        self.held = True
        return self

    def release(self):
        if self.held:
            self.held = False
            self.db.query("COMMIT")
            self.db.close()

    def __exit__(self, et, ev, tb):
        self.release()
        return False


class _cfg_background:
    """One request in a thread of its own; .result() waits for its answer
    (or the exception it raised)."""

    def __init__(self, *args, **kw):
        self.out = None
        self.t = threading.Thread(target=self._run, args=args, kwargs=kw, daemon=True)
        self.t.start()

    def _run(self, *args, **kw):
        try:
            self.out = request(*args, **kw)
        except Exception as e:  # noqa: BLE001 - handed to .result()
            self.out = e

    def result(self):
        self.t.join(TIMEOUT + 30)
        check(not self.t.is_alive(), "the background request never returned")
        return self.out


def _cfg_log_from(rd):
    return len(rd.log_text())


def _cfg_wait_log(rd, start, text, n=1, timeout=60):
    """Waits until rosterd's log, from offset start, holds text n times;
    returns those lines."""
    def lines():
        return [ln for ln in rd.log_text()[start:].splitlines() if text in ln]
    wait_until(lambda: len(lines()) >= n or rd.proc.poll() is not None, timeout,
               lambda: f"{rd.name}: {n} log line(s) with {text!r}; log: "
                       f"{rd.log_text()[start:][-600:]!r}")
    got = lines()
    check(len(got) >= n, f"{rd.name}: rosterd exited before logging {text!r} "
                         f"({rd.proc.returncode}): {rd.log_text()[start:][-600:]!r}")
    return got


def _cfg_rewrite(rd, **settings):
    """Writes rd's config again: faults' base config with settings (a value
    None leaves the key out)."""
    lines = []
    with open(CONF) as f:
        for line in f.read().splitlines():
            if line.split("=", 1)[0].strip() in settings:
                continue
            lines.append(line)
    lines += [f"{k} = {v}" for k, v in settings.items() if v is not None]
    with open(rd.conf + ".new", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(rd.conf + ".new", rd.conf)


def _cfg_v1_group():
    r = request("POST", f"/v1/tenants/{TENANT_A}/groups",
                {"kind": "security", "code": unique("cg"), "name": "Config " + unique("n")})
    eq(r.status, 201, f"create a group ({r!r})")
    return r.json()["id"]


def _cfg_v1_users(n):
    """n users of tenant A made with SQL (faster than n requests): their ids."""
    run = unique("cb")
    return psql(f"INSERT INTO users (tenant_id, id, username) SELECT {lit(TENANT_A)}, "
                f"gen_random_uuid(), {lit(run)} || i FROM generate_series(1, {int(n)}) i "
                f"RETURNING id")


def _cfg_members(group):
    return int(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(group)}"))


def _cfg_padded(doc, size):
    """doc as JSON, padded with trailing spaces to exactly size bytes."""
    b = json.dumps(doc).encode()
    check(len(b) <= size, f"the document is {len(b)} bytes, more than {size}")
    return b + b" " * (size - len(b))


# --------------------------------------------------------------------------


@test
def config_db_connect_timeout_silent_listener():
    """db_conninfo names a TCP listener that accepts and never answers: the
    connection attempt ends at db_connect_timeout, and requests that need
    the database get rosterd's 503 in their dialect's shape with
    Retry-After (nginx's 504, after its 30 s read timeout, would mean the
    worker hung); /readyz is 503; the worker lives on."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    port = srv.getsockname()[1]
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            held.append(c)  # kept open, never written to

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        with running("dbtimeout", workers=1, db_connect_timeout=2,
                     db_conninfo=f"host=127.0.0.1 port={port} dbname=rosterd "
                                 f"user=rosterd password={_cfg_DB_PASSWORD}") as rd:
            workers = rd.workers()
            start = _cfg_log_from(rd)
            t0 = time.monotonic()
            r = request("GET", "/readyz", tok=None)
            note(f"/readyz answered {r.status} in {time.monotonic() - t0:.1f} s; "
                 f"connections the silent listener accepted: {len(held)}")
            eq(r.status, 503, f"/readyz with a silent database ({r!r})")
            check(held, "the silent listener accepted no connection: the timeout was "
                        "not what ended the attempt")
            t0 = time.monotonic()
            _cfg_problem(request("POST", _cfg_V1_USERS, new_user_v1()), 503,
                         "v1 create, silent database")
            _cfg_aspnet(request("POST", users_path(), new_user004()), 503,
                        "seed 004 create, silent database")
            note(f"two creates answered 503 in {time.monotonic() - t0:.1f} s")
            lines = _cfg_wait_log(rd, start, "database connection failed")
            note(f"log: {lines[0][:300]}")
            check(any("timeout" in ln.lower() for ln in lines),
                  f"the log does not say the connection timed out: {lines[:2]!r}")
            eq(rd.workers(), workers, "worker pids (the worker was not replaced)")
            eq(rd.worker_deaths(), [], "the master's lines about dead workers")
    finally:
        stop.set()
        t.join(5)
        srv.close()
        for c in held:
            c.close()


@test
def config_statement_timeout_503_then_same_connection_serves():
    """statement_timeout_ms = 1000 and users locked by another session: a
    create is cancelled by PostgreSQL, answered 503 in the route's dialect
    shape (v1 and seed 004) with Retry-After, and writes nothing; once
    the lock is gone the same worker, on the same PostgreSQL session (no
    reconnect), creates again."""
    with running("stmttimeout", workers=1, statement_timeout_ms=1000) as rd:
        workers = rd.workers()
        r = request("POST", _cfg_V1_USERS, new_user_v1())
        eq(r.status, 201, f"a create before the lock ({r!r})")
        backends = _cfg_rosterd_backends()
        eq(len(backends), 1, "rosterd's PostgreSQL sessions (one worker)")
        start = _cfg_log_from(rd)
        v1_body, b4 = new_user_v1(), new_user004()
        with _cfg_lock_users():
            _cfg_problem(request("POST", _cfg_V1_USERS, v1_body), 503, "v1 create, users locked")
            _cfg_aspnet(request("POST", users_path(), b4), 503, "seed 004 create, users locked")
        lines = _cfg_wait_log(rd, start, "statement timeout")
        note(f"log: {lines[0][:300]}")
        eq(_cfg_users_named(v1_body["username"]), 0, "rows of the v1 create that timed out")
        eq(_cfg_users_named(b4["Username"]), 0, "rows of the seed 004 create that timed out")
        again = new_user_v1()
        r = request("POST", _cfg_V1_USERS, again)
        eq(r.status, 201, f"the create after the lock ended ({r!r})")
        eq(_cfg_users_named(again["username"]), 1, "rows of the create after the lock")
        r = request("POST", users_path(), new_user004())
        eq(r.status, 200, f"seed 004 create after the lock ended ({r!r})")
        eq(_cfg_rosterd_backends(), backends, "rosterd's PostgreSQL session (the same one)")
        eq(rd.workers(), workers, "worker pids")
        check("connection lost" not in rd.log_text()[start:],
              "the worker lost its database connection over a statement timeout")


@test
def config_max_bulk_body_bytes_boundary():
    """max_bulk_body_bytes = 512 KiB, below nginx's caps for the bulk
    routes (2 MiB on /v1, 1 MiB on Kibo's): a bulk add of exactly 512 KiB
    is served; one byte more is rosterd's own 413 in the route's shape (v1
    problem, Kibo error) naming the cap, and writes nothing. The routes
    that are not bulk keep max_body_bytes."""
    cap = 524288
    with running("bulkcap", workers=1, max_bulk_body_bytes=cap):
        group = _cfg_v1_group()
        uid = _cfg_v1_users(2)
        path = f"/v1/tenants/{TENANT_A}/groups/{group}/members"
        r = request("POST", path, _cfg_padded({"userIds": [uid[0]]}, cap))
        eq(r.status, 200, f"a bulk body of exactly max_bulk_body_bytes ({r!r})")
        eq(r.json().get("added"), [uid[0]], "added")
        before = _cfg_members(group)
        r = request("POST", path, _cfg_padded({"userIds": [uid[1]]}, cap + 1))
        b = _cfg_problem(r, 413, "a bulk body one byte over max_bulk_body_bytes")
        check(f"({cap} bytes)" in (b.get("detail") or ""),
              f"the 413 does not name the cap: {b!r}")
        eq(_cfg_members(group), before, "membership rows after the 413")
        # Kibo's bulk route: the same cap, its own error shape.
        code = unique("Adm")
        r = request("POST", f"/v1/tenants/{TENANT_A}/groups",
                    {"kind": "admin", "code": code, "name": "Admins " + code})
        eq(r.status, 201, f"create an admin group ({r!r})")
        kgroup = r.json()["id"]
        kpath = f"/platform/adminuser/groups/{code}/addusers"
        kh = {"X-Tenant-Id": TENANT_A}
        r = request("POST", kpath, _cfg_padded([uid[0]], cap), headers=kh)
        eq(r.status, 200, f"a Kibo bulk body of exactly max_bulk_body_bytes ({r!r})")
        eq(_cfg_members(kgroup), 1, "Kibo: membership rows after the add")
        r = request("POST", kpath, _cfg_padded([uid[1]], cap + 1), headers=kh)
        eq(r.status, 413, f"a Kibo bulk body one byte over max_bulk_body_bytes ({r!r})")
        bad = _cfg_kibo_shape(r)
        check(bad is None, f"Kibo's 413: {bad}")
        check(f"({cap} bytes)" in r.json()["message"], f"Kibo's 413 does not name the cap: "
                                                       f"{r.body[:200]!r}")
        eq(_cfg_members(kgroup), 1, "Kibo: membership rows after the 413")
        # max_body_bytes (65536) still caps a route that is not bulk (a
        # vendor route: nginx lets 1 MiB through to it).
        body = new_user004()
        r = request("POST", users_path(), _cfg_padded(body, MAX_BODY + 1))
        b = _cfg_aspnet(r, 413, "a seed 004 create one byte over max_body_bytes")
        check(f"({MAX_BODY} bytes)" in b["Message"],
              f"the create's 413 does not name max_body_bytes: {b!r}")
        eq(_cfg_users_named(body["Username"]), 0, "rows of the refused create")


@test
def config_max_string_bytes_reachable():
    """max_body_bytes raised to 256 KiB, so a string of max_string_bytes
    (64 KiB, its default) fits in a body: through the seed 004 route
    (nginx lets 1 MiB through), a string of exactly 65536 bytes passes the
    parser, one of 65537 is refused by it ("A string is too long.") in the
    dialect's shape, writing nothing. The same with max_string_bytes = 1024
    on a v1 create."""
    with running("strings", workers=1, max_body_bytes=262144):
        ok = new_user004(Title="t" * 65536)
        r = request("POST", users_path(), ok)
        note(f"a 65,536-byte Title: {r.status} {r.body[:160]!r}")
        check(b"A string is too long." not in r.body,
              f"a string of exactly max_string_bytes refused by the parser: {r!r}")
        check(r.status < 500, f"a string of max_string_bytes: {r!r}")
        over = new_user004(Title="t" * 65537)
        r = request("POST", users_path(), over)
        b = _cfg_aspnet(r, 400, "a 65,537-byte string")
        check("A string is too long." in json.dumps(b), f"the 400 does not say why: {b!r}")
        eq(_cfg_users_named(over["Username"]), 0, "rows of the refused create")
    with running("strings1k", workers=1, max_string_bytes=1024):
        r = request("POST", _cfg_V1_USERS, new_user_v1(attributes={"note": "n" * 1024}))
        eq(r.status, 201, f"a 1024-byte string with max_string_bytes = 1024 ({r!r})")
        body = new_user_v1(attributes={"note": "n" * 1025})
        b = _cfg_problem(request("POST", _cfg_V1_USERS, body), 400, "a 1025-byte string")
        eq([(e.get("code"), e.get("detail")) for e in b.get("errors", [])],
           [("limit", "A string is too long.")], "the problem's errors")
        eq(_cfg_users_named(body["username"]), 0, "rows of the refused create")


@test
def config_max_values():
    """max_values = 16: a v1 create whose body holds 16 values (the object
    and 15 members) is served, 17 are refused before any work ("The
    document has too many values.", code limit) and write nothing. The
    bulk routes parse with limits of their own (10,000 ids), so
    max_values does not cap them: 20 ids are added."""
    with running("values", workers=1, max_values=16):
        def body(n):
            # the object, username, and n - 2 string members of attributes'
            # object (which is one more value)
            b = new_user_v1()
            del b["email"], b["firstName"], b["lastName"]
            b["attributes"] = {f"k{i}": "v" for i in range(n - 3)}
            return b
        b16 = body(16)
        r = request("POST", _cfg_V1_USERS, b16)
        eq(r.status, 201, f"a body of 16 values ({r!r})")
        b17 = body(17)
        p = _cfg_problem(request("POST", _cfg_V1_USERS, b17), 400, "a body of 17 values")
        eq([(e.get("code"), e.get("detail")) for e in p.get("errors", [])],
           [("limit", "The document has too many values.")], "the problem's errors")
        eq(_cfg_users_named(b17["username"]), 0, "rows of the refused create")
        group = _cfg_v1_group()
        ids = _cfg_v1_users(20)
        r = request("POST", f"/v1/tenants/{TENANT_A}/groups/{group}/members", {"userIds": ids})
        eq(r.status, 200, f"a bulk add of 20 ids with max_values = 16 ({r!r})")
        eq(sorted(r.json().get("added", [])), sorted(ids), "added")


def _cfg_kibo_shape(r):
    """What is wrong with r as a Kibo error, or None."""
    try:
        b = json.loads(r.body)
    except ValueError:
        return f"not JSON: {r.body[:120]!r}"
    keys = ["message", "errorCode", "applicationName", "additionalErrorData", "items"]
    if not isinstance(b, dict) or list(b) != keys:
        return f"not a Kibo error ({keys}): {r.body[:120]!r}"
    if not r.header("x-vol-correlation"):
        return "no x-vol-correlation header"
    return None


def _cfg_memory_refusal(r, rows, what):
    """What is wrong with r, a v1 answer under a spent request_memory_bytes
    that wrote `rows` rows, or None: a refusal (413 naming the limit, the v1
    problem shape) must have written nothing."""
    if rows:
        return f"{what}: {r.status} after {rows} rows were written"
    if r.status != 413:
        return f"{what}: {r.status}, not 413 ({r.body[:120]!r})"
    try:
        p = _cfg_problem(r, 413, what)
    except Fail as e:
        return f"{what}: 413 not in the v1 shape ({e})"
    if "request_memory_bytes" not in (p.get("detail") or ""):
        return f"{what}: the refusal does not name request_memory_bytes ({p!r})"
    return None


@test
def config_request_memory_bytes_spent():
    """request_memory_bytes = 65536 (its least). The budget bounds what a
    request spends before its work starts (reading and decoding the body,
    building the statements' parameters): a request past it when its first
    statement would run is refused, 413 in the route's own dialect shape
    naming the limit, having written nothing. Once a statement has run,
    what it returns is the answer: never a 4xx after a commit.
    * v1 bulk adds of 100 to 1,000 ids (4 to 40 KB bodies): each is added
      whole (200) or refused with no row; the budget goes while the body
      is read for some sizes and while it is decoded, past the body, for
      others: at least one is refused at its statement (the log says
      which), and the one of 2,000 ids (80 KB) is refused;
    * a Kibo addusers of one id to an admin group of 50 members: the
      request is small, the answer (the whole group) is not: 200 with the
      row, and its replay with the same Idempotency-Key the same 200;
    * a page of 100 users and /openapi.json (191 KB), larger than the
      budget, are answered whole.
    Every wrong answer is listed, then the test fails on them."""
    wrong = []
    with running("memory", workers=1, request_memory_bytes=65536, log_level="info") as rd:
        start = _cfg_log_from(rd)
        answers = {}
        for n in list(range(100, 1001, 100)) + [2000]:
            group = _cfg_v1_group()
            ids = _cfg_v1_users(n)
            r = request("POST", f"/v1/tenants/{TENANT_A}/groups/{group}/members",
                        {"userIds": ids})
            rows = _cfg_members(group)
            answers[n] = r.status
            if r.status == 200 and rows == n:
                continue
            bad = _cfg_memory_refusal(r, rows, f"v1 bulk add of {n} ids")
            if bad:
                wrong.append(bad)
        at_statement = rd.log_text()[start:].count("not run: the request spent its memory budget")
        note(f"v1 bulk adds, ids: status {answers}; refused at their statement: {at_statement}")
        if answers[2000] != 413:
            wrong.append(f"v1 bulk add of 2,000 ids (80 KB, more than the budget): "
                         f"{answers[2000]}")
        if not at_statement:
            wrong.append("no bulk add was refused at its statement (the budget spent "
                         "while decoding, past the body)")

        code = unique("Adm")
        r = request("POST", f"/v1/tenants/{TENANT_A}/groups",
                    {"kind": "admin", "code": code, "name": "Admins " + code})
        eq(r.status, 201, f"create an admin group ({r!r})")
        gid = r.json()["id"]
        members = _cfg_v1_users(50)
        psql(f"INSERT INTO group_members (tenant_id, group_id, user_id) SELECT "
             f"{lit(TENANT_A)}, {lit(gid)}, unnest(ARRAY["
             f"{','.join(lit(m) for m in members)}]::uuid[])")
        new = _cfg_v1_users(1)[0]
        h = {"X-Tenant-Id": TENANT_A, "Idempotency-Key": unique("mem")}
        r = request("POST", f"/platform/adminuser/groups/{code}/addusers", [new], headers=h)
        added = int(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(gid)} "
                            f"AND user_id = {lit(new)}"))
        note(f"Kibo addusers of 1 id to a group of 50: {r.status} {r.header('Content-Type')} "
             f"{len(r.body)} bytes {r.body[:80]!r}; the new membership row: {added}")
        if r.status != 200 or added != 1:
            wrong.append(f"Kibo addusers: {r.status} with {added} new membership row(s) "
                         f"(the work ran: its answer is 200) {r.body[:120]!r}")
        elif len(r.json().get("users", [])) != 51:
            wrong.append(f"Kibo addusers: not the whole group of 51 ({r.body[:120]!r})")
        again = request("POST", f"/platform/adminuser/groups/{code}/addusers", [new], headers=h)
        if (again.status, again.body) != (r.status, r.body) or \
                again.header("Idempotent-Replayed") != "true":
            wrong.append(f"Kibo addusers replayed: {again.status} "
                         f"{again.header('Idempotent-Replayed')} {again.body[:120]!r}")

        r = request("GET", _cfg_V1_USERS + "?limit=100")
        if r.status != 200 or len(r.json().get("items", [])) != 100:
            wrong.append(f"a page of 100 users: {r.status} {r.body[:120]!r}")
        else:
            note(f"a page of 100 users: {len(r.body)} bytes")
        r = request("GET", "/openapi.json", tok=None)
        if r.status != 200 or "paths" not in r.json():
            wrong.append(f"/openapi.json: {r.status} {r.body[:120]!r}")
        # A request within the budget is served by the same worker.
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201,
           "a small create after the spent budget")
    check(not wrong, "; ".join(wrong))


@test
def config_sigterm_request_in_flight_completes():
    """SIGTERM while a create waits (users locked): the master starts the
    drain, the worker finishes the request once the lock goes (201, its
    row written), then everything exits with status 0."""
    rd = Rosterd("termflight", workers=1, log_level="info")
    try:
        workers = rd.wait_ready(1)
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201, "a create (warm-up)")
        body = new_user_v1()
        with _cfg_lock_users() as lock:
            bg = _cfg_background("POST", _cfg_V1_USERS, body)
            wait_until(lambda: _cfg_rosterd_backends("Lock"), 60,
                       "the create to wait for the lock")
            start = _cfg_log_from(rd)
            rd.proc.send_signal(signal.SIGTERM)
            _cfg_wait_log(rd, start, "shutting down")
            check(rd.proc.poll() is None and _cfg_pid_alive(workers[0]),
                  "the master or worker exited while the request was in flight")
            lock.release()
        r = bg.result()
        check(isinstance(r, Resp), f"the request in flight failed: {r!r}")
        eq(r.status, 201, f"the request in flight ({r!r})")
        eq(_cfg_users_named(body["username"]), 1, "rows of the request in flight")
        rc = rd.proc.wait(60 * TIME_SCALE)
        eq(rc, 0, "the master's exit status")
        check("did not stop in time" not in rd.log_text(), "a worker was killed")
        check(not _cfg_pid_alive(workers[0]), "the worker outlived the master")
    finally:
        if rd.proc.poll() is None:
            rd.kill()


def _cfg_pending(pid):
    """The signals pending for process pid as a whole (ShdPnd)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("ShdPnd:"):
                return int(line.split()[1], 16)
    return 0


def _cfg_pid_alive(pid):
    """pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@test
def config_shutdown_timeout_kills_a_worker_that_cannot_drain():
    """shutdown_timeout = 2 and statement_timeout_ms = 0: a create waits for
    a lock that is never released while rosterd is stopped. The master logs
    that the worker did not stop in time and kills it, then exits 0; the
    client gets nginx's 502; the killed worker's session ends without
    writing the row."""
    rd = Rosterd("termstuck", workers=1, log_level="info", shutdown_timeout=2,
                 statement_timeout_ms=0)
    try:
        workers = rd.wait_ready(1)
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201, "a create (warm-up)")
        body = new_user_v1()
        with _cfg_lock_users():
            bg = _cfg_background("POST", _cfg_V1_USERS, body)
            wait_until(lambda: _cfg_rosterd_backends("Lock"), 60,
                       "the create to wait for the lock")
            start = _cfg_log_from(rd)
            rd.proc.send_signal(signal.SIGTERM)
            lines = _cfg_wait_log(rd, start, "did not stop in time")
            note(f"log: {lines[0][:200]}")
            check(f"process {workers[0]} " in lines[0], f"the line names another pid: {lines}")
            rc = rd.proc.wait(60 * TIME_SCALE)
            eq(rc, 0, "the master's exit status")
            check(not _cfg_pid_alive(workers[0]), "the killed worker is still there")
            r = bg.result()
            check(isinstance(r, Resp), f"the request whose worker was killed: {r!r}")
            eq(r.status, 502, f"the request whose worker was killed ({r!r})")
        # Its session had the whole statement (one autocommit INSERT) before
        # the kill: it runs once the lock goes, then finds the socket closed.
        wait_until(lambda: not _cfg_rosterd_backends(), 60,
                   "the killed worker's PostgreSQL session to end")
        note(f"rows of the request answered 502 (its statement ran after the kill): "
             f"{_cfg_users_named(body['username'])}")
    finally:
        if rd.proc.poll() is None:
            rd.kill()


@test
def config_idempotency_key_of_a_killed_worker_is_not_stuck():
    """A worker is killed (SIGKILL: the OOM killer, shutdown_timeout) while
    it runs a create with an Idempotency-Key (the create waits for a lock
    on users). The client got nginx's 502 and retries with the same key
    once the replacement serves: the retry must not be refused as "still
    in progress", since nothing runs it any more; rosterd may replay,
    run it again (here: 409 for the username the first one wrote after
    the kill), or say what happened, but a key that answers 409 for 24
    hours leaves the client no way to learn the outcome."""
    with running("idemkill", workers=1, statement_timeout_ms=0) as rd:
        victim = rd.workers()[0]
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201, "a create (warm-up)")
        body = new_user_v1()
        key = "cfg-killed-" + uuid.uuid4().hex
        h = {"Idempotency-Key": key}
        with _cfg_lock_users():
            bg = _cfg_background("POST", _cfg_V1_USERS, body, headers=h)
            wait_until(lambda: _cfg_rosterd_backends("Lock"), 60,
                       "the create to wait for the lock")
            held = _cfg_rosterd_backends("Lock")
            os.kill(victim, signal.SIGKILL)
            r = bg.result()
            check(isinstance(r, Resp), f"the request whose worker was killed: {r!r}")
            eq(r.status, 502, f"the request whose worker was killed ({r!r})")
            after = rd.wait_workers(1, 30, exclude=[victim])
            check(after and victim not in after, f"no replacement worker: {after}")
        wait_until(lambda: not set(held) & set(_cfg_rosterd_backends()), 60,
                   "the killed worker's PostgreSQL session to end")
        note(f"the key's row: {psql(f'SELECT status FROM idempotency WHERE key = {lit(key)}')} "
             f"(status 0: reserved); rows of the create: "
             f"{_cfg_users_named(body['username'])}")
        r = request("POST", _cfg_V1_USERS, body, headers=h)
        note(f"the retry with the same key: {r!r}")
        check(not (r.status == 409 and b"still in progress" in r.body),
              f"the retry is refused as still in progress, with no request running it: "
              f"{r!r}")


@test
def config_reload_refused_keeps_the_running_config():
    """SIGHUP with a config that has an unknown key, then with a secret
    file that does not exist: each reload is refused and logged with the
    reason; the same workers go on serving with the old key. A good
    config afterwards is taken (new workers, the new key): the refusals
    were the config's, not a dead SIGHUP."""
    with running("reloadbad", workers=2) as rd:
        before = rd.workers()
        for label, settings, why in (
                ("an unknown key", {"no_such_key": "1"}, "no_such_key"),
                ("a missing secret file",
                 {"jwt_hs256_secret_file": os.path.join(TMP, "no-such.secret")},
                 "no-such.secret")):
            start = _cfg_log_from(rd)
            _cfg_rewrite(rd, workers=2, **settings)
            os.kill(rd.pid, signal.SIGHUP)
            lines = _cfg_wait_log(rd, start, "reload refused, keeping the running config")
            note(f"{label}: {lines[0][:300]}")
            check(why in lines[0], f"{label}: the refusal does not say why: {lines[0]!r}")
            eq(rd.workers(), before, f"{label}: worker pids (not replaced)")
            r = request("POST", _cfg_V1_USERS, new_user_v1())
            eq(r.status, 201, f"{label}: a create after the refused reload ({r!r})")
        # A good config with a new secret: taken.
        new_secret = os.path.join(TMP, "reload-new.secret")
        with open(new_secret, "w") as f:
            f.write(uuid.uuid4().hex * 2 + "\n")
        with open(new_secret, "rb") as f:
            key2 = f.read().rstrip(b"\n")
        start = _cfg_log_from(rd)
        _cfg_rewrite(rd, workers=2, log_level="info", jwt_hs256_secret_file=new_secret)
        os.kill(rd.pid, signal.SIGHUP)
        _cfg_wait_log(rd, start, "reload done")
        after = rd.wait_workers(2, 30, exclude=before)
        check(len(after) == 2 and not set(after) & set(before),
              f"workers after the good reload {after} (before {before})")
        now = int(time.time())
        tok2 = jwt.encode({"sub": "faults", "roles": ["SystemAdmin"], "tid": TENANT_A,
                           "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE},
                          key2, algorithm="HS256")
        eq(request("POST", _cfg_V1_USERS, new_user_v1(), tok=tok2).status, 201,
           "a create with the new key")
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 401,
           "a create with the old key after the good reload")


@test
def config_workers_changed_on_reload():
    """`workers` 2 -> 3 -> 1 by SIGHUP: after each "reload done" the master
    has exactly that many workers, none of the generation before, and
    they serve."""
    with running("reloadworkers", workers=2, log_level="info") as rd:
        gen = rd.workers()
        for n in (3, 1):
            start = _cfg_log_from(rd)
            _cfg_rewrite(rd, workers=n, log_level="info")
            os.kill(rd.pid, signal.SIGHUP)
            _cfg_wait_log(rd, start, "reload done")
            got = rd.wait_workers(n, 30, exclude=gen)
            note(f"workers={n}: {got} (before {gen})")
            check(len(got) == n and not set(got) & set(gen),
                  f"workers after the reload to {n}: {got} (before {gen})")
            check(f"configuration reloaded; {n} workers" in rd.log_text()[start:],
                  f"the master does not say it runs {n} workers")
            for _ in range(2 * n):
                eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201,
                   f"a create with {n} workers")
            eq(rd.workers(), got, f"worker pids with {n} workers (none died)")
            gen = got
        eq(rd.worker_deaths(), [], "the master's lines about dead workers")


@test
def config_signals_during_a_reload_drain():
    """A reload while the only worker runs a create that waits for a lock
    (shutdown_timeout 60 s, so the drain waits for it): a second SIGHUP
    and a SIGTERM sent during the drain are held, not lost. Once the lock goes the create completes (201, its
    row), the drain ends ("reload done"), the second reload runs, then
    the shutdown, and the master exits 0 without killing anyone."""
    rd = Rosterd("reloaddrain", workers=1, log_level="info", shutdown_timeout=60,
                 statement_timeout_ms=0)
    try:
        old = rd.wait_ready(1)
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201, "a create (warm-up)")
        body = new_user_v1()
        with _cfg_lock_users() as lock:
            bg = _cfg_background("POST", _cfg_V1_USERS, body)
            wait_until(lambda: _cfg_rosterd_backends("Lock"), 60,
                       "the create to wait for the lock")
            start = _cfg_log_from(rd)
            os.kill(rd.pid, signal.SIGHUP)
            _cfg_wait_log(rd, start, "configuration reloaded")
            wait_until(lambda: len(set(rd.workers()) - set(old)) == 1, 30,
                       "the new worker")
            os.kill(rd.pid, signal.SIGHUP)
            os.kill(rd.pid, signal.SIGTERM)
            # Both wait in the master's pending set (it takes them from a
            # signalfd) while it drains the old worker.
            want = (1 << (signal.SIGHUP - 1)) | (1 << (signal.SIGTERM - 1))
            wait_until(lambda: _cfg_pending(rd.pid) & want == want, 30,
                       "SIGHUP and SIGTERM pending in the master")
            text = rd.log_text()[start:]
            check("reload done" not in text and "shutting down" not in text,
                  f"the drain ended while the old worker ran a request: {text[-400:]!r}")
            check(rd.proc.poll() is None and _cfg_pid_alive(old[0]),
                  "the master or the old worker exited during the drain")
            lock.release()
        r = bg.result()
        check(isinstance(r, Resp), f"the request in flight failed: {r!r}")
        eq(r.status, 201, f"the request in flight during the reload ({r!r})")
        eq(_cfg_users_named(body["username"]), 1, "rows of the request in flight")
        rc = rd.proc.wait(120 * TIME_SCALE)
        eq(rc, 0, "the master's exit status")
        text = rd.log_text()[start:]
        events = [m for m in re.findall(r"configuration reloaded|reload done|shutting down|"
                                        r"rosterd stopped|did not stop in time", text)]
        note(f"master's events: {events}")
        eq(events, ["configuration reloaded", "reload done", "configuration reloaded",
                    "reload done", "shutting down", "rosterd stopped"],
           "the master's events, in order")
    finally:
        if rd.proc.poll() is None:
            rd.kill()


@test
def config_reload_while_a_table_is_locked():
    """A reload while users is locked (ACCESS EXCLUSIVE, as a migration
    holds it), workers = 1 and statement_timeout_ms = 0 (a statement that
    waits for the lock waits for good): the new worker's up-front
    PREPAREs give up on the lock (those that need it are prepared when
    first used), so once the old worker has drained, the new one answers
    /healthz and a route that does not touch users, while the lock is
    still held; once it goes, a create is 201 on the same worker."""
    rd = Rosterd("reloadlocked", workers=1, log_level="info", statement_timeout_ms=0)
    try:
        old = rd.wait_ready(1)
        eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201, "a create (warm-up)")
        with _cfg_lock_users():
            start = _cfg_log_from(rd)
            os.kill(rd.pid, signal.SIGHUP)
            _cfg_wait_log(rd, start, "reload done")
            new = rd.workers()
            check(len(new) == 1 and not set(new) & set(old),
                  f"workers after the reload: {new} (before {old})")
            r = request("GET", "/healthz", tok=None)
            eq(r.status, 200, f"GET /healthz while users is locked ({r!r})")
            r = request("GET", f"/v1/tenants/{TENANT_A}")
            eq(r.status, 200, f"GET a tenant while users is locked ({r!r})")
            lines = _cfg_wait_log(rd, start, "waits for a table lock")
            note(f"the new worker: {lines[0][:200]}")
        body = new_user_v1()
        r = request("POST", _cfg_V1_USERS, body)
        eq(r.status, 201, f"a create once the lock is gone ({r!r})")
        eq(_cfg_users_named(body["username"]), 1, "rows of the create")
        eq(rd.workers(), new, "the worker pids (none died)")
        eq(rd.worker_deaths(), [], "the master's lines about dead workers")
        eq(rd.stop(), 0, "exit status after SIGTERM")
    finally:
        if rd.proc.poll() is None:
            rd.kill()


@test
def config_listen_mode_on_the_socket():
    """The unix socket gets listen_mode's permission bits: 0660 (the fault
    tests' base config) and 0600."""
    for mode in ("0660", "0600"):
        with running("listenmode" + mode, workers=1, listen_mode=mode):
            st = os.stat(ENV["RF_SOCK"])
            check(_cfg_is_socket(st.st_mode), f"{ENV['RF_SOCK']} is not a socket")
            eq(oct(st.st_mode & 0o777), oct(int(mode, 8)), f"listen_mode = {mode}: the mode")
            eq(request("GET", "/healthz", tok=None).status, 200, f"served with {mode}")


def _cfg_is_socket(m):
    return (m & 0o170000) == 0o140000  # S_ISSOCK


@test
def config_listen_backlog_and_workers_0():
    """listen_backlog is the unix socket's accept queue (ss shows it as
    the listening socket's Send-Q); workers = 0 starts one worker per
    online CPU."""
    n = os.sysconf("SC_NPROCESSORS_ONLN")
    rd = Rosterd("backlog", workers=0, listen_backlog=77)
    try:
        rd.wait_ready(n)
        out = subprocess.run(["ss", "-xlnH"], capture_output=True, text=True,
                             timeout=30).stdout
        mine = [ln.split() for ln in out.splitlines() if ENV["RF_SOCK"] in ln]
        note(f"ss: {mine}")
        eq(len(mine), 1, f"listening sockets at {ENV['RF_SOCK']}")
        # Netid State Recv-Q Send-Q Local ...: Send-Q is the backlog.
        eq(mine[0][3], "77", "the socket's backlog (ss's Send-Q)")
        eq(len(rd.workers()), n, f"workers with workers = 0 ({n} CPUs)")
        eq(rd.stop(), 0, "exit status after SIGTERM")
    finally:
        if rd.proc.poll() is None:
            rd.kill()


@test
def config_log_level_filters_all_but_request_lines():
    """log_level = warn: rosterd logs no info line of its own (start,
    "worker ready", connections), while request lines (access_log) are
    still written; log_level = info logs them."""
    for level in ("warn", "info"):
        with running("loglevel" + level, workers=1, log_level=level) as rd:
            eq(request("POST", _cfg_V1_USERS, new_user_v1()).status, 201, "a create")
            recs = rd.log_records()
            access = [r for r in recs if "request_id" in r]
            own_info = [r for r in recs if r.get("level") == "info" and "request_id" not in r]
            note(f"log_level = {level}: {len(access)} request lines, {len(own_info)} info "
                 f"lines of its own")
            check(any(r.get("route") == "/v1/tenants/{tenantId}/users" for r in access),
                  f"log_level = {level}: no request line for the create")
            if level == "warn":
                eq(own_info, [], "info lines with log_level = warn")
            else:
                check(any(r.get("msg") == "worker ready" for r in own_info),
                      f"no 'worker ready' line with log_level = info: {own_info[:3]}")


@test
def config_jwt_require_exp():
    """A token without exp: refused (401) with jwt_require_exp = true, the
    default; accepted with false."""
    now = int(time.time())
    tok = jwt.encode({"sub": "faults", "roles": ["SystemAdmin"], "tid": TENANT_A, "iat": now,
                      "iss": ISSUER, "aud": AUDIENCE}, SECRET, algorithm="HS256")
    with running("requireexp", workers=1):
        r = request("POST", _cfg_V1_USERS, new_user_v1(), tok=tok)
        _cfg_problem(r, 401, "a token without exp, jwt_require_exp = true")
    with running("norequireexp", workers=1, jwt_require_exp="false"):
        r = request("POST", _cfg_V1_USERS, new_user_v1(), tok=tok)
        eq(r.status, 201, f"a token without exp, jwt_require_exp = false ({r!r})")


def _cfg_fcgi_record(rtype, content, rid=1):
    return (bytes([1, rtype, rid >> 8, rid & 255, len(content) >> 8, len(content) & 255, 0, 0])
            + content)


def _cfg_fcgi_pair(k, v):
    k, v = k.encode(), v.encode()

    def n(x):
        return bytes([len(x)]) if len(x) < 128 else (len(x) | 0x80000000).to_bytes(4, "big")
    return n(k) + n(v) + k + v


def _cfg_fcgi_get(addr, path, timeout=30):
    """One FastCGI request (responder, GET path) on a TCP connection to
    addr: the status of the CGI response it gets and its body."""
    params = b"".join(_cfg_fcgi_pair(k, v) for k, v in (
        ("REQUEST_METHOD", "GET"), ("REQUEST_URI", path), ("DOCUMENT_URI", path),
        ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"), ("REMOTE_ADDR", "127.0.0.1")))
    with socket.create_connection(addr, timeout=timeout) as c:
        c.sendall(_cfg_fcgi_record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0]))  # BEGIN_REQUEST
                  + _cfg_fcgi_record(4, params) + _cfg_fcgi_record(4, b"")
                  + _cfg_fcgi_record(5, b""))
        data, out = b"", b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        while len(data) >= 8:
            rtype = data[1]
            clen = (data[4] << 8) | data[5]
            plen = data[6]
            if rtype == 6:  # STDOUT
                out += data[8:8 + clen]
            data = data[8 + clen + plen:]
            if rtype == 3:  # END_REQUEST
                break
    head, _, body = out.partition(b"\r\n\r\n")
    m = re.search(rb"^Status: (\d+)", head, re.M)
    return (int(m.group(1)) if m else None), body


@test
def config_listen_tcp():
    """listen = 127.0.0.1:PORT: a FastCGI request on that TCP port is
    answered; a host name is refused at start-up (the address must be
    numeric)."""
    s0 = socket.socket()
    s0.bind(("127.0.0.1", 0))
    port = s0.getsockname()[1]
    s0.close()
    rd = Rosterd("listentcp", workers=1, listen=f"127.0.0.1:{port}")
    try:
        def answered():
            try:
                return _cfg_fcgi_get(("127.0.0.1", port), "/healthz", timeout=5)[0] == 200
            except OSError:
                return False
        wait_until(lambda: answered() or rd.proc.poll() is not None, 30,
                   f"a FastCGI answer on 127.0.0.1:{port}")
        check(rd.proc.poll() is None, f"rosterd exited: {rd.log_text()[-400:]!r}")
        status, body = _cfg_fcgi_get(("127.0.0.1", port), "/healthz")
        note(f"FastCGI GET /healthz on 127.0.0.1:{port}: {status} {body[:80]!r}")
        eq(status, 200, "GET /healthz over TCP FastCGI")
        eq(rd.stop(), 0, "exit status after SIGTERM")
    finally:
        if rd.proc.poll() is None:
            rd.kill()
    bad = Rosterd("listenhost", workers=1, listen=f"localhost:{port}")
    try:
        rc = bad.proc.wait(30 * TIME_SCALE)
    except subprocess.TimeoutExpired:
        bad.kill()
        raise Fail("rosterd started with listen = localhost:PORT")
    note(f"listen = localhost:{port}: exit {rc}: {bad.log_text().strip()[-200:]!r}")
    check(rc != 0, "rosterd accepted a host name in listen")
    check("localhost" in bad.log_text(), "the refusal does not name the value")


def _cfg_tenant_rows(t):
    """Per table of tenant t's rows: their count and the sum of their xmin
    (an UPDATE shows too)."""
    return psql(" UNION ALL ".join(
        f"SELECT {lit(tb)}, count(*), coalesce(sum(x.xmin::text::bigint), 0) FROM {tb} x "
        f"WHERE tenant_id = {lit(t)}"
        for tb in ("users", "groups", "group_members", "roles", "role_assignments", "invites",
                   "audit_log", "idempotency")))


@test
def config_tenant_defaults_deleted():
    """A tenant's default user group and its standard roles (what
    bootstrap and POST /v1/tenants make) may be deleted; what relied on
    them then refuses clearly, in its dialect, writing nothing: the
    ServiceStack invite (into the default group) 404, a v1 invite without
    groupId 409 naming groupId, a seed 004 create naming the role
    "Member" 400 naming Roles[0].Name."""
    with running("defaults", workers=1):
        r = request("POST", "/v1/tenants", {"name": "Defaults " + unique("t")})
        eq(r.status, 201, f"a new tenant ({r!r})")
        t = r.json()["id"]
        gid = sql_one(f"SELECT id FROM groups WHERE tenant_id = {lit(t)} AND is_default")
        roles = dict(line.split("|")[::-1] for line in
                     psql(f"SELECT id || '|' || name FROM roles WHERE tenant_id = {lit(t)}"))
        eq(sorted(roles), ["Administrator", "Member"], "the standard roles")
        eq(request("DELETE", f"/v1/tenants/{t}/groups/{gid}").status, 204,
           "DELETE the default group")
        for name, rid in sorted(roles.items()):
            eq(request("DELETE", f"/v1/tenants/{t}/roles/{rid}").status, 204,
               f"DELETE the role {name}")
        before = _cfg_tenant_rows(t)

        r = request("POST", "/usergroupuserinvite", {"eMail": unique("d") + "@example.com"},
                    headers={"X-Tenant-Id": t})
        eq(r.status, 404, f"ServiceStack invite without a default group ({r!r})")
        st = r.json().get("responseStatus") or {}
        eq((st.get("errorCode"), st.get("message")),
           ("NotFound", "The tenant has no default user group."), "its ResponseStatus")
        r = request("POST", f"/v1/tenants/{t}/invites", {"email": unique("d") + "@example.com"})
        b = _cfg_problem(r, 409, "v1 invite without groupId nor a default group")
        eq([e.get("field") for e in b.get("errors", [])], ["groupId"], "the field named")
        r = request("POST", users_path(t), new_user004(Roles=[{"Name": "Member"}]))
        b = _cfg_aspnet(r, 400, "seed 004 create naming a deleted role")
        eq(list((b.get("ModelState") or {}).keys()), ["user.Roles[0].Name"],
           "the field named")
        eq(_cfg_tenant_rows(t), before, "the tenant's rows after the refusals")


@test
def config_no_secret_in_nginx_or_postgresql_logs():
    """After the fault tests above: neither the signing secrets, nor a
    token's signature, nor the database password of a db_conninfo
    (config_db_connect_timeout_silent_listener's) appear in any log:
    rosterd's, nginx's (access and error) and PostgreSQL's."""
    secrets = {"the signing secret": SECRET, "a token's signature":
               TOKEN.rsplit(".", 1)[1].encode(),
               "the database password of a db_conninfo": _cfg_DB_PASSWORD.encode()}
    for name in os.listdir(TMP):
        if name.endswith(".secret"):
            with open(os.path.join(TMP, name), "rb") as f:
                s = f.read().strip()
            if len(s) >= 16:
                secrets[name] = s
    paths = [os.path.join(TMP, n) for n in os.listdir(TMP) if n.endswith(".log")]
    for d in (ENV["RF_NGINX_DIR"], PG_DIR, os.path.join(PG_DIR, "data", "log")):
        if os.path.isdir(d):
            paths += [os.path.join(d, n) for n in os.listdir(d)
                      if n.endswith((".log", ".json", ".csv"))]
    seen = {os.path.relpath(p, TMP) for p in paths}
    check(any("access.log" in p for p in seen), f"no nginx access log among {sorted(seen)}")
    check(any(p.startswith("pg") for p in seen), f"no PostgreSQL log among {sorted(seen)}")
    note(f"logs read: {len(paths)}")
    for p in paths:
        with open(p, "rb") as f:
            text = f.read()
        for what, s in secrets.items():
            check(s not in text, f"{what} in {os.path.relpath(p, TMP)}")
