#include "calico_cni.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cni_ds.h"
#include "cni_exec.h"
#include "endpoint_id.h"
#include "model/model.h"
#include "workload/workload_net.h"

int attachment_open(struct cni_ctx *ctx, struct attachment *a)
{
	memset(a, 0, sizeof(*a));
	if (cni_host(&ctx->conf, a->host, sizeof(a->host), &ctx->err) < 0)
		return -EINVAL;
	cni_endpoint_id(ctx->conf.name, ctx->env.container_id, ctx->env.ifname, a->ep_id);
	if (workload_host_ifname(a->ep_id, a->host_ifname) < 0 ||
	    !key_endpoint(a->key, a->host, CNI_ORCH, ctx->env.container_id, a->ep_id) ||
	    !key_fmt(a->status_key, KEY_FELIX_HOST_PREFIX "%s/workload/%s/%s/endpoint/%s", a->host, CNI_ORCH,
		     ctx->env.container_id, a->ep_id))
		return cni_err(&ctx->err, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID or host name too long for a datastore key");
	return cni_ds_open(&ctx->conf, &a->ds, &ctx->err);
}

void attachment_close(struct attachment *a)
{
	if (a->ds)
		ds_close(a->ds);
	a->ds = NULL;
}

int attachment_unwire(struct attachment *a, struct cni_error *e)
{
	struct ds_kv kv = { 0 };
	struct endpoint ep = { 0 };
	char msg[512], ifname[IFNAMSIZ];
	int rc;

	snprintf(ifname, sizeof(ifname), "%s", a->host_ifname);
	rc = ds_get(a->ds, a->key, &kv);
	if (rc < 0 && rc != -ENOENT)
		return cni_err(e, CNI_ERR_TRY_AGAIN, "reading endpoint %s: %s", a->ep_id, ds_strerror(a->ds));
	/* The record names the interface; an edited record still finds its veth. */
	if (rc == 0 && endpoint_decode(kv.value, &ep, msg, sizeof(msg)) == 0 && ep.name[0])
		snprintf(ifname, sizeof(ifname), "%s", ep.name);
	endpoint_free(&ep);
	ds_kv_free(&kv);
	/* The interface first: while the record exists the agent keeps the
	 * endpoint's policy, so no moment has an interface without policy. */
	if ((rc = workload_detach(ifname, msg, sizeof(msg))) < 0 && rc != -ENODEV)
		return cni_err(e, CNI_ERR_INTERNAL, "removing %s: %s", ifname, msg);
	if (strcmp(ifname, a->host_ifname) != 0 && (rc = workload_detach(a->host_ifname, msg, sizeof(msg))) < 0 &&
	    rc != -ENODEV)
		return cni_err(e, CNI_ERR_INTERNAL, "removing %s: %s", a->host_ifname, msg);
	if ((rc = ds_delete(a->ds, a->key)) < 0 && rc != -ENOENT)
		return cni_err(e, CNI_ERR_TRY_AGAIN, "removing endpoint %s: %s", a->ep_id, ds_strerror(a->ds));
	return 0;
}

int attachment_ipam(struct cni_ctx *ctx, enum cni_cmd cmd, struct cni_result *res)
{
	char *out = NULL;
	int rc = cni_delegate(ctx->conf.ipam.type, ctx->env.path, cmd, ctx->stdin_text, res ? &out : NULL, &ctx->err);
	if (rc == 0 && res && cni_result_decode(out, res, &ctx->err) < 0) {
		char keep[CNI_MSG_MAX];
		snprintf(keep, sizeof(keep), "%s", ctx->err.msg);
		rc = cni_err(&ctx->err, CNI_ERR_DECODE, "IPAM plugin %s: %s", ctx->conf.ipam.type, keep);
	}
	free(out);
	return rc;
}

int attachment_status(struct attachment *a, char *status, size_t len)
{
	struct ds_kv kv = { 0 };
	status[0] = '\0';
	int rc = ds_get(a->ds, a->status_key, &kv);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	json_t *o = json_loads(kv.value, 0, NULL), *s = json_object_get(o, "status");
	snprintf(status, len, "%s", json_is_string(s) ? json_string_value(s) : "?");
	json_decref(o);
	ds_kv_free(&kv);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int attachment_wait_up(struct attachment *a, int timeout_s, char *status, size_t len)
{
	double end = now_s() + timeout_s;
	/* The agent programs within milliseconds of the record's write: poll
	 * often (a local read on SQLite, one round trip on etcd). */
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	for (;;) {
		int rc = attachment_status(a, status, len);
		if (rc == 0 && strcmp(status, "up") == 0)
			return 0;
		if (now_s() >= end)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}
