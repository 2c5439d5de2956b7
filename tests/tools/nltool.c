/* nltool: the netlink, netns, sysctl and workload_net functions as
 * subcommands, for the lab tests.
 *
 *   nltool [-n NSPATH] COMMAND ARGS...
 *
 * -n runs the command against that namespace: netlink commands open their
 * handle there (nl_open with the namespace fd), composite commands and
 * sysctls run inside it (netns_run). Without -n: the current namespace.
 *
 *   veth-create HOST PEER PEER_NSPATH|- MTU    link-del NAME
 *   link-index NAME    link-list [PREFIX]   (name ifindex mtu up|down mac)
 *   link-mtu NAME MTU  link-up NAME  link-down NAME  link-rename OLD NEW
 *   addr-add IF ADDR/LEN [nodad]    addr-del IF ADDR/LEN
 *   route-workload IP IF [replace]  route-workload-del IP IF
 *   route-defaults IF 4|6
 *   route-blackhole CIDR            route-blackhole-del CIDR
 *   route-via-onlink CIDR GW IF     route-via-onlink-del CIDR GW IF
 *   route-list [4|6|0] [PROTO|any]  (one route a line, ip-route style)
 *   neigh-add IF IP MAC   neigh-del IF IP
 *   fdb-append IF MAC DST fdb-del IF MAC DST
 *   sysctl-host IF [4] [6]  sysctl-get REL  sysctl-set REL VALUE
 *   ifname ENDPOINT_ID
 *   attach NSPATH HOSTIF CONTIF MTU IP...     detach HOSTIF
 *   time-attach N NSPATH HOSTIF CONTIF MTU IP...
 *       attach+detach N times; prints "attach_us median min max" and
 *       "detach_us median min max"
 * Exit: 0 ok, 1 operation failed (message on stderr), 2 usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netlink/net_sysctl.h"
#include "netlink/netns.h"
#include "netlink/nl.h"
#include "workload/workload_net.h"

static int parse_ip(const char *text, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = 6;
		return 0;
	}
	fprintf(stderr, "nltool: bad address %s\n", text);
	return -EINVAL;
}

/* Keeps host bits: "10.0.0.5/32", "10.65.0.0/26". */
static int parse_cidr(const char *text, struct cidr *out)
{
	char buf[64];
	char *slash, *end;

	snprintf(buf, sizeof(buf), "%s", text);
	if (!(slash = strchr(buf, '/'))) {
		fprintf(stderr, "nltool: %s: want ADDR/LEN\n", text);
		return -EINVAL;
	}
	*slash = '\0';
	if (parse_ip(buf, &out->addr) < 0)
		return -EINVAL;
	long len = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || len < 0 || len > (out->addr.family == 4 ? 32 : 128)) {
		fprintf(stderr, "nltool: bad prefix length in %s\n", text);
		return -EINVAL;
	}
	out->prefix = (int)len;
	return 0;
}

static int parse_mac(const char *text, uint8_t mac[6])
{
	char tail;
	if (sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5], &tail) != 6) {
		fprintf(stderr, "nltool: bad MAC %s\n", text);
		return -EINVAL;
	}
	return 0;
}

static int parse_uint(const char *text, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || v > 0xffffffffUL) {
		fprintf(stderr, "nltool: bad number %s\n", text);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: nltool [-n NSPATH] COMMAND ARGS... (see the comment at the top of nltool.c)\n");
	return 2;
}

/* ---- netlink commands ---- */

static int print_links(struct nl *nl, const char *prefix)
{
	struct nl_link_list l;
	int rc = nl_link_list_prefix(nl, prefix, &l);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l.n; i++) {
		const struct nl_link *k = &l.items[i];
		printf("%s %d %u %s", k->name, k->ifindex, k->mtu, k->flags & IFF_UP ? "up" : "down");
		if (k->has_mac)
			printf(" %02x:%02x:%02x:%02x:%02x:%02x", k->mac[0], k->mac[1], k->mac[2], k->mac[3],
			       k->mac[4], k->mac[5]);
		printf("\n");
	}
	nl_link_list_free(&l);
	return 0;
}

static int print_routes(struct nl *nl, int family, int proto)
{
	struct nl_route_list l;
	char line[160];
	int rc = nl_route_list(nl, family, proto, 0, &l);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l.n; i++)
		printf("%s\n", nl_route_format(&l.items[i], line, sizeof(line)));
	nl_route_list_free(&l);
	return 0;
}

#define NEED(n) do { if (argc != (n)) return -EINVAL - 1000; } while (0)
#define BAD_USAGE (-EINVAL - 1000)

/* Returns 0, -errno (message in nl), or BAD_USAGE. */
static int nl_command(struct nl *nl, int ns_fd, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct ip_addr ip, gw;
	struct cidr c;
	struct nl_route r;
	uint8_t mac[6];
	unsigned num;

	if (!strcmp(cmd, "veth-create")) {
		NEED(5);
		int peer_fd = -1, rc;
		if (parse_uint(argv[4], &num) < 0)
			return BAD_USAGE;
		if (strcmp(argv[3], "-") && (peer_fd = netns_open(argv[3])) < 0) {
			fprintf(stderr, "nltool: cannot open %s: %s\n", argv[3], strerror(-peer_fd));
			return 1;
		}
		rc = nl_veth_create(nl, argv[1], argv[2], peer_fd, num);
		if (peer_fd >= 0)
			close(peer_fd);
		return rc;
	}
	if (!strcmp(cmd, "link-del")) {
		NEED(2);
		return nl_link_del(nl, argv[1]);
	}
	if (!strcmp(cmd, "link-index")) {
		NEED(2);
		int idx, rc = nl_link_index(nl, argv[1], &idx);
		if (rc == 0)
			printf("%d\n", idx);
		return rc;
	}
	if (!strcmp(cmd, "link-list")) {
		if (argc > 2)
			return BAD_USAGE;
		return print_links(nl, argc == 2 ? argv[1] : "");
	}
	if (!strcmp(cmd, "link-mtu")) {
		NEED(3);
		if (parse_uint(argv[2], &num) < 0)
			return BAD_USAGE;
		return nl_link_set_mtu(nl, argv[1], num);
	}
	if (!strcmp(cmd, "link-up") || !strcmp(cmd, "link-down")) {
		NEED(2);
		return nl_link_set_up(nl, argv[1], !strcmp(cmd, "link-up"));
	}
	if (!strcmp(cmd, "link-rename")) {
		NEED(3);
		return nl_link_rename(nl, argv[1], argv[2]);
	}
	if (!strcmp(cmd, "addr-add") || !strcmp(cmd, "addr-del")) {
		bool add = !strcmp(cmd, "addr-add");
		if (argc != 3 && !(add && argc == 4 && !strcmp(argv[3], "nodad")))
			return BAD_USAGE;
		if (parse_cidr(argv[2], &c) < 0)
			return BAD_USAGE;
		return add ? nl_addr_add(nl, argv[1], &c, argc == 4 ? NL_ADDR_NODAD : 0)
			   : nl_addr_del(nl, argv[1], &c);
	}
	if (!strcmp(cmd, "route-workload") || !strcmp(cmd, "route-workload-del")) {
		bool del = !strcmp(cmd, "route-workload-del");
		if (argc != 3 && !(!del && argc == 4 && !strcmp(argv[3], "replace")))
			return BAD_USAGE;
		if (parse_ip(argv[1], &ip) < 0)
			return BAD_USAGE;
		nl_route_workload(&r, &ip, argv[2]);
		return del ? nl_route_del(nl, &r) : nl_route_add(nl, &r, argc == 4);
	}
	if (!strcmp(cmd, "route-defaults")) {
		NEED(3);
		if (parse_uint(argv[2], &num) < 0)
			return BAD_USAGE;
		return nl_route_workload_defaults(nl, argv[1], (int)num);
	}
	if (!strcmp(cmd, "route-blackhole") || !strcmp(cmd, "route-blackhole-del")) {
		NEED(2);
		if (parse_cidr(argv[1], &c) < 0)
			return BAD_USAGE;
		nl_route_blackhole(&r, &c);
		return strcmp(cmd, "route-blackhole") ? nl_route_del(nl, &r) : nl_route_add(nl, &r, false);
	}
	if (!strcmp(cmd, "route-via-onlink") || !strcmp(cmd, "route-via-onlink-del")) {
		NEED(4);
		if (parse_cidr(argv[1], &c) < 0 || parse_ip(argv[2], &gw) < 0)
			return BAD_USAGE;
		nl_route_via_onlink(&r, &c, &gw, argv[3]);
		return strcmp(cmd, "route-via-onlink") ? nl_route_del(nl, &r) : nl_route_add(nl, &r, false);
	}
	if (!strcmp(cmd, "route-list")) {
		unsigned fam = 0;
		int proto = -1;
		if (argc > 3 || (argc >= 2 && parse_uint(argv[1], &fam) < 0))
			return BAD_USAGE;
		if (argc == 3 && strcmp(argv[2], "any")) {
			if (parse_uint(argv[2], &num) < 0 || num > 255)
				return BAD_USAGE;
			proto = (int)num;
		}
		return print_routes(nl, (int)fam, proto);
	}
	if (!strcmp(cmd, "neigh-add")) {
		NEED(4);
		if (parse_ip(argv[2], &ip) < 0 || parse_mac(argv[3], mac) < 0)
			return BAD_USAGE;
		return nl_neigh_add(nl, argv[1], &ip, mac);
	}
	if (!strcmp(cmd, "neigh-del")) {
		NEED(3);
		if (parse_ip(argv[2], &ip) < 0)
			return BAD_USAGE;
		return nl_neigh_del(nl, argv[1], &ip);
	}
	if (!strcmp(cmd, "fdb-append") || !strcmp(cmd, "fdb-del")) {
		NEED(4);
		if (parse_mac(argv[2], mac) < 0 || parse_ip(argv[3], &ip) < 0)
			return BAD_USAGE;
		return strcmp(cmd, "fdb-del") ? nl_fdb_append(nl, argv[1], mac, &ip)
					      : nl_fdb_del(nl, argv[1], mac, &ip);
	}
	(void)ns_fd;
	return BAD_USAGE;
}

static bool is_nl_command(const char *cmd)
{
	static const char *const prefixes[] = { "veth-", "link-", "addr-", "route-", "neigh-", "fdb-" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(cmd, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* ---- composite commands (run inside the namespace) ---- */

struct composite {
	int argc;
	char **argv;
};

static int parse_ips(int n, char **texts, struct ip_addr *out)
{
	for (int i = 0; i < n; i++)
		if (parse_ip(texts[i], &out[i]) < 0)
			return -EINVAL;
	return 0;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void print_stats(const char *name, int64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	printf("%s %lld %lld %lld\n", name, (long long)v[n / 2], (long long)v[0], (long long)v[n - 1]);
}

static int time_attach(int argc, char **argv, char *err, size_t errlen)
{
	/* time-attach N NSPATH HOSTIF CONTIF MTU IP... */
	unsigned n, mtu;
	int rc = 0;
	if (argc < 7 || parse_uint(argv[1], &n) < 0 || n == 0 || n > 100000 || parse_uint(argv[5], &mtu) < 0)
		return BAD_USAGE;
	int nips = argc - 6;
	struct ip_addr ips[nips];
	if (parse_ips(nips, argv + 6, ips) < 0)
		return BAD_USAGE;
	int64_t *att = calloc(n, sizeof(*att)), *det = calloc(n, sizeof(*det));
	if (!att || !det) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		int64_t t0 = now_us();
		if ((rc = workload_attach(argv[2], argv[3], argv[4], ips, nips, mtu, err, errlen)) < 0)
			goto out;
		int64_t t1 = now_us();
		if ((rc = workload_detach(argv[3], err, errlen)) < 0)
			goto out;
		att[i] = t1 - t0;
		det[i] = now_us() - t1;
	}
	print_stats("attach_us", att, (int)n);
	print_stats("detach_us", det, (int)n);
out:
	free(att);
	free(det);
	return rc;
}

static int run_composite(void *arg)
{
	struct composite *c = arg;
	int argc = c->argc;
	char **argv = c->argv;
	const char *cmd = argv[0];
	char err[512] = "";
	int rc;

	if (!strcmp(cmd, "attach")) {
		unsigned mtu;
		if (argc < 5 || parse_uint(argv[4], &mtu) < 0)
			return BAD_USAGE;
		int nips = argc - 5;
		struct ip_addr ips[nips > 0 ? nips : 1];
		if (parse_ips(nips, argv + 5, ips) < 0)
			return BAD_USAGE;
		rc = workload_attach(argv[1], argv[2], argv[3], ips, nips, mtu, err, sizeof(err));
	} else if (!strcmp(cmd, "detach")) {
		if (argc != 2)
			return BAD_USAGE;
		rc = workload_detach(argv[1], err, sizeof(err));
	} else if (!strcmp(cmd, "time-attach")) {
		rc = time_attach(argc, argv, err, sizeof(err));
	} else if (!strcmp(cmd, "sysctl-host")) {
		bool v4 = false, v6 = false;
		if (argc < 2)
			return BAD_USAGE;
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "4"))
				v4 = true;
			else if (!strcmp(argv[i], "6"))
				v6 = true;
			else
				return BAD_USAGE;
		}
		if (argc == 2)
			v4 = v6 = true;
		rc = net_sysctl_workload_host(-1, argv[1], v4, v6, err, sizeof(err));
	} else if (!strcmp(cmd, "sysctl-get")) {
		char val[256];
		if (argc != 2)
			return BAD_USAGE;
		if ((rc = net_sysctl_read(-1, argv[1], val, sizeof(val), err, sizeof(err))) == 0)
			printf("%s\n", val);
	} else if (!strcmp(cmd, "sysctl-set")) {
		if (argc != 3)
			return BAD_USAGE;
		rc = net_sysctl_write(-1, argv[1], argv[2], err, sizeof(err));
	} else if (!strcmp(cmd, "ifname")) {
		char name[IFNAMSIZ];
		if (argc != 2)
			return BAD_USAGE;
		if ((rc = workload_host_ifname(argv[1], name)) == 0)
			printf("%s\n", name);
		else
			snprintf(err, sizeof(err), "bad endpoint id \"%s\"", argv[1]);
	} else {
		return BAD_USAGE;
	}
	if (rc < 0 && rc != BAD_USAGE)
		fprintf(stderr, "nltool: %s\n", err[0] ? err : strerror(-rc));
	return rc;
}

int main(int argc, char **argv)
{
	const char *ns_path = NULL;
	int ns_fd = -1, rc;

	if (argc >= 3 && !strcmp(argv[1], "-n")) {
		ns_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return usage();
	if (ns_path && (ns_fd = netns_open(ns_path)) < 0) {
		fprintf(stderr, "nltool: cannot open %s: %s\n", ns_path, strerror(-ns_fd));
		return 1;
	}
	if (is_nl_command(argv[1])) {
		struct nl *nl;
		char err[NL_ERR_MAX];
		if ((rc = nl_open(&nl, ns_fd, err, sizeof(err))) < 0) {
			fprintf(stderr, "nltool: %s\n", err);
		} else {
			rc = nl_command(nl, ns_fd, argc - 1, argv + 1);
			if (rc < 0 && rc != BAD_USAGE)
				fprintf(stderr, "nltool: %s\n", nl_strerror(nl));
			nl_close(nl);
		}
	} else {
		struct composite c = { argc - 1, argv + 1 };
		rc = netns_run(ns_fd, run_composite, &c);
	}
	if (ns_fd >= 0)
		close(ns_fd);
	if (rc == BAD_USAGE)
		return usage();
	return rc == 0 ? 0 : 1;
}
