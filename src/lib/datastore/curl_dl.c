/* curl_api_load: dlopen libcurl and resolve what the etcd client uses. */
#include "datastore/curl_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CURL_SONAME "libcurl.so.4"

struct curl_api curl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[256];

/* dlsym returns void *; a function pointer is assigned through memcpy, the
 * form ISO C allows. */
static int resolve(void *lib, const char *name, void *slot, size_t size)
{
	void *sym = dlsym(lib, name);
	if (!sym) {
		snprintf(load_err, sizeof(load_err), "%s has no %s", CURL_SONAME, name);
		return -ENOSYS;
	}
	memcpy(slot, &sym, size);
	return 0;
}

#define RESOLVE(field, name) resolve(lib, name, &curl_api.field, sizeof(curl_api.field))

static void load(void)
{
	/* Never closed: handles may live until the process ends. */
	void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(load_err, sizeof(load_err), "cannot load %s for the etcd client: %s (install libcurl4)",
			 CURL_SONAME, why ? why : "unknown error");
		load_rc = -ENOSYS;
		return;
	}
	if ((load_rc = RESOLVE(easy_init, "curl_easy_init")) < 0 ||
	    (load_rc = RESOLVE(easy_cleanup, "curl_easy_cleanup")) < 0 ||
	    (load_rc = RESOLVE(easy_setopt, "curl_easy_setopt")) < 0 ||
	    (load_rc = RESOLVE(easy_getinfo, "curl_easy_getinfo")) < 0 ||
	    (load_rc = RESOLVE(easy_perform, "curl_easy_perform")) < 0 ||
	    (load_rc = RESOLVE(easy_strerror, "curl_easy_strerror")) < 0 ||
	    (load_rc = RESOLVE(multi_init, "curl_multi_init")) < 0 ||
	    (load_rc = RESOLVE(multi_cleanup, "curl_multi_cleanup")) < 0 ||
	    (load_rc = RESOLVE(multi_add_handle, "curl_multi_add_handle")) < 0 ||
	    (load_rc = RESOLVE(multi_remove_handle, "curl_multi_remove_handle")) < 0 ||
	    (load_rc = RESOLVE(multi_perform, "curl_multi_perform")) < 0 ||
	    (load_rc = RESOLVE(multi_poll, "curl_multi_poll")) < 0 ||
	    (load_rc = RESOLVE(multi_info_read, "curl_multi_info_read")) < 0 ||
	    (load_rc = RESOLVE(slist_append, "curl_slist_append")) < 0 ||
	    (load_rc = RESOLVE(slist_free_all, "curl_slist_free_all")) < 0)
		memset(&curl_api, 0, sizeof(curl_api));
}

int curl_api_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (load_rc < 0 && err && errlen)
		snprintf(err, errlen, "%s", load_err);
	return load_rc;
}
