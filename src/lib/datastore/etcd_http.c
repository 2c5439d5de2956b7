/* HTTP transport to etcd's JSON gateway (libcurl). */
#include "datastore/etcd_http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datastore/etcd_json.h"
#include "util/array.h"

#define DEFAULT_TIMEOUT_MS 5000

size_t membuf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct membuf *b = arg;
	size_t n = size * nmemb;

	if (array_reserve((void **)&b->p, &b->cap, b->len + n + 1, 1) < 0)
		return 0; /* curl reports a write error */
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* "a, b/ ,c" -> ["http://a", "http://b", "http://c"]: a bare host:port means http. */
static int split_endpoints(struct etcd_conn *c, const char *list)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && isspace((unsigned char)*p))
			p++, len--;
		while (len > 0 && (isspace((unsigned char)p[len - 1]) || p[len - 1] == '/'))
			len--;
		if (len > 0) {
			char **urls = realloc(c->urls, (c->n_urls + 1) * sizeof(*urls));
			if (!urls)
				return -ENOMEM;
			c->urls = urls;
			bool has_scheme = memmem(p, len, "://", 3) != NULL;
			size_t n = len + (has_scheme ? 0 : 7) + 1;
			char *u = malloc(n);
			if (!u)
				return -ENOMEM;
			snprintf(u, n, "%s%.*s", has_scheme ? "" : "http://", (int)len, p);
			c->urls[c->n_urls++] = u;
		}
		p += end ? (size_t)(end - p) + 1 : strlen(p);
	}
	return 0;
}

int etcd_http_need_curl(struct etcd_conn *c, char *err, size_t errlen)
{
	int rc;
	if (c->curl)
		return 0;
	if ((rc = curl_api_load(err, errlen)) < 0)
		return rc; /* nothing made yet: no curl call may run before this */
	c->hdrs = curl_api.slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip on bodies over 1 KiB. */
	struct curl_slist *h2 = c->hdrs ? curl_api.slist_append(c->hdrs, "Expect:") : NULL;
	if (h2)
		c->hdrs = h2;
	c->curl = h2 ? curl_api.easy_init() : NULL;
	if (!c->curl) {
		snprintf(err, errlen, "out of memory setting up the etcd client");
		return -ENOMEM;
	}
	return 0;
}

int etcd_http_init(struct etcd_conn *c, const struct ds_config *cfg, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	etcd_raw_init(&c->raw);
	rc = cfg->etcd_endpoints ? split_endpoints(c, cfg->etcd_endpoints) : 0;
	if (rc == 0 && c->n_urls == 0)
		rc = -EINVAL;
	if (rc < 0) {
		snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : "no etcd endpoint given (ETCD_ENDPOINTS is empty)");
		goto fail;
	}
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->ca_cert = dup_or_null(cfg->etcd_ca_cert);
	c->cert = dup_or_null(cfg->etcd_cert);
	c->key = dup_or_null(cfg->etcd_key);
	if ((cfg->etcd_ca_cert && *cfg->etcd_ca_cert && !c->ca_cert) || (cfg->etcd_cert && *cfg->etcd_cert && !c->cert) ||
	    (cfg->etcd_key && *cfg->etcd_key && !c->key)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory setting up the etcd client");
		goto fail;
	}
	c->use_raw = !c->ca_cert && !c->cert && !c->key;
	for (size_t i = 0; i < c->n_urls && c->use_raw; i++)
		c->use_raw = etcd_raw_usable(c->urls[i]);
	if (!c->use_raw && (rc = etcd_http_need_curl(c, err, errlen)) < 0)
		goto fail;
	return 0;
fail:
	etcd_http_close(c);
	return rc;
}

void etcd_http_close(struct etcd_conn *c)
{
	etcd_raw_close(&c->raw);
	if (c->curl)
		curl_api.easy_cleanup(c->curl);
	if (c->hdrs)
		curl_api.slist_free_all(c->hdrs);
	for (size_t i = 0; i < c->n_urls; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->ca_cert);
	free(c->cert);
	free(c->key);
	memset(c, 0, sizeof(*c));
	etcd_raw_init(&c->raw);
}

const char *etcd_http_url(const struct etcd_conn *c)
{
	return c->n_urls ? c->urls[c->cur] : "";
}

void etcd_http_setup(const struct etcd_conn *c, CURL *h)
{
	curl_api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_api.easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_api.easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_api.easy_setopt(h, CURLOPT_PROXY, ""); /* etcd is never reached through a proxy */
	if (c->ca_cert)
		curl_api.easy_setopt(h, CURLOPT_CAINFO, c->ca_cert);
	if (c->cert)
		curl_api.easy_setopt(h, CURLOPT_SSLCERT, c->cert);
	if (c->key)
		curl_api.easy_setopt(h, CURLOPT_SSLKEY, c->key);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* libcurl's TLS reasons name neither the setting to check nor, for a client
 * certificate etcd refuses, the cause: with TLS 1.3 the refusal comes after
 * the handshake, so the client sees only a connection that breaks. */
static void tls_hint(CURL *h, CURLcode cc, char *reason, size_t len)
{
	const char *hint = NULL;
	char *scheme = NULL;
	size_t n = strlen(reason);

	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		hint = "etcd's certificate is not signed by ETCD_CA_CERT_FILE's CA";
		break;
	case CURLE_SSL_CACERT_BADFILE:
		hint = "check ETCD_CA_CERT_FILE";
		break;
	case CURLE_SSL_CERTPROBLEM:
		hint = "check ETCD_CERT_FILE and ETCD_KEY_FILE";
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_GOT_NOTHING:
		curl_api.easy_getinfo(h, CURLINFO_SCHEME, &scheme);
		if (scheme && strcasecmp(scheme, "https") == 0)
			hint = "etcd closed the TLS connection: does it trust the client certificate in ETCD_CERT_FILE?";
		break;
	default:
		break;
	}
	if (hint && n + 3 < len)
		snprintf(reason + n, len - n, " (%s)", hint);
}

int etcd_http_curl_error(CURL *h, CURLcode cc, char *reason, size_t len)
{
	long os_errno = 0;
	int rc;

	curl_api.easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		rc = os_errno ? -(int)os_errno : -ECONNREFUSED;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		rc = -EHOSTUNREACH;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		rc = -ETIMEDOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		rc = -EACCES;
		break;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
		rc = -ENOMEM;
		break;
	default:
		rc = -EIO;
	}
	if (os_errno && cc == CURLE_COULDNT_CONNECT)
		snprintf(reason, len, "%s", strerror((int)os_errno));
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(reason, len, "timed out");
	else
		snprintf(reason, len, "%s", curl_api.easy_strerror(cc));
	lower(reason);
	tls_hint(h, cc, reason, len);
	return rc;
}

int etcd_grpc_errno(int code)
{
	switch (code) {
	case 3: return -EINVAL;     /* InvalidArgument */
	case 4: return -ETIMEDOUT;  /* DeadlineExceeded */
	case 5: return -ENOENT;     /* NotFound: e.g. "requested lease not found" */
	case 6: return -EEXIST;     /* AlreadyExists */
	case 7:                     /* PermissionDenied */
	case 16: return -EACCES;    /* Unauthenticated */
	case 8: return -ENOSPC;     /* ResourceExhausted: "database space exceeded" */
	case 9: return -ECANCELED;  /* FailedPrecondition */
	case 11: return -ESTALE;    /* OutOfRange: "required revision has been compacted" */
	case 14: return -EAGAIN;    /* Unavailable: no leader yet */
	}
	return -EIO;
}

/* Failures before a request was sent: safe to retry elsewhere (no double write). */
static bool is_connect_failure(CURL *h, CURLcode cc)
{
	curl_off_t connect_us = 0;

	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		curl_api.easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
		return connect_us == 0;
	default:
		return false;
	}
}

/* etcd_http_post over raw: the same endpoint order, failover and messages. */
static int raw_post(struct etcd_conn *c, const char *path, const char *body, char **resp, char *msg, size_t msglen)
{
	char tried[1024] = "", reason[256] = "";
	int rc = -EIO;

	for (size_t k = 0; k < c->n_urls; k++) {
		size_t i = (c->cur + k) % c->n_urls;
		int status = 0;
		bool sent;
		char *out = NULL;
		rc = etcd_raw_post(&c->raw, (int)i, c->urls[i], path, body, c->timeout_ms, &status, &out, &sent, reason,
				   sizeof(reason));
		if (rc < 0) {
			size_t tl = strlen(tried);
			snprintf(tried + tl, sizeof(tried) - tl, "%s%s", tl ? ", " : "", c->urls[i]);
			if (!sent)
				continue;
			snprintf(msg, msglen, "etcd at %s: %s", c->urls[i], reason);
			return rc;
		}
		c->cur = i;
		if (status == 200) {
			*resp = out;
			return 0;
		}
		int code = etcd_parse_error(out, msg, msglen);
		free(out);
		rc = code >= 0 ? etcd_grpc_errno(code) : -EIO;
		if (!*msg)
			snprintf(msg, msglen, "etcd at %s answered HTTP %d to %s", c->urls[i], status, path);
		return rc;
	}
	snprintf(msg, msglen, "cannot reach etcd at %s: %s", tried, reason);
	return rc;
}

int etcd_http_post(struct etcd_conn *c, const char *path, const char *body, char **resp, char *msg,
		   size_t msglen)
{
	if (c->use_raw)
		return raw_post(c, path, body, resp, msg, msglen);

	char tried[1024] = "", reason[256] = "", url[2048];
	struct membuf b = { 0 };
	int rc = -EIO;

	etcd_http_setup(c, c->curl);
	curl_api.easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_api.easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_api.easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_api.easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_api.easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	for (size_t k = 0; k < c->n_urls; k++) {
		size_t i = (c->cur + k) % c->n_urls;
		long status = 0;
		b.len = 0;
		snprintf(url, sizeof(url), "%s%s", c->urls[i], path);
		curl_api.easy_setopt(c->curl, CURLOPT_URL, url);
		CURLcode cc = curl_api.easy_perform(c->curl);
		if (cc != CURLE_OK) {
			rc = etcd_http_curl_error(c->curl, cc, reason, sizeof(reason));
			size_t tl = strlen(tried);
			snprintf(tried + tl, sizeof(tried) - tl, "%s%s", tl ? ", " : "", c->urls[i]);
			if (is_connect_failure(c->curl, cc))
				continue;
			snprintf(msg, msglen, "etcd at %s: %s", c->urls[i], reason);
			goto out;
		}
		c->cur = i;
		curl_api.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) {
			*resp = b.p ? b.p : strdup("{}");
			b.p = NULL;
			rc = *resp ? 0 : -ENOMEM;
			if (rc < 0)
				snprintf(msg, msglen, "out of memory");
			goto out;
		}
		int code = etcd_parse_error(b.p ? b.p : "", msg, msglen);
		rc = code >= 0 ? etcd_grpc_errno(code) : -EIO;
		if (!*msg)
			snprintf(msg, msglen, "etcd at %s answered HTTP %ld to %s", c->urls[i], status, path);
		goto out;
	}
	snprintf(msg, msglen, "cannot reach etcd at %s: %s", tried, reason);
out:
	/* The handle must not keep pointers to this call's buffers. */
	curl_api.easy_setopt(c->curl, CURLOPT_WRITEDATA, NULL);
	free(b.p);
	return rc;
}
