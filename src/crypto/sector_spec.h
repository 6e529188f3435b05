/* SPDX-License-Identifier: ISC */
/*
 * sector_spec.h: what every crypto backend shares about dm-crypt cipher
 * specs ("aes-xts-plain64", "xchacha12,aes-adiantum-plain64", ...): how a
 * spec splits, which modes and IV generators exist, which key sizes are
 * valid, and how an IV is laid out.  Only src/crypto/ includes it.
 */
#ifndef LV_SECTOR_SPEC_H
#define LV_SECTOR_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define LV_DM_SPEC_MAX 127		/* as long as a LUKS2 cipher string may be */
#define LV_SECTOR_IV_MAX_BYTES 32	/* Adiantum's tweak; block modes use 16 */

enum lv_chain_mode {
	LV_MODE_NULL,
	LV_MODE_ECB,
	LV_MODE_CBC,
	LV_MODE_XTS,
	LV_MODE_ADIANTUM,	/* wide-block: the whole sector is one block */
};

enum lv_iv_gen { LV_IV_NONE, LV_IV_PLAIN, LV_IV_PLAIN64, LV_IV_PLAIN64BE, LV_IV_ESSIV };

/* "<cipher>[-<mode>[-<ivgen>[:<ivopts>]]]" split in place; absent parts
 * are NULL.  ivopts may contain '-' ("essiv:sha3-256"). */
struct lv_dm_spec {
	char buf[LV_DM_SPEC_MAX + 1];
	const char *cipher;
	const char *mode_name;
	const char *iv_name;
	const char *iv_opts;		/* the ESSIV hash */
	enum lv_chain_mode mode;
	enum lv_iv_gen iv_gen;
};

/* Splits dm_spec and names its mode and IV generator: -EINVAL when
 * malformed or an invalid combination, -ENOTSUP for a mode or generator
 * luksvol does not implement.  The null cipher parses as LV_MODE_NULL. */
int lv_dm_spec_parse(const char *dm_spec, struct lv_dm_spec *spec);

/* 1 when key_len bytes is a valid key for a 128-bit block cipher in mode
 * (AES and Camellia: 16, 24 or 32 bytes; XTS: two of those). */
int lv_block_key_len_valid(enum lv_chain_mode mode, size_t key_len);

/* 0 when key is a usable block-cipher key for mode, else -EINVAL: a
 * valid length, and for XTS two different halves. */
int lv_block_key_check(enum lv_chain_mode mode, const uint8_t *key, size_t key_len);

/* The IV of one sector, iv_bytes long (at most LV_SECTOR_IV_MAX_BYTES).
 * For LV_IV_ESSIV this is the plain64 input that the ESSIV cipher then
 * encrypts. */
void lv_sector_iv(enum lv_iv_gen gen, uint64_t sector, uint8_t *iv, size_t iv_bytes);

/* Checks the arguments of lv_sector_encrypt/decrypt for a cipher whose
 * unit is block_bytes: 0 or -EINVAL. */
int lv_sector_args_check(size_t block_bytes, size_t sector_bytes, const uint8_t *in,
			 const uint8_t *out, size_t len);

#endif
