/* A Docker container's labels on its endpoint: `docker run --label
 * org.projectcalico.label.role=db` puts role=db in the endpoint's record.
 *
 * Docker's plugin calls never name the container: CreateEndpoint and Join
 * carry the network and endpoint ids and the sandbox's key, nothing more. So
 * the driver asks Docker which container holds the endpoint: GET
 * /containers/json, filtered to the network, lists each container with its
 * labels and, per network, its EndpointID. That answer comes from Docker's
 * container view, which it updates once the container has started, i.e.
 * after our Join has returned (Docker joins the network half way through
 * starting the container). Asking during Join would wait for the very start
 * that Join holds up, and a Docker API that does not answer would hang it.
 *
 * So Join makes the record with Calico's own labels only (orchestrator,
 * namespace) and leaves a note here; the main loop's tick asks Docker, at
 * most one request per tick with a short timeout, and patches the labels in
 * (compare-and-swap on the record's revision) as soon as the container shows
 * up, normally well under a second after Join. Until then only the network's
 * profile applies to the endpoint; a policy that selects it by label applies
 * from the patch on. When Docker does not tell within LNW_LABELS_MS, the
 * endpoint keeps its record without the container's labels, and the log says
 * so. A driver restarted in between forgets the note (the container runs on
 * without its labels until it is restarted). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_api.h"
#include "driver.h"
#include "model/keys.h"
#include "model/model.h"
#include "util/log.h"
#include "workload/endpoint_labels.h"

#define LNW_LABELS_MS     30000 /* give up on a container's labels after this */
#define LNW_LABELS_ASK_MS 500   /* one request to Docker: the loop serves no call meanwhile */
#define LNW_LABELS_POLL_MS 200  /* between two requests for the same network */
#define LNW_LABELS_BACKOFF_MS 2000 /* after Docker failed to answer */

static void wait_drop(struct lnw *d, size_t i)
{
	d->label_waits[i] = d->label_waits[--d->n_label_waits];
}

void lnw_labels_wait(struct lnw *d, const char *endpoint_id, const char *network_id)
{
	if (!d->docker_socket)
		return;
	lnw_labels_forget(d, endpoint_id);
	if (d->n_label_waits == LNW_PENDING_MAX) {
		log_warn("endpoint %s: too many endpoints waiting for their container's labels; it gets none",
			 endpoint_id);
		return;
	}
	struct lnw_label_wait *w = &d->label_waits[d->n_label_waits++];
	snprintf(w->endpoint_id, sizeof(w->endpoint_id), "%s", endpoint_id);
	snprintf(w->network_id, sizeof(w->network_id), "%s", network_id);
	w->next_ms = lnw_now_ms();
	w->deadline_ms = w->next_ms + LNW_LABELS_MS;
}

void lnw_labels_forget(struct lnw *d, const char *endpoint_id)
{
	for (size_t i = 0; i < d->n_label_waits; i++)
		if (strcmp(d->label_waits[i].endpoint_id, endpoint_id) == 0) {
			wait_drop(d, i);
			return;
		}
}

/* The record gets its own labels, then the container's over them, then
 * Calico's over both. 0, -ENOENT when the record is gone, -ECANCELED when it
 * changed meanwhile (asked again next time), other -errno with err. */
static int patch_record(struct lnw *d, const char *endpoint_id, const struct endpoint_labels *docker, char *err,
			size_t errlen)
{
	char key[KEY_MAX], msg[MODEL_ERR_MAX], *json = NULL;
	struct ds_kv kv = { 0 };
	struct endpoint ep = { 0 };
	struct endpoint_labels labels = { 0 };
	int rc;

	if (!key_endpoint(key, d->host, LNW_ORCH, LNW_WORKLOAD, endpoint_id))
		return snprintf(err, errlen, "endpoint key too long"), -ENAMETOOLONG;
	if ((rc = ds_get(d->ds, key, &kv)) < 0) {
		if (rc != -ENOENT)
			snprintf(err, errlen, "reading endpoint: %s", ds_strerror(d->ds));
		return rc;
	}
	if ((rc = endpoint_decode(kv.value, &ep, msg, sizeof(msg))) < 0) {
		snprintf(err, errlen, "its record: %s", msg);
		goto out;
	}
	if ((rc = endpoint_labels_copy(&labels, ep.labels, ep.n_labels, "of the record")) < 0 ||
	    (rc = endpoint_labels_copy(&labels, docker->items, docker->n, "of the container")) < 0 ||
	    (rc = endpoint_labels_finish(&labels, LNW_ORCH, NULL)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ep.n_labels; i++) {
		free(ep.labels[i].key);
		free(ep.labels[i].value);
	}
	free(ep.labels);
	ep.labels = labels.items;
	ep.n_labels = labels.n;
	labels = (struct endpoint_labels){ 0 };
	if (!(json = endpoint_encode(&ep))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = ds_cas(d->ds, key, json, kv.mod_rev)) < 0 && rc != -ECANCELED && rc != -ENOENT)
		snprintf(err, errlen, "writing endpoint: %s", ds_strerror(d->ds));
out:
	free(json);
	endpoint_labels_free(&labels);
	endpoint_free(&ep);
	ds_kv_free(&kv);
	return rc;
}

/* Every wait on network: the container found gets its labels patched in. */
static void resolve(struct lnw *d, const char *network_id, const json_t *containers, long now)
{
	char short_id[13], err[256];
	for (size_t i = 0; i < d->n_label_waits;) {
		struct lnw_label_wait *w = &d->label_waits[i];
		struct endpoint_labels labels = { 0 };
		if (strcmp(w->network_id, network_id) != 0) {
			i++;
			continue;
		}
		int rc = lnw_container_labels(containers, w->endpoint_id, short_id, &labels);
		if (rc == 0) {
			rc = patch_record(d, w->endpoint_id, &labels, err, sizeof(err));
			if (rc == 0)
				log_info("endpoint %s: labels of container %s in its record (%zu of them)", w->endpoint_id,
					 short_id, labels.n);
			else if (rc != -ENOENT && rc != -ECANCELED)
				log_warn("endpoint %s: container %s's labels not recorded: %s", w->endpoint_id, short_id,
					 err);
		}
		endpoint_labels_free(&labels);
		if (rc == -ENOENT && now >= w->deadline_ms)
			log_warn("endpoint %s: Docker named no container for it within %d s; its record has no container "
				 "labels", w->endpoint_id, LNW_LABELS_MS / 1000);
		if ((rc == -ENOENT || rc == -ECANCELED) && now < w->deadline_ms) {
			w->next_ms = now + LNW_LABELS_POLL_MS;
			i++;
			continue;
		}
		wait_drop(d, i);
	}
}

void lnw_learn_labels(struct lnw *d)
{
	long now = lnw_now_ms();
	struct lnw_label_wait *due = NULL;
	char network_id[LNW_ID_MAX + 1], err[256];
	json_t *containers = NULL;

	for (size_t i = 0; i < d->n_label_waits; i++) {
		struct lnw_label_wait *w = &d->label_waits[i];
		if (w->next_ms <= now && (!due || w->next_ms < due->next_ms))
			due = w;
	}
	if (!due)
		return;
	snprintf(network_id, sizeof(network_id), "%s", due->network_id);
	int rc = docker_network_containers(d->docker_socket, network_id, LNW_LABELS_ASK_MS, &containers, err,
					   sizeof(err));
	now = lnw_now_ms();
	if (rc < 0) {
		for (size_t i = 0; i < d->n_label_waits;) {
			struct lnw_label_wait *w = &d->label_waits[i];
			if (strcmp(w->network_id, network_id) != 0) {
				i++;
			} else if (now >= w->deadline_ms) {
				log_warn("endpoint %s: no labels from Docker (%s); its record has no container labels",
					 w->endpoint_id, err);
				wait_drop(d, i);
			} else {
				log_debug("endpoint %s: asking Docker for its container: %s", w->endpoint_id, err);
				w->next_ms = now + LNW_LABELS_BACKOFF_MS;
				i++;
			}
		}
		return;
	}
	resolve(d, network_id, containers, now);
	json_decref(containers);
}

void lnw_tick(struct lnw *d)
{
	lnw_learn_names(d);
	lnw_learn_labels(d);
}
