/* The agent's cache: what each key under the three watched prefixes decodes to. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/node_cache.h"
#include "tap.h"

static const struct node_kv *put(struct node_cache *c, const char *k, const char *v)
{
	node_cache_put(c, k, v);
	return node_cache_get(c, k);
}

int main(void)
{
	struct node_cache c;
	const struct node_kv *kv;
	char text[IP_STR_MAX];

	node_cache_init(&c);
	CHECK(node_cache_wanted("/calico/v1/Ready") && node_cache_wanted("/calico/bgp/v1/global/as_num") &&
		      node_cache_wanted("/calico/ipam/v2/host/h1/ipv4/block/10.0.0.0-26"),
	      "the three prefixes are wanted");
	CHECK(!node_cache_wanted("/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26") &&
		      !node_cache_wanted("/calico/felix/v1/host/h1/status") && !node_cache_wanted("/calico/ipam/v2/handle/x"),
	      "blocks, handles and status keys are not");

	kv = put(&c, "/calico/bgp/v1/global/as_num", "64511");
	CHECK(kv && kv->kind == NKV_BGP_AS && kv->valid && kv->as_num == 64511 && !kv->host[0], "global AS");
	kv = put(&c, "/calico/bgp/v1/host/h1/as_num", "1.10");
	CHECK(kv && kv->kind == NKV_BGP_AS && kv->valid && kv->as_num == 65546 && strcmp(kv->host, "h1") == 0,
	      "per-host AS in asdot");
	kv = put(&c, "/calico/bgp/v1/host/h1/as_num", "banana");
	CHECK(kv && kv->kind == NKV_BGP_AS && !kv->valid, "a bad AS is kept invalid");
	kv = put(&c, "/calico/bgp/v1/global/node_mesh", "{\"enabled\":false}");
	CHECK(kv && kv->kind == NKV_BGP_MESH && kv->valid && !kv->mesh_enabled, "node mesh off");
	kv = put(&c, "/calico/bgp/v1/global/peer_v4/172.30.0.100", "{\"ip\":\"172.30.0.100\",\"as_num\":64512}");
	CHECK(kv && kv->kind == NKV_BGP_PEER && kv->valid && kv->peer.as_num == 64512 && !kv->host[0] &&
		      strcmp(ip_format(&kv->peer.ip, text), "172.30.0.100") == 0,
	      "global peer");
	kv = put(&c, "/calico/bgp/v1/host/h2/peer_v6/fd00::1", "{\"ip\":\"fd00::1\",\"as_num\":64513}");
	CHECK(kv && kv->kind == NKV_BGP_PEER && kv->valid && strcmp(kv->host, "h2") == 0 && kv->peer.ip.family == 6,
	      "per-node IPv6 peer");
	kv = put(&c, "/calico/bgp/v1/host/h1/ip_addr_v4", "172.30.0.11");
	CHECK(kv && kv->kind == NKV_BGP_HOST_IP && kv->valid && kv->ip.family == 4, "host IPv4 address");
	kv = put(&c, "/calico/bgp/v1/host/h1/ip_addr_v6", "");
	CHECK(kv && kv->kind == NKV_BGP_HOST_IP && kv->valid && kv->ip.family == 0, "empty IPv6 address: none");
	kv = put(&c, "/calico/bgp/v1/host/h1/ip_addr_v6", "172.30.0.11");
	CHECK(kv && kv->kind == NKV_BGP_HOST_IP && !kv->valid, "IPv4 text under ip_addr_v6 is invalid");
	kv = put(&c, "/calico/bgp/v1/global/ip_addr_v4", "1.2.3.4");
	CHECK(kv && kv->kind == NKV_OTHER, "ip_addr_v4 is only a host key");
	kv = put(&c, "/calico/ipam/v2/host/h1/ipv4/block/10.65.1.0-26", "{}");
	CHECK(kv && kv->kind == NKV_AFFINITY && kv->valid && kv->block.prefix == 26 &&
		      strcmp(ip_format(&kv->block.addr, text), "10.65.1.0") == 0 && strcmp(kv->host, "h1") == 0,
	      "block affinity");
	kv = put(&c, "/calico/ipam/v2/host/h1/ipv4/block/nonsense", "{}");
	CHECK(kv && kv->kind == NKV_AFFINITY && !kv->valid, "affinity with a bad block is invalid");
	CHECK(kv && kv->host == node_cache_get(&c, "/calico/bgp/v1/host/h1/as_num")->host && !kv->res,
	      "a host named by many keys is held once; a key that is no v3 resource holds none");
	kv = put(&c, "/calico/ipam/v2/host/h1/ipv4/block/10.65.1.0-26", "{\"changed\":1}");
	CHECK(kv && strcmp(kv->host, "h1") == 0 && kv->valid, "a new value keeps its key's host");
	kv = put(&c, "/calico/bgp/v1/host/h2/peer_v6/fd00::1", "{\"ip\":\"fd00::2\",\"as_num\":64513}");
	CHECK(kv && strcmp(kv->host, "h2") == 0 && kv->valid, "... on every kind of key");
	node_cache_free(&c);

	/* Calico's v3 resources the dataplane enforces, and a profile's labels */
	node_cache_init(&c);
	node_cache_set_host(&c, "h1");
	CHECK(node_cache_wanted("/calico/resources/v3/projectcalico.org/tiers/t1"), "the v3 prefix is wanted");
	kv = put(&c, "/calico/resources/v3/projectcalico.org/tiers/t1",
		 "{\"kind\":\"Tier\",\"apiVersion\":\"projectcalico.org/v3\",\"metadata\":{\"name\":\"t1\"},"
		 "\"spec\":{\"order\":10}}");
	CHECK(kv && kv->kind == NKV_V3 && kv->valid && kv->res->kind == V3_TIER && kv->res->spec.tier.order == 10,
	      "a tier decodes");
	kv = put(&c, "/calico/resources/v3/projectcalico.org/networkpolicies/ns1/p1",
		 "{\"kind\":\"NetworkPolicy\",\"apiVersion\":\"projectcalico.org/v3\",\"metadata\":{\"name\":\"p1\","
		 "\"namespace\":\"ns1\"},\"spec\":{\"selector\":\"app == 'a'\",\"ingress\":[{\"action\":\"Allow\"}]}}");
	CHECK(kv && kv->kind == NKV_V3 && kv->valid && kv->res->kind == V3_NETWORK_POLICY &&
		      kv->res->spec.policy.ingress.n == 1,
	      "a network policy decodes");
	kv = put(&c, "/calico/resources/v3/projectcalico.org/networkpolicies/ns2/p1",
		 "{\"kind\":\"NetworkPolicy\",\"apiVersion\":\"projectcalico.org/v3\",\"metadata\":{\"name\":\"p1\","
		 "\"namespace\":\"ns1\"},\"spec\":{}}");
	CHECK(kv && kv->kind == NKV_V3 && !kv->valid && !kv->res && !node_kv_v3(kv),
	      "a policy under another namespace's key is ignored (and not kept)");
	kv = put(&c, "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/g1",
		 "{\"kind\":\"GlobalNetworkPolicy\",\"apiVersion\":\"projectcalico.org/v3\",\"metadata\":{\"name\":\"g1\"},"
		 "\"spec\":{\"ingress\":[{\"action\":\"allow\"}]}}");
	CHECK(kv && kv->kind == NKV_V3 && !kv->valid, "an undecodable policy is kept invalid");
	kv = put(&c, "/calico/resources/v3/projectcalico.org/globalnetworksets/s1",
		 "{\"kind\":\"GlobalNetworkSet\",\"apiVersion\":\"projectcalico.org/v3\",\"metadata\":{\"name\":\"s1\","
		 "\"labels\":{\"k\":\"v\"}},\"spec\":{\"nets\":[\"10.9.0.0/16\"]}}");
	CHECK(kv && kv->kind == NKV_V3 && kv->valid && kv->res->spec.netset.n_nets == 1, "a global network set decodes");
	kv = put(&c, "/calico/resources/v3/projectcalico.org/ippools/p", "{}");
	CHECK(kv && kv->kind == NKV_OTHER, "other v3 kinds are kept unused");
	kv = put(&c, "/calico/v1/policy/profile/kns.ns1/labels", "{\"team\":\"a\"}");
	CHECK(kv && kv->kind == NKV_PROFILE_LABELS && kv->valid && strcmp(v3_map_get(&kv->labels, "team"), "a") == 0,
	      "a profile's labels");
	kv = put(&c, "/calico/v1/policy/profile/kns.ns1/labels", "[1]");
	CHECK(kv && kv->kind == NKV_PROFILE_LABELS && !kv->valid, "labels that are not an object are ignored");
	node_cache_put(&c, "/calico/v1/host/h2/workload/o/w/endpoint/e",
		       "{\"state\":\"active\",\"name\":\"cali1\",\"profile_ids\":[\"p\"],\"ipv4_nets\":[\"10.0.0.1/32\"],"
		       "\"labels\":{\"app\":\"db\",\"x\":\"\"}}");
	const struct node_ep *ep = node_cache_get_ep(&c, node_cache_key_hash("/calico/v1/host/h2/workload/o/w/endpoint/e"));
	CHECK(ep && !ep->local && ep->n_labels == 2 && ep->n_addrs == 1 && ep->n_profiles == 1 &&
		      memcmp(ep->labels, "app\0db\0x\0\0", 10) == 0,
	      "a remote endpoint keeps its labels");
	node_cache_free(&c);

	/* A burst of endpoints leaves no capacity behind once they are gone
	 * (the load soak's live heap stepped up 1.5 MB without this). */
	char key[128];
	node_cache_init(&c);
	bool all_in = true;
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "/calico/v1/policy/profile/p%04d/tags", i);
		all_in &= node_cache_put(&c, key, "[\"t\"]") == 1;
	}
	size_t peak = c.cap;
	CHECK(all_in && c.n == 3000 && peak >= 3000, "3000 items in (capacity %zu)", peak);
	bool all_out = true;
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "/calico/v1/policy/profile/p%04d/tags", (i * 7) % 3000);
		all_out &= node_cache_del(&c, key) == 1;
	}
	CHECK(all_out && c.n == 0 && c.cap == NODE_CACHE_MIN_CAP, "all out: capacity back to %d (was %zu, is %zu)",
	      NODE_CACHE_MIN_CAP, peak, c.cap);
	node_cache_free(&c);
	return tap_done();
}
