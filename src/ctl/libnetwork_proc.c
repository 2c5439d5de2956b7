/* calicoctl's side of calico-libnetwork (libnetwork_proc.h). The daemon
 * inherits calicoctl's environment: CALICO_LIBNETWORK_SOCKET,
 * CALICO_LIBNETWORK_SCOPE, DOCKER_HOST, the datastore's variables. */
#include "libnetwork_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_proc.h"
#include "ctl.h"
#include "util/nodename.h"

#define LNW_NAME          "calico-libnetwork"
#define LNW_SOCKET        "/run/docker/plugins/calico.sock"
#define LNW_START_MS      10000
#define LNW_STOP_MS       5000

static void lnw_path(char *buf, size_t len, const char *dir, const char *ext)
{
	snprintf(buf, len, "%s/" LNW_NAME ".%s", dir, ext);
}


/* The running daemon's pid (pid file names a live calico-libnetwork), or 0. */
static pid_t running_pid(void)
{
	char path[PATH_MAX];
	lnw_path(path, sizeof(path), calico_run_dir(), "pid");
	pid_t pid = proc_pid_file(path);
	return pid && proc_is(pid, LNW_NAME) ? pid : 0;
}

static bool socket_answers(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;
	if (fd < 0)
		return false;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* In the child: never returns. */
static void exec_daemon(const char *host, int log_fd)
{
	char self[PATH_MAX], bin[PATH_MAX + 32];
	char *argv[] = { (char *)LNW_NAME, (char *)"--name", (char *)host, NULL };
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int null_fd = open("/dev/null", O_RDONLY);
	if (setsid() < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (n > 0) { /* next to calicoctl first, as calico-node */
		self[n] = '\0';
		snprintf(bin, sizeof(bin), "%s/" LNW_NAME, dirname(self));
		if (access(bin, X_OK) == 0)
			execv(bin, argv);
	}
	execvp(LNW_NAME, argv);
	dprintf(2, "calicoctl: cannot run " LNW_NAME ": %s\n", strerror(errno));
	_exit(127);
}

static void log_tail(void)
{
	char path[PATH_MAX], line[512];
	lnw_path(path, sizeof(path), calico_log_dir(), "log");
	FILE *f = fopen(path, "r");
	long size;
	if (!f)
		return;
	/* the last ~2 KiB is enough to say why it stopped */
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 2048)
		fseek(f, size - 2048, SEEK_SET), fgets(line, sizeof(line), f);
	else
		rewind(f);
	fprintf(stderr, "Last lines of %s:\n", path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

static int stop_pid(pid_t pid)
{
	char path[PATH_MAX];
	int rc = proc_stop(pid, LNW_STOP_MS);
	lnw_path(path, sizeof(path), calico_run_dir(), "pid");
	unlink(path);
	return rc;
}

int libnetwork_start(const char *host_opt)
{
	char host[HOSTNAME_MAX + 1], log_path[PATH_MAX], pid_path[PATH_MAX];
	const char *sock = getenv("CALICO_LIBNETWORK_SOCKET");
	pid_t pid;
	int rc;

	if (!sock || !*sock)
		sock = LNW_SOCKET;
	if (host_opt)
		snprintf(host, sizeof(host), "%s", host_opt);
	else if (nodename_get(host, sizeof(host)) < 0)
		return ctl_error("Error: cannot tell this host's name: give --name.");
	if ((pid = running_pid()) > 0)
		return ctl_error(LNW_NAME " is already running (pid %d).", (int)pid);
	if ((rc = mkdir_p(calico_run_dir())) < 0 || (rc = mkdir_p(calico_log_dir())) < 0)
		return ctl_error("Error: cannot create %s or %s: %s", calico_run_dir(), calico_log_dir(), strerror(-rc));
	lnw_path(log_path, sizeof(log_path), calico_log_dir(), "log");
	lnw_path(pid_path, sizeof(pid_path), calico_run_dir(), "pid");
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return ctl_error("Error: cannot open %s: %s", log_path, strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == 0)
		exec_daemon(host, log_fd);
	close(log_fd);
	if (pid < 0)
		return ctl_error("Error: cannot fork: %s", strerror(errno));
	FILE *f = fopen(pid_path, "w");
	if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0) {
		ctl_error("Error: cannot write %s: %s", pid_path, strerror(errno));
		stop_pid(pid);
		return 1;
	}
	for (int waited = 0; waited < LNW_START_MS; waited += 50) {
		if (!agent_pid_alive(pid)) {
			waitpid(pid, NULL, WNOHANG);
			ctl_error(LNW_NAME " exited during start-up.");
			log_tail();
			unlink(pid_path);
			return 1;
		}
		if (socket_answers(sock)) {
			printf(LNW_NAME " started (pid %d), serving on %s\n", (int)pid, sock);
			return 0;
		}
		proc_sleep_ms(50);
	}
	ctl_error(LNW_NAME " (pid %d) did not serve on %s within %d s; stopping it.", (int)pid, sock,
		  LNW_START_MS / 1000);
	log_tail();
	stop_pid(pid);
	return 1;
}

int libnetwork_stop(void)
{
	pid_t pid = running_pid();
	if (pid == 0)
		return 0;
	if (stop_pid(pid) < 0)
		return ctl_error("Error: " LNW_NAME " (pid %d) did not stop.", (int)pid);
	printf(LNW_NAME " stopped\n");
	return 0;
}
