"""Python side of the test OpenID Connect provider (provider.mjs).

Standard library only. Used by tests/http/t_oidc.py (rosterd against the
provider) and tests/oidc/check.py (the provider alone).

    install()                      npm ci here unless the pinned
                                   oidc-provider is installed already
    Pki(dir)                       a throwaway CA and server certificates
                                   for 127.0.0.1 made with openssl
    Provider(dir, name, pki, ...)  one provider process: start(), token(),
                                   discovery(), jwks(), rotate(), outage(),
                                   state(), stop()

Every wait has a deadline that only guards against a hang (multiplied by
time_scale); nothing here decides anything on elapsed time.
"""

import base64
import fcntl
import http.client
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "provider.mjs")
RESOURCE = "https://rosterd.test/api"  # the audience rosterd is configured with
OTHER_RESOURCE = "https://other.test/api"  # an audience for another API


class HarnessError(Exception):
    """The provider could not be installed, started or asked."""


def pinned_version():
    with open(os.path.join(HERE, "package.json")) as f:
        return json.load(f)["dependencies"]["oidc-provider"]


def installed_version():
    try:
        with open(os.path.join(HERE, "node_modules", "oidc-provider", "package.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def install(log_path=None):
    """Makes tests/oidc/node_modules hold the locked packages (npm ci,
    under a lock so that two runs do not install at once), unless the
    pinned oidc-provider is there already. Returns a line saying what it
    did."""
    for prog in ("node", "npm"):
        if shutil.which(prog) is None:
            raise HarnessError(f"{prog} is not installed (scripts/deps --test installs it)")
    want = pinned_version()
    if installed_version() == want:
        return f"oidc-provider {want} already installed"
    with open(os.path.join(HERE, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() == want:
            return f"oidc-provider {want} installed by another run"
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=HERE, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=600)
        if log_path:
            with open(log_path, "a") as f:
                f.write(p.stdout + p.stderr)
        if p.returncode != 0 or installed_version() != want:
            tail = " | ".join((p.stdout + p.stderr).strip().splitlines()[-5:])
            raise HarnessError(f"npm ci in {HERE} exited {p.returncode}: {tail}")
    return f"oidc-provider {want} installed with npm ci"


def _openssl(*args):
    p = subprocess.run(["openssl", *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise HarnessError(f"openssl {args[0]}: {p.stderr.strip()[-300:]}")


class Pki:
    """A throwaway certificate authority in dir (ca.pem, ca.key) that
    signs server certificates for the providers."""

    def __init__(self, dir, name="rosterd test CA"):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        self.ca = os.path.join(dir, "ca.pem")
        self.ca_key = os.path.join(dir, "ca.key")
        if not os.path.exists(self.ca):
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=" + name,
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                     "-keyout", self.ca_key, "-out", self.ca)

    def server(self, name, san="IP:127.0.0.1,DNS:localhost"):
        """(cert, key) for a server named by san, signed by this CA."""
        cert = os.path.join(self.dir, name + ".pem")
        key = os.path.join(self.dir, name + ".key")
        if os.path.exists(cert):
            return cert, key
        csr = os.path.join(self.dir, name + ".csr")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
                 "-keyout", key, "-out", csr)
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                 "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
        return cert, key


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def unverified(token):
    """(header, claims) of a compact JWS, not verified."""
    h, c, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))


class Provider:
    """One provider.mjs process.

    name: names its files in dir (NAME.json config, NAME.log stderr,
    NAME.keys.json private keys unless keys_file is given: pass another
    instance's keys_file to share its keys). issuer: None for
    https://127.0.0.1:{port}/realms/rosterd-it, or a string (it may name
    another instance's issuer). clients: [{"client_id", "client_secret",
    "claims"}]. san: the server certificate's names (signed by pki's CA).
    jwks_max_age: the JWKS responses' Cache-Control max-age (None: no
    Cache-Control)."""

    def __init__(self, dir, name, pki, issuer=None, keys_file=None, alg="RS256",
                 jwk_alg=False, resources=(RESOURCE, OTHER_RESOURCE), clients=(), ttl=600,
                 kid=None, san="IP:127.0.0.1,DNS:localhost", jwks_max_age=None,
                 time_scale=1.0):
        self.dir, self.name, self.pki = dir, name, pki
        self.time_scale = time_scale
        os.makedirs(dir, exist_ok=True)
        self.cert, self.key = pki.server("srv-" + name, san)
        self.keys_file = keys_file or os.path.join(dir, name + ".keys.json")
        self.log_path = os.path.join(dir, name + ".log")
        self.conf_path = os.path.join(dir, name + ".json")
        self.clients = list(clients)
        conf = {"host": "127.0.0.1", "port": 0, "tls": {"cert": self.cert, "key": self.key},
                "keys_file": self.keys_file, "alg": alg, "jwk_alg": jwk_alg,
                "resources": list(resources), "clients": self.clients, "ttl": ttl,
                "exit_on_stdin_eof": True}
        if issuer:
            conf["issuer"] = issuer
        if kid:
            conf["kid"] = kid
        if jwks_max_age is not None:
            conf["jwks_max_age"] = jwks_max_age
        with open(self.conf_path, "w") as f:
            json.dump(conf, f, indent=1)
        self.proc = None
        self.ready = None
        self.start_seconds = None
        self.tls = ssl.create_default_context(cafile=pki.ca)
        # The harness's own requests reach an instance certified for
        # another name too (a test of its clients' name check).
        self.tls.check_hostname = "IP:127.0.0.1" in san.split(",")

    # ---- process

    def start(self, timeout=60):
        """Starts the process and waits for its ready line; returns self."""
        t0 = time.monotonic()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(["node", SCRIPT, self.conf_path], cwd=HERE,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, start_new_session=True)
        finally:
            log.close()
        deadline = t0 + timeout * self.time_scale
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise HarnessError(f"provider {self.name}: no ready line in "
                                   f"{timeout * self.time_scale:.0f} s: {self.log_tail()}")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                b = os.read(self.proc.stdout.fileno(), 4096)
                if not b:
                    self.proc.wait()
                    raise HarnessError(f"provider {self.name} exited "
                                       f"{self.proc.returncode}: {self.log_tail()}")
                line += b
        self.ready = json.loads(line)
        if not self.ready.get("ready"):
            self.kill()
            raise HarnessError(f"provider {self.name}: ready line {line!r}")
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status (0: a clean stop), or kills the
        process after the deadline and returns None."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout * self.time_scale)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        self._close_pipes()
        return rc

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self._close_pipes()

    def _close_pipes(self):
        for f in (self.proc.stdin, self.proc.stdout):
            if f:
                f.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=8):
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-n:])
        except OSError:
            return ""

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()

    # ---- what it serves

    @property
    def port(self):
        return self.ready["port"]

    @property
    def issuer(self):
        return self.ready["issuer"]

    @property
    def base(self):
        """The issuer's URL on this instance (which serves its issuer's
        path on its own port even when it claims another's issuer)."""
        path = urllib.parse.urlsplit(self.issuer).path.rstrip("/")
        return f"https://127.0.0.1:{self.port}{path}"

    def http(self, method, path, body=None, headers=None, timeout=10):
        """(status, headers, body bytes) of one request to this instance."""
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls,
                                        timeout=timeout * self.time_scale)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def _json(self, method, path, body=None, headers=None, want=200):
        status, _, data = self.http(method, path, body, headers)
        if status != want:
            raise HarnessError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def discovery(self):
        path = urllib.parse.urlsplit(self.base).path
        return self._json("GET", path + "/.well-known/openid-configuration")

    def jwks(self):
        return self._json("GET", urllib.parse.urlsplit(self.base).path + "/jwks")

    def token_response(self, client_id, client_secret, resource=RESOURCE, scope="api",
                       claims=None):
        """(status, JSON body) of a client_credentials token request
        (client_secret_basic)."""
        form = {"grant_type": "client_credentials"}
        if resource:
            form["resource"] = resource
        if scope:
            form["scope"] = scope
        if claims is not None:
            form["x_claims"] = json.dumps(claims)
        basic = base64.b64encode(
            f"{urllib.parse.quote(client_id, safe='')}:"
            f"{urllib.parse.quote(client_secret, safe='')}".encode()).decode()
        status, _, data = self.http(
            "POST", urllib.parse.urlsplit(self.base).path + "/token",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded",
             "Authorization": "Basic " + basic})
        try:
            return status, json.loads(data)
        except ValueError:
            return status, {"raw": data[:300].decode("utf-8", "replace")}

    def token(self, client_id=None, client_secret=None, **kw):
        """An access token (the JWT) for client_id (default: the first
        client)."""
        if client_id is None:
            client_id = self.clients[0]["client_id"]
        if client_secret is None:
            client_secret = next(c["client_secret"] for c in self.clients
                                 if c["client_id"] == client_id)
        status, body = self.token_response(client_id, client_secret, **kw)
        if status != 200 or "access_token" not in body:
            raise HarnessError(f"token for {client_id}: {status} {body}")
        return body["access_token"]

    # ---- control

    def _control(self, method, path):
        return self._json(method, path, b"" if method == "POST" else None,
                          {"X-Control-Token": self.ready["control_token"]})

    def state(self):
        """{"issuer", "kids" (the signing kid first), "outage", "served"
        (requests per path under the issuer), "outage_served",
        "tls_refused"}."""
        return self._control("GET", "/_ctl/state")

    def rotate(self, step):
        """add | promote | retire | replace (see provider.mjs); returns the
        state after it."""
        return self._control("POST", "/_ctl/rotate?step=" + step)

    def outage(self, mode):
        """503 | garbage | off; returns the state after it."""
        return self._control("POST", "/_ctl/outage?mode=" + mode)

    def private_keys(self):
        """The private JWKs (the signing key first), as provider.mjs keeps
        them in keys_file."""
        with open(self.keys_file) as f:
            return json.load(f)["keys"]
