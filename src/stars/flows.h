/* calico-stars collect: the hosts' flow records (DESIGN §12, as calico-node's
 * flows socket gives them) joined to the graph. Pure, no I/O
 * (tests/stars/test_stars_graph.c); flows_read.h asks the sockets.
 *
 * A service is the workload endpoint whose label label_key equals its name
 * (the demo labels every workload role=<service>). A record names an endpoint
 * of another host only as a network ("pvt"/"pub"): the agent resolves its own
 * workloads alone. So a denied record is joined to a pair of services:
 *   - both sides name services: that pair;
 *   - one side is a network: every service X that tries the named one on the
 *     record's port (its probe lists it as a target, or X is the collector,
 *     which polls every service) and is not a workload of the record's host.
 * The edge is denied when such a record exists and X did not reach Y this
 * round (a green edge wins over an older deny); the most recent record names
 * the verdict point. */
#ifndef STARS_FLOWS_H
#define STARS_FLOWS_H

#include <stddef.h>

#include <jansson.h>

#include "graph.h"

#define FLOWS_LAST_DEFAULT 10

/* The deciding verdict point (the last of policies.enforced) of a flow record
 * as one line into buf, "" when the record names none:
 *   policy   "policy TIER/[NAMESPACE/]NAME rule N"
 *   profile  "profile NAME rule N"
 *   end-of-tier      "end of tier TIER (TRIGGER)"
 *   end-of-profiles  "end of profiles (NAME)"
 *   fail-closed, anti-spoof  "fail-closed drop", "anti-spoofing drop"
 *   unknown  "verdict point HEXID"
 * N is the record's rule index, counted from 0. */
void flows_decider_label(const json_t *record, char *buf, size_t len);

/* Adds to g (graph_build's answer for the same svcs):
 *   "denied": [{"from","to","label","by":POINT,"end"}...]  POINT the record's
 *            deciding verdict point as the record has it, end its interval's
 *   each node "flows": its last_n most recent records, newest first, as
 *            [{"start","end","reporter","dir":"in"|"out","peer","proto",
 *              "port","action","policy","connections"}...] (peer: the other
 *            service's name, or the record's endpoint name: a workload of no
 *            service, or "pvt"/"pub"; policy: flows_decider_label)
 * hosts[h]: a JSON array of one host's records; anything else in it is
 * skipped. 0 or -ENOMEM (g then may hold part of it). */
int flows_join(json_t *g, const struct graph_service *svcs, size_t n, const json_t *const *hosts, size_t n_hosts,
	       const char *label_key, size_t last_n);

#endif
