# t_api_tokens.py: tenant API tokens (POST/GET/DELETE
# /v1/tenants/{tenantId}/api-tokens) and tenant aliases (…/aliases),
# end to end: a token is shown once, works as a bearer token, is listed
# with its last use, is refused on its next use on every worker once
# revoked, expired or used from an address outside its list, carries
# only its role in its own tenant, and appears nowhere (logs, responses
# after the create, audit rows, pg_dump) except as its SHA-256.
#
# Exec'd by test_api.py into its globals: request(), v1(), psql(),
# problem(), MAIN, ROUTE_CALLS, @test ... are test_api.py's; every
# top-level name of this file starts with _apit_ or apitoken_.

import datetime  # noqa: E402 - exec'd into test_api.py's globals
import hashlib  # noqa: E402

_apit_TOKENS = []  # every API token made here; none may appear anywhere


def _apit_create(tenant=None, token="default", **fields):
    body = {"name": unique("tok"), "role": "TenantAdmin"}
    body.update(fields)
    r = v1("POST", f"/tenants/{tenant or TENANT_A}/api-tokens", body, token=token)
    eq(r.status, 201, f"create API token ({r!r})")
    t = r.json()
    check(isinstance(t.get("token"), str) and t["token"].startswith("rsd_"),
          f"token {t.get('token')!r}")
    _apit_TOKENS.append(t["token"])
    ALL_TOKENS.append(t["token"])
    return t


def _apit_pids_answering(tok, want, n=8, source=None):
    """n concurrent GETs of tenant A's users with bearer tok, each checked
    against status want; returns the pids of the workers that logged
    them (concurrent requests make nginx use several workers)."""
    got = _apit_statuses_by_pid(tok, n, source)
    eq([st for st, _ in got], [want] * n, f"statuses of concurrent requests (want {want})")
    return {pid for _, pid in got}


def _apit_statuses_by_pid(tok, n=8, source=None):
    """n concurrent GETs with bearer tok: [(status, pid of the worker)]."""
    start = MAIN.log_size()
    rids = ["apit-" + uuid.uuid4().hex for _ in range(n)]
    got = [None] * n

    def one(i):
        try:
            got[i] = request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=tok,
                             headers={"X-Request-Id": rids[i]}, source=source).status
        except Exception as e:  # noqa: BLE001 - reported below
            got[i] = repr(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(all(isinstance(st, int) for st in got), f"requests failed: {got}")
    return [(st, wait_log_record(start, rid).get("pid")) for st, rid in zip(got, rids)]


def _apit_every_worker(tok, want, what, source=None):
    """Requests with tok until every worker has answered want."""
    workers = set(MAIN.wait_workers(WORKERS, 30))
    seen = set()

    def step():
        seen.update(_apit_pids_answering(tok, want, source=source))
        return workers <= seen
    wait_until(step, f"{what}: every worker of {sorted(workers)} answers {want} "
               f"(seen {sorted(seen)})", interval=0.01)


def _apit_get(tenant, tid):
    r = v1("GET", f"/tenants/{tenant}/api-tokens/{tid}")
    eq(r.status, 200, f"get API token ({r!r})")
    return r.json()


def _apit_audit(tenant, target, action):
    return psql(f"SELECT actor || '|' || coalesce(detail->>'address', '') FROM audit_log "
                f"WHERE tenant_id = {lit(tenant)} AND target_id = {lit(target)} "
                f"AND action = {lit(action)} ORDER BY id")


@test
def apitoken_create_use_list_revoke_every_worker():
    t = _apit_create(name="scim client")
    tok = t["token"]
    eq(len(tok), 47, "rsd_ + 43 base64url characters")
    check(re.fullmatch(r"rsd_[A-Za-z0-9_-]{43}", tok), f"token shape {tok!r}")
    eq(t["prefix"], tok[:8], "prefix: the token's first 8 characters")
    eq(t["role"], "TenantAdmin", "role")
    eq(t["state"], "active", "state")
    eq(t["lastUsedAt"], None, "lastUsedAt before any use")
    eq(t["revokedAt"], None, "revokedAt")
    eq(t["allowedAddresses"], [], "allowedAddresses")
    check("tokenHash" not in t and "hash" not in t, f"no hash in {t!r}")
    # used as a bearer token: a write of its own tenant works, with the
    # token as the actor
    r = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("apit")}, token=tok)
    eq(r.status, 201, f"create a user with the API token ({r!r})")
    eq(r.json()["createdBy"], "apitoken:" + t["id"], "createdBy")
    got = _apit_get(TENANT_A, t["id"])
    check(got["lastUsedAt"], f"lastUsedAt set after a use: {got!r}")
    eq(got["lastUsedAddr"], "127.0.0.1", "lastUsedAddr")
    check("token" not in got, "the token is not in a GET")
    listed = v1("GET", f"/tenants/{TENANT_A}/api-tokens?limit=1000").json()["items"]
    mine = [x for x in listed if x["id"] == t["id"]]
    eq(len(mine), 1, "listed once")
    check(mine[0]["lastUsedAt"], "lastUsedAt in the list")
    check("token" not in mine[0], "the token is not in the list")
    eq(len(_apit_audit(TENANT_A, t["id"], "apitoken.create")), 1, "create audited")
    eq(_apit_audit(TENANT_A, t["id"], "apitoken.use"),
       [f"apitoken:{t['id']}|127.0.0.1"], "the first use from an address audited once")
    # every worker has the token cached before the revocation
    _apit_every_worker(tok, 200, "before the revocation")
    r = v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{t['id']}")
    eq(r.status, 204, f"revoke ({r!r})")
    # and refuses it on its next use
    _apit_every_worker(tok, 401, "after the revocation")
    r = request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=tok)
    eq(r.status, 401, "revoked")
    check((r.header("WWW-Authenticate") or "").startswith("Bearer"), "WWW-Authenticate")
    # revoking again changes nothing
    with NothingWritten():
        eq(v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{t['id']}").status, 204,
           "revoke again")
    got = _apit_get(TENANT_A, t["id"])
    eq(got["state"], "revoked", "state")
    check(got["revokedAt"], "revokedAt")
    eq(got["revokedBy"], "it-sysadmin", "revokedBy")
    eq(len(_apit_audit(TENANT_A, t["id"], "apitoken.revoke")), 1, "revoke audited once")
    problem(v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{uuid.uuid4()}"), 404)
    problem(v1("GET", f"/tenants/{TENANT_A}/api-tokens/{t['id']}", token=None), 401)


@test
def apitoken_expiry_checked_on_every_use():
    # made to expire by the database (a change that notifies)
    t = _apit_create()
    _apit_every_worker(t["token"], 200, "before it expires")
    psql(f"UPDATE api_tokens SET expires_at = now() - interval '1 second' "
         f"WHERE id = {lit(t['id'])}")
    _apit_every_worker(t["token"], 401, "expired in the database")
    eq(_apit_get(TENANT_A, t["id"])["state"], "expired", "state")
    # expiring by itself (no change, no notification): every worker
    # refuses it once its time has come, from the expiry it cached.  The
    # workers cache it while it is good, as far as the machine's speed
    # allows: whether they all did before it expired is reported, not
    # tested (no pass or fail on a time window).
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
    t = _apit_create(expiresAt=soon.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    check(t["expiresAt"], f"expiresAt {t!r}")
    workers = set(MAIN.wait_workers(WORKERS, 30))
    warm = set()
    while not workers <= warm:
        got = _apit_statuses_by_pid(t["token"])
        if any(st != 200 for st, _ in got):
            break
        warm.update(pid for _, pid in got)
    print(f"# workers that had the token cached before it expired: {sorted(warm)} "
          f"of {sorted(workers)}", flush=True)
    wait_until(lambda: request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1",
                               token=t["token"]).status == 401, "the token expires")
    _apit_every_worker(t["token"], 401, "after its expiry")


@test
def apitoken_roles_and_tenants():
    admin_a = _apit_create(role="TenantAdmin")["token"]
    reader_a = _apit_create(role="TenantReader")["token"]
    # (a use records itself at most once a minute per worker: refusals
    # are checked on the rows they would have made, not on every table)
    def _none_named(name):
        eq(sql_one(f"SELECT count(*) FROM users WHERE username = {lit(name)}"), "0",
           f"no user {name}")
        eq(sql_one(f"SELECT count(*) FROM api_tokens WHERE name = {lit(name)}"), "0",
           f"no API token {name}")
        eq(sql_one(f"SELECT count(*) FROM tenants WHERE name = {lit(name)}"), "0",
           f"no tenant {name}")
    # another tenant: 403
    problem(v1("GET", f"/tenants/{TENANT_B}/users", token=admin_a), 403)
    n = unique("apit-refused")
    problem(v1("POST", f"/tenants/{TENANT_B}/users", {"username": n}, token=admin_a), 403)
    # a TenantReader token reads but does not write
    problem(v1("POST", f"/tenants/{TENANT_A}/users", {"username": n}, token=reader_a), 403)
    # SystemAdmin routes are not a tenant's
    problem(v1("POST", "/tenants", {"name": n}, token=admin_a), 403)
    # an API token cannot make API tokens (a leaked one would outlive
    # its revocation)
    problem(v1("POST", f"/tenants/{TENANT_A}/api-tokens", {"name": n, "role": "TenantReader"},
               token=admin_a), 403)
    _none_named(n)
    # a reader sees them (never the tokens), as it sees the audit log
    eq(v1("GET", f"/tenants/{TENANT_A}/api-tokens", token=reader_a).status, 200,
       "a TenantReader lists API tokens")
    problem(v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{uuid.uuid4()}", token=reader_a),
            403)
    eq(v1("GET", f"/tenants/{TENANT_A}/users?limit=1", token=reader_a).status, 200,
       "a TenantReader token reads")
    # a TenantAdmin JWT makes tokens for its own tenant only
    ta = ctl_token("it-apit-admin-a", ["TenantAdmin"], TENANT_A)
    t = _apit_create(token=ta, role="TenantReader")
    eq(t["createdBy"], "it-apit-admin-a", "createdBy")
    problem(v1("POST", f"/tenants/{TENANT_B}/api-tokens", {"name": "x", "role": "TenantReader"},
               token=ta), 403)
    # unknown, malformed and truncated rsd_ tokens: 401
    for bad in ("rsd_" + "A" * 43, "rsd_", admin_a[:-1], admin_a + "A", "rsd_" + "!" * 43):
        r = request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=bad)
        eq(r.status, 401, f"token {bad[:6]}…: {r!r}")


@test
def apitoken_create_refusals():
    path = f"/tenants/{TENANT_A}/api-tokens"
    past = "2020-01-01T00:00:00Z"
    cases = [
        ({"name": "x", "role": "SystemAdmin"}, "role", "invalid"),
        ({"name": "x", "role": "Owner"}, "role", "invalid"),
        ({"name": "x"}, "role", "required"),
        ({"role": "TenantAdmin"}, "name", "required"),
        ({"name": "", "role": "TenantAdmin"}, "name", "required"),
        ({"name": "x" * 201, "role": "TenantAdmin"}, "name", "tooLong"),
        ({"name": 5, "role": "TenantAdmin"}, "name", "type"),
        ({"name": "x", "role": "TenantAdmin", "expiresAt": past}, "expiresAt", "invalid"),
        ({"name": "x", "role": "TenantAdmin", "expiresAt": "tomorrow"}, "expiresAt", "invalid"),
        ({"name": "x", "role": "TenantAdmin", "expiresAt": "2099-13-45T00:00:00Z"},
         "expiresAt", "invalid"),
        ({"name": "x", "role": "TenantAdmin", "allowedAddresses": ["10.0.0.0/33"]},
         "allowedAddresses[0]", "invalid"),
        ({"name": "x", "role": "TenantAdmin", "allowedAddresses": ["10.0.0.1/8"]},
         "allowedAddresses[0]", "invalid"),
        ({"name": "x", "role": "TenantAdmin", "allowedAddresses": ["127.0.0.1", "example.com"]},
         "allowedAddresses[1]", "invalid"),
        ({"name": "x", "role": "TenantAdmin", "allowedAddresses": "10.0.0.0/8"},
         "allowedAddresses", "type"),
        ({"name": "x", "role": "TenantAdmin", "allowedAddresses": ["10.0.0.0/8"] * 33},
         "allowedAddresses", "tooLong"),
        ({"name": "x", "role": "TenantAdmin", "token": "rsd_mine"}, "token", "unknown"),
    ]
    with NothingWritten():
        for body, field, code in cases:
            problem(v1("POST", path, body), 400, field, code)
        problem(v1("POST", f"/tenants/{uuid.uuid4()}/api-tokens",
                   {"name": "x", "role": "TenantAdmin"}), 404)


@test
def apitoken_address_list():
    t = _apit_create(allowedAddresses=["127.0.0.2/32", "2001:db8::/32"])
    eq(t["allowedAddresses"], ["127.0.0.2/32", "2001:db8::/32"], "allowedAddresses")
    # from 127.0.0.1: refused on every worker
    _apit_every_worker(t["token"], 401, "from an address outside the list")
    # from 127.0.0.2: accepted, and the new address audited once
    r = request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=t["token"],
                source="127.0.0.2")
    eq(r.status, 200, f"from an address in the list ({r!r})")
    got = _apit_get(TENANT_A, t["id"])
    eq(got["lastUsedAddr"], "127.0.0.2", "lastUsedAddr")
    eq(_apit_audit(TENANT_A, t["id"], "apitoken.use"),
       [f"apitoken:{t['id']}|127.0.0.2"], "use from a new address audited")
    # a single address is a /32
    t = _apit_create(allowedAddresses=["127.0.0.1"])
    eq(t["allowedAddresses"], ["127.0.0.1/32"], "a single address")
    eq(request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=t["token"]).status, 200,
       "from the one address")


@test
def apitoken_idempotent_replay_has_no_token():
    key = "apit-" + uuid.uuid4().hex
    body = {"name": unique("idem"), "role": "TenantReader"}
    r1 = v1("POST", f"/tenants/{TENANT_A}/api-tokens", body, headers={"Idempotency-Key": key})
    eq(r1.status, 201, f"create ({r1!r})")
    _apit_TOKENS.append(r1.json()["token"])
    r2 = v1("POST", f"/tenants/{TENANT_A}/api-tokens", body, headers={"Idempotency-Key": key})
    eq(r2.status, 201, "replay")
    eq(r2.json()["token"], None, "a replay shows no token")
    eq(r2.json()["id"], r1.json()["id"], "the same token")


@test
def apitoken_tenant_aliases_crud():
    ext = "ext-" + uuid.uuid4().hex
    path = f"/tenants/{TENANT_A}/aliases"
    r = v1("POST", path, {"issuer": "entra", "externalId": ext})
    eq(r.status, 201, f"create ({r!r})")
    a = r.json()
    eq((a["issuer"], a["externalId"], a["tenantId"]), ("entra", ext, TENANT_A), "alias")
    eq(r.header("Location"), f"/v1{path}/{a['id']}", "Location")
    eq(v1("GET", f"{path}/{a['id']}").json(), a, "get = create")
    items = v1("GET", path + "?limit=1000").json()["items"]
    check(a in items, "listed")
    eq(len(psql(f"SELECT 1 FROM audit_log WHERE target_id = {lit(a['id'])} "
                f"AND action = 'tenant_alias.create'")), 1, "create audited")
    with NothingWritten():
        # one external id of one issuer names one tenant
        problem(v1("POST", f"/tenants/{TENANT_B}/aliases",
                   {"issuer": "entra", "externalId": ext}), 409, "externalId", "taken")
        problem(v1("POST", path, {"issuer": "Entra!", "externalId": "x"}), 400, "issuer")
        problem(v1("POST", path, {"issuer": "entra"}), 400, "externalId", "required")
        problem(v1("POST", path, {"issuer": "entra", "externalId": ""}), 400, "externalId")
        # a TenantAdmin reads its aliases but does not make them
        ta = ctl_token("it-apit-admin-a", ["TenantAdmin"], TENANT_A)
        problem(v1("POST", path, {"issuer": "okta", "externalId": "x"}, token=ta), 403)
        problem(v1("DELETE", f"{path}/{a['id']}", token=ta), 403)
        problem(v1("GET", f"/tenants/{TENANT_B}/aliases", token=ta), 403)
    eq(v1("GET", path, token=ta).status, 200, "a TenantAdmin lists its aliases")
    # the same external id of another issuer is another alias
    r = v1("POST", f"/tenants/{TENANT_B}/aliases", {"issuer": "okta", "externalId": ext})
    eq(r.status, 201, f"another issuer ({r!r})")
    eq(v1("DELETE", f"{path}/{a['id']}").status, 204, "delete")
    problem(v1("GET", f"{path}/{a['id']}"), 404)
    problem(v1("DELETE", f"{path}/{a['id']}"), 404)
    eq(len(psql(f"SELECT 1 FROM audit_log WHERE target_id = {lit(a['id'])} "
                f"AND action = 'tenant_alias.delete'")), 1, "delete audited")


@test
def apitoken_rosterctl_create_list_revoke():
    p = rosterctl("api-token", "create", "--tenant", TENANT_A, "--name", "from rosterctl",
                  "--role", "TenantAdmin", "--allow", "127.0.0.1,10.0.0.0/8")
    eq(p.returncode, 0, "rosterctl api-token create")
    tok = p.stdout.decode().strip()
    check(re.fullmatch(r"rsd_[A-Za-z0-9_-]{43}", tok), "stdout is the token alone")
    _apit_TOKENS.append(tok)
    ALL_TOKENS.append(tok)
    r = v1("POST", f"/tenants/{TENANT_A}/users", {"username": unique("ctl")}, token=tok)
    eq(r.status, 201, f"the token works ({r!r})")
    p = rosterctl("api-token", "list", "--tenant", TENANT_A)
    eq(p.returncode, 0, "rosterctl api-token list")
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    mine = [x for x in rows if x["prefix"] == tok[:8] and x["name"] == "from rosterctl"]
    eq(len(mine), 1, "listed")
    eq((mine[0]["createdBy"], mine[0]["allowedAddresses"]),
       ("rosterctl", ["127.0.0.1/32", "10.0.0.0/8"]), "createdBy, allowedAddresses")
    check(mine[0]["lastUsedAt"], "lastUsedAt")
    check(tok.encode() not in p.stdout, "list shows no token")
    _apit_every_worker(tok, 200, "before the revocation")
    p = rosterctl("api-token", "revoke", "--tenant", TENANT_A, "--id", mine[0]["id"])
    eq(p.returncode, 0, "rosterctl api-token revoke")
    _apit_every_worker(tok, 401, "after rosterctl revoked it")
    eq(rosterctl("api-token", "revoke", "--tenant", TENANT_A, "--id",
                 mine[0]["id"]).returncode, 0, "revoking again")
    # refusals: exit status 2, nothing made
    for args in (["--name", "x", "--role", "SystemAdmin"], ["--name", "x", "--allow", "nope"],
                 ["--role", "TenantAdmin"]):
        eq(rosterctl("api-token", "create", "--tenant", TENANT_A, *args).returncode, 2,
           f"create {args}")
    eq(rosterctl("api-token", "create", "--tenant", TENANT_A, "--name", "x",
                 "--expires", "2020-01-01T00:00:00Z").returncode, 2, "an expiry in the past")
    eq(rosterctl("api-token", "revoke", "--tenant", TENANT_A, "--id",
                 str(uuid.uuid4())).returncode, 2, "revoke an unknown id")


@test
def apitoken_appears_nowhere_but_as_its_hash():
    t = _apit_create(name="secret-keeper")
    tok = t["token"]
    eq(request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=tok).status, 200, "use")
    eq(request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1",
               token=tok[:-2] + "xx").status, 401, "a wrong one")
    v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{t['id']}")
    eq(request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=tok).status, 401,
       "revoked")
    toks = _apit_TOKENS
    # responses after the create
    bodies = [v1("GET", f"/tenants/{TENANT_A}/api-tokens?limit=1000").body,
              v1("GET", f"/tenants/{TENANT_A}/api-tokens/{t['id']}").body,
              v1("GET", f"/tenants/{TENANT_A}/audit?limit=1000").body]
    for b in bodies:
        for x in toks:
            check(x.encode() not in b, "a token in a response after its create")
    # audit rows
    for x in toks:
        eq(audit_rows_mentioning(TENANT_A, x), 0, "audit rows holding a token")
        eq(audit_rows_mentioning(TENANT_A, x[4:]), 0, "audit rows holding a token's secret")
    # pg_dump: only the hash
    dump = pg_dump()
    for x in toks:
        check(x not in dump and x[4:] not in dump, "a token in pg_dump")
    h = hashlib.sha256(tok.encode()).hexdigest()
    check("\\\\x" + h in dump, "the token's SHA-256 in pg_dump")
    # every log: rosterd's, nginx's, rosterctl's
    for root, _, files in os.walk(TMP):
        for name in files:
            if not name.endswith(".log"):
                continue
            with open(os.path.join(root, name), "rb") as f:
                text = f.read()
            for x in toks:
                check(x[4:].encode() not in text, f"a token in {name}")
    check("authentication refused: reason=revoked" in MAIN.log_text(), "the refusal logged with its reason")


def _apit_alias(t):
    r = v1("POST", f"/tenants/{t}/aliases",
           {"issuer": "rt", "externalId": "ext-" + uuid.uuid4().hex})
    eq(r.status, 201, f"create alias ({r!r})")
    return r.json()


def _apit_token_row(t):
    r = v1("POST", f"/tenants/{t}/api-tokens", {"name": unique("rt"), "role": "TenantReader"})
    eq(r.status, 201, f"create API token ({r!r})")
    _apit_TOKENS.append(r.json()["token"])
    return r.json()


ROUTE_CALLS[("POST", "/v1/tenants/{tenantId}/api-tokens")] = lambda t: (
    "POST", f"/v1/tenants/{t}/api-tokens", {"name": unique("rt"), "role": "TenantReader"}, 201)
ROUTE_CALLS[("GET", "/v1/tenants/{tenantId}/api-tokens")] = lambda t: (
    "GET", f"/v1/tenants/{t}/api-tokens?limit=1", None, 200)
ROUTE_CALLS[("GET", "/v1/tenants/{tenantId}/api-tokens/{tokenId}")] = lambda t: (
    "GET", f"/v1/tenants/{t}/api-tokens/{_apit_token_row(t)['id']}", None, 200)
ROUTE_CALLS[("DELETE", "/v1/tenants/{tenantId}/api-tokens/{tokenId}")] = lambda t: (
    "DELETE", f"/v1/tenants/{t}/api-tokens/{_apit_token_row(t)['id']}", None, 204)
ROUTE_CALLS[("POST", "/v1/tenants/{tenantId}/aliases")] = lambda t: (
    "POST", f"/v1/tenants/{t}/aliases",
    {"issuer": "rt", "externalId": "ext-" + uuid.uuid4().hex}, 201)
ROUTE_CALLS[("GET", "/v1/tenants/{tenantId}/aliases")] = lambda t: (
    "GET", f"/v1/tenants/{t}/aliases?limit=1", None, 200)
ROUTE_CALLS[("GET", "/v1/tenants/{tenantId}/aliases/{aliasId}")] = lambda t: (
    "GET", f"/v1/tenants/{t}/aliases/{_apit_alias(t)['id']}", None, 200)
ROUTE_CALLS[("DELETE", "/v1/tenants/{tenantId}/aliases/{aliasId}")] = lambda t: (
    "DELETE", f"/v1/tenants/{t}/aliases/{_apit_alias(t)['id']}", None, 204)
