/* SPDX-License-Identifier: ISC */
/*
 * backend_kernel.c: the crypto.h interface on the kernel's crypto API
 * (AF_ALG, kernel_afalg.c), getrandom(2) and libargon2 (argon2.c), for
 * builds without libcrypto: `make CRYPTO=kernel`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "crypto/crypto.h"
#include "crypto/kernel_afalg.h"

/* Small updates (the AF diffuser's index and block) wait here, so that a
 * message costs one send and one recv rather than one send per update. */
#define HASH_PENDING_BYTES 512

const char *lv_crypto_backend(void)
{
	return "kernel";
}

const char *lv_crypto_kernel_hint(int is_cipher, const char *name)
{
	(void)name;
	return lv_kernel_afalg_hint(is_cipher);
}

/* ---- hashes ---- */

/* Binding the socket is the only way to ask whether the kernel has it. */
int lv_hash_size(const char *hash_name)
{
	struct lv_kernel_alg alg;
	size_t digest_bytes;
	int r = lv_kernel_hash_open(&alg, hash_name, 0, NULL, 0, &digest_bytes);

	if (r < 0)
		return r;
	lv_kernel_alg_close(&alg);
	return (int)digest_bytes;
}

struct lv_hash_ctx {
	struct lv_kernel_alg alg;
	size_t digest_bytes;
	uint8_t pending[HASH_PENDING_BYTES];	/* may hold secrets: wiped once sent */
	size_t pending_len;
};

static int send_pending(struct lv_hash_ctx *ctx, int more)
{
	int r = lv_kernel_hash_send(&ctx->alg, ctx->pending, ctx->pending_len, more);

	lv_wipe(ctx->pending, ctx->pending_len);
	ctx->pending_len = 0;
	return r;
}

int lv_hash_init(struct lv_hash_ctx **ctx, const char *hash_name)
{
	struct lv_hash_ctx *h;
	int r;

	if (!ctx)
		return -EINVAL;
	*ctx = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	r = lv_kernel_hash_open(&h->alg, hash_name, 0, NULL, 0, &h->digest_bytes);
	if (r < 0) {
		free(h);
		return r;
	}
	*ctx = h;
	return 0;
}

int lv_hash_update(struct lv_hash_ctx *ctx, const void *data, size_t len)
{
	int r = 0;

	if (!ctx || (!data && len))
		return -EINVAL;
	if (ctx->pending_len && len > sizeof(ctx->pending) - ctx->pending_len)
		r = send_pending(ctx, 1);
	if (r == 0 && len > sizeof(ctx->pending))
		return lv_kernel_hash_send(&ctx->alg, data, len, 1);
	if (r == 0 && len) {
		memcpy(ctx->pending + ctx->pending_len, data, len);
		ctx->pending_len += len;
	}
	return r;
}

/* Writes the digest and restarts ctx: algif_hash starts a new message
 * with the next send. */
int lv_hash_final(struct lv_hash_ctx *ctx, uint8_t *out, size_t out_len)
{
	int r;

	if (!ctx || !out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if (out_len < ctx->digest_bytes)
		return -EINVAL;
	/* With nothing pending, the recv alone ends the message. */
	r = ctx->pending_len ? send_pending(ctx, 0) : 0;
	if (r == 0)
		r = lv_kernel_hash_read(&ctx->alg, out, ctx->digest_bytes);
	if (r < 0)
		lv_wipe(out, out_len);
	return r;
}

void lv_hash_free(struct lv_hash_ctx *ctx)
{
	if (!ctx)
		return;
	lv_kernel_alg_close(&ctx->alg);
	lv_wipe(ctx->pending, sizeof(ctx->pending));
	free(ctx);
}

/* ---- HMAC, PBKDF2, random ---- */

int lv_hmac(const char *hash_name, const void *key, size_t key_len,
	    const void *data, size_t data_len, uint8_t *out, size_t out_len)
{
	struct lv_kernel_alg alg;
	size_t digest_bytes;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if ((!key && key_len) || (!data && data_len))
		return -EINVAL;
	r = lv_kernel_hash_open(&alg, hash_name, 1, key, key_len, &digest_bytes);
	if (r < 0)
		return r;
	if (out_len < digest_bytes)
		r = -EINVAL;
	if (r == 0)
		r = lv_kernel_hash_send(&alg, data, data_len, 0);
	if (r == 0)
		r = lv_kernel_hash_read(&alg, out, digest_bytes);
	lv_kernel_alg_close(&alg);
	if (r < 0)
		lv_wipe(out, out_len);
	return r;
}

int lv_pbkdf2(const char *hash_name, const void *password, size_t password_len,
	      const void *salt, size_t salt_len, uint32_t iterations,
	      uint8_t *out, size_t out_len)
{
	return lv_kernel_pbkdf2(hash_name, password, password_len, salt, salt_len, iterations,
				out, out_len);
}

int lv_random(void *out, size_t len)
{
	uint8_t *p = out;
	size_t done = 0;

	if (!out)
		return len ? -EINVAL : 0;
	lv_wipe(out, len);
	/* getrandom(2) blocks only until the pool is first initialised, and
	 * may return less than asked (above 256 bytes, or on a signal). */
	while (done < len) {
		ssize_t got = getrandom(p + done, len - done, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			lv_wipe(out, len);
			return got < 0 && errno == ENOSYS ? -ENOTSUP : -EIO;
		}
		done += (size_t)got;
	}
	return 0;
}

/* ---- sector ciphers ---- */

struct lv_sector_cipher {
	struct lv_kernel_sector *kernel;
};

int lv_sector_cipher_new(struct lv_sector_cipher **cipher, const char *dm_spec,
			 const uint8_t *key, size_t key_len)
{
	struct lv_sector_cipher *c;
	struct lv_dm_spec spec;
	int r;

	if (!cipher)
		return -EINVAL;
	*cipher = NULL;
	r = lv_dm_spec_parse(dm_spec, &spec);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = lv_kernel_sector_new(&c->kernel, &spec, key, key_len);
	if (r < 0) {
		free(c);
		return r;
	}
	*cipher = c;
	return 0;
}

void lv_sector_cipher_free(struct lv_sector_cipher *cipher)
{
	if (!cipher)
		return;
	lv_kernel_sector_free(cipher->kernel);
	free(cipher);
}

int lv_sector_encrypt(struct lv_sector_cipher *cipher, uint64_t first_sector,
		      size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	if (!cipher)
		return -EINVAL;
	return lv_kernel_sector_crypt(cipher->kernel, 1, first_sector, sector_bytes, in, out,
				      len);
}

int lv_sector_decrypt(struct lv_sector_cipher *cipher, uint64_t first_sector,
		      size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	if (!cipher)
		return -EINVAL;
	return lv_kernel_sector_crypt(cipher->kernel, 0, first_sector, sector_bytes, in, out,
				      len);
}
