/* Endpoint labels from the network config's "args": Mesos' network_info
 * labels (args."org.apache.mesos".network_info.labels.labels[]) first, then
 * the CNI convention's args.cni.labels[]; each {"key": .., "value": ..}; a
 * later key replaces an earlier one. Pure logic.
 *
 * Sanitising, so that every label can be matched by a selector (the
 * Kubernetes label syntax Calico uses): in values, and in each part of a key
 * ("prefix/name", only the first '/' separates), every character other than
 * letters, digits, '-', '_' and '.' becomes '_'; leading and trailing
 * characters that are not letters or digits are dropped; a name or value is
 * cut to 63 characters and a prefix to 253. A key whose name ends up empty
 * is dropped (with a warning); a value may be empty. */
#ifndef CALICO_CNI_LABELS_H
#define CALICO_CNI_LABELS_H

#include <jansson.h>
#include <stddef.h>

#include "cni_error.h"
#include "model/model.h"

#define LABEL_NAME_MAX   63
#define LABEL_PREFIX_MAX 253

/* out gets at most outlen - 1 characters (outlen >= LABEL_NAME_MAX + 1). */
void label_sanitise_value(const char *in, char *out, size_t outlen);
/* outlen >= LABEL_PREFIX_MAX + LABEL_NAME_MAX + 2. "" when nothing usable is left. */
void label_sanitise_key(const char *in, char *out, size_t outlen);

/* args may be NULL. A malformed list or entry is code 7 naming it. */
int cni_labels_from_args(const json_t *args, struct label **out, size_t *n, struct cni_error *e);
void cni_labels_free(struct label *l, size_t n);

#endif
