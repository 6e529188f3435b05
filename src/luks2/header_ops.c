/* SPDX-License-Identifier: ISC */
/*
 * header_ops.c: whole-header operations: label and subsystem, backup and
 * restore of the header area, repair, and erase (destroy every keyslot).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "luks2/keyslot.h"

int lv_set_label(struct lv_device *dev, const char *label, const char *subsystem,
		 struct lv_err *err)
{
	struct lv_hdr_bin *bin = &dev->copies[dev->active].bin;
	struct lv_hdr_bin saved = *bin;
	int r;

	if (label && strlen(label) >= LV_LABEL_BYTES)
		return lv_err_set(err, -EINVAL, "label is longer than %d bytes", LV_LABEL_BYTES - 1);
	if (subsystem && strlen(subsystem) >= LV_SUBSYSTEM_BYTES)
		return lv_err_set(err, -EINVAL, "subsystem is longer than %d bytes",
				  LV_SUBSYSTEM_BYTES - 1);
	if (label)
		snprintf(bin->label, sizeof(bin->label), "%s", label);
	if (subsystem)
		snprintf(bin->subsystem, sizeof(bin->subsystem), "%s", subsystem);
	r = lv_device_commit(dev, lv_dev_md(dev), 0, err);
	if (r < 0)
		*bin = saved;
	return r;
}

/* Both metadata copies and the keyslots area (LUKS2_hdr_and_areas_size). */
static uint64_t header_area_bytes(const struct lv_metadata *md)
{
	return 2 * (md->config.json_size + LV_HDR_BIN_BYTES) + md->config.keyslots_size;
}

static int copy_range(struct lv_storage *from, struct lv_storage *to, uint64_t bytes,
		      struct lv_err *err)
{
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = malloc(CHUNK);
	int r = 0;

	if (!buf)
		return lv_err_set(err, -ENOMEM, "out of memory");
	for (uint64_t done = 0; r == 0 && done < bytes; done += CHUNK) {
		size_t len = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;

		r = lv_storage_read(from, done, buf, len);
		if (r < 0) {
			lv_err_set(err, r, "%s: cannot read the header area", from->name);
			break;
		}
		r = lv_storage_write(to, done, buf, len);
		if (r < 0)
			lv_err_set(err, r, "%s: cannot write the header area", to->name);
	}
	if (r == 0 && (r = lv_storage_sync(to)) < 0)
		lv_err_set(err, r, "%s: cannot sync", to->name);
	free(buf);
	return r;
}

int lv_header_backup(struct lv_device *dev, const char *backup_path, struct lv_err *err)
{
	struct lv_storage *out;
	int fd = open(backup_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
	int r;

	if (fd < 0)
		return lv_err_set(err, errno == EEXIST ? -EEXIST : -errno,
				  "%s: cannot create the backup file: %s", backup_path,
				  strerror(errno));
	close(fd);
	r = lv_storage_open_path(&out, backup_path, 1);
	if (r < 0) {
		unlink(backup_path);
		return lv_err_set(err, r, "%s: cannot open the backup file", backup_path);
	}
	r = copy_range(dev->storage, out, header_area_bytes(lv_dev_md(dev)), err);
	lv_storage_close(&out);
	if (r < 0)
		unlink(backup_path);
	return r;
}

/* The backup must itself load as LUKS2 and fit before the device's data. */
static int check_restore_target(const struct lv_device *backup, const char *path,
				struct lv_storage *target, struct lv_err *err)
{
	uint64_t need = header_area_bytes(lv_dev_md(backup)), size;
	struct lv_device *current;
	struct lv_err ignored;

	if (lv_storage_size(target, &size) < 0 || size < need)
		return lv_err_set(err, -EINVAL, "%s: too small for the backup header area", path);
	if (lv_device_load(&current, path, 0, &ignored) < 0)
		return 0;
	const struct lv_segment *ours = lv_md_segment(lv_dev_md(current), 0);
	const struct lv_segment *theirs = lv_md_segment(lv_dev_md(backup), 0);
	int differs = ours && theirs && ours->offset_bytes != theirs->offset_bytes;
	lv_device_free(&current);
	if (differs)
		return lv_err_set(err, -EINVAL, "%s: data offset differs between the device and the backup",
				  path);
	return 0;
}

int lv_header_restore(const char *path, const char *backup_path, struct lv_err *err)
{
	struct lv_device *backup = NULL;
	struct lv_storage *target = NULL;
	struct lv_lock lock = { .fd = -1 };
	int r = lv_device_load(&backup, backup_path, 0, err);

	if (r < 0) {
		lv_err_prefix(err, "backup file is not a valid LUKS2 header");
		return r;
	}
	r = lv_storage_open_path(&target, path, 1);
	if (r < 0) {
		lv_device_free(&backup);
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r, "%s: cannot open: %s", path,
				  strerror(-r));
	}
	if ((r = check_restore_target(backup, path, target, err)) == 0 &&
	    (r = lv_lock_acquire(&lock, target, 1, err)) == 0)
		r = copy_range(backup->storage, target, header_area_bytes(lv_dev_md(backup)), err);
	lv_lock_release(&lock);
	lv_storage_close(&target);
	lv_device_free(&backup);
	return r;
}

int lv_repair(const char *path, struct lv_err *err)
{
	struct lv_device *dev;
	int r = lv_device_load(&dev, path, LV_LOAD_WRITABLE | LV_LOAD_REPAIR, err);

	if (r < 0)
		return r;
	/* K7 repairs live in memory until written; repair writes them. */
	if (dev->copies[dev->active].repaired_kdf_keys)
		r = lv_device_commit(dev, lv_dev_md(dev), 0, err);
	lv_device_free(&dev);
	return r;
}

int lv_erase(struct lv_device *dev, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	struct lv_metadata *work;
	int r;

	if (md->config.unknown_requirement)
		return lv_err_set(err, -ETXTBSY, "%s: unmet LUKS2 requirements forbid changes",
				  dev->storage->name);
	for (unsigned i = 0; i < md->keyslot_count; i++) {
		r = lv_keyslot_wipe_area(dev, md->keyslots[i].area.offset_bytes,
					 md->keyslots[i].area.size_bytes, err);
		if (r < 0)
			return r;
	}
	work = malloc(sizeof(*work));
	if (!work)
		return lv_err_set(err, -ENOMEM, "out of memory");
	memcpy(work, md, sizeof(*work));
	work->keyslot_count = 0;
	for (unsigned i = 0; i < work->digest_count; i++)
		work->digests[i].keyslots.count = 0;
	for (unsigned i = 0; i < work->token_count; i++)
		work->tokens[i].keyslots.count = 0;
	r = lv_device_commit(dev, work, 0, err);
	free(work);
	return r;
}

int lv_set_persistent_flags(struct lv_device *dev, unsigned flags, struct lv_err *err)
{
	struct lv_metadata *work = malloc(sizeof(*work));
	int r;

	if (!work)
		return lv_err_set(err, -ENOMEM, "out of memory");
	memcpy(work, lv_dev_md(dev), sizeof(*work));
	work->config.flags.count = 0;
	for (const struct lv_flag_name *f = lv_persistent_flag_names; f->name; f++)
		if (flags & f->flag)
			snprintf(work->config.flags.items[work->config.flags.count++], LV_NAME_MAX,
				 "%s", f->name);
	work->config.persistent_flags = flags;
	r = lv_device_commit(dev, work, 0, err);
	free(work);
	return r;
}

const char *lv_device_path(const struct lv_device *dev)
{
	return dev->storage->name;
}
