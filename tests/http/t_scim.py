# t_scim.py: the SCIM 2.0 dialect (/scim/v2 and /scim/v2/tenants/{tenantId}),
# end to end through nginx: discovery, Users and Groups CRUD, filters,
# PATCH as Okta and Entra really send it (research/review-scim-clients.md
# §1), group membership as set operations, tenant isolation, RFC 7644
# §3.12 error bodies on every failure, audit rows and Idempotency-Key.
#
# Exec'd by test_api.py into its globals: request(), v1(), psql(),
# sql_one(), lit(), check(), eq(), unique(), @test, ROUTE_CALLS ... are
# test_api.py's; every top-level name of this file starts with _scim_ or
# scim_.

_scim_URN_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
_scim_URN_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
_scim_URN_ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_scim_URN_RG = "urn:rosterd:params:scim:schemas:extension:2.0:Group"
_scim_URN_ERR = "urn:ietf:params:scim:api:messages:2.0:Error"
_scim_URN_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_scim_URN_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_scim_TOKENS = {}


def _scim_token(tenant):
    """A TenantAdmin API token of tenant (one per tenant, made once)."""
    if tenant not in _scim_TOKENS:
        r = v1("POST", f"/tenants/{tenant}/api-tokens",
               {"name": unique("scim"), "role": "TenantAdmin"})
        eq(r.status, 201, f"create API token ({r!r})")
        tok = r.json()["token"]
        ALL_TOKENS.append(tok)
        _scim_TOKENS[tenant] = tok
    return _scim_TOKENS[tenant]


def _scim(method, path, body=None, tenant=None, token=None, ctype="application/scim+json",
          headers=None, raw=False):
    """A SCIM request at /scim/v2 with tenant's API token (default A)."""
    tenant = tenant or TENANT_A
    tok = token if token is not None else _scim_token(tenant)
    if body is not None and not raw and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return request(method, "/scim/v2" + path, body, token=tok, ctype=ctype,
                   headers=headers)


def _scim_err(r, status, scim_type=None, what="error"):
    """Asserts an RFC 7644 §3.12 error body with status (and scimType)."""
    eq(r.status, status, f"{what}: status ({r!r})")
    ctype = (r.header("Content-Type") or "").lower()
    check(ctype.startswith("application/scim+json"), f"{what}: Content-Type {ctype}")
    b = r.json()
    eq(b.get("schemas"), [_scim_URN_ERR], f"{what}: schemas")
    eq(b.get("status"), str(status), f"{what}: status member (a string)")
    check(isinstance(b.get("detail"), str) and b["detail"], f"{what}: detail {b!r}")
    if scim_type is not None:
        eq(b.get("scimType"), scim_type, f"{what}: scimType")
    return b


def _scim_user_body(name=None, password="1mz050nq", **extra):
    """Okta's create body; password=None leaves the password out (and the
    Argon2 hash it costs, for a user that only has to exist)."""
    name = extra.pop("userName", None) or name or unique("scimu") + "@example.com"
    body = {"schemas": [_scim_URN_USER], "userName": name,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": name, "type": "work"}],
            "displayName": "Test User", "locale": "en-US",
            "externalId": "00u" + uuid.uuid4().hex[:16], "groups": [],
            "password": password, "active": True}
    if password is None:
        del body["password"]
    body.update(extra)
    return body


def _scim_new_user(tenant=None, **extra):
    r = _scim("POST", "/Users", _scim_user_body(**extra), tenant=tenant)
    eq(r.status, 201, f"create SCIM user ({r!r})")
    return r.json()


def _scim_new_group(tenant=None, members=(), **extra):
    body = {"schemas": [_scim_URN_GROUP], "displayName": unique("Grp "),
            "members": [{"value": m} for m in members]}
    body.update(extra)
    r = _scim("POST", "/Groups", body, tenant=tenant)
    eq(r.status, 201, f"create SCIM group ({r!r})")
    return r.json()


def _scim_patch(path, ops, tenant=None, **kw):
    return _scim("PATCH", path, {"schemas": [_scim_URN_PATCH], "Operations": ops},
                 tenant=tenant, **kw)


def _scim_list(path, tenant=None):
    r = _scim("GET", path, tenant=tenant)
    eq(r.status, 200, f"GET {path} ({r!r})")
    b = r.json()
    eq(b.get("schemas"), [_scim_URN_LIST], f"{path}: ListResponse schemas")
    for k in ("totalResults", "itemsPerPage") + (() if "cursor" in path else ("startIndex",)):
        check(isinstance(b.get(k), int), f"{path}: {k} is an integer ({b.get(k)!r})")
    return b


def _scim_q(s):
    return urllib.parse.quote(s, safe="")


def _scim_members(tenant, group_id):
    return set(psql(f"SELECT user_id FROM group_members WHERE tenant_id = {lit(tenant)} "
                    f"AND group_id = {lit(group_id)}"))


import hashlib  # noqa: E402 - exec'd into test_api.py's globals
import urllib.parse  # noqa: E402 - exec'd into test_api.py's globals


class _scim_unchanged:
    """Asserts that a block changes no row of the tables SCIM writes (an
    API token's last use may be recorded: not a change of the data)."""
    _Q = ("SELECT (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM users) || ' ' ||"
          " (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM groups) || ' ' ||"
          " (SELECT count(*) FROM group_members) || ' ' || (SELECT count(*) FROM audit_log)")

    def __enter__(self):
        self.before = sql_one(self._Q)

    def __exit__(self, et, ev, tb):
        if et is None:
            eq(sql_one(self._Q), self.before, "users, groups, members, audit rows unchanged")


@test
def scim_group_patch_applied_again_keeps_its_members():
    """A path-less PATCH of a group's name and members, which a concurrent
    rename makes apply again: the second attempt applies the whole body
    (its members too), not what the first left of it."""
    g = _scim_new_group()
    u = _scim_new_user(password=None)
    name = unique("patched")
    body = json.dumps({"schemas": [_scim_URN_PATCH], "Operations": [
        {"op": "add", "value": {"displayName": name, "members": [{"value": u["id"]}]}}]})
    r, _ = request_behind([f"UPDATE groups SET name = {lit(unique('held'))}, "
                           f"version = version + 1 WHERE tenant_id = {lit(TENANT_A)} "
                           f"AND id = {lit(g['id'])}"],
                          "PATCH", f"/scim/v2/Groups/{g['id']}", body,
                          ctype="application/scim+json", token=_scim_token(TENANT_A))
    eq(r.status, 204, f"the PATCH ({r!r})")
    eq(_scim_members(TENANT_A, g["id"]), {u["id"]}, "the member the PATCH added")
    eq(sql_one(f"SELECT name FROM groups WHERE id = {lit(g['id'])}"), name, "its name")


@test
def scim_user_of_another_dialect_matched_by_work_email():
    """A user made by /v1 has its e-mail as SCIM's work e-mail: Entra's
    matching filter finds it, and its filtered replace changes that e-mail
    (the column), not a second one beside it."""
    name = unique("workmail")
    u = v1_user(username=name, email=f"{name}@example.com")
    b = _scim_list("/Users?filter=" +
                   _scim_q(f'emails[type eq "work"].value eq "{name}@example.com"'))
    eq([x["id"] for x in b["Resources"]], [u["id"]], "matched by its work e-mail")
    eq(b["Resources"][0]["emails"], [{"value": f"{name}@example.com", "type": "work",
                                      "primary": True}], "the e-mail as SCIM has it")
    r = _scim_patch(f"/Users/{u['id']}", [{"op": "Replace",
                                           "path": 'emails[type eq "work"].value',
                                           "value": f"{name}.new@example.com"}])
    eq(r.status, 200, f"Entra's replace ({r!r})")
    eq([e["value"] for e in r.json()["emails"]], [f"{name}.new@example.com"], "one e-mail")
    eq(sql_one(f"SELECT email FROM users WHERE id = {lit(u['id'])}"),
       f"{name}.new@example.com", "the e-mail column")


@test
def scim_user_email_changed_elsewhere_is_the_one_scim_shows():
    """An e-mail or phone a SCIM client gave, changed by /v1: SCIM shows,
    finds and keeps the new one in the element it came from (the other
    elements as they were), and its next write does not put the old one
    back; cleared by /v1, the element goes."""
    name = unique("elsewhere")
    u = _scim_new_user(userName=f"{name}@example.com", password=None)
    r = _scim_patch(f"/Users/{u['id']}", [
        {"op": "add", "path": "emails", "value": [{"value": f"{name}@home.example",
                                                   "type": "home"}]},
        {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1 555 0100",
                                                         "type": "work", "primary": True}]}])
    eq(r.status, 200, f"a second e-mail and a phone ({r!r})")
    r = v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}",
           {"email": f"{name}.v1@example.com", "phone": "+1 555 0199"})
    eq(r.status, 200, f"the /v1 change ({r!r})")
    got = _scim("GET", f"/Users/{u['id']}").json()
    eq([(e["value"], e.get("primary")) for e in got["emails"]],
       [(f"{name}.v1@example.com", True), (f"{name}@home.example", None)], "emails")
    eq([p["value"] for p in got["phoneNumbers"]], ["+1 555 0199"], "phoneNumbers")
    b = _scim_list("/Users?filter=" + _scim_q(f'emails.value eq "{name}.v1@example.com"'))
    eq([x["id"] for x in b["Resources"]], [u["id"]], "found by the new e-mail")
    r = _scim_patch(f"/Users/{u['id']}", [{"op": "Replace", "path": "active",
                                           "value": "False"}])
    eq(r.status, 200, f"a later SCIM write ({r!r})")
    eq(sql_one(f"SELECT email || ' ' || phone FROM users WHERE id = {lit(u['id'])}"),
       f"{name}.v1@example.com +1 555 0199", "the columns after it")
    r = v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"phone": None})
    eq(r.status, 200, f"the phone cleared ({r!r})")
    got = _scim("GET", f"/Users/{u['id']}").json()
    check(not got.get("phoneNumbers"), f"no phone left: {got.get('phoneNumbers')!r}")


@test
def scim_a_new_primary_is_the_only_one():
    """An e-mail added or set primary makes every other one not primary
    (RFC 7644 3.5.2), and it is the user's e-mail column then."""
    name = unique("prim")
    u = _scim_new_user(userName=f"{name}@example.com", password=None)
    r = _scim_patch(f"/Users/{u['id']}", [{"op": "add", "path": "emails", "value": [
        {"value": f"{name}@home.example", "type": "home", "primary": True}]}])
    eq(r.status, 200, f"a new primary e-mail ({r!r})")
    eq([(e["value"], e.get("primary")) for e in r.json()["emails"]],
       [(f"{name}@example.com", False), (f"{name}@home.example", True)], "one primary")
    eq(sql_one(f"SELECT email FROM users WHERE id = {lit(u['id'])}"),
       f"{name}@home.example", "the column: the primary")
    r = _scim_patch(f"/Users/{u['id']}", [{"op": "replace",
                                           "path": 'emails[type eq "work"].primary',
                                           "value": True}])
    eq(r.status, 200, f"the work e-mail made primary again ({r!r})")
    eq([(e["value"], e.get("primary")) for e in r.json()["emails"]],
       [(f"{name}@example.com", True), (f"{name}@home.example", False)], "one primary again")
    eq(sql_one(f"SELECT email FROM users WHERE id = {lit(u['id'])}"),
       f"{name}@example.com", "the column again")


@test
def scim_discovery():
    spc = _scim("GET", "/ServiceProviderConfig")
    eq(spc.status, 200, f"ServiceProviderConfig ({spc!r})")
    check((spc.header("Content-Type") or "").startswith("application/scim+json"),
          "ServiceProviderConfig Content-Type")
    b = spc.json()
    eq(b["patch"]["supported"], True, "patch supported")
    eq((b["bulk"]["supported"], b["bulk"]["maxOperations"]), (True, 1000), "bulk")
    eq(b["filter"]["supported"], True, "filter supported")
    eq(b["etag"]["supported"], True, "etag supported")
    eq(b["sort"]["supported"], True, "sort supported")
    eq((b["pagination"]["cursor"], b["pagination"]["index"],
        b["pagination"]["defaultPaginationMethod"]), (True, True, "index"), "pagination")
    eq(b["authenticationSchemes"][0]["type"], "oauthbearertoken", "auth scheme")
    rts = _scim_list("/ResourceTypes")
    eq(sorted(x["id"] for x in rts["Resources"]), ["Group", "User"], "resource types")
    u = _scim("GET", "/ResourceTypes/User").json()
    eq(u["schema"], _scim_URN_USER, "User's schema")
    eq(u["schemaExtensions"][0]["schema"], _scim_URN_ENT, "User's extension")
    _scim_err(_scim("GET", "/ResourceTypes/Nope"), 404, what="unknown resource type")
    sch = _scim_list("/Schemas")
    ids = [s["id"] for s in sch["Resources"]]
    for urn in (_scim_URN_USER, _scim_URN_ENT, _scim_URN_GROUP, _scim_URN_RG):
        check(urn in ids, f"/Schemas lists {urn}")

    def walk(attrs, where):
        for a in attrs:
            for k in ("name", "type", "multiValued", "required", "mutability", "returned",
                      "description"):
                check(k in a, f"{where}.{a.get('name')}: no {k}")
            if a["type"] == "string":
                check("caseExact" in a and "uniqueness" in a,
                      f"{where}.{a['name']}: caseExact/uniqueness")
            if a["type"] == "complex":
                check(a.get("subAttributes"), f"{where}.{a['name']}: subAttributes")
                walk(a["subAttributes"], f"{where}.{a['name']}")
    for s in sch["Resources"]:
        walk(s["attributes"], s["id"])
    user = _scim("GET", "/Schemas/" + _scim_URN_USER).json()
    attrs = {a["name"]: a for a in user["attributes"]}
    eq(attrs["userName"]["uniqueness"], "server", "userName uniqueness")
    eq(attrs["userName"]["caseExact"], False, "userName caseExact")
    eq(attrs["password"]["returned"], "never", "password returned")
    eq(attrs["groups"]["mutability"], "readOnly", "groups mutability")
    rg = {a["name"]: a for a in _scim("GET", "/Schemas/" + _scim_URN_RG).json()["attributes"]}
    eq((rg["kind"]["required"], rg["code"]["required"]), (True, True),
       "every group has a kind and a code: required, so no suite expects them removable")
    _scim_err(_scim("GET", "/Schemas/urn:nope"), 404, what="unknown schema")
    _scim_err(_scim("GET", "/Me"), 501, what="/Me")


@test
def scim_user_create_get_put_delete():
    body = _scim_user_body()
    # Okta's SPEC test posts with plain application/json
    r = _scim("POST", "/Users", body, ctype="application/json")
    eq(r.status, 201, f"create ({r!r})")
    u = r.json()
    check(is_uuid(u["id"]), f"id {u['id']!r}")
    eq(u["userName"], body["userName"], "userName")
    eq(u["active"], True, "active")
    eq(u["name"], {"givenName": "Test", "familyName": "User"}, "name")
    eq(u["emails"], body["emails"], "emails round-trip")
    eq(u["externalId"], body["externalId"], "externalId")
    eq(u["locale"], "en-US", "locale")
    check("password" not in u, "password never returned")
    check("groups" not in u or u["groups"] == [], "no groups")
    eq(u["meta"]["resourceType"], "User", "meta.resourceType")
    check(r.header("Location", ) and r.header("Location").endswith("/scim/v2/Users/" + u["id"]),
          f"Location {r.header('Location')!r}")
    eq(r.header("ETag"), u["meta"]["version"], "ETag is meta.version")
    check(u["meta"]["version"].startswith('W/"'), "weak ETag")
    pw = sql_one(f"SELECT password FROM users WHERE id = {lit(u['id'])}")
    check(pw.startswith("$argon2id$"), "password stored as an Argon2id hash")
    eq(sql_one(f"SELECT attrs::text FROM users WHERE id = {lit(u['id'])}").count("1mz050nq"), 0,
       "password not kept in attrs")

    g = _scim("GET", "/Users/" + u["id"])
    eq(g.status, 200, f"get ({g!r})")
    eq(g.json(), u, "GET returns what POST returned")

    # duplicates, without regard to case: 409 uniqueness, nothing written
    with _scim_unchanged():
        _scim_err(_scim("POST", "/Users", body), 409, "uniqueness", "duplicate userName")
        dup = dict(body, userName=body["userName"].upper(), emails=[])
        _scim_err(_scim("POST", "/Users", dup), 409, "uniqueness", "upper-cased userName")

    # Okta's read-modify-write PUT echoes id, meta and groups
    put = dict(g.json())
    put["name"] = {"givenName": "Changed", "familyName": "User"}
    put["nickName"] = "tess"
    put["urn:example:unknown:1.0"] = {"kept": [1, 2]}
    r = _scim("PUT", "/Users/" + u["id"], put)
    eq(r.status, 200, f"put ({r!r})")
    p = r.json()
    eq(p["name"]["givenName"], "Changed", "PUT name.givenName")
    eq(p["nickName"], "tess", "PUT nickName")
    eq(p["urn:example:unknown:1.0"], {"kept": [1, 2]}, "unknown schema's attributes kept")
    eq(sql_one(f"SELECT first_name FROM users WHERE id = {lit(u['id'])}"), "Changed",
       "first_name column")
    check(p["meta"]["version"] != u["meta"]["version"], "version moved on")
    eq(sql_one(f"SELECT password FROM users WHERE id = {lit(u['id'])}"), pw,
       "PUT without password keeps it")
    # PUT without a required attribute: 400, nothing written
    with _scim_unchanged():
        _scim_err(_scim("PUT", "/Users/" + u["id"], {"schemas": [_scim_URN_USER]}), 400,
                  "invalidValue", "PUT without userName")

    d = _scim("DELETE", "/Users/" + u["id"])
    eq(d.status, 204, f"delete ({d!r})")
    eq(d.body, b"", "204 body")
    _scim_err(_scim("GET", "/Users/" + u["id"]), 404, what="deleted user")
    _scim_err(_scim("DELETE", "/Users/" + u["id"]), 404, what="deleted again")
    # Okta's SPEC test: an id that is no uuid is a 404 too
    _scim_err(_scim("GET", "/Users/00919288221112222"), 404, what="non-uuid id")
    # one audit row per change
    eq(int(sql_one(f"SELECT count(*) FROM audit_log WHERE target_id = {lit(u['id'])}")), 3,
       "audit rows (create, update, delete)")


@test
def scim_user_list_filters_and_paging():
    stem = unique("flt")
    made = [_scim_new_user(userName=f"{stem}-{i}@Example.com", externalId=f"{stem}-x{i}")
            for i in range(5)]
    # userName eq is case-insensitive (the RFC; Okta's SPEC step 7)
    b = _scim_list("/Users?filter=" + _scim_q(f'userName eq "{stem.upper()}-1@EXAMPLE.COM"'))
    eq(b["totalResults"], 1, "userName eq, upper-cased")
    eq(b["Resources"][0]["id"], made[1]["id"], "the user found")
    # '+' is a space in a query string (Entra)
    b = _scim_list("/Users?filter=userName+eq+%22" + _scim_q(made[2]["userName"]) + "%22")
    eq(b["totalResults"], 1, "filter with + for spaces")
    b = _scim_list("/Users?filter=" + _scim_q(f'externalId eq "{stem}-x3"'))
    eq([x["id"] for x in b["Resources"]], [made[3]["id"]], "externalId eq")
    b = _scim_list("/Users?filter=" + _scim_q(f'EXTERNALID Eq "{stem}-X3"'))
    eq(b["totalResults"], 0, "externalId is case-exact; names and operators are not")
    b = _scim_list("/Users?filter=" + _scim_q(
        f'emails[type eq "work"].value eq "{made[4]["userName"]}"'))
    eq(b["totalResults"], 1, "emails[type eq work].value eq (Entra)")
    b = _scim_list("/Users?filter=" + _scim_q(f'userName sw "{stem}" and not (userName ew '
                                               f'"-0@example.com")'))
    eq(b["totalResults"], 4, "sw, and, not, ew")
    # no match: 200 with an empty list (Entra's connection test)
    b = _scim_list("/Users?filter=" + _scim_q(f'userName eq "{uuid.uuid4()}"'))
    eq((b["totalResults"], b["Resources"]), (0, []), "no match")
    # paging: a stable order whatever the page size
    flt = "filter=" + _scim_q(f'userName sw "{stem}"')
    whole = [x["id"] for x in _scim_list(f"/Users?{flt}&count=100")["Resources"]]
    eq(sorted(whole), sorted(u["id"] for u in made), "the filter finds the five")
    pages = []
    for start in (1, 3, 5):
        b = _scim_list(f"/Users?{flt}&startIndex={start}&count=2")
        eq(b["startIndex"], start, "startIndex echoed")
        eq(b["totalResults"], 5, "totalResults on every page")
        pages += [x["id"] for x in b["Resources"]]
    eq(pages, whole, "pages of 2 give the order of one page")
    # sortBy / sortOrder (userName without regard to case)
    names = sorted((u["userName"].lower(), u["id"]) for u in made)
    b = _scim_list(f"/Users?{flt}&sortBy=userName&sortOrder=descending")
    eq([x["id"] for x in b["Resources"]], [i for _, i in reversed(names)], "sortBy descending")
    b = _scim_list(f"/Users?{flt}&sortBy={_scim_URN_USER}:userName&startIndex=2&count=2")
    eq([x["id"] for x in b["Resources"]], [i for _, i in names[1:3]], "sortBy with paging")
    _scim_err(_scim("GET", f"/Users?{flt}&sortBy=password"), 400, "invalidValue",
              "sortBy an attribute rosterd does not sort by")
    _scim_err(_scim("GET", f"/Users?{flt}&sortOrder=up"), 400, "invalidValue", "sortOrder=up")
    b = _scim_list(f"/Users?{flt}&count=0")
    eq((b["totalResults"], b["itemsPerPage"], b["Resources"]), (5, 0, []), "count=0")
    # projection
    b = _scim_list(f"/Users?{flt}&count=1&attributes=userName,name.givenName")
    x = b["Resources"][0]
    eq(sorted(x), ["id", "meta", "name", "schemas", "userName"], "attributes=")
    eq(x["name"], {"givenName": "Test"}, "attributes= with a sub-attribute")
    b = _scim_list(f"/Users?{flt}&count=1&excludedAttributes=emails,name")
    check("emails" not in b["Resources"][0] and "name" not in b["Resources"][0]
          and "userName" in b["Resources"][0], "excludedAttributes=")
    # unsupported or malformed filters: 400 invalidFilter, never a list
    for f in ('userName eq', 'nope eq "x"', 'userName xx "a"', '(userName eq "a"',
              'active eq "maybe"' + ")" * 3, 'userName eq "a" and', "x" * 5000):
        _scim_err(_scim("GET", "/Users?filter=" + _scim_q(f)), 400, "invalidFilter",
                  f"filter {f[:40]!r}")
    _scim_err(_scim("GET", "/Users?startIndex=abc"), 400, "invalidValue", "startIndex=abc")
    # unknown query parameters are ignored (aadOptscim062020)
    _scim_list("/Users?aadOptscim062020&count=1")


@test
def scim_search_by_post():
    stem = unique("srch")
    made = [_scim_new_user(userName=f"{stem}-{i}@example.com") for i in range(3)]
    g = _scim_new_group(displayName=f"{stem} group")
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": f'userName sw "{stem}"', "sortBy": "userName",
            "sortOrder": "descending", "startIndex": 2, "count": 5,
            "attributes": ["userName"]}
    r = _scim("POST", "/Users/.search", body)
    eq(r.status, 200, f"POST /Users/.search ({r!r})")
    b = r.json()
    eq(b["schemas"], [_scim_URN_LIST], "a ListResponse")
    eq((b["totalResults"], b["startIndex"]), (3, 2), "total and startIndex")
    eq([x["id"] for x in b["Resources"]], [made[1]["id"], made[0]["id"]],
       "sorted, paged from the body")
    eq(sorted(b["Resources"][0]), ["id", "meta", "schemas", "userName"], "attributes as an array")
    r = _scim("POST", "/Groups/.search", {"filter": f'displayName eq "{stem} GROUP"',
                                          "excludedAttributes": "members"})
    eq([x["id"] for x in r.json()["Resources"]], [g["id"]], "POST /Groups/.search")
    # the root: every resource type; a filter naming a User attribute finds users
    r = _scim("POST", "/.search", {"filter": f'userName eq "{stem}-2@example.com"'})
    eq([x["id"] for x in r.json()["Resources"]], [made[2]["id"]], "root .search: a user")
    r = _scim("POST", "/.search", {"filter": f'displayName sw "{stem}"'})
    eq([x["id"] for x in r.json()["Resources"]], [g["id"]], "root .search: a group")
    r = _scim("POST", "/.search", {"filter": f'id eq "{g["id"]}" or id eq "{made[0]["id"]}"',
                                   "count": 1, "startIndex": 2})
    eq((r.json()["totalResults"], [x["id"] for x in r.json()["Resources"]]),
       (2, [g["id"]]), "root .search pages across the types")
    for bad, st in (({"filter": "nosuch eq 1"}, "invalidFilter"),
                    ({"filter": 5}, "invalidValue"), ({"count": "x"}, "invalidValue")):
        _scim_err(_scim("POST", "/.search", bad), 400, st, f"root .search {bad!r}")
    _scim_err(_scim("POST", "/Users/.search", {"filter": "displayName eq"}), 400,
              "invalidFilter", "a bad filter")


@test
def scim_cursor_paging():
    stem = unique("cur")
    made = [_scim_new_user(userName=f"{stem}-{i}@example.com")["id"] for i in range(5)]
    flt = "filter=" + _scim_q(f'userName sw "{stem}"')
    b = _scim_list(f"/Users?{flt}&count=2&cursor")
    check("previousCursor" not in b and "startIndex" not in b, f"first page {b!r}")
    seen = [x["id"] for x in b["Resources"]]
    cur = b["nextCursor"]
    check(re.fullmatch(r"[A-Za-z0-9._~-]+", cur), f"cursor {cur!r} is URL-safe")
    while "nextCursor" in b:
        b = _scim_list(f"/Users?{flt}&count=2&cursor={b['nextCursor']}")
        check("previousCursor" in b, "previousCursor after the first page")
        seen += [x["id"] for x in b["Resources"]]
    eq(seen, made, "the cursor walk sees each user once, in order")
    eq(b["totalResults"], 5, "totalResults")
    for path, st in ((f"/Users?{flt}&count=2&cursor=forged", "invalidCursor"),
                     (f"/Users?{flt}&count=2&cursor={cur}x", "invalidCursor"),
                     (f"/Users?filter=userName%20pr&count=2&cursor={cur}", "invalidCursor"),
                     (f"/Groups?count=2&cursor={cur}", "invalidCursor"),
                     (f"/Users?{flt}&count=3&cursor={cur}", "invalidCount"),
                     (f"/Users?{flt}&count=5000&cursor", "invalidCount")):
        _scim_err(_scim("GET", path), 400, st, path)
    # another tenant cannot use it
    _scim_err(_scim("GET", f"/Users?{flt}&count=2&cursor={cur}", tenant=TENANT_B), 400,
              "invalidCursor", "tenant B with A's cursor")
    # the same in a SearchRequest
    r = _scim("POST", "/Users/.search", {"filter": f'userName sw "{stem}"', "count": 2,
                                         "cursor": ""})
    eq([x["id"] for x in r.json()["Resources"]], made[:2], "cursor in a SearchRequest")
    r = _scim("POST", "/Users/.search", {"filter": f'userName sw "{stem}"', "count": 2,
                                         "cursor": r.json()["nextCursor"]})
    eq([x["id"] for x in r.json()["Resources"]], made[2:4], "its next page")


@test
def scim_user_text_is_the_same_as_the_projected_trees():
    """A User read or paged without a projection is written from its
    stored JSON text, not from a decoded tree: the bytes must be those of
    the tree path, which a projection that leaves nothing out takes. The
    users cover what the walk reads: Okta's create in groups whose names
    need escapes, extensions with odd text, a user of /v1 without stored
    SCIM, columns changed by /v1 since, and stored SCIM that /v1 replaced
    with keys the walk leaves to the tree."""
    stem = unique("txt")
    okta = _scim_new_user(userName=f"{stem}-okta@example.com")
    ext = _scim_new_user(userName=f"{stem}-ext@example.com", nickName="tab\there \"q\" \\",
                         title="\u0001 \u20ac", **{
                             _scim_URN_ENT: {"department": "R&D", "manager": {"value": "m1"}},
                             "urn:example:other:2.0:User": {
                                 "n": [1.5e3, -0.0, 2.5, True, False, None, {"e": {}, "a": [[]]}],
                                 # 5 characters sent, 65 as jsonb prints it
                                 "big": 1e64,
                                 "s": "\u0007\u001f\ud83d\ude00 \u00e9"}})
    groups = [_scim_new_group(displayName=f"{name} {stem}", members=[okta["id"], ext["id"]],
                              externalId=f"{stem}-{i}", **{"urn:example:g:2.0:Group": {"n": [1]}})
              for i, name in enumerate(('Grp "q" \t \u00e9', "Grp \\ plain"))]
    groups.append(_scim_new_group(displayName=f"empty {stem}"))
    plain = v1_user(username=f"{stem}-v1", firstName="Only")
    changed = _scim_new_user(userName=f"{stem}-chg@example.com")
    r = v1("PATCH", f"/tenants/{TENANT_A}/users/{changed['id']}",
           {"username": f"{stem}-chg2", "firstName": "New", "displayName": None,
            "title": "Now set"})
    eq(r.status, 200, f"/v1 PATCH of a SCIM user ({r!r})")
    odd = {}
    for key, scim in (("case", {"USERNAME": "x", "nickName": "n"}),
                      ("array", [1, 2]),
                      ("types", {"name": "str", "active": "yes", "emails": None,
                                 "schemas": ["x"], "id": "evil", "meta": {"m": 1},
                                 "phoneNumbers": [{"value": "+2"}], "title": 7})):
        u = v1_user(username=f"{stem}-{key}", email=f"{stem}-{key}@example.com",
                    phone="+1 555 0100")
        r = v1("PATCH", f"/tenants/{TENANT_A}/users/{u['id']}", {"attributes": {"scim": scim}})
        eq(r.status, 200, f"/v1 PATCH attributes.scim of {key} ({r!r})")
        odd[key] = u["id"]
    ids = [okta["id"], ext["id"], plain["id"], changed["id"]] + list(odd.values())
    # "zzzNone" names no attribute: the tree path, nothing left out
    tree = "excludedAttributes=zzzNone"
    for i in ids:
        a = _scim("GET", f"/Users/{i}")
        b = _scim("GET", f"/Users/{i}?{tree}")
        eq(a.status, 200, f"GET {i} ({a!r})")
        eq(a.body, b.body, f"GET {i}: the same text both ways")
        eq(a.header("ETag"), b.header("ETag"), f"GET {i}: ETag")
    ok = a.json()
    eq(ok["phoneNumbers"], [{"value": "+2"}], "the stored phoneNumbers kept")
    eq(ok["active"], True, "active from its column")
    check("name" not in ok, f"a name that is not an object goes ({ok!r})")
    c = _scim("GET", f"/Users/{changed['id']}").json()
    eq((c["userName"], c["name"]["givenName"], c.get("displayName"), c["title"]),
       (f"{stem}-chg2", "New", None, "Now set"), "columns win over the stored User")
    e = _scim("GET", f"/Users/{ext['id']}").json()
    eq(sorted(g["display"] for g in e["groups"]),
       sorted(f"{n} {stem}" for n in ('Grp "q" \t \u00e9', "Grp \\ plain")), "groups")
    check(all(g["$ref"].endswith("/Groups/" + g["value"]) and g["type"] == "direct"
              for g in e["groups"]), f"each group's $ref and type ({e['groups']!r})")
    eq(e["urn:example:other:2.0:User"]["s"], "\u0007\u001f\U0001F600 \u00e9", "odd text kept")
    eq(e["urn:example:other:2.0:User"]["big"], 10 ** 64, "a number jsonb prints in 65 digits")
    eq(e.get("nickName"), "tab\there \"q\" \\", "the rest of that user kept with it")
    r = _scim_patch(f"/Users/{ext['id']}", [{"op": "replace", "path": "displayName",
                                              "value": "Patched"}])
    eq(r.status, 200, f"PATCH of that user ({r!r})")
    eq((r.json()["urn:example:other:2.0:User"]["big"], r.json().get("nickName")),
       (10 ** 64, e["nickName"]), "a PATCH keeps what it did not name")
    flt = "filter=" + _scim_q(f'userName sw "{stem}"')
    for page in (f"/Users?{flt}&count=3", f"/Users?{flt}&count=3&cursor",
                 f"/Users?{flt}&count=100&sortBy=userName"):
        a = _scim("GET", page)
        b = _scim("GET", f"{page}&{tree}")
        eq(a.status, 200, f"{page} ({a!r})")
        # a cursor is bound to its query, the projection included
        eq(re.sub(rb'"nextCursor":"[^"]*",', b"", a.body),
           re.sub(rb'"nextCursor":"[^"]*",', b"", b.body), f"{page}: the same text both ways")
    eq(_scim_list(f"/Users?{flt}&count=100")["totalResults"], len(ids), "every user paged")
    a = _scim("POST", "/Users/.search", {"filter": f'userName sw "{stem}"', "count": 100})
    b = _scim("POST", "/Users/.search", {"filter": f'userName sw "{stem}"', "count": 100,
                                         "excludedAttributes": ["zzzNone"]})
    eq(a.body, b.body, "POST /Users/.search: the same text both ways")
    for g in groups:
        a = _scim("GET", f"/Groups/{g['id']}")
        b = _scim("GET", f"/Groups/{g['id']}?{tree}")
        eq(a.status, 200, f"GET group ({a!r})")
        eq(a.body, b.body, f"GET group {g['id']}: the same text both ways")
    eq(len(a.json()["members"]), 0, "an empty group's members")
    gflt = "filter=" + _scim_q(f'displayName co "{stem}"')
    a = _scim("GET", f"/Groups?{gflt}&sortBy=displayName")
    b = _scim("GET", f"/Groups?{gflt}&sortBy=displayName&{tree}")
    eq(a.body, b.body, "a page of groups: the same text both ways")
    eq([len(x["members"]) for x in a.json()["Resources"]], [0, 2, 2],
       "their members (by displayName)")


@test
def scim_cursor_walks_by_key():
    """A cursor in the default order continues after the last row it saw:
    a row deleted before it shifts nothing; totalResults stays the walk's
    first count; previousCursor goes back; in a sortBy order the cursor
    pages by offset as before."""
    stem = unique("key")
    made = [_scim_new_user(userName=f"{stem}-{i}@example.com")["id"] for i in range(6)]
    flt = "filter=" + _scim_q(f'userName sw "{stem}"')
    b = _scim_list(f"/Users?{flt}&count=2&cursor")
    eq([x["id"] for x in b["Resources"]], made[:2], "first page")
    eq(_scim("DELETE", f"/Users/{made[0]}").status, 204, "delete a row already seen")
    b2 = _scim_list(f"/Users?{flt}&count=2&cursor={b['nextCursor']}")
    eq([x["id"] for x in b2["Resources"]], made[2:4], "the walk goes on after the last row seen")
    eq(b2["totalResults"], 6, "totalResults: the count the walk's first page took")
    back = _scim_list(f"/Users?{flt}&count=2&cursor={b2['previousCursor']}")
    check("previousCursor" not in back, "previousCursor of the second page: the first")
    eq([x["id"] for x in back["Resources"]], made[1:3], "the first page, as it is now")
    b3 = _scim_list(f"/Users?{flt}&count=2&cursor={b2['nextCursor']}")
    eq([x["id"] for x in b3["Resources"]], made[4:6], "the last page")
    check("nextCursor" not in b3, f"a full last page has no nextCursor ({b3!r})")
    # a cursor of a sorted list pages by offset; it is still refused elsewhere
    srt = f"{flt}&sortBy=userName&sortOrder=descending"
    s1 = _scim_list(f"/Users?{srt}&count=2&cursor")
    s2 = _scim_list(f"/Users?{srt}&count=2&cursor={s1['nextCursor']}")
    eq([x["id"] for x in s1["Resources"] + s2["Resources"]], made[5:1:-1],
       "sortBy descending, by cursor")
    _scim_err(_scim("GET", f"/Users?{flt}&count=2&cursor={s1['nextCursor']}"), 400,
              "invalidCursor", "a sorted list's cursor on the unsorted list")
    _scim_err(_scim("POST", "/.search", {"filter": f'userName sw "{stem}"', "count": 2,
                                         "cursor": b2["nextCursor"]}), 400,
              "invalidCursor", "a /Users cursor on POST /.search")
    # the tag is not a secret: a payload forged with a correct tag is
    # refused unless its key is one rosterd writes
    flt_text = f'userName sw "{stem}"'

    def forged(payload):
        tag = hashlib.sha256("\n".join([TENANT_A, "/scim/v2/Users", flt_text, "", "", "", "",
                                         payload]).encode()).hexdigest()[:32]
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=") + "." + tag
    exp = int(time.time()) + 600
    good = forged(f"2:2:{exp}:6:0,{made[1]}")
    eq(_scim("GET", f"/Users?{flt}&count=2&cursor={good}").status, 200,
       "a forged keyset cursor with a well-formed key reads the caller's own list")
    for bad in (f"2:2:{exp}:6:1,{made[1].upper()}", f"2:2:{exp}:6:1,{made[1]}x",
                f"2:2:{exp}:6:123456789012345678,{made[1]}", f"2:2:{exp}:6:,{made[1]}",
                f"2:2:{exp}:-1:1,{made[1]}", f"2:2:{exp}:6:1;{made[1]}", f"2:2:{exp}:6",
                f"2:2:{exp}:6:1,{made[1]}:", f"2:2:{exp}x"):
        _scim_err(_scim("GET", f"/Users?{flt}&count=2&cursor={forged(bad)}"), 400,
                  "invalidCursor", f"forged payload {bad!r}")


@test
def scim_bulk_with_bulkid_references():
    tag = unique("bulk")
    urn = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
    victim = _scim_new_user()
    body = {"schemas": [urn], "Operations": [
        # the group first: it waits for the user it names
        {"method": "POST", "path": "/Groups", "bulkId": "g1",
         "data": {"displayName": f"{tag} group",
                  "members": [{"type": "User", "value": "bulkId:u1"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "u1",
         "data": {"userName": f"{tag}@example.com"}},
        {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {
            "Operations": [{"op": "replace", "path": "title", "value": "Bulked"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "dup",
         "data": {"userName": f"{tag}@EXAMPLE.com"}},
        {"method": "DELETE", "path": "/Users/" + victim["id"]},
        {"method": "POST", "path": "/Groups", "bulkId": "x1",
         "data": {"displayName": f"{tag} dangling",
                  "members": [{"value": "bulkId:nosuch"}]}},
        {"method": "GET", "path": "/Users"},
        {"method": "POST", "path": "/Bulk", "bulkId": "b1", "data": {}}]}
    r = _scim("POST", "/Bulk", body)
    eq(r.status, 200, f"Bulk ({r!r})")
    b = r.json()
    eq(b["schemas"], ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"], "BulkResponse")
    st = {(o["method"], o.get("bulkId")): o for o in b["Operations"]}
    eq([o["status"] for o in b["Operations"]], ["201", "201", "200", "409", "204", "409",
                                                 "404", "400"], "each operation's status")
    uid = st[("POST", "u1")]["location"].rsplit("/", 1)[1]
    gid = st[("POST", "g1")]["location"].rsplit("/", 1)[1]
    eq(_scim_members(TENANT_A, gid), {uid}, "the group has the user its bulkId named")
    eq(_scim("GET", "/Users/" + uid).json()["title"], "Bulked", "PATCH by bulkId")
    eq(st[("POST", "dup")]["response"]["scimType"], "uniqueness", "a duplicate in a Bulk")
    _scim_err(_scim("GET", "/Users/" + victim["id"]), 404, what="deleted by Bulk")
    # failOnErrors stops after that many failures
    r = _scim("POST", "/Bulk", {"schemas": [urn], "failOnErrors": 1, "Operations": [
        {"method": "DELETE", "path": "/Users/" + str(uuid.uuid4())},
        {"method": "POST", "path": "/Users", "bulkId": "n", "data": {"userName": unique("n")}}]})
    eq([o["status"] for o in r.json()["Operations"]], ["404"], "failOnErrors=1")
    with _scim_unchanged():
        _scim_err(_scim("POST", "/Bulk", {"Operations": "x"}), 400, "invalidSyntax",
                  "Operations not an array")
        _scim_err(_scim("POST", "/Bulk", {"Operations": [{"method": "DELETE",
                                                          "path": "/Users/x"}] * 1001}),
                  413, what="too many operations")
        _scim_err(_scim("POST", "/Bulk", {"failOnErrors": 0, "Operations": []}), 400,
                  "invalidValue", "failOnErrors 0")
    # another tenant's resources stay out of reach
    r = _scim("POST", "/Bulk", {"Operations": [
        {"method": "DELETE", "path": "/Users/" + uid}]}, tenant=TENANT_B)
    eq(r.json()["Operations"][0]["status"], "404", "tenant B cannot delete A's user")


@test
def scim_user_patch_quirks():
    u = _scim_new_user(**{_scim_URN_ENT: {"employeeNumber": "1"}})
    path = "/Users/" + u["id"]
    # Entra, default shape: capitalised ops, a string boolean
    r = _scim_patch(path, [{"op": "Replace", "path": "active", "value": "False"}])
    eq(r.status, 200, f"Replace active 'False' ({r!r})")
    eq(r.json()["active"], False, "deactivated")
    eq(sql_one(f"SELECT is_active FROM users WHERE id = {lit(u['id'])}"), "f", "is_active")
    # deactivated users stay readable and filterable
    eq(_scim("GET", path).json()["active"], False, "GET after disable")
    b = _scim_list("/Users?filter=" + _scim_q(f'userName eq "{u["userName"]}" and active eq false'))
    eq(b["totalResults"], 1, "filter finds the deactivated user")
    # Okta: a path-less replace of plain attributes (its id inside)
    r = _scim_patch(path, [{"op": "replace", "value": {"id": u["id"], "active": True}}])
    eq((r.status, r.json()["active"]), (200, True), f"Okta reactivate ({r!r})")
    # Entra, default shape: one op per path; a filtered replace that
    # matches nothing creates the element
    r = _scim_patch(path, [
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "w@test.example"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555"},
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {"op": "Replace", "path": _scim_URN_ENT + ":employeeNumber", "value": "Eqpj"}])
    eq(r.status, 200, f"Entra multi-op replace ({r!r})")
    x = r.json()
    eq(x["displayName"], "Pvlo", "displayName")
    eq([e["value"] for e in x["emails"] if e.get("type") == "work"], ["w@test.example"],
       "work email replaced")
    eq(x["phoneNumbers"], [{"type": "work", "value": "+1 555"}], "work phone created")
    eq(x["name"]["givenName"], "Gtfd", "name.givenName")
    eq(x["externalId"], "Eqpj", "externalId")
    eq(x[_scim_URN_ENT]["employeeNumber"], "Eqpj", "employeeNumber")
    eq(sql_one(f"SELECT email || ' ' || phone FROM users WHERE id = {lit(u['id'])}"),
       "w@test.example +1 555", "primary email and phone columns")
    # Entra with aadOptscim062020: path-less, dotted and URN keys
    r = _scim_patch(path, [{"op": "replace", "value": {
        "displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
        _scim_URN_ENT + ":employeeNumber": "Aklq"}}])
    eq(r.status, 200, f"path-less dotted keys ({r!r})")
    x = r.json()
    eq((x["displayName"], x["name"]["givenName"], x["name"]["familyName"],
        x[_scim_URN_ENT]["employeeNumber"]), ("Bjfe", "Kkom", "Unua", "Aklq"),
       "dotted and URN keys applied")
    # manager as a bare string, then removed by a value filter
    mgr = _scim_new_user()
    r = _scim_patch(path, [{"op": "add", "path": _scim_URN_ENT + ":manager",
                            "value": mgr["id"]}])
    eq(r.status, 200, f"manager bare string ({r!r})")
    eq(r.json()[_scim_URN_ENT]["manager"], {"value": mgr["id"]}, "manager wrapped")
    r = _scim_patch(path, [{"op": "remove", "path": f'manager[value eq "{mgr["id"]}"]'}])
    eq(r.status, 200, f"remove manager[value eq] ({r!r})")
    check("manager" not in r.json()[_scim_URN_ENT], "manager removed")
    # add: a new email appended; remove with a value array
    r = _scim_patch(path, [{"op": "Add", "path": "emails",
                            "value": [{"value": "h@test.example", "type": "home"}]}])
    eq(sorted(e["value"] for e in r.json()["emails"]),
       ["h@test.example", "w@test.example"], "email added (the work email was replaced)")
    r = _scim_patch(path, [{"op": "remove", "path": "emails",
                            "value": [{"value": "h@test.example"}]}])
    check("h@test.example" not in [e["value"] for e in r.json()["emails"]],
          "remove with a value array removes that element only")
    # replace with "" or null clears an optional attribute (gallery test)
    r = _scim_patch(path, [{"op": "replace", "path": "nickName", "value": "n"},
                           {"op": "replace", "path": "title", "value": ""}])
    eq(r.status, 200, f"replace {r!r}")
    r = _scim_patch(path, [{"op": "replace", "path": "nickName", "value": None}])
    check("nickName" not in r.json() and "title" not in r.json(), "cleared")
    # password via PATCH: hashed, never returned
    before = sql_one(f"SELECT password FROM users WHERE id = {lit(u['id'])}")
    r = _scim_patch(path, [{"op": "replace", "path": "password", "value": "n3w-p4ss"}])
    eq(r.status, 200, f"password PATCH ({r!r})")
    check("password" not in r.json(), "password not returned")
    after = sql_one(f"SELECT password FROM users WHERE id = {lit(u['id'])}")
    check(after != before and after.startswith("$argon2id$"), "password re-hashed")
    # an empty Operations array (Microsoft's validator) changes nothing
    eg = _scim_new_group()
    with _scim_unchanged():
        eq(_scim_patch(path, []).status, 200, "empty Operations")
        eq(_scim_patch("/Groups/" + eg["id"], []).status, 204, "empty Operations on a group")
    # If-Match: a stale version is 412 and writes nothing
    cur = _scim("GET", path)
    with _scim_unchanged():
        _scim_err(_scim_patch(path, [{"op": "replace", "path": "title", "value": "x"}],
                              headers={"If-Match": 'W/"1"'}), 412, what="stale If-Match")
        _scim_err(_scim("PUT", path, cur.json(), headers={"If-Match": 'W/"1"'}), 412,
                  what="stale If-Match on PUT")
        _scim_err(_scim("DELETE", path, headers={"If-Match": 'W/"1"'}), 412,
                  what="stale If-Match on DELETE")
        # a version no bigint holds is no version of ours: 412, not 500
        for big in ('W/"99999999999999999999"', 'W/"9223372036854775808"',
                    '"1000000000000000000"'):
            _scim_err(_scim("DELETE", path, headers={"If-Match": big}), 412,
                      what=f"If-Match {big} on DELETE")
            _scim_err(_scim_patch(path, [{"op": "replace", "path": "title", "value": "x"}],
                                  headers={"If-Match": big}), 412,
                      what=f"If-Match {big} on PATCH")
            _scim_err(_scim("PUT", path, cur.json(), headers={"If-Match": big}), 412,
                      what=f"If-Match {big} on PUT")
    r = _scim_patch(path, [{"op": "replace", "path": "title", "value": "x"}],
                    headers={"If-Match": cur.header("ETag")})
    eq(r.status, 200, f"current If-Match ({r!r})")
    # bad PATCHes: 400 in SCIM's shape, nothing written
    with _scim_unchanged():
        for ops, st in ((None, "invalidSyntax"), ([{"op": "frob", "path": "title"}],
                                                   "invalidSyntax"),
                        ([{"op": "remove"}], "noTarget"),
                        ([{"op": "replace", "path": "title["}], "invalidPath"),
                        ([{"op": "replace", "path": "active", "value": "maybe"}], "invalidValue"),
                        ([{"op": "replace", "path": "groups", "value": []}], "mutability"),
                        ([{"op": "replace", "path": "userName", "value": ""}], "invalidValue"),
                        ([{"op": "replace", "path": "displayName"}], "invalidValue"),
                        ([{"op": "add", "path": "emails"}], "invalidValue"),
                        ([{"op": "replace", "path": 'emails[nosuch eq "x"].value',
                           "value": "y"}], "invalidPath"),
                        ([{"op": "replace", "path": "title", "value": "ok"},
                          {"op": "replace", "path": "active", "value": 7}], "invalidValue")):
            body = {"schemas": [_scim_URN_PATCH]}
            if ops is not None:
                body["Operations"] = ops
            _scim_err(_scim("PATCH", path, body), 400, st, f"PATCH {ops!r}")


@test
def scim_groups_and_members():
    users = [_scim_new_user() for _ in range(4)]
    ids = [u["id"] for u in users]
    g = _scim_new_group(members=ids[:2])
    eq(sorted(m["value"] for m in g["members"]), sorted(ids[:2]), "created with members")
    eq(g[_scim_URN_RG], {"kind": "security", "code": g["id"]}, "default kind and code")
    eq(_scim_members(TENANT_A, g["id"]), set(ids[:2]), "group_members rows")
    path = "/Groups/" + g["id"]
    # displayName unique per tenant, without regard to case
    with _scim_unchanged():
        _scim_err(_scim("POST", "/Groups", {"displayName": g["displayName"].upper()}), 409,
                  "uniqueness", "duplicate displayName")
        _scim_err(_scim("POST", "/Groups", {"displayName": "x", "members": [
            {"value": str(uuid.uuid4())}]}), 400, "invalidValue", "unknown member")
        # an externalId that is no string is refused, as for Users (it
        # would be kept and never read back)
        _scim_err(_scim_patch(path, [{"op": "replace", "path": "externalId", "value": 12}]),
                  400, "invalidValue", "a number as externalId")
        _scim_err(_scim("POST", "/Groups", {"displayName": unique("xg"), "externalId": {}}),
                  400, "invalidValue", "an object as externalId")
    # Entra: GET with excludedAttributes=members, filter by displayName
    b = _scim_list("/Groups?excludedAttributes=members&filter=" +
                   _scim_q(f'displayName eq "{g["displayName"].lower()}"'))
    eq([x["id"] for x in b["Resources"]], [g["id"]], "displayName eq (case-insensitive)")
    check("members" not in b["Resources"][0], "excludedAttributes=members in a list")
    x = _scim("GET", path + "?excludedAttributes=members").json()
    check("members" not in x and x["displayName"] == g["displayName"], "GET without members")
    # a sub-attribute excluded leaves the rest of the attribute
    for q in ("?excludedAttributes=members.display", "?attributes=members.value"):
        x = _scim("GET", path + q).json()
        eq(sorted(m["value"] for m in x.get("members", [])), sorted(ids[:2]), f"members of {q}")
        check(all("display" not in m for m in x["members"]), f"no display with {q}: {x}")
    # Entra, default shape: remove with a value array; add several; 204
    r = _scim_patch(path, [{"op": "Remove", "path": "members",
                            "value": [{"$ref": None, "value": ids[0]}]}])
    eq((r.status, r.body), (204, b""), f"Entra remove ({r!r})")
    eq(_scim_members(TENANT_A, g["id"]), {ids[1]}, "only that member removed")
    r = _scim_patch(path, [{"op": "Add", "path": "members",
                            "value": [{"$ref": None, "value": i} for i in ids[1:]]}])
    eq(r.status, 204, f"add, one already a member ({r!r})")
    eq(_scim_members(TENANT_A, g["id"]), set(ids[1:]), "idempotent add")
    # Okta: remove by filter and add in one PATCH; a non-member removed is fine
    r = _scim_patch(path, [
        {"op": "remove", "path": f'members[value eq "{ids[1]}"]'},
        {"op": "remove", "path": f'members[value eq "{uuid.uuid4()}"]'},
        {"op": "add", "path": "members", "value": [{"value": ids[0], "display": "x"}]}])
    eq(r.status, 204, f"Okta mixed ops ({r!r})")
    eq(_scim_members(TENANT_A, g["id"]), {ids[0], ids[2], ids[3]}, "after Okta's PATCH")
    # Okta's rename: a path-less replace with the id inside
    r = _scim_patch(path, [{"op": "replace", "value": {"id": g["id"],
                                                       "displayName": g["displayName"] + "!"}}])
    eq(r.status, 204, f"rename ({r!r})")
    eq(_scim("GET", path).json()["displayName"], g["displayName"] + "!", "renamed")
    # filters on membership, both ways (rows of group_members, by index)
    b = _scim_list("/Groups?excludedAttributes=members&filter=" +
                   _scim_q(f'members[value eq "{ids[0]}"] and members.type eq "User"'))
    eq([x["id"] for x in b["Resources"]], [g["id"]], "members[value eq]")
    b = _scim_list("/Users?filter=" + _scim_q(f'groups.value eq "{g["id"]}"'))
    eq(sorted(x["id"] for x in b["Resources"]), sorted([ids[0], ids[2], ids[3]]),
       "groups.value eq")
    for f in ('id eq "not-a-uuid"', 'members.value eq "x"'):
        eq(_scim_list("/Groups?filter=" + _scim_q(f))["totalResults"], 0,
           f"{f}: matches nothing, no error")
    # a user's groups attribute
    ug = _scim("GET", "/Users/" + ids[0]).json()["groups"]
    eq([(x["value"], x["display"]) for x in ug], [(g["id"], g["displayName"] + "!")],
       "the user's groups")
    # replace all members; remove all
    r = _scim_patch(path, [{"op": "replace", "path": "members", "value": [{"value": ids[1]}]}])
    eq(r.status, 204, f"replace members ({r!r})")
    eq(_scim_members(TENANT_A, g["id"]), {ids[1]}, "members replaced")
    # a member that is no user: 400, nothing written
    with _scim_unchanged():
        _scim_err(_scim_patch(path, [{"op": "add", "path": "members",
                                      "value": [{"value": str(uuid.uuid4())}]}]),
                  400, "invalidValue", "unknown member")
        _scim_err(_scim_patch(path, [{"op": "add", "path": "members",
                                      "value": [{"value": "not-an-id"}]}]),
                  400, "invalidValue", "member id no uuid")
    # PUT replaces the members too; kind and code through the extension
    r = _scim("PUT", path, {"schemas": [_scim_URN_GROUP, _scim_URN_RG],
                            "displayName": g["displayName"], "members": [{"value": ids[2]},
                                                                         {"value": ids[3]}],
                            _scim_URN_RG: {"kind": "admin", "code": unique("code")}})
    eq(r.status, 200, f"PUT ({r!r})")
    eq(sorted(m["value"] for m in r.json()["members"]), sorted(ids[2:]), "PUT members")
    eq(r.json()[_scim_URN_RG]["kind"], "admin", "kind through the extension")
    # a member without a value in a PUT: 400, the members stay
    with _scim_unchanged():
        for bad in ([{}], [{"value": None}], "x", [{"display": "y"}]):
            _scim_err(_scim("PUT", path, {"displayName": g["displayName"], "members": bad}),
                      400, "invalidValue", f"PUT members {bad!r}")
    # kind and code are required: replaced, never removed
    with _scim_unchanged():
        for a in ("kind", "code"):
            _scim_err(_scim_patch(path, [{"op": "remove", "path": f"{_scim_URN_RG}:{a}"}]),
                      400, "invalidValue", f"remove {a}")
            _scim_err(_scim_patch(path, [{"op": "replace", "path": f"{_scim_URN_RG}:{a}",
                                          "value": ""}]), 400, "invalidValue", f"{a} \"\"")
    r = _scim_patch(path, [{"op": "remove", "path": "members"}])
    eq(r.status, 204, "remove all members")
    eq(_scim_members(TENANT_A, g["id"]), set(), "no members")
    eq(_scim("DELETE", path).status, 204, "delete group")
    _scim_err(_scim("GET", path), 404, what="deleted group")
    eq(int(sql_one(f"SELECT count(*) FROM audit_log WHERE target_id = {lit(g['id'])}")), 9,
       "one audit row per change (create, 6 PATCHes, PUT, delete)")


@test
def scim_group_patch_10000_members_is_a_set_operation():
    tag = unique("bulk")
    psql(f"INSERT INTO users (tenant_id, id, username) SELECT {lit(TENANT_A)}, "
         f"gen_random_uuid(), {lit(tag)} || '-' || i FROM generate_series(1, 10000) i")
    ids = psql(f"SELECT id FROM users WHERE tenant_id = {lit(TENANT_A)} "
               f"AND username LIKE {lit(tag + '-%')}")
    eq(len(ids), 10000, "users made")
    g = _scim_new_group()
    path = "/Groups/" + g["id"]
    ops = [{"op": "add", "path": "members", "value": [{"value": i} for i in ids]}]
    r = _scim_patch(path, ops)
    eq(r.status, 204, f"add 10,000 ({r.status})")
    eq(len(_scim_members(TENANT_A, g["id"])), 10000, "10,000 members")
    eq(_scim_patch(path, ops).status, 204, "the same add again: success, not 409")
    r = _scim("GET", path + "?excludedAttributes=members")
    check("members" not in r.json(), "no members read")
    r = _scim_patch(path, [{"op": "remove", "path": "members",
                            "value": [{"value": i} for i in ids]}])
    eq(r.status, 204, f"remove 10,000 ({r.status})")
    eq(len(_scim_members(TENANT_A, g["id"])), 0, "none left")
    psql(f"DELETE FROM users WHERE tenant_id = {lit(TENANT_A)} AND username LIKE "
         f"{lit(tag + '-%')}")


@test
def scim_concurrent_member_patches_all_apply():
    users = [_scim_new_user()["id"] for _ in range(12)]
    g = _scim_new_group()
    path = "/Groups/" + g["id"]
    got = [None] * 13

    def one(i):
        try:
            if i == 12:
                got[i] = _scim_patch(path, [{"op": "replace", "path": "displayName",
                                             "value": g["displayName"] + " renamed"}]).status
            else:
                got[i] = _scim_patch(path, [{"op": "add", "path": "members",
                                             "value": [{"value": users[i]}]}]).status
        except Exception as e:  # noqa: BLE001 - reported below
            got[i] = repr(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(13)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(got, [204] * 13, "every concurrent PATCH succeeds")
    eq(_scim_members(TENANT_A, g["id"]), set(users), "every member added")
    eq(_scim("GET", path).json()["displayName"], g["displayName"] + " renamed",
       "the rename is not lost")


@test
def scim_group_attribute_patches_beside_member_changes():
    """A PATCH of a group's own attributes is computed from the group it
    read: it is written only if those attributes are still as read, and a
    change of the members alone (which moves the version) is no conflict.
    A rename waits on the group's row while a member change holds it; each
    time it waits, that change commits and another takes the row at once
    (as a client adding members in a loop would): the rename applies after
    the first.  Two clients that each PATCH another attribute of the same
    group lose nothing of each other's."""
    users = [_scim_new_user()["id"] for _ in range(8)]
    g = _scim_new_group()
    path = "/Groups/" + g["id"]
    where = f"tenant_id = {lit(TENANT_A)} AND id = {lit(g['id'])}"

    def member_change(i):
        # what a members-only PATCH writes to the group's row, and a member
        return (f"BEGIN; UPDATE groups SET version = version + 1, updated_at = now() "
                f"WHERE {where}; INSERT INTO group_members (tenant_id, group_id, user_id, "
                f"added_by) VALUES ({lit(TENANT_A)}, {lit(g['id'])}, {lit(users[i])}, "
                f"'it') ON CONFLICT DO NOTHING;")
    s = pg_session("rt-member-change")
    got = []
    t = threading.Thread(target=lambda: got.append(_scim_patch(
        path, [{"op": "replace", "path": "displayName",
                "value": g["displayName"] + " renamed"}])))
    try:
        s.query(member_change(0))
        t.start()
        changes = 1
        while True:
            wait_until(lambda: not t.is_alive() or int(look(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'rosterd' AND wait_event_type = 'Lock'")[0]) > 0,
                "the rename waits on the group's row, or is answered", timeout=120)
            if not t.is_alive() or changes == len(users):
                break
            s.query("COMMIT; " + member_change(changes))
            changes += 1
        s.query("COMMIT")
    finally:
        s.close()
        t.join(120)
    check(not t.is_alive() and len(got) == 1, "the rename was answered")
    eq(got[0].status, 204, f"the rename beside {changes} member changes ({got[0]!r})")
    b = _scim("GET", path).json()
    eq(b["displayName"], g["displayName"] + " renamed", "the rename stands")
    eq({m["value"] for m in b.get("members", [])}, set(users[:changes]),
       "every member change stands")
    errors = []

    # two writers of the group's own attributes, each of its own one
    last = {}

    def writer(attr, tag):
        for i in range(10):
            r = _scim_patch(path, [{"op": "replace", "path": attr,
                                    "value": f"{tag}{i}"}])
            if r.status == 204:
                last[attr] = f"{tag}{i}"
            elif r.status != 503 or r.header("Retry-After") is None:
                errors.append(f"{attr} {i}: {r!r}")
    threads = [threading.Thread(target=writer, args=a)
               for a in (("displayName", "Name "), ("externalId", "ext-"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(errors, [], "each write applied or asked for a retry")
    b = _scim("GET", path).json()
    eq((b["displayName"], b.get("externalId")),
       (last.get("displayName"), last.get("externalId")),
       "neither writer's last value was overwritten by the other's")


@test
def scim_tenant_isolation():
    ua = _scim_new_user()
    ga = _scim_new_group(members=[ua["id"]])
    ub = _scim_new_user(tenant=TENANT_B)
    gb = _scim_new_group(tenant=TENANT_B)
    B = TENANT_B
    with _scim_unchanged():
        _scim_err(_scim("GET", "/Users/" + ua["id"], tenant=B), 404, what="A's user from B")
        _scim_err(_scim("GET", "/Groups/" + ga["id"], tenant=B), 404, what="A's group from B")
        _scim_err(_scim_patch("/Users/" + ua["id"], [{"op": "replace", "path": "title",
                                                      "value": "x"}], tenant=B), 404,
                  what="PATCH A's user from B")
        _scim_err(_scim("DELETE", "/Users/" + ua["id"], tenant=B), 404,
                  what="DELETE A's user from B")
        _scim_err(_scim("PUT", "/Groups/" + ga["id"], {"displayName": "x"}, tenant=B), 404,
                  what="PUT A's group from B")
        # A's user as a member of B's group: not a user of B
        _scim_err(_scim_patch("/Groups/" + gb["id"], [{"op": "add", "path": "members",
                                                       "value": [{"value": ua["id"]}]}],
                              tenant=B), 400, "invalidValue", "A's user into B's group")
        b = _scim_list("/Users?filter=" + _scim_q(f'userName eq "{ua["userName"]}"'), tenant=B)
        eq(b["totalResults"], 0, "B's filter does not see A's user")
        b = _scim_list("/Groups?filter=" + _scim_q(f'members[value eq "{ua["id"]}"]'),
                       tenant=B)
        eq(b["totalResults"], 0, "B's members filter does not see A's membership")
        b = _scim_list("/Users?filter=" + _scim_q(f'id eq "{ub["id"]}"'))
        eq(b["totalResults"], 0, "A's filter does not see B's user")
        # another tenant's TenantAdmin on the tenant path: 403 in SCIM's shape
        tok_b = py_token(roles=["TenantAdmin"], tid=B)
        r = request("GET", f"/scim/v2/tenants/{TENANT_A}/Users", token=tok_b)
        _scim_err(r, 403, what="B's TenantAdmin on A's path")
    # SystemAdmin on the tenant path
    r = request("GET", f"/scim/v2/tenants/{TENANT_A}/Users/{ua['id']}")
    eq(r.status, 200, f"SystemAdmin by path ({r!r})")
    check(f"/scim/v2/tenants/{TENANT_A}/Users/{ua['id']}" in r.json()["meta"]["location"],
          "meta.location under the tenant path")
    eq(_scim_members(TENANT_A, ga["id"]), {ua["id"]}, "A's group untouched")
    # a tenant that does not exist: 404, not an empty list
    for what in ("Users", "Groups"):
        for t in (str(uuid.uuid4()), "not-a-tenant"):
            _scim_err(request("GET", f"/scim/v2/tenants/{t}/{what}"), 404,
                      what=f"{what} of tenant {t}")
            _scim_err(request("GET", f"/scim/v2/tenants/{t}/{what}/{uuid.uuid4()}"), 404,
                      what=f"one of {what} of tenant {t}")
            _scim_err(request("POST", f"/scim/v2/tenants/{t}/{what}",
                              {"userName": unique("nt"), "displayName": unique("nt")}), 404,
                      what=f"POST {what} to tenant {t}")


@test
def scim_errors_in_scim_shape():
    r = request("GET", "/scim/v2/Users", token=None)
    _scim_err(r, 401, what="no token")
    check((r.header("WWW-Authenticate") or "").startswith("Bearer"), "WWW-Authenticate")
    _scim_err(request("GET", "/scim/v2/Users", token="garbage"), 401, what="garbage token")
    reader = py_token(roles=["TenantReader"], tid=TENANT_A)
    _scim_err(request("POST", "/scim/v2/Users", _scim_user_body(), token=reader), 403,
              what="TenantReader writes")
    _scim_err(_scim("GET", "/Nope"), 404, what="unknown path")
    _scim_err(_scim("GET", "/Users/" + str(uuid.uuid4())), 404, what="unknown id")
    _scim_err(_scim("POST", "/ServiceProviderConfig", {}), 405, what="wrong method")
    _scim_err(_scim("POST", "/Users", "x" * (1024 * 1024 + 10), raw=True), 413,
              what="too large")
    # over nginx's cap for /scim/ (2 MiB, max_bulk_body_bytes): nginx's 413,
    # in SCIM's shape
    _scim_err(_scim("PUT", f"/Groups/{uuid.uuid4()}", b"{" + b" " * (2 * 1024 * 1024) + b"}",
                    raw=True), 413, what="over nginx's cap")
    _scim_err(_scim("POST", "/Users", "{", raw=True), 400, "invalidSyntax", "bad JSON")
    _scim_err(_scim("POST", "/Users", "[]", raw=True), 400, "invalidSyntax", "an array")
    _scim_err(_scim("POST", "/Users", "<a/>", ctype="application/xml", raw=True), 415,
              what="XML")
    # garbage never makes a 500
    junk = [{"userName": 5}, {"userName": "a", "name": "x"}, {"userName": "a", "emails": 3},
            {"userName": "a", "active": "perhaps"}, {"userName": "a", "emails": [{"value": {}}]},
            {"userName": "a" * 300}, {"userName": "a", _scim_URN_ENT: "x"},
            {"userName": "\u0000"}, {"userName": "a", "name": {"givenName": ["x"]}},
            {"displayName": None}, {"members": "x"}]
    for j in junk:
        for p in ("/Users", "/Groups"):
            r = _scim("POST", p, j)
            check(400 <= r.status < 500, f"POST {p} {j!r}: {r!r}")
            _scim_err(r, r.status, what=f"POST {p} {j!r}")
    for s in ["members[", "members[value eq", '"', "a.b.c.d", "urn:x:", "emails[type eq "
              '"work"].value.x', "members[value eq \"x\"] and", "\u00e9"]:
        g = _scim_new_group()
        r = _scim_patch("/Groups/" + g["id"], [{"op": "remove", "path": s}])
        check(r.status in (204, 400), f"PATCH path {s!r}: {r!r}")


@test
def scim_idempotency_key_replays_create():
    body = _scim_user_body()
    key = unique("idem")
    r1 = _scim("POST", "/Users", body, headers={"Idempotency-Key": key})
    eq(r1.status, 201, f"first ({r1!r})")
    r2 = _scim("POST", "/Users", body, headers={"Idempotency-Key": key})
    eq((r2.status, r2.body), (201, r1.body), "replayed")
    eq(r2.header("Location"), r1.header("Location"), "Location replayed")
    eq(int(sql_one(f"SELECT count(*) FROM users WHERE lower(username) = "
                   f"lower({lit(body['userName'])})")), 1, "one user")


# The refusal table's rows for the SCIM routes, and SCIM's shapes for it.
def _scim_rows(prefix):
    def p(t):
        return prefix.replace("{tenantId}", t)

    def u(t):
        return _scim_new_user(tenant=t, password=None)["id"]

    def g(t):
        return _scim_new_group(tenant=t)["id"]
    rows = {
        ("GET", "/ServiceProviderConfig"): lambda t: ("GET", p(t) + "/ServiceProviderConfig",
                                                      None, 200),
        ("GET", "/ResourceTypes"): lambda t: ("GET", p(t) + "/ResourceTypes", None, 200),
        ("GET", "/ResourceTypes/{id}"): lambda t: ("GET", p(t) + "/ResourceTypes/User", None,
                                                   200),
        ("GET", "/Schemas"): lambda t: ("GET", p(t) + "/Schemas", None, 200),
        ("GET", "/Schemas/{id}"): lambda t: ("GET", p(t) + "/Schemas/" + _scim_URN_USER, None,
                                             200),
        ("GET", "/Me"): lambda t: ("GET", p(t) + "/Me", None, 501),
        ("POST", "/Users"): lambda t: ("POST", p(t) + "/Users", _scim_user_body(), 201),
        ("GET", "/Users"): lambda t: ("GET", p(t) + "/Users?count=1", None, 200),
        ("GET", "/Users/{id}"): lambda t: ("GET", p(t) + "/Users/" + u(t), None, 200),
        ("PUT", "/Users/{id}"): lambda t: ("PUT", p(t) + "/Users/" + u(t),
                                           _scim_user_body(), 200),
        ("PATCH", "/Users/{id}"): lambda t: ("PATCH", p(t) + "/Users/" + u(t), {
            "Operations": [{"op": "replace", "path": "title", "value": "t"}]}, 200),
        ("DELETE", "/Users/{id}"): lambda t: ("DELETE", p(t) + "/Users/" + u(t), None, 204),
        ("POST", "/Groups"): lambda t: ("POST", p(t) + "/Groups",
                                        {"displayName": unique("G ")}, 201),
        ("GET", "/Groups"): lambda t: ("GET", p(t) + "/Groups?count=1", None, 200),
        ("GET", "/Groups/{id}"): lambda t: ("GET", p(t) + "/Groups/" + g(t), None, 200),
        ("PUT", "/Groups/{id}"): lambda t: ("PUT", p(t) + "/Groups/" + g(t),
                                            {"displayName": unique("G ")}, 200),
        ("PATCH", "/Groups/{id}"): lambda t: ("PATCH", p(t) + "/Groups/" + g(t), {
            "Operations": [{"op": "replace", "path": "displayName", "value": unique("G ")}]},
            204),
        ("DELETE", "/Groups/{id}"): lambda t: ("DELETE", p(t) + "/Groups/" + g(t), None, 204),
        # each call a search of its own (a filter for a name nobody has)
        ("POST", "/.search"): lambda t: ("POST", p(t) + "/.search",
                                         {"filter": f'userName eq "{unique("nobody")}"'},
                                         200),
        ("POST", "/Users/.search"): lambda t: ("POST", p(t) + "/Users/.search",
                                               {"count": 1, "filter":
                                                f'userName ne "{unique("nobody")}"'}, 200),
        ("POST", "/Groups/.search"): lambda t: ("POST", p(t) + "/Groups/.search",
                                                {"count": 1, "filter":
                                                 f'displayName ne "{unique("nobody")}"'},
                                                200),
        ("POST", "/Bulk"): lambda t: ("POST", p(t) + "/Bulk", {"Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "u",
             "data": {"userName": unique("bk")}}]}, 200),
    }
    for (m, suffix), fn in rows.items():
        ROUTE_CALLS[(m, prefix + suffix)] = fn


_scim_rows("/scim/v2")
_scim_rows("/scim/v2/tenants/{tenantId}")

_scim_refusal_shape = refusal_shape
_scim_rightful_body = rightful_body


def refusal_shape(dialect, pattern, r, status, what):  # noqa: F811 - extends test_api.py's
    if dialect != "scim":
        return _scim_refusal_shape(dialect, pattern, r, status, what)
    _scim_err(r, status, what=what)


def rightful_body(dialect, method, pattern, r, what):  # noqa: F811 - extends test_api.py's
    if dialect != "scim":
        return _scim_rightful_body(dialect, method, pattern, r, what)
    if r.status == 204:
        eq(r.body, b"", f"{what}: 204 body")
        return
    ctype = (r.header("Content-Type") or "").lower()
    check(ctype.startswith("application/scim+json"), f"{what}: Content-Type {ctype}")
    b = r.json()
    if r.status == 501:
        eq(b.get("schemas"), [_scim_URN_ERR], f"{what}: 501 is an Error")
    elif pattern.endswith("/Bulk"):
        eq(b.get("schemas"), ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
           f"{what}: a BulkResponse")
    elif (pattern.endswith(("/Users", "/Groups", "/Schemas", "/ResourceTypes"))
          and method == "GET") or pattern.endswith(".search"):
        eq(b.get("schemas"), [_scim_URN_LIST], f"{what}: a ListResponse")
    else:
        check("schemas" in b and b.get("schemas") != [_scim_URN_ERR], f"{what}: {b!r}")
