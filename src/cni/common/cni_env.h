/* The CNI_* environment of one invocation, and CNI_ARGS. Pure logic: the
 * environment comes in through a lookup function. */
#ifndef CALICO_CNI_ENV_H
#define CALICO_CNI_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "cni_error.h"
#include "cni_version.h"

struct cni_env {
	enum cni_cmd cmd;
	const char *container_id; /* CNI_CONTAINERID, NULL when unset */
	const char *netns;        /* CNI_NETNS */
	const char *ifname;       /* CNI_IFNAME */
	const char *args;         /* CNI_ARGS */
	const char *path;         /* CNI_PATH */
};

typedef const char *(*cni_getenv_fn)(const char *name);

/* Reads and checks the variables the command needs (code 4 naming the
 * variable): CNI_COMMAND always; CNI_CONTAINERID and CNI_IFNAME for ADD, DEL
 * and CHECK; CNI_NETNS for ADD and CHECK (DEL works without one). The
 * container id is [A-Za-z0-9][A-Za-z0-9_.-]*, the interface name 1..15
 * characters without '/', ':' or white space, and neither "." nor "..".
 * Strings point into the environment (get's results). */
int cni_env_parse(cni_getenv_fn get, struct cni_env *env, struct cni_error *e);

/* The spec's rules for CNI_CONTAINERID and CNI_IFNAME. */
bool cni_container_id_is_valid(const char *id);
bool cni_ifname_is_valid(const char *name);

/* CNI_ARGS: "K=V;K=V". A pair without '=' or with an empty key is refused
 * (code 4); a key not in known (NULL-terminated) is refused unless the args
 * say IgnoreUnknown=1 (or true). */
struct cni_arg {
	char *key, *value;
};
struct cni_args {
	struct cni_arg *items;
	size_t n;
	bool ignore_unknown;
};
int cni_args_parse(const char *text, const char *const *known, struct cni_args *out, struct cni_error *e);
/* The value of key, NULL when absent (the last one wins). */
const char *cni_args_get(const struct cni_args *a, const char *key);
void cni_args_free(struct cni_args *a);

#endif
