/* calico-node's flow collector (DESIGN §12): a thread of its own that reads
 * NFLOG (the verdict points' first packets) and conntrack (connections
 * started and ended, their counters) in the agent's namespace, aggregates
 * them (flow/flow_agg.h) and, each interval, writes the records to
 * CALICO_LOG_DIR/flows/, holds them for `calicoctl flows` on
 * CALICO_RUN_DIR/flows.sock, and adds them to the per-rule counters on
 * /metrics. The agent's loop never waits for it: it hands over the
 * configuration and the address -> endpoint table under a short lock.
 *
 * Bounded: per wake-up it reads at most FLOW_READS_PER_WAKE datagrams of
 * each socket, the aggregation is capped (flow_agg_limits), the kernel
 * rate-limits logged drops, and what the socket buffers cannot hold is
 * dropped by the kernel and counted (ENOBUFS). */
#ifndef CALICO_NODE_FLOW_COLLECTOR_H
#define CALICO_NODE_FLOW_COLLECTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow/flow_agg.h"
#include "flow/flow_id.h"
#include "flow/flow_names.h"
#include "model/model.h"
#include "store/endpoint_store.h"

#define FLOW_READS_PER_WAKE 64

struct flow_config {
	bool enabled;          /* FlowLogsEnabled */
	unsigned interval;     /* FlowLogsFlushInterval, seconds */
	uint64_t file_max_size; /* FlowLogsFileMaxSize, bytes */
	unsigned file_max_files; /* FlowLogsFileMaxFiles */
};

struct flow_rule_count {
	uint32_t id;
	enum flow_action action;
	enum flow_dir dir;
	uint64_t packets, bytes;
};

struct flow_collector;

/* The collector, its thread not started. NULL on ENOMEM. It lives as long as
 * the agent: /metrics may read it at any time. */
struct flow_collector *flow_collector_new(void);
/* Starts, reconfigures or stops the thread to match cfg (stopping flushes
 * what is pending). Called from the agent's loop only. Failures are logged;
 * the agent goes on without flows. c may be NULL. */
void flow_collector_apply(struct flow_collector *c, const struct flow_config *cfg);
/* The verdict points the ruleset names (the policy engine's registry,
 * nft_flow.h): the points of src under ids[0..n) are copied in; with
 * replace, the collector's registry is emptied first and every point of src
 * copied (the engine made its registry anew: points of rules that went are
 * dropped then, and only then). Called from the agent's loop; c may be NULL. */
void flow_collector_put_points(struct flow_collector *c, const struct flow_registry *src, const uint32_t *ids, size_t n,
			       bool replace);
/* The address table (flow/flow_names.h) the records are named from, kept
 * by the agent's loop as its cache changes: names_begin takes the collector's
 * lock and returns the table (NULL when c is NULL), names_end gives it back.
 * Keep what happens in between short: the collector's thread waits. */
struct flow_names *flow_collector_names_begin(struct flow_collector *c);
void flow_collector_names_end(struct flow_collector *c);
/* Stops the thread (flushing what is pending) and frees everything. NULL is fine. */
void flow_collector_free(struct flow_collector *c);
/* Prometheus text of the per-rule counters and the collector's own; malloc'd
 * ("" when c is NULL), NULL on ENOMEM. */
char *flow_collector_metrics(struct flow_collector *c);

#endif
