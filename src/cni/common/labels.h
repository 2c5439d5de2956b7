/* Endpoint labels from the network config's "args": Mesos' network_info
 * labels (args."org.apache.mesos".network_info.labels.labels[]) first, then
 * the CNI convention's args.cni.labels[]; each {"key": .., "value": ..} (a
 * value may be absent or null: empty); a later key replaces an earlier one.
 * Pure logic.
 *
 * A list that is not one, or an entry that is not {"key": string, ...}, is
 * refused (code 7); a label whose key or value does not follow Kubernetes'
 * label syntax is skipped with a warning in the log (endpoint_labels.h), so
 * that labels a task carries for other tools never stop it. */
#ifndef CALICO_CNI_LABELS_H
#define CALICO_CNI_LABELS_H

#include <jansson.h>
#include <stddef.h>

#include "cni_error.h"
#include "model/model.h"

/* args may be NULL. A malformed list or entry is code 7 naming it. */
int cni_labels_from_args(const json_t *args, struct label **out, size_t *n, struct cni_error *e);
void cni_labels_free(struct label *l, size_t n);

#endif
