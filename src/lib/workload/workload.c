/* workload_create / workload_find / workload_remove: an endpoint's interface
 * and record, made and unmade together. */
#include "workload/workload.h"
#include "workload/endpoint_labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/fault.h"
#include "model/keys.h"
#include "util/log.h"
#include "netlink/netns.h"
#include "netlink/nl.h"
#include "resource/resource.h"
#include "workload/workload_net.h"

int workload_endpoint_id_new(char out[33])
{
	unsigned char raw[16];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Workload ids become key segments: no '/', nothing a shell or a log would
 * mangle. Container ids of every runtime fit. */
static bool workload_id_is_valid(const char *w)
{
	size_t n = w ? strlen(w) : 0;
	if (n == 0 || n > 255)
		return false;
	for (const char *p = w; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == ':' || *p == '-'))
			return false;
	return true;
}

static void link_mac(const char *nspath, const char *ifname, char out[18])
{
	struct nl *nl = NULL;
	struct nl_link link;
	int fd = nspath ? netns_open(nspath) : -1;
	out[0] = '\0';
	if ((fd >= 0 || !nspath) && nl_open(&nl, fd, NULL, 0) == 0 && nl_link_get(nl, ifname, &link) == 0 &&
	    link.has_mac)
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", link.mac[0], link.mac[1], link.mac[2],
			 link.mac[3], link.mac[4], link.mac[5]);
	nl_close(nl);
	if (fd >= 0)
		close(fd);
}

/* The record, its nets borrowed from spec (freed here, not the addresses). */
static char *endpoint_json(const struct workload_spec *s, const struct workload_made *m)
{
	struct endpoint e = { .state = "active" };
	struct endpoint_labels labels = { 0 };
	struct cidr *nets = calloc(s->n_addrs + 1, sizeof(*nets));
	char *json = NULL;
	if (!nets || endpoint_labels_copy(&labels, s->labels, s->n_labels, "of the workload") < 0 ||
	    endpoint_labels_finish(&labels, s->orch, s->namespace) < 0)
		goto out;
	size_t n4 = 0, n6 = 0;
	for (size_t i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].family == 4)
			nets[n4++] = (struct cidr){ s->addrs[i], 32 };
	for (size_t i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].family == 6)
			nets[n4 + n6++] = (struct cidr){ s->addrs[i], 128 };
	snprintf(e.name, sizeof(e.name), "%s", m->host_ifname);
	snprintf(e.mac, sizeof(e.mac), "%s", m->mac);
	e.ipv4_nets = nets;
	e.n_ipv4_nets = n4;
	e.ipv6_nets = nets + n4;
	e.n_ipv6_nets = n6;
	e.profile_ids = (char **)s->profiles;
	e.n_profile_ids = s->n_profiles;
	e.labels = labels.items;
	e.n_labels = labels.n;
	json = endpoint_encode(&e);
out:
	endpoint_labels_free(&labels);
	free(nets);
	return json;
}

static int check_spec(const struct workload_spec *s, char *err, size_t errlen)
{
	if (!s->host || !s->host[0] || strchr(s->host, '/'))
		return snprintf(err, errlen, "bad host name '%s'", s->host ? s->host : ""), -EINVAL;
	if (!s->orch || !workload_id_is_valid(s->orch) || !v3_label_value_valid(s->orch))
		return snprintf(err, errlen, "bad orchestrator id '%s'", s->orch ? s->orch : ""), -EINVAL;
	if (!workload_id_is_valid(s->workload))
		return snprintf(err, errlen, "bad workload id '%.64s'", s->workload ? s->workload : ""), -EINVAL;
	if (!s->ifname || !s->ifname[0] || strlen(s->ifname) >= IFNAMSIZ || strchr(s->ifname, '/'))
		return snprintf(err, errlen, "bad interface name '%.32s'", s->ifname ? s->ifname : ""), -EINVAL;
	for (size_t i = 0; i < s->n_profiles; i++)
		if (!name_is_valid(s->profiles[i]))
			return snprintf(err, errlen, "bad profile name '%.64s'", s->profiles[i]), -EINVAL;
	for (size_t i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].family != 4 && s->addrs[i].family != 6)
			return snprintf(err, errlen, "address %zu has no family", i), -EINVAL;
	return 0;
}

int workload_find(struct ds *ds, const char *host, const char *orch, const char *workload,
		  struct endpoint_entry **out, size_t *n)
{
	char prefix[KEY_MAX];

	*out = NULL;
	*n = 0;
	if (!key_fmt(prefix, KEY_HOST_PREFIX "%s/workload/%s/%s/endpoint/", host, orch, workload))
		return -ENAMETOOLONG;
	return endpoint_list_under(ds, prefix, out, n);
}

int workload_create(struct ds *ds, const struct workload_spec *s, struct workload_made *m, char *err,
		    size_t errlen)
{
	struct endpoint_entry *found = NULL;
	size_t n_found = 0;
	char key[KEY_MAX], *json = NULL;
	bool attached = false;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = check_spec(s, err, errlen)) < 0)
		return rc;
	if ((rc = workload_find(ds, s->host, s->orch, s->workload, &found, &n_found)) < 0) {
		snprintf(err, errlen, "reading endpoints: %s", ds_strerror(ds));
		return rc;
	}
	bool taken = n_found > 0 && !s->shared_workload;
	for (size_t i = 0; i < n_found && s->shared_workload && s->endpoint_id; i++)
		taken |= strcmp(found[i].ref.id, s->endpoint_id) == 0;
	endpoint_entries_free(found, n_found);
	if (taken)
		return snprintf(err, errlen, "workload %s already has an endpoint on host %s", s->workload, s->host),
		       -EEXIST;

	snprintf(m->ref.host, sizeof(m->ref.host), "%s", s->host);
	snprintf(m->ref.orch, sizeof(m->ref.orch), "%s", s->orch);
	snprintf(m->ref.workload, sizeof(m->ref.workload), "%s", s->workload);
	if (s->endpoint_id)
		snprintf(m->ref.id, sizeof(m->ref.id), "%s", s->endpoint_id);
	else if ((rc = workload_endpoint_id_new(m->ref.id)) < 0)
		return snprintf(err, errlen, "cannot make an endpoint id: %s", strerror(-rc)), rc;
	if (workload_host_ifname(m->ref.id, m->host_ifname) < 0)
		return snprintf(err, errlen, "bad endpoint id '%.64s'", m->ref.id), -EINVAL;
	if (!key_endpoint(key, s->host, s->orch, s->workload, m->ref.id))
		return snprintf(err, errlen, "endpoint key too long"), -ENAMETOOLONG;

	if ((rc = workload_attach(s->netns_path, m->host_ifname, s->ifname, s->addrs, s->n_addrs, s->mtu, err,
				  errlen)) < 0)
		goto out;
	attached = true;
	fault_point("workload-attached");
	link_mac(s->netns_path, s->ifname, m->mac);
	if (!(json = endpoint_json(s, m))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	struct ds_op op = { .type = DS_OP_CREATE, .key = key, .value = json };
	if ((rc = ds_txn(ds, &op, 1, &m->rev)) < 0) {
		if (rc == -EEXIST)
			snprintf(err, errlen, "endpoint %s exists already", m->ref.id);
		else
			snprintf(err, errlen, "writing endpoint: %s", ds_strerror(ds));
	}
out:
	if (rc < 0 && attached) {
		char msg[256];
		if (workload_detach(m->host_ifname, msg, sizeof(msg)) < 0)
			log_warn("workload: undoing %s: %s", m->host_ifname, msg);
	}
	free(json);
	return rc;
}

static int append_nets(struct ip_addr **addrs, size_t *n, const struct endpoint *ep)
{
	size_t add = ep->n_ipv4_nets + ep->n_ipv6_nets;
	if (!addrs || !add)
		return 0;
	struct ip_addr *grown = realloc(*addrs, (*n + add) * sizeof(**addrs));
	if (!grown)
		return -ENOMEM;
	*addrs = grown;
	for (size_t i = 0; i < ep->n_ipv4_nets; i++)
		grown[(*n)++] = ep->ipv4_nets[i].addr;
	for (size_t i = 0; i < ep->n_ipv6_nets; i++)
		grown[(*n)++] = ep->ipv6_nets[i].addr;
	return 0;
}

int workload_remove(struct ds *ds, const char *host, const char *orch, const char *workload,
		    struct ip_addr **addrs, size_t *n_addrs, char *err, size_t errlen)
{
	struct endpoint_entry *e = NULL;
	size_t n = 0;
	char key[KEY_MAX];
	int rc;

	if ((rc = workload_find(ds, host, orch, workload, &e, &n)) < 0) {
		snprintf(err, errlen, "reading endpoints: %s", ds_strerror(ds));
		return rc;
	}
	if (n == 0)
		return snprintf(err, errlen, "workload %s has no endpoint on host %s", workload, host), -ENOENT;
	for (size_t i = 0; i < n; i++) {
		/* The interface first: while the record exists the agent keeps the
		 * endpoint's policy, so no moment has an interface without policy. */
		rc = workload_detach(e[i].ep.name, err, errlen);
		if (rc < 0 && rc != -ENODEV)
			goto out;
		if (!key_endpoint(key, e[i].ref.host, e[i].ref.orch, e[i].ref.workload, e[i].ref.id)) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		/* Unconditional: a profile edit meanwhile must not keep it alive. */
		if ((rc = ds_delete(ds, key)) < 0 && rc != -ENOENT) {
			snprintf(err, errlen, "removing endpoint %s: %s", e[i].ref.id, ds_strerror(ds));
			goto out;
		}
		if ((rc = append_nets(addrs, n_addrs, &e[i].ep)) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	endpoint_entries_free(e, n);
	return rc;
}
