#include "cni_ds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam/ipam.h"
#include "util/nodename.h"
#include "store/pool_store.h"

int cni_ds_open(const struct cni_conf *c, struct ds **out, struct cni_error *e)
{
	struct ds_config cfg = { 0 };
	char err[512], authority[512];
	int rc;

	if (c->etcd_endpoints || c->etcd_authority) {
		cfg.backend = DS_ETCD;
		if (c->etcd_endpoints) {
			cfg.etcd_endpoints = c->etcd_endpoints;
		} else {
			snprintf(authority, sizeof(authority), "http://%s", c->etcd_authority);
			cfg.etcd_endpoints = authority;
		}
		cfg.etcd_ca_cert = c->etcd_ca_cert_file;
		cfg.etcd_cert = c->etcd_cert_file;
		cfg.etcd_key = c->etcd_key_file;
		rc = ds_open(&cfg, out, err, sizeof(err));
	} else if (c->datastore) {
		cfg.backend = DS_SQLITE;
		cfg.sqlite_path = strncmp(c->datastore, "sqlite:", 7) == 0 ? c->datastore + 7 : c->datastore;
		rc = ds_open(&cfg, out, err, sizeof(err));
	} else {
		rc = ds_open_env(out, err, sizeof(err));
	}
	if (rc < 0)
		return cni_err(e, CNI_ERR_TRY_AGAIN, "cannot open the datastore: %s", err);
	return 0;
}

int cni_host(const struct cni_conf *c, char *buf, size_t len, struct cni_error *e)
{
	if (c->nodename) {
		snprintf(buf, len, "%s", c->nodename);
		return 0;
	}
	if (nodename_get(buf, len) < 0)
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "no usable host name: set \"nodename\" in the network config or HOSTNAME");
	return 0;
}

/* Free addresses in the pools of family the config may draw from: pool sizes
 * minus what blocks inside them hold (saturating; a /64 is "plenty"). */
static int family_room(struct ds *ds, const struct cni_conf *c, int family, uint64_t *room, size_t *n_pools,
		       char *err, size_t errlen)
{
	const struct cidr *want = family == 4 ? c->ipam.ipv4_pools : c->ipam.ipv6_pools;
	size_t n_want = family == 4 ? c->ipam.n_ipv4_pools : c->ipam.n_ipv6_pools;
	struct pool_entry *pools = NULL;
	struct ipam_block_entry *blocks = NULL;
	size_t np = 0, nb = 0;
	int rc;

	*room = 0;
	*n_pools = 0;
	if ((rc = pool_list(ds, family, &pools, &np)) < 0) {
		snprintf(err, errlen, "reading pools: %s", ds_strerror(ds));
		goto out;
	}
	if ((rc = ipam_block_list(ds, family, &blocks, &nb, err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < np; i++) {
		const struct cidr *pc = &pools[i].pool.cidr;
		bool chosen = n_want == 0 ? !pools[i].pool.disabled : false;
		for (size_t k = 0; k < n_want; k++)
			chosen |= pc->prefix == want[k].prefix && ip_cmp(&pc->addr, &want[k].addr) == 0;
		if (!chosen)
			continue;
		(*n_pools)++;
		uint64_t size = cidr_size(pc), used = 0;
		for (size_t b = 0; b < nb; b++)
			if (cidr_contains_cidr(pc, &blocks[b].block.cidr))
				used += ipam_block_used(&blocks[b].block);
		if (size > used)
			*room = *room + (size - used) < *room ? UINT64_MAX : *room + (size - used);
	}
	rc = 0;
out:
	free(pools);
	ipam_block_entries_free(blocks, nb);
	return rc;
}

int cni_status_check(struct ds *ds, const struct cni_conf *c, struct cni_error *e)
{
	int64_t rev;
	char err[512];

	if (ds_revision(ds, &rev) < 0)
		return cni_err(e, CNI_ERR_NOT_AVAILABLE_LIMITED, "datastore %s does not answer: %s", ds_describe(ds),
			       ds_strerror(ds));
	for (int family = 4; family <= 6; family += 2) {
		uint64_t room;
		size_t n;
		if (!(family == 4 ? c->ipam.assign_ipv4 : c->ipam.assign_ipv6))
			continue;
		if (family_room(ds, c, family, &room, &n, err, sizeof(err)) < 0)
			return cni_err(e, CNI_ERR_NOT_AVAILABLE_LIMITED, "datastore %s: %s", ds_describe(ds), err);
		if (n == 0)
			return cni_err(e, CNI_ERR_NOT_AVAILABLE, "no IPv%d pool to assign from (calicoctl pool add)", family);
		if (room == 0)
			return cni_err(e, CNI_ERR_NOT_AVAILABLE, "the IPv%d pools are full: %s", family, IPAM_MSG_EXHAUSTED);
	}
	return 0;
}
