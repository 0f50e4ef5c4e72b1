#!/usr/bin/python3
"""bench/callgrind.py: the measuring half of bench/run --callgrind.

rosterd runs one worker under valgrind --tool=callgrind with
--dump-before=FCGX_Accept_r, so the worker writes one profile part per
request: the instructions it executed from one FCGX_Accept_r to the next
(libfcgi reading the request, the request, the answer, the poll loop
until the next one).  The same /v1 create is sent one request at a time,
in batches, one batch per way of authenticating, in ROUNDS rounds, and each
batch's parts are read: instruction counts, which do not depend on what
else the machine does.

  hs256 cached      one HS256 token (rosterctl token) for every request
  hs256 uncached    a new HS256 token for every request (exp differs)
  rs256 cached      one RS256 token (bench/rs256.py, RSA-2048, kid)
  rs256 uncached    a new RS256 token for every request
  rs256 1500 cached one RS256 token padded to 1,500 bytes with a scope
                    claim, as long as an IdP's often are
  apitoken cached   one API token (rosterctl api-token create)
  apitoken uncached a new API token for every request (its first use:
                    looked up in PostgreSQL)

Then, the same way, one request of each other kind the bench's table has
a combined limit for, all with the cached HS256 token: the /v1 create
again (the reference), the same with a new Idempotency-Key, seed 000's security group user (the vendor page's
sample body of 42 members, but its Password and PinCode, which would
measure Argon2), seed 003's account, seed 004's organization user with two
roles, the /v1 user read, /healthz, and a SCIM page of 100 users (an
API token; each user in three groups).

A part is written when FCGX_Accept_r is entered, so it holds the request
before: a batch's parts are its requests but the last, and the request
before them, of its own kind (each batch starts with WARMUP requests that
are not counted).  A part holding no request (FCGX_Accept_r on a
connection nginx closed) is left out.  The worker's pauses between batches
(its poll loop's ticks) fall into one part each; the median is not moved
by them.  Prints a table (median, mean, min and max instructions per
request; the median request's instructions under jwt_verify_cached or
apitoken_verify_req, inclusive; each round's median) and writes
bench/out/callgrind.json, the second table under "requests".  PostgreSQL's
own work is not counted: only the worker's (its side of libpq included).
Only the standard library, and psql to make the seed requests' group and
user; run by bench/run, which sets the environment.
"""

import datetime
import glob
import http.client
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid

ENV = os.environ
REPO = ENV["BENCH_REPO"]
BUILD = ENV["BENCH_BUILD"]
TMP = ENV["BENCH_TMP"]
CONF = ENV["BENCH_CONF"]
URL = ENV["BENCH_URL"]
TENANT = ENV["BENCH_TENANT"]
TOKEN = ENV["BENCH_TOKEN"]
RS256_TOKEN = ENV["BENCH_RS256_TOKEN"]
RS_ISS = ENV["BENCH_RS_ISS"]
CG_DIR = ENV["BENCH_CG_DIR"]
PG_BIN = ENV["BENCH_PG_BIN"]
PG_DIR = ENV["BENCH_PG_DIR"]
PG_PORT = ENV["BENCH_PG_PORT"]
N = int(ENV.get("BENCH_CG_REQUESTS", "100"))
WARMUP = 10
# The batches run in this many rounds, the order of the kinds rotated each
# round: the worker's state (its heap above all) drifts as requests go by,
# by a percent or two over a run, and the rotation spreads that over every
# kind alike.
ROUNDS = 4
SETTLE_DEADLINE = 300  # seconds; only a guard against a hang
OUT_DIR = os.path.join(REPO, "bench", "out")
PYTHON = sys.executable

_host, _port = URL.split("//", 1)[1].rsplit(":", 1)
TLS = ssl.create_default_context(cafile=os.path.join(TMP, "tls", "cert.pem"))
_seq = [0]


def log(msg):
    print(f"# {msg}", flush=True)


def die(msg):
    print(f"callgrind: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(args):
    r = subprocess.run(args, capture_output=True)
    if r.returncode != 0:
        die(f"{' '.join(args[:3])}...: {r.stderr.decode(errors='replace')[-1000:]}")
    return r.stdout.decode()


def psql(sql):
    return run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", PG_DIR, "-p", PG_PORT, "-U", "rosterd", "-d", "rosterd", "-c", sql])


def hs256_tokens(n):
    return [run([os.path.join(BUILD, "rosterctl"), "-c", CONF, "token", "--sub", "bench",
                 "--tid", TENANT, "--roles", "SystemAdmin", "--ttl", str(86400 + i)]).strip()
            for i in range(n)]


def rs256_tokens(n, size=0):
    out = run([PYTHON, os.path.join(REPO, "bench", "rs256.py"), "token",
               os.path.join(TMP, "rs256"), RS_ISS, "rosterd", "bench", TENANT, "SystemAdmin",
               "86400", str(n), str(size)]).split("\n")
    out = [t for t in out if t]
    if len(out) != n:
        die(f"rs256.py printed {len(out)} tokens, not {n}")
    return out


def api_tokens(n):
    return [run([os.path.join(BUILD, "rosterctl"), "-c", CONF, "api-token", "create",
                 "--tenant", TENANT, "--name", f"callgrind-{_seq[0]}-{i}",
                 "--role", "TenantAdmin"]).strip() for i in range(n)]


class Client:
    """One kept HTTPS connection to nginx."""

    def __init__(self):
        self.c = http.client.HTTPSConnection(_host, int(_port), context=TLS, timeout=300)

    def send(self, method, path, body=None, token=TOKEN, ok=(200,), headers=None):
        h = {"Authorization": "Bearer " + token}
        h.update(headers or {})
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        if r.status not in ok:
            die(f"{method} {path}: {r.status} {data[:300]!r}")

    def create(self, token, key=False):
        """The /v1 create; with key, under a new Idempotency-Key (of the
        same length for every request)."""
        u = name()
        self.send("POST", f"/v1/tenants/{TENANT}/users",
                  {"username": u, "email": f"{u}@example.com", "firstName": "Bench"},
                  token, (201,), {"Idempotency-Key": "k-" + u} if key else None)


def name():
    """A new user name, of the same length for every request (a longer
    name costs more)."""
    _seq[0] += 1
    return f"cg{os.getpid():07d}x{_seq[0]:07d}"


def request_kinds(c):
    """[(kind, send one request)] of the second table."""
    sg = str(uuid.uuid4())
    psql(f"INSERT INTO groups (tenant_id, id, kind, code, name, created_by) VALUES "
         f"('{TENANT}', '{sg}', 'security', 'cg', 'Callgrind', 'bench')")
    roles = dict(line.split("|") for line in psql(
        f"SELECT name, id FROM roles WHERE tenant_id = '{TENANT}'").splitlines())
    uid = psql(f"INSERT INTO users (tenant_id, id, username, email, created_by) VALUES "
               f"('{TENANT}', gen_random_uuid(), 'cg-read', 'cg-read@example.com', 'bench') "
               "RETURNING id").split()[0]
    with open(os.path.join(REPO, "tests", "http", "fixtures", "seed000_request.json")) as f:
        s000 = json.load(f)
    for k in ("Password", "PinCode"):
        s000.pop(k)

    def seed000():
        c.send("POST", "/Application/PostSecurityGroupUsers",
               dict(s000, ID=str(uuid.uuid4()), UserName=name(), SecurityGroupID=sg,
                    RoleID=roles["Member"], CompanyRoleID=roles["Administrator"]), ok=(200,))

    def seed003():
        c.send("POST", "/api/users", {"email": name() + "@example.com", "verified": True,
                                      "timeZone": "UTC"}, ok=(200,))

    def seed004():
        u = name()
        c.send("POST", f"/api/organizations/{TENANT}/users",
               {"Username": u, "Email": u + "@example.com", "FirstName": "Bench",
                "LastName": "User", "Roles": [{"Name": "Administrator"}, {"Name": "Member"}]})

    # A SCIM page of 100 users, each in three groups (an API token, as
    # SCIM clients use): a URL for every user and group reference
    gids = psql(f"INSERT INTO groups (tenant_id, id, kind, code, name, created_by) "
                f"SELECT '{TENANT}', gen_random_uuid(), 'security', 'cgs' || i, "
                f"'Callgrind ' || i, 'bench' FROM generate_series(1, 3) AS i "
                f"RETURNING id").split()
    psql(f"WITH u AS (INSERT INTO users (tenant_id, id, username, email, created_by) "
         f"SELECT '{TENANT}', gen_random_uuid(), 'cgp' || lpad(i::text, 3, '0'), "
         f"'cgp' || i || '@example.com', 'bench' FROM generate_series(1, 100) AS i "
         f"RETURNING id) INSERT INTO group_members (tenant_id, group_id, user_id, added_by) "
         f"SELECT '{TENANT}', g, u.id, 'bench' FROM u, "
         f"unnest('{{{','.join(gids)}}}'::uuid[]) AS g")
    scim_token = api_tokens(1)[0]
    scim_page = "/scim/v2/Users?count=100&filter=" + urllib.parse.quote('userName sw "cgp"')

    return [("v1 create", lambda: c.create(TOKEN)),
            ("v1 create, new key", lambda: c.create(TOKEN, key=True)),
            ("seed 000", seed000),
            ("seed 003", seed003), ("seed 004", seed004),
            ("v1 user read", lambda: c.send("GET", f"/v1/tenants/{TENANT}/users/{uid}")),
            ("healthz", lambda: c.send("GET", "/healthz")),
            ("scim page of 100", lambda: c.send("GET", scim_page, token=scim_token))]


def parts(pid):
    """The worker's profile parts so far, in order."""
    fs = glob.glob(os.path.join(CG_DIR, f"cg.{pid}.*"))
    return sorted(fs, key=lambda f: int(f.rsplit(".", 1)[1]))


def settle(pid, want):
    """Waits until the worker has written at least want parts and no more
    come for a second; returns them."""
    deadline = time.monotonic() + SETTLE_DEADLINE
    last, since = -1, time.monotonic()
    while True:
        ps = parts(pid)
        if len(ps) != last:
            last, since = len(ps), time.monotonic()
        elif len(ps) >= want and time.monotonic() - since >= 1.0:
            return ps
        if time.monotonic() > deadline:
            die(f"the worker wrote {len(ps)} profile parts, {want} expected")
        time.sleep(0.1)


SUMMARY_RE = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.M)


def instructions(path):
    with open(path, "rb") as f:
        m = SUMMARY_RE.search(f.read())
    if m is None:
        die(f"{path}: no summary line")
    return int(m.group(1))


AUTH_FUNCS = ("jwt_verify_cached", "apitoken_verify_req")


def auth_instructions(path):
    """Instructions under the authentication entry points, inclusive."""
    out = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path])
    got = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*?\b(" + "|".join(AUTH_FUNCS) + r")\b", line)
        if m and m.group(2) not in got:
            got[m.group(2)] = int(m.group(1).replace(",", ""))
    return sum(got.values())


def worker_pid():
    """The worker: the process whose profile has parts (one per request)."""
    kinds = {}
    for f in glob.glob(os.path.join(CG_DIR, "cg.*.*")):
        pid = f.split("cg.", 1)[1].split(".")[0]
        kinds[pid] = kinds.get(pid, 0) + 1
    if not kinds:
        return None
    return max(kinds, key=kinds.get)


def measure(pid, kinds, per):
    """Each kind's requests in ROUNDS rounds, the kinds' order rotated each
    round: WARMUP requests, then per counted ones, of each kind in turn.
    Returns the table's rows."""
    pooled = {name: [] for name, _ in kinds}
    rounds = {name: [] for name, _ in kinds}
    parts_of = {name: [] for name, _ in kinds}
    skipped = {name: 0 for name, _ in kinds}
    for r in range(ROUNDS):
        for name, send in kinds[r % len(kinds):] + kinds[:r % len(kinds)]:
            have = len(settle(pid, 0))
            for _ in range(WARMUP):
                send()
            have = len(settle(pid, have + WARMUP))
            for _ in range(per):
                send()
            ps = settle(pid, have + per)[have:]
            every = [instructions(p) for p in ps]
            # A part far below the rest holds no request: FCGX_Accept_r
            # found none on its connection (nginx closed it).
            cut = statistics.median(every) / 4
            got = [(p, n) for p, n in zip(ps, every) if n >= cut]
            skipped[name] += len(every) - len(got)
            pooled[name] += [n for _, n in got]
            parts_of[name] += got
            rounds[name].append(int(statistics.median(n for _, n in got)))
        log(f"round {r + 1} of {ROUNDS}: " +
            ", ".join(f"{name} {rounds[name][-1]}" for name, _ in kinds))
    table = []
    for name, _ in kinds:
        counts = pooled[name]
        med = statistics.median(counts)
        median_part = min(parts_of[name], key=lambda pn: abs(pn[1] - med))[0]
        table.append({"kind": name, "requests": len(counts),
                      "parts_without_request": skipped[name], "median": int(med),
                      "mean": round(statistics.mean(counts)), "min": min(counts),
                      "max": max(counts), "round_medians": rounds[name],
                      "auth_median_request": auth_instructions(median_part)})
    return table


def print_table(table, ref_kind):
    ref = next(r for r in table if r["kind"] == ref_kind)["median"]
    print()
    hdr = (f"{'kind':<18} {'median Ir/req':>13} {'vs ' + ref_kind:>15} {'mean':>10} "
           f"{'min':>10} {'max':>11} {'auth Ir':>9}  round medians")
    print(hdr)
    print("-" * len(hdr))
    for r in table:
        print(f"{r['kind']:<18} {r['median']:>13,} {r['median'] / ref:>15.3f} "
              f"{r['mean']:>10,} {r['min']:>10,} {r['max']:>11,} "
              f"{r['auth_median_request']:>9,}  "
              f"{' '.join(str(x) for x in r['round_medians'])}")


def main():
    started = time.monotonic()
    c = Client()
    # The first requests: the worker's first parts tell its pid.
    for _ in range(3):
        c.create(TOKEN)
    deadline = time.monotonic() + SETTLE_DEADLINE
    while (pid := worker_pid()) is None:
        if time.monotonic() > deadline:
            die(f"no profile part in {CG_DIR}")
        time.sleep(0.1)
    log(f"worker {pid}")

    per = max(1, N // ROUNDS)
    k = ROUNDS * (WARMUP + per)
    log(f"minting tokens ({k} of each kind that changes per request)")
    api = api_tokens(k + 1)
    auth = [("hs256 cached", [TOKEN] * k), ("hs256 uncached", hs256_tokens(k)),
            ("rs256 cached", [RS256_TOKEN] * k), ("rs256 uncached", rs256_tokens(k)),
            ("rs256 1500 cached", rs256_tokens(1, 1500) * k),
            ("apitoken cached", [api[0]] * k), ("apitoken uncached", api[1:])]
    # each kind's tokens in order, WARMUP + per of them a round
    table = measure(pid, [(name, (lambda it: lambda: c.create(next(it)))(iter(toks)))
                          for name, toks in auth], per)
    print_table(table, "hs256 cached")
    log("the other kinds of request, with the cached HS256 token")
    requests = measure(pid, request_kinds(c), per)
    print_table(requests, "v1 create")
    doc = {"requests_per_kind": per * ROUNDS, "rounds": ROUNDS, "warmup": WARMUP,
           "rows": table, "requests": requests,
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "elapsed_s": round(time.monotonic() - started, 1)}
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "callgrind.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote bench/out/callgrind.json ({time.monotonic() - started:.0f} s)")


main()
