/* What the agent reports about itself: its heartbeat key in the datastore
 * (/calico/felix/v1/host/<h>/status, on a lease, so it vanishes when the agent
 * stops renewing it) and its /readiness endpoint on 127.0.0.1:9099. */
#ifndef CALICO_CTL_AGENT_HEALTH_H
#define CALICO_CTL_AGENT_HEALTH_H

#include <stdbool.h>
#include <sys/types.h>
#include <stdint.h>

#include "datastore/datastore.h"

#define AGENT_HEALTH_URL "http://127.0.0.1:9099/readiness"

/* 0 with *present; *age_s is the heartbeat's age in seconds when its value
 * carries a time Calico-style ({"time":"2016-01-01T00:00:00Z",...}, or the
 * bare timestamp), else -1; *mod_rev (may be NULL) the key's revision.
 * -errno on datastore trouble. */
int heartbeat_get(struct ds *ds, const char *host, bool *present, long *age_s, int64_t *mod_rev);
/* true when GET AGENT_HEALTH_URL answers 200 within timeout_ms, from the
 * agent with this pid (its X-Calico-Node-Pid header; pid <= 0: any agent). */
bool agent_http_ready(int timeout_ms, pid_t pid);

#endif
