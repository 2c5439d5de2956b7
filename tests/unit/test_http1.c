/* The HTTP/1.1 the etcd client speaks without libcurl (src/lib/datastore/http1.c):
 * the request it writes and the responses it can and cannot read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datastore/http1.h"
#include "tap.h"

static long parse(const char *text, bool eof, struct http1_response *r)
{
	return http1_parse_response(text, strlen(text), eof, r);
}

/* Every prefix of text shorter than the response: "need more", never a verdict. */
static bool incomplete_until_whole(const char *text)
{
	struct http1_response r;
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i++)
		if (http1_parse_response(text, i, false, &r) != 0)
			return false;
	return true;
}

int main(void)
{
	struct http1_response r;
	size_t len;

	char *req = http1_post_request("127.0.0.1:2379", "/v3/kv/range", "{\"key\":\"YQ==\"}", &len);
	CHECK_STR(req,
		  "POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1:2379\r\nContent-Type: application/json\r\n"
		  "Content-Length: 14\r\n\r\n{\"key\":\"YQ==\"}",
		  "request: POST, Host, JSON type and length, then the body");
	CHECK_INT((long)len, (long)strlen(req), "request length");
	free(req);

	/* What etcd 3.4's gateway answers to a small range (Go net/http). */
	const char *sized = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nGrpc-Metadata-Content-Type: "
			    "application/grpc\r\nDate: Tue, 24 Nov 2026 21:00:00 GMT\r\nContent-Length: 27\r\n\r\n"
			    "{\"header\":{\"revision\":\"7\"}}";
	CHECK_INT(parse(sized, false, &r), (long)strlen(sized), "Content-Length: whole response consumed");
	CHECK(r.status == 200 && r.keep_alive && r.body_len == 27 && strcmp(r.body, "{\"header\":{\"revision\":\"7\"}}") == 0,
	      "status 200, keep-alive, the body");
	http1_response_free(&r);
	CHECK(incomplete_until_whole(sized), "every shorter prefix: need more");

	/* A large answer comes chunked. */
	const char *chunked = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "5\r\n{\"a\":\r\n3;ext=1\r\n\"b\"\r\nA\r\n,\"c\":\"dd\"}\r\n0\r\n\r\n";
	CHECK_INT(parse(chunked, false, &r), (long)strlen(chunked), "chunked: whole response consumed");
	CHECK(r.status == 200 && strcmp(r.body, "{\"a\":\"b\",\"c\":\"dd\"}") == 0, "chunks joined, extension ignored");
	http1_response_free(&r);
	CHECK(incomplete_until_whole(chunked), "chunked: every shorter prefix is need more");
	const char *trailer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n";
	CHECK(parse(trailer, false, &r) == (long)strlen(trailer) && strcmp(r.body, "ok") == 0, "trailer fields skipped");
	http1_response_free(&r);

	/* A response followed by more bytes: only its own are taken. */
	char two[512];
	snprintf(two, sizeof(two), "%sHTTP/1.1 200 OK\r\n", sized);
	CHECK_INT(parse(two, false, &r), (long)strlen(sized), "only the first response's bytes are consumed");
	http1_response_free(&r);

	/* Errors carry etcd's JSON error in the body. */
	const char *err = "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
	CHECK(parse(err, false, &r) > 0 && r.status == 400 && !r.keep_alive && strcmp(r.body, "{}") == 0,
	      "400 with Connection: close: status, body, no keep-alive");
	http1_response_free(&r);
	const char *old = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	CHECK(parse(old, false, &r) > 0 && !r.keep_alive && r.body && r.body_len == 0,
	      "HTTP/1.0: no keep-alive; an empty body is \"\"");
	http1_response_free(&r);
	const char *until_close = "HTTP/1.1 200 OK\r\n\r\n{\"x\":1}";
	CHECK_INT(parse(until_close, false, &r), 0, "no length: need more until the close");
	CHECK(parse(until_close, true, &r) == (long)strlen(until_close) && strcmp(r.body, "{\"x\":1}") == 0 &&
		      !r.keep_alive,
	      "... then the rest is the body, and the connection is done");
	http1_response_free(&r);

	/* What is refused. */
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, &r), -EPROTO,
		  "cut short by the close: -EPROTO");
	CHECK_INT(parse("SSH-2.0-OpenSSH\r\n\r\n", false, &r), -EPROTO, "not HTTP: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 2x0 OK\r\n\r\n", false, &r), -EPROTO, "bad status code: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 100 Continue\r\n\r\n", false, &r), -EPROTO, "an interim response: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false, &r), -EPROTO,
		  "two different lengths: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, &r), -EPROTO,
		  "a negative length: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", false, &r), -EPROTO,
		  "a length past the limit: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, &r), -EPROTO,
		  "a coding other than chunked: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, &r), -EPROTO,
		  "a chunk size that is not hex: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", false, &r), -EPROTO,
		  "a chunk longer than its size: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", false, &r),
		  -EPROTO, "a chunk size past the limit: -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false, &r), -EPROTO, "a header without ':': -EPROTO");
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", false, &r), -EPROTO, "a folded header: -EPROTO");
	char *huge = malloc(HTTP1_MAX_HEADER + 64);
	memset(huge, 'a', HTTP1_MAX_HEADER + 63);
	memcpy(huge, "HTTP/1.1 200 OK\r\nX: ", 20);
	huge[HTTP1_MAX_HEADER + 63] = '\0';
	CHECK_INT(parse(huge, false, &r), -EPROTO, "a head that never ends: -EPROTO, not an endless wait");
	free(huge);
	return tap_done();
}
