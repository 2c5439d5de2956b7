/* The labels an endpoint record carries (DESIGN §11, "Labels of an
 * endpoint"): the runtime's own, each checked against Kubernetes' label
 * syntax, plus the two Calico sets itself. One small pure piece that every
 * door uses (calico_mesos, the CNI plugin, calico-libnetwork, and
 * workload_create for all of them), so a label means the same wherever it
 * came from.
 *
 * A runtime label whose key or value is not valid is skipped with a warning
 * in the log: a task carries labels for many tools (Marathon's
 * HAPROXY_0_VHOST, free text with spaces...), and one that Calico cannot
 * select on must not stop the task. Requests that are malformed as a whole
 * (labels not a list, a label without a key) are the doors' to refuse. */
#ifndef CALICO_ENDPOINT_LABELS_H
#define CALICO_ENDPOINT_LABELS_H

#include <stddef.h>

#include "model/model.h"

#define LABEL_ORCHESTRATOR "projectcalico.org/orchestrator"
#define LABEL_NAMESPACE    "projectcalico.org/namespace"
#define NAMESPACE_DEFAULT  "default"

/* Owned labels, in the order first added. */
struct endpoint_labels {
	struct label *items;
	size_t n;
};

/* NULL when key=value may be an endpoint label; otherwise why not, as a short
 * phrase ("key is not a valid label key"). */
const char *endpoint_label_problem(const char *key, const char *value);

/* Adds a runtime label, replacing the value of an earlier one with the same
 * key (the later wins, as the runtimes' own maps do). A label that is not
 * valid is skipped and logged as a warning naming where it came from
 * ("args.cni.labels[2]"). 0 added, 1 skipped, -ENOMEM. */
int endpoint_labels_add(struct endpoint_labels *l, const char *where, const char *key, const char *value);

/* Sets Calico's own labels, over any runtime label of the same key:
 * LABEL_ORCHESTRATOR = orch, and LABEL_NAMESPACE = ns when ns is given (and
 * valid: else a warning and the next choice), else the runtime's own
 * LABEL_NAMESPACE label when it had one, else NAMESPACE_DEFAULT.
 * 0, -EINVAL when orch is not a valid label value, -ENOMEM. */
int endpoint_labels_finish(struct endpoint_labels *l, const char *orch, const char *ns);

/* A copy of n labels (each checked as endpoint_labels_add does). */
int endpoint_labels_copy(struct endpoint_labels *l, const struct label *from, size_t n, const char *where);

/* The value of key, NULL when absent. */
const char *endpoint_labels_get(const struct endpoint_labels *l, const char *key);

void endpoint_labels_free(struct endpoint_labels *l);

#endif
