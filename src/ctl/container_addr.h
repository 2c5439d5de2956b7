/* The <IP|ipv4|ipv6|CIDR> argument of `calicoctl container`, and getting that
 * address from IPAM under the endpoint's handle. */
#ifndef CALICO_CTL_CONTAINER_ADDR_H
#define CALICO_CTL_CONTAINER_ADDR_H

#include <stdbool.h>

#include "datastore/datastore.h"
#include "util/ipaddr.h"

struct addr_request {
	bool exact;       /* an address given by the user */
	struct ip_addr ip; /* when exact */
	int family;       /* 4 or 6 */
	bool from_pool;   /* auto-assign from this pool only */
	struct cidr pool;
};

/* Syntax only. 0, or prints one line and returns 1. */
int addr_request_parse(const char *text, struct addr_request *r);
/* Checks against the configured pools and assigns through IPAM. 0 with the
 * address in *out, or prints one line and returns 1 (nothing assigned). */
int addr_request_assign(struct ds *ds, const struct addr_request *r, const char *handle, const char *host,
			const char *attrs_json, struct ip_addr *out);
/* The IPAM handle of an endpoint created by calicoctl container. */
void container_handle(const char *endpoint_id, char *buf, size_t len);

#endif
