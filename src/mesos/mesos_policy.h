/* Which profiles a Mesos task gets, and what the ones calico_mesos makes
 * itself contain. Pure logic; mesos_profiles.c writes them.
 *
 * A task's profiles, in order (DESIGN §6):
 *   default_<hostname>  traffic to and from its own host (the agent's
 *                       health checks, the executor): inbound allow from each
 *                       host address, outbound allow to each;
 *   public              when "public" is a netgroup: allow everything in and out;
 *   <netgroup>          Calico's default profile: tag = netgroup, inbound allow
 *                       from the tag, outbound allow.
 * First match wins across the list, so the default profile's narrow allows
 * never hide a netgroup's. */
#ifndef CALICO_MESOS_POLICY_H
#define CALICO_MESOS_POLICY_H

#include <stddef.h>

#include "util/ipaddr.h"
#include "model/model.h"

#define MESOS_PUBLIC "public"

/* "default_<hostname>"; a host name too long for a profile name (40) keeps
 * its first 23 characters and gets '-' and 8 hex digits of a hash of the
 * whole name, so different long names stay different. */
void mesos_default_profile_name(const char *hostname, char out[CALICO_NAME_MAX + 1]);

/* The task's profile names in order (malloc'd array of malloc'd strings;
 * free with mesos_profile_names_free). 0 or -ENOMEM. */
int mesos_profile_names(const char *hostname, const char *const *netgroups, size_t n_netgroups, char ***names,
			size_t *n);
void mesos_profile_names_free(char **names, size_t n);

/* The host profile: tag = name, inbound allow from each address (/32, /128),
 * outbound allow to each. No address: no rules (the host is not reachable,
 * rather than everything). 0 or -ENOMEM/-EINVAL. */
int mesos_host_profile_init(struct profile *p, const char *name, const struct ip_addr *host_addrs, size_t n);
/* The public profile: tag public, allow all in, allow all out. */
int mesos_public_profile_init(struct profile *p);

#endif
