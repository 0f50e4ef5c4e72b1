# t_aspnet.py: the ASP.NET Web API dialects: seeds 000, 003 and
# 004 with their XML, form and spreadsheet formats.  Exec'd by test_api.py
# into its globals: request(), post_user(), NothingWritten, psql, v1 ...
# are that module's.
# ruff: noqa: F821

import io
import urllib.parse
import xml.etree.ElementTree as ET

SGU_PATH = "/Application/PostSecurityGroupUsers"
ACCOUNTS_PATH = "/api/users"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS_I = "http://www.w3.org/2001/XMLSchema-instance"
NS_003 = "http://schemas.datacontract.org/2004/07/EziManager.Models.Tenancies.Accounts"
NS_003B = "http://schemas.datacontract.org/2004/07/EziManager.Service.Tenancies.Browser"
NS_ARR = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
NS_004 = "http://schemas.datacontract.org/2004/07/XCapture.DTO"
SECRET_FIELDS_000 = ("Password", "PinCode", "APIToken", "Token", "TokenCacheBits",
                     "RefreshTokenCache")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def pairs(body):
    """JSON with its members as ordered (key, value) lists, recursively."""
    return json.loads(body, object_pairs_hook=lambda p: p)


def keys_of(p):
    return [k for k, _ in p]


def member(p, key):
    for k, v in p:
        if k == key:
            return v
    raise Fail(f"no member {key!r} in {keys_of(p)}")


def ids_in_write_order(p, out=None):
    """The "$id" values of every object of a pairs() tree, in order."""
    out = [] if out is None else out
    if isinstance(p, list) and (not p or isinstance(p[0], tuple)):
        for k, v in p:
            if k == "$id":
                out.append(v)
            else:
                ids_in_write_order(v, out)
    elif isinstance(p, list):
        for x in p:
            ids_in_write_order(x, out)
    return out


def no_ids(v):
    """v without its "$id" members, recursively."""
    if isinstance(v, dict):
        return {k: no_ids(x) for k, x in v.items() if k != "$id"}
    return v


def content_type(r):
    return (r.header("Content-Type") or "").replace(" ", "").lower()


def aspnet_group(kind, tenant=None):
    r = v1("POST", f"/tenants/{tenant or TENANT_A}/groups",
           {"kind": kind, "code": unique("g"), "name": unique("Group ")})
    eq(r.status, 201, f"create {kind} group ({r!r})")
    return r.json()


_shared_groups = {}


def shared_group(kind):
    """One group of kind in tenant A, made once (so that a request body can
    be built inside NothingWritten)."""
    if kind not in _shared_groups:
        _shared_groups[kind] = aspnet_group(kind)["id"]
    return _shared_groups[kind]


def xml_shape(el):
    """An element's tag (with namespace) and its children's shapes."""
    return (el.tag, [xml_shape(c) for c in el])


def start_tags(body):
    """Every start tag as written, with its namespace declarations."""
    return re.findall(rb"<[A-Za-z][^>]*?(?:xmlns[^>]*)?>", body)


def xml_error(r, status, key=None):
    eq(r.status, status, f"status ({r!r})")
    check(content_type(r).startswith("application/xml") or
          content_type(r).startswith("text/xml"), f"Content-Type {content_type(r)}")
    root = ET.fromstring(r.body)
    eq(root.tag, "Error", "root element")
    check(root.find("Message") is not None and root.find("Message").text, "no Message")
    if key is not None:
        ms = root.find("ModelState")
        check(ms is not None and ms.find(key) is not None,
              f"ModelState has no {key}: {r.body[:300]!r}")
    return root


# --------------------------------------------------------------------------
# Seed 000: POST /Application/PostSecurityGroupUsers


def sgu_sample(group=None, **over):
    """The page's JSON sample with ids that exist and a unique UserName."""
    roles = role_ids(TENANT_A)
    s = json.loads(fixture("seed000_request.json"))
    # the page's Password ("QEA=", two bytes) is below password_min_length
    s.update({"ID": str(uuid.uuid4()), "UserName": unique("sgu"),
              "Password": base64.b64encode(b"sample password").decode(),
              "SecurityGroupID": group or shared_group("security"),
              "RoleID": roles["Member"], "CompanyRoleID": roles["Administrator"]})
    s.update(over)
    return {k: v for k, v in s.items() if v is not ...}


def post_sgu(body, **kw):
    return request("POST", SGU_PATH, body, **kw)


def envelope(r, success=True, code=None):
    eq(r.status, 200, f"status ({r!r})")
    p = pairs(r.body)
    eq(keys_of(p), ["$id", "IsSuccess", "ErrorMessage", "Code", "StackTrace", "Response"],
       "envelope members")
    b = r.json()
    eq(b["$id"], "1", "root $id")
    eq(b["IsSuccess"], success, f"IsSuccess ({b})")
    eq(b["StackTrace"], None, "StackTrace")
    if not success:
        eq(b["Code"], code, "Code")
        check(isinstance(b["ErrorMessage"], str) and b["ErrorMessage"], "ErrorMessage")
        eq(b["Response"], None, "Response")
    return b


@test
def aspnet000_sample_creates_user_and_membership():
    sample = sgu_sample()
    before = snapshot()
    r = post_sgu(sample)
    b = envelope(r)
    eq(content_type(r), "application/json;charset=utf-8", "Content-Type")
    resp = member(pairs(r.body), "Response")
    page = pairs(fixture("seed000_request.json"))
    eq([k for k in keys_of(resp) if k != "$id"], keys_of(page),
       "Response members: the page's SecurityGroupUser, in its order")
    eq(keys_of(resp)[0], "$id", "$id first")
    for nested in ("Contact", "Role", "SecurityGroup"):
        eq(keys_of(member(resp, nested)), keys_of(member(page, nested)),
           f"{nested} members")
    eq(ids_in_write_order(pairs(r.body)), ["1", "2", "3", "4", "5", "6"],
       "$id on every object in write order")
    u = b["Response"]
    for k in SECRET_FIELDS_000:
        eq(u[k], None, f"{k} (write-only)")
    for k, v in sample.items():
        if k in SECRET_FIELDS_000 or k in ("Contact", "Role", "SecurityGroup"):
            continue
        eq(u[k], v, k)
    for nested in ("Contact", "Role", "SecurityGroup"):
        eq(no_ids(u[nested]), no_ids(sample[nested]), nested)
    row = user_row(TENANT_A, sample["ID"])
    eq(row["username"], sample["UserName"], "users.username")
    check(row["password"].startswith("$argon2id$"), "password stored as an Argon2id PHC")
    check(row["pin_code"].startswith("$argon2id$"), "PinCode stored as an Argon2id PHC")
    eq(row["is_active"], True, "users.is_active")
    eq(psql(f"SELECT group_id FROM group_members WHERE tenant_id = {lit(TENANT_A)} "
            f"AND user_id = {lit(sample['ID'])}"), [sample["SecurityGroupID"]],
       "member of the security group")
    eq(sorted(assignments(TENANT_A, sample["ID"])),
       sorted([sample["RoleID"], sample["CompanyRoleID"]]), "role assignments")
    after = snapshot()
    for t, n in (("users", 1), ("group_members", 1), ("role_assignments", 2), ("audit_log", 1)):
        eq(int(after[t]) - int(before[t]), n, f"{t} rows added")


@test
def aspnet000_same_id_updates():
    sample = sgu_sample()
    envelope(post_sgu(sample))
    before = snapshot()
    sample["Name"] = "renamed"
    sample["Contact"]["FirstName"] = "Changed"
    b = envelope(post_sgu(sample))
    eq(b["Response"]["ID"], sample["ID"], "ID")
    eq(b["Response"]["Name"], "renamed", "Name")
    eq(b["Response"]["Contact"]["FirstName"], "Changed", "Contact.FirstName")
    after = snapshot()
    eq(after["users"], before["users"], "no second user")
    eq(after["group_members"], before["group_members"], "no second membership")
    eq(user_row(TENANT_A, sample["ID"])["first_name"], "Changed", "users.first_name")


@test
def aspnet000_contact_id_links_an_existing_contact():
    contact_id = str(uuid.uuid4())
    first = sgu_sample(ContactID=contact_id)
    first["Contact"]["ID"] = contact_id
    first["Contact"]["FirstName"] = "Linked"
    a = envelope(post_sgu(first))
    second = sgu_sample(ContactID=contact_id.upper(), Contact=None)
    b = envelope(post_sgu(second))
    eq(b["Response"]["Contact"]["FirstName"], "Linked", "the linked Contact")
    eq(b["Response"]["Contact"]["ID"], a["Response"]["Contact"]["ID"], "the same person record")
    eq(user_row(TENANT_A, second["ID"])["first_name"], "Linked", "users.first_name")
    with NothingWritten():
        r = post_sgu(sgu_sample(ContactID=str(uuid.uuid4()), Contact=None))
        envelope(r, success=False, code="NotFound")
    # Another tenant's contact is not found.
    tok = ctl_token("it-000-b", ["TenantAdmin"], TENANT_B)
    group_b = aspnet_group("security", TENANT_B)["id"]
    roles_b = role_ids(TENANT_B)
    with NothingWritten():
        r = post_sgu(sgu_sample(ContactID=contact_id, Contact=None, SecurityGroupID=group_b,
                                RoleID=roles_b["Member"], CompanyRoleID=None), token=tok)
        b = envelope(r, success=False, code="NotFound")
        check("contact" in b["ErrorMessage"], f"ErrorMessage {b['ErrorMessage']!r}")


@test
def aspnet000_form_body_jquery_and_mvc_keys():
    group = aspnet_group("security")["id"]
    flags = {k: "true" for k in ("CanLogIn", "ChangePassword", "BlockSynch", "Locked",
                                 "ClearData", "RememberMe", "RefreshData",
                                 "HasTwoFactorAuthentication", "IsActive", "CanSignDocuments",
                                 "IsVerified", "MobileOnlyUser", "IsUpgradeAvailable")}
    for style in ("jquery", "mvc"):
        name = unique("form")
        f = dict(flags, UserName=name, ContactID=str(uuid.uuid4()), SecurityGroupID=group)
        if style == "jquery":
            f.update({"Contact[FirstName]": "Ada", "Contact[GenderID]": "2",
                      "Role[Workflow][Sequence]": "5"})
        else:
            f.update({"Contact.FirstName": "Ada", "Contact.GenderID": "2",
                      "Role.Workflow.Sequence": "5"})
        r = post_sgu(urllib.parse.urlencode(f), ctype="application/x-www-form-urlencoded")
        b = envelope(r)
        u = b["Response"]
        eq((u["UserName"], u["CanLogIn"], u["Contact"]["FirstName"], u["Contact"]["GenderID"],
            u["Role"]["Workflow"]["Sequence"]), (name, True, "Ada", 2, 5), f"{style}: values")


@test
def aspnet000_required_members_400():
    with NothingWritten():
        body = sgu_sample(group=str(uuid.uuid4()), CanLogIn=...)
        r = post_sgu(body)
        eq(r.status, 400, f"absent CanLogIn ({r!r})")
        p = pairs(r.body)
        eq(keys_of(p), ["$id", "Message", "ModelState"], "error members")
        b = r.json()
        eq((b["$id"], b["Message"], b["ModelState"]["$id"]), ("1", INVALID, "2"), "error body")
        check(any("CanLogIn" in m for m in b["ModelState"]["securityGroupUser"]),
              f"ModelState {b['ModelState']}")
        r = post_sgu(sgu_sample(group=str(uuid.uuid4()), UserName=...))
        check("securityGroupUser.UserName" in r.json()["ModelState"], f"UserName: {r!r}")
        r = post_sgu(sgu_sample(group=str(uuid.uuid4()), SecurityGroupID=...))
        eq(r.status, 400, f"absent SecurityGroupID ({r!r})")
        r = post_sgu(sgu_sample(group=str(uuid.uuid4()), IsActive=None))
        check("securityGroupUser.IsActive" in r.json()["ModelState"], f"null IsActive: {r!r}")
        r = post_sgu(sgu_sample(group=str(uuid.uuid4()), ExpiresIn="soon"))
        check("securityGroupUser.ExpiresIn" in r.json()["ModelState"], f"ExpiresIn: {r!r}")
        eq(post_sgu(b'{"UserName":').status, 400, "malformed JSON")
    # false is a value
    envelope(post_sgu(sgu_sample(CanLogIn=False, IsActive=False)))


@test
def aspnet000_service_failures_are_envelopes():
    g = aspnet_group("security")["id"]
    bodies = [(sgu_sample(group=str(uuid.uuid4())), "NotFound"),
              (sgu_sample(group=aspnet_group("user")["id"]), "NotFound"),
              (sgu_sample(group=g, RoleID=str(uuid.uuid4())), "NotFound"),
              (sgu_sample(group=g, CompanyRoleID=role_ids(TENANT_B)["Member"]), "NotFound"),
              (sgu_sample(group=g, UserName="x" * 300), "ValidationFailed")]
    with NothingWritten():
        for body, code in bodies:
            envelope(post_sgu(body), False, code)
    first = sgu_sample(group=g)
    envelope(post_sgu(first))
    dup = sgu_sample(group=g, UserName=first["UserName"].upper())
    with NothingWritten():
        envelope(post_sgu(dup), False, "Conflict")
    # a user made in B (naming A's group first: not found there)
    other = sgu_sample()
    r = post_sgu(other, headers={"X-Tenant-Id": TENANT_B}, token=ctl_token(
        "it-sys-nt", ["SystemAdmin"]))
    envelope(r, False, "NotFound")  # its group is tenant A's
    gb = aspnet_group("security", TENANT_B)["id"]
    rb = role_ids(TENANT_B)
    other.update({"SecurityGroupID": gb, "RoleID": rb["Member"], "CompanyRoleID": rb["Member"]})
    envelope(post_sgu(other, headers={"X-Tenant-Id": TENANT_B},
                      token=ctl_token("it-sys-nt", ["SystemAdmin"])))
    # User ids are per tenant: the same ID in A is A's own new user, as
    # an ID no tenant has would be, and B's user is not touched.
    b_before = psql(f"SELECT username, version FROM users WHERE tenant_id = {lit(TENANT_B)} "
                    f"AND id = {lit(other['ID'])}")
    mine = sgu_sample(group=g, ID=other["ID"])
    envelope(post_sgu(mine))
    eq(psql(f"SELECT tenant_id FROM users WHERE id = {lit(other['ID'])} ORDER BY tenant_id"),
       sorted([TENANT_A, TENANT_B]), "one user of that id in each tenant")
    eq(psql(f"SELECT username, version FROM users WHERE tenant_id = {lit(TENANT_B)} "
            f"AND id = {lit(other['ID'])}"), b_before, "B's user untouched")


@test
def aspnet000_auth_and_media_errors():
    body = sgu_sample()
    with NothingWritten():
        r = post_sgu(body, token=None)
        eq(r.status, 401, f"401 ({r!r})")
        eq(pairs(r.body), [("$id", "1"), ("Message", DENIED)], "401 body")
        r = post_sgu(body, token=ctl_token("it-rd", ["TenantReader"], TENANT_A))
        eq((r.status, r.json()), (403, {"$id": "1", "Message": DENIED}), "403")
        r = post_sgu(b"<SecurityGroupUser/>", ctype="application/xml")
        eq(r.status, 415, f"XML body: no XML formatter ({r!r})")
        eq(r.json()["$id"], "1", "415 $id")
        r = post_sgu(dict(body, CanLogIn=None), headers={"Accept": "application/xml"})
        eq((r.status, content_type(r)), (400, "application/json;charset=utf-8"),
           "Accept XML: no XML formatter, so JSON")
    r = request("POST", "/application/postsecuritygroupusers", sgu_sample())
    envelope(r)


@test
def aspnet_secrets_never_leave():
    marks = {"pw": "pw-" + uuid.uuid4().hex, "pin": "pin-" + uuid.uuid4().hex,
             "api": "api-" + uuid.uuid4().hex, "tok": "tok-" + uuid.uuid4().hex,
             "cache": "cache-" + uuid.uuid4().hex, "refresh": "refresh-" + uuid.uuid4().hex,
             "p003": "p003-" + uuid.uuid4().hex}
    b64 = {k: base64.b64encode(marks[k].encode()).decode() for k in ("pw", "cache", "refresh")}
    start = MAIN.log_size()
    sample = sgu_sample(Password=b64["pw"], PinCode=marks["pin"], APIToken=marks["api"],
                        Token=marks["tok"], TokenCacheBits=b64["cache"],
                        RefreshTokenCache=b64["refresh"])
    # Every request must have done its work, or the absence checks below
    # would hold for nothing.
    r = post_sgu(sample)
    envelope(r)
    bodies = [r.body]
    acct = account_sample(password=marks["p003"], confirmPassword=marks["p003"])
    for accept in ("application/json", "application/xml", XLSX):
        r = post_account(acct, headers={"Accept": accept})
        eq(r.status, 200, f"account create or update, Accept {accept} ({r!r})")
        bodies.append(r.body)
    r = post_account(dict(acct, email="bad"), headers={"Accept": "application/xml"})
    xml_error(r, 400, "model.Email")
    bodies.append(r.body)
    # The secrets arrived: stored as hashes (and the seed-000 user's other
    # secret fields were read: its row exists with them).
    row = user_row(TENANT_A, sample["ID"])
    check(str(row.get("password")).startswith("$argon2id$"), "seed 000 password not hashed")
    check(str(row.get("pin_code")).startswith("$argon2id$"), "seed 000 PinCode not hashed")
    check(str(user_row(TENANT_A, acct["id"]).get("password")).startswith("$argon2id$"),
          "seed 003 password not hashed")
    dump = pg_dump()
    logs = MAIN.log_text(start)
    for label, m in list(marks.items()) + [("b64 " + k, v) for k, v in b64.items()]:
        for body in bodies:
            check(m.encode() not in body, f"{label} in a response")
        check(m not in logs, f"{label} in the log")
        check(m not in dump, f"{label} in the database")
        eq(audit_rows_mentioning(TENANT_A, m), 0, f"audit rows with {label}")
    import zipfile
    with zipfile.ZipFile(io.BytesIO(bodies[3])) as z:
        for n in z.namelist():
            check(marks["p003"].encode() not in z.read(n), f"password in xlsx part {n}")


# --------------------------------------------------------------------------
# Seed 003: POST /api/users


def account_sample(group=None, **over):
    s = json.loads(fixture("seed003_request.json"))
    name = unique("acct")
    # the page's passwords differ; rosterd requires them to match
    s.update({"id": str(uuid.uuid4()), "email": f"{name}@example.com",
              "confirmPassword": s["password"],
              "privilegeGroup": group or shared_group("privilege")})
    s.update(over)
    return {k: v for k, v in s.items() if v is not ...}


def post_account(body, **kw):
    return request("POST", ACCOUNTS_PATH, body, **kw)


def account_xml(sample_xml, **values):
    x = sample_xml.decode()
    for tag, v in values.items():
        x = re.sub(f"<{tag}>[^<]*</{tag}>", f"<{tag}>{v}</{tag}>", x)
    return x.encode()


@test
def aspnet003_json_sample_creates_account():
    g = aspnet_group("privilege")
    s = account_sample(group=g["id"])
    before = snapshot()
    r = post_account(s)
    eq(r.status, 200, f"status ({r!r})")
    eq(content_type(r), "application/json;charset=utf-8", "Content-Type")
    p = pairs(r.body)
    page = pairs(fixture("seed003_response.json"))
    eq(keys_of(p), ["$id"] + keys_of(page), "members: $id then the page's, camelCase, in order")
    eq(member(p, "$id"), "1", "root $id")
    eq(member(p, "securityOptions"), member(page, "securityOptions"),
       "securityOptions (with \"$id\":\"2\") as the page shows")
    b = r.json()
    eq((b["password"], b["confirmPassword"]), (None, None), "write-only passwords")
    eq(b["privilegeGroupName"], g["name"], "privilegeGroupName from the group")
    for k in ("id", "operatorID", "email", "verified", "disabled", "timeZone", "storeScope",
              "privilegeGroup", "externalSender", "canPromptStores", "promptStoresOnLogin",
              "releaseNotify", "required", "storeIDs"):
        eq(b[k], s[k], k)
    row = user_row(TENANT_A, s["id"])
    eq((row["email"], row["is_active"], row["verified"]), (s["email"], False, True),
       "users columns")
    check(row["password"].startswith("$argon2id$"), "password hashed")
    eq(psql(f"SELECT group_id FROM group_members WHERE tenant_id = {lit(TENANT_A)} "
            f"AND user_id = {lit(s['id'])}"), [g["id"]], "privilege group membership")
    after = snapshot()
    for t, n in (("users", 1), ("group_members", 1), ("audit_log", 1)):
        eq(int(after[t]) - int(before[t]), n, f"{t} rows added")


@test
def aspnet003_update_moves_privilege_group():
    s = account_sample()
    eq(post_account(s).status, 200, "create")
    g2 = aspnet_group("privilege")
    before = snapshot()
    r = post_account(dict(s, privilegeGroup=g2["id"], timeZone="Europe/Paris",
                          password=None, confirmPassword=None))
    eq(r.status, 200, f"update ({r!r})")
    eq((r.json()["privilegeGroupName"], r.json()["timeZone"]), (g2["name"], "Europe/Paris"),
       "updated")
    eq(snapshot()["users"], before["users"], "no second account")
    eq(psql(f"SELECT group_id FROM group_members WHERE tenant_id = {lit(TENANT_A)} "
            f"AND user_id = {lit(s['id'])}"), [g2["id"]], "membership set to the new group")
    check(user_row(TENANT_A, s["id"])["password"], "password kept when not given")
    # absent id: a new account in the caller's tenant
    r = post_account(account_sample(id=...))
    eq(r.status, 200, f"no id ({r!r})")
    check(is_uuid(r.json()["id"]), "new id")
    user_row(TENANT_A, r.json()["id"])


@test
def aspnet003_xml_sample_and_shape():
    g = aspnet_group("privilege")
    uid = str(uuid.uuid4())
    body = account_xml(fixture("seed003_request.xml"), ID=uid,
                       Email=unique("x") + "@example.com", PrivilegeGroup=g["id"],
                       ConfirmPassword="sample string 4")
    for ctype in ("application/xml", "text/xml"):
        r = post_account(body, ctype=ctype)
        eq(r.status, 200, f"{ctype}: status ({r!r})")
        check(content_type(r).startswith(ctype), f"{ctype}: Content-Type {content_type(r)}")
        check(not r.body.startswith(b"<?xml"), "no XML declaration")
        page = fixture("seed003_response.xml")
        eq(xml_shape(ET.fromstring(r.body)), xml_shape(ET.fromstring(page)),
           "element names, namespaces and order as the page's response")
        eq(start_tags(r.body)[0], start_tags(page)[0], "root start tag")
        for tag in (b"<SecurityOptions ", b"<StoreIDs ", b"<StoreScope "):
            got = [t for t in start_tags(r.body) if t.startswith(tag)]
            want = [t for t in start_tags(page) if t.startswith(tag)]
            eq(got, want, f"{tag.decode()} namespace declarations")
        root = ET.fromstring(r.body)
        eq(root.find(f"{{{NS_003}}}Password").get(f"{{{NS_I}}}nil"), "true", "Password nil")
        eq(root.find(f"{{{NS_003}}}ID").text, uid, "ID")
        eq(root.find(f"{{{NS_003}}}PrivilegeGroupName").text, g["name"], "PrivilegeGroupName")
        eq([e.text for e in root.find(f"{{{NS_003}}}StoreIDs")], ["1", "2"], "StoreIDs")
        eq(root.find(f"{{{NS_003}}}SecurityOptions/{{{NS_003B}}}LoginMode").text, "1",
           "SecurityOptions.LoginMode")
    # any element order (a superset of DataContractSerializer)
    x = body.decode().replace("<Verified>true</Verified>\n", "")
    x = x.replace("<CanPromptStores>", "<Verified>false</Verified>\n<CanPromptStores>", 1)
    r = post_account(x.encode(), ctype="application/xml")
    eq(r.status, 200, f"out of order ({r!r})")
    eq(ET.fromstring(r.body).find(f"{{{NS_003}}}Verified").text, "false", "Verified read")


@test
def aspnet003_xlsx_for_both_media_types():
    import openpyxl
    headers = ["ID", "OperatorID", "Email", "Password", "ConfirmPassword", "Verified",
               "Disabled", "TimeZone", "StoreScope", "PrivilegeGroup", "ExternalSender",
               "CanPromptStores", "PromptStoresOnLogin", "ReleaseNotify", "Required",
               "PrivilegeGroupName", "StoreIDs", "SecurityOptions"]
    s = account_sample()
    for accept in (XLSX, "application/vnd.ms-excel"):
        r = post_account(s, headers={"Accept": accept})
        eq(r.status, 200, f"{accept}: status ({r!r})")
        eq(r.header("Content-Type"), accept, "Content-Type")
        eq(r.header("Content-Disposition"), "inline; filename=users.xlsx", "Content-Disposition")
        check(r.body.startswith(b"PK"), "a zip")
        wb = openpyxl.load_workbook(io.BytesIO(r.body))
        eq(wb.sheetnames, ["Data"], "sheets")
        rows = [[c.value for c in row] for row in wb["Data"].iter_rows()]
        eq(rows[0], headers, "header row: CLR names in the page's order")
        vals = dict(zip(rows[0], rows[1]))
        eq((vals["ID"], vals["Email"], vals["Verified"], vals["Password"]),
           (s["id"], s["email"], "True", None), "values")
        eq(vals["StoreIDs"], "1, 2", "a collection as readable text")
        check("LoginMode=1" in vals["SecurityOptions"], f"SecurityOptions {vals['SecurityOptions']}")
    # errors asked for as xlsx come as JSON
    with NothingWritten():
        r = post_account(account_sample(email="nope"), headers={"Accept": XLSX})
        eq((r.status, content_type(r)), (400, "application/json;charset=utf-8"), "error as JSON")


def camel_error(r, status, key=None):
    eq(r.status, status, f"status ({r!r})")
    p = pairs(r.body)
    eq(keys_of(p)[:2], ["$id", "message"], "camelCase error with $id")
    b = r.json()
    eq(b["$id"], "1", "$id")
    if key is not None:
        ms = b.get("modelState") or {}
        eq(ms.get("$id"), "2", "modelState $id")
        check(key in ms, f"modelState has no {key}: {ms}")
    return b


@test
def aspnet003_errors_json_and_xml():
    with NothingWritten():
        camel_error(post_account(account_sample(email="sample string 3")), 400, "model.Email")
        camel_error(post_account(account_sample(email=...)), 400, "model.Email")
        camel_error(post_account(account_sample(confirmPassword="other")), 400,
                    "model.ConfirmPassword")
        camel_error(post_account(account_sample(group=str(uuid.uuid4()))), 400,
                    "model.PrivilegeGroup")
        camel_error(post_account(account_sample(group=shared_group("security"))), 400,
                    "model.PrivilegeGroup")
        camel_error(post_account(account_sample(storeIDs=["x"])), 400, "model.StoreIDs[0]")
        camel_error(post_account(b"[1]"), 400, "model")
        b = camel_error(post_account(account_sample(), token=None), 401)
        eq(b["message"], DENIED, "401 message")
        camel_error(post_account(account_sample(), token=ctl_token(
            "it-rd", ["TenantReader"], TENANT_A)), 403)
        camel_error(post_account(b"x", ctype="text/plain"), 415)
        # the same in XML
        xa = {"Accept": "application/xml"}
        xml_error(post_account(account_sample(email="nope"), headers=xa), 400, "model.Email")
        xml_error(post_account(account_sample(), token=None, headers=xa), 401)
        xml_error(post_account(b"x", ctype="text/plain", headers=xa), 415)
        xml_error(post_account(b"<AccountDetails xmlns='urn:wrong'/>", ctype="application/xml"),
                  400, "model")
        xml_error(post_account(b'<!DOCTYPE a [<!ENTITY e "x">]><AccountDetails/>',
                               ctype="application/xml"), 400)
    first = account_sample()
    eq(post_account(first).status, 200, "first")
    with NothingWritten():
        camel_error(post_account(account_sample(email=first["email"].upper())), 409)
        xml_error(post_account(account_sample(email=first["email"]), headers=xa), 409)
    # another tenant's account
    other = account_sample(group=aspnet_group("privilege", TENANT_B)["id"])
    eq(post_account(other, headers={"X-Tenant-Id": TENANT_B},
                    token=ctl_token("it-sys-nt", ["SystemAdmin"])).status, 200, "in B")
    # ids are per tenant: the same id here makes A's own account, B's stays
    b_before = psql(f"SELECT email, version FROM users WHERE tenant_id = {lit(TENANT_B)} "
                    f"AND id = {lit(other['id'])}")
    r = post_account(account_sample(id=other["id"]))
    eq((r.status, r.json().get("id")), (200, other["id"]), f"the same id in A ({r!r})")
    eq(psql(f"SELECT email, version FROM users WHERE tenant_id = {lit(TENANT_B)} "
            f"AND id = {lit(other['id'])}"), b_before, "B's account untouched")


@test
def aspnet003_form_body():
    g = aspnet_group("privilege")
    f = [("id", str(uuid.uuid4())), ("email", unique("f") + "@example.com"),
         ("privilegeGroup", g["id"]), ("verified", "true"),
         ("storeScope[]", str(uuid.uuid4())), ("storeScope[]", str(uuid.uuid4())),
         ("storeIDs[0]", "7"), ("securityOptions[loginMode]", "3"),
         ("securityOptions.source", "form")]
    r = post_account(urllib.parse.urlencode(f), ctype="application/x-www-form-urlencoded")
    eq(r.status, 200, f"status ({r!r})")
    b = r.json()
    eq((b["verified"], len(b["storeScope"]), b["storeIDs"], b["securityOptions"]["loginMode"],
        b["securityOptions"]["source"]), (True, 2, [7], 3, "form"), "bound from the form")


# --------------------------------------------------------------------------
# Seed 004: XML and forms, and the shared negotiation


def user_xml(**values):
    return account_xml(fixture("seed004_request.xml"), **values)


@test
def aspnet004_xml_sample_and_shape():
    roles = role_ids(TENANT_A)
    name = unique("x4")
    uid = str(uuid.uuid4())
    body = user_xml(Username=name, Email=f"{name}@example.com", Name="Member",
                    OrganizationId=TENANT_A)
    body = body.replace(b"a63de9bd-7d4a-46e8-b197-61541e4ae989", roles["Member"].encode())
    body = body.replace(b"c68d723a-ffc7-4d39-9bd0-966f946d2181", uid.encode())
    r = post_user(body, ctype="application/xml")
    eq(r.status, 200, f"status ({r!r})")
    eq(content_type(r), "application/xml;charset=utf-8", "Content-Type")
    page = fixture("seed004_response.xml")
    root = ET.fromstring(r.body)
    # the page's response has two roles; ours are deduplicated to one
    want = xml_shape(ET.fromstring(page))
    want = (want[0], [c if not c[0].endswith("Roles") else (c[0], c[1][:1]) for c in want[1]])
    eq(xml_shape(root), want, "element names, namespaces and order as the page's")
    eq(start_tags(r.body)[0], start_tags(page)[0], "root start tag")
    eq(root.find(f"{{{NS_004}}}Id").text, uid, "Id")
    eq(root.find(f"{{{NS_004}}}Roles/{{{NS_004}}}RoleSimple/{{{NS_004}}}Name").text, "Member",
       "role")
    eq(user_row(TENANT_A, uid)["username"], name, "stored")
    # JSON body, XML answer by Accept; text/xml answer by Accept
    r = post_user(new_user(), headers={"Accept": "text/xml"})
    eq((r.status, content_type(r)), (200, "text/xml;charset=utf-8"), "Accept text/xml")
    ET.fromstring(r.body)


@test
def aspnet004_form_bodies():
    for roles_key in ("Roles[0][Name]", "Roles[0].Name"):
        name = unique("f4")
        f = {"Username": name, "Email": f"{name}@example.com", roles_key: "member"}
        r = post_user(urllib.parse.urlencode(f), ctype="application/x-www-form-urlencoded")
        eq(r.status, 200, f"{roles_key}: status ({r!r})")
        eq([x["Name"] for x in r.json()["Roles"]], ["Member"], f"{roles_key}: Roles")
    with NothingWritten():
        r = post_user(b"Username=&Email=x", ctype="application/x-www-form-urlencoded")
        model_state(r, "user.Username")


@test
def aspnet004_xml_errors():
    xa = {"Accept": "application/xml"}
    with NothingWritten():
        xml_error(post_user(user_xml(Email="nope", Roles=""), ctype="application/xml"), 400,
                  "user.Email")
        xml_error(post_user(new_user(Email="nope"), headers=xa), 400, "user.Email")
        root = xml_error(post_user(new_user(Roles=[{"Name": "NoSuch"}]), headers=xa), 400)
        check(root.find("ModelState/user.Roles_x005B_0_x005D_.Name") is not None,
              f"encoded key: {ET.tostring(root)!r}")
        xml_error(post_user(new_user(), token=None, headers=xa), 401)
        xml_error(post_user(new_user(), org=str(uuid.uuid4()), headers=xa), 404)
        xml_error(post_user(b"<UserSimple", ctype="application/xml"), 400, "user")
        xml_error(post_user(b"x", ctype="text/plain", headers=xa), 415)
        xml_error(post_user(b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><UserSimple/>',
                            ctype="text/xml"), 400)
    first = new_user()
    eq(post_user(first).status, 200, "first")
    with NothingWritten():
        xml_error(post_user(new_user(Username=first["Username"]), headers=xa), 409)


@test
def aspnet_negotiation_like_default_content_negotiator():
    cases = (
        ("application/xml;q=0.5, application/json;q=0.9", "application/json"),
        ("application/json;q=0.5, application/xml", "application/xml"),
        ("application/xml, application/json", "application/json"),  # formatter order
        ("text/*", "text/json"),
        ("*/*", "application/json"),
        ("application/*;q=0.2, text/xml;q=0.1", "application/json"),
        ("image/png", "application/json"),
        ("application/xml;q=0", "application/json"),
        ("TEXT/XML", "text/xml"),
    )
    for accept, want in cases:
        with NothingWritten():
            r = post_user(new_user(Email="nope"), headers={"Accept": accept})
            eq(r.status, 400, f"{accept}: status")
            eq(content_type(r), want + ";charset=utf-8", f"Accept {accept!r}")
    # no Accept: the request's own type
    with NothingWritten():
        r = post_user(b"<UserSimple xmlns='urn:x'/>", ctype="text/xml")
        eq(content_type(r), "text/xml;charset=utf-8", "XML body, no Accept")
        r = post_user(new_user(Email="nope"), ctype="text/json")
        eq(content_type(r), "text/json;charset=utf-8", "text/json body, no Accept")
        # 415 names the type; XML error when XML is asked for
        r = post_user(b"{}", ctype="application/x-yaml")
        message_body(r, 415, "The request entity's media type 'application/x-yaml' is not "
                             "supported for this resource.")


ROUTE_CALLS[("POST", "/Application/PostSecurityGroupUsers")] = \
    lambda t: ("POST", SGU_PATH, sgu_sample(), 200)
ROUTE_CALLS[("POST", "/api/users")] = lambda t: ("POST", ACCOUNTS_PATH, account_sample(), 200)
