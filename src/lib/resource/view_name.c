/* The names Calico gives the views of the 2016 keys (resource.h): workload
 * endpoints, IP pools, BGP peers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource/resource.h"

static size_t escaped_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '-' ? 2 : 1;
	return n;
}

static char *put_escaped(char *out, const char *s)
{
	for (; *s; s++) {
		*out++ = *s;
		if (*s == '-')
			*out++ = '-';
	}
	return out;
}

char *v3_wep_name(const char *node, const char *orch, const char *workload, const char *endpoint)
{
	const char *parts[4] = { node, orch, workload, endpoint };
	size_t len = 0;
	for (int i = 0; i < 4; i++)
		len += escaped_len(parts[i]) + 1;
	char *name = malloc(len), *p = name;
	if (!name)
		return NULL;
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '-';
		p = put_escaped(p, parts[i]);
	}
	*p = '\0';
	return name;
}

/* s[0..n) with every "--" as '-'. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *p = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		*p++ = s[i];
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
			i++;
	}
	*p = '\0';
	return out;
}

int v3_wep_name_parse(const char *name, char *parts[4])
{
	size_t start = 0, len = strlen(name);
	int n = 0, rc = 0;

	for (int i = 0; i < 4; i++)
		parts[i] = NULL;
	/* as Calico reads them: a dash followed by a dash is half of an escaped
	 * one; any other dash (never the first character) separates */
	for (size_t i = 1; i <= len && rc == 0; i++) {
		if (i < len && name[i] != '-')
			continue;
		if (i < len && i + 1 < len && name[i + 1] == '-') {
			i++;
			continue;
		}
		if (n == 4) {
			rc = -EINVAL;
			break;
		}
		if (!(parts[n++] = unescape(name + start, i - start)))
			rc = -ENOMEM;
		start = i + 1;
	}
	if (rc == 0 && n != 4)
		rc = -EINVAL;
	for (int i = 0; rc == 0 && i < 4; i++)
		if (!*parts[i])
			rc = -EINVAL;
	if (rc < 0)
		for (int i = 0; i < 4; i++) {
			free(parts[i]);
			parts[i] = NULL;
		}
	return rc;
}

void v3_pool_name(const struct cidr *c, char *buf, size_t len)
{
	char text[CIDR_STR_MAX];
	cidr_format(c, text);
	for (char *p = text; *p; p++)
		if (*p == '.' || *p == ':' || *p == '/')
			*p = '-';
	snprintf(buf, len, "%s", text);
}

void v3_bgp_peer_name(const char *node, const struct ip_addr *ip, char *buf, size_t len)
{
	char text[IP_STR_MAX + 8];
	if (ip->family == 4) {
		ip_format(ip, text);
		for (char *p = text; *p; p++)
			if (*p == '.')
				*p = '-';
	} else {
		const uint8_t *b = ip->bytes;
		snprintf(text, sizeof(text), "%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x", b[0],
			 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	}
	if (node)
		snprintf(buf, len, "%s.%s", node, text);
	else
		snprintf(buf, len, "%s", text);
}
