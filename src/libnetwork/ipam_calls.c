/* IpamDriver.RequestPool / RequestAddress / ReleaseAddress over Calico IPAM.
 * Docker's pools are not Calico's: a network without --subnet gets the
 * marker pool 0.0.0.0/0 (::/0), meaning "any Calico pool"; with --subnet it
 * must name a Calico pool exactly. The gateway marker in the pool's Data
 * keeps Docker from taking a gateway address: containers route via
 * 169.254.1.1, answered by the host's proxy ARP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "ipam/ipam.h"
#include "util/log.h"
#include "store/pool_store.h"
#include "records.h"

/* -ENOENT when no Calico pool has exactly this CIDR. */
static int find_pool(struct ds *ds, const struct cidr *c, char *err, size_t errlen)
{
	struct pool_entry *pools = NULL;
	size_t n = 0;
	int rc = pool_list(ds, c->addr.family, &pools, &n);
	if (rc < 0)
		return snprintf(err, errlen, "reading pools: %s", ds_strerror(ds)), rc;
	rc = -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (pools[i].pool.cidr.prefix == c->prefix && ip_cmp(&pools[i].pool.cidr.addr, &c->addr) == 0)
			rc = 0;
	free(pools);
	return rc;
}

int lnw_request_pool(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_pool_req r;
	char text[CIDR_STR_MAX];
	struct cidr c;
	int rc;

	if ((rc = lnw_pool_req_parse(body, &r, err, errlen)) < 0)
		return rc;
	if (r.sub_pool[0])
		return snprintf(err, errlen,
				"Calico IPAM does not support sub pool configuration on 'docker network create'. "
				"Calico IP Pools should be configured first and IP assignment is from those "
				"pre-configured pools."),
		       -EINVAL;
	if (r.has_options)
		return snprintf(err, errlen, "Arbitrary options are not supported"), -EINVAL;
	if (r.pool[0]) {
		if (cidr_parse(r.pool, false, false, &c) < 0)
			return snprintf(err, errlen, "Invalid CIDR '%.64s'", r.pool), -EINVAL;
		if ((c.addr.family == 6) != r.v6)
			return snprintf(err, errlen, "'%.64s' is not an IPv%d subnet", r.pool, r.v6 ? 6 : 4), -EINVAL;
		if ((rc = find_pool(d->ds, &c, err, errlen)) == -ENOENT)
			snprintf(err, errlen, "The requested subnet must match the CIDR of a configured Calico IP Pool.");
		if (rc < 0)
			return rc;
	}
	*reply = lnw_pool_reply(r.v6, r.pool[0] ? cidr_format(&c, text) : NULL);
	return *reply ? 0 : (snprintf(err, errlen, "out of memory"), -ENOMEM);
}

/* The pool id's family and, for a CIDR id, the pool to draw from. */
static int pool_of_id(struct lnw *d, const char *id, int *family, struct cidr *pool, bool *restricted, char *err,
		      size_t errlen)
{
	int rc;
	*restricted = false;
	if (strcmp(id, LNW_POOL_ID_V4) == 0)
		return *family = 4, 0;
	if (strcmp(id, LNW_POOL_ID_V6) == 0)
		return *family = 6, 0;
	if (cidr_parse(id, false, false, pool) < 0)
		return snprintf(err, errlen, "Invalid pool id '%.64s'", id), -EINVAL;
	if ((rc = find_pool(d->ds, pool, err, errlen)) == -ENOENT)
		snprintf(err, errlen, "The network references a Calico pool which has been deleted. Please re-instate "
				      "the Calico pool before using the network.");
	if (rc < 0)
		return rc;
	*family = pool->addr.family;
	*restricted = true;
	return 0;
}

int lnw_request_address(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_addr_req r;
	struct ip_addr got;
	struct cidr pool;
	char text[CIDR_STR_MAX], ptext[CIDR_STR_MAX];
	bool restricted;
	int family, rc;

	if ((rc = lnw_addr_req_parse(body, &r, err, errlen)) < 0 ||
	    (rc = pool_of_id(d, r.pool_id, &family, &pool, &restricted, err, errlen)) < 0)
		return rc;
	if (r.gateway) {
		/* Nothing to allocate: the gateway is 169.254.1.1 on every host. */
		*reply = lnw_gateway_reply(family == 6);
		return *reply ? 0 : (snprintf(err, errlen, "out of memory"), -ENOMEM);
	}
	if (r.has_address) {
		if (r.address.family != family)
			return snprintf(err, errlen, "'%s' is not an IPv%d address", ip_format(&r.address, text), family),
			       -EINVAL;
		if ((rc = ipam_assign(d->ds, &r.address, 1, d->handle, d->host, NULL, err, errlen)) < 0)
			return rc;
		got = r.address;
	} else {
		const char *pools[1] = { cidr_format(&pool, ptext) };
		struct ipam_request req = {
			.handle = d->handle,
			.host = d->host,
			.num_ipv4 = family == 4,
			.num_ipv6 = family == 6,
			.ipv4_pools = restricted && family == 4 ? pools : NULL,
			.n_ipv4_pools = restricted && family == 4,
			.ipv6_pools = restricted && family == 6 ? pools : NULL,
			.n_ipv6_pools = restricted && family == 6,
		};
		if ((rc = ipam_auto_assign(d->ds, &req, family == 4 ? &got : NULL, family == 6 ? &got : NULL, err,
					   errlen)) < 0)
			return rc;
	}
	if (!(*reply = lnw_addr_reply(&got))) {
		ipam_release(d->ds, &got, 1, NULL, text, sizeof(text));
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	log_info("address %s assigned (pool %s)", ip_format(&got, text), r.pool_id);
	return 0;
}

/* Only an address this driver holds and no live endpoint of ours uses is
 * given back: when a reconcile after a crash released an address and IPAM
 * gave it out again, Docker's late release of the old endpoint's address
 * must not take it from the new holder (another orchestrator: the handle
 * differs; another Docker endpoint: its record still holds it). */
int lnw_release_address(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_release_req r;
	char text[IP_STR_MAX];
	int rc;

	(void)reply;
	if ((rc = lnw_release_req_parse(body, &r, err, errlen)) < 0)
		return rc;
	if (r.marker)
		return 0;
	char holder[LNW_ID_MAX + 1];
	if ((rc = lnw_endpoint_holding(d->ds, d->host, &r.address, holder, sizeof(holder), err, errlen)) < 0)
		return rc;
	if (rc == 1) {
		log_warn("address %s: endpoint %s holds it now; not releasing it", ip_format(&r.address, text), holder);
		return 0;
	}
	rc = ipam_release_if(d->ds, &r.address, d->handle, time(NULL) + 1, err, errlen);
	if (rc == -ENOENT) {
		log_info("address %s: not held by %s, nothing to release", ip_format(&r.address, text), d->handle);
		return 0;
	}
	if (rc == 0)
		log_info("address %s released", ip_format(&r.address, text));
	return rc;
}
