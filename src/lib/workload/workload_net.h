/* Wiring one workload into the host's routed network (DESIGN §4): what the
 * CNI, Mesos and libnetwork plugins and `calicoctl container` call. */
#ifndef CALICO_WORKLOAD_NET_H
#define CALICO_WORKLOAD_NET_H

#include <net/if.h>
#include <stddef.h>

#include "util/ipaddr.h"

/* "cali" + the first 11 characters of the endpoint id: 15 characters, the
 * kernel's limit. -EINVAL for an empty id or one with characters that are
 * not [A-Za-z0-9_-]. */
int workload_host_ifname(const char *endpoint_id, char out[IFNAMSIZ]);

/* In the calling thread's namespace (the host), makes the veth host_ifname
 * whose peer container_ifname is born inside the namespace at netns_path, and:
 *  - inside: each address as /32 (/128, nodad); for IPv4 "169.254.1.1 dev IF
 *    scope link" and "default via 169.254.1.1 dev IF"; for IPv6 "default via
 *    fe80::ecee:eeff:feee:eeee dev IF";
 *  - host side: MAC ee:ee:ee:ee:ee:ee, the sysctls of net_sysctl_workload_host,
 *    and "<ip>/32 (/128) dev host_ifname scope link proto CALICO_RT_PROTO".
 * netns_path NULL: the peer stays in the calling namespace, unconfigured, for
 * a runtime that moves and configures it itself (Docker's libnetwork).
 * mtu 0 keeps the kernel default. All or nothing: on failure the veth is
 * deleted again, taking everything made with it. A route to an address that
 * another interface already has fails with -EEXIST. err gets one line. */
int workload_attach(const char *netns_path, const char *host_ifname, const char *container_ifname,
		    const struct ip_addr *addrs, size_t n_addrs, unsigned mtu, char *err, size_t errlen);

/* Whether the veth host_ifname (in the calling namespace) and container_ifname
 * inside netns_path are still the pair workload_attach made, holding addrs:
 * what lets a repeated attach (a runtime retrying a request whose answer it
 * lost) answer from what is there instead of making a second one. 0 with the
 * container side's MAC in mac ("" when unknown); -ENODEV when the host end is
 * missing, -ENOENT when the namespace or the container end is missing,
 * -EXDEV when the container end is not host_ifname's peer, -EADDRNOTAVAIL
 * when an address is not on it; err names what did not match. */
int workload_verify(const char *netns_path, const char *host_ifname, const char *container_ifname,
		    const struct ip_addr *addrs, size_t n_addrs, char mac[18], char *err, size_t errlen);

/* Deletes the veth host_ifname (both ends; its routes go with it).
 * -ENODEV when there is no such interface (callers wanting idempotent
 * deletes, e.g. CNI DEL, treat that as success). */
int workload_detach(const char *host_ifname, char *err, size_t errlen);

#endif
