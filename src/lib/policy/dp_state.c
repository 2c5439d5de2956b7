/* The desired dataplane state: lifetime and small helpers. */
#include "policy/dp_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void dp_state_init(struct dp_state *s)
{
	memset(s, 0, sizeof(*s));
	s->endpoint_to_host = DP_HOST_DROP;
	strcpy(s->iface_prefix, "cali");
}

void dp_state_free(struct dp_state *s)
{
	for (size_t i = 0; i < s->n_endpoints; i++)
		endpoint_free(&s->endpoints[i]);
	free(s->endpoints);
	for (size_t i = 0; i < s->n_profiles; i++)
		profile_free(&s->profiles[i]);
	free(s->profiles);
	for (size_t i = 0; i < s->n_tags; i++)
		free(s->tags[i].members);
	free(s->tags);
	free(s->pools);
	dp_state_init(s);
}

static const char *const action_names[] = { "DROP", "RETURN", "ACCEPT" };

int dp_host_action_parse(const char *text, enum dp_host_action *out)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcasecmp(text, action_names[i]) == 0) {
			*out = (enum dp_host_action)i;
			return 0;
		}
	return -EINVAL;
}

const char *dp_host_action_name(enum dp_host_action a)
{
	return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : "?";
}
