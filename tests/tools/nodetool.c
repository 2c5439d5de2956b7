/* nodetool: datastore and compiler helpers for the calico-node lab tests and
 * benchmarks.
 *
 *   nodetool del KEY                   delete one key (exit 1 when absent)
 *   nodetool render HOST               the full nft script the compiler makes for HOST
 *                                      from the datastore's current state (the golden
 *                                      ruleset an agent must converge to)
 *   nodetool seed HOST N [PREFIX]      N profiles (tags [p<i>], inbound from own tag,
 *                                      tcp 8080 from p<i+1>) and N endpoints on HOST, one
 *                                      profile each, 10.<PREFIX>.x.y (PREFIX default 70),
 *                                      interfaces cali<PREFIX>x<i>, in transactions of 100 keys
 *   nodetool seed-tags PROFILE NRULES NTAGS MEMBERS HOST
 *                                      PROFILE (tags [PROFILE]) with NRULES inbound tcp deny rules,
 *                                      rule i from tag t<i % NTAGS> to port 20000 + i % 10000, then
 *                                      one allow from its own tag; outbound allow. NTAGS profiles t<j>
 *                                      (tags [t<j>]) with MEMBERS endpoints each on HOST (no
 *                                      interfaces needed: HOST is another node), addresses counted
 *                                      up from 10.128.0.1. For the throughput benchmark.
 *   nodetool seed-v3 NPOLICIES NTIERS SPREAD GROUPS
 *                                      Calico v3 policy for the policy benchmark: NTIERS tiers
 *                                      bench-<k> (order k + 1, defaultAction Pass) and NPOLICIES
 *                                      GlobalNetworkPolicies bench-<k>.p<i> (tier i % NTIERS, order
 *                                      i, selector app == 'a<i % SPREAD>', types Ingress, one rule:
 *                                      Deny TCP from selector grp == 'g<i % GROUPS>' to port
 *                                      20000 + i % 10000), stored as calicoctl stores them
 *                                      (canonical JSON with uid and creationTimestamp)
 *   nodetool seed-labelled HOST N PREFIX SPREAD GROUPS
 *                                      N endpoints on HOST e<PREFIX>x<i> (workload and endpoint
 *                                      id), profile bench-allow (written too: allow in and out),
 *                                      labels app=a<i % SPREAD> and grp=g<i % GROUPS> in the record,
 *                                      addresses counted up from 10.<PREFIX>.0.1, no interfaces
 * The backend comes from the environment, as for every binary. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore/datastore.h"
#include "model/keys.h"
#include "agent/node_cache.h"
#include "agent/node_calc.h"
#include "policy/nft_compile.h"
#include "resource/resource.h"
#include "store/resource_store.h"

static int cmd_render(struct ds *ds, const char *host)
{
	struct ds_kv_list l = { 0 };
	struct node_cache c;
	struct node_config cfg;
	struct dp_state st;
	struct node_local local;
	struct nft_model m;
	char err[512], *script = NULL;
	int rc;

	static const char *const prefixes[] = NODE_CACHE_PREFIXES; /* what the agent reads: v1 and v3 */
	node_cache_init(&c);
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		if ((rc = ds_list(ds, prefixes[p], &l)) < 0)
			goto out;
		for (size_t i = 0; i < l.n && rc >= 0; i++)
			rc = node_cache_put(&c, l.items[i].key, l.items[i].value); /* 1: it changed the cache */
		ds_kv_list_free(&l);
		if (rc < 0)
			goto out;
	}
	if (node_config_from_cache(&c, host, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "nodetool: %s (defaults used)\n", err);
		node_config_defaults(&cfg);
	}
	rc = node_calc(&c, host, &cfg, &st, &local);
	if (rc == 0) {
		rc = nft_compile(&st, &m, NULL);
		if (rc == 0)
			rc = nft_render_full(&m, &script);
		nft_model_free(&m);
	}
	dp_state_free(&st);
	node_local_free(&local);
	if (rc == 0)
		fputs(script, stdout);
	free(script);
out:
	node_cache_free(&c);
	ds_kv_list_free(&l);
	return rc;
}

static int flush(struct ds *ds, struct ds_op *ops, char (*vals)[512], char (*keys)[KEY_MAX], size_t *n)
{
	int rc = 0;
	(void)vals;
	(void)keys;
	if (*n)
		rc = ds_txn(ds, ops, *n, NULL);
	*n = 0;
	return rc;
}

static int cmd_seed(struct ds *ds, const char *host, int n, int prefix)
{
	enum { BATCH = 100 };
	static char keys[BATCH][KEY_MAX], vals[BATCH][512];
	struct ds_op ops[BATCH];
	size_t k = 0;
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		char p[32], q[32];
		snprintf(p, sizeof(p), "p%d", i);
		snprintf(q, sizeof(q), "p%d", (i + 1) % n);
		key_profile_tags(keys[k], p);
		snprintf(vals[k], sizeof(vals[k]), "[\"%s\"]", p);
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
		k++;
		key_profile_rules(keys[k], p);
		snprintf(vals[k], sizeof(vals[k]),
			 "{\"id\":\"%s\",\"inbound_rules\":[{\"action\":\"allow\",\"src_tag\":\"%s\"},"
			 "{\"action\":\"allow\",\"protocol\":\"tcp\",\"src_tag\":\"%s\",\"dst_ports\":[8080]}],"
			 "\"outbound_rules\":[{\"action\":\"allow\"}]}",
			 p, p, q);
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
		k++;
		char id[32], wl[32];
		snprintf(id, sizeof(id), "%dx%d", prefix, i);
		snprintf(wl, sizeof(wl), "w%d", i);
		key_endpoint(keys[k], host, "bench", wl, id);
		snprintf(vals[k], sizeof(vals[k]),
			 "{\"state\":\"active\",\"name\":\"cali%s\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[\"%s\"],"
			 "\"ipv4_nets\":[\"10.%d.%d.%d/32\"],\"ipv6_nets\":[],\"labels\":{}}",
			 id, p, prefix, i / 250, i % 250 + 1);
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
		k++;
		if (k + 3 > BATCH)
			rc = flush(ds, ops, vals, keys, &k);
	}
	if (rc == 0)
		rc = flush(ds, ops, vals, keys, &k);
	return rc;
}

/* One profile with many rules over many tags, and the tags' members as
 * endpoints of another host (see the usage comment at the top). */
static int cmd_seed_tags(struct ds *ds, const char *profile, int nrules, int ntags, int members, const char *host)
{
	enum { BATCH = 500 };
	static char keys[BATCH][KEY_MAX], vals[BATCH][512];
	struct ds_op ops[BATCH];
	char rkey[KEY_MAX], tkey[KEY_MAX], tval[256];
	size_t k = 0, cap = (size_t)nrules * 96 + 512, len = 0;
	char *big = malloc(cap);
	int rc = 0;

	if (!big)
		return -ENOMEM;
	len += (size_t)snprintf(big + len, cap - len, "{\"id\":\"%s\",\"inbound_rules\":[", profile);
	for (int i = 0; i < nrules; i++)
		len += (size_t)snprintf(big + len, cap - len,
					"{\"action\":\"deny\",\"protocol\":\"tcp\",\"src_tag\":\"t%d\",\"dst_ports\":[%d]},",
					ntags > 0 ? i % ntags : 0, 20000 + i % 10000);
	snprintf(big + len, cap - len,
		 "{\"action\":\"allow\",\"src_tag\":\"%s\"}],\"outbound_rules\":[{\"action\":\"allow\"}]}", profile);
	key_profile_tags(tkey, profile);
	snprintf(tval, sizeof(tval), "[\"%s\"]", profile);
	key_profile_rules(rkey, profile);
	struct ds_op pops[2] = { { .type = DS_OP_PUT, .key = tkey, .value = tval },
				 { .type = DS_OP_PUT, .key = rkey, .value = big } };
	rc = ds_txn(ds, pops, 2, NULL);
	free(big);
	for (int j = 0; j < ntags && rc == 0; j++) {
		char t[32];
		snprintf(t, sizeof(t), "t%d", j);
		key_profile_tags(keys[k], t);
		snprintf(vals[k], sizeof(vals[k]), "[\"%s\"]", t);
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
		k++;
		key_profile_rules(keys[k], t);
		snprintf(vals[k], sizeof(vals[k]), "{\"id\":\"%s\",\"inbound_rules\":[],\"outbound_rules\":[]}", t);
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
		k++;
		for (int m = 0; m < members && rc == 0; m++) {
			unsigned a = 1u + (unsigned)j * (unsigned)members + (unsigned)m; /* 10.128.0.1 upward */
			char id[32], wl[32];
			snprintf(id, sizeof(id), "tg%u", a);
			snprintf(wl, sizeof(wl), "m%u", a);
			key_endpoint(keys[k], host, "bench", wl, id);
			snprintf(vals[k], sizeof(vals[k]),
				 "{\"state\":\"active\",\"name\":\"cali%s\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[\"%s\"],"
				 "\"ipv4_nets\":[\"10.%u.%u.%u/32\"],\"ipv6_nets\":[],\"labels\":{}}",
				 id, t, 128 + (a >> 16), (a >> 8) & 255, a & 255);
			ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
			k++;
			if (k + 3 > BATCH)
				rc = flush(ds, ops, vals, keys, &k);
		}
	}
	if (rc == 0)
		rc = flush(ds, ops, vals, keys, &k);
	return rc;
}

/* One v3 resource from its JSON text, stored as resource_store stores it:
 * decoded and checked, given a uid and creation time, encoded canonically.
 * The key and the value go to key/val (val malloc'd, the caller frees it). */
static int v3_canonical(const char *text, unsigned serial, char key[KEY_MAX], char **val)
{
	struct v3_resource r = { 0 };
	json_error_t jerr;
	char err[512], uid[40];
	json_t *tree = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *out = NULL;
	int rc = -EINVAL;

	*val = NULL;
	if (!tree || v3_decode(tree, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "nodetool: seed-v3: %s\n", tree ? err : jerr.text);
		goto out;
	}
	snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012x", serial);
	free(r.meta.uid);
	free(r.meta.creation_timestamp);
	r.meta.uid = strdup(uid);
	r.meta.creation_timestamp = strdup("2026-01-01T00:00:00Z");
	rc = -ENOMEM;
	if (!r.meta.uid || !r.meta.creation_timestamp || !(out = v3_encode(&r)) ||
	    !(*val = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		goto out;
	rc = snprintf(key, KEY_MAX, V3_KEY_PREFIX "%s/%s", v3_kind_info(r.kind)->plural, r.meta.name) < KEY_MAX
		     ? 0
		     : -ENAMETOOLONG;
out:
	json_decref(tree);
	json_decref(out);
	v3_resource_free(&r);
	return rc;
}

/* Writes ops[0..*n) in one transaction and frees their values. */
static int flush_owned(struct ds *ds, struct ds_op *ops, char **owned, size_t *n)
{
	int rc = *n ? ds_txn(ds, ops, *n, NULL) : 0;
	for (size_t i = 0; i < *n; i++)
		free(owned[i]);
	*n = 0;
	return rc;
}

/* Tiers and GlobalNetworkPolicies (see the usage comment at the top). */
static int cmd_seed_v3(struct ds *ds, int npol, int ntiers, int spread, int groups)
{
	enum { BATCH = 100 };
	static char keys[BATCH][KEY_MAX];
	char *owned[BATCH], text[1024];
	struct ds_op ops[BATCH];
	size_t k = 0;
	int rc = 0;

	if (npol < 0 || ntiers < 1 || spread < 1 || groups < 1) {
		fprintf(stderr, "nodetool: seed-v3: NPOLICIES must be >= 0, NTIERS, SPREAD and GROUPS >= 1\n");
		return -EINVAL;
	}
	for (int t = 0; t < ntiers + npol && rc == 0; t++) {
		if (t < ntiers) {
			snprintf(text, sizeof(text),
				 "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Tier\",\"metadata\":{\"name\":\"bench-%d\"},"
				 "\"spec\":{\"order\":%d,\"defaultAction\":\"Pass\"}}",
				 t, t + 1);
		} else {
			int i = t - ntiers, tier = i % ntiers;
			snprintf(text, sizeof(text),
				 "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\","
				 "\"metadata\":{\"name\":\"bench-%d.p%d\"},\"spec\":{\"tier\":\"bench-%d\",\"order\":%d,"
				 "\"selector\":\"app == 'a%d'\",\"types\":[\"Ingress\"],\"ingress\":[{\"action\":\"Deny\","
				 "\"protocol\":\"TCP\",\"source\":{\"selector\":\"grp == 'g%d'\"},"
				 "\"destination\":{\"ports\":[%d]}}]}}",
				 tier, i, tier, i, i % spread, i % groups, 20000 + i % 10000);
		}
		if ((rc = v3_canonical(text, (unsigned)t + 1, keys[k], &owned[k])) < 0)
			break;
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = owned[k] };
		if (++k == BATCH)
			rc = flush_owned(ds, ops, owned, &k);
	}
	if (rc < 0)
		for (size_t i = 0; i < k; i++)
			free(owned[i]);
	else
		rc = flush_owned(ds, ops, owned, &k);
	return rc;
}

/* Endpoints with labels in their records (see the usage comment at the top). */
static int cmd_seed_labelled(struct ds *ds, const char *host, int n, int prefix, int spread, int groups)
{
	enum { BATCH = 500 };
	static char keys[BATCH][KEY_MAX], vals[BATCH][512];
	struct ds_op ops[BATCH];
	char tkey[KEY_MAX], rkey[KEY_MAX];
	size_t k = 0;
	int rc;

	if (n < 0 || spread < 1 || groups < 1 || prefix < 0 || prefix > 255) {
		fprintf(stderr, "nodetool: seed-labelled: N must be >= 0, PREFIX 0-255, SPREAD and GROUPS >= 1\n");
		return -EINVAL;
	}
	key_profile_tags(tkey, "bench-allow");
	key_profile_rules(rkey, "bench-allow");
	struct ds_op pops[2] = {
		{ .type = DS_OP_PUT, .key = tkey, .value = "[\"bench-allow\"]" },
		{ .type = DS_OP_PUT, .key = rkey,
		  .value = "{\"id\":\"bench-allow\",\"inbound_rules\":[{\"action\":\"allow\"}],"
			   "\"outbound_rules\":[{\"action\":\"allow\"}]}" },
	};
	rc = ds_txn(ds, pops, 2, NULL);
	for (int i = 0; i < n && rc == 0; i++) {
		unsigned a = 1u + (unsigned)i;
		char id[32];
		snprintf(id, sizeof(id), "e%dx%d", prefix, i);
		key_endpoint(keys[k], host, "bench", id, id);
		snprintf(vals[k], sizeof(vals[k]),
			 "{\"state\":\"active\",\"name\":\"cali%dx%d\",\"mac\":\"ee:ee:ee:ee:ee:ee\","
			 "\"profile_ids\":[\"bench-allow\"],\"ipv4_nets\":[\"10.%u.%u.%u/32\"],\"ipv6_nets\":[],"
			 "\"labels\":{\"app\":\"a%d\",\"grp\":\"g%d\"}}",
			 prefix, i, (unsigned)prefix + (a >> 16), (a >> 8) & 255, a & 255, i % spread, i % groups);
		ops[k] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[k], .value = vals[k] };
		if (++k == BATCH)
			rc = flush(ds, ops, vals, keys, &k);
	}
	if (rc == 0)
		rc = flush(ds, ops, vals, keys, &k);
	return rc;
}

int main(int argc, char **argv)
{
	struct ds *ds;
	char err[512];
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: nodetool (del KEY | render HOST | seed HOST N [PREFIX] | seed-tags PROFILE NRULES NTAGS MEMBERS HOST | "
				"seed-v3 NPOLICIES NTIERS SPREAD GROUPS | seed-labelled HOST N PREFIX SPREAD GROUPS)\n");
		return 2;
	}
	if ((rc = ds_open_env(&ds, err, sizeof(err))) < 0) {
		fprintf(stderr, "nodetool: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "del") == 0 && argc == 3)
		rc = ds_delete(ds, argv[2]);
	else if (strcmp(argv[1], "render") == 0 && argc == 3)
		rc = cmd_render(ds, argv[2]);
	else if (strcmp(argv[1], "seed") == 0 && (argc == 4 || argc == 5))
		rc = cmd_seed(ds, argv[2], atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 70);
	else if (strcmp(argv[1], "seed-tags") == 0 && argc == 7)
		rc = cmd_seed_tags(ds, argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argv[6]);
	else if (strcmp(argv[1], "seed-v3") == 0 && argc == 6)
		rc = cmd_seed_v3(ds, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	else if (strcmp(argv[1], "seed-labelled") == 0 && argc == 7)
		rc = cmd_seed_labelled(ds, argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	else {
		fprintf(stderr, "nodetool: bad usage\n");
		rc = -EINVAL;
	}
	if (rc < 0 && rc != -EINVAL)
		fprintf(stderr, "nodetool: %s %s\n", strerror(-rc), ds_strerror(ds));
	ds_close(ds);
	return rc < 0 ? 1 : 0;
}
