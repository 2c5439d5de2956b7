/* calico-stars probe (probe.h). */
#include "probe.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "opts.h"
#include "serve.h"

#define PROBE_TIMEOUT_MS 1000L

struct probe {
	const char *name;
	struct probe_target *targets;
	const char *const *urls; /* targets[i].url, as fetch_all takes them */
	size_t n;
	struct serve_doc status; /* the /status body */
};

json_t *probe_status_json(const char *name, const struct probe_target *t, size_t n, long long updated)
{
	json_t *targets = json_array();

	if (!targets)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s,s:b,s:o}", "url", t[i].url, "reachable", (int)t[i].reachable, "name",
				      t[i].name ? json_string(t[i].name) : json_null());
		if (!o || json_array_append_new(targets, o) < 0) {
			json_decref(targets);
			return NULL;
		}
	}
	return json_pack("{s:s,s:o,s:I}", "name", name, "targets", targets, "updated", (json_int_t)updated);
}

int probe_target_update(struct probe_target *t, const struct fetch_result *r)
{
	json_t *body = NULL;
	const char *name;
	int rc = 0;

	free(t->name);
	t->name = NULL;
	t->reachable = r->status == 200;
	if (!t->reachable || !r->body)
		goto out;
	body = json_loadb(r->body, r->len, 0, NULL);
	name = json_string_value(json_object_get(body, "name"));
	if (name && !(t->name = strdup(name)))
		rc = -ENOMEM;
out:
	json_decref(body);
	return rc;
}

/* Renders the status into p->status; -ENOMEM keeps the previous one. */
static int publish(struct probe *p, long long updated)
{
	json_t *j = probe_status_json(p->name, p->targets, p->n, updated);
	int rc = serve_doc_set(&p->status, j);

	json_decref(j);
	return rc;
}

static int route(void *ctx, const char *path, struct server_reply *r)
{
	struct probe *p = ctx;

	if (strcmp(path, "/status") != 0) {
		*r = (struct server_reply){ 404, "text/plain", "not found\n", 0 };
		return 0;
	}
	return serve_doc_reply(&p->status, r);
}

/* Probes every target, then publishes what it found. */
static int probe_round(void *ctx)
{
	struct probe *p = ctx;
	struct fetch_result *res = calloc(p->n ? p->n : 1, sizeof(*res));
	int rc;

	if (!res)
		return -ENOMEM;
	rc = fetch_all(p->urls, p->n, PROBE_TIMEOUT_MS, res);
	for (size_t i = 0; rc == 0 && i < p->n; i++)
		rc = probe_target_update(&p->targets[i], &res[i]);
	fetch_results_free(res, p->n);
	free(res);
	if (rc == 0)
		rc = publish(p, (long long)time(NULL));
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: calico-stars probe --name NAME [--listen ADDR:PORT] [--interval SECONDS] TARGET_URL...\n");
}

int probe_main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "name", required_argument, NULL, 'n' },     { "listen", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe p = { .status = SERVE_DOC_INIT };
	struct listen_addr addr;
	struct server *srv = NULL;
	double interval = 2;
	int c, rc = 1;

	opts_listen("0.0.0.0:9000", &addr);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:l:i:h", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!opts_name_valid(optarg)) {
				fprintf(stderr, "calico-stars: bad name '%s' (letters, digits, '-', '_', '.')\n", optarg);
				goto out;
			}
			p.name = optarg;
			break;
		case 'l':
			if (serve_opt_listen(optarg, &addr) < 0)
				goto out;
			break;
		case 'i':
			if (serve_opt_interval(optarg, &interval) < 0)
				goto out;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "calico-stars: bad option '%s' for probe\n", argv[optind - 1]);
			goto out;
		}
	}
	if (!p.name) {
		fprintf(stderr, "calico-stars: probe needs --name NAME\n");
		goto out;
	}
	p.n = (size_t)(argc - optind);
	p.urls = (const char *const *)(argv + optind);
	for (int i = optind; i < argc; i++) {
		if (opts_http_url(argv[i]) < 0) {
			fprintf(stderr, "calico-stars: bad target '%s' (want http://HOST[:PORT]/PATH)\n", argv[i]);
			goto out;
		}
	}
	if (!(p.targets = calloc(p.n ? p.n : 1, sizeof(*p.targets))))
		goto out;
	for (size_t i = 0; i < p.n; i++)
		p.targets[i].url = argv[optind + (int)i];
	if (publish(&p, (long long)time(NULL)) < 0)
		goto out;
	if (serve_start(&srv, &addr, route, &p) < 0)
		goto out;
	log_info("probe %s serving http://%s/status, %zu targets every %g s", p.name, addr.text, p.n, interval);
	serve_rounds(interval, probe_round, &p, "probe");
	log_info("probe %s stopping", p.name);
	rc = 0;
out:
	server_stop(srv);
	for (size_t i = 0; p.targets && i < p.n; i++)
		free(p.targets[i].name);
	free(p.targets);
	serve_doc_free(&p.status);
	return rc;
}
