/* SPDX-License-Identifier: ISC */
/*
 * kernel_afalg.c: AF_ALG sockets (Documentation/crypto/userspace-if.rst):
 * a transform socket bound to an algorithm name and keyed once, and an
 * operation socket accepted from it that carries every message.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_alg.h>

#include "base/ascii.h"
#include "crypto/crypto.h"
#include "crypto/kernel_afalg.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define PBKDF2_BLOCK_INDEX_BYTES 4

/* Names inline, not pointers: a table of pointers is relocated, so
 * copied into pages of its own, by every command at start
 * (bench/issue14.md).  The longest name is 11 bytes. */
struct kernel_hash_name {
	char luks[16];		/* as LUKS2 JSON and cryptsetup spell it */
	char kernel[16];
	size_t digest_bytes;
	size_t block_bytes;	/* HMAC's B (RFC 2104 §2) */
};

static const struct kernel_hash_name kernel_hashes[] = {
	{ "sha1", "sha1", 20, 64 },
	{ "sha224", "sha224", 28, 64 },
	{ "sha256", "sha256", 32, 64 },
	{ "sha384", "sha384", 48, 128 },
	{ "sha512", "sha512", 64, 128 },
	{ "sha3-224", "sha3-224", 28, 144 },
	{ "sha3-256", "sha3-256", 32, 136 },
	{ "sha3-384", "sha3-384", 48, 104 },
	{ "sha3-512", "sha3-512", 64, 72 },
	{ "ripemd160", "rmd160", 20, 64 },
	{ "whirlpool", "wp512", 64, 64 },
	{ "blake2b-512", "blake2b-512", 64, 128 },
	{ "blake2s-256", "blake2s-256", 32, 64 },
	{ "sm3", "sm3", 32, 64 },
};

static const struct kernel_hash_name *hash_named(const char *hash_name)
{
	for (size_t i = 0; hash_name && i < sizeof(kernel_hashes) / sizeof(kernel_hashes[0]); i++)
		if (lv_ascii_caseeq(hash_name, kernel_hashes[i].luks))
			return &kernel_hashes[i];
	return NULL;
}

int lv_kernel_hash_lookup(const char *hash_name, const char **kernel_name,
			  size_t *digest_bytes)
{
	const struct kernel_hash_name *hash = hash_named(hash_name);

	if (!hash)
		return -EINVAL;
	*kernel_name = hash->kernel;
	*digest_bytes = hash->digest_bytes;
	return 0;
}

/* ---- sockets ---- */

static int errno_or(int fallback)
{
	return errno == ENOMEM || errno == ENOBUFS ? -ENOMEM : fallback;
}

void lv_kernel_alg_close(struct lv_kernel_alg *alg)
{
	if (!alg)
		return;
	if (alg->op_fd >= 0)
		close(alg->op_fd);
	if (alg->tfm_fd >= 0)
		close(alg->tfm_fd);
	alg->op_fd = alg->tfm_fd = -1;
}

static int alg_bind(struct lv_kernel_alg *alg, const char *type, const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };

	if (strlen(type) >= sizeof(sa.salg_type) || strlen(name) >= sizeof(sa.salg_name))
		return -EINVAL;
	memcpy(sa.salg_type, type, strlen(type));
	memcpy(sa.salg_name, name, strlen(name));
	alg->tfm_fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	/* No AF_ALG at all (EAFNOSUPPORT) is "unsupported", as is a missing
	 * algorithm or algif type (ENOENT from bind). */
	if (alg->tfm_fd < 0)
		return errno_or(-ENOTSUP);
	if (bind(alg->tfm_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno_or(-ENOTSUP);
	return 0;
}

/* socket(AF_ALG) fails with EAFNOSUPPORT when the kernel has no crypto
 * user API: built without it, or its module not loaded and not loadable.
 * Binding then names the interface type, whose own option may be off. */
const char *lv_kernel_afalg_hint(int skcipher)
{
	int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno != EAFNOSUPPORT ? "" :
		       ": the kernel lacks the crypto user API (AF_ALG); it needs "
		       "CONFIG_CRYPTO_USER_API_HASH and CONFIG_CRYPTO_USER_API_SKCIPHER "
		       "(modules af_alg, algif_hash, algif_skcipher)";
	close(fd);
	return skcipher ?
	       ": the kernel gives no such skcipher through AF_ALG; it needs "
	       "CONFIG_CRYPTO_USER_API_SKCIPHER (module algif_skcipher) and the cipher's own options" :
	       ": the kernel gives no such hash through AF_ALG; it needs "
	       "CONFIG_CRYPTO_USER_API_HASH (module algif_hash) and the hash's own option";
}

int lv_kernel_alg_open(struct lv_kernel_alg *alg, const char *type, const char *name,
		       const void *key, size_t key_len)
{
	int r;

	alg->tfm_fd = alg->op_fd = -1;
	if (!type || !name || (!key && key_len) || key_len > INT_MAX)
		return -EINVAL;
	r = alg_bind(alg, type, name);
	/* An empty key is a real key (HMAC with ""): only NULL means none.
	 * The kernel copies it, so ours stays the caller's to wipe. */
	if (r == 0 && key &&
	    setsockopt(alg->tfm_fd, SOL_ALG, ALG_SET_KEY, key, (socklen_t)key_len) < 0)
		r = errno_or(-EINVAL);
	if (r == 0) {
		alg->op_fd = accept4(alg->tfm_fd, NULL, NULL, SOCK_CLOEXEC);
		if (alg->op_fd < 0)
			r = errno_or(-EIO);
	}
	if (r < 0)
		lv_kernel_alg_close(alg);
	return r;
}

/* ---- hashes and HMAC ---- */

/* H(key) into digest, for an HMAC key longer than the hash's block. */
static int hash_long_key(const struct kernel_hash_name *hash, const void *key, size_t key_len,
			 uint8_t digest[LV_HASH_MAX_BYTES])
{
	struct lv_kernel_alg alg;
	int r = lv_kernel_alg_open(&alg, "hash", hash->kernel, NULL, 0);

	if (r == 0)
		r = lv_kernel_hash_send(&alg, key, key_len, 0);
	if (r == 0)
		r = lv_kernel_hash_read(&alg, digest, hash->digest_bytes);
	lv_kernel_alg_close(&alg);
	return r;
}

/*
 * A passphrase is the HMAC key of PBKDF2, and a key file may hold 8 MiB;
 * the kernel refuses an ALG_SET_KEY above net.core.optmem_max (20 KiB on
 * older kernels).  HMAC itself replaces a key longer than the block with
 * its hash (RFC 2104 §2), so doing that here gives the same MAC.
 */
static int hmac_open(struct lv_kernel_alg *alg, const struct kernel_hash_name *hash,
		     const void *key, size_t key_len)
{
	uint8_t digest[LV_HASH_MAX_BYTES];
	char name[64];
	int r = snprintf(name, sizeof(name), "hmac(%s)", hash->kernel);

	if (r < 0 || (size_t)r >= sizeof(name))
		return -EINVAL;
	if (key_len <= hash->block_bytes)
		return lv_kernel_alg_open(alg, "hash", name, key ? key : "", key_len);
	r = hash_long_key(hash, key, key_len, digest);
	if (r == 0)
		r = lv_kernel_alg_open(alg, "hash", name, digest, hash->digest_bytes);
	lv_wipe(digest, sizeof(digest));
	return r;
}

int lv_kernel_hash_open(struct lv_kernel_alg *alg, const char *hash_name, int hmac,
			const void *key, size_t key_len, size_t *digest_bytes)
{
	const struct kernel_hash_name *hash = hash_named(hash_name);

	alg->tfm_fd = alg->op_fd = -1;
	if (!hash)
		return -EINVAL;
	*digest_bytes = hash->digest_bytes;
	if (!hmac)
		return lv_kernel_alg_open(alg, "hash", hash->kernel, NULL, 0);
	if (!key && key_len)
		return -EINVAL;
	return hmac_open(alg, hash, key, key_len);
}

int lv_kernel_hash_send(struct lv_kernel_alg *alg, const void *data, size_t len, int more)
{
	ssize_t sent;

	if (!data && len)
		return -EINVAL;
	do
		sent = send(alg->op_fd, data ? data : "", len, more ? MSG_MORE : 0);
	while (sent < 0 && errno == EINTR);
	/* algif_hash takes a message whole or fails: a short count means the
	 * message is lost, not that the rest may follow. */
	if (sent < 0)
		return errno_or(-EIO);
	return (size_t)sent == len ? 0 : -EIO;
}

int lv_kernel_hash_read(struct lv_kernel_alg *alg, uint8_t *out, size_t digest_bytes)
{
	ssize_t got;

	do
		got = recv(alg->op_fd, out, digest_bytes, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno_or(-EIO);
	return (size_t)got == digest_bytes ? 0 : -EIO;
}

/* ---- PBKDF2 (RFC 8018 section 5.2) ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[3 - i] = (uint8_t)(v >> (8 * i));
}

/* T_i = U_1 ^ ... ^ U_c, with U_1 = PRF(P, S || INT(i)) and
 * U_j = PRF(P, U_{j-1}); the transform is keyed with P once, so each
 * U_j costs one send and one recv. */
static int pbkdf2_block(struct lv_kernel_alg *hmac, size_t digest_bytes, const void *salt,
			size_t salt_len, uint32_t block_index, uint32_t iterations,
			uint8_t *t)
{
	uint8_t u[LV_HASH_MAX_BYTES], index[PBKDF2_BLOCK_INDEX_BYTES];
	int r = 0;

	put_be32(index, block_index);
	if (salt_len)
		r = lv_kernel_hash_send(hmac, salt, salt_len, 1);
	if (r == 0)
		r = lv_kernel_hash_send(hmac, index, sizeof(index), 0);
	if (r == 0)
		r = lv_kernel_hash_read(hmac, u, digest_bytes);
	if (r == 0)
		memcpy(t, u, digest_bytes);
	for (uint32_t j = 1; r == 0 && j < iterations; j++) {
		r = lv_kernel_hash_send(hmac, u, digest_bytes, 0);
		if (r == 0)
			r = lv_kernel_hash_read(hmac, u, digest_bytes);
		for (size_t k = 0; r == 0 && k < digest_bytes; k++)
			t[k] ^= u[k];
	}
	lv_wipe(u, sizeof(u));
	return r;
}

int lv_kernel_pbkdf2(const char *hash_name, const void *password, size_t password_len,
		     const void *salt, size_t salt_len, uint32_t iterations, uint8_t *out,
		     size_t out_len)
{
	struct lv_kernel_alg hmac;
	uint8_t t[LV_HASH_MAX_BYTES];
	size_t digest_bytes, done = 0;
	uint32_t block_index = 1;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if ((!password && password_len) || (!salt && salt_len) || iterations == 0 ||
	    out_len == 0)
		return -EINVAL;
	r = lv_kernel_hash_open(&hmac, hash_name, 1, password, password_len, &digest_bytes);
	if (r < 0)
		return r;
	/* RFC 8018: at most 2^32 - 1 blocks. */
	if ((out_len - 1) / digest_bytes >= UINT32_MAX)
		r = -EINVAL;
	while (r == 0 && done < out_len) {
		size_t take = out_len - done < digest_bytes ? out_len - done : digest_bytes;

		r = pbkdf2_block(&hmac, digest_bytes, salt, salt_len, block_index++, iterations,
				 t);
		if (r == 0)
			memcpy(out + done, t, take);
		done += take;
	}
	lv_kernel_alg_close(&hmac);
	lv_wipe(t, sizeof(t));
	if (r < 0)
		lv_wipe(out, out_len);
	return r;
}

/* ---- skcipher ---- */

/* One sendmsg carries the direction, the IV and the data. */
static int skcipher_send(struct lv_kernel_alg *alg, int encrypt, const uint8_t *iv,
			 size_t iv_bytes, const uint8_t *in, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) +
			 CMSG_SPACE(sizeof(struct af_alg_iv) + LV_SECTOR_IV_MAX_BYTES)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)in, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = CMSG_SPACE(sizeof(uint32_t)) +
				  (iv_bytes ? CMSG_SPACE(sizeof(struct af_alg_iv) + iv_bytes) : 0),
	};
	struct cmsghdr *cmsg;
	uint32_t op = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	ssize_t sent;

	if (iv_bytes > LV_SECTOR_IV_MAX_BYTES)
		return -EINVAL;
	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_ALG;
	cmsg->cmsg_type = ALG_SET_OP;
	cmsg->cmsg_len = CMSG_LEN(sizeof(op));
	memcpy(CMSG_DATA(cmsg), &op, sizeof(op));
	if (iv_bytes) {
		struct af_alg_iv header = { .ivlen = (uint32_t)iv_bytes };

		cmsg = CMSG_NXTHDR(&msg, cmsg);
		cmsg->cmsg_level = SOL_ALG;
		cmsg->cmsg_type = ALG_SET_IV;
		cmsg->cmsg_len = CMSG_LEN(sizeof(header) + iv_bytes);
		memcpy(CMSG_DATA(cmsg), &header, sizeof(header));
		memcpy(CMSG_DATA(cmsg) + sizeof(header), iv, iv_bytes);
	}
	do
		sent = sendmsg(alg->op_fd, &msg, 0);
	while (sent < 0 && errno == EINTR);
	lv_wipe(&control, sizeof(control));
	if (sent < 0)
		return errno_or(-EIO);
	return (size_t)sent == len ? 0 : -EIO;
}

int lv_kernel_skcipher_crypt(struct lv_kernel_alg *alg, int encrypt, const uint8_t *iv,
			     size_t iv_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	int r = skcipher_send(alg, encrypt, iv, iv_bytes, in, len);
	ssize_t got;

	if (r < 0)
		return r;
	do
		got = recv(alg->op_fd, out, len, 0);
	while (got < 0 && errno == EINTR);
	/* One request: the rest of a short read would be a new request with
	 * a new IV, which is wrong for XTS and Adiantum. */
	if (got < 0)
		return errno_or(-EIO);
	return (size_t)got == len ? 0 : -EIO;
}
