/* SPDX-License-Identifier: ISC */
/* tpm_tss2.c: tpm2-tss's libraries loaded on first use (tpm_tss2.h). */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "base/dl_table.h"
#include "tpm/tpm_log.h"
#include "tpm/tpm_tss2.h"

/* Token pasting and # keep the names from their macros in tpm_tss2.h. */
#define TSS2_CALL(name) LV_DL_CALL(struct lv_tss2_api, call_##name, #name),
static const struct lv_dl_call esys_calls[] = { LV_TSS2_ESYS_CALLS(TSS2_CALL) };
static const struct lv_dl_call mu_calls[] = { LV_TSS2_MU_CALLS(TSS2_CALL) };
static const struct lv_dl_call tctildr_calls[] = { LV_TSS2_TCTILDR_CALLS(TSS2_CALL) };
static const struct lv_dl_call sys_calls[] = { LV_TSS2_SYS_CALLS(TSS2_CALL) };
static const struct lv_dl_call rc_calls[] = { LV_TSS2_RC_CALLS(TSS2_CALL) };

#define TSS2_LIBRARY(soname, calls) { soname, calls, sizeof(calls) / sizeof(calls[0]) }
static const struct tss2_library {
	const char *soname;
	const struct lv_dl_call *calls;
	size_t count;
} tss2_libraries[] = {
	TSS2_LIBRARY(LV_TSS2_ESYS_SONAME, esys_calls),
	TSS2_LIBRARY(LV_TSS2_MU_SONAME, mu_calls),
	TSS2_LIBRARY(LV_TSS2_TCTILDR_SONAME, tctildr_calls),
	TSS2_LIBRARY(LV_TSS2_SYS_SONAME, sys_calls),
	TSS2_LIBRARY(LV_TSS2_RC_SONAME, rc_calls),
};

static pthread_once_t tss2_once = PTHREAD_ONCE_INIT;
static struct lv_tss2_api tss2_api;
static int tss2_ready = -ENOTSUP;
static char tss2_failure[256];

static void tss2_load_once(void)
{
	lv_tpm_log_quiet();
	for (size_t i = 0; i < sizeof(tss2_libraries) / sizeof(tss2_libraries[0]); i++) {
		const struct tss2_library *library = &tss2_libraries[i];

		if (lv_dl_table_load(library->soname, library->calls, library->count, &tss2_api,
				     tss2_failure, sizeof(tss2_failure)) < 0)
			return;
	}
	tss2_ready = 0;
}

int lv_tss2_load(struct lv_err *err)
{
	if (pthread_once(&tss2_once, tss2_load_once) != 0)
		return lv_err_set(err, -ENOTSUP, "tpm2-tss: cannot load it");
	if (tss2_ready < 0)
		return lv_err_set(err, tss2_ready, "%s", tss2_failure);
	return 0;
}

const struct lv_tss2_api *lv_tss2(void)
{
	return &tss2_api;
}
