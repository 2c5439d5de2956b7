/* calicoctl container: attach a network namespace to Calico by hand (add,
 * remove), and the per-container ip/endpoint/profile forms. Endpoints made
 * here have the orchestrator id "calicoctl" and the workload id of the
 * namespace (see container_target.h). ip add/remove live in container_ip.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_addr.h"
#include "container_target.h"
#include "ctl.h"
#include "endpoint_edit.h"
#include "ipam/ipam.h"
#include "model/keys.h"
#include "util/nodename.h"
#include "workload/workload.h"
#include "workload/workload_net.h"

int container_ip(const struct container_target *t, bool add, const char *ip_text, const char *cif);

static int container_add(const char *arg, const char *ip_text, const char *cif)
{
	struct container_target t;
	struct addr_request req;
	struct endpoint_entry existing;
	struct workload_made made;
	char host[HOSTNAME_MAX + 1], id[33], handle[64], attrs[600], err[512], text[IP_STR_MAX];
	struct ip_addr ip;
	unsigned mtu = 0;
	struct ds *ds;
	int rc;

	if (container_target_parse(arg, &t) || container_ifname_check(cif) || addr_request_parse(ip_text, &req) ||
	    container_target_check_exists(&t) || !(ds = ctl_ds()) || ctl_local_host(host, sizeof(host)))
		return 1;
	rc = container_endpoint_find(ds, host, &t, &existing);
	if (rc == 0) {
		endpoint_free(&existing.ep);
		return ctl_error("Container %s already has Calico networking.", arg);
	}
	if (rc != -ENOENT)
		return 1;
	if (workload_endpoint_id_new(id) < 0)
		return ctl_error("Error: cannot make an endpoint id: %s", strerror(EIO));
	container_handle(id, handle, sizeof(handle));
	snprintf(attrs, sizeof(attrs), "{\"orchestrator\":\"%s\",\"workload\":\"%s\",\"endpoint\":\"%s\"}",
		 CONTAINER_ORCH, t.workload, id);
	if ((rc = workload_mtu(ds, host, &mtu)) < 0)
		return ctl_ds_error("reading VethMtu", rc);

	if (addr_request_assign(ds, &req, handle, host, attrs, &ip))
		return 1;
	struct workload_spec spec = { .host = host, .orch = CONTAINER_ORCH, .workload = t.workload, .endpoint_id = id,
				      .netns_path = t.nspath, .ifname = cif, .addrs = &ip, .n_addrs = 1, .mtu = mtu };
	if (workload_create(ds, &spec, &made, err, sizeof(err)) < 0) {
		ctl_error("Error: %s", err);
		if (ipam_release_handle(ds, handle, NULL, err, sizeof(err)) < 0)
			ctl_error("Error: could not release %s again: %s", ip_format(&ip, text), err);
		return 1;
	}
	printf("IP %s added to %s\n", ip_format(&ip, text), arg);
	return 0;
}

/* Releases every address of the endpoint: its handle's, and any recorded on
 * it that came another way. */
static int release_addresses(struct ds *ds, const struct endpoint_entry *e)
{
	char handle[64], err[512];
	container_handle(e->ref.id, handle, sizeof(handle));
	int rc = ipam_release_handle(ds, handle, NULL, err, sizeof(err));
	for (size_t i = 0; i < e->ep.n_ipv4_nets + e->ep.n_ipv6_nets && rc >= 0; i++) {
		const struct cidr *c = i < e->ep.n_ipv4_nets ? &e->ep.ipv4_nets[i]
							    : &e->ep.ipv6_nets[i - e->ep.n_ipv4_nets];
		rc = ipam_release(ds, &c->addr, 1, NULL, err, sizeof(err));
	}
	return rc < 0 ? ctl_error("Error: releasing addresses: %s", err) : 0;
}

static int container_remove(const char *arg)
{
	struct container_target t;
	struct endpoint_entry e;
	char host[HOSTNAME_MAX + 1], key[KEY_MAX], err[512];
	struct ds *ds;

	if (container_target_parse(arg, &t) || !(ds = ctl_ds()) || ctl_local_host(host, sizeof(host)))
		return 1;
	int rc = container_endpoint_find(ds, host, &t, &e);
	if (rc == -ENOENT)
		return ctl_error("Container %s has no Calico networking.", arg);
	if (rc)
		return 1;
	/* The host side goes away by itself when the namespace has gone. */
	rc = workload_detach(e.ep.name, err, sizeof(err));
	if (rc < 0 && rc != -ENODEV) {
		ctl_error("Error: %s", err);
		goto out;
	}
	struct ds_op del = { .type = DS_OP_DELETE, .mod_rev = e.mod_rev,
			     .key = key_endpoint(key, e.ref.host, e.ref.orch, e.ref.workload, e.ref.id) };
	rc = ds_txn(ds, &del, 1, NULL);
	if (rc == -ECANCELED)
		rc = ds_delete(ds, key); /* changed meanwhile (e.g. a profile edit): it goes anyway */
	if (rc < 0 && rc != -ENOENT) {
		ctl_ds_error("removing endpoint", rc);
		goto out;
	}
	rc = release_addresses(ds, &e) ? -EIO : 0;
	if (rc == 0)
		printf("Removed Calico from %s\n", arg);
out:
	endpoint_free(&e.ep);
	return rc < 0 ? 1 : 0;
}

/* container <C> endpoint show | profile (append|remove|set) [<P>...] */
static int container_endpoint_cmd(const char *arg, int argc, char **argv)
{
	struct container_target t;
	struct endpoint_entry e;
	char host[HOSTNAME_MAX + 1];
	struct ds *ds;
	int op = -1, status;

	if (argc == 2 && strcmp(argv[0], "endpoint") == 0 && strcmp(argv[1], "show") == 0)
		op = -2;
	else if (argc >= 2 && strcmp(argv[0], "profile") == 0 && (op = profile_op_parse(argv[1])) < 0)
		return ctl_usage("container");
	if (op == -1)
		return ctl_usage("container");
	if (container_target_parse(arg, &t) || !(ds = ctl_ds()) || ctl_local_host(host, sizeof(host)))
		return 1;
	int rc = container_endpoint_find(ds, host, &t, &e);
	if (rc == -ENOENT)
		return ctl_error("Container %s has no Calico networking.", arg);
	if (rc)
		return 1;
	if (op == -2)
		status = endpoint_table_print(&e, 1, stdout) < 0 ? ctl_error("Error: out of memory") : 0;
	else
		status = ctl_endpoint_profiles(&e.ref, (enum profile_op)op, argv + 2, argc - 2);
	endpoint_free(&e.ep);
	return status;
}

int cmd_container(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--interface=" } };
	if (ctl_take_options("container", &argc, argv, opts, 1))
		return 1;
	const char *cif = opts[0].present ? opts[0].value : "eth0";

	if (argc == 3 && strcmp(argv[0], "add") == 0)
		return container_add(argv[1], argv[2], cif);
	if (argc == 2 && strcmp(argv[0], "remove") == 0 && !opts[0].present)
		return container_remove(argv[1]);
	if (argc == 4 && strcmp(argv[1], "ip") == 0 && (strcmp(argv[2], "add") == 0 || strcmp(argv[2], "remove") == 0)) {
		struct container_target t;
		if (container_target_parse(argv[0], &t) || container_ifname_check(cif))
			return 1;
		return container_ip(&t, strcmp(argv[2], "add") == 0, argv[3], cif);
	}
	if (argc >= 2 && !opts[0].present && strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0)
		return container_endpoint_cmd(argv[0], argc - 1, argv + 1);
	return ctl_usage("container");
}
