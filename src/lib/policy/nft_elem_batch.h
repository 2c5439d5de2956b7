/* An engine batch script that only adds and deletes elements of selector
 * sets (sel4-* / sel6-*: interval sets of addresses, nft_v3.h) as one
 * nf_tables netlink transaction, built here and sent by the agent.
 *
 * Why not libnftables: before any element command, libnftables 1.0.6 reads
 * back the elements of every interval set of the table (its overlap check),
 * so at 1,000 selector sets an endpoint's label change cost hundreds of
 * milliseconds of dumps. The kernel checks overlaps itself; a selector set's
 * element is an address (or a network set's net) that the engine adds only
 * when the set lacks it and that no other element covers (fill_nets' rule).
 *
 * An interval element is sent as the kernel keeps it: its first address, and
 * the address after its last with NFT_SET_ELEM_INTERVAL_END. Pure logic. */
#ifndef CALICO_NFT_ELEM_BATCH_H
#define CALICO_NFT_ELEM_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* The script may begin with the engine's "add table" line (a no-op: the
 * table is there).
 * 1 with *out (malloc'd, *len bytes: batch begin, one message per command,
 * batch end; sequence numbers from seq) and *n_acks (the messages that each
 * get an ack or an error) when script is such a script; 0 when it is not
 * (then it goes through libnftables); -ENOMEM. */
int nft_elem_batch_build(const char *script, uint32_t seq, void **out, size_t *len, size_t *n_acks);

#endif
