/* Read-back of table inet calico from nf_tables netlink dumps into the same
 * model nft_model_from_json makes of `nft -j list table` (nft_model.h): sets
 * with their elements as nft prints them, chains, and for each chain its
 * rule count and the hash its first rule carries as comment.
 *
 * Why not libnftables: its listing decodes every rule's expressions back to
 * text and then to JSON, which the agent parses again only to read one
 * comment per chain: 2.4 s and a peak of over 100 MB at 1,000 local
 * endpoints, at every start and every periodic check. Here a rule's message
 * is read for its chain and comment only. Pure logic: the caller sends the
 * requests built here and hands each answer over, in this order:
 *
 *   the table (a GET: ENOENT means no table), the sets, each set's elements,
 *   the chains, nft_nl_read_chains_done, the rules.
 *
 * A set of a type we never make reads as type "?" (the diff then replaces
 * the whole table), as in the JSON read-back. */
#ifndef CALICO_NFT_NL_READ_H
#define CALICO_NFT_NL_READ_H

#include <stddef.h>
#include <stdint.h>

#include "policy/nft_model.h"

struct nlmsghdr;

/* A request at buf (MNL_SOCKET_BUFFER_SIZE bytes): type is NFT_MSG_GETTABLE
 * (a single get), NFT_MSG_GETSET, NFT_MSG_GETCHAIN (dumps of the table),
 * NFT_MSG_GETSETELEM (a dump of the elements of set name) or NFT_MSG_GETRULE
 * (a dump of the rules of chain name, or of the table's when name is NULL).
 * Returns it. */
struct nlmsghdr *nft_nl_read_request(char *buf, uint16_t type, uint32_t seq, const char *name);

/* One set of the dump into m (anonymous sets, which belong to their rule,
 * are skipped). 0, -EINVAL for a message not understood, -ENOMEM. */
int nft_nl_read_set(struct nft_model *m, const struct nlmsghdr *h);

/* Elements of one set, gathered over the dump's messages, then turned into
 * the set's element texts (intervals paired up: "10.0.0.0/16", "10.0.0.1",
 * "10.0.0.1-10.0.0.5", "80", "8000-8080"). */
struct nft_nl_elems {
	struct nft_nl_raw_elem *items;
	size_t n, cap;
};
int nft_nl_read_elems(struct nft_nl_elems *acc, const struct nlmsghdr *h);
int nft_nl_elems_finish(struct nft_nl_elems *acc, struct nft_set *s);
void nft_nl_elems_free(struct nft_nl_elems *acc);

int nft_nl_read_chain(struct nft_model *m, const struct nlmsghdr *h);
/* Sorts the model (nft_model_finish): call after the chains, before the rules. */
int nft_nl_read_chains_done(struct nft_model *m);
/* One rule: counted in its chain; the first one's comment is the chain's hash. */
int nft_nl_read_rule(struct nft_model *m, const struct nlmsghdr *h);

#endif
