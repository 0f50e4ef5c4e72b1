#!/usr/bin/python3
"""rosterd with db_read_conninfo: GETs on a real streaming standby, with
read-your-writes by the WAL position (Rosterd-LSN) a write's answer carries.

Run by tests/replica/run, which prepares the primary, the standby, nginx and
the configuration and passes them in RT_* variables (those of
tests/http/run, plus RT_STANDBY_DIR and RT_STANDBY_PORT). Uses the helpers of
tests/http/test_api.py (imported: its own tests do not run). Staleness is
made deterministic by pausing the standby's replay (pg_wal_replay_pause()),
never by sleeping: what the standby has is then known, and the test waits
for replay conditions (polled, with deadlines that only guard against a
hang). Prints "ok - name" or "not ok - name: reason" per test and last
"N passed, N failed".
"""

import os
import re
import subprocess
import sys
import traceback
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "http"))
import test_api as T  # noqa: E402

SB_DIR = os.environ["RT_STANDBY_DIR"]
SB_PORT = os.environ["RT_STANDBY_PORT"]
LSN_RE = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def sql(where, text):
    """Runs text as the superuser on "primary" or "standby"; the output lines."""
    d, port = (T.PG_DIR, T.PG_PORT) if where == "primary" else (SB_DIR, SB_PORT)
    p = subprocess.run(
        [os.path.join(T.PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-h", d, "-p", port, "-U", "postgres", "-d", "rosterd"],
        input=text, capture_output=True, text=True, timeout=60 * T.TIME_SCALE)
    if p.returncode != 0:
        raise T.Fail(f"psql on the {where}: {p.stderr.strip()} (SQL: {text.strip()})")
    return [l for l in p.stdout.splitlines() if l != ""]


def pause_replay():
    sql("standby", "SELECT pg_wal_replay_pause()")
    T.wait_until(lambda: sql("standby", "SELECT pg_get_wal_replay_pause_state()")
                 == ["paused"], "the standby's replay is paused")


def resume_replay():
    sql("standby", "SELECT pg_wal_replay_resume()")


def replayed(lsn):
    """Whether the standby has replayed WAL position lsn."""
    return sql("standby", f"SELECT pg_last_wal_replay_lsn() >= {T.lit(lsn)}::pg_lsn") == ["t"]


def reads():
    """rosterd_db_reads_total by (served_by, reason)."""
    fams = T.scrape()
    check = T.check
    check("rosterd_db_reads" in fams, f"no rosterd_db_reads_total in /metrics: {sorted(fams)}")
    return {(s.labels["served_by"], s.labels["reason"]): s.value
            for s in fams["rosterd_db_reads"].samples if s.name.endswith("_total")}


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def user_path(uid=None):
    return f"/tenants/{T.TENANT_A}/users" + (f"/{uid}" if uid else "")


def create_user(**kw):
    """POST a v1 user (kw: request() options); returns (user, Rosterd-LSN)."""
    body = {"username": T.unique("rr"), "email": T.unique("rr") + "@example.com"}
    r = T.v1("POST", user_path(), body, **kw)
    T.eq(r.status, 201, f"create user ({r!r})")
    lsn = r.header("Rosterd-LSN")
    T.check(lsn is not None and LSN_RE.match(lsn),
            f"the write's answer carries its WAL position: Rosterd-LSN {lsn!r}")
    return r.json(), lsn


@test
def replica_stale_read_then_read_your_writes():
    """Replay paused: a write's answer carries Rosterd-LSN; a GET without it
    is served by the standby and does not see the write; the same GET with
    it is served by the primary and does; once the standby has replayed
    past it, the standby serves it and sees the write. Also for a write with
    an Idempotency-Key (one transaction, committed by a pipeline's Sync)."""
    pause_replay()
    try:
        u, lsn = create_user()
        ki, klsn = create_user(headers={"Idempotency-Key": "rr-" + uuid.uuid4().hex})
        T.check(not replayed(lsn) and not replayed(klsn),
                "the standby, paused, has not replayed the writes")
        primary = sql("primary", f"SELECT pg_current_wal_insert_lsn() >= {T.lit(klsn)}::pg_lsn"
                      f" AND {T.lit(klsn)}::pg_lsn >= {T.lit(lsn)}::pg_lsn")
        T.eq(primary, ["t"], f"the positions {lsn} and {klsn} are the primary's, in order")
        for user, pos in ((u, lsn), (ki, klsn)):
            before = reads()
            r = T.v1("GET", user_path(user["id"]))
            T.problem(r, 404)
            T.eq(delta(before, reads()), {("replica", "no_lsn"): 1},
                 "a GET without Rosterd-LSN: the standby served it (stale)")
            before = reads()
            r = T.v1("GET", user_path(user["id"]), headers={"Rosterd-LSN": pos})
            T.eq(r.status, 200, f"GET with Rosterd-LSN {pos} ({r!r})")
            T.eq(r.json()["username"], user["username"], "the user written")
            T.eq(delta(before, reads()), {("primary", "behind"): 1},
                 "a GET with a position the standby has not replayed: the primary")
            T.check(r.header("Rosterd-LSN") is None, "a read's answer carries no position")
    finally:
        resume_replay()
    T.wait_until(lambda: replayed(klsn), f"the standby replays past {klsn}")
    for user, pos in ((u, lsn), (ki, klsn)):
        before = reads()
        r = T.v1("GET", user_path(user["id"]), headers={"Rosterd-LSN": pos})
        T.eq(r.status, 200, f"GET with Rosterd-LSN {pos} once replayed ({r!r})")
        T.eq(r.json()["username"], user["username"], "the user written")
        T.eq(delta(before, reads()), {("replica", "replayed"): 1},
             "a GET with a position the standby has replayed: the standby")


@test
def replica_replayed_answer_carries_a_position():
    """A retry with the same Idempotency-Key gets the first answer, and with
    it a Rosterd-LSN at or past the first one's: a client whose first answer
    was lost reads its write afterwards, standby or not."""
    key = "rr-" + uuid.uuid4().hex
    body = {"username": T.unique("rr"), "email": T.unique("rr") + "@example.com"}
    first = T.v1("POST", user_path(), body, headers={"Idempotency-Key": key})
    T.eq(first.status, 201, f"create user ({first!r})")
    lsn = first.header("Rosterd-LSN")
    again = T.v1("POST", user_path(), body, headers={"Idempotency-Key": key})
    T.eq((again.status, again.header("Idempotent-Replayed")), (201, "true"),
         f"the same request again: the stored answer ({again!r})")
    pos = again.header("Rosterd-LSN")
    T.check(pos is not None and LSN_RE.match(pos),
            f"the replayed answer carries a WAL position: Rosterd-LSN {pos!r}")
    T.eq(sql("primary", f"SELECT {T.lit(pos)}::pg_lsn >= {T.lit(lsn)}::pg_lsn"), ["t"],
         f"the replayed answer's position {pos} is at or past the first's {lsn}")


@test
def replica_list_without_lsn_is_the_standbys():
    """A list GET without Rosterd-LSN reads the standby: while its replay is
    paused, a user created since is not in the list; with the position it
    is."""
    pause_replay()
    try:
        u, lsn = create_user()
        r = T.v1("GET", user_path() + "?limit=1000&username=" + u["username"])
        T.eq(r.status, 200, f"list ({r!r})")
        T.check(u["id"] not in r.body.decode(), "the standby's list lacks the new user")
        r = T.v1("GET", user_path() + "?limit=1000&username=" + u["username"],
                 headers={"Rosterd-LSN": lsn})
        T.eq(r.status, 200, f"list with Rosterd-LSN ({r!r})")
        T.check(u["id"] in r.body.decode(), "with the position, the list has the new user")
    finally:
        resume_replay()


@test
def replica_scim_search_by_post_reads_the_primary():
    """SCIM's POST .../.search is a read but runs on the primary: with the
    standby's replay paused, a user made through SCIM is found by it at
    once, and no read is counted; the same filter by GET (no position)
    reads the standby and does not find it. The SCIM write's answer
    carries its position too."""
    T._scim_token(T.TENANT_A)  # made before the pause: not part of the test
    pause_replay()
    try:
        name = T.unique("rrscim") + "@example.com"
        r = T._scim("POST", "/Users", T._scim_user_body(name))
        T.eq(r.status, 201, f"SCIM create ({r!r})")
        pos = r.header("Rosterd-LSN")
        T.check(pos is not None and LSN_RE.match(pos) and not replayed(pos),
                f"the SCIM write's position, not replayed: {pos!r}")
        before = reads()
        r = T._scim("POST", "/Users/.search", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": f'userName eq "{name}"'})
        T.eq(r.status, 200, f"POST /Users/.search ({r!r})")
        T.eq(r.json().get("totalResults"), 1, f"found on the primary: {r.json()}")
        T.eq(delta(before, reads()), {}, "POST .search is no read of the standby")
        r = T._scim("GET", "/Users?filter=" + T._scim_q(f'userName eq "{name}"'))
        T.eq(r.status, 200, f"GET /Users?filter ({r!r})")
        T.eq(r.json().get("totalResults"), 0, f"the standby has it not: {r.json()}")
        T.eq(delta(before, reads()), {("replica", "no_lsn"): 1}, "GET read the standby")
    finally:
        resume_replay()


@test
def replica_revoked_api_token_refused_at_once():
    """With the standby's replay paused, an API token revoked on the primary
    is refused (401) by the next request, the GET of the token says it is
    revoked (its routes read the primary), and before the revocation the
    token's reads were served."""
    pause_replay()
    try:
        t = T._apit_create()
        r = T.v1("GET", user_path() + "?limit=1", token=t["token"])
        T.eq(r.status, 200, f"the new API token reads ({r!r})")
        r = T.v1("DELETE", f"/tenants/{T.TENANT_A}/api-tokens/{t['id']}")
        T.eq(r.status, 204, f"revoke ({r!r})")
        pos = r.header("Rosterd-LSN")
        T.check(pos is not None and LSN_RE.match(pos), f"the revocation's position: {pos!r}")
        T.check(not replayed(pos), "the standby has not replayed the revocation")
        for _ in range(2 * T.WORKERS):
            r = T.v1("GET", user_path() + "?limit=1", token=t["token"])
            T.eq(r.status, 401, f"the revoked token, at once ({r!r})")
        r = T.v1("GET", f"/tenants/{T.TENANT_A}/api-tokens/{t['id']}")
        T.eq(r.status, 200, f"GET the token ({r!r})")
        T.eq((r.json()["state"], bool(r.json()["revokedAt"])), ("revoked", True),
             f"the token reads as revoked: {r.json()}")
    finally:
        resume_replay()


@test
def replica_malformed_lsn_header_400():
    """A Rosterd-LSN that is no WAL position: 400 in the route's dialect,
    naming the header; no handler ran."""
    for bad in ("zzz", "0/", "/0", "0/16B3748/1", "123456789/0", "0x1/2", "-1/2", "0/1 x",
                "+1/2", "1/+2"):
        before = reads()
        r = T.v1("GET", user_path(), headers={"Rosterd-LSN": bad})
        T.eq(r.status, 400, f"Rosterd-LSN {bad!r} ({r!r})")
        T.problem(r, 400)
        T.check("Rosterd-LSN" in r.body.decode(), f"the problem names the header: {r!r}")
        T.eq(delta(before, reads()), {}, f"no read ran for {bad!r}")
    r = T.request("GET", "/scim/v2/Users", token=T.py_token(roles=("TenantAdmin",)),
                  headers={"Rosterd-LSN": "nope"})
    T.eq(r.status, 400, f"SCIM ({r!r})")
    b = r.json()
    T.eq(b.get("schemas"), ["urn:ietf:params:scim:api:messages:2.0:Error"], "SCIM error shape")
    T.check("Rosterd-LSN" in b.get("detail", ""), f"the SCIM error names the header: {b}")
    r = T.v1("GET", user_path() + "?limit=1", headers={"Rosterd-LSN": "0/0"})
    T.eq(r.status, 200, f"the smallest position is one ({r!r})")


@test
def replica_stopped_reads_served_by_the_primary():
    """The standby stopped: GETs still 200 (the primary answers: a fallback,
    then the back-off of db_read_retry_ms), writes still 201 with their
    position, and a GET with it sees the write. Runs last: it stops the
    standby, and starts it again."""
    subprocess.run([os.path.join(T.PG_BIN, "pg_ctl"), "-D", os.path.join(SB_DIR, "data"),
                    "-m", "immediate", "-w", "stop"] if os.geteuid() != 0 else
                   ["runuser", "-u", T.PG_USER, "--", os.path.join(T.PG_BIN, "pg_ctl"),
                    "-D", os.path.join(SB_DIR, "data"), "-m", "immediate", "-w", "stop"],
                   check=True, capture_output=True, cwd="/", timeout=120 * T.TIME_SCALE)
    try:
        before = reads()
        for _ in range(2 * T.WORKERS + 2):
            r = T.v1("GET", user_path() + "?limit=1")
            T.eq(r.status, 200, f"a GET with the standby down ({r!r})")
        got = delta(before, reads())
        T.eq(sum(got.values()), 2 * T.WORKERS + 2, f"every GET counted once: {got}")
        T.check(set(got) <= {("primary", "fallback"), ("primary", "backoff")},
                f"the primary served them all: {got}")
        T.check(got.get(("primary", "fallback"), 0) >= 1 and
                got.get(("primary", "fallback"), 0) <= T.WORKERS,
                f"one fallback per worker at most, then the back-off: {got}")
        u, lsn = create_user()
        r = T.v1("GET", user_path(u["id"]), headers={"Rosterd-LSN": lsn})
        T.eq(r.status, 200, f"GET with Rosterd-LSN, standby down ({r!r})")
    finally:
        args = [os.path.join(T.PG_BIN, "pg_ctl"), "-D", os.path.join(SB_DIR, "data"),
                "-l", os.path.join(SB_DIR, "postgresql.log"), "-w", "start"]
        if os.geteuid() == 0:
            args = ["runuser", "-u", T.PG_USER, "--"] + args
        subprocess.run(args, check=True, capture_output=True, cwd="/",
                       timeout=120 * T.TIME_SCALE)


def main():
    only = set(sys.argv[1:])
    unknown = sorted(only - {fn.__name__ for fn in TESTS})
    if unknown:
        print(f"not ok - unknown tests: {', '.join(unknown)}", flush=True)
        print("0 passed, 1 failed", flush=True)
        return 1
    passed = failed = 0
    try:
        T.MAIN = T.Rosterd("rosterd")
        try:
            T.wait_ready()
        except Exception as e:  # noqa: BLE001 - reported as a failed setup
            print(f"not ok - start rosterd: {T.one_line(e)}", flush=True)
            print("0 passed, 1 failed", flush=True)
            return 1
        for fn in TESTS:
            if only and fn.__name__ not in only:
                continue
            try:
                fn()
            except T.Fail as e:
                failed += 1
                print(f"not ok - {fn.__name__}: {T.one_line(e)}", flush=True)
            except Exception as e:  # noqa: BLE001 - a test must not stop the run
                failed += 1
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(f"not ok - {fn.__name__}: {type(e).__name__}: {T.one_line(e)} "
                      f"(line {where.lineno})", flush=True)
            else:
                passed += 1
                print(f"ok - {fn.__name__}", flush=True)
        try:
            eq_rc = T.MAIN.stop(20)
            T.eq(eq_rc, 0, "rosterd's exit status after SIGTERM")
            try:
                T.no_sanitizer_report()
            except T.Skip:
                pass
        except T.Fail as e:
            failed += 1
            print(f"not ok - replica_rosterd_stops_cleanly: {T.one_line(e)}", flush=True)
        else:
            passed += 1
            print("ok - replica_rosterd_stops_cleanly", flush=True)
    finally:
        T.stop_all()
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
