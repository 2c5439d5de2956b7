/* calicoctl bgp: global peers, node-to-node mesh, default AS. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_target.h"
#include "ctl.h"
#include "model/keys.h"
#include "model/model.h"
#include "util/nodename.h"
#include "table.h"

#define DEFAULT_AS_NUM 64511

/* A peer's scope: every host (host NULL), or one host (calicoctl node bgp peer). */
static char *peer_key(char *buf, const char *host, int family, const char *ip)
{
	return host ? key_bgp_host_peer(buf, host, family, ip) : key_bgp_peer(buf, family, ip);
}

static int peer_add(const char *host, const char *ip_text, const char *as_text)
{
	struct bgp_peer peer;
	char key[KEY_MAX], ip[IP_STR_MAX];
	struct ds *ds;

	if (ip_parse(ip_text, &peer.ip) < 0)
		return ctl_error("Invalid IP address specified: %s", ip_text);
	if (as_num_parse(as_text, &peer.as_num) < 0)
		return ctl_error("Invalid AS Number specified: %s (asplain 1-4294967295 or asdot 1.10)", as_text);
	if (!(ds = ctl_ds()))
		return 1;
	char *value = bgp_peer_encode(&peer);
	if (!value)
		return ctl_error("Error: out of memory");
	int rc = ds_put(ds, peer_key(key, host, peer.ip.family, ip_format(&peer.ip, ip)), value);
	free(value);
	return rc < 0 ? ctl_ds_error("adding BGP peer", rc) : 0;
}

static int peer_remove(const char *host, const char *ip_text)
{
	struct ip_addr addr;
	char key[KEY_MAX], ip[IP_STR_MAX];
	struct ds *ds;

	if (ip_parse(ip_text, &addr) < 0)
		return ctl_error("Invalid IP address specified: %s", ip_text);
	if (!(ds = ctl_ds()))
		return 1;
	int rc = ds_delete(ds, peer_key(key, host, addr.family, ip_format(&addr, ip)));
	if (rc == -ENOENT)
		return host ? ctl_error("%s is not a configured peer for this node.", ip)
			    : ctl_error("%s is not a globally configured peer.", ip);
	if (rc < 0)
		return ctl_ds_error("removing BGP peer", rc);
	printf("BGP peer removed from %s configuration\n", host ? "node" : "global");
	return 0;
}

static int peer_show_family(struct ds *ds, const char *host, int family)
{
	char title[64], prefix[KEY_MAX];
	snprintf(title, sizeof(title), "%s IPv%d BGP Peer", host ? "Node specific" : "Global", family);
	const char *headers[] = { title, "AS Num" };
	struct ds_kv_list l = { 0 };
	struct table *t = NULL;
	int status = 1;

	if (host && !key_fmt(prefix, KEY_BGP_HOST_PREFIX "%s/peer_v%d/", host, family))
		return ctl_error("Invalid hostname \"%s\".", host);
	int rc = ds_list(ds, host ? prefix : family == 4 ? KEY_BGP_PEER_V4_PREFIX : KEY_BGP_PEER_V6_PREFIX, &l);
	if (rc < 0)
		return ctl_ds_error("listing BGP peers", rc);
	if (l.n == 0) {
		if (host)
			printf("No IPv%d BGP Peers defined for this node.\n", family);
		else
			printf("No global IPv%d BGP Peers defined.\n", family);
		status = 0;
		goto out;
	}
	if (!(t = table_new(2, headers)))
		goto oom;
	for (size_t i = 0; i < l.n; i++) {
		struct bgp_peer peer;
		char err[MODEL_ERR_MAX], ip[IP_STR_MAX], as[16];
		if (bgp_peer_decode(l.items[i].value, &peer, err, sizeof(err)) < 0) {
			ctl_error("Warning: skipping %s: %s", l.items[i].key, err);
			continue;
		}
		snprintf(as, sizeof(as), "%" PRIu32, peer.as_num);
		const char *cells[] = { ip_format(&peer.ip, ip), as };
		if (table_add_row(t, cells) < 0)
			goto oom;
	}
	table_print(t, stdout);
	status = 0;
	goto out;
oom:
	ctl_error("Error: out of memory");
out:
	table_free(t);
	ds_kv_list_free(&l);
	return status;
}

/* peer (add <IP> as <AS> | remove <IP> | show [--ipv4|--ipv6]) for one scope;
 * argv[0] is "peer". -1 when the words are not a peer command. */
static int peer_cmd(const char *host, int argc, char **argv, bool v4, bool v6)
{
	if (argc < 2 || strcmp(argv[0], "peer") != 0)
		return -1;
	if (strcmp(argv[1], "show") == 0 && argc == 2 && !(v4 && v6)) {
		struct ds *ds = ctl_ds();
		if (!ds)
			return 1;
		if (!v6 && peer_show_family(ds, host, 4))
			return 1;
		return v4 ? 0 : peer_show_family(ds, host, 6);
	}
	if (v4 || v6)
		return -1;
	if (strcmp(argv[1], "add") == 0 && argc == 5 && strcmp(argv[3], "as") == 0)
		return peer_add(host, argv[2], argv[4]);
	if (strcmp(argv[1], "remove") == 0 && argc == 3)
		return peer_remove(host, argv[2]);
	return -1;
}

static int node_mesh(int argc, char **argv)
{
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	if (argc == 0) {
		struct ds_kv kv = { 0 };
		bool enabled = true; /* Calico's default when never set */
		char err[MODEL_ERR_MAX];
		int rc = ds_get(ds, KEY_BGP_NODE_MESH, &kv);
		if (rc < 0 && rc != -ENOENT)
			return ctl_ds_error("reading node-mesh", rc);
		if (rc == 0 && node_mesh_decode(kv.value, &enabled, err, sizeof(err)) < 0) {
			ds_kv_free(&kv);
			return ctl_error("Error: stored node-mesh setting does not decode: %s", err);
		}
		ds_kv_free(&kv);
		printf("%s\n", enabled ? "on" : "off");
		return 0;
	}
	if (argc != 1 || (strcmp(argv[0], "on") != 0 && strcmp(argv[0], "off") != 0))
		return ctl_usage("bgp");
	char *value = node_mesh_encode(strcmp(argv[0], "on") == 0);
	if (!value)
		return ctl_error("Error: out of memory");
	int rc = ds_put(ds, KEY_BGP_NODE_MESH, value);
	free(value);
	return rc < 0 ? ctl_ds_error("setting node-mesh", rc) : 0;
}

static int default_node_as(int argc, char **argv)
{
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	if (argc == 0) {
		struct ds_kv kv = { 0 };
		int rc = ds_get(ds, KEY_BGP_AS_NUM, &kv);
		if (rc < 0 && rc != -ENOENT)
			return ctl_ds_error("reading the default AS", rc);
		if (rc == 0)
			printf("%s\n", kv.value);
		else
			printf("%d\n", DEFAULT_AS_NUM);
		ds_kv_free(&kv);
		return 0;
	}
	uint32_t as;
	char text[16];
	if (argc != 1)
		return ctl_usage("bgp");
	if (as_num_parse(argv[0], &as) < 0)
		return ctl_error("Invalid AS Number specified: %s (asplain 1-4294967295 or asdot 1.10)", argv[0]);
	snprintf(text, sizeof(text), "%" PRIu32, as);
	int rc = ds_put(ds, KEY_BGP_AS_NUM, text);
	return rc < 0 ? ctl_ds_error("setting the default AS", rc) : 0;
}

int cmd_bgp(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--ipv4" }, { .spec = "--ipv6" } };
	if (ctl_take_options("bgp", &argc, argv, opts, 2))
		return 1;
	bool v4 = opts[0].present, v6 = opts[1].present;
	int rc = peer_cmd(NULL, argc, argv, v4, v6);

	if (rc >= 0)
		return rc;
	if (v4 || v6)
		return ctl_usage("bgp");
	if (argc >= 1 && strcmp(argv[0], "node-mesh") == 0)
		return node_mesh(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "default-node-as") == 0)
		return default_node_as(argc - 1, argv + 1);
	return ctl_usage("bgp");
}

/* calicoctl node bgp peer ...: this host's own peers. */
int cmd_node_bgp(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--ipv4" }, { .spec = "--ipv6" } };
	char host[HOSTNAME_MAX + 1];
	if (ctl_take_options("node", &argc, argv, opts, 2))
		return 1;
	if (argc < 2 || strcmp(argv[0], "peer") != 0)
		return ctl_usage("node");
	if (ctl_local_host(host, sizeof(host)))
		return 1;
	int rc = peer_cmd(host, argc, argv, opts[0].present, opts[1].present);
	return rc >= 0 ? rc : ctl_usage("node");
}
