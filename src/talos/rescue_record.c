/* SPDX-License-Identifier: ISC */
/*
 * rescue_record.c: the record of what `talos open` made (the mount and
 * the mappings) in LV_TALOS_RUN_DIR, a directory only root can enter, and
 * `talos close`, which undoes exactly those, the last made first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talos/rescue_record.h"

#define RECORD_NAME "talos-open"
#define RECORD_TMP_NAME "talos-open.tmp"
#define RECORD_HEAD "luksvol talos open 1\n"
#define RECORD_MAX_BYTES 16384

int rescue_open_run_dir(int create, int *dir_fd, struct lv_err *err)
{
	struct stat sb;

	if (create && mkdir(LV_TALOS_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return lv_err_set(err, -errno, "%s: cannot create: %s", LV_TALOS_RUN_DIR,
				  strerror(errno));
	*dir_fd = open(LV_TALOS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dir_fd < 0)
		return lv_err_set(err, errno == ENOENT ? -ENODEV : -errno, "%s: %s", LV_TALOS_RUN_DIR,
				  errno == ENOENT ? "no Talos disk is open" : strerror(errno));
	if (fstat(*dir_fd, &sb) < 0 || sb.st_uid != geteuid() || (sb.st_mode & 022)) {
		close(*dir_fd);
		*dir_fd = -1;
		return lv_err_set(err, -EPERM, "%s: not a directory of this user that only it may "
				  "write: refusing to use it", LV_TALOS_RUN_DIR);
	}
	return 0;
}

int rescue_claim(int dir_fd, struct lv_err *err)
{
	int fd = openat(dir_fd, RECORD_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0 && errno == EEXIST)
		return lv_err_set(err, -EBUSY, "a Talos disk is open already (%s/%s): `luksvol talos "
				  "close` first", LV_TALOS_RUN_DIR, RECORD_NAME);
	if (fd < 0)
		return lv_err_set(err, -errno, "%s/%s: cannot create: %s", LV_TALOS_RUN_DIR,
				  RECORD_NAME, strerror(errno));
	if (write(fd, RECORD_HEAD, strlen(RECORD_HEAD)) < 0 || fsync(fd) < 0) {
		close(fd);
		unlinkat(dir_fd, RECORD_NAME, 0);
		return lv_err_set(err, -EIO, "%s/%s: cannot write", LV_TALOS_RUN_DIR, RECORD_NAME);
	}
	close(fd);
	return 0;
}

void rescue_unclaim(int dir_fd)
{
	unlinkat(dir_fd, RECORD_NAME, 0);
}

static void add_mapping(FILE *out, const struct lv_apply_report *report)
{
	for (size_t i = report ? report->volume_count : 0; i-- > 0;)
		if (report->volumes[i].mapping_created)
			fprintf(out, "map %s\n", report->volumes[i].mapping);
}

int rescue_record_write(const struct lv_talos_disk *d, int dir_fd)
{
	int fd = openat(dir_fd, RECORD_TMP_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			O_CLOEXEC, 0600);
	FILE *out = fd < 0 ? NULL : fdopen(fd, "w");
	int r;

	if (!out) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	fputs(RECORD_HEAD, out);
	if (d->mounted)
		fprintf(out, "mount %s\n", MOUNT_NAME);
	add_mapping(out, d->volumes);
	add_mapping(out, d->state);
	r = fflush(out) == 0 && fsync(fd) == 0 ? 0 : -EIO;
	if (fclose(out) != 0)
		r = -EIO;
	if (r == 0 && renameat(dir_fd, RECORD_TMP_NAME, dir_fd, RECORD_NAME) < 0)
		r = -EIO;
	return r;
}

void rescue_record_final(const struct lv_talos_disk *d)
{
	int dir_fd = -1;

	if (rescue_open_run_dir(0, &dir_fd, NULL) == 0) {
		rescue_record_write(d, dir_fd);
		close(dir_fd);
	}
}

static int read_record(int dir_fd, char *text, size_t size, struct lv_err *err)
{
	int fd = openat(dir_fd, RECORD_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	ssize_t n;

	if (fd < 0)
		return lv_err_set(err, errno == ENOENT ? -ENODEV : -errno, "%s/%s: %s",
				  LV_TALOS_RUN_DIR, RECORD_NAME,
				  errno == ENOENT ? "no Talos disk is open" : strerror(errno));
	n = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? read(fd, text, size - 1) : -1;
	close(fd);
	if (n < 0 || (size_t)n == size - 1 || strncmp(text, RECORD_HEAD, strlen(RECORD_HEAD)) != 0)
		return lv_err_set(err, -EINVAL, "%s/%s: not a record of talos open", LV_TALOS_RUN_DIR,
				  RECORD_NAME);
	text[n] = '\0';
	return 0;
}

/* A mapping name talos open makes: luks2-<volume ID>. */
static int mapping_name_valid(const char *name)
{
	if (strncmp(name, "luks2-", 6) != 0 || !name[6] || strlen(name) > 127)
		return 0;
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') ||
		      ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
			return 0;
	return 1;
}

/* Rewrites the record with what is still to close: the lines after
 * done (the head kept). */
static void record_rest(int dir_fd, const char *rest)
{
	int fd = openat(dir_fd, RECORD_TMP_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			O_CLOEXEC, 0600);
	int ok = fd >= 0;

	if (ok)
		ok = write(fd, RECORD_HEAD, strlen(RECORD_HEAD)) >= 0 &&
		     write(fd, rest, strlen(rest)) >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (ok)
		renameat(dir_fd, RECORD_TMP_NAME, dir_fd, RECORD_NAME);
}

static int close_line(const char *line, FILE *out, struct lv_err *err)
{
	if (strcmp(line, "mount " MOUNT_NAME) == 0) {
		if (umount2(LV_TALOS_STATE_MOUNT, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return lv_err_set(err, errno == EBUSY ? -EBUSY : -errno,
					  "%s: cannot unmount: %s", LV_TALOS_STATE_MOUNT,
					  strerror(errno));
		rmdir(LV_TALOS_STATE_MOUNT);
		fprintf(out, "unmounted %s\n", LV_TALOS_STATE_MOUNT);
		return 0;
	}
	if (strncmp(line, "map ", 4) == 0 && mapping_name_valid(line + 4)) {
		int r = lv_deactivate(line + 4, 0, err);

		if (r < 0 && r != -ENODEV)
			return r;
		fprintf(out, "%s /dev/mapper/%s\n", r == 0 ? "closed" : "already gone:", line + 4);
		return 0;
	}
	return lv_err_set(err, -EINVAL, "%s/%s: unknown line \"%.60s\"", LV_TALOS_RUN_DIR,
			  RECORD_NAME, line);
}

int lv_talos_close(FILE *out, struct lv_err *err)
{
	/* On the heap: the record's bound alone would pass the 16 KiB frame limit. */
	char *text = malloc(RECORD_MAX_BYTES), *line, *next;
	int dir_fd = -1, r;

	r = text ? rescue_open_run_dir(0, &dir_fd, err)
		 : lv_err_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = read_record(dir_fd, text, RECORD_MAX_BYTES, err);
	for (line = r == 0 ? text + strlen(RECORD_HEAD) : NULL; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r = close_line(line, out, err);
		if (r < 0) {
			/* What is left stays recorded, for a later close. */
			if (next)
				next[-1] = '\n';
			record_rest(dir_fd, line);
			break;
		}
		if (!next)
			break;
	}
	if (r == 0)
		unlinkat(dir_fd, RECORD_NAME, 0);
	if (dir_fd >= 0)
		close(dir_fd);
	free(text);
	return r;
}
