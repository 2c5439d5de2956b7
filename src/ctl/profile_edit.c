#include "profile_edit.h"

#include <errno.h>

#include "ctl.h"
#include "store/profile_store.h"

#define EDIT_TRIES 20

int ctl_bad_profile_name(const char *name)
{
	return ctl_error("Invalid profile name \"%s\": names are 1-%d characters of letters, digits, '.', '_' and '-'.",
			 name, CALICO_NAME_MAX);
}

int ctl_profile_load(const char *name, struct profile *p)
{
	struct profile_revs revs;
	char err[MODEL_ERR_MAX];
	struct ds *ds;

	if (!name_is_valid(name))
		return ctl_bad_profile_name(name);
	if (!(ds = ctl_ds()))
		return 1;
	int rc = profile_load(ds, name, p, &revs, err, sizeof(err));
	if (rc == -ENOENT)
		return ctl_error("Profile %s not found.", name);
	if (rc == -EINVAL)
		return ctl_error("Error: profile %s is stored in a form that does not decode: %s", name, err);
	if (rc < 0)
		return ctl_ds_error("reading profile", rc);
	return 0;
}

int ctl_profile_edit(const char *name, profile_edit_fn edit, void *arg, int *edit_result)
{
	struct ds *ds;
	char err[MODEL_ERR_MAX];

	if (!name_is_valid(name))
		return ctl_bad_profile_name(name);
	if (!(ds = ctl_ds()))
		return 1;
	for (int attempt = 0; attempt < EDIT_TRIES; attempt++) {
		struct profile p;
		struct profile_revs revs;
		int rc = profile_load(ds, name, &p, &revs, err, sizeof(err));
		if (rc == -ENOENT)
			return ctl_error("Profile %s not found.", name);
		if (rc == -EINVAL)
			return ctl_error("Error: profile %s is stored in a form that does not decode: %s", name, err);
		if (rc < 0)
			return ctl_ds_error("reading profile", rc);
		rc = edit(&p, arg);
		*edit_result = rc;
		if (rc == EDIT_WRITE)
			rc = profile_store(ds, &p, &revs);
		profile_free(&p);
		if (rc == -ECANCELED)
			continue; /* changed under us: reload and apply the edit again */
		if (rc == EDIT_NOCHANGE || rc == 0)
			return 0;
		if (rc < 0 && *edit_result == EDIT_WRITE)
			return ctl_ds_error("writing profile", rc);
		return 1;
	}
	return ctl_error("Error: profile %s is being changed by others too often; gave up after %d tries", name,
			 EDIT_TRIES);
}
