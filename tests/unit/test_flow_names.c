/* The flow collector's address table: names by address and by network-set
 * net, owners, and random churn against a plain list. */
#include <stdlib.h>

#include "flow/flow_names.h"
#include "tap.h"

static struct ip_addr ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct ip_addr ip = { .family = 4, .bytes = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d } };
	return ip;
}

static const char *name_at(struct flow_names *n, struct ip_addr ip)
{
	static struct flow_ep ep;
	return flow_names_resolve(n, &ip, &ep) ? ep.name : "-";
}

/* ---- churn against a reference: 4,096 addresses, owners 1..8 ---- */
#define SPACE 4096
struct ref {
	uint64_t owner; /* 0: absent */
	unsigned gen;   /* which put wrote it: the name is "w<gen>" */
};

static struct ip_addr ip_of(unsigned i)
{
	return ip4(10, 1, (i >> 8) & 0xff, i & 0xff);
}

static void churn(void)
{
	static struct ref ref[SPACE];
	struct flow_names *n = flow_names_new();
	unsigned gen = 0, bad = 0, checked = 0;
	char name[32];

	srand(11);
	for (int step = 0; step < 200000; step++) {
		unsigned i = (unsigned)rand() % (step < 100000 ? SPACE : 256); /* then dense churn on few */
		uint64_t owner = 1 + (unsigned)rand() % 8;
		struct ip_addr ip = ip_of(i);
		if (rand() % 3) {
			snprintf(name, sizeof(name), "w%u", ++gen);
			struct flow_name_of w = { FLOW_EP_WEP, false, name, "ns", "{\"app\":\"x\"}" };
			if (flow_names_put_addr(n, owner, &ip, &w) == 0)
				ref[i] = (struct ref){ owner, gen };
		} else {
			flow_names_del_addr(n, owner, &ip);
			if (ref[i].owner == owner)
				ref[i].owner = 0;
		}
		if (step % 997 == 0 || step == 199999) {
			size_t present = 0;
			for (unsigned k = 0; k < SPACE; k++) {
				struct flow_ep ep;
				struct ip_addr q = ip_of(k);
				bool hit = flow_names_resolve(n, &q, &ep);
				present += ref[k].owner != 0;
				snprintf(name, sizeof(name), "w%u", ref[k].gen);
				if (hit != (ref[k].owner != 0) || (hit && strcmp(ep.name, name) != 0))
					bad++;
			}
			bad += present != flow_names_addrs(n);
			checked++;
		}
	}
	CHECK(bad == 0, "200,000 random puts and deletes by 8 owners: every address resolves as a plain list says (%u checks)",
	      checked);
	flow_names_free(n);
}

int main(void)
{
	struct flow_names *n = flow_names_new();
	struct flow_ep ep;
	struct ip_addr a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2), out = ip4(8, 8, 8, 8);
	struct ip_addr v6 = { .family = 6, .bytes = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
	struct flow_name_of web = { FLOW_EP_WEP, true, "web-1", "prod", "{\"app\":\"web\"}" };
	struct flow_name_of db = { FLOW_EP_WEP, false, "db-1", "prod", NULL };

	CHECK(n != NULL, "a table");
	CHECK(!flow_names_resolve(n, &a, &ep), "an empty table names nothing");
	CHECK(flow_names_put_addr(n, 1, &a, &web) == 0 && flow_names_put_addr(n, 2, &b, &db) == 0 &&
		      flow_names_put_addr(n, 2, &v6, &db) == 0,
	      "three addresses put");
	CHECK(flow_names_resolve(n, &a, &ep) && strcmp(ep.name, "web-1") == 0 && strcmp(ep.namespace, "prod") == 0 &&
		      ep.kind == FLOW_EP_WEP && ep.local && ep.labels && strcmp(ep.labels, "{\"app\":\"web\"}") == 0,
	      "a local endpoint: name, namespace, labels, local");
	CHECK(flow_names_resolve(n, &b, &ep) && strcmp(ep.name, "db-1") == 0 && !ep.local && !ep.labels,
	      "another host's endpoint: not local, no labels");
	CHECK_STR(name_at(n, v6), "db-1", "an IPv6 address");
	CHECK(!flow_names_resolve(n, &out, &ep), "an address of nothing: not named (pvt/pub is the caller's)");

	/* owners: a move leaves the newer owner's name */
	struct flow_name_of moved = { FLOW_EP_WEP, false, "web-1-moved", "prod", NULL };
	CHECK(flow_names_put_addr(n, 3, &a, &moved) == 0, "a second record claims 10.0.0.1");
	flow_names_del_addr(n, 1, &a);
	CHECK_STR(name_at(n, a), "web-1-moved", "the first record's delete leaves the second's name");
	flow_names_del_addr(n, 3, &a);
	CHECK_STR(name_at(n, a), "-", "the second's delete removes it");
	CHECK(flow_names_addrs(n) == 2, "two addresses left (%zu)", flow_names_addrs(n));

	/* network sets: longest prefix, by owner */
	struct cidr wide, narrow;
	cidr_parse("8.0.0.0/8", false, false, &wide);
	cidr_parse("8.8.8.0/24", false, false, &narrow);
	struct flow_name_of internet = { FLOW_EP_NS, false, "internet", "", "{\"zone\":\"wan\"}" };
	struct flow_name_of google = { FLOW_EP_NS, false, "dns", "infra", NULL };
	CHECK(flow_names_put_net(n, 10, &wide, &internet) == 0 && flow_names_put_net(n, 11, &narrow, &google) == 0,
	      "two network sets put");
	CHECK(flow_names_resolve(n, &out, &ep) && ep.kind == FLOW_EP_NS && strcmp(ep.name, "dns") == 0 &&
		      strcmp(ep.namespace, "infra") == 0,
	      "an address in two sets: the longest net names it");
	struct ip_addr other = ip4(8, 1, 2, 3);
	CHECK_STR(name_at(n, other), "internet", "an address in the wide one only");
	flow_names_del_nets(n, 11);
	CHECK_STR(name_at(n, out), "internet", "the narrow set gone: the wide one names it");
	CHECK_STR(name_at(n, b), "db-1", "an endpoint's address comes before a set's net");
	CHECK(flow_names_nets(n) == 1, "one net left");

	flow_names_clear(n);
	CHECK(flow_names_addrs(n) == 0 && flow_names_nets(n) == 0 && !flow_names_resolve(n, &b, &ep),
	      "clear forgets everything");
	CHECK(flow_names_put_addr(n, 1, &a, &web) == 0 && strcmp(name_at(n, a), "web-1") == 0, "and the table works after");
	flow_names_free(n);

	churn();
	return tap_done();
}
