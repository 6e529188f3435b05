/* SPDX-License-Identifier: ISC */
/* efivars.h: the firmware's Secure Boot state, as Talos's
 * checkSecurebootStatusOnEnroll reads it (go-uefi GetSecureBoot/GetSetupMode). */
#ifndef LV_EFIVARS_H
#define LV_EFIVARS_H

#include "luksvol.h"

#define LV_EFIVARS_DIR "/sys/firmware/efi/efivars"

/* 0 when SecureBoot is 1 and SetupMode is not; -EPERM with Talos's
 * reason otherwise.  A variable that is absent reads as 0 (not an EFI
 * system, or Secure Boot unsupported), as go-uefi has it.  dir NULL:
 * LV_EFIVARS_DIR. */
int lv_efi_secureboot_check(const char *dir, struct lv_err *err);

#endif
