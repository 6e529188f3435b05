/* SPDX-License-Identifier: ISC */
/*
 * rescue_state.c: META and STATE for `talos open`: STATE's config from
 * META's tag 9, STATE mapped and mounted read-only (on a writable device
 * XFS writes its log even on a read-only mount: recovery, the unmount
 * record), and the machine config Talos keeps on it (config.yaml,
 * talos:pkg/machinery/constants ConfigFilename, written by
 * controllers/config/persistence.go).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talos/rescue_partitions.h"
#include "talos/rescue_state.h"
#include "talos/volume_device.h"

int rescue_read_meta(struct lv_talos_disk *d, const struct lv_talos_open_params *params,
		     struct lv_meta_inputs *in, struct lv_err *err)
{
	const char *path = params->meta_device;
	struct lv_err why = { 0 };

	if (!path && !(path = rescue_volume_device(d, NULL, LV_META_LABEL, &why)))
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

int rescue_open_state(struct lv_talos_disk *d, const struct lv_key_settings *keys,
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

const struct lv_apply_volume *rescue_state_volume(const struct lv_talos_disk *d)
{
	return d->state && d->state->volume_count ? &d->state->volumes[0] : NULL;
}

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

int rescue_mount_state(struct lv_talos_disk *d, int dir_fd, struct lv_err *err)
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

void rescue_read_machine_config(struct lv_talos_disk *d)
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
