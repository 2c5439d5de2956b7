/* Makes sure a task's profiles exist before its endpoint names them. */
#ifndef CALICO_MESOS_PROFILES_H
#define CALICO_MESOS_PROFILES_H

#include <stddef.h>

#include "datastore/datastore.h"

/* Creates each missing profile of names (mesos_profile_names order): the
 * host's default profile from the host's addresses, public, and Calico's
 * default profile for a netgroup. An existing profile is left as it is (an
 * operator may have edited it). 0 or -errno with a one-line reason in err. */
int mesos_profiles_ensure(struct ds *ds, const char *hostname, char *const *names, size_t n, char *err,
			  size_t errlen);

#endif
