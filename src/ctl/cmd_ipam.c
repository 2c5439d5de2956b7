/* calicoctl ipam: release, info (Calico's), show and gc (a leak collector). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "store/endpoint_store.h"
#include "ipam/ipam.h"
#include "ipam/ipam_check.h"
#include "model/keys.h"
#include "store/pool_store.h"
#include "table.h"

#define GC_DEFAULT_GRACE 600 /* seconds: an endpoint is written after its address is assigned */

static int parse_ip(const char *text, struct ip_addr *ip)
{
	if (ip_parse(text, ip) < 0)
		return ctl_error("%s is not a valid IP address.", text);
	return 0;
}

static int ipam_release_cmd(const char *text)
{
	struct ip_addr ip;
	char err[512], canon[IP_STR_MAX];
	bool released = false;
	struct ds *ds;

	if (parse_ip(text, &ip) || !(ds = ctl_ds()))
		return 1;
	if (ipam_release(ds, &ip, 1, &released, err, sizeof(err)) < 0)
		return ctl_error("Error: %s", err);
	if (!released)
		return ctl_error("IP address %s is not currently assigned", ip_format(&ip, canon));
	printf("Address successfully released\n");
	return 0;
}

static int ipam_info_cmd(const char *text)
{
	struct ip_addr ip;
	char err[512], canon[IP_STR_MAX], *attrs = NULL;
	struct ds *ds;

	if (parse_ip(text, &ip) || !(ds = ctl_ds()))
		return 1;
	int rc = ipam_ip_info(ds, &ip, &attrs, err, sizeof(err));
	if (rc == -ENOENT)
		return ctl_error("IP address %s is not currently assigned", ip_format(&ip, canon));
	if (rc < 0)
		return ctl_error("Error: %s", err);
	printf("IP %s is in use with attributes: %s\n", ip_format(&ip, canon), attrs);
	free(attrs);
	return 0;
}

/* ---- show ---- */

/* Free addresses of a range of `size` addresses (2^size_bits when size_bits
 * is given, else `size`): an IPv6 pool of /64 or wider holds more than a
 * uint64_t counts, so this is done in 128 bits (and ::/0's 2^128 by hand). */
static const char *free_text(int size_bits, uint64_t size, uint64_t used, char buf[48])
{
	if (size_bits >= 128 && used == 0)
		return "340282366920938463463374607431768211456";
	unsigned __int128 n = size_bits >= 128 ? ~(unsigned __int128)0 - (used - 1)
			    : size_bits >= 0  ? ((unsigned __int128)1 << size_bits) - used
					      : (unsigned __int128)size - used;
	char *p = buf + 47;
	*p = '\0';
	do {
		*--p = (char)('0' + (int)(n % 10));
		n /= 10;
	} while (n);
	return p;
}

static int add_row(struct table *t, const char *pool, const char *block, const char *host, uint64_t used,
		   const char *free_)
{
	char u[24];
	snprintf(u, sizeof(u), "%" PRIu64, used);
	const char *cells[] = { pool, block, host, u, free_ };
	return table_add_row(t, cells);
}

/* The blocks of one pool (or of no pool, when pool is NULL), then its totals. */
static int show_pool(struct table *t, const struct cidr *pool, const struct pool_entry *pools, size_t n_pools,
		     const struct ipam_block_entry *blocks, size_t n_blocks)
{
	char ptext[CIDR_STR_MAX + 16], btext[CIDR_STR_MAX], summary[64], hosts_text[32], ftext[48];
	const char *hosts[4096];
	size_t n_hosts = 0, n_in = 0;
	uint64_t used = 0;
	int rc = 0;

	if (pool)
		cidr_format(pool, ptext);
	else
		snprintf(ptext, sizeof(ptext), "(removed pool)");
	for (size_t i = 0; i < n_blocks && rc == 0; i++) {
		const struct ipam_block *b = &blocks[i].block;
		bool in = false;
		if (pool) {
			in = cidr_contains_cidr(pool, &b->cidr);
		} else {
			in = true;
			for (size_t p = 0; p < n_pools; p++)
				in &= !cidr_contains_cidr(&pools[p].pool.cidr, &b->cidr);
		}
		if (!in)
			continue;
		const char *h = ipam_block_host(b);
		bool seen = !h;
		for (size_t k = 0; k < n_hosts && !seen; k++)
			seen = strcmp(hosts[k], h) == 0;
		if (!seen && n_hosts < sizeof(hosts) / sizeof(hosts[0]))
			hosts[n_hosts++] = h;
		n_in++;
		used += ipam_block_used(b);
		rc = add_row(t, ptext, cidr_format(&b->cidr, btext), h ? h : "(none)", ipam_block_used(b),
			     free_text(-1, IPAM_BLOCK_SIZE, ipam_block_used(b), ftext));
	}
	if (rc < 0 || (!pool && n_in == 0))
		return rc;
	snprintf(summary, sizeof(summary), "(%zu block%s)", n_in, n_in == 1 ? "" : "s");
	snprintf(hosts_text, sizeof(hosts_text), "(%zu host%s)", n_hosts, n_hosts == 1 ? "" : "s");
	/* A pool: all its addresses; blocks of removed pools: only what they hold. */
	int bits = pool ? (pool->addr.family == 4 ? 32 : 128) - pool->prefix : -1;
	return add_row(t, ptext, summary, hosts_text, used, free_text(bits, n_in * IPAM_BLOCK_SIZE, used, ftext));
}

static int ipam_show_cmd(void)
{
	const char *headers[] = { "Pool", "Block", "Affine host", "Used", "Free" };
	struct pool_entry *pools = NULL;
	struct ipam_block_entry *blocks = NULL;
	size_t n_pools = 0, n_blocks = 0;
	char err[512];
	struct ds *ds = ctl_ds();
	int rc;

	if (!ds)
		return 1;
	if ((rc = pool_list(ds, 0, &pools, &n_pools)) < 0)
		return ctl_ds_error("listing pools", rc);
	if ((rc = ipam_block_list(ds, 0, &blocks, &n_blocks, err, sizeof(err))) < 0) {
		free(pools);
		return ctl_error("Error: %s", err);
	}
	struct table *t = table_new(5, headers);
	rc = t ? 0 : -ENOMEM;
	for (size_t p = 0; p < n_pools && rc == 0; p++)
		rc = show_pool(t, &pools[p].pool.cidr, pools, n_pools, blocks, n_blocks);
	if (rc == 0)
		rc = show_pool(t, NULL, pools, n_pools, blocks, n_blocks);
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	ipam_block_entries_free(blocks, n_blocks);
	free(pools);
	return rc < 0 ? ctl_error("Error: out of memory") : 0;
}

/* ---- gc ---- */

static bool held_by_endpoint(const struct endpoint_entry *eps, size_t n, const struct ip_addr *ip)
{
	for (size_t i = 0; i < n; i++) {
		const struct endpoint *e = &eps[i].ep;
		const struct cidr *nets = ip->family == 6 ? e->ipv6_nets : e->ipv4_nets;
		size_t n_nets = ip->family == 6 ? e->n_ipv6_nets : e->n_ipv4_nets;
		for (size_t k = 0; k < n_nets; k++)
			if (cidr_contains(&nets[k], ip))
				return true;
	}
	return false;
}

static void print_freed_block(void *arg, const struct ipam_block *b)
{
	char text[CIDR_STR_MAX];
	const char *host = ipam_block_host(b);
	printf("%s empty block %s (%s%s)\n", *(const bool *)arg ? "Would free" : "Freed", cidr_format(&b->cidr, text),
	       host ? "host " : "no affinity", host ? host : "");
}

/* After the leaked addresses: the empty blocks no host needs (a host keeps
 * its last block, so that it does not get back an address it just released). */
static int gc_blocks(struct ds *ds, bool dry_run)
{
	char err[512];
	size_t n = 0;
	if (ipam_free_empty_blocks(ds, dry_run, print_freed_block, &dry_run, &n, err, sizeof(err)) < 0)
		return ctl_error("Error: %s", err);
	if (n)
		printf("%s %zu empty block%s.\n", dry_run ? "Would free" : "Freed", n, n == 1 ? "" : "s");
	return 0;
}

static int ipam_gc_cmd(bool dry_run, long grace)
{
	struct endpoint_entry *eps = NULL;
	struct ipam_block_entry *blocks = NULL;
	size_t n_eps = 0, n_blocks = 0, n_done = 0;
	char err[512];
	struct ds *ds = ctl_ds();
	int rc, status = 0;

	if (!ds)
		return 1;
	if ((rc = endpoint_list(ds, NULL, &eps, &n_eps)) < 0)
		return ctl_ds_error("listing endpoints", rc);
	if ((rc = ipam_block_list(ds, 0, &blocks, &n_blocks, err, sizeof(err))) < 0) {
		endpoint_entries_free(eps, n_eps);
		return ctl_error("Error: %s", err);
	}
	/* Only allocations at least `grace` old: a fresh one may not have its endpoint yet. */
	time_t cutoff = time(NULL) - grace;
	for (size_t i = 0; i < n_blocks && status == 0; i++) {
		const struct ipam_block *b = &blocks[i].block;
		for (int o = 0; o < IPAM_BLOCK_SIZE && status == 0; o++) {
			const struct ipam_attr *a = ipam_block_attr(b, o);
			struct ip_addr ip;
			char text[IP_STR_MAX];
			if (!a || ipam_attr_created(a) > cutoff)
				continue;
			ipam_block_addr(b, o, &ip);
			if (held_by_endpoint(eps, n_eps, &ip))
				continue;
			const char *h = a->handle_id ? a->handle_id : "(none)";
			if (dry_run) {
				printf("Would release %s (handle %s)\n", ip_format(&ip, text), h);
				n_done++;
				continue;
			}
			rc = ipam_release_if(ds, &ip, a->handle_id, cutoff + 1, err, sizeof(err));
			if (rc == 0) {
				printf("Released %s (handle %s)\n", ip_format(&ip, text), h);
				n_done++;
			} else if (rc != -ENOENT) { /* -ENOENT: released or re-assigned meanwhile */
				status = ctl_error("Error: %s", err);
			}
		}
	}
	if (status == 0)
		printf("%s %zu leaked address%s.\n", dry_run ? "Would release" : "Released", n_done,
		       n_done == 1 ? "" : "es");
	ipam_block_entries_free(blocks, n_blocks);
	endpoint_entries_free(eps, n_eps);
	return status ? status : gc_blocks(ds, dry_run);
}

/* ---- check ---- */

/* The part of a listing under prefix, as a list of its own (no copies: the
 * listing is sorted, so the keys under a prefix are one run). */
static struct ds_kv_list sub_list(const struct ds_kv_list *all, const char *prefix)
{
	struct ds_kv_list sub = { .rev = all->rev };
	size_t len = strlen(prefix), i = 0;
	while (i < all->n && strncmp(all->items[i].key, prefix, len) < 0)
		i++;
	sub.items = all->items + i;
	while (i + sub.n < all->n && strncmp(all->items[i + sub.n].key, prefix, len) == 0)
		sub.n++;
	return sub;
}

static void print_problem(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

/* One listing of /calico/ (one revision, so a snapshot even while others
 * write), checked by ipam_check_run. Exit 0 when clean, 1 when not. */
static int ipam_check_cmd(void)
{
	struct ds_kv_list all = { 0 };
	struct ipam_check_summary s;
	struct ds *ds = ctl_ds();
	int rc;

	if (!ds)
		return 1;
	if ((rc = ds_list(ds, "/calico/", &all)) < 0)
		return ctl_ds_error("reading the datastore", rc);
	struct ds_kv_list handles = sub_list(&all, KEY_HANDLE_PREFIX), markers = sub_list(&all, KEY_IPAM_HOST_PREFIX);
	struct ds_kv_list eps = sub_list(&all, KEY_HOST_PREFIX);
	/* Both families' blocks are one run too: ".../ipv4/block/" and ".../ipv6/block/" are neighbours. */
	struct ds_kv_list blocks = sub_list(&all, "/calico/ipam/v2/assignment/");
	struct ipam_check_input in = { .blocks = &blocks, .handles = &handles, .markers = &markers, .endpoints = &eps };
	rc = ipam_check_run(&in, print_problem, NULL, &s);
	ds_kv_list_free(&all);
	if (rc < 0)
		return ctl_error("Error: out of memory");
	printf("Checked %zu block%s, %zu handle%s, %zu affinity marker%s, %zu endpoint%s: %zu allocated address%s, "
	       "%zu held by no endpoint; %zu problem%s.\n",
	       s.blocks, s.blocks == 1 ? "" : "s", s.handles, s.handles == 1 ? "" : "s", s.markers,
	       s.markers == 1 ? "" : "s", s.endpoints, s.endpoints == 1 ? "" : "s", s.allocated,
	       s.allocated == 1 ? "" : "es", s.unused, s.problems, s.problems == 1 ? "" : "s");
	return s.problems ? 1 : 0;
}

int cmd_ipam(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--dry-run" }, { .spec = "--grace=" } };
	if (ctl_take_options("ipam", &argc, argv, opts, 2))
		return 1;
	bool gc_opts = opts[0].present || opts[1].present;

	if (argc == 2 && strcmp(argv[0], "release") == 0 && !gc_opts)
		return ipam_release_cmd(argv[1]);
	if (argc == 2 && strcmp(argv[0], "info") == 0 && !gc_opts)
		return ipam_info_cmd(argv[1]);
	if (argc == 1 && strcmp(argv[0], "show") == 0 && !gc_opts)
		return ipam_show_cmd();
	if (argc == 1 && strcmp(argv[0], "check") == 0 && !gc_opts)
		return ipam_check_cmd();
	if (argc == 1 && strcmp(argv[0], "gc") == 0) {
		long grace = GC_DEFAULT_GRACE;
		if (opts[1].present && ctl_parse_int(opts[1].value, 0, 100L * 365 * 86400, &grace) < 0)
			return ctl_error("--grace=%s is not a number of seconds.", opts[1].value);
		return ipam_gc_cmd(opts[0].present, grace);
	}
	return ctl_usage("ipam");
}
