#!/usr/bin/python3
"""bench/run --pooler: rosterd with db_prepared on and off, directly and
through pgbouncer in transaction mode, in one run.

The /v1 create, the user get (HS256 JWT) and the user get with an API
token (its cache checked against auth_generation on every use when
db_prepared is off) are measured with rosterd in three modes, restarted
between them:
  prepared          db_prepared on, connected to PostgreSQL directly
                    (the reference: every row's ratio is to this mode's)
  unnamed           db_prepared off, directly
  pgbouncer         db_prepared off, through pgbouncer (pool_mode =
                    transaction), the session settings as the role's
Each mode runs in ROUNDS windows, the order rotated every round, so that
what else the machine does weighs on every mode alike. Baselines on each
row's statement (its text and parameters as bench.py captures them):
pgbench -M prepared directly, -M extended (unnamed) directly and -M
extended through the same pgbouncer. Before anything is measured,
BENCH_API_TOKENS (10,000) API tokens are added to the tenant.

Uses bench.py's loader, wrk and pgbench runners; writes
bench/out/pooler.json (pooler-smoke.json with --smoke)."""

import datetime
import json
import os
import shutil
import signal
import subprocess
import time

import bench as B

ROUNDS = 1 if B.SMOKE else 3
MODES = ("prepared", "unnamed", "pgbouncer")
PGB_DIR = os.path.join(B.TMP, "pgbouncer")
PG_USER = B.ENV.get("BENCH_PG_USER", "")
NTOKENS = int(B.ENV.get("BENCH_API_TOKENS", "10000"))
ROSTERD_PIDFILE = os.path.join(B.TMP, "pooler-rosterd.pid")
GUARD = 120     # seconds; only a guard against a hang


def wait_for(cond, what):
    deadline = time.monotonic() + GUARD
    while not cond():
        if time.monotonic() > deadline:
            B.die(f"pooler: {what}: not so after {GUARD} s")
        time.sleep(0.1)


def gone(pid):
    """True once pid has ended (a zombie counts: bench/run reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(k) for k in f.read().split()]
    except OSError:
        return []


class Rosterd:
    """The rosterd that serves nginx's socket now."""

    def __init__(self):
        self.pid = B.ROSTERD_PID   # bench/run's, prepared and direct
        self.proc = None

    def stop(self):
        kids = children(self.pid)
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self.proc is not None:
            self.proc.wait(GUARD)
        wait_for(lambda: gone(self.pid) and all(gone(k) for k in kids),
                 f"rosterd {self.pid} and its workers end")
        self.proc = None
        if os.path.exists(ROSTERD_PIDFILE):
            os.unlink(ROSTERD_PIDFILE)

    def start(self, mode, pgb_port):
        with open(B.CONF) as f:
            lines = [ln for ln in f.read().split("\n") if not ln.startswith("db_prepared")]
        if mode == "pgbouncer":
            lines = [f"db_conninfo = host=127.0.0.1 port={pgb_port} dbname=rosterd "
                     f"user=rosterd" if ln.startswith("db_conninfo") else ln for ln in lines]
        # before the first [issuer] section: a key of the main section
        at = next((i for i, ln in enumerate(lines) if ln.startswith("[")), len(lines))
        lines.insert(at, f"db_prepared = {'true' if mode == 'prepared' else 'false'}")
        conf = os.path.join(B.TMP, f"rosterd-{mode}.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines))
        log = open(os.path.join(B.TMP, "rosterd.log"), "ab")
        self.proc = subprocess.Popen([os.path.join(B.BUILD, "rosterd"), "-c", conf],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        self.pid = self.proc.pid
        with open(ROSTERD_PIDFILE, "w") as f:
            f.write(f"{self.pid}\n")

        def up():
            try:
                return B.request("GET", f"/v1/tenants/{B.TENANT}/users?limit=1")[0] == 200
            except OSError:
                return False
        wait_for(up, f"rosterd ({mode}) answers a read")


def pgbouncer_start():
    """pgbouncer 1.18 in transaction mode in front of the bench's
    PostgreSQL; returns its port."""
    port = int(subprocess.run(["bash", "-c", f'. "{B.REPO}/tests/lib/stack.sh"; '
                               "stack_free_port"], capture_output=True, check=True,
                              text=True).stdout)
    os.makedirs(PGB_DIR, exist_ok=True)
    with open(os.path.join(PGB_DIR, "users.txt"), "w") as f:
        f.write('"rosterd" ""\n')
    with open(os.path.join(PGB_DIR, "pgbouncer.ini"), "w") as f:
        f.write(f"""[databases]
rosterd = host={B.PG_DIR} port={B.PG_PORT} dbname=rosterd
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {PGB_DIR}/users.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
logfile = {PGB_DIR}/pgbouncer.log
pidfile = {PGB_DIR}/pgbouncer.pid
""")
    argv = ["pgbouncer", "-d", "-q", os.path.join(PGB_DIR, "pgbouncer.ini")]
    if PG_USER:     # pgbouncer does not run as root
        shutil.chown(PGB_DIR, PG_USER)
        argv = ["runuser", "-u", PG_USER, "--"] + argv
    subprocess.run(argv, check=True)

    def answers():
        return subprocess.run([os.path.join(B.PG_BIN, "psql"), "-X", "-q", "-h", "127.0.0.1",
                               "-p", str(port), "-U", "rosterd", "-d", "rosterd", "-c",
                               "SELECT 1"], capture_output=True).returncode == 0
    wait_for(answers, "pgbouncer answers")
    return port


def pgbouncer_stop():
    try:
        with open(os.path.join(PGB_DIR, "pgbouncer.pid")) as f:
            os.kill(int(f.read()), signal.SIGTERM)
    except (OSError, ValueError):
        pass


def add_api_tokens(n):
    """n API tokens of the tenant, none of them used (a tenant's machine
    clients); the bench's own token comes on top."""
    B.psql(f"INSERT INTO api_tokens (tenant_id, id, name, role, token_hash, prefix, "
           f"created_by) SELECT {B.lit(B.TENANT)}, gen_random_uuid(), 'bench ' || g, "
           f"'TenantReader', sha256(('bench-pooler-' || g)::text::bytea), 'rsd_bnch', "
           f"'bench' FROM generate_series(1, {n}) g; ANALYZE api_tokens;")
    return int(B.psql("SELECT count(*) FROM api_tokens").strip())


def main():
    started = time.monotonic()
    B.load()
    d = B.data_files()
    ntokens = add_api_tokens(NTOKENS)
    B.log(f"api_tokens holds {ntokens} rows")
    by_name = {r["name"]: r for r in B.rows(d)}
    rows = [by_name["create_v1_user"], by_name["get_user"],
            dict(by_name["get_user"], name="get_user_apitoken", token=B.api_token())]
    B.set_log_statement(True)
    try:
        scripts = {r["name"]: B.pgbench_script(r, d) for r in rows[:2]}
    finally:
        B.set_log_statement(False)
    scripts["get_user_apitoken"] = scripts["get_user"]
    B.psql("ALTER ROLE rosterd SET search_path = public; "
           "ALTER ROLE rosterd SET TimeZone = 'UTC'; ALTER ROLE rosterd SET jit = off; "
           "ALTER ROLE rosterd SET statement_timeout = '30s';")
    pgb_port = pgbouncer_start()
    rd = Rosterd()
    window = max(1, B.DURATION // ROUNDS)
    got = {}    # (mode, row, conns) -> [wrk summaries]
    try:
        current = "prepared"
        for rnd in range(ROUNDS):
            order = MODES[rnd % 3:] + MODES[:rnd % 3]
            for mode in order:
                if mode != current:
                    rd.stop()
                    rd.start(mode, pgb_port)
                    current = mode
                for row in rows:
                    for conns in B.CONNS:
                        s = B.run_wrk(row, conns, token=row.get("token", True),
                                      secs=window)
                        got.setdefault((mode, row["name"], conns), []).append(s)
                        B.log(f"round {rnd + 1} {mode:<9} {row['name']:<18} c={conns:<3} "
                              f"{s['rps']:9.1f} req/s")
        rd.stop()       # the baselines run alone
        base = 0
        baselines = {}  # (row, conns) -> {kind: tps}
        for row in rows[:2]:
            for conns in B.CONNS:
                b = {}
                for kind, mode, host, port in (
                        ("pgbench_prepared", "prepared", None, None),
                        ("pgbench_extended", "extended", None, None),
                        ("pgbench_extended_pgbouncer", "extended", "127.0.0.1", pgb_port)):
                    base += 10 ** 12
                    b[kind] = B.run_pgbench(*scripts[row["name"]], conns, base, mode=mode,
                                            host=host, port=port)
                baselines[(row["name"], conns)] = b
        for conns in B.CONNS:
            baselines[("get_user_apitoken", conns)] = baselines[("get_user", conns)]
    finally:
        pgbouncer_stop()
        if rd.proc is not None and rd.proc.poll() is None:
            rd.stop()

    own_base = {"prepared": "pgbench_prepared", "unnamed": "pgbench_extended",
                "pgbouncer": "pgbench_extended_pgbouncer"}
    table, bad = [], 0
    for row in rows:
        for conns in B.CONNS:
            ref = None
            for mode in MODES:
                ss = got[(mode, row["name"], conns)]
                req = sum(s["requests"] for s in ss)
                rps = req / (sum(s["duration_us"] for s in ss) / 1e6)
                bad += sum(s["status"] + s["socket_errors"] for s in ss)
                ref = rps if mode == "prepared" else ref
                b = baselines[(row["name"], conns)][own_base[mode]]
                table.append({
                    "name": row["name"], "mode": mode, "connections": conns,
                    "rps": round(rps, 1), "requests": req,
                    "p50_ms": round(max(s["p50_us"] for s in ss) / 1000, 2),
                    "p99_ms": round(max(s["p99_us"] for s in ss) / 1000, 2),
                    "non2xx": sum(s["status"] for s in ss),
                    "socket_errors": sum(s["socket_errors"] for s in ss),
                    "ratio_to_prepared": round(rps / ref, 3) if ref else None,
                    "baseline": own_base[mode],
                    "baseline_rps": None if b is None else round(b, 1),
                    "ratio": round(rps / b, 3) if b else None,
                    "window_rps": [round(s["rps"], 1) for s in ss]})
    print()
    hdr = (f"{'endpoint':<18} {'mode':<10} {'conns':>5} {'req/s':>9} {'x prep':>7} "
           f"{'p99 ms':>8}  {'baseline':<28} {'base tps':>9} {'ratio':>6}")
    print(hdr)
    print("-" * len(hdr))
    for r in table:
        print(f"{r['name']:<18} {r['mode']:<10} {r['connections']:>5} {r['rps']:>9.1f} "
              f"{B.fmt(r['ratio_to_prepared'], '7.3f'):>7} {r['p99_ms']:>8.2f}  "
              f"{r['baseline']:<28} {B.fmt(r['baseline_rps'], '9.1f'):>9} "
              f"{B.fmt(r['ratio'], '6.3f'):>6}")
    print()
    print(f"api_tokens rows: {ntokens}; rounds: {ROUNDS} of {window} s per row and mode; "
          f"non-2xx responses and socket errors: {bad}")
    doc = {"machine": B.machine(), "rows": table, "api_tokens": ntokens,
           "rounds": ROUNDS, "window_s": window,
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "elapsed_s": round(time.monotonic() - started, 1)}
    os.makedirs(B.OUT_DIR, exist_ok=True)
    name = "pooler-smoke.json" if B.SMOKE else "pooler.json"
    with open(os.path.join(B.OUT_DIR, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote bench/out/{name} ({time.monotonic() - started:.0f} s)")
    if bad:
        B.die(f"{bad} requests failed")


if __name__ == "__main__":
    main()
