/* allocate, reserve, release: the task's addresses under IPAM handle = uid. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam/ipam.h"
#include "util/log.h"
#include "mesos_commands.h"

/* IPAM attributes of the task's addresses, so that `calicoctl ipam info`
 * says whose they are. malloc'd JSON, NULL on ENOMEM. */
static char *task_attrs(const char *uid)
{
	json_t *o = json_pack("{s:s, s:s}", "orchestrator", MESOS_ORCH, "uid", uid);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return text;
}

static json_t *addr_list(const struct ip_addr *ips, size_t n)
{
	char text[IP_STR_MAX];
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(ip_format(&ips[i], text))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int mesos_allocate(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen)
{
	struct ip_addr *v4 = calloc(r->num_ipv4 + 1, sizeof(*v4)), *v6 = calloc(r->num_ipv6 + 1, sizeof(*v6));
	char *attrs = task_attrs(r->uid);
	json_t *o = NULL;
	int rc = -ENOMEM;

	*reply = NULL;
	if (!v4 || !v6 || !attrs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	struct ipam_request req = { .handle = r->uid, .host = r->hostname, .num_ipv4 = r->num_ipv4,
				    .num_ipv6 = r->num_ipv6, .attrs_json = attrs };
	/* all or nothing: IPAM undoes its own steps when a later one fails */
	if ((rc = ipam_auto_assign(ds, &req, v4, v6, err, errlen)) < 0)
		goto out;
	o = json_pack("{s:o?, s:o?}", "ipv4", addr_list(v4, r->num_ipv4), "ipv6", addr_list(v6, r->num_ipv6));
	if (!o || !json_object_get(o, "ipv4") || !json_object_get(o, "ipv6")) {
		/* the answer cannot be said: give the addresses back rather than leak them */
		char msg[256];
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		if (ipam_release(ds, v4, r->num_ipv4, NULL, msg, sizeof(msg)) < 0 ||
		    ipam_release(ds, v6, r->num_ipv6, NULL, msg, sizeof(msg)) < 0)
			log_error("calico_mesos: allocate %s: could not release again: %s", r->uid, msg);
		goto out;
	}
	log_info("calico_mesos: allocated %zu IPv4 and %zu IPv6 addresses to %s on %s", r->num_ipv4, r->num_ipv6,
		 r->uid, r->hostname);
	*reply = o;
	o = NULL;
out:
	json_decref(o);
	free(attrs);
	free(v4);
	free(v6);
	return rc;
}

int mesos_reserve(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen)
{
	size_t n = r->ipv4.n + r->ipv6.n;
	struct ip_addr *all = calloc(n + 1, sizeof(*all));
	char *attrs = task_attrs(r->uid);
	int rc = -ENOMEM;

	*reply = NULL;
	if (!all || !attrs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (r->ipv4.n)
		memcpy(all, r->ipv4.items, r->ipv4.n * sizeof(*all));
	if (r->ipv6.n)
		memcpy(all + r->ipv4.n, r->ipv6.items, r->ipv6.n * sizeof(*all));
	/* An address in use is refused before any write, so the common refusal
	 * leaves even the datastore's revision alone; a race with another
	 * reserve is still all or nothing, by IPAM's own undo. */
	for (size_t i = 0; i < n; i++) {
		char *info = NULL, text[IP_STR_MAX];
		rc = ipam_ip_info(ds, &all[i], &info, err, errlen);
		free(info);
		if (rc == 0) {
			rc = -EEXIST;
			snprintf(err, errlen, "IP '%s' already in use.", ip_format(&all[i], text));
			goto out;
		}
		if (rc != -ENOENT)
			goto out;
	}
	if ((rc = ipam_assign(ds, all, n, r->uid, r->hostname, attrs, err, errlen)) == 0)
		log_info("calico_mesos: reserved %zu addresses for %s on %s", n, r->uid, r->hostname);
out:
	free(attrs);
	free(all);
	return rc;
}

/* Releasing what is not assigned is not an error: the isolator may release
 * after cleanup has already given the addresses back. */
int mesos_release(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen)
{
	char text[IP_STR_MAX];
	bool *released = NULL;
	size_t count = 0;
	int rc;

	*reply = NULL;
	if (r->uid) {
		if ((rc = ipam_release_handle(ds, r->uid, &count, err, errlen)) == 0)
			log_info("calico_mesos: released %zu addresses of %s", count, r->uid);
		return rc;
	}
	if (!(released = calloc(r->ips.n + 1, sizeof(*released)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = ipam_release(ds, r->ips.items, r->ips.n, released, err, errlen)) == 0)
		for (size_t i = 0; i < r->ips.n; i++)
			log_info("calico_mesos: %s %s", released[i] ? "released" : "was not assigned:",
				 ip_format(&r->ips.items[i], text));
	free(released);
	return rc;
}
