/* CHECK: the attachment is still as ADD made it. Each finding names what is
 * wrong: the record, the IPAM plugin's view, the container's interface,
 * addresses and routes, the host's veth and routes, the prevResult the
 * runtime holds, and the agent's report that policy is programmed. */
#include "calico_cni.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "netlink/netns.h"
#include "netlink/nl.h"

static bool has_route(const struct nl_route_list *l, const struct nl_route *want)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct nl_route *r = &l->items[i];
		if (r->dst.prefix == want->dst.prefix && ip_cmp(&r->dst.addr, &want->dst.addr) == 0 &&
		    strcmp(r->ifname, want->ifname) == 0 && r->has_gw == want->has_gw &&
		    (!want->has_gw || ip_cmp(&r->gw, &want->gw) == 0))
			return true;
	}
	return false;
}

static int check_routes(struct cni_ctx *ctx, struct nl *nl, const char *where, const struct nl_route *want, size_t n)
{
	struct nl_route_list l = { 0 };
	char text[200];
	int rc = nl_route_list(nl, 0, -1, 0, &l);
	if (rc < 0)
		return cni_err(&ctx->err, CNI_ERR_IO, "listing routes in %s: %s", where, nl_strerror(nl));
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!has_route(&l, &want[i]))
			rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "route '%s' is missing in %s",
				     nl_route_format(&want[i], text, sizeof(text)), where);
	nl_route_list_free(&l);
	return rc;
}

/* Inside the container: the interface, each address on it, the routes. */
static int check_container(struct cni_ctx *ctx, const struct endpoint *ep)
{
	struct nl *nl = NULL;
	struct nl_link link, owner;
	struct nl_route want[3];
	size_t n_want = 0;
	char a[IP_STR_MAX], where[300];
	int rc, fd = netns_open(ctx->env.netns);

	if (fd < 0)
		return cni_err(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER, "CNI_NETNS %.200s: no network namespace there",
			       ctx->env.netns);
	snprintf(where, sizeof(where), "the container (%.200s)", ctx->env.netns);
	if ((rc = nl_open(&nl, fd, NULL, 0)) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_IO, "netlink in %s: %s", where, strerror(-rc));
		goto out;
	}
	if (nl_link_get(nl, ctx->env.ifname, &link) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "interface %s is missing in %s", ctx->env.ifname, where);
		goto out;
	}
	if (!(link.flags & IFF_UP)) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "interface %s is down in %s", ctx->env.ifname, where);
		goto out;
	}
	for (size_t i = 0; i < ep->n_ipv4_nets + ep->n_ipv6_nets; i++) {
		const struct cidr *c = i < ep->n_ipv4_nets ? &ep->ipv4_nets[i] : &ep->ipv6_nets[i - ep->n_ipv4_nets];
		if (nl_addr_owner(nl, &c->addr, &owner) < 0 || owner.ifindex != link.ifindex) {
			rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "address %s is missing on %s in %s",
				     ip_format(&c->addr, a), ctx->env.ifname, where);
			goto out;
		}
	}
	if (ep->n_ipv4_nets) {
		struct ip_addr gw;
		ip_parse(CALICO_GW_V4, &gw);
		want[n_want] = (struct nl_route){ .dst = { gw, 32 }, .scope_link = true };
		snprintf(want[n_want++].ifname, IFNAMSIZ, "%s", ctx->env.ifname);
		want[n_want] = (struct nl_route){ .dst = { { .family = 4 }, 0 }, .has_gw = true, .gw = gw };
		snprintf(want[n_want++].ifname, IFNAMSIZ, "%s", ctx->env.ifname);
	}
	if (ep->n_ipv6_nets) {
		want[n_want] = (struct nl_route){ .dst = { { .family = 6 }, 0 }, .has_gw = true };
		ip_parse(CALICO_GW_V6, &want[n_want].gw);
		snprintf(want[n_want++].ifname, IFNAMSIZ, "%s", ctx->env.ifname);
	}
	rc = check_routes(ctx, nl, where, want, n_want);
out:
	nl_close(nl);
	close(fd);
	return rc;
}

/* In the host: the veth and a route to each address through it. */
static int check_host(struct cni_ctx *ctx, const struct endpoint *ep)
{
	struct nl *nl = NULL;
	struct nl_link link;
	struct nl_route want[CNI_MAX_IPS];
	size_t n = 0;
	int rc;

	if ((rc = nl_open(&nl, -1, NULL, 0)) < 0)
		return cni_err(&ctx->err, CNI_ERR_IO, "netlink: %s", strerror(-rc));
	if (nl_link_get(nl, ep->name, &link) < 0 || !(link.flags & IFF_UP)) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "host interface %s is missing or down", ep->name);
		goto out;
	}
	for (size_t i = 0; i < ep->n_ipv4_nets + ep->n_ipv6_nets && n < CNI_MAX_IPS; i++) {
		const struct cidr *c = i < ep->n_ipv4_nets ? &ep->ipv4_nets[i] : &ep->ipv6_nets[i - ep->n_ipv4_nets];
		nl_route_workload(&want[n++], &c->addr, ep->name);
	}
	rc = check_routes(ctx, nl, "the host", want, n);
out:
	nl_close(nl);
	return rc;
}

/* The runtime's prevResult lists the same addresses as the record. */
static int check_prev_result(struct cni_ctx *ctx, const struct endpoint *ep)
{
	struct cni_result prev;
	char a[IP_STR_MAX];
	if (!ctx->conf.prev_result)
		return cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG, "CHECK needs \"prevResult\" in the network config");
	if (cni_result_from_json(ctx->conf.prev_result, &prev, &ctx->err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < prev.n_ips; i++) {
		bool found = false;
		for (size_t k = 0; k < ep->n_ipv4_nets + ep->n_ipv6_nets && !found; k++) {
			const struct cidr *c = k < ep->n_ipv4_nets ? &ep->ipv4_nets[k] : &ep->ipv6_nets[k - ep->n_ipv4_nets];
			found = ip_cmp(&c->addr, &prev.ips[i].addr) == 0;
		}
		if (!found)
			return cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "prevResult address %s is not on endpoint %s",
				       ip_format(&prev.ips[i].addr, a), ep->name);
	}
	if (prev.n_ips != ep->n_ipv4_nets + ep->n_ipv6_nets)
		return cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "prevResult lists %zu addresses, the endpoint holds %zu",
			       prev.n_ips, ep->n_ipv4_nets + ep->n_ipv6_nets);
	return 0;
}

int calico_check(struct cni_ctx *ctx)
{
	struct attachment a;
	struct ds_kv kv = { 0 };
	struct endpoint ep = { 0 };
	char msg[512], status[32];
	int rc;

	if ((rc = attachment_open(ctx, &a)) < 0)
		goto out;
	if ((rc = ds_get(a.ds, a.key, &kv)) == -ENOENT) {
		rc = cni_err(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER, "container %s has no endpoint for %s on network %s (host %s)",
			     ctx->env.container_id, ctx->env.ifname, ctx->conf.name, a.host);
		goto out;
	} else if (rc < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_TRY_AGAIN, "reading endpoint %s: %s", a.ep_id, ds_strerror(a.ds));
		goto out;
	}
	if ((rc = endpoint_decode(kv.value, &ep, msg, sizeof(msg))) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "endpoint record %s does not decode: %s", a.ep_id, msg);
		goto out;
	}
	if (ep.n_profile_ids < 1 || strcmp(ep.profile_ids[0], ctx->conf.name) != 0) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "endpoint %s is not in profile %s", a.ep_id, ctx->conf.name);
		goto out;
	}
	if ((rc = check_prev_result(ctx, &ep)) < 0 || (rc = attachment_ipam(ctx, CNI_CMD_CHECK, NULL)) < 0 ||
	    (rc = check_container(ctx, &ep)) < 0 || (rc = check_host(ctx, &ep)) < 0)
		goto out;
	if ((rc = attachment_status(&a, status, sizeof(status))) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_TRY_AGAIN, "reading the agent's status: %s", ds_strerror(a.ds));
		goto out;
	}
	if (strcmp(status, "up") != 0) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "policy of endpoint %s is not programmed (calico-node status: %s)",
			     a.ep_id, status[0] ? status : "none");
		goto out;
	}
	rc = 0;
out:
	endpoint_free(&ep);
	ds_kv_free(&kv);
	attachment_close(&a);
	return rc;
}
