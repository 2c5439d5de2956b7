/* Rotated JSON lines files (flow_file.h). */
#include "flow_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/nodename.h"

static void path_of(const struct flow_file *f, unsigned n, char *buf, size_t len)
{
	if (n == 0)
		snprintf(buf, len, "%s/flows.log", f->dir);
	else
		snprintf(buf, len, "%s/flows.log.%u", f->dir, n);
}

static int open_current(struct flow_file *f)
{
	char path[4200];
	struct stat st;

	path_of(f, 0, path, sizeof(path));
	f->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return -errno;
	f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

void flow_file_set_limits(struct flow_file *f, uint64_t max_size, unsigned max_files)
{
	f->max_size = max_size ? max_size : 1;
	f->max_files = max_files ? max_files : 1;
}

int flow_file_open(struct flow_file *f, const char *dir, uint64_t max_size, unsigned max_files)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (dir)
		snprintf(f->dir, sizeof(f->dir), "%s", dir);
	else
		snprintf(f->dir, sizeof(f->dir), "%s/flows", calico_log_dir());
	flow_file_set_limits(f, max_size, max_files);
	if (mkdir(f->dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return open_current(f);
}

static int rotate(struct flow_file *f)
{
	char from[4200], to[4200];

	close(f->fd);
	f->fd = -1;
	path_of(f, f->max_files - 1, to, sizeof(to));
	unlink(to); /* the oldest goes (with one file allowed, the current one) */
	for (unsigned n = f->max_files - 1; n > 0; n--) {
		path_of(f, n - 1, from, sizeof(from));
		path_of(f, n, to, sizeof(to));
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	return open_current(f);
}

int flow_file_write(struct flow_file *f, const char *line)
{
	size_t len = strlen(line);
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	int rc;

	if (f->fd < 0 && (rc = open_current(f)) < 0)
		return rc;
	if (f->size && f->size + len + 1 > f->max_size && (rc = rotate(f)) < 0)
		return rc;
	ssize_t n = writev(f->fd, iov, 2);
	if (n < 0)
		return -errno;
	f->size += (uint64_t)n;
	return 0;
}

void flow_file_close(struct flow_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
