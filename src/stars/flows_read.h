/* calico-stars collect --flows SOCKET: one host's recent flow records, asked
 * of its calico-node over the flows socket every round, the way `calicoctl
 * flows -o json --since` asks (flow/flow_client.h). */
#ifndef STARS_FLOWS_READ_H
#define STARS_FLOWS_READ_H

#include <jansson.h>

#define FLOWS_READ_MAX 5000       /* records per host and round */
#define FLOWS_READ_TIMEOUT_MS 1000 /* per send or receive */

struct flows_source {
	const char *path;
	char last_err[256]; /* the last problem logged, so each is logged once */
};

/* The records whose interval ended at or after since, as a JSON array:
 * empty when the socket cannot be read (the reason logged once until it
 * changes), the first FLOWS_READ_MAX when there are more. Lines that are not
 * JSON objects are skipped. NULL only when memory runs out. */
json_t *flows_read(struct flows_source *src, long long since);

#endif
