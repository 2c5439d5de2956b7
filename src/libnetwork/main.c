/* calico-libnetwork: Docker's remote network driver and IPAM driver for
 * Calico (DESIGN §6), HTTP on a unix socket.
 *
 *   calico-libnetwork [--socket PATH] [--scope local|global] [--docker-socket PATH]
 *                     [--name HOST] [--log-level LEVEL]
 *
 * Runs in the foreground, in the network namespace of the dockerd it serves
 * (Join leaves the container's end of the veth there). `calicoctl node
 * --libnetwork` starts it as a daemon. SIGTERM/SIGINT: exit 0, socket file
 * removed; endpoints and addresses stay (Docker still owns them). */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/daemon.h"
#include "driver.h"
#include "util/log.h"
#include "server.h"

#define DEFAULT_SOCKET        "/run/docker/plugins/calico.sock"
#define DEFAULT_DOCKER_SOCKET "/var/run/docker.sock"
#define PID_NAME              "calico-libnetwork.pid"

struct options {
	const char *socket, *scope, *docker_socket;
	char host[HOSTNAME_MAX + 1];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: calico-libnetwork [--socket PATH] [--scope local|global] [--docker-socket PATH]\n"
		   "                         [--name HOST] [--log-level debug|info|warning|error|none]\n"
		   "Environment: CALICO_LIBNETWORK_SOCKET (default " DEFAULT_SOCKET "), CALICO_LIBNETWORK_SCOPE\n"
		   "(default local), DOCKER_HOST (default unix://" DEFAULT_DOCKER_SOCKET "), HOSTNAME,\n"
		   "CALICO_DATASTORE, ETCD_ENDPOINTS, CALICO_RUN_DIR, CALICO_STATE_DIR.\n");
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "socket", required_argument, NULL, 's' },    { "scope", required_argument, NULL, 'S' },
		{ "docker-socket", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level level;
	int c;

	o->socket = env_or("CALICO_LIBNETWORK_SOCKET", DEFAULT_SOCKET);
	o->scope = env_or("CALICO_LIBNETWORK_SCOPE", "local");
	o->docker_socket = env_or("DOCKER_HOST", DEFAULT_DOCKER_SOCKET);
	o->host[0] = '\0';
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'S':
			o->scope = optarg;
			break;
		case 'd':
			o->docker_socket = optarg;
			break;
		case 'n':
			if (!hostname_is_valid(optarg)) {
				fprintf(stderr, "calico-libnetwork: --name %s is not a valid host name\n", optarg);
				return -EINVAL;
			}
			snprintf(o->host, sizeof(o->host), "%s", optarg);
			break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "calico-libnetwork: unknown log level %s\n", optarg);
				return -EINVAL;
			}
			log_set_level(level);
			break;
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
	if (strcmp(o->scope, "local") != 0 && strcmp(o->scope, "global") != 0) {
		fprintf(stderr, "calico-libnetwork: scope '%s' must be local or global\n", o->scope);
		return -EINVAL;
	}
	if (strncmp(o->docker_socket, "tcp://", 6) == 0) {
		fprintf(stderr, "calico-libnetwork: Docker API %s: only unix sockets are supported\n", o->docker_socket);
		return -EINVAL;
	}
	if (!o->host[0] && nodename_get(o->host, sizeof(o->host)) < 0) {
		fprintf(stderr, "calico-libnetwork: no usable host name (--name, HOSTNAME or %s/nodename)\n",
			calico_state_dir());
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lnw d = { 0 };
	struct options o;
	struct lnw_server *srv = NULL;
	char err[512];
	size_t removed = 0;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	daemon_signals_install(false); /* SIGHUP: nothing to re-read */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(d.host, sizeof(d.host), "%s", o.host);
	snprintf(d.handle, sizeof(d.handle), "libnetwork.%s", o.host);
	d.scope = o.scope;
	d.docker_socket = o.docker_socket;
	if ((rc = ds_open_env(&d.ds, err, sizeof(err))) < 0) {
		log_error("calico-libnetwork: %s", err);
		goto out;
	}
	if ((rc = lnw_reconcile(&d, &removed, err, sizeof(err))) < 0)
		log_warn("reconciling endpoints: %s", err); /* serving matters more */
	else if (removed)
		log_info("removed %zu orphan endpoint%s", removed, removed == 1 ? "" : "s");
	if ((rc = lnw_server_start(&srv, o.socket, &d, err, sizeof(err))) < 0) {
		log_error("calico-libnetwork: %s", err);
		goto out;
	}
	daemon_pid_write(PID_NAME);
	log_info("calico-libnetwork serving on %s (host %s, scope %s, datastore %s)", o.socket, d.host, d.scope,
		 ds_describe(d.ds));
	rc = lnw_server_run(srv, &daemon_stop, lnw_tick, LNW_TICK_MS);
	log_info("calico-libnetwork stopping");
	daemon_pid_remove(PID_NAME);
out:
	lnw_server_free(srv);
	ds_close(d.ds);
	curl_global_cleanup();
	return rc < 0 ? 1 : 0;
}
