#!/usr/bin/env python3
"""rosterctl import against a real PostgreSQL (started by tests/import/run).

Each test makes its own tenant with rosterctl bootstrap, writes its files
in RI_TMP, runs the real rosterctl and checks the tables with psql.
Waits are on conditions (a checkpoint row), never on a sleep's length.
"""
import base64
import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import traceback
import uuid
import zipfile

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


def psql(sql, *args, sep="|"):
    """Rows of sql (sep separated fields) as a list of lists of str."""
    p = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t",
                        "-v", "ON_ERROR_STOP=1", "-h", PG_DIR, "-p", PG_PORT,
                        "-U", "rosterd", "-d", "rosterd", "-F", sep, "-c", sql],
                       capture_output=True, text=True, timeout=300 * TIME_SCALE)
    if p.returncode != 0:
        raise Fail(f"psql: {p.stderr.strip()}")
    return [line.split(sep) for line in p.stdout.splitlines() if line != ""]


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
    # the run's row and its audit row count what the atomic run did
    detail = json.loads(one(f"SELECT detail FROM audit_log WHERE tenant_id = '{tid}' "
                            "AND action = 'user.import'"))
    check(detail.get("rows") == 30 and detail.get("usersCreated") == 30
          and detail.get("atomic") is True, f"the atomic run's audit row: {detail}")


@test
def atomic_after_an_interrupted_run():
    """An interrupted run of a file is left to resume: --atomic on the same
    file says so (not "another import is running"); --atomic --restart
    abandons it in its own transaction, so when that atomic run fails the
    interrupted one is still there, and resuming it imports every row
    once."""
    n = 40000
    f = _big_csv("mid.csv", n)
    tid = tenant()
    proc = subprocess.Popen([ROSTERCTL, "-c", CONF, "import", "--tenant", tid, "--batch", "2000",
                             f], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_checkpoint(tid, proc)
    proc.kill()
    proc.communicate(timeout=300 * TIME_SCALE)
    p = imp(tid, f, "--atomic")
    check(p.returncode == 1 and "can be resumed without --atomic" in p.stderr, p.stderr)
    p = imp(tid, f, "--atomic", "--restart")
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr[-300:]}")
    check("taken by another user" in p.stderr, "the rows the killed run wrote are there")
    check(one(f"SELECT state FROM import_runs WHERE tenant_id = '{tid}' ORDER BY started_at "
              "LIMIT 1") == "running", "a failed --atomic run abandons nothing")
    p = imp(tid, f, "--batch", "2000")
    check(p.returncode == 0, p.stderr[-300:])
    _exactly_once(tid, n)


@test
def repeated_group_and_role_ids_in_a_batch():
    """Two group (or role) records with one id and different codes: the
    later one is an error on its line, the rest lands (a second id was a
    primary-key violation that failed the batch for ever)."""
    tid = tenant()
    gid, rid = str(uuid.uuid4()), str(uuid.uuid4())
    f = write_jsonl("dup-ids.jsonl", [
        {"type": "group", "id": gid, "kind": "security", "code": "one", "name": "One"},
        {"type": "group", "id": gid, "kind": "security", "code": "two", "name": "Two"},
        {"type": "role", "id": rid, "name": "R one"},
        {"type": "role", "id": rid, "name": "R two"},
        {"username": "dupids", "groups": ["security:one"], "roles": ["R one"]}])
    p = imp(tid, f)
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr}")
    check("dup-ids.jsonl:2: id: the same group id as line 1" in p.stderr, p.stderr)
    check("dup-ids.jsonl:4: id: the same role id as line 3" in p.stderr, p.stderr)
    check(one(f"SELECT count(*) FROM group_members WHERE tenant_id = '{tid}'") == "1",
          "the user and its membership landed")


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
    t0 = one("SELECT now()")
    p = imp(tid, f, "--batch", "2000")
    check(p.returncode == 0, p.stderr)
    _exactly_once(tid, n)
    # tens of thousands of rows: the run ANALYZEs what it filled, so that
    # the planner does not take the tenant for empty until autovacuum
    end = time.monotonic() + 60 * TIME_SCALE
    while one("SELECT coalesce(last_analyze >= " f"'{t0}'::timestamptz, false) FROM "
              "pg_stat_user_tables WHERE relname = 'users'") != "t":
        check(time.monotonic() < end, "users was not analyzed after the import")
        time.sleep(0.1)


@test
def exit_status_and_errors_file_across_runs():
    """The exit status says 3 whenever the run had refused rows: a rerun of
    a finished file (done already) as much as its first run, and a run
    resumed after an interruption whose earlier session refused them.
    --errors FILE is appended to, run after run; row errors that cannot be
    written fail their batch (exit 1), and a rerun reports them."""
    tid = tenant()
    f1 = write_csv("st1.csv", ["username", "email"],
                   [["st1a", "st1a@example.com"], ["st1b", "not-an-email"]])
    f2 = write_csv("st2.csv", ["username", "email"],
                   [["st2a", "nope"], ["st2b", "st2b@example.com"]])
    errs = path("st.errors")
    if os.path.exists(errs):
        os.unlink(errs)
    p = imp(tid, f1, "--errors", errs)
    check(p.returncode == 3, f"first run: exit {p.returncode}: {p.stderr}")
    p = imp(tid, f1, "--errors", errs)
    check(p.returncode == 3, f"rerun of a finished file with a refused row: exit {p.returncode}")
    p = imp(tid, f2, "--errors", errs)
    check(p.returncode == 3, f"second file: exit {p.returncode}: {p.stderr}")
    with open(errs) as f:
        lines = f.read().splitlines()
    check([x.split(":")[:2] for x in lines] == [["st1.csv", "3"], ["st2.csv", "2"]],
          f"the errors of both runs, appended: {lines}")
    # an errors file that takes nothing: the batch fails, nothing is lost
    tid2 = tenant()
    f3 = write_csv("st3.csv", ["username", "email"],
                   [["st3a", "st3a@example.com"], ["st3b", "bad"]])
    p = imp(tid2, f3, "--errors", "/dev/full")
    check(p.returncode == 1 and "cannot be written" in p.stderr
          and "database failed" not in p.stderr,
          f"--errors /dev/full: exit {p.returncode}: {p.stderr}")
    check(one(f"SELECT count(*) FROM users WHERE tenant_id = '{tid2}'") == "0",
          "the batch whose errors were not written is not in")
    p = imp(tid2, f3)
    check(p.returncode == 3 and "st3.csv:3:2: email" in p.stderr,
          f"the rerun reports the row: exit {p.returncode}: {p.stderr}")
    # a run resumed after a SIGINT, whose first session refused a row
    n = 40000
    big = path("st-big.csv")
    with open(big, "w") as f:
        f.write("username,email\n")
        f.write("stbad,not-an-email\n")
        for i in range(n):
            f.write(f"stbig{i:07d},stbig{i:07d}@example.com\n")
    tid3 = tenant()
    proc = subprocess.Popen([ROSTERCTL, "-c", CONF, "import", "--tenant", tid3, "--batch",
                             "2000", big], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    _wait_checkpoint(tid3, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300 * TIME_SCALE)
    if proc.returncode != 130:
        raise Fail(f"the import was not interrupted (exit {proc.returncode}); "
                   "nothing was tested")
    check("stbad" not in err and ":2:2: email" in err, f"the first session's error: {err}")
    p = imp(tid3, big, "--batch", "2000")
    check(p.returncode == 3, f"the resumed run: exit {p.returncode}: {p.stderr}")
    check(summary(p.stdout).get("rows errors") == 1, p.stdout)
    # bootstrap's tenant id, which the operator must keep, lost on the way
    with open("/dev/full", "w") as full:
        b = subprocess.run([ROSTERCTL, "-c", CONF, "bootstrap", "--tenant",
                            f"full{os.getpid()}"], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=60 * TIME_SCALE)
    check(b.returncode == 1 and "could not be written" in b.stderr,
          f"bootstrap > /dev/full: exit {b.returncode}: {b.stderr}")


@test
def blank_rows_bom_and_semicolon_codes():
    """A row with no value in any cell (a line of commas, an xlsx row kept
    for its formatting) is no record; JSON Lines may start with a UTF-8 BOM;
    a group code with a ';' goes in by JSON Lines (which CSV and xlsx
    export refuse to write)."""
    tid = tenant()
    p = imp(tid, write("blank.csv", "username,email\r\nbl1,bl1@example.com\r\n,\r\n"
                                    " , \r\nbl2,bl2@example.com\r\n,\r\n"))
    check(p.returncode == 0, f"CSV with blank rows: exit {p.returncode}: {p.stderr}")
    check(summary(p.stdout).get("rows read") == 2, p.stdout)
    # an xlsx with rows that hold formatting only
    src = tenant()
    check(imp(src, write_jsonl("bl-x.jsonl", [{"username": "blx1"}])).returncode == 0,
          "the source")
    x = export(src, "xlsx", "bl.xlsx")
    out = path("bl-blank.xlsx")
    with zipfile.ZipFile(x) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="90"><c r="A90" s="0"/>'
                                    b'<c r="B90" t="inlineStr"><is><t></t></is></c></row>'
                                    b'<row r="91"/></sheetData>')
                check(b'r="90"' in data, "the blank rows went in")
            zout.writestr(item, data)
    tid2 = tenant()
    p = imp(tid2, out)
    check(p.returncode == 0, f"xlsx with blank rows: exit {p.returncode}: {p.stderr}")
    check(summary(p.stdout).get("rows read") == 1, p.stdout)
    tid3 = tenant()
    f = write("bom.jsonl", "\ufeff" + json.dumps({"username": "bom1", "groups": [
        "security:sales;emea", "team;x"]}) + "\n" + json.dumps({"username": "bom2"}) + "\n")
    p = imp(tid3, f)
    check(p.returncode == 0, f"JSON Lines with a BOM: exit {p.returncode}: {p.stderr}")
    check(sorted(r[0] for r in psql(f"SELECT username FROM users WHERE tenant_id = '{tid3}'"))
          == ["bom1", "bom2"], "both records")
    got = psql(f"SELECT g.kind, g.code FROM group_members m JOIN groups g ON g.tenant_id = "
               f"m.tenant_id AND g.id = m.group_id WHERE m.tenant_id = '{tid3}' ORDER BY 2")
    check(got == [["security", "sales;emea"], ["user", "team;x"]], f"the memberships {got}")


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



# ---- migration sources: Keycloak and Auth0 (fixtures/README.md) ----

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def fixture(name):
    return os.path.join(FIXTURES, name)


def user_rows(tid):
    """username -> {column: text} of every user of tid."""
    cols = ["username", "email", "first_name", "last_name", "display_name", "phone",
            "external_id", "locale", "is_active", "verified", "must_change_password",
            "password", "id"]
    rows = psql("SELECT " + ", ".join(f"coalesce({c}::text, '')" for c in cols)
                + f" FROM users WHERE tenant_id = '{tid}'", sep="\x1f")
    return {r[0]: dict(zip(cols, r)) for r in rows}


def memberships(tid):
    return psql(f"SELECT g.kind || ':' || g.code, u.username FROM group_members m "
                f"JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id "
                f"JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id "
                f"WHERE m.tenant_id = '{tid}' ORDER BY 1, 2")


def assignments(tid):
    return psql(f"SELECT r.name, u.username FROM role_assignments a JOIN roles r ON "
                f"r.tenant_id = a.tenant_id AND r.id = a.role_id JOIN users u ON "
                f"u.tenant_id = a.tenant_id AND u.id = a.user_id "
                f"WHERE a.tenant_id = '{tid}' ORDER BY 1, 2")


def b64_nopad(b):
    return base64.b64encode(b).decode().rstrip("=")


def b64_pad(s):
    return base64.b64decode(s + "=" * (-len(s) % 4))


def pbkdf2_ok(phc, password):
    """Recomputes a $pbkdf2-<digest>$i=N[,l=K]$salt$hash string with password."""
    _, alg, params, salt, want = phc.split("$")
    digest = alg.split("-", 1)[1]
    it = int(dict(kv.split("=") for kv in params.split(","))["i"])
    raw = b64_pad(want)
    return hashlib.pbkdf2_hmac(digest, password.encode(), b64_pad(salt), it, len(raw)) == raw


def kc_secret(realm, username):
    for u in realm["users"]:
        if u["username"] == username:
            c = [c for c in u["credentials"] if c["type"] == "password"][0]
            return json.loads(c["secretData"]), json.loads(c["credentialData"])
    raise Fail(f"no {username} in the fixture")


@test
def keycloak_realm_export():
    tid = tenant()
    with open(fixture("keycloak-realm.json"), encoding="utf-8") as f:
        realm = json.load(f)
    g0 = psql(f"SELECT id FROM groups WHERE tenant_id = '{tid}'")
    r0 = psql(f"SELECT id FROM roles WHERE tenant_id = '{tid}'")
    old = "'" + "', '".join(x[0] for x in g0 + r0 + [[str(uuid.UUID(int=0))]]) + "'"
    p = imp(tid, fixture("keycloak-realm.json"), "--format", "keycloak")
    # zoe.two's e-mail differs from zoe's only in case: that user fails
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr}")
    note(p.stderr.strip().replace("\n", " / "))
    # records are numbered in document order: 2 roles, 4 groups, then users
    check("keycloak-realm.json:9: email: the same email (ignoring case) as line 8"
          in p.stderr, p.stderr)
    u = user_rows(tid)
    check(sorted(u) == ["alice", "bob", "carol", "dave", "zoe"], f"users {sorted(u)}")
    a = u["alice"]
    check([a["email"], a["first_name"], a["last_name"], a["locale"], a["is_active"],
           a["verified"], a["must_change_password"], a["id"]] ==
          ["alice@example.com", "Alice", "Archer", "de", "true", "true", "false",
           "a1b2c3d4-0001-4000-8000-000000000001"], f"alice {a}")
    sd, cd = kc_secret(realm, "alice")
    want = (f"$pbkdf2-sha256$i=27500${base64.b64encode(base64.b64decode(sd['salt'])).decode().rstrip('=')}"
            f"${sd['value'].rstrip('=')}")
    check(a["password"] == want, f"alice's PHC {a['password']!r} != {want!r}")
    check(pbkdf2_ok(a["password"], "alice-pw"), "alice's PHC string does not verify")
    check(not pbkdf2_ok(a["password"], "alice-pw2"), "a wrong password verifies")
    z = u["zoe"]
    check([z["first_name"], z["last_name"], z["email"]] ==
          ["Zoë", "Ångström-日本", "Zoe.Angstrom@Example.com"], f"zoe {z}")
    check(z["password"].startswith("$pbkdf2-sha512$i=30000$") and
          pbkdf2_ok(z["password"], "zoë-pw"), f"zoe's PHC {z['password']!r}")
    b = u["bob"]
    sd, cd = kc_secret(realm, "bob")
    check(b["password"] == f"$argon2id$v=19$m=7168,t=5,p=1${b64_nopad(b64_pad(sd['salt']))}"
          f"${sd['value'].rstrip('=')}", f"bob's PHC {b['password']!r}")
    check([b["is_active"], b["must_change_password"], b["verified"]] == ["false", "true", "false"],
          f"bob {b}")
    check(u["carol"]["password"] == "", "carol's md5-legacy hash is not kept")
    check('keycloak-realm.json:' in p.stderr and 'warning: users[4] (carol).credentials[0]: '
          'password algorithm "md5-legacy" is none rosterd keeps' in p.stderr, p.stderr)
    d = u["dave"]
    check(d["id"] != "legacy-user-42" and len(d["id"]) == 36, f"dave's id {d['id']}")
    check(d["password"].startswith("$pbkdf2-sha1$i=20000$") and pbkdf2_ok(d["password"], "dave-pw"),
          f"dave {d['password']!r}")
    check([d["email"], d["first_name"], d["is_active"], d["verified"]] == ["", "", "true", "false"],
          f"dave's missing fields {d}")
    g = psql(f"SELECT kind, code, name, id FROM groups WHERE tenant_id = '{tid}' "
             f"AND id NOT IN ({old}) ORDER BY code")
    check(g == [["user", "Ventes & Marketing", "Ventes & Marketing", "7d3e1f40-2b5c-4d6e-8f90-a1b2c3d4e5f4"],
                ["user", "engineering", "engineering", "7d3e1f40-2b5c-4d6e-8f90-a1b2c3d4e5f1"],
                ["user", "engineering/backend", "backend", "7d3e1f40-2b5c-4d6e-8f90-a1b2c3d4e5f2"],
                ["user", "engineering/backend/db", "db", "7d3e1f40-2b5c-4d6e-8f90-a1b2c3d4e5f3"]],
          f"groups {g}")
    m = memberships(tid)
    check(m == [["user:Ventes & Marketing", "alice"], ["user:engineering", "bob"],
                ["user:engineering/backend", "alice"], ["user:engineering/backend/db", "zoe"]],
          f"memberships {m}")
    r = psql(f"SELECT name, coalesce(description, ''), id FROM roles WHERE tenant_id = '{tid}' "
             f"AND id NOT IN ({old}) ORDER BY name")
    check([x[:2] for x in r] == [["Prüfer", ""], ["admin", "Administrators"]], f"roles {r}")
    check(r[1][2] == "5b1c9d2e-0f3a-4b5c-8d7e-6f5a4b3c2d13", "admin's id is kept")
    check(assignments(tid) == [["Prüfer", "zoe"], ["admin", "alice"]], f"{assignments(tid)}")
    for line in ["keycloak: Keycloak's built-in roles (default-roles-<realm>, offline_access, "
                 "uma_authorization) not imported: 3 roles, 6 assignments",
                 "keycloak: 1 service-account users not imported",
                 "keycloak: 1 client role assignments not imported",
                 "keycloak: 1 credentials other than passwords",
                 "keycloak: 1 users imported without a password (algorithm not kept: md5-legacy)"]:
        check(line in p.stdout, f"{line!r} not in {p.stdout}")
    no_secret(p, *(x["password"] for x in u.values() if x["password"]))
    for x in realm["users"]:
        for c in x.get("credentials", []):
            no_secret(p, json.loads(c["secretData"]).get("value", "?"))
    # kc.sh's separate users file: users only, groups by path
    p = imp(tid, fixture("keycloak-users-0.json"), "--format", "keycloak")
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    u = user_rows(tid)
    check(u["frank"]["last_name"] == "Ødegård" and pbkdf2_ok(u["frank"]["password"], "frank-pw"),
          f"frank {u['frank']}")
    g = psql(f"SELECT code, name FROM groups WHERE tenant_id = '{tid}' AND code LIKE 'ops%'")
    check(g == [["ops/on-call", "on-call"]], f"a group known only by its path {g}")
    m = [x for x in memberships(tid) if x[1] in ("frank", "grace")]
    check(m == [["user:engineering/backend/db", "frank"], ["user:ops/on-call", "frank"],
                ["user:ops/on-call", "grace"]], f"memberships {m}")
    check(["admin", "frank"] in assignments(tid), "frank's realm role")


@test
def keycloak_user_in_1000_groups():
    tid = tenant()
    before = counts(tid)
    groups = [f"/big/g{i:04d}" for i in range(1000)]
    doc = {"realm": "big", "users": [
        {"id": str(uuid.uuid4()), "username": "joiner", "enabled": True, "groups": groups,
         "realmRoles": ["default-roles-big"], "credentials": []},
        {"username": "other", "groups": groups[:2]}]}
    f = write("big-users-0.json", json.dumps(doc))
    p = imp(tid, f, "--format", "keycloak")
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    n = psql(f"SELECT count(*), count(DISTINCT g.id), min(g.name), max(g.code) FROM group_members m "
             f"JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id JOIN users u ON "
             f"u.tenant_id = m.tenant_id AND u.id = m.user_id WHERE m.tenant_id = '{tid}' "
             f"AND u.username = 'joiner'")
    check(n == [["1000", "1000", "g0000", "big/g0999"]], f"joiner's groups {n}")
    after = counts(tid)
    check(int(after[1]) - int(before[1]) == 1000, f"groups {before} {after}")
    check(int(after[2]) - int(before[2]) == 1002, f"memberships {before} {after}")
    check(after[3] == before[3], "default-roles-big is not imported")


@test
def keycloak_malformed():
    tid = tenant()
    before = counts(tid)
    with open(fixture("keycloak-realm.json"), "rb") as f:
        whole = f.read()
    # truncated in the middle of the users: refused before anything is written
    cut = write("cut.json", whole[:whole.index(b'"username": "bob"')].decode())
    p = imp(tid, cut, "--format", "keycloak")
    check(p.returncode == 1 and "cut.json: the document ends early (truncated?)" in p.stderr
          and "nothing was imported" in p.stderr, f"exit {p.returncode}: {p.stderr}")
    check(counts(tid) == before, f"counts {before} {counts(tid)}")
    cases = [
        ("array.json", "[1, 2]", "not a Keycloak realm export"),
        ("users-obj.json", '{"realm": "x", "users": {"a": 1}}', '"users" is not an array'),
        ("garbage.json", '{"realm": "x", "users": [}', "not JSON at byte"),
        ("long.json", '{"realm": "x", "users": [{"username": "' + "x" * 70000 + '"}]}',
         "a string longer than 65536 bytes"),
        ("deep.json", '{"realm": "x", "users": [{"attributes": ' + "[" * 70 + "]" * 70 + "}]}",
         "nested deeper than 64 levels"),
        ("empty.json", "", "the document is empty"),
    ]
    for name, text, want in cases:
        p = imp(tid, write(name, text), "--format", "keycloak")
        check(p.returncode == 1 and want in p.stderr, f"{name}: exit {p.returncode}: {p.stderr}")
    bad = write("bad-bytes.json", b'{"realm": "x", "users": [{"username": "a\xff"}]}', "wb")
    p = imp(tid, bad, "--format", "keycloak")
    check(p.returncode == 1 and "invalid bytes in UTF8 string" in p.stderr, p.stderr)
    # a bad credential is the user's error, naming it and where it is
    doc = {"realm": "x", "users": [
        {"username": "ok1"},
        {"username": "badcred", "credentials": [{"type": "password", "secretData": "{\"value\":\"!!\",\"salt\":\"c2FsdA==\"}",
                                                  "credentialData": "{\"hashIterations\":10,\"algorithm\":\"pbkdf2-sha256\"}"}]},
        {"username": "noiter", "credentials": [{"type": "password", "secretData": "{\"value\":\"aGFzaA==\",\"salt\":\"c2FsdA==\"}",
                                                 "credentialData": "{\"algorithm\":\"pbkdf2-sha256\"}"}]},
        {"username": "ok2", "email": "not-an-email"}]}
    p = imp(tid, write("badcred.json", json.dumps(doc)), "--format", "keycloak")
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr}")
    for want in ["badcred.json:2: passwordHash: users[1] (badcred).credentials[0]: "
                 "secretData.value is not base64",
                 "badcred.json:3: passwordHash: users[2] (noiter).credentials[0]: "
                 "credentialData.hashIterations is not a count",
                 "badcred.json:4: email: users[3] (ok2): not an e-mail address"]:
        check(want in p.stderr, f"{want!r} not in {p.stderr}")
    check(sorted(user_rows(tid)) == ["ok1"], f"{sorted(user_rows(tid))}")
    p = imp(tid, write("noformat.json", "{}"))
    check(p.returncode == 2 and "say --format" in p.stderr, p.stderr)


@test
def auth0_user_export():
    tid = tenant()
    with open(fixture("auth0-users.ndjson"), encoding="utf-8") as f:
        lines = [json.loads(x) for x in f]
    p = imp(tid, fixture("auth0-users.ndjson"), "--format", "auth0")
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr}")
    for want in ["auth0-users.ndjson:3: email: the same email (ignoring case) as line 2",
                 "auth0-users.ndjson:6: username: no username and no email",
                 'auth0-users.ndjson:5: warning: custom_password_hash: password algorithm "md5" '
                 "is none rosterd keeps"]:
        check(want in p.stderr, f"{want!r} not in {p.stderr}")
    check("auth0: 1 users imported without a password (algorithm not kept: md5)" in p.stdout,
          p.stdout)
    u = user_rows(tid)
    check(sorted(u) == ["ann", "argon", "jurgen.gross@example.com", "md5user", "pbkdf2user",
                        "sam@gmail.example", "test@test.example"], f"users {sorted(u)}")
    a = u["ann"]
    check([a["email"], a["first_name"], a["last_name"], a["display_name"], a["phone"],
           a["external_id"], a["is_active"], a["verified"], a["password"]] ==
          ["ann@example.com", "Ann", "Lee", "Ann Lee", "+15551234567",
           "auth0|5f7c8ec7c33c6c004bbafe82", "true", "true",
           lines[0]["custom_password_hash"]["hash"]["value"]], f"ann {a}")
    j = u["jurgen.gross@example.com"]
    check([j["first_name"], j["last_name"], j["display_name"], j["is_active"], j["verified"],
           j["password"]] == ["Jürgen", "Groß", "Jürgen Groß 🚀", "false", "false",
                              lines[1]["password_hash"]], f"jurgen {j}")
    check(u["sam@gmail.example"]["external_id"] == "google-oauth2|108091299999329986433"
          and u["sam@gmail.example"]["password"] == "", "a social user")
    check(u["md5user"]["password"] == "", "md5 is not kept")
    t = u["test@test.example"]
    check([t["external_id"], t["password"]] == ["auth0|60425dc43519d90068f82973",
                                                lines[6]["passwordHash"]], f"hash export {t}")
    check(u["argon"]["password"] == lines[7]["custom_password_hash"]["hash"]["value"], "argon2")
    check(pbkdf2_ok(u["pbkdf2user"]["password"], "pbkdf2-pw"), "Auth0's pbkdf2 PHC string")
    check(memberships(tid) == [["security:admins", "ann"], ["user:writers", "ann"]],
          f"{memberships(tid)}")
    check(assignments(tid) == [["editor", "ann"]], f"{assignments(tid)}")
    no_secret(p, *(x["password"] for x in u.values() if x["password"]))


@test
def keycloak_memory_is_flat():
    """A 64 MiB realm document is streamed: neither its clients nor its
    users are held beyond a batch."""
    tid = tenant()
    f = path("kc-huge.json")
    if not os.path.exists(f):
        pad = "p" * 2000
        with open(f, "w") as o:
            o.write('{"realm": "huge", "clients": [')
            o.write(",".join(json.dumps({"clientId": f"c{i}", "description": pad})
                             for i in range(17000)))
            o.write('], "users": [')
            o.write(",".join(json.dumps({"username": f"huge{i}", "attributes": {"bio": [pad]},
                                         "groups": ["/g"]})
                             for i in range(17000)))
            o.write("]}")
    check(os.path.getsize(f) > 64 * 1024 * 1024, "the document is not big enough")
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        os.execv(ROSTERCTL, [ROSTERCTL, "-c", CONF, "import", "--tenant", tid, "--format",
                             "keycloak", "--batch", "2000", f])
    _, status, ru = os.wait4(pid, 0)
    note(f"exit {os.waitstatus_to_exitcode(status)}, peak RSS {ru.ru_maxrss} KiB")
    check(os.waitstatus_to_exitcode(status) == 0, f"status {status}")
    check(ru.ru_maxrss < 48 * 1024, f"peak RSS {ru.ru_maxrss} KiB for a 64 MiB document")
    check(one(f"SELECT count(*) FROM users WHERE tenant_id = '{tid}'") == "17000", "users")


@test
def keycloak_kill_then_resume():
    n = 40000
    f = path("kc-big-users-0.json")
    with open(f, "w") as o:
        o.write('{\n  "realm" : "big",\n  "users" : [ ')
        o.write(", ".join(json.dumps({
            "id": str(uuid.UUID(int=i + 1, version=4)), "username": f"user{i:07d}",
            "email": f"user{i:07d}@example.com", "firstName": f"Fïrst {i}", "enabled": True,
            "realmRoles": ["default-roles-big"], "groups": [f"/team{i % 50}", f"/sec/s{i % 7}"]},
            indent=2) for i in range(n)))
        o.write(" ]\n}\n")
    tid = tenant()
    proc = subprocess.Popen([ROSTERCTL, "-c", CONF, "import", "--tenant", tid, "--format",
                             "keycloak", "--batch", "2000", f],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_checkpoint(tid, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    at_kill = int(one(f"SELECT rows_done FROM import_runs WHERE tenant_id = '{tid}'"))
    check(at_kill < n, "the kill came after the end; nothing was tested")
    p = imp(tid, f, "--format", "keycloak", "--batch", "2000")
    check(p.returncode == 0, p.stderr)
    check("resuming run" in p.stderr and f"after {at_kill} rows" in p.stderr, p.stderr)
    _exactly_once(tid, n)
    g = psql(f"SELECT count(*), count(*) FILTER (WHERE name = 's3' AND code = 'sec/s3') "
             f"FROM groups WHERE tenant_id = '{tid}' AND (code LIKE 'team%' OR code LIKE 'sec/%')")
    check(g == [["57", "1"]], f"groups once each {g}")



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
