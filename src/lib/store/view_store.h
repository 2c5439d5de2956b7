/* Calico's v3 kinds that are views of the 2016 keys (DESIGN §2, §11), read
 * from those keys on every call; nothing of them is stored twice:
 *
 *   WorkloadEndpoint   /calico/v1/host/<node>/workload/<orch>/<wl>/endpoint/<id>
 *                      named <node>-<orch>-<wl>-<id> ('-' doubled in each
 *                      part); its namespace is the record's
 *                      projectcalico.org/namespace label, else "default"
 *   IPPool             /calico/v1/ipam/v4|v6/pool/<cidr>, named from the CIDR
 *   BGPPeer            /calico/bgp/v1/global/peer_v4|v6/<ip> and
 *                      /calico/bgp/v1/host/<node>/peer_v4|v6/<ip>
 *   BGPConfiguration   "default": /calico/bgp/v1/global/as_num and node_mesh
 *   Node               /calico/bgp/v1/host/<node>/ip_addr_v4, ip_addr_v6, as_num
 *   FelixConfiguration "default": /calico/v1/config/<Name> (always there, as
 *                      Calico always has it); "node.<host>":
 *                      /calico/v1/host/<host>/config/<Name>, for each host
 *                      with one; the settings with a v3 field, converted
 *                      (resource/felix_config.c)
 *
 * resourceVersion is the mod revision of the key (the newest of its keys). A
 * record or value that does not decode is skipped with a warning in the log,
 * as the 2016 listings skip it. Only a workload endpoint's labels are written
 * (wep_find gives the record to change). */
#ifndef CALICO_VIEW_STORE_H
#define CALICO_VIEW_STORE_H

#include "model/keys.h"
#include "store/endpoint_store.h"
#include "store/resource_store.h"

/* Every resource of a view kind (of namespace ns; of all when ns is NULL),
 * sorted by namespace and name. */
int v3_view_list(struct ds *ds, enum v3_kind kind, const char *ns, struct v3_resource_list *out, char *err,
		 size_t errlen);
/* One by name; -ENOENT when there is none. */
int v3_view_get(struct ds *ds, enum v3_kind kind, const char *ns, const char *name, struct v3_resource *out,
		char *err, size_t errlen);

/* A workload endpoint as a v3 resource, from its record. */
int v3_wep_from_entry(const struct endpoint_entry *e, struct v3_resource *out);

/* The endpoint record a workload endpoint's name (in namespace ns, "default"
 * when NULL) stands for, with its key. -ENOENT when none; -ENOTUNIQ when the
 * name stands for two records (parts that begin or end with '-'). */
int wep_find(struct ds *ds, const char *ns, const char *name, struct endpoint_entry *out, char key[KEY_MAX]);

#endif
