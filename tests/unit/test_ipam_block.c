/* IPAM block logic: arithmetic (v4, v6), codec, take/assign/release, pool
 * enumeration and host-seeded order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam/ipam_block.h"
#include "tap.h"

static struct cidr C(const char *text)
{
	struct cidr c = { 0 };
	if (cidr_parse(text, false, false, &c) < 0)
		printf("# bad test cidr %s\n", text);
	return c;
}

static struct ip_addr IP(const char *text)
{
	struct ip_addr ip = { 0 };
	if (ip_parse(text, &ip) < 0)
		printf("# bad test ip %s\n", text);
	return ip;
}

static void test_arithmetic(void)
{
	char buf[CIDR_STR_MAX];
	struct cidr b;
	struct ip_addr ip = IP("10.1.2.200");
	ipam_block_cidr_of(&ip, &b);
	CHECK_STR(cidr_format(&b, buf), "10.1.2.192/26", "v4 block of an address");
	ip = IP("fd00::1:ff");
	ipam_block_cidr_of(&ip, &b);
	CHECK_STR(cidr_format(&b, buf), "fd00::1:c0/122", "v6 block of an address");

	struct cidr pool = C("10.0.0.0/24");
	CHECK_INT(ipam_pool_block_count(&pool), 4, "a /24 has 4 blocks");
	ipam_pool_block_at(&pool, 3, &b);
	CHECK_STR(cidr_format(&b, buf), "10.0.0.192/26", "fourth block of a /24");
	pool = C("10.0.0.0/26");
	CHECK_INT(ipam_pool_block_count(&pool), 1, "a /26 is one block");
	pool = C("10.0.0.0/16");
	CHECK_INT(ipam_pool_block_count(&pool), 1024, "a /16 has 1024 blocks");
	pool = C("fd00::/120");
	CHECK_INT(ipam_pool_block_count(&pool), 4, "a v6 /120 has 4 blocks");
	ipam_pool_block_at(&pool, 2, &b);
	CHECK_STR(cidr_format(&b, buf), "fd00::80/122", "third block of a v6 /120");
	pool = C("fd00::/64");
	CHECK_INT(ipam_pool_block_count(&pool), (uint64_t)1 << 58, "a v6 /64 has 2^58 blocks");
	ipam_pool_block_at(&pool, ((uint64_t)1 << 58) - 1, &b);
	CHECK_STR(cidr_format(&b, buf), "fd00::ffff:ffff:ffff:ffc0/122", "last block of a v6 /64");
	pool = C("fd00::/48");
	CHECK_INT(ipam_pool_block_count(&pool), (uint64_t)1 << 58, "a v6 /48 is capped at 2^58 blocks");
}

static void test_take_release(int family)
{
	struct ipam_block blk;
	struct cidr c = C(family == 4 ? "10.0.0.64/26" : "fd00::40/122");
	int ords[IPAM_BLOCK_SIZE];
	char buf[IP_STR_MAX];
	json_t *sec = json_pack("{s:s}", "host", "h1");

	CHECK_INT(ipam_block_init(&blk, &c, "h1", false), 0, "v%d init", family);
	CHECK_STR(ipam_block_host(&blk), "h1", "v%d affinity host", family);
	CHECK(ipam_block_is_empty(&blk), "v%d new block is empty", family);
	CHECK_INT(ipam_block_take(&blk, 3, "a", sec, ords), 3, "v%d take 3", family);
	CHECK_INT(ords[0] * 100 + ords[1] * 10 + ords[2], 12, "v%d ordinals 0,1,2", family);
	struct ip_addr ip;
	ipam_block_addr(&blk, ords[2], &ip);
	CHECK_STR(ip_format(&ip, buf), family == 4 ? "10.0.0.66" : "fd00::42", "v%d address of ordinal 2", family);
	CHECK_INT(ipam_block_ordinal(&blk, &ip), 2, "v%d ordinal of that address", family);
	struct ip_addr out = IP(family == 4 ? "10.0.0.128" : "fd00::80");
	CHECK_INT(ipam_block_ordinal(&blk, &out), -1, "v%d address outside the block", family);
	CHECK_INT(ipam_block_take(&blk, 100, "b", sec, ords), 61, "v%d take the rest", family);
	CHECK_INT(ipam_block_used(&blk), 64, "v%d full", family);
	CHECK_INT(ipam_block_take(&blk, 1, "c", sec, ords), 0, "v%d full block gives nothing", family);
	CHECK_INT(ipam_block_count_handle(&blk, "a"), 3, "v%d handle a holds 3", family);
	CHECK_INT(ipam_block_release(&blk, 1), 0, "v%d release ordinal 1", family);
	CHECK_INT(ipam_block_release(&blk, 1), -ENOENT, "v%d release it again: -ENOENT", family);
	CHECK_INT(ipam_block_assign(&blk, 2, "z", sec), -EEXIST, "v%d assign an ordinal in use: -EEXIST", family);
	CHECK_INT(ipam_block_release_handle(&blk, "b"), 61, "v%d release handle b", family);
	CHECK_INT(ipam_block_used(&blk), 2, "v%d two left", family);
	CHECK_INT(ipam_block_take(&blk, 1, "c", sec, ords), 1, "v%d take after release", family);
	CHECK_INT(ords[0], 1, "v%d the first released is the first reused", family);
	CHECK_INT(ipam_block_assign(&blk, 3, "d", sec), 0, "v%d assign ordinal 3", family);
	CHECK_INT(ipam_block_release_handle(&blk, "a"), 2, "v%d release a", family);
	CHECK_INT(ipam_block_release_handle(&blk, "c"), 1, "v%d release c", family);
	CHECK_INT(ipam_block_release_handle(&blk, "d"), 1, "v%d release d", family);
	CHECK(ipam_block_is_empty(&blk), "v%d empty again", family);
	ipam_block_free(&blk);

	ipam_block_init(&blk, &c, NULL, false);
	CHECK(ipam_block_host(&blk) == NULL, "v%d block without affinity", family);
	ipam_block_take(&blk, 2, "a", sec, ords);
	ipam_block_release(&blk, 0);
	ipam_block_take(&blk, 1, "a", sec, ords);
	CHECK_INT(ords[0], 2, "v%d a released ordinal goes to the back", family);
	ipam_block_free(&blk);
	json_decref(sec);
}

/* Released ordinals go to the back of the free order: every fresh address of
 * the block comes first, then the released ones in the order they were released. */
static void test_release_order(int family)
{
	struct ipam_block blk;
	struct cidr c = C(family == 4 ? "10.0.1.0/26" : "fd00::1:0/122");
	int ords[IPAM_BLOCK_SIZE], first_fresh = -1, fresh = 0, fresh_first = 1;
	json_t *sec = json_pack("{s:s}", "host", "h1");

	ipam_block_init(&blk, &c, "h1", false);
	ipam_block_take(&blk, 4, "w", sec, ords); /* ordinals 0..3 */
	CHECK_INT(ipam_block_release(&blk, 2), 0, "v%d release a (ordinal 2)", family);
	CHECK_INT(ipam_block_release(&blk, 0), 0, "v%d release b (ordinal 0)", family);
	/* 60 fresh ordinals (4..63) before either released one. */
	for (int i = 0; i < IPAM_BLOCK_SIZE - 4; i++) {
		int o = -1;
		ipam_block_take(&blk, 1, "n", sec, &o);
		if (i == 0)
			first_fresh = o;
		fresh += o >= 4;
		fresh_first &= o != 0 && o != 2;
	}
	CHECK_INT(first_fresh, 4, "v%d the next allocation is a fresh address, not a released one", family);
	CHECK(fresh_first && fresh == IPAM_BLOCK_SIZE - 4, "v%d every fresh address comes before a released one",
	      family);
	CHECK_INT(ipam_block_take(&blk, 2, "n", sec, ords), 2, "v%d then the two released", family);
	CHECK(ords[0] == 2 && ords[1] == 0, "v%d in release order (a, then b): %d, %d", family, ords[0], ords[1]);
	CHECK_INT(ipam_block_take(&blk, 1, "n", sec, ords), 0, "v%d and then the block is full", family);

	/* The order survives the datastore: encode, decode, take. */
	ipam_block_release(&blk, 7);
	ipam_block_release(&blk, 5);
	char err[256] = "", *json = ipam_block_encode(&blk);
	struct ipam_block back;
	CHECK_INT(ipam_block_decode(json, &back, err, sizeof(err)), 0, "v%d decode %s", family, err);
	CHECK_INT(ipam_block_take(&back, 2, "n", sec, ords), 2, "v%d take two after a round trip", family);
	CHECK(ords[0] == 7 && ords[1] == 5, "v%d still in release order: %d, %d", family, ords[0], ords[1]);
	ipam_block_free(&back);
	free(json);
	ipam_block_free(&blk);
	json_decref(sec);
}

/* Records without a usable order: as the code before the order was kept wrote
 * them (ascending), and without "unallocated" at all (absent or null). */
static void test_old_records(void)
{
	struct ipam_block b;
	char err[256] = "";
	int ords[2];
	json_t *sec = json_object();
	char nulls[64 * 5 + 1] = "";
	for (int i = 1; i < 64; i++)
		strcat(nulls, ",null");
	char *old_json = NULL, *absent = NULL, *null_json = NULL;
	/* Ordinal 0 used; the free list ascending, as a block claimed afresh has it. */
	char un[64 * 3 + 1] = "";
	for (int i = 1; i < 64; i++)
		sprintf(un + strlen(un), "%s%d", i > 1 ? "," : "", i);
	const char *head = "{\"cidr\":\"10.77.0.0/26\",\"affinity\":\"host:h3\",\"strictAffinity\":false,"
			   "\"allocations\":[0";
	const char *attrs = "\"attributes\":[{\"handle_id\":\"k1\",\"secondary\":{\"host\":\"h3\"}}]}";
	if (asprintf(&old_json, "%s%s],\"unallocated\":[%s],%s", head, nulls, un, attrs) < 0 ||
	    asprintf(&absent, "%s%s],%s", head, nulls, attrs) < 0 ||
	    asprintf(&null_json, "%s%s],\"unallocated\":null,%s", head, nulls, attrs) < 0) {
		CHECK(0, "set-up");
		return;
	}
	const char *texts[] = { old_json, absent, null_json };
	const char *names[] = { "an old record", "a record without unallocated", "a record with unallocated null" };
	for (int t = 0; t < 3; t++) {
		CHECK_INT(ipam_block_decode(texts[t], &b, err, sizeof(err)), 0, "%s decodes %s", names[t], err);
		CHECK_INT(ipam_block_used(&b), 1, "%s: one address in use", names[t]);
		CHECK_INT(ipam_block_take(&b, 1, "k2", sec, ords), 1, "%s: allocates", names[t]);
		CHECK_INT(ords[0], 1, "%s: from the lowest free ordinal", names[t]);
		ipam_block_release(&b, 0);
		CHECK_INT(ipam_block_take(&b, 1, "k2", sec, ords), 1, "%s: allocates again", names[t]);
		CHECK_INT(ords[0], 2, "%s: a fresh address, not the one just released", names[t]);
		char *json = ipam_block_encode(&b);
		CHECK(json && strstr(json, "\"unallocated\":[3,4,") && strstr(json, ",63,0],"),
		      "%s: written back with its order", names[t]);
		free(json);
		ipam_block_free(&b);
	}
	free(old_json);
	free(absent);
	free(null_json);
	json_decref(sec);
}

static void test_codec(void)
{
	struct ipam_block blk, back;
	struct cidr c = C("10.0.0.0/26");
	int ords[4];
	char err[256] = "";
	json_t *s1 = json_pack("{s:s}", "host", "h1"), *s2 = json_pack("{s:s,s:s}", "host", "h1", "k", "v");

	ipam_block_init(&blk, &c, "h1", false);
	ipam_block_take(&blk, 2, "a", s1, ords);
	ipam_block_take(&blk, 1, "b", s2, ords);
	ipam_block_release(&blk, 0);
	ipam_block_release(&blk, 1); /* handle a's attribute is now unused: dropped */
	char *json = ipam_block_encode(&blk);
	CHECK(json != NULL, "encode");
	CHECK(json && strncmp(json, "{\"cidr\":\"10.0.0.0/26\",\"affinity\":\"host:h1\",\"strictAffinity\":false,"
				    "\"allocations\":[null,null,0,null,",
			      90) == 0,
	      "encoded head: %s", json ? json : "");
	CHECK(json && strstr(json, "\"unallocated\":[3,4,") && strstr(json, ",63,0,1]"),
	      "unallocated keeps hand-out order");
	CHECK(json && strstr(json, "\"attributes\":[{\"handle_id\":\"b\",\"secondary\":{\"host\":\"h1\",\"k\":\"v\"}}]}"),
	      "unused attributes dropped");
	CHECK_INT(ipam_block_decode(json, &back, err, sizeof(err)), 0, "decode what we encoded %s", err);
	char *again = ipam_block_encode(&back);
	CHECK_STR(again, json, "decode(encode(x)) == x");
	CHECK_STR(ipam_block_attr(&back, 2)->handle_id, "b", "attribute of ordinal 2");
	CHECK(ipam_block_attr(&back, 0) == NULL, "ordinal 0 has no attribute");
	free(again);
	ipam_block_free(&back);
	free(json);
	ipam_block_free(&blk);

	const char *bad[] = {
		"[]",
		"{\"cidr\":\"10.0.0.0/24\",\"affinity\":null,\"allocations\":[],\"unallocated\":[],\"attributes\":[]}",
		"{\"cidr\":\"10.0.0.0/26\",\"affinity\":null,\"allocations\":[],\"unallocated\":[],\"attributes\":[]}",
		"{\"cidr\":\"10.0.0.0/26\",\"bogus\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(ipam_block_decode(bad[i], &back, err, sizeof(err)), -EINVAL, "refuses bad block %zu: %s", i,
			  err);
	}
	/* A block whose ordinals are inconsistent (0 both allocated and free). */
	json_t *root = json_loads("{\"cidr\":\"10.0.0.0/26\",\"affinity\":null,\"strictAffinity\":false,"
				  "\"attributes\":[{\"handle_id\":null,\"secondary\":{}}]}",
				  0, NULL);
	json_t *alloc = json_array(), *un = json_array();
	for (int i = 0; i < 64; i++) {
		json_array_append_new(alloc, i == 0 ? json_integer(0) : json_null());
		json_array_append_new(un, json_integer(i));
	}
	json_object_set_new(root, "allocations", alloc);
	json_object_set_new(root, "unallocated", un);
	char *text = json_dumps(root, JSON_COMPACT);
	CHECK_INT(ipam_block_decode(text, &back, err, sizeof(err)), -EINVAL, "refuses an ordinal both used and free: %s",
		  err);
	free(text);
	json_decref(root);
	json_decref(s1);
	json_decref(s2);
}

static void test_free_block(void)
{
	struct cidr pool = C("10.0.0.0/24"), got, taken[4];
	char buf[CIDR_STR_MAX];
	uint64_t seed = ipam_host_seed("h1");

	CHECK(ipam_host_seed("h1") != ipam_host_seed("h2"), "hosts get different seeds");
	CHECK_INT(ipam_pool_free_block(&pool, "h1", NULL, 0, &got), 0, "free block in an empty pool");
	struct cidr want;
	ipam_pool_block_at(&pool, seed % 4, &want);
	CHECK_STR(cidr_format(&got, buf), cidr_format(&want, (char[CIDR_STR_MAX]){ 0 }),
		  "host order starts at seed %% count");
	taken[0] = got;
	CHECK_INT(ipam_pool_free_block(&pool, "h1", taken, 1, &got), 0, "next free block");
	ipam_pool_block_at(&pool, (seed + 1) % 4, &want);
	CHECK(ip_cmp(&got.addr, &want.addr) == 0, "host order wraps to the next block");
	for (int i = 0; i < 4; i++)
		ipam_pool_block_at(&pool, (uint64_t)i, &taken[i]);
	CHECK_INT(ipam_pool_free_block(&pool, "h1", taken, 4, &got), -ENOSPC, "every block taken: -ENOSPC");
	struct cidr small = C("10.0.0.0/26");
	CHECK_INT(ipam_pool_free_block(&small, "h2", NULL, 0, &got), 0, "a /26 pool has its one block");
	CHECK_INT(ipam_pool_free_block(&small, "h2", &small, 1, &got), -ENOSPC, "and then none");
	struct cidr v6 = C("fd00:1::/64");
	CHECK_INT(ipam_pool_free_block(&v6, "h1", NULL, 0, &got), 0, "v6 /64 free block");
	CHECK(cidr_contains_cidr(&v6, &got) && got.prefix == 122, "inside the v6 pool, a /122");
}

int main(void)
{
	test_arithmetic();
	test_take_release(4);
	test_take_release(6);
	test_release_order(4);
	test_release_order(6);
	test_old_records();
	test_codec();
	test_free_block();
	return tap_done();
}
