/* SPDX-License-Identifier: ISC */
/* cmd_header.c: config (label), header-backup, header-restore, repair, erase. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_config(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if (!opts->label && !opts->subsystem)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "config needs --label or --subsystem" });
	r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err);
	if (r == 0) {
		r = lv_set_label(dev, opts->label, opts->subsystem, &err);
		lv_device_free(&dev);
	}
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_header_backup(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if (!opts->backup_file)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--header-backup-file is required" });
	r = lv_device_load(&dev, opts->positional[0], 0, &err);
	if (r == 0) {
		r = lv_header_backup(dev, opts->backup_file, &err);
		lv_device_free(&dev);
	}
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

/* The UUID of the LUKS2 header at path into uuid (empty when it does not
 * load). */
static void header_uuid(const char *path, char *uuid, size_t uuid_len)
{
	struct lv_header_info header;
	struct lv_device *dev;
	struct lv_err err = { 0 };

	uuid[0] = '\0';
	if (lv_device_load(&dev, path, 0, &err) < 0)
		return;
	lv_header_info(dev, &header);
	snprintf(uuid, uuid_len, "%s", header.uuid);
	lv_device_free(&dev);
}

/* What the confirmation names besides the replacement itself, as
 * cryptsetup's luksHeaderRestore does: a device without a LUKS2 header
 * (the restore may overwrite data) and a backup of another volume. */
static void restore_question(const struct cli_opts *opts, char *question, size_t len)
{
	const char *device = opts->positional[0];
	enum lv_luks_version version = LV_NOT_LUKS;
	struct lv_err err = { 0 };
	char device_uuid[64], backup_uuid[64];
	int n = snprintf(question, len, "Device %s will have its header and keyslots replaced by the backup.",
			 device);

	if (n < 0 || (size_t)n >= len)
		return;
	if (lv_probe(device, &version, &err) == 0 && version != LV_LUKS2) {
		snprintf(question + n, len - (size_t)n,
			 "\nIt holds no LUKS2 header: replacing its start can destroy data on it.");
		return;
	}
	header_uuid(device, device_uuid, sizeof(device_uuid));
	header_uuid(opts->backup_file, backup_uuid, sizeof(backup_uuid));
	if (device_uuid[0] && backup_uuid[0] && strcmp(device_uuid, backup_uuid) != 0)
		snprintf(question + n, len - (size_t)n,
			 "\nThe backup's UUID %s differs from the device's %s.", backup_uuid,
			 device_uuid);
}

int cli_header_restore(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	char question[600];
	int r;

	if (!opts->backup_file)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--header-backup-file is required" });
	restore_question(opts, question, sizeof(question));
	/* cryptsetup: a declined restore is -EINVAL, exit 1. */
	if (!cli_confirm(opts, question))
		return cli_declined(-EINVAL, "operation aborted");
	r = lv_header_restore(opts->positional[0], opts->backup_file, &err);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_repair(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_repair(opts->positional[0], &err);

	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

/* Erases every keyslot; the tokens stay, with no keyslot, as cryptsetup
 * luksErase leaves them.  -v names each keyslot removed. */
static int erase_keyslots(const char *path, int verbose, struct lv_err *err)
{
	struct lv_device *dev;
	int present[32];
	int r = lv_device_load(&dev, path, LV_LOAD_WRITABLE, err);

	if (r < 0)
		return r;
	for (int slot = 0; slot < 32; slot++)
		present[slot] = lv_keyslot_exists(dev, slot) == 1;
	r = lv_erase(dev, err);
	for (int slot = 0; r == 0 && verbose && slot < 32; slot++)
		if (present[slot])
			printf("Key slot %d removed.\n", slot);
	lv_device_free(&dev);
	return r;
}

int cli_erase(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	struct lv_err err = { 0 };
	char question[400];
	int r;

	if ((r = cli_check_device(path, &err)) < 0)
		return cli_fail(r, &err);
	snprintf(question, sizeof(question),
		 "This operation will erase all keyslots on device %s.\n"
		 "Device will become unusable after this operation.", path);
	/* cryptsetup luksErase: a declined erase is -EPERM, exit 2. */
	if (!cli_confirm(opts, question))
		return cli_declined(-EPERM, "operation aborted, keyslots were NOT wiped");
	r = erase_keyslots(path, opts->verbose, &err);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}
