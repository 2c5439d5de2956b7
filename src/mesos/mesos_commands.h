/* The five net-modules commands over the datastore. Each takes a request that
 * mesos_request_parse accepted and returns 0 with *reply (a JSON object for
 * the answer, or NULL for {"error": null}) or -errno with the caller-facing
 * message in err. A command that fails has undone what it did. */
#ifndef CALICO_MESOS_COMMANDS_H
#define CALICO_MESOS_COMMANDS_H

#include <jansson.h>
#include <stddef.h>

#include "datastore/datastore.h"
#include "mesos_request.h"

#define MESOS_ORCH "mesos"

typedef int (*mesos_command_fn)(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err,
				size_t errlen);

int mesos_allocate(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen);
int mesos_reserve(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen);
int mesos_release(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen);
int mesos_isolate(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen);
int mesos_cleanup(struct ds *ds, const struct mesos_request *r, json_t **reply, char *err, size_t errlen);

#endif
