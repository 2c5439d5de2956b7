/* calico-node's loop (agent.h). */
#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

#define WAIT_MAX_MS 250 /* how long a signal may wait for the loop to notice it */

int64_t agent_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *flow_metrics(void *ctx)
{
	return flow_collector_metrics(ctx);
}

int agent_init(struct agent *a, const struct agent_options *opt)
{
	char err[512];
	int rc;

	memset(a, 0, sizeof(*a));
	a->opt = *opt;
	node_cache_init(&a->cache);
	node_cache_set_host(&a->cache, a->opt.host);
	nft_engine_init(&a->engine, &a->cache);
	node_config_defaults(&a->cfg);
	dp_state_init(&a->state);
	metrics_init(&a->metrics);
	if (!(a->flows = flow_collector_new()))
		return -ENOMEM;
	a->metrics.extra = flow_metrics;
	a->metrics.extra_ctx = a->flows;
	status_init(&a->status, agent_now_ms());
	if ((rc = ds_open_env(&a->ds, err, sizeof(err))) < 0) {
		log_error("datastore: %s", err);
		return rc;
	}
	if ((rc = nft_applier_open(&a->nft)) < 0) {
		log_error("cannot make an nftables context: %s", strerror(-rc));
		return rc;
	}
	if ((rc = route_syncer_open(&a->routes)) < 0)
		return rc;
	return 0;
}

void agent_fini(struct agent *a)
{
	http_stop(a->http);
	flow_collector_free(a->flows); /* after the server that reads its metrics */
	if (a->watch)
		ds_watch_close(a->watch);
	if (a->ds)
		ds_close(a->ds);
	nft_engine_free(&a->engine);
	node_cache_free(&a->cache);
	nft_applier_close(&a->nft);
	route_syncer_close(&a->routes);
	bird_syncer_free(&a->bird);
	status_free(&a->status);
	dp_state_free(&a->state);
	node_local_free(&a->local);
	free(a->present);
	metrics_destroy(&a->metrics);
	memset(a, 0, sizeof(*a));
}

static int wait_ms(const struct agent *a, int64_t now)
{
	int64_t until = now + WAIT_MAX_MS;
	if (a->programmed_once && a->next_tick_ms < until)
		until = a->next_tick_ms;
	if (a->synced && a->cfg.reporting_interval && a->next_heartbeat_ms < until)
		until = a->next_heartbeat_ms;
	if (!a->synced && a->retry_at_ms < until)
		until = a->retry_at_ms;
	return until > now ? (int)(until - now) : 0;
}

int agent_run(struct agent *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	int rc;

	pthread_mutex_lock(&a->metrics.lock);
	a->metrics.live = true;
	pthread_mutex_unlock(&a->metrics.lock);
	/* health answers before the first read: liveness yes, readiness no */
	agent_update_config(a);
	log_info("calico-node %s for host %s, datastore %s", CALICO_VERSION, a->opt.host, ds_describe(a->ds));
	while (!*stop) {
		int64_t now = agent_now_ms();
		if (*reload) {
			*reload = 0;
			log_info("SIGHUP: re-reading the datastore and the configuration");
			a->synced = false;
			a->retry_at_ms = 0;
		}
		if (!a->synced) {
			if (now >= a->retry_at_ms)
				agent_sync_full(a);
			if (!a->synced) {
				agent_tick(a);
				poll(NULL, 0, wait_ms(a, agent_now_ms()));
				continue;
			}
		}
		rc = agent_watch_batch(a, a->dirty ? 0 : wait_ms(a, now));
		if (rc == -ESTALE) {
			log_info("datastore history compacted: re-reading it in full");
			a->synced = false;
			a->retry_at_ms = 0;
			continue;
		}
		if (rc < 0) {
			agent_ds_failed(a, "watching the datastore", rc);
			continue;
		}
		if (a->dirty)
			agent_program(a);
		agent_tick(a);
	}
	log_info("stopping; the dataplane stays as it is");
	return 0;
}
