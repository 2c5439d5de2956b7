/* BIRD config rendering: properties the golden files do not show at a
 * glance (exactly one passive side per pair, refusals, what changes the text). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf.h"
#include "agent/node_cache.h"
#include "tap.h"

static void put(struct node_cache *c, const char *k, const char *v)
{
	if (node_cache_put(c, k, v) < 0)
		abort();
}

static char *render(const struct node_cache *c, const char *host)
{
	char *text = NULL, err[256];
	struct bird_conf_opts opt = { .log_path = "/l/bird.log" };
	return bird_conf_render(c, host, &opt, &text, err, sizeof(err)) == 0 ? text : NULL;
}

/* The text of protocol name's block, or "" */
static const char *block_of(const char *text, const char *name, char *buf, size_t len)
{
	char head[128];
	snprintf(head, sizeof(head), "protocol bgp %s ", name);
	const char *s = text ? strstr(text, head) : NULL;
	buf[0] = '\0';
	if (s)
		snprintf(buf, len, "%.*s", (int)(strstr(s, "\n}\n") ? strstr(s, "\n}\n") - s : 0), s);
	return buf;
}

static void test_passive_pairs(void)
{
	struct node_cache c;
	char b1[512], b2[512];
	node_cache_init(&c);
	put(&c, "/calico/bgp/v1/host/a/ip_addr_v4", "10.0.0.9");
	put(&c, "/calico/bgp/v1/host/b/ip_addr_v4", "10.0.0.10"); /* numerically higher, textually lower */
	put(&c, "/calico/bgp/v1/host/c/ip_addr_v4", "10.0.0.200");
	char *ta = render(&c, "a"), *tb = render(&c, "b"), *tc = render(&c, "c");
	CHECK(ta && tb && tc, "three hosts render");
	const char *names[] = { "Mesh_10_0_0_9", "Mesh_10_0_0_10", "Mesh_10_0_0_200" };
	char *texts[] = { ta, tb, tc };
	for (int i = 0; i < 3; i++)
		for (int k = i + 1; k < 3; k++) {
			bool pi = strstr(block_of(texts[i], names[k], b1, sizeof(b1)), "passive on") != NULL;
			bool pk = strstr(block_of(texts[k], names[i], b2, sizeof(b2)), "passive on") != NULL;
			CHECK(b1[0] && b2[0] && pi != pk, "pair %d-%d: exactly one passive side", i, k);
			CHECK(pk, "pair %d-%d: the numerically higher address waits", i, k);
		}
	CHECK(!strstr(ta ? ta : "", "Mesh_10_0_0_9 "), "no session with itself");
	free(ta);
	free(tb);
	free(tc);
	node_cache_free(&c);
}

static void test_refusals_and_defaults(void)
{
	struct node_cache c;
	char *text = NULL, err[256] = "";
	node_cache_init(&c);
	put(&c, "/calico/bgp/v1/host/a/ip_addr_v4", "");
	CHECK_INT(bird_conf_render(&c, "a", NULL, &text, err, sizeof(err)), -ENOENT, "no IPv4 address: -ENOENT");
	CHECK(text == NULL, "... and no text");
	CHECK(strstr(err, "host a has no IPv4 address") != NULL, "... saying which host");
	CHECK_INT(bird_conf_render(&c, "zz", NULL, &text, err, sizeof(err)), -ENOENT, "unknown host: -ENOENT");

	put(&c, "/calico/bgp/v1/host/a/ip_addr_v4", "10.0.0.1");
	put(&c, "/calico/bgp/v1/host/b/ip_addr_v4", "10.0.0.2");
	put(&c, "/calico/bgp/v1/global/node_mesh", "not json");
	text = render(&c, "a");
	CHECK(text && strstr(text, "protocol bgp Mesh_10_0_0_2 "), "an unreadable node_mesh leaves the mesh on");
	CHECK(text && strstr(text, "local 10.0.0.1 as 64511;"), "AS 64511 by default");
	free(text);
	CHECK_INT(bird_conf_render(&c, "a", NULL, &text, err, sizeof(err)), 0, "renders without options");
	CHECK(text && !strstr(text, "log \""), "... and then has no log line");
	free(text);

	put(&c, "/calico/bgp/v1/global/node_mesh", "{\"enabled\":false}");
	text = render(&c, "a");
	CHECK(text && !strstr(text, "Mesh_"), "mesh off: no mesh sessions");
	free(text);

	put(&c, "/calico/bgp/v1/global/as_num", "65000");
	put(&c, "/calico/bgp/v1/host/a/peer_v4/10.0.0.7", "{\"ip\":\"10.0.0.7\",\"as_num\":65007}");
	put(&c, "/calico/bgp/v1/host/b/peer_v4/10.0.0.8", "{\"ip\":\"10.0.0.8\",\"as_num\":65008}");
	text = render(&c, "a");
	CHECK(text && strstr(text, "local 10.0.0.1 as 65000;"), "the global AS applies");
	CHECK(text && strstr(text, "protocol bgp Node_10_0_0_7 ") && strstr(text, "neighbor 10.0.0.7 as 65007;"),
	      "this host's own peer");
	CHECK(text && !strstr(text, "10.0.0.8"), "not another host's peer");
	free(text);

	/* the log path must not break out of BIRD's string */
	struct bird_conf_opts opt = { .log_path = "/x\"; protocol evil {" };
	CHECK_INT(bird_conf_render(&c, "a", &opt, &text, err, sizeof(err)), 0, "odd log path renders");
	CHECK(text && !strstr(text, "evil"), "... without the path");
	free(text);
	node_cache_free(&c);
}

static void test_changes(void)
{
	struct node_cache c;
	node_cache_init(&c);
	put(&c, "/calico/bgp/v1/host/a/ip_addr_v4", "10.0.0.1");
	put(&c, "/calico/v1/ipam/v4/pool/10.65.0.0-16", "{\"cidr\":\"10.65.0.0/16\",\"masquerade\":false}");
	char *t0 = render(&c, "a");
	put(&c, "/calico/v1/host/a/workload/o/w/endpoint/e1",
	    "{\"state\":\"active\",\"name\":\"cali1\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[],"
	    "\"ipv4_nets\":[\"10.65.0.5/32\"],\"ipv6_nets\":[],\"labels\":{}}");
	char *t1 = render(&c, "a");
	CHECK(t0 && t1 && strstr(t1, "net ~ [ 10.65.0.5/32 ]"), "an address outside every block of this host is borrowed");
	put(&c, "/calico/v1/host/a/workload/o/w/endpoint/e0",
	    "{\"state\":\"active\",\"name\":\"cali0\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[],"
	    "\"ipv4_nets\":[\"10.65.0.5/32\",\"10.65.0.3/32\"],\"ipv6_nets\":[],\"labels\":{}}");
	char *t1b = render(&c, "a");
	CHECK(t1b && strstr(t1b, "net ~ [ 10.65.0.3/32, 10.65.0.5/32 ]"), "borrowed addresses: sorted, each once");
	free(t1b);
	put(&c, "/calico/ipam/v2/host/a/ipv4/block/10.65.0.0-26", "{}");
	char *t2 = render(&c, "a");
	CHECK(t2 && !strstr(t2, "10.65.0.5/32") && strstr(t2, "route 10.65.0.0/26 blackhole;"),
	      "once the block is this host's: the block, not the /32");
	put(&c, "/calico/v1/ipam/v4/pool/10.65.0.0-16", "{\"cidr\":\"10.65.0.0/16\",\"masquerade\":false,\"vxlan\":true}");
	char *t3 = render(&c, "a");
	CHECK(t3 && !strstr(t3, "route 10.65.0.0/26") && strstr(t3, "\tif net ~ [ 10.65.0.0/16+ ] then reject;\n"),
	      "the pool turned VXLAN: BGP carries none of it, and takes none of it from peers");
	CHECK(t3 && !strstr(t3, " blackhole;"), "... no blackhole is left for it");
	free(t0);
	free(t1);
	free(t2);
	free(t3);
	node_cache_free(&c);
}

/* Calico imports whatever its peers send (a default route, other racks'
 * networks); this host's own routes win over a peer's for the same prefix. */
static void test_import_from_peers(void)
{
	struct node_cache c;
	node_cache_init(&c);
	put(&c, "/calico/bgp/v1/host/a/ip_addr_v4", "10.0.0.1");
	put(&c, "/calico/v1/ipam/v4/pool/10.65.0.0-16", "{\"cidr\":\"10.65.0.0/16\",\"masquerade\":false}");
	put(&c, "/calico/ipam/v2/host/a/ipv4/block/10.65.0.0-26", "{}");
	char *t = render(&c, "a");
	CHECK(t && strstr(t, "filter calico_import_v4 {\n\taccept;\n}"), "without VXLAN pools: every route is imported");
	CHECK(t && strstr(t, "protocol kernel kernel_v4 {\n\tipv4 {\n\t\tpreference 200;\n"),
	      "the workloads' routes learned from the kernel beat BGP's preference of 100");
	CHECK(t && strstr(t, "protocol static blocks_v4 {\n\tipv4 {\n\t\tpreference 200;\n\t};\n"
			     "\troute 10.65.0.0/26 blackhole;"),
	      "so do the block blackholes");
	CHECK(t && strstr(t, "filter calico_export_v4 {\n\tif proto = \"blocks_v4\" then accept;\n\treject;\n}"),
	      "export: still only this host's blocks, never a learned route");
	free(t);
	put(&c, "/calico/v1/ipam/v4/pool/10.70.0.0-16", "{\"cidr\":\"10.70.0.0/16\",\"masquerade\":false,\"vxlan\":true}");
	put(&c, "/calico/v1/ipam/v4/pool/10.60.0.0-16", "{\"cidr\":\"10.60.0.0/16\",\"masquerade\":false,\"vxlan\":true}");
	t = render(&c, "a");
	CHECK(t && strstr(t, "filter calico_import_v4 {\n\tif net ~ [ 10.60.0.0/16+, 10.70.0.0/16+ ] then reject;\n"
			     "\taccept;\n}"),
	      "routes inside VXLAN pools (sorted) are refused, the rest imported");
	free(t);
	node_cache_free(&c);
}

int main(void)
{
	test_import_from_peers();
	test_passive_pairs();
	test_refusals_and_defaults();
	test_changes();
	return tap_done();
}
