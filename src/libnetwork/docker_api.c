/* Docker's API over its unix socket with libcurl (docker_api.h). */
#include "docker_api.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCKER_REPLY_MAX (1 << 20)

struct reply {
	char *buf;
	size_t len;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *opaque)
{
	struct reply *r = opaque;
	size_t n = size * nmemb;
	if (r->len + n > DOCKER_REPLY_MAX)
		return 0; /* curl fails the transfer */
	char *grown = realloc(r->buf, r->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + r->len, data, n);
	r->buf = grown;
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

/* GET path on the Docker API socket: 0 with the HTTP status and the body
 * parsed (NULL when it is no JSON), or -errno with a line in err. */
static int docker_get(const char *socket, const char *path, int timeout_ms, long *status, json_t **body, char *err,
		      size_t errlen)
{
	struct reply r = { 0 };
	char url[512];
	CURLcode cc;
	int rc = -EIO;

	*status = 0;
	*body = NULL;
	if (strncmp(socket, "unix://", 7) == 0)
		socket += 7;
	if ((size_t)snprintf(url, sizeof(url), "http://docker%s", path) >= sizeof(url))
		return snprintf(err, errlen, "Docker API path too long"), -ENAMETOOLONG;
	CURL *c = curl_easy_init();
	if (!c)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		rc = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
		snprintf(err, errlen, "Docker API at %s: %s", socket, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	*body = json_loadb(r.buf ? r.buf : "", r.len, 0, NULL);
	rc = 0;
out:
	free(r.buf);
	curl_easy_cleanup(c);
	return rc;
}

int docker_network_name(const char *socket, const char *network_id, int timeout_ms, char *name, size_t len,
			char *err, size_t errlen)
{
	char path[256];
	long status = 0;
	json_t *o = NULL;
	int rc;

	snprintf(path, sizeof(path), "/networks/%s", network_id);
	if ((rc = docker_get(socket, path, timeout_ms, &status, &o, err, errlen)) < 0)
		return rc;
	rc = -EIO;
	if (status == 404) {
		rc = -ENOENT;
		snprintf(err, errlen, "Docker does not know network %.64s", network_id);
		goto out;
	}
	const char *n = NULL;
	if (status != 200 || !(n = json_string_value(json_object_get(o, "Name"))) || !n[0]) {
		snprintf(err, errlen, "Docker API at %s: GET /networks/%.64s answered %ld without a name", socket,
			 network_id, status);
		goto out;
	}
	if (strlen(n) >= len) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "network name '%.64s...' is too long", n);
		goto out;
	}
	snprintf(name, len, "%s", n);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int docker_network_containers(const char *socket, const char *network_id, int timeout_ms, json_t **list, char *err,
			      size_t errlen)
{
	char path[256];
	long status = 0;
	json_t *o = NULL;
	int rc;

	*list = NULL;
	/* filters={"network":["<id>"]}, URL-encoded; all=1 for a container
	 * that is still starting. */
	snprintf(path, sizeof(path), "/containers/json?all=1&filters=%%7B%%22network%%22%%3A%%5B%%22%s%%22%%5D%%7D",
		 network_id);
	if ((rc = docker_get(socket, path, timeout_ms, &status, &o, err, errlen)) < 0)
		return rc;
	if (status != 200 || !json_is_array(o)) {
		json_decref(o);
		return snprintf(err, errlen, "Docker API at %s: GET /containers/json answered %ld without a list", socket,
				status),
		       -EIO;
	}
	*list = o;
	return 0;
}
