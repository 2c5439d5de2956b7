#include "store/endpoint_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "util/log.h"

/* Copies the next '/'-terminated segment of *p into buf; advances *p past it. */
static int take_segment(const char **p, char *buf, size_t len, int last)
{
	const char *s = *p;
	size_t n = last ? strlen(s) : strcspn(s, "/");
	if (n == 0 || n >= len || (!last && s[n] != '/') || (last && strchr(s, '/')))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = s + n + (last ? 0 : 1);
	return 0;
}

static int expect_word(const char **p, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(*p, word, n) != 0)
		return -EINVAL;
	*p += n;
	return 0;
}

int endpoint_key_parse(const char *key, struct endpoint_ref *ref)
{
	const char *p = key;
	if (expect_word(&p, KEY_HOST_PREFIX) || take_segment(&p, ref->host, sizeof(ref->host), 0) ||
	    expect_word(&p, "workload/") || take_segment(&p, ref->orch, sizeof(ref->orch), 0) ||
	    take_segment(&p, ref->workload, sizeof(ref->workload), 0) || expect_word(&p, "endpoint/") ||
	    take_segment(&p, ref->id, sizeof(ref->id), 1))
		return -EINVAL;
	return 0;
}

int endpoint_list(struct ds *ds, const char *host, struct endpoint_entry **out, size_t *n)
{
	char prefix[KEY_MAX];

	*out = NULL;
	*n = 0;
	if (host ? !key_fmt(prefix, KEY_HOST_PREFIX "%s/workload/", host) : !key_fmt(prefix, KEY_HOST_PREFIX))
		return -ENAMETOOLONG;
	return endpoint_list_under(ds, prefix, out, n);
}

int endpoint_list_under(struct ds *ds, const char *prefix, struct endpoint_entry **out, size_t *n)
{
	struct ds_kv_list l = { 0 };
	struct endpoint_entry *v = NULL;
	size_t count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = ds_list(ds, prefix, &l);
	if (rc < 0)
		return rc;
	v = calloc(l.n ? l.n : 1, sizeof(*v));
	if (!v) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		char err[MODEL_ERR_MAX];
		struct endpoint_entry *e = &v[count];
		if (endpoint_key_parse(l.items[i].key, &e->ref) < 0)
			continue; /* host config, other per-host keys */
		if (endpoint_decode(l.items[i].value, &e->ep, err, sizeof(err)) < 0) {
			log_warn("skipping endpoint %s: %s", l.items[i].key, err);
			continue;
		}
		e->mod_rev = l.items[i].mod_rev;
		count++;
	}
	/* Nothing found hands out nothing: callers that bail out on n == 0
	 * (workload_remove) then have nothing to free. */
	if (count) {
		*out = v;
		*n = count;
		v = NULL;
	}
	rc = 0;
out:
	free(v);
	ds_kv_list_free(&l);
	return rc;
}

void endpoint_entries_free(struct endpoint_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		endpoint_free(&e[i].ep);
	free(e);
}
