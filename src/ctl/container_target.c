#include "container_target.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "endpoint_edit.h"
#include "util/nodename.h"

/* Workload ids end up inside datastore keys: no '/', nothing odd. */
static bool workload_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return false;
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int container_target_parse(const char *arg, struct container_target *t)
{
	static const char *const netns_dirs[] = { "/var/run/netns/", "/run/netns/" };
	memset(t, 0, sizeof(*t));
	t->arg = arg;
	if (strlen(arg) >= sizeof(t->nspath) - 32)
		return ctl_error("Invalid container \"%s\": the name is too long.", arg);

	if (strncmp(arg, "/proc/", 6) == 0) {
		const char *pid = arg + 6;
		size_t n = strcspn(pid, "/");
		if (all_digits(pid, n) && strcmp(pid + n, "/ns/net") == 0) {
			snprintf(t->nspath, sizeof(t->nspath), "%s", arg);
			snprintf(t->workload, sizeof(t->workload), "pid-%.*s", (int)n, pid);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(netns_dirs) / sizeof(netns_dirs[0]); i++) {
		size_t dl = strlen(netns_dirs[i]);
		if (strncmp(arg, netns_dirs[i], dl) == 0 && workload_id_ok(arg + dl)) {
			snprintf(t->nspath, sizeof(t->nspath), "%s", arg);
			snprintf(t->workload, sizeof(t->workload), "%s", arg + dl);
			return 0;
		}
	}
	if (arg[0] != '/' && workload_id_ok(arg)) {
		snprintf(t->nspath, sizeof(t->nspath), "/var/run/netns/%s", arg);
		snprintf(t->workload, sizeof(t->workload), "%s", arg);
		return 0;
	}
	return ctl_error("Invalid container \"%s\": give a network namespace as /var/run/netns/NAME, "
			 "/proc/PID/ns/net or NAME.", arg);
}

bool container_target_exists(const struct container_target *t)
{
	struct stat st;
	return stat(t->nspath, &st) == 0;
}

int container_target_check_exists(const struct container_target *t)
{
	struct stat target, self;
	if (stat(t->nspath, &target) < 0)
		return ctl_error("Container %s not found: no network namespace at %s.", t->arg, t->nspath);
	/* Attaching the host's own namespace would put "eth0" next to the host side. */
	if (stat("/proc/self/ns/net", &self) == 0 && self.st_dev == target.st_dev && self.st_ino == target.st_ino)
		return ctl_error("Container %s is the network namespace calicoctl runs in, not a container.", t->arg);
	return 0;
}

int container_endpoint_find(struct ds *ds, const char *host, const struct container_target *t,
			    struct endpoint_entry *out)
{
	struct endpoint_entry *eps = NULL;
	size_t n = 0;
	int found = -ENOENT;
	int rc = endpoint_list(ds, host, &eps, &n);
	if (rc < 0)
		return ctl_ds_error("listing endpoints", rc);
	for (size_t i = 0; i < n && found != 0; i++)
		if (strcmp(eps[i].ref.orch, CONTAINER_ORCH) == 0 && strcmp(eps[i].ref.workload, t->workload) == 0) {
			endpoint_entry_take(out, &eps[i]);
			found = 0;
		}
	endpoint_entries_free(eps, n);
	return found;
}

int ctl_local_host(char *buf, size_t len)
{
	if (nodename_get(buf, len) < 0)
		return ctl_error("Error: cannot tell this host's name: set HOSTNAME or write %s/nodename.",
				 calico_state_dir());
	return 0;
}

int container_ifname_check(const char *name)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n <= 15 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
	for (const unsigned char *p = (const unsigned char *)name; ok && *p; p++)
		ok = *p > ' ' && *p < 0x7f && *p != '/' && *p != ':';
	return ok ? 0 : ctl_error("Invalid interface name \"%s\": 1-15 characters, no '/', ':' or spaces.", name);
}
