/* Network namespaces: open one by path, run code inside one and come back,
 * make a socket that lives in one.
 *
 * setns() switches only the calling thread, and everything that resolves a
 * namespace at creation time (sockets, /proc/sys/net files, nft contexts)
 * keeps the namespace it was made in: create such things inside netns_run(),
 * then use them from anywhere. */
#ifndef CALICO_NETNS_H
#define CALICO_NETNS_H

/* Opens a namespace file (/var/run/netns/NAME, /proc/PID/ns/net) read-only,
 * close-on-exec. Returns the fd or -errno; -EINVAL when the file is not a
 * network namespace. */
int netns_open(const char *path);

/* Opens the calling thread's current network namespace. Returns fd or -errno. */
int netns_open_current(void);

typedef int (*netns_fn)(void *arg);

/* Runs fn(arg) with the calling thread inside ns_fd, then switches back, also
 * when fn fails. ns_fd < 0 means "the current namespace" (fn runs directly).
 * Returns fn's result, or -errno when entering the namespace failed (fn did not
 * run). If switching back fails the thread is in the wrong namespace and every
 * later netlink or sysctl call would silently act on it, so the process aborts. */
int netns_run(int ns_fd, netns_fn fn, void *arg);

/* socket(domain, type | SOCK_CLOEXEC, protocol) created inside ns_fd
 * (ns_fd < 0: current namespace). Returns the fd or -errno. */
int netns_socket(int ns_fd, int domain, int type, int protocol);

#endif
