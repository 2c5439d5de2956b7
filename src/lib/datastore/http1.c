#include "datastore/http1.h"
#include "util/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *http1_post_request(const char *host, const char *path, const char *body, size_t *len)
{
	static const char fmt[] = "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
				  "Content-Length: %zu\r\n\r\n";
	size_t blen = strlen(body);
	int head = snprintf(NULL, 0, fmt, path, host, blen);
	if (head < 0)
		return NULL;
	char *req = malloc((size_t)head + blen + 1);
	if (!req)
		return NULL;
	snprintf(req, (size_t)head + 1, fmt, path, host, blen);
	memcpy(req + head, body, blen + 1);
	*len = (size_t)head + blen;
	return req;
}

void http1_response_free(struct http1_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Offset of the first "\r\n" at or after from, or -1. */
static long find_crlf(const char *buf, size_t len, size_t from)
{
	for (size_t i = from; i + 1 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			return (long)i;
	return -1;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) as a number in base 10 or 16, digits only, at most max. */
static bool parse_size(const char *s, size_t n, int base, size_t max, size_t *out)
{
	size_t v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d = base == 16 ? hex_digit(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
		if (d < 0 || v > (max - (size_t)d) / (size_t)base)
			return false;
		v = v * (size_t)base + (size_t)d;
	}
	*out = v;
	return true;
}

/* value[0..n) holds token (case-insensitive, comma-separated list). */
static bool has_token(const char *value, size_t n, const char *token)
{
	size_t tl = strlen(token), i = 0;
	while (i < n) {
		while (i < n && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
			i++;
		size_t start = i;
		while (i < n && value[i] != ',')
			i++;
		size_t end = i;
		while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
			end--;
		if (end - start == tl && strncasecmp(value + start, token, tl) == 0)
			return true;
	}
	return false;
}

struct head {
	int status;
	bool http10, close, chunked, has_length;
	size_t length;
};

/* The status line and the header fields in buf[0..end) (end: the blank line's start). */
static int parse_head(const char *buf, size_t end, struct head *h)
{
	long eol = find_crlf(buf, end + 2, 0);
	if (eol < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return -EPROTO;
	h->http10 = buf[7] == '0';
	size_t code;
	if (!parse_size(buf + 9, 3, 10, 999, &code) || code < 100 || (eol > 12 && buf[12] != ' '))
		return -EPROTO;
	h->status = (int)code;
	size_t pos = (size_t)eol + 2;
	while (pos < end) {
		long le = find_crlf(buf, end + 2, pos);
		if (le < 0)
			return -EPROTO;
		const char *line = buf + pos;
		size_t n = (size_t)le - pos;
		const char *colon = memchr(line, ':', n);
		/* No name, or a folded continuation line: not something a server sends now. */
		if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
			return -EPROTO;
		size_t name_len = (size_t)(colon - line);
		const char *v = colon + 1;
		size_t vn = n - name_len - 1;
		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		if (name_len == 14 && strncasecmp(line, "content-length", 14) == 0) {
			size_t cl;
			if (!parse_size(v, vn, 10, HTTP1_MAX_BODY, &cl) || (h->has_length && cl != h->length))
				return -EPROTO;
			h->has_length = true;
			h->length = cl;
		} else if (name_len == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
			/* Only chunked, alone: a compressed body is nothing we asked for. */
			if (vn != 7 || strncasecmp(v, "chunked", 7) != 0)
				return -EPROTO;
			h->chunked = true;
		} else if (name_len == 10 && strncasecmp(line, "connection", 10) == 0) {
			h->close |= has_token(v, vn, "close");
		}
		pos = (size_t)le + 2;
	}
	/* Interim responses (100 Continue) are never asked for: no Expect header. */
	if (h->status < 200)
		return -EPROTO;
	return 0;
}

static int append(struct http1_response *r, size_t *cap, const char *data, size_t n)
{
	if (array_reserve((void **)&r->body, cap, r->body_len + n + 1, 1) < 0)
		return -ENOMEM;
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

/* The chunked body at buf[pos..len): bytes consumed up to the end of the
 * trailers, 0 when incomplete, or -errno. */
static long parse_chunked(const char *buf, size_t len, size_t pos, struct http1_response *r, size_t *cap)
{
	for (;;) {
		long le = find_crlf(buf, len, pos);
		if (le < 0)
			return len - pos > 1024 ? -EPROTO : 0;
		size_t digits = 0;
		while (pos + digits < (size_t)le && hex_digit(buf[pos + digits]) >= 0)
			digits++;
		/* after the size only a chunk extension (";name=value") may follow */
		if (pos + digits < (size_t)le && buf[pos + digits] != ';' && buf[pos + digits] != ' ')
			return -EPROTO;
		size_t size;
		if (!parse_size(buf + pos, digits, 16, HTTP1_MAX_BODY, &size) || r->body_len + size > HTTP1_MAX_BODY)
			return -EPROTO;
		pos = (size_t)le + 2;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			return 0;
		if (buf[pos + size] != '\r' || buf[pos + size + 1] != '\n')
			return -EPROTO;
		int rc = append(r, cap, buf + pos, size);
		if (rc < 0)
			return rc;
		pos += size + 2;
	}
	/* trailer fields, then the blank line */
	for (;;) {
		long le = find_crlf(buf, len, pos);
		if (le < 0)
			return len - pos > HTTP1_MAX_HEADER ? -EPROTO : 0;
		bool blank = (size_t)le == pos;
		pos = (size_t)le + 2;
		if (blank)
			return (long)pos;
	}
}

long http1_parse_response(const char *buf, size_t len, bool eof, struct http1_response *r)
{
	struct head h = { 0 };
	size_t cap = 0;
	long end = -1, rc;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i + 3 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			end = (long)i;
			break;
		}
	if (end < 0)
		return len > HTTP1_MAX_HEADER || eof ? -EPROTO : 0;
	if ((rc = parse_head(buf, (size_t)end, &h)) < 0)
		return rc;
	size_t body = (size_t)end + 4;
	r->status = h.status;
	bool no_body = h.status == 204 || h.status == 304;
	if (no_body) {
		rc = (long)body;
	} else if (h.chunked) {
		rc = parse_chunked(buf, len, body, r, &cap);
	} else if (h.has_length) {
		if (len - body < h.length)
			rc = 0;
		else if ((rc = append(r, &cap, buf + body, h.length)) == 0)
			rc = (long)(body + h.length);
	} else if (eof) { /* delimited by the close */
		h.close = true;
		if ((rc = append(r, &cap, buf + body, len - body)) == 0)
			rc = (long)len;
	} else {
		rc = len - body > HTTP1_MAX_BODY ? -EPROTO : 0;
	}
	if (rc == 0 && eof)
		rc = -EPROTO; /* cut short */
	if (rc > 0 && !r->body && append(r, &cap, "", 0) < 0)
		rc = -ENOMEM;
	if (rc <= 0) {
		http1_response_free(r);
		return rc;
	}
	r->keep_alive = !h.http10 && !h.close;
	return rc;
}
