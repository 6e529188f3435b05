/* SPDX-License-Identifier: ISC */
/*
 * unlock.h: token unlockers, one ops table per LUKS2 token type luksvol can
 * unlock with (`open --token-only`, lv_token_open): the passphrase of the
 * keyslot a token names, from wherever the token's type keeps it (a tang
 * server, the TPM).
 *
 * Adding a type:
 *  1. One file, src/unlock/unlock_<name>.c, with one const instance:
 *        const struct lv_unlocker_ops lv_unlocker_<name> = {
 *                .type = "<LUKS2 token type>", .passphrase = ...,
 *        };
 *     A type behind a build flag has the flag's word in its file name
 *     ("clevis", "tpm", "kms"), so the Makefile leaves it out with it.
 *  2. One line in unlock.c's table:
 *        UNLOCKER(LV_WITH_<FLAG>, "WITH_<FLAG>", "<type>", lv_unlocker_<name>),
 *  3. Its token ops (src/luks2: validate, dump) for import and luksDump.
 */
#ifndef LV_UNLOCK_H
#define LV_UNLOCK_H

#include "luksvol.h"

struct lv_unlocker_ops {
	/* The token's "type". */
	const char *type;
	/* The passphrase the token holds and the keyslot it names.  pin is
	 * NULL on the first try; a token that needs one returns -ENOANO once
	 * everything it can check without the PIN passed (the TPM reached,
	 * its PCR policy met), and is tried again with the PIN
	 * params->ask_pin gives.  Errors name
	 * the server or TPM and why, in one line. */
	int (*passphrase)(const char *token_json, const struct lv_token_unlock_params *params,
			  const struct lv_secret *pin, struct lv_secret **passphrase, int *keyslot,
			  struct lv_err *err);
};

/* The unlocker of type, or NULL with *why (when non-NULL) saying why not:
 * "not supported", or "built with WITH_TPM=0". */
const struct lv_unlocker_ops *lv_unlocker_find(const char *type, const char **why);

#endif
