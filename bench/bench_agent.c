/* bench_agent: time from a profile change in the datastore to the kernel
 * having it, as seen through a running calico-node. Run inside the agent's
 * network namespace (its /metrics is on that namespace's 127.0.0.1).
 *
 *   bench_agent PROFILE ROUNDS [PORT]
 *
 * Each round rewrites PROFILE's rules (a new port, so the chain changes) and
 * times two things from the moment the datastore write is issued:
 *   - the kernel's: the first new nf_tables generation in this namespace
 *     (NFT_MSG_NEWGEN on the nftables multicast group), i.e. the commit that
 *     carried the change: median_ms, p90_ms, max_ms, min_ms;
 *   - the agent's own count: /metrics polled every 0.2 ms until
 *     calico_nft_applies_total grows (after libnftables returned and freed
 *     what it read): applied_median_ms.
 * and the write itself (put_median_ms). Prints one JSON line, milliseconds.
 * Without the multicast group (not root), median_ms is the applied figure.
 *
 * PROFILE "join:TAG": each round adds instead an endpoint of another host
 * (hjoin) carrying profile TAG, so one address joins a tag set in use here.
 *
 * PROFILE "gnp:NAME": each round rewrites the stored GlobalNetworkPolicy NAME
 * (its first ingress rule's destination ports become [30000 + round]), the
 * rest of its canonical JSON as it was.
 *
 * PROFILE "label:HOST:PREFIX:GROUPS": each round moves endpoint e<PREFIX>x<round>
 * of HOST (nodetool seed-labelled) from label grp=g<n> to g<(n + 1) % GROUPS>,
 * so its address leaves one rule selector's set and joins another's.
 *
 * BENCH_AGENT_TIMEOUT_MS (default 5000) bounds one round's wait. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "datastore/datastore.h"
#include "model/keys.h"
#include "store/resource_store.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* calico_nft_applies_total, or -1 when /metrics is unreachable. */
static long applies(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char buf[1 << 16];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	size_t len = 0;
	ssize_t n;
	long v = -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	const char *p = strstr(buf, "\ncalico_nft_applies_total ");
	if (p)
		v = strtol(p + strlen("\ncalico_nft_applies_total "), NULL, 10);
out:
	if (fd >= 0)
		close(fd);
	return v;
}

/* The new value of a read-modify-write round (gnp: and label: modes), malloc'd;
 * NULL with a message on stderr. */
static char *rewrite(struct ds *ds, const char *key, bool gnp, int round, int groups)
{
	struct ds_kv old = { 0 };
	char *out = NULL;
	json_error_t jerr;
	json_t *t = NULL, *v;

	if (ds_get(ds, key, &old) < 0) {
		fprintf(stderr, "bench_agent: %s: %s\n", key, ds_strerror(ds));
		goto out;
	}
	if (!(t = json_loads(old.value, 0, &jerr))) {
		fprintf(stderr, "bench_agent: %s: %s\n", key, jerr.text);
		goto out;
	}
	if (gnp) {
		v = json_object_get(json_array_get(json_object_get(json_object_get(t, "spec"), "ingress"), 0),
				    "destination");
		if (!json_is_object(v) || json_object_set_new(v, "ports", json_pack("[i]", 30000 + round)) < 0) {
			fprintf(stderr, "bench_agent: %s: no spec.ingress[0].destination\n", key);
			goto out;
		}
	} else {
		const char *g = json_string_value(json_object_get(json_object_get(t, "labels"), "grp"));
		char next[32];
		if (!g || g[0] != 'g') {
			fprintf(stderr, "bench_agent: %s: no label grp=g<n>\n", key);
			goto out;
		}
		snprintf(next, sizeof(next), "g%d", (atoi(g + 1) + 1) % groups);
		json_object_set_new(json_object_get(t, "labels"), "grp", json_string(next));
	}
	out = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(t);
	ds_kv_free(&old);
	return out;
}

/* The nftables multicast group of this namespace, non-blocking; NULL when
 * it cannot be joined. */
static struct mnl_socket *kernel_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK);
	int big = 1 << 22;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 1 << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* a full program's notifications overflow it: ENOBUFS, then read on */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return nl;
}

/* Reads what is queued; true when a new generation was among it. */
static bool kernel_drain(struct mnl_socket *nl)
{
	static char buf[1 << 16];
	bool gen = false;
	ssize_t n;

	while ((n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == ENOBUFS)) {
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; n > 0 && mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left))
			gen |= NFNL_SUBSYS_ID(h->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
			       NFNL_MSG_TYPE(h->nlmsg_type) == NFT_MSG_NEWGEN;
	}
	return gen;
}

/* Waits up to timeout_ms for a new generation; true when one came. */
static bool kernel_wait(struct mnl_socket *nl, double timeout_ms)
{
	double t0 = now_ms(), left;
	struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };

	while ((left = timeout_ms - (now_ms() - t0)) > 0) {
		if (poll(&p, 1, (int)left + 1) > 0 && kernel_drain(nl))
			return true;
	}
	return false;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct ds *ds;
	char err[512], key[KEY_MAX], value[512];
	int rounds, port = argc > 3 ? atoi(argv[3]) : 9099, timeouts = 0, rc = 1;
	double *ms, *applied_ms, *put_ms;
	struct mnl_socket *nl = NULL;

	if (argc < 3 || (rounds = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench_agent PROFILE ROUNDS [PORT]\n");
		return 2;
	}
	if (ds_open_env(&ds, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_agent: %s\n", err);
		return 1;
	}
	ms = calloc((size_t)rounds, sizeof(*ms));
	applied_ms = calloc((size_t)rounds, sizeof(*ms));
	put_ms = calloc((size_t)rounds, sizeof(*ms));
	if (!ms || !applied_ms || !put_ms)
		goto out;
	nl = kernel_open();
	const char *join = strncmp(argv[1], "join:", 5) == 0 ? argv[1] + 5 : NULL;
	bool gnp = strncmp(argv[1], "gnp:", 4) == 0, label = strncmp(argv[1], "label:", 6) == 0;
	char lhost[128] = "";
	int lprefix = 0, groups = 0;
	const char *tmo = getenv("BENCH_AGENT_TIMEOUT_MS");
	double timeout_ms = tmo && atoi(tmo) > 0 ? atoi(tmo) : 5000;
	if (label && (sscanf(argv[1] + 6, "%127[^:]:%d:%d", lhost, &lprefix, &groups) != 3 || groups < 1)) {
		fprintf(stderr, "bench_agent: label:HOST:PREFIX:GROUPS expected, not %s\n", argv[1]);
		rc = 2;
		goto out;
	}
	key_profile_rules(key, argv[1]);
	for (int i = 0; i < rounds; i++) {
		long before = applies(port), now = before;
		if (before < 0) {
			fprintf(stderr, "bench_agent: no /metrics on 127.0.0.1:%d\n", port);
			goto out;
		}
		snprintf(value, sizeof(value),
			 "{\"id\":\"%s\",\"inbound_rules\":[{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[%d]}],"
			 "\"outbound_rules\":[{\"action\":\"allow\"}]}",
			 argv[1], 10000 + i);
		if (join) {
			char id[32];
			snprintf(id, sizeof(id), "j%d", i);
			key_endpoint(key, "hjoin", "bench", id, id);
			snprintf(value, sizeof(value),
				 "{\"state\":\"active\",\"name\":\"calij%d\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[\"%s\"],"
				 "\"ipv4_nets\":[\"10.250.%d.%d/32\"],\"ipv6_nets\":[],\"labels\":{}}",
				 i, join, i / 250, i % 250 + 1);
		}
		char *rewritten = NULL;
		if (gnp || label) {
			char id[32];
			snprintf(id, sizeof(id), "e%dx%d", lprefix, i);
			if (gnp)
				snprintf(key, sizeof(key), V3_KEY_PREFIX "globalnetworkpolicies/%s", argv[1] + 4);
			else
				key_endpoint(key, lhost, "bench", id, id);
			if (!(rewritten = rewrite(ds, key, gnp, i, groups)))
				goto out;
		}
		if (nl)
			kernel_drain(nl); /* an earlier commit is not this change's */
		double t_put = now_ms();
		int put = ds_put(ds, key, rewritten ? rewritten : value);
		free(rewritten);
		if (put < 0) {
			fprintf(stderr, "bench_agent: put: %s\n", ds_strerror(ds));
			goto out;
		}
		double t0 = now_ms();
		put_ms[i] = t0 - t_put;
		bool in_kernel = nl ? kernel_wait(nl, timeout_ms) : true;
		double t_kernel = now_ms();
		while (now <= before && now_ms() - t0 < timeout_ms) {
			usleep(200);
			now = applies(port);
		}
		applied_ms[i] = now_ms() - t_put;
		ms[i] = nl ? t_kernel - t_put : applied_ms[i];
		timeouts += now <= before || !in_kernel;
		usleep(20000); /* let the agent go idle between rounds */
	}
	qsort(ms, (size_t)rounds, sizeof(*ms), cmp_d);
	qsort(applied_ms, (size_t)rounds, sizeof(*ms), cmp_d);
	qsort(put_ms, (size_t)rounds, sizeof(*ms), cmp_d);
	printf("{\"rounds\":%d,\"median_ms\":%.2f,\"p90_ms\":%.2f,\"max_ms\":%.2f,\"min_ms\":%.2f,\"timeouts\":%d,"
	       "\"applied_median_ms\":%.2f,\"put_median_ms\":%.2f,\"seen_by\":\"%s\"}\n",
	       rounds, ms[rounds / 2], ms[(rounds * 9) / 10], ms[rounds - 1], ms[0], timeouts, applied_ms[rounds / 2],
	       put_ms[rounds / 2], nl ? "kernel" : "metrics");
	rc = 0;
out:
	free(ms);
	free(applied_ms);
	free(put_ms);
	if (nl)
		mnl_socket_close(nl);
	ds_close(ds);
	return rc;
}
