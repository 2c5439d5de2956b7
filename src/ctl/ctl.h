/* calicoctl: shared pieces of the subcommands. Each subcommand is one file,
 * cmd_<name>.c, with an entry `int cmd_<name>(int argc, char **argv)` that gets
 * the words after its name and returns an exit status (0 or 1). Errors go to
 * stderr as one line; usage errors print the subcommand's usage. */
#ifndef CALICO_CTL_H
#define CALICO_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "datastore/datastore.h"

struct ctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage; /* the docopt-style lines for this subcommand */
};

/* The dispatch table, in main.c. */
extern const struct ctl_command ctl_commands[];

/* Prints the usage of subcommand `name` (or all) to stderr; returns 1. */
int ctl_usage(const char *name);
/* Prints "<fmt>" as one line to stderr; returns 1. */
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* true once ctl_error has printed a line (ctl_usage then adds none of its own) */
bool ctl_error_printed(void);

/* Opens the datastore chosen by the environment, once per process; prints a
 * clear line and returns NULL when it cannot. */
struct ds *ctl_ds(void);
void ctl_ds_close(void);
/* Prints the datastore's last error as "Error: <op>: <reason>"; returns 1. */
int ctl_ds_error(const char *what, int rc);

/* Options: "--name" (flag) or "--name=" (takes a value, as --name=V or --name V).
 * ctl_take_options removes every recognised option from argv (compacting it),
 * stores them in found, and refuses unknown "--x" words. 0, or prints the
 * problem + usage and returns 1. */
struct ctl_option {
	const char *spec;   /* "--at=" or "--detailed" */
	bool present;
	const char *value;  /* for value options */
};
int ctl_take_options(const char *cmd, int *argc, char **argv, struct ctl_option *opts, size_t n);

/* Parses a decimal int in [min, max]; -EINVAL otherwise. */
int ctl_parse_int(const char *text, long min, long max, long *out);

/* The subcommands. */
int cmd_profile(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_bgp(int argc, char **argv);
int cmd_node_bgp(int argc, char **argv); /* calicoctl node bgp ... (cmd_bgp.c) */
int cmd_config(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_ipam(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_endpoint(int argc, char **argv);
int cmd_checksystem(int argc, char **argv);
int cmd_diags(int argc, char **argv);
/* Calico v3's grammar (DESIGN §11) */
int cmd_apply(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_replace(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_flows(int argc, char **argv); /* DESIGN §12 */

#endif
