/* The network configuration on stdin: the spec's keys and Calico's. Shared by
 * the `calico` plugin and `calico-ipam` (both read the datastore settings,
 * "nodename" and "ipam"). Pure logic.
 *
 * Codes: text that is no JSON object -> 6; a cniVersion we do not speak -> 1;
 * a key we know with a value we do not support (datastore_type "kubernetes",
 * ipam "subnet" for calico-ipam) -> 2; anything else wrong -> 7, naming the key.
 * Keys we do not know are left alone: runtimes add their own (capabilities,
 * runtimeConfig, dns, cniVersions, disableCheck, ...). */
#ifndef CALICO_CNI_CONF_H
#define CALICO_CNI_CONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cni_error.h"
#include "util/ipaddr.h"

#define CNI_MAX_POOLS 16

struct cni_ipam_conf {
	const char *type;          /* NULL when the config has no "ipam" */
	bool assign_ipv4;          /* default true */
	bool assign_ipv6;          /* default false */
	struct cidr ipv4_pools[CNI_MAX_POOLS];
	size_t n_ipv4_pools;       /* 0 = every enabled pool */
	struct cidr ipv6_pools[CNI_MAX_POOLS];
	size_t n_ipv6_pools;
};

struct cni_conf {
	json_t *root;              /* owns every string below */
	const char *version;       /* "cniVersion", CNI_VERSION_DEFAULT when absent */
	const char *name;          /* the network: Calico's profile */
	const char *type;
	struct cni_ipam_conf ipam;
	/* datastore */
	const char *etcd_endpoints, *etcd_authority;
	const char *etcd_ca_cert_file, *etcd_cert_file, *etcd_key_file;
	const char *datastore_type; /* "etcdv3" | "etcd" | "sqlite" | NULL */
	const char *datastore;      /* ours: "sqlite:PATH" (or a bare path) */
	unsigned mtu;               /* 0 = not set */
	const char *log_level;
	const char *nodename;
	int policy_setup_timeout;   /* seconds, 0 = do not wait */
	const json_t *args;         /* "args" object or NULL */
	const json_t *prev_result;  /* "prevResult" or NULL */
	const json_t *attachments;  /* GC: "cni.dev/valid-attachments" (or "cni.dev/attachments"), NULL if absent */
};

/* Parses text; what the plugin needs depends on the command, so "name" and
 * "ipam" are checked by cni_conf_require. On failure c->version still names
 * the config's version when it is one we speak (for the error object), else
 * NULL. Call cni_conf_free either way. */
int cni_conf_parse(const char *text, struct cni_conf *c, struct cni_error *e);
/* "name" (a valid profile name) and, when need_ipam, "ipam"."type". Code 7. */
int cni_conf_require(const struct cni_conf *c, bool need_ipam, struct cni_error *e);
void cni_conf_free(struct cni_conf *c);

/* Reads a "cniVersion" only, for VERSION: NULL when absent or unreadable. */
const char *cni_conf_peek_version(const char *text, char *buf, size_t len);

#endif
