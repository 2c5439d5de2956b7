/* isolate and cleanup: the task's endpoint (veth into the task's network
 * namespace, addresses, routes, record) made and unmade whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipam/ipam.h"
#include "util/log.h"
#include "mesos_commands.h"
#include "mesos_policy.h"
#include "mesos_profiles.h"
#include "workload/workload.h"

#define MSG_CONFIGURED "This container has already been configured with Calico Networking."

/* The task's namespace must exist and must not be ours: a pid that shares the
 * host's namespace would have the host's eth0 renamed under it. */
static int check_netns(long long pid, char *path, size_t len, char *err, size_t errlen)
{
	struct stat task, self;
	snprintf(path, len, "/proc/%lld/ns/net", pid);
	if (stat(path, &task) < 0)
		return snprintf(err, errlen, "No network namespace for pid %lld: %s", pid, strerror(errno)), -ENOENT;
	if (stat("/proc/self/ns/net", &self) == 0 && self.st_ino == task.st_ino && self.st_dev == task.st_dev)
		return snprintf(err, errlen, "Process %lld shares the host's network namespace; it needs its own", pid),
		       -EINVAL;
	return 0;
}

/* The safe choice where Calico's calico_mesos trusted the caller: only
 * addresses that IPAM holds for someone (allocate or reserve) are put on a
 * task, so two tasks cannot be given one address by mistake, and cleanup can
 * give back what it finds. */
static int check_assigned(struct ds *ds, const struct ip_addr *ips, size_t n, char *err, size_t errlen)
{
	char text[IP_STR_MAX];
	for (size_t i = 0; i < n; i++) {
		char *attrs = NULL;
		int rc = ipam_ip_info(ds, &ips[i], &attrs, err, errlen);
		free(attrs);
		if (rc == -ENOENT)
			return snprintf(err, errlen, "IP '%s' is not assigned in IPAM: allocate or reserve it first.",
					ip_format(&ips[i], text)),
			       -EINVAL;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int mesos_isolate(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen)
{
	struct endpoint_entry *found = NULL;
	struct workload_made made;
	struct ip_addr *addrs = NULL;
	char **profiles = NULL, nspath[64];
	size_t n_found = 0, n_profiles = 0, n_addrs = r->ipv4.n + r->ipv6.n;
	unsigned mtu = 0;
	int rc;

	*reply = NULL;
	/* Everything that can be refused is checked before the first write. */
	if ((rc = workload_find(ds, r->hostname, MESOS_ORCH, r->container_id, &found, &n_found)) < 0) {
		snprintf(err, errlen, "reading endpoints: %s", ds_strerror(ds));
		goto out;
	}
	if (n_found) {
		rc = -EEXIST;
		snprintf(err, errlen, MSG_CONFIGURED);
		goto out;
	}
	if (!(addrs = calloc(n_addrs + 1, sizeof(*addrs)))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (r->ipv4.n)
		memcpy(addrs, r->ipv4.items, r->ipv4.n * sizeof(*addrs));
	if (r->ipv6.n)
		memcpy(addrs + r->ipv4.n, r->ipv6.items, r->ipv6.n * sizeof(*addrs));
	if ((rc = check_assigned(ds, addrs, n_addrs, err, errlen)) < 0 ||
	    (rc = check_netns(r->pid, nspath, sizeof(nspath), err, errlen)) < 0)
		goto out;
	if ((rc = workload_mtu(ds, r->hostname, &mtu)) < 0) {
		snprintf(err, errlen, "reading VethMtu: %s", ds_strerror(ds));
		goto out;
	}
	if ((rc = mesos_profile_names(r->hostname, r->netgroups, r->n_netgroups, &profiles, &n_profiles)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Profiles first, so that the agent never sees the endpoint name a
	 * missing one. They stay if the endpoint then fails: they are shared,
	 * another task may already use them, and they are what the next
	 * isolate would make anyway. */
	if ((rc = mesos_profiles_ensure(ds, r->hostname, profiles, n_profiles, err, errlen)) < 0)
		goto out;

	struct workload_spec spec = {
		.host = r->hostname,
		.orch = MESOS_ORCH,
		.workload = r->container_id,
		.netns_path = nspath,
		.ifname = "eth0",
		.addrs = addrs,
		.n_addrs = n_addrs,
		.profiles = profiles,
		.n_profiles = n_profiles,
		.labels = r->labels,
		.n_labels = r->n_labels,
		.mtu = mtu,
	};
	if ((rc = workload_create(ds, &spec, &made, err, errlen)) < 0) {
		if (rc == -EEXIST) /* a second isolate of the same container raced us */
			snprintf(err, errlen, MSG_CONFIGURED);
		goto out;
	}
	log_info("calico_mesos: isolated %s (pid %lld) on %s: endpoint %s, %s", r->container_id, r->pid,
		 r->hostname, made.ref.id, made.host_ifname);
out:
	mesos_profile_names_free(profiles, n_profiles);
	endpoint_entries_free(found, n_found);
	free(addrs);
	return rc;
}

/* Gives back the addresses the endpoint held. They may be released already
 * (the isolator's own release): that is fine. */
int mesos_cleanup(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen)
{
	struct ip_addr *addrs = NULL;
	size_t n = 0;
	int rc;

	*reply = NULL;
	rc = workload_remove(ds, r->hostname, MESOS_ORCH, r->container_id, &addrs, &n, err, errlen);
	if (rc == -ENOENT)
		snprintf(err, errlen, "No endpoint found for container_id %s on host %s.", r->container_id,
			 r->hostname);
	if (rc < 0)
		goto out;
	if ((rc = ipam_release(ds, addrs, n, NULL, err, errlen)) < 0)
		goto out;
	log_info("calico_mesos: cleaned up %s on %s (%zu addresses released)", r->container_id, r->hostname, n);
out:
	free(addrs);
	return rc;
}
