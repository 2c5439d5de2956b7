#include "cni_conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cni_version.h"
#include "util/json_strict.h"
#include "util/log.h"
#include "model/model.h"
#include "util/nodename.h"

/* Optional string; wrong type is code 7 naming the key. */
static int opt_string(const json_t *o, const char *key, const char *what, const char **out, struct cni_error *e)
{
	char msg[CNI_MSG_MAX];
	int rc = js_get_string(o, key, false, what, out, msg, sizeof(msg));
	if (rc == -ENOENT || (rc == 0 && !(*out)[0])) {
		*out = NULL;
		return 0;
	}
	return rc < 0 ? cni_err(e, CNI_ERR_INVALID_CONFIG, "%s", msg) : 0;
}

/* Calico's configs say "assign_ipv4": "true" (a string); booleans work too. */
static int opt_bool(const json_t *o, const char *key, bool *out, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);
	char s[64];
	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0) {
		*out = true;
		return 0;
	}
	if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0) {
		*out = false;
		return 0;
	}
	return cni_err(e, CNI_ERR_INVALID_CONFIG, "ipam \"%s\" must be true or false, not %s", key, js_show(v, s, sizeof(s)));
}

static int pools(const json_t *ipam, const char *key, int family, struct cidr *out, size_t *n, struct cni_error *e)
{
	json_t *list = json_object_get(ipam, key), *v;
	char s[64];
	size_t i;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "ipam \"%s\" must be a list of CIDRs, not %s", key,
			       js_show(list, s, sizeof(s)));
	if (json_array_size(list) > CNI_MAX_POOLS)
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "ipam \"%s\" lists more than %d pools", key, CNI_MAX_POOLS);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || cidr_parse(json_string_value(v), false, false, &out[i]) < 0)
			return cni_err(e, CNI_ERR_INVALID_CONFIG, "ipam \"%s\": %s is not a CIDR", key, js_show(v, s, sizeof(s)));
		if (out[i].addr.family != family)
			return cni_err(e, CNI_ERR_INVALID_CONFIG, "ipam \"%s\": %s is not an IPv%d CIDR", key,
				       json_string_value(v), family);
	}
	*n = json_array_size(list);
	return 0;
}

static int parse_ipam(const json_t *ipam, struct cni_ipam_conf *p, struct cni_error *e)
{
	char s[64];
	p->assign_ipv4 = true;
	if (!ipam)
		return 0;
	if (!json_is_object(ipam))
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "\"ipam\" must be an object, not %s", js_show(ipam, s, sizeof(s)));
	if (opt_string(ipam, "type", "ipam", &p->type, e) < 0)
		return -EINVAL;
	if (p->type && strcmp(p->type, "calico-ipam") == 0) {
		/* Calico on Kubernetes took the pod CIDR from the node; there is no such thing here. */
		json_t *subnet = json_object_get(ipam, "subnet");
		if (subnet)
			return cni_err(e, CNI_ERR_UNSUPPORTED_FIELD, "ipam \"subnet\" %s is not supported by calico-ipam (use ipv4_pools)",
				       js_show(subnet, s, sizeof(s)));
	}
	if (opt_bool(ipam, "assign_ipv4", &p->assign_ipv4, e) < 0 || opt_bool(ipam, "assign_ipv6", &p->assign_ipv6, e) < 0 ||
	    pools(ipam, "ipv4_pools", 4, p->ipv4_pools, &p->n_ipv4_pools, e) < 0 ||
	    pools(ipam, "ipv6_pools", 6, p->ipv6_pools, &p->n_ipv6_pools, e) < 0)
		return -EINVAL;
	return 0;
}

static int opt_int(const json_t *o, const char *key, long long min, long long max, long long *out, struct cni_error *e)
{
	char msg[CNI_MSG_MAX];
	int rc = js_get_int(o, key, false, "the network config", min, max, out, msg, sizeof(msg));
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? cni_err(e, CNI_ERR_INVALID_CONFIG, "%s", msg) : 0;
}

static int parse_datastore(struct cni_conf *c, struct cni_error *e)
{
	const json_t *o = c->root;
	if (opt_string(o, "etcd_endpoints", "the network config", &c->etcd_endpoints, e) < 0 ||
	    opt_string(o, "etcd_authority", "the network config", &c->etcd_authority, e) < 0 ||
	    opt_string(o, "etcd_ca_cert_file", "the network config", &c->etcd_ca_cert_file, e) < 0 ||
	    opt_string(o, "etcd_cert_file", "the network config", &c->etcd_cert_file, e) < 0 ||
	    opt_string(o, "etcd_key_file", "the network config", &c->etcd_key_file, e) < 0 ||
	    opt_string(o, "datastore_type", "the network config", &c->datastore_type, e) < 0 ||
	    opt_string(o, "datastore", "the network config", &c->datastore, e) < 0)
		return -EINVAL;
	if (c->datastore_type && strcmp(c->datastore_type, "etcdv3") != 0 && strcmp(c->datastore_type, "etcd") != 0 &&
	    strcmp(c->datastore_type, "sqlite") != 0)
		return cni_err(e, CNI_ERR_UNSUPPORTED_FIELD, "datastore_type \"%.64s\" is not supported (etcdv3 or sqlite)",
			       c->datastore_type);
	if (c->datastore && strncmp(c->datastore, "sqlite:", 7) != 0 && c->datastore[0] != '/')
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "datastore \"%.64s\" must be sqlite:PATH", c->datastore);
	return 0;
}

int cni_conf_parse(const char *text, struct cni_conf *c, struct cni_error *e)
{
	char msg[CNI_MSG_MAX], s[64];
	long long n;
	enum log_level lvl;
	int rc = -EINVAL;

	memset(c, 0, sizeof(*c));
	if (!(c->root = js_load_object(text, msg, sizeof(msg))))
		return cni_err(e, CNI_ERR_DECODE, "network config: %s", msg);
	json_t *o = c->root, *v;

	if ((v = json_object_get(o, "cniVersion"))) {
		if (!json_is_string(v))
			goto bad_version;
		c->version = json_string_value(v);
	} else {
		c->version = CNI_VERSION_DEFAULT;
	}
	if (!cni_version_supported(c->version)) {
		rc = cni_err(e, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI version %.32s (supported: 0.1.0 to %s)",
			     c->version, CNI_VERSION_LATEST);
		c->version = NULL;
		goto out;
	}
	if (opt_string(o, "name", "the network config", &c->name, e) < 0 ||
	    opt_string(o, "type", "the network config", &c->type, e) < 0 || parse_datastore(c, e) < 0 ||
	    opt_string(o, "log_level", "the network config", &c->log_level, e) < 0 ||
	    opt_string(o, "nodename", "the network config", &c->nodename, e) < 0 ||
	    parse_ipam(json_object_get(o, "ipam"), &c->ipam, e) < 0)
		goto out;
	if (c->log_level && log_level_parse(c->log_level, &lvl) < 0) {
		rc = cni_err(e, CNI_ERR_INVALID_CONFIG, "log_level \"%.32s\" is not one of debug, info, warning, error", c->log_level);
		goto out;
	}
	if (c->nodename && !hostname_is_valid(c->nodename)) {
		rc = cni_err(e, CNI_ERR_INVALID_CONFIG, "nodename \"%.64s\" is not a host name", c->nodename);
		goto out;
	}
	n = 0;
	if (opt_int(o, "mtu", 68, 65535, &n, e) < 0)
		goto out;
	c->mtu = (unsigned)n;
	n = 0;
	if (opt_int(o, "policy_setup_timeout_seconds", 0, 3600, &n, e) < 0)
		goto out;
	c->policy_setup_timeout = (int)n;
	if ((v = json_object_get(o, "args")) && !json_is_null(v)) {
		if (!json_is_object(v)) {
			rc = cni_err(e, CNI_ERR_INVALID_CONFIG, "\"args\" must be an object, not %s", js_show(v, s, sizeof(s)));
			goto out;
		}
		c->args = v;
	}
	if ((v = json_object_get(o, "prevResult")) && !json_is_null(v))
		c->prev_result = v;
	if ((v = json_object_get(o, "cni.dev/valid-attachments")) || (v = json_object_get(o, "cni.dev/attachments"))) {
		if (!json_is_array(v)) {
			rc = cni_err(e, CNI_ERR_INVALID_CONFIG, "\"cni.dev/valid-attachments\" must be a list");
			goto out;
		}
		c->attachments = v;
	}
	return 0;

bad_version:
	rc = cni_err(e, CNI_ERR_INVALID_CONFIG, "\"cniVersion\" must be a string, not %s", js_show(v, s, sizeof(s)));
out:
	return rc;
}

void cni_conf_free(struct cni_conf *c)
{
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}

int cni_conf_require(const struct cni_conf *c, bool need_ipam, struct cni_error *e)
{
	if (!c->name)
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "missing \"name\" in the network config");
	if (!name_is_valid(c->name))
		return cni_err(e, CNI_ERR_INVALID_CONFIG,
			       "network name \"%.64s\" cannot be a Calico profile (1-%d letters, digits, '.', '_', '-')",
			       c->name, CALICO_NAME_MAX);
	if (need_ipam && !c->ipam.type)
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "missing \"ipam\" with a \"type\" in the network config");
	return 0;
}

const char *cni_conf_peek_version(const char *text, char *buf, size_t len)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	json_t *v = json_is_object(o) ? json_object_get(o, "cniVersion") : NULL;
	const char *got = NULL;
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		got = buf;
	}
	json_decref(o);
	return got;
}
