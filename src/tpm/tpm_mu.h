/* SPDX-License-Identifier: ISC */
/* tpm_mu.h: <tss2_mu.h>, whose own declarations use a type tpm2-tss 3.2
 * marks deprecated (TPMS_ALGORITHM_DESCRIPTION): include this instead. */
#ifndef LV_TPM_MU_H
#define LV_TPM_MU_H

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <tss2_mu.h>
#pragma GCC diagnostic pop

#endif
