/* The driver's records (records.h). */
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"

static char *network_key(char *buf, const char *network_id)
{
	return key_fmt(buf, LNW_KEY_PREFIX "network/%s", network_id);
}

static char *endpoint_key(char *buf, const char *host, const char *endpoint_id)
{
	return key_fmt(buf, LNW_KEY_PREFIX "host/%s/endpoint/%s", host, endpoint_id);
}

static int ds_fail(struct ds *ds, int rc, const char *what, const char *id, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s %.64s: %s", what, id, ds_strerror(ds));
	return rc;
}

int lnw_network_get(struct ds *ds, const char *network_id, char *profile, size_t len, char *err, size_t errlen)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };
	int rc;
	if (!network_key(key, network_id))
		return snprintf(err, errlen, "network id too long"), -ENAMETOOLONG;
	if ((rc = ds_get(ds, key, &kv)) < 0) {
		if (rc == -ENOENT)
			return snprintf(err, errlen, "network %.64s is not known to Calico", network_id), rc;
		return ds_fail(ds, rc, "reading network", network_id, err, errlen);
	}
	rc = lnw_network_decode(kv.value, profile, len, err, errlen);
	ds_kv_free(&kv);
	return rc;
}

int lnw_network_put(struct ds *ds, const char *network_id, const char *profile, char *err, size_t errlen)
{
	char key[KEY_MAX], *json = lnw_network_encode(profile);
	int rc;
	if (!json)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	if (!network_key(key, network_id))
		rc = -ENAMETOOLONG, snprintf(err, errlen, "network id too long");
	else if ((rc = ds_put(ds, key, json)) < 0)
		ds_fail(ds, rc, "writing network", network_id, err, errlen);
	free(json);
	return rc;
}

int lnw_network_forget(struct ds *ds, const char *network_id, char *err, size_t errlen)
{
	char key[KEY_MAX];
	int rc;
	if (!network_key(key, network_id))
		return snprintf(err, errlen, "network id too long"), -ENAMETOOLONG;
	if ((rc = ds_delete(ds, key)) < 0 && rc != -ENOENT)
		return ds_fail(ds, rc, "removing network", network_id, err, errlen);
	return 0;
}

int lnw_endpoint_get(struct ds *ds, const char *host, const char *endpoint_id, struct lnw_endpoint_state *s,
		     char *err, size_t errlen)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };
	int rc;
	if (!endpoint_key(key, host, endpoint_id))
		return snprintf(err, errlen, "endpoint key too long"), -ENAMETOOLONG;
	if ((rc = ds_get(ds, key, &kv)) < 0) {
		if (rc == -ENOENT)
			return snprintf(err, errlen, "endpoint %.64s is not known to Calico on host %s", endpoint_id,
					host),
			       rc;
		return ds_fail(ds, rc, "reading endpoint", endpoint_id, err, errlen);
	}
	rc = lnw_endpoint_decode(kv.value, s, err, errlen);
	ds_kv_free(&kv);
	return rc;
}

int lnw_endpoint_put(struct ds *ds, const char *host, const char *endpoint_id, const struct lnw_endpoint_state *s,
		     char *err, size_t errlen)
{
	char key[KEY_MAX], *json = lnw_endpoint_encode(s);
	int rc;
	if (!json)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	if (!endpoint_key(key, host, endpoint_id))
		rc = -ENAMETOOLONG, snprintf(err, errlen, "endpoint key too long");
	else if ((rc = ds_create(ds, key, json)) == -EEXIST)
		snprintf(err, errlen, "endpoint %.64s exists already", endpoint_id);
	else if (rc < 0)
		ds_fail(ds, rc, "writing endpoint", endpoint_id, err, errlen);
	free(json);
	return rc;
}

int lnw_endpoint_holding(struct ds *ds, const char *host, const struct ip_addr *ip, char *endpoint_id, size_t len,
			 char *err, size_t errlen)
{
	char prefix[KEY_MAX], msg[256];
	struct ds_kv_list l = { 0 };
	int rc;
	if (!key_fmt(prefix, LNW_KEY_PREFIX "host/%s/endpoint/", host))
		return snprintf(err, errlen, "host name too long"), -ENAMETOOLONG;
	if ((rc = ds_list(ds, prefix, &l)) < 0)
		return snprintf(err, errlen, "listing endpoints: %s", ds_strerror(ds)), rc;
	rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct lnw_endpoint_state st;
		if (lnw_endpoint_decode(l.items[i].value, &st, msg, sizeof(msg)) < 0)
			continue;
		if ((st.has_v4 && ip_cmp(&st.v4, ip) == 0) || (st.has_v6 && ip_cmp(&st.v6, ip) == 0)) {
			snprintf(endpoint_id, len, "%s", l.items[i].key + strlen(prefix));
			rc = 1;
		}
	}
	ds_kv_list_free(&l);
	return rc;
}

int lnw_endpoint_forget(struct ds *ds, const char *host, const char *endpoint_id, char *err, size_t errlen)
{
	char key[KEY_MAX];
	int rc;
	if (!endpoint_key(key, host, endpoint_id))
		return snprintf(err, errlen, "endpoint key too long"), -ENAMETOOLONG;
	if ((rc = ds_delete(ds, key)) < 0 && rc != -ENOENT)
		return ds_fail(ds, rc, "removing endpoint", endpoint_id, err, errlen);
	return 0;
}
