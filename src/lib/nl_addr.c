/* Interface addresses. */
#include "nl_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

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
