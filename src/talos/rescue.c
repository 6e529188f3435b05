/* SPDX-License-Identifier: ISC */
/*
 * rescue.c: `luksvol talos open` (luksvol-talos.h): a Talos node's disk
 * opened in one command, as Talos opens it at boot (talos-encryption.md
 * §6), in this order: the partitions (rescue_partitions.c), META and
 * STATE (rescue_state.c), the record talos close undoes
 * (rescue_record.c), the volumes the machine config encrypts
 * (rescue_volumes.c); rescue_print.c shows the result.
 *
 * It is apply with --no-sync, and only that: every apply run here takes
 * its parameters from rescue_params(), which sets no_sync and no_meta, so
 * each volume's device is opened read-only (no format, no header
 * recovery, no keyslot or token change) and META is opened read-only.
 * STATE is mapped read-only and mounted read-only: on a writable device
 * XFS writes its log even so (recovery at mount, the unmount record).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "talos/rescue_partitions.h"
#include "talos/rescue_record.h"
#include "talos/rescue_state.h"
#include "talos/rescue_volumes.h"

/* Undoes a STATE that was opened but could not be mounted. */
static void undo_state(struct lv_talos_disk *d, int dir_fd)
{
	const struct lv_apply_volume *state = rescue_state_volume(d);

	if (state && state->mapping_created)
		lv_deactivate(state->mapping, 0, NULL);
	rescue_unclaim(dir_fd);
}

static int open_and_mount(struct lv_talos_disk *d, const struct lv_key_settings *keys,
			  struct lv_err *err)
{
	int dir_fd = -1, r = rescue_open_run_dir(1, &dir_fd, err);

	if (r == 0)
		r = rescue_claim(dir_fd, err);
	if (r < 0) {
		if (dir_fd >= 0)
			close(dir_fd);
		return r;
	}
	r = rescue_open_state(d, keys, err);
	if (r == 0)
		r = rescue_mount_state(d, dir_fd, err);
	/* The mount holds the loop device now; autoclear ends it at umount. */
	if (d->loop_fd >= 0)
		close(d->loop_fd);
	d->loop_fd = -1;
	if (r < 0)
		undo_state(d, dir_fd);
	else
		rescue_record_write(d, dir_fd);
	close(dir_fd);
	return r;
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
		r = rescue_discover(d, params->disk, err);
	if (r == 0)
		r = rescue_read_meta(d, params, &in, err);
	if (r == 0 && !(state_path = rescue_volume_device(d, params->devices, "STATE", &why)))
		r = lv_err_set(err, why.code, "%s", why.msg);
	if (r == 0) {
		snprintf(d->state_device, sizeof(d->state_device), "%s", state_path);
		keys = lv_meta_key_settings(&params->keys, &in);
		r = open_and_mount(d, &keys, err);
	}
	if (r == 0) {
		rescue_read_machine_config(d);
		if (d->machine)
			rescue_open_volumes(d, params->devices, &keys);
		rescue_record_final(d);
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
