/* VXLAN devices: creating one and reading back what it was made with, so that
 * a syncer can tell whether an existing device still matches its spec. */
#include "netlink/nl_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

int nl_vxlan_create(struct nl *nl, const struct nl_vxlan *spec)
{
	struct ifinfomsg *ifi;
	struct nlattr *linkinfo, *data;
	int rc;

	if ((rc = nl_check_ifname(nl, "create vxlan device", spec->name)) < 0)
		return rc;
	if (spec->local.family != 4 || spec->vni == 0 || spec->vni > 0xffffff || spec->port == 0)
		return nl_fail(nl, -EINVAL, "cannot create vxlan device %s: bad spec", spec->name);
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, spec->name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, spec->mac);
	if (spec->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, spec->mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, spec->vni);
	mnl_attr_put(nlh, IFLA_VXLAN_LOCAL, 4, spec->local.bytes);
	if (spec->link > 0)
		mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, (uint32_t)spec->link);
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(spec->port)); /* network order, as the kernel wants */
	mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, spec->learning ? 1 : 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	if ((rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot create vxlan device %s", spec->name);
	return 0;
}

static const struct nl_attr_want link_want[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { NL_ATTR_STRING, IFNAMSIZ },
	[IFLA_MTU] = { NL_ATTR_FIXED, 4 },
	[IFLA_ADDRESS] = { NL_ATTR_ANY, 0 },
	[IFLA_LINKINFO] = { NL_ATTR_ANY, 0 },
};

static const struct nl_attr_want info_want[IFLA_INFO_MAX + 1] = {
	[IFLA_INFO_KIND] = { NL_ATTR_STRING, 32 },
	[IFLA_INFO_DATA] = { NL_ATTR_ANY, 0 },
};

static const struct nl_attr_want vxlan_want[IFLA_VXLAN_MAX + 1] = {
	[IFLA_VXLAN_ID] = { NL_ATTR_FIXED, 4 },
	[IFLA_VXLAN_LOCAL] = { NL_ATTR_FIXED, 4 },
	[IFLA_VXLAN_LINK] = { NL_ATTR_FIXED, 4 },
	[IFLA_VXLAN_PORT] = { NL_ATTR_FIXED, 2 },
	[IFLA_VXLAN_LEARNING] = { NL_ATTR_FIXED, 1 },
};

/* Nested attributes with the same shape checks as nl_parse_attrs. */
static int parse_nested(const struct nlattr *nest, const struct nl_attr_want *want, unsigned max,
			const struct nlattr **tb)
{
	const struct nlattr *attr;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(attr, nest) {
		unsigned type = mnl_attr_get_type(attr);
		if (type > max || want[type].kind == NL_ATTR_IGNORE)
			continue;
		uint16_t len = mnl_attr_get_payload_len(attr);
		const char *p = mnl_attr_get_payload(attr);
		if (want[type].kind == NL_ATTR_FIXED && len != want[type].size)
			return -EINVAL;
		if (want[type].kind == NL_ATTR_STRING && (len == 0 || len > want[type].size || p[len - 1]))
			return -EINVAL;
		tb[type] = attr;
	}
	return 0;
}

struct vxlan_ctx {
	struct nl_vxlan *out;
	bool is_vxlan;
};

static int one_vxlan(const struct nlmsghdr *nlh, void *data)
{
	struct vxlan_ctx *c = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *vx[IFLA_VXLAN_MAX + 1];
	struct nl_vxlan *o = c->out;
	int rc;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return -EINVAL;
	if ((rc = nl_parse_attrs(nlh, sizeof(*ifi), link_want, IFLA_MAX, tb)) < 0)
		return rc;
	if (!tb[IFLA_IFNAME] || !tb[IFLA_LINKINFO])
		return 0;
	if ((rc = parse_nested(tb[IFLA_LINKINFO], info_want, IFLA_INFO_MAX, info)) < 0)
		return rc;
	if (!info[IFLA_INFO_KIND] || strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "vxlan") != 0 ||
	    !info[IFLA_INFO_DATA])
		return 0;
	if ((rc = parse_nested(info[IFLA_INFO_DATA], vxlan_want, IFLA_VXLAN_MAX, vx)) < 0)
		return rc;
	memset(o, 0, sizeof(*o));
	c->is_vxlan = true;
	strcpy(o->name, mnl_attr_get_str(tb[IFLA_IFNAME])); /* length checked by link_want */
	o->ifindex = ifi->ifi_index;
	o->up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_MTU])
		o->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(o->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	if (vx[IFLA_VXLAN_ID])
		o->vni = mnl_attr_get_u32(vx[IFLA_VXLAN_ID]);
	if (vx[IFLA_VXLAN_LOCAL]) {
		o->local.family = 4;
		memcpy(o->local.bytes, mnl_attr_get_payload(vx[IFLA_VXLAN_LOCAL]), 4);
	}
	if (vx[IFLA_VXLAN_LINK])
		o->link = (int)mnl_attr_get_u32(vx[IFLA_VXLAN_LINK]);
	if (vx[IFLA_VXLAN_PORT])
		o->port = ntohs(mnl_attr_get_u16(vx[IFLA_VXLAN_PORT]));
	if (vx[IFLA_VXLAN_LEARNING])
		o->learning = mnl_attr_get_u8(vx[IFLA_VXLAN_LEARNING]);
	return 0;
}

int nl_vxlan_get(struct nl *nl, const char *name, struct nl_vxlan *out)
{
	struct vxlan_ctx c = { out, false };
	struct ifinfomsg *ifi;
	int rc;

	if ((rc = nl_check_ifname(nl, "read vxlan device", name)) < 0)
		return rc;
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if ((rc = nl_exchange(nl, nlh, one_vxlan, &c)) < 0)
		return nl_fail(nl, rc, "cannot read vxlan device %s", name);
	if (!c.is_vxlan)
		return nl_fail(nl, -EMEDIUMTYPE, "cannot read vxlan device %s: not a vxlan device", name);
	return 0;
}
