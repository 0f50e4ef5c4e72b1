# Integration tests: auth_generation (sql/0012_auth_generation.sql), the
# one row whose value tells workers without LISTEN (db_prepared = false,
# behind a pooler) that their API token and tenant alias caches are stale.
# It must change with every row a cache holds and with nothing else: a
# token's use (its last-use bookkeeping) leaving it would empty every
# worker's caches on every request; a statement that matches no row (a
# cross-tenant revocation, a second one) must change nothing at all.
# Runs with helpers of t_api_tokens.py (loaded before it).


def _authgen():
    rows = psql("SELECT gen FROM auth_generation")
    eq(len(rows), 1, "auth_generation has one row")
    return int(rows[0])


@test
def authgen_bumped_by_cached_columns_only():
    g0 = _authgen()
    t = _apit_create(name=unique("authgen"))
    g1 = _authgen()
    check(g1 > g0, f"a new token bumps the generation ({g0} -> {g1})")
    # a use writes last_used_at, last_used_addr and used_addrs: no bump
    r = request("GET", f"/v1/tenants/{TENANT_A}/users?limit=1", token=t["token"])
    eq(r.status, 200, f"a use of the token ({r!r})")
    check(_apit_get(TENANT_A, t["id"])["lastUsedAt"], "the use was recorded")
    eq(_authgen(), g1, "the last-use bookkeeping leaves the generation")
    # a revocation naming another tenant matches no row
    with NothingWritten():
        r = v1("DELETE", f"/tenants/{TENANT_B}/api-tokens/{t['id']}")
        check(r.status in (204, 404), f"cross-tenant revocation ({r!r})")
    eq(_authgen(), g1, "a revocation that matched no row")
    eq(v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{t['id']}").status, 204, "revoke")
    g2 = _authgen()
    check(g2 > g1, f"a revocation bumps the generation ({g1} -> {g2})")
    with NothingWritten():
        eq(v1("DELETE", f"/tenants/{TENANT_A}/api-tokens/{t['id']}").status, 204,
           "revoke again")
    eq(_authgen(), g2, "revoking again")
    # tenant aliases: a create and a delete each bump it
    path = f"/tenants/{TENANT_A}/aliases"
    r = v1("POST", path, {"issuer": "entra", "externalId": "authgen-" + uuid.uuid4().hex})
    eq(r.status, 201, f"alias create ({r!r})")
    g3 = _authgen()
    check(g3 > g2, f"an alias create bumps the generation ({g2} -> {g3})")
    eq(v1("DELETE", f"{path}/{r.json()['id']}").status, 204, "alias delete")
    check(_authgen() > g3, "an alias delete bumps the generation")
