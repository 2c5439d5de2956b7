/* One host's flow records over its flows socket (flows_read.h). */
#include "flows_read.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/flow_client.h"
#include "util/log.h"

static void note(struct flows_source *src, const char *msg)
{
	if (strncmp(src->last_err, msg, sizeof(src->last_err) - 1) == 0)
		return;
	snprintf(src->last_err, sizeof(src->last_err), "%s", msg);
	log_warn("flows socket %s: %s", src->path, msg);
}

json_t *flows_read(struct flows_source *src, long long since)
{
	struct flow_query q = { .since = since > 0 ? since : 0 };
	json_t *out = json_array();
	char *line = NULL, msg[300];
	size_t cap = 0;
	FILE *in = NULL;
	bool refused = false;
	int fd, rc;

	if (!out)
		return NULL;
	if ((fd = flow_client_connect(src->path, FLOWS_READ_TIMEOUT_MS)) < 0) {
		snprintf(msg, sizeof(msg), "cannot connect: %s", strerror(-fd));
		note(src, msg);
		return out;
	}
	if ((rc = flow_client_send(fd, &q)) < 0 || !(in = fdopen(fd, "r"))) {
		snprintf(msg, sizeof(msg), "cannot send the query: %s", strerror(rc < 0 ? -rc : errno));
		note(src, msg);
		close(fd);
		return out;
	}
	errno = 0;
	while (json_array_size(out) < FLOWS_READ_MAX && getline(&line, &cap, in) > 0) {
		json_t *rec;
		if (strncmp(line, "error: ", 7) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(msg, sizeof(msg), "calico-node refused the query: %.200s", line + 7);
			note(src, msg);
			refused = true;
			break;
		}
		rec = json_loads(line, 0, NULL);
		if (!json_is_object(rec)) {
			json_decref(rec);
			continue;
		}
		if (json_array_append_new(out, rec)) {
			json_decref(out);
			out = NULL;
			break;
		}
	}
	if (out && ferror(in) && errno) {
		snprintf(msg, sizeof(msg), "reading the records: %s", strerror(errno));
		note(src, msg);
	} else if (out && !refused) {
		src->last_err[0] = '\0';
	}
	free(line);
	fclose(in);
	return out;
}
