/* CreateEndpoint, Join, Leave, DeleteEndpoint. CreateEndpoint records what
 * Docker gave (addresses, network); Join makes the veth cali<id>/tmp<id> and
 * Calico's endpoint record in one step (workload_create), leaving tmp<id> in
 * this namespace for Docker to move into the container as cali0, and the
 * container's labels to be learnt after (container_labels.c); Leave undoes
 * that step; DeleteEndpoint forgets the rest. Addresses are Docker's to
 * release (IpamDriver.ReleaseAddress). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "store/endpoint_store.h"
#include "model/keys.h"
#include "util/log.h"
#include "store/profile_store.h"
#include "records.h"
#include "workload/workload.h"
#include "workload/workload_net.h"

/* The link-local address of every host-side veth (MAC ee:ee:ee:ee:ee:ee). */
#define LNW_NEXTHOP_V6 "fe80::ecee:eeff:feee:eeee"

int lnw_endpoint_create(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_ep_create_req r;
	struct lnw_endpoint_state s = { 0 };
	int rc;

	if ((rc = lnw_ep_create_parse(body, &r, err, errlen)) < 0)
		return rc;
	if ((rc = lnw_network_profile(d, r.network_id, s.profile, sizeof(s.profile), err, errlen)) < 0)
		return rc;
	snprintf(s.network_id, sizeof(s.network_id), "%s", r.network_id);
	s.has_v4 = r.has_v4;
	s.v4 = r.v4;
	s.has_v6 = r.has_v6;
	s.v6 = r.v6;
	if ((rc = lnw_endpoint_put(d->ds, d->host, r.endpoint_id, &s, err, errlen)) < 0)
		return rc;
	log_info("endpoint %s on network %s (profile %s) created", r.endpoint_id, r.network_id, s.profile);
	/* No MacAddress: Docker keeps the one the veth was born with. */
	*reply = json_pack("{s{}}", "Interface");
	return *reply ? 0 : (snprintf(err, errlen, "out of memory"), -ENOMEM);
}

int lnw_join(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_ep_req r;
	struct lnw_endpoint_state s;
	struct workload_made made;
	struct ip_addr addrs[2];
	char ifname[16], *profiles[1];
	size_t n = 0;
	unsigned mtu = 0;
	int rc;

	if ((rc = lnw_ep_req_parse(body, &r, err, errlen)) < 0 ||
	    (rc = lnw_endpoint_get(d->ds, d->host, r.endpoint_id, &s, err, errlen)) < 0)
		return rc;
	if (s.has_v4)
		addrs[n++] = s.v4;
	if (s.has_v6)
		addrs[n++] = s.v6;
	/* Again here: someone may have removed the profile since CreateNetwork. */
	if ((rc = profile_ensure(d->ds, s.profile)) < 0)
		return snprintf(err, errlen, "creating profile %s: %s", s.profile, ds_strerror(d->ds)), rc;
	if ((rc = workload_mtu(d->ds, d->host, &mtu)) < 0)
		return snprintf(err, errlen, "reading VethMtu: %s", ds_strerror(d->ds)), rc;
	lnw_container_ifname(r.endpoint_id, ifname);
	profiles[0] = s.profile;
	struct workload_spec spec = {
		.host = d->host,
		.orch = LNW_ORCH,
		.workload = LNW_WORKLOAD,
		.endpoint_id = r.endpoint_id,
		.netns_path = NULL, /* Docker moves tmp<id> into the container itself */
		.ifname = ifname,
		.addrs = addrs,
		.n_addrs = n,
		.profiles = profiles,
		.n_profiles = 1,
		.mtu = mtu,
		.shared_workload = true,
	};
	if ((rc = workload_create(d->ds, &spec, &made, err, errlen)) < 0)
		return rc;
	if (!(*reply = lnw_join_reply(ifname, s.has_v4, s.has_v6 ? LNW_NEXTHOP_V6 : NULL))) {
		/* Nothing may stay behind a refused Join. */
		char msg[256];
		if (lnw_endpoint_unmake(d, r.endpoint_id, NULL, NULL, msg, sizeof(msg)) < 0)
			log_warn("endpoint %s: undoing Join: %s", r.endpoint_id, msg);
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	log_info("endpoint %s joined: %s / %s", r.endpoint_id, made.host_ifname, ifname);
	/* Its container's labels come after (container_labels.c). */
	lnw_labels_wait(d, r.endpoint_id, s.network_id);
	return 0;
}

int lnw_endpoint_unmake(struct lnw *d, const char *endpoint_id, struct ip_addr **addrs, size_t *n_addrs, char *err,
			size_t errlen)
{
	char key[KEY_MAX], ifname[IFNAMSIZ], msg[MODEL_ERR_MAX];
	struct ds_kv kv = { 0 };
	struct endpoint ep = { 0 };
	int rc;

	if (!key_endpoint(key, d->host, LNW_ORCH, LNW_WORKLOAD, endpoint_id))
		return snprintf(err, errlen, "endpoint key too long"), -ENAMETOOLONG;
	if ((rc = ds_get(d->ds, key, &kv)) < 0 && rc != -ENOENT)
		return snprintf(err, errlen, "reading endpoint %s: %s", endpoint_id, ds_strerror(d->ds)), rc;
	if (rc == 0 && endpoint_decode(kv.value, &ep, msg, sizeof(msg)) < 0)
		log_warn("endpoint %s: %s (removing it anyway)", endpoint_id, msg);
	/* The interface first: while the record exists the agent keeps the
	 * endpoint's policy, so there is no moment with an interface and no policy. */
	if (ep.name[0])
		snprintf(ifname, sizeof(ifname), "%s", ep.name);
	else if (workload_host_ifname(endpoint_id, ifname) < 0)
		ifname[0] = '\0';
	if (ifname[0] && (rc = workload_detach(ifname, err, errlen)) < 0 && rc != -ENODEV)
		goto out;
	rc = 0;
	if (kv.key && (rc = ds_delete(d->ds, key)) < 0 && rc != -ENOENT) {
		snprintf(err, errlen, "removing endpoint %s: %s", endpoint_id, ds_strerror(d->ds));
		goto out;
	}
	rc = 0;
	if (addrs && ep.n_ipv4_nets + ep.n_ipv6_nets) {
		struct ip_addr *grown = realloc(*addrs, (*n_addrs + ep.n_ipv4_nets + ep.n_ipv6_nets) * sizeof(**addrs));
		if (!grown) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		*addrs = grown;
		for (size_t i = 0; i < ep.n_ipv4_nets; i++)
			grown[(*n_addrs)++] = ep.ipv4_nets[i].addr;
		for (size_t i = 0; i < ep.n_ipv6_nets; i++)
			grown[(*n_addrs)++] = ep.ipv6_nets[i].addr;
	}
out:
	endpoint_free(&ep);
	ds_kv_free(&kv);
	return rc;
}

int lnw_leave(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_ep_req r;
	int rc;

	(void)reply;
	if ((rc = lnw_ep_req_parse(body, &r, err, errlen)) < 0)
		return rc;
	lnw_labels_forget(d, r.endpoint_id);
	if ((rc = lnw_endpoint_unmake(d, r.endpoint_id, NULL, NULL, err, errlen)) < 0)
		return rc;
	log_info("endpoint %s left", r.endpoint_id);
	return 0;
}

/* Idempotent: a Leave that Docker skipped (or that failed) is done here too. */
int lnw_endpoint_delete(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_ep_req r;
	int rc;

	(void)reply;
	if ((rc = lnw_ep_req_parse(body, &r, err, errlen)) < 0)
		return rc;
	lnw_labels_forget(d, r.endpoint_id);
	if ((rc = lnw_endpoint_unmake(d, r.endpoint_id, NULL, NULL, err, errlen)) < 0 ||
	    (rc = lnw_endpoint_forget(d->ds, d->host, r.endpoint_id, err, errlen)) < 0)
		return rc;
	log_info("endpoint %s deleted", r.endpoint_id);
	return 0;
}
