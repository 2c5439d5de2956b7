/* The datastore side of the agent: one full read, then a watch; a lost
 * datastore leaves the dataplane alone and is retried with capped backoff. */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "util/log.h"

#define BACKOFF_FIRST_MS 250
#define BATCH_MAX_EVENTS 20000 /* a bound on one batch, so a flood still gets programmed */

/* A full read fills the new cache page by page: the datastore is never held
 * whole beside it. */
struct sync_read {
	struct node_cache *fresh;
	size_t keys;
};

static int put_page(void *ctx, struct ds_kv_list *page)
{
	struct sync_read *r = ctx;
	/* The backend is reading again at a newer snapshot: keys an earlier
	 * attempt put may be gone from it, so the whole read starts over. */
	if (!page)
		return -EAGAIN;
	for (size_t i = 0; i < page->n; i++)
		if (node_cache_put(r->fresh, page->items[i].key, page->items[i].value) < 0)
			return -ENOMEM;
	r->keys += page->n;
	return 0;
}

/* Lists every prefix the agent keeps, then watches all of /calico/ from the
 * oldest list's revision: events the lists already hold are replayed, in
 * order, ending in the same state, so nothing between the lists is lost. */
int agent_sync_full(struct agent *a)
{
	static const char *const prefixes[] = NODE_CACHE_PREFIXES;
	struct node_cache fresh;
	struct sync_read r = { .fresh = &fresh };
	int64_t from = 0, rev = 0;
	int rc = 0;

	node_cache_init(&fresh);
	node_cache_set_host(&fresh, a->opt.host);
	/* the names are made again from what this read puts */
	agent_flow_names_reset(a);
	node_cache_watch(&fresh, agent_flow_names_watch, a);
	if (a->watch) {
		ds_watch_close(a->watch);
		a->watch = NULL;
	}
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		if ((rc = ds_list_pages(a->ds, prefixes[p], put_page, &r, &rev)) < 0) {
			if (rc == -ENOMEM)
				log_error("out of memory reading the datastore");
			else
				agent_ds_failed(a, "reading the datastore", rc);
			goto out;
		}
		if (p == 0 || rev < from)
			from = rev;
	}
	if ((rc = ds_watch_open(a->ds, AGENT_WATCH_PREFIX, from + 1, &a->watch)) < 0) {
		agent_ds_failed(a, "watching the datastore", rc);
		goto out;
	}
	node_cache_free(&a->cache);
	a->cache = fresh;
	node_cache_init(&fresh);
	a->engine_ready = false; /* rebuilt from the new cache by the next program */
	a->synced = true;
	a->dirty = true;
	if (!a->batch_start_ms)
		a->batch_start_ms = agent_now_ms();
	a->backoff_ms = 0;
	if (a->ds_down_logged)
		log_info("datastore %s is back: resynced %zu keys at revision %lld", ds_describe(a->ds), r.keys,
			 (long long)from);
	else
		log_info("read %zu keys from %s at revision %lld", r.keys, ds_describe(a->ds), (long long)from);
	a->ds_down_logged = false;
	metrics_count(&a->metrics, &a->metrics.resyncs);
	agent_update_config(a);
out:
	node_cache_free(&fresh);
	return rc;
}

int agent_watch_batch(struct agent *a, int timeout_ms)
{
	struct ds_event ev;
	size_t n = 0;
	int rc;

	while (n < BATCH_MAX_EVENTS && (rc = ds_watch_next(a->watch, &ev, n ? 0 : timeout_ms)) == 0) {
		int changed = !node_cache_wanted(ev.key) ? 0
			      : ev.type == DS_EV_PUT ? node_cache_put(&a->cache, ev.key, ev.value)
						   : node_cache_del(&a->cache, ev.key);
		if (changed < 0)
			log_error("out of memory applying %s", ev.key);
		if (changed != 0) {
			if (!a->dirty)
				a->batch_start_ms = agent_now_ms();
			a->dirty = true;
		}
		log_debug("event %s %s", ev.type == DS_EV_PUT ? "put" : "delete", ev.key);
		ds_event_free(&ev);
		n++;
	}
	if (n == BATCH_MAX_EVENTS || rc == -ETIMEDOUT)
		return 0;
	return rc;
}

void agent_ds_failed(struct agent *a, const char *what, int rc)
{
	int64_t cap = (int64_t)(a->cfg.retry_max ? a->cfg.retry_max : 30) * 1000;

	metrics_count(&a->metrics, &a->metrics.datastore_errors);
	metrics_set_ready(&a->metrics, false);
	if (a->watch) {
		ds_watch_close(a->watch);
		a->watch = NULL;
	}
	a->synced = false;
	status_forget(&a->status);
	a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (a->backoff_ms > cap)
		a->backoff_ms = cap;
	a->retry_at_ms = agent_now_ms() + a->backoff_ms;
	if (!a->ds_down_logged)
		log_warn("%s: %s (%s); keeping the dataplane as it is, retrying", what, ds_strerror(a->ds),
			 strerror(-rc));
	else
		log_debug("%s: %s; next try in %lld ms", what, ds_strerror(a->ds), (long long)a->backoff_ms);
	a->ds_down_logged = true;
}
