#include "util/file_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *read_stream(FILE *f, size_t max, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		if (cap - n < 4096) {
			size_t want = cap ? cap * 2 : 16384;
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			char *bigger = realloc(buf, want + 1);
			if (!bigger) {
				errno = ENOMEM;
				goto fail;
			}
			buf = bigger;
			cap = want;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	if (n > max) {
		errno = EFBIG;
		goto fail;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

char *read_path(const char *path, size_t max, size_t *len)
{
	if (strcmp(path, "-") == 0)
		return read_stream(stdin, max, len);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = read_stream(f, max, len);
	int saved = errno;
	fclose(f);
	errno = saved;
	return buf;
}
