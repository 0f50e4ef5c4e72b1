# t_tenancy.py: writes across tenants. For every write route of the router
# (`rosterctl routes`), tenant B's TenantAdmin and a SystemAdmin whose tid is
# B try to change tenant A's users, groups, memberships, roles, role
# assignments, invites and the tenant itself: with A's ids through B's path
# (or B's X-Tenant-Id), and through A's path with B's token. Each attempt
# must get the documented refusal in the route's own dialect, and change no
# row of any table (counts and the sum of xmin, so that an UPDATE shows as
# well as an INSERT or a DELETE). A write route without a row in
# _ten_CASES fails the test, as the refusal table does.
#
# Exec'd by test_api.py into its globals: request(), v1(), ctl_token(),
# psql(), problem(), @test ... are test_api.py's; every top-level name
# of this file starts with _ten_.

_ten_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_ten_SGU = "/Application/PostSecurityGroupUsers"
_ten_ACCOUNTS = "/api/users"
_ten_SS = "/usergroupuserinvite"


_ten_sql_cache = {}


def _ten_snapshot_sql(tenant):
    if tenant not in _ten_sql_cache:
        cols = {}
        for line in psql("SELECT table_name, column_name FROM information_schema.columns "
                         "WHERE table_schema = 'public'"):
            t, c = line.split("|")
            cols.setdefault(t, set()).add(c)
        tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                      "ORDER BY tablename")
        parts = []
        for t in tables:
            where = ""
            # auth_generation counts every tenant's token and alias
            # writes: it holds no tenant's rows (the whole snapshot has it)
            if t == "auth_generation":
                continue
            if t == "tenants":
                where = f" WHERE id = {lit(tenant)}"
            elif "tenant_id" in cols.get(t, ()):
                where = f" WHERE tenant_id = {lit(tenant)}"
            parts.append(f"SELECT {lit(t)}, count(*), coalesce(sum(x.xmin::text::bigint), 0) "
                         f"FROM {t} x{where}")
        _ten_sql_cache[tenant] = " UNION ALL ".join(parts)
    return _ten_sql_cache[tenant]


def _ten_snapshot(tenant=None):
    """{table: (rows, sum of xmin)} of every table (versions()); with
    tenant, of that tenant's rows only (the tenant's own row for
    `tenants`)."""
    if tenant is None:
        return versions()
    return {row.split("|")[0]: tuple(row.split("|")[1:])
            for row in look(_ten_snapshot_sql(tenant), cached=True)}


def _ten_diff(before, after):
    return {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
            if before.get(t) != after.get(t)}


class _ten_world:
    """Two fresh tenants, A (the victim, with one of everything) and B (the
    caller's), and the tokens that act in B."""

    def __init__(self):
        self.a = v1_tenant()
        self.b = v1_tenant()
        A, B = self.a["id"], self.b["id"]
        self.A, self.B = A, B
        self.ua = v1_user(A, firstName="Victim", title="untouched")
        self.ua2 = v1_user(A)
        self.ub = v1_user(B)
        self.ga = v1_group(A, kind="security")
        self.gpa = v1_group(A, kind="privilege")
        self.gaa = v1_group(A, kind="admin")
        self.gua = v1_group(A, kind="user")
        self.gb = v1_group(B, kind="security")
        self.gpb = v1_group(B, kind="privilege")
        self.gab = v1_group(B, kind="admin")
        self.ra = v1_role(A)
        self.rb = v1_role(B)
        self.roles_a = role_ids(A)
        self.roles_b = role_ids(B)
        self.ia = v1_invite(A, groupId=self.gua["id"])
        ALL_TOKENS.append(self.ia["token"])
        for g in (self.ga, self.gaa, self.gua):
            eq(v1("POST", f"/tenants/{A}/groups/{g['id']}/members",
                  {"userIds": [self.ua["id"]]}).status, 200, "A's membership")
        eq(v1("PUT", f"/tenants/{A}/users/{self.ua['id']}/roles/{self.ra['id']}").status, 201,
           "A's role assignment")
        self.tadm_b = ctl_token("it-ten-admin-b", ["TenantAdmin"], B)
        self.sys_b = ctl_token("it-ten-sys-b", ["SystemAdmin"], B)


# Expectations of an attempt: a function (response) -> None that raises Fail.
def _ten_v1(status):
    return lambda r: problem(r, status)


def _ten_aspnet(status):
    """An ASP.NET HttpError: {"Message"} (seed 003 writes it camelCase)."""
    def chk(r):
        eq(r.status, status, f"status ({r!r})")
        b = r.json()
        check(isinstance(b.get("Message", b.get("message")), str), f"no Message: {b}")
    return chk


def _ten_kibo(status, code):
    def chk(r):
        eq(r.status, status, f"status ({r!r})")
        eq(r.json().get("errorCode"), code, f"Kibo errorCode ({r!r})")
    return chk


def _ten_ss(status):
    def chk(r):
        eq(r.status, status, f"status ({r!r})")
        check(isinstance(r.json().get("responseStatus"), dict),
              f"not a ServiceStack error body ({r!r})")
    return chk


def _ten_scim(*statuses):
    """An RFC 7644 error body with one of statuses (SCIM's routes)."""
    def chk(r):
        check(r.status in statuses, f"status ({r!r}), expected one of {statuses}")
        b = r.json()
        eq(b.get("schemas"), ["urn:ietf:params:scim:api:messages:2.0:Error"],
           f"not a SCIM error body ({r!r})")
        eq(b.get("status"), str(r.status), "the error's status member")
    return chk


def _ten_status(status):
    """The status alone: the predefined routes answer XML, JSV or CSV."""
    return lambda r: eq(r.status, status, f"status ({r!r})")


def _ten_envelope_refused(r):
    """Seed 000 answers its failures as a 200 envelope with IsSuccess false
    (or a 4xx HttpError for a bad request)."""
    if r.status == 200:
        b = r.json()
        eq(b.get("IsSuccess"), False, f"IsSuccess ({r!r})")
        eq(b.get("Response"), None, "Response of a refused request")
    else:
        check(400 <= r.status < 500, f"status ({r!r})")
        r.json()


def _ten_sgu_body(w, user_id, group_id, role_id, company_role_id):
    with open(os.path.join(FIXTURES, "seed000_request.json")) as f:
        s = json.load(f)
    s.update({"ID": user_id, "UserName": unique("tsgu"), "SecurityGroupID": group_id,
              "Password": base64.b64encode(b"sample password").decode(),
              "RoleID": role_id, "CompanyRoleID": company_role_id})
    s["Contact"] = None
    s["ContactID"] = None
    return s


def _ten_account_body(user_id, group_id):
    with open(os.path.join(FIXTURES, "seed003_request.json")) as f:
        s = json.load(f)
    s.update({"id": user_id, "email": unique("tacct") + "@example.com",
              "confirmPassword": s["password"], "privilegeGroup": group_id})
    return s


def _ten_seed004_body(user_id, role):
    b = new_user(Id=user_id)
    if role is not None:
        b["Roles"] = [role]
    return b


# A row: (method, pattern) -> function(world) returning a list of attempts
# (label, token, method, path, body, headers, check, scope). scope "all":
# no row of any table may change; scope "A": no row of tenant A may change
# (the call is a legitimate write in B that names A's ids), and the check
# looks at what B got. A row that is a string says why the route has no
# cross-tenant case (it names no tenant nor any other id).
def _ten_cases_table():
    V = "/v1/tenants"

    def patch_tenant(w):
        return [
            ("B's TenantAdmin, A's path", w.tadm_b, "PATCH", f"{V}/{w.A}",
             {"name": "pwned"}, {}, _ten_v1(403), "all"),
            ("B's TenantAdmin, A's path, X-Tenant-Id A", w.tadm_b, "PATCH", f"{V}/{w.A}",
             {"name": "pwned"}, {"X-Tenant-Id": w.A}, _ten_v1(403), "all"),
            ("B's SystemAdmin, A's path, X-Tenant-Id B", w.sys_b, "PATCH", f"{V}/{w.A}",
             {"name": "pwned"}, {"X-Tenant-Id": w.B}, _ten_v1(400), "all"),
        ]

    def delete_tenant(w):
        return [
            ("B's TenantAdmin, A's path", w.tadm_b, "DELETE",
             f"{V}/{w.A}?confirm={w.a['slug']}", None, {}, _ten_v1(403), "all"),
            ("B's TenantAdmin, B's path, A's slug", w.tadm_b, "DELETE",
             f"{V}/{w.B}?confirm={w.a['slug']}", None, {}, _ten_v1(403), "all"),
            ("B's SystemAdmin, B's path, A's slug", w.sys_b, "DELETE",
             f"{V}/{w.B}?confirm={w.a['slug']}", None, {}, _ten_v1(400), "all"),
            ("B's SystemAdmin, A's path, X-Tenant-Id B", w.sys_b, "DELETE",
             f"{V}/{w.A}?confirm={w.a['slug']}", None, {"X-Tenant-Id": w.B},
             _ten_v1(400), "all"),
        ]

    def both(w, method, a_path, b_path, body=None, b_status=404, b_check=None,
             b_scope="all"):
        """The attempt through B's path (both callers of B), and through
        A's path with B's TenantAdmin (also naming A in X-Tenant-Id)."""
        bc = b_check or _ten_v1(b_status)
        return [
            ("B's TenantAdmin, B's path", w.tadm_b, method, b_path, body, {}, bc, b_scope),
            ("B's SystemAdmin, B's path", w.sys_b, method, b_path, body, {}, bc, b_scope),
            ("B's SystemAdmin, B's path, X-Tenant-Id B", w.sys_b, method, b_path, body,
             {"X-Tenant-Id": w.B}, bc, b_scope),
            ("B's TenantAdmin, A's path", w.tadm_b, method, a_path, body, {},
             _ten_v1(403), "all"),
            ("B's TenantAdmin, A's path, X-Tenant-Id A", w.tadm_b, method, a_path, body,
             {"X-Tenant-Id": w.A}, _ten_v1(403), "all"),
        ]

    def res(kind, key, method, body=None):
        def rows(w):
            rid = getattr(w, key)["id"]
            return both(w, method, f"{V}/{w.A}/{kind}/{rid}", f"{V}/{w.B}/{kind}/{rid}", body)
        return rows

    def post_in(kind, body_of):
        def rows(w):
            return both(w, "POST", f"{V}/{w.A}/{kind}", f"{V}/{w.B}/{kind}", body_of(w),
                        b_check=lambda r: None, b_scope="A")
        return rows

    def members_add(w):
        ua = [w.ua["id"], w.ua2["id"]]
        out = both(w, "POST", f"{V}/{w.A}/groups/{w.ga['id']}/members",
                   f"{V}/{w.B}/groups/{w.ga['id']}/members", {"userIds": ua})
        # B's own group, A's users: each is not found, nothing is added.
        nf = lambda r: (eq(r.status, 200, f"status ({r!r})"),
                        eq(r.json(), {"added": [], "alreadyMember": [], "notFound": ua},
                           "per-id results"))
        out += [("B's TenantAdmin, B's group, A's users", w.tadm_b, "POST",
                 f"{V}/{w.B}/groups/{w.gb['id']}/members", {"userIds": ua}, {}, nf, "all"),
                ("B's SystemAdmin, B's group, A's users", w.sys_b, "POST",
                 f"{V}/{w.B}/groups/{w.gb['id']}/members", {"userIds": ua}, {}, nf, "all")]
        return out

    def members_remove(w):
        ua = [w.ua["id"]]
        out = both(w, "POST", f"{V}/{w.A}/groups/{w.ga['id']}/members:remove",
                   f"{V}/{w.B}/groups/{w.ga['id']}/members:remove", {"userIds": ua})
        nm = lambda r: (eq(r.status, 200, f"status ({r!r})"),
                        eq(r.json(), {"removed": [], "notMember": ua}, "per-id results"))
        out += [("B's TenantAdmin, B's group, A's member", w.tadm_b, "POST",
                 f"{V}/{w.B}/groups/{w.gb['id']}/members:remove", {"userIds": ua}, {}, nm,
                 "all")]
        return out

    def member_delete(w):
        u, g = w.ua["id"], w.ga["id"]
        out = both(w, "DELETE", f"{V}/{w.A}/groups/{g}/members/{u}",
                   f"{V}/{w.B}/groups/{g}/members/{u}")
        out += [("B's TenantAdmin, B's group, A's member", w.tadm_b, "DELETE",
                 f"{V}/{w.B}/groups/{w.gb['id']}/members/{u}", None, {}, _ten_v1(404), "all")]
        return out

    def assign(method):
        def rows(w):
            u, r = w.ua["id"], w.ra["id"]
            out = both(w, method, f"{V}/{w.A}/users/{u}/roles/{r}",
                       f"{V}/{w.B}/users/{u}/roles/{r}")
            for label, uid, rid in (("B's user, A's role", w.ub["id"], r),
                                    ("A's user, B's role", u, w.rb["id"])):
                for who, tok in (("TenantAdmin", w.tadm_b), ("SystemAdmin", w.sys_b)):
                    out.append((f"B's {who}, B's path, {label}", tok, method,
                                f"{V}/{w.B}/users/{uid}/roles/{rid}", None, {},
                                _ten_v1(404), "all"))
            return out
        return rows

    def invite_create(w):
        out = both(w, "POST", f"{V}/{w.A}/invites", f"{V}/{w.B}/invites",
                   {"email": unique("ti") + "@example.com", "groupId": w.gua["id"]},
                   b_check=lambda r: problem(r, 400, "groupId", "unknown"))
        return out

    # Vendor routes: the tenant is X-Tenant-Id, else the token's tid.
    def sgu(w):
        ra = w.roles_a
        rb = w.roles_b
        out = []
        for label, body in (
                ("A's user id, A's group and roles",
                 _ten_sgu_body(w, w.ua["id"], w.ga["id"], ra["Member"], ra["Administrator"])),
                ("B's new user, A's group",
                 _ten_sgu_body(w, str(uuid.uuid4()), w.ga["id"], rb["Member"],
                               rb["Administrator"])),
                ("B's new user, A's roles",
                 _ten_sgu_body(w, str(uuid.uuid4()), w.gb["id"], ra["Member"],
                               ra["Administrator"]))):
            out.append((f"B's TenantAdmin, {label}", w.tadm_b, "POST", _ten_SGU, body, {},
                        _ten_envelope_refused, "all"))
            out.append((f"B's SystemAdmin, X-Tenant-Id B, {label}", w.sys_b, "POST", _ten_SGU,
                        body, {"X-Tenant-Id": w.B}, _ten_envelope_refused, "all"))
        # A's user id with B's own group and roles: whatever B gets, A's
        # user is not touched and B's answer carries nothing of A's.
        body = _ten_sgu_body(w, w.ua["id"], w.gb["id"], rb["Member"], rb["Administrator"])
        out.append(("B's TenantAdmin, A's user id, B's group and roles", w.tadm_b, "POST",
                    _ten_SGU, body, {}, lambda r: _ten_no_a_data(w, r), "A"))
        body = _ten_sgu_body(w, str(uuid.uuid4()), w.ga["id"], ra["Member"], ra["Administrator"])
        out.append(("B's TenantAdmin, X-Tenant-Id A", w.tadm_b, "POST", _ten_SGU, body,
                    {"X-Tenant-Id": w.A}, _ten_aspnet(403), "all"))
        return out

    def accounts(w):
        out = []
        body = _ten_account_body(str(uuid.uuid4()), w.gpa["id"])
        for who, tok, h in (("TenantAdmin", w.tadm_b, {}),
                            ("SystemAdmin, X-Tenant-Id B", w.sys_b, {"X-Tenant-Id": w.B})):
            out.append((f"B's {who}, A's privilege group", tok, "POST", _ten_ACCOUNTS, body, h,
                        _ten_4xx_json, "all"))
            out.append((f"B's {who}, A's user id, A's privilege group", tok, "POST",
                        _ten_ACCOUNTS, _ten_account_body(w.ua["id"], w.gpa["id"]), h,
                        _ten_4xx_json, "all"))
        out.append(("B's TenantAdmin, A's user id, B's privilege group", w.tadm_b, "POST",
                    _ten_ACCOUNTS, _ten_account_body(w.ua["id"], w.gpb["id"]), {},
                    lambda r: _ten_no_a_data(w, r), "A"))
        out.append(("B's TenantAdmin, X-Tenant-Id A", w.tadm_b, "POST", _ten_ACCOUNTS,
                    _ten_account_body(str(uuid.uuid4()), w.gpa["id"]), {"X-Tenant-Id": w.A},
                    _ten_aspnet(403), "all"))
        return out

    def seed004(w):
        ra = {"Id": w.roles_a["Member"], "Name": "Member", "OrganizationId": w.A}
        out = []
        for who, tok in (("TenantAdmin", w.tadm_b), ("SystemAdmin", w.sys_b)):
            out.append((f"B's {who}, B's path, A's role", tok, "POST", users_path(w.B),
                        _ten_seed004_body(str(uuid.uuid4()), ra), {},
                        lambda r: model_state(r, "user.Roles[0].OrganizationId"), "all"))
            out.append((f"B's {who}, B's path, A's role id named as B's", tok, "POST",
                        users_path(w.B),
                        _ten_seed004_body(str(uuid.uuid4()), dict(ra, OrganizationId=w.B)),
                        {}, lambda r: model_state(r, "user.Roles[0].Id"), "all"))
        out.append(("B's TenantAdmin, A's path", w.tadm_b, "POST", users_path(w.A),
                    _ten_seed004_body(str(uuid.uuid4()), None), {}, _ten_aspnet(403), "all"))
        out.append(("B's TenantAdmin, B's path, A's user id", w.tadm_b, "POST", users_path(w.B),
                    _ten_seed004_body(w.ua["id"], None), {},
                    lambda r: _ten_no_a_data(w, r), "A"))
        return out

    def ss_invite(w, path=_ten_SS, shape=None):
        _ten_ss = shape or globals()["_ten_ss"]
        _ten_SS = path
        a_email = w.ua["email"]
        out = []
        for label, body in (("A's user group id", {"eMail": unique("ts") + "@example.com",
                                                   "userGroupId": w.gua["id"]}),
                            ("A's user group code", {"eMail": unique("ts") + "@example.com",
                                                     "groupCode": w.gua["code"]})):
            out.append((f"B's SystemAdmin, X-Tenant-Id B, {label}", w.sys_b, "POST", _ten_SS,
                        body, {"X-Tenant-Id": w.B}, _ten_ss(404), "all"))
            out.append((f"B's SystemAdmin (tid B), {label}", w.sys_b, "POST", _ten_SS,
                        body, {}, _ten_ss(404), "all"))
        out.append(("B's TenantAdmin, X-Tenant-Id A", w.tadm_b, "POST", _ten_SS,
                    {"eMail": a_email}, {"X-Tenant-Id": w.A}, _ten_ss(403), "all"))
        out.append(("B's SystemAdmin, B's default group, A's user's e-mail", w.sys_b, "POST",
                    _ten_SS, {"eMail": a_email}, {"X-Tenant-Id": w.B},
                    lambda r: _ten_no_a_data(w, r), "A"))
        return out

    def kibo_rows(op, prefix=""):
        def rows(w):
            out = []
            for who, tok, h in (("TenantAdmin", w.tadm_b, {}),
                                ("TenantAdmin, X-Tenant-Id B", w.tadm_b, {"X-Tenant-Id": w.B}),
                                ("SystemAdmin, X-Tenant-Id B", w.sys_b, {"X-Tenant-Id": w.B})):
                out.append((f"B's {who}, A's group code", tok, "POST",
                            f"{prefix}/platform/adminuser/groups/{w.gaa['code']}/{op}",
                            [w.ua["id"]], h, _ten_kibo(404, "ITEM_NOT_FOUND"), "all"))
                out.append((f"B's {who}, B's group, A's user", tok, "POST",
                            f"{prefix}/platform/adminuser/groups/{w.gab['code']}/{op}",
                            [w.ua["id"]], h, _ten_kibo(400, "MISSING_OR_INVALID_PARAMETER"),
                            "all"))
            out.append(("B's TenantAdmin, X-Tenant-Id A", w.tadm_b, "POST",
                        f"{prefix}/platform/adminuser/groups/{w.gaa['code']}/{op}", [w.ua["id"]],
                        {"X-Tenant-Id": w.A}, _ten_kibo(403, "FORBIDDEN"), "all"))
            return out
        return rows

    # SCIM: /scim/v2 acts in the token's tenant; /scim/v2/tenants/{id} names
    # it. A's user and group ids through B's callers are unknown (404); A's
    # path is refused to B's TenantAdmin (403).
    def scim_ids(w, kind):
        return w.ua["id"] if kind == "Users" else w.ga["id"]

    def scim_res(kind, method, body_of=lambda w: None):
        def rows(w):
            aid, body = scim_ids(w, kind), body_of(w)
            return [
                ("B's TenantAdmin, A's id", w.tadm_b, method, f"/scim/v2/{kind}/{aid}", body,
                 {}, _ten_scim(404), "all"),
                ("B's SystemAdmin, X-Tenant-Id B, A's id", w.sys_b, method,
                 f"/scim/v2/{kind}/{aid}", body, {"X-Tenant-Id": w.B}, _ten_scim(404), "all"),
                ("B's TenantAdmin, X-Tenant-Id A", w.tadm_b, method, f"/scim/v2/{kind}/{aid}",
                 body, {"X-Tenant-Id": w.A}, _ten_scim(403), "all"),
            ]
        return rows

    def scim_res_t(kind, method, body_of=lambda w: None):
        def rows(w):
            aid, body = scim_ids(w, kind), body_of(w)
            T = "/scim/v2/tenants"
            return [
                ("B's TenantAdmin, B's path, A's id", w.tadm_b, method,
                 f"{T}/{w.B}/{kind}/{aid}", body, {}, _ten_scim(404), "all"),
                ("B's SystemAdmin, B's path, A's id", w.sys_b, method,
                 f"{T}/{w.B}/{kind}/{aid}", body, {}, _ten_scim(404), "all"),
                ("B's TenantAdmin, A's path", w.tadm_b, method, f"{T}/{w.A}/{kind}/{aid}",
                 body, {}, _ten_scim(403), "all"),
            ]
        return rows

    def scim_post(suffix, body_of, ok):
        """A write naming A's things from B: refused, or done in B only."""
        def rows(w, tenant_path):
            b_path = (f"/scim/v2/tenants/{w.B}{suffix}" if tenant_path else
                      f"/scim/v2{suffix}")
            out = [("B's TenantAdmin, B's tenant", w.tadm_b, "POST", b_path, body_of(w), {},
                    ok, "A"),
                   ("B's SystemAdmin, B's tenant", w.sys_b, "POST", b_path, body_of(w),
                    {} if tenant_path else {"X-Tenant-Id": w.B}, ok, "A")]
            if tenant_path:
                out.append(("B's TenantAdmin, A's path", w.tadm_b, "POST",
                            f"/scim/v2/tenants/{w.A}{suffix}", body_of(w), {},
                            _ten_scim(403), "all"))
            else:
                out.append(("B's TenantAdmin, X-Tenant-Id A", w.tadm_b, "POST", b_path,
                            body_of(w), {"X-Tenant-Id": w.A}, _ten_scim(403), "all"))
            return out
        return rows

    def scim_unknown_member(r):
        _ten_scim(400)(r)

    def scim_found_nothing(r):
        eq(r.status, 200, f"status ({r!r})")
        eq(r.json().get("totalResults"), 0, f"B's search found A's ({r!r})")

    def scim_bulk_404(r):
        eq(r.status, 200, f"status ({r!r})")
        ops = r.json().get("Operations") or []
        eq([o.get("status") for o in ops], ["404"], f"bulk operations ({r!r})")

    def scim_rows():
        out = {}
        for prefix, tp in (("/scim/v2", False), ("/scim/v2/tenants/{tenantId}", True)):
            res_rows = scim_res_t if tp else scim_res
            for kind in ("Users", "Groups"):
                body = ((lambda w: {"userName": unique("sx")}) if kind == "Users" else
                        (lambda w: {"displayName": unique("SX ")}))
                out[("PUT", f"{prefix}/{kind}/{{id}}")] = res_rows(kind, "PUT", body)
                out[("PATCH", f"{prefix}/{kind}/{{id}}")] = res_rows(kind, "PATCH", lambda w: {
                    "Operations": [{"op": "replace", "path": "externalId", "value": "pwned"}]})
                out[("DELETE", f"{prefix}/{kind}/{{id}}")] = res_rows(kind, "DELETE")
            # user names are per tenant: B makes its own user named as A's
            # (the first attempt; the next is that name taken in B), and A
            # is untouched
            out[("POST", f"{prefix}/Users")] = (
                lambda tp: lambda w: scim_post("/Users", lambda w: {
                    "userName": w.ua["username"], "externalId": w.ua["id"]},
                    lambda r: check(r.status in (201, 409), f"status ({r!r})"))(
                        w, tp))(tp)
            # a group whose member is A's user: unknown, nothing made
            out[("POST", f"{prefix}/Groups")] = (
                lambda tp: lambda w: scim_post("/Groups", lambda w: {
                    "displayName": unique("SX "), "members": [{"value": w.ua["id"]}]},
                    scim_unknown_member)(w, tp))(tp)
            for s_ in ("/.search", "/Users/.search"):
                out[("POST", prefix + s_)] = (
                    lambda tp, s_: lambda w: scim_post(s_, lambda w: {
                        "filter": f'id eq "{w.ua["id"]}"'},
                        scim_found_nothing)(w, tp))(tp, s_)
            out[("POST", prefix + "/Groups/.search")] = (
                lambda tp: lambda w: scim_post("/Groups/.search", lambda w: {
                    "filter": f'id eq "{w.ga["id"]}"'}, scim_found_nothing)(w, tp))(tp)
            out[("POST", prefix + "/Bulk")] = (
                lambda tp: lambda w: scim_post("/Bulk", lambda w: {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [{"method": "PATCH", "path": f"/Users/{w.ua['id']}",
                                    "data": {"Operations": [{"op": "replace",
                                                             "path": "title",
                                                             "value": "pwned"}]}}]},
                    scim_bulk_404)(w, tp))(tp)
        return out

    def a_token(w):
        r = v1("POST", f"/tenants/{w.A}/api-tokens", {"name": unique("ta"), "role": "TenantAdmin"})
        eq(r.status, 201, f"A's API token ({r!r})")
        ALL_TOKENS.append(r.json()["token"])
        return both(w, "DELETE", f"{V}/{w.A}/api-tokens/{r.json()['id']}",
                    f"{V}/{w.B}/api-tokens/{r.json()['id']}")

    def a_alias(w):
        r = v1("POST", f"/tenants/{w.A}/aliases",
               {"issuer": "ten", "externalId": "ext-" + uuid.uuid4().hex})
        eq(r.status, 201, f"A's alias ({r!r})")
        # SystemAdmin only: B's TenantAdmin is refused before the id counts
        return both(w, "DELETE", f"{V}/{w.A}/aliases/{r.json()['id']}",
                    f"{V}/{w.B}/aliases/{r.json()['id']}",
                    b_check=lambda r: (check(r.status in (403, 404), f"status ({r!r})"),
                                       problem(r, r.status)))

    def import_post(w):
        # B's own jobs are made (a dry run of one row) and waited for, so
        # that the runner works on none while the next attempt is checked
        ct = {"Content-Type": "text/csv"}

        def b_ok(r):
            eq(r.status, 202, f"status ({r!r})")
            _ij_wait(w.B, r.json()["id"])
        rows = both(w, "POST", f"{V}/{w.A}/imports?dryRun=true",
                    f"{V}/{w.B}/imports?dryRun=true",
                    b"username\n" + unique("tn").encode() + b"\n",
                    b_check=b_ok, b_scope="A")
        return [(label, tok, m, path, body, {**h, **ct}, chk, scope)
                for label, tok, m, path, body, h, chk, scope in rows]

    def a_job(w):
        # queued, and held: no runner changes it while it is looked at
        jid = v1_import_job_held(w.A)
        return both(w, "DELETE", f"{V}/{w.A}/imports/{jid}", f"{V}/{w.B}/imports/{jid}")

    return {
        ("POST", "/v1/tenants/{tenantId}/imports"): import_post,
        ("DELETE", "/v1/tenants/{tenantId}/imports/{importId}"): a_job,
        ("POST", "/v1/tenants/{tenantId}/api-tokens"):
            post_in("api-tokens", lambda w: {"name": unique("tt"), "role": "TenantReader"}),
        ("DELETE", "/v1/tenants/{tenantId}/api-tokens/{tokenId}"): a_token,
        ("POST", "/v1/tenants/{tenantId}/aliases"):
            post_in("aliases", lambda w: {"issuer": "ten", "externalId": unique("ext")}),
        ("DELETE", "/v1/tenants/{tenantId}/aliases/{aliasId}"): a_alias,
        ("POST", "/v1/tenants"): "names no tenant and no other id",
        ("POST", "/v1/invites/accept"): "public: the invite's token is the only id",
        ("PATCH", "/v1/tenants/{tenantId}"): patch_tenant,
        ("DELETE", "/v1/tenants/{tenantId}"): delete_tenant,
        ("POST", "/v1/tenants/{tenantId}/users"):
            post_in("users", lambda w: {"username": unique("tu")}),
        ("PATCH", "/v1/tenants/{tenantId}/users/{userId}"):
            res("users", "ua", "PATCH", {"title": "pwned", "active": False}),
        ("DELETE", "/v1/tenants/{tenantId}/users/{userId}"): res("users", "ua", "DELETE"),
        ("POST", "/v1/tenants/{tenantId}/groups"):
            post_in("groups", lambda w: {"kind": "user", "code": unique("tc"), "name": "n"}),
        ("PATCH", "/v1/tenants/{tenantId}/groups/{groupId}"):
            res("groups", "ga", "PATCH", {"name": "pwned"}),
        ("DELETE", "/v1/tenants/{tenantId}/groups/{groupId}"): res("groups", "ga", "DELETE"),
        ("POST", "/v1/tenants/{tenantId}/groups/{groupId}/members"): members_add,
        ("POST", "/v1/tenants/{tenantId}/groups/{groupId}/members:remove"): members_remove,
        ("DELETE", "/v1/tenants/{tenantId}/groups/{groupId}/members/{userId}"): member_delete,
        ("POST", "/v1/tenants/{tenantId}/roles"):
            post_in("roles", lambda w: {"name": unique("TR")}),
        ("PATCH", "/v1/tenants/{tenantId}/roles/{roleId}"):
            res("roles", "ra", "PATCH", {"description": "pwned"}),
        ("DELETE", "/v1/tenants/{tenantId}/roles/{roleId}"): res("roles", "ra", "DELETE"),
        ("PUT", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}"): assign("PUT"),
        ("DELETE", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}"): assign("DELETE"),
        ("POST", "/v1/tenants/{tenantId}/invites"): invite_create,
        ("DELETE", "/v1/tenants/{tenantId}/invites/{inviteId}"): res("invites", "ia", "DELETE"),
        ("POST", "/api/organizations/{organizationId}/users"): seed004,
        ("POST", "/Application/PostSecurityGroupUsers"): sgu,
        ("POST", "/api/users"): accounts,
        ("POST", "/usergroupuserinvite"): ss_invite,
        ("POST", "/api/UserGroupUserInvite"):
            lambda w: ss_invite(w, "/api/UserGroupUserInvite"),
        ("POST", "/json/reply/UserGroupUserInvite"):
            lambda w: ss_invite(w, "/json/reply/UserGroupUserInvite"),
        **{("POST", f"/{f}/reply/UserGroupUserInvite"):
           (lambda f: lambda w: ss_invite(w, f"/{f}/reply/UserGroupUserInvite",
                                          _ten_status))(f)
           for f in ("xml", "jsv", "csv")},
        ("POST", "/api/platform/adminuser/groups/{groupCode}/addusers"):
            kibo_rows("addusers", "/api"),
        ("POST", "/api/platform/adminuser/groups/{groupCode}/removeusers"):
            kibo_rows("removeusers", "/api"),
        **scim_rows(),
        ("POST", "/platform/adminuser/groups/{groupCode}/addusers"): kibo_rows("addusers"),
        ("POST", "/platform/adminuser/groups/{groupCode}/removeusers"): kibo_rows("removeusers"),
    }


def _ten_4xx_json(r):
    check(400 <= r.status < 500, f"status ({r!r})")
    r.json()


def _ten_no_a_data(w, r):
    """A legitimate write in B that named A's ids: B's answer is a success or
    a 4xx, and carries none of A's user's data."""
    check(r.status < 500, f"status ({r!r})")
    text = r.body.decode("utf-8", "replace").lower()
    for v in (w.ua["username"], "victim", "untouched"):
        check(v.lower() not in text, f"B's answer carries A's user's data ({v!r}): {r!r}")


@test
def tenancy_cross_tenant_writes_every_route():
    rows = router_routes()
    table = _ten_cases_table()
    writes = {(m, p) for m, p, *_ in rows if m in _ten_WRITE_METHODS}
    missing = sorted(f"{m} {p}" for m, p in writes if (m, p) not in table)
    check(not missing, f"write routes without a cross-tenant row: {missing}")
    stale = sorted(f"{m} {p}" for m, p in table if (m, p) not in writes)
    check(not stale, f"cross-tenant rows for routes the router does not have: {stale}")
    w = _ten_world()
    problems = []
    attempts = 0
    for key in sorted(writes):
        row = table[key]
        if isinstance(row, str):
            continue
        todo = row(w)
        for i in range(len(todo)):
            label, tok, method, path, body, headers, chk, scope = todo[i]
            name = f"{key[0]} {key[1]}: {label}"
            before_all = _ten_snapshot() if scope == "all" else None
            before_a = _ten_snapshot(w.A)
            try:
                r = request(method, path, body, token=tok, headers=headers)
            except OSError as e:
                problems.append(f"{name}: {e!r}")
                continue
            attempts += 1
            try:
                chk(r)
            except Fail as e:
                problems.append(f"{name}: {e}")
            after_a = _ten_snapshot(w.A)
            if after_a != before_a:
                problems.append(f"{name}: A's rows changed {_ten_diff(before_a, after_a)} "
                                f"({r!r})")
                # A fresh A and B for the rest, so that one breach does
                # not hide (or fake) the next.
                w = _ten_world()
                todo = row(w)
            elif scope == "A":
                # B may now hold a user with one of A's ids (ids are per
                # tenant): gone, so that it cannot stand in for A's user
                # in the attempts that follow.
                psql(f"DELETE FROM users WHERE tenant_id = {lit(w.B)} AND id IN "
                     f"(SELECT id FROM users WHERE tenant_id = {lit(w.A)})")
            elif scope == "all":
                after_all = _ten_snapshot()
                if after_all != before_all:
                    problems.append(f"{name}: rows changed {_ten_diff(before_all, after_all)} "
                                    f"({r!r})")
    for p in problems:
        print(f"# cross-tenant: {p}", flush=True)
    check(attempts >= 100, f"only {attempts} attempts")
    check(not problems, f"{len(problems)} of {attempts} attempts: " + " | ".join(problems))
    # A is as it was: its user, memberships, assignment and invite.
    u = v1("GET", f"/tenants/{w.A}/users/{w.ua['id']}")
    eq((u.status, u.json()["title"], u.json()["active"], u.json()["version"]),
       (200, "untouched", True, 1), "A's user")
    eq(sorted(psql(f"SELECT group_id FROM group_members WHERE tenant_id = {lit(w.A)} "
                   f"AND user_id = {lit(w.ua['id'])}")),
       sorted([w.ga["id"], w.gaa["id"], w.gua["id"]]), "A's user's memberships")
    eq(assignments(w.A, w.ua["id"]), [w.ra["id"]], "A's user's role assignments")
    eq(v1("GET", f"/tenants/{w.A}/invites/{w.ia['id']}").json()["state"], "pending",
       "A's invite")
    eq(v1("GET", f"/tenants/{w.A}").json()["version"], 1, "A's tenant row")


@test
def tenancy_bulk_add_in_b_naming_a_users_writes_nothing_of_a():
    """10,000 ids in one bulk add to B's group: B's own users are added, A's
    users are notFound, and not one row of A changes."""
    a, b = v1_tenant()["id"], v1_tenant()["id"]
    psql(f"INSERT INTO users (tenant_id, id, username) SELECT {lit(a)}, gen_random_uuid(), "
         f"'tbulk' || i FROM generate_series(1, 5000) i")
    a_ids = psql(f"SELECT id FROM users WHERE tenant_id = {lit(a)} ORDER BY username")
    eq(len(a_ids), 5000, "A's users made")
    ga = v1_group(a)
    eq(v1("POST", f"/tenants/{a}/groups/{ga['id']}/members", {"userIds": a_ids[:100]}).status,
       200, "A's members")
    b_ids = [v1_user(b)["id"] for _ in range(3)]
    gb = v1_group(b)
    ids = a_ids + b_ids + a_ids[:4997]  # A's ids, B's, and A's again (10,000 in all)
    before_a = _ten_snapshot(a)
    for who, tok in (("TenantAdmin", ctl_token("it-ten-bulk-b", ["TenantAdmin"], b)),
                     ("SystemAdmin", ctl_token("it-ten-bulk-sys-b", ["SystemAdmin"], b))):
        r = request("POST", f"/v1/tenants/{b}/groups/{gb['id']}/members", {"userIds": ids},
                    token=tok, timeout=60)
        eq(r.status, 200, f"{who}: bulk add ({r.status} {r.body[:200]!r})")
        res = r.json()
        want_added = b_ids if who == "TenantAdmin" else []
        want_already = [] if who == "TenantAdmin" else b_ids
        eq(res["added"], want_added, f"{who}: added (B's own users only)")
        eq(res["alreadyMember"], want_already, f"{who}: alreadyMember")
        eq(res["notFound"], a_ids, f"{who}: notFound (A's ids, once each, in request order)")
        eq(_ten_diff(before_a, _ten_snapshot(a)), {}, f"{who}: A's rows changed")
        # Through B's path with A's group: 404, and nothing at all changes.
        before = _ten_snapshot()
        problem(request("POST", f"/v1/tenants/{b}/groups/{ga['id']}/members",
                        {"userIds": ids}, token=tok, timeout=60), 404)
        problem(request("POST", f"/v1/tenants/{b}/groups/{ga['id']}/members:remove",
                        {"userIds": a_ids[:100]}, token=tok, timeout=60), 404)
        eq(_ten_diff(before, _ten_snapshot()), {}, f"{who}: rows changed by the 404s")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE tenant_id = {lit(b)}"), "3",
       "B's memberships")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE tenant_id = {lit(a)}"), "100",
       "A's memberships")
