/* SPDX-License-Identifier: ISC */
/*
 * kernel_sector.c: dm-crypt sector ciphers on the kernel's skciphers,
 * named as dm-crypt names them for the crypto API: "xts(aes)",
 * "essiv(cbc(aes),sha256)", "adiantum(xchacha12,aes)".  The IV of each
 * sector is built here; ESSIV's encryption of it is the kernel's.
 *
 * The block ciphers are those of the OpenSSL backend, so that a volume
 * one build formats, the other opens; Adiantum is the kernel's alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/kernel_afalg.h"

#define BLOCK_BYTES 16		/* AES, Camellia; Adiantum's minimum unit */
#define BLOCK_IV_BYTES 16
#define ADIANTUM_KEY_BYTES 32
#define ADIANTUM_IV_BYTES 32	/* the tweak */
/* dm-crypt's largest sector.  The kernel holds a whole request in the
 * socket's send buffer, so far larger ones could block. */
#define KERNEL_SECTOR_MAX_BYTES 4096

struct lv_kernel_sector {
	struct lv_kernel_alg alg;	/* unused by the null cipher */
	enum lv_chain_mode mode;
	enum lv_iv_gen iv_gen;
	size_t iv_bytes;
	size_t block_bytes;
};

static int is_named(const char *s, const char *name)
{
	return s && strcmp(s, name) == 0;
}

int lv_kernel_sector_only(const struct lv_dm_spec *spec)
{
	return spec->mode == LV_MODE_ADIANTUM;
}

static int adiantum_name(struct lv_kernel_sector *c, const struct lv_dm_spec *spec,
			 size_t key_len, char *name, size_t name_size)
{
	int n;

	/* Adiantum's stream ciphers, as dm-crypt and Talos spell them. */
	if (!is_named(spec->cipher, "xchacha12,aes") && !is_named(spec->cipher, "xchacha20,aes"))
		return -ENOTSUP;
	if (spec->iv_gen == LV_IV_ESSIV)
		return -ENOTSUP;
	if (key_len != ADIANTUM_KEY_BYTES)
		return -EINVAL;
	c->iv_bytes = ADIANTUM_IV_BYTES;
	n = snprintf(name, name_size, "adiantum(%s)", spec->cipher);
	return n < 0 || (size_t)n >= name_size ? -EINVAL : 0;
}

static int essiv_name(const struct lv_dm_spec *spec, char *name, size_t name_size)
{
	const char *hash;
	size_t salt_bytes;
	int n, r = lv_kernel_hash_lookup(spec->iv_opts, &hash, &salt_bytes);

	if (r < 0)
		return r;
	/* The salt H(key) keys the same block cipher: it must be a valid
	 * key size. */
	if (!lv_block_key_len_valid(LV_MODE_ECB, salt_bytes))
		return -EINVAL;
	n = snprintf(name, name_size, "essiv(%s(%s),%s)", spec->mode_name, spec->cipher, hash);
	return n < 0 || (size_t)n >= name_size ? -EINVAL : 0;
}

static int block_name(struct lv_kernel_sector *c, const struct lv_dm_spec *spec,
		      const uint8_t *key, size_t key_len, char *name, size_t name_size)
{
	int n, r;

	if (!is_named(spec->cipher, "aes") && !is_named(spec->cipher, "camellia"))
		return -ENOTSUP;
	r = lv_block_key_check(spec->mode, key, key_len);
	if (r < 0)
		return r;
	/* What OpenSSL lacks is left out here too: XTS with Camellia or with
	 * 192-bit AES halves. */
	if (spec->mode == LV_MODE_XTS && (!is_named(spec->cipher, "aes") || key_len == 48))
		return -ENOTSUP;
	c->iv_bytes = spec->mode == LV_MODE_ECB ? 0 : BLOCK_IV_BYTES;
	if (spec->iv_gen == LV_IV_ESSIV)
		return essiv_name(spec, name, name_size);
	n = snprintf(name, name_size, "%s(%s)", spec->mode_name, spec->cipher);
	return n < 0 || (size_t)n >= name_size ? -EINVAL : 0;
}

int lv_kernel_sector_new(struct lv_kernel_sector **cipher, const struct lv_dm_spec *spec,
			 const uint8_t *key, size_t key_len)
{
	struct lv_kernel_sector *c;
	char name[128];
	int r;

	*cipher = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->alg.tfm_fd = c->alg.op_fd = -1;
	c->mode = spec->mode;
	c->iv_gen = spec->iv_gen;
	c->block_bytes = spec->mode == LV_MODE_NULL ? 1 : BLOCK_BYTES;
	if (spec->mode == LV_MODE_NULL)
		r = 0;
	else if (spec->mode == LV_MODE_ADIANTUM)
		r = adiantum_name(c, spec, key_len, name, sizeof(name));
	else
		r = block_name(c, spec, key, key_len, name, sizeof(name));
	if (r == 0 && spec->mode != LV_MODE_NULL)
		r = key ? lv_kernel_alg_open(&c->alg, "skcipher", name, key, key_len) : -EINVAL;
	if (r < 0) {
		lv_kernel_sector_free(c);
		return r;
	}
	*cipher = c;
	return 0;
}

void lv_kernel_sector_free(struct lv_kernel_sector *cipher)
{
	if (!cipher)
		return;
	lv_kernel_alg_close(&cipher->alg);
	free(cipher);
}

/* in and out may be the same buffer but must not overlap otherwise.  On
 * failure out is wiped: it may hold part of a plaintext. */
int lv_kernel_sector_crypt(struct lv_kernel_sector *c, int encrypt, uint64_t first_sector,
			   size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t iv[LV_SECTOR_IV_MAX_BYTES];
	uint64_t sector = first_sector;
	int r;

	if (!c)
		return -EINVAL;
	r = lv_sector_args_check(c->block_bytes, sector_bytes, in, out, len);
	if (r < 0)
		return r;
	if (c->mode == LV_MODE_NULL) {
		if (in != out)
			memmove(out, in, len);
		return 0;
	}
	if (sector_bytes > KERNEL_SECTOR_MAX_BYTES)
		return -EINVAL;
	/* dm-crypt numbers sectors modulo 2^64: wrapping is intended. */
	for (size_t done = 0; r == 0 && done < len; done += sector_bytes, sector++) {
		lv_sector_iv(c->iv_gen, sector, iv, c->iv_bytes);
		r = lv_kernel_skcipher_crypt(&c->alg, encrypt, iv, c->iv_bytes, in + done,
					     out + done, sector_bytes);
	}
	if (r < 0)
		lv_wipe(out, len);
	return r;
}
