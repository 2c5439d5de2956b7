/* The little of HTTP/1.1 the etcd client speaks without libcurl: one POST
 * with a JSON body, and the response to it, framed by Content-Length or by
 * chunked transfer coding (what etcd's gateway, a Go net/http server,
 * sends). Pure text handling, no I/O: the bytes come from etcd_raw.c, and
 * the parser is fuzzed (fuzz/fuzz_http1.c) since a peer controls them. */
#ifndef CALICO_HTTP1_H
#define CALICO_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

/* Limits on what a response may be: anything larger is refused as -EPROTO. */
#define HTTP1_MAX_HEADER (64u << 10)
#define HTTP1_MAX_BODY   (256u << 20)

/* "POST path HTTP/1.1" to host (the URL's host[:port]) with body as JSON.
 * malloc'd, *len its length; NULL when out of memory. */
char *http1_post_request(const char *host, const char *path, const char *body, size_t *len);

struct http1_response {
	int status;         /* 200, 404, ... */
	bool keep_alive;    /* the connection may carry another request */
	char *body;         /* decoded body, NUL-terminated, malloc'd */
	size_t body_len;
};

/* Parses the response at the start of buf[0..len). eof: the peer has
 * closed, so a body framed by the close ends here. Returns the bytes of
 * buf the response took (> 0, *r filled: free with http1_response_free),
 * 0 when more bytes are needed, -EPROTO when it is not a response we can
 * read, -ENOMEM. */
long http1_parse_response(const char *buf, size_t len, bool eof, struct http1_response *r);
void http1_response_free(struct http1_response *r);

#endif
