/* SPDX-License-Identifier: ISC */
/*
 * rescue_volumes.c: the volumes besides META and STATE that `talos open`
 * opens: those the machine config encrypts, each on its device, opened
 * as apply --no-sync opens them (no header byte written) and mapped
 * read-write as Talos maps them; a row for each one that is not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talos/meta_io.h"
#include "talos/rescue_partitions.h"
#include "talos/rescue_volumes.h"

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
		const char *path = rescue_volume_device(d, overrides, vol->volume_id, &why);
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

void rescue_open_volumes(struct lv_talos_disk *d, const char *const *overrides,
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
