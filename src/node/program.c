/* The agent's dataplane step: cache -> desired state -> nftables, routes,
 * sysctls, then the endpoint status keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "util/log.h"
#include "model/keys.h"
#include "policy/nft_compile.h"

#define TICK_MS 1000 /* interfaces may appear after their endpoint record */
/* How often the kernel's table is read back and compared (Felix re-checks its
 * iptables every 90 s); CALICO_NFT_CHECK_SECS overrides it (tests). */
#define NFT_CHECK_MS nft_check_ms()

static int64_t nft_check_ms(void)
{
	const char *v = getenv("CALICO_NFT_CHECK_SECS");
	long s = v && *v ? strtol(v, NULL, 10) : 90;
	return (s > 0 ? s : 90) * 1000;
}

void agent_update_config(struct agent *a)
{
	struct node_config cfg;
	char err[512];

	if (node_config_from_cache(&a->cache, a->opt.host, &cfg, err, sizeof(err)) < 0) {
		if (strcmp(err, a->cfg_problem) != 0)
			log_warn("keeping the previous configuration: %s", err);
		snprintf(a->cfg_problem, sizeof(a->cfg_problem), "%s", err);
		return;
	}
	a->cfg_problem[0] = '\0';
	if (memcmp(&cfg, &a->cfg, sizeof(cfg)) != 0)
		log_info("config: DefaultEndpointToHostAction=%s InterfacePrefix=%s ReportingIntervalSecs=%u "
			 "ReportingTTLSecs=%u HealthPort=%u",
			 dp_host_action_name(cfg.endpoint_to_host), cfg.iface_prefix, cfg.reporting_interval,
			 cfg.reporting_ttl, cfg.health_port);
	if (cfg.reporting_interval != a->cfg.reporting_interval)
		a->next_heartbeat_ms = 0;
	a->cfg = cfg;
	if (!a->opt.log_level_set)
		log_set_level(cfg.log_level);
	unsigned port = a->opt.health_port ? a->opt.health_port : cfg.health_port;
	struct flow_config fc = { cfg.flow_logs, cfg.flow_interval, cfg.flow_file_max_size, cfg.flow_file_max_files };
	/* before the first read these are the defaults, not the user's: a host
	 * with FlowLogsEnabled=false must not start collecting for a moment */
	if (a->synced)
		flow_collector_apply(a->flows, &fc);
	if (!a->http || http_port(a->http) != port) {
		http_stop(a->http);
		a->http = NULL;
		http_start(&a->http, port, &a->metrics, cfg.metrics_enabled);
	}
}

static const char *endpoint_status(const struct agent *a, size_t i)
{
	if (!a->nft_ok)
		return "error";
	if (!a->present[i] || strcmp(a->state.endpoints[i].state, "inactive") == 0)
		return "down";
	return "up";
}

static void write_statuses(struct agent *a)
{
	const char **st;
	int rc;

	if (!a->synced || !a->cfg.endpoint_reporting)
		return;
	if (!(st = calloc(a->local.n ? a->local.n : 1, sizeof(*st))))
		return;
	for (size_t i = 0; i < a->local.n; i++)
		st[i] = endpoint_status(a, i);
	if ((rc = status_endpoints(&a->status, a->ds, a->opt.host, (const char *const *)a->local.keys, st, a->local.n)) < 0)
		agent_ds_failed(a, "writing endpoint status", rc);
	free(st);
}

/* The engine's batch (or, when the kernel's state is unknown, a read-back
 * and the difference) to the kernel. */
static int program_nft(struct agent *a, size_t *bytes, char *err, size_t errlen)
{
	char *script = NULL;
	int rc;

	if (!a->engine_ready || (rc = nft_engine_flush(&a->engine, &script)) < 0) {
		free(script);
		script = NULL;
		/* start-up, a resync, or an engine that ran out of memory: build it whole */
		if ((rc = nft_engine_rebuild(&a->engine, &a->cache)) < 0) {
			snprintf(err, errlen, "computing the desired state: %s", strerror(-rc));
			a->engine_ready = false;
			return rc;
		}
		a->engine_ready = true;
		a->nft.have_applied = false;
	}
	if (a->nft.have_applied)
		rc = nft_applier_run(&a->nft, script, &a->engine.model, bytes, err, errlen);
	else
		rc = nft_applier_sync(&a->nft, &a->engine.model, bytes, err, errlen);
	free(script);
	/* endpoint churn: fresh tables for the same model, which the kernel has now */
	if (rc == 0 && nft_engine_wants_compaction(&a->engine) && nft_engine_rebuild(&a->engine, &a->cache) < 0)
		a->engine_ready = false;
	return rc;
}

/* the verdict points the engine registered since the last call, to the
 * flow collector (all of them when the engine made its registry anew) */
static void publish_flow_points(struct agent *a)
{
	struct nft_engine *e = &a->engine;
	if (!e->flows_replaced && !e->flows.n_fresh)
		return;
	flow_collector_put_points(a->flows, &e->flows.reg, e->flows.fresh, e->flows.n_fresh, e->flows_replaced);
	nft_flows_take_fresh(&e->flows);
	e->flows_replaced = false;
}

/* this host's endpoints, for routes and status, when they changed */
static int refresh_local(struct agent *a)
{
	struct dp_state st;
	struct node_local local;
	bool *present;
	int rc;

	if (!a->engine.local_changed && a->present)
		return 0;
	if ((rc = node_calc_local(&a->cache, a->opt.host, &a->cfg, &st, &local)) < 0 ||
	    !(present = calloc(st.n_endpoints ? st.n_endpoints : 1, sizeof(*present)))) {
		dp_state_free(&st);
		node_local_free(&local);
		return rc < 0 ? rc : -ENOMEM;
	}
	dp_state_free(&a->state);
	node_local_free(&a->local);
	free(a->present);
	a->state = st;
	a->local = local;
	a->present = present;
	a->engine.local_changed = false;
	return 1;
}

void agent_program(struct agent *a)
{
	struct nft_compile_report rep;
	char err[512];
	size_t bytes = 0, changes = 0;
	bool was_ok = a->nft_ok;
	int rc, local;

	agent_update_config(a);
	nft_engine_set_config(&a->engine, a->cfg.iface_prefix, a->cfg.endpoint_to_host);
	nft_engine_set_flow_logs(&a->engine, a->cfg.flow_logs);
	rc = program_nft(a, &bytes, err, sizeof(err));
	publish_flow_points(a);
	if (rc < 0 && !a->engine_ready) {
		log_error("%s", err);
		a->program_failed = true;
		return;
	}
	nft_engine_report(&a->engine, &rep);
	if (rep.skipped_endpoints)
		log_debug("%zu endpoint(s) skipped: %s", rep.skipped_endpoints, rep.problem);
	a->nft_ok = rc == 0;
	if (rc < 0) {
		log_error("nftables refused the update: %s", err);
		metrics_count(&a->metrics, &a->metrics.nft_failures);
	} else if (bytes) {
		log_debug("nftables: applied %zu bytes", bytes);
		metrics_count(&a->metrics, &a->metrics.nft_applies);
	}
	if ((local = refresh_local(a)) < 0) {
		log_error("computing this host's endpoints: %s", strerror(-local));
		a->program_failed = true;
		return;
	}
	/* routes after the policy: a workload becomes reachable only once its rules are in */
	if ((local || a->program_failed) &&
	    route_syncer_sync(&a->routes, &a->state, a->present, &changes, err, sizeof(err)) < 0) {
		log_warn("routes: %s", err);
		metrics_count(&a->metrics, &a->metrics.route_failures);
	}
	vxlan_syncer_sync(&a->vxlan, a->routes.nl, &a->cache, a->opt.host);
	bird_syncer_sync(&a->bird, &a->cache, a->opt.host);
	int64_t now = agent_now_ms();
	if (a->nft_ok && a->batch_start_ms)
		metrics_observe_latency(&a->metrics, (double)(now - a->batch_start_ms) / 1000.0);
	pthread_mutex_lock(&a->metrics.lock);
	a->metrics.endpoints = rep.endpoints;
	a->metrics.skipped_endpoints = rep.skipped_endpoints;
	a->metrics.profiles = rep.profiles;
	a->metrics.rules = rep.rules;
	a->metrics.tag_sets = rep.tag_sets;
	a->metrics.tag_members = rep.tag_members;
	a->metrics.script_bytes_last = bytes;
	a->metrics.nft_own_batches = a->nft.own_batches;
	a->metrics.nft_own_refused = a->nft.own_refused;
	pthread_mutex_unlock(&a->metrics.lock);

	a->dirty = false;
	a->batch_start_ms = 0;
	a->program_failed = !a->nft_ok;
	if (a->nft_ok && !a->programmed_once) {
		log_info("dataplane programmed: %zu endpoints, %zu profiles", rep.endpoints, rep.profiles);
		if (rep.skipped_endpoints)
			log_warn("%zu endpoint(s) skipped: %s", rep.skipped_endpoints, rep.problem);
		a->programmed_once = true;
		a->next_check_ms = now + NFT_CHECK_MS;
	}
	if (local || was_ok != a->nft_ok || changes)
		write_statuses(a);
	metrics_set_ready(&a->metrics, a->nft_ok && a->synced);
}

/* The periodic full check: the kernel's table read back and compared with
 * the engine's model; whatever differs (someone else's edit, a lost
 * transaction) is fixed and counted. */
static void check_kernel(struct agent *a)
{
	char err[512];
	size_t bytes = 0;

	if (!a->engine_ready || a->program_failed || !a->nft.have_applied)
		return;
	metrics_count(&a->metrics, &a->metrics.nft_checks);
	if (nft_applier_sync(&a->nft, &a->engine.model, &bytes, err, sizeof(err)) < 0) {
		log_error("checking the kernel's table: %s", err);
		metrics_count(&a->metrics, &a->metrics.nft_failures);
		a->program_failed = true;
		return;
	}
	if (bytes) {
		log_warn("the kernel's table differed from the agent's model: fixed (%zu bytes)", bytes);
		metrics_count(&a->metrics, &a->metrics.nft_drift_fixes);
	}
}

/* Once a second: retry a failed program, pick up interfaces that appeared or
 * vanished, and beat the heart. */
void agent_tick(struct agent *a)
{
	int64_t now = agent_now_ms();
	char err[512];
	size_t changes = 0;
	int rc;

	if (a->programmed_once && !a->program_failed && now >= a->next_check_ms) {
		a->next_check_ms = now + NFT_CHECK_MS;
		check_kernel(a);
	}
	if (now >= a->next_tick_ms && a->programmed_once) {
		a->next_tick_ms = now + TICK_MS;
		bird_syncer_tick(&a->bird);
		if (a->program_failed) {
			agent_program(a);
		} else {
			bool *present = calloc(a->state.n_endpoints ? a->state.n_endpoints : 1, sizeof(*present));
			if (present) {
				if (route_syncer_sync(&a->routes, &a->state, present, &changes, err, sizeof(err)) < 0) {
					log_warn("routes: %s", err);
					metrics_count(&a->metrics, &a->metrics.route_failures);
				}
				vxlan_syncer_sync(&a->vxlan, a->routes.nl, &a->cache, a->opt.host);
				bool moved = a->state.n_endpoints && a->present &&
					     memcmp(present, a->present, a->state.n_endpoints * sizeof(*present)) != 0;
				free(a->present);
				a->present = present;
				if (moved || changes)
					write_statuses(a);
			}
		}
	}
	if (a->synced && a->cfg.reporting_interval && now >= a->next_heartbeat_ms) {
		a->next_heartbeat_ms = now + (int64_t)a->cfg.reporting_interval * 1000;
		if ((rc = status_heartbeat(&a->status, a->ds, a->opt.host, a->cfg.reporting_ttl, a->state.n_endpoints,
					   now)) < 0)
			agent_ds_failed(a, "writing the heartbeat", rc);
	}
}
