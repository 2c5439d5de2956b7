/* CNI results: encoded in the shape of each version, decoded from any. */
#include "../../src/cni/common/cni_error.c"
#include "../../src/cni/common/cni_result.c"
#include "../../src/cni/common/cni_version.c"
#include "tap.h"

static void sample(struct cni_result *r, bool with_v6)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->ifaces[0].name, IFNAMSIZ, "cali0123456789a");
	snprintf(r->ifaces[0].mac, 18, "ee:ee:ee:ee:ee:ee");
	snprintf(r->ifaces[1].name, IFNAMSIZ, "eth0");
	snprintf(r->ifaces[1].mac, 18, "02:00:00:00:00:01");
	snprintf(r->ifaces[1].sandbox, PATH_MAX, "/var/run/netns/c1");
	r->ifaces[1].mtu = 1450;
	r->n_ifaces = 2;
	ip_parse("10.65.0.2", &r->ips[0].addr);
	r->ips[0].prefix = 32;
	r->ips[0].has_gw = true;
	ip_parse("169.254.1.1", &r->ips[0].gw);
	r->ips[0].iface = 1;
	r->n_ips = 1;
	r->routes[0].dst.addr.family = 4;
	r->routes[0].has_gw = true;
	ip_parse("169.254.1.1", &r->routes[0].gw);
	r->n_routes = 1;
	if (with_v6) {
		ip_parse("fd00::5", &r->ips[1].addr);
		r->ips[1].prefix = 128;
		r->ips[1].iface = 1;
		r->n_ips = 2;
		r->routes[1].dst.addr.family = 6;
		r->n_routes = 2;
	}
}

int main(void)
{
	struct cni_result r, back;
	struct cni_error e;
	char *s;
	char a[IP_STR_MAX];

	sample(&r, false);
	s = cni_result_encode(&r, "0.2.0");
	CHECK_STR(s, "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.65.0.2/32\",\"gateway\":\"169.254.1.1\",\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"}]},\"dns\":{}}",
		  "0.2.0: ip4 object (what Mesos parses)");
	free(s);
	s = cni_result_encode(&r, "0.3.1");
	CHECK_STR(s, "{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"cali0123456789a\",\"mac\":\"ee:ee:ee:ee:ee:ee\"},{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"sandbox\":\"/var/run/netns/c1\"}],"
		     "\"ips\":[{\"version\":\"4\",\"interface\":1,\"address\":\"10.65.0.2/32\",\"gateway\":\"169.254.1.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"}],\"dns\":{}}",
		  "0.3.1: interfaces, ips with version and interface index");
	free(s);
	s = cni_result_encode(&r, "1.0.0");
	CHECK(s && !strstr(s, "\"version\"") && strstr(s, "\"interface\":1") && !strstr(s, "\"mtu\""),
	      "1.0.0: no version in ips, no mtu: %s", s);
	free(s);
	s = cni_result_encode(&r, "1.1.0");
	CHECK(s && strstr(s, "\"mtu\":1450"), "1.1.0: interface mtu");
	free(s);

	sample(&r, true);
	s = cni_result_encode(&r, "0.2.0");
	CHECK(s && strstr(s, "\"ip6\":{\"ip\":\"fd00::5/128\",\"routes\":[{\"dst\":\"::/0\"}]}"), "0.2.0: ip6 object: %s", s);
	CHECK(cni_result_decode(s, &back, &e) == 0 && back.n_ips == 2 && back.n_routes == 2 &&
		      back.ips[1].addr.family == 6 && back.ips[0].iface == -1,
	      "0.2.0 shape decodes (two addresses, two routes)");
	free(s);
	s = cni_result_encode(&r, "0.4.0");
	CHECK(s && strstr(s, "{\"version\":\"6\",\"interface\":1,\"address\":\"fd00::5/128\"}"), "0.4.0: IPv6 entry");
	CHECK(cni_result_decode(s, &back, &e) == 0 && back.n_ifaces == 2 && back.n_ips == 2 && back.ips[0].iface == 1 &&
		      strcmp(back.ifaces[1].sandbox, "/var/run/netns/c1") == 0,
	      "0.4.0 shape decodes back");
	free(s);

	/* what host-local answers: the address keeps its host bits */
	CHECK(cni_result_decode("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.90.0.7/24\",\"gateway\":\"10.90.0.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{}}",
				&back, &e) == 0 && back.n_ips == 1 && back.ips[0].prefix == 24,
	      "host-local's result decodes");
	CHECK_STR(ip_format(&back.ips[0].addr, a), "10.90.0.7", "... address with host bits kept");
	CHECK(cni_result_decode("{\"ips\":[{\"address\":\"10.0.0.1\"}]}", &back, &e) < 0 && e.code == 6 &&
		      strstr(e.msg, "address"),
	      "address without prefix is code 6 naming it: %s", e.msg);
	CHECK(cni_result_decode("{\"ip4\":{\"ip\":\"fd00::1/64\"}}", &back, &e) < 0 && e.code == 6,
	      "IPv6 address in ip4 is code 6");
	CHECK(cni_result_decode("[1]", &back, &e) < 0 && e.code == 6, "not an object is code 6");
	CHECK(cni_result_decode("{\"ips\":[{\"address\":\"10.0.0.1/32\",\"interface\":3}]}", &back, &e) < 0 &&
		      e.code == 6,
	      "interface index out of range is code 6");
	CHECK(cni_result_decode("{\"ips\":[],\"routes\":[{\"dst\":\"x\"}]}", &back, &e) < 0 && strstr(e.msg, "dst"),
	      "bad route is refused naming dst");
	return tap_done();
}
