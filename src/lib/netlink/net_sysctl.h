/* /proc/sys/net settings, in a chosen network namespace.
 *
 * /proc/sys/net shows the namespace of the thread that opens the file, so
 * these helpers open (and write) inside the namespace via netns_run(). */
#ifndef CALICO_NET_SYSCTL_H
#define CALICO_NET_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

/* rel is relative to /proc/sys/net, e.g. "ipv4/conf/cali1/proxy_arp".
 * ns_fd < 0: the calling thread's namespace. 0 or -errno; err gets one line. */
int net_sysctl_write(int ns_fd, const char *rel, const char *value, char *err, size_t errlen);
/* Reads the value without its trailing newline. */
int net_sysctl_read(int ns_fd, const char *rel, char *buf, size_t len, char *err, size_t errlen);

/* Settings of a host-side workload interface (DESIGN §4):
 * IPv4: conf/IF/proxy_arp=1 (answer the workload's ARP for 169.254.1.1),
 *       neigh/IF/proxy_delay=0 (answer at once, not after up to 0.8 s),
 *       conf/IF/forwarding=1, conf/IF/rp_filter=1 (strict: no spoofed sources);
 * IPv6: conf/IF/proxy_ndp=1, accept_ra=0 (a workload must not configure the
 *       host), forwarding=1.
 * Stops at the first failure; the values are per interface, so they vanish
 * with it and there is nothing to undo. */
int net_sysctl_workload_host(int ns_fd, const char *ifname, bool ipv4, bool ipv6, char *err,
			     size_t errlen);

#endif
