/* SPDX-License-Identifier: ISC */
/*
 * suspend.c: luksSuspend and luksResume of a LUKS mapping, as cryptsetup
 * 2.6.1 does them (lib/setup.c crypt_suspend, resume_by_volume_key;
 * lib/libdevmapper.c dm_suspend_device, dm_resume_and_reinstate_key).
 *
 *   suspend: DEV_SUSPEND (flush, freeze the filesystem), then the dm-crypt
 *            message "key wipe"; if the message fails, resume again.
 *   resume:  the message "key set :<bytes>:logon:<description>" (the key
 *            in the thread keyring) or "key set <hex>", then resume.
 *
 * dm-crypt takes key messages only while suspended, and accepts any key
 * of the right size: the caller's key must come from unlocking the
 * mapping's own header, which lv_live_matches checks it is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dm/crypt_table.h"
#include "dm/dm_ioctl.h"
#include "dm/keyring.h"
#include "dm/mapping.h"

static int is_luks_uuid(const char *dm_uuid)
{
	return strncmp(dm_uuid, "CRYPT-LUKS1-", 12) == 0 || strncmp(dm_uuid, "CRYPT-LUKS2-", 12) == 0;
}

int lv_mapping_suspend(const char *name, struct lv_err *err)
{
	struct lv_dm_info info;
	struct lv_dm_ref ref = { name, info.uuid };
	struct lv_err ignored;
	int r;

	if ((r = lv_dm_check_name(name, err)) < 0 || (r = lv_dm_info(name, &info, err)) < 0)
		return r;
	if (!info.exists)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	/* -ENODEV as cryptsetup: no LUKS mapping of that name. */
	if (!is_luks_uuid(info.uuid))
		return lv_err_set(err, -ENODEV, "%s: not a LUKS mapping (DM UUID \"%s\")", name,
				  info.uuid);
	if (info.suspended)
		return lv_err_set(err, -EINVAL, "%s: the mapping is already suspended", name);
	if ((r = lv_dm_suspend(&ref, err)) < 0)
		return r;
	r = lv_dm_message(&ref, "key wipe", err);
	if (r < 0)
		/* A suspended device whose key is still there helps no one. */
		lv_dm_resume(&ref, NULL, &ignored);
	return r;
}

/* "key set ..." in secret memory; *serial names a keyring key to drop. */
static int key_message(const struct lv_dm_volume *vol, const struct lv_secret *volume_key,
		       int disable_keyring, struct lv_secret **message, int32_t *serial)
{
	char description[128];
	size_t size = 2 * volume_key->len + sizeof(description) + 32;

	*serial = -1;
	*message = lv_secret_new(size);
	if (!*message)
		return -ENOMEM;
	char *text = (char *)(*message)->bytes;
	lv_dm_key_description(vol, description, sizeof(description));
	if (!disable_keyring && (*serial = lv_keyring_add_logon(description, volume_key)) > 0) {
		snprintf(text, size, "key set :%zu:logon:%s", volume_key->len, description);
		return 0;
	}
	memcpy(text, "key set ", 8);
	lv_crypt_key_hex(volume_key, text + 8);
	return 0;
}

struct resume_ctx {
	const struct lv_secret *volume_key;
	int disable_keyring;
};

static int resume_live(struct lv_device *dev, const struct lv_dm_volume *vol,
		       const struct lv_live_crypt *live, void *ctx, struct lv_err *err)
{
	const struct lv_secret *volume_key = ((const struct resume_ctx *)ctx)->volume_key;
	int disable_keyring = ((const struct resume_ctx *)ctx)->disable_keyring;
	struct lv_dm_ref ref = { live->info.name, live->info.uuid };
	struct lv_secret *message = NULL;
	int32_t serial;
	int r;

	if (!live->info.suspended)
		return lv_err_set(err, -EINVAL, "%s: the mapping is not suspended", live->info.name);
	if ((r = lv_live_matches(live, dev, vol, err)) < 0)
		return r;
	if (volume_key->len * 8 != live->status.key_bits)
		return lv_err_set(err, -EINVAL, "%s: a %zu-bit volume key for a %u-bit table",
				  live->info.name, volume_key->len * 8, live->status.key_bits);
	if (key_message(vol, volume_key, disable_keyring, &message, &serial) < 0)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = lv_dm_message(&ref, (const char *)message->bytes, err);
	lv_secret_free(&message);
	if (r == 0)
		r = lv_dm_resume(&ref, NULL, err);
	lv_keyring_drop(serial);
	return r;
}

int lv_mapping_resume(struct lv_device *dev, const struct lv_secret *volume_key,
		      const char *name, int disable_keyring, struct lv_err *err)
{
	struct resume_ctx ctx = { volume_key, disable_keyring };

	return lv_live_run(dev, name, resume_live, &ctx, err);
}
