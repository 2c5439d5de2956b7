/* IPAM handles: /calico/ipam/v2/handle/<id> {"id":"<id>","block":{"<cidr>":count}}.
 * A handle counts, per block, the addresses allocated under it, so that
 * releasing by handle visits only those blocks. Codec + load; the writes are
 * part of the allocator's transactions (ipam.c). */
#ifndef CALICO_IPAM_HANDLE_H
#define CALICO_IPAM_HANDLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"
#include "util/ipaddr.h"

#define IPAM_HANDLE_MAX 250

struct ipam_handle {
	char id[IPAM_HANDLE_MAX + 1];
	json_t *blocks;  /* object: block CIDR text -> count (> 0) */
	int64_t mod_rev; /* 0 when the handle is not in the datastore */
};

/* A handle id: 1..IPAM_HANDLE_MAX printable characters, no '/'. */
bool ipam_handle_id_is_valid(const char *id);
char *ipam_handle_key(char *buf /* KEY_MAX */, const char *id);

/* An empty handle (absent from the datastore). 0 or -ENOMEM. */
int ipam_handle_init(struct ipam_handle *h, const char *id);
void ipam_handle_free(struct ipam_handle *h);
/* The stored handle, or an empty one when absent. -EINVAL with a message
 * when the stored value does not decode; other -errno from the datastore. */
int ipam_handle_load(struct ds *ds, const char *id, struct ipam_handle *h, char *err, size_t errlen);
int ipam_handle_decode(const char *json, const char *id, struct ipam_handle *h, char *err, size_t errlen);
/* The stored JSON (malloc'd); NULL on ENOMEM. */
char *ipam_handle_encode(const struct ipam_handle *h);
/* Adds delta to block's count (a count that drops to 0 or below is removed). */
int ipam_handle_add(struct ipam_handle *h, const struct cidr *block, long delta);
size_t ipam_handle_total(const struct ipam_handle *h);
long ipam_handle_count(const struct ipam_handle *h, const struct cidr *block);

#endif
