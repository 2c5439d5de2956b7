/* Programs the VXLAN overlay (vxlan.h): read the kernel, fix the difference. */
#include "vxlan.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "netlink/nl.h"
#include "agent/vxlan_calc.h"

/* The first error of a round is the one reported. */
struct round {
	struct nl *nl;
	char err[512];
	size_t changes;
};

static void note(struct round *r, const char *what)
{
	if (!r->err[0])
		snprintf(r->err, sizeof(r->err), "%s", what);
}

/* One change made (counted) or refused (its error noted). */
static void count(struct round *r, int rc)
{
	if (rc < 0)
		note(r, nl_strerror(r->nl));
	else
		r->changes++;
}

/* One removal: what is already gone is neither an error nor a change. */
static void count_del(struct round *r, int rc)
{
	if (rc < 0 && rc != -ENOENT && rc != -ESRCH)
		note(r, nl_strerror(r->nl));
	else if (rc == 0)
		r->changes++;
}

static bool same_spec(const struct nl_vxlan *have, const struct nl_vxlan *want)
{
	return have->vni == want->vni && have->port == want->port && ip_cmp(&have->local, &want->local) == 0 &&
	       have->link == want->link && memcmp(have->mac, want->mac, 6) == 0 && have->learning == want->learning;
}

/* Whether the device exists (as wanted) once this returns. */
static bool sync_device(struct round *r, const struct vxlan_desired *d)
{
	struct nl_vxlan have, want = { .name = VXLAN_IFNAME, .vni = VXLAN_VNI, .port = VXLAN_PORT };
	struct nl_link parent;
	int rc = nl_vxlan_get(r->nl, VXLAN_IFNAME, &have);
	bool exists = rc == 0;

	if (rc < 0 && rc != -ENODEV) {
		/* -EMEDIUMTYPE: somebody else's device of that name; never ours to delete. */
		note(r, nl_strerror(r->nl));
		return false;
	}
	if (!d->device) {
		if (exists) {
			/* routes, neighbours and fdb entries go with it */
			if (nl_link_del(r->nl, VXLAN_IFNAME) < 0)
				note(r, nl_strerror(r->nl));
			else {
				log_info("vxlan: no VXLAN pool left: removed %s", VXLAN_IFNAME);
				r->changes++;
			}
		}
		return false;
	}
	if (nl_addr_owner(r->nl, &d->local, &parent) < 0) {
		note(r, nl_strerror(r->nl));
		return exists;
	}
	want.local = d->local;
	want.link = parent.ifindex;
	memcpy(want.mac, d->mac, 6);
	want.mtu = parent.mtu > VXLAN_OVERHEAD + 68 ? parent.mtu - VXLAN_OVERHEAD : 68;
	if (exists && !same_spec(&have, &want)) {
		log_info("vxlan: %s does not match this host (address or parent changed): re-creating it", VXLAN_IFNAME);
		if (nl_link_del(r->nl, VXLAN_IFNAME) < 0) {
			note(r, nl_strerror(r->nl));
			return false;
		}
		exists = false;
		r->changes++;
	}
	if (!exists) {
		if (nl_vxlan_create(r->nl, &want) < 0) {
			note(r, nl_strerror(r->nl));
			return false;
		}
		char ip[IP_STR_MAX];
		log_info("vxlan: created %s (VNI %d, port %d, local %s on %s, MTU %u)", VXLAN_IFNAME, VXLAN_VNI, VXLAN_PORT,
			 ip_format(&d->local, ip), parent.name, want.mtu);
		r->changes++;
		return true;
	}
	if (have.mtu != want.mtu)
		count(r, nl_link_set_mtu(r->nl, VXLAN_IFNAME, want.mtu));
	if (!have.up)
		count(r, nl_link_set_up(r->nl, VXLAN_IFNAME, true));
	return true;
}

static bool route_is(const struct nl_route *rt, const struct vxlan_route *w)
{
	return rt->type == NL_RT_UNICAST && rt->has_gw && ip_cmp(&rt->gw, &w->via) == 0 &&
	       ip_cmp(&rt->dst.addr, &w->dst.addr) == 0 && rt->dst.prefix == w->dst.prefix;
}

static void sync_routes(struct round *r, const struct vxlan_desired *d)
{
	struct nl_route_list have;

	if (nl_route_list(r->nl, 4, CALICO_RT_PROTO, 0, &have) < 0) {
		note(r, nl_strerror(r->nl));
		return;
	}
	for (size_t i = 0; i < d->n_routes; i++) {
		bool present = false;
		for (size_t k = 0; k < have.n && !present; k++)
			present = strcmp(have.items[k].ifname, VXLAN_IFNAME) == 0 && route_is(&have.items[k], &d->routes[i]);
		if (present)
			continue;
		struct nl_route rt;
		nl_route_via_onlink(&rt, &d->routes[i].dst, &d->routes[i].via, VXLAN_IFNAME);
		/* replace: takes over a stale route to the same destination */
		count(r, nl_route_add(r->nl, &rt, true));
	}
	for (size_t k = 0; k < have.n; k++) {
		struct nl_route *rt = &have.items[k];
		bool wanted = false;
		if (strcmp(rt->ifname, VXLAN_IFNAME) != 0)
			continue;
		for (size_t i = 0; i < d->n_routes && !wanted; i++)
			wanted = route_is(rt, &d->routes[i]);
		if (wanted)
			continue;
		count_del(r, nl_route_del(r->nl, rt));
	}
	nl_route_list_free(&have);
}

static const struct vxlan_peer *peer_of(const struct vxlan_desired *d, const struct ip_addr *ip)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (ip_cmp(&d->peers[i].ip, ip) == 0)
			return &d->peers[i];
	return NULL;
}

static void sync_neighbours(struct round *r, const struct vxlan_desired *d)
{
	struct nl_neigh_list have;

	if (nl_neigh_list(r->nl, VXLAN_IFNAME, &have) < 0) {
		note(r, nl_strerror(r->nl));
		return;
	}
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct vxlan_peer *p = &d->peers[i];
		bool present = false;
		for (size_t k = 0; k < have.n && !present; k++) {
			const struct nl_neigh *n = &have.items[k];
			present = ip_cmp(&n->ip, &p->ip) == 0 && n->has_mac && memcmp(n->mac, p->mac, 6) == 0 &&
				  (n->state & NUD_PERMANENT);
		}
		if (present)
			continue;
		count(r, nl_neigh_add(r->nl, VXLAN_IFNAME, &p->ip, p->mac)); /* replaces */
	}
	for (size_t k = 0; k < have.n; k++) {
		const struct nl_neigh *n = &have.items[k];
		/* IPv4 only: the kernel keeps its own IPv6 multicast entries here */
		if (n->ip.family != 4 || peer_of(d, &n->ip))
			continue;
		count_del(r, nl_neigh_del(r->nl, VXLAN_IFNAME, &n->ip));
	}
	nl_neigh_list_free(&have);
}

static void sync_fdb(struct round *r, const struct vxlan_desired *d)
{
	struct nl_neigh_list have;

	if (nl_fdb_list(r->nl, VXLAN_IFNAME, &have) < 0) {
		note(r, nl_strerror(r->nl));
		return;
	}
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct vxlan_peer *p = &d->peers[i];
		bool present = false;
		for (size_t k = 0; k < have.n && !present; k++) {
			const struct nl_neigh *n = &have.items[k];
			present = n->has_mac && memcmp(n->mac, p->mac, 6) == 0 && ip_cmp(&n->ip, &p->ip) == 0;
		}
		if (present)
			continue;
		count(r, nl_fdb_append(r->nl, VXLAN_IFNAME, p->mac, &p->ip));
	}
	for (size_t k = 0; k < have.n; k++) {
		const struct nl_neigh *n = &have.items[k];
		const struct vxlan_peer *p;
		if (!n->has_mac || n->ip.family != 4)
			continue;
		if ((p = peer_of(d, &n->ip)) && memcmp(p->mac, n->mac, 6) == 0)
			continue;
		count_del(r, nl_fdb_del(r->nl, VXLAN_IFNAME, n->mac, &n->ip));
	}
	nl_neigh_list_free(&have);
}

void vxlan_syncer_sync(struct vxlan_syncer *v, struct nl *nl, const struct node_cache *c, const char *host)
{
	struct vxlan_desired d;
	struct round r = { .nl = nl };

	if (!nl)
		return;
	if (vxlan_calc(c, host, &d) < 0) {
		note(&r, "computing the VXLAN overlay: out of memory");
	} else {
		if (d.problem[0])
			note(&r, d.problem);
		if (sync_device(&r, &d)) {
			sync_routes(&r, &d);
			sync_neighbours(&r, &d);
			sync_fdb(&r, &d);
		}
	}
	vxlan_desired_free(&d);
	if (r.changes)
		log_debug("vxlan: %zu change(s)", r.changes);
	v->changes += r.changes;
	if (strcmp(r.err, v->problem) != 0) {
		if (r.err[0])
			log_warn("vxlan: %s", r.err);
		else
			log_info("vxlan: overlay in sync again");
		snprintf(v->problem, sizeof(v->problem), "%s", r.err);
	}
}
