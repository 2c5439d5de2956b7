/* calicoctl container: what <CONTAINER> names. A person without an
 * orchestrator attaches a network namespace; the workload id comes from its
 * path, under the orchestrator id "calicoctl". */
#ifndef CALICO_CTL_CONTAINER_TARGET_H
#define CALICO_CTL_CONTAINER_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/endpoint_store.h"

#define CONTAINER_ORCH "calicoctl"

struct container_target {
	const char *arg;       /* as the user wrote it, for messages */
	char nspath[PATH_MAX]; /* the namespace file */
	char workload[256];    /* "<netns name>" or "pid-<pid>" */
};

/* Accepts /var/run/netns/NAME (or /run/netns/NAME), /proc/PID/ns/net, or a
 * bare NAME under /var/run/netns. 0, or prints one line and returns 1. */
int container_target_parse(const char *arg, struct container_target *t);
/* 0 when the namespace file exists and is not the namespace calicoctl runs
 * in; otherwise prints one line and returns 1. */
int container_target_check_exists(const struct container_target *t);
bool container_target_exists(const struct container_target *t);

/* The endpoint calicoctl made for t on host. 0 (out filled, caller frees
 * out->ep), -ENOENT when there is none, 1 after printing an error. */
int container_endpoint_find(struct ds *ds, const char *host, const struct container_target *t,
			    struct endpoint_entry *out);
/* The local host name; prints and returns 1 when there is none. */
int ctl_local_host(char *buf, size_t len);
/* A container-side interface name given with --interface. 0, or prints and returns 1. */
int container_ifname_check(const char *name);

#endif
