/* The local calico-node agent as a process: its pid file, whether it runs,
 * starting it as a daemon and stopping it. Paths per DESIGN §1. Also the
 * process helpers every daemon calicoctl manages uses (calico-node,
 * calico-libnetwork, BIRD): proc_*. */
#ifndef CALICO_CTL_AGENT_PROC_H
#define CALICO_CTL_AGENT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AGENT_NAME "calico-node"

/* $CALICO_RUN_DIR/calico-node.pid and $CALICO_LOG_DIR/calico-node.log. */
void agent_pid_path(char *buf, size_t len);
void agent_log_path(char *buf, size_t len);
/* The pid the pid file names when that process is alive and is calico-node
 * (its /proc/<pid>/cmdline says so), else 0. */
pid_t agent_running_pid(void);
/* mkdir -p with mode 0755. 0 or -errno. */
int mkdir_p(const char *path);

/* Starts `calico-node --name <host>` detached (new session, stdin from
 * /dev/null, stdout and stderr appended to the log), writes the pid file.
 * The binary is looked for next to this executable first, then on PATH.
 * 0 with *pid, or -errno with a line in err. */
int agent_start(const char *host, pid_t *pid, char *err, size_t errlen);
/* true while pid is alive and not a zombie. */
bool agent_pid_alive(pid_t pid);
/* SIGTERM, wait up to timeout_ms, then SIGKILL; removes the pid file. 0 or -errno. */
int agent_stop(pid_t pid, int timeout_ms);

void proc_sleep_ms(long ms);
/* The pid the file at path names when that process is alive, else 0. */
pid_t proc_pid_file(const char *path);
/* Whether pid's program (its cmdline's first word, without directory) is name. */
bool proc_is(pid_t pid, const char *name);
/* Waits up to timeout_ms for pid to be gone (reaping it if it is our child). */
bool proc_wait_gone(pid_t pid, int timeout_ms);
/* SIGTERM, wait up to timeout_ms, then SIGKILL and wait up to 2 s more.
 * 0 once gone, -ETIMEDOUT if it outlived that, -errno if it cannot be
 * signalled. Pid files are the caller's. */
int proc_stop(pid_t pid, int timeout_ms);
/* Prints the last n lines of the agent's log to stderr. */
void agent_log_tail(int n);

#endif
