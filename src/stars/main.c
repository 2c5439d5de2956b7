/* calico-stars: the stars policy demo's probe and collector (DESIGN §8).
 *
 *   calico-stars probe --name NAME [--listen ADDR:PORT] [--interval S] TARGET_URL...
 *   calico-stars collect [--listen ADDR:PORT] [--interval S] [--show-rules] SERVICE=STATUS_URL...
 *
 * Exit 0 after SIGINT/SIGTERM, 1 on a usage error (one line naming the bad
 * argument) or when it cannot listen. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "collect.h"
#include "forward.h"
#include "probe.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: calico-stars probe --name NAME [--listen ADDR:PORT] [--interval SECONDS] TARGET_URL...\n"
		   "       calico-stars collect [--listen ADDR:PORT] [--interval SECONDS] [--show-rules]\n"
		   "                            SERVICE=STATUS_URL...\n");
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "calico-stars: missing command (want probe or collect)\n");
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("calico-stars %s\n", CALICO_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "forward") == 0)
		return forward_main(argc - 1, argv + 1); /* no libcurl: it only relays bytes */
	if (strcmp(argv[1], "probe") != 0 && strcmp(argv[1], "collect") != 0) {
		fprintf(stderr, "calico-stars: bad command '%s' (want probe or collect)\n", argv[1]);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "calico-stars: cannot initialise libcurl\n");
		return 1;
	}
	rc = strcmp(argv[1], "probe") == 0 ? probe_main(argc - 1, argv + 1) : collect_main(argc - 1, argv + 1);
	curl_global_cleanup();
	return rc;
}
