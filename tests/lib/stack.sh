# shellcheck shell=bash
# The pieces of a throwaway rosterd stack: PostgreSQL on a unix socket, a
# self-signed certificate, nginx serving the production site file
# nginx/rosterd.conf, and rosterd itself.
#
# Sourced by scripts/run and tests/http/run; defines functions only. Every
# start function has a stop function, and the callers trap EXIT to call them.
#
# PostgreSQL refuses to run as root: as root it runs as the unprivileged system
# user $STACK_PG_SYSUSER (created on first use), otherwise as the caller.

STACK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_PG_BIN=${STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
STACK_PG_SYSUSER=rosterd-pg
STACK_PYTHON=/usr/bin/python3	# the system one: it has python3-jwt

stack_die()
{
	echo "stack: $*" >&2
	exit 1
}

stack_log()
{
	echo "stack: $*" >&2
}

# Prints the user PostgreSQL runs as; as root, creates the system user first.
stack_pg_user()
{
	if ((EUID != 0)); then
		id -un
		return
	fi
	if ! getent passwd "$STACK_PG_SYSUSER" >/dev/null; then
		# Tolerate a concurrent creation; fail only if it is still missing.
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$STACK_PG_SYSUSER" 2>/dev/null ||
			getent passwd "$STACK_PG_SYSUSER" >/dev/null ||
			stack_die "cannot create system user $STACK_PG_SYSUSER"
	fi
	echo "$STACK_PG_SYSUSER"
}

# Runs a command as the PostgreSQL user, from / (its cwd may be unreadable).
stack_as_pg()
{
	if ((EUID == 0)); then
		(cd / && runuser -u "$STACK_PG_SYSUSER" -- "$@")
	else
		(cd / && "$@")
	fi
}

# stack_pg_init DIR PORT [SETTING...]
# Makes DIR a cluster home: DIR/data (initdb'd once, kept afterwards: UTF-8,
# byte order for sorting, and C.UTF-8's character classes, so that lower()
# folds every script as on a production cluster made in a UTF-8 locale) and the
# socket DIR/.s.PGSQL.PORT. No TCP listener. SETTINGs are extra
# postgresql.conf lines ("fsync = off"). Safe to repeat.
stack_pg_init()
{
	local dir=$1 port=$2 user
	shift 2
	user=$(stack_pg_user)
	mkdir -p "$dir"
	if ((EUID == 0)); then
		chown "$user:" "$dir"
		chmod 0700 "$dir"
	fi
	stack_as_pg test -w "$dir" -a -x "$dir" ||
		stack_die "$user cannot use $dir (is a parent directory closed to it?)"
	if [[ ! -f $dir/data/PG_VERSION ]]; then
		if ! stack_as_pg "$STACK_PG_BIN/initdb" -D "$dir/data" -U postgres \
			--auth=trust --encoding=UTF8 --lc-collate=C \
			--lc-ctype=C.UTF-8 --lc-messages=C --lc-monetary=C \
			--lc-numeric=C --lc-time=C \
			>"$dir/initdb.log" 2>&1; then
			cat "$dir/initdb.log" >&2
			stack_die "initdb failed"
		fi
		echo "include = 'stack.conf'" >>"$dir/data/postgresql.conf"
	fi
	# Rewritten on every init so that a moved directory still works.
	{
		echo "# written by tests/lib/stack.sh"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "port = $port"
		printf '%s\n' "$@"
	} >"$dir/data/stack.conf"
	((EUID != 0)) || chown "$user:" "$dir/data/stack.conf"
}

# stack_pg_running DIR: true when the cluster in DIR is up.
stack_pg_running()
{
	stack_as_pg "$STACK_PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# stack_pg_start DIR: starts the cluster (if it is not up) and waits for it.
stack_pg_start()
{
	local dir=$1
	stack_pg_running "$dir" && return 0
	if ! stack_as_pg "$STACK_PG_BIN/pg_ctl" -D "$dir/data" \
		-l "$dir/postgresql.log" -w -t 60 start >/dev/null; then
		tail -n 20 "$dir/postgresql.log" >&2 || true
		stack_die "PostgreSQL did not start (log: $dir/postgresql.log)"
	fi
}

# stack_pg_stop DIR: fast shutdown, if it is up.
# Returns when the postmaster is gone.
stack_pg_stop()
{
	local dir=$1 pid rc=0
	stack_pg_running "$dir" || return 0
	pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || true
	stack_as_pg "$STACK_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 120 \
		stop >/dev/null || rc=$?
	if [[ $pid =~ ^[0-9]+$ ]]; then
		stack_wait_gone "$pid" || rc=1
	fi
	return "$rc"
}

# stack_pg_psql DIR PORT [psql args...]: psql as the superuser.
stack_pg_psql()
{
	local dir=$1 port=$2
	shift 2
	"$STACK_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
		-h "$dir" -p "$port" -U postgres -d postgres "$@"
}

# stack_pg_create_db DIR PORT: role rosterd and database rosterd (its owner).
stack_pg_create_db()
{
	local dir=$1 port=$2
	if [[ -z $(stack_pg_psql "$dir" "$port" \
		-c "SELECT 1 FROM pg_roles WHERE rolname = 'rosterd'") ]]; then
		stack_pg_psql "$dir" "$port" -c "CREATE ROLE rosterd LOGIN"
	fi
	if [[ -z $(stack_pg_psql "$dir" "$port" \
		-c "SELECT 1 FROM pg_database WHERE datname = 'rosterd'") ]]; then
		stack_pg_psql "$dir" "$port" \
			-c "CREATE DATABASE rosterd OWNER rosterd"
	fi
}

# stack_tls_cert DIR DAYS: DIR/cert.pem and DIR/key.pem, self-signed for
# localhost and 127.0.0.1; kept while valid for another hour.
stack_tls_cert()
{
	local dir=$1 days=$2
	mkdir -p "$dir"
	if [[ -f $dir/cert.pem && -f $dir/key.pem ]] &&
		openssl x509 -in "$dir/cert.pem" -noout -checkend 3600 >/dev/null; then
		return 0
	fi
	(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days "$days" \
		-subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null) ||
		stack_die "openssl could not make a certificate"
}

# Prints a TCP port on 127.0.0.1 that is free right now and that no call of
# this function handed out in the last 10 minutes, on this machine: the
# ports given are kept, under a lock, in $TMPDIR/rosterd-stack-ports, so two
# calls (of one run or of two runs at once) never return the same port
# before its server has had the time to bind it.
stack_free_port()
{
	"$STACK_PYTHON" - <<'EOF'
import fcntl, os, socket, time

path = os.path.join(os.environ.get("TMPDIR") or "/tmp", "rosterd-stack-ports")
now, recent, fd = time.time(), {}, None
try:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    for line in os.read(fd, 1 << 20).decode(errors="replace").split():
        port, _, t = line.partition(":")
        if port.isdigit() and now - float(t or 0) < 600:
            recent[int(port)] = float(t)
except (OSError, ValueError):
    pass  # no record: the port is still free, only not remembered
for _ in range(1000):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if port not in recent:
        break
recent[port] = now
if fd is not None:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, "".join(f"{p}:{t:.0f}\n" for p, t in recent.items()).encode(), 0)
        os.fchmod(fd, 0o666)  # so that runs as root and as a user share it
    except OSError:
        pass
print(port)
EOF
}

# stack_nginx_conf DIR HTTPS_PORT HTTP_PORT SOCKET CERT KEY
# Writes DIR/nginx.conf: a minimal main config (pid, logs, temp paths in DIR)
# that includes DIR/rosterd.conf, a copy of nginx/rosterd.conf in which only
# the listen addresses, the certificate paths, the socket path, the access
# log's path, the console's directory (the tree's console/, when the tree
# has one) and settings file (DIR/console.json: none unless the caller
# writes it) and the upstream's keepalive_timeout differ.  A stopping
# rosterd worker serves the FastCGI connections nginx keeps until nginx
# closes them, idle ones after keepalive_timeout: 1 s instead of the
# shipped 5 s makes each of the tests' many stops and restarts 4 s
# shorter, and changes nothing else.  The package stage runs the shipped
# value.
stack_nginx_conf()
{
	local dir=$1 https=$2 http=$3 sock=$4 cert=$5 key=$6 s
	for s in "$dir" "$sock" "$cert" "$key"; do
		[[ $s != *[\|\&\\\ ]* ]] || stack_die "unusable path for sed: $s"
	done
	mkdir -p "$dir/tmp"
	# Relative includes resolve against the main config's directory.
	cp /etc/nginx/fastcgi_params "$dir/fastcgi_params"
	# The console's files: the tree's, or (a tree without them, as the
	# package stage's) the installed ones the production file names.
	local console=/usr/share/rosterd/console
	[[ ! -f $STACK_REPO/console/index.html ]] || console=$STACK_REPO/console
	[[ $console != *[\|\&\\\ ]* ]] || stack_die "unusable path for sed: $console"
	sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https ssl http2;|" \
		-e "s|alias /usr/share/rosterd/console/;|alias $console/;|" \
		-e "s|alias /etc/rosterd/console.json;|alias $dir/console.json;|" \
		-e "s|listen 80;|listen 127.0.0.1:$http;|" \
		-e '/listen \[::\]:/d' \
		-e "s|/etc/ssl/certs/rosterd.pem|$cert|" \
		-e "s|/etc/ssl/private/rosterd.key|$key|" \
		-e "s|unix:/run/rosterd/rosterd.sock|unix:$sock|" \
		-e "s|/var/log/nginx/rosterd.access.log|$dir/access.log|" \
		-e "s|^	keepalive_timeout 5s;|	keepalive_timeout 1s;|" \
		"$STACK_REPO/nginx/rosterd.conf" >"$dir/rosterd.conf"
	# If the production file changed shape, say so rather than test
	# something else.  A site file from before the console (an older
	# release's, in the package stage's upgrade) has no console lines.
	local want=("listen 127.0.0.1:$https ssl http2;" "listen 127.0.0.1:$http;"
		"$cert;" "$key;" "unix:$sock;" "	keepalive_timeout 1s;")
	if grep -qF 'location /console/' "$STACK_REPO/nginx/rosterd.conf"; then
		want+=("alias $console/;" "alias $dir/console.json;")
	fi
	for s in "${want[@]}"; do
		grep -qF -- "$s" "$dir/rosterd.conf" ||
			stack_die "nginx/rosterd.conf: no line to turn into '$s'"
	done
	if grep -nE 'listen +(443|80|\[)|/etc/ssl/|/run/rosterd/|/var/log/' \
		"$dir/rosterd.conf" >&2; then
		stack_die "nginx/rosterd.conf: lines above were not transformed"
	fi
	{
		((EUID != 0)) || echo "user root;	# workers must reach the socket"
		cat <<-EOF
		worker_processes 2;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		events {
			worker_connections 512;
		}
		http {
			access_log $dir/access.log;
			client_body_temp_path $dir/tmp/client_body;
			fastcgi_temp_path $dir/tmp/fastcgi;
			proxy_temp_path $dir/tmp/proxy;
			uwsgi_temp_path $dir/tmp/uwsgi;
			scgi_temp_path $dir/tmp/scgi;
			include $dir/rosterd.conf;
		}
		EOF
	} >"$dir/nginx.conf"
}

# stack_nginx_start DIR: checks and starts nginx (it daemonizes).
stack_nginx_start()
{
	local dir=$1
	local args=(-p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf")
	nginx "${args[@]}" -t -q || stack_die "nginx rejects $dir/nginx.conf"
	nginx "${args[@]}" || stack_die "nginx did not start (log: $dir/error.log)"
}

# stack_nginx_stop DIR: graceful stop; waits up to 30 s, then kills the
# master and its workers. Returns when they are gone (the ports are free).
stack_nginx_stop()
{
	local dir=$1 pid i
	local -a kids
	[[ -s $dir/nginx.pid ]] || return 0
	pid=$(<"$dir/nginx.pid")
	mapfile -t kids < <(pgrep -P "$pid" 2>/dev/null || true)
	kill -QUIT "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1 || true
	done
	if kill -0 "$pid" 2>/dev/null; then
		stack_log "nginx $pid did not quit; killing it"
		pkill -KILL -P "$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# the workers close their copies of the listening sockets last
	stack_wait_gone "$pid" "${kids[@]}"
}

# stack_wait_gone PID...: returns when none of the processes exists (or, as a
# guard against a hang, after 60 s, saying so).
stack_wait_gone()
{
	local i p left
	for ((i = 0; i < 600; i++)); do
		left=""
		for p; do
			kill -0 "$p" 2>/dev/null && left+=" $p"
		done
		[[ -z $left ]] && return 0
		sleep 0.1 || true
	done
	stack_log "processes$left are still there after 60 s"
	return 1
}

# stack_rosterd_start BIN CONF LOG: starts rosterd in the background with its
# output appended to LOG; sets STACK_ROSTERD_PID. rosterd runs in a session
# of its own (setsid, same pid), so that a terminal's Ctrl-C, sent to the
# caller's process group, reaches only the caller, whose trap stops rosterd
# in order.
stack_rosterd_start()
{
	local bin=$1 conf=$2 log=$3
	(
		trap '' INT QUIT
		exec setsid "$bin" -c "$conf" </dev/null >>"$log" 2>&1
	) &
	# shellcheck disable=SC2034 # the caller's result
	STACK_ROSTERD_PID=$!
}

# stack_rosterd_stop PID: SIGTERM, then waits up to 30 s; if it is still there,
# kills it and its workers. Returns rosterd's exit status once the master and
# its workers are gone.
stack_rosterd_stop()
{
	local pid=$1 i rc=0
	local -a kids
	mapfile -t kids < <(pgrep -P "$pid" 2>/dev/null || true)
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1 || true
	done
	if kill -0 "$pid" 2>/dev/null; then
		stack_log "rosterd $pid did not stop on SIGTERM; killing it"
		pkill -KILL -P "$pid" || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	stack_wait_gone "${kids[@]}" || true
	return "$rc"
}

# stack_wait_http URL SECONDS: waits until URL answers 200.
stack_wait_http()
{
	local url=$1 secs=$2 i
	for ((i = 0; i < secs * 5; i++)); do
		[[ $(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 \
			"$url" || true) == 200 ]] && return 0
		sleep 0.2
	done
	return 1
}
