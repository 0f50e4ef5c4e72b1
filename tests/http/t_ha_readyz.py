# t_ha_readyz.py: /readyz in a cluster, run by test_api.py with its
# helpers (and t_hardening.py's FastCGI client, _hard_fcgi).
# * /readyz is 503 when this host's database session cannot write (a
#   standby, default_transaction_read_only), and says so to the metrics
#   token's holder;
# * metrics_allow_from: the addresses whose requests /metrics and /readyz's
#   detail answer without the token; others still need it; a bad entry
#   stops the start, naming the key.


def _ha_rosterd(name, drop=(), extra=()):
    """A rosterd of its own on TMP/NAME.sock: CONF less the keys of drop, plus
    the lines of extra; returns (instance, socket path) once it answers."""
    sock = os.path.join(TMP, name + ".sock")
    conf = os.path.join(TMP, name + ".conf")
    write_conf(conf, [x for x in good_conf_lines(sock)
                      if x.split("=", 1)[0].strip() not in drop] + list(extra))
    inst = Rosterd(name, conf)
    try:
        wait_until(lambda: os.path.exists(sock) or inst.proc.poll() is not None,
                   f"the socket of {name}")
        check(inst.proc.poll() is None, f"{name} exited: {inst.log_text()[-400:]}")
        wait_until(lambda: _hard_try_fcgi(_hard_env("/healthz"), sock), f"{name} answers")
    except BaseException:
        inst.stop()
        raise
    return inst, sock


def _ha_get(sock, path, addr="127.0.0.1", token=None):
    env = _hard_env(path, REMOTE_ADDR=addr)
    if token:
        env["HTTP_AUTHORIZATION"] = "Bearer " + token
    st, _, body = _hard_fcgi(env, sock)
    return st, body


@test
def ha_readyz_is_503_when_the_session_is_read_only():
    """A rosterd whose sessions are read-only (as on a standby) is not ready:
    503 with Retry-After for everyone, and "writable": false for the token's
    holder; the same database read-write is ready with "writable": true.
    /healthz stays 200 (the process serves), and a write there is 503, with
    an Idempotency-Key or without, and leaves nothing."""
    conninfo = [l.split("=", 1)[1].strip() for l in good_conf_lines("x")
                if l.split("=", 1)[0].strip() == "db_conninfo"][0]
    inst, sock = _ha_rosterd("rosterd-ha-ro", drop=("db_conninfo",), extra=(
        f"db_conninfo = {conninfo} options='-c default_transaction_read_only=on'",))
    try:
        st, body = _ha_get(sock, "/readyz")
        eq((st, json.loads(body)), (503, {"status": "unavailable"}),
           "/readyz of a read-only session")
        st, body = _ha_get(sock, "/readyz", token=METRICS_TOKEN)
        b = json.loads(body)
        eq((st, b.get("status"), b.get("database"), b.get("writable")),
           (503, "unavailable", "up", False), f"/readyz with the token: {b}")
        check("read-only" in b.get("detail", ""), f"the detail says why: {b}")
        eq(_ha_get(sock, "/healthz")[0], 200, "/healthz of a read-only session")
        # A write there is 503, keyed or not (the key stays free), never 500.
        path = f"/v1/tenants/{TENANT_A}/users"
        for key in (None, f"ro-{unique('k')}"):
            name = unique("ro")
            body = json.dumps({"username": name}).encode()
            env = _hard_env(path, REQUEST_METHOD="POST", CONTENT_TYPE="application/json",
                            CONTENT_LENGTH=str(len(body)),
                            HTTP_AUTHORIZATION="Bearer " + default_token())
            if key:
                env["HTTP_IDEMPOTENCY_KEY"] = key
            st, _, out = _hard_fcgi(env, sock, stdin=body)
            eq(st, 503, f"a create (key {key}) on the read-only session: {out[:300]!r}")
            eq(psql(f"SELECT count(*) FROM users WHERE username = {lit(name)}"), ["0"],
               f"users named {name}")
            if key:
                eq(psql(f"SELECT count(*) FROM idempotency WHERE key = {lit(key)}"), ["0"],
                   f"the key {key}")
    finally:
        eq(inst.stop(), 0, "its exit status")
    r = request("GET", "/readyz", token=METRICS_TOKEN)
    eq((r.status, r.json()), (200, {"status": "ready", "database": "up", "writable": True}),
       "/readyz of the read-write rosterd with the token")
    eq(r.header("Retry-After"), None, "no Retry-After when ready")


@test
def ha_metrics_allow_from_admits_its_addresses_only():
    """metrics_allow_from = a network and an address: requests from them get
    /metrics and /readyz's detail without the token; from elsewhere /metrics
    is 401 and /readyz the bare status, and the token still opens both.
    Without metrics_token_file the others get 403."""
    allow = "metrics_allow_from = 192.0.2.0/24, 2001:db8::7"
    inst, sock = _ha_rosterd("rosterd-ha-allow", extra=(allow,))
    try:
        for addr in ("192.0.2.7", "192.0.2.255", "2001:db8::7", "::ffff:192.0.2.9"):
            st, body = _ha_get(sock, "/metrics", addr=addr)
            eq(st, 200, f"/metrics from {addr}: {body[:200]!r}")
            check(b"rosterd_http_requests" in body, f"the counters for {addr}")
            st, body = _ha_get(sock, "/readyz", addr=addr)
            eq((st, json.loads(body)),
               (200, {"status": "ready", "database": "up", "writable": True}),
               f"/readyz from {addr}")
        for addr in ("192.0.3.1", "127.0.0.1", "2001:db8::8", "10.0.0.1"):
            st, body = _ha_get(sock, "/metrics", addr=addr)
            eq(st, 401, f"/metrics from {addr} without the token: {body[:200]!r}")
            check(b"rosterd_" not in body, f"no counters for {addr}")
            st, body = _ha_get(sock, "/readyz", addr=addr)
            eq((st, json.loads(body)), (200, {"status": "ready"}), f"/readyz from {addr}")
        st, body = _ha_get(sock, "/metrics", addr="10.0.0.1", token=METRICS_TOKEN)
        eq(st, 200, "/metrics from elsewhere with the token")
        st, body = _ha_get(sock, "/metrics", addr="10.0.0.1", token=METRICS_TOKEN[:-1])
        eq(st, 401, "/metrics from elsewhere with a wrong token")
    finally:
        eq(inst.stop(), 0, "its exit status")
    inst, sock = _ha_rosterd("rosterd-ha-allow-notoken", drop=("metrics_token_file",),
                             extra=(allow,))
    try:
        eq(_ha_get(sock, "/metrics", addr="192.0.2.1")[0], 200,
           "/metrics from an allowed address, no metrics_token_file")
        st, body = _ha_get(sock, "/metrics", addr="10.0.0.1", token=METRICS_TOKEN)
        eq(st, 403, f"/metrics from elsewhere, no metrics_token_file: {body[:200]!r}")
        check(b"metrics_allow_from" in body, f"the 403 says why: {body[:200]!r}")
    finally:
        eq(inst.stop(), 0, "its exit status")


@test
def ha_metrics_allow_from_bad_entry_refused():
    """An entry that is no address or network (or has bits right of its
    mask) stops the start with a message naming metrics_allow_from and the
    entry."""
    for bad in ("10.0.0.1/8", "example.com", "10.0.0.0/33", "192.0.2.0/24,,nope"):
        conf = os.path.join(TMP, "ha-allow-bad.conf")
        write_conf(conf, good_conf_lines(os.path.join(TMP, "ha-allow-bad.sock")) +
                   [f"metrics_allow_from = {bad}"])
        rc, err = run_rosterd_expecting_refusal(conf)
        check(rc not in (0, None), f"{bad!r}: exit status {rc}")
        check("metrics_allow_from" in err, f"{bad!r}: the message names the key: {err!r}")
        check(bad.split(",")[-1] in err, f"{bad!r}: the message names the entry: {err!r}")
