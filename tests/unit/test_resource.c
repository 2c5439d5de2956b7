/* The v3 resource codec (resource/resource.h): files written the way Calico's
 * documentation writes them decode; the canonical encoding reads back as
 * itself through YAML and JSON; every refusal names the field and the value. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resource/resource.h"
#include "resource/yaml_json.h"
#include "tap.h"

/* Decodes the one document of yaml. 0 or the decoder's error (err filled). */
static int decode_yaml(const char *yaml, struct v3_resource *r, char *err, size_t errlen)
{
	json_t *docs = yaml_to_json_docs(yaml, strlen(yaml), err, errlen);
	if (!docs)
		return -1;
	int rc = v3_decode(json_array_get(docs, 0), r, err, errlen);
	json_decref(docs);
	return rc;
}

static char *canonical(const struct v3_resource *r)
{
	json_t *t = v3_encode(r);
	char *s = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(t);
	return s;
}

/* decode -> encode is canonical; YAML of it and JSON of it decode to the same. */
static void check_accepts(const char *yaml, const char *name, const char *want_json)
{
	struct v3_resource r, again;
	char err[512] = "";
	int rc = decode_yaml(yaml, &r, err, sizeof(err));
	CHECK(rc == 0, "accepts %s", name);
	if (rc != 0) {
		printf("#   %s\n", err);
		return;
	}
	json_t *tree = v3_encode(&r);
	char *json = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (want_json)
		CHECK_STR(json, want_json, "%s: canonical JSON", name);
	char *yaml_out = json_to_yaml(tree, 0);
	rc = decode_yaml(yaml_out, &again, err, sizeof(err));
	char *json2 = rc == 0 ? canonical(&again) : NULL;
	CHECK_STR(json2, json, "%s: its YAML reads back as itself", name);
	if (rc == 0)
		v3_resource_free(&again);
	free(json2);
	json_error_t jerr;
	json_t *back = json_loads(json, 0, &jerr);
	rc = v3_decode(back, &again, err, sizeof(err));
	json2 = rc == 0 ? canonical(&again) : NULL;
	CHECK_STR(json2, json, "%s: its JSON reads back as itself", name);
	if (rc == 0)
		v3_resource_free(&again);
	json_decref(back);
	free(json2);
	free(yaml_out);
	free(json);
	json_decref(tree);
	v3_resource_free(&r);
}

static void check_refuses(const char *yaml, const char *want, const char *name)
{
	struct v3_resource r;
	char err[512] = "";
	int rc = decode_yaml(yaml, &r, err, sizeof(err));
	CHECK(rc != 0, "refuses %s", name);
	if (rc == 0) {
		v3_resource_free(&r);
		return;
	}
	CHECK(strchr(err, '\n') == NULL, "%s: one line", name);
	CHECK_STR(err, want, "%s: message", name);
}

#define GNP_HEAD "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\nspec:\n"

static void rule_refusal(const char *rule_yaml, const char *want, const char *name)
{
	char doc[2048];
	snprintf(doc, sizeof(doc), GNP_HEAD "  ingress:\n%s", rule_yaml);
	check_refuses(doc, want, name);
}

int main(void)
{
	/* the shapes of Calico's documented examples */
	check_accepts("apiVersion: projectcalico.org/v3\n"
		      "kind: GlobalNetworkPolicy\n"
		      "metadata:\n  name: allow-tcp-6379\n"
		      "spec:\n"
		      "  selector: role == 'database'\n"
		      "  types:\n  - Ingress\n  - Egress\n"
		      "  ingress:\n"
		      "  - action: Allow\n"
		      "    metadata:\n      annotations:\n        from: frontend\n        to: database\n"
		      "    protocol: TCP\n"
		      "    source:\n      selector: role == 'frontend'\n"
		      "    destination:\n      ports:\n      - 6379\n"
		      "  egress:\n  - action: Allow\n",
		      "a global policy with annotations",
		      "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":"
		      "\"allow-tcp-6379\"},\"spec\":{\"tier\":\"default\",\"ingress\":[{\"action\":\"Allow\",\"protocol\":"
		      "\"TCP\",\"source\":{\"selector\":\"role == 'frontend'\"},\"destination\":{\"ports\":[6379]},"
		      "\"metadata\":{\"annotations\":{\"from\":\"frontend\",\"to\":\"database\"}}}],\"egress\":[{\"action\":"
		      "\"Allow\",\"source\":{},\"destination\":{}}],\"selector\":\"role == 'database'\",\"types\":"
		      "[\"Ingress\",\"Egress\"]}}");
	check_accepts("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
		      "metadata:\n  name: security.allow-web\n  namespace: production\n"
		      "spec:\n  tier: security\n  order: 100.5\n  selector: app == 'web'\n"
		      "  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [80, \"443\", 8000:8080]\n"
		      "  - action: Pass\n",
		      "a namespaced policy in a tier, with a range port",
		      "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":"
		      "\"security.allow-web\",\"namespace\":\"production\"},\"spec\":{\"tier\":\"security\",\"order\":100.5,"
		      "\"ingress\":[{\"action\":\"Allow\",\"protocol\":\"TCP\",\"source\":{},\"destination\":{\"ports\":"
		      "[80,443,\"8000:8080\"]}},{\"action\":\"Pass\",\"source\":{},\"destination\":{}}],\"selector\":"
		      "\"app == 'web'\",\"types\":[\"Ingress\"]}}");
	check_accepts("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 300\n",
		      "a tier",
		      "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Tier\",\"metadata\":{\"name\":\"security\"},"
		      "\"spec\":{\"order\":300,\"defaultAction\":\"Deny\"}}");
	check_accepts("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: platform\nspec:\n"
		      "  order: 10\n  defaultAction: Pass\n",
		      "a tier that passes by default", NULL);
	check_accepts("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: threats\n"
		      "  labels:\n    threat-feed: 'true'\nspec:\n  nets:\n  - 198.51.100.0/28\n  - 203.0.113.7\n  - 2001:db8::/32\n",
		      "a global network set (a bare address is a /32)",
		      "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkSet\",\"metadata\":{\"name\":"
		      "\"threats\",\"labels\":{\"threat-feed\":\"true\"}},\"spec\":{\"nets\":[\"198.51.100.0/28\","
		      "\"203.0.113.7/32\",\"2001:db8::/32\"]}}");
	check_accepts("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  name: external-db\n"
		      "  namespace: payments\n  labels:\n    role: db\nspec:\n  nets: [10.0.0.0/24]\n",
		      "a namespaced network set", NULL);
	check_accepts("apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: web\nspec:\n"
		      "  ingress:\n  - action: Allow\n    source:\n      selector: has(web)\n"
		      "  egress:\n  - action: Allow\n  labelsToApply:\n    web: ''\n",
		      "a profile with labelsToApply", NULL);
	check_accepts(GNP_HEAD "  selector: all()\n  namespaceSelector: global()\n  egress:\n"
			       "  - action: Deny\n    protocol: ICMP\n    icmp: {type: 8, code: 0}\n"
			       "  - action: Log\n    notProtocol: UDP\n    ipVersion: 6\n    destination:\n"
			       "      notNets: ['fd00::/8']\n      notSelector: \"x in {'a', 'b'}\"\n"
			       "  - action: Allow\n    protocol: 132\n    destination:\n      notPorts: [9]\n",
		      "ICMP, Log, notProtocol, notNets, notSelector, a numbered protocol with ports",
		      NULL);
	check_accepts(GNP_HEAD "  egress:\n  - action: Allow\n", "egress only: types default to Egress",
		      "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"p\"},"
		      "\"spec\":{\"tier\":\"default\",\"egress\":[{\"action\":\"Allow\",\"source\":{},\"destination\":{}}],"
		      "\"selector\":\"all()\",\"types\":[\"Egress\"]}}");
	check_accepts("{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":"
		      "\"j\",\"resourceVersion\":\"42\",\"uid\":\"u-1\",\"creationTimestamp\":\"2026-12-07T00:00:00Z\"},"
		      "\"spec\":{\"ingress\":[{\"action\":\"Deny\",\"source\":{\"nets\":[\"10.1.2.3/8\"]}}]}}",
		      "JSON with the server's metadata; host bits are masked",
		      "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"j\","
		      "\"uid\":\"u-1\",\"resourceVersion\":\"42\",\"creationTimestamp\":\"2026-12-07T00:00:00Z\"},\"spec\":"
		      "{\"tier\":\"default\",\"ingress\":[{\"action\":\"Deny\",\"source\":{\"nets\":[\"10.0.0.0/8\"]},"
		      "\"destination\":{}}],\"selector\":\"all()\",\"types\":[\"Ingress\"]}}");

	/* refusals, each naming the field and the value */
	rule_refusal("  - action: allow\n", "spec.ingress[0].action: \"allow\" is not one of Allow, Deny, Pass, Log",
		     "a lower-case action");
	rule_refusal("  - action: Allow\n    protocol: tcp\n",
		     "spec.ingress[0].protocol: \"tcp\" is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255",
		     "a lower-case protocol");
	rule_refusal("  - action: Allow\n    destination:\n      ports: [80]\n",
		     "spec.ingress[0].destination.ports: needs protocol TCP, UDP, SCTP or UDPLite", "ports without a protocol");
	rule_refusal("  - action: Allow\n    protocol: ICMP\n    source:\n      notPorts: [80]\n",
		     "spec.ingress[0].source.notPorts: needs protocol TCP, UDP, SCTP or UDPLite", "ports with ICMP");
	rule_refusal("  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [http]\n",
		     "spec.ingress[0].destination.ports[0]: \"http\" is a named port, which is not supported yet: give the number",
		     "a named port");
	rule_refusal("  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [\"90:80\"]\n",
		     "spec.ingress[0].destination.ports[0]: \"90:80\" is not a port or a range \"first:last\" (0-65535, first <= last)",
		     "a backwards range");
	rule_refusal("  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [70000]\n",
		     "spec.ingress[0].destination.ports[0]: 70000 is not a port (0-65535)", "a port out of range");
	rule_refusal("  - action: Allow\n    protocol: ICMP\n    icmp: {code: 1}\n",
		     "spec.ingress[0].icmp.code: an ICMP code needs a type", "an ICMP code without a type");
	rule_refusal("  - action: Allow\n    icmp: {type: 8}\n", "spec.ingress[0].icmp: needs protocol ICMP or ICMPv6",
		     "icmp without the protocol");
	rule_refusal("  - action: Allow\n    protocol: ICMP\n    ipVersion: 6\n    icmp: {type: 8}\n",
		     "spec.ingress[0].icmp: protocol ICMP does not go with ipVersion 6", "ICMP with IPv6");
	rule_refusal("  - action: Allow\n    ipVersion: 4\n    source:\n      nets: ['fd00::/8']\n",
		     "spec.ingress[0].source.nets[0]: \"fd00::/8\" is not an IPv4 network, as ipVersion says",
		     "a net of the other family");
	rule_refusal("  - action: Allow\n    ipVersion: 5\n", "spec.ingress[0].ipVersion: 5 must be 4 or 6", "ipVersion 5");
	rule_refusal("  - action: Allow\n    source:\n      selector: role = 'x'\n",
		     "spec.ingress[0].source.selector: selector \"role = 'x'\": expected '==' at 6", "a bad selector");
	rule_refusal("  - action: Allow\n    source:\n      nets: [10.0.0.0/33]\n",
		     "spec.ingress[0].source.nets[0]: \"10.0.0.0/33\" is not a CIDR or an IP address", "a bad CIDR");
	rule_refusal("  - action: Allow\n    destination:\n      serviceAccounts: {names: [a]}\n",
		     "spec.ingress[0].destination.serviceAccounts: is not supported yet (service accounts and services are Kubernetes')",
		     "service accounts");
	rule_refusal("  - action: Allow\n    http: {methods: [GET]}\n",
		     "spec.ingress[0].http: is not supported yet (HTTP match needs an application layer proxy)", "HTTP match");
	rule_refusal("  - action: Allow\n    sauce: {}\n", "spec.ingress[0].sauce: unknown field", "an unknown rule field");
	rule_refusal("  - Allow\n", "spec.ingress[0]: \"Allow\" must be a mapping", "a rule that is not a mapping");
	check_refuses(GNP_HEAD "  doNotTrack: true\n",
		      "spec.doNotTrack: is not supported yet (host endpoints and service accounts are not part of calico-c)",
		      "doNotTrack");
	check_refuses(GNP_HEAD "  types: [Ingress, ingress]\n", "spec.types[1]: \"ingress\" is not Ingress or Egress",
		      "a lower-case type");
	check_refuses(GNP_HEAD "  types: [Egress, Egress]\n", "spec.types[1]: \"Egress\" is listed twice", "a type twice");
	check_refuses(GNP_HEAD "  order: first\n", "spec.order: \"first\" must be a number", "an order that is no number");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: sec.p\nspec:\n  tier: ops\n",
		      "metadata.name: \"sec.p\" has the tier prefix \"sec\" but spec.tier is \"ops\"", "a tier prefix that is not the tier");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: sec.p\nspec: {}\n",
		      "metadata.name: \"sec.p\" has the tier prefix \"sec\" but spec.tier is \"default\"", "a prefix in the default tier");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\n  namespace: x\nspec: {}\n",
		      "metadata.namespace: a GlobalNetworkPolicy is not namespaced", "a namespace on a global kind");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  namespaceSelector: all()\n",
		      "spec.namespaceSelector: unknown field", "namespaceSelector on a namespaced policy");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: Big_Tier\n",
		      "metadata.name: \"Big_Tier\" is not a valid name (lower-case letters, digits, '-' and '.', at most 253)",
		      "a name with capitals");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  labels: {a: b}\n", "metadata.name: missing",
		      "no name");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: t\nspec:\n  defaultAction: deny\n",
		      "spec.defaultAction: \"deny\" is not Deny or Pass", "a lower-case default action");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: s\n  labels:\n    -bad: x\n",
		      "metadata.labels: \"-bad\" is not a valid label key (an optional DNS prefix and '/', then 1-63 letters, "
		      "digits, '.', '_' or '-', beginning and ending with a letter or digit)",
		      "a bad label key");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: s\n  labels:\n    ok: 7\n",
		      "metadata.labels.ok: 7 must be a string (quote it in YAML)", "a number as label value");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: h\n",
		      "kind: \"HostEndpoint\" is not a resource kind calico-c knows", "an unknown kind");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n  name: h-o-w-e\n",
		      "kind: WorkloadEndpoint is read-only here: workload endpoints are made by the orchestrator plugins; "
		      "only their labels can be changed (calicoctl label workloadendpoint NAME KEY=VALUE)",
		      "a view of the 2016 keys is not decoded for writing");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: globalnetworkpolicy\nmetadata:\n  name: h\n",
		      "kind: \"globalnetworkpolicy\" is not a resource kind calico-c knows", "a kind in the wrong case");
	check_refuses("apiVersion: v1\nkind: Tier\nmetadata:\n  name: t\n",
		      "apiVersion: \"v1\" must be projectcalico.org/v3", "another apiVersion");
	check_refuses("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: t\nstatus: {}\n",
		      "status: unknown field", "an unknown top-level field");

	/* names */
	CHECK(v3_kind_lookup("gnp") && v3_kind_lookup("gnp")->kind == V3_GLOBAL_NETWORK_POLICY, "gnp is a short name");
	CHECK(v3_kind_lookup("NetworkPolicies") && v3_kind_lookup("NetworkPolicies")->kind == V3_NETWORK_POLICY,
	      "plural names, any case");
	CHECK(v3_kind_lookup("hostendpoint") == NULL, "no host endpoints");
	CHECK(v3_label_key_valid("projectcalico.org/orchestrator") && !v3_label_key_valid("a/b/c") &&
		      !v3_label_key_valid("x_"),
	      "label keys");

	/* the views' names, as Calico makes and reads them */
	static const struct {
		const char *parts[4], *name;
	} weps[] = {
		{ { "node1", "k8s", "pod", "eth0" }, "node1-k8s-pod-eth0" },
		{ { "node-1", "mesos", "task-a.1", "eth0" }, "node--1-mesos-task--a.1-eth0" },
		{ { "h", "cni", "a--b", "x-y-z" }, "h-cni-a----b-x--y--z" },
		{ { "h", "libnetwork", "libnetwork", "9f3e" }, "h-libnetwork-libnetwork-9f3e" },
	};
	for (size_t i = 0; i < sizeof(weps) / sizeof(weps[0]); i++) {
		char *name = v3_wep_name(weps[i].parts[0], weps[i].parts[1], weps[i].parts[2], weps[i].parts[3]);
		char *parts[4];
		CHECK_STR(name, weps[i].name, "workload endpoint name %zu", i);
		int rc = v3_wep_name_parse(weps[i].name, parts);
		CHECK(rc == 0 && strcmp(parts[0], weps[i].parts[0]) == 0 && strcmp(parts[1], weps[i].parts[1]) == 0 &&
			      strcmp(parts[2], weps[i].parts[2]) == 0 && strcmp(parts[3], weps[i].parts[3]) == 0,
		      "... read back into its four parts");
		for (int k = 0; rc == 0 && k < 4; k++)
			free(parts[k]);
		free(name);
	}
	char *parts[4];
	CHECK_INT(v3_wep_name_parse("a-b-c", parts), -EINVAL, "a workload endpoint name of three parts");
	CHECK_INT(v3_wep_name_parse("a-b-c-d-e", parts), -EINVAL, "... of five");
	CHECK_INT(v3_wep_name_parse("a-b--c-", parts), -EINVAL, "... with an empty part");
	CHECK(v3_wep_name_parse("a---b-c-d", parts) == 0 && strcmp(parts[0], "a-") == 0 && strcmp(parts[1], "b") == 0,
	      "three dashes: the first two are an escaped one, as Calico reads them");
	for (int k = 0; k < 4; k++)
		free(parts[k]);
	char buf[128];
	struct cidr c;
	struct ip_addr ip;
	cidr_parse("192.168.0.0/16", false, false, &c);
	v3_pool_name(&c, buf, sizeof(buf));
	CHECK_STR(buf, "192-168-0-0-16", "an IPv4 pool's name");
	cidr_parse("fd80:24e2:f998:72d6::/64", false, false, &c);
	v3_pool_name(&c, buf, sizeof(buf));
	CHECK_STR(buf, "fd80-24e2-f998-72d6---64", "an IPv6 pool's name");
	ip_parse("192.20.30.40", &ip);
	v3_bgp_peer_name(NULL, &ip, buf, sizeof(buf));
	CHECK_STR(buf, "192-20-30-40", "a global peer's name");
	ip_parse("aa:bb::50", &ip);
	v3_bgp_peer_name("node1", &ip, buf, sizeof(buf));
	CHECK_STR(buf, "node1.00aa-00bb-0000-0000-0000-0000-0000-0050", "a node's IPv6 peer's name");
	CHECK(v3_kind_lookup("wep") && v3_kind_lookup("wep")->view && v3_kind_lookup("ippool")->view &&
		      !v3_kind_lookup("tier")->view,
	      "the views are marked");
	return tap_done();
}
