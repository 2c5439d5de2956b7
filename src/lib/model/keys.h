/* Datastore key layout of DESIGN §2 (Calico's v1 layout). Builders write into a
 * caller buffer of KEY_MAX bytes and return it, or NULL when it would not fit. */
#ifndef CALICO_KEYS_H
#define CALICO_KEYS_H

#include <stddef.h>

#define KEY_MAX 512

#define KEY_READY              "/calico/v1/Ready"
#define KEY_CONFIG_PREFIX      "/calico/v1/config/"
#define KEY_HOST_PREFIX        "/calico/v1/host/"
#define KEY_PROFILE_PREFIX     "/calico/v1/policy/profile/"
#define KEY_POOL_V4_PREFIX     "/calico/v1/ipam/v4/pool/"
#define KEY_POOL_V6_PREFIX     "/calico/v1/ipam/v6/pool/"
#define KEY_BLOCK_V4_PREFIX    "/calico/ipam/v2/assignment/ipv4/block/"
#define KEY_BLOCK_V6_PREFIX    "/calico/ipam/v2/assignment/ipv6/block/"
#define KEY_HANDLE_PREFIX      "/calico/ipam/v2/handle/"
#define KEY_BGP_AS_NUM         "/calico/bgp/v1/global/as_num"
#define KEY_BGP_NODE_MESH      "/calico/bgp/v1/global/node_mesh"
#define KEY_BGP_LOGLEVEL       "/calico/bgp/v1/global/loglevel"
#define KEY_BGP_PEER_V4_PREFIX "/calico/bgp/v1/global/peer_v4/"
#define KEY_BGP_PEER_V6_PREFIX "/calico/bgp/v1/global/peer_v6/"
#define KEY_BGP_HOST_PREFIX    "/calico/bgp/v1/host/"
#define KEY_FELIX_HOST_PREFIX  "/calico/felix/v1/host/"

char *key_fmt(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

char *key_profile_dir(char *buf, const char *profile);   /* .../profile/<p>/  */
char *key_profile_tags(char *buf, const char *profile);  /* .../profile/<p>/tags */
char *key_profile_rules(char *buf, const char *profile); /* .../profile/<p>/rules */
char *key_config(char *buf, const char *name);
char *key_host_config(char *buf, const char *host, const char *name);
char *key_endpoint(char *buf, const char *host, const char *orch, const char *workload, const char *id);
char *key_pool(char *buf, int family, const char *cidr_key /* "10.0.0.0-16" */);
char *key_bgp_peer(char *buf, int family, const char *ip);
char *key_bgp_host(char *buf, const char *host, const char *leaf /* "ip_addr_v4", "as_num", ... */);
char *key_bgp_host_peer(char *buf, const char *host, int family, const char *ip);

#endif
