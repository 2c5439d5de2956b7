/* Flow aggregation (flow_agg.h). */
#include "flow/flow_agg.h"

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "util/array.h"

enum { ORIG_PK, ORIG_BY, REPLY_PK, REPLY_BY };

struct flow_conn {
	struct flow_conn *next;
	uint64_t hash;
	struct flow_tuple t;
	struct flow_trace side[2]; /* [FLOW_INGRESS], [FLOW_EGRESS] */
	bool confirmed;            /* in conntrack's table: the dataplane accepted it */
	bool ct_new_read;          /* its NEW event read (not just a dump entry) */
	bool denied;               /* a deny verdict was logged */
	bool ended;                /* destroyed, or TCP past its close */
	bool started_reported, ended_reported;
	bool touched; /* something happened to it in this interval */
	uint32_t reused; /* earlier connections on this tuple since the last flush: started and over */
	uint64_t cur[4], rep[4]; /* totals known, and reported so far */
};

const char *flow_net_name(const struct ip_addr *ip)
{
	const uint8_t *b = ip->bytes;
	if (ip->family == 4) {
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) || b[0] == 127 ||
		    (b[0] == 169 && b[1] == 254))
			return "pvt";
		return "pub";
	}
	static const uint8_t loop6[16] = { [15] = 1 };
	if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || memcmp(b, loop6, 16) == 0)
		return "pvt";
	return "pub";
}

void flow_record_free(struct flow_record *r)
{
	free((char *)r->src.labels);
	free((char *)r->dst.labels);
	r->src.labels = r->dst.labels = NULL;
}

void flow_records_free(struct flow_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		flow_record_free(&v[i]);
	free(v);
}

void flow_agg_init(struct flow_agg *a, const struct flow_agg_limits *lim, int64_t now)
{
	memset(a, 0, sizeof(*a));
	if (lim)
		a->lim = *lim;
	if (!a->lim.max_conns)
		a->lim.max_conns = 65536;
	if (!a->lim.max_records)
		a->lim.max_records = 10000;
	a->interval_start = now;
}

static void conn_unlink_all(struct flow_agg *a)
{
	for (size_t i = 0; i < a->n_buckets; i++)
		while (a->buckets[i]) {
			struct flow_conn *c = a->buckets[i];
			a->buckets[i] = c->next;
			free(c);
		}
	a->n_conns = 0;
}

void flow_agg_free(struct flow_agg *a)
{
	conn_unlink_all(a);
	free(a->buckets);
	a->buckets = NULL;
	a->n_buckets = 0;
}

static struct flow_conn *conn_find(struct flow_agg *a, const struct flow_tuple *t, uint64_t h)
{
	if (!a->n_buckets)
		return NULL;
	for (struct flow_conn *c = a->buckets[h & (a->n_buckets - 1)]; c; c = c->next)
		if (c->hash == h && flow_tuple_eq(&c->t, t))
			return c;
	return NULL;
}

/* NULL when full (counted) or out of memory */
static struct flow_conn *conn_add(struct flow_agg *a, const struct flow_tuple *t, uint64_t h)
{
	struct flow_conn *c;
	if (!a->n_buckets) {
		size_t n = 64;
		while (n < a->lim.max_conns / 2)
			n *= 2;
		if (!(a->buckets = calloc(n, sizeof(*a->buckets))))
			return NULL;
		a->n_buckets = n;
	}
	if (a->n_conns >= a->lim.max_conns || !(c = calloc(1, sizeof(*c)))) {
		a->dropped_conns++;
		return NULL;
	}
	c->t = *t;
	c->hash = h;
	c->next = a->buckets[h & (a->n_buckets - 1)];
	a->buckets[h & (a->n_buckets - 1)] = c;
	a->n_conns++;
	return c;
}

int flow_agg_nflog(struct flow_agg *a, const struct nflog_pkt *p)
{
	uint64_t h = flow_tuple_hash(&p->t);
	struct flow_conn *c = conn_find(a, &p->t, h);
	struct flow_trace *tr;

	a->nflog_in++;
	if (!c && !(c = conn_add(a, &p->t, h)))
		return 0;
	c->touched = true;
	tr = &c->side[p->dir == FLOW_EGRESS];
	/* A trace that ended in a decision is a whole walk: another packet of a
	 * connection still new (a retransmitted SYN, a UDP datagram before the
	 * first reply) walks the same points again and starts over, so the
	 * trace holds one walk, not one per packet. */
	if (tr->n && tr->action[tr->n - 1] != FLOW_PASS)
		tr->n = 0;
	if (tr->n < FLOW_TRACE_MAX) {
		tr->id[tr->n] = p->id;
		tr->action[tr->n] = (uint8_t)p->action;
		tr->n++;
	}
	if (p->action == FLOW_DENY) {
		/* conntrack never counts a dropped packet: the log is all there is */
		c->denied = true;
		c->cur[ORIG_PK]++;
		c->cur[ORIG_BY] += p->ip_len;
	}
	return 0;
}

int flow_agg_ct(struct flow_agg *a, const struct ct_msg *m)
{
	uint64_t h = flow_tuple_hash(&m->orig);
	struct flow_conn *c = conn_find(a, &m->orig, h);

	a->ct_in++;
	if (!c) {
		if (m->type != CT_MSG_NEW) { /* began before we listened, or was forgotten */
			a->unknown_ct++;
			return 0;
		}
		if (!(c = conn_add(a, &m->orig, h)))
			return 0;
	}
	c->touched = true;
	if (m->type == CT_MSG_NEW && c->ct_new_read) {
		/* conntrack made a second entry for a tuple it had announced: the
		 * client picked the same port again after the old connection
		 * closed (a busy client does within seconds). The old one is over
		 * and both count. The new entry's totals start at 0: rep absorbs
		 * the old ones (modulo 2^64), so cur - rep still adds the old
		 * connection's unreported rest. */
		c->reused++;
		c->ended = false;
		for (int i = 0; i < 4; i++) {
			c->rep[i] -= c->cur[i];
			c->cur[i] = 0;
		}
	}
	/* only an event counts here: a flush's dump can show the entry before
	 * its NEW event is read */
	c->ct_new_read |= m->type == CT_MSG_NEW;
	c->confirmed = true;
	if (m->has_counters) {
		uint64_t v[4] = { m->orig_packets, m->orig_bytes, m->reply_packets, m->reply_bytes };
		for (int i = 0; i < 4; i++)
			if (v[i] > c->cur[i]) /* totals only grow */
				c->cur[i] = v[i];
	}
	if (m->type == CT_MSG_DESTROY || ct_tcp_state_ended(m->tcp_state))
		c->ended = true;
	return 0;
}

/* ---------- flush ---------- */

struct rec_set {
	struct flow_record *v;
	size_t n, cap;
	size_t *index; /* open addressing over v, SIZE_MAX empty */
	size_t n_index;
};

static bool ep_eq(const struct flow_ep *a, const struct flow_ep *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 && strcmp(a->namespace, b->namespace) == 0;
}

static bool key_eq(const struct flow_record *a, const struct flow_record *b)
{
	return a->side == b->side && a->proto == b->proto && a->dport == b->dport && a->action == b->action &&
	       a->trace.n == b->trace.n && memcmp(a->trace.id, b->trace.id, sizeof(a->trace.id[0]) * a->trace.n) == 0 &&
	       ep_eq(&a->src, &b->src) && ep_eq(&a->dst, &b->dst);
}

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t key_hash(const struct flow_record *r)
{
	uint64_t h = 1469598103934665603ull;
	uint64_t nums[] = { r->side, r->proto, r->dport, r->action, r->src.kind, r->dst.kind, r->trace.n };
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		h = (h ^ nums[i]) * 1099511628211ull;
	for (size_t i = 0; i < r->trace.n; i++)
		h = (h ^ r->trace.id[i]) * 1099511628211ull;
	h = str_hash(h, r->src.name);
	h = str_hash(h, r->src.namespace);
	h = str_hash(h, r->dst.name);
	return str_hash(h, r->dst.namespace);
}

/* the record with r's key, added when new; NULL when over the cap or ENOMEM (*oom) */
static struct flow_record *rec_get(struct rec_set *s, const struct flow_record *r, size_t max, bool *oom)
{
	uint64_t h = key_hash(r);
	size_t i;

	if (!s->index) {
		s->n_index = 64;
		while (s->n_index < max * 2)
			s->n_index *= 2;
		if (!(s->index = malloc(s->n_index * sizeof(*s->index)))) {
			*oom = true;
			return NULL;
		}
		memset(s->index, 0xff, s->n_index * sizeof(*s->index));
	}
	for (i = h & (s->n_index - 1); s->index[i] != SIZE_MAX; i = (i + 1) & (s->n_index - 1))
		if (key_eq(&s->v[s->index[i]], r))
			return &s->v[s->index[i]];
	if (s->n >= max)
		return NULL;
	if (array_reserve((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0) {
		*oom = true;
		return NULL;
	}
	struct flow_record *n = &s->v[s->n];
	*n = *r;
	n->src.labels = strdup(r->src.labels ? r->src.labels : "{}");
	n->dst.labels = strdup(r->dst.labels ? r->dst.labels : "{}");
	if (!n->src.labels || !n->dst.labels) {
		flow_record_free(n);
		*oom = true;
		return NULL;
	}
	s->index[i] = s->n++;
	return n;
}

static void resolve_ep(flow_resolve_fn resolve, void *ctx, const struct ip_addr *ip, struct flow_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (resolve && resolve(ctx, ip, ep))
		return;
	memset(ep, 0, sizeof(*ep));
	ep->kind = FLOW_EP_NET;
	strcpy(ep->name, flow_net_name(ip));
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

/* adds one side of c to the set; false on ENOMEM */
static bool add_side(struct flow_agg *a, struct rec_set *s, const struct flow_conn *c, enum flow_dir side,
		     const struct flow_ep *src, const struct flow_ep *dst, int64_t now)
{
	const struct flow_trace *tr = &c->side[side == FLOW_EGRESS];
	struct flow_record key, *r;
	uint64_t d[4];
	bool oom = false;

	memset(&key, 0, sizeof(key));
	key.start = a->interval_start;
	key.end = now;
	key.side = side;
	key.src = *src;
	key.dst = *dst;
	key.proto = c->t.proto;
	key.dport = has_ports(c->t.proto) ? c->t.dport : 0;
	key.trace = *tr;
	/* a side with no verdict of its own let the connection by */
	key.action = tr->n && tr->action[tr->n - 1] != FLOW_PASS ? (enum flow_action)tr->action[tr->n - 1] : FLOW_ALLOW;
	if (!(r = rec_get(s, &key, a->lim.max_records, &oom))) {
		if (!oom)
			a->dropped_records++;
		return !oom;
	}
	for (int i = 0; i < 4; i++)
		d[i] = c->cur[i] - c->rep[i];
	if (side == FLOW_EGRESS) { /* the source reports: it sent the original direction */
		r->packets_out += d[ORIG_PK];
		r->bytes_out += d[ORIG_BY];
		r->packets_in += d[REPLY_PK];
		r->bytes_in += d[REPLY_BY];
	} else {
		r->packets_in += d[ORIG_PK];
		r->bytes_in += d[ORIG_BY];
		r->packets_out += d[REPLY_PK];
		r->bytes_out += d[REPLY_BY];
	}
	r->started += !c->started_reported + c->reused;
	r->completed += ((c->ended || c->denied) && !c->ended_reported) + c->reused;
	r->live += !c->ended && !c->denied;
	return true;
}

int flow_agg_flush(struct flow_agg *a, int64_t now, flow_resolve_fn resolve, void *ctx, struct flow_record **out,
		   size_t *n_out)
{
	struct rec_set s = { 0 };
	struct flow_ep src, dst;

	*out = NULL;
	*n_out = 0;
	/* Allowed by a verdict logged an interval ago, yet never in conntrack's
	 * table: dropped after its allow (on this host, by the destination's
	 * policy, whose rate-limited deny log may not have named it). It is
	 * over; without this, every such attempt would stay until the cap. */
	for (size_t b = 0; b < a->n_buckets; b++)
		for (struct flow_conn *c = a->buckets[b]; c; c = c->next)
			if (c->started_reported && !c->confirmed && !c->denied)
				c->ended = true;
	for (size_t b = 0; b < a->n_buckets; b++)
		for (struct flow_conn *c = a->buckets[b]; c; c = c->next) {
			if (!c->touched && (c->ended || c->denied))
				continue;
			resolve_ep(resolve, ctx, &c->t.src, &src);
			resolve_ep(resolve, ctx, &c->t.dst, &dst);
			for (int side = 0; side < 2; side++) {
				/* a local side without a verdict of its own reports allow:
				 * it let the connection by, but for a destination whose
				 * source's egress denied it, which never saw it at all */
				const struct flow_trace *out = &c->side[1];
				bool out_denied = out->n && out->action[out->n - 1] == FLOW_DENY;
				bool reports = c->side[side].n > 0 ||
					       (side == FLOW_EGRESS ? src.local : dst.local && !out_denied);
				if (reports && !add_side(a, &s, c, (enum flow_dir)side, &src, &dst, now)) {
					flow_records_free(s.v, s.n);
					free(s.index);
					return -ENOMEM;
				}
			}
		}
	/* all records made: now the connections may move on */
	for (size_t b = 0; b < a->n_buckets; b++) {
		struct flow_conn **pp = &a->buckets[b];
		while (*pp) {
			struct flow_conn *c = *pp;
			bool reported = c->side[0].n || c->side[1].n;
			if (!reported) {
				resolve_ep(resolve, ctx, &c->t.src, &src);
				resolve_ep(resolve, ctx, &c->t.dst, &dst);
				reported = src.local || dst.local;
			}
			memcpy(c->rep, c->cur, sizeof(c->rep));
			c->started_reported = true;
			c->ended_reported = c->ended || c->denied;
			c->touched = false;
			c->reused = 0;
			if (!reported || c->ended || c->denied) {
				*pp = c->next;
				free(c);
				a->n_conns--;
			} else {
				pp = &c->next;
			}
		}
	}
	free(s.index);
	a->interval_start = now;
	*out = s.v;
	*n_out = s.n;
	return 0;
}

/* ---------- JSON ---------- */

static json_t *ep_json(const struct flow_ep *e, bool *ok)
{
	static const char *const kinds[] = { "wep", "ns", "net" };
	json_t *o = json_object(), *labels = json_loads(e->labels ? e->labels : "{}", 0, NULL);
	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	if (!o)
		*ok = false;
	js_set(o, "kind", json_string(kinds[e->kind]), ok);
	js_set(o, "name", json_string(e->name), ok);
	js_set(o, "namespace", json_string(e->namespace), ok);
	js_set(o, "labels", labels, ok);
	return o;
}

static json_t *point_json(uint32_t id, uint8_t action, const struct flow_registry *reg, bool *ok)
{
	const struct flow_point *p = reg ? flow_registry_get(reg, id) : NULL;
	json_t *o = json_object();
	char hex[16];
	if (!o)
		*ok = false;
	snprintf(hex, sizeof(hex), "%x", (unsigned)id);
	if (p) {
		js_set(o, "kind", json_string(flow_kind_name(p->kind)), ok);
		js_set(o, "tier", json_string(p->tier), ok);
		js_set(o, "name", json_string(p->name), ok);
		js_set(o, "namespace", json_string(p->namespace), ok);
		js_set(o, "rule", json_integer(p->rule), ok);
		js_set(o, "action", json_string(flow_action_name(p->action)), ok);
		js_set(o, "trigger", json_string(p->trigger), ok);
	} else {
		js_set(o, "kind", json_string("unknown"), ok);
		js_set(o, "action", json_string(flow_action_name((enum flow_action)action)), ok);
	}
	js_set(o, "id", json_string(hex), ok);
	return o;
}

char *flow_record_json(const struct flow_record *r, const struct flow_registry *reg)
{
	json_t *o = json_object(), *pol = json_object(), *enforced = json_array();
	char pbuf[8];
	bool ok = o && pol && enforced;

	js_set(o, "start", json_integer(r->start), &ok);
	js_set(o, "end", json_integer(r->end), &ok);
	js_set(o, "reporter", json_string(r->side == FLOW_EGRESS ? "src" : "dst"), &ok);
	js_set(o, "source", ep_json(&r->src, &ok), &ok);
	js_set(o, "dest", ep_json(&r->dst, &ok), &ok);
	js_set(o, "proto", json_string(flow_proto_name(r->proto, pbuf, sizeof(pbuf))), &ok);
	js_set(o, "dest_port", json_integer(r->dport), &ok);
	js_set(o, "action", json_string(flow_action_name(r->action)), &ok);
	for (size_t i = 0; i < r->trace.n; i++)
		js_append(enforced, point_json(r->trace.id[i], r->trace.action[i], reg, &ok), &ok);
	js_set(pol, "enforced", enforced, &ok);
	js_set(o, "policies", pol, &ok);
	js_set(o, "packets_in", json_integer((json_int_t)r->packets_in), &ok);
	js_set(o, "packets_out", json_integer((json_int_t)r->packets_out), &ok);
	js_set(o, "bytes_in", json_integer((json_int_t)r->bytes_in), &ok);
	js_set(o, "bytes_out", json_integer((json_int_t)r->bytes_out), &ok);
	js_set(o, "connections_started", json_integer((json_int_t)r->started), &ok);
	js_set(o, "connections_completed", json_integer((json_int_t)r->completed), &ok);
	js_set(o, "connections_live", json_integer((json_int_t)r->live), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
