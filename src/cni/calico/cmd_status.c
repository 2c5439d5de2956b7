/* STATUS (1.1.0): ready for ADD when the datastore answers and the pools
 * have room (cni_status_check), and the IPAM plugin says so too (one that
 * predates STATUS, code 1 or 4, is taken as ready). */
#include "calico_cni.h"

#include <stdio.h>
#include <string.h>

#include "cni_ds.h"
#include "util/log.h"

int calico_status(struct cni_ctx *ctx)
{
	struct ds *ds = NULL;
	int rc;

	if (cni_ds_open(&ctx->conf, &ds, &ctx->err) < 0) {
		char keep[CNI_MSG_MAX];
		snprintf(keep, sizeof(keep), "%s", ctx->err.msg);
		return cni_err(&ctx->err, CNI_ERR_NOT_AVAILABLE_LIMITED, "%s", keep);
	}
	if ((rc = cni_status_check(ds, &ctx->conf, &ctx->err)) < 0)
		goto out;
	if (ctx->conf.ipam.type && (rc = attachment_ipam(ctx, CNI_CMD_STATUS, NULL)) < 0) {
		if (ctx->err.code != CNI_ERR_INCOMPATIBLE_VERSION && ctx->err.code != CNI_ERR_INVALID_ENV)
			goto out;
		log_info("STATUS: IPAM plugin %s does not know STATUS: %s", ctx->conf.ipam.type, ctx->err.msg);
		memset(&ctx->err, 0, sizeof(ctx->err));
		rc = 0;
	}
out:
	ds_close(ds);
	return rc;
}
