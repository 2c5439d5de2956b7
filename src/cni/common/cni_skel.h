/* The frame every CNI plugin runs in (like the Go plugins' skel): read the
 * environment and stdin, answer VERSION, check the config and the command
 * against its version, call the plugin's handler, print the result or the
 * error object on stdout and return the exit status. */
#ifndef CALICO_CNI_SKEL_H
#define CALICO_CNI_SKEL_H

#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"

struct cni_ctx {
	struct cni_env env;
	struct cni_conf conf;
	struct cni_args args;
	const char *stdin_text;   /* the config exactly as received, for delegation */
	struct cni_error err;     /* what a failing handler sets */
	char *out;                /* what a succeeding handler prints (malloc'd), NULL for nothing */
};

/* A handler returns 0 or -errno with ctx->err set. NULL: the command is not
 * supported (code 4). */
typedef int (*cni_handler)(struct cni_ctx *ctx);

struct cni_plugin {
	const char *name;
	cni_handler add, del, check, gc, status;
	const char *const *known_args; /* CNI_ARGS keys the plugin knows */
	bool needs_ipam;               /* ADD/DEL/CHECK need "ipam"."type" */
};

/* Returns the process's exit status (0, or 1 after printing an error). */
int cni_skel_main(const struct cni_plugin *p);

#endif
