/* Profile names and contents for Mesos tasks (mesos_policy.h). */
#include "mesos_policy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mesos_default_profile_name(const char *hostname, char out[CALICO_NAME_MAX + 1])
{
	static const char prefix[] = "default_";
	size_t room = CALICO_NAME_MAX - (sizeof(prefix) - 1);
	if (strlen(hostname) <= room) {
		snprintf(out, CALICO_NAME_MAX + 1, "%s%s", prefix, hostname);
		return;
	}
	/* FNV-1a: stable across runs and machines, which a profile name must be */
	uint32_t h = 2166136261u;
	for (const char *p = hostname; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(out, CALICO_NAME_MAX + 1, "%s%.*s-%08x", prefix, (int)(room - 9), hostname, h);
}

void mesos_profile_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int mesos_profile_names(const char *hostname, const char *const *netgroups, size_t n_netgroups, char ***out,
			size_t *n_out)
{
	char **names = calloc(n_netgroups + 2, sizeof(*names)), def[CALICO_NAME_MAX + 1];
	size_t n = 0;
	bool public = false;
	int rc = -ENOMEM;

	if (!names)
		goto out;
	mesos_default_profile_name(hostname, def);
	if (!(names[n++] = strdup(def)))
		goto out;
	for (size_t i = 0; i < n_netgroups; i++)
		public = public || strcmp(netgroups[i], MESOS_PUBLIC) == 0;
	if (public && !(names[n++] = strdup(MESOS_PUBLIC)))
		goto out;
	for (size_t i = 0; i < n_netgroups; i++)
		if (strcmp(netgroups[i], MESOS_PUBLIC) != 0 && !(names[n++] = strdup(netgroups[i])))
			goto out;
	*out = names;
	*n_out = n;
	names = NULL;
	rc = 0;
out:
	if (names)
		mesos_profile_names_free(names, n);
	return rc;
}

static int profile_start(struct profile *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	if (!name_is_valid(name))
		return -EINVAL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (!(p->tags = calloc(1, sizeof(*p->tags))) || !(p->tags[0] = strdup(name))) {
		profile_free(p);
		return -ENOMEM;
	}
	p->n_tags = 1;
	return 0;
}

int mesos_host_profile_init(struct profile *p, const char *name, const struct ip_addr *host_addrs, size_t n)
{
	int rc = profile_start(p, name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cidr host = { host_addrs[i], host_addrs[i].family == 4 ? 32 : 128 };
		struct rule in, out;
		rule_init(&in, RULE_ALLOW);
		in.has_src_net = true;
		in.src_net = host;
		rule_init(&out, RULE_ALLOW);
		out.has_dst_net = true;
		out.dst_net = host;
		if ((rc = rule_list_insert(&p->inbound, p->inbound.n, &in)) == 0)
			rc = rule_list_insert(&p->outbound, p->outbound.n, &out);
	}
	if (rc < 0)
		profile_free(p);
	return rc;
}

int mesos_public_profile_init(struct profile *p)
{
	struct rule all;
	int rc = profile_start(p, MESOS_PUBLIC);
	rule_init(&all, RULE_ALLOW);
	if (rc == 0 && (rc = rule_list_insert(&p->inbound, 0, &all)) == 0)
		rc = rule_list_insert(&p->outbound, 0, &all);
	if (rc < 0)
		profile_free(p);
	return rc;
}
