#include "ipam/ipam_handle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"

bool ipam_handle_id_is_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > IPAM_HANDLE_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p <= ' ' || *p == '/' || *p == 0x7f)
			return false;
	return true;
}

char *ipam_handle_key(char *buf, const char *id)
{
	return key_fmt(buf, KEY_HANDLE_PREFIX "%s", id);
}

int ipam_handle_init(struct ipam_handle *h, const char *id)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", id);
	h->blocks = json_object();
	return h->blocks ? 0 : -ENOMEM;
}

void ipam_handle_free(struct ipam_handle *h)
{
	if (!h)
		return;
	json_decref(h->blocks);
	memset(h, 0, sizeof(*h));
}

int ipam_handle_decode(const char *json, const char *id, struct ipam_handle *h, char *err, size_t errlen)
{
	json_error_t jerr;
	const char *k;
	json_t *v;
	int rc = -EINVAL;

	if (ipam_handle_init(h, id) < 0)
		return -ENOMEM;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	json_t *jid = json_object_get(root, "id"), *blocks = json_object_get(root, "block");
	if (!json_is_object(root) || !json_is_string(jid) || strcmp(json_string_value(jid), id) != 0 ||
	    (blocks && !json_is_object(blocks))) {
		snprintf(err, errlen, "handle %s: want {\"id\":\"%s\",\"block\":{\"<cidr>\":count}}", id, id);
		goto out;
	}
	json_object_foreach(blocks, k, v) {
		struct cidr c;
		if (cidr_parse(k, false, false, &c) < 0 || !json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(err, errlen, "handle %s: block entry \"%s\" is not a CIDR with a count", id, k);
			goto out;
		}
		if (json_integer_value(v) > 0 && json_object_set(h->blocks, k, v) < 0) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		ipam_handle_free(h);
	return rc;
}

int ipam_handle_load(struct ds *ds, const char *id, struct ipam_handle *h, char *err, size_t errlen)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };

	if (!ipam_handle_key(key, id))
		return -ENAMETOOLONG;
	int rc = ds_get(ds, key, &kv);
	if (rc == -ENOENT)
		return ipam_handle_init(h, id);
	if (rc < 0) {
		snprintf(err, errlen, "reading handle %s: %s", id, ds_strerror(ds));
		return rc;
	}
	rc = ipam_handle_decode(kv.value, id, h, err, errlen);
	if (rc == 0)
		h->mod_rev = kv.mod_rev;
	ds_kv_free(&kv);
	return rc;
}

char *ipam_handle_encode(const struct ipam_handle *h)
{
	json_t *root = json_pack("{s:s,s:O}", "id", h->id, "block", h->blocks);
	char *out = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return out;
}

int ipam_handle_add(struct ipam_handle *h, const struct cidr *block, long delta)
{
	char k[CIDR_STR_MAX];
	cidr_format(block, k);
	long n = (long)json_integer_value(json_object_get(h->blocks, k)) + delta;
	if (n <= 0) {
		json_object_del(h->blocks, k); /* absent already is fine */
		return 0;
	}
	return json_object_set_new(h->blocks, k, json_integer(n)) < 0 ? -ENOMEM : 0;
}

size_t ipam_handle_total(const struct ipam_handle *h)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	json_object_foreach(h->blocks, k, v)
		n += (size_t)json_integer_value(v);
	return n;
}

long ipam_handle_count(const struct ipam_handle *h, const struct cidr *block)
{
	char k[CIDR_STR_MAX];
	return (long)json_integer_value(json_object_get(h->blocks, cidr_format(block, k)));
}
