/* A net-modules request, parsed and validated: pure logic, no I/O.
 *
 * The Mesos net-modules isolator writes one request on stdin,
 * {"command": "...", "args": {...}} (DESIGN §6). Everything a command needs is
 * checked here, before anything touches the datastore or the kernel, so a
 * refused request leaves nothing behind; the messages name what was wrong
 * ("Missing container_id", "IP address could not be parsed: 1.1.1.1.1", ...).
 *
 * Keys of args that a command does not use are ignored (a newer isolator may
 * send more), but every key it uses is checked strictly. A list (ipv4_addrs,
 * ipv6_addrs, netgroups, labels) may be absent, which is the empty list: Mesos
 * leaves out every repeated protobuf field that has no members. */
#ifndef CALICO_MESOS_REQUEST_H
#define CALICO_MESOS_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/ipaddr.h"
#include "model/model.h"

/* At most this many addresses of one family in one request: Mesos asks for a
 * handful; a bigger number is a mistake, and it bounds the work one call does. */
#define MESOS_MAX_ADDRS 64
enum mesos_command { MESOS_ALLOCATE, MESOS_RESERVE, MESOS_RELEASE, MESOS_ISOLATE, MESOS_CLEANUP };

struct mesos_addrs {
	struct ip_addr *items;
	size_t n;
};

struct mesos_request {
	enum mesos_command command;
	/* Strings below are borrowed from root (NULL when the command has none). */
	const char *hostname;
	const char *uid;
	const char *container_id;
	long long pid;
	size_t num_ipv4, num_ipv6;  /* allocate */
	struct mesos_addrs ipv4;     /* reserve, isolate */
	struct mesos_addrs ipv6;
	struct mesos_addrs ips;      /* release by ips (release by uid when uid is set) */
	const char **netgroups;      /* in order, without repeats */
	size_t n_netgroups;
	struct label *labels;        /* owned: the valid ones (endpoint_labels.h) */
	size_t n_labels;
	json_t *root;
};

/* Parses and validates text. 0, or -EINVAL with the caller-facing message in
 * err; *req is zeroed on failure (mesos_request_free is still harmless). */
int mesos_request_parse(const char *text, struct mesos_request *req, char *err, size_t errlen);
void mesos_request_free(struct mesos_request *req);
const char *mesos_command_name(enum mesos_command c);

#endif
