/* SPDX-License-Identifier: ISC */
/*
 * curl_global.h: what the engines that speak HTTP through libcurl (src/kms's
 * gRPC calls, src/clevis's tang requests) share: libcurl itself, loaded on
 * first use, its one process-wide initialisation, and what its failures
 * mean as errnos.  Built only when one of them is (Makefile: CURL_SRCS).
 *
 * libcurl is loaded with dlopen, not linked: it brings some thirty shared
 * libraries (ldap, kerberos, ssh, idn, brotli...) whose loading and
 * relocation cost every luksvol command ~300 page faults and more time
 * than a whole `dump` (bench/issue14.md); only a command that reaches a
 * KMS or a tang server needs them.
 */
#ifndef LV_BASE_CURL_GLOBAL_H
#define LV_BASE_CURL_GLOBAL_H

#define CURL_DISABLE_TYPECHECK	/* calls go through the table below */
#include <curl/curl.h>

#include "luksvol.h"

/* The soname Debian's libcurl4 (OpenSSL flavour) installs. */
#define LV_CURL_SONAME "libcurl.so.4"

/* The libcurl calls luksvol makes, resolved from LV_CURL_SONAME. */
struct lv_curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
	void (*slist_free_all)(struct curl_slist *list);
};

/* Loads libcurl and runs curl_global_init, once per process whichever
 * engine asks first (neither is thread-safe, and both must come before any
 * handle): 0, or -ENOTSUP (libcurl is not installed or lacks a call) or
 * -EIO (its initialisation failed) with one line saying why. */
int lv_curl_global_init(struct lv_err *err);

/* libcurl's calls; only once lv_curl_global_init has returned 0. */
const struct lv_curl_api *lv_curl(void);

/* A failed transfer's CURLcode as the engines report it (src/cli maps
 * each to its exit code: all but -EINVAL and -ENOMEM are "no key"):
 *   -ETIMEDOUT      no answer in time
 *   -ECONNREFUSED   cannot connect; -EHOSTUNREACH: cannot resolve the host
 *   -ECONNRESET     the server went away mid-request
 *   -EACCES         its TLS certificate is not trusted
 *   -ECANCELED      the progress callback abandoned it
 *   -EINVAL         a URL or protocol libcurl refuses
 *   -ENOMEM
 *   -EPROTO         anything else: the server's answer did not come through */
int lv_curl_errno(int curl_code);

#endif
