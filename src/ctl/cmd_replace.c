/* calicoctl replace -f FILE: replaces each resource of a file; one that does not exist fails them all (DESIGN §11). */
#include "ctl.h"
#include "v3_cli.h"

int cmd_replace(int argc, char **argv)
{
	return v3_cmd_write_file("replace", V3_WRITE_REPLACE, false, argc, argv);
}
