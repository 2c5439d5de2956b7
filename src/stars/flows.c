/* The hosts' flow records joined to the collector's graph (flows.h). */
#include "flows.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *js_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void flows_decider_label(const json_t *record, char *buf, size_t len)
{
	const json_t *enf = json_object_get(json_object_get(record, "policies"), "enforced");
	const json_t *p = json_array_get(enf, json_array_size(enf) ? json_array_size(enf) - 1 : 0);
	const char *kind = js_str(p, "kind"), *tier = js_str(p, "tier"), *name = js_str(p, "name");
	const char *ns = js_str(p, "namespace"), *trigger = js_str(p, "trigger");
	long long rule = json_integer_value(json_object_get(p, "rule"));

	buf[0] = '\0';
	if (!json_is_object(p))
		return;
	if (strcmp(kind, "policy") == 0)
		snprintf(buf, len, "policy %s%s%s%s%s rule %lld", tier, *tier ? "/" : "", ns, *ns ? "/" : "", name, rule);
	else if (strcmp(kind, "profile") == 0)
		snprintf(buf, len, "profile %s rule %lld", name, rule);
	else if (strcmp(kind, "end-of-tier") == 0)
		snprintf(buf, len, "end of tier %s (%s)", tier, *trigger ? trigger : name);
	else if (strcmp(kind, "end-of-profiles") == 0)
		snprintf(buf, len, *name ? "end of profiles (%s)" : "end of profiles", name);
	else if (strcmp(kind, "fail-closed") == 0)
		snprintf(buf, len, "fail-closed drop");
	else if (strcmp(kind, "anti-spoof") == 0)
		snprintf(buf, len, "anti-spoofing drop");
	else
		snprintf(buf, len, "verdict point %s", js_str(p, "id"));
}

/* What the join knows of the graph: its node ids, who reached whom this
 * round, and on which port each node tries each other (0: it does not). */
struct join {
	const char **ids;
	size_t nn;
	bool *reached;  /* [from * nn + to] */
	long *tries;    /* [from * nn + to]: the port */
	bool *local;    /* [host * nn + node]: a workload of that host */
	json_t **found; /* [from * nn + to]: the newest deny (borrowed) */
};

static long node_index(const struct join *j, const char *id)
{
	for (size_t k = 0; id && k < j->nn; k++)
		if (strcmp(j->ids[k], id) == 0)
			return (long)k;
	return -1;
}

/* The node an endpoint of a record is, or -1. */
static long ep_node(const struct join *j, const json_t *ep, const char *label_key)
{
	if (strcmp(js_str(ep, "kind"), "wep") != 0)
		return -1;
	return node_index(j, json_string_value(json_object_get(json_object_get(ep, "labels"), label_key)));
}

static long url_port(const char *url)
{
	char hp[300];
	const char *colon;
	if (!url || graph_url_hostport(url, hp, sizeof(hp)) < 0 || !(colon = strrchr(hp, ':')))
		return 0;
	return strtol(colon + 1, NULL, 10);
}

static int join_init(struct join *j, const json_t *g, const struct graph_service *svcs, size_t n, size_t n_hosts)
{
	const json_t *nodes = json_object_get(g, "nodes"), *v;
	size_t i, nn = json_array_size(nodes);

	j->nn = nn;
	j->ids = calloc(nn ? nn : 1, sizeof(*j->ids));
	j->reached = calloc(nn * nn + 1, sizeof(*j->reached));
	j->tries = calloc(nn * nn + 1, sizeof(*j->tries));
	j->found = calloc(nn * nn + 1, sizeof(*j->found));
	j->local = calloc(n_hosts * nn + 1, sizeof(*j->local));
	if (!j->ids || !j->reached || !j->tries || !j->found || !j->local)
		return -ENOMEM;
	json_array_foreach (nodes, i, v)
		j->ids[i] = js_str(v, "id");
	json_array_foreach (json_object_get(g, "edges"), i, v) {
		long a = node_index(j, js_str(v, "from")), b = node_index(j, js_str(v, "to"));
		if (a >= 0 && b >= 0)
			j->reached[a * nn + b] = true;
	}
	for (i = 0; i < n; i++) {
		long x = node_index(j, svcs[i].name), y;
		const json_t *t;
		size_t k;
		/* the collector polls every service */
		if (x > 0)
			j->tries[x] = url_port(svcs[i].url);
		if (x < 0 || !svcs[i].status)
			continue;
		json_array_foreach (json_object_get(svcs[i].status, "targets"), k, t) {
			long to = graph_target_node(t, svcs, n);
			y = to < 0 ? -1 : to == 0 ? 0 : node_index(j, svcs[to - 1].name);
			if (y >= 0 && y != x)
				j->tries[x * (long)nn + y] = url_port(js_str(t, "url"));
		}
	}
	return 0;
}

static void join_free(struct join *j)
{
	free(j->ids);
	free(j->reached);
	free(j->tries);
	free(j->found);
	free(j->local);
}

static void note_deny(struct join *j, long x, long y, json_t *rec)
{
	size_t k = (size_t)x * j->nn + (size_t)y;
	long long end = json_integer_value(json_object_get(rec, "end"));
	if (x == y || j->reached[k])
		return;
	if (!j->found[k] || end >= json_integer_value(json_object_get(j->found[k], "end")))
		j->found[k] = rec;
}

/* A denied record of host h: the pairs it stands for (flows.h). */
static void join_deny(struct join *j, size_t h, json_t *rec, const char *label_key)
{
	const json_t *src = json_object_get(rec, "source"), *dst = json_object_get(rec, "dest");
	long s = ep_node(j, src, label_key), d = ep_node(j, dst, label_key);
	long port = (long)json_integer_value(json_object_get(rec, "dest_port"));
	size_t nn = j->nn;

	if (s >= 0 && d >= 0) {
		if (!j->tries[s * (long)nn + d] || j->tries[s * (long)nn + d] == port)
			note_deny(j, s, d, rec);
		return;
	}
	for (size_t k = 0; k < nn; k++) {
		if (j->local[h * nn + k])
			continue;
		if (s < 0 && d >= 0 && strcmp(js_str(src, "kind"), "net") == 0 && j->tries[k * nn + (size_t)d] == port)
			note_deny(j, (long)k, d, rec);
		if (d < 0 && s >= 0 && strcmp(js_str(dst, "kind"), "net") == 0 && j->tries[(size_t)s * nn + k] == port)
			note_deny(j, s, (long)k, rec);
	}
}

/* One node's flow list entry: the record seen from that node. */
static json_t *flow_entry(const json_t *rec, bool out, const char *peer)
{
	char label[600];
	flows_decider_label(rec, label, sizeof(label));
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:I}", "start",
			 json_integer_value(json_object_get(rec, "start")), "end",
			 json_integer_value(json_object_get(rec, "end")), "reporter", js_str(rec, "reporter"), "dir",
			 out ? "out" : "in", "peer", peer, "proto", js_str(rec, "proto"), "port",
			 json_integer_value(json_object_get(rec, "dest_port")), "action", js_str(rec, "action"), "policy",
			 label, "connections", json_integer_value(json_object_get(rec, "connections_started")));
}

static int newest_first(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t ex = json_integer_value(json_object_get(x, "end")), ey = json_integer_value(json_object_get(y, "end"));
	json_int_t sx = json_integer_value(json_object_get(x, "start")),
		   sy = json_integer_value(json_object_get(y, "start"));
	json_int_t ix = json_integer_value(json_object_get(x, "_i")), iy = json_integer_value(json_object_get(y, "_i"));
	if (ex != ey)
		return ex < ey ? 1 : -1;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return ix < iy ? -1 : ix > iy ? 1 : 0;
}

/* Sorts each node's list newest first (stable for equal times: qsort is not,
 * so the index breaks ties) and keeps last_n. */
static int trim_flows(json_t *list, size_t last_n)
{
	size_t n = json_array_size(list);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();
	int rc = -ENOMEM;

	if (!v || !out)
		goto done;
	for (size_t i = 0; i < n; i++) {
		v[i] = json_array_get(list, i);
		json_object_set_new(v[i], "_i", json_integer((json_int_t)i));
	}
	qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = 0; i < n && i < last_n; i++)
		if (json_array_append(out, v[i]))
			goto done;
	rc = json_array_clear(list) || json_array_extend(list, out) ? -ENOMEM : 0;
	for (size_t i = 0; i < json_array_size(list); i++)
		json_object_del(json_array_get(list, i), "_i");
done:
	free(v);
	json_decref(out);
	return rc;
}

int flows_join(json_t *g, const struct graph_service *svcs, size_t n, const json_t *const *hosts, size_t n_hosts,
	       const char *label_key, size_t last_n)
{
	struct join j = { 0 };
	json_t *denied = json_array(), **lists = NULL, *rec;
	size_t i;
	int rc = -ENOMEM;

	if (!denied || join_init(&j, g, svcs, n, n_hosts) < 0 || !(lists = calloc(j.nn + 1, sizeof(*lists))))
		goto out;
	for (size_t k = 0; k < j.nn; k++)
		if (!(lists[k] = json_array()))
			goto out;
	/* where each service lives: a host names only its own workloads */
	for (size_t h = 0; h < n_hosts; h++) {
		json_array_foreach (hosts[h], i, rec) {
			long s = ep_node(&j, json_object_get(rec, "source"), label_key);
			long d = ep_node(&j, json_object_get(rec, "dest"), label_key);
			if (s >= 0)
				j.local[h * j.nn + (size_t)s] = true;
			if (d >= 0)
				j.local[h * j.nn + (size_t)d] = true;
		}
	}
	for (size_t h = 0; h < n_hosts; h++) {
		json_array_foreach (hosts[h], i, rec) {
			const json_t *src = json_object_get(rec, "source"), *dst = json_object_get(rec, "dest");
			long s, d;
			if (!json_is_object(rec))
				continue;
			s = ep_node(&j, src, label_key);
			d = ep_node(&j, dst, label_key);
			if (strcmp(js_str(rec, "action"), "deny") == 0)
				join_deny(&j, h, (json_t *)rec, label_key);
			if (s >= 0 && json_array_append_new(lists[s], flow_entry(rec, true, d >= 0 ? j.ids[d] : js_str(dst, "name"))))
				goto out;
			if (d >= 0 && d != s &&
			    json_array_append_new(lists[d], flow_entry(rec, false, s >= 0 ? j.ids[s] : js_str(src, "name"))))
				goto out;
		}
	}
	for (size_t x = 0; x < j.nn; x++) {
		for (size_t y = 0; y < j.nn; y++) {
			const json_t *r = j.found[x * j.nn + y], *enf;
			char label[600];
			if (!r)
				continue;
			enf = json_object_get(json_object_get(r, "policies"), "enforced");
			flows_decider_label(r, label, sizeof(label));
			if (json_array_append_new(denied, json_pack("{s:s,s:s,s:s,s:O,s:I}", "from", j.ids[x], "to", j.ids[y],
								     "label", label, "by",
								     json_array_size(enf) ? json_array_get(enf, json_array_size(enf) - 1)
											  : json_null(),
								     "end", json_integer_value(json_object_get(r, "end")))))
				goto out;
		}
	}
	json_array_foreach (json_object_get(g, "nodes"), i, rec) {
		if (trim_flows(lists[i], last_n) < 0 || json_object_set(rec, "flows", lists[i]))
			goto out;
	}
	rc = json_object_set(g, "denied", denied) ? -ENOMEM : 0;
out:
	for (size_t k = 0; lists && k < j.nn; k++)
		json_decref(lists[k]);
	free(lists);
	join_free(&j);
	json_decref(denied);
	return rc;
}
