/* SPDX-License-Identifier: ISC */
/*
 * tpm_tss2.h: tpm2-tss, loaded on first use.  src/tpm includes the tss2
 * headers that declare calls through this one and nowhere else (the
 * others, types and TCTI macros, need no library).
 *
 * luksvol does not link the five tss2 libraries: every command would load
 * and relocate them (and the libraries they bring), `luksvol dump`
 * included, and an initramfs without them could not run luksvol at all.
 * They are opened with dlopen (src/base/dl_table.h) when a TPM is first
 * opened or a TPM structure first (un)marshalled.  The names below stand
 * for the table's pointers, so the calls read as tpm2-tss's own; a
 * function of the same name defined here instead would interpose on the
 * libraries' own calls to it.
 *
 * tss2-tctildr loads the TCTI named at run time (libtss2-tcti-device,
 * -mssim) itself; the swtpm one is luksvol's (tpm_tcti.h).
 */
#ifndef LV_TPM_TSS2_H
#define LV_TPM_TSS2_H

/* <tss2_mu.h>'s own declarations use a type tpm2-tss 3.2 marks
 * deprecated (TPMS_ALGORITHM_DESCRIPTION). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <tss2_esys.h>
#include <tss2_mu.h>
#include <tss2_rc.h>
#include <tss2_sys.h>
#include <tss2_tctildr.h>
#pragma GCC diagnostic pop

#include "luksvol.h"

/* The sonames Debian 12's libtss2-* packages install, and the calls
 * luksvol makes of each: X(name) for each. */
#define LV_TSS2_ESYS_SONAME "libtss2-esys.so.0"
#define LV_TSS2_ESYS_CALLS(X) \
	X(Esys_Initialize) X(Esys_Finalize) X(Esys_Startup) X(Esys_Free) X(Esys_GetSysContext) \
	X(Esys_FlushContext) X(Esys_TR_Close) X(Esys_TR_GetName) X(Esys_TR_SetAuth) \
	X(Esys_TR_FromTPMPublic) X(Esys_TRSess_SetAttributes) X(Esys_CreatePrimary) X(Esys_Create) \
	X(Esys_Load) X(Esys_LoadExternal) X(Esys_ReadPublic) X(Esys_Unseal) \
	X(Esys_StartAuthSession) X(Esys_PolicyPCR) X(Esys_PolicyGetDigest) X(Esys_PolicyAuthorize) \
	X(Esys_PolicyAuthValue) X(Esys_VerifySignature) X(Esys_PCR_Read) X(Esys_GetCapability)
#define LV_TSS2_MU_SONAME "libtss2-mu.so.0"
#define LV_TSS2_MU_CALLS(X) \
	X(Tss2_MU_TPM2B_PUBLIC_Marshal) X(Tss2_MU_TPM2B_PUBLIC_Unmarshal) \
	X(Tss2_MU_TPM2B_PRIVATE_Marshal) X(Tss2_MU_TPM2B_PRIVATE_Unmarshal) \
	X(Tss2_MU_TPM2B_NAME_Marshal) X(Tss2_MU_TPM2B_NAME_Unmarshal) \
	X(Tss2_MU_TPMT_PUBLIC_Marshal) X(Tss2_MU_TPML_PCR_SELECTION_Marshal)
#define LV_TSS2_TCTILDR_SONAME "libtss2-tctildr.so.0"
#define LV_TSS2_TCTILDR_CALLS(X) X(Tss2_TctiLdr_Initialize) X(Tss2_TctiLdr_Finalize)
/* The response buffer ESAPI decrypted in place, to wipe. */
#define LV_TSS2_SYS_SONAME "libtss2-sys.so.1"
#define LV_TSS2_SYS_CALLS(X) X(Tss2_Sys_GetRpBuffer)
/* The text of a response code. */
#define LV_TSS2_RC_SONAME "libtss2-rc.so.0"
#define LV_TSS2_RC_CALLS(X) X(Tss2_RC_Decode)

/* call_NAME: a pointer to tpm2-tss's NAME, of its declared type. */
#define LV_TSS2_POINTER(name) __typeof__(name) *call_##name;
struct lv_tss2_api {
	LV_TSS2_ESYS_CALLS(LV_TSS2_POINTER)
	LV_TSS2_MU_CALLS(LV_TSS2_POINTER)
	LV_TSS2_TCTILDR_CALLS(LV_TSS2_POINTER)
	LV_TSS2_SYS_CALLS(LV_TSS2_POINTER)
	LV_TSS2_RC_CALLS(LV_TSS2_POINTER)
};
#undef LV_TSS2_POINTER

/* Loads the libraries, once per process: 0, or -ENOTSUP (one is not
 * installed or lacks a call: a broken installation, like a missing
 * libcurl) with one line, "cannot load libtss2-esys.so.0: ..." or
 * "libtss2-esys.so.0: no Esys_Unseal in it".  err may be NULL. */
int lv_tss2_load(struct lv_err *err);

/* The calls; only once lv_tss2_load has returned 0. */
const struct lv_tss2_api *lv_tss2(void);

#define Esys_Initialize (lv_tss2()->call_Esys_Initialize)
#define Esys_Finalize (lv_tss2()->call_Esys_Finalize)
#define Esys_Startup (lv_tss2()->call_Esys_Startup)
#define Esys_Free (lv_tss2()->call_Esys_Free)
#define Esys_GetSysContext (lv_tss2()->call_Esys_GetSysContext)
#define Esys_FlushContext (lv_tss2()->call_Esys_FlushContext)
#define Esys_TR_Close (lv_tss2()->call_Esys_TR_Close)
#define Esys_TR_GetName (lv_tss2()->call_Esys_TR_GetName)
#define Esys_TR_SetAuth (lv_tss2()->call_Esys_TR_SetAuth)
#define Esys_TR_FromTPMPublic (lv_tss2()->call_Esys_TR_FromTPMPublic)
#define Esys_TRSess_SetAttributes (lv_tss2()->call_Esys_TRSess_SetAttributes)
#define Esys_CreatePrimary (lv_tss2()->call_Esys_CreatePrimary)
#define Esys_Create (lv_tss2()->call_Esys_Create)
#define Esys_Load (lv_tss2()->call_Esys_Load)
#define Esys_LoadExternal (lv_tss2()->call_Esys_LoadExternal)
#define Esys_ReadPublic (lv_tss2()->call_Esys_ReadPublic)
#define Esys_Unseal (lv_tss2()->call_Esys_Unseal)
#define Esys_StartAuthSession (lv_tss2()->call_Esys_StartAuthSession)
#define Esys_PolicyPCR (lv_tss2()->call_Esys_PolicyPCR)
#define Esys_PolicyGetDigest (lv_tss2()->call_Esys_PolicyGetDigest)
#define Esys_PolicyAuthorize (lv_tss2()->call_Esys_PolicyAuthorize)
#define Esys_PolicyAuthValue (lv_tss2()->call_Esys_PolicyAuthValue)
#define Esys_VerifySignature (lv_tss2()->call_Esys_VerifySignature)
#define Esys_PCR_Read (lv_tss2()->call_Esys_PCR_Read)
#define Esys_GetCapability (lv_tss2()->call_Esys_GetCapability)
#define Tss2_MU_TPM2B_PUBLIC_Marshal (lv_tss2()->call_Tss2_MU_TPM2B_PUBLIC_Marshal)
#define Tss2_MU_TPM2B_PUBLIC_Unmarshal (lv_tss2()->call_Tss2_MU_TPM2B_PUBLIC_Unmarshal)
#define Tss2_MU_TPM2B_PRIVATE_Marshal (lv_tss2()->call_Tss2_MU_TPM2B_PRIVATE_Marshal)
#define Tss2_MU_TPM2B_PRIVATE_Unmarshal (lv_tss2()->call_Tss2_MU_TPM2B_PRIVATE_Unmarshal)
#define Tss2_MU_TPM2B_NAME_Marshal (lv_tss2()->call_Tss2_MU_TPM2B_NAME_Marshal)
#define Tss2_MU_TPM2B_NAME_Unmarshal (lv_tss2()->call_Tss2_MU_TPM2B_NAME_Unmarshal)
#define Tss2_MU_TPMT_PUBLIC_Marshal (lv_tss2()->call_Tss2_MU_TPMT_PUBLIC_Marshal)
#define Tss2_MU_TPML_PCR_SELECTION_Marshal (lv_tss2()->call_Tss2_MU_TPML_PCR_SELECTION_Marshal)
#define Tss2_TctiLdr_Initialize (lv_tss2()->call_Tss2_TctiLdr_Initialize)
#define Tss2_TctiLdr_Finalize (lv_tss2()->call_Tss2_TctiLdr_Finalize)
#define Tss2_Sys_GetRpBuffer (lv_tss2()->call_Tss2_Sys_GetRpBuffer)
#define Tss2_RC_Decode (lv_tss2()->call_Tss2_RC_Decode)

#endif
