/* Calico's v3 resources (DESIGN §11) as C structs, with their strict codec.
 *
 * A resource is decoded from a JSON tree (a YAML file becomes one through
 * yaml_json.h) and encoded back to one in Calico's field order, so that
 * encode(decode(x)) is canonical and applies again as a no-op.
 *
 * Decoding is strict, as Calico's calicoctl: an unknown field, a wrong type
 * or a bad value is refused with -EINVAL and one line naming the field path
 * and the value ("spec.ingress[0].protocol: \"tcp\" is not one of TCP, UDP,
 * ICMP, ICMPv6, SCTP, UDPLite or a number 1-255"). Enum values are
 * case-sensitive; ports need a protocol that has ports; named ports and the
 * host-endpoint fields are refused as not supported yet.
 *
 * Ownership: a struct v3_resource owns everything it points to;
 * v3_resource_free() releases it all and leaves the struct zeroed. */
#ifndef CALICO_RESOURCE_H
#define CALICO_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define V3_API_VERSION "projectcalico.org/v3"
#define V3_NAME_MAX 253 /* a DNS subdomain, as Kubernetes names */

enum v3_kind {
	V3_KIND_NONE = 0,
	V3_TIER,
	V3_GLOBAL_NETWORK_POLICY,
	V3_NETWORK_POLICY,
	V3_GLOBAL_NETWORK_SET,
	V3_NETWORK_SET,
	V3_PROFILE,
	/* views of the 2016 keys (DESIGN §2), read through `get` only */
	V3_WORKLOAD_ENDPOINT,
	V3_IP_POOL,
	V3_BGP_PEER,
	V3_BGP_CONFIGURATION,
	V3_NODE,
	V3_FELIX_CONFIGURATION,
	V3_KIND_COUNT,
};

/* A kind's names: "GlobalNetworkPolicy", "globalnetworkpolicies",
 * "globalnetworkpolicy", "gnp"; namespaced or global. */
struct v3_kind_info {
	enum v3_kind kind;
	const char *name;     /* as in "kind:" */
	const char *plural;   /* the datastore key's and `calicoctl get`'s */
	const char *singular; /* lower case */
	const char *shorts;   /* space-separated short names ("" when none) */
	bool namespaced;
	/* A view of the 2016 keys: NULL for the kinds stored as v3 resources;
	 * else why calicoctl does not write it and what to do instead, as the
	 * end of a sentence that begins with the kind ("... are made by ..."). */
	const char *view;
};

const struct v3_kind_info *v3_kind_info(enum v3_kind kind);
/* Any of a kind's names, in any case, as calicoctl accepts them; NULL when none. */
const struct v3_kind_info *v3_kind_lookup(const char *name);

/* Labels and annotations: sorted by key, no two alike. */
struct v3_map {
	char **keys, **values;
	size_t n;
};

const char *v3_map_get(const struct v3_map *m, const char *key);
/* Sets key to value (a copy of each), keeping the map sorted; replaces an
 * earlier value. 0 or -ENOMEM (the map unchanged). */
int v3_map_set(struct v3_map *m, const char *key, const char *value);
/* Removes key; false when the map had no such key. */
bool v3_map_remove(struct v3_map *m, const char *key);
void v3_map_free(struct v3_map *m);

struct v3_metadata {
	char *name;
	char *namespace_;        /* NULL for global kinds */
	char *resource_version;  /* NULL when absent */
	char *uid;
	char *creation_timestamp;
	struct v3_map labels, annotations;
};

enum v3_action { V3_ALLOW, V3_DENY, V3_PASS, V3_LOG };

/* "TCP" .. or a number; name "" when given as a number */
struct v3_protocol {
	bool set;
	uint8_t number; /* 6, 17, 1, 58, 132, 136, or the number given */
	char name[8];   /* "TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"; "" for a number */
};

struct v3_icmp {
	bool set;
	int type; /* -1 = absent */
	int code; /* -1 = absent; only with a type */
};

/* One port (first == last) or a range; written back as Calico writes it: a
 * number, or "first:last". */
struct v3_port {
	uint16_t first, last;
};

struct v3_entity {
	struct cidr *nets, *not_nets;
	size_t n_nets, n_not_nets;
	char *selector, *not_selector, *namespace_selector; /* NULL = absent; kept as written */
	struct v3_port *ports, *not_ports;
	size_t n_ports, n_not_ports;
};

struct v3_rule {
	enum v3_action action;
	int ip_version; /* 0 = absent */
	struct v3_protocol protocol, not_protocol;
	struct v3_icmp icmp, not_icmp;
	struct v3_entity source, destination;
	struct v3_map annotations; /* metadata.annotations */
};

struct v3_rules {
	struct v3_rule *items;
	size_t n;
};

#define V3_TYPE_INGRESS 1u
#define V3_TYPE_EGRESS  2u

struct v3_policy {
	char *tier;     /* NULL: "default" */
	bool has_order;
	double order;
	char *selector; /* NULL or "": every endpoint of the scope */
	char *namespace_selector;
	unsigned types; /* V3_TYPE_*; 0 when absent (v3_policy_types() gives the effective ones) */
	bool types_given;
	struct v3_rules ingress, egress;
};

enum v3_default_action { V3_DEFAULT_DENY, V3_DEFAULT_PASS };

struct v3_tier {
	bool has_order; /* absent: last */
	double order;
	bool default_action_given;
	enum v3_default_action default_action;
};

struct v3_netset {
	struct cidr *nets;
	size_t n_nets;
};

struct v3_profile {
	struct v3_rules ingress, egress;
	struct v3_map labels_to_apply;
};

/* The views of the 2016 keys. */

#define V3_LABEL_ORCHESTRATOR "projectcalico.org/orchestrator"
#define V3_LABEL_NAMESPACE    "projectcalico.org/namespace"

struct v3_workload_endpoint {
	char *orchestrator, *workload, *node, *endpoint;
	struct cidr *ip_networks;
	size_t n_ip_networks;
	char **profiles;
	size_t n_profiles;
	char *interface_name, *mac; /* mac NULL when the record has none */
};

struct v3_ip_pool {
	struct cidr cidr;
	int block_size;          /* 26 or 122, the 2016 pools' fixed size */
	bool ipip, vxlan;        /* ipipMode / vxlanMode Always, else Never */
	bool nat_outgoing, disabled;
};

struct v3_bgp_peer {
	char *node; /* NULL: a global peer */
	struct ip_addr peer_ip;
	uint32_t as_number;
};

struct v3_bgp_configuration {
	bool has_as_number, has_mesh;
	uint32_t as_number;
	bool node_to_node_mesh;
};

struct v3_node {
	char *ipv4_address, *ipv6_address; /* as stored; NULL when absent */
	bool has_as_number;
	uint32_t as_number;
};

/* The FelixConfiguration fields a 2016 Felix setting maps to, in the order of
 * Calico's FelixConfigurationSpec (felix_config.c holds the mapping). */
enum v3_felix_field {
	V3_FELIX_INTERFACE_PREFIX,
	V3_FELIX_DEFAULT_ENDPOINT_TO_HOST_ACTION,
	V3_FELIX_LOG_FILE_PATH,
	V3_FELIX_LOG_SEVERITY_FILE,
	V3_FELIX_LOG_SEVERITY_SCREEN,
	V3_FELIX_LOG_SEVERITY_SYS,
	V3_FELIX_IPIP_ENABLED,
	V3_FELIX_IPIP_MTU,
	V3_FELIX_REPORTING_INTERVAL,
	V3_FELIX_REPORTING_TTL,
	V3_FELIX_ENDPOINT_REPORTING_ENABLED,
	V3_FELIX_HEALTH_PORT,
	V3_FELIX_PROMETHEUS_METRICS_ENABLED,
	V3_FELIX_PROMETHEUS_METRICS_PORT,
	V3_FELIX_FLOW_LOGS_FLUSH_INTERVAL,
	V3_FELIX_FIELD_COUNT,
};

/* How a field's value is written: a string, a boolean, a number, or a
 * duration (Go's form, "1m30s", from whole seconds). */
enum v3_felix_type { V3_FELIX_STRING, V3_FELIX_BOOL, V3_FELIX_INT, V3_FELIX_DURATION };

struct v3_felix_field_info {
	const char *name;    /* Calico's JSON field ("ipipMTU") */
	const char *setting; /* the 2016 setting it shows ("IpInIpMtu") */
	enum v3_felix_type type;
};

struct v3_felix_value {
	bool set;
	bool flag;       /* V3_FELIX_BOOL */
	uint32_t number; /* V3_FELIX_INT; seconds for V3_FELIX_DURATION */
	char *text;      /* V3_FELIX_STRING, Calico's spelling ("Drop", "Info") */
};

/* A field is shown only when its setting is set, as Calico omits unset ones. */
struct v3_felix_configuration {
	struct v3_felix_value fields[V3_FELIX_FIELD_COUNT];
};

struct v3_resource {
	enum v3_kind kind;
	struct v3_metadata meta;
	union {
		struct v3_tier tier;
		struct v3_policy policy;   /* GlobalNetworkPolicy, NetworkPolicy */
		struct v3_netset netset;   /* GlobalNetworkSet, NetworkSet */
		struct v3_profile profile;
		struct v3_workload_endpoint wep;
		struct v3_ip_pool pool;
		struct v3_bgp_peer peer;
		struct v3_bgp_configuration bgp;
		struct v3_node node;
		struct v3_felix_configuration felix;
	} spec;
};

void v3_resource_free(struct v3_resource *r);

/* One resource from a tree. The message names the field path and value. */
int v3_decode(const json_t *tree, struct v3_resource *out, char *err, size_t errlen);
/* The canonical tree (Calico's field order); NULL on ENOMEM. */
json_t *v3_encode(const struct v3_resource *r);

/* The types a policy applies to, Calico's defaults when absent: Ingress, plus
 * Egress when it has egress rules (Egress alone when it has only those). */
unsigned v3_policy_types(const struct v3_policy *p);
/* The tier a policy is in ("default" when none is named). */
const char *v3_policy_tier(const struct v3_policy *p);

/* Label keys and values as Kubernetes allows them: a key is an optional DNS
 * subdomain prefix and '/', then a name of 1-63 [A-Za-z0-9._-] beginning and
 * ending with an alphanumeric; a value is empty or such a name. */
bool v3_label_key_valid(const char *key);
bool v3_label_value_valid(const char *value);
/* A resource name: a DNS subdomain (lower case, digits, '-', '.'), 1-253. */
bool v3_name_valid(const char *name);

/* Calico's workload endpoint name, <node>-<orchestrator>-<workload>-<endpoint>,
 * each part with its '-' doubled; as Calico, the libnetwork endpoints'
 * workload part is "libnetwork". A part that begins or ends with '-' does not
 * read back unambiguously; Calico refuses such a part, a view shows it anyway.
 * Malloc'd; NULL on ENOMEM. */
char *v3_wep_name(const char *node, const char *orch, const char *workload, const char *endpoint);
/* The parts of a name made by v3_wep_name: a single '-' separates, "--" is a
 * '-' inside a part (the first of three dashes in a row, "a---b", is part of
 * "a-"). 0 with four malloc'd parts; -EINVAL when the name does not have
 * four; -ENOMEM. */
int v3_wep_name_parse(const char *name, char *parts[4]);
/* An IP pool's name from its CIDR, as Calico's upgrade names the 2016 pools:
 * '.', ':' and '/' each become '-' ("192.168.0.0/16" -> "192-168-0-0-16"). */
void v3_pool_name(const struct cidr *c, char *buf, size_t len);
/* A 2016 BGP peer's name, as Calico's upgrade names them: the address with
 * '.' as '-' (IPv6: eight groups of four hex digits joined by '-'), after
 * "<node>." for a per-node peer. */
void v3_bgp_peer_name(const char *node, const struct ip_addr *ip, char *buf, size_t len);

/* A FelixConfiguration field's names and type; NULL past the last. */
const struct v3_felix_field_info *v3_felix_field_info(enum v3_felix_field field);
/* Sets the field the 2016 Felix setting named setting maps to, from its stored
 * value, in the form Calico's v3 API takes ("DROP" -> "Drop", "critical" ->
 * "Fatal", "30" -> 30 seconds, "TRUE" -> true). 0; -ENOENT
 * when the setting has no v3 field (or is not Felix's); -EINVAL, with a
 * message quoting the value, when the value does not convert (the field is
 * left as it was); -ENOMEM. */
int v3_felix_set(struct v3_felix_configuration *c, const char *setting, const char *value, char *err,
		 size_t errlen);
/* Whole seconds as Go writes a time.Duration, as Calico's JSON shows one:
 * "0s", "30s", "1m30s", "1h0m0s". */
void v3_duration_format(uint32_t seconds, char *buf, size_t len);

#endif
