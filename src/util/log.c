/*
 * log.c: one JSON object per line on stderr, for journald or whatever
 * collects the workers' output:
 *
 *	{"time":"2026-11-23T12:34:56.789Z","level":"info",
 *	 "process":"worker","pid":42,"msg":"..."}
 *
 * Every line leaves in a single write(2), so that lines from the
 * supervisor and its workers sharing one stderr do not interleave
 * (POSIX guarantees this for pipes up to PIPE_BUF bytes).  All text
 * that did not come from this file goes through buf_put_json_escaped(),
 * so a line is valid JSON whatever bytes a message carries.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

#define LOG_PROCESS_MAX	64	/* bytes kept of the role name, with NUL */

static const char *const log_level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};
_Static_assert(RS_ARRAY_LEN(log_level_names) == LOG_LVL__MAX,
    "log_level_names");

/* Per-process settings, made at start-up and after fork. */
static enum log_level	log_max_level = LOG_LVL_INFO;
static char		log_process[LOG_PROCESS_MAX] = "rosterd";

/*
 * Sets the most verbose level that is still written; messages of a
 * higher level are dropped.  The default is LOG_LVL_INFO.  Out of
 * range values are ignored.
 */
void
log_set_level(enum log_level lvl)
{
	if ((unsigned int)lvl < LOG_LVL__MAX)
		log_max_level = lvl;
}

static long log_cached_pid;

/*
 * The process id for log lines, read once per process: getpid(2) is a
 * system call (glibc stopped caching it), and workers log every request.
 * log_set_process(), which every process calls after fork(), reads it.
 */
long
log_pid(void)
{
	if (log_cached_pid == 0)
		log_cached_pid = (long)getpid();
	return log_cached_pid;
}

/*
 * Sets the "process" field of later lines (e.g. "supervisor",
 * "worker"); the string is copied, truncated to 63 bytes.  NULL or ""
 * restores the default, "rosterd".  Call it first thing after fork().
 */
void
log_set_process(const char *role)
{
	size_t	 n;

	log_cached_pid = (long)getpid();
	if (role == NULL || *role == '\0')
		role = "rosterd";
	n = strnlen(role, sizeof(log_process) - 1);
	memcpy(log_process, role, n);
	log_process[n] = '\0';
}

/*
 * Parses a level name: "error", "warn" or "warning", "info", "debug",
 * in any case.  Returns 0 and sets *out, or returns -1 and leaves *out
 * alone when s is NULL or not a level name.
 */
int
log_level_parse(const char *s, enum log_level *out)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	for (i = 0; i < RS_ARRAY_LEN(log_level_names); i++)
		if (strcasecmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

/*
 * Writes all of p[0..n) to stderr, normally in one write(2); a short
 * write (possible only beyond PIPE_BUF) is completed.  Errors are
 * ignored: there is nowhere left to report them.
 */
static void
log_write(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Formats a message as by printf(3) and, unless lvl is above the level
 * set with log_set_level(), writes it as one JSON line on stderr with
 * the time, level, process role and pid.  Preserves errno, so callers
 * may log before inspecting it.  An out of range lvl is logged as an
 * error.
 */
void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	struct buf	 msg, line;
	va_list		 ap;
	char		 ts[32];
	int		 saved_errno = errno;

	if ((unsigned int)lvl >= LOG_LVL__MAX)
		lvl = LOG_LVL_ERROR;
	if (lvl > log_max_level)
		return;
	buf_init(&msg, NULL);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);

	buf_init(&line, NULL);
	time_rfc3339(time_now_ms(), ts);
	buf_printf(&line, "{\"time\":\"%s\",\"level\":\"%s\",\"process\":\"",
	    ts, log_level_names[lvl]);
	buf_put_json_escaped(&line, log_process, strlen(log_process));
	buf_printf(&line, "\",\"pid\":%ld,\"msg\":\"", log_pid());
	buf_put_json_escaped(&line, msg.p, msg.len);
	buf_puts(&line, "\"}\n");
	if (!line.failed)
		log_write(line.p, line.len);
	buf_release(&line);
	buf_release(&msg);
	errno = saved_errno;
}

/*
 * Writes json[0..len), a complete JSON object prepared by the caller
 * (e.g. an access-log record), followed by a newline, as one line on
 * stderr in a single write(2).  The caller owns json and is
 * responsible for it being valid JSON.  Preserves errno.
 */
void
log_line(const char *json, size_t len)
{
	struct buf	 line;
	int		 saved_errno = errno;

	buf_init(&line, NULL);
	buf_put(&line, json, len);
	buf_putc(&line, '\n');
	if (!line.failed)
		log_write(line.p, line.len);
	buf_release(&line);
	errno = saved_errno;
}
