/* A host's view (bird_conf_view.h) -> the text of BIRD 2's config. The
 * settings that are not Calico's defaults come from LAB-NOTES §3: short
 * connect delays so a new host's routes are in the kernel within about a
 * second, a 1 s kernel scan, and `gateway recursive` as a channel option. */
#include "bgp/bird_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf_view.h"
#include "netlink/nl.h"
#include "util/nodename.h"

/* BIRD prefers, for one prefix, the route of the higher preference before it
 * looks at anything a peer can set: BGP's routes have 100, so this host's own
 * (its workloads' routes learned from the kernel, its block blackholes) win
 * over any peer's announcement of the same prefix. */
#define OWN_ROUTE_PREFERENCE 200

static const char *const kind_prefix[] = { [BIRD_PEER_MESH] = "Mesh", [BIRD_PEER_NODE] = "Node",
					   [BIRD_PEER_GLOBAL] = "Global" };
static const char *const kind_text[] = { [BIRD_PEER_MESH] = "node-to-node mesh",
					 [BIRD_PEER_NODE] = "node specific",
					 [BIRD_PEER_GLOBAL] = "global" };

const char *bird_conf_peer_type(const char *name)
{
	for (size_t k = 0; k < sizeof(kind_prefix) / sizeof(kind_prefix[0]); k++) {
		size_t n = strlen(kind_prefix[k]);
		if (strncmp(name, kind_prefix[k], n) == 0 && name[n] == '_')
			return kind_text[k];
	}
	return NULL;
}

/* Calico's protocol names: Mesh_172_30_0_12, Global_fd00__1. */
static void peer_name(const struct bird_peer *p, char *buf, size_t len)
{
	char ip[IP_STR_MAX];
	ip_format(&p->ip, ip);
	for (char *s = ip; *s; s++)
		if (*s == '.' || *s == ':')
			*s = '_';
	snprintf(buf, len, "%s_%s", kind_prefix[p->kind], ip);
}

/* BIRD strings end at '"' and know backslash escapes: such text is left out. */
static bool plain_string(const char *s)
{
	return s && !strpbrk(s, "\"\\\n");
}

static void emit_header(FILE *f, const struct bird_view *v, const struct bird_conf_opts *opt)
{
	char ip[IP_STR_MAX];
	fprintf(f, "# BIRD 2 configuration of host %s, rendered by calico-node from the datastore.\n"
		   "# Do not edit: the agent rewrites it whenever the datastore changes.\n\n",
		plain_string(v->host) ? v->host : "?");
	fprintf(f, "router id %s;\n", ip_format(&v->v4.local, ip));
	if (opt && plain_string(opt->log_path) && opt->log_path[0])
		fprintf(f, "log \"%s\" all;\n", opt->log_path);
	fprintf(f, "debug protocols { states };\n\n");
}

static void emit_prefix_set(FILE *f, const struct cidr *nets, size_t n, const char *suffix)
{
	char text[CIDR_STR_MAX];
	fprintf(f, "[ ");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s%s", i ? ", " : "", cidr_format(&nets[i], text), suffix);
	fprintf(f, " ]");
}

static void emit_filters(FILE *f, const struct bird_family *fam)
{
	int v = fam->family;
	char ip[IP_STR_MAX];

	fprintf(f, "# From peers: everything, as Calico imports it: the fabric's shape (a default route\n"
		   "# from the top-of-rack router, other racks' networks) is not ours to know. Not inside\n"
		   "# pools with VXLAN: the agent routes those. A peer's route to one of this host's\n"
		   "# blocks or workloads loses to ours by preference (kernel_v%d and blocks_v%d).\n"
		   "filter calico_import_v%d {\n", v, v, v);
	if (fam->n_vxlan_pools) {
		fprintf(f, "\tif net ~ ");
		emit_prefix_set(f, fam->vxlan_pools, fam->n_vxlan_pools, "+");
		fprintf(f, " then reject;\n");
	}
	fprintf(f, "\taccept;\n}\n\n");

	fprintf(f, "# To peers: one route per block of this host, and its workloads' addresses borrowed\n"
		   "# from other blocks, as the kernel has them. Never the workloads inside its blocks.\n"
		   "filter calico_export_v%d {\n"
		   "\tif proto = \"blocks_v%d\" then accept;\n", v, v);
	if (fam->n_borrowed) {
		fprintf(f, "\tif proto = \"kernel_v%d\" && net ~ [ ", v);
		for (size_t i = 0; i < fam->n_borrowed; i++)
			fprintf(f, "%s%s/%d", i ? ", " : "", ip_format(&fam->borrowed[i], ip), v == 4 ? 32 : 128);
		fprintf(f, " ] then accept;\n");
	}
	fprintf(f, "\treject;\n}\n\n");

	fprintf(f, "# To the kernel: what the peers announce, and this host's block blackholes.\n"
		   "filter calico_kernel_v%d {\n"
		   "\tif proto = \"blocks_v%d\" then accept;\n"
		   "\tif source = RTS_BGP then accept;\n"
		   "\treject;\n}\n\n",
		v, v);
}

static void emit_base_protocols(FILE *f, const struct bird_view *v)
{
	fprintf(f, "protocol device {\n\tscan time 2;\n}\n\n");
	fprintf(f, "# Host interfaces only: next hops of peers resolve through these.\n"
		   "protocol direct {\n\tipv4;\n%s\tinterface -\"cali*\", -\"vxlan.calico\", \"*\";\n}\n\n",
		v->v6.enabled ? "\tipv6;\n" : "");
}

static void emit_family_protocols(FILE *f, const struct bird_family *fam)
{
	int v = fam->family;
	char net[CIDR_STR_MAX];

	fprintf(f, "# Learns the agent's workload routes (protocol %d); persist and graceful restart keep\n"
		   "# the kernel's routes while BIRD restarts. Preference %d (BGP has 100): a peer that\n"
		   "# announces a local workload's address never takes its route away.\n"
		   "protocol kernel kernel_v%d {\n"
		   "\tipv%d {\n\t\tpreference %d;\n\t\timport where krt_source = %d;\n"
		   "\t\texport filter calico_kernel_v%d;\n\t};\n"
		   "\tlearn;\n\tpersist;\n\tscan time 1;\n\tgraceful restart;\n}\n\n",
		CALICO_RT_PROTO, OWN_ROUTE_PREFERENCE, v, v, OWN_ROUTE_PREFERENCE, CALICO_RT_PROTO, v);
	fprintf(f, "# One blackhole per block of this host: the aggregate its peers route here, and that\n"
		   "# a peer's route to the same block never replaces (preference %d).\n"
		   "protocol static blocks_v%d {\n\tipv%d {\n\t\tpreference %d;\n\t};\n",
		OWN_ROUTE_PREFERENCE, v, v, OWN_ROUTE_PREFERENCE);
	for (size_t i = 0; i < fam->n_blocks; i++)
		fprintf(f, "\troute %s blackhole;\n", cidr_format(&fam->blocks[i], net));
	fprintf(f, "}\n\n");
}

static void emit_template(FILE *f, const struct bird_view *view, const struct bird_family *fam)
{
	int v = fam->family;
	char ip[IP_STR_MAX];
	fprintf(f, "template bgp calico_v%d {\n"
		   "\tlocal %s as %u;\n"
		   "\tmultihop;\n"
		   "\tconnect delay time 1;\n"
		   "\tconnect retry time 1;\n"
		   "\terror wait time 1, 10;\n"
		   "\thold time 30;\n"
		   "\tkeepalive time 10;\n"
		   "\tgraceful restart;\n"
		   "\tipv%d {\n"
		   "\t\tgateway recursive;\n"
		   "\t\tnext hop self;\n"
		   "\t\timport filter calico_import_v%d;\n"
		   "\t\texport filter calico_export_v%d;\n"
		   "\t};\n"
		   "}\n\n",
		v, ip_format(&fam->local, ip), view->as_num, v, v, v);
}

static void emit_peers(FILE *f, const struct bird_family *fam)
{
	char name[80], ip[IP_STR_MAX];
	for (size_t i = 0; i < fam->n_peers; i++) {
		const struct bird_peer *p = &fam->peers[i];
		peer_name(p, name, sizeof(name));
		if (p->shadowed) {
			fprintf(f, "# %s left out: %s is already a peer above.\n\n", name, ip_format(&p->ip, ip));
			continue;
		}
		fprintf(f, "protocol bgp %s from calico_v%d {\n", name, fam->family);
		if (p->host && hostname_is_valid(p->host))
			fprintf(f, "\tdescription \"%s: %s\";\n", kind_text[p->kind], p->host);
		else
			fprintf(f, "\tdescription \"%s\";\n", kind_text[p->kind]);
		fprintf(f, "\tneighbor %s as %u;\n", ip_format(&p->ip, ip), p->as_num);
		if (p->passive)
			fprintf(f, "\tpassive on; # the higher address of the pair waits for the lower one\n");
		fprintf(f, "}\n\n");
	}
}

static void emit_family(FILE *f, const struct bird_view *v, const struct bird_family *fam)
{
	fprintf(f, "# ---- IPv%d ----\n\n", fam->family);
	emit_filters(f, fam);
	emit_family_protocols(f, fam);
	emit_template(f, v, fam);
	emit_peers(f, fam);
}

int bird_conf_render(const struct node_cache *c, const char *host, const struct bird_conf_opts *opt, char **out,
		     char *err, size_t errlen)
{
	struct bird_view v;
	char *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if ((rc = bird_view_build(c, host, &v, err, errlen)) < 0)
		return rc;
	if (!(f = open_memstream(&text, &len))) {
		rc = -ENOMEM;
		goto out;
	}
	emit_header(f, &v, opt);
	emit_base_protocols(f, &v);
	emit_family(f, &v, &v.v4);
	if (v.v6.enabled)
		emit_family(f, &v, &v.v6);
	rc = ferror(f) ? -ENOMEM : 0;
	if (fclose(f) != 0)
		rc = -ENOMEM;
	if (rc == 0) {
		*out = text;
		text = NULL;
	}
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(text);
	bird_view_free(&v);
	return rc;
}
