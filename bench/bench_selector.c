/* Label selectors over many endpoints: what one evaluation costs, as the
 * agent's index will pay it for every (selector, endpoint) pair it
 * re-checks. 100,000 endpoints of 7 labels each (Kubernetes-like keys), 12
 * selectors of every kind of leaf, in two orders: each selector over all
 * endpoints (a new selector's scan) and each endpoint against all selectors
 * (an endpoint's labels changed); also the cost of a parse. Prints one JSON line:
 *   {"bench":"selector","endpoints":N,"selectors":S,"matches":M,"ns_per_eval_scan":X,"ns_per_eval_endpoint":Y,"parse_us":P}
 * Usage: bench_selector [ENDPOINTS]   (default 100000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "selector/selector.h"

static const char *const selectors[] = {
	"app == 'web'",
	"app != 'web'",
	"has(projectcalico.org/namespace)",
	"!has(canary)",
	"app in {'web', 'db', 'cache', 'queue', 'auth'}",
	"team not in {'red', 'blue'}",
	"version starts with 'v1.'",
	"app.kubernetes.io/name ends with '-7'",
	"app.kubernetes.io/name contains 'svc-1'",
	"app == 'web' && env == 'prod' && tier == 'frontend'",
	"(app == 'db' || app == 'cache') && !has(canary) && projectcalico.org/namespace == 'ns-3'",
	"all()",
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const apps[] = {"web", "db", "cache", "queue", "auth", "api", "ui", "batch"};
	static const char *const envs[] = {"prod", "staging", "dev"};
	static const char *const teams[] = {"red", "blue", "green", "gold"};
	size_t n_ep = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000, n_sel = sizeof(selectors) / sizeof(*selectors);
	struct label_set *eps = calloc(n_ep, sizeof(*eps));
	struct selector *sels[sizeof(selectors) / sizeof(*selectors)];
	char err[512], buf[64];

	if (!eps)
		return 2;
	for (size_t i = 0; i < n_ep; i++) {
		int rc = label_set_put(&eps[i], "app", apps[i % 8]) | label_set_put(&eps[i], "env", envs[i % 3]) |
			 label_set_put(&eps[i], "team", teams[i % 4]) |
			 label_set_put(&eps[i], "tier", i % 2 ? "frontend" : "backend");
		snprintf(buf, sizeof(buf), "v%zu.%zu", i % 3, i % 10);
		rc |= label_set_put(&eps[i], "version", buf);
		snprintf(buf, sizeof(buf), "svc-%zu", i % 1000);
		rc |= label_set_put(&eps[i], "app.kubernetes.io/name", buf);
		snprintf(buf, sizeof(buf), "ns-%zu", i % 10);
		rc |= label_set_put(&eps[i], "projectcalico.org/namespace", buf);
		if (i % 10 == 0)
			rc |= label_set_put(&eps[i], "canary", "true");
		if (rc)
			return 2;
	}
	double t0 = now_s();
	int parses = 0;
	for (int r = 0; r < 1000; r++) {
		for (size_t s = 0; s < n_sel; s++, parses++) {
			if (selector_parse(selectors[s], &sels[s], err, sizeof(err)) < 0) {
				fprintf(stderr, "bench_selector: %s\n", err);
				return 2;
			}
			if (r < 999)
				selector_free(sels[s]);
		}
	}
	double parse_us = (now_s() - t0) * 1e6 / parses;

	/* every selector over every endpoint, again until a second has passed: the
	 * order of a new selector's first scan, where endpoints come from memory */
	size_t matches = 0, cold = 0, hot = 0;
	double cold_s, hot_s;
	t0 = now_s();
	do {
		matches = 0;
		for (size_t s = 0; s < n_sel; s++)
			for (size_t i = 0; i < n_ep; i++, cold++)
				matches += selector_match(sels[s], &eps[i]);
	} while ((cold_s = now_s() - t0) < 1.0);
	/* every selector over one endpoint, then the next: an endpoint whose
	 * labels changed is re-checked against the selectors while in cache */
	size_t hot_matches;
	t0 = now_s();
	do {
		hot_matches = 0;
		for (size_t i = 0; i < n_ep; i++)
			for (size_t s = 0; s < n_sel; s++, hot++)
				hot_matches += selector_match(sels[s], &eps[i]);
	} while ((hot_s = now_s() - t0) < 1.0);
	if (hot_matches != matches)
		return 3;
	printf("{\"bench\":\"selector\",\"endpoints\":%zu,\"selectors\":%zu,\"matches\":%zu,"
	       "\"ns_per_eval_scan\":%.1f,\"ns_per_eval_endpoint\":%.1f,\"parse_us\":%.2f}\n",
	       n_ep, n_sel, matches, cold_s * 1e9 / (double)cold, hot_s * 1e9 / (double)hot, parse_us);
	for (size_t s = 0; s < n_sel; s++)
		selector_free(sels[s]);
	for (size_t i = 0; i < n_ep; i++)
		label_set_free(&eps[i]);
	free(eps);
	return 0;
}
