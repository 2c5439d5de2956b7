/* BGP: AS numbers, peers and the node-to-node mesh switch. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util/json_strict.h"
#include "model/model_internal.h"

/* Decimal without sign or leading zeros, at most max. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int as_num_parse(const char *text, uint32_t *out)
{
	uint64_t hi, lo, v;
	if (!text)
		return -EINVAL;
	const char *dot = strchr(text, '.');
	if (dot) {
		/* asdot (RFC 5396): high.low, each 16 bits */
		if (parse_uint(text, (size_t)(dot - text), 65535, &hi) < 0 ||
		    parse_uint(dot + 1, strlen(dot + 1), 65535, &lo) < 0)
			return -EINVAL;
		v = (hi << 16) | lo;
	} else if (parse_uint(text, strlen(text), UINT32_MAX, &v) < 0) {
		return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static const char *const peer_keys[] = { "ip", "as_num", NULL };

static int decode_peer(const json_t *o, struct bgp_peer *p, char *err, size_t errlen)
{
	const char *s;
	char v[64];
	int rc;

	if ((rc = js_only_keys(o, peer_keys, "BGP peer", err, errlen)) < 0)
		return rc;
	if ((rc = js_get_string(o, "ip", true, "BGP peer", &s, err, errlen)) < 0)
		return rc;
	if (ip_parse(s, &p->ip) < 0)
		return js_fail(err, errlen, "invalid \"ip\" value %s: expected an IPv4 or IPv6 address",
			       js_show(json_object_get(o, "ip"), v, sizeof(v)));
	json_t *as = json_object_get(o, "as_num");
	if (!as)
		return js_fail(err, errlen, "missing \"as_num\" in BGP peer");
	js_show(as, v, sizeof(v));
	/* Calico's Python wrote the AS as it was typed, so a string is read too */
	if (json_is_integer(as)) {
		json_int_t n = json_integer_value(as);
		if (n < 1 || n > (json_int_t)UINT32_MAX)
			return js_fail(err, errlen, "\"as_num\" %s is out of range 1-4294967295", v);
		p->as_num = (uint32_t)n;
	} else if (!json_is_string(as) || as_num_parse(json_string_value(as), &p->as_num) < 0) {
		return js_fail(err, errlen, "invalid \"as_num\" value %s: expected an AS number 1-4294967295", v);
	}
	return 0;
}

int bgp_peer_decode(const char *json, struct bgp_peer *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	json_t *o = js_load_object(json, err, errlen);
	if (!o)
		return -EINVAL;
	int rc = decode_peer(o, p, err, errlen);
	json_decref(o);
	if (rc < 0)
		memset(p, 0, sizeof(*p));
	return rc;
}

char *bgp_peer_encode(const struct bgp_peer *p)
{
	char s[IP_STR_MAX];
	bool ok = true;
	json_t *o = json_object();
	js_set(o, "ip", json_string(ip_format(&p->ip, s)), &ok);
	js_set(o, "as_num", json_integer(p->as_num), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}

static const char *const mesh_keys[] = { "enabled", NULL };

int node_mesh_decode(const char *json, bool *enabled, char *err, size_t errlen)
{
	json_t *o = js_load_object(json, err, errlen);
	if (!o)
		return -EINVAL;
	int rc = js_only_keys(o, mesh_keys, "node_mesh", err, errlen);
	if (rc == 0)
		rc = js_get_bool(o, "enabled", true, "node_mesh", enabled, err, errlen);
	json_decref(o);
	return rc;
}

char *node_mesh_encode(bool enabled)
{
	bool ok = true;
	json_t *o = json_object();
	js_set(o, "enabled", json_boolean(enabled), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
