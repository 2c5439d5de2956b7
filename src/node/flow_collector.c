/* The flow collector's thread (flow_collector.h). */
#include "flow_collector.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow/ct_msg.h"
#include "flow/flow_query.h"
#include "flow/nflog_msg.h"
#include "flow_file.h"
#include "flow_nl.h"
#include "flow_serve.h"
#include "netlink/net_sysctl.h"
#include "util/log.h"

#define RULES_MAX 10000 /* per-rule counters kept; more are counted in rules_dropped */

struct flow_collector {
	pthread_t thread;
	bool running; /* the agent's loop alone reads and writes it */
	int wake[2];
	pthread_mutex_t lock;
	/* under lock */
	struct flow_config cfg;
	bool stop;
	struct flow_names *names;
	struct flow_registry reg;
	struct flow_rule_count *rules; /* sorted by id */
	size_t n_rules;
	uint64_t nflog_msgs, nflog_refused, nflog_lost, ct_msgs, ct_lost, records, write_errors, flushes,
		rules_dropped, dropped_conns, dropped_records;
	size_t live_conns;
	/* the thread's own */
	struct flow_agg agg;
	struct mnl_socket *nflog, *ctev, *ctdump;
	struct flow_file file;
	bool file_ok;
	struct flow_serve serve;
	bool serve_ok;
	char *buf;
	size_t buflen;
};

/* ---------- per-rule counters (under lock) ---------- */

static void count_rule(struct flow_collector *c, uint32_t id, enum flow_action action, enum flow_dir dir,
		       uint64_t packets, uint64_t bytes)
{
	size_t lo = 0, hi = c->n_rules;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->rules[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n_rules || c->rules[lo].id != id) {
		if (!c->rules && !(c->rules = calloc(RULES_MAX, sizeof(*c->rules))))
			return;
		if (c->n_rules == RULES_MAX) {
			c->rules_dropped++;
			return;
		}
		memmove(&c->rules[lo + 1], &c->rules[lo], (c->n_rules - lo) * sizeof(*c->rules));
		c->rules[lo] = (struct flow_rule_count){ .id = id, .action = action, .dir = dir };
		c->n_rules++;
	}
	c->rules[lo].packets += packets;
	c->rules[lo].bytes += bytes;
}

/* ---------- the thread ---------- */

static void on_nflog(void *ctx, const struct nlmsghdr *nlh)
{
	struct flow_collector *c = ctx;
	struct nflog_pkt p;
	int rc = nflog_msg_parse(nlh, &p);
	if (rc == -ENOENT)
		return;
	pthread_mutex_lock(&c->lock);
	c->nflog_msgs++;
	if (rc < 0)
		c->nflog_refused++;
	pthread_mutex_unlock(&c->lock);
	if (rc == 0)
		flow_agg_nflog(&c->agg, &p);
}

static void on_ct(void *ctx, const struct nlmsghdr *nlh)
{
	struct flow_collector *c = ctx;
	struct ct_msg m;
	if (ct_msg_parse(nlh, &m) == 0)
		flow_agg_ct(&c->agg, &m);
}

static void drain(struct flow_collector *c, struct mnl_socket *s, flow_msg_fn fn, uint64_t *lost)
{
	int rc = flow_nl_drain(s, c->buf, c->buflen, FLOW_READS_PER_WAKE, fn, c);
	if (rc == -ENOBUFS) {
		pthread_mutex_lock(&c->lock);
		(*lost)++;
		pthread_mutex_unlock(&c->lock);
	} else if (rc < 0) {
		log_debug("flows: reading netlink: %s", strerror(-rc));
	}
}

static void flush(struct flow_collector *c)
{
	struct flow_record *v = NULL;
	size_t n = 0;
	char **lines, **names;
	uint64_t ct_before;
	int rc;

	/* what the sockets hold belongs to the interval that is ending */
	if (c->nflog)
		drain(c, c->nflog, on_nflog, &c->nflog_lost);
	ct_before = c->agg.ct_in;
	if (c->ctev)
		drain(c, c->ctev, on_ct, &c->ct_lost);
	if (c->ctdump && (rc = flow_ct_dump(c->ctdump, c->buf, c->buflen, on_ct, c)) < 0)
		log_debug("flows: conntrack dump: %s", strerror(-rc));
	pthread_mutex_lock(&c->lock);
	c->ct_msgs += c->agg.ct_in - ct_before;
	rc = flow_agg_flush(&c->agg, (int64_t)time(NULL), flow_names_resolve, c->names, &v, &n);
	lines = calloc(n ? n : 1, sizeof(*lines));
	names = calloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; rc == 0 && lines && names && i < n; i++) {
		const struct flow_record *r = &v[i];
		lines[i] = flow_record_json(r, &c->reg);
		names[i] = flow_record_policy_names(r, &c->reg);
		for (size_t k = 0; k < r->trace.n; k++)
			count_rule(c, r->trace.id[k], (enum flow_action)r->trace.action[k], r->side,
				   r->packets_in + r->packets_out, r->bytes_in + r->bytes_out);
	}
	c->flushes++;
	c->records += n;
	c->dropped_conns = c->agg.dropped_conns;
	c->dropped_records = c->agg.dropped_records;
	c->live_conns = c->agg.n_conns;
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		log_warn("flows: out of memory making this interval's records; they come with the next");
	for (size_t i = 0; lines && names && i < n; i++) {
		if (!lines[i] || !names[i]) {
			free(lines[i]);
			free(names[i]);
			continue;
		}
		if (c->file_ok && flow_file_write(&c->file, lines[i]) < 0) {
			pthread_mutex_lock(&c->lock);
			c->write_errors++;
			pthread_mutex_unlock(&c->lock);
		}
		if (c->serve_ok)
			flow_serve_publish(&c->serve, v[i].end, v[i].action, names[i], lines[i]);
		else {
			free(lines[i]);
			free(names[i]);
		}
	}
	free(lines);
	free(names);
	flow_records_free(v, n);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *run(void *arg)
{
	struct flow_collector *c = arg;
	struct flow_config cfg;
	struct pollfd fds[3 + 1 + FLOW_SERVE_CLIENTS];
	char err[512];
	int64_t next_flush;

	pthread_mutex_lock(&c->lock);
	cfg = c->cfg;
	pthread_mutex_unlock(&c->lock);
	if (net_sysctl_write(-1, "netfilter/nf_conntrack_acct", "1", err, sizeof(err)) < 0)
		log_warn("flows: no packet and byte counts: %s", err);
	if (flow_nflog_open(&c->nflog, FLOW_NFLOG_GROUP, err, sizeof(err)) < 0)
		log_warn("flows: no verdicts: %s", err);
	if (flow_ct_events_open(&c->ctev, err, sizeof(err)) < 0 || flow_ct_dump_open(&c->ctdump, err, sizeof(err)) < 0)
		log_warn("flows: no connection counts: %s", err);
	if (flow_file_open(&c->file, NULL, cfg.file_max_size, cfg.file_max_files) < 0)
		log_warn("flows: cannot write %s/flows.log: %s", c->file.dir, strerror(errno));
	else
		c->file_ok = true;
	if (flow_serve_open(&c->serve, NULL, err, sizeof(err)) < 0)
		log_warn("flows: %s", err);
	else
		c->serve_ok = true;
	flow_agg_init(&c->agg, NULL, (int64_t)time(NULL));
	log_info("flows: collecting (NFLOG group %d, every %u s)", FLOW_NFLOG_GROUP, cfg.interval);
	next_flush = mono_ms() + (int64_t)cfg.interval * 1000;
	for (;;) {
		size_t n = 0, serve_at;
		int64_t now = mono_ms(), wait = next_flush - now;
		bool stop;

		fds[n++] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = c->nflog ? mnl_socket_get_fd(c->nflog) : -1, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = c->ctev ? mnl_socket_get_fd(c->ctev) : -1, .events = POLLIN };
		serve_at = n;
		if (c->serve_ok)
			n += flow_serve_pollfds(&c->serve, fds + n, sizeof(fds) / sizeof(fds[0]) - n);
		poll(fds, n, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait);
		if (fds[0].revents & POLLIN) {
			char b[64];
			while (read(c->wake[0], b, sizeof(b)) > 0)
				;
		}
		pthread_mutex_lock(&c->lock);
		stop = c->stop;
		if (c->cfg.interval != cfg.interval)
			next_flush = mono_ms() + (int64_t)c->cfg.interval * 1000;
		cfg = c->cfg;
		pthread_mutex_unlock(&c->lock);
		flow_file_set_limits(&c->file, cfg.file_max_size, cfg.file_max_files);
		if (stop)
			break;
		if (fds[1].revents & (POLLIN | POLLERR))
			drain(c, c->nflog, on_nflog, &c->nflog_lost);
		if (fds[2].revents & (POLLIN | POLLERR)) {
			uint64_t before = c->agg.ct_in;
			drain(c, c->ctev, on_ct, &c->ct_lost);
			pthread_mutex_lock(&c->lock);
			c->ct_msgs += c->agg.ct_in - before;
			pthread_mutex_unlock(&c->lock);
		}
		if (c->serve_ok)
			flow_serve_handle(&c->serve, fds + serve_at, n - serve_at);
		if (mono_ms() >= next_flush) {
			flush(c);
			next_flush += (int64_t)cfg.interval * 1000;
			if (next_flush <= mono_ms()) /* fell behind: no burst of empty intervals */
				next_flush = mono_ms() + (int64_t)cfg.interval * 1000;
		}
	}
	/* what is pending goes out (flush drains the sockets first): a restart
	 * leaves no interval unwritten or written twice */
	flush(c);
	log_info("flows: stopped");
	return NULL;
}

/* ---------- the agent's side ---------- */

static void wake(struct flow_collector *c)
{
	char b = 1;
	if (write(c->wake[1], &b, 1) < 0) {
		/* full: the thread has a wake-up pending anyway */
	}
}

struct flow_collector *flow_collector_new(void)
{
	struct flow_collector *c = calloc(1, sizeof(*c));
	if (!c || !(c->buf = malloc(c->buflen = MNL_SOCKET_BUFFER_SIZE * 4)) || !(c->names = flow_names_new()) ||
	    pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		if (c) {
			free(c->buf);
			flow_names_free(c->names);
		}
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	flow_registry_init(&c->reg);
	return c;
}

/* the thread's own state, for a fresh start */
static void thread_state_reset(struct flow_collector *c)
{
	if (c->nflog)
		mnl_socket_close(c->nflog);
	if (c->ctev)
		mnl_socket_close(c->ctev);
	if (c->ctdump)
		mnl_socket_close(c->ctdump);
	c->nflog = c->ctev = c->ctdump = NULL;
	if (c->file_ok)
		flow_file_close(&c->file);
	c->file_ok = false;
	if (c->serve_ok)
		flow_serve_close(&c->serve);
	c->serve_ok = false;
	flow_agg_free(&c->agg);
}

static void thread_stop(struct flow_collector *c)
{
	if (!c->running)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_mutex_unlock(&c->lock);
	wake(c);
	pthread_join(c->thread, NULL);
	c->running = false;
	c->stop = false;
	thread_state_reset(c);
}

void flow_collector_apply(struct flow_collector *c, const struct flow_config *cfg)
{
	if (!c)
		return;
	if (!cfg->enabled) {
		thread_stop(c);
		pthread_mutex_lock(&c->lock);
		c->cfg = *cfg;
		pthread_mutex_unlock(&c->lock);
		return;
	}
	pthread_mutex_lock(&c->lock);
	bool changed = memcmp(&c->cfg, cfg, sizeof(*cfg)) != 0;
	c->cfg = *cfg;
	pthread_mutex_unlock(&c->lock);
	if (c->running) {
		if (changed)
			wake(c);
		return;
	}
	if ((errno = pthread_create(&c->thread, NULL, run, c)) != 0) {
		log_error("flows: cannot start the collector: %s", strerror(errno));
		return;
	}
	c->running = true;
}

void flow_collector_put_points(struct flow_collector *c, const struct flow_registry *src, const uint32_t *ids, size_t n,
			       bool replace)
{
	size_t failed = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (replace) {
		flow_registry_free(&c->reg);
		for (size_t i = 0; i < src->n; i++)
			if (flow_registry_put(&c->reg, &src->points[i]) < 0)
				failed++;
	}
	for (size_t i = 0; i < n; i++) {
		const struct flow_point *p = flow_registry_get(src, ids[i]);
		if (p && flow_registry_put(&c->reg, p) < 0)
			failed++;
	}
	pthread_mutex_unlock(&c->lock);
	if (failed)
		log_warn("flows: %zu verdict point(s) not known to the collector (out of memory): their records say \"unknown\"",
			 failed);
}

struct flow_names *flow_collector_names_begin(struct flow_collector *c)
{
	if (!c)
		return NULL;
	pthread_mutex_lock(&c->lock);
	return c->names;
}

void flow_collector_names_end(struct flow_collector *c)
{
	if (c)
		pthread_mutex_unlock(&c->lock);
}

void flow_collector_free(struct flow_collector *c)
{
	if (!c)
		return;
	thread_stop(c);
	flow_registry_free(&c->reg);
	flow_names_free(c->names);
	free(c->rules);
	free(c->buf);
	close(c->wake[0]);
	close(c->wake[1]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---------- /metrics ---------- */

/* a label value as Prometheus' text format wants it */
static void label_value(char *out, size_t len, const char *in)
{
	size_t o = 0;
	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static int put(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		char *p = realloc(*buf, *cap * 2 + (size_t)n);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = *cap * 2 + (size_t)n;
	}
}

char *flow_collector_metrics(struct flow_collector *c)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), tier[520], pol[1100], hex[16];
	int rc = 0;

	if (!buf)
		return NULL;
	buf[0] = '\0';
	if (!c)
		return buf;
	pthread_mutex_lock(&c->lock);
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		const char *what = pass ? "bytes" : "packets";
		rc = put(&buf, &len, &cap,
			 "# HELP calico_rule_%s_total %s of connections each verdict point decided (both directions).\n"
			 "# TYPE calico_rule_%s_total counter\n",
			 what, pass ? "Bytes" : "Packets", what);
		for (size_t i = 0; rc == 0 && i < c->n_rules; i++) {
			const struct flow_rule_count *r = &c->rules[i];
			const struct flow_point *p = flow_registry_get(&c->reg, r->id);
			char rule[16] = "";
			snprintf(hex, sizeof(hex), "%x", (unsigned)r->id);
			if (p) {
				char full[600];
				label_value(tier, sizeof(tier), p->tier);
				snprintf(full, sizeof(full), "%s%s%s", p->namespace, p->namespace[0] ? "/" : "", p->name);
				label_value(pol, sizeof(pol), full);
				if (p->rule >= 0)
					snprintf(rule, sizeof(rule), "%d", p->rule);
			} else {
				tier[0] = '\0';
				snprintf(pol, sizeof(pol), "id:%s", hex);
			}
			rc = put(&buf, &len, &cap,
				 "calico_rule_%s_total{tier=\"%s\",policy=\"%s\",rule=\"%s\",action=\"%s\",direction=\"%s\"} "
				 "%llu\n",
				 what, tier, pol, rule, flow_action_name(p ? p->action : r->action),
				 flow_dir_name(p ? p->dir : r->dir),
				 (unsigned long long)(pass ? r->bytes : r->packets));
		}
	}
	if (rc == 0)
		rc = put(&buf, &len, &cap,
			 "# HELP calico_flow_nflog_messages_total Verdicts logged by the dataplane that the agent read.\n"
			 "# TYPE calico_flow_nflog_messages_total counter\ncalico_flow_nflog_messages_total %llu\n"
			 "# HELP calico_flow_nflog_refused_total NFLOG messages not in the verdict point form.\n"
			 "# TYPE calico_flow_nflog_refused_total counter\ncalico_flow_nflog_refused_total %llu\n"
			 "# HELP calico_flow_nflog_overruns_total Times the kernel dropped NFLOG messages for want of room.\n"
			 "# TYPE calico_flow_nflog_overruns_total counter\ncalico_flow_nflog_overruns_total %llu\n"
			 "# HELP calico_flow_conntrack_messages_total Conntrack events and dump entries read.\n"
			 "# TYPE calico_flow_conntrack_messages_total counter\ncalico_flow_conntrack_messages_total %llu\n"
			 "# HELP calico_flow_conntrack_overruns_total Times the kernel dropped conntrack events for want of room.\n"
			 "# TYPE calico_flow_conntrack_overruns_total counter\ncalico_flow_conntrack_overruns_total %llu\n"
			 "# HELP calico_flow_records_total Flow records made.\n"
			 "# TYPE calico_flow_records_total counter\ncalico_flow_records_total %llu\n"
			 "# HELP calico_flow_flushes_total Intervals closed.\n"
			 "# TYPE calico_flow_flushes_total counter\ncalico_flow_flushes_total %llu\n"
			 "# HELP calico_flow_dropped_connections_total Connections not tracked: over the cap.\n"
			 "# TYPE calico_flow_dropped_connections_total counter\ncalico_flow_dropped_connections_total %llu\n"
			 "# HELP calico_flow_dropped_records_total Records not made: over the cap.\n"
			 "# TYPE calico_flow_dropped_records_total counter\ncalico_flow_dropped_records_total %llu\n"
			 "# HELP calico_flow_file_errors_total Records the flow log file could not take.\n"
			 "# TYPE calico_flow_file_errors_total counter\ncalico_flow_file_errors_total %llu\n"
			 "# HELP calico_flow_connections Connections tracked at the last interval's end.\n"
			 "# TYPE calico_flow_connections gauge\ncalico_flow_connections %zu\n",
			 (unsigned long long)c->nflog_msgs, (unsigned long long)c->nflog_refused,
			 (unsigned long long)c->nflog_lost, (unsigned long long)c->ct_msgs,
			 (unsigned long long)c->ct_lost, (unsigned long long)c->records,
			 (unsigned long long)c->flushes, (unsigned long long)c->dropped_conns,
			 (unsigned long long)c->dropped_records, (unsigned long long)c->write_errors, c->live_conns);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
