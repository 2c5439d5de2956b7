#include "container_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipam/ipam.h"
#include "store/pool_store.h"

int addr_request_parse(const char *text, struct addr_request *r)
{
	memset(r, 0, sizeof(*r));
	if (strcmp(text, "ipv4") == 0 || strcmp(text, "ipv6") == 0) {
		r->family = text[3] == '4' ? 4 : 6;
		return 0;
	}
	if (strchr(text, '/')) {
		if (cidr_parse(text, false, false, &r->pool) < 0)
			return ctl_error("%s is not a valid IP address or CIDR.", text);
		r->from_pool = true;
		r->family = r->pool.addr.family;
		return 0;
	}
	if (ip_parse(text, &r->ip) < 0)
		return ctl_error("%s is not a valid IP address (give an address, a pool CIDR, ipv4 or ipv6).", text);
	r->exact = true;
	r->family = r->ip.family;
	return 0;
}

void container_handle(const char *endpoint_id, char *buf, size_t len)
{
	snprintf(buf, len, "calicoctl.%s", endpoint_id);
}

/* Refuse up front what IPAM would refuse less clearly. */
static int check_pools(struct ds *ds, const struct addr_request *r)
{
	struct pool_entry *pools = NULL;
	size_t n = 0;
	char text[CIDR_STR_MAX];
	bool found = false;
	int rc = pool_list(ds, r->family, &pools, &n);
	if (rc < 0)
		return ctl_ds_error("listing pools", rc);
	for (size_t i = 0; i < n && !found; i++) {
		const struct pool *p = &pools[i].pool;
		if (r->exact)
			found = cidr_contains(&p->cidr, &r->ip);
		else if (r->from_pool)
			found = p->cidr.prefix == r->pool.prefix && ip_cmp(&p->cidr.addr, &r->pool.addr) == 0;
		else
			found = !p->disabled;
	}
	free(pools);
	if (found)
		return 0;
	if (r->exact)
		return ctl_error("%s is not in any configured pool", ip_format(&r->ip, text));
	if (r->from_pool)
		return ctl_error("%s is not a configured pool.", cidr_format(&r->pool, text));
	return ctl_error("No IPv%d pool is configured; add one with \"calicoctl pool add\".", r->family);
}

int addr_request_assign(struct ds *ds, const struct addr_request *r, const char *handle, const char *host,
			const char *attrs_json, struct ip_addr *out)
{
	char err[512], text[CIDR_STR_MAX];
	int rc;

	if (check_pools(ds, r))
		return 1;
	if (r->exact) {
		rc = ipam_assign(ds, &r->ip, 1, handle, host, attrs_json, err, sizeof(err));
		if (rc == -EEXIST)
			return ctl_error("IP address %s is already in use.", ip_format(&r->ip, text));
		*out = r->ip;
	} else {
		const char *pool_name = r->from_pool ? cidr_format(&r->pool, text) : NULL;
		struct ipam_request req = {
			.handle = handle, .host = host, .attrs_json = attrs_json,
			.num_ipv4 = r->family == 4, .num_ipv6 = r->family == 6,
		};
		if (pool_name && r->family == 4) {
			req.ipv4_pools = &pool_name;
			req.n_ipv4_pools = 1;
		} else if (pool_name) {
			req.ipv6_pools = &pool_name;
			req.n_ipv6_pools = 1;
		}
		rc = ipam_auto_assign(ds, &req, out, out, err, sizeof(err));
		if (rc == -ENOSPC)
			return ctl_error("No available IP addresses in %s.", pool_name ? pool_name : "the configured pools");
	}
	return rc < 0 ? ctl_error("Error: %s", err) : 0;
}
