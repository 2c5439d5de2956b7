/* CNI spec versions and commands: which versions we speak, which result shape
 * each one has, which commands each one allows. Pure logic. */
#ifndef CALICO_CNI_VERSION_H
#define CALICO_CNI_VERSION_H

#include <stdbool.h>

#include "cni_error.h"

#define CNI_VERSION_LATEST "1.1.0"
/* What the spec says a config without "cniVersion" means. */
#define CNI_VERSION_DEFAULT "0.1.0"

/* Oldest first, NULL-terminated: 0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0. */
extern const char *const cni_supported_versions[];

enum cni_shape {
	CNI_SHAPE_020, /* 0.1.0, 0.2.0: "ip4"/"ip6" objects (what Mesos parses) */
	CNI_SHAPE_040, /* 0.3.x, 0.4.0: "interfaces", "ips" with "version" */
	CNI_SHAPE_100, /* 1.x: "ips" without "version" */
};

enum cni_cmd { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_VERSION, CNI_CMD_GC, CNI_CMD_STATUS };

bool cni_version_supported(const char *v);
/* Compares two "x.y.z" versions: <0, 0, >0. Unparsable text sorts first. */
int cni_version_cmp(const char *a, const char *b);
/* Shape of a supported version's results. */
enum cni_shape cni_version_shape(const char *v);

/* "ADD" ... "STATUS"; -EINVAL for anything else. */
int cni_cmd_parse(const char *text, enum cni_cmd *out);
const char *cni_cmd_name(enum cni_cmd cmd);
/* CHECK exists from 0.4.0, GC and STATUS from 1.1.0: an older config version
 * gets code 1, as the reference plugins answer. */
int cni_cmd_allowed(enum cni_cmd cmd, const char *version, struct cni_error *e);

/* The VERSION answer: {"cniVersion":..,"supportedVersions":[..]} (malloc'd).
 * cniVersion echoes requested when we support it, else CNI_VERSION_LATEST. */
char *cni_version_info(const char *requested);

#endif
