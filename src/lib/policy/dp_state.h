/* The desired dataplane state of one host: what the policy compiler
 * (nft_compile.h) turns into nftables. The agent fills it from the datastore;
 * tests fill it from a small JSON form (dp_state_from_json). Pure data.
 *
 * Ownership: a dp_state owns every array and string it points to, including
 * the endpoints', profiles' and tags' contents; dp_state_free() releases all
 * of it in one call and leaves the struct as dp_state_init() made it. */
#ifndef CALICO_DP_STATE_H
#define CALICO_DP_STATE_H

#include <stddef.h>

#include "util/ipaddr.h"
#include "model/model.h"

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
};

void dp_state_init(struct dp_state *s);
void dp_state_free(struct dp_state *s);

/* "DROP" | "RETURN" | "ACCEPT" (any case, as the config validator allows). 0 or -EINVAL. */
int dp_host_action_parse(const char *text, enum dp_host_action *out);
const char *dp_host_action_name(enum dp_host_action a);

/* The JSON form used by the golden tests and the lab driver:
 * {"config": {"DefaultEndpointToHostAction": "DROP", "InterfacePrefix": "cali"},
 *  "endpoints": [<endpoint JSON of DESIGN §2>, ...],
 *  "profiles": [{"name": "p1", "tags": ["p1"], "rules": <rules JSON of DESIGN §2>}, ...],
 *  "tags": {"p1": ["10.65.0.2", "fd00::2"], ...},
 *  "pools": [<pool JSON of DESIGN §2>, ...]}
 * Every key is optional. Strict: unknown keys are refused. 0 or -EINVAL/-ENOMEM
 * with a message in err; on failure out is left initialised and empty. */
int dp_state_from_json(const char *json, struct dp_state *out, char *err, size_t errlen);

#endif
