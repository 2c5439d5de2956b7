#include "calico_ipam.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_ds.h"
#include "cni_result.h"
#include "datastore/datastore.h"
#include "ipam/ipam.h"
#include "ipam/ipam_handle.h"
#include "util/json_strict.h"
#include "model/keys.h"
#include "util/log.h"
#include "util/nodename.h"

struct ipam_run {
	struct ds *ds;
	char host[HOSTNAME_MAX + 1];
	char handle[KEY_MAX];
};

static int run_open(struct cni_ctx *ctx, struct ipam_run *r, bool need_handle)
{
	memset(r, 0, sizeof(*r));
	if (need_handle) {
		snprintf(r->handle, sizeof(r->handle), "%s.%s", ctx->conf.name, ctx->env.container_id);
		if (!ipam_handle_id_is_valid(r->handle))
			return cni_err(&ctx->err, CNI_ERR_INVALID_ENV, "IPAM handle '%.64s...' is too long", r->handle);
	}
	if (cni_host(&ctx->conf, r->host, sizeof(r->host), &ctx->err) < 0)
		return -EINVAL;
	return cni_ds_open(&ctx->conf, &r->ds, &ctx->err);
}

static void run_close(struct ipam_run *r)
{
	if (r->ds)
		ds_close(r->ds);
	r->ds = NULL;
}

static int ipam_failure(struct cni_ctx *ctx, int rc, const char *msg)
{
	int code = rc == -ENOSPC || rc == -EEXIST || rc == -EINVAL ? CNI_ERR_INTERNAL
		 : rc == -EBUSY || rc == -EIO || rc == -ETIMEDOUT ? CNI_ERR_TRY_AGAIN : CNI_ERR_INTERNAL;
	return cni_err(&ctx->err, code, "%s", msg);
}

/* CNI_ARGS IP=a[,b]: every address must parse, at most one per family. */
static int static_ips(struct cni_ctx *ctx, struct ip_addr *ips, size_t *n)
{
	const char *text = cni_args_get(&ctx->args, "IP");
	char buf[512], *save = NULL;
	*n = 0;
	if (!text)
		return 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == 2 || ip_parse(tok, &ips[*n]) < 0)
			return cni_err(&ctx->err, CNI_ERR_INVALID_ENV, "CNI_ARGS IP=%.64s: '%.64s' is not %s", text, tok,
				       *n == 2 ? "allowed: at most one IPv4 and one IPv6 address" : "an IP address");
		for (size_t i = 0; i < *n; i++)
			if (ips[i].family == ips[*n].family)
				return cni_err(&ctx->err, CNI_ERR_INVALID_ENV, "CNI_ARGS IP=%.64s: two IPv%d addresses", text,
					       ips[i].family);
		(*n)++;
	}
	return 0;
}

static char *attrs_json(struct cni_ctx *ctx)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	js_set(o, "cni_network", json_string(ctx->conf.name), &ok);
	js_set(o, "container_id", json_string(ctx->env.container_id), &ok);
	js_set(o, "ifname", json_string(ctx->env.ifname), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}

int ipam_add(struct cni_ctx *ctx)
{
	struct ipam_run r;
	struct ip_addr v4[1], v6[1], fixed[2], *held = NULL;
	struct cni_result res = { 0 };
	size_t n_fixed = 0, n_held = 0;
	char msg[512], *attrs = NULL;
	const char *p4[CNI_MAX_POOLS], *p6[CNI_MAX_POOLS];
	char pool_text[2][CNI_MAX_POOLS][CIDR_STR_MAX];
	const struct cni_ipam_conf *ic = &ctx->conf.ipam;
	int rc;

	if ((rc = static_ips(ctx, fixed, &n_fixed)) < 0 || (rc = run_open(ctx, &r, true)) < 0)
		goto out;
	if (!ic->assign_ipv4 && !ic->assign_ipv6 && n_fixed == 0) {
		rc = cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG, "ipam: assign_ipv4 and assign_ipv6 are both false");
		goto out;
	}
	/* A second ADD would put a second set of addresses under the handle, and
	 * one DEL releases both: refuse it instead. */
	if ((rc = ipam_handle_addresses(r.ds, r.handle, &held, &n_held, msg, sizeof(msg))) < 0) {
		rc = ipam_failure(ctx, rc, msg);
		goto out;
	}
	if (n_held) {
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "container %s already has addresses on network %s (handle %s)",
			     ctx->env.container_id, ctx->conf.name, r.handle);
		goto out;
	}
	if (!(attrs = attrs_json(ctx))) {
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (n_fixed) {
		if ((rc = ipam_assign(r.ds, fixed, n_fixed, r.handle, r.host, attrs, msg, sizeof(msg))) < 0) {
			rc = ipam_failure(ctx, rc, msg);
			goto out;
		}
		for (size_t i = 0; i < n_fixed; i++)
			res.ips[res.n_ips++] = (struct cni_ip){ .addr = fixed[i], .prefix = fixed[i].family == 4 ? 32 : 128,
								.iface = -1 };
	} else {
		for (size_t i = 0; i < ic->n_ipv4_pools; i++)
			p4[i] = cidr_format(&ic->ipv4_pools[i], pool_text[0][i]);
		for (size_t i = 0; i < ic->n_ipv6_pools; i++)
			p6[i] = cidr_format(&ic->ipv6_pools[i], pool_text[1][i]);
		struct ipam_request req = {
			.handle = r.handle, .host = r.host, .num_ipv4 = ic->assign_ipv4, .num_ipv6 = ic->assign_ipv6,
			.ipv4_pools = ic->n_ipv4_pools ? p4 : NULL, .n_ipv4_pools = ic->n_ipv4_pools,
			.ipv6_pools = ic->n_ipv6_pools ? p6 : NULL, .n_ipv6_pools = ic->n_ipv6_pools, .attrs_json = attrs,
		};
		if ((rc = ipam_auto_assign(r.ds, &req, v4, v6, msg, sizeof(msg))) < 0) {
			rc = ipam_failure(ctx, rc, msg);
			goto out;
		}
		if (ic->assign_ipv4)
			res.ips[res.n_ips++] = (struct cni_ip){ .addr = v4[0], .prefix = 32, .iface = -1 };
		if (ic->assign_ipv6)
			res.ips[res.n_ips++] = (struct cni_ip){ .addr = v6[0], .prefix = 128, .iface = -1 };
	}
	if (!(ctx->out = cni_result_encode(&res, ctx->conf.version))) {
		ipam_release_handle(r.ds, r.handle, NULL, msg, sizeof(msg));
		rc = cni_err(&ctx->err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(held);
	free(attrs);
	run_close(&r);
	return rc;
}

int ipam_del(struct cni_ctx *ctx)
{
	struct ipam_run r;
	size_t released = 0;
	char msg[512];
	int rc;

	if ((rc = run_open(ctx, &r, true)) < 0)
		goto out;
	if ((rc = ipam_release_handle(r.ds, r.handle, &released, msg, sizeof(msg))) < 0 && rc != -ENOENT) {
		rc = ipam_failure(ctx, rc, msg);
		goto out;
	}
	log_info("DEL %s: released %zu addresses", r.handle, released);
	rc = 0;
out:
	run_close(&r);
	return rc;
}

/* The handle holds exactly the prevResult's addresses. */
int ipam_check(struct cni_ctx *ctx)
{
	struct ipam_run r;
	struct ip_addr *held = NULL;
	struct cni_result prev;
	size_t n_held = 0;
	char msg[512], a[IP_STR_MAX];
	int rc;

	if (!ctx->conf.prev_result)
		return cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG, "CHECK needs \"prevResult\" in the network config");
	if ((rc = cni_result_from_json(ctx->conf.prev_result, &prev, &ctx->err)) < 0 || (rc = run_open(ctx, &r, true)) < 0)
		goto out;
	if ((rc = ipam_handle_addresses(r.ds, r.handle, &held, &n_held, msg, sizeof(msg))) < 0) {
		rc = ipam_failure(ctx, rc, msg);
		goto out;
	}
	for (size_t i = 0; i < prev.n_ips; i++) {
		bool found = false;
		for (size_t k = 0; k < n_held && !found; k++)
			found = ip_cmp(&held[k], &prev.ips[i].addr) == 0;
		if (!found) {
			rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "address %s is not assigned to %s",
				     ip_format(&prev.ips[i].addr, a), r.handle);
			goto out;
		}
	}
	if (n_held != prev.n_ips) {
		rc = cni_err(&ctx->err, CNI_ERR_CHECK_FAILED, "handle %s holds %zu addresses, prevResult lists %zu", r.handle,
			     n_held, prev.n_ips);
		goto out;
	}
	rc = 0;
out:
	free(held);
	run_close(&r);
	return rc;
}

/* Whether handle belongs to this network (by its first address's attributes;
 * a handle without them is judged by its name alone). */
static bool handle_of_network(struct ds *ds, const char *handle, const char *network)
{
	struct ip_addr *ips = NULL;
	size_t n = 0;
	char msg[256], *info = NULL;
	bool mine = true;
	if (ipam_handle_addresses(ds, handle, &ips, &n, msg, sizeof(msg)) == 0 && n > 0 &&
	    ipam_ip_info(ds, &ips[0], &info, msg, sizeof(msg)) == 0) {
		json_t *o = json_loads(info, 0, NULL);
		json_t *net = json_object_get(json_object_get(o, "secondary"), "cni_network");
		if (json_is_string(net))
			mine = strcmp(json_string_value(net), network) == 0;
		json_decref(o);
	}
	free(info);
	free(ips);
	return mine;
}

static bool container_listed(const json_t *atts, const char *cid)
{
	size_t i;
	json_t *att;
	json_array_foreach(atts, i, att) {
		json_t *c = json_object_get(att, "containerID");
		if (json_is_string(c) && strcmp(json_string_value(c), cid) == 0)
			return true;
	}
	return false;
}

/* Releases the handles "<network>.<container id>" of containers not listed. */
int ipam_gc(struct cni_ctx *ctx)
{
	struct ipam_run r;
	struct ds_kv_list l = { 0 };
	char prefix[KEY_MAX], msg[512];
	size_t total = 0;
	int rc;

	if (!ctx->conf.attachments)
		return cni_err(&ctx->err, CNI_ERR_INVALID_CONFIG, "GC needs \"cni.dev/valid-attachments\" in the network config");
	if ((rc = run_open(ctx, &r, false)) < 0)
		goto out;
	snprintf(prefix, sizeof(prefix), "%s%s.", KEY_HANDLE_PREFIX, ctx->conf.name);
	if ((rc = ds_list(r.ds, prefix, &l)) < 0) {
		rc = cni_err(&ctx->err, CNI_ERR_TRY_AGAIN, "listing IPAM handles: %s", ds_strerror(r.ds));
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *handle = l.items[i].key + strlen(KEY_HANDLE_PREFIX);
		const char *cid = handle + strlen(ctx->conf.name) + 1;
		size_t released = 0;
		if (container_listed(ctx->conf.attachments, cid) || !handle_of_network(r.ds, handle, ctx->conf.name))
			continue;
		if ((rc = ipam_release_handle(r.ds, handle, &released, msg, sizeof(msg))) < 0 && rc != -ENOENT) {
			rc = ipam_failure(ctx, rc, msg);
			goto out;
		}
		log_info("GC: released %zu addresses of %s", released, handle);
		total += released;
	}
	log_info("GC of network %s: %zu addresses released", ctx->conf.name, total);
	rc = 0;
out:
	ds_kv_list_free(&l);
	run_close(&r);
	return rc;
}

int ipam_status(struct cni_ctx *ctx)
{
	struct ipam_run r;
	int rc;
	if ((rc = run_open(ctx, &r, false)) < 0) {
		char keep[CNI_MSG_MAX];
		snprintf(keep, sizeof(keep), "%s", ctx->err.msg);
		if (ctx->err.code == CNI_ERR_TRY_AGAIN)
			cni_err(&ctx->err, CNI_ERR_NOT_AVAILABLE_LIMITED, "%s", keep);
		goto out;
	}
	rc = cni_status_check(r.ds, &ctx->conf, &ctx->err);
out:
	run_close(&r);
	return rc;
}
