/* Verdict points: ids and log statements (nft_flow.h). */
#include "policy/nft_flow.h"
#include "util/array.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nft_flows_init(struct nft_flows *f)
{
	memset(f, 0, sizeof(*f));
	flow_registry_init(&f->reg);
}

void nft_flows_free(struct nft_flows *f)
{
	flow_registry_free(&f->reg);
	free(f->fresh);
	nft_flows_init(f);
}

void nft_flows_take_fresh(struct nft_flows *f)
{
	f->n_fresh = 0;
}

static int note_fresh(struct nft_flows *f, uint32_t id)
{
	if (array_reserve((void **)&f->fresh, &f->cap_fresh, f->n_fresh + 1, sizeof(*f->fresh)) < 0)
		return -ENOMEM;
	f->fresh[f->n_fresh++] = id;
	return 0;
}

struct flow_point nft_flow_point(enum flow_kind kind, enum flow_action action, enum flow_dir dir)
{
	return (struct flow_point){ .kind = kind, .action = action, .dir = dir, .tier = "", .name = "",
				    .namespace = "", .trigger = "", .rule = -1 };
}

int nft_flow_log(struct nft_flows *f, const struct flow_point *p, char out[NFT_FLOW_TEXT_MAX])
{
	struct flow_point q = *p;
	char prefix[FLOW_PREFIX_MAX];
	int rc;

	out[0] = '\0';
	if (!f)
		return 0;
	q.id = flow_point_hash(p);
	/* the registry holds fewer than 2^32 points: a free id is always found */
	for (;;) {
		bool known = flow_registry_get(&f->reg, q.id) != NULL;
		rc = flow_registry_put(&f->reg, &q);
		if (rc == 0 && !known && (rc = note_fresh(f, q.id)) < 0)
			return rc;
		if (rc != -EEXIST)
			break;
		q.id++;
	}
	if (rc < 0)
		return rc;
	snprintf(out, NFT_FLOW_TEXT_MAX, "ct state new %slog group %d prefix \"%s\"",
		 p->action == FLOW_DENY ? NFT_FLOW_DENY_LIMIT " " : "", FLOW_NFLOG_GROUP,
		 flow_prefix_format(p->action, p->dir, q.id, prefix));
	return 0;
}
