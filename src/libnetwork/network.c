/* CreateNetwork / DeleteNetwork: a Calico profile per Docker network, named
 * by the network's name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "docker_api.h"
#include "driver.h"
#include "log.h"
#include "model.h"
#include "profile_store.h"
#include "records.h"

#define DOCKER_TIMEOUT_MS 2000

/* The profile of a network: its Docker name when Docker tells it and it is a
 * valid profile name, else Docker's short id (said in the log, as the
 * profile then has a name users do not expect). */
static void choose_profile(struct lnw *d, const char *network_id, char *profile, size_t len)
{
	char name[256], why[256] = "no Docker API socket given";
	char short_id[13];
	int rc = -ENOENT;

	if (d->docker_socket &&
	    (rc = docker_network_name(d->docker_socket, network_id, DOCKER_TIMEOUT_MS, name, sizeof(name), why,
				      sizeof(why))) == 0) {
		if (name_is_valid(name) && strlen(name) < len) {
			snprintf(profile, len, "%s", name);
			return;
		}
		snprintf(why, sizeof(why), "its name '%.64s' is not a valid profile name", name);
	}
	lnw_short_id(network_id, short_id);
	snprintf(profile, len, "%s", short_id);
	log_warn("network %s: profile named by the short id %s: %s", network_id, short_id, why);
}

int lnw_network_profile(struct lnw *d, const char *network_id, char *profile, size_t len, char *err, size_t errlen)
{
	int rc = lnw_network_get(d->ds, network_id, profile, len, err, errlen);
	if (rc != -ENOENT)
		return rc;
	/* Not recorded: CreateNetwork could not learn the name, or the network
	 * came from another host (scope global). Learn it now. */
	choose_profile(d, network_id, profile, len);
	if ((rc = profile_ensure(d->ds, profile)) < 0)
		return snprintf(err, errlen, "creating profile %s: %s", profile, ds_strerror(d->ds)), rc;
	return lnw_network_put(d->ds, network_id, profile, err, errlen);
}

int lnw_network_create(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen)
{
	struct lnw_net_req r;
	char profile[64];
	int rc;

	(void)reply;
	if ((rc = lnw_net_create_parse(body, &r, err, errlen)) < 0)
		return rc;
	if ((rc = lnw_network_profile(d, r.network_id, profile, sizeof(profile), err, errlen)) < 0)
		return rc;
	log_info("network %s: profile %s", r.network_id, profile);
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
	if ((rc = lnw_network_forget(d->ds, r.network_id, err, errlen)) < 0)
		return rc;
	log_info("network %s deleted (its profile stays)", r.network_id);
	return 0;
}
