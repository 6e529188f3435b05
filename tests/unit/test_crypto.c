/* SPDX-License-Identifier: ISC */
/* test_crypto.c: known answers and properties of crypto.h and the AF splitter. */
#include "unit.h"

#include <errno.h>

#include "crypto/crypto.h"
#include "crypto/kernel_afalg.h"
#include "luks2/af.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The backend this binary is built with: the Makefile builds the file a
 * second time with -DLV_TEST_BACKEND='"kernel"' for the VM. */
#ifndef LV_TEST_BACKEND
#define LV_TEST_BACKEND "openssl"
#endif

static int hash_string(const char *hash, const char *s, uint8_t *out, size_t out_len)
{
	const void *parts[] = { s };
	const size_t lens[] = { strlen(s) };

	return lv_hash(hash, parts, lens, 1, out, out_len);
}

static void fill_pattern(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)i;
}

/* ---- hashes ---- */

/* FIPS 180-2 appendix examples, message "abc". */
static void test_hash_abc(void **state)
{
	uint8_t out[LV_HASH_MAX_BYTES];

	(void)state;
	assert_int_equal(hash_string("sha1", "abc", out, sizeof(out)), 0);
	unit_assert_hex(out, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_int_equal(hash_string("sha256", "abc", out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(hash_string("sha512", "abc", out, sizeof(out)), 0);
	unit_assert_hex(out, 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
				 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

/* "abc" under the RIPEMD-160 authors' test vectors and FIPS 202's examples. */
static void test_hash_other_names(void **state)
{
	uint8_t out[LV_HASH_MAX_BYTES];
	int whirlpool = lv_hash_size("whirlpool");

	(void)state;
	assert_int_equal(hash_string("ripemd160", "abc", out, sizeof(out)), 0);
	unit_assert_hex(out, 20, "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
	assert_int_equal(hash_string("sha3-256", "abc", out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
	/* Whirlpool needs OpenSSL's legacy provider, which may be absent.
	 * Its "abc" value is from the NESSIE test vectors. */
	assert_true(whirlpool == 64 || whirlpool == -ENOTSUP);
	if (whirlpool == 64) {
		assert_int_equal(hash_string("whirlpool", "abc", out, sizeof(out)), 0);
		unit_assert_hex(out, 64,
				"4e2448a4c6f486bb16b6562c73b4020bf3043e3a731bce721ae1b303d97e6d4c"
				"7181eebdb6c57e277d0e34957114cbd6c797fc9d95d8b582d225292076d4eef5");
	}
}

static void test_hash_size_and_names(void **state)
{
	uint8_t out[LV_HASH_MAX_BYTES];

	(void)state;
	assert_int_equal(lv_hash_size("sha1"), 20);
	assert_int_equal(lv_hash_size("sha256"), 32);
	assert_int_equal(lv_hash_size("SHA256"), 32);
	assert_int_equal(lv_hash_size("Sha512"), 64);
	assert_int_equal(lv_hash_size("md5"), -EINVAL);
	assert_int_equal(lv_hash_size("sha256 "), -EINVAL);
	assert_int_equal(lv_hash_size(""), -EINVAL);
	assert_int_equal(lv_hash_size(NULL), -EINVAL);
	assert_int_equal(hash_string("nohash", "abc", out, sizeof(out)), -EINVAL);
	/* An output shorter than the digest is refused, and left zeroed. */
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(hash_string("sha256", "abc", out, 31), -EINVAL);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[30], 0);
}

static void test_hash_parts_and_incremental(void **state)
{
	static const char *const abc_sha256 =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	const void *parts[] = { "a", "", "b", "c" };
	const size_t lens[] = { 1, 0, 1, 1 };
	uint8_t out[32];
	struct lv_hash_ctx *ctx;

	(void)state;
	assert_int_equal(lv_hash("sha256", parts, lens, 4, out, sizeof(out)), 0);
	unit_assert_hex(out, sizeof(out), abc_sha256);
	assert_int_equal(lv_hash("sha256", parts, lens, 5, out, sizeof(out)), -EINVAL);

	assert_int_equal(lv_hash_init(&ctx, "sha256"), 0);
	assert_int_equal(lv_hash_update(ctx, "ab", 2), 0);
	assert_int_equal(lv_hash_update(ctx, "c", 1), 0);
	assert_int_equal(lv_hash_final(ctx, out, sizeof(out)), 0);
	unit_assert_hex(out, sizeof(out), abc_sha256);
	/* final restarts the context for the next message. */
	assert_int_equal(lv_hash_update(ctx, "abc", 3), 0);
	assert_int_equal(lv_hash_final(ctx, out, sizeof(out)), 0);
	unit_assert_hex(out, sizeof(out), abc_sha256);
	lv_hash_free(ctx);
	lv_hash_free(NULL);

	assert_int_equal(lv_hash_init(&ctx, "unknown"), -EINVAL);
	assert_null(ctx);
}

/* FIPS 180-2 appendix B.3 (SHA-256 of a million 'a'), fed in updates of
 * sizes around the kernel backend's 512-byte pending buffer. */
static void test_hash_million_a_in_pieces(void **state)
{
	static const size_t piece_sizes[] = { 1, 511, 512, 513, 3, 4096, 65536, 0, 100000 };
	enum { TOTAL = 1000000 };
	uint8_t *a = malloc(100000), out[32];
	struct lv_hash_ctx *ctx;
	size_t done = 0;

	(void)state;
	assert_non_null(a);
	memset(a, 'a', 100000);
	assert_int_equal(lv_hash_init(&ctx, "sha256"), 0);
	for (size_t i = 0; done < TOTAL; i = (i + 1) % ARRAY_SIZE(piece_sizes)) {
		size_t n = piece_sizes[i] < TOTAL - done ? piece_sizes[i] : TOTAL - done;

		assert_int_equal(lv_hash_update(ctx, a, n), 0);
		done += n;
	}
	assert_int_equal(lv_hash_final(ctx, out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* The restarted context hashes the empty message. */
	assert_int_equal(lv_hash_final(ctx, out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	lv_hash_free(ctx);
	free(a);
}

/* ---- HMAC, PBKDF2, Argon2 ---- */

/* RFC 4231 test cases 1 and 2; the empty-key case is the HMAC_SHA256("", "")
 * example published in Wikipedia's HMAC article. */
static void test_hmac_sha256(void **state)
{
	static const char jefe_data[] = "what do ya want for nothing?";
	uint8_t key[20], out[32];

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(lv_hmac("sha256", key, sizeof(key), "Hi There", 8, out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(lv_hmac("sha256", "Jefe", 4, jefe_data, strlen(jefe_data), out,
				 sizeof(out)), 0);
	unit_assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_int_equal(lv_hmac("sha256", NULL, 0, NULL, 0, out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	assert_int_equal(lv_hmac("sha256", "k", 1, "d", 1, out, 31), -EINVAL);
	assert_int_equal(lv_hmac("nohash", "k", 1, "d", 1, out, sizeof(out)), -EINVAL);
}

struct pbkdf2_vector {
	const char *hash;
	const char *password;
	size_t password_len;
	const char *salt;
	size_t salt_len;
	uint32_t iterations;
	const char *dk_hex;
};

#define STR(s) s, sizeof(s) - 1

static const struct pbkdf2_vector pbkdf2_vectors[] = {
	/* RFC 6070, all but the 16777216-iteration case. */
	{ "sha1", STR("password"), STR("salt"), 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6" },
	{ "sha1", STR("password"), STR("salt"), 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957" },
	{ "sha1", STR("password"), STR("salt"), 4096,
	  "4b007901b765489abead49d926f721d065a429c1" },
	{ "sha1", STR("passwordPASSWORDpassword"), STR("saltSALTsaltSALTsaltSALTsaltSALTsalt"),
	  4096, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038" },
	{ "sha1", STR("pass\0word"), STR("sa\0lt"), 4096, "56fa6aa75548099dcc37d7f03425e0c3" },
	/* PBKDF2-HMAC-SHA256, the widely published companions of RFC 6070. */
	{ "sha256", STR("password"), STR("salt"), 1,
	  "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b" },
	{ "sha256", STR("password"), STR("salt"), 2,
	  "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43" },
	{ "sha256", STR("password"), STR("salt"), 4096,
	  "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a" },
	/* RFC 7914 section 11. */
	{ "sha256", STR("passwd"), STR("salt"), 1,
	  "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	  "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783" },
	/* Empty passphrase (LUKS allows one): python3 hashlib.pbkdf2_hmac(
	 * "sha256", b"", b"salt", 1000, 32). */
	{ "sha256", STR(""), STR("salt"), 1000,
	  "94fb56af3ea22e5d3ed1b054085b136ca301b75d8b406c802c489479f27387c6" },
};

static void test_pbkdf2_vectors(void **state)
{
	uint8_t out[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(pbkdf2_vectors); i++) {
		const struct pbkdf2_vector *v = &pbkdf2_vectors[i];
		size_t dk_len = strlen(v->dk_hex) / 2;

		assert_int_equal(lv_pbkdf2(v->hash, v->password, v->password_len, v->salt,
					   v->salt_len, v->iterations, out, dk_len), 0);
		unit_assert_hex(out, dk_len, v->dk_hex);
	}
}

static void test_pbkdf2_errors(void **state)
{
	uint8_t out[32];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(lv_pbkdf2("sha256", "p", 1, "s", 1, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(out[0], 0);
	assert_int_equal(lv_pbkdf2("nohash", "p", 1, "s", 1, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(lv_pbkdf2("sha256", NULL, 1, "s", 1, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(lv_pbkdf2("sha256", "p", 1, "s", 1, 1, out, 0), -EINVAL);
}

/* phc-winner-argon2 src/test.c, version 0x13: "password", "somesalt",
 * 32-byte output; the same values come out of Debian's argon2 CLI. */
static void test_argon2_reference(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(lv_argon2(LV_ARGON2I, STR("password"), STR("somesalt"), 2, 65536, 1,
				   out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "c1628832147d9720c5bd1cfd61367078729f6dfb6f8fea9ff98158e0d7816ed0");
	assert_int_equal(lv_argon2(LV_ARGON2ID, STR("password"), STR("somesalt"), 2, 65536, 1,
				   out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7");
	/* Two lanes. */
	assert_int_equal(lv_argon2(LV_ARGON2ID, STR("password"), STR("somesalt"), 2, 256, 2,
				   out, sizeof(out)), 0);
	unit_assert_hex(out, 32, "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037");
}

static void test_argon2_errors(void **state)
{
	uint8_t out[32];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	/* Salt shorter than 8 bytes. */
	assert_int_equal(lv_argon2(LV_ARGON2ID, STR("password"), STR("salt"), 2, 256, 1,
				   out, sizeof(out)), -EINVAL);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[31], 0);
	/* Less than 8 KiB per lane. */
	assert_int_equal(lv_argon2(LV_ARGON2I, STR("password"), STR("somesalt"), 2, 8, 2,
				   out, sizeof(out)), -EINVAL);
	assert_int_equal(lv_argon2(LV_ARGON2I, STR("password"), STR("somesalt"), 0, 256, 1,
				   out, sizeof(out)), -EINVAL);
	assert_int_equal(lv_argon2((enum lv_argon2_type)7, STR("password"), STR("somesalt"), 2,
				   256, 1, out, sizeof(out)), -EINVAL);
}

/* ---- sector ciphers ---- */

/* Encrypts pt and compares with ct_hex, then decrypts in place. */
static void check_sector_kat(const char *spec, const char *key_hex, uint64_t sector,
			     size_t sector_bytes, const uint8_t *pt, size_t len,
			     const char *ct_hex)
{
	struct lv_sector_cipher *cipher;
	uint8_t key[64], buf[1024];
	size_t key_len = unit_hex(key_hex, key, sizeof(key));

	assert_true(len <= sizeof(buf));
	assert_int_equal(lv_sector_cipher_new(&cipher, spec, key, key_len), 0);
	assert_int_equal(lv_sector_encrypt(cipher, sector, sector_bytes, pt, buf, len), 0);
	unit_assert_hex(buf, len, ct_hex);
	assert_int_equal(lv_sector_decrypt(cipher, sector, sector_bytes, buf, buf, len), 0);
	assert_memory_equal(buf, pt, len);
	lv_sector_cipher_free(cipher);
}

/* IEEE 1619-2007 annex B vectors 2 and 3 (32-byte data units), with the
 * data unit sequence number as the plain64 sector.  Vector 1 uses equal
 * halves (two zero keys), which lv_sector_cipher_new refuses. */
static void test_xts_ieee1619_short(void **state)
{
	struct lv_sector_cipher *cipher;
	uint8_t pt[32], zero_key[32] = { 0 };

	(void)state;
	memset(pt, 0x44, sizeof(pt));
	check_sector_kat("aes-xts-plain64",
			 "11111111111111111111111111111111" "22222222222222222222222222222222",
			 0x3333333333, 32, pt, 32,
			 "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0");
	check_sector_kat("aes-xts-plain64",
			 "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0" "22222222222222222222222222222222",
			 0x3333333333, 32, pt, 32,
			 "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89");
	assert_int_equal(lv_sector_cipher_new(&cipher, "aes-xts-plain64", zero_key,
					      sizeof(zero_key)), -EINVAL);
	assert_null(cipher);
}

/* IEEE 1619-2007 vector 4: XTS-AES-128, one 512-byte sector, number 0. */
static void test_xts_ieee1619_vector4(void **state)
{
	uint8_t pt[512];

	(void)state;
	fill_pattern(pt, sizeof(pt));
	check_sector_kat("aes-xts-plain64",
			 "27182818284590452353602874713526" "31415926535897932384626433832795",
			 0, 512, pt, sizeof(pt),
			 "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
			 "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
			 "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
			 "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
			 "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
			 "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
			 "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
			 "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
			 "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
			 "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
			 "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
			 "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
			 "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
			 "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
			 "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
			 "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568");
}

/* IEEE 1619-2007 vector 10: XTS-AES-256 (a 64-byte key), sector 0xff. */
static void test_xts_ieee1619_vector10(void **state)
{
	uint8_t pt[512];

	(void)state;
	fill_pattern(pt, sizeof(pt));
	check_sector_kat("aes-xts-plain64",
			 "2718281828459045235360287471352662497757247093699959574966967627"
			 "3141592653589793238462643383279502884197169399375105820974944592",
			 0xff, 512, pt, sizeof(pt),
			 "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
			 "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
			 "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
			 "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
			 "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
			 "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
			 "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
			 "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
			 "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
			 "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
			 "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
			 "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
			 "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
			 "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
			 "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
			 "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151");
}

/* Sector numbers advance per sector within one call: vector 2 as the
 * second 32-byte sector of a buffer starting one sector earlier. */
static void test_xts_sector_numbering(void **state)
{
	struct lv_sector_cipher *cipher;
	uint8_t key[32], pt[64], ct[64];

	(void)state;
	unit_hex("11111111111111111111111111111111" "22222222222222222222222222222222", key,
		 sizeof(key));
	memset(pt, 0x44, sizeof(pt));
	assert_int_equal(lv_sector_cipher_new(&cipher, "aes-xts-plain64", key, sizeof(key)), 0);
	assert_int_equal(lv_sector_encrypt(cipher, 0x3333333332, 32, pt, ct, sizeof(ct)), 0);
	unit_assert_hex(ct + 32, 32,
			"c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0");
	assert_memory_not_equal(ct, ct + 32, 32);
	lv_sector_cipher_free(cipher);
}

static void encrypt_one(const char *spec, const uint8_t *key, size_t key_len, uint64_t sector,
			size_t sector_bytes, const uint8_t *pt, uint8_t *ct)
{
	struct lv_sector_cipher *cipher;

	assert_int_equal(lv_sector_cipher_new(&cipher, spec, key, key_len), 0);
	assert_int_equal(lv_sector_encrypt(cipher, sector, sector_bytes, pt, ct, sector_bytes), 0);
	lv_sector_cipher_free(cipher);
}

/* plain keeps only the low 32 bits of the sector number, plain64 all 64. */
static void test_plain_vs_plain64(void **state)
{
	const uint64_t high = (UINT64_C(1) << 32) + 5;
	uint8_t key[64], pt[512], plain_high[512], plain64_low[512], plain64_high[512];

	(void)state;
	fill_pattern(key, sizeof(key));
	fill_pattern(pt, sizeof(pt));
	encrypt_one("aes-xts-plain", key, sizeof(key), high, 512, pt, plain_high);
	encrypt_one("aes-xts-plain64", key, sizeof(key), 5, 512, pt, plain64_low);
	encrypt_one("aes-xts-plain64", key, sizeof(key), high, 512, pt, plain64_high);
	assert_memory_equal(plain_high, plain64_low, sizeof(pt));
	assert_memory_not_equal(plain64_high, plain64_low, sizeof(pt));
}

/*
 * The IV layout of each generator, seen through one-block CBC sectors:
 * C = AES(P ^ IV), so AES-ECB of P ^ expected IV must give the same block.
 */
static void check_iv_layout(const char *spec, const char *iv_hex)
{
	const uint64_t sector = UINT64_C(0x0102030405060708);
	uint8_t key[16], iv[16], pt[16], chained[16], masked[16], ecb[16];

	fill_pattern(key, sizeof(key));
	memset(pt, 0x5a, sizeof(pt));
	unit_hex(iv_hex, iv, sizeof(iv));
	for (size_t i = 0; i < sizeof(pt); i++)
		masked[i] = pt[i] ^ iv[i];
	encrypt_one(spec, key, sizeof(key), sector, 16, pt, chained);
	encrypt_one("aes-ecb", key, sizeof(key), sector, 16, masked, ecb);
	assert_memory_equal(chained, ecb, sizeof(ecb));
}

static void test_iv_layouts(void **state)
{
	(void)state;
	check_iv_layout("aes-cbc-plain", "08070605000000000000000000000000");
	check_iv_layout("aes-cbc-plain64", "08070605040302010000000000000000");
	check_iv_layout("aes-cbc-plain64be", "00000000000000000102030405060708");
}

/*
 * aes-cbc-essiv:sha256, key 000102..0f, sector 0x1122334455, 32 bytes
 * 00..1f in one 32-byte sector.  Expected value from the openssl CLI:
 *   SALT=$(printf 000102030405060708090a0b0c0d0e0f | xxd -r -p |
 *          openssl dgst -sha256 -binary | xxd -p -c 64)
 *   IV=$(printf 55443322110000000000000000000000 | xxd -r -p |
 *        openssl enc -aes-256-ecb -K $SALT -nopad | xxd -p)
 *        (IV = f0887b24508140f43c5d28cc40b335cb)
 *   printf 000102...1f | xxd -r -p | openssl enc -aes-128-cbc \
 *        -K 000102030405060708090a0b0c0d0e0f -iv $IV -nopad | xxd -p -c 64
 */
static void test_cbc_essiv_sha256(void **state)
{
	uint8_t pt[32];

	(void)state;
	fill_pattern(pt, sizeof(pt));
	check_sector_kat("aes-cbc-essiv:sha256", "000102030405060708090a0b0c0d0e0f",
			 0x1122334455, 32, pt, sizeof(pt),
			 "2f9c7871c1af3873c30f8126da06da21e24b023fd3d869a93b9f4a3daecc2b14");
}

/* FIPS-197 appendix C.1 (AES-128) and RFC 3713 appendix A (Camellia-128). */
static void test_ecb_block_ciphers(void **state)
{
	uint8_t pt[16];

	(void)state;
	unit_hex("00112233445566778899aabbccddeeff", pt, sizeof(pt));
	check_sector_kat("aes-ecb", "000102030405060708090a0b0c0d0e0f", 0, 16, pt, 16,
			 "69c4e0d86a7b0430d8cdb78070b4c55a");
	unit_hex("0123456789abcdeffedcba9876543210", pt, sizeof(pt));
	check_sector_kat("camellia-ecb", "0123456789abcdeffedcba9876543210", 0, 16, pt, 16,
			 "67673138549669730857065648eabe43");
}

struct spec_case {
	const char *spec;
	size_t key_len;
};

static const struct spec_case supported_specs[] = {
	{ "aes-xts-plain64", 32 },	{ "aes-xts-plain64", 64 },
	{ "aes-xts-plain", 64 },	{ "aes-xts-plain64be", 32 },
	{ "aes-xts-essiv:sha256", 64 },	{ "aes-cbc-essiv:sha256", 16 },
	{ "aes-cbc-essiv:sha256", 24 },	{ "aes-cbc-essiv:sha256", 32 },
	{ "aes-cbc-plain", 32 },	{ "aes-cbc-plain64", 16 },
	{ "aes-cbc-plain64be", 24 },	{ "aes-ecb", 16 },
	{ "aes-ecb", 24 },		{ "aes-ecb", 32 },
	{ "camellia-cbc-plain64", 32 },	{ "camellia-cbc-essiv:sha256", 16 },
	{ "camellia-ecb", 24 },
};

static void check_round_trip(const struct spec_case *c)
{
	enum { SECTOR = 512, LEN = 4 * SECTOR };
	struct lv_sector_cipher *cipher;
	uint8_t key[64], pt[LEN], ct[LEN], buf[LEN];

	assert_int_equal(lv_random(key, c->key_len), 0);
	assert_int_equal(lv_random(pt, sizeof(pt)), 0);
	assert_int_equal(lv_sector_cipher_new(&cipher, c->spec, key, c->key_len), 0);
	assert_int_equal(lv_sector_encrypt(cipher, 1000, SECTOR, pt, ct, LEN), 0);
	assert_memory_not_equal(ct, pt, LEN);
	/* In place gives the same ciphertext and decrypts back. */
	memcpy(buf, pt, LEN);
	assert_int_equal(lv_sector_encrypt(cipher, 1000, SECTOR, buf, buf, LEN), 0);
	assert_memory_equal(buf, ct, LEN);
	assert_int_equal(lv_sector_decrypt(cipher, 1000, SECTOR, buf, buf, LEN), 0);
	assert_memory_equal(buf, pt, LEN);
	/* Decrypting under another sector number does not. */
	assert_int_equal(lv_sector_decrypt(cipher, 1001, SECTOR, ct, buf, LEN), 0);
	if (!strstr(c->spec, "-ecb"))
		assert_memory_not_equal(buf, pt, LEN);
	lv_sector_cipher_free(cipher);
}

static void test_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(supported_specs); i++)
		check_round_trip(&supported_specs[i]);
}

static void test_null_cipher(void **state)
{
	static const char *const null_specs[] = { "cipher_null-ecb", "cipher_null" };
	struct lv_sector_cipher *cipher;
	uint8_t pt[1024], out[1024];

	(void)state;
	fill_pattern(pt, sizeof(pt));
	for (size_t i = 0; i < ARRAY_SIZE(null_specs); i++) {
		assert_int_equal(lv_sector_cipher_new(&cipher, null_specs[i], NULL, 0), 0);
		assert_int_equal(lv_sector_encrypt(cipher, 7, 512, pt, out, sizeof(out)), 0);
		assert_memory_equal(out, pt, sizeof(pt));
		assert_int_equal(lv_sector_decrypt(cipher, 7, 512, out, out, sizeof(out)), 0);
		assert_memory_equal(out, pt, sizeof(pt));
		assert_int_equal(lv_sector_encrypt(cipher, 7, 512, pt, out, 100), -EINVAL);
		lv_sector_cipher_free(cipher);
	}
	assert_true(lv_cipher_is_null("cipher_null-ecb"));
	assert_true(lv_cipher_is_null("cipher_null"));
	assert_true(lv_cipher_is_null("CIPHER_NULL-ecb"));
	assert_false(lv_cipher_is_null("aes-xts-plain64"));
	assert_false(lv_cipher_is_null("cipher_nullx"));
	assert_false(lv_cipher_is_null(""));
	assert_false(lv_cipher_is_null(NULL));
}

static const struct {
	const char *spec;
	size_t key_len;
	int error;
} bad_specs[] = {
	/* Well formed, but not something this backend provides. */
	{ "twofish-xts-plain64", 64, -ENOTSUP },
	{ "serpent-cbc-essiv:sha256", 32, -ENOTSUP },
	{ "camellia-xts-plain64", 64, -ENOTSUP },
	{ "aes-ctr-plain64", 32, -ENOTSUP },
	{ "aes-xts-benbi", 64, -ENOTSUP },
	{ "aes-xts-plain64", 48, -ENOTSUP },
	{ "capi:xts(aes)-plain64", 64, -ENOTSUP },
	/* Malformed, or an invalid combination. */
	{ "", 32, -EINVAL },
	{ "aes", 32, -EINVAL },
	{ "aes-xts", 64, -EINVAL },
	{ "aes-ecb-plain64", 16, -EINVAL },
	{ "aes--plain64", 64, -EINVAL },
	{ "aes-xts-", 64, -EINVAL },
	{ "aes-xts-plain64:", 64, -EINVAL },
	{ "aes-xts-plain64:sha256", 64, -EINVAL },
	{ "aes-cbc-essiv", 32, -EINVAL },
	{ "aes-cbc-essiv:nohash", 32, -EINVAL },
	{ "aes-cbc-essiv:sha1", 32, -EINVAL },	/* 20-byte salt is no AES key */
	{ "aes-cbc-essiv:sha512", 32, -EINVAL },
	{ "cipher_null-cbc-plain64", 0, -EINVAL },
	{ "aes-xts-plain64", 16, -EINVAL },
	{ "aes-xts-plain64", 33, -EINVAL },
	{ "aes-cbc-plain64", 20, -EINVAL },
	{ "aes-ecb", 0, -EINVAL },
};

static void test_bad_specs(void **state)
{
	struct lv_sector_cipher *cipher;
	char long_spec[300];
	uint8_t key[64];

	(void)state;
	fill_pattern(key, sizeof(key));
	for (size_t i = 0; i < ARRAY_SIZE(bad_specs); i++) {
		int r = lv_sector_cipher_new(&cipher, bad_specs[i].spec, key, bad_specs[i].key_len);

		if (r != bad_specs[i].error)
			fail_msg("%s/%zu: got %d, want %d", bad_specs[i].spec,
				 bad_specs[i].key_len, r, bad_specs[i].error);
		assert_null(cipher);
	}
	assert_int_equal(lv_sector_cipher_new(&cipher, NULL, key, 32), -EINVAL);
	assert_int_equal(lv_sector_cipher_new(&cipher, "aes-xts-plain64", NULL, 64), -EINVAL);
	memset(long_spec, 'a', sizeof(long_spec) - 1);
	long_spec[sizeof(long_spec) - 1] = '\0';
	memcpy(long_spec, "aes-xts-", 8);
	assert_int_equal(lv_sector_cipher_new(&cipher, long_spec, key, 64), -EINVAL);
	assert_null(cipher);
}

static void test_misaligned_lengths(void **state)
{
	struct lv_sector_cipher *cipher;
	uint8_t key[64], buf[1024];

	(void)state;
	fill_pattern(key, sizeof(key));
	fill_pattern(buf, sizeof(buf));
	assert_int_equal(lv_sector_cipher_new(&cipher, "aes-xts-plain64", key, 64), 0);
	assert_int_equal(lv_sector_encrypt(cipher, 0, 512, buf, buf, 1000), -EINVAL);
	assert_int_equal(lv_sector_decrypt(cipher, 0, 512, buf, buf, 513), -EINVAL);
	assert_int_equal(lv_sector_encrypt(cipher, 0, 0, buf, buf, 512), -EINVAL);
	assert_int_equal(lv_sector_encrypt(cipher, 0, 20, buf, buf, 40), -EINVAL);
	assert_int_equal(lv_sector_encrypt(cipher, 0, 512, NULL, buf, 512), -EINVAL);
	assert_int_equal(lv_sector_encrypt(NULL, 0, 512, buf, buf, 512), -EINVAL);
	/* Rejected calls leave the buffer alone. */
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (uint8_t)i);
	assert_int_equal(lv_sector_encrypt(cipher, 0, 512, buf, buf, 0), 0);
	lv_sector_cipher_free(cipher);
	lv_sector_cipher_free(NULL);
}

/* ---- Adiantum: the kernel's, in either build ---- */

/* Set in the VM, whose kernel has Adiantum: there "unsupported" fails. */
static int kernel_crypto_required(void)
{
	const char *v = getenv("LV_TEST_KERNEL_CRYPTO");

	return v && strcmp(v, "1") == 0;
}

/* Where the kernel lacks AF_ALG or Adiantum, what a caller sees is
 * -ENOTSUP (format prints "unsupported by the ... backend").  Returns 1
 * when Adiantum is available. */
static int adiantum_available(const char *spec)
{
	struct lv_sector_cipher *cipher;
	uint8_t key[32];
	int r = lv_sector_cipher_supported(spec, sizeof(key));

	if (r == 0)
		return 1;
	assert_int_equal(r, -ENOTSUP);
	assert_false(kernel_crypto_required());
	fill_pattern(key, sizeof(key));
	assert_int_equal(lv_sector_cipher_new(&cipher, spec, key, sizeof(key)), -ENOTSUP);
	assert_null(cipher);
	print_message("# %s: not in this kernel; checked the unsupported error only\n", spec);
	return 0;
}

struct adiantum_vector {
	const char *kernel_name;
	size_t len;
	const char *ct_hex;
};

/*
 * The Adiantum authors' vectors (github.com/google/adiantum,
 * test_vectors/ours/Adiantum/Adiantum_XChaCha{12,20}_32_AES256.json,
 * "Random ( 1)" with a 32-byte tweak): both variants share key, tweak and
 * plaintext.  Run through the kernel layer directly, since a dm-crypt
 * IV generator cannot express an arbitrary tweak.
 */
static const char adiantum_key_hex[] =
	"9eebb2493c1cf5f46a99c2c4dfb1f4dd752057ea2c4fcdb2a53d7b491eabfd0f";
static const char adiantum_tweak_hex[] =
	"df63d4abd249f3d8338137607dfa7308d8496d80e82f6254eb0ea9395b457f8a";
static const char adiantum_pt16_hex[] = "67c9f23084418e43fbf3b33e79367fe8";
static const char adiantum_key128_hex[] =
	"a52824341a3cd8f705918fee851f357f803dfc9b94f6fc9e190900a904314f11";
static const char adiantum_tweak128_hex[] =
	"a1ba4995ff346db8cd875d5efdea85db8a7b5eb25d57dd62aca98c41429475b7";
static const char adiantum_pt128_hex[] =
	"69b4e88c37e86782f1ec5d04e5149113dff2871b69811d71709e9c3bde497011"
	"a0a3db0d544f6669d7db80a7709268ce81042cc6abaee56015e96fefaa8fa7a7"
	"638ff2f077f1a8eae1b71f9eab9e4b3f07875b6fcda8afb9fa700b52b8a8a79e"
	"075fa60eb39b791379c33e8d1c2c68c8511d3c7b7d79772a5665c5542328b003";

static const struct adiantum_vector adiantum_vectors[] = {
	{ "adiantum(xchacha12,aes)", 16, "6d32861867860f3f967c9d280d53ec9f" },
	{ "adiantum(xchacha12,aes)", 128,
	  "9e16abed4ba7425ac6fb4e76ffbe03a00fe3adbae4982b0e2148a0b865482748"
	  "845454b29a947be64b29e9cf0591801a3af34196851d9f74515663fa7c288549"
	  "f72ff9f21846f53380a33cceb25793f5aebda9f57b30c49366e0307716e4a031"
	  "ba70bc6813f5b09ac1fc7efe55805c4874a6aaa3acdcc2f58dde34867860758d" },
	{ "adiantum(xchacha20,aes)", 16, "f67897d6aa9401272e4d83e06e649adf" },
	{ "adiantum(xchacha20,aes)", 128,
	  "b18ba00577a84d591b8e21fc3a49fad4eb36f3c4dfdcae67073f700ee966f50c"
	  "304d66c9a42f739c13c84944cc0a909d7cdd193fea728d58abe7092cecb544d2"
	  "caa62d7a5c9c2b15ec2aa66991f9f313f772c1c140d5e194f429a13e2502a83e"
	  "94c19114a114cbbe674cb938fea7aa3229620db2f63c5857c1d55abbd6a62ae5" },
};

static void check_adiantum_vector(const struct adiantum_vector *v)
{
	struct lv_kernel_alg alg;
	uint8_t key[32], tweak[32], pt[128], buf[128];
	int long_vector = v->len == 128;

	unit_hex(long_vector ? adiantum_key128_hex : adiantum_key_hex, key, sizeof(key));
	unit_hex(long_vector ? adiantum_tweak128_hex : adiantum_tweak_hex, tweak, sizeof(tweak));
	unit_hex(long_vector ? adiantum_pt128_hex : adiantum_pt16_hex, pt, sizeof(pt));
	assert_int_equal(lv_kernel_alg_open(&alg, "skcipher", v->kernel_name, key, sizeof(key)), 0);
	assert_int_equal(lv_kernel_skcipher_crypt(&alg, 1, tweak, sizeof(tweak), pt, buf, v->len),
			 0);
	unit_assert_hex(buf, v->len, v->ct_hex);
	assert_int_equal(lv_kernel_skcipher_crypt(&alg, 0, tweak, sizeof(tweak), buf, buf, v->len),
			 0);
	assert_memory_equal(buf, pt, v->len);
	lv_kernel_alg_close(&alg);
}

static void test_adiantum_reference(void **state)
{
	(void)state;
	if (!adiantum_available("xchacha12,aes-adiantum-plain64") ||
	    !adiantum_available("xchacha20,aes-adiantum-plain64"))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(adiantum_vectors); i++)
		check_adiantum_vector(&adiantum_vectors[i]);
}

/*
 * plain64 with Adiantum (dm-crypt): the 32-byte tweak is the sector number
 * little-endian in its first 8 bytes, zero after.  Each 4096-byte sector
 * of a call must equal one kernel request under that tweak.
 */
static void test_adiantum_plain64_sectors(void **state)
{
	static const struct {
		const char *spec;
		const char *kernel_name;
	} specs[] = {
		{ "xchacha12,aes-adiantum-plain64", "adiantum(xchacha12,aes)" },
		{ "xchacha20,aes-adiantum-plain64", "adiantum(xchacha20,aes)" },
	};
	enum { SECTOR = 4096, COUNT = 2 };
	const uint64_t first = UINT64_C(0x0102030405060708);

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
		struct lv_sector_cipher *cipher;
		struct lv_kernel_alg alg;
		static uint8_t pt[COUNT * SECTOR], ct[COUNT * SECTOR], one[SECTOR];
		uint8_t key[32], tweak[32] = { 0 };

		if (!adiantum_available(specs[s].spec))
			continue;
		fill_pattern(key, sizeof(key));
		assert_int_equal(lv_random(pt, sizeof(pt)), 0);
		assert_int_equal(lv_sector_cipher_new(&cipher, specs[s].spec, key, sizeof(key)), 0);
		assert_int_equal(lv_sector_encrypt(cipher, first, SECTOR, pt, ct, sizeof(pt)), 0);
		assert_int_equal(lv_kernel_alg_open(&alg, "skcipher", specs[s].kernel_name, key,
						    sizeof(key)), 0);
		for (uint64_t i = 0; i < COUNT; i++) {
			for (int b = 0; b < 8; b++)
				tweak[b] = (uint8_t)((first + i) >> (8 * b));
			assert_int_equal(lv_kernel_skcipher_crypt(&alg, 1, tweak, sizeof(tweak),
								  pt + i * SECTOR, one, SECTOR), 0);
			assert_memory_equal(one, ct + i * SECTOR, SECTOR);
		}
		lv_kernel_alg_close(&alg);
		assert_int_equal(lv_sector_decrypt(cipher, first, SECTOR, ct, ct, sizeof(ct)), 0);
		assert_memory_equal(ct, pt, sizeof(pt));
		lv_sector_cipher_free(cipher);
	}
}

/* Decided before any kernel is asked, so the same on every host. */
static void test_adiantum_spec_errors(void **state)
{
	static const struct {
		const char *spec;
		size_t key_len;
		int error;
	} cases[] = {
		{ "xchacha12,aes-adiantum-plain64", 64, -EINVAL },
		{ "xchacha20,aes-adiantum-plain64", 16, -EINVAL },
		{ "xchacha12,aes-adiantum", 32, -EINVAL },
		{ "xchacha8,aes-adiantum-plain64", 32, -ENOTSUP },
		{ "aes-adiantum-plain64", 32, -ENOTSUP },
		{ "xchacha12,aes-adiantum-essiv:sha256", 32, -ENOTSUP },
		{ "xchacha12,aes-adiantum-benbi", 32, -ENOTSUP },
	};
	struct lv_sector_cipher *cipher;
	uint8_t key[64];

	(void)state;
	fill_pattern(key, sizeof(key));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = lv_sector_cipher_new(&cipher, cases[i].spec, key, cases[i].key_len);

		if (r != cases[i].error)
			fail_msg("%s/%zu: got %d, want %d", cases[i].spec, cases[i].key_len, r,
				 cases[i].error);
		assert_null(cipher);
	}
}

/* ---- AF splitter ---- */

static void test_af_sizes(void **state)
{
	(void)state;
	assert_int_equal(lv_af_split_bytes(32, 4000), 128000);
	assert_int_equal(lv_af_split_sectors_bytes(32, 4000), 128000);
	assert_int_equal(lv_af_split_bytes(20, 4000), 80000);
	assert_int_equal(lv_af_split_sectors_bytes(20, 4000), 80384);
	assert_int_equal(lv_af_split_bytes(0, 4000), 0);
	assert_int_equal(lv_af_split_bytes(32, 0), 0);
	assert_int_equal(lv_af_split_bytes(SIZE_MAX / 2 + 1, 2), 0);
	assert_int_equal(lv_af_split_sectors_bytes(SIZE_MAX, 1), 0);
}

static void check_af_round_trip(size_t key_len, const char *hash)
{
	const unsigned stripes = 4000;
	size_t split_bytes = lv_af_split_bytes(key_len, stripes);
	struct lv_secret *split = lv_secret_new(split_bytes);
	uint8_t key[64], merged[64];

	assert_non_null(split);
	assert_int_equal(lv_random(key, key_len), 0);
	assert_int_equal(lv_af_split(key, key_len, stripes, hash, split->bytes), 0);
	assert_int_equal(lv_af_merge(split->bytes, key_len, stripes, hash, merged), 0);
	assert_memory_equal(merged, key, key_len);
	/* Damage to any stripe, first or last, loses the key. */
	split->bytes[0] ^= 1;
	assert_int_equal(lv_af_merge(split->bytes, key_len, stripes, hash, merged), 0);
	assert_memory_not_equal(merged, key, key_len);
	split->bytes[0] ^= 1;
	split->bytes[split_bytes - 1] ^= 0x80;
	assert_int_equal(lv_af_merge(split->bytes, key_len, stripes, hash, merged), 0);
	assert_memory_not_equal(merged, key, key_len);
	lv_secret_free(&split);
}

static void test_af_round_trips(void **state)
{
	static const size_t key_lens[] = { 16, 32, 64 };
	static const char *const hashes[] = { "sha1", "sha256", "sha512" };

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(key_lens); k++)
		for (size_t h = 0; h < ARRAY_SIZE(hashes); h++)
			check_af_round_trip(key_lens[k], hashes[h]);
}

/* Expected keys from tests/unit/af_vector.py (python3 hashlib), the same
 * material: byte j of stripe i is (i * 7 + j) mod 256. */
static void check_af_merge_vector(size_t key_len, unsigned stripes, const char *hash,
				  const char *key_hex)
{
	uint8_t split[256], key[64];

	assert_true(key_len * stripes <= sizeof(split) && key_len <= sizeof(key));
	for (unsigned i = 0; i < stripes; i++)
		for (size_t j = 0; j < key_len; j++)
			split[i * key_len + j] = (uint8_t)((i * 7 + j) % 256);
	assert_int_equal(lv_af_merge(split, key_len, stripes, hash, key), 0);
	unit_assert_hex(key, key_len, key_hex);
}

static void test_af_merge_vectors(void **state)
{
	(void)state;
	check_af_merge_vector(20, 3, "sha1", "39aa79c0bd53222dd0f3498333a22f6999105734");
	/* 32 bytes over a 20-byte digest: a 12-byte partial block. */
	check_af_merge_vector(32, 3, "sha1",
			      "39aa79c0bd53222dd0f3498333a22f6999105734a2aee3f3515e7a1c67d52984");
	check_af_merge_vector(20, 4, "sha256", "0be6162dec9927c1c2aac2707d6288b56958ea97");
}

static void test_af_errors(void **state)
{
	uint8_t key[32], split[32 * 4];

	(void)state;
	fill_pattern(key, sizeof(key));
	assert_int_equal(lv_af_split(key, sizeof(key), 0, "sha256", split), -EINVAL);
	assert_int_equal(lv_af_split(key, 0, 4, "sha256", split), -EINVAL);
	assert_int_equal(lv_af_split(key, SIZE_MAX / 2 + 1, 2, "sha256", split), -EINVAL);
	/* A failed split leaves no material behind. */
	memset(split, 0xaa, sizeof(split));
	assert_int_equal(lv_af_split(key, sizeof(key), 4, "nohash", split), -EINVAL);
	for (size_t i = 0; i < sizeof(split); i++)
		assert_int_equal(split[i], 0);
	assert_int_equal(lv_af_merge(split, sizeof(key), 4, "nohash", key), -EINVAL);
	for (size_t i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], 0);
	assert_int_equal(lv_af_merge(split, sizeof(key), 0, "sha256", key), -EINVAL);
	assert_int_equal(lv_af_merge(NULL, sizeof(key), 4, "sha256", key), -EINVAL);
}

/* One stripe is the key itself: nothing is folded. */
static void test_af_single_stripe(void **state)
{
	uint8_t key[16], split[16], merged[16];

	(void)state;
	fill_pattern(key, sizeof(key));
	assert_int_equal(lv_af_split(key, sizeof(key), 1, "sha256", split), 0);
	assert_memory_equal(split, key, sizeof(key));
	assert_int_equal(lv_af_merge(split, sizeof(key), 1, "sha256", merged), 0);
	assert_memory_equal(merged, key, sizeof(key));
}

/* ---- random, comparison, secrets ---- */

static void test_random(void **state)
{
	uint8_t a[32], b[32], zero[32] = { 0 };

	(void)state;
	assert_int_equal(lv_random(a, sizeof(a)), 0);
	assert_int_equal(lv_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(lv_random(a, 0), 0);
	assert_int_equal(lv_random(NULL, 1), -EINVAL);
}

static void test_memeq_and_wipe(void **state)
{
	uint8_t a[64], b[64];

	(void)state;
	fill_pattern(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(lv_memeq(a, b, sizeof(a)), 1);
	b[0] ^= 0x80;
	assert_int_equal(lv_memeq(a, b, sizeof(a)), 0);
	b[0] ^= 0x80;
	b[63] ^= 1;
	assert_int_equal(lv_memeq(a, b, sizeof(a)), 0);
	assert_int_equal(lv_memeq(a, b, 63), 1);
	assert_int_equal(lv_memeq(NULL, NULL, 0), 1);
	lv_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i], 0);
	lv_wipe(NULL, 0);
}

static void test_secrets(void **state)
{
	struct lv_secret *s = lv_secret_new(5000), *copy;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->len, 5000);
	for (size_t i = 0; i < s->len; i++)
		assert_int_equal(s->bytes[i], 0);
	fill_pattern(s->bytes, s->len);
	copy = lv_secret_dup(s->bytes, s->len);
	assert_non_null(copy);
	assert_int_equal(copy->len, 5000);
	assert_memory_equal(copy->bytes, s->bytes, s->len);
	/* A caller may shorten len; freeing still releases the whole mapping. */
	s->len = 3;
	lv_secret_free(&s);
	assert_null(s);
	lv_secret_free(&copy);
	assert_null(copy);
	lv_secret_free(&s);
	lv_secret_free(NULL);

	s = lv_secret_new(0);
	assert_non_null(s);
	assert_non_null(s->bytes);
	assert_int_equal(s->len, 0);
	lv_secret_free(&s);
	assert_null(lv_secret_dup(NULL, 1));
	assert_null(lv_secret_new(SIZE_MAX));
}

static void test_backend_name(void **state)
{
	(void)state;
	assert_string_equal(lv_crypto_backend(), LV_TEST_BACKEND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_abc),
		cmocka_unit_test(test_hash_other_names),
		cmocka_unit_test(test_hash_size_and_names),
		cmocka_unit_test(test_hash_parts_and_incremental),
		cmocka_unit_test(test_hash_million_a_in_pieces),
		cmocka_unit_test(test_hmac_sha256),
		cmocka_unit_test(test_pbkdf2_vectors),
		cmocka_unit_test(test_pbkdf2_errors),
		cmocka_unit_test(test_argon2_reference),
		cmocka_unit_test(test_argon2_errors),
		cmocka_unit_test(test_xts_ieee1619_short),
		cmocka_unit_test(test_xts_ieee1619_vector4),
		cmocka_unit_test(test_xts_ieee1619_vector10),
		cmocka_unit_test(test_xts_sector_numbering),
		cmocka_unit_test(test_plain_vs_plain64),
		cmocka_unit_test(test_iv_layouts),
		cmocka_unit_test(test_cbc_essiv_sha256),
		cmocka_unit_test(test_ecb_block_ciphers),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_null_cipher),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_misaligned_lengths),
		cmocka_unit_test(test_adiantum_reference),
		cmocka_unit_test(test_adiantum_plain64_sectors),
		cmocka_unit_test(test_adiantum_spec_errors),
		cmocka_unit_test(test_af_sizes),
		cmocka_unit_test(test_af_round_trips),
		cmocka_unit_test(test_af_merge_vectors),
		cmocka_unit_test(test_af_errors),
		cmocka_unit_test(test_af_single_stripe),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_memeq_and_wipe),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_backend_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
