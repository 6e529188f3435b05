/* SPDX-License-Identifier: ISC */
/* backend_openssl.c: the crypto.h interface on OpenSSL 3 (EVP, providers). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

#define HASH_MAX_PARTS 4
#define DM_SPEC_MAX 127		/* as long as a LUKS2 cipher string may be */
#define CIPHER_BLOCK_BYTES 16	/* AES and Camellia */
#define IV_MAX_BYTES 16

_Static_assert(UINT_MAX >= UINT32_MAX, "PBKDF2 iterations are passed as unsigned int");

/*
 * A library context of our own: it does not depend on the application's
 * OpenSSL configuration, and it can hold the legacy provider (Whirlpool)
 * without changing what the rest of the process sees.
 */
static OSSL_LIB_CTX *lib_ctx;
static pthread_once_t lib_ctx_once = PTHREAD_ONCE_INIT;

static void lib_ctx_create(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (!ctx)
		return;
	if (!OSSL_PROVIDER_load(ctx, "default")) {
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	/* Optional: without it only Whirlpool is missing. */
	(void)OSSL_PROVIDER_load(ctx, "legacy");
	lib_ctx = ctx;
}

static OSSL_LIB_CTX *lib(void)
{
	pthread_once(&lib_ctx_once, lib_ctx_create);
	return lib_ctx;
}

const char *lv_crypto_backend(void)
{
	return "openssl";
}

/* ---- hashes ---- */

struct hash_name {
	const char *luks;	/* as LUKS2 JSON and cryptsetup spell it */
	const char *openssl;
};

static const struct hash_name hash_names[] = {
	{ "sha1", "SHA1" },
	{ "sha224", "SHA2-224" },
	{ "sha256", "SHA2-256" },
	{ "sha384", "SHA2-384" },
	{ "sha512", "SHA2-512" },
	{ "sha3-224", "SHA3-224" },
	{ "sha3-256", "SHA3-256" },
	{ "sha3-384", "SHA3-384" },
	{ "sha3-512", "SHA3-512" },
	{ "ripemd160", "RIPEMD-160" },
	{ "whirlpool", "WHIRLPOOL" },
	{ "blake2b-512", "BLAKE2B-512" },
	{ "blake2s-256", "BLAKE2S-256" },
	{ "sm3", "SM3" },
};

static const char *openssl_hash_name(const char *hash_name)
{
	if (!hash_name)
		return NULL;
	for (size_t i = 0; i < sizeof(hash_names) / sizeof(hash_names[0]); i++)
		if (strcasecmp(hash_name, hash_names[i].luks) == 0)
			return hash_names[i].openssl;
	return NULL;
}

/* Fetches the digest: -EINVAL for a name LUKS does not use, -ENOTSUP when
 * the providers lack it. */
static int fetch_md(const char *hash_name, EVP_MD **md, size_t *digest_bytes)
{
	const char *name = openssl_hash_name(hash_name);
	OSSL_LIB_CTX *ctx = lib();
	int size;

	*md = NULL;
	if (!name)
		return -EINVAL;
	if (!ctx)
		return -EIO;
	*md = EVP_MD_fetch(ctx, name, NULL);
	if (!*md)
		return -ENOTSUP;
	size = EVP_MD_get_size(*md);
	if (size <= 0 || size > LV_HASH_MAX_BYTES) {
		EVP_MD_free(*md);
		*md = NULL;
		return -ENOTSUP;
	}
	*digest_bytes = (size_t)size;
	return 0;
}

int lv_hash_size(const char *hash_name)
{
	size_t digest_bytes;
	EVP_MD *md;
	int r = fetch_md(hash_name, &md, &digest_bytes);

	if (r < 0)
		return r;
	EVP_MD_free(md);
	return (int)digest_bytes;
}

struct lv_hash_ctx {
	EVP_MD_CTX *md_ctx;
	size_t digest_bytes;
};

int lv_hash_init(struct lv_hash_ctx **ctx, const char *hash_name)
{
	struct lv_hash_ctx *h;
	EVP_MD *md;
	int r;

	if (!ctx)
		return -EINVAL;
	*ctx = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	r = fetch_md(hash_name, &md, &h->digest_bytes);
	if (r < 0) {
		free(h);
		return r;
	}
	h->md_ctx = EVP_MD_CTX_new();
	if (!h->md_ctx)
		r = -ENOMEM;
	else if (!EVP_DigestInit_ex2(h->md_ctx, md, NULL))
		r = -EIO;
	EVP_MD_free(md);
	if (r < 0) {
		lv_hash_free(h);
		return r;
	}
	*ctx = h;
	return 0;
}

int lv_hash_update(struct lv_hash_ctx *ctx, const void *data, size_t len)
{
	if (!ctx || (!data && len))
		return -EINVAL;
	if (len == 0)
		return 0;
	return EVP_DigestUpdate(ctx->md_ctx, data, len) ? 0 : -EIO;
}

/* Writes the digest and restarts ctx, so one context hashes many messages. */
int lv_hash_final(struct lv_hash_ctx *ctx, uint8_t *out, size_t out_len)
{
	if (!ctx || !out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if (out_len < ctx->digest_bytes)
		return -EINVAL;
	if (!EVP_DigestFinal_ex(ctx->md_ctx, out, NULL)) {
		lv_wipe(out, out_len);
		return -EIO;
	}
	return EVP_DigestInit_ex2(ctx->md_ctx, NULL, NULL) ? 0 : -EIO;
}

void lv_hash_free(struct lv_hash_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md_ctx);
	free(ctx);
}

int lv_hash(const char *hash_name, const void *const data[], const size_t len[],
	    size_t n, uint8_t *out, size_t out_len)
{
	struct lv_hash_ctx *ctx;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if (n > HASH_MAX_PARTS || (n && (!data || !len)))
		return -EINVAL;
	r = lv_hash_init(&ctx, hash_name);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = lv_hash_update(ctx, data[i], len[i]);
	if (r == 0)
		r = lv_hash_final(ctx, out, out_len);
	lv_hash_free(ctx);
	return r;
}

/* ---- HMAC, PBKDF2, random ---- */

int lv_hmac(const char *hash_name, const void *key, size_t key_len,
	    const void *data, size_t data_len, uint8_t *out, size_t out_len)
{
	size_t digest_bytes, written = 0;
	EVP_MD *md;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if ((!key && key_len) || (!data && data_len))
		return -EINVAL;
	r = fetch_md(hash_name, &md, &digest_bytes);
	if (r < 0)
		return r;
	if (out_len < digest_bytes) {
		EVP_MD_free(md);
		return -EINVAL;
	}
	/* OpenSSL treats a NULL key as "keep the previous key": an empty key
	 * must be a real pointer. */
	if (!EVP_Q_mac(lib(), "HMAC", NULL, EVP_MD_get0_name(md), NULL, key ? key : "",
		       key_len, data ? data : (const void *)"", data_len, out, out_len,
		       &written) ||
	    written != digest_bytes)
		r = -EIO;
	EVP_MD_free(md);
	if (r < 0)
		lv_wipe(out, out_len);
	return r;
}

static int pbkdf2_derive(const EVP_MD *md, const void *password, size_t password_len,
			 const void *salt, size_t salt_len, uint32_t iterations,
			 uint8_t *out, size_t out_len)
{
	unsigned int iter = iterations;
	int pkcs5_no_sp800_132_limits = 1;
	EVP_KDF *kdf = EVP_KDF_fetch(lib(), OSSL_KDF_NAME_PBKDF2, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						 (char *)EVP_MD_get0_name(md), 0),
		/* Empty passwords and salts are legal: pass "" rather than NULL. */
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
						  (void *)(password ? password : ""),
						  password_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						  (void *)(salt ? salt : ""), salt_len),
		OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iter),
		/* LUKS digests and RFC 6070 use what SP 800-132 forbids. */
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5_no_sp800_132_limits),
		OSSL_PARAM_construct_end(),
	};
	int r = 0;

	if (!kctx)
		r = kdf ? -ENOMEM : -ENOTSUP;
	else if (EVP_KDF_derive(kctx, out, out_len, params) != 1)
		r = -EIO;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return r;
}

int lv_pbkdf2(const char *hash_name, const void *password, size_t password_len,
	      const void *salt, size_t salt_len, uint32_t iterations,
	      uint8_t *out, size_t out_len)
{
	size_t digest_bytes;
	EVP_MD *md;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if ((!password && password_len) || (!salt && salt_len) || iterations == 0 ||
	    out_len == 0)
		return -EINVAL;
	r = fetch_md(hash_name, &md, &digest_bytes);
	if (r < 0)
		return r;
	r = pbkdf2_derive(md, password, password_len, salt, salt_len, iterations, out,
			  out_len);
	EVP_MD_free(md);
	if (r < 0)
		lv_wipe(out, out_len);
	return r;
}

int lv_random(void *out, size_t len)
{
	OSSL_LIB_CTX *ctx = lib();

	if (!out)
		return len ? -EINVAL : 0;
	lv_wipe(out, len);
	if (len == 0)
		return 0;
	if (!ctx)
		return -EIO;
	if (RAND_bytes_ex(ctx, out, len, 0) != 1) {
		lv_wipe(out, len);
		return -EIO;
	}
	return 0;
}

/* ---- sector ciphers ---- */

enum chain_mode { MODE_NULL, MODE_ECB, MODE_CBC, MODE_XTS };
enum iv_gen { IV_NONE, IV_PLAIN, IV_PLAIN64, IV_PLAIN64BE, IV_ESSIV };

struct lv_sector_cipher {
	enum chain_mode mode;
	enum iv_gen iv_gen;
	size_t block_bytes;		/* sector_bytes must be a multiple */
	size_t iv_bytes;
	EVP_CIPHER_CTX *encrypt_ctx;	/* keyed, IV set per sector */
	EVP_CIPHER_CTX *decrypt_ctx;
	EVP_CIPHER_CTX *essiv_ctx;	/* ECB keyed with H(key), for IV_ESSIV */
};

/* "<cipher>[-<mode>[-<ivgen>[:<ivopts>]]]" split in place; absent parts
 * are NULL.  ivopts may contain '-' ("essiv:sha3-256"). */
struct dm_spec {
	char buf[DM_SPEC_MAX + 1];
	const char *cipher;
	const char *mode;
	const char *iv_gen;
	const char *iv_opts;
};

static char *split_at(char *s, char sep)
{
	char *p = s ? strchr(s, sep) : NULL;

	if (!p)
		return NULL;
	*p = '\0';
	return p + 1;
}

static int parse_dm_spec(const char *dm_spec, struct dm_spec *spec)
{
	size_t len = dm_spec ? strnlen(dm_spec, DM_SPEC_MAX + 1) : 0;
	char *mode, *iv_gen, *iv_opts;

	if (len == 0 || len > DM_SPEC_MAX)
		return -EINVAL;
	memcpy(spec->buf, dm_spec, len);
	spec->buf[len] = '\0';
	mode = split_at(spec->buf, '-');
	iv_gen = split_at(mode, '-');
	iv_opts = split_at(iv_gen, ':');
	spec->cipher = spec->buf;
	spec->mode = mode;
	spec->iv_gen = iv_gen;
	spec->iv_opts = iv_opts;
	if (!*spec->cipher || (mode && !*mode) || (iv_gen && !*iv_gen) ||
	    (iv_opts && !*iv_opts))
		return -EINVAL;
	return 0;
}

static int is_named(const char *s, const char *name)
{
	return s && strcmp(s, name) == 0;
}

int lv_cipher_is_null(const char *dm_spec)
{
	static const char null_cipher[] = "cipher_null";
	const size_t n = sizeof(null_cipher) - 1;

	/* Case-insensitive and prefix-based on purpose: this guards against
	 * opening a null-cipher keyslot, so it must not under-match. */
	return dm_spec && strncasecmp(dm_spec, null_cipher, n) == 0 &&
	       (dm_spec[n] == '\0' || dm_spec[n] == '-');
}

static int parse_mode(const struct dm_spec *spec, enum chain_mode *mode)
{
	if (!spec->mode)
		return -EINVAL;
	if (is_named(spec->mode, "ecb"))
		*mode = MODE_ECB;
	else if (is_named(spec->mode, "cbc"))
		*mode = MODE_CBC;
	else if (is_named(spec->mode, "xts"))
		*mode = MODE_XTS;
	else
		return -ENOTSUP;
	/* ECB takes no IV; the chained modes need a generator. */
	if ((*mode == MODE_ECB) != !spec->iv_gen)
		return -EINVAL;
	return 0;
}

static int parse_iv_gen(const struct dm_spec *spec, enum iv_gen *iv_gen)
{
	if (!spec->iv_gen) {
		*iv_gen = IV_NONE;
		return 0;
	}
	if (is_named(spec->iv_gen, "essiv")) {
		*iv_gen = IV_ESSIV;
		return spec->iv_opts ? 0 : -EINVAL;
	}
	if (is_named(spec->iv_gen, "plain"))
		*iv_gen = IV_PLAIN;
	else if (is_named(spec->iv_gen, "plain64"))
		*iv_gen = IV_PLAIN64;
	else if (is_named(spec->iv_gen, "plain64be"))
		*iv_gen = IV_PLAIN64BE;
	else
		return -ENOTSUP;
	return spec->iv_opts ? -EINVAL : 0;
}

/* OpenSSL's name for the block cipher dm-crypt calls dm_name. */
static const char *openssl_cipher_family(const char *dm_name)
{
	if (is_named(dm_name, "aes"))
		return "AES";
	if (is_named(dm_name, "camellia"))
		return "CAMELLIA";
	return NULL;
}

static int key_len_valid(enum chain_mode mode, size_t key_len)
{
	/* XTS takes two keys of the block cipher's sizes. */
	size_t single = mode == MODE_XTS ? key_len / 2 : key_len;

	if (mode == MODE_XTS && key_len % 2)
		return 0;
	return single == 16 || single == 24 || single == 32;
}

/* Fetches "<FAMILY>-<bits>-<MODE>"; -ENOTSUP when OpenSSL lacks it. */
static int fetch_cipher(const char *family, enum chain_mode mode, size_t key_len,
			EVP_CIPHER **cipher)
{
	static const char *const mode_names[] = {
		[MODE_ECB] = "ECB", [MODE_CBC] = "CBC", [MODE_XTS] = "XTS",
	};
	size_t key_bits = (mode == MODE_XTS ? key_len / 2 : key_len) * 8;
	OSSL_LIB_CTX *ctx = lib();
	char name[32];
	int n;

	*cipher = NULL;
	if (!ctx)
		return -EIO;
	n = snprintf(name, sizeof(name), "%s-%zu-%s", family, key_bits, mode_names[mode]);
	if (n < 0 || (size_t)n >= sizeof(name))
		return -EINVAL;
	*cipher = EVP_CIPHER_fetch(ctx, name, NULL);
	if (!*cipher)
		return -ENOTSUP;
	if ((size_t)EVP_CIPHER_get_key_length(*cipher) != key_len) {
		EVP_CIPHER_free(*cipher);
		*cipher = NULL;
		return -ENOTSUP;
	}
	return 0;
}

static int keyed_ctx(const EVP_CIPHER *cipher, const uint8_t *key, int encrypt,
		     EVP_CIPHER_CTX **ctx)
{
	*ctx = EVP_CIPHER_CTX_new();
	if (!*ctx)
		return -ENOMEM;
	if (!EVP_CipherInit_ex2(*ctx, cipher, key, NULL, encrypt, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(*ctx, 0))
		return -EIO;
	return 0;
}

/* ESSIV (dm-crypt): the IV is the sector number encrypted with the same
 * block cipher under salt = H(key). */
static int essiv_setup(struct lv_sector_cipher *c, const char *family, const char *hash,
		       const uint8_t *key, size_t key_len)
{
	uint8_t salt[LV_HASH_MAX_BYTES];
	const void *parts[] = { key };
	const size_t part_lens[] = { key_len };
	int salt_bytes = lv_hash_size(hash);
	EVP_CIPHER *cipher = NULL;
	int r;

	if (salt_bytes < 0)
		return salt_bytes;
	r = lv_hash(hash, parts, part_lens, 1, salt, sizeof(salt));
	/* The salt is the ESSIV key, so it must be a valid key size. */
	if (r == 0 && !key_len_valid(MODE_ECB, (size_t)salt_bytes))
		r = -EINVAL;
	if (r == 0)
		r = fetch_cipher(family, MODE_ECB, (size_t)salt_bytes, &cipher);
	if (r == 0)
		r = keyed_ctx(cipher, salt, 1, &c->essiv_ctx);
	EVP_CIPHER_free(cipher);
	lv_wipe(salt, sizeof(salt));
	return r;
}

static int block_cipher_setup(struct lv_sector_cipher *c, const struct dm_spec *spec,
			      const uint8_t *key, size_t key_len)
{
	const char *family = openssl_cipher_family(spec->cipher);
	EVP_CIPHER *cipher = NULL;
	int r;

	if ((r = parse_mode(spec, &c->mode)) < 0 || (r = parse_iv_gen(spec, &c->iv_gen)) < 0)
		return r;
	if (!family)
		return -ENOTSUP;
	if (!key || !key_len_valid(c->mode, key_len))
		return -EINVAL;
	/* XTS needs independent data and tweak keys; equal halves void its
	 * security proof, and OpenSSL refuses them for encryption anyway. */
	if (c->mode == MODE_XTS && lv_memeq(key, key + key_len / 2, key_len / 2))
		return -EINVAL;
	r = fetch_cipher(family, c->mode, key_len, &cipher);
	if (r < 0)
		return r;
	c->block_bytes = CIPHER_BLOCK_BYTES;
	c->iv_bytes = (size_t)EVP_CIPHER_get_iv_length(cipher);
	if (c->iv_bytes != (c->mode == MODE_ECB ? 0 : IV_MAX_BYTES))
		r = -EIO;
	if (r == 0)
		r = keyed_ctx(cipher, key, 1, &c->encrypt_ctx);
	if (r == 0)
		r = keyed_ctx(cipher, key, 0, &c->decrypt_ctx);
	EVP_CIPHER_free(cipher);
	if (r == 0 && c->iv_gen == IV_ESSIV)
		r = essiv_setup(c, family, spec->iv_opts, key, key_len);
	return r;
}

static int null_cipher_setup(struct lv_sector_cipher *c, const struct dm_spec *spec)
{
	if (spec->iv_gen || (spec->mode && !is_named(spec->mode, "ecb")))
		return -EINVAL;
	c->mode = MODE_NULL;
	c->iv_gen = IV_NONE;
	c->block_bytes = 1;
	return 0;
}

int lv_sector_cipher_new(struct lv_sector_cipher **cipher, const char *dm_spec,
			 const uint8_t *key, size_t key_len)
{
	struct lv_sector_cipher *c;
	struct dm_spec spec;
	int r;

	if (!cipher)
		return -EINVAL;
	*cipher = NULL;
	r = parse_dm_spec(dm_spec, &spec);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (is_named(spec.cipher, "cipher_null"))
		r = null_cipher_setup(c, &spec);
	else
		r = block_cipher_setup(c, &spec, key, key_len);
	if (r < 0) {
		lv_sector_cipher_free(c);
		return r;
	}
	*cipher = c;
	return 0;
}

void lv_sector_cipher_free(struct lv_sector_cipher *cipher)
{
	if (!cipher)
		return;
	/* EVP_CIPHER_CTX_free cleanses the key schedules. */
	EVP_CIPHER_CTX_free(cipher->encrypt_ctx);
	EVP_CIPHER_CTX_free(cipher->decrypt_ctx);
	EVP_CIPHER_CTX_free(cipher->essiv_ctx);
	free(cipher);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[7 - i] = (uint8_t)(v >> (8 * i));
}

static int sector_iv(const struct lv_sector_cipher *c, uint64_t sector,
		     uint8_t iv[IV_MAX_BYTES])
{
	int written;

	memset(iv, 0, IV_MAX_BYTES);
	switch (c->iv_gen) {
	case IV_NONE:
		return 0;
	case IV_PLAIN:
		put_le64(iv, sector & UINT32_MAX);
		return 0;
	case IV_PLAIN64:
		put_le64(iv, sector);
		return 0;
	case IV_PLAIN64BE:
		put_be64(iv + c->iv_bytes - 8, sector);
		return 0;
	case IV_ESSIV:
		put_le64(iv, sector);
		if (!EVP_EncryptUpdate(c->essiv_ctx, iv, &written, iv, (int)c->iv_bytes) ||
		    written != (int)c->iv_bytes)
			return -EIO;
		return 0;
	}
	return -EINVAL;
}

static int crypt_sector(const struct lv_sector_cipher *c, EVP_CIPHER_CTX *ctx,
			uint64_t sector, const uint8_t *in, uint8_t *out, int sector_bytes)
{
	uint8_t iv[IV_MAX_BYTES];
	int written, r = 0;

	/* Re-setting the IV restarts CBC chaining and the XTS tweak; the key
	 * schedule is kept. */
	if (c->iv_bytes) {
		r = sector_iv(c, sector, iv);
		if (r == 0 && !EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL))
			r = -EIO;
	}
	if (r == 0 && (!EVP_CipherUpdate(ctx, out, &written, in, sector_bytes) ||
		       written != sector_bytes))
		r = -EIO;
	lv_wipe(iv, sizeof(iv));
	return r;
}

/* in and out may be the same buffer but must not overlap otherwise.  On
 * failure out is wiped: it may hold part of a plaintext. */
static int crypt_sectors(struct lv_sector_cipher *c, int encrypt, uint64_t first_sector,
			 size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *ctx;
	uint64_t sector = first_sector;
	int r = 0;

	if (!c || (len && (!in || !out)) || sector_bytes == 0 || sector_bytes > INT_MAX ||
	    sector_bytes % c->block_bytes || len % sector_bytes)
		return -EINVAL;
	if (c->mode == MODE_NULL) {
		if (in != out)
			memmove(out, in, len);
		return 0;
	}
	ctx = encrypt ? c->encrypt_ctx : c->decrypt_ctx;
	/* dm-crypt numbers sectors modulo 2^64: wrapping is intended. */
	for (size_t done = 0; r == 0 && done < len; done += sector_bytes, sector++)
		r = crypt_sector(c, ctx, sector, in + done, out + done, (int)sector_bytes);
	if (r < 0)
		lv_wipe(out, len);
	return r;
}

int lv_sector_encrypt(struct lv_sector_cipher *cipher, uint64_t first_sector,
		      size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	return crypt_sectors(cipher, 1, first_sector, sector_bytes, in, out, len);
}

int lv_sector_decrypt(struct lv_sector_cipher *cipher, uint64_t first_sector,
		      size_t sector_bytes, const uint8_t *in, uint8_t *out, size_t len)
{
	return crypt_sectors(cipher, 0, first_sector, sector_bytes, in, out, len);
}

int lv_sector_cipher_supported(const char *dm_spec, size_t key_len)
{
	struct lv_sector_cipher *cipher;
	uint8_t probe_key[512];
	int r;

	if (key_len == 0 || key_len > sizeof(probe_key))
		return -EINVAL;
	/* Distinct bytes: XTS refuses a key whose two halves are equal. */
	for (size_t i = 0; i < key_len; i++)
		probe_key[i] = (uint8_t)i;
	r = lv_sector_cipher_new(&cipher, dm_spec, probe_key, key_len);
	if (r == 0)
		lv_sector_cipher_free(cipher);
	return r;
}
