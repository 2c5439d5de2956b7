/* Profiles in the datastore: two keys per profile (tags, rules), read and
 * written together. Shared by calicoctl, the plugins and the agent. */
#ifndef CALICO_PROFILE_STORE_H
#define CALICO_PROFILE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"
#include "model/model.h"

/* mod revisions of the two keys as read (0 = key absent), for compare-and-swap. */
struct profile_revs {
	int64_t tags_rev, rules_rev;
};

/* -ENOENT when the profile has neither key; -EINVAL (message in err) when a
 * stored value does not decode. */
int profile_load(struct ds *ds, const char *name, struct profile *p, struct profile_revs *revs, char *err,
		 size_t errlen);
/* Both keys in one transaction; -EEXIST if either exists. */
int profile_create(struct ds *ds, const struct profile *p);
/* Writes tags and rules, each compare-and-swapped against revs; -ECANCELED when
 * someone else changed the profile meanwhile (reload and retry). */
int profile_store(struct ds *ds, const struct profile *p, const struct profile_revs *revs);
/* Creates the profile with Calico's defaults unless it exists. */
int profile_ensure(struct ds *ds, const char *name);
int profile_delete(struct ds *ds, const char *name); /* -ENOENT when absent */
/* Sorted, unique names of every profile; free with profile_names_free. */
int profile_list_names(struct ds *ds, char ***names, size_t *n);
void profile_names_free(char **names, size_t n);

#endif
