/* The endpoint id of one attachment, a function of (network, container id,
 * interface): DEL, CHECK and GC find the record and the host veth (cali +
 * 11 characters of the id) from what the runtime passes, without a lookup
 * table, and a container may have one endpoint per network and interface.
 * Pure logic. */
#ifndef CALICO_CNI_ENDPOINT_ID_H
#define CALICO_CNI_ENDPOINT_ID_H

/* 32 lowercase hex characters (Calico's id shape), from two 64-bit FNV-1a
 * hashes of "network\0container\0ifname" with different offsets. */
void cni_endpoint_id(const char *network, const char *container_id, const char *ifname, char out[33]);

#endif
