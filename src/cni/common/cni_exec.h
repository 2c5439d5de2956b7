/* Delegating to another plugin (IPAM) the way runtimes run plugins: found by
 * its type in the CNI_PATH directories, given this process's environment with
 * CNI_COMMAND replaced, and the whole network config on stdin. */
#ifndef CALICO_CNI_EXEC_H
#define CALICO_CNI_EXEC_H

#include <stddef.h>

#include "cni_error.h"
#include "cni_version.h"

/* Looks for an executable file named type in each directory of cni_path.
 * -ENOENT when none has it. */
int cni_find_plugin(const char *type, const char *cni_path, char *out, size_t outlen);

/* Runs plugin type with command and stdin_data. On success *stdout_text (may
 * be NULL when the caller does not want it) gets what it printed (malloc'd).
 * A plugin that fails reports its error object: e gets its code and message
 * prefixed with the plugin's name; one that prints no error object gets code
 * 999 with its exit status. A plugin missing from CNI_PATH is code 7. */
int cni_delegate(const char *type, const char *cni_path, enum cni_cmd command, const char *stdin_data,
		 char **stdout_text, struct cni_error *e);

#endif
