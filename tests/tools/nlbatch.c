/* nlbatch: runs an nft script of ours through the agent's own netlink
 * encoder (policy/nft_nl_batch.h) in the current network namespace, for
 * tests/lab/nft_netlink.sh, which compares the table it makes with the one
 * `nft -f` makes of the same script.
 *
 *   nlbatch [-s FULL] FILE
 *                     exit 0: committed; 2: a line or form the encoder does
 *                     not know (nothing sent); 1: refused or failed. With -s,
 *                     the "add set" and "add map" lines of the script FULL
 *                     are the model of the table after FILE (as the agent
 *                     passes its own), for a diff whose element lines fill
 *                     sets it does not declare
 *   nlbatch -n FILE   only build: 0 or 2 (no root needed)
 *   nlbatch -d FILE   only build, and print each rule's expressions as
 *                     `nft --debug=netlink` prints them (no root needed) */
#include <errno.h>
#include <stdbool.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnftnl/rule.h>

#include "policy/nft_compile.h"
#include "policy/nft_nl_batch.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	if (!f)
		return NULL;
	do {
		if (len + 65536 > cap) {
			char *p = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int send_batch(const void *batch, size_t len, uint32_t begin, uint32_t last)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int size = (int)len + 4096, refused = 0, answered = 0;
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlbatch: netlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	if (mnl_socket_sendto(nl, batch, len) < 0) {
		perror("nlbatch: send");
		mnl_socket_close(nl);
		return 1;
	}
	while (!answered) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			perror("nlbatch: receive");
			mnl_socket_close(nl);
			return 1;
		}
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error) {
				fprintf(stderr, "nlbatch: message %u refused: %s\n", h->nlmsg_seq - begin, strerror(-e->error));
				refused = 1;
			}
			if (h->nlmsg_seq == last || (h->nlmsg_seq == begin && e->error))
				answered = 1;
		}
	}
	mnl_socket_close(nl);
	return refused;
}

/* every NEWRULE of the batch: "chain" then its expressions, one per line */
static void print_rules(const char *batch, size_t len)
{
	int left = (int)len;
	char text[8192];
	for (const struct nlmsghdr *h = (const struct nlmsghdr *)batch; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWRULE || h->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES)
			continue;
		struct nftnl_rule *r = nftnl_rule_alloc();
		if (r && nftnl_rule_nlmsg_parse(h, r) == 0) {
			nftnl_rule_snprintf(text, sizeof(text), r, NFTNL_OUTPUT_DEFAULT, 0);
			printf("%s\n", text);
		}
		nftnl_rule_free(r);
	}
}

/* the sets FULL declares, as a finished model */
static int model_of(const char *path, struct nft_model *m)
{
	char *text = slurp(path);
	nft_model_init(m, NFT_FAMILY, NFT_TABLE);
	if (!text)
		return -errno;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[NFT_NAME_MAX], key[24], value[16];
		bool map = strncmp(line, "add map inet calico ", 20) == 0;
		if (!map && strncmp(line, "add set inet calico ", 20) != 0)
			continue;
		if (map ? sscanf(line + 20, "%63s { type %23s : %15[a-z]; }", name, key, value) != 3
			: sscanf(line + 20, "%63s { type %23[a-z0-9_];", name, key) != 2)
			continue;
		if (!nft_model_add_set(m, name, key, map ? value : "", strstr(line, "flags interval") != NULL)) {
			free(text);
			return -ENOMEM;
		}
	}
	free(text);
	return nft_model_finish(m);
}

int main(int argc, char **argv)
{
	struct nft_model model, *have = NULL;
	if (argc == 4 && strcmp(argv[1], "-s") == 0) {
		if (model_of(argv[2], &model) < 0) {
			fprintf(stderr, "nlbatch: %s: cannot read its sets\n", argv[2]);
			return 1;
		}
		have = &model;
		argv += 2;
		argc -= 2;
	}
	int dump = argc == 3 && strcmp(argv[1], "-d") == 0;
	int build_only = dump || (argc == 3 && strcmp(argv[1], "-n") == 0);
	if (argc != 2 && !build_only) {
		fprintf(stderr, "usage: nlbatch [-n] FILE\n");
		return 1;
	}
	char *script = slurp(argv[argc - 1]);
	if (!script) {
		fprintf(stderr, "nlbatch: %s: %s\n", argv[argc - 1], strerror(errno));
		return 1;
	}
	void *batch;
	size_t len, n_msgs;
	uint32_t seq = (uint32_t)time(NULL);
	int rc = nft_nl_batch_build(script, have, seq, &batch, &len, &n_msgs);
	free(script);
	if (have)
		nft_model_free(have);
	if (rc < 0) {
		fprintf(stderr, "nlbatch: %s\n", strerror(-rc));
		return 1;
	}
	if (rc == 0) {
		fprintf(stderr, "nlbatch: not a script the encoder knows\n");
		return 2;
	}
	if (dump)
		print_rules(batch, len);
	rc = build_only ? 0 : send_batch(batch, len, seq, seq + (uint32_t)n_msgs);
	free(batch);
	return rc;
}
