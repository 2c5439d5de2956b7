/* ADD: addresses from the IPAM plugin, then the veth, the addresses and
 * routes and the endpoint record in one step (workload_create), then, when
 * asked, a wait until calico-node has programmed the endpoint's policy.
 * Any failure undoes what was done: IPAM DEL, veth and record removed. */
#include "calico_cni.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_exec.h"
#include "labels.h"
#include "util/log.h"
#include "netlink/netns.h"
#include "netlink/nl.h"
#include "store/profile_store.h"
#include "workload/workload.h"

/* What the runtime gets: the host veth, the container side, the /32s (/128s)
 * on it and the default routes through the link-local gateway. */
static void fill_result(struct cni_ctx *ctx, const struct attachment *a, const struct workload_made *m,
			const struct ip_addr *addrs, size_t n, unsigned mtu, struct cni_result *r)
{
	struct ip_addr gw4, gw6;
	bool v4 = false, v6 = false;

	memset(r, 0, sizeof(*r));
	ip_parse(CALICO_GW_V4, &gw4);
	ip_parse(CALICO_GW_V6, &gw6);
	snprintf(r->ifaces[0].name, sizeof(r->ifaces[0].name), "%s", a->host_ifname);
	snprintf(r->ifaces[0].mac, sizeof(r->ifaces[0].mac), "ee:ee:ee:ee:ee:ee");
	snprintf(r->ifaces[1].name, sizeof(r->ifaces[1].name), "%s", ctx->env.ifname);
	snprintf(r->ifaces[1].mac, sizeof(r->ifaces[1].mac), "%s", m->mac);
	snprintf(r->ifaces[1].sandbox, sizeof(r->ifaces[1].sandbox), "%s", ctx->env.netns);
	r->ifaces[0].mtu = r->ifaces[1].mtu = mtu;
	r->n_ifaces = 2;
	for (size_t i = 0; i < n && i < CNI_MAX_IPS; i++) {
		struct cni_ip *ip = &r->ips[r->n_ips++];
		ip->addr = addrs[i];
		ip->prefix = addrs[i].family == 4 ? 32 : 128;
		ip->has_gw = true;
		ip->gw = addrs[i].family == 4 ? gw4 : gw6;
		ip->iface = 1;
		v4 |= addrs[i].family == 4;
		v6 |= addrs[i].family == 6;
	}
	if (v4)
		r->routes[r->n_routes++] = (struct cni_route){ .dst = { .addr = { .family = 4 } }, .has_gw = true, .gw = gw4 };
	if (v6)
		r->routes[r->n_routes++] = (struct cni_route){ .dst = { .addr = { .family = 6 } }, .has_gw = true, .gw = gw6 };
}

static int ds_failure(struct cni_ctx *ctx, struct attachment *a, const char *what, int rc)
{
	return cni_err(&ctx->err, rc == -EIO || rc == -ETIMEDOUT || rc == -ECONNREFUSED ? CNI_ERR_TRY_AGAIN : CNI_ERR_INTERNAL,
		       "%s: %s", what, ds_strerror(a->ds));
}

static int ifname_taken(void *ifname)
{
	return if_nametoindex(ifname) ? -EEXIST : 0;
}

int calico_add(struct cni_ctx *ctx)
{
	struct attachment a = { 0 };
	struct cni_result ipam_res, res;
	struct workload_made made;
	struct label *labels = NULL;
	size_t n_labels = 0, n_addrs = 0;
	struct ip_addr addrs[CNI_MAX_IPS];
	struct endpoint_entry *found = NULL;
	size_t n_found = 0;
	bool ipam_done = false, wired = false;
	char msg[512], status[32], plugin[4096];
	unsigned mtu = ctx->conf.mtu;
	int rc, fd;

	/* Everything that can be refused without touching anything, first. */
	if ((rc = cni_labels_from_args(ctx->conf.args, &labels, &n_labels, &ctx->err)) < 0)
		goto out;
	if ((fd = netns_open(ctx->env.netns)) < 0) {
		rc = fd == -EINVAL ? cni_err(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER, "CNI_NETNS %.200s is not a network namespace",
					     ctx->env.netns)
				   : cni_err(&ctx->err, CNI_ERR_UNKNOWN_CONTAINER,
					     "CNI_NETNS %.200s: no network namespace there (%s)", ctx->env.netns, strerror(-fd));
		goto out;
	}
	close(fd);
	if ((rc = attachment_open(ctx, &a)) < 0)
		goto out;
	if (cni_find_plugin(ctx->conf.ipam.type, ctx->env.path ? ctx->env.path : "", plugin, sizeof(plugin)) < 0) {
		rc = strchr(ctx->conf.ipam.type, '/')
			     ? cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG,
				       "IPAM plugin \"%.64s\" is a path: give the name of a plugin in CNI_PATH",
				       ctx->conf.ipam.type)
			     : cni_err(&ctx->err, ctx->env.path ? CNI_ERR_INVALID_CONFIG : CNI_ERR_INVALID_ENV,
				       "IPAM plugin \"%.64s\" not found in CNI_PATH %.200s", ctx->conf.ipam.type,
				       ctx->env.path ? ctx->env.path : "(not set)");
		goto out;
	}
	/* One Calico interface per container: a second veth would need the same
	 * 169.254.1.1 routes on another device. */
	if ((rc = workload_find(a.ds, a.host, CNI_ORCH, ctx->env.container_id, &found, &n_found)) < 0) {
		rc = ds_failure(ctx, &a, "reading endpoints", rc);
		goto out;
	}
	if (n_found) {
		bool same = strcmp(found[0].ref.id, a.ep_id) == 0;
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "container %s already has %s (endpoint %s on network %s)%s",
			     ctx->env.container_id, same ? "this interface" : "a Calico interface", found[0].ref.id,
			     found[0].ep.n_profile_ids ? found[0].ep.profile_ids[0] : "?",
			     same ? "" : ": one Calico interface per container");
		goto out;
	}
	/* An interface of that name in the container would fail the veth
	 * only after IPAM: refuse it while nothing is taken. */
	if ((fd = netns_open(ctx->env.netns)) >= 0) {
		rc = netns_run(fd, ifname_taken, (void *)ctx->env.ifname);
		close(fd);
		if (rc == -EEXIST) {
			rc = cni_err(&ctx->err, CNI_ERR_INTERNAL,
				     "cannot create CNI_IFNAME %s in CNI_NETNS %.200s: File exists (an interface of that name is there)",
				     ctx->env.ifname, ctx->env.netns);
			goto out;
		}
	}
	log_debug("ADD: datastore open, no endpoint yet");
	if (!mtu && (rc = workload_mtu(a.ds, a.host, &mtu)) < 0) {
		rc = ds_failure(ctx, &a, "reading VethMtu", rc);
		goto out;
	}
	if ((rc = attachment_ipam(ctx, CNI_CMD_ADD, &ipam_res)) < 0)
		goto out;
	ipam_done = true;
	/* The network's profile, shared by every container on it (so not undone),
	 * made once IPAM said yes: a refused ADD leaves no profile behind. */
	if ((rc = profile_ensure(a.ds, ctx->conf.name)) < 0) {
		rc = ds_failure(ctx, &a, "creating profile", rc);
		goto out;
	}
	log_debug("ADD: profile %s and MTU %u ready", ctx->conf.name, mtu);
	for (size_t i = 0; i < ipam_res.n_ips; i++)
		addrs[n_addrs++] = ipam_res.ips[i].addr;
	if (n_addrs == 0) {
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "IPAM plugin %s returned no address", ctx->conf.ipam.type);
		goto out;
	}
	char *profiles[] = { (char *)ctx->conf.name };
	struct workload_spec spec = {
		.host = a.host, .orch = CNI_ORCH, .workload = ctx->env.container_id, .endpoint_id = a.ep_id,
		.netns_path = ctx->env.netns, .ifname = ctx->env.ifname, .addrs = addrs, .n_addrs = n_addrs,
		.profiles = profiles, .n_profiles = 1, .labels = labels, .n_labels = n_labels, .mtu = mtu,
	};
	if ((rc = workload_create(a.ds, &spec, &made, msg, sizeof(msg))) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "%s", msg);
		goto out;
	}
	wired = true;
	log_debug("ADD: endpoint %s wired", a.ep_id);
	if (ctx->conf.policy_setup_timeout > 0 &&
	    attachment_wait_up(&a, ctx->conf.policy_setup_timeout, status, sizeof(status)) < 0) {
		/* Chosen: fail and undo. A container whose policy is not in place
		 * carries no traffic (the agent drops it), so handing it out would
		 * only move the failure into the application. */
		rc = cni_err(&ctx->err, CNI_ERR_TRY_AGAIN,
			     "calico-node did not program endpoint %s within %d s (status: %s); is it running on host %s?",
			     a.ep_id, ctx->conf.policy_setup_timeout, status[0] ? status : "none", a.host);
		goto out;
	}
	fill_result(ctx, &a, &made, addrs, n_addrs, mtu, &res);
	if (!(ctx->out = cni_result_encode(&res, ctx->conf.version))) {
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	log_info("ADD %s %s: endpoint %s on %s", ctx->env.container_id, ctx->env.ifname, a.ep_id, a.host_ifname);
	rc = 0;
out:
	if (rc < 0 && wired) {
		struct cni_error undo = { 0 };
		if (attachment_unwire(&a, &undo) < 0)
			log_warn("ADD failed, and undoing endpoint %s failed too: %s", a.ep_id, undo.msg);
	}
	if (rc < 0 && ipam_done) {
		struct cni_error keep = ctx->err;
		if (attachment_ipam(ctx, CNI_CMD_DEL, NULL) < 0)
			log_warn("ADD failed, and releasing its addresses failed too: %s", ctx->err.msg);
		ctx->err = keep;
	}
	endpoint_entries_free(found, n_found);
	cni_labels_free(labels, n_labels);
	attachment_close(&a);
	return rc;
}
