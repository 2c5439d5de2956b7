/* Permanent neighbour entries and bridge fdb entries: what a VXLAN device
 * needs to reach a remote VTEP without learning (flannel style). */
#include "netlink/nl_internal.h"
#include "util/array.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int neigh_msg(struct nl *nl, uint16_t type, uint16_t nlflags, const char *what,
		     const char *ifname, int af, uint8_t ndm_flags, const struct ip_addr *ip,
		     const uint8_t *mac)
{
	char ip_text[IP_STR_MAX] = "", mac_text[18] = "";
	struct ndmsg *ndm;
	int ifindex, rc;

	if (!nl_af(ip->family))
		return nl_fail(nl, -EINVAL, "cannot %s: bad address", what);
	inet_ntop(nl_af(ip->family), ip->bytes, ip_text, sizeof(ip_text));
	if (mac)
		snprintf(mac_text, sizeof(mac_text), "%02x:%02x:%02x:%02x:%02x:%02x",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	if ((rc = nl_check_ifname(nl, what, ifname)) < 0 ||
	    (rc = nl_resolve(nl, what, ifname, &ifindex)) < 0)
		return rc;
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, type, nlflags);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = af;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	ndm->ndm_flags = ndm_flags;
	mnl_attr_put(nlh, NDA_DST, ip->family == 4 ? 4 : 16, ip->bytes);
	if (mac)
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	if ((rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot %s %s %s on %s", what, ip_text, mac_text, ifname);
	return 0;
}

int nl_neigh_add(struct nl *nl, const char *ifname, const struct ip_addr *ip, const uint8_t mac[6])
{
	return neigh_msg(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, "add neighbour", ifname,
			 nl_af(ip->family), 0, ip, mac);
}

int nl_neigh_del(struct nl *nl, const char *ifname, const struct ip_addr *ip)
{
	return neigh_msg(nl, RTM_DELNEIGH, 0, "delete neighbour", ifname, nl_af(ip->family), 0, ip,
			 NULL);
}

/* NTF_SELF: the entry goes to the VXLAN device's own table, not to a bridge
 * master; NLM_F_APPEND allows several remote VTEPs for one MAC. */
int nl_fdb_append(struct nl *nl, const char *ifname, const uint8_t mac[6], const struct ip_addr *dst)
{
	return neigh_msg(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, "append fdb entry", ifname,
			 AF_BRIDGE, NTF_SELF, dst, mac);
}

int nl_fdb_del(struct nl *nl, const char *ifname, const uint8_t mac[6], const struct ip_addr *dst)
{
	return neigh_msg(nl, RTM_DELNEIGH, 0, "delete fdb entry", ifname, AF_BRIDGE, NTF_SELF, dst,
			 mac);
}

static const struct nl_attr_want neigh_want[NDA_MAX + 1] = {
	[NDA_DST] = { NL_ATTR_ANY, 0 },
	[NDA_LLADDR] = { NL_ATTR_ANY, 0 },
};

struct neigh_filter {
	int ifindex;
	struct nl_neigh_list *list;
	size_t cap;
};

static int collect_neigh(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_filter *f = data;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1];
	struct nl_neigh n;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm) ||
	    ndm->ndm_ifindex != f->ifindex)
		return 0;
	if (nl_parse_attrs(nlh, sizeof(*ndm), neigh_want, NDA_MAX, tb) < 0)
		return 0; /* malformed: skip rather than act on a guess */
	memset(&n, 0, sizeof(n));
	n.state = ndm->ndm_state;
	n.flags = ndm->ndm_flags;
	if (tb[NDA_DST]) {
		uint16_t len = mnl_attr_get_payload_len(tb[NDA_DST]);
		if (len != 4 && len != 16)
			return 0;
		n.ip.family = len == 4 ? 4 : 6;
		memcpy(n.ip.bytes, mnl_attr_get_payload(tb[NDA_DST]), len);
	}
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(n.mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		n.has_mac = true;
	}
	if (array_reserve((void **)&f->list->items, &f->cap, f->list->n + 1, sizeof(*f->list->items)) < 0)
		return -ENOMEM;
	f->list->items[f->list->n++] = n;
	return 0;
}

/* A dump of every entry of family af, filtered here by device: a plain ndmsg
 * request dumps all devices on every kernel (a bridge fdb dump reads a longer
 * header as ifinfomsg filters). */
static int neigh_dump_once(struct nl *nl, const char *what, const char *ifname, int af, struct nl_neigh_list *out)
{
	struct neigh_filter f = { 0, out, 0 };
	struct ndmsg *ndm;
	int rc;

	out->items = NULL;
	out->n = 0;
	if ((rc = nl_check_ifname(nl, what, ifname)) < 0 || (rc = nl_resolve(nl, what, ifname, &f.ifindex)) < 0)
		return rc;
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, RTM_GETNEIGH, NLM_F_DUMP);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = af;
	if ((rc = nl_exchange(nl, nlh, collect_neigh, &f)) < 0) {
		nl_neigh_list_free(out);
		return nl_fail(nl, rc, "cannot %s of %s", what, ifname);
	}
	return 0;
}

static int neigh_dump(struct nl *nl, const char *what, const char *ifname, int af, struct nl_neigh_list *out)
{
	int rc;
	for (int tries = 1; (rc = neigh_dump_once(nl, what, ifname, af, out)) == -EAGAIN && tries < NL_DUMP_TRIES;
	     tries++)
		;
	return rc;
}

int nl_neigh_list(struct nl *nl, const char *ifname, struct nl_neigh_list *out)
{
	return neigh_dump(nl, "list neighbours", ifname, AF_UNSPEC, out);
}

int nl_fdb_list(struct nl *nl, const char *ifname, struct nl_neigh_list *out)
{
	return neigh_dump(nl, "list fdb entries", ifname, AF_BRIDGE, out);
}

void nl_neigh_list_free(struct nl_neigh_list *list)
{
	free(list->items);
	list->items = NULL;
	list->n = 0;
}
