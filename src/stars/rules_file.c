/* The collector's rules file (rules_file.h). */
#include "rules_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file_read.h"
#include "util/log.h"

#define RULES_MAX (1024u * 1024u)

json_t *rules_file_read(const char *path)
{
	static bool warned;
	json_error_t err;
	json_t *j = NULL;
	char *text;
	size_t len;

	if (!path)
		return NULL;
	if (!(text = read_path(path, RULES_MAX, &len))) {
		if (errno != ENOENT && !warned)
			log_warn("rules file %s: %s", path, strerror(errno));
		warned = errno != ENOENT;
		goto out;
	}
	j = json_loadb(text, len, 0, &err);
	if (!json_is_object(j)) {
		if (!warned)
			log_warn("rules file %s: not a JSON object (%s)", path, j ? "other JSON value" : err.text);
		warned = true;
		json_decref(j);
		j = NULL;
		goto out;
	}
	warned = false;
out:
	free(text);
	return j;
}
