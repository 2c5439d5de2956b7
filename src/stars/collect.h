/* calico-stars collect: polls each service's probe and serves the UI (GET /)
 * and the graph (GET /graph, graph.h). */
#ifndef STARS_COLLECT_H
#define STARS_COLLECT_H

/* The command: argv after "collect". Returns the process exit code. */
int collect_main(int argc, char **argv);

#endif
