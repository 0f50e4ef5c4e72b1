#!/usr/bin/env python3
"""rosterctl import against a real PostgreSQL (started by tests/import/run).

Each test makes its own tenant with rosterctl bootstrap, writes its files
in RI_TMP, runs the real rosterctl and checks the tables with psql.
Waits are on conditions (a checkpoint row), never on a sleep's length.
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import traceback
import uuid

BUILD = os.environ["RI_BUILD"]
TMP = os.environ["RI_TMP"]
CONF = os.environ["RI_CONF"]
PG_BIN = os.environ["RI_PG_BIN"]
PG_DIR = os.environ["RI_PG_DIR"]
PG_PORT = os.environ["RI_PG_PORT"]
ROSTERCTL = os.path.join(BUILD, "rosterctl")
TIME_SCALE = float(os.environ.get("TIME_SCALE", "1"))

BCRYPT = "$2b$12$" + "K" * 22 + "q" * 31
ARGON = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo"

TESTS = []


class Fail(Exception):
    pass


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def note(msg):
    print(f"# {msg}", flush=True)


def psql(sql, *args):
    """Rows of sql (| separated fields) as a list of lists of str."""
    p = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t",
                        "-v", "ON_ERROR_STOP=1", "-h", PG_DIR, "-p", PG_PORT,
                        "-U", "rosterd", "-d", "rosterd", "-F", "|", "-c", sql],
                       capture_output=True, text=True, timeout=300 * TIME_SCALE)
    if p.returncode != 0:
        raise Fail(f"psql: {p.stderr.strip()}")
    return [line.split("|") for line in p.stdout.splitlines() if line != ""]


def one(sql):
    return psql(sql)[0][0]


def rosterctl(*args, timeout=600):
    return subprocess.run([ROSTERCTL, "-c", CONF, *args], capture_output=True,
                          text=True, timeout=timeout * TIME_SCALE)


_n = [0]


def tenant():
    _n[0] += 1
    p = rosterctl("bootstrap", "--tenant", f"imp{os.getpid()}-{_n[0]}")
    check(p.returncode == 0, f"bootstrap: {p.stderr}")
    return p.stdout.strip()


def path(name):
    return os.path.join(TMP, name)


def write(name, text, mode="w"):
    p = path(name)
    with open(p, mode, newline="" if mode == "w" else None) as f:
        f.write(text)
    return p


def write_csv(name, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return write(name, buf.getvalue())


def write_jsonl(name, recs):
    return write(name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs))


def imp(tid, file, *args, timeout=600):
    p = rosterctl("import", "--tenant", tid, *args, file, timeout=timeout)
    note(f"import {' '.join(args)} {os.path.basename(file)}: exit {p.returncode}; "
         + "; ".join(p.stdout.splitlines()))
    return p


def summary(out):
    """{"users created": n, ...} from the summary lines."""
    got = {}
    for line in out.splitlines():
        if ": " not in line:
            continue
        kind, rest = line.split(": ", 1)
        for part in rest.split(", "):
            words = part.split(" ")
            if words[0].isdigit():
                got[f"{kind} {words[-1]}"] = int(words[0])
    return got


def users(tid):
    return {r[0]: r[1:] for r in psql(
        "SELECT username, coalesce(email, ''), coalesce(first_name, ''), "
        "coalesce(last_name, ''), is_active::text, coalesce(password, ''), "
        f"id::text FROM users WHERE tenant_id = '{tid}'")}


def counts(tid):
    return psql(
        f"SELECT (SELECT count(*) FROM users WHERE tenant_id = '{tid}'),"
        f" (SELECT count(*) FROM groups WHERE tenant_id = '{tid}'),"
        f" (SELECT count(*) FROM group_members WHERE tenant_id = '{tid}'),"
        f" (SELECT count(*) FROM roles WHERE tenant_id = '{tid}'),"
        f" (SELECT count(*) FROM role_assignments WHERE tenant_id = '{tid}'),"
        f" (SELECT count(*) FROM audit_log WHERE tenant_id = '{tid}'),"
        f" (SELECT count(*) FROM import_runs WHERE tenant_id = '{tid}')")[0]


def no_secret(p, *secrets):
    for s in secrets:
        check(s not in p.stdout and s not in p.stderr, "a password hash was printed")


# ---- tests ----

@test
def csv_happy():
    tid = tenant()
    f = write_csv("happy.csv",
                  ["UserName", "email", "firstName", "lastName", "active",
                   "passwordHash", "groups", "roles", "phone"],
                  [["zoë", "Zoe@Example.com", "Zoë", "Ñúñez", "true", BCRYPT,
                    "security:admins; staff", "Member;Auditor", "+44 20 7946 0000"],
                   ["李雷", "", "雷", "李", "0", ARGON, "staff", "", ""],
                   ["bob", "bob@example.com", "", "", "", "", "", "", ""]])
    p = imp(tid, f)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    no_secret(p, BCRYPT, ARGON)
    s = summary(p.stdout)
    check(s.get("users created") == 3, f"summary {s}")
    u = users(tid)
    check(u["zoë"][:4] == ["Zoe@Example.com", "Zoë", "Ñúñez", "true"], u["zoë"])
    check(u["zoë"][4] == BCRYPT and u["李雷"][4] == ARGON, "hashes are stored as they are")
    check(u["李雷"][3] == "false" and u["bob"][3] == "true", "active and its default")
    g = psql(f"SELECT g.kind || ':' || g.code, u.username FROM group_members m "
             f"JOIN groups g USING (tenant_id) JOIN users u ON u.tenant_id = m.tenant_id "
             f"AND u.id = m.user_id WHERE g.id = m.group_id AND m.tenant_id = '{tid}' "
             f"ORDER BY 1, 2")
    check(g == [["security:admins", "zoë"], ["user:staff", "zoë"], ["user:staff", "李雷"]],
          f"memberships {g}")
    r = psql(f"SELECT r.name FROM role_assignments a JOIN roles r ON r.tenant_id = "
             f"a.tenant_id AND r.id = a.role_id WHERE a.tenant_id = '{tid}' ORDER BY 1")
    check(r == [["Auditor"], ["Member"]], f"roles {r}")
    a = psql(f"SELECT actor, action, target_type, detail::text FROM audit_log "
             f"WHERE tenant_id = '{tid}' AND action = 'user.import'")
    check(len(a) == 1 and a[0][0] == "rosterctl", f"audit {a}")
    d = json.loads(a[0][3])
    check(d["usersCreated"] == 3 and d["rows"] == 3 and d["errors"] == 0, f"detail {d}")
    check(BCRYPT not in a[0][3] and "$argon2" not in a[0][3], "no hash in the audit row")
    st = one(f"SELECT state FROM import_runs WHERE tenant_id = '{tid}'")
    check(st == "done", st)
    # the same file again: refused as done; --restart imports again (all taken)
    p = imp(tid, f)
    check(p.returncode == 0 and "imported into this tenant already" in p.stderr, p.stderr)
    p = imp(tid, f, "--restart")
    check(p.returncode == 3 and summary(p.stdout).get("users created") == 0, p.stderr)
    check(p.stderr.count("taken by another user") == 3, p.stderr)


@test
def jsonl_happy():
    tid = tenant()
    gid, rid, uid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    f = write_jsonl("happy.jsonl", [
        {"type": "group", "id": gid, "kind": "security", "code": "ops",
         "name": "Operations", "description": "the ops team"},
        {"type": "role", "id": rid, "name": "Auditor", "description": "reads"},
        {"type": "user", "id": uid, "username": "ann", "email": "ann@example.com",
         "active": False, "verified": True, "groups": ["security:ops", "user:staff"],
         "roles": ["Auditor"], "passwordHash": BCRYPT},
        {"username": "ben", "groups": [], "roles": None, "displayName": "Bén"},
    ])
    p = imp(tid, f)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    no_secret(p, BCRYPT)
    check(one(f"SELECT id FROM users WHERE tenant_id = '{tid}' AND username = 'ann'") == uid,
          "the user's id is kept")
    row = psql(f"SELECT id, name, description FROM groups WHERE tenant_id = '{tid}' "
               f"AND code = 'ops'")
    check(row == [[gid, "Operations", "the ops team"]], f"group {row}")
    check(one(f"SELECT id FROM roles WHERE tenant_id = '{tid}' AND name = 'Auditor'") == rid,
          "the role's id is kept")
    row = psql(f"SELECT is_active, verified, display_name FROM users WHERE tenant_id = "
               f"'{tid}' ORDER BY username")
    check(row == [["f", "t", ""], ["t", "f", "Bén"]], f"users {row}")
    check(one(f"SELECT count(*) FROM group_members WHERE tenant_id = '{tid}'") == "2",
          "memberships")


@test
def awkward_data():
    tid = tenant()
    rows = [["amy", "Dup@Example.com", "'=HYPERLINK(\"x\")", "'+1 555", "'plain"],
            ["amy2", "dup@example.COM", "", "", ""],
            ["", "nouser@example.com", "", "", ""],
            ["AMY", "other@example.com", "", "", ""],
            ["cat", "not-an-address", "", "", ""],
            ["dan", "", "x" * 257, "", ""]]
    f = f_awk = write_csv("awkward.csv", ["username", "email", "firstName", "lastName", "title"], rows)
    p = imp(tid, f)
    check(p.returncode == 3, f"exit {p.returncode}")
    errs = p.stderr
    check("awkward.csv:3:2: email: the same email (ignoring case) as line 2" in errs, errs)
    check("awkward.csv:4:1: username: required" in errs, errs)
    check("awkward.csv:5:1: username: the same username (ignoring case) as line 2" in errs, errs)
    check("awkward.csv:6:2: email: not an e-mail address" in errs, errs)
    check("awkward.csv:7:3: firstName: longer than 256 bytes" in errs, errs)
    u = users(tid)
    check(sorted(u) == ["amy"], f"only the good row lands: {sorted(u)}")
    # exactly the quote rosterctl export puts before a formula goes; one
    # before a phone number guards nothing, so export never adds it
    check(u["amy"][1:3] == ['=HYPERLINK("x")', "'+1 555"], f"one ' stripped: {u['amy']}")
    check(one(f"SELECT title FROM users WHERE tenant_id = '{tid}'") == "'plain",
          "a ' before text that is no formula stays")
    # a user in 1,000 groups, through CSV and JSON Lines
    groups = ";".join(f"security:g{i}" for i in range(1000))
    f = write_csv("many.csv", ["username", "groups"], [["many", groups]])
    p = imp(tid, f)
    check(p.returncode == 0, p.stderr)
    f = write_jsonl("many.jsonl", [{"username": "many2", "groups": [f"g{i}" for i in range(1000)]}])
    p = imp(tid, f)
    check(p.returncode == 0, p.stderr)
    n = psql(f"SELECT u.username, count(*) FROM group_members m JOIN users u ON "
             f"u.tenant_id = m.tenant_id AND u.id = m.user_id WHERE m.tenant_id = '{tid}' "
             f"GROUP BY 1 ORDER BY 1")
    check(n == [["many", "1000"], ["many2", "1000"]], f"memberships {n}")
    # --errors FILE: the row errors go there, not to stderr
    ef = path("awkward.errors")
    p = imp(tid, f_awk, "--restart", "--errors", ef)
    check(p.returncode == 3 and "awkward.csv:" not in p.stderr, p.stderr)
    with open(ef) as e:
        lines = e.read().splitlines()
    check(len(lines) == 6 and lines[0].startswith("awkward.csv:2:1: username: taken"), f"{lines}")
    # a bad hash is an error that does not show it; an unknown column is refused
    f = write_csv("hash.csv", ["username", "passwordHash"], [["h1", "hunter2-plain"]])
    p = imp(tid, f)
    check(p.returncode == 3 and "passwordHash: not a password hash" in p.stderr, p.stderr)
    no_secret(p, "hunter2-plain")
    f = write_csv("unknown.csv", ["username", "shoeSize"], [["u1", "9"]])
    before = counts(tid)
    p = imp(tid, f)
    check(p.returncode == 1 and 'unknown column "shoeSize"' in p.stderr
          and "column 2" in p.stderr, p.stderr)
    check(counts(tid) == before, "a refused file writes nothing")


def _upsert_case(key):
    tid = tenant()
    base = write_csv(f"base-{key}.csv", ["id", "username", "email", "firstName", "lastName"],
                     [["11111111-1111-4111-8111-111111111111", "u1", "u1@example.com", "One", "A"],
                      ["22222222-2222-4222-8222-222222222222", "u2", "u2@example.com", "Two", "B"]])
    p = imp(tid, base)
    check(p.returncode == 0, p.stderr)
    ids = {"u1": "11111111-1111-4111-8111-111111111111",
           "u2": "22222222-2222-4222-8222-222222222222"}
    # the upsert file names each user by the match key only (in another case)
    keycol = {"id": lambda u: ids[u], "username": lambda u: u.upper(),
              "email": lambda u: f"{u.upper()}@EXAMPLE.com"}[key]
    cols = [key, "firstName"] + (["username"] if key != "username" else [])
    rows = [[keycol("u1"), "Uno"] + (["u1"] if key != "username" else []),
            [keycol("u2"), ""] + (["u2"] if key != "username" else [])]
    new = {"id": "33333333-3333-4333-8333-333333333333", "username": "u3",
           "email": "u3@example.com"}[key]
    rows.append([new, "Three"] + (["u3"] if key != "username" else []))
    up = write_csv(f"up-{key}.csv", cols, rows)
    p = imp(tid, up)        # create mode: the first two exist
    check(p.returncode == 3, f"create: exit {p.returncode}")
    check(summary(p.stdout).get("users created") == 1, p.stdout)
    p = imp(tid, up, "--mode", "upsert", "--match", key, "--restart")
    check(p.returncode == 0, f"upsert: {p.stderr}")
    s = summary(p.stdout)
    # the third row was created by the create run: all three are updated
    check(s.get("users updated") == 3 and s.get("users created") == 0, f"{s}")
    u = {k.lower(): v for k, v in users(tid).items()}
    check(u["u1"][1:3] == ["Uno", "A"], f"updated, absent left alone: {u['u1']}")
    check(u["u2"][1:3] == ["Two", "B"], f"an empty cell leaves the value: {u['u2']}")
    check(u["u1"][5] == ids["u1"], "the id stays")
    # an upsert whose email belongs to another user is that row's error
    clash = write_csv(f"clash-{key}.csv", [key, "email"] + (["username"] if key != "username" else []),
                      [[keycol("u1"), "U2@example.com"] + (["u1"] if key != "username" else [])])
    if key == "email":
        clash = write_csv(f"clash-{key}.csv", ["email", "username"],
                          [["u1@example.com", "U2"]])
    p = imp(tid, clash, "--mode", "upsert", "--match", key)
    check(p.returncode == 3 and "taken by another user" in p.stderr, p.stderr)
    # the match column is required in every row, and in the header
    other = "email" if key != "email" else "username"
    gap = write_csv(f"gap-{key}.csv", [key, other], [["", "x4@example.com" if other == "email" else "x4"]])
    p = imp(tid, gap, "--mode", "upsert", "--match", key)
    check(p.returncode == 3 and f"gap-{key}.csv:2:1: {key}: required by --match {key}" in p.stderr,
          p.stderr)
    nocol = write_csv(f"nocol-{key}.csv", [other], [["x5@example.com" if other == "email" else "x5"]])
    p = imp(tid, nocol, "--mode", "upsert", "--match", key)
    check(p.returncode == 1 and f"no {key} column for --match {key}" in p.stderr, p.stderr)


@test
def upsert_by_id():
    _upsert_case("id")


@test
def upsert_by_username():
    _upsert_case("username")


@test
def upsert_by_email():
    _upsert_case("email")


@test
def dry_run_writes_nothing():
    tid = tenant()
    rows = [[f"d{i}", f"d{i}@example.com", "security:x;y", "R1"] for i in range(50)]
    rows.insert(10, ["d3", "", "", ""])          # a duplicate
    rows.insert(20, ["bad", "nope", "", ""])     # a bad address
    f = write_csv("dry.csv", ["username", "email", "groups", "roles"], rows)
    before = counts(tid)
    p = imp(tid, f, "--dry-run", "--batch", "7")
    check(p.returncode == 3, f"exit {p.returncode}")
    check(counts(tid) == before, f"dry run wrote: {before} -> {counts(tid)}")
    check("would be created" in p.stdout and summary(p.stdout).get("users created") == 50,
          p.stdout)
    dry_errs = sorted(line for line in p.stderr.splitlines() if line.startswith("dry.csv:"))
    p = imp(tid, f, "--batch", "7")
    check(p.returncode == 3, f"exit {p.returncode}")
    real_errs = sorted(line for line in p.stderr.splitlines() if line.startswith("dry.csv:"))
    check(dry_errs == real_errs and len(real_errs) == 2, f"{dry_errs} vs {real_errs}")
    check(counts(tid)[0] == str(int(before[0]) + 50), "the real run wrote")


@test
def atomic_all_or_nothing():
    tid = tenant()
    good = [[f"a{i}", f"a{i}@example.com", "g"] for i in range(30)]
    f = write_csv("atomic-bad.csv", ["username", "email", "groups"],
                  good + [["a5", "x@example.com", "g"]])
    before = counts(tid)
    p = imp(tid, f, "--atomic", "--batch", "8")
    check(p.returncode == 3 and "nothing was written" in p.stdout, p.stdout + p.stderr)
    check("atomic-bad.csv:32:1: username: taken by another user" in p.stderr, p.stderr)
    check(counts(tid) == before, "an --atomic run with a bad row writes nothing")
    f = write_csv("atomic-good.csv", ["username", "email", "groups"], good)
    p = imp(tid, f, "--atomic", "--batch", "8")
    check(p.returncode == 0, p.stderr)
    check(one(f"SELECT count(*) FROM users WHERE tenant_id = '{tid}'") == str(int(before[0]) + 30),
          "all rows")


def _big_csv(name, n):
    p = path(name)
    if not os.path.exists(p):
        with open(p, "w") as f:
            f.write("username,email,firstName,groups\n")
            for i in range(n):
                f.write(f"user{i:07d},user{i:07d}@example.com,Fïrst {i},"
                        f"team{i % 50};security:s{i % 7}\n")
    return p


def _wait_checkpoint(tid, proc, deadline=300):
    end = time.monotonic() + deadline * TIME_SCALE
    while time.monotonic() < end:
        r = psql(f"SELECT rows_done FROM import_runs WHERE tenant_id = '{tid}' AND state = 'running'")
        if r and int(r[0][0]) > 0:
            return int(r[0][0])
        check(proc.poll() is None, "rosterctl ended before a checkpoint")
        time.sleep(0.05)
    raise Fail("no checkpoint came")


def _exactly_once(tid, n):
    r = psql(f"SELECT count(*), count(DISTINCT username) FROM users WHERE tenant_id = '{tid}' "
             f"AND username LIKE 'user%'")[0]
    r2 = psql(f"SELECT count(*) FROM users WHERE tenant_id = '{tid}' AND username LIKE 'user%' "
              f"AND right(username, 7)::int >= {n}")[0][0]
    check(r2 == "0", "users from beyond the file")
    check(r == [str(n), str(n)], f"users {r}, want {n} once each")
    m = one(f"SELECT count(*) FROM group_members m JOIN users u ON u.tenant_id = m.tenant_id "
            f"AND u.id = m.user_id WHERE m.tenant_id = '{tid}' AND u.username LIKE 'user%'")
    check(m == str(2 * n), f"memberships {m}, want {2 * n}")


@test
def kill_9_then_resume():
    n = 200000
    f = _big_csv("big.csv", n)
    tid = tenant()
    proc = subprocess.Popen([ROSTERCTL, "-c", CONF, "import", "--tenant", tid, "--batch", "10000",
                             f], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = _wait_checkpoint(tid, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    at_kill = int(one(f"SELECT rows_done FROM import_runs WHERE tenant_id = '{tid}'"))
    note(f"killed with {at_kill} rows committed (first seen {done})")
    check(at_kill < n, "the kill came after the end; nothing was tested")
    users_at_kill = int(one(f"SELECT count(*) FROM users WHERE tenant_id = '{tid}' "
                            f"AND username LIKE 'user%'"))
    check(users_at_kill == at_kill, f"{users_at_kill} users for {at_kill} checkpointed rows")
    p = imp(tid, f, "--batch", "10000")
    check(p.returncode == 0, p.stderr)
    check("resuming run" in p.stderr and f"after {at_kill} rows" in p.stderr, p.stderr)
    _exactly_once(tid, n)
    check(summary(p.stdout).get("users created") == n, p.stdout)
    check(one(f"SELECT state || rows_done FROM import_runs WHERE tenant_id = '{tid}'") == f"done{n}",
          "the run is done")
    a = psql(f"SELECT detail->>'rows', detail->>'usersCreated', detail->>'membershipsAdded' "
             f"FROM audit_log WHERE tenant_id = '{tid}' AND action = 'user.import'")
    check(a == [[str(n), str(n), str(2 * n)]], f"one audit row for the whole run: {a}")


@test
def sigint_then_resume():
    n = 40000
    f = _big_csv("mid.csv", n)
    tid = tenant()
    proc = subprocess.Popen([ROSTERCTL, "-c", CONF, "import", "--tenant", tid, "--batch", "2000",
                             f], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_checkpoint(tid, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300 * TIME_SCALE)
    note(f"after SIGINT: exit {proc.returncode}: {err.strip().splitlines()[-1:]}")
    if proc.returncode == 0:
        raise Fail("the import ended before the SIGINT came; nothing was tested")
    check(proc.returncode == 130 and "run the same command again" in err, err)
    at_stop = int(one(f"SELECT rows_done FROM import_runs WHERE tenant_id = '{tid}'"))
    check(int(one(f"SELECT count(*) FROM users WHERE tenant_id = '{tid}' AND username LIKE 'user%'"))
          == at_stop, "what is in is what the checkpoint says")
    p = imp(tid, f, "--batch", "2000")
    check(p.returncode == 0, p.stderr)
    _exactly_once(tid, n)


def _users_rows_read():
    """Rows of users read by scans (sequential and index) so far, once
    no rosterctl import session is left (a backend's counters are in
    the statistics before it leaves pg_stat_activity)."""
    end = time.monotonic() + 60 * TIME_SCALE
    while one("SELECT count(*) FROM pg_stat_activity "
              "WHERE application_name = 'rosterctl import'") != "0":
        check(time.monotonic() < end, "a rosterctl import session did not end")
        time.sleep(0.05)
    return int(one("SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                   "FROM pg_stat_user_tables WHERE relname = 'users'"))


@test
def checks_look_users_up_by_index():
    """The second import into a tenant reads none of the users already in
    to check its rows against them, with users' statistics from before the
    tenant had any (as for any new tenant until autovacuum comes)."""
    n = 5000
    tid = tenant()
    psql("ALTER TABLE users SET (autovacuum_enabled = off)")
    try:
        psql("ANALYZE users")
        p = imp(tid, write_csv("probe1.csv", ["username", "email"],
                               [[f"p{i}", f"p{i}@example.com"] for i in range(n)]))
        check(p.returncode == 0, p.stderr)
        before = _users_rows_read()
        p = imp(tid, write_csv("probe2.csv", ["username", "email"],
                               [[f"q{i}", f"q{i}@example.com"] for i in range(n)]))
        check(p.returncode == 0, p.stderr)
        read = _users_rows_read() - before
    finally:
        psql("ALTER TABLE users RESET (autovacuum_enabled)")
    note(f"{read} rows of users read by the second import ({n} of the tenant's in)")
    check(read < n, f"the second import read {read} rows of users: the {n} in were read through")
    check(one(f"SELECT count(*) FROM users WHERE tenant_id = '{tid}'") == str(2 * n), "users")


@test
def malformed_csv():
    tid = tenant()
    before = counts(tid)
    f = write("badutf8.csv", b"username,email\r\nok1,\r\nbad\xff\xfe,\r\nok2,\r\n", "wb")
    p = imp(tid, f)
    check(p.returncode == 1 and "line 3, column 1: bad UTF-8" in p.stderr, p.stderr)
    f = write("quote.csv", 'username,email\nok1,\n"never closed,\nok2,\n')
    p = imp(tid, f)
    check(p.returncode == 1 and "line 3, column 1: a quote opened here is never closed"
          in p.stderr, p.stderr)
    f = write("after.csv", 'username,email\n"ok"x,\n')
    p = imp(tid, f)
    check(p.returncode == 1 and "text after a closing quote" in p.stderr, p.stderr)
    f = write("toolong.csv", "username\n" + "x" * (70 * 1024) + "\n")
    p = imp(tid, f)
    check(p.returncode == 1 and "longer than 65536 bytes" in p.stderr, p.stderr)
    f = write("extra.csv", "username\nok,surplus\n")
    p = imp(tid, f)
    check(p.returncode == 3 and "more cells than the header" in p.stderr, p.stderr)
    check(counts(tid)[0] == before[0], "no user from malformed files")
    f = write("empty.csv", "")
    p = imp(tid, f)
    check(p.returncode == 1 and "no header row" in p.stderr, p.stderr)
    p = rosterctl("import", "--tenant", tid, "-")
    check(p.returncode == 2 and "standard input" in p.stderr, p.stderr)
    f = write("sheet.xlsx", "PK")
    p = imp(tid, f)
    check(p.returncode == 1 and "not an xlsx workbook" in p.stderr, p.stderr)
    check(counts(tid)[0] == before[0], "no user from a file that is no workbook")


@test
def malformed_jsonl():
    tid = tenant()
    huge = 64 * 1024 * 1024
    f = path("bad.jsonl")
    with open(f, "wb") as o:
        o.write(b'{"username":"j1"}\n')
        o.write(b'{"username":"j\xff2"}\n')
        o.write(b'{"username": "j3"\n')
        o.write(b'{"username":"' + b"y" * huge + b'"}\n')
        o.write(b'[1,2]\n')
        o.write(b'{"username":"j6","shoeSize":9}\n')
        o.write(b'{"username":"j7","active":"yes"}\n')
        o.write(b'\n')
        o.write(b'{"username":"j9","groups":["a","admin:b"]}')   # no final newline
    proc = subprocess.Popen([ROSTERCTL, "-c", CONF, "import", "--tenant", tid, f],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=300 * TIME_SCALE)
    err = err.decode()
    note(f"exit {proc.returncode}")
    check(proc.returncode == 3, f"exit {proc.returncode}: {err}")
    for want in ["bad.jsonl:2: bad UTF-8", "bad.jsonl:3: not JSON",
                 "bad.jsonl:4: a line longer than 1048576 bytes",
                 "bad.jsonl:5: not a JSON object", 'bad.jsonl:6: unknown field "shoeSize"',
                 "bad.jsonl:7: active: not true or false"]:
        check(want in err, f"{want!r} not in {err}")
    check(sorted(users(tid)) == ["j1", "j9"], f"{sorted(users(tid))}")


@test
def long_line_memory_is_flat():
    """A 64 MiB JSON line is skipped without being held."""
    tid = tenant()
    f = path("huge.jsonl")
    if not os.path.exists(f):
        with open(f, "wb") as o:
            o.write(b'{"username":"' + b"z" * (64 * 1024 * 1024) + b'"}\n{"username":"after"}\n')
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        os.execv(ROSTERCTL, [ROSTERCTL, "-c", CONF, "import", "--tenant", tid, f])
    _, status, ru = os.wait4(pid, 0)
    note(f"exit {os.waitstatus_to_exitcode(status)}, peak RSS {ru.ru_maxrss} KiB")
    check(os.waitstatus_to_exitcode(status) == 3, f"status {status}")
    check(ru.ru_maxrss < 48 * 1024, f"peak RSS {ru.ru_maxrss} KiB for a 64 MiB line")
    check(sorted(users(tid)) == ["after"], "reading went on after the long line")


def export(tid, fmt, name, *extra):
    out = path(name)
    p = rosterctl("export", "--tenant", tid, "--format", fmt, "-o", out, *extra)
    check(p.returncode == 0, f"export {fmt}: exit {p.returncode}: {p.stderr}")
    return out


def _rt_source():
    """A tenant with what an export carries: groups of every kind with
    names and descriptions, roles, users with unicode names, a formula-like
    title, password hashes of three algorithms, many memberships."""
    tid = tenant()
    recs = [{"type": "group", "id": str(uuid.uuid4()), "kind": k, "code": f"{k}-{i}",
             "name": f"Gruppe {k} {i} — ü", "description": f"the {k} group {i}"}
            for k in ("security", "user", "admin", "privilege") for i in range(3)]
    recs += [{"type": "role", "id": str(uuid.uuid4()), "name": f"Rolle {i}",
              "description": f"role {i}"} for i in range(4)]
    hashes = [BCRYPT, ARGON, "$pbkdf2-sha256$i=27500$c2FsdA$" + "A" * 43, None]
    for i in range(60):
        u = {"id": str(uuid.uuid4()), "username": f"nutzer{i}-ß", "email": f"N{i}@Example.com",
             "firstName": f"Zoë {i}", "lastName": "'+1 555" if i == 1 else "''=x" if i == 2 else "Ñandú", "displayName": f"日本 {i}",
             "title": "=1+2" if i == 0 else f"title {i}", "phone": f"+44 20 7946 {i:04d}",
             "externalId": f"ext-{i}", "locale": "de-DE", "timeZone": "Europe/Berlin",
             "active": i % 5 != 0, "verified": i % 2 == 0, "locked": i == 3,
             "mustChangePassword": i == 4,
             "groups": [f"{k}:{k}-{j}" for k in ("security", "user") for j in range(3)
                        if (i + j) % 2 == 0],
             "roles": [f"Rolle {i % 4}"]}
        if hashes[i % 4] is not None:
            u["passwordHash"] = hashes[i % 4]
        recs.append(u)
    p = imp(tid, write_jsonl("rt-source.jsonl", recs))
    check(p.returncode == 0, f"source import: {p.stderr}")
    return tid


@test
def round_trip_export_import_every_format():
    """A tenant exported, imported into an empty tenant and exported again
    gives the same export, in CSV, JSON Lines and xlsx (read back through
    the CSV export), password hashes included."""
    src = _rt_source()
    flags = ("--include-password-hashes",)
    for fmt in ("csv", "jsonl", "xlsx"):
        first = export(src, fmt, f"rt-1.{fmt}", *flags)
        dst = tenant()
        p = imp(dst, first)
        check(p.returncode == 0, f"{fmt}: import of the export: exit {p.returncode}: {p.stderr}")
        cmp_fmt = "csv" if fmt == "xlsx" else fmt
        a = open(export(src, cmp_fmt, f"rt-a.{cmp_fmt}", *flags), encoding="utf-8").read()
        b = open(export(dst, cmp_fmt, f"rt-b.{cmp_fmt}", *flags), encoding="utf-8").read()
        if cmp_fmt == "jsonl":
            # the groups and roles every tenant is made with (bootstrap)
            # have each tenant's own ids
            made = {("group", k, c) for k, c in psql(
                f"SELECT kind, code FROM groups WHERE tenant_id = '{dst}'")} | {
                ("role", n) for n, in psql(f"SELECT name FROM roles WHERE tenant_id = '{dst}'")}
            made = {m for m in made if not (m[0] == "role" and m[1].startswith("Rolle"))
                    and not (m[0] == "group" and m[2][-2:-1] == "-")}

            def norm(text):
                out = []
                for line in text.splitlines():
                    r = json.loads(line)
                    key = (("group", r["kind"], r["code"]) if r.get("type") == "group"
                           else ("role", r["name"]) if r.get("type") == "role" else None)
                    if key in made:
                        r.pop("id", None)
                    out.append(r)
                return out
            a, b = norm(a), norm(b)
        if a != b:
            al = a if isinstance(a, list) else a.splitlines()
            bl = b if isinstance(b, list) else b.splitlines()
            diff = [(x, y) for x, y in zip(al, bl) if x != y][:2]
            raise Fail(f"{fmt}: the re-export differs ({len(al)} and {len(bl)} lines): {diff}")
        note(f"{fmt}: {len(a) if isinstance(a, list) else a.count(chr(10))} lines equal "
             "after export, import, export")
    check(users(src)["nutzer0-ß"][3:] == users(dst)["nutzer0-ß"][3:],
          "hashes and ids kept")


def main(argv):
    names = set(argv)
    unknown = names - {t.__name__ for t in TESTS}
    if unknown:
        print(f"not ok - unknown tests {sorted(unknown)}")
        return 1
    passed = failed = 0
    for t in TESTS:
        if names and t.__name__ not in names:
            continue
        start = time.monotonic()
        try:
            t()
            passed += 1
            print(f"ok - {t.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed += 1
            print(f"not ok - {t.__name__}: {e}", flush=True)
            if not isinstance(e, Fail):
                traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
