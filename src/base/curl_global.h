/* SPDX-License-Identifier: ISC */
/*
 * curl_global.h: what the engines that speak HTTP through libcurl (src/kms's
 * gRPC calls, src/clevis's tang requests) share: its one process-wide
 * initialisation, and what its failures mean as errnos.  Built only when
 * one of them is (Makefile: CURL_SRCS).
 */
#ifndef LV_BASE_CURL_GLOBAL_H
#define LV_BASE_CURL_GLOBAL_H

#include "luksvol.h"

/* curl_global_init, once per process whichever engine asks first (it is
 * not thread-safe, and must come before any handle): 0, or -EIO with one
 * line saying why. */
int lv_curl_global_init(struct lv_err *err);

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
