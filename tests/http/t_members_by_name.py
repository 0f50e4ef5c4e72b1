# t_members_by_name.py: POST /v1/tenants/{tenantId}/groups/{groupId}/members
# with "usernames" and "emails" (alone, together, and with "userIds"):
# matched ignoring case as the users' unique indexes compare them, within
# the tenant only; the answer per item (user ids added and already
# members, the names not found as sent); one audit row as for ids; every
# bad shape a 400 (413 past the cap) naming its field, with nothing
# written; an Idempotency-Key replay of such a request.
#
# Exec'd by test_api.py into its globals; every top-level name of this
# file but the tests starts with _mbn_.
# ruff: noqa: F821


def _mbn_add(group, body, tenant=None, **kw):
    return v1("POST", f"/tenants/{tenant or TENANT_A}/groups/{group['id']}/members", body, **kw)


def _mbn_members(group):
    return sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(group['id'])}")


@test
def v1_members_add_by_username_and_email():
    g = v1_group()
    users = [v1_user() for _ in range(4)]
    ids = [u["id"] for u in users]
    # By username, in another case than the user's; a repeat counts once.
    r = _mbn_add(g, {"usernames": [users[0]["username"].upper(), "nobody-" + unique(),
                                   users[1]["username"], users[0]["username"]]})
    eq(r.status, 200, f"by username ({r!r})")
    res = r.json()
    eq(res["added"], [ids[0], ids[1]], "added: user ids in request order")
    eq(res["alreadyMember"], [], "alreadyMember")
    eq(len(res["notFound"]), 1, "notFound")
    check(res["notFound"][0].startswith("nobody-"), f"notFound as sent: {res!r}")
    eq(audit_count(TENANT_A, "group.members.add", g["id"]), 1, "one audit row")
    detail = sql_one(f"SELECT detail FROM audit_log WHERE target_id = {lit(g['id'])} "
                     f"AND action = 'group.members.add'")
    eq(sorted(json.loads(detail)["added"]), sorted(ids[:2]), "the audit row's ids")
    # By e-mail, mixed case; already members and not found said per item.
    ghost = "Ghost." + unique() + "@Example.COM"
    with NothingWritten():
        r = _mbn_add(g, {"emails": [users[1]["email"].upper(), ghost]})
        eq(r.json(), {"added": [], "alreadyMember": [ids[1]], "notFound": [ghost]},
           "by e-mail: nothing new")
    r = _mbn_add(g, {"emails": [users[2]["email"].title(), users[0]["email"]]})
    eq(r.json(), {"added": [ids[2]], "alreadyMember": [ids[0]], "notFound": []},
       "by e-mail, mixed case")
    # All three together: ids, then usernames, then e-mails; a user named
    # twice counts once, where it is first named.
    missing = str(uuid.uuid4())
    r = _mbn_add(g, {"emails": [users[3]["email"], "x" + unique() + "@example.com"],
                     "usernames": [users[3]["username"], users[2]["username"]],
                     "userIds": [missing, ids[0]]})
    eq(r.status, 200, f"together ({r!r})")
    res = r.json()
    eq(res["added"], [ids[3]], "together: added")
    eq(res["alreadyMember"], [ids[0], ids[2]], "together: alreadyMember")
    eq(res["notFound"][0], missing, "together: the id first")
    eq(len(res["notFound"]), 2, "together: notFound")
    eq(_mbn_members(g), "4", "membership rows")
    eq(audit_count(TENANT_A, "group.members.add", g["id"]), 3, "audit rows: one per add")
    # Nothing found at all: 200, nothing written.
    with NothingWritten():
        r = _mbn_add(g, {"usernames": ["no-" + unique()], "emails": ["no@" + unique()]})
        eq(r.status, 200, f"none found ({r!r})")
        eq(len(r.json()["notFound"]), 2, "both not found")
        eq(r.json()["added"], [], "none added")
        problem(v1("POST", f"/tenants/{TENANT_A}/groups/{uuid.uuid4()}/members",
                   {"usernames": [users[0]["username"]]}), 404)


@test
def v1_members_add_by_name_tenant_isolation():
    """Another tenant's users are never found, by username or e-mail, even
    with the same names as this tenant's."""
    g = v1_group()
    name = unique("iso")
    other = v1_user(TENANT_B, username=name, email=name + "@example.com")
    with NothingWritten():
        r = _mbn_add(g, {"usernames": [name], "emails": [other["email"]]})
        eq(r.json(), {"added": [], "alreadyMember": [], "notFound": [name, other["email"]]},
           "tenant B's user, from tenant A")
    mine = v1_user(username=name.upper(), email=name.upper() + "@example.com")
    r = _mbn_add(g, {"usernames": [name], "emails": [other["email"]]})
    eq(r.json(), {"added": [mine["id"]], "alreadyMember": [], "notFound": []},
       "tenant A's own user of the same name")
    gb = v1_group(TENANT_B)
    with NothingWritten():
        problem(_mbn_add(gb, {"usernames": [name]}, tenant=TENANT_A), 404)


@test
def v1_members_add_by_name_refusals():
    g = v1_group()
    u = v1_user()
    path = f"/tenants/{TENANT_A}/groups/{g['id']}/members"
    long_name = "n" * 257
    long_mail = "m" * 250 + "@x.io"
    cases = [
        ({"usernames": "alice"}, 400, "usernames", "type"),
        ({"emails": {"a": 1}}, 400, "emails", "type"),
        ({"usernames": []}, 400, "usernames", "required"),
        ({"emails": []}, 400, "emails", "required"),
        ({"usernames": [u["username"], "ok", 3]}, 400, "usernames[2]", "type"),
        ({"usernames": ["a", None]}, 400, "usernames[1]", "type"),
        ({"emails": [["a@b.c"]]}, 400, "emails[0]", "type"),
        ({"usernames": ["a", "b", "c", ""]}, 400, "usernames[3]", "required"),
        ({"emails": [""]}, 400, "emails[0]", "required"),
        ({"usernames": ["a", long_name]}, 400, "usernames[1]", "tooLong"),
        ({"emails": [long_mail]}, 400, "emails[0]", "tooLong"),
        ({"usernames": ["a"], "names": ["b"]}, 400, "names", "unknown"),
        ({"usernames": ["a"], "userIds": ["nope"]}, 400, "userIds[0]", "invalid"),
        ({"usernames": ["a"], "emails": "b"}, 400, "emails", "type"),
        ({}, 400, "userIds", "required"),
        ({"usernames": ["n%d" % i for i in range(10001)]}, 413, "usernames", "tooMany"),
        ({"emails": ["e%d@x.io" % i for i in range(10001)]}, 413, "emails", "tooMany"),
        ({"userIds": [str(uuid.uuid4()) for _ in range(4000)],
          "usernames": ["n%d" % i for i in range(4000)],
          "emails": ["e%d@x.io" % i for i in range(2001)]}, 413, "emails", "tooMany"),
    ]
    with NothingWritten():
        for body, status, field, code in cases:
            p = problem(v1("POST", path, body), status, field, code)
            check(status != 413 or "10000" in p.get("detail", "")
                  or any("10000" in (e.get("detail") or "") for e in p.get("errors") or []),
                  f"the cap named: {p!r}")
        # The cap itself is accepted: 10,000 names in all.
        r = v1("POST", path, {"userIds": [str(uuid.uuid4()) for _ in range(4000)],
                              "usernames": ["n%d-%s" % (i, unique()) for i in range(4000)],
                              "emails": ["e%d@%s.io" % (i, unique()) for i in range(2000)]})
        eq(r.status, 200, f"10,000 in all ({r.status})")
        eq(len(r.json()["notFound"]), 10000, "all 10,000 not found")
    # The bodies that are no JSON object, or no JSON: 400, never a 500.
    with NothingWritten():
        for raw in (b'["alice"]', b'{"usernames": ["a"', b'{"usernames": ["\\u0000"]}',
                    b'{"usernames": ["a"], "usernames": ["b"]}'):
            r = request("POST", "/v1" + path, raw)
            eq(r.status, 400, f"{raw!r}: status ({r!r})")


@test
def v1_members_add_by_name_idempotent_replay():
    g = v1_group()
    u = v1_user()
    key = "it-mbn-" + uuid.uuid4().hex
    body = {"usernames": [u["username"].upper()], "emails": ["nobody@" + unique() + ".io"]}
    path = f"/v1/tenants/{TENANT_A}/groups/{g['id']}/members"
    first = request("POST", path, body, headers={"Idempotency-Key": key})
    eq(first.status, 200, f"first ({first!r})")
    eq(first.json()["added"], [u["id"]], "first: added")
    for n in range(2):
        again = request("POST", path, body, headers={"Idempotency-Key": key})
        eq((again.status, again.body), (first.status, first.body), f"replay {n + 1}: answer")
        eq(again.header("Idempotent-Replayed"), "true", f"replay {n + 1}: marked")
    eq(audit_count(TENANT_A, "group.members.add", g["id"]), 1, "one audit row")
    eq(_mbn_members(g), "1", "one membership")
    r = request("POST", path, dict(body, usernames=[u["username"]]),
                headers={"Idempotency-Key": key})
    problem(r, 422)
