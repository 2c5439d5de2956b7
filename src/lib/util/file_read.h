/* Reading a whole file or stream into memory, with a size limit. */
#ifndef CALICO_FILE_READ_H
#define CALICO_FILE_READ_H

#include <stddef.h>
#include <stdio.h>

/* All of f as a NUL-terminated malloc'd buffer; *len (may be NULL) gets its
 * length, which can be less than strlen's if the data holds NUL bytes. NULL
 * with errno set: ENOMEM, EFBIG past max bytes, or the read error. */
char *read_stream(FILE *f, size_t max, size_t *len);
/* The same for a path; "-" reads standard input. */
char *read_path(const char *path, size_t max, size_t *len);

#endif
