/* SPDX-License-Identifier: ISC */
/*
 * http.h: one HTTP request through libcurl, bounded in time and size:
 * http and https only, no redirects, the reply only when the status is 200.
 */
#ifndef LV_CLEVIS_HTTP_H
#define LV_CLEVIS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

struct lv_http_request {
	const char *url;
	const char *content_type;	/* POST with body when non-NULL */
	const void *body;
	size_t body_len;
	size_t reply_max;		/* a longer reply fails with -EPROTO */
	unsigned timeout_ms;		/* the whole request */
	/* Polled while waiting: non-zero abandons the request (-ECANCELED). */
	int (*cancelled)(const void *ctx);
	const void *cancel_ctx;
};

/* *reply (free() it) gets the body, NUL-terminated past reply_len.  Errors
 * (the caller names the server): libcurl's as lv_curl_errno gives them
 * (base/curl_global.h: -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH,
 * -ECONNRESET, -EACCES, -ECANCELED, -EINVAL, -ENOMEM, -EPROTO), -EPROTO
 * for a status other than 200 (in *status when not NULL) or a reply
 * longer than reply_max. */
int lv_http_request(const struct lv_http_request *req, uint8_t **reply, size_t *reply_len,
		    long *status, struct lv_err *err);

#endif
