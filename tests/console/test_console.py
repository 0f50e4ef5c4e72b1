"""The admin console in a real browser: Debian's headless Chromium through
chromium-driver (Selenium), against the stack tests/console/run started.

Each test prints "ok - NAME" or "not ok - NAME" (with the reason as "#"
lines); the last line is "N passed, N failed". Every wait is a condition
(WebDriverWait) with a deadline that only guards against a hang; nothing
decides on elapsed time. Each page is screenshotted and checked with
axe-core (no violation of any rule).
"""

import json
import os
import ssl
import sys
import traceback
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["CONSOLE_URL"]
TENANT = os.environ["CONSOLE_TENANT"]
OTHER = os.environ["CONSOLE_OTHER_TENANT"]
ADMIN = os.environ["CONSOLE_ADMIN_TOKEN"]
TADMIN = os.environ["CONSOLE_TADMIN_TOKEN"]
READER = os.environ["CONSOLE_READER_TOKEN"]
OTHER_ADMIN = os.environ["CONSOLE_OTHER_TOKEN"]
TMP = os.environ["CONSOLE_TMP"]
SHOTS = os.path.join(TMP, "screenshots")
AXE = open(os.environ["CONSOLE_AXE"]).read()
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HANG = 90  # seconds: a guard against a hang, never a verdict

CTX = ssl.create_default_context(cafile=os.environ["CONSOLE_CA"])


# ---- the API, directly (to set up, to race the console, to check)

def call(method, path, token=ADMIN, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=HANG) as r:
            raw = r.read()
            return r.status, dict(r.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return e.code, dict(e.headers), parsed


def console_files():
    """The console's files, relative to console/."""
    out = []
    for dirpath, _, files in os.walk(os.path.join(REPO, "console")):
        for f in files:
            out.append(os.path.relpath(os.path.join(dirpath, f), os.path.join(REPO, "console")))
    return sorted(out)


def tp(rest=""):
    return f"/v1/tenants/{TENANT}{rest}"


def user_by_name(name, tenant=TENANT):
    st, _, body = call("GET", f"/v1/tenants/{tenant}/users?q={name}&limit=10")
    assert st == 200, (st, body)
    hits = [u for u in body["items"] if u["username"] == name]
    return hits[0] if hits else None


def all_pages(path, token=ADMIN):
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        p = path + f"{sep}limit=1000" + (f"&cursor={cursor}" if cursor else "")
        st, _, body = call("GET", p, token)
        assert st == 200, (st, body)
        items += body["items"]
        cursor = body["nextCursor"]
        if not cursor:
            return items


# ---- the browser

def make_driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
              f"--user-data-dir={TMP}/chromium-profile", "--lang=en-US"):
        opts.add_argument(a)
    if os.geteuid() == 0:
        opts.add_argument("--no-sandbox")  # Chromium refuses root otherwise
    opts.accept_insecure_certs = True  # the stack's self-signed certificate
    service = Service("/usr/bin/chromedriver", log_path=os.path.join(TMP, "chromedriver.log"))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(HANG)
    d.set_script_timeout(HANG)
    return d


D = None


def wait(cond, what):
    try:
        return WebDriverWait(D, HANG, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(cond)
    except TimeoutException:
        raise AssertionError(f"waited in vain for {what}") from None


def el(css):
    return wait(EC.presence_of_element_located((By.CSS_SELECTOR, css)), css)


def visible(css):
    return wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), css)


def clickable(css):
    return wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)), css)


def absent(css):
    return not D.find_elements(By.CSS_SELECTOR, css)


def text_in(css, text):
    wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), f"{text!r} in {css}")


def texts(css):
    """The text of each element matching css, read at once (no element
    reference that a re-render could make stale)."""
    return D.execute_script("return [...document.querySelectorAll(arguments[0])]"
                            ".map(e => e.textContent.trim())", css)


def js(script, *args):
    return D.execute_script(script, *args)


def browser_fetch(method, path, token, body=None):
    """fetch() from inside the page, as the console's script could."""
    return D.execute_async_script("""
        const [method, path, token, body, done] = arguments;
        fetch(path, {method, headers: Object.assign({Authorization: 'Bearer ' + token},
            body ? {'Content-Type': 'application/json'} : {}),
            body: body ? JSON.stringify(body) : undefined})
          .then(r => done(r.status), e => done('error: ' + e));
    """, method, path, token, body)


def sign_in(token):
    mark_stale()
    D.get(f"{URL}/console/#token={token}")
    wait_page_ready()
    el("#whoami")


def goto(page):
    """To #page, rendered anew (the console renders a page into a new main
    element: the old one is marked, and waited out)."""
    target = f"{URL}/console/#{page}"
    mark_stale()
    if D.current_url == target:
        D.refresh()
    else:
        D.get(target)
    wait_page_ready()


def mark_stale():
    try:
        js("document.getElementById('main')?.setAttribute('data-stale', '')")
    except Exception:  # noqa: BLE001 (no page yet)
        pass


def wait_page_ready():
    wait(lambda d: d.execute_script(
        "const m = document.getElementById('main');"
        "return m && !m.hasAttribute('data-stale') && m.querySelector('h1')"
        " && !document.querySelector('[aria-busy=true]')"
        " && !/Loading/.test(m.textContent);"), "the page to render")


def set_field(css, value):
    e = visible(css)
    e.clear()
    e.send_keys(value)
    return e


AXE_RESULTS = {}


def check_page(name):
    """Screenshot, and axe-core's violations of the page as it is."""
    os.makedirs(SHOTS, exist_ok=True)
    D.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    if not js("return !!window.axe"):
        js(AXE)
    violations = D.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({id: v.id, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))),
                e => done([{id: 'axe-error', help: String(e), nodes: []}]));
    """)
    AXE_RESULTS[name] = violations


# ---- the tests, in order (later ones use what earlier ones made)

TESTS = []
STATE = {}


def test(f):
    TESTS.append(f)
    return f


@test
def console_served_with_strict_csp():
    req = urllib.request.Request(URL + "/console/", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, context=CTX, timeout=HANG) as r:
        csp = r.headers["Content-Security-Policy"]
        assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
    assert csp, "no Content-Security-Policy"
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"], csp
    assert directives["script-src"] == ["'self'"], csp
    assert directives["style-src"] == ["'self'"], csp
    assert "'self'" in directives["connect-src"], csp
    assert "unsafe" not in csp, csp
    # Every file of the console, as sent (gzip): the first load is at most
    # that, and must stay well under 150 KB.
    total = 0
    for n in [""] + console_files():
        req = urllib.request.Request(URL + "/console/" + n, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, context=CTX, timeout=HANG) as r:
            body = r.read()
            if n.endswith(".js"):
                assert r.headers["Content-Type"] == "text/javascript", (n, r.headers["Content-Type"])
            total += len(body)
    print(f"# first load: {total} bytes as sent")
    assert total < 150_000, total
    st, _, _ = call("GET", "/console/nothing-here.js")
    assert st == 404, st


@test
def console_files_are_installed():
    """Every file of console/ is in Makefile.am's console lists (so make
    install and the package carry it), and nothing else is."""
    with open(os.path.join(REPO, "Makefile.am")) as f:
        text = f.read().replace("\\\n", " ")
    listed = set()
    for var in ("dist_console_DATA", "dist_consolepages_DATA"):
        line = next(l for l in text.splitlines() if l.startswith(var + " ="))
        listed |= {w.removeprefix("console/") for w in line.split("=", 1)[1].split()}
    have = set(console_files())
    assert listed == have, f"only in Makefile.am: {sorted(listed - have)}; " \
        f"only in console/: {sorted(have - listed)}"


@test
def sign_in_with_the_url_fragment():
    sign_in(ADMIN)
    text_in("#whoami", "console-sysadmin")
    assert "token=" not in D.current_url, D.current_url
    assert ADMIN not in js("return location.href + document.cookie")
    assert js("return Object.keys(localStorage).length") == 0
    assert js("return sessionStorage.getItem('rosterd.console.token')") == ADMIN
    el("#users-table tbody tr")
    check_page("users")


@test
def keyboard_slash_and_palette():
    goto("/users")
    D.find_element(By.TAG_NAME, "body").click()
    D.find_element(By.TAG_NAME, "body").send_keys("/")
    wait(lambda d: d.switch_to.active_element.get_attribute("id") == "user-search",
         "/ to focus the search")
    D.switch_to.active_element.send_keys(Keys.ESCAPE)
    D.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "k")
    visible("#palette-input").send_keys("groups")
    D.switch_to.active_element.send_keys(Keys.ENTER)
    wait(lambda d: d.current_url.endswith("#/groups"), "the palette to go to groups")
    wait_page_ready()


@test
def search_as_you_type_and_pages():
    goto("/users")
    first = texts("#users-table tbody tr td:first-child")
    assert len(first) == 50, len(first)
    clickable("#user-list .pager button:nth-of-type(2)").click()
    text_in("#user-list .pager", "Page 2")
    second = texts("#users-table tbody tr td:first-child")
    assert len(second) == 50 and not set(first) & set(second), (first[:3], second[:3])
    set_field("#user-search", "bulk-0420")
    wait(lambda d: sorted(texts("#users-table tbody tr td:first-child")) ==
         [f"bulk-0420{i}" for i in range(10)], "the ten users bulk-04200..04209")
    set_field("#user-search", "no-such-user-anywhere")
    el("#users-empty")


@test
def create_user_and_field_error():
    goto("/users")
    clickable("#user-new").click()
    set_field("#user-create [name=username]", "console-new")
    set_field("#user-create [name=email]", "console-new@console.example")
    set_field("#user-create [name=firstName]", "Connie")
    D.find_element(By.CSS_SELECTOR, "#user-create button[type=submit]").click()
    wait(lambda d: "/users/" in d.current_url, "the new user's page")
    text_in("#main h1", "console-new")
    u = user_by_name("console-new")
    assert u and u["email"] == "console-new@console.example" and u["firstName"] == "Connie", u
    STATE["user"] = u
    check_page("user")
    # The same username again: the API's error next to the field it names.
    goto("/users?new=1")
    set_field("#user-create [name=username]", "console-new")
    D.find_element(By.CSS_SELECTOR, "#user-create button[type=submit]").click()
    err = el("#user-create [name=username] + .field-error")
    assert err.text, "an empty field error"
    assert el("#user-create [name=username]").get_attribute("aria-invalid") == "true"
    assert "/users/" not in D.current_url


@test
def user_roles_give_and_take():
    u = STATE["user"]
    goto(f"/users/{u['id']}")
    st, _, roles = call("GET", tp("/roles?limit=200"))
    member = [r for r in roles["items"] if r["name"] == "Member"][0]
    Select(visible("#user-give-role [name=roleId]")).select_by_value(member["id"])
    D.find_element(By.CSS_SELECTOR, "#user-give-role button[type=submit]").click()
    el(f"#user-role-list li[data-role='{member['id']}']")
    st, _, mine = call("GET", tp(f"/users/{u['id']}/roles"))
    assert [r["roleId"] for r in mine["items"]] == [member["id"]], mine
    clickable(f"#user-role-list li[data-role='{member['id']}'] button.take-role").click()
    wait(lambda d: absent("#user-role-list"), "the role to leave the list")
    st, _, mine = call("GET", tp(f"/users/{u['id']}/roles"))
    assert mine["items"] == [], mine


@test
def concurrent_edit_gets_the_conflict():
    u = STATE["user"]
    goto(f"/users/{u['id']}")
    set_field("#user-edit [name=title]", "Set in the console")
    # Meanwhile, someone else changes the user through the API.
    st, _, body = call("PATCH", tp(f"/users/{u['id']}"), body={"title": "Set through the API"})
    assert st == 200, (st, body)
    D.find_element(By.CSS_SELECTOR, "#user-save").click()
    text_in("#user-conflict", "someone else changed this user")
    check_page("user-conflict")
    st, _, now = call("GET", tp(f"/users/{u['id']}"))
    assert now["title"] == "Set through the API", now
    assert absent("#user-saved")
    clickable("#user-reload").click()
    wait(lambda d: d.find_element(By.CSS_SELECTOR, "#user-edit [name=title]")
         .get_attribute("value") == "Set through the API", "the reloaded title")
    # Now a save goes through, with the current version.
    set_field("#user-edit [name=title]", "Set in the console")
    D.find_element(By.CSS_SELECTOR, "#user-save").click()
    el("#user-saved")
    st, _, now = call("GET", tp(f"/users/{u['id']}"))
    assert now["title"] == "Set in the console", now


@test
def deactivate_and_delete_user():
    u = STATE["user"]
    goto(f"/users/{u['id']}")
    clickable("#user-toggle-active").click()
    text_in("#user-toggle-active", "Activate")
    st, _, now = call("GET", tp(f"/users/{u['id']}"))
    assert now["active"] is False, now
    clickable("#user-delete").click()
    clickable("#user-delete-confirm").click()
    wait(lambda d: d.current_url.endswith("#/users"), "the users list after the delete")
    st, _, _ = call("GET", tp(f"/users/{u['id']}"))
    assert st == 404, st


@test
def bulk_add_5000_members_by_paste():
    st, _, g = call("POST", tp("/groups"), body={"kind": "security", "code": "bulk-target",
                                                  "name": "Bulk target"})
    assert st == 201, (st, g)
    STATE["group"] = g
    users = all_pages(tp("/users?q=bulk-"))
    users = sorted((u for u in users if u["username"].startswith("bulk-")),
                   key=lambda u: u["username"])
    assert len(users) == 5000, len(users)
    # 25 members already.
    st, _, body = call("POST", tp(f"/groups/{g['id']}/members"),
                       body={"userIds": [u["id"] for u in users[:25]]})
    assert st == 200 and len(body["added"]) == 25, (st, body)
    # 10 ids, 3,490 usernames (every other one in capitals), 1,500 e-mails
    # (in capitals); and 3 entries that are nobody.
    lines = [u["id"] for u in users[:10]]
    lines += [u["username"].upper() if i % 2 else u["username"]
              for i, u in enumerate(users[10:3500])]
    lines += [u["email"].upper() for u in users[3500:]]
    lines += [str(uuid.uuid4()), str(uuid.uuid4()), "nobody-at-all"]
    goto(f"/groups/{g['id']}")
    area = visible("#bulk-text")
    # A paste: the text arrives at once, as the clipboard gives it.
    js("arguments[0].value = arguments[1];"
       "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", area, "\n".join(lines))
    js("performance.clearResourceTimings(); window.rtBulkStart = performance.now();")
    clickable("#bulk-submit").click()
    el("#bulk-counts")
    sent, took = js("return [performance.getEntriesByType('resource').filter((e) => "
                    "/\\/members$/.test(e.name)).length, performance.now() - window.rtBulkStart];")
    print(f"# paste of {len(lines)} entries (10 ids, 3,490 usernames, 1,500 e-mails, "
          f"3 nobody): {sent} add request(s), {took:.0f} ms to the counts")
    got = {k: D.find_element(By.ID, f"bulk-{k}").text for k in ("added", "already", "notfound")}
    assert got == {"added": "4975", "already": "25", "notfound": "3"}, got
    nf = set(texts("#bulk-notfound-list li"))
    assert "nobody-at-all" in nf and len(nf) == 3, nf
    members = all_pages(tp(f"/groups/{g['id']}/members"))
    assert len(members) == 5000, len(members)
    # A CSV file chosen instead: its header cell is skipped.
    csv = os.path.join(TMP, "members.csv")
    with open(csv, "w") as f:
        f.write("email\nbulk-04999@console.example\nnobody@console.example\n")
    D.find_element(By.ID, "bulk-file").send_keys(csv)
    wait(lambda d: "nobody@console.example" in js("return document.getElementById('bulk-text').value"),
         "the file's text in the form")
    clickable("#bulk-submit").click()
    wait(lambda d: {k: texts(f"#bulk-{k}") for k in ("added", "already", "notfound")} ==
         {"added": ["0"], "already": ["1"], "notfound": ["1"]}, "the CSV's counts 0 / 1 / 1")
    # A CSV of several columns (as rosterd's export writes): one user a row,
    # by its username; its names are no users (this first name is one's).
    csv = os.path.join(TMP, "members-wide.csv")
    with open(csv, "w") as f:
        f.write('username,email,firstName,lastName\r\n'
                'bulk-04998,bulk-04998@console.example,bulk-04997,"Van Dyke"\r\n'
                ',bulk-04996@console.example,"Smith, Jr.",X\r\n')
    D.find_element(By.ID, "bulk-file").send_keys(csv)
    wait(lambda d: "Van Dyke" in js("return document.getElementById('bulk-text').value"),
         "the wide file's text in the form")
    clickable("#bulk-submit").click()
    wait(lambda d: {k: texts(f"#bulk-{k}") for k in ("added", "already", "notfound")} ==
         {"added": ["0"], "already": ["2"], "notfound": ["0"]},
         "the wide CSV's counts 0 / 2 / 0 (its username, else its e-mail, column)")
    got = D.execute_async_script("""
        const done = arguments[0];
        import('/console/pages/groups.js').then((m) => done(m.parseEntries(
            'id;name\\n' + 'a\\n' + '"b;c";x\\n')), (e) => done(String(e)));
    """)
    assert got == {"entries": ["a", "b;c"], "dups": 0}, got
    el("#members-table tbody tr")
    check_page("group")
    goto("/groups")
    el("#groups-table")
    check_page("groups")


@test
def group_create_rename_delete():
    goto("/groups?new=1")
    set_field("#group-create [name=code]", "short-lived")
    set_field("#group-create [name=name]", "Short lived")
    D.find_element(By.CSS_SELECTOR, "#group-create button[type=submit]").click()
    wait(lambda d: "/groups/" in d.current_url, "the new group's page")
    text_in("#main h1", "Short lived")
    gid = D.current_url.rsplit("/", 1)[1]
    D.find_element(By.CSS_SELECTOR, "#main details summary").click()
    set_field("#group-edit [name=name]", "Renamed group")
    D.find_element(By.ID, "group-save").click()
    el("#group-saved")
    st, _, g = call("GET", tp(f"/groups/{gid}"))
    assert g["name"] == "Renamed group", g
    clickable("#group-delete").click()
    clickable("#group-delete-confirm").click()
    wait(lambda d: d.current_url.endswith("#/groups"), "the groups list after the delete")
    st, _, _ = call("GET", tp(f"/groups/{gid}"))
    assert st == 404, st


@test
def invite_link_once_then_revoke():
    goto("/invites")
    clickable("#invite-new").click()
    set_field("#invite-create [name=email]", "new.hire@console.example")
    D.find_element(By.CSS_SELECTOR, "#invite-create button[type=submit]").click()
    link = el("#invite-link").text
    assert "#/accept?token=" in link, link
    check_page("invite-link")
    invites = all_pages(tp("/invites?state=pending"))
    inv = [i for i in invites if i["email"] == "new.hire@console.example"]
    assert len(inv) == 1, invites
    inv = inv[0]
    assert "token" not in inv
    # The link is not shown again: the list has no token.
    goto("/invites")
    assert absent("#invite-link")
    assert link.split("token=")[1] not in D.page_source
    clickable(f"#invites-table tr[data-id='{inv['id']}'] button.revoke").click()
    text_in(f"#invites-table tr[data-id='{inv['id']}'] .state", "revoked")
    st, _, now = call("GET", tp(f"/invites/{inv['id']}"))
    assert now["state"] == "revoked", now
    check_page("invites")
    # Another invitation, accepted through its link's page.
    goto("/invites?new=1")
    set_field("#invite-create [name=email]", "accepted.hire@console.example")
    D.find_element(By.CSS_SELECTOR, "#invite-create button[type=submit]").click()
    link = el("#invite-link").text
    mark_stale()
    D.get(link)
    wait_page_ready()
    set_field("#accept-form [name=username]", "accepted-hire")
    set_field("#accept-form [name=password]", "correct horse battery staple")
    check_page("accept")
    D.find_element(By.CSS_SELECTOR, "#accept-form button[type=submit]").click()
    text_in("#accept-done", "accepted-hire")
    u = user_by_name("accepted-hire")
    assert u and u["email"] == "accepted.hire@console.example" and u["hasPassword"], u
    # A password is sent as typed, its spaces included; other text trimmed.
    got = D.execute_async_script("""
        const done = arguments[0];
        import('/console/ui.js').then((m) => {
            const f = document.createElement('form');
            for (const [name, type, value] of [['password', 'password', '  two spaces  '],
                                               ['username', 'text', '  someone  ']]) {
                const i = document.createElement('input');
                Object.assign(i, { name, type, value });
                f.append(i);
            }
            done(m.formValues(f));
        }, (e) => done(String(e)));
    """)
    assert got == {"password": "  two spaces  ", "username": "someone"}, got


@test
def audit_log_filters():
    goto("/audit")
    el("#audit-table tbody tr")
    actions = set(texts("#audit-table td.action"))
    assert len(actions) > 1, actions
    uid = STATE["user"]["id"]
    set_field("#audit-filter [name=action]", "user.update")
    set_field("#audit-filter [name=targetId]", uid)
    D.find_element(By.ID, "audit-apply").click()
    wait(lambda d: set(texts("#audit-table td.action")) == {"user.update"},
         "only user.update rows")
    rows = D.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr")
    want = [a for a in all_pages(tp(f"/audit?action=user.update&targetId={uid}"))]
    assert len(rows) == len(want) >= 2, (len(rows), len(want))
    check_page("audit")
    # The next page keeps the filters applied, whatever the fields say
    # since: its cursor belongs to them. 55 more updates of the user make
    # a second page of user.update rows.
    other = user_by_name("bulk-00002")["id"]
    for i in range(55):
        st, _, _ = call("PATCH", tp(f"/users/{other}"), body={"title": f"Title {i}"})
        assert st == 200, st
    set_field("#audit-filter [name=targetId]", "")
    D.find_element(By.ID, "audit-apply").click()
    wait(lambda d: len(texts("#audit-table td.action")) == 50, "a first page of 50 rows")
    set_field("#audit-filter [name=action]", "tenant.create")
    next_page = [b for b in D.find_elements(By.CSS_SELECTOR, "#audit-list nav.pager button")
                 if b.text == "Next page"][0]
    next_page.click()
    wait(lambda d: "Page 2" in D.find_element(By.CSS_SELECTOR, "#audit-list nav.pager").text,
         "the second page")
    el("#audit-table tbody tr")
    page2 = set(texts("#audit-table td.action"))
    assert page2 == {"user.update"}, page2
    # A bad filter: the API's error next to its field.
    set_field("#audit-filter [name=targetId]", "not-a-uuid")
    D.find_element(By.ID, "audit-apply").click()
    el("#audit-filter .alert")


@test
def role_create_edit_conflict_delete():
    goto("/roles")
    clickable("#role-new").click()
    assert absent("#role-create [name=isSystemAdmin]"), "isSystemAdmin offered"
    set_field("#role-create [name=name]", "Console auditor")
    set_field("#role-create [name=description]", "Reads the audit log")
    clickable("#role-create [name=isGroupAdmin]").click()
    D.find_element(By.CSS_SELECTOR, "#role-create button[type=submit]").click()
    wait(lambda d: "/roles/" in d.current_url, "the new role's page")
    text_in("#main h1", "Console auditor")
    rid = D.current_url.rsplit("/", 1)[1]
    st, _, r = call("GET", tp(f"/roles/{rid}"))
    assert st == 200 and r["name"] == "Console auditor" and r["isGroupAdmin"] is True \
        and r["isSystemAdmin"] is False and r["description"] == "Reads the audit log", (st, r)
    check_page("role")
    # A name another role has: the API's error next to the field.
    set_field("#role-edit [name=name]", "member")
    D.find_element(By.ID, "role-save").click()
    assert el("#role-edit [name=name] + .field-error").text, "an empty field error"
    assert el("#role-edit [name=name]").get_attribute("aria-invalid") == "true"
    set_field("#role-edit [name=name]", "Console auditor")
    # Someone else changes the role between the load and the save.
    set_field("#role-edit [name=description]", "Set in the console")
    st, _, body = call("PATCH", tp(f"/roles/{rid}"), body={"description": "Set through the API"})
    assert st == 200, (st, body)
    D.find_element(By.ID, "role-save").click()
    text_in("#role-conflict", "someone else changed this role")
    check_page("role-conflict")
    assert absent("#role-saved")
    st, _, now = call("GET", tp(f"/roles/{rid}"))
    assert now["description"] == "Set through the API", now
    clickable("#role-reload").click()
    wait(lambda d: d.find_element(By.CSS_SELECTOR, "#role-edit [name=description]")
         .get_attribute("value") == "Set through the API", "the reloaded description")
    set_field("#role-edit [name=description]", "Set in the console")
    D.find_element(By.ID, "role-save").click()
    el("#role-saved")
    st, _, now = call("GET", tp(f"/roles/{rid}"))
    assert now["description"] == "Set in the console", now
    goto("/roles")
    text_in(f"#roles-table tr[data-id='{rid}']", "Set in the console")
    check_page("roles")
    goto(f"/roles/{rid}")
    clickable("#role-delete").click()
    clickable("#role-delete-confirm").click()
    wait(lambda d: d.current_url.endswith("#/roles"), "the roles list after the delete")
    wait_page_ready()
    assert absent(f"#roles-table tr[data-id='{rid}']")
    st, _, _ = call("GET", tp(f"/roles/{rid}"))
    assert st == 404, st


@test
def api_token_secret_once_then_revoke():
    goto("/users")
    D.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "k")
    visible("#palette-input").send_keys("api tokens")
    mark_stale()
    D.switch_to.active_element.send_keys(Keys.ENTER)
    wait(lambda d: d.current_url.endswith("#/tokens"), "the palette to go to API tokens")
    wait_page_ready()
    clickable("#token-new").click()
    set_field("#token-create [name=name]", "console-ci")
    Select(visible("#token-create [name=role]")).select_by_value("TenantReader")
    set_field("#token-create [name=allowedAddresses]", "127.0.0.0/8\n::1")
    D.find_element(By.CSS_SELECTOR, "#token-create button[type=submit]").click()
    secret = el("#token-secret").text
    assert secret.startswith("rsd_"), secret
    text_in("#token-secret-box", "it will not be shown again")
    el("#token-copy")
    check_page("token-secret")
    stored = js("return JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage),"
                " document.cookie])")
    assert secret not in stored, "the secret was stored"
    # The secret authenticates a request to /v1, as the role it was given.
    st, _, body = call("GET", tp("/users?limit=1"), token=secret)
    assert st == 200 and len(body["items"]) == 1, (st, body)
    st, _, _ = call("POST", tp("/users"), token=secret, body={"username": "by-reader-token"})
    assert st == 403, st
    toks = [t for t in all_pages(tp("/api-tokens")) if t["name"] == "console-ci"]
    assert len(toks) == 1, toks
    t = toks[0]
    assert "token" not in t and t["role"] == "TenantReader", t
    assert t["allowedAddresses"] in (["127.0.0.0/8", "::1"], ["127.0.0.0/8", "::1/128"]), t
    # Not shown again: the list has no secret.
    goto("/tokens")
    row = f"#tokens-table tr[data-id='{t['id']}']"
    text_in(row, t["prefix"])
    text_in(f"{row} .addresses", "127.0.0.0/8")
    assert absent("#token-secret") and secret not in D.page_source
    check_page("tokens")
    clickable(f"{row} button.revoke").click()
    check_page("token-revoke-confirm")
    clickable("#token-revoke-confirm").click()
    text_in(f"{row} .state", "revoked")
    assert absent(f"{row} button.revoke")
    st, _, now = call("GET", tp(f"/api-tokens/{t['id']}"))
    assert now["state"] == "revoked", now
    st, _, _ = call("GET", tp("/users?limit=1"), token=secret)
    assert st == 401, st
    STATE["token"] = t


@test
def tenants_create_rename_delete_by_slug():
    goto("/tenants")
    clickable("#tenant-new").click()
    set_field("#tenant-create [name=name]", "Doomed Inc")
    set_field("#tenant-create [name=slug]", "doomed")
    D.find_element(By.CSS_SELECTOR, "#tenant-create button[type=submit]").click()
    row = "#tenants-table tr[data-slug=doomed]"
    el(row)
    check_page("tenants")
    clickable(f"{row} button.rename").click()
    set_field("#tenant-rename [name=name]", "Doomed Corp")
    D.find_element(By.CSS_SELECTOR, "#tenant-rename button[type=submit]").click()
    text_in(row, "Doomed Corp")
    clickable(f"{row} button.delete").click()
    confirm = clickable("#tenant-confirm")
    assert not D.find_element(By.ID, "tenant-delete-confirm").is_enabled()
    confirm.send_keys("doome")
    assert not D.find_element(By.ID, "tenant-delete-confirm").is_enabled()
    confirm.send_keys("d")
    clickable("#tenant-delete-confirm").click()
    wait(lambda d: absent(row), "the deleted tenant to leave the list")
    tenants = all_pages("/v1/tenants")
    assert "doomed" not in {t["slug"] for t in tenants}


@test
def system_admin_switches_tenant():
    goto("/users")
    mark_stale()
    Select(visible("#tenant-picker")).select_by_value(OTHER)
    wait_page_ready()
    wait(lambda d: texts("#users-table tbody tr td:first-child") == ["other-only-user"],
         "the other tenant's one user")
    mark_stale()
    Select(visible("#tenant-picker")).select_by_value(TENANT)
    wait_page_ready()
    wait(lambda d: "other-only-user" not in texts("#users-table tbody tr td:first-child")
         and len(texts("#users-table tbody tr td:first-child")) == 50, "this tenant's users again")


@test
def sign_out_clears_the_token():
    goto("/users")
    clickable("#signout").click()
    el("#signin-message")
    assert js("return sessionStorage.getItem('rosterd.console.token')") is None
    goto("/users")
    el("textarea[name=token]")
    assert absent("#whoami")
    check_page("signin")


@test
def sign_in_with_openid_connect():
    """The authorization code flow with PKCE against the test provider
    (oidc-provider's development login and consent pages)."""
    goto("/users")
    clickable("#signin-oidc").click()
    wait(lambda d: d.current_url.startswith(os.environ["CONSOLE_ISSUER"]), "the provider's page")
    set_field("input[name=login]", "oidc-admin")
    set_field("input[name=password]", "any")
    D.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    clickable("button[type=submit]").click()  # consent
    wait(lambda d: d.current_url.startswith(URL + "/console/"), "the way back to the console")
    text_in("#whoami", "oidc-admin")
    text_in("#whoami", "TenantAdmin")
    assert "code=" not in D.current_url and "state=" not in D.current_url, D.current_url
    el("#users-table tbody tr")  # rosterd accepted the provider's token
    assert absent("#signin-message")
    clickable("#signout").click()
    el("#signin-message")
    # An answer for a sign-in this tab never started is refused (state).
    mark_stale()
    D.get(f"{URL}/console/?code=forged&state=forged")
    text_in("#signin-message", "not for a sign-in started here")
    assert "code=" not in D.current_url, D.current_url
    assert absent("#whoami")


@test
def refused_token_shows_sign_in_again():
    # Well formed, not expired, but signed with another key: the API's 401.
    head, _, sig = ADMIN.split(".")
    import base64
    claims = json.loads(base64.urlsafe_b64decode(_ + "=" * (-len(_) % 4)))
    claims["sub"] = "forged"
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    mark_stale()
    D.get(f"{URL}/console/#token={head}.{body}.{sig}")
    text_in("#signin-message", "refused")
    assert js("return sessionStorage.getItem('rosterd.console.token')") is None


@test
def reader_sees_no_write_controls_and_the_api_refuses():
    sign_in(READER)
    el("#users-table tbody tr")
    assert absent("#user-new")
    uid = D.find_element(By.CSS_SELECTOR, "#users-table tbody tr").get_attribute("data-id")
    goto(f"/users/{uid}")
    el("#user-edit")
    assert absent("#user-save") and absent("#user-delete") and absent("#user-toggle-active")
    assert D.find_element(By.CSS_SELECTOR, "#user-edit [name=username]").get_attribute("readonly") is not None
    goto(f"/groups/{STATE['group']['id']}")
    el("#members-table")
    assert absent("#bulk-form") and absent("#members-table button")
    goto("/groups")
    assert absent("#group-new")
    goto("/invites")
    el("#invite-list")
    assert absent("#invite-new") and absent("button.revoke")
    assert absent("nav a[href='#/tenants']")
    check_page("reader-invites")
    goto("/roles")
    el("#roles-table")
    assert absent("#role-new")
    rid = D.find_element(By.CSS_SELECTOR, "#roles-table tbody tr").get_attribute("data-id")
    goto(f"/roles/{rid}")
    el("#role-edit")
    assert absent("#role-save") and absent("#role-delete")
    assert D.find_element(By.CSS_SELECTOR, "#role-edit [name=name]").get_attribute("readonly") is not None
    goto("/tokens")
    el(f"#tokens-table tr[data-id='{STATE['token']['id']}']")
    assert absent("#token-new") and absent("button.revoke")
    check_page("reader-tokens")
    # Forced: the API refuses the reader's writes.
    assert browser_fetch("POST", tp("/users"), READER, {"username": "forced"}) == 403
    assert browser_fetch("PATCH", tp(f"/users/{uid}"), READER, {"title": "x"}) == 403
    assert browser_fetch("DELETE", tp(f"/users/{uid}"), READER) == 403
    assert user_by_name("forced") is None
    assert browser_fetch("POST", tp("/roles"), READER, {"name": "forced"}) == 403
    assert browser_fetch("POST", tp("/api-tokens"), READER,
                         {"name": "forced", "role": "TenantReader"}) == 403


@test
def tenant_admin_never_sees_another_tenant():
    sign_in(TADMIN)
    el("#users-table tbody tr")
    assert absent("#tenant-picker") and absent("nav a[href='#/tenants']")
    goto("/tenants")
    el("#tenants-forbidden")
    goto("/users")
    set_field("#user-search", "other-only")
    el("#users-empty")
    assert OTHER not in D.page_source
    # Forced: another tenant's data is refused.
    assert browser_fetch("GET", f"/v1/tenants/{OTHER}/users", TADMIN) == 403
    assert browser_fetch("GET", "/v1/tenants", TADMIN) == 403
    # And the other tenant's administrator sees only theirs.
    sign_in(OTHER_ADMIN)
    names = set(texts("#users-table tbody tr td:first-child"))
    assert "other-only-user" in names and not any(n.startswith("bulk-") for n in names), names


@test
def axe_finds_no_violation():
    # The dark theme too (prefers-color-scheme: dark): its contrasts.
    D.execute_cdp_cmd("Emulation.setEmulatedMedia",
                      {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    sign_in(ADMIN)
    el("#users-table tbody tr")
    check_page("users-dark")
    D.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    # A phone's width: the page fits it (nothing scrolls sideways).
    D.set_window_size(390, 844)
    goto("/users")
    el("#users-table tbody tr")
    check_page("users-narrow")
    overflow = js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    D.set_window_size(1280, 1000)
    assert overflow <= 0, f"the narrow page scrolls sideways by {overflow} px"
    # axe sees a violation when there is one: an image without a text.
    js("document.getElementById('main').append(document.createElement('img'))")
    canary = D.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => v.id)));
    """)
    assert "image-alt" in canary, canary
    assert AXE_RESULTS, "no page was checked"
    bad = {k: v for k, v in AXE_RESULTS.items() if v}
    for page, vs in bad.items():
        for v in vs:
            print(f"#   {page}: {v['id']}: {v['help']} {v['nodes']}")
    print(f"# pages checked: {', '.join(sorted(AXE_RESULTS))}")
    assert not bad, f"violations on {', '.join(sorted(bad))}"


@test
def rosterd_still_running():
    os.kill(int(os.environ["CONSOLE_ROSTERD_PID"]), 0)


def main():
    global D
    names = sys.argv[1:]
    known = {t.__name__ for t in TESTS}
    unknown = [n for n in names if n not in known]
    passed = failed = 0
    for n in unknown:
        print(f"not ok - {n}: no such test")
        failed += 1
    try:
        D = make_driver()
    except Exception as e:  # noqa: BLE001
        print(f"not ok - setup: Chromium through chromedriver: {e}")
        print(f"{passed} passed, {failed + 1} failed")
        return 1
    try:
        for t in TESTS:
            if names and t.__name__ not in names and t.__name__ not in ("axe_finds_no_violation",):
                continue
            try:
                t()
                print(f"ok - {t.__name__}")
                passed += 1
            except Exception:  # noqa: BLE001
                print(f"not ok - {t.__name__}")
                for line in traceback.format_exc().splitlines():
                    if line.startswith(("Traceback", "  File", "    ", "AssertionError",
                                        "selenium.", "Message")) and "-packages/" not in line:
                        print(f"#   {line}")
                try:
                    os.makedirs(SHOTS, exist_ok=True)
                    D.save_screenshot(os.path.join(SHOTS, f"failed-{t.__name__}.png"))
                except Exception:  # noqa: BLE001
                    pass
                failed += 1
            sys.stdout.flush()
    finally:
        D.quit()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
