/* Command-line value parsing (opts.h). */
#include "opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *text, unsigned short *out)
{
	char *end;
	unsigned long v;

	if (!*text || *text < '0' || *text > '9')
		return -EINVAL;
	v = strtoul(text, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*out = (unsigned short)v;
	return 0;
}

int opts_listen(const char *text, struct listen_addr *out)
{
	char host[64];
	const char *colon;
	unsigned short port;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - text - 1);
		colon = close + 1;
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, hl);
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - text);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, hl);
	}
	host[hl] = '\0';
	if (parse_port(colon + 1, &port) < 0)
		return -EINVAL;
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		out->len = sizeof(*s6);
		out->ipv6 = true;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		out->len = sizeof(*s4);
	}
	snprintf(out->text, sizeof(out->text), "%s", text);
	return 0;
}

int opts_interval(const char *text, double *out)
{
	char *end;
	double v;

	if (!*text)
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (*end || errno || !isfinite(v) || v < 0.1 || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

int opts_http_url(const char *text)
{
	const char *host = text + strlen("http://");
	size_t hl;

	if (strncmp(text, "http://", 7) != 0)
		return -EINVAL;
	hl = strcspn(host, "/?#");
	if (hl == 0 || strchr(text, ' ') || strchr(text, '@'))
		return -EINVAL;
	if (host[0] == '[') {
		const char *close = memchr(host, ']', hl);
		if (!close || close == host + 1)
			return -EINVAL;
		if (close + 1 < host + hl) {
			unsigned short port;
			char pb[8];
			size_t pl = (size_t)(host + hl - close - 2);
			if (close[1] != ':' || pl == 0 || pl >= sizeof(pb))
				return -EINVAL;
			memcpy(pb, close + 2, pl);
			pb[pl] = '\0';
			return parse_port(pb, &port);
		}
		return 0;
	}
	const char *colon = memchr(host, ':', hl);
	if (colon) {
		unsigned short port;
		char pb[8];
		size_t pl = (size_t)(host + hl - colon - 1);
		if (colon == host || pl == 0 || pl >= sizeof(pb))
			return -EINVAL;
		memcpy(pb, colon + 1, pl);
		pb[pl] = '\0';
		return parse_port(pb, &port);
	}
	return 0;
}

bool opts_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}

int opts_service(const char *text, char **name, const char **url)
{
	const char *eq = strchr(text, '=');
	char *n;

	*name = NULL;
	*url = NULL;
	if (!eq || eq == text)
		return -EINVAL;
	if (!(n = strndup(text, (size_t)(eq - text))))
		return -ENOMEM;
	if (!opts_name_valid(n) || opts_http_url(eq + 1) < 0) {
		free(n);
		return -EINVAL;
	}
	*name = n;
	*url = eq + 1;
	return 0;
}
