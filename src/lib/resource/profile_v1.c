/* v3 Profile <-> 2016 profile (profile_v1.h). */
#include "resource/profile_v1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector.h"
#include "util/json_strict.h"

#define PROFILE_ONLY "profiles hold only the 2016 rule kinds (use a GlobalNetworkPolicy or NetworkPolicy)"

/* ---------- v1 -> v3 ---------- */

static int entity_from_v1(const char *tag, bool has_net, const struct cidr *net, const struct port_range *ports,
			  size_t n_ports, struct v3_entity *e)
{
	if (*tag) {
		size_t len = strlen(tag) + sizeof("has()");
		if (!(e->selector = malloc(len)))
			return -ENOMEM;
		snprintf(e->selector, len, "has(%s)", tag);
	}
	if (has_net) {
		if (!(e->nets = malloc(sizeof(*e->nets))))
			return -ENOMEM;
		e->nets[0] = *net;
		e->n_nets = 1;
	}
	if (n_ports) {
		if (!(e->ports = calloc(n_ports, sizeof(*e->ports))))
			return -ENOMEM;
		for (size_t i = 0; i < n_ports; i++) {
			e->ports[i].first = ports[i].first;
			e->ports[i].last = ports[i].last;
		}
		e->n_ports = n_ports;
	}
	return 0;
}

static void protocol_from_v1(const struct rule *r, struct v3_protocol *p)
{
	static const struct {
		enum rule_protocol v1;
		uint8_t number;
		const char *name;
	} names[] = {
		{ PROTO_TCP, 6, "TCP" }, { PROTO_UDP, 17, "UDP" }, { PROTO_ICMP, 1, "ICMP" }, { PROTO_ICMPV6, 58, "ICMPv6" },
	};
	if (r->protocol == PROTO_ANY)
		return;
	p->set = true;
	if (r->protocol == PROTO_NUMBER) {
		p->number = (uint8_t)r->protocol_number;
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].v1 == r->protocol) {
			p->number = names[i].number;
			snprintf(p->name, sizeof(p->name), "%s", names[i].name);
		}
}

static int rules_from_v1(const struct rule_list *l, struct v3_rules *out)
{
	if (!l->n)
		return 0;
	if (!(out->items = calloc(l->n, sizeof(*out->items))))
		return -ENOMEM;
	out->n = l->n;
	for (size_t i = 0; i < l->n; i++) {
		const struct rule *r = &l->items[i];
		struct v3_rule *v = &out->items[i];
		v->action = r->action == RULE_ALLOW ? V3_ALLOW : V3_DENY;
		v->ip_version = r->ip_version;
		protocol_from_v1(r, &v->protocol);
		v->icmp.type = v->icmp.code = v->not_icmp.type = v->not_icmp.code = -1;
		if (r->icmp_type >= 0) {
			v->icmp.set = true;
			v->icmp.type = r->icmp_type;
			v->icmp.code = r->icmp_code;
		}
		int rc = entity_from_v1(r->src_tag, r->has_src_net, &r->src_net, r->src_ports, r->n_src_ports, &v->source);
		if (rc == 0)
			rc = entity_from_v1(r->dst_tag, r->has_dst_net, &r->dst_net, r->dst_ports, r->n_dst_ports,
					    &v->destination);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int v3_profile_from_v1(const struct profile *p, const struct v3_map *labels, struct v3_resource *out)
{
	int rc = -ENOMEM;
	memset(out, 0, sizeof(*out));
	out->kind = V3_PROFILE;
	if (!(out->meta.name = strdup(p->name)))
		goto fail;
	for (size_t i = 0; labels && i < labels->n; i++)
		if ((rc = v3_map_set(&out->spec.profile.labels_to_apply, labels->keys[i], labels->values[i])) < 0)
			goto fail;
	for (size_t i = 0; i < p->n_tags; i++)
		if ((rc = v3_map_set(&out->spec.profile.labels_to_apply, p->tags[i], "")) < 0)
			goto fail;
	if ((rc = rules_from_v1(&p->inbound, &out->spec.profile.ingress)) < 0 ||
	    (rc = rules_from_v1(&p->outbound, &out->spec.profile.egress)) < 0)
		goto fail;
	return 0;
fail:
	v3_resource_free(out);
	return rc;
}

/* ---------- v3 -> v1 ---------- */

static int cannot_hold(char *err, size_t errlen, const char *path, const char *field, const char *what)
{
	return js_fail(err, errlen, "%s.%s: %s: " PROFILE_ONLY, path, field, what);
}

/* The tag T of a selector "has(T)", in any spelling the grammar allows. */
static int tag_of_selector(const char *text, char tag[CALICO_NAME_MAX + 1])
{
	struct selector *sel = NULL;
	char err[128];
	int rc = selector_parse(text, &sel, err, sizeof(err));
	if (rc < 0)
		return rc;
	const char *norm = selector_text(sel);
	size_t len = strlen(norm);
	rc = -EINVAL;
	if (len > 5 && strncmp(norm, "has(", 4) == 0 && norm[len - 1] == ')' && len - 5 <= CALICO_NAME_MAX) {
		snprintf(tag, CALICO_NAME_MAX + 1, "%.*s", (int)(len - 5), norm + 4);
		rc = name_is_valid(tag) ? 0 : -EINVAL;
	}
	selector_free(sel);
	return rc;
}

static int entity_to_v1(const struct v3_entity *e, const char *path, char *tag, bool *has_net, struct cidr *net,
			struct port_range *ports, size_t *n_ports, char *err, size_t errlen)
{
	char shown[96];
	if (e->n_not_nets)
		return cannot_hold(err, errlen, path, "notNets", "is set");
	if (e->not_selector)
		return cannot_hold(err, errlen, path, "notSelector", "is set");
	if (e->namespace_selector)
		return cannot_hold(err, errlen, path, "namespaceSelector", "is set");
	if (e->n_not_ports)
		return cannot_hold(err, errlen, path, "notPorts", "is set");
	if (e->n_nets > 1) {
		snprintf(shown, sizeof(shown), "%zu nets (a profile rule holds one)", e->n_nets);
		return cannot_hold(err, errlen, path, "nets", shown);
	}
	if (e->selector && *e->selector && tag_of_selector(e->selector, tag) < 0) {
		snprintf(shown, sizeof(shown), "\"%.60s\" is not has(TAG)", e->selector);
		return cannot_hold(err, errlen, path, "selector", shown);
	}
	if (e->n_ports > RULE_PORTS_MAX)
		return js_fail(err, errlen, "%s.ports: %zu entries: a profile rule holds at most %d", path, e->n_ports,
			       RULE_PORTS_MAX);
	if (e->n_nets) {
		*has_net = true;
		*net = e->nets[0];
	}
	for (size_t i = 0; i < e->n_ports; i++) {
		ports[i].first = e->ports[i].first;
		ports[i].last = e->ports[i].last;
	}
	*n_ports = e->n_ports;
	return 0;
}

static int rule_to_v1(const struct v3_rule *v, const char *path, struct rule *r, char *err, size_t errlen)
{
	char sub[96];
	int rc;

	if (v->action == V3_PASS || v->action == V3_LOG)
		return cannot_hold(err, errlen, path, "action", v->action == V3_PASS ? "\"Pass\"" : "\"Log\"");
	if (v->not_protocol.set)
		return cannot_hold(err, errlen, path, "notProtocol", "is set");
	if (v->not_icmp.set)
		return cannot_hold(err, errlen, path, "notICMP", "is set");
	if (v->annotations.n)
		return cannot_hold(err, errlen, path, "metadata", "rule annotations");
	rule_init(r, v->action == V3_ALLOW ? RULE_ALLOW : RULE_DENY);
	r->ip_version = v->ip_version;
	if (v->protocol.set) {
		const char *n = v->protocol.name;
		r->protocol = !strcmp(n, "TCP")	     ? PROTO_TCP
			      : !strcmp(n, "UDP")    ? PROTO_UDP
			      : !strcmp(n, "ICMP")   ? PROTO_ICMP
			      : !strcmp(n, "ICMPv6") ? PROTO_ICMPV6
						     : PROTO_NUMBER;
		r->protocol_number = r->protocol == PROTO_NUMBER ? v->protocol.number : 0;
	}
	if (v->icmp.set) {
		r->icmp_type = v->icmp.type;
		r->icmp_code = v->icmp.code;
	}
	snprintf(sub, sizeof(sub), "%s.source", path);
	if ((rc = entity_to_v1(&v->source, sub, r->src_tag, &r->has_src_net, &r->src_net, r->src_ports,
			       &r->n_src_ports, err, errlen)) < 0)
		return rc;
	snprintf(sub, sizeof(sub), "%s.destination", path);
	if ((rc = entity_to_v1(&v->destination, sub, r->dst_tag, &r->has_dst_net, &r->dst_net, r->dst_ports,
			       &r->n_dst_ports, err, errlen)) < 0)
		return rc;
	char why[MODEL_ERR_MAX];
	if (rule_validate(r, why, sizeof(why)) < 0)
		return js_fail(err, errlen, "%s: %s", path, why);
	return 0;
}

static int rules_to_v1(const struct v3_rules *in, const char *dir, struct rule_list *out, char *err, size_t errlen)
{
	char path[64];
	for (size_t i = 0; i < in->n; i++) {
		struct rule r;
		snprintf(path, sizeof(path), "spec.%s[%zu]", dir, i);
		int rc = rule_to_v1(&in->items[i], path, &r, err, errlen);
		if (rc == 0)
			rc = rule_list_insert(out, out->n, &r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_tag(struct profile *p, const char *tag)
{
	char **tags = realloc(p->tags, (p->n_tags + 1) * sizeof(*tags));
	if (!tags)
		return -ENOMEM;
	p->tags = tags;
	if (!(tags[p->n_tags] = strdup(tag)))
		return -ENOMEM;
	p->n_tags++;
	return 0;
}

static bool is_tag(const struct v3_map *m, size_t i)
{
	return !*m->values[i] && name_is_valid(m->keys[i]);
}

int v3_profile_to_v1(const struct v3_resource *r, const struct profile *prev, struct profile *p,
		     struct v3_map *labels, char *err, size_t errlen)
{
	const struct v3_map *lta = &r->spec.profile.labels_to_apply;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(labels, 0, sizeof(*labels));
	if (!name_is_valid(r->meta.name))
		return js_fail(err, errlen,
			       "metadata.name: \"%.64s\" is too long for a profile (profiles are named in at most %d "
			       "characters)",
			       r->meta.name, CALICO_NAME_MAX);
	if (r->meta.labels.n)
		return js_fail(err, errlen, "metadata.labels: a Profile's labels are its spec.labelsToApply");
	if (r->meta.annotations.n)
		return js_fail(err, errlen, "metadata.annotations: a Profile keeps no annotations");
	snprintf(p->name, sizeof(p->name), "%s", r->meta.name);
	for (size_t i = 0; prev && i < prev->n_tags; i++) {
		const char *v = v3_map_get(lta, prev->tags[i]);
		if (v && !*v && (rc = add_tag(p, prev->tags[i])) < 0)
			goto fail;
	}
	for (size_t i = 0; i < lta->n; i++) {
		bool had = false;
		for (size_t k = 0; k < p->n_tags && !had; k++)
			had = strcmp(p->tags[k], lta->keys[i]) == 0;
		if (had)
			continue;
		rc = is_tag(lta, i) ? add_tag(p, lta->keys[i]) : v3_map_set(labels, lta->keys[i], lta->values[i]);
		if (rc < 0)
			goto fail;
	}
	if ((rc = rules_to_v1(&r->spec.profile.ingress, "ingress", &p->inbound, err, errlen)) < 0 ||
	    (rc = rules_to_v1(&r->spec.profile.egress, "egress", &p->outbound, err, errlen)) < 0)
		goto fail;
	return 0;
fail:
	if (rc == -ENOMEM)
		js_fail(err, errlen, "out of memory");
	profile_free(p);
	v3_map_free(labels);
	return rc;
}
