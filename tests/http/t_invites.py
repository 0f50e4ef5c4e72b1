# t_invites.py: what an invite can still do, and what an anonymous accept
# costs.  The accept looks the invite up before it hashes anything and
# hashes only in a free one of the hash slots the workers share (503 and
# Retry-After when none is free); an invite is revoked when its user is
# deactivated, deleted or changes e-mail, through every dialect that can
# do that; an accept works only for a user still in the invited state;
# one password policy (password_min_length) for every password written;
# nginx's stricter limit for the accept route, per IPv4 address and per
# IPv6 /64.
#
# Exec'd by test_api.py into its globals (after t_aspnet.py, whose
# sgu_sample(), account_sample() and friends are used here); every
# top-level name of this file but the tests starts with _inv_.
# ruff: noqa: F821

import fcntl as _inv_fcntl

_inv_PW = "correct horse battery"
_inv_PW_B64 = base64.b64encode(_inv_PW.encode()).decode()


def _inv_accept(token, password=_inv_PW, **fields):
    body = {"token": token, "password": password}
    body.update(fields)
    return request("POST", "/v1/invites/accept", body, token=None)


def _inv_state(inv, tenant=None):
    r = v1("GET", f"/tenants/{tenant or TENANT_A}/invites/{inv['id']}")
    eq(r.status, 200, f"get invite ({r!r})")
    return r.json()["state"]


def _inv_slot_file():
    """A descriptor of the hash slots' file (the memfd every worker of MAIN
    shares), opened through /proc."""
    for pid in MAIN.workers():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("/memfd:rosterd-hash-slots"):
                return os.open(f"/proc/{pid}/fd/{fd}", os.O_RDWR)
    raise Fail("no worker holds the hash slots' file")


class _inv_slots_taken:
    """with _inv_slots_taken(): … holds every hash slot (an fcntl lock on
    the slots' bytes, as a worker takes one), so a worker finds none free."""

    def __enter__(self):
        self.fd = _inv_slot_file()
        wait_until(self._take, "every hash slot taken by the test")
        return self

    def _take(self):
        try:
            _inv_fcntl.lockf(self.fd, _inv_fcntl.LOCK_EX | _inv_fcntl.LOCK_NB, 1024, 0)
            return True
        except OSError:
            return False  # a worker is hashing: try again

    def __exit__(self, et, ev, tb):
        os.close(self.fd)  # releases the lock
        return False


def _inv_user_with_invite(**fields):
    """A /v1 user (active, no password) and a pending invite for its e-mail."""
    u = v1_user(**fields)
    inv = v1_invite(email=u["email"])
    ALL_TOKENS.append(inv["token"])
    return u, inv


def _inv_revoke_audited(inv, reason):
    rows = psql(f"SELECT actor || '|' || (detail->>'reason') FROM audit_log "
                f"WHERE tenant_id = {lit(TENANT_A)} AND action = 'invite.revoke' "
                f"AND target_id = {lit(inv['id'])}")
    eq(rows, [f"rosterd|{reason}"], "the revocation's audit row")


@test
def invites_accept_hashes_only_for_a_pending_invite():
    """No Argon2 for an accept that will be refused: with every hash slot
    taken, only an accept that would succeed meets the full slots (503);
    the others get their own answer, so they never asked for a slot."""
    inv = v1_invite()
    ALL_TOKENS.append(inv["token"])
    pw_user, pw_inv = _inv_user_with_invite()
    psql(f"UPDATE users SET password = '$argon2id$v=19$m=19456,t=2,p=1$x$y' "
         f"WHERE id = {lit(pw_user['id'])}")
    taken = v1_user()
    fresh = v1_invite()
    ALL_TOKENS.append(fresh["token"])
    acct_body = account_sample(password=_inv_PW, confirmPassword=_inv_PW)
    sgu_body = sgu_sample(Password=_inv_PW_B64)
    with _inv_slots_taken():
        with NothingWritten():
            r = _inv_accept(inv["token"])
            p = problem(r, 503)
            eq(r.header("Retry-After"), "1", "Retry-After")
            check(_inv_PW.encode() not in r.body, "the password in the answer")
            problem(_inv_accept("bogus-" + uuid.uuid4().hex), 410)
            problem(_inv_accept(pw_inv["token"]), 410)
            problem(_inv_accept(fresh["token"], username=taken["username"].upper()), 409,
                    "username", "taken")
            problem(_inv_accept(inv["token"], password="short"), 400, "password", "tooShort")
            # The vendor routes that hash passwords share the slots.
            r = post_account(acct_body)
            camel_error(r, 503)
            eq(r.header("Retry-After"), "1", "seed 003 Retry-After")
            r = post_sgu(sgu_body)
            eq(r.status, 503, f"seed 000 ({r!r})")
            eq(r.header("Retry-After"), "1", "seed 000 Retry-After")
        # Writes without a password need no slot.
        r = post_account(account_sample(password=None, confirmPassword=None))
        eq(r.status, 200, f"seed 003 without a password ({r!r})")
        check("Too many" in p.get("detail", ""), f"503 detail {p!r}")
        eq(_inv_state(inv), "pending", "the invite after the 503")
    r = _inv_accept(inv["token"])
    eq(r.status, 200, f"accept once a slot is free ({r!r})")


def _inv_b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@test
def invites_token_names_its_tenant():
    """An invite token carries its tenant (the uuid's 16 bytes and 32
    random bytes, each base64url, joined by '.'), and the acceptance looks
    the invite up by tenant and hash, so that a database sharded by tenant
    can route it: a token whose hash matches tenant A's invite but whose
    tenant part names tenant B finds nothing (410, nothing written). A
    token issued before tokens carried their tenant (43 characters) is
    still accepted by its hash alone."""
    inv = v1_invite()
    tok = inv["token"]
    ALL_TOKENS.append(tok)
    m = re.fullmatch(r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})", tok)
    check(m, f"token shape {tok!r}")
    eq(str(uuid.UUID(bytes=base64.urlsafe_b64decode(m.group(1) + "=="))), TENANT_A,
       "the token's tenant part")
    # tenant B's name on a token that tenant A's invite was issued for
    forged = _inv_b64(uuid.UUID(TENANT_B).bytes) + "." + m.group(2)
    ALL_TOKENS.append(forged)
    psql(f"UPDATE invites SET token_hash = sha256(convert_to({lit(forged)}, 'UTF8')) "
         f"WHERE id = {lit(inv['id'])}")
    with NothingWritten():
        problem(_inv_accept(forged), 410)
        problem(_inv_accept(tok), 410)
    eq(_inv_state(inv), "pending", "the invite after the refusals")
    legacy = _inv_b64(os.urandom(32))
    ALL_TOKENS.append(legacy)
    psql(f"UPDATE invites SET token_hash = sha256(convert_to({lit(legacy)}, 'UTF8')) "
         f"WHERE id = {lit(inv['id'])}")
    r = _inv_accept(legacy)
    eq(r.status, 200, f"a token without its tenant ({r!r})")
    eq(_inv_state(inv), "accepted", "the invite after the accept")


@test
def invites_revoked_when_the_user_changes():
    """Deactivation, an e-mail change or deletion revokes the user's
    pending invites, through /v1 and the vendor dialects alike; each
    revocation is audited; the invite's token is refused afterwards."""
    # /v1 PATCH active: false.
    u, inv = _inv_user_with_invite()
    r = v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"active": False})
    eq(r.status, 200, f"deactivate ({r!r})")
    eq(_inv_state(inv), "revoked", "/v1 deactivation")
    _inv_revoke_audited(inv, "user.deactivate")
    with NothingWritten():
        p = problem(_inv_accept(inv["token"]), 410)
    check("revoked" in p.get("detail", ""), f"detail {p!r}")
    eq(v1("GET", f"/tenants/{TENANT_A}/users/{u['id']}").json()["active"], False,
       "the user stays inactive")
    # An invite made after the deactivation is the admin's choice: it holds.
    inv_again = v1_invite(email=u["email"])
    r = _inv_accept(inv_again["token"])
    eq((r.status, r.json().get("id"), r.json().get("active")), (200, u["id"], True),
       "an invite sent after the deactivation")
    # /v1 PATCH email (a change of case only is no change).
    u, inv = _inv_user_with_invite()
    eq(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}",
          {"email": u["email"].upper()}).status, 200, "e-mail case")
    eq(_inv_state(inv), "pending", "an e-mail change of case only")
    eq(v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}",
          {"email": unique("moved") + "@example.com"}).status, 200, "e-mail change")
    eq(_inv_state(inv), "revoked", "/v1 e-mail change")
    _inv_revoke_audited(inv, "user.email")
    problem(_inv_accept(inv["token"]), 410)
    # /v1 DELETE of a user made after an e-mail-only invite.
    email = unique("later") + "@example.com"
    inv = v1_invite(email=email)
    ALL_TOKENS.append(inv["token"])
    eq(sql_one(f"SELECT user_id IS NULL FROM invites WHERE id = {lit(inv['id'])}"), "t",
       "an e-mail-only invite")
    u = v1_user(email=email)
    eq(v1("DELETE", f"/tenants/{TENANT_A}/users/{u['id']}").status, 204, "delete")
    eq(_inv_state(inv), "revoked", "/v1 deletion")
    _inv_revoke_audited(inv, "user.delete")
    with NothingWritten():
        problem(_inv_accept(inv["token"]), 410)
    # Seed 003: disabled, then an e-mail change.
    for change, reason in (({"disabled": True}, "user.deactivate"),
                           ({"email": unique("acct-moved") + "@example.com"}, "user.email")):
        acct = account_sample(password=None, confirmPassword=None, disabled=False)
        eq(post_account(acct).status, 200, "seed 003 create")
        inv = v1_invite(email=acct["email"])
        ALL_TOKENS.append(inv["token"])
        acct.update(change)
        eq(post_account(acct).status, 200, f"seed 003 {change}")
        eq(_inv_state(inv), "revoked", f"seed 003 {change}")
        _inv_revoke_audited(inv, reason)
    # Seed 000: IsActive false.
    email = unique("sgu") + "@example.com"
    sample = sgu_sample(Password=..., PinCode=..., IsActive=True)
    sample["Contact"] = dict(sample["Contact"] or {}, Email=email)
    envelope(post_sgu(sample))
    inv = v1_invite(email=email)
    ALL_TOKENS.append(inv["token"])
    envelope(post_sgu(dict(sample, IsActive=False)))
    eq(_inv_state(inv), "revoked", "seed 000 IsActive false")
    _inv_revoke_audited(inv, "user.deactivate")
    # A tenant deleted with its users leaves no revocation behind.
    t = v1_tenant()
    tu = v1_user(tenant=t["id"])
    v1_invite(tenant=t["id"], email=tu["email"])
    r = v1("DELETE", f"/tenants/{t['id']}?confirm={t['slug']}")
    eq(r.status, 204, f"delete tenant ({r!r})")
    eq(psql(f"SELECT action FROM audit_log WHERE tenant_id = {lit(t['id'])}"),
       ["tenant.delete"], "the deleted tenant's audit rows")


@test
def invites_accept_only_for_a_user_in_the_invited_state():
    """The user an invite is for must still have no password and not be
    locked, and still have the invite's e-mail; otherwise the accept
    writes nothing."""
    u, inv = _inv_user_with_invite()
    psql(f"UPDATE users SET password = '$argon2id$v=19$m=19456,t=2,p=1$x$y' "
         f"WHERE id = {lit(u['id'])}")
    with NothingWritten():
        p = problem(_inv_accept(inv["token"]), 410)
    check("no longer valid" in p.get("detail", ""), f"detail {p!r}")
    eq(_inv_state(inv), "pending", "the invite is left as it was")
    u, inv = _inv_user_with_invite()
    psql(f"UPDATE users SET locked = true WHERE id = {lit(u['id'])}")
    with NothingWritten():
        problem(_inv_accept(inv["token"]), 410)
    # A user with a password set by seed 003 after the invite.
    acct = account_sample(password=None, confirmPassword=None)
    eq(post_account(acct).status, 200, "seed 003 create")
    inv = v1_invite(email=acct["email"])
    ALL_TOKENS.append(inv["token"])
    eq(post_account(dict(acct, password=_inv_PW, confirmPassword=_inv_PW)).status, 200,
       "seed 003 sets a password")
    with NothingWritten():
        problem(_inv_accept(inv["token"]), 410)
    # An invite bound to a user whose e-mail no longer matches (written
    # around the triggers, as data from before them may be).
    u, inv = _inv_user_with_invite()
    psql("ALTER TABLE users DISABLE TRIGGER users_invites_revoke_update")
    try:
        psql(f"UPDATE users SET email = {lit(unique('elsewhere') + '@example.com')} "
             f"WHERE id = {lit(u['id'])}")
    finally:
        psql("ALTER TABLE users ENABLE TRIGGER users_invites_revoke_update")
    with NothingWritten():
        problem(_inv_accept(inv["token"]), 410)
    # The invited state itself: an inactive user without a password.
    u, inv = _inv_user_with_invite(active=False)
    r = _inv_accept(inv["token"])
    eq((r.status, r.json().get("id"), r.json().get("active")), (200, u["id"], True),
       "the invited user")


@test
def invites_password_min_length_everywhere():
    """password_min_length (8 by default) characters, not bytes, for every
    password written: /v1 accept, SCIM password (create, PUT and PATCH),
    seed 003 Password, seed 000 Password; a 400 naming the field in the
    dialect's shape.  A PIN is not a password."""
    inv = v1_invite()
    ALL_TOKENS.append(inv["token"])
    short_003 = account_sample(password="seven77", confirmPassword="seven77")
    short_000 = [sgu_sample(Password=base64.b64encode(pw).decode())
                 for pw in (b"short", "\u00e9\u00e9\u00e9\u00e9".encode(), b"")]
    with NothingWritten():
        for pw in ("1234567", "\u00e9" * 7):
            p = problem(_inv_accept(inv["token"], password=pw), 400, "password", "tooShort")
            check("at least 8 characters" in json.dumps(p), f"{pw!r}: {p!r}")
        r = post_account(short_003)
        b = camel_error(r, 400, "model.Password")
        check(any("minimum length of '8'" in m for m in b["modelState"]["model.Password"]),
              f"seed 003 message {b}")
        for body in short_000:
            r = post_sgu(body)
            ms = model_state(r, "securityGroupUser.Password")
            check(any("minimum length of '8'" in m for m in ms["securityGroupUser.Password"]),
                  f"seed 000 message {ms}")
    su = _scim_new_user(password=None)
    # the API token's last use may be recorded: not a write of the request
    with NothingWritten("short SCIM passwords", skip=("api_tokens",)):
        for pw in ("1234567", "\u00e9" * 7):
            for r in (_scim("POST", "/Users", _scim_user_body(password=pw)),
                      _scim_patch(f"/Users/{su['id']}",
                                  [{"op": "replace", "path": "password", "value": pw}]),
                      _scim("PUT", f"/Users/{su['id']}",
                            _scim_user_body(su["userName"], password=pw))):
                b = _scim_err(r, 400, "invalidValue", what=f"SCIM password {pw!r}")
                check("at least 8 characters" in b.get("detail", ""), f"SCIM message {b}")
                check(pw not in r.body.decode(), "the password quoted back")
        _scim_err(_scim("POST", "/Users", _scim_user_body(password="")), 400, "invalidValue",
                  what="an empty SCIM password")
    r = _scim_patch(f"/Users/{su['id']}",
                    [{"op": "replace", "path": "password", "value": "\u00e9" * 8}])
    eq(r.status, 200, f"SCIM: eight characters in sixteen bytes ({r!r})")
    r = _inv_accept(inv["token"], password="\u00e9" * 8)
    eq(r.status, 200, f"eight characters in sixteen bytes ({r!r})")
    envelope(post_sgu(sgu_sample(Password=_inv_PW_B64, PinCode="1234")))
    eq(post_account(account_sample(password="eight888", confirmPassword="eight888")).status,
       200, "seed 003 with eight characters")


def _inv_nginx(rates):
    """A second nginx serving the production site (as the stack's copy of
    it, ports and paths aside) with the client address taken from
    X-Forwarded-For, so that a test can be any IPv4 or IPv6 client, and
    the limits slowed to rates ({zone: (rate, burst)}): a refill takes a
    minute, not a test's timing.  Returns (port, stop)."""
    src = os.path.join(TMP, "nginx")
    d = os.path.join(TMP, "nginx-inv-" + uuid.uuid4().hex[:8])
    os.makedirs(os.path.join(d, "tmp"))
    with open(os.path.join(src, "rosterd.conf")) as f:
        site = f.read()
    port = _inv_free_port()
    http_port = _inv_free_port()
    site, n = re.subn(r"listen 127\.0\.0\.1:\d+ ssl http2;", f"listen 127.0.0.1:{port} ssl http2;",
                      site)
    eq(n, 1, "the site's https listen line")
    site, n = re.subn(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{http_port};", site)
    eq(n, 1, "the site's http listen line")
    site = site.replace(os.path.join(src, "access.log"), os.path.join(d, "access.log"))
    site = site.replace("shared:rosterd_tls:", "shared:rosterd_tls_inv:")
    for zone, (rate, burst) in rates.items():
        site, n = re.subn(rf"(zone={zone}:10m) rate=\S+;", rf"\1 rate={rate};", site)
        eq(n, 1, f"zone {zone}")
        site, n = re.subn(rf"(zone={zone}) burst=\d+", rf"\1 burst={burst}", site)
        check(n >= 1, f"no limit_req of zone {zone}")
    with open(os.path.join(d, "rosterd.conf"), "w") as f:
        f.write(site)
    with open(os.path.join(src, "fastcgi_params")) as f, \
            open(os.path.join(d, "fastcgi_params"), "w") as g:
        g.write(f.read())
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 128; }}
http {{
	access_log {d}/access.log;
	client_body_temp_path {d}/tmp/client_body;
	fastcgi_temp_path {d}/tmp/fastcgi;
	proxy_temp_path {d}/tmp/proxy;
	uwsgi_temp_path {d}/tmp/uwsgi;
	scgi_temp_path {d}/tmp/scgi;
	set_real_ip_from 127.0.0.1;
	real_ip_header X-Forwarded-For;
	include {d}/rosterd.conf;
}}
""")
    args = ["nginx", "-p", d, "-e", os.path.join(d, "error.log"), "-c",
            os.path.join(d, "nginx.conf")]
    p = subprocess.run(args + ["-t", "-q"], capture_output=True, text=True)
    eq(p.returncode, 0, f"nginx -t: {p.stderr}")
    subprocess.run(args, check=True, capture_output=True)

    def stop():
        try:
            with open(os.path.join(d, "nginx.pid")) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            return
        subprocess.run(args + ["-s", "quit"], capture_output=True)
        wait_until(lambda: not pid_alive(pid), "the second nginx to stop")
    return port, stop


def _inv_free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@test
def invites_nginx_accept_limit_per_ipv4_address_and_ipv6_64():
    """The accept route has its own stricter limit_req zone, keyed on the
    IPv4 address and the IPv6 /64; the API's zone is keyed the same way
    (each client its own bucket, not one shared by every client)."""
    port, stop = _inv_nginx({"rosterd_accept": ("1r/m", 3), "rosterd_api": ("1r/m", 12)})
    try:
        def send(path, client, body=None):
            conn = http.client.HTTPSConnection(HOST, port, context=TLS, timeout=TIMEOUT)
            try:
                h = {"X-Forwarded-For": client}
                if body is not None:
                    h["Content-Type"] = "application/json"
                conn.request("POST" if body is not None else "GET", path,
                             body=json.dumps(body) if body is not None else None, headers=h)
                r = conn.getresponse()
                return Resp(r.status, r.headers, r.read())
            finally:
                conn.close()

        bogus = {"token": "bogus-token", "password": _inv_PW}

        def exhaust(client):
            """Accepts from client until nginx refuses one (the bucket
            holds 4): the statuses."""
            got = []
            while not got or got[-1] == 410:
                check(len(got) < 12, f"{client}: no 429 after {got}")
                got.append(send("/v1/invites/accept", client, bogus).status)
            eq(got[-1], 429, f"{client}: statuses {got}")
            return got

        for first, sibling, other in (("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff",
                                       "2001:db8:1:3::1"),
                                      ("192.0.2.1", None, "192.0.2.2")):
            got = exhaust(first)
            check(len(got) >= 2, f"{first}: refused at once {got}")
            if sibling is not None:
                eq(send("/v1/invites/accept", sibling, bogus).status, 429,
                   f"{sibling}: the same /64 as {first}")
            eq(send("/v1/invites/accept", other, bogus).status, 410, f"{other}: its own bucket")
            eq(send("/healthz", first).status, 200, f"{first}: other routes are not limited by "
               "the accept zone")
        # The API's zone: one client's bucket, not everyone's.
        got = []
        while not got or got[-1] == 200:
            check(len(got) < 30, f"/healthz: no 429 after {got}")
            got.append(send("/healthz", "198.51.100.7").status)
        eq(got[-1], 429, "/healthz statuses")
        # nginx's 429 in each family's shape, with Retry-After: SCIM's
        # under /scim/, RFC 9457 elsewhere
        for path, ctype, want in (("/scim/v2/Users", "application/scim+json",
                                   '"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"]'),
                                  ("/v1/tenants", "application/problem+json",
                                   '"title":"Too Many Requests"')):
            r = send(path, "198.51.100.7")
            eq((r.status, r.header("Content-Type"), r.header("Retry-After")),
               (429, ctype, "1"), f"{path}: nginx's 429")
            check(want in r.body.decode(), f"{path}: the 429's body {r.body!r}")
        eq(send("/healthz", "198.51.100.8").status, 200, "another client of the API zone")
        eq(send("/healthz", "2001:db8:77::1").status, 200, "an IPv6 client of the API zone")
    finally:
        stop()
