/* BIRD as a daemon of `calicoctl node` (DESIGN §1, §5): Debian's bird2,
 * started as `bird -c $CALICO_RUN_DIR/bird.cfg -s $CALICO_RUN_DIR/bird.ctl
 * -P $CALICO_RUN_DIR/bird.pid` inside calicoctl's network namespace, logging
 * to $CALICO_LOG_DIR/bird.log (the config's log line). */
#ifndef CALICO_CTL_BIRD_PROC_H
#define CALICO_CTL_BIRD_PROC_H

#include <sys/types.h>

#include "datastore/datastore.h"

#define BIRD_BINARY "bird"

/* CALICO_NETWORKING_BACKEND (calico/node's variable): "bird" (the default)
 * or "none" (no BIRD: routes between hosts come from elsewhere, e.g. VXLAN
 * pools, or a test that must not run BIRD). 0, or 1 after printing why. */
int bird_backend_check(void);

/* The pid in bird.pid when that process is alive and is bird, else 0. */
pid_t bird_running_pid(void);
/* Makes sure bird.cfg exists (rendered from the datastore when the agent has
 * not written it yet), then starts BIRD and waits until its control socket
 * answers. A BIRD already running is asked to reload instead. Prints one
 * line on success; nothing with CALICO_NETWORKING_BACKEND=none. Exit status: 0, or 1 after printing why. */
int bird_start(struct ds *ds, const char *host);
/* Stops BIRD without withdrawing its routes: `graceful restart` on the
 * control socket, so peers keep forwarding to this host for the
 * graceful-restart time (120 s) and this host's kernel keeps its BGP routes
 * (persist). SIGTERM, then SIGKILL, when the socket does not answer.
 * Silent when BIRD is not running. Exit status: 0, or 1 after printing why. */
int bird_stop(void);

#endif
