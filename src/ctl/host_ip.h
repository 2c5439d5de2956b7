/* This host's own address, for `calicoctl node` without --ip. */
#ifndef CALICO_CTL_HOST_IP_H
#define CALICO_CTL_HOST_IP_H

#include <net/if.h>

#include "util/ipaddr.h"

/* The first global IPv4 address of an up interface other than lo, cali*,
 * docker*, vxlan* (in the network namespace calicoctl runs in). 0 with the
 * address and the interface's name, or -ENOENT. */
int host_ip_autodetect(struct ip_addr *out, char ifname[IFNAMSIZ]);

#endif
