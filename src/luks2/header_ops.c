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
#include <sys/stat.h>
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

int lv_set_uuid(struct lv_device *dev, const char *uuid, struct lv_err *err)
{
	struct lv_hdr_bin *bin = &dev->copies[dev->active].bin;
	struct lv_hdr_bin saved = *bin;
	int r;

	if (!lv_uuid_valid(uuid))
		return lv_err_set(err, -EINVAL, "UUID \"%s\" is not 8-4-4-4-12 hex digits", uuid);
	snprintf(bin->uuid, sizeof(bin->uuid), "%s", uuid);
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

/* The directory a new file goes into, opened, and the file's name in it:
 * every later step names the file relative to this directory, so that a
 * directory swapped for a symlink midway cannot redirect it. */
static int open_parent_dir(const char *path, char *name, size_t name_len)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (snprintf(name, name_len, "%s", slash ? slash + 1 : path) >= (int)name_len)
		return -ENAMETOOLONG;
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EISDIR;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Removes the file a failed backup created, unless someone has put
 * another file under its name since (then it is theirs to remove). */
static void remove_created(int dir_fd, const char *name, const struct stat *created)
{
	struct stat now;

	if (fstatat(dir_fd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == created->st_dev && now.st_ino == created->st_ino)
		unlinkat(dir_fd, name, 0);
}

/*
 * The backup is written through the descriptor that created it, never
 * reopened by name: whoever can write the directory could put a symlink
 * under that name in between, and a root backup would then overwrite the
 * file it points to.  The descriptor, opened for writing at creation, also
 * lets a user who owns the device back it up into a mode 0400 file.
 */
int lv_header_backup(struct lv_device *dev, const char *backup_path, struct lv_err *err)
{
	struct lv_storage *out;
	struct stat created;
	char name[256];
	int dir_fd = open_parent_dir(backup_path, name, sizeof(name));
	int fd, r;

	if (dir_fd < 0)
		return lv_err_set(err, -EINVAL, "%s: cannot create the backup file: %s", backup_path,
				  strerror(-dir_fd));
	fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (fd < 0) {
		r = errno;
		close(dir_fd);
		return lv_err_set(err, r == EEXIST ? -EEXIST : -r,
				  "%s: cannot create the backup file: %s", backup_path, strerror(r));
	}
	/* Should fstat fail, created stays zeroed and a failed backup's
	 * file is left in place rather than a name guessed at. */
	memset(&created, 0, sizeof(created));
	(void)fstat(fd, &created);
	if ((r = lv_storage_open_fd(&out, fd, backup_path, 1)) < 0) {
		lv_err_set(err, r, "out of memory");
	} else {
		r = copy_range(dev->storage, out, header_area_bytes(lv_dev_md(dev)), err);
		lv_storage_close(&out);
	}
	/* The new name must survive a crash as well as the bytes. */
	if (r == 0 && fsync(dir_fd) < 0)
		r = lv_err_set(err, -EIO, "%s: cannot sync its directory: %s", backup_path,
			       strerror(errno));
	if (r < 0)
		remove_created(dir_fd, name, &created);
	close(dir_fd);
	return r;
}

/*
 * Header restore (crash-safe).  cryptsetup copies the backup over the
 * whole header area in one write, so a power cut inside it can leave
 * neither header.  Here every cut leaves a header whose keyslots all open:
 * the current one, the current one with keyslots moved out of the
 * backup's way, or the restored one:
 *  1. the backup's keyslot areas, where they differ from the disk and no
 *     current keyslot uses the space;
 *  2. where a current keyslot does use it, that keyslot's area is copied
 *     to space neither header uses (dropped if there is none) and the
 *     current header committed, then the backup's areas are written there;
 *  3. the secondary copy, then the primary, each synced: a cut inside one
 *     leaves that copy unreadable and the other complete (§2 "Read");
 *  4. the rest of the header area (old keyslot material) from the backup.
 * Each step is synced before the next starts.
 */
#define RESTORE_BLOCK 4096u
enum {
	BLOCK_NEW = 1,		/* in a keyslot area of the backup */
	BLOCK_OLD = 2,		/* in a keyslot area of the current header */
	BLOCK_MOVED = 4,	/* where step 2 put a current keyslot */
};

struct restore {
	struct lv_storage *target;
	uint8_t *want;		/* the backup's header area */
	uint8_t *have;		/* what the target holds, kept up to date */
	uint8_t *map;		/* BLOCK_* per block */
	size_t blocks, first_keyslot_block;
	unsigned dropped;	/* current keyslots with no room to move to */
};

static size_t blocks_of(uint64_t bytes)
{
	return (size_t)((bytes + RESTORE_BLOCK - 1) / RESTORE_BLOCK);
}

static void mark_keyslot_blocks(struct restore *rs, const struct lv_metadata *md, uint8_t bit)
{
	for (unsigned i = 0; i < md->keyslot_count; i++) {
		const struct lv_area *a = &md->keyslots[i].area;

		for (size_t b = a->offset_bytes / RESTORE_BLOCK;
		     b < blocks_of(a->offset_bytes + a->size_bytes) && b < rs->blocks; b++)
			rs->map[b] |= bit;
	}
}

static int block_differs(const struct restore *rs, size_t b)
{
	return memcmp(rs->want + b * RESTORE_BLOCK, rs->have + b * RESTORE_BLOCK, RESTORE_BLOCK) != 0;
}

/* Writes the backup's bytes over every differing keyslot-area block whose
 * map bits under mask equal value, in runs, then syncs. */
static int write_blocks(struct restore *rs, uint8_t mask, uint8_t value, struct lv_err *err)
{
	int wrote = 0, r = 0;

	for (size_t b = rs->first_keyslot_block; r == 0 && b < rs->blocks;) {
		size_t end = b;

		while (end < rs->blocks && (rs->map[end] & mask) == value && block_differs(rs, end))
			end++;
		if (end == b) {
			b++;
			continue;
		}
		size_t off = b * RESTORE_BLOCK, len = (end - b) * RESTORE_BLOCK;
		r = lv_storage_write(rs->target, off, rs->want + off, len);
		if (r == 0)
			memcpy(rs->have + off, rs->want + off, len);
		wrote = 1;
		b = end;
	}
	if (r == 0 && wrote)
		r = lv_storage_sync(rs->target);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot write the backup's keyslot areas: %s",
				  rs->target->name, strerror(-r));
	return 0;
}

static int keyslot_in_the_way(const struct restore *rs, const struct lv_keyslot *ks)
{
	for (size_t b = ks->area.offset_bytes / RESTORE_BLOCK;
	     b < blocks_of(ks->area.offset_bytes + ks->area.size_bytes) && b < rs->blocks; b++)
		if ((rs->map[b] & BLOCK_NEW) && block_differs(rs, b))
			return 1;
	return 0;
}

/* The first run of count blocks that no header uses; 0 when none. */
static size_t free_run(const struct restore *rs, size_t count)
{
	for (size_t b = rs->first_keyslot_block, run = 0; b < rs->blocks; b++) {
		run = rs->map[b] ? 0 : run + 1;
		if (run == count)
			return b + 1 - count;
	}
	return 0;
}

/* Copies keyslot index of work to space no header uses and points it
 * there.  Without such space the keyslot is dropped and 1 returned. */
static int move_keyslot(struct restore *rs, struct lv_metadata *work, unsigned index,
			struct lv_err *err)
{
	struct lv_keyslot *ks = &work->keyslots[index];
	size_t count = blocks_of(ks->area.size_bytes), to = free_run(rs, count);
	int r;

	if (!to || ks->area.offset_bytes + ks->area.size_bytes > rs->blocks * RESTORE_BLOCK) {
		lv_md_remove_keyslot(work, ks);
		rs->dropped++;
		return 1;
	}
	r = lv_storage_write(rs->target, to * RESTORE_BLOCK, rs->have + ks->area.offset_bytes,
			     (size_t)ks->area.size_bytes);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot move keyslot %s: %s", rs->target->name,
				  ks->id.text, strerror(-r));
	memcpy(rs->have + to * RESTORE_BLOCK, rs->have + ks->area.offset_bytes,
	       (size_t)ks->area.size_bytes);
	memset(rs->map + to, BLOCK_MOVED, count);
	ks->area.offset_bytes = to * RESTORE_BLOCK;
	return 0;
}

/* Step 2: current keyslots on space the backup needs move out of its
 * way, and the current header says so before that space is written. */
static int move_keyslots_away(struct restore *rs, struct lv_device *current, struct lv_err *err)
{
	struct lv_metadata *work;
	int moved = 0, r = lv_metadata_clone(lv_dev_md(current), &work);

	if (r < 0)
		return lv_err_set(err, r, "out of memory");
	for (unsigned i = 0; r >= 0 && i < work->keyslot_count;) {
		if (!keyslot_in_the_way(rs, &work->keyslots[i])) {
			i++;
			continue;
		}
		moved = 1;
		r = move_keyslot(rs, work, i, err);
		if (r == 0)
			i++;	/* else dropped: i is the next keyslot now */
	}
	if (r >= 0 && moved && (r = lv_storage_sync(rs->target)) < 0)
		lv_err_set(err, r, "%s: cannot sync: %s", rs->target->name, strerror(-r));
	if (r >= 0 && moved)
		r = lv_device_commit(current, work, 0, err);
	lv_metadata_free(&work);
	return r < 0 ? r : 0;
}

/* Step 3: one header copy from the backup, synced. */
static int write_header_copy(struct restore *rs, uint64_t offset, uint64_t size,
			     struct lv_err *err)
{
	int r = lv_storage_write(rs->target, offset, rs->want + offset, (size_t)size);

	if (r == 0)
		r = lv_storage_sync(rs->target);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot write the %s header: %s", rs->target->name,
				  offset ? "secondary" : "primary", strerror(-r));
	memcpy(rs->have + offset, rs->want + offset, (size_t)size);
	return 0;
}

/* An online or offline reencryption requirement. */
static int in_reencryption(const struct lv_metadata *md)
{
	for (unsigned i = 0; i < md->config.mandatory.count; i++)
		if (lv_requirement_is_online_reencrypt(md->config.mandatory.items[i]) ||
		    strcmp(md->config.mandatory.items[i], "offline-reencrypt") == 0)
			return 1;
	return 0;
}

/* The backup must fit the device, and a current header must have the
 * same layout: same data offset and header area (as cryptsetup checks)
 * and the same metadata copy size. */
static int check_layout(const struct lv_device *backup, const struct lv_device *current,
			struct lv_storage *target, struct lv_err *err)
{
	const struct lv_metadata *theirs = lv_dev_md(backup);
	uint64_t need = header_area_bytes(theirs), size;

	if (lv_storage_size(target, &size) < 0 || size < need)
		return lv_err_set(err, -EINVAL, "%s: too small for the backup header area",
				  target->name);
	if (!current)
		return 0;
	const struct lv_metadata *ours = lv_dev_md(current);
	/* As cryptsetup: a device in reencryption may be restored to a
	 * backup from before it, whose data offset may differ. */
	if (!in_reencryption(ours) && lv_md_data_offset(ours) != lv_md_data_offset(theirs))
		return lv_err_set(err, -EINVAL,
				  "%s: data offset differs between the device and the backup (%llu and %llu bytes)",
				  target->name, (unsigned long long)lv_md_data_offset(ours),
				  (unsigned long long)lv_md_data_offset(theirs));
	if (header_area_bytes(ours) != need)
		return lv_err_set(err, -EINVAL,
				  "%s: header and keyslots area size differs between the device and the backup (%llu and %llu bytes)",
				  target->name, (unsigned long long)header_area_bytes(ours),
				  (unsigned long long)need);
	/* cryptsetup allows this; the copies of one layout would overlap
	 * the other's, so no write order keeps a header across a crash. */
	if (lv_dev_bin(current)->hdr_size != lv_dev_bin(backup)->hdr_size)
		return lv_err_set(err, -EINVAL,
				  "%s: metadata size differs between the device and the backup (%llu and %llu bytes); refusing a restore a crash could leave without any header",
				  target->name, (unsigned long long)lv_dev_bin(current)->hdr_size,
				  (unsigned long long)lv_dev_bin(backup)->hdr_size);
	return 0;
}

static int restore_steps(struct restore *rs, const struct lv_device *backup,
			 struct lv_device *current, struct lv_err *err)
{
	uint64_t hdr_size = lv_dev_bin(backup)->hdr_size;
	int r;

	mark_keyslot_blocks(rs, lv_dev_md(backup), BLOCK_NEW);
	if (current)
		mark_keyslot_blocks(rs, lv_dev_md(current), BLOCK_OLD);
	if ((r = write_blocks(rs, BLOCK_NEW | BLOCK_OLD, BLOCK_NEW, err)) < 0)
		return r;
	/* Unmet requirements forbid changing the current header: its
	 * keyslots in the backup's way are overwritten unmoved. */
	if (current && !lv_dev_md(current)->config.unknown_requirement &&
	    (r = move_keyslots_away(rs, current, err)) < 0)
		return r;
	if ((r = write_blocks(rs, BLOCK_NEW, BLOCK_NEW, err)) < 0 ||
	    (r = write_header_copy(rs, hdr_size, hdr_size, err)) < 0 ||
	    (r = write_header_copy(rs, 0, hdr_size, err)) < 0 ||
	    (r = write_blocks(rs, BLOCK_NEW, 0, err)) < 0) {
		/* The device may now hold the current header without them. */
		if (rs->dropped)
			lv_err_prefix(err, rs->dropped == 1 ?
				      "1 keyslot of the current header had no room and was dropped; rerun header-restore" :
				      "keyslots of the current header had no room and were dropped; rerun header-restore");
		return r;
	}
	return 0;
}

int lv_header_restore_image(struct lv_device *current, struct lv_storage *target,
			    const uint8_t *image, size_t image_len, struct lv_err *err)
{
	struct restore rs = { .target = target };
	struct lv_device *backup = NULL;
	uint64_t area;
	int r = -ENOMEM;

	/* A writable load of a private copy makes the backup's two copies
	 * agree (recovery), so no third state can appear on the device. */
	if (!(rs.want = malloc(image_len)))
		return lv_err_set(err, -ENOMEM, "out of memory");
	memcpy(rs.want, image, image_len);
	r = lv_device_load_mem(&backup, rs.want, image_len, LV_LOAD_WRITABLE | LV_LOAD_REPAIR, err);
	if (r < 0) {
		lv_err_prefix(err, "backup file is not a valid LUKS2 header");
		goto out;
	}
	area = header_area_bytes(lv_dev_md(backup));
	if ((r = check_layout(backup, current, target, err)) < 0)
		goto out;
	rs.blocks = blocks_of(area);	/* keyslots_size is 4 KiB aligned */
	rs.first_keyslot_block = (size_t)(2 * lv_dev_bin(backup)->hdr_size / RESTORE_BLOCK);
	rs.have = calloc(rs.blocks, RESTORE_BLOCK);
	rs.map = calloc(rs.blocks, 1);
	if (!rs.have || !rs.map) {
		r = lv_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = lv_storage_read(target, 0, rs.have, (size_t)area)) < 0) {
		lv_err_set(err, r, "%s: cannot read the header area", target->name);
		goto out;
	}
	r = restore_steps(&rs, backup, current, err);
out:
	lv_device_free(&backup);
	free(rs.want);
	free(rs.have);
	free(rs.map);
	return r;
}

/* cryptsetup refuses a backup with any requirement but online-reencrypt
 * (LUKS2_hdr_restore): restoring it would leave a header that neither tool
 * may change, or one the tools cannot open. */
static int refuse_backup_requirements(const struct lv_metadata *md, const char *backup_path,
				      struct lv_err *err)
{
	for (unsigned i = 0; i < md->config.mandatory.count; i++) {
		const char *requirement = md->config.mandatory.items[i];

		if (!lv_requirement_is_online_reencrypt(requirement))
			return lv_err_set(err, -ETXTBSY,
					  "%s: the backup has the LUKS2 requirement \"%s\"; refusing to restore it",
					  backup_path, requirement);
	}
	return 0;
}

static int read_backup(const char *backup_path, uint8_t **image, size_t *len, struct lv_err *err)
{
	struct lv_device *backup;
	int r = lv_device_load(&backup, backup_path, 0, err);

	*image = NULL;
	if (r < 0) {
		lv_err_prefix(err, "backup file is not a valid LUKS2 header");
		/* A missing backup file, or a directory or device named as one,
		 * is a bad parameter, not a wrong device (cryptsetup: exit 1). */
		return r == -ENODEV || r == -ENOTBLK ? -EINVAL : r;
	}
	r = refuse_backup_requirements(lv_dev_md(backup), backup_path, err);
	*len = (size_t)header_area_bytes(lv_dev_md(backup));
	if (r == 0 && !(*image = malloc(*len)))
		r = lv_err_set(err, -ENOMEM, "out of memory");
	else if (r == 0 && (r = lv_storage_read(backup->storage, 0, *image, *len)) < 0)
		lv_err_set(err, r, "%s: cannot read the header area", backup_path);
	lv_device_free(&backup);
	if (r < 0) {
		free(*image);
		*image = NULL;
	}
	return r;
}

/* Errors that say nothing about what the device holds: restoring over
 * them as if it held no header would skip every layout check. */
static int load_error_is_fatal(int r)
{
	return r == -EIO || r == -ENOMEM || r == -EBUSY || r == -EACCES || r == -EPERM ||
	       r == -ENODEV;
}

int lv_header_restore(const char *path, const char *backup_path, struct lv_err *err)
{
	struct lv_device *current = NULL;
	struct lv_storage *target = NULL;
	struct lv_lock lock = { .fd = -1 };
	struct lv_err load_err = { 0 };
	uint8_t *image = NULL;
	size_t len = 0;
	int r = read_backup(backup_path, &image, &len, err);

	if (r < 0)
		return r;
	/* The current header, locked for writing, is the state a power cut
	 * must be able to fall back to.  A device whose header does not load
	 * (none, or both copies damaged: what a restore is for) has none. */
	r = lv_device_load(&current, path, LV_LOAD_WRITABLE | LV_LOAD_REPAIR, &load_err);
	if (r == 0) {
		target = current->storage;
	} else if (load_error_is_fatal(r)) {
		*err = load_err;
	} else if ((r = lv_storage_open_path(&target, path, 1)) < 0) {
		r = lv_err_set(err, r == -ENOENT ? -ENODEV : r, "%s: cannot open: %s", path,
			       lv_storage_strerror(r));
	} else {
		r = lv_lock_acquire(&lock, target, 1, 1, err);
	}
	if (r == 0)
		r = lv_header_restore_image(current, target, image, len, err);
	lv_lock_release(&lock);
	if (current)
		lv_device_free(&current);
	else
		lv_storage_close(&target);
	free(image);
	return r;
}

int lv_repair_storage(struct lv_storage *storage, struct lv_err *err)
{
	struct lv_device *dev;
	int r = lv_device_load_storage(&dev, storage, LV_LOAD_WRITABLE | LV_LOAD_REPAIR, err);

	if (r < 0)
		return r;
	/* K7 repairs live in memory until written; repair writes them. */
	if (dev->md->repaired_kdf_keys)
		r = lv_device_commit(dev, lv_dev_md(dev), 0, err);
	lv_device_free(&dev);
	return r;
}

int lv_repair(const char *path, struct lv_err *err)
{
	struct lv_storage *storage;
	int r = lv_storage_open_path(&storage, path, 1);

	if (r < 0)
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r, "%s: cannot open: %s", path,
				  lv_storage_strerror(r));
	return lv_repair_storage(storage, err);
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
	if ((r = lv_metadata_clone(md, &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	while (work->keyslot_count)
		lv_md_remove_keyslot(work, &work->keyslots[0]);
	r = lv_device_commit(dev, work, 0, err);
	lv_metadata_free(&work);
	return r;
}

int lv_set_persistent_flags(struct lv_device *dev, unsigned flags, struct lv_err *err)
{
	struct lv_metadata *work;
	int r = lv_metadata_clone(lv_dev_md(dev), &work);

	if (r == 0 && (r = lv_md_set_persistent_flags(work, flags)) == 0)
		r = lv_device_commit(dev, work, 0, err);
	else
		lv_err_set(err, r, "out of memory");
	lv_metadata_free(&work);
	return r;
}
