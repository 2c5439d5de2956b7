/* libnftables transactions for the agent (nft_apply.h). */
#include "nft_apply.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <malloc.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "policy/nft_compile.h"
#include "policy/nft_elem_batch.h"
#include "policy/nft_nl_batch.h"
#include "policy/nft_nl_read.h"

#define TRIM_AFTER_BYTES (64 * 1024)

int nft_applier_open(struct nft_applier *a)
{
	memset(a, 0, sizeof(*a));
	/* without it every batch goes through libnftables, as before */
	struct timeval timeout = { 2, 0 };
	if ((a->nl = mnl_socket_open(NETLINK_NETFILTER)) &&
	    (mnl_socket_bind(a->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	     setsockopt(mnl_socket_get_fd(a->nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0)) {
		mnl_socket_close(a->nl);
		a->nl = NULL;
	}
	if (!a->nl)
		log_warn("nf_tables netlink socket: %s; set elements go through libnftables", strerror(errno));
	return 0;
}

void nft_applier_close(struct nft_applier *a)
{
	if (a->nl)
		mnl_socket_close(a->nl);
	memset(a, 0, sizeof(*a));
}

/* Every libnftables command runs in a context of its own, freed afterwards
 * (making one costs 0.04 ms). A long-lived context keeps the cache its last
 * command listed: every chain and set of the table, 24 MB at 5,000 local
 * endpoints, of no use to the next command, which lists them again because
 * the commit in between changed the ruleset's generation. A listing also
 * keeps every rule and its JSON output (the load test saw the live heap grow
 * by the table's size at each periodic check). The agent's threads live in
 * its namespace, so a context made now sees the same table as one made at
 * start. NULL on ENOMEM. */
static struct nft_ctx *new_ctx(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx && (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)) {
		nft_ctx_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* The kernel's error text on one line, without nft's caret markers. */
static void copy_error(struct nft_ctx *ctx, char *err, size_t errlen)
{
	const char *e = nft_ctx_get_error_buffer(ctx);
	size_t n = e ? strcspn(e, "\n") : 0;
	snprintf(err, errlen, "%.*s", (int)n, e ? e : "");
}

static int run_script(const char *script, size_t bytes, char *err, size_t errlen)
{
	struct nft_ctx *ctx = new_ctx();
	int rc = 0;

	if (!ctx) {
		snprintf(err, errlen, "cannot make an nftables context");
		rc = -ENOMEM;
	} else if (nft_run_cmd_from_buffer(ctx, script) < 0) {
		copy_error(ctx, err, errlen);
		log_debug("refused nft script:\n%s", script);
		rc = -EIO;
	}
	if (ctx)
		nft_ctx_free(ctx);
	/* a large script makes libnftables allocate many times its size */
	if (bytes > TRIM_AFTER_BYTES)
		malloc_trim(0);
	return rc;
}

/* ---------- read-back through netlink dumps (policy/nft_nl_read.h) ---------- */

#define DUMP_BUFFER (64 * 1024)

typedef int (*dump_fn)(void *ctx, const struct nlmsghdr *h);

/* One request and its answers, each handed to fn. 0, -ENOENT for a get of
 * nothing, -EAGAIN when the table changed during the dump, -errno. */
static int dump(struct nft_applier *a, char *buf, uint16_t type, const char *set, dump_fn fn, void *ctx)
{
	uint32_t seq = ++a->seq, portid = mnl_socket_get_portid(a->nl);
	struct nlmsghdr *req = nft_nl_read_request(buf, type, seq, set);
	int rc = 0;

	if (mnl_socket_sendto(a->nl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(a->nl, buf, DUMP_BUFFER);
		if (n < 0)
			return -errno;
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_pid != portid || h->nlmsg_seq != seq)
				continue; /* an answer to an earlier request */
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				rc = -EAGAIN;
			if (h->nlmsg_type == NLMSG_DONE)
				return rc;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				return e->error ? e->error : rc; /* the ack of a get ends it too */
			}
			if (rc == 0 && fn && (rc = fn(ctx, h)) < 0 && rc != -EAGAIN)
				return rc;
		}
	}
}

static int on_set(void *m, const struct nlmsghdr *h) { return nft_nl_read_set(m, h); }
static int on_elems(void *acc, const struct nlmsghdr *h) { return nft_nl_read_elems(acc, h); }
static int on_chain(void *m, const struct nlmsghdr *h) { return nft_nl_read_chain(m, h); }
static int on_rule(void *m, const struct nlmsghdr *h) { return nft_nl_read_rule(m, h); }

static int read_kernel_once(struct nft_applier *a, char *buf, struct nft_model *out)
{
	struct nft_nl_elems acc = { 0 };
	int rc;

	nft_model_free(out);
	nft_model_init(out, NFT_FAMILY, NFT_TABLE);
	out->table_present = false;
	if ((rc = dump(a, buf, NFT_MSG_GETTABLE, NULL, NULL, NULL)) == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	out->table_present = true;
	if ((rc = dump(a, buf, NFT_MSG_GETSET, NULL, on_set, out)) < 0)
		return rc;
	for (size_t i = 0; i < out->n_sets && rc == 0; i++)
		if ((rc = dump(a, buf, NFT_MSG_GETSETELEM, out->sets[i].name, on_elems, &acc)) == 0)
			rc = nft_nl_elems_finish(&acc, &out->sets[i]);
	nft_nl_elems_free(&acc);
	if (rc < 0 || (rc = dump(a, buf, NFT_MSG_GETCHAIN, NULL, on_chain, out)) < 0 ||
	    (rc = nft_nl_read_chains_done(out)) < 0)
		return rc;
	/* one dump per chain: a dump of the whole table's rules walks the table
	 * from its first rule again for every 32 KB it answers (quadratic: 1.4 s
	 * at 5,000 local endpoints) */
	for (size_t i = 0; i < out->n_chains && rc == 0; i++)
		rc = dump(a, buf, NFT_MSG_GETRULE, out->chains[i].name, on_rule, out);
	return rc;
}

/* The table as the kernel has it, read by dumps; again when someone changed
 * it while it was being read. */
static int read_kernel_nl(struct nft_applier *a, struct nft_model *out, char *err, size_t errlen)
{
	char *buf = malloc(DUMP_BUFFER);
	int rc = -ENOMEM;

	nft_model_init(out, NFT_FAMILY, NFT_TABLE);
	for (int attempt = 0; buf && attempt < 3; attempt++)
		if ((rc = read_kernel_once(a, buf, out)) != -EAGAIN)
			break;
	free(buf);
	if (rc < 0) {
		snprintf(err, errlen, "reading back table %s %s: %s", NFT_FAMILY, NFT_TABLE, strerror(-rc));
		nft_model_free(out);
		nft_model_init(out, NFT_FAMILY, NFT_TABLE);
		out->table_present = false;
	}
	return rc;
}

/* Through libnftables' JSON listing: only when there is no netlink socket. */
static int read_kernel_json(struct nft_model *out, char *err, size_t errlen)
{
	struct nft_ctx *ctx = new_ctx();
	char why[256];
	int rc;

	nft_model_init(out, NFT_FAMILY, NFT_TABLE);
	if (!ctx) {
		snprintf(err, errlen, "reading back table %s %s: cannot make an nftables context", NFT_FAMILY, NFT_TABLE);
		rc = -ENOMEM;
		goto out;
	}
	/* JSON output also makes libnftables 1.0.6 try JSON input: only for the listing */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_run_cmd_from_buffer(ctx, "list table " NFT_FAMILY " " NFT_TABLE "\n") < 0) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		if (e && strstr(e, "No such file or directory")) {
			out->table_present = false;
			rc = 0;
		} else {
			copy_error(ctx, err, errlen);
			rc = -EIO;
		}
		goto out;
	}
	rc = nft_model_from_json(nft_ctx_get_output_buffer(ctx), NFT_FAMILY, NFT_TABLE, out, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "reading back table %s %s: %s", NFT_FAMILY, NFT_TABLE, why);
out:
	if (ctx)
		nft_ctx_free(ctx);
	return rc;
}

/* One element-only batch (policy/nft_elem_batch.h) through netlink: every
 * command answered, none refused. 1 sent, 0 not such a batch, -errno. */
static int run_elements(struct nft_applier *a, const char *script, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	void *batch;
	size_t len, acks, got = 0;
	int rc, refused = 0;

	if (!a->nl || (rc = nft_elem_batch_build(script, a->seq, &batch, &len, &acks)) == 0)
		return 0;
	if (rc < 0)
		return rc;
	uint32_t first = a->seq + 1, portid = mnl_socket_get_portid(a->nl);
	a->seq += (uint32_t)acks + 2;
	if (mnl_socket_sendto(a->nl, batch, len) < 0) {
		rc = -errno;
		snprintf(err, errlen, "sending set elements: %s", strerror(errno));
		free(batch);
		return rc;
	}
	free(batch);
	while (got < acks) {
		ssize_t n = mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "set elements: no answer from the kernel: %s", strerror(errno));
			return rc;
		}
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_pid != portid || h->nlmsg_seq < first || h->nlmsg_seq >= first + acks ||
			    h->nlmsg_type != NLMSG_ERROR)
				continue; /* an answer to an earlier batch */
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error && !refused)
				refused = e->error;
			got++;
		}
	}
	if (refused) {
		snprintf(err, errlen, "set elements refused: %s", strerror(-refused));
		return refused;
	}
	return 1;
}

/* Lets the socket send one batch of len bytes (the kernel refuses a message
 * larger than the send buffer); as root the limit can be raised. */
static int fit_sndbuf(struct nft_applier *a, size_t len)
{
	int want = len + 4096 > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)(len + 4096);
	if ((size_t)want <= a->sndbuf)
		return 0;
	int fd = mnl_socket_get_fd(a->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0)
		return -errno;
	a->sndbuf = (size_t)want;
	return 0;
}

/* The whole script as one batch of our own (policy/nft_nl_batch.h). 1 sent
 * and committed, 0 not such a script (or the kernel refused it: then
 * libnftables runs it, and says why if it is refused again), -errno. */
static int run_netlink(struct nft_applier *a, const char *script, const struct nft_model *model)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	void *batch;
	size_t len, n_msgs;
	int rc, refused = 0;

	if (!a->nl || (rc = nft_nl_batch_build(script, model, a->seq, &batch, &len, &n_msgs)) == 0)
		return 0;
	if (rc < 0)
		return rc;
	uint32_t begin = a->seq, last = a->seq + (uint32_t)n_msgs, portid = mnl_socket_get_portid(a->nl);
	a->seq += (uint32_t)n_msgs + 2;
	if ((rc = fit_sndbuf(a, len)) < 0 || mnl_socket_sendto(a->nl, batch, len) < 0) {
		log_debug("nftables: own batch of %zu bytes not sent (%s); through libnftables", len,
			  strerror(rc < 0 ? -rc : errno));
		free(batch);
		return 0;
	}
	free(batch);
	for (bool answered = false; !answered;) {
		ssize_t n = mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
		if (n < 0) {
			log_warn("nftables: no answer to our batch (%s); through libnftables", strerror(errno));
			return 0;
		}
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_pid != portid || h->nlmsg_seq < begin || h->nlmsg_seq > last ||
			    h->nlmsg_type != NLMSG_ERROR)
				continue; /* an answer to an earlier batch */
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error && !refused)
				refused = e->error;
			if (h->nlmsg_seq == last || (h->nlmsg_seq == begin && e->error))
				answered = true;
		}
	}
	if (refused) {
		/* libnftables runs the same script next, and reports the kernel's
		 * words if it is refused again; a difference is our encoder's bug */
		a->own_refused++;
		log_warn("nftables: the kernel refused our batch (%s); through libnftables", strerror(-refused));
		return 0;
	}
	a->own_batches++;
	return 1;
}

int nft_applier_run(struct nft_applier *a, const char *script, const struct nft_model *model, size_t *script_bytes,
		    char *err, size_t errlen)
{
	int rc;

	*script_bytes = strlen(script);
	err[0] = '\0';
	if (!*script_bytes)
		return 0;
	if ((rc = run_elements(a, script, err, errlen)) != 0) {
		if (rc > 0)
			return 0;
		log_debug("refused set elements:\n%s", script);
		a->have_applied = false;
		return -EIO;
	}
	if ((rc = run_netlink(a, script, model)) != 0) {
		if (rc > 0)
			return 0;
		a->have_applied = false;
		snprintf(err, errlen, "building the batch: %s", strerror(-rc));
		return rc;
	}
	if ((rc = run_script(script, *script_bytes, err, errlen)) < 0) {
		a->have_applied = false;
		return rc;
	}
	return 0;
}

int nft_applier_sync(struct nft_applier *a, const struct nft_model *want, size_t *script_bytes, char *err,
		     size_t errlen)
{
	struct nft_model kernel;
	char *script = NULL;
	int rc;

	*script_bytes = 0;
	err[0] = '\0';
	a->have_applied = false;
	if ((rc = a->nl ? read_kernel_nl(a, &kernel, err, errlen) : read_kernel_json(&kernel, err, errlen)) < 0)
		goto out;
	rc = nft_render_diff(&kernel, want, &script);
	if (rc == -ESTALE)
		rc = nft_render_full(want, &script);
	if (rc < 0) {
		snprintf(err, errlen, "rendering the ruleset: %s", strerror(-rc));
		goto out;
	}
	*script_bytes = strlen(script);
	if (*script_bytes && (rc = run_netlink(a, script, want)) == 0)
		rc = run_script(script, *script_bytes, err, errlen);
	else if (rc > 0)
		rc = 0;
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "building the batch: %s", strerror(-rc));
		goto out;
	}
	a->have_applied = true;
out:
	free(script);
	nft_model_free(&kernel);
	/* a large transaction or listing makes libnftables allocate tens of MB
	 * (its parse trees and cache); give them back to the system instead of
	 * keeping the peak resident for the agent's lifetime */
	malloc_trim(0);
	return rc;
}
