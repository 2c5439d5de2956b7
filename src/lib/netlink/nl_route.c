/* Routes: the host's /32s to workloads, the workload's 169.254.1.1 gateway,
 * blackholes for aggregates, onlink routes via a gateway; listing by protocol. */
#include "netlink/nl_internal.h"
#include "util/array.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t alen_of(int family)
{
	return family == 4 ? 4 : 16;
}

static uint8_t kernel_type(enum nl_route_type t)
{
	return t == NL_RT_BLACKHOLE ? RTN_BLACKHOLE : RTN_UNICAST;
}

static int route_msg(struct nl *nl, uint16_t type, uint16_t nlflags, const struct nl_route *r,
		     bool del, struct nlmsghdr **out)
{
	int af = nl_af(r->dst.addr.family), ifindex = r->ifindex, rc;
	size_t alen = alen_of(r->dst.addr.family);
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	struct rtmsg *rtm;

	if (!af || r->dst.prefix < 0 || r->dst.prefix > (int)alen * 8 ||
	    (r->has_gw && r->gw.family != r->dst.addr.family))
		return -EINVAL;
	if (r->ifname[0] && (rc = nl_link_index(nl, r->ifname, &ifindex)) < 0)
		return rc;
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, type, nlflags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = af;
	rtm->rtm_dst_len = r->dst.prefix;
	rtm->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->proto;
	rtm->rtm_type = kernel_type(r->type);
	/* On delete, NOWHERE means "any scope" to the kernel's matcher. */
	rtm->rtm_scope = del ? RT_SCOPE_NOWHERE : r->scope_link ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (r->onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	if (r->dst.prefix)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst.addr.bytes);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gw.bytes);
	if (ifindex > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	*out = nlh;
	return 0;
}

int nl_route_add(struct nl *nl, const struct nl_route *route, bool replace)
{
	char text[160];
	struct nlmsghdr *nlh;
	uint16_t flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	int rc;

	nl_route_format(route, text, sizeof(text));
	if ((rc = route_msg(nl, RTM_NEWROUTE, flags, route, false, &nlh)) < 0 ||
	    (rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot add route %s", text);
	return 0;
}

int nl_route_del(struct nl *nl, const struct nl_route *route)
{
	char text[160];
	struct nlmsghdr *nlh;
	int rc;

	nl_route_format(route, text, sizeof(text));
	if ((rc = route_msg(nl, RTM_DELROUTE, 0, route, true, &nlh)) < 0 ||
	    (rc = nl_exchange(nl, nlh, NULL, NULL)) < 0)
		return nl_fail(nl, rc, "cannot delete route %s", text);
	return 0;
}

/* One table per family, as in BIRD: the address size is part of the shape. */
static const struct nl_attr_want route_want4[RTA_MAX + 1] = {
	[RTA_DST] = { NL_ATTR_FIXED, 4 },
	[RTA_GATEWAY] = { NL_ATTR_FIXED, 4 },
	[RTA_OIF] = { NL_ATTR_FIXED, 4 },
	[RTA_TABLE] = { NL_ATTR_FIXED, 4 },
};

static const struct nl_attr_want route_want6[RTA_MAX + 1] = {
	[RTA_DST] = { NL_ATTR_FIXED, 16 },
	[RTA_GATEWAY] = { NL_ATTR_FIXED, 16 },
	[RTA_OIF] = { NL_ATTR_FIXED, 4 },
	[RTA_TABLE] = { NL_ATTR_FIXED, 4 },
};

struct route_filter {
	int af; /* 0 = any */
	int proto; /* < 0 = any */
	uint32_t table;
	struct nl_route_list *list;
	size_t cap;
};

static int collect_route(const struct nlmsghdr *nlh, void *data)
{
	struct route_filter *f = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	struct nl_route r;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return 0;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if ((f->af && rtm->rtm_family != f->af) || (f->proto >= 0 && rtm->rtm_protocol != f->proto))
		return 0;
	if (rtm->rtm_flags & RTM_F_CLONED)
		return 0;
	if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_BLACKHOLE)
		return 0;
	if (nl_parse_attrs(nlh, sizeof(*rtm), rtm->rtm_family == AF_INET ? route_want4 : route_want6,
			   RTA_MAX, tb) < 0)
		return 0; /* malformed: skip rather than act on a guess */
	uint32_t table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != f->table)
		return 0;

	memset(&r, 0, sizeof(r));
	r.dst.addr.family = rtm->rtm_family == AF_INET ? 4 : 6;
	r.dst.prefix = rtm->rtm_dst_len;
	if (tb[RTA_DST])
		memcpy(r.dst.addr.bytes, mnl_attr_get_payload(tb[RTA_DST]), alen_of(r.dst.addr.family));
	if (tb[RTA_GATEWAY]) {
		r.has_gw = true;
		r.gw.family = r.dst.addr.family;
		memcpy(r.gw.bytes, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen_of(r.gw.family));
	}
	if (tb[RTA_OIF])
		r.ifindex = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	r.type = rtm->rtm_type == RTN_BLACKHOLE ? NL_RT_BLACKHOLE : NL_RT_UNICAST;
	r.scope_link = rtm->rtm_scope == RT_SCOPE_LINK;
	r.onlink = rtm->rtm_flags & RTNH_F_ONLINK;
	r.proto = rtm->rtm_protocol;
	r.table = table == RT_TABLE_MAIN ? 0 : table;

	if (array_reserve((void **)&f->list->items, &f->cap, f->list->n + 1, sizeof(*f->list->items)) < 0)
		return -ENOMEM;
	f->list->items[f->list->n++] = r;
	return 0;
}

static void fill_names(struct nl_route_list *routes, const struct nl_link_list *links)
{
	for (size_t i = 0; i < routes->n; i++)
		for (size_t j = 0; j < links->n; j++)
			if (links->items[j].ifindex == routes->items[i].ifindex)
				memcpy(routes->items[i].ifname, links->items[j].name, IFNAMSIZ);
}

static int route_list_once(struct nl *nl, int family, int proto, uint32_t table, struct nl_route_list *out)
{
	struct route_filter f = { nl_af(family), proto, table ? table : RT_TABLE_MAIN, out, 0 };
	struct nl_link_list links = { 0 };
	struct rtmsg *rtm;
	int rc;

	out->items = NULL;
	out->n = 0;
	struct nlmsghdr *nlh = nl_msg_start(nl->buf, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = f.af;
	if ((rc = nl_exchange(nl, nlh, collect_route, &f)) < 0) {
		nl_fail(nl, rc, "cannot list routes");
		goto fail;
	}
	if ((rc = nl_link_list_prefix(nl, "", &links)) < 0)
		goto fail;
	fill_names(out, &links);
	nl_link_list_free(&links);
	return 0;
fail:
	nl_route_list_free(out);
	return rc;
}

int nl_route_list(struct nl *nl, int family, int proto, uint32_t table, struct nl_route_list *out)
{
	int rc;
	for (int tries = 1; (rc = route_list_once(nl, family, proto, table, out)) == -EAGAIN && tries < NL_DUMP_TRIES;
	     tries++)
		;
	return rc;
}

void nl_route_list_free(struct nl_route_list *list)
{
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

char *nl_route_format(const struct nl_route *r, char *buf, size_t len)
{
	char dst[IP_STR_MAX] = "?", gw[IP_STR_MAX] = "?";
	int af = nl_af(r->dst.addr.family);
	size_t n = 0;

#define PUT(...) do { \
		int w_ = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__); \
		if (w_ > 0) n += (size_t)w_; \
	} while (0)
	if (!len)
		return buf;
	buf[0] = '\0';
	if (af)
		inet_ntop(af, r->dst.addr.bytes, dst, sizeof(dst));
	if (r->has_gw && nl_af(r->gw.family))
		inet_ntop(nl_af(r->gw.family), r->gw.bytes, gw, sizeof(gw));
	if (r->type == NL_RT_BLACKHOLE)
		PUT("blackhole ");
	if (r->dst.prefix == 0)
		PUT("default");
	else
		PUT("%s/%d", dst, r->dst.prefix);
	if (r->has_gw)
		PUT(" via %s", gw);
	if (r->ifname[0])
		PUT(" dev %s", r->ifname);
	else if (r->ifindex > 0)
		PUT(" dev #%d", r->ifindex);
	if (r->scope_link)
		PUT(" scope link");
	if (r->onlink)
		PUT(" onlink");
	if (r->proto)
		PUT(" proto %u", r->proto);
	if (r->table)
		PUT(" table %u", r->table);
#undef PUT
	return buf;
}

static void route_init(struct nl_route *r, const struct cidr *dst, const char *ifname)
{
	memset(r, 0, sizeof(*r));
	r->dst = *dst;
	r->proto = CALICO_RT_PROTO;
	if (ifname)
		snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
}

void nl_route_workload(struct nl_route *r, const struct ip_addr *ip, const char *ifname)
{
	struct cidr dst = { *ip, ip->family == 4 ? 32 : 128 };
	route_init(r, &dst, ifname);
	r->scope_link = true;
}

void nl_route_blackhole(struct nl_route *r, const struct cidr *dst)
{
	route_init(r, dst, NULL);
	r->type = NL_RT_BLACKHOLE;
}

void nl_route_via_onlink(struct nl_route *r, const struct cidr *dst, const struct ip_addr *gw,
			 const char *ifname)
{
	route_init(r, dst, ifname);
	r->has_gw = true;
	r->gw = *gw;
	r->onlink = true;
}

static void parse_const(int family, const char *text, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	inet_pton(nl_af(family), text, out->bytes); /* compile-time constants: cannot fail */
}

int nl_route_workload_defaults(struct nl *nl, const char *ifname, int family)
{
	struct nl_route gw_route, def;
	struct ip_addr gw;
	struct cidr any = { { .family = family }, 0 };
	int rc;

	if (family != 4 && family != 6)
		return nl_fail(nl, -EINVAL, "cannot add default routes: bad family %d", family);
	parse_const(family, family == 4 ? CALICO_GW_V4 : CALICO_GW_V6, &gw);
	route_init(&def, &any, ifname);
	def.has_gw = true;
	def.gw = gw;
	if (family == 6)
		/* fe80::ecee:eeff:feee:eeee is on-link by definition (link-local). */
		return nl_route_add(nl, &def, false);

	/* 169.254.1.1 is on no subnet of eth0: a link route makes it a valid
	 * next hop, and the host side answers its ARP by proxy. */
	nl_route_workload(&gw_route, &gw, ifname);
	if ((rc = nl_route_add(nl, &gw_route, false)) < 0)
		return rc;
	if ((rc = nl_route_add(nl, &def, false)) < 0) {
		char msg[NL_ERR_MAX];
		memcpy(msg, nl->err, sizeof(msg));
		nl_route_del(nl, &gw_route);
		memcpy(nl->err, msg, sizeof(msg));
		return rc;
	}
	return 0;
}
