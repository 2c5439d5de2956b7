/* Exactly one answer on stdout (mesos_reply.h). */
#include "mesos_reply.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int reply_fd = -1;
/* Set before the first byte goes out, so that a crash while writing does not
 * add a second object after a partial first. */
static volatile sig_atomic_t answered;

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Async-signal-safe: a fixed text with the signal number put in by hand. */
static void on_fatal_signal(int sig)
{
	if (!answered && reply_fd >= 0) {
		char msg[] = "{\"error\":\"calico_mesos crashed (signal 00)\"}\n";
		char *d = strstr(msg, "00");
		d[0] = (char)('0' + (sig / 10) % 10);
		d[1] = (char)('0' + sig % 10);
		answered = 1;
		write_all(reply_fd, msg, strlen(msg));
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	if (!answered)
		mesos_reply_error("calico_mesos exited without an answer");
}

void mesos_reply_install(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	reply_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	/* Whatever else writes to fd 1 (a library, a stray printf) lands in the log. */
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0 && null != STDOUT_FILENO) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction sa = { .sa_handler = on_fatal_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(fatal[i], &sa, NULL);
	}
	/* A caller that stopped reading must not kill us halfway through a change. */
	signal(SIGPIPE, SIG_IGN);
	atexit(at_exit);
}

int mesos_reply_send(json_t *obj)
{
	int rc = -ENOMEM;
	char *text = NULL;

	if (answered) {
		json_decref(obj);
		return 0;
	}
	if (obj && !json_object_get(obj, "error") && json_object_set_new(obj, "error", json_null()) < 0)
		goto out;
	if (!obj || !(text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		goto out;
	answered = 1;
	rc = write_all(reply_fd, text, strlen(text));
	if (rc == 0)
		rc = write_all(reply_fd, "\n", 1);
out:
	free(text);
	json_decref(obj);
	if (rc == -ENOMEM && !answered) {
		static const char oom[] = "{\"error\":\"calico_mesos: out of memory\"}\n";
		answered = 1;
		rc = write_all(reply_fd, oom, sizeof(oom) - 1);
	}
	return rc;
}

int mesos_reply_error(const char *msg)
{
	json_t *s = json_string(msg);
	if (!s) { /* not UTF-8 (a message that quotes cut input) */
		char *clean = strdup(msg);
		for (char *p = clean; p && *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		s = clean ? json_string(clean) : NULL;
		free(clean);
	}
	json_t *o = json_object();
	if (!o || !s) {
		json_decref(o);
		json_decref(s);
		return mesos_reply_send(NULL); /* answers "out of memory" */
	}
	if (json_object_set_new(o, "error", s) < 0) { /* s is taken either way */
		json_decref(o);
		return mesos_reply_send(NULL);
	}
	return mesos_reply_send(o);
}
