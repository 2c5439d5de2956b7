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
