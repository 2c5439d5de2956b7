/* libcurl, loaded when the first etcd client is made rather than when a
 * program starts. The plugins are exec'd once per request, and on the
 * embedded datastore they never speak HTTP: linking libcurl made every start
 * map 37 libraries (TLS, LDAP, SSH, IDN, ...) for nothing, over 4 ms each
 * time. Only the functions the etcd client uses are here. */
#ifndef CALICO_CURL_DL_H
#define CALICO_CURL_DL_H

#include <curl/curl.h>
#include <stddef.h>

struct curl_api {
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *h);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms,
				int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *msgs_in_queue);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* Filled by curl_api_load; valid only after it returned 0. */
extern struct curl_api curl_api;

/* Loads libcurl once per process (thread-safe); later calls return the first
 * result. 0, or -ENOSYS with a one-line reason in err. */
int curl_api_load(char *err, size_t errlen);

#endif
