/* rtnetlink for the dataplane: veths, links, addresses, routes, neighbours.
 *
 * One handle per network namespace: the handle's socket is created inside the
 * namespace given to nl_open() and keeps acting on it whatever namespace the
 * calling thread is in later.
 *
 * Every operation returns 0 or -errno and leaves a one-line message in the
 * handle ("cannot create veth cali1234567890a: File exists"), read with
 * nl_strerror(). Operations that make several objects remove what they made
 * when they fail midway. */
#ifndef CALICO_NL_H
#define CALICO_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

/* Routing protocol number on every route we install. Values >= RTPROT_STATIC
 * (4) are never interpreted by the kernel; 80 is assigned neither in
 * <linux/rtnetlink.h> (0-4 kernel, then 8-18, 42, 99, 186-192 for routing
 * daemons) nor in iproute2's rt_protos, and differs from BIRD's 12, so listing
 * routes by protocol finds exactly ours: the agent never removes a route made
 * by the administrator, DHCP or BIRD. Felix uses the same number. */
#define CALICO_RT_PROTO 80

/* The MAC of every host-side workload veth, and the link-local address the
 * kernel derives from it (EUI-64): the IPv6 next hop of every workload. */
#define CALICO_HOST_MAC  { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee }
#define CALICO_GW_V4     "169.254.1.1"
#define CALICO_GW_V6     "fe80::ecee:eeff:feee:eeee"

#define NL_ERR_MAX 256

struct nl;

/* Opens a handle whose socket lives in ns_fd (< 0: the calling thread's
 * namespace). On failure *out is NULL and, when err is given, a message is
 * written there. */
int nl_open(struct nl **out, int ns_fd, char *err, size_t errlen);
void nl_close(struct nl *nl);
/* Message of the last failed operation ("" when none). */
const char *nl_strerror(const struct nl *nl);

/* ---- links ---- */

struct nl_link {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned flags; /* IFF_* */
	unsigned mtu;
	uint8_t mac[6];
	bool has_mac;
	int link;             /* IFLA_LINK: a veth's peer's ifindex, in link_netnsid's namespace (0: none) */
	int link_netnsid;     /* the id this namespace gave the peer's namespace */
	bool has_link_netnsid; /* false: the peer is in this namespace */
};

struct nl_link_list {
	struct nl_link *items;
	size_t n;
};

/* veth host_name <-> peer_name, the peer created directly in peer_ns_fd
 * (IFLA_NET_NS_FD; < 0: same namespace as the handle). The host side gets the
 * MAC ee:ee:ee:ee:ee:ee; both sides get mtu (0: kernel default) and come up.
 * The kernel makes both ends or neither. */
int nl_veth_create(struct nl *nl, const char *host_name, const char *peer_name, int peer_ns_fd,
		   unsigned mtu);
/* nl_veth_create in two steps: the pair with the peer left down, so the host
 * end has no carrier and hence no IPv6 link-local address yet (settings that
 * must come before it, such as accept_dad, can be made now); then the peer
 * up. The caller deletes the pair if the second step fails. */
int nl_veth_create_peer_down(struct nl *nl, const char *host_name, const char *peer_name, int peer_ns_fd,
			     unsigned mtu);
int nl_veth_peer_up(struct nl *nl, const char *peer_name, int peer_ns_fd);
/* Deleting one end of a veth deletes both, and every route through them. */
int nl_link_del(struct nl *nl, const char *name);
int nl_link_get(struct nl *nl, const char *name, struct nl_link *out);
int nl_link_index(struct nl *nl, const char *name, int *ifindex);
int nl_link_get_index(struct nl *nl, int ifindex, struct nl_link *out);
/* Links whose name starts with prefix ("" = all), in kernel order. */
int nl_link_list_prefix(struct nl *nl, const char *prefix, struct nl_link_list *out);
void nl_link_list_free(struct nl_link_list *list);
int nl_link_set_mtu(struct nl *nl, const char *name, unsigned mtu);
int nl_link_set_up(struct nl *nl, const char *name, bool up);
int nl_link_rename(struct nl *nl, const char *name, const char *new_name);

/* ---- VXLAN devices ---- */

struct nl_vxlan {
	char name[IFNAMSIZ];
	uint32_t vni;
	uint16_t port;         /* UDP destination port, host order */
	struct ip_addr local;  /* IPv4 source of the encapsulated packets */
	int link;              /* ifindex of the device the packets leave by (0: routing decides) */
	uint8_t mac[6];
	unsigned mtu;          /* 0 at creation: the kernel's choice (link's MTU - 50) */
	bool learning;
	int ifindex;           /* filled by nl_vxlan_get */
	bool up;               /* filled by nl_vxlan_get; nl_vxlan_create brings the device up */
};

/* "ip link add NAME address MAC [mtu MTU] type vxlan id VNI dstport PORT local
 * IP [dev LINK] [no]learning; ip link set NAME up". */
int nl_vxlan_create(struct nl *nl, const struct nl_vxlan *spec);
/* What device name was made with; -ENODEV when there is no such link,
 * -EMEDIUMTYPE when it is not a VXLAN device. */
int nl_vxlan_get(struct nl *nl, const char *name, struct nl_vxlan *out);

/* ---- addresses ---- */

/* The link holding address ip (any prefix length): the host's MTU and the
 * VXLAN parent come from it. -ENOENT when no link holds it. */
int nl_addr_owner(struct nl *nl, const struct ip_addr *ip, struct nl_link *out);

/* NL_ADDR_NODAD: IPv6 address usable at once, without duplicate address
 * detection (a workload's /128 is unique by IPAM, and DAD would delay it ~1 s). */
#define NL_ADDR_NODAD 0x1u

int nl_addr_add(struct nl *nl, const char *ifname, const struct cidr *addr, unsigned flags);
int nl_addr_del(struct nl *nl, const char *ifname, const struct cidr *addr);

/* ---- routes ---- */

enum nl_route_type { NL_RT_UNICAST, NL_RT_BLACKHOLE };

struct nl_route {
	struct cidr dst;            /* 0.0.0.0/0 or ::/0 for a default route */
	bool has_gw;
	struct ip_addr gw;
	char ifname[IFNAMSIZ];      /* "" = none, or use ifindex */
	int ifindex;                /* used when ifname is ""; filled by nl_route_list */
	enum nl_route_type type;
	bool scope_link;            /* scope link, else universe */
	bool onlink;                /* gateway reachable on the device without a covering route */
	uint8_t proto;
	uint32_t table;             /* 0 = main */
};

struct nl_route_list {
	struct nl_route *items;
	size_t n;
};

/* replace: NLM_F_REPLACE (take over an existing route to the same
 * destination); otherwise an existing route gives -EEXIST. */
int nl_route_add(struct nl *nl, const struct nl_route *route, bool replace);
/* Deletes the route matching dst, table and (when non-zero) proto, device and gateway. */
int nl_route_del(struct nl *nl, const struct nl_route *route);
/* Routes of one family (4, 6, or 0 for both) in route->table (0 = main) whose
 * protocol is proto (< 0: any). Device names are filled in. */
int nl_route_list(struct nl *nl, int family, int proto, uint32_t table, struct nl_route_list *out);
void nl_route_list_free(struct nl_route_list *list);
/* One line, `ip route` style: "10.65.1.2/32 dev cali1 scope link proto 80". */
char *nl_route_format(const struct nl_route *route, char *buf, size_t len);

/* Builders for the routes the dataplane uses. */
/* <ip>/32 (/128) dev ifname scope link proto CALICO_RT_PROTO: host -> workload. */
void nl_route_workload(struct nl_route *r, const struct ip_addr *ip, const char *ifname);
/* blackhole <dst> proto CALICO_RT_PROTO: an aggregate (a pool's block) we export by BGP. */
void nl_route_blackhole(struct nl_route *r, const struct cidr *dst);
/* <dst> via <gw> dev ifname onlink proto CALICO_RT_PROTO: a remote block over VXLAN. */
void nl_route_via_onlink(struct nl_route *r, const struct cidr *dst, const struct ip_addr *gw,
			 const char *ifname);

/* Inside a workload: IPv4 "169.254.1.1 dev IF scope link" + "default via
 * 169.254.1.1 dev IF"; IPv6 "default via fe80::ecee:eeff:feee:eeee dev IF".
 * family is 4 or 6. Either both IPv4 routes exist afterwards or neither. */
int nl_route_workload_defaults(struct nl *nl, const char *ifname, int family);

/* ---- neighbours and bridge fdb (VXLAN) ---- */

/* "ip neigh replace IP lladdr MAC dev IF nud permanent" */
int nl_neigh_add(struct nl *nl, const char *ifname, const struct ip_addr *ip, const uint8_t mac[6]);
int nl_neigh_del(struct nl *nl, const char *ifname, const struct ip_addr *ip);
/* "bridge fdb append MAC dev IF dst DST" (a VXLAN device's remote VTEP). */
int nl_fdb_append(struct nl *nl, const char *ifname, const uint8_t mac[6], const struct ip_addr *dst);
int nl_fdb_del(struct nl *nl, const char *ifname, const uint8_t mac[6], const struct ip_addr *dst);

struct nl_neigh {
	struct ip_addr ip;  /* the neighbour; for an fdb entry its remote VTEP (family 0: none) */
	uint8_t mac[6];
	bool has_mac;
	uint16_t state;     /* NUD_* */
	uint8_t flags;      /* NTF_* */
};

struct nl_neigh_list {
	struct nl_neigh *items;
	size_t n;
};

/* IPv4 and IPv6 neighbours of ifname, in kernel order. */
int nl_neigh_list(struct nl *nl, const char *ifname, struct nl_neigh_list *out);
/* Bridge fdb entries of ifname (a VXLAN device's: MAC -> remote VTEP). */
int nl_fdb_list(struct nl *nl, const char *ifname, struct nl_neigh_list *out);
void nl_neigh_list_free(struct nl_neigh_list *list);

#endif
