/* calico-stars collect (collect.h). */
#include "collect.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "fetch.h"
#include "flows.h"
#include "flows_read.h"
#include "graph.h"
#include "util/log.h"
#include "opts.h"
#include "profile_rules.h"
#include "serve.h"
#include "ui.h"

#define COLLECT_TIMEOUT_MS 1000L

struct collector {
	struct graph_service *svcs;
	char **names; /* owned; svcs[i].name points here */
	const char **urls;
	size_t n;
	bool show_rules; /* --show-rules */
	struct profile_rules rules;
	const char **profiles; /* GRAPH_SELF and the services: whose rules are shown */
	size_t n_profiles;
	struct serve_doc graph; /* the /graph body */
	struct flows_source *flows; /* --flows: one per host */
	size_t n_flows;
	const char *flow_label; /* --flow-label */
};

#define FLOWS_WINDOW_S 60 /* the records a round joins: intervals that ended this recently */

static int route(void *ctx, const char *path, struct server_reply *r)
{
	struct collector *c = ctx;

	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		*r = (struct server_reply){ 200, "text/html; charset=utf-8", (char *)stars_ui_html, 0 };
		return 0;
	}
	if (strcmp(path, "/graph") != 0) {
		*r = (struct server_reply){ 404, "text/plain", "not found\n", 0 };
		return 0;
	}
	return serve_doc_reply(&c->graph, r);
}

/* Each host's recent flow records, joined to the graph g (flows.h). */
static int join_flows(struct collector *c, json_t *g)
{
	json_t **hosts = calloc(c->n_flows, sizeof(*hosts));
	long long since = (long long)time(NULL) - FLOWS_WINDOW_S;
	int rc = -ENOMEM;

	if (!hosts)
		return -ENOMEM;
	for (size_t h = 0; h < c->n_flows; h++)
		if (!(hosts[h] = flows_read(&c->flows[h], since)))
			goto out;
	rc = flows_join(g, c->svcs, c->n, (const json_t *const *)hosts, c->n_flows, c->flow_label, FLOWS_LAST_DEFAULT);
out:
	for (size_t h = 0; h < c->n_flows; h++)
		json_decref(hosts[h]);
	free(hosts);
	return rc;
}

/* Builds the graph from c->svcs and, with --show-rules, the profiles as the
 * datastore holds them now, and publishes it. */
static int publish(struct collector *c)
{
	json_t *rules = NULL, *g = NULL;
	int rc = -ENOMEM;

	if (c->show_rules && !(rules = profile_rules_read(&c->rules, c->profiles, c->n_profiles)))
		goto out;
	if (!(g = graph_build(c->svcs, c->n, rules, (long long)time(NULL))))
		goto out;
	if (c->n_flows && join_flows(c, g) < 0)
		goto out;
	rc = serve_doc_set(&c->graph, g);
out:
	json_decref(g);
	json_decref(rules);
	return rc;
}

static int collect_round(void *ctx)
{
	struct collector *c = ctx;
	struct fetch_result *res = calloc(c->n ? c->n : 1, sizeof(*res));
	int rc;

	if (!res)
		return -ENOMEM;
	rc = fetch_all(c->urls, c->n, COLLECT_TIMEOUT_MS, res);
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		json_decref((json_t *)c->svcs[i].status);
		c->svcs[i].status = NULL;
		c->svcs[i].reached = res[i].status == 200;
		if (c->svcs[i].reached)
			c->svcs[i].status = json_loadb(res[i].body, res[i].len, 0, NULL);
	}
	fetch_results_free(res, c->n);
	free(res);
	if (rc == 0)
		rc = publish(c);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: calico-stars collect [--listen ADDR:PORT] [--interval SECONDS] [--show-rules]\n"
		   "                            [--flows SOCKET]... [--flow-label KEY] SERVICE=STATUS_URL...\n"
		   "  --show-rules  beside each service, the rules of the profile of its name, read from the\n"
		   "                datastore the environment names (as for calicoctl) every round\n"
		   "  --flows SOCKET  (repeatable, one per host) calico-node's flows socket (CALICO_RUN_DIR/flows.sock):\n"
		   "                each round, denied probes become red edges naming the rule that denied them,\n"
		   "                and each service its last flows\n"
		   "  --flow-label KEY  the label whose value is a workload's service name (default role)\n");
}

/* Fills c from the SERVICE=URL arguments; 1 after a usage error (printed). */
static int add_services(struct collector *c, char **args, size_t n)
{
	c->n = n;
	c->svcs = calloc(n ? n : 1, sizeof(*c->svcs));
	c->names = calloc(n ? n : 1, sizeof(*c->names));
	c->urls = calloc(n ? n : 1, sizeof(*c->urls));
	c->profiles = calloc(n + 1, sizeof(*c->profiles));
	if (!c->svcs || !c->names || !c->urls || !c->profiles)
		return -ENOMEM;
	c->profiles[c->n_profiles++] = GRAPH_SELF;
	for (size_t i = 0; i < n; i++) {
		int rc = opts_service(args[i], &c->names[i], &c->urls[i]);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			fprintf(stderr, "calico-stars: bad service '%s' (want NAME=http://HOST[:PORT]/PATH)\n", args[i]);
			return 1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->names[j], c->names[i]) == 0) {
				fprintf(stderr, "calico-stars: bad service '%s' (%s given twice)\n", args[i], c->names[i]);
				return 1;
			}
		}
		c->svcs[i].name = c->names[i];
		c->svcs[i].url = c->urls[i];
		if (strcmp(c->names[i], GRAPH_SELF) != 0)
			c->profiles[c->n_profiles++] = c->names[i];
	}
	return 0;
}

int collect_main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "listen", required_argument, NULL, 'l' },     { "interval", required_argument, NULL, 'i' },
		{ "show-rules", no_argument, NULL, 'r' },       { "help", no_argument, NULL, 'h' },
		{ "flows", required_argument, NULL, 'f' },      { "flow-label", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct collector c = { .graph = SERVE_DOC_INIT, .flow_label = "role" };
	struct listen_addr addr;
	struct server *srv = NULL;
	double interval = 1;
	int ch, rc = 1;

	opts_listen("0.0.0.0:9001", &addr);
	optind = 1;
	opterr = 0;
	if (!(c.flows = calloc((size_t)argc + 1, sizeof(*c.flows))))
		goto out;
	while ((ch = getopt_long(argc, argv, "l:i:rhf:k:", longs, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (serve_opt_listen(optarg, &addr) < 0)
				goto out;
			break;
		case 'i':
			if (serve_opt_interval(optarg, &interval) < 0)
				goto out;
			break;
		case 'r':
			c.show_rules = true;
			break;
		case 'f':
			if (!*optarg || strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
				fprintf(stderr, "calico-stars: bad --flows '%s' (want the path of a flows socket, under %zu bytes)\n",
					optarg, sizeof(((struct sockaddr_un *)0)->sun_path));
				goto out;
			}
			c.flows[c.n_flows++].path = optarg;
			break;
		case 'k':
			if (!*optarg || strlen(optarg) > 253 || strpbrk(optarg, " \t\n\"'")) {
				fprintf(stderr, "calico-stars: bad --flow-label '%s' (want a label key)\n", optarg);
				goto out;
			}
			c.flow_label = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "calico-stars: bad option '%s' for collect\n", argv[optind - 1]);
			goto out;
		}
	}
	if (add_services(&c, argv + optind, (size_t)(argc - optind)) != 0)
		goto out;
	if (publish(&c) < 0)
		goto out;
	if (serve_start(&srv, &addr, route, &c) < 0)
		goto out;
	log_info("collector serving http://%s/ for %zu services every %g s, flows from %zu hosts", addr.text, c.n,
		 interval, c.n_flows);
	serve_rounds(interval, collect_round, &c, "collect");
	log_info("collector stopping");
	rc = 0;
out:
	server_stop(srv);
	for (size_t i = 0; c.svcs && i < c.n; i++)
		json_decref((json_t *)c.svcs[i].status);
	for (size_t i = 0; c.names && i < c.n; i++)
		free(c.names[i]);
	free(c.svcs);
	free(c.names);
	free(c.urls);
	free(c.profiles);
	free(c.flows);
	profile_rules_close(&c.rules);
	serve_doc_free(&c.graph);
	return rc;
}
