/* Prometheus text for the agent's counters (metrics.h). */
#include "metrics.h"
#include "util/array.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_bucket_bounds[METRICS_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
							0.25,  0.5,    1,     2.5,  5,     INFINITY };

void metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void metrics_destroy(struct metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

void metrics_observe_latency(struct metrics *m, double seconds)
{
	size_t b = 0;
	while (b < METRICS_BUCKETS - 1 && seconds > metrics_bucket_bounds[b])
		b++;
	pthread_mutex_lock(&m->lock);
	m->latency_buckets[b]++;
	m->latency_count++;
	m->latency_sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

void metrics_count(struct metrics *m, uint64_t *counter)
{
	pthread_mutex_lock(&m->lock);
	(*counter)++;
	pthread_mutex_unlock(&m->lock);
}

void metrics_set_ready(struct metrics *m, bool ready)
{
	pthread_mutex_lock(&m->lock);
	m->ready = ready;
	pthread_mutex_unlock(&m->lock);
}

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->buf && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		if (array_reserve((void **)&t->buf, &t->cap, t->len + (size_t)n + 1, 1) < 0) {
			t->oom = true;
			return;
		}
	}
}

static void gauge(struct text *t, const char *name, const char *help, double v)
{
	put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

static void counter(struct text *t, const char *name, const char *help, uint64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

char *metrics_render(struct metrics *m)
{
	struct metrics s;
	struct text t = { 0 };
	uint64_t cum = 0;

	pthread_mutex_lock(&m->lock);
	s = *m;
	pthread_mutex_unlock(&m->lock);

	put(&t, "# HELP calico_programming_latency_seconds Time from a datastore change to the kernel having it.\n"
		"# TYPE calico_programming_latency_seconds histogram\n");
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		cum += s.latency_buckets[b];
		if (isinf(metrics_bucket_bounds[b]))
			put(&t, "calico_programming_latency_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		else
			put(&t, "calico_programming_latency_seconds_bucket{le=\"%g\"} %llu\n", metrics_bucket_bounds[b],
			    (unsigned long long)cum);
	}
	put(&t, "calico_programming_latency_seconds_sum %.9f\ncalico_programming_latency_seconds_count %llu\n",
	    s.latency_sum, (unsigned long long)s.latency_count);
	gauge(&t, "calico_ready", "1 once the first full sync is programmed and the datastore is reachable.", s.ready);
	gauge(&t, "calico_endpoints", "Local endpoints programmed.", (double)s.endpoints);
	gauge(&t, "calico_endpoints_skipped", "Local endpoints whose interface name is unusable.",
	      (double)s.skipped_endpoints);
	gauge(&t, "calico_profiles", "Profiles programmed.", (double)s.profiles);
	gauge(&t, "calico_rules", "Profile rules programmed.", (double)s.rules);
	gauge(&t, "calico_tag_sets", "Tag sets programmed.", (double)s.tag_sets);
	gauge(&t, "calico_tag_set_members", "Addresses in all tag sets.", (double)s.tag_members);
	gauge(&t, "calico_nft_script_bytes_last", "Size of the last nftables transaction.",
	      (double)s.script_bytes_last);
	counter(&t, "calico_datastore_errors_total", "Failed datastore operations.", s.datastore_errors);
	counter(&t, "calico_nft_apply_failures_total", "nftables transactions the kernel refused.",
		s.nft_failures);
	counter(&t, "calico_nft_applies_total", "nftables transactions applied.", s.nft_applies);
	counter(&t, "calico_nft_netlink_batches_total",
		"nftables transactions built and sent by the agent itself (the rest went through libnftables).",
		s.nft_own_batches);
	counter(&t, "calico_nft_netlink_refused_total",
		"Of the agent's own transactions, those the kernel refused (libnftables then ran the same script).",
		s.nft_own_refused);
	counter(&t, "calico_resyncs_total", "Full reads of the datastore.", s.resyncs);
	counter(&t, "calico_nft_checks_total", "Periodic read-backs of the kernel's table.", s.nft_checks);
	counter(&t, "calico_nft_drift_fixes_total",
		"Read-backs that found the kernel's table differing from the agent's model, and fixed it.",
		s.nft_drift_fixes);
	counter(&t, "calico_route_failures_total", "Failed route or sysctl updates.", s.route_failures);
	if (s.extra) {
		char *more = s.extra(s.extra_ctx);
		if (more)
			put(&t, "%s", more);
		else
			t.oom = true;
		free(more);
	}
	if (t.oom) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}
