#!/usr/bin/python3
"""rosterd integration tests: real HTTP through nginx to rosterd and PostgreSQL.

Run by tests/http/run, which prepares PostgreSQL (migrated, tenants "acme" and
"globex" bootstrapped), nginx and a config file, and passes them in RT_*
variables. This program starts rosterd itself (it owns the process: the
process-model tests signal it), runs every test in order (those marked
@test_last after all others), prints "ok - name", "ok - name # SKIP reason"
or "not ok - name: reason" per test and last "N passed, N failed" (with
", K skipped" when K > 0). Unknown test names on the command line are refused.
No test passes or fails on a time window: they wait for conditions, with
deadlines that only guard against a hang (RT_TIME_SCALE stretches them).

Only the standard library and PyJWT (python3-jwt), the independent check of
rosterd's tokens. Tests that need the database look at it with psql, or,
for the read-only looks taken around every request, through libpq (ctypes).
"""

import base64
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import uuid

import jwt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pgsession  # noqa: E402
from jsonlog import json_records  # noqa: E402

ENV = os.environ
TMP = ENV["RT_TMP"]
BUILD = ENV["RT_BUILD"]
CONF = ENV["RT_CONF"]
ROSTERD = os.path.join(BUILD, "rosterd")
ROSTERCTL = os.path.join(BUILD, "rosterctl")
URL = ENV["RT_URL"]
HTTP_URL = ENV["RT_HTTP_URL"]
TENANT_A = ENV["RT_TENANT_A"]
TENANT_B = ENV["RT_TENANT_B"]
ISSUER = ENV["RT_ISSUER"]
AUDIENCE = ENV["RT_AUDIENCE"]
PG_BIN = ENV["RT_PG_BIN"]
PG_DIR = ENV["RT_PG_DIR"]
PG_PORT = ENV["RT_PG_PORT"]
PG_USER = ENV.get("RT_PG_USER", "")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

with open(ENV["RT_SECRET_FILE"], "rb") as f:
    SECRET = f.read().rstrip(b"\n")
# The bearer token of metrics_token_file: /metrics and /readyz's detail.
with open(ENV["RT_METRICS_TOKEN_FILE"]) as f:
    METRICS_TOKEN = f.read().strip()

WORKERS = 2  # workers = 2 in the test config
MAX_BODY = 65536  # max_body_bytes in the test config
# Every deadline below only guards against a hang; RT_TIME_SCALE (default 3
# under ASan, else 1) stretches them for slow builds and loaded machines.
def sanitized(path):
    """True when the program at path was built with ASan or UBSan (it
    carries their runtime's entry points)."""
    with open(path, "rb") as f:
        text = f.read()
    return b"__asan_init" in text or b"__ubsan_handle_" in text


SANITIZED = sanitized(ROSTERD)
TIME_SCALE = float(ENV.get("RT_TIME_SCALE") or (3 if SANITIZED or ENV.get("ASAN_OPTIONS")
                                                else 1))
TIMEOUT = 10 * TIME_SCALE  # seconds; no request may take longer
DENIED = "Authorization has been denied for this request."
INVALID = "The request is invalid."
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

TLS = ssl.create_default_context(cafile=ENV["RT_CA"])
_host_port = URL.split("//", 1)[1]
HOST, PORT = _host_port.rsplit(":", 1)


class Fail(Exception):
    """A test's assertion did not hold."""


class Skip(Exception):
    """The test cannot test anything here (reported "# SKIP reason",
    counted as skipped, never as passed)."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eq(got, want, what):
    if got != want:
        raise Fail(f"{what}: expected {want!r}, got {got!r}")


def wait_until(cond, what, timeout=30, interval=0.05, tries=None):
    """Calls cond() until it returns something true, and returns that.
    Fails after timeout seconds (scaled by RT_TIME_SCALE: a guard against a
    hang, not a measure) or after `tries` calls."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    n = 0
    while True:
        got = cond()
        n += 1
        if got:
            return got
        if time.monotonic() > deadline or (tries is not None and n >= tries):
            raise Fail(f"{what}: not after {n} tries")
        time.sleep(interval)


# --------------------------------------------------------------------------
# HTTP


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fail(f"body is not JSON (status {self.status}): {self.body[:200]!r}")

    def __repr__(self):
        return f"{self.status} {self.body[:300]!r}"


def request(method, path, body=None, token="default", ctype="application/json",
            headers=None, timeout=TIMEOUT, source=None, conn=None):
    """One HTTPS request on a fresh connection (or on conn, left open).
    token: a JWT, None for no Authorization header, or "default" for a
    SystemAdmin token of tenant A. source: the client's address (nginx
    treats 127.0.0.1 as this host and any other address as a remote one)."""
    h = {}
    if token == "default":
        token = default_token()
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if ctype:
            h["Content-Type"] = ctype
    h.update(headers or {})
    own = conn is None
    if own:
        conn = connect(timeout=timeout, source=source)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return Resp(r.status, r.headers, r.read())
    finally:
        if own:
            conn.close()


def connect(timeout=TIMEOUT, source=None, context=None):
    return http.client.HTTPSConnection(
        HOST, int(PORT), context=context or TLS, timeout=timeout,
        source_address=(source, 0) if source else None)


def users_path(org):
    return f"/api/organizations/{org}/users"


def post_user(body, org=None, **kw):
    return request("POST", users_path(org or TENANT_A), body, **kw)


def is_uuid(s):
    return isinstance(s, str) and bool(UUID_RE.match(s))


def model_state(r, key):
    """Asserts a 400 ASP.NET ModelState error body naming KEY."""
    eq(r.status, 400, f"status ({r!r})")
    b = r.json()
    eq(b.get("Message"), INVALID, "Message")
    ms = b.get("ModelState")
    check(isinstance(ms, dict), f"no ModelState object: {b}")
    check(key in ms, f"ModelState has no key {key!r}: {sorted(ms)}")
    msgs = ms[key]
    check(isinstance(msgs, list) and msgs and all(isinstance(m, str) and m for m in msgs),
          f"ModelState[{key!r}] is not a list of messages: {msgs!r}")
    return ms


def message_body(r, status, message=None):
    eq(r.status, status, f"status ({r!r})")
    b = r.json()
    check(isinstance(b.get("Message"), str) and b["Message"], f"no Message: {b}")
    if message is not None:
        eq(b["Message"], message, "Message")
    return b


# --------------------------------------------------------------------------
# PostgreSQL


def psql(sql, user="rosterd", db="rosterd"):
    """Runs SQL (given on stdin, so :'vars' would work) and returns the
    unaligned, tuples-only output lines."""
    p = subprocess.run(
        [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-h", PG_DIR, "-p", PG_PORT, "-U", user, "-d", db],
        input=sql, capture_output=True, text=True, timeout=60 * TIME_SCALE)
    if p.returncode != 0:
        raise Fail(f"psql: {p.stderr.strip()} (SQL: {sql.strip()})")
    return [l for l in p.stdout.splitlines() if l != ""]


def pg_session(app, user="rosterd", reconnect=False):
    """A session of its own kept open (tests/lib/pgsession.py), under
    application_name app: for looks taken again and again, and for locks
    and transactions held across calls."""
    return pgsession.Session(f"host={PG_DIR} port={PG_PORT} user={user} dbname=rosterd "
                             f"application_name={app} connect_timeout=10",
                             reconnect=reconnect, error=Fail)


def request_behind(held, *args, **kw):
    """request(*args, **kw) sent while a transaction of its own holds what
    the statements held (a list of SQL) wrote: it returns the answer once
    the request, having waited for that transaction, goes on after it
    commits (the wait is seen in pg_stat_activity, not guessed)."""
    db = pg_session("it-held")
    try:
        db.query("BEGIN")
        out = [db.query(q) for q in held]
        bg = _idem_background(*args, **kw)
        _idem_wait(lambda: _idem_blocked_workers(), f"{args[0]} {args[1]} waiting")
        db.query("COMMIT")
        return bg.result(), out
    finally:
        db.close()


_look = []


def look(sql, cached=False):
    """The lines psql(sql) would print for a read-only SELECT, through one
    session kept open (tests/lib/pgsession.py): a psql process costs about
    50 ms to start, the query a millisecond or two. The session connects as
    postgres under its own application_name, so that the tests that count or
    end rosterd's sessions never see it; a session ended under it is opened
    again once. cached: the answer is given again while no transaction has
    ended since it was made (pgsession.SnapshotCache), for a query that
    reads table rows only."""
    if not _look:
        _look.append(pgsession.SnapshotCache(pg_session("rt-look", "postgres", True)))
    cache = _look[0]
    return cache.get(sql) if cached else cache.session.query(sql)


def sql_one(sql):
    rows = psql(sql)
    check(len(rows) == 1, f"expected one row from {sql!r}, got {rows!r}")
    return rows[0]


def lit(s):
    """A SQL string literal (for ids and names this test made up)."""
    return "'" + str(s).replace("'", "''") + "'"


def end_rosterd_sessions(timeout=30):
    """Ends every session rosterd has open on PostgreSQL and waits until each
    is gone; returns the moment of the ending. Idle workers reconnect within
    a second on their own, so what is awaited is the end of every session
    that began before that moment, not an empty pg_stat_activity."""
    ended = sql_one("SELECT now()")
    gone = psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'rosterd' AND usename = 'rosterd' "
                "AND pid <> pg_backend_pid()", user="postgres")
    check(gone, "no rosterd connection to end")
    wait_until(lambda: sql_one("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "'rosterd' AND usename = 'rosterd' AND backend_start < "
                               f"{lit(ended)}::timestamptz AND pid <> pg_backend_pid()")
               == "0", "rosterd's PostgreSQL sessions ended", timeout=timeout)
    return ended


WRITE_TABLES = ("tenants", "users", "groups", "roles", "role_assignments", "group_members",
                "invites", "audit_log", "idempotency")


def snapshot():
    """Row counts of every table a user create writes, over all tenants."""
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in WRITE_TABLES)
    return dict(zip(WRITE_TABLES, sql_one(sql).split("|")))


_tables = []  # the schema's tables, read once


def versions(skip=()):
    """Per table of the schema but skip: its row count and the sum of its
    rows' xmin, so that an UPDATE (a new row version), or an INSERT plus a
    DELETE, shows as well as a changed count."""
    if not _tables:
        _tables.extend(psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                            "ORDER BY tablename"))
    sql = " UNION ALL ".join(f"SELECT {lit(t)}, count(*), "
                             f"coalesce(sum(x.xmin::text::bigint), 0) FROM {t} x"
                             for t in _tables if t not in skip)
    return {t: (n, x) for t, n, x in (line.split("|") for line in look(sql, cached=True))}


class NothingWritten:
    """with NothingWritten(): …  asserts that no row was added, removed or
    updated, in any table but skip; what names the block in the failure."""

    def __init__(self, what="", skip=()):
        self.what = what
        self.skip = skip

    def __enter__(self):
        self.before = versions(self.skip)

    def __exit__(self, et, ev, tb):
        if et is None:
            after = versions(self.skip)
            changed = {t: (self.before.get(t), after.get(t))
                       for t in set(self.before) | set(after)
                       if self.before.get(t) != after.get(t)}
            check(not changed, (f"{self.what}: " if self.what else "") +
                  f"rows written (count, sum of xmin): {changed}")
        return False


def nothing_written_by_any(name, calls, run):
    """run(*c) for each c of calls (c[0] its label), with one look at every
    table before and after them all rather than around each (a look scans
    every table); when something was written, each again on its own names
    the one that wrote."""
    try:
        with NothingWritten():
            for c in calls:
                run(*c)
    except Fail as e:
        if not str(e).startswith("rows written"):
            raise
        for c in calls:
            try:
                with NothingWritten():
                    run(*c)
            except Fail as one:
                raise Fail(f"{name}: {c[0]}: {one}") from None
        raise Fail(f"{name}: {e} (and by none of them alone)") from None


def user_row(tenant, user_id):
    rows = psql(f"SELECT row_to_json(u) FROM users u WHERE tenant_id = {lit(tenant)} "
                f"AND id = {lit(user_id)}")
    check(len(rows) == 1, f"users has {len(rows)} rows for {user_id}")
    return json.loads(rows[0])


def role_ids(tenant):
    """{role name: id} of a tenant."""
    out = {}
    for line in psql(f"SELECT id, name FROM roles WHERE tenant_id = {lit(tenant)}"):
        rid, name = line.split("|", 1)
        out[name] = rid
    return out


def assignments(tenant, user_id):
    return psql(f"SELECT role_id FROM role_assignments WHERE tenant_id = {lit(tenant)} "
                f"AND user_id = {lit(user_id)}")


def audit_rows_mentioning(tenant, text):
    return int(sql_one(f"SELECT count(*) FROM audit_log a WHERE tenant_id = {lit(tenant)} "
                       f"AND row_to_json(a)::text LIKE {lit('%' + text + '%')}"))


def pg_ctl(*args):
    cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(PG_DIR, "data"), *args]
    if PG_USER:
        cmd = ["runuser", "-u", PG_USER, "--", *cmd]
    subprocess.run(cmd, cwd="/", check=True, stdout=subprocess.DEVNULL, timeout=90)


def pg_dump():
    p = subprocess.run([os.path.join(PG_BIN, "pg_dump"), "-h", PG_DIR, "-p", PG_PORT,
                        "-U", "postgres", "rosterd"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise Fail(f"pg_dump: {p.stderr.strip()}")
    # \restrict and \unrestrict carry a random key on every run.
    return "".join(l for l in p.stdout.splitlines(True)
                   if not l.startswith(("\\restrict ", "\\unrestrict ")))


# --------------------------------------------------------------------------
# Tokens

ALL_TOKENS = []  # every token used; none may appear in a log


def rosterctl(*args, conf=CONF, env=None, timeout=30):
    with open(os.path.join(TMP, "rosterctl.log"), "ab") as log:
        return subprocess.run([ROSTERCTL, "-c", conf, *args], stdout=subprocess.PIPE,
                              stderr=log, stdin=subprocess.DEVNULL, env=env,
                              timeout=timeout)


_token_cache = {}


def ctl_token(sub, roles, tid=None, ttl=3600):
    """A token minted by `rosterctl token`."""
    key = (sub, tuple(roles), tid, ttl)
    if key not in _token_cache:
        args = ["token", "--sub", sub, "--roles", ",".join(roles), "--ttl", str(ttl)]
        if tid:
            args += ["--tid", tid]
        p = rosterctl(*args)
        if p.returncode != 0:
            raise Fail(f"rosterctl token exited {p.returncode}")
        tok = p.stdout.decode().strip()
        check(tok.count(".") == 2, f"rosterctl token printed {tok!r}")
        ALL_TOKENS.append(tok)
        _token_cache[key] = tok
    return _token_cache[key]


def default_token():
    return ctl_token("it-sysadmin", ["SystemAdmin"], TENANT_A)


def py_token(sub="it-py", roles=("SystemAdmin",), tid=TENANT_A, key=None, **claims):
    """A token made by PyJWT, independent of rosterd's code."""
    now = int(time.time())
    payload = {"sub": sub, "roles": list(roles), "iat": now, "exp": now + 600,
               "iss": ISSUER, "aud": AUDIENCE}
    if tid:
        payload["tid"] = tid
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    tok = jwt.encode(payload, key if key is not None else SECRET, algorithm="HS256")
    ALL_TOKENS.append(tok)
    return tok


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --------------------------------------------------------------------------
# rosterd processes

INSTANCES = []


class Rosterd:
    """A rosterd master started by this program, output to TMP/NAME.log."""

    def __init__(self, name, conf=CONF, env_extra=None):
        self.log_path = os.path.join(TMP, name + ".log")
        env = dict(os.environ)
        env.update(env_extra or {})
        argv = [ROSTERD, "-c", conf]
        if ENV.get("RT_VALGRIND") == "1":
            # Master and workers under memcheck, one log per process; the
            # test no_valgrind_report reads them. Slow: run a few tests.
            argv = ["valgrind", "--quiet", "--trace-children=yes", "--leak-check=full",
                    "--show-leak-kinds=definite,indirect",
                    "--errors-for-leak-kinds=definite,indirect",
                    f"--log-file={TMP}/valgrind.{name}.%p.log"] + argv
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, env=env,
                                         start_new_session=True)
        self.pid = self.proc.pid
        INSTANCES.append(self)

    def workers(self):
        """The master's children but its key fetcher (comm rosterd-jwks) and
        its import job runner (comm rosterd-jobs)."""
        p = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True)
        out = []
        for x in p.stdout.split():
            try:
                with open(f"/proc/{x}/comm") as f:
                    if f.read().strip() in ("rosterd-jwks", "rosterd-jobs"):
                        continue
            except OSError:
                continue
            out.append(int(x))
        return sorted(out)

    def wait_workers(self, n, timeout, exclude=()):
        """Waits until there are exactly n workers, none of them in exclude."""
        deadline = time.monotonic() + timeout
        while True:
            w = self.workers()
            if len(w) == n and not set(w) & set(exclude):
                return w
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return w
            time.sleep(0.05)

    def log_size(self):
        return os.path.getsize(self.log_path)

    def log_text(self, start=0):
        with open(self.log_path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    def log_records(self, start=0):
        return json_records(self.log_text(start))

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status, or kills everything after timeout
        (scaled by RT_TIME_SCALE)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout * TIME_SCALE)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def stop_all():
    for inst in INSTANCES:
        if inst.proc.poll() is None:
            inst.kill()


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


MAIN = None


def wait_ready(timeout=30):
    timeout *= TIME_SCALE
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if MAIN.proc.poll() is not None:
            raise Fail(f"rosterd exited with {MAIN.proc.returncode}: "
                       f"{MAIN.log_text()[-800:]}")
        try:
            r = request("GET", "/healthz", token=None, timeout=2)
            if r.status == 200:
                return
            last = r
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise Fail(f"rosterd not healthy within {timeout} s: {last!r}")


# --------------------------------------------------------------------------
# Request bodies

_seq = [0]


def unique(prefix="u"):
    _seq[0] += 1
    return f"{prefix}{_seq[0]}-{uuid.uuid4().hex[:8]}"


def new_user(**fields):
    """A valid request body: unique Username and Email, no roles."""
    name = unique("user")
    body = {"Username": name, "FirstName": "Ada", "LastName": "Lovelace",
            "Title": "Engineer", "Email": f"{name}@example.com", "Phone": "+44 20 7946 0000",
            "ExternalId": "ext-" + name, "Roles": []}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def seed_sample():
    with open(os.path.join(FIXTURES, "seed004_request.json"), "rb") as f:
        return f.read()


# --------------------------------------------------------------------------
# Tests, in the order they run

TESTS = []
LAST = []  # run after every other test, in this order, whatever registers later


def test(fn):
    TESTS.append(fn)
    return fn


def test_last(fn):
    """For the tests that stop the shared rosterd or read what the whole run
    left behind: they run after every @test, including those of t_*.py."""
    LAST.append(fn)
    return fn


@test
def health_and_readiness():
    r = request("GET", "/healthz", token=None)
    eq(r.status, 200, "/healthz status")
    r = request("GET", "/readyz", token=None)
    eq(r.status, 200, "/readyz status")


@test
def seed_sample_body_as_is_reports_unknown_roles():
    with NothingWritten():
        r = post_user(seed_sample())
        model_state(r, "user.Roles[0].Id")


@test
def seed_sample_with_real_values_creates_user():
    roles = role_ids(TENANT_A)
    check("Member" in roles and "Administrator" in roles, f"bootstrap roles: {roles}")
    sample = json.loads(seed_sample())
    uid = str(uuid.uuid4())
    name = unique("sample")
    sample.update({"Id": uid, "Username": name, "FirstName": "Grace", "LastName": "Hopper",
                   "Title": "Rear Admiral", "Email": f"{name}@example.com",
                   "Phone": "+1 555 0100", "ExternalId": "ext-" + name})
    for role in sample["Roles"]:
        role.update({"Id": roles["Member"], "Name": "Member", "OrganizationId": TENANT_A})
    before = snapshot()
    r = post_user(sample)
    eq(r.status, 200, f"status ({r!r})")
    ct = (r.header("Content-Type") or "").replace(" ", "").lower()
    eq(ct, "application/json;charset=utf-8", "Content-Type")
    check(b"$id" not in r.body, "response contains $id")
    pairs = json.loads(r.body, object_pairs_hook=lambda p: p)
    eq([k for k, _ in pairs], ["Id", "Username", "FirstName", "LastName", "Title", "Email",
                               "Phone", "ExternalId", "Roles"], "response keys in order")
    b = r.json()
    eq(b["Id"], uid, "Id (the one given is kept)")
    for k in ("Username", "FirstName", "LastName", "Title", "Email", "Phone", "ExternalId"):
        eq(b[k], sample[k], k)
    eq(b["Roles"], [{"Id": roles["Member"], "Name": "Member", "OrganizationId": TENANT_A}],
       "Roles (two identical entries are one role)")
    role_pairs = json.loads(r.body, object_pairs_hook=lambda p: p)[8][1][0]
    eq([k for k, _ in role_pairs], ["Id", "Name", "OrganizationId"], "role keys in order")
    row = user_row(TENANT_A, uid)
    for col, k in (("username", "Username"), ("email", "Email"), ("first_name", "FirstName"),
                   ("last_name", "LastName"), ("title", "Title"), ("phone", "Phone"),
                   ("external_id", "ExternalId")):
        eq(row.get(col), sample[k], f"users.{col}")
    eq(assignments(TENANT_A, uid), [roles["Member"]], "role_assignments rows")
    eq(audit_rows_mentioning(TENANT_A, uid), 1, "audit_log rows for the user")
    after = snapshot()
    eq(int(after["users"]) - int(before["users"]), 1, "users rows added")
    eq(int(after["role_assignments"]) - int(before["role_assignments"]), 1,
       "role_assignments rows added")
    eq(int(after["audit_log"]) - int(before["audit_log"]), 1, "audit_log rows added")


@test
def missing_or_zero_id_gets_new_uuid():
    for label, body in (("missing Id", new_user()), ("zero Id", new_user(Id=ZERO_UUID))):
        r = post_user(body)
        eq(r.status, 200, f"{label}: status ({r!r})")
        uid = r.json()["Id"]
        check(is_uuid(uid) and uid != ZERO_UUID, f"{label}: Id {uid!r}")
        eq(user_row(TENANT_A, uid)["username"], body["Username"], f"{label}: users.username")


@test
def role_by_name_case_insensitive():
    roles = role_ids(TENANT_A)
    for given in ("Member", "member", "MEMBER"):
        r = post_user(new_user(Roles=[{"Name": given}]))
        eq(r.status, 200, f"Name {given!r}: status ({r!r})")
        b = r.json()
        eq(b["Roles"], [{"Id": roles["Member"], "Name": "Member", "OrganizationId": TENANT_A}],
           f"Name {given!r}: Roles")
        eq(assignments(TENANT_A, b["Id"]), [roles["Member"]], "role_assignments rows")


@test
def absent_fields_are_null():
    r = post_user(new_user(Title=..., Phone=..., ExternalId=..., FirstName=..., LastName=...))
    eq(r.status, 200, f"status ({r!r})")
    b = r.json()
    for k in ("FirstName", "LastName", "Title", "Phone", "ExternalId"):
        check(k in b, f"{k} missing from the response (nulls are written)")
        eq(b[k], None, k)
    eq(b["Roles"], [], "Roles")
    row = user_row(TENANT_A, b["Id"])
    for col in ("title", "phone", "external_id"):
        eq(row.get(col), None, f"users.{col}")


@test
def accepts_text_json_and_charset():
    for ct in ("text/json", "application/json; charset=utf-8"):
        r = post_user(new_user(), ctype=ct)
        eq(r.status, 200, f"Content-Type {ct}: status ({r!r})")


@test
def error_unknown_organization_404():
    with NothingWritten():
        message_body(post_user(new_user(), org=str(uuid.uuid4())), 404)


@test
def error_malformed_organization_id_400():
    with NothingWritten():
        b = message_body(post_user(new_user(), org="not-a-guid"), 400, INVALID)
        check("ModelState" not in b, f"unexpected ModelState: {b}")


@test
def error_invalid_email():
    with NothingWritten():
        model_state(post_user(new_user(Email="nope")), "user.Email")


@test
def error_over_long_first_name():
    with NothingWritten():
        model_state(post_user(new_user(FirstName="x" * 300)), "user.FirstName")


@test
def error_missing_username():
    with NothingWritten():
        model_state(post_user(new_user(Username=...)), "user.Username")


@test
def error_role_of_another_organization():
    member_a = role_ids(TENANT_A)["Member"]
    with NothingWritten():
        r = post_user(new_user(Roles=[{"Id": member_a, "Name": "Member",
                                       "OrganizationId": TENANT_B}]))
        model_state(r, "user.Roles[0].OrganizationId")


@test
def error_unknown_role_name():
    with NothingWritten():
        model_state(post_user(new_user(Roles=[{"Name": "NoSuchRole"}])), "user.Roles[0].Name")


@test
def error_username_taken_409():
    first = new_user(Username=unique("Taken"))
    eq(post_user(first).status, 200, "first create")
    with NothingWritten():
        dup = new_user(Username=first["Username"].upper())
        message_body(post_user(dup), 409)


@test
def error_email_taken_409():
    first = new_user()
    eq(post_user(first).status, 200, "first create")
    with NothingWritten():
        dup = new_user(Email=first["Email"].upper())
        message_body(post_user(dup), 409)


@test
def error_malformed_json():
    with NothingWritten():
        r = post_user(b'{"Username":')
        b = message_body(r, 400)
        check(isinstance(b.get("ModelState"), dict) and b["ModelState"],
              f"no ModelState: {b}")


@test
def error_json_array():
    with NothingWritten():
        message_body(post_user(b"[]"), 400)
        message_body(post_user(json.dumps([new_user()])), 400)


@test
def error_wrong_types_name_the_field():
    with NothingWritten():
        # Json.NET reads a number or a bool into a string member as its
        # text, so the wrong types here are ones no reader converts.
        for field, value in (("Username", {"x": 1}), ("Username", ["a"]),
                             ("Roles", "x"), ("Roles", 5)):
            r = post_user(new_user(**{field: value}))
            eq(r.status, 400, f"{field}={value!r}: status ({r!r})")
            ms = r.json().get("ModelState") or {}
            check(any(k.lower().endswith(field.lower()) for k in ms),
                  f"{field}={value!r}: ModelState keys {sorted(ms)} do not name it")


@test
def error_unsupported_media_type_415():
    with NothingWritten():
        r = post_user(json.dumps(new_user()), ctype="text/plain")
        message_body(r, 415, "The request entity's media type 'text/plain' is not "
                             "supported for this resource.")


@test
def auth_missing_token_401():
    with NothingWritten():
        r = post_user(new_user(), token=None)
        message_body(r, 401, DENIED)
        www = r.header("WWW-Authenticate") or ""
        check(www.startswith("Bearer"), f"WWW-Authenticate: {www!r}")


@test
def auth_bad_tokens_401():
    now = int(time.time())
    good_claims = {"sub": "it-bad", "tid": TENANT_A, "roles": ["SystemAdmin"],
                   "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE}
    none_tok = (b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." +
                b64url(json.dumps(good_claims).encode()) + ".")
    cases = {
        "wrong secret": py_token(key=b"not-the-secret-" + os.urandom(16).hex().encode()),
        "expired beyond leeway": py_token(exp=now - 3600, iat=now - 7200),
        "not yet valid (nbf)": py_token(nbf=now + 3600),
        "no exp": py_token(exp=None),
        "alg none": none_tok,
        "garbage": "garbage",
        "three garbage parts": "abc.def.ghi",
        "wrong iss": py_token(iss="someone-else"),
        "wrong aud": py_token(aud="someone-else"),
        "tampered payload": tamper(default_token()),
    }
    ALL_TOKENS.append(none_tok)
    with NothingWritten():
        for label, tok in cases.items():
            r = post_user(new_user(), token=tok)
            check(r.status == 401, f"{label}: expected 401, got {r!r}")
            eq(r.json().get("Message"), DENIED, f"{label}: Message")


def tamper(tok):
    """The token with its roles changed but the old signature."""
    h, p, s = tok.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["roles"] = ["SystemAdmin", "TenantAdmin"]
    claims["sub"] = "mallory"
    return h + "." + b64url(json.dumps(claims).encode()) + "." + s


@test
def auth_rosterctl_token_verifies_with_pyjwt():
    t0 = int(time.time())
    tok = ctl_token("it-check", ["TenantAdmin"], TENANT_A, ttl=120)
    t1 = int(time.time()) + 1
    claims = jwt.decode(tok, SECRET, algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE)
    eq(claims.get("sub"), "it-check", "sub")
    eq(claims.get("tid"), TENANT_A, "tid")
    eq(claims.get("roles"), ["TenantAdmin"], "roles")
    # Minted between t0 and t1, whatever the time that took.
    check(t0 + 120 <= claims["exp"] <= t1 + 120, f"exp {claims['exp']} not in "
          f"[{t0 + 120}, {t1 + 120}] (the call's start and end + 120)")
    eq(jwt.get_unverified_header(tok).get("alg"), "HS256", "alg")


@test
def auth_pyjwt_system_admin_creates():
    r = post_user(new_user(), token=py_token())
    eq(r.status, 200, f"status ({r!r})")


@test
def auth_tenant_admin_of_org_creates():
    r = post_user(new_user(), token=ctl_token("it-tadmin-a", ["TenantAdmin"], TENANT_A))
    eq(r.status, 200, f"status ({r!r})")
    user_row(TENANT_A, r.json()["Id"])


@test
def auth_tenant_admin_of_other_org_403():
    with NothingWritten():
        r = post_user(new_user(), token=ctl_token("it-tadmin-b", ["TenantAdmin"], TENANT_B))
        message_body(r, 403, DENIED)


@test
def auth_tenant_reader_403():
    with NothingWritten():
        r = post_user(new_user(), token=ctl_token("it-reader-a", ["TenantReader"], TENANT_A))
        message_body(r, 403, DENIED)


@test
def auth_system_admin_of_other_tid_allowed():
    r = post_user(new_user(), token=ctl_token("it-sys-b", ["SystemAdmin"], TENANT_B))
    eq(r.status, 200, f"status ({r!r})")
    user_row(TENANT_A, r.json()["Id"])


@test
def route_matching_is_case_insensitive():
    r = request("POST", f"/API/Organizations/{TENANT_A}/USERS", new_user())
    eq(r.status, 200, f"status ({r!r})")
    user_row(TENANT_A, r.json()["Id"])


@test
def route_wrong_method_405():
    r = request("GET", users_path(TENANT_A))
    eq(r.status, 405, f"status ({r!r})")
    allow = r.header("Allow") or ""
    check("POST" in [m.strip() for m in allow.split(",")], f"Allow: {allow!r}")


@test
def route_unknown_api_path_404_json():
    for path in ("/api/no-such-thing", f"/api/organizations/{TENANT_A}/nothing"):
        r = request("GET", path)
        message_body(r, 404)
        check((r.header("Content-Type") or "").startswith("application/json"),
              f"{path}: Content-Type {r.header('Content-Type')!r}")


@test
def route_outside_api_prefixes_404_from_nginx():
    before = MAIN.log_size()
    for path in ("/etc/passwd", "/index.html", "/", "/apix/organizations",
                 "/api", "/v2/tenants", "/metricsx", "/.env", "/healthz/x"):
        r = request("GET", path)
        eq(r.status, 404, f"{path}: status")
        eq(r.header("Content-Type"), "application/problem+json", f"{path}: Content-Type")
        eq(r.json().get("status"), 404, f"{path}: problem status")
    # rosterd logs a request before it answers it: nothing to wait for.
    seen = [r for r in MAIN.log_records(before) if "method" in r]
    check(not seen, f"rosterd served requests nginx should have refused: {seen[:2]}")


@test
def http_redirects_to_https():
    host, port = HTTP_URL.split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        eq(r.status, 301, "status")
        check((r.getheader("Location") or "").startswith("https://"),
              f"Location {r.getheader('Location')!r}")
    finally:
        conn.close()


REMOTE = "127.0.0.2"  # any loopback address but 127.0.0.1 is "remote" to the site
NGINX_ERROR_LOG = os.path.join(TMP, "nginx", "error.log")


@test
def edge_tls_versions_http2_and_hsts():
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=ENV["RT_CA"])
        ctx.minimum_version = ctx.maximum_version = version
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection((HOST, int(PORT)), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=HOST) as tls:
                eq(tls.version(), version.name.replace("v", "v", 1).replace("_", "."),
                   "negotiated TLS version")
                eq(tls.selected_alpn_protocol(), "h2", f"{version.name}: ALPN")
    r = request("GET", "/healthz", token=None)
    hsts = r.header("Strict-Transport-Security") or ""
    check(re.match(r"max-age=\d{8,}", hsts), f"Strict-Transport-Security {hsts!r}")
    eq(r.header("X-Content-Type-Options"), "nosniff", "X-Content-Type-Options")
    check(not (r.header("Server") or "").startswith("nginx/"), "nginx version disclosed")


@test
def edge_probes_loopback_only_and_rate_limit():
    before = MAIN.log_size()
    for path in ("/readyz", "/metrics"):
        r = request("GET", path, token=None, source=REMOTE)
        eq(r.status, 403, f"{path} from {REMOTE}: status")
        eq(r.header("Content-Type"), "application/problem+json", f"{path}: Content-Type")
    seen = [x for x in MAIN.log_records(before) if "method" in x]
    check(not seen, f"rosterd served a probe from a remote address: {seen[:2]}")
    eq(request("GET", "/readyz", token=None).status, 200, "/readyz from 127.0.0.1")
    eq(request("GET", "/healthz", token=None, source=REMOTE).status, 200,
       "/healthz from a remote address")
    # 50 r/s with a burst of 100 per address. Eight clients on kept
    # connections send at once, so the rate they reach does not hang on one
    # round trip's latency; they stop at the first 429.
    log_start = nginx_error_log_size()
    stop = threading.Event()
    lock = threading.Lock()
    statuses, refused, errors = [], [], []
    served = [0]

    def allowed(t):
        # The bucket holds at most 101 and refills at 50 a second: no more
        # than this can be served in t seconds.
        return 101 + 50 * t + 1

    def client():
        conn = connect(source=REMOTE)
        try:
            while not stop.is_set():
                r = request("GET", "/healthz", token=None, conn=conn)
                with lock:
                    statuses.append(r.status)
                    if r.status == 429:
                        refused.append(r)
                        stop.set()
                    else:
                        served[0] += 1
                        if served[0] > allowed(time.monotonic() - t0):
                            stop.set()  # the limit is not enforced: fail at once
        except Exception as e:  # noqa: BLE001 - reported below
            if not stop.is_set():
                errors.append(e)
            stop.set()
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    stop.wait(120 * TIME_SCALE)  # a guard against a hang only
    stop.set()
    for th in threads:
        th.join()
    took = time.monotonic() - t0
    check(not errors, f"a client failed: {errors[:1]}")
    check(set(statuses) <= {200, 429}, f"statuses: {set(statuses)}")
    ok = statuses.count(200)
    check(ok <= allowed(took),
          f"{ok} requests served in {took:.1f} s: more than 50 r/s with a burst of 100")
    # This host is exempt: a burst from 127.0.0.1 right after is served.
    conn = connect()
    try:
        got = {request("GET", "/healthz", token=None, conn=conn).status for _ in range(150)}
    finally:
        conn.close()
    eq(got, {200}, "statuses from 127.0.0.1")
    if not refused:
        raise Skip(f"the clients could not send faster than the limit ({ok} requests "
                   f"in {took:.1f} s)")
    # The bucket held 101 less the three requests from REMOTE above.
    check(ok >= 98, f"429 after only {ok} requests served (burst is 100)")
    r = refused[0]
    eq(r.header("Content-Type"), "application/problem+json", "429 Content-Type")
    eq(r.header("Retry-After"), "1", "429 Retry-After")
    check(r.header("Strict-Transport-Security"), "429 without HSTS")
    check("limiting requests" in nginx_error_log(log_start),
          "nginx logged no \"limiting requests\" for the 429")


def nginx_error_log_size():
    try:
        return os.path.getsize(NGINX_ERROR_LOG)
    except FileNotFoundError:
        return 0


def nginx_error_log(start=0):
    with open(NGINX_ERROR_LOG, "rb") as f:
        f.seek(start)
        return f.read().decode("utf-8", "replace")


def backoff(tries):
    """Pauses of 0.05 s doubling up to 1 s: polls that cost requests."""
    return [min(0.05 * 2 ** i, 1.0) for i in range(tries)]


def poll_remote(what, want_status, log_line=None, tries=20):
    """GET /healthz from REMOTE until it answers want_status (a 429 only
    counts when nginx logged log_line for it), at most `tries` requests:
    each served one costs the rate limit's bucket a token. Returns the
    response."""
    for pause in backoff(tries):
        start = nginx_error_log_size()
        r = request("GET", "/healthz", token=None, source=REMOTE)
        if r.status == want_status and (log_line is None or log_line in nginx_error_log(start)):
            return r
        time.sleep(pause)
    raise Fail(f"{what}: GET /healthz from {REMOTE} answered {r.status} (last of {tries})")


def hold_connections(n):
    """n TLS connections from REMOTE, each with a POST's headers sent and
    its body still to come."""
    held = []
    try:
        for _ in range(n):
            sock = socket.create_connection((HOST, int(PORT)), timeout=TIMEOUT,
                                            source_address=(REMOTE, 0))
            t = TLS.wrap_socket(sock, server_hostname=HOST)
            held.append(t)
            t.sendall(f"POST /v1/tenants HTTP/1.1\r\nHost: {HOST}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
                      .encode())
    except BaseException:
        for t in held:
            t.close()
        raise
    return held


@test
def edge_connections_per_address_capped():
    """32 requests whose bodies are still coming in from one address hold
    32 connections (and no rosterd worker); the 33rd gets 429."""
    for attempt in range(10):
        # A 429 from the rate limit (an earlier test may have emptied the
        # bucket) costs no token: poll until one is served.
        wait_until(lambda: request("GET", "/healthz", token=None, source=REMOTE).status == 200,
                   "rate-limited before the test", interval=0.1)
        start = nginx_error_log_size()
        held = hold_connections(32)
        try:
            # nginx counts a connection once it has read its headers: poll
            # until the cap (not the rate limit) refuses one. Each served
            # poll costs the rate limit's bucket a token.
            limited = None
            for pause in backoff(20):
                since = nginx_error_log_size()
                r = request("GET", "/healthz", token=None, source=REMOTE)
                if r.status == 429 and "limiting connections" in nginx_error_log(since):
                    limited = r
                    break
                if any("limiting requests" in line and "POST /v1/tenants" in line
                       for line in nginx_error_log(start).splitlines()):
                    break  # the bucket was short: held requests were refused
                time.sleep(pause)
            if limited is not None:
                eq(limited.header("Content-Type"), "application/problem+json",
                   "429 Content-Type")
                eq(request("GET", "/healthz", token=None).status, 200,
                   "this host is not capped")
        finally:
            for t in held:
                t.close()
        if limited is not None:
            break
        check(any("limiting requests" in line and "POST /v1/tenants" in line
                  for line in nginx_error_log(start).splitlines()),
              f"no 429 from {REMOTE} with 32 connections held (last: {r!r})")
        time.sleep(1)  # the held requests met the rate limit: let it refill, try again
    else:
        raise Fail("the rate limit refused held requests in 10 attempts")
    poll_remote("served again once the connections are gone", 200)


@test
def edge_body_caps_per_route_family_at_nginx():
    """nginx's client_max_body_size per route family, at its boundary: a
    body of exactly the cap reaches rosterd (which logs it, whatever it
    answers), one byte more is nginx's own 413 and rosterd never sees it."""
    group = f"/v1/tenants/{TENANT_A}/groups/{uuid.uuid4()}"
    families = [
        ("/v1", "/v1/tenants", 64 * 1024),
        ("the vendor routes", users_path(TENANT_A), 1024 * 1024),
        ("bulk membership", group + "/members", 2 * 1024 * 1024),
        ("bulk removal", group + "/members:remove", 2 * 1024 * 1024),
    ]
    with NothingWritten():
        for family, path, cap in families:
            for size in (cap, cap + 1):
                rid = f"cap-{size}-{uuid.uuid4().hex[:12]}"
                start = MAIN.log_size()
                r = request("POST", path, b"{" + b" " * (size - 2) + b"}",
                            headers={"X-Request-Id": rid})
                seen = [x for x in MAIN.log_records(start) if x.get("request_id") == rid]
                what = f"{family}: {size} bytes to {path}"
                if size == cap:
                    check(seen, f"{what}: rosterd did not see it ({r!r})")
                    continue
                eq(r.status, 413, f"{what}: status")
                eq(r.header("Content-Type"), "application/problem+json",
                   f"{what}: Content-Type")
                b = r.json()
                eq(b.get("status"), 413, f"{what}: problem status")
                check("larger than this route" in b.get("detail", ""),
                      f"{what}: not nginx's 413: {b!r}")
                check(not seen, f"{what}: rosterd saw a body nginx should refuse: {seen}")


# Independent keys for every JWS algorithm: PyJWT signs, rosterd verifies.
def every_alg_keys():
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    rsa_k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = {}
    for bits in (256, 384, 512):
        keys[f"HS{bits}"] = os.urandom(bits // 8 + 16)
        keys[f"RS{bits}"] = rsa_k
        keys[f"PS{bits}"] = rsa_k
    keys["ES256"] = ec.generate_private_key(ec.SECP256R1())
    keys["ES384"] = ec.generate_private_key(ec.SECP384R1())
    keys["ES512"] = ec.generate_private_key(ec.SECP521R1())
    keys["EdDSA"] = ed25519.Ed25519PrivateKey.generate()
    return keys


def public_jwk(alg, key, kid):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    j = {"kid": kid, "alg": alg, "use": "sig"}
    if isinstance(key, bytes):
        j.update(kty="oct", k=b64url(key))
    elif isinstance(key, rsa.RSAPrivateKey):
        n = key.public_key().public_numbers()
        j.update(kty="RSA", n=b64url(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                 e=b64url(n.e.to_bytes(3, "big")))
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        n = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
        j.update(kty="EC", crv=crv, x=b64url(n.x.to_bytes(size, "big")),
                 y=b64url(n.y.to_bytes(size, "big")))
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        j.update(kty="OKP", crv="Ed25519", x=b64url(raw))
    return j


def reload_main():
    """SIGHUP; returns once the new workers run and the master has logged
    that the old ones have stopped (so no reload runs into what follows)."""
    old = MAIN.wait_workers(WORKERS, 30)
    mark = MAIN.log_size()
    os.kill(MAIN.pid, signal.SIGHUP)
    eq(len(MAIN.wait_workers(WORKERS, 30 * TIME_SCALE, exclude=old)), WORKERS,
       "workers after reload")
    wait_log_msg(mark, "reload done", what="\"reload done\" logged")


@test
def auth_every_algorithm_from_pyjwt_good_and_tampered():
    path = os.path.join(TMP, "jwks.json")
    with open(path, "rb") as f:
        saved = f.read()
    keys = every_alg_keys()
    with open(path + ".new", "w") as f:
        json.dump({"keys": [public_jwk(a, k, "all-" + a) for a, k in keys.items()]}, f)
    os.replace(path + ".new", path)
    reload_main()
    try:
        now = int(time.time())
        for alg, key in keys.items():
            claims = {"sub": "it-" + alg, "tid": TENANT_A, "roles": ["TenantAdmin"],
                      "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
            tok = jwt.encode(claims, key, algorithm=alg, headers={"kid": "all-" + alg})
            ALL_TOKENS.append(tok)
            r = post_user(new_user(), token=tok)
            eq(r.status, 200, f"{alg}: good token ({r!r})")
            with NothingWritten():
                r = post_user(new_user(), token=tamper(tok))
                eq(r.status, 401, f"{alg}: tampered payload")
                h, p, sig = tok.split(".")
                raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
                raw[len(raw) // 2] ^= 0x01
                r = post_user(new_user(), token=f"{h}.{p}.{b64url(bytes(raw))}")
                eq(r.status, 401, f"{alg}: one signature bit flipped")
                # The right key, but announced as another algorithm of the family.
                other = {"RS256": "PS256", "PS256": "RS256", "HS256": "HS512",
                         "ES256": "ES384"}.get(alg)
                if other:
                    bad = jwt.encode(claims, key, algorithm=other, headers={"kid": "all-" + alg})
                    ALL_TOKENS.append(bad)
                    r = post_user(new_user(), token=bad)
                    eq(r.status, 401, f"{alg} key used for {other}")
    finally:
        with open(path + ".new", "wb") as f:
            f.write(saved)
        os.replace(path + ".new", path)
        reload_main()


# The refusal table: every route the router has, against every
# way of calling it wrongly, then rightly. `rosterctl routes` lists the
# router's table; a route without a row here fails the test, so no route
# can be added without its authorization being tested.
#
# A row: (method, path, body, status of the rightful call) for target tenant t.
ROUTE_CALLS = {
    ("GET", "/healthz"): lambda t: ("GET", "/healthz", None, 200),
    ("GET", "/readyz"): lambda t: ("GET", "/readyz", None, 200),
    # /metrics wants metrics_token_file's token, not a JWT (t_hardening.py)
    ("GET", "/metrics"): lambda t: ("GET", "/metrics", None, 401),
    ("GET", "/openapi.json"): lambda t: ("GET", "/openapi.json", None, 200),
    ("POST", "/api/organizations/{organizationId}/users"):
        lambda t: ("POST", users_path(t), new_user(), 200),
    ("POST", "/v1/tenants"): lambda t: ("POST", "/v1/tenants", {"name": unique("T")}, 201),
    ("GET", "/v1/tenants"): lambda t: ("GET", "/v1/tenants", None, 200),
    ("GET", "/v1/tenants/{tenantId}"): lambda t: ("GET", f"/v1/tenants/{t}", None, 200),
    ("PATCH", "/v1/tenants/{tenantId}"):
        lambda t: ("PATCH", f"/v1/tenants/{t}", {"attributes": {"touched": True}}, 200),
    ("DELETE", "/v1/tenants/{tenantId}"): lambda t: (lambda x: (
        "DELETE", f"/v1/tenants/{x['id']}?confirm={x['slug']}", None, 204))(v1_tenant()),
    ("POST", "/v1/tenants/{tenantId}/users"):
        lambda t: ("POST", f"/v1/tenants/{t}/users", {"username": unique("rt")}, 201),
    ("GET", "/v1/tenants/{tenantId}/users"):
        lambda t: ("GET", f"/v1/tenants/{t}/users?limit=1", None, 200),
    ("GET", "/v1/tenants/{tenantId}/users/{userId}"):
        lambda t: ("GET", f"/v1/tenants/{t}/users/{v1_user(t)['id']}", None, 200),
    ("PATCH", "/v1/tenants/{tenantId}/users/{userId}"):
        lambda t: ("PATCH", f"/v1/tenants/{t}/users/{v1_user(t)['id']}", {"title": "x"}, 200),
    ("DELETE", "/v1/tenants/{tenantId}/users/{userId}"):
        lambda t: ("DELETE", f"/v1/tenants/{t}/users/{v1_user(t)['id']}", None, 204),
    ("GET", "/v1/tenants/{tenantId}/users/{userId}/groups"):
        lambda t: ("GET", f"/v1/tenants/{t}/users/{v1_user(t)['id']}/groups", None, 200),
    ("POST", "/v1/tenants/{tenantId}/groups"):
        lambda t: ("POST", f"/v1/tenants/{t}/groups",
                   {"kind": "user", "code": unique("c"), "name": "n"}, 201),
    ("GET", "/v1/tenants/{tenantId}/groups"):
        lambda t: ("GET", f"/v1/tenants/{t}/groups?limit=1", None, 200),
    ("GET", "/v1/tenants/{tenantId}/groups/{groupId}"):
        lambda t: ("GET", f"/v1/tenants/{t}/groups/{v1_group(t)['id']}", None, 200),
    ("PATCH", "/v1/tenants/{tenantId}/groups/{groupId}"):
        lambda t: ("PATCH", f"/v1/tenants/{t}/groups/{v1_group(t)['id']}", {"name": "m"}, 200),
    ("DELETE", "/v1/tenants/{tenantId}/groups/{groupId}"):
        lambda t: ("DELETE", f"/v1/tenants/{t}/groups/{v1_group(t)['id']}", None, 204),
    ("GET", "/v1/tenants/{tenantId}/groups/{groupId}/members"):
        lambda t: ("GET", f"/v1/tenants/{t}/groups/{v1_group(t)['id']}/members", None, 200),
    ("POST", "/v1/tenants/{tenantId}/groups/{groupId}/members"):
        lambda t: ("POST", f"/v1/tenants/{t}/groups/{v1_group(t)['id']}/members",
                   {"userIds": [v1_user(t)["id"]]}, 200),
    ("POST", "/v1/tenants/{tenantId}/groups/{groupId}/members:remove"):
        lambda t: ("POST", f"/v1/tenants/{t}/groups/{v1_group(t)['id']}/members:remove",
                   {"userIds": [v1_user(t)["id"]]}, 200),
    ("DELETE", "/v1/tenants/{tenantId}/groups/{groupId}/members/{userId}"):
        lambda t: (lambda g, u: (
            v1("POST", f"/tenants/{t}/groups/{g}/members", {"userIds": [u]}),
            ("DELETE", f"/v1/tenants/{t}/groups/{g}/members/{u}", None, 204))[1])(
            v1_group(t)["id"], v1_user(t)["id"]),
    ("POST", "/v1/tenants/{tenantId}/roles"):
        lambda t: ("POST", f"/v1/tenants/{t}/roles", {"name": unique("R")}, 201),
    ("GET", "/v1/tenants/{tenantId}/roles"):
        lambda t: ("GET", f"/v1/tenants/{t}/roles", None, 200),
    ("GET", "/v1/tenants/{tenantId}/roles/{roleId}"):
        lambda t: ("GET", f"/v1/tenants/{t}/roles/{v1_role(t)['id']}", None, 200),
    ("PATCH", "/v1/tenants/{tenantId}/roles/{roleId}"):
        lambda t: ("PATCH", f"/v1/tenants/{t}/roles/{v1_role(t)['id']}", {"description": "d"},
                   200),
    ("DELETE", "/v1/tenants/{tenantId}/roles/{roleId}"):
        lambda t: ("DELETE", f"/v1/tenants/{t}/roles/{v1_role(t)['id']}", None, 204),
    ("GET", "/v1/tenants/{tenantId}/users/{userId}/roles"):
        lambda t: ("GET", f"/v1/tenants/{t}/users/{v1_user(t)['id']}/roles", None, 200),
    ("PUT", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}"):
        lambda t: ("PUT", f"/v1/tenants/{t}/users/{v1_user(t)['id']}/roles/{v1_role(t)['id']}",
                   None, 201),
    ("DELETE", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}"):
        lambda t: (lambda p: (v1("PUT", p[3:]), ("DELETE", p, None, 204))[1])(
            f"/v1/tenants/{t}/users/{v1_user(t)['id']}/roles/{v1_role(t)['id']}"),
    ("POST", "/v1/tenants/{tenantId}/invites"):
        lambda t: ("POST", f"/v1/tenants/{t}/invites", {"email": unique("i") + "@example.com"},
                   201),
    ("GET", "/v1/tenants/{tenantId}/invites"):
        lambda t: ("GET", f"/v1/tenants/{t}/invites?limit=1", None, 200),
    ("GET", "/v1/tenants/{tenantId}/invites/{inviteId}"):
        lambda t: ("GET", f"/v1/tenants/{t}/invites/{v1_invite(t)['id']}", None, 200),
    ("DELETE", "/v1/tenants/{tenantId}/invites/{inviteId}"):
        lambda t: ("DELETE", f"/v1/tenants/{t}/invites/{v1_invite(t)['id']}", None, 204),
    ("POST", "/v1/invites/accept"):
        lambda t: ("POST", "/v1/invites/accept",
                   {"token": v1_invite(t)["token"], "password": "pw-123456"}, 200),
    ("GET", "/v1/tenants/{tenantId}/audit"):
        lambda t: ("GET", f"/v1/tenants/{t}/audit?limit=1", None, 200),
    # import jobs (t_import_jobs.py): a dry run of one row, waited for
    # (ROUTE_AFTER) so that no job is left running while the next route's
    # refusals are checked for writes; a held job stays queued to cancel
    ("POST", "/v1/tenants/{tenantId}/imports"):
        lambda t: ("POST", f"/v1/tenants/{t}/imports?format=csv&dryRun=true",
                   f"username\n{unique('rt')}\n", 202),
    ("GET", "/v1/tenants/{tenantId}/imports"):
        lambda t: ("GET", f"/v1/tenants/{t}/imports?limit=1", None, 200),
    ("GET", "/v1/tenants/{tenantId}/imports/{importId}"):
        lambda t: ("GET", f"/v1/tenants/{t}/imports/{v1_import_job(t)['id']}", None, 200),
    ("DELETE", "/v1/tenants/{tenantId}/imports/{importId}"):
        lambda t: ("DELETE", f"/v1/tenants/{t}/imports/{v1_import_job_held(t)}", None, 200),
    ("GET", "/v1/tenants/{tenantId}/imports/{importId}/errors"):
        lambda t: ("GET", f"/v1/tenants/{t}/imports/{v1_import_job(t)['id']}/errors", None,
                   200),
    ("GET", "/v1/tenants/{tenantId}/export"):
        lambda t: ("GET", f"/v1/tenants/{t}/export?format=jsonl", None, 200),
}

# What follows a rightful call of a route, before anything else runs.
ROUTE_AFTER = {
    ("POST", "/v1/tenants/{tenantId}/imports"):
        lambda t, r: _ij_wait(t, r.json()["id"]),
}


def router_routes():
    p = rosterctl("routes")
    eq(p.returncode, 0, "rosterctl routes exit status")
    rows = [line.split("\t") for line in p.stdout.decode().splitlines()]
    check(rows and all(len(r) == 5 for r in rows), f"rosterctl routes printed {rows[:3]}")
    return rows


_rsa_key = []


def rsa_private_key():
    """The RSA key of the test config, loaded once (loading checks the key,
    some 40 ms a time)."""
    if not _rsa_key:
        from cryptography.hazmat.primitives import serialization
        with open(ENV["RT_RSA_KEY"], "rb") as f:
            _rsa_key.append(serialization.load_pem_private_key(f.read(), password=None))
    return _rsa_key[0]


def stray_ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())


def refusal_cases(right, method, tenant_param):
    """(label, Authorization header or None, extra headers, expected status)."""
    now = int(time.time())
    base = {"sub": "it-refusal", "tid": TENANT_A, "roles": ["TenantAdmin"],
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}

    def hs(**over):
        c = dict(base, **over)
        return jwt.encode({k: v for k, v in c.items() if v is not None}, SECRET,
                          algorithm="HS256")

    with open(ENV["RT_RSA_PUB"], "rb") as f:
        pub = f.read()
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(dict(base, roles=["SystemAdmin"])).encode())
    confused = hdr + "." + body + "." + b64url(
        __import__("hmac").new(pub, (hdr + "." + body).encode(), "sha256").digest())
    none = (b64url(json.dumps({"alg": "none"}).encode()) + "." + body + ".")
    cases = [
        ("no Authorization header", None, {}, 401),
        ("Basic scheme", "Basic aXQ6cGFzc3dvcmQ=", {}, 401),
        ("Bearer garbage", "Bearer garbage", {}, 401),
        ("alg none", "Bearer " + none, {}, 401),
        ("HS256 keyed with the RSA public key", "Bearer " + confused, {}, 401),
        ("wrong signature", "Bearer " + tamper(hs()), {}, 401),
        ("expired", "Bearer " + hs(exp=now - 3600, iat=now - 7200), {}, 401),
        ("not yet valid", "Bearer " + hs(nbf=now + 3600), {}, 401),
        ("wrong aud", "Bearer " + hs(aud="another-api"), {}, 401),
        ("wrong iss", "Bearer " + hs(iss="another-issuer"), {}, 401),
        # ES256: no configured key without kid can stand in (the HS secret
        # and the RSA PEM have none, and such keys serve any kid).
        ("unknown kid", "Bearer " + jwt.encode(base, stray_ec_key(), algorithm="ES256",
                                               headers={"kid": "no-such-kid"}), {}, 401),
        ("roles not a list of strings", "Bearer " + hs(roles={"SystemAdmin": True}), {}, 401),
        ("X-Tenant-Id not a uuid", "Bearer " + hs(), {"X-Tenant-Id": "acme"}, 400),
        ("no roles", "Bearer " + hs(roles=[]), {}, 403),
    ]
    if right not in ("TenantAdmin", "TenantReader"):
        # A SystemAdmin route: every TenantAdmin is refused, header or not;
        # where the path names the tenant, a header contradicting it is
        # the 400 it is on every such route.
        contra = 403 if tenant_param == "-" else 400
        cases += [
            ("another tenant's TenantAdmin", "Bearer " + hs(tid=TENANT_B), {}, 403),
            ("another tenant's TenantAdmin naming it in X-Tenant-Id",
             "Bearer " + hs(tid=TENANT_B), {"X-Tenant-Id": TENANT_B}, contra),
            ("TenantAdmin with X-Tenant-Id of another tenant", "Bearer " + hs(),
             {"X-Tenant-Id": TENANT_B}, contra),
        ]
    elif tenant_param != "-":
        # The path names the tenant (A): another tenant's admin is refused,
        # and a header contradicting the path is a 400.
        cases += [
            ("another tenant's TenantAdmin", "Bearer " + hs(tid=TENANT_B), {}, 403),
            ("another tenant's TenantAdmin naming it in X-Tenant-Id",
             "Bearer " + hs(tid=TENANT_B), {"X-Tenant-Id": TENANT_B}, 400),
            ("TenantAdmin with X-Tenant-Id of another tenant", "Bearer " + hs(),
             {"X-Tenant-Id": TENANT_B}, 400),
        ]
    else:
        # The tenant comes from X-Tenant-Id, else tid (A is the target):
        # a TenantAdmin of B may act in B, never in A.
        cases += [
            ("another tenant's TenantAdmin naming this tenant in X-Tenant-Id",
             "Bearer " + hs(tid=TENANT_B), {"X-Tenant-Id": TENANT_A}, 403),
            ("TenantAdmin with X-Tenant-Id of another tenant", "Bearer " + hs(),
             {"X-Tenant-Id": TENANT_B}, 403),
        ]
    if method != "GET":
        cases.append(("TenantReader on a write", "Bearer " + hs(roles=["TenantReader"]), {},
                      403))
    elif right == "TenantAdmin":
        cases.append(("TenantReader on an admin's read", "Bearer " + hs(roles=["TenantReader"]),
                      {}, 403))
    if right == "SystemAdmin":
        cases.append(("TenantAdmin on a SystemAdmin route", "Bearer " + hs(), {}, 403))
    for label, auth, _, _ in cases:
        if auth and auth.startswith("Bearer "):
            ALL_TOKENS.append(auth[7:])
    return cases


def rightful_callers(right, method):
    now = int(time.time())
    claims = {"sub": "it-rightful", "iss": ISSUER, "aud": AUDIENCE, "iat": now,
              "exp": now + 600}
    sys_rs = jwt.encode(dict(claims, roles=["SystemAdmin"]), rsa_private_key(),
                        algorithm="RS256")
    sys_b = jwt.encode(dict(claims, roles=["SystemAdmin"], tid=TENANT_B), SECRET,
                       algorithm="HS256")
    callers = [("SystemAdmin without tid (RS256, PEM key)", sys_rs),
               ("SystemAdmin of another tid", sys_b)]
    if right in ("TenantAdmin", "TenantReader"):
        callers.append(("TenantAdmin of the tenant", jwt.encode(
            dict(claims, roles=["TenantAdmin"], tid=TENANT_A), SECRET, algorithm="HS256")))
    if right == "TenantReader":
        callers.append(("TenantReader of the tenant", jwt.encode(
            dict(claims, roles=["TenantReader"], tid=TENANT_A), SECRET, algorithm="HS256")))
    ALL_TOKENS.extend(t for _, t in callers)
    return callers


KIBO_ERROR_KEYS = ["message", "errorCode", "applicationName", "additionalErrorData", "items"]


def refusal_shape(dialect, pattern, r, status, what):
    """Asserts that a refusal has its dialect's own error shape."""
    ctype = (r.header("Content-Type") or "").replace(" ", "").lower()
    if dialect == "v1":
        eq(ctype, "application/problem+json", f"{what}: Content-Type")
        p = r.json()
        eq(p.get("status"), status, f"{what}: problem status")
        check(isinstance(p.get("title"), str) and p["title"], f"{what}: problem title {p!r}")
    elif dialect == "aspnet":
        check(ctype.startswith("application/json"), f"{what}: Content-Type {ctype}")
        b = r.json()
        key = "message" if pattern == "/api/users" else "Message"  # seed 003 is camelCase
        check(isinstance(b, dict) and isinstance(b.get(key), str) and b[key],
              f"{what}: no {key} in {b!r}")
        if status in (401, 403):
            eq(b[key], DENIED, f"{what}: {key}")
    elif dialect == "servicestack":
        check(ctype.startswith("application/json"), f"{what}: Content-Type {ctype}")
        rs = r.json().get("responseStatus")
        check(isinstance(rs, dict) and isinstance(rs.get("errorCode"), str)
              and isinstance(rs.get("message"), str) and rs["message"],
              f"{what}: no responseStatus with errorCode and message: {r!r}")
        want = {401: "Unauthorized", 403: "Forbidden"}.get(status)
        if want:
            eq(rs["errorCode"], want, f"{what}: errorCode")
    elif dialect == "kibo":
        check(ctype.startswith("application/json"), f"{what}: Content-Type {ctype}")
        b = r.json()
        eq(list(b), KIBO_ERROR_KEYS, f"{what}: Kibo error members")
        want = {401: "UNAUTHORIZED", 403: "FORBIDDEN"}.get(status)
        if want:
            eq(b["errorCode"], want, f"{what}: errorCode")
        check(r.header("x-vol-correlation"), f"{what}: x-vol-correlation header")
    else:
        raise Fail(f"{what}: no error shape known for dialect {dialect!r}")


def rightful_body(dialect, method, pattern, r, what):
    """A minimal check of a rightful call's body: the shape of a success,
    never an error."""
    if r.status == 204:
        eq(r.body, b"", f"{what}: 204 body")
        return
    if dialect == "plain":
        if pattern == "/openapi.json":
            eq(r.json().get("openapi"), "3.1.0", f"{what}: the OpenAPI document")
        elif pattern == "/metrics" and r.status == 200:
            check(b"rosterd_http_requests" in r.body, f"{what}: no metrics {r!r}")
        return
    ctype = (r.header("Content-Type") or "").replace(" ", "").lower()
    if pattern.endswith("/export"):  # JSON Lines, a record a line
        eq(ctype, "application/x-ndjson", f"{what}: Content-Type")
        for line in r.body.decode().splitlines():
            check(isinstance(json.loads(line), dict), f"{what}: a line {line[:100]!r}")
        return
    check(ctype.startswith("application/json"), f"{what}: Content-Type {ctype}")
    b = r.json()
    check(isinstance(b, dict), f"{what}: not an object {r!r}")
    if dialect == "v1":
        if method == "GET" and "{" not in pattern.rsplit("/", 1)[1]:
            want = "items"  # a list
        elif pattern.endswith("/members"):
            want = "added"
        elif pattern.endswith("members:remove"):
            want = "removed"
        elif pattern.endswith("/roles/{roleId}") and "/users/" in pattern:
            want = "roleId"
        elif pattern.endswith("/errors"):
            want = "items"
        else:
            want = "id"
        check(want in b, f"{what}: no {want!r} in {b!r}")
    elif dialect == "aspnet":
        if pattern == "/Application/PostSecurityGroupUsers":
            eq(b.get("IsSuccess"), True, f"{what}: IsSuccess")
        else:
            key = "id" if pattern == "/api/users" else "Id"
            check(is_uuid(b.get(key)), f"{what}: {key} {b.get(key)!r}")
    elif dialect == "servicestack":
        check(b.get("email") and "responseStatus" not in b, f"{what}: not a UserAuth {b!r}")
    elif dialect == "kibo":
        check(b.get("groupCode") and isinstance(b.get("users"), list),
              f"{what}: not an AdminGroup {b!r}")


@test
def authz_refusal_table_every_route():
    rows = router_routes()
    missing = [f"{m} {p}" for m, p, *_ in rows if (m, p) not in ROUTE_CALLS]
    check(not missing, f"routes without a row in the refusal table: {missing}")
    stale = [k for k in ROUTE_CALLS if k not in {(m, p) for m, p, *_ in rows}]
    check(not stale, f"refusal table rows for routes the router does not have: {stale}")
    for method, pattern, right, tenant_param, dialect in rows:
        name = f"{method} {pattern}"
        if right == "public":
            m, path, body, ok = ROUTE_CALLS[(method, pattern)](TENANT_A)
            r = request(m, path, body, token=None)
            eq(r.status, ok, f"{name}: without a token")
            rightful_body(dialect, method, pattern, r, f"{name}: without a token")
            m, path, body, ok = ROUTE_CALLS[(method, pattern)](TENANT_A)
            r = request(m, path, body, token="garbage")
            eq(r.status, ok, f"{name}: garbage token")
            rightful_body(dialect, method, pattern, r, f"{name}: garbage token")
            continue
        check(right in ("SystemAdmin", "TenantAdmin", "TenantReader"),
              f"{name}: right {right!r}")
        # Each call's fixtures (ROUTE_CALLS may create a row to address)
        # are made before the look at the tables.
        calls = []
        for label, auth, extra, want in refusal_cases(right, method, tenant_param):
            m, path, body, _ = ROUTE_CALLS[(method, pattern)](TENANT_A)
            h = dict(extra)
            if auth is not None:
                h["Authorization"] = auth
            calls.append((label, m, path, body, h, want))

        def refuse(label, m, path, body, h, want):
            r = request(m, path, body, token=None, headers=h)
            eq(r.status, want, f"{name}: {label} ({r!r})")
            refusal_shape(dialect, pattern, r, want, f"{name}: {label}")
            if want == 401:
                check((r.header("WWW-Authenticate") or "").startswith("Bearer"),
                      f"{name}: {label}: WWW-Authenticate")
        nothing_written_by_any(name, calls, refuse)
        for label, tok in rightful_callers(right, method):
            m, path, body, ok = ROUTE_CALLS[(method, pattern)](TENANT_A)
            h = {"X-Tenant-Id": TENANT_A} if tenant_param == "-" else {}
            r = request(m, path, body, token=tok, headers=h)
            eq(r.status, ok, f"{name}: {label} ({r!r})")
            rightful_body(dialect, method, pattern, r, f"{name}: {label}")
            if (method, pattern) in ROUTE_AFTER:
                ROUTE_AFTER[(method, pattern)](TENANT_A, r)
            # The path's tenant agreeing with X-Tenant-Id is fine too.
            if tenant_param != "-":
                m, path, body, ok = ROUTE_CALLS[(method, pattern)](TENANT_A)
                # the tenant the path names (a fresh one for DELETE /v1/tenants/{id})
                at = pattern.split("/").index("{" + tenant_param + "}")
                named = path.split("?")[0].split("/")[at]
                r = request(m, path, body, token=tok, headers={"X-Tenant-Id": named.upper()})
                eq(r.status, ok, f"{name}: {label} with a matching X-Tenant-Id ({r!r})")
                if (method, pattern) in ROUTE_AFTER:
                    ROUTE_AFTER[(method, pattern)](TENANT_A, r)
                rightful_body(dialect, method, pattern, r,
                              f"{name}: {label} with a matching X-Tenant-Id")


# --------------------------------------------------------------------------
# /v1: rosterd's own API


def v1(method, path, body=None, token="default", **kw):
    return request(method, "/v1" + path, body, token=token, **kw)


def v1_tenant(name=None):
    name = name or unique("Tenant ")
    r = v1("POST", "/tenants", {"name": name})
    eq(r.status, 201, f"create tenant ({r!r})")
    return r.json()


def v1_user(tenant=None, **fields):
    body = {"username": unique("v1u"), "email": unique("v1u") + "@example.com"}
    body.update(fields)
    r = v1("POST", f"/tenants/{tenant or TENANT_A}/users", body)
    eq(r.status, 201, f"create user ({r!r})")
    return r.json()


def problem(r, status, field=None, code=None):
    eq(r.status, status, f"status ({r!r})")
    eq(r.header("Content-Type"), "application/problem+json", "Content-Type")
    p = r.json()
    eq(p.get("status"), status, "problem status")
    check(isinstance(p.get("title"), str) and p["title"], f"problem title {p!r}")
    if field is not None:
        errs = p.get("errors") or []
        check(any(e.get("field") == field and (code is None or e.get("code") == code)
                  for e in errs), f"no error for field {field!r} code {code!r}: {errs!r}")
    return p


@test
def v1_tenant_create_get_patch_delete():
    r = v1("POST", "/tenants", {"name": "Initech Ltd.", "attributes": {"tier": "gold"}})
    eq(r.status, 201, f"create ({r!r})")
    t = r.json()
    check(is_uuid(t["id"]), f"id {t['id']!r}")
    eq(t["slug"], "initech-ltd", "slug made from the name")
    eq(t["attributes"], {"tier": "gold"}, "attributes")
    eq(t["version"], 1, "version")
    eq(r.header("Location"), f"/v1/tenants/{t['id']}", "Location")
    eq(r.header("ETag"), '"1"', "ETag")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", t["createdAt"]),
          f"createdAt {t['createdAt']!r}")
    eq(list(t), ["id", "name", "slug", "attributes", "createdAt", "updatedAt", "version"],
       "member order")
    # The new tenant has the standard roles and its default group.
    eq(sql_one(f"SELECT count(*) FROM roles WHERE tenant_id = {lit(t['id'])}"), "2", "roles")
    eq(sql_one(f"SELECT count(*) FROM groups WHERE tenant_id = {lit(t['id'])} AND is_default"),
       "1", "default group")
    g = v1("GET", f"/tenants/{t['id']}")
    eq(g.status, 200, "get")
    eq(g.json(), t, "get = create")
    # A stale If-Match changes nothing.
    with NothingWritten():
        r = v1("PATCH", f"/tenants/{t['id']}", {"name": "Initrode"}, headers={"If-Match": '"7"'})
        problem(r, 412)
    r = v1("PATCH", f"/tenants/{t['id']}", {"name": "Initrode"}, headers={"If-Match": '"1"'})
    eq(r.status, 200, f"patch ({r!r})")
    eq(r.json()["name"], "Initrode", "patched name")
    eq(r.json()["slug"], "initech-ltd", "slug kept")
    eq(r.json()["version"], 2, "version bumped")
    eq(r.header("ETag"), '"2"', "ETag after patch")
    eq(audit_count(t["id"], "tenant.update"), 1, "audit row of the patch")
    # Deleting needs the slug.
    with NothingWritten():
        problem(v1("DELETE", f"/tenants/{t['id']}"), 400, "confirm", "required")
        problem(v1("DELETE", f"/tenants/{t['id']}?confirm=nope"), 400, "confirm", "mismatch")
    u = v1_user(t["id"])
    r = v1("DELETE", f"/tenants/{t['id']}?confirm=initech-ltd")
    eq(r.status, 204, f"delete ({r!r})")
    eq(r.body, b"", "204 body")
    for table in ("users", "roles", "groups", "group_members", "role_assignments"):
        eq(sql_one(f"SELECT count(*) FROM {table} WHERE tenant_id = {lit(t['id'])}"), "0",
           f"{table} rows left")
    eq(sql_one(f"SELECT string_agg(action, ',') FROM audit_log WHERE tenant_id = {lit(t['id'])}"),
       "tenant.delete", "audit rows left: only the deletion's")
    problem(v1("GET", f"/tenants/{t['id']}"), 404)
    problem(v1("GET", f"/tenants/{t['id']}/users/{u['id']}"), 404)


@test
def v1_writes_see_what_committed_while_they_waited():
    """A write that waits for a row another transaction holds acts on the
    row as that transaction left it, not as its statement's snapshot saw
    it: a tenant renamed (and its version moved) meanwhile is not deleted
    by a DELETE carrying the old slug and version; an assignment committed
    meanwhile is answered (200), not a crash."""
    t = v1_tenant()
    u, role = v1_user(t["id"]), v1_role(t["id"])
    path = f"/v1/tenants/{t['id']}/users/{u['id']}/roles/{role['id']}"
    r, _ = request_behind([f"INSERT INTO role_assignments (tenant_id, user_id, role_id, "
                           f"created_by) VALUES ({lit(t['id'])}, {lit(u['id'])}, "
                           f"{lit(role['id'])}, 'it-race')"], "PUT", path)
    eq(r.status, 200, f"the PUT of an assignment committed meanwhile ({r!r})")
    eq(r.json()["roleId"], role["id"], f"the assignment answered ({r.json()!r})")
    eq(audit_count(t["id"], "user.role.assign"), 0, "no assignment audited twice")
    r, _ = request_behind([f"UPDATE tenants SET slug = slug || '-x', version = version + 1 "
                           f"WHERE id = {lit(t['id'])}"],
                          "DELETE", f"/v1/tenants/{t['id']}?confirm={t['slug']}",
                          headers={"If-Match": '"1"'})
    check(r.status in (400, 412), f"the DELETE of the tenant as it was ({r!r})")
    eq(sql_one(f"SELECT version FROM tenants WHERE id = {lit(t['id'])}"), "2",
       "the tenant is still there")


def audit_count(tenant, action, target=None):
    """Audit rows of action in tenant (about target when given)."""
    return int(sql_one(f"SELECT count(*) FROM audit_log WHERE tenant_id = {lit(tenant)} "
                       f"AND action = {lit(action)}"
                       + (f" AND target_id = {lit(target)}" if target else "")))


@test
def v1_tenant_errors():
    with NothingWritten():
        problem(v1("POST", "/tenants", {}), 400, "name", "required")
        problem(v1("POST", "/tenants", {"name": ""}), 400, "name", "required")
        problem(v1("POST", "/tenants", {"name": "x" * 257}), 400, "name", "tooLong")
        problem(v1("POST", "/tenants", {"name": "A", "slug": "Not A Slug"}), 400, "slug",
                "invalid")
        problem(v1("POST", "/tenants", {"name": "A", "colour": "red"}), 400, "colour", "unknown")
        problem(v1("POST", "/tenants", {"name": 5}), 400, "name", "type")
        problem(v1("POST", "/tenants", {"name": "A", "attributes": [1]}), 400, "attributes",
                "type")
        problem(v1("POST", "/tenants", "[1,2]"), 400)
        problem(v1("POST", "/tenants", "{\"name\": "), 400)
        problem(v1("POST", "/tenants", "{\"name\":\"a\",\"name\":\"b\"}"), 400)
        problem(v1("POST", "/tenants", {"name": "A"}, ctype="text/plain"), 415)
        problem(v1("POST", "/tenants", None), 400)
        problem(v1("POST", "/tenants", {"name": "!!!"}), 400, "slug", "required")
        problem(v1("GET", "/tenants/not-a-uuid"), 404)
        problem(v1("GET", f"/tenants/{uuid.uuid4()}"), 404)
        problem(v1("PATCH", f"/tenants/{uuid.uuid4()}", {"name": "x"}), 404)
        problem(v1("DELETE", f"/tenants/{uuid.uuid4()}?confirm=x"), 404)
        problem(v1("GET", "/tenants?limit=0"), 400, "limit", "invalid")
        problem(v1("GET", "/tenants?limit=1001"), 400, "limit", "invalid")
        # a limit that does not even decode is still the limit's fault
        problem(v1("GET", "/tenants?limit=%zz"), 400, "limit", "invalid")
        problem(v1("GET", "/tenants?limit=%zz&cursor=bm9wZQ"), 400, "limit", "invalid")
        problem(v1("GET", "/tenants?cursor=bm9wZQ"), 400, "cursor", "invalid")
        problem(v1("PUT", "/tenants"), 405)
        problem(v1("GET", "/nothing-here"), 404)
    slug = unique("dup").lower()
    eq(v1("POST", "/tenants", {"name": "Dup", "slug": slug}).status, 201, "first")
    with NothingWritten():
        problem(v1("POST", "/tenants", {"name": "Dup", "slug": slug}), 409, "slug", "taken")


@test
def v1_user_create_get_patch_delete():
    body = {"username": unique("ada"), "email": unique("ada") + "@example.com",
            "firstName": "Ada", "lastName": "Lovelace", "displayName": "Ada L.",
            "title": "Countess", "phone": "+44 20 7946 0000", "externalId": unique("ext"),
            "locale": "en-GB", "timeZone": "Europe/London", "active": True,
            "attributes": {"team": "engines"}}
    r = v1("POST", f"/tenants/{TENANT_A}/users", body)
    eq(r.status, 201, f"create ({r!r})")
    u = r.json()
    for k, v in body.items():
        eq(u[k], v, f"field {k}")
    eq(u["tenantId"], TENANT_A, "tenantId")
    eq(u["hasPassword"], False, "hasPassword")
    eq(u["createdBy"], "it-sysadmin", "createdBy")
    check("password" not in u, "password in the resource")
    eq(r.header("Location"), f"/v1/tenants/{TENANT_A}/users/{u['id']}", "Location")
    eq(audit_count(TENANT_A, "user.create", u["id"]), 1, "audit row of the create")
    g = v1("GET", f"/tenants/{TENANT_A}/users/{u['id'].upper()}")
    eq(g.status, 200, "get by upper-case id")
    eq(g.json(), u, "get = create")
    # Another tenant's path does not reveal the user.
    problem(v1("GET", f"/tenants/{TENANT_B}/users/{u['id']}"), 404)
    r = v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}",
           {"title": None, "active": False}, headers={"If-Match": r.header("ETag")})
    eq(r.status, 200, f"patch ({r!r})")
    eq(r.json()["title"], None, "title cleared")
    eq(r.json()["active"], False, "deactivated")
    eq(r.json()["firstName"], "Ada", "untouched field kept")
    eq(r.json()["version"], 2, "version")
    with NothingWritten():
        problem(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"title": "x"},
                   headers={"If-Match": '"1"'}), 412)
        problem(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"username": None}), 400,
                "username", "required")
        problem(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"email": "nope"}), 400,
                "email", "invalid")
        problem(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"id": str(uuid.uuid4())}),
                400, "id", "unknown")
        problem(v1("DELETE", f"/tenants/{TENANT_A}/users/{u['id']}",
                   headers={"If-Match": '"1"'}), 412)
        # a version no bigint holds is no version of ours: 412, not 4xx/5xx
        # from the database
        for big in ('"99999999999999999999"', '"9223372036854775808"'):
            problem(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"title": "x"},
                       headers={"If-Match": big}), 412)
            problem(v1("DELETE", f"/tenants/{TENANT_A}/users/{u['id']}",
                       headers={"If-Match": big}), 412)
    # Memberships and role assignments go with the user.
    psql(f"INSERT INTO group_members (tenant_id, group_id, user_id) SELECT tenant_id, id, "
         f"{lit(u['id'])} FROM groups WHERE tenant_id = {lit(TENANT_A)} AND is_default")
    r = v1("DELETE", f"/tenants/{TENANT_A}/users/{u['id']}", headers={"If-Match": '"2"'})
    eq(r.status, 204, f"delete ({r!r})")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE user_id = {lit(u['id'])}"), "0",
       "memberships left")
    problem(v1("GET", f"/tenants/{TENANT_A}/users/{u['id']}"), 404)
    problem(v1("DELETE", f"/tenants/{TENANT_A}/users/{u['id']}"), 404)


@test
def v1_user_errors():
    taken = v1_user()
    with NothingWritten():
        problem(v1("POST", f"/tenants/{TENANT_A}/users", {"email": "a@example.com"}), 400,
                "username", "required")
        p = problem(v1("POST", f"/tenants/{TENANT_A}/users",
                       {"username": "", "email": "bad", "phone": "1" * 65, "active": "yes"}), 400)
        fields = sorted(e["field"] for e in p["errors"])
        eq(fields, ["active", "email", "phone", "username"], "every bad field named at once")
        problem(v1("POST", f"/tenants/{TENANT_A}/users",
                   {"username": taken["username"].upper()}), 409, "username", "taken")
        problem(v1("POST", f"/tenants/{TENANT_A}/users",
                   {"username": unique("x"), "email": taken["email"].upper()}), 409, "email",
                "taken")
        problem(v1("POST", f"/tenants/{uuid.uuid4()}/users", {"username": "x"}), 404)
        problem(v1("GET", f"/tenants/{TENANT_A}/users?active=maybe"), 400, "active")
        problem(v1("GET", f"/tenants/{TENANT_A}/users?q=" + "x" * 257), 400, "q", "tooLong")
        problem(v1("GET", "/tenants/not-a-uuid/users"), 404)
        problem(v1("POST", "/tenants/not-a-uuid/users", {"username": "x"}), 404)
        problem(v1("GET", f"/tenants/{TENANT_A}/users/{uuid.uuid4()}"), 404)
        problem(v1("POST", f"/tenants/{TENANT_A}/users",
                   "{\"username\":\"x\",\"attributes\":" + "[" * 40 + "]" * 40 + "}"), 400)
    r = v1("GET", f"/tenants/{TENANT_A}/users?q=%27%3B%20DROP%20TABLE%20users%3B--")
    eq(r.status, 200, "q with SQL metacharacters")
    eq(r.json()["items"], [], "nothing matches")


@test
def v1_user_list_filters_and_pages():
    t = v1_tenant()["id"]
    made = [v1_user(t, username=f"page{i:02d}-" + unique("p"), externalId=f"x{i % 3}",
                    active=(i % 2 == 0)) for i in range(25)]
    seen, cursor, pages = [], None, 0
    while True:
        r = v1("GET", f"/tenants/{t}/users?limit=7" + (f"&cursor={cursor}" if cursor else ""))
        eq(r.status, 200, f"page ({r!r})")
        body = r.json()
        eq(list(body), ["items", "nextCursor"], "list shape")
        seen += [u["id"] for u in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    eq(pages, 4, "pages of 7 for 25 users")
    eq(seen, [u["id"] for u in made], "every user once, in creation order")
    r = v1("GET", f"/tenants/{t}/users?limit=25")
    eq(r.json()["nextCursor"], None, "exactly the limit: no next page")
    eq(len(r.json()["items"]), 25, "all on one page")
    r = v1("GET", f"/tenants/{t}/users?q=PAGE1")
    eq(sorted(u["username"][:6] for u in r.json()["items"]), [f"page1{i}" for i in range(10)],
       "q: case-insensitive prefix")
    r = v1("GET", f"/tenants/{t}/users?externalId=x1&active=false&limit=1000")
    want = [u["id"] for i, u in enumerate(made) if i % 3 == 1 and i % 2 == 1]
    eq([u["id"] for u in r.json()["items"]], want, "externalId and active filters")
    reader = ctl_token("it-reader-list", ["TenantReader"], t)
    eq(v1("GET", f"/tenants/{t}/users", token=reader).status, 200, "TenantReader lists")
    tl = v1("GET", "/tenants?limit=1000")
    check(t in [x["id"] for x in tl.json()["items"]], "tenant list has the new tenant")


@test
def v1_user_list_walk_while_writing():
    """8 writers insert and delete users while a reader walks the list page
    by page: every user that existed for the whole walk is seen exactly once.
    The reader waits after its first page until the writers have written,
    so the walk does cross their writes."""
    t = v1_tenant()["id"]
    stable = [v1_user(t)["id"] for _ in range(60)]
    doomed = [v1_user(t)["id"] for _ in range(40)]
    stop = threading.Event()
    errors = []
    writes = [0]  # users created or deleted by the writers
    lock = threading.Lock()

    def wrote():
        with lock:
            writes[0] += 1

    def writer(n):
        i = 0
        try:
            while not stop.is_set():
                u = v1_user(t)
                wrote()
                if i < len(doomed) // 8:
                    d = doomed[n * (len(doomed) // 8) + i]
                    eq(v1("DELETE", f"/tenants/{t}/users/{d}").status, 204, "delete")
                    wrote()
                eq(v1("DELETE", f"/tenants/{t}/users/{u['id']}").status, 204, "delete own")
                wrote()
                i += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    seen, cursor, during = [], None, None
    try:
        while True:
            r = v1("GET", f"/tenants/{t}/users?limit=5" + (f"&cursor={cursor}" if cursor else ""))
            eq(r.status, 200, f"page ({r!r})")
            seen += [u["id"] for u in r.json()["items"]]
            cursor = r.json()["nextCursor"]
            if cursor is None:
                break
            if during is None:
                first = writes[0]
                wait_until(lambda: errors or writes[0] >= first + 24,
                           "the writers wrote nothing while the reader waited")
                during = first
        during = writes[0] - during
    finally:
        stop.set()
        for th in threads:
            th.join()
    check(not errors, f"writer failed: {errors[:1]}")
    check(during is not None and during >= 24,
          f"writes between the first and the last page: {during}")
    eq(len(seen), len(set(seen)), "a user seen twice")
    missing = [s for s in stable if s not in seen]
    eq(missing, [], "users that existed throughout but were not seen")


def v1_group(tenant=None, kind="security", **fields):
    body = {"kind": kind, "code": unique("g"), "name": "Group " + unique("n")}
    body.update(fields)
    r = v1("POST", f"/tenants/{tenant or TENANT_A}/groups", body)
    eq(r.status, 201, f"create group ({r!r})")
    return r.json()


@test
def v1_group_create_get_patch_delete():
    r = v1("POST", f"/tenants/{TENANT_A}/groups",
           {"kind": "privilege", "code": "Ops-" + unique("c"), "name": "Operators",
            "description": "Run things", "attributes": {"level": 3}})
    eq(r.status, 201, f"create ({r!r})")
    g = r.json()
    eq(g["kind"], "privilege", "kind")
    eq(g["isDefault"], False, "isDefault")
    eq(g["scopeIds"], [], "scopeIds")
    eq(r.header("Location"), f"/v1/tenants/{TENANT_A}/groups/{g['id']}", "Location")
    eq(v1("GET", f"/tenants/{TENANT_A}/groups/{g['id']}").json(), g, "get = create")
    with NothingWritten():
        problem(v1("POST", f"/tenants/{TENANT_A}/groups",
                   {"kind": "privilege", "code": g["code"].upper(), "name": "x"}), 409, "code",
                "taken")
        problem(v1("POST", f"/tenants/{TENANT_A}/groups", {"kind": "team", "code": "x",
                                                           "name": "x"}), 400, "kind", "invalid")
        problem(v1("POST", f"/tenants/{TENANT_A}/groups", {"kind": "user"}), 400, "code",
                "required")
        problem(v1("PATCH", f"/tenants/{TENANT_A}/groups/{g['id']}", {"kind": "user"}), 400,
                "kind", "readOnly")
        problem(v1("GET", f"/tenants/{TENANT_A}/groups?kind=team"), 400, "kind")
        problem(v1("GET", f"/tenants/{TENANT_B}/groups/{g['id']}"), 404)
    # The same code in another kind is another group.
    eq(v1("POST", f"/tenants/{TENANT_A}/groups", {"kind": "admin", "code": g["code"],
                                                  "name": "x"}).status, 201, "same code, other kind")
    r = v1("GET", f"/tenants/{TENANT_A}/groups?kind=privilege&code={g['code'].lower()}")
    eq([x["id"] for x in r.json()["items"]], [g["id"]], "filter by kind and code")
    r = v1("PATCH", f"/tenants/{TENANT_A}/groups/{g['id']}", {"name": "Operators 2",
                                                             "description": None},
           headers={"If-Match": '"1"'})
    eq(r.status, 200, f"patch ({r!r})")
    eq((r.json()["name"], r.json()["description"], r.json()["version"]), ("Operators 2", None, 2),
       "patched")
    u = v1_user()
    eq(v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members",
          {"userIds": [u["id"]]}).status, 200, "add member")
    r = v1("DELETE", f"/tenants/{TENANT_A}/groups/{g['id']}")
    eq(r.status, 204, f"delete a group in use ({r!r})")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(g['id'])}"), "0",
       "memberships left")
    eq(v1("GET", f"/tenants/{TENANT_A}/users/{u['id']}").status, 200, "the user stays")


@test
def v1_members_add_list_remove():
    g = v1_group()
    users = [v1_user() for _ in range(5)]
    ids = [u["id"] for u in users]
    ghost = str(uuid.uuid4())
    other = v1_user(TENANT_B)["id"]
    r = v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members",
           {"userIds": [ids[0], ids[1], ghost, ids[0].upper(), other]})
    eq(r.status, 200, f"add ({r!r})")
    eq(r.json(), {"added": [ids[0], ids[1]], "alreadyMember": [], "notFound": [ghost, other]},
       "per-id results")
    eq(audit_count(TENANT_A, "group.members.add", g["id"]), 1, "audit row of the add")
    with NothingWritten():
        r = v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members",
               {"userIds": [ids[1], ids[0]]})
        eq(r.json(), {"added": [], "alreadyMember": [ids[1], ids[0]], "notFound": []},
           "again: nothing changes")
    r = v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members", {"userIds": ids})
    eq(r.json()["added"], ids[2:], "the rest added")
    r = v1("GET", f"/tenants/{TENANT_A}/groups/{g['id']}/members?limit=2")
    page = r.json()
    eq(len(page["items"]), 2, "page size")
    check(page["nextCursor"], "next cursor")
    eq(set(page["items"][0]), {"userId", "username", "email", "displayName", "active",
                               "addedAt", "addedBy"}, "member fields")
    walked, cur = [], None
    while True:
        r = v1("GET", f"/tenants/{TENANT_A}/groups/{g['id']}/members?limit=2"
               + (f"&cursor={cur}" if cur else ""))
        walked += [m["userId"] for m in r.json()["items"]]
        cur = r.json()["nextCursor"]
        if not cur:
            break
    eq(sorted(walked), sorted(ids), "walk of the members")
    r = v1("GET", f"/tenants/{TENANT_A}/users/{ids[0]}/groups")
    eq([x["id"] for x in r.json()["items"]], [g["id"]], "groups of a user")
    r = v1("DELETE", f"/tenants/{TENANT_A}/groups/{g['id']}/members/{ids[0]}")
    eq(r.status, 204, f"remove one ({r!r})")
    with NothingWritten():
        problem(v1("DELETE", f"/tenants/{TENANT_A}/groups/{g['id']}/members/{ids[0]}"), 404)
    r = v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members:remove",
           {"userIds": [ids[1], ids[0], ghost]})
    eq(r.status, 200, f"bulk remove ({r!r})")
    eq(r.json(), {"removed": [ids[1]], "notMember": [ids[0], ghost]}, "bulk remove results")
    with NothingWritten():
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{uuid.uuid4()}/members",
                   {"userIds": ids}), 404)
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members",
                   {"userIds": [ids[2], "nope", 7]}), 400, "userIds[1]", "invalid")
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members", {"userIds": []}),
                400, "userIds", "required")
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members", {"ids": ids}),
                400, "userIds", "required")
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members",
                   {"userIds": [str(uuid.uuid4()) for _ in range(10001)]}), 413, "userIds",
                "tooMany")
        problem(v1("GET", f"/tenants/{TENANT_B}/groups/{g['id']}/members"), 404)


@test
def v1_members_bulk_10000():
    t = v1_tenant()["id"]
    g = v1_group(t)
    psql(f"INSERT INTO users (tenant_id, id, username) SELECT {lit(t)}, gen_random_uuid(), "
         f"'bulk' || i FROM generate_series(1, 9000) i")
    ids = psql(f"SELECT id FROM users WHERE tenant_id = {lit(t)} ORDER BY username")
    eq(len(ids), 9000, "users made")
    already = ids[:500]
    eq(v1("POST", f"/tenants/{t}/groups/{g['id']}/members", {"userIds": already}).status, 200,
       "first 500")
    absent = [str(uuid.uuid4()) for _ in range(1000)]
    req = ids + absent
    start = time.monotonic()
    r = v1("POST", f"/tenants/{t}/groups/{g['id']}/members", {"userIds": req})
    took = time.monotonic() - start
    eq(r.status, 200, f"bulk add ({r.status})")
    res = r.json()
    eq(res["added"], ids[500:], "added: the 8,500 new ones, in request order")
    eq(res["alreadyMember"], already, "alreadyMember: the first 500")
    eq(res["notFound"], absent, "notFound: the 1,000 absent")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(g['id'])}"), "9000",
       "membership rows")
    with NothingWritten():
        r = v1("POST", f"/tenants/{t}/groups/{g['id']}/members", {"userIds": req})
        eq((len(r.json()["added"]), len(r.json()["alreadyMember"]), len(r.json()["notFound"])),
           (0, 9000, 1000), "the same request again")
    print(f"# bulk add of 10,000 ids (8,500 new): {took * 1000:.0f} ms", flush=True)
    r = v1("GET", f"/tenants/{t}/groups/{g['id']}/members?limit=1000")
    eq(len(r.json()["items"]), 1000, "a page of 1,000 members")


def v1_role(tenant=None, **fields):
    body = {"name": unique("Role ")}
    body.update(fields)
    r = v1("POST", f"/tenants/{tenant or TENANT_A}/roles", body)
    eq(r.status, 201, f"create role ({r!r})")
    return r.json()


def v1_invite(tenant=None, **fields):
    body = {"email": unique("inv") + "@example.com"}
    body.update(fields)
    r = v1("POST", f"/tenants/{tenant or TENANT_A}/invites", body)
    eq(r.status, 201, f"create invite ({r!r})")
    return r.json()


@test
def v1_roles_and_assignments():
    r = v1("POST", f"/tenants/{TENANT_A}/roles", {"name": "Auditor", "description": "Reads",
                                                  "isGroupAdmin": True})
    if r.status == 409:  # a rerun against a kept database
        r = v1("POST", f"/tenants/{TENANT_A}/roles", {"name": unique("Auditor")})
    eq(r.status, 201, f"create ({r!r})")
    role = r.json()
    check(isinstance(role["number"], int), f"number {role['number']!r}")
    eq(v1("GET", f"/tenants/{TENANT_A}/roles/{role['id']}").json(), role, "get = create")
    with NothingWritten():
        problem(v1("POST", f"/tenants/{TENANT_A}/roles", {"name": role["name"].lower()}), 409,
                "name", "taken")
        problem(v1("POST", f"/tenants/{TENANT_A}/roles", {"name": "x", "isGroupAdmin": 1}),
                400, "isGroupAdmin", "type")
    names = [x["name"] for x in v1("GET", f"/tenants/{TENANT_A}/roles?limit=1000").json()["items"]]
    check({"Administrator", "Member", role["name"]} <= set(names), f"role list {names}")
    r = v1("PATCH", f"/tenants/{TENANT_A}/roles/{role['id']}", {"description": "Reads all"},
           headers={"If-Match": '"1"'})
    eq((r.status, r.json()["description"]), (200, "Reads all"), "patch")
    u = v1_user()
    path = f"/tenants/{TENANT_A}/users/{u['id']}/roles/{role['id']}"
    r = v1("PUT", path)
    eq(r.status, 201, f"assign ({r!r})")
    a = r.json()
    eq({k: a[k] for k in ("roleId", "name", "scopeType", "scopeId", "assignedBy")},
       {"roleId": role["id"], "name": role["name"], "scopeType": None, "scopeId": None,
        "assignedBy": "it-sysadmin"}, "assignment")
    eq(v1("PUT", path).json(), a, "the same assignment when it exists")
    with NothingWritten():
        eq(v1("PUT", path).status, 200, "assign again: nothing new")
    scope = str(uuid.uuid4())
    eq(v1("PUT", path, {"scopeType": "store", "scopeId": scope}).status, 201, "scoped")
    with NothingWritten():
        problem(v1("PUT", path, {"scopeType": "store"}), 400, "scopeId", "required")
        problem(v1("PUT", path, {"scopeType": "store", "scopeId": "x"}), 400, "scopeId",
                "invalid")
        problem(v1("PUT", f"/tenants/{TENANT_A}/users/{u['id']}/roles/{uuid.uuid4()}"), 404)
        problem(v1("PUT", f"/tenants/{TENANT_A}/users/{uuid.uuid4()}/roles/{role['id']}"), 404)
    r = v1("GET", f"/tenants/{TENANT_A}/users/{u['id']}/roles")
    got = [(x["roleId"], x["scopeType"], x["scopeId"]) for x in r.json()["items"]]
    eq(sorted(got, key=str), sorted([(role["id"], None, None), (role["id"], "store", scope)],
                                    key=str), "the user's roles")
    eq(v1("DELETE", path + f"?scopeType=store&scopeId={scope}").status, 204,
       "unassign scoped (scope in the query)")
    with NothingWritten():
        problem(v1("DELETE", path, {"scopeType": "store", "scopeId": scope}), 404)
        problem(v1("DELETE", path + f"?scopeType=store&scopeId={scope}",
                   {"scopeType": "store", "scopeId": scope}), 400)
    # Deleting a role in use removes its assignments.
    eq(v1("DELETE", f"/tenants/{TENANT_A}/roles/{role['id']}").status, 204, "delete role")
    eq(v1("GET", f"/tenants/{TENANT_A}/users/{u['id']}/roles").json()["items"], [],
       "assignments after the role's deletion")


@test
def v1_invites_create_accept_revoke():
    g = v1_group(kind="user")
    email = unique("Invitee") + "@Example.com"
    r = v1("POST", f"/tenants/{TENANT_A}/invites", {"email": email, "groupId": g["id"],
                                                    "expiresIn": 3600})
    eq(r.status, 201, f"create ({r!r})")
    inv = r.json()
    token = inv.pop("token")
    ALL_TOKENS.append(token)
    check(re.match(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$", token), f"token {token!r}")
    eq(inv["state"], "pending", "state")
    eq(inv["groupId"], g["id"], "groupId")
    stored = sql_one(f"SELECT encode(token_hash, 'hex') FROM invites WHERE id = {lit(inv['id'])}")
    check(token not in stored and len(stored) == 64, "only a hash is stored")
    listed = v1("GET", f"/tenants/{TENANT_A}/invites?state=pending&limit=1000").json()["items"]
    check(inv["id"] in [x["id"] for x in listed], "listed as pending")
    check(all("token" not in x for x in listed), "a token in the list")
    with NothingWritten():
        problem(request("POST", "/v1/invites/accept", {"token": token, "password": "short"},
                        token=None), 400, "password", "tooShort")
        problem(request("POST", "/v1/invites/accept", {"token": "nope" * 10,
                                                       "password": "long enough"}, token=None),
                410)
    r = request("POST", "/v1/invites/accept", {"token": token, "password": "correct horse",
                                               "firstName": "Ivy"}, token=None)
    eq(r.status, 200, f"accept ({r!r})")
    u = r.json()
    eq((u["email"], u["username"], u["firstName"], u["active"], u["verified"], u["hasPassword"]),
       (email, email, "Ivy", True, True, True), "the new user")
    phc = sql_one(f"SELECT password FROM users WHERE id = {lit(u['id'])}")
    check(phc.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), f"password hash {phc[:32]!r}")
    check(b"correct horse" not in r.body, "password in the response")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(g['id'])} "
               f"AND user_id = {lit(u['id'])}"), "1", "membership")
    got = v1("GET", f"/tenants/{TENANT_A}/invites/{inv['id']}").json()
    eq((got["state"], got["userId"]), ("accepted", u["id"]), "the invite after acceptance")
    with NothingWritten():
        p = problem(request("POST", "/v1/invites/accept",
                            {"token": token, "password": "again and again"}, token=None), 410)
        check("accepted" in p.get("detail", ""), f"detail {p!r}")
    # An existing user (by e-mail) is activated, not duplicated.
    existing = v1_user(email=unique("known") + "@example.com", active=False)
    inv2 = v1_invite(email=existing["email"].upper())
    ALL_TOKENS.append(inv2["token"])
    r = request("POST", "/v1/invites/accept", {"token": inv2["token"], "password": "pw-123456"},
                token=None)
    eq((r.status, r.json()["id"], r.json()["active"]), (200, existing["id"], True),
       "existing user activated")
    # Revoked and expired invites are gone.
    inv3 = v1_invite()
    ALL_TOKENS.append(inv3["token"])
    eq(v1("DELETE", f"/tenants/{TENANT_A}/invites/{inv3['id']}").status, 204, "revoke")
    with NothingWritten():
        problem(v1("DELETE", f"/tenants/{TENANT_A}/invites/{inv3['id']}"), 409)
        problem(request("POST", "/v1/invites/accept",
                        {"token": inv3["token"], "password": "pw-123456"}, token=None), 410)
    inv4 = v1_invite()
    ALL_TOKENS.append(inv4["token"])
    psql(f"UPDATE invites SET expires_at = now() - interval '1 second' "
         f"WHERE id = {lit(inv4['id'])}")
    with NothingWritten():
        p = problem(request("POST", "/v1/invites/accept",
                            {"token": inv4["token"], "password": "pw-123456"}, token=None), 410)
        check("expired" in p.get("detail", ""), f"detail {p!r}")
        # only a pending invitation is revoked
        p = problem(v1("DELETE", f"/tenants/{TENANT_A}/invites/{inv4['id']}"), 409)
        check("expired" in p.get("detail", ""), f"detail {p!r}")
        problem(v1("POST", f"/tenants/{TENANT_A}/invites", {"email": "x@example.com",
                                                            "groupId": str(uuid.uuid4())}),
                400, "groupId", "unknown")
        problem(v1("POST", f"/tenants/{TENANT_A}/invites", {"email": "x@example.com",
                                                            "expiresIn": 10}), 400, "expiresIn")
        problem(v1("POST", f"/tenants/{TENANT_A}/invites", {"email": "nope"}), 400, "email")
        problem(v1("GET", f"/tenants/{TENANT_A}/invites?state=lost"), 400, "state")
    # Two concurrent accepts of one token: exactly one succeeds.
    inv5 = v1_invite()
    ALL_TOKENS.append(inv5["token"])
    results = []

    def accept():
        results.append(request("POST", "/v1/invites/accept",
                               {"token": inv5["token"], "password": "pw-123456"},
                               token=None).status)
    threads = [threading.Thread(target=accept) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # The others see it accepted (410), or find every hash slot taken by
    # the one that succeeds (503, to be retried).
    eq(results.count(200), 1, f"concurrent accepts: {results}")
    check(set(results) <= {200, 410, 503}, f"concurrent accepts: {results}")


def walk(path, limit):
    """Every item of a list route, page by page; (ids, pages)."""
    seen, cursor, pages = [], None, 0
    sep = "&" if "?" in path else "?"
    while True:
        r = v1("GET", f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        eq(r.status, 200, f"{path}: page {pages + 1} ({r!r})")
        body = r.json()
        eq(list(body), ["items", "nextCursor"], f"{path}: list shape")
        check(len(body["items"]) <= limit, f"{path}: {len(body['items'])} items, limit {limit}")
        seen += [x["id"] for x in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            return seen, pages
        check(body["items"], f"{path}: an empty page with a next cursor")
        check(pages < 1000, f"{path}: the walk does not end")


@test
def v1_keyset_walks_groups_roles_invites_tenants():
    """A cursor walk of each list not walked elsewhere sees every row once,
    in the order of the one-page list, with the pages the count implies."""
    t = v1_tenant()["id"]
    made = {
        "groups": [v1_group(t)["id"] for _ in range(11)],
        "roles": [v1_role(t)["id"] for _ in range(11)],
        "invites": [v1_invite(t)["id"] for _ in range(11)],
    }
    for family, ids in made.items():
        path = f"/tenants/{t}/{family}"
        everything = v1("GET", f"{path}?limit=1000").json()["items"]
        all_ids = [x["id"] for x in everything]
        check(set(ids) <= set(all_ids), f"{family}: made ones missing from the list")
        seen, pages = walk(path, 3)
        eq(seen, all_ids, f"{family}: the walk in pages of 3 = the one-page list")
        eq(pages, -(-len(all_ids) // 3), f"{family}: pages of 3 for {len(all_ids)}")
    everything = [x["id"] for x in v1("GET", "/tenants?limit=1000").json()["items"]]
    check(t in everything, "tenant list has the new tenant")
    seen, _ = walk("/tenants", 4)
    # Other tests do not make tenants meanwhile: the walk sees the same list.
    eq(seen, everything, "tenants: the walk in pages of 4 = the one-page list")


@test
def v1_refusals_of_reads_and_bulk_remove():
    """Unknown ids on the reads of a user's groups and roles, of a role and
    of an invite are 404 problems; a bad bulk-remove body is a 400 naming
    the field, and changes nothing."""
    g = v1_group()
    u = v1_user()
    eq(v1("POST", f"/tenants/{TENANT_A}/groups/{g['id']}/members",
          {"userIds": [u["id"]]}).status, 200, "add member")
    with NothingWritten():
        for path in (f"/tenants/{TENANT_A}/users/{uuid.uuid4()}/groups",
                     f"/tenants/{TENANT_A}/users/{uuid.uuid4()}/roles",
                     f"/tenants/{TENANT_A}/roles/{uuid.uuid4()}",
                     f"/tenants/{TENANT_A}/invites/{uuid.uuid4()}",
                     f"/tenants/{TENANT_B}/users/{u['id']}/groups",
                     f"/tenants/{TENANT_B}/users/{u['id']}/roles",
                     f"/tenants/{TENANT_A}/roles/not-a-uuid",
                     f"/tenants/{TENANT_A}/invites/not-a-uuid"):
            problem(v1("GET", path), 404)
        rm = f"/tenants/{TENANT_A}/groups/{g['id']}/members:remove"
        problem(v1("POST", rm, {}), 400, "userIds", "required")
        problem(v1("POST", rm, {"userIds": []}), 400, "userIds", "required")
        problem(v1("POST", rm, {"ids": [u["id"]]}), 400, "userIds", "required")
        problem(v1("POST", rm, {"userIds": [u["id"], "nope"]}), 400, "userIds[1]", "invalid")
        problem(v1("POST", rm, {"userIds": "x"}), 400, "userIds")
        problem(v1("POST", rm, "[1]"), 400)
        problem(v1("POST", rm, "{\"userIds\": "), 400)
        problem(v1("POST", rm, {"userIds": [u["id"]]}, ctype="text/plain"), 415)
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{uuid.uuid4()}/members:remove",
                   {"userIds": [u["id"]]}), 404)
    eq(psql(f"SELECT user_id FROM group_members WHERE group_id = {lit(g['id'])}"), [u["id"]],
       "the member is still there")


@test
def v1_audit_list_filters():
    t = v1_tenant()["id"]
    u = v1_user(t)
    v1("PATCH", f"/tenants/{t}/users/{u['id']}", {"title": "x"})
    r = v1("GET", f"/tenants/{t}/audit")
    eq(r.status, 200, f"list ({r!r})")
    items = r.json()["items"]
    eq([x["action"] for x in items], ["user.update", "user.create", "tenant.create"],
       "newest first")
    eq(items[0]["targetId"], u["id"], "targetId")
    eq(items[0]["actor"], "it-sysadmin", "actor")
    eq(items[0]["detail"], {"changed": ["title"]}, "detail")
    r = v1("GET", f"/tenants/{t}/audit?targetId={u['id']}&action=user.create")
    eq([x["action"] for x in r.json()["items"]], ["user.create"], "filters")
    r = v1("GET", f"/tenants/{t}/audit?limit=1")
    r2 = v1("GET", f"/tenants/{t}/audit?limit=5&cursor={r.json()['nextCursor']}")
    eq([x["action"] for x in r2.json()["items"]], ["user.create", "tenant.create"], "next page")
    r = v1("GET", f"/tenants/{t}/audit?from=2999-01-01T00:00:00Z")
    eq(r.json()["items"], [], "from in the future")
    problem(v1("GET", f"/tenants/{t}/audit?from=yesterday"), 400, "from")
    problem(v1("GET", f"/tenants/{t}/audit?targetId=x"), 400, "targetId")
    # a tenant id that is no uuid is no tenant, with or without from/until
    for q in ("", "?limit=1", "?until=2999-01-01T00:00:00Z"):
        r = v1("GET", f"/tenants/not-a-uuid/audit{q}")
        problem(r, 404)
        check("until" not in r.body.decode() and "from" not in r.body.decode(),
              f"no query parameter blamed: {r.body!r}")


# Every write family: (label, a function returning (method, path, body) of a
# fresh POST, and a second body for the same path that differs).
def idem_families():
    g = v1_group()
    return [
        ("tenants", lambda: ("/v1/tenants", {"name": unique("Idem ")}), {"name": "Other"}),
        ("users", lambda: (f"/v1/tenants/{TENANT_A}/users", {"username": unique("idem")}),
         {"username": "someone-else"}),
        ("groups", lambda: (f"/v1/tenants/{TENANT_A}/groups",
                            {"kind": "user", "code": unique("c"), "name": "n"}),
         {"kind": "user", "code": "zz", "name": "n"}),
        ("members", lambda: (f"/v1/tenants/{TENANT_A}/groups/{g['id']}/members",
                             {"userIds": [v1_user()["id"]]}), {"userIds": [str(uuid.uuid4())]}),
        ("members:remove", lambda: (f"/v1/tenants/{TENANT_A}/groups/{g['id']}/members:remove",
                                    {"userIds": [str(uuid.uuid4())]}),
         {"userIds": [str(uuid.uuid4())]}),
        ("roles", lambda: (f"/v1/tenants/{TENANT_A}/roles", {"name": unique("R")}),
         {"name": "other"}),
        ("invites", lambda: (f"/v1/tenants/{TENANT_A}/invites",
                             {"email": unique("i") + "@example.com"}),
         {"email": "other@example.com"}),
        ("invite accept", lambda: ("/v1/invites/accept",
                                   {"token": v1_invite()["token"], "password": "pw-123456"}),
         {"token": "x" * 43, "password": "pw-123456"}),
        ("seed 004", lambda: (users_path(TENANT_A), new_user()), new_user()),
    ]


@test
def idempotency_key_every_post_family():
    for label, make, other in idem_families():
        path, body = make()
        key = "idem-" + unique(label.replace(" ", "-").replace(":", "-"))
        tok = None if path == "/v1/invites/accept" else "default"
        first = request("POST", path, body, token=tok, headers={"Idempotency-Key": key})
        check(first.status < 300, f"{label}: first ({first!r})")
        if tok is None:  # a public route ignores the key
            eq(sql_one(f"SELECT count(*) FROM idempotency WHERE key = {lit(key)}"), "0",
               f"{label}: key stored")
            continue
        check(first.header("Idempotent-Replayed") is None, f"{label}: first marked replayed")
        with NothingWritten():
            again = request("POST", path, body, token=tok, headers={"Idempotency-Key": key})
            eq(again.status, first.status, f"{label}: replayed status")
            eq(again.header("Idempotent-Replayed"), "true", f"{label}: Idempotent-Replayed")
            if label == "invites":
                want = dict(first.json(), token=None)
                eq(again.json(), want, f"{label}: replay without the token")
            else:
                eq(again.body, first.body, f"{label}: replayed body")
            eq(again.header("Location"), first.header("Location"), f"{label}: Location")
            eq(again.header("ETag"), first.header("ETag"), f"{label}: ETag")
            r = request("POST", path, other, token=tok, headers={"Idempotency-Key": key})
            eq(r.status, 422, f"{label}: same key, other body ({r!r})")
        if label == "invites":
            ALL_TOKENS.append(first.json()["token"])
    with NothingWritten():
        r = v1("POST", "/tenants", {"name": "x"}, headers={"Idempotency-Key": "bad key"})
        problem(r, 400)
    # A failed request (4xx) is not kept: the retry runs again.
    key = "idem-" + unique("bad")
    r1 = v1("POST", f"/tenants/{TENANT_A}/users", {"email": "x"}, headers={"Idempotency-Key": key})
    r2 = v1("POST", f"/tenants/{TENANT_A}/users", {"email": "x"}, headers={"Idempotency-Key": key})
    eq((r1.status, r2.status, r2.header("Idempotent-Replayed")), (400, 400, None),
       "4xx not replayed")
    stored = sql_one("SELECT count(*) FROM idempotency WHERE convert_from(response, 'UTF8') "
                     "LIKE '%\"token\":\"%'")
    eq(stored, "0", "an invite token stored in the idempotency table")


@test
def if_match_every_versioned_family():
    t = v1_tenant()
    fams = [
        ("tenants", f"/v1/tenants/{t['id']}", {"name": "Renamed"},
         f"?confirm={t['slug']}"),
        ("users", f"/v1/tenants/{TENANT_A}/users/{v1_user()['id']}", {"title": "t"}, ""),
        ("groups", f"/v1/tenants/{TENANT_A}/groups/{v1_group()['id']}", {"name": "g"}, ""),
        ("roles", f"/v1/tenants/{TENANT_A}/roles/{v1_role()['id']}", {"description": "d"}, ""),
    ]
    for label, path, patch, dq in fams:
        with NothingWritten():
            r = request("PATCH", path, {})
            eq((r.status, r.header("ETag")), (200, '"1"'), f"{label}: PATCH {{}} changes nothing")
            problem(request("PATCH", path, {}, headers={"If-Match": '"9"'}), 412)
            problem(request("PATCH", path, patch, headers={"If-Match": '"2"'}), 412)
            problem(request("PATCH", path, patch, headers={"If-Match": "garbage"}), 412)
            problem(request("DELETE", path + dq, headers={"If-Match": '"2"'}), 412)
        r = request("PATCH", path, patch, headers={"If-Match": '"1"'})
        eq((r.status, r.header("ETag")), (200, '"2"'), f"{label}: PATCH with the right ETag")
        r = request("PATCH", path, patch, headers={"If-Match": "*"})
        eq((r.status, r.header("ETag")), (200, '"3"'), f"{label}: If-Match: *")
        with NothingWritten():
            problem(request("DELETE", path + dq, headers={"If-Match": '"2"'}), 412)
        with NothingWritten():
            problem(request("DELETE", path + dq, headers={"If-Match": 'W/"3"'}), 412)
        eq(request("DELETE", path + dq, headers={"If-Match": '"3"'}).status, 204,
           f"{label}: DELETE with the right ETag")


# --------------------------------------------------------------------------
# The dialects' own test files: tests/http/t_*.py, run here in name order,
# with this module's helpers and their own rows for ROUTE_CALLS (the
# refusal table). They run before the process-lifecycle tests below.

for _name in sorted(os.listdir(os.path.dirname(os.path.abspath(__file__)))):
    if _name.startswith("t_") and _name.endswith(".py"):
        _path = os.path.join(os.path.dirname(os.path.abspath(__file__)), _name)
        with open(_path) as _f:
            exec(compile(_f.read(), _path, "exec"), globals())  # noqa: S102


@test
def limits_refused_before_work_in_each_dialect_shape():
    """max_headers, max_query_params, max_token_bytes, max_depth and
    max_items at their defaults (100, 32, 8 KiB, 32, 1024)."""
    with NothingWritten():
        h = {f"X-Filler-{i}": "x" for i in range(101)}
        r = v1("GET", f"/tenants/{TENANT_A}/users", headers=h)
        problem(r, 431)
        q = "&".join(f"p{i}=1" for i in range(33))
        problem(v1("GET", f"/tenants/{TENANT_A}/users?{q}"), 400)
        eq(v1("GET", f"/tenants/{TENANT_A}/users?" + "&".join(f"p{i}=1" for i in range(32)))
           .status, 200, "32 query parameters")
        big = py_token(pad="x" * 9000)
        eq(v1("GET", f"/tenants/{TENANT_A}/users", token=big).status, 401, "a 9 KB token")
        deep = "[" * 33 + "]" * 33
        problem(v1("POST", f"/tenants/{TENANT_A}/users", '{"username":"d","attributes":{"a":'
                   + deep + "}}"), 400)
        r = post_user('{"Username":"d","Roles":' + deep + "}")
        eq(r.status, 400, f"seed 004 depth ({r!r})")
        check("ModelState" in r.json(), f"seed 004 shape {r!r}")
        wide = "{" + ",".join(f'"k{i}":1' for i in range(1025)) + "}"
        problem(v1("POST", f"/tenants/{TENANT_A}/users",
                   '{"username":"w","attributes":' + wide + "}"), 400)
    ok_deep = "[" * 30 + "]" * 30
    r = v1("POST", f"/tenants/{TENANT_A}/users", '{"username":"' + unique("deep")
           + '","attributes":{"a":' + ok_deep + "}}")
    eq(r.status, 201, f"depth 32 is accepted ({r!r})")


@test
def body_over_max_body_bytes_413():
    # Just under the limit is fine (JSON may be padded with whitespace) …
    body = json.dumps(new_user()).encode()
    r = post_user(body + b" " * (MAX_BODY - len(body) - 16))
    eq(r.status, 200, f"body under the limit: status ({r!r})")
    # … one byte over is not, although nginx would let 1m through.
    with NothingWritten():
        body = json.dumps(new_user()).encode()
        r = post_user(body + b" " * (MAX_BODY + 1 - len(body)))
        eq(r.status, 413, f"status ({r!r})")
        r = post_user(json.dumps(new_user(ExternalId="x" * (4 * MAX_BODY))))
        eq(r.status, 413, f"256 KiB body: status ({r!r})")


@test
def request_id_echoed_and_logged():
    tok = ctl_token("it-logger", ["TenantAdmin"], TENANT_A)
    start = MAIN.log_size()
    r = post_user(new_user(), token=tok, headers={"X-Request-Id": "test-abc-123"})
    eq(r.status, 200, f"status ({r!r})")
    eq(r.header("X-Request-Id"), "test-abc-123", "X-Request-Id echoed")
    rec = wait_log_record(start, "test-abc-123")
    eq(rec.get("method"), "POST", "log method")
    eq(rec.get("status"), 200, "log status")
    eq(rec.get("tenant"), TENANT_A, "log tenant")
    eq(rec.get("subject"), "it-logger", "log subject")
    check(isinstance(rec.get("route"), str) and "organizations" in rec["route"].lower(),
          f"log route {rec.get('route')!r}")
    check(isinstance(rec.get("duration_ms"), (int, float)) and rec["duration_ms"] >= 0,
          f"log duration_ms {rec.get('duration_ms')!r}")
    # milliseconds to the microsecond: three decimals, always
    line = next(l for l in MAIN.log_text(start).splitlines() if "test-abc-123" in l)
    check(re.search(r'"duration_ms":[0-9]+\.[0-9]{3},', line), f"log duration_ms in {line!r}")
    check(isinstance(rec.get("time"), str) and rec["time"], f"log time {rec.get('time')!r}")
    check(tok not in MAIN.log_text(), "the bearer token is in the log")

    r = request("GET", "/healthz", token=None)
    rid = r.header("X-Request-Id") or ""
    check(rid.strip(), "no X-Request-Id made")
    rec = wait_log_record(start, rid)
    check("healthz" in str(rec.get("route")), f"log route of /healthz: {rec.get('route')!r}")


def wait_log_record(start, rid, timeout=30):
    """The one request log line with request_id rid. rosterd writes it
    before it answers, so it is there at once; the wait guards a slow disk."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        recs = [x for x in MAIN.log_records(start) if x.get("request_id") == rid]
        if recs:
            check(len(recs) == 1, f"{len(recs)} log lines with request_id {rid!r}")
            return recs[0]
        if time.monotonic() > deadline:
            raise Fail(f"no log line with request_id {rid!r}")
        time.sleep(0.1)


@test
def concurrent_identical_creates_one_wins():
    body = new_user()
    results = []

    def go():
        try:
            results.append(post_user(body).status)
        except Exception as e:  # noqa: BLE001 - reported below
            results.append(repr(e))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(results, key=str), [200] + [409] * 7, "statuses")
    eq(sql_one(f"SELECT count(*) FROM users WHERE tenant_id = {lit(TENANT_A)} "
               f"AND lower(username) = lower({lit(body['Username'])})"), "1", "users rows")


def worker_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@test
def worker_memory_flat_across_requests():
    """A worker's memory must not grow with the number of
    requests.  Warm up, then 2,000 more creates over one kept-alive TLS
    connection in five rounds, each worker's RSS read after every round.
    A leak grows it in every round; the allocator's one-off growth (a new
    arena, libpq's buffers, code paged in) does not: the RSS of each worker
    must stay flat over at least one of the rounds it served.  (Under ASan
    the allocator's quarantine grows by design, and under valgrind memcheck's
    queue of freed blocks: there only the statuses count, and LeakSanitizer or
    memcheck covers leaks.)"""
    conn = http.client.HTTPSConnection(HOST, int(PORT), context=TLS, timeout=TIMEOUT)
    hdr = {"Authorization": "Bearer " + default_token(), "Content-Type": "application/json"}

    def burst(n):
        for _ in range(n):
            conn.request("POST", users_path(TENANT_A), json.dumps(new_user()), hdr)
            r = conn.getresponse()
            r.read()
            eq(r.status, 200, "create in the soak")
    try:
        burst(400)
        workers = MAIN.wait_workers(WORKERS, 30)
        samples = [{p: worker_rss_kb(p) for p in workers}]
        served = []  # per round: {pid: requests it logged}
        for _ in range(5):
            mark = MAIN.log_size()
            burst(400)
            samples.append({p: worker_rss_kb(p) for p in workers})
            recs = [r for r in MAIN.log_records(mark) if "method" in r]
            served.append({p: sum(1 for r in recs if r.get("pid") == p) for p in workers})
    finally:
        conn.close()
    eq(MAIN.workers(), workers, "the same workers throughout")
    growth = {p: [b[p] - a[p] for a, b in zip(samples, samples[1:])] for p in workers}
    print(f"# worker RSS growth (KiB) per round of 400 requests: {growth}; requests served: "
          f"{served}", flush=True)
    if SANITIZED:
        raise Skip("the RSS check: ASan's quarantine grows by design (statuses checked)")
    if ENV.get("RT_VALGRIND") == "1":
        raise Skip("the RSS check: memcheck holds freed blocks back by design, and its "
                   "own leak check covers leaks (statuses checked)")
    # nginx may send a whole round to one worker: a worker can show a leak
    # only in the rounds it served.  With five rounds and two workers one
    # of them served in at least three; each worker that served in two or
    # more must have stayed flat over one of those.
    busy = {p: [g for g, n in zip(growth[p], served) if n[p] > 0] for p in workers}
    busy = {p: g for p, g in busy.items() if len(g) >= 2}
    check(busy, f"no worker served requests in two rounds: {served}")
    for p, g in busy.items():
        check(min(g) <= 0,
              f"worker {p} grew in every round it served: {g} KiB")


def served_by(n=8):
    """n concurrent GETs of /healthz; returns the pids of the workers that
    logged them.  nginx reuses an idle kept FastCGI connection for
    requests that come one after another, so only concurrent requests make
    it open connections that other workers accept."""
    start = MAIN.log_size()
    rids = ["served-by-" + uuid.uuid4().hex for _ in range(n)]
    statuses = [None] * n

    def get(i):
        try:
            statuses[i] = request("GET", "/healthz", token=None,
                                  headers={"X-Request-Id": rids[i]}).status
        except Exception as e:  # noqa: BLE001 - reported below
            statuses[i] = repr(e)
    threads = [threading.Thread(target=get, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(statuses, [200] * n, "/healthz, concurrently")
    return {wait_log_record(start, rid).get("pid") for rid in rids}


def wait_served_by(pids, what):
    """Bursts of concurrent GETs until one is served by a worker in pids."""
    return wait_until(lambda: served_by() & set(pids), what, interval=0.01)


def wait_log_msg(start, text, n=1, what=None):
    """Waits until the log from offset start holds n lines whose msg
    contains text; returns the log size then."""
    def enough():
        size = MAIN.log_size()
        got = [r for r in MAIN.log_records(start) if text in str(r.get("msg", ""))]
        return size if len(got) >= n else None
    return wait_until(enough, what or f"{n} log lines with {text!r}", timeout=60, interval=0.05)


@test
def worker_killed_is_replaced():
    before = MAIN.wait_workers(WORKERS, 30)
    eq(len(before), WORKERS, "workers before")
    start = MAIN.log_size()
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    t0 = time.monotonic()
    after = MAIN.wait_workers(WORKERS, 30 * TIME_SCALE, exclude=[victim])
    check(len(after) == WORKERS and victim not in after,
          f"workers after the kill: {after} (killed {victim})")
    print(f"# worker replaced in {time.monotonic() - t0:.2f} s", flush=True)
    recs = [r for r in MAIN.log_records(start) if str(victim) in str(r.get("msg", ""))]
    check(any("replacing" in str(r.get("msg")) for r in recs),
          f"no log line about replacing worker {victim}: {recs}")
    # The new worker serves (GETs first: nginx retries an idempotent request
    # that met a closed FastCGI connection, a POST it does not) …
    new = set(after) - set(before)
    wait_served_by(new, "a request served by the new worker")
    # … and then every request is answered, writes too.
    for i in range(6):
        r = post_user(new_user()) if i % 2 else request("GET", "/healthz", token=None)
        eq(r.status, 200, f"request {i} after the kill ({r!r})")


@test
def sighup_under_load_drops_nothing():
    """Two SIGHUPs, each sent once the reload before it is done, while four
    clients keep sending: no request fails, and each reload's new workers
    serve requests before the load stops."""
    gen0 = MAIN.wait_workers(WORKERS, 30)
    eq(len(gen0), WORKERS, "workers before")
    stop = threading.Event()
    lock = threading.Lock()
    stats = {"ok": [], "failed": []}  # ok: the pids that served successes

    def client(n):
        i = 0
        while not stop.is_set():
            i += 1
            rid = f"hup-{n}-{i}-{uuid.uuid4().hex[:8]}"
            try:
                if i % 2:
                    r = request("GET", "/healthz", token=None, headers={"X-Request-Id": rid})
                else:
                    r = post_user(new_user(), headers={"X-Request-Id": rid})
                good = r.status == 200
                what = repr(r)
            except Exception as e:  # noqa: BLE001 - counted as a failure
                good, what = False, repr(e)
            with lock:
                if good:
                    stats["ok"].append(rid)
                else:
                    stats["failed"].append(what)

    def served_since(start, pids):
        """True when a success of the load was served by one of pids."""
        with lock:
            ok = set(stats["ok"])
        return any(r.get("request_id") in ok and r.get("pid") in pids
                   for r in MAIN.log_records(start))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    start = MAIN.log_size()
    for t in threads:
        t.start()
    gens = [gen0]
    try:
        wait_until(lambda: served_since(start, set(gen0)), "the load served before the reload")
        for n in (1, 2):
            mark = MAIN.log_size()
            os.kill(MAIN.pid, signal.SIGHUP)
            gen = MAIN.wait_workers(WORKERS, 30 * TIME_SCALE, exclude=gens[-1])
            check(len(gen) == WORKERS and not set(gen) & set(gens[-1]),
                  f"reload {n}: workers before {gens[-1]}, after {gen}")
            gens.append(gen)
            # The load reaches the new workers, and the old ones have
            # finished (the master logs it) before the next SIGHUP.
            wait_until(lambda: served_since(mark, set(gen)),
                       f"reload {n}: no success served by the new workers {gen}", timeout=60)
            wait_log_msg(mark, "reload done", what=f"reload {n}: \"reload done\" logged")
    finally:
        stop.set()
        for t in threads:
            t.join()
    check(not stats["failed"],
          f"{len(stats['failed'])} of {len(stats['ok']) + len(stats['failed'])} requests "
          f"failed, first: {stats['failed'][:3]}")
    eq(MAIN.workers(), sorted(gens[-1]), "workers after both reloads")
    check(not set(gens[-1]) & (set(gen0) | set(gens[1])), f"generations {gens}")
    check(MAIN.proc.poll() is None, "master exited")


@test
def auth_jwks_es256_keys_rotate_on_sighup():
    """ES256 tokens verified against jwt_jwks_file, chosen by kid; a SIGHUP
    re-reads the file: a new kid works, a kid still listed stays valid, a
    removed kid is refused.  An HS256 token keyed with the public JWK's bytes
    (alg confusion) is refused."""
    from cryptography.hazmat.primitives.asymmetric import ec
    path = os.path.join(TMP, "jwks.json")
    k1, k2 = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def jwk(k, kid):
        n = k.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big"))}

    def tok(k, kid):
        claims = {"sub": "it-es256", "tid": TENANT_A, "roles": ["SystemAdmin"],
                  "iss": "rosterd-test", "aud": "rosterd-api", "exp": int(time.time()) + 600}
        t = jwt.encode(claims, k, algorithm="ES256", headers={"kid": kid})
        ALL_TOKENS.append(t)
        return t

    def publish(*keys):
        with open(path + ".new", "w") as f:
            json.dump({"keys": list(keys)}, f)
        os.replace(path + ".new", path)
        reload_main()

    with open(path, "rb") as f:
        saved = f.read()
    try:
        jwks_rotation(publish, jwk, tok, k1, k2)
    finally:
        with open(path + ".new", "wb") as f:
            f.write(saved)
        os.replace(path + ".new", path)
        reload_main()


def jwks_rotation(publish, jwk, tok, k1, k2):
    publish(jwk(k1, "k1"))
    eq(post_user(new_user(), token=tok(k1, "k1")).status, 200, "k1 after first publish")
    eq(post_user(new_user(), token=tok(k2, "k2")).status, 401, "k2 before it is published")
    publish(jwk(k1, "k1"), jwk(k2, "k2"))
    eq(post_user(new_user(), token=tok(k2, "k2")).status, 200, "k2 after rotation")
    eq(post_user(new_user(), token=tok(k1, "k1")).status, 200, "k1 still listed")
    publish(jwk(k2, "k2"))
    eq(post_user(new_user(), token=tok(k1, "k1")).status, 401, "k1 after removal")
    eq(post_user(new_user(), token=tok(k2, "k2")).status, 200, "k2 after k1's removal")
    confused = jwt.encode({"sub": "x", "tid": TENANT_A, "roles": ["SystemAdmin"],
                           "iss": "rosterd-test", "aud": "rosterd-api",
                           "exp": int(time.time()) + 600},
                          json.dumps(jwk(k2, "k2")).encode(), algorithm="HS256",
                          headers={"kid": "k2"})
    eq(post_user(new_user(), token=confused).status, 401, "HS256 keyed with the public JWK")


@test
def postgres_restart_503_then_recovery():
    # the stop ends the session holding queued jobs: a runner would then
    # take them, later, during another test
    v1_import_jobs_release_held()
    pg_ctl("-m", "fast", "-w", "stop")
    try:
        t0 = time.monotonic()
        r = post_user(new_user())
        took = time.monotonic() - t0
        eq(r.status, 503, f"create while PostgreSQL is down ({r!r})")
        check(r.header("Retry-After"), "no Retry-After header")
        check(took < TIMEOUT, f"503 took {took:.1f} s")
        r = request("GET", "/readyz", token=None)
        eq(r.status, 503, "/readyz while down")
        r = request("GET", "/healthz", token=None)
        eq(r.status, 200, "/healthz while down")
        check(MAIN.proc.poll() is None, "master exited")
        eq(len(MAIN.workers()), WORKERS, "workers while down")
    finally:
        pg_ctl("-l", os.path.join(PG_DIR, "postgresql.log"), "-w", "start")
    # Every worker must notice the new server on its own.
    for i in range(2 * WORKERS):
        r = post_user(new_user())
        eq(r.status, 200, f"create {i + 1} after the restart ({r!r})")
        user_row(TENANT_A, r.json()["Id"])
    eq(request("GET", "/readyz", token=None).status, 200, "/readyz after the restart")


def write_conf(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def good_conf_lines(listen):
    out = []
    with open(CONF) as f:
        for line in f.read().splitlines():
            if line.split("=", 1)[0].strip() == "listen":
                line = f"listen = {listen}"
            out.append(line)
    return out


def run_rosterd_expecting_refusal(conf, env_extra=None):
    """Runs rosterd -c conf; returns (exit status, stderr). A rosterd that is
    still running after 10 s (scaled by RT_TIME_SCALE) is killed and reported."""
    env = dict(os.environ)
    env.update(env_extra or {})
    p = subprocess.Popen([ROSTERD, "-c", conf], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=10 * TIME_SCALE)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise Fail(f"rosterd -c {os.path.basename(conf)} is still running after "
                   f"{10 * TIME_SCALE:.0f} s")
    err = err.decode("utf-8", "replace")
    with open(os.path.join(TMP, "rosterd-refused.log"), "a") as log:
        log.write(err)
    return p.returncode, err


@test
def config_unknown_key_and_bad_value_refused():
    listen = os.path.join(TMP, "refused.sock")
    good = good_conf_lines(listen)
    bogus = os.path.join(TMP, "bogus.conf")
    write_conf(bogus, ["# line 1", "bogus_key = 1"] + good)
    rc, err = run_rosterd_expecting_refusal(bogus)
    check(rc not in (0, None), f"exit status {rc}")
    lines = [l for l in err.splitlines() if "bogus_key" in l]
    check(lines, f"stderr does not name bogus_key: {err.strip()!r}")
    check(any(re.search(r"(?<![0-9])2(?![0-9])", l) for l in lines),
          f"stderr does not name line 2: {lines}")

    many = os.path.join(TMP, "many.conf")
    write_conf(many, ["# line 1", "# line 2", "workers = many"] +
               [l for l in good if not l.startswith("workers")])
    rc, err = run_rosterd_expecting_refusal(many)
    check(rc not in (0, None), f"workers = many: exit status {rc}")
    lines = [l for l in err.splitlines() if "workers" in l]
    check(lines, f"stderr does not name workers: {err.strip()!r}")
    check(any(re.search(r"(?<![0-9])3(?![0-9])", l) for l in lines),
          f"stderr does not name line 3: {lines}")

    rc, err = run_rosterd_expecting_refusal(CONF, {"ROSTERD_WORKERS": "many",
                                                   "ROSTERD_LISTEN": listen})
    check(rc not in (0, None), f"ROSTERD_WORKERS=many: exit status {rc}")
    check("workers" in err.lower(), f"ROSTERD_WORKERS=many: stderr {err.strip()!r}")

    eq(rosterctl("check-config", conf=bogus).returncode != 0, True,
       "rosterctl check-config of the bogus_key file fails")
    eq(rosterctl("check-config", conf=many).returncode != 0, True,
       "rosterctl check-config of the workers = many file fails")
    eq(rosterctl("check-config").returncode, 0, "rosterctl check-config of the good file")


@test
def migrate_again_changes_nothing():
    before = pg_dump()
    for n in (2, 3):
        eq(rosterctl("migrate").returncode, 0, f"migrate run {n} exit status")
    after = pg_dump()
    if before != after:
        import difflib
        diff = [d for d in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                lineterm="", n=0)][:12]
        raise Fail("the database changed on migrate:\n" + "\n".join(diff))


@test
def workers_from_env_and_sigterm_exits_0():
    conf = os.path.join(TMP, "second.conf")
    write_conf(conf, good_conf_lines(os.path.join(TMP, "second.sock")))
    inst = Rosterd("rosterd-second", conf, {"ROSTERD_WORKERS": "3"})
    workers = inst.wait_workers(3, 30 * TIME_SCALE)
    eq(len(workers), 3, f"workers with ROSTERD_WORKERS=3 (exit {inst.proc.poll()})")
    time.sleep(0.5)
    eq(len(inst.workers()), 3, "workers half a second later")
    rc = inst.stop(20)
    eq(rc, 0, "exit status after SIGTERM")
    left = [p for p in workers if pid_alive(p)]
    eq(left, [], "workers left after the master exited")


@test
def openapi_json_is_the_documented_file():
    r = request("GET", "/openapi.json", token=None)
    eq(r.status, 200, "status")
    eq(r.header("Content-Type"), "application/json", "Content-Type")
    with open(os.path.join(ENV["RT_REPO"], "docs", "openapi.json"), "rb") as f:
        eq(r.body, f.read(), "the body is docs/openapi.json")
    doc = r.json()
    eq(doc["openapi"], "3.1.0", "OpenAPI version")


def scrape():
    """GET /metrics parsed with the Prometheus project's own parser
    (python3-prometheus-client): {family name: family}."""
    from prometheus_client.parser import text_string_to_metric_families
    r = request("GET", "/metrics", token=METRICS_TOKEN)
    eq(r.status, 200, "status")
    check((r.header("Content-Type") or "").startswith("text/plain; version=0.0.4"),
          f"Content-Type {r.header('Content-Type')!r}")
    return {f.name: f for f in text_string_to_metric_families(r.body.decode())}


def counters(fams):
    """The numbers the metrics test compares: requests by (method, route,
    code), the /healthz histogram's count, and the process counters."""
    reqs = {(s.labels["method"], s.labels["route"], s.labels["code"]): s.value
            for s in fams["rosterd_http_requests"].samples if s.name.endswith("_total")}
    hist = [s.value for s in fams["rosterd_http_request_duration_seconds"].samples
            if s.name.endswith("_count") and s.labels.get("route") == "/healthz"]
    one = {n: [s.value for s in fams[n].samples][0]
           for n in ("rosterd_worker_restarts", "rosterd_reloads", "rosterd_db_reconnects")}
    return reqs, (hist or [0])[0], one


@test
def metrics_prometheus_text_format():
    """GET /metrics parses, and counts exactly what this test does between
    two scrapes, whichever worker served it or scrapes: requests by route
    and code, a killed worker, a reload, lost database connections."""
    fams = scrape()
    for name in ("rosterd_build_info", "rosterd_http_requests", "rosterd_db_errors",
                 "rosterd_http_request_duration_seconds", "rosterd_worker_restarts",
                 "rosterd_db_reconnects", "rosterd_reloads"):
        check(name in fams, f"no metric family {name}: {sorted(fams)}")
    reqs0, hist0, one0 = counters(fams)
    seed = ("POST", "/api/organizations/{organizationId}/users")
    n_health, n_create, n_401, n_404 = 7, 5, 2, 3
    for _ in range(n_health):
        eq(request("GET", "/healthz", token=None).status, 200, "/healthz")
    for _ in range(n_create):
        eq(post_user(new_user()).status, 200, "create")
    for _ in range(n_401):
        eq(post_user(new_user(), token=None).status, 401, "create without a token")
    for _ in range(n_404):
        eq(request("GET", "/api/no-such-thing").status, 404, "unmatched")
    # Every rosterd connection to PostgreSQL ends: each worker notices,
    # idle or on its next request, and reconnects.
    end_rosterd_sessions()
    for _ in range(2 * WORKERS):
        eq(post_user(new_user()).status, 200, "create after the connections ended")
    n_create += 2 * WORKERS
    # A killed worker and a reload.
    workers = MAIN.wait_workers(WORKERS, 30)
    os.kill(workers[0], signal.SIGKILL)
    eq(len(MAIN.wait_workers(WORKERS, 30 * TIME_SCALE, exclude=workers[:1])), WORKERS,
       "workers after the kill")
    reload_main()
    # The second scrape is served by a worker of the new generation, which
    # served none of the requests counted: counters kept per worker, or lost
    # with a worker, would show here.
    fams = scrape()
    reqs1, hist1, one1 = counters(fams)
    buckets = [s for s in fams["rosterd_http_request_duration_seconds"].samples
               if s.name.endswith("_bucket") and s.labels["route"] == "/healthz"]
    values = [s.value for s in buckets]
    check(values and values[-1] == hist1, f"/healthz buckets {values}, count {hist1}")
    eq(values, sorted(values), "histogram buckets are cumulative")
    eq(buckets[-1].labels["le"], "+Inf", "last bucket")

    def delta(key):
        return reqs1.get(key, 0) - reqs0.get(key, 0)
    eq(delta(("GET", "/healthz", "200")), n_health, "GET /healthz 200s counted")
    eq(hist1 - hist0, n_health, "/healthz histogram count")
    eq(delta(seed + ("200",)), n_create, "seed 004 creates counted")
    eq(delta(seed + ("401",)), n_401, "seed 004 401s counted")
    eq(delta(("", "unmatched", "404")), n_404, "unmatched 404s counted")
    eq(delta(("GET", "/metrics", "200")), 1, "the first scrape counted (the second is not yet)")
    eq(one1["rosterd_worker_restarts"] - one0["rosterd_worker_restarts"], 1, "worker restarts")
    eq(one1["rosterd_reloads"] - one0["rosterd_reloads"], 1, "reloads")
    reconnects = one1["rosterd_db_reconnects"] - one0["rosterd_db_reconnects"]
    # Each worker that served after the connections ended reconnected;
    # how often a worker finds its connection gone depends on which of its
    # statements meets the closed socket first, so only a floor is exact.
    check(reconnects >= 1, f"db reconnects {reconnects}: at least 1 expected")
    others = {k: v - reqs0.get(k, 0) for k, v in reqs1.items()
              if v != reqs0.get(k, 0) and k not in (("GET", "/healthz", "200"),
                                                   seed + ("200",), seed + ("401",),
                                                   ("", "unmatched", "404"),
                                                   ("GET", "/metrics", "200"))}
    eq(others, {}, "requests counted that this test did not make")


@test_last
def main_instance_sigterm_exits_0():
    workers = MAIN.workers()
    check(workers, "no workers")
    rc = MAIN.stop(20)
    eq(rc, 0, "exit status after SIGTERM")
    eq([p for p in workers if pid_alive(p)], [], "workers left after the master exited")


@test_last
def no_secret_in_any_log():
    """No token, token signature or the signing secret in any log of the
    run: rosterd's, rosterctl's, nginx's (access and error) and
    PostgreSQL's."""
    logs = {}
    for name in os.listdir(TMP):
        if name.startswith(("rosterd", "rosterctl")) and name.endswith(".log"):
            with open(os.path.join(TMP, name), "rb") as f:
                logs[name] = f.read()
    check(logs, "no logs of rosterd or rosterctl found")
    for d in (os.path.join(TMP, "nginx"), PG_DIR, os.path.join(PG_DIR, "data", "log")):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            path = os.path.join(d, name)
            if os.path.isfile(path) and (name.endswith(".log") or name.endswith(".json")
                                         or name.endswith(".csv")):
                with open(path, "rb") as f:
                    logs[os.path.relpath(path, TMP)] = f.read()
    for want in ("nginx/access.log", "nginx/error.log", "pg/postgresql.log"):
        check(want in logs, f"no {want} to read: {sorted(logs)}")
    check(logs["nginx/access.log"], "nginx's access log is empty")
    secrets = [t.encode() for t in ALL_TOKENS] + [t.rsplit(".", 1)[1].encode()
                                                 for t in ALL_TOKENS
                                                 if "." in t and t.rsplit(".", 1)[1]]
    secrets.append(SECRET)
    for name, text in logs.items():
        for s in secrets:
            check(s not in text, f"{name} contains a token or the signing secret")


@test_last
def no_valgrind_report():
    """With RT_VALGRIND=1: every process's memcheck log is clean (no
    invalid access, nothing definitely or indirectly lost)."""
    if ENV.get("RT_VALGRIND") != "1":
        raise Skip("rosterd did not run under valgrind (RT_VALGRIND=1 does that)")
    logs = sorted(n for n in os.listdir(TMP) if n.startswith("valgrind."))
    check(logs, "no valgrind logs")
    for n in logs:
        with open(os.path.join(TMP, n), errors="replace") as f:
            text = f.read()
        check(not text.strip(), f"{n}:\n{text[:3000]}")
    print(f"# valgrind: {len(logs)} processes, no report", flush=True)


@test_last
def sql_functions_inlined():
    """Every LANGUAGE sql function the statements of this run called was
    inlined into its statement: PostgreSQL parses and plans one it cannot
    inline again at every execution of the statement (a function declared
    more strictly than its body, or one with a subquery: the one such
    function is known). tests/http/run
    sets track_functions = 'all', which counts the calls of such functions
    and of PL/pgSQL ones (the triggers, so the count is known to work)."""
    eq(sql_one("SELECT current_setting('track_functions')"), "all", "track_functions")
    rows = psql("SELECT l.lanname || ' ' || s.funcname || ' ' || s.calls"
                " FROM pg_stat_user_functions s JOIN pg_proc p ON p.oid = s.funcid"
                " JOIN pg_language l ON l.oid = p.prolang ORDER BY 1")
    check(any(r.startswith("plpgsql ") for r in rows),
          f"no PL/pgSQL call counted, so the count says nothing: {rows!r}")
    # never inlined (a subquery), and on purpose not PL/pgSQL: see
    # sql/0015_inlined_functions.sql
    apart = {"rosterd_kibo_user_json"}
    bad = [r for r in rows if r.startswith("sql ") and r.split()[1] not in apart]
    check(not bad, f"SQL functions run apart from their statement: {bad!r}")


@test_last
def no_sanitizer_report():
    """In a sanitizer build: no ASan, LeakSanitizer or UBSan report in any
    log of rosterd or rosterctl."""
    if not (sanitized(ROSTERD) and sanitized(ROSTERCTL)):
        raise Skip("rosterd and rosterctl are not built with sanitizers")
    for name in sorted(os.listdir(TMP)):
        if not name.endswith(".log") or not name.startswith(("rosterd", "rosterctl")):
            continue
        with open(os.path.join(TMP, name), "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for pat in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            i = text.find(pat)
            check(i < 0, f"{name}: {text[i:i + 300]!r}")


# --------------------------------------------------------------------------
# Runner


def main():
    global MAIN
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *a: sys.exit(130))
    passed = failed = skipped = 0
    only = set(sys.argv[1:])
    every = TESTS + LAST
    unknown = sorted(only - {fn.__name__ for fn in every})
    if unknown:
        print(f"not ok - unknown tests: {', '.join(unknown)}", flush=True)
        print("0 passed, 1 failed", flush=True)
        return 1
    try:
        MAIN = Rosterd("rosterd")
        try:
            wait_ready()
        except Exception as e:  # noqa: BLE001 - reported as a failed setup
            print(f"not ok - start rosterd: {one_line(e)}", flush=True)
            print("0 passed, 1 failed", flush=True)
            return 1
        for fn in every:
            if only and fn.__name__ not in only:
                continue
            t0 = time.monotonic()
            try:
                fn()
            except Skip as e:
                skipped += 1
                print(f"ok - {fn.__name__} # SKIP {one_line(e)}", flush=True)
            except Fail as e:
                failed += 1
                print(f"not ok - {fn.__name__}: {one_line(e)}", flush=True)
            except Exception as e:  # noqa: BLE001 - a test must not stop the run
                failed += 1
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(f"not ok - {fn.__name__}: {type(e).__name__}: {one_line(e)} "
                      f"(line {where.lineno})", flush=True)
            else:
                passed += 1
                took = time.monotonic() - t0
                # the slow ones named, so a stage's time can be read
                print(f"ok - {fn.__name__}" + (f" ({took:.1f} s)" if took >= 2 else ""),
                      flush=True)
    finally:
        stop_all()
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""),
          flush=True)
    return 1 if failed else 0


def one_line(e):
    return " ".join(str(e).split())[:600]


if __name__ == "__main__":
    sys.exit(main())
