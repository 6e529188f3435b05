/* SPDX-License-Identifier: ISC */
/*
 * grpc.c: one gRPC unary call over libcurl's HTTP/2 (nghttp2): plaintext
 * with prior knowledge for grpc:// endpoints, TLS (ALPN h2) verified
 * against the system roots plus an optional CA file for every other.
 * libcurl hands over header and trailer lines and the body; wire.c judges
 * them.  The reply body can hold an unsealed key, so it is collected in a
 * secret buffer.  (libcurl, nghttp2 and OpenSSL keep transient copies of
 * what goes through them in their own heap buffers, which they do not
 * wipe: a limit of using them.)
 */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/curl_global.h"
#include "kms/grpc.h"

#define CA_FILE_MAX (1u << 20)
#define SYSTEM_BUNDLE_MAX (16u << 20)

struct call {
	struct lv_grpc_reply reply;
	struct lv_secret *body;		/* LV_GRPC_BODY_MAX bytes of room */
	size_t body_len;
	int body_overflow;
};

static size_t on_header(char *line, size_t size, size_t count, void *ctx)
{
	struct call *call = ctx;

	(void)size;	/* always 1 */
	lv_grpc_reply_line(&call->reply, line, count);
	return count;
}

static size_t on_body(char *bytes, size_t size, size_t count, void *ctx)
{
	struct call *call = ctx;

	(void)size;
	if (count > LV_GRPC_BODY_MAX - call->body_len) {
		call->body_overflow = 1;
		return 0;	/* aborts the transfer */
	}
	memcpy(call->body->bytes + call->body_len, bytes, count);
	call->body_len += count;
	return count;
}

/* A regular file of at most max bytes, NUL-terminated, into a new buffer
 * with room for extra more bytes; -errno or -EFBIG. */
static int read_small_file(const char *path, size_t max, size_t extra, char **buf, size_t *len)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r = 0;

	*buf = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		r = -EFBIG;
	else if (!(*buf = calloc(1, (size_t)st.st_size + extra + 1)))
		r = -ENOMEM;
	else if ((got = read(fd, *buf, (size_t)st.st_size)) != st.st_size)
		r = got < 0 ? -errno : -EIO;
	else
		*len = (size_t)got;
	close(fd);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

/*
 * What TLS trusts: the CA file (read once here, a regular file with a PEM
 * certificate, so curl and this check see the same bytes) followed by the
 * system bundle libcurl would use.  libcurl takes a CA blob instead of its
 * bundle file, so the bundle goes into the blob too; its CA directory
 * (/etc/ssl/certs on Debian) stays in use either way.
 */
/* The CA file's bytes: a regular file of at most 1 MiB with a PEM
 * certificate in it. */
static int load_ca_file(const char *ca_file, char **pem, size_t *pem_len, struct lv_err *err)
{
	int r = read_small_file(ca_file, CA_FILE_MAX, 0, pem, pem_len);

	if (r < 0)
		return lv_err_set(err, r == -ENOMEM ? r : -EINVAL, "CA file %s: %s", ca_file,
				  r == -EINVAL ? "not a regular file"
				  : r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
	if (!strstr(*pem, "-----BEGIN CERTIFICATE-----")) {
		free(*pem);
		*pem = NULL;
		return lv_err_set(err, -EINVAL, "CA file %s: no PEM certificate in it", ca_file);
	}
	return 0;
}

int lv_kms_ca_check(const char *ca_file, struct lv_err *err)
{
	char *pem = NULL;
	size_t pem_len = 0;
	int r = load_ca_file(ca_file, &pem, &pem_len, err);

	free(pem);
	return r;
}

static int trust_bundle(CURL *curl, const char *ca_file, char **pem, size_t *pem_len,
			struct lv_err *err)
{
	char *system_pem = NULL, *joined;
	size_t system_len = 0;
	const char *system_path = NULL;
	int r = load_ca_file(ca_file, pem, pem_len, err);

	if (r < 0)
		return r;
	if (lv_curl()->easy_getinfo(curl, CURLINFO_CAINFO, &system_path) != CURLE_OK || !system_path ||
	    read_small_file(system_path, SYSTEM_BUNDLE_MAX, 0, &system_pem, &system_len) < 0)
		return 0;	/* no bundle file: the CA directory alone */
	joined = realloc(*pem, *pem_len + 1 + system_len + 1);
	if (!joined) {
		free(system_pem);
		return 0;
	}
	joined[(*pem_len)++] = '\n';
	memcpy(joined + *pem_len, system_pem, system_len + 1);
	*pem_len += system_len;
	*pem = joined;
	free(system_pem);
	return 0;
}

static int curl_error(CURLcode rc, const struct call *call, const char *detail,
		      unsigned timeout_ms, struct lv_err *err)
{
	char shown[200];

	lv_kms_printable(shown, sizeof(shown), detail[0] ? detail : lv_curl()->easy_strerror(rc),
			 strlen(detail[0] ? detail : lv_curl()->easy_strerror(rc)));
	if (rc == CURLE_WRITE_ERROR && call->body_overflow)
		return lv_err_set(err, -EPROTO, "reply body larger than %d bytes", LV_GRPC_BODY_MAX);
	switch (lv_curl_errno(rc)) {
	case -ETIMEDOUT:
		return lv_err_set(err, -ETIMEDOUT, "no complete answer within %u ms", timeout_ms);
	case -ECONNREFUSED:
		return lv_err_set(err, -ECONNREFUSED, "cannot connect: %s", shown);
	case -EHOSTUNREACH:
		return lv_err_set(err, -EHOSTUNREACH, "cannot resolve the host: %s", shown);
	case -EACCES:
		return lv_err_set(err, -EACCES, "TLS: server not trusted: %s", shown);
	default:
		if (rc == CURLE_SSL_CONNECT_ERROR)
			return lv_err_set(err, -EPROTO, "TLS handshake failed: %s", shown);
		return lv_err_set(err, -EPROTO, "transfer failed: %s", shown);
	}
}

struct request_headers {
	struct curl_slist *list;
	char timeout[40];
};

static int headers_build(struct request_headers *h, unsigned timeout_ms)
{
	/* grpc-timeout tells the server our deadline, in milliseconds ("m"). */
	snprintf(h->timeout, sizeof(h->timeout), "grpc-timeout: %um", timeout_ms);
	const char *lines[] = { "content-type: application/grpc", "te: trailers", h->timeout,
				"user-agent: luksvol", "expect:", "accept:" };

	h->list = NULL;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct curl_slist *next = lv_curl()->slist_append(h->list, lines[i]);

		if (!next) {
			lv_curl()->slist_free_all(h->list);
			h->list = NULL;
			return -ENOMEM;
		}
		h->list = next;
	}
	return 0;
}

/* Every option of the call; a failure is a libcurl that cannot do HTTP/2
 * or TLS, or no memory. */
static CURLcode setup(CURL *curl, const char *url, int tls, const struct lv_secret *frame,
		      struct curl_slist *headers, const char *ca_pem, size_t ca_len,
		      unsigned timeout_ms, struct call *call, char *errbuf)
{
	struct curl_blob ca_blob = { .data = (void *)ca_pem, .len = ca_len,
				     .flags = CURL_BLOB_COPY };
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = lv_curl()->easy_setopt(curl, opt, val); } while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, tls ? "https" : "http");
	SET(CURLOPT_HTTP_VERSION, (long)(tls ? CURL_HTTP_VERSION_2TLS
					     : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
	/* Proxies are not used: libcurl would send h2c through an HTTP proxy
	 * as HTTP/1.1 (README.md, "kms keys"). */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, (const char *)frame->bytes);
	SET(CURLOPT_POSTFIELDSIZE, (long)frame->len);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, call);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, call);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_pem)
		SET(CURLOPT_CAINFO_BLOB, &ca_blob);
#undef SET
	return rc;
}

int lv_grpc_unary(const struct lv_kms_endpoint *ep, const char *ca_file, const char *method,
		  const struct lv_secret *frame, unsigned timeout_ms, struct lv_secret **data,
		  struct lv_err *err)
{
	char url[LV_KMS_HOST_MAX + 128], errbuf[CURL_ERROR_SIZE] = "";
	struct request_headers headers = { 0 };
	struct call call;
	char *ca_pem = NULL;
	size_t ca_len = 0, data_len;
	const uint8_t *payload;
	CURLcode rc;
	CURL *curl = NULL;
	int r;

	*data = NULL;
	lv_grpc_reply_init(&call.reply);
	call.body_len = 0;
	call.body_overflow = 0;
	snprintf(url, sizeof(url), "%s://%s:%u%s", ep->tls ? "https" : "http", ep->host, ep->port,
		 method);
	call.body = lv_secret_new(LV_GRPC_BODY_MAX);
	r = lv_curl_global_init(err);
	if (r < 0)
		goto out;
	if (!call.body || headers_build(&headers, timeout_ms) < 0 || !(curl = lv_curl()->easy_init())) {
		r = lv_err_set(err, -ENOMEM, "cannot set up libcurl");
		goto out;
	}
	if (ca_file && ep->tls && (r = trust_bundle(curl, ca_file, &ca_pem, &ca_len, err)) < 0)
		goto out;
	rc = setup(curl, url, ep->tls, frame, headers.list, ca_pem, ca_len, timeout_ms, &call,
		   errbuf);
	if (rc != CURLE_OK) {
		r = lv_err_set(err, -ENOTSUP, "libcurl: %s", lv_curl()->easy_strerror(rc));
		goto out;
	}
	rc = lv_curl()->easy_perform(curl);
	if (rc != CURLE_OK) {
		r = curl_error(rc, &call, errbuf, timeout_ms, err);
		goto out;
	}
	r = lv_grpc_reply_check(&call.reply, call.body->bytes, call.body_len, &payload, &data_len,
				err);
	if (r == 0 && !(*data = lv_secret_dup(payload, data_len)))
		r = lv_err_set(err, -ENOMEM, "out of memory");
out:
	if (curl)
		lv_curl()->easy_cleanup(curl);
	if (headers.list)
		lv_curl()->slist_free_all(headers.list);
	free(ca_pem);
	lv_secret_free(&call.body);
	return r;
}
