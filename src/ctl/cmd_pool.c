/* calicoctl pool: add, remove, range add, show. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipam/ipam.h"
#include "kernel_features.h"
#include "model/keys.h"
#include "store/pool_store.h"
#include "table.h"

#define POOL_TRIES 10
#define MAX_POOLS_AT_ONCE 256

/* Ranges no pool may overlap: containers cannot live there. */
static const char *const reserved_ranges[] = {
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "::ffff:0:0/96", "fe80::/10", "ff00::/8",
};

static int check_pool_cidr(const char *text, struct cidr *c)
{
	if (cidr_parse(text, false, false, c) < 0) {
		struct cidr masked;
		if (cidr_parse(text, false, true, &masked) == 0) {
			char want[CIDR_STR_MAX];
			return ctl_error("%s is not a valid IP prefix: host bits are set (did you mean %s?)", text,
					 cidr_format(&masked, want));
		}
		return ctl_error("%s is not a valid IP prefix.", text);
	}
	int longest = c->addr.family == 4 ? 26 : 122;
	if (c->prefix > longest)
		return ctl_error("Pool %s is too small: the longest prefix allowed is /26 for IPv4 and /122 for IPv6 "
				 "(one IPAM block).", text);
	for (size_t i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]); i++) {
		struct cidr r;
		if (cidr_parse(reserved_ranges[i], false, false, &r) == 0 && r.addr.family == c->addr.family &&
		    cidr_overlaps(&r, c))
			return ctl_error("Pool %s overlaps the reserved range %s.", text, reserved_ranges[i]);
	}
	return 0;
}

struct pool_flags {
	bool ipip, vxlan, nat;
};

static int check_flags(const struct pool_flags *f, const struct cidr *cidrs, size_t n)
{
	if (f->ipip && f->vxlan)
		return ctl_error("Choose one of --ipip and --vxlan, not both.");
	if (!f->ipip)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (cidrs[i].addr.family == 6)
			return ctl_error("IP-in-IP is only supported on IPv4 pools.");
	if (!kernel_has_ipip())
		return ctl_error("Cannot enable IP-in-IP: this kernel has no ipip module (not built in, and none can "
				 "be loaded); use --vxlan instead.");
	return 0;
}

/* Writes the pools (new ones created, same-CIDR ones updated) in one transaction. */
static int pools_write(const struct cidr *cidrs, size_t n, const struct pool_flags *f)
{
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	for (int attempt = 0; attempt < POOL_TRIES; attempt++) {
		struct pool_entry *have = NULL;
		size_t n_have = 0;
		struct ds_op ops[MAX_POOLS_AT_ONCE];
		char keys[MAX_POOLS_AT_ONCE][KEY_MAX];
		char *values[MAX_POOLS_AT_ONCE] = { 0 };
		int status = -1, rc = pool_list(ds, 0, &have, &n_have);
		if (rc < 0)
			return ctl_ds_error("listing pools", rc);
		for (size_t i = 0; i < n && status < 0; i++) {
			struct pool p = { .cidr = cidrs[i], .masquerade = f->nat, .ipip = f->ipip, .vxlan = f->vxlan };
			ops[i] = (struct ds_op){ .type = DS_OP_CAS, .key = pool_key(keys[i], &cidrs[i]) };
			/* The first overlap is the one reported: one line. */
			for (size_t k = 0; k < n_have && status < 0; k++) {
				const struct cidr *o = &have[k].pool.cidr;
				if (o->prefix == cidrs[i].prefix && ip_cmp(&o->addr, &cidrs[i].addr) == 0) {
					ops[i].mod_rev = have[k].mod_rev;
					p.disabled = have[k].pool.disabled;
				} else if (o->addr.family == cidrs[i].addr.family && cidr_overlaps(o, &cidrs[i])) {
					char a[CIDR_STR_MAX], b[CIDR_STR_MAX];
					status = ctl_error("Cannot add pool %s: it overlaps the existing pool %s.",
							   cidr_format(&cidrs[i], a), cidr_format(o, b));
				}
			}
			ops[i].value = values[i] = pool_encode(&p);
			if (!values[i] || !ops[i].key)
				status = ctl_error("Error: out of memory");
		}
		if (status < 0)
			rc = ds_txn(ds, ops, n, NULL);
		for (size_t i = 0; i < n; i++)
			free(values[i]);
		free(have);
		if (status >= 0)
			return status;
		if (rc == -ECANCELED)
			continue; /* a pool changed meanwhile: look again */
		return rc < 0 ? ctl_ds_error("writing pools", rc) : 0;
	}
	return ctl_error("Error: pools are being changed by others too often; gave up after %d tries", POOL_TRIES);
}

static int reject_overlaps(const struct cidr *cidrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (cidrs[i].addr.family == cidrs[k].addr.family && cidr_overlaps(&cidrs[i], &cidrs[k])) {
				char a[CIDR_STR_MAX], b[CIDR_STR_MAX];
				return ctl_error("Pools %s and %s overlap.", cidr_format(&cidrs[i], a),
						 cidr_format(&cidrs[k], b));
			}
	return 0;
}

static int pool_add(int argc, char **argv, const struct pool_flags *f)
{
	struct cidr cidrs[MAX_POOLS_AT_ONCE];
	if (argc < 1)
		return ctl_usage("pool");
	if (argc > MAX_POOLS_AT_ONCE)
		return ctl_error("Too many pools at once (at most %d).", MAX_POOLS_AT_ONCE);
	for (int i = 0; i < argc; i++)
		if (check_pool_cidr(argv[i], &cidrs[i]))
			return 1;
	if (reject_overlaps(cidrs, (size_t)argc) || check_flags(f, cidrs, (size_t)argc))
		return 1;
	return pools_write(cidrs, (size_t)argc, f);
}

static bool host_bits_zero(const struct ip_addr *ip, int prefix)
{
	int bits = ip->family == 4 ? 32 : 128;
	for (int b = prefix; b < bits; b++)
		if (ip->bytes[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}

/* Splits [start, end] into the fewest CIDRs, as netaddr's iprange_to_cidrs
 * does: from start, each time the largest aligned block that ends by end.
 * Blocks stay below 2^63 addresses so offsets fit in 64 bits. */
static int range_to_cidrs(const struct ip_addr *start, const struct ip_addr *end, struct cidr *out, size_t max,
			  size_t *n)
{
	int bits = start->family == 4 ? 32 : 128;
	struct ip_addr cur = *start, last;
	*n = 0;
	for (;;) {
		int prefix = bits;
		while (prefix > 0 && bits - (prefix - 1) < 63 && host_bits_zero(&cur, prefix - 1)) {
			ip_add(&cur, ((uint64_t)1 << (bits - (prefix - 1))) - 1, &last);
			if (ip_cmp(&last, end) > 0)
				break;
			prefix--;
		}
		if (*n == max)
			return -E2BIG;
		out[(*n)++] = (struct cidr){ .addr = cur, .prefix = prefix };
		ip_add(&cur, ((uint64_t)1 << (bits - prefix)) - 1, &last);
		if (ip_cmp(&last, end) >= 0)
			return 0;
		ip_add(&last, 1, &cur);
	}
}

static int pool_range_add(int argc, char **argv, const struct pool_flags *f)
{
	struct ip_addr start, end;
	struct cidr cidrs[MAX_POOLS_AT_ONCE];
	size_t n;

	if (argc != 2)
		return ctl_usage("pool");
	if (ip_parse(argv[0], &start) < 0)
		return ctl_error("%s is not a valid IP address.", argv[0]);
	if (ip_parse(argv[1], &end) < 0)
		return ctl_error("%s is not a valid IP address.", argv[1]);
	if (start.family != end.family)
		return ctl_error("Cannot mix IPv4 and IPv6 in a range.");
	if (ip_cmp(&start, &end) > 0)
		return ctl_error("Cannot create range: %s must not come after %s.", argv[0], argv[1]);
	if (range_to_cidrs(&start, &end, cidrs, MAX_POOLS_AT_ONCE, &n) < 0)
		return ctl_error("Cannot create range: it splits into more than %d pools.", MAX_POOLS_AT_ONCE);
	int longest = start.family == 4 ? 26 : 122;
	for (size_t i = 0; i < n; i++)
		if (cidrs[i].prefix > longest)
			return ctl_error("Cannot create range %s-%s: pools are made of whole blocks of 64 addresses, so "
					 "the range must start on a multiple of 64 and end just before one.",
					 argv[0], argv[1]);
	for (size_t i = 0; i < n; i++) {
		char t[CIDR_STR_MAX];
		if (check_pool_cidr(cidr_format(&cidrs[i], t), &cidrs[i]))
			return 1;
	}
	if (check_flags(f, cidrs, n))
		return 1;
	return pools_write(cidrs, n, f);
}

static int pool_remove(int argc, char **argv)
{
	struct cidr cidrs[MAX_POOLS_AT_ONCE];
	struct ds_op ops[MAX_POOLS_AT_ONCE];
	char keys[MAX_POOLS_AT_ONCE][KEY_MAX];
	struct ds *ds;

	if (argc < 1)
		return ctl_usage("pool");
	if (argc > MAX_POOLS_AT_ONCE)
		return ctl_error("Too many pools at once (at most %d).", MAX_POOLS_AT_ONCE);
	for (int i = 0; i < argc; i++)
		if (cidr_parse(argv[i], false, false, &cidrs[i]) < 0)
			return ctl_error("%s is not a valid IP prefix.", argv[i]);
	if (!(ds = ctl_ds()))
		return 1;
	for (int attempt = 0; attempt < POOL_TRIES; attempt++) {
		for (int i = 0; i < argc; i++) {
			struct ds_kv kv = { 0 };
			ops[i] = (struct ds_op){ .type = DS_OP_DELETE, .key = pool_key(keys[i], &cidrs[i]) };
			int rc = ds_get(ds, keys[i], &kv);
			if (rc == -ENOENT)
				return ctl_error("%s is not a configured pool.", argv[i]);
			if (rc < 0)
				return ctl_ds_error("reading pools", rc);
			ops[i].mod_rev = kv.mod_rev;
			ds_kv_free(&kv);
		}
		int rc = ds_txn(ds, ops, (size_t)argc, NULL);
		if (rc == -ECANCELED)
			continue;
		char ipam_err[512];
		if (rc == 0 && ipam_cleanup_removed_pools(ds, NULL, ipam_err, sizeof(ipam_err)) < 0)
			fprintf(stderr, "Warning: %s\n", ipam_err); /* the pools are gone; their empty blocks stay for now */
		return rc < 0 ? ctl_ds_error("removing pools", rc) : 0;
	}
	return ctl_error("Error: pools are being changed by others too often; gave up after %d tries", POOL_TRIES);
}

static int show_family(struct ds *ds, int family)
{
	const char *headers[] = { family == 4 ? "IPv4 CIDR" : "IPv6 CIDR", "Options" };
	struct pool_entry *pools = NULL;
	size_t n = 0;
	int rc = pool_list(ds, family, &pools, &n);
	if (rc < 0)
		return ctl_ds_error("listing pools", rc);
	struct table *t = table_new(2, headers);
	for (size_t i = 0; t && i < n; i++) {
		char c[CIDR_STR_MAX], opts[64] = "";
		const struct pool *p = &pools[i].pool;
		snprintf(opts, sizeof(opts), "%s%s%s%s", p->ipip ? "ipip," : "", p->vxlan ? "vxlan," : "",
			 p->masquerade ? "nat-outgoing," : "", p->disabled ? "disabled," : "");
		if (*opts)
			opts[strlen(opts) - 1] = '\0';
		const char *cells[] = { cidr_format(&p->cidr, c), opts };
		if (table_add_row(t, cells) < 0) {
			table_free(t);
			t = NULL;
		}
	}
	free(pools);
	if (!t)
		return ctl_error("Error: out of memory");
	table_print(t, stdout);
	table_free(t);
	return 0;
}

int cmd_pool(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--ipip" }, { .spec = "--vxlan" }, { .spec = "--nat-outgoing" },
				     { .spec = "--ipv4" }, { .spec = "--ipv6" } };
	if (ctl_take_options("pool", &argc, argv, opts, 5))
		return 1;
	struct pool_flags f = { opts[0].present, opts[1].present, opts[2].present };
	bool any_flag = f.ipip || f.vxlan || f.nat, v4 = opts[3].present, v6 = opts[4].present;

	if (argc >= 1 && strcmp(argv[0], "add") == 0 && !v4 && !v6)
		return pool_add(argc - 1, argv + 1, &f);
	if (argc >= 2 && strcmp(argv[0], "range") == 0 && strcmp(argv[1], "add") == 0 && !v4 && !v6)
		return pool_range_add(argc - 2, argv + 2, &f);
	if (argc >= 1 && strcmp(argv[0], "remove") == 0 && !any_flag && !v4 && !v6)
		return pool_remove(argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "show") == 0 && !any_flag && !(v4 && v6)) {
		struct ds *ds = ctl_ds();
		if (!ds)
			return 1;
		if (!v6 && show_family(ds, 4))
			return 1;
		return v4 ? 0 : show_family(ds, 6);
	}
	return ctl_usage("pool");
}
