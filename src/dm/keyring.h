/* SPDX-License-Identifier: ISC */
/* keyring.h: volume keys handed to dm-crypt through the kernel keyring. */
#ifndef LV_DM_KEYRING_H
#define LV_DM_KEYRING_H

#include <stdint.h>

#include "luksvol.h"

/* Adds a "logon" key to the thread keyring, where dm-crypt's table load
 * (run by this thread) finds it.  Returns the key serial, or a negative
 * errno when the keyring is unavailable. */
int32_t lv_keyring_add_logon(const char *description, const struct lv_secret *key);
/* Destroys the key; dm-crypt keeps its own copy once the table is loaded. */
void lv_keyring_drop(int32_t serial);

#endif
