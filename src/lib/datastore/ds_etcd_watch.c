/* etcd backend: watches. Each watch has its own curl handle streaming
 * POST /v3/watch, driven through the multi interface so ds_watch_next can wait
 * with a timeout. The stream is one {"result":...} JSON object per line; a
 * message may carry several events, delivered one at a time in order.
 *
 * When the stream drops (etcd restarted, network cut) the watch reconnects by
 * itself, from the revision after the last event it received, with a bounded
 * backoff and trying the next endpoint on a connection failure: nothing is
 * missed and nothing is delivered twice. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datastore/ds_etcd.h"
#include "datastore/etcd_json.h"
#include "util/array.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

struct etcd_watch {
	struct ds_watch base;
	char *prefix;
	int64_t delivered_rev; /* what ds_watch_revision reports */
	int64_t received_rev;  /* newest event queued or delivered: reconnects resume after it */

	CURLM *multi;
	CURL *h;               /* NULL while disconnected */
	int64_t conn_start_rev;
	bool created;          /* etcd confirmed the current stream */
	size_t url_idx;

	struct membuf line; /* bytes received, not yet a whole line */

	struct ds_event *q;    /* received, not yet delivered */
	size_t q_head, q_len, q_cap;

	bool stale;
	int64_t compact_rev;

	int backoff_ms;
	int64_t next_try_ms;
	int64_t down_since_ms; /* 0 while the stream is up */
	int last_err;          /* why the last attempt failed (0: none yet) */
	char last_msg[400];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct etcd_conn *conn_of(struct etcd_watch *w)
{
	return &((struct etcd_ds *)w->base.ds)->conn;
}

static void drop_stream(struct etcd_watch *w)
{
	if (w->h) {
		curl_api.multi_remove_handle(w->multi, w->h);
		curl_api.easy_cleanup(w->h);
		w->h = NULL;
	}
	w->line.len = 0;
	w->created = false;
}

/* The stream is gone: record why, and schedule the next attempt. */
static void lost_stream(struct etcd_watch *w, int err, bool next_endpoint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void lost_stream(struct etcd_watch *w, int err, bool next_endpoint, const char *fmt, ...)
{
	va_list ap;
	int64_t now = now_ms();

	drop_stream(w);
	w->last_err = err;
	va_start(ap, fmt);
	vsnprintf(w->last_msg, sizeof(w->last_msg), fmt, ap);
	va_end(ap);
	if (next_endpoint)
		w->url_idx = (w->url_idx + 1) % conn_of(w)->n_urls;
	if (!w->down_since_ms)
		w->down_since_ms = now;
	w->next_try_ms = now + w->backoff_ms;
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static int start_stream(struct etcd_watch *w)
{
	struct etcd_conn *c = conn_of(w);
	char url[2048];
	char *body;

	w->conn_start_rev = w->received_rev + 1;
	body = etcd_req_watch(w->prefix, w->conn_start_rev);
	w->h = curl_api.easy_init();
	if (!body || !w->h) {
		free(body);
		lost_stream(w, -ENOMEM, false, "out of memory starting a watch");
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "%s/v3/watch", c->urls[w->url_idx]);
	etcd_http_setup(c, w->h);
	curl_api.easy_setopt(w->h, CURLOPT_URL, url);
	curl_api.easy_setopt(w->h, CURLOPT_COPYPOSTFIELDS, body);
	curl_api.easy_setopt(w->h, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_api.easy_setopt(w->h, CURLOPT_WRITEDATA, &w->line);
	/* An idle watch is normal; a dead peer is found by TCP keepalive instead. */
	curl_api.easy_setopt(w->h, CURLOPT_TIMEOUT_MS, 0L);
	curl_api.easy_setopt(w->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_api.easy_setopt(w->h, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_api.easy_setopt(w->h, CURLOPT_TCP_KEEPINTVL, 2L);
	free(body);
	w->line.len = 0;
	w->created = false;
	if (curl_api.multi_add_handle(w->multi, w->h) != CURLM_OK) {
		lost_stream(w, -ENOMEM, false, "cannot start a watch stream");
		return -ENOMEM;
	}
	return 0;
}

static int enqueue(struct etcd_watch *w, struct ds_event *ev)
{
	if (w->q_head + w->q_len == w->q_cap) {
		if (w->q_head > 0) { /* slide down before growing */
			memmove(w->q, w->q + w->q_head, w->q_len * sizeof(*w->q));
			w->q_head = 0;
		}
		if (array_reserve((void **)&w->q, &w->q_cap, w->q_len + 1, sizeof(*w->q)) < 0)
			return -ENOMEM;
	}
	w->q[w->q_head + w->q_len++] = *ev;
	memset(ev, 0, sizeof(*ev));
	return 0;
}

/* One whole line of the stream. */
static void handle_line(struct etcd_watch *w, const char *line)
{
	struct etcd_conn *c = conn_of(w);
	struct etcd_watch_msg m;
	int rc = etcd_parse_watch_msg(line, &m);

	if (rc < 0) {
		lost_stream(w, rc == -ENOMEM ? -ENOMEM : -EPROTO, false,
			    "unexpected watch message from etcd at %s", c->urls[w->url_idx]);
		return;
	}
	if (m.canceled && m.compact_revision > 0) {
		w->stale = true;
		w->compact_rev = m.compact_revision;
		drop_stream(w);
		goto out;
	}
	if (m.canceled || m.error[0]) {
		lost_stream(w, -EIO, false, "etcd at %s ended the watch: %s", c->urls[w->url_idx],
			    m.error[0] ? m.error : "canceled");
		goto out;
	}
	if (m.created) {
		w->created = true;
		w->backoff_ms = BACKOFF_MIN_MS;
		w->down_since_ms = 0;
		w->last_err = 0;
	}
	for (size_t i = 0; i < m.n_events; i++) {
		/* Revisions before this stream's start cannot come, but never deliver twice. */
		if (m.events[i].mod_rev < w->conn_start_rev)
			continue;
		if (enqueue(w, &m.events[i]) < 0) {
			lost_stream(w, -ENOMEM, false, "out of memory queueing watch events");
			goto out;
		}
		w->received_rev = w->q[w->q_head + w->q_len - 1].mod_rev;
	}
out:
	etcd_watch_msg_free(&m);
}

static void handle_lines(struct etcd_watch *w)
{
	size_t start = 0;

	while (w->h && start < w->line.len) {
		char *nl = memchr(w->line.p + start, '\n', w->line.len - start);
		if (!nl)
			break;
		*nl = '\0';
		if (nl > w->line.p + start)
			handle_line(w, w->line.p + start);
		start = (size_t)(nl - w->line.p) + 1;
	}
	if (!w->h || start == 0) /* dropped while reading: leftovers are void; or no whole line yet */
		return;
	memmove(w->line.p, w->line.p + start, w->line.len - start);
	w->line.len -= start;
}

/* Runs the transfer, handles what arrived, and notices the end of the stream. */
static void pump(struct etcd_watch *w)
{
	struct etcd_conn *c = conn_of(w);
	int running, left;
	CURLMsg *msg;

	curl_api.multi_perform(w->multi, &running);
	handle_lines(w);
	while ((msg = curl_api.multi_info_read(w->multi, &left))) {
		if (msg->msg != CURLMSG_DONE || msg->easy_handle != w->h)
			continue;
		CURLcode cc = msg->data.result;
		char reason[256];
		long status = 0;
		curl_api.easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
		if (cc != CURLE_OK) {
			int err = etcd_http_curl_error(w->h, cc, reason, sizeof(reason));
			bool connect = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST;
			lost_stream(w, err, connect, connect ? "cannot reach etcd at %s: %s" : "watch stream from %s: %s",
				    c->urls[w->url_idx], reason);
		} else if (status != 200) {
			char m[256];
			etcd_parse_error(w->line.p ? w->line.p : "", m, sizeof(m));
			lost_stream(w, -EIO, false, "etcd at %s refused the watch: %s", c->urls[w->url_idx],
				    m[0] ? m : "bad HTTP status");
		} else {
			lost_stream(w, -ECONNRESET, false, "etcd at %s closed the watch stream", c->urls[w->url_idx]);
		}
		break;
	}
}

static bool pop(struct etcd_watch *w, struct ds_event *ev)
{
	if (w->q_len == 0)
		return false;
	*ev = w->q[w->q_head++];
	w->q_len--;
	if (w->q_len == 0)
		w->q_head = 0;
	/* A revision counts as delivered once its last event is (etcd never splits
	 * one revision over two messages, and a message is queued whole). */
	w->delivered_rev = w->q_len > 0 && w->q[w->q_head].mod_rev == ev->mod_rev ? ev->mod_rev - 1 : ev->mod_rev;
	return true;
}

int etcd_watch_next(struct ds_watch *base, struct ds_event *ev, int timeout_ms)
{
	struct etcd_watch *w = (struct etcd_watch *)base;
	struct ds *ds = base->ds;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	int64_t patience = conn_of(w)->timeout_ms;

	memset(ev, 0, sizeof(*ev));
	ds->err[0] = '\0'; /* a reason from an earlier, healed disconnection is stale */
	for (;;) {
		if (pop(w, ev))
			return 0;
		if (w->stale)
			return ds_fail(ds, -ESTALE, "watch on %s: history from revision %" PRId64
				       " was compacted (now at %" PRId64 "): re-list and watch again",
				       w->prefix, w->received_rev + 1, w->compact_rev);
		int64_t now = now_ms();
		if (!w->h && now >= w->next_try_ms)
			start_stream(w);
		if (w->h) {
			pump(w);
			if (w->q_len || w->stale)
				continue;
		}
		now = now_ms();
		bool down = !w->h || !w->created;
		bool expired = timeout_ms >= 0 ? now >= deadline
					       : (down && w->down_since_ms && now - w->down_since_ms >= patience);
		if (expired) {
			/* Still disconnected when time is up: say why; the next call retries. */
			if (down && w->last_err)
				return ds_fail(ds, w->last_err, "watch on %s: %s (retrying)", w->prefix, w->last_msg);
			return -ETIMEDOUT;
		}
		int64_t wait = timeout_ms >= 0 ? deadline - now : 1000;
		if (!w->h && w->next_try_ms - now < wait)
			wait = w->next_try_ms - now;
		if (wait < 0)
			wait = 0;
		curl_api.multi_poll(w->multi, NULL, 0, (int)wait, NULL);
	}
}

int etcd_watch_open(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out)
{
	struct etcd_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return ds_fail(ds, -ENOMEM, "out of memory");
	w->base.ds = ds;
	w->backoff_ms = BACKOFF_MIN_MS;
	char why[256];
	if ((rc = etcd_http_need_curl(conn_of(w), why, sizeof(why))) < 0) {
		rc = ds_fail(ds, rc, "%s", why);
		goto fail;
	}
	w->prefix = strdup(prefix);
	w->multi = curl_api.multi_init();
	if (!w->prefix || !w->multi) {
		rc = ds_fail(ds, -ENOMEM, "out of memory");
		goto fail;
	}
	/* "From now on" is pinned to a revision, so a reconnect knows where to resume. */
	if (from_rev <= 0) {
		int64_t rev;
		if ((rc = ds_revision(ds, &rev)) < 0)
			goto fail;
		from_rev = rev + 1;
	}
	w->delivered_rev = w->received_rev = from_rev - 1;
	w->url_idx = conn_of(w)->cur;
	start_stream(w); /* a failure here is retried by ds_watch_next */
	*out = &w->base;
	return 0;
fail:
	etcd_watch_close(&w->base);
	return rc;
}

int64_t etcd_watch_revision(const struct ds_watch *base)
{
	return ((const struct etcd_watch *)base)->delivered_rev;
}

void etcd_watch_close(struct ds_watch *base)
{
	struct etcd_watch *w = (struct etcd_watch *)base;

	if (!w)
		return;
	drop_stream(w);
	if (w->multi)
		curl_api.multi_cleanup(w->multi);
	for (size_t i = 0; i < w->q_len; i++)
		ds_event_free(&w->q[w->q_head + i]);
	free(w->q);
	free(w->line.p);
	free(w->prefix);
	free(w);
}
