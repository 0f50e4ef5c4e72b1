#!/usr/bin/env python3
"""bench/run --export: rosterctl export against COPY TO, same run.

Loads a tenant of BENCH_EXPORT_USERS users (1,000,000 by default), each in
2 of 1,000 groups, then times, in alternating rounds (the best of each
kept):
  * COPY (the users SELECT of `rosterctl export --print-query`) TO STDOUT
    through psql, in the same kind of transaction, to /dev/null: the
    baseline, what PostgreSQL alone takes to produce the rows;
  * rosterctl export --format csv to stdout (/dev/null): the ratio
    baseline / export is the figure (goal >= 0.7);
and once each: JSON Lines against the COPY of its own SELECT, and xlsx (to
a file) against the CSV baseline.  Every run's peak RSS (/usr/bin/time) is
reported too: flat means it does not grow with the tenant.  Prints a table
and writes bench/out/export.json.
"""
import json
import os
import subprocess
import sys
import time

ENV = os.environ
REPO = ENV["BENCH_REPO"]
BUILD = ENV["BENCH_BUILD"]
CONF = ENV["BENCH_CONF"]
TMP = ENV["BENCH_TMP"]
USERS = int(ENV.get("BENCH_EXPORT_USERS", "1000000"))
ROUNDS = int(ENV.get("BENCH_EXPORT_ROUNDS", "2"))
ROSTERCTL = os.path.join(BUILD, "rosterctl")


def psql_args():
    return [os.path.join(ENV["BENCH_PG_BIN"], "psql"), "-X", "-q", "-A", "-t",
            "-v", "ON_ERROR_STOP=1", "-h", ENV["BENCH_PG_DIR"],
            "-p", ENV["BENCH_PG_PORT"], "-U", "rosterd", "-d", "rosterd"]


def psql(sql, tenant):
    p = subprocess.run(psql_args() + ["-v", f"t={tenant}"], input=sql,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench/export.py: psql: {p.stderr.strip()}")
    return p.stdout


def timed(argv, stdout=subprocess.DEVNULL, stdin=None):
    """(seconds, peak RSS in MB) of argv; exits on failure."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=stdout,
                       stdin=stdin, stderr=subprocess.PIPE, text=True)
    took = time.monotonic() - t0
    lines = p.stderr.strip().splitlines()
    if p.returncode != 0:
        sys.exit(f"bench/export.py: {argv[0]} failed: {p.stderr.strip()}")
    return took, int(lines[-1]) / 1024


def copy_baseline(tenant, sql):
    script = os.path.join(TMP, "copy.sql")
    with open(script, "w") as f:
        f.write("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
                f"SELECT set_config('rosterd.export_tenant', '{tenant}', true)"
                " \\g /dev/null\n"
                f"COPY ({sql}) TO STDOUT;\nCOMMIT;\n")
    return timed(psql_args() + ["-f", script])


def export(tenant, fmt, out=None):
    argv = [ROSTERCTL, "-c", CONF, "export", "--tenant", tenant,
            "--format", fmt]
    if out:
        argv += ["-o", out]
    return timed(argv)


def query(fmt):
    p = subprocess.run([ROSTERCTL, "-c", CONF, "export", "--print-query",
                        "--format", fmt], capture_output=True, text=True,
                       check=True)
    return p.stdout.strip()


def load(tenant):
    t0 = time.monotonic()
    psql(f"""
INSERT INTO groups (tenant_id, id, kind, code, name)
SELECT :'t', gen_random_uuid(), 'user', 'group-' || i, 'Group ' || i
FROM generate_series(0, 999) i;
INSERT INTO users (tenant_id, id, username, email, first_name, last_name,
    display_name, title, external_id, locale, time_zone)
SELECT :'t', gen_random_uuid(), 'user' || i, 'user' || i || '@example.com',
    'Fírst' || i, 'Läst' || i, 'Fírst' || i || ' Läst' || i, 'Engineer',
    'ext-' || i, 'en-GB', 'Europe/London'
FROM generate_series(1, {USERS}) i;
CREATE TEMP TABLE gi AS
SELECT row_number() OVER (ORDER BY code) - 1 AS n, id FROM groups
WHERE tenant_id = :'t' AND code LIKE 'group-%';
CREATE TEMP TABLE ui AS
SELECT id, substr(username, 5)::bigint AS i FROM users WHERE tenant_id = :'t';
-- i % 1000 and (7 i + 3) % 1000 never agree (6 i + 3 is odd)
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT :'t'::uuid, g.id, u.id FROM ui u JOIN gi g ON g.n = u.i % 1000
UNION ALL
SELECT :'t'::uuid, g.id, u.id FROM ui u JOIN gi g ON g.n = (u.i * 7 + 3) % 1000;
VACUUM ANALYZE users;
VACUUM ANALYZE group_members;
VACUUM ANALYZE groups;
""", tenant)
    return time.monotonic() - t0


def main():
    p = subprocess.run([ROSTERCTL, "-c", CONF, "bootstrap", "--tenant",
                        "export-bench"], capture_output=True, text=True,
                       check=True)
    tenant = p.stdout.strip()
    print(f"# loading {USERS} users, 2 groups each ...", flush=True)
    took = load(tenant)
    n = int(psql("SELECT count(*) FROM group_members WHERE tenant_id = :'t'",
                 tenant))
    print(f"# loaded in {took:.0f} s ({n} memberships)", flush=True)
    csv_sql, jsonl_sql = query("csv"), query("jsonl")

    copy_csv = []
    exp_csv = []
    copy_baseline(tenant, csv_sql)	# warm the cache, not counted
    for _ in range(ROUNDS):
        copy_csv.append(copy_baseline(tenant, csv_sql))
        exp_csv.append(export(tenant, "csv"))
    copy_json = copy_baseline(tenant, jsonl_sql)
    exp_json = export(tenant, "jsonl")
    xlsx = os.path.join(TMP, "export.xlsx")
    exp_xlsx = export(tenant, "xlsx", xlsx)
    xlsx_mb = os.path.getsize(xlsx) / 1e6
    os.unlink(xlsx)

    best = min(copy_csv)[0]
    rows = [
        ("COPY TO (csv SELECT)", min(copy_csv), None),
        ("export csv", min(exp_csv), best / min(exp_csv)[0]),
        ("COPY TO (jsonl SELECT)", copy_json, None),
        ("export jsonl", exp_json, copy_json[0] / exp_json[0]),
        ("export xlsx", exp_xlsx, best / exp_xlsx[0]),
    ]
    print(f"\n{'export of ' + format(USERS, ',') + ' users':<28}"
          f"{'s':>8}{'users/s':>11}{'ratio':>8}{'peak RSS MB':>13}")
    for name, (s, rss), ratio in rows:
        print(f"{name:<28}{s:>8.1f}{USERS / s:>11,.0f}"
              f"{'' if ratio is None else format(ratio, '.2f'):>8}"
              f"{rss:>13.1f}")
    print(f"(ratio: COPY TO's time / export's; goal >= 0.7 for csv; "
          f"xlsx file {xlsx_mb:.0f} MB)")
    out = {
        "users": USERS, "memberships": n, "rounds": ROUNDS,
        "rows": [{"name": name, "seconds": round(s, 2),
                  "peak_rss_mb": round(rss, 1),
                  "ratio": None if ratio is None else round(ratio, 3)}
                 for name, (s, rss), ratio in rows],
        "xlsx_mb": round(xlsx_mb, 1),
    }
    os.makedirs(os.path.join(REPO, "bench", "out"), exist_ok=True)
    with open(os.path.join(REPO, "bench", "out", "export.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
