/* The incremental engine against the full compile: random sequences of
 * datastore events (endpoints here and on other hosts with labels, profiles'
 * tags, rules and labels, pools, config, Calico's v3 tiers, policies and
 * network sets, deletions, undecodable values), and after each one
 * the engine's model must render exactly as nft_compile of node_calc of the
 * same cache. The batch scripts are checked too: replayed over the previous
 * model by a small interpreter of the script's commands, they must give the
 * new model (the kernel sees nothing else). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/nft_engine.h"
#include "agent/node_cache.h"
#include "agent/node_calc.h"
#include "policy/nft_compile.h"
#include "tap.h"
#include "util/log.h"

#define HOST "h1"

static unsigned long rng_state;
static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

static const char *const hosts[] = { HOST, HOST, "h2", "h3" };
static const char *const profiles[] = { "p0", "p1", "p2", "p3", "missing" };
static const char *const tags[] = { "t0", "t1", "p0", "p2" };
static const char *const ifnames[] = { "cali0", "cali1", "cali2", "cali3", "tap0", "cali0" };

static void random_endpoint(char *key, size_t klen, char *value, size_t vlen)
{
	const char *host = hosts[rnd(4)];
	unsigned id = rnd(8);
	char profs[128] = "", nets4[128] = "", nets6[128] = "";
	unsigned np = rnd(3);

	snprintf(key, klen, "/calico/v1/host/%s/workload/o/w%u/endpoint/e%u", host, id, id);
	if (rnd(12) == 0) {
		snprintf(value, vlen, "{\"nonsense\":1}");
		return;
	}
	/* distinct picks: the decoder refuses duplicates (a few still come as undecodable values) */
	unsigned first = rnd(5), n4 = rnd(3), a4 = rnd(6);
	for (unsigned i = 0; i < np; i++)
		snprintf(profs + strlen(profs), sizeof(profs) - strlen(profs), "%s\"%s\"", i ? "," : "",
			 profiles[(first + i * 2) % 5]);
	for (unsigned i = 0; i < n4; i++)
		snprintf(nets4 + strlen(nets4), sizeof(nets4) - strlen(nets4), "%s\"10.0.0.%u/32\"", i ? "," : "",
			 (a4 + i) % 6);
	if (rnd(3) == 0)
		snprintf(nets6, sizeof(nets6), "\"fd00::%x/128\"", rnd(4));
	static const char *const apps[] = { "", "\"app\":\"web\"", "\"app\":\"db\"", "\"app\":\"db\",\"role\":\"x\"" };
	static const char *const nss[] = { "", ",\"projectcalico.org/namespace\":\"ns1\"",
					   ",\"projectcalico.org/namespace\":\"ns2\"" };
	unsigned app = rnd(4);
	snprintf(value, vlen,
		 "{\"state\":\"%s\",\"name\":\"%s\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[%s],"
		 "\"ipv4_nets\":[%s],\"ipv6_nets\":[%s],\"labels\":{%s%s}}",
		 rnd(6) ? "active" : "inactive", ifnames[rnd(6)], profs, nets4, nets6, apps[app],
		 app ? nss[rnd(3)] : "");
}

static void random_rule(char *out, size_t len)
{
	static const char *const ports[] = { "", ",\"dst_ports\":[80,443]", ",\"dst_ports\":[\"8000:8080\",22]",
					     ",\"dst_ports\":[53]" };
	const char *tagkey = rnd(2) ? "src_tag" : "dst_tag";
	snprintf(out, len, "{\"action\":\"%s\",\"protocol\":\"tcp\",\"%s\":\"%s\"%s%s}", rnd(2) ? "allow" : "deny",
		 tagkey, tags[rnd(4)], ports[rnd(4)], rnd(5) ? "" : ",\"ip_version\":6");
}

static void random_profile(char *key, size_t klen, char *value, size_t vlen)
{
	const char *p = profiles[rnd(4)];
	if (rnd(2)) {
		char list[128] = "";
		unsigned n = rnd(3), first = rnd(4);
		for (unsigned i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"", i ? "," : "",
				 tags[(first + i) % 4]);
		snprintf(key, klen, "/calico/v1/policy/profile/%s/tags", p);
		snprintf(value, vlen, "[%s]", list);
		return;
	}
	char in[512] = "", out[512] = "", r[160];
	for (unsigned i = 0, n = rnd(3); i < n; i++) {
		random_rule(r, sizeof(r));
		snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%s", i ? "," : "", r);
	}
	for (unsigned i = 0, n = rnd(2); i < n; i++) {
		random_rule(r, sizeof(r));
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", r);
	}
	snprintf(key, klen, "/calico/v1/policy/profile/%s/rules", p);
	snprintf(value, vlen, "{\"id\":\"%s\",\"inbound_rules\":[%s],\"outbound_rules\":[%s]}", p, in, out);
}

/* Calico's v3 resources and a profile's labels. */
static const char *const selectors[] = { "app == 'web'", "app == 'db'", "has(app)", "all()", "role != 'x'",
					 "p0 == ''", "app in {'db', 'web'}" };

static void random_v3_rule(char *out, size_t len)
{
	static const char *const actions[] = { "Allow", "Deny", "Pass", "Log" };
	static const char *const extras[] = {
		"",
		",\"source\":{\"selector\":\"app == 'web'\"}",
		",\"source\":{\"selector\":\"has(app)\",\"notSelector\":\"role == 'x'\"}",
		",\"source\":{\"notNets\":[\"10.0.0.0/30\",\"fd00::/126\"]}",
		",\"protocol\":\"TCP\",\"destination\":{\"ports\":[80,443]}",
		",\"protocol\":\"UDP\",\"destination\":{\"notPorts\":[53]}",
		",\"destination\":{\"selector\":\"net == 'a'\"}",
		",\"source\":{\"namespaceSelector\":\"env == 'prod'\"}",
		",\"destination\":{\"namespaceSelector\":\"has(team)\",\"selector\":\"has(app)\"}",
		",\"destination\":{\"nets\":[\"10.0.0.4/32\"]}",
	};
	snprintf(out, len, "{\"action\":\"%s\"%s}", actions[rnd(4)], extras[rnd(10)]);
}

static void random_v3(char *key, size_t klen, char *value, size_t vlen)
{
	static const char *const tiers[] = { "default", "t1", "t2" };
	char in[600] = "", out[600] = "", r[200], order[32] = "", types[64] = "";
	switch (rnd(5)) {
	case 0: {
		unsigned t = 1 + rnd(2);
		snprintf(key, klen, "/calico/resources/v3/projectcalico.org/tiers/%s", tiers[t]);
		snprintf(value, vlen,
			 "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Tier\",\"metadata\":{\"name\":\"%s\"},"
			 "\"spec\":{%s%s}}",
			 tiers[t], rnd(3) ? "\"order\":100" : "\"order\":5", rnd(2) ? ",\"defaultAction\":\"Pass\"" : "");
		return;
	}
	case 1:
	case 2: {
		bool ns = rnd(3) == 0;
		unsigned id = rnd(3), t = rnd(3);
		for (unsigned i = 0, n = rnd(3); i < n; i++) {
			random_v3_rule(r, sizeof(r));
			snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%s", i ? "," : "", r);
		}
		for (unsigned i = 0, n = rnd(2); i < n; i++) {
			random_v3_rule(r, sizeof(r));
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", r);
		}
		if (rnd(3))
			snprintf(order, sizeof(order), "\"order\":%s,", rnd(2) ? "1.5" : "1");
		if (rnd(4) == 0)
			snprintf(types, sizeof(types), "\"types\":[\"Egress\"],");
		if (ns)
			snprintf(key, klen, "/calico/resources/v3/projectcalico.org/networkpolicies/ns%u/n%u", 1 + id % 2, id);
		else
			snprintf(key, klen, "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/g%u", id);
		snprintf(value, vlen,
			 "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"%s\",\"metadata\":{\"name\":\"%s%u\"%s},"
			 "\"spec\":{\"tier\":\"%s\",%s%s\"selector\":\"%s\"%s,\"ingress\":[%s],\"egress\":[%s]}}",
			 ns ? "NetworkPolicy" : "GlobalNetworkPolicy", ns ? "n" : "g", id,
			 ns ? (id % 2 ? ",\"namespace\":\"ns2\"" : ",\"namespace\":\"ns1\"") : "", tiers[t], order, types,
			 selectors[rnd(7)], !ns && rnd(4) == 0 ? (rnd(2) ? ",\"namespaceSelector\":\"env == 'prod'\"" : ",\"namespaceSelector\":\"has(team)\"") : "", in, out);
		return;
	}
	case 3: {
		bool ns = rnd(2);
		unsigned id = rnd(2);
		if (ns)
			snprintf(key, klen, "/calico/resources/v3/projectcalico.org/networksets/ns1/s%u", id);
		else
			snprintf(key, klen, "/calico/resources/v3/projectcalico.org/globalnetworksets/s%u", id);
		snprintf(value, vlen,
			 "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"%s\",\"metadata\":{\"name\":\"s%u\"%s,"
			 "\"labels\":{\"net\":\"%s\"}},\"spec\":{\"nets\":[%s]}}",
			 ns ? "NetworkSet" : "GlobalNetworkSet", id, ns ? ",\"namespace\":\"ns1\"" : "", rnd(2) ? "a" : "b",
			 rnd(2) ? "\"10.0.0.0/29\",\"10.0.0.2/32\"" : "\"192.168.0.0/16\",\"fd00::/64\"");
		return;
	}
	default:
		if (rnd(3) == 0) { /* a namespace's labels through its profile's tags */
			snprintf(key, klen, "/calico/v1/policy/profile/kns.ns2/tags");
			snprintf(value, vlen, "%s", rnd(2) ? "[\"team\"]" : "[]");
			return;
		}
		snprintf(key, klen, "/calico/v1/policy/profile/%s/labels", rnd(2) ? "p0" : "kns.ns1");
		snprintf(value, vlen, "%s", rnd(2) ? "{\"env\":\"prod\"}" : "{\"app\":\"db\",\"env\":\"dev\"}");
		return;
	}
}

static void random_other(char *key, size_t klen, char *value, size_t vlen)
{
	switch (rnd(5)) {
	case 4:
		snprintf(key, klen, "/calico/v1/config/FlowLogsEnabled");
		snprintf(value, vlen, "%s", rnd(3) ? "true" : "false");
		break;
	case 0: {
		unsigned x = rnd(2);
		snprintf(key, klen, "/calico/v1/ipam/v4/pool/10.%u.0.0-16", x);
		snprintf(value, vlen, "{\"cidr\":\"10.%u.0.0/16\",\"masquerade\":%s}", x, rnd(2) ? "true" : "false");
		break;
	}
	case 1:
		snprintf(key, klen, "/calico/v1/ipam/v6/pool/fd00::-64");
		snprintf(value, vlen, "{\"cidr\":\"fd00::/64\",\"masquerade\":%s}", rnd(2) ? "true" : "false");
		break;
	case 2:
		snprintf(key, klen, "/calico/v1/config/DefaultEndpointToHostAction");
		snprintf(value, vlen, "%s", rnd(2) ? "RETURN" : "DROP");
		break;
	default:
		snprintf(key, klen, "/calico/v1/host/" HOST "/config/InterfacePrefix");
		snprintf(value, vlen, "%s", rnd(2) ? "cali" : "tap");
		break;
	}
}

/* ---------- a tiny interpreter of the scripts the renderer writes ---------- */

static struct nft_set *find_set(struct nft_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_sets; i++)
		if (strcmp(m->sets[i].name, name) == 0)
			return &m->sets[i];
	return NULL;
}

static struct nft_chain *find_chain(struct nft_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_chains; i++)
		if (strcmp(m->chains[i].name, name) == 0)
			return &m->chains[i];
	return NULL;
}

static void elements(struct nft_model *m, char *line, bool add)
{
	char name[NFT_NAME_MAX];
	char *p = strchr(line, '{');
	sscanf(line, "%*s element inet calico %63s", name);
	struct nft_set *s = find_set(m, name);
	if (!s || !p)
		return;
	for (char *tok = strtok(p + 1, ",}"); tok; tok = strtok(NULL, ",}")) {
		while (*tok == ' ')
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && end[-1] == ' ')
			*--end = '\0';
		if (!*tok)
			continue;
		char *colon = strstr(tok, " : ");
		if (colon)
			*colon = '\0';
		if (*tok == '"') {
			tok++;
			tok[strlen(tok) - 1] = '\0';
		}
		bool found;
		size_t pos = nft_set_elem_pos(s, tok, &found);
		if (found)
			nft_set_remove_elem(s, pos);
		if (add)
			nft_set_insert_elem(s, nft_set_elem_pos(s, tok, &found), tok, colon ? colon + 3 : NULL);
	}
}

static void replay(struct nft_model *m, const char *script)
{
	char *copy = strdup(script), *save = NULL, name[NFT_NAME_MAX];
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "add element ", 12) == 0) {
			elements(m, line, true);
		} else if (strncmp(line, "delete element ", 15) == 0) {
			elements(m, line, false);
		} else if (sscanf(line, "add set inet calico %63s", name) == 1 ||
			   sscanf(line, "add map inet calico %63s", name) == 1) {
			if (!find_set(m, name))
				nft_model_add_set(m, name, "x", strncmp(line, "add map", 7) == 0 ? "verdict" : NULL, false);
		} else if (sscanf(line, "delete set inet calico %63s", name) == 1 ||
			   sscanf(line, "delete map inet calico %63s", name) == 1) {
			struct nft_set *s = find_set(m, name);
			if (s)
				nft_model_remove_set(m, (size_t)(s - m->sets));
		} else if (sscanf(line, "add chain inet calico %63s", name) == 1) {
			if (!find_chain(m, name))
				nft_model_add_chain(m, name, NULL);
		} else if (sscanf(line, "flush chain inet calico %63s", name) == 1) {
			struct nft_chain *c = find_chain(m, name);
			for (size_t i = 0; c && i < c->n_rules; i++)
				free(c->rules[i]);
			if (c)
				c->n_rules = 0;
		} else if (sscanf(line, "delete chain inet calico %63s", name) == 1) {
			struct nft_chain *c = find_chain(m, name);
			if (c)
				nft_model_remove_chain(m, (size_t)(c - m->chains));
		} else if (sscanf(line, "add rule inet calico %63s", name) == 1) {
			struct nft_chain *c = find_chain(m, name);
			char *text = line + strlen("add rule inet calico ") + strlen(name) + 1;
			char *comment = strstr(text, " comment \"h:");
			if (comment)
				*comment = '\0';
			if (c)
				nft_chain_add_rule(c, "%s", text);
		}
	}
	free(copy);
}

/* Chains and set elements of two models, as text, without types or hashes. */
static char *shape(struct nft_model *m)
{
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	out[0] = '\0';
#define PUT(...)                                                                             \
	do {                                                                                 \
		int n_ = snprintf(NULL, 0, __VA_ARGS__);                                     \
		while (len + (size_t)n_ + 1 > cap)                                           \
			out = realloc(out, cap *= 2);                                        \
		len += (size_t)sprintf(out + len, __VA_ARGS__);                              \
	} while (0)
	nft_model_finish(m);
	for (size_t i = 0; i < m->n_sets; i++) {
		PUT("set %s:", m->sets[i].name);
		for (size_t j = 0; j < m->sets[i].n_elems; j++)
			PUT(" %s=%s", m->sets[i].elems[j].key, m->sets[i].elems[j].value ? m->sets[i].elems[j].value : "");
		PUT("\n");
	}
	for (size_t i = 0; i < m->n_chains; i++) {
		PUT("chain %s:\n", m->chains[i].name);
		for (size_t j = 0; j < m->chains[i].n_rules; j++)
			PUT("  %s\n", m->chains[i].rules[j]);
	}
	return out;
#undef PUT
}

static int copy_model(const struct nft_model *src, struct nft_model *dst)
{
	nft_model_init(dst, src->family, src->table);
	for (size_t i = 0; i < src->n_sets; i++) {
		struct nft_set *s = nft_model_add_set(dst, src->sets[i].name, "x", NULL, false);
		if (!s || nft_set_copy(&src->sets[i], s, true) < 0)
			return -1;
	}
	for (size_t i = 0; i < src->n_chains; i++) {
		struct nft_chain *c = nft_model_add_chain(dst, src->chains[i].name, NULL);
		if (!c)
			return -1;
		nft_chain_release(c);
		if (nft_chain_copy(&src->chains[i], c) < 0)
			return -1;
	}
	return 0;
}

static int compile_cache(const struct node_cache *c, struct nft_model *out, char *err, size_t errlen,
			 struct nft_flows *flows)
{
	struct node_config cfg;
	struct dp_state st;
	struct node_local local;
	int rc;

	if (node_config_from_cache(c, HOST, &cfg, err, errlen) < 0)
		node_config_defaults(&cfg);
	rc = node_calc(c, HOST, &cfg, &st, &local);
	if (rc == 0)
		rc = nft_compile_flows(&st, out, NULL, flows);
	dp_state_free(&st);
	node_local_free(&local);
	return rc;
}

static void set_config(struct nft_engine *e, const struct node_cache *c)
{
	struct node_config cfg;
	char err[256];
	if (node_config_from_cache(c, HOST, &cfg, err, sizeof(err)) < 0)
		node_config_defaults(&cfg);
	nft_engine_set_config(e, cfg.iface_prefix, cfg.endpoint_to_host);
	nft_engine_set_flow_logs(e, cfg.flow_logs);
}

/* Every verdict point the compile registered is in the engine's registry
 * under the same id (the engine's may hold more: points of rules that went). */
static bool registry_covers(const struct nft_flows *engine, const struct nft_flows *compile)
{
	for (size_t i = 0; i < compile->reg.n; i++) {
		const struct flow_point *p = &compile->reg.points[i], *q;
		if (!p->name)
			continue;
		if (!(q = flow_registry_get(&engine->reg, p->id)) || q->kind != p->kind || q->action != p->action ||
		    q->dir != p->dir || q->rule != p->rule || strcmp(q->name, p->name) != 0 ||
		    strcmp(q->tier, p->tier) != 0 || strcmp(q->namespace, p->namespace) != 0 ||
		    strcmp(q->trigger, p->trigger) != 0)
			return false;
	}
	return true;
}

static unsigned long flow_steps; /* batches compiled with flow logs on */

static unsigned long v3_steps; /* batches after which some endpoint had a tier chain */

static unsigned long rebuilds; /* batches after which the engine asked to be built whole */

static bool run(unsigned long seed, int steps)
{
	struct node_cache c;
	struct nft_engine e;
	struct nft_model kernel;
	char key[256], value[2048], err[256];
	bool ok = true;

	rng_state = seed;
	node_cache_init(&c);
	node_cache_set_host(&c, HOST);
	nft_engine_init(&e, &c);
	set_config(&e, &c);
	if (nft_engine_rebuild(&e, &c) < 0 || copy_model(&e.model, &kernel) < 0)
		return false;
	for (int step = 0; step < steps && ok; step++) {
		unsigned events = 1 + rnd(3); /* a batch */
		for (unsigned ev = 0; ev < events; ev++) {
			unsigned what = rnd(13);
			if (what < 4)
				random_endpoint(key, sizeof(key), value, sizeof(value));
			else if (what < 7)
				random_profile(key, sizeof(key), value, sizeof(value));
			else if (what < 10)
				random_other(key, sizeof(key), value, sizeof(value));
			else
				random_v3(key, sizeof(key), value, sizeof(value));
			if (rnd(4) == 0)
				node_cache_del(&c, key);
			else
				node_cache_put(&c, key, value);
		}
		set_config(&e, &c);
		char *script = NULL;
		struct nft_model want;
		struct nft_flows flows;
		nft_flows_init(&flows);
		/* FlowLogsEnabled switched: the engine asks to be built again whole,
		 * and the agent then syncs the kernel's table to it (program.c) */
		bool whole = false;
		if (e.broken) {
			whole = true;
			nft_model_free(&kernel);
			if (nft_engine_rebuild(&e, &c) < 0 || copy_model(&e.model, &kernel) < 0 ||
			    !(script = calloc(1, 1)))
				ok = false;
			rebuilds++;
		}
		if (!ok || (!whole && nft_engine_flush(&e, &script) < 0) ||
		    compile_cache(&c, &want, err, sizeof(err), &flows) < 0) {
			fprintf(stderr, "# seed %lu step %d: flush or compile failed\n", seed, step);
			free(script);
			nft_model_free(&want);
			nft_flows_free(&flows);
			ok = false;
			break;
		}
		flow_steps += flows.reg.n > 0;
		if (!registry_covers(&e.flows, &flows)) {
			fprintf(stderr, "# seed %lu step %d: a verdict point of the compile is not the engine's\n", seed, step);
			ok = false;
		}
		nft_flows_free(&flows);
		for (size_t i = 0; i < want.n_chains; i++)
			if (strncmp(want.chains[i].name, "ti-", 3) == 0 || strncmp(want.chains[i].name, "to-", 3) == 0) {
				v3_steps++;
				break;
			}
		char *a = NULL, *b = NULL;
		nft_render_full(&e.model, &a);
		nft_render_full(&want, &b);
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "# seed %lu step %d: engine and compile differ\n--- engine\n%s\n--- compile\n%s\n",
				seed, step, a, b);
			ok = false;
		}
		replay(&kernel, script);
		char *k = shape(&kernel), *w = shape(&want);
		if (ok && strcmp(k, w) != 0) {
			fprintf(stderr, "# seed %lu step %d: the scripts do not add up\n--- script\n%s--- replayed\n%s--- want\n%s",
				seed, step, script, k, w);
			ok = false;
		}
		free(k);
		free(w);
		free(a);
		free(b);
		free(script);
		nft_model_free(&want);
	}
	struct nft_compile_report r;
	nft_engine_report(&e, &r);
	nft_model_free(&kernel);
	nft_engine_free(&e);
	node_cache_free(&c);
	return ok;
}

/* ---------- the v3 layer's work is sized by the change ---------- */

static void put_gnp(struct node_cache *c, unsigned i, const char *app, unsigned port)
{
	char key[256], value[1024];
	snprintf(key, sizeof(key), "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/t1.p%u", i);
	snprintf(value, sizeof(value),
		 "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":"
		 "\"t1.p%u\"},\"spec\":{\"tier\":\"t1\",\"order\":%u,\"selector\":\"app == '%s'\",\"ingress\":"
		 "[{\"action\":\"Deny\",\"protocol\":\"TCP\",\"source\":{\"selector\":\"grp == 'g%u'\"},"
		 "\"destination\":{\"ports\":[%u]}}]}}",
		 i, i, app, i % 10, port);
	node_cache_put(c, key, value);
}

static void put_labelled(struct node_cache *c, const char *host, unsigned i, const char *labels)
{
	char key[256], value[1024];
	snprintf(key, sizeof(key), "/calico/v1/host/%s/workload/o/w%u/endpoint/e", host, i);
	snprintf(value, sizeof(value),
		 "{\"state\":\"active\",\"name\":\"cali%u\",\"profile_ids\":[],\"ipv4_nets\":[\"10.%u.%u.%u/32\"],"
		 "\"ipv6_nets\":[],\"labels\":{%s}}",
		 i, strcmp(host, HOST) == 0 ? 1 : 2, i / 250, i % 250, labels);
	node_cache_put(c, key, value);
}

static struct nft_engine_v3_work work_since(const struct nft_engine *e, const struct nft_engine_v3_work *before)
{
	struct nft_engine_v3_work now;
	nft_engine_v3_work(e, &now);
	return (struct nft_engine_v3_work){ now.chains - before->chains, now.if_evals - before->if_evals,
					    now.if_renders - before->if_renders, now.members - before->members };
}

/* Flushes; the engine must equal the compile. The work done, and whether
 * the script touched any chain, go to *w and *chains. */
static bool step(struct node_cache *c, struct nft_engine *e, struct nft_engine_v3_work *w, bool *chains)
{
	struct nft_engine_v3_work before;
	struct nft_model want;
	char *script = NULL, *a = NULL, *b = NULL, err[256];
	bool same;

	struct nft_flows flows;
	nft_flows_init(&flows);
	nft_engine_v3_work(e, &before);
	int rc = nft_engine_flush(e, &script);
	if (rc == 0)
		rc = compile_cache(c, &want, err, sizeof(err), &flows);
	nft_flows_free(&flows);
	if (rc < 0) {
		free(script);
		return false;
	}
	*w = work_since(e, &before);
	*chains = strstr(script, "chain") != NULL;
	nft_render_full(&e->model, &a);
	nft_render_full(&want, &b);
	same = a && b && strcmp(a, b) == 0;
	free(a);
	free(b);
	free(script);
	nft_model_free(&want);
	return same;
}

static void incremental_work(void)
{
	struct node_cache c;
	struct nft_engine e;
	struct nft_engine_v3_work w;
	bool chains;
	char labels[128];

	node_cache_init(&c);
	node_cache_set_host(&c, HOST);
	node_cache_put(&c, "/calico/resources/v3/projectcalico.org/tiers/t1",
		       "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Tier\",\"metadata\":{\"name\":\"t1\"},"
		       "\"spec\":{\"order\":10}}");
	for (unsigned i = 0; i < 20; i++) { /* cali<i> with app a<i % 4>: 5 per app */
		snprintf(labels, sizeof(labels), "\"app\":\"a%u\"", i % 4);
		put_labelled(&c, HOST, i, labels);
	}
	for (unsigned i = 0; i < 500; i++) {
		snprintf(labels, sizeof(labels), "\"grp\":\"g%u\"", i % 10);
		put_labelled(&c, "h2", i, labels);
	}
	for (unsigned i = 0; i < 40; i++) {
		char app[8];
		snprintf(app, sizeof(app), "a%u", i % 4);
		put_gnp(&c, i, app, 20000 + i);
	}
	nft_engine_init(&e, &c);
	CHECK(nft_engine_rebuild(&e, &c) == 0 && step(&c, &e, &w, &chains), "40 policies, 20 local and 500 remote endpoints: engine == compile");

	put_labelled(&c, "h2", 7, "\"grp\":\"g8\"");
	CHECK(step(&c, &e, &w, &chains), "a remote endpoint's label changed: engine == compile");
	CHECK(w.members == 1 && w.chains == 0 && w.if_evals == 0 && w.if_renders == 0 && !chains,
	      "... one member put, no chain compiled or rendered, no interface evaluated, set elements only "
	      "(members %zu chains %zu evals %zu renders %zu)", w.members, w.chains, w.if_evals, w.if_renders);

	put_gnp(&c, 0, "a0", 30000);
	CHECK(step(&c, &e, &w, &chains), "a policy's rule changed: engine == compile");
	CHECK(w.chains == 1 && w.if_evals == 0 && w.if_renders == 0 && w.members == 0,
	      "... its one chain compiled, no interface evaluated whole or re-rendered (chains %zu evals %zu renders %zu)",
	      w.chains, w.if_evals, w.if_renders);

	put_gnp(&c, 1, "a2", 20001);
	CHECK(step(&c, &e, &w, &chains), "a policy's selector changed: engine == compile");
	CHECK(w.chains == 1 && w.if_evals == 0 && w.if_renders == 10,
	      "... its chain, and the tier chains of the 10 interfaces it left or joined (chains %zu evals %zu renders %zu)",
	      w.chains, w.if_evals, w.if_renders);

	put_labelled(&c, HOST, 3, "\"app\":\"a1\"");
	CHECK(step(&c, &e, &w, &chains), "a local endpoint's label changed: engine == compile");
	CHECK(w.if_evals == 1 && w.if_renders == 1 && w.members == 1 && w.chains == 0,
	      "... that interface alone evaluated and rendered (evals %zu renders %zu chains %zu)", w.if_evals,
	      w.if_renders, w.chains);

	put_labelled(&c, HOST, 3, "\"app\":\"a1\",\"other\":\"x\"");
	CHECK(step(&c, &e, &w, &chains), "a local endpoint gained a label no selector reads: engine == compile");
	CHECK(w.if_evals == 1 && !chains, "... evaluated, and no chain sent to the kernel");

	node_cache_put(&c, "/calico/resources/v3/projectcalico.org/tiers/t1",
		       "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Tier\",\"metadata\":{\"name\":\"t1\"},"
		       "\"spec\":{\"order\":10,\"defaultAction\":\"Pass\"}}");
	CHECK(step(&c, &e, &w, &chains), "a tier's default action changed: engine == compile");
	CHECK(w.chains == 0 && w.if_evals == 0 && w.if_renders == 20,
	      "... the tier chains of the 20 interfaces it holds re-rendered, no policy chain (chains %zu renders %zu)",
	      w.chains, w.if_renders);

	node_cache_put(&c, "/calico/resources/v3/projectcalico.org/globalnetworksets/n1",
		       "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkSet\",\"metadata\":{\"name\":"
		       "\"n1\",\"labels\":{\"grp\":\"g3\"}},\"spec\":{\"nets\":[\"10.2.0.0/24\"]}}");
	CHECK(step(&c, &e, &w, &chains), "a network set covering members: engine == compile");
	CHECK(w.members == 1 && w.chains == 0 && w.if_renders == 0 && !chains, "... set elements only");

	for (unsigned i = 0; i < 40; i++) {
		char key[128];
		snprintf(key, sizeof(key), "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/t1.p%u", i);
		node_cache_del(&c, key);
	}
	CHECK(step(&c, &e, &w, &chains), "every policy deleted: engine == compile");
	size_t left = 0;
	for (size_t i = 0; i < e.model.n_chains; i++)
		left += strncmp(e.model.chains[i].name, "pi-", 3) == 0 || strncmp(e.model.chains[i].name, "ti-", 3) == 0;
	for (size_t i = 0; i < e.model.n_sets; i++)
		left += strncmp(e.model.sets[i].name, "sel4-", 5) == 0;
	CHECK(left == 0, "... no policy or tier chain, no selector set left (%zu)", left);
	nft_engine_free(&e);
	node_cache_free(&c);
}

int main(void)
{
	int failed = 0;
	log_set_level(LOG_LVL_ERROR); /* the undecodable values are meant */
	for (unsigned long seed = 1; seed <= 60; seed++)
		failed += !run(seed, 150);
	CHECK_INT((long)failed, 0L, "60 random sequences of 150 batches: engine == full compile after each, scripts replay to it");
	CHECK(v3_steps > 1000, "v3 policies applied to some endpoint after %lu of 9000 batches", v3_steps);
	CHECK(flow_steps > 3000 && flow_steps < 9000, "flow logs on in %lu of 9000 batches, off in the others", flow_steps);
	CHECK(rebuilds > 10 && rebuilds < 3000, "switching flow logs rebuilt the engine whole %lu times, nothing else did",
	      rebuilds);
	incremental_work();

	/* a rebuild from a filled cache equals the compile too */
	struct node_cache c;
	struct nft_engine e;
	struct nft_model want;
	char key[256], value[2048], err[256], *a = NULL, *b = NULL;
	rng_state = 99;
	node_cache_init(&c);
	node_cache_set_host(&c, HOST);
	for (int i = 0; i < 400; i++) {
		unsigned what = rnd(13);
		if (what < 4)
			random_endpoint(key, sizeof(key), value, sizeof(value));
		else if (what < 7)
			random_profile(key, sizeof(key), value, sizeof(value));
		else if (what < 10)
			random_other(key, sizeof(key), value, sizeof(value));
		else
			random_v3(key, sizeof(key), value, sizeof(value));
		node_cache_put(&c, key, value);
	}
	nft_engine_init(&e, &c);
	set_config(&e, &c);
	CHECK(nft_engine_rebuild(&e, &c) == 0, "rebuild from a filled cache");
	CHECK(compile_cache(&c, &want, err, sizeof(err), NULL) == 0, "full compile");
	nft_render_full(&e.model, &a);
	nft_render_full(&want, &b);
	CHECK_STR(a, b, "rebuilt model == full compile");
	char *script = NULL;
	CHECK(nft_engine_flush(&e, &script) == 0 && script && !script[0], "nothing pending after a rebuild");
	free(script);
	free(a);
	free(b);
	nft_model_free(&want);
	nft_engine_free(&e);
	node_cache_free(&c);

	/* endpoint churn: every new endpoint's interface name is interned; the
	 * engine asks for compaction, and a rebuild right after a flush gives the
	 * same model in tables sized by what is in use */
	node_cache_init(&c);
	node_cache_set_host(&c, HOST);
	nft_engine_init(&e, &c);
	nft_engine_rebuild(&e, &c);
	int compactions = 0, mismatch = 0;
	size_t most_names = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "/calico/v1/host/%s/workload/o/w%d/endpoint/e", HOST, i);
		snprintf(value, sizeof(value),
			 "{\"state\":\"active\",\"name\":\"cali%08x\",\"profile_ids\":[\"p0\"],"
			 "\"ipv4_nets\":[\"10.0.%d.%d/32\"],\"ipv6_nets\":[]}",
			 (unsigned)i, i / 250, i % 250);
		node_cache_put(&c, key, value);
		nft_engine_flush(&e, &script);
		free(script);
		if (i >= 10) { /* ten live endpoints at a time */
			snprintf(key, sizeof(key), "/calico/v1/host/%s/workload/o/w%d/endpoint/e", HOST, i - 10);
			node_cache_del(&c, key);
			nft_engine_flush(&e, &script);
			free(script);
		}
		if (e.ifnames.n > most_names)
			most_names = e.ifnames.n;
		if (nft_engine_wants_compaction(&e)) {
			char *before = NULL, *after = NULL;
			nft_render_full(&e.model, &before);
			compactions++;
			nft_engine_rebuild(&e, &c);
			nft_render_full(&e.model, &after);
			mismatch += !before || !after || strcmp(before, after) != 0;
			free(before);
			free(after);
		}
	}
	CHECK(compactions >= 3, "5,000 endpoints churned ten at a time: the engine asked for compaction (%d times)",
	      compactions);
	CHECK_INT(mismatch, 0, "each rebuild made the same model");
	CHECK(most_names <= 1025 + 10, "interned interface names stayed bounded (at most %zu)", most_names);
	script = NULL;
	CHECK(nft_engine_flush(&e, &script) == 0 && script && !script[0], "nothing pending after the last rebuild");
	free(script);
	nft_engine_free(&e);
	node_cache_free(&c);

	/* profile churn: each new profile brings new verdict points and leaves
	 * its predecessor's stale in the registry; the engine asks for a
	 * rebuild when the registry doubled, which drops them */
	node_cache_init(&c);
	node_cache_set_host(&c, HOST);
	nft_engine_init(&e, &c);
	nft_engine_rebuild(&e, &c);
	compactions = mismatch = 0;
	size_t most_points = 0, kept = 0;
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "/calico/v1/policy/profile/q%d/rules", i);
		node_cache_put(&c, key, "{\"inbound_rules\":[{\"action\":\"allow\"}],\"outbound_rules\":[{\"action\":\"deny\"}]}");
		snprintf(key, sizeof(key), "/calico/v1/host/%s/workload/o/w/endpoint/e", HOST);
		snprintf(value, sizeof(value),
			 "{\"state\":\"active\",\"name\":\"cali0\",\"profile_ids\":[\"q%d\"],"
			 "\"ipv4_nets\":[\"10.0.0.1/32\"],\"ipv6_nets\":[]}", i);
		node_cache_put(&c, key, value);
		if (i) {
			snprintf(key, sizeof(key), "/calico/v1/policy/profile/q%d/rules", i - 1);
			node_cache_del(&c, key);
		}
		nft_engine_flush(&e, &script);
		free(script);
		if (e.flows.reg.n > most_points)
			most_points = e.flows.reg.n;
		if (nft_engine_wants_compaction(&e)) {
			char *before = NULL, *after = NULL;
			nft_render_full(&e.model, &before);
			compactions++;
			nft_engine_rebuild(&e, &c);
			if (e.flows.reg.n > kept)
				kept = e.flows.reg.n;
			nft_render_full(&e.model, &after);
			mismatch += !before || !after || strcmp(before, after) != 0;
			free(before);
			free(after);
		}
	}
	CHECK(compactions >= 2, "3,000 profiles churned: the flow registry asked for compaction (%d times)", compactions);
	CHECK_INT(mismatch, 0, "each rebuild made the same model");
	CHECK(most_points <= 4096 + 8, "the registry stayed bounded (at most %zu points)", most_points);
	CHECK(kept > 0 && kept < 16, "after a rebuild the registry holds the live points only (at most %zu)", kept);
	nft_engine_free(&e);
	node_cache_free(&c);
	return tap_done();
}
