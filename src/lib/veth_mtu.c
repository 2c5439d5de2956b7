/* workload_mtu: the MTU new workload veths get (workload.h). Runs in the
 * plugin's process, in the host's network namespace, where the interface
 * holding the host's ip_addr_v4 tells the host's MTU. The rules themselves
 * (VethMtu wins; VXLAN costs 50 bytes) are vxlan_calc's, shared with the
 * agent, so a plugin and calico-node never disagree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "model.h"
#include "nl.h"
#include "vxlan_calc.h"
#include "workload.h"

/* VethMtu from /calico/v1/host/<host>/config, then /calico/v1/config; 0 when unset. */
static int configured_mtu(struct ds *ds, const char *host, unsigned *mtu)
{
	char key[KEY_MAX];
	const char *keys[2] = { key_host_config(key, host, "VethMtu"), NULL };
	char gkey[KEY_MAX];
	keys[1] = key_config(gkey, "VethMtu");
	*mtu = 0;
	for (int i = 0; i < 2; i++) {
		struct ds_kv kv;
		int rc = keys[i] ? ds_get(ds, keys[i], &kv) : -ENOENT;
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		unsigned v = vxlan_parse_veth_mtu(kv.value);
		ds_kv_free(&kv);
		if (v) {
			*mtu = v;
			return 0;
		}
	}
	return 0;
}

/* Whether any pool (IPv4 or IPv6) has "vxlan": true. */
static int any_vxlan_pool(struct ds *ds, bool *any)
{
	static const char *const prefixes[] = { KEY_POOL_V4_PREFIX, KEY_POOL_V6_PREFIX };
	int rc = 0;

	*any = false;
	for (size_t p = 0; p < 2 && !*any; p++) {
		struct ds_kv_list l;
		if ((rc = ds_list(ds, prefixes[p], &l)) < 0)
			return rc;
		for (size_t i = 0; i < l.n && !*any; i++) {
			struct pool pool;
			char err[MODEL_ERR_MAX];
			if (pool_decode(l.items[i].value, &pool, err, sizeof(err)) == 0)
				*any = pool.vxlan;
		}
		ds_kv_list_free(&l);
	}
	return 0;
}

/* The MTU of the interface holding host's ip_addr_v4 in the calling
 * process's namespace; 0 when the address is not registered or not here
 * (the caller then keeps the kernel's default). */
static int host_mtu(struct ds *ds, const char *host, unsigned *mtu)
{
	char key[KEY_MAX], err[NL_ERR_MAX];
	struct ds_kv kv;
	struct ip_addr ip;
	struct nl_link link;
	struct nl *nl = NULL;
	int rc;

	*mtu = 0;
	if (!key_bgp_host(key, host, "ip_addr_v4"))
		return 0;
	if ((rc = ds_get(ds, key, &kv)) == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	rc = ip_parse(kv.value, &ip);
	ds_kv_free(&kv);
	if (rc < 0 || ip.family != 4)
		return 0;
	if ((rc = nl_open(&nl, -1, err, sizeof(err))) < 0) {
		log_warn("workload MTU: %s", err);
		return 0;
	}
	if (nl_addr_owner(nl, &ip, &link) == 0)
		*mtu = link.mtu;
	else
		log_debug("workload MTU: %s", nl_strerror(nl));
	nl_close(nl);
	return 0;
}

int workload_mtu(struct ds *ds, const char *host, unsigned *mtu)
{
	unsigned configured, from_host;
	bool vxlan;
	int rc;

	*mtu = 0;
	if ((rc = configured_mtu(ds, host, &configured)) < 0)
		return rc;
	if (configured) {
		*mtu = configured;
		return 0;
	}
	if ((rc = host_mtu(ds, host, &from_host)) < 0 || (rc = any_vxlan_pool(ds, &vxlan)) < 0)
		return rc;
	*mtu = vxlan_workload_mtu(0, from_host, vxlan);
	return 0;
}
