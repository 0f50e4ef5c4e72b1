# t_purge.py: rosterctl purge on the real stack.
#   * under a load of creates (with Idempotency-Key) and reads: every row
#     that ended before its table's retention is deleted, every row inside
#     the windows is untouched (same ids, same row versions), no request
#     fails; --dry-run before it counts and deletes nothing;
#   * --batch 7: everything goes, in as many statements as that takes; a
#     row another transaction holds is skipped (the purge does not wait for
#     it) and goes in the next run; a retention of 0 keeps everything;
#     bad --batch values and retention keys out of range are refused.
#
# Exec'd by faults.py into its globals (running(), request(), psql(),
# pg_session(), wait_until(), @test ... are faults.py's); every top-level
# name of this file starts with _purge_ or purge_.

_purge_V1 = f"/v1/tenants/{TENANT_A}"


def _purge_conf(name, **settings):
    """A variant of CONF with settings, for rosterctl."""
    path = os.path.join(TMP, name + ".conf")
    with open(CONF) as f:
        lines = [line for line in f.read().splitlines()
                 if line.split("=", 1)[0].strip() not in settings]
    lines += [f"{k} = {v}" for k, v in settings.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _purge_run(conf, *args):
    """rosterctl -c conf purge args: (exit status, stdout, stderr)."""
    p = subprocess.run([ROSTERCTL, "-c", conf, "purge", *args], capture_output=True,
                       text=True, timeout=600 * TIME_SCALE)
    note(f"rosterctl purge {' '.join(args)}: exit {p.returncode}; "
         + "; ".join(p.stdout.splitlines()) + (f"; stderr: {p.stderr.strip()}"
                                               if p.stderr.strip() else ""))
    return p.returncode, p.stdout, p.stderr


_purge_LINE = re.compile(r"^(\w+): (\d+) rows (deleted in (\d+) batches|would be deleted) "
                         r"\(older than \d+ (hours|days)\)$")


def _purge_report(out):
    """{table: (rows, batches or None)} from purge's lines; "kept" tables
    map to "kept"."""
    got = {}
    for line in out.splitlines():
        m = _purge_LINE.match(line)
        if m:
            got[m.group(1)] = (int(m.group(2)), int(m.group(4)) if m.group(4) else None)
        elif re.match(r"^\w+: kept \(retention_\w+ = 0\)$", line):
            got[line.split(":")[0]] = "kept"
        else:
            raise Fail(f"purge printed a line it should not: {line!r}")
    return got


def _purge_fill(tag, n_old):
    """Rows of every purged table, marked with tag: n_old per table (fewer
    API tokens, import jobs and import runs) that ended before the windows
    the purge configs below set (idempotency 24 h, invites 30 days, audit 90
    days, API tokens 60 days, import jobs and runs 30 days), and a handful
    inside them, near the edge and far from it (and import runs still
    running, which never end). Import jobs are made ended (succeeded, failed,
    cancelled): the stack's job runner would take a queued or running one."""
    a = lit(TENANT_A)
    psql(f"""
INSERT INTO idempotency (tenant_id, caller, key, request_hash, status, response,
    created_at)
SELECT {a}, sha256(convert_to('{tag}' || k || g, 'UTF8')),
    '{tag}-' || k || '-' || extract(epoch FROM age)::bigint || '-' || g,
    sha256(convert_to(g::text, 'UTF8')), 201, '{{}}', now() - age
FROM (VALUES ('old', interval '25 hours', {n_old}), ('old', interval '400 days', 3),
    ('keep', interval '23 hours', 5), ('keep', interval '1 minute', 5)) AS v(k, age, n),
    LATERAL generate_series(1, n) AS g;

INSERT INTO invites (tenant_id, id, email, token_hash, expires_at, accepted_at,
    revoked_at, created_at)
SELECT {a}, gen_random_uuid(), '{tag}-' || k || '-' || g || '@example.com',
    sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
    now() + exp, now() + acc, now() + rev, now() - interval '400 days'
FROM (VALUES
    -- expired, accepted, revoked more than 30 days ago
    ('old', interval '-31 days', NULL::interval, NULL::interval, {n_old}),
    ('old', interval '7 days', interval '-31 days', NULL, 5),
    ('old', interval '7 days', NULL, interval '-45 days', 5),
    ('old', interval '-40 days', NULL, interval '-35 days', 5),
    -- pending, or ended less than 30 days ago
    ('keep', interval '7 days', NULL, NULL, 5),
    ('keep', interval '-29 days', NULL, NULL, 5),
    ('keep', interval '7 days', interval '-29 days', NULL, 5),
    ('keep', interval '-1 days', NULL, interval '-2 days', 5))
    AS v(k, exp, acc, rev, n),
    LATERAL generate_series(1, n) AS g;

INSERT INTO audit_log (tenant_id, at, actor, action, target_type)
SELECT {a}, now() - age, '{tag}-' || k, 'purge.test', 'tenant'
FROM (VALUES ('old', interval '91 days', {n_old}), ('old', interval '3 years', 3),
    ('keep', interval '89 days', 5), ('keep', interval '1 minute', 5)) AS v(k, age, n),
    LATERAL generate_series(1, n) AS g;

INSERT INTO api_tokens (tenant_id, id, name, role, token_hash, prefix, expires_at,
    revoked_at, created_at, created_by)
SELECT {a}, gen_random_uuid(), '{tag}-' || k || '-' || g, 'TenantReader',
    sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'rsd_test', now() + exp,
    now() + rev, now() - interval '400 days', 'purge-test'
FROM (VALUES
    ('old', interval '-61 days', NULL::interval, 10),
    ('old', NULL, interval '-70 days', 10),
    ('keep', NULL, NULL, 5),
    ('keep', interval '30 days', NULL, 5),
    ('keep', interval '-59 days', NULL, 5),
    ('keep', NULL, interval '-1 days', 5)) AS v(k, exp, rev, n),
    LATERAL generate_series(1, n) AS g;

INSERT INTO import_jobs (tenant_id, id, state, format, mode, batch, file_name,
    file_size, created_by, created_at, finished_at)
SELECT {a}, gen_random_uuid(), st, 'csv', 'create', 1000, '{tag}-' || k || '-' || g,
    0, 'purge-test', now() - interval '400 days', now() + fin
FROM (VALUES
    -- ended more than 30 days ago
    ('old', 'succeeded', interval '-31 days', 10),
    ('old', 'failed', interval '-2 years', 3),
    ('old', 'cancelled', interval '-45 days', 3),
    -- ended less than 30 days ago
    ('keep', 'succeeded', interval '-29 days', 3),
    ('keep', 'failed', interval '-1 minute', 3)) AS v(k, st, fin, n),
    LATERAL generate_series(1, n) AS g;

-- checkpoints of imports: finished or abandoned more than 30 days ago go;
-- those inside the window, and a run still running however old, stay
INSERT INTO import_runs (tenant_id, id, file_name, file_sha256, file_size, format,
    mode, state, started_at, updated_at, finished_at)
SELECT {a}, gen_random_uuid(), '{tag}-' || k || '-' || g,
    sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 0, 'csv', 'create', st,
    now() - interval '400 days', now() + upd, now() + fin
FROM (VALUES
    ('old', 'done', interval '-31 days', interval '-31 days', 5),
    ('old', 'abandoned', interval '-45 days', NULL::interval, 3),
    ('keep', 'done', interval '-29 days', interval '-29 days', 3),
    ('keep', 'abandoned', interval '-1 days', NULL, 3),
    ('keep', 'running', interval '-400 days', NULL, 3)) AS v(k, st, upd, fin, n),
    LATERAL generate_series(1, n) AS g;

-- n_old error rows spread over the old jobs, five for each job kept
INSERT INTO import_job_errors (tenant_id, job_id, line, col, field, message)
SELECT {a}, j.id, g, 1, 'email', j.file_name || ' row ' || g
FROM import_jobs j,
    LATERAL generate_series(1, CASE WHEN j.file_name LIKE '{tag}-old-%'
        THEN ceil({n_old} / 16.0)::int ELSE 5 END) AS g
WHERE j.tenant_id = {a} AND j.file_name LIKE '{tag}-%';
""")


# Per table: the tagged rows' identity and row version (xmin): a row that
# was updated, or deleted and made again, has another.
_purge_ROWS = {
    "idempotency": "SELECT key || ' ' || xmin FROM idempotency WHERE key LIKE {p}",
    "invites": "SELECT id || ' ' || xmin FROM invites WHERE email LIKE {p}",
    "audit_log": "SELECT id || ' ' || xmin FROM audit_log WHERE actor LIKE {p}",
    "api_tokens": "SELECT id || ' ' || xmin FROM api_tokens WHERE name LIKE {p}",
    "import_jobs": "SELECT id || ' ' || xmin FROM import_jobs WHERE file_name LIKE {p}",
    "import_job_errors": "SELECT job_id || ' ' || line || ' ' || xmin FROM import_job_errors"
                         " WHERE message LIKE {p}",
    "import_runs": "SELECT id || ' ' || xmin FROM import_runs WHERE file_name LIKE {p}",
}


def _purge_rows(tag, kind):
    """{table: set of "identity xmin"} of tag's rows of kind (old, keep)."""
    return {t: set(psql(q.format(p=lit(f"{tag}-{kind}%"))))
            for t, q in _purge_ROWS.items()}


def _purge_check_kept(before, after, what):
    for t in _purge_ROWS:
        check(before[t], f"{what}: no {t} rows inside the window to watch")
        eq(after[t], before[t], f"{what}: {t} rows inside the window (identity, xmin)")


def _purge_check_gone(old, what):
    for t in _purge_ROWS:
        eq(old[t], set(), f"{what}: {t} rows older than the retention left")


_purge_CONF = dict(retention_idempotency_hours=24, retention_invites_days=30,
                   retention_audit_days=90, retention_api_tokens_days=60,
                   retention_import_jobs_days=30)


class _purge_Load:
    """Client threads: a create with an Idempotency-Key of its own, then
    reads (the user, the invites, the audit log, the API tokens) in turn,
    until stopped. Every answer is kept."""

    def __init__(self, threads=4):
        self.n = threads
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.results = []   # (t_sent, client, what, status or error)
        self.keys = []      # Idempotency-Keys of the creates answered 201
        self.threads = []
        self.run = uuid.uuid4().hex[:8]

    def _one(self, c, k, what, method, path, body=None, headers=None):
        t0 = time.monotonic()
        try:
            r = c.request(method, path, body, headers=headers)
            status = r.status
        except Exception as e:  # noqa: BLE001 - counted as a failure
            r, status = None, f"{type(e).__name__}: {e}"
            c.close()
        with self.lock:
            self.results.append((t0, k, what, status))
        return r

    def _client(self, k):
        c = Client(timeout=TIMEOUT)
        i = 0
        while not self.stop_ev.is_set():
            i += 1
            key = f"purge-load-{self.run}-{k}-{i}"
            r = self._one(c, k, "create", "POST", f"{_purge_V1}/users", new_user_v1(),
                          headers={"Idempotency-Key": key})
            uid = None
            if r is not None and r.status == 201:
                with self.lock:
                    self.keys.append(key)
                uid = r.json().get("id")
            if uid:
                self._one(c, k, "get user", "GET", f"{_purge_V1}/users/{uid}")
            for what, path in (("invites", "invites?limit=5"), ("audit", "audit?limit=5"),
                               ("api-tokens", "api-tokens?limit=5")):
                self._one(c, k, what, "GET", f"{_purge_V1}/{path}")
        c.close()

    def start(self):
        for k in range(self.n):
            t = threading.Thread(target=self._client, args=(k,), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(TIMEOUT + 5)

    def creates_after(self, t):
        """The clients with a 201 create sent at or after t."""
        with self.lock:
            return {r[1] for r in self.results
                    if r[0] >= t and r[2] == "create" and r[3] == 201}

    def wait_every_client_created_after(self, t, what):
        wait_until(lambda: len(self.creates_after(t)) == self.n, 120,
                   lambda: f"{what}: a 201 create for every one of the {self.n} clients "
                           f"(have {len(self.creates_after(t))})")

    def failed(self):
        with self.lock:
            return [r for r in self.results if not (isinstance(r[3], int)
                                                    and 200 <= r[3] < 300)]


@test
def purge_under_load_keeps_the_windows():
    """Old rows in every purged table (more idempotency rows, invites and
    audit rows than one batch holds), rows inside the windows, and a create
    whose Idempotency-Key is inside its window. --dry-run counts at least
    the old rows and changes no row; the purge, run while client threads
    create (with keys) and read, deletes every old row, leaves every row
    inside the windows as it was (the load's own keys too), the stored
    answer still replays, and no request gets anything but a 2xx."""
    tag = "purge-" + uuid.uuid4().hex[:8]
    n_old = 2500
    conf = _purge_conf("purge-load", **_purge_CONF)
    with running("purgeload", workers=2):
        body = new_user_v1()
        hkey = {"Idempotency-Key": f"{tag}-keep-replay"}
        first = request("POST", f"{_purge_V1}/users", body, headers=hkey)
        eq(first.status, 201, f"a create with an Idempotency-Key ({first!r})")
        _purge_fill(tag, n_old)
        old, keep = _purge_rows(tag, "old"), _purge_rows(tag, "keep")
        note("rows older than the windows: " + ", ".join(f"{t} {len(v)}"
                                                          for t, v in old.items())
             + "; inside: " + ", ".join(f"{t} {len(v)}" for t, v in keep.items()))

        rc, out, err = _purge_run(conf, "--dry-run")
        eq(rc, 0, f"purge --dry-run's exit status ({err.strip()!r})")
        dry = _purge_report(out)
        for t in _purge_ROWS:
            check(isinstance(dry.get(t), tuple) and dry[t][0] >= len(old[t]),
                  f"--dry-run: {t}: {dry.get(t)!r}, want at least {len(old[t])} rows")
        eq(_purge_rows(tag, "old"), old, "--dry-run: the old rows (identity, xmin)")
        _purge_check_kept(keep, _purge_rows(tag, "keep"), "--dry-run")

        load = _purge_Load(4)
        load.start()
        try:
            load.wait_every_client_created_after(time.monotonic(), "before the purge")
            began = time.monotonic()
            rc, out, err = _purge_run(conf)
            ended = time.monotonic()
            load.wait_every_client_created_after(ended, "after the purge")
        finally:
            load.stop()
        eq(rc, 0, f"purge's exit status ({err.strip()!r})")
        got = _purge_report(out)
        for t in _purge_ROWS:
            check(isinstance(got.get(t), tuple) and got[t][0] >= len(old[t]),
                  f"purge: {t}: {got.get(t)!r}, want at least {len(old[t])} rows")
        check(got["idempotency"][1] >= 3,
              f"{got['idempotency'][0]} idempotency rows in {got['idempotency'][1]} "
              f"batches of at most 1000")
        _purge_check_gone(_purge_rows(tag, "old"), "purge")
        _purge_check_kept(keep, _purge_rows(tag, "keep"), "purge")

        statuses = {}
        for r in load.results:
            statuses[r[3]] = statuses.get(r[3], 0) + 1
        note(f"requests during the load: {len(load.results)}, statuses "
             f"{dict(sorted(statuses.items(), key=lambda kv: str(kv[0])))}")
        note(f"requests sent while the purge ran: "
             f"{sum(1 for r in load.results if began <= r[0] < ended)}")
        bad = load.failed()
        check(not bad, f"{len(bad)} requests without a 2xx, e.g. {bad[:3]!r}")
        keys = list(load.keys)
        arr = "ARRAY[" + ",".join(lit(k) for k in keys) + "]::text[]"
        eq(int(sql_one(f"SELECT count(*) FROM idempotency WHERE key = ANY({arr})")),
           len(keys), "the load's keys answered 201 that have their row")

        again = request("POST", f"{_purge_V1}/users", body, headers=hkey)
        eq(again.status, 201, f"the replay after the purge ({again!r})")
        eq(again.header("Idempotent-Replayed"), "true",
           "the replay after the purge is marked Idempotent-Replayed")
        eq(again.body, first.body, "the replay's body")


@test
def purge_small_batches_skip_held_rows_and_keep_retention_0():
    """--batch 7 over a few hundred old rows: all go, in at least rows/7
    statements; an old row another transaction holds (FOR UPDATE) is
    skipped, not waited for, and goes in the next run; with the audit's
    retention at 0 its old rows stay and purge says kept. Bad --batch
    values exit 2; retention keys out of range fail check-config."""
    tag = "purgeb-" + uuid.uuid4().hex[:8]
    _purge_fill(tag, 300)
    old, keep = _purge_rows(tag, "old"), _purge_rows(tag, "keep")
    conf = _purge_conf("purge-batch", **dict(_purge_CONF, retention_audit_days=0))

    held_key = sorted(old["idempotency"])[0].split(" ")[0]
    holder = pg_session()
    try:
        holder.query("BEGIN")
        eq(holder.query(f"SELECT 1 FROM idempotency WHERE key = {lit(held_key)} "
                        "FOR UPDATE"), ["1"], "the held row")
        rc, out, err = _purge_run(conf, "--batch", "7")
        eq(rc, 0, f"purge --batch 7's exit status ({err.strip()!r})")
        got = _purge_report(out)
        eq(got.get("audit_log"), "kept", "audit_log with retention_audit_days = 0")
        for t in ("idempotency", "invites", "api_tokens", "import_job_errors",
                  "import_jobs", "import_runs"):
            rows, batches = got.get(t, (0, 0))
            check(rows >= len(old[t]) - (t == "idempotency"),
                  f"{t}: {rows} rows deleted, want at least {len(old[t])}")
            check(rows <= 7 * batches, f"{t}: {rows} rows in {batches} batches of 7")
        after = _purge_rows(tag, "old")
        eq(after["idempotency"], {k for k in old["idempotency"]
                                  if k.split(" ")[0] == held_key},
           "idempotency: the old rows left (only the held one)")
        eq(after["audit_log"], old["audit_log"], "audit_log: old rows (retention 0)")
        for t in ("invites", "api_tokens", "import_job_errors", "import_jobs",
                  "import_runs"):
            eq(after[t], set(), f"{t}: old rows left")
        _purge_check_kept(keep, _purge_rows(tag, "keep"), "purge --batch 7")
    finally:
        holder.query("ROLLBACK")
        holder.close()
    rc, out, err = _purge_run(conf, "--batch", "7")
    eq(rc, 0, f"the second purge's exit status ({err.strip()!r})")
    eq(_purge_rows(tag, "old")["idempotency"], set(),
       "idempotency: the row held during the first purge, after the second")

    for bad in ("0", "-1", "abc", "", "100001", "7x"):
        rc, out, err = _purge_run(conf, "--batch", bad)
        eq(rc, 2, f"--batch {bad!r}: exit status")
        eq(out, "", f"--batch {bad!r}: nothing done")
    for args in (("--batch",), ("--now",), ("extra",)):
        rc, _, _ = _purge_run(conf, *args)
        eq(rc, 2, f"purge {' '.join(args)}: exit status")
    for key, value in (("retention_idempotency_hours", "23"),
                       ("retention_idempotency_hours", "0"),
                       ("retention_invites_days", "-1"),
                       ("retention_audit_days", "36501"),
                       ("retention_api_tokens_days", "x"),
                       ("retention_import_jobs_days", "36501")):
        bad_conf = _purge_conf("purge-range", **{key: value})
        p = subprocess.run([ROSTERCTL, "-c", bad_conf, "check-config"],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode != 0 and key in p.stderr,
              f"{key} = {value}: check-config exit {p.returncode}, {p.stderr.strip()!r}")
        rc, out, _ = _purge_run(bad_conf)
        check(rc != 0 and out == "", f"{key} = {value}: purge ran (exit {rc})")
