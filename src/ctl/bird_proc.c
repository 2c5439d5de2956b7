/* BIRD as a daemon of calicoctl node (bird_proc.h). */
#include "bird_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_proc.h"
#include "bgp/bird_conf_file.h"
#include "bgp/bird_ctl.h"
#include "ctl.h"
#include "util/nodename.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS  10000

static const char *backend(void)
{
	const char *b = getenv("CALICO_NETWORKING_BACKEND");
	return b && *b ? b : "bird";
}

int bird_backend_check(void)
{
	if (strcmp(backend(), "bird") == 0 || strcmp(backend(), "none") == 0)
		return 0;
	return ctl_error("Error: CALICO_NETWORKING_BACKEND must be \"bird\" or \"none\", not \"%s\".", backend());
}

/* /proc/<pid>/comm says bird. */
static bool is_bird(pid_t pid)
{
	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(comm, sizeof(comm), f) != NULL;
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return ok && strcmp(comm, BIRD_BINARY) == 0;
}

pid_t bird_running_pid(void)
{
	char path[PATH_MAX];
	bird_path(path, sizeof(path), "bird.pid");
	pid_t pid = proc_pid_file(path);
	return pid && is_bird(pid) ? pid : 0;
}

/* bird.cfg as the agent left it, or rendered now from the datastore. */
static int ensure_config(struct ds *ds, const char *host, const char *cfg)
{
	char logp[PATH_MAX], err[512];
	char *text = NULL;
	struct bird_conf_opts opt = { .log_path = logp };
	int rc;

	if (access(cfg, F_OK) == 0)
		return 0;
	bird_log_path(logp, sizeof(logp));
	if ((rc = bird_conf_from_ds(ds, host, &opt, &text, err, sizeof(err))) < 0)
		return ctl_error("Error: cannot configure BIRD: %s", err);
	rc = bird_conf_write(cfg, text);
	free(text);
	if (rc < 0)
		return ctl_error("Error: cannot write %s: %s", cfg, strerror(-rc));
	return 0;
}

/* In the child: never returns. BIRD forks into the background itself once
 * its config parsed; until then its complaints go to out_fd. */
static void exec_bird(const char *cfg, const char *sock, const char *pid, int out_fd)
{
	char *argv[] = { (char *)BIRD_BINARY, (char *)"-c", (char *)cfg, (char *)"-s", (char *)sock,
			 (char *)"-P", (char *)pid, NULL };
	int null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	execvp(BIRD_BINARY, argv);
	execv("/usr/sbin/" BIRD_BINARY, argv); /* root's PATH may lack sbin */
	dprintf(2, "cannot run %s: %s (install Debian's bird2)", BIRD_BINARY, strerror(errno));
	_exit(127);
}

/* Runs bird until it has daemonized; 0, or 1 after printing its complaint. */
static int spawn(const char *cfg, const char *sock, const char *pidf)
{
	int pipefd[2], status = 0;
	char out[1024] = "";
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ctl_error("Error: cannot start BIRD: %s", strerror(errno));
	fflush(NULL);
	pid_t child = fork();
	if (child == 0)
		exec_bird(cfg, sock, pidf, pipefd[1]);
	int err = errno;
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK); /* in case the daemon kept the pipe open */
	if (child < 0) {
		close(pipefd[0]);
		return ctl_error("Error: cannot start BIRD: cannot fork: %s", strerror(err));
	}
	waitpid(child, &status, 0);
	/* the daemon has its output on /dev/null: the pipe holds only the parent's words */
	ssize_t n = read(pipefd[0], out, sizeof(out) - 1);
	close(pipefd[0]);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ctl_error("Error: BIRD did not start: %s", out[0] ? out : "it exited with an error");
	return 0;
}

static int reload_running(pid_t pid, const char *sock)
{
	char msg[512];
	int rc = bird_ctl_configure(sock, msg, sizeof(msg));
	if (rc < 0)
		return ctl_error("Error: BIRD (pid %d) is running but did not reload: %s", (int)pid, msg);
	printf("BIRD is already running (pid %d); reloaded its configuration\n", (int)pid);
	return 0;
}

int bird_start(struct ds *ds, const char *host)
{
	char cfg[PATH_MAX], sock[PATH_MAX], pidf[PATH_MAX];
	struct bird_ctl b;
	pid_t pid;
	int rc;

	if (strcmp(backend(), "none") == 0)
		return 0;
	bird_path(cfg, sizeof(cfg), "bird.cfg");
	bird_path(sock, sizeof(sock), "bird.ctl");
	bird_path(pidf, sizeof(pidf), "bird.pid");
	if ((rc = mkdir_p(calico_run_dir())) < 0 || (rc = mkdir_p(calico_log_dir())) < 0)
		return ctl_error("Error: cannot create %s or %s: %s", calico_run_dir(), calico_log_dir(),
				 strerror(-rc));
	if (ensure_config(ds, host, cfg))
		return 1;
	if ((pid = bird_running_pid()) > 0)
		return reload_running(pid, sock);
	if (spawn(cfg, sock, pidf))
		return 1;
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 50) {
		if ((pid = bird_running_pid()) > 0 && bird_ctl_open(&b, sock, 1000) == 0) {
			bird_ctl_close(&b);
			printf("BIRD started (pid %d)\n", (int)pid);
			return 0;
		}
		proc_sleep_ms(50);
	}
	return ctl_error("Error: BIRD did not answer on %s within %d s (see %s/bird.log)", sock,
			 START_TIMEOUT_MS / 1000, calico_log_dir());
}

/* `graceful restart` on the socket: BIRD stops, announcing a restart. */
static bool graceful(const char *sock)
{
	struct bird_ctl b;
	struct bird_reply r = { 0 };
	bool ok = false;
	if (bird_ctl_open(&b, sock, 2000) < 0)
		return false;
	ok = bird_ctl_cmd(&b, "graceful restart", &r) == 0 && r.code < 1000;
	bird_reply_free(&r);
	bird_ctl_close(&b);
	return ok;
}

int bird_stop(void)
{
	char sock[PATH_MAX], pidf[PATH_MAX];
	pid_t pid = bird_running_pid();
	if (pid == 0)
		return 0;
	bird_path(sock, sizeof(sock), "bird.ctl");
	bird_path(pidf, sizeof(pidf), "bird.pid");
	if (!graceful(sock) || !proc_wait_gone(pid, STOP_TIMEOUT_MS))
		proc_stop(pid, 2000);
	if (agent_pid_alive(pid))
		return ctl_error("Error: BIRD (pid %d) did not stop.", (int)pid);
	/* left behind only when BIRD did not exit on its own */
	unlink(sock);
	unlink(pidf);
	return 0;
}
