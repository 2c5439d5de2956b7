/* Endpoint records for calicoctl: finding them, compare-and-swap edits with
 * bounded retry, the profile list edits (append/remove/set) that both
 * `endpoint <ID> profile` and `container <C> profile` offer, and the table. */
#ifndef CALICO_CTL_ENDPOINT_EDIT_H
#define CALICO_CTL_ENDPOINT_EDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "store/endpoint_store.h"

/* Edits return EDIT_WRITE (store), EDIT_NOCHANGE, or a negative value after
 * printing their own error; they may run more than once on a lost race. */
typedef int (*endpoint_edit_fn)(struct endpoint *e, void *arg);

/* Read, edit, compare-and-swap on the key's mod revision, retry. 0 when
 * stored (or nothing to store), 1 after printing an error ("Endpoint <id> not
 * found." when it vanished). */
int ctl_endpoint_edit(const struct endpoint_ref *ref, endpoint_edit_fn edit, void *arg, int *edit_result);

/* The endpoint with this id on any host. 0, or prints and returns 1. */
int ctl_endpoint_find_id(const char *id, struct endpoint_entry *out);
/* Moves e into out (out owns it afterwards; e is left empty). */
void endpoint_entry_take(struct endpoint_entry *out, struct endpoint_entry *e);

enum profile_op { PROFILE_APPEND, PROFILE_REMOVE, PROFILE_SET };
/* Parses "append"/"remove"/"set"; -1 when it is none of them. */
int profile_op_parse(const char *word);
/* Checks the names (valid, exist) and applies op to the endpoint's profile
 * list; prints Calico's messages. Returns the exit status. */
int ctl_endpoint_profiles(const struct endpoint_ref *ref, enum profile_op op, char **names, int n);
/* "Name" table of the endpoint's profiles. */
int ctl_endpoint_profiles_show(const struct endpoint_entry *e);

/* Calico's detailed endpoint table of entries (Hostname, Orchestrator ID,
 * Workload ID, Endpoint ID, Addresses, MAC, Profiles, State). 0 or -ENOMEM. */
int endpoint_table_print(const struct endpoint_entry *eps, size_t n, FILE *out);

#endif
