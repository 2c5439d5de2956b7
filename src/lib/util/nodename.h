/* This host's name in the datastore and the per-host paths of DESIGN §1. */
#ifndef CALICO_NODENAME_H
#define CALICO_NODENAME_H

#include <stddef.h>

#define HOSTNAME_MAX 254

/* HOSTNAME from the environment, else $CALICO_STATE_DIR/nodename, else the OS
 * host name. -EINVAL when none is usable. */
int nodename_get(char *buf, size_t len);
/* $CALICO_RUN_DIR, $CALICO_LOG_DIR, $CALICO_STATE_DIR or their defaults. */
const char *calico_run_dir(void);
const char *calico_log_dir(void);
const char *calico_state_dir(void);
/* A valid host name: 1..253 chars of letters, digits, '.', '-', '_'. */
int hostname_is_valid(const char *name);

#endif
