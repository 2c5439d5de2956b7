/* GC (1.1.0): endpoints of this network on this host (orchestrator "cni",
 * first profile = the network) whose (container id, interface) the runtime
 * no longer lists lose their veth and record; then the IPAM plugin gets GC
 * to release what they held. */
#include "calico_cni.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cni_ds.h"
#include "endpoint_id.h"
#include "store/endpoint_store.h"
#include "util/log.h"
#include "workload/workload_net.h"

/* The attachment list: [{"containerID": .., "ifname": ..}, ...]. */
static int listed(struct cni_ctx *ctx, const struct endpoint_ref *ref, bool *valid)
{
	size_t i;
	json_t *att;
	*valid = false;
	json_array_foreach(ctx->conf.attachments, i, att) {
		json_t *cid = json_object_get(att, "containerID"), *ifn = json_object_get(att, "ifname");
		char id[33];
		if (!json_is_string(cid) || !json_is_string(ifn))
			return cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG,
				       "cni.dev/valid-attachments[%zu] must be {\"containerID\": string, \"ifname\": string}", i);
		if (strcmp(json_string_value(cid), ref->workload) != 0)
			continue;
		cni_endpoint_id(ctx->conf.name, json_string_value(cid), json_string_value(ifn), id);
		if (strcmp(id, ref->id) == 0)
			*valid = true;
	}
	return 0;
}

int calico_gc(struct cni_ctx *ctx)
{
	struct ds *ds = NULL;
	struct endpoint_entry *eps = NULL;
	size_t n = 0, removed = 0;
	char host[HOSTNAME_MAX + 1], key[KEY_MAX], msg[512];
	int rc;

	if (!ctx->conf.attachments)
		return cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG, "GC needs \"cni.dev/valid-attachments\" in the network config");
	if ((rc = cni_host(&ctx->conf, host, sizeof(host), &ctx->err)) < 0 ||
	    (rc = cni_ds_open(&ctx->conf, &ds, &ctx->err)) < 0)
		goto out;
	if ((rc = endpoint_list(ds, host, &eps, &n)) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_TRY_AGAIN, "listing endpoints: %s", ds_strerror(ds));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct endpoint_entry *e = &eps[i];
		bool valid;
		if (strcmp(e->ref.orch, CNI_ORCH) != 0 || e->ep.n_profile_ids < 1 ||
		    strcmp(e->ep.profile_ids[0], ctx->conf.name) != 0)
			continue;
		if ((rc = listed(ctx, &e->ref, &valid)) < 0)
			goto out;
		if (valid)
			continue;
		if ((rc = workload_detach(e->ep.name, msg, sizeof(msg))) < 0 && rc != -ENODEV) {
			rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "GC: removing %s: %s", e->ep.name, msg);
			goto out;
		}
		/* Only the record as read: one rewritten meanwhile (a new ADD) stays. */
		struct ds_op op = { .type = DS_OP_DELETE, .key = key_endpoint(key, e->ref.host, e->ref.orch,
									     e->ref.workload, e->ref.id), .mod_rev = e->mod_rev };
		if (!op.key || ((rc = ds_txn(ds, &op, 1, NULL)) < 0 && rc != -ECANCELED)) {
			rc = cni_err(&ctx->err, CNI_ERR_TRY_AGAIN, "GC: removing endpoint %s: %s", e->ref.id, ds_strerror(ds));
			goto out;
		}
		log_info("GC: removed endpoint %s of container %s", e->ref.id, e->ref.workload);
		removed++;
	}
	/* The IPAM plugin releases the addresses of attachments it no longer
	 * sees listed. One that predates GC (code 1 or 4) leaves them to the
	 * runtime's DELs. */
	if ((rc = attachment_ipam(ctx, CNI_CMD_GC, NULL)) < 0) {
		if (ctx->err.code != CNI_ERR_INCOMPATIBLE_VERSION && ctx->err.code != CNI_ERR_INVALID_ENV)
			goto out;
		log_warn("GC: IPAM plugin %s cannot GC: %s", ctx->conf.ipam.type, ctx->err.msg);
		memset(&ctx->err, 0, sizeof(ctx->err));
	}
	log_info("GC of network %s on %s: %zu endpoints removed", ctx->conf.name, host, removed);
	rc = 0;
out:
	endpoint_entries_free(eps, n);
	if (ds)
		ds_close(ds);
	return rc;
}
