# Trusted issuers: [issuer NAME] sections of rosterd.conf, each with its
# own iss, aud, keys and claim mapping. A token's iss picks the one
# issuer whose keys may verify it: a token from another issuer's key, for
# another audience or issuer, with an unknown kid (never a fallback) or
# without the typ the issuer requires is a 401; tokens shaped as
# Keycloak, Auth0, Microsoft Entra ID and Okta document theirs map to
# rosterd's roles and tenant. Each refusal is one info log line with its
# reason and the request id (never the token) and a count in /metrics.
# Also: the configuration's refusals (file:line and key), rosterctl
# check-config --print and rosterctl token --issuer, and a stopping
# worker whose keys a reload replaced (it answers 503, never with the
# old keys).
#
# Exec'd by test_api.py into its globals; every top-level name that is
# not a test starts with _iss_. The issuers are added to the main
# instance's configuration (sections go at the end of the file) and
# removed again, each time with a reload. Keys are files (RS256 PEM and
# JWKS, HS256 secrets); issuers that fetch their keys over HTTPS are
# tested with a real OpenID provider elsewhere.

import socket as _iss_socket
import struct as _iss_struct

_iss_DIR = os.path.join(TMP, "issuers")
_iss_KC = "https://kc.example.test/realms/acme"
_iss_AUTH0 = "https://acme.eu.auth0.example.test/"
_iss_ENTRA_DIR = "72f988bf-86f1-41af-91ab-2d7cd011db47"
_iss_ENTRA = f"https://login.microsoftonline.example.test/{_iss_ENTRA_DIR}/v2.0"
_iss_OKTA = "https://acme.okta.example.test/oauth2/default"
_iss_AT = "https://at.example.test/"
_iss_NS = "https://rosterd.example.test/"  # Auth0 claim namespace


class _iss_Keys:
    """Made once: an RSA key per issuer that signs with one, a secret per
    HS256 issuer."""
    made = None

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import rsa
        os.makedirs(_iss_DIR, exist_ok=True)
        self.kc = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.entra = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.auth0 = os.urandom(32).hex().encode()
        self.okta = os.urandom(32).hex().encode()
        self.at = os.urandom(32).hex().encode()

    @classmethod
    def get(cls):
        if cls.made is None:
            cls.made = cls()
        return cls.made


def _iss_write(name, data):
    path = os.path.join(_iss_DIR, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def _iss_sections():
    """The [issuer NAME] lines added to the main configuration."""
    k = _iss_Keys.get()
    kc_jwks = _iss_write("kc.jwks.json", json.dumps({"keys": [
        public_jwk("RS256", k.kc, "kc-2026")]}))
    entra_jwks = _iss_write("entra.jwks.json", json.dumps({"keys": [
        dict(public_jwk("RS256", k.entra, "entra-k1"), x5t="entra-k1")]}))
    return [
        "",
        "[issuer keycloak]",
        f"iss = {_iss_KC}",
        "aud = rosterd-api",
        f"jwks_file = {kc_jwks}",
        "roles_claim = realm_access.roles",
        "role_map = rosterd-admin=TenantAdmin, rosterd-reader=TenantReader",
        "[issuer auth0]",
        f"iss = {_iss_AUTH0}",
        "aud = https://rosterd.example.test/api",
        f"hs256_secret_file = {_iss_write('auth0.secret', k.auth0)}",
        f"roles_claim = {_iss_NS}roles",
        f"tenant_claim = {_iss_NS}tenant",
        "role_map = admin=TenantAdmin, viewer=TenantReader",
        "[issuer entra]",
        f"iss = {_iss_ENTRA}",
        "aud = api://rosterd, 5e1c9a7b-3f0d-4d8e-9b1a-2c3d4e5f6a7b",
        f"jwks_file = {entra_jwks}",
        "subject_claim = oid",
        "tenant_map = true",
        "role_map = Rosterd.Admin=TenantAdmin",
        "[issuer okta]",
        f"iss = {_iss_OKTA}",
        "aud = api://rosterd",
        f"hs256_secret_file = {_iss_write('okta.secret', k.okta)}",
        "roles_claim = groups",
        "role_map = Rosterd Admins=TenantAdmin, rosterd-readers=TenantReader",
        "[issuer at]",
        f"iss = {_iss_AT}",
        "aud = rosterd-api",
        f"hs256_secret_file = {_iss_write('at.secret', k.at)}",
        "typ = at+jwt",
    ]


class _iss_Configured:
    """with _iss_Configured(): the main instance trusts the issuers above
    (and the test configuration's own), until the block ends."""

    def __enter__(self):
        with open(CONF) as f:
            self.saved = f.read()
        with open(CONF + ".new", "w") as f:
            f.write(self.saved.rstrip("\n") + "\n" + "\n".join(_iss_sections()) + "\n")
        os.replace(CONF + ".new", CONF)
        reload_main()
        return self

    def __exit__(self, *exc):
        with open(CONF + ".new", "w") as f:
            f.write(self.saved)
        os.replace(CONF + ".new", CONF)
        reload_main()
        return False


def _iss_sign(claims, key, alg="RS256", **headers):
    tok = jwt.encode(claims, key, algorithm=alg, headers=headers or None)
    ALL_TOKENS.append(tok)
    return tok


def _iss_times(life=600):
    now = int(time.time())
    return {"iat": now, "nbf": now, "exp": now + life}


def _iss_keycloak(roles=("rosterd-admin",), tid=TENANT_A, **over):
    """An access token as Keycloak issues one: realm roles under
    realm_access, client roles under resource_access, the tenant from a
    user-attribute mapper."""
    k = _iss_Keys.get()
    c = {"jti": str(uuid.uuid4()), "iss": _iss_KC, "aud": ["rosterd-api", "account"],
         "sub": "4a1c8e2f-7b3d-4e5a-9c6b-0d1e2f3a4b5c", "typ": "Bearer",
         "azp": "rosterd-cli", "session_state": str(uuid.uuid4()), "acr": "1",
         "realm_access": {"roles": ["offline_access", "uma_authorization", *roles]},
         "resource_access": {"account": {"roles": ["manage-account", "view-profile"]}},
         "scope": "profile email", "email_verified": True,
         "preferred_username": "ada", "tid": tid, **_iss_times()}
    c.update(over)
    return _iss_sign({k2: v for k2, v in c.items() if v is not None}, k.kc, kid="kc-2026")


def _iss_auth0(roles=("admin",), tenant=TENANT_A, key=None, **over):
    """An Auth0 access token: custom claims namespaced with a URL (added
    by an Action), aud the API's identifier and /userinfo."""
    k = _iss_Keys.get()
    c = {f"{_iss_NS}roles": list(roles), f"{_iss_NS}tenant": tenant,
         "iss": _iss_AUTH0, "sub": "auth0|64f1c2e8a7b3d90012345678",
         "aud": ["https://rosterd.example.test/api",
                 "https://acme.eu.auth0.example.test/userinfo"],
         "azp": "Xq3ZpT8vWl2", "scope": "openid profile email", "permissions": [],
         **_iss_times()}
    c.update(over)
    return _iss_sign(c, key or k.auth0, alg="HS256")


def _iss_entra(roles=("Rosterd.Admin",), **over):
    """A Microsoft Entra ID v2.0 access token for an app's API: app roles
    in roles, the directory in tid, the user in oid."""
    k = _iss_Keys.get()
    c = {"aud": "api://rosterd", "iss": _iss_ENTRA, "aio": "E2ZgYJj9",
         "azp": "5e1c9a7b-3f0d-4d8e-9b1a-2c3d4e5f6a7b", "azpacr": "1",
         "name": "Ada Lovelace", "oid": "0b5e8f6c-2d5a-4b8e-9c1d-1e2f3a4b5c6d",
         "preferred_username": "ada@contoso.example", "rh": "0.ARoAv4j5cvGGr0",
         "roles": list(roles), "scp": "access_as_user", "sub": "pairwise-sub-x",
         "tid": _iss_ENTRA_DIR, "uti": "AbCd", "ver": "2.0", **_iss_times()}
    c.update(over)
    return _iss_sign(c, k.entra, kid="entra-k1", typ="JWT")


def _iss_okta(groups=("Everyone", "rosterd-readers"), tid=TENANT_A, **over):
    """An Okta custom authorization server's access token with a groups
    claim (and a tid claim the server adds)."""
    k = _iss_Keys.get()
    c = {"ver": 1, "jti": "AT." + uuid.uuid4().hex, "iss": _iss_OKTA, "aud": "api://rosterd",
         "cid": "0oa1b2c3d4", "uid": "00u1a2b3c4", "scp": ["openid", "profile"],
         "auth_time": int(time.time()) - 60, "sub": "ada@example.com",
         "groups": list(groups), "tid": tid, **_iss_times()}
    c.update(over)
    return _iss_sign(c, k.okta, alg="HS256")


def _iss_get_users(tok, rid=None, tenant=TENANT_A):
    h = {"X-Request-Id": rid} if rid else None
    return request("GET", f"/v1/tenants/{tenant}/users?limit=1", token=tok, headers=h)


def _iss_refused():
    """rosterd_auth_refused_total by reason."""
    fam = scrape().get("rosterd_auth_refused")
    check(fam is not None, "no rosterd_auth_refused_total in /metrics")
    return {s.labels["reason"]: s.value for s in fam.samples if s.name.endswith("_total")}


@test
def issuers_claim_shapes_of_four_identity_providers():
    """Keycloak, Auth0, Entra and Okta tokens, shaped as each documents
    them, get the roles their role_map grants in the tenant their claims
    name; an IdP role literally named SystemAdmin grants nothing once a
    role_map is set."""
    with _iss_Configured():
        # Keycloak: realm_access.roles
        eq(post_user(new_user(), token=_iss_keycloak()).status, 200, "Keycloak admin creates")
        with NothingWritten():
            eq(post_user(new_user(), token=_iss_keycloak(roles=["rosterd-reader"])).status,
               403, "Keycloak reader writes")
        eq(_iss_get_users(_iss_keycloak(roles=["rosterd-reader"])).status, 200,
           "Keycloak reader reads")
        eq(_iss_get_users(_iss_keycloak(roles=["rosterd-admin"]), tenant=TENANT_B).status,
           403, "Keycloak admin of A in B")
        eq(_iss_get_users(_iss_keycloak(roles=["SystemAdmin"])).status, 403,
           "Keycloak realm role named SystemAdmin")
        # Auth0: namespaced claims, dots and slashes in their names
        eq(post_user(new_user(), token=_iss_auth0()).status, 200, "Auth0 admin creates")
        eq(_iss_get_users(_iss_auth0(roles=["viewer"])).status, 200, "Auth0 viewer reads")
        eq(_iss_get_users(_iss_auth0(roles=["viewer"]), tenant=TENANT_B).status, 403,
           "Auth0 viewer of A in B")
        # the same claims without the namespace are not the configured ones
        k = _iss_Keys.get()
        bare = _iss_sign({"iss": _iss_AUTH0, "aud": "https://rosterd.example.test/api",
                          "sub": "auth0|x", "roles": ["admin"], "tenant": TENANT_A,
                          **_iss_times()}, k.auth0, alg="HS256")
        eq(_iss_get_users(bare).status, 403, "Auth0 token without namespaced claims")
        # Okta: groups, names with blanks
        eq(_iss_get_users(_iss_okta()).status, 200, "Okta reader reads")
        with NothingWritten():
            eq(post_user(new_user(), token=_iss_okta()).status, 403, "Okta reader writes")
        eq(post_user(new_user(), token=_iss_okta(groups=["Everyone", "Rosterd Admins"])).status,
           200, "Okta admin creates")
        # Entra: the directory's id is an external tenant id: with no
        # mapping for it, the token names no rosterd tenant
        r = _iss_get_users(_iss_entra())
        eq(r.status, 401, f"Entra token of an unmapped directory ({r!r})")


@test
def issuers_refuse_other_issuer_audience_key_kid_and_typ():
    """Each refusal is a 401 with its reason counted in /metrics and one
    info log line carrying the reason and the request id, never the
    token."""
    k = _iss_Keys.get()
    with _iss_Configured():
        good = _iss_keycloak()
        eq(_iss_get_users(good).status, 200, "the good Keycloak token")
        kc_claims = jwt.decode(good, options={"verify_signature": False})
        cases = [
            ("wrong_issuer", "an issuer nobody configured",
             _iss_sign(dict(kc_claims, iss="https://kc.example.test/realms/other"), k.kc,
                       kid="kc-2026")),
            ("wrong_issuer", "the issuer with a trailing slash",
             _iss_sign(dict(kc_claims, iss=_iss_KC + "/"), k.kc, kid="kc-2026")),
            ("wrong_audience", "another audience",
             _iss_sign(dict(kc_claims, aud="account"), k.kc, kid="kc-2026")),
            ("wrong_audience", "the audience of another issuer",
             _iss_sign(dict(kc_claims, aud="api://rosterd"), k.kc, kid="kc-2026")),
            # Entra's key and kid, claiming to be Keycloak: Keycloak's set
            # has no such kid, and no other issuer's keys stand in
            ("unknown_kid", "another issuer's key and kid",
             _iss_sign(kc_claims, k.entra, kid="entra-k1")),
            ("unknown_kid", "an unknown kid, signed with the issuer's own key",
             _iss_sign(kc_claims, k.kc, kid="kc-2025")),
            ("bad_signature", "Keycloak's kid, Entra's key",
             _iss_sign(kc_claims, k.entra, kid="kc-2026")),
            ("bad_signature", "Okta's claims signed with Auth0's secret",
             _iss_sign(jwt.decode(_iss_okta(), options={"verify_signature": False}),
                       k.auth0, alg="HS256")),
            ("bad_signature", "an Auth0 token signed with the test's own secret",
             _iss_auth0(key=SECRET)),
            ("wrong_typ", "an ID token's typ where at+jwt is required",
             _iss_sign({"iss": _iss_AT, "aud": "rosterd-api", "sub": "u", "tid": TENANT_A,
                        "roles": ["TenantAdmin"], **_iss_times()}, k.at, alg="HS256",
                       typ="JWT")),
            ("wrong_typ", "no typ where at+jwt is required",
             _iss_sign({"iss": _iss_AT, "aud": "rosterd-api", "sub": "u", "tid": TENANT_A,
                        "roles": ["TenantAdmin"], **_iss_times()}, k.at, alg="HS256")),
            ("unknown_tenant", "Entra directory without a mapping", _iss_entra()),
            ("missing", "no Authorization header", None),
        ]
        at_ok = _iss_sign({"iss": _iss_AT, "aud": "rosterd-api", "sub": "u", "tid": TENANT_A,
                           "roles": ["TenantAdmin"], **_iss_times()}, k.at, alg="HS256",
                          typ="at+jwt")
        eq(_iss_get_users(at_ok).status, 200, "typ at+jwt where it is required")
        before = _iss_refused()
        start = MAIN.log_size()
        want = {}
        for reason, label, tok in cases:
            rid = "iss-" + uuid.uuid4().hex
            r = _iss_get_users(tok, rid=rid)
            eq(r.status, 401, f"{label} ({r!r})")
            eq(r.header("X-Request-Id"), rid, f"{label}: X-Request-Id")
            want[reason] = want.get(reason, 0) + 1
            recs = wait_until(lambda: [x for x in MAIN.log_records(start)
                                       if rid in str(x.get("msg", ""))],
                              f"{label}: a log line naming request {rid}")
            eq(len(recs), 1, f"{label}: log lines naming the request in their msg")
            rec = recs[0]
            eq(rec.get("level"), "info", f"{label}: level")
            check(f"reason={reason} " in rec["msg"] and f"request_id={rid}" in rec["msg"],
                  f"{label}: msg {rec['msg']!r}")
        after = _iss_refused()
        for reason, n in want.items():
            eq(after.get(reason, 0) - before.get(reason, 0), n,
               f"rosterd_auth_refused_total{{reason=\"{reason}\"}} increase")
        others = {r: after[r] - before.get(r, 0) for r in after
                  if r not in want and after[r] != before.get(r, 0)}
        eq(others, {}, "other reasons counted meanwhile")
        text = MAIN.log_text(start)
        for _, label, tok in cases:
            if tok:
                check(tok not in text and tok.rsplit(".", 1)[1] not in text,
                      f"{label}: the token is in the log")


@test
def issuers_check_config_print_and_refusals():
    """check-config --print shows the sections with each key's source;
    a bad section is refused with the file, the line and the key; a
    public key without jwt_issuer and jwt_audience stops start-up."""
    conf = os.path.join(_iss_DIR, "print.conf")
    os.makedirs(_iss_DIR, exist_ok=True)
    lines = good_conf_lines(os.path.join(TMP, "iss-print.sock")) + _iss_sections()
    write_conf(conf, lines)
    p = subprocess.run([ROSTERCTL, "-c", conf, "check-config", "--print"],
                       capture_output=True, text=True, timeout=60)
    eq(p.returncode, 0, f"check-config --print ({p.stderr.strip()[-300:]!r})")
    out = p.stdout.splitlines()
    at = lines.index("[issuer okta]") + 1
    check(f"[issuer okta]  # {conf}:{at}" in out, f"no [issuer okta] line in {out[-20:]}")
    check(f"roles_claim = groups  # {conf}:{at + 4}" in out, "okta's roles_claim line")
    check("subject_claim = sub  # default" in out, "a default of a section")
    check(any(l.startswith("state_dir = /var/lib/rosterd  # default") for l in out),
          "state_dir")
    check(not any("[issuer local]" in l for l in out), "the implicit issuer printed as a section")
    for extra, want in (
            (["[issuer x]", "iss = https://x.test/", "aud = a", "jwks_uri = http://x.test/k"],
             f"{conf}:{len(lines) + 5}: [issuer x] jwks_uri: expected an https:// URL"),
            (["[issuer x]", "iss = https://x.test/", "aud = a", "jwks_uri = discover",
              "color = red"], f"{conf}:{len(lines) + 6}: unknown key \"color\" in [issuer x]"),
            (["[issuer x]", "aud = a", "jwks_uri = discover"],
             f"{conf}:{len(lines) + 2}: [issuer x]: \"iss\" is required"),
            (["[issuer x]", "iss = https://x.test/", "jwks_uri = discover"],
             f"{conf}:{len(lines) + 2}: [issuer x]: \"aud\" is required"),
            (["[issuer okta]"], f"{conf}:{len(lines) + 2}: [issuer okta] again"),
            (["[issuer x]", "iss = https://x.test/", "aud = a", "jwks_uri = discover",
              "role_map = admins=Root"], "role_map: \"admins\" maps to \"Root\""),
            (["[issuer x]", f"iss = {_iss_OKTA}", "aud = a", "jwks_uri = discover"],
             f"is also the iss of [issuer okta]")):
        write_conf(conf, lines + [""] + extra)
        p = subprocess.run([ROSTERCTL, "-c", conf, "check-config"], capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 1, f"check-config with {extra}")
        check(want in p.stderr, f"{want!r} not in {p.stderr.strip()!r}")
    # a public key without issuer and audience: rosterd does not start
    nokeys = [l for l in good_conf_lines(os.path.join(TMP, "iss-refused.sock"))
              if l.split("=", 1)[0].strip() not in ("jwt_issuer", "jwt_audience")]
    write_conf(conf, nokeys)
    rc, err = run_rosterd_expecting_refusal(conf)
    check(rc not in (0, None), f"rosterd exit status {rc}")
    check("a public key or JWKS needs jwt_issuer and jwt_audience" in err, f"stderr {err!r}")
    # a PEM file configured as an HS256 secret
    pem = _iss_write("as-secret.pem", open(ENV["RT_RSA_PUB"]).read())
    write_conf(conf, good_conf_lines(os.path.join(TMP, "iss-refused.sock")) + [
        "", "[issuer pem]", "iss = https://pem.test/", "aud = a", f"hs256_secret_file = {pem}"])
    p = subprocess.run([ROSTERCTL, "-c", conf, "check-config"], capture_output=True,
                       text=True, timeout=60)
    eq(p.returncode, 1, "check-config with a PEM key as the HS256 secret")
    check("holds a PEM key, not a shared secret" in p.stderr, f"stderr {p.stderr!r}")


@test
def issuers_rosterctl_token_for_a_named_issuer():
    """rosterctl token --issuer mints with the section's iss, aud and
    claim mapping; the default stays the jwt_* keys' issuer; an issuer
    without an HS256 secret cannot mint."""
    with _iss_Configured():
        p = rosterctl("token", "--issuer", "okta", "--sub", "it-okta-ctl", "--roles",
                      "TenantReader", "--tid", TENANT_A)
        eq(p.returncode, 0, "rosterctl token --issuer okta")
        tok = p.stdout.decode().strip()
        ALL_TOKENS.append(tok)
        claims = jwt.decode(tok, _iss_Keys.get().okta, algorithms=["HS256"],
                            audience="api://rosterd", issuer=_iss_OKTA)
        eq(claims.get("groups"), ["rosterd-readers"], "groups (the role_map's name)")
        eq(_iss_get_users(tok).status, 200, "the minted Okta token reads")
        p = rosterctl("token", "--issuer", "at", "--sub", "it-at", "--roles", "TenantAdmin",
                      "--tid", TENANT_A)
        eq(p.returncode, 0, "rosterctl token --issuer at")
        tok = p.stdout.decode().strip()
        ALL_TOKENS.append(tok)
        eq(jwt.get_unverified_header(tok).get("typ"), "at+jwt", "typ of the at issuer")
        eq(_iss_get_users(tok).status, 200, "the minted at+jwt token reads")
        eq(rosterctl("token", "--issuer", "keycloak", "--sub", "x").returncode, 1,
           "an issuer without an HS256 secret")
        eq(rosterctl("token", "--issuer", "nobody", "--sub", "x").returncode, 1,
           "an issuer not configured")
        tok = ctl_token("it-default-issuer", ["TenantReader"], TENANT_A)
        eq(jwt.decode(tok, options={"verify_signature": False}).get("iss"), ISSUER,
           "the default issuer")


def _iss_fcgi_record(rtype, rid, content):
    pad = (8 - len(content) % 8) % 8
    return _iss_struct.pack(">BBHHBx", 1, rtype, rid, len(content), pad) + content + b"\0" * pad


def _iss_fcgi_params(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else _iss_struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def _iss_fcgi_get(sock, path, token):
    """One GET on a kept FastCGI connection (FCGI_KEEP_CONN); returns the
    status."""
    params = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": path, "REQUEST_URI": path,
              "DOCUMENT_URI": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
              "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost",
              "HTTP_AUTHORIZATION": "Bearer " + token, "REQUEST_ID": uuid.uuid4().hex}
    sock.sendall(_iss_fcgi_record(1, 1, _iss_struct.pack(">HB5x", 1, 1)) +
                 _iss_fcgi_record(4, 1, _iss_fcgi_params(params)) + _iss_fcgi_record(4, 1, b"") +
                 _iss_fcgi_record(5, 1, b""))
    out = b""
    buf = b""
    while True:
        while len(buf) < 8:
            chunk = sock.recv(65536)
            check(chunk, "the FastCGI connection closed mid-response")
            buf += chunk
        _, rtype, _, clen, pad = _iss_struct.unpack(">BBHHBx", buf[:8])
        while len(buf) < 8 + clen + pad:
            chunk = sock.recv(65536)
            check(chunk, "the FastCGI connection closed mid-record")
            buf += chunk
        content, buf = buf[8:8 + clen], buf[8 + clen + pad:]
        if rtype == 6:
            out += content
        elif rtype == 3:
            break
    m = re.match(rb"Status: (\d+)", out)
    return int(m.group(1)) if m else 200


@test
def issuers_stopping_worker_with_replaced_keys_authenticates_nobody():
    """A reload that removes an issuer: a worker kept serving a FastCGI
    connection opened before it (as nginx keeps them) answers that
    issuer's token with 503, not with its old keys; a reload that changes
    nothing about tokens leaves such a worker authenticating."""
    k = _iss_Keys.get()
    sock_path = ENV["RT_SOCK"]
    with open(CONF) as f:
        saved = f.read()
    extra = ["", "[issuer at]", f"iss = {_iss_AT}", "aud = rosterd-api",
             f"hs256_secret_file = {_iss_write('at.secret', k.at)}"]
    tok = _iss_sign({"iss": _iss_AT, "aud": "rosterd-api", "sub": "u", "tid": TENANT_A,
                     "roles": ["TenantAdmin"], **_iss_times()}, k.at, alg="HS256")
    path = f"/v1/tenants/{TENANT_A}/users"

    def kept_then_reload(new_text):
        """The status of tok on a kept connection, after a reload to
        new_text that the connection's (old) worker outlives."""
        s = _iss_socket.socket(_iss_socket.AF_UNIX)
        s.settimeout(TIMEOUT)
        s.connect(sock_path)
        mark = MAIN.log_size()
        try:
            eq(_iss_fcgi_get(s, path, tok), 200, "before the reload, on the kept connection")
            with open(CONF + ".new", "w") as f:
                f.write(new_text)
            os.replace(CONF + ".new", CONF)
            os.kill(MAIN.pid, signal.SIGHUP)
            # the old workers have their SIGTERM once this is logged; the
            # one serving this connection stops only when it is closed
            wait_log_msg(mark, "configuration reloaded")
            return _iss_fcgi_get(s, path, tok)
        finally:
            s.close()
            wait_log_msg(mark, "reload done", what="\"reload done\" logged")

    try:
        with_at = saved.rstrip("\n") + "\n" + "\n".join(extra) + "\n"
        with open(CONF + ".new", "w") as f:
            f.write(with_at)
        os.replace(CONF + ".new", CONF)
        reload_main()
        eq(kept_then_reload(with_at + "# nothing about tokens\n"), 200,
           "a stopping worker after a reload that changed nothing about tokens")
        eq(kept_then_reload(saved), 503,
           "a stopping worker after a reload that removed the token's issuer")
        eq(_iss_get_users(tok).status, 401, "the removed issuer's token, through nginx")
    finally:
        with open(CONF + ".new", "w") as f:
            f.write(saved)
        os.replace(CONF + ".new", CONF)
        reload_main()
