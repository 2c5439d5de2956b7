/* calicoctl container <C> ip (add|remove) <IP>: one more (or one less) address
 * on a container calicoctl attached, in IPAM, in both namespaces and in the
 * endpoint record, all or nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_addr.h"
#include "container_target.h"
#include "ctl.h"
#include "endpoint_edit.h"
#include "ipam/ipam.h"
#include "netlink/net_sysctl.h"
#include "netlink/netns.h"
#include "netlink/nl.h"
#include "util/nodename.h"
#include "profile_edit.h"

int container_ip(const struct container_target *t, bool add, const char *ip_text, const char *cif);

struct net_edit {
	struct cidr net;
	bool add;
};

static int nets_apply(struct endpoint *e, void *arg)
{
	struct net_edit *ne = arg;
	bool v6 = ne->net.addr.family == 6;
	struct cidr **nets = v6 ? &e->ipv6_nets : &e->ipv4_nets;
	size_t *n = v6 ? &e->n_ipv6_nets : &e->n_ipv4_nets;
	for (size_t i = 0; i < *n; i++) {
		if (ip_cmp(&(*nets)[i].addr, &ne->net.addr) != 0)
			continue;
		if (ne->add)
			return EDIT_NOCHANGE;
		memmove(&(*nets)[i], &(*nets)[i + 1], (*n - i - 1) * sizeof(**nets));
		(*n)--;
		return EDIT_WRITE;
	}
	if (!ne->add)
		return EDIT_NOCHANGE;
	struct cidr *grown = realloc(*nets, (*n + 1) * sizeof(**nets));
	if (!grown) {
		ctl_error("Error: out of memory");
		return -ENOMEM;
	}
	grown[(*n)++] = ne->net;
	*nets = grown;
	return EDIT_WRITE;
}

static bool endpoint_has(const struct endpoint *e, const struct ip_addr *ip)
{
	const struct cidr *nets = ip->family == 6 ? e->ipv6_nets : e->ipv4_nets;
	size_t n = ip->family == 6 ? e->n_ipv6_nets : e->n_ipv4_nets;
	for (size_t i = 0; i < n; i++)
		if (ip_cmp(&nets[i].addr, ip) == 0)
			return true;
	return false;
}

/* The address inside the container (and its default routes when it is the
 * first of its family), then the host's route and sysctls. */
static int plumb(const struct container_target *t, const struct endpoint *e, const struct cidr *net, const char *cif,
		 char *err, size_t errlen)
{
	struct nl *in = NULL, *host = NULL;
	struct nl_route route;
	bool first = (net->addr.family == 4 ? e->n_ipv4_nets : e->n_ipv6_nets) == 0;
	bool addr_added = false;
	int fd = netns_open(t->nspath), rc;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open network namespace %s: %s", t->nspath, strerror(-fd));
		return fd;
	}
	if ((rc = nl_open(&in, fd, err, errlen)) < 0 || (rc = nl_open(&host, -1, err, errlen)) < 0)
		goto out;
	if ((rc = nl_addr_add(in, cif, net, NL_ADDR_NODAD)) < 0)
		goto nl_fail_in;
	addr_added = true;
	if (first && (rc = nl_route_workload_defaults(in, cif, net->addr.family)) < 0)
		goto nl_fail_in;
	if (first && (rc = net_sysctl_workload_host(-1, e->name, net->addr.family == 4, net->addr.family == 6, err,
						    errlen)) < 0)
		goto undo;
	nl_route_workload(&route, &net->addr, e->name);
	if ((rc = nl_route_add(host, &route, false)) < 0) {
		snprintf(err, errlen, "%s", nl_strerror(host));
		goto undo;
	}
	goto out;
nl_fail_in:
	snprintf(err, errlen, "%s", nl_strerror(in));
undo:
	if (addr_added)
		nl_addr_del(in, cif, net);
out:
	nl_close(in);
	nl_close(host);
	close(fd);
	return rc;
}

/* Best effort: the route goes with the veth anyway, the address with the namespace. */
static void unplumb(const struct container_target *t, const struct endpoint *e, const struct cidr *net,
		    const char *cif)
{
	struct nl *nl = NULL;
	struct nl_route route;
	if (nl_open(&nl, -1, NULL, 0) == 0) {
		nl_route_workload(&route, &net->addr, e->name);
		nl_route_del(nl, &route);
		nl_close(nl);
	}
	int fd = netns_open(t->nspath);
	if (fd >= 0 && nl_open(&nl, fd, NULL, 0) == 0) {
		nl_addr_del(nl, cif, net);
		nl_close(nl);
	}
	if (fd >= 0)
		close(fd);
}

int container_ip(const struct container_target *t, bool add, const char *ip_text, const char *cif)
{
	struct addr_request req;
	struct endpoint_entry e;
	char host[HOSTNAME_MAX + 1], handle[64], err[512], text[IP_STR_MAX];
	struct net_edit ne = { .add = add };
	struct ds *ds;
	int status = 1;

	if (addr_request_parse(ip_text, &req))
		return 1;
	if (!add && !req.exact)
		return ctl_error("%s is not a valid IP address.", ip_text);
	if (!(ds = ctl_ds()) || ctl_local_host(host, sizeof(host)))
		return 1;
	int rc = container_endpoint_find(ds, host, t, &e);
	if (rc == -ENOENT)
		return ctl_error("Container %s has no Calico networking.", t->arg);
	if (rc)
		return 1;
	container_handle(e.ref.id, handle, sizeof(handle));
	if (!add) {
		if (!endpoint_has(&e.ep, &req.ip)) {
			ctl_error("IP %s is not assigned to %s.", ip_format(&req.ip, text), t->arg);
			goto out;
		}
		ne.net = (struct cidr){ .addr = req.ip, .prefix = req.ip.family == 4 ? 32 : 128 };
		if (ctl_endpoint_edit(&e.ref, nets_apply, &ne, NULL))
			goto out;
		unplumb(t, &e.ep, &ne.net, cif);
		if (ipam_release(ds, &req.ip, 1, NULL, err, sizeof(err)) < 0)
			ctl_error("Warning: could not release %s: %s", ip_format(&req.ip, text), err);
		printf("IP %s removed from %s\n", ip_format(&req.ip, text), t->arg);
		status = 0;
		goto out;
	}
	if (req.exact && endpoint_has(&e.ep, &req.ip)) {
		ctl_error("IP %s is already assigned to %s.", ip_format(&req.ip, text), t->arg);
		goto out;
	}
	if (container_target_check_exists(t) || addr_request_assign(ds, &req, handle, host, NULL, &ne.net.addr))
		goto out;
	ne.net.prefix = ne.net.addr.family == 4 ? 32 : 128;
	if (plumb(t, &e.ep, &ne.net, cif, err, sizeof(err)) < 0) {
		ctl_error("Error: %s", err);
	} else if (ctl_endpoint_edit(&e.ref, nets_apply, &ne, NULL) == 0) {
		printf("IP %s added to %s\n", ip_format(&ne.net.addr, text), t->arg);
		status = 0;
		goto out;
	} else {
		unplumb(t, &e.ep, &ne.net, cif);
	}
	if (ipam_release(ds, &ne.net.addr, 1, NULL, err, sizeof(err)) < 0)
		ctl_error("Error: could not release %s again: %s", ip_format(&ne.net.addr, text), err);
out:
	endpoint_free(&e.ep);
	return status;
}
