/* calico-stars probe: serves GET /status and probes its targets every interval. */
#ifndef STARS_PROBE_H
#define STARS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "fetch.h"

/* Each target's URL, whether it answered HTTP 200, and the "name" its answer
 * reported (NULL if none). */
struct probe_target {
	const char *url;
	bool reachable;
	char *name;
};

/* {"name":NAME,"targets":[{"url","reachable","name"|null}...],"updated":T}; NULL on ENOMEM. */
json_t *probe_status_json(const char *name, const struct probe_target *t, size_t n, long long updated);
/* Sets t->reachable and t->name from one fetch answer (pure). */
int probe_target_update(struct probe_target *t, const struct fetch_result *r);

/* The command: argv after "probe". Returns the process exit code. */
int probe_main(int argc, char **argv);

#endif
