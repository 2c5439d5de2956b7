/* mesos_caller: calls a net-modules hook the way Mesos' net-modules isolator
 * does, for the lab tests and the benchmark (no Mesos agent runs here).
 *
 *   mesos_caller [-e] HOOK REQUEST     REQUEST: the JSON text for the hook's stdin
 *
 * One fork/exec per request, the request on the hook's stdin (then EOF), only
 * its stdout read, its exit status ignored (the isolator does not look at
 * it); its stderr passes through. The answer must be exactly one JSON object
 * (whitespace around it allowed) with an "error" member, as the isolator
 * parses it. Prints the object (compact) or, with -e, only its "error": the
 * string, or "null".
 * Exit 0 = a well-formed answer, 3 = the hook broke the protocol (why on
 * stderr), 2 = usage or a failure of this tool. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Runs hook with request on its stdin; its stdout in *out (malloc'd). */
static int call_hook(const char *hook, const char *request, char **out)
{
	int in[2], res[2];
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(res[1], STDOUT_FILENO);
		execl(hook, hook, (char *)NULL);
		fprintf(stderr, "mesos_caller: cannot run %s: %s\n", hook, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	/* A hook that exits without reading must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	write_all(in[1], request, strlen(request));
	close(in[1]);
	if (!(buf = malloc(cap)))
		return -ENOMEM;
	for (;;) {
		if (len + 1 == cap) {
			char *grown = realloc(buf, cap *= 2);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		ssize_t r = read(res[0], buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(res[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) /* status ignored, as the isolator does */
		;
	*out = buf;
	return 0;
}

int main(int argc, char **argv)
{
	bool only_error = argc > 1 && strcmp(argv[1], "-e") == 0;
	json_error_t jerr;
	json_t *reply = NULL;
	char *out = NULL, *text = NULL;
	int rc = 2;

	if (argc != 3 + only_error) {
		fprintf(stderr, "usage: mesos_caller [-e] HOOK REQUEST\n");
		return 2;
	}
	if (call_hook(argv[1 + only_error], argv[2 + only_error], &out) < 0) {
		fprintf(stderr, "mesos_caller: cannot call the hook: %s\n", strerror(errno));
		return 2;
	}
	/* json_loads refuses text after the first value: one object exactly. */
	if (!(reply = json_loads(out, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object(reply)) {
		fprintf(stderr, "mesos_caller: stdout is not exactly one JSON object (%s): '%s'\n",
			reply ? "not an object" : jerr.text, out);
		rc = 3;
		goto done;
	}
	json_t *error = json_object_get(reply, "error");
	if (!error || !(json_is_null(error) || json_is_string(error))) {
		fprintf(stderr, "mesos_caller: the answer has no \"error\" string or null: '%s'\n", out);
		rc = 3;
		goto done;
	}
	if (only_error)
		printf("%s\n", json_is_null(error) ? "null" : json_string_value(error));
	else if ((text = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		printf("%s\n", text);
	rc = 0;
done:
	free(text);
	free(out);
	json_decref(reply);
	return rc;
}
