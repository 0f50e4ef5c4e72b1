#!/usr/bin/python3
"""bench/bench.py: the measuring half of bench/run (which starts the stack).

Loads the tenant, prepares wrk's data files, learns the parameters rosterd
sends for each endpoint's statement (PostgreSQL logs them while a request of
each kind is made), writes a pgbench script per statement from
`rosterctl statements` (the SQL rosterd prepares, not a copy), runs every
row and its baseline, prints the table and writes bench/out/latest.json.
Only the standard library.
"""

import datetime
import http.client
import json
import os
import platform
import re
import resource
import signal
import ssl
import statistics
import subprocess
import sys
import threading
import time

ENV = os.environ
REPO = ENV["BENCH_REPO"]
BUILD = ENV["BENCH_BUILD"]
TMP = ENV["BENCH_TMP"]
CONF = ENV["BENCH_CONF"]
URL = ENV["BENCH_URL"]
TENANT = ENV["BENCH_TENANT"]
TOKEN = ENV["BENCH_TOKEN"]
# the same claims as TOKEN, signed RS256 with a kid by the stack's
# [issuer bench-rs] (bench/rs256.py)
RS256_TOKEN = ENV.get("BENCH_RS256_TOKEN", "")
METRICS_TOKEN = ENV.get("BENCH_METRICS_TOKEN", "")  # metrics_token_file's
PG_BIN = ENV["BENCH_PG_BIN"]
PG_DIR = ENV["BENCH_PG_DIR"]
PG_PORT = ENV["BENCH_PG_PORT"]
DURATION = int(ENV["BENCH_DURATION"])
NUSERS = int(ENV["BENCH_USERS"])
SMOKE = ENV.get("BENCH_SMOKE") == "1"
SOAK = int(ENV.get("BENCH_SOAK", "0"))
ROSTERD_PID = int(ENV["BENCH_ROSTERD_PID"])
DATA = os.path.join(TMP, "data")
WRK_LUA = os.path.join(REPO, "bench", "wrk", "request.lua")
OUT_DIR = os.path.join(REPO, "bench", "out")
CONNS = (16, 64)
THREADS = 2
NGROUPS = 1000
# Groups 1..600 receive the bulk adds (200 each for 1, 100 and 10,000 ids);
# the big group holds every user; groups 601..1000 get the load's random
# memberships.
BULK_GROUPS = {1: (1, 200), 100: (201, 400), 10000: (401, 600)}

_host, _port = URL.split("//", 1)[1].rsplit(":", 1)
TLS = ssl.create_default_context(cafile=os.path.join(TMP, "tls", "cert.pem"))


def log(msg):
    print(f"# {msg}", flush=True)


def die(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


# --------------------------------------------------------------------------
# PostgreSQL, rosterd


def psql(sql, user="rosterd", timing=False):
    args = [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", PG_DIR, "-p", PG_PORT, "-U", user, "-d", "rosterd"]
    r = subprocess.run(args, input=(("\\timing on\n" if timing else "") + sql).encode(),
                       capture_output=True)
    if r.returncode != 0:
        die(f"psql failed: {r.stderr.decode(errors='replace')[:2000]}")
    return r.stdout.decode()


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def statement_sql(name):
    r = subprocess.run([os.path.join(BUILD, "rosterctl"), "statements", name],
                       capture_output=True, check=True)
    return r.stdout.decode().rstrip("\n")


def request(method, path, body=None, ctype="application/json", token=None, header=None):
    """One request; header: one more, "Name: value" (a row's header filled)."""
    c = http.client.HTTPSConnection(_host, int(_port), context=TLS, timeout=120)
    h = {"Authorization": "Bearer " + (token or TOKEN)}
    if header:
        k, v = header.split(":", 1)
        h[k.strip()] = v.strip()
    if body is not None:
        h["Content-Type"] = ctype
        if isinstance(body, str):
            body = body.encode()
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def worker_rss():
    """{pid: VmRSS in KiB} of rosterd's workers."""
    out = {}
    try:
        kids = open(f"/proc/{ROSTERD_PID}/task/{ROSTERD_PID}/children").read().split()
    except OSError:
        return out
    for pid in kids:
        try:
            # not the import job runner ("rosterd-jobs") nor another helper
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "rosterd":
                    continue
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    out[int(pid)] = int(line.split()[1])
        except OSError:
            pass
    return out


# --------------------------------------------------------------------------
# The tenant


# The load's users have ids made from a number k as bench/scale.py's
# uid(0, k) makes them (k from LOAD_K on here; from 0 in scale.py's
# tenants), and USER_ID_SQL makes the same id from pgbench's :k and :h
# (KNUTH times k + 1, modulo 2^32, computed by pgbench): a baseline can
# read a random user, as wrk's requests do, without reading a table for
# its id.
KNUTH = 2654435761
LOAD_K = 1 << 30  # k + 1 < 2^31: (k + 1) * KNUTH fits a bigint
USER_ID_SQL = ("lpad(to_hex(:h::bigint), 8, '0') || '-0000-4000-8000-' || "
               "lpad(to_hex(:k::bigint), 12, '0')")


def user_k_sets(users):
    """pgbench's \\set lines that choose a random one of users (wrk's
    users.txt, in order) as :k and :h for USER_ID_SQL, or None when the
    ids are not k0, k0 + step, k0 + 2 step... made that way."""
    try:
        ks = [int(u[-12:], 16) for u in users]
    except ValueError:
        return None
    step = ks[1] - ks[0] if len(ks) > 1 else 1
    if step < 1 or ks[-1] + 1 >= 1 << 31 or any(
            u[:24] != f"{(k + 1) * KNUTH % (1 << 32):08x}-0000-4000-8000-"
            or k != ks[0] + j * step for j, (u, k) in enumerate(zip(users, ks))):
        return None
    return [f"\\set k {ks[0]} + {step} * random(0, {len(ks) - 1})",
            f"\\set h (:k + 1) * {KNUTH} % 4294967296"]


def load():
    t0 = time.monotonic()
    t = lit(TENANT)
    psql(f"""
BEGIN;
INSERT INTO users (tenant_id, id, username, email, first_name, last_name,
    created_by, created_at)
SELECT {t}, (lpad(to_hex((k + 1) * {KNUTH} % 4294967296), 8, '0')
        || '-0000-4000-8000-' || lpad(to_hex(k), 12, '0'))::uuid,
    'load' || i, 'load' || i || '@example.com',
    'Load', 'User ' || i, 'bench', now() - (i || ' ms')::interval
FROM generate_series(1, {NUSERS}) AS i, LATERAL (SELECT {LOAD_K} + i - 1 AS k) AS n;
INSERT INTO groups (tenant_id, id, kind, code, name, created_by)
SELECT {t}, gen_random_uuid(), 'security', 'g' || i, 'Group ' || i, 'bench'
FROM generate_series(1, {NGROUPS}) AS i;
INSERT INTO groups (tenant_id, id, kind, code, name, created_by)
VALUES ({t}, gen_random_uuid(), 'security', 'big', 'Everybody', 'bench');
CREATE TABLE bench_users (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_users
SELECT row_number() OVER (ORDER BY created_at DESC), id FROM users
WHERE tenant_id = {t} AND username LIKE 'load%';
CREATE TABLE bench_groups (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_groups
SELECT substr(code, 2)::int, id FROM groups
WHERE tenant_id = {t} AND code ~ '^g[0-9]+$';
INSERT INTO group_members (tenant_id, group_id, user_id, added_by, added_at)
SELECT {t}, g.id, u.id, 'bench', now() - (u.n || ' ms')::interval
FROM bench_users u, groups g WHERE g.tenant_id = {t} AND g.code = 'big';
INSERT INTO group_members (tenant_id, group_id, user_id, added_by)
SELECT DISTINCT {t}::uuid, g.id, u.id, 'bench'
FROM generate_series(1, {NUSERS * 2}) AS i
JOIN bench_users u ON u.n = 1 + (i * 7919) % {NUSERS}
JOIN bench_groups g ON g.n = 601 + (i * 31) % 400
ON CONFLICT DO NOTHING;
COMMIT;
VACUUM ANALYZE;
""")
    psql("CHECKPOINT;", user="postgres")
    n = psql(f"SELECT count(*) FROM group_members WHERE tenant_id = {t}").strip()
    log(f"loaded {NUSERS} users, {NGROUPS + 1} groups, {n} memberships "
        f"in {time.monotonic() - t0:.1f} s")


def data_files(sample=0):
    """wrk's data files (users, groups, the big group's cursors).  With
    sample, users.txt holds that many users, evenly spread over the
    tenant's (wrk reads the file once per thread before its timer starts,
    so the larger tenant's file is kept to the smaller one's size)."""
    os.makedirs(DATA, exist_ok=True)
    users = psql("SELECT id FROM bench_users ORDER BY n").split()
    if sample and len(users) > sample:
        users = users[::len(users) // sample][:sample]
    groups = psql("SELECT id FROM bench_groups ORDER BY n").split()
    with open(os.path.join(DATA, "users.txt"), "w") as f:
        f.write("\n".join(users) + "\n")
    for n, (lo, hi) in BULK_GROUPS.items():
        with open(os.path.join(DATA, f"groups-{n}.txt"), "w") as f:
            f.write("\n".join(groups[lo - 1:hi]) + "\n")
    big = psql(f"SELECT id FROM groups WHERE tenant_id = {lit(TENANT)} AND code = 'big'").strip()
    # The big group's page cursors, from the API itself.
    cursors, cur = [], None
    c = http.client.HTTPSConnection(_host, int(_port), context=TLS, timeout=120)
    while True:
        q = "?limit=1000" + (f"&cursor={cur}" if cur else "")
        c.request("GET", f"/v1/tenants/{TENANT}/groups/{big}/members{q}",
                  headers={"Authorization": "Bearer " + TOKEN})
        r = c.getresponse()
        st, body = r.status, r.read()
        if st != 200:
            die(f"walking the big group: {st} {body[:300]!r}")
        cur = json.loads(body).get("nextCursor")
        if not cur:
            break
        cursors.append(cur)
    c.close()
    with open(os.path.join(DATA, "cursors.txt"), "w") as f:
        f.write("\n".join(cursors or [""]) + "\n")
    # The same pages' keys, for pgbench: the member page's baseline reads a
    # random one of them, as wrk's requests do (page k starts after the
    # group's (1000 k)-th member in cursor order).
    psql("DROP TABLE IF EXISTS bench_pages;\n"
         "CREATE TABLE bench_pages (k int PRIMARY KEY, at_us bigint NOT NULL,"
         " uid uuid NOT NULL);\n"
         "INSERT INTO bench_pages SELECT rn / 1000,"
         " (extract(epoch FROM added_at) * 1000000)::bigint, user_id FROM"
         " (SELECT added_at, user_id, row_number() OVER (ORDER BY added_at, user_id) AS rn"
         f" FROM group_members WHERE tenant_id = {lit(TENANT)} AND group_id = {lit(big)}) s"
         f" WHERE rn % 1000 = 0 AND rn / 1000 <= {len(cursors)};\n"
         "ANALYZE bench_pages;\n")
    scim_cursor = scim_walk(NUSERS * 9 // 10)
    sec = psql(f"SELECT id FROM groups WHERE tenant_id = {lit(TENANT)} AND code = 'g1'").strip()
    roles = dict(line.split("|") for line in psql(
        f"SELECT name, id FROM roles WHERE tenant_id = {lit(TENANT)}").split())
    log(f"{len(cursors)} page cursors of the big group")
    k = user_k_sets(users)
    if k is None:
        log("the users' ids are not made from a counter: get_user's baseline reads one user")
    return {"users": users, "groups": groups, "big": big, "cursors": cursors, "user_k": k,
            "security_group": sec, "roles": roles, "scim_cursor": scim_cursor}


def scim_walk(depth, count=100):
    """The RFC 9865 cursor of the SCIM Users page at depth (rows before
    it), walked from the first page with count rows a page, from the API
    itself (a cursor is bound to its count)."""
    c = http.client.HTTPSConnection(_host, int(_port), context=TLS, timeout=120)
    cur, seen = "", 0
    while seen < depth:
        c.request("GET", f"/scim/v2/Users?count={count}&cursor={cur}",
                  headers={"Authorization": "Bearer " + api_token()})
        r = c.getresponse()
        st, body = r.status, r.read()
        if st != 200:
            die(f"walking the SCIM users: {st} {body[:300]!r}")
        got = json.loads(body)
        if not got.get("nextCursor"):
            break
        cur = got["nextCursor"]
        seen += len(got["Resources"])
    c.close()
    log(f"the SCIM users' cursor at depth {seen:,}")
    return cur


# --------------------------------------------------------------------------
# The rows


def seed000_body(d):
    with open(os.path.join(REPO, "tests", "http", "fixtures", "seed000_request.json")) as f:
        s = json.load(f)
    # Password and PinCode are left out: each is an Argon2id hash (19 MiB,
    # two passes, tens of milliseconds by design), which would measure
    # Argon2, not rosterd.
    for k in ("Password", "PinCode"):
        s.pop(k)
    s.update({"ID": "{UUID}", "UserName": "{U}", "SecurityGroupID": d["security_group"],
              "RoleID": d["roles"]["Member"], "CompanyRoleID": d["roles"]["Administrator"]})
    return json.dumps(s)


_api_token = []

SCIM_USER = json.dumps({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "{U}",
    "externalId": "ext-{U}", "name": {"givenName": "Bench", "familyName": "User"},
    "emails": [{"value": "{U}@example.com", "type": "work", "primary": True}],
    "active": True})
SCIM_PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def api_token():
    """A TenantAdmin API token of the tenant (rosterctl api-token create),
    made once."""
    if not _api_token:
        r = subprocess.run([os.path.join(BUILD, "rosterctl"), "-c", CONF, "api-token", "create",
                            "--tenant", TENANT, "--name", "bench", "--role", "TenantAdmin"],
                           capture_output=True, check=True)
        _api_token.append(r.stdout.decode().strip())
    return _api_token[0]


def rows(d):
    t = TENANT
    org_user = ('{"Username":"{U}","Email":"{U}@example.com","FirstName":"Bench",'
                '"LastName":"User","Roles":[{"Name":"Administrator"},{"Name":"Member"}]}')
    r = [
        dict(name="create_org_user", method="POST", path=f"/api/organizations/{t}/users",
             body=org_user, stmt="user_create"),
        dict(name="create_v1_user", method="POST", path=f"/v1/tenants/{t}/users",
             body='{"username":"{U}","email":"{U}@example.com","firstName":"Bench"}',
             stmt="user_create_v1"),
        # The rows with same_run are measured interleaved with that row
        # (see run_interleaved()), and compared with it.
        # The same create, authenticated by an API token instead of the
        # HS256 JWT.
        dict(name="create_v1_user_apitoken", method="POST", path=f"/v1/tenants/{t}/users",
             body='{"username":"{U}","email":"{U}@example.com","firstName":"Bench"}',
             token=api_token(), same_run="create_v1_user", db_row="create_v1_user"),
        # The same create with an RS256 JWT (RSA-2048, a kid, the issuer's
        # key from its jwks_file) carrying the same claims.
        dict(name="create_v1_user_rs256", method="POST", path=f"/v1/tenants/{t}/users",
             body='{"username":"{U}","email":"{U}@example.com","firstName":"Bench"}',
             token=RS256_TOKEN, same_run="create_v1_user", db_row="create_v1_user"),
        # The same create with an Idempotency-Key (a new key per request):
        # the create's form for a new key (the key's lock when free, the
        # create and its kept answer in one statement) and its commit, in
        # one round trip.  Its statement is also run under pgbench in
        # turn with the plain create's (stmt_run_with): what PostgreSQL
        # allows the keyed form, against the plain one, in the same windows.
        dict(name="create_v1_user_idem", method="POST", path=f"/v1/tenants/{t}/users",
             body='{"username":"{U}","email":"{U}@example.com","firstName":"Bench"}',
             header="Idempotency-Key: bench-{U}", same_run="create_v1_user",
             stmt="user_create_v1_keyed_new", stmt_run_with="create_v1_user", sweep=False),
        # SCIM's create (RFC 7644 3.3) with the API token, as an identity
        # provider sends it; compared with the /v1 create by the same
        # token when that row runs too.
        dict(name="scim_create_user", method="POST", path="/scim/v2/Users",
             body=SCIM_USER, ctype="application/scim+json", token=api_token(),
             same_run="create_v1_user", compare="create_v1_user_apitoken"),
        dict(name="security_group_user_000", method="POST",
             path="/Application/PostSecurityGroupUsers", body=seed000_body(d),
             stmt="aspnet_account_upsert"),
        dict(name="account_003", method="POST", path="/api/users",
             body='{"email":"{U}@example.com","verified":true,"timeZone":"UTC"}',
             stmt="aspnet_account_upsert"),
        dict(name="invite_001", method="POST", path="/usergroupuserinvite.json",
             body='{"eMail":"{U}@example.com"}', stmt="ss_invite"),
    ]
    for n in (1, 100, 10000):
        r.append(dict(name=f"bulk_add_{n}", method="POST",
                      path=f"/v1/tenants/{t}/groups/{{GROUP}}/members",
                      body='{"userIds":[{IDS}]}', n=n,
                      groups=os.path.join(DATA, f"groups-{n}.txt"),
                      # an add of at most 100 ids runs member_add_few
                      # (prepared, a cached plan); a larger one member_add
                      stmt="member_add_few" if n <= 100 else None,
                      conns=(1,) + CONNS if n == 10000 else CONNS,
                      override={2: "(SELECT id FROM bench_groups WHERE n = :g)::text",
                                3: f"(SELECT array_agg(id ORDER BY n) FROM bench_users"
                                   f" WHERE n > :k AND n <= :k + {n})::text"},
                      sets=[f"\\set g random({BULK_GROUPS[n][0]}, {BULK_GROUPS[n][1]})",
                            f"\\set k random(0, {NUSERS - n})"]))
    pages = max(1, len(d["cursors"]))
    r += [
        # Reads: pgbench reads the same user each time (fixed: the first
        # request's parameters); wrk's requests vary.  The member page's
        # pgbench reads a random page of those wrk's requests read (their
        # keys from bench_pages): a page's cost depends on where its
        # members' rows lie.
        # the baseline reads a random one of wrk's users, as the row does
        dict(name="get_user", method="GET", path=f"/v1/tenants/{t}/users/{{USER}}",
             stmt="user_get", fixed=True,
             **(dict(override={2: USER_ID_SQL}, sets=d["user_k"]) if d["user_k"] else {})),
        dict(name="member_page_1000", method="GET",
             path=f"/v1/tenants/{t}/groups/{d['big']}/members?limit=1000&cursor={{CURSOR}}",
             stmt="member_list", conns=(1,) + CONNS, fixed=True,
             override={3: "SELECT at_us FROM bench_pages WHERE k = :p",
                       4: "SELECT uid FROM bench_pages WHERE k = :p"},
             sets=[f"\\set p random(1, {pages})"]),
    ]
    # The first page of the big group, and the page at 90 % of its depth
    # (offset 900,000 of 1,000,000 at --scale), by cursor, one at a time:
    # a keyset walk costs the same at any depth.  Their statement is
    # member_list's (captured for explain(), not swept).
    deep = min(len(d["cursors"]), NUSERS * 9 // 10 // 1000)
    gm = f"/v1/tenants/{t}/groups/{d['big']}/members?limit=1000"
    r.append(dict(name="member_page_first", method="GET", path=gm, stmt="member_list",
                  conns=(1,), fixed=True, sweep=False))
    if deep:
        r.append(dict(name="member_page_deep", method="GET",
                      path=f"{gm}&cursor={d['cursors'][deep - 1]}", stmt="member_list",
                      conns=(1,), fixed=True, sweep=False, offset=deep * 1000))
    r += [
        # SCIM reads: their statement is built per request (the filter
        # compiled to SQL; prepared by a worker the second time it sees
        # the same text), so its text and parameters
        # come from PostgreSQL's log (scim_pgbench_script()); scim_sql
        # replaces parameters by pgbench expressions, as override does.
        dict(name="scim_filter_username", method="GET",
             path="/scim/v2/Users?filter=userName%20eq%20%22{NAME}%22",
             token=api_token(), conns=(16,),
             scim_sql={4: "'load' || :k"}, sets=[f"\\set k random(1, {NUSERS})"]),
        dict(name="scim_page_100", method="GET",
             path="/scim/v2/Users?startIndex={START}&count=100",
             token=api_token(), conns=(16,),
             scim_sql={2: "(:s - 1)::text"}, sets=[f"\\set s random(1, {NUSERS - 99})"]),
        # The same page of 100 by RFC 9865 cursor at 90 % of the users'
        # depth: after the walk's first page, a cursor page reads from
        # the key of the row before it and does not count again (the
        # way a client pages deep at a flat cost).  Fixed: one cursor.
        dict(name="scim_cursor_100", method="GET",
             path=f"/scim/v2/Users?count=100&cursor={d['scim_cursor']}",
             token=api_token(), conns=(16,), scim_sql={}, offset=NUSERS * 9 // 10),
        # PATCH /Groups/{id} adding, then removing, 10,000 members; see
        # scim_patch_members().
        dict(name="scim_patch_members_10000", scim_patch=True),
        HEALTHZ,
        # POST /v1/invites/accept with bogus tokens at FLOOD_CONNS, while
        # healthz and create_v1_user are measured; see anonymous_flood().
        dict(name="anonymous_flood", flood=True),
    ]
    return r


# --------------------------------------------------------------------------
# The anonymous flood: what anyone can send without a token must not take
# the workers from everybody else.

FLOOD_CONNS = 64
# What gets past nginx: many clients, each within the accept route's limit
# (1 r/s, a burst of 5), 200 requests a second in all.  One client sending
# faster is refused by nginx (429) before rosterd sees it.
FLOOD_RATE = 200
FLOOD_MEASURED = ("healthz", "create_v1_user")
FLOOD_CONNS_MEASURED = 16
FLOOD_TARGET = 0.8
FLOOD_ROUNDS = 3


def accept_statuses():
    """rosterd's answers to POST /v1/invites/accept so far, {status: n}
    (its /metrics, with metrics_token_file's token)."""
    st, body = request("GET", "/metrics", token=METRICS_TOKEN)
    if st != 200:
        die(f"/metrics: {st} {body[:300]!r}")
    out = {}
    for line in body.decode().splitlines():
        if (line.startswith("rosterd_http_requests_total{")
                and 'route="/v1/invites/accept"' in line):
            code = re.search(r'code="([^"]*)"', line).group(1)
            out[code] = out.get(code, 0) + int(float(line.rsplit(" ", 1)[1]))
    return out


def start_flood():
    """wrk flooding POST /v1/invites/accept with bogus tokens (no
    Authorization) at FLOOD_RATE requests a second over FLOOD_CONNS
    connections; stop_flood() ends it."""
    _run[0] += 1
    out = os.path.join(TMP, f"wrk-anonymous_flood-{_run[0]}.json")
    body_file = os.path.join(TMP, "body-anonymous_flood.tmpl")
    with open(body_file, "w") as f:
        f.write('{"token":"bogus-{U}","password":"correct horse battery staple"}')
    env = dict(ENV, BENCH_METHOD="POST", BENCH_PATH="/v1/invites/accept",
               BENCH_BODY_FILE=body_file, BENCH_TOKEN="", BENCH_CTYPE="application/json",
               BENCH_DATA=DATA, BENCH_N="1", BENCH_RUN=str(_run[0]), BENCH_SEQ0="0",
               BENCH_THREADS=str(THREADS), BENCH_OUT=out, BENCH_NUSERS=str(NUSERS),
               BENCH_DELAY_MS=str(FLOOD_CONNS * 1000 // FLOOD_RATE))
    # Long enough for any window (a --smoke window may be retried);
    # stopped with SIGINT, on which wrk reports what it did.
    proc = subprocess.Popen(["wrk", "-t", str(THREADS), "-c", str(FLOOD_CONNS), "-d", "3600s",
                             "--timeout", "60s", "-s", WRK_LUA, URL + "/"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1)  # its connections open before a measurement starts
    return proc, out


def stop_flood(flood):
    proc, out = flood
    proc.send_signal(2)  # SIGINT
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if not os.path.exists(out):
        die(f"wrk anonymous_flood: {err.decode()[-1500:]}")
    with open(out) as f:
        return json.load(f)


def anonymous_flood(d):
    """healthz and create_v1_user at FLOOD_CONNS_MEASURED connections,
    unloaded and under the flood (start_flood), in turn for FLOOD_ROUNDS
    rounds, so that what else the machine does weighs on both alike.  The
    flood comes from this host, which nginx's limits exempt: its rate
    stands for many clients, each within them.  Returns the table's
    records: each measured route under the flood, with its unloaded rate
    as the baseline (requests over time, all rounds together), and the
    flood itself (its non2xx: rosterd's answers other than 410)."""
    measured = [r for r in rows(d) if r["name"] in FLOOD_MEASURED]
    conns = FLOOD_CONNS_MEASURED
    sums = {(r["name"], k): [0, 0.0, []] for r in measured for k in ("unloaded", "loaded")}
    fs = {"requests": 0, "duration_us": 0, "connect": 0, "read": 0, "write": 0,
          "timeout": 0, "p50": [], "p99": []}
    before = accept_statuses()

    def add(key, s):
        t = sums[key]
        t[0] += s["requests"]
        t[1] += s["duration_us"] / 1e6
        t[2].append(s)
    for _ in range(1 if SMOKE else FLOOD_ROUNDS):
        for r in measured:
            add((r["name"], "unloaded"), run_wrk(r, conns, token=r.get("token", True)))
        flood = start_flood()
        try:
            for r in measured:
                add((r["name"], "loaded"), run_wrk(r, conns, token=r.get("token", True)))
        finally:
            f = stop_flood(flood)
        for k in ("requests", "duration_us", "connect", "read", "write", "timeout"):
            fs[k] += f[k]
        fs["p50"].append(f["p50_us"])
        fs["p99"].append(f["p99_us"])
    after = accept_statuses()
    answers = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    other = sum(n for k, n in answers.items() if k != "410")
    log(f"anonymous flood: rosterd's answers {answers}")
    recs = []
    for r in measured:
        (ln, lt, ls), (un, ut, _) = sums[(r["name"], "loaded")], sums[(r["name"], "unloaded")]
        lrps, urps = ln / lt if lt else 0.0, un / ut if ut else 0.0
        recs.append({"name": f"flood:{r['name']}", "connections": conns,
                     "rps": round(lrps, 1),
                     "p50_ms": round(statistics.median(s["p50_us"] for s in ls) / 1000, 2),
                     "p99_ms": round(max(s["p99_us"] for s in ls) / 1000, 2),
                     "non2xx": sum(s["status"] for s in ls),
                     "socket_errors": sum(s["socket_errors"] for s in ls),
                     "requests": ln, "baseline": f"{r['name']} unloaded",
                     "baseline_rps": round(urps, 1) if urps else None,
                     "ratio": round(lrps / urps, 3) if urps else None})
    fs["p50_us"] = statistics.median(fs["p50"])
    fs["p99_us"] = max(fs["p99"])
    rps = fs["requests"] / (fs["duration_us"] / 1e6) if fs["duration_us"] else 0.0
    recs.append({"name": "anonymous_flood", "connections": FLOOD_CONNS, "rps": round(rps, 1),
                 "p50_ms": round(fs["p50_us"] / 1000, 2), "p99_ms": round(fs["p99_us"] / 1000, 2),
                 "non2xx": other,
                 "socket_errors": fs["connect"] + fs["read"] + fs["write"] + fs["timeout"],
                 "requests": fs["requests"], "baseline": "answers: 410 only",
                 "baseline_rps": None, "ratio": None})
    return recs


_run = [0]
_seq = {}
_capture = [0]


def fill(t, seq, row, d):
    """What request.lua does, for the requests bench.py makes itself."""
    if t is None:
        return None
    n = row.get("n", 1)
    groups = d["groups"][BULK_GROUPS[n][0] - 1:BULK_GROUPS[n][1]] if "groups" in row else []

    def one(m):
        k = m.group(1)
        if k == "U":
            return f"b{_run[0]}x{seq}"
        if k == "UUID":
            return "%08x-0000-4000-8000-%012x" % (_run[0], seq)
        if k == "USER":
            return d["users"][(seq * 7919) % len(d["users"])]
        if k == "GROUP":
            return groups[seq % len(groups)]
        if k == "IDS":
            off = (seq // len(groups)) * n % len(d["users"])
            return ",".join(f'"{u}"' for u in (d["users"] * 2)[off:off + n])
        if k == "CURSOR":
            return d["cursors"][seq % len(d["cursors"])] if d["cursors"] else ""
        if k == "NAME":
            return "load%d" % ((seq * 7919) % NUSERS + 1)
        if k == "START":
            return str((seq * 7919) % max(1, NUSERS - 99) + 1)
        return m.group(0)
    return re.sub(r"\{([A-Z]+)\}", one, t)


# --------------------------------------------------------------------------
# What rosterd sends PostgreSQL: logged while one request of a row is made


PG_LOG = os.path.join(PG_DIR, "data", "log", "postgresql.json")
PARAM_RE = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')", re.S)


def set_log_statement(on):
    psql(("ALTER SYSTEM SET log_statement = 'all';" if on else
          "ALTER SYSTEM RESET log_statement;") + "SELECT pg_reload_conf();", user="postgres")
    if on:
        # pg_reload_conf() only signals the postmaster.  Once a new session's
        # statement is logged, the postmaster has reloaded, and it signalled
        # every backend (rosterd's too) before it started that session; a
        # backend applies the reload before it runs its next command.
        log_sentinel(repeat=True)


_sentinel = [0]
LOG_DEADLINE = 120  # seconds; only a guard against a hang


def log_sentinel(repeat=False):
    """Logs a marker statement from a new session and waits until the
    logging collector has written it; returns its offset in the log.  The
    collector reads one pipe in order, so whatever a backend logged before
    (rosterd's statements of the requests already answered) is in the file
    before the marker.  With repeat, another marker is sent every half
    second until one is logged (log_statement may not be in effect yet)."""
    deadline = time.monotonic() + LOG_DEADLINE
    marks, sent = [], 0.0
    while True:
        if not marks or (repeat and time.monotonic() - sent >= 0.5):
            _sentinel[0] += 1
            marks.append(f"bench_sentinel_{os.getpid()}_{_sentinel[0]}_end".encode())
            psql(f"SELECT '{marks[-1].decode()}';", user="postgres")
            sent = time.monotonic()
        if os.path.exists(PG_LOG):
            with open(PG_LOG, "rb") as f:
                text = f.read()
            for m in marks:
                at = text.find(m)
                if at >= 0:
                    return at
        if time.monotonic() > deadline:
            die(f"PostgreSQL did not log {marks[-1].decode()} within {LOG_DEADLINE} s "
                f"({PG_LOG})")
        time.sleep(0.05)


def logged_executions(since, until):
    """Every statement execution PostgreSQL logged between offsets, in
    order: (its "execute NAME: TEXT" message, its parameters by number)."""
    out = []
    with open(PG_LOG, "rb") as f:
        f.seek(since)
        for line in f.read(until - since).splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            msg = e.get("message", "")
            if not msg.startswith("execute "):
                continue
            params = {}
            for m in PARAM_RE.finditer(e.get("detail", "")):
                params[int(m.group(1))] = (None if m.group(2) == "NULL"
                                           else m.group(3).replace("''", "'"))
            out.append((msg, params))
    return out


def logged_params(sql, since, until):
    """The parameters of every execution of sql logged between offsets."""
    return [params for msg, params in logged_executions(since, until)
            if msg.split(": ", 1)[-1] == sql]


def capture(row, d):
    """Two requests of the row, and the parameters of its statement."""
    sql = statement_sql(row["stmt"])
    since = os.path.getsize(PG_LOG) if os.path.exists(PG_LOG) else 0
    tokens = []
    for i in range(2):
        _capture[0] += 1
        seq = 900000000 + _capture[0]
        tokens.append(f"b{_run[0]}x{seq}")
        st, body = request(row["method"], fill(row["path"], seq, row, d),
                           fill(row.get("body"), seq, row, d),
                           header=fill(row.get("header"), seq, row, d))
        if st // 100 != 2:
            die(f"{row['name']}: {st} {body[:400]!r}")
    got = logged_params(sql, since, log_sentinel())
    if len(got) < 2:
        die(f"{row['name']}: PostgreSQL logged {len(got)} executions of {row['stmt']}")
    return sql, got[-2], got[-1], tokens


# {row name: (its statement with $n, {n: the pgbench expression bound to
# $n}, the -D values, the \\set lines)}: what explain() runs
STATEMENTS = {}
HEX_RE = re.compile(r"(\\x)?[0-9a-f]+")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pgbench_script(row, d):
    """A pgbench script running the row's statement, and its -D options.

    Parameters that were equal in both captured requests are bound from
    -D variables (so pgbench sends them as parameters, as rosterd does);
    those that carried the request's unique token get a fresh one
    (replace(...) of the captured text); fresh uuids and random hex (token
    hashes) are made by PostgreSQL; `override` replaces a parameter by the
    row's own expression (the bulk rows pick their group and ids)."""
    sql, p1, p2, (t1, t2) = capture(row, d)
    override = row.get("override", {})
    defs = {}

    def param(m):
        k = int(m.group(1))
        if k in override:
            return "(" + override[k] + ")"
        a, b = p1.get(k), p2.get(k)
        if a is None and (b is None or row.get("fixed")):
            return "NULL"
        if a == b or row.get("fixed") or (a is not None and a.isdigit()):
            defs[f"c{k}"] = a
            return f":c{k}"
        if a is not None and t1 in a and a.replace(t1, t2) == b:
            defs[f"c{k}"] = a
            return f"(replace(:c{k}, '{t1}', 'p' || :u))"
        # Fresh values are made from :u (a parameter) by immutable
        # functions, so that they are computed once per execution and an
        # index can be used where the statement compares them (a volatile
        # gen_random_uuid() would be evaluated per row: a sequential scan).
        if a is not None and UUID_RE.fullmatch(a):
            return f"((lpad(to_hex({k}), 4, '0') || lpad(to_hex(:u::bigint), 28, '0'))::text)"
        if a is not None and HEX_RE.fullmatch(a):
            pre = "'\\x' || " if a.startswith("\\x") else ""
            n = len(a) - (2 if pre else 0)
            return (f"({pre}substr(repeat(encode(sha256((:u::text || '.{k}')::bytea),"
                    f" 'hex'), {n // 64 + 1}), 1, {n}))")
        defs[f"c{k}"] = a  # e.g. the request id: any value will do
        return f":c{k}"

    exprs = {}

    def keep(m):
        exprs[int(m.group(1))] = e = param(m)
        return e
    body = re.sub(r"\$(\d+)(?!\d)", keep, sql)
    lines = ["\\set n :n + 1", "\\set u :base + :client_id * 100000000 + :n"]
    lines += row.get("sets", [])
    path = os.path.join(TMP, f"pgbench-{row['name']}.sql")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + body + ";\n")
    STATEMENTS[row["name"]] = (sql, exprs, defs, row.get("sets", []))
    return path, defs


# --smoke: each pgbench client runs this many transactions, however long
# that takes (a time window may complete none on a loaded machine).
SMOKE_TRANSACTIONS = 2


_pgbench_done = [0]  # the last run's transactions


def run_pgbench(script, defs, conns, base, mode="prepared", host=None, port=None, secs=None):
    """pgbench's rate on the script (-M mode) for secs (DURATION) seconds,
    or None (no sample) when it completed no transaction; a failed
    transaction or an error ends the run."""
    span = ["-t", str(SMOKE_TRANSACTIONS)] if SMOKE else ["-T", str(secs or DURATION)]
    args = [os.path.join(PG_BIN, "pgbench"), "-n", "-M", mode, "-c", str(conns),
            "-j", str(THREADS), *span, "-f", script,
            "-D", "n=0", "-D", f"base={base}",
            "-h", host or PG_DIR, "-p", str(port or PG_PORT), "-U", "rosterd"]
    for k, v in defs.items():
        args += ["-D", f"{k}={v}"]
    r = subprocess.run(args + ["rosterd"], capture_output=True)
    out = r.stdout.decode() + r.stderr.decode()
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    _pgbench_done[0] = int(done.group(1)) if done else 0
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if r.returncode != 0 or (failed and int(failed.group(1)) > 0):
        die(f"pgbench on {script}: {out[-2000:]}")
    if m is None or (done and int(done.group(1)) == 0) or float(m.group(1)) == 0:
        log(f"pgbench on {os.path.basename(script)} at {conns} connections completed "
            f"no transaction: no sample")
        return None
    return float(m.group(1))


# --smoke: a row whose window completed no request runs again for twice as
# long, up to this many seconds in all (a guard against a hang, not a rate).
SMOKE_WINDOW_LIMIT = 127


def run_wrk(row, conns, path=None, token=True, baseline=False, secs=None):
    """wrk on the row for secs (DURATION) seconds.  With --smoke, a window
    that completed no request is run again, twice as long each time; a row
    of rosterd's that completes none within SMOKE_WINDOW_LIMIT seconds ends
    the run (a baseline's is reported as no sample)."""
    secs, spent = secs or DURATION, 0
    while True:
        s = run_wrk_once(row, conns, secs, path, token)
        spent += secs
        if s["requests"] > 0 or not SMOKE or s["socket_errors"] or s["status"]:
            return s
        if spent + 2 * secs > SMOKE_WINDOW_LIMIT:
            if baseline:
                return s
            die(f"wrk {row['name']} at {conns} connections: no request completed "
                f"in {spent} s")
        log(f"{row['name']} at {conns} connections: no request completed in {secs} s; "
            f"again for {2 * secs} s")
        secs *= 2


def run_wrk_once(row, conns, secs, path, token):
    name = row["name"]
    key = (name, row.get("n"))
    seq0 = _seq.get(key, 0)
    _run[0] += 1
    out = os.path.join(TMP, f"wrk-{name}-{conns}-{_run[0]}.json")
    body_file = ""
    if row.get("body"):
        body_file = os.path.join(TMP, f"body-{name}.tmpl")
        with open(body_file, "w") as f:
            f.write(row["body"])
    env = dict(ENV, BENCH_METHOD=row["method"], BENCH_PATH=path or row["path"],
               BENCH_BODY_FILE=body_file,
               BENCH_TOKEN=token if isinstance(token, str) else TOKEN if token else "",
               BENCH_CTYPE=row.get("ctype", "application/json") if row.get("body") else "",
               BENCH_HEADER=row.get("header", ""),
               BENCH_DATA=DATA, BENCH_N=str(row.get("n", 1)), BENCH_RUN=str(_run[0]),
               BENCH_SEQ0=str(seq0), BENCH_THREADS=str(min(THREADS, conns)),
               BENCH_OUT=out, BENCH_DELAY_MS="", BENCH_NUSERS=str(NUSERS))
    if row.get("groups"):
        env["BENCH_GROUPS"] = row["groups"]
    r = subprocess.run(["wrk", "-t", str(min(THREADS, conns)), "-c", str(conns),
                        "-d", f"{secs}s", "--timeout", "60s", "-s", WRK_LUA,
                        URL + "/"], env=env, capture_output=True)
    if r.returncode != 0 or not os.path.exists(out):
        die(f"wrk {name}: {r.stdout.decode()[-1500:]} {r.stderr.decode()[-1500:]}")
    with open(out) as f:
        s = json.load(f)
    _seq[key] = seq0 + (s["requests"] + conns) * THREADS
    s["rps"] = s["requests"] / (s["duration_us"] / 1e6)
    s["socket_errors"] = s["connect"] + s["read"] + s["write"] + s["timeout"]
    return s


# Rows compared with each other (a row and the rows whose same_run names
# it) are measured in turn: this many windows each (--rounds), of DURATION
# / this many seconds (at least COMPARE_WINDOW_MIN: wrk's first fraction
# of a second, its connections' TLS handshakes, weighs on a 1-second
# window), the order rotated every round.
COMPARE_ROUNDS = int(ENV.get("BENCH_ROUNDS") or 5)
COMPARE_WINDOW_MIN = 2


def run_interleaved(group, conns):
    """The rows of group at conns connections, in turn (COMPARE_ROUNDS
    rounds after an uncounted one; one round with --smoke), so that what
    else the machine does, and the users table's growth, weigh on each
    alike.  Returns {name: summary}: requests and duration summed over the
    row's counted windows, its rate from the sums, the median of their
    p50s, the largest p99, each one's rate (window_rps), and the failures
    of all its windows."""
    rounds = 1 if SMOKE else max(1, COMPARE_ROUNDS)
    secs = max(1 if SMOKE else COMPARE_WINDOW_MIN, DURATION // rounds)
    warm = {}
    if not SMOKE:
        # one window of each whose rate is not counted: the first windows
        # after the load (or after the connection count changed) run slow
        for r in group:
            warm[r["name"]] = run_wrk(r, conns, token=r.get("token", True), secs=secs)
    got = {r["name"]: [] for r in group}
    for i in range(rounds):
        k = i % len(group)
        for r in group[k:] + group[:k]:
            b0, g0, c0 = cpu_sample()
            w = run_wrk(r, conns, token=r.get("token", True), secs=secs)
            b1, g1, c1 = cpu_sample()
            if w["requests"]:
                # the CPU a request of each part in this window, as
                # cpu_window() counts it
                n = w["requests"]
                w["cpu_us"] = {g: (g1[g] - g0[g]) * TICK_US / n for g in g0}
                w["cpu_us"]["client"] = (c1 - c0) * 1e6 / n
                w["cpu_us"]["total"] = (b1 - b0) * TICK_US / n
                w["cpu_us"]["rest"] = w["cpu_us"]["total"] - sum(
                    w["cpu_us"][g] for g in ("postgres", "rosterd", "nginx", "client"))
            got[r["name"]].append(w)
    out = {}
    for name, ss in got.items():  # in the order each row ran
        m = {k: sum(s[k] for s in ss) for k in ("requests", "duration_us", "status",
                                                  "socket_errors")}
        m["rps"] = m["requests"] / (m["duration_us"] / 1e6)
        m["p50_us"] = statistics.median(s["p50_us"] for s in ss)
        m["p99_us"] = max(s["p99_us"] for s in ss)
        m["window_rps"] = [round(s["rps"], 1) for s in ss]
        m["window_cpu_us"] = [s.get("cpu_us") for s in ss]
        if name in warm:
            m["status"] += warm[name]["status"]
            m["socket_errors"] += warm[name]["socket_errors"]
        out[name] = m
    return out


# --------------------------------------------------------------------------
# SCIM: the reads' statements, the members PATCH


SCIM_SELECT = "SELECT t.total, t.tenant_ok, "  # scim_users_query()'s statement


def scim_pgbench_script(row, d):
    """A pgbench script running the statement a SCIM list request runs,
    and its -D options.  Two requests of the row are made while
    PostgreSQL logs statements; the text of the statement they ran
    (the list query with its filter compiled in) and its parameters come
    from the log.  Parameters equal in both are bound from -D variables;
    those the row's scim_sql names become its expressions."""
    since = os.path.getsize(PG_LOG) if os.path.exists(PG_LOG) else 0
    for i in range(2):
        _capture[0] += 1
        seq = 900000000 + _capture[0]
        path = fill(row["path"], seq, row, d)
        st, body = request("GET", path, token=row["token"])
        if st != 200:
            die(f"{row['name']}: {path}: {st} {body[:400]!r}")
        got = json.loads(body)
        name = fill("{NAME}", seq, row, d)
        if "{NAME}" in row["path"] and [r.get("userName") for r in
                                        got.get("Resources", [])] != [name]:
            die(f"{row['name']}: {path} found {got.get('totalResults')} users, not {name}")
        if "{START}" in row["path"] and len(got.get("Resources", [])) != 100:
            die(f"{row['name']}: {path}: {len(got.get('Resources', []))} users, not 100")
    until = log_sentinel()
    # unnamed the first time a worker sees the text, then by the name it
    # prepared it under (sql_<n>)
    execs = [(msg.split(": ", 1)[1], params)
             for msg, params in logged_executions(since, until)
             if re.match(r"execute (<unnamed>|sql_\d+): " + re.escape(SCIM_SELECT), msg)]
    if len(execs) < 2 or execs[-1][0] != execs[-2][0]:
        die(f"{row['name']}: PostgreSQL logged {len(execs)} executions of the list "
            f"statement (two of the same text expected)")
    sql, p1 = execs[-2]
    p2 = execs[-1][1]
    defs = {}

    def param(m):
        k = int(m.group(1))
        if k in row["scim_sql"]:
            return "(" + row["scim_sql"][k] + ")"
        if p1.get(k) != p2.get(k) or p1.get(k) is None:
            die(f"{row['name']}: parameter ${k} is {p1.get(k)!r}, then {p2.get(k)!r}")
        defs[f"c{k}"] = p1[k]
        return f":c{k}"

    exprs = {}

    def keep(m):
        exprs[int(m.group(1))] = e = param(m)
        return e
    text = re.sub(r"\$(\d+)(?!\d)", keep, sql)
    path = os.path.join(TMP, f"pgbench-{row['name']}.sql")
    with open(path, "w") as f:
        f.write("\n".join(row.get("sets", [])) + "\n" + text + ";\n")
    STATEMENTS[row["name"]] = (sql, exprs, defs, row.get("sets", []))
    return path, defs


def scim_patch_members(d, n=10000):
    """PATCH /scim/v2/Groups/{id} on a group made for it: an add of n
    members ({"op":"add","path":"members","value":[...]}), then the remove
    of the same members (Entra's remove with a value array), so that each
    request changes n rows; one request at a time, each timed (the body is
    made before).  In the same rounds, psql runs the same membership insert
    alone (INSERT ... SELECT FROM unnest($3) ON CONFLICT DO NOTHING,
    prepared, \\timing) and the delete, on another new group.  The audit
    rows say how many members each PATCH added or removed: fewer than n
    counts as a failure.  Returns the table's records: the add and the
    remove, each against psql's statement alone."""
    tok = api_token()
    gids = []
    for what in ("patch", "psql"):
        _capture[0] += 1
        st, body = request("POST", "/scim/v2/Groups", json.dumps({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": f"bench scim {what} {os.getpid()} {_capture[0]}"}),
            ctype="application/scim+json", token=tok)
        if st != 201:
            die(f"scim_patch_members_10000: creating its group: {st} {body[:400]!r}")
        gids.append(json.loads(body)["id"])
    g, pg = gids
    users = d["users"]
    warm, rounds = (0, 1) if SMOKE else (1, 10)
    t = {"add": [], "remove": [], "psql_insert": [], "psql_delete": []}
    bad = 0
    sql = (f"PREPARE ins(uuid, uuid, uuid[], text) AS INSERT INTO group_members"
           f" (tenant_id, group_id, user_id, added_by) SELECT $1, $2, x, $4"
           f" FROM unnest($3) AS x ON CONFLICT DO NOTHING;\n"
           f"PREPARE del(uuid, uuid, uuid[]) AS DELETE FROM group_members"
           f" WHERE tenant_id = $1 AND group_id = $2 AND user_id = ANY ($3);\n")
    for i in range(warm + rounds):
        off = (i * n) % len(users)
        block = (users * 2)[off:off + min(n, len(users))]
        members = [{"value": u} for u in block]
        for op in ("add", "remove"):
            body = json.dumps({"schemas": [SCIM_PATCHOP], "Operations": [
                {"op": op, "path": "members", "value": members}]}).encode()
            t0 = time.monotonic()
            st, out = request("PATCH", f"/scim/v2/Groups/{g}", body,
                              ctype="application/scim+json", token=tok)
            ms = (time.monotonic() - t0) * 1000
            if st != 204:
                log(f"scim_patch_members_10000: {op}: {st} {out[:300]!r}")
                bad += 1
            if i >= warm:
                t[op].append(ms)
        ids = lit("{" + ",".join(block) + "}")
        args = f"{lit(TENANT)}, {lit(pg)}, {ids}"
        out = psql(f"{sql}EXECUTE ins({args}, 'bench-psql');\nEXECUTE del({args});\n",
                   timing=True)
        ms = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
        if len(ms) < 4:
            die(f"psql printed no timing: {out[-500:]}")
        if i >= warm:
            t["psql_insert"].append(ms[2])
            t["psql_delete"].append(ms[3])
    # What each PATCH did, from its audit row.
    did = psql(f"SELECT coalesce(detail->>'added', '0') || ' ' ||"
               f" coalesce(detail->>'removed', '0') FROM audit_log"
               f" WHERE tenant_id = {lit(TENANT)} AND target_id = {lit(g)}"
               f" AND action = 'group.update' ORDER BY id").split("\n")
    did = [tuple(int(x) for x in line.split()) for line in did if line.strip()]
    want = [(len(block), 0), (0, len(block))] * (warm + rounds)
    if did != want:
        log(f"scim_patch_members_10000: the audit rows say (added, removed) {did[:6]}..., "
            f"not {n} added, then {n} removed, each time")
        bad += 1
    recs = []
    for op, base in (("add", "psql_insert"), ("remove", "psql_delete")):
        p50, b50 = statistics.median(t[op]), statistics.median(t[base])
        recs.append({"name": f"scim_patch_{op}_{n}", "connections": 1,
                     "rps": round(1000 / p50, 1), "p50_ms": round(p50, 2),
                     "p99_ms": round(max(t[op]), 2), "non2xx": bad if op == "add" else 0,
                     "socket_errors": 0, "requests": len(t[op]) + warm,
                     "baseline": f"psql, the {base[5:]} alone",
                     "baseline_rps": round(1000 / b50, 1), "ratio": round(b50 / p50, 3),
                     "times_ms": [round(x, 1) for x in t[op]],
                     "baseline_times_ms": [round(x, 1) for x in t[base]]})
        log(f"scim_patch_{op}_{n}: median {p50:.1f} ms, psql's {base[5:]} alone "
            f"{b50:.1f} ms: {p50 / b50:.2f} x psql ({len(t[op])} requests, one at a time)")
    return recs


# --------------------------------------------------------------------------
# The bulk insert alone, in psql


def psql_bulk(d, n=10000, times=3):
    sql = statement_sql("member_add")
    lo, hi = BULK_GROUPS[n]
    ms = []
    for i in range(times):
        g = d["groups"][hi - 1 - i]  # the row's last groups: wrk reaches them last
        off = (n * (i + 3)) % len(d["users"])
        ids = "{" + ",".join((d["users"] * 2)[off:off + n]) + "}"
        args = ", ".join([lit(TENANT), lit(g), lit(ids), "'bench-psql'", "'psql'"])
        out = psql(f"PREPARE b AS {sql};\nEXECUTE b({args});\nDEALLOCATE b;\n"
                   f"DELETE FROM group_members WHERE tenant_id = {lit(TENANT)}"
                   f" AND group_id = {lit(g)};\n", timing=True)
        times_ms = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
        if len(times_ms) < 2:
            die(f"psql printed no timing: {out[-500:]}")
        ms.append(times_ms[1])  # the EXECUTE
    return statistics.median(ms)


# --------------------------------------------------------------------------


def machine():
    def first(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True)
            return (r.stdout.decode() + r.stderr.decode()).strip().splitlines()[0]
        except (OSError, IndexError):
            return ""
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) // 1024
    osr = ""
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                osr = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {"hostname": platform.node(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_mib": mem, "kernel": platform.release(), "os": osr,
            "nginx": first(["nginx", "-v"]), "postgresql": first([os.path.join(PG_BIN, "postgres"), "--version"]),
            "wrk": first(["wrk", "-v"]), "rosterd_workers": len(worker_rss()),
            "duration_s": DURATION, "users": NUSERS, "smoke": SMOKE}


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


# --------------------------------------------------------------------------
# Baselines: pgbench's best over client counts, and the combined limit

# pgbench runs each row's statement at these client counts, in windows of
# SWEEP_SECS; the row's baseline is the best of them, PostgreSQL's limit
# for the statement on this machine (at a high count pgbench's own
# backends contend where rosterd's few connections do not).  --smoke runs
# one count, the first of CONNS.
SWEEP_CONNS = (1, 2, 4, 8, 16, 64)
SWEEP_SECS = max(2, round(DURATION * 0.4))
# When the HTTP path and PostgreSQL share the cores, the best a request can
# do is 1 / (1/healthz + 1/pgbench best); the goal for every row at 16 and
# 64 connections is this fraction of it.
LIMIT_TARGET = 0.85
LIMIT_CONNS = (16, 64)
HEALTHZ = dict(name="healthz", method="GET", path="/healthz", token=False, baseline="nginx")
_sweeps = {}
_base = [0]


def next_base():
    """A new range of pgbench's :u values (fresh usernames and ids)."""
    _base[0] += 10 ** 12
    return _base[0]


def best(sw):
    """(the best rate of a sweep, its client count), or (None, None)."""
    got = [(v, c) for c, v in sw.items() if v]
    return max(got) if got else (None, None)


def sweep(script, defs):
    """{clients: tps, or None when that window completed nothing} for the
    script, run once per script text and -D values within the run (a
    row's 16 and 64 share it)."""
    with open(script) as f:
        key = (f.read(), tuple(sorted(defs.items())))
    if key not in _sweeps:
        got = {}
        for c in (CONNS[0],) if SMOKE else SWEEP_CONNS:
            got[c] = run_pgbench(script, defs, c, next_base(), secs=SWEEP_SECS)
        _sweeps[key] = got
        b, bc = best(got)
        log(f"pgbench on {os.path.basename(script)} by clients: "
            + ", ".join(f"{c}: {fmt(v, '.0f')}" for c, v in got.items())
            + f"; best {fmt(b, '.1f')} tps at {bc}")
    return _sweeps[key]


_stmt_pairs = {}


def pgbench_interleaved(a, b, clients):
    """pgbench on scripts a and b ((script, defs) each) at clients, in turn
    for COMPARE_ROUNDS windows of SWEEP_SECS each (one with --smoke), the
    first of each pair alternating; (a's mean tps, b's), a window that
    completed nothing left out.  Once per pair within the run."""
    key = (a[0], b[0], clients)
    if key not in _stmt_pairs:
        got = {a[0]: [], b[0]: []}
        for i in range(1 if SMOKE else COMPARE_ROUNDS):
            for s in ((a, b) if i % 2 == 0 else (b, a)):
                v = run_pgbench(*s, clients, next_base(), secs=SWEEP_SECS)
                if v:
                    got[s[0]].append(v)
        _stmt_pairs[key] = tuple(statistics.mean(got[k]) if got[k] else None
                                 for k in (a[0], b[0]))
    return _stmt_pairs[key]


def sweep_fields(sw, conns, rps):
    b, bc = best(sw)
    same = sw.get(conns)
    return {"pgbench_sweep": {str(c): None if v is None else round(v, 1) for c, v in sw.items()},
            "pgbench_best_rps": None if b is None else round(b, 1),
            "pgbench_best_clients": bc,
            "baseline_same_rps": None if same is None else round(same, 1),
            "ratio_same": round(rps / same, 3) if same else None}


def combined(a, b):
    """1 / (1/a + 1/b): both stages saturating the same cores in turn."""
    return 1.0 / (1.0 / a + 1.0 / b) if a and b else None


def limits(recs, specs):
    """Adds the combined limit to each record with a pgbench best (its own,
    or with db_row that row's: the same statement by another token):
    healthz at the same connection count in the same phase, the healthz
    row's figure or else a window of it run here.  Returns {conns:
    healthz req/s}."""
    by = {r["name"]: r for r in specs}
    bests = {r["name"]: r["pgbench_best_rps"] for r in recs if r.get("pgbench_best_rps")}
    for r in recs:
        db = by.get(r["name"], {}).get("db_row")
        if db in bests and not r.get("pgbench_best_rps"):
            r["pgbench_best_rps"] = bests[db]
            r["pgbench_of"] = db
    h = {r["connections"]: r["rps"] for r in recs if r["name"] == "healthz"}
    for c in sorted({r["connections"] for r in recs if r.get("pgbench_best_rps")} - set(h)):
        h[c] = round(run_wrk(HEALTHZ, c, token=False)["rps"], 1)
        log(f"healthz at {c} connections (for the combined limits): {h[c]:.1f} req/s")
    for r in recs:
        if r.get("pgbench_best_rps"):
            r["healthz_rps"] = h.get(r["connections"])
            lim = combined(r["healthz_rps"], r["pgbench_best_rps"])
            r["combined_limit_rps"] = None if lim is None else round(lim, 1)
            r["ratio_limit"] = round(r["rps"] / lim, 3) if lim else None
    return h


def measure(specs, d):
    """Every row of specs with its baselines, in order.  Returns (the
    records, the psql 10,000-id insert's median ms, failed baseline
    requests, {conns: healthz req/s})."""
    table = []
    set_log_statement(True)
    try:
        scripts = {r["name"]: pgbench_script(r, d) for r in specs if r.get("stmt")}
        scripts.update({r["name"]: scim_pgbench_script(r, d) for r in specs
                        if "scim_sql" in r})
    finally:
        set_log_statement(False)
    bulk_ms = psql_bulk(d, times=1 if SMOKE else 3)
    log(f"psql: the 10,000-id insert alone takes {bulk_ms:.1f} ms (median)")

    base_bad = 0
    names = {r["name"] for r in specs}
    interleaved = {}  # (name, conns): summary, from run_interleaved()
    for row in specs:
        if row.get("flood"):
            for rec in anonymous_flood(d):
                table.append(rec)
                print(f"  {rec['name']:<24} c={rec['connections']:<3} {rec['rps']:>9.1f} req/s  "
                      f"p50 {rec['p50_ms']:>8.2f} ms  p99 {rec['p99_ms']:>8.2f} ms  "
                      f"ratio {fmt(rec['ratio'], '.3f')}", flush=True)
            continue
        if row.get("scim_patch"):
            for rec in scim_patch_members(d):
                table.append(rec)
                print(f"  {rec['name']:<24} c=1   {rec['rps']:>9.1f} req/s  "
                      f"p50 {rec['p50_ms']:>8.2f} ms  p99 {rec['p99_ms']:>8.2f} ms  "
                      f"ratio {fmt(rec['ratio'], '.3f')}", flush=True)
            continue
        group = [row] + [r for r in specs if r.get("same_run") == row["name"]]
        for conns in row.get("conns", CONNS):
            if (row["name"], conns) in interleaved:
                s = interleaved.pop((row["name"], conns))
            elif len(group) > 1:
                for name, m in run_interleaved(group, conns).items():
                    interleaved[(name, conns)] = m
                s = interleaved.pop((row["name"], conns))
            else:
                s = run_wrk(row, conns, token=row.get("token", True))
            b_name, b_rps, b, extra = None, None, None, {}
            if "scim_sql" in row:
                # -M extended: the statement unnamed, parsed and planned
                # each time (as rosterd runs a text the first time a
                # worker sees it), at the same count; the table's
                # baseline is -M prepared's best, as for the other rows
                e_rps = run_pgbench(*scripts[row["name"]], conns, next_base(), mode="extended")
                extra = sweep_fields(sweep(*scripts[row["name"]]), conns, s["rps"])
                b_rps = extra["pgbench_best_rps"]
                b_name = (f"pgbench -M prepared, its statement, best@"
                          f"{extra['pgbench_best_clients']}")
                extra.update({"baseline_extended_rps": None if e_rps is None else round(e_rps, 1),
                              "ratio_extended": round(s["rps"] / e_rps, 3) if e_rps else None})
                log(f"{row['name']} at {conns}: pgbench -M extended {fmt(e_rps, '.1f')} tps, "
                    f"ratio {fmt(extra['ratio_extended'], '.3f')}")
            elif row.get("stmt") and row.get("sweep", True):
                extra = sweep_fields(sweep(*scripts[row["name"]]), conns, s["rps"])
                b_rps = extra["pgbench_best_rps"]
                b_name = f"pgbench -M prepared {row['stmt']} best@{extra['pgbench_best_clients']}"
            elif row.get("baseline") == "nginx":
                b_name = "nginx return 200"
                b = run_wrk(dict(name="nginx_return_200", method="GET"), conns,
                            path="/bench-return-200", token=False, baseline=True)
                # a failed baseline request is not rosterd's; it is reported
                base_bad += b["status"] + b["socket_errors"]
                b_rps = b["rps"] or None
            elif row.get("same_run"):
                # compare: the row it is compared with when that one ran
                ref = row.get("compare") if row.get("compare") in names else row["same_run"]
                b_name = f"{ref}, interleaved"
                b = next((r for r in table if r["name"] == ref and
                          r["connections"] == conns), None)
                b_rps = b["rps"] if b and ref in names else None
                w = row.get("stmt_run_with")
                if w in scripts and b and b.get("pgbench_best_clients"):
                    # the two statements in turn, at the client count
                    # where the other one's sweep peaked: the keyed
                    # statement's rate is this row's PostgreSQL limit
                    bc = b["pgbench_best_clients"]
                    fresh = (scripts[w][0], scripts[row["name"]][0], bc) not in _stmt_pairs
                    o_tps, s_tps = pgbench_interleaved(scripts[w], scripts[row["name"]], bc)
                    extra = {"pgbench_best_rps": None if s_tps is None else round(s_tps, 1),
                             "pgbench_best_clients": bc,
                             "stmt_with_rps": None if o_tps is None else round(o_tps, 1),
                             "stmt_ratio": round(s_tps / o_tps, 3) if s_tps and o_tps
                             else None}
                    w_stmt = next(r["stmt"] for r in specs if r["name"] == w)
                    if fresh:
                        log(f"{row['name']}: pgbench on {row['stmt']} and {w_stmt} in turn at"
                            f" {bc} clients: {fmt(s_tps, '.1f')} and {fmt(o_tps, '.1f')} tps,"
                            f" ratio {fmt(extra['stmt_ratio'], '.3f')}")
            elif row["name"] == "bulk_add_10000":
                b_name = "psql, the insert alone"
                b_rps = 1000.0 / bulk_ms if conns == 1 else None
            if b_rps is None and b_name and row["name"] != "bulk_add_10000":
                b_name = "pgbench: no sample" if "best@" in b_name else b_name + ": no sample"
            rec = {"name": row["name"], "connections": conns,
                   "rps": round(s["rps"], 1), "p50_ms": round(s["p50_us"] / 1000, 2),
                   "p99_ms": round(s["p99_us"] / 1000, 2), "non2xx": s["status"],
                   "socket_errors": s["socket_errors"],
                   "requests": s["requests"],
                   "baseline": b_name,
                   "baseline_rps": None if b_rps is None else round(b_rps, 1),
                   "ratio": None if not b_rps else round(s["rps"] / b_rps, 3)}
            if row.get("offset") is not None:
                rec["offset"] = row["offset"]
            if "window_rps" in s:  # run_interleaved()'s, in the order run
                rec["window_rps"] = s["window_rps"]
                rec["window_cpu_us"] = s["window_cpu_us"]
                if row.get("same_run") and b_rps and b and b.get("window_rps"):
                    # round by round, the row's window against the
                    # other's in the same round
                    rs = [x / y for x, y in zip(s["window_rps"], b["window_rps"]) if y]
                    rec["pair_ratio"] = round(statistics.median(rs), 3) if rs else None
                    # and the CPU a request beyond the other's, part by
                    # part: the median of the rounds' differences
                    pc = [(x, y) for x, y in zip(s["window_cpu_us"], b["window_cpu_us"])
                          if x and y]
                    if pc:
                        rec["cpu_us"] = {k: round(statistics.median(x[k] for x, _ in pc), 1)
                                         for k in pc[0][0]}
                        rec["cpu_us_beyond"] = {
                            k: round(statistics.median(x[k] - y[k] for x, y in pc), 1)
                            for k in pc[0][0]}
                        log(f"{row['name']} at {conns}: CPU a request (us, median of "
                            f"{len(pc)} round{'s' if len(pc) > 1 else ''}) " + ", ".join(
                                f"{k} {rec['cpu_us'][k]:.0f} ({rec['cpu_us_beyond'][k]:+.0f})"
                                for k in rec["cpu_us"]) + f"; in brackets, beyond {b['name']}")
            rec.update(extra)
            table.append(rec)
            print(f"  {rec['name']:<24} c={conns:<3} {rec['rps']:>9.1f} req/s  p50 "
                  f"{rec['p50_ms']:>8.2f} ms  p99 {rec['p99_ms']:>8.2f} ms  "
                  f"ratio {fmt(rec['ratio'], '.3f')}", flush=True)
    healthz = limits(table, specs)
    return table, bulk_ms, base_bad, healthz


def print_table(table):
    hdr = (f"{'endpoint':<24} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
           f"{'non2xx':>6}  {'baseline':<44} {'base req/s':>10} {'ratio':>6} "
           f"{'same-c':>8} {'healthz':>8} {'limit':>8} {'x lim':>6}")
    print(hdr)
    print("-" * len(hdr))
    for r in table:
        print(f"{r['name']:<24} {r['connections']:>5} {r['rps']:>9.1f} {r['p50_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f} {r['non2xx'] + r['socket_errors']:>6}  "
              f"{(r['baseline'] or '-'):<44} {fmt(r['baseline_rps'], '10.1f'):>10} "
              f"{fmt(r['ratio'], '6.3f'):>6} {fmt(r.get('baseline_same_rps'), '8.1f'):>8} "
              f"{fmt(r.get('healthz_rps'), '8.0f'):>8} "
              f"{fmt(r.get('combined_limit_rps'), '8.1f'):>8} "
              f"{fmt(r.get('ratio_limit'), '6.3f'):>6}")


def limit_targets(table, label=""):
    """The combined-limit goal for every row at 16 and 64 connections that
    has a limit: (what, measured, met)."""
    out = []
    for r in table:
        if r["connections"] in LIMIT_CONNS and r.get("ratio_limit") is not None:
            out.append((f"{r['name']} at {r['connections']}{label} >= {LIMIT_TARGET} x its "
                        f"combined limit", f"{r['ratio_limit']:.3f} of "
                        f"{r['combined_limit_rps']:.1f}", r["ratio_limit"] >= LIMIT_TARGET))
    return out


def page_target(table, label=""):
    """The page at 90 % of the big group's depth, by cursor, against the
    first page: the same rate (0.9 x, as a row against itself at scale)."""
    f = next((r for r in table if r["name"] == "member_page_first"), None)
    p = next((r for r in table if r["name"] == "member_page_deep"), None)
    if not f or not p or not f["rps"]:
        return []
    q = p["rps"] / f["rps"]
    return [(f"member page at offset {p.get('offset', 0):,}{label} >= {FLAT_RPS} x the "
             f"first page", f"{q:.3f} ({p['p50_ms']:.2f} vs {f['p50_ms']:.2f} ms p50)",
             q >= FLAT_RPS)]


def print_targets(checks):
    for what, got, ok in checks:
        print(f"target: {what:<66} {got:<36} {'met' if ok else 'MISSED'}")


def select(specs, scale):
    """--only's rows; at --scale, without the anonymous flood unless
    --only names it (it measures no data path)."""
    if ENV.get("BENCH_ONLY"):
        only = ENV["BENCH_ONLY"].split(",")
        return [r for r in specs if r["name"] in only]
    return [r for r in specs if not (scale and r.get("flood"))]


# --------------------------------------------------------------------------
# --scale: the same rows on a large tenant in a large database

SCALE_USERS = int(ENV.get("BENCH_SCALE_USERS") or 0)
FLAT_RPS = 0.9   # a row's req/s at the large scale over the same row's here
FLAT_P99 = 1.5   # its p99's growth at most


def explain(name):
    """EXPLAIN (ANALYZE, BUFFERS) of the row's statement, prepared as
    rosterd prepares it, executed with the values its pgbench script would
    bind first (parameters as rosterd sent them, fresh ones made as the
    script makes them), with a custom plan and with the generic plan a
    connection adopts after five executions, in a transaction rolled
    back.  Returns the text (an error's, if it failed)."""
    sql, exprs, defs, sets = STATEMENTS[name]
    base = next_base()
    vals = {"n": "1", "client_id": "0", "base": str(base), "u": str(base + 1)}
    for line in sets:
        # pgbench's integer arithmetic, random(lo, hi) taken as its middle
        m = re.match(r"\\set (\w+) (.*)$", line)
        if m:
            e = re.sub(r"random\((-?\d+), (-?\d+)\)",
                       lambda r: str((int(r.group(1)) + int(r.group(2))) // 2), m.group(2))
            e = re.sub(r":(\w+)", lambda v: vals[v.group(1)], e).replace("/", "//")
            if not re.fullmatch(r"[0-9+*/%() -]+", e):
                die(f"explain: cannot evaluate {line!r}")
            vals[m.group(1)] = str(eval(e))  # digits and operators only

    def sub(e):
        def one(m):
            k = m.group(1)
            if k in defs:
                return "NULL" if defs[k] is None else lit(defs[k])
            return vals[k]
        return re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", one, e)
    n = max(exprs) if exprs else 0
    cols = ", ".join(f"({sub(exprs[k])})::text" if k in exprs else "NULL" for k in range(1, n + 1))
    pg = [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
          "-h", PG_DIR, "-p", PG_PORT, "-U", "rosterd", "-d", "rosterd"]
    r = subprocess.run(pg, input=f"SELECT json_build_array({cols});\n".encode(),
                       capture_output=True)
    if r.returncode != 0:
        return "(its parameters: " + r.stderr.decode(errors="replace")[:1000] + ")"
    args = ", ".join("NULL" if v is None else lit(v) for v in json.loads(r.stdout.decode()))
    run = f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_explain({args});\n"
    script = (f"BEGIN;\nPREPARE bench_explain AS {sql};\nSAVEPOINT a;\n"
              f"SET LOCAL plan_cache_mode = force_custom_plan;\nSELECT '-- custom plan';\n{run}"
              f"ROLLBACK TO a;\nSET LOCAL plan_cache_mode = force_generic_plan;\n"
              f"SELECT '-- generic plan';\n{run}ROLLBACK;\n")
    r = subprocess.run(pg, input=script.encode(), capture_output=True)
    return (r.stdout.decode() + r.stderr.decode()).rstrip("\n")


def scale_phase(base_table, specs):
    """Loads the large data set (scale.py), reruns the rows on its large
    tenant and compares each with the same row on this tenant.  Returns
    the JSON's "scale" object, and the large phase's failed requests."""
    global TENANT, TOKEN, RS256_TOKEN, NUSERS
    import scale
    rctl = os.path.join(BUILD, "rosterctl")
    large = subprocess.run([rctl, "-c", CONF, "bootstrap", "--tenant", "bench-large"],
                           capture_output=True, check=True).stdout.decode().strip()
    log(f"--scale: loading {SCALE_USERS} users across {scale.TENANTS} tenants")
    info = scale.load(scale.Loader(PG_BIN, PG_DIR, PG_PORT, log=log), SCALE_USERS, NUSERS, large)
    log(f"--scale: copied {info['users_copied']} users and {info['memberships_copied']} "
        f"memberships in {info['load_s']:.0f} s ({info['rows_per_s']} rows/s copied and "
        f"indexed); the database holds {info['users']} users in {info['tenants']} tenants "
        f"and {info['memberships']} memberships (with what the first table's rows wrote)")
    psql("ALTER TABLE bench_users RENAME TO bench_users_base;\n"
         "ALTER TABLE bench_groups RENAME TO bench_groups_base;\n"
         "ALTER TABLE bench_users_scale RENAME TO bench_users;\n"
         "ALTER TABLE bench_groups_scale RENAME TO bench_groups;\n")
    base_users = NUSERS
    TENANT, NUSERS = large, info["large_tenant_users"]
    TOKEN = subprocess.run([rctl, "-c", CONF, "token", "--sub", "bench", "--tid", large,
                            "--roles", "SystemAdmin", "--ttl", "86400"],
                           capture_output=True, check=True).stdout.decode().strip()
    if ENV.get("BENCH_RS_ISS"):
        RS256_TOKEN = subprocess.run(
            [sys.executable, os.path.join(REPO, "bench", "rs256.py"), "token",
             os.path.join(TMP, "rs256"), ENV["BENCH_RS_ISS"], "rosterd", "bench", large,
             "SystemAdmin", "86400"], capture_output=True, check=True).stdout.decode().strip()
    _api_token.clear()
    d = data_files(sample=base_users)
    names = [r["name"] for r in specs]
    specs2 = [r for r in rows(d) if r["name"] in names]
    log(f"--scale: the rows again on the tenant of {NUSERS} users")
    table, bulk_ms, base_bad, healthz = measure(specs2, d)
    label = f" ({NUSERS:,} users)"

    print()
    print(f"At {info['users']:,} users in {info['tenants']:,} tenants, {info['memberships']:,} "
          f"memberships; the tenant of {NUSERS:,} users:")
    print_table(table)
    comp, checks, plans = [], [], {}
    print()
    hdr = (f"{'endpoint':<24} {'conns':>5} {f'req/s {base_users:,}':>14} "
           f"{f'req/s {NUSERS:,}':>14} {'x':>6} {f'p99 {base_users:,}':>14} "
           f"{f'p99 {NUSERS:,}':>14} {'x':>6}  flat")
    print(hdr)
    print("-" * len(hdr))
    for r in table:
        b = next((x for x in base_table if x["name"] == r["name"] and
                  x["connections"] == r["connections"]), None)
        if not b or not b["rps"]:
            continue
        q = r["rps"] / b["rps"]
        p = r["p99_ms"] / b["p99_ms"] if b["p99_ms"] else None
        flat = q >= FLAT_RPS and (p is None or p <= FLAT_P99)
        comp.append({"name": r["name"], "connections": r["connections"],
                     "rps_base": b["rps"], "rps_large": r["rps"], "ratio": round(q, 3),
                     "p99_base_ms": b["p99_ms"], "p99_large_ms": r["p99_ms"],
                     "p99_ratio": None if p is None else round(p, 3), "flat": flat})
        print(f"{r['name']:<24} {r['connections']:>5} {b['rps']:>14.1f} {r['rps']:>14.1f} "
              f"{q:>6.3f} {b['p99_ms']:>14.2f} {r['p99_ms']:>14.2f} {fmt(p, '6.2f'):>6}  "
              f"{'yes' if flat else 'NO'}")
        checks.append((f"{r['name']} at {r['connections']}: at {NUSERS:,} users >= {FLAT_RPS} x "
                       f"at {base_users:,}, p99 <= {FLAT_P99} x",
                       f"{q:.3f}, p99 {fmt(p, '.2f')} x", flat))
    checks += page_target(table, label)
    checks += limit_targets(table, label)
    print()
    print_targets(checks)
    by = {r["name"]: r for r in specs2}
    for name in dict.fromkeys(c["name"] for c in comp if not c["flat"]):
        src = name if name in STATEMENTS else by.get(name, {}).get("db_row")
        print()
        if src not in STATEMENTS:
            log(f"{name} is not flat; it has no statement of its own to explain")
            continue
        plans[name] = explain(src)
        print(f"# {name} is not flat: EXPLAIN (ANALYZE, BUFFERS) of {src}'s statement "
              f"on the tenant of {NUSERS:,} users")
        print(plans[name])
    bad = sum(r["non2xx"] + r["socket_errors"] for r in table)
    return ({"load": info, "users_total": info["users"], "large_tenant": large,
             "large_tenant_users": NUSERS, "base_tenant_users": base_users,
             "rows": table, "compare": comp, "explain": plans, "healthz_rps": healthz,
             "psql_bulk_10000_ms": round(bulk_ms, 1),
             "targets": [{"target": w, "measured": g, "met": ok} for w, g, ok in checks]},
            bad, base_bad)


# --------------------------------------------------------------------------
# --workers-sweep: the rows by rosterd's worker count

WORKERS_SWEEP = [int(n) for n in ENV.get("BENCH_WORKERS_SWEEP", "").split(",") if n]
SWEEP_ROUNDS = 3
SWEEP_ROWS = ("healthz", "get_user", "create_v1_user", "account_003")


def worker_pids():
    return set(worker_rss())


def set_workers(n):
    """rosterd reloaded with `workers = n`; returns once n workers of the
    new generation run and none of the old one is left."""
    with open(CONF) as f:
        lines = [l for l in f.read().splitlines() if not re.match(r"\s*workers\s*=", l)]
    with open(CONF, "w") as f:
        f.write("\n".join([f"workers = {n}"] + lines) + "\n")
    old = worker_pids()
    os.kill(ROSTERD_PID, signal.SIGHUP)
    deadline = time.monotonic() + 120
    while True:
        now = worker_pids()
        if len(now) == n and not now & old:
            return
        if time.monotonic() > deadline:
            die(f"rosterd did not reload to {n} workers: {sorted(now)}")
        time.sleep(0.05)


def workers_sweep(specs):
    """Each row at 16 and 64 connections with each worker count in turn,
    SWEEP_ROUNDS rounds (the counts' order rotated each round); prints the
    median and range of each and writes bench/out/workers.json."""
    rows = [r for r in specs if ENV.get("BENCH_ONLY") or r["name"] in SWEEP_ROWS]
    rounds = 1 if SMOKE else SWEEP_ROUNDS
    got, bad = {}, 0
    for rd in range(rounds):
        k = rd % len(WORKERS_SWEEP)
        for n in WORKERS_SWEEP[k:] + WORKERS_SWEEP[:k]:
            set_workers(n)
            for row in rows:
                for conns in CONNS:
                    s = run_wrk(row, conns, token=row.get("token", True))
                    bad += s["status"] + s["socket_errors"]
                    got.setdefault((row["name"], conns, n), []).append(round(s["rps"], 1))
                    log(f"round {rd + 1}, {n} workers: {row['name']} at {conns}: "
                        f"{s['rps']:.1f} req/s")
    print()
    print(f"{'endpoint':24} {'conns':>5} " + " ".join(
        f"{str(n) + ' workers':>22}" for n in WORKERS_SWEEP) + "   best")
    out = []
    for row in rows:
        for conns in CONNS:
            med = {n: statistics.median(got[(row["name"], conns, n)]) for n in WORKERS_SWEEP}
            cells = []
            for n in WORKERS_SWEEP:
                v = got[(row["name"], conns, n)]
                cells.append(f"{med[n]:8.0f} ({min(v):.0f}-{max(v):.0f})".rjust(22))
            top = max(WORKERS_SWEEP, key=lambda n: med[n])
            print(f"{row['name']:24} {conns:5} " + " ".join(cells) + f"   {top}")
            out.append({"name": row["name"], "connections": conns,
                        "rps": {str(n): got[(row["name"], conns, n)] for n in WORKERS_SWEEP},
                        "median_rps": {str(n): med[n] for n in WORKERS_SWEEP},
                        "best_workers": top})
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "workers.json"), "w") as f:
        json.dump({"machine": machine(), "workers": WORKERS_SWEEP, "rounds": rounds,
                   "window_s": DURATION, "rows": out,
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                       timespec="seconds")}, f, indent=1)
        f.write("\n")
    print("wrote bench/out/workers.json")
    if bad:
        die(f"{bad} requests failed")


# --------------------------------------------------------------------------
# --cpu: where a row's CPU goes, against /healthz and pgbench on its statement

CPU = ENV.get("BENCH_CPU") == "1"
CPU_CONNS = 16
CPU_ROUNDS = 3
TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def cpu_sample():
    """(busy ticks of the whole machine, {group: ticks}, the waited-for
    children's CPU seconds): /proc/stat's busy time (all but idle and
    iowait), and each process's user and system time by group (postgres,
    rosterd, nginx), with what exited children left their parents (a
    pgbench run's backends end before the window does: the postmaster
    has their time); the children are wrk or pgbench."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = sum(v) - v[3] - v[4]
    groups = {"postgres": 0, "rosterd": 0, "nginx": 0, "pg_bg": 0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        g = "rosterd" if comm.startswith("rosterd") else comm
        if g in groups:
            f = st[st.rindex(")") + 2:].split()
            t = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
            groups[g] += t
            if g == "postgres" and pg_background(pid):
                groups["pg_bg"] += t
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, groups, ru.ru_utime + ru.ru_stime


PG_BACKGROUND = ("checkpointer", "background writer", "walwriter", "autovacuum",
                 "logical replication", "archiver")


def pg_background(pid):
    """Whether a postgres process is not a client's backend: the
    postmaster or one of its background processes, by its title.  The
    postmaster's time includes its exited children's: under rosterd,
    whose sessions last, autovacuum's workers; in a pgbench window, also
    the backends of the pgbench run that ended in it."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False
    if not title.startswith("postgres:"):
        return True
    return any(b in title for b in PG_BACKGROUND)


def cpu_window(run):
    """Runs run() (a wrk or pgbench window; it returns how many requests
    or transactions it completed and its rate) between two samples:
    {"rate", "cores" busy, and CPU microseconds per request by part}."""
    b0, g0, c0 = cpu_sample()
    t0 = time.monotonic()
    n, rate = run()
    b1, g1, c1 = cpu_sample()
    wall = time.monotonic() - t0
    if not n:
        return None
    per = {k: (g1[k] - g0[k]) * TICK_US / n for k in g0}
    per["client"] = (c1 - c0) * 1e6 / n
    per["total"] = (b1 - b0) * TICK_US / n
    per["rest"] = per["total"] - sum(per[k] for k in ("postgres", "rosterd", "nginx", "client"))
    return {"rate": rate, "cores": (b1 - b0) * TICK_US / 1e6 / wall, **per}


def cpu_median(ws):
    ws = [w for w in ws if w]
    return {k: statistics.median(w[k] for w in ws) for k in ws[0]} if ws else None


CPU_PARTS = ("client", "nginx", "rosterd", "postgres", "rest", "total")


def cpu_split(specs, d):
    """Each row with a statement at CPU_CONNS connections, /healthz at the
    same count and pgbench on the row's statement at the client count of
    its best rate, CPU_ROUNDS windows each in turn: the CPU each part of
    the machine spends per request, and what the row spends beyond a
    /healthz plus a pgbench transaction, part by part (bench/out/cpu.json).
    """
    rows = [r for r in specs if (r.get("stmt") or "scim_sql" in r)
            and CPU_CONNS in r.get("conns", CONNS)]
    set_log_statement(True)
    try:
        scripts = {r["name"]: pgbench_script(r, d) for r in rows if r.get("stmt")}
        scripts.update({r["name"]: scim_pgbench_script(r, d) for r in rows if "scim_sql" in r})
    finally:
        set_log_statement(False)

    def wrk(row, token):
        s = run_wrk(row, CPU_CONNS, token=token)
        if s["status"] or s["socket_errors"]:
            die(f"--cpu: {row['name']}: {s['status']} non-2xx, {s['socket_errors']} "
                f"socket errors")
        return s["requests"], s["rps"]

    def bench(script, clients):
        def run():
            tps = run_pgbench(*script, clients, next_base())
            return (_pgbench_done[0] if tps else 0), tps
        return run

    def together(script, clients):
        """/healthz and pgbench on the statement at the same time: what each
        costs when they share the cores, as a row's two halves do (the
        clients' CPU is one figure for both)."""
        b0, g0, c0 = cpu_sample()
        t0 = time.monotonic()
        pg = {}
        th = threading.Thread(target=lambda: pg.update(
            tps=run_pgbench(*script, clients, next_base()), n=_pgbench_done[0]))
        th.start()
        n, rate = wrk(HEALTHZ, False)
        th.join()
        b1, g1, c1 = cpu_sample()
        wall = time.monotonic() - t0
        if not n or not pg.get("n"):
            return None
        return {"rate": rate, "tps": pg["tps"], "cores": (b1 - b0) * TICK_US / 1e6 / wall,
                "http": (g1["nginx"] - g0["nginx"] + g1["rosterd"] - g0["rosterd"])
                * TICK_US / n,
                "postgres": ((b1 - b0) - sum(g1[k] - g0[k] for k in ("nginx", "rosterd")))
                * TICK_US / pg["n"] - (c1 - c0) * 1e6 / pg["n"]}

    out = []
    for row in rows:
        sw = sweep(*scripts[row["name"]])
        _, bc = best(sw)
        if bc is None:
            log(f"--cpu: {row['name']}: pgbench completed nothing; left out")
            continue
        got = {"row": [], "healthz": [], "pgbench": [], "together": []}
        for i in range(1 if SMOKE else CPU_ROUNDS):
            order = ["row", "healthz", "pgbench", "together"]
            for part in order[i % 4:] + order[:i % 4]:
                if part == "row":
                    w = cpu_window(lambda: wrk(row, row.get("token", True)))
                elif part == "healthz":
                    w = cpu_window(lambda: wrk(HEALTHZ, False))
                elif part == "pgbench":
                    w = cpu_window(bench(scripts[row["name"]], bc))
                else:
                    w = together(scripts[row["name"]], bc)
                got[part].append(w)
        m = {k: cpu_median(v) for k, v in got.items()}
        if None in m.values():
            log(f"--cpu: {row['name']}: a part completed nothing; left out")
            continue
        r, h, p, both = m["row"], m["healthz"], m["pgbench"], m["together"]
        # beyond one /healthz and one pgbench transaction, by part; the
        # load generators are one column (wrk for the row and /healthz,
        # pgbench for the statement)
        extra = {"client": r["client"] - h["client"] - p["client"],
                 "nginx": r["nginx"] - h["nginx"],
                 "rosterd": r["rosterd"] - h["rosterd"],
                 "postgres": r["postgres"] + r["rest"] - h["postgres"] - h["rest"]
                 - p["postgres"] - p["rest"]}
        limit = combined(h["rate"], p["rate"])
        # the row's rate were its CPU per request what a /healthz and a
        # pgbench transaction cost, each alone; each such rate is the
        # row's own scaled by the ratio of CPU a request (wrk's rate
        # leaves out its start and its connections, the CPU does not)
        at_sum = r["rate"] * r["total"] / (h["total"] + p["total"])
        # the same, with what /healthz's HTTP and the statement cost when
        # they ran together (CPU they take from each other's caches and
        # in the wake-ups between them)
        shared = r["rate"] * r["total"] / (h["total"] - h["nginx"] - h["rosterd"] + both["http"]
                                           + p["total"] - p["postgres"] - p["rest"]
                                           + both["postgres"])
        # rosterd's part no more than a /healthz's plus what pgbench's own
        # client spends on the statement (sending it, reading its answer)
        no_rosterd = r["rate"] * r["total"] / (r["total"] - max(extra["rosterd"], 0)
                                               + p["client"])
        rec = {"name": row["name"], "connections": CPU_CONNS, "pgbench_clients": bc,
               "row": r, "healthz": h, "pgbench": p, "beyond": extra, "together": both,
               "combined_limit_rps": round(limit, 1) if limit else None,
               "ratio_limit": round(r["rate"] / limit, 3) if limit else None,
               "rps_rosterd_as_healthz": round(no_rosterd, 1),
               "ratio_rosterd_as_healthz": round(no_rosterd / limit, 3) if limit else None,
               "rps_at_cpu_sum": round(at_sum, 1),
               "rps_at_cpu_sum_together": round(shared, 1),
               "ratio_cpu_sum_together": round(r["rate"] / shared, 3)}
        out.append(rec)
        log(f"--cpu: {row['name']}: {r['rate']:.0f} req/s ({rec['ratio_limit']} of its "
            f"limit), {r['total']:.0f} us of CPU a request")
    print()
    print(f"CPU per request at {CPU_CONNS} connections, microseconds (median of "
          f"{1 if SMOKE else CPU_ROUNDS} windows of {DURATION} s each, in turn); client is wrk "
          f"for the row and /healthz, pgbench for its statement; rest is the kernel's own "
          f"threads and interrupts (with a pgbench run's, whatever its exited backends did "
          f"not leave the postmaster)")
    hdr = (f"{'row':24} {'what':10} {'req/s':>8} {'cores':>5} "
           + " ".join(f"{k:>8}" for k in CPU_PARTS))
    print(hdr)
    print("-" * len(hdr))
    for rec in out:
        for what in ("row", "healthz", "pgbench"):
            w = rec[what]
            print(f"{rec['name'] if what == 'row' else '':24} "
                  f"{what if what != 'pgbench' else 'pgbench@' + str(rec['pgbench_clients']):10} "
                  f"{w['rate']:8.0f} {w['cores']:5.2f} "
                  + " ".join(f"{w[k]:8.1f}" for k in CPU_PARTS))
        b, h, p = rec["together"], rec["healthz"], rec["pgbench"]
        print(f"{'':24} {'together':10} {'':8} {b['cores']:5.2f} /healthz {b['rate']:.0f} req/s"
              f" and pgbench {b['tps']:.0f} tps at once: nginx and rosterd "
              f"{b['http']:.1f} us a /healthz (alone {h['nginx'] + h['rosterd']:.1f}), "
              f"PostgreSQL and the rest {b['postgres']:.1f} us a transaction "
              f"(alone {p['postgres'] + p['rest']:.1f})")
        e = rec["beyond"]
        print(f"{'':24} {'beyond':10} {'':8} {'':5} "
              + " ".join(f"{e[k]:8.1f}" if k in e else f"{'':8}" for k in CPU_PARTS[:-2])
              + f" {'':8} {sum(e.values()):8.1f}")
    print()
    print("limit: the combined limit of the rates alone; at h+p: the row's rate were its CPU a "
          "request a /healthz's and a transaction's, alone and (together) when they ran at "
          "once; rosterd as /healthz: the row's rate were "
          "rosterd's part of it no more than a /healthz's and pgbench's client's for the "
          "statement")
    print(f"{'row':24} {'req/s':>8} {'limit':>8} {'x lim':>6} {'at h+p':>8} "
          f"{'together':>8} {'x tog':>6} {'rosterd as /healthz':>20} {'x lim':>6}")
    for rec in out:
        print(f"{rec['name']:24} {rec['row']['rate']:8.0f} "
              f"{fmt(rec['combined_limit_rps'], '8.0f')} {fmt(rec['ratio_limit'], '6.3f')} "
              f"{rec['rps_at_cpu_sum']:8.0f} {rec['rps_at_cpu_sum_together']:8.0f} "
              f"{rec['ratio_cpu_sum_together']:6.3f} {rec['rps_rosterd_as_healthz']:20.0f} "
              f"{fmt(rec['ratio_rosterd_as_healthz'], '6.3f')}")
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "cpu.json"), "w") as f:
        json.dump({"machine": machine(), "connections": CPU_CONNS,
                   "rounds": 1 if SMOKE else CPU_ROUNDS, "window_s": DURATION, "rows": out,
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                       timespec="seconds")}, f, indent=1)
        f.write("\n")
    print("wrote bench/out/cpu.json")


def main():
    started = time.monotonic()
    load()
    d = data_files()
    rss0 = worker_rss()
    specs = select(rows(d), SCALE_USERS)
    if WORKERS_SWEEP:
        workers_sweep(specs)
        return
    if CPU:
        cpu_split(specs, d)
        return
    table, bulk_ms, base_bad, healthz = measure(specs, d)

    rss1 = worker_rss()
    served = sum(r["requests"] for r in table)

    # The soak: the main endpoints in turn until SOAK requests are served.
    soak_rows = [r for r in specs if r["name"] in
                 ("create_org_user", "get_user", "healthz", "security_group_user_000",
                  "invite_001", "member_page_1000", "bulk_add_100")]
    soaked, soak_bad, t_soak = 0, 0, time.monotonic()
    while soak_rows and soaked < SOAK:
        for row in soak_rows:
            conns = 16 if row["name"] in ("member_page_1000", "bulk_add_100") else 64
            s = run_wrk(row, conns, token=row.get("token", True))
            soaked += s["requests"]
            soak_bad += s["status"] + s["socket_errors"]
            if soaked >= SOAK:
                break
    rss2 = worker_rss()
    if soaked:
        log(f"soak: {soaked} requests in {time.monotonic() - t_soak:.0f} s, "
            f"{soak_bad} failed")
    print()
    print_table(table)
    print()
    print(f"worker RSS (KiB) at the start: {sorted(rss0.values())}  after the table: "
          f"{sorted(rss1.values())}  ({served} requests)")
    if soaked:
        print(f"worker RSS (KiB) after the soak: {sorted(rss2.values())}  ({soaked} more "
              f"requests)")
    bad = sum(r["non2xx"] + r["socket_errors"] for r in table) + soak_bad + base_bad
    print(f"non-2xx responses and socket errors: {bad}"
          + (f" ({base_bad} of them nginx's return 200)" if base_bad else ""))

    def row_of(name, conns):
        return next((r for r in table if r["name"] == name and r["connections"] == conns), None)
    checks = []
    c64, c16 = row_of("create_org_user", 64), row_of("create_org_user", 16)
    if c64 and c64["ratio"]:
        checks.append(("create_org_user at 64 connections >= 0.85 x pgbench's best",
                       f"{c64['ratio']:.3f}", c64["ratio"] >= 0.85))
    if c16:
        q = c16["p99_ms"] / c16["p50_ms"] if c16["p50_ms"] else 0
        checks.append(("create_org_user at 16: p99 <= 3 x p50", f"{q:.2f} x", q <= 3))
    for conns in CONNS:
        h = row_of("healthz", conns)
        if h and h["ratio"]:
            checks.append((f"healthz at {conns} >= 0.5 x nginx return 200",
                           f"{h['ratio']:.3f}", h["ratio"] >= 0.5))
    for conns in CONNS:
        for name in ("create_v1_user_apitoken", "create_v1_user_rs256"):
            k = row_of(name, conns)
            if k and k["ratio"]:
                checks.append((f"{name} at {conns} >= 0.95 x create_v1_user",
                               f"{k['ratio']:.3f}", k["ratio"] >= 0.95))
        i = row_of("create_v1_user_idem", conns)
        if i and i["ratio"]:
            # beside it, its statement's rate against the plain one's
            # under pgbench: what PostgreSQL alone allows the keyed form
            checks.append((f"create_v1_user_idem at {conns} >= 0.9 x create_v1_user",
                           f"{i['ratio']:.3f}" + (f" (rounds {i['pair_ratio']:.3f})"
                                                  if i.get("pair_ratio") else "") +
                           (f" (statements {i['stmt_ratio']:.3f})"
                            if i.get("stmt_ratio") else ""),
                           i["ratio"] >= 0.9))
    b1 = row_of("bulk_add_10000", 1)
    if b1:
        q = b1["p50_ms"] / bulk_ms
        checks.append(("bulk_add_10000 alone <= 1.5 x psql and < 1 s",
                       f"{b1['p50_ms']:.0f} ms = {q:.2f} x psql ({bulk_ms:.0f} ms)",
                       q <= 1.5 and b1["p50_ms"] < 1000))
    p1 = row_of("member_page_1000", 1)
    if p1:
        checks.append(("member_page_1000 p50 <= 20 ms (1 connection)",
                       f"{p1['p50_ms']:.2f} ms", p1["p50_ms"] <= 20))
    checks += page_target(table)
    for name in FLOOD_MEASURED:
        f = row_of(f"flood:{name}", FLOOD_CONNS_MEASURED)
        if f and f["ratio"]:
            checks.append((f"{name} under the anonymous flood >= {FLOOD_TARGET} x unloaded",
                           f"{f['ratio']:.3f}", f["ratio"] >= FLOOD_TARGET))
    if soaked and rss1 and rss2:
        grow = max(rss2.get(p, 0) - v for p, v in rss1.items())
        checks.append((f"worker RSS flat within 1 MiB over {soaked} requests",
                       f"{grow:+d} KiB (largest change)", abs(grow) <= 1024))
    checks += limit_targets(table)
    print()
    print_targets(checks)
    no_limit = sorted({r["name"] for r in table if r["connections"] in LIMIT_CONNS
                       and r.get("ratio_limit") is None and r["name"] != "healthz"})
    if no_limit:
        print(f"(no combined limit, no pgbench sample of their statement: {', '.join(no_limit)})")

    doc = {"machine": machine(), "rows": table,
           "psql_bulk_10000_ms": round(bulk_ms, 1),
           "pgbench_sweep": {"clients": [CONNS[0]] if SMOKE else list(SWEEP_CONNS),
                             "seconds": None if SMOKE else SWEEP_SECS,
                             "transactions_per_client": SMOKE_TRANSACTIONS if SMOKE else None},
           "healthz_rps": healthz,
           "worker_rss_kib": {"start": sorted(rss0.values()), "after_table": sorted(rss1.values()),
                              "after_soak": sorted(rss2.values())},
           "requests": served, "soak_requests": soaked,
           "targets": [{"target": w, "measured": g, "met": ok} for w, g, ok in checks],
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    if SCALE_USERS:
        doc["scale"], sbad, sbase = scale_phase(table, specs)
        bad += sbad
        print(f"non-2xx responses and socket errors at scale: {sbad}"
              + (f" ({sbase} of nginx's return 200 besides)" if sbase else ""))
        bad += sbase
    doc["elapsed_s"] = round(time.monotonic() - started, 1)
    os.makedirs(OUT_DIR, exist_ok=True)
    # a partial run (--only) does not replace the last whole one
    name = "smoke.json" if SMOKE else "partial.json" if ENV.get("BENCH_ONLY") else "latest.json"
    with open(os.path.join(OUT_DIR, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    if name == "latest.json":
        stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
        with open(os.path.join(OUT_DIR, f"run-{stamp}.json"), "w") as f:
            json.dump(doc, f, indent=1)
    print(f"wrote bench/out/{name} ({time.monotonic() - started:.0f} s)")
    if bad:
        die(f"{bad} requests failed")


if __name__ == "__main__":  # bench/pooler.py imports it
    main()
