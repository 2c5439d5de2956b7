#include "agent_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/nodename.h"

void agent_pid_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.pid", calico_run_dir(), AGENT_NAME);
}

void agent_log_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.log", calico_log_dir(), AGENT_NAME);
}

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (c == '\0')
			return 0;
		*p = c;
	}
}

bool agent_pid_alive(pid_t pid)
{
	char path[64], stat[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	char *close = strrchr(stat, ')');
	return close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
}

/* argv[0] of the process is calico-node (any directory). */
bool proc_is(pid_t pid, const char *name)
{
	char path[64], cmd[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	const char *base = strrchr(cmd, '/');
	return n > 0 && strcmp(base ? base + 1 : cmd, name) == 0;
}

pid_t proc_pid_file(const char *path)
{
	long pid = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	return pid && agent_pid_alive((pid_t)pid) ? (pid_t)pid : 0;
}

pid_t agent_running_pid(void)
{
	char path[PATH_MAX];
	agent_pid_path(path, sizeof(path));
	pid_t pid = proc_pid_file(path);
	return pid && proc_is(pid, AGENT_NAME) ? pid : 0;
}

/* <dir of /proc/self/exe>/calico-node when it is there, else NULL (use PATH). */
static const char *sibling_binary(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	snprintf(buf, len, "%s/%s", dirname(self), AGENT_NAME);
	return access(buf, X_OK) == 0 ? buf : NULL;
}

/* In the child: never returns. */
static void exec_agent(const char *binary, const char *host, int log_fd)
{
	char *argv[] = { (char *)AGENT_NAME, (char *)"--name", (char *)host, NULL };
	int null_fd = open("/dev/null", O_RDONLY);
	if (setsid() < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	/* The datastore handle and anything else inherited stays with calicoctl. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (binary)
		execv(binary, argv);
	else
		execvp(AGENT_NAME, argv);
	dprintf(2, "calicoctl: cannot run %s: %s\n", binary ? binary : AGENT_NAME, strerror(errno));
	_exit(127);
}

int agent_start(const char *host, pid_t *pid, char *err, size_t errlen)
{
	char log_path[PATH_MAX], pid_path[PATH_MAX], tmp[PATH_MAX + 8], binbuf[PATH_MAX];
	const char *binary = sibling_binary(binbuf, sizeof(binbuf));
	int rc;

	if ((rc = mkdir_p(calico_run_dir())) < 0 || (rc = mkdir_p(calico_log_dir())) < 0) {
		snprintf(err, errlen, "cannot create %s or %s: %s", calico_run_dir(), calico_log_dir(), strerror(-rc));
		return rc;
	}
	agent_log_path(log_path, sizeof(log_path));
	agent_pid_path(pid_path, sizeof(pid_path));
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", log_path, strerror(errno));
		return rc;
	}
	fflush(NULL);
	pid_t child = fork();
	if (child == 0)
		exec_agent(binary, host, log_fd);
	rc = child < 0 ? -errno : 0;
	close(log_fd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(-rc));
		return rc;
	}
	/* Write-then-rename: a reader never sees a half-written pid. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", pid_path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)child) < 0 || fclose(f) != 0 || rename(tmp, pid_path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", pid_path, strerror(errno));
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return rc ? rc : -EIO;
	}
	*pid = child;
	return 0;
}

void proc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

bool proc_wait_gone(pid_t pid, int timeout_ms)
{
	for (int waited = 0; agent_pid_alive(pid) && waited < timeout_ms; waited += 50) {
		waitpid(pid, NULL, WNOHANG); /* reaps it when it is our own child */
		proc_sleep_ms(50);
	}
	return !agent_pid_alive(pid);
}

int proc_stop(pid_t pid, int timeout_ms)
{
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return -errno;
	if (!proc_wait_gone(pid, timeout_ms)) {
		kill(pid, SIGKILL);
		proc_wait_gone(pid, 2000);
	}
	return agent_pid_alive(pid) ? -ETIMEDOUT : 0;
}

int agent_stop(pid_t pid, int timeout_ms)
{
	char pid_path[PATH_MAX];
	int rc = proc_stop(pid, timeout_ms);
	if (rc == -ETIMEDOUT || rc == 0) {
		agent_pid_path(pid_path, sizeof(pid_path));
		unlink(pid_path);
	}
	return rc;
}

void agent_log_tail(int n)
{
	char path[PATH_MAX], line[1024];
	char **ring = calloc((size_t)n, sizeof(*ring));
	size_t count = 0;
	agent_log_path(path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f || !ring) {
		if (f)
			fclose(f);
		free(ring);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		free(ring[count % (size_t)n]);
		ring[count % (size_t)n] = strdup(line);
		count++;
	}
	fclose(f);
	fprintf(stderr, "Last lines of %s:\n", path);
	size_t first = count > (size_t)n ? count - (size_t)n : 0;
	for (size_t i = first; i < count; i++)
		if (ring[i % (size_t)n])
			fputs(ring[i % (size_t)n], stderr);
	for (int i = 0; i < n; i++)
		free(ring[i]);
	free(ring);
}
