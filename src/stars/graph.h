/* calico-stars: the collector's graph, built from one polling round (pure,
 * no I/O; tests/stars/test_stars_graph.c). */
#ifndef STARS_GRAPH_H
#define STARS_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The collector itself: always a node; an edge from it to every service it reached. */
#define GRAPH_SELF "management-ui"

struct graph_service {
	const char *name;
	const char *url;      /* its probe's /status URL */
	bool reached;         /* the collector got HTTP 200 from url this round */
	const json_t *status; /* that answer, parsed (a probe's /status), or NULL */
};

/* {"nodes":[{"id","url","reachable","rules"}...],"edges":[{"from","to"}...],"updated"}.
 * Nodes: GRAPH_SELF first (reachable), then every service in order with
 * reachable = reached; a service named GRAPH_SELF merges into the first node.
 * Edges, between reachable nodes only, no self-loops, no duplicates:
 * GRAPH_SELF -> X for every reached X; X -> Y when X's status lists a target
 * with "reachable":true that is Y: the target's reported "name" equals Y, or,
 * with no name reported, its URL's host and port equal those of Y's url.
 * rules (a JSON object or NULL): rules[id] a string, or an array of strings
 * joined by newlines; "" otherwise. NULL when memory runs out. */
json_t *graph_build(const struct graph_service *svcs, size_t n, const json_t *rules, long long updated);

/* The node target t of a status names, as for the edges above: 0 for
 * GRAPH_SELF, i + 1 for svcs[i], -1 for none. */
long graph_target_node(const json_t *t, const struct graph_service *svcs, size_t n);

/* "host:port" of an http:// URL into buf (port 80 when not given; IPv6 keeps
 * its brackets); -EINVAL when url has no host. */
int graph_url_hostport(const char *url, char *buf, size_t len);

#endif
