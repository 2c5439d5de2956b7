/* Shared server side of probe and collect (serve.h). */
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "run.h"

int serve_doc_set(struct serve_doc *d, const json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (!text)
		return -ENOMEM;
	pthread_mutex_lock(&d->lock);
	free(d->text);
	d->text = text;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int serve_doc_reply(struct serve_doc *d, struct server_reply *r)
{
	pthread_mutex_lock(&d->lock);
	r->body = d->text ? strdup(d->text) : NULL;
	pthread_mutex_unlock(&d->lock);
	if (!r->body)
		return -ENOMEM;
	r->status = 200;
	r->type = "application/json";
	r->must_free = 1;
	return 0;
}

void serve_doc_free(struct serve_doc *d)
{
	free(d->text);
	d->text = NULL;
}

int serve_opt_listen(const char *arg, struct listen_addr *addr)
{
	if (opts_listen(arg, addr) < 0) {
		fprintf(stderr, "calico-stars: bad --listen '%s' (want ADDR:PORT)\n", arg);
		return -EINVAL;
	}
	return 0;
}

int serve_opt_interval(const char *arg, double *interval)
{
	if (opts_interval(arg, interval) < 0) {
		fprintf(stderr, "calico-stars: bad --interval '%s' (want seconds, 0.1 to 3600)\n", arg);
		return -EINVAL;
	}
	return 0;
}

int serve_start(struct server **srv, const struct listen_addr *addr, server_route_fn route, void *ctx)
{
	int rc;

	/* First, so that a signal during start-up already only sets stars_stop. */
	stars_signals_install();
	rc = server_start(srv, addr, route, ctx);
	if (rc < 0)
		fprintf(stderr, "calico-stars: cannot listen on %s\n", addr->text);
	return rc;
}

void serve_rounds(double interval, int (*round)(void *ctx), void *ctx, const char *what)
{
	while (!stars_stop) {
		double next = stars_now() + interval;

		if (round(ctx) < 0)
			log_warn("%s round: out of memory", what);
		stars_sleep_until(next);
	}
}
