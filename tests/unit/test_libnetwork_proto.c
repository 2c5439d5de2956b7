/* calico-libnetwork's pure part: Docker's calls by path, request decoding
 * (bodies as dockerd 20.10 sends them, LAB-NOTES §6.3, and the bad ones),
 * the answers' exact JSON, and the driver's own records. The source is
 * compiled in here (the driver is a program, not a library). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/libnetwork/proto.c"
#include "workload/endpoint_labels.h"
#include "tap.h"

#define NID "6d4f6e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f"
#define EID "67c4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e"

static json_t *body(const char *text)
{
	char err[256];
	return lnw_body_parse(text, strlen(text), err, sizeof(err));
}

/* The compact JSON of an answer (freed here), "NULL" when none. */
static const char *dump(json_t *v)
{
	static char buf[1024];
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	snprintf(buf, sizeof(buf), "%s", s ? s : "NULL");
	free(s);
	json_decref(v);
	return buf;
}

typedef int (*parse_fn)(const json_t *, void *, char *, size_t);

/* The body of the last parse: the request's strings point into it. */
static json_t *last_body;

/* The parse's message, or "OK". */
static const char *msg_of(parse_fn fn, void *out, const char *text)
{
	static char err[512];
	int rc;
	json_decref(last_body);
	if (!(last_body = body(text)))
		return "not an object";
	err[0] = '\0';
	rc = fn(last_body, out, err, sizeof(err));
	return rc == 0 ? "OK" : err;
}

static void test_calls(void)
{
	CHECK_INT(lnw_call_of("/Plugin.Activate"), LNW_ACTIVATE, "Activate by path");
	CHECK_INT(lnw_call_of("/NetworkDriver.Join"), LNW_JOIN, "Join by path");
	CHECK_INT(lnw_call_of("/IpamDriver.RequestAddress"), LNW_IPAM_REQ_ADDR, "RequestAddress by path");
	CHECK_INT(lnw_call_of("/NetworkDriver.join"), LNW_UNKNOWN, "paths are case sensitive");
	CHECK_INT(lnw_call_of("/NetworkDriver.Join/x"), LNW_UNKNOWN, "no suffix");
	CHECK_INT(lnw_call_of("/"), LNW_UNKNOWN, "root is unknown");
	CHECK_STR(lnw_call_name(LNW_EP_INFO), "NetworkDriver.EndpointOperInfo", "call names for the log");
}

static void test_body(void)
{
	char err[256];
	json_t *v = lnw_body_parse("", 0, err, sizeof(err));
	CHECK(json_is_object(v) && json_object_size(v) == 0, "an empty body is {} (Activate, GetCapabilities)");
	json_decref(v);
	v = lnw_body_parse(" \n", 2, err, sizeof(err));
	CHECK(json_is_object(v), "whitespace only is {}");
	json_decref(v);
	CHECK(lnw_body_parse("[1]", 3, err, sizeof(err)) == NULL, "an array is refused");
	CHECK_STR(err, "request body must be a JSON object, not an array", "... saying so");
	CHECK(lnw_body_parse("{\"a\":1,\"a\":2}", 13, err, sizeof(err)) == NULL, "duplicate keys are refused");
	CHECK(lnw_body_parse("{\"a\":", 5, err, sizeof(err)) == NULL, "truncated JSON is refused");
	CHECK(strncmp(err, "request body is not JSON: ", 26) == 0, "... saying so: %s", err);
	CHECK(lnw_id_is_valid(NID), "a Docker id is valid");
	CHECK(!lnw_id_is_valid(""), "an empty id is not");
	CHECK(!lnw_id_is_valid("../etc"), "a path is not");
	CHECK(!lnw_id_is_valid(NID "0"), "65 characters are too many");
}

static void test_pool(void)
{
	struct lnw_pool_req r;
	parse_fn f = (parse_fn)lnw_pool_req_parse;
	CHECK_STR(msg_of(f, &r, "{\"AddressSpace\":\"CalicoLocalAddressSpace\",\"Pool\":\"\",\"SubPool\":\"\","
				"\"Options\":{},\"V6\":false}"),
		  "OK", "RequestPool as dockerd sends it");
	CHECK(!r.v6 && !r.pool[0] && !r.sub_pool[0] && !r.has_options, "... no pool, v4, no options");
	CHECK_STR(msg_of(f, &r, "{\"Pool\":\"10.65.0.0/16\",\"V6\":true,\"Options\":{\"a\":\"b\"}}"), "OK",
		  "with a pool, v6 and options");
	CHECK(r.v6 && strcmp(r.pool, "10.65.0.0/16") == 0 && r.has_options, "... all seen");
	CHECK_STR(msg_of(f, &r, "{\"V6\":\"yes\"}"), "\"V6\" must be a boolean, not a string", "V6 must be a boolean");
	CHECK_STR(msg_of(f, &r, "{\"Pool\":7}"), "\"Pool\" must be a string, not an integer", "Pool must be a string");
	CHECK_STR(dump(lnw_pool_reply(false, NULL)),
		  "{\"PoolID\":\"CalicoPoolIPv4\",\"Pool\":\"0.0.0.0/0\",\"Data\":{\"com.docker.network.gateway\":"
		  "\"0.0.0.0/0\"}}",
		  "the v4 marker pool with the gateway marker");
	CHECK_STR(dump(lnw_pool_reply(true, NULL)),
		  "{\"PoolID\":\"CalicoPoolIPv6\",\"Pool\":\"::/0\",\"Data\":{\"com.docker.network.gateway\":\"::/0\"}}",
		  "the v6 marker pool");
	CHECK_STR(dump(lnw_pool_reply(false, "10.65.0.0/16")),
		  "{\"PoolID\":\"10.65.0.0/16\",\"Pool\":\"10.65.0.0/16\",\"Data\":{\"com.docker.network.gateway\":"
		  "\"0.0.0.0/0\"}}",
		  "a Calico pool given as --subnet is its own id");
}

static void test_address(void)
{
	struct lnw_addr_req r;
	struct lnw_release_req rel;
	char text[IP_STR_MAX];
	parse_fn f = (parse_fn)lnw_addr_req_parse, g = (parse_fn)lnw_release_req_parse;

	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"CalicoPoolIPv4\",\"Address\":\"\",\"Options\":null}"), "OK",
		  "RequestAddress as dockerd sends it");
	CHECK(!r.has_address && !r.gateway && strcmp(r.pool_id, LNW_POOL_ID_V4) == 0, "... auto-assign from v4");
	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"CalicoPoolIPv4\",\"Address\":\"\",\"Options\":"
				"{\"RequestAddressType\":\"com.docker.network.gateway\"}}"),
		  "OK", "a gateway request");
	CHECK(r.gateway, "... is seen as one");
	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"10.65.0.0/16\",\"Address\":\"10.65.77.7\"}"), "OK", "a static address");
	CHECK(r.has_address && strcmp(ip_format(&r.address, text), "10.65.77.7") == 0, "... parsed");
	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"x\",\"Address\":\"10.65.77.7/32\"}"), "OK", "a /32 is an address too");
	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"x\",\"Address\":\"10.65.77.0/24\"}"),
		  "\"Address\" '10.65.77.0/24' is not an IP address", "a subnet is not an address");
	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"x\",\"Address\":\"10.65.77.777\"}"),
		  "\"Address\" '10.65.77.777' is not an IP address", "a bad address is named");
	CHECK_STR(msg_of(f, &r, "{\"Address\":\"\"}"), "missing \"PoolID\"", "PoolID is required");
	CHECK_STR(msg_of(f, &r, "{\"PoolID\":\"x\",\"Options\":[]}"), "\"Options\" must be an object, not an array",
		  "Options must be an object");

	CHECK_STR(msg_of(g, &rel, "{\"PoolID\":\"CalicoPoolIPv4\",\"Address\":\"10.65.3.5\"}"), "OK",
		  "ReleaseAddress as dockerd sends it");
	CHECK(!rel.marker && strcmp(ip_format(&rel.address, text), "10.65.3.5") == 0, "... the address");
	CHECK_STR(msg_of(g, &rel, "{\"PoolID\":\"CalicoPoolIPv4\",\"Address\":\"0.0.0.0\"}"), "OK",
		  "the gateway's release");
	CHECK(rel.marker, "... is the marker: nothing to release");
	CHECK(strcmp(msg_of(g, &rel, "{\"Address\":\"::\"}"), "OK") == 0 && rel.marker, ":: is the v6 marker");
	CHECK(strcmp(msg_of(g, &rel, "{\"Address\":\"0.0.0.0/0\"}"), "OK") == 0 && rel.marker,
	      "0.0.0.0/0 is the marker too");
	CHECK_STR(msg_of(g, &rel, "{\"PoolID\":\"x\"}"), "missing \"Address\"", "Address is required");

	struct ip_addr ip4, ip6;
	ip_parse("10.65.3.5", &ip4);
	ip_parse("fd00::5", &ip6);
	CHECK_STR(dump(lnw_addr_reply(&ip4)), "{\"Address\":\"10.65.3.5/32\",\"Data\":{}}", "an address as a /32");
	CHECK_STR(dump(lnw_addr_reply(&ip6)), "{\"Address\":\"fd00::5/128\",\"Data\":{}}", "an IPv6 address as a /128");
	CHECK_STR(dump(lnw_gateway_reply(false)), "{\"Address\":\"0.0.0.0/0\",\"Data\":{}}", "the gateway marker");
}

static void test_network(void)
{
	struct lnw_net_req r;
	parse_fn f = (parse_fn)lnw_net_create_parse;
	const char *ok_body = "{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.enable_ipv6\":false,"
			      "\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":"
			      "\"CalicoLocalAddressSpace\",\"Gateway\":\"0.0.0.0/0\",\"Pool\":\"0.0.0.0/0\"}],"
			      "\"IPv6Data\":[]}";
	CHECK_STR(msg_of(f, &r, ok_body), "OK", "CreateNetwork as dockerd sends it");
	CHECK_STR(r.network_id, NID, "... the network id");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"IPv4Data\":[{\"Gateway\":\"172.18.0.1/16\"}]}"),
		  "Non-Calico IPAM driver is used (gateway '172.18.0.1/16'): create the network with --ipam-driver "
		  "calico",
		  "Docker's own IPAM is refused");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"IPv6Data\":[{\"Gateway\":\"fd00::1/64\"}]}"),
		  "Non-Calico IPAM driver is used (gateway 'fd00::1/64'): create the network with --ipam-driver calico",
		  "... for IPv6 too");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.generic\":{\"foo\":"
				"\"bar\"}}}"),
		  "Calico driver does not support the flag foo.", "a driver option is refused by name");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.generic\":{\"a\":"
				"\"1\",\"b\":\"2\"}}}"),
		  "Calico driver does not support the flags a, b.", "several, all named");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.internal\":true}}"),
		  "Calico driver does not support the flag --internal.", "--internal is refused");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.internal\":false}}"),
		  "OK", "a flag that is off is fine");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"Options\":{\"x\":3}}"),
		  "Calico driver does not support the option x (3).", "an unknown option of another type");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"n/1\"}"), "\"NetworkID\" 'n/1' is not a Docker id (1-64 letters and digits)",
		  "an id that could escape a key is refused");
	CHECK_STR(msg_of(f, &r, "{}"), "missing \"NetworkID\"", "NetworkID is required");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"IPv4Data\":{}}"),
		  "\"IPv4Data\" must be an array, not an object", "IPv4Data must be an array");
}

static void test_endpoint(void)
{
	struct lnw_ep_create_req r;
	struct lnw_ep_req e;
	char text[IP_STR_MAX];
	parse_fn f = (parse_fn)lnw_ep_create_parse, g = (parse_fn)lnw_ep_req_parse;

	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{\"Address\":"
				"\"10.65.3.5/32\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":{}}"),
		  "OK", "CreateEndpoint as dockerd sends it");
	CHECK(r.has_v4 && !r.has_v6 && strcmp(ip_format(&r.v4, text), "10.65.3.5") == 0, "... the address");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{\"Address\":"
				"\"10.65.3.5/16\",\"AddressIPv6\":\"fd00::5/64\"}}"),
		  "OK", "any prefix: Calico uses the host route");
	CHECK(r.has_v4 && r.has_v6 && strcmp(ip_format(&r.v6, text), "fd00::5") == 0, "... both families");
	CHECK_STR(ip_format(&r.v4, text), "10.65.3.5", "... the address, not its network (Docker's --subnet prefix)");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{\"Address\":"
				"\"10.65.3.6\"}}"),
		  "OK", "a bare address");
	CHECK_STR(ip_format(&r.v4, text), "10.65.3.6", "... taken as is");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{\"Address\":"
				"\"10.65.3.5/32\",\"MacAddress\":\"02:42:ac:11:00:02\"}}"),
		  "Calico does not support a user-given MAC address (02:42:ac:11:00:02)", "a MAC is refused");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{}}"),
		  "No address assigned for endpoint", "no address is refused");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\"}"),
		  "missing \"Interface\": Calico IPAM gives every endpoint an address", "no Interface is refused");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{\"Address\":"
				"\"fd00::5/64\"}}"),
		  "\"Interface.Address\" 'fd00::5/64' is not an IPv4 address", "a family mix-up is named");
	CHECK_STR(msg_of(f, &r, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Interface\":{\"Address\":"
				"\"banana\"}}"),
		  "\"Interface.Address\" 'banana' is not an IP address", "a bad address is named");
	CHECK_STR(msg_of(g, &e, "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"SandboxKey\":\"/x\","
				"\"Options\":{}}"),
		  "OK", "Join as dockerd sends it");
	CHECK_STR(e.endpoint_id, EID, "... the endpoint id");
	CHECK_STR(msg_of(g, &e, "{\"NetworkID\":\"" NID "\"}"), "missing \"EndpointID\"", "EndpointID is required");

	char ifname[16], short_id[13];
	lnw_container_ifname(EID, ifname);
	CHECK_STR(ifname, "tmp67c4a1b2c3d", "the container side is tmp + 11 characters of the id");
	lnw_short_id(NID, short_id);
	CHECK_STR(short_id, "6d4f6e1d2c3b", "Docker's short id is 12 characters");
}

static void test_answers(void)
{
	CHECK_STR(dump(lnw_activate_reply()), "{\"Implements\":[\"NetworkDriver\",\"IpamDriver\"]}", "Activate");
	CHECK_STR(dump(lnw_net_caps_reply("local")), "{\"Scope\":\"local\"}", "GetCapabilities, local");
	CHECK_STR(dump(lnw_net_caps_reply("global")), "{\"Scope\":\"global\"}", "GetCapabilities, global");
	CHECK_STR(dump(lnw_ipam_caps_reply()), "{\"RequiresMACAddress\":false}", "IPAM GetCapabilities");
	CHECK_STR(dump(lnw_spaces_reply()),
		  "{\"LocalDefaultAddressSpace\":\"CalicoLocalAddressSpace\",\"GlobalDefaultAddressSpace\":"
		  "\"CalicoGlobalAddressSpace\"}",
		  "GetDefaultAddressSpaces");
	CHECK_STR(dump(lnw_oper_info_reply()), "{\"Value\":{}}", "EndpointOperInfo");
	CHECK_STR(dump(lnw_err_reply("IP '10.65.0.2' already in use.")), "{\"Err\":\"IP '10.65.0.2' already in use.\"}",
		  "an error");
	CHECK_STR(dump(lnw_err_reply("")), "{\"Err\":\"unknown error\"}", "an error is never empty (Docker would take it as success)");
	CHECK_STR(dump(lnw_join_reply("tmp67c4a1b2c3d", true, NULL)),
		  "{\"InterfaceName\":{\"SrcName\":\"tmp67c4a1b2c3d\",\"DstPrefix\":\"cali\"},\"Gateway\":\"\","
		  "\"StaticRoutes\":[{\"Destination\":\"169.254.1.1/32\",\"RouteType\":1,\"NextHop\":\"\"},"
		  "{\"Destination\":\"0.0.0.0/0\",\"RouteType\":0,\"NextHop\":\"169.254.1.1\"}]}",
		  "Join, IPv4: Docker names the interface cali0; connected route to 169.254.1.1 and the default via it");
	CHECK_STR(dump(lnw_join_reply("tmp1", true, "fe80::ecee:eeff:feee:eeee")),
		  "{\"InterfaceName\":{\"SrcName\":\"tmp1\",\"DstPrefix\":\"cali\"},\"Gateway\":\"\","
		  "\"StaticRoutes\":[{\"Destination\":\"169.254.1.1/32\",\"RouteType\":1,\"NextHop\":\"\"},"
		  "{\"Destination\":\"0.0.0.0/0\",\"RouteType\":0,\"NextHop\":\"169.254.1.1\"},"
		  "{\"Destination\":\"fe80::ecee:eeff:feee:eeee/128\",\"RouteType\":1,\"NextHop\":\"\"},"
		  "{\"Destination\":\"::/0\",\"RouteType\":0,\"NextHop\":\"fe80::ecee:eeff:feee:eeee\"}]}",
		  "Join, dual stack: the IPv6 equivalents via the host side's link-local address");
}

static void test_records(void)
{
	char profile[64], err[256];
	char *json = lnw_network_encode("databases");
	CHECK_STR(json, "{\"name\":\"databases\"}", "network record");
	CHECK(lnw_network_decode(json, profile, sizeof(profile), err, sizeof(err)) == 0 &&
		      strcmp(profile, "databases") == 0,
	      "... decodes");
	free(json);
	CHECK(lnw_network_decode("{\"name\":\"a b\"}", profile, sizeof(profile), err, sizeof(err)) == -EINVAL,
	      "a bad profile name is refused");
	CHECK(lnw_network_decode("{\"name\":\"a\",\"x\":1}", profile, sizeof(profile), err, sizeof(err)) == -EINVAL,
	      "an unknown key is refused");

	struct lnw_endpoint_state s = { .network_id = NID, .profile = "databases", .has_v4 = true }, t;
	ip_parse("10.65.3.5", &s.v4);
	json = lnw_endpoint_encode(&s);
	CHECK_STR(json, "{\"network\":\"" NID "\",\"profile\":\"databases\",\"ipv4\":\"10.65.3.5\",\"ipv6\":\"\"}",
		  "endpoint record");
	CHECK(lnw_endpoint_decode(json, &t, err, sizeof(err)) == 0 && t.has_v4 && !t.has_v6 &&
		      ip_cmp(&t.v4, &s.v4) == 0 && strcmp(t.profile, "databases") == 0 &&
		      strcmp(t.network_id, NID) == 0,
	      "... round trip");
	free(json);
	CHECK(lnw_endpoint_decode("{\"network\":\"" NID "\",\"profile\":\"p\",\"ipv4\":\"fd00::1\",\"ipv6\":\"\"}", &t,
				  err, sizeof(err)) == -EINVAL,
	      "an IPv6 address as ipv4 is refused");
	CHECK(lnw_endpoint_decode("{\"network\":\"" NID "\",\"profile\":\"p\",\"ipv4\":\"\",\"ipv6\":\"\"}", &t, err,
				  sizeof(err)) == -EINVAL,
	      "a record without an address is refused");
}

/* GET /containers/json as dockerd answers it (trimmed): the container whose
 * network entry holds the endpoint, and only its org.projectcalico.label.*
 * labels, the invalid ones skipped. */
static void test_container_labels(void)
{
	json_t *list = json_loads(
		"[{\"Id\":\"aaaaaaaaaaaa1111\",\"Labels\":{\"org.projectcalico.label.role\":\"web\"},"
		"\"NetworkSettings\":{\"Networks\":{\"apps\":{\"EndpointID\":\"other\"}}}},"
		"{\"Id\":\"bbbbbbbbbbbb2222\",\"Labels\":{\"org.projectcalico.label.role\":\"db\","
		"\"org.projectcalico.label.note\":\"free text\",\"com.example.owner\":\"ops\","
		"\"org.projectcalico.label.app.example.com/tier\":\"back\"},"
		"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"EndpointID\":\"\"},\"databases\":{\"EndpointID\":\"" EID "\"}}}},"
		"{\"Id\":\"cccccccccccc\",\"Labels\":null,\"NetworkSettings\":null}]",
		0, NULL);
	struct endpoint_labels l = { 0 };
	char short_id[13];
	CHECK_INT(lnw_container_labels(list, EID, short_id, &l), 0, "the container holding the endpoint is found");
	CHECK_STR(short_id, "bbbbbbbbbbbb", "... its short id");
	CHECK_INT(l.n, 2, "... two labels: the prefixed valid ones");
	CHECK_STR(endpoint_labels_get(&l, "role"), "db", "... role=db, its own (not the other container's)");
	CHECK_STR(endpoint_labels_get(&l, "app.example.com/tier"), "back", "... a prefixed key keeps its prefix");
	CHECK(endpoint_labels_get(&l, "note") == NULL, "... 'free text' skipped");
	endpoint_labels_free(&l);
	CHECK_INT(lnw_container_labels(list, "nope", short_id, &l), -ENOENT, "no container holds the endpoint: -ENOENT");
	CHECK_INT(l.n, 0, "... no labels");
	json_t *empty = json_array();
	CHECK_INT(lnw_container_labels(empty, EID, short_id, &l), -ENOENT, "an empty list: -ENOENT");
	json_decref(empty);
	json_decref(list);
}

int main(void)
{
	test_calls();
	test_body();
	test_pool();
	test_address();
	test_network();
	test_endpoint();
	test_answers();
	test_records();
	test_container_labels();
	json_decref(last_body);
	return tap_done();
}
