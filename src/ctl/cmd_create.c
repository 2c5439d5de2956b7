/* calicoctl create -f FILE: creates each resource of a file; one that exists already fails them all (DESIGN §11). */
#include "ctl.h"
#include "v3_cli.h"

int cmd_create(int argc, char **argv)
{
	return v3_cmd_write_file("create", V3_WRITE_CREATE, false, argc, argv);
}
