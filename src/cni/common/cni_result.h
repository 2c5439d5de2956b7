/* A CNI result: interfaces, addresses, routes. Encoded in the shape of the
 * requested spec version; decoded from any version's shape (an IPAM plugin's
 * answer, a CHECK's prevResult). Pure logic. */
#ifndef CALICO_CNI_RESULT_H
#define CALICO_CNI_RESULT_H

#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "cni_error.h"
#include "util/ipaddr.h"

#define CNI_MAX_IFACES 8
#define CNI_MAX_IPS    16
#define CNI_MAX_ROUTES 16

struct cni_iface {
	char name[IFNAMSIZ];
	char mac[18];            /* "" = none */
	char sandbox[PATH_MAX];  /* "" = a host interface */
	unsigned mtu;            /* 0 = none; written from 1.1.0 */
};

struct cni_ip {
	struct ip_addr addr;     /* the address itself, host bits kept */
	int prefix;              /* its prefix length: 10.0.0.5/24 */
	bool has_gw;
	struct ip_addr gw;
	int iface;               /* index into interfaces, -1 = none */
};

struct cni_route {
	struct cidr dst;
	bool has_gw;
	struct ip_addr gw;
};

struct cni_result {
	struct cni_iface ifaces[CNI_MAX_IFACES];
	size_t n_ifaces;
	struct cni_ip ips[CNI_MAX_IPS];
	size_t n_ips;
	struct cni_route routes[CNI_MAX_ROUTES];
	size_t n_routes;
};

/* The result as JSON text for version (a supported one): 0.1.0/0.2.0 keep the
 * first IPv4 and the first IPv6 address as "ip4"/"ip6", with the routes of
 * their family; 0.3.x/0.4.0 list "ips" with "version"; 1.x without it.
 * malloc'd; NULL on ENOMEM. */
char *cni_result_encode(const struct cni_result *r, const char *version);

/* Reads a result of any version's shape. Refusals are code 6 (decode) naming
 * the field. */
int cni_result_from_json(const json_t *o, struct cni_result *r, struct cni_error *e);
int cni_result_decode(const char *text, struct cni_result *r, struct cni_error *e);

/* "10.0.0.5/24" -> address and prefix, host bits kept. -EINVAL otherwise. */
int cni_addr_parse(const char *text, struct ip_addr *ip, int *prefix);

#endif
