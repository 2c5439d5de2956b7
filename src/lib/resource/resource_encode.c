/* v3 resources to JSON trees in Calico's field order (resource.h). The tier
 * and the types of a policy are always written, defaulted as Calico's API
 * defaults them, so what is stored and shown is what applies, and applying
 * the output again changes nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resource/resource.h"
#include "util/json_strict.h"

static json_t *number(double d)
{
	if (d == floor(d) && fabs(d) < 9e15)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *map_json(const struct v3_map *m, bool *ok)
{
	json_t *o = json_object();
	if (!o)
		*ok = false;
	for (size_t i = 0; o && i < m->n; i++)
		js_set(o, m->keys[i], json_string(m->values[i]), ok);
	return o;
}

static json_t *nets_json(const struct cidr *nets, size_t n, bool *ok)
{
	json_t *a = json_array();
	char text[CIDR_STR_MAX];
	if (!a)
		*ok = false;
	for (size_t i = 0; a && i < n; i++)
		js_append(a, json_string(cidr_format(&nets[i], text)), ok);
	return a;
}

static json_t *ports_json(const struct v3_port *ports, size_t n, bool *ok)
{
	json_t *a = json_array();
	char text[16];
	if (!a)
		*ok = false;
	for (size_t i = 0; a && i < n; i++) {
		if (ports[i].first == ports[i].last) {
			js_append(a, json_integer(ports[i].first), ok);
		} else {
			snprintf(text, sizeof(text), "%u:%u", ports[i].first, ports[i].last);
			js_append(a, json_string(text), ok);
		}
	}
	return a;
}

static json_t *entity_json(const struct v3_entity *e, bool *ok)
{
	json_t *o = json_object();
	if (!o) {
		*ok = false;
		return NULL;
	}
	if (e->n_nets)
		js_set(o, "nets", nets_json(e->nets, e->n_nets, ok), ok);
	if (e->selector)
		js_set(o, "selector", json_string(e->selector), ok);
	if (e->namespace_selector)
		js_set(o, "namespaceSelector", json_string(e->namespace_selector), ok);
	if (e->n_ports)
		js_set(o, "ports", ports_json(e->ports, e->n_ports, ok), ok);
	if (e->n_not_nets)
		js_set(o, "notNets", nets_json(e->not_nets, e->n_not_nets, ok), ok);
	if (e->not_selector)
		js_set(o, "notSelector", json_string(e->not_selector), ok);
	if (e->n_not_ports)
		js_set(o, "notPorts", ports_json(e->not_ports, e->n_not_ports, ok), ok);
	return o;
}

static json_t *protocol_json(const struct v3_protocol *p)
{
	return p->name[0] ? json_string(p->name) : json_integer(p->number);
}

static json_t *icmp_json(const struct v3_icmp *ic, bool *ok)
{
	json_t *o = json_object();
	if (!o)
		*ok = false;
	if (o && ic->type >= 0)
		js_set(o, "type", json_integer(ic->type), ok);
	if (o && ic->code >= 0)
		js_set(o, "code", json_integer(ic->code), ok);
	return o;
}

static const char *const action_names[] = { "Allow", "Deny", "Pass", "Log" };

static json_t *rules_json(const struct v3_rules *rs, bool *ok)
{
	json_t *a = json_array();
	if (!a) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < rs->n && *ok; i++) {
		const struct v3_rule *r = &rs->items[i];
		json_t *o = json_object();
		if (!o) {
			*ok = false;
			break;
		}
		js_set(o, "action", json_string(action_names[r->action]), ok);
		if (r->ip_version)
			js_set(o, "ipVersion", json_integer(r->ip_version), ok);
		if (r->protocol.set)
			js_set(o, "protocol", protocol_json(&r->protocol), ok);
		if (r->icmp.set)
			js_set(o, "icmp", icmp_json(&r->icmp, ok), ok);
		if (r->not_protocol.set)
			js_set(o, "notProtocol", protocol_json(&r->not_protocol), ok);
		if (r->not_icmp.set)
			js_set(o, "notICMP", icmp_json(&r->not_icmp, ok), ok);
		js_set(o, "source", entity_json(&r->source, ok), ok);
		js_set(o, "destination", entity_json(&r->destination, ok), ok);
		if (r->annotations.n) {
			json_t *m = json_object();
			if (!m)
				*ok = false;
			else
				js_set(m, "annotations", map_json(&r->annotations, ok), ok);
			js_set(o, "metadata", m, ok);
		}
		js_append(a, o, ok);
	}
	return a;
}

static json_t *policy_json(const struct v3_policy *p, bool global, bool *ok)
{
	json_t *o = json_object();
	unsigned types = v3_policy_types(p);
	if (!o) {
		*ok = false;
		return NULL;
	}
	js_set(o, "tier", json_string(v3_policy_tier(p)), ok);
	if (p->has_order)
		js_set(o, "order", number(p->order), ok);
	if (p->ingress.n)
		js_set(o, "ingress", rules_json(&p->ingress, ok), ok);
	if (p->egress.n)
		js_set(o, "egress", rules_json(&p->egress, ok), ok);
	js_set(o, "selector", json_string(p->selector ? p->selector : "all()"), ok);
	json_t *t = json_array();
	if (!t)
		*ok = false;
	if (t && (types & V3_TYPE_INGRESS))
		js_append(t, json_string("Ingress"), ok);
	if (t && (types & V3_TYPE_EGRESS))
		js_append(t, json_string("Egress"), ok);
	js_set(o, "types", t, ok);
	if (global && p->namespace_selector)
		js_set(o, "namespaceSelector", json_string(p->namespace_selector), ok);
	return o;
}

static json_t *strings_json(char *const *v, size_t n, bool *ok)
{
	json_t *a = json_array();
	if (!a)
		*ok = false;
	for (size_t i = 0; a && i < n; i++)
		js_append(a, json_string(v[i]), ok);
	return a;
}

/* The fields that are set, in the order of Calico's FelixConfigurationSpec. */
static void felix_json(json_t *o, const struct v3_felix_configuration *c, bool *ok)
{
	char text[32];
	for (size_t i = 0; i < V3_FELIX_FIELD_COUNT; i++) {
		const struct v3_felix_value *v = &c->fields[i];
		const struct v3_felix_field_info *f = v3_felix_field_info((enum v3_felix_field)i);
		if (!v->set)
			continue;
		switch (f->type) {
		case V3_FELIX_STRING: js_set(o, f->name, json_string(v->text), ok); break;
		case V3_FELIX_BOOL: js_set(o, f->name, json_boolean(v->flag), ok); break;
		case V3_FELIX_INT: js_set(o, f->name, json_integer(v->number), ok); break;
		case V3_FELIX_DURATION:
			v3_duration_format(v->number, text, sizeof(text));
			js_set(o, f->name, json_string(text), ok);
			break;
		}
	}
}

/* The views, in the order of Calico's Go structs. */
static json_t *view_json(const struct v3_resource *r, bool *ok)
{
	json_t *o = json_object(), *bgp;
	char text[CIDR_STR_MAX];
	if (!o) {
		*ok = false;
		return NULL;
	}
	switch (r->kind) {
	case V3_WORKLOAD_ENDPOINT: {
		const struct v3_workload_endpoint *w = &r->spec.wep;
		js_set(o, "orchestrator", json_string(w->orchestrator), ok);
		js_set(o, "workload", json_string(w->workload), ok);
		js_set(o, "node", json_string(w->node), ok);
		js_set(o, "endpoint", json_string(w->endpoint), ok);
		js_set(o, "ipNetworks", nets_json(w->ip_networks, w->n_ip_networks, ok), ok);
		js_set(o, "profiles", strings_json(w->profiles, w->n_profiles, ok), ok);
		js_set(o, "interfaceName", json_string(w->interface_name), ok);
		if (w->mac)
			js_set(o, "mac", json_string(w->mac), ok);
		break;
	}
	case V3_IP_POOL: {
		const struct v3_ip_pool *p = &r->spec.pool;
		js_set(o, "cidr", json_string(cidr_format(&p->cidr, text)), ok);
		js_set(o, "vxlanMode", json_string(p->vxlan ? "Always" : "Never"), ok);
		js_set(o, "ipipMode", json_string(p->ipip ? "Always" : "Never"), ok);
		js_set(o, "natOutgoing", json_boolean(p->nat_outgoing), ok);
		if (p->disabled)
			js_set(o, "disabled", json_true(), ok);
		js_set(o, "blockSize", json_integer(p->block_size), ok);
		js_set(o, "nodeSelector", json_string("all()"), ok); /* a 2016 pool serves every node */
		break;
	}
	case V3_BGP_PEER:
		if (r->spec.peer.node)
			js_set(o, "node", json_string(r->spec.peer.node), ok);
		js_set(o, "peerIP", json_string(ip_format(&r->spec.peer.peer_ip, text)), ok);
		js_set(o, "asNumber", json_integer(r->spec.peer.as_number), ok);
		break;
	case V3_BGP_CONFIGURATION:
		if (r->spec.bgp.has_mesh)
			js_set(o, "nodeToNodeMeshEnabled", json_boolean(r->spec.bgp.node_to_node_mesh), ok);
		if (r->spec.bgp.has_as_number)
			js_set(o, "asNumber", json_integer(r->spec.bgp.as_number), ok);
		break;
	case V3_NODE:
		if (!(bgp = json_object())) {
			*ok = false;
			break;
		}
		if (r->spec.node.has_as_number)
			js_set(bgp, "asNumber", json_integer(r->spec.node.as_number), ok);
		if (r->spec.node.ipv4_address)
			js_set(bgp, "ipv4Address", json_string(r->spec.node.ipv4_address), ok);
		if (r->spec.node.ipv6_address)
			js_set(bgp, "ipv6Address", json_string(r->spec.node.ipv6_address), ok);
		js_set(o, "bgp", bgp, ok);
		break;
	case V3_FELIX_CONFIGURATION:
		felix_json(o, &r->spec.felix, ok);
		break;
	default:
		break;
	}
	return o;
}

static json_t *spec_json(const struct v3_resource *r, bool *ok)
{
	json_t *o;
	switch (r->kind) {
	case V3_TIER:
		if (!(o = json_object()))
			break;
		if (r->spec.tier.has_order)
			js_set(o, "order", number(r->spec.tier.order), ok);
		js_set(o, "defaultAction",
		       json_string(r->spec.tier.default_action == V3_DEFAULT_PASS ? "Pass" : "Deny"), ok);
		return o;
	case V3_GLOBAL_NETWORK_POLICY:
	case V3_NETWORK_POLICY:
		return policy_json(&r->spec.policy, r->kind == V3_GLOBAL_NETWORK_POLICY, ok);
	case V3_GLOBAL_NETWORK_SET:
	case V3_NETWORK_SET:
		if (!(o = json_object()))
			break;
		js_set(o, "nets", nets_json(r->spec.netset.nets, r->spec.netset.n_nets, ok), ok);
		return o;
	case V3_PROFILE:
		if (!(o = json_object()))
			break;
		if (r->spec.profile.ingress.n)
			js_set(o, "ingress", rules_json(&r->spec.profile.ingress, ok), ok);
		if (r->spec.profile.egress.n)
			js_set(o, "egress", rules_json(&r->spec.profile.egress, ok), ok);
		if (r->spec.profile.labels_to_apply.n)
			js_set(o, "labelsToApply", map_json(&r->spec.profile.labels_to_apply, ok), ok);
		return o;
	case V3_WORKLOAD_ENDPOINT:
	case V3_IP_POOL:
	case V3_BGP_PEER:
	case V3_BGP_CONFIGURATION:
	case V3_NODE:
	case V3_FELIX_CONFIGURATION:
		return view_json(r, ok);
	default:
		return json_object();
	}
	*ok = false;
	return NULL;
}

json_t *v3_encode(const struct v3_resource *r)
{
	const struct v3_kind_info *k = v3_kind_info(r->kind);
	const struct v3_metadata *m = &r->meta;
	json_t *o = json_object(), *meta = json_object();
	bool ok = o && meta && k;

	if (!ok) {
		json_decref(o);
		json_decref(meta);
		return NULL;
	}
	js_set(o, "apiVersion", json_string(V3_API_VERSION), &ok);
	js_set(o, "kind", json_string(k->name), &ok);
	js_set(meta, "name", json_string(m->name ? m->name : ""), &ok);
	if (m->namespace_)
		js_set(meta, "namespace", json_string(m->namespace_), &ok);
	if (m->uid)
		js_set(meta, "uid", json_string(m->uid), &ok);
	if (m->resource_version)
		js_set(meta, "resourceVersion", json_string(m->resource_version), &ok);
	if (m->creation_timestamp)
		js_set(meta, "creationTimestamp", json_string(m->creation_timestamp), &ok);
	if (m->labels.n)
		js_set(meta, "labels", map_json(&m->labels, &ok), &ok);
	if (m->annotations.n)
		js_set(meta, "annotations", map_json(&m->annotations, &ok), &ok);
	js_set(o, "metadata", meta, &ok);
	js_set(o, "spec", spec_json(r, &ok), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}
