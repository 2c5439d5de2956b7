/* The model's strict JSON codec: canonical round-trips and the bad-input catalogue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* decode then encode; "ERR: <message>" when decoding fails */
static char out[4096];

static const char *rule_rt(const char *json)
{
	struct rule r;
	char err[MODEL_ERR_MAX];
	if (rule_decode(json, &r, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *s = rule_encode(&r);
	struct rule again;
	if (!s || rule_decode(s, &again, err, sizeof(err)) < 0 || !rule_equal(&r, &again))
		snprintf(out, sizeof(out), "decode(encode(x)) != x");
	else
		snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static const char *endpoint_rt(const char *json)
{
	struct endpoint e;
	char err[MODEL_ERR_MAX];
	if (endpoint_decode(json, &e, err, sizeof(err)) < 0) {
		CHECK(e.profile_ids == NULL && e.labels == NULL && e.ipv4_nets == NULL && e.name[0] == 0,
		      "failed endpoint_decode leaves the struct zeroed");
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *s = endpoint_encode(&e);
	snprintf(out, sizeof(out), "%s", s ? s : "(null)");
	free(s);
	endpoint_free(&e);
	return out;
}

static const char *pool_rt(const char *json)
{
	struct pool p;
	char err[MODEL_ERR_MAX];
	if (pool_decode(json, &p, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *s = pool_encode(&p);
	snprintf(out, sizeof(out), "%s", s ? s : "(null)");
	free(s);
	return out;
}

static const char *peer_rt(const char *json)
{
	struct bgp_peer p;
	char err[MODEL_ERR_MAX];
	if (bgp_peer_decode(json, &p, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *s = bgp_peer_encode(&p);
	snprintf(out, sizeof(out), "%s", s ? s : "(null)");
	free(s);
	return out;
}

static const char *rules_rt(const char *json, const char *id)
{
	struct rule_list in, outb;
	char err[MODEL_ERR_MAX];
	if (rules_decode(json, id, &in, &outb, err, sizeof(err)) < 0) {
		CHECK(in.items == NULL && in.n == 0 && outb.items == NULL && outb.n == 0,
		      "failed rules_decode leaves the lists empty");
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *s = rules_encode(id ? id : "x", &in, &outb);
	snprintf(out, sizeof(out), "%s", s ? s : "(null)");
	free(s);
	rule_list_free(&in);
	rule_list_free(&outb);
	return out;
}

static const char *tags_rt(const char *json)
{
	char **tags;
	size_t n;
	char err[MODEL_ERR_MAX];
	if (tags_decode(json, &tags, &n, err, sizeof(err)) < 0) {
		CHECK(tags == NULL && n == 0, "failed tags_decode returns nothing");
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *s = tags_encode(tags, n);
	snprintf(out, sizeof(out), "%s", s ? s : "(null)");
	free(s);
	for (size_t i = 0; i < n; i++)
		free(tags[i]);
	free(tags);
	return out;
}

static void test_names(void)
{
	static const char *const good[] = { "a", "web", "db.v1_x-y", "A-Z", "0", "management-ui",
					    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	static const char *const bad[] = { "", "a b", "a/b", "x!", "é", "a:b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					   " a", "a\t" };
	for (size_t i = 0; i < N(good); i++)
		CHECK(name_is_valid(good[i]), "valid name \"%s\"", good[i]);
	for (size_t i = 0; i < N(bad); i++)
		CHECK(!name_is_valid(bad[i]), "invalid name \"%s\"", bad[i]);
	CHECK(!name_is_valid(NULL), "NULL is not a name");
}

static void test_rule_json(void)
{
	/* canonical forms come back byte for byte */
	static const char *const canon[] = {
		"{\"action\":\"allow\"}",
		"{\"action\":\"deny\"}",
		"{\"action\":\"allow\",\"src_tag\":\"web\"}",
		"{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[80,443]}",
		"{\"action\":\"allow\",\"protocol\":\"tcp\",\"src_tag\":\"A\",\"src_net\":\"10.0.0.0/8\",\"src_ports\":[\"1:1024\"],"
		"\"dst_tag\":\"B\",\"dst_net\":\"10.1.0.0/16\",\"dst_ports\":[80,443]}",
		"{\"action\":\"allow\",\"protocol\":\"udp\",\"dst_ports\":[53]}",
		"{\"action\":\"allow\",\"protocol\":\"icmp\"}",
		"{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_type\":8,\"icmp_code\":0}",
		"{\"action\":\"deny\",\"protocol\":\"icmpv6\",\"icmp_type\":128}",
		"{\"action\":\"allow\",\"src_net\":\"192.168.0.0/16\"}",
		"{\"action\":\"allow\",\"dst_net\":\"fd80::/64\"}",
		"{\"action\":\"allow\",\"ip_version\":6}",
		"{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[22],\"ip_version\":4}",
		"{\"action\":\"allow\",\"protocol\":47}",
		"{\"action\":\"allow\",\"protocol\":0}",
		"{\"action\":\"allow\",\"protocol\":255,\"ip_version\":4}",
		"{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[0,65535,\"1000:2000\"]}",
		"{\"action\":\"deny\",\"protocol\":\"icmp\",\"icmp_type\":254,\"icmp_code\":255}",
	};
	for (size_t i = 0; i < N(canon); i++)
		CHECK_STR(rule_rt(canon[i]), canon[i], "canonical rule JSON %zu round-trips", i);

	/* accepted spellings and their canonical form */
	static const char *const norm[][2] = {
		{ "{\"src_tag\":\"a\",\"action\":\"allow\"}", "{\"action\":\"allow\",\"src_tag\":\"a\"}" },
		{ "{\"action\":\"allow\",\"protocol\":6,\"dst_ports\":[80]}",
		  "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[80]}" },
		{ "{\"action\":\"allow\",\"protocol\":17}", "{\"action\":\"allow\",\"protocol\":\"udp\"}" },
		{ "{\"action\":\"allow\",\"protocol\":1,\"icmp_type\":0}",
		  "{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_type\":0}" },
		{ "{\"action\":\"allow\",\"protocol\":58}", "{\"action\":\"allow\",\"protocol\":\"icmpv6\"}" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"80:80\"]}",
		  "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[80]}" },
		{ "{\"action\":\"allow\",\"src_net\":\"10.0.0.0/8\",\"ip_version\":4}",
		  "{\"action\":\"allow\",\"src_net\":\"10.0.0.0/8\"}" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"ip_version\":4}", "{\"action\":\"allow\",\"protocol\":\"icmp\"}" },
		{ "{\"action\":\"allow\",\"dst_net\":\"10.0.0.1\"}", "{\"action\":\"allow\",\"dst_net\":\"10.0.0.1/32\"}" },
		{ "{\"action\":\"allow\",\"dst_net\":\"FD80::/64\"}", "{\"action\":\"allow\",\"dst_net\":\"fd80::/64\"}" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[]}", "{\"action\":\"allow\",\"protocol\":\"tcp\"}" },
		{ " {\"action\" : \"allow\"}\t", "{\"action\":\"allow\"}" },
	};
	for (size_t i = 0; i < N(norm); i++)
		CHECK_STR(rule_rt(norm[i][0]), norm[i][1], "rule JSON %s is read as %s", norm[i][0], norm[i][1]);

	/* the bad-input catalogue: one line naming the key and the value */
	static const char *const bad[][2] = {
		{ "{\"action\":\"allow\",\"foo\":1}", "unknown key \"foo\" in rule" },
		{ "{\"action\":\"allow\",\"Action\":\"allow\"}", "unknown key \"Action\" in rule" },
		{ "{}", "missing \"action\" in rule" },
		{ "{\"action\":\"maybe\"}", "invalid \"action\" value \"maybe\": expected allow or deny" },
		{ "{\"action\":\"ALLOW\"}", "invalid \"action\" value \"ALLOW\": expected allow or deny" },
		{ "{\"action\":1}", "\"action\" must be a string, not an integer 1" },
		{ "{\"action\":null}", "\"action\" must be a string, not null" },
		{ "{\"action\":\"allow\",\"protocol\":\"TCP\"}",
		  "invalid \"protocol\" value \"TCP\": expected tcp, udp, icmp, icmpv6 or a number 0-255" },
		{ "{\"action\":\"allow\",\"protocol\":\"6\"}",
		  "invalid \"protocol\" value \"6\": expected tcp, udp, icmp, icmpv6 or a number 0-255" },
		{ "{\"action\":\"allow\",\"protocol\":256}", "\"protocol\" 256 is out of range 0-255" },
		{ "{\"action\":\"allow\",\"protocol\":-1}", "\"protocol\" -1 is out of range 0-255" },
		{ "{\"action\":\"allow\",\"protocol\":6.5}",
		  "invalid \"protocol\" value 6.5: expected tcp, udp, icmp, icmpv6 or a number 0-255" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[70000]}",
		  "invalid \"dst_ports\" value 70000: ports are 0-65535" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"src_ports\":[-1]}",
		  "invalid \"src_ports\" value -1: ports are 0-65535" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"80:70\"]}",
		  "invalid \"dst_ports\" value \"80:70\": the first port is above the last" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"80:70000\"]}",
		  "invalid \"dst_ports\" value \"80:70000\": ports are 0-65535" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"80\"]}",
		  "invalid \"dst_ports\" value \"80\": give a port as an integer, a range as \"first:last\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"80:\"]}",
		  "invalid \"dst_ports\" value \"80:\": expected a range \"first:last\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"1:2:3\"]}",
		  "invalid \"dst_ports\" value \"1:2:3\": expected a range \"first:last\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\" 1:2\"]}",
		  "invalid \"dst_ports\" value \" 1:2\": expected a range \"first:last\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"01:2\"]}",
		  "invalid \"dst_ports\" value \"01:2\": expected a range \"first:last\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[true]}",
		  "invalid \"dst_ports\" value true: expected a port number or a \"first:last\" range" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":80}",
		  "\"dst_ports\" must be a list, not an integer 80" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[80,80]}",
		  "\"dst_ports\" entries 80 and 80 overlap" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[\"70:90\",80]}",
		  "\"dst_ports\" entries 70:90 and 80 overlap" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"dst_ports\":[80]}",
		  "\"dst_ports\" is only allowed with protocol tcp or udp" },
		{ "{\"action\":\"allow\",\"src_ports\":[80]}", "\"src_ports\" is only allowed with protocol tcp or udp" },
		{ "{\"action\":\"allow\",\"protocol\":47,\"dst_ports\":[80]}",
		  "\"dst_ports\" is only allowed with protocol tcp or udp" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_type\":255}", "\"icmp_type\" 255 is out of range 0-254" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_type\":-1}", "\"icmp_type\" -1 is out of range 0-254" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_type\":8,\"icmp_code\":256}",
		  "\"icmp_code\" 256 is out of range 0-255" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_type\":\"8\"}",
		  "\"icmp_type\" must be an integer, not a string \"8\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"icmp_code\":0}", "\"icmp_code\" 0 needs an \"icmp_type\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"tcp\",\"icmp_type\":8}",
		  "\"icmp_type\" is only allowed with protocol icmp or icmpv6" },
		{ "{\"action\":\"allow\",\"icmp_type\":8}", "\"icmp_type\" is only allowed with protocol icmp or icmpv6" },
		{ "{\"action\":\"allow\",\"src_net\":\"10.0.0.0/33\"}",
		  "invalid \"src_net\" value \"10.0.0.0/33\": expected a CIDR such as 10.0.0.0/8" },
		{ "{\"action\":\"allow\",\"src_net\":\"10.0.0.1/8\"}", "\"src_net\" \"10.0.0.1/8\": host bits set" },
		{ "{\"action\":\"allow\",\"dst_net\":\"fd80::1/64\"}", "\"dst_net\" \"fd80::1/64\": host bits set" },
		{ "{\"action\":\"allow\",\"dst_net\":\"\"}", "invalid \"dst_net\" value \"\": expected a CIDR such as 10.0.0.0/8" },
		{ "{\"action\":\"allow\",\"dst_net\":[\"10.0.0.0/8\"]}",
		  "\"dst_net\" must be a string, not an array [\"10.0.0.0/8\"]" },
		{ "{\"action\":\"allow\",\"ip_version\":5}", "\"ip_version\" must be 4 or 6, not 5" },
		{ "{\"action\":\"allow\",\"ip_version\":\"4\"}", "\"ip_version\" must be 4 or 6, not \"4\"" },
		{ "{\"action\":\"allow\",\"src_net\":\"10.0.0.0/8\",\"ip_version\":6}",
		  "\"ip_version\" 6 disagrees with \"src_net\" \"10.0.0.0/8\"" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmp\",\"ip_version\":6}",
		  "\"ip_version\" 6 disagrees with protocol icmp" },
		{ "{\"action\":\"allow\",\"protocol\":\"icmpv6\",\"dst_net\":\"10.0.0.0/8\"}",
		  "\"dst_net\" \"10.0.0.0/8\" is IPv4 but protocol icmpv6 is IPv6 only" },
		{ "{\"action\":\"allow\",\"src_net\":\"10.0.0.0/8\",\"dst_net\":\"fd80::/64\"}",
		  "\"src_net\" \"10.0.0.0/8\" and \"dst_net\" \"fd80::/64\" are of different IP versions" },
		{ "{\"action\":\"allow\",\"src_tag\":\"bad tag!\"}",
		  "invalid \"src_tag\" value \"bad tag!\": tags are 1-40 characters of letters, digits, '.', '_' and '-'" },
		{ "{\"action\":\"allow\",\"dst_tag\":\"\"}",
		  "invalid \"dst_tag\" value \"\": tags are 1-40 characters of letters, digits, '.', '_' and '-'" },
		{ "{\"action\":\"allow\",\"dst_tag\":7}", "\"dst_tag\" must be a string, not an integer 7" },
		{ "{\"action\":\"allow\",\"action\":\"deny\"}", "not valid JSON (line 1, column 26): duplicate object key near '\"action\"'" },
		{ "[]", "expected a JSON object, not an array" },
		{ "", "empty input: expected a JSON object" },
		{ " \t", "empty input: expected a JSON object" },
		{ "{\"action\":\"allow\"} x", "not valid JSON (line 1, column 20): end of file expected near 'x'" },
		{ "{\"action\":\"allow\"", "not valid JSON (line 1, column 17): '}' expected near end of file" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		char want[512];
		snprintf(want, sizeof(want), "ERR: %s", bad[i][1]);
		CHECK_STR(rule_rt(bad[i][0]), want, "rule JSON refused: %s", bad[i][0]);
	}

	/* a list at the size limit is fine; one more is refused */
	char big[2048];
	size_t used = (size_t)snprintf(big, sizeof(big), "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[");
	for (int i = 0; i < RULE_PORTS_MAX; i++)
		used += (size_t)snprintf(big + used, sizeof(big) - used, "%s%d", i ? "," : "", 1000 + i);
	snprintf(big + used, sizeof(big) - used, "]}");
	CHECK_STR(rule_rt(big), big, "%d ports are allowed", RULE_PORTS_MAX);
	snprintf(big + used, sizeof(big) - used, ",99]}");
	CHECK_STR(rule_rt(big), "ERR: \"dst_ports\" has 65 entries; at most 64 are allowed", "65 ports are refused");

	/* rule_validate on structs built in code */
	struct rule r;
	char err[MODEL_ERR_MAX];
	rule_init(&r, RULE_DENY);
	CHECK_INT(rule_validate(&r, err, sizeof(err)), 0, "rule_init gives a valid rule");
	CHECK(r.icmp_type == -1 && r.icmp_code == -1 && r.protocol == PROTO_ANY && r.ip_version == 0, "rule_init nones");
	r.protocol = PROTO_NUMBER;
	r.protocol_number = 300;
	CHECK_INT(rule_validate(&r, err, sizeof(err)), -EINVAL, "protocol 300 refused");
	CHECK_STR(err, "\"protocol\" 300 is out of range 0-255", "protocol 300 message");
	rule_init(&r, RULE_ALLOW);
	r.protocol = PROTO_TCP;
	r.n_dst_ports = 1;
	r.dst_ports[0] = (struct port_range){ 90, 80 };
	CHECK_INT(rule_validate(&r, err, sizeof(err)), -EINVAL, "reversed range refused");
	CHECK_STR(err, "invalid \"dst_ports\" value \"90:80\": the first port is above the last", "reversed range message");
	rule_init(&r, RULE_ALLOW);
	r.has_src_net = true;
	r.src_net.addr.family = 4;
	r.src_net.addr.bytes[3] = 1;
	r.src_net.prefix = 24;
	CHECK_INT(rule_validate(&r, err, sizeof(err)), -EINVAL, "host bits refused in a struct");
	CHECK_STR(err, "\"src_net\" \"0.0.0.1/24\": host bits set", "host bits message");

	/* rule_equal compares meaning */
	struct rule a, b;
	rule_init(&a, RULE_ALLOW);
	rule_init(&b, RULE_ALLOW);
	a.protocol = PROTO_TCP;
	b.protocol = PROTO_NUMBER;
	b.protocol_number = 6;
	CHECK(rule_equal(&a, &b), "tcp equals protocol 6");
	a.dst_ports[5].first = 9; /* an unused slot */
	CHECK(rule_equal(&a, &b), "unused port slots do not count");
	b.protocol = PROTO_UDP;
	CHECK(!rule_equal(&a, &b), "tcp differs from udp");
	rule_init(&a, RULE_ALLOW);
	rule_init(&b, RULE_DENY);
	CHECK(!rule_equal(&a, &b), "allow differs from deny");
	b.action = RULE_ALLOW;
	b.ip_version = 4;
	CHECK(!rule_equal(&a, &b), "ipv4 differs from any version");
	a.protocol = b.protocol = PROTO_ICMP;
	CHECK(rule_equal(&a, &b), "icmp implies ipv4");
	snprintf(a.src_tag, sizeof(a.src_tag), "x");
	CHECK(!rule_equal(&a, &b), "tags count");
}

static void test_profiles(void)
{
	const char *design = "{\"id\":\"p1\",\"inbound_rules\":[{\"action\":\"allow\",\"src_tag\":\"p1\"}],"
			     "\"outbound_rules\":[{\"action\":\"allow\"}]}";
	CHECK_STR(rules_rt(design, "p1"), design, "DESIGN §2 rules object round-trips");
	CHECK_STR(rules_rt("{\"outbound_rules\":[],\"inbound_rules\":[],\"id\":\"x\"}", NULL),
		  "{\"id\":\"x\",\"inbound_rules\":[],\"outbound_rules\":[]}", "rules object in canonical key order");
	CHECK_STR(rules_rt("{\"inbound_rules\":[],\"outbound_rules\":[]}", "x"),
		  "{\"id\":\"x\",\"inbound_rules\":[],\"outbound_rules\":[]}", "id may be absent");

	static const char *const bad[][2] = {
		{ "{\"id\":\"other\",\"inbound_rules\":[],\"outbound_rules\":[]}",
		  "\"id\" \"other\" does not match the profile name \"p1\"" },
		{ "{\"id\":\"p1\",\"inbound_rules\":{\"action\":\"allow\"},\"outbound_rules\":[]}",
		  "\"inbound_rules\" must be a list, not an object {\"action\":\"allow\"}" },
		{ "{\"id\":\"p1\",\"outbound_rules\":[]}", "missing \"inbound_rules\" in rules" },
		{ "{\"id\":\"p1\",\"inbound_rules\":[]}", "missing \"outbound_rules\" in rules" },
		{ "{\"id\":\"p1\",\"inbound_rules\":[],\"outbound_rules\":[],\"x\":1}", "unknown key \"x\" in rules" },
		{ "{\"id\":1,\"inbound_rules\":[],\"outbound_rules\":[]}", "\"id\" must be a string, not an integer 1" },
		{ "{\"id\":\"p1\",\"inbound_rules\":[{\"action\":\"allow\"},{\"action\":\"allow\",\"bogus\":1}],"
		  "\"outbound_rules\":[]}",
		  "inbound rule 2: unknown key \"bogus\" in rule" },
		{ "{\"id\":\"p1\",\"inbound_rules\":[],\"outbound_rules\":[{\"action\":\"allow\",\"protocol\":\"tcp\","
		  "\"dst_ports\":[70000]}]}",
		  "outbound rule 1: invalid \"dst_ports\" value 70000: ports are 0-65535" },
		{ "{\"id\":\"p1\",\"inbound_rules\":[\"allow\"],\"outbound_rules\":[]}",
		  "inbound rule 1: a rule must be an object, not a string \"allow\"" },
		{ "[]", "expected a JSON object, not an array" },
		{ "null", "expected a JSON object, not null" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		char want[512];
		snprintf(want, sizeof(want), "ERR: %s", bad[i][1]);
		CHECK_STR(rules_rt(bad[i][0], "p1"), want, "rules refused: %s", bad[i][0]);
	}

	/* tags */
	CHECK_STR(tags_rt("[\"p1\"]"), "[\"p1\"]", "tags round-trip");
	CHECK_STR(tags_rt("[]"), "[]", "empty tags");
	CHECK_STR(tags_rt("[\"a\", \"b.c\"]"), "[\"a\",\"b.c\"]", "two tags, canonical spacing");
	CHECK_STR(tags_rt("[\"a\",\"a\"]"), "ERR: duplicate tag \"a\"", "duplicate tag refused");
	CHECK_STR(tags_rt("[\"x!\"]"),
		  "ERR: invalid tag \"x!\": tags are 1-40 characters of letters, digits, '.', '_' and '-'", "bad tag");
	CHECK_STR(tags_rt("[1]"), "ERR: invalid tag 1: tags are 1-40 characters of letters, digits, '.', '_' and '-'",
		  "non-string tag");
	CHECK_STR(tags_rt("{}"), "ERR: tags must be a list of names, not an object", "tags object refused");
	CHECK_STR(tags_rt("\"a\""), "ERR: tags must be a list of names, not a string", "tags string refused");
	CHECK_STR(tags_rt("[\"a\""), "ERR: not valid JSON (line 1, column 4): ']' expected near end of file",
		  "tags truncated");

	/* the default profile */
	struct profile p;
	char *s;
	CHECK_INT(profile_init_default(&p, "web"), 0, "profile_init_default");
	CHECK_STR(p.name, "web", "default profile name");
	CHECK(p.n_tags == 1 && strcmp(p.tags[0], "web") == 0, "default tag is the name");
	s = rules_encode(p.name, &p.inbound, &p.outbound);
	CHECK_STR(s, "{\"id\":\"web\",\"inbound_rules\":[{\"action\":\"allow\",\"src_tag\":\"web\"}],"
		     "\"outbound_rules\":[{\"action\":\"allow\"}]}",
		  "default rules");
	free(s);
	s = tags_encode(p.tags, p.n_tags);
	CHECK_STR(s, "[\"web\"]", "default tags JSON");
	free(s);

	/* rule lists */
	struct rule r;
	rule_init(&r, RULE_DENY);
	CHECK_INT(rule_list_insert(&p.inbound, 0, &r), 0, "insert at the front");
	CHECK_INT(rule_list_insert(&p.inbound, 2, &r), 0, "insert at the end");
	CHECK_INT(rule_list_insert(&p.inbound, 4, &r), -EINVAL, "insert past the end refused");
	CHECK(p.inbound.n == 3 && p.inbound.items[0].action == RULE_DENY && p.inbound.items[1].src_tag[0] &&
		      p.inbound.items[2].action == RULE_DENY,
	      "list order after inserts");
	CHECK_INT(rule_list_remove(&p.inbound, 3), -EINVAL, "remove past the end refused");
	CHECK_INT(rule_list_remove(&p.inbound, 0), 0, "remove the front");
	CHECK(p.inbound.n == 2 && p.inbound.items[0].src_tag[0], "list order after remove");
	CHECK_INT(rule_list_remove(&p.outbound, 0), 0, "remove the only rule");
	CHECK(p.outbound.n == 0 && p.outbound.items == NULL, "an emptied list holds nothing");
	profile_free(&p);
	struct profile zero;
	memset(&zero, 0, sizeof(zero));
	CHECK(memcmp(&p, &zero, sizeof(p)) == 0, "profile_free leaves the struct zeroed");
	profile_free(&p);
	CHECK(1, "a second profile_free is harmless");
	CHECK_INT(profile_init_default(&p, "bad name"), -EINVAL, "profile_init_default refuses a bad name");
	CHECK(memcmp(&p, &zero, sizeof(p)) == 0, "and leaves the struct zeroed");
}

static void test_endpoints(void)
{
	const char *design = "{\"state\":\"active\",\"name\":\"cali0ef24b0e6a2\",\"mac\":\"ee:ee:ee:ee:ee:ee\","
			     "\"profile_ids\":[\"p1\"],\"ipv4_nets\":[\"192.168.0.1/32\"],\"ipv6_nets\":[],\"labels\":{}}";
	CHECK_STR(endpoint_rt(design), design, "DESIGN §2 endpoint round-trips");
	const char *full = "{\"state\":\"inactive\",\"name\":\"tap1\",\"profile_ids\":[\"a\",\"b\"],"
			   "\"ipv4_nets\":[\"10.0.0.1/32\",\"10.0.0.2/32\"],\"ipv6_nets\":[\"fd80::1/128\"],"
			   "\"labels\":{\"app\":\"web\",\"tier\":\"\"}}";
	CHECK_STR(endpoint_rt(full), full, "endpoint without mac, with labels");
	CHECK_STR(endpoint_rt("{\"name\":\"cali1\",\"state\":\"active\",\"mac\":\"EE:EE:EE:EE:EE:0A\","
			      "\"labels\":{\"z\":\"1\",\"a\":\"2\"}}"),
		  "{\"state\":\"active\",\"name\":\"cali1\",\"mac\":\"ee:ee:ee:ee:ee:0a\",\"profile_ids\":[],"
		  "\"ipv4_nets\":[],\"ipv6_nets\":[],\"labels\":{\"a\":\"2\",\"z\":\"1\"}}",
		  "canonical endpoint: all keys, lower-case mac, sorted labels");

	static const char *const bad[][2] = {
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"foo\":1}", "unknown key \"foo\" in endpoint" },
		{ "{\"name\":\"cali1\"}", "missing \"state\" in endpoint" },
		{ "{\"state\":\"active\"}", "missing \"name\" in endpoint" },
		{ "{\"state\":\"up\",\"name\":\"cali1\"}", "invalid \"state\" value \"up\": expected active or inactive" },
		{ "{\"state\":\"active\",\"name\":\"cali0123456789abc\"}",
		  "invalid \"name\" value \"cali0123456789abc\": interface names are 1-15 letters, digits, '.', '_' or '-'" },
		{ "{\"state\":\"active\",\"name\":\"a/b\"}",
		  "invalid \"name\" value \"a/b\": interface names are 1-15 letters, digits, '.', '_' or '-'" },
		{ "{\"state\":\"active\",\"name\":\"\"}",
		  "invalid \"name\" value \"\": interface names are 1-15 letters, digits, '.', '_' or '-'" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"mac\":\"ee:ee:ee:ee:ee\"}",
		  "invalid \"mac\" value \"ee:ee:ee:ee:ee\": expected six hex pairs like ee:ee:ee:ee:ee:ee" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"mac\":\"ee-ee-ee-ee-ee-ee\"}",
		  "invalid \"mac\" value \"ee-ee-ee-ee-ee-ee\": expected six hex pairs like ee:ee:ee:ee:ee:ee" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"mac\":\"gg:ee:ee:ee:ee:ee\"}",
		  "invalid \"mac\" value \"gg:ee:ee:ee:ee:ee\": expected six hex pairs like ee:ee:ee:ee:ee:ee" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"profile_ids\":[\"a\",\"a\"]}",
		  "duplicate \"profile_ids\" value \"a\"" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"profile_ids\":[\"a b\"]}",
		  "invalid \"profile_ids\" value \"a b\": profile names are 1-40 characters of letters, digits, '.', '_' "
		  "and '-'" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"profile_ids\":\"a\"}",
		  "\"profile_ids\" must be a list, not a string \"a\"" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"ipv4_nets\":[\"10.0.0.0/24\"]}",
		  "invalid \"ipv4_nets\" value \"10.0.0.0/24\": expected an IPv4 address as a.b.c.d/32" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"ipv4_nets\":[\"10.0.0.1\"]}",
		  "invalid \"ipv4_nets\" value \"10.0.0.1\": expected an IPv4 address as a.b.c.d/32" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"ipv4_nets\":[\"fd80::1/128\"]}",
		  "invalid \"ipv4_nets\" value \"fd80::1/128\": expected an IPv4 address as a.b.c.d/32" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"ipv6_nets\":[\"10.0.0.1/32\"]}",
		  "invalid \"ipv6_nets\" value \"10.0.0.1/32\": expected an IPv6 address as x::y/128" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"ipv4_nets\":[\"10.0.0.1/32\",\"10.0.0.1/32\"]}",
		  "duplicate \"ipv4_nets\" value \"10.0.0.1/32\"" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"labels\":[]}", "\"labels\" must be an object, not an array []" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"labels\":{\"a\":1}}",
		  "label \"a\" must be a string, not an integer 1" },
		{ "{\"state\":\"active\",\"name\":\"cali1\",\"labels\":{\"\":\"x\"}}", "\"labels\" has an empty key" },
		{ "\"x\"", "expected a JSON object, not a string" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		char want[512];
		snprintf(want, sizeof(want), "ERR: %s", bad[i][1]);
		CHECK_STR(endpoint_rt(bad[i][0]), want, "endpoint refused: %s", bad[i][0]);
	}

	/* built in code, labels unsorted: the encoding is still canonical */
	struct endpoint e = { .state = "active", .name = "cali2" };
	struct label labels[2] = { { "z", "1" }, { "a", "2" } };
	e.labels = labels;
	e.n_labels = 2;
	char *s = endpoint_encode(&e);
	CHECK_STR(s, "{\"state\":\"active\",\"name\":\"cali2\",\"profile_ids\":[],\"ipv4_nets\":[],\"ipv6_nets\":[],"
		     "\"labels\":{\"a\":\"2\",\"z\":\"1\"}}",
		  "labels encode sorted");
	free(s);
	struct endpoint d;
	char err[MODEL_ERR_MAX];
	CHECK_INT(endpoint_decode(design, &d, err, sizeof(err)), 0, "decode for free test");
	endpoint_free(&d);
	struct endpoint zero;
	memset(&zero, 0, sizeof(zero));
	CHECK(memcmp(&d, &zero, sizeof(d)) == 0, "endpoint_free leaves the struct zeroed");
	endpoint_free(&d);
}

static void test_pools(void)
{
	static const char *const canon[] = {
		"{\"cidr\":\"10.20.0.0/16\",\"masquerade\":true}",
		"{\"cidr\":\"fd00:1::/64\",\"masquerade\":false,\"vxlan\":true}",
		"{\"cidr\":\"192.168.0.0/16\",\"masquerade\":false,\"ipip\":\"tunl0\"}",
		"{\"cidr\":\"10.0.0.0/8\",\"masquerade\":true,\"disabled\":true}",
	};
	for (size_t i = 0; i < N(canon); i++)
		CHECK_STR(pool_rt(canon[i]), canon[i], "pool %s round-trips", canon[i]);
	CHECK_STR(pool_rt("{\"cidr\":\"10.0.0.0/8\"}"), "{\"cidr\":\"10.0.0.0/8\",\"masquerade\":false}",
		  "masquerade defaults to false");
	CHECK_STR(pool_rt("{\"cidr\":\"10.0.0.0/8\",\"vxlan\":false,\"disabled\":false}"),
		  "{\"cidr\":\"10.0.0.0/8\",\"masquerade\":false}", "false flags are omitted");
	static const char *const bad[][2] = {
		{ "{\"cidr\":\"10.0.0.1/8\"}", "\"cidr\" \"10.0.0.1/8\": host bits set" },
		{ "{\"cidr\":\"10.0.0.0/33\"}", "invalid \"cidr\" value \"10.0.0.0/33\": expected a CIDR such as 192.168.0.0/16" },
		{ "{\"cidr\":\"10.0.0.1\"}", "invalid \"cidr\" value \"10.0.0.1\": expected a CIDR such as 192.168.0.0/16" },
		{ "{}", "missing \"cidr\" in pool" },
		{ "{\"cidr\":\"10.0.0.0/8\",\"ipam\":true}", "unknown key \"ipam\" in pool" },
		{ "{\"cidr\":\"10.0.0.0/8\",\"masquerade\":\"yes\"}", "\"masquerade\" must be true or false, not a string \"yes\"" },
		{ "{\"cidr\":\"10.0.0.0/8\",\"ipip\":\"tunl1\"}", "invalid \"ipip\" value \"tunl1\": expected \"tunl0\"" },
		{ "{\"cidr\":\"10.0.0.0/8\",\"ipip\":true}", "\"ipip\" must be a string, not a boolean true" },
		{ "{\"cidr\":\"fd00::/64\",\"ipip\":\"tunl0\"}", "\"ipip\" is only for IPv4 pools, not \"fd00::/64\"" },
		{ "{\"cidr\":\"10.0.0.0/8\",\"ipip\":\"tunl0\",\"vxlan\":true}", "\"ipip\" and \"vxlan\" cannot both be set" },
		{ "{\"cidr\":\"10.0.0.0/8\",\"vxlan\":1}", "\"vxlan\" must be true or false, not an integer 1" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		char want[512];
		snprintf(want, sizeof(want), "ERR: %s", bad[i][1]);
		CHECK_STR(pool_rt(bad[i][0]), want, "pool refused: %s", bad[i][0]);
	}
}

static void test_bgp(void)
{
	static const struct {
		const char *text;
		long long want; /* -1 = refused */
	} as[] = {
		{ "64512", 64512 }, { "1", 1 },         { "4294967295", 4294967295LL }, { "1.10", 65546 },
		{ "0.1", 1 },       { "65535.65535", 4294967295LL }, { "0", -1 },        { "4294967296", -1 },
		{ "1.65536", -1 },  { "", -1 },          { "abc", -1 },                  { "64512x", -1 },
		{ "+1", -1 },       { "-1", -1 },        { "01", -1 },                   { "1.", -1 },
		{ ".1", -1 },       { "1.2.3", -1 },     { "0.0", -1 },                  { " 1", -1 },
		{ "65536.0", -1 },  { "99999999999999999999", -1 },
	};
	for (size_t i = 0; i < N(as); i++) {
		uint32_t v = 0;
		int rc = as_num_parse(as[i].text, &v);
		if (as[i].want < 0)
			CHECK_INT(rc, -EINVAL, "as_num_parse refuses \"%s\"", as[i].text);
		else
			CHECK(rc == 0 && v == (uint32_t)as[i].want, "as_num_parse(\"%s\") = %lld", as[i].text, as[i].want);
	}

	CHECK_STR(peer_rt("{\"ip\":\"192.0.2.1\",\"as_num\":64512}"), "{\"ip\":\"192.0.2.1\",\"as_num\":64512}", "peer v4");
	CHECK_STR(peer_rt("{\"as_num\":65546,\"ip\":\"2001:DB8::1\"}"), "{\"ip\":\"2001:db8::1\",\"as_num\":65546}",
		  "peer v6 canonical");
	CHECK_STR(peer_rt("{\"ip\":\"192.0.2.1\",\"as_num\":\"1.10\"}"), "{\"ip\":\"192.0.2.1\",\"as_num\":65546}",
		  "as_num as a string is read (Calico wrote strings)");
	static const char *const bad[][2] = {
		{ "{\"ip\":\"192.0.2.1\"}", "missing \"as_num\" in BGP peer" },
		{ "{\"as_num\":1}", "missing \"ip\" in BGP peer" },
		{ "{\"ip\":\"192.0.2.256\",\"as_num\":1}", "invalid \"ip\" value \"192.0.2.256\": expected an IPv4 or IPv6 address" },
		{ "{\"ip\":\"192.0.2.1\",\"as_num\":0}", "\"as_num\" 0 is out of range 1-4294967295" },
		{ "{\"ip\":\"192.0.2.1\",\"as_num\":4294967296}", "\"as_num\" 4294967296 is out of range 1-4294967295" },
		{ "{\"ip\":\"192.0.2.1\",\"as_num\":\"x\"}", "invalid \"as_num\" value \"x\": expected an AS number 1-4294967295" },
		{ "{\"ip\":\"192.0.2.1\",\"as_num\":1.5}", "invalid \"as_num\" value 1.5: expected an AS number 1-4294967295" },
		{ "{\"ip\":\"192.0.2.1\",\"as_num\":1,\"x\":2}", "unknown key \"x\" in BGP peer" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		char want[512];
		snprintf(want, sizeof(want), "ERR: %s", bad[i][1]);
		CHECK_STR(peer_rt(bad[i][0]), want, "peer refused: %s", bad[i][0]);
	}

	bool en = false;
	char err[MODEL_ERR_MAX];
	char *s = node_mesh_encode(true);
	CHECK_STR(s, "{\"enabled\":true}", "node_mesh on");
	CHECK(node_mesh_decode(s, &en, err, sizeof(err)) == 0 && en, "node_mesh on round-trips");
	free(s);
	s = node_mesh_encode(false);
	CHECK_STR(s, "{\"enabled\":false}", "node_mesh off");
	CHECK(node_mesh_decode(s, &en, err, sizeof(err)) == 0 && !en, "node_mesh off round-trips");
	free(s);
	CHECK_INT(node_mesh_decode("{\"enabled\":1}", &en, err, sizeof(err)), -EINVAL, "node_mesh non-bool");
	CHECK_STR(err, "\"enabled\" must be true or false, not an integer 1", "node_mesh non-bool message");
	CHECK_INT(node_mesh_decode("{}", &en, err, sizeof(err)), -EINVAL, "node_mesh empty");
	CHECK_STR(err, "missing \"enabled\" in node_mesh", "node_mesh empty message");
	CHECK_INT(node_mesh_decode("{\"enabled\":true,\"x\":1}", &en, err, sizeof(err)), -EINVAL, "node_mesh extra key");
	CHECK_STR(err, "unknown key \"x\" in node_mesh", "node_mesh extra key message");
}

int main(void)
{
	test_names();
	test_rule_json();
	test_profiles();
	test_endpoints();
	test_pools();
	test_bgp();
	return tap_done();
}
