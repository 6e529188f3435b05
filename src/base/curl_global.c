/* SPDX-License-Identifier: ISC */
/* curl_global.c: libcurl loaded on first use, initialised once, and its errors (curl_global.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "base/curl_global.h"
#include "base/dl_table.h"

static struct lv_curl_api curl_api;

static const struct lv_dl_call curl_calls[] = {
	LV_DL_CALL(struct lv_curl_api, global_init, "curl_global_init"),
	LV_DL_CALL(struct lv_curl_api, easy_init, "curl_easy_init"),
	LV_DL_CALL(struct lv_curl_api, easy_setopt, "curl_easy_setopt"),
	LV_DL_CALL(struct lv_curl_api, easy_perform, "curl_easy_perform"),
	LV_DL_CALL(struct lv_curl_api, easy_getinfo, "curl_easy_getinfo"),
	LV_DL_CALL(struct lv_curl_api, easy_cleanup, "curl_easy_cleanup"),
	LV_DL_CALL(struct lv_curl_api, easy_strerror, "curl_easy_strerror"),
	LV_DL_CALL(struct lv_curl_api, slist_append, "curl_slist_append"),
	LV_DL_CALL(struct lv_curl_api, slist_free_all, "curl_slist_free_all"),
};

static const struct lv_dl_library curl_library[] = { LV_DL_LIBRARY(LV_CURL_SONAME, curl_calls) };

static int curl_init(void *table, char *why, size_t why_bytes)
{
	const struct lv_curl_api *api = table;
	CURLcode code = api->global_init(CURL_GLOBAL_DEFAULT);

	if (code == CURLE_OK)
		return 0;
	snprintf(why, why_bytes, "libcurl: %s", api->easy_strerror(code));
	return -EIO;
}

static struct lv_dl_once curl_once = LV_DL_ONCE(curl_library, &curl_api, curl_init);

int lv_curl_global_init(struct lv_err *err)
{
	return lv_dl_once_load(&curl_once, err);
}

const struct lv_curl_api *lv_curl(void)
{
	return &curl_api;
}

int lv_curl_errno(int curl_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: return -EHOSTUNREACH;
	case CURLE_GOT_NOTHING: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return -EACCES;
	case CURLE_ABORTED_BY_CALLBACK: return -ECANCELED;
	case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT: return -EINVAL;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	default: return -EPROTO;
	}
}
