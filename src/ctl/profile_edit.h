/* Read-modify-write of one profile with compare-and-swap and bounded retry,
 * shared by the tag and rule subcommands. */
#ifndef CALICO_CTL_PROFILE_EDIT_H
#define CALICO_CTL_PROFILE_EDIT_H

#include "model/model.h"

/* An edit returns EDIT_WRITE to store the changed profile, EDIT_NOCHANGE to
 * store nothing, or a negative value after printing its own error. It may be
 * called more than once (on a lost race), so it must not print on success. */
enum { EDIT_WRITE = 0, EDIT_NOCHANGE = 1 };
typedef int (*profile_edit_fn)(struct profile *p, void *arg);

/* 0 when stored (or nothing to store), 1 after printing an error. */
int ctl_profile_edit(const char *name, profile_edit_fn edit, void *arg, int *edit_result);
/* Loads a profile for display: 0, or 1 after printing Calico's message
 * ("Profile X not found.", a bad name, an undecodable record, a datastore error). */
int ctl_profile_load(const char *name, struct profile *p);
/* Prints Calico's message for an invalid or missing profile name; returns 1. */
int ctl_bad_profile_name(const char *name);

#endif
