/* Auto-creating a Mesos task's profiles (mesos_profiles.h). */
#include "mesos_profiles.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "util/log.h"
#include "mesos_policy.h"
#include "store/profile_store.h"

#define HOST_ADDRS_MAX 32

struct host_addrs {
	struct ip_addr items[HOST_ADDRS_MAX];
	size_t n;
};

static void host_addrs_add(struct host_addrs *h, const struct ip_addr *ip)
{
	for (size_t i = 0; i < h->n; i++)
		if (ip_cmp(&h->items[i], ip) == 0)
			return;
	if (h->n < HOST_ADDRS_MAX)
		h->items[h->n++] = *ip;
}

/* Interfaces whose addresses are not the host's own: loopback, workloads,
 * container bridges, tunnels. */
static bool not_the_hosts(const char *ifname)
{
	return strcmp(ifname, "lo") == 0 || strncmp(ifname, "cali", 4) == 0 || strncmp(ifname, "docker", 6) == 0 ||
	       strncmp(ifname, "vxlan", 5) == 0;
}

/* The host's global addresses, as seen from this network namespace (the
 * isolator runs in the agent's, i.e. the host's). */
static void host_addrs_local(struct host_addrs *h)
{
	struct ifaddrs *all = NULL;
	if (getifaddrs(&all) < 0) {
		log_warn("calico_mesos: cannot list the host's addresses: %s", strerror(errno));
		return;
	}
	for (struct ifaddrs *a = all; a; a = a->ifa_next) {
		struct ip_addr ip = { 0 };
		if (!a->ifa_addr || !(a->ifa_flags & IFF_UP) || not_the_hosts(a->ifa_name))
			continue;
		if (a->ifa_addr->sa_family == AF_INET) {
			ip.family = 4;
			memcpy(ip.bytes, &((const struct sockaddr_in *)a->ifa_addr)->sin_addr, 4);
			if (ip.bytes[0] == 127 || (ip.bytes[0] == 169 && ip.bytes[1] == 254))
				continue;
		} else if (a->ifa_addr->sa_family == AF_INET6) {
			ip.family = 6;
			memcpy(ip.bytes, &((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr, 16);
			if (IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)ip.bytes) ||
			    IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)ip.bytes))
				continue;
		} else {
			continue;
		}
		host_addrs_add(h, &ip);
	}
	freeifaddrs(all);
}

/* The addresses calicoctl node recorded for the host (its BGP addresses). */
static int host_addrs_recorded(struct ds *ds, const char *hostname, struct host_addrs *h)
{
	static const char *const leaves[] = { "ip_addr_v4", "ip_addr_v6" };
	for (size_t i = 0; i < 2; i++) {
		char key[KEY_MAX];
		struct ds_kv kv = { 0 };
		struct ip_addr ip;
		if (!key_bgp_host(key, hostname, leaves[i]))
			return -ENAMETOOLONG;
		int rc = ds_get(ds, key, &kv);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		if (kv.value[0] && ip_parse(kv.value, &ip) == 0)
			host_addrs_add(h, &ip);
		ds_kv_free(&kv);
	}
	return 0;
}

static int ensure_host_profile(struct ds *ds, const char *hostname, const char *name, char *err, size_t errlen)
{
	struct profile p = { 0 };
	struct profile_revs revs;
	struct host_addrs h = { .n = 0 };
	int rc = profile_load(ds, name, &p, &revs, err, errlen);
	profile_free(&p);
	/* It exists: left as it is (a damaged one is the operator's to fix; the agent says so). */
	if (rc == 0 || rc == -EINVAL)
		return 0;
	if (rc != -ENOENT)
		return snprintf(err, errlen, "reading profile %s: %s", name, ds_strerror(ds)), rc;
	if ((rc = host_addrs_recorded(ds, hostname, &h)) < 0)
		return snprintf(err, errlen, "reading the addresses of host %s: %s", hostname, ds_strerror(ds)), rc;
	host_addrs_local(&h);
	if (h.n == 0)
		log_warn("calico_mesos: no address found for host %s: profile %s allows no host traffic", hostname,
			 name);
	if ((rc = mesos_host_profile_init(&p, name, h.items, h.n)) < 0)
		return snprintf(err, errlen, "building profile %s: %s", name, strerror(-rc)), rc;
	rc = profile_create(ds, &p);
	profile_free(&p);
	if (rc == -EEXIST) /* another isolate made it meanwhile */
		rc = 0;
	if (rc < 0)
		snprintf(err, errlen, "creating profile %s: %s", name, ds_strerror(ds));
	else
		log_info("calico_mesos: profile %s ready (%zu host addresses)", name, h.n);
	return rc;
}

int mesos_profiles_ensure(struct ds *ds, const char *hostname, char *const *names, size_t n, char *err,
			  size_t errlen)
{
	char def[CALICO_NAME_MAX + 1];
	int rc = 0;
	mesos_default_profile_name(hostname, def);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strcmp(names[i], def) == 0) {
			rc = ensure_host_profile(ds, hostname, def, err, errlen);
		} else if (strcmp(names[i], MESOS_PUBLIC) == 0) {
			struct profile p;
			if ((rc = mesos_public_profile_init(&p)) == 0) {
				rc = profile_create(ds, &p);
				profile_free(&p);
				rc = rc == -EEXIST ? 0 : rc;
			}
			if (rc < 0)
				snprintf(err, errlen, "creating profile %s: %s", MESOS_PUBLIC, ds_strerror(ds));
		} else if ((rc = profile_ensure(ds, names[i])) < 0) {
			snprintf(err, errlen, "creating profile %s: %s", names[i], ds_strerror(ds));
		}
	}
	return rc;
}
