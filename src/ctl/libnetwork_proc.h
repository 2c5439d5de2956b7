/* calico-libnetwork as a daemon of `calicoctl node --libnetwork`: started
 * beside calico-node (pid file $CALICO_RUN_DIR/calico-libnetwork.pid, log
 * $CALICO_LOG_DIR/calico-libnetwork.log) and stopped by `calicoctl node stop`. */
#ifndef CALICO_CTL_LIBNETWORK_PROC_H
#define CALICO_CTL_LIBNETWORK_PROC_H

/* Starts it for host (NULL: this host's name) and waits until its socket
 * answers. Exit status for calicoctl: 0, or 1 after printing why. */
int libnetwork_start(const char *host);
/* Stops it when it runs (SIGTERM, then SIGKILL). 0, or 1 after printing why. */
int libnetwork_stop(void);

#endif
