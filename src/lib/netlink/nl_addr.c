/* Interface addresses. */
#include "netlink/nl_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

static int addr_change(struct nl *nl, uint16_t type, uint16_t nlflags, const char *what,
		       const char *ifname, const struct cidr *addr, unsigned flags)
{
	char text[CIDR_STR_MAX];
	struct ifaddrmsg *ifa;
	int af = nl_af(addr->addr.family), ifindex, rc;
	size_t alen = af == AF_INET ? 4 : 16;

	if (!af || addr->prefix < 0 || addr->prefix > (int)alen * 8)
		return nl_fail(nl, -EINVAL, "cannot %s address: bad address", what);
	/* cidr_format would print the network; an address keeps its host bits. */
	inet_ntop(af, addr->addr.bytes, text, sizeof(text));
	if ((rc = nl_check_ifname(nl, what, ifname)) < 0 ||
	    (rc = nl_resolve(nl, what, ifname, &ifindex)) < 0)
		return rc;
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, type, nlflags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = af;
	ifa->ifa_prefixlen = addr->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	if (flags & NL_ADDR_NODAD)
		ifa->ifa_flags |= IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr->addr.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr->addr.bytes);
	if ((rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot %s address %s/%d on %s", what, text, addr->prefix, ifname);
	return 0;
}

int nl_addr_add(struct nl *nl, const char *ifname, const struct cidr *addr, unsigned flags)
{
	return addr_change(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, "add", ifname, addr, flags);
}

int nl_addr_del(struct nl *nl, const char *ifname, const struct cidr *addr)
{
	return addr_change(nl, RTM_DELADDR, 0, "delete", ifname, addr, 0);
}

struct owner_ctx {
	const struct ip_addr *ip;
	int ifindex;
};

static const struct nl_attr_want addr_want4[IFA_MAX + 1] = {
	[IFA_LOCAL] = { NL_ATTR_FIXED, 4 },
	[IFA_ADDRESS] = { NL_ATTR_FIXED, 4 },
};

static const struct nl_attr_want addr_want6[IFA_MAX + 1] = {
	[IFA_LOCAL] = { NL_ATTR_FIXED, 16 },
	[IFA_ADDRESS] = { NL_ATTR_FIXED, 16 },
};

static int match_owner(const struct nlmsghdr *nlh, void *data)
{
	struct owner_ctx *c = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1];
	size_t alen = c->ip->family == 4 ? 4 : 16;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != nl_af(c->ip->family) || c->ifindex)
		return 0;
	if (nl_parse_attrs(nlh, sizeof(*ifa), c->ip->family == 4 ? addr_want4 : addr_want6, IFA_MAX, tb) < 0)
		return 0;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer on point-to-point links. */
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && memcmp(mnl_attr_get_payload(a), c->ip->bytes, alen) == 0)
		c->ifindex = (int)ifa->ifa_index;
	return 0;
}

int nl_addr_owner(struct nl *nl, const struct ip_addr *ip, struct nl_link *out)
{
	struct owner_ctx c = { ip, 0 };
	char text[IP_STR_MAX] = "?";
	struct ifaddrmsg *ifa;
	int rc;

	if (!nl_af(ip->family))
		return nl_fail(nl, -EINVAL, "cannot find the interface of an address: bad address");
	inet_ntop(nl_af(ip->family), ip->bytes, text, sizeof(text));
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = nl_af(ip->family);
	if ((rc = nl_exchange(nl, nlh, match_owner, &c)) < 0)
		return nl_fail(nl, rc, "cannot list addresses");
	if (!c.ifindex)
		return nl_fail(nl, -ENOENT, "no interface holds %s", text);
	return nl_link_get_index(nl, c.ifindex, out);
}
