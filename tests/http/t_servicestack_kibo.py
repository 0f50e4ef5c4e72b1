# t_servicestack_kibo.py: seed 001 (ServiceStack, POST /usergroupuserinvite)
# and seed 002 (Kibo, POST /platform/adminuser/groups/{groupCode}/addusers
# and .../removeusers). Exec'd by test_api.py into its globals: request(),
# NothingWritten, psql, @test, ROUTE_CALLS ... are test_api.py's.
#
# Independent parsers check every output format: json, xml.etree (expat)
# and xmllint (libxml2) for XML, csv for CSV, and the small JSV reader
# below (written from FORMATS.md §2.2, not from rosterd's C code).

import csv as _csv
import hashlib as _hashlib
import io as _io
import subprocess as _subprocess
import xml.etree.ElementTree as _ET

SS_PATH = "/usergroupuserinvite"
SS_NS = "http://schemas.servicestack.net/types"
SS_I = "http://www.w3.org/2001/XMLSchema-instance"
SS_ARR = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"

# UserAuth's members as the seed page lists them (the page's camelCase JSV
# names; XML and CSV use the PascalCase names of the page's table).
SS_USERAUTH = ["id", "userName", "email", "primaryEmail", "phoneNumber", "firstName",
               "lastName", "displayName", "company", "birthDate", "birthDateRaw", "address",
               "address2", "city", "state", "country", "culture", "fullName", "gender",
               "language", "mailAddress", "nickname", "postalCode", "timeZone", "salt",
               "passwordHash", "digestHa1Hash", "roles", "permissions", "createdDate",
               "modifiedDate", "invalidLoginAttempts", "lastLoginAttempt", "lockedDate",
               "recoveryToken", "refId", "refIdStr", "meta"]
SS_PASCAL = [n[0].upper() + n[1:] for n in SS_USERAUTH]
SS_SECRETS = ("salt", "passwordHash", "digestHa1Hash")

# The page's sample request exactly as printed, with the e-mail to fill in.
SS_SEED_JSV = """{
eMail: %s,
responseStatus:
{
errorCode: String,
message: String,
stackTrace: String,
errors:
[
{
errorCode: String,
fieldName: String,
message: String,
meta:
{
String: String
}
}
],
meta:
{
String: String
}
}
}"""


def jsv_parse(text):
    """A JSV reader (FORMATS.md §2.2, whitespace-tolerant as §2.3)."""
    pos = [0]

    def ws():
        while pos[0] < len(text) and text[pos[0]] in " \t\r\n":
            pos[0] += 1

    def scalar():
        ws()
        if text[pos[0]] == '"':
            out, i = [], pos[0] + 1
            while True:
                j = text.index('"', i)
                out.append(text[i:j])
                if j + 1 < len(text) and text[j + 1] == '"':
                    out.append('"')
                    i = j + 2
                    continue
                pos[0] = j + 1
                return "".join(out)
        start = pos[0]
        while pos[0] < len(text) and text[pos[0]] not in ",}]":
            pos[0] += 1
        return text[start:pos[0]].strip()

    def value():
        ws()
        c = text[pos[0]]
        if c == "{":
            pos[0] += 1
            obj = {}
            ws()
            if text[pos[0]] == "}":
                pos[0] += 1
                return obj
            while True:
                ws()
                k = text.index(":", pos[0])
                key = text[pos[0]:k].strip()
                pos[0] = k + 1
                check(key not in obj, f"JSV: duplicate key {key}")
                obj[key] = value()
                ws()
                c = text[pos[0]]
                pos[0] += 1
                if c == "}":
                    return obj
                check(c == ",", f"JSV: expected , or }} at {pos[0]}")
        if c == "[":
            pos[0] += 1
            arr = []
            ws()
            if text[pos[0]] == "]":
                pos[0] += 1
                return arr
            while True:
                arr.append(value())
                ws()
                c = text[pos[0]]
                pos[0] += 1
                if c == "]":
                    return arr
                check(c == ",", f"JSV: expected , or ] at {pos[0]}")
        return scalar()

    v = value()
    ws()
    check(pos[0] == len(text), f"JSV: trailing data at {pos[0]}")
    return v


def jsv_quote(s):
    """A JSV string as ServiceStack writes it (quoted when it must be)."""
    if s == "" or any(c in s for c in '",:{}[]\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def ss_email():
    return unique("ss").lower() + "@example.com"


def ss(body=None, ctype="application/json", path=SS_PATH, token="default", headers=None,
       tenant=TENANT_A):
    h = {"X-Tenant-Id": tenant} if tenant else {}
    h.update(headers or {})
    return request("POST", path, body, token=token, ctype=ctype, headers=h)


def ss_json_user(r):
    eq(r.status, 200, f"status ({r!r})")
    eq(r.header("Content-Type"), "application/json; charset=utf-8", "Content-Type")
    b = r.json()
    keys = list(json.loads(r.body, object_pairs_hook=lambda p: p))
    keys = [k for k, _ in keys]
    eq(keys, [k for k in SS_USERAUTH if k in b], "members in UserAuth's order")
    if b.get("recoveryToken"):
        ALL_TOKENS.append(b["recoveryToken"])
    return b


def ss_error(r, status, code, fmt="json", field=None):
    """Asserts a ServiceStack ErrorResponse in format fmt; returns it as a dict."""
    eq(r.status, status, f"status ({r!r})")
    body = r.body.decode()
    if fmt == "json":
        eq(r.header("Content-Type"), "application/json; charset=utf-8", "Content-Type")
        rs = r.json()["responseStatus"]
    elif fmt == "jsv":
        check(r.header("Content-Type") in ("application/jsv", "text/jsv"),
              f"Content-Type {r.header('Content-Type')}")
        rs = jsv_parse(body)["responseStatus"]
    elif fmt == "csv":
        eq(r.header("Content-Type"), "text/csv", "Content-Type")
        rows = list(_csv.reader(_io.StringIO(body, newline="")))
        eq(rows[0], ["ResponseStatus"], "CSV header")
        rs = jsv_parse(rows[1][0])
    else:
        eq(r.header("Content-Type"), "application/xml", "Content-Type")
        check(body.startswith('<?xml version="1.0" encoding="utf-8"?>'), "XML declaration")
        root = _ET.fromstring(r.body)
        eq(root.tag, "{%s}ErrorResponse" % SS_NS, "root")
        st = root.find("{%s}ResponseStatus" % SS_NS)
        eq([c.tag.split("}")[1] for c in st],
           ["ErrorCode", "Message", "StackTrace", "Errors", "Meta"], "DataMember order")
        rs = {"errorCode": st.findtext("{%s}ErrorCode" % SS_NS),
              "message": st.findtext("{%s}Message" % SS_NS),
              "errors": [{"errorCode": e.findtext("{%s}ErrorCode" % SS_NS),
                          "fieldName": e.findtext("{%s}FieldName" % SS_NS),
                          "message": e.findtext("{%s}Message" % SS_NS)}
                         for e in st.find("{%s}Errors" % SS_NS)]}
    eq(rs.get("errorCode"), code, f"errorCode ({rs})")
    check(isinstance(rs.get("message"), str) and rs["message"], f"message {rs}")
    check("stackTrace" not in rs or rs["stackTrace"] is None, "no stack trace")
    check(isinstance(rs.get("errors"), list), f"errors list {rs}")
    if field is not None:
        eq([(e["errorCode"], e["fieldName"]) for e in rs["errors"]], [(code, field)], "errors")
    return rs


def ss_user_row(email):
    rows = psql(f"SELECT row_to_json(u) FROM users u WHERE tenant_id = {lit(TENANT_A)} "
                f"AND lower(email) = lower({lit(email)})")
    check(len(rows) == 1, f"users rows for {email}: {len(rows)}")
    return json.loads(rows[0])


def ss_default_group(tenant=TENANT_A):
    return sql_one(f"SELECT id FROM groups WHERE tenant_id = {lit(tenant)} AND kind = 'user' "
                   "AND is_default")


ROUTE_CALLS[("POST", SS_PATH)] = lambda t: ("POST", SS_PATH, {"eMail": ss_email()}, 200)


@test
def ss_invite_racing_a_first_invite_renews_it():
    """Two invites of one new e-mail at once: the second waits for the
    first at the user's row, then renews the invite the first made (one
    pending invite, one working token), as for two in turn."""
    email = ss_email()
    grp = ss_default_group()
    uid = f"(SELECT id FROM users WHERE tenant_id = {lit(TENANT_A)} AND email = {lit(email)})"
    r, _ = request_behind([
        f"INSERT INTO users (tenant_id, id, username, email, is_active) VALUES "
        f"({lit(TENANT_A)}, gen_random_uuid(), {lit(email)}, {lit(email)}, false)",
        f"INSERT INTO invites (tenant_id, id, group_id, user_id, email, token_hash, "
        f"expires_at) VALUES ({lit(TENANT_A)}, gen_random_uuid(), {lit(grp)}, {uid}, "
        f"{lit(email)}, sha256(convert_to({lit(email)}, 'UTF8')), now() + interval '1 day')"],
        "POST", SS_PATH, {"eMail": email.upper()}, headers={"X-Tenant-Id": TENANT_A})
    eq(r.status, 200, f"the second invite ({r!r})")
    rows = psql(f"SELECT token_hash <> sha256(convert_to({lit(email)}, 'UTF8')) FROM invites "
                f"WHERE tenant_id = {lit(TENANT_A)} AND lower(email) = lower({lit(email)}) "
                f"AND accepted_at IS NULL AND revoked_at IS NULL")
    eq(rows, ["t"], "one pending invite, its token renewed")
    eq(sql_one(f"SELECT string_agg(action, ',') FROM audit_log WHERE tenant_id = "
               f"{lit(TENANT_A)} AND action LIKE 'invite.%' AND detail->>'email' = "
               f"{lit(email)}"), "invite.renew", "the second request's audit row")


@test
def ss_seed_jsv_sample_as_printed_with_real_email():
    email = ss_email()
    r = ss(SS_SEED_JSV % email, ctype="text/jsv", headers={"Accept": "text/jsv"})
    eq(r.status, 200, f"status ({r!r})")
    eq(r.header("Content-Type"), "text/jsv", "Content-Type (the page's contract)")
    text = r.body.decode()
    check("\n" not in text and ": " not in text, "compact JSV")
    u = jsv_parse(text)
    check(set(u) <= set(SS_USERAUTH), f"names not on the page: {set(u) - set(SS_USERAUTH)}")
    eq(list(u), [k for k in SS_USERAUTH if k in u], "UserAuth order")
    row = ss_user_row(email)
    eq(u["id"], str(row["num"]), "id: the user's integer")
    eq((u["userName"], u["email"]), (email, email), "userName, email")
    eq((u["roles"], u["permissions"]), ([], []), "roles, permissions")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{7})?Z$", u["createdDate"]),
          f"createdDate in JSV form: {u['createdDate']}")
    eq(u["invalidLoginAttempts"], "0", "invalidLoginAttempts")
    for k in SS_SECRETS:
        check(k not in u, f"{k} sent")
    tok = u["recoveryToken"]
    ALL_TOKENS.append(tok)
    eq(sql_one(f"SELECT encode(token_hash, 'hex') FROM invites WHERE tenant_id = "
               f"{lit(TENANT_A)} AND lower(email) = {lit(email)}"),
       _hashlib.sha256(tok.encode()).hexdigest(), "only the token's SHA-256 is stored")
    eq((row["is_active"], row["password"], row["verified"]), (False, None, False),
       "a new e-mail is a user in the invited state")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE user_id = {lit(row['id'])} "
               f"AND group_id = {lit(ss_default_group())}"), "1", "in the default user group")
    # Seven days from its creation (measured in the row: no wall clock).
    days = float(sql_one(f"SELECT extract(epoch FROM expires_at - created_at) / 86400 "
                         f"FROM invites WHERE user_id = {lit(row['id'])}"))
    check(abs(days - 7.0) < 1 / 86400, f"expires 7 days after its creation: {days}")
    eq(audit_rows_mentioning(TENANT_A, row["id"]), 1, "one audit row")


@test
def ss_same_request_in_json_jsv_xml_form():
    bodies = [
        ("application/json", lambda e: json.dumps({"eMail": e})),
        ("application/json", lambda e: json.dumps({"EMAIL": e, "responseStatus": None})),
        ("text/jsv", lambda e: "{eMail:%s}" % jsv_quote(e)),
        ("application/jsv", lambda e: "{ email : %s }" % jsv_quote(e)),
        ("application/xml", lambda e: f'<UserGroupUserInvite xmlns="{SS_NS}"><EMail>{e}</EMail>'
                                      '</UserGroupUserInvite>'),
        ("text/xml", lambda e: '<?xml version="1.0" encoding="utf-8"?><UserGroupUserInvite '
                               'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
                               'xmlns="http://schemas.datacontract.org/2004/07/Sfg.Api">'
                               f'<EMail>{e}</EMail><ResponseStatus i:nil="true" />'
                               '</UserGroupUserInvite>'),
        ("application/x-www-form-urlencoded", lambda e: "eMail=" + e.replace("@", "%40")),
        ("application/x-www-form-urlencoded; charset=utf-8",
         lambda e: "EMail=" + e.replace("@", "%40") + "&ResponseStatus="),
    ]
    for ctype, make in bodies:
        email = ss_email()
        b = ss_json_user(ss(make(email), ctype=ctype))
        eq(b["email"], email, f"{ctype}: email")
        ss_user_row(email)


@test
def ss_response_formats_by_suffix_format_and_accept():
    ways = [
        ("json", {"path": SS_PATH + ".json"}), ("jsv", {"path": SS_PATH + ".jsv"}),
        ("xml", {"path": SS_PATH + ".xml"}), ("csv", {"path": SS_PATH + ".csv"}),
        ("json", {"path": SS_PATH + "?format=json"}), ("jsv", {"path": SS_PATH + "?format=jsv"}),
        ("xml", {"path": SS_PATH + "?format=xml"}), ("csv", {"path": SS_PATH + "?format=csv"}),
        ("json", {"headers": {"Accept": "application/json"}}),
        ("jsv", {"headers": {"Accept": "application/jsv"}}),
        ("jsv", {"headers": {"Accept": "text/jsv"}}),
        ("xml", {"headers": {"Accept": "application/xml"}}),
        ("xml", {"headers": {"Accept": "text/xml"}}),
        ("csv", {"headers": {"Accept": "text/csv"}}),
        ("xml", {"path": SS_PATH + ".xml?format=csv", "headers": {"Accept": "text/jsv"}}),
        ("csv", {"path": SS_PATH + "?format=csv", "headers": {"Accept": "application/xml"}}),
    ]
    for fmt, kw in ways:
        email = ss_email()
        r = ss({"eMail": email}, **kw)
        eq(r.status, 200, f"{fmt} {kw}: status ({r!r})")
        eq(r.header("Vary"), "Accept", "Vary")
        row = ss_user_row(email)
        if fmt == "json":
            b = ss_json_user(r)
            eq(b["id"], row["num"], "id is a JSON number")
            check(re.match(rb'.*"createdDate":"\\/Date\(\d+\)\\/"', r.body),
                  f"\\/Date(ms)\\/: {r.body[:400]!r}")
            eq((b["roles"], b["permissions"]), ([], []), "roles [] and permissions []")
            check(all(k not in b for k in SS_SECRETS), "secrets")
            check(None not in b.values(), "nulls omitted")
        elif fmt == "jsv":
            u = jsv_parse(r.body.decode())
            eq(u["email"], email, "JSV email")
            want = "text/jsv" if kw.get("headers", {}).get("Accept") == "text/jsv" \
                else "application/jsv"
            eq(r.header("Content-Type"), want, "JSV Content-Type")
        elif fmt == "xml":
            ss_check_xml_user(r, email, row)
        else:
            ss_check_csv_user(r, email, row)


def ss_check_xml_user(r, email, row):
    eq(r.header("Content-Type"), "application/xml", "Content-Type")
    check(r.body.startswith(b'<?xml version="1.0" encoding="utf-8"?><UserAuth '),
          f"declaration and root: {r.body[:80]!r}")
    p = _subprocess.run(["xmllint", "--noout", "-"], input=r.body, capture_output=True,
                        timeout=60)
    eq(p.returncode, 0, f"xmllint: {p.stderr!r}")
    root = _ET.fromstring(r.body)
    eq(root.tag, "{%s}UserAuth" % SS_NS, "root element")
    names = [c.tag.split("}")[1] for c in root]
    eq(names, sorted(SS_PASCAL), "every member, in DataContractSerializer's (ordinal) order")
    get = lambda n: root.find("{%s}%s" % (SS_NS, n))
    eq(get("Email").text, email, "Email")
    eq(get("Id").text, str(row["num"]), "Id")
    for n in ("Salt", "PasswordHash", "DigestHa1Hash", "BirthDate", "Meta"):
        eq(get(n).get("{%s}nil" % SS_I), "true", f"{n} nil")
    eq(list(get("Roles")), [], "Roles empty")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$", get("CreatedDate").text),
          f"xs:dateTime {get('CreatedDate').text}")
    ALL_TOKENS.append(get("RecoveryToken").text)


def ss_check_csv_user(r, email, row):
    eq(r.header("Content-Type"), "text/csv", "Content-Type")
    eq(r.header("Content-Disposition"), 'attachment;filename="UserGroupUserInvite.csv"',
       "Content-Disposition")
    body = r.body.decode()
    check(body.endswith("\r\n") and body.count("\r\n") == 2, f"two CRLF rows: {body!r}")
    rows = list(_csv.reader(_io.StringIO(body, newline="")))
    eq(len(rows), 2, "header and one data row")
    eq(rows[0], SS_PASCAL, "header: the PascalCase names in declaration order")
    cell = dict(zip(rows[0], rows[1]))
    eq((cell["Email"], cell["Id"], cell["Roles"], cell["Permissions"]),
       (email, str(row["num"]), "[]", "[]"), "cells")
    check('"[]"' in body, "lists quoted (they start with [)")
    eq((cell["Salt"], cell["PasswordHash"], cell["DigestHa1Hash"]), ("", "", ""), "secrets")
    ALL_TOKENS.append(cell["RecoveryToken"])


@test
def ss_reinvite_renews_without_duplicates():
    email = ss_email()
    first = ss_json_user(ss({"eMail": email}))
    before = snapshot()
    again = ss_json_user(ss({"eMail": email.upper()}))
    after = snapshot()
    eq(again["id"], first["id"], "the same user")
    check(again["recoveryToken"] != first["recoveryToken"], "a new token")
    for t in ("users", "group_members", "invites"):
        eq(after[t], before[t], f"no new {t} row")
    eq(int(after["audit_log"]) - int(before["audit_log"]), 1, "one audit row (renew)")
    uid = ss_user_row(email)["id"]
    eq(sql_one(f"SELECT encode(token_hash, 'hex') FROM invites WHERE user_id = {lit(uid)}"),
       _hashlib.sha256(again["recoveryToken"].encode()).hexdigest(), "the new token's hash")
    # The old token is dead, the new one accepts (rosterd's own accept).
    with NothingWritten():
        eq(v1("POST", "/invites/accept", {"token": first["recoveryToken"],
                                          "password": "pw-123456"}, token=None).status, 410,
           "old token")
    r = v1("POST", "/invites/accept", {"token": again["recoveryToken"], "password": "pw-123456"},
           token=None)
    eq(r.status, 200, f"accept ({r!r})")
    eq(ss_user_row(email)["is_active"], True, "active after accepting")
    # Inviting an active user again: the same user, one membership.
    third = ss_json_user(ss({"eMail": email}))
    eq(third["id"], first["id"], "still the same user")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE user_id = {lit(uid)}"), "1",
       "one membership")


@test
def ss_existing_user_and_named_groups():
    u = v1_user(firstName="Ada", lastName="Lovelace", displayName='A "quoted", [odd] {name}: x',
                phone="+44 20 7946 0000")
    r = ss({"eMail": u["email"]}, path=SS_PATH + ".csv")
    eq(r.status, 200, f"status ({r!r})")
    cell = dict(zip(*list(_csv.reader(_io.StringIO(r.body.decode(), newline="")))))
    eq((cell["DisplayName"], cell["FirstName"], cell["PhoneNumber"]),
       ('A "quoted", [odd] {name}: x', "Ada", "+44 20 7946 0000"), "CSV-hostile values round trip")
    ALL_TOKENS.append(cell["RecoveryToken"])
    b = jsv_parse(ss({"eMail": u["email"]}, path=SS_PATH + ".jsv").body.decode())
    eq(b["displayName"], 'A "quoted", [odd] {name}: x', "JSV-hostile value round trips")
    ALL_TOKENS.append(b["recoveryToken"])
    g = v1_group(kind="user", code=unique("Team"))
    e1, e2 = ss_email(), ss_email()
    ss_json_user(ss({"eMail": e1, "userGroupId": g["id"]}))
    ss_json_user(ss("{eMail:%s,groupCode:%s}" % (e2, g["code"].upper()), ctype="text/jsv"))
    for e in (e1, e2):
        uid = ss_user_row(e)["id"]
        eq(psql(f"SELECT group_id FROM group_members WHERE user_id = {lit(uid)}"), [g["id"]],
           f"{e}: in the named group only")
    # Role names come back as roles.
    role = v1_role()
    eq(v1("PUT", f"/tenants/{TENANT_A}/users/{u['id']}/roles/{role['id']}").status, 201,
       "assign")
    b = ss_json_user(ss({"eMail": u["email"]}))
    eq(b["roles"], [role["name"]], "roles")


@test
def ss_errors_in_every_format_nothing_written():
    admin_group = v1_group(kind="admin")
    with NothingWritten():
        for fmt, path in (("json", SS_PATH), ("jsv", SS_PATH + ".jsv"),
                          ("xml", SS_PATH + ".xml"), ("csv", SS_PATH + "?format=csv")):
            rs = ss_error(ss({}, path=path), 400, "NotEmpty", fmt, "EMail")
            eq(rs["message"], "'E Mail' must not be empty.", "NotEmpty message")
            rs = ss_error(ss({"eMail": "not-an-address"}, path=path), 400, "Email", fmt, "EMail")
            eq(rs["message"], "'E Mail' is not a valid email address.", "Email message")
            ss_error(ss({"eMail": ss_email(), "userGroupId": str(uuid.uuid4())}, path=path), 404,
                     "NotFound", fmt)
            ss_error(ss(None, path=path, token=None), 401, "Unauthorized", fmt)
            tadmin = py_token(roles=("TenantAdmin",))
            rs = ss_error(ss({"eMail": ss_email()}, path=path, token=tadmin), 403, "Forbidden",
                          fmt)
            eq(rs["message"], "Invalid Role", "403 message")
        r = ss(None, token=None)
        check((r.header("WWW-Authenticate") or "").startswith("Bearer"), "WWW-Authenticate")
        ss_error(ss(None, token="garbage"), 401, "Unauthorized")
        ss_error(ss(SS_SEED_JSV % "String", ctype="text/jsv"), 400, "Email", field="EMail")
        ss_error(ss("   ", ctype="text/jsv"), 400, "SerializationException")
        ss_error(ss("{eMail:a@b.example", ctype="text/jsv"), 400, "SerializationException")
        ss_error(ss("{eMail:\"a@b.example}", ctype="text/jsv"), 400, "SerializationException")
        ss_error(ss("[" * 5000 + "]" * 5000, ctype="text/jsv"), 400, "SerializationException")
        ss_error(ss("{a:" * 3000 + "1" + "}" * 3000, ctype="application/jsv"), 400,
                 "SerializationException")
        ss_error(ss('{"eMail":', ctype="application/json"), 400, "SerializationException")
        ss_error(ss("[1,2]", ctype="application/json"), 400, "SerializationException")
        ss_error(ss("<x/>", ctype="application/xml"), 400, "SerializationException")
        ss_error(ss('<!DOCTYPE x [<!ENTITY a "b">]><UserGroupUserInvite xmlns="' + SS_NS +
                    '"><EMail>&a;</EMail></UserGroupUserInvite>', ctype="application/xml"),
                 400, "SerializationException")
        ss_error(ss("eMail=%zz", ctype="application/x-www-form-urlencoded"), 400,
                 "SerializationException")
        # text/plain is read as JSON (JsonApiClient's label for its JSON)
        ss_error(ss("eMail=x", ctype="text/plain"), 400, "SerializationException")
        ss_error(ss("eMail=x", ctype="text/html"), 415, "UnsupportedMediaType")
        ss_error(ss({"eMail": ss_email(), "userGroupId": "nope"}), 400, "SerializationException",
                 field="UserGroupId")
        ss_error(ss({"eMail": ss_email(), "groupCode": "no-such-code"}), 404, "NotFound")
        ss_error(ss({"eMail": ss_email(), "groupCode": "x" * 500}), 404, "NotFound")
        ss_error(ss({"eMail": ss_email(), "userGroupId": admin_group["id"]}), 404, "NotFound")
        ss_error(ss({"eMail": ss_email()}, tenant=str(uuid.uuid4())), 404, "NotFound")
        ss_error(ss({"eMail": ss_email()}, tenant=None,
                    token=ctl_token("it-ss-notid", ["SystemAdmin"])), 400,
                 "ArgumentNullException")
        ss_error(ss({"eMail": "a" * 300 + "@example.com"}), 400, "Email", field="EMail")
        r = ss({"eMail": ss_email()}, path=SS_PATH + ".xml",
               token=py_token(roles=("TenantReader",)))
        check(b"<ErrorCode>Forbidden</ErrorCode>" in r.body, f"403 in XML: {r.body!r}")
        # the wrong method and an unknown suffix, in ServiceStack's shape
        r = request("GET", SS_PATH + ".json")
        ss_error(r, 405, "MethodNotAllowed")
    # a username taken by another user: a conflict, never a second user
    e = ss_email()
    v1_user(username=e, email=ss_email())
    with NothingWritten():
        ss_error(ss({"eMail": e}), 409, "Conflict")


@test
def ss_idempotency_key_replay_has_no_token():
    key = "idem-" + unique("ss")
    email = ss_email()
    first = ss({"eMail": email}, headers={"Idempotency-Key": key})
    b = ss_json_user(first)
    with NothingWritten():
        again = ss({"eMail": email}, headers={"Idempotency-Key": key})
        eq(again.header("Idempotent-Replayed"), "true", "replayed")
        want = {k: v for k, v in b.items() if k != "recoveryToken"}
        eq(again.json(), want, "the replay has no recoveryToken")


# --------------------------------------------------------------------------
# Seed 002: Kibo admin groups

KIBO_GROUP_KEYS = ["groupCode", "scopeTypeId", "scopeId", "name", "description", "users",
                   "auditInfo"]
KIBO_USER_KEYS = ["emailAddress", "userName", "phoneNumber", "externalId", "localeCode",
                  "firstName", "lastName", "password", "optInToEmail", "optInToTextMessage",
                  "id", "systemData", "roles", "isActive", "identityProviderId"]


def kibo_path(code, op="addusers", query=""):
    return f"/platform/adminuser/groups/{code}/{op}{query}"


def kibo(code, ids, op="addusers", query="", token="default", tenant=TENANT_A, **kw):
    h = {"X-Tenant-Id": tenant} if tenant else {}
    h.update(kw.pop("headers", {}))
    return request("POST", kibo_path(code, op, query), ids, token=token, headers=h, **kw)


def kibo_admin_group(tenant=TENANT_A):
    return v1_group(tenant, kind="admin", code=unique("Adm"),
                    description="Administrators of the store")


def kibo_error(r, status, code):
    eq(r.status, status, f"status ({r!r})")
    check(r.header("x-vol-correlation"), "x-vol-correlation header")
    b = r.json()
    eq(list(b), ["message", "errorCode", "applicationName", "additionalErrorData", "items"],
       "Kibo error members")
    eq(b["errorCode"], code, "errorCode")
    check("exceptionDetail" not in b, "exceptionDetail")
    return b


ROUTE_CALLS[("POST", "/platform/adminuser/groups/{groupCode}/addusers")] = \
    lambda t: ("POST", kibo_path(kibo_admin_group(t)["code"]), [v1_user(t)["id"]], 200)
ROUTE_CALLS[("POST", "/platform/adminuser/groups/{groupCode}/removeusers")] = \
    lambda t: ("POST", kibo_path(kibo_admin_group(t)["code"], "removeusers"),
               [v1_user(t)["id"]], 200)


@test
def kibo_addusers_answers_the_admin_group():
    g = kibo_admin_group()
    u1 = v1_user(firstName="Grace", lastName="Hopper")
    u2 = v1_user()
    role = v1_role()
    eq(v1("PUT", f"/tenants/{TENANT_A}/users/{u1['id']}/roles/{role['id']}").status, 201,
       "assign")
    r = kibo(g["code"].lower(), [u1["id"], u2["id"].upper(), u1["id"]])
    eq(r.status, 200, f"status ({r!r})")
    eq(r.header("Content-Type"), "application/json; charset=utf-8", "Content-Type")
    check(r.header("x-vol-correlation"), "x-vol-correlation")
    eq(r.body.decode(), json.dumps(r.json(), separators=(",", ":"), ensure_ascii=False),
       "compact JSON")
    pairs = json.loads(r.body, object_pairs_hook=lambda p: p)
    eq([k for k, _ in pairs], KIBO_GROUP_KEYS, "AdminGroup in the spec's order")
    b = r.json()
    eq((b["groupCode"], b["name"], b["description"], b["scopeTypeId"], b["scopeId"]),
       (g["code"], g["name"], "Administrators of the store", 0, 0), "group")
    eq(sorted(x["id"] for x in b["users"]), sorted([u1["id"], u2["id"]]), "users")
    users = {x["id"]: x for x in b["users"]}
    first = [k for k, _ in dict(pairs)["users"][0]]
    eq(first, KIBO_USER_KEYS, "User in the spec's order")
    x = users[u1["id"]]
    eq((x["emailAddress"], x["userName"], x["firstName"], x["password"], x["isActive"]),
       (u1["email"], u1["username"], "Grace", None, True), "user fields")
    eq([(ro["roleName"], ro["userId"], ro["assignedInScope"]["type"]) for ro in x["roles"]],
       [(role["name"], u1["id"], "Tenant")], "roles with assignedInScope")
    eq(x["roles"][0]["roleId"], role["number"], "roleId is the role's number")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", x["systemData"]["createdOn"]),
          "ISO dates")
    eq(sorted(b["auditInfo"]), ["createBy", "createDate", "updateBy", "updateDate"],
       "auditInfo")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(g['id'])}"), "2",
       "membership rows")
    # a re-add is a no-op
    with NothingWritten():
        r2 = kibo(g["code"], [u2["id"], u1["id"]])
        eq(r2.status, 200, "re-add")
        eq(r2.json(), b, "the same group")
        r3 = kibo(g["code"], [])
        eq(r3.json(), b, "an empty list changes nothing")
    # responseFields
    r = kibo(g["code"], [u1["id"]], query="?responseFields=groupCode,users(id,emailAddress)")
    eq(r.status, 200, f"responseFields ({r!r})")
    eq(r.json(), {"groupCode": g["code"],
                  "users": [{"emailAddress": y["emailAddress"], "id": y["id"]}
                            for y in b["users"]]}, "exactly the selected fields")
    r = kibo(g["code"], [], query="?responseFields=users%28roles%28roleName%29%29")
    eq(r.json(), {"users": [{"roles": [{"roleName": ro["roleName"]} for ro in y["roles"]]}
                            for y in b["users"]]}, "percent-encoded nested selection")
    # removeusers
    r = kibo(g["code"], [u1["id"]], op="removeusers")
    eq(r.status, 200, f"remove ({r!r})")
    eq([y["id"] for y in r.json()["users"]], [u2["id"]], "u1 removed")
    with NothingWritten():
        eq(kibo(g["code"], [u1["id"]], op="removeusers").status, 200, "remove again: no-op")


@test
def kibo_errors_nothing_written():
    g = kibo_admin_group()
    u = v1_user()
    user_group = v1_group(kind="user", code=unique("NotAdmin"))
    unknown = [str(uuid.uuid4()), str(uuid.uuid4())]
    with NothingWritten():
        b = kibo_error(kibo(g["code"], [unknown[0], u["id"], "not-a-uuid", unknown[1]]), 400,
                       "MISSING_OR_INVALID_PARAMETER")
        eq(b["additionalErrorData"], [{"name": "UserId", "value": v}
                                      for v in (unknown[0], "not-a-uuid", unknown[1])],
           "every bad id, in request order")
        kibo_error(kibo(g["code"], [u["id"]], op="removeusers", tenant=None,
                        token=ctl_token("it-kibo-notid", ["SystemAdmin"])), 400,
                   "MISSING_OR_INVALID_PARAMETER")
        kibo_error(kibo("no-such-group", [u["id"]]), 404, "ITEM_NOT_FOUND")
        kibo_error(kibo(user_group["code"], [u["id"]]), 404, "ITEM_NOT_FOUND")
        kibo_error(kibo("x" * 300, [u["id"]]), 404, "ITEM_NOT_FOUND")
        kibo_error(kibo(g["code"], [u["id"]], tenant=TENANT_B), 404, "ITEM_NOT_FOUND")
        for body in ({"userIds": [u["id"]]}, [1, 2], [None], "x", [[u["id"]]]):
            kibo_error(kibo(g["code"], body), 400, "MISSING_OR_INVALID_PARAMETER")
        for raw in (b"", b"[", b'["a",]', b"{}"):
            kibo_error(kibo(g["code"], raw), 400, "MISSING_OR_INVALID_PARAMETER")
        kibo_error(kibo(g["code"], json.dumps([u["id"]]), ctype="text/plain"), 400,
                   "MISSING_OR_INVALID_PARAMETER")
        for q in ("?responseFields=a,", "?responseFields=users(id", "?responseFields=a%20b",
                  "?responseFields=a&responseFields=b", "?responseFields=%zz"):
            b = kibo_error(kibo(g["code"], [u["id"]], query=q), 400,
                           "MISSING_OR_INVALID_PARAMETER")
            eq(b["additionalErrorData"], [{"name": "ParameterName", "value": "responseFields"}],
               f"{q}: names responseFields")
        b = kibo_error(kibo(g["code"], [u["id"]], token=None), 401, "UNAUTHORIZED")
        r = kibo(g["code"], [u["id"]], token=None)
        check((r.header("WWW-Authenticate") or "").startswith("Bearer"), "WWW-Authenticate")
        kibo_error(kibo(g["code"], [u["id"]], token=py_token(roles=("TenantReader",))), 403,
                   "FORBIDDEN")
        kibo_error(kibo(g["code"], [u["id"]], token=py_token(roles=("TenantAdmin",),
                                                            tid=TENANT_B)), 403, "FORBIDDEN")
        kibo_error(kibo(g["code"], [str(uuid.uuid4())] * 10001), 400,
                   "MISSING_OR_INVALID_PARAMETER")
        kibo_error(request("GET", kibo_path(g["code"])), 405, "METHOD_NOT_ALLOWED")
        kibo_error(request("POST", "/platform/adminuser/nothing", []), 404, "ITEM_NOT_FOUND")
    # a TenantAdmin of the tenant may, with or without X-Tenant-Id
    tok = py_token(roles=("TenantAdmin",), tid=TENANT_A)
    eq(kibo(g["code"], [u["id"]], token=tok, tenant=None).status, 200, "TenantAdmin")


@test
def kibo_10000_ids_one_statement_all_or_nothing():
    t = v1_tenant()["id"]
    g = kibo_admin_group(t)
    psql(f"INSERT INTO users (tenant_id, id, username, email) SELECT {lit(t)}, "
         f"gen_random_uuid(), 'k' || i, 'k' || i || '@example.com' "
         f"FROM generate_series(1, 10000) i")
    ids = psql(f"SELECT id FROM users WHERE tenant_id = {lit(t)} ORDER BY username")
    eq(len(ids), 10000, "users made")
    bad = str(uuid.uuid4())
    with NothingWritten():
        r = kibo(g["code"], ids[:5000] + [bad] + ids[5000:9999], tenant=t)
        b = kibo_error(r, 400, "MISSING_OR_INVALID_PARAMETER")
        eq(b["additionalErrorData"], [{"name": "UserId", "value": bad}], "the one bad id")
    start = time.monotonic()
    r = kibo(g["code"], ids, tenant=t, query="?responseFields=groupCode,users(id)")
    took = time.monotonic() - start
    eq(r.status, 200, f"10,000 ids ({r.status} {r.body[:200]!r})")
    eq(sorted(x["id"] for x in r.json()["users"]), sorted(ids), "all members")
    eq(sql_one(f"SELECT count(*) FROM group_members WHERE group_id = {lit(g['id'])}"), "10000",
       "membership rows")
    eq(sql_one(f"SELECT count(*) FROM audit_log WHERE tenant_id = {lit(t)} "
               f"AND action = 'group.members.add'"), "1", "one audit row: one statement")
    r = kibo(g["code"], [], tenant=t)
    eq((r.status, len(r.json()["users"])), (200, 10000), "the whole group, unfiltered")
    print(f"# kibo addusers of 10,000 ids: {took * 1000:.0f} ms", flush=True)


# ---- the vendors' client libraries' paths (plain HTTP here; the libraries
# themselves in tests/clients/vendor) ----

# ServiceStack's predefined routes: /api/{Request} (ServiceStack 6's, the
# default of @servicestack/client) and /{format}/reply/{Request} (classic).
SS_API_PATH = "/api/UserGroupUserInvite"
SS_REPLY = {f: f"/{f}/reply/UserGroupUserInvite" for f in ("json", "jsv", "xml", "csv")}

ROUTE_CALLS[("POST", SS_API_PATH)] = lambda t: ("POST", SS_API_PATH, {"eMail": ss_email()}, 200)
# (?format=json overrides the path's format, so that the refusal table's
# JSON checks apply; the path's own formats are tested below)
for _f, _p in SS_REPLY.items():
    ROUTE_CALLS[("POST", _p)] = (lambda p: lambda t: ("POST", p + "?format=json",
                                                      {"eMail": ss_email()}, 200))(_p)
ROUTE_CALLS[("POST", "/api/platform/adminuser/groups/{groupCode}/addusers")] = \
    lambda t: ("POST", "/api" + kibo_path(kibo_admin_group(t)["code"]), [v1_user(t)["id"]], 200)
ROUTE_CALLS[("POST", "/api/platform/adminuser/groups/{groupCode}/removeusers")] = \
    lambda t: ("POST", "/api" + kibo_path(kibo_admin_group(t)["code"], "removeusers"),
               [v1_user(t)["id"]], 200)


@test
def ss_predefined_routes_serve_the_invite():
    # /api/{Request}: any case; the response negotiated as on the custom route
    for path in (SS_API_PATH, "/api/usergroupuserinvite", "/API/USERGROUPUSERINVITE/"):
        email = ss_email()
        b = ss_json_user(ss({"eMail": email}, path=path))
        eq(b["email"], email, f"{path}: email")
        ss_user_row(email)
    email = ss_email()
    ss_check_xml_user(ss({"eMail": email}, path=SS_API_PATH,
                         headers={"Accept": "application/xml"}), email, ss_user_row(email))
    # /{format}/reply/{Request}: the path's format, whatever Accept says
    for fmt, path in SS_REPLY.items():
        for p in (path, path.upper().replace("USERGROUPUSERINVITE", "usergroupuserinvite")):
            email = ss_email()
            r = ss({"eMail": email}, path=p, headers={"Accept": "application/xml"
                                                     if fmt != "xml" else "application/json"})
            eq(r.status, 200, f"{p}: status ({r!r})")
            row = ss_user_row(email)
            if fmt == "json":
                eq(ss_json_user(r)["email"], email, f"{p}: email")
            elif fmt == "jsv":
                eq(r.header("Content-Type"), "text/jsv", f"{p}: JsvReplyHandler's text/jsv")
                eq(jsv_parse(r.body.decode())["email"], email, f"{p}: email")
            elif fmt == "xml":
                ss_check_xml_user(r, email, row)
            else:
                ss_check_csv_user(r, email, row)
    # ?format= overrides the path's format, as in ServiceStack's GenericHandler
    email = ss_email()
    ss_check_csv_user(ss({"eMail": email}, path=SS_REPLY["xml"] + "?format=csv"), email,
                      ss_user_row(email))


@test
def ss_unlabelled_and_text_plain_bodies():
    # JsonApiClient sends its JSON without a Content-Type: fetch labels it
    # text/plain. Read in the route's own format: JSON on /api/{Request} and
    # the custom route, the path's on /{format}/reply/.
    for path in (SS_API_PATH, SS_PATH, SS_REPLY["json"], SS_REPLY["csv"]):
        for ctype in ("text/plain;charset=UTF-8", "text/plain", None):
            email = ss_email()
            r = ss(json.dumps({"eMail": email}), ctype=ctype, path=path,
                   headers={"Accept": "application/json"})
            eq(r.status, 200, f"{path} {ctype}: status ({r!r})")
            ss_user_row(email)
    email = ss_email()
    r = ss("{eMail:%s}" % jsv_quote(email), ctype="text/plain", path=SS_REPLY["jsv"])
    eq(jsv_parse(r.body.decode())["email"], email, "JSV body on /jsv/reply/ as text/plain")
    email = ss_email()
    r = ss(f'<UserGroupUserInvite xmlns="{SS_NS}"><EMail>{email}</EMail></UserGroupUserInvite>',
           ctype=None, path=SS_REPLY["xml"])
    ss_check_xml_user(r, email, ss_user_row(email))
    with NothingWritten():
        ss_error(ss("not json", ctype="text/plain", path=SS_API_PATH), 400,
                 "SerializationException")
        ss_error(ss(json.dumps({"eMail": ss_email()}), ctype="text/plain",
                    path=SS_REPLY["xml"]), 400, "SerializationException", fmt="xml")
        ss_error(ss("x", ctype="application/octet-stream", path=SS_API_PATH), 415,
                 "UnsupportedMediaType")


@test
def ss_predefined_routes_errors_in_the_path_format():
    with NothingWritten():
        ss_error(ss({"eMail": ""}, path=SS_API_PATH), 400, "NotEmpty", field="EMail")
        ss_error(ss({"eMail": "x"}, path=SS_REPLY["json"]), 400, "Email", field="EMail")
        ss_error(ss({"eMail": ""}, path=SS_REPLY["jsv"]), 400, "NotEmpty", fmt="jsv",
                 field="EMail")
        ss_error(ss({"eMail": ""}, path=SS_REPLY["xml"]), 400, "NotEmpty", fmt="xml",
                 field="EMail")
        ss_error(ss({"eMail": ""}, path=SS_REPLY["csv"]), 400, "NotEmpty", fmt="csv")
        rs = ss_error(ss({"eMail": ss_email()}, path=SS_REPLY["xml"], token=None), 401,
                      "Unauthorized", fmt="xml")
        eq(rs["message"], "Not Authenticated", "401 message")
        rs = ss_error(ss({"eMail": ss_email()}, path=SS_API_PATH,
                         token=py_token(roles=("TenantAdmin",))), 403, "Forbidden")
        eq(rs["message"], "Invalid Role", "403 message")
        r = request("GET", SS_REPLY["json"])
        ss_error(r, 405, "MethodNotAllowed")
        eq(r.header("Allow"), "POST", "Allow")


@test
def ss_unknown_predefined_paths_404_in_their_shape():
    before = MAIN.log_size()
    with NothingWritten():
        for path, fmt in (("/json/reply/Nope", "json"), ("/jsv/reply/Nope", "jsv"),
                          ("/xml/reply/Nope", "xml"), ("/csv/reply/Nope", "csv"),
                          ("/json/oneway/UserGroupUserInvite", "json"),
                          ("/JSON/Reply/Nope", "json")):
            ss_error(request("POST", path, {"eMail": ss_email()}), 404, "NotFound", fmt=fmt)
        # /api/ stays ASP.NET's prefix: an unknown /api/{Request} is its 404
        for path in ("/api/Nope", "/api/UserGroupUserInvite/extra"):
            message_body(request("POST", path, {"eMail": ss_email()}), 404)
    # rosterd answered them (nginx forwards the predefined routes' prefix)
    seen = [r for r in MAIN.log_records(before) if r.get("route") == "-"]
    check(len(seen) >= 8, f"rosterd did not log the unknown paths: {len(seen)}")
    # other first segments are nginx's 404
    r = request("POST", "/yaml/reply/UserGroupUserInvite", {"eMail": ss_email()})
    eq((r.status, r.header("Content-Type")), (404, "application/problem+json"), "nginx 404")


def kibo_alias(tenant):
    """A Kibo tenant id (a tenant alias of issuer kibo) for tenant."""
    ext = str(100000 + uuid.uuid4().int % 2000000000)
    r = v1("POST", f"/tenants/{tenant}/aliases", {"issuer": "kibo", "externalId": ext})
    eq(r.status, 201, f"alias ({r!r})")
    return ext


def kibo_members(tenant, g):
    r = v1("GET", f"/tenants/{tenant}/groups/{g['id']}/members?limit=100")
    eq(r.status, 200, f"members ({r!r})")
    return sorted(m["userId"] for m in r.json()["items"])


@test
def kibo_api_platform_prefix_and_x_vol_headers():
    g = kibo_admin_group()
    u1, u2 = v1_user(), v1_user()
    vol = {"x-vol-dataview-mode": "Live", "x-vol-version": "1", "x-vol-site": "1"}
    for prefix in ("/api", "/API"):
        r = kibo(g["code"], [u1["id"], u2["id"]], headers=vol)  # /platform
        eq(r.status, 200, f"/platform ({r!r})")
        r = request("POST", prefix + kibo_path(g["code"], "removeusers"), [u1["id"]],
                    headers=dict(vol, **{"X-Tenant-Id": TENANT_A}))
        eq(r.status, 200, f"{prefix}/platform removeusers ({r!r})")
        check(r.header("x-vol-correlation"), "x-vol-correlation")
        eq([x["id"] for x in r.json()["users"]], [u2["id"]], "users after removeusers")
        r = request("POST", prefix + kibo_path(g["code"], query="?responseFields=groupCode"),
                    [u1["id"]], headers=dict(vol, **{"X-Tenant-Id": TENANT_A}))
        eq(r.json(), {"groupCode": g["code"]}, "responseFields")
    eq(kibo_members(TENANT_A, g), sorted([u1["id"], u2["id"]]), "members")
    with NothingWritten():
        kibo_error(request("POST", "/api/platform/adminuser/nothing", []), 404,
                   "ITEM_NOT_FOUND")
        kibo_error(request("POST", "/api/platform/adminuser/groups/x/addusers/y", []), 404,
                   "ITEM_NOT_FOUND")
        kibo_error(request("GET", "/api" + kibo_path(g["code"])), 405, "METHOD_NOT_ALLOWED")
        kibo_error(request("POST", "/api" + kibo_path(g["code"]), [u1["id"]], token=None),
                   401, "UNAUTHORIZED")
        kibo_error(request("POST", "/api" + kibo_path(g["code"]), ["nope"],
                           headers={"X-Tenant-Id": TENANT_A}), 400,
                   "MISSING_OR_INVALID_PARAMETER")


@test
def kibo_x_vol_tenant_names_the_tenant():
    kibo_a = kibo_alias(TENANT_A)
    kibo_b = kibo_alias(TENANT_B)
    ga, gb = kibo_admin_group(TENANT_A), kibo_admin_group(TENANT_B)
    ua, ub = v1_user(TENANT_A), v1_user(TENANT_B)
    notid = ctl_token("it-kibo-vol-notid", ["SystemAdmin"])
    path = lambda g, op="addusers": "/api" + kibo_path(g["code"], op)
    # a SystemAdmin: by Kibo tenant id or rosterd id, over the token's tid
    for tok, vt in ((notid, kibo_b), ("default", kibo_b), ("default", TENANT_B.upper())):
        r = request("POST", path(gb), [ub["id"]], token=tok, headers={"x-vol-tenant": vt})
        eq(r.status, 200, f"SystemAdmin x-vol-tenant {vt} ({r!r})")
    eq(kibo_members(TENANT_B, gb), [ub["id"]], "added in tenant B")
    # X-Tenant-Id agreeing is fine
    r = request("POST", path(gb, "removeusers"), [ub["id"]],
                headers={"x-vol-tenant": kibo_b, "X-Tenant-Id": TENANT_B})
    eq(r.status, 200, f"agreeing X-Tenant-Id ({r!r})")
    # a TenantAdmin: its own tenant by Kibo id is fine
    admin_a = py_token(roles=("TenantAdmin",), tid=TENANT_A)
    r = request("POST", path(ga), [ua["id"]], token=admin_a, headers={"x-vol-tenant": kibo_a})
    eq(r.status, 200, f"TenantAdmin, own tenant ({r!r})")
    with NothingWritten():
        # ... another, known or not, is 403 in Kibo's shape
        for vt in (kibo_b, TENANT_B, "999999999999", "x" * 300):
            kibo_error(request("POST", path(gb), [ub["id"]], token=admin_a,
                               headers={"x-vol-tenant": vt}), 403, "FORBIDDEN")
        # a SystemAdmin: a rosterd id of no tenant is like such an
        # X-Tenant-Id (nothing there); a Kibo id of none, or two tenants,
        # are 400
        kibo_error(request("POST", path(gb), [ub["id"]], token=notid,
                           headers={"x-vol-tenant": str(uuid.uuid4())}), 404, "ITEM_NOT_FOUND")
        for vt in ("999999999999", "x" * 300):
            b = kibo_error(request("POST", path(gb), [ub["id"]], token=notid,
                                   headers={"x-vol-tenant": vt}), 400,
                           "MISSING_OR_INVALID_PARAMETER")
            eq(b["additionalErrorData"], [{"name": "ParameterName", "value": "x-vol-tenant"}],
               f"{vt[:20]}: names x-vol-tenant")
        b = kibo_error(request("POST", path(gb), [ub["id"]],
                               headers={"x-vol-tenant": kibo_b, "X-Tenant-Id": TENANT_A}), 400,
                       "MISSING_OR_INVALID_PARAMETER")
        eq(b["additionalErrorData"], [{"name": "ParameterName", "value": "x-vol-tenant"}],
           "conflict names x-vol-tenant")
    # the alias gone, the Kibo id names no tenant
    aliases = v1("GET", f"/tenants/{TENANT_B}/aliases").json()["items"]
    alias = next(a for a in aliases if a["externalId"] == kibo_b)
    eq(v1("DELETE", f"/tenants/{TENANT_B}/aliases/{alias['id']}").status, 204, "alias deleted")
    kibo_error(wait_for_status(lambda: request("POST", path(gb), [ub["id"]], token=notid,
                                               headers={"x-vol-tenant": kibo_b}), 400),
               400, "MISSING_OR_INVALID_PARAMETER")


def wait_for_status(call, status):
    """call() until it answers status (workers drop their alias caches on a
    notification); its last response."""
    box = []

    def done():
        box[:] = [call()]
        return box[0].status == status
    wait_until(done, f"status {status}")
    return box[0]
