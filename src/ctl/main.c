/* calicoctl: the command line. A small dispatch table; one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

const struct ctl_command ctl_commands[] = {
	{ "profile", cmd_profile,
	  "  calicoctl profile show [--detailed]\n"
	  "  calicoctl profile add <PROFILE>\n"
	  "  calicoctl profile remove <PROFILE> [--no-check]\n"
	  "  calicoctl profile <PROFILE> tag show\n"
	  "  calicoctl profile <PROFILE> tag (add|remove) <TAG>\n"
	  "  calicoctl profile <PROFILE> rule add (inbound|outbound) [--at=<POSITION>] (allow|deny) [<MATCH>...]\n"
	  "  calicoctl profile <PROFILE> rule remove (inbound|outbound) (--at=<POSITION>|(allow|deny) [<MATCH>...])\n"
	  "  calicoctl profile <PROFILE> rule show\n"
	  "  calicoctl profile <PROFILE> rule json\n"
	  "  calicoctl profile <PROFILE> rule update          (reads the rules JSON on stdin)\n"
	  "\n"
	  "  <MATCH>: [ipv4|ipv6]\n"
	  "      (tcp|udp) [from [ports <P>] [tag <T>] [cidr <C>]] [to [ports <P>] [tag <T>] [cidr <C>]]\n"
	  "    | (icmp|icmpv6) [type <N> [code <M>]] [from [tag <T>] [cidr <C>]] [to [tag <T>] [cidr <C>]]\n"
	  "    | [from [tag <T>] [cidr <C>]] [to [tag <T>] [cidr <C>]]\n"
	  "  <P>: ports and ranges, e.g. 80,443,8000:8080\n" },
	{ "pool", cmd_pool,
	  "  calicoctl pool add <CIDRS>... [--ipip] [--vxlan] [--nat-outgoing]\n"
	  "  calicoctl pool remove <CIDRS>...\n"
	  "  calicoctl pool range add <START_IP> <END_IP> [--ipip] [--vxlan] [--nat-outgoing]\n"
	  "  calicoctl pool show [--ipv4 | --ipv6]\n" },
	{ "bgp", cmd_bgp,
	  "  calicoctl bgp peer add <PEER_IP> as <AS_NUM>\n"
	  "  calicoctl bgp peer remove <PEER_IP>\n"
	  "  calicoctl bgp peer show [--ipv4 | --ipv6]\n"
	  "  calicoctl bgp node-mesh [on|off]\n"
	  "  calicoctl bgp default-node-as [<AS_NUM>]\n"
	  "\n"
	  "  <AS_NUM>: asplain (65546) or asdot (1.10)\n" },
	{ "config", cmd_config,
	  "  calicoctl config felix <NAME> [<VALUE>|--remove] [--force]\n"
	  "  calicoctl config bgp <NAME> [<VALUE>|--remove] [--force]\n"
	  "  calicoctl config node felix <NAME> [<VALUE>|--remove] [--force] [--hostname=<HOSTNAME>]\n"
	  "  calicoctl config node bgp <NAME> [<VALUE>|--remove] [--force] [--hostname=<HOSTNAME>]\n" },
	{ "ipam", cmd_ipam, "  calicoctl ipam (release <IP> | info <IP> | show | check | gc [--dry-run] [--grace=<SECONDS>])\n" },
	{ "node", cmd_node,
	  "  calicoctl node [--ip=<IP>] [--ip6=<IP6>] [--as=<AS_NUM>] [--name=<HOSTNAME>]\n"
	  "                 [--libnetwork]\n"
	  "  calicoctl node stop [--force]\n"
	  "  calicoctl node remove [--hostname=<HOSTNAME>] [--remove-endpoints]\n"
	  "  calicoctl node show\n"
	  "  calicoctl node bgp peer add <PEER_IP> as <AS_NUM>\n"
	  "  calicoctl node bgp peer remove <PEER_IP>\n"
	  "  calicoctl node bgp peer show [--ipv4 | --ipv6]\n"
	  "\n"
	  "  Without --ip, the first global IPv4 address of an up interface (not lo, cali*,\n"
	  "  docker*, vxlan*) is used. NO_DEFAULT_POOLS=1 skips the default pools.\n"
	  "  --libnetwork also starts calico-libnetwork, Docker's network and IPAM driver\n"
	  "  (socket CALICO_LIBNETWORK_SOCKET, default /run/docker/plugins/calico.sock);\n"
	  "  node stop stops it too.\n" },
	{ "status", cmd_status, "  calicoctl status\n" },
	{ "container", cmd_container,
	  "  calicoctl container add <CONTAINER> <IP|ipv4|ipv6|CIDR> [--interface=<INTERFACE>]\n"
	  "  calicoctl container remove <CONTAINER>\n"
	  "  calicoctl container <CONTAINER> ip (add|remove) <IP> [--interface=<INTERFACE>]\n"
	  "  calicoctl container <CONTAINER> endpoint show\n"
	  "  calicoctl container <CONTAINER> profile (append|remove|set) [<PROFILES>...]\n"
	  "\n"
	  "  <CONTAINER>: a network namespace: /var/run/netns/NAME, /proc/PID/ns/net, or NAME\n"
	  "  (under /var/run/netns). Its endpoint has orchestrator ID \"calicoctl\" and\n"
	  "  workload ID NAME, or pid-PID.\n" },
	{ "endpoint", cmd_endpoint,
	  "  calicoctl endpoint show [--host=<HOSTNAME>] [--orchestrator=<ORCHESTRATOR_ID>]\n"
	  "                          [--workload=<WORKLOAD_ID>] [--endpoint=<ENDPOINT_ID>] [--detailed]\n"
	  "  calicoctl endpoint <ENDPOINT_ID> profile (append|remove|set) [<PROFILES>...]\n"
	  "  calicoctl endpoint <ENDPOINT_ID> profile show\n" },
	{ "checksystem", cmd_checksystem, "  calicoctl checksystem\n" },
	{ "diags", cmd_diags, "  calicoctl diags [--log-dir=<LOG_DIR>]\n" },
	{ "version", cmd_version, "  calicoctl version\n" },
	{ "apply", cmd_apply,
	  "  calicoctl apply -f <FILE>               (Calico v3 resources; '-' reads stdin)\n"
	  "\n"
	  "  <FILE>: YAML or JSON: one resource, several (---), a List with items, or a\n"
	  "  list of resources. All are written, or none is. Kinds: Tier,\n"
	  "  GlobalNetworkPolicy, NetworkPolicy, GlobalNetworkSet, NetworkSet, Profile.\n" },
	{ "create", cmd_create, "  calicoctl create -f <FILE>              (fails if any resource exists)\n" },
	{ "replace", cmd_replace, "  calicoctl replace -f <FILE>             (fails if any resource does not exist)\n" },
	{ "validate", cmd_validate, "  calicoctl validate -f <FILE>            (checks as apply would; writes nothing)\n" },
	{ "delete", cmd_delete,
	  "  calicoctl delete -f <FILE>\n"
	  "  calicoctl delete <KIND> <NAME>... [-n <NAMESPACE>]\n" },
	{ "get", cmd_get,
	  "  calicoctl get <KIND> [<NAME>...] [-n <NAMESPACE> | -A] [-l <SELECTOR>] [-o yaml|json|wide]\n"
	  "\n"
	  "  <KIND>: tiers, globalnetworkpolicies (gnp), networkpolicies (np),\n"
	  "  globalnetworksets, networksets, profiles; and, read from the 2016 keys,\n"
	  "  workloadendpoints (wep), ippools, bgppeers, bgpconfigurations, nodes,\n"
	  "  felixconfigurations;\n"
	  "  singular or plural, any case.\n"
	  "  -l lists the resources whose labels (a profile's labelsToApply; a workload\n"
	  "  endpoint's own, then its profiles') match.\n" },
	{ "flows", cmd_flows,
	  "  calicoctl flows [--follow] [--action=allow|deny] [--policy=<NAME>] [--since=<DURATION>] [-o json|wide]\n"
	  "\n"
	  "  This host's flow records, from the local calico-node (run as root).\n" },
	{ "label", cmd_label,
	  "  calicoctl label <KIND> <NAME> <KEY>=<VALUE> [--overwrite] [-n <NAMESPACE>]\n"
	  "  calicoctl label <KIND> <NAME> (<KEY>- | <KEY> --remove) [-n <NAMESPACE>]\n" },
	{ NULL, NULL, NULL },
};

static const char *const usage_head =
	"calicoctl: Calico networking for Mesos, Docker and CNI.\n"
	"\n"
	"Usage:\n";

static const char *const usage_tail =
	"\n"
	"The datastore is the SQLite file $CALICO_STATE_DIR/calico.db (default\n"
	"/var/lib/calico/calico.db), or etcd when ETCD_ENDPOINTS or ETCD_AUTHORITY is set;\n"
	"CALICO_DATASTORE=sqlite:PATH|etcd picks explicitly.\n";

static int main_argc;
static char **main_argv;

/* A usage error names what was given before the usage text, unless a
 * more precise line came first. */
static void say_invalid(const char *name)
{
	char words[512];
	size_t used = 0;

	if (ctl_error_printed())
		return;
	if (main_argc < 2) {
		ctl_error("No command given.");
		return;
	}
	words[0] = '\0';
	for (int i = 1; i < main_argc && used < sizeof(words); i++)
		used += (size_t)snprintf(words + used, sizeof(words) - used, "%s%s", i > 1 ? " " : "", main_argv[i]);
	if (name)
		ctl_error("Invalid arguments for calicoctl %s: %s", name, words);
	else
		ctl_error("Invalid arguments: %s", words);
}

static void error_free_usage(const char *name)
{
	fputs(usage_head, stderr);
	for (const struct ctl_command *c = ctl_commands; c->name; c++)
		if (!name || strcmp(name, c->name) == 0)
			fputs(c->usage, stderr);
	if (!name)
		fputs(usage_tail, stderr);
}

int ctl_usage(const char *name)
{
	say_invalid(name);
	error_free_usage(name);
	return 1;
}

int main(int argc, char **argv)
{
	main_argc = argc;
	main_argv = argv;
	if (argc < 2)
		return ctl_usage(NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		error_free_usage(argc > 2 ? argv[2] : NULL);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(0, argv + 2);
	for (const struct ctl_command *c = ctl_commands; c->name; c++) {
		if (strcmp(argv[1], c->name) == 0) {
			int rc = c->run(argc - 2, argv + 2);
			ctl_ds_close();
			return rc;
		}
	}
	/* One line and where to look, as git and docker answer a mistyped
	 * command: the whole usage would bury the line that says what is wrong.
	 * The name is cut so that the hint always fits the one line. */
	ctl_error("Unknown command: %.256s. See 'calicoctl --help'.", argv[1]);
	return 1;
}
