/* BIRD's config file (bird_conf_file.h). */
#include "bgp/bird_conf_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/node_cache.h"
#include "util/nodename.h"

int bird_conf_from_ds(struct ds *ds, const char *host, const struct bird_conf_opts *opt, char **out, char *err,
		      size_t errlen)
{
	static const char *const prefixes[] = NODE_CACHE_PREFIXES;
	struct node_cache c;
	int rc = 0;

	*out = NULL;
	node_cache_init(&c);
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]) && rc >= 0; p++) {
		struct ds_kv_list l = { 0 };
		if ((rc = ds_list(ds, prefixes[p], &l)) < 0) {
			snprintf(err, errlen, "reading %s: %s", prefixes[p], ds_strerror(ds));
			break;
		}
		for (size_t i = 0; i < l.n && rc >= 0; i++)
			rc = node_cache_put(&c, l.items[i].key, l.items[i].value);
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		ds_kv_list_free(&l);
	}
	if (rc >= 0)
		rc = bird_conf_render(&c, host, opt, out, err, errlen);
	node_cache_free(&c);
	return rc < 0 ? rc : 0;
}

int bird_conf_write(const char *path, const char *text)
{
	char tmp[4200];
	size_t len = strlen(text);
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = errno ? -errno : -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

void bird_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", calico_run_dir(), name);
}

void bird_log_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/bird.log", calico_log_dir());
}
