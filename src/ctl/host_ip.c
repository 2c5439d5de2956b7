#include "host_ip.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Interfaces whose addresses are not the host's: loopback, workloads,
 * container bridges, overlay tunnels. */
static int skipped(const char *name)
{
	static const char *const prefixes[] = { "lo", "cali", "docker", "vxlan" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0 && (i != 0 || name[2] == '\0'))
			return 1;
	return 0;
}

int host_ip_autodetect(struct ip_addr *out, char ifname[IFNAMSIZ])
{
	struct ifaddrs *all, *a;
	int rc = -ENOENT;
	if (getifaddrs(&all) < 0)
		return -errno;
	for (a = all; a && rc < 0; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !(a->ifa_flags & IFF_UP) || skipped(a->ifa_name))
			continue;
		const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)a->ifa_addr)->sin_addr;
		/* global scope only: not loopback, not link-local */
		if (b[0] == 127 || (b[0] == 169 && b[1] == 254))
			continue;
		out->family = 4;
		memset(out->bytes, 0, sizeof(out->bytes));
		memcpy(out->bytes, b, 4);
		snprintf(ifname, IFNAMSIZ, "%s", a->ifa_name);
		rc = 0;
	}
	freeifaddrs(all);
	return rc;
}
