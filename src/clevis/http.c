/* SPDX-License-Identifier: ISC */
/* http.c: one bounded HTTP request with libcurl (http.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/curl_global.h"
#include "clevis/http.h"

struct sink {
	uint8_t *bytes;
	size_t len, max;
	int too_long, no_memory;
};

static size_t sink_write(char *data, size_t size, size_t count, void *opaque)
{
	struct sink *sink = opaque;
	size_t n = size * count;
	uint8_t *grown;

	if (n > sink->max - sink->len) {
		sink->too_long = 1;
		return 0;
	}
	grown = realloc(sink->bytes, sink->len + n + 1);
	if (!grown) {
		sink->no_memory = 1;
		return 0;
	}
	memcpy(grown + sink->len, data, n);
	sink->bytes = grown;
	sink->len += n;
	sink->bytes[sink->len] = '\0';
	return n;
}

static int progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		    curl_off_t ulnow)
{
	const struct lv_http_request *req = opaque;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return req->cancelled(req->cancel_ctx) ? 1 : 0;
}

static int configure(CURL *curl, const struct lv_http_request *req, struct sink *sink,
		     struct curl_slist **headers, char *errbuf)
{
	int ok = lv_curl()->easy_setopt(curl, CURLOPT_URL, req->url) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)req->timeout_ms) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write) == CURLE_OK &&
		lv_curl()->easy_setopt(curl, CURLOPT_WRITEDATA, sink) == CURLE_OK;

	if (ok && req->cancelled)
		ok = lv_curl()->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress) == CURLE_OK &&
		     lv_curl()->easy_setopt(curl, CURLOPT_XFERINFODATA, req) == CURLE_OK &&
		     lv_curl()->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
	if (ok && req->content_type) {
		char line[128];

		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		*headers = lv_curl()->slist_append(NULL, line);
		ok = *headers &&
		     lv_curl()->easy_setopt(curl, CURLOPT_HTTPHEADER, *headers) == CURLE_OK &&
		     lv_curl()->easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)req->body_len) == CURLE_OK &&
		     lv_curl()->easy_setopt(curl, CURLOPT_POSTFIELDS, req->body) == CURLE_OK;
	}
	return ok ? 0 : -ENOMEM;
}

/* One line for a failed transfer: what curl says, and our own reasons. */
static int transfer_error(const struct lv_http_request *req, CURLcode code, const struct sink *sink,
			  const char *errbuf, struct lv_err *err)
{
	const char *why = errbuf[0] ? errbuf : lv_curl()->easy_strerror(code);

	if (sink->too_long)
		return lv_err_set(err, -EPROTO, "reply longer than %zu bytes", req->reply_max);
	if (sink->no_memory)
		return lv_err_set(err, -ENOMEM, "out of memory");
	if (code == CURLE_OPERATION_TIMEDOUT)
		return lv_err_set(err, -ETIMEDOUT, "no answer within %u ms (%s)", req->timeout_ms,
				  why);
	return lv_err_set(err, lv_curl_errno(code), "%s", why);
}

int lv_http_request(const struct lv_http_request *req, uint8_t **reply, size_t *reply_len,
		    long *status, struct lv_err *err)
{
	struct sink sink = { .max = req->reply_max };
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long http_status = 0;
	CURLcode code;
	CURL *curl;
	int r;

	*reply = NULL;
	*reply_len = 0;
	r = lv_curl_global_init(err);
	if (r < 0)
		return r;
	curl = lv_curl()->easy_init();
	if (!curl)
		return lv_err_set(err, -ENOMEM, "libcurl: cannot make a handle");
	r = configure(curl, req, &sink, &headers, errbuf);
	if (r < 0) {
		lv_err_set(err, r, "cannot set up the request");
		goto out;
	}
	code = lv_curl()->easy_perform(curl);
	if (code != CURLE_OK) {
		r = transfer_error(req, code, &sink, errbuf, err);
		goto out;
	}
	lv_curl()->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
	if (status)
		*status = http_status;
	if (http_status != 200) {
		r = lv_err_set(err, -EPROTO, "HTTP status %ld", http_status);
		goto out;
	}
	if (!sink.bytes)
		sink.bytes = calloc(1, 1);
	if (!sink.bytes) {
		r = lv_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	*reply = sink.bytes;
	*reply_len = sink.len;
	sink.bytes = NULL;
out:
	free(sink.bytes);
	lv_curl()->slist_free_all(headers);
	lv_curl()->easy_cleanup(curl);
	return r;
}
