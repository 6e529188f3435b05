/* SPDX-License-Identifier: ISC */
/*
 * dl_table.h: a shared library loaded on first use, its calls resolved
 * into a table of function pointers.
 *
 * luksvol links only what every command needs.  The libraries of one kind
 * of key or token (libcurl for KMS and tang, libjose and libjansson for
 * clevis, tss2 for the TPM) are opened with dlopen by the engine that
 * needs them, when it first does: linked, each is loaded, relocated and
 * initialised by every command, `luksvol dump` included (libjose's
 * constructor alone loads OpenSSL's configuration; bench/issue14.md).  An
 * initramfs that has none of them still runs every other verb.
 */
#ifndef LV_BASE_DL_TABLE_H
#define LV_BASE_DL_TABLE_H

#include <stddef.h>

/* One call: where its pointer goes in the table, and its symbol. */
struct lv_dl_call {
	size_t offset;
	const char *symbol;
};

/* A row of a call list: LV_DL_CALL(struct my_api, field, "symbol"). */
#define LV_DL_CALL(table_type, field, symbol) { offsetof(table_type, field), symbol }

/*
 * Opens soname (RTLD_NOW | RTLD_LOCAL: its symbols do not interpose on the
 * libraries luksvol links) and stores each of calls[0..count) in table.
 * 0; or -ENOTSUP with one line in why[why_bytes]: "cannot load S: <dlerror>"
 * or "S: no SYMBOL in it".  Call it once (pthread_once): the library is
 * never closed, a failure leaves the table partly filled and unusable.
 */
int lv_dl_table_load(const char *soname, const struct lv_dl_call *calls, size_t count,
		     void *table, char *why, size_t why_bytes);

#endif
