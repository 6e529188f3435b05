/* SPDX-License-Identifier: ISC */
/* grpc.h: one gRPC unary call over libcurl (grpc.c). */
#ifndef LV_KMS_GRPC_H
#define LV_KMS_GRPC_H

#include "kms/kms.h"

/* POSTs frame (a framed request, lv_grpc_request_frame) to method
 * ("/sidero.kms.KMSService/Seal") at ep and returns the reply's
 * Response.data in *data.  The error says what failed, without the
 * endpoint (the caller names it). */
int lv_grpc_unary(const struct lv_kms_endpoint *ep, const char *ca_file, const char *method,
		  const struct lv_secret *frame, unsigned timeout_ms, struct lv_secret **data,
		  struct lv_err *err);

#endif
