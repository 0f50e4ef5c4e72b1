#!/usr/bin/env python3
"""rosterctl import against a bare COPY of the same rows, same run.

Run by `bench/run --import [N]` after PostgreSQL is up and migrated
(BENCH_* from bench/run).  Generates a CSV of N users (default 1,000,000)
with 2 groups each, imports it into an empty tenant with rosterctl import
(timed, peak RSS from wait4), and, into another empty tenant of the same
database, COPYs the same rows into users and group_members with psql
(the groups made first, untimed; COPY checks the same constraints and
foreign keys), once before the import and once after it (into a third
tenant), so that neither side alone meets the machine's quieter or busier
minutes.  The row: import time, the two COPY times, the ratio of their
mean to the import's (goal >= 0.5), rosterctl's peak RSS and CPU time.
Writes bench/out/import.json.
"""
import json
import os
import subprocess
import sys
import time
import uuid

REPO = os.environ["BENCH_REPO"]
BUILD = os.environ["BENCH_BUILD"]
TMP = os.environ["BENCH_TMP"]
CONF = os.environ["BENCH_CONF"]
PG_BIN = os.environ["BENCH_PG_BIN"]
PG_DIR = os.environ["BENCH_PG_DIR"]
PG_PORT = os.environ["BENCH_PG_PORT"]
N = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
ROSTERCTL = os.path.join(BUILD, "rosterctl")
TEAMS, SECS = 100, 10


def psql(*args, user="rosterd", **kw):
    return subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t",
                           "-v", "ON_ERROR_STOP=1", "-h", PG_DIR, "-p", PG_PORT,
                           "-U", user, "-d", "rosterd", *args],
                          check=True, capture_output=True, text=True, **kw).stdout


def bootstrap(name):
    return subprocess.run([ROSTERCTL, "-c", CONF, "bootstrap", "--tenant", name],
                          check=True, capture_output=True, text=True).stdout.strip()


def groups_of(i):
    return ("user", f"team{i % TEAMS}"), ("security", f"s{i % SECS}")


def generate(csv_path, users_path, members_path, gids, tenant):
    with open(csv_path, "w") as c, open(users_path, "w") as u, open(members_path, "w") as m:
        c.write("username,email,firstName,lastName,groups\n")
        for i in range(N):
            name = f"user{i:07d}"
            (k1, c1), (k2, c2) = groups_of(i)
            c.write(f"{name},{name}@example.com,First{i},Last{i},{c1};{k2}:{c2}\n")
            uid = str(uuid.uuid4())
            u.write(f"{tenant}\t{uid}\t{name}\t{name}@example.com\tFirst{i}\tLast{i}\n")
            m.write(f"{tenant}\t{gids[(k1, c1)]}\t{uid}\n{tenant}\t{gids[(k2, c2)]}\t{uid}\n")


def copy_run(tenant, gids, users_path, members_path):
    """The bare COPY into tenant (its groups made first, untimed): seconds."""
    values = ",".join(f"('{tenant}','{g}','{k}','{c}','{c}')" for (k, c), g in gids.items())
    psql("-c", f"INSERT INTO groups (tenant_id, id, kind, code, name) VALUES {values}")
    psql("-c", "CHECKPOINT", user="postgres")
    start = time.monotonic()
    psql("-1", "-c", f"\\copy users (tenant_id, id, username, email, first_name, last_name) "
         f"FROM PROGRAM 'sed s/TENANT/{tenant}/ {users_path}'", "-c",
         f"\\copy group_members (tenant_id, group_id, user_id) "
         f"FROM PROGRAM 'sed s/TENANT/{tenant}/ {members_path}'")
    took = time.monotonic() - start
    psql("-c", "CHECKPOINT", user="postgres")
    return took


def main():
    t_imp = bootstrap("bench-import")
    t_copy, t_copy2 = bootstrap("bench-copy"), bootstrap("bench-copy-after")
    csv_path = os.path.join(TMP, "import.csv")
    users_path, members_path = os.path.join(TMP, "users.tsv"), os.path.join(TMP, "members.tsv")
    gids = {}
    for kind, n, prefix in (("user", TEAMS, "team"), ("security", SECS, "s")):
        for i in range(n):
            gids[(kind, f"{prefix}{i}")] = str(uuid.uuid4())
    generate(csv_path, users_path, members_path, gids, "TENANT")
    copy_before = copy_run(t_copy, gids, users_path, members_path)

    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        out = os.open(os.path.join(TMP, "import.out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.execv(ROSTERCTL, [ROSTERCTL, "-c", CONF, "import", "--tenant", t_imp, "--quiet",
                             csv_path])
    _, status, ru = os.wait4(pid, 0)
    import_s = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    copy_after = copy_run(t_copy2, gids, users_path, members_path)
    copy_s = (copy_before + copy_after) / 2
    if rc != 0:
        sys.stderr.write(open(os.path.join(TMP, "import.out")).read())
        raise SystemExit(f"bench/import.py: rosterctl import exited {rc}")
    got = psql("-c", f"SELECT (SELECT count(*) FROM users WHERE tenant_id = '{t_imp}'),"
               f" (SELECT count(*) FROM group_members WHERE tenant_id = '{t_imp}')").strip()
    if got != f"{N}|{2 * N}":
        raise SystemExit(f"bench/import.py: imported {got}, want {N}|{2 * N}")
    row = {"rows": N, "memberships": 2 * N, "import_s": round(import_s, 2),
           "copy_before_s": round(copy_before, 2), "copy_after_s": round(copy_after, 2),
           "copy_s": round(copy_s, 2), "ratio": round(copy_s / import_s, 3),
           "import_rows_per_s": round(N / import_s),
           "rosterctl_peak_rss_kib": ru.ru_maxrss,
           "rosterctl_cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
           "csv_bytes": os.path.getsize(csv_path)}
    print(f"{'row':<34}{'time':>10}{'rows/s':>12}")
    print(f"{'rosterctl import (CSV)':<34}{import_s:>9.1f}s{N / import_s:>12.0f}")
    print(f"{'COPY users + group_members':<34}{copy_s:>9.1f}s{N / copy_s:>12.0f}"
          f"  (before {copy_before:.1f}s, after {copy_after:.1f}s)")
    print(f"ratio COPY/import {row['ratio']:.2f} (goal >= 0.5); "
          f"rosterctl peak RSS {ru.ru_maxrss / 1024:.1f} MiB, "
          f"CPU {ru.ru_utime + ru.ru_stime:.1f}s; "
          f"{N:,} users, {2 * N:,} memberships")
    os.makedirs(os.path.join(REPO, "bench", "out"), exist_ok=True)
    with open(os.path.join(REPO, "bench", "out", "import.json"), "w") as f:
        json.dump(row, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
