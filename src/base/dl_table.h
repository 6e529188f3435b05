/* SPDX-License-Identifier: ISC */
/*
 * dl_table.h: shared libraries loaded on first use, their calls resolved
 * into a table of function pointers.
 *
 * luksvol links only what every command needs.  The libraries of one kind
 * of key or token (libcurl for KMS and tang, libjose and libjansson for
 * clevis, tpm2-tss for the TPM) are opened with dlopen by the engine that
 * needs them, when it first does: linked, each is loaded, relocated and
 * initialised by every command, `luksvol dump` included (libjose's
 * constructor alone loads OpenSSL's configuration; bench/issue14.md).  An
 * initramfs that has none of them still runs every other verb.
 */
#ifndef LV_BASE_DL_TABLE_H
#define LV_BASE_DL_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "luksvol.h"

/* One call: where its pointer goes in the table, and its symbol, inline:
 * a list of pointers would be relocated, so copied into pages of its own,
 * by every command at start, dump included (bench/issue14.md). */
#define LV_DL_SYMBOL_BYTES 40
struct lv_dl_call {
	size_t offset;
	char symbol[LV_DL_SYMBOL_BYTES];
};

/* A row of a call list: LV_DL_CALL(struct my_api, field, "symbol").  A
 * symbol too long for its array (with its NUL) does not compile: the
 * array size below is then negative. */
#define LV_DL_CALL(table_type, field, symbol) \
	{ offsetof(table_type, field) + \
		  0 * sizeof(char[sizeof(symbol) <= LV_DL_SYMBOL_BYTES ? 1 : -1]), symbol }

/* A library and the calls taken from it. */
struct lv_dl_library {
	const char *soname;
	const struct lv_dl_call *calls;
	size_t count;
};

#define LV_DL_LIBRARY(soname, calls) { soname, calls, sizeof(calls) / sizeof((calls)[0]) }

/* Libraries loaded, in order, into one table, then initialised: once per
 * process, whichever caller comes first; later callers get the same
 * result.  Define one with LV_DL_ONCE. */
struct lv_dl_once {
	const struct lv_dl_library *libraries;
	size_t count;
	void *table;
	/* NULL, or run once every library is loaded: 0, or < 0 with one
	 * line in why (the library's own initialisation failed). */
	int (*init)(void *table, char *why, size_t why_bytes);
	pthread_mutex_t lock;
	bool tried;
	int result;
	char why[256];
};

#define LV_DL_ONCE(libraries, table, init) \
	{ libraries, sizeof(libraries) / sizeof((libraries)[0]), table, init, \
	  PTHREAD_MUTEX_INITIALIZER, false, 0, "" }

/*
 * Opens each library (RTLD_NOW | RTLD_LOCAL: their symbols do not
 * interpose on the libraries luksvol links; never closed) and stores its
 * calls in the table, then runs init.  0; or -ENOTSUP with one line, "cannot
 * load S: <dlerror>" or "S: no SYMBOL in it", or init's error.  The table
 * is usable only after a 0.
 */
int lv_dl_once_load(struct lv_dl_once *once, struct lv_err *err);

#endif
