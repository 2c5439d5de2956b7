/* Links: veth pairs across namespaces, lookup, listing, MTU, state, names. */
#include "netlink/nl_internal.h"
#include "util/array.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>

static const struct nl_attr_want link_want[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { NL_ATTR_STRING, IFNAMSIZ },
	[IFLA_MTU] = { NL_ATTR_FIXED, 4 },
	[IFLA_ADDRESS] = { NL_ATTR_ANY, 0 },
	[IFLA_LINK] = { NL_ATTR_FIXED, 4 },
	[IFLA_LINK_NETNSID] = { NL_ATTR_FIXED, 4 },
};

static int parse_link(const struct nlmsghdr *nlh, struct nl_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	int rc;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return -EINVAL;
	if ((rc = nl_parse_attrs(nlh, sizeof(*ifi), link_want, IFLA_MAX, tb)) < 0)
		return rc;
	if (!tb[IFLA_IFNAME])
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	strcpy(out->name, mnl_attr_get_str(tb[IFLA_IFNAME])); /* length checked by link_want */
	if (tb[IFLA_MTU])
		out->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
		out->has_mac = true;
	}
	if (tb[IFLA_LINK])
		out->link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINK_NETNSID]) {
		out->link_netnsid = (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
		out->has_link_netnsid = true;
	}
	return 0;
}

static struct nlmsghdr *link_msg(struct nl *nl, uint16_t type, uint16_t flags, struct ifinfomsg **ifi)
{
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, type, flags);
	*ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifi));
	(*ifi)->ifi_family = AF_UNSPEC;
	return nlh;
}

/* Sets the peer up through a handle in its namespace; the message lands in nl. */
int nl_veth_peer_up(struct nl *nl, const char *peer_name, int peer_ns_fd)
{
	struct nl *peer_nl = nl;
	int rc = 0;

	if (peer_ns_fd >= 0 && (rc = nl_open(&peer_nl, peer_ns_fd, nl->err, sizeof(nl->err))) < 0)
		return rc;
	if ((rc = nl_link_set_up(peer_nl, peer_name, true)) < 0 && peer_nl != nl)
		memcpy(nl->err, peer_nl->err, sizeof(nl->err));
	if (peer_nl != nl)
		nl_close(peer_nl);
	return rc;
}

int nl_veth_create_peer_down(struct nl *nl, const char *host_name, const char *peer_name, int peer_ns_fd,
			     unsigned mtu)
{
	static const uint8_t host_mac[6] = CALICO_HOST_MAC;
	struct ifinfomsg *ifi, *peer;
	struct nlattr *linkinfo, *data, *peer_attr;
	int rc;

	if ((rc = nl_check_ifname(nl, "create veth", host_name)) < 0 ||
	    (rc = nl_check_ifname(nl, "create veth", peer_name)) < 0)
		return rc;
	struct nlmsghdr *nlh = link_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi);
	/* The host end can come up at birth: the kernel configures it after
	 * both ends are paired. The peer cannot (it is configured before the
	 * pairing, and opening an unpaired veth fails with ENOTCONN). */
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(host_mac), host_mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* VETH_INFO_PEER holds a whole ifinfomsg followed by the peer's attributes. */
	peer = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*peer));
	memset(peer, 0, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	/* Born in the workload's namespace: moving a device later costs an
	 * RCU grace period per move, which is slow under load. */
	if (peer_ns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns_fd);
	mnl_attr_nest_end(nlh, peer_attr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	if ((rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot create veth %s (peer %s)", host_name, peer_name);
	return 0;
}

int nl_veth_create(struct nl *nl, const char *host_name, const char *peer_name, int peer_ns_fd,
		   unsigned mtu)
{
	int rc = nl_veth_create_peer_down(nl, host_name, peer_name, peer_ns_fd, mtu);
	if (rc < 0)
		return rc;
	if ((rc = nl_veth_peer_up(nl, peer_name, peer_ns_fd)) < 0) {
		char msg[NL_ERR_MAX];
		memcpy(msg, nl->err, sizeof(msg));
		nl_link_del(nl, host_name); /* takes the peer with it */
		memcpy(nl->err, msg, sizeof(msg));
	}
	return rc;
}

int nl_link_del(struct nl *nl, const char *name)
{
	struct ifinfomsg *ifi;
	int rc;

	if ((rc = nl_check_ifname(nl, "delete link", name)) < 0)
		return rc;
	struct nlmsghdr *nlh = link_msg(nl, RTM_DELLINK, 0, &ifi);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if ((rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot delete link %s", name);
	return 0;
}

static int one_link(const struct nlmsghdr *nlh, void *data)
{
	return parse_link(nlh, data);
}

int nl_link_get(struct nl *nl, const char *name, struct nl_link *out)
{
	struct ifinfomsg *ifi;
	int rc;

	if ((rc = nl_check_ifname(nl, "find link", name)) < 0)
		return rc;
	struct nlmsghdr *nlh = link_msg(nl, RTM_GETLINK, 0, &ifi);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if ((rc = nl_exchange(nl, nlh, one_link, out)) < 0)
		return nl_fail(nl, rc, "cannot find link %s", name);
	return 0;
}

int nl_link_get_index(struct nl *nl, int ifindex, struct nl_link *out)
{
	struct ifinfomsg *ifi;
	int rc;

	struct nlmsghdr *nlh = link_msg(nl, RTM_GETLINK, 0, &ifi);
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if ((rc = nl_exchange(nl, nlh, one_link, out)) < 0)
		return nl_fail(nl, rc, "cannot find link #%d", ifindex);
	return 0;
}

int nl_link_index(struct nl *nl, const char *name, int *ifindex)
{
	struct nl_link link;
	int rc = nl_link_get(nl, name, &link);
	if (rc == 0)
		*ifindex = link.ifindex;
	return rc;
}

struct list_ctx {
	const char *prefix;
	size_t prefix_len;
	struct nl_link_list *list;
	size_t cap;
};

static int collect_link(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *c = data;
	struct nl_link link;

	if (parse_link(nlh, &link) < 0)
		return 0; /* a link we cannot read is not one of ours */
	if (strncmp(link.name, c->prefix, c->prefix_len) != 0)
		return 0;
	if (array_reserve((void **)&c->list->items, &c->cap, c->list->n + 1, sizeof(*c->list->items)) < 0)
		return -ENOMEM;
	c->list->items[c->list->n++] = link;
	return 0;
}

static int link_list_once(struct nl *nl, const char *prefix, struct nl_link_list *out)
{
	struct list_ctx c = { prefix, strlen(prefix), out, 0 };
	struct ifinfomsg *ifi;
	int rc;

	out->items = NULL;
	out->n = 0;
	struct nlmsghdr *nlh = link_msg(nl, RTM_GETLINK, NLM_F_DUMP, &ifi);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if ((rc = nl_exchange(nl, nlh, collect_link, &c)) < 0) {
		nl_link_list_free(out);
		return nl_fail(nl, rc, "cannot list links");
	}
	return 0;
}

int nl_link_list_prefix(struct nl *nl, const char *prefix, struct nl_link_list *out)
{
	int rc;
	for (int tries = 1; (rc = link_list_once(nl, prefix, out)) == -EAGAIN && tries < NL_DUMP_TRIES; tries++)
		;
	return rc;
}

void nl_link_list_free(struct nl_link_list *list)
{
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

/* RTM_NEWLINK on an existing link, found by name. */
static int link_change(struct nl *nl, const char *what, const char *name, unsigned flags,
		       unsigned change, unsigned mtu, const char *new_name)
{
	struct ifinfomsg *ifi;
	int ifindex, rc;

	if ((rc = nl_check_ifname(nl, what, name)) < 0)
		return rc;
	if (new_name && (rc = nl_check_ifname(nl, what, new_name)) < 0)
		return rc;
	if ((rc = nl_resolve(nl, what, name, &ifindex)) < 0)
		return rc;
	struct nlmsghdr *nlh = link_msg(nl, RTM_NEWLINK, 0, &ifi);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (new_name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, new_name);
	if ((rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot %s %s", what, name);
	return 0;
}

int nl_link_set_mtu(struct nl *nl, const char *name, unsigned mtu)
{
	if (mtu == 0)
		return nl_fail(nl, -EINVAL, "cannot set MTU of %s", name);
	return link_change(nl, "set MTU of", name, 0, 0, mtu, NULL);
}

int nl_link_set_up(struct nl *nl, const char *name, bool up)
{
	return link_change(nl, up ? "set up" : "set down", name, up ? IFF_UP : 0, IFF_UP, 0, NULL);
}

int nl_link_rename(struct nl *nl, const char *name, const char *new_name)
{
	return link_change(nl, "rename", name, 0, 0, 0, new_name);
}
