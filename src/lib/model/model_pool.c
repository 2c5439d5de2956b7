/* IP pools: {"cidr":..,"masquerade":..,"ipip":"tunl0","vxlan":true,"disabled":true}. */
#include <errno.h>
#include <string.h>

#include "util/json_strict.h"
#include "model/model_internal.h"

static const char *const pool_keys[] = { "cidr", "masquerade", "ipip", "vxlan", "disabled", NULL };

static int decode_fields(const json_t *o, struct pool *p, char *err, size_t errlen)
{
	const char *s;
	char v[64];
	int rc;

	if ((rc = js_only_keys(o, pool_keys, "pool", err, errlen)) < 0)
		return rc;
	if ((rc = js_get_string(o, "cidr", true, "pool", &s, err, errlen)) < 0)
		return rc;
	js_show(json_object_get(o, "cidr"), v, sizeof(v));
	if (cidr_parse(s, false, false, &p->cidr) < 0) {
		if (cidr_parse(s, false, true, &p->cidr) == 0)
			return js_fail(err, errlen, "\"cidr\" %s: host bits set", v);
		return js_fail(err, errlen, "invalid \"cidr\" value %s: expected a CIDR such as 192.168.0.0/16", v);
	}
	rc = js_get_bool(o, "masquerade", false, "pool", &p->masquerade, err, errlen);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	/* Calico wrote the tunnel device's name; it is the only one there is */
	rc = js_get_string(o, "ipip", false, "pool", &s, err, errlen);
	if (rc == 0 && strcmp(s, "tunl0") != 0)
		return js_fail(err, errlen, "invalid \"ipip\" value %s: expected \"tunl0\"",
			       js_show(json_object_get(o, "ipip"), v, sizeof(v)));
	if (rc < 0 && rc != -ENOENT)
		return rc;
	p->ipip = rc == 0;
	rc = js_get_bool(o, "vxlan", false, "pool", &p->vxlan, err, errlen);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = js_get_bool(o, "disabled", false, "pool", &p->disabled, err, errlen);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (p->ipip && p->cidr.addr.family != 4)
		return js_fail(err, errlen, "\"ipip\" is only for IPv4 pools, not %s", v);
	if (p->ipip && p->vxlan)
		return js_fail(err, errlen, "\"ipip\" and \"vxlan\" cannot both be set");
	return 0;
}

int pool_decode(const char *json, struct pool *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	json_t *o = js_load_object(json, err, errlen);
	if (!o)
		return -EINVAL;
	int rc = decode_fields(o, p, err, errlen);
	json_decref(o);
	if (rc < 0)
		memset(p, 0, sizeof(*p));
	return rc;
}

char *pool_encode(const struct pool *p)
{
	char s[CIDR_STR_MAX];
	bool ok = true;
	json_t *o = json_object();

	js_set(o, "cidr", json_string(cidr_format(&p->cidr, s)), &ok);
	js_set(o, "masquerade", json_boolean(p->masquerade), &ok);
	if (p->ipip)
		js_set(o, "ipip", json_string("tunl0"), &ok);
	if (p->vxlan)
		js_set(o, "vxlan", json_true(), &ok);
	if (p->disabled)
		js_set(o, "disabled", json_true(), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
