/* SPDX-License-Identifier: ISC */
/*
 * talos_rules.c: the header rules Talos applies before it unlocks a
 * volume (talos-encryption.md §5 "Validation rules").  A header that
 * passes luksvol's own validation can still be one Talos refuses to
 * open, e.g. with a pbkdf2 keyslot; apply refuses it the same way, so
 * luksvol never opens a volume on a node that Talos then could not.
 */
#include <errno.h>
#include <string.h>

#include "keys/apply.h"

static const char *const talos_ciphers[] = {
	"aes-xts-plain64",
	"xchacha12,aes-adiantum-plain64",
	"xchacha20,aes-adiantum-plain64",
};

static int talos_cipher(const char *cipher)
{
	for (size_t i = 0; i < sizeof(talos_ciphers) / sizeof(talos_ciphers[0]); i++)
		if (strcmp(cipher, talos_ciphers[i]) == 0)
			return 1;
	return 0;
}

static int check_keyslot(int slot, const struct lv_keyslot_info *ks, const char *path,
			 struct lv_err *err)
{
	if (strcmp(ks->type, "luks2") != 0)
		return lv_err_set(err, -EINVAL, "%s: keyslot %d: type %s (Talos opens luks2 keyslots only)",
				  path, slot, ks->type);
	if (!talos_cipher(ks->cipher))
		return lv_err_set(err, -EINVAL, "%s: keyslot %d: area.encryption %s is not a Talos cipher",
				  path, slot, ks->cipher);
	if (strcmp(ks->kdf, "argon2id") != 0 && strcmp(ks->kdf, "argon2i") != 0)
		return lv_err_set(err, -EINVAL, "%s: keyslot %d: kdf %s (Talos accepts argon2id and argon2i only)",
				  path, slot, ks->kdf);
	return 0;
}

static int check_segment(const struct lv_device *dev, const char *path, struct lv_err *err)
{
	struct lv_segment_info seg;

	/* A valid header's one segment is "0". */
	if (lv_segment_info(dev, &seg, NULL) < 0 || seg.segment_count != 1)
		return lv_err_set(err, -EINVAL, "%s: segments: Talos needs exactly one segment, \"0\"",
				  path);
	if (strcmp(seg.type, "crypt") != 0)
		return lv_err_set(err, -EINVAL, "%s: segment 0: type %s, not crypt", path, seg.type);
	if (!talos_cipher(seg.cipher))
		return lv_err_set(err, -EINVAL, "%s: segment 0: encryption %s is not a Talos cipher",
				  path, seg.cipher);
	if (seg.has_flags)
		return lv_err_set(err, -EINVAL, "%s: segment 0: has flags (Talos refuses them)", path);
	if (seg.offset_bytes == 0)
		return lv_err_set(err, -EINVAL, "%s: segment 0: offset 0 (a detached header)", path);
	return 0;
}

int lv_talos_header_check(const struct lv_device *dev, struct lv_err *err)
{
	const char *path = lv_device_path(dev);
	struct lv_header_info header;
	struct lv_keyslot_info ks;
	unsigned seen = 0;
	int r;

	lv_header_info(dev, &header);
	if (header.keyslot_count == 0)
		return lv_err_set(err, -EINVAL, "%s: keyslots: none (Talos needs at least one)", path);
	for (int slot = 0; slot < LV_KEYSLOT_COUNT; slot++) {
		if (lv_keyslot_info(dev, slot, &ks) < 0)
			continue;
		seen++;
		if ((r = check_keyslot(slot, &ks, path, err)) < 0)
			return r;
	}
	if (seen != header.keyslot_count)
		return lv_err_set(err, -EINVAL, "%s: keyslots: one has an id outside 0..31", path);
	return check_segment(dev, path, err);
}
