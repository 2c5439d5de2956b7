/* v3 resources from JSON trees, strictly, as Calico's calicoctl validates
 * them (resource.h). Every message starts with the field's path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector.h"
#include "resource/resource.h"
#include "util/json_strict.h"

#define PATH_MAX_LEN 160

struct ctx {
	char *err;
	size_t errlen;
};

static int bad(struct ctx *c, const char *path, const json_t *v, const char *why)
{
	char shown[96];
	if (v)
		return js_fail(c->err, c->errlen, "%s: %s %s", path, js_show(v, shown, sizeof(shown)), why);
	return js_fail(c->err, c->errlen, "%s: %s", path, why);
}

static void sub(char out[PATH_MAX_LEN], const char *path, const char *field)
{
	snprintf(out, PATH_MAX_LEN, "%s%s%s", path, *path ? "." : "", field);
}

static void elem(char out[PATH_MAX_LEN], const char *path, size_t i)
{
	snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, i);
}

/* Refuses fields outside allowed; the ones in unsupported get "is not supported yet" and why. */
static int only_fields(struct ctx *c, const json_t *obj, const char *path, const char *const *allowed,
		       const char *const *unsupported, const char *unsupported_why)
{
	const char *key;
	json_t *v;
	char p[PATH_MAX_LEN];

	if (!json_is_object(obj))
		return bad(c, path, obj, "must be a mapping");
	json_object_foreach((json_t *)obj, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (ok)
			continue;
		sub(p, path, key);
		for (const char *const *u = unsupported; u && *u; u++)
			if (strcmp(*u, key) == 0)
				return js_fail(c->err, c->errlen, "%s: is not supported yet (%s)", p, unsupported_why);
		return js_fail(c->err, c->errlen, "%s: unknown field", p);
	}
	return 0;
}

static int get_string(struct ctx *c, const json_t *obj, const char *key, const char *path, char **out)
{
	json_t *v = json_object_get(obj, key);
	char p[PATH_MAX_LEN];
	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	if (!json_is_string(v))
		return bad(c, p, v, "must be a string (quote it in YAML)");
	return (*out = strdup(json_string_value(v))) ? 0 : -ENOMEM;
}

static int get_number(struct ctx *c, const json_t *obj, const char *key, const char *path, bool *has, double *out)
{
	json_t *v = json_object_get(obj, key);
	char p[PATH_MAX_LEN];
	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	if (!json_is_number(v))
		return bad(c, p, v, "must be a number");
	*has = true;
	*out = json_number_value(v);
	return 0;
}

/* A mapping of strings; labels also need Kubernetes' syntax for keys and values. */
static int get_map(struct ctx *c, const json_t *obj, const char *key, const char *path, bool labels,
		   struct v3_map *out)
{
	json_t *v = json_object_get(obj, key), *val;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	const char *k;
	size_t n, i = 0;

	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	if (!json_is_object(v))
		return bad(c, p, v, "must be a mapping of strings");
	n = json_object_size(v);
	if (!n)
		return 0;
	if (!(out->keys = calloc(n, sizeof(char *))) || !(out->values = calloc(n, sizeof(char *))))
		return -ENOMEM;
	json_object_foreach(v, k, val)
	{
		sub(q, p, k);
		if (!json_is_string(val))
			return bad(c, q, val, "must be a string (quote it in YAML)");
		if (labels && !v3_label_key_valid(k))
			return js_fail(c->err, c->errlen,
				       "%s: \"%.63s\" is not a valid label key (an optional DNS prefix and '/', then 1-63 "
				       "letters, digits, '.', '_' or '-', beginning and ending with a letter or digit)",
				       p, k);
		if (labels && !v3_label_value_valid(json_string_value(val)))
			return bad(c, q, val, "is not a valid label value (empty, or 1-63 letters, digits, '.', '_' or "
					      "'-', beginning and ending with a letter or digit)");
		if (!(out->keys[i] = strdup(k)) || !(out->values[i] = strdup(json_string_value(val)))) {
			out->n = i + 1;
			return -ENOMEM;
		}
		out->n = ++i;
	}
	/* sorted by key, so lookups are binary searches and output is stable */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(out->keys[b - 1], out->keys[b]) > 0; b--) {
			char *t = out->keys[b];
			out->keys[b] = out->keys[b - 1];
			out->keys[b - 1] = t;
			t = out->values[b];
			out->values[b] = out->values[b - 1];
			out->values[b - 1] = t;
		}
	return 0;
}

static int get_selector(struct ctx *c, const json_t *obj, const char *key, const char *path, char **out)
{
	char p[PATH_MAX_LEN], msg[256];
	struct selector *sel = NULL;
	int rc = get_string(c, obj, key, path, out);

	if (rc < 0 || !*out)
		return rc;
	sub(p, path, key);
	if ((rc = selector_parse(*out, &sel, msg, sizeof(msg))) < 0)
		return rc == -ENOMEM ? rc : js_fail(c->err, c->errlen, "%s: %s", p, msg);
	selector_free(sel);
	return 0;
}

/* One list field: absent or null is an empty list; anything but a list is
 * refused as `what`; each element goes through decode into its slot of a
 * new array of elem_size bytes (*out, owned by the caller's resource even when
 * an element is refused: *n counts the slots already filled). */
typedef int (*elem_decoder)(struct ctx *c, const json_t *item, const char *path, void *slot);

static int get_list(struct ctx *c, const json_t *obj, const char *key, const char *path, const char *what,
		    size_t elem_size, elem_decoder decode, void **out, size_t *n)
{
	json_t *v = json_object_get(obj, key), *item;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	size_t i;
	int rc;

	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	if (!json_is_array(v))
		return bad(c, p, v, what);
	if (!json_array_size(v))
		return 0;
	if (!(*out = calloc(json_array_size(v), elem_size)))
		return -ENOMEM;
	json_array_foreach(v, i, item)
	{
		elem(q, p, i);
		if ((rc = decode(c, item, q, (char *)*out + i * elem_size)) < 0)
			return rc;
		*n = i + 1;
	}
	return 0;
}

static int decode_net(struct ctx *c, const json_t *item, const char *path, void *slot)
{
	if (!json_is_string(item) || cidr_parse(json_string_value(item), true, true, slot) < 0)
		return bad(c, path, item, "is not a CIDR or an IP address");
	return 0;
}

static int get_nets(struct ctx *c, const json_t *obj, const char *key, const char *path, struct cidr **out,
		    size_t *n)
{
	return get_list(c, obj, key, path, "must be a list of CIDRs", sizeof(**out), decode_net, (void **)out, n);
}

static int parse_port_text(const char *s, struct v3_port *p)
{
	char *end;
	unsigned long a, b;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == ':') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	p->first = (uint16_t)a;
	p->last = (uint16_t)b;
	return 0;
}

static int decode_port(struct ctx *c, const json_t *item, const char *path, void *slot)
{
	struct v3_port *port = slot;

	if (json_is_integer(item)) {
		json_int_t x = json_integer_value(item);
		if (x < 0 || x > 65535)
			return bad(c, path, item, "is not a port (0-65535)");
		port->first = port->last = (uint16_t)x;
		return 0;
	}
	if (!json_is_string(item))
		return bad(c, path, item, "is not a port or a range \"first:last\"");
	const char *s = json_string_value(item);
	if (parse_port_text(s, port) == 0)
		return 0;
	if (*s && strspn(s, "0123456789:") != strlen(s))
		return bad(c, path, item, "is a named port, which is not supported yet: give the number");
	return bad(c, path, item, "is not a port or a range \"first:last\" (0-65535, first <= last)");
}

static int get_ports(struct ctx *c, const json_t *obj, const char *key, const char *path, struct v3_port **out,
		     size_t *n)
{
	return get_list(c, obj, key, path, "must be a list of ports", sizeof(**out), decode_port, (void **)out, n);
}

static const struct {
	const char *name;
	uint8_t number;
	bool ports;
} protocols[] = {
	{ "TCP", 6, true },   { "UDP", 17, true },     { "ICMP", 1, false },
	{ "ICMPv6", 58, false }, { "SCTP", 132, true }, { "UDPLite", 136, true },
};

static int get_protocol(struct ctx *c, const json_t *obj, const char *key, const char *path, struct v3_protocol *out)
{
	json_t *v = json_object_get(obj, key);
	char p[PATH_MAX_LEN];

	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	out->set = true;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 1 || json_integer_value(v) > 255)
			return bad(c, p, v, "is not a protocol number 1-255");
		out->number = (uint8_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
			if (strcmp(json_string_value(v), protocols[i].name) == 0) {
				snprintf(out->name, sizeof(out->name), "%s", protocols[i].name);
				out->number = protocols[i].number;
				return 0;
			}
	return bad(c, p, v, "is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255");
}

static bool protocol_has_ports(const struct v3_protocol *pr)
{
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (protocols[i].number == pr->number)
			return protocols[i].ports;
	return false;
}

static int get_icmp(struct ctx *c, const json_t *obj, const char *key, const char *path, struct v3_icmp *out)
{
	static const char *const fields[] = { "type", "code", NULL };
	json_t *v = json_object_get(obj, key), *t, *k;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	int rc;

	out->type = out->code = -1;
	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	if ((rc = only_fields(c, v, p, fields, NULL, NULL)) < 0)
		return rc;
	out->set = true;
	if ((t = json_object_get(v, "type")) && !json_is_null(t)) {
		sub(q, p, "type");
		if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > 254)
			return bad(c, q, t, "is not an ICMP type 0-254");
		out->type = (int)json_integer_value(t);
	}
	if ((k = json_object_get(v, "code")) && !json_is_null(k)) {
		sub(q, p, "code");
		if (!json_is_integer(k) || json_integer_value(k) < 0 || json_integer_value(k) > 255)
			return bad(c, q, k, "is not an ICMP code 0-255");
		if (out->type < 0)
			return js_fail(c->err, c->errlen, "%s: an ICMP code needs a type", q);
		out->code = (int)json_integer_value(k);
	}
	return 0;
}

static int decode_entity(struct ctx *c, const json_t *obj, const char *path, struct v3_entity *e)
{
	static const char *const fields[] = { "nets",	  "notNets",  "selector", "notSelector", "namespaceSelector",
					      "ports",	  "notPorts", NULL };
	static const char *const unsupported[] = { "serviceAccounts", "services", NULL };
	int rc;

	if (!obj || json_is_null(obj))
		return 0;
	if ((rc = only_fields(c, obj, path, fields, unsupported, "service accounts and services are Kubernetes'")) < 0 ||
	    (rc = get_nets(c, obj, "nets", path, &e->nets, &e->n_nets)) < 0 ||
	    (rc = get_nets(c, obj, "notNets", path, &e->not_nets, &e->n_not_nets)) < 0 ||
	    (rc = get_selector(c, obj, "selector", path, &e->selector)) < 0 ||
	    (rc = get_selector(c, obj, "notSelector", path, &e->not_selector)) < 0 ||
	    (rc = get_selector(c, obj, "namespaceSelector", path, &e->namespace_selector)) < 0 ||
	    (rc = get_ports(c, obj, "ports", path, &e->ports, &e->n_ports)) < 0 ||
	    (rc = get_ports(c, obj, "notPorts", path, &e->not_ports, &e->n_not_ports)) < 0)
		return rc;
	return 0;
}

static int nets_family_check(struct ctx *c, const char *path, const char *field, const struct cidr *nets, size_t n,
			     int ip_version)
{
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN], text[CIDR_STR_MAX];
	for (size_t i = 0; ip_version && i < n; i++)
		if (nets[i].addr.family != ip_version) {
			sub(p, path, field);
			elem(q, p, i);
			return js_fail(c->err, c->errlen, "%s: \"%s\" is not an IPv%d network, as ipVersion says", q,
				       cidr_format(&nets[i], text), ip_version);
		}
	return 0;
}

static int decode_rule(struct ctx *c, const json_t *obj, const char *path, struct v3_rule *r)
{
	static const char *const fields[] = { "action", "ipVersion", "protocol", "notProtocol", "icmp", "notICMP",
					      "source", "destination", "metadata", NULL };
	static const char *const unsupported[] = { "http", NULL };
	static const char *const meta_fields[] = { "annotations", NULL };
	char p[PATH_MAX_LEN];
	json_t *v;
	int rc;

	if ((rc = only_fields(c, obj, path, fields, unsupported, "HTTP match needs an application layer proxy")) < 0)
		return rc;
	v = json_object_get(obj, "action");
	sub(p, path, "action");
	if (!v)
		return js_fail(c->err, c->errlen, "%s: missing (Allow, Deny, Pass or Log)", p);
	const char *a = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(a, "Allow") == 0)
		r->action = V3_ALLOW;
	else if (strcmp(a, "Deny") == 0)
		r->action = V3_DENY;
	else if (strcmp(a, "Pass") == 0)
		r->action = V3_PASS;
	else if (strcmp(a, "Log") == 0)
		r->action = V3_LOG;
	else
		return bad(c, p, v, "is not one of Allow, Deny, Pass, Log");
	if ((v = json_object_get(obj, "ipVersion")) && !json_is_null(v)) {
		sub(p, path, "ipVersion");
		if (!json_is_integer(v) || (json_integer_value(v) != 4 && json_integer_value(v) != 6))
			return bad(c, p, v, "must be 4 or 6");
		r->ip_version = (int)json_integer_value(v);
	}
	if ((rc = get_protocol(c, obj, "protocol", path, &r->protocol)) < 0 ||
	    (rc = get_protocol(c, obj, "notProtocol", path, &r->not_protocol)) < 0 ||
	    (rc = get_icmp(c, obj, "icmp", path, &r->icmp)) < 0 ||
	    (rc = get_icmp(c, obj, "notICMP", path, &r->not_icmp)) < 0)
		return rc;
	sub(p, path, "source");
	if ((rc = decode_entity(c, json_object_get(obj, "source"), p, &r->source)) < 0)
		return rc;
	sub(p, path, "destination");
	if ((rc = decode_entity(c, json_object_get(obj, "destination"), p, &r->destination)) < 0)
		return rc;
	if ((v = json_object_get(obj, "metadata")) && !json_is_null(v)) {
		sub(p, path, "metadata");
		if ((rc = only_fields(c, v, p, meta_fields, NULL, NULL)) < 0 ||
		    (rc = get_map(c, v, "annotations", p, false, &r->annotations)) < 0)
			return rc;
	}

	/* cross-field checks, as Calico's validator */
	for (int d = 0; d < 2; d++) {
		const struct v3_entity *e = d ? &r->destination : &r->source;
		char ep[PATH_MAX_LEN];
		sub(ep, path, d ? "destination" : "source");
		if ((e->n_ports || e->n_not_ports) && !(r->protocol.set && protocol_has_ports(&r->protocol))) {
			sub(p, ep, e->n_ports ? "ports" : "notPorts");
			return js_fail(c->err, c->errlen, "%s: needs protocol TCP, UDP, SCTP or UDPLite", p);
		}
		if ((rc = nets_family_check(c, ep, "nets", e->nets, e->n_nets, r->ip_version)) < 0 ||
		    (rc = nets_family_check(c, ep, "notNets", e->not_nets, e->n_not_nets, r->ip_version)) < 0)
			return rc;
	}
	for (int n = 0; n < 2; n++) {
		const struct v3_icmp *ic = n ? &r->not_icmp : &r->icmp;
		if (!ic->set)
			continue;
		sub(p, path, n ? "notICMP" : "icmp");
		if (!r->protocol.set || (r->protocol.number != 1 && r->protocol.number != 58))
			return js_fail(c->err, c->errlen, "%s: needs protocol ICMP or ICMPv6", p);
		if (r->ip_version && r->ip_version != (r->protocol.number == 1 ? 4 : 6))
			return js_fail(c->err, c->errlen, "%s: protocol %s does not go with ipVersion %d", p,
				       r->protocol.number == 1 ? "ICMP" : "ICMPv6", r->ip_version);
	}
	return 0;
}

static int decode_rules(struct ctx *c, const json_t *obj, const char *key, const char *path, struct v3_rules *out)
{
	json_t *v = json_object_get(obj, key), *item;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	size_t i;
	int rc;

	if (!v || json_is_null(v))
		return 0;
	sub(p, path, key);
	if (!json_is_array(v))
		return bad(c, p, v, "must be a list of rules");
	if (!json_array_size(v))
		return 0;
	if (!(out->items = calloc(json_array_size(v), sizeof(*out->items))))
		return -ENOMEM;
	json_array_foreach(v, i, item)
	{
		elem(q, p, i);
		out->n = i + 1;
		out->items[i].icmp.type = out->items[i].icmp.code = -1;
		out->items[i].not_icmp.type = out->items[i].not_icmp.code = -1;
		if ((rc = decode_rule(c, item, q, &out->items[i])) < 0)
			return rc;
	}
	return 0;
}

static int decode_types(struct ctx *c, const json_t *spec, struct v3_policy *p)
{
	json_t *v = json_object_get(spec, "types"), *item;
	char q[PATH_MAX_LEN];
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(c, "spec.types", v, "must be a list of Ingress and Egress");
	p->types_given = true;
	json_array_foreach(v, i, item)
	{
		unsigned t = 0;
		elem(q, "spec.types", i);
		if (json_is_string(item) && strcmp(json_string_value(item), "Ingress") == 0)
			t = V3_TYPE_INGRESS;
		else if (json_is_string(item) && strcmp(json_string_value(item), "Egress") == 0)
			t = V3_TYPE_EGRESS;
		else
			return bad(c, q, item, "is not Ingress or Egress");
		if (p->types & t)
			return bad(c, q, item, "is listed twice");
		p->types |= t;
	}
	return 0;
}

static int decode_policy(struct ctx *c, const json_t *spec, bool global, const char *name, struct v3_policy *p)
{
	static const char *const gnp_fields[] = { "tier", "order", "selector", "namespaceSelector", "types",
						  "ingress", "egress", NULL };
	static const char *const np_fields[] = { "tier", "order", "selector", "types", "ingress", "egress", NULL };
	static const char *const unsupported[] = { "doNotTrack", "preDNAT", "applyOnForward", "serviceAccountSelector",
						   "performanceHints", NULL };
	int rc;

	if ((rc = only_fields(c, spec, "spec", global ? gnp_fields : np_fields, unsupported,
			      "host endpoints and service accounts are not part of calico-c")) < 0 ||
	    (rc = get_string(c, spec, "tier", "spec", &p->tier)) < 0 ||
	    (rc = get_number(c, spec, "order", "spec", &p->has_order, &p->order)) < 0 ||
	    (rc = get_selector(c, spec, "selector", "spec", &p->selector)) < 0 ||
	    (global && (rc = get_selector(c, spec, "namespaceSelector", "spec", &p->namespace_selector)) < 0) ||
	    (rc = decode_types(c, spec, p)) < 0 || (rc = decode_rules(c, spec, "ingress", "spec", &p->ingress)) < 0 ||
	    (rc = decode_rules(c, spec, "egress", "spec", &p->egress)) < 0)
		return rc;
	if (p->tier && !v3_name_valid(p->tier))
		return js_fail(c->err, c->errlen, "spec.tier: \"%.64s\" is not a valid tier name", p->tier);
	/* "<tier>.<name>": the prefix, when there is one, names the policy's tier */
	const char *dot = strchr(name, '.');
	const char *tier = v3_policy_tier(p);
	if (dot && (strlen(tier) != (size_t)(dot - name) || strncmp(name, tier, strlen(tier)) != 0))
		return js_fail(c->err, c->errlen,
			       "metadata.name: \"%.64s\" has the tier prefix \"%.*s\" but spec.tier is \"%.64s\"", name,
			       (int)(dot - name), name, tier);
	return 0;
}

static int decode_tier(struct ctx *c, const json_t *spec, struct v3_tier *t)
{
	static const char *const fields[] = { "order", "defaultAction", NULL };
	json_t *v;
	int rc;

	if ((rc = only_fields(c, spec, "spec", fields, NULL, NULL)) < 0 ||
	    (rc = get_number(c, spec, "order", "spec", &t->has_order, &t->order)) < 0)
		return rc;
	if ((v = json_object_get(spec, "defaultAction")) && !json_is_null(v)) {
		t->default_action_given = true;
		if (json_is_string(v) && strcmp(json_string_value(v), "Deny") == 0)
			t->default_action = V3_DEFAULT_DENY;
		else if (json_is_string(v) && strcmp(json_string_value(v), "Pass") == 0)
			t->default_action = V3_DEFAULT_PASS;
		else
			return bad(c, "spec.defaultAction", v, "is not Deny or Pass");
	}
	return 0;
}

static int decode_netset(struct ctx *c, const json_t *spec, struct v3_netset *s)
{
	static const char *const fields[] = { "nets", "allowedEgressDomains", NULL };
	int rc;
	if ((rc = only_fields(c, spec, "spec", fields, NULL, NULL)) < 0)
		return rc;
	json_t *d = json_object_get(spec, "allowedEgressDomains");
	if (d && !json_is_null(d) && !(json_is_array(d) && json_array_size(d) == 0))
		return js_fail(c->err, c->errlen, "spec.allowedEgressDomains: is not supported yet (no DNS policy)");
	return get_nets(c, spec, "nets", "spec", &s->nets, &s->n_nets);
}

static int decode_profile(struct ctx *c, const json_t *spec, struct v3_profile *p)
{
	static const char *const fields[] = { "ingress", "egress", "labelsToApply", NULL };
	int rc;
	if ((rc = only_fields(c, spec, "spec", fields, NULL, NULL)) < 0 ||
	    (rc = decode_rules(c, spec, "ingress", "spec", &p->ingress)) < 0 ||
	    (rc = decode_rules(c, spec, "egress", "spec", &p->egress)) < 0 ||
	    (rc = get_map(c, spec, "labelsToApply", "spec", true, &p->labels_to_apply)) < 0)
		return rc;
	return 0;
}

static int decode_metadata(struct ctx *c, const json_t *meta, const struct v3_kind_info *k, struct v3_metadata *m)
{
	static const char *const fields[] = { "name",	   "namespace",		"labels",     "annotations",
					      "resourceVersion", "uid", "creationTimestamp", "generation", NULL };
	int rc;

	if (!meta)
		return js_fail(c->err, c->errlen, "metadata: missing");
	if ((rc = only_fields(c, meta, "metadata", fields, NULL, NULL)) < 0 ||
	    (rc = get_string(c, meta, "name", "metadata", &m->name)) < 0 ||
	    (rc = get_string(c, meta, "namespace", "metadata", &m->namespace_)) < 0 ||
	    (rc = get_string(c, meta, "resourceVersion", "metadata", &m->resource_version)) < 0 ||
	    (rc = get_string(c, meta, "uid", "metadata", &m->uid)) < 0 ||
	    (rc = get_string(c, meta, "creationTimestamp", "metadata", &m->creation_timestamp)) < 0 ||
	    (rc = get_map(c, meta, "labels", "metadata", true, &m->labels)) < 0 ||
	    (rc = get_map(c, meta, "annotations", "metadata", false, &m->annotations)) < 0)
		return rc;
	if (!m->name || !*m->name)
		return js_fail(c->err, c->errlen, "metadata.name: missing");
	if (!v3_name_valid(m->name))
		return js_fail(c->err, c->errlen,
			       "metadata.name: \"%.64s\" is not a valid name (lower-case letters, digits, '-' and '.', "
			       "at most 253)",
			       m->name);
	if (m->namespace_ && !k->namespaced)
		return js_fail(c->err, c->errlen, "metadata.namespace: a %s is not namespaced", k->name);
	if (m->namespace_ && !v3_name_valid(m->namespace_))
		return js_fail(c->err, c->errlen, "metadata.namespace: \"%.64s\" is not a valid namespace name",
			       m->namespace_);
	return 0;
}

int v3_decode(const json_t *tree, struct v3_resource *out, char *err, size_t errlen)
{
	static const char *const fields[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	struct ctx c = { err, errlen };
	const struct v3_kind_info *k;
	json_t *v, *spec;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(tree))
		return bad(&c, "resource", tree, "must be a mapping with apiVersion, kind, metadata and spec");
	v = json_object_get(tree, "kind");
	if (!v || !json_is_string(v))
		return js_fail(err, errlen, "kind: missing");
	if (!(k = v3_kind_lookup(json_string_value(v))) || strcmp(k->name, json_string_value(v)) != 0)
		return bad(&c, "kind", v, "is not a resource kind calico-c knows");
	if (k->view)
		return js_fail(err, errlen, "kind: %s is read-only here: %s", k->name, k->view);
	v = json_object_get(tree, "apiVersion");
	if (!v || !json_is_string(v) || strcmp(json_string_value(v), V3_API_VERSION) != 0)
		return v ? bad(&c, "apiVersion", v, "must be " V3_API_VERSION)
			 : js_fail(err, errlen, "apiVersion: missing (" V3_API_VERSION ")");
	if ((rc = only_fields(&c, tree, "", fields, NULL, NULL)) < 0)
		return rc;
	out->kind = k->kind;
	if ((rc = decode_metadata(&c, json_object_get(tree, "metadata"), k, &out->meta)) < 0)
		goto fail;
	spec = json_object_get(tree, "spec");
	if (!spec || json_is_null(spec))
		spec = NULL;
	json_t *empty = spec ? NULL : json_object();
	const json_t *s = spec ? spec : empty;
	if (!s) {
		rc = -ENOMEM;
		goto fail;
	}
	switch (k->kind) {
	case V3_TIER:
		rc = decode_tier(&c, s, &out->spec.tier);
		break;
	case V3_GLOBAL_NETWORK_POLICY:
	case V3_NETWORK_POLICY:
		rc = decode_policy(&c, s, k->kind == V3_GLOBAL_NETWORK_POLICY, out->meta.name, &out->spec.policy);
		break;
	case V3_GLOBAL_NETWORK_SET:
	case V3_NETWORK_SET:
		rc = decode_netset(&c, s, &out->spec.netset);
		break;
	case V3_PROFILE:
		rc = decode_profile(&c, s, &out->spec.profile);
		break;
	default:
		rc = -EINVAL;
	}
	json_decref(empty);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	if (rc == -ENOMEM)
		js_fail(err, errlen, "out of memory");
	v3_resource_free(out);
	return rc;
}
