/* The desired dataplane state of one host: what the policy compiler
 * (nft_compile.h) turns into nftables. The agent fills it from the datastore;
 * tests fill it from a small JSON form (dp_state_from_json). Pure data.
 *
 * Ownership: a dp_state owns every array and string it points to, including
 * the endpoints', profiles' and tags' contents; dp_state_free() releases all
 * of it in one call and leaves the struct as dp_state_init() made it. */
#ifndef CALICO_DP_STATE_H
#define CALICO_DP_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ipaddr.h"
#include "model/model.h"
#include "resource/resource.h"
#include "selector/selector.h"

#define DP_NAMESPACE_LABEL "projectcalico.org/namespace" /* an endpoint's namespace, in its labels */
#define DP_NS_NAME_LABEL   "projectcalico.org/name"      /* a namespace's own name, in its labels */

/* DefaultEndpointToHostAction: what happens to traffic from a local workload
 * to its own host once the workload's outbound policy allowed it. */
enum dp_host_action {
	DP_HOST_DROP = 0, /* Calico's default */
	DP_HOST_RETURN,   /* go on to the host's normal input processing (our chain accepts) */
	DP_HOST_ACCEPT,
};

#define DP_IFACE_PREFIX_MAX 8 /* InterfacePrefix: 1-8 lower-case letters or digits */

/* One tag: the addresses of every endpoint, on any host, whose profiles carry it. */
struct dp_tag {
	char name[CALICO_NAME_MAX + 1];
	struct ip_addr *members;
	size_t n_members;
};

/* An endpoint (on any host) or a network set, as rule selectors see it. */
struct dp_v3_member {
	char *namespace_;        /* NULL: a global network set */
	struct label_set labels; /* an endpoint's effective labels; a network set's metadata.labels */
	struct cidr *nets;       /* an endpoint's addresses (as /32, /128), a network set's nets */
	size_t n_nets;
};

/* A namespace whose labels are more than its name: the labelsToApply of
 * profile kns.<name>, plus DP_NS_NAME_LABEL. A namespace not listed has only
 * DP_NS_NAME_LABEL. */
struct dp_v3_namespace {
	char *name;
	struct label_set labels;
};

struct dp_state {
	struct endpoint *endpoints; /* this host's endpoints; name = host-side interface */
	size_t n_endpoints;
	struct profile *profiles; /* every profile an endpoint here may reference */
	size_t n_profiles;
	struct dp_tag *tags; /* tags referenced by those profiles' rules; a missing tag is empty */
	size_t n_tags;
	struct pool *pools; /* all pools, with their masquerade (nat-outgoing) flag */
	size_t n_pools;
	enum dp_host_action endpoint_to_host;
	char iface_prefix[DP_IFACE_PREFIX_MAX + 1]; /* "cali" */
	bool flow_logs; /* FlowLogsEnabled (default on): verdict points log to NFLOG (nft_flow.h) */

	/* Calico's v3 policy model (DESIGN §11); all empty without it. */
	struct label_set *endpoint_labels; /* effective labels of endpoints[i] (NULL: none has any) */
	const struct v3_resource **tiers;  /* Tier resources ("default" is implied when absent) */
	size_t n_tiers;
	const struct v3_resource **policies; /* GlobalNetworkPolicy and NetworkPolicy resources */
	size_t n_policies;
	/* What tiers and policies point into when the state owns them
	 * (dp_state_from_json); the agent's state borrows them from its cache. */
	struct v3_resource *v3_owned;
	size_t n_v3_owned;
	struct dp_v3_member *members; /* every endpoint on any host, and every network set */
	size_t n_members;
	struct dp_v3_namespace *namespaces;
	size_t n_namespaces;
};

/* Effective labels (DESIGN §11): the endpoint's own labels first, then each
 * of its profiles in order adds the labels it applies that are not set yet —
 * its tags (empty values), then its labels key. 0 or -ENOMEM. */
int dp_labels_inherit(struct label_set *ls, char *const *tags, size_t n_tags, const struct v3_map *labels);
/* The namespace an endpoint's labels name; "default" when none. */
const char *dp_labels_namespace(const struct label_set *ls);
/* Appends a member (namespace_ NULL: global); *labels is moved into it (left
 * empty), the nets copied (full-length when addresses). 0 or -ENOMEM. */
int dp_state_add_member(struct dp_state *s, size_t *cap, const char *namespace_, struct label_set *labels,
			const struct cidr *nets, size_t n, bool addresses);
/* Appends namespace name with *labels (moved), DP_NS_NAME_LABEL set on them. */
int dp_state_add_namespace(struct dp_state *s, size_t *cap, const char *name, struct label_set *labels);

void dp_state_init(struct dp_state *s);
void dp_state_free(struct dp_state *s);

/* "DROP" | "RETURN" | "ACCEPT" (any case, as the config validator allows). 0 or -EINVAL. */
int dp_host_action_parse(const char *text, enum dp_host_action *out);
const char *dp_host_action_name(enum dp_host_action a);

/* The JSON form used by the golden tests and the lab driver:
 * {"config": {"DefaultEndpointToHostAction": "DROP", "InterfacePrefix": "cali", "FlowLogsEnabled": true},
 *  "endpoints": [<endpoint JSON of DESIGN §2>, ...],
 *  "profiles": [{"name": "p1", "tags": ["p1"], "rules": <rules JSON of DESIGN §2>}, ...],
 *  "tags": {"p1": ["10.65.0.2", "fd00::2"], ...},
 *  "pools": [<pool JSON of DESIGN §2>, ...],
 *  "remote_endpoints": [<endpoint JSON>, ...],  (other hosts': rule selector members only)
 *  "tiers": [<Tier JSON>, ...], "policies": [<(Global)NetworkPolicy JSON>, ...],
 *  "networksets": [<(Global)NetworkSet JSON>, ...]}
 * A profile may carry "labels": {...} (its labels key); endpoints' effective
 * labels, the members and the namespaces (profiles "kns.<ns>") are derived
 * from it all as the agent derives them.
 * Every key is optional. Strict: unknown keys are refused. 0 or -EINVAL/-ENOMEM
 * with a message in err; on failure out is left initialised and empty. */
int dp_state_from_json(const char *json, struct dp_state *out, char *err, size_t errlen);

#endif
