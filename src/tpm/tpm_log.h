/* SPDX-License-Identifier: ISC */
/* tpm_log.h: tpm2-tss's own logging kept off stderr, and its codes as text. */
#ifndef LV_TPM_LOG_H
#define LV_TPM_LOG_H

#include <tss2_common.h>

/* tpm2-tss prints its errors to stderr unless TSS2_LOG says otherwise;
 * luksvol reports each failure once, in its own words.  Sets
 * TSS2_LOG=all+none unless the environment already has a TSS2_LOG (for
 * debugging).  lv_tss2_load calls it before loading tpm2-tss. */
void lv_tpm_log_quiet(void);

/* "tpm:error(2.0): a policy check failed", "tcti:IO failure", ... */
const char *lv_tpm_rc_text(TSS2_RC rc);

#endif
