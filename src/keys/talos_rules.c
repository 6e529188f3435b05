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
#include "luks2/device.h"

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

static int check_keyslot(const struct lv_keyslot *ks, const char *path, struct lv_err *err)
{
	if (ks->kind != LV_KEYSLOT_LUKS2)
		return lv_err_set(err, -EINVAL, "%s: keyslot %s: type %s (Talos opens luks2 keyslots only)",
				  path, ks->id.text, ks->type);
	if (!talos_cipher(ks->area.encryption))
		return lv_err_set(err, -EINVAL, "%s: keyslot %s: area.encryption %s is not a Talos cipher",
				  path, ks->id.text, ks->area.encryption);
	if (ks->kdf.kind != LV_KDF_ARGON2ID && ks->kdf.kind != LV_KDF_ARGON2I)
		return lv_err_set(err, -EINVAL, "%s: keyslot %s: kdf %s (Talos accepts argon2id and argon2i only)",
				  path, ks->id.text, ks->kdf.type);
	return 0;
}

static int check_segment(const struct lv_metadata *md, const char *path, struct lv_err *err)
{
	const struct lv_segment *seg = &md->segments[0];

	if (md->segment_count != 1 || strcmp(seg->id.text, "0") != 0)
		return lv_err_set(err, -EINVAL, "%s: segments: Talos needs exactly one segment, \"0\"",
				  path);
	if (strcmp(seg->type, "crypt") != 0)
		return lv_err_set(err, -EINVAL, "%s: segment 0: type %s, not crypt", path, seg->type);
	if (!talos_cipher(seg->encryption))
		return lv_err_set(err, -EINVAL, "%s: segment 0: encryption %s is not a Talos cipher",
				  path, seg->encryption);
	if (seg->flags.present)
		return lv_err_set(err, -EINVAL, "%s: segment 0: has flags (Talos refuses them)", path);
	if (seg->offset_bytes == 0)
		return lv_err_set(err, -EINVAL, "%s: segment 0: offset 0 (a detached header)", path);
	return 0;
}

int lv_talos_header_check(const struct lv_device *dev, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const char *path = lv_device_path(dev);
	int r;

	if (md->keyslot_count == 0)
		return lv_err_set(err, -EINVAL, "%s: keyslots: none (Talos needs at least one)", path);
	for (unsigned i = 0; i < md->keyslot_count; i++) {
		r = check_keyslot(&md->keyslots[i], path, err);
		if (r < 0)
			return r;
	}
	return check_segment(md, path, err);
}
