/* calico_mesos: the Mesos net-modules hook (DESIGN §6). One process per
 * request: {"command": ..., "args": {...}} on stdin, exactly one JSON object
 * on stdout, logs on stderr. The exit status is 0 on success and 1 on error,
 * for people; the isolator reads only stdout. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore/datastore.h"
#include "util/log.h"
#include "mesos_commands.h"
#include "mesos_reply.h"
#include "mesos_request.h"

/* Requests are a few hundred bytes; a megabyte is a mistake or an attack. */
#define REQUEST_MAX (1 << 20)

static const mesos_command_fn commands[] = {
	[MESOS_ALLOCATE] = mesos_allocate, [MESOS_RESERVE] = mesos_reserve, [MESOS_RELEASE] = mesos_release,
	[MESOS_ISOLATE] = mesos_isolate,   [MESOS_CLEANUP] = mesos_cleanup,
};

/* All of stdin as a string (malloc'd). 0, -EFBIG or -errno. */
static int read_request(char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 == cap) {
			char *grown = cap >= REQUEST_MAX ? NULL : realloc(buf, cap * 2);
			if (!grown) {
				rc = cap >= REQUEST_MAX ? -EFBIG : -ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t r = read(STDIN_FILENO, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static void log_setup(void)
{
	enum log_level level = LOG_LVL_INFO;
	const char *env = getenv("CALICO_LOG_LEVEL");
	if (env && log_level_parse(env, &level) < 0)
		level = LOG_LVL_INFO;
	log_set_level(level);
}

int main(void)
{
	struct mesos_request req = { 0 };
	struct ds *ds = NULL;
	json_t *reply = NULL;
	char *text = NULL, err[1024] = "", dserr[512] = "";
	sigset_t stop, old;
	int rc;

	mesos_reply_install();
	log_setup();
	/* A request runs to its end once begun: SIGTERM or SIGINT from an
	 * impatient caller waits until the answer is out, so no half-made
	 * endpoint is left behind (SIGKILL still stops us, as it must). */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGQUIT);
	sigprocmask(SIG_BLOCK, &stop, &old);

	if ((rc = read_request(&text)) < 0) {
		if (rc == -EFBIG)
			snprintf(err, sizeof(err), "Request on stdin is larger than %d bytes", REQUEST_MAX);
		else
			snprintf(err, sizeof(err), "Cannot read the request on stdin: %s", strerror(-rc));
		goto out;
	}
	if ((rc = mesos_request_parse(text, &req, err, sizeof(err))) < 0)
		goto out;
	if ((rc = ds_open_env(&ds, dserr, sizeof(dserr))) < 0) {
		snprintf(err, sizeof(err), "Cannot open the datastore: %s", dserr);
		goto out;
	}
	log_info("calico_mesos: %s", mesos_command_name(req.command));
	rc = commands[req.command](ds, &req, &reply, err, sizeof(err));
out:
	if (rc < 0) {
		log_error("calico_mesos: %s: %s", req.root ? mesos_command_name(req.command) : "request", err);
		mesos_reply_error(err[0] ? err : strerror(-rc));
	} else {
		mesos_reply_send(reply ? reply : json_object());
	}
	ds_close(ds);
	mesos_request_free(&req);
	free(text);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc < 0 ? 1 : 0;
}
