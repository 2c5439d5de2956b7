/* What the long-running binaries (calico-node, calico-libnetwork) do alike
 * around their main loop: the stop/reload flags their signals set, and their
 * pid file in $CALICO_RUN_DIR. */
#ifndef CALICO_DAEMON_H
#define CALICO_DAEMON_H

#include <signal.h>
#include <stdbool.h>

/* Set by SIGTERM/SIGINT, and by SIGHUP when asked for; main loops poll them. */
extern volatile sig_atomic_t daemon_stop, daemon_reload;

/* SIGTERM and SIGINT set daemon_stop; with hup, SIGHUP sets daemon_reload
 * (without, SIGHUP keeps its default); SIGPIPE is ignored. No SA_RESTART: a
 * signal cuts a wait short, so the loop sees the flag at once. */
void daemon_signals_install(bool hup);

/* Writes our pid to $CALICO_RUN_DIR/<name>, making the directory if needed.
 * A failure is only logged: the daemon serves without it. */
void daemon_pid_write(const char *name);
/* Removes $CALICO_RUN_DIR/<name>, but only while it holds our pid: a newer
 * instance may have written its own meanwhile. */
void daemon_pid_remove(const char *name);

#endif
