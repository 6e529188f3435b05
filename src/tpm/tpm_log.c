/* SPDX-License-Identifier: ISC */
/* tpm_log.c: tpm2-tss's logging switched off, response codes decoded. */
#include <stdlib.h>

#include "tpm/tpm_log.h"
#include "tpm/tpm_tss2.h"

void lv_tpm_log_quiet(void)
{
	/* tpm2-tss reads it once, at its first log call. */
	setenv("TSS2_LOG", "all+none", 0);
}

const char *lv_tpm_rc_text(TSS2_RC rc)
{
	return Tss2_RC_Decode(rc);
}
