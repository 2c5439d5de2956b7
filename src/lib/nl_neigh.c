/* Permanent neighbour entries and bridge fdb entries: what a VXLAN device
 * needs to reach a remote VTEP without learning (flannel style). */
#include "nl_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>

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
