/* Keeps $CALICO_RUN_DIR/bird.cfg equal to the rendered config and BIRD
 * reloaded (bird.h). */
#include "bird.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bgp/bird_conf.h"
#include "bgp/bird_conf_file.h"
#include "bgp/bird_ctl.h"
#include "util/file_read.h"
#include "util/log.h"
#include "util/nodename.h"

#define CFG_MAX (64u << 20)

/* Logs a warning once per distinct problem. */
static void problem(struct bird_syncer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct bird_syncer *b, const char *fmt, ...)
{
	char msg[sizeof(b->problem)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, b->problem) != 0)
		log_warn("bird: %s", msg);
	snprintf(b->problem, sizeof(b->problem), "%s", msg);
}

static void try_reload(struct bird_syncer *b)
{
	char sock[4200], msg[512];
	struct stat st;

	bird_path(sock, sizeof(sock), "bird.ctl");
	if (stat(sock, &st) != 0)
		return; /* BIRD not started yet: it will read the file itself */
	int rc = bird_ctl_configure(sock, msg, sizeof(msg));
	if (rc == 0) {
		b->reload_pending = false;
		b->problem[0] = '\0';
		log_info("bird: reloaded (%s)", msg);
	} else if (rc == -EINVAL) {
		/* the same text would be refused again: wait for the next change */
		b->reload_pending = false;
		log_error("bird: BIRD refused the new configuration: %s", msg);
	} else if (rc != -ECONNREFUSED && rc != -ENOENT) {
		problem(b, "reload failed: %s (will retry)", msg);
	}
}

void bird_syncer_sync(struct bird_syncer *b, const struct node_cache *c, const char *host)
{
	char cfg[4200], logp[4200], err[512];
	char *text = NULL;
	struct bird_conf_opts opt = { .log_path = logp };
	int rc;

	bird_path(cfg, sizeof(cfg), "bird.cfg");
	bird_log_path(logp, sizeof(logp));
	if ((rc = bird_conf_render(c, host, &opt, &text, err, sizeof(err))) < 0) {
		problem(b, "no configuration for BIRD: %s", err);
		return;
	}
	if (!b->read_back) {
		/* a running BIRD may hold an older file than the one on disk: reload once anyway */
		b->written = read_path(cfg, CFG_MAX, NULL);
		b->read_back = true;
		b->reload_pending = true;
	}
	if (!b->written || strcmp(b->written, text) != 0) {
		mkdir(calico_run_dir(), 0755);
		if ((rc = bird_conf_write(cfg, text)) < 0) {
			problem(b, "cannot write %s: %s", cfg, strerror(-rc));
			free(text);
			return;
		}
		log_info("bird: wrote %s (%zu bytes)", cfg, strlen(text));
		free(b->written);
		b->written = text;
		text = NULL;
		b->reload_pending = true;
		b->problem[0] = '\0';
	}
	free(text);
	if (b->reload_pending)
		try_reload(b);
}

void bird_syncer_tick(struct bird_syncer *b)
{
	if (b->reload_pending && b->written)
		try_reload(b);
}

void bird_syncer_free(struct bird_syncer *b)
{
	free(b->written);
	memset(b, 0, sizeof(*b));
}
