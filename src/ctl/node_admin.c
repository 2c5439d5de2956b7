/* calicoctl node stop | remove | show. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_health.h"
#include "agent_proc.h"
#include "bird_proc.h"
#include "container_addr.h"
#include "container_target.h"
#include "ctl.h"
#include "store/endpoint_store.h"
#include "ipam/ipam.h"
#include "model/keys.h"
#include "libnetwork_proc.h"
#include "util/nodename.h"
#include "table.h"

#define AGENT_STOP_TIMEOUT_MS 10000

int node_stop(bool force);
int node_remove(const char *host, bool remove_endpoints);
int node_show(void);

static int count_endpoints(struct ds *ds, const char *host, size_t *n)
{
	struct endpoint_entry *eps = NULL;
	int rc = endpoint_list(ds, host, &eps, n);
	endpoint_entries_free(eps, *n);
	return rc;
}

int node_stop(bool force)
{
	char host[HOSTNAME_MAX + 1];
	size_t n = 0;
	struct ds *ds;
	if (ctl_local_host(host, sizeof(host)) || !(ds = ctl_ds()))
		return 1;
	pid_t pid = agent_running_pid();
	if (pid == 0) {
		printf("calico-node is not running.\n");
		return bird_stop() | libnetwork_stop();
	}
	int rc = count_endpoints(ds, host, &n);
	if (rc < 0)
		return ctl_ds_error("listing endpoints", rc);
	if (n > 0 && !force)
		return ctl_error("Current host has active endpoints so can't be stopped. Force with --force");
	if (bird_stop())
		return 1;
	if ((rc = agent_stop(pid, AGENT_STOP_TIMEOUT_MS)) < 0)
		return ctl_error("Error: calico-node (pid %d) did not stop: %s", (int)pid, strerror(-rc));
	printf("Node stopped\n");
	return libnetwork_stop();
}

/* Releases the addresses of the host's endpoints and deletes them. */
static int remove_endpoints_of(struct ds *ds, const char *host)
{
	struct endpoint_entry *eps = NULL;
	size_t n = 0;
	char err[512], key[KEY_MAX], handle[64];
	int rc = endpoint_list(ds, host, &eps, &n);
	if (rc < 0)
		return ctl_ds_error("listing endpoints", rc);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const struct endpoint *e = &eps[i].ep;
		if (strcmp(eps[i].ref.orch, CONTAINER_ORCH) == 0) {
			container_handle(eps[i].ref.id, handle, sizeof(handle));
			rc = ipam_release_handle(ds, handle, NULL, err, sizeof(err));
		}
		for (size_t k = 0; k < e->n_ipv4_nets + e->n_ipv6_nets && rc >= 0; k++) {
			const struct cidr *c = k < e->n_ipv4_nets ? &e->ipv4_nets[k] : &e->ipv6_nets[k - e->n_ipv4_nets];
			rc = ipam_release(ds, &c->addr, 1, NULL, err, sizeof(err));
		}
		if (rc < 0) {
			ctl_error("Error: releasing the addresses of endpoint %s: %s", eps[i].ref.id, err);
			break;
		}
		key_endpoint(key, eps[i].ref.host, eps[i].ref.orch, eps[i].ref.workload, eps[i].ref.id);
		if ((rc = ds_delete(ds, key)) < 0 && rc != -ENOENT) {
			ctl_ds_error("removing endpoint", rc);
			break;
		}
		rc = 0;
	}
	endpoint_entries_free(eps, n);
	return rc < 0 ? 1 : 0;
}

int node_remove(const char *host_opt, bool remove_endpoints)
{
	char host[HOSTNAME_MAX + 1], local[HOSTNAME_MAX + 1], prefix[3][KEY_MAX];
	size_t n = 0;
	struct ds *ds;
	int rc;

	if (host_opt && !hostname_is_valid(host_opt))
		return ctl_error("Invalid host name \"%s\".", host_opt);
	if (!host_opt && ctl_local_host(host, sizeof(host)))
		return 1;
	if (host_opt)
		snprintf(host, sizeof(host), "%s", host_opt);
	if (!(ds = ctl_ds()))
		return 1;
	pid_t pid = agent_running_pid();
	if (pid > 0 && nodename_get(local, sizeof(local)) == 0 && strcmp(local, host) == 0)
		return ctl_error("calico-node is running on this host (pid %d); stop it first with \"calicoctl node stop\".",
				 (int)pid);
	if ((rc = count_endpoints(ds, host, &n)) < 0)
		return ctl_ds_error("listing endpoints", rc);
	if (n > 0 && !remove_endpoints)
		return ctl_error("Host %s has active endpoints so can't be removed. Use --remove-endpoints to remove "
				 "them.", host);
	if (n > 0 && remove_endpoints_of(ds, host))
		return 1;
	if (!key_fmt(prefix[0], KEY_HOST_PREFIX "%s/", host) || !key_fmt(prefix[1], KEY_BGP_HOST_PREFIX "%s/", host) ||
	    !key_fmt(prefix[2], KEY_FELIX_HOST_PREFIX "%s/", host))
		return ctl_error("Error: host name too long");
	struct ds_op ops[3];
	for (int i = 0; i < 3; i++)
		ops[i] = (struct ds_op){ .type = DS_OP_DELETE_PREFIX, .key = prefix[i] };
	if ((rc = ds_txn(ds, ops, 3, NULL)) < 0)
		return ctl_ds_error("removing the host's keys", rc);
	char err[512];
	size_t blocks = 0;
	if ((rc = ipam_release_host_affinities(ds, host, &blocks, err, sizeof(err))) < 0)
		return ctl_error("Error: removed the keys of host %s, but releasing its IPAM blocks failed: %s "
				 "(run the command again)", host, err);
	printf("Removed node %s\n", host);
	if (blocks)
		printf("Released the affinity of %zu IPAM block(s).\n", blocks);
	return 0;
}

/* ---- show ---- */

static int add_host(char ***hosts, size_t *n, const char *name, size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*hosts)[i]) == len && strncmp((*hosts)[i], name, len) == 0)
			return 0;
	char **grown = realloc(*hosts, (*n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*hosts = grown;
	if (!(grown[*n] = strndup(name, len)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every host the datastore knows: BGP host keys, felix status, endpoints and config. */
static int list_hosts(struct ds *ds, char ***hosts, size_t *n)
{
	static const char *const prefixes[] = { KEY_BGP_HOST_PREFIX, KEY_FELIX_HOST_PREFIX, KEY_HOST_PREFIX };
	int rc = 0;
	for (size_t p = 0; p < 3 && rc == 0; p++) {
		struct ds_kv_list l = { 0 };
		if ((rc = ds_list(ds, prefixes[p], &l)) < 0)
			break;
		for (size_t i = 0; i < l.n && rc == 0; i++) {
			const char *h = l.items[i].key + strlen(prefixes[p]);
			rc = add_host(hosts, n, h, strcspn(h, "/"));
		}
		ds_kv_list_free(&l);
	}
	if (rc == 0 && *n)
		qsort(*hosts, *n, sizeof(**hosts), cmp_str);
	return rc;
}

static void get_or(struct ds *ds, const char *key, const char *fallback, char *buf, size_t len)
{
	struct ds_kv kv = { 0 };
	if (key && ds_get(ds, key, &kv) == 0 && kv.value[0])
		snprintf(buf, len, "%s", kv.value);
	else
		snprintf(buf, len, "%s", fallback);
	ds_kv_free(&kv);
}

int node_show(void)
{
	static const char *const headers[] = { "Hostname", "Bird IPv4", "Bird IPv6", "AS Num", "Agent" };
	char **hosts = NULL, key[KEY_MAX], global_as[32], inherited[40];
	size_t n = 0;
	struct ds *ds = ctl_ds();
	struct table *t = NULL;
	if (!ds)
		return 1;
	int rc = list_hosts(ds, &hosts, &n);
	get_or(ds, KEY_BGP_AS_NUM, "64511", global_as, sizeof(global_as));
	snprintf(inherited, sizeof(inherited), "(%s)", global_as);
	if (rc == 0 && !(t = table_new(5, headers)))
		rc = -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char v4[64], v6[64], as[32], agent[32];
		bool alive = false;
		long age;
		get_or(ds, key_bgp_host(key, hosts[i], "ip_addr_v4"), "", v4, sizeof(v4));
		get_or(ds, key_bgp_host(key, hosts[i], "ip_addr_v6"), "", v6, sizeof(v6));
		get_or(ds, key_bgp_host(key, hosts[i], "as_num"), inherited, as, sizeof(as));
		heartbeat_get(ds, hosts[i], &alive, &age, NULL);
		snprintf(agent, sizeof(agent), "%s", alive ? "alive" : "no heartbeat");
		const char *cells[] = { hosts[i], v4, v6, as, agent };
		rc = table_add_row(t, cells);
	}
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	for (size_t i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
	return rc < 0 ? ctl_ds_error("listing hosts", rc) : 0;
}
