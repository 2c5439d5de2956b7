/* IPAM against a real datastore (the one the environment selects):
 *   ipam_stress scenarios           exhaustion, borrowing, strict affinity,
 *                                   rollback, idempotent release, pool removal, v6,
 *                                   no early reuse, giving empty blocks back
 *   ipam_stress stress P N H        P processes x N auto-assigns over H hosts at
 *                                   once, then concurrent release; checks no
 *                                   duplicate, all in pools, handle counts, and
 *                                   that everything is gone afterwards
 * TAP output (tests/unit/tap.h). Every child opens its own datastore after fork. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datastore/datastore.h"
#include "ipam/ipam.h"
#include "ipam/ipam_handle.h"
#include "model/keys.h"
#include "tap.h"

static char err[512];

static struct ds *open_ds(void)
{
	struct ds *ds = NULL;
	if (ds_open_env(&ds, err, sizeof(err)) < 0) {
		fprintf(stderr, "cannot open the datastore: %s\n", err);
		exit(2);
	}
	return ds;
}

static void wipe(struct ds *ds)
{
	ds_delete_prefix(ds, "/calico/ipam/");
	ds_delete_prefix(ds, "/calico/v1/ipam/");
}

static void add_pool(struct ds *ds, const char *cidr, bool disabled)
{
	char key[KEY_MAX], ck[CIDR_STR_MAX], json[128];
	struct cidr c;
	cidr_parse(cidr, false, false, &c);
	snprintf(json, sizeof(json), "{\"cidr\":\"%s\",\"masquerade\":false%s}", cidr,
		 disabled ? ",\"disabled\":true" : "");
	ds_put(ds, key_pool(key, c.addr.family, cidr_to_key(&c, ck)), json);
}

static void del_pool(struct ds *ds, const char *cidr)
{
	char key[KEY_MAX], ck[CIDR_STR_MAX];
	struct cidr c;
	cidr_parse(cidr, false, false, &c);
	ds_delete(ds, key_pool(key, c.addr.family, cidr_to_key(&c, ck)));
}

static int64_t rev(struct ds *ds)
{
	int64_t r = -1;
	ds_revision(ds, &r);
	return r;
}

static size_t count(struct ds *ds, const char *prefix)
{
	struct ds_kv_list l = { 0 };
	if (ds_list(ds, prefix, &l) < 0)
		return (size_t)-1;
	size_t n = l.n;
	ds_kv_list_free(&l);
	return n;
}

static int assign1(struct ds *ds, const char *handle, const char *host, int family, struct ip_addr *out)
{
	struct ipam_request r = { .handle = handle, .host = host, .num_ipv4 = family == 4, .num_ipv6 = family == 6 };
	return ipam_auto_assign(ds, &r, out, out, err, sizeof(err));
}

static struct ip_addr IP(const char *t)
{
	struct ip_addr ip = { 0 };
	ip_parse(t, &ip);
	return ip;
}

static bool assigned(struct ds *ds, const char *ip)
{
	char *a = NULL;
	struct ip_addr x = IP(ip);
	int rc = ipam_ip_info(ds, &x, &a, err, sizeof(err));
	free(a);
	return rc == 0;
}

/* A /26 pool shared by two hosts: exactly 64 addresses, h2 borrowing from h1's block. */
static void scenario_exhaustion(struct ds *ds)
{
	struct ip_addr got[65];
	char seen[64] = { 0 };
	int ok = 0, dup = 0;
	wipe(ds);
	add_pool(ds, "10.9.0.0/26", false);
	for (int i = 0; i < 64; i++) {
		if (assign1(ds, i % 2 ? "ex-h2" : "ex-h1", i % 2 ? "h2" : "h1", 4, &got[i]) == 0) {
			ok++;
			int o = got[i].bytes[3] & 63;
			dup += seen[o]++;
		} else {
			printf("# assign %d: %s\n", i, err);
		}
	}
	CHECK_INT(ok, 64, "a /26 shared by 2 hosts gives 64 addresses");
	CHECK_INT(dup, 0, "no duplicates");
	CHECK_INT(count(ds, KEY_BLOCK_V4_PREFIX), 1, "one block");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/"), 1, "h1 claimed it");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h2/"), 0, "h2 only borrowed");
	int64_t before = rev(ds);
	for (int h = 1; h <= 2; h++) {
		int rc = assign1(ds, "ex-h3", h == 1 ? "h1" : "h2", 4, &got[64]);
		CHECK_INT(rc, -ENOSPC, "65th request from h%d fails", h);
		CHECK_STR(err, "no available IP addresses in the configured pools", "with Calico's message");
	}
	struct ipam_request two = { .handle = "ex-h3", .host = "h1", .num_ipv4 = 2 };
	CHECK_INT(ipam_auto_assign(ds, &two, got, NULL, err, sizeof(err)), -ENOSPC, "a request for 2 fails too");
	CHECK_INT(rev(ds), before, "and writes nothing (revision unchanged)");
	size_t n = 0;
	CHECK_INT(ipam_release_handle(ds, "ex-h2", &n, err, sizeof(err)), 0, "release h2's borrowed addresses");
	CHECK_INT(n, 32, "32 of them");
	CHECK_INT(assign1(ds, "ex-h3", "h2", 4, &got[64]), 0, "h2 can borrow again");
	ipam_release_handle(ds, "ex-h1", NULL, err, sizeof(err));
	ipam_release_handle(ds, "ex-h3", NULL, err, sizeof(err));
	CHECK_INT(count(ds, KEY_HANDLE_PREFIX), 0, "no handle left");
	CHECK_INT(count(ds, KEY_BLOCK_V4_PREFIX), 1, "the emptied block stays");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/"), 1, "affine to h1, though h2's borrowed address went last");
	size_t freed = 9;
	CHECK_INT(ipam_free_empty_blocks(ds, false, NULL, NULL, &freed, err, sizeof(err)), 0, "gc");
	CHECK_INT(freed, 0, "gc leaves a host its last block");
	CHECK_INT(ipam_release_host_affinities(ds, "h1", &freed, err, sizeof(err)), 0, "node remove h1");
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "frees its empty block with its affinity");
}

static void scenario_claim_and_strict(struct ds *ds)
{
	struct ip_addr a, b;
	char t1[IP_STR_MAX], t2[IP_STR_MAX];
	wipe(ds);
	add_pool(ds, "10.10.0.0/24", false);
	CHECK_INT(assign1(ds, "cl-1", "h1", 4, &a), 0, "h1 assigns");
	CHECK_INT(assign1(ds, "cl-2", "h2", 4, &b), 0, "h2 assigns");
	struct cidr ba, bb;
	ipam_block_cidr_of(&a, &ba);
	ipam_block_cidr_of(&b, &bb);
	CHECK(ip_cmp(&ba.addr, &bb.addr) != 0, "hosts get their own blocks (%s, %s)", ip_format(&a, t1),
	      ip_format(&b, t2));
	wipe(ds);
	add_pool(ds, "10.10.0.0/26", false);
	CHECK_INT(ipam_set_strict_affinity(ds, true, err, sizeof(err)), 0, "strict affinity on");
	CHECK_INT(assign1(ds, "st-1", "h1", 4, &a), 0, "h1 claims the only block");
	int64_t before = rev(ds);
	CHECK_INT(assign1(ds, "st-2", "h2", 4, &b), -ENOSPC, "h2 may not borrow under strict affinity");
	CHECK_INT(rev(ds), before, "nothing written");
	ipam_set_strict_affinity(ds, false, err, sizeof(err));
	CHECK_INT(assign1(ds, "st-2", "h2", 4, &b), -ENOSPC, "a block created strict stays unborrowable");
}

static void scenario_assign_rollback(struct ds *ds)
{
	struct ip_addr ips[3] = { IP("10.8.0.6"), IP("10.8.0.7"), IP("10.8.0.5") };
	struct ip_addr five = IP("10.8.0.5"), v4[1], v6[1];
	char key[KEY_MAX];
	wipe(ds);
	add_pool(ds, "10.8.0.0/24", false);
	CHECK_INT(ipam_assign(ds, &five, 1, "rb-a", "h1", "{\"k\":\"v\"}", err, sizeof(err)), 0, "assign 10.8.0.5");
	char *info = NULL;
	CHECK_INT(ipam_ip_info(ds, &five, &info, err, sizeof(err)), 0, "info");
	CHECK(info && strstr(info, "\"handle_id\":\"rb-a\"") && strstr(info, "\"host\":\"h1\"") &&
		      strstr(info, "\"k\":\"v\"") && strstr(info, "\"timestamp\":\""),
	      "attributes carry handle, host, timestamp and the caller's: %s", info ? info : "");
	free(info);
	CHECK_INT(ipam_assign(ds, ips, 3, "rb-b", "h1", NULL, err, sizeof(err)), -EEXIST, "a conflict fails the batch");
	CHECK_STR(err, "IP '10.8.0.5' already in use.", "with the conflict's message");
	CHECK(!assigned(ds, "10.8.0.6") && !assigned(ds, "10.8.0.7"), "what the batch took is given back");
	struct ds_kv kv = { 0 };
	CHECK_INT(ds_get(ds, ipam_handle_key(key, "rb-b"), &kv), -ENOENT, "and its handle is gone");
	struct ip_addr outside = IP("10.99.0.1");
	CHECK_INT(ipam_assign(ds, &outside, 1, "rb-c", "h1", NULL, err, sizeof(err)), -EINVAL, "outside every pool");
	CHECK_STR(err, "IP '10.99.0.1' is not in a configured pool.", "refused with a message");
	struct ipam_request both = { .handle = "rb-d", .host = "h1", .num_ipv4 = 1, .num_ipv6 = 1 };
	int64_t before = rev(ds);
	CHECK_INT(ipam_auto_assign(ds, &both, v4, v6, err, sizeof(err)), -ENOSPC, "v4+v6 without a v6 pool fails");
	CHECK_INT(ds_get(ds, ipam_handle_key(key, "rb-d"), &kv), -ENOENT, "the v4 part was undone");
	CHECK(rev(ds) > before, "(undo is a write: revision moved)");
	size_t used = 0;
	struct ipam_block_entry *e = NULL;
	size_t n = 0;
	ipam_block_list(ds, 4, &e, &n, err, sizeof(err));
	for (size_t i = 0; i < n; i++)
		used += ipam_block_used(&e[i].block);
	ipam_block_entries_free(e, n);
	CHECK_INT(used, 1, "only 10.8.0.5 remains assigned");
}

static void scenario_release(struct ds *ds)
{
	struct ip_addr five = IP("10.8.0.5"), nine = IP("10.8.0.9");
	struct ip_addr both[2] = { five, nine };
	bool released[2];
	size_t n = 9;
	CHECK_INT(ipam_release(ds, both, 2, released, err, sizeof(err)), 0, "release by address");
	CHECK(released[0] && !released[1], "reports which were assigned");
	CHECK_INT(ipam_release(ds, both, 2, released, err, sizeof(err)), 0, "release again: still 0");
	CHECK(!released[0] && !released[1], "nothing released the second time");
	CHECK_INT(ipam_release_handle(ds, "rb-a", &n, err, sizeof(err)), 0, "release an emptied handle");
	CHECK_INT(n, 0, "releases nothing");
	CHECK_INT(ipam_release_handle(ds, "never-was", &n, err, sizeof(err)), 0, "release an unknown handle");
	CHECK_INT(count(ds, KEY_HANDLE_PREFIX), 0, "no handle is left");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/ipv4/block/10.8.0.0-26"), 1, "h1 keeps its emptied block");
	CHECK_INT(ipam_release_host_affinities(ds, "h1", &n, err, sizeof(err)), 0, "node remove h1");
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "nothing of IPAM is left");
}

static void scenario_pool_removal(struct ds *ds)
{
	struct ip_addr a[3];
	size_t freed = 9;
	wipe(ds);
	add_pool(ds, "10.7.0.0/26", false);
	struct ipam_request r = { .handle = "pr-1", .host = "h1", .num_ipv4 = 3 };
	CHECK_INT(ipam_auto_assign(ds, &r, a, NULL, err, sizeof(err)), 0, "3 from the pool");
	del_pool(ds, "10.7.0.0/26");
	int64_t before = rev(ds);
	CHECK_INT(assign1(ds, "pr-2", "h1", 4, &a[0]), -ENOSPC, "no new allocation from a removed pool");
	CHECK_INT(rev(ds), before, "nothing written");
	CHECK(assigned(ds, "10.7.0.0") && assigned(ds, "10.7.0.2"), "addresses given stay valid");
	CHECK_INT(ipam_cleanup_removed_pools(ds, &freed, err, sizeof(err)), 0, "cleanup");
	CHECK_INT(freed, 0, "leaves a block in use");
	CHECK_INT(ipam_release_handle(ds, "pr-1", &freed, err, sizeof(err)), 0, "release them");
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "their block is freed with its affinity");

	add_pool(ds, "10.7.0.0/26", true);
	CHECK_INT(assign1(ds, "pr-2", "h1", 4, &a[0]), -ENOSPC, "a disabled pool gives nothing");
	/* An empty block left outside every pool (by an older writer), and a stale marker. */
	ds_put(ds, "/calico/ipam/v2/assignment/ipv4/block/10.6.0.0-26",
	       "{\"cidr\":\"10.6.0.0/26\",\"affinity\":\"host:h9\",\"strictAffinity\":false,\"allocations\":["
	       "null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,"
	       "null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,"
	       "null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,"
	       "null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null],\"unallocated\":["
	       "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,"
	       "35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63],"
	       "\"attributes\":[]}");
	ds_put(ds, "/calico/ipam/v2/host/h9/ipv4/block/10.6.0.0-26", "{}");
	ds_put(ds, "/calico/ipam/v2/host/h8/ipv4/block/10.5.0.0-26", "{}");
	CHECK_INT(ipam_cleanup_removed_pools(ds, &freed, err, sizeof(err)), 0, "cleanup after removal");
	CHECK_INT(freed, 1, "frees the empty block outside every pool");
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "with its marker, and the stale marker");
}

static void scenario_v6_and_named_pools(struct ds *ds)
{
	struct ip_addr v6[70], v4[2];
	char t[IP_STR_MAX];
	int inside = 0;
	struct cidr pool;
	wipe(ds);
	add_pool(ds, "fd00:9::/120", false);
	add_pool(ds, "10.5.0.0/24", false);
	add_pool(ds, "10.5.1.0/24", false);
	cidr_parse("fd00:9::/120", false, false, &pool);
	struct ipam_request r = { .handle = "v6-1", .host = "h1", .num_ipv6 = 70 };
	CHECK_INT(ipam_auto_assign(ds, &r, NULL, v6, err, sizeof(err)), 0, "70 IPv6 addresses: %s", err);
	for (int i = 0; i < 70; i++)
		inside += cidr_contains(&pool, &v6[i]);
	CHECK_INT(inside, 70, "all inside the v6 pool (first %s)", ip_format(&v6[0], t));
	CHECK_INT(count(ds, KEY_BLOCK_V6_PREFIX), 2, "two /122 blocks");
	const char *names[] = { "10.5.1.0/24" };
	struct ipam_request n = { .handle = "v6-1", .host = "h1", .num_ipv4 = 2, .ipv4_pools = names,
				  .n_ipv4_pools = 1 };
	CHECK_INT(ipam_auto_assign(ds, &n, v4, NULL, err, sizeof(err)), 0, "from a named pool");
	CHECK(v4[0].bytes[2] == 1 && v4[1].bytes[2] == 1, "inside it (%s)", ip_format(&v4[0], t));
	const char *bad[] = { "10.4.0.0/24" };
	n.ipv4_pools = bad;
	CHECK_INT(ipam_auto_assign(ds, &n, v4, NULL, err, sizeof(err)), -EINVAL, "an unknown pool: %s", err);
	struct ip_addr *held = NULL;
	size_t nh = 0;
	CHECK_INT(ipam_handle_addresses(ds, "v6-1", &held, &nh, err, sizeof(err)), 0, "handle addresses");
	CHECK_INT(nh, 72, "one handle holds v4 and v6");
	free(held);
	size_t rel = 0;
	CHECK_INT(ipam_release_handle(ds, "v6-1", &rel, err, sizeof(err)), 0, "release the handle");
	CHECK_INT(rel, 72, "all 72");
	CHECK_INT(count(ds, KEY_HANDLE_PREFIX), 0, "no handle left");
	CHECK_INT(count(ds, KEY_BLOCK_V6_PREFIX), 2, "the emptied /122 blocks stay");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/ipv6/"), 2, "affine to h1");
	size_t freed = 0;
	CHECK_INT(ipam_free_empty_blocks(ds, false, NULL, NULL, &freed, err, sizeof(err)), 0, "gc");
	CHECK_INT(freed, 1, "gives back one /122 block: h1 keeps one per family");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/ipv6/"), 1, "one v6 block left to h1");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/ipv4/"), 1, "and its v4 block");
	CHECK_INT(count(ds, KEY_BLOCK_V6_PREFIX), 1, "(one v6 block record left)");
	CHECK_INT(ipam_release_host_affinities(ds, "h1", &freed, err, sizeof(err)), 0, "node remove h1");
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "nothing left");
	wipe(ds);
}

/* A host that releases its last addresses does not get them back on its next
 * allocations, and keeps its block (DESIGN §3, as Calico). */
static void scenario_no_early_reuse(struct ds *ds, int family)
{
	const char *pool = family == 4 ? "10.3.0.0/24" : "fd00:3::/120";
	struct ip_addr first[2], next[2];
	char t[4][IP_STR_MAX], marker[KEY_MAX];
	struct cidr blk;
	size_t n = 0;
	wipe(ds);
	add_pool(ds, pool, false);
	for (int i = 0; i < 2; i++)
		CHECK_INT(assign1(ds, i ? "ne-b" : "ne-a", "h1", family, &first[i]), 0, "v%d assign %d: %s", family, i,
			  err);
	ipam_block_cidr_of(&first[0], &blk);
	ipam_affinity_key(marker, "h1", &blk);
	CHECK_INT(ipam_release_handle(ds, "ne-b", &n, err, sizeof(err)), 0, "v%d release b", family);
	CHECK_INT(ipam_release(ds, &first[0], 1, NULL, err, sizeof(err)), 0, "v%d release a, the host's last", family);
	CHECK_INT(count(ds, marker), 1, "v%d the host keeps its block's affinity", family);
	CHECK_INT(count(ds, family == 4 ? KEY_BLOCK_V4_PREFIX : KEY_BLOCK_V6_PREFIX), 1, "v%d and the block", family);
	for (int i = 0; i < 2; i++)
		CHECK_INT(assign1(ds, "ne-c", "h1", family, &next[i]), 0, "v%d assign again %d: %s", family, i, err);
	int reused = 0, same_block = 0;
	for (int i = 0; i < 2; i++) {
		reused += ip_cmp(&next[i], &first[0]) == 0 || ip_cmp(&next[i], &first[1]) == 0;
		same_block += cidr_contains(&blk, &next[i]);
	}
	CHECK_INT(reused, 0, "v%d the next two are fresh (%s, %s after %s, %s)", family, ip_format(&next[0], t[0]),
		  ip_format(&next[1], t[1]), ip_format(&first[0], t[2]), ip_format(&first[1], t[3]));
	CHECK_INT(same_block, 2, "v%d from the same affine block", family);
	ipam_release_handle(ds, "ne-c", NULL, err, sizeof(err));
	wipe(ds);
}

/* gc, node removal and pool removal give empty blocks back; a release frees a
 * block without affinity. */
static void scenario_give_back(struct ds *ds)
{
	struct ip_addr a[130];
	size_t freed = 9;
	wipe(ds);
	add_pool(ds, "10.2.0.0/24", false);
	add_pool(ds, "10.2.1.0/24", false);
	/* h1: 130 addresses = three blocks; h2: one address. */
	struct ipam_request r = { .handle = "gb-1", .host = "h1", .num_ipv4 = 130 };
	CHECK_INT(ipam_auto_assign(ds, &r, a, NULL, err, sizeof(err)), 0, "h1 takes three blocks: %s", err);
	CHECK_INT(assign1(ds, "gb-2", "h2", 4, &a[129]), 0, "h2 takes one");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/"), 3, "h1 has three blocks");
	CHECK_INT(ipam_release_handle(ds, "gb-1", &freed, err, sizeof(err)), 0, "h1 releases everything");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/"), 3, "and keeps its three blocks");
	CHECK_INT(ipam_free_empty_blocks(ds, true, NULL, NULL, &freed, err, sizeof(err)), 0, "gc --dry-run");
	CHECK_INT(freed, 2, "would give back two");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/"), 3, "and gives back nothing");
	CHECK_INT(ipam_free_empty_blocks(ds, false, NULL, NULL, &freed, err, sizeof(err)), 0, "gc");
	CHECK_INT(freed, 2, "gives back two of h1's empty blocks");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h1/"), 1, "h1 keeps one");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h2/"), 1, "h2 keeps its block, which is in use");
	CHECK_INT(count(ds, KEY_BLOCK_V4_PREFIX), 2, "two blocks left");
	/* Node removal of h2 while its address is in use: the block loses its
	 * affinity, and its last release frees it. */
	CHECK_INT(ipam_release_host_affinities(ds, "h2", &freed, err, sizeof(err)), 0, "node remove h2");
	CHECK_INT(count(ds, "/calico/ipam/v2/host/h2/"), 0, "h2's affinity is gone");
	CHECK_INT(count(ds, KEY_BLOCK_V4_PREFIX), 2, "its block stays while in use");
	CHECK_INT(ipam_release_handle(ds, "gb-2", &freed, err, sizeof(err)), 0, "release h2's address");
	CHECK_INT(count(ds, KEY_BLOCK_V4_PREFIX), 1, "a block without affinity is freed by its last release");
	/* Pool removal frees the empty blocks of the removed pool. */
	struct ipam_block_entry *e = NULL;
	size_t nb = 0;
	ipam_block_list(ds, 4, &e, &nb, err, sizeof(err));
	char left[CIDR_STR_MAX] = "";
	if (nb == 1)
		cidr_format(&e[0].block.cidr, left);
	ipam_block_entries_free(e, nb);
	del_pool(ds, strncmp(left, "10.2.1.", 7) == 0 ? "10.2.1.0/24" : "10.2.0.0/24");
	CHECK_INT(ipam_cleanup_removed_pools(ds, &freed, err, sizeof(err)), 0, "pool remove");
	CHECK_INT(freed, 1, "gives back h1's last block, in the removed pool");
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "with its affinity");
	wipe(ds);
}

/* ---- the concurrency test ---- */

static int child_assign(int idx, int n, int hosts, const char *dir)
{
	char handle[64], host[32], path[512];
	struct ds *ds = open_ds();
	snprintf(handle, sizeof(handle), "stress-%d", idx);
	snprintf(host, sizeof(host), "host%d", idx % hosts);
	snprintf(path, sizeof(path), "%s/child-%d", dir, idx);
	FILE *f = fopen(path, "w");
	int rc = f ? 0 : 1;
	for (int i = 0; i < n && rc == 0; i++) {
		struct ip_addr ip;
		char t[IP_STR_MAX];
		if (assign1(ds, handle, host, 4, &ip) < 0) {
			fprintf(stderr, "child %d, assign %d: %s\n", idx, i, err);
			rc = 1;
		} else {
			fprintf(f, "%s\n", ip_format(&ip, t));
		}
	}
	if (f)
		fclose(f);
	ds_close(ds);
	return rc;
}

/* Even children release by handle, odd ones address by address. */
static int child_release(int idx, const struct ip_addr *ips, size_t n)
{
	char handle[64];
	struct ds *ds = open_ds();
	int rc = 0;
	snprintf(handle, sizeof(handle), "stress-%d", idx);
	if (idx % 2 == 0) {
		size_t got = 0;
		rc = ipam_release_handle(ds, handle, &got, err, sizeof(err)) < 0 || got != n;
		if (rc)
			fprintf(stderr, "child %d: release handle: %s (%zu of %zu)\n", idx, err, got, n);
	}
	for (size_t i = 0; idx % 2 && i < n && rc == 0; i++) {
		bool released = false;
		rc = ipam_release(ds, &ips[i], 1, &released, err, sizeof(err)) < 0 || !released;
		if (rc)
			fprintf(stderr, "child %d: release %zu: %s\n", idx, i, err);
	}
	ds_close(ds);
	return rc;
}

static int wait_all(int procs)
{
	int failed = 0, status;
	for (int i = 0; i < procs; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	return failed;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_ip(const void *a, const void *b)
{
	return ip_cmp(a, b);
}

static void stress(int procs, int n, int hosts)
{
	char dir[] = "/tmp/calico-ipam-stress.XXXXXX";
	const char *pools[] = { "10.128.0.0/20", "10.129.0.0/22" };
	struct cidr pc[2];
	struct ds *ds = open_ds();
	size_t total = (size_t)procs * (size_t)n;
	struct ip_addr *all = calloc(total + 1, sizeof(*all));
	size_t got = 0, outside = 0, bad_handles = 0;

	wipe(ds);
	for (int i = 0; i < 2; i++) {
		add_pool(ds, pools[i], false);
		cidr_parse(pools[i], false, false, &pc[i]);
	}
	if (!mkdtemp(dir) || !all) {
		CHECK(0, "set-up");
		return;
	}
	double t0 = now_s();
	for (int i = 0; i < procs; i++)
		if (fork() == 0)
			_exit(child_assign(i, n, hosts, dir));
	int failed = wait_all(procs);
	double dt = now_s() - t0;
	CHECK_INT(failed, 0, "%d processes x %d assigns over %d hosts all succeed", procs, n, hosts);
	printf("# %zu assigns in %.2f s: %.0f/s\n", total, dt, (double)total / dt);
	size_t *start = calloc((size_t)procs + 1, sizeof(size_t));
	for (int i = 0; i < procs; i++) {
		char path[512], line[64];
		snprintf(path, sizeof(path), "%s/child-%d", dir, i);
		FILE *f = fopen(path, "r");
		start[i] = got;
		while (f && got < total && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (ip_parse(line, &all[got]) == 0)
				got++;
		}
		if (f)
			fclose(f);
		unlink(path);
	}
	start[procs] = got;
	rmdir(dir);
	CHECK_INT(got, total, "%zu addresses handed out", total);
	/* Handles: each holds exactly what its process got. */
	for (int i = 0; i < procs; i++) {
		char handle[64];
		struct ip_addr *held = NULL;
		size_t nh = 0;
		struct ipam_handle h;
		snprintf(handle, sizeof(handle), "stress-%d", i);
		if (ipam_handle_addresses(ds, handle, &held, &nh, err, sizeof(err)) < 0 || nh != start[i + 1] - start[i])
			bad_handles++;
		if (ipam_handle_load(ds, handle, &h, err, sizeof(err)) < 0 || ipam_handle_total(&h) != nh)
			bad_handles++;
		ipam_handle_free(&h);
		free(held);
	}
	CHECK_INT(bad_handles, 0, "every handle's count equals what its process holds");
	struct ip_addr *sorted = malloc((got + 1) * sizeof(*sorted));
	memcpy(sorted, all, got * sizeof(*sorted));
	qsort(sorted, got, sizeof(*sorted), cmp_ip);
	size_t dups = 0;
	for (size_t i = 1; i < got; i++)
		dups += ip_cmp(&sorted[i - 1], &sorted[i]) == 0;
	for (size_t i = 0; i < got; i++)
		outside += !cidr_contains(&pc[0], &all[i]) && !cidr_contains(&pc[1], &all[i]);
	free(sorted);
	CHECK_INT(dups, 0, "all distinct");
	CHECK_INT(outside, 0, "all inside the pools");
	struct ipam_block_entry *e = NULL;
	size_t nb = 0, used = 0, foreign = 0;
	ipam_block_list(ds, 4, &e, &nb, err, sizeof(err));
	for (size_t i = 0; i < nb; i++) {
		used += ipam_block_used(&e[i].block);
		const char *h = ipam_block_host(&e[i].block);
		foreign += !h || strncmp(h, "host", 4) != 0;
	}
	ipam_block_entries_free(e, nb);
	CHECK_INT(used, got, "blocks count as many allocations (%zu blocks)", nb);
	CHECK_INT(foreign, 0, "every block is affine to one of the hosts");

	t0 = now_s();
	for (int i = 0; i < procs; i++)
		if (fork() == 0)
			_exit(child_release(i, all + start[i], start[i + 1] - start[i]));
	failed = wait_all(procs);
	dt = now_s() - t0;
	CHECK_INT(failed, 0, "concurrent release (by handle and by address) succeeds");
	printf("# released in %.2f s\n", dt);
	e = NULL;
	nb = 0;
	size_t busy = 0;
	ipam_block_list(ds, 0, &e, &nb, err, sizeof(err));
	for (size_t i = 0; i < nb; i++)
		busy += !ipam_block_is_empty(&e[i].block);
	ipam_block_entries_free(e, nb);
	CHECK_INT(busy, 0, "every block empty (%zu left)", nb);
	CHECK_INT(count(ds, KEY_HANDLE_PREFIX), 0, "no handle left");
	size_t freed = 0;
	CHECK_INT(ipam_free_empty_blocks(ds, false, NULL, NULL, &freed, err, sizeof(err)), 0, "gc");
	CHECK_INT(count(ds, KEY_BLOCK_V4_PREFIX), (size_t)hosts, "gc leaves each host one block (%zu freed)", freed);
	for (int h = 0; h < hosts; h++) {
		char host[32];
		snprintf(host, sizeof(host), "host%d", h);
		ipam_release_host_affinities(ds, host, NULL, err, sizeof(err));
	}
	CHECK_INT(count(ds, "/calico/ipam/"), 0, "node remove of every host gives back the rest");
	free(start);
	free(all);
	wipe(ds);
	ds_close(ds);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "scenarios") == 0) {
		struct ds *ds = open_ds();
		scenario_exhaustion(ds);
		scenario_claim_and_strict(ds);
		scenario_assign_rollback(ds);
		scenario_release(ds);
		scenario_pool_removal(ds);
		scenario_v6_and_named_pools(ds);
		scenario_no_early_reuse(ds, 4);
		scenario_no_early_reuse(ds, 6);
		scenario_give_back(ds);
		wipe(ds);
		ds_close(ds);
		return tap_done();
	}
	if (argc == 5 && strcmp(argv[1], "stress") == 0) {
		stress(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
		return tap_done();
	}
	fprintf(stderr, "usage: ipam_stress scenarios | stress PROCS ASSIGNS HOSTS\n");
	return 2;
}
