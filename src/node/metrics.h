/* What the agent reports on /readiness and /metrics. Written by the main loop,
 * read by the HTTP thread, always under the lock. */
#ifndef CALICO_NODE_METRICS_H
#define CALICO_NODE_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_BUCKETS 13

struct metrics {
	pthread_mutex_t lock;
	bool live;  /* the loop runs */
	bool ready; /* first full sync programmed, datastore reachable */
	/* time from a batch of datastore changes to the kernel having it */
	uint64_t latency_buckets[METRICS_BUCKETS]; /* cumulative counts are made when printing */
	uint64_t latency_count;
	double latency_sum;
	size_t endpoints, profiles, rules, tag_sets, tag_members, skipped_endpoints;
	uint64_t datastore_errors, nft_failures, nft_applies, resyncs, route_failures;
	uint64_t nft_checks, nft_drift_fixes; /* periodic read-backs of the kernel, and those that found a difference */
	uint64_t nft_own_batches, nft_own_refused; /* transactions sent as our own netlink; of those, refused */
	uint64_t script_bytes_last;
	/* more text for /metrics (the flow collector's), set once before serving */
	char *(*extra)(void *ctx);
	void *extra_ctx;
};

/* Upper bounds in seconds of the histogram buckets (the last is +Inf). */
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

void metrics_init(struct metrics *m);
void metrics_destroy(struct metrics *m);
void metrics_observe_latency(struct metrics *m, double seconds);
void metrics_count(struct metrics *m, uint64_t *counter); /* ++ under the lock */
void metrics_set_ready(struct metrics *m, bool ready);
/* Prometheus text exposition; malloc'd, NULL on ENOMEM. */
char *metrics_render(struct metrics *m);

#endif
