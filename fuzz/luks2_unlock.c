/* SPDX-License-Identifier: ISC */
/*
 * luks2_unlock.c: load, then lv_unlock with the fixed passphrase
 * FZ_PASSPHRASE: the strict keyslot checks, the KDF, the keyslot-area read
 * and decryption, the AF merge and the volume-key digest.  On success the
 * dm-crypt table that activation would load is built from the volume key
 * and parsed back.
 *
 * The input is a device image holding the metadata and the keyslots area
 * (seeds: tiny images luksvol and cryptsetup format with FZ_PASSPHRASE, so
 * the passphrase does open them).  The control byte (fuzz_common.h) also
 * picks between trying every keyslot and naming one.
 *
 * Cost caps.  A header may ask for any KDF cost; a fuzzer cannot wait for a
 * 1 GiB argon2.  After the load, and before lv_unlock, the harness lowers
 * the parsed metadata's costs in memory (the code under test never sees
 * the JSON again): pbkdf2 and digest iterations to at most 1000, argon2
 * time to at most 4, memory to at most 64 KiB, threads to 1.  The AF merge
 * costs key_size * 4000 / digest_size hashes: keyslots with keys above 64
 * bytes, and all but the first two keyslots in unlock order, get priority
 * "ignore" (not tried).  Seeds are within the caps, so they still unlock.
 */
#include <stdlib.h>
#include <string.h>

#include "dm/crypt_table.h"
#include "fuzz_common.h"
#include "luks2/device.h"

#define FZ_PASSPHRASE "fuzz-passphrase"
#define CAP_PBKDF2_ITERATIONS 1000
#define CAP_ARGON2_TIME 4
#define CAP_ARGON2_MEMORY_KIB 64
#define CAP_ARGON2_CPUS 1
#define CAP_DIGEST_ITERATIONS 1000
#define CAP_KEY_BYTES 64
#define CAP_TRIED_KEYSLOTS 2

static void cap_kdf(struct lv_kdf *kdf)
{
	if (kdf->kind == LV_KDF_PBKDF2 && kdf->iterations > CAP_PBKDF2_ITERATIONS)
		kdf->iterations = CAP_PBKDF2_ITERATIONS;
	if (kdf->kind == LV_KDF_ARGON2I || kdf->kind == LV_KDF_ARGON2ID) {
		if (kdf->time_cost > CAP_ARGON2_TIME)
			kdf->time_cost = CAP_ARGON2_TIME;
		if (kdf->memory_kib > CAP_ARGON2_MEMORY_KIB)
			kdf->memory_kib = CAP_ARGON2_MEMORY_KIB;
		if (kdf->cpus > CAP_ARGON2_CPUS)
			kdf->cpus = CAP_ARGON2_CPUS;
	}
}

static int priority_of(const struct lv_keyslot *ks)
{
	return ks->has_priority ? (int)ks->priority : LV_PRIORITY_NORMAL;
}

static void cap_costs(struct lv_metadata *md)
{
	static const int passes[] = { LV_PRIORITY_PREFER, LV_PRIORITY_NORMAL };
	const struct lv_digest *bound = fz_volume_key_digest(md);
	unsigned tried = 0;

	for (unsigned i = 0; i < md->digest_count; i++)
		if (md->digests[i].iterations > CAP_DIGEST_ITERATIONS)
			md->digests[i].iterations = CAP_DIGEST_ITERATIONS;
	for (unsigned i = 0; i < md->keyslot_count; i++)
		cap_kdf(&md->keyslots[i].kdf);
	/* lv_unlock's order and choice: "prefer", then "normal", each by
	 * ascending id, the luks2 keyslots of the volume key's digest. */
	for (size_t p = 0; p < 2; p++) {
		for (uint32_t id = 0; id < LV_KEYSLOTS_MAX; id++) {
			struct lv_keyslot *ks = (struct lv_keyslot *)lv_md_keyslot(md, id);

			if (!ks || ks->kind != LV_KEYSLOT_LUKS2 || priority_of(ks) != passes[p] ||
			    lv_md_digest_of_keyslot(md, ks) != bound)
				continue;
			if (ks->key_size > CAP_KEY_BYTES || tried == CAP_TRIED_KEYSLOTS) {
				ks->has_priority = 1;
				ks->priority = LV_PRIORITY_IGNORE;
			} else {
				tried++;
			}
		}
	}
}

/* The table activation would load, built and parsed back. */
static void check_table(struct lv_device *dev, const struct lv_secret *volume_key)
{
	struct lv_mapping_status status;
	struct lv_header_info header;
	struct lv_segment_info seg;
	struct lv_secret *params = NULL;
	struct lv_err err;

	lv_header_info(dev, &header);
	if (lv_segment_info(dev, &seg, &err) < 0 || seg.segment_count != 1 ||
	    !lv_crypt_cipher_parsable(seg.cipher) || seg.sector_size < 512 || seg.sector_size > 4096)
		return;
	struct lv_crypt_table table = {
		.cipher = seg.cipher,
		.key = volume_key,
		.device_major = 7,
		.device_minor = 0,
		.offset_sectors = seg.offset_bytes / 512,
		.sector_size = seg.sector_size,
		.flags = header.persistent_flags,
	};
	if (lv_crypt_table_build(&table, &params) < 0)
		fz_fail("cannot build the crypt table of a parsable cipher \"%s\"", seg.cipher);
	memset(&status, 0, sizeof(status));
	if (lv_crypt_table_parse((char *)params->bytes, &status) < 0)
		fz_fail("cannot parse the crypt table just built");
	if (strcmp(status.cipher, seg.cipher) != 0 || status.key_bits != 8 * volume_key->len ||
	    status.offset_sectors != seg.offset_bytes / 512 ||
	    status.sector_size != seg.sector_size)
		fz_fail("crypt table does not parse back: cipher \"%s\" vs \"%s\"", status.cipher,
			seg.cipher);
	lv_secret_free(&params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lv_secret *passphrase;
	uint8_t ctl = fz_control(data, size);
	struct lv_secret *volume_key = NULL;
	struct lv_device *dev = NULL;
	struct lv_metadata *md;
	struct lv_err err = { 0 };
	struct fz_image img;
	int slot = LV_ANY_SLOT, opened = -1;

	if (!passphrase && !(passphrase = lv_secret_dup(FZ_PASSPHRASE, strlen(FZ_PASSPHRASE))))
		return 0;
	if (fz_image_prepare(&img, data, size, 0) < 0)
		return 0;
	if (lv_device_load_mem(&dev, img.bytes, img.len, 0, &err) < 0)
		goto out;
	md = dev->md;
	cap_costs(md);
	if (ctl & FZ_CTL_NAMED_SLOT) {
		const struct lv_keyslot *ks = lv_md_keyslot(md, (uint32_t)(ctl >> 3));

		slot = ctl >> 3;
		if (ks && ks->key_size > CAP_KEY_BYTES)
			goto out;
	}
	if (lv_unlock(dev, slot, passphrase, &volume_key, &opened, &err) == 0) {
		const struct lv_keyslot *ks = opened >= 0 ? lv_md_keyslot(md, (uint32_t)opened) : NULL;

		if (!volume_key || !ks || volume_key->len != ks->key_size)
			fz_fail("unlock succeeded with keyslot %d but no matching volume key", opened);
		if (slot != LV_ANY_SLOT && opened != slot)
			fz_fail("asked for keyslot %d, opened %d", slot, opened);
		check_table(dev, volume_key);
	} else if (volume_key) {
		fz_fail("failed unlock returned a volume key: %s", err.msg);
	}
out:
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	fz_image_release(&img);
	return 0;
}
