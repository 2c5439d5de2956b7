/* calico-node: the per-host agent (DESIGN §4). Runs in the foreground; `calicoctl
 * node` daemonizes it. Writes $CALICO_RUN_DIR/calico-node.pid itself too.
 *
 *   calico-node [--name HOST] [--log-level LEVEL] [--health-port PORT] [--foreground]
 *
 * SIGTERM/SIGINT: exit 0, dataplane untouched. SIGHUP: re-read everything. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "util/daemon.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: calico-node [--name HOST] [--log-level debug|info|warning|error|none]\n"
		   "                   [--health-port PORT] [--foreground]\n"
		   "Environment: HOSTNAME, CALICO_DATASTORE, ETCD_ENDPOINTS, CALICO_RUN_DIR, CALICO_STATE_DIR,\n"
		   "CALICO_HEALTH_PORT.\n");
}

static int parse_port(const char *text, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || v < 1 || v > 65535)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct agent_options *opt)
{
	static const struct option longs[] = {
		{ "name", required_argument, NULL, 'n' },     { "log-level", required_argument, NULL, 'l' },
		{ "health-port", required_argument, NULL, 'p' }, { "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *env_port = getenv("CALICO_HEALTH_PORT");
	int c;

	memset(opt, 0, sizeof(*opt));
	if (env_port && *env_port && parse_port(env_port, &opt->health_port) < 0) {
		fprintf(stderr, "calico-node: CALICO_HEALTH_PORT=%s is not a port\n", env_port);
		return -EINVAL;
	}
	while ((c = getopt_long(argc, argv, "n:l:p:fh", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!hostname_is_valid(optarg)) {
				fprintf(stderr, "calico-node: --name %s is not a valid host name\n", optarg);
				return -EINVAL;
			}
			snprintf(opt->host, sizeof(opt->host), "%s", optarg);
			break;
		case 'l':
			if (log_level_parse(optarg, &opt->log_level) < 0) {
				fprintf(stderr, "calico-node: unknown log level %s\n", optarg);
				return -EINVAL;
			}
			opt->log_level_set = true;
			break;
		case 'p':
			if (parse_port(optarg, &opt->health_port) < 0) {
				fprintf(stderr, "calico-node: --health-port %s is not a port\n", optarg);
				return -EINVAL;
			}
			break;
		case 'f':
			break; /* the default */
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	if (!opt->host[0] && nodename_get(opt->host, sizeof(opt->host)) < 0) {
		fprintf(stderr, "calico-node: no usable host name (--name, HOSTNAME or %s/nodename)\n",
			calico_state_dir());
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_options opt;
	struct agent *a;
	int rc;

	if (parse_args(argc, argv, &opt) < 0)
		return 2;
	if (opt.log_level_set)
		log_set_level(opt.log_level);
	daemon_signals_install(true);
	if (!(a = calloc(1, sizeof(*a))))
		return 1;
	rc = agent_init(a, &opt);
	if (rc == 0) {
		daemon_pid_write("calico-node.pid");
		rc = agent_run(a, &daemon_stop, &daemon_reload);
		daemon_pid_remove("calico-node.pid");
	}
	agent_fini(a);
	free(a);
	return rc < 0 ? 1 : 0;
}
