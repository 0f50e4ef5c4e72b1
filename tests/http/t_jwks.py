# The key fetcher (src/auth/jwks.c) against a real HTTPS identity-provider
# stand-in: a Python TLS server on a loopback port, with a certificate
# from a CA this file makes with openssl, serving OIDC discovery and a
# JWKS. The fetcher runs through tests/faults/jwks_driver (the fetcher
# process exactly as rosterd forks it, and the workers' reader of its
# files); what it leaves in the state directory (NAME.json,
# NAME.status.json) and logs is what is checked. Also: "listen = :port"
# binds the loopback interface only.
#
# Exec'd by test_api.py into its globals: every top-level name that is not
# a test starts with _jw_.

import http.server as _jw_http
import stat as _jw_stat

from cryptography.hazmat.primitives.asymmetric import rsa as _jw_rsa

_jw_DRIVER = os.path.join(BUILD, "tests", "faults", "jwks_driver")
_jw_PKI = os.path.join(TMP, "jwks-pki")
_jw_seq = [0]


def _jw_openssl(*args):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"openssl {args[0]}: {p.stderr.strip()[-400:]}")


def _jw_pki():
    """A CA (ca.pem), a server certificate from it for 127.0.0.1 (ip.pem),
    one for the name localhost only (name.pem), and a self-signed one
    for 127.0.0.1 from no CA the fetcher trusts (self.pem)."""
    if os.path.exists(os.path.join(_jw_PKI, "self.pem")):
        return _jw_PKI
    os.makedirs(_jw_PKI, exist_ok=True)
    d = _jw_PKI
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _jw_openssl("req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem",
                "-days", "2", "-subj", "/CN=rosterd jwks test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign")
    for name, san in (("ip", "IP:127.0.0.1"), ("name", "DNS:localhost")):
        _jw_openssl("req", "-new", *ec, "-keyout", f"{d}/{name}.key",
                    "-out", f"{d}/{name}.csr", "-subj", f"/CN={name}")
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        _jw_openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem",
                    "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-days", "2",
                    "-out", f"{d}/{name}.pem", "-extfile", f"{d}/{name}.ext")
    _jw_openssl("req", "-x509", *ec, "-keyout", f"{d}/self.key", "-out", f"{d}/self.pem",
                "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1")
    return d


def _jw_key(kid):
    """(private key, public JWK dict) of a new RSA key named kid."""
    priv = _jw_rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(priv.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return priv, jwk


class _jw_Idp:
    """An HTTPS server on 127.0.0.1 playing an identity provider: issuer
    https://127.0.0.1:PORT/realm, discovery at the usual place, keys at
    /realm/certs. Tests change self.routes: path -> (status, headers,
    body bytes), or a callable returning that; self.hits counts GETs per
    path."""

    def __init__(self, cert="ip", port=0, tls=True):
        self.routes, self.hits = {}, {}
        idp = self

        class Handler(_jw_http.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                idp.hits[path] = idp.hits.get(path, 0) + 1
                r = idp.routes.get(path, (404, {}, b"not found"))
                status, headers, body = r() if callable(r) else r
                self.send_response(status)
                for k, v in headers.items():
                    if not k.startswith("_"):
                        self.send_header(k, v)
                if "Content-Length" not in headers and not headers.get("_close"):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the fetcher hung up on a document too large

            def log_message(self, *a):
                pass

        self.server = _jw_http.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        if tls:
            pki = _jw_pki()
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(f"{pki}/{cert}.pem", f"{pki}/{cert}.key")
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.iss = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/realm"
        self.disc_path = "/realm/.well-known/openid-configuration"
        self.certs_path = "/realm/certs"
        self.discovery(self.iss, self.iss + "/certs")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def discovery(self, issuer, jwks_uri):
        doc = {"issuer": issuer, "jwks_uri": jwks_uri,
               "id_token_signing_alg_values_supported": ["RS256"]}
        self.routes[self.disc_path] = (200, {"Content-Type": "application/json"},
                                       json.dumps(doc).encode())

    def keys(self, *jwks, raw=None):
        """Serves a JWKS of the given JWK dicts (or raw bytes); returns the
        bytes served."""
        body = raw if raw is not None else json.dumps({"keys": list(jwks)}).encode()
        self.routes[self.certs_path] = (200, {"Content-Type": "application/json"}, body)
        return body

    def stop(self):
        if self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class _jw_Fetcher:
    """jwks_driver fetch for sources (name, iss, uri or "discover", ca or
    "-", refresh_seconds, min_refetch_seconds), with its own state
    directory; its log is TMP/jwks-N.log."""

    def __init__(self, *sources):
        _jw_seq[0] += 1
        self.state = os.path.join(TMP, f"jwks-state-{_jw_seq[0]}")
        os.makedirs(self.state)
        self.log_path = os.path.join(TMP, f"jwks-{_jw_seq[0]}.log")
        argv = [_jw_DRIVER, "fetch", self.state]
        for s in sources:
            argv += [str(x) for x in s]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=log, start_new_session=True)

    def path(self, name, suffix=".json"):
        return os.path.join(self.state, "jwks", name + suffix)

    def status(self, name):
        try:
            with open(self.path(name, ".status.json")) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def file_kids(self, name):
        try:
            with open(self.path(name)) as f:
                return [k.get("kid") for k in json.load(f)["keys"]]
        except FileNotFoundError:
            return None

    def worker_kids(self, name):
        """The kids a worker would verify with (jwks_current)."""
        p = subprocess.run([_jw_DRIVER, "keys", self.state, name], capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, f"jwks_driver keys: {p.stderr}")
        return p.stdout.split()

    def refresh(self, name):
        p = subprocess.run([_jw_DRIVER, "refresh", self.state, name], capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, f"jwks_driver refresh: {p.stderr}")

    def await_status(self, name, cond, what):
        def ok():
            if self.proc.poll() is not None:
                raise Fail(f"the fetcher ended ({self.proc.returncode}): {self.log()[-600:]}")
            st = self.status(name)
            return st if st is not None and cond(st) else None
        return wait_until(ok, what, timeout=90)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def log_records(self):
        return json_records(self.log())

    def stop(self):
        """SIGTERM; the driver exits 0 when the fetcher stopped cleanly."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(60 * TIME_SCALE)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise Fail("the fetcher did not stop on SIGTERM")
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()


def _jw_src(idp, name="idp", uri="discover", refresh=3600, min_refetch=0, ca=None):
    return (name, idp.iss, uri, ca or os.path.join(_jw_pki(), "ca.pem"), refresh,
            min_refetch)


@test
def jwks_discovery_fetch_installs_the_key_set():
    """OIDC discovery, then the JWKS: the document lands in
    state_dir/jwks/NAME.json as served (0640), a worker loads its keys,
    the fetch is logged at info with the key count and kids, and the
    status file says when."""
    _, k1 = _jw_key("k1")
    _, k2 = _jw_key("k2")
    with _jw_Idp() as idp, _jw_Fetcher(_jw_src(idp)) as f:
        served = idp.keys(k1, k2)
        st = f.await_status("idp", lambda st: st["last_success"], "a first fetch")
        eq(st["last_error"], None, "last_error")
        eq(st["kids"], ["k1", "k2"], "kids in the status file")
        eq(st["jwks_uri"], idp.iss + "/certs", "jwks_uri found by discovery")
        with open(f.path("idp"), "rb") as fh:
            eq(fh.read(), served, "the file holds the document as served")
        eq(_jw_stat.S_IMODE(os.stat(f.path("idp")).st_mode), 0o640, "file mode")
        eq(f.worker_kids("idp"), ["k1", "k2"], "the keys a worker loads")
        p = subprocess.run([_jw_DRIVER, "status", f.state, "idp"], capture_output=True,
                           text=True, timeout=60)
        eq(p.stdout.split(), [str(st["last_attempt_ms"]), str(st["last_success_ms"]), "0", "2"],
           "jwks_status_read() of the status file")
        check(st["last_success_ms"] > 0, f"last_success_ms: {st!r}")
        check(idp.hits.get(idp.disc_path, 0) >= 1, "no discovery request")
        infos = [r for r in f.log_records() if r.get("level") == "info"
                 and "issuer idp: 2 keys installed" in r.get("msg", "")]
        check(infos and "k1" in infos[0]["msg"] and "k2" in infos[0]["msg"],
              f"no info line with the count and kids: {f.log()[-600:]}")
        eq(f.stop(), 0, "the fetcher's exit status on SIGTERM")


@test
def jwks_refetch_request_picks_up_a_rotated_key():
    """A worker's refetch request (an unknown kid) makes the fetcher
    fetch again: the rotated set replaces the file and a worker loads
    the new kid; a request for a source fetched less than
    min_refetch_seconds ago waits."""
    _, k1 = _jw_key("k1")
    _, k2 = _jw_key("k2")
    with _jw_Idp() as idp, _jw_Idp() as slow, \
            _jw_Fetcher(_jw_src(idp), _jw_src(slow, name="slow", min_refetch=3600)) as f:
        idp.keys(k1)
        slow.keys(k1)
        st = f.await_status("idp", lambda st: st["kids"] == ["k1"], "the first set")
        f.await_status("slow", lambda st: st["kids"] == ["k1"], "the first set of slow")
        eq(f.worker_kids("idp"), ["k1"], "kids before the rotation")
        slow_hits = slow.hits[slow.certs_path]
        idp.keys(k2)
        slow.keys(k2)
        f.refresh("slow")  # asked first: its datagram is handled first
        f.refresh("idp")
        f.await_status("idp", lambda st: st["kids"] == ["k2"], "the rotated set")
        eq(f.file_kids("idp"), ["k2"], "kids in the file")
        eq(f.worker_kids("idp"), ["k2"], "kids a worker loads after the rotation")
        eq(slow.hits[slow.certs_path], slow_hits,
           "fetches of a source asked again within min_refetch_seconds")
        eq(f.file_kids("slow"), ["k1"], "the rate-limited source's kids")
        eq(f.stop(), 0, "exit status")


@test
def jwks_unreachable_provider_keeps_the_last_good_set():
    """The provider goes away: each failed attempt is logged as a
    warning and counted, the file and the workers' keys stay as they
    were; when it is back the next fetch succeeds again."""
    _, k1 = _jw_key("k1")
    idp = _jw_Idp()
    port = idp.port
    with _jw_Fetcher(_jw_src(idp)) as f:
        idp.keys(k1)
        st = f.await_status("idp", lambda st: st["last_success"], "a first fetch")
        idp.stop()
        f.refresh("idp")
        st = f.await_status("idp", lambda st: st["failures"] >= 1, "a failed attempt")
        check(st["last_error"] and str(port) in st["last_error"],
              f"last_error: {st['last_error']!r}")
        eq(st["kids"], ["k1"], "kids of the last good set in the status")
        eq(f.file_kids("idp"), ["k1"], "the file after a failed fetch")
        eq(f.worker_kids("idp"), ["k1"], "a worker's keys after a failed fetch")
        warns = [r for r in f.log_records() if r.get("level") == "warn"
                 and "keeping the last good key set" in r.get("msg", "")]
        check(warns, f"no warning: {f.log()[-600:]}")
        with _jw_Idp(port=port) as back:
            back.keys(k1)
            f.refresh("idp")
            f.await_status("idp", lambda st: st["failures"] == 0, "a fetch once back")
        eq(f.stop(), 0, "exit status")


@test
def jwks_refuses_what_is_not_https():
    """A jwks_uri that is not https (configured, or from discovery), a
    redirect to http, and a discovery document naming another issuer are
    refused: nothing is written."""
    _, k1 = _jw_key("k1")
    with _jw_Idp(tls=False) as plain, _jw_Idp() as other, _jw_Idp() as redir, \
            _jw_Idp() as evil:
        plain.keys(k1)
        http_uri = plain.iss + "/certs"
        other.discovery(other.iss, http_uri)
        redir.routes[redir.certs_path] = (302, {"Location": http_uri}, b"")
        evil.discovery("https://idp.example/realm", evil.iss + "/certs")
        evil.keys(k1)
        cases = (("plain", _jw_src(plain, name="plain", uri=http_uri),
                  "is not an https URL"),
                 ("disc", _jw_src(other, name="disc"), "is not an https URL"),
                 ("redir", _jw_src(redir, name="redir", uri=redir.iss + "/certs"),
                  "Protocol \"http\""),
                 ("evil", _jw_src(evil, name="evil"), "\"issuer\" is not"))
        with _jw_Fetcher(*(c[1] for c in cases)) as f:
            for name, _, why in cases:
                st = f.await_status(name, lambda st: st["failures"] >= 1, f"{name}: refused")
                check(why in (st["last_error"] or ""), f"{name}: {st['last_error']!r}")
                eq(st["last_success"], None, f"{name}: last_success")
                check(not os.path.exists(f.path(name)), f"{name}: a key file was written")
            eq(f.stop(), 0, "exit status")
        eq(plain.hits, {}, "requests that reached the plain http server")
        check(redir.hits.get(redir.certs_path, 0) >= 1, "the redirect was not asked for")


@test
def jwks_refuses_an_unverified_server():
    """The server's certificate must chain to ca_file and name the host
    of the URL."""
    _, k1 = _jw_key("k1")
    with _jw_Idp(cert="self") as selfsigned, _jw_Idp(cert="name") as wrongname:
        selfsigned.keys(k1)
        wrongname.keys(k1)
        with _jw_Fetcher(_jw_src(selfsigned, name="self"),
                         _jw_src(wrongname, name="wrongname")) as f:
            for name, why in (("self", "certificate"), ("wrongname", "subject name")):
                st = f.await_status(name, lambda st: st["failures"] >= 1, f"{name}: refused")
                check(why in (st["last_error"] or ""), f"{name}: {st['last_error']!r}")
                check(not os.path.exists(f.path(name)), f"{name}: a key file was written")
            eq(f.stop(), 0, "exit status")
        eq(selfsigned.hits.get(selfsigned.certs_path, 0), 0, "requests served past TLS")


@test
def jwks_refuses_bad_documents_and_keeps_the_last_good_set():
    """Over 1 MiB (with or without Content-Length), not a key set, a
    malformed key, no key, a shared secret ("oct"): each is refused with
    a reason and the last good file stays."""
    _, k1 = _jw_key("k1")
    _, k2 = _jw_key("k2")
    big = json.dumps({"keys": [k2], "pad": "x" * (1024 * 1024)}).encode()
    bad_rsa = dict(k2, n="AQAB")
    oct_key = {"kty": "oct", "kid": "hs", "k": b64url(b"s" * 32)}
    cases = ((big, {}, "declares a body larger than 1048576 bytes"),
             (big, {"_close": True}, "sent more than 1048576 bytes"),
             (b"<html>nope</html>", {}, "key set refused: not a JSON object"),
             (json.dumps({"keys": [k2, bad_rsa]}).encode(), {}, "refused: key 1 (kid \"k2\")"),
             (json.dumps({"keys": []}).encode(), {}, "no signing key"),
             (json.dumps({"keys": [k2, oct_key]}).encode(), {}, "shared secret"))
    with _jw_Idp() as idp, _jw_Fetcher(_jw_src(idp)) as f:
        good = idp.keys(k1)
        first = f.await_status("idp", lambda st: st["last_success"], "a first fetch")
        for body, headers, why in cases:
            # each reason is the one document's: retries after a failure
            # may fetch at any time, so the reason is what is waited for
            idp.routes[idp.certs_path] = (200, dict(headers), body)
            f.refresh("idp")
            st = f.await_status("idp", lambda st: why in (st["last_error"] or ""),
                                f"refused with {why!r}")
            eq(st["last_success_ms"], first["last_success_ms"], f"{why}: last success")
            with open(f.path("idp"), "rb") as fh:
                eq(fh.read(), good, f"{why}: the file")
            eq(f.worker_kids("idp"), ["k1"], f"{why}: a worker's keys")
        left = [n for n in os.listdir(os.path.join(f.state, "jwks")) if n.startswith(".")]
        eq(left, [], "temporary files left")
        eq(f.stop(), 0, "exit status")


@test
def jwks_a_hung_provider_delays_no_other():
    """Sources are fetched side by side: while one provider holds its
    discovery request unanswered, another's key set is installed."""
    _, k1 = _jw_key("k1")
    release = threading.Event()
    with _jw_Idp() as hung, _jw_Idp() as idp:
        doc = hung.routes[hung.disc_path]

        def held():
            release.wait(120)
            return doc
        hung.routes[hung.disc_path] = held
        idp.keys(k1)
        try:
            with _jw_Fetcher(_jw_src(hung, name="hung"), _jw_src(idp)) as f:
                wait_until(lambda: hung.hits.get(hung.disc_path), "the held request")
                f.await_status("idp", lambda st: st["kids"] == ["k1"], "the other set")
                eq(f.status("hung"), None, "the held source's status (its fetch unfinished)")
                release.set()
                eq(f.stop(), 0, "exit status")
        finally:
            release.set()


@test
def jwks_fetcher_stops_in_the_middle_of_a_fetch():
    """SIGTERM while a fetch waits on a server that never answers: the
    fetch is abandoned (not timed out) and the fetcher exits 0."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(60 * TIME_SCALE)
    port = srv.getsockname()[1]
    try:
        src = ("mute", f"https://127.0.0.1:{port}/realm", "discover",
               os.path.join(_jw_pki(), "ca.pem"), 3600, 0)
        f = _jw_Fetcher(src)
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            f.stop()
            raise Fail("the fetcher did not connect")
        rc = f.stop()
        conn.close()
        eq(rc, 0, "the driver's exit status (the fetcher's)")
        st = f.status("mute")
        check(st is not None and "aborted" in (st["last_error"] or "").lower(),
              f"status after the stop: {st!r}")
    finally:
        srv.close()


@test
def listen_port_only_binds_loopback():
    """listen = :PORT listens on 127.0.0.1 only; an address given
    (0.0.0.0:PORT) is used as it is."""
    def listening(port):
        out = set()
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path) as fh:
                    rows = fh.read().splitlines()[1:]
            except FileNotFoundError:
                continue
            for row in rows:
                local, st = row.split()[1], row.split()[3]
                addr, p = local.rsplit(":", 1)
                if st == "0A" and int(p, 16) == port:
                    out.add(addr)
        return out

    for spec, want in ((":{}", {"0100007F"}), ("0.0.0.0:{}", {"00000000"})):
        port = _op_free_port()
        conf = os.path.join(TMP, f"listen-{port}.conf")
        write_conf(conf, good_conf_lines(spec.format(port)))
        inst = Rosterd(f"rosterd-listen-{port}", conf)
        try:
            got = wait_until(lambda: listening(port), f"{spec}: a listening socket",
                             timeout=60)
            eq(got, want, f"listen = {spec.format(port)}: local addresses")
        finally:
            eq(inst.stop(), 0, "rosterd's exit status")


def _jw_token(priv, kid, iss, aud, roles=("SystemAdmin",)):
    now = int(time.time())
    tok = jwt.encode({"sub": "jwks-it", "roles": list(roles), "tid": TENANT_A, "iss": iss,
                      "aud": aud, "iat": now, "exp": now + 600}, priv, algorithm="RS256",
                     headers={"kid": kid})
    ALL_TOKENS.append(tok)
    return tok


def _jw_children(inst, comm):
    """The master's children whose process name is comm."""
    p = subprocess.run(["pgrep", "-P", str(inst.pid)], capture_output=True, text=True)
    out = []
    for pid in (int(x) for x in p.stdout.split()):
        try:
            with open(f"/proc/{pid}/comm") as fh:
                if fh.read().strip() == comm:
                    out.append(pid)
        except FileNotFoundError:
            pass
    return out


def _jw_mem_has(pid, needle):
    """True when the memory of process pid holds needle (bytes); None when
    it cannot be read here."""
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                f = line.split()
                if not f[1].startswith("r") or (len(f) > 5 and f[5] in ("[vvar]",
                                                                       "[vsyscall]")):
                    continue
                lo, hi = (int(x, 16) for x in f[0].split("-"))
                if hi - lo > 1 << 30:
                    continue  # a sanitizer's shadow: reserved, not data
                tail = b""
                for at in range(lo, hi, 1 << 20):
                    try:
                        mem.seek(at)
                        chunk = tail + mem.read(min(1 << 20, hi - at))
                    except OSError:
                        tail = b""
                        continue
                    if needle in chunk:
                        return True
                    tail = chunk[-len(needle):]
    except PermissionError:
        return None
    return False


@test
def jwks_rosterd_keeps_an_issuers_keys():
    """rosterd with an [issuer] whose keys come by OIDC discovery: the
    supervisor's fetcher (process rosterd-jwks) installs the set and a
    token it signs is accepted; killed, the fetcher is restarted; a
    rotated key is accepted once a token with the unknown kid has asked
    for a refetch; the provider down, the cached keys keep verifying;
    SIGHUP replaces the fetcher; SIGTERM stops it with the workers."""
    aud = "rosterd-jwks-it"
    priv1, k1 = _jw_key("k1")
    priv2, k2 = _jw_key("k2")
    idp = _jw_Idp()
    try:
        idp.keys(k1)
        state = os.path.join(TMP, "jwks-rosterd-state")
        os.makedirs(state, exist_ok=True)
        extra = [f"state_dir = {state}", "[issuer idp]", f"iss = {idp.iss}", f"aud = {aud}",
                 "jwks_uri = discover", f"ca_file = {os.path.join(_jw_pki(), 'ca.pem')}",
                 "jwks_min_refetch_seconds = 1"]
        probe = os.path.join(TMP, "jwks-probe.conf")
        write_conf(probe, good_conf_lines(os.path.join(TMP, "jwks-probe.sock")) + extra)
        p = subprocess.run([ROSTERCTL, "-c", probe, "check-config"], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise Skip(f"this build's config takes no [issuer] section: {p.stderr.strip()}")
        # database passwords the fetcher must not hold (the test database
        # trusts local connections: libpq sends no password to it)
        pw_file, pw_env = b"PwFile" + uuid.uuid4().hex.encode(), "PwEnv" + uuid.uuid4().hex
        conninfo = [x for x in good_conf_lines("x") if x.split("=", 1)[0].strip() ==
                    "db_conninfo"][0]
        extra = [f"{conninfo} password={pw_file.decode()}"] + extra
        with _op_Stack("jwks", extra, {"PGPASSWORD": pw_env}) as s:
            keyfile = os.path.join(state, "jwks", "idp.json")
            wait_until(lambda: os.path.exists(keyfile), "the fetched key set", timeout=60)
            fetchers = wait_until(lambda: _jw_children(s.inst, "rosterd-jwks"), "the fetcher")
            eq(len(fetchers), 1, "fetcher processes")
            worker = [p for p in s.inst.workers() if p not in fetchers][0]
            if _jw_mem_has(worker, SECRET):  # else: cannot look, or no secret held
                eq(_jw_mem_has(fetchers[0], SECRET), False,
                   "the HS256 secret in the fetcher's memory")
            for pw, where in ((pw_file, "db_conninfo"), (pw_env.encode(), "PGPASSWORD")):
                if where == "PGPASSWORD" and sanitized(ROSTERD):
                    continue  # the sanitizer's runtime keeps a copy of the environment
                if _jw_mem_has(worker, pw):
                    eq(_jw_mem_has(fetchers[0], pw), False,
                       f"the database password of {where} in the fetcher's memory")
                else:
                    raise Fail(f"the worker does not hold {where}'s password: nothing tested")
            tok1 = _jw_token(priv1, "k1", idp.iss, aud)
            wait_until(lambda: s.request("GET", "/v1/tenants", token=tok1).status == 200,
                       "a token of the fetched key accepted")
            other_aud = _jw_token(priv1, "k1", idp.iss, "someone-else")
            eq(s.request("GET", "/v1/tenants", token=other_aud).status, 401,
               "the issuer's key for another audience")

            os.kill(fetchers[0], signal.SIGKILL)
            wait_until(lambda: [p for p in _jw_children(s.inst, "rosterd-jwks")
                                if p != fetchers[0]], "a new fetcher after SIGKILL")
            check("key fetcher killed by signal 9" in s.inst.log_text(),
                  "no warning about the killed fetcher")

            idp.keys(k1, k2)
            tok2 = _jw_token(priv2, "k2", idp.iss, aud)
            wait_until(lambda: s.request("GET", "/v1/tenants", token=tok2).status == 200,
                       "a token of the rotated key accepted", interval=0.2)
            idp.stop()
            for tok in (tok1, tok2):
                eq(s.request("GET", "/v1/tenants", token=tok).status, 200,
                   "a cached key with the provider down")

            before = _jw_children(s.inst, "rosterd-jwks")
            os.kill(s.inst.pid, signal.SIGHUP)
            wait_until(lambda: (lambda now: now and not set(now) & set(before))(
                _jw_children(s.inst, "rosterd-jwks")), "the fetcher replaced on SIGHUP")
            eq(s.request("GET", "/v1/tenants", token=tok2).status, 200,
               "after the reload, provider still down")
            last = _jw_children(s.inst, "rosterd-jwks")
            eq(s.stop(), 0, "rosterd's exit status")
            check(not any(pid_alive(p) for p in last), "the fetcher outlived rosterd")
    finally:
        idp.stop()


@test
def jwks_rosterd_serves_while_the_provider_hangs():
    """A provider that accepts connections and never answers: the key set
    fetched before (here: left in state_dir by an earlier run) verifies
    tokens from the first request on, an unknown kid is refused at once
    rather than waiting on the fetch, and rosterd stops cleanly in the
    middle of it."""
    aud = "rosterd-jwks-hang"
    priv1, k1 = _jw_key("k1")
    priv9, _ = _jw_key("k9")
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(64)  # never accepted: TLS never starts
    iss = f"https://127.0.0.1:{mute.getsockname()[1]}/realm"
    try:
        state = os.path.join(TMP, "jwks-hang-state")
        os.makedirs(os.path.join(state, "jwks"), exist_ok=True)
        with open(os.path.join(state, "jwks", "idp.json"), "w") as fh:
            json.dump({"keys": [k1]}, fh)
        extra = [f"state_dir = {state}", "[issuer idp]", f"iss = {iss}", f"aud = {aud}",
                 "jwks_uri = discover", f"ca_file = {os.path.join(_jw_pki(), 'ca.pem')}",
                 "jwks_min_refetch_seconds = 1"]
        probe = os.path.join(TMP, "jwks-probe.conf")
        write_conf(probe, good_conf_lines(os.path.join(TMP, "jwks-probe.sock")) + extra)
        p = subprocess.run([ROSTERCTL, "-c", probe, "check-config"], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise Skip(f"this build's config takes no [issuer] section: {p.stderr.strip()}")
        with _op_Stack("jwks-hang", extra) as s:
            tok1 = _jw_token(priv1, "k1", iss, aud)
            tok9 = _jw_token(priv9, "k9", iss, aud)
            for _ in range(3):
                eq(s.request("GET", "/v1/tenants", token=tok1).status, 200,
                   "a token of the key set kept in state_dir")
                eq(s.request("GET", "/v1/tenants", token=tok9).status, 401,
                   "a token with an unknown kid")
            check(_jw_children(s.inst, "rosterd-jwks"), "no fetcher running")
            eq(s.stop(), 0, "rosterd's exit status")
        with open(os.path.join(state, "jwks", "idp.json")) as fh:
            eq([k["kid"] for k in json.load(fh)["keys"]], ["k1"], "the key file afterwards")
    finally:
        mute.close()


def _jw_gauges(s, issuer):
    """GET /metrics of stack s, parsed with the Prometheus project's parser:
    {family: value} of the rosterd_jwks_* gauges labelled issuer, and the
    families' types."""
    from prometheus_client.parser import text_string_to_metric_families
    r = s.request("GET", "/metrics", token=METRICS_TOKEN)
    eq(r.status, 200, "/metrics status")
    out, types = {}, {}
    for fam in text_string_to_metric_families(r.body.decode()):
        if not fam.name.startswith("rosterd_jwks_"):
            continue
        types[fam.name] = fam.type
        for smp in fam.samples:
            if smp.labels.get("issuer") == issuer:
                out[fam.name] = smp.value
            else:
                raise Fail(f"a sample of another issuer: {smp!r}")
    return out, types


@test
def jwks_fetcher_health_in_metrics():
    """/metrics shows the key fetcher's health per fetched issuer
    (rosterd_jwks_keys, _last_attempt_/_last_success_timestamp_seconds,
    _consecutive_failures): the keys once fetched; with the provider
    down, failures counted while the keys and the last success stay;
    back, failures 0 again. Only issuers with fetched keys have series."""
    aud = "rosterd-jwks-metrics"
    _, k1 = _jw_key("k1")
    _, k2 = _jw_key("k2")
    priv9, _ = _jw_key("k9")
    idp = _jw_Idp()
    port = idp.port
    try:
        idp.keys(k1, k2)
        state = os.path.join(TMP, "jwks-metrics-state")
        os.makedirs(state, exist_ok=True)
        extra = [f"state_dir = {state}", "[issuer idp]", f"iss = {idp.iss}", f"aud = {aud}",
                 "jwks_uri = discover", f"ca_file = {os.path.join(_jw_pki(), 'ca.pem')}",
                 "jwks_min_refetch_seconds = 1"]
        with _op_Stack("jwks-metrics", extra) as s:
            g, types = wait_until(
                lambda: (lambda gt: gt if gt[0].get("rosterd_jwks_keys") == 2 and
                         gt[0].get("rosterd_jwks_last_success_timestamp_seconds", 0) > 0
                         else None)(_jw_gauges(s, "idp")),
                "the fetched keys in /metrics", timeout=60, interval=0.2)
            names = ("rosterd_jwks_keys", "rosterd_jwks_last_attempt_timestamp_seconds",
                     "rosterd_jwks_last_success_timestamp_seconds",
                     "rosterd_jwks_consecutive_failures")
            eq(sorted(types), sorted(names), "the rosterd_jwks_ families")
            check(all(t == "gauge" for t in types.values()), f"types: {types!r}")
            eq(g["rosterd_jwks_consecutive_failures"], 0, "failures after a fetch")
            ok_at = g["rosterd_jwks_last_success_timestamp_seconds"]
            check(abs(ok_at - time.time()) < 3600, f"last success {ok_at} is no unix time")
            check(g["rosterd_jwks_last_attempt_timestamp_seconds"] >= ok_at,
                  f"last attempt before last success: {g!r}")

            # The provider down: a token with an unknown kid asks for a
            # refetch, which fails; the keys and the last success stay.
            idp.stop()
            tok9 = _jw_token(priv9, "k9", idp.iss, aud)

            def failed():
                eq(s.request("GET", "/v1/tenants", token=tok9).status, 401, "unknown kid")
                g = _jw_gauges(s, "idp")[0]
                return g if g.get("rosterd_jwks_consecutive_failures", 0) >= 1 else None
            g = wait_until(failed, "a failed fetch in /metrics", timeout=90, interval=0.5)
            eq(g["rosterd_jwks_keys"], 2, "keys kept while the provider is down")
            eq(g["rosterd_jwks_last_success_timestamp_seconds"], ok_at, "last success kept")
            check(g["rosterd_jwks_last_attempt_timestamp_seconds"] > ok_at,
                  f"last attempt not after the last success: {g!r}")

            with _jw_Idp(port=port) as back:
                back.keys(k1)

                def recovered():
                    s.request("GET", "/v1/tenants", token=tok9)
                    g = _jw_gauges(s, "idp")[0]
                    return g if (g.get("rosterd_jwks_consecutive_failures") == 0 and
                                 g.get("rosterd_jwks_keys") == 1) else None
                g = wait_until(recovered, "a fetch once the provider is back", timeout=120,
                               interval=0.5)
                check(g["rosterd_jwks_last_success_timestamp_seconds"] > ok_at,
                      f"last success not moved: {g!r}")
            eq(s.stop(), 0, "rosterd's exit status")
    finally:
        idp.stop()


@test
def refusal_log_names_the_issuer():
    """The refusal's info line names the [issuer NAME] the token's iss
    picked, for refusals before and after its signature verified (here:
    expired, unknown kid, wrong audience); none for an iss no issuer has.
    Never the token."""
    aud = "rosterd-jwks-refusals"
    priv1, k1 = _jw_key("k1")
    priv9, _ = _jw_key("k9")
    state = os.path.join(TMP, "jwks-refusal-state")
    os.makedirs(os.path.join(state, "jwks"), exist_ok=True)
    iss = "https://127.0.0.1:9/refusals"  # the key set is left in state_dir
    with open(os.path.join(state, "jwks", "idp.json"), "w") as fh:
        json.dump({"keys": [k1]}, fh)
    extra = [f"state_dir = {state}", "[issuer idp]", f"iss = {iss}", f"aud = {aud}",
             "jwks_uri = discover", f"ca_file = {os.path.join(_jw_pki(), 'ca.pem')}"]
    now = int(time.time())

    def signed(priv, kid, claims):
        tok = jwt.encode(dict({"sub": "refused-it", "roles": ["SystemAdmin"], "tid": TENANT_A,
                               "iss": iss, "aud": aud, "iat": now, "exp": now + 600},
                              **claims), priv, algorithm="RS256", headers={"kid": kid})
        ALL_TOKENS.append(tok)
        return tok
    good = signed(priv1, "k1", {})
    cases = (("expired", signed(priv1, "k1", {"iat": now - 7200, "exp": now - 3600}), "idp"),
             ("unknown_kid", signed(priv9, "k9", {}), "idp"),
             ("wrong_audience", signed(priv1, "k1", {"aud": "someone-else"}), "idp"),
             ("wrong_issuer", signed(priv1, "k1", {"iss": "https://elsewhere.invalid"}), None))
    with _op_Stack("jwks-refusals", extra) as s:
        eq(s.request("GET", "/v1/tenants", token=good).status, 200, "the issuer's good token")
        for reason, tok, issuer in cases:
            rid = f"refusal-{reason}-{uuid.uuid4().hex[:8]}"
            start = s.inst.log_size()
            r = s.request("GET", "/v1/tenants", token=tok, headers={"X-Request-Id": rid})
            eq(r.status, 401, f"{reason}: status")
            line = wait_until(lambda: [rec.get("msg") for rec in s.inst.log_records(start)
                                       if f"request_id={rid}" in rec.get("msg", "")],
                              f"{reason}: the refusal's log line")[0]
            want = f"authentication refused: reason={reason} request_id={rid}"
            if issuer is not None:
                want += f" issuer={issuer}"
            eq(line, want, f"{reason}: the log line")
            check(tok not in s.inst.log_text(start) and tok.split(".")[2] not in
                  s.inst.log_text(start), f"{reason}: the token in the log")
        eq(s.stop(), 0, "rosterd's exit status")
