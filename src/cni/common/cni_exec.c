#include "cni_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int cni_find_plugin(const char *type, const char *cni_path, char *out, size_t outlen)
{
	const char *p = cni_path ? cni_path : "";
	if (!type || !type[0] || strchr(type, '/'))
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ":");
		struct stat st;
		if (len > 0) {
			snprintf(out, outlen, "%.*s/%s", (int)len, p, type);
			if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
				return 0;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

/* environ with CNI_COMMAND=command in place of ours (the array is malloc'd, its strings borrowed). */
static char **child_env(const char *cmd_var)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12) != 0)
			env[k++] = environ[i];
	env[k++] = (char *)cmd_var;
	env[k] = NULL;
	return env;
}

/* Feeds in to fd_in and collects fd_out until the child closes it. */
static int pump(int fd_in, int fd_out, const char *in, char **out, size_t *out_len)
{
	size_t in_len = strlen(in), in_off = 0, cap = 0;
	char *buf = NULL;
	int rc = 0;

	*out_len = 0;
	while (fd_out >= 0) {
		struct pollfd p[2] = { { .fd = fd_out, .events = POLLIN }, { .fd = fd_in, .events = POLLOUT } };
		if (poll(p, fd_in >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (fd_in >= 0 && p[1].revents) {
			ssize_t w = write(fd_in, in + in_off, in_len - in_off);
			if (w > 0)
				in_off += (size_t)w;
			if (w < 0 || in_off == in_len) { /* done, or the child stopped reading (EPIPE) */
				close(fd_in);
				fd_in = -1;
			}
		}
		if (p[0].revents) {
			if (cap - *out_len < 4096) {
				char *grown = realloc(buf, cap + 65536);
				if (!grown) {
					rc = -ENOMEM;
					break;
				}
				buf = grown;
				cap += 65536;
			}
			ssize_t r = read(fd_out, buf + *out_len, cap - *out_len - 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			*out_len += (size_t)r;
		}
	}
	if (fd_in >= 0)
		close(fd_in);
	if (rc == 0 && !buf && !(buf = malloc(1)))
		rc = -ENOMEM;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

/* The delegate's error object, or a generic one. */
static int delegate_error(const char *type, const char *out, int status, struct cni_error *e)
{
	json_t *o = json_loads(out, 0, NULL);
	json_t *code = json_object_get(o, "code"), *msg = json_object_get(o, "msg"), *det = json_object_get(o, "details");
	if (json_is_integer(code) && json_integer_value(code) > 0 && json_integer_value(code) < 1000000) {
		cni_err(e, (int)json_integer_value(code), "%s: %s", type, json_is_string(msg) ? json_string_value(msg) : "failed");
		if (json_is_string(det) && json_string_length(det))
			cni_err_details(e, "%s", json_string_value(det));
	} else if (WIFSIGNALED(status)) {
		cni_err(e, CNI_ERR_INTERNAL, "%s: killed by signal %d", type, WTERMSIG(status));
	} else {
		cni_err(e, CNI_ERR_INTERNAL, "%s: exited %d without an error object: %.200s", type,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
	}
	json_decref(o);
	return -EINVAL;
}

int cni_delegate(const char *type, const char *cni_path, enum cni_cmd command, const char *stdin_data,
		 char **stdout_text, struct cni_error *e)
{
	char path[4096], cmd_var[32], *out = NULL, **env = NULL;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0, rc;
	posix_spawn_file_actions_t fa;
	bool fa_made = false;
	pid_t pid = -1;
	size_t out_len;

	if (stdout_text)
		*stdout_text = NULL;
	if (!cni_path)
		return cni_err(e, CNI_ERR_INVALID_ENV, "CNI_PATH is not set: cannot find the IPAM plugin %.64s", type);
	if (cni_find_plugin(type, cni_path, path, sizeof(path)) < 0)
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "IPAM plugin \"%.64s\" not found in CNI_PATH %.200s", type, cni_path);
	snprintf(cmd_var, sizeof(cmd_var), "CNI_COMMAND=%s", cni_cmd_name(command));
	if (!(env = child_env(cmd_var)) || pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    posix_spawn_file_actions_init(&fa) != 0) {
		rc = cni_err(e, CNI_ERR_IO, "cannot run %s: %s", path, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	fa_made = true;
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	char *argv[] = { path, NULL };
	if ((rc = posix_spawn(&pid, path, &fa, NULL, argv, env)) != 0) {
		pid = -1;
		rc = cni_err(e, CNI_ERR_IO, "cannot run %s: %s", path, strerror(rc));
		goto out;
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	/* A delegate that stops reading must not kill us with SIGPIPE. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	rc = pump(in[1], outp[0], stdin_data ? stdin_data : "", &out, &out_len);
	sigaction(SIGPIPE, &old, NULL);
	in[1] = -1; /* pump closed it */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (rc < 0) {
		rc = cni_err(e, CNI_ERR_IO, "talking to %s: %s", path, strerror(-rc));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = delegate_error(type, out, status, e);
		goto out;
	}
	if (stdout_text) {
		*stdout_text = out;
		out = NULL;
	}
	rc = 0;
out:
	if (pid > 0)
		waitpid(pid, &status, 0);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (fa_made)
		posix_spawn_file_actions_destroy(&fa);
	free(env);
	free(out);
	return rc;
}
