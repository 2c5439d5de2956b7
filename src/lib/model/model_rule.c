/* One rule: init, cross-field validation, equality and its JSON object.
 *
 * Canonical form (what decoders and the grammar produce, what encoders write):
 * the protocol numbers 1, 6, 17 and 58 become icmp, tcp, udp and icmpv6, so a
 * rule has one spelling; "ip_version" is kept only when nothing else in the
 * rule implies it (a CIDR implies its family, icmp implies 4, icmpv6 implies 6),
 * which makes text -> rule -> JSON -> rule -> text round-trip exactly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "model/model_internal.h"

#define TAG_RULES "tags are 1-40 characters of letters, digits, '.', '_' and '-'"

void rule_init(struct rule *r, enum rule_action action)
{
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->protocol = PROTO_ANY;
	r->icmp_type = -1;
	r->icmp_code = -1;
}

int port_word_parse(const char *s, struct port_range *out)
{
	long v[2] = { 0, 0 };
	int n = 0;

	for (;;) {
		const char *start = s;
		if (*s == '0' && s[1] >= '0' && s[1] <= '9')
			return -EINVAL;
		long x = 0;
		bool big = false;
		while (*s >= '0' && *s <= '9') {
			x = x * 10 + (*s - '0');
			if (x > 65535) {
				big = true;
				x = 65536;
			}
			s++;
		}
		if (s == start)
			return -EINVAL;
		v[n++] = big ? 65536 : x;
		if (*s == ':' && n == 1) {
			s++;
			continue;
		}
		if (*s)
			return -EINVAL;
		break;
	}
	if (v[0] > 65535 || v[n - 1] > 65535)
		return -ERANGE;
	if (n == 2 && v[0] > v[1])
		return -EDOM;
	out->first = (uint16_t)v[0];
	out->last = (uint16_t)v[n - 1];
	return 0;
}

char *port_range_format(const struct port_range *p, char *buf, size_t len)
{
	if (p->first == p->last)
		snprintf(buf, len, "%u", p->first);
	else
		snprintf(buf, len, "%u:%u", p->first, p->last);
	return buf;
}

static int proto_number(const struct rule *r)
{
	switch (r->protocol) {
	case PROTO_TCP: return 6;
	case PROTO_UDP: return 17;
	case PROTO_ICMP: return 1;
	case PROTO_ICMPV6: return 58;
	case PROTO_NUMBER: return r->protocol_number;
	default: return -1;
	}
}

static enum rule_protocol proto_canon(const struct rule *r)
{
	switch (proto_number(r)) {
	case -1: return PROTO_ANY;
	case 6: return PROTO_TCP;
	case 17: return PROTO_UDP;
	case 1: return PROTO_ICMP;
	case 58: return PROTO_ICMPV6;
	default: return PROTO_NUMBER;
	}
}

static const char *proto_name(enum rule_protocol p)
{
	switch (p) {
	case PROTO_TCP: return "tcp";
	case PROTO_UDP: return "udp";
	case PROTO_ICMP: return "icmp";
	case PROTO_ICMPV6: return "icmpv6";
	default: return NULL;
	}
}

int rule_implied_ip_version(const struct rule *r)
{
	if (r->has_src_net)
		return r->src_net.addr.family;
	if (r->has_dst_net)
		return r->dst_net.addr.family;
	enum rule_protocol p = proto_canon(r);
	return p == PROTO_ICMP ? 4 : p == PROTO_ICMPV6 ? 6 : 0;
}

void rule_normalise(struct rule *r)
{
	r->protocol = proto_canon(r);
	if (r->protocol != PROTO_NUMBER)
		r->protocol_number = 0;
	if (rule_implied_ip_version(r))
		r->ip_version = 0;
}

static int check_tag(const char *key, const char *tag, char *err, size_t errlen)
{
	if (memchr(tag, '\0', CALICO_NAME_MAX + 1) == NULL || (*tag && !name_is_valid(tag)))
		return js_fail(err, errlen, "invalid \"%s\" value \"%.*s\": " TAG_RULES, key, CALICO_NAME_MAX, tag);
	return 0;
}

static int check_ports(const char *key, const struct port_range *p, size_t n, bool allowed, char *err,
		       size_t errlen)
{
	char a[16], b[16];

	if (n > RULE_PORTS_MAX)
		return js_fail(err, errlen, "\"%s\" has %zu entries; at most %d are allowed", key, n, RULE_PORTS_MAX);
	if (n && !allowed)
		return js_fail(err, errlen, "\"%s\" is only allowed with protocol tcp or udp", key);
	for (size_t i = 0; i < n; i++) {
		if (p[i].first > p[i].last)
			return js_fail(err, errlen, "invalid \"%s\" value \"%u:%u\": the first port is above the last",
				       key, p[i].first, p[i].last);
		/* nftables refuses a set whose intervals overlap, so refuse it here */
		for (size_t j = 0; j < i; j++)
			if (p[j].first <= p[i].last && p[i].first <= p[j].last)
				return js_fail(err, errlen, "\"%s\" entries %s and %s overlap", key,
					       port_range_format(&p[j], a, sizeof(a)),
					       port_range_format(&p[i], b, sizeof(b)));
	}
	return 0;
}

static int check_net(const char *key, const struct cidr *c, char *err, size_t errlen)
{
	char s[CIDR_STR_MAX];
	int max = c->addr.family == 4 ? 32 : c->addr.family == 6 ? 128 : -1;
	if (max < 0 || c->prefix < 0 || c->prefix > max)
		return js_fail(err, errlen, "invalid \"%s\" value: not an IPv4 or IPv6 CIDR", key);
	struct cidr strict;
	cidr_format(c, s);
	if (cidr_parse(s, false, false, &strict) < 0 || memcmp(&strict.addr, &c->addr, sizeof(c->addr)) != 0)
		return js_fail(err, errlen, "\"%s\" \"%s\": host bits set", key, s);
	return 0;
}

int rule_validate(const struct rule *r, char *err, size_t errlen)
{
	char s[CIDR_STR_MAX], t[CIDR_STR_MAX];
	int rc;

	if (r->action != RULE_ALLOW && r->action != RULE_DENY)
		return js_fail(err, errlen, "invalid \"action\" value %d: expected allow or deny", (int)r->action);
	if (r->protocol < PROTO_ANY || r->protocol > PROTO_NUMBER)
		return js_fail(err, errlen, "invalid \"protocol\" value %d", (int)r->protocol);
	if (r->protocol == PROTO_NUMBER && (r->protocol_number < 0 || r->protocol_number > 255))
		return js_fail(err, errlen, "\"protocol\" %d is out of range 0-255", r->protocol_number);
	enum rule_protocol proto = proto_canon(r);
	bool ported = proto == PROTO_TCP || proto == PROTO_UDP;
	bool icmp = proto == PROTO_ICMP || proto == PROTO_ICMPV6;

	if ((rc = check_tag("src_tag", r->src_tag, err, errlen)) < 0 ||
	    (rc = check_tag("dst_tag", r->dst_tag, err, errlen)) < 0)
		return rc;
	if ((rc = check_ports("src_ports", r->src_ports, r->n_src_ports, ported, err, errlen)) < 0 ||
	    (rc = check_ports("dst_ports", r->dst_ports, r->n_dst_ports, ported, err, errlen)) < 0)
		return rc;

	if (r->icmp_type < -1 || r->icmp_type > 254)
		return js_fail(err, errlen, "\"icmp_type\" %d is out of range 0-254", r->icmp_type);
	if (r->icmp_code < -1 || r->icmp_code > 255)
		return js_fail(err, errlen, "\"icmp_code\" %d is out of range 0-255", r->icmp_code);
	if (r->icmp_code >= 0 && r->icmp_type < 0)
		return js_fail(err, errlen, "\"icmp_code\" %d needs an \"icmp_type\"", r->icmp_code);
	if (r->icmp_type >= 0 && !icmp)
		return js_fail(err, errlen, "\"icmp_type\" is only allowed with protocol icmp or icmpv6");

	if (r->ip_version != 0 && r->ip_version != 4 && r->ip_version != 6)
		return js_fail(err, errlen, "\"ip_version\" must be 4 or 6, not %d", r->ip_version);
	if (r->has_src_net && (rc = check_net("src_net", &r->src_net, err, errlen)) < 0)
		return rc;
	if (r->has_dst_net && (rc = check_net("dst_net", &r->dst_net, err, errlen)) < 0)
		return rc;
	if (r->has_src_net && r->has_dst_net && r->src_net.addr.family != r->dst_net.addr.family)
		return js_fail(err, errlen, "\"src_net\" \"%s\" and \"dst_net\" \"%s\" are of different IP versions",
			       cidr_format(&r->src_net, s), cidr_format(&r->dst_net, t));
	const struct cidr *net = r->has_src_net ? &r->src_net : r->has_dst_net ? &r->dst_net : NULL;
	const char *net_key = r->has_src_net ? "src_net" : "dst_net";
	int proto_v = proto == PROTO_ICMP ? 4 : proto == PROTO_ICMPV6 ? 6 : 0;
	if (net && proto_v && net->addr.family != proto_v)
		return js_fail(err, errlen, "\"%s\" \"%s\" is IPv%d but protocol %s is IPv%d only", net_key,
			       cidr_format(net, s), net->addr.family, proto_name(proto), proto_v);
	if (net && r->ip_version && net->addr.family != r->ip_version)
		return js_fail(err, errlen, "\"ip_version\" %d disagrees with \"%s\" \"%s\"", r->ip_version, net_key,
			       cidr_format(net, s));
	if (proto_v && r->ip_version && proto_v != r->ip_version)
		return js_fail(err, errlen, "\"ip_version\" %d disagrees with protocol %s", r->ip_version,
			       proto_name(proto));
	return 0;
}

static bool ports_equal(const struct port_range *a, size_t na, const struct port_range *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].first != b[i].first || a[i].last != b[i].last)
			return false;
	return true;
}

static bool net_equal(bool ha, const struct cidr *a, bool hb, const struct cidr *b)
{
	if (ha != hb)
		return false;
	return !ha || (a->prefix == b->prefix && ip_cmp(&a->addr, &b->addr) == 0);
}

/* Compares meaning, not bytes: unused array slots and non-canonical spellings
 * (protocol 6 vs tcp, an implied ip_version) do not make two rules differ. */
bool rule_equal(const struct rule *a, const struct rule *b)
{
	int va = a->ip_version ? a->ip_version : rule_implied_ip_version(a);
	int vb = b->ip_version ? b->ip_version : rule_implied_ip_version(b);
	return a->action == b->action && proto_canon(a) == proto_canon(b) && proto_number(a) == proto_number(b) &&
	       strcmp(a->src_tag, b->src_tag) == 0 && strcmp(a->dst_tag, b->dst_tag) == 0 &&
	       net_equal(a->has_src_net, &a->src_net, b->has_src_net, &b->src_net) &&
	       net_equal(a->has_dst_net, &a->dst_net, b->has_dst_net, &b->dst_net) &&
	       ports_equal(a->src_ports, a->n_src_ports, b->src_ports, b->n_src_ports) &&
	       ports_equal(a->dst_ports, a->n_dst_ports, b->dst_ports, b->n_dst_ports) &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code && va == vb;
}

/* ---------- JSON ---------- */

static const char *const rule_keys[] = { "action",  "protocol", "src_tag",   "src_net",   "src_ports",  "dst_tag",
					  "dst_net", "dst_ports", "icmp_type", "icmp_code", "ip_version", NULL };

static int decode_action(const json_t *obj, struct rule *r, char *err, size_t errlen)
{
	const char *s;
	char v[64];
	int rc = js_get_string(obj, "action", true, "rule", &s, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(s, "allow") == 0)
		r->action = RULE_ALLOW;
	else if (strcmp(s, "deny") == 0)
		r->action = RULE_DENY;
	else
		return js_fail(err, errlen, "invalid \"action\" value %s: expected allow or deny",
			       js_show(json_object_get(obj, "action"), v, sizeof(v)));
	return 0;
}

static int decode_protocol(const json_t *obj, struct rule *r, char *err, size_t errlen)
{
	static const char *const names[] = { "tcp", "udp", "icmp", "icmpv6" };
	static const enum rule_protocol protos[] = { PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6 };
	char v[64];
	json_t *p = json_object_get(obj, "protocol");

	if (!p)
		return 0;
	if (json_is_integer(p)) {
		json_int_t n = json_integer_value(p);
		if (n < 0 || n > 255)
			return js_fail(err, errlen, "\"protocol\" %lld is out of range 0-255", (long long)n);
		r->protocol = PROTO_NUMBER;
		r->protocol_number = (int)n;
		return 0;
	}
	if (json_is_string(p))
		for (size_t i = 0; i < 4; i++)
			if (strcmp(json_string_value(p), names[i]) == 0) {
				r->protocol = protos[i];
				return 0;
			}
	return js_fail(err, errlen, "invalid \"protocol\" value %s: expected tcp, udp, icmp, icmpv6 or a number 0-255",
		       js_show(p, v, sizeof(v)));
}

static int decode_tag(const json_t *obj, const char *key, char *out, char *err, size_t errlen)
{
	const char *s;
	char v[64];
	int rc = js_get_string(obj, key, false, "rule", &s, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (!name_is_valid(s))
		return js_fail(err, errlen, "invalid \"%s\" value %s: " TAG_RULES, key,
			       js_show(json_object_get(obj, key), v, sizeof(v)));
	strcpy(out, s);
	return 0;
}

static int decode_net(const json_t *obj, const char *key, bool *has, struct cidr *out, char *err, size_t errlen)
{
	const char *s;
	char v[64];
	int rc = js_get_string(obj, key, false, "rule", &s, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	js_show(json_object_get(obj, key), v, sizeof(v));
	/* a bare address is the /32 (/128) it names, as Calico read it */
	if (cidr_parse(s, true, false, out) == 0) {
		*has = true;
		return 0;
	}
	if (cidr_parse(s, true, true, out) == 0)
		return js_fail(err, errlen, "\"%s\" %s: host bits set", key, v);
	return js_fail(err, errlen, "invalid \"%s\" value %s: expected a CIDR such as 10.0.0.0/8", key, v);
}

static int decode_ports(const json_t *obj, const char *key, struct port_range *out, size_t *n, char *err,
			size_t errlen)
{
	json_t *arr, *e;
	size_t i;
	char v[64];
	int rc = js_get_array(obj, key, false, "rule", &arr, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (json_array_size(arr) > RULE_PORTS_MAX)
		return js_fail(err, errlen, "\"%s\" has %zu entries; at most %d are allowed", key,
			       json_array_size(arr), RULE_PORTS_MAX);
	json_array_foreach(arr, i, e) {
		js_show(e, v, sizeof(v));
		if (json_is_integer(e)) {
			json_int_t p = json_integer_value(e);
			if (p < 0 || p > 65535)
				return js_fail(err, errlen, "invalid \"%s\" value %s: ports are 0-65535", key, v);
			out[i].first = out[i].last = (uint16_t)p;
		} else if (json_is_string(e)) {
			const char *s = json_string_value(e);
			if (!strchr(s, ':'))
				return js_fail(err, errlen,
					       "invalid \"%s\" value %s: give a port as an integer, a range as \"first:last\"",
					       key, v);
			rc = port_word_parse(s, &out[i]);
			if (rc == -ERANGE)
				return js_fail(err, errlen, "invalid \"%s\" value %s: ports are 0-65535", key, v);
			if (rc == -EDOM)
				return js_fail(err, errlen, "invalid \"%s\" value %s: the first port is above the last",
					       key, v);
			if (rc < 0)
				return js_fail(err, errlen, "invalid \"%s\" value %s: expected a range \"first:last\"",
					       key, v);
		} else {
			return js_fail(err, errlen, "invalid \"%s\" value %s: expected a port number or a \"first:last\" range",
				       key, v);
		}
	}
	*n = json_array_size(arr);
	return 0;
}

int rule_from_json(const json_t *obj, struct rule *r, char *err, size_t errlen)
{
	long long n;
	int rc;
	char v[64];

	rule_init(r, RULE_ALLOW);
	if (!json_is_object(obj))
		return js_fail(err, errlen, "a rule must be an object, not %s %s", js_kind(obj),
			       js_show(obj, v, sizeof(v)));
	if ((rc = js_only_keys(obj, rule_keys, "rule", err, errlen)) < 0 ||
	    (rc = decode_action(obj, r, err, errlen)) < 0 || (rc = decode_protocol(obj, r, err, errlen)) < 0 ||
	    (rc = decode_tag(obj, "src_tag", r->src_tag, err, errlen)) < 0 ||
	    (rc = decode_net(obj, "src_net", &r->has_src_net, &r->src_net, err, errlen)) < 0 ||
	    (rc = decode_ports(obj, "src_ports", r->src_ports, &r->n_src_ports, err, errlen)) < 0 ||
	    (rc = decode_tag(obj, "dst_tag", r->dst_tag, err, errlen)) < 0 ||
	    (rc = decode_net(obj, "dst_net", &r->has_dst_net, &r->dst_net, err, errlen)) < 0 ||
	    (rc = decode_ports(obj, "dst_ports", r->dst_ports, &r->n_dst_ports, err, errlen)) < 0)
		goto fail;
	rc = js_get_int(obj, "icmp_type", false, "rule", 0, 254, &n, err, errlen);
	if (rc == 0)
		r->icmp_type = (int)n;
	else if (rc != -ENOENT)
		goto fail;
	rc = js_get_int(obj, "icmp_code", false, "rule", 0, 255, &n, err, errlen);
	if (rc == 0)
		r->icmp_code = (int)n;
	else if (rc != -ENOENT)
		goto fail;
	json_t *ipv = json_object_get(obj, "ip_version");
	if (ipv) {
		if (!json_is_integer(ipv) || (json_integer_value(ipv) != 4 && json_integer_value(ipv) != 6)) {
			rc = js_fail(err, errlen, "\"ip_version\" must be 4 or 6, not %s", js_show(ipv, v, sizeof(v)));
			goto fail;
		}
		r->ip_version = (int)json_integer_value(ipv);
	}
	if ((rc = rule_validate(r, err, errlen)) < 0)
		goto fail;
	rule_normalise(r);
	return 0;
fail:
	rule_init(r, RULE_ALLOW);
	return rc;
}

static json_t *ports_to_json(const struct port_range *p, size_t n, bool *ok)
{
	char buf[16];
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		js_append(arr, p[i].first == p[i].last ? json_integer(p[i].first)
						       : json_string(port_range_format(&p[i], buf, sizeof(buf))),
			  ok);
	return arr;
}

json_t *rule_to_json(const struct rule *r)
{
	char s[CIDR_STR_MAX];
	bool ok = true;
	json_t *o = json_object();
	enum rule_protocol proto = proto_canon(r);

	js_set(o, "action", json_string(r->action == RULE_DENY ? "deny" : "allow"), &ok);
	if (proto == PROTO_NUMBER)
		js_set(o, "protocol", json_integer(r->protocol_number), &ok);
	else if (proto != PROTO_ANY)
		js_set(o, "protocol", json_string(proto_name(proto)), &ok);
	if (r->src_tag[0])
		js_set(o, "src_tag", json_string(r->src_tag), &ok);
	if (r->has_src_net)
		js_set(o, "src_net", json_string(cidr_format(&r->src_net, s)), &ok);
	if (r->n_src_ports)
		js_set(o, "src_ports", ports_to_json(r->src_ports, r->n_src_ports, &ok), &ok);
	if (r->dst_tag[0])
		js_set(o, "dst_tag", json_string(r->dst_tag), &ok);
	if (r->has_dst_net)
		js_set(o, "dst_net", json_string(cidr_format(&r->dst_net, s)), &ok);
	if (r->n_dst_ports)
		js_set(o, "dst_ports", ports_to_json(r->dst_ports, r->n_dst_ports, &ok), &ok);
	if (r->icmp_type >= 0)
		js_set(o, "icmp_type", json_integer(r->icmp_type), &ok);
	if (r->icmp_code >= 0)
		js_set(o, "icmp_code", json_integer(r->icmp_code), &ok);
	if (r->ip_version && !rule_implied_ip_version(r))
		js_set(o, "ip_version", json_integer(r->ip_version), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int rule_decode(const char *json, struct rule *r, char *err, size_t errlen)
{
	json_t *o = js_load_object(json, err, errlen);
	if (!o) {
		rule_init(r, RULE_ALLOW);
		return -EINVAL;
	}
	int rc = rule_from_json(o, r, err, errlen);
	json_decref(o);
	return rc;
}

char *rule_encode(const struct rule *r)
{
	return js_dump(rule_to_json(r));
}
