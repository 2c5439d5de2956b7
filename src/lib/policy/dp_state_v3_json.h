/* The v3 part of dp_state_from_json (dp_state.h): other hosts' endpoints,
 * tiers, policies and network sets, and what the agent derives from them —
 * effective labels, rule selector members, namespaces. Used by
 * dp_state_json.c only. */
#ifndef CALICO_DP_STATE_V3_JSON_H
#define CALICO_DP_STATE_V3_JSON_H

#include <jansson.h>

#include "policy/dp_state.h"

/* root: the state object, whose endpoints and profiles s holds already;
 * profile_labels[i]: the labels of s->profiles[i] (NULL when none has any).
 * 0, -EINVAL (err) or -ENOMEM. */
int dp_state_v3_from_json(const json_t *root, struct dp_state *s, const struct v3_map *profile_labels, char *err,
			  size_t errlen);

#endif
