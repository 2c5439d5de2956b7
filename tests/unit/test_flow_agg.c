/* flow_agg: verdicts and conntrack messages into per-interval records. */
#include <errno.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_agg.h"
#include "flow/flow_query.h"
#include "tap.h"

/* two workloads on this host, one remote network set */
static bool resolve(void *ctx, const struct ip_addr *ip, struct flow_ep *out)
{
	char buf[IP_STR_MAX];
	(void)ctx;
	ip_format(ip, buf);
	if (strcmp(buf, "10.65.0.2") == 0 || strcmp(buf, "10.65.0.3") == 0) {
		out->kind = FLOW_EP_WEP;
		out->local = true;
		strcpy(out->name, buf[8] == '2' ? "client" : "server");
		strcpy(out->namespace, "shop");
		out->labels = buf[8] == '2' ? "{\"app\":\"client\"}" : "{\"app\":\"server\"}";
		return true;
	}
	if (strcmp(buf, "192.0.2.9") == 0) {
		out->kind = FLOW_EP_NS;
		strcpy(out->name, "partners");
		out->labels = "{}";
		return true;
	}
	return false;
}

static struct flow_tuple T(const char *s, uint16_t sport, const char *d, uint16_t dport)
{
	struct flow_tuple t = { .proto = IPPROTO_TCP, .sport = sport, .dport = dport };
	ip_parse(s, &t.src);
	ip_parse(d, &t.dst);
	return t;
}

static void logv(struct flow_agg *a, struct flow_tuple t, enum flow_action act, enum flow_dir dir, uint32_t id)
{
	struct nflog_pkt p = { .group = 2, .action = act, .dir = dir, .id = id, .t = t, .ip_len = 60 };
	flow_agg_nflog(a, &p);
}

static void ct(struct flow_agg *a, struct flow_tuple t, enum ct_msg_type type, uint64_t op, uint64_t ob, uint64_t rp,
	       uint64_t rb, int st)
{
	struct ct_msg m = { .type = type, .orig = t, .has_counters = op || ob, .orig_packets = op, .orig_bytes = ob,
			    .reply_packets = rp, .reply_bytes = rb, .tcp_state = st };
	flow_agg_ct(a, &m);
}

static const struct flow_record *find(const struct flow_record *v, size_t n, enum flow_dir side)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].side == side)
			return &v[i];
	return NULL;
}

int main(void)
{
	struct flow_agg a;
	struct flow_record *v;
	size_t n;
	const struct flow_record *r;

	/* one allowed connection between two local workloads, verdicts on both sides */
	flow_agg_init(&a, NULL, 1000);
	struct flow_tuple t = T("10.65.0.2", 40000, "10.65.0.3", 8080);
	logv(&a, t, FLOW_ALLOW, FLOW_EGRESS, 0x10);
	logv(&a, t, FLOW_PASS, FLOW_INGRESS, 0x20);
	logv(&a, t, FLOW_ALLOW, FLOW_INGRESS, 0x21);
	ct(&a, t, CT_MSG_NEW, 0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT);
	ct(&a, t, CT_MSG_DESTROY, 12, 100000, 9, 700, TCP_CONNTRACK_TIME_WAIT);
	CHECK_INT(flow_agg_flush(&a, 1015, resolve, NULL, &v, &n), 0, "flush");
	CHECK_INT(n, 2, "two records: the source's and the destination's");
	r = find(v, n, FLOW_EGRESS);
	CHECK(r && r->start == 1000 && r->end == 1015 && r->action == FLOW_ALLOW && r->trace.n == 1 &&
		      r->trace.id[0] == 0x10 && strcmp(r->src.name, "client") == 0 && strcmp(r->dst.name, "server") == 0 &&
		      r->dport == 8080 && r->proto == IPPROTO_TCP,
	      "the source's record: interval, action, its egress verdict, endpoints, port");
	CHECK(r && r->packets_out == 12 && r->bytes_out == 100000 && r->packets_in == 9 && r->bytes_in == 700 &&
		      r->started == 1 && r->completed == 1 && r->live == 0,
	      "the source sent the original direction; one connection started and completed");
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->trace.n == 2 && r->trace.id[0] == 0x20 && r->trace.id[1] == 0x21 && r->action == FLOW_ALLOW &&
		      r->packets_in == 12 && r->bytes_out == 700,
	      "the destination's record: pass then allow, and counts from its side");
	struct flow_registry reg;
	flow_registry_init(&reg);
	struct flow_point pt = { .id = 0x21, .kind = FLOW_KIND_POLICY, .action = FLOW_ALLOW, .dir = FLOW_INGRESS,
				 .tier = "default", .name = "web", .namespace = "shop", .trigger = "", .rule = 0 };
	flow_registry_put(&reg, &pt);
	char *js = r ? flow_record_json(r, &reg) : NULL;
	CHECK_STR(js,
		  "{\"start\":1000,\"end\":1015,\"reporter\":\"dst\",\"source\":{\"kind\":\"wep\",\"name\":\"client\","
		  "\"namespace\":\"shop\",\"labels\":{\"app\":\"client\"}},\"dest\":{\"kind\":\"wep\",\"name\":\"server\","
		  "\"namespace\":\"shop\",\"labels\":{\"app\":\"server\"}},\"proto\":\"tcp\",\"dest_port\":8080,"
		  "\"action\":\"allow\",\"policies\":{\"enforced\":[{\"kind\":\"unknown\",\"action\":\"pass\",\"id\":\"20\"},"
		  "{\"kind\":\"policy\",\"tier\":\"default\",\"name\":\"web\",\"namespace\":\"shop\",\"rule\":0,"
		  "\"action\":\"allow\",\"trigger\":\"\",\"id\":\"21\"}]},\"packets_in\":12,\"packets_out\":9,"
		  "\"bytes_in\":100000,\"bytes_out\":700,\"connections_started\":1,\"connections_completed\":1,"
		  "\"connections_live\":0}",
		  "the record's JSON line");
	free(js);
	char *names = r ? flow_record_policy_names(r, &reg) : NULL;
	struct flow_query q;
	char qerr[128], line[FLOW_QUERY_LINE_MAX];
	CHECK_STR(names, "\nweb\ndefault/web\nshop/web\n", "the trace's names for --policy");
	CHECK(flow_query_parse("flows policy=default/web action=allow since=1010", &q, qerr, sizeof(qerr)) == 0 &&
		      flow_query_match(&q, 1015, FLOW_ALLOW, names) && !flow_query_match(&q, 1005, FLOW_ALLOW, names) &&
		      !flow_query_match(&q, 1015, FLOW_DENY, names),
	      "a query matches by policy, since and action");
	CHECK(flow_query_parse("flows policy=we", &q, qerr, sizeof(qerr)) == 0 && !flow_query_match(&q, 1015, FLOW_ALLOW, names),
	      "a policy name matches whole, not as a prefix");
	free(names);
	CHECK(flow_query_parse("flows action=pass", &q, qerr, sizeof(qerr)) == -EINVAL &&
		      strcmp(qerr, "action must be allow or deny, not \"pass\"") == 0,
	      "action pass refused with a reason");
	CHECK(flow_query_parse("flows colour=red", &q, qerr, sizeof(qerr)) == -EINVAL &&
		      strcmp(qerr, "unknown request word \"colour=red\"") == 0,
	      "an unknown word refused with a reason");
	CHECK(flow_query_parse("GET / HTTP/1.0", &q, qerr, sizeof(qerr)) == -EINVAL, "not a flows request");
	q.follow = true;
	CHECK(flow_query_format(&q, line, sizeof(line)) == 0 && strcmp(line, "flows follow=1 since=0\n") == 0,
	      "format a request line");
	flow_records_free(v, n);
	CHECK_INT(a.n_conns, 0, "the ended connection is forgotten");
	CHECK_INT(flow_agg_flush(&a, 1030, resolve, NULL, &v, &n), 0, "flush an empty interval");
	CHECK_INT(n, 0, "nothing to report");
	flow_records_free(v, n);

	/* 1,000 identical connections: one record */
	for (uint16_t i = 0; i < 1000; i++) {
		struct flow_tuple ti = T("10.65.0.2", (uint16_t)(20000 + i), "10.65.0.3", 8080);
		logv(&a, ti, FLOW_ALLOW, FLOW_INGRESS, 0x21);
		ct(&a, ti, CT_MSG_NEW, 0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT);
		ct(&a, ti, CT_MSG_DESTROY, 6, 400, 4, 300, TCP_CONNTRACK_CLOSE);
	}
	CHECK_INT(flow_agg_flush(&a, 1045, resolve, NULL, &v, &n), 0, "flush 1,000 connections");
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->started == 1000 && r->completed == 1000 && r->packets_in == 6000 && r->bytes_in == 400000 &&
		      r->packets_out == 4000,
	      "one destination record with connections_started 1000 and the summed counts");
	r = find(v, n, FLOW_EGRESS);
	CHECK(n == 2 && r && r->trace.n == 0 && r->action == FLOW_ALLOW && r->started == 1000,
	      "the local source reports too, with no verdict of its own: allowed by conntrack");
	flow_records_free(v, n);

	/* a client that picks the same port again within an interval: conntrack
	 * makes a new entry for the tuple; two connections, both counted */
	struct flow_tuple tr = T("10.65.0.2", 41000, "10.65.0.3", 8080);
	logv(&a, tr, FLOW_ALLOW, FLOW_INGRESS, 0x21);
	ct(&a, tr, CT_MSG_NEW, 0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT);
	ct(&a, tr, CT_MSG_UPDATE, 5, 300, 4, 200, TCP_CONNTRACK_TIME_WAIT);
	ct(&a, tr, CT_MSG_DESTROY, 6, 400, 4, 300, TCP_CONNTRACK_TIME_WAIT); /* the new SYN ends the old entry */
	logv(&a, tr, FLOW_ALLOW, FLOW_INGRESS, 0x21);
	ct(&a, tr, CT_MSG_NEW, 0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT);
	ct(&a, tr, CT_MSG_UPDATE, 2, 100, 1, 60, TCP_CONNTRACK_ESTABLISHED);
	flow_agg_flush(&a, 1050, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->started == 2 && r->completed == 1 && r->live == 1 && r->trace.n == 1,
	      "a reused tuple: two connections started, the first completed, the second live");
	CHECK(r && r->packets_in == 8 && r->bytes_in == 500 && r->packets_out == 5 && r->bytes_out == 360,
	      "a reused tuple: both connections' counts");
	flow_records_free(v, n);
	ct(&a, tr, CT_MSG_UPDATE, 3, 150, 2, 90, TCP_CONNTRACK_ESTABLISHED);
	/* and again, without a DESTROY read in between */
	ct(&a, tr, CT_MSG_NEW, 0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT);
	ct(&a, tr, CT_MSG_DESTROY, 1, 60, 0, 0, TCP_CONNTRACK_CLOSE);
	flow_agg_flush(&a, 1055, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->started == 1 && r->completed == 2 && r->live == 0 && r->packets_in == 2 && r->bytes_in == 110,
	      "reused again: the second completed with its rest, the third started and completed");
	flow_records_free(v, n);
	CHECK_INT(a.n_conns, 0, "the reused tuple is forgotten once over");
	/* a flush's dump shows an entry whose NEW event is still unread: one connection */
	struct flow_tuple tdump = T("10.65.0.2", 42000, "10.65.0.3", 8080);
	logv(&a, tdump, FLOW_ALLOW, FLOW_INGRESS, 0x21);
	ct(&a, tdump, CT_MSG_UPDATE, 1, 60, 0, 0, TCP_CONNTRACK_SYN_SENT);
	ct(&a, tdump, CT_MSG_NEW, 0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT);
	ct(&a, tdump, CT_MSG_DESTROY, 5, 300, 4, 200, TCP_CONNTRACK_CLOSE);
	flow_agg_flush(&a, 1058, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->started == 1 && r->completed == 1 && r->packets_in == 5,
	      "a dump entry before its NEW event: still one connection");
	flow_records_free(v, n);

	/* a live connection across intervals: deltas, live, then completed */
	struct flow_tuple tl = T("10.65.0.2", 50000, "10.65.0.3", 8080);
	logv(&a, tl, FLOW_ALLOW, FLOW_INGRESS, 0x21);
	ct(&a, tl, CT_MSG_NEW, 0, 0, 0, 0, -1);
	ct(&a, tl, CT_MSG_UPDATE, 100, 5000, 50, 2500, TCP_CONNTRACK_ESTABLISHED);
	flow_agg_flush(&a, 1060, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->live == 1 && r->started == 1 && r->completed == 0 && r->packets_in == 100, "live, first part");
	flow_records_free(v, n);
	flow_agg_flush(&a, 1075, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->live == 1 && r->started == 0 && r->packets_in == 0 && r->start == 1060,
	      "a quiet live connection is still reported live, started once");
	flow_records_free(v, n);
	ct(&a, tl, CT_MSG_UPDATE, 90, 4000, 50, 2500, TCP_CONNTRACK_ESTABLISHED); /* stale dump entry */
	ct(&a, tl, CT_MSG_DESTROY, 150, 7000, 70, 3500, TCP_CONNTRACK_TIME_WAIT);
	flow_agg_flush(&a, 1090, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->live == 0 && r->completed == 1 && r->packets_in == 50 && r->bytes_in == 2000 &&
		      r->packets_out == 20,
	      "completed with the rest of its counts (a stale smaller total ignored)");
	flow_records_free(v, n);

	/* denied: counts come from the logs; a remote source is pvt/pub or a network set */
	struct flow_tuple td = T("192.0.2.9", 1234, "10.65.0.3", 22), tp = T("8.8.8.8", 1, "10.65.0.3", 22);
	for (int i = 0; i < 3; i++)
		logv(&a, td, FLOW_DENY, FLOW_INGRESS, 0x30);
	logv(&a, tp, FLOW_DENY, FLOW_INGRESS, 0x30);
	flow_agg_flush(&a, 1105, resolve, NULL, &v, &n);
	CHECK_INT(n, 2, "two denied records (different sources)");
	bool saw_ns = false, saw_pub = false;
	for (size_t i = 0; i < n; i++) {
		if (v[i].src.kind == FLOW_EP_NS && strcmp(v[i].src.name, "partners") == 0 && v[i].packets_in == 3 &&
		    v[i].bytes_in == 180 && v[i].started == 1 && v[i].action == FLOW_DENY && v[i].trace.n == 1)
			saw_ns = true;
		if (v[i].src.kind == FLOW_EP_NET && strcmp(v[i].src.name, "pub") == 0)
			saw_pub = true;
	}
	CHECK(saw_ns, "denied from a network set: 3 logged packets, one connection, one verdict");
	CHECK(saw_pub, "8.8.8.8 is the public network");
	flow_records_free(v, n);
	CHECK_INT(a.n_conns, 0, "denied connections are forgotten after their interval");

	/* local to local, denied by the destination: the source's side let it by */
	struct flow_tuple tll = T("10.65.0.2", 7000, "10.65.0.3", 9090);
	logv(&a, tll, FLOW_DENY, FLOW_INGRESS, 0x30);
	flow_agg_flush(&a, 1110, resolve, NULL, &v, &n);
	CHECK(n == 2 && find(v, n, FLOW_INGRESS)->action == FLOW_DENY && find(v, n, FLOW_EGRESS)->action == FLOW_ALLOW &&
		      find(v, n, FLOW_EGRESS)->trace.n == 0 && find(v, n, FLOW_EGRESS)->packets_out == 1,
	      "denied at the destination: dst reports deny, the verdict-less source allow");
	flow_records_free(v, n);

	/* allowed by the source's egress, then dropped on this host before
	 * conntrack confirmed it, the destination's deny log rate-limited away:
	 * live for one interval, over at the next */
	struct flow_tuple tu = T("10.65.0.2", 7001, "10.65.0.3", 9090);
	logv(&a, tu, FLOW_ALLOW, FLOW_EGRESS, 0x10);
	flow_agg_flush(&a, 1111, resolve, NULL, &v, &n);
	CHECK(find(v, n, FLOW_EGRESS) && find(v, n, FLOW_EGRESS)->live == 1 && a.n_conns == 1,
	      "an allow logged, nothing from conntrack yet: live");
	flow_records_free(v, n);
	flow_agg_flush(&a, 1112, resolve, NULL, &v, &n);
	CHECK_INT(a.n_conns, 0, "never confirmed by the next interval: over, forgotten");
	flow_records_free(v, n);

	/* host traffic (no local endpoint, no verdict) is not kept */
	ct(&a, T("127.0.0.1", 5555, "127.0.0.1", 9099), CT_MSG_NEW, 0, 0, 0, 0, -1);
	flow_agg_flush(&a, 1125, resolve, NULL, &v, &n);
	CHECK(n == 0 && a.n_conns == 0, "host traffic: no record, forgotten");
	flow_records_free(v, n);
	flow_agg_free(&a);

	/* UDP: every datagram before the first reply is a new connection's
	 * packet, and meets the same verdict points again; a TCP SYN that is
	 * retransmitted to a denied port too. Each walk replaces the last. */
	flow_agg_init(&a, NULL, 2000);
	struct flow_tuple tw = T("10.65.0.2", 41000, "10.65.0.3", 5005);
	tw.proto = IPPROTO_UDP;
	for (int i = 0; i < 4; i++) {
		logv(&a, tw, FLOW_PASS, FLOW_EGRESS, 0x40);
		logv(&a, tw, FLOW_ALLOW, FLOW_EGRESS, 0x41);
		logv(&a, tw, FLOW_PASS, FLOW_INGRESS, 0x50);
		logv(&a, tw, FLOW_DENY, FLOW_INGRESS, 0x51);
	}
	flow_agg_flush(&a, 2015, resolve, NULL, &v, &n);
	r = find(v, n, FLOW_EGRESS);
	CHECK(r && r->trace.n == 2 && r->trace.id[0] == 0x40 && r->trace.id[1] == 0x41 && r->action == FLOW_ALLOW,
	      "four datagrams through pass then allow: the trace is pass, allow once");
	r = find(v, n, FLOW_INGRESS);
	CHECK(r && r->trace.n == 2 && r->trace.id[0] == 0x50 && r->trace.id[1] == 0x51 && r->action == FLOW_DENY &&
		      r->packets_in == 4 && r->started == 1,
	      "four denied datagrams after a pass: one trace, four packets counted, one connection");
	flow_records_free(v, n);
	flow_agg_free(&a);

	/* denied on its way out of the source (an egress deny, the fail-closed
	 * drop of an unprogrammed interface): the local destination never saw
	 * it, so it has no side to report, and certainly no allow */
	flow_agg_init(&a, NULL, 3000);
	struct flow_tuple te = T("10.65.0.9", 42000, "10.65.0.3", 8282);
	logv(&a, te, FLOW_DENY, FLOW_EGRESS, 0x60);
	flow_agg_flush(&a, 3015, resolve, NULL, &v, &n);
	CHECK(n == 1 && v[0].side == FLOW_EGRESS && v[0].action == FLOW_DENY && v[0].trace.n == 1 &&
		      strcmp(v[0].dst.name, "server") == 0,
	      "denied at the source's egress: the source's record alone, even with a local destination");
	flow_records_free(v, n);
	flow_agg_free(&a);

	/* caps */
	struct flow_agg_limits lim = { .max_conns = 10, .max_records = 3 };
	flow_agg_init(&a, &lim, 0);
	for (uint16_t i = 0; i < 50; i++)
		logv(&a, T("8.8.8.8", 1000, "10.65.0.3", (uint16_t)(1 + i)), FLOW_DENY, FLOW_INGRESS, 0x30);
	CHECK(a.n_conns == 10 && a.dropped_conns == 40, "connections over the cap are counted, not kept");
	flow_agg_flush(&a, 15, resolve, NULL, &v, &n);
	CHECK(n == 3 && a.dropped_records == 7, "records over the cap are counted, not made");
	flow_records_free(v, n);
	flow_agg_free(&a);

	struct flow_tuple n1 = T("172.16.0.1", 0, "172.32.0.1", 0), n2 = T("fd00::1", 0, "2001:db8::1", 0);
	CHECK(strcmp(flow_net_name(&n1.src), "pvt") == 0 && strcmp(flow_net_name(&n1.dst), "pub") == 0 &&
		      strcmp(flow_net_name(&n2.src), "pvt") == 0 && strcmp(flow_net_name(&n2.dst), "pub") == 0,
	      "pvt and pub by RFC 1918 and RFC 4193");
	flow_registry_free(&reg);
	return tap_done();
}
