/* CreateNetwork / DeleteNetwork: a Calico profile per Docker network, named
 * by the network's name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "docker_api.h"
#include "driver.h"
#include "util/log.h"
#include "model/model.h"
#include "store/profile_store.h"
#include "records.h"

#define DOCKER_TIMEOUT_MS 2000

/* 0 with the network's Docker name when it is a valid profile name;
 * -ENOENT when Docker does not know the network (yet); other -errno with
 * the reason in why. */
static int docker_profile(struct lnw *d, const char *network_id, char *profile, size_t len, char *why,
			  size_t whylen)
{
	char name[256];
	int rc;
	if (!d->docker_socket)
		return snprintf(why, whylen, "no Docker API socket given"), -ENOTCONN;
	if ((rc = docker_network_name(d->docker_socket, network_id, DOCKER_TIMEOUT_MS, name, sizeof(name), why,
				      whylen)) < 0)
		return rc;
	if (!name_is_valid(name) || strlen(name) >= len)
		return snprintf(why, whylen, "its name '%.64s' is not a valid profile name", name), -EINVAL;
	snprintf(profile, len, "%s", name);
	return 0;
}

/* Profile first, then the record: the record never names a missing profile. */
static int record(struct lnw *d, const char *network_id, const char *profile, char *err, size_t errlen)
{
	int rc = profile_ensure(d->ds, profile);
	if (rc < 0)
		return snprintf(err, errlen, "creating profile %s: %s", profile, ds_strerror(d->ds)), rc;
	if ((rc = lnw_network_put(d->ds, network_id, profile, err, errlen)) < 0)
		return rc;
	log_info("network %s: profile %s", network_id, profile);
	return 0;
}

static void pending_drop(struct lnw *d, size_t i)
{
	d->pending[i] = d->pending[--d->n_pending];
}

static void pending_add(struct lnw *d, const char *network_id)
{
	for (size_t i = 0; i < d->n_pending; i++)
		if (strcmp(d->pending[i].network_id, network_id) == 0)
			return;
	if (d->n_pending == LNW_PENDING_MAX) {
		log_warn("network %s: too many networks waiting for a name; it gets one at its first endpoint",
			 network_id);
		return;
	}
	struct lnw_pending *p = &d->pending[d->n_pending++];
	snprintf(p->network_id, sizeof(p->network_id), "%s", network_id);
	p->deadline_ms = lnw_now_ms() + LNW_LEARN_MS;
}

void lnw_learn_names(struct lnw *d)
{
	char profile[64], why[256], err[512];
	for (size_t i = 0; i < d->n_pending;) {
		struct lnw_pending *p = &d->pending[i];
		int rc = docker_profile(d, p->network_id, profile, sizeof(profile), why, sizeof(why));
		if (rc == -ENOENT && lnw_now_ms() < p->deadline_ms) {
			i++;
			continue;
		}
		if (rc < 0)
			log_warn("network %s: no name from Docker (%s); it gets one at its first endpoint", p->network_id,
				 why);
		else if (lnw_network_get(d->ds, p->network_id, why, sizeof(why), err, sizeof(err)) == -ENOENT &&
			 record(d, p->network_id, profile, err, sizeof(err)) < 0)
			log_warn("network %s: %s", p->network_id, err);
		pending_drop(d, i);
	}
}

int lnw_network_profile(struct lnw *d, const char *network_id, char *profile, size_t len, char *err, size_t errlen)
{
	char why[256], short_id[13];
	int rc = lnw_network_get(d->ds, network_id, profile, len, err, errlen);
	if (rc != -ENOENT)
		return rc;
	/* Not recorded: the name was not learnt yet, or the network came from
	 * another host (scope global). By an endpoint's time Docker knows it. */
	if (docker_profile(d, network_id, profile, len, why, sizeof(why)) < 0) {
		lnw_short_id(network_id, short_id);
		snprintf(profile, len, "%s", short_id);
		log_warn("network %s: profile named by the short id %s: %s", network_id, short_id, why);
	}
	return record(d, network_id, profile, err, errlen);
}

int lnw_network_create(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_net_req r;
	char profile[64], why[256];
	int rc;

	(void)reply;
	if ((rc = lnw_net_create_parse(body, &r, err, errlen)) < 0)
		return rc;
	rc = docker_profile(d, r.network_id, profile, sizeof(profile), why, sizeof(why));
	if (rc == 0)
		return record(d, r.network_id, profile, err, errlen);
	if (rc == -ENOENT) {
		/* The usual case: Docker stores the network after this call. */
		log_debug("network %s: Docker does not know it yet; asking again shortly", r.network_id);
		pending_add(d, r.network_id);
	} else {
		log_warn("network %s: no name from Docker (%s); it gets one at its first endpoint", r.network_id,
			 why);
	}
	return 0;
}

/* The profile stays, as Calico's plugin left it: it may carry rules users
 * added, and with scope local the same name on other hosts shares it.
 * `calicoctl profile remove NAME` removes it. */
int lnw_network_delete(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_net_req r;
	int rc;

	(void)reply;
	if ((rc = lnw_net_req_parse(body, &r, err, errlen)) < 0)
		return rc;
	for (size_t i = 0; i < d->n_pending; i++)
		if (strcmp(d->pending[i].network_id, r.network_id) == 0)
			pending_drop(d, i);
	if ((rc = lnw_network_forget(d->ds, r.network_id, err, errlen)) < 0)
		return rc;
	log_info("network %s deleted (its profile stays)", r.network_id);
	return 0;
}
