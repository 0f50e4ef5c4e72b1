# t_import_jobs.py: /v1 import jobs and the streamed export, through nginx
# to rosterd and its job runner (process rosterd-jobs): a CSV posted,
# polled to its end, its users, groups, memberships and per-row errors
# there; dry runs write nothing; refused uploads leave no job; the
# runner killed with SIGKILL in the middle of a job, which the next one
# finishes with nothing twice and nothing missing; every export format
# read back by an import job into an empty tenant.
#
# Exec'd by test_api.py into its globals; every top-level name of this
# file but the tests starts with _ij_ (and v1_import_job(s), which the
# refusal table uses).
# ruff: noqa: F821

import csv as _ij_csv
import io as _ij_io

_ij_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ij_ENDED = ("succeeded", "failed", "cancelled")
# rosterd's bcrypt shape check wants cost 04-31 and 53 characters after it
_ij_HASH = "$2b$10$" + "a" * 53


def _ij_post(tenant, body, ctype="text/csv", query="", token="default"):
    if isinstance(body, str):
        body = body.encode()
    return request("POST", f"/v1/tenants/{tenant}/imports{query}", body, ctype=ctype,
                   token=token)


def _ij_job(tenant, job_id):
    r = v1("GET", f"/tenants/{tenant}/imports/{job_id}")
    eq(r.status, 200, f"GET the import job ({r!r})")
    return r.json()


def _ij_wait(tenant, job_id, timeout=90):
    """The job once it has ended (a guard against a hang, not a measure)."""
    def ended():
        j = _ij_job(tenant, job_id)
        return j if j["state"] in _ij_ENDED else None
    return wait_until(ended, f"import job {job_id} ended", timeout=timeout, interval=0.1)


def _ij_run(tenant, body, ctype="text/csv", query=""):
    r = _ij_post(tenant, body, ctype, query)
    eq(r.status, 202, f"POST imports ({r!r})")
    j = r.json()
    eq(r.header("Location"), f"/v1/tenants/{tenant}/imports/{j['id']}", "Location")
    check(j["state"] in ("queued", "running", "succeeded"), f"a new job's state {j!r}")
    return _ij_wait(tenant, j["id"])


def v1_import_job(tenant):
    """A job of tenant that has ended (a dry run of one row)."""
    r = _ij_post(tenant, f"username\n{unique('ij')}\n", query="?dryRun=true")
    eq(r.status, 202, f"POST imports ({r!r})")
    return _ij_wait(tenant, r.json()["id"])


def _ij_count(sql):
    return int(sql_one(sql))


def _ij_jobs_of(tenant):
    return _ij_count(f"SELECT count(*) FROM import_jobs WHERE tenant_id = {lit(tenant)}")


def _ij_runners():
    """The pids of MAIN's import job runners (two while one hands over)."""
    p = subprocess.run(["pgrep", "-P", str(MAIN.pid)], capture_output=True, text=True)
    out = []
    for x in p.stdout.split():
        try:
            with open(f"/proc/{x}/comm") as f:
                if f.read().strip() == "rosterd-jobs" and pid_alive(int(x)):
                    out.append(int(x))
        except OSError:
            continue
    return out


def _ij_runner():
    """The pid of MAIN's import job runner."""
    return wait_until(lambda: (lambda r: r[0] if len(r) == 1 else None)(_ij_runners()),
                      "the import job runner (rosterd-jobs)")


def _ij_session():
    """A session kept open (locks held across calls), as the superuser:
    tests that end every rosterd session (t_stmtcache's) leave it, and the
    jobs it holds, alone."""
    return pg_session("rt-holder", "postgres")


_ij_holder = None
_ij_held = []   # the ids of the jobs _ij_holder holds


def v1_import_job_held(tenant):
    """A queued job of tenant that no runner takes: a session of this test
    holds its lock, as a runner working on it would."""
    global _ij_holder
    if _ij_holder is None:
        _ij_holder = _ij_session()
    jid = str(uuid.uuid4())
    _ij_holder.query(
        f"SELECT pg_advisory_lock(hashtext('rosterd import job'), hashtext({lit(jid)}));"
        f"INSERT INTO import_jobs (tenant_id, id, format, mode, batch, file_size, created_by)"
        f" VALUES ({lit(tenant)}, {lit(jid)}, 'csv', 'create', 100, 9, 'it');"
        f"INSERT INTO import_job_files (tenant_id, job_id, file)"
        f" VALUES ({lit(tenant)}, {lit(jid)}, 'username\n'::bytea);")
    _ij_held.append(jid)
    return jid


def v1_import_jobs_release_held():
    """Cancels the held jobs still queued, then ends their holder: called
    before anything that ends every session (a restart of PostgreSQL), so
    that no runner takes such a job later, in another test's window."""
    global _ij_holder
    if _ij_holder is None:
        return
    if _ij_held:
        ids = "ARRAY[" + ",".join(lit(j) for j in _ij_held) + "]::uuid[]"
        _ij_holder.query(f"UPDATE import_jobs SET state = 'cancelled', finished_at = now(),"
                       f" updated_at = now() WHERE id = ANY({ids}) AND state = 'queued';")
    _ij_holder.close()
    _ij_holder = None
    _ij_held.clear()


def _ij_same(body):
    """An export, group and role records without their ids."""
    out = []
    for line in body.decode().splitlines():
        if line.startswith('{"type":"group"') or line.startswith('{"type":"role"'):
            rec = json.loads(line)
            rec.pop("id")
            line = json.dumps(rec, sort_keys=True)
        out.append(line)
    return out


def _ij_export(tenant, fmt=None, accept=None):
    h = {"Accept": accept} if accept else {}
    q = f"?format={fmt}" if fmt else ""
    return request("GET", f"/v1/tenants/{tenant}/export{q}", headers=h)


@test
def import_job_csv_users_groups_memberships_errors():
    t = v1_tenant()["id"]
    a, b, c = unique("ija"), unique("ijb"), unique("ijc")
    body = ("username,email,firstName,groups,roles,passwordHash\r\n"
            f"{a},{a}@example.com,Ada,security:eng;team-x,Auditor,{_ij_HASH}\r\n"
            f"{b},not-an-email,Bob,security:eng,,\r\n"
            f"{c},{c}@example.com,Cy,team-x,,\r\n")
    job = _ij_run(t, body, query="?fileName=staff.csv")
    eq(job["state"], "succeeded", f"job state ({job!r})")
    eq(job["fileName"], "staff.csv", "fileName")
    eq(job["progress"]["rows"], 3, "rows read")
    eq(job["progress"]["percent"], 100.0, "percent")
    cnt = job["counts"]
    eq((cnt["usersCreated"], cnt["groupsCreated"], cnt["membershipsAdded"],
        cnt["rolesCreated"], cnt["roleAssignmentsAdded"], cnt["errors"]),
       (2, 2, 3, 1, 1, 1), f"counts {cnt!r}")
    check(job["created"] and job["started"] and job["finished"], f"times {job!r}")
    users = psql(f"SELECT username FROM users WHERE tenant_id = {lit(t)} ORDER BY 1")
    eq(users, sorted([a, c]), "the users imported")
    eq(_ij_count(f"SELECT count(*) FROM group_members m JOIN users u ON u.tenant_id ="
                 f" m.tenant_id AND u.id = m.user_id WHERE m.tenant_id = {lit(t)}"), 3,
       "memberships")
    eq(sql_one(f"SELECT created_by FROM users WHERE tenant_id = {lit(t)} AND username = {lit(a)}"),
       job["createdBy"], "a user's created_by is the job's creator")
    # the row error, with its line and column, in each shape
    r = request("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors",
                headers={"Accept": "text/csv"})
    eq(r.status, 200, f"errors as CSV ({r!r})")
    check((r.header("Content-Type") or "").startswith("text/csv"), "errors Content-Type")
    rows = list(_ij_csv.reader(_ij_io.StringIO(r.body.decode())))
    eq(rows[0], ["line", "column", "field", "message"], "CSV header")
    eq([x[:3] for x in rows[1:]], [["3", "2", "email"]], f"CSV errors {rows!r}")
    r = request("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors")
    eq(r.status, 200, f"errors as JSON ({r!r})")
    items = r.json()["items"]
    eq([(e["line"], e["column"], e["field"]) for e in items], [(3, 2, "email")],
       f"JSON errors {items!r}")
    check("not-an-email" not in r.body.decode(), "a value is never quoted back")
    r = request("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors",
                headers={"Accept": "application/x-ndjson"})
    eq([json.loads(x)["line"] for x in r.body.decode().splitlines()], [3], "JSON Lines errors")
    r = request("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors",
                headers={"Accept": "application/xml"})
    problem(r, 406)
    # one audit row, the job's, and the job in the tenant's list
    eq(audit_count(t, "user.import", job["id"]), 1, "the job's audit row")
    r = v1("GET", f"/tenants/{t}/imports?limit=1")
    eq(r.status, 200, f"list ({r!r})")
    eq([x["id"] for x in r.json()["items"]], [job["id"]], "the list")
    check(r.json()["nextCursor"] is None, "one job: no next page")
    r = v1("GET", f"/tenants/{t}/imports?state=running")
    eq(r.json()["items"], [], "no running job")
    # a job's body never shows the file, nor a hash
    check(_ij_HASH not in json.dumps(job), "no hash in the job")


@test
def import_job_dry_run_and_atomic_write_nothing():
    t = v1_tenant()["id"]
    good, bad = unique("ijd"), unique("ijd")
    body = f"username,email\n{good},{good}@example.com\n{bad},broken\n"
    before = _ij_count(f"SELECT count(*) FROM users WHERE tenant_id = {lit(t)}")
    job = _ij_run(t, body, query="?dryRun=true")
    eq((job["state"], job["dryRun"]), ("succeeded", True), f"dry run {job!r}")
    eq((job["counts"]["usersCreated"], job["counts"]["errors"]), (1, 1), "would-be counts")
    r = request("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors")
    eq([e["line"] for e in r.json()["items"]], [3], "a dry run's errors")
    job = _ij_run(t, body, query="?atomic=true")
    eq(job["state"], "failed", f"atomic with a bad row ({job!r})")
    check("nothing was written" in (job["message"] or ""), f"message {job['message']!r}")
    eq(_ij_count(f"SELECT count(*) FROM users WHERE tenant_id = {lit(t)}"), before,
       "users after a dry run and a failed atomic job")
    eq(audit_count(t, "user.import"), 0, "no audit row for either")
    eq(_ij_count("SELECT count(*) FROM import_job_files f JOIN import_jobs j ON"
                 f" j.tenant_id = f.tenant_id AND j.id = f.job_id WHERE j.tenant_id = {lit(t)}"),
       0, "a finished job's file is dropped")


@test
def import_job_refused_uploads_leave_no_job():
    t = v1_tenant()["id"]
    cases = [
        ("an unclosed quote", '"username\nx\n', "text/csv", "", 400, "file"),
        ("bad UTF-8", b"username\n\xff\xfe\n", "text/csv", "", 400, "file"),
        ("no username column", "nickname\nx\n", "text/csv", "", 400, "file"),
        ("an empty file", b"", "text/csv", "", 400, "file"),
        ("a truncated xlsx", b"PK\x03\x04" + b"\x00" * 40, _ij_XLSX, "", 400, "file"),
        ("an unknown media type", "username\nx\n", "application/xml", "", 415, "Content-Type"),
        ("a bad mode", "username\nx\n", "text/csv", "?mode=merge", 400, "mode"),
        ("upsert without match", "username\nx\n", "text/csv", "?mode=upsert", 400, "match"),
        ("no match column", "username\nx\n", "text/csv", "?mode=upsert&match=email", 400,
         "file"),
        ("a bad batch", "username\nx\n", "text/csv", "?batch=0", 400, "batch"),
        ("a bad dryRun", "username\nx\n", "text/csv", "?dryRun=maybe", 400, "dryRun"),
    ]
    for label, body, ctype, q, status, field in cases:
        r = _ij_post(t, body, ctype, q)
        problem(r, status, field)
        check(r.json()["detail"], f"{label}: a detail")
        check("rosterd-upload" not in r.body.decode(), f"{label}: no temporary path: {r!r}")
    # over import_max_upload_bytes (tests/http/run: 1 MiB): rosterd's 413,
    # in /v1's shape, naming the limit
    big = "username\n" + ("x" * 80 + "\n") * 14000
    r = _ij_post(t, big)
    problem(r, 413)
    check("1048576" in r.json()["detail"], f"413 names the limit: {r!r}")
    eq(_ij_jobs_of(t), 0, "refused uploads made no job")
    problem(_ij_post(str(uuid.uuid4()), "username\nx\n"), 404)


@test
def import_job_authz_and_other_tenants():
    t = TENANT_A
    job = v1_import_job(t)
    reader = ctl_token("it-reader", ["TenantReader"], tid=t)
    admin_b = ctl_token("it-admin-b", ["TenantAdmin"], tid=TENANT_B)
    for m, path, body in (("POST", f"/v1/tenants/{t}/imports", "username\nx\n"),
                          ("GET", f"/v1/tenants/{t}/imports", None),
                          ("GET", f"/v1/tenants/{t}/imports/{job['id']}", None),
                          ("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors", None),
                          ("DELETE", f"/v1/tenants/{t}/imports/{job['id']}", None),
                          ("GET", f"/v1/tenants/{t}/export", None)):
        for who, tok in (("TenantReader", reader), ("another tenant's admin", admin_b)):
            r = request(m, path, body, token=tok, ctype="text/csv")
            problem(r, 403)
    # the job through another tenant's path: not there
    for m, suffix in (("GET", ""), ("GET", "/errors"), ("DELETE", "")):
        r = request(m, f"/v1/tenants/{TENANT_B}/imports/{job['id']}{suffix}")
        problem(r, 404)


@test
def import_job_cancel_queued_and_ended():
    t = v1_tenant()["id"]
    jid = v1_import_job_held(t)
    r = v1("DELETE", f"/tenants/{t}/imports/{jid}")
    eq(r.status, 200, f"cancel a queued job ({r!r})")
    eq(r.json()["state"], "cancelled", "state")
    check(r.json()["finished"], "a cancelled queued job has finished")
    eq(_ij_job(t, jid)["state"], "cancelled", "GET after the cancel")
    problem(v1("DELETE", f"/tenants/{t}/imports/{jid}"), 409)
    eq(audit_count(t, "import.cancel", jid), 1, "the cancel's audit row")
    problem(v1("DELETE", f"/tenants/{t}/imports/{uuid.uuid4()}"), 404)
    problem(v1("GET", f"/tenants/{t}/imports/not-a-uuid"), 404)


@test
def import_job_runner_killed_mid_job_resumes_without_duplicates():
    """The runner is killed (SIGKILL) while a batch waits for a row lock this
    test holds, after 4 batches committed; the supervisor starts a new one,
    which takes the job over and finishes it: every row in once."""
    t = v1_tenant()["id"]
    held = v1_user(t)
    n, batch, at = 2000, 250, 1001  # row `at` updates the held user: batch 5
    rows = []
    for i in range(1, n + 1):
        if i == at:
            rows.append(f"{held['username']},Held,security:k{i % 3}")
        else:
            rows.append(f"{unique('ijk')}-{i},T{i},security:k{i % 3}")
    body = "username,title,groups\n" + "\n".join(rows) + "\n"
    s = _ij_session()
    try:
        s.query(f"BEGIN; SELECT 1 FROM users WHERE tenant_id = {lit(t)}"
              f" AND id = {lit(held['id'])} FOR UPDATE;")
        r = _ij_post(t, body, query=f"?mode=upsert&match=username&batch={batch}")
        eq(r.status, 202, f"POST ({r!r})")
        jid = r.json()["id"]
        # four batches committed, the fifth waits for the lock
        wait_until(lambda: _ij_job(t, jid)["progress"]["rows"] == 4 * batch,
                   "four batches in", timeout=90, interval=0.1)
        victim = _ij_runner()
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: set(_ij_runners()) - {victim}, "a new runner", timeout=60)
        s.query("COMMIT;")
    finally:
        s.close()
    job = _ij_wait(t, jid, timeout=120)
    eq(job["state"], "succeeded", f"the job after the kill ({job!r})")
    check(job["attempts"] >= 2, f"taken over: attempts {job['attempts']}")
    eq(job["progress"]["rows"], n, "rows")
    eq((job["counts"]["usersCreated"], job["counts"]["usersUpdated"], job["counts"]["errors"]),
       (n - 1, 1, 0), f"counts {job['counts']!r}")
    eq(_ij_count(f"SELECT count(*) FROM users WHERE tenant_id = {lit(t)}"), n,
       "users: each once")
    eq(_ij_count(f"SELECT count(DISTINCT lower(username)) FROM users WHERE tenant_id = {lit(t)}"),
       n, "no username twice")
    eq(_ij_count(f"SELECT count(*) FROM group_members WHERE tenant_id = {lit(t)}"), n,
       "memberships: each once")
    eq(sql_one(f"SELECT title FROM users WHERE id = {lit(held['id'])}"), "Held",
       "the held user updated")
    eq(audit_count(t, "user.import", jid), 1, "one audit row")


@test
def export_each_format_round_trips_through_an_import_job():
    src = v1_tenant()["id"]
    names = [unique("ije") for _ in range(5)]
    lines = ["username,email,firstName,active,groups,roles,passwordHash"]
    for i, u in enumerate(names):
        lines.append(f"{u},{u}@example.com,Ünïcode {i},{'true' if i % 2 else 'false'},"
                     f"security:eng;user:team-{i % 2},Role{i % 2},{_ij_HASH if i == 0 else ''}")
    job = _ij_run(src, "\n".join(lines) + "\n")
    eq((job["state"], job["counts"]["usersCreated"]), ("succeeded", 5), f"source {job!r}")
    base = {}
    for fmt, ctype in (("csv", "text/csv"), ("jsonl", "application/x-ndjson"),
                       ("xlsx", _ij_XLSX)):
        r = _ij_export(src, fmt)
        eq(r.status, 200, f"export {fmt} ({r!r})")
        check((r.header("Content-Type") or "").startswith(ctype), f"{fmt}: Content-Type")
        check(b"passwordHash" not in r.body and _ij_HASH.encode() not in r.body,
              f"{fmt}: no password hash over HTTP")
        base[fmt] = r.body
        dst = v1_tenant()["id"]
        job = _ij_run(dst, r.body, ctype=ctype)
        eq((job["state"], job["counts"]["usersCreated"], job["counts"]["errors"]),
           ("succeeded", 5, 0), f"{fmt} imported ({job!r})")
        # what the copy exports is what the source exports (a new tenant's
        # own groups and roles, made with it, have ids of their own)
        cmp = "csv" if fmt == "xlsx" else fmt
        eq(_ij_same(_ij_export(dst, cmp).body), _ij_same(_ij_export(src, cmp).body),
           f"{fmt}: round trip")
    # negotiated by Accept; ?format= wins
    r = _ij_export(src, accept="text/csv")
    eq(r.body, base["csv"], "Accept: text/csv")
    r = _ij_export(src, accept="text/csv;q=0, application/x-ndjson")
    eq(r.body, base["jsonl"], "Accept with q=0")
    r = _ij_export(src, "jsonl", accept="text/csv")
    eq(r.body, base["jsonl"], "?format= over Accept")
    problem(_ij_export(src, accept="application/xml"), 406)
    problem(_ij_export(src, "yaml"), 400, "format")
    problem(_ij_export(str(uuid.uuid4())), 404)


@test
def import_job_runner_reload_mid_job_hands_the_job_over():
    """SIGHUP while a batch waits for a row lock this test holds: the old
    runner ends that batch once the lock goes and stops; the new runner
    finishes the job. Every row in once, and the master still serves."""
    t = v1_tenant()["id"]
    held = v1_user(t)
    n, batch, at = 600, 100, 301  # row `at` updates the held user: batch 4
    rows = [f"{held['username']},Held" if i == at else f"{unique('ijh')}-{i},T{i}"
            for i in range(1, n + 1)]
    body = "username,title\n" + "\n".join(rows) + "\n"
    s = _ij_session()
    try:
        s.query(f"BEGIN; SELECT 1 FROM users WHERE tenant_id = {lit(t)}"
              f" AND id = {lit(held['id'])} FOR UPDATE;")
        r = _ij_post(t, body, query=f"?mode=upsert&match=username&batch={batch}")
        eq(r.status, 202, f"POST ({r!r})")
        jid = r.json()["id"]
        wait_until(lambda: _ij_job(t, jid)["progress"]["rows"] == 3 * batch,
                   "three batches in", timeout=90, interval=0.1)
        old = _ij_runner()
        os.kill(MAIN.pid, signal.SIGHUP)
        wait_until(lambda: set(_ij_runners()) - {old}, "a new runner after SIGHUP",
                   timeout=60)
        s.query("COMMIT;")
    finally:
        s.close()
    wait_until(lambda: not pid_alive(old), "the old runner gone", timeout=60)
    job = _ij_wait(t, jid, timeout=120)
    eq(job["state"], "succeeded", f"the job after the reload ({job!r})")
    eq((job["progress"]["rows"], job["counts"]["usersCreated"], job["counts"]["usersUpdated"]),
       (n, n - 1, 1), f"rows and counts {job!r}")
    eq(_ij_count(f"SELECT count(*) FROM users WHERE tenant_id = {lit(t)}"), n,
       "users: each once")
    eq(audit_count(t, "user.import", jid), 1, "one audit row")
    eq(request("GET", "/healthz", token=None).status, 200, "serving after the reload")


@test
def import_job_runner_term_while_busy_exits_at_once():
    """SIGTERM while the runner waits on PostgreSQL (its look for work
    blocked by a lock this test holds): once the lock goes it exits, and
    never goes to sleep in its wait for work (JOB_POLL_MS, 5 s) first. A
    sleeping wait shows in /proc/PID/syscall as poll() with a timeout;
    libpq's wait for a result has none. The master starts a new runner."""
    old = _ij_runner()
    term = 1 << (signal.SIGTERM - 1)

    def pending():
        bits = 0
        with open(f"/proc/{old}/status") as f:
            for line in f:
                if line.startswith(("SigPnd:", "ShdPnd:")):
                    bits |= int(line.split()[1], 16)
        return bits & term

    def state():
        if not pid_alive(old):
            return "gone"
        try:
            with open(f"/proc/{old}/syscall") as f:
                sc = f.read().split()
        except FileNotFoundError:
            return "gone"
        except PermissionError:
            raise Skip("/proc/PID/syscall cannot be read here") from None
        # poll(fds, nfds, timeout): a timeout that is not -1 is the runner's own
        if len(sc) > 3 and sc[0] == "7" and int(sc[3], 16) & 0xffffffff != 0xffffffff:
            return f"asleep in poll() for {int(sc[3], 16) & 0xffffffff} ms"
        return None

    s = _ij_session()
    try:
        s.query("BEGIN; LOCK TABLE import_jobs IN ACCESS EXCLUSIVE MODE;")
        psql("NOTIFY rosterd_import_jobs", user="postgres")
        wait_until(lambda: _ij_count(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
            "'rosterd import jobs' AND wait_event_type = 'Lock'") >= 1,
            "the runner's look for work waiting for the lock", timeout=60)
        os.kill(old, signal.SIGTERM)
        wait_until(lambda: not pending(), "SIGTERM delivered to the runner", timeout=60)
        s.query("ROLLBACK;")
    finally:
        s.close()
    got = wait_until(state, "the runner gone, or asleep after SIGTERM", timeout=60,
                     interval=0.01)
    eq(got, "gone", "the runner after SIGTERM")
    wait_until(lambda: set(_ij_runners()) - {old}, "a new runner", timeout=60)


@test
def import_job_system_roles_for_system_admins_only():
    """A TenantAdmin's import job cannot assign a role flagged
    isSystemAdmin, nor define (change) one: each such row is a row error
    naming the column, the rest is imported; a SystemAdmin's job can, as on
    every other route.  The job's audit row keeps its creator's request
    ids (the client's and nginx's)."""
    t = v1_tenant()["id"]
    sysr = v1("POST", f"/tenants/{t}/roles", {"name": unique("ijsys"), "isSystemAdmin": True})
    eq(sysr.status, 201, f"a SystemAdmin's system role ({sysr!r})")
    sysr = sysr.json()
    plain = v1("POST", f"/tenants/{t}/roles", {"name": unique("ijplain")}).json()
    tadm = ctl_token("it-ij-tadm", ["TenantAdmin"], t)
    a, b = unique("ija"), unique("ijb")
    body = (f"username,roles\n{a},{sysr['name'].upper()}\n{b},{plain['name']}\n").encode()
    rid = "ij-" + uuid.uuid4().hex
    r = request("POST", f"/v1/tenants/{t}/imports", body, ctype="text/csv", token=tadm,
                headers={"X-Request-Id": rid})
    eq(r.status, 202, f"a TenantAdmin's job ({r!r})")
    job = _ij_wait(t, r.json()["id"])
    eq((job["state"], job["counts"]["usersCreated"], job["counts"]["errors"],
        job["counts"]["roleAssignmentsAdded"]), ("succeeded", 1, 1, 1), f"job {job!r}")
    items = v1("GET", f"/tenants/{t}/imports/{job['id']}/errors").json()["items"]
    eq([(e["line"], e["field"]) for e in items], [(2, "roles")], f"row errors {items!r}")
    check("isSystemAdmin" in items[0]["message"], f"the message names the flag: {items!r}")
    eq(psql(f"SELECT username FROM users WHERE tenant_id = {lit(t)} ORDER BY 1"), [b],
       "the other row imported")
    eq(_ij_count(f"SELECT count(*) FROM role_assignments WHERE tenant_id = {lit(t)} "
                 f"AND role_id = {lit(sysr['id'])}"), 0, "the system role assigned to no one")
    row = psql(f"SELECT request_id || ' ' || coalesce(edge_request_id, '-') FROM audit_log "
               f"WHERE tenant_id = {lit(t)} AND action = 'user.import' "
               f"AND target_id = {lit(job['id'])}")
    eq(len(row), 1, f"the job's audit row {row!r}")
    check(re.fullmatch(re.escape(rid) + r" [0-9a-f]{32}", row[0]),
          f"the audit row's request ids: {row!r}")
    # a definition of the system role (an xlsx roles sheet, a Keycloak
    # realm role) is refused the same way; Keycloak's realm is the shorter
    realm = {"realm": "x", "roles": {"realm": [
        {"name": sysr["name"], "description": "taken over"},
        {"name": unique("ijnew"), "description": "new"}]},
        "users": [{"username": unique("ijk"), "enabled": True}]}
    r = request("POST", f"/v1/tenants/{t}/imports?format=keycloak&mode=upsert&match=username",
                json.dumps(realm).encode(), ctype="application/json", token=tadm)
    eq(r.status, 202, f"a TenantAdmin's Keycloak job ({r!r})")
    job = _ij_wait(t, r.json()["id"])
    eq((job["counts"]["errors"], job["counts"]["rolesCreated"], job["counts"]["usersCreated"]),
       (1, 1, 1), f"job {job!r}")
    eq(sql_one(f"SELECT version || ' ' || (description IS NULL) FROM roles "
               f"WHERE id = {lit(sysr['id'])}"), "1 true", "the system role unchanged")
    # a SystemAdmin's job assigns it
    c = unique("ijc")
    job = _ij_run(t, f"username,roles\n{c},{sysr['name']}\n")
    eq((job["counts"]["errors"], job["counts"]["roleAssignmentsAdded"]), (0, 1),
       f"a SystemAdmin's job {job!r}")


@test
def import_job_keycloak_and_auth0_exports():
    """The migration sources over HTTP: said with ?format=, as with rosterctl;
    the same users, and the same row errors (tests/import/fixtures)."""
    fx = os.path.join(ENV["RT_REPO"], "tests", "import", "fixtures")
    for name, fmt, users, err_line in (
            ("keycloak-realm.json", "keycloak",
             ["alice", "bob", "carol", "dave", "zoe"], 9),
            ("auth0-users.ndjson", "auth0",
             ["ann", "argon", "jurgen.gross@example.com", "md5user", "pbkdf2user",
              "sam@gmail.example", "test@test.example"], 3)):
        t = v1_tenant()["id"]
        with open(os.path.join(fx, name), "rb") as f:
            body = f.read()
        # without ?format= the JSON is no format rosterd guesses
        problem(_ij_post(t, body, "application/json"), 415, "Content-Type")
        job = _ij_run(t, body, "application/json", f"?format={fmt}&fileName={name}")
        eq(job["state"], "succeeded", f"{fmt}: {job!r}")
        eq(job["counts"]["usersCreated"], len(users), f"{fmt}: users created")
        got = psql(f"SELECT username FROM users WHERE tenant_id = {lit(t)} ORDER BY 1")
        eq(got, sorted(users), f"{fmt}: the users")
        r = request("GET", f"/v1/tenants/{t}/imports/{job['id']}/errors")
        check(err_line in [e["line"] for e in r.json()["items"]],
              f"{fmt}: the duplicate e-mail's line {err_line} in {r.json()!r}")
    # a truncated realm is refused whole: no job
    t = v1_tenant()["id"]
    problem(_ij_post(t, body[:0] + b'{"realm":"x","users":[{"username":"a"', "application/json",
                     "?format=keycloak"), 400, "file")
    eq(_ij_jobs_of(t), 0, "no job for a truncated realm")
