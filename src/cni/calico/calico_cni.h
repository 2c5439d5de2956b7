/* The `calico` CNI plugin: one handler per command (cmd_*.c) over what an
 * attachment is in Calico's terms (attachment.c). */
#ifndef CALICO_CNI_CALICO_H
#define CALICO_CNI_CALICO_H

#include <net/if.h>
#include <stdbool.h>

#include "cni_result.h"
#include "cni_skel.h"
#include "datastore/datastore.h"
#include "model/keys.h"
#include "util/nodename.h"

#define CNI_ORCH "cni"

/* One attachment (network, container, interface) on this host. */
struct attachment {
	struct ds *ds;
	char host[HOSTNAME_MAX + 1];
	char ep_id[33];
	char host_ifname[IFNAMSIZ];
	char key[KEY_MAX];        /* the endpoint record */
	char status_key[KEY_MAX]; /* where calico-node reports it programmed */
};

/* Opens the datastore and works out the names. */
int attachment_open(struct cni_ctx *ctx, struct attachment *a);
void attachment_close(struct attachment *a);

/* Removes the host veth (and with it the container side and the routes) and
 * the endpoint record; either already gone is fine. */
int attachment_unwire(struct attachment *a, struct cni_error *e);

/* Runs the IPAM plugin of the config with cmd; for ADD, res gets its result. */
int attachment_ipam(struct cni_ctx *ctx, enum cni_cmd cmd, struct cni_result *res);

/* The agent's report for the endpoint ("up", "down", "error"; "" when none). */
int attachment_status(struct attachment *a, char *status, size_t len);
/* Waits up to timeout_s for "up". 0, or -ETIMEDOUT with the last status seen. */
int attachment_wait_up(struct attachment *a, int timeout_s, char *status, size_t len);

int calico_add(struct cni_ctx *ctx);
int calico_del(struct cni_ctx *ctx);
int calico_check(struct cni_ctx *ctx);
int calico_gc(struct cni_ctx *ctx);
int calico_status(struct cni_ctx *ctx);

#endif
