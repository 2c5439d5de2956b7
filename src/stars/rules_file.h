/* calico-stars collect: the rules file beside the graph. */
#ifndef STARS_RULES_FILE_H
#define STARS_RULES_FILE_H

#include <jansson.h>

/* The JSON object in path ({"client":"inbound allow ...\n...", ...}), or NULL
 * when path is NULL, missing, or not such an object. A file that exists but
 * does not hold an object is warned about once, until the file reads well again. */
json_t *rules_file_read(const char *path);

#endif
