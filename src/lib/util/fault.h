/* Fault injection for the crash tests (tests/lab/faults.sh): with
 * CALICO_FAULT_AT=<point>:<n> in the environment, the process raises SIGKILL
 * on its n-th pass (from 1) through the named point, so a test can kill a
 * writer exactly before or after a given datastore transaction. Unset (the
 * normal case) it costs one branch on a cached flag per pass.
 *
 * Points: "txn-before", "txn-after" (every ds_txn, any backend),
 * "workload-attached" (workload_create: veth made, record not yet written). */
#ifndef CALICO_FAULT_H
#define CALICO_FAULT_H

void fault_point(const char *name);

#endif
