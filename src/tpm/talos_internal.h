/* SPDX-License-Identifier: ISC */
/* talos_internal.h: what talos_seal.c and talos_unseal.c share. */
#ifndef LV_TALOS_INTERNAL_H
#define LV_TALOS_INTERNAL_H

#include "tpm/rsa_pubkey.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm.h"
#include "tpm/tpm_blob.h"

#define TALOS_PEM_MAX (64 * 1024)
#define TALOS_PCRSIG_MAX (1024 * 1024)

/* The PCR-signing key of path: parsed, and as Talos loads it
 * (RSAPubKeyTemplate). */
int talos_pubkey_load(const char *path, struct lv_rsa_pubkey *key, TPM2B_PUBLIC *public_key,
		      struct lv_err *err);
/* pcr.go validatePCRBanks: the SHA-256 bank has all 24 PCRs, PCR 11 (when
 * the policy is signed) then the PCRs of mask are neither all zero nor all
 * 0xFF. */
int talos_pcr_checks(struct lv_tpm *tpm, enum lv_talos_policy policy, uint32_t mask,
		     struct lv_err *err);

#endif
