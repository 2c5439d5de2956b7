/* Parallel HTTP GETs with libcurl's multi interface (fetch.h). */
#include "fetch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "datastore/etcd_http.h" /* struct membuf, membuf_write */

#define FETCH_MAX_BODY (256u * 1024u)

static size_t capped_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct membuf *b = arg;

	if (b->len + size * nmemb > FETCH_MAX_BODY)
		return 0; /* curl reports a write error: no answer */
	return membuf_write(data, size, nmemb, arg);
}

void fetch_results_free(struct fetch_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].body);
		r[i].body = NULL;
	}
}

int fetch_all(const char *const *urls, size_t n, long timeout_ms, struct fetch_result *out)
{
	CURLM *multi = NULL;
	CURL **easy = NULL;
	struct membuf *bufs = NULL;
	int rc = 0, running = 0;
	CURLMsg *msg;
	int left;

	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return 0;
	easy = calloc(n, sizeof(*easy));
	bufs = calloc(n, sizeof(*bufs));
	if (!easy || !bufs || !(multi = curl_multi_init())) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		CURL *e = curl_easy_init();
		if (!e) {
			rc = -ENOMEM;
			goto out;
		}
		easy[i] = e;
		curl_easy_setopt(e, CURLOPT_URL, urls[i]);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_PROXY, "");
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "calico-stars");
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, capped_write);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &bufs[i]);
		if (curl_multi_add_handle(multi, e) != CURLM_OK) {
			rc = -ENOMEM;
			goto out;
		}
	}
	do {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running);
	while ((msg = curl_multi_info_read(multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (easy[i] != msg->easy_handle)
				continue;
			if (msg->data.result == CURLE_OK) {
				curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &out[i].status);
				out[i].len = bufs[i].len;
				out[i].body = bufs[i].p ? bufs[i].p : strdup("");
				bufs[i].p = NULL;
				if (!out[i].body)
					rc = -ENOMEM;
			}
			break;
		}
	}
out:
	for (size_t i = 0; easy && i < n; i++) {
		if (!easy[i])
			continue;
		if (multi)
			curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	for (size_t i = 0; bufs && i < n; i++)
		free(bufs[i].p);
	if (multi)
		curl_multi_cleanup(multi);
	free(easy);
	free(bufs);
	if (rc < 0)
		fetch_results_free(out, n);
	return rc;
}
