# t_oidc.py: rosterd against a real OpenID Connect provider: oidc-provider
# from npm (tests/oidc/provider.mjs, driven by tests/oidc/harness.py), on a
# loopback port with TLS from a throwaway CA, serving discovery and JWKS and
# issuing client-credentials access tokens (at+jwt, aud the resource).
#
# Each rosterd test runs its own rosterd (and nginx) with the test config
# plus state_dir and one [issuer NAME] section per provider:
#
#   state_dir = TMP/oidc/NAME/state
#   [issuer oidc]
#   iss = https://127.0.0.1:PORT/realms/rosterd-it
#   aud = https://rosterd.test/api
#   jwks_uri = discover
#   ca_file = TMP/oidc/pki/ca.pem
#   typ = at+jwt
#   tenant_claim = tid
#   roles_claim = roles
#   jwks_refresh_seconds = 3600
#   jwks_min_refetch_seconds = 1
#
# Where a test needs rosterd to fetch again on its own, the provider's
# JWKS responses say "Cache-Control: public, max-age=1" (as Entra's and
# Google's say max-age), which the fetcher honours down to
# jwks_min_refetch_seconds.
#
# What they wait for (never a sleep): the fetched set in
# state_dir/jwks/NAME.json holding (or no longer holding) a kid, the
# provider's counts of the requests it answered (during an outage, or
# for its JWKS) and of the connections a client refused. A worker that
# meets a kid its current set lacks must look at state_dir/jwks/NAME.json
# again before it refuses (the once-a-second limit on that check does not
# apply then), so that a key fetched before it signs anything is never
# refused.
#
# Tests that need rosterd to understand [issuer NAME] and state_dir skip,
# saying so, when `rosterctl check-config` refuses exactly those lines;
# oidc_provider_harness runs everywhere.
#
# Exec'd by test_api.py into its globals: request(), post_user(), Skip,
# @test ... are test_api.py's, _op_Stack is t_operator.py's (an extra
# rosterd behind its own nginx); every other top-level name of this file
# starts with _oidc_.

import importlib as _oidc_importlib
import sys as _oidc_sys

_oidc_DIR = os.path.join(ENV["RT_REPO"], "tests", "oidc")
if _oidc_DIR not in _oidc_sys.path:
    _oidc_sys.path.insert(0, _oidc_DIR)
_oidc_h = _oidc_importlib.import_module("harness")

_oidc_TMP = os.path.join(TMP, "oidc")
_oidc_state = {}  # the run's PKI, the install line, the config probe's verdict
_oidc_CLIENTS = [
    {"client_id": "admin-a", "client_secret": "s-" + uuid.uuid4().hex,
     "claims": {"tid": TENANT_A, "roles": ["TenantAdmin"]}},
    {"client_id": "reader-a", "client_secret": "s-" + uuid.uuid4().hex,
     "claims": {"tid": TENANT_A, "roles": ["TenantReader"]}},
    {"client_id": "admin-b", "client_secret": "s-" + uuid.uuid4().hex,
     "claims": {"tid": TENANT_B, "roles": ["TenantAdmin"]}},
]


def _oidc_setup():
    """Installs the provider's packages (once a run) and makes the CA."""
    if "pki" not in _oidc_state:
        os.makedirs(_oidc_TMP, exist_ok=True)
        try:
            _oidc_state["install"] = _oidc_h.install(os.path.join(_oidc_TMP, "npm.log"))
        except _oidc_h.HarnessError as e:
            raise Fail(str(e))
        _oidc_state["pki"] = _oidc_h.Pki(os.path.join(_oidc_TMP, "pki"))
    return _oidc_state["pki"]


class _oidc_Run:
    """The providers and rosterd stacks of one test, stopped at its end
    (providers must stop with exit status 0)."""

    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(_oidc_TMP, name)
        self.state_dir = os.path.join(self.dir, "state")
        os.makedirs(self.state_dir, exist_ok=True)
        self.pki = _oidc_setup()
        if name != "harness":
            _oidc_probe()
        self.providers = []
        self.stacks = []

    def provider(self, name, **kw):
        kw.setdefault("clients", _oidc_CLIENTS)
        kw.setdefault("pki", self.pki)
        p = _oidc_h.Provider(self.dir, name, time_scale=TIME_SCALE, **kw)
        self.providers.append(p)
        try:
            p.start()
        except _oidc_h.HarnessError as e:
            raise Fail(str(e))
        return p

    def issuer(self, p, name="oidc", refresh=3600, min_refetch=1, **over):
        sec = {"iss": p.issuer, "aud": _oidc_h.RESOURCE, "jwks_uri": "discover",
               "ca_file": self.pki.ca, "typ": "at+jwt", "tenant_claim": "tid",
               "roles_claim": "roles", "jwks_refresh_seconds": refresh,
               "jwks_min_refetch_seconds": min_refetch}
        sec.update(over)
        return ["", f"[issuer {name}]"] + [f"{k} = {v}" for k, v in sec.items()]

    def stack(self, *sections):
        """A rosterd (and nginx) with the test config, state_dir and the
        [issuer] sections; skips when this rosterd has no such sections."""
        lines = [f"state_dir = {self.state_dir}"]
        for s in sections:
            lines += s
        _oidc_require_issuers(self.dir, lines)
        stack_cls = globals().get("_op_Stack")
        check(stack_cls is not None, "t_operator.py's _op_Stack is not loaded")
        s = stack_cls(f"oidc-{self.name}-{len(self.stacks)}", lines)
        self.stacks.append(s)
        return s

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        rcs = {}
        for s in self.stacks:
            rcs[f"rosterd {s.inst.log_path}"] = s.stop()
        for p in self.providers:
            if p.running():
                rcs[f"provider {p.name}"] = p.stop()
        if exc_type is None:
            bad = {k: v for k, v in rcs.items() if v != 0}
            check(not bad, f"exit statuses at the end: {bad}")


def _oidc_require_issuers(dir, lines):
    """Skips (naming the feature) when rosterctl check-config refuses the
    state_dir line or an [issuer NAME] line; fails on any other refusal."""
    conf = os.path.join(dir, "check.conf")
    all_lines = good_conf_lines(os.path.join(dir, "check.sock")) + lines
    write_conf(conf, all_lines)
    p = subprocess.run([ROSTERCTL, "-c", conf, "check-config"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    err = p.stderr.decode("utf-8", "replace").strip()
    with open(os.path.join(TMP, "rosterctl-oidc.log"), "a") as log:
        log.write(err + "\n")
    if p.returncode == 0:
        return
    m = re.search(re.escape(conf) + r":(\d+):", err)
    line = all_lines[int(m.group(1)) - 1].strip() if m else ""
    if line.startswith("[issuer ") or line.startswith("state_dir"):
        raise Skip("this rosterd does not understand [issuer NAME] sections and state_dir "
                   f"(rosterctl check-config: {err.splitlines()[-1]})")
    raise Fail(f"rosterctl check-config refuses the issuer config: {err[-400:]}")


def _oidc_probe():
    """Skips at once, before any provider starts, when this rosterd has no
    [issuer NAME] sections (the verdict of one check-config run, kept)."""
    if "probe" not in _oidc_state:
        pki = _oidc_setup()
        d = os.path.join(_oidc_TMP, "probe")
        os.makedirs(d, exist_ok=True)
        try:
            _oidc_require_issuers(d, [
                f"state_dir = {os.path.join(d, 'state')}", "", "[issuer probe]",
                "iss = https://127.0.0.1:9/realms/probe", f"aud = {_oidc_h.RESOURCE}",
                "jwks_uri = discover", f"ca_file = {pki.ca}", "typ = at+jwt"])
            _oidc_state["probe"] = None
        except Skip as e:
            _oidc_state["probe"] = str(e)
    if _oidc_state["probe"]:
        raise Skip(_oidc_state["probe"])


def _oidc_fetched(state_dir, name="oidc"):
    """The kids of the key set rosterd fetched for [issuer name] (its
    state_dir/jwks/NAME.json), or None while there is none."""
    try:
        with open(os.path.join(state_dir, "jwks", name + ".json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    return {k.get("kid") for k in doc.get("keys", []) if isinstance(k, dict)}


def _oidc_wait_fetched(state_dir, has=(), lacks=(), name="oidc", during=None, what=""):
    """Waits until the fetched set holds every kid of has and none of
    lacks, calling during() (a check that must hold throughout) on each
    round; returns the rounds it took."""
    rounds = [0]

    def cond():
        rounds[0] += 1
        if during:
            during()
        kids = _oidc_fetched(state_dir, name)
        return kids is not None and set(has) <= kids and not set(lacks) & kids
    wait_until(cond, what or f"fetched set of {name} with {list(has)} without {list(lacks)}",
               timeout=60, interval=0.1)
    return rounds[0]


def _oidc_token(p, client="admin-a", **kw):
    try:
        t = p.token(client, **kw)
    except _oidc_h.HarnessError as e:
        raise Fail(str(e))
    ALL_TOKENS.append(t)
    return t


def _oidc_kid(tok):
    return _oidc_h.unverified(tok)[0]["kid"]


def _oidc_create(stack, tok, tenant=TENANT_A):
    return stack.request("POST", users_path(tenant), new_user(), token=tok)


def _oidc_burst(stack, tok, n=None, tenant=TENANT_A):
    """n concurrent creates with tok, each on its own connection (so that
    both workers serve some); their statuses."""
    n = n or 3 * WORKERS
    out = [None] * n

    def go(i):
        try:
            out[i] = _oidc_create(stack, tok, tenant).status
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = repr(e)
    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _oidc_all(stack, tok, status, what, tenant=TENANT_A):
    got = _oidc_burst(stack, tok, tenant=tenant)
    eq(got, [status] * len(got), what)


def _oidc_refused(stack):
    """{reason: count} of rosterd_auth_refused_total in the stack's
    /metrics."""
    from prometheus_client.parser import text_string_to_metric_families
    r = stack.request("GET", "/metrics", token=METRICS_TOKEN)
    eq(r.status, 200, "GET /metrics")
    out = {}
    for fam in text_string_to_metric_families(r.body.decode()):
        for s in fam.samples:
            if s.name == "rosterd_auth_refused_total":
                out[s.labels.get("reason")] = s.value
    return out


def _oidc_refused_for(stack, tok, reason, what):
    """tok is refused with 401 and counted under reason."""
    before = _oidc_refused(stack).get(reason, 0)
    r = _oidc_create(stack, tok)
    eq(r.status, 401, f"{what} ({r!r})")
    after = _oidc_refused(stack)
    check(after.get(reason, 0) == before + 1,
          f"{what}: rosterd_auth_refused_total{{reason={reason!r}}} went from {before} to "
          f"{after.get(reason, 0)}; all: {after}")


def _oidc_sign(priv_jwk, claims, typ="at+jwt", kid=None):
    """A token signed by PyJWT with a provider's private key (its own
    keys, claims of the test's choosing)."""
    key = jwt.PyJWK(priv_jwk, algorithm="RS256").key
    t = jwt.encode(claims, key, algorithm="RS256",
                   headers={"typ": typ, "kid": kid or priv_jwk["kid"]})
    ALL_TOKENS.append(t)
    return t


# --------------------------------------------------------------------------
# Tests


@test
def oidc_provider_harness():
    """The test provider itself (no rosterd): discovery under the issuer's
    path, its JWKS, a client-credentials token that PyJWT verifies against
    it (typ at+jwt, kid, iss, aud, the client's claims), and a rotation
    publishing a second kid; a clean stop."""
    with _oidc_Run("harness") as run:
        p = run.provider("p")
        print(f"# oidc: {_oidc_state['install']}; provider ready in "
              f"{p.start_seconds:.2f} s", flush=True)
        d = p.discovery()
        eq(d["issuer"], p.issuer, "discovery issuer")
        eq(d["jwks_uri"], p.issuer + "/jwks", "discovery jwks_uri")
        jwks = p.jwks()
        kid = p.ready["kids"][0]
        eq([k["kid"] for k in jwks["keys"]], [kid], "published kids")
        tok = _oidc_token(p)
        h = jwt.get_unverified_header(tok)
        eq((h["typ"], h["alg"], h["kid"]), ("at+jwt", "RS256", kid), "token header")
        c = jwt.decode(tok, jwt.PyJWK(jwks["keys"][0], algorithm="RS256").key,
                       algorithms=["RS256"], audience=_oidc_h.RESOURCE, issuer=p.issuer)
        eq((c["tid"], c["roles"]), (TENANT_A, ["TenantAdmin"]), "token claims")
        s = p.rotate("add")
        eq(s["kids"][0], kid, "the old key signs after add")
        eq([k["kid"] for k in p.jwks()["keys"]], s["kids"], "both published after add")


@test
def oidc_tokens_from_provider_accepted():
    """Tokens of a configured provider, whose keys rosterd found by OIDC
    discovery over TLS (ca_file), work with the claims mapped: the tenant
    from tid, the roles from roles (TenantAdmin creates, TenantReader and
    another tenant's TenantAdmin get 403). The implicit issuer of the
    top-level jwt_* keys keeps working beside it."""
    with _oidc_Run("accept") as run:
        p = run.provider("p")
        s = run.stack(run.issuer(p))
        _oidc_wait_fetched(run.state_dir, has=p.ready["kids"], what="rosterd fetched p's keys")
        r = _oidc_create(s, _oidc_token(p, "admin-a"))
        eq(r.status, 200, f"TenantAdmin of A creates in A ({r!r})")
        user_row(TENANT_A, r.json()["Id"])
        r = _oidc_create(s, _oidc_token(p, "reader-a"))
        eq(r.status, 403, f"TenantReader of A creates in A ({r!r})")
        r = _oidc_create(s, _oidc_token(p, "admin-b"))
        eq(r.status, 403, f"TenantAdmin of B creates in A ({r!r})")
        r = _oidc_create(s, _oidc_token(p, "admin-b"), tenant=TENANT_B)
        eq(r.status, 200, f"TenantAdmin of B creates in B ({r!r})")
        _oidc_all(s, _oidc_token(p, "admin-a"), 200, "TenantAdmin of A, every worker")
        r = _oidc_create(s, default_token())
        eq(r.status, 200, f"the rosterctl (HS256, implicit issuer) token ({r!r})")


@test
def oidc_other_provider_refused():
    """Tokens of a second provider instance, with keys of its own, are
    refused: under its own issuer (no such issuer: wrong_issuer), claiming
    the configured issuer (its kid is unknown: unknown_kid, never tried
    with other keys) and with the configured provider's kid on its own key
    (bad_signature). The configured provider's token passes on the same
    rosterd."""
    with _oidc_Run("other") as run:
        p = run.provider("p")
        s = run.stack(run.issuer(p))
        _oidc_wait_fetched(run.state_dir, has=p.ready["kids"], what="rosterd fetched p's keys")
        own = run.provider("own")
        _oidc_refused_for(s, _oidc_token(own), "wrong_issuer",
                          "a second instance's token under its own issuer")
        impostor = run.provider("impostor", issuer=p.issuer)
        t = _oidc_token(impostor)
        eq(_oidc_h.unverified(t)[1]["iss"], p.issuer, "the impostor's iss")
        _oidc_refused_for(s, t, "unknown_kid",
                          "a second instance's token claiming p's issuer")
        same_kid = run.provider("same-kid", issuer=p.issuer, kid=p.ready["kids"][0])
        t = _oidc_token(same_kid)
        eq(_oidc_kid(t), p.ready["kids"][0], "the impostor's kid")
        _oidc_refused_for(s, t, "bad_signature",
                          "a second instance's token with p's issuer and kid")
        r = _oidc_create(s, _oidc_token(p))
        eq(r.status, 200, f"p's own token on the same rosterd ({r!r})")


@test
def oidc_same_keys_other_audience_issuer_or_typ_refused():
    """Tokens signed with the configured provider's own keys are refused
    when they are for another audience (its other resource), from another
    issuer (a second instance with the same keys; the issuer string with a
    trailing slash: compared exactly), or not access tokens (typ JWT); the
    same signature path with the right claims passes."""
    with _oidc_Run("claims") as run:
        p = run.provider("p")
        s = run.stack(run.issuer(p))
        _oidc_wait_fetched(run.state_dir, has=p.ready["kids"], what="rosterd fetched p's keys")
        _oidc_refused_for(s, _oidc_token(p, resource=_oidc_h.OTHER_RESOURCE),
                          "wrong_audience", "p's token for another resource")
        twin = run.provider("twin", keys_file=p.keys_file)
        t = _oidc_token(twin)
        eq(_oidc_kid(t), p.ready["kids"][0], "the twin signs with p's key")
        _oidc_refused_for(s, t, "wrong_issuer", "p's key, another instance's issuer")
        slash = run.provider("slash", keys_file=p.keys_file, issuer=p.issuer + "/")
        t = _oidc_token(slash)
        eq(_oidc_h.unverified(t)[1]["iss"], p.issuer + "/", "the trailing-slash iss")
        _oidc_refused_for(s, t, "wrong_issuer", "p's key, p's issuer with a trailing slash")
        key = p.private_keys()[0]
        now = int(time.time())
        claims = {"iss": p.issuer, "aud": _oidc_h.RESOURCE, "sub": "it-oidc", "iat": now,
                  "exp": now + 600, "tid": TENANT_A, "roles": ["TenantAdmin"]}
        r = _oidc_create(s, _oidc_sign(key, claims))
        eq(r.status, 200, f"p's key, p's claims, typ at+jwt, signed by PyJWT ({r!r})")
        _oidc_refused_for(s, _oidc_sign(key, claims, typ="JWT"), "wrong_typ",
                          "p's key and claims, typ JWT")


@test
def oidc_key_rotation_without_failed_request():
    """The provider publishes a second key (the first still signs);
    rosterd's next refresh (the JWKS's max-age) fetches it while every
    request with the
    first key's tokens passes; the provider then signs with the new key:
    its tokens pass at once on every worker, and the old key's too while
    it is published; once the provider drops the old key and rosterd has
    fetched that, the old key's tokens are refused everywhere."""
    with _oidc_Run("rotate") as run:
        p = run.provider("p", jwks_max_age=1)
        s = run.stack(run.issuer(p))
        k1 = p.ready["kids"][0]
        _oidc_wait_fetched(run.state_dir, has=[k1], what="rosterd fetched p's first key")
        t1 = _oidc_token(p)
        _oidc_all(s, t1, 200, "first key's token")

        def old_token_passes():
            r = _oidc_create(s, t1)
            eq(r.status, 200, f"first key's token while rosterd fetches the second ({r!r})")
        k2 = p.rotate("add")["kids"][1]
        eq(_oidc_kid(_oidc_token(p)), k1, "the provider still signs with the first key")
        n = _oidc_wait_fetched(run.state_dir, has=[k1, k2], during=old_token_passes,
                               what="rosterd's refresh fetched the second key")
        print(f"# oidc: the second key fetched after {n} rounds, every request passed",
              flush=True)
        eq(p.rotate("promote")["kids"], [k2, k1], "kids after promote")
        t2 = _oidc_token(p)
        eq(_oidc_kid(t2), k2, "the provider signs with the second key")
        _oidc_all(s, t2, 200, "second key's tokens, the first requests with them")
        _oidc_all(s, t1, 200, "first key's token while it is still published")
        eq(p.rotate("retire")["kids"], [k2], "kids after retire")
        _oidc_wait_fetched(run.state_dir, has=[k2], lacks=[k1],
                           what="rosterd fetched the set without the first key")
        wait_until(lambda: _oidc_burst(s, t1) == [401] * (3 * WORKERS),
                   "first key's token refused by every worker", interval=0.1)
        _oidc_all(s, t2, 200, "second key's token after the first key left")
        check(_oidc_refused(s).get("unknown_kid", 0) >= 1, "no unknown_kid counted")


@test
def oidc_unknown_kid_fetches_again():
    """With no scheduled refresh in reach (3600 s), the provider switches
    to a new key at once: the first token with its kid is refused at once
    (a worker never waits on a fetch: unknown_kid) and makes rosterd fetch
    again, after which the new key's tokens pass and the old key's fail."""
    with _oidc_Run("unknown-kid") as run:
        p = run.provider("p")
        s = run.stack(run.issuer(p, refresh=3600, min_refetch=1))
        k1 = p.ready["kids"][0]
        _oidc_wait_fetched(run.state_dir, has=[k1], what="rosterd fetched p's first key")
        t1 = _oidc_token(p)
        _oidc_all(s, t1, 200, "first key's token")
        k2 = p.rotate("replace")["kids"][0]
        t2 = _oidc_token(p)
        eq(_oidc_kid(t2), k2, "the provider signs with the new key")
        _oidc_refused_for(s, t2, "unknown_kid", "the first token with the new kid")
        wait_until(lambda: _oidc_create(s, t2).status == 200,
                   "the new key's token accepted after the unknown kid's refetch",
                   timeout=60, interval=0.2)
        eq(_oidc_fetched(run.state_dir), {k2}, "the fetched set")
        _oidc_all(s, t2, 200, "new key's token, every worker")
        wait_until(lambda: _oidc_burst(s, t1) == [401] * (3 * WORKERS),
                   "the old key's token refused by every worker", interval=0.1)


@test
def oidc_provider_down_cached_keys_verify():
    """The provider answers 503, then (after a good fetch) bodies that are
    not JSON, then stops: rosterd keeps the last good key set (the state
    file does not change) and verifies with it on every worker, including
    after rosterd itself restarts while the provider is down."""
    with _oidc_Run("down") as run:
        p = run.provider("p", jwks_max_age=1)
        lines = run.issuer(p)
        s = run.stack(lines)
        k1 = p.ready["kids"][0]
        _oidc_wait_fetched(run.state_dir, has=[k1], what="rosterd fetched p's key")
        t1 = _oidc_token(p)
        _oidc_all(s, t1, 200, "token while the provider is up")
        path = os.path.join(run.state_dir, "jwks", "oidc.json")
        with open(path, "rb") as f:
            fetched = f.read()
        for mode in ("503", "garbage"):
            # A good fetch first, so that the next one comes after max-age
            # rather than after the backoff of a failure.
            n0 = p.state()["served"].get("/jwks", 0)
            wait_until(lambda: p.state()["served"].get("/jwks", 0) > n0,
                       f"rosterd fetched p's keys before the {mode} outage",
                       timeout=60, interval=0.1)
            n0 = p.outage(mode)["outage_served"]
            wait_until(lambda: p.state()["outage_served"] > n0,
                       f"rosterd tried to fetch during the {mode} outage",
                       timeout=60, interval=0.1)
            _oidc_all(s, t1, 200, f"token during the {mode} outage")
            with open(path, "rb") as f:
                eq(f.read(), fetched, f"the fetched set after the {mode} outage")
            p.outage("off")
        eq(p.stop(), 0, "the provider's exit status")
        _oidc_all(s, t1, 200, "token with the provider stopped")
        eq(s.stop(), 0, "rosterd's exit status")
        s2 = run.stack(lines)
        _oidc_all(s2, t1, 200, "token after a restart of rosterd, provider still down")
        with open(path, "rb") as f:
            eq(f.read(), fetched, "the fetched set after the restart")


@test
def oidc_untrusted_or_misnamed_provider_never_fetched():
    """rosterd fetches keys only from a provider whose certificate its
    ca_file vouches for, for the provider's name: a provider certified by
    another CA and one certified (by the trusted CA) for another name both
    see their connections refused; no key set is written, and their tokens
    are refused. A third, correctly certified provider in the same config
    works."""
    with _oidc_Run("tls") as run:
        other = _oidc_h.Pki(os.path.join(run.dir, "pki-other"), "another CA")
        f = run.provider("other-ca", pki=other)
        g = run.provider("wrong-name", san="DNS:wrong.invalid")
        p = run.provider("p")
        s = run.stack(run.issuer(f, "other-ca"), run.issuer(g, "wrong-name"), run.issuer(p))
        _oidc_wait_fetched(run.state_dir, has=p.ready["kids"], what="rosterd fetched p's keys")
        for prov in (f, g):
            def tried():
                st = prov.state()
                got = {"/jwks", "/.well-known/openid-configuration"} & set(st["served"])
                return st if st["tls_refused"] >= 1 or got else None
            st = wait_until(tried, f"rosterd tried {prov.name}", timeout=60, interval=0.1)
            check("/jwks" not in st["served"] and
                  "/.well-known/openid-configuration" not in st["served"],
                  f"{prov.name}'s certificate was accepted: it served {st['served']}")
            eq(_oidc_fetched(run.state_dir, prov.name), None, f"fetched set of {prov.name}")
            r = _oidc_create(s, _oidc_token(prov))
            eq(r.status, 401, f"{prov.name}'s token ({r!r})")
        r = _oidc_create(s, _oidc_token(p))
        eq(r.status, 200, f"p's token ({r!r})")
