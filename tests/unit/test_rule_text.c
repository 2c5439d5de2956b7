/* The calicoctl rule grammar: every example round-trips text -> rule -> text
 * and text -> rule -> JSON -> rule -> text; bad input is refused naming the word. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/rule_text.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char out[RULE_TEXT_MAX];

/* parse, print; "ERR: <message>" on refusal */
static const char *text_rt(const char *text)
{
	struct rule r;
	char err[MODEL_ERR_MAX];
	if (rule_text_parse_str(text, &r, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	if (!rule_text_format(&r, out, sizeof(out)))
		snprintf(out, sizeof(out), "(format failed)");
	return out;
}

/* parse, encode JSON, decode, print */
static const char *json_rt(const char *text, char *json_out, size_t json_len)
{
	struct rule r, back;
	char err[MODEL_ERR_MAX];
	if (rule_text_parse_str(text, &r, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	char *json = rule_encode(&r);
	snprintf(json_out, json_len, "%s", json ? json : "(null)");
	if (!json || rule_decode(json, &back, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "decode failed: %s", err);
	} else if (!rule_equal(&r, &back)) {
		snprintf(out, sizeof(out), "decoded rule differs");
	} else if (!rule_text_format(&back, out, sizeof(out))) {
		snprintf(out, sizeof(out), "(format failed)");
	}
	free(json);
	return out;
}

static const char *const examples[] = {
	/* the Calico documentation's examples */
	"allow",
	"deny",
	"allow from tag web",
	"allow tcp to ports 80",
	"allow tcp to ports 80,443",
	"allow tcp from ports 1:1024 tag A cidr 10.0.0.0/8 to ports 80,443 tag B cidr 10.1.0.0/16",
	"allow udp to ports 53",
	"allow icmp",
	"allow icmp type 8",
	"allow icmp type 8 code 0",
	"deny icmpv6 type 128",
	"allow from cidr 192.168.0.0/16",
	"allow to cidr fd80::/64",
	"deny tcp from tag frontend to ports 6379",
	"allow tcp from tag management-ui to ports 9000",
	"allow ipv6",
	"allow ipv4 tcp to ports 22",
	/* DESIGN §7's grammar, every branch */
	"allow tcp from ports 80 to ports 443",
	"allow udp from cidr 10.0.0.0/24 to ports 1000:2000,3000 cidr 10.2.0.0/16",
	"deny udp from ports 53",
	"allow tcp to tag db",
	"allow tcp from tag tag to tag cidr", /* keywords are fine as tag names */
	"allow icmp from tag a",
	"allow icmp type 0 code 255 from tag a cidr 10.0.0.0/8 to tag b cidr 10.1.0.0/16",
	"allow icmpv6 to cidr fd80::/64",
	"allow icmpv6 type 254 code 0",
	"deny from tag a cidr 10.0.0.0/8 to tag b cidr 10.1.0.0/16",
	"deny to tag b",
	"allow ipv4",
	"allow ipv6 tcp",
	"allow ipv6 udp from tag a to ports 53",
	"deny ipv4 from tag a",
	"allow tcp from ports 0:65535",
	"allow tcp to ports 0,65535",
	"allow tcp to ports 8000:8080,80,443",
	"allow 47",
	"allow ipv6 132",
	"deny 0 from tag x",
	"allow tcp from cidr 0.0.0.0/0",
	"allow from cidr ::/0",
	"allow from cidr 10.0.0.1/32",
};

/* accepted spellings that print canonically */
static const char *const normalised[][2] = {
	{ "allow ipv4 from cidr 10.0.0.0/8", "allow from cidr 10.0.0.0/8" },
	{ "allow ipv6 to cidr fd80::/64", "allow to cidr fd80::/64" },
	{ "allow ipv4 icmp", "allow icmp" },
	{ "allow ipv6 icmpv6 type 1", "allow icmpv6 type 1" },
	{ "allow 6 to ports 80", "allow tcp to ports 80" },
	{ "allow 17", "allow udp" },
	{ "allow 1 type 3", "allow icmp type 3" },
	{ "allow 58", "allow icmpv6" },
	{ "allow tcp to ports 80:80", "allow tcp to ports 80" },
	{ "allow from cidr 10.0.0.1", "allow from cidr 10.0.0.1/32" },
	{ "allow to cidr FD80::/64", "allow to cidr fd80::/64" },
	{ "  allow\ttcp   to ports 80  ", "allow tcp to ports 80" },
};

/* the bad-input catalogue, exact messages */
static const char *const bad[][2] = {
	{ "", "a rule starts with allow or deny" },
	{ "permit", "unknown action \"permit\": expected allow or deny" },
	{ "Allow", "unknown action \"Allow\": expected allow or deny" },
	{ "tcp", "unknown action \"tcp\": expected allow or deny" },
	{ "allow tcp form tag a", "unexpected word \"form\" after \"tcp\": expected from or to" },
	{ "allow tag x", "unexpected word \"tag\" after \"allow\": expected ipv4, ipv6, a protocol, from or to" },
	{ "allow sctp", "unexpected word \"sctp\" after \"allow\": expected ipv4, ipv6, a protocol, from or to" },
	{ "allow ipv4 ipv6", "unexpected word \"ipv6\" after \"ipv4\": expected a protocol, from or to" },
	{ "allow tcp udp", "unexpected word \"udp\" after \"tcp\": expected from or to" },
	{ "allow icmp foo", "unexpected word \"foo\" after \"icmp\": expected type, from or to" },
	{ "allow icmp type 8 foo", "unexpected word \"foo\" after \"8\": expected code, from or to" },
	{ "allow icmp type 8 code 0 foo", "unexpected word \"foo\" after \"0\": expected from or to" },
	{ "allow tcp to ports 80 to ports 81", "unexpected word \"to\" after \"80\": expected tag or cidr" },
	{ "allow tcp from ports 80 from ports 81", "unexpected word \"from\" after \"80\": expected tag, cidr or to" },
	{ "allow from tag a ports 80", "ports are only allowed with tcp or udp" },
	{ "allow tcp from tag a ports 80", "unexpected word \"ports\" after \"a\": expected cidr or to" },
	{ "allow tcp from cidr 10.0.0.0/8 tag a", "unexpected word \"tag\" after \"10.0.0.0/8\": expected to" },
	{ "allow to cidr 10.0.0.0/8 extra", "unexpected word \"extra\" after \"10.0.0.0/8\": the rule ends there" },
	{ "allow to tag a from tag b", "unexpected word \"from\" after \"a\": expected cidr" },
	{ "allow tcp to ports 70000", "invalid port \"70000\": ports are 0-65535" },
	{ "allow tcp to ports 80:70", "invalid port range \"80:70\": the first port is above the last" },
	{ "allow tcp to ports 80:70000", "invalid port range \"80:70000\": ports are 0-65535" },
	{ "allow tcp to ports 80,", "invalid port \"\"" },
	{ "allow tcp to ports ,80", "invalid port \"\"" },
	{ "allow tcp to ports 080", "invalid port \"080\"" },
	{ "allow tcp to ports -1", "invalid port \"-1\"" },
	{ "allow tcp to ports +1", "invalid port \"+1\"" },
	{ "allow tcp to ports http", "invalid port \"http\"" },
	{ "allow tcp to ports 1:2:3", "invalid port range \"1:2:3\"" },
	{ "allow tcp to ports 80,80", "ports 80 and 80 overlap in \"80,80\"" },
	{ "allow tcp to ports 70:90,80", "ports 70:90 and 80 overlap in \"70:90,80\"" },
	{ "allow icmp to ports 80", "ports are only allowed with tcp or udp" },
	{ "allow to ports 80", "ports are only allowed with tcp or udp" },
	{ "allow 47 to ports 80", "ports are only allowed with tcp or udp" },
	{ "allow icmp type 255", "invalid ICMP type \"255\": types are 0-254" },
	{ "allow icmp type x", "invalid ICMP type \"x\": types are 0-254" },
	{ "allow icmp type 08", "invalid ICMP type \"08\": types are 0-254" },
	{ "allow icmp type", "\"type\" needs an ICMP type 0-254" },
	{ "allow icmp type 8 code 256", "invalid ICMP code \"256\": codes are 0-255" },
	{ "allow icmp type 8 code", "\"code\" needs an ICMP code 0-255" },
	{ "allow icmp code 0", "unexpected word \"code\" after \"icmp\": expected type, from or to" },
	{ "allow tcp type 8", "\"type\" is only allowed with icmp or icmpv6" },
	{ "allow type 8", "\"type\" is only allowed with icmp or icmpv6" },
	{ "allow from cidr 10.0.0.0/33", "invalid CIDR \"10.0.0.0/33\"" },
	{ "allow from cidr 10.0.0.1/8", "invalid CIDR \"10.0.0.1/8\": host bits set (did you mean 10.0.0.0/8?)" },
	{ "allow from cidr fd80::1/64", "invalid CIDR \"fd80::1/64\": host bits set (did you mean fd80::/64?)" },
	{ "allow from cidr web", "invalid CIDR \"web\"" },
	{ "allow from cidr", "\"cidr\" needs a CIDR" },
	{ "allow tcp to tag", "\"tag\" needs a tag name" },
	{ "allow from tag x!", "invalid tag \"x!\": tags are 1-40 characters of letters, digits, '.', '_' and '-'" },
	{ "allow udp from ports", "\"ports\" needs a port list" },
	{ "allow from", "\"from\" needs tag or cidr" },
	{ "allow tcp from", "\"from\" needs ports, tag or cidr" },
	{ "allow tcp from to ports 80", "\"from\" needs ports, tag or cidr" },
	{ "allow to", "\"to\" needs tag or cidr" },
	{ "allow ipv6 icmp", "icmp is IPv4 only, but the rule says ipv6" },
	{ "allow ipv4 icmpv6", "icmpv6 is IPv6 only, but the rule says ipv4" },
	{ "allow ipv4 from cidr fd80::/64", "cidr \"fd80::/64\" is IPv6, but the rule says ipv4" },
	{ "allow icmp from cidr fd80::/64", "cidr \"fd80::/64\" is IPv6, but icmp is IPv4 only" },
	{ "allow from cidr 10.0.0.0/8 to cidr fd80::/64", "cidr \"fd80::/64\" is IPv6, but cidr \"10.0.0.0/8\" is IPv4" },
	{ "allow 256", "unexpected word \"256\" after \"allow\": expected ipv4, ipv6, a protocol, from or to" },
	{ "allow tcp ipv4", "unexpected word \"ipv4\" after \"tcp\": expected from or to" },
};

int main(void)
{
	char json[RULE_TEXT_MAX];
	char buf[RULE_TEXT_MAX];

	for (size_t i = 0; i < N(examples); i++) {
		CHECK_STR(text_rt(examples[i]), examples[i], "text round-trip: %s", examples[i]);
		CHECK_STR(json_rt(examples[i], json, sizeof(json)), examples[i], "JSON round-trip: %s (via %s)",
			  examples[i], json);
	}
	for (size_t i = 0; i < N(normalised); i++)
		CHECK_STR(text_rt(normalised[i][0]), normalised[i][1], "\"%s\" prints as \"%s\"", normalised[i][0],
			  normalised[i][1]);
	for (size_t i = 0; i < N(bad); i++) {
		char want[512];
		snprintf(want, sizeof(want), "ERR: %s", bad[i][1]);
		CHECK_STR(text_rt(bad[i][0]), want, "refused: \"%s\"", bad[i][0]);
	}

	/* the JSON each kind of rule produces (ip_version only when nothing implies it) */
	static const char *const to_json[][2] = {
		{ "allow icmp", "{\"action\":\"allow\",\"protocol\":\"icmp\"}" },
		{ "allow ipv6", "{\"action\":\"allow\",\"ip_version\":6}" },
		{ "allow ipv4 tcp to ports 22", "{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[22],\"ip_version\":4}" },
		{ "allow ipv4 from cidr 10.0.0.0/8", "{\"action\":\"allow\",\"src_net\":\"10.0.0.0/8\"}" },
		{ "allow tcp from ports 1:1024 tag A cidr 10.0.0.0/8 to ports 80,443 tag B cidr 10.1.0.0/16",
		  "{\"action\":\"allow\",\"protocol\":\"tcp\",\"src_tag\":\"A\",\"src_net\":\"10.0.0.0/8\","
		  "\"src_ports\":[\"1:1024\"],\"dst_tag\":\"B\",\"dst_net\":\"10.1.0.0/16\",\"dst_ports\":[80,443]}" },
		{ "deny icmpv6 type 128 code 3", "{\"action\":\"deny\",\"protocol\":\"icmpv6\",\"icmp_type\":128,\"icmp_code\":3}" },
		{ "allow 47", "{\"action\":\"allow\",\"protocol\":47}" },
	};
	for (size_t i = 0; i < N(to_json); i++) {
		json_rt(to_json[i][0], json, sizeof(json));
		CHECK_STR(json, to_json[i][1], "JSON of \"%s\"", to_json[i][0]);
	}

	/* the words interface, as calicoctl passes argv */
	char *words[] = { "deny", "tcp", "from", "tag", "frontend", "to", "ports", "6379" };
	struct rule r;
	char err[MODEL_ERR_MAX];
	CHECK_INT(rule_text_parse(8, words, &r, err, sizeof(err)), 0, "rule_text_parse on words");
	CHECK_STR(rule_text_format(&r, buf, sizeof(buf)), "deny tcp from tag frontend to ports 6379", "words format");
	CHECK_INT(rule_text_parse(0, words, &r, err, sizeof(err)), -EINVAL, "no words refused");
	char *spaced[] = { "allow", "from", "tag", "a b" };
	CHECK_INT(rule_text_parse(4, spaced, &r, err, sizeof(err)), -EINVAL, "a word with a space is not a tag");
	CHECK_STR(err, "invalid tag \"a b\": tags are 1-40 characters of letters, digits, '.', '_' and '-'",
		  "word with a space message");

	/* a failed parse leaves a rule_init'd rule */
	struct rule none;
	rule_init(&none, RULE_ALLOW);
	rule_text_parse_str("deny tcp to ports 99999", &r, err, sizeof(err));
	CHECK(rule_equal(&r, &none), "failed parse leaves an empty rule");

	/* text parse equals JSON decode of the same rule */
	struct rule a, b;
	rule_text_parse_str("allow tcp from ports 1:1024 to ports 80,443", &a, err, sizeof(err));
	rule_decode("{\"action\":\"allow\",\"protocol\":6,\"src_ports\":[\"1:1024\"],\"dst_ports\":[80,443]}", &b, err,
		    sizeof(err));
	CHECK(rule_equal(&a, &b), "text and JSON give equal rules");

	/* a profile's rules as calicoctl profile P rule show prints them (and the stars UI shows them) */
	struct profile prof;
	CHECK_INT(profile_init_default(&prof, "web"), 0, "default profile");
	char *shown = rule_lists_show(&prof.inbound, &prof.outbound);
	CHECK_STR(shown, "Inbound rules:\n   1 allow from tag web\nOutbound rules:\n   1 allow\n",
		  "rule_lists_show: titles, numbered rules");
	free(shown);
	rule_list_free(&prof.outbound);
	shown = rule_lists_show(&prof.inbound, &prof.outbound);
	CHECK_STR(shown, "Inbound rules:\n   1 allow from tag web\nOutbound rules:\n", "rule_lists_show: an empty list");
	free(shown);
	profile_free(&prof);

	/* ports lists */
	struct port_range p[RULE_PORTS_MAX];
	size_t n;
	CHECK_INT(ports_parse("80,443,8000:8080", p, RULE_PORTS_MAX, &n, err, sizeof(err)), 0, "ports_parse");
	CHECK(n == 3 && p[0].first == 80 && p[0].last == 80 && p[2].first == 8000 && p[2].last == 8080, "ports values");
	CHECK_STR(ports_format(p, n, buf, sizeof(buf)), "80,443,8000:8080", "ports_format");
	CHECK(ports_format(p, n, buf, 5) == NULL, "ports_format refuses a short buffer");
	CHECK_STR(ports_format(p, 0, buf, sizeof(buf)), "", "no ports format as empty");
	CHECK_INT(ports_parse("1,2,3", p, 2, &n, err, sizeof(err)), -EINVAL, "ports_parse honours max");
	CHECK_STR(err, "too many ports in \"1,2,3\" (at most 2)", "too many ports message");
	CHECK_INT(ports_parse("", p, RULE_PORTS_MAX, &n, err, sizeof(err)), -EINVAL, "empty port list");
	CHECK_STR(err, "\"ports\" needs a port list", "empty port list message");

	/* the longest rule fits RULE_TEXT_MAX; a short buffer is refused */
	char many[1024] = "allow tcp from ports ";
	for (int i = 0; i < RULE_PORTS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d:%d", i ? "," : "", 10000 + i * 10,
			 10000 + i * 10 + 5);
	strcat(many, " tag aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa cidr ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 to ports ");
	for (int i = 0; i < RULE_PORTS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d", i ? "," : "", 60000 + i);
	CHECK_STR(text_rt(many), many, "a rule of 128 port entries round-trips");
	CHECK_INT(rule_text_parse_str(many, &r, err, sizeof(err)), 0, "parse the long rule");
	CHECK(rule_text_format(&r, buf, 20) == NULL, "rule_text_format refuses a short buffer");
	return tap_done();
}
