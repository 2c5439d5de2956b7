/* base64 for etcd keys and values. */
#include "util/base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	char *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = alphabet[(v >> 18) & 63];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

int b64_decode(const char *in, char **out, size_t *outlen)
{
	size_t len = strlen(in);
	unsigned char *buf;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	/* Trailing padding only; anything else outside the alphabet is refused. */
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (strlen(in) - len > 2)
		return -EINVAL;
	buf = malloc(len * 3 / 4 + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		int v = b64_val(in[i]);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits >= 6) { /* a lone leftover sextet cannot come from whole bytes */
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = (char *)buf;
	if (outlen)
		*outlen = n;
	return 0;
}
