/* SPDX-License-Identifier: ISC */
/*
 * kernel_afalg.h: the kernel's crypto API through AF_ALG sockets, shared
 * by backend_kernel.c and by the OpenSSL backend's fallback for ciphers
 * OpenSSL lacks (Adiantum).  Only src/crypto/ includes it.
 *
 * Errors as in crypto.h; -ENOTSUP also when the kernel has no AF_ALG or
 * lacks the algorithm (its module is not loaded, or not built).
 */
#ifndef LV_KERNEL_AFALG_H
#define LV_KERNEL_AFALG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sector_spec.h"

/* One keyed transform (tfm_fd) and the operation socket accepted from it
 * (op_fd), reused for every message. */
struct lv_kernel_alg {
	int tfm_fd;
	int op_fd;
};

/* type is "hash" or "skcipher"; key may be NULL for an unkeyed hash. */
int lv_kernel_alg_open(struct lv_kernel_alg *alg, const char *type, const char *name,
		       const void *key, size_t key_len);
void lv_kernel_alg_close(struct lv_kernel_alg *alg);

/* Why an AF_ALG hash (or skcipher) could not be had, for
 * lv_crypto_kernel_hint: no AF_ALG at all, or not this type and name. */
const char *lv_kernel_afalg_hint(int skcipher);

/* The kernel's name and digest size of a hash named as in LUKS2 JSON:
 * -EINVAL for a name LUKS does not use. */
int lv_kernel_hash_lookup(const char *hash_name, const char **kernel_name,
			  size_t *digest_bytes);

/* Opens hash_name, or hmac(hash_name) keyed with key when hmac is set. */
int lv_kernel_hash_open(struct lv_kernel_alg *alg, const char *hash_name, int hmac,
			const void *key, size_t key_len, size_t *digest_bytes);
/* Adds data to the current message; more = 0 ends it. */
int lv_kernel_hash_send(struct lv_kernel_alg *alg, const void *data, size_t len, int more);
/* Reads the digest of the message sent so far (ending it) into out; the
 * next send starts a new message. */
int lv_kernel_hash_read(struct lv_kernel_alg *alg, uint8_t *out, size_t digest_bytes);

/* PBKDF2 over the kernel's HMAC: one keyed transform, two system calls
 * per iteration. */
int lv_kernel_pbkdf2(const char *hash_name, const void *password, size_t password_len,
		     const void *salt, size_t salt_len, uint32_t iterations, uint8_t *out,
		     size_t out_len);

/* One skcipher request: len bytes of in through the cipher under iv. */
int lv_kernel_skcipher_crypt(struct lv_kernel_alg *alg, int encrypt, const uint8_t *iv,
			     size_t iv_bytes, const uint8_t *in, uint8_t *out, size_t len);

/* A dm-crypt sector cipher on the kernel's skciphers. */
struct lv_kernel_sector;
int lv_kernel_sector_new(struct lv_kernel_sector **cipher, const struct lv_dm_spec *spec,
			 const uint8_t *key, size_t key_len);
int lv_kernel_sector_crypt(struct lv_kernel_sector *cipher, int encrypt,
			   uint64_t first_sector, size_t sector_bytes, const uint8_t *in,
			   uint8_t *out, size_t len);
void lv_kernel_sector_free(struct lv_kernel_sector *cipher);

/* 1 when spec names a cipher only the kernel provides (Adiantum), which
 * the OpenSSL backend hands to the kernel. */
int lv_kernel_sector_only(const struct lv_dm_spec *spec);

#endif
