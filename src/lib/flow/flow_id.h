/* The contract between the policy compiler and the flow collector: how a
 * verdict point (a place in the ruleset that decides a new connection) is
 * named in the kernel, and what the agent knows about each name. Pure logic.
 *
 * In the kernel a verdict point is an nftables `log` statement sending the
 * first packet of a connection to NFLOG group FLOW_NFLOG_GROUP with the prefix
 * "<action>|<direction>|<id>":
 *   action     A (allow), D (deny), P (pass: on to the next tier)
 *   direction  I (ingress: towards a workload, its inbound policy)
 *              E (egress: from a workload, its outbound policy)
 *   id         the verdict point's id in lower-case hex, 1-8 digits, no
 *              leading zero ("0" for id 0)
 * e.g. "A|I|1f3a". The prefix is at most FLOW_PREFIX_MAX - 1 bytes: nftables
 * takes 127 (the kernel's NF_LOG_PREFIXLEN is 128, checked with nft 1.0.6),
 * iptables' NFLOG target only 63, and ours stay within both.
 *
 * The rule text the compiler emits (checked to load with nft 1.0.6):
 *   allow, pass:  <match> ct state new log group 2 prefix "A|I|1f3a" accept
 *                 (the log statement sits before the verdict on the same rule;
 *                 only a new connection's first packet reaches it, later
 *                 packets are accepted by the established rule above)
 *   deny:         <match> ct state new limit rate 50/second burst 100 packets log group 2 prefix "D|I|20"
 *                 <match> drop
 *                 (the rate-limited log is a rule of its own, before the drop:
 *                 a limit on the drop rule itself would let the packets over
 *                 the rate through, unlogged and undropped)
 * End-of-tier drops, the profile chain's final drop, the fail-closed drop of
 * unprogrammed interfaces and the anti-spoofing drops are denies like any
 * other, each with its own id.
 *
 * The agent's registry maps each id to a flow_point; the compiler fills it as
 * it renders the ruleset (policy/nft_flow.h; which points exist and how each
 * kind is named: policy/nft_compile.h, nft_compile_flows). Ids are the
 * compiler's choice; flow_point_hash() gives a stable one (the same point
 * keeps its id across restarts, so a packet logged under the previous
 * agent's ruleset still names the right rule); on a collision the compiler
 * takes the next free id. For an end-of-tier point, name and namespace are
 * those of the trigger (so points with different triggers hash apart) and
 * trigger repeats the policy's name. */
#ifndef CALICO_FLOW_ID_H
#define CALICO_FLOW_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOW_NFLOG_GROUP 2
#define FLOW_PREFIX_MAX 64 /* bytes, with the NUL */

enum flow_action { FLOW_ALLOW = 0, FLOW_DENY, FLOW_PASS };
enum flow_dir { FLOW_INGRESS = 0, FLOW_EGRESS };
enum flow_kind {
	FLOW_KIND_POLICY = 0,   /* a rule of a (network or global network) policy */
	FLOW_KIND_PROFILE,      /* a rule of a profile */
	FLOW_KIND_END_OF_TIER,  /* no policy of a tier decided: its default deny (or pass) */
	FLOW_KIND_END_OF_PROFILES, /* no profile rule decided: the profile chain's final drop */
	FLOW_KIND_FAIL_CLOSED,  /* an interface the agent has not programmed */
	FLOW_KIND_ANTI_SPOOF,   /* a source address the endpoint does not own */
};

/* One verdict point. Strings are never NULL ("" when not relevant); in a
 * registry they belong to the registry. rule is the rule's index in its
 * policy or profile (-1 when the point is no rule). trigger: for an
 * end-of-tier verdict, the last policy of the tier that applied to the
 * endpoint (Calico's flow logs name it). */
struct flow_point {
	uint32_t id;
	enum flow_kind kind;
	enum flow_action action;
	enum flow_dir dir;
	const char *tier, *name, *namespace, *trigger;
	int rule;
};

const char *flow_action_name(enum flow_action a); /* "allow" "deny" "pass" */
const char *flow_dir_name(enum flow_dir d);       /* "ingress" "egress" */
const char *flow_kind_name(enum flow_kind k);     /* "policy" "profile" "end-of-tier" ... */
int flow_action_parse(const char *text, enum flow_action *out);
int flow_kind_parse(const char *text, enum flow_kind *out);
int flow_dir_parse(const char *text, enum flow_dir *out);

/* The NFLOG prefix of a verdict point into buf (FLOW_PREFIX_MAX). Returns buf. */
char *flow_prefix_format(enum flow_action a, enum flow_dir d, uint32_t id, char *buf);
/* Strict inverse of flow_prefix_format: 0, or -EINVAL for anything else
 * (another program's prefix in the same group, a truncated one). */
int flow_prefix_parse(const char *prefix, enum flow_action *a, enum flow_dir *d, uint32_t *id);

/* A stable id for a point: FNV-1a over its kind, direction, action, tier,
 * name, namespace and rule. */
uint32_t flow_point_hash(const struct flow_point *p);

/* id -> verdict point; open addressing, owns copies of the strings. */
struct flow_registry {
	struct flow_point *points; /* the n points, dense, in the order they came */
	size_t n, cap_points;
	uint32_t *index;           /* open addressing on the id: 1 + the point's position, 0 empty */
	size_t cap;                /* index slots, a power of two, at most 3/4 used */
};

void flow_registry_init(struct flow_registry *r);
void flow_registry_free(struct flow_registry *r);
/* Copies p. 0 (added, or the same point again), -EEXIST (the id names
 * another point: nothing changed), -EINVAL (bad strings), -ENOMEM. */
int flow_registry_put(struct flow_registry *r, const struct flow_point *p);
const struct flow_point *flow_registry_get(const struct flow_registry *r, uint32_t id);
/* A JSON array of points, each {"id": N, "kind": "policy", "action": "allow",
 * "direction": "ingress", "tier": "", "name": "", "namespace": "", "rule": 0,
 * "trigger": ""} (id, kind, action and direction required). 0, or -EINVAL /
 * -EEXIST / -ENOMEM with a message in err; on failure r is unchanged. */
int flow_registry_load_json(struct flow_registry *r, const char *json, char *err, size_t errlen);

#endif
