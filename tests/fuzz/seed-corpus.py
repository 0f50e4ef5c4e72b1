#!/usr/bin/env python3
"""Writes the seed files of tests/fuzz/corpus/<target>/ from the seed
pages' samples (/work/shared/seeds or $SEEDS), tests/http/fixtures and
the unit tests' vectors.  Only files named seed-* and unit-* are
written; crash regressions (crash-*) and anything else are left alone.
Run from the top of the tree: python3 tests/fuzz/seed-corpus.py"""
import base64, glob, hashlib, hmac, json, os, re, sys

SEEDS = os.environ.get("SEEDS", "/work/shared/seeds")
OUT = "tests/fuzz/corpus"
count = {}


def put(target, prefix, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = "%s-%s" % (prefix, hashlib.sha1(data).hexdigest()[:12])
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    count[target] = count.get(target, 0) + 1


def c_strings(path):
    """Adjacent C string literals, concatenated and unescaped."""
    src = open(path, encoding="utf-8", errors="surrogateescape").read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    out = []
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', src):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0))
        raw = "".join(parts)
        try:
            b = bytes(raw, "utf-8", "surrogateescape")
            s = codecs_unescape(b)
        except Exception:
            continue
        out.append(s)
    return out


def codecs_unescape(b):
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        n = chr(b[i + 1])
        i += 2
        simple = {"n": 10, "t": 9, "r": 13, "\\": 92, '"': 34, "'": 39,
                  "0": 0, "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
        if n == "x":
            m = re.match(rb"[0-9a-fA-F]{1,2}", b[i:])
            out.append(int(m.group(0), 16))
            i += len(m.group(0))
        elif n in "01234567" and re.match(rb"[0-7]", b[i:i + 1] or b"x"):
            m = re.match(rb"[0-7]{0,2}", b[i:])
            out.append(int(n + m.group(0).decode(), 8) & 255)
            i += len(m.group(0))
        elif n in simple:
            out.append(simple[n])
        else:
            raise ValueError(n)
    return bytes(out)


def balanced(text, open_c, close_c):
    """Top-level {...} or [...] blocks of text."""
    res, depth, start = [], 0, None
    for i, ch in enumerate(text):
        if ch == open_c:
            if depth == 0:
                start = i
            depth += 1
        elif ch == close_c and depth > 0:
            depth -= 1
            if depth == 0:
                res.append(text[start:i + 1])
    return res


def xml_blocks(text):
    res = []
    for m in re.finditer(r"<([A-Za-z][\w.]*)[ >]", text):
        end = text.find("</%s>" % m.group(1), m.start())
        if end > 0:
            res.append(text[m.start():end + len(m.group(1)) + 3])
    return res


pages = {os.path.basename(p)[:3]: open(p, encoding="utf-8").read()
         for p in sorted(glob.glob(os.path.join(SEEDS, "*.txt")))}
fixtures = {os.path.basename(p): open(p, "rb").read()
            for p in sorted(glob.glob("tests/http/fixtures/*"))}
units = {os.path.basename(p): c_strings(p)
         for p in sorted(glob.glob("tests/unit/check_*.c"))}

# ---- JSON ----
json_docs = []
for k, t in pages.items():
    for blk in balanced(t, "{", "}"):
        try:
            json.loads(blk)
            json_docs.append(blk)
            put("json", "seed" + k, blk)
        except ValueError:
            pass
for name, b in fixtures.items():
    if name.endswith(".json"):
        json_docs.append(b.decode())
        put("json", "fixture", b)
for s in units["check_formats.c"] + units["check_aspnet.c"]:
    if s[:1] in (b"{", b"[", b'"') or s.strip()[:1] in (b"{", b"["):
        put("json", "unit", s)
for s in [b"[]", b"{}", b"null", b"1e999", b'"\\u0000"', b'{"a":1,"a":2}',
          b"[" * 40 + b"]" * 40, b'"\xed\xa0\x80"', b"[1,2,3,4,5]",
          b'{"a":{"b":{"c":{"d":1}}}}', b'"aaaaaaaaaaaa"']:
    put("json", "unit", s)

# ---- XML ----
for k, t in pages.items():
    for blk in xml_blocks(t):
        put("xml", "seed" + k, blk)
for name, b in fixtures.items():
    if name.endswith(".xml"):
        put("xml", "fixture", b)
for s in units["check_xml.c"]:
    if s.lstrip()[:1] == b"<":
        put("xml", "unit", s)

# ---- JSV ----
for k, t in pages.items():
    if k == "001":
        for blk in balanced(t, "{", "}"):
            put("jsv", "seed" + k, blk)
for s in units["check_jsv.c"]:
    if s.strip()[:1] in (b"{", b"["):
        put("jsv", "unit", s)

# ---- CSV: DTOs as JSON and JSV ----
for d in json_docs:
    if d.lstrip().startswith("{"):
        put("csv", "seed", d)
for s in units["check_jsv.c"]:
    if s.strip()[:1] == b"{":
        put("csv", "unit", s)
for s in [b'{"a":"x,y","b":"say \\"hi\\"","c":"line\\r\\nbreak",'
          b'"d":"[x]","e":null,"f":true,"g":[1,{"h":""}],"i":{}}',
          b'{}', b'{"":""}', b'{"x":{"y":[null,"a,b"]}}']:
    put("csv", "unit", s)

# ---- form ----
for s in units["check_xml.c"]:
    if b"=" in s and b"<" not in s and b" " not in s.strip():
        put("form", "unit", s)
for s in [b"Email=a%40b.example&Title=Dr+Who",
          b"Roles[0][Name]=x&Roles[0][Id]=1&StoreIDs[]=1&StoreIDs[]=2",
          b"Roles[0].Name=x&StoreIDs[0]=1", b"StoreIDs=1&StoreIDs=2",
          b"EMail=a%40b.example&GroupCode=ADM", b"a", b"a[1]=x",
          b"a.b.c.d=1&a.b.c.e", b"%ZZ=1", b"a[-1]=1", b"a[01]=1"]:
    put("form", "unit", s)

# ---- responseFields selections ----
group = None
for blk in balanced(pages.get("002", ""), "{", "}"):
    try:
        json.loads(blk)
        group = blk if group is None or len(blk) > len(group) else group
    except ValueError:
        pass
sels = [b"groupCode", b"groupCode,users(id,emailAddress)", b"name,auditInfo",
        b"users(id)", b"USERS(ID,EMAILADDRESS)", b"a(b(c(d(e(f(g))))))",
        b"a(b(c(d(e(f(g(h)))))))", b"x,,y", b"a()", b"a(b", b""]
for s in units["check_servicestack.c"]:
    if re.fullmatch(rb"[A-Za-z0-9_,()]{1,200}", s):
        sels.append(s)
for s in sels:
    put("fields", "unit", s)
    if group:
        put("fields", "seed002", s + b"\n" + group.encode())
put("fields", "unit", b"users(id)\n[{\"users\":[{\"id\":1,\"x\":2}]},3]")

# ---- JWT ----
H = b'{"alg":"HS256","typ":"JWT"}'
E = b'{"alg":"ES256"}'
C = (b'{"sub":"u1","iss":"https://issuer.test/","aud":"rosterd",'
     b'"exp":1800000300,"tid":"0F8FAD5B-D9CB-469F-A165-70867728950E",'
     b'"roles":["TenantAdmin","SystemAdmin","x"]}')
claims = [C, b'{"sub":"u1"}', b'{"sub":"u1","exp":1799999000}',
          b'{"sub":"u1","nbf":1900000000}', b'{"sub":"","exp":1800000300}',
          b'{"sub":"u1","aud":["x","rosterd"],"exp":1.8e9}',
          b'{"sub":"u1","roles":"TenantAdmin"}', b'{"sub":"u1","tid":"x"}']
heads = [H, E, b'{"alg":"none"}', b'{"alg":"HS256","kid":"k"}',
         b'{"alg":"HS256","crit":["b64"]}', b'{"alg":"RS256"}',
         b'{"alg":"HS256","kid":1}', b'{"alg":"EdDSA"}']
for c in claims:
    for m in (1, 2, 3):
        put("jwt", "unit", bytes([m]) + c)
for h in heads:
    put("jwt", "unit", bytes([1]) + h + b"\n" + C)
    put("jwt", "unit", bytes([2]) + h + b"\n" + C)
secret = b"rosterd-fuzz-hs256-secret-32byte"
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")
for h, c in [(H, C), (H, claims[1])]:
    si = b64u(h) + b"." + b64u(c)
    tok = si + b"." + b64u(hmac.new(secret, si, "sha256").digest())
    put("jwt", "unit", b"\0" + tok)
for s in units["check_auth.c"]:
    if re.fullmatch(rb"eyJ[A-Za-z0-9_\-.=]+", s):
        put("jwt", "unit", b"\0" + s)
for s in [b"a.b.c", b"..", b"eyJ.eyJ.", b"x" * 9000]:
    put("jwt", "unit", b"\0" + s)

# ---- router ----
rsrc = open("src/routes.c").read()
uid = "0f8fad5b-d9cb-469f-a165-70867728950e"
for m in re.finditer(r'\{\s*"([A-Z]+)",\s*"([^"]+)"', rsrc):
    meth, pat = m.group(1), m.group(2)
    uri = re.sub(r"\{[^}]+\}", uid, pat)
    put("router", "route", "%s\n%s" % (meth, uri))
    put("router", "route", "%s\n%s/?a=1\nCONTENT_TYPE=application/json\n"
        "CONTENT_LENGTH=12\nHTTP_X_REQUEST_ID=abc-123" % (
            "GET" if meth != "GET" else "POST", uri.upper()))
for s in units["check_routes.c"] + units["check_servicestack.c"] + \
        units["check_http.c"]:
    if s.startswith(b"/") and b" " not in s:
        put("router", "unit", b"GET\n" + s)
        put("router", "unit", b"POST\n" + s)
for s in [b"GET\n/v1/tenants/%00/users", b"GET\n/v1/tenants/%2F/users",
          b"GET\n/v1/tenants/%zz", b"GET\n" + b"/a" * 20, b"GET\nrelative",
          b"GET\n/\nCONTENT_LENGTH=-1", b"GET\n/healthz\nHTTP_X_REQUEST_ID=" +
          b"x" * 200, b"\n/healthz", b"GET"]:
    put("router", "unit", s)

# ---- negotiation ----
ss = open("tests/unit/check_servicestack.c").read()
for m in re.finditer(r'\{ "[^"]*",\s*("[^"]*"|NULL),\s*("[^"]*"|NULL),\s*'
                     r'("[^"]*"|NULL),\s*("[^"]*"|NULL),', ss):
    path, query, acc, ct = [g[1:-1] if g != "NULL" else ""
                            for g in m.groups()]
    put("negotiate", "unit", "%s\n%s\n%s\n%s" % (acc, ct, path, query))
for s in units["check_aspnet.c"]:
    if b"/" in s and b"{" not in s and b"<" not in s and len(s) < 300:
        put("negotiate", "unit", s + b"\napplication/json\n/api/users\n")
for acc in [b"application/xml;q=0.9, application/json;q=0.8", b"*/*",
            b"text/*;q=0.5, */*;q=0.1", b"application/vnd.ms-excel",
            b"application/json;q=0, application/xml;q=0"]:
    put("negotiate", "unit", acc + b"\napplication/x-www-form-urlencoded\n"
        b"/usergroupuserinvite.jsv\nformat=csv")

# ---- config ----
conf = open("etc/rosterd.conf", "rb").read()
put("config", "etc", conf)
for s in [b"workers = 4\nmax_body_bytes = 2M\nlisten_mode = 0600\n",
          b"max_depth = 1\n", b"jwt_require_exp = off\nlog_level = debug\n",
          b"db_conninfo = host=x password=a#b # comment\n",
          b"listen=\n", b"unknown = 1\n", b"= 3\n", b"max_items\n",
          b"max_body_bytes = 9999999999999999999999G\n",
          b"request_memory_bytes = 4G\n", b"# only a comment\n\n\t\n",
          b"statement_timeout_ms = -0\n", b"x" * 5000 + b"\n"]:
    put("config", "unit", s)

# ---- SCIM filters and PATCH paths ----
ent = b"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
for s in units["check_scim_filter.c"]:
    if len(s) < 400 and not s.startswith(b"error:") and \
            b"lower(" not in s and b"EXISTS" not in s and \
            not re.search(rb"offset|attribute '|compare it| [snb]:|^\[", s) and \
            (re.search(rb"(?i)\b(eq|ne|co|sw|ew|pr|gt|ge|lt|le)\b", s) or
             re.fullmatch(rb"[A-Za-z0-9_$:.\[\]]+", s)):
        put("scim_filter", "unit", s)
for s in [b'userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"',
          b'externalId eq "johnwong"', b'displayName eq "EDU All personal"',
          b'emails[type eq "work"].value eq "x@example.com"',
          b'id eq "5171a35d82074e068ce2" and manager eq "2c2f"',
          b'members[value eq "89bb1940-b905-4575-9e7f-6f887cfb368e"]',
          b'emails[type eq "work"].value', b'name.givenName',
          ent + b":employeeNumber", ent + b":manager",
          b'userType ne "Employee" and not (emails co "example.com" or '
          b'emails.value co "example.org")',
          b'meta.lastModified gt "2011-05-13T04:42:34Z"',
          b'x.n ge -1.5e3 or active eq TRUE', b"(" * 17 + b"a pr" + b")" * 17,
          b" and ".join([b"a pr"] * 65), b'x eq "\\ud83d\\ude00\\u00e9"']:
    put("scim_filter", "seed", s)

for t in sorted(count):
    print("%-10s %d" % (t, count[t]))
