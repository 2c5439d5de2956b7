/* The pieces Calico v3's grammar shares (apply, create, replace, validate,
 * delete, get, label): its options, reading resource files, printing
 * resources. DESIGN §11. */
#ifndef CALICO_CTL_V3_CLI_H
#define CALICO_CTL_V3_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "resource/resource.h"
#include "store/resource_store.h"

/* Options, in Calico's short and long spellings. */
#define V3_OPT_FILE      0x01u /* -f, --filename FILE */
#define V3_OPT_NAMESPACE 0x02u /* -n, --namespace NS */
#define V3_OPT_ALL_NS    0x04u /* -A, --all-namespaces */
#define V3_OPT_SELECTOR  0x08u /* -l, --selector SEL */
#define V3_OPT_OUTPUT    0x10u /* -o, --output FMT */
#define V3_OPT_OVERWRITE 0x20u /* --overwrite */
#define V3_OPT_REMOVE    0x40u /* --remove */

struct v3_opts {
	const char *file, *ns, *selector, *output;
	bool all_ns, overwrite, remove;
};

/* Takes the allowed options out of argv (compacting it; the words left are
 * the positional ones). 0, or prints one line and the usage and returns 1. */
int v3_take_options(const char *cmd, int *argc, char **argv, unsigned allowed, struct v3_opts *o);

/* The resources of a file, in order, with where each came from. */
struct v3_batch {
	struct v3_resource *items;
	size_t n;
	size_t *doc;  /* 1-based document of items[i] */
	char **where; /* "items[2]." or "[2]." inside a list document, else "" */
	const char *label; /* the file as messages name it */
};

/* Reads and decodes every resource of path ("-": standard input): one or
 * more YAML documents (---) or JSON, each a resource, a List (kind List or
 * <Kind>List, with items) or a bare list of resources. 0, or prints
 * "FILE: document N: field: problem" and returns 1. */
int v3_read_file(const char *path, struct v3_batch *b);
void v3_batch_free(struct v3_batch *b);
/* Prints the store's refusal of b->items[bad] (or of the file when bad is n). */
int v3_batch_error(const struct v3_batch *b, size_t bad, const char *msg);

/* The kind named on a command line (any of Calico's names); prints an error and
 * returns NULL when none. */
const struct v3_kind_info *v3_kind_arg(const char *word);

/* apply, create, replace, validate, delete -f: the whole command. */
int v3_cmd_write_file(const char *cmd, enum v3_write_mode mode, bool dry_run, int argc, char **argv);
/* "Successfully applied 3 'GlobalNetworkPolicy' resource(s)" (the kind only when all are of one). */
void v3_say_success(const char *verb, const struct v3_resource *items, size_t n);

#endif
