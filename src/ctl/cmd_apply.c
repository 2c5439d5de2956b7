/* calicoctl apply -f FILE: creates each resource of a file or replaces it, all or nothing (DESIGN §11). */
#include "ctl.h"
#include "v3_cli.h"

int cmd_apply(int argc, char **argv)
{
	return v3_cmd_write_file("apply", V3_WRITE_APPLY, false, argc, argv);
}
