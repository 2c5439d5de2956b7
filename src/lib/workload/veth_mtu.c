/* workload_mtu: the MTU new workload veths get (workload.h). Runs in the
 * plugin's process, in the host's network namespace, where the interface
 * holding the host's ip_addr_v4 tells the host's MTU. The rules themselves
 * (VethMtu wins; VXLAN costs 50 bytes) are vxlan_calc's, shared with the
 * agent, so a plugin and calico-node never disagree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "util/log.h"
#include "model/model.h"
#include "netlink/nl.h"
#include "agent/vxlan_calc.h"
#include "workload/workload.h"

/* Everything the rules need, in one datastore round trip: VethMtu per host
 * and global, the host's ip_addr_v4, and both families' pools. */
enum { RD_HOST_MTU, RD_GLOBAL_MTU, RD_HOST_IP, RD_POOLS_V4, RD_POOLS_V6, RD_N };

/* VethMtu of the host's config, else the global one; 0 when unset. */
static unsigned configured_mtu(const struct ds_kv_list *out)
{
	for (int i = RD_HOST_MTU; i <= RD_GLOBAL_MTU; i++) {
		unsigned v = out[i].n ? vxlan_parse_veth_mtu(out[i].items[0].value) : 0;
		if (v)
			return v;
	}
	return 0;
}

/* Whether any pool (IPv4 or IPv6) has "vxlan": true. */
static bool any_vxlan_pool(const struct ds_kv_list *out)
{
	for (int p = RD_POOLS_V4; p <= RD_POOLS_V6; p++)
		for (size_t i = 0; i < out[p].n; i++) {
			struct pool pool;
			char err[MODEL_ERR_MAX];
			if (pool_decode(out[p].items[i].value, &pool, err, sizeof(err)) == 0 && pool.vxlan)
				return true;
		}
	return false;
}

/* The MTU of the interface holding the host's ip_addr_v4 in the calling
 * process's namespace; 0 when the address is not registered or not here
 * (the caller then keeps the kernel's default). */
static unsigned host_mtu(const struct ds_kv_list *ip_addr_v4)
{
	char err[NL_ERR_MAX];
	struct ip_addr ip;
	struct nl_link link;
	struct nl *nl = NULL;
	unsigned mtu = 0;

	if (!ip_addr_v4->n || ip_parse(ip_addr_v4->items[0].value, &ip) < 0 || ip.family != 4)
		return 0;
	if (nl_open(&nl, -1, err, sizeof(err)) < 0) {
		log_warn("workload MTU: %s", err);
		return 0;
	}
	if (nl_addr_owner(nl, &ip, &link) == 0)
		mtu = link.mtu;
	else
		log_debug("workload MTU: %s", nl_strerror(nl));
	nl_close(nl);
	return mtu;
}

int workload_mtu(struct ds *ds, const char *host, unsigned *mtu)
{
	char host_key[KEY_MAX], global_key[KEY_MAX], ip_key[KEY_MAX];
	struct ds_kv_list out[RD_N];
	int rc;

	*mtu = 0;
	/* A host name too long for a key has no host keys: the global VethMtu
	 * stands in for both host reads (read twice, used once). */
	const char *hk = key_host_config(host_key, host, "VethMtu");
	const char *ik = key_bgp_host(ip_key, host, "ip_addr_v4");
	struct ds_read reads[RD_N] = {
		[RD_HOST_MTU] = { hk ? hk : key_config(host_key, "VethMtu"), false },
		[RD_GLOBAL_MTU] = { key_config(global_key, "VethMtu"), false },
		[RD_HOST_IP] = { ik ? ik : global_key, false },
		[RD_POOLS_V4] = { KEY_POOL_V4_PREFIX, true },
		[RD_POOLS_V6] = { KEY_POOL_V6_PREFIX, true },
	};
	if ((rc = ds_read_many(ds, reads, RD_N, out)) < 0)
		return rc;
	unsigned configured = configured_mtu(out);
	if (configured)
		*mtu = configured;
	else
		*mtu = vxlan_workload_mtu(0, ik ? host_mtu(&out[RD_HOST_IP]) : 0, any_vxlan_pool(out));
	for (int i = 0; i < RD_N; i++)
		ds_kv_list_free(&out[i]);
	return 0;
}
