# t_dbdeadline.py: a database that stops answering, a connection that ends
# while the worker is idle, and a multi-host conninfo.
#   * PostgreSQL frozen (SIGSTOP on the postmaster and every process of
#     it, the backends serving rosterd among them: a hung host): every
#     request is answered 503 (never hangs until nginx gives up), writes
#     with and without Idempotency-Key; after SIGCONT requests succeed
#     again on the same workers, and no write is applied twice (a key
#     retried after the thaw has exactly one row);
#   * rosterd's sessions ended (pg_terminate_backend) while no request
#     comes: the workers connect again on their own, and the next write
#     succeeds; when connecting fails at first (the role may not log in
#     for a while), they try again on later idle ticks;
#   * db_conninfo with two hosts, the first a closed TCP port: the workers
#     connect to the second, and writes land there;
#   * a commit whose wait for the synchronous standby was cancelled: 503,
#     not 2xx (the write is on the primary alone).
#
# Exec'd by faults.py into its globals (running(), request(), psql(),
# wait_until(), @test ... are faults.py's); every top-level name of this
# file starts with _dbdl_ or dbdl_.

_dbdl_V1 = f"/v1/tenants/{TENANT_A}/users"


def _dbdl_pg_pids():
    """The postmaster's pid and its children's."""
    with open(os.path.join(PG_DIR, "data", "postmaster.pid")) as f:
        pm = int(f.readline().strip())
    p = subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True)
    return [pm] + [int(x) for x in p.stdout.split()]


def _dbdl_signal(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def _dbdl_backends():
    """The pids of rosterd's worker sessions."""
    return sorted(int(x) for x in psql(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'rosterd' "
        "AND backend_type = 'client backend'"))


def _dbdl_db_lines(rd):
    """rosterd's log lines about its database connections (the last 20),
    for a failure's message."""
    lines = [ln for ln in rd.log_text().splitlines() if "database" in ln]
    return "\n".join(lines[-20:]) or "none"


def _dbdl_post(body, key=None, timeout=TIMEOUT):
    """POST a v1 user: (status, seconds taken)."""
    h = {"Idempotency-Key": key} if key else {}
    t0 = time.monotonic()
    r = request("POST", _dbdl_V1, body, headers=h, timeout=timeout)
    return r, time.monotonic() - t0


@test
def dbdl_frozen_database_answers_503_then_recovers():
    """PostgreSQL frozen with SIGSTOP (postmaster and all its processes):
    each request, writes with and without Idempotency-Key and a read, is
    answered 503 with Retry-After (a worker gives its connection up at
    db_deadline_ms, a new connection fails at db_connect_timeout); after
    SIGCONT the same workers serve 2xx again, each username sent while
    frozen has at most one row (a write given up is not sent again), and a
    key retried after the thaw has exactly one row."""
    with running("dbfrozen", workers=2, statement_timeout_ms=1000,
                 db_deadline_ms=2000, db_connect_timeout=2) as rd:
        before = rd.workers()
        r, _ = _dbdl_post(new_user_v1())
        eq(r.status, 201, "a create before the freeze")
        pids = _dbdl_pg_pids()
        sent = []
        _dbdl_signal(pids, signal.SIGSTOP)
        try:
            for i in range(6):
                body = new_user_v1()
                key = f"dbdl-{uuid.uuid4().hex}" if i % 2 else None
                r, took = _dbdl_post(body, key)
                sent.append((body, key, r.status, r.header("Retry-After"), took))
            t0 = time.monotonic()
            g = request("GET", f"{_dbdl_V1}?limit=1")
            sent.append((None, None, g.status, g.header("Retry-After"),
                         time.monotonic() - t0))
        finally:
            _dbdl_signal(pids, signal.SIGCONT)
        note("while frozen: " + ", ".join(
            f"{'GET' if b is None else 'POST' + (' +key' if k else '')} {s} in {t:.2f} s"
            for b, k, s, _, t in sent))
        bad = [(s, ra) for _, _, s, ra, _ in sent if s != 503 or not ra]
        check(not bad, f"answers while frozen that are not 503 with Retry-After: {bad}")
        t_thaw = time.monotonic()
        wait_until(lambda: _dbdl_post(new_user_v1())[0].status == 201, 60,
                   "a 201 after SIGCONT")
        note(f"first 201 {time.monotonic() - t_thaw:.2f} s after SIGCONT")
        statuses = [_dbdl_post(new_user_v1())[0].status for _ in range(8)]
        eq(statuses, [201] * 8, "8 creates after the thaw")
        for body, key, _, _, _ in sent:
            if body is None:
                continue
            n = int(sql_one("SELECT count(*) FROM users WHERE username = "
                            + lit(body["username"])))
            check(n <= 1, f"{n} rows for {body['username']}, sent while frozen")
            if key:
                r, _ = _dbdl_post(body, key)
                check(r.status in (200, 201), f"retry of key {key} after the thaw: "
                                              f"{r.status} {r.body[:200]!r}")
                n = int(sql_one("SELECT count(*) FROM users WHERE username = "
                                + lit(body["username"])))
                eq(n, 1, f"rows for {body['username']} after its key's retry")
        eq(rd.workers(), before, "worker pids (none was replaced)")
        eq(rd.worker_deaths(), [], "the master's lines about dead workers")


@test
def dbdl_idle_worker_reconnects_on_its_own():
    """rosterd's sessions are ended (pg_terminate_backend) while no request
    comes in: each worker notices on its idle tick and connects again
    before any request needs it; then a write succeeds at once."""
    with running("dbidle", workers=2) as rd:
        old = _dbdl_backends()
        eq(len(old), 2, "rosterd's sessions before")
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name = 'rosterd' AND backend_type = 'client backend'")
        t0 = time.monotonic()
        wait_until(lambda: len([p for p in _dbdl_backends() if p not in old]) == 2, 30,
                   lambda: f"two new rosterd sessions without a request "
                           f"(have {_dbdl_backends()}, old {old}); rosterd's lines about "
                           f"the database: {_dbdl_db_lines(rd)}")
        note(f"both workers connected again {time.monotonic() - t0:.2f} s after "
             f"pg_terminate_backend, with no request")
        for _ in range(4):
            r, _ = _dbdl_post(new_user_v1())
            eq(r.status, 201, "a create after the reconnection")
        eq(rd.worker_deaths(), [], "the master's lines about dead workers")


def _dbdl_failed_pids(rd):
    """The pids of the processes that logged a failed connection."""
    return {r.get("pid") for r in rd.log_records()
            if "database connection failed" in str(r.get("msg"))}


@test
def dbdl_idle_worker_retries_a_failed_reconnection():
    """rosterd's sessions are ended while its role may not log in: each
    worker's reconnection on its idle tick fails.  Once the role may log
    in again, both workers connect on later idle ticks, with no request
    (a failed reconnection is tried again, not left to the next
    request); then a write succeeds."""
    with running("dbidleretry", workers=2) as rd:
        old = _dbdl_backends()
        eq(len(old), 2, "rosterd's sessions before")
        workers = set(rd.workers())
        try:
            _dbdl_psql_super("ALTER ROLE rosterd NOLOGIN")
            _dbdl_psql_super(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'rosterd' AND backend_type = 'client backend'")
            wait_until(lambda: workers <= _dbdl_failed_pids(rd), 60,
                       lambda: f"both workers to fail to connect while the role may not "
                               f"log in; rosterd's lines about the database: "
                               f"{_dbdl_db_lines(rd)}")
        finally:
            _dbdl_psql_super("ALTER ROLE rosterd LOGIN")
        wait_until(lambda: len([p for p in _dbdl_backends() if p not in old]) == 2, 90,
                   lambda: f"two new rosterd sessions without a request "
                           f"(have {_dbdl_backends()}, old {old}); rosterd's lines about "
                           f"the database: {_dbdl_db_lines(rd)}")
        r, _ = _dbdl_post(new_user_v1())
        eq(r.status, 201, "a create after the reconnection")
        eq(sorted(rd.workers()), sorted(workers), "worker pids (none was replaced)")
        eq(rd.worker_deaths(), [], "the master's lines about dead workers")


@test
def dbdl_multi_host_conninfo_skips_a_closed_host():
    """db_conninfo names two hosts, the first a TCP port nothing listens
    on, with target_session_attrs=read-write: the workers connect to the
    second, and creates land in its database."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()  # nothing listens there now: connecting is refused
    conninfo = (f"host=127.0.0.1,{PG_DIR} port={closed},{PG_PORT} dbname=rosterd "
                f"user=rosterd target_session_attrs=read-write")
    with running("dbmulti", workers=2, db_conninfo=conninfo):
        ids = []
        for _ in range(4):
            r, _ = _dbdl_post(new_user_v1())
            eq(r.status, 201, "a create through the multi-host conninfo")
            ids.append(r.json()["id"])
        eq(ids_found("users", ids), 4, "the creates' rows in the second host's database")


def _dbdl_psql_super(sql):
    p = subprocess.run(
        [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-h", PG_DIR, "-p", PG_PORT, "-U", "postgres", "-d", "rosterd"],
        input=sql, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise Fail(f"psql: {p.stderr.strip()[:300]}")


def _dbdl_pg_log():
    with open(os.path.join(PG_DIR, "postgresql.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def _dbdl_pg_mark():
    """Logs a marker statement (log_statement = all) and waits for it."""
    mark = f"dbdl_mark_{uuid.uuid4().hex}"
    psql(f"SELECT '{mark}'")
    wait_until(lambda: mark in _dbdl_pg_log(), 30, f"PostgreSQL to log {mark}")
    return mark


@test
def dbdl_unprepared_mode_names_nothing_and_listens_nowhere():
    """db_prepared = false (for a pooler in transaction mode): with every
    statement logged, rosterd's sessions PREPARE nothing, execute only
    unnamed statements (a create, a read, a keyed create in its pipelined
    transaction, an API token's use and a SCIM filter seen twice, which
    with prepared statements is prepared the second time), LISTEN on
    nothing and send no DISCARD PLANS; an API token revoked is refused by
    the next request (the auth caches follow the tables' generation)."""
    _dbdl_psql_super("ALTER ROLE rosterd SET log_statement = 'all'")
    try:
        with running("dbunnamed", workers=1, db_prepared="false"):
            a = _dbdl_pg_mark()
            r, _ = _dbdl_post(new_user_v1())
            eq(r.status, 201, "a create")
            uid = r.json()["id"]
            eq(request("GET", f"{_dbdl_V1}/{uid}").status, 200, "a read")
            r, _ = _dbdl_post(new_user_v1(), key=f"dbdl-{uuid.uuid4().hex}")
            eq(r.status, 201, "a keyed create")
            r = request("POST", f"/v1/tenants/{TENANT_A}/api-tokens",
                        {"name": "dbdl", "role": "TenantAdmin"})
            eq(r.status, 201, f"an API token: {r.body[:200]!r}")
            at = r.json()
            secret = at.get("token")
            for i in range(2):
                g = request("GET", "/scim/v2/Users?filter=" + urllib.parse.quote(
                    f'userName eq "nobody{i}"'), tok=secret)
                eq(g.status, 200, f"a SCIM filtered list with the API token, #{i}")
            eq(request("DELETE", f"/v1/tenants/{TENANT_A}/api-tokens/{at['id']}").status,
               204, "the API token revoked")
            g = request("GET", "/scim/v2/Users?filter=" + urllib.parse.quote(
                'userName eq "nobody"'), tok=secret)
            eq(g.status, 401, "the revoked API token at the next request")
            b = _dbdl_pg_mark()
        log = _dbdl_pg_log()
        seg = log[log.index(a):log.index(b)]
        execs = [ln.split("LOG:  execute ", 1)[1].split(":", 1)[0]
                 for ln in seg.splitlines() if "LOG:  execute " in ln]
        named = sorted({n for n in execs if n != "<unnamed>"})
        other = [ln.split("LOG:  statement: ", 1)[1][:80] for ln in seg.splitlines()
                 if "LOG:  statement: " in ln and "dbdl_mark_" not in ln]
        note(f"{len(execs)} statements executed, named: {named}; simple queries: {other}")
        check(len(execs) >= 6, f"too few statements logged to tell: {execs}")
        eq(named, [], "statements executed by name")
        bad = [s for s in other if re.match(r"(?i)\s*(LISTEN|PREPARE|DISCARD|DEALLOCATE)", s)]
        eq(bad, [], "LISTEN, PREPARE, DISCARD or DEALLOCATE sent")
    finally:
        _dbdl_psql_super("ALTER ROLE rosterd RESET log_statement")


def _dbdl_sync_setting():
    return psql("SHOW synchronous_standby_names")


def _dbdl_post_cancelled(body, key=None):
    """POSTs body while no synchronous standby can confirm a commit, and
    cancels the rosterd session that waits for one (pg_cancel_backend, as
    an operator unsticks such a wait): the response."""
    out = {}
    t = threading.Thread(target=lambda: out.update(r=_dbdl_post(body, key)[0]))
    t.start()
    waiting = []

    def seen():
        waiting[:] = psql("SELECT pid FROM pg_stat_activity WHERE application_name = "
                          "'rosterd' AND wait_event = 'SyncRep'")
        return bool(waiting) or not t.is_alive()

    wait_until(seen, 60, "a rosterd session waits for the synchronous standby")
    for pid in waiting:
        _dbdl_psql_super(f"SELECT pg_cancel_backend({int(pid)})")
    t.join(TIMEOUT)
    check(not t.is_alive(), "the request was answered")
    return out["r"]


@test
def dbdl_commit_unconfirmed_by_the_synchronous_standby_is_503():
    """A commit whose wait for the synchronous standby is cancelled has
    committed on the primary alone (PostgreSQL says so in a WARNING, and
    the statement succeeds): a failover then could lose it, so rosterd
    answers 503 with Retry-After rather than 201, for a plain write and
    for a keyed one. The rows are there (nothing rolled back), and once a
    standby confirms again a retry with the key gets the stored answer,
    replayed, without a second row."""
    with running("dbunrepl", workers=2) as rd:
        _dbdl_psql_super("ALTER SYSTEM SET synchronous_standby_names = 'rosterd_nobody';"
                         "ALTER SYSTEM SET synchronous_commit = 'on';"
                         "SELECT pg_reload_conf();")
        try:
            wait_until(lambda: _dbdl_sync_setting() == ["rosterd_nobody"], 60,
                       "the reload seen by a new session")
            plain = new_user_v1()
            r = _dbdl_post_cancelled(plain)
            eq(r.status, 503, f"a plain create, unconfirmed ({r.body[:200]!r})")
            check(r.header("Retry-After"), "Retry-After on the 503")
            keyed = new_user_v1()
            key = f"dbdl-{uuid.uuid4().hex}"
            r = _dbdl_post_cancelled(keyed, key)
            eq(r.status, 503, f"a keyed create, unconfirmed ({r.body[:200]!r})")
        finally:
            _dbdl_psql_super("ALTER SYSTEM RESET synchronous_standby_names;"
                             "ALTER SYSTEM RESET synchronous_commit;"
                             "SELECT pg_reload_conf();")
        wait_until(lambda: _dbdl_sync_setting() == [], 60,
                   "the reset seen by a new session")
        for b in (plain, keyed):
            eq(sql_one(f"SELECT count(*) FROM users WHERE username = {lit(b['username'])}"),
               "1", f"{b['username']}: committed on the primary")
        r, _ = _dbdl_post(keyed, key)
        eq((r.status, r.header("Idempotent-Replayed")), (201, "true"),
           f"the keyed retry ({r.body[:200]!r})")
        eq(sql_one(f"SELECT count(*) FROM users WHERE username = {lit(keyed['username'])}"),
           "1", "the keyed retry wrote no second row")
        text = rd.log_text()
        check("its wait for the synchronous standby was cancelled" in text,
              "the log says why: " + " | ".join(
                  ln[:300] for ln in text.splitlines() if "warn" in ln.lower())[-1500:])
