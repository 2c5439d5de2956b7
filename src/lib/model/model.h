/* The data model of DESIGN §2 and its strict JSON codec (jansson).
 *
 * Ownership: every struct here owns what it points to; *_free() releases the
 * members (not the struct itself, which is usually on the stack), and leaves
 * the struct zeroed so a second free is harmless.
 *
 * Decoders are strict: an unknown key, a wrong type or a bad value is refused
 * with -EINVAL and a one-line message naming the key and the value, written to
 * err (size errlen). Encoders produce the exact keys of DESIGN §2, so that
 * decode(encode(x)) == x and encode(decode(json)) is canonical. */
#ifndef CALICO_MODEL_H
#define CALICO_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define CALICO_NAME_MAX 40  /* profiles, tags: letters, digits, '.', '_', '-' */
#define RULE_PORTS_MAX  64  /* entries (ports or ranges) in one src_ports/dst_ports list */
#define IFNAME_MAX      15  /* Linux IFNAMSIZ - 1 */
#define MODEL_ERR_MAX   256 /* a comfortable size for err buffers */

/* true when name is 1..CALICO_NAME_MAX characters of [A-Za-z0-9._-]. */
bool name_is_valid(const char *name);

/* ---------- rules ---------- */

enum rule_action { RULE_ALLOW, RULE_DENY };

enum rule_protocol {
	PROTO_ANY = 0, /* no "protocol" key */
	PROTO_TCP,
	PROTO_UDP,
	PROTO_ICMP,
	PROTO_ICMPV6,
	PROTO_NUMBER, /* "protocol": <int 0..255>; the number is in protocol_number */
};

struct port_range {
	uint16_t first, last; /* a single port has first == last; JSON: int, or "a:b" */
};

struct rule {
	enum rule_action action;
	enum rule_protocol protocol;
	int protocol_number;                /* only for PROTO_NUMBER */
	char src_tag[CALICO_NAME_MAX + 1]; /* "" = none */
	char dst_tag[CALICO_NAME_MAX + 1];
	bool has_src_net, has_dst_net;
	struct cidr src_net, dst_net;
	size_t n_src_ports, n_dst_ports;
	struct port_range src_ports[RULE_PORTS_MAX];
	struct port_range dst_ports[RULE_PORTS_MAX];
	int icmp_type; /* -1 = none; 0..254 */
	int icmp_code; /* -1 = none; 0..255, only with icmp_type */
	int ip_version; /* 0 = none, 4 or 6 */
};

/* A rule with every field "none" and the given action. */
void rule_init(struct rule *r, enum rule_action action);
/* Cross-field checks (ports only with tcp/udp, icmp_* only with icmp/icmpv6,
 * nets and ip_version agree, ...). 0 or -EINVAL with a message. */
int rule_validate(const struct rule *r, char *err, size_t errlen);
bool rule_equal(const struct rule *a, const struct rule *b);
/* The IP version the rule's nets or protocol force (0 when none does). The
 * family a rule applies to is ip_version, else this, else both (0). */
int rule_implied_ip_version(const struct rule *r);

/* ---------- profiles ---------- */

struct rule_list {
	struct rule *items;
	size_t n;
};

struct profile {
	char name[CALICO_NAME_MAX + 1];
	char **tags; /* each a valid name */
	size_t n_tags;
	struct rule_list inbound, outbound;
};

void profile_free(struct profile *p);
/* Calico's default for a new profile: tag = name, inbound allow from tag, outbound allow. */
int profile_init_default(struct profile *p, const char *name);
int rule_list_insert(struct rule_list *l, size_t at /* 0-based, <= n */, const struct rule *r);
int rule_list_remove(struct rule_list *l, size_t at);

/* /calico/v1/policy/profile/<name>/tags : ["a","b"] */
int tags_decode(const char *json, char ***tags, size_t *n, char *err, size_t errlen);
char *tags_encode(char *const *tags, size_t n); /* malloc'd JSON text; NULL on ENOMEM */
/* /calico/v1/policy/profile/<name>/rules : {"id":..,"inbound_rules":[..],"outbound_rules":[..]}
 * The "id" must equal expected_id when expected_id is non-NULL. */
int rules_decode(const char *json, const char *expected_id, struct rule_list *in, struct rule_list *out,
		 char *err, size_t errlen);
char *rules_encode(const char *id, const struct rule_list *in, const struct rule_list *out);
/* One rule as a JSON object (the shape inside inbound_rules). */
int rule_decode(const char *json, struct rule *r, char *err, size_t errlen);
char *rule_encode(const struct rule *r);
void rule_list_free(struct rule_list *l);

/* ---------- endpoints ---------- */

struct label {
	char *key, *value;
};

struct endpoint {
	char state[16];             /* "active" | "inactive" */
	char name[IFNAME_MAX + 1];  /* host-side interface, "cali..." */
	char mac[18];               /* "ee:ee:ee:ee:ee:ee"; "" when absent */
	char **profile_ids;
	size_t n_profile_ids;
	struct cidr *ipv4_nets, *ipv6_nets;
	size_t n_ipv4_nets, n_ipv6_nets;
	struct label *labels;
	size_t n_labels;
};

void endpoint_free(struct endpoint *e);
int endpoint_decode(const char *json, struct endpoint *e, char *err, size_t errlen);
char *endpoint_encode(const struct endpoint *e);

/* ---------- pools ---------- */

struct pool {
	struct cidr cidr;
	bool masquerade;  /* nat-outgoing */
	bool ipip;        /* JSON "ipip": "tunl0" when set (Calico's shape) */
	bool vxlan;       /* JSON "vxlan": true */
	bool disabled;    /* JSON "disabled": true: no new allocations */
};

int pool_decode(const char *json, struct pool *p, char *err, size_t errlen);
char *pool_encode(const struct pool *p);

/* ---------- BGP ---------- */

struct bgp_peer {
	struct ip_addr ip;
	uint32_t as_num;
};

/* JSON {"ip":"1.2.3.4","as_num":64512} */
int bgp_peer_decode(const char *json, struct bgp_peer *p, char *err, size_t errlen);
char *bgp_peer_encode(const struct bgp_peer *p);
/* AS numbers: asplain "65546" or asdot "1.10"; 1..4294967295. */
int as_num_parse(const char *text, uint32_t *out);
/* /calico/bgp/v1/global/node_mesh : {"enabled":true} */
int node_mesh_decode(const char *json, bool *enabled, char *err, size_t errlen);
char *node_mesh_encode(bool enabled);

#endif
