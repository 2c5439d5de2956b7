/* The agent's calculation step: its decoded datastore copy (node_cache.h)
 * -> the desired dataplane state of one host (dp_state.h) and the agent's
 * effective configuration. Pure logic, testable without root
 * (tests/unit/test_node_calc.c). */
#ifndef CALICO_NODE_CALC_H
#define CALICO_NODE_CALC_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/dp_state.h"
#include "store/endpoint_store.h"
#include "util/log.h"
#include "agent/node_cache.h"

/* Felix settings the agent acts on (agent_config.h names them). */
struct node_config {
	enum dp_host_action endpoint_to_host;    /* DefaultEndpointToHostAction */
	char iface_prefix[DP_IFACE_PREFIX_MAX + 1]; /* InterfacePrefix */
	enum log_level log_level;                /* LogSeverityScreen */
	unsigned reporting_interval;             /* ReportingIntervalSecs (0: no heartbeat) */
	unsigned reporting_ttl;                  /* ReportingTTLSecs */
	bool endpoint_reporting;                 /* EndpointReportingEnabled */
	unsigned health_port;                    /* HealthPort */
	bool metrics_enabled;                    /* PrometheusMetricsEnabled */
	unsigned retry_max;                      /* DatastoreRetryMaxSecs: backoff cap */
	bool flow_logs;                          /* FlowLogsEnabled */
	unsigned flow_interval;                  /* FlowLogsFlushInterval, seconds */
	unsigned long flow_file_max_size;        /* FlowLogsFileMaxSize, bytes */
	unsigned flow_file_max_files;            /* FlowLogsFileMaxFiles */
};

/* Every setting at its default. */
void node_config_defaults(struct node_config *cfg);
/* The effective config for host: /calico/v1/config/<Name>, overridden by
 * /calico/v1/host/<host>/config/<Name>, over the defaults. All or nothing: a
 * bad value (or an unknown InterfacePrefix...) gives -EINVAL with a message
 * naming the key and value, and *out is left untouched. Unknown names are
 * ignored (other components' settings share the directory). */
int node_config_from_cache(const struct node_cache *c, const char *host, struct node_config *out, char *err,
			   size_t errlen);

/* This host's endpoints as the state has them: keys[i] is the datastore
 * key of state->endpoints[i] (owned copies: the agent keeps them between
 * calculations, while the cache moves; a key, not its parsed form, which
 * is 896 bytes an endpoint). */
struct node_local {
	char **keys;
	size_t n;
};

void node_local_free(struct node_local *l);

/* The desired state of host: its endpoints (state "active" or not: the
 * compiler decides), the profiles they reference that exist, every tag those
 * profiles' rules name with the addresses of every endpoint on any host whose
 * profiles carry it, all pools, the config's host action and prefix, and the
 * v3 part (node_calc_v3).
 * out and local are initialised here and owned by the caller on success and
 * failure alike. 0 or -ENOMEM. */
int node_calc(const struct node_cache *c, const char *host, const struct node_config *cfg, struct dp_state *out,
	      struct node_local *local);

/* The v3 part of host's state (dp_state.h), after its endpoints: tiers and
 * policies borrowed from the cache (the state must not outlive the cache's
 * next change), the local endpoints' effective labels, and — when some
 * policy exists — every endpoint and network set as a rule selector member
 * and the namespaces with labels. 0 or -ENOMEM. */
int node_calc_v3(const struct node_cache *c, const char *host, struct dp_state *st);
/* An endpoint's effective labels: its own, then its profiles' (dp_labels_inherit). */
int node_calc_effective_labels(const struct node_cache *c, const struct node_ep *ep, struct label_set *out);

/* This host's endpoints only (no profiles, tags or pools), with the config's
 * host action and prefix: what routes and status reports need, cheap enough
 * to redo when a local endpoint changes. Same ownership as node_calc. */
int node_calc_local(const struct node_cache *c, const char *host, const struct node_config *cfg,
		    struct dp_state *out, struct node_local *local);

#endif
