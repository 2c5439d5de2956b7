#include "util/nodename.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return (v && *v) ? v : fallback;
}

const char *calico_run_dir(void)
{
	return env_or("CALICO_RUN_DIR", "/var/run/calico");
}

const char *calico_log_dir(void)
{
	return env_or("CALICO_LOG_DIR", "/var/log/calico");
}

const char *calico_state_dir(void)
{
	return env_or("CALICO_STATE_DIR", "/var/lib/calico");
}

int hostname_is_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '.' && c != '-' && c != '_')
			return 0;
	}
	return 1;
}

static int copy_name(char *buf, size_t len, const char *name)
{
	if (!hostname_is_valid(name) || strlen(name) >= len)
		return -EINVAL;
	snprintf(buf, len, "%s", name);
	return 0;
}

int nodename_get(char *buf, size_t len)
{
	const char *env = getenv("HOSTNAME");
	if (env && *env)
		return copy_name(buf, len, env);

	char path[4096], line[HOSTNAME_MAX + 2];
	snprintf(path, sizeof(path), "%s/nodename", calico_state_dir());
	FILE *f = fopen(path, "r");
	if (f) {
		char *got = fgets(line, sizeof(line), f);
		fclose(f);
		if (got) {
			line[strcspn(line, "\r\n")] = '\0';
			if (*line)
				return copy_name(buf, len, line);
		}
	}
	char host[HOSTNAME_MAX + 1];
	if (gethostname(host, sizeof(host)) < 0)
		return -errno;
	host[sizeof(host) - 1] = '\0';
	return copy_name(buf, len, host);
}
