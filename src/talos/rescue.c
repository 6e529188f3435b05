/* SPDX-License-Identifier: ISC */
/*
 * rescue.c: `luksvol talos open` and `talos close` (luksvol-talos.h): a
 * Talos node's disk opened in one command, as Talos opens it at boot
 * (talos-encryption.md §6): STATE's config from META's tag 9, STATE
 * mounted, the machine config Talos keeps on it (config.yaml,
 * talos:pkg/machinery/constants ConfigFilename, written by
 * controllers/config/persistence.go), and the volumes it encrypts opened,
 * lockToState keys with STATE's encryption-salt.yaml.
 *
 * It is apply with --no-sync, and only that: every apply run here takes
 * its parameters from rescue_params(), which sets no_sync and no_meta, so
 * each volume's device is opened read-only (no format, no header
 * recovery, no keyslot or token change) and META is opened read-only.
 * STATE is mapped read-only and mounted read-only: on a writable device
 * XFS writes its log even so (recovery at mount, the unmount record).  The mappings it made and the mount are
 * recorded in LV_TALOS_RUN_DIR (a directory only root can enter), for
 * talos close, which undoes exactly those.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luksvol-meta.h"
#include "talos/meta_io.h"
#include "talos/report.h"
#include "talos/volume_device.h"

#define RECORD_NAME "talos-open"
#define RECORD_TMP_NAME "talos-open.tmp"
#define RECORD_HEAD "luksvol talos open 1\n"
#define RECORD_MAX_BYTES 16384
#define MOUNT_NAME "talos-STATE"
#define CONFIG_NAME "config.yaml"
#define STATE_FS "xfs"			/* Talos's STATE filesystem */
#define PARTITIONS_MAX 128
#define PATH_BYTES 256

struct partition {
	char name[64];
	char path[PATH_BYTES];
	int count;			/* partitions of this name */
};

/* A volume with no apply report: not encrypted, not found, or not in the
 * machine config. */
struct other_row {
	char volume[64];
	char device[PATH_BYTES];
	char result[LV_ERR_MSG_MAX];
	int code;			/* a failure's negative errno, else 0 */
};

struct lv_talos_disk {
	char disk[PATH_BYTES];		/* the disk searched, "" for every disk */
	struct partition parts[PARTITIONS_MAX];
	size_t part_count;
	struct lv_apply_volume meta;	/* META and what was read from it */
	struct lv_config_file *state_cfg;	/* STATE's config from tag 9 */
	struct lv_apply_report *state;	/* STATE's opening; NULL: not encrypted */
	char state_device[PATH_BYTES];
	char mount_source[PATH_BYTES];
	int mounted;
	int norecovery;			/* STATE's XFS log needed recovery */
	int loop_fd;			/* an unencrypted STATE's read-only loop */
	struct lv_config_file *machine;	/* config.yaml */
	struct lv_err config_error;	/* config.yaml could not be had */
	struct lv_config_file view;	/* the machine's encrypted volumes found */
	const char **devices;		/* and their "ID=PATH" */
	struct lv_apply_report *volumes;	/* their opening */
	struct other_row others[PARTITIONS_MAX];
	size_t other_count;
};

/* The only apply parameters used here: open and map, never write. */
static struct lv_apply_params rescue_params(const char *const *devices,
					    const struct lv_key_settings *keys)
{
	struct lv_apply_params params = {
		.devices = devices,
		.keys = *keys,
		.no_sync = 1,
		.no_meta = 1,
	};
	return params;
}

/* ---- the partitions ---- */

static void found_partition(const char *name, const char *path, void *ctx)
{
	struct lv_talos_disk *d = ctx;

	for (size_t i = 0; i < d->part_count; i++) {
		if (strcmp(d->parts[i].name, name) == 0) {
			d->parts[i].count++;
			return;
		}
	}
	if (d->part_count == PARTITIONS_MAX || strlen(name) >= sizeof(d->parts[0].name) ||
	    strlen(path) >= sizeof(d->parts[0].path))
		return;
	snprintf(d->parts[d->part_count].name, sizeof(d->parts[0].name), "%s", name);
	snprintf(d->parts[d->part_count].path, sizeof(d->parts[0].path), "%s", path);
	d->parts[d->part_count++].count = 1;
}

static int discover(struct lv_talos_disk *d, const char *disk, struct lv_err *err)
{
	char name[PATH_BYTES];
	int r = 0;

	if (disk) {
		snprintf(d->disk, sizeof(d->disk), "%s", disk);
		r = lv_disk_name(disk, name, sizeof(name), err);
	}
	return r < 0 ? r : lv_partitions_visit(disk ? name : NULL, found_partition, d, err);
}

static const struct partition *partition_named(const struct lv_talos_disk *d, const char *name)
{
	for (size_t i = 0; i < d->part_count; i++)
		if (strcmp(d->parts[i].name, name) == 0)
			return &d->parts[i];
	return NULL;
}

/* A volume's device: its --device override, else the one partition of
 * its name; NULL with err set when there is none, or several. */
static const char *volume_device(const struct lv_talos_disk *d, const char *const *devices,
				 const char *volume_id, struct lv_err *err)
{
	const char *path = lv_device_override(devices, volume_id);
	const struct partition *part = path ? NULL : partition_named(d, volume_id);

	if (path)
		return path;
	if (!part)
		lv_err_set(err, -ENODEV, "no partition is named %s%s%s", volume_id,
			   d->disk[0] ? " on " : "", d->disk);
	else if (part->count > 1)
		lv_err_set(err, -EINVAL, "%d partitions are named %s: pass --disk, or --device %s=PATH",
			   part->count, volume_id, volume_id);
	return part && part->count == 1 ? part->path : NULL;
}

/* ---- META and STATE ---- */

static int read_meta(struct lv_talos_disk *d, const struct lv_talos_open_params *params,
		     struct lv_meta_inputs *in, struct lv_err *err)
{
	const char *path = params->meta_device;
	struct lv_err why = { 0 };

	if (!path && !(path = volume_device(d, NULL, LV_META_LABEL, &why)))
		return lv_err_set(err, why.code, "%s: pass --meta DEV", why.msg);
	lv_meta_inputs_read(path, 1, &d->meta, in);
	if (d->meta.outcome == LV_VOLUME_FAILED)
		return lv_err_set(err, d->meta.error_code, "%s", d->meta.error);
	if (in->state_error.code)
		return lv_err_set(err, in->state_error.code, "%s", in->state_error.msg);
	d->state_cfg = in->state_cfg;
	in->state_cfg = NULL;
	return 0;
}

static int state_encrypted(const struct lv_talos_disk *d)
{
	return d->state_cfg && d->state_cfg->volume_count == 1 &&
	       d->state_cfg->volumes[0].encryption.enabled;
}

/* STATE opened and mapped read-only with tag 9's config; an unencrypted
 * STATE (no tag 9, or "null") is mounted through a read-only loop device
 * over its partition, so that XFS sees a read-only device either way. */
static int open_state(struct lv_talos_disk *d, const struct lv_key_settings *keys,
		      struct lv_err *err)
{
	char entry[PATH_BYTES + 8];
	const char *devices[] = { entry, NULL };
	struct lv_key_settings state_keys = *keys;
	struct lv_apply_params params;
	int r;

	if (!state_encrypted(d))
		return lv_loop_open(d->state_device, 1, d->mount_source, sizeof(d->mount_source),
				    &d->loop_fd, err);
	snprintf(entry, sizeof(entry), "STATE=%s", d->state_device);
	state_keys.state_dir = NULL;	/* STATE has no lockToState key (Talos's rule) */
	params = rescue_params(devices, &state_keys);
	params.map_readonly = 1;
	r = lv_apply(d->state_cfg, &params, &d->state, err);
	if (r == 0)
		r = lv_apply_report_status(d->state, err);
	if (r == 0)
		snprintf(d->mount_source, sizeof(d->mount_source), "/dev/mapper/%s",
			 d->state->volumes[0].mapping);
	return r;
}

static const struct lv_apply_volume *state_volume(const struct lv_talos_disk *d)
{
	return d->state && d->state->volume_count ? &d->state->volumes[0] : NULL;
}

/* ---- the run directory and the record ---- */

/* LV_TALOS_RUN_DIR, created when asked: a directory of this user that no
 * one else may write, whose entries therefore no one else can swap. */
static int open_run_dir(int create, int *dir_fd, struct lv_err *err)
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

/* The record's existence is the claim: one Talos disk open at a time. */
static int claim(int dir_fd, struct lv_err *err)
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

static void add_mapping(FILE *out, const struct lv_apply_report *report)
{
	for (size_t i = report ? report->volume_count : 0; i-- > 0;)
		if (report->volumes[i].mapping_created)
			fprintf(out, "map %s\n", report->volumes[i].mapping);
}

/* What talos close undoes, in its order: the mount, then the mappings
 * made last first.  Replaced whole (written beside it, renamed over). */
static int record_write(const struct lv_talos_disk *d, int dir_fd)
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

/* ---- STATE's filesystem ---- */

/* A log that needs recovery cannot be replayed on the read-only mapping
 * (XFS says EROFS): STATE is then mounted as its log last left it on
 * disk, and the table says so. */
static int mount_xfs_readonly(struct lv_talos_disk *d)
{
	unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (mount(d->mount_source, LV_TALOS_STATE_MOUNT, STATE_FS, flags, NULL) == 0)
		return 0;
	if (errno != EROFS || mount(d->mount_source, LV_TALOS_STATE_MOUNT, STATE_FS, flags,
				    "norecovery") < 0)
		return -1;
	d->norecovery = 1;
	return 0;
}

static int mount_state(struct lv_talos_disk *d, int dir_fd, struct lv_err *err)
{
	if (mkdirat(dir_fd, MOUNT_NAME, 0700) < 0 && errno != EEXIST)
		return lv_err_set(err, -errno, "%s: cannot create: %s", LV_TALOS_STATE_MOUNT,
				  strerror(errno));
	if (mount_xfs_readonly(d) < 0) {
		int code = errno == EBUSY ? -EBUSY : -EINVAL;

		lv_err_set(err, code, "%s: cannot mount it read-only at %s as %s: %s",
			   d->mount_source, LV_TALOS_STATE_MOUNT, STATE_FS, strerror(errno));
		unlinkat(dir_fd, MOUNT_NAME, AT_REMOVEDIR);
		return code;
	}
	d->mounted = 1;
	return 0;
}

/* config.yaml: a regular file on STATE, never followed through a link
 * (the disk may come from anyone). */
static void read_machine_config(struct lv_talos_disk *d)
{
	char name[] = LV_TALOS_STATE_MOUNT "/" CONFIG_NAME;
	int dir_fd = open(LV_TALOS_STATE_MOUNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dir_fd < 0 ? -1 : openat(dir_fd, CONFIG_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					  O_NOCTTY | O_CLOEXEC);
	char *diagnostics = NULL;
	struct stat sb;

	if (fd < 0)
		lv_err_set(&d->config_error, -ENOENT, "%s: cannot open: %s", name, strerror(errno));
	else if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		lv_err_set(&d->config_error, -EINVAL, "%s: not a regular file", name);
	else if (lv_config_load_fd(fd, name, &d->machine, &diagnostics, &d->config_error) < 0 &&
		 diagnostics && diagnostics[0])
		/* The first error names its line; `config check` lists them all. */
		lv_err_set(&d->config_error, d->config_error.code, "%.*s (luksvol config check -f %s "
			   "lists every error)", (int)strcspn(diagnostics, "\n"), diagnostics, name);
	free(diagnostics);
	if (fd >= 0)
		close(fd);
	if (dir_fd >= 0)
		close(dir_fd);
}

/* ---- the other volumes ---- */

static void other_row(struct lv_talos_disk *d, const char *volume, const char *device, int code,
		      const char *result)
{
	struct other_row *row;

	if (d->other_count == PARTITIONS_MAX)
		return;
	row = &d->others[d->other_count++];
	snprintf(row->volume, sizeof(row->volume), "%s", volume);
	snprintf(row->device, sizeof(row->device), "%s", device ? device : "");
	snprintf(row->result, sizeof(row->result), "%s", result);
	row->code = code;
}

/* Talos's volume partitions besides META and STATE. */
static int talos_volume_name(const char *name)
{
	return strcmp(name, "EPHEMERAL") == 0 || strcmp(name, "IMAGECACHE") == 0 ||
	       strncmp(name, "u-", 2) == 0 || strncmp(name, "r-", 2) == 0 ||
	       strncmp(name, "s-", 2) == 0;
}

/* The machine config's encrypted volumes that have a device, as a config
 * of their own; the others get a row. */
static int build_view(struct lv_talos_disk *d, const char *const *overrides)
{
	const struct lv_config_file *cfg = d->machine;
	size_t n = 0;

	d->view.path = cfg->path;
	d->view.notices = "";
	d->view.volumes = calloc(cfg->volume_count + 1, sizeof(*d->view.volumes));
	d->devices = calloc(cfg->volume_count + 1, sizeof(*d->devices));
	if (!d->view.volumes || !d->devices)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->volume_count; i++) {
		const struct lv_config_volume *vol = &cfg->volumes[i];
		struct lv_err why = { 0 };
		const char *path = volume_device(d, overrides, vol->volume_id, &why);
		char *entry;

		if (strcmp(vol->volume_id, "STATE") == 0)
			continue;
		if (!vol->encryption.enabled) {
			other_row(d, vol->volume_id, path, 0, "not encrypted");
			continue;
		}
		if (!path) {
			other_row(d, vol->volume_id, NULL, why.code, why.msg);
			continue;
		}
		if (asprintf(&entry, "%s=%s", vol->volume_id, path) < 0)
			return -ENOMEM;
		d->devices[n] = entry;
		d->view.volumes[n++] = *vol;
	}
	d->view.volume_count = n;
	return 0;
}

static void unconfigured_partitions(struct lv_talos_disk *d)
{
	for (size_t i = 0; i < d->part_count; i++)
		if (talos_volume_name(d->parts[i].name) &&
		    !lv_config_has_volume(d->machine, d->parts[i].name))
			other_row(d, d->parts[i].name, d->parts[i].path, 0, "not in the machine config");
}

static void open_volumes(struct lv_talos_disk *d, const char *const *overrides,
			 const struct lv_key_settings *keys)
{
	struct lv_key_settings volume_keys = *keys;
	struct lv_apply_params params;
	struct lv_err err = { 0 };

	if (build_view(d, overrides) < 0) {
		lv_err_set(&d->config_error, -ENOMEM, "out of memory");
		return;
	}
	unconfigured_partitions(d);
	if (d->view.volume_count == 0)
		return;
	volume_keys.state_dir = LV_TALOS_STATE_MOUNT;
	params = rescue_params(d->devices, &volume_keys);
	if (lv_apply(&d->view, &params, &d->volumes, &err) < 0)
		d->config_error = err;
}

/* ---- open ---- */

/* Undoes a STATE that was opened but could not be mounted. */
static void undo_state(struct lv_talos_disk *d, int dir_fd)
{
	const struct lv_apply_volume *state = state_volume(d);

	if (state && state->mapping_created)
		lv_deactivate(state->mapping, 0, NULL);
	unlinkat(dir_fd, RECORD_NAME, 0);
}

static int open_and_mount(struct lv_talos_disk *d, const struct lv_key_settings *keys,
			  struct lv_err *err)
{
	int dir_fd = -1, r = open_run_dir(1, &dir_fd, err);

	if (r == 0)
		r = claim(dir_fd, err);
	if (r < 0) {
		if (dir_fd >= 0)
			close(dir_fd);
		return r;
	}
	r = open_state(d, keys, err);
	if (r == 0)
		r = mount_state(d, dir_fd, err);
	/* The mount holds the loop device now; autoclear ends it at umount. */
	if (d->loop_fd >= 0)
		close(d->loop_fd);
	d->loop_fd = -1;
	if (r < 0)
		undo_state(d, dir_fd);
	else
		record_write(d, dir_fd);
	close(dir_fd);
	return r;
}

static void record_final(const struct lv_talos_disk *d)
{
	int dir_fd = -1;

	if (open_run_dir(0, &dir_fd, NULL) == 0) {
		record_write(d, dir_fd);
		close(dir_fd);
	}
}

int lv_talos_open(const struct lv_talos_open_params *params, struct lv_talos_disk **disk,
		  struct lv_err *err)
{
	struct lv_talos_disk *d = calloc(1, sizeof(*d));
	struct lv_meta_inputs in = { 0 };
	struct lv_key_settings keys;
	struct lv_err why = { 0 };
	const char *state_path;
	int r = d ? 0 : lv_err_set(err, -ENOMEM, "out of memory");

	*disk = NULL;
	if (d)
		d->loop_fd = -1;
	if (r == 0)
		r = discover(d, params->disk, err);
	if (r == 0)
		r = read_meta(d, params, &in, err);
	if (r == 0 && !(state_path = volume_device(d, params->devices, "STATE", &why)))
		r = lv_err_set(err, why.code, "%s", why.msg);
	if (r == 0) {
		snprintf(d->state_device, sizeof(d->state_device), "%s", state_path);
		keys = lv_meta_key_settings(&params->keys, &in);
		r = open_and_mount(d, &keys, err);
	}
	if (r == 0) {
		read_machine_config(d);
		if (d->machine)
			open_volumes(d, params->devices, &keys);
		record_final(d);
		*disk = d;
	} else {
		lv_talos_disk_free(&d);
	}
	lv_meta_inputs_release(&in);
	return r;
}

void lv_talos_disk_free(struct lv_talos_disk **disk)
{
	struct lv_talos_disk *d = *disk;

	if (!d)
		return;
	lv_apply_report_free(&d->state);
	lv_apply_report_free(&d->volumes);
	for (size_t i = 0; d->devices && d->devices[i]; i++)
		free((char *)d->devices[i]);
	free(d->devices);
	free(d->view.volumes);
	lv_config_free(&d->machine);
	lv_config_free(&d->state_cfg);
	free(d);
	*disk = NULL;
}

int lv_talos_disk_status(const struct lv_talos_disk *disk, struct lv_err *err)
{
	if (disk->config_error.code)
		return lv_err_set(err, disk->config_error.code, "%s", disk->config_error.msg);
	for (size_t i = 0; i < disk->other_count; i++)
		if (disk->others[i].code)
			return lv_err_set(err, disk->others[i].code, "%s: %s", disk->others[i].volume,
					  disk->others[i].result);
	return disk->volumes ? lv_apply_report_status(disk->volumes, err) : 0;
}

/* ---- close ---- */

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

	r = text ? open_run_dir(0, &dir_fd, err) : lv_err_set(err, -ENOMEM, "out of memory");
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

/* ---- output ---- */

/* "opened with keyslot 0 (static, lockToState)", or the failure. */
static void volume_result(const struct lv_apply_volume *vol, char *text, size_t size)
{
	if (vol->outcome == LV_VOLUME_FAILED) {
		snprintf(text, size, "failed: %s", vol->error);
		return;
	}
	if (vol->outcome == LV_VOLUME_SKIPPED) {
		snprintf(text, size, "not encrypted");
		return;
	}
	snprintf(text, size, "opened with keyslot %d", vol->opened_slot);
	for (unsigned i = 0; i < vol->step_count; i++) {
		const struct lv_apply_step *step = &vol->steps[i];

		if (step->action == LV_STEP_OPEN && step->status == LV_STEP_DONE && step->key)
			snprintf(text, size, "opened with keyslot %d (%s%s)", step->slot,
				 lv_key_kind_name(step->key->kind),
				 step->key->lock_to_state ? ", lockToState" : "");
	}
}

struct row {
	const char *volume;
	const char *device;
	char mapping[160];
	char result[LV_ERR_MSG_MAX + 64];
	const struct lv_apply_volume *vol;	/* NULL for META and other rows */
};

static void add_volume_rows(const struct lv_apply_report *report, struct row *rows, size_t *n)
{
	for (size_t i = 0; report && i < report->volume_count; i++) {
		const struct lv_apply_volume *vol = &report->volumes[i];
		struct row *row = &rows[(*n)++];

		row->volume = vol->config->volume_id;
		row->device = vol->device;
		row->vol = vol;
		if (vol->mapping[0])
			snprintf(row->mapping, sizeof(row->mapping), "/dev/mapper/%s", vol->mapping);
		else
			snprintf(row->mapping, sizeof(row->mapping), "-");
		volume_result(vol, row->result, sizeof(row->result));
	}
}

/* META, STATE, the volumes apply opened, then the others. */
static size_t make_rows(const struct lv_talos_disk *d, struct row *rows)
{
	size_t n = 0;

	rows[n].volume = LV_META_LABEL;
	rows[n].device = d->meta.device;
	snprintf(rows[n].mapping, sizeof(rows[0].mapping), "-");
	snprintf(rows[n++].result, sizeof(rows[0].result), "read");
	if (d->state) {
		add_volume_rows(d->state, rows, &n);
	} else {
		rows[n].volume = "STATE";
		rows[n].device = d->state_device;
		snprintf(rows[n].mapping, sizeof(rows[0].mapping), "-");
		snprintf(rows[n++].result, sizeof(rows[0].result), "not encrypted");
	}
	add_volume_rows(d->volumes, rows, &n);
	for (size_t i = 0; i < d->other_count; i++, n++) {
		rows[n].volume = d->others[i].volume;
		rows[n].device = d->others[i].device[0] ? d->others[i].device : "-";
		snprintf(rows[n].mapping, sizeof(rows[0].mapping), "-");
		snprintf(rows[n].result, sizeof(rows[0].result), "%s%s", d->others[i].code ?
			 "failed: " : "", d->others[i].result);
	}
	return n;
}

static size_t rows_capacity(const struct lv_talos_disk *d)
{
	return 2 + (d->state ? d->state->volume_count : 0) +
	       (d->volumes ? d->volumes->volume_count : 0) + d->other_count;
}

static void print_table(const struct lv_talos_disk *d, const struct row *rows, size_t n,
			FILE *out)
{
	int w_volume = 6, w_device = 9, w_mapping = 7;
	char sentence[LV_ERR_MSG_MAX + 64];

	for (size_t i = 0; i < n; i++) {
		w_volume = (int)strlen(rows[i].volume) > w_volume ? (int)strlen(rows[i].volume) : w_volume;
		w_device = (int)strlen(rows[i].device) > w_device ? (int)strlen(rows[i].device) : w_device;
		w_mapping = (int)strlen(rows[i].mapping) > w_mapping ? (int)strlen(rows[i].mapping) :
			    w_mapping;
	}
	fprintf(out, "%-*s  %-*s  %-*s  %s\n", w_volume, "VOLUME", w_device, "PARTITION", w_mapping,
		"MAPPING", "RESULT");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%-*s  %-*s  %-*s  %s\n", w_volume, rows[i].volume, w_device,
			rows[i].device, w_mapping, rows[i].mapping, rows[i].result);
	fprintf(out, "\nSTATE is mounted read-only at %s (%s from %s%s%s)\n", LV_TALOS_STATE_MOUNT,
		STATE_FS, d->mount_source, d->state ? "" : ", a read-only loop over ",
		d->state ? "" : d->state_device);
	if (d->norecovery)
		fprintf(out, "warning: STATE's XFS log needs recovery (the node did not shut down "
			"cleanly); it was not replayed (norecovery, nothing written): the last "
			"changes to STATE may be missing\n");
	if (d->config_error.code)
		fprintf(out, "machine config: %s\n", d->config_error.msg);
	else
		fprintf(out, "machine config: %s/%s\n", LV_TALOS_STATE_MOUNT, CONFIG_NAME);
	for (unsigned i = 0; i < d->meta.step_count; i++) {
		const struct lv_apply_step *step = &d->meta.steps[i];

		snprintf(sentence, sizeof(sentence), "%s%s", step->action == LV_STEP_WARN ?
			 "warning: " : "read ", step->detail);
		fprintf(out, "META: %s\n", sentence);
	}
	fputs("`luksvol talos close` unmounts STATE and closes these mappings.\n", out);
}

static struct json_object *row_json(const struct row *row)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "volume", json_object_new_string(row->volume));
	if (row->device[0] && strcmp(row->device, "-") != 0)
		json_object_object_add(obj, "partition", json_object_new_string(row->device));
	if (strcmp(row->mapping, "-") != 0)
		json_object_object_add(obj, "mapping", json_object_new_string(row->mapping));
	if (row->vol && row->vol->opened_slot >= 0)
		json_object_object_add(obj, "slot", json_object_new_int(row->vol->opened_slot));
	json_object_object_add(obj, "result", json_object_new_string(row->result));
	json_object_object_add(obj, "failed", json_object_new_boolean(
		strncmp(row->result, "failed: ", 8) == 0));
	return obj;
}

static void print_json(const struct lv_talos_disk *d, const struct row *rows, size_t n, FILE *out)
{
	struct json_object *root = json_object_new_object(), *volumes = json_object_new_array();
	struct json_object *meta = json_object_new_array();

	json_object_object_add(root, "disk", d->disk[0] ? json_object_new_string(d->disk) : NULL);
	json_object_object_add(root, "stateMount", json_object_new_string(LV_TALOS_STATE_MOUNT));
	json_object_object_add(root, "stateLogReplayed", json_object_new_boolean(!d->norecovery));
	json_object_object_add(root, "machineConfig", d->config_error.code ? NULL :
			       json_object_new_string(LV_TALOS_STATE_MOUNT "/" CONFIG_NAME));
	if (d->config_error.code)
		json_object_object_add(root, "machineConfigError",
				       json_object_new_string(d->config_error.msg));
	for (unsigned i = 0; i < d->meta.step_count; i++) {
		struct json_object *step = json_object_new_object();

		json_object_object_add(step, "action", json_object_new_string(
			d->meta.steps[i].action == LV_STEP_WARN ? "warning" : "read"));
		json_object_object_add(step, "detail", json_object_new_string(d->meta.steps[i].detail));
		json_object_array_add(meta, step);
	}
	json_object_object_add(root, "meta", meta);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(volumes, row_json(&rows[i]));
	json_object_object_add(root, "volumes", volumes);
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

void lv_talos_disk_print(const struct lv_talos_disk *disk, FILE *out, int json)
{
	struct row *rows = calloc(rows_capacity(disk), sizeof(*rows));
	size_t n;

	if (!rows) {
		fputs("out of memory\n", out);
		return;
	}
	n = make_rows(disk, rows);
	if (json)
		print_json(disk, rows, n, out);
	else
		print_table(disk, rows, n, out);
	free(rows);
}
