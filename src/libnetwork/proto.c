/* Docker's plugin protocol: request decoding and answers (proto.h). */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "model/model.h"
#include "workload/endpoint_labels.h"

static const struct {
	const char *path;
	enum lnw_call call;
} calls[] = {
	{ "/Plugin.Activate", LNW_ACTIVATE },
	{ "/NetworkDriver.GetCapabilities", LNW_NET_CAPS },
	{ "/NetworkDriver.CreateNetwork", LNW_NET_CREATE },
	{ "/NetworkDriver.DeleteNetwork", LNW_NET_DELETE },
	{ "/NetworkDriver.CreateEndpoint", LNW_EP_CREATE },
	{ "/NetworkDriver.DeleteEndpoint", LNW_EP_DELETE },
	{ "/NetworkDriver.EndpointOperInfo", LNW_EP_INFO },
	{ "/NetworkDriver.Join", LNW_JOIN },
	{ "/NetworkDriver.Leave", LNW_LEAVE },
	{ "/NetworkDriver.DiscoverNew", LNW_DISCOVER_NEW },
	{ "/NetworkDriver.DiscoverDelete", LNW_DISCOVER_DELETE },
	{ "/NetworkDriver.ProgramExternalConnectivity", LNW_PROGRAM_EXT },
	{ "/NetworkDriver.RevokeExternalConnectivity", LNW_REVOKE_EXT },
	{ "/NetworkDriver.AllocateNetwork", LNW_ALLOCATE_NET },
	{ "/NetworkDriver.FreeNetwork", LNW_FREE_NET },
	{ "/IpamDriver.GetCapabilities", LNW_IPAM_CAPS },
	{ "/IpamDriver.GetDefaultAddressSpaces", LNW_IPAM_SPACES },
	{ "/IpamDriver.RequestPool", LNW_IPAM_REQ_POOL },
	{ "/IpamDriver.ReleasePool", LNW_IPAM_REL_POOL },
	{ "/IpamDriver.RequestAddress", LNW_IPAM_REQ_ADDR },
	{ "/IpamDriver.ReleaseAddress", LNW_IPAM_REL_ADDR },
};

enum lnw_call lnw_call_of(const char *path)
{
	for (size_t i = 0; path && i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(path, calls[i].path) == 0)
			return calls[i].call;
	return LNW_UNKNOWN;
}

const char *lnw_call_name(enum lnw_call c)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].call == c)
			return calls[i].path + 1;
	return "unknown";
}

json_t *lnw_body_parse(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
		i++;
	if (i == len)
		return json_object();
	json_t *v = json_loadb(body + i, len - i, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		js_fail(err, errlen, "request body is not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
		       jerr.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		js_fail(err, errlen, "request body must be a JSON object, not %s", js_kind(v));
		json_decref(v);
		return NULL;
	}
	return v;
}

bool lnw_id_is_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > LNW_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* body[key] as a string; JSON null and absence are "" when optional. */
static int get_str(const json_t *body, const char *key, bool required, const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(body, key);
	*out = "";
	if (!v || json_is_null(v))
		return required ? js_fail(err, errlen, "missing \"%s\"", key) : 0;
	if (!json_is_string(v))
		return js_fail(err, errlen, "\"%s\" must be a string, not %s", key, js_kind(v));
	*out = json_string_value(v);
	return 0;
}

static int get_id(const json_t *body, const char *key, const char **out, char *err, size_t errlen)
{
	int rc = get_str(body, key, true, out, err, errlen);
	if (rc == 0 && !lnw_id_is_valid(*out))
		return js_fail(err, errlen, "\"%s\" '%.80s' is not a Docker id (1-64 letters and digits)", key, *out);
	return rc;
}

/* An object or null/absent (then NULL). */
static int get_obj(const json_t *body, const char *key, json_t **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(body, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return js_fail(err, errlen, "\"%s\" must be an object, not %s", key, js_kind(v));
	*out = v;
	return 0;
}

int lnw_pool_req_parse(const json_t *body, struct lnw_pool_req *r, char *err, size_t errlen)
{
	json_t *opts, *v6 = json_object_get(body, "V6");
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = get_str(body, "Pool", false, &r->pool, err, errlen)) < 0 ||
	    (rc = get_str(body, "SubPool", false, &r->sub_pool, err, errlen)) < 0 ||
	    (rc = get_obj(body, "Options", &opts, err, errlen)) < 0)
		return rc;
	if (v6 && !json_is_null(v6) && !json_is_boolean(v6))
		return js_fail(err, errlen, "\"V6\" must be a boolean, not %s", js_kind(v6));
	r->v6 = json_is_true(v6);
	r->has_options = opts && json_object_size(opts) > 0;
	return 0;
}

int lnw_addr_req_parse(const json_t *body, struct lnw_addr_req *r, char *err, size_t errlen)
{
	const char *addr, *type = "";
	json_t *opts;
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = get_str(body, "PoolID", true, &r->pool_id, err, errlen)) < 0 ||
	    (rc = get_str(body, "Address", false, &addr, err, errlen)) < 0 ||
	    (rc = get_obj(body, "Options", &opts, err, errlen)) < 0)
		return rc;
	if (opts && (rc = get_str(opts, "RequestAddressType", false, &type, err, errlen)) < 0)
		return rc;
	r->gateway = strcmp(type, LNW_GATEWAY_KEY) == 0;
	if (addr[0]) {
		/* Docker sends a bare address; accept a /32 (/128) too. */
		struct cidr c;
		if (ip_parse(addr, &r->address) < 0) {
			if (cidr_parse(addr, false, false, &c) < 0 || c.prefix != (c.addr.family == 4 ? 32 : 128))
				return js_fail(err, errlen, "\"Address\" '%.64s' is not an IP address", addr);
			r->address = c.addr;
		}
		r->has_address = true;
	}
	return 0;
}

static bool is_zero(const struct ip_addr *ip)
{
	size_t n = ip->family == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		if (ip->bytes[i])
			return false;
	return true;
}

int lnw_release_req_parse(const json_t *body, struct lnw_release_req *r, char *err, size_t errlen)
{
	const char *addr;
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = get_str(body, "PoolID", false, &r->pool_id, err, errlen)) < 0 ||
	    (rc = get_str(body, "Address", true, &addr, err, errlen)) < 0)
		return rc;
	if (ip_parse(addr, &r->address) < 0) {
		struct cidr c;
		if (cidr_parse(addr, false, false, &c) < 0)
			return js_fail(err, errlen, "\"Address\" '%.64s' is not an IP address", addr);
		r->address = c.addr;
		r->marker = c.prefix == 0; /* the marker itself, 0.0.0.0/0 */
	}
	r->marker = r->marker || is_zero(&r->address);
	return 0;
}

/* Docker's option flags (--internal, --attachable, -o k=v, ...) that the
 * driver would silently ignore: refused instead, naming them, as Calico did. */
static int check_net_options(const json_t *opts, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)opts, key, v) {
		if (strcmp(key, "com.docker.network.enable_ipv6") == 0)
			continue;
		const char *flag = strncmp(key, "com.docker.network.", 19) == 0 ? key + 19 : key;
		if (json_is_boolean(v) || json_is_null(v)) {
			if (json_is_true(v))
				return js_fail(err, errlen, "Calico driver does not support the flag --%s.", flag);
			continue;
		}
		if (json_is_object(v)) {
			char names[256] = "";
			const char *k2;
			json_t *v2;
			size_t n = 0, used = 0;
			json_object_foreach(v, k2, v2) {
				(void)v2;
				int w = snprintf(names + used, sizeof(names) - used, "%s%s", n ? ", " : "", k2);
				if (w > 0 && (size_t)w < sizeof(names) - used)
					used += (size_t)w;
				n++;
			}
			if (n)
				return js_fail(err, errlen, "Calico driver does not support the flag%s %s.", n > 1 ? "s" : "",
					      names);
			continue;
		}
		char shown[64];
		return js_fail(err, errlen, "Calico driver does not support the option %s (%s).", key,
			      js_show(v, shown, sizeof(shown)));
	}
	return 0;
}

/* Every pool of the network must carry Calico IPAM's gateway marker. */
static int check_ipam_data(const json_t *body, const char *key, const char *marker, char *err, size_t errlen)
{
	json_t *arr = json_object_get(body, key), *d;
	size_t i;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return js_fail(err, errlen, "\"%s\" must be an array, not %s", key, js_kind(arr));
	json_array_foreach(arr, i, d) {
		const char *gw;
		if (!json_is_object(d))
			return js_fail(err, errlen, "\"%s\"[%zu] must be an object, not %s", key, i, js_kind(d));
		if (get_str(d, "Gateway", false, &gw, err, errlen) < 0)
			return -EINVAL;
		if (strcmp(gw, marker) != 0)
			return js_fail(err, errlen,
				      "Non-Calico IPAM driver is used (gateway '%.64s'): create the network with "
				      "--ipam-driver calico",
				      gw);
	}
	return 0;
}

int lnw_net_create_parse(const json_t *body, struct lnw_net_req *r, char *err, size_t errlen)
{
	json_t *opts;
	int rc;
	if ((rc = get_id(body, "NetworkID", &r->network_id, err, errlen)) < 0 ||
	    (rc = get_obj(body, "Options", &opts, err, errlen)) < 0)
		return rc;
	if (opts && (rc = check_net_options(opts, err, errlen)) < 0)
		return rc;
	if ((rc = check_ipam_data(body, "IPv4Data", LNW_MARKER_V4, err, errlen)) < 0 ||
	    (rc = check_ipam_data(body, "IPv6Data", LNW_MARKER_V6, err, errlen)) < 0)
		return rc;
	return 0;
}

int lnw_net_req_parse(const json_t *body, struct lnw_net_req *r, char *err, size_t errlen)
{
	return get_id(body, "NetworkID", &r->network_id, err, errlen);
}

/* "10.65.0.2/32" or a bare address; any prefix is accepted since Calico
 * always uses the host route (/32, /128), but the family must match. */
static int interface_addr(const json_t *iface, const char *key, int family, bool *has, struct ip_addr *out,
			  char *err, size_t errlen)
{
	const char *text;
	char addr[IP_STR_MAX + 1];
	struct cidr c;
	int rc = get_str(iface, key, false, &text, err, errlen);
	*has = false;
	if (rc < 0 || !text[0])
		return rc;
	/* The address itself, not its network: "10.65.3.5/16" is 10.65.3.5
	 * (Docker sends the network's prefix with --subnet). */
	size_t n = strcspn(text, "/");
	if (n > IP_STR_MAX || cidr_parse(text, true, true, &c) < 0 ||
	    (snprintf(addr, sizeof(addr), "%.*s", (int)n, text), ip_parse(addr, out)) < 0)
		return js_fail(err, errlen, "\"Interface.%s\" '%.64s' is not an IP address", key, text);
	if (out->family != family)
		return js_fail(err, errlen, "\"Interface.%s\" '%.64s' is not an IPv%d address", key, text, family);
	*has = true;
	return 0;
}

int lnw_ep_create_parse(const json_t *body, struct lnw_ep_create_req *r, char *err, size_t errlen)
{
	json_t *iface;
	const char *mac;
	int rc;
	memset(r, 0, sizeof(*r));
	if ((rc = get_id(body, "NetworkID", &r->network_id, err, errlen)) < 0 ||
	    (rc = get_id(body, "EndpointID", &r->endpoint_id, err, errlen)) < 0 ||
	    (rc = get_obj(body, "Interface", &iface, err, errlen)) < 0)
		return rc;
	if (!iface)
		return js_fail(err, errlen, "missing \"Interface\": Calico IPAM gives every endpoint an address");
	if ((rc = interface_addr(iface, "Address", 4, &r->has_v4, &r->v4, err, errlen)) < 0 ||
	    (rc = interface_addr(iface, "AddressIPv6", 6, &r->has_v6, &r->v6, err, errlen)) < 0 ||
	    (rc = get_str(iface, "MacAddress", false, &mac, err, errlen)) < 0)
		return rc;
	if (mac[0])
		return js_fail(err, errlen, "Calico does not support a user-given MAC address (%.32s)", mac);
	if (!r->has_v4 && !r->has_v6)
		return js_fail(err, errlen, "No address assigned for endpoint");
	return 0;
}

int lnw_ep_req_parse(const json_t *body, struct lnw_ep_req *r, char *err, size_t errlen)
{
	int rc;
	if ((rc = get_id(body, "NetworkID", &r->network_id, err, errlen)) < 0 ||
	    (rc = get_id(body, "EndpointID", &r->endpoint_id, err, errlen)) < 0)
		return rc;
	return 0;
}

/* ---- answers ---- */

json_t *lnw_err_reply(const char *msg)
{
	return json_pack("{ss}", "Err", msg && msg[0] ? msg : "unknown error");
}

json_t *lnw_activate_reply(void)
{
	return json_pack("{s[ss]}", "Implements", "NetworkDriver", "IpamDriver");
}

json_t *lnw_net_caps_reply(const char *scope)
{
	return json_pack("{ss}", "Scope", scope);
}

json_t *lnw_ipam_caps_reply(void)
{
	return json_pack("{sb}", "RequiresMACAddress", 0);
}

json_t *lnw_spaces_reply(void)
{
	return json_pack("{ssss}", "LocalDefaultAddressSpace", LNW_ADDRESS_SPACE_L, "GlobalDefaultAddressSpace",
			 LNW_ADDRESS_SPACE_G);
}

json_t *lnw_pool_reply(bool v6, const char *pool_cidr)
{
	const char *marker = v6 ? LNW_MARKER_V6 : LNW_MARKER_V4;
	return json_pack("{sssss{ss}}", "PoolID", pool_cidr ? pool_cidr : v6 ? LNW_POOL_ID_V6 : LNW_POOL_ID_V4,
			 "Pool", pool_cidr ? pool_cidr : marker, "Data", LNW_GATEWAY_KEY, marker);
}

json_t *lnw_addr_reply(const struct ip_addr *ip)
{
	char text[IP_STR_MAX], cidr[CIDR_STR_MAX];
	snprintf(cidr, sizeof(cidr), "%s/%d", ip_format(ip, text), ip->family == 4 ? 32 : 128);
	return json_pack("{sss{}}", "Address", cidr, "Data");
}

json_t *lnw_gateway_reply(bool v6)
{
	return json_pack("{sss{}}", "Address", v6 ? LNW_MARKER_V6 : LNW_MARKER_V4, "Data");
}

json_t *lnw_join_reply(const char *src_name, bool v4, const char *v6_gateway)
{
	json_t *routes = json_array(), *r = NULL;
	bool ok = routes != NULL;
	if (ok && v4) {
		js_append(routes, json_pack("{sssiss}", "Destination", LNW_NEXTHOP_V4 "/32", "RouteType", 1, "NextHop", ""),
			  &ok);
		js_append(routes,
			  json_pack("{sssiss}", "Destination", "0.0.0.0/0", "RouteType", 0, "NextHop", LNW_NEXTHOP_V4),
			  &ok);
	}
	if (ok && v6_gateway) {
		char dst[IP_STR_MAX + 5];
		snprintf(dst, sizeof(dst), "%s/128", v6_gateway);
		js_append(routes, json_pack("{sssiss}", "Destination", dst, "RouteType", 1, "NextHop", ""), &ok);
		js_append(routes, json_pack("{sssiss}", "Destination", "::/0", "RouteType", 0, "NextHop", v6_gateway),
			  &ok);
	}
	if (ok)
		r = json_pack("{s{ssss}sssO}", "InterfaceName", "SrcName", src_name, "DstPrefix", LNW_DST_PREFIX, "Gateway", "",
			      "StaticRoutes", routes);
	json_decref(routes);
	return r;
}

json_t *lnw_oper_info_reply(void)
{
	return json_pack("{s{}}", "Value");
}

json_t *lnw_empty_reply(void)
{
	return json_object();
}

void lnw_container_ifname(const char *endpoint_id, char out[16])
{
	snprintf(out, 16, "tmp%.11s", endpoint_id);
}

void lnw_short_id(const char *id, char out[13])
{
	snprintf(out, 13, "%.12s", id);
}

/* ---- the driver's records ---- */

char *lnw_network_encode(const char *profile)
{
	return js_dump(json_pack("{ss}", "name", profile));
}

int lnw_network_decode(const char *json, char *profile, size_t len, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", NULL };
	const char *name;
	json_t *o = js_load_object(json, err, errlen);
	int rc = o ? 0 : -EINVAL;
	if (rc == 0 && (rc = js_only_keys(o, keys, "libnetwork network", err, errlen)) == 0 &&
	    (rc = js_get_string(o, "name", true, "libnetwork network", &name, err, errlen)) == 0) {
		if (!name_is_valid(name) || strlen(name) >= len)
			rc = js_fail(err, errlen, "libnetwork network: bad profile name '%.64s'", name);
		else
			snprintf(profile, len, "%s", name);
	}
	json_decref(o);
	return rc;
}

char *lnw_endpoint_encode(const struct lnw_endpoint_state *s)
{
	char v4[IP_STR_MAX] = "", v6[IP_STR_MAX] = "";
	if (s->has_v4)
		ip_format(&s->v4, v4);
	if (s->has_v6)
		ip_format(&s->v6, v6);
	return js_dump(json_pack("{ssssssss}", "network", s->network_id, "profile", s->profile, "ipv4", v4, "ipv6",
				 v6));
}

static int state_addr(const json_t *o, const char *key, int family, bool *has, struct ip_addr *ip, char *err,
		      size_t errlen)
{
	const char *text;
	int rc = js_get_string(o, key, true, "libnetwork endpoint", &text, err, errlen);
	*has = false;
	if (rc < 0 || !text[0])
		return rc;
	if (ip_parse(text, ip) < 0 || ip->family != family)
		return js_fail(err, errlen, "libnetwork endpoint: \"%s\" '%.64s' is not an IPv%d address", key, text,
			      family);
	*has = true;
	return 0;
}

int lnw_endpoint_decode(const char *json, struct lnw_endpoint_state *s, char *err, size_t errlen)
{
	static const char *const keys[] = { "network", "profile", "ipv4", "ipv6", NULL };
	const char *net, *prof;
	json_t *o = js_load_object(json, err, errlen);
	int rc = o ? 0 : -EINVAL;
	memset(s, 0, sizeof(*s));
	if (rc == 0 && (rc = js_only_keys(o, keys, "libnetwork endpoint", err, errlen)) == 0 &&
	    (rc = js_get_string(o, "network", true, "libnetwork endpoint", &net, err, errlen)) == 0 &&
	    (rc = js_get_string(o, "profile", true, "libnetwork endpoint", &prof, err, errlen)) == 0 &&
	    (rc = state_addr(o, "ipv4", 4, &s->has_v4, &s->v4, err, errlen)) == 0 &&
	    (rc = state_addr(o, "ipv6", 6, &s->has_v6, &s->v6, err, errlen)) == 0) {
		if (!lnw_id_is_valid(net))
			rc = js_fail(err, errlen, "libnetwork endpoint: bad network id '%.80s'", net);
		else if (!name_is_valid(prof))
			rc = js_fail(err, errlen, "libnetwork endpoint: bad profile name '%.64s'", prof);
		else if (!s->has_v4 && !s->has_v6)
			rc = js_fail(err, errlen, "libnetwork endpoint: no address");
		else {
			snprintf(s->network_id, sizeof(s->network_id), "%s", net);
			snprintf(s->profile, sizeof(s->profile), "%s", prof);
		}
	}
	json_decref(o);
	return rc;
}

static bool has_endpoint(const json_t *container, const char *endpoint_id)
{
	const json_t *nets = json_object_get(json_object_get(container, "NetworkSettings"), "Networks");
	const char *name;
	json_t *net;
	json_object_foreach((json_t *)nets, name, net) {
		const char *eid = json_string_value(json_object_get(net, "EndpointID"));
		if (eid && strcmp(eid, endpoint_id) == 0)
			return true;
	}
	return false;
}

int lnw_container_labels(const json_t *containers, const char *endpoint_id, char short_id[13],
			 struct endpoint_labels *out)
{
	size_t i, plen = strlen(LNW_LABEL_PREFIX);
	json_t *c, *v;
	const char *key;
	char where[128];

	short_id[0] = '\0';
	json_array_foreach(containers, i, c) {
		if (!has_endpoint(c, endpoint_id))
			continue;
		const char *id = json_string_value(json_object_get(c, "Id"));
		lnw_short_id(id ? id : "", short_id);
		json_object_foreach(json_object_get(c, "Labels"), key, v) {
			if (strncmp(key, LNW_LABEL_PREFIX, plen) != 0)
				continue;
			snprintf(where, sizeof(where), "%.48s of container %s", key, short_id);
			if (!json_is_string(v)) /* Docker's labels are strings; anything else is skipped */
				continue;
			if (endpoint_labels_add(out, where, key + plen, json_string_value(v)) < 0)
				return -ENOMEM;
		}
		return 0;
	}
	return -ENOENT;
}
