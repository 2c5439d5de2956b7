#include "agent_health.h"

#include <strings.h>
#include <stdlib.h>
#include <stdio.h>
#include "datastore/curl_dl.h"
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "model/keys.h"

static time_t parse_utc(const char *text)
{
	struct tm tm = { 0 };
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	return end ? timegm(&tm) : (time_t)-1;
}

static long age_of(const char *value)
{
	json_t *root = json_loads(value, JSON_DECODE_ANY, NULL);
	const char *text = value;
	long age = -1;
	if (json_is_object(root) && json_is_string(json_object_get(root, "time")))
		text = json_string_value(json_object_get(root, "time"));
	else if (json_is_string(root))
		text = json_string_value(root);
	time_t t = parse_utc(text);
	if (t != (time_t)-1)
		age = (long)(time(NULL) - t);
	json_decref(root);
	return age < 0 && t != (time_t)-1 ? 0 : age;
}

int heartbeat_get(struct ds *ds, const char *host, bool *present, long *age_s, int64_t *mod_rev)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };
	*present = false;
	*age_s = -1;
	if (!key_fmt(key, KEY_FELIX_HOST_PREFIX "%s/status", host))
		return -ENAMETOOLONG;
	int rc = ds_get(ds, key, &kv);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	*present = true;
	*age_s = age_of(kv.value);
	if (mod_rev)
		*mod_rev = kv.mod_rev;
	ds_kv_free(&kv);
	return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

struct pid_header {
	pid_t want;
	bool seen;
};

/* Finds "X-Calico-Node-Pid: <want>" among the response headers. */
static size_t pid_header_cb(char *line, size_t size, size_t n, void *arg)
{
	struct pid_header *h = arg;
	static const char name[] = "x-calico-node-pid:";
	size_t len = size * n;
	if (len > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0) {
		char buf[32];
		size_t vlen = len - (sizeof(name) - 1);
		snprintf(buf, sizeof(buf), "%.*s", (int)(vlen < sizeof(buf) ? vlen : sizeof(buf) - 1),
			 line + sizeof(name) - 1);
		h->seen = h->seen || atol(buf) == (long)h->want;
	}
	return len;
}

bool agent_http_ready(int timeout_ms, pid_t pid)
{
	struct pid_header h = { .want = pid };
	long code = 0;
	if (curl_api_load(NULL, 0) < 0)
		return false;
	CURL *c = curl_api.easy_init();
	if (!c)
		return false;
	curl_api.easy_setopt(c, CURLOPT_URL, AGENT_HEALTH_URL);
	curl_api.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_api.easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_api.easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_api.easy_setopt(c, CURLOPT_HEADERFUNCTION, pid_header_cb);
	curl_api.easy_setopt(c, CURLOPT_HEADERDATA, &h);
	if (curl_api.easy_perform(c) == CURLE_OK)
		curl_api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_api.easy_cleanup(c);
	return code == 200 && (pid <= 0 || h.seen);
}
