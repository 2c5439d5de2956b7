/* Docker's remote network driver and IPAM driver protocol (DESIGN §6,
 * LAB-NOTES §6.3): the calls, their request bodies decoded into structs, and
 * the answers built. Pure logic, no I/O: unit tested in
 * tests/unit/test_libnetwork_proto.c.
 *
 * Docker sends JSON without a Content-Type and with fields we do not use
 * (Options of every kind), so decoding is lenient about unknown keys but
 * strict about the ones we read: a wrong type or a bad address is refused with
 * one line naming the field. The strings of a decoded request point into the
 * body: they live as long as it does. */
#ifndef CALICO_LNW_PROTO_H
#define CALICO_LNW_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/ipaddr.h"

/* Calico's fixed names (libnetwork-plugin). */
#define LNW_POOL_ID_V4        "CalicoPoolIPv4"
#define LNW_POOL_ID_V6        "CalicoPoolIPv6"
#define LNW_ADDRESS_SPACE_L   "CalicoLocalAddressSpace"
#define LNW_ADDRESS_SPACE_G   "CalicoGlobalAddressSpace"
#define LNW_GATEWAY_KEY       "com.docker.network.gateway"
#define LNW_MARKER_V4         "0.0.0.0/0" /* the pool and gateway marker: "Calico IPAM" */
#define LNW_MARKER_V6         "::/0"
#define LNW_NEXTHOP_V4        "169.254.1.1"
#define LNW_ORCH              "libnetwork"
#define LNW_WORKLOAD          "libnetwork" /* every endpoint; told apart by endpoint id */
#define LNW_ID_MAX            64           /* Docker's ids: 64 hex characters */

enum lnw_call {
	LNW_UNKNOWN = 0,
	LNW_ACTIVATE,
	LNW_NET_CAPS,
	LNW_NET_CREATE,
	LNW_NET_DELETE,
	LNW_EP_CREATE,
	LNW_EP_DELETE,
	LNW_EP_INFO,
	LNW_JOIN,
	LNW_LEAVE,
	LNW_DISCOVER_NEW,
	LNW_DISCOVER_DELETE,
	LNW_PROGRAM_EXT,
	LNW_REVOKE_EXT,
	LNW_ALLOCATE_NET,
	LNW_FREE_NET,
	LNW_IPAM_CAPS,
	LNW_IPAM_SPACES,
	LNW_IPAM_REQ_POOL,
	LNW_IPAM_REL_POOL,
	LNW_IPAM_REQ_ADDR,
	LNW_IPAM_REL_ADDR,
};

/* "/NetworkDriver.Join" -> LNW_JOIN; LNW_UNKNOWN for anything else. */
enum lnw_call lnw_call_of(const char *path);
const char *lnw_call_name(enum lnw_call c);

/* The body as a JSON object; an empty body is {} (Activate and the
 * GetCapabilities calls send none). NULL with a message. */
json_t *lnw_body_parse(const char *body, size_t len, char *err, size_t errlen);

/* Docker ids become key segments and interface names: 1..64 of [A-Za-z0-9]. */
bool lnw_id_is_valid(const char *id);

/* ---- requests ---- */

struct lnw_pool_req {
	const char *pool;     /* "" when none given */
	const char *sub_pool; /* "" when none */
	bool v6;
	bool has_options;     /* a non-empty Options object */
};
int lnw_pool_req_parse(const json_t *body, struct lnw_pool_req *r, char *err, size_t errlen);

struct lnw_addr_req {
	const char *pool_id;
	bool has_address;
	struct ip_addr address; /* when has_address */
	bool gateway;           /* Options.RequestAddressType == com.docker.network.gateway */
};
int lnw_addr_req_parse(const json_t *body, struct lnw_addr_req *r, char *err, size_t errlen);

struct lnw_release_req {
	const char *pool_id;
	struct ip_addr address;
	bool marker; /* 0.0.0.0 or :: (the gateway marker): nothing to release */
};
int lnw_release_req_parse(const json_t *body, struct lnw_release_req *r, char *err, size_t errlen);

/* CreateNetwork: the network id; refuses networks not on Calico IPAM (a
 * gateway other than the marker) and driver options we do not implement. */
struct lnw_net_req {
	const char *network_id;
};
int lnw_net_create_parse(const json_t *body, struct lnw_net_req *r, char *err, size_t errlen);
/* DeleteNetwork and anything else that names only the network. */
int lnw_net_req_parse(const json_t *body, struct lnw_net_req *r, char *err, size_t errlen);

/* CreateEndpoint: addresses from Interface; a MacAddress is refused. */
struct lnw_ep_create_req {
	const char *network_id, *endpoint_id;
	bool has_v4, has_v6;
	struct ip_addr v4, v6;
};
int lnw_ep_create_parse(const json_t *body, struct lnw_ep_create_req *r, char *err, size_t errlen);

/* DeleteEndpoint, Join, Leave, EndpointOperInfo. */
struct lnw_ep_req {
	const char *network_id, *endpoint_id;
};
int lnw_ep_req_parse(const json_t *body, struct lnw_ep_req *r, char *err, size_t errlen);

/* ---- answers (new references; NULL on ENOMEM) ---- */

json_t *lnw_err_reply(const char *msg);          /* {"Err": msg} */
json_t *lnw_activate_reply(void);                /* {"Implements":["NetworkDriver","IpamDriver"]} */
json_t *lnw_net_caps_reply(const char *scope);   /* {"Scope": scope} */
json_t *lnw_ipam_caps_reply(void);               /* {"RequiresMACAddress":false} */
json_t *lnw_spaces_reply(void);
/* pool_cidr NULL: the marker pool of the family with PoolID CalicoPoolIPvN. */
json_t *lnw_pool_reply(bool v6, const char *pool_cidr);
json_t *lnw_addr_reply(const struct ip_addr *ip); /* {"Address":"a/32","Data":{}} */
json_t *lnw_gateway_reply(bool v6);               /* {"Address":"0.0.0.0/0","Data":{}} */
/* Docker names the container's interface DstPrefix + a number: "cali0", as
 * with every Calico libnetwork driver (users' scripts and Calico's docs expect it). */
#define LNW_DST_PREFIX "cali"
/* Join: InterfaceName {SrcName, DstPrefix LNW_DST_PREFIX}, Gateway "", the static
 * routes to 169.254.1.1 (IPv4) and to the host side's link-local address
 * (IPv6, when v6_gateway is non-NULL; Calico's workloads use fe80::ecee:eeff:feee:eeee). */
json_t *lnw_join_reply(const char *src_name, bool v4, const char *v6_gateway);
json_t *lnw_oper_info_reply(void);                /* {"Value":{}} */
json_t *lnw_empty_reply(void);                    /* {} */

/* "tmp" + the first 11 characters of the endpoint id (Docker renames it). */
void lnw_container_ifname(const char *endpoint_id, char out[16]);
/* Docker's short id (12 characters), the profile when a network's name is
 * unknown or is not a valid profile name. */
void lnw_short_id(const char *id, char out[13]);

/* ---- the driver's own records in the datastore ---- */

/* /calico/libnetwork/v1/network/<id>: {"name":"databases"} — the profile of
 * the network (its Docker name, or its short id when the name was not learnt). */
char *lnw_network_encode(const char *profile);
int lnw_network_decode(const char *json, char *profile, size_t len, char *err, size_t errlen);

/* /calico/libnetwork/v1/host/<host>/endpoint/<id>: what CreateEndpoint was
 * given, for Join: {"network":"<id>","profile":"databases","ipv4":"10.65.0.2","ipv6":""}. */
struct lnw_endpoint_state {
	char network_id[LNW_ID_MAX + 1];
	char profile[64];
	bool has_v4, has_v6;
	struct ip_addr v4, v6;
};
char *lnw_endpoint_encode(const struct lnw_endpoint_state *s);
int lnw_endpoint_decode(const char *json, struct lnw_endpoint_state *s, char *err, size_t errlen);

/* ---- a container's labels, from Docker's container list ---- */

/* Docker labels with this prefix become endpoint labels without it:
 * `--label org.projectcalico.label.role=db` is role=db. */
#define LNW_LABEL_PREFIX "org.projectcalico.label."

/* In containers (GET /containers/json), the one whose
 * NetworkSettings.Networks holds endpoint_id: its id (12 characters) in
 * short_id, and its prefixed labels added to out (endpoint_labels_add: an
 * invalid one is skipped with a warning). -ENOENT when no container has the
 * endpoint (yet), -ENOMEM. */
struct endpoint_labels;
int lnw_container_labels(const json_t *containers, const char *endpoint_id, char short_id[13],
			 struct endpoint_labels *out);

#endif
