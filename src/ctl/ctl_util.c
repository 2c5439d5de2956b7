#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ds *the_ds;

static bool error_printed;

bool ctl_error_printed(void)
{
	return error_printed;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Errors quote what the user typed: control characters and invalid UTF-8
 * are written as \xNN, so the error stays one readable line, and a huge
 * argument is cut short. */
int ctl_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	for (size_t i = 0; i < len;) {
		const unsigned char *c = (const unsigned char *)buf + i;
		size_t u = *c >= 0x80 ? utf8_len(c, len - i) : 0;
		if (u) {
			fwrite(c, 1, u, stderr);
			i += u;
			continue;
		}
		if (*c < 0x20 || *c >= 0x7f)
			fprintf(stderr, "\\x%02x", *c);
		else
			fputc(*c, stderr);
		i++;
	}
	if (n >= 0 && (size_t)n >= sizeof(buf))
		fputs("...", stderr);
	fputc('\n', stderr);
	error_printed = true;
	return 1;
}

struct ds *ctl_ds(void)
{
	char err[512];
	if (the_ds)
		return the_ds;
	int rc = ds_open_env(&the_ds, err, sizeof(err));
	if (rc < 0) {
		ctl_error("Error: %s", err);
		the_ds = NULL;
	}
	return the_ds;
}

void ctl_ds_close(void)
{
	ds_close(the_ds);
	the_ds = NULL;
}

int ctl_ds_error(const char *what, int rc)
{
	const char *why = the_ds ? ds_strerror(the_ds) : "";
	if (!*why)
		why = strerror(-rc);
	return ctl_error("Error: %s: %s", what, why);
}

int ctl_parse_int(const char *text, long min, long max, long *out)
{
	char *end;
	errno = 0;
	if (!*text || (text[0] == '0' && text[1]) || text[0] == '+')
		return -EINVAL;
	long v = strtol(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int ctl_take_options(const char *cmd, int *argc, char **argv, struct ctl_option *opts, size_t n)
{
	int out = 0;
	for (int i = 0; i < *argc; i++) {
		char *w = argv[i];
		if (strncmp(w, "--", 2) != 0 || strcmp(w, "--") == 0) {
			argv[out++] = w;
			continue;
		}
		size_t wlen = strcspn(w, "=");
		struct ctl_option *o = NULL;
		for (size_t k = 0; k < n; k++) {
			size_t slen = strcspn(opts[k].spec, "=");
			if (slen == wlen && strncmp(opts[k].spec, w, wlen) == 0)
				o = &opts[k];
		}
		if (!o) {
			ctl_error("Unknown option %.*s", (int)wlen, w);
			return ctl_usage(cmd);
		}
		bool takes_value = strchr(o->spec, '=') != NULL;
		o->present = true;
		if (!takes_value) {
			if (w[wlen] == '=') {
				ctl_error("Option %.*s takes no value", (int)wlen, w);
				return ctl_usage(cmd);
			}
			continue;
		}
		if (w[wlen] == '=') {
			o->value = w + wlen + 1;
		} else if (i + 1 < *argc) {
			o->value = argv[++i];
		} else {
			ctl_error("Option %s needs a value", w);
			return ctl_usage(cmd);
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}
