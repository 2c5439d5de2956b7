/* DEL: idempotent, and works without CNI_NETNS or after the namespace is
 * gone: the record and the veth name come from the attachment's id, the
 * addresses are released by the IPAM plugin (by handle, not by namespace). */
#include "calico_cni.h"

#include "util/log.h"

int calico_del(struct cni_ctx *ctx)
{
	struct attachment a;
	int rc;

	if ((rc = attachment_open(ctx, &a)) < 0)
		goto out;
	if ((rc = attachment_unwire(&a, &ctx->err)) < 0)
		goto out;
	if ((rc = attachment_ipam(ctx, CNI_CMD_DEL, NULL)) < 0)
		goto out;
	log_info("DEL %s %s: endpoint %s", ctx->env.container_id, ctx->env.ifname, a.ep_id);
out:
	attachment_close(&a);
	return rc;
}
