/* Flow records as JSON lines under CALICO_LOG_DIR/flows/flows.log, for the
 * user's log shipper: rotated by size (flows.log.1 is the newest old one),
 * at most max_files files in all, so the disk used stays under
 * max_size * max_files. Files are 0600 in a 0700 directory: they say who
 * talks to whom. */
#ifndef CALICO_NODE_FLOW_FILE_H
#define CALICO_NODE_FLOW_FILE_H

#include <stddef.h>
#include <stdint.h>

struct flow_file {
	char dir[4096];
	int fd;           /* -1: closed */
	uint64_t size;    /* of the current file */
	uint64_t max_size;
	unsigned max_files;
};

/* dir NULL: CALICO_LOG_DIR/flows. Opens (appends to) the current file. 0 or -errno. */
int flow_file_open(struct flow_file *f, const char *dir, uint64_t max_size, unsigned max_files);
void flow_file_set_limits(struct flow_file *f, uint64_t max_size, unsigned max_files);
/* One line (newline added); rotates first when it would pass max_size. 0 or -errno. */
int flow_file_write(struct flow_file *f, const char *line);
void flow_file_close(struct flow_file *f);

#endif
