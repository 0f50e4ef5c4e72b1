# What an operator meets first: --version and --help without a config,
# rosterctl check-config --print, the warning on unknown ROSTERD_
# variables, request logging (access_log, remote_addr, the request id in
# rosterd's line and in nginx's), schema readiness (readyz and the API
# answer 503 while a migration of sql_dir is missing, and serve once
# rosterctl migrate has run, without a restart), rosterd --check-schema
# and rosterctl token's argument checks.
#
# Exec'd by test_api.py into its globals: its helpers are used as they
# are, and every top-level name that is not a test starts with _op_.
# Extra rosterd instances get their own socket and their own nginx, made
# from the stack's copy of nginx/rosterd.conf with only the listen
# ports, the socket and the access log's path changed.

import shutil as _op_shutil

_op_NGINX_DIR = os.path.join(TMP, "nginx")


def _op_run(argv, env_extra=None, env=None, user=None, timeout=30):
    """Runs argv; returns (exit status, stdout, stderr) as text."""
    if env is None:
        env = dict(os.environ)
    env.update(env_extra or {})
    if user:
        argv = ["runuser", "-u", user, "--", *argv]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                       timeout=timeout, cwd="/")
    err = p.stderr.decode("utf-8", "replace")
    with open(os.path.join(TMP, "rosterctl-operator.log"), "a") as log:
        log.write(err)
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


class _op_Log:
    """JSON lines from a text or a file, parsed as Rosterd parses its log."""

    def __init__(self, text=None, path=None):
        self.text, self.path = text, path

    def log_text(self, start=0):
        if self.path is None:
            return self.text[start:]
        if not os.path.exists(self.path):
            return ""
        with open(self.path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    log_records = Rosterd.log_records


def _op_log_records(text):
    return _op_Log(text=text).log_records()


def _op_nginx_site(sock, https_port, http_port, access_log):
    """The stack's transformed site file for another socket, ports and
    access log."""
    with open(os.path.join(_op_NGINX_DIR, "rosterd.conf")) as f:
        site = f.read()
    for old, new in ((f"unix:{ENV['RT_SOCK']};", f"unix:{sock};"),
                     (f"listen {HOST}:{PORT} ssl http2;",
                      f"listen {HOST}:{https_port} ssl http2;"),
                     (f"listen {HTTP_URL.split('//', 1)[1]};",
                      f"listen 127.0.0.1:{http_port};")):
        check(old in site, f"nginx site: no {old!r} to change")
        site = site.replace(old, new)
    site, n = re.subn(r"(?m)^(\s*access_log\s+)\S+(\s+rosterd;)",
                      lambda m: m.group(1) + access_log + m.group(2), site)
    eq(n, 1, "access_log lines using log_format rosterd in the site")
    return site


class _op_Stack:
    """An extra rosterd (its own config lines on top of the test config)
    behind its own nginx."""

    def __init__(self, name, extra_lines=(), env_extra=None):
        self.dir = os.path.join(TMP, "op-" + name)
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.sock = os.path.join(self.dir, "rosterd.sock")
        self.conf = os.path.join(self.dir, "rosterd.conf")
        write_conf(self.conf, good_conf_lines(self.sock) + list(extra_lines))
        self.access_log = os.path.join(self.dir, "rosterd.access.log")
        self.port = int(_op_free_port())
        self.inst = Rosterd("rosterd-op-" + name, self.conf, env_extra)
        self.nginx_pid = None
        try:
            self._nginx(int(_op_free_port()))
        except BaseException:
            self.stop()
            raise

    def _nginx(self, http_port):
        site = _op_nginx_site(self.sock, self.port, http_port, self.access_log)
        with open(os.path.join(self.dir, "site.conf"), "w") as f:
            f.write(site)
        with open(os.path.join(_op_NGINX_DIR, "nginx.conf")) as f:
            main = f.read()
        main = main.replace(_op_NGINX_DIR + "/", self.dir + "/")
        main = main.replace(os.path.join(self.dir, "rosterd.conf"),
                            os.path.join(self.dir, "site.conf"))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(main)
        _op_shutil.copy(os.path.join(_op_NGINX_DIR, "fastcgi_params"), self.dir)
        args = ["nginx", "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                "-c", os.path.join(self.dir, "nginx.conf")]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"nginx did not start: {p.stderr.strip()}")
        with open(os.path.join(self.dir, "nginx.pid")) as f:
            self.nginx_pid = int(f.read().strip())
        self.wait_for("/healthz", 200)

    def conn(self, source=None):
        return http.client.HTTPSConnection(
            HOST, self.port, context=TLS, timeout=TIMEOUT,
            source_address=(source, 0) if source else None)

    def request(self, method, path, body=None, source=None, **kw):
        c = self.conn(source)
        try:
            return request(method, path, body, conn=c, **kw)
        finally:
            c.close()

    def wait_for(self, path, status, timeout=60, **kw):
        """Polls path until it answers status; the deadline only guards
        against a hang."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.inst.proc.poll() is not None:
                raise Fail(f"rosterd exited with {self.inst.proc.returncode}: "
                           f"{self.inst.log_text()[-600:]}")
            try:
                last = self.request("GET", path, **kw)
                if last.status == status:
                    return last
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise Fail(f"GET {path} did not answer {status} within {timeout} s: {last!r}")

    def stop(self):
        if self.nginx_pid:
            try:
                os.kill(self.nginx_pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 30
            while pid_alive(self.nginx_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(self.nginx_pid):
                os.kill(self.nginx_pid, signal.SIGKILL)
            self.nginx_pid = None
        return self.inst.stop(20)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _op_free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _op_version():
    rc, out, _ = _op_run([ROSTERD, "--version"])
    eq(rc, 0, "rosterd --version exit status")
    m = re.fullmatch(r"rosterd (\d+\.\d+\.\d+\S*)\n", out)
    check(m, f"rosterd --version printed {out!r}")
    return m.group(1)


@test
def operator_version_and_help_need_no_config():
    """--version and --help of both programs, with a config path that
    does not exist, and (as root) as an unprivileged user."""
    version = _op_version()
    nowhere = os.path.join(TMP, "no-such-dir", "rosterd.conf")
    user = "nobody" if os.geteuid() == 0 else None
    # copies an unprivileged user can surely reach (TMP is 0755)
    bindir = os.path.join(TMP, "op-bin")
    os.makedirs(bindir, exist_ok=True)
    os.chmod(bindir, 0o755)
    ROSTERD, ROSTERCTL = (_op_shutil.copy(p, bindir) for p in (globals()["ROSTERD"],
                                                               globals()["ROSTERCTL"]))
    for prog, args, want in (
            (ROSTERD, ["-V"], f"rosterd {version}\n"),
            (ROSTERD, ["-c", nowhere, "--version"], f"rosterd {version}\n"),
            (ROSTERCTL, ["--version"], f"rosterctl {version}\n"),
            (ROSTERCTL, ["-c", nowhere, "--version"], f"rosterctl {version}\n")):
        rc, out, err = _op_run([prog, *args], user=user)
        eq((rc, out), (0, want), f"{os.path.basename(prog)} {' '.join(args)} ({err.strip()!r})")
    for prog, args, words in (
            (ROSTERD, ["--help"], ["--check-schema", "--version", "-c"]),
            (ROSTERD, ["-h"], ["--check-schema"]),
            (ROSTERD, ["-c", nowhere, "--help"], ["--check-schema"]),
            (ROSTERCTL, ["--help"], ["migrate", "check-config [--print]", "token", "--ttl"]),
            (ROSTERCTL, ["help"], ["bootstrap", "TenantReader"]),
            (ROSTERCTL, ["-c", nowhere, "help"], ["statements"])):
        rc, out, err = _op_run([prog, *args], user=user)
        what = f"{os.path.basename(prog)} {' '.join(args)}"
        eq(rc, 0, f"{what} exit status ({err.strip()!r})")
        check(out.startswith("usage: "), f"{what} printed {out[:80]!r} on stdout")
        for w in words:
            check(w in out, f"{what} does not mention {w!r}")
    for prog, args in ((ROSTERD, ["--bogus"]), (ROSTERD, ["stray"]), (ROSTERD, ["-c"]),
                       (ROSTERCTL, ["-c", CONF, "no-such-command"])):
        rc, out, err = _op_run([prog, *args])
        what = f"{os.path.basename(prog)} {' '.join(args)}"
        eq(rc, 2, f"{what} exit status")
        check("usage: " in err and out == "", f"{what}: usage not on stderr: {err[:200]!r}")


def _op_print(conf, env_extra=None):
    """rosterctl check-config --print: {key: (value, source)} and stderr."""
    rc, out, err = _op_run([ROSTERCTL, "-c", conf, "check-config", "--print"], env_extra)
    eq(rc, 0, f"check-config --print exit status ({err.strip()[-300:]!r})")
    keys = {}
    for line in out.splitlines():
        m = re.fullmatch(r"([a-z0-9_]+) = (.*?)  # (.+)", line)
        check(m, f"check-config --print line {line!r}")
        check(m.group(1) not in keys, f"{m.group(1)} printed twice")
        keys[m.group(1)] = (m.group(2), m.group(3))
    return keys, out, err


@test
def operator_check_config_print_sources_and_redaction():
    conf = os.path.join(TMP, "op-print.conf")
    lines = [l for l in good_conf_lines(os.path.join(TMP, "op-print.sock"))
             if l.split("=", 1)[0].strip() != "db_conninfo"]
    secret = "pw-" + uuid.uuid4().hex
    lines += ["", f"db_conninfo = host={PG_DIR} dbname=rosterd user=rosterd "
              f"password='{secret} x' sslmode=disable", "listen_mode = 0640"]
    write_conf(conf, lines)
    keys, out, _ = _op_print(conf, {"ROSTERD_WORKERS": "3", "ROSTERD_ACCESS_LOG": "off"})
    check(secret not in out, "the password is printed")
    eq(keys["db_conninfo"], (f"host={PG_DIR} dbname=rosterd user=rosterd password=***** "
                             "sslmode=disable", f"{conf}:{len(lines) - 1}"), "db_conninfo")
    eq(keys["listen_mode"], ("0640", f"{conf}:{len(lines)}"), "listen_mode")
    eq(keys["workers"], ("3", "env ROSTERD_WORKERS"), "workers (the file says 2)")
    eq(keys["access_log"], ("false", "env ROSTERD_ACCESS_LOG"), "access_log")
    eq(keys["max_depth"], ("32", "default"), "max_depth")
    eq(keys["jwt_require_exp"], ("true", "default"), "jwt_require_exp")
    eq(keys["max_body_bytes"][1].rsplit(":", 1)[0], conf, "max_body_bytes comes from the file")
    for k in ("listen", "sql_dir", "log_level", "shutdown_timeout", "jwt_issuer"):
        check(k in keys, f"{k} not printed")
    uri = f"postgresql://rosterd:{secret}@localhost/rosterd?password={secret}&sslmode=disable"
    keys, out, _ = _op_print(conf, {"ROSTERD_DB_CONNINFO": uri})
    check(secret not in out, "the URI's password is printed")
    eq(keys["db_conninfo"], ("postgresql://rosterd:*****@localhost/rosterd?password=*****"
                             "&sslmode=disable", "env ROSTERD_DB_CONNINFO"), "URI db_conninfo")
    rc, out, _ = _op_run([ROSTERCTL, "-c", conf, "check-config"])
    eq((rc, out), (0, f"{conf}: ok\n"), "check-config without --print")


def _op_unknown_env_warning(text, names, known):
    recs = [r for r in _op_log_records(text) if r.get("level") == "warn"
            and "name no configuration key" in str(r.get("msg"))]
    eq(len(recs), 1, f"warnings on unknown ROSTERD_ variables in {text[-600:]!r}")
    msg = recs[0]["msg"]
    for n in names:
        check(re.search(re.escape(n) + r"\b", msg), f"{n} not named in {msg!r}")
    for n in known:
        check(not re.search(re.escape(n) + r"\b", msg), f"{n} (a key) named in {msg!r}")


@test
def operator_unknown_rosterd_env_warned():
    env = {"ROSTERD_WORKER": "4", "ROSTERD_OP_NO_SUCH_KEY": "x", "ROSTERD_WORKERS": "2"}
    rc, _, err = _op_run([ROSTERCTL, "-c", CONF, "check-config"], env)
    eq(rc, 0, "rosterctl check-config exit status")
    _op_unknown_env_warning(err, ["ROSTERD_WORKER", "ROSTERD_OP_NO_SUCH_KEY"],
                            ["ROSTERD_WORKERS"])
    rc, _, err = _op_run([ROSTERCTL, "-c", CONF, "check-config"], {"ROSTERD_WORKERS": "2"})
    check(rc == 0 and "name no configuration key" not in err,
          f"a warning with only known variables: {err!r}")
    rc, _, err = _op_run([ROSTERD, "-c", CONF, "--check-schema"], env)
    eq(rc, 0, f"rosterd --check-schema exit status ({err.strip()[-300:]!r})")
    _op_unknown_env_warning(err, ["ROSTERD_WORKER", "ROSTERD_OP_NO_SUCH_KEY"],
                            ["ROSTERD_WORKERS"])


def _op_rid():
    return "op-" + uuid.uuid4().hex


def _op_nginx_record(stack, rid, timeout=30):
    """nginx's access log line with request_id rid (nginx writes it when
    it has finished the request, possibly after the client has the
    answer: polled)."""
    log = _op_Log(path=stack.access_log)
    deadline = time.monotonic() + timeout
    while not any(r.get("request_id") == rid for r in log.log_records()):
        check(time.monotonic() < deadline, f"no nginx access log line with request_id "
              f"{rid}: {log.log_text()[-400:]!r}")
        time.sleep(0.1)
    recs = [r for r in log.log_records() if r.get("request_id") == rid]
    eq(len(recs), 1, f"nginx lines with request_id {rid}")
    return recs[0]


@test
def operator_access_log_switch_remote_addr_and_request_id():
    """rosterd writes a request's line before it finishes the FastCGI
    request, so the line is in the log once the client has the answer:
    with access_log off, its absence then is not a matter of time."""
    tok = ctl_token("it-op-log", ["TenantAdmin"], TENANT_A)
    with _op_Stack("log-on", [], {"ROSTERD_OP_UNKNOWN": "1"}) as s:
        _op_unknown_env_warning(s.inst.log_text(), ["ROSTERD_OP_UNKNOWN"], [])
        rid = _op_rid()
        r = s.request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=tok,
                      headers={"X-Request-Id": rid}, source=REMOTE)
        eq(r.status, 200, f"status ({r!r})")
        eq(r.header("X-Request-Id"), rid, "X-Request-Id echoed")
        recs = [x for x in s.inst.log_records() if x.get("request_id") == rid]
        eq(len(recs), 1, f"rosterd lines with request_id {rid}")
        eq(recs[0].get("msg"), "request", "msg")
        eq(recs[0].get("remote_addr"), REMOTE, "remote_addr (FastCGI REMOTE_ADDR)")
        eq(recs[0].get("status"), 200, "status logged")
        n = _op_nginx_record(s, rid)
        eq((n.get("remote_addr"), n.get("status"), n.get("method")), (REMOTE, 200, "GET"),
           "nginx's line")
        # No X-Request-Id from the client: nginx makes one, and both logs
        # carry it.
        r = s.request("GET", "/healthz", token=None)
        rid = r.header("X-Request-Id") or ""
        check(re.fullmatch(r"[0-9a-f]{32}", rid), f"nginx's request id {rid!r}")
        recs = [x for x in s.inst.log_records() if x.get("request_id") == rid]
        eq(len(recs), 1, "rosterd's line with nginx's request id")
        eq(recs[0].get("remote_addr"), "127.0.0.1", "remote_addr")
        _op_nginx_record(s, rid)
    with _op_Stack("log-off", ["access_log = off"]) as s:
        start = s.inst.log_size()
        rids = []
        for path, token in ((f"/v1/tenants/{TENANT_A}/users?limit=1", tok),
                            ("/healthz", None), ("/v1/no-such-route", None)):
            rid = _op_rid()
            rids.append(rid)
            r = s.request("GET", path, token=token, headers={"X-Request-Id": rid})
            eq(r.header("X-Request-Id"), rid, f"{path}: X-Request-Id echoed ({r!r})")
        text = s.inst.log_text(start)
        for rid in rids:
            check(rid not in text, f"access_log = off, yet rosterd logged {rid}")
        reqs = [x for x in _op_log_records(text) if x.get("msg") == "request"]
        eq(reqs, [], "request lines with access_log = off")
        _op_nginx_record(s, rids[0])  # nginx's own log is not switched off


def _op_psql_admin(sql, db="postgres"):
    return psql(sql, user="postgres", db=db)


_op_DB = "rosterd_op"


def _op_schema_setup():
    """A database of its own (so the main instance never sees the pending
    migration), whose default search_path puts another schema first."""
    _op_psql_admin(f"CREATE DATABASE {_op_DB} OWNER rosterd")
    _op_psql_admin("CREATE SCHEMA op_first AUTHORIZATION rosterd", db=_op_DB)
    _op_psql_admin(f"ALTER ROLE rosterd IN DATABASE {_op_DB} "
                   "SET search_path = op_first, public")


def _op_check_schema(conf):
    rc, out, err = _op_run([ROSTERD, "--check-schema", "-c", conf])
    return rc, out, err


@test
def operator_schema_readiness_and_check_schema():
    """The instance starts before its database exists, so that the first
    request of each worker is the one that connects and finds the schema
    behind; then readyz, the API, migrate and a newer schema."""
    _op_psql_admin(f"DROP DATABASE IF EXISTS {_op_DB} WITH (FORCE)")
    sql_dir = os.path.join(TMP, "op-sql")  # sql/ and one migration more
    _op_shutil.rmtree(sql_dir, ignore_errors=True)
    _op_shutil.copytree(os.path.join(ENV["RT_REPO"], "sql"), sql_dir)
    pending = "9990_op_pending.sql"
    with open(os.path.join(sql_dir, pending), "w") as f:
        f.write("CREATE TABLE op_pending (id int PRIMARY KEY);\n")
    conf = os.path.join(TMP, "op-schema.conf")
    write_conf(conf, good_conf_lines(os.path.join(TMP, "op-schema.sock")) + [
        f"db_conninfo = host={PG_DIR} port={PG_PORT} dbname={_op_DB} user=rosterd",
        f"sql_dir = {sql_dir}"])
    lines = [l for l in open(conf).read().splitlines()
             if l.split("=", 1)[0].strip() != "listen"]
    try:
        with _op_Stack("schema", lines) as s:
            rc, out, err = _op_check_schema(conf)
            eq((rc, out), (2, ""), f"--check-schema, no database ({err.strip()!r})")
            _op_schema_setup()
            rc, out, err = _op_check_schema(conf)
            names = sorted(n for n in os.listdir(sql_dir) if n.endswith(".sql"))
            eq((rc, out.split()), (1, names), f"--check-schema, empty database ({err!r})")
            # migrate sql/ (not the pending one) with the workers' session:
            # tables in public whatever the role's search_path says
            repo_sql = os.path.join(ENV["RT_REPO"], "sql")
            eq(rosterctl("migrate", "--sql-dir", repo_sql, conf=conf).returncode, 0,
               "rosterctl migrate")
            eq(_op_psql_admin("SELECT count(*) FROM pg_tables WHERE schemaname = 'op_first'",
                              db=_op_DB), ["0"], "tables migrate made in the role's schema")
            eq(_op_psql_admin("SELECT to_regclass('public.tenants') IS NOT NULL", db=_op_DB),
               ["t"], "public.tenants exists")
            rc, out, err = _op_check_schema(conf)
            eq((rc, out), (1, pending + "\n"), f"--check-schema, {pending} pending ({err!r})")
            _op_schema_behind_then_ready(s, conf, sql_dir, pending)
    finally:
        _op_psql_admin(f"DROP DATABASE IF EXISTS {_op_DB} WITH (FORCE)")


def _op_schema_refused(s, pending, readyz=True):
    tok = default_token()
    want = f"database schema is behind: run rosterctl migrate (missing {pending})"
    r = s.request("GET", "/v1/tenants", token=tok)
    problem(r, 503)
    eq(r.json().get("detail"), want, "v1 detail")
    check(r.header("Retry-After"), "v1: no Retry-After")
    r = s.request("POST", users_path(TENANT_A), json.dumps(new_user()), token=tok)
    eq(r.status, 503, f"seed 004 create ({r!r})")
    check(want.encode() in r.body, f"seed 004 body {r.body[:300]!r}")
    check(r.header("Retry-After"), "seed 004: no Retry-After")
    eq(s.request("GET", "/healthz", token=None).status, 200, "/healthz while behind")
    eq(s.request("GET", f"/v1/tenants/{TENANT_A}", token=None).status, 401,
       "an unauthenticated request is still refused first")
    if not readyz:
        return
    r = s.request("GET", "/readyz", token=METRICS_TOKEN)
    eq(r.status, 503, "/readyz while behind")
    check(r.header("Retry-After"), "/readyz: no Retry-After")
    body = r.json()
    eq((body.get("database"), body.get("schema"), body.get("missing")),
       ("up", "behind", [pending]), f"/readyz body {body!r}")


def _op_schema_behind_then_ready(s, conf, sql_dir, pending):
    t0 = time.monotonic()
    start = s.inst.log_size()
    # the workers have not connected yet (no database when they started)
    for _ in range(2 * WORKERS):
        _op_schema_refused(s, pending, readyz=False)
    for _ in range(10):
        _op_schema_refused(s, pending)
    workers = s.inst.workers()
    warns = [x for x in s.inst.log_records(start) if x.get("level") == "warn"
             and "database schema is behind" in str(x.get("msg"))]
    check(warns and all(pending in x["msg"] for x in warns), f"warnings {warns!r}")
    # one when each worker connects, then once a minute at most
    bound = WORKERS * (2 + int((time.monotonic() - t0) // 60))
    check(len(warns) <= bound, f"{len(warns)} warnings for 70 refused requests")

    p = rosterctl("migrate", "--sql-dir", sql_dir, conf=conf)
    eq(p.returncode, 0, "rosterctl migrate of the pending migration")
    check(pending in p.stdout.decode(), f"migrate output {p.stdout!r}")
    s.wait_for("/readyz", 200)
    # every worker re-checks on its own, within a second of a request
    for i in range(4 * WORKERS):
        s.wait_for("/v1/tenants", 200, token=default_token())
    eq(s.inst.workers(), workers, "the same workers serve (no restart)")
    eq(_op_check_schema(conf)[:2], (0, ""), "--check-schema once migrated")

    # sql_dir without the migration the database has: a newer schema
    # under an older build is served, with a warning
    os.unlink(os.path.join(sql_dir, pending))
    start = s.inst.log_size()
    s.inst.proc.send_signal(signal.SIGHUP)
    s.inst.wait_workers(WORKERS, 60, exclude=workers)
    deadline = time.monotonic() + 60
    while True:
        extra = [x for x in s.inst.log_records(start) if x.get("level") == "warn"
                 and "does not know" in str(x.get("msg"))]
        if extra or time.monotonic() > deadline:
            break
        s.request("GET", "/readyz", token=None)
        time.sleep(0.1)
    check(extra and pending in extra[0]["msg"], "no warning about the unknown migration")
    eq(s.request("GET", "/readyz", token=None).status, 200, "/readyz with a newer schema")
    eq(s.request("GET", "/v1/tenants", token=default_token()).status, 200,
       "API with a newer schema")
    eq(_op_check_schema(conf)[:2], (0, ""), "--check-schema with a newer schema")


@test
def operator_reload_to_fewer_workers_forks_only_those():
    """SIGHUP after `workers` went down starts as many new workers as the
    configuration names, no more (none forked only to be stopped), and
    stops every old one."""
    s = _op_Stack("fewer", ["workers = 4"])
    try:
        s.wait_for("/readyz", 200)
        old = s.inst.wait_workers(4, 60)
        eq(len(old), 4, f"four workers first ({old})")
        with open(s.conf) as f:
            text = f.read().replace("workers = 4", "workers = 1")
        with open(s.conf, "w") as f:
            f.write(text)
        start = s.inst.log_size()
        s.inst.proc.send_signal(signal.SIGHUP)
        now = s.inst.wait_workers(1, 60, exclude=old)
        eq(len(now), 1, f"one worker after the reload ({now}, the old {old})")
        wait_until(lambda: "configuration reloaded" in s.inst.log_text(start), "the reload")

        def ready():
            # the workers that said they were ready since the reload, but
            # the old ones (one may say so late, in a slow build)
            return {r.get("pid") for r in s.inst.log_records(start)
                    if r.get("msg") == "worker ready"} - set(old)
        wait_until(lambda: now[0] in ready(), "the new worker ready")
        s.wait_for("/readyz", 200)
        eq(sorted(ready()), now, "the workers the reload started (no other forked)")
    finally:
        s.stop()


@test
def operator_check_schema_cannot_tell_exits_2():
    conf = os.path.join(TMP, "op-nodb.conf")
    write_conf(conf, good_conf_lines(os.path.join(TMP, "op-nodb.sock")) +
               [f"db_conninfo = host={TMP}/no-such-dir port=1 dbname=rosterd",
                "db_connect_timeout = 5"])
    rc, out, err = _op_check_schema(conf)
    eq((rc, out), (2, ""), f"--check-schema, database unreachable ({err.strip()!r})")
    check("cannot tell" in err, f"stderr {err!r}")
    conf2 = os.path.join(TMP, "op-nosql.conf")
    write_conf(conf2, good_conf_lines(os.path.join(TMP, "op-nosql.sock")) +
               [f"sql_dir = {TMP}/no-such-sql-dir"])
    rc, out, err = _op_check_schema(conf2)
    eq((rc, out), (2, ""), f"--check-schema, sql_dir unreadable ({err.strip()!r})")
    check("no-such-sql-dir" in err, f"stderr {err!r}")
    rc, _, _ = _op_check_schema(os.path.join(TMP, "no-such.conf"))
    eq(rc, 2, "--check-schema without a readable config")
    eq(_op_check_schema(CONF)[:2], (0, ""), "--check-schema of the test stack")


@test
def operator_token_refuses_bad_ttl_and_roles():
    base = [ROSTERCTL, "-c", CONF, "token", "--sub", "op-token"]
    for ttl in ("0", "-5", "abc", "31536001", "1.5", "", "10s", " 60", "+60"):
        rc, out, err = _op_run(base + ["--roles", "TenantReader", "--ttl", ttl])
        eq((rc, out), (2, ""), f"--ttl {ttl!r}")
        check("--ttl" in err and "31536000" in err, f"--ttl {ttl!r}: stderr {err!r}")
    for roles, bad in (("Admin", "Admin"), ("SystemAdmin,tenantadmin", "tenantadmin"),
                       ("TenantReader,Member", "Member")):
        rc, out, err = _op_run(base + ["--roles", roles])
        eq((rc, out), (2, ""), f"--roles {roles}")
        check(f'"{bad}"' in err and "TenantReader" in err, f"--roles {roles}: stderr {err!r}")
    rc, out, err = _op_run(base + ["--tid", "not-a-uuid"])
    eq((rc, out), (2, ""), "--tid not-a-uuid")
    check("--tid" in err, f"--tid: stderr {err!r}")
    rc, out, err = _op_run(base + ["--roles", "TenantReader,TenantAdmin", "--ttl", "31536000",
                                   "--tid", TENANT_A])
    eq(rc, 0, f"a year's TenantReader token ({err!r})")
    tok = out.strip()
    ALL_TOKENS.append(tok)
    claims = jwt.decode(tok, SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    eq(claims["exp"] - claims["iat"], 31536000, "exp - iat")
    eq(claims["roles"], ["TenantReader", "TenantAdmin"], "roles")
