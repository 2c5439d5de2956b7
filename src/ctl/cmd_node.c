/* calicoctl node: register this host in the datastore and start its agent.
 * stop, remove and show are in node_admin.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_health.h"
#include "agent_proc.h"
#include "bird_proc.h"
#include "ctl.h"
#include "host_ip.h"
#include "model/keys.h"
#include "libnetwork_proc.h"
#include "model/model.h"
#include "util/nodename.h"
#include "store/pool_store.h"

#define AGENT_READY_TIMEOUT_MS 10000
#define DEFAULT_AS "64511"
#define DEFAULT_POOL_V4 "192.168.0.0/16"
#define DEFAULT_POOL_V6 "fd80:24e2:f998:72d6::/64"

int node_stop(bool force);
int node_remove(const char *host, bool remove_endpoints);
int node_show(void);

/* Another host that already claims ip as its BGP address. */
static int ip_in_use_by(struct ds *ds, const char *host, const struct ip_addr *ip, char *other, size_t len)
{
	struct ds_kv_list l = { 0 };
	const char *leaf = ip->family == 4 ? "/ip_addr_v4" : "/ip_addr_v6";
	char text[IP_STR_MAX];
	int rc = ds_list(ds, KEY_BGP_HOST_PREFIX, &l);
	if (rc < 0)
		return rc;
	ip_format(ip, text);
	rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const char *k = l.items[i].key + strlen(KEY_BGP_HOST_PREFIX);
		const char *slash = strchr(k, '/');
		if (!slash || strcmp(slash, leaf) != 0 || strcmp(l.items[i].value, text) != 0)
			continue;
		if ((size_t)(slash - k) == strlen(host) && strncmp(k, host, strlen(host)) == 0)
			continue;
		snprintf(other, len, "%.*s", (int)(slash - k), k);
		rc = 1;
	}
	ds_kv_list_free(&l);
	return rc;
}

static int create_if_absent(struct ds *ds, const char *key, const char *value)
{
	int rc = ds_create(ds, key, value);
	return rc == -EEXIST ? 0 : rc;
}

/* Calico's default pools, per family, unless that family has pools already. */
static int default_pools(struct ds *ds)
{
	static const char *const defaults[] = { DEFAULT_POOL_V4, DEFAULT_POOL_V6 };
	const char *no = getenv("NO_DEFAULT_POOLS");
	if (no && *no)
		return 0;
	for (int i = 0; i < 2; i++) {
		struct pool_entry *have = NULL;
		size_t n = 0;
		struct pool p = { .masquerade = i == 0 };
		char key[KEY_MAX];
		int rc = pool_list(ds, i == 0 ? 4 : 6, &have, &n);
		free(have);
		if (rc < 0)
			return rc;
		if (n > 0 || cidr_parse(defaults[i], false, false, &p.cidr) < 0)
			continue;
		char *json = pool_encode(&p);
		rc = json ? create_if_absent(ds, pool_key(key, &p.cidr), json) : -ENOMEM;
		free(json);
		if (rc < 0)
			return rc;
		printf("Added default pool %s%s\n", defaults[i], i == 0 ? " (nat-outgoing)" : "");
	}
	return 0;
}

static int write_nodename(const char *host)
{
	char path[4096];
	int rc = mkdir_p(calico_state_dir());
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/nodename", calico_state_dir());
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", host);
	return fclose(f) == 0 ? 0 : -errno;
}

static int register_host(struct ds *ds, const char *host, const char *ip4, const char *ip6, const char *as)
{
	char k4[KEY_MAX], k6[KEY_MAX], kas[KEY_MAX];
	char *mesh = node_mesh_encode(true);
	int rc = mesh ? 0 : -ENOMEM;
	if (rc == 0)
		rc = ds_put(ds, KEY_READY, "true");
	if (rc == 0)
		rc = create_if_absent(ds, KEY_BGP_AS_NUM, DEFAULT_AS);
	if (rc == 0)
		rc = create_if_absent(ds, KEY_BGP_NODE_MESH, mesh);
	/* Mesos workloads talk to their host's agent: Calico's node lets that
	 * traffic through to the host's own rules unless an operator chose. */
	if (rc == 0)
		rc = create_if_absent(ds, KEY_CONFIG_PREFIX "DefaultEndpointToHostAction", "RETURN");
	free(mesh);
	if (rc < 0)
		return rc;
	if (!key_bgp_host(k4, host, "ip_addr_v4") || !key_bgp_host(k6, host, "ip_addr_v6") ||
	    !key_bgp_host(kas, host, "as_num"))
		return -ENAMETOOLONG;
	struct ds_op ops[] = {
		{ .type = DS_OP_PUT, .key = k4, .value = ip4 },
		{ .type = DS_OP_PUT, .key = k6, .value = ip6 ? ip6 : "" },
		as ? (struct ds_op){ .type = DS_OP_PUT, .key = kas, .value = as }
		   : (struct ds_op){ .type = DS_OP_DELETE, .key = kas },
	};
	if ((rc = ds_txn(ds, ops, 3, NULL)) < 0)
		return rc;
	return default_pools(ds);
}

/* 0 when ready, 1 after printing why not. A heartbeat counts only when
 * written after since: an earlier agent's may outlive it until its lease ends. */
static int wait_ready(struct ds *ds, const char *host, pid_t pid, int64_t since)
{
	for (int waited = 0; waited <= AGENT_READY_TIMEOUT_MS; waited += 100) {
		bool present = false;
		long age;
		int64_t rev = 0;
		if (!agent_pid_alive(pid)) {
			ctl_error("calico-node exited during start-up.");
			agent_log_tail(20);
			return 1;
		}
		if ((heartbeat_get(ds, host, &present, &age, &rev) == 0 && present && rev > since) || agent_http_ready(200, pid))
			return 0;
		proc_sleep_ms(100);
	}
	ctl_error("calico-node (pid %d) did not become ready within %d s; stopping it.", (int)pid,
		  AGENT_READY_TIMEOUT_MS / 1000);
	agent_log_tail(20);
	agent_stop(pid, 2000);
	return 1;
}

static int node_start(const char *ip_opt, const char *ip6_opt, const char *as_opt, const char *name_opt)
{
	char host[HOSTNAME_MAX + 1], ip4[IP_STR_MAX], ip6[IP_STR_MAX], as[16], ifname[IFNAMSIZ], other[256], err[512];
	struct ip_addr ip, ip_6;
	uint32_t as_num;
	pid_t pid;
	struct ds *ds;
	int rc;

	if (ip_opt && (ip_parse(ip_opt, &ip) < 0 || ip.family != 4))
		return ctl_error("%s is not a valid IPv4 address.", ip_opt);
	if (ip6_opt && (ip_parse(ip6_opt, &ip_6) < 0 || ip_6.family != 6))
		return ctl_error("%s is not a valid IPv6 address.", ip6_opt);
	if (as_opt && as_num_parse(as_opt, &as_num) < 0)
		return ctl_error("%s is not a valid AS number.", as_opt);
	if (name_opt && !hostname_is_valid(name_opt))
		return ctl_error("Invalid host name \"%s\": 1-253 characters of letters, digits, '.', '-' and '_'.",
				 name_opt);
	if (name_opt)
		snprintf(host, sizeof(host), "%s", name_opt);
	else if (nodename_get(host, sizeof(host)) < 0)
		return ctl_error("Error: cannot tell this host's name: give --name.");
	if (bird_backend_check())
		return 1;
	if ((pid = agent_running_pid()) > 0)
		return ctl_error("calico-node is already running (pid %d).", (int)pid);
	if (!ip_opt) {
		if (host_ip_autodetect(&ip, ifname) < 0)
			return ctl_error("Could not find an IPv4 address for this host; give one with --ip.");
		printf("No IP provided. Using detected IP: %s (on %s)\n", ip_format(&ip, ip4), ifname);
	}
	ip_format(&ip, ip4);
	if (ip6_opt)
		ip_format(&ip_6, ip6);
	snprintf(as, sizeof(as), "%u", as_opt ? as_num : 0);
	if (!(ds = ctl_ds()))
		return 1;
	const char *claimed = ip4;
	rc = ip_in_use_by(ds, host, &ip, other, sizeof(other));
	if (rc == 0 && ip6_opt) {
		claimed = ip6;
		rc = ip_in_use_by(ds, host, &ip_6, other, sizeof(other));
	}
	if (rc < 0)
		return ctl_ds_error("reading hosts", rc);
	if (rc > 0)
		return ctl_error("Error: IP address %s is already in use by host %s.", claimed, other);
	if ((rc = register_host(ds, host, ip4, ip6_opt ? ip6 : NULL, as_opt ? as : NULL)) < 0)
		return ctl_ds_error("registering the host", rc);
	if ((rc = write_nodename(host)) < 0)
		return ctl_error("Error: cannot write %s/nodename: %s", calico_state_dir(), strerror(-rc));
	int64_t since = 0;
	if ((rc = ds_revision(ds, &since)) < 0)
		return ctl_ds_error("reading the revision", rc);
	if (agent_start(host, &pid, err, sizeof(err)) < 0)
		return ctl_error("Error: cannot start calico-node: %s", err);
	if (wait_ready(ds, host, pid, since))
		return 1;
	printf("calico-node started (pid %d), host %s, IP %s\n", (int)pid, host, ip4);
	return bird_start(ds, host);
}

int cmd_node(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "bgp") == 0)
		return cmd_node_bgp(argc - 1, argv + 1);
	struct ctl_option opts[] = { { .spec = "--ip=" }, { .spec = "--ip6=" }, { .spec = "--as=" },
				     { .spec = "--name=" }, { .spec = "--force" }, { .spec = "--hostname=" },
				     { .spec = "--remove-endpoints" }, { .spec = "--libnetwork" } };
	if (ctl_take_options("node", &argc, argv, opts, 8))
		return 1;
	bool start_opts = opts[0].present || opts[1].present || opts[2].present || opts[3].present || opts[7].present;
	bool force = opts[4].present, remove_opts = opts[5].present || opts[6].present;

	if (argc == 0 && !force && !remove_opts) {
		int rc = node_start(opts[0].value, opts[1].value, opts[2].value, opts[3].value);
		return rc || !opts[7].present ? rc : libnetwork_start(opts[3].value);
	}
	if (argc == 1 && strcmp(argv[0], "stop") == 0 && !start_opts && !remove_opts)
		return node_stop(force);
	if (argc == 1 && strcmp(argv[0], "remove") == 0 && !start_opts && !force)
		return node_remove(opts[5].value, opts[6].present);
	if (argc == 1 && strcmp(argv[0], "show") == 0 && !start_opts && !force && !remove_opts)
		return node_show();
	return ctl_usage("node");
}
