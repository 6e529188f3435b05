/* SPDX-License-Identifier: ISC */
/* tpm_tss2.c: tpm2-tss's libraries loaded on first use (tpm_tss2.h). */
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

static const struct lv_dl_library tss2_libraries[] = {
	LV_DL_LIBRARY(LV_TSS2_ESYS_SONAME, esys_calls),
	LV_DL_LIBRARY(LV_TSS2_MU_SONAME, mu_calls),
	LV_DL_LIBRARY(LV_TSS2_TCTILDR_SONAME, tctildr_calls),
	LV_DL_LIBRARY(LV_TSS2_SYS_SONAME, sys_calls),
	LV_DL_LIBRARY(LV_TSS2_RC_SONAME, rc_calls),
};

static struct lv_tss2_api tss2_api;

/* Before any call that could log. */
static int tss2_init(void *table, char *why, size_t why_bytes)
{
	(void)table, (void)why, (void)why_bytes;
	lv_tpm_log_quiet();
	return 0;
}

static struct lv_dl_once tss2_once = LV_DL_ONCE(tss2_libraries, &tss2_api, tss2_init);

int lv_tss2_load(struct lv_err *err)
{
	return lv_dl_once_load(&tss2_once, err);
}

const struct lv_tss2_api *lv_tss2(void)
{
	return &tss2_api;
}
