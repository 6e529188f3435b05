/* SPDX-License-Identifier: ISC */
/*
 * keyslot_luks2.c: the "luks2" keyslot type (luks2-reference.md §3.1-§3.2).
 * A passphrase goes through the keyslot KDF to an area key; the area holds
 * the volume key, AF-split into 4000 stripes and encrypted in 512-byte
 * sectors numbered from 0 at the area start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/af.h"
#include "luks2/keyslot.h"

#define AREA_SECTOR_BYTES 512

uint64_t lv_keyslot_af_bytes(uint32_t key_size)
{
	return ((uint64_t)key_size * LV_AF_STRIPES + AREA_SECTOR_BYTES - 1) /
	       AREA_SECTOR_BYTES * AREA_SECTOR_BYTES;
}

uint64_t lv_keyslot_area_bytes(uint32_t key_size)
{
	return ((uint64_t)key_size * LV_AF_STRIPES + LV_AREA_ALIGN - 1) / LV_AREA_ALIGN *
	       LV_AREA_ALIGN;
}

static int derive_area_key(const struct lv_kdf *kdf, const struct lv_secret *passphrase,
			   struct lv_secret *area_key)
{
	switch (kdf->kind) {
	case LV_KDF_PBKDF2:
		return lv_pbkdf2(kdf->hash, passphrase->bytes, passphrase->len, kdf->salt.bytes,
				 kdf->salt.len, (uint32_t)kdf->iterations, area_key->bytes,
				 area_key->len);
	case LV_KDF_ARGON2I:
	case LV_KDF_ARGON2ID:
		return lv_argon2(kdf->kind == LV_KDF_ARGON2I ? LV_ARGON2I : LV_ARGON2ID,
				 passphrase->bytes, passphrase->len, kdf->salt.bytes,
				 kdf->salt.len, (uint32_t)kdf->time_cost,
				 (uint32_t)kdf->memory_kib, (uint32_t)kdf->cpus,
				 area_key->bytes, area_key->len);
	default:
		return -ENOTSUP;
	}
}

/* Runs the area cipher over buf (AF material) in place. */
static int area_crypt(const struct lv_keyslot *ks, const struct lv_secret *area_key,
		      uint8_t *buf, size_t len, int encrypt)
{
	struct lv_sector_cipher *cipher;
	int r = lv_sector_cipher_new(&cipher, ks->area.encryption, area_key->bytes,
				     area_key->len);

	if (r < 0)
		return r;
	r = encrypt ? lv_sector_encrypt(cipher, 0, AREA_SECTOR_BYTES, buf, buf, len)
		    : lv_sector_decrypt(cipher, 0, AREA_SECTOR_BYTES, buf, buf, len);
	lv_sector_cipher_free(cipher);
	return r;
}

static int cipher_error(struct lv_err *err, int r, const struct lv_keyslot *ks)
{
	if (r == -ENOTSUP)
		return lv_err_set(err, r, "keyslot %s: cipher \"%s\" is unsupported by the %s crypto backend%s",
				  ks->id.text, ks->area.encryption, lv_crypto_backend(),
				  lv_crypto_kernel_hint(1, ks->area.encryption));
	return lv_err_set(err, r, "keyslot %s: cannot run cipher \"%s\"", ks->id.text,
			  ks->area.encryption);
}

int lv_keyslot_recover_key(struct lv_device *dev, const struct lv_keyslot *ks,
			   const struct lv_secret *passphrase, struct lv_secret **key,
			   struct lv_err *err)
{
	uint64_t af_bytes = lv_keyslot_af_bytes(ks->key_size);
	struct lv_secret *area_key = NULL, *material = NULL;
	int r;

	*key = NULL;
	/* A null-cipher area is readable by anyone: only an empty passphrase
	 * may open it (cryptsetup 2.8.1, CVE-2025-59054). */
	if (lv_cipher_is_null(ks->area.encryption) && passphrase->len)
		return lv_err_set(err, -EPERM, "keyslot %s: null cipher", ks->id.text);
	area_key = lv_secret_new((size_t)ks->area.key_size);
	material = lv_secret_new((size_t)af_bytes);
	*key = lv_secret_new(ks->key_size);
	if (!area_key || !material || !*key) {
		r = lv_err_set(err, -ENOMEM, "keyslot %s: out of memory", ks->id.text);
		goto out;
	}
	r = derive_area_key(&ks->kdf, passphrase, area_key);
	if (r < 0) {
		r = lv_err_set(err, r, "keyslot %s: %s key derivation failed", ks->id.text,
			       ks->kdf.type);
		goto out;
	}
	r = lv_storage_read(dev->storage, ks->area.offset_bytes, material->bytes, af_bytes);
	if (r < 0) {
		r = lv_err_set(err, r == -ENODATA ? -ENODATA : -EIO,
			       "%s: keyslot %s: cannot read its area", dev->storage->name, ks->id.text);
		goto out;
	}
	r = area_crypt(ks, area_key, material->bytes, af_bytes, 0);
	if (r < 0) {
		r = cipher_error(err, r, ks);
		goto out;
	}
	r = lv_af_merge(material->bytes, ks->key_size, LV_AF_STRIPES, ks->af.hash, (*key)->bytes);
	if (r < 0)
		r = lv_err_set(err, r, "keyslot %s: AF merge failed", ks->id.text);
out:
	lv_secret_free(&area_key);
	lv_secret_free(&material);
	if (r < 0)
		lv_secret_free(key);
	return r;
}

int lv_keyslot_store_key(struct lv_device *dev, struct lv_keyslot *ks,
			 const struct lv_secret *passphrase,
			 const struct lv_secret *volume_key, struct lv_err *err)
{
	uint64_t af_bytes = lv_keyslot_af_bytes(ks->key_size);
	struct lv_secret *area_key = NULL, *material = NULL;
	int r;

	if (volume_key->len != ks->key_size || af_bytes > ks->area.size_bytes)
		return lv_err_set(err, -EINVAL, "keyslot %s: area too small", ks->id.text);
	if ((r = lv_random(ks->kdf.salt.bytes, LV_SALT_LEN)) < 0)
		return lv_err_set(err, r, "cannot generate a salt");
	ks->kdf.salt.len = LV_SALT_LEN;
	ks->kdf.salt.valid = true;
	ks->kdf.salt.text = NULL;
	area_key = lv_secret_new((size_t)ks->area.key_size);
	material = lv_secret_new((size_t)af_bytes);
	if (!area_key || !material) {
		r = lv_err_set(err, -ENOMEM, "keyslot %s: out of memory", ks->id.text);
		goto out;
	}
	if ((r = derive_area_key(&ks->kdf, passphrase, area_key)) < 0) {
		r = lv_err_set(err, r, "keyslot %s: %s key derivation failed", ks->id.text,
			       ks->kdf.type);
		goto out;
	}
	r = lv_af_split(volume_key->bytes, ks->key_size, LV_AF_STRIPES, ks->af.hash,
			material->bytes);
	if (r < 0) {
		r = lv_err_set(err, r, "keyslot %s: AF split failed", ks->id.text);
		goto out;
	}
	if ((r = area_crypt(ks, area_key, material->bytes, af_bytes, 1)) < 0) {
		r = cipher_error(err, r, ks);
		goto out;
	}
	/* The area may be one a writer that bypassed the lock has just
	 * given to its own keyslot. */
	if ((r = lv_device_check_seqid(dev, err)) < 0)
		goto out;
	r = lv_storage_write(dev->storage, ks->area.offset_bytes, material->bytes, af_bytes);
	if (r == 0)
		r = lv_storage_sync(dev->storage);
	if (r < 0)
		r = lv_err_set(err, r, "%s: keyslot %s: cannot write its area: %s",
			       dev->storage->name, ks->id.text, strerror(-r));
out:
	lv_secret_free(&area_key);
	lv_secret_free(&material);
	return r;
}

int lv_keyslot_wipe_area(struct lv_device *dev, uint64_t offset, uint64_t size,
			 struct lv_err *err)
{
	enum { CHUNK = 64 * 1024 };
	uint8_t *chunk = malloc(CHUNK);
	int r = 0;

	if (!chunk)
		return lv_err_set(err, -ENOMEM, "out of memory");
	for (uint64_t done = 0; r == 0 && done < size; done += CHUNK) {
		size_t len = size - done < CHUNK ? (size_t)(size - done) : CHUNK;

		r = lv_random(chunk, len);
		if (r == 0)
			r = lv_storage_write(dev->storage, offset + done, chunk, len);
	}
	if (r == 0)
		r = lv_storage_sync(dev->storage);
	free(chunk);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot wipe the keyslot area at %llu: %s",
				  dev->storage->name, (unsigned long long)offset, strerror(-r));
	return 0;
}
