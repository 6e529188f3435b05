/* SPDX-License-Identifier: ISC */
/* backend_openssl.c: the crypto.h interface on OpenSSL 3 (EVP, providers). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SHA-1/SHA-2 functions of <openssl/sha.h>, see sha_kind below. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/ascii.h"
#include "crypto/crypto.h"
#include "crypto/kernel_afalg.h"
#include "crypto/sector_spec.h"

#define CIPHER_BLOCK_BYTES 16	/* AES and Camellia */
#define IV_MAX_BYTES 16

_Static_assert(UINT_MAX >= UINT32_MAX, "PBKDF2 iterations are passed as unsigned int");

/*
 * A library context of our own: it does not depend on the application's
 * OpenSSL configuration, and it can hold the legacy provider (Whirlpool)
 * without changing what the rest of the process sees.  The legacy provider
 * is loaded only when a digest is missing from the default one: loading it
 * costs more than a whole `luksvol dump` (bench/RESULTS.md), and in a static
 * build it would pull the shared libcrypto into the process.
 */
static OSSL_LIB_CTX *lib_ctx;
static pthread_once_t lib_ctx_once = PTHREAD_ONCE_INIT;
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static int legacy_loaded;

static void lib_ctx_create(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (!ctx)
		return;
	if (!OSSL_PROVIDER_load(ctx, "default")) {
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	lib_ctx = ctx;
}

static OSSL_LIB_CTX *lib(void)
{
	pthread_once(&lib_ctx_once, lib_ctx_create);
	return lib_ctx;
}

static void legacy_load(void)
{
	/* Optional: without it only Whirlpool is missing. */
	legacy_loaded = lib() && OSSL_PROVIDER_load(lib(), "legacy") != NULL;
}

/* 1 when the legacy provider is (now) loaded. */
static int legacy_provider(void)
{
	pthread_once(&legacy_once, legacy_load);
	return legacy_loaded;
}

const char *lv_crypto_backend(void)
{
	return "openssl";
}

/* Only Adiantum comes from the kernel here. */
const char *lv_crypto_kernel_hint(int is_cipher, const char *name)
{
	struct lv_dm_spec spec;

	if (!is_cipher || lv_dm_spec_parse(name, &spec) < 0 || !lv_kernel_sector_only(&spec))
		return "";
	return lv_kernel_afalg_hint(1);
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
		if (lv_ascii_caseeq(hash_name, hash_names[i].luks))
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
	if (!*md && legacy_provider())
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

/*
 * SHA-1 and SHA-2, the hashes of header checksums and of nearly every
 * keyslot, use OpenSSL's low-level SHA functions (deprecated, not removed,
 * in OpenSSL 3; the same assembly as EVP's).  The first EVP fetch of a
 * process builds OpenSSL's map of every algorithm name, which alone cost
 * `luksvol dump` a third of its time (bench/RESULTS.md).
 */
enum sha_kind { SHA_NONE, SHA_1, SHA_224, SHA_256, SHA_384, SHA_512 };

union sha_state {
	SHA_CTX sha1;
	SHA256_CTX sha256;	/* also SHA-224 */
	SHA512_CTX sha512;	/* also SHA-384 */
};

static enum sha_kind sha_kind_of(const char *hash_name, size_t *digest_bytes)
{
	static const struct {
		const char *luks;
		enum sha_kind kind;
		size_t digest_bytes;
	} shas[] = {
		{ "sha1", SHA_1, SHA_DIGEST_LENGTH }, { "sha224", SHA_224, SHA224_DIGEST_LENGTH },
		{ "sha256", SHA_256, SHA256_DIGEST_LENGTH },
		{ "sha384", SHA_384, SHA384_DIGEST_LENGTH },
		{ "sha512", SHA_512, SHA512_DIGEST_LENGTH },
	};

	for (size_t i = 0; hash_name && i < sizeof(shas) / sizeof(shas[0]); i++) {
		if (lv_ascii_caseeq(hash_name, shas[i].luks)) {
			*digest_bytes = shas[i].digest_bytes;
			return shas[i].kind;
		}
	}
	return SHA_NONE;
}

static int sha_init(enum sha_kind kind, union sha_state *st)
{
	switch (kind) {
	case SHA_1: return SHA1_Init(&st->sha1);
	case SHA_224: return SHA224_Init(&st->sha256);
	case SHA_256: return SHA256_Init(&st->sha256);
	case SHA_384: return SHA384_Init(&st->sha512);
	case SHA_512: return SHA512_Init(&st->sha512);
	default: return 0;
	}
}

static int sha_update(enum sha_kind kind, union sha_state *st, const void *data, size_t len)
{
	switch (kind) {
	case SHA_1: return SHA1_Update(&st->sha1, data, len);
	case SHA_224: return SHA224_Update(&st->sha256, data, len);
	case SHA_256: return SHA256_Update(&st->sha256, data, len);
	case SHA_384: return SHA384_Update(&st->sha512, data, len);
	case SHA_512: return SHA512_Update(&st->sha512, data, len);
	default: return 0;
	}
}

static int sha_final(enum sha_kind kind, union sha_state *st, uint8_t *out)
{
	switch (kind) {
	case SHA_1: return SHA1_Final(out, &st->sha1);
	case SHA_224: return SHA224_Final(out, &st->sha256);
	case SHA_256: return SHA256_Final(out, &st->sha256);
	case SHA_384: return SHA384_Final(out, &st->sha512);
	case SHA_512: return SHA512_Final(out, &st->sha512);
	default: return 0;
	}
}

int lv_hash_size(const char *hash_name)
{
	size_t digest_bytes;
	EVP_MD *md;
	int r;

	if (sha_kind_of(hash_name, &digest_bytes) != SHA_NONE)
		return (int)digest_bytes;
	r = fetch_md(hash_name, &md, &digest_bytes);
	if (r < 0)
		return r;
	EVP_MD_free(md);
	return (int)digest_bytes;
}

/* Either kind is set (SHA-1/SHA-2) or md_ctx (every other hash). */
struct lv_hash_ctx {
	enum sha_kind kind;
	union sha_state sha;	/* may hold secrets: wiped on free */
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
	h->kind = sha_kind_of(hash_name, &h->digest_bytes);
	if (h->kind != SHA_NONE) {
		if (!sha_init(h->kind, &h->sha)) {
			lv_hash_free(h);
			return -EIO;
		}
		*ctx = h;
		return 0;
	}
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
	if (ctx->kind != SHA_NONE)
		return sha_update(ctx->kind, &ctx->sha, data, len) ? 0 : -EIO;
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
	if (ctx->kind != SHA_NONE) {
		if (!sha_final(ctx->kind, &ctx->sha, out)) {
			lv_wipe(out, out_len);
			return -EIO;
		}
		return sha_init(ctx->kind, &ctx->sha) ? 0 : -EIO;
	}
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
	if (ctx->md_ctx)	/* SHA-1/SHA-2 have none: no call into EVP code */
		EVP_MD_CTX_free(ctx->md_ctx);
	lv_wipe(&ctx->sha, sizeof(ctx->sha));
	free(ctx);
}

/* ---- HMAC, PBKDF2, random ---- */

/*
 * HMAC (RFC 2104) and PBKDF2 (RFC 8018) over the SHA-1/SHA-2 functions
 * above: the key's inner and outer states are computed once and copied for
 * each message, so a PBKDF2 iteration is two compressions.  OpenSSL's EVP
 * HMAC copies whole contexts per iteration and its first fetch builds the
 * name map: three times the instructions of an `open` of a PBKDF2 keyslot,
 * which under the VM's emulation is what an open costs (bench/RESULTS.md,
 * openclose).  Other hashes take the EVP path below.
 */
#define SHA_BLOCK_MAX_BYTES 128

struct sha_hmac {
	enum sha_kind kind;
	size_t digest_bytes;
	union sha_state inner;	/* after key ^ ipad */
	union sha_state outer;	/* after key ^ opad */
};

static size_t sha_block_bytes(enum sha_kind kind)
{
	return kind == SHA_384 || kind == SHA_512 ? 128 : 64;
}

static int sha_keyed_state(enum sha_kind kind, const uint8_t *key_block, uint8_t pad_byte,
			   union sha_state *st)
{
	uint8_t padded[SHA_BLOCK_MAX_BYTES];
	size_t block_bytes = sha_block_bytes(kind);
	int ok;

	for (size_t i = 0; i < block_bytes; i++)
		padded[i] = key_block[i] ^ pad_byte;
	ok = sha_init(kind, st) && sha_update(kind, st, padded, block_bytes);
	lv_wipe(padded, sizeof(padded));
	return ok;
}

static int sha_hmac_init(struct sha_hmac *h, enum sha_kind kind, size_t digest_bytes,
			 const void *key, size_t key_len)
{
	uint8_t key_block[SHA_BLOCK_MAX_BYTES] = { 0 };
	union sha_state st;
	int ok = 1;

	h->kind = kind;
	h->digest_bytes = digest_bytes;
	if (key_len > sha_block_bytes(kind))
		ok = sha_init(kind, &st) && sha_update(kind, &st, key, key_len) &&
		     sha_final(kind, &st, key_block);
	else if (key_len)
		memcpy(key_block, key, key_len);
	ok = ok && sha_keyed_state(kind, key_block, 0x36, &h->inner) &&
	     sha_keyed_state(kind, key_block, 0x5c, &h->outer);
	lv_wipe(key_block, sizeof(key_block));
	lv_wipe(&st, sizeof(st));
	return ok ? 0 : -EIO;
}

/* out = HMAC(key, a || b), digest_bytes long. */
static int sha_hmac(const struct sha_hmac *h, const void *a, size_t a_len, const void *b,
		    size_t b_len, uint8_t *out)
{
	uint8_t inner_digest[LV_HASH_MAX_BYTES];
	union sha_state st = h->inner;
	int ok = sha_update(h->kind, &st, a, a_len) && sha_update(h->kind, &st, b, b_len) &&
		 sha_final(h->kind, &st, inner_digest);

	st = h->outer;
	ok = ok && sha_update(h->kind, &st, inner_digest, h->digest_bytes) &&
	     sha_final(h->kind, &st, out);
	lv_wipe(inner_digest, sizeof(inner_digest));
	lv_wipe(&st, sizeof(st));
	return ok ? 0 : -EIO;
}

/* RFC 8018 §5.2: T_i = U_1 ^ ... ^ U_c, U_1 = HMAC(P, S || INT(i)). */
static int sha_pbkdf2(enum sha_kind kind, size_t digest_bytes, const void *password,
		      size_t password_len, const void *salt, size_t salt_len,
		      uint32_t iterations, uint8_t *out, size_t out_len)
{
	uint8_t u[LV_HASH_MAX_BYTES], t[LV_HASH_MAX_BYTES], index_be[4];
	struct sha_hmac h;
	int r = sha_hmac_init(&h, kind, digest_bytes, password, password_len);

	if (r == 0 && (out_len - 1) / digest_bytes >= UINT32_MAX)
		r = -EINVAL;
	for (uint32_t block = 1; r == 0 && out_len > 0; block++) {
		size_t take = out_len < digest_bytes ? out_len : digest_bytes;

		index_be[0] = (uint8_t)(block >> 24);
		index_be[1] = (uint8_t)(block >> 16);
		index_be[2] = (uint8_t)(block >> 8);
		index_be[3] = (uint8_t)block;
		r = sha_hmac(&h, salt, salt_len, index_be, sizeof(index_be), u);
		memcpy(t, u, digest_bytes);
		for (uint32_t i = 1; r == 0 && i < iterations; i++) {
			r = sha_hmac(&h, u, digest_bytes, NULL, 0, u);
			for (size_t k = 0; k < digest_bytes; k++)
				t[k] ^= u[k];
		}
		memcpy(out, t, take);
		out += take;
		out_len -= take;
	}
	lv_wipe(u, sizeof(u));
	lv_wipe(t, sizeof(t));
	lv_wipe(&h, sizeof(h));
	return r;
}

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
	enum sha_kind kind = sha_kind_of(hash_name, &digest_bytes);
	if (kind != SHA_NONE) {
		struct sha_hmac h;

		if (out_len < digest_bytes)
			return -EINVAL;
		r = sha_hmac_init(&h, kind, digest_bytes, key, key_len);
		if (r == 0)
			r = sha_hmac(&h, data, data_len, NULL, 0, out);
		lv_wipe(&h, sizeof(h));
		if (r < 0)
			lv_wipe(out, out_len);
		return r;
	}
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
	enum sha_kind kind = sha_kind_of(hash_name, &digest_bytes);
	if (kind != SHA_NONE) {
		r = sha_pbkdf2(kind, digest_bytes, password, password_len, salt, salt_len,
			       iterations, out, out_len);
		if (r < 0)
			lv_wipe(out, out_len);
		return r;
	}
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

/*
 * Ciphers OpenSSL lacks (Adiantum) run on the kernel's, as cryptsetup's
 * OpenSSL backend falls back to its kernel one; then only kernel is set.
 */
struct lv_sector_cipher {
	enum lv_chain_mode mode;
	enum lv_iv_gen iv_gen;
	size_t block_bytes;		/* sector_bytes must be a multiple */
	size_t iv_bytes;
	EVP_CIPHER_CTX *encrypt_ctx;	/* keyed, IV set per sector */
	EVP_CIPHER_CTX *decrypt_ctx;
	EVP_CIPHER_CTX *essiv_ctx;	/* ECB keyed with H(key), for LV_IV_ESSIV */
	struct lv_kernel_sector *kernel;
};

static int is_named(const char *s, const char *name)
{
	return s && strcmp(s, name) == 0;
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

/* Fetches "<FAMILY>-<bits>-<MODE>"; -ENOTSUP when OpenSSL lacks it. */
static int fetch_cipher(const char *family, enum lv_chain_mode mode, size_t key_len,
			EVP_CIPHER **cipher)
{
	static const char *const mode_names[] = {
		[LV_MODE_ECB] = "ECB", [LV_MODE_CBC] = "CBC", [LV_MODE_XTS] = "XTS",
	};
	size_t key_bits = (mode == LV_MODE_XTS ? key_len / 2 : key_len) * 8;
	OSSL_LIB_CTX *ctx = lib();
	char name[32];
	int n;

	*cipher = NULL;
	if (!ctx)
		return -EIO;
	if (mode != LV_MODE_ECB && mode != LV_MODE_CBC && mode != LV_MODE_XTS)
		return -ENOTSUP;
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
	if (r == 0 && !lv_block_key_len_valid(LV_MODE_ECB, (size_t)salt_bytes))
		r = -EINVAL;
	if (r == 0)
		r = fetch_cipher(family, LV_MODE_ECB, (size_t)salt_bytes, &cipher);
	if (r == 0)
		r = keyed_ctx(cipher, salt, 1, &c->essiv_ctx);
	EVP_CIPHER_free(cipher);
	lv_wipe(salt, sizeof(salt));
	return r;
}

static int block_cipher_setup(struct lv_sector_cipher *c, const struct lv_dm_spec *spec,
			      const uint8_t *key, size_t key_len)
{
	const char *family = openssl_cipher_family(spec->cipher);
	EVP_CIPHER *cipher = NULL;
	int r;

	c->mode = spec->mode;
	c->iv_gen = spec->iv_gen;
	if (lv_kernel_sector_only(spec))
		return lv_kernel_sector_new(&c->kernel, spec, key, key_len);
	if (!family)
		return -ENOTSUP;
	r = lv_block_key_check(c->mode, key, key_len);
	if (r < 0)
		return r;
	r = fetch_cipher(family, c->mode, key_len, &cipher);
	if (r < 0)
		return r;
	c->block_bytes = CIPHER_BLOCK_BYTES;
	c->iv_bytes = (size_t)EVP_CIPHER_get_iv_length(cipher);
	if (c->iv_bytes != (c->mode == LV_MODE_ECB ? 0 : IV_MAX_BYTES))
		r = -EIO;
	if (r == 0)
		r = keyed_ctx(cipher, key, 1, &c->encrypt_ctx);
	if (r == 0)
		r = keyed_ctx(cipher, key, 0, &c->decrypt_ctx);
	EVP_CIPHER_free(cipher);
	if (r == 0 && c->iv_gen == LV_IV_ESSIV)
		r = essiv_setup(c, family, spec->iv_opts, key, key_len);
	return r;
}

static void null_cipher_setup(struct lv_sector_cipher *c)
{
	c->mode = LV_MODE_NULL;
	c->iv_gen = LV_IV_NONE;
	c->block_bytes = 1;
}

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
	if (spec.mode == LV_MODE_NULL)
		null_cipher_setup(c);
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
	lv_kernel_sector_free(cipher->kernel);
	free(cipher);
}

static int sector_iv(const struct lv_sector_cipher *c, uint64_t sector,
		     uint8_t iv[IV_MAX_BYTES])
{
	int written;

	lv_sector_iv(c->iv_gen, sector, iv, c->iv_bytes);
	if (c->iv_gen != LV_IV_ESSIV)
		return 0;
	if (!EVP_EncryptUpdate(c->essiv_ctx, iv, &written, iv, (int)c->iv_bytes) ||
	    written != (int)c->iv_bytes)
		return -EIO;
	return 0;
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

	if (!c)
		return -EINVAL;
	if (c->kernel)
		return lv_kernel_sector_crypt(c->kernel, encrypt, first_sector, sector_bytes, in,
					      out, len);
	r = lv_sector_args_check(c->block_bytes, sector_bytes, in, out, len);
	if (r < 0)
		return r;
	if (c->mode == LV_MODE_NULL) {
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
