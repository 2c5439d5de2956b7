/* calico-ipam: the CNI IPAM plugin over Calico's block allocator (ipam.h).
 * Addresses of one attachment live under the handle "<network>.<container
 * id>", assigned for host = the node name; each allocation also records
 * network, container and interface in its attributes, so that GC can tell
 * networks apart whose names share a prefix. */
#ifndef CALICO_CNI_IPAM_H
#define CALICO_CNI_IPAM_H

#include "cni_skel.h"

int ipam_add(struct cni_ctx *ctx);
int ipam_del(struct cni_ctx *ctx);
int ipam_check(struct cni_ctx *ctx);
int ipam_gc(struct cni_ctx *ctx);
int ipam_status(struct cni_ctx *ctx);

#endif
