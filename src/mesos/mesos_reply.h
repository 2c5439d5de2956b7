/* The one JSON object calico_mesos writes on stdout, whatever happens.
 *
 * The net-modules isolator ignores the exit status and reads only stdout, so
 * an answer must come out on every path: a refused request, a failure, a
 * library that calls exit(), a crash. mesos_reply_install() keeps the real
 * stdout for the answer alone (file descriptor 1 becomes stderr, so nothing
 * else can slip onto it) and installs the guards: a handler for fatal
 * signals and an exit hook that answer {"error": "..."} if nothing was sent. */
#ifndef CALICO_MESOS_REPLY_H
#define CALICO_MESOS_REPLY_H

#include <jansson.h>

void mesos_reply_install(void);
/* Sends obj (adding "error": null when it has no "error") once; later calls
 * do nothing. Steals the reference. 0 or -errno. */
int mesos_reply_send(json_t *obj);
/* Sends {"error": msg}. Bytes that are not UTF-8 are shown as '?'. */
int mesos_reply_error(const char *msg);

#endif
