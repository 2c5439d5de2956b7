/* The collector's graph from one round of status answers (graph.h). */
#include "graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int graph_url_hostport(const char *url, char *buf, size_t len)
{
	const char *h = strstr(url, "://");
	const char *port = NULL;
	size_t hl, pl = 0;

	h = h ? h + 3 : url;
	hl = strcspn(h, "/?#");
	if (hl == 0)
		return -EINVAL;
	if (h[0] == '[') {
		const char *close = memchr(h, ']', hl);
		if (!close)
			return -EINVAL;
		if (close + 1 < h + hl && close[1] == ':') {
			port = close + 2;
			pl = (size_t)(h + hl - port);
		}
		hl = (size_t)(close + 1 - h);
	} else {
		const char *colon = memchr(h, ':', hl);
		if (colon) {
			port = colon + 1;
			pl = (size_t)(h + hl - port);
			hl = (size_t)(colon - h);
		}
	}
	if (hl == 0)
		return -EINVAL;
	if (port && pl > 0)
		snprintf(buf, len, "%.*s:%.*s", (int)hl, h, (int)pl, port);
	else
		snprintf(buf, len, "%.*s:80", (int)hl, h);
	return 0;
}

static json_t *rules_text(const json_t *rules, const char *id)
{
	const json_t *v = rules ? json_object_get(rules, id) : NULL;
	json_t *out;
	size_t i, total = 0;
	const json_t *line;
	char *buf, *p;

	if (json_is_string(v))
		return json_string(json_string_value(v));
	if (!json_is_array(v))
		return json_string("");
	json_array_foreach (v, i, line)
		total += json_is_string(line) ? strlen(json_string_value(line)) + 1 : 0;
	if (!(buf = calloc(1, total + 1)))
		return NULL;
	p = buf;
	json_array_foreach (v, i, line) {
		if (!json_is_string(line))
			continue;
		if (p != buf)
			*p++ = '\n';
		p = stpcpy(p, json_string_value(line));
	}
	out = json_string(buf);
	free(buf);
	return out;
}

long graph_target_node(const json_t *t, const struct graph_service *svcs, size_t n)
{
	const char *name = json_string_value(json_object_get(t, "name"));
	const char *url = json_string_value(json_object_get(t, "url"));
	char want[300], have[300];

	if (name) {
		if (strcmp(name, GRAPH_SELF) == 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(svcs[i].name, name) == 0)
				return (long)i + 1;
		return -1;
	}
	if (!url || graph_url_hostport(url, want, sizeof(want)) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (graph_url_hostport(svcs[i].url, have, sizeof(have)) == 0 && strcmp(have, want) == 0)
			return strcmp(svcs[i].name, GRAPH_SELF) == 0 ? 0 : (long)i + 1;
	return -1;
}

/* Node index of service i: GRAPH_SELF merges into node 0. */
static size_t node_of(const struct graph_service *svcs, size_t i)
{
	return strcmp(svcs[i].name, GRAPH_SELF) == 0 ? 0 : i + 1;
}

static int add_edge(json_t *edges, bool *seen, size_t nn, size_t from, size_t to, const char *const *ids)
{
	if (from == to || seen[from * nn + to])
		return 0;
	seen[from * nn + to] = true;
	return json_array_append_new(edges, json_pack("{s:s,s:s}", "from", ids[from], "to", ids[to])) == 0
		       ? 0
		       : -ENOMEM;
}

json_t *graph_build(const struct graph_service *svcs, size_t n, const json_t *rules, long long updated)
{
	size_t nn = n + 1;
	json_t *g = NULL, *nodes = json_array(), *edges = json_array(), *r;
	const char **ids = calloc(nn, sizeof(*ids));
	bool *up = calloc(nn, sizeof(*up)), *seen = calloc(nn * nn, sizeof(*seen));
	int rc = 0;

	if (!nodes || !edges || !ids || !up || !seen)
		goto out;
	ids[0] = GRAPH_SELF;
	up[0] = true;
	for (size_t i = 0; i < n; i++) {
		size_t k = node_of(svcs, i);
		ids[i + 1] = svcs[i].name;
		if (k == i + 1)
			up[k] = svcs[i].reached;
	}
	if (!(r = rules_text(rules, GRAPH_SELF)) ||
	    json_array_append_new(nodes, json_pack("{s:s,s:b,s:o}", "id", GRAPH_SELF, "reachable", 1, "rules", r)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (node_of(svcs, i) == 0)
			continue;
		if (!(r = rules_text(rules, svcs[i].name)) ||
		    json_array_append_new(nodes, json_pack("{s:s,s:s,s:b,s:o}", "id", svcs[i].name, "url", svcs[i].url,
							   "reachable", (int)svcs[i].reached, "rules", r)))
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = node_of(svcs, i);
		if (k != 0 && up[k])
			rc = rc ? rc : add_edge(edges, seen, nn, 0, k, ids);
	}
	for (size_t i = 0; i < n; i++) {
		size_t from = node_of(svcs, i), j;
		const json_t *t;

		if (!svcs[i].reached || !up[from])
			continue;
		json_array_foreach (json_object_get(svcs[i].status, "targets"), j, t) {
			long to = graph_target_node(t, svcs, n);
			if (to < 0 || !json_is_true(json_object_get(t, "reachable")) || !up[to])
				continue;
			rc = rc ? rc : add_edge(edges, seen, nn, from, (size_t)to, ids);
		}
	}
	if (rc == 0)
		g = json_pack("{s:O,s:O,s:I}", "nodes", nodes, "edges", edges, "updated", (json_int_t)updated);
out:
	json_decref(nodes);
	json_decref(edges);
	free(ids);
	free(up);
	free(seen);
	return g;
}
