#!/usr/bin/python3
"""bench/scale.py: the large data set of bench/run --scale, loaded with COPY.

Beside the tenant bench.py loaded (NUSERS users), it adds tenants until the
database holds `total` users across 1,000 tenants:

* one large tenant of total / 10 users (1,000,000 of 10,000,000), shaped
  like bench.py's tenant ten times over: users load1..loadN (created a
  millisecond apart, load1 the newest), groups g1..g1000 and `big`, which
  holds every user (added a millisecond apart), and one more membership
  per user in g601..g1000;
* 998 small tenants sharing the other users, each with 20 groups and every
  user in two of them;

so that memberships come to about 2 x total (20,000,000). Tenants are made
as `rosterctl bootstrap` makes them (the two standard roles, the default
user group); the large one by rosterctl bootstrap itself.

How it loads, and why:

* Rows are generated here (ids are uuids derived from a counter by a
  multiplicative hash: unique, in no useful order, as random ones are) and
  streamed to `COPY ... FROM STDIN` through psql; a tenant's users are
  sent in the order of their primary key, and tenants in the order of
  their ids, so the users primary key (which other tables' foreign keys
  need, so it stays) grows at its right edge.
* The other indexes of users and group_members, and group_members' primary
  key, are dropped first and made again afterwards (CREATE INDEX sorts
  once; 20,000,000 inserts into each of them would not), from their own
  definitions (pg_get_indexdef, pg_get_constraintdef): whatever the
  migrations define is what is rebuilt.
* The COPYs run with session_replication_role = replica, as pg_restore's
  --disable-triggers does: the foreign keys' triggers, and the schema's
  own row triggers, do not fire. users, groups and group_members have no
  INSERT trigger of their own (sql/0006's are on UPDATE and DELETE of
  users; sql/0012's are on api_tokens and tenant_aliases, which this does
  not write), so what is skipped is the foreign-key checks: the rows are
  made consistent here, and check() counts what was loaded.
* Then VACUUM ANALYZE (the visibility map for index-only scans, the
  planner's statistics; autovacuum would otherwise start during the
  measurements) and a CHECKPOINT.

Run by bench.py (load()); it can also run alone against a stack bench/run
started (KEEP_TMP=1), with the BENCH_* environment bench.py gets and
BENCH_SCALE_USERS.
"""

import os
import subprocess
import sys
import tempfile
import time

KNUTH = 2654435761
SMALL_GROUPS = 20
LARGE_GROUPS = 1000  # g1..g1000, as bench.py's tenant; and big
TENANTS = 1000


def uid(kind, k):
    """A uuid (version 4, variant 8) unique for (kind, k), kind 0-3, k <
    2^60: its first 32 bits a multiplicative hash of k (so that ids in the
    order of k are in no order of their own), its last 48 bits k's.
    bench.py's load() makes its tenant's users' ids the same way (kind 0,
    k from 2^30 on), so that pgbench can make the id of a random user from
    a random k (USER_ID_SQL) without reading a table."""
    return (f"{((k + 1) * KNUTH) % (1 << 32):08x}-{(k >> 48) & 0xffff:04x}-4{kind:03x}-"
            f"8{(k >> 36) & 0xfff:03x}-{k & 0xffffffffffff:012x}")


class Loader:
    def __init__(self, pg_bin, pg_dir, pg_port, log=print):
        self.pg = [os.path.join(pg_bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                   "-h", pg_dir, "-p", str(pg_port), "-d", "rosterd"]
        self.log = log
        self.steps = {}

    def psql(self, sql, user="postgres"):
        r = subprocess.run(self.pg + ["-U", user], input=sql.encode(), capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr.decode(errors='replace')[:2000]}")
        return r.stdout.decode()

    def copy(self, table, cols, chunks, pre=""):
        """COPY table (cols) FROM STDIN, fed from chunks (an iterable of
        text blocks of complete lines), in a session that skips triggers."""
        err = tempfile.TemporaryFile()
        p = subprocess.Popen(self.pg + ["-U", "postgres"], stdin=subprocess.PIPE,
                             stdout=err, stderr=err)
        try:
            p.stdin.write((f"SET session_replication_role = replica;\n{pre}"
                           f"COPY {table} ({', '.join(cols)}) FROM STDIN;\n").encode())
            n = 0
            for c in chunks:
                p.stdin.write(c.encode())
                n += c.count("\n")
            p.stdin.write(b"\\.\n")
            p.stdin.close()
        except BrokenPipeError:  # psql ended: its message says why
            pass
        if p.wait() != 0:
            err.seek(0)
            raise RuntimeError(f"COPY {table}: {err.read().decode(errors='replace')[:2000]}")
        return n

    def step(self, name, fn, *args):
        t0 = time.monotonic()
        r = fn(*args)
        self.steps[name] = round(time.monotonic() - t0, 1)
        self.log(f"scale load: {name}: {self.steps[name]:.1f} s")
        return r


def plan(total, base_users, large_users=None):
    """How many users each tenant gets: (large, [small...])."""
    large = large_users or total // 10
    rest = max(0, total - large - base_users)
    n = TENANTS - 2
    per, extra = divmod(rest, n)
    return large, [per + (1 if i < extra else 0) for i in range(n)]


def load(loader, total, base_users, large_tenant, rosterd_user="rosterd"):
    """Loads the data set; returns a summary.  large_tenant: the id of the
    tenant bootstrap made for the large one (empty)."""
    L = loader
    t0 = time.monotonic()
    large, smalls = plan(total, base_users)
    base_ms = int(time.time() * 1000)

    # The small tenants, as bootstrap makes them (tenant_create's rows).
    ids = L.step("small tenants", L.psql, f"""
BEGIN;
CREATE TEMP TABLE t AS SELECT gen_random_uuid() AS id, i
FROM generate_series(1, {len(smalls)}) AS i;
INSERT INTO tenants (id, name, slug) SELECT id, 'Scale ' || i, 'scale-' || i FROM t;
INSERT INTO roles (tenant_id, id, name, description)
SELECT t.id, gen_random_uuid(), x.name, x.descr FROM t,
 (VALUES ('Administrator', 'Administers the organization'),
  ('Member', 'A member of the organization')) AS x(name, descr);
INSERT INTO groups (tenant_id, id, kind, code, name, description, is_default, created_by)
SELECT t.id, gen_random_uuid(), 'user', 'default', 'Default user group',
 'New and invited users join this group', true, 'bench' FROM t;
SELECT id FROM t ORDER BY i;
COMMIT;
""").split()
    tenants = sorted([(large_tenant, large)] + list(zip(ids, smalls)))

    # What is dropped and made again.
    defs = L.psql("""
SELECT 'I', pg_get_indexdef(i.indexrelid), i.indexrelid::regclass::text
FROM pg_index i
WHERE i.indrelid IN ('users'::regclass, 'group_members'::regclass)
 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
UNION ALL
SELECT 'C', pg_get_constraintdef(c.oid), c.conname::text
FROM pg_constraint c
WHERE c.conrelid = 'group_members'::regclass AND c.contype IN ('p', 'u')
 AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'
  AND f.confrelid = 'group_members'::regclass);
""")
    indexes, constraints = [], []
    for line in defs.splitlines():
        kind, d, name = line.split("|")
        (indexes if kind == "I" else constraints).append((name, d))
    drop = "".join(f"DROP INDEX {n};\n" for n, _ in indexes)
    drop += "".join(f"ALTER TABLE group_members DROP CONSTRAINT {n};\n" for n, _ in constraints)
    L.step("drop indexes", L.psql, "BEGIN;\n" + drop + "COMMIT;\n")

    stamp = {}

    def ts(ms):
        s, r = divmod(ms, 1000)
        p = stamp.get(s)
        if p is None:
            p = stamp[s] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s))
            if len(stamp) > 100000:
                stamp.clear()
        return f"{p}.{r:03d}+00"

    now = ts(base_ms)
    counter = [0]  # users made so far, all tenants: the ids' counter
    gcounter = [0]
    users_of = {}  # tenant: (first counter, how many)

    def user_rows():
        buf = []
        for tid, n in tenants:
            first = counter[0]
            counter[0] += n
            users_of[tid] = (first, n)
            if tid == large_tenant:
                rows = [(uid(0, first + i - 1),
                         f"load{i}\tload{i}@example.com\tLoad\tUser {i}\t{ts(base_ms - i)}")
                        for i in range(1, n + 1)]
            else:
                rows = [(uid(0, first + i - 1),
                         f"u{i}\tu{i}@example.com\tSmall\tUser {i}\t{now}")
                        for i in range(1, n + 1)]
            rows.sort()
            for u, rest in rows:
                buf.append(f"{tid}\t{u}\t{rest}\tbench\n")
                if len(buf) >= 20000:
                    yield "".join(buf)
                    buf = []
        if buf:
            yield "".join(buf)

    nu = L.step("COPY users", L.copy, "users",
                ["tenant_id", "id", "username", "email", "first_name", "last_name",
                 "created_at", "created_by"], user_rows())

    def group_id(tid, j):
        return uid(1, gcounter_of[tid] + j)
    gcounter_of = {}
    for tid, n in tenants:
        gcounter_of[tid] = gcounter[0]
        gcounter[0] += LARGE_GROUPS + 1 if tid == large_tenant else SMALL_GROUPS

    def group_rows():
        buf = []
        for tid, n in tenants:
            if tid == large_tenant:
                for j in range(1, LARGE_GROUPS + 1):
                    buf.append(f"{tid}\t{group_id(tid, j)}\tsecurity\tg{j}\tGroup {j}\tbench\n")
                buf.append(f"{tid}\t{group_id(tid, 0)}\tsecurity\tbig\tEverybody\tbench\n")
            else:
                for j in range(1, SMALL_GROUPS + 1):
                    buf.append(f"{tid}\t{group_id(tid, j)}\tsecurity\ts{j}\tGroup {j}\tbench\n")
        yield "".join(buf)

    ng = L.step("COPY groups", L.copy, "groups",
                ["tenant_id", "id", "kind", "code", "name", "created_by"], group_rows())

    def member_rows():
        buf = []
        for tid, n in tenants:
            first, _ = users_of[tid]
            if tid == large_tenant:
                big = group_id(tid, 0)
                for i in range(1, n + 1):
                    u = uid(0, first + i - 1)
                    buf.append(f"{tid}\t{big}\t{u}\tbench\t{ts(base_ms - i)}\n"
                               f"{tid}\t{group_id(tid, 601 + (i * 31) % 400)}\t{u}\tbench\t{now}\n")
                    if len(buf) >= 10000:
                        yield "".join(buf)
                        buf = []
            else:
                gs = [group_id(tid, j) for j in range(1, SMALL_GROUPS + 1)]
                for i in range(n):
                    u = uid(0, first + i)
                    a = i % SMALL_GROUPS
                    b = (a + 1 + (i // SMALL_GROUPS) % (SMALL_GROUPS - 1)) % SMALL_GROUPS
                    buf.append(f"{tid}\t{gs[a]}\t{u}\tbench\t{now}\n"
                               f"{tid}\t{gs[b]}\t{u}\tbench\t{now}\n")
                    if len(buf) >= 10000:
                        yield "".join(buf)
                        buf = []
        if buf:
            yield "".join(buf)

    nm = L.step("COPY group_members", L.copy, "group_members",
                ["tenant_id", "group_id", "user_id", "added_by", "added_at"], member_rows())

    make = "SET maintenance_work_mem = '1GB';\n"
    make += "".join(f"{d};\n" for _, d in indexes)
    make += "".join(f"ALTER TABLE group_members ADD CONSTRAINT {n} {d};\n"
                    for n, d in constraints)
    L.step("indexes", L.psql, make)

    # bench.py's tables for the large tenant: its users by n (load<n>)
    # and its groups by number
    first, n = users_of[large_tenant]

    def bench_users():
        for lo in range(1, n + 1, 20000):
            yield "".join(f"{i}\t{uid(0, first + i - 1)}\n" for i in range(lo, min(n, lo + 19999) + 1))
    L.psql(f"""
DROP TABLE IF EXISTS bench_users_scale, bench_groups_scale;
CREATE TABLE bench_users_scale (n int PRIMARY KEY, id uuid NOT NULL);
CREATE TABLE bench_groups_scale (n int PRIMARY KEY, id uuid NOT NULL);
ALTER TABLE bench_users_scale OWNER TO {rosterd_user};
ALTER TABLE bench_groups_scale OWNER TO {rosterd_user};
""")
    L.step("COPY bench_users_scale", L.copy, "bench_users_scale", ["n", "id"], bench_users())
    L.copy("bench_groups_scale", ["n", "id"],
           ["".join(f"{j}\t{group_id(large_tenant, j)}\n" for j in range(1, LARGE_GROUPS + 1))])

    L.step("vacuum analyze", L.psql,
           "VACUUM ANALYZE users; VACUUM ANALYZE groups; VACUUM ANALYZE group_members;\n"
           "VACUUM ANALYZE tenants; VACUUM ANALYZE roles; ANALYZE bench_users_scale;\n"
           "ANALYZE bench_groups_scale;\n")
    L.step("checkpoint", L.psql, "CHECKPOINT;\n")
    counts = L.psql("SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM users),"
                    " (SELECT count(*) FROM group_members),"
                    f" (SELECT count(*) FROM group_members m JOIN groups g"
                    f"  ON g.tenant_id = m.tenant_id AND g.id = m.group_id"
                    f"  WHERE g.tenant_id = '{large_tenant}' AND g.code = 'big');\n")
    nt, tu, tm, big = (int(x) for x in counts.strip().split("|"))
    elapsed = time.monotonic() - t0
    if big != large or nu != sum(n for _, n in tenants) or tu < nu:
        raise RuntimeError(f"loaded {tu} users ({nu} sent), a big group of {big} (not {large})")
    return {"tenants": nt, "users": tu, "memberships": tm, "large_tenant_users": large,
            "large_group_members": big, "users_copied": nu, "groups_copied": ng,
            "memberships_copied": nm, "load_s": round(elapsed, 1), "steps_s": L.steps,
            "rows_per_s": round((nu + nm) / elapsed)}


def main():
    """Alone, against a stack bench/run kept (KEEP_TMP=1): bootstraps the
    large tenant and loads BENCH_SCALE_USERS users."""
    env = os.environ
    total = int(env.get("BENCH_SCALE_USERS", "1000000"))
    r = subprocess.run([os.path.join(env["BENCH_BUILD"], "rosterctl"), "-c", env["BENCH_CONF"],
                        "bootstrap", "--tenant", f"bench-large-{os.getpid()}"],
                       capture_output=True, check=True)
    large = r.stdout.decode().strip()
    L = Loader(env["BENCH_PG_BIN"], env["BENCH_PG_DIR"], env["BENCH_PG_PORT"])
    s = load(L, total, int(env.get("BENCH_USERS", "100000")), large)
    print(s)


if __name__ == "__main__":
    sys.exit(main())
