#!/usr/bin/env python3
"""rosterctl export against a real PostgreSQL (tests/export/run sets it up).

Each test_* function is one test; "ok - name" or "not ok - name: reason";
the last line is "N passed, N failed".  The tenant "acme" is generated once
(unicode names, a user in every group, roles given tenant-wide and in a
scope, a password hash, cells a spreadsheet would take for formulas) and
every export is compared field by field with what the database holds.
"""
import csv
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import traceback

ENV = os.environ
BUILD = ENV["RE_BUILD"]
TMP = ENV["RE_TMP"]
CONF = ENV["RE_CONF"]
ROSTERCTL = os.path.join(BUILD, "rosterctl")
HASH = ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA"
        "$RdescudvJCsgt3ub+b+dWRWJTmaaJObGdWxAq1yZ3FQ")
BIG_USERS = 200000
# Peak RSS of rosterctl while it exports BIG_USERS users of about 1 KB
# each (200 MB of rows, in one group each): streamed, it stays near its start-up size; a
# version holding the result (PGresult or the file) needs far more than
# this.  Generous: about behaviour, not speed.
RSS_BOUND_KB = 64 * 1024

USER_COLS = ["id", "username", "email", "firstName", "lastName",
             "displayName", "title", "phone", "externalId", "locale",
             "timeZone", "active", "verified", "locked",
             "mustChangePassword"]
BOOLS = {"active", "verified", "locked", "mustChangePassword"}


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def psql(sql, tenant=None):
    """Runs sql as rosterd; :'t' is the tenant.  Returns stdout."""
    args = [ENV["RE_PSQL"], "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", ENV["RE_PG_DIR"], "-p", ENV["RE_PG_PORT"], "-U", "rosterd",
            "-d", "rosterd"]
    if tenant is not None:
        args += ["-v", f"t={tenant}"]
    p = subprocess.run(args, input=sql, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise Fail(f"psql: {p.stderr.strip()[:300]}")
    return p.stdout


def rosterctl(*args, timeout=600, stdout=subprocess.PIPE):
    return subprocess.run([ROSTERCTL, "-c", CONF, *args], stdout=stdout,
                          stderr=subprocess.PIPE, timeout=timeout)


def export(tenant, fmt, *extra):
    """Exports to a file; returns (bytes, stderr)."""
    out = os.path.join(TMP, f"export.{fmt}")
    if os.path.exists(out):
        os.unlink(out)
    p = rosterctl("export", "--tenant", tenant, "--format", fmt, "-o", out,
                  *extra)
    err = p.stderr.decode()
    check(p.returncode == 0, f"export {fmt} exited {p.returncode}: {err}")
    check(p.stdout == b"", "export -o FILE wrote to stdout")
    with open(out, "rb") as f:
        return f.read(), err


def bootstrap(name):
    p = rosterctl("bootstrap", "--tenant", name)
    check(p.returncode == 0, f"bootstrap: {p.stderr.decode()}")
    return p.stdout.decode().strip()


SEED = r"""
INSERT INTO groups (tenant_id, id, kind, code, name, description)
SELECT :'t', gen_random_uuid(),
    (ARRAY['security','user','admin','privilege'])[1 + i % 4],
    'g' || i, 'Gruppe ' || i || ' — Ünïcödé 日本', NULL
FROM generate_series(1, 40) i;
INSERT INTO groups (tenant_id, id, kind, code, name, description) VALUES
    (:'t', gen_random_uuid(), 'user', '=cmd', '=cmd', 'a, "quoted"' || E'\n' || 'line'),
    (:'t', gen_random_uuid(), 'security', 'équipe-ß', 'Équipe ß', E'tab\there'),
    (:'t', gen_random_uuid(), 'user', 'admin:x', 'colon code', NULL);
INSERT INTO roles (tenant_id, id, name, description) VALUES
    (:'t', gen_random_uuid(), 'Reader', 'reads'),
    (:'t', gen_random_uuid(), 'Écrivain', NULL),
    (:'t', gen_random_uuid(), '=HYPERLINK("http://x")', 'evil'),
    (:'t', gen_random_uuid(), 'Admin, Chief', NULL),
    (:'t', gen_random_uuid(), 'Scoped', NULL);
INSERT INTO users (tenant_id, id, username, email, first_name, last_name,
    display_name, title, phone, external_id, locale, time_zone, is_active,
    verified, locked, must_change_password, password) VALUES
    (:'t', gen_random_uuid(), 'alice', 'alice@example.com', '=1+2',
     '+SUM(A1)', '''=x', '@cmd', '+44 20 7946 0000', '-abc_DEF', 'fr-FR',
     'Europe/Paris', false, true, true, true, :'h'),
    (:'t', gen_random_uuid(), 'bøb', 'BOB@example.com', '"Bob", Jr.',
     E'Line1\nLine2', E'back\\slash', E'a\tb', '-1+2', '-1+2', NULL, NULL,
     true, false, false, false, NULL),
    (:'t', gen_random_uuid(), '日本太郎', 'taro@例え.jp', '太郎', '日本',
     '日本 太郎', 'Ünïcödé', NULL, NULL, 'ja-JP', 'Asia/Tokyo', true, true,
     false, false, NULL),
    (:'t', gen_random_uuid(), 'minimal', NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, true, false, false, false, NULL),
    (:'t', gen_random_uuid(), 'x_x0041_', NULL, NULL, NULL, NULL,
     'looks like an xlsx escape: _x0041_', NULL, NULL, NULL, NULL, true,
     false, false, false, NULL);
INSERT INTO users (tenant_id, id, username, email, first_name, last_name)
SELECT :'t', gen_random_uuid(), 'user' || lpad(i::text, 2, '0'),
    'user' || i || '@example.com', 'Fírst' || i, 'Läst' || i
FROM generate_series(1, 56) i;
-- alice: every group; the others: two each
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT :'t', g.id, u.id FROM groups g, users u
WHERE g.tenant_id = :'t' AND u.tenant_id = :'t' AND u.username = 'alice';
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT :'t', g.id, u.id FROM users u JOIN groups g ON g.tenant_id = u.tenant_id
    AND g.code IN ('g' || (1 + abs(hashtext(u.username)) % 40),
                   'g' || (1 + abs(hashtext(u.username || 'x')) % 40))
WHERE u.tenant_id = :'t' AND u.username LIKE 'user%'
ON CONFLICT DO NOTHING;
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT :'t', g.id, u.id FROM users u, groups g
WHERE u.tenant_id = :'t' AND g.tenant_id = :'t' AND u.username = '日本太郎'
    AND g.code IN ('équipe-ß', 'admin:x', '=cmd');
-- roles: tenant-wide, plus scoped ones that export leaves out
INSERT INTO role_assignments (tenant_id, user_id, role_id)
SELECT :'t', u.id, r.id FROM users u, roles r
WHERE u.tenant_id = :'t' AND r.tenant_id = :'t' AND u.username = 'alice'
    AND r.name <> 'Scoped';
INSERT INTO role_assignments (tenant_id, user_id, role_id)
SELECT :'t', u.id, r.id FROM users u, roles r
WHERE u.tenant_id = :'t' AND r.tenant_id = :'t' AND r.name = 'Reader'
    AND u.username LIKE 'user%' AND right(u.username, 1) IN ('0','2','4','6','8');
INSERT INTO role_assignments (tenant_id, user_id, role_id, scope_type, scope_id)
SELECT :'t', u.id, r.id, 'group', g.id FROM users u, roles r, groups g
WHERE u.tenant_id = :'t' AND r.tenant_id = :'t' AND g.tenant_id = :'t'
    AND u.username IN ('日本太郎', 'alice') AND r.name IN ('Scoped', 'Reader')
    AND g.code = 'g1';
"""

DB_USERS = r"""
SELECT coalesce(json_agg(json_build_object(
    'id', u.id, 'username', u.username, 'email', u.email,
    'firstName', u.first_name, 'lastName', u.last_name,
    'displayName', u.display_name, 'title', u.title, 'phone', u.phone,
    'externalId', u.external_id, 'locale', u.locale, 'timeZone', u.time_zone,
    'active', u.is_active, 'verified', u.verified, 'locked', u.locked,
    'mustChangePassword', u.must_change_password,
    'passwordHash', u.password,
    'groups', (SELECT coalesce(json_agg(g.kind || ':' || g.code), '[]')
        FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id
        AND g.id = m.group_id WHERE m.tenant_id = u.tenant_id
        AND m.user_id = u.id),
    'roles', (SELECT coalesce(json_agg(DISTINCT r.name), '[]')
        FROM role_assignments a JOIN roles r ON r.tenant_id = a.tenant_id
        AND r.id = a.role_id WHERE a.tenant_id = u.tenant_id
        AND a.user_id = u.id AND a.scope_type = ''))
    ORDER BY u.id), '[]')
FROM users u WHERE u.tenant_id = :'t'
"""

DB_GROUPS = r"""
SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind,
    'code', code, 'name', name, 'description', description)
    ORDER BY kind, code COLLATE "C", id), '[]')
FROM groups WHERE tenant_id = :'t'
"""

DB_ROLES = r"""
SELECT coalesce(json_agg(json_build_object('id', id, 'name', name,
    'description', description) ORDER BY name COLLATE "C", id), '[]')
FROM roles WHERE tenant_id = :'t'
"""

STATE = {}


def acme():
    if "acme" not in STATE:
        t = bootstrap("acme")
        psql(f"\\set h '{HASH}'\n" + SEED, tenant=t)
        users = json.loads(psql(DB_USERS, tenant=t))
        for u in users:
            u["groups"] = sorted(u["groups"])
            u["roles"] = sorted(u["roles"])
        STATE["acme"] = t
        STATE["users"] = users
        STATE["groups"] = json.loads(psql(DB_GROUPS, tenant=t))
        STATE["roles"] = json.loads(psql(DB_ROLES, tenant=t))
        check(len(users) == 61, f"seeded {len(users)} users")
    return STATE["acme"]


def formula_like(s):
    """src/formats/csv.c's rule, written again as the test's oracle."""
    if not s or s[0] not in "=+-@\t\r":
        return False
    if s[0] not in "+-":
        return True
    rest = s[1:]
    phone = all(c.isdigit() and c.isascii() or c in " ().-/" for c in rest)
    token = s[0] == "-" and all(
        (c.isascii() and c.isalnum()) or c in "-_" for c in rest)
    return not phone and not token


def protect(s):
    return "'" + s if formula_like(s.lstrip("'")) else s


def expected_cells(u, hashes):
    """The CSV/xlsx cells of user u, as text ("" = absent)."""
    row = []
    for c in USER_COLS:
        v = u[c]
        if c in BOOLS:
            row.append("true" if v else "false")
        else:
            row.append("" if v is None else protect(v))
    if hashes:
        row.append(u["passwordHash"] or "")
    row.append(protect(";".join(u["groups"])))
    row.append(protect(";".join(u["roles"])))
    return row


def header(hashes):
    return USER_COLS + (["passwordHash"] if hashes else []) + ["groups",
                                                              "roles"]


def check_csv(data, hashes):
    check(data.endswith(b"\r\n"), "CSV rows end in CR LF")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    check(rows[0] == header(hashes), f"CSV header {rows[0]}")
    users = STATE["users"]
    check(len(rows) == len(users) + 1,
          f"{len(rows) - 1} CSV rows for {len(users)} users")
    for got, u in zip(rows[1:], users):
        want = expected_cells(u, hashes)
        for name, g, w in zip(header(hashes), got, want):
            check(g == w, f"user {u['username']!r}: {name}: CSV has {g!r}, "
                  f"expected {w!r}")
        check(len(got) == len(want), f"user {u['username']!r}: "
              f"{len(got)} cells")


def test_csv_matches_database():
    t = acme()
    data, err = export(t, "csv")
    check_csv(data, False)
    check("61 users" in err, f"no count on stderr: {err!r}")
    # stdout (no -o) is the same bytes
    p = rosterctl("export", "--tenant", t)
    check(p.returncode == 0 and p.stdout == data,
          "export to stdout differs from -o FILE")


def test_jsonl_matches_database():
    t = acme()
    data, _ = export(t, "jsonl")
    lines = [json.loads(x) for x in data.decode("utf-8").splitlines()]
    groups = [x for x in lines if x["type"] == "group"]
    roles = [x for x in lines if x["type"] == "role"]
    users = [x for x in lines if x["type"] == "user"]
    check([x["type"] for x in lines] ==
          ["group"] * len(groups) + ["role"] * len(roles) +
          ["user"] * len(users), "JSONL: groups, then roles, then users")
    for got, want in ((groups, STATE["groups"]), (roles, STATE["roles"])):
        check(len(got) == len(want), f"{len(got)} records for {len(want)}")
        for g, w in zip(got, want):
            w = {k: v for k, v in w.items() if v is not None}
            g = dict(g)
            del g["type"]
            check(g == w, f"JSONL {g} != database {w}")
    check(len(users) == len(STATE["users"]), f"{len(users)} JSONL users")
    for g, u in zip(users, STATE["users"]):
        want = {k: v for k, v in u.items()
                if v is not None and k != "passwordHash"}
        g = dict(g)
        del g["type"]
        check(g == want, f"JSONL user {g} != database {want}")
        check(isinstance(g["active"], bool), "booleans are JSON booleans")


def load_xlsx(data):
    import openpyxl
    path = os.path.join(TMP, "check.xlsx")
    with open(path, "wb") as f:
        f.write(data)
    return openpyxl.load_workbook(path)


def sheet_rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def xesc(s):
    """A literal "_xHHHH_" in xlsx text is written "_x005F_xHHHH_"
    (ST_Xstring), which openpyxl does not undo: the expected raw text."""
    return re.sub(r"_x[0-9A-Fa-f]{4}_", lambda m: "_x005F" + m.group(0),
                  s) if isinstance(s, str) else s


def test_xlsx_matches_database():
    t = acme()
    data, _ = export(t, "xlsx")
    wb = load_xlsx(data)
    check(wb.sheetnames == ["users", "groups", "roles"],
          f"worksheets {wb.sheetnames}")
    ws = wb["users"]
    rows = sheet_rows(ws)
    check(rows[0] == header(False), f"xlsx header {rows[0]}")
    check(len(rows) == len(STATE["users"]) + 1, f"{len(rows)} xlsx rows")
    for row, cells, u in zip(rows[1:], list(ws.iter_rows())[1:],
                             STATE["users"]):
        want = [xesc(w) for w in expected_cells(u, False)]
        for name, g, w, cell in zip(header(False), row, want, cells):
            check(cell.data_type != "f", f"{cell.coordinate} is a formula")
            if name in BOOLS:
                check(g is (w == "true"), f"{u['username']!r}: {name}: "
                      f"xlsx has {g!r}, expected a boolean {w}")
            else:
                check((g or "") == w and (g is None or isinstance(g, str)),
                      f"{u['username']!r}: {name}: xlsx has {g!r}, "
                      f"expected {w!r}")
    for name, want, cols in (("groups", STATE["groups"],
                              ["id", "kind", "code", "name", "description"]),
                             ("roles", STATE["roles"],
                              ["id", "name", "description"])):
        rows = sheet_rows(wb[name])
        check(rows[0] == cols, f"{name} header {rows[0]}")
        check(len(rows) == len(want) + 1, f"{name}: {len(rows)} rows")
        for r, w in zip(rows[1:], want):
            exp = [xesc(protect(w[c])) if w[c] is not None else None
                   for c in cols]
            check(r == exp, f"{name}: {r} != {exp}")


def test_xlsx_reads_back_as_the_csv():
    """The xlsx source of rosterctl import (tests/export/xlsx_dump) reads
    the xlsx export as the same cells as the CSV export: booleans aside
    (TRUE/FALSE against true/false), and trailing empty cells left out."""
    t = acme()
    data, _ = export(t, "csv", "--include-password-hashes")
    want = list(csv.reader(io.StringIO(data.decode(), newline="")))
    export(t, "xlsx", "--include-password-hashes")
    p = subprocess.run([os.path.join(BUILD, "tests/export/xlsx_dump"),
                        os.path.join(TMP, "export.xlsx")],
                       capture_output=True, timeout=120)
    check(p.returncode == 0, f"xlsx_dump: {p.stderr.decode()}")
    got = [json.loads(x) for x in p.stdout.decode().splitlines()]
    check(len(got) == len(want), f"{len(got)} rows read, {len(want)} written")
    bools = [i for i, n in enumerate(want[0]) if n in BOOLS]
    for i, (g, w) in enumerate(zip(got, want)):
        check(g[0] == i + 1, f"row {i + 1} read as line {g[0]}")
        cells = g[1:] + [""] * (len(w) - len(g[1:]))
        for b in bools:
            if i > 0:
                check(cells[b] in ("TRUE", "FALSE"), f"{cells[b]!r}")
                cells[b] = cells[b].lower()
        check(cells == w, f"line {i + 1}: read {cells}, CSV {w}")


def test_hashes_only_with_the_flag():
    t = acme()
    for fmt in ("csv", "jsonl", "xlsx"):
        data, err = export(t, fmt)
        blob = data
        if fmt == "xlsx":
            blob = b"".join(str(v).encode() for ws in load_xlsx(data)
                            for row in sheet_rows(ws) for v in row)
        check(HASH.encode() not in blob and b"passwordHash" not in blob,
              f"{fmt}: a hash without --include-password-hashes")
        check("hash" not in err, f"{fmt}: stderr speaks of hashes: {err}")
        data, err = export(t, fmt, "--include-password-hashes")
        check(HASH not in err, f"{fmt}: the hash on stderr")
        check("password hashes included (1 users have one)" in err,
              f"{fmt}: no line on stderr saying hashes were included: {err}")
        if fmt == "csv":
            check_csv(data, True)
        elif fmt == "jsonl":
            users = [json.loads(x) for x in data.decode().splitlines()]
            alice = [u for u in users if u.get("username") == "alice"]
            check(alice and alice[0].get("passwordHash") == HASH,
                  "jsonl: alice's hash")
            check(sum("passwordHash" in u for u in users) == 1,
                  "jsonl: a passwordHash for a user without one")
        else:
            rows = sheet_rows(load_xlsx(data)["users"])
            check(rows[0] == header(True), f"xlsx header {rows[0]}")
            col = rows[0].index("passwordHash")
            hashes = [r[col] for r in rows[1:] if r[col] is not None]
            check(hashes == [HASH], f"xlsx hashes {hashes}")


def test_formula_cells_protected():
    t = acme()
    data, _ = export(t, "csv")
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    head = rows[0]
    alice = [r for r in rows if r[1] == "alice"][0]
    bob = [r for r in rows if r[1] == "bøb"][0]
    cell = dict(zip(head, alice))
    # the literal values, not the oracle: a check that can fail
    check(cell["firstName"] == "'=1+2", f"firstName {cell['firstName']!r}")
    check(cell["lastName"] == "'+SUM(A1)", f"lastName {cell['lastName']!r}")
    check(cell["title"] == "'@cmd", f"title {cell['title']!r}")
    check(cell["displayName"] == "''=x", f"displayName {cell['displayName']!r}")
    check(cell["phone"] == "+44 20 7946 0000", f"phone {cell['phone']!r}")
    check(cell["externalId"] == "-abc_DEF", f"externalId {cell['externalId']!r}")
    check(cell["roles"].startswith("'=HYPERLINK(\"http://x\");Admin, Chief;")
          and cell["roles"].endswith(";Reader;Écrivain"),
          f"roles {cell['roles']!r}")
    check(dict(zip(head, bob))["phone"] == "'-1+2", "'-1+2' not protected")
    check(b'"\'=1+2"' in data, "a protected cell is not quoted")
    wb = load_xlsx(export(t, "xlsx")[0])
    rows = sheet_rows(wb["users"])
    alice = dict(zip(rows[0], [r for r in rows if r[1] == "alice"][0]))
    check(alice["firstName"] == "'=1+2" and alice["title"] == "'@cmd",
          f"xlsx: {alice['firstName']!r} {alice['title']!r}")
    x = [r for r in rows if r[1] == "x_x005F_x0041_"]
    check(x and x[0][6] == "looks like an xlsx escape: _x005F_x0041_",
          f"xlsx: a literal _x0041_ not escaped: {x}")
    groups = sheet_rows(wb["groups"])
    check(["'=cmd", "'=cmd"] == [r[2:4] for r in groups if r[2] == "'=cmd"][0],
          "xlsx groups sheet: =cmd not protected")


def test_scoped_roles_left_out():
    t = acme()
    data, err = export(t, "jsonl")
    check("4 role assignments limited to a scope are not exported" in err,
          f"stderr: {err}")
    users = {u["username"]: u for u in map(json.loads, data.decode().split("\n")[:-1])
             if u["type"] == "user"}
    check(users["日本太郎"]["roles"] == [], f"{users['日本太郎']['roles']}")
    check(users["alice"]["roles"].count("Reader") == 1, "Reader twice")
    check(not any("Scoped" in u["roles"] for u in users.values()),
          "a scoped role exported")


def test_output_in_missing_directory_fails_without_a_file():
    t = acme()
    d = os.path.join(TMP, "no", "such", "dir")
    for fmt in ("csv", "jsonl", "xlsx"):
        out = os.path.join(d, f"x.{fmt}")
        p = rosterctl("export", "--tenant", t, "--format", fmt, "-o", out)
        err = p.stderr.decode()
        check(p.returncode == 1, f"{fmt}: exited {p.returncode}")
        check(f"cannot create {out}: No such file or directory" in err,
              f"{fmt}: stderr {err!r}")
        check(not os.path.exists(os.path.join(TMP, "no")), "a file was left")
    # a failure after the file was started leaves neither it nor its
    # temporary file: an unknown tenant
    d = os.path.join(TMP, "outdir")
    os.makedirs(d, exist_ok=True)
    for fmt in ("csv", "jsonl", "xlsx"):
        p = rosterctl("export", "--tenant",
                      "00000000-0000-4000-8000-000000000000", "--format", fmt,
                      "-o", os.path.join(d, "x"))
        check(p.returncode == 1 and b"no tenant" in p.stderr,
              f"{fmt}: unknown tenant: {p.returncode} {p.stderr!r}")
        check(os.listdir(d) == [], f"{fmt}: left {os.listdir(d)}")


def test_bad_arguments():
    for args, want in ((["--tenant", "nope"], b"not a uuid"),
                       (["--tenant", acme(), "--format", "xml"], b"--format"),
                       ([], b"usage"),
                       (["--tenant", acme(), "extra"], b"usage")):
        p = rosterctl("export", *args)
        check(p.returncode == 2 and want in p.stderr and p.stdout == b"",
              f"{args}: {p.returncode} {p.stderr!r}")


def test_semicolon_in_a_list_refused_in_csv():
    t = bootstrap("semi")
    psql("""
INSERT INTO groups (tenant_id, id, kind, code, name)
    VALUES (:'t', gen_random_uuid(), 'user', 'a;b', 'a;b');
INSERT INTO users (tenant_id, id, username) VALUES (:'t', gen_random_uuid(), 'u');
INSERT INTO group_members (tenant_id, group_id, user_id)
    SELECT :'t', g.id, u.id FROM groups g, users u
    WHERE g.tenant_id = :'t' AND u.tenant_id = :'t';
""", tenant=t)
    for fmt in ("csv", "xlsx"):
        p = rosterctl("export", "--tenant", t, "--format", fmt)
        check(p.returncode == 1 and b"group user:a;b holds ';'" in p.stderr
              and b"export as jsonl" in p.stderr,
              f"{fmt}: {p.returncode} {p.stderr!r}")
    data, _ = export(t, "jsonl")
    users = [json.loads(x) for x in data.decode().splitlines()]
    check("user:a;b" in users[-1]["groups"], f"{users[-1]}")


def big_tenant():
    if "big" not in STATE:
        t = bootstrap("big")
        psql(f"""
INSERT INTO groups (tenant_id, id, kind, code, name)
    VALUES (:'t', gen_random_uuid(), 'security', 'all', 'All');
-- about 1 KB a user in columns without an index (the load's cost is
-- mostly index entries)
INSERT INTO users (tenant_id, id, username, first_name, last_name,
    display_name, title)
SELECT :'t', gen_random_uuid(), 'user' || i, repeat('f', 250) || i,
    repeat('l', 250), repeat('d', 250), repeat('t', 250)
FROM generate_series(1, {BIG_USERS}) i;
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT :'t', g.id, u.id FROM users u, groups g
WHERE u.tenant_id = :'t' AND g.tenant_id = :'t' AND g.code = 'all';
ANALYZE users; ANALYZE group_members;
""", tenant=t)
        STATE["big"] = t
    return STATE["big"]


PEAK = r"""
import resource, subprocess, sys
p = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE if sys.argv[1] == 'count'
                   else subprocess.DEVNULL, stderr=subprocess.PIPE)
lines = p.stdout.count(b'\n') if p.stdout else 0
print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
      lines, p.stderr.decode().replace('\n', ' '))
"""


def peak(count, *args):
    """Runs rosterctl export; (exit, peak RSS in KB, lines, stderr)."""
    p = subprocess.run([sys.executable, "-c", PEAK,
                        "count" if count else "null", ROSTERCTL, "-c", CONF,
                        "export", *args], capture_output=True, text=True,
                       timeout=900)
    check(p.returncode == 0, f"peak: {p.stderr}")
    rc, rss, lines, err = p.stdout.split(" ", 3)
    return int(rc), int(rss), int(lines), err.strip()


def test_memory_flat_200000_users():
    t = big_tenant()
    for fmt in ("csv", "jsonl", "xlsx"):
        t0 = time.monotonic()
        if fmt == "xlsx":
            out = os.path.join(TMP, "big.xlsx")
            rc, rss, _, err = peak(False, "--tenant", t, "--format", fmt,
                                   "-o", out)
            lines = None
            size = os.path.getsize(out) if rc == 0 else 0
            os.unlink(out)
        else:
            rc, rss, lines, err = peak(True, "--tenant", t, "--format", fmt)
            size = None
        print(f"# {fmt}: {BIG_USERS} users in {time.monotonic() - t0:.1f} s,"
              f" peak RSS {rss // 1024} MB" +
              (f", {size >> 20} MB" if size else ""), flush=True)
        check(rc == 0, f"{fmt}: exited {rc}: {err}")
        check(f"{BIG_USERS} users" in err, f"{fmt}: {err}")
        if fmt == "csv":
            check(lines == BIG_USERS + 1, f"csv: {lines} lines")
        elif fmt == "jsonl":
            n = int(psql("SELECT (SELECT count(*) FROM groups WHERE "
                         "tenant_id = :'t') + (SELECT count(*) FROM roles "
                         "WHERE tenant_id = :'t')", tenant=t))
            check(lines == BIG_USERS + n, f"jsonl: {lines} lines")
        check(rss < RSS_BOUND_KB, f"{fmt}: peak RSS {rss} KB, over the "
              f"bound of {RSS_BOUND_KB} KB: not streamed")


def test_signal_leaves_no_file():
    """SIGTERM in the middle of an export -o FILE: neither FILE nor the
    temporary file beside it is left."""
    t = big_tenant()
    d = os.path.join(TMP, "sig")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "users.csv")
    p = subprocess.Popen([ROSTERCTL, "-c", CONF, "export", "--tenant", t,
                          "-o", out], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300	# a hang guard only
    started = False
    while time.monotonic() < deadline and p.poll() is None and not started:
        started = any(os.path.getsize(os.path.join(d, f)) > 0
                      for f in os.listdir(d))
        if not started:
            time.sleep(0.01)
    check(started, f"no data written (exit {p.poll()})")
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=300)
    p.stderr.close()
    check(rc == 128 + signal.SIGTERM, f"exited {rc}")
    check(os.listdir(d) == [], f"left {os.listdir(d)}")


TESTS = [
    test_csv_matches_database,
    test_jsonl_matches_database,
    test_xlsx_matches_database,
    test_xlsx_reads_back_as_the_csv,
    test_hashes_only_with_the_flag,
    test_formula_cells_protected,
    test_scoped_roles_left_out,
    test_output_in_missing_directory_fails_without_a_file,
    test_bad_arguments,
    test_semicolon_in_a_list_refused_in_csv,
    test_memory_flat_200000_users,
    test_signal_leaves_no_file,
]


def one_line(e):
    return " ".join(str(e).split())[:600]


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    passed = failed = 0
    only = set(sys.argv[1:])
    unknown = only - {fn.__name__ for fn in TESTS}
    if unknown:
        print(f"not ok - unknown tests: {sorted(unknown)}")
        print("0 passed, 1 failed")
        return 1
    for fn in TESTS:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Fail as e:
            failed += 1
            print(f"not ok - {fn.__name__}: {one_line(e)}", flush=True)
        except Exception as e:  # noqa: BLE001 - a test must not stop the run
            failed += 1
            where = traceback.extract_tb(e.__traceback__)[-1]
            print(f"not ok - {fn.__name__}: {type(e).__name__}: "
                  f"{one_line(e)} (line {where.lineno})", flush=True)
        else:
            passed += 1
            print(f"ok - {fn.__name__}", flush=True)
        print(f"# took {time.monotonic() - t0:.1f} s", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
