/* SPDX-License-Identifier: ISC */
/* sector_spec.c: dm-crypt cipher specs, shared by every crypto backend. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "base/ascii.h"
#include "crypto/crypto.h"
#include "crypto/sector_spec.h"

static char *split_at(char *s, char sep)
{
	char *p = s ? strchr(s, sep) : NULL;

	if (!p)
		return NULL;
	*p = '\0';
	return p + 1;
}

static int is_named(const char *s, const char *name)
{
	return s && strcmp(s, name) == 0;
}

static int split_spec(const char *dm_spec, struct lv_dm_spec *spec)
{
	size_t len = dm_spec ? strnlen(dm_spec, LV_DM_SPEC_MAX + 1) : 0;
	char *mode, *iv_gen, *iv_opts;

	if (len == 0 || len > LV_DM_SPEC_MAX)
		return -EINVAL;
	memcpy(spec->buf, dm_spec, len);
	spec->buf[len] = '\0';
	mode = split_at(spec->buf, '-');
	iv_gen = split_at(mode, '-');
	iv_opts = split_at(iv_gen, ':');
	spec->cipher = spec->buf;
	spec->mode_name = mode;
	spec->iv_name = iv_gen;
	spec->iv_opts = iv_opts;
	if (!*spec->cipher || (mode && !*mode) || (iv_gen && !*iv_gen) ||
	    (iv_opts && !*iv_opts))
		return -EINVAL;
	return 0;
}

static int parse_mode(struct lv_dm_spec *spec)
{
	if (!spec->mode_name)
		return -EINVAL;
	if (is_named(spec->mode_name, "ecb"))
		spec->mode = LV_MODE_ECB;
	else if (is_named(spec->mode_name, "cbc"))
		spec->mode = LV_MODE_CBC;
	else if (is_named(spec->mode_name, "xts"))
		spec->mode = LV_MODE_XTS;
	else if (is_named(spec->mode_name, "adiantum"))
		spec->mode = LV_MODE_ADIANTUM;
	else
		return -ENOTSUP;
	/* ECB takes no IV; the other modes need a generator. */
	if ((spec->mode == LV_MODE_ECB) != !spec->iv_name)
		return -EINVAL;
	return 0;
}

static int parse_iv_gen(struct lv_dm_spec *spec)
{
	if (!spec->iv_name) {
		spec->iv_gen = LV_IV_NONE;
		return 0;
	}
	if (is_named(spec->iv_name, "essiv")) {
		spec->iv_gen = LV_IV_ESSIV;
		return spec->iv_opts ? 0 : -EINVAL;
	}
	if (is_named(spec->iv_name, "plain"))
		spec->iv_gen = LV_IV_PLAIN;
	else if (is_named(spec->iv_name, "plain64"))
		spec->iv_gen = LV_IV_PLAIN64;
	else if (is_named(spec->iv_name, "plain64be"))
		spec->iv_gen = LV_IV_PLAIN64BE;
	else
		return -ENOTSUP;
	return spec->iv_opts ? -EINVAL : 0;
}

int lv_cipher_is_null(const char *dm_spec)
{
	static const char null_cipher[] = "cipher_null";
	const size_t n = sizeof(null_cipher) - 1;

	/* Case-insensitive (ASCII, whatever the locale) and prefix-based on
	 * purpose: this guards against opening a null-cipher keyslot, so it
	 * must not under-match. */
	return dm_spec && lv_ascii_ncaseeq(dm_spec, null_cipher, n) &&
	       (dm_spec[n] == '\0' || dm_spec[n] == '-');
}

int lv_dm_spec_parse(const char *dm_spec, struct lv_dm_spec *spec)
{
	int r = split_spec(dm_spec, spec);

	if (r < 0)
		return r;
	if (is_named(spec->cipher, "cipher_null")) {
		if (spec->iv_name || (spec->mode_name && !is_named(spec->mode_name, "ecb")))
			return -EINVAL;
		spec->mode = LV_MODE_NULL;
		spec->iv_gen = LV_IV_NONE;
		return 0;
	}
	if ((r = parse_mode(spec)) < 0 || (r = parse_iv_gen(spec)) < 0)
		return r;
	return 0;
}

int lv_block_key_len_valid(enum lv_chain_mode mode, size_t key_len)
{
	/* XTS takes two keys of the block cipher's sizes. */
	size_t single = mode == LV_MODE_XTS ? key_len / 2 : key_len;

	if (mode == LV_MODE_XTS && key_len % 2)
		return 0;
	return single == 16 || single == 24 || single == 32;
}

int lv_block_key_check(enum lv_chain_mode mode, const uint8_t *key, size_t key_len)
{
	if (!key || !lv_block_key_len_valid(mode, key_len))
		return -EINVAL;
	/* XTS needs independent data and tweak keys; equal halves void its
	 * security proof, and OpenSSL refuses them for encryption anyway. */
	if (mode == LV_MODE_XTS && lv_memeq(key, key + key_len / 2, key_len / 2))
		return -EINVAL;
	return 0;
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

void lv_sector_iv(enum lv_iv_gen gen, uint64_t sector, uint8_t *iv, size_t iv_bytes)
{
	memset(iv, 0, iv_bytes);
	if (iv_bytes < 8)
		return;
	switch (gen) {
	case LV_IV_NONE:
		return;
	case LV_IV_PLAIN:
		put_le64(iv, sector & UINT32_MAX);
		return;
	case LV_IV_PLAIN64:
	case LV_IV_ESSIV:
		put_le64(iv, sector);
		return;
	case LV_IV_PLAIN64BE:
		put_be64(iv + iv_bytes - 8, sector);
		return;
	}
}

int lv_sector_args_check(size_t block_bytes, size_t sector_bytes, const uint8_t *in,
			 const uint8_t *out, size_t len)
{
	if ((len && (!in || !out)) || block_bytes == 0 || sector_bytes == 0 ||
	    sector_bytes > INT_MAX || sector_bytes % block_bytes || len % sector_bytes)
		return -EINVAL;
	return 0;
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
