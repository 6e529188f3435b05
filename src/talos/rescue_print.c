/* SPDX-License-Identifier: ISC */
/*
 * rescue_print.c: what `talos open` did, one row per partition (VOLUME
 * PARTITION MAPPING RESULT), then the mount, the machine config and what
 * META said; or the same as one JSON object.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talos/rescue_disk.h"

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
