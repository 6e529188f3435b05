/* SPDX-License-Identifier: ISC */
/* curl_global.c: libcurl's process-wide initialisation and its errors (curl_global.h). */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>

#include "base/curl_global.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int lv_curl_global_init(struct lv_err *err)
{
	if (pthread_once(&curl_once, curl_init_once) != 0)
		return lv_err_set(err, -EIO, "libcurl: cannot initialise it");
	if (curl_init_result != CURLE_OK)
		return lv_err_set(err, -EIO, "libcurl: %s", curl_easy_strerror(curl_init_result));
	return 0;
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
