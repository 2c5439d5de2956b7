#include "cni_skel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define CNI_STDIN_MAX (16u << 20) /* a config is kilobytes; refuse a runaway pipe */

static int read_all(int fd, char **out, struct cni_error *e)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *grown = cap >= CNI_STDIN_MAX ? NULL : realloc(buf, cap ? cap * 2 : 8192);
			if (!grown) {
				free(buf);
				return cni_err(e, CNI_ERR_IO, "stdin: config larger than %u bytes or out of memory", CNI_STDIN_MAX);
			}
			buf = grown;
			cap = cap ? cap * 2 : 8192;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			free(buf);
			return cni_err(e, CNI_ERR_IO, "reading the config from stdin: %s", strerror(err));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		return cni_err(e, CNI_ERR_DECODE, "network config: contains a NUL byte");
	}
	*out = buf;
	return 0;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int print_line(const char *text)
{
	return printf("%s\n", text) < 0 || fflush(stdout) != 0 ? -EIO : 0;
}

static cni_handler handler_of(const struct cni_plugin *p, enum cni_cmd cmd)
{
	switch (cmd) {
	case CNI_CMD_ADD: return p->add;
	case CNI_CMD_DEL: return p->del;
	case CNI_CMD_CHECK: return p->check;
	case CNI_CMD_GC: return p->gc;
	case CNI_CMD_STATUS: return p->status;
	case CNI_CMD_VERSION: break;
	}
	return NULL;
}

static int run(const struct cni_plugin *p, struct cni_ctx *ctx, char **text)
{
	char vbuf[32];
	enum log_level lvl;

	if (cni_env_parse(env_get, &ctx->env, &ctx->err) < 0)
		return -EINVAL;
	if (read_all(0, text, &ctx->err) < 0)
		return -EINVAL;
	ctx->stdin_text = *text;
	if (ctx->env.cmd == CNI_CMD_VERSION) {
		if (!(ctx->out = cni_version_info(cni_conf_peek_version(*text, vbuf, sizeof(vbuf)))))
			return cni_err(&ctx->err, CNI_ERR_INTERNAL, "out of memory");
		return 0;
	}
	if (cni_conf_parse(*text, &ctx->conf, &ctx->err) < 0 ||
	    cni_cmd_allowed(ctx->env.cmd, ctx->conf.version, &ctx->err) < 0)
		return -EINVAL;
	if (ctx->conf.log_level && log_level_parse(ctx->conf.log_level, &lvl) == 0)
		log_set_level(lvl);
	bool attach = ctx->env.cmd == CNI_CMD_ADD || ctx->env.cmd == CNI_CMD_DEL || ctx->env.cmd == CNI_CMD_CHECK;
	if (cni_conf_require(&ctx->conf, p->needs_ipam && attach, &ctx->err) < 0)
		return -EINVAL;
	if (cni_args_parse(ctx->env.args, p->known_args, &ctx->args, &ctx->err) < 0)
		return -EINVAL;
	cni_handler h = handler_of(p, ctx->env.cmd);
	if (!h)
		return cni_err(&ctx->err, CNI_ERR_INVALID_ENV, "%s does not support CNI_COMMAND %s", p->name,
			       cni_cmd_name(ctx->env.cmd));
	log_debug("%s %s container=%s ifname=%s netns=%s", p->name, cni_cmd_name(ctx->env.cmd),
		  ctx->env.container_id ? ctx->env.container_id : "-", ctx->env.ifname ? ctx->env.ifname : "-",
		  ctx->env.netns ? ctx->env.netns : "-");
	return h(ctx);
}

int cni_skel_main(const struct cni_plugin *p)
{
	struct cni_ctx ctx = { 0 };
	char *text = NULL, *err_json = NULL;
	int status = 0;

	if (run(p, &ctx, &text) < 0) {
		if (!ctx.err.code)
			cni_err(&ctx.err, CNI_ERR_INTERNAL, "%s failed", p->name);
		log_info("%s: error %d: %s", p->name, ctx.err.code, ctx.err.msg);
		err_json = cni_error_encode(&ctx.err, ctx.conf.version ? ctx.conf.version : CNI_VERSION_LATEST);
		print_line(err_json ? err_json : "{\"code\":999,\"msg\":\"out of memory\"}");
		status = 1;
	} else if (ctx.out && print_line(ctx.out) < 0) {
		status = 1; /* nobody left to tell: stdout is gone */
	}
	free(err_json);
	free(ctx.out);
	free(text);
	cni_args_free(&ctx.args);
	cni_conf_free(&ctx.conf);
	return status;
}
