/* calico-node's state and its one loop (OpenBSD bgpd style: signal handlers
 * only set flags, which the loop reads between waits of at most 250 ms). */
#ifndef CALICO_NODE_AGENT_H
#define CALICO_NODE_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "bird.h"
#include "flow_collector.h"
#include "datastore/datastore.h"
#include "policy/dp_state.h"
#include "http.h"
#include "metrics.h"
#include "nft_apply.h"
#include "agent/node_cache.h"
#include "agent/node_calc.h"
#include "agent/nft_engine.h"
#include "util/nodename.h"
#include "routes.h"
#include "status.h"
#include "vxlan.h"

struct agent_options {
	char host[HOSTNAME_MAX + 1];
	bool log_level_set; /* --log-level wins over LogSeverityScreen */
	enum log_level log_level;
	unsigned health_port; /* --health-port / CALICO_HEALTH_PORT; 0: HealthPort */
};

struct agent {
	struct agent_options opt;
	struct ds *ds;
	struct ds_watch *watch;
	struct node_cache cache;
	struct node_config cfg;
	char cfg_problem[512]; /* the last refused config, logged once */

	bool synced;          /* cache holds a full read and the watch follows it */
	bool dirty;           /* cache changed since the last program */
	bool program_failed;  /* retry (after reading the kernel back) at the next tick */
	bool programmed_once; /* readiness needs it */
	bool ds_down_logged;
	int64_t batch_start_ms; /* when the first change not yet programmed arrived */
	int64_t retry_at_ms, backoff_ms;
	int64_t next_tick_ms, next_heartbeat_ms;

	struct nft_applier nft;
	struct route_syncer routes;
	struct vxlan_syncer vxlan; /* uses routes.nl */
	struct bird_syncer bird;
	struct status_reporter status;
	struct metrics metrics;
	struct http *http;
	struct flow_collector *flows; /* flow logs: its own thread (flow_collector.h) */

	/* the desired nftables model, kept current from the cache's changes */
	struct nft_engine engine;
	bool engine_ready;     /* false: rebuild it from the cache (after a full read) */
	int64_t next_check_ms; /* the periodic read-back of the kernel's table */

	/* this host's endpoints as last programmed (routes, status) */
	struct dp_state state;
	struct node_local local;
	bool *present; /* per state endpoint: its interface exists */
	bool nft_ok;
};

/* 0 or -errno (message logged): the datastore handle, netlink, nftables. */
int agent_init(struct agent *a, const struct agent_options *opt);
void agent_fini(struct agent *a);
/* Runs until *stop; *reload (SIGHUP) re-reads everything. 0 or -errno. */
int agent_run(struct agent *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

int64_t agent_now_ms(void);

#endif

/* ---- the loop's steps, one file each ---- */

/* One watch over everything; node_cache_wanted() keeps what the agent uses. */
#define AGENT_WATCH_PREFIX "/calico/"

/* syncer.c: full read (-> cache swap, watch from its revision + 1), batches
 * of watch events, and the datastore-down path with capped backoff. */
int agent_sync_full(struct agent *a);
/* Waits up to timeout_ms for events and applies every event already queued.
 * 0 (events or none), -ESTALE (re-list), other -errno (datastore trouble). */
int agent_watch_batch(struct agent *a, int timeout_ms);
void agent_ds_failed(struct agent *a, const char *what, int rc);

/* flow_names_sync.c: the flow collector's names follow the cache (a
 * node_cache watcher, ctx the agent); reset before a full re-read. */
void agent_flow_names_watch(void *ctx, const struct node_change *ch);
void agent_flow_names_reset(struct agent *a);

/* program.c: cache -> desired state -> kernel; the periodic recheck. */
void agent_program(struct agent *a);
void agent_tick(struct agent *a);
void agent_update_config(struct agent *a);
