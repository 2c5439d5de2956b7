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
 * The backend comes from the environment, as for every binary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore.h"
#include "keys.h"
#include "node_cache.h"
#include "node_calc.h"
#include "nft_compile.h"

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

	node_cache_init(&c);
	if ((rc = ds_list(ds, "/calico/v1/", &l)) < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++)
		if ((rc = node_cache_put(&c, l.items[i].key, l.items[i].value)) < 0)
			goto out;
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

int main(int argc, char **argv)
{
	struct ds *ds;
	char err[512];
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: nodetool (del KEY | render HOST | seed HOST N [PREFIX])\n");
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
	else {
		fprintf(stderr, "nodetool: bad usage\n");
		rc = -EINVAL;
	}
	if (rc < 0 && rc != -EINVAL)
		fprintf(stderr, "nodetool: %s %s\n", strerror(-rc), ds_strerror(ds));
	ds_close(ds);
	return rc < 0 ? 1 : 0;
}
