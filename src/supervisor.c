/*
 * supervisor.c: the master process.  It owns the listening socket and
 * the configuration, keeps `workers` worker processes alive, drains
 * them on SIGTERM and replaces them on SIGHUP.  When issuers' keys come
 * from the network it also keeps the key fetcher (auth/jwks.c) running:
 * restarted with a backoff when it dies, replaced on SIGHUP, stopped
 * with the workers.  With import_jobs on it keeps the import job runner
 * (jobs.c) running the same way: restarted when it dies (after a second,
 * so that one failing at start does not spin), replaced on SIGHUP,
 * stopped with the workers (it ends the batch in flight first).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "auth/jwks.h"

#define MAX_WORKERS 1024
#define FETCHER_BACKOFF_MAX	60	/* seconds between fetcher restarts */
#define FETCHER_STABLE		60	/* a run this long resets the backoff */

struct master {
	struct config	 cfg;
	int		 lfd;
	int		 sfd;		/* signalfd */
	pid_t		 pids[MAX_WORKERS];
	long		 n;		/* slots in use */
	char		*unix_path;	/* socket we created, to unlink */
	int		 draining;	/* SIGTERM seen: replace nobody */
	pid_t		 fetcher;	/* the key fetcher, 0: none running */
	int64_t		 fetcher_since;	/* its start, monotonic us */
	int64_t		 fetcher_due;	/* restart it then; 0: not wanted */
	long		 fetcher_backoff;	/* seconds before the next restart */
	pid_t		 runner;	/* the import job runner, 0: none */
	int64_t		 runner_due;	/* start it then; 0: not wanted */
	int64_t		 respawn_due;	/* next try at a failed fork's slot */
};

static int
open_unix(const char *path, long mode, long backlog, char *err, size_t errsz)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errsz, "listen: socket path too long");
		return -1;
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);	/* a stale socket from an earlier run */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, (mode_t)mode) != 0 || listen(fd, (int)backlog) != 0) {
		snprintf(err, errsz, "listen: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
open_tcp(const char *spec, long backlog, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':');
	size_t len;
	int fd = -1, one = 1, rc;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(err, errsz, "listen: expected host:port in \"%s\"",
		    spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);	/* "[::1]:8080" */
		host[len - 2] = '\0';
	}
	/*
	 * No address (":8080"): the loopback interface only.  Every
	 * interface has to be asked for ("0.0.0.0:8080", "[::]:8080").
	 */
	if (host[0] == '\0')
		strcpy(host, "127.0.0.1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsz, "listen: \"%s\": %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, (int)backlog) != 0) {
		snprintf(err, errsz, "listen: %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * Opens the socket named by cfg->listen: "fd:N" (inherited, as from
 * spawn-fcgi or systemd), "host:port" (numeric host, IPv6 in brackets;
 * an empty host is 127.0.0.1), or a unix socket path (with an optional
 * "unix:" prefix).  The socket is made non-blocking (see
 * worker_run).  Returns the descriptor, or -1 with err set.
 */
int
listen_open(const struct config *cfg, char *err, size_t errsz)
{
	const char *l = cfg->listen;
	struct stat st;
	int fd;

	if (strncmp(l, "fd:", 3) == 0) {
		fd = atoi(l + 3);
		if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
			snprintf(err, errsz, "listen: fd %d is not a socket",
			    fd);
			return -1;
		}
	} else if (strncmp(l, "unix:", 5) == 0 || l[0] == '/') {
		fd = open_unix(l[0] == '/' ? l : l + 5, cfg->listen_mode,
		    cfg->listen_backlog, err, errsz);
	} else {
		fd = open_tcp(l, cfg->listen_backlog, err, errsz);
	}
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		snprintf(err, errsz, "listen: %s", strerror(errno));
		return -1;
	}
	return fd;
}

static pid_t
spawn(struct master *m)
{
	sigset_t all;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		log_error("cannot fork a worker: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	close(m->sfd);
	/* SIGTERM, SIGINT and SIGHUP stay blocked until the worker has
	 * its handlers (worker_run lets SIGTERM in only while it waits) */
	sigemptyset(&all);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGHUP);
	sigprocmask(SIG_SETMASK, &all, NULL);
	log_set_process("worker");
	worker_run(&m->cfg, m->lfd);
}

/* Starts the import job runner when import_jobs is on. */
static void
runner_start(struct master *m)
{
	pid_t pid;

	m->runner_due = 0;
	if (!m->cfg.import_jobs || m->draining)
		return;
	if ((pid = fork()) < 0) {
		log_error("cannot fork the import job runner: %s",
		    strerror(errno));
		m->runner_due = time_mono_us() + 1000000LL;
		return;
	}
	if (pid > 0) {
		m->runner = pid;
		return;
	}
	close(m->sfd);
	close(m->lfd);
	log_set_process("jobs");
	jobs_run(&m->cfg);
}

static void
runner_tick(struct master *m)
{
	if (m->runner == 0 && m->runner_due != 0 && !m->draining &&
	    time_mono_us() >= m->runner_due)
		runner_start(m);
}

/* Stops the runner (SIGTERM), adding it to stop[*n] for wait_for(). */
static void
runner_stop(struct master *m, pid_t *stop, long *n)
{
	m->runner_due = 0;
	if (m->runner <= 0)
		return;
	kill(m->runner, SIGTERM);
	stop[(*n)++] = m->runner;
	m->runner = 0;
}

/*
 * The issuers whose keys the fetcher keeps current, and the directory
 * it keeps them in.  Returns how many there are.
 */
static size_t
fetcher_sources(const struct config *cfg, const struct jwks_source **srcs,
    const char **state_dir)
{
	*srcs = cfg->jwks_sources;
	*state_dir = cfg->state_dir;
	return cfg->njwks_sources;
}

/*
 * In the fetcher, first thing: it talks to the network, so it drops
 * the master's configuration, the database password and key secrets
 * with it (config_free wipes the secrets).
 */
static void
fetcher_child(void *arg)
{
	struct master *m = arg;
	char **e, name[256];
	size_t n;

	config_free(&m->cfg);
	/*
	 * The environment's database credentials too: libpq's PG* variables
	 * and the ROSTERD_*CONNINFO overrides, their values wiped.
	 */
	for (e = environ; *e != NULL; ) {
		char *was = *e;

		n = strcspn(was, "=");
		if (was[n] == '=' && n < sizeof(name) &&
		    (strncmp(was, "PG", 2) == 0 ||
		    (strncmp(was, "ROSTERD_", 8) == 0 && n >= 16 &&
		    strncmp(was + n - 8, "CONNINFO", 8) == 0))) {
			memcpy(name, was, n);
			name[n] = '\0';
			explicit_bzero(was + n + 1, strlen(was + n + 1));
			unsetenv(name);
			if (*e != was)
				continue;	/* *e is the next entry now */
		}
		e++;
	}
	free(m->unix_path);
	m->unix_path = NULL;
}

/* Starts the key fetcher of m->cfg's remote sources, if it has any. */
static void
fetcher_start(struct master *m)
{
	const struct jwks_source *srcs;
	const char *state_dir;
	size_t n;
	pid_t pid;

	m->fetcher_due = 0;
	if ((n = fetcher_sources(&m->cfg, &srcs, &state_dir)) == 0)
		return;
	pid = jwks_fetcher_spawn(srcs, n, state_dir, fetcher_child, m);
	m->fetcher_since = time_mono_us();
	if (pid > 0) {
		m->fetcher = pid;
		return;
	}
	m->fetcher_due = m->fetcher_since + m->fetcher_backoff * 1000000LL;
	m->fetcher_backoff = m->fetcher_backoff * 2 > FETCHER_BACKOFF_MAX ?
	    FETCHER_BACKOFF_MAX : m->fetcher_backoff * 2;
}

/*
 * The fetcher died unasked: restarted after a backoff (1 s doubling to
 * FETCHER_BACKOFF_MAX, back to 1 s after a run of FETCHER_STABLE s), so
 * a fetcher that cannot start does not spin.
 */
static void
fetcher_died(struct master *m, int status)
{
	int64_t now = time_mono_us();

	m->fetcher = 0;
	if (now - m->fetcher_since >= FETCHER_STABLE * 1000000LL)
		m->fetcher_backoff = 1;
	if (WIFSIGNALED(status))
		log_warn("key fetcher killed by signal %d; restarting it in "
		    "%ld s", WTERMSIG(status), m->fetcher_backoff);
	else
		log_warn("key fetcher exited with status %d; restarting it in "
		    "%ld s", WEXITSTATUS(status), m->fetcher_backoff);
	m->fetcher_due = now + m->fetcher_backoff * 1000000LL;
	m->fetcher_backoff = m->fetcher_backoff * 2 > FETCHER_BACKOFF_MAX ?
	    FETCHER_BACKOFF_MAX : m->fetcher_backoff * 2;
}

/*
 * Forks again, once a second at most, the workers whose fork failed
 * (their slot holds -1): a fork that failed once (EAGAIN, ENOMEM) does
 * not leave a worker fewer until the next reload.
 */
static void
workers_tick(struct master *m)
{
	int64_t now = time_mono_us();
	long i;

	if (m->draining || now < m->respawn_due)
		return;
	for (i = 0; i < m->n; i++)
		if (m->pids[i] < 0 && (m->pids[i] = spawn(m)) < 0)
			m->respawn_due = now + 1000000LL;
}

/* Restarts the fetcher when its backoff is over. */
static void
fetcher_tick(struct master *m)
{
	if (m->fetcher == 0 && m->fetcher_due != 0 && !m->draining &&
	    time_mono_us() >= m->fetcher_due)
		fetcher_start(m);
}

/*
 * Stops the running fetcher (SIGTERM) and forgets it: adds its pid to
 * stop[*n] for wait_for().
 */
static void
fetcher_stop(struct master *m, pid_t *stop, long *n)
{
	m->fetcher_due = 0;
	if (m->fetcher <= 0)
		return;
	kill(m->fetcher, SIGTERM);
	stop[(*n)++] = m->fetcher;
	m->fetcher = 0;
}

static int
slot_of(const struct master *m, pid_t pid)
{
	long i;

	for (i = 0; i < m->n; i++)
		if (m->pids[i] == pid)
			return (int)i;
	return -1;
}

/*
 * Reaps dead children; a worker that died unasked is replaced at once.
 * A pid in waited[0..nwaited) is one being stopped: it is set to 0.
 */
static void
reap(struct master *m, pid_t *waited, long nwaited)
{
	pid_t pid;
	int status, i;
	long j;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (j = 0; j < nwaited && waited[j] != pid; j++)
			;
		if (j < nwaited) {
			waited[j] = 0;
			continue;
		}
		if (pid == m->fetcher) {
			fetcher_died(m, status);
			continue;
		}
		if (pid == m->runner) {
			m->runner = 0;
			if (m->draining)
				continue;
			if (WIFSIGNALED(status))
				log_warn("import job runner killed by signal "
				    "%d; restarting it", WTERMSIG(status));
			else
				log_warn("import job runner exited with status "
				    "%d; restarting it", WEXITSTATUS(status));
			m->runner_due = time_mono_us() + 1000000LL;
			continue;
		}
		if ((i = slot_of(m, pid)) < 0)
			continue;
		if (m->draining) {
			m->pids[i] = 0;
			continue;
		}
		if (WIFSIGNALED(status))
			log_warn("worker %ld killed by signal %d; replacing it",
			    (long)pid, WTERMSIG(status));
		else
			log_warn("worker %ld exited with status %d; replacing "
			    "it", (long)pid, WEXITSTATUS(status));
		metrics_add(METRIC_WORKER_RESTART);
		m->pids[i] = spawn(m);
	}
}

/*
 * Waits for the workers pids[0..n) (stopped with SIGTERM) to exit,
 * reaping others meanwhile; kills those still there after
 * shutdown_timeout.  Sets each pid to 0.
 */
static void
wait_for(struct master *m, pid_t *pids, long n)
{
	long waited_ms = 0, limit = m->cfg.shutdown_timeout * 1000, j;

	for (;;) {
		reap(m, pids, n);
		for (j = 0; j < n && pids[j] <= 0; j++)
			;
		if (j == n)
			break;
		if (waited_ms >= limit) {
			for (; j < n; j++) {
				if (pids[j] <= 0)
					continue;
				log_warn("process %ld did not stop in time; "
				    "killing it", (long)pids[j]);
				kill(pids[j], SIGKILL);
			}
			limit += 5000;
		}
		usleep(10000);
		waited_ms += 10;
	}
}

/* SIGHUP: read the config again and replace the workers. */
static void
reload(struct master *m)
{
	pid_t olds[2 * MAX_WORKERS + 2];
	struct config ncfg;
	char err[512];
	long i, want, nold;

	if (config_load(m->cfg.path, &ncfg, err, sizeof(err)) != 0) {
		log_error("reload refused, keeping the running config: %s",
		    err);
		return;
	}
	if (strcmp(ncfg.listen, m->cfg.listen) != 0)
		log_warn("reload: a new \"listen\" takes effect at restart");
	config_free(&m->cfg);
	m->cfg = ncfg;
	log_set_level(m->cfg.log_lvl);
	want = config_workers(&m->cfg);
	if (want > MAX_WORKERS)
		want = MAX_WORKERS;
	/*
	 * Every new worker first (they serve at once), then the old ones
	 * are stopped together: an old worker goes on serving the FastCGI
	 * connections nginx keeps open to it until nginx closes them, a
	 * few seconds (worker.c), and one by one those seconds would add up.
	 */
	nold = 0;
	for (i = 0; i < m->n; i++)
		if (m->pids[i] > 0)
			olds[nold++] = m->pids[i];
	if (m->n > want)
		m->n = want;
	for (i = 0; i < m->n; i++)
		m->pids[i] = spawn(m);
	while (m->n < want)
		m->pids[m->n++] = spawn(m);
	for (i = 0; i < nold; i++)
		kill(olds[i], SIGTERM);
	/* the new sources' fetcher; the old one may still finish a write */
	fetcher_stop(m, olds, &nold);
	m->fetcher_backoff = 1;
	fetcher_start(m);
	/* the new runner takes over the job the old one leaves */
	runner_stop(m, olds, &nold);
	runner_start(m);
	metrics_add(METRIC_RELOAD);
	log_info("configuration reloaded; %ld workers (the %ld old ones finish "
	    "their requests and kept connections)", m->n, nold);
	wait_for(m, olds, nold);
	log_info("reload done: the old workers have stopped");
}

static void
drain(struct master *m)
{
	pid_t stop[MAX_WORKERS + 2];
	long i, n = 0;

	log_info("shutting down: draining %ld workers", m->n);
	m->draining = 1;
	for (i = 0; i < m->n; i++)
		if (m->pids[i] > 0) {
			kill(m->pids[i], SIGTERM);
			stop[n++] = m->pids[i];
			m->pids[i] = 0;
		}
	fetcher_stop(m, stop, &n);
	runner_stop(m, stop, &n);
	wait_for(m, stop, n);
}

static int
loop(struct master *m)
{
	struct signalfd_siginfo si;
	struct pollfd pfd;

	for (;;) {
		pfd.fd = m->sfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) <= 0) {
			reap(m, NULL, 0);
			workers_tick(m);
			fetcher_tick(m);
			runner_tick(m);
			continue;
		}
		if (read(m->sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(m, NULL, 0);
			workers_tick(m);
			fetcher_tick(m);
			runner_tick(m);
			break;
		case SIGHUP:
			reload(m);
			break;
		case SIGTERM:
		case SIGINT:
			drain(m);
			return 0;
		default:
			break;
		}
	}
}

/*
 * Runs the master.  See daemon.h.
 */
int
supervisor_run(const char *path)
{
	static struct master m;
	sigset_t set;
	char err[512];
	int rc;
	long i;

	log_set_process("master");
	if (config_load(path, &m.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "rosterd: %s\n", err);
		return 1;
	}
	log_set_level(m.cfg.log_lvl);
	if (m.cfg.jwt_nkeys == 0)
		log_warn("no jwt key configured: every authenticated request "
		    "will be refused");
	if ((m.lfd = listen_open(&m.cfg, err, sizeof(err))) < 0) {
		fprintf(stderr, "rosterd: %s\n", err);
		config_free(&m.cfg);
		return 1;
	}
	if (m.cfg.listen[0] == '/' || strncmp(m.cfg.listen, "unix:", 5) == 0)
		m.unix_path = xstrdup(m.cfg.listen[0] == '/' ? m.cfg.listen :
		    m.cfg.listen + 5);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m.sfd = signalfd(-1, &set, SFD_CLOEXEC);
	m.n = config_workers(&m.cfg);
	if (m.n > MAX_WORKERS)
		m.n = MAX_WORKERS;
	if (metrics_init() != 0)
		log_warn("no shared memory for /metrics: it will be empty");
	if (password_slots_init() != 0)
		log_warn("no hash slots: password hashing is not bounded");
	for (i = 0; i < m.n; i++)
		m.pids[i] = spawn(&m);
	m.fetcher_backoff = 1;
	fetcher_start(&m);
	runner_start(&m);
	log_info("rosterd started: %ld workers on %s", m.n, m.cfg.listen);
	rc = loop(&m);
	if (m.unix_path != NULL) {
		unlink(m.unix_path);
		free(m.unix_path);
	}
	close(m.lfd);
	config_free(&m.cfg);
	log_info("rosterd stopped");
	return rc;
}
