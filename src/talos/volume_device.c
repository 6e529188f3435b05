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

/* Looks for label among the GPT partition names of one disk.  Returns the
 * number of matches (0 or 1 per disk in practice). */
static int search_disk(const char *disk, const char *label, char *path, size_t path_size)
{
	char disk_path[300];
	blkid_probe probe;
	blkid_partlist parts;
	int matches = 0, count;

	snprintf(disk_path, sizeof(disk_path), "/dev/%s", disk);
	probe = blkid_new_probe_from_filename(disk_path);
	if (!probe)
		return 0;
	blkid_probe_enable_superblocks(probe, 0);
	blkid_probe_enable_partitions(probe, 1);
	parts = blkid_probe_get_partitions(probe);
	count = parts ? blkid_partlist_numof_partitions(parts) : 0;
	for (int i = 0; i < count; i++) {
		blkid_partition part = blkid_partlist_get_partition(parts, i);
		const char *name = blkid_partition_get_name(part);

		if (name && strcmp(name, label) == 0 &&
		    partition_node(disk, blkid_partition_get_partno(part), path, path_size) == 0)
			matches++;
	}
	blkid_free_probe(probe);
	return matches;
}
#else
/* Without libblkid: the kernel names each GPT partition in its uevent
 * (PARTNAME=, the partition entry's name). */
static int partition_named(const char *disk, const char *partition, const char *label)
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
		found = strncmp(line, "PARTNAME=", 9) == 0 && strcmp(line + 9, label) == 0;
	}
	fclose(f);
	return found;
}

static int search_disk(const char *disk, const char *label, char *path, size_t path_size)
{
	char dir_path[300];
	struct dirent *entry;
	int matches = 0;
	DIR *dir;

	snprintf(dir_path, sizeof(dir_path), "/sys/block/%s", disk);
	dir = opendir(dir_path);
	if (!dir)
		return 0;
	while ((entry = readdir(dir))) {
		if (strncmp(entry->d_name, disk, strlen(disk)) == 0 &&
		    partition_named(disk, entry->d_name, label)) {
			snprintf(path, path_size, "/dev/%s", entry->d_name);
			matches++;
		}
	}
	closedir(dir);
	return matches;
}
#endif

int lv_partition_find(const char *label, char *path, size_t path_size, struct lv_err *err)
{
	char candidate[4096], first[4096] = "";
	struct dirent *entry;
	int matches = 0;
	DIR *dir = opendir("/sys/block");

	if (!dir)
		return lv_err_set(err, -ENODEV, "/sys/block: %s", strerror(errno));
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.' || strncmp(entry->d_name, "dm-", 3) == 0 ||
		    strncmp(entry->d_name, "ram", 3) == 0)
			continue;
		if (search_disk(entry->d_name, label, candidate, sizeof(candidate)) > 0) {
			if (matches++ == 0)
				snprintf(first, sizeof(first), "%s", candidate);
		}
	}
	closedir(dir);
	if (matches == 0)
		return lv_err_set(err, -ENODEV, "no partition is named %s", label);
	if (matches > 1)
		return lv_err_set(err, -EINVAL, "%d partitions are named %s", matches, label);
	snprintf(path, path_size, "%s", first);
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
