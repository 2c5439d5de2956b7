/* Unit tests for the parts of the netlink layer that need no kernel state:
 * attribute validation, route builders and formatting, name checks, the
 * cali interface name. Nothing here sends a request that changes anything. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "netlink/nl_internal.h"
#include "tap.h"
#include "workload/workload_net.h"

static struct ip_addr ip4(const char *text)
{
	struct ip_addr a = { .family = 4 };
	inet_pton(AF_INET, text, a.bytes);
	return a;
}

static struct ip_addr ip6(const char *text)
{
	struct ip_addr a = { .family = 6 };
	inet_pton(AF_INET6, text, a.bytes);
	return a;
}

static const struct nl_attr_want want[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { NL_ATTR_STRING, IFNAMSIZ },
	[IFLA_MTU] = { NL_ATTR_FIXED, 4 },
	[IFLA_ADDRESS] = { NL_ATTR_ANY, 0 },
};

static struct nlmsghdr *link_reply(char *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	return nlh;
}

static void test_attrs(void)
{
	char buf[512];
	const struct nlattr *tb[IFLA_MAX + 1];
	struct nlmsghdr *nlh;

	nlh = link_reply(buf);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "cali1");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 7); /* not wanted: ignored */
	CHECK_INT(nl_parse_attrs(nlh, sizeof(struct ifinfomsg), want, IFLA_MAX, tb), 0, "attrs: good message parses");
	CHECK(tb[IFLA_IFNAME] && !strcmp(mnl_attr_get_str(tb[IFLA_IFNAME]), "cali1"), "attrs: name found");
	CHECK(tb[IFLA_MTU] && mnl_attr_get_u32(tb[IFLA_MTU]) == 1500, "attrs: mtu found");
	CHECK(!tb[IFLA_TXQLEN], "attrs: unwanted attribute left out");

	nlh = link_reply(buf);
	mnl_attr_put(nlh, IFLA_IFNAME, 5, "cali1"); /* no NUL */
	CHECK_INT(nl_parse_attrs(nlh, sizeof(struct ifinfomsg), want, IFLA_MAX, tb), -EINVAL,
		  "attrs: unterminated string rejected");

	nlh = link_reply(buf);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "a-name-much-too-long-for-an-interface");
	CHECK_INT(nl_parse_attrs(nlh, sizeof(struct ifinfomsg), want, IFLA_MAX, tb), -EINVAL,
		  "attrs: string longer than allowed rejected");

	nlh = link_reply(buf);
	mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
	CHECK_INT(nl_parse_attrs(nlh, sizeof(struct ifinfomsg), want, IFLA_MAX, tb), -EINVAL,
		  "attrs: fixed-size attribute of the wrong size rejected");

	nlh = link_reply(buf);
	mnl_attr_put_u32(nlh, IFLA_MAX + 5, 1); /* newer kernel's attribute */
	CHECK_INT(nl_parse_attrs(nlh, sizeof(struct ifinfomsg), want, IFLA_MAX, tb), 0,
		  "attrs: attribute beyond max ignored");

	nlh = mnl_nlmsg_put_header(buf);
	CHECK_INT(nl_parse_attrs(nlh, sizeof(struct ifinfomsg), want, IFLA_MAX, tb), -EINVAL,
		  "attrs: message shorter than its header rejected");
}

static void test_routes(void)
{
	struct nl_route r;
	char line[160];
	struct ip_addr a = ip4("10.65.1.2"), gw = ip4("10.65.2.0"), a6 = ip6("fd00::2");
	struct cidr block = { ip4("10.65.2.0"), 26 };

	nl_route_workload(&r, &a, "cali0123456789a");
	CHECK_STR(nl_route_format(&r, line, sizeof(line)), "10.65.1.2/32 dev cali0123456789a scope link proto 80",
		  "route: workload /32");
	nl_route_workload(&r, &a6, "cali1");
	CHECK_STR(nl_route_format(&r, line, sizeof(line)), "fd00::2/128 dev cali1 scope link proto 80",
		  "route: workload /128");
	nl_route_blackhole(&r, &block);
	CHECK_STR(nl_route_format(&r, line, sizeof(line)), "blackhole 10.65.2.0/26 proto 80", "route: blackhole");
	nl_route_via_onlink(&r, &block, &gw, "vxlan0");
	CHECK_STR(nl_route_format(&r, line, sizeof(line)), "10.65.2.0/26 via 10.65.2.0 dev vxlan0 onlink proto 80",
		  "route: via onlink");
	memset(&r, 0, sizeof(r));
	r.dst.addr.family = 4;
	r.has_gw = true;
	r.gw = ip4("169.254.1.1");
	r.ifindex = 7;
	r.table = 100;
	CHECK_STR(nl_route_format(&r, line, sizeof(line)), "default via 169.254.1.1 dev #7 table 100",
		  "route: default, by ifindex, other table");
	CHECK_STR(nl_route_format(&r, line, 10), "default v", "route: format truncates safely");
}

static void test_names(void)
{
	char name[IFNAMSIZ];
	struct nl *nl;
	char err[NL_ERR_MAX];

	CHECK_INT(workload_host_ifname("0123456789abcdef", name), 0, "ifname: long id");
	CHECK_STR(name, "cali0123456789a", "ifname: cali + 11 characters");
	CHECK_INT(workload_host_ifname("", name), -EINVAL, "ifname: empty id refused");
	CHECK_INT(workload_host_ifname("a b", name), -EINVAL, "ifname: space refused");
	CHECK_INT(workload_host_ifname("a.b", name), -EINVAL, "ifname: dot refused");

	if (nl_open(&nl, -1, err, sizeof(err)) < 0) {
		CHECK(0, "nl_open: %s", err);
		return;
	}
	/* Refused before anything is sent. */
	CHECK_INT(nl_veth_create(nl, "cali0123456789abc", "eth0", -1, 0), -EINVAL, "veth: host name too long");
	CHECK_STR(nl_strerror(nl), "cannot create veth: bad interface name \"cali0123456789abc\": Invalid argument",
		  "veth: message names the bad name");
	CHECK_INT(nl_link_del(nl, "a/b"), -EINVAL, "link del: '/' refused");
	CHECK_INT(nl_link_set_mtu(nl, "lo", 0), -EINVAL, "mtu 0 refused");
	CHECK_INT(nl_route_workload_defaults(nl, "eth0", 5), -EINVAL, "defaults: bad family");
	nl_close(nl);
}

int main(void)
{
	test_attrs();
	test_routes();
	test_names();
	return tap_done();
}
