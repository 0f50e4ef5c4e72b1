#!/usr/bin/python3
"""tests/ha/run's body: see tests/ha/run for what it does."""

import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import uuid

import jwt

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STACK = os.path.join(REPO, "tests", "lib", "stack.sh")
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_SYSUSER = "rosterd-pg"
TIME_SCALE = float(os.environ.get("RT_TIME_SCALE") or 1)
SHORT = ["switchover", "kill", "freeze-host"]
WEB = ["web-allow", "web-host", "web-readonly"]
ALL = ["switchover", "kill", "kill-host", "freeze-host", "sync-lost", "etcd", "blackhole",
       "freeze"] + WEB
SCOPE = "rosterd-ha"
ISSUER, AUDIENCE = "rosterd-ha", "rosterd-api"
THREADS = 4            # clients through the web front
DIRECT = 2             # and clients that alternate between the hosts themselves
# The web front's own address: HAProxy's checks and connections to the
# hosts come from it, the hosts' nginx sites and metrics_allow_from allow
# it (docs/examples/ha/haproxy-web.cfg, nginx-readyz-allow.conf).
FRONT_ADDR = "127.0.0.2"
OTHER_ADDR = "127.0.0.3"    # an address nobody allowed
WEB_SERVER = {"a": "web1", "b": "web2"}   # the host's server in haproxy-web.cfg
CONSECUTIVE_OK = 10     # 2xx in a row per host that end a failover window


class Fail(Exception):
    pass


def log(msg):
    print(f"# {msg}", flush=True)


def wait_until(cond, timeout, what):
    """Polls cond() until it returns something true and returns that. The
    deadline only guards against a hang."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Fail(f"{what() if callable(what) else what}: not so after "
                       f"{timeout * TIME_SCALE:.0f} s")
        time.sleep(0.1)


def stack(fn, *args):
    """Runs a function of tests/lib/stack.sh; returns its output."""
    return subprocess.run(["bash", "-c", f'. "{STACK}"; "$@"', "stack", fn, *args],
                          check=True, stdout=subprocess.PIPE, text=True).stdout.strip()


def free_port():
    return int(stack("stack_free_port"))


class Cluster:
    """Every process of the deployment; stop() ends all of them."""

    def __init__(self, build, multihost, dcs):
        self.build = build
        self.multihost = multihost
        self.dcs = dcs          # Patroni's section: "etcd3" (v3 API) or "etcd" (v2)
        self.procs = {}         # name -> Popen
        self.tmp = tempfile.mkdtemp(prefix="rosterd-ha.")
        os.chmod(self.tmp, 0o755)
        self.root = os.geteuid() == 0
        self.pg_user = stack("stack_pg_user")
        pw = pwd.getpwnam(self.pg_user)
        self.pg_uid, self.pg_gid = pw.pw_uid, pw.pw_gid
        self.nodes = [f"pg{i}" for i in range(3)]
        self.pg_port = {n: free_port() for n in self.nodes}
        self.rest_port = {n: free_port() for n in self.nodes}
        self.etcd_port, self.etcd_peer = free_port(), free_port()
        self.haproxy_port, self.haproxy_stats = free_port(), free_port()
        self.hosts = ["a", "b"]
        self.https = {h: free_port() for h in self.hosts}
        self.front_port = free_port()
        self.front_https = {h: free_port() for h in self.hosts}  # nginx-front.conf's
        self.front_sock = os.path.join(self.tmp, "haproxy-web.sock")
        self.read_only = set()      # hosts whose database session is read-only
        self.blackholed = None      # the iptables rules in force
        # per host; --bench asks for more: a worker waits for the
        # synchronous standby on every commit, so two leave the cores idle
        self.workers = 2

    # -- processes

    def spawn(self, name, argv, as_pg=False, env=None):
        out = open(os.path.join(self.tmp, f"{name}.log"), "ab")
        kw = {}
        if as_pg and self.root:
            kw = dict(user=self.pg_uid, group=self.pg_gid, extra_groups=[])
        e = dict(os.environ, HOME=self.tmp, **(env or {}))
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                             cwd="/", start_new_session=True, env=e, **kw)
        out.close()
        self.procs[name] = p
        return p

    def end(self, name, sig=signal.SIGTERM, timeout=30):
        p = self.procs.pop(name, None)
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()

    def write(self, rel, text, pg=False):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        if pg and self.root:
            os.chown(path, self.pg_uid, self.pg_gid)
        return path

    # -- etcd

    def start_etcd(self):
        d = os.path.join(self.tmp, "etcd")
        c, p = f"http://127.0.0.1:{self.etcd_port}", f"http://127.0.0.1:{self.etcd_peer}"
        self.spawn("etcd", ["etcd", "--name", "e0", "--data-dir", d,
                            "--listen-client-urls", c, "--advertise-client-urls", c,
                            "--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
                            "--initial-cluster", f"e0={p}",
                            f"--enable-v2={'true' if self.dcs == 'etcd' else 'false'}",
                            "--initial-cluster-state", "new" if not os.path.isdir(d)
                            else "existing"])
        wait_until(lambda: http_status(f"{c}/health") == 200, 30, "etcd answers /health")

    # -- Patroni

    def patroni_yml(self, n):
        d = os.path.join(self.tmp, n)
        return f"""scope: {SCOPE}
name: {n}
log:
  level: INFO
restapi:
  listen: 127.0.0.1:{self.rest_port[n]}
  connect_address: 127.0.0.1:{self.rest_port[n]}
{self.dcs}:
  hosts: 127.0.0.1:{self.etcd_port}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: 'on'
        max_connections: 120
        max_wal_senders: 8
        max_replication_slots: 8
        shared_buffers: 16MB
        fsync: 'off'
        full_page_writes: 'on'
        wal_keep_size: 64MB
  initdb:
  - encoding: UTF8
  - lc-collate: C
  - lc-ctype: C.UTF-8
  - lc-messages: C
postgresql:
  listen: 127.0.0.1:{self.pg_port[n]}
  connect_address: 127.0.0.1:{self.pg_port[n]}
  data_dir: {d}/data
  bin_dir: {PG_BIN}
  pgpass: {d}/pgpass
  authentication:
    superuser:
      username: postgres
      password: ha-test
    replication:
      username: replicator
      password: ha-test
    rewind:
      username: rewinder
      password: ha-test
  parameters:
    unix_socket_directories: '{d}'
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
"""

    def start_patroni(self, n):
        d = os.path.join(self.tmp, n)
        os.makedirs(d, exist_ok=True)
        if self.root:
            os.chown(d, self.pg_uid, self.pg_gid)
        os.chmod(d, 0o700)
        cfg = self.write(f"{n}.yml", self.patroni_yml(n), pg=True)
        self.spawn(f"patroni-{n}", ["patroni", cfg], as_pg=True)

    def rest(self, n, path, timeout=2):
        """(status, JSON body or None) of Patroni's REST API on node n;
        (None, None) when it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.rest_port[n]}{path}",
                                        timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"null")
            except ValueError:
                return e.code, None
        except (OSError, ValueError):
            return None, None

    def members(self, exclude=()):
        """Patroni's /cluster from the first node that answers (not those in
        exclude): {name: member}; {} when none answers."""
        for n in self.nodes:
            if n in exclude:
                continue
            st, b = self.rest(n, "/cluster")
            if st == 200 and b:
                return {m["name"]: m for m in b.get("members", [])}
        return {}

    def leader(self, exclude=()):
        for n, m in self.members(exclude).items():
            if m.get("role") == "leader" and m.get("state") == "running":
                return n
        return None

    def sync_standby(self, exclude=()):
        for n, m in self.members(exclude).items():
            if m.get("role") == "sync_standby" and m.get("state") in ("running",
                                                                    "streaming"):
                return n
        return None

    def healthy(self):
        """A leader, a synchronous standby, every node running and
        replicating with no lag: the state each scenario starts from."""
        ms = self.members()
        if len(ms) != 3 or self.leader() is None or self.sync_standby() is None:
            return False
        for m in ms.values():
            if m.get("state") not in ("running", "streaming"):
                return False
            if m.get("role") != "leader" and m.get("lag", 0) not in (0, None):
                return False
        return True

    def patronictl(self, *args):
        cfg = os.path.join(self.tmp, "pg0.yml")
        return subprocess.run(["patronictl", "-c", cfg, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=120,
                              env=dict(os.environ, HOME=self.tmp))

    def postmaster_pid(self, n):
        try:
            with open(os.path.join(self.tmp, n, "data", "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def postgres_pids(self, n):
        """The postmaster of node n and its children."""
        pm = self.postmaster_pid(n)
        if pm is None:
            return []
        kids = subprocess.run(["pgrep", "-P", str(pm)], stdout=subprocess.PIPE,
                              text=True).stdout.split()
        return [pm] + [int(k) for k in kids]

    def psql(self, sql, port=None, db="rosterd"):
        r = subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-v",
                            "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                            "-p", str(port or self.haproxy_port), "-U", "postgres",
                            "-d", db, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise Fail(f"psql: {r.stderr.strip()}")
        return r.stdout

    # -- HAProxy

    def start_haproxy(self):
        servers = "".join(
            f"    server {n} 127.0.0.1:{self.pg_port[n]} maxconn 100 check "
            f"port {self.rest_port[n]}\n" for n in self.nodes)
        cfg = self.write("haproxy.cfg", f"""global
    maxconn 200
defaults
    mode tcp
    log global
    retries 2
    timeout queue 5s
    timeout connect 2s
    timeout client 30m
    timeout server 30m
    timeout check 2s
listen primary
    bind 127.0.0.1:{self.haproxy_port}
    option httpchk OPTIONS /primary
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
{servers}""")
        self.spawn("haproxy", ["haproxy", "-db", "-f", cfg])

    # -- rosterd hosts

    def conninfo(self, h):
        if h in self.read_only:
            return (f"host=127.0.0.1 port={self.haproxy_port} dbname=rosterd user=rosterd "
                    f"options='-c default_transaction_read_only=on'")
        if self.multihost and h == "b":
            hosts = ",".join("127.0.0.1" for _ in self.nodes)
            ports = ",".join(str(self.pg_port[n]) for n in self.nodes)
            return (f"host={hosts} port={ports} target_session_attrs=read-write "
                    f"dbname=rosterd user=rosterd")
        return f"host=127.0.0.1 port={self.haproxy_port} dbname=rosterd user=rosterd"

    def rosterd_conf(self, h):
        return self.write(f"host-{h}/rosterd.conf", f"""# rosterd host {h}
listen = {self.tmp}/host-{h}/rosterd.sock
listen_mode = 0660
workers = {self.workers}
# a frozen or unreachable primary holds a worker this long + 5 s at most
# (db_deadline_ms), as docs/operations.md advises for a multi-host conninfo
statement_timeout_ms = 5000
db_conninfo = {self.conninfo(h)}
jwt_hs256_secret_file = {self.tmp}/jwt.secret
jwt_issuer = {ISSUER}
jwt_audience = {AUDIENCE}
log_level = info
sql_dir = {REPO}/sql
idempotency_key_file = {self.tmp}/idempotency.key
metrics_token_file = {self.tmp}/metrics.token
# the web front's checks read /readyz's detail without the token
metrics_allow_from = {FRONT_ADDR}
""")

    def rosterctl(self, *args):
        r = subprocess.run([os.path.join(self.build, "rosterctl"), "-c",
                            os.path.join(self.tmp, "host-a", "rosterd.conf"), *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise Fail(f"rosterctl {' '.join(args)}: {r.stderr.strip()[-500:]}")
        return r.stdout.strip()

    def start_host(self, h):
        d = os.path.join(self.tmp, f"host-{h}")
        sock = os.path.join(d, "rosterd.sock")
        ng = os.path.join(d, "nginx")
        stack("stack_nginx_conf", ng, str(self.https[h]),
              str(free_port()), sock, os.path.join(self.tmp, "tls", "cert.pem"),
              os.path.join(self.tmp, "tls", "key.pem"))
        # The production site allows loopback only to /readyz and
        # /metrics; a host behind a front allows the front's address too
        # (docs/examples/ha/nginx-readyz-allow.conf).
        site = os.path.join(ng, "rosterd.conf")
        with open(site) as f:
            text = f.read()
        text, n = re.subn(r"(\n(\s*)location = /(?:readyz|metrics) \{\n\s*allow 127\.0\.0\.1;\n"
                          r"\s*allow ::1;\n)", lambda m: f"{m.group(1)}{m.group(2)}\tallow "
                          f"{FRONT_ADDR};\t# the web front\n", text)
        if n != 2:
            raise Fail(f"nginx/rosterd.conf: {n} of the /readyz and /metrics locations "
                       f"have the allow lines to add the front's address after")
        # The listener for the front: docs/examples/ha/nginx-front.conf
        # with this host's port and the front's address, included in the
        # site's server block.
        with open(os.path.join(REPO, "docs", "examples", "ha", "nginx-front.conf")) as f:
            front = f.read()
        for pat, repl in ((r"^listen 8443 ", f"listen 127.0.0.1:{self.front_https[h]} "),
                          (r"^set_real_ip_from 10\.0\.1\.10;", f"set_real_ip_from {FRONT_ADDR};"),
                          (r"^set_real_ip_from 10\.0\.1\.11;", f"set_real_ip_from {FRONT_ADDR};")):
            front, n = re.subn(pat, repl, front, flags=re.M)
            if n != 1:
                raise Fail(f"nginx-front.conf: {n} lines match {pat!r} (want one)")
        front_conf = os.path.join(ng, "rosterd-front.conf")
        with open(front_conf, "w") as f:
            f.write(front)
        listen = f"listen 127.0.0.1:{self.https[h]} ssl http2;"
        if text.count(listen) != 1:
            raise Fail(f"nginx/rosterd.conf: no single '{listen}' to include the front's "
                       f"listener after")
        text = text.replace(listen, f"{listen}\n\tinclude {front_conf};")
        with open(site, "w") as f:
            f.write(text)
        self.start_rosterd(h)
        self.start_nginx(h)

    def start_rosterd(self, h):
        self.spawn(f"rosterd-{h}", [os.path.join(self.build, "rosterd"), "-c",
                                    os.path.join(self.tmp, f"host-{h}", "rosterd.conf")])

    def start_nginx(self, h):
        ng = os.path.join(self.tmp, f"host-{h}", "nginx")
        self.spawn(f"nginx-{h}", ["nginx", "-p", ng, "-e", f"{ng}/error.log", "-c",
                                  f"{ng}/nginx.conf", "-g", "daemon off;"])

    # -- the web front: HAProxy with the shipped haproxy-web.cfg

    def web_front_cfg(self):
        """docs/examples/ha/haproxy-web.cfg with this deployment's addresses
        and ports, after a global and defaults section of the test's (the
        stats socket, timeouts, the front's own source address)."""
        with open(os.path.join(REPO, "docs", "examples", "ha", "haproxy-web.cfg")) as f:
            text = f.read()
        subst = [(r"^(\s*bind )\S*:443$", rf"\g<1>127.0.0.1:{self.front_port}")]
        for h, srv in WEB_SERVER.items():
            subst.append((rf"^(\s*server {srv} )\S+:8443$",
                          rf"\g<1>127.0.0.1:{self.front_https[h]}"))
        for pat, repl in subst:
            text, n = re.subn(pat, repl, text, flags=re.M)
            if n != 1:
                raise Fail(f"haproxy-web.cfg: {n} lines match {pat!r} (want one)")
        live = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
        left = [ln for ln in live if re.search(r"10\.0\.|:8?443\b", ln)]
        if left:
            raise Fail(f"haproxy-web.cfg: lines left with the example's addresses: {left}")
        return f"""# the test's own: a stats socket, timeouts, the front's address
global
    maxconn 500
    stats socket {self.front_sock} mode 600 level admin
defaults
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout check 2s
    source {FRONT_ADDR}
# docs/examples/ha/haproxy-web.cfg, addresses and ports replaced
{text}"""

    def start_web_front(self):
        cfg = self.write("haproxy-web.cfg", self.web_front_cfg())
        r = subprocess.run(["haproxy", "-c", "-f", cfg], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise Fail(f"haproxy -c {cfg}: {r.stdout.strip()[-800:]}")
        self.spawn("haproxy-web", ["haproxy", "-db", "-f", cfg])

    def front_view(self):
        """{host: (status, sessions so far)} of the web front's servers, as
        its stats socket says; {} while it does not answer."""
        try:
            with socket.socket(socket.AF_UNIX) as c:
                c.settimeout(5)
                c.connect(self.front_sock)
                c.sendall(b"show stat\n")
                raw = b""
                while chunk := c.recv(65536):
                    raw += chunk
        except OSError:
            return {}
        lines = raw.decode().split("\n")
        if not lines or not lines[0].startswith("# "):
            return {}
        cols = lines[0][2:].split(",")
        out = {}
        for ln in lines[1:]:
            row = dict(zip(cols, ln.split(",")))
            for h, srv in WEB_SERVER.items():
                if row.get("pxname") == "rosterd_hosts" and row.get("svname") == srv:
                    out[h] = (row["status"], int(row["stot"] or 0))
        return out

    def front_status(self, h):
        return self.front_view().get(h, (None, 0))[0]

    def stop_host(self, h):
        self.end(f"nginx-{h}", signal.SIGQUIT)
        self.end(f"rosterd-{h}")

    # -- the whole

    def start(self):
        t0 = time.monotonic()
        for f in ("jwt.secret", "idempotency.key", "metrics.token"):
            self.write(f, os.urandom(32).hex() + "\n")
            os.chmod(os.path.join(self.tmp, f), 0o600)
        stack("stack_tls_cert", os.path.join(self.tmp, "tls"), "2")
        self.start_etcd()
        for n in self.nodes:
            self.start_patroni(n)
            if n == "pg0":      # the first bootstraps; the others clone it
                wait_until(lambda: self.leader() == "pg0", 120,
                           "pg0 bootstraps the cluster and leads it")
        self.start_haproxy()
        wait_until(self.healthy, 180, lambda: "the cluster has a leader, a sync "
                   f"standby and three running members: {self.members()}")
        wait_until(lambda: self.try_psql("SELECT 1", "postgres") == "1", 60,
                   "PostgreSQL answers through HAProxy's write port")
        self.psql("CREATE ROLE rosterd LOGIN", db="postgres")
        self.psql("CREATE DATABASE rosterd OWNER rosterd", db="postgres")
        for h in self.hosts:
            self.rosterd_conf(h)
        self.rosterctl("migrate")
        self.tenant = self.rosterctl("bootstrap", "--tenant", "ha")
        for h in self.hosts:
            self.start_host(h)
        for h in self.hosts:
            wait_until(lambda: https_status(self.https[h], "/readyz") == 200, 60,
                       f"host {h} answers /readyz")
        self.start_web_front()
        for h in self.hosts:
            wait_until(lambda: self.front_status(h) == "UP", 60,
                       lambda: f"the web front has host {h} up: {self.front_view()}")
        log(f"deployment up in {time.monotonic() - t0:.1f} s: etcd :{self.etcd_port}, "
            f"PostgreSQL {self.pg_port}, Patroni REST {self.rest_port}, HAProxy "
            f":{self.haproxy_port}, hosts {self.https}, "
            f"{'host b multi-host conninfo' if self.multihost else 'both via HAProxy'}, "
            f"web front :{self.front_port}, "
            f"Patroni {self.dcs}: (etcd {'v2' if self.dcs == 'etcd' else 'v3'} API)")

    def try_psql(self, sql, db="rosterd"):
        try:
            return self.psql(sql, db=db).strip()
        except (Fail, subprocess.TimeoutExpired):
            return None

    def stop(self):
        self.unblackhole()
        for name, p in list(self.procs.items()):
            if p.poll() is None:        # a frozen process cannot stop
                try:
                    os.killpg(p.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        for n in self.nodes:
            for pid in self.postgres_pids(n):
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        self.end("haproxy-web")
        for h in self.hosts:
            self.stop_host(h)
        self.end("haproxy")
        for n in self.nodes:
            self.end(f"patroni-{n}", signal.SIGKILL)
        for n in self.nodes:
            pm = self.postmaster_pid(n)
            if pm is not None:
                try:
                    os.kill(pm, signal.SIGQUIT)   # immediate shutdown
                except ProcessLookupError:
                    pass
        for n in self.nodes:
            for pid in self.postgres_pids(n):
                stack("stack_wait_gone", str(pid))
        for name in list(self.procs):
            self.end(name)
        if os.environ.get("KEEP_TMP") == "1":
            print(f"# kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- black hole: iptables drops on lo

    def blackhole_rules(self, n):
        tag = ["-m", "comment", "--comment", "rosterd-ha " + os.path.basename(self.tmp)]
        for port in (self.pg_port[n], self.rest_port[n]):
            for field in ("--dport", "--sport"):
                yield ["INPUT", "-i", "lo", "-p", "tcp", field, str(port)] + tag + \
                    ["-j", "DROP"]

    def blackhole(self, n):
        """Drops every packet to and from node n's PostgreSQL and REST
        ports: the node is unreachable, nothing is refused or closed."""
        self.blackholed = list(self.blackhole_rules(n))
        for rule in self.blackholed:
            r = subprocess.run(["iptables", "-I"] + rule, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise Fail(f"iptables -I {' '.join(rule)}: {r.stdout.strip()}")

    def unblackhole(self):
        for rule in self.blackholed or []:
            subprocess.run(["iptables", "-D"] + rule, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        self.blackholed = None


def http_status(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def https_request(port, method, path, body=None, headers=None, timeout=30, source=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=TLS, timeout=timeout,
                                    source_address=(source, 0) if source else None)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def https_status(port, path):
    try:
        return https_request(port, "GET", path, timeout=5)[0]
    except OSError:
        return None


def admin_token(cl, sub):
    """A SystemAdmin HS256 token of the hosts' issuer, for a day."""
    now = int(time.time())
    return jwt.encode({"sub": sub, "roles": ["SystemAdmin"], "iat": now,
                       "exp": now + 86400, "iss": ISSUER, "aud": AUDIENCE,
                       "tid": cl.tenant},
                      open(os.path.join(cl.tmp, "jwt.secret")).read().strip(),
                      algorithm="HS256")


class Load:
    """Client threads creating users: `threads` through the web front and
    `direct` alternating between the hosts themselves (so that each host is
    seen to write again after a fault, whatever the front does). Each
    logical write has a username and an Idempotency-Key of its own; it is
    sent until it gets a 2xx, again with the same key after a 502, 503, 504
    or a connection error (a direct client on the other host). Every
    answer is recorded, by where it was sent: "front", or the host."""

    RETRY = {502, 503, 504}

    def __init__(self, cl, threads=THREADS, direct=DIRECT):
        self.cl = cl
        self.n = threads
        self.direct = direct
        self.lock = threading.Lock()
        self.answers = []       # (t_sent, t_answered, host, status or error text)
        self.acked = {}         # key -> (username, id)
        self.final_bad = []     # (key, host, status, body): no retry helps
        self.stop_ev = threading.Event()
        self.threads = []
        self.token = admin_token(cl, "ha-load")
        self.run = uuid.uuid4().hex[:8]

    def one_write(self, k, i, front=False):
        key = f"ha-{self.run}-{k}-{i}"
        name = f"ha{self.run}t{k}n{i}"
        body = json.dumps({"username": name, "email": f"{name}@example.com",
                           "firstName": "Ada", "lastName": "Lovelace"})
        hosts = self.cl.hosts
        attempt = 0
        while True:
            h = "front" if front else hosts[(k + i + attempt) % len(hosts)]
            attempt += 1
            t0 = time.monotonic()
            try:
                st, raw = https_request(self.cl.front_port if front else self.cl.https[h],
                                        "POST",
                                        f"/v1/tenants/{self.cl.tenant}/users", body,
                                        {"Authorization": "Bearer " + self.token,
                                         "Content-Type": "application/json",
                                         "Idempotency-Key": key}, timeout=60)
            except OSError as e:
                st, raw = f"{type(e).__name__}", b""
            t1 = time.monotonic()
            with self.lock:
                self.answers.append((t0, t1, h, st))
            if isinstance(st, int) and 200 <= st < 300:
                with self.lock:
                    self.acked[key] = (name, json.loads(raw)["id"])
                return
            if isinstance(st, int) and st not in self.RETRY and not (
                    st == 409 and b"in progress" in raw):
                with self.lock:
                    self.final_bad.append((key, h, st, raw[:300]))
                return
            time.sleep(0.05)    # a client's back-off, short: the test is slow enough

    def client(self, k, front):
        i = 0
        while not self.stop_ev.is_set():
            i += 1
            self.one_write(k, i, front)

    def start(self):
        for k in range(self.n + self.direct):
            t = threading.Thread(target=self.client, args=(k, k < self.n), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        """Stops the threads once their current logical write is done; a
        thread still running after the guard is a stuck request."""
        self.stop_ev.set()
        deadline = time.monotonic() + 120 * TIME_SCALE
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        stuck = [t for t in self.threads if t.is_alive()]
        if stuck:
            raise Fail(f"{len(stuck)} client threads still wait for an answer")

    def since(self, t):
        with self.lock:
            return [a for a in self.answers if a[0] >= t]

    def ok_streak_since(self, t):
        """The time after which every answer to a request sent after t was a
        2xx, for the front and each host, once each has CONSECUTIVE_OK of
        them; None before."""
        ans = sorted(self.since(t), key=lambda a: a[1])
        healed = {}
        for h in (["front"] if self.n else []) + (self.cl.hosts if self.direct else []):
            mine = [a for a in ans if a[2] == h]
            streak = 0
            start = None
            for a in mine:
                if isinstance(a[3], int) and 200 <= a[3] < 300:
                    if streak == 0:
                        start = a[0]
                    streak += 1
                else:
                    streak = 0
            if streak < CONSECUTIVE_OK:
                return None
            healed[h] = start
        return max(healed.values())


def count(answers, by_host=False):
    """{status: n}, or {(host, status): n}."""
    out = {}
    for a in answers:
        k = (a[2], a[3]) if by_host else a[3]
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


# --------------------------------------------------------------------------
# Scenarios: each injects its fault, waits for the cluster to act, and
# returns the time of the fault and a function that undoes what is left.


def sc_switchover(cl):
    old, target = cl.leader(), cl.sync_standby()
    t0 = time.monotonic()
    r = cl.patronictl("switchover", "--force", "--leader", old, "--candidate", target,
                      SCOPE)
    if r.returncode != 0:
        raise Fail(f"patronictl switchover: {r.stdout.strip()[-500:]}")
    wait_until(lambda: cl.leader() == target, 60, f"{target} leads after the switchover")
    return t0, old, None


def sc_kill(cl):
    old = cl.leader()
    pm = cl.postmaster_pid(old)
    t0 = time.monotonic()
    os.kill(pm, signal.SIGKILL)
    # Patroni either promotes the synchronous standby or, holding the
    # leader key still, restarts the killed node's PostgreSQL as primary.
    wait_until(lambda: (cl.leader() not in (None, old) or
                        (cl.leader() == old and cl.postmaster_pid(old) not in (None, pm))),
               90, "a leader runs again after the primary's postmaster was killed")
    same = cl.leader() == old
    log(f"kill: {cl.leader()} leads "
        f"({'the same node, PostgreSQL restarted' if same else 'failed over from ' + old})")
    return t0, None, None


def kill_node(cl, node, took_over, what):
    """kill -9 of node's Patroni and postmaster (the machine gone); waits
    until took_over(), then starts its Patroni again."""
    pm = cl.postmaster_pid(node)
    t0 = time.monotonic()
    cl.end(f"patroni-{node}", signal.SIGKILL)
    os.kill(pm, signal.SIGKILL)
    wait_until(took_over, 90, what)
    log(f"{what}: {time.monotonic() - t0:.1f} s after the kill")
    cl.start_patroni(node)
    return t0


def sc_kill_host(cl):
    old = cl.leader()
    return kill_node(cl, old, lambda: cl.leader(exclude=(old,)) not in (None, old) or None,
                     "another node leads"), old, None


def cont(pids):
    """Returns a function that sends SIGCONT to pids."""
    def undo():
        for p in pids:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
    return undo


def freeze(cl, whole_host):
    """SIGSTOP to the primary's postmaster and backends, and to its
    Patroni too when whole_host; returns once another node leads."""
    old = cl.leader()
    pids = ([cl.procs[f"patroni-{old}"].pid] if whole_host else []) + \
        cl.postgres_pids(old)
    t0 = time.monotonic()
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    undo = cont(pids)
    try:
        wait_until(lambda: cl.leader(exclude=(old,)) not in (None, old) or None, 90,
                   f"another node leads while the primary's "
                   f"{'host' if whole_host else 'PostgreSQL'} is frozen")
    except Fail:
        undo()
        raise
    return t0, old, undo


def sc_freeze_host(cl):
    return freeze(cl, True)


def sc_freeze(cl):
    return freeze(cl, False)


def sc_sync_lost(cl):
    sync = cl.sync_standby()
    return kill_node(cl, sync, lambda: cl.sync_standby(exclude=(sync,)) not in (None, sync)
                     or None, "another node is the synchronous standby"), sync, None


def sc_etcd(cl):
    t0 = time.monotonic()
    cl.end("etcd")
    cl.start_etcd()
    return t0, None, None


def sc_blackhole(cl):
    old = cl.leader()
    t0 = time.monotonic()
    cl.blackhole(old)
    try:
        wait_until(lambda: cl.leader(exclude=(old,)) not in (None, old) or None, 90,
                   "another node leads while the primary is black-holed")
        log(f"blackhole: {cl.leader(exclude=(old,))} leads "
            f"{time.monotonic() - t0:.1f} s after the drop")
    except Fail:
        cl.unblackhole()
        raise
    return t0, old, cl.unblackhole


SCENARIOS = {"switchover": sc_switchover, "kill": sc_kill, "freeze": sc_freeze,
             "freeze-host": sc_freeze_host, "kill-host": sc_kill_host,
             "sync-lost": sc_sync_lost, "etcd": sc_etcd, "blackhole": sc_blackhole}


def check_writes(cl, load):
    """Every acknowledged write is on the primary, with its id, once; no
    key has more than one row; no write ended on an answer a retry cannot
    fix."""
    if load.final_bad:
        raise Fail(f"{len(load.final_bad)} writes ended without a 2xx, first: "
                   f"{load.final_bad[:3]}")
    rows = cl.psql(f"SELECT username, id FROM users WHERE tenant_id = '{cl.tenant}' "
                   f"AND username LIKE 'ha{load.run}t%'")
    have = {}
    for line in rows.split("\n"):
        if line:
            u, i = line.split("|")
            have.setdefault(u, []).append(i)
    dup = {u: ids for u, ids in have.items() if len(ids) > 1}
    if dup:
        raise Fail(f"more than one row for a key: {list(dup.items())[:3]}")
    lost = [(k, u, i) for k, (u, i) in load.acked.items() if have.get(u) != [i]]
    if lost:
        raise Fail(f"{len(lost)} acknowledged writes are not on the primary, first: "
                   f"{lost[:3]}")
    return len(load.acked), len(have) - len(load.acked)


def check_hosts(cl, load):
    """Every host answers /healthz and takes a write on each worker."""
    for h in cl.hosts:
        st = https_status(cl.https[h], "/healthz")
        if st != 200:
            raise Fail(f"host {h}: /healthz {st}")
    probe = Load(cl, threads=0, direct=1)
    probe.run = load.run + "p"
    threads = [threading.Thread(target=probe.one_write, args=(k, 0)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * TIME_SCALE)
    if any(t.is_alive() for t in threads) or len(probe.acked) != 4 or probe.final_bad:
        raise Fail(f"writes after the scenario: {len(probe.acked)} of 4 acknowledged, "
                   f"{probe.final_bad[:2]}")


def run_scenario(cl, name):
    wait_until(cl.healthy, 180, lambda: f"before {name}: a leader, a sync standby and "
               f"three members streaming: {cl.members()}")
    # Without a synchronous standby "no acknowledged write lost" would
    # prove nothing: the primary itself must say it has one.
    sync = cl.psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")
    if sync.strip() != "1":
        raise Fail(f"before {name}: the primary has {sync.strip()} synchronous standbys")
    load = Load(cl)
    load.start()
    t_start = time.monotonic()
    undo = None
    try:
        wait_until(lambda: load.ok_streak_since(t_start), 60,
                   "writes succeed on both hosts before the fault")
        t0, victim, undo = SCENARIOS[name](cl)
        leader = cl.leader(exclude=(victim,) if victim else ())
        t_leader = time.monotonic() - t0
        # A fault with an undo (a frozen or unreachable node) lasts until
        # writes succeed again: no worker may wait on the old primary.
        healed = wait_until(lambda: load.ok_streak_since(t0), 180,
                            lambda: f"{name}: {CONSECUTIVE_OK} writes in a row succeed "
                            f"on every host again{' while the fault lasts' if undo else ''} "
                            f"(answers since the fault, by host and status: "
                            f"{count(load.since(t0), by_host=True)})")
    finally:
        if undo is not None:
            undo()
        load.stop()
    before = [a for a in load.answers if a[1] < t0]
    bad_before = [a for a in before if not (isinstance(a[3], int) and a[3] < 500)]
    window = [a for a in load.answers if a[0] >= t0 and a[1] <= healed + 1e-9 or
              (a[0] < t0 <= a[1])]
    if bad_before:
        raise Fail(f"5xx or errors before the fault: {count(bad_before)}")
    acked, phantoms = check_writes(cl, load)
    check_hosts(cl, load)
    wait_until(cl.healthy, 120, lambda: f"after {name}: every node back, a leader, a "
               f"sync standby, every replica streaming without lag: "
               f"{cl.patronictl('list').stdout}")
    rejoined = time.monotonic() - t0
    fails = {k: v for k, v in count(window).items() if not (isinstance(k, int) and k < 300)}
    longest = max((a[1] - a[0] for a in load.answers if a[1] >= t0), default=0)
    print(f"# {name}: writes all 2xx again {healed - t0:.1f} s after the fault (the "
          f"fault handled after {t_leader:.1f} s, leader {leader}); longest answer "
          f"{longest:.1f} s; {acked} writes acknowledged, 0 lost, "
          f"{phantoms} unacknowledged rows; failures in the window: {fails or 'none'}; "
          f"all three nodes streaming again {rejoined:.1f} s after the fault",
          flush=True)
    return healed - t0


# --------------------------------------------------------------------------
# The web front (HAProxy with docs/examples/ha/haproxy-web.cfg, checking
# each host's /readyz): a host that cannot serve writes is taken out, the
# clients going through the front see only 2xx once it is, and it is put
# back when it can again. Each waits for the front's own view (its stats
# socket), not for a time.


def web_allow(cl):
    """/readyz and /metrics: the front's address is let through by the
    hosts' sites and gets /metrics and /readyz's detail without the token
    (metrics_allow_from); another address is refused by nginx; loopback
    without the token gets /readyz's status only and a 401 for /metrics."""
    def get(h, path, source):
        st, raw = https_request(cl.https[h], "GET", path, timeout=10, source=source)
        return st, raw
    for h in cl.hosts:
        st, raw = get(h, "/readyz", FRONT_ADDR)
        body = json.loads(raw or b"{}")
        if st != 200 or body.get("writable") is not True:
            raise Fail(f"host {h}: /readyz from {FRONT_ADDR}: {st} {raw[:200]!r} (want 200 "
                       f"with the detail, writable true)")
        st, raw = get(h, "/metrics", FRONT_ADDR)
        if st != 200 or b"rosterd_" not in raw:
            raise Fail(f"host {h}: /metrics from {FRONT_ADDR} without the token: {st} "
                       f"{raw[:200]!r}")
        for path in ("/readyz", "/metrics"):
            st, raw = get(h, path, OTHER_ADDR)
            if st != 403:
                raise Fail(f"host {h}: {path} from {OTHER_ADDR}: {st} (want nginx's 403)")
        st, raw = get(h, "/metrics", "127.0.0.1")
        if st != 401:
            raise Fail(f"host {h}: /metrics from 127.0.0.1 without the token: {st} "
                       f"(want 401: not in metrics_allow_from)")
        st, raw = get(h, "/readyz", "127.0.0.1")
        if st != 200 or b"writable" in raw:
            raise Fail(f"host {h}: /readyz from 127.0.0.1 without the token: {st} "
                       f"{raw[:200]!r} (want 200 without the detail)")
    # Through the front (PROXY protocol), a host sees the client's own
    # address, not the front's: loopback may read /readyz, another
    # address may not.
    st, _ = https_request(cl.front_port, "GET", "/readyz", timeout=10, source="127.0.0.1")
    if st != 200:
        raise Fail(f"/readyz through the front from 127.0.0.1: {st} (want 200)")
    st, _ = https_request(cl.front_port, "GET", "/readyz", timeout=10, source=OTHER_ADDR)
    if st != 403:
        raise Fail(f"/readyz through the front from {OTHER_ADDR}: {st} (want 403: the "
                   f"host must see the client's address, not the front's)")
    print("# web-allow: /readyz and /metrics answer the front's address "
          f"({FRONT_ADDR}) with the detail, refuse {OTHER_ADDR}, and give loopback "
          "without the token the status only", flush=True)
    return 0.0


def web_fault_kill_nginx(cl, h):
    """Host h's nginx killed (SIGKILL to all its processes); returns the
    function that starts it again."""
    cl.end(f"nginx-{h}", signal.SIGKILL)
    return lambda: cl.start_nginx(h)


def web_fault_read_only(cl, h):
    """Host h's rosterd restarted with a read-only database session: it
    answers, its /readyz is 503; returns the function that restarts it
    with its usual session."""
    cl.read_only.add(h)
    cl.rosterd_conf(h)
    cl.end(f"rosterd-{h}")
    cl.start_rosterd(h)
    wait_until(lambda: https_status(cl.https[h], "/readyz") == 503, 60,
               f"host {h} with a read-only session answers /readyz 503")
    st, raw = https_request(cl.https[h], "GET", "/readyz", source=FRONT_ADDR)
    if json.loads(raw or b"{}").get("writable") is not False:
        raise Fail(f"host {h}: /readyz to the front: {st} {raw[:300]!r} (want writable "
                   f"false)")

    def undo():
        cl.read_only.discard(h)
        cl.rosterd_conf(h)
        cl.end(f"rosterd-{h}")
        cl.start_rosterd(h)
    return undo


WEB_FAULTS = {"web-host": web_fault_kill_nginx, "web-readonly": web_fault_read_only}


def run_web_scenario(cl, name):
    if name == "web-allow":
        return web_allow(cl)
    h = "b"
    wait_until(lambda: all(cl.front_status(x) == "UP" for x in cl.hosts), 60,
               lambda: f"before {name}: the front has every host up: {cl.front_view()}")
    load = Load(cl, direct=0)       # through the front only
    load.start()
    t_start = time.monotonic()
    undo = None
    try:
        wait_until(lambda: load.ok_streak_since(t_start), 60,
                   "writes through the front succeed before the fault")
        t0 = time.monotonic()
        undo = WEB_FAULTS[name](cl, h)
        wait_until(lambda: cl.front_status(h).startswith("DOWN"), 60,
                   lambda: f"{name}: the front takes host {h} out: {cl.front_view()}")
        t_out = time.monotonic()
        # every request sent once the front has taken it out is a 2xx
        wait_until(lambda: load.ok_streak_since(t_out), 60,
                   lambda: f"{name}: {CONSECUTIVE_OK} writes through the front succeed "
                   f"with host {h} out: {count(load.since(t_out))}")
        after = [a for a in load.since(t_out)]
        bad_out = [a for a in after if not (isinstance(a[3], int) and 200 <= a[3] < 300)]
        if bad_out:
            raise Fail(f"{name}: answers other than 2xx with host {h} out of the front: "
                       f"{count(bad_out)}")
        fix, undo = undo, None
        fix()
        t_fix = time.monotonic()
        wait_until(lambda: cl.front_status(h) == "UP", 60,
                   lambda: f"{name}: the front puts host {h} back: {cl.front_view()}")
        t_back = time.monotonic()
        stot = cl.front_view()[h][1]
        wait_until(lambda: cl.front_view().get(h, (None, 0))[1] > stot, 60,
                   lambda: f"{name}: the front sends host {h} connections again")
    finally:
        if undo is not None:
            undo()
        load.stop()
    before = [a for a in load.answers if a[1] < t0]
    bad_before = [a for a in before if not (isinstance(a[3], int) and a[3] < 500)]
    if bad_before:
        raise Fail(f"5xx or errors before the fault: {count(bad_before)}")
    window = [a for a in load.answers if a[1] >= t0 and a[0] < t_out]
    acked, phantoms = check_writes(cl, load)
    check_hosts(cl, load)
    fails = {k: v for k, v in count(window).items() if not (isinstance(k, int) and k < 300)}
    print(f"# {name}: host {h} out of the front {t_out - t0:.1f} s after the fault, "
          f"back in {t_back - t_fix:.1f} s after the repair and sent connections again; "
          f"{len(after)} answers with it out, all 2xx; retried failures before it was "
          f"out: {fails or 'none'}; {acked} writes acknowledged, 0 lost, {phantoms} "
          f"unacknowledged rows", flush=True)
    return t_out - t0


# --bench: the /v1 create through host a (nginx, rosterd, HAProxy, the
# primary with its synchronous standby) with wrk, against pgbench running
# the same statement (its text from `rosterctl statements`) through
# HAProxy's write port, the same number of clients, in the same cluster.
BENCH_LUA = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
local n = 0
local path = os.getenv("HA_BENCH_PATH")
local run = os.getenv("HA_BENCH_RUN")
local headers = {["Authorization"] = "Bearer " .. os.getenv("HA_BENCH_TOKEN"),
                 ["Content-Type"] = "application/json"}
request = function()
  n = n + 1
  local name = "hb" .. run .. "t" .. tid .. "n" .. n
  return wrk.format("POST", path, headers, '{"username":"' .. name ..
    '","email":"' .. name .. '@example.com","firstName":"Ada","lastName":"Lovelace"}')
end
"""


BENCH_WORKERS = 8


def bench_create(cl, secs, conns):
    """req/s of the create through host a, and pgbench's tps on its
    statement through HAProxy; prints the row."""
    run = uuid.uuid4().hex[:8]
    lua = cl.write("bench.lua", BENCH_LUA)
    env = dict(os.environ, HA_BENCH_PATH=f"/v1/tenants/{cl.tenant}/users",
               HA_BENCH_RUN=run, HA_BENCH_TOKEN=admin_token(cl, "ha-bench"))
    r = subprocess.run(["wrk", "-t", "2", "-c", str(conns), "-d", f"{secs}s",
                        "--timeout", "30s", "-s", lua, f"https://127.0.0.1:{cl.https['a']}/"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=secs * 4 + 120)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", r.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    if r.returncode != 0 or rps is None:
        raise Fail(f"wrk: {r.stdout[-1500:]}")
    sql = cl.rosterctl("statements", "user_create_v1")
    subst = {"1": ":tenant", "2": "('{\"username\":\"pb" + run + "' || :u || "
             "'\",\"email\":\"pb" + run + "' || :u || '@example.com\",\"firstName\":"
             "\"Ada\",\"lastName\":\"Lovelace\"}')", "3": ":actor", "4": ":rid"}
    body = re.sub(r"\$(\d+)(?!\d)", lambda m: subst[m.group(1)], sql)
    script = cl.write("bench-user_create_v1.sql", "\\set n :n + 1\n"
                      "\\set u :client_id * 100000000 + :n\n" + body + ";\n")
    p = subprocess.run([f"{PG_BIN}/pgbench", "-n", "-M", "prepared", "-c", str(conns),
                        "-j", "2", "-T", str(secs), "-f", script, "-D", "n=0",
                        "-D", f"tenant={cl.tenant}", "-D", "actor=bench",
                        "-D", "rid=bench", "-h", "127.0.0.1", "-p", str(cl.haproxy_port),
                        "-U", "rosterd", "rosterd"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=secs * 4 + 120)
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
    if p.returncode != 0 or tps is None or (failed and int(failed.group(1))):
        raise Fail(f"pgbench: {p.stdout[-1500:]}")
    rps, tps = float(rps.group(1)), float(tps.group(1))
    print(f"# bench: create_v1_user_ha c={conns} ({cl.workers} workers a host): {rps:.1f} req/s "
          f"({int(non2xx.group(1)) if non2xx else 0} non-2xx) through host a, HAProxy and "
          f"the synchronous primary; pgbench -M prepared user_create_v1 through HAProxy "
          f"{tps:.1f} tps; ratio {rps / tps:.3f}", flush=True)
    return {"conns": conns, "rps": rps, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "pgbench_tps": tps, "ratio": rps / tps}


def main(argv):
    build = os.path.abspath(argv[0])
    args = argv[1:]
    full = "--full" in args
    multihost = "--multihost" in args
    dcs = "etcd3" if "--etcd3" in args else "etcd"
    bench = 0
    if "--bench" in args:
        i = args.index("--bench")
        if i + 1 >= len(args) or not args[i + 1].isdigit() or int(args[i + 1]) < 1:
            print("ha: --bench wants a number of seconds", file=sys.stderr)
            return 2
        bench = int(args[i + 1])
        del args[i:i + 2]
    names = [a for a in args if not a.startswith("--")]
    bad = [a for a in args if a.startswith("--") and
           a not in ("--full", "--multihost", "--etcd3")]
    unknown = [n for n in names if n not in SCENARIOS and n not in WEB]
    if bad or unknown:
        print(f"ha: unknown {bad + unknown} (scenarios: {' '.join(ALL)})", file=sys.stderr)
        return 2
    names = names or (ALL if full else SHORT)
    skipped = 0
    if "blackhole" in names and (os.geteuid() != 0 or not shutil.which("iptables")):
        print("ok - blackhole # SKIP needs root and iptables")
        names.remove("blackhole")
        skipped += 1
    passed = failed = 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {"bench": [], "recovery_s": {}}
    cl = Cluster(build, multihost, dcs)
    if bench:
        cl.workers = BENCH_WORKERS
    try:
        try:
            cl.start()
            print("ok - setup")
            passed += 1
        except Exception as e:  # noqa: BLE001 - reported as the failure
            print(f"not ok - setup: {e}")
            traceback.print_exc()
            failed += 1
            names = []
            bench = 0
        for conns in (16, 64) if bench else ():
            try:
                results["bench"].append(bench_create(cl, bench, conns))
                print(f"ok - bench create at {conns} connections")
                passed += 1
            except Exception as e:  # noqa: BLE001 - reported as the failure
                print(f"not ok - bench create at {conns} connections: {e}")
                failed += 1
        for n in names:
            try:
                results["recovery_s"][n] = round(
                    (run_web_scenario if n in WEB else run_scenario)(cl, n), 2)
                print(f"ok - {n}")
                passed += 1
            except Exception as e:  # noqa: BLE001 - reported as the failure
                print(f"not ok - {n}: {e}")
                if not isinstance(e, Fail):
                    traceback.print_exc()
                failed += 1
    except KeyboardInterrupt:
        print("not ok - interrupted")
        failed += 1
    finally:
        cl.stop()
    if bench and os.environ.get("HA_BENCH_JSON"):
        with open(os.environ["HA_BENCH_JSON"], "w") as f:
            json.dump(results, f, indent=1)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
