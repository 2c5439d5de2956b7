/* flow_id: the verdict point contract (prefix text both ways, the registry). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_id.h"
#include "tap.h"

static int parse(const char *p)
{
	enum flow_action a;
	enum flow_dir d;
	uint32_t id;
	return flow_prefix_parse(p, &a, &d, &id);
}

int main(void)
{
	char buf[FLOW_PREFIX_MAX], err[256];
	enum flow_action a;
	enum flow_dir d;
	uint32_t id;

	CHECK_STR(flow_prefix_format(FLOW_ALLOW, FLOW_INGRESS, 0x1f3a, buf), "A|I|1f3a", "allow ingress prefix");
	CHECK_STR(flow_prefix_format(FLOW_DENY, FLOW_EGRESS, 0, buf), "D|E|0", "id 0");
	CHECK_STR(flow_prefix_format(FLOW_PASS, FLOW_EGRESS, UINT32_MAX, buf), "P|E|ffffffff", "largest id");
	CHECK(strlen(flow_prefix_format(FLOW_PASS, FLOW_EGRESS, UINT32_MAX, buf)) < FLOW_PREFIX_MAX,
	      "the longest prefix fits NFLOG's 64 bytes with its NUL");
	CHECK(flow_prefix_parse("D|E|ffffffff", &a, &d, &id) == 0 && a == FLOW_DENY && d == FLOW_EGRESS &&
		      id == UINT32_MAX,
	      "parse gives back what format made");
	CHECK(flow_prefix_parse("P|I|0", &a, &d, &id) == 0 && a == FLOW_PASS && d == FLOW_INGRESS && id == 0,
	      "parse of id 0");
	static const char *const bad[] = { "",	     "A",	   "A|I|",	"A|I|01", "A|I|1F",     "A|I|123456789",
					   "X|I|1", "A|X|1",	  "A|I|1 ",	"A|I||1", "A-I-1",      " A|I|1",
					   "a|i|1", "A|I|-1",	  "A|I|0x1",	"A|I|g",  "calico-drop", NULL };
	for (int i = 0; bad[i]; i++)
		CHECK_INT(parse(bad[i]), -EINVAL, "refused prefix \"%s\"", bad[i]);

	struct flow_registry r;
	struct flow_point p = { .id = 0x20, .kind = FLOW_KIND_POLICY, .action = FLOW_ALLOW, .dir = FLOW_INGRESS,
				.tier = "default", .name = "allow-web", .namespace = "shop", .trigger = "", .rule = 2 };
	flow_registry_init(&r);
	CHECK(flow_registry_get(&r, 0x20) == NULL, "empty registry knows nothing");
	CHECK_INT(flow_registry_put(&r, &p), 0, "put a policy rule");
	CHECK_INT(flow_registry_put(&r, &p), 0, "the same point again is fine");
	struct flow_point q = p;
	q.rule = 3;
	CHECK_INT(flow_registry_put(&r, &q), -EEXIST, "another point under a taken id is refused");
	CHECK(flow_registry_get(&r, 0x20) && flow_registry_get(&r, 0x20)->rule == 2, "the first point stays");
	q.id = 0x21;
	q.name = "bad\nname";
	CHECK_INT(flow_registry_put(&r, &q), -EINVAL, "a name with a newline is refused");
	for (uint32_t i = 1000; i < 3000; i++) {
		q.id = i;
		q.rule = (int)i;
		q.name = "many";
		if (flow_registry_put(&r, &q) < 0)
			break;
	}
	CHECK_INT(r.n, 2001, "registry grows to 2001 points");
	CHECK(flow_registry_get(&r, 2999) && flow_registry_get(&r, 2999)->rule == 2999, "and finds them");
	CHECK(strcmp(flow_registry_get(&r, 0x20)->name, "allow-web") == 0, "the first survives the growth");

	struct flow_point h1 = p, h2 = p;
	h2.rule = 3;
	CHECK(flow_point_hash(&h1) == flow_point_hash(&p), "hash is stable");
	CHECK(flow_point_hash(&h1) != flow_point_hash(&h2), "hash tells rules apart");
	h2 = p;
	h2.tier = "defaultallow-web";
	h2.name = "";
	CHECK(flow_point_hash(&h1) != flow_point_hash(&h2), "hash tells the fields' boundaries apart");

	CHECK_INT(flow_registry_load_json(&r,
					  "[{\"id\": 48, \"kind\": \"end-of-tier\", \"action\": \"deny\", "
					  "\"direction\": \"egress\", \"tier\": \"security\", \"trigger\": \"lockdown\"}]",
					  err, sizeof(err)),
		  0, "load a point from JSON");
	const struct flow_point *e = flow_registry_get(&r, 48);
	CHECK(e && e->kind == FLOW_KIND_END_OF_TIER && e->action == FLOW_DENY && e->dir == FLOW_EGRESS &&
		      e->rule == -1 && strcmp(e->trigger, "lockdown") == 0 && strcmp(e->name, "") == 0,
	      "loaded point has its fields and defaults");
	size_t before = r.n;
	CHECK_INT(flow_registry_load_json(&r, "[{\"id\": 49, \"kind\": \"policy\", \"action\": \"allow\", "
					      "\"direction\": \"up\"}]",
					  err, sizeof(err)),
		  -EINVAL, "unknown direction refused");
	CHECK_STR(err, "verdict point 49: unknown direction \"up\"", "with a message naming it");
	CHECK_INT(flow_registry_load_json(&r, "[{\"id\": 50, \"kind\": \"policy\", \"action\": \"allow\", "
					      "\"direction\": \"ingress\"}, {\"id\": 48, \"kind\": \"policy\", "
					      "\"action\": \"allow\", \"direction\": \"ingress\"}]",
					  err, sizeof(err)),
		  -EEXIST, "a conflicting id refused");
	CHECK(r.n == before && !flow_registry_get(&r, 50), "and nothing of the refused load is kept");
	CHECK_INT(flow_registry_load_json(&r, "{}", err, sizeof(err)), -EINVAL, "an object is not a list");
	CHECK_INT(flow_registry_load_json(&r, "[{\"id\": 51, \"kind\": \"policy\", \"action\": \"allow\", "
					      "\"direction\": \"ingress\", \"color\": \"red\"}]",
					  err, sizeof(err)),
		  -EINVAL, "unknown key refused");
	flow_registry_free(&r);
	return tap_done();
}
