/* calico-stars forward: a TCP relay from a listening address in this process's
 * network namespace to an address reached from INSIDE another namespace.
 *
 * The stars demo uses it so the machine's own browser reaches the UI at
 * 127.0.0.1:PORT while every upstream connection is opened in host 1's
 * namespace: it crosses the management-ui workload's cali interface, so policy
 * still decides whether the UI answers (refused traffic shows up as a reset).
 *
 *   calico-stars forward --listen ADDR:PORT --netns NSPATH --to ADDR:PORT
 *
 * Exit 0 after SIGINT/SIGTERM, 1 on a usage error or when it cannot listen or
 * open the namespace. */
#ifndef STARS_FORWARD_H
#define STARS_FORWARD_H

int forward_main(int argc, char **argv);

#endif
