#!/usr/bin/python3
"""The test OpenID Connect provider on its own, without rosterd.

    tests/oidc/check.py            (KEEP_TMP=1 keeps its directory)

Installs the pinned oidc-provider (npm ci) if needed, makes a throwaway CA,
starts provider.mjs and checks, with PyJWT and cryptography (independent of
the provider's own code): discovery under the issuer's path, the JWKS, a
client-credentials access token (RFC 9068 header and claims, signature
against the JWKS), the refusals of the token endpoint, a key rotation in
its three steps and an abrupt one, the outage modes, a second instance
with the same keys and another issuer, a second instance with its own
keys, an instance with another instance's kid on its own key, ES256 and
PS256 instances, a certificate from another CA refused by a client, and a
clean stop. Prints "ok - ..." / "not ok - ..." lines, timings as "# "
lines, and last "N passed, N failed"; exits non-zero on any failure.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

import jwt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

passed = failed = 0
CLIENTS = [
    {"client_id": "admin-a", "client_secret": "s-admin-a",
     "claims": {"tid": "tenant-a", "roles": ["TenantAdmin"]}},
    {"client_id": "reader-a", "client_secret": "s-reader-a",
     "claims": {"tid": "tenant-a", "roles": ["TenantReader"]}},
]


def result(good, what, detail=""):
    global passed, failed
    if good:
        passed += 1
        print(f"ok - {what}", flush=True)
    else:
        failed += 1
        print(f"not ok - {what}" + (f": {detail}" if detail else ""), flush=True)


def run(what, fn):
    try:
        fn()
    except AssertionError as e:
        result(False, what, str(e))
    except Exception as e:  # noqa: BLE001 - reported as a failure
        where = traceback.extract_tb(e.__traceback__)[-1]
        result(False, what, f"{type(e).__name__}: {e} (line {where.lineno})")
    else:
        result(True, what)


def verify(token, jwks, issuer, audience=harness.RESOURCE, algs=("RS256",)):
    """The claims of token, verified by PyJWT against the public JWKS:
    the kid picks the key, the alg must be one of algs."""
    h = jwt.get_unverified_header(token)
    keys = [k for k in jwks["keys"] if k.get("kid") == h.get("kid")]
    assert len(keys) == 1, f"kid {h.get('kid')!r}: {len(keys)} keys in the JWKS"
    key = jwt.PyJWK(keys[0], algorithm=h["alg"]).key
    return jwt.decode(token, key, algorithms=list(algs), audience=audience, issuer=issuer,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]})


def main():
    tmp = tempfile.mkdtemp(prefix="rosterd-oidc-check.")
    providers = []
    pkis = []

    def provider(name, pki=None, **kw):
        kw.setdefault("clients", CLIENTS)
        p = harness.Provider(tmp, name, pki or pkis[0], **kw)
        providers.append(p)
        return p.start()

    try:
        t0 = time.monotonic()
        print(f"# {harness.install(os.path.join(tmp, 'npm.log'))} "
              f"({time.monotonic() - t0:.1f} s)", flush=True)
        pki = harness.Pki(os.path.join(tmp, "pki"))
        pkis = [pki]
        a = provider("a")
        print(f"# provider a: ready in {a.start_seconds:.2f} s on port {a.port}, "
              f"issuer {a.issuer}", flush=True)
        state = {}

        def discovery():
            d = a.discovery()
            assert d["issuer"] == a.issuer, d["issuer"]
            assert a.issuer.endswith("/realms/rosterd-it"), a.issuer
            assert d["jwks_uri"] == a.issuer + "/jwks", d["jwks_uri"]
            assert d["token_endpoint"] == a.issuer + "/token", d["token_endpoint"]
            assert "client_credentials" in d["grant_types_supported"], d
            status, headers, _ = a.http("GET", "/realms/rosterd-it/jwks")
            assert status == 200, status
            state["jwks_headers"] = {k: v for k, v in headers.items()
                                     if k.lower() in ("content-type", "cache-control",
                                                      "expires", "etag", "last-modified")}
            print(f"# discovery: jwks_uri {d['jwks_uri']}; JWKS response headers "
                  f"{state['jwks_headers']}", flush=True)
        run("discovery at {issuer}/.well-known/openid-configuration names "
            "{issuer}/jwks and {issuer}/token", discovery)

        def jwks():
            j = a.jwks()
            assert [k["kid"] for k in j["keys"]] == a.ready["kids"], j
            k = j["keys"][0]
            assert k["kty"] == "RSA" and k.get("use") == "sig", k
            assert "alg" not in k, f"alg published: {k}"
            assert not {"d", "p", "q", "dp", "dq", "qi"} & set(k), "private parts published"
            print(f"# JWKS key members: {sorted(k)}", flush=True)
        run("the JWKS publishes the public RSA key (kid, use sig, no alg), "
            "no private part", jwks)

        def token():
            t = a.token("admin-a")
            h, _ = harness.unverified(t)
            assert h == {"alg": "RS256", "typ": "at+jwt", "kid": a.ready["kids"][0]}, h
            c = verify(t, a.jwks(), a.issuer)
            assert c["aud"] == harness.RESOURCE, c
            assert c["tid"] == "tenant-a" and c["roles"] == ["TenantAdmin"], c
            assert c["sub"] == "admin-a" and c["client_id"] == "admin-a", c
            assert c["scope"] == "api", c
            assert c["exp"] - c["iat"] == 600, c
            print(f"# token header {h}; claims {sorted(c)}", flush=True)
            t2 = a.token("admin-a", claims={"roles": ["SystemAdmin"], "x": {"y": 1},
                                            "iss": "https://evil.example", "aud": "evil"})
            c2 = verify(t2, a.jwks(), a.issuer)
            assert c2["roles"] == ["SystemAdmin"] and c2["x"] == {"y": 1}, c2
            assert c2["iss"] == a.issuer and c2["aud"] == harness.RESOURCE, c2
            t3 = a.token("reader-a", resource=harness.OTHER_RESOURCE)
            c3 = verify(t3, a.jwks(), a.issuer, audience=harness.OTHER_RESOURCE)
            assert c3["roles"] == ["TenantReader"], c3
            try:
                verify(t3, a.jwks(), a.issuer)
            except jwt.InvalidAudienceError:
                pass
            else:
                raise AssertionError("the other audience's token verified for RESOURCE")
        run("client_credentials access token: at+jwt, RS256, kid; iss, aud (the "
            "resource), the client's claims; x_claims add claims but cannot replace "
            "iss or aud; another resource gives another aud", token)

        def refusals():
            s, b = a.token_response("admin-a", "wrong")
            assert s == 401 and b.get("error") == "invalid_client", (s, b)
            s, b = a.token_response("admin-a", "s-admin-a", resource="https://nope.test/")
            assert s == 400 and b.get("error") == "invalid_target", (s, b)
            s, b = a.token_response("admin-a", "s-admin-a", claims=None, scope=None,
                                    resource=None)
            assert s == 200, (s, b)  # default resource
            assert harness.unverified(b["access_token"])[1]["aud"] == harness.RESOURCE
            s, _, _ = a.http("GET", "/_ctl/state")
            assert s == 403, f"control without its token: {s}"
            s, _, _ = a.http("GET", "/elsewhere/.well-known/openid-configuration")
            assert s == 404, f"outside the issuer's path: {s}"
        run("the token endpoint refuses a wrong secret (401) and an unknown "
            "resource (400); no resource: the default one; control needs its token",
            refusals)

        def rotation():
            k1 = a.ready["kids"][0]
            s = a.rotate("add")
            k2 = s["kids"][1]
            assert s["kids"] == [k1, k2], s
            assert [k["kid"] for k in a.jwks()["keys"]] == [k1, k2]
            t = a.token("admin-a")
            assert harness.unverified(t)[0]["kid"] == k1, "add: the old key still signs"
            old = t
            s = a.rotate("promote")
            assert s["kids"] == [k2, k1], s
            t = a.token("admin-a")
            assert harness.unverified(t)[0]["kid"] == k2, "promote: the new key signs"
            j = a.jwks()
            verify(t, j, a.issuer)
            verify(old, j, a.issuer)
            s = a.rotate("retire")
            assert s["kids"] == [k2] and [k["kid"] for k in a.jwks()["keys"]] == [k2], s
            verify(a.token("admin-a"), a.jwks(), a.issuer)
            s = a.rotate("replace")
            k3 = s["kids"][0]
            assert s["kids"] == [k3] and k3 not in (k1, k2), s
            t = a.token("admin-a")
            assert harness.unverified(t)[0]["kid"] == k3
            verify(t, a.jwks(), a.issuer)
            assert [k["kid"] for k in a.private_keys()] == [k3], "keys_file not rewritten"
        run("rotation: add publishes a second kid (the old key signs), promote "
            "signs with it (both published), retire drops the old one; replace "
            "swaps at once; keys_file follows", rotation)

        def outage():
            before = a.state()["outage_served"]
            a.outage("503")
            s, _, _ = a.http("GET", "/realms/rosterd-it/jwks")
            assert s == 503, s
            s, _, _ = a.http("GET", "/realms/rosterd-it/.well-known/openid-configuration")
            assert s == 503, s
            a.outage("garbage")
            s, _, body = a.http("GET", "/realms/rosterd-it/jwks")
            assert s == 200, s
            try:
                json.loads(body)
            except ValueError:
                pass
            else:
                raise AssertionError("garbage mode served JSON")
            st = a.outage("off")
            assert st["outage_served"] == before + 3, st
            a.jwks()
        run("outage modes: 503 and garbage on every route, counted; off restores",
            outage)

        def same_keys_other_issuer():
            b = provider("b-same-keys", keys_file=a.keys_file,
                         issuer="https://127.0.0.1:{port}/realms/other")
            assert b.ready["kids"] == a.state()["kids"], (b.ready, a.state())
            t = b.token("admin-a")
            c = verify(t, a.jwks(), b.issuer)  # a's published keys verify it
            assert c["iss"] == b.issuer != a.issuer, c
            b.stop()
        run("a second instance with the same keys_file has the same kid, and "
            "its tokens (another iss) verify against the first one's JWKS",
            same_keys_other_issuer)

        def impostors():
            c = provider("c-own-keys", issuer=a.issuer)
            assert c.ready["kids"][0] not in a.state()["kids"]
            assert c.discovery()["issuer"] == a.issuer
            t = c.token("admin-a")
            assert harness.unverified(t)[1]["iss"] == a.issuer
            try:
                verify(t, a.jwks(), a.issuer)
            except AssertionError:
                pass
            else:
                raise AssertionError("another instance's key is in a's JWKS")
            c.stop()
            d = provider("d-same-kid", issuer=a.issuer, kid=a.state()["kids"][0])
            t = d.token("admin-a")
            assert harness.unverified(t)[0]["kid"] == a.state()["kids"][0]
            try:
                verify(t, a.jwks(), a.issuer)
            except jwt.InvalidSignatureError:
                pass
            else:
                raise AssertionError("another key under a's kid verified")
            d.stop()
        run("impostors: an instance claiming the first one's issuer with its own "
            "keys (kid unknown to a's JWKS), and one with a's kid on its own key "
            "(signature does not verify)", impostors)

        def other_algs():
            for alg, kty in (("ES256", "EC"), ("PS256", "RSA")):
                e = provider("alg-" + alg, alg=alg, jwk_alg=True)
                j = e.jwks()
                assert j["keys"][0]["kty"] == kty and j["keys"][0]["alg"] == alg, j
                t = e.token("admin-a")
                assert harness.unverified(t)[0]["alg"] == alg
                verify(t, j, e.issuer, algs=(alg,))
                e.stop()
        run("ES256 and PS256 instances (keys published with alg)", other_algs)

        def max_age():
            m = provider("m-max-age", jwks_max_age=1)
            _, headers, _ = m.http("GET", "/realms/rosterd-it/jwks")
            assert headers.get("Cache-Control") == "public, max-age=1", dict(headers)
            _, headers, _ = m.http("GET", "/realms/rosterd-it/.well-known/openid-configuration")
            assert headers.get("Cache-Control") is None, dict(headers)
            m.stop()
        run("jwks_max_age: the JWKS (only) says Cache-Control: public, max-age=N", max_age)

        def untrusted():
            def handshake(port, ctx):
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                        pass

            def wait_refused(p, n):
                deadline = time.monotonic() + 30
                while p.state()["tls_refused"] < n:
                    assert time.monotonic() < deadline, f"{p.name}: {p.state()}"
                    time.sleep(0.05)

            trusting = ssl.create_default_context(cafile=pki.ca)
            other = harness.Pki(os.path.join(tmp, "pki-other"), "another CA")
            f = provider("f-other-ca", pki=other)
            g = provider("g-wrong-name", san="DNS:wrong.invalid")
            for p in (f, g):
                try:
                    handshake(p.port, trusting)
                except ssl.SSLCertVerificationError:
                    pass
                else:
                    raise AssertionError(f"{p.name}: its certificate was trusted")
                wait_refused(p, 1)
            # A client that checks the name only after the handshake
            # closes the connection without a request: counted too.
            lax = ssl.create_default_context()
            lax.check_hostname = False
            lax.verify_mode = ssl.CERT_NONE
            handshake(g.port, lax)
            wait_refused(g, 2)
            # curl (libcurl, as rosterd's fetcher uses it) with the first
            # CA: a's keys come; f's and g's are refused, and counted.
            def curl(p):
                return subprocess.run(
                    ["curl", "-sS", "--max-time", "30", "--cacert", pki.ca,
                     p.base + "/jwks"],
                    capture_output=True, text=True, timeout=60)
            r = curl(a)
            assert r.returncode == 0 and json.loads(r.stdout)["keys"], (r.returncode, r.stderr)
            for p, n in ((f, 2), (g, 3)):
                r = curl(p)
                assert r.returncode != 0, f"curl fetched {p.name}'s keys"
                wait_refused(p, n)
                print(f"# curl and {p.name}: exit {r.returncode}: "
                      f"{r.stderr.strip().splitlines()[0]}",
                      flush=True)
            f.stop()
            g.stop()
        run("a client trusting only the first CA (Python's ssl, curl) refuses an "
            "instance certified by another and one certified for another name; "
            "the instance counts the refusals (failed handshakes, a close "
            "without a request)", untrusted)

        def stop():
            t0 = time.monotonic()
            rc = a.stop()
            took = time.monotonic() - t0
            assert rc == 0, f"exit status {rc}: {a.log_tail()}"
            print(f"# provider a: stopped (exit 0) in {took:.2f} s", flush=True)
            try:
                socket.create_connection(("127.0.0.1", a.port), timeout=5).close()
            except ConnectionRefusedError:
                pass
            else:
                raise AssertionError("the port still accepts connections")
        run("SIGTERM: exit status 0, the port closed", stop)
    finally:
        for p in providers:
            if p.running():
                p.kill()
        if os.environ.get("KEEP_TMP") == "1":
            print(f"# kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.HarnessError as e:
        print(f"not ok - setup: {e}", flush=True)
        print(f"{passed} passed, {failed + 1} failed", flush=True)
        sys.exit(1)
