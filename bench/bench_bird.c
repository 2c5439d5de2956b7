/* BIRD config rendering cost: a mesh of N hosts (each with an address and a
 * block), this host with E local endpoints in blocks of its own except a
 * tenth borrowed from another host's block, the
 * text rendered R times. Writes the text to OUT (for bench/sections/bird.sh,
 * which times BIRD parsing and reloading it) and prints one JSON line:
 *   bench_bird HOSTS ENDPOINTS OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bgp/bird_conf.h"
#include "agent/node_cache.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_bird HOSTS ENDPOINTS OUT\n");
		return 2;
	}
	int hosts = atoi(argv[1]), eps = atoi(argv[2]);
	struct node_cache c;
	char key[512], val[512];
	node_cache_init(&c);
	node_cache_put(&c, "/calico/v1/ipam/v4/pool/10.0.0.0-8", "{\"cidr\":\"10.0.0.0/8\",\"masquerade\":false}");
	for (int h = 0; h < hosts; h++) {
		snprintf(key, sizeof(key), "/calico/bgp/v1/host/h%d/ip_addr_v4", h);
		snprintf(val, sizeof(val), "172.16.%d.%d", h / 250, h % 250 + 1);
		node_cache_put(&c, key, val);
		snprintf(key, sizeof(key), "/calico/ipam/v2/host/h%d/ipv4/block/10.%d.%d.0-26", h, h / 256, h % 256);
		node_cache_put(&c, key, "{}");
	}
	/* h0's own endpoints fill blocks 10.250.x.y/26 of its own */
	for (int b = 0; b < (eps + 63) / 64; b++) {
		snprintf(key, sizeof(key), "/calico/ipam/v2/host/h0/ipv4/block/10.250.%d.%d-26", b / 4, b % 4 * 64);
		node_cache_put(&c, key, "{}");
	}
	for (int e = 0; e < eps; e++) {
		/* every tenth is borrowed from h1's block 10.0.1.0/26 */
		char addr[32];
		if (e % 10 == 9)
			snprintf(addr, sizeof(addr), "10.0.1.%d", e / 10 % 64);
		else
			snprintf(addr, sizeof(addr), "10.250.%d.%d", e / 256 % 256, e % 256);
		snprintf(key, sizeof(key), "/calico/v1/host/h0/workload/bench/w%d/endpoint/e%d", e, e);
		snprintf(val, sizeof(val),
			 "{\"state\":\"active\",\"name\":\"cali%d\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[],"
			 "\"ipv4_nets\":[\"%s/32\"],\"ipv6_nets\":[],\"labels\":{}}",
			 e, addr);
		node_cache_put(&c, key, val);
	}
	struct bird_conf_opts opt = { .log_path = "/var/log/calico/bird.log" };
	char *text = NULL, err[256];
	enum { RUNS = 21 };
	double t[RUNS];
	for (int r = 0; r < RUNS; r++) {
		free(text);
		double t0 = now_ms();
		if (bird_conf_render(&c, "h0", &opt, &text, err, sizeof(err)) < 0) {
			fprintf(stderr, "render: %s\n", err);
			return 1;
		}
		t[r] = now_ms() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	FILE *f = fopen(argv[3], "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(argv[3]);
		return 1;
	}
	printf("{\"hosts\":%d,\"endpoints\":%d,\"render_ms\":%.3f,\"render_min_ms\":%.3f,\"bytes\":%zu}\n", hosts, eps,
	       t[RUNS / 2], t[0], strlen(text));
	free(text);
	node_cache_free(&c);
	return 0;
}
