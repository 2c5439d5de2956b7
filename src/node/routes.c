/* Routes and sysctls for local endpoints (routes.h). */
#include "routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "netlink/net_sysctl.h"
#include "netlink/nl.h"

int route_syncer_open(struct route_syncer *r)
{
	char err[NL_ERR_MAX];
	memset(r, 0, sizeof(*r));
	int rc = nl_open(&r->nl, -1, err, sizeof(err));
	if (rc < 0)
		log_error("netlink: %s", err);
	return rc;
}

void route_syncer_close(struct route_syncer *r)
{
	if (r->nl)
		nl_close(r->nl);
	free(r->configured);
	memset(r, 0, sizeof(*r));
}

static const struct nl_link *find_link(const struct nl_link_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	return NULL;
}

static bool configured(const struct route_syncer *r, int ifindex)
{
	for (size_t i = 0; i < r->n_configured; i++)
		if (r->configured[i] == ifindex)
			return true;
	return false;
}

/* Sysctls once per interface incarnation; forgets interfaces that are gone. */
static int sysctls(struct route_syncer *r, const struct dp_state *st, const struct nl_link_list *links,
		   const bool *present, char *err, size_t errlen)
{
	int *now = calloc(links->n ? links->n : 1, sizeof(*now)), rc = 0;
	size_t n = 0;

	if (!now)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_endpoints; i++) {
		const struct endpoint *e = &st->endpoints[i];
		const struct nl_link *l = present[i] ? find_link(links, e->name) : NULL;
		int one;
		if (!l)
			continue;
		if (!configured(r, l->ifindex)) {
			one = net_sysctl_workload_host(-1, e->name, true, e->n_ipv6_nets > 0, err, errlen);
			if (one < 0) {
				rc = one;
				continue; /* tried again next round */
			}
		}
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= now[k] == l->ifindex;
		if (!dup && n < links->n)
			now[n++] = l->ifindex;
	}
	free(r->configured);
	r->configured = now;
	r->n_configured = n;
	return rc;
}

static bool route_wanted(const struct dp_state *st, const bool *present, const struct nl_route *rt)
{
	for (size_t i = 0; i < st->n_endpoints; i++) {
		const struct endpoint *e = &st->endpoints[i];
		if (!present[i] || strcmp(e->name, rt->ifname) != 0)
			continue;
		const struct cidr *nets[2] = { e->ipv4_nets, e->ipv6_nets };
		size_t ns[2] = { e->n_ipv4_nets, e->n_ipv6_nets };
		for (size_t f = 0; f < 2; f++)
			for (size_t k = 0; k < ns[f]; k++)
				if (ip_cmp(&nets[f][k].addr, &rt->dst.addr) == 0 &&
				    rt->dst.prefix == (nets[f][k].addr.family == 4 ? 32 : 128))
					return true;
	}
	return false;
}

static bool route_present(const struct nl_route_list *have, const struct ip_addr *ip, const char *ifname)
{
	for (size_t i = 0; i < have->n; i++) {
		const struct nl_route *rt = &have->items[i];
		if (rt->type == NL_RT_UNICAST && !rt->has_gw && strcmp(rt->ifname, ifname) == 0 &&
		    ip_cmp(&rt->dst.addr, ip) == 0 && rt->dst.prefix == (ip->family == 4 ? 32 : 128))
			return true;
	}
	return false;
}

/* The workloads' IPv4 gateway 169.254.1.1 exists nowhere: the host answers
 * their ARP for it by proxy ARP on each cali interface. The kernel answers a
 * proxy ARP request only for a target it can route as unicast out of another
 * interface than the one asking, which is why Calico hosts need a default
 * route; a host whose default route comes by BGP (or that has none) leaves
 * every workload unable to send its first packet. So the agent holds a route
 * of its own for exactly that address, "169.254.1.1/32 dev lo scope link
 * proto 80": lo is never a cali interface, so every cali gets its answer
 * whatever else the routing table holds.
 *
 * Why here, and not a permanent neighbour entry inside each workload: Docker
 * configures the container side itself from the Join answer (and a neighbour
 * entry would not survive its move into the container), and workloads made
 * before an upgrade would keep the old state; one host route covers every
 * door at once. A route via one cali interface would not do: the kernel
 * refuses to proxy back out of the interface that asked, and there is only
 * one /32 per table. Nothing is ever sent to 169.254.1.1 (it is only resolved
 * as a gateway), so the route carries no traffic; IPv6 needs none, its
 * gateway being the host veth's own link-local address. An administrator's
 * route to the same /32 is left alone (-EEXIST). */
static int ensure_gateway_route(struct route_syncer *r, const struct nl_route_list *have, size_t *changes)
{
	struct ip_addr gw;
	struct nl_route rt;
	int rc;

	ip_parse(CALICO_GW_V4, &gw); /* a constant: cannot fail */
	for (size_t i = 0; i < have->n; i++)
		if (have->items[i].dst.addr.family == 4 && have->items[i].dst.prefix == 32 &&
		    ip_cmp(&have->items[i].dst.addr, &gw) == 0)
			return 0;
	nl_route_workload(&rt, &gw, "lo");
	rc = nl_route_add(r->nl, &rt, false);
	if (rc == -EEXIST)
		return 0;
	if (rc < 0)
		return rc;
	log_info("route %s: proxy ARP answers for the workloads' gateway whatever the host's routes", CALICO_GW_V4);
	(*changes)++;
	return 0;
}

int route_syncer_sync(struct route_syncer *r, const struct dp_state *st, bool *present, size_t *changes, char *err,
		      size_t errlen)
{
	struct nl_link_list links = { 0 };
	struct nl_route_list have = { 0 };
	size_t plen = strlen(st->iface_prefix);
	int rc, first = 0;

	*changes = 0;
	err[0] = '\0';
	if ((rc = nl_link_list_prefix(r->nl, st->iface_prefix, &links)) < 0) {
		snprintf(err, errlen, "%s", nl_strerror(r->nl));
		return rc;
	}
	for (size_t i = 0; i < st->n_endpoints; i++)
		present[i] = find_link(&links, st->endpoints[i].name) != NULL;
	if ((rc = sysctls(r, st, &links, present, err, errlen)) < 0)
		first = rc;
	if ((rc = nl_route_list(r->nl, 0, CALICO_RT_PROTO, 0, &have)) < 0) {
		snprintf(err, errlen, "%s", nl_strerror(r->nl));
		goto out;
	}
	if ((rc = ensure_gateway_route(r, &have, changes)) < 0) {
		if (!first)
			snprintf(err, errlen, "%s", nl_strerror(r->nl));
		first = first ? first : rc;
	}
	for (size_t i = 0; i < st->n_endpoints; i++) {
		const struct endpoint *e = &st->endpoints[i];
		const struct cidr *nets[2] = { e->ipv4_nets, e->ipv6_nets };
		size_t ns[2] = { e->n_ipv4_nets, e->n_ipv6_nets };
		if (!present[i])
			continue;
		for (size_t f = 0; f < 2; f++)
			for (size_t k = 0; k < ns[f]; k++) {
				struct nl_route rt;
				if (route_present(&have, &nets[f][k].addr, e->name))
					continue;
				nl_route_workload(&rt, &nets[f][k].addr, e->name);
				if ((rc = nl_route_add(r->nl, &rt, true)) < 0) {
					if (!first)
						snprintf(err, errlen, "%s", nl_strerror(r->nl));
					first = first ? first : rc;
					continue;
				}
				(*changes)++;
			}
	}
	for (size_t i = 0; i < have.n; i++) {
		struct nl_route *rt = &have.items[i];
		if (rt->type != NL_RT_UNICAST || rt->has_gw || strncmp(rt->ifname, st->iface_prefix, plen) != 0 ||
		    route_wanted(st, present, rt))
			continue;
		if ((rc = nl_route_del(r->nl, rt)) < 0 && rc != -ESRCH && rc != -ENOENT) {
			if (!first)
				snprintf(err, errlen, "%s", nl_strerror(r->nl));
			first = first ? first : rc;
			continue;
		}
		(*changes)++;
	}
	rc = 0;
out:
	nl_route_list_free(&have);
	nl_link_list_free(&links);
	return rc < 0 ? rc : first;
}
