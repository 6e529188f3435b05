/* SPDX-License-Identifier: ISC */
/* error.c: the lv_err setter every layer reports through. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "luksvol.h"

int lv_err_set(struct lv_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* A message too long for the buffer loses its tail, never its prefix. */
void lv_err_prefix(struct lv_err *err, const char *prefix)
{
	size_t prefix_len, msg_len;

	if (!err)
		return;
	prefix_len = strnlen(prefix, LV_ERR_MSG_MAX - 3);
	msg_len = strnlen(err->msg, LV_ERR_MSG_MAX - 1);
	if (msg_len > LV_ERR_MSG_MAX - 3 - prefix_len)
		msg_len = LV_ERR_MSG_MAX - 3 - prefix_len;
	memmove(err->msg + prefix_len + 2, err->msg, msg_len);
	memcpy(err->msg, prefix, prefix_len);
	memcpy(err->msg + prefix_len, ": ", 2);
	err->msg[prefix_len + 2 + msg_len] = '\0';
}
