/* The agent's calculation step without root: cache -> desired state and config. */
#include <stdlib.h>
#include <string.h>

#include "agent/node_cache.h"
#include "agent/node_calc.h"
#include "tap.h"

static const struct dp_tag *tag(const struct dp_state *s, const char *name)
{
	for (size_t i = 0; i < s->n_tags; i++)
		if (strcmp(s->tags[i].name, name) == 0)
			return &s->tags[i];
	return NULL;
}

static const struct profile *prof(const struct dp_state *s, const char *name)
{
	for (size_t i = 0; i < s->n_profiles; i++)
		if (strcmp(s->profiles[i].name, name) == 0)
			return &s->profiles[i];
	return NULL;
}

#define EP(host, id, ifn, profiles, ip)                                                                         \
	node_cache_put(&c, "/calico/v1/host/" host "/workload/o/w" id "/endpoint/" id,                        \
		       "{\"state\":\"active\",\"name\":\"" ifn "\",\"profile_ids\":" profiles ",\"ipv4_nets\":[\"" ip \
		       "/32\"],\"ipv6_nets\":[]}")

int main(void)
{
	struct node_cache c;
	struct node_config cfg;
	struct dp_state st;
	struct node_local local;
	char err[512];

	node_cache_init(&c);
	CHECK(EP("h1", "e1", "calie1", "[\"p1\",\"p2\"]", "10.0.0.1") == 1, "endpoint e1 stored");
	CHECK(EP("h1", "e1", "calie1", "[\"p1\",\"p2\"]", "10.0.0.1") == 0, "same value again: no change");
	EP("h1", "e2", "calie2", "[\"gone\"]", "10.0.0.2");
	EP("h2", "e3", "calie3", "[\"p2\"]", "10.0.1.3");
	EP("h2", "e4", "calie4", "[\"p3\"]", "10.0.1.4");
	CHECK(node_cache_put(&c, "/calico/v1/host/h1/workload/o/wbad/endpoint/bad", "{\"nonsense\":1}") == 1,
	      "an undecodable endpoint is stored (invalid)");
	node_cache_put(&c, "/calico/v1/policy/profile/p1/tags", "[\"t1\"]");
	node_cache_put(&c, "/calico/v1/policy/profile/p1/rules",
		       "{\"id\":\"p1\",\"inbound_rules\":[{\"action\":\"allow\",\"src_tag\":\"t2\"}],"
		       "\"outbound_rules\":[{\"action\":\"deny\",\"dst_tag\":\"nobody\"}]}");
	node_cache_put(&c, "/calico/v1/policy/profile/p2/tags", "[\"t2\"]");
	node_cache_put(&c, "/calico/v1/policy/profile/p3/tags", "[\"t2\",\"t3\"]");
	node_cache_put(&c, "/calico/v1/ipam/v4/pool/10.0.0.0-16", "{\"cidr\":\"10.0.0.0/16\",\"masquerade\":true}");
	node_cache_put(&c, "/calico/v1/config/DefaultEndpointToHostAction", "RETURN");
	node_cache_put(&c, "/calico/v1/host/h1/config/DefaultEndpointToHostAction", "ACCEPT");
	node_cache_put(&c, "/calico/v1/host/h2/config/DefaultEndpointToHostAction", "DROP");
	node_cache_put(&c, "/calico/v1/config/SomethingElse", "whatever");

	CHECK(node_config_from_cache(&c, "h1", &cfg, err, sizeof(err)) == 0, "config of h1");
	CHECK(cfg.endpoint_to_host == DP_HOST_ACCEPT, "host config overrides global");
	CHECK(node_config_from_cache(&c, "h3", &cfg, err, sizeof(err)) == 0 && cfg.endpoint_to_host == DP_HOST_RETURN,
	      "global config when the host has none");
	CHECK_INT((long)cfg.health_port, 9099L, "HealthPort default");
	/* booleans are accepted in any case, so they must be read in any case */
	node_cache_put(&c, "/calico/v1/config/FlowLogsEnabled", "false");
	node_cache_put(&c, "/calico/v1/host/h3/config/FlowLogsEnabled", "TRUE");
	node_cache_put(&c, "/calico/v1/host/h3/config/PrometheusMetricsEnabled", "False");
	CHECK(node_config_from_cache(&c, "h3", &cfg, err, sizeof(err)) == 0 && cfg.flow_logs && !cfg.metrics_enabled,
	      "TRUE and False read as true and false");
	node_cache_del(&c, "/calico/v1/config/FlowLogsEnabled");
	node_cache_del(&c, "/calico/v1/host/h3/config/FlowLogsEnabled");
	node_cache_del(&c, "/calico/v1/host/h3/config/PrometheusMetricsEnabled");

	node_config_from_cache(&c, "h1", &cfg, err, sizeof(err));
	CHECK(node_calc(&c, "h1", &cfg, &st, &local) == 0, "calc h1");
	CHECK_INT((long)st.n_endpoints, 2L, "h1 has two valid endpoints");
	CHECK_INT((long)local.n, 2L, "one key per endpoint");
	CHECK_STR(local.keys[0], "/calico/v1/host/h1/workload/o/we1/endpoint/e1", "keys follow the state's endpoints");
	CHECK_STR(local.keys[1], "/calico/v1/host/h1/workload/o/we2/endpoint/e2", "second key");
	CHECK_STR(st.endpoints[1].name, "calie2", "second endpoint");
	CHECK_INT((long)st.n_profiles, 2L, "referenced profiles that exist (p1, p2; not 'gone', not p3)");
	CHECK(prof(&st, "p1") && prof(&st, "p1")->inbound.n == 1, "p1 has its rules");
	CHECK(prof(&st, "p2") && prof(&st, "p2")->inbound.n == 0 && prof(&st, "p2")->n_tags == 1,
	      "p2 without rules key: tags only");
	CHECK(!prof(&st, "gone"), "missing profile left out");
	CHECK_INT((long)st.n_tags, 2L, "tags named by rules: t2, nobody");
	const struct dp_tag *t2 = tag(&st, "t2");
	CHECK(t2 && t2->n_members == 3, "t2 holds e1 (p2), e3 (p2, other host), e4 (p3, other host)");
	CHECK(tag(&st, "nobody") && tag(&st, "nobody")->n_members == 0, "a tag nobody carries is empty");
	CHECK(!tag(&st, "t1"), "a tag no rule names is not a set");
	CHECK(st.n_pools == 1 && st.pools[0].masquerade, "pools with nat-outgoing");
	CHECK(st.endpoint_to_host == DP_HOST_ACCEPT, "host action in the state");
	CHECK_STR(st.iface_prefix, "cali", "interface prefix");
	dp_state_free(&st);
	node_local_free(&local);

	/* a bad value: all or nothing */
	node_cache_put(&c, "/calico/v1/host/h1/config/ReportingTTLSecs", "-5");
	cfg.endpoint_to_host = DP_HOST_DROP;
	CHECK(node_config_from_cache(&c, "h1", &cfg, err, sizeof(err)) < 0, "a bad value is refused");
	CHECK(strstr(err, "ReportingTTLSecs") != NULL, "the message names the key: %s", err);
	CHECK(cfg.endpoint_to_host == DP_HOST_DROP, "the old config is kept whole");
	CHECK(node_cache_del(&c, "/calico/v1/host/h1/config/ReportingTTLSecs") == 1, "delete");
	CHECK(node_cache_del(&c, "/calico/v1/host/h1/config/ReportingTTLSecs") == 0, "delete twice");

	/* deletions change the state */
	node_cache_del(&c, "/calico/v1/host/h2/workload/o/we4/endpoint/e4");
	node_calc(&c, "h1", &cfg, &st, &local);
	CHECK(tag(&st, "t2") && tag(&st, "t2")->n_members == 2, "a removed remote endpoint leaves the tag");
	dp_state_free(&st);
	node_local_free(&local);

	node_calc(&c, "h9", &cfg, &st, &local);
	CHECK(st.n_endpoints == 0 && st.n_profiles == 0 && local.n == 0, "a host without endpoints");
	dp_state_free(&st);
	node_local_free(&local);
	node_cache_free(&c);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
