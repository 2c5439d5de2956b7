/* calicoctl status: the local agent's process, heartbeat, and how many of this
 * host's endpoints it reports up, then BIRD's BGP sessions (status_bgp.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent_health.h"
#include "agent_proc.h"
#include "container_target.h"
#include "ctl.h"
#include "store/endpoint_store.h"
#include "model/keys.h"
#include "util/nodename.h"

int status_bgp_print(void); /* status_bgp.c */

/* The agent's status of one endpoint: "up", "down", "error", or "unknown". */
static void endpoint_status(struct ds *ds, const struct endpoint_ref *r, char *out, size_t len)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };
	snprintf(out, len, "unknown");
	if (!key_fmt(key, KEY_FELIX_HOST_PREFIX "%s/workload/%s/%s/endpoint/%s", r->host, r->orch, r->workload, r->id) ||
	    ds_get(ds, key, &kv) < 0)
		return;
	const char *s = strstr(kv.value, "\"status\"");
	if (s && (s = strchr(s + 8, '"')))
		snprintf(out, len, "%.*s", (int)strcspn(s + 1, "\""), s + 1);
	ds_kv_free(&kv);
}

int cmd_status(int argc, char **argv)
{
	char host[HOSTNAME_MAX + 1];
	struct endpoint_entry *eps = NULL;
	size_t n = 0, up = 0, down = 0, error = 0, unknown = 0;
	bool beat;
	long age;
	struct ds *ds;

	(void)argv;
	if (argc != 0)
		return ctl_usage("status");
	if (ctl_local_host(host, sizeof(host)) || !(ds = ctl_ds()))
		return 1;
	pid_t pid = agent_running_pid();
	if (pid)
		printf("calico-node is running (pid %d), host %s\n", (int)pid, host);
	else
		printf("calico-node is not running, host %s\n", host);
	int rc = heartbeat_get(ds, host, &beat, &age, NULL);
	if (rc < 0)
		return ctl_ds_error("reading the heartbeat", rc);
	if (!beat)
		printf("Heartbeat: none\n");
	else if (age >= 0)
		printf("Heartbeat: %ld s ago\n", age);
	else
		printf("Heartbeat: present\n");
	if ((rc = endpoint_list(ds, host, &eps, &n)) < 0)
		return ctl_ds_error("listing endpoints", rc);
	for (size_t i = 0; i < n; i++) {
		char s[16];
		endpoint_status(ds, &eps[i].ref, s, sizeof(s));
		up += strcmp(s, "up") == 0;
		down += strcmp(s, "down") == 0;
		error += strcmp(s, "error") == 0;
	}
	unknown = n - up - down - error;
	printf("Endpoints: %zu on this host, %zu up, %zu down, %zu error, %zu not reported\n", n, up, down, error,
	       unknown);
	endpoint_entries_free(eps, n);
	printf("\n");
	status_bgp_print();
	return pid ? 0 : 1;
}
