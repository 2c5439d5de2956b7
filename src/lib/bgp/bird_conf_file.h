/* BIRD's config as a file: rendered straight from the datastore (for
 * `calicoctl node`, before the agent has written one), and written
 * atomically (the agent and calicoctl both). */
#ifndef CALICO_BIRD_CONF_FILE_H
#define CALICO_BIRD_CONF_FILE_H

#include <stddef.h>

#include "bgp/bird_conf.h"
#include "datastore/datastore.h"

/* bird_conf_render over a fresh read of the keys the agent caches. 0,
 * -ENOENT (no ip_addr_v4 for host), other -errno from the datastore;
 * err says which. */
int bird_conf_from_ds(struct ds *ds, const char *host, const struct bird_conf_opts *opt, char **out, char *err,
		      size_t errlen);
/* path.tmp, fsync, rename: a reader sees the old text or the new, never half. 0 or -errno. */
int bird_conf_write(const char *path, const char *text);
/* $CALICO_RUN_DIR/bird.cfg, bird.ctl, bird.pid and $CALICO_LOG_DIR/bird.log. */
void bird_path(char *buf, size_t len, const char *name);
void bird_log_path(char *buf, size_t len);

#endif
