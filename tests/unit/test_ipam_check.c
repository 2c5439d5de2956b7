/* The IPAM consistency check over hand-made datastore listings: a clean state,
 * then each kind of damage a crash or a bad hand edit could leave, one at a
 * time, with the exact problem line; and the handle plausibility rules. */
#include <stdlib.h>

#include "ipam/ipam.h"
#include "ipam/ipam_check.h"
#include "ipam/ipam_handle.h"
#include "model/keys.h"
#include "tap.h"

#define MAXKV 16

struct listing {
	struct ds_kv items[MAXKV];
	struct ds_kv_list l;
};

static void put(struct listing *x, const char *key, const char *value)
{
	size_t i = x->l.n++;
	x->items[i] = (struct ds_kv){ .key = strdup(key), .value = strdup(value) };
	/* keep sorted, as ds_list does */
	for (; i > 0 && strcmp(x->items[i - 1].key, x->items[i].key) > 0; i--) {
		struct ds_kv t = x->items[i];
		x->items[i] = x->items[i - 1];
		x->items[i - 1] = t;
	}
	x->l.items = x->items;
}

static void clear(struct listing *x)
{
	for (size_t i = 0; i < x->l.n; i++)
		ds_kv_free(&x->items[i]);
	memset(x, 0, sizeof(*x));
}

/* A block of cidr affine to host with n addresses under handle from ordinal 0. */
static char *block_json(const char *cidr, const char *host, const char *handle, size_t n)
{
	struct ipam_block b;
	struct cidr c;
	int ords[IPAM_BLOCK_SIZE];
	cidr_parse(cidr, false, false, &c);
	ipam_block_init(&b, &c, host, false);
	json_t *sec = json_pack("{s:s}", "host", host ? host : "none");
	if (n)
		ipam_block_take(&b, n, handle, sec, ords);
	json_decref(sec);
	char *s = ipam_block_encode(&b);
	ipam_block_free(&b);
	return s;
}

struct state {
	struct listing blocks, handles, markers, eps;
};

static void state_free(struct state *s)
{
	clear(&s->blocks);
	clear(&s->handles);
	clear(&s->markers);
	clear(&s->eps);
}

static void add_block(struct state *s, const char *cidr, const char *key_leaf, const char *host,
		      const char *handle, size_t n)
{
	char key[KEY_MAX], *json = block_json(cidr, host, handle, n);
	snprintf(key, sizeof(key), "%s%s", KEY_BLOCK_V4_PREFIX, key_leaf);
	put(&s->blocks, key, json);
	free(json);
}

static void add_endpoint(struct state *s, const char *orch, const char *workload, const char *id, const char *ip)
{
	char key[KEY_MAX], value[512];
	snprintf(key, sizeof(key), "/calico/v1/host/h1/workload/%s/%s/endpoint/%s", orch, workload, id);
	snprintf(value, sizeof(value),
		 "{\"state\":\"active\",\"name\":\"cali%.11s\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[],"
		 "\"ipv4_nets\":[\"%s/32\"],\"ipv6_nets\":[],\"labels\":{}}",
		 id, ip);
	put(&s->eps, key, value);
}

/* A clean state: host h1's block 10.0.0.0/26 with 2 addresses of handle
 * calicoctl.e1, the first held by endpoint e1 (the second unused). */
static void clean_state(struct state *s)
{
	memset(s, 0, sizeof(*s));
	add_block(s, "10.0.0.0/26", "10.0.0.0-26", "h1", "calicoctl.e1", 2);
	put(&s->handles, KEY_HANDLE_PREFIX "calicoctl.e1", "{\"id\":\"calicoctl.e1\",\"block\":{\"10.0.0.0/26\":2}}");
	put(&s->markers, KEY_IPAM_HOST_PREFIX "h1/ipv4/block/10.0.0.0-26", "{}");
	add_endpoint(s, "calicoctl", "w1", "e1", "10.0.0.0");
	put(&s->eps, "/calico/v1/host/h1/config/Marker", "x"); /* not an endpoint: skipped */
}

struct lines {
	char text[8][1024];
	size_t n;
};

static void collect(void *arg, const char *line)
{
	struct lines *l = arg;
	if (l->n < 8)
		snprintf(l->text[l->n], sizeof(l->text[0]), "%s", line);
	l->n++;
}

static struct ipam_check_summary run(struct state *s, struct lines *out)
{
	struct ipam_check_input in = { &s->blocks.l, &s->handles.l, &s->markers.l, &s->eps.l };
	struct ipam_check_summary sum;
	memset(out, 0, sizeof(*out));
	int rc = ipam_check_run(&in, collect, out, &sum);
	CHECK(rc == 0, "check runs");
	return sum;
}

/* Runs the check on s and expects exactly one problem, want. */
static void expect_one(struct state *s, const char *want, const char *name)
{
	struct lines l;
	struct ipam_check_summary sum = run(s, &l);
	CHECK(sum.problems == 1 && l.n == 1, "%s: one problem (got %zu)", name, sum.problems);
	CHECK_STR(l.n ? l.text[0] : "", want, "%s: the line", name);
	for (size_t i = 1; i < l.n && i < 8; i++)
		printf("#   also: %s\n", l.text[i]);
	state_free(s);
}

static void test_clean(void)
{
	struct state s;
	struct lines l;
	clean_state(&s);
	struct ipam_check_summary sum = run(&s, &l);
	CHECK(sum.problems == 0, "clean state: no problem (%s)", l.n ? l.text[0] : "");
	CHECK(sum.blocks == 1 && sum.handles == 1 && sum.markers == 1 && sum.endpoints == 1, "clean state: counts");
	CHECK(sum.allocated == 2 && sum.unused == 1, "clean state: 2 allocated, 1 unused");
	state_free(&s);

	struct ipam_check_input empty = { 0 };
	CHECK(ipam_check_run(&empty, NULL, NULL, &sum) == 0 && sum.problems == 0, "nothing at all: clean");
}

static void test_damage(void)
{
	struct state s;

	clean_state(&s);
	clear(&s.handles);
	expect_one(&s, "block 10.0.0.0/26 holds 2 addresses of handle calicoctl.e1, which has no handle record (first 10.0.0.0)",
		   "handle record missing");

	clean_state(&s);
	clear(&s.handles);
	put(&s.handles, KEY_HANDLE_PREFIX "calicoctl.e1", "{\"id\":\"calicoctl.e1\",\"block\":{\"10.0.0.0/26\":3}}");
	expect_one(&s, "handle calicoctl.e1 counts 3 addresses in block 10.0.0.0/26, the block holds 2", "count too high");

	clean_state(&s);
	put(&s.handles, KEY_HANDLE_PREFIX "gone", "{\"id\":\"gone\",\"block\":{\"10.0.0.64/26\":1}}");
	expect_one(&s, "handle gone counts 1 address in block 10.0.0.64/26, which does not exist", "stale handle");

	clean_state(&s);
	put(&s.handles, KEY_HANDLE_PREFIX "other", "{\"id\":\"other\",\"block\":{\"10.0.0.0/26\":1}}");
	expect_one(&s, "handle other counts 1 address in block 10.0.0.0/26, the block holds 0", "count for a block without it");

	clean_state(&s);
	put(&s.handles, KEY_HANDLE_PREFIX "empty", "{\"id\":\"empty\",\"block\":{}}");
	expect_one(&s, "handle empty holds no addresses", "empty handle");

	clean_state(&s);
	put(&s.handles, KEY_HANDLE_PREFIX "bad", "{\"id\":\"other\"}");
	expect_one(&s, "handle bad does not decode: handle bad: want {\"id\":\"bad\",\"block\":{\"<cidr>\":count}}",
		   "handle that does not decode");

	clean_state(&s);
	clear(&s.markers);
	expect_one(&s, "block 10.0.0.0/26 is affine to host h1, which has no affinity marker for it", "marker missing");

	clean_state(&s);
	put(&s.markers, KEY_IPAM_HOST_PREFIX "h2/ipv4/block/10.0.0.0-26", "{}");
	expect_one(&s, "affinity marker of host h2 for block 10.0.0.0/26: the block is affine to h1", "marker of another host");

	clean_state(&s);
	put(&s.markers, KEY_IPAM_HOST_PREFIX "h1/ipv4/block/10.0.0.128-26", "{}");
	expect_one(&s, "affinity marker of host h1 for block 10.0.0.128/26: the block does not exist", "marker without block");

	clean_state(&s);
	put(&s.markers, KEY_IPAM_HOST_PREFIX "h1/ipv4/nonsense", "{}");
	expect_one(&s, "affinity marker key /calico/ipam/v2/host/h1/ipv4/nonsense does not name a host and a block",
		   "marker key that is no marker");

	clean_state(&s);
	add_endpoint(&s, "calicoctl", "w2", "e2", "10.0.0.5");
	expect_one(&s, "endpoint h1/calicoctl/w2/e2 holds 10.0.0.5, which is not allocated", "endpoint address free");

	clean_state(&s);
	add_endpoint(&s, "calicoctl", "w2", "e2", "10.0.1.5");
	expect_one(&s, "endpoint h1/calicoctl/w2/e2 holds 10.0.1.5, which is not allocated", "endpoint address in no block");

	clean_state(&s);
	add_endpoint(&s, "calicoctl", "w2", "e2", "10.0.0.1");
	expect_one(&s, "endpoint h1/calicoctl/w2/e2 holds 10.0.0.1, which is allocated to handle calicoctl.e1",
		   "endpoint address under someone else's handle");

	clean_state(&s);
	add_endpoint(&s, "mesos", "w2", "e2", "10.0.0.0");
	expect_one(&s, "address 10.0.0.0 is held by two endpoints: h1/calicoctl/w1/e1 and h1/mesos/w2/e2",
		   "address held twice");

	clean_state(&s);
	put(&s.eps, "/calico/v1/host/h1/workload/calicoctl/w3/endpoint/e3", "{\"state\":\"active\"}");
	struct lines l;
	struct ipam_check_summary sum = run(&s, &l);
	const char *bad_ep = "endpoint /calico/v1/host/h1/workload/calicoctl/w3/endpoint/e3 does not decode: ";
	CHECK(sum.problems == 1 && strncmp(l.text[0], bad_ep, strlen(bad_ep)) == 0, "endpoint that does not decode: %s",
	      l.text[0]);
	state_free(&s);

	clean_state(&s);
	put(&s.blocks, KEY_BLOCK_V4_PREFIX "10.0.0.64-26", "{\"cidr\":\"10.0.0.64/26\"}");
	sum = run(&s, &l);
	CHECK(sum.problems == 1 && strncmp(l.text[0], "block 10.0.0.64/26 does not decode: ", 36) == 0,
	      "block that does not decode: %s", l.text[0]);
	state_free(&s);

	clean_state(&s);
	char *j = block_json("10.0.0.64/26", NULL, "x", 0);
	put(&s.blocks, KEY_BLOCK_V4_PREFIX "10.0.0.128-26", j);
	free(j);
	expect_one(&s, "block key 10.0.0.128/26 holds block 10.0.0.64/26", "block under another block's key");

	/* allocations without a handle */
	clean_state(&s);
	char *nh = block_json("10.0.0.64/26", NULL, NULL, 1);
	put(&s.blocks, KEY_BLOCK_V4_PREFIX "10.0.0.64-26", nh);
	free(nh);
	expect_one(&s, "address 10.0.0.64 (block 10.0.0.64/26) is allocated with no handle", "allocation with no handle");
}

static void test_plausible(void)
{
	CHECK(ipam_check_handle_plausible("calicoctl", "w", "abc", "calicoctl.abc"), "calicoctl: its endpoint id");
	CHECK(!ipam_check_handle_plausible("calicoctl", "w", "abc", "calicoctl.abd"), "calicoctl: another id");
	CHECK(ipam_check_handle_plausible("cni", "c1", "e", "net1.c1"), "cni: <network>.<container>");
	CHECK(!ipam_check_handle_plausible("cni", "c1", "e", "net1.c12"), "cni: another container");
	CHECK(!ipam_check_handle_plausible("cni", "c1", "e", "c1"), "cni: no network part");
	CHECK(ipam_check_handle_plausible("libnetwork", "libnetwork", "e", "libnetwork.h1"), "libnetwork: its handle");
	CHECK(!ipam_check_handle_plausible("libnetwork", "libnetwork", "e", "net.c1"), "libnetwork: a cni handle");
	CHECK(ipam_check_handle_plausible("mesos", "cid", "e", "task-uid-1"), "mesos: a uid");
	CHECK(!ipam_check_handle_plausible("mesos", "cid", "e", "calicoctl.e"), "mesos: calicoctl's handle");
	CHECK(ipam_check_handle_plausible("k8s", "pod", "e", "anything"), "other orchestrators: any handle");
	CHECK(!ipam_check_handle_plausible("k8s", "pod", "e", ""), "no handle is never plausible");
}

int main(void)
{
	test_clean();
	test_damage();
	test_plausible();
	return tap_done();
}
