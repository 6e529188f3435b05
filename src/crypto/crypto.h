/* SPDX-License-Identifier: ISC */
/*
 * crypto.h: the one crypto interface of luksvol.
 *
 * Everything outside src/crypto/ calls only these functions.  A backend
 * (backend_openssl.c, or backend_kernel.c for builds without libcrypto) is
 * picked at build time.  Either takes the sector ciphers only the kernel
 * has (Adiantum) from the kernel's crypto API (kernel_afalg.h).  All
 * functions return 0 or a negative errno:
 *   -EINVAL   bad argument or unknown algorithm name
 *   -ENOTSUP  algorithm known but not provided by this backend (or by the
 *             running kernel, for what comes from it)
 *   -ENOMEM   allocation failed
 *   -EIO      the backend failed unexpectedly
 * Output buffers holding key material are zeroed on entry, so a failure
 * never leaves partial secrets behind.
 */
#ifndef LV_CRYPTO_H
#define LV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "base/secret.h"
#include "luksvol.h"

#define LV_HASH_MAX_BYTES 64

/* Name of the backend compiled in ("openssl", "kernel"). */
const char *lv_crypto_backend(void);

/* Digest size in bytes of a hash named as in LUKS2 JSON ("sha256",
 * "sha1", "sha512", ...), or a negative errno if unknown. */
int lv_hash_size(const char *hash_name);

/* One-shot hash over a list of buffers (data[i], len[i]), n at most 4. */
int lv_hash(const char *hash_name, const void *const data[], const size_t len[],
	    size_t n, uint8_t *out, size_t out_len);

/* Incremental hash, used by the AF diffuser and by large checksums. */
struct lv_hash_ctx;
int lv_hash_init(struct lv_hash_ctx **ctx, const char *hash_name);
int lv_hash_update(struct lv_hash_ctx *ctx, const void *data, size_t len);
int lv_hash_final(struct lv_hash_ctx *ctx, uint8_t *out, size_t out_len);
void lv_hash_free(struct lv_hash_ctx *ctx);

int lv_hmac(const char *hash_name, const void *key, size_t key_len,
	    const void *data, size_t data_len, uint8_t *out, size_t out_len);

/* PBKDF2-HMAC-<hash_name> (RFC 8018). */
int lv_pbkdf2(const char *hash_name, const void *password, size_t password_len,
	      const void *salt, size_t salt_len, uint32_t iterations,
	      uint8_t *out, size_t out_len);

enum lv_argon2_type { LV_ARGON2I, LV_ARGON2ID };

/* Argon2 version 0x13; memory_kib in KiB, lanes = threads = parallel. */
int lv_argon2(enum lv_argon2_type type, const void *password, size_t password_len,
	      const void *salt, size_t salt_len, uint32_t time_cost,
	      uint32_t memory_kib, uint32_t parallel, uint8_t *out, size_t out_len);

/*
 * Sector cipher in the dm-crypt sense: "aes-xts-plain64",
 * "aes-cbc-essiv:sha256", "aes-xts-plain", "aes-cbc-plain64", "aes-ecb",
 * "xchacha12,aes-adiantum-plain64", "cipher_null-ecb", ...  The IV of each
 * sector is derived from its sector number, counted in sector_bytes units
 * from first_sector: dm-crypt's iv_large_sectors.  Keyslot areas (512-byte
 * sectors from IV 0) are the same either way; a data segment with larger
 * sectors, whose IVs dm-crypt counts in 512-byte units, would need an IV
 * step of sector_bytes / 512 per sector, which this interface does not
 * offer yet.
 */
struct lv_sector_cipher;
int lv_sector_cipher_new(struct lv_sector_cipher **cipher, const char *dm_spec,
			 const uint8_t *key, size_t key_len);
/* 0 when this backend can run dm_spec with a key_len-byte key; -ENOTSUP
 * for a well-formed spec it cannot run, -EINVAL for a malformed one. */
int lv_sector_cipher_supported(const char *dm_spec, size_t key_len);
/* After -ENOTSUP for an algorithm this backend takes from the running
 * kernel (every one in the kernel backend, Adiantum in the OpenSSL one):
 * what the kernel lacks, naming its config options, as ": <reason>" for
 * the end of an error message; "" when the kernel is not the reason.
 * name is a sector cipher (dm_spec) when is_cipher, else a hash. */
const char *lv_crypto_kernel_hint(int is_cipher, const char *name);
/* True when dm_spec names the null cipher ("cipher_null-ecb", "cipher_null"). */
int lv_cipher_is_null(const char *dm_spec);
int lv_sector_encrypt(struct lv_sector_cipher *cipher, uint64_t first_sector,
		      size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len);
int lv_sector_decrypt(struct lv_sector_cipher *cipher, uint64_t first_sector,
		      size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len);
void lv_sector_cipher_free(struct lv_sector_cipher *cipher);

/* Cryptographically strong random bytes. */
int lv_random(void *out, size_t len);

/* lv_wipe and lv_memeq: base/secret.h; the secret buffers (struct
 * lv_secret, lv_secret_new/dup/free) are public API, in luksvol.h. */

#endif
