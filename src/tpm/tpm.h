/* SPDX-License-Identifier: ISC */
/*
 * tpm.h: a TPM 2.0 through tpm2-tss ESAPI, the layer every TPM-bound key
 * kind builds on (Talos's talos-tpm2, clevis's tpm2 pin, systemd-tpm2).
 * It knows nothing of LUKS, tokens or Talos.
 *
 * Transient handles.  Every object and session made here is tracked by its
 * struct lv_tpm and flushed by lv_tpm_flush or, at the latest, by
 * lv_tpm_close, on every path: without a resource manager (swtpm over TCP,
 * /dev/tpm0) a handle left behind stays in the TPM, which has room for
 * only a few (swtpm: three objects).
 *
 * Errors: 0 or a negative errno, and one line in err,
 * "TPM <tcti>: <step>: <reason>":
 *   -ENODEV  no TPM (no device node, nothing listening at the address)
 *   -EINVAL  bad parameters: a malformed TCTI string, a PCR out of range
 *   -EPERM   a policy, auth or signature check failed (PCRs changed, wrong
 *            key, wrong PIN, dictionary-attack lockout)
 *   -EIO     the TPM or the TSS failed otherwise
 *   -ENOMEM  out of memory, or the TPM is out of object or session slots
 *   -ETIMEDOUT  the TPM did not answer in the time lv_tpm_open_timed gave
 *
 * Names, policies and sessions are SHA-256 only: that is what Talos,
 * systemd and clevis use.  PCRs may be read and bound in the sha1, sha256,
 * sha384 and sha512 banks (clevis and systemd fall back to sha1).
 */
#ifndef LV_TPM_H
#define LV_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"
#include "tpm/tpm_tss2.h"

/* The device opened when no TCTI is given, and the one tried when it is
 * absent (a kernel without the in-kernel resource manager). */
#define LV_TPM_DEVICE "/dev/tpmrm0"
#define LV_TPM_DEVICE_FALLBACK "/dev/tpm0"

#define LV_TPM_PCR_COUNT 24	/* PCRs 0..23: sizeofSelect 3 */
#define LV_TPM_DIGEST_BYTES TPM2_SHA256_DIGEST_SIZE

struct lv_tpm;

/* tcti: "swtpm:host=127.0.0.1,port=2321", "swtpm:path=/sock",
 * "mssim:host=...,port=...", "device:/dev/tpmrm0", or a device path;
 * NULL: /dev/tpmrm0, else /dev/tpm0.  Sends TPM2_Startup(CLEAR) (a TPM
 * that is already started says so, which is fine). */
int lv_tpm_open(const char *tcti, struct lv_tpm **tpm, struct lv_err *err);
/* The same, with a bound: every command from here on (Startup
 * included) must be answered within timeout_ms of this call, or it fails
 * with -ETIMEDOUT, and so does every later one (the flushes of
 * lv_tpm_close too, at once: a TPM that stopped answering keeps what it
 * made).  0: no bound.  tpm2-tss alone would wait for ever. */
int lv_tpm_open_timed(const char *tcti, unsigned timeout_ms, struct lv_tpm **tpm,
		      struct lv_err *err);
/* Flushes every tracked handle, finalizes ESAPI and the TCTI, sets *tpm
 * to NULL.  NULL is accepted. */
void lv_tpm_close(struct lv_tpm **tpm);

/* The TCTI string in use ("device:/dev/tpmrm0", ...), for messages. */
const char *lv_tpm_tcti(const struct lv_tpm *tpm);
ESYS_CONTEXT *lv_tpm_esys(struct lv_tpm *tpm);

/* Sets err to "TPM <tcti>: <step>: <decoded rc>" and returns the errno
 * for rc (see above). */
int lv_tpm_fail(struct lv_tpm *tpm, TSS2_RC rc, const char *step, struct lv_err *err);
/* Sets err to "TPM <tcti>: <message>" and returns code. */
int lv_tpm_err(struct lv_tpm *tpm, struct lv_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records a transient handle made outside this layer, so lv_tpm_close
 * flushes it; -ENOMEM (after flushing it) when the table is full. */
int lv_tpm_track(struct lv_tpm *tpm, ESYS_TR handle, struct lv_err *err);
/* Flushes *handle if it is a tracked transient handle and sets it to
 * ESYS_TR_NONE.  ESYS_TR_NONE is accepted. */
void lv_tpm_flush(struct lv_tpm *tpm, ESYS_TR *handle);
/* Wipes ESAPI's buffer of the last response (after an unseal: it held
 * the secret once the session's encryption was taken off). */
void lv_tpm_wipe_response(struct lv_tpm *tpm);

/*
 * Primary keys, made transient from a template in the owner hierarchy and
 * never persisted: the same template gives the same key on the same TPM
 * until its owner hierarchy is cleared.
 */
enum lv_tpm_primary {
	/* go-tpm's ECCSRKTemplate, the TCG reference SRK (Talos): ECC P-256,
	 * fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|
	 * restricted|decrypt, AES-128-CFB, unique X and Y of 32 zero bytes. */
	LV_TPM_PRIMARY_SRK_ECC,
	/* tpm2_createprimary -G ecc (clevis; systemd's legacy primary): the
	 * same without noDA and with an empty unique. */
	LV_TPM_PRIMARY_TOOLS_ECC,
	/* tpm2_createprimary -G rsa: RSA-2048, the same attributes. */
	LV_TPM_PRIMARY_TOOLS_RSA,
};

/* A loaded object: its handle, Name and public area. */
struct lv_tpm_object {
	ESYS_TR handle;
	TPM2B_NAME name;
	TPM2B_PUBLIC public;
};
#define LV_TPM_OBJECT_INIT { .handle = ESYS_TR_NONE }

int lv_tpm_primary_template(enum lv_tpm_primary which, TPM2B_PUBLIC *template);
int lv_tpm_create_primary(struct lv_tpm *tpm, enum lv_tpm_primary which,
			  struct lv_tpm_object *primary, struct lv_err *err);
/* Loads a sealed or other object under parent (empty auth). */
int lv_tpm_load(struct lv_tpm *tpm, const struct lv_tpm_object *parent,
		const TPM2B_PRIVATE *private_blob, const TPM2B_PUBLIC *public_blob,
		struct lv_tpm_object *object, struct lv_err *err);
/* The persistent object at handle (0x81000000..0x81FFFFFF), not tracked:
 * it stays in the TPM.  -ENOENT when there is none. */
int lv_tpm_persistent(struct lv_tpm *tpm, TPM2_HANDLE handle, struct lv_tpm_object *object,
		      struct lv_err *err);
/* Loads a public key alone (signature checks), in hierarchy
 * (ESYS_TR_RH_OWNER for a ticket PolicyAuthorize accepts). */
int lv_tpm_load_external(struct lv_tpm *tpm, const TPM2B_PUBLIC *public_key, ESYS_TR hierarchy,
			 struct lv_tpm_object *key, struct lv_err *err);

/*
 * Sessions, all SHA-256, salted with salt_key (the primary: its secret
 * never crosses the bus in the clear), with AES-128-CFB parameter
 * encryption where asked.
 */
enum lv_tpm_param_crypt {
	LV_TPM_ENCRYPT_COMMAND = 1 << 0,	/* TPMA_SESSION_DECRYPT: first command parameter */
	LV_TPM_ENCRYPT_RESPONSE = 1 << 1,	/* TPMA_SESSION_ENCRYPT: first response parameter */
};
int lv_tpm_hmac_session(struct lv_tpm *tpm, ESYS_TR salt_key, unsigned param_crypt,
			ESYS_TR *session, struct lv_err *err);
int lv_tpm_policy_session(struct lv_tpm *tpm, ESYS_TR salt_key, ESYS_TR *session,
			  struct lv_err *err);
/* PolicyPCR over the PCRs' current values. */
int lv_tpm_policy_pcr(struct lv_tpm *tpm, ESYS_TR session, const TPML_PCR_SELECTION *pcrs,
		      struct lv_err *err);
/* PolicyAuthValue: the object's authValue (lv_tpm_set_auth) joins the
 * session's HMAC. */
int lv_tpm_policy_auth_value(struct lv_tpm *tpm, ESYS_TR session, struct lv_err *err);
/* The authValue ESAPI uses for handle (a loaded object), len at most 64
 * bytes; ESAPI keeps a copy until the handle is flushed. */
int lv_tpm_set_auth(struct lv_tpm *tpm, ESYS_TR handle, const uint8_t *auth, size_t len,
		    struct lv_err *err);
int lv_tpm_policy_get_digest(struct lv_tpm *tpm, ESYS_TR session, TPM2B_DIGEST *digest,
			     struct lv_err *err);
/* VerifySignature of an RSASSA-PKCS1-v1_5 SHA-256 signature over digest
 * (already hashed) with key; the ticket feeds lv_tpm_policy_authorize. */
int lv_tpm_verify_rsassa(struct lv_tpm *tpm, const struct lv_tpm_object *key,
			 const TPM2B_DIGEST *digest, const uint8_t *signature, size_t signature_len,
			 TPMT_TK_VERIFIED *ticket, struct lv_err *err);
/* PolicyAuthorize(approved, empty policyRef, key_sign, ticket). */
int lv_tpm_policy_authorize(struct lv_tpm *tpm, ESYS_TR session, const TPM2B_DIGEST *approved,
			    const TPM2B_NAME *key_sign, const TPMT_TK_VERIFIED *ticket,
			    struct lv_err *err);

/*
 * PCRs.  A PCR set is a bitmask: bit n is PCR n.  Talos seals to the
 * SHA-256 bank; clevis and systemd may use another (sha1 on old firmware),
 * so a bank is named where it matters.
 */
#define LV_TPM_BANK_DIGEST_MAX TPM2_SHA512_DIGEST_SIZE

/* A bank by the name clevis and systemd write ("sha1", "sha256",
 * "sha384", "sha512"): -EINVAL for another name. */
int lv_tpm_bank_from_name(const char *name, TPMI_ALG_HASH *bank);
/* The bank's name, or NULL for another algorithm. */
const char *lv_tpm_bank_name(TPMI_ALG_HASH bank);
/* The size of one PCR value of bank, or 0 for another algorithm. */
size_t lv_tpm_bank_digest_bytes(TPMI_ALG_HASH bank);

/* The values of the PCRs of mask in one bank. */
struct lv_tpm_pcr_values {
	TPMI_ALG_HASH bank;
	uint32_t mask;
	uint8_t value[LV_TPM_PCR_COUNT][LV_TPM_BANK_DIGEST_MAX];
};

/* The TPML_PCR_SELECTION of mask in bank, sizeofSelect 3. */
void lv_tpm_pcr_selection_bank(TPMI_ALG_HASH bank, uint32_t mask,
			       TPML_PCR_SELECTION *selection);
/* Reads the PCRs of mask in bank; -EIO naming the bank when the TPM has
 * no values for them (a bank that is not allocated). */
int lv_tpm_pcr_read_bank(struct lv_tpm *tpm, TPMI_ALG_HASH bank, uint32_t mask,
			 struct lv_tpm_pcr_values *values, struct lv_err *err);
/* SHA-256 (the session hash) over the values, concatenated in ascending
 * PCR order: the pcrDigest of PolicyPCR, whatever the bank. */
int lv_tpm_pcr_values_composite(const struct lv_tpm_pcr_values *values, TPM2B_DIGEST *digest);

/* The same in the SHA-256 bank. */
/* The TPML_PCR_SELECTION of mask, sizeofSelect 3. */
void lv_tpm_pcr_selection(uint32_t mask, TPML_PCR_SELECTION *selection);
/* "0,7": the PCRs of mask, ascending, into buf (for messages and for
 * clevis's pcr_ids); returns buf. */
const char *lv_tpm_pcr_list(uint32_t mask, char *buf, size_t size);
/* The mask of a PCR list; -EINVAL (naming the PCR) for one outside 0..23
 * or listed twice. */
int lv_tpm_pcr_mask(const int *pcrs, size_t count, uint32_t *mask, struct lv_err *err);
/* Reads the PCRs of mask into values[pcr]. */
int lv_tpm_pcr_read(struct lv_tpm *tpm, uint32_t mask,
		    uint8_t values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES], struct lv_err *err);
/* -EIO unless the TPM has a SHA-256 bank with all 24 PCRs allocated. */
int lv_tpm_pcr_bank_check(struct lv_tpm *tpm, struct lv_err *err);
/* -EPERM for a PCR of mask that is all zero (nothing measured) or all
 * 0xFF (an error state), after reading them. */
int lv_tpm_pcr_values_check(struct lv_tpm *tpm, uint32_t mask, struct lv_err *err);
/* SHA-256 over the values of mask, concatenated in ascending PCR order
 * (the pcrDigest of PolicyPCR). */
int lv_tpm_pcr_composite(uint32_t mask, const uint8_t values[LV_TPM_PCR_COUNT][LV_TPM_DIGEST_BYTES],
			 TPM2B_DIGEST *digest);

/*
 * Sealed data objects (KEYEDHASH, SHA-256 name, scheme NULL).
 */
/* Seals data (at most 128 bytes) under parent with authPolicy policy and
 * object attributes attrs, over a salted session that encrypts data on
 * the bus. */
int lv_tpm_seal(struct lv_tpm *tpm, const struct lv_tpm_object *parent, TPMA_OBJECT attrs,
		const TPM2B_DIGEST *policy, const struct lv_secret *data,
		TPM2B_PRIVATE *private_blob, TPM2B_PUBLIC *public_blob, struct lv_err *err);
/* Unseals object with policy_session (whose policy must be satisfied;
 * ESYS_TR_PASSWORD for an object with userWithAuth and an empty auth), the
 * response encrypted by a second session salted with salt_key.  *data is a
 * new secret. */
int lv_tpm_unseal(struct lv_tpm *tpm, const struct lv_tpm_object *object, ESYS_TR policy_session,
		  ESYS_TR salt_key, struct lv_secret **data, struct lv_err *err);

#endif
