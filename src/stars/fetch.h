/* calico-stars: GET several URLs at once (curl multi), each with a hard timeout. */
#ifndef STARS_FETCH_H
#define STARS_FETCH_H

#include <stddef.h>

struct fetch_result {
	long status; /* HTTP status, 0 when no answer (refused, timed out, ...) */
	char *body;  /* malloc'd, NUL-terminated, NULL when no answer */
	size_t len;
};

/* GETs every urls[i] in parallel; out[i] gets its answer. Each transfer,
 * connect included, gives up after timeout_ms, so the call returns within
 * about timeout_ms however many targets drop packets. Bodies past 256 KiB
 * count as no answer. Proxies from the environment are not used. Returns 0,
 * or -ENOMEM (out[] then holds nothing to free). */
int fetch_all(const char *const *urls, size_t n, long timeout_ms, struct fetch_result *out);
void fetch_results_free(struct fetch_result *r, size_t n);

#endif
