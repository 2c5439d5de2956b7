/* calico_mesos' pure parts: request parsing with the bad-input catalogue,
 * labels (skipped, not refused, when Calico cannot hold them), and the profiles a task gets. The sources are compiled
 * in here (the hook is a program, not a library). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mesos/mesos_policy.c"
#include "../../src/mesos/mesos_request.c"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The parse's message, or "OK" */
static const char *parse_msg(const char *text)
{
	static char err[512];
	struct mesos_request r;
	if (mesos_request_parse(text, &r, err, sizeof(err)) == 0) {
		mesos_request_free(&r);
		return "OK";
	}
	CHECK(r.root == NULL && r.labels == NULL && r.ipv4.items == NULL, "a refused request leaves nothing held");
	return err;
}

#define ISO(extra)                                                                                           \
	"{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c1\",\"pid\":42,"          \
	"\"ipv4_addrs\":[\"10.65.0.2\"],\"ipv6_addrs\":[]" extra "}}"

static void catalogue(void)
{
	static const struct {
		const char *request, *message;
	} cases[] = {
		{ "", "Malformed JSON request: '[' or '{' expected near end of file (line 1, column 0)" },
		{ "{\"command\":", "Malformed JSON request: unexpected token near end of file (line 1, column 11)" },
		{ "{\"command\":\"cleanup\",\"command\":\"cleanup\",\"args\":{}}",
		  "Malformed JSON request: duplicate object key near '\"command\"' (line 1, column 30)" },
		{ "{} {}", "Malformed JSON request: end of file expected near '{' (line 1, column 4)" },
		{ "[1]", "Request must be a JSON object" },
		{ "{}", "Missing command" },
		{ "{\"command\":null,\"args\":{}}", "Missing command" },
		{ "{\"command\":[\"isolate\"],\"args\":{}}", "command must be a string" },
		{ "{\"command\":\"ISOLATE\",\"args\":{}}", "Unknown command: ISOLATE" },
		{ "{\"command\":\"isolate\"}", "Missing args" },
		{ "{\"command\":\"isolate\",\"args\":\"x\"}", "args must be a JSON object" },
		/* allocate */
		{ "{\"command\":\"allocate\",\"args\":{}}", "Missing hostname" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":7}}", "hostname must be a string" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"a/b\"}}",
		  "Invalid hostname 'a/b': use 1-253 letters, digits, '.', '-' and '_'" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\"}}", "Missing uid" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"a/b\"}}",
		  "Invalid uid 'a/b': use 1-250 printable characters without '/'" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\"}}", "Missing num_ipv4" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":-1}}",
		  "num_ipv4 must be a non-negative integer" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":\"1\"}}",
		  "num_ipv4 must be a non-negative integer" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":1.5}}",
		  "num_ipv4 must be a non-negative integer" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":65}}",
		  "num_ipv4 must be at most 64" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":1}}",
		  "Missing num_ipv6" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":1,\"num_ipv6\":true}}",
		  "num_ipv6 must be a non-negative integer" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":1,\"num_ipv6\":0,"
		  "\"netgroups\":[\"a b\"]}}",
		  "Invalid netgroup 'a b': use 1-40 letters, digits, '.', '_' and '-'" },
		/* reserve */
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\"}}",
		  "Must provide at least one IPv4 or IPv6 address." },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[],"
		  "\"ipv6_addrs\":[]}}",
		  "Must provide at least one IPv4 or IPv6 address." },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv6_addrs\":\"fd00::1\"}}",
		  "ipv6_addrs must be a list of IP addresses" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":{}}}",
		  "ipv4_addrs must be a list of IP addresses" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":\"10.0.0.1\"}}",
		  "ipv4_addrs must be a list of IP addresses" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[\"1.1.1.1.1\"]}}",
		  "IP address could not be parsed: 1.1.1.1.1" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[17]}}",
		  "IP address could not be parsed: 17" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[\"fd00::1\"]}}",
		  "IPv6 address must not be placed in IPv4 address field." },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[\"10.0.0.1\","
		  "\"10.0.0.1\"]}}",
		  "IP address 10.0.0.1 is listed twice in ipv4_addrs" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[]}}",
		  "Must provide at least one IPv4 or IPv6 address." },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[],"
		  "\"ipv6_addrs\":[\"10.0.0.1\"]}}",
		  "IPv4 address must not be placed in IPv6 address field." },
		/* release */
		{ "{\"command\":\"release\",\"args\":{}}", "Must supply either uid or ips." },
		{ "{\"command\":\"release\",\"args\":{\"uid\":null,\"ips\":null}}", "Must supply either uid or ips." },
		{ "{\"command\":\"release\",\"args\":{\"uid\":\"u\",\"ips\":[]}}", "Supply either uid or ips, not both." },
		{ "{\"command\":\"release\",\"args\":{\"ips\":[\"10.0.0.300\"]}}",
		  "IP address could not be parsed: 10.0.0.300" },
		{ "{\"command\":\"release\",\"args\":{\"uid\":5}}", "uid must be a string" },
		/* isolate */
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\"}}", "Missing container_id" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"a/b\"}}",
		  "Invalid container_id 'a/b': use 1-255 letters, digits, '.', '_', ':' and '-'" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\"}}", "Missing pid" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":0}}",
		  "pid must be a positive integer" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":\"12\"}}",
		  "pid must be a positive integer" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":12}}",
		  "Must provide at least one IPv4 or IPv6 address." },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":12,"
		  "\"ipv4_addrs\":\"10.65.0.2\"}}",
		  "ipv4_addrs must be a list of IP addresses" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":12,"
		  "\"ipv6_addrs\":[\"10.65.0.2\"]}}",
		  "IPv4 address must not be placed in IPv6 address field." },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":12,"
		  "\"ipv4_addrs\":[\"10.65.0.2\"],\"netgroups\":{}}}",
		  "netgroups must be a list of strings" },
		{ ISO(",\"netgroups\":\"ng\""), "netgroups must be a list of strings" },
		{ ISO(",\"netgroups\":[1]"), "netgroups must be a list of strings, not containing 1" },
		{ ISO(",\"netgroups\":[\"default_h2\"]"),
		  "Invalid netgroup 'default_h2': names starting with default_ are reserved" },
		{ ISO(",\"netgroups\":[\"abcdefghijabcdefghijabcdefghijabcdefghijX\"]"),
		  "Invalid netgroup 'abcdefghijabcdefghijabcdefghijabcdefghijX': use 1-40 letters, digits, '.', '_' and '-'" },
		{ ISO(",\"labels\":\"a=b\""), "labels must be a list of {\"key\", \"value\"} objects" },
		{ ISO(",\"labels\":[\"a=b\"]"), "labels[0] must be an object with key and value" },
		{ ISO(",\"labels\":[{\"value\":\"b\"}]"), "Missing key in labels[0]" },
		{ ISO(",\"labels\":[{\"key\":1}]"), "labels[0].key must be a string" },
		{ ISO(",\"labels\":[{\"key\":\"k\",\"value\":2}]"), "labels[0].value must be a string" },
		/* labels Calico cannot hold are skipped, a repeated key replaced */
		{ ISO(",\"labels\":[{\"key\":\"!!!\",\"value\":\"b\"}]"), "OK" },
		{ ISO(",\"labels\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"a\",\"value\":\"2\"}]"), "OK" },
		/* cleanup */
		{ "{\"command\":\"cleanup\",\"args\":{}}", "Missing hostname" },
		{ "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\"}}", "Missing container_id" },
		{ "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"\"}}",
		  "Invalid container_id '': use 1-255 letters, digits, '.', '_', ':' and '-'" },
		/* accepted */
		{ ISO(""), "OK" },
		{ ISO(",\"netgroups\":null,\"labels\":null,\"future_key\":1"), "OK" },
		/* as Mesos writes them: an empty repeated field is left out */
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":12,"
		  "\"ipv4_addrs\":[\"10.65.0.2\"]}}",
		  "OK" },
		{ "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\",\"pid\":12,"
		  "\"ipv6_addrs\":[\"fd00::2\"]}}",
		  "OK" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv4_addrs\":[\"10.0.0.1\"]}}",
		  "OK" },
		{ "{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"ipv6_addrs\":[\"fd00::1\"]}}",
		  "OK" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":1,\"num_ipv6\":0}}",
		  "OK" },
		{ "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\"}}", "OK" },
		{ "{\"command\":\"release\",\"args\":{\"ips\":[\"10.0.0.1\",\"fd00::1\"]}}", "OK" },
		{ "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\",\"num_ipv4\":0,\"num_ipv6\":64}}",
		  "OK" },
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_STR(parse_msg(cases[i].request), cases[i].message, "request %zu: %s", i, cases[i].message ? cases[i].message : "?");
}

static void accepted(void)
{
	struct mesos_request r;
	char err[256] = "", text[IP_STR_MAX];
	int rc = mesos_request_parse(
		"{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c-1:x\",\"pid\":42,"
		"\"ipv4_addrs\":[\"10.65.0.2\",\"10.65.0.3\"],\"ipv6_addrs\":[\"fd00::2\"],"
		"\"netgroups\":[\"public\",\"ng1\",\"public\",\"ng2\",\"ng1\"],"
		"\"labels\":{\"labels\":[{\"key\":\"rack id\",\"value\":\"r1\"},{\"key\":\"HAPROXY_0_VHOST\","
		"\"value\":\"web.example.com\"},{\"key\":\"note\",\"value\":\"free text\"},{\"key\":\"x\"}]}}}",
		&r, err, sizeof(err));
	CHECK_INT(rc, 0, "isolate request accepted (%s)", err);
	if (rc < 0)
		return;
	CHECK(r.command == MESOS_ISOLATE, "command isolate");
	CHECK_STR(r.hostname, "h1", "hostname");
	CHECK_STR(r.container_id, "c-1:x", "container_id");
	CHECK_INT(r.pid, 42, "pid");
	CHECK_INT(r.ipv4.n, 2, "two IPv4 addresses");
	CHECK_STR(ip_format(&r.ipv4.items[1], text), "10.65.0.3", "in order");
	CHECK_INT(r.ipv6.n, 1, "one IPv6 address");
	CHECK_INT(r.n_netgroups, 3, "netgroups without repeats");
	CHECK(r.n_netgroups == 3 && strcmp(r.netgroups[0], "public") == 0 && strcmp(r.netgroups[1], "ng1") == 0 &&
		      strcmp(r.netgroups[2], "ng2") == 0,
	      "... in first-seen order");
	CHECK_INT(r.n_labels, 2, "labels in Mesos' {\"labels\": [...]} wrapper, the invalid ones skipped");
	CHECK(r.n_labels == 2 && strcmp(r.labels[0].key, "HAPROXY_0_VHOST") == 0 &&
		      strcmp(r.labels[0].value, "web.example.com") == 0,
	      "Marathon's HAPROXY_0_VHOST kept as given");
	CHECK(r.n_labels == 2 && strcmp(r.labels[1].key, "x") == 0 && strcmp(r.labels[1].value, "") == 0,
	      "label without value: empty");
	mesos_request_free(&r);
	mesos_request_free(&r);
	CHECK(r.root == NULL, "free twice is harmless");

	/* Mesos' isolate for an IPv4-only task without netgroups or labels */
	rc = mesos_request_parse("{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"c\","
				 "\"pid\":42,\"ipv4_addrs\":[\"10.65.0.2\"]}}",
				 &r, err, sizeof(err));
	CHECK_INT(rc, 0, "isolate without ipv6_addrs, netgroups and labels accepted (%s)", err);
	CHECK(rc == 0 && r.ipv4.n == 1 && r.ipv6.n == 0 && r.n_netgroups == 0 && r.n_labels == 0,
	      "... one IPv4 address, no IPv6 address, netgroup or label");
	mesos_request_free(&r);
	rc = mesos_request_parse("{\"command\":\"reserve\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\","
				 "\"ipv4_addrs\":[\"10.65.0.7\",\"10.65.0.8\"],\"netgroups\":[\"ng1\"]}}",
				 &r, err, sizeof(err));
	CHECK(rc == 0 && r.ipv4.n == 2 && r.ipv6.n == 0, "reserve without ipv6_addrs: two IPv4 addresses (%s)", err);
	mesos_request_free(&r);

	rc = mesos_request_parse("{\"command\":\"release\",\"args\":{\"uid\":\"task-1\"}}", &r, err, sizeof(err));
	CHECK(rc == 0 && r.command == MESOS_RELEASE && strcmp(r.uid, "task-1") == 0 && r.ips.n == 0,
	      "release by uid");
	mesos_request_free(&r);
	rc = mesos_request_parse("{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"t\",\"num_ipv4\":3,"
				 "\"num_ipv6\":1,\"netgroups\":[\"a\"],\"labels\":[]}}",
				 &r, err, sizeof(err));
	CHECK(rc == 0 && r.num_ipv4 == 3 && r.num_ipv6 == 1, "allocate counts");
	mesos_request_free(&r);
}

static void labels(void)
{
	struct mesos_request r;
	char err[256] = "";
	int rc = mesos_request_parse("{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"u\","
				     "\"num_ipv4\":1,\"num_ipv6\":0,\"labels\":[{\"key\":\"a\",\"value\":\"1\"},"
				     "{\"key\":\"b\",\"value\":\"x y\"},{\"key\":\"a\",\"value\":\"2\"}]}}",
				     &r, err, sizeof(err));
	CHECK_INT(rc, 0, "labels with an invalid value and a repeated key accepted (%s)", err);
	CHECK(rc == 0 && r.n_labels == 1 && strcmp(r.labels[0].key, "a") == 0 && strcmp(r.labels[0].value, "2") == 0,
	      "... b='x y' skipped, the later a wins");
	mesos_request_free(&r);
}

static void policy(void)
{
	char name[CALICO_NAME_MAX + 1], other[CALICO_NAME_MAX + 1];
	mesos_default_profile_name("agent-1.example", name);
	CHECK_STR(name, "default_agent-1.example", "default profile name");
	mesos_default_profile_name("ip-10-0-0-1.us-west-2.compute.internal", name);
	mesos_default_profile_name("ip-10-0-0-1.us-west-2.compute.internal2", other);
	CHECK(strlen(name) == CALICO_NAME_MAX && name_is_valid(name), "a long host name makes a valid name (%s)", name);
	CHECK(strncmp(name, "default_ip-10-0-0-1.us-west-2.c-", 32) == 0, "... its prefix kept");
	CHECK(strcmp(name, other) != 0, "... two long names that share a prefix differ");

	char **names = NULL;
	size_t n = 0;
	const char *ngs[] = { "ng1", "public", "ng2" };
	CHECK_INT(mesos_profile_names("h1", ngs, 3, &names, &n), 0, "profile names");
	CHECK(n == 4 && strcmp(names[0], "default_h1") == 0 && strcmp(names[1], "public") == 0 &&
		      strcmp(names[2], "ng1") == 0 && strcmp(names[3], "ng2") == 0,
	      "default_<host>, public, then the netgroups in order");
	mesos_profile_names_free(names, n);
	CHECK_INT(mesos_profile_names("h1", NULL, 0, &names, &n), 0, "no netgroup");
	CHECK(n == 1 && strcmp(names[0], "default_h1") == 0, "... only the host's profile");
	mesos_profile_names_free(names, n);

	struct profile p;
	struct ip_addr host[2];
	ip_parse("172.30.0.11", &host[0]);
	ip_parse("fd00:30::11", &host[1]);
	CHECK_INT(mesos_host_profile_init(&p, "default_h1", host, 2), 0, "host profile");
	char *rules = rules_encode(p.name, &p.inbound, &p.outbound), *tags = tags_encode(p.tags, p.n_tags);
	CHECK_STR(rules,
		  "{\"id\":\"default_h1\",\"inbound_rules\":[{\"action\":\"allow\",\"src_net\":\"172.30.0.11/32\"},"
		  "{\"action\":\"allow\",\"src_net\":\"fd00:30::11/128\"}],\"outbound_rules\":[{\"action\":\"allow\","
		  "\"dst_net\":\"172.30.0.11/32\"},{\"action\":\"allow\",\"dst_net\":\"fd00:30::11/128\"}]}",
		  "... allows from and to each host address, nothing else");
	CHECK_STR(tags, "[\"default_h1\"]", "... tag = name");
	for (size_t i = 0; i < p.inbound.n; i++) {
		char e[256];
		CHECK_INT(rule_validate(&p.inbound.items[i], e, sizeof(e)), 0, "... inbound rule %zu valid", i);
	}
	free(rules);
	free(tags);
	profile_free(&p);
	CHECK_INT(mesos_host_profile_init(&p, "default_h1", NULL, 0), 0, "host profile without addresses");
	CHECK(p.inbound.n == 0 && p.outbound.n == 0, "... has no rules: nothing allowed");
	profile_free(&p);
	CHECK_INT(mesos_host_profile_init(&p, "bad name", host, 1), -EINVAL, "a bad name is refused");

	CHECK_INT(mesos_public_profile_init(&p), 0, "public profile");
	rules = rules_encode(p.name, &p.inbound, &p.outbound);
	CHECK_STR(rules, "{\"id\":\"public\",\"inbound_rules\":[{\"action\":\"allow\"}],\"outbound_rules\":[{\"action\":\"allow\"}]}",
		  "... allows everything in and out");
	free(rules);
	profile_free(&p);
}

int main(void)
{
	catalogue();
	accepted();
	labels();
	policy();
	return tap_done();
}
