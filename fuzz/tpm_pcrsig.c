/* SPDX-License-Identifier: ISC */
/*
 * tpm_pcrsig.c: what a UKI hands the tpm key in /.extra: systemd-stub's
 * .pcrsig JSON (lv_pcrsig_find) and the PCR-signing public key in PEM
 * (lv_rsa_pubkey_from_pem, its DER reader, lv_tpm_rsa_public, the Name and
 * the fingerprint).
 *
 * The input is signature JSON when it starts with '{' (searched for the
 * policy digest the seeds sign: PolicyPCR(11) after Talos's three phases
 * on a fresh TPM), else PEM text.
 *
 * Invariants (abort on violation):
 *   - a found entry has a pkfp of at most 64 characters and a signature of
 *     at most LV_PCRSIG_SIG_MAX bytes; a refusal (other than "none") says why;
 *   - a key that parses has a modulus of 1..512 bytes without a leading
 *     zero and a non-zero exponent, loads as a TPM public key, and has a
 *     Name and a fingerprint.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "tpm/rsa_pubkey.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm_blob.h"

/* PolicyPCR(sha256:11) with PCR 11 = enter-initrd, leave-initrd,
 * enter-machined extended from zero (tests/tpm/tpmtest.py). */
static const uint8_t signed_policy[32] = {
	0xaa, 0x4a, 0x6c, 0xd1, 0x03, 0xa0, 0x82, 0xd4, 0xab, 0x5c, 0xe8,
	0x3e, 0xda, 0x89, 0x29, 0xcd, 0x78, 0xf4, 0x9f, 0xa6, 0x75, 0x5d,
	0x18, 0xb5, 0xce, 0x43, 0x92, 0x6a, 0x58, 0xd8, 0xbe, 0xef,
};

static void check_pcrsig(const uint8_t *data, size_t size)
{
	struct lv_pcrsig_entry entry;
	struct lv_err err = { 0 };
	int r = lv_pcrsig_find((const char *)data, size, signed_policy, &entry, "sig.json", &err);

	if (r == 0 && (strlen(entry.pkfp) > 64 || entry.sig_len > LV_PCRSIG_SIG_MAX))
		fz_fail("an entry with a %zu-character pkfp, a %zu-byte signature",
			strlen(entry.pkfp), entry.sig_len);
	if (r < 0 && r != -ENOENT && !err.msg[0])
		fz_fail("signature JSON refused (%d) without a message", r);
}

static void check_pem(const uint8_t *data, size_t size)
{
	struct lv_rsa_pubkey key;
	struct lv_err err = { 0 };
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	uint8_t fp[32];

	if (lv_rsa_pubkey_from_pem((const char *)data, size, &key, "key.pem", &err) < 0) {
		if (!err.msg[0])
			fz_fail("PEM refused without a message");
		return;
	}
	if (key.modulus_len == 0 || key.modulus_len > LV_RSA_MODULUS_MAX || key.modulus[0] == 0 ||
	    key.exponent == 0)
		fz_fail("a key with a %zu-byte modulus, exponent %u", key.modulus_len,
			key.exponent);
	if (lv_tpm_rsa_public(key.modulus, key.modulus_len, key.exponent, &pub) < 0 ||
	    lv_tpm_object_name(&pub.publicArea, &name) < 0 ||
	    lv_rsa_pubkey_fingerprint(&key, fp) < 0)
		fz_fail("a parsed key has no TPM public area, Name or fingerprint");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == '{')
		check_pcrsig(data, size);
	else
		check_pem(data, size);
	return 0;
}
