#!/usr/bin/python3
"""Writes docs/api.md from real exchanges with a live rosterd.

Run by scripts/api-docs, which starts a throwaway stack (PostgreSQL, nginx
with the production site file, rosterd) and passes it in AD_* variables.
This program mints tokens with `rosterctl token`, sends one realistic
request per route of `rosterctl routes` (and a few instructive failures)
through nginx over TLS, and renders each exchange as it happened: the
request's method, path, relevant headers (a bearer token is shown as
`Bearer <token>`) and body, the response's status line, relevant headers
and pretty-printed body.

It fails, writing nothing, when a route has no successful example (the
page would be stale), when a request matches no route, or when a response
has another status than the page says it has.

Only the standard library and PyJWT (python3-jwt), which checks the minted
tokens and decodes their claims for the authentication section.
"""

import datetime
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import time
import uuid


# --------------------------------------------------------------------------
# --compare OLD NEW: are two generated pages the same apart from what
# differs from run to run?

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
FENCE_RE = re.compile(r"^(`{3,})http\n(.*?)\n\1$", re.S | re.M)


def page_structure(text):
    """The page as a list of comparable lines: headings, and for each
    exchange its request line, header names, status and the field names
    of both bodies. Ids, timestamps, tokens, cursors and the source line
    are left out: they differ from run to run."""
    out = []
    items = []
    for m in re.finditer(r"^(#{1,4}) (.*)$", text, re.M):
        items.append((m.start(), "h", m.group(0)))
    for m in FENCE_RE.finditer(text):
        items.append((m.start(), "x", m.group(2)))
    items.sort()
    for _pos, kind, body in items:
        if kind == "h":
            out.append(UUID_RE.sub("{id}", body))
            continue
        head, _, payload = body.partition("\n\n")
        lines = head.split("\n")
        first = UUID_RE.sub("{id}", lines[0])
        first = re.sub(r"([?&](?:cursor|after|until|from)=)[^&\s]*", r"\1<v>", first)
        if first.startswith("HTTP/"):
            first = " ".join(first.split(" ")[:2])
        names = sorted({ln.split(":", 1)[0] for ln in lines[1:] if ":" in ln})
        fields = sorted(set(re.findall(r'"([^"\n]{1,80})":', payload)))
        metrics = sorted(set(re.findall(r"^(rosterd_[a-z_]+)", payload, re.M)))
        out.append(f"  {first} | headers {', '.join(names)} | fields {', '.join(fields + metrics)}")
    return out


def compare(old_path, new_path):
    import difflib
    with open(old_path, encoding="utf-8") as f:
        old = page_structure(f.read())
    with open(new_path, encoding="utf-8") as f:
        new = page_structure(f.read())
    if old == new:
        print(f"api-docs: {old_path} is current ({len(old)} headings and exchanges)")
        return 0
    diff = list(difflib.unified_diff(old, new, "docs/api.md (committed)", "regenerated",
                                     lineterm="", n=1))
    print(f"api-docs: {old_path} is stale; run scripts/api-docs BUILD_DIR and commit it:")
    print("\n".join(diff[:80]))
    if len(diff) > 80:
        print(f"... ({len(diff) - 80} more diff lines)")
    return 1


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--compare":
    sys.exit(compare(sys.argv[2], sys.argv[3]))

import jwt  # noqa: E402 (not needed by --compare)

ENV = os.environ
REPO = ENV["AD_REPO"]
BUILD = ENV["AD_BUILD"]
TMP = ENV["AD_TMP"]
CONF = ENV["AD_CONF"]
URL = ENV["AD_URL"]
HOME_TENANT = ENV["AD_HOME_TENANT"]
OUT = ENV["AD_OUT"]
ROSTERCTL = os.path.join(BUILD, "rosterctl")
with open(ENV["AD_METRICS_TOKEN_FILE"]) as _f:
    METRICS_TOKEN = _f.read().strip()
with open(ENV["AD_SECRET_FILE"], "rb") as _f:
    SECRET = _f.read().rstrip(b"\n")
TIMEOUT = 30

TLS = ssl.create_default_context(cafile=ENV["AD_CA"])
HOST, PORT = URL.split("//", 1)[1].rsplit(":", 1)

# Response headers worth showing; the rest (Date, Server, HSTS, ...) is the
# same on every response and described once in the introduction.
SHOWN_RESPONSE_HEADERS = ("Content-Type", "ETag", "Location", "WWW-Authenticate",
                          "Retry-After", "Allow", "Idempotent-Replayed")
MAX_BODY_LINES = 120  # longer response bodies are cut, and say so


class Failure(Exception):
    """The page cannot be written truthfully."""


# --------------------------------------------------------------------------
# The route table


def rosterctl(*args):
    with open(os.path.join(TMP, "rosterctl.log"), "ab") as log:
        p = subprocess.run([ROSTERCTL, "-c", CONF, *args], stdout=subprocess.PIPE,
                           stderr=log, stdin=subprocess.DEVNULL, timeout=60)
    if p.returncode != 0:
        raise Failure(f"rosterctl {args[0]} exited {p.returncode} (see {TMP}/rosterctl.log)")
    return p.stdout.decode()


class Route:
    def __init__(self, method, pattern, right, tenant_param, dialect):
        self.method = method
        self.pattern = pattern
        self.right = right
        self.tenant_param = tenant_param
        self.dialect = dialect
        rx = re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(pattern))
        self.rx = re.compile("^" + rx + "$")
        self.anchor = re.sub(r"[^a-z0-9]+", "-", (method + pattern).lower()).strip("-")

    def key(self):
        return (self.method, self.pattern)

    def matches(self, method, path):
        return method == self.method and bool(self.rx.match(path.split("?", 1)[0]))


def load_routes():
    routes = []
    p = subprocess.run([ROSTERCTL, "routes"], stdout=subprocess.PIPE, timeout=30, check=True)
    for line in p.stdout.decode().splitlines():
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) != 5:
            raise Failure(f"rosterctl routes: unexpected line {line!r}")
        routes.append(Route(*f))
    if not routes:
        raise Failure("rosterctl routes printed nothing")
    return routes


ROUTES = load_routes()


def has_route(method, pattern):
    return any(r.key() == (method, pattern) for r in ROUTES)


# --------------------------------------------------------------------------
# Tokens


class Token:
    def __init__(self, sub, roles, tid, tenant_label):
        args = ["token", "--sub", sub, "--roles", ",".join(roles), "--ttl", "3600"]
        if tid:
            args += ["--tid", tid]
        self.jwt = rosterctl(*args).strip()
        if self.jwt.count(".") != 2:
            raise Failure(f"rosterctl token printed {self.jwt!r}")
        self.sub = sub
        self.roles = roles
        # PyJWT, not rosterd, checks what the page says about the token.
        self.claims = jwt.decode(self.jwt, SECRET, algorithms=["HS256"],
                                 options={"verify_aud": False, "verify_iss": False})
        self.label = f"{' '.join(roles)} of {tenant_label}" if tenant_label else " ".join(roles)


class ApiToken:
    """A tenant API token made through POST …/api-tokens, used as a bearer
    token like a JWT."""

    def __init__(self, made, tenant_label):
        self.jwt = made["token"]
        self.sub = "apitoken:" + made["id"]
        self.roles = [made["role"]]
        self.claims = {}
        self.label = f"API token ({made['role']}) of {tenant_label}"


# --------------------------------------------------------------------------
# Exchanges


class Exchange:
    """One request and its response, as sent and received."""

    def __init__(self, method, path, req_headers, req_body, token, title, note, section,
                 expect, show, shown_body):
        self.method = method
        self.path = path
        self.req_headers = req_headers  # [(name, shown value)]
        self.req_body = req_body  # the text sent, or None
        self.shown_body = shown_body  # what the page shows instead, when too long
        self.token = token
        self.title = title
        self.note = note
        self.section = section  # None: under its route; else a section's name
        self.expect = expect
        self.show = show
        self.route = None
        self.status = None

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.resp_headers:
            if k.lower() == name.lower():
                return v
        return None


EXCHANGES = []


def call(method, path, body=None, token=None, headers=None, expect=200, title=None, note=None,
         section=None, show=True, raw=None, shown_body=None, ctype="application/json"):
    """Sends one request on a fresh connection and records the exchange.
    body: a JSON value, sent pretty-printed (so the page shows exactly the
    bytes sent); raw: bytes sent as they are. expect: the status the page
    promises (None: decided by the caller afterwards)."""
    h = []
    if token is not None:
        h.append(("Authorization", "Bearer " + token.jwt, "Bearer <token>"))
    data = None
    if body is not None:
        data = json.dumps(body, indent=2, ensure_ascii=False).encode()
    elif raw is not None:
        data = raw
    if data is not None:
        h.append(("Content-Type", ctype, ctype))
    for k, v in (headers or {}).items():
        h.append((k, v, "Bearer <metrics token>" if v == "Bearer " + METRICS_TOKEN else v))
    conn = http.client.HTTPSConnection(HOST, int(PORT), context=TLS, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=data, headers={k: v for k, v, _ in h})
        r = conn.getresponse()
        resp_body = r.read()
    finally:
        conn.close()
    ex = Exchange(method, path, [(k, s) for k, _, s in h],
                  data.decode() if data is not None else None, token, title, note, section,
                  expect, show, shown_body)
    ex.status = r.status
    ex.reason = r.reason
    ex.version = "HTTP/1.1" if r.version == 11 else "HTTP/1.0"
    ex.resp_headers = r.getheaders()
    ex.body = resp_body
    routes = [rt for rt in ROUTES if rt.matches(method, path)]
    if len(routes) != 1:
        raise Failure(f"{method} {path} matches {len(routes)} routes of `rosterctl routes`")
    ex.route = routes[0]
    if expect is not None and ex.status != expect:
        raise Failure(f"{method} {path}: expected {expect}, got {ex.status} "
                      f"{resp_body[:400].decode('utf-8', 'replace')}")
    EXCHANGES.append(ex)
    return ex


# --------------------------------------------------------------------------
# The story: one realistic walk through the API


def v1t(tenant, rest=""):
    return f"/v1/tenants/{tenant}{rest}"


def run():
    sysadmin = Token("ops-admin", ["SystemAdmin"], HOME_TENANT, None)
    ctx = {"sysadmin": sysadmin}

    # Health
    call("GET", "/healthz", title="Liveness")
    call("GET", "/readyz", title="Readiness (the database answers)")

    # Tenants
    acme = call("POST", "/v1/tenants", {"name": "Acme Corporation", "slug": "acme",
                                        "attributes": {"plan": "enterprise", "region": "eu"}},
                sysadmin, expect=201).json()
    acme_id = acme["id"]
    admin = Token("alice@acme.example", ["TenantAdmin"], acme_id, "acme")
    reader = Token("reporting-bot", ["TenantReader"], acme_id, "acme")
    ctx.update(admin=admin, reader=reader)
    globex = call("POST", "/v1/tenants", {"name": "Globex"}, sysadmin, expect=201,
                  show=False).json()
    first = call("GET", "/v1/tenants?limit=2", token=sysadmin,
                 title="First page (`limit=2`)")
    call("GET", "/v1/tenants?limit=2&cursor=" + first.json()["nextCursor"], token=sysadmin,
         title="Next page, with the `nextCursor` of the first")
    call("GET", v1t(acme_id), token=reader)
    call("PATCH", v1t(acme_id), {"name": "Acme Corp."}, admin,
         headers={"If-Match": '"1"'})
    call("DELETE", v1t(globex["id"]) + "?confirm=" + globex["slug"], token=sysadmin,
         expect=204)

    # Users
    jane = call("POST", v1t(acme_id, "/users"),
                {"username": "jdoe", "email": "jane.doe@acme.example", "firstName": "Jane",
                 "lastName": "Doe", "title": "Engineer", "externalId": "emp-1001",
                 "locale": "en-GB", "timeZone": "Europe/London",
                 "attributes": {"costCenter": "R&D"}}, admin, expect=201).json()
    raj = call("POST", v1t(acme_id, "/users"),
               {"username": "rsmith", "email": "raj.smith@acme.example", "firstName": "Raj",
                "lastName": "Smith", "title": "Designer"}, admin, expect=201,
               show=False).json()
    temp = call("POST", v1t(acme_id, "/users"),
                {"username": "temp-contractor", "email": "contractor@partner.example",
                 "active": False}, admin, expect=201, show=False).json()
    call("GET", v1t(acme_id, "/users?q=j&active=true&limit=10"), token=reader,
         title="Filtered: `q` (a prefix of username, e-mail or name) and `active`")
    call("GET", v1t(acme_id, f"/users/{jane['id']}"), token=reader)
    call("PATCH", v1t(acme_id, f"/users/{jane['id']}"),
         {"title": "Staff Engineer", "phone": "+44 20 7946 0000"}, admin,
         headers={"If-Match": '"1"'})

    # Groups
    eng = call("POST", v1t(acme_id, "/groups"),
               {"kind": "security", "code": "eng", "name": "Engineering",
                "description": "Everyone who ships code",
                "attributes": {"slack": "#eng"}}, admin, expect=201).json()
    old = call("POST", v1t(acme_id, "/groups"),
               {"kind": "user", "code": "legacy", "name": "Legacy"}, admin, expect=201,
               show=False).json()
    call("GET", v1t(acme_id, "/groups?kind=security"), token=reader,
         title="Filtered by `kind`")
    call("GET", v1t(acme_id, f"/groups/{eng['id']}"), token=reader)
    call("PATCH", v1t(acme_id, f"/groups/{eng['id']}"),
         {"description": "Everyone who ships or reviews code"}, admin,
         headers={"If-Match": '"1"'})
    call("DELETE", v1t(acme_id, f"/groups/{old['id']}"), token=admin,
         headers={"If-Match": '"1"'}, expect=204)

    # Members
    absent = str(uuid.uuid4())
    call("POST", v1t(acme_id, f"/groups/{eng['id']}/members"),
         {"userIds": [jane["id"], raj["id"], absent]}, admin,
         title="Two users and an id that names no user of the tenant")
    call("POST", v1t(acme_id, f"/groups/{eng['id']}/members"),
         {"userIds": [jane["id"], temp["id"]]}, admin,
         title="Again: a member already, and a new one")
    call("POST", v1t(acme_id, f"/groups/{eng['id']}/members"),
         {"usernames": ["JDOE"], "emails": ["Raj.Smith@acme.example", "nobody@acme.example"]},
         admin, title="By username and e-mail (case ignored): members already, and a name "
         "of no user")
    call("GET", v1t(acme_id, f"/groups/{eng['id']}/members"), token=reader)
    call("GET", v1t(acme_id, f"/users/{jane['id']}/groups"), token=reader)
    call("POST", v1t(acme_id, f"/groups/{eng['id']}/members:remove"),
         {"userIds": [raj["id"], absent]}, admin)
    call("DELETE", v1t(acme_id, f"/groups/{eng['id']}/members/{temp['id']}"), token=admin,
         expect=204)

    # Roles and assignments
    auditor = call("POST", v1t(acme_id, "/roles"),
                   {"name": "Auditor", "description": "Reads the audit log",
                    "isGroupAdmin": False, "attributes": {"reviewEvery": "90d"}},
                   admin, expect=201).json()
    spare = call("POST", v1t(acme_id, "/roles"), {"name": "Intern"}, admin, expect=201,
                 show=False).json()
    call("GET", v1t(acme_id, "/roles"), token=reader)
    call("GET", v1t(acme_id, f"/roles/{auditor['id']}"), token=reader)
    call("PATCH", v1t(acme_id, f"/roles/{auditor['id']}"), {"isGroupAdmin": True}, admin,
         headers={"If-Match": '"1"'})
    call("DELETE", v1t(acme_id, f"/roles/{spare['id']}"), token=admin, expect=204)
    path = v1t(acme_id, f"/users/{jane['id']}/roles/{auditor['id']}")
    call("PUT", path, token=admin, expect=201, title="In the whole tenant (no body)")
    call("PUT", path, {"scopeType": "group", "scopeId": eng["id"]}, admin, expect=201,
         title="In a scope: `scopeType` and `scopeId`")
    call("PUT", path, token=admin, expect=200, title="Again: nothing new, 200")
    call("GET", v1t(acme_id, f"/users/{jane['id']}/roles"), token=reader)
    call("DELETE", path, {"scopeType": "group", "scopeId": eng["id"]}, admin, expect=204,
         title="The scoped assignment (the scope in the body)")

    # Invites
    inv = call("POST", v1t(acme_id, "/invites"),
               {"email": "new.hire@acme.example", "groupId": eng["id"],
                "expiresIn": 604800}, admin, expect=201).json()
    inv2 = call("POST", v1t(acme_id, "/invites"), {"email": "maybe@partner.example"}, admin,
                expect=201, show=False).json()
    call("GET", v1t(acme_id, "/invites?state=pending"), token=reader)
    call("GET", v1t(acme_id, f"/invites/{inv['id']}"), token=reader)
    call("DELETE", v1t(acme_id, f"/invites/{inv2['id']}"), token=admin, expect=204)
    call("POST", "/v1/invites/accept",
         {"token": inv["token"], "password": "correct horse battery staple",
          "username": "nhire", "firstName": "Nia", "lastName": "Hire"},
         note="No `Authorization` header: the invite's token is the credential.")

    # API tokens
    year = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365))
    scim = call("POST", v1t(acme_id, "/api-tokens"),
                {"name": "Okta SCIM provisioning", "role": "TenantAdmin",
                 "expiresAt": year.strftime("%Y-%m-%dT00:00:00Z"),
                 "allowedAddresses": ["198.51.100.0/24", "2001:db8::/32"]}, admin,
                expect=201).json()
    ci = call("POST", v1t(acme_id, "/api-tokens"), {"name": "CI", "role": "TenantReader"},
              admin, expect=201, show=False).json()
    call("GET", v1t(acme_id, "/users?limit=1"), token=ApiToken(ci, "acme"),
         title="With an API token", show=False)
    call("GET", v1t(acme_id, "/api-tokens"), token=reader)
    call("GET", v1t(acme_id, f"/api-tokens/{ci['id']}"), token=reader,
         title="After a use: `lastUsedAt`, `lastUsedAddr`")
    call("DELETE", v1t(acme_id, f"/api-tokens/{scim['id']}"), token=admin, expect=204)

    # Tenant aliases
    alias = call("POST", v1t(acme_id, "/aliases"),
                 {"issuer": "entra", "externalId": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
                 sysadmin, expect=201).json()
    old_alias = call("POST", v1t(acme_id, "/aliases"),
                     {"issuer": "okta", "externalId": "00o1a2b3c4d5e6f7g8h9"}, sysadmin,
                     expect=201, show=False).json()
    call("GET", v1t(acme_id, "/aliases"), token=reader)
    call("GET", v1t(acme_id, f"/aliases/{alias['id']}"), token=reader)
    call("DELETE", v1t(acme_id, f"/aliases/{old_alias['id']}"), token=sysadmin, expect=204)

    # The user, deleted last so that the audit log shows it.
    call("DELETE", v1t(acme_id, f"/users/{temp['id']}"), token=admin, expect=204)

    # ASP.NET compatibility route (seed 004)
    roles = {r["name"]: r["id"] for r in
             call("GET", v1t(acme_id, "/roles"), token=reader, show=False).json()["items"]}
    call("POST", f"/api/organizations/{acme_id}/users",
         {"Id": str(uuid.uuid4()), "Username": "ghopper", "FirstName": "Grace",
          "LastName": "Hopper", "Title": "Rear Admiral", "Email": "grace.hopper@acme.example",
          "Phone": "+1 555 0100", "ExternalId": "emp-1002",
          "Roles": [{"Id": roles["Member"], "Name": "Member", "OrganizationId": acme_id}]},
         admin)

    # Import jobs and the export (docs/import.md)
    if has_route("POST", "/v1/tenants/{tenantId}/imports"):
        imports_story(acme_id, admin)

    # SCIM 2.0 (docs/scim.md): an identity provider with a tenant API token
    if has_route("GET", "/scim/v2/Users"):
        scim_story(acme_id, admin, sysadmin)

    # API description, once the router has it
    if has_route("GET", "/openapi.json"):
        call("GET", "/openapi.json")
    call("GET", "/metrics", title="Metrics (after the requests above)",
         headers={"Authorization": "Bearer " + METRICS_TOKEN})

    # Errors
    E = "errors"
    call("POST", v1t(acme_id, "/users"),
         {"username": "", "email": "jane@", "active": "yes", "nickname": "JD"}, admin,
         expect=400, section=E, title="400: invalid fields, each named in `errors`")
    call("GET", v1t(acme_id, "/users"), expect=401, section=E,
         title="401: no bearer token")
    call("POST", v1t(acme_id, "/users"), {"username": "mallory"}, reader, expect=403,
         section=E, title="403: a TenantReader may not write")
    call("POST", v1t(acme_id, f"/groups/{eng['id']}/members"),
         {"userIds": [jane["id"], "raj.smith@acme.example"]}, admin, expect=400, section=E,
         title="400: a bad entry of a bulk request, named by its index")
    call("GET", v1t(acme_id, f"/users/{uuid.uuid4()}"), token=reader, expect=404,
         section=E, title="404: no such resource in this tenant")
    call("POST", v1t(acme_id, "/users"), {"username": "jdoe", "email": "j.doe@acme.example"},
         admin, expect=409, section=E, title="409: a unique field already in use")
    call("PATCH", v1t(acme_id, f"/users/{jane['id']}"), {"title": "Principal Engineer"},
         admin, headers={"If-Match": '"1"'}, expect=412, section=E,
         title="412: a stale `If-Match`; nothing changed")
    call("DELETE", v1t(acme_id), token=sysadmin, expect=400, section=E,
         title="400: deleting a tenant needs `?confirm=<its slug>`")
    call("POST", "/v1/invites/accept",
         {"token": inv["token"], "password": "another password"}, expect=410, section=E,
         title="410: an invitation used already (or revoked, or expired)")
    ids = [str(uuid.uuid4()) for _ in range(10001)]
    raw = json.dumps({"userIds": ids}).encode()
    shown = ('{"userIds": ["' + ids[0] + '", "' + ids[1] + '", "' + ids[2] + '", ... ,\n'
             '             "' + ids[-1] + '"]}')
    call("POST", v1t(acme_id, f"/groups/{eng['id']}/members"), raw=raw, token=admin,
         expect=413, section=E, shown_body=shown,
         title="413: more than 10,000 ids in one bulk request",
         note=f"The body ({len(raw):,} bytes, 10,001 random ids) is shortened here.")

    # Idempotency-Key: shown only when this build honours it.
    key = str(uuid.uuid4())
    body = {"kind": "user", "code": "onboarding-2025", "name": "Onboarding 2025"}
    first = call("POST", v1t(acme_id, "/groups"), body, admin, expect=201,
                 headers={"Idempotency-Key": key}, section="idempotency",
                 title="The first request", show=False)
    again = call("POST", v1t(acme_id, "/groups"), body, admin, expect=None,
                 headers={"Idempotency-Key": key}, section="idempotency",
                 title="The same request again: the first response, replayed", show=False)
    other = call("POST", v1t(acme_id, "/groups"), dict(body, name="Onboarding"), admin,
                 expect=None, headers={"Idempotency-Key": key}, section="idempotency",
                 title="The same key with another body: 422", show=False)
    replayed = (again.status == first.status and again.body == first.body and
                (again.header("Idempotent-Replayed") or "").lower() == "true")
    ctx["idempotency"] = replayed
    if replayed:
        if other.status != 422:
            raise Failure(f"Idempotency-Key with another body: expected 422, got "
                          f"{other.status} {other.body[:300]!r}")
        for ex in (first, again, other):
            ex.show = True
    else:
        print(f"api-docs: WARNING: this build does not replay Idempotency-Key (the same "
              f"POST again got {again.status}, Idempotent-Replayed: "
              f"{again.header('Idempotent-Replayed')}); no example on the page",
              file=sys.stderr)
        for ex in (first, again, other):
            EXCHANGES.remove(ex)

    # Audit, last: it shows what the walk above did.
    call("GET", v1t(acme_id, "/audit?limit=4"), token=reader,
         title="The newest entries")
    call("GET", v1t(acme_id, f"/audit?targetId={jane['id']}&action=user.update"),
         token=reader, title="Filtered by `targetId` and `action`")
    return ctx


def imports_story(acme_id, admin):
    """A CSV imported by a job, polled to its end, its row errors, a job
    cancelled, and the tenant exported."""
    csv_text = ("username,email,firstName,lastName,groups,roles\r\n"
                "mlee,mei.lee@acme.example,Mei,Lee,security:eng;team-blue,Member\r\n"
                "okafor,not-an-email,Chidi,Okafor,security:eng,\r\n"
                "bnovak,bruno.novak@acme.example,Bruno,Novak,team-blue,\r\n")
    job = call("POST", v1t(acme_id, "/imports?fileName=hr.csv"), token=admin,
               raw=csv_text.encode(), ctype="text/csv", expect=202,
               title="A CSV file; the job is queued").json()
    path = v1t(acme_id, f"/imports/{job['id']}")
    deadline = time.monotonic() + 120
    while True:
        got = call("GET", path, token=admin, show=False).json()
        if got["state"] in ("succeeded", "failed", "cancelled"):
            break
        if time.monotonic() > deadline:
            raise Failure(f"import job {job['id']} did not end: {got!r}")
        time.sleep(0.2)
    call("GET", path, token=admin, title="The job once it has ended")
    call("GET", v1t(acme_id, "/imports?limit=5"), token=admin)
    call("GET", path + "/errors", token=admin, title="Its row errors, as JSON")
    call("GET", path + "/errors", token=admin, headers={"Accept": "text/csv"},
         title="The same, as CSV")
    # a job of many small batches, cancelled while it is queued or running
    big = "username\n" + "".join(f"bulk{i:05d}\n" for i in range(3000))
    slow = call("POST", v1t(acme_id, "/imports?format=csv&dryRun=true&batch=1"),
                token=admin, raw=big.encode(), ctype="text/csv", expect=202,
                show=False).json()
    call("DELETE", v1t(acme_id, f"/imports/{slow['id']}"), token=admin,
         title="Cancelling a dry run of 3,000 one-row batches")
    call("GET", v1t(acme_id, "/export?format=csv"), token=admin,
         title="The tenant as CSV (no password hashes over HTTP)")
    call("GET", v1t(acme_id, "/export"), token=admin,
         headers={"Accept": "application/x-ndjson"}, title="As JSON Lines, by Accept")


def scim_story(acme_id, admin, sysadmin):
    """The SCIM routes as an identity provider calls them: by the token's
    tenant (/scim/v2) with an API token, and by path as a SystemAdmin."""
    made = call("POST", v1t(acme_id, "/api-tokens"),
                {"name": "Entra ID provisioning", "role": "TenantAdmin"}, admin,
                expect=201, show=False).json()
    idp = ApiToken(made, "acme")
    urn_user = "urn:ietf:params:scim:schemas:core:2.0:User"
    urn_ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    urn_patch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    for base, tok in (("/scim/v2", idp), (f"/scim/v2/tenants/{acme_id}", sysadmin)):
        tag = "" if tok is idp else "-sa"
        call("GET", base + "/ServiceProviderConfig", token=tok)
        call("GET", base + "/ResourceTypes", token=tok)
        call("GET", base + "/ResourceTypes/User", token=tok)
        call("GET", base + "/Schemas", token=tok)
        call("GET", base + "/Schemas/" + urn_ent, token=tok)
        call("GET", base + "/Me", token=tok, expect=501,
             title="Refused: a token is no SCIM User")
        call("GET", base + "/Users?filter=userName%20eq%20%22" + str(uuid.uuid4()) + "%22",
             token=tok, title="Entra's connection test: no match is an empty list")
        u = call("POST", base + "/Users",
                 {"schemas": [urn_user, urn_ent], "userName": f"kjohnson{tag}@acme.example",
                  "name": {"givenName": "Katherine", "familyName": "Johnson"},
                  "emails": [{"primary": True, "value": f"kjohnson{tag}@acme.example",
                              "type": "work"}],
                  "displayName": "Katherine Johnson", "locale": "en-US",
                  "externalId": "00ujl29u0le5T6Aj10h7" + tag, "password": "1mz050nq",
                  "active": True, urn_ent: {"employeeNumber": "1918", "department": "Flight"}},
                 tok, expect=201).json()
        call("GET", base + f"/Users/{u['id']}", token=tok)
        call("GET", base + "/Users?filter=userName%20eq%20%22KJOHNSON" + tag.upper() +
             "%40ACME.EXAMPLE%22&startIndex=1&count=100", token=tok,
             title="userName eq, without regard to case")
        u["title"] = "Mathematician"
        call("PUT", base + f"/Users/{u['id']}", u, tok,
             title="Okta's read-modify-write (id, meta and groups are ignored)")
        call("PATCH", base + f"/Users/{u['id']}",
             {"schemas": [urn_patch], "Operations": [
                 {"op": "Replace", "path": "active", "value": "False"},
                 {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value',
                  "value": "+1 555 0100"}]}, tok,
             title="Entra: deactivate (a string boolean) and a filtered replace that creates")
        g = call("POST", base + "/Groups",
                 {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                  "displayName": "Flight Research" + tag, "members": []},
                 tok, expect=201).json()
        call("GET", base + "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22"
             "flight%20research" + tag + "%22", token=tok)
        call("PATCH", base + f"/Groups/{g['id']}",
             {"schemas": [urn_patch], "Operations": [
                 {"op": "Add", "path": "members", "value": [{"value": u["id"]}]}]},
             tok, expect=204, title="Membership: a set operation, idempotent")
        call("GET", base + f"/Groups/{g['id']}", token=tok)
        call("POST", base + "/Users/.search",
             {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
              "filter": 'name.familyName eq "Johnson"', "attributes": ["userName"],
              "startIndex": 1, "count": 10}, tok)
        call("POST", base + "/Groups/.search",
             {"filter": 'displayName sw "flight"', "excludedAttributes": ["members"]}, tok)
        call("POST", base + "/.search", {"filter": f'id eq "{u["id"]}" or id eq "{g["id"]}"'},
             tok, title="Every resource type: Users, then Groups")
        call("PUT", base + f"/Groups/{g['id']}",
             {"displayName": "Flight Research" + tag, "members": []}, tok)
        call("POST", base + "/Bulk",
             {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
              "failOnErrors": 1, "Operations": [
                  {"method": "POST", "path": "/Users", "bulkId": "dv",
                   "data": {"userName": f"dvaughan{tag}@acme.example"}},
                  {"method": "PATCH", "path": f"/Groups/{g['id']}", "data": {
                      "Operations": [{"op": "add", "path": "members",
                                      "value": [{"value": "bulkId:dv"}]}]}}]},
             tok, title="A user and its membership, the user named by its bulkId")
        call("DELETE", base + f"/Groups/{g['id']}", token=tok, expect=204)
        call("DELETE", base + f"/Users/{u['id']}", token=tok, expect=204)


# --------------------------------------------------------------------------
# Rendering

FAMILIES = [
    ("Tenants", "tenants", lambda p: p == "/v1/tenants" or p == "/v1/tenants/{tenantId}"),
    ("Users", "users", lambda p: re.match(r"^/v1/tenants/\{tenantId\}/users(/\{userId\})?"
                                          r"(/groups)?$", p)),
    ("Groups", "groups", lambda p: re.match(r"^/v1/tenants/\{tenantId\}/groups"
                                            r"(/\{groupId\})?$", p)),
    ("Members", "members", lambda p: "/members" in p),
    ("Roles and role assignments", "roles", lambda p: "/roles" in p),
    ("Invites", "invites", lambda p: "/invites" in p),
    ("API tokens", "api-tokens", lambda p: "/api-tokens" in p),
    ("Tenant aliases", "aliases", lambda p: "/aliases" in p),
    ("Audit", "audit", lambda p: p.endswith("/audit")),
    ("Import jobs and export", "imports",
     lambda p: "/imports" in p or p.endswith("/export")),
    ("API description", "openapi", lambda p: p == "/openapi.json"),
    ("Health and metrics", "health", lambda p: p in ("/healthz", "/readyz", "/metrics")),
    ("ASP.NET compatibility (seed 004)", "aspnet",
     lambda p: p.startswith("/api/") and p not in NOT_ASPNET),
    ("SCIM 2.0", "scim", lambda p: p.startswith("/scim/")),
]

SUMMARIES = {
    ("GET", "/healthz"): "200 while the process serves.",
    ("GET", "/readyz"): "200 when the database answers, else 503. Only from this host. "
                        "Why (database, schema) only with the metrics token.",
    ("GET", "/metrics"): "Prometheus text format, summed over every worker. Only from this host, "
                         "with `Authorization: Bearer <metrics token>` (metrics_token_file).",
    ("POST", "/api/organizations/{organizationId}/users"):
        "The ASP.NET Web API endpoint rosterd reproduces field for field "
        "(PascalCase, `{\"Message\", \"ModelState\"}` errors; see docs/compat.md).",
    ("POST", "/v1/tenants"):
        "Creates a tenant with the standard roles (Administrator, Member) and its default "
        "user group. `slug` is made from `name` when absent.",
    ("GET", "/v1/tenants"): "Every tenant, a page at a time.",
    ("GET", "/v1/tenants/{tenantId}"): "One tenant.",
    ("PATCH", "/v1/tenants/{tenantId}"): "Changes `name`, `slug` or `attributes`.",
    ("DELETE", "/v1/tenants/{tenantId}"):
        "Deletes the tenant and every row it owns, in one statement; needs "
        "`?confirm=<the tenant's slug>`.",
    ("POST", "/v1/tenants/{tenantId}/users"):
        "Creates a user. `username` is required; `email`, `firstName`, `lastName`, "
        "`displayName`, `title`, `phone`, `externalId`, `locale`, `timeZone`, `active` "
        "(default true) and `attributes` are optional.",
    ("GET", "/v1/tenants/{tenantId}/users"):
        "The tenant's users, a page at a time; filters `q` (prefix of username, e-mail or "
        "name), `externalId`, `active`.",
    ("GET", "/v1/tenants/{tenantId}/users/{userId}"): "One user.",
    ("PATCH", "/v1/tenants/{tenantId}/users/{userId}"):
        "Changes the fields sent; `null` clears an optional one.",
    ("DELETE", "/v1/tenants/{tenantId}/users/{userId}"):
        "Deletes the user with its memberships and role assignments.",
    ("GET", "/v1/tenants/{tenantId}/users/{userId}/groups"):
        "The groups the user belongs to, a page at a time.",
    ("POST", "/v1/tenants/{tenantId}/groups"):
        "Creates a group: `kind` (`security`, `user`, `admin`, `privilege`; fixed once "
        "made), `code` (unique in the tenant), `name`, optional `description` and "
        "`attributes`.",
    ("GET", "/v1/tenants/{tenantId}/groups"):
        "The tenant's groups, a page at a time; filters `kind`, `code`.",
    ("GET", "/v1/tenants/{tenantId}/groups/{groupId}"): "One group.",
    ("PATCH", "/v1/tenants/{tenantId}/groups/{groupId}"):
        "Changes `code`, `name`, `description` or `attributes`.",
    ("DELETE", "/v1/tenants/{tenantId}/groups/{groupId}"):
        "Deletes the group, and its memberships with it.",
    ("GET", "/v1/tenants/{tenantId}/groups/{groupId}/members"):
        "The group's members, a page at a time.",
    ("POST", "/v1/tenants/{tenantId}/groups/{groupId}/members"):
        "Adds up to 10,000 users, named by id, username or e-mail, in one atomic statement "
        "and answers per item.",
    ("POST", "/v1/tenants/{tenantId}/groups/{groupId}/members:remove"):
        "Removes up to 10,000 users in one atomic statement and answers per id.",
    ("DELETE", "/v1/tenants/{tenantId}/groups/{groupId}/members/{userId}"):
        "Removes one member.",
    ("POST", "/v1/tenants/{tenantId}/roles"):
        "Creates a role: `name` (unique in the tenant, case-insensitively), optional "
        "`description`, `isSystemAdmin`, `isGroupAdmin`, `attributes`.",
    ("GET", "/v1/tenants/{tenantId}/roles"): "The tenant's roles, a page at a time.",
    ("GET", "/v1/tenants/{tenantId}/roles/{roleId}"): "One role.",
    ("PATCH", "/v1/tenants/{tenantId}/roles/{roleId}"): "Changes the fields sent.",
    ("DELETE", "/v1/tenants/{tenantId}/roles/{roleId}"):
        "Deletes the role, and its assignments with it.",
    ("GET", "/v1/tenants/{tenantId}/users/{userId}/roles"): "The user's role assignments.",
    ("PUT", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}"):
        "Gives the user the role, in the whole tenant or, with a body "
        "`{\"scopeType\", \"scopeId\"}`, in a scope. 201 when new, 200 when it was there.",
    ("DELETE", "/v1/tenants/{tenantId}/users/{userId}/roles/{roleId}"):
        "Takes the role away, in the scope given in the body (none: the whole tenant).",
    ("POST", "/v1/tenants/{tenantId}/invites"):
        "Invites an e-mail address into a group (`groupId`; default: the tenant's default "
        "user group) for `expiresIn` seconds (default 7 days, 60 s to 90 days). The "
        "response carries the invitation's `token`, this once: only its hash is stored.",
    ("GET", "/v1/tenants/{tenantId}/invites"):
        "The tenant's invitations, a page at a time; filter `state` (`pending`, "
        "`accepted`, `revoked`, `expired`). Tokens are never listed.",
    ("DELETE", "/v1/tenants/{tenantId}/invites/{inviteId}"): "Revokes a pending invitation.",
    ("POST", "/v1/invites/accept"):
        "Accepts an invitation: creates the user (or activates the one it is for, which "
        "must still have no password, not be locked and have the invitation's e-mail: "
        "else 410), sets the password (Argon2id; at least `password_min_length` "
        "characters), adds the membership and uses up the token, in one statement. Needs "
        "no bearer token. The invitation is looked up before the password is hashed; the "
        "hash waits for no one: 503 with `Retry-After` when every hash slot is busy.",
    ("GET", "/v1/tenants/{tenantId}/audit"):
        "The tenant's audit log, newest first, a page at a time; filters `actor`, "
        "`action`, `targetId`, `from` (inclusive) and `until` (exclusive, RFC 3339).",
    ("GET", "/openapi.json"): "An OpenAPI 3.1 description of every route.",
    ("POST", "/v1/tenants/{tenantId}/imports"):
        "Imports the body, a file (CSV, JSON Lines, xlsx, or with `format` a Keycloak "
        "or Auth0 export), as a job: checked whole first (400 and no job when it is not "
        "well-formed), then queued (202, `Location`). `mode` (`create`, `upsert`), "
        "`match` (`id`, `username`, `email`), `dryRun`, `atomic`, `batch`, `fileName`. "
        "At most `import_max_upload_bytes`.",
    ("GET", "/v1/tenants/{tenantId}/imports"):
        "The tenant's import jobs, a page at a time; filter `state`.",
    ("GET", "/v1/tenants/{tenantId}/imports/{importId}"):
        "One job: `state` (`queued`, `running`, `succeeded`, `failed`, `cancelled`), "
        "`progress` and `counts`.",
    ("DELETE", "/v1/tenants/{tenantId}/imports/{importId}"):
        "Cancels a queued or running job (a running one after its batch in flight); 409 "
        "once it has ended.",
    ("GET", "/v1/tenants/{tenantId}/imports/{importId}/errors"):
        "The job's row errors (line, column, field, message), streamed as JSON, JSON Lines "
        "or CSV by `Accept`.",
    ("GET", "/v1/tenants/{tenantId}/export"):
        "The tenant's users, groups and roles from one snapshot, streamed as JSON Lines, "
        "CSV or xlsx (`format` or `Accept`); never a password hash.",
    ("POST", "/v1/tenants/{tenantId}/api-tokens"):
        "Makes an API token for machines: `name`, `role` (`TenantAdmin` or "
        "`TenantReader`; never `SystemAdmin`), optional `expiresAt` (RFC 3339, in the "
        "future) and `allowedAddresses` (up to 32 addresses or CIDR networks). The "
        "response carries the `token` (`rsd_` + 43 characters), this once: only its "
        "SHA-256 is stored. An API token cannot make API tokens.",
    ("GET", "/v1/tenants/{tenantId}/api-tokens"):
        "The tenant's API tokens, a page at a time, with `lastUsedAt` and `lastUsedAddr`. "
        "Tokens are never listed.",
    ("GET", "/v1/tenants/{tenantId}/api-tokens/{tokenId}"): "One API token (never the token).",
    ("DELETE", "/v1/tenants/{tenantId}/api-tokens/{tokenId}"):
        "Revokes the token: refused on its next use by every worker. Revoking a revoked "
        "token changes nothing (204 again).",
    ("POST", "/v1/tenants/{tenantId}/aliases"):
        "Maps the external tenant id `externalId` that issuer `issuer` (an `[issuer NAME]` "
        "section with `tenant_map = true`) puts in its tokens to this tenant. One "
        "(`issuer`, `externalId`) maps to one tenant: 409 otherwise. SystemAdmin only.",
    ("GET", "/v1/tenants/{tenantId}/aliases"): "The tenant's aliases, a page at a time.",
    ("GET", "/v1/tenants/{tenantId}/aliases/{aliasId}"): "One alias.",
    ("DELETE", "/v1/tenants/{tenantId}/aliases/{aliasId}"):
        "Removes the mapping: the issuer's tokens naming it are refused from the next "
        "request on. SystemAdmin only.",
}


def pretty(body, ctype):
    if not body:
        return ""
    text = body.decode("utf-8", "replace")
    if ctype and "json" in ctype:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    lines = text.rstrip("\n").split("\n")
    if len(lines) > MAX_BODY_LINES:
        more = len(lines) - MAX_BODY_LINES
        lines = lines[:MAX_BODY_LINES] + [f"... ({more} more lines)"]
    return "\n".join(lines)


def fence(text):
    """A code fence longer than any backtick run in text."""
    n = 3
    while "`" * n in text:
        n += 1
    return "`" * n


def render_exchange(ex, level="####"):
    out = []
    if ex.title:
        out.append(f"{level} {ex.title}\n")
    who = ex.token.label if ex.token else "no token"
    if ex.token:
        who = f"{ex.token.label} (`sub` `{ex.token.sub}`)"
    out.append(f"Caller: {who}." + (f" {ex.note}" if ex.note else "") + "\n")
    req = [f"{ex.method} {ex.path} HTTP/1.1"]
    req += [f"{k}: {v}" for k, v in ex.req_headers]
    body = ex.shown_body if ex.shown_body is not None else ex.req_body
    if body is not None:
        req += ["", body]
    text = "\n".join(req)
    f = fence(text)
    out.append(f"{f}http\n{text}\n{f}\n")
    resp = [f"{ex.version} {ex.status} {ex.reason}"]
    for name in SHOWN_RESPONSE_HEADERS:
        for k, v in ex.resp_headers:
            if k.lower() == name.lower():
                resp.append(f"{k}: {v}")
    b = pretty(ex.body, ex.header("Content-Type"))
    if b:
        resp += ["", b]
    text = "\n".join(resp)
    f = fence(text)
    out.append(f"{f}http\n{text}\n{f}\n")
    return "\n".join(out)


def git_describe():
    try:
        p = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=10)
        return p.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


INTRO = """\
# rosterd API reference

<!-- Generated by scripts/api-docs from a live stack; do not edit by hand:
     run `scripts/api-docs build/default` instead. -->

Every example below is a real exchange, recorded by `scripts/api-docs` against
a throwaway stack (PostgreSQL, rosterd, and nginx serving the production site
file `nginx/rosterd.conf` over TLS) when this page was generated
({generated}, source `{describe}`). Ids, timestamps, tokens and cursors
differ from run to run. The script fails when a route of `rosterctl routes`
has no example here, so the page cannot silently fall behind the router.

## Conventions

### Base URL

`https://<your rosterd host>`: nginx terminates TLS (1.2 and 1.3, HTTP/2) and
passes only the API's prefixes to rosterd. rosterd's own API lives under
`/v1`; every route about one tenant's data is under
`/v1/tenants/{{tenantId}}`. Requests and responses are JSON (`Content-Type:
application/json`), members in camelCase; a request body with another media
type is refused with 415, one with an unknown member with 400 (a typo is never
silently dropped). Every response also carries `Strict-Transport-Security`,
`X-Content-Type-Options: nosniff`, `Cache-Control: no-store` and
`X-Request-Id` (yours when you send a sane one, else a fresh one; rosterd logs
it), not repeated in the examples.

### Authentication and roles

Every route except `/healthz`, `/readyz`, `/metrics`, `/openapi.json` and
`POST /v1/invites/accept` needs `Authorization: Bearer <JWT>`; `/metrics` needs
`Authorization: Bearer <metrics token>`, the token of `metrics_token_file`, which
also makes `/readyz` say why (the shipped nginx site lets only the host itself
reach `/readyz` and `/metrics`). The claims that
matter are `sub` (the caller, written to every audit row), `tid` (the caller's
tenant) and `roles`. The examples use tokens minted by `rosterctl token`
(HS256), for instance:

```json
{claims}
```

| role | may |
|---|---|
| `SystemAdmin` | everything, in every tenant |
| `TenantAdmin` | read and change its own tenant (`tid`) |
| `TenantReader` | read its own tenant |

Each route requires one right, listed in the [route index](#route-index) and
by `rosterctl routes`. The tenant a request acts on is the `{{tenantId}}` of
its path. No token, or a bad one, is 401 with `WWW-Authenticate: Bearer`; a
good token without the right is 403. Keys, rotation, claims and every refusal
are in [docs/auth.md](auth.md).

### Errors

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details,
`Content-Type: application/problem+json`, with `type`, `title`, `status` and
usually `detail`. When fields are at fault, an `errors` array names each one:
`field` (the member; `userIds[1]` for an entry of a list; `$` for the whole body), `code`
(`required`, `invalid`, `type`, `unknown`, `tooLong`, `taken`, `readOnly`,
...) and `detail`. [Errors by example](#errors-by-example) shows each status.
A request that fails changes nothing. An unknown path under `/v1` is 404; a
known path with another method is 405 with `Allow` naming the methods it has.

### Resources and pagination

A resource has an `id` (a uuid), `createdAt`/`updatedAt` (RFC 3339, UTC,
microseconds) and a `version`. A create answers 201 with the resource and its
`Location`. A list answers `{{"items": [...], "nextCursor": ...}}`: pass
`?cursor=<nextCursor>` (with the same filters) for the next page; `null`
means there is none. `?limit=` is 1 to 1000, default 100. Cursors are
positions, not offsets: a walk through a list sees every row that exists
throughout the walk exactly once, however rows are inserted and deleted
meanwhile.

### Concurrency: ETag and If-Match

A resource's `ETag` is its version (`"3"`), returned by create, get and
patch. Send it back as `If-Match` on `PATCH` or `DELETE`: when the resource
has changed since, the answer is 412 with the current `ETag`, and nothing
changes. Without `If-Match` (or with `If-Match: *`) the write applies to
whatever version is there.

### Idempotency-Key

Any authenticated `POST` may carry `Idempotency-Key: <a unique string>` (1 to
255 visible ASCII characters; anything else is 400); on the public invite
acceptance it is ignored. A 2xx or 3xx answer to a key (status, body,
`Location`, `ETag`) is kept for 24 hours, committed in the same transaction as
the request's own writes; a retry with the same key and the same request gets
that answer again, marked `Idempotent-Replayed: true`, and changes nothing. The
same key with a different request is 422. A retry while the first request is
still running waits for it (`idempotency_wait_ms`, 5 s) and then gets its
answer; 409 with `Retry-After` only if it is still running then. A 4xx or 5xx
is not kept, so a retry after one runs the request for real. Keys are scoped by
the tenant the request targets and by the caller (issuer and subject), so
neither another tenant nor another administrator can replay an answer. {idem_example}

### Bulk membership

`POST .../groups/{{groupId}}/members` adds up to 10,000 users
(`{{"userIds": [...]}}`) in one statement, all or nothing, and answers per id:
`added`, `alreadyMember`, `notFound`. Sending the same ids again changes
nothing and reports them as `alreadyMember`. `POST .../members:remove` does
the reverse and answers `removed` and `notMember`. More than 10,000 ids is 413,
naming the cap; bulk bodies may be up to 2 MiB.
"""


def render(ctx):
    claims = json.dumps(ctx["admin"].claims, indent=2)
    idem = ("[Its examples](#idempotency-key-by-example) are below." if ctx["idempotency"]
            else "")
    out = [INTRO.format(generated=datetime.datetime.now(datetime.timezone.utc)
                        .strftime("%Y-%m-%d %H:%M UTC"),
                        describe=git_describe(), claims=claims, idem_example=idem).rstrip()
           + "\n"]

    # Route index
    out.append("## Route index\n")
    out.append("| method | path | right | |\n|---|---|---|---|")
    placed = {}
    for title, slug, pred in FAMILIES:
        for rt in ROUTES:
            if rt.key() not in placed and pred(rt.pattern):
                placed[rt.key()] = title
    others = [rt for rt in ROUTES if rt.key() not in placed]
    for rt in others:
        placed[rt.key()] = "Other routes"
    order = [t for t, _, _ in FAMILIES] + ["Other routes"]
    for fam in order:
        for rt in ROUTES:
            if placed[rt.key()] == fam:
                out.append(f"| `{rt.method}` | `{rt.pattern}` | {rt.right} | "
                           f"[example](#{rt.anchor}) |")
    out.append("")

    # One section per family, one subsection per route
    for fam in order:
        rts = [rt for rt in ROUTES if placed[rt.key()] == fam]
        if not rts:
            continue
        out.append(f"## {fam}\n")
        for rt in rts:
            out.append(f'<a id="{rt.anchor}"></a>\n')
            out.append(f"### `{rt.method} {rt.pattern}`\n")
            summary = SUMMARIES.get(rt.key(), "")
            out.append(f"Right: `{rt.right}`. {summary}\n")
            for ex in EXCHANGES:
                if ex.show and ex.section is None and ex.route is rt:
                    out.append(render_exchange(ex))

    out.append("## Errors by example\n")
    out.append("The same problem shape on every `/v1` route; these are a few of them.\n")
    for ex in EXCHANGES:
        if ex.show and ex.section == "errors":
            out.append(render_exchange(ex, "###"))

    if ctx["idempotency"]:
        out.append('<a id="idempotency-key-by-example"></a>\n')
        out.append("## Idempotency-Key by example\n")
        for ex in EXCHANGES:
            if ex.show and ex.section == "idempotency":
                out.append(render_exchange(ex, "###"))
    return "\n".join(out).rstrip() + "\n"


# The vendor dialects other than seed 004 have their own pages
# (docs/seed-000.md ... seed-003.md), recorded from real runs by their tests.
OWN_PAGES = {("POST", "/Application/PostSecurityGroupUsers"), ("POST", "/api/users"),
             ("POST", "/usergroupuserinvite"),
             ("POST", "/platform/adminuser/groups/{groupCode}/addusers"),
             ("POST", "/platform/adminuser/groups/{groupCode}/removeusers"),
             # ServiceStack's predefined routes and Kibo's SDK paths of the same
             ("POST", "/api/UserGroupUserInvite"),
             ("POST", "/json/reply/UserGroupUserInvite"),
             ("POST", "/jsv/reply/UserGroupUserInvite"),
             ("POST", "/xml/reply/UserGroupUserInvite"),
             ("POST", "/csv/reply/UserGroupUserInvite"),
             ("POST", "/api/platform/adminuser/groups/{groupCode}/addusers"),
             ("POST", "/api/platform/adminuser/groups/{groupCode}/removeusers")}
# Under /api/ but ServiceStack's and Kibo's (docs/compat.md): "Other routes".
NOT_ASPNET = {"/api/UserGroupUserInvite",
              "/api/platform/adminuser/groups/{groupCode}/addusers",
              "/api/platform/adminuser/groups/{groupCode}/removeusers"}


# Routes that always refuse (SCIM's /Me is 501): their example is a refusal.
REFUSING = {("GET", "/scim/v2/Me"), ("GET", "/scim/v2/tenants/{tenantId}/Me")}


def check_coverage():
    missing = []
    for rt in ROUTES:
        if (rt.method, rt.pattern) in OWN_PAGES:
            continue
        if (rt.method, rt.pattern) in REFUSING:
            if not any(ex.show and ex.route is rt for ex in EXCHANGES):
                missing.append(f"{rt.method} {rt.pattern}")
            continue
        if not any(ex.show and ex.route is rt and 200 <= ex.status < 300 for ex in EXCHANGES):
            missing.append(f"{rt.method} {rt.pattern}")
    if missing:
        raise Failure("no successful example for: " + "; ".join(missing) +
                      " (add one to scripts/api-docs.py)")


def main():
    try:
        ctx = run()
        check_coverage()
        page = render(ctx)
    except Failure as e:
        print(f"api-docs: {e}", file=sys.stderr)
        return 1
    tmp = OUT + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, OUT)
    shown = sum(1 for ex in EXCHANGES if ex.show)
    print(f"api-docs: wrote {os.path.relpath(OUT, REPO)}: {len(ROUTES)} routes, "
          f"{shown} exchanges", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
