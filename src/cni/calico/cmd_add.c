/* ADD: addresses from the IPAM plugin, then the veth, the addresses and
 * routes and the endpoint record in one step (workload_create), then, when
 * asked, a wait until calico-node has programmed the endpoint's policy.
 * Any failure undoes what was done: IPAM DEL, veth and record removed.
 * An ADD for an attachment that exists already is answered from it
 * (add_again), as Calico's own plugin does. */
#include "calico_cni.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_exec.h"
#include "endpoint_id.h"
#include "labels.h"
#include "util/log.h"
#include "netlink/netns.h"
#include "netlink/nl.h"
#include "store/profile_store.h"
#include "workload/workload.h"
#include "workload/workload_net.h"

/* What the runtime gets: the host veth, the container side, the /32s (/128s)
 * on it and the default routes through the link-local gateway. */
static void fill_result(struct cni_ctx *ctx, const char *host_ifname, const char *mac, const struct ip_addr *addrs,
			size_t n, unsigned mtu, struct cni_result *r)
{
	struct ip_addr gw4, gw6;
	bool v4 = false, v6 = false;

	memset(r, 0, sizeof(*r));
	ip_parse(CALICO_GW_V4, &gw4);
	ip_parse(CALICO_GW_V6, &gw6);
	snprintf(r->ifaces[0].name, sizeof(r->ifaces[0].name), "%s", host_ifname);
	snprintf(r->ifaces[0].mac, sizeof(r->ifaces[0].mac), "ee:ee:ee:ee:ee:ee");
	snprintf(r->ifaces[1].name, sizeof(r->ifaces[1].name), "%s", ctx->env.ifname);
	snprintf(r->ifaces[1].mac, sizeof(r->ifaces[1].mac), "%s", mac);
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

/* The answer to an ADD, in the shape of the requested version. */
static int answer(struct cni_ctx *ctx, const char *host_ifname, const char *mac, const struct ip_addr *addrs, size_t n,
		  unsigned mtu)
{
	struct cni_result res;
	fill_result(ctx, host_ifname, mac, addrs, n, mtu, &res);
	if (!(ctx->out = cni_result_encode(&res, ctx->conf.version)))
		return cni_err(&ctx->err, CNI_ERR_INTERNAL, "out of memory");
	return 0;
}

static int wait_programmed(struct cni_ctx *ctx, struct attachment *a)
{
	char status[32];
	if (ctx->conf.policy_setup_timeout <= 0 ||
	    attachment_wait_up(a, ctx->conf.policy_setup_timeout, status, sizeof(status)) == 0)
		return 0;
	return cni_err(&ctx->err, CNI_ERR_TRY_AGAIN,
		       "calico-node did not program endpoint %s within %d s (status: %s); is it running on host %s?",
		       a->ep_id, ctx->conf.policy_setup_timeout, status[0] ? status : "none", a->host);
}

/* A repeated ADD: runtimes retry an ADD whose answer they lost (a timeout),
 * and the attachment it asks for is there already. Answer with it, as the
 * first ADD did, allocating nothing and making nothing; but only when the
 * record and the interfaces are still the ones that ADD made, since
 * answering for anything else would hand the runtime an attachment that is
 * not what it asked for. */
static int add_again(struct cni_ctx *ctx, struct attachment *a, const struct endpoint *ep, unsigned mtu)
{
	struct ip_addr addrs[CNI_MAX_IPS];
	size_t n = 0;
	char mac[18], msg[256];
	const char *net = ep->n_profile_ids ? ep->profile_ids[0] : "";
	int rc;

	if (strcmp(net, ctx->conf.name) != 0)
		return cni_err(&ctx->err, CNI_ERR_INTERNAL,
			       "container %s already has endpoint %s for %s, but its profile is %.64s, not network %s",
			       ctx->env.container_id, a->ep_id, ctx->env.ifname, net[0] ? net : "(none)", ctx->conf.name);
	for (size_t i = 0; i < ep->n_ipv4_nets && n < CNI_MAX_IPS; i++)
		addrs[n++] = ep->ipv4_nets[i].addr;
	for (size_t i = 0; i < ep->n_ipv6_nets && n < CNI_MAX_IPS; i++)
		addrs[n++] = ep->ipv6_nets[i].addr;
	/* The record names the host interface (see attachment_unwire). */
	const char *host_ifname = ep->name[0] ? ep->name : a->host_ifname;
	if ((rc = workload_verify(ctx->env.netns, host_ifname, ctx->env.ifname, addrs, n, mac, msg, sizeof(msg))) < 0)
		return cni_err(&ctx->err, CNI_ERR_INTERNAL, "container %s already has endpoint %s for %s on network %s, but %s",
			       ctx->env.container_id, a->ep_id, ctx->env.ifname, ctx->conf.name, msg);
	if ((rc = wait_programmed(ctx, a)) < 0)
		return rc;
	if ((rc = answer(ctx, host_ifname, mac, addrs, n, mtu)) < 0)
		return rc;
	log_info("ADD %s %s again: endpoint %s on %s, as it is", ctx->env.container_id, ctx->env.ifname, a->ep_id,
		 host_ifname);
	return 0;
}

/* One Calico interface per container: a second veth would need the same
 * 169.254.1.1 routes on another device. Names the attachment in the way. */
static int refuse_second(struct cni_ctx *ctx, const struct endpoint_entry *other)
{
	const char *net = other->ep.n_profile_ids ? other->ep.profile_ids[0] : "?";
	char same_ifname_id[33];

	cni_endpoint_id(net, ctx->env.container_id, ctx->env.ifname, same_ifname_id);
	if (strcmp(same_ifname_id, other->ref.id) == 0)
		return cni_err(&ctx->err, CNI_ERR_INTERNAL,
			       "container %s already has %s on network %.64s (endpoint %s), not on network %s: "
			       "one Calico interface per container",
			       ctx->env.container_id, ctx->env.ifname, net, other->ref.id, ctx->conf.name);
	return cni_err(&ctx->err, CNI_ERR_INTERNAL,
		       "container %s already has a Calico interface (endpoint %s on network %.64s): "
		       "one Calico interface per container",
		       ctx->env.container_id, other->ref.id, net);
}

static int ifname_taken(void *ifname)
{
	return if_nametoindex(ifname) ? -EEXIST : 0;
}

int calico_add(struct cni_ctx *ctx)
{
	struct attachment a = { 0 };
	struct cni_result ipam_res;
	struct workload_made made;
	struct label *labels = NULL;
	size_t n_labels = 0, n_addrs = 0;
	struct ip_addr addrs[CNI_MAX_IPS];
	struct endpoint_entry *found = NULL;
	size_t n_found = 0;
	bool ipam_done = false, wired = false;
	char msg[512], plugin[4096];
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
	if (!mtu && (rc = workload_mtu(a.ds, a.host, &mtu)) < 0) {
		rc = ds_failure(ctx, &a, "reading VethMtu", rc);
		goto out;
	}
	if ((rc = workload_find(a.ds, a.host, CNI_ORCH, ctx->env.container_id, &found, &n_found)) < 0) {
		rc = ds_failure(ctx, &a, "reading endpoints", rc);
		goto out;
	}
	if (n_found) {
		rc = n_found == 1 && strcmp(found[0].ref.id, a.ep_id) == 0 ? add_again(ctx, &a, &found[0].ep, mtu)
									 : refuse_second(ctx, &found[0]);
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
	/* Kubernetes' runtimes name the pod's namespace in CNI_ARGS. */
	const char *ns = cni_args_get(&ctx->args, "K8S_POD_NAMESPACE");
	struct workload_spec spec = {
		.host = a.host, .orch = CNI_ORCH, .workload = ctx->env.container_id, .endpoint_id = a.ep_id,
		.netns_path = ctx->env.netns, .ifname = ctx->env.ifname, .addrs = addrs, .n_addrs = n_addrs,
		.profiles = profiles, .n_profiles = 1, .labels = labels, .n_labels = n_labels, .mtu = mtu,
		.namespace = ns && *ns ? ns : NULL,
	};
	if ((rc = workload_create(a.ds, &spec, &made, msg, sizeof(msg))) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "%s", msg);
		goto out;
	}
	wired = true;
	log_debug("ADD: endpoint %s wired", a.ep_id);
	/* Chosen: fail and undo. A container whose policy is not in place
	 * carries no traffic (the agent drops it), so handing it out would
	 * only move the failure into the application. */
	if ((rc = wait_programmed(ctx, &a)) < 0 || (rc = answer(ctx, a.host_ifname, made.mac, addrs, n_addrs, mtu)) < 0)
		goto out;
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
