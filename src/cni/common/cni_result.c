#include "cni_result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_version.h"
#include "util/json_strict.h"

int cni_addr_parse(const char *text, struct ip_addr *ip, int *prefix)
{
	char buf[IP_STR_MAX + 8];
	const char *slash = text ? strchr(text, '/') : NULL;
	struct cidr c;
	if (!slash || (size_t)(slash - text) >= IP_STR_MAX || cidr_parse(text, false, true, &c) < 0)
		return -EINVAL;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	if (ip_parse(buf, ip) < 0)
		return -EINVAL;
	*prefix = c.prefix;
	return 0;
}

/* ---- encoding ---- */

static json_t *addr_text(const struct ip_addr *ip, int prefix)
{
	char a[IP_STR_MAX], buf[IP_STR_MAX + 8];
	snprintf(buf, sizeof(buf), "%s/%d", ip_format(ip, a), prefix);
	return json_string(buf);
}

static json_t *ip_text(const struct ip_addr *ip)
{
	char a[IP_STR_MAX];
	return json_string(ip_format(ip, a));
}

static json_t *route_json(const struct cni_route *rt)
{
	char d[CIDR_STR_MAX];
	json_t *o = json_object();
	bool ok = o != NULL;
	js_set(o, "dst", json_string(cidr_format(&rt->dst, d)), &ok);
	if (rt->has_gw)
		js_set(o, "gw", ip_text(&rt->gw), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* 0.1.0/0.2.0: {"ip":..,"gateway":..,"routes":[..]} for the first address of family. */
static json_t *legacy_ip(const struct cni_result *r, int family, bool *ok)
{
	const struct cni_ip *ip = NULL;
	for (size_t i = 0; i < r->n_ips && !ip; i++)
		if (r->ips[i].addr.family == family)
			ip = &r->ips[i];
	if (!ip)
		return NULL;
	json_t *o = json_object(), *routes = json_array();
	js_set(o, "ip", addr_text(&ip->addr, ip->prefix), ok);
	if (ip->has_gw)
		js_set(o, "gateway", ip_text(&ip->gw), ok);
	for (size_t i = 0; i < r->n_routes; i++)
		if (r->routes[i].dst.addr.family == family)
			js_append(routes, route_json(&r->routes[i]), ok);
	if (json_array_size(routes))
		js_set(o, "routes", routes, ok);
	else
		json_decref(routes);
	return o;
}

char *cni_result_encode(const struct cni_result *r, const char *version)
{
	enum cni_shape shape = cni_version_shape(version);
	json_t *o = json_object();
	bool ok = o != NULL;

	js_set(o, "cniVersion", json_string(version), &ok);
	if (shape == CNI_SHAPE_020) {
		json_t *v4 = legacy_ip(r, 4, &ok), *v6 = legacy_ip(r, 6, &ok);
		if (v4)
			js_set(o, "ip4", v4, &ok);
		if (v6)
			js_set(o, "ip6", v6, &ok);
		js_set(o, "dns", json_object(), &ok);
		goto done;
	}
	json_t *ifaces = json_array(), *ips = json_array(), *routes = json_array();
	for (size_t i = 0; i < r->n_ifaces; i++) {
		const struct cni_iface *f = &r->ifaces[i];
		json_t *io = json_object();
		js_set(io, "name", json_string(f->name), &ok);
		if (f->mac[0])
			js_set(io, "mac", json_string(f->mac), &ok);
		if (f->mtu && cni_version_cmp(version, "1.1.0") >= 0)
			js_set(io, "mtu", json_integer(f->mtu), &ok);
		if (f->sandbox[0])
			js_set(io, "sandbox", json_string(f->sandbox), &ok);
		js_append(ifaces, io, &ok);
	}
	for (size_t i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];
		json_t *io = json_object();
		if (shape == CNI_SHAPE_040)
			js_set(io, "version", json_string(ip->addr.family == 6 ? "6" : "4"), &ok);
		if (ip->iface >= 0)
			js_set(io, "interface", json_integer(ip->iface), &ok);
		js_set(io, "address", addr_text(&ip->addr, ip->prefix), &ok);
		if (ip->has_gw)
			js_set(io, "gateway", ip_text(&ip->gw), &ok);
		js_append(ips, io, &ok);
	}
	for (size_t i = 0; i < r->n_routes; i++)
		js_append(routes, route_json(&r->routes[i]), &ok);
	/* Empty lists are left out, as the reference plugins do. */
	if (json_array_size(ifaces))
		js_set(o, "interfaces", json_incref(ifaces), &ok);
	if (json_array_size(ips))
		js_set(o, "ips", json_incref(ips), &ok);
	if (json_array_size(routes))
		js_set(o, "routes", json_incref(routes), &ok);
	json_decref(ifaces);
	json_decref(ips);
	json_decref(routes);
	js_set(o, "dns", json_object(), &ok);
done:
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}

/* ---- decoding (any version) ---- */

static int get_ip(const json_t *o, const char *key, bool required, const char *what, struct ip_addr *ip, bool *has,
		  struct cni_error *e)
{
	const char *s;
	char msg[CNI_MSG_MAX];
	int rc = js_get_string(o, key, required, what, &s, msg, sizeof(msg));
	if (has)
		*has = false;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return cni_err(e, CNI_ERR_DECODE, "result: %s", msg);
	if (ip_parse(s, ip) < 0)
		return cni_err(e, CNI_ERR_DECODE, "result: %s \"%s\" %.64s is not an IP address", what, key, s);
	if (has)
		*has = true;
	return 0;
}

static int get_addr(const json_t *o, const char *key, const char *what, struct cni_ip *ip, struct cni_error *e)
{
	const char *s;
	char msg[CNI_MSG_MAX];
	if (js_get_string(o, key, true, what, &s, msg, sizeof(msg)) < 0)
		return cni_err(e, CNI_ERR_DECODE, "result: %s", msg);
	if (cni_addr_parse(s, &ip->addr, &ip->prefix) < 0)
		return cni_err(e, CNI_ERR_DECODE, "result: %s \"%s\" '%.64s' is not ADDRESS/PREFIX", what, key, s);
	return 0;
}

static int add_routes(const json_t *list, struct cni_result *r, struct cni_error *e)
{
	size_t i;
	json_t *rt;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_err(e, CNI_ERR_DECODE, "result: \"routes\" must be a list");
	json_array_foreach(list, i, rt) {
		const char *dst;
		char msg[CNI_MSG_MAX];
		if (r->n_routes == CNI_MAX_ROUTES)
			return cni_err(e, CNI_ERR_DECODE, "result: more than %d routes", CNI_MAX_ROUTES);
		struct cni_route *out = &r->routes[r->n_routes];
		if (!json_is_object(rt))
			return cni_err(e, CNI_ERR_DECODE, "result: route %zu is not an object", i);
		if (js_get_string(rt, "dst", true, "route", &dst, msg, sizeof(msg)) < 0)
			return cni_err(e, CNI_ERR_DECODE, "result: %s", msg);
		if (cidr_parse(dst, false, true, &out->dst) < 0)
			return cni_err(e, CNI_ERR_DECODE, "result: route \"dst\" '%.64s' is not a CIDR", dst);
		if (get_ip(rt, "gw", false, "route", &out->gw, &out->has_gw, e) < 0)
			return -EINVAL;
		r->n_routes++;
	}
	return 0;
}

static int legacy_from_json(const json_t *o, const char *key, int family, struct cni_result *r, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return cni_err(e, CNI_ERR_DECODE, "result: \"%s\" must be an object", key);
	struct cni_ip *ip = &r->ips[r->n_ips];
	ip->iface = -1;
	if (get_addr(v, "ip", key, ip, e) < 0 || get_ip(v, "gateway", false, key, &ip->gw, &ip->has_gw, e) < 0)
		return -EINVAL;
	if (ip->addr.family != family)
		return cni_err(e, CNI_ERR_DECODE, "result: \"%s\" holds an IPv%d address", key, ip->addr.family);
	r->n_ips++;
	return add_routes(json_object_get(v, "routes"), r, e);
}

int cni_result_from_json(const json_t *o, struct cni_result *r, struct cni_error *e)
{
	json_t *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return cni_err(e, CNI_ERR_DECODE, "result: expected an object");
	if ((v = json_object_get(o, "interfaces")) && !json_is_null(v)) {
		if (!json_is_array(v))
			return cni_err(e, CNI_ERR_DECODE, "result: \"interfaces\" must be a list");
		json_t *f;
		json_array_foreach(v, i, f) {
			const char *name = NULL, *mac = NULL, *sandbox = NULL;
			char msg[CNI_MSG_MAX];
			if (r->n_ifaces == CNI_MAX_IFACES)
				return cni_err(e, CNI_ERR_DECODE, "result: more than %d interfaces", CNI_MAX_IFACES);
			if (!json_is_object(f) || js_get_string(f, "name", true, "interface", &name, msg, sizeof(msg)) < 0 ||
			    js_get_string(f, "mac", false, "interface", &mac, msg, sizeof(msg)) == -EINVAL ||
			    js_get_string(f, "sandbox", false, "interface", &sandbox, msg, sizeof(msg)) == -EINVAL)
				return cni_err(e, CNI_ERR_DECODE, "result: interface %zu: %s", i,
					       json_is_object(f) ? msg : "not an object");
			struct cni_iface *out = &r->ifaces[r->n_ifaces++];
			snprintf(out->name, sizeof(out->name), "%s", name);
			snprintf(out->mac, sizeof(out->mac), "%s", mac ? mac : "");
			snprintf(out->sandbox, sizeof(out->sandbox), "%s", sandbox ? sandbox : "");
		}
	}
	if ((v = json_object_get(o, "ips")) && !json_is_null(v)) {
		if (!json_is_array(v))
			return cni_err(e, CNI_ERR_DECODE, "result: \"ips\" must be a list");
		json_t *ipo;
		json_array_foreach(v, i, ipo) {
			if (r->n_ips == CNI_MAX_IPS)
				return cni_err(e, CNI_ERR_DECODE, "result: more than %d addresses", CNI_MAX_IPS);
			if (!json_is_object(ipo))
				return cni_err(e, CNI_ERR_DECODE, "result: ips[%zu] is not an object", i);
			struct cni_ip *ip = &r->ips[r->n_ips];
			json_t *idx = json_object_get(ipo, "interface");
			ip->iface = -1;
			if (get_addr(ipo, "address", "ips[]", ip, e) < 0 ||
			    get_ip(ipo, "gateway", false, "ips[]", &ip->gw, &ip->has_gw, e) < 0)
				return -EINVAL;
			if (idx && !json_is_null(idx)) {
				if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
				    (size_t)json_integer_value(idx) >= r->n_ifaces)
					return cni_err(e, CNI_ERR_DECODE, "result: ips[%zu] \"interface\" is not an index into interfaces", i);
				ip->iface = (int)json_integer_value(idx);
			}
			r->n_ips++;
		}
	} else if (legacy_from_json(o, "ip4", 4, r, e) < 0 || legacy_from_json(o, "ip6", 6, r, e) < 0) {
		return -EINVAL;
	}
	return add_routes(json_object_get(o, "routes"), r, e);
}

int cni_result_decode(const char *text, struct cni_result *r, struct cni_error *e)
{
	char msg[CNI_MSG_MAX];
	json_t *o = js_load_object(text, msg, sizeof(msg));
	if (!o)
		return cni_err(e, CNI_ERR_DECODE, "result: %s", msg);
	int rc = cni_result_from_json(o, r, e);
	json_decref(o);
	return rc;
}
