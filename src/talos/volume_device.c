/* SPDX-License-Identifier: ISC */
/*
 * volume_device.c: where a volume lives (the GPT partition named after
 * its volume ID) and what is on it.  Only a device with no signature at
 * all is ever formatted (talos-encryption.md §3); unlike Talos, a LUKS1
 * header counts as a signature, not as empty.
 */
#include "lv_features.h"
#if LV_WITH_BLKID
#include <blkid.h>
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "talos/volume_device.h"
#include "talos/device_edges.h"

#if LV_WITH_BLKID
static int read_sysfs_int(const char *path, long *value)
{
	char text[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	*value = strtol(text, NULL, 10);
	return 0;
}

/* The child of /sys/block/<disk> whose "partition" file is partno. */
static int partition_node(const char *disk, int partno, char *path, size_t path_size)
{
	char dir_path[300], file[600];
	struct dirent *entry;
	long number;
	int found = -1;
	DIR *dir;

	snprintf(dir_path, sizeof(dir_path), "/sys/block/%s", disk);
	dir = opendir(dir_path);
	if (!dir)
		return -1;
	while (found < 0 && (entry = readdir(dir))) {
		if (strncmp(entry->d_name, disk, strlen(disk)) != 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s/partition", dir_path, entry->d_name);
		if (read_sysfs_int(file, &number) == 0 && number == partno) {
			snprintf(path, path_size, "/dev/%s", entry->d_name);
			found = 0;
		}
	}
	closedir(dir);
	return found;
}

/* Calls visit for every named GPT partition of one disk. */
static void visit_disk(const char *disk, lv_partition_visit_fn visit, void *ctx)
{
	char disk_path[300], path[4096];
	blkid_probe probe;
	blkid_partlist parts;
	int count;

	snprintf(disk_path, sizeof(disk_path), "/dev/%s", disk);
	probe = blkid_new_probe_from_filename(disk_path);
	if (!probe)
		return;
	blkid_probe_enable_superblocks(probe, 0);
	blkid_probe_enable_partitions(probe, 1);
	parts = blkid_probe_get_partitions(probe);
	count = parts ? blkid_partlist_numof_partitions(parts) : 0;
	for (int i = 0; i < count; i++) {
		blkid_partition part = blkid_partlist_get_partition(parts, i);
		const char *name = blkid_partition_get_name(part);

		if (name && name[0] &&
		    partition_node(disk, blkid_partition_get_partno(part), path, sizeof(path)) == 0)
			visit(name, path, ctx);
	}
	blkid_free_probe(probe);
}
#else
/* Without libblkid: the kernel names each GPT partition in its uevent
 * (PARTNAME=, the partition entry's name). */
static int partition_name(const char *disk, const char *partition, char *name, size_t size)
{
	char file[600], line[256];
	int found = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/sys/block/%s/%s/uevent", disk, partition);
	f = fopen(file, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = strncmp(line, "PARTNAME=", 9) == 0 && line[9];
		if (found)
			snprintf(name, size, "%s", line + 9);
	}
	fclose(f);
	return found;
}

static void visit_disk(const char *disk, lv_partition_visit_fn visit, void *ctx)
{
	char dir_path[300], name[256], path[600];
	struct dirent *entry;
	DIR *dir;

	snprintf(dir_path, sizeof(dir_path), "/sys/block/%s", disk);
	dir = opendir(dir_path);
	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		if (strncmp(entry->d_name, disk, strlen(disk)) == 0 &&
		    partition_name(disk, entry->d_name, name, sizeof(name))) {
			snprintf(path, sizeof(path), "/dev/%s", entry->d_name);
			visit(name, path, ctx);
		}
	}
	closedir(dir);
}
#endif

const char *lv_device_override(const char *const *devices, const char *volume_id)
{
	size_t id_len = strlen(volume_id);

	for (const char *const *entry = devices; entry && *entry; entry++)
		if (strncmp(*entry, volume_id, id_len) == 0 && (*entry)[id_len] == '=')
			return *entry + id_len + 1;
	return NULL;
}

static int is_disk(const char *name)
{
	return name[0] != '.' && strncmp(name, "dm-", 3) != 0 && strncmp(name, "ram", 3) != 0;
}

int lv_partitions_visit(const char *disk, lv_partition_visit_fn visit, void *ctx,
			struct lv_err *err)
{
	struct dirent *entry;
	DIR *dir;

	if (disk) {
		visit_disk(disk, visit, ctx);
		return 0;
	}
	dir = opendir("/sys/block");
	if (!dir)
		return lv_err_set(err, -ENODEV, "/sys/block: %s", strerror(errno));
	while ((entry = readdir(dir)))
		if (is_disk(entry->d_name))
			visit_disk(entry->d_name, visit, ctx);
	closedir(dir);
	return 0;
}

struct label_search {
	const char *label;
	int matches;
	char first[4096];
};

static void match_label(const char *name, const char *path, void *ctx)
{
	struct label_search *search = ctx;

	if (strcmp(name, search->label) == 0 && search->matches++ == 0)
		snprintf(search->first, sizeof(search->first), "%s", path);
}

int lv_partition_find(const char *label, char *path, size_t path_size, struct lv_err *err)
{
	struct label_search search = { .label = label };
	int r = lv_partitions_visit(NULL, match_label, &search, err);

	if (r < 0)
		return r;
	if (search.matches == 0)
		return lv_err_set(err, -ENODEV, "no partition is named %s", label);
	if (search.matches > 1)
		return lv_err_set(err, -EINVAL, "%d partitions are named %s", search.matches, label);
	snprintf(path, path_size, "%s", search.first);
	return 0;
}

int lv_disk_name(const char *path, char *name, size_t size, struct lv_err *err)
{
	char link[64], target[4096], check[600];
	const char *base;
	struct stat sb;
	ssize_t n;

	if (stat(path, &sb) < 0)
		return lv_err_set(err, -ENODEV, "%s: %s", path, strerror(errno));
	if (!S_ISBLK(sb.st_mode))
		return lv_err_set(err, -ENOTBLK, "%s: not a block device (attach an image with "
				  "losetup -P first)", path);
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(sb.st_rdev), minor(sb.st_rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return lv_err_set(err, -ENODEV, "%s: not in /sys/dev/block", path);
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(name, size, "%s", base ? base + 1 : target);
	snprintf(check, sizeof(check), "/sys/block/%.500s", name);
	if (access(check, F_OK) < 0)
		return lv_err_set(err, -EINVAL, "%s: a partition; give the whole disk", path);
	return 0;
}

#if LV_WITH_BLKID
/* What libblkid finds: a superblock, a partition table, or nothing. */
static int blkid_content(int fd, char *type, size_t type_size)
{
	blkid_probe probe = blkid_new_probe();
	const char *value;
	int r;

	type[0] = '\0';
	if (!probe)
		return -ENOMEM;
	r = blkid_probe_set_device(probe, fd, 0, 0);
	if (r == 0) {
		blkid_probe_enable_superblocks(probe, 1);
		blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_VERSION);
		blkid_probe_enable_partitions(probe, 1);
		r = blkid_do_safeprobe(probe);
		if (r == -2)
			snprintf(type, type_size, "several signatures");
		else if (r == 0 && blkid_probe_lookup_value(probe, "TYPE", &value, NULL) == 0)
			snprintf(type, type_size, "%s", value);
		else if (r == 0 && blkid_probe_lookup_value(probe, "PTTYPE", &value, NULL) == 0)
			snprintf(type, type_size, "a %s partition table", value);
		else if (r == 0)
			snprintf(type, type_size, "an unknown signature");
		r = r == 1 ? 0 : 1;
	} else {
		r = -EIO;
	}
	blkid_free_probe(probe);
	return r;
}
#else
/* Without libblkid, only a device whose edges are zero counts as empty
 * (device_edges.h). */
static int blkid_content(int fd, char *type, size_t type_size)
{
	int r = lv_device_edges_zero(fd);

	type[0] = '\0';
	if (r == 0)
		snprintf(type, type_size,
			 "data in its first or last MiB (this luksvol is built without libblkid to name it)");
	return r < 0 ? r : !r;
}
#endif

int lv_device_content(struct lv_device_hold *hold, const char *path,
		      enum lv_device_content *content, char *other_type, size_t other_type_size,
		      struct lv_err *err)
{
	enum lv_luks_version version;
	int found = lv_device_hold_probe(hold, &version);

	if (found < 0)
		return lv_err_set(err, found, "%s: cannot probe for a LUKS header", path);
	if (version == LV_LUKS2) {
		*content = LV_CONTENT_LUKS2;
		return 0;
	}
	if (version == LV_LUKS1) {
		*content = LV_CONTENT_OTHER;
		snprintf(other_type, other_type_size, "LUKS1");
		return 0;
	}
	found = blkid_content(lv_device_hold_fd(hold), other_type, other_type_size);
	if (found < 0)
		return lv_err_set(err, found, "%s: cannot probe for signatures", path);
	*content = found ? LV_CONTENT_OTHER : LV_CONTENT_EMPTY;
	return 0;
}
