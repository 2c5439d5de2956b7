/* workload_attach / workload_detach: the per-endpoint dataplane plumbing. */
#include "workload/workload_net.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "netlink/net_sysctl.h"
#include "netlink/netns.h"
#include "netlink/nl.h"

#define HOST_PREFIX "cali"
#define ID_CHARS    (IFNAMSIZ - 1 - (sizeof(HOST_PREFIX) - 1))

int workload_host_ifname(const char *endpoint_id, char out[IFNAMSIZ])
{
	if (!endpoint_id || !endpoint_id[0])
		return -EINVAL;
	for (const char *p = endpoint_id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return -EINVAL;
	snprintf(out, IFNAMSIZ, HOST_PREFIX "%.*s", (int)ID_CHARS, endpoint_id);
	return 0;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* Everything inside the workload's namespace, through its own handle. */
static int setup_container(struct nl *nl, const char *ifname, const struct ip_addr *addrs,
			   size_t n_addrs, bool has_v4, bool has_v6)
{
	int rc;

	for (size_t i = 0; i < n_addrs; i++) {
		struct cidr a = { addrs[i], addrs[i].family == 4 ? 32 : 128 };
		if ((rc = nl_addr_add(nl, ifname, &a, addrs[i].family == 6 ? NL_ADDR_NODAD : 0)) < 0)
			return rc;
	}
	if (has_v4 && (rc = nl_route_workload_defaults(nl, ifname, 4)) < 0)
		return rc;
	if (has_v6 && (rc = nl_route_workload_defaults(nl, ifname, 6)) < 0)
		return rc;
	return 0;
}

static int add_host_routes(struct nl *nl, const char *ifname, const struct ip_addr *addrs,
			   size_t n_addrs)
{
	struct nl_route r;
	int rc;

	for (size_t i = 0; i < n_addrs; i++) {
		nl_route_workload(&r, &addrs[i], ifname);
		/* Not replace: a route to this address through another interface
		 * means it is in use, and taking it over would cut off that workload. */
		if ((rc = nl_route_add(nl, &r, false)) < 0)
			return rc;
	}
	return 0;
}

int workload_attach(const char *netns_path, const char *host_ifname, const char *container_ifname,
		    const struct ip_addr *addrs, size_t n_addrs, unsigned mtu, char *err, size_t errlen)
{
	struct nl *host = NULL, *cont = NULL;
	bool has_v4 = false, has_v6 = false, made = false;
	char msg[NL_ERR_MAX] = "";
	int ns_fd = -1, rc;

	for (size_t i = 0; i < n_addrs; i++) {
		if (addrs[i].family == 4) {
			has_v4 = true;
		} else if (addrs[i].family == 6) {
			has_v6 = true;
		} else {
			snprintf(msg, sizeof(msg), "cannot attach %s: address %zu has no family", host_ifname, i);
			rc = -EINVAL;
			goto out;
		}
	}
	if (netns_path && (ns_fd = netns_open(netns_path)) < 0) {
		rc = ns_fd;
		snprintf(msg, sizeof(msg), "cannot open network namespace %s: %s", netns_path, strerror(-rc));
		goto out;
	}
	if ((rc = nl_open(&host, -1, msg, sizeof(msg))) < 0 ||
	    (netns_path && (rc = nl_open(&cont, ns_fd, msg, sizeof(msg))) < 0))
		goto out;

	if ((rc = nl_veth_create_peer_down(host, host_ifname, container_ifname, ns_fd, mtu)) < 0) {
		set_err(msg, sizeof(msg), nl_strerror(host));
		goto out;
	}
	made = true;
	/* The host end's settings before its peer comes up: its IPv6
	 * link-local (the workload's gateway) is made at carrier, and must be
	 * made without duplicate address detection (see net_sysctl.c).
	 * IPv4 settings always: proxy ARP and rp_filter are what keep a v6-only
	 * workload from using the host as an IPv4 router, too. */
	if ((rc = net_sysctl_workload_host(-1, host_ifname, true, has_v6, msg, sizeof(msg))) < 0)
		goto out;
	if ((rc = nl_veth_peer_up(host, container_ifname, ns_fd)) < 0) {
		set_err(msg, sizeof(msg), nl_strerror(host));
		goto out;
	}
	if (cont && (rc = setup_container(cont, container_ifname, addrs, n_addrs, has_v4, has_v6)) < 0) {
		set_err(msg, sizeof(msg), nl_strerror(cont));
		goto out;
	}
	if ((rc = add_host_routes(host, host_ifname, addrs, n_addrs)) < 0) {
		set_err(msg, sizeof(msg), nl_strerror(host));
		goto out;
	}
	rc = 0;
out:
	/* Deleting the host end takes the peer, its addresses and every route
	 * through either end with it: one call undoes the lot. */
	if (rc < 0 && made && nl_link_del(host, host_ifname) < 0)
		log_warn("workload: cleanup after failed attach: %s", nl_strerror(host));
	if (rc < 0)
		set_err(err, errlen, msg);
	nl_close(cont);
	nl_close(host);
	if (ns_fd >= 0)
		close(ns_fd);
	return rc;
}

int workload_verify(const char *netns_path, const char *host_ifname, const char *container_ifname,
		    const struct ip_addr *addrs, size_t n_addrs, char mac[18], char *err, size_t errlen)
{
	struct nl *host = NULL, *cont = NULL;
	struct nl_link hl, cl, owner;
	char msg[NL_ERR_MAX] = "", a[IP_STR_MAX];
	int ns_fd = -1, rc;

	mac[0] = '\0';
	if ((rc = nl_open(&host, -1, msg, sizeof(msg))) < 0)
		goto out;
	if (nl_link_get(host, host_ifname, &hl) < 0) {
		snprintf(msg, sizeof(msg), "host interface %s is missing", host_ifname);
		rc = -ENODEV;
		goto out;
	}
	if ((ns_fd = netns_open(netns_path)) < 0) {
		snprintf(msg, sizeof(msg), "cannot open network namespace %s: %s", netns_path, strerror(-ns_fd));
		rc = -ENOENT;
		goto out;
	}
	if ((rc = nl_open(&cont, ns_fd, msg, sizeof(msg))) < 0)
		goto out;
	if (nl_link_get(cont, container_ifname, &cl) < 0) {
		snprintf(msg, sizeof(msg), "%s has no interface %s", netns_path, container_ifname);
		rc = -ENOENT;
		goto out;
	}
	/* Interface indexes are per namespace, so one direction could match
	 * by chance; a veth pair names each other both ways. */
	if (!hl.has_link_netnsid || !cl.has_link_netnsid || hl.link != cl.ifindex || cl.link != hl.ifindex) {
		snprintf(msg, sizeof(msg), "interface %s in %s is not the peer of %s", container_ifname, netns_path,
			 host_ifname);
		rc = -EXDEV;
		goto out;
	}
	for (size_t i = 0; i < n_addrs; i++) {
		if (nl_addr_owner(cont, &addrs[i], &owner) < 0 || owner.ifindex != cl.ifindex) {
			snprintf(msg, sizeof(msg), "address %s is not on %s in %s", ip_format(&addrs[i], a),
				 container_ifname, netns_path);
			rc = -EADDRNOTAVAIL;
			goto out;
		}
	}
	if (cl.has_mac)
		snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", cl.mac[0], cl.mac[1], cl.mac[2], cl.mac[3],
			 cl.mac[4], cl.mac[5]);
	rc = 0;
out:
	if (rc < 0)
		set_err(err, errlen, msg);
	nl_close(cont);
	nl_close(host);
	if (ns_fd >= 0)
		close(ns_fd);
	return rc;
}

int workload_detach(const char *host_ifname, char *err, size_t errlen)
{
	struct nl *nl;
	int rc;

	if ((rc = nl_open(&nl, -1, err, errlen)) < 0)
		return rc;
	if ((rc = nl_link_del(nl, host_ifname)) < 0)
		set_err(err, errlen, nl_strerror(nl));
	nl_close(nl);
	return rc;
}
