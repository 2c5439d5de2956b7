/* Signals and pid file of the long-running binaries (daemon.h). */
#include "util/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/nodename.h"

volatile sig_atomic_t daemon_stop, daemon_reload;

static void on_stop(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	daemon_reload = 1;
}

void daemon_signals_install(bool hup)
{
	struct sigaction stop = { .sa_handler = on_stop }, reload = { .sa_handler = on_hup },
			 ign = { .sa_handler = SIG_IGN };

	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	if (hup)
		sigaction(SIGHUP, &reload, NULL);
	sigaction(SIGPIPE, &ign, NULL);
}

static void pid_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", calico_run_dir(), name);
}

void daemon_pid_write(const char *name)
{
	char path[4096];
	FILE *f;

	mkdir(calico_run_dir(), 0755);
	pid_path(path, sizeof(path), name);
	if (!(f = fopen(path, "w"))) {
		log_warn("cannot write %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

void daemon_pid_remove(const char *name)
{
	char path[4096];
	long pid = 0;
	FILE *f;

	pid_path(path, sizeof(path), name);
	if (!(f = fopen(path, "r")))
		return;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid == (long)getpid())
		unlink(path);
}
