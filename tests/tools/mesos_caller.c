/* mesos_caller: calls a net-modules hook the way Mesos' net-modules isolator
 * does, for the lab tests (no Mesos agent runs here).
 *
 *   mesos_caller [-e] [-r] HOOK REQUEST     REQUEST: the JSON text for the hook's stdin
 *
 * The request is first put in the shape Mesos gives it: the isolator writes
 * its protobuf messages with stout's JSON::protobuf, which leaves out every
 * repeated field that has no members, so each member of "args" whose value is
 * an empty list is removed ("ipv6_addrs": [] is never sent; an IPv4-only task's
 * request has no ipv6_addrs key). A request that is not a JSON object with an
 * "args" object goes as written, and so does every request with -r (raw), for
 * the tests of what other callers may send.
 *
 * One fork/exec per request, the request on the hook's stdin (then EOF), only
 * its stdout read, at most 40,960 bytes of it, as the isolator reads; its exit
 * status ignored (the isolator does not look at it); its stderr passes through.
 * Empty stdout is no answer ("Got no response"). The answer must be exactly
 * one JSON object (whitespace around it allowed) with an "error" member, as the
 * isolator parses it; any "error" that is not null is a failure. Prints the
 * object (compact) or, with -e, only its "error": the string, or "null".
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

/* The isolator reads no more of the hook's stdout than this. */
#define ANSWER_MAX 40960

/* request as Mesos would write it (malloc'd), or NULL to send it as written:
 * every empty list in "args" left out. */
static char *mesos_shaped(const char *request)
{
	json_t *root = json_loads(request, JSON_REJECT_DUPLICATES, NULL);
	json_t *args = json_object_get(root, "args"), *v;
	const char *key;
	void *tmp;
	bool dropped = false;
	char *text = NULL;

	if (!json_is_object(root) || !json_is_object(args))
		goto out;
	json_object_foreach_safe(args, tmp, key, v)
	{
		if (json_is_array(v) && json_array_size(v) == 0) {
			json_object_del(args, key);
			dropped = true;
		}
	}
	/* untouched requests keep their bytes (number spellings, spacing) */
	if (dropped)
		text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(root);
	return text;
}

/* Runs hook with request on its stdin; the first ANSWER_MAX bytes of its
 * stdout in *out (malloc'd). */
static int call_hook(const char *hook, const char *request, char **out)
{
	int in[2], res[2];
	size_t len = 0, cap = ANSWER_MAX + 1;
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
	while (len < ANSWER_MAX) {
		ssize_t r = read(res[0], buf + len, ANSWER_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	/* what is beyond ANSWER_MAX is not read: the hook may get EPIPE */
	close(res[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) /* status ignored, as the isolator does */
		;
	*out = buf;
	return 0;
}

int main(int argc, char **argv)
{
	bool only_error = false, raw = false;
	json_error_t jerr;
	json_t *reply = NULL;
	char *out = NULL, *text = NULL, *shaped = NULL;
	int rc = 2, a = 1, err;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "-e") == 0)
			only_error = true;
		else if (strcmp(argv[a], "-r") == 0)
			raw = true;
		else
			break;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: mesos_caller [-e] [-r] HOOK REQUEST\n");
		return 2;
	}
	if (!raw)
		shaped = mesos_shaped(argv[a + 1]);
	if ((err = call_hook(argv[a], shaped ? shaped : argv[a + 1], &out)) < 0) {
		fprintf(stderr, "mesos_caller: cannot call the hook: %s\n", strerror(-err));
		goto done;
	}
	if (!out[0]) {
		fprintf(stderr, "mesos_caller: Got no response from %s\n", argv[a]);
		rc = 3;
		goto done;
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
	free(shaped);
	free(out);
	json_decref(reply);
	return rc;
}
