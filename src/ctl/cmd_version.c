#include <stdio.h>

#include "ctl.h"

int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return ctl_usage("version");
	printf("calicoctl version %s\n", CALICO_VERSION);
	return 0;
}
