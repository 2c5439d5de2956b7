/* The flow collector's arithmetic: NFLOG verdicts and conntrack messages in,
 * per-interval flow records out (DESIGN §12). Pure logic: the agent feeds it
 * what its sockets read and says when an interval ends.
 *
 * Connections are kept by their original 5-tuple from the first sign of them
 * (a verdict logged for their first packet, or conntrack's NEW) until they
 * end (conntrack's DESTROY, a TCP state past the close, or a deny: a denied
 * connection never reaches conntrack's table). At each flush every connection
 * seen in the interval adds to the record its key names:
 *   reporter (src: the verdicts of the source's egress policy, or a source on
 *   this host; dst: the destination's ingress side), source and dest endpoint
 *   (resolved by the agent's callback, else the pvt/pub network), proto, dest
 *   port, action and the verdict points on that side (the enforced trace).
 * So 1,000 connections between the same two endpoints to the same port under
 * the same rule are one record with connections_started 1000.
 *
 * Counts: packets and bytes from conntrack's accounting (the agent sets
 * net.netfilter.nf_conntrack_acct=1 in its namespace) as deltas since the
 * last flush; a denied connection counts the packets its verdict logged
 * (rate-limited in the kernel, so a lower bound).
 *
 * Bounded: at most max_conns connections and max_records records; what does
 * not fit is counted in dropped_conns / dropped_records and left out. */
#ifndef CALICO_FLOW_AGG_H
#define CALICO_FLOW_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/ct_msg.h"
#include "flow/flow_id.h"
#include "flow/flow_tuple.h"
#include "flow/nflog_msg.h"

#define FLOW_TRACE_MAX 8 /* verdict points per side of a connection: tiers' passes and the decision */
#define FLOW_NAME_MAX 253
#define FLOW_NS_MAX 63

enum flow_ep_kind { FLOW_EP_WEP = 0, FLOW_EP_NS, FLOW_EP_NET };

/* One side of a flow. NET: name is "pvt" or "pub". labels: a JSON object's
 * text ("{}" when none); the resolver's pointer is copied before it returns. */
struct flow_ep {
	enum flow_ep_kind kind;
	bool local; /* a workload of this host: it reports */
	char name[FLOW_NAME_MAX + 1];
	char namespace[FLOW_NS_MAX + 1];
	const char *labels;
};

/* The agent's answer for an address: fills *out and returns true for one of
 * its endpoints or network sets; false leaves the address to pvt/pub. */
typedef bool (*flow_resolve_fn)(void *ctx, const struct ip_addr *ip, struct flow_ep *out);

/* "pvt" for RFC 1918, RFC 4193 (ULA), loopback and link-local; "pub" else. */
const char *flow_net_name(const struct ip_addr *ip);

struct flow_trace {
	uint8_t n;
	uint32_t id[FLOW_TRACE_MAX];
	uint8_t action[FLOW_TRACE_MAX]; /* enum flow_action, as the prefix told */
};

struct flow_record {
	int64_t start, end; /* unix seconds, [start, end) */
	enum flow_dir side; /* FLOW_EGRESS: reporter src; FLOW_INGRESS: reporter dst */
	struct flow_ep src, dst; /* labels owned (malloc'd) */
	uint8_t proto;
	uint16_t dport; /* 0 for protocols without ports */
	enum flow_action action;
	struct flow_trace trace;
	uint64_t packets_in, packets_out, bytes_in, bytes_out;
	uint64_t started, completed, live;
};

void flow_record_free(struct flow_record *r);
void flow_records_free(struct flow_record *v, size_t n);
/* One JSON object on one line (no newline), the points named through reg
 * (an id the registry does not know shows as kind "unknown" with its id).
 * malloc'd; NULL on ENOMEM. */
char *flow_record_json(const struct flow_record *r, const struct flow_registry *reg);

struct flow_agg_limits {
	size_t max_conns;   /* 0: 65536 */
	size_t max_records; /* per flush; 0: 10000 */
};

struct flow_conn;

struct flow_agg {
	struct flow_agg_limits lim;
	struct flow_conn **buckets;
	size_t n_buckets, n_conns;
	int64_t interval_start;
	/* totals since init */
	uint64_t nflog_in, ct_in, dropped_conns, dropped_records, unknown_ct;
};

void flow_agg_init(struct flow_agg *a, const struct flow_agg_limits *lim, int64_t now);
void flow_agg_free(struct flow_agg *a);
/* 0, or -ENOMEM (counted as a dropped connection). */
int flow_agg_nflog(struct flow_agg *a, const struct nflog_pkt *p);
int flow_agg_ct(struct flow_agg *a, const struct ct_msg *m);
/* Ends the interval at now: the records of every connection active in it
 * (caller frees with flow_records_free), connections that ended forgotten.
 * 0 or -ENOMEM (then the interval is kept and nothing is lost but memory). */
int flow_agg_flush(struct flow_agg *a, int64_t now, flow_resolve_fn resolve, void *ctx, struct flow_record **out,
		   size_t *n_out);

#endif
