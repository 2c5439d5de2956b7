#include "kernel_features.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

/* true when `needle` appears as a path component ending a line of the file. */
static bool file_lists_module(const char *path, const char *needle)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static bool modules_loadable(void)
{
	char cmdline[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	return strstr(cmdline, "nomodule") == NULL && !file_lists_module("/proc/sys/kernel/modules_disabled", "1");
}

bool kernel_has_ipip(void)
{
	struct stat st;
	struct utsname u;
	char path[512];

	/* Loaded or built in: the kernel shows the module or its fallback device. */
	if (stat("/sys/module/ipip", &st) == 0 || file_lists_module("/proc/net/dev", "tunl0"))
		return true;
	if (uname(&u) < 0)
		return false;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", u.release);
	if (file_lists_module(path, "/ipip.ko"))
		return true;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	return modules_loadable() && file_lists_module(path, "/ipip.ko");
}
