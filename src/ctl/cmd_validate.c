/* calicoctl validate -f FILE: checks a file as apply would, against the datastore, and writes nothing (DESIGN §11). */
#include "ctl.h"
#include "v3_cli.h"

int cmd_validate(int argc, char **argv)
{
	return v3_cmd_write_file("validate", V3_WRITE_APPLY, true, argc, argv);
}
