/* SPDX-License-Identifier: ISC */
/* report.c: apply's report, one line per volume and action, or JSON. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keys/keys.h"
#include "talos/report.h"

void lv_apply_step(struct lv_apply_volume *vol, enum lv_step_action action,
		   enum lv_step_status status, int slot, const struct lv_config_key *key,
		   const char *fmt, ...)
{
	struct lv_apply_step *step;
	va_list ap;

	if (vol->step_count >= LV_APPLY_STEPS_MAX)
		return;
	step = &vol->steps[vol->step_count++];
	step->action = action;
	step->status = status;
	step->slot = slot;
	step->key = key;
	va_start(ap, fmt);
	vsnprintf(step->detail, sizeof(step->detail), fmt, ap);
	va_end(ap);
}

void lv_apply_volume_fail(struct lv_apply_volume *vol, const struct lv_err *err, int code)
{
	vol->outcome = LV_VOLUME_FAILED;
	vol->error_code = code;
	snprintf(vol->error, sizeof(vol->error), "%s", err->msg[0] ? err->msg : strerror(-code));
}

static const char *const action_names[LV_STEP_ACTION_COUNT] = {
	[LV_STEP_LOCATE] = "locate", [LV_STEP_SALT] = "create-salt", [LV_STEP_FORMAT] = "format",
	[LV_STEP_OPEN] = "open", [LV_STEP_MAP] = "map", [LV_STEP_KEEP] = "keep",
	[LV_STEP_ADD] = "add", [LV_STEP_REPLACE] = "replace", [LV_STEP_REMOVE] = "remove",
	[LV_STEP_CHECK] = "check", [LV_STEP_REFUSE] = "refuse",
	[LV_STEP_READ_META] = "read-meta", [LV_STEP_WRITE_META] = "write-meta", [LV_STEP_WARN] = "warning",
};
static const char *const status_names[] = {
	[LV_STEP_DONE] = "done", [LV_STEP_FAILED] = "failed", [LV_STEP_PLANNED] = "planned",
};
static const char *const outcome_names[] = {
	[LV_VOLUME_SKIPPED] = "skipped", [LV_VOLUME_FORMATTED] = "formatted",
	[LV_VOLUME_OPENED] = "opened", [LV_VOLUME_FAILED] = "failed",
};

static void describe_slot(const struct lv_apply_step *step, char *text, size_t size)
{
	if (!step->key)
		snprintf(text, size, "keyslot %d", step->slot);
	else
		snprintf(text, size, "keyslot %d (%s%s)", step->slot, lv_key_kind_name(step->key->kind),
			 step->key->lock_to_state ? ", lockToState" : "");
}

/* The sentence for a step, e.g. "would add keyslot 1 (static)". */
static void step_sentence(const struct lv_apply_step *step, char *text, size_t size)
{
	static const char *const done[LV_STEP_ACTION_COUNT] = {
		[LV_STEP_SALT] = "created the lockToState salt", [LV_STEP_FORMAT] = "formatted with",
		[LV_STEP_OPEN] = "opened with", [LV_STEP_MAP] = "mapped as", [LV_STEP_KEEP] = "in sync:",
		[LV_STEP_ADD] = "added", [LV_STEP_REPLACE] = "replaced", [LV_STEP_REMOVE] = "removed",
		[LV_STEP_READ_META] = "read", [LV_STEP_WRITE_META] = "wrote", [LV_STEP_WARN] = "warning:",
	};
	static const char *const planned[LV_STEP_ACTION_COUNT] = {
		[LV_STEP_SALT] = "would create the lockToState salt", [LV_STEP_FORMAT] = "would format with",
		[LV_STEP_MAP] = "would map as", [LV_STEP_ADD] = "would add", [LV_STEP_REPLACE] = "would replace",
		[LV_STEP_REMOVE] = "would remove", [LV_STEP_WRITE_META] = "would write",
	};
	static const char *const failed[LV_STEP_ACTION_COUNT] = {
		[LV_STEP_FORMAT] = "cannot format with", [LV_STEP_OPEN] = "does not open it:",
		[LV_STEP_MAP] = "cannot map", [LV_STEP_ADD] = "cannot add",
		[LV_STEP_REPLACE] = "cannot replace", [LV_STEP_REMOVE] = "cannot remove",
		[LV_STEP_CHECK] = "cannot check", [LV_STEP_REFUSE] = "refused: it holds",
		[LV_STEP_READ_META] = "cannot read", [LV_STEP_WRITE_META] = "did not write",
	};
	const char *const *table = step->status == LV_STEP_DONE ? done :
				   step->status == LV_STEP_PLANNED ? planned : failed;
	const char *verb = table[step->action] ? table[step->action] : action_names[step->action];
	char slot[96] = "";

	if (step->slot >= 0)
		describe_slot(step, slot, sizeof(slot));
	if (step->action == LV_STEP_OPEN && step->status == LV_STEP_FAILED)
		snprintf(text, size, "%s %s %s", slot, verb, step->detail);
	else if (step->action == LV_STEP_WARN && slot[0])
		snprintf(text, size, "%s: warning: %s", slot, step->detail);
	else
		snprintf(text, size, "%s%s%s%s%s", verb, slot[0] ? " " : "", slot,
			 step->detail[0] ? (slot[0] ? ": " : " ") : "", step->detail);
}

static void print_volume(const struct lv_apply_volume *vol, FILE *out)
{
	const char *id = vol->config->volume_id;
	char sentence[LV_ERR_MSG_MAX + 256];

	if (vol->outcome == LV_VOLUME_SKIPPED) {
		fprintf(out, "%s: not encrypted, skipped\n", id);
		return;
	}
	if (vol->device[0])
		fprintf(out, "%s: %s\n", id, vol->device);
	for (unsigned i = 0; i < vol->step_count; i++) {
		step_sentence(&vol->steps[i], sentence, sizeof(sentence));
		fprintf(out, "%s: %s\n", id, sentence);
	}
	if (vol->outcome == LV_VOLUME_FAILED)
		fprintf(out, "%s: failed: %s\n", id, vol->error);
}

static struct json_object *step_json(const struct lv_apply_step *step)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "action", json_object_new_string(action_names[step->action]));
	json_object_object_add(obj, "status", json_object_new_string(status_names[step->status]));
	if (step->slot >= 0)
		json_object_object_add(obj, "slot", json_object_new_int(step->slot));
	if (step->key) {
		json_object_object_add(obj, "key", json_object_new_string(lv_key_kind_name(step->key->kind)));
		json_object_object_add(obj, "lockToState", json_object_new_boolean(step->key->lock_to_state));
	}
	if (step->detail[0])
		json_object_object_add(obj, step->status == LV_STEP_FAILED ? "error" : "detail",
				       json_object_new_string(step->detail));
	return obj;
}

static struct json_object *volume_json(const struct lv_apply_volume *vol)
{
	struct json_object *obj = json_object_new_object(), *steps = json_object_new_array();

	json_object_object_add(obj, "volume", json_object_new_string(vol->config->volume_id));
	json_object_object_add(obj, "outcome", json_object_new_string(outcome_names[vol->outcome]));
	if (vol->device[0])
		json_object_object_add(obj, "device", json_object_new_string(vol->device));
	if (vol->opened_slot >= 0)
		json_object_object_add(obj, "slot", json_object_new_int(vol->opened_slot));
	if (vol->mapping[0])
		json_object_object_add(obj, "mapping", json_object_new_string(vol->mapping));
	if (vol->outcome == LV_VOLUME_FAILED)
		json_object_object_add(obj, "error", json_object_new_string(vol->error));
	for (unsigned i = 0; i < vol->step_count; i++)
		json_object_array_add(steps, step_json(&vol->steps[i]));
	json_object_object_add(obj, "actions", steps);
	return obj;
}

void lv_apply_report_print(const struct lv_apply_report *report, FILE *out, int json)
{
	struct json_object *root, *volumes;

	if (!json) {
		if (report->meta.config)
			print_volume(&report->meta, out);
		for (size_t i = 0; i < report->volume_count; i++)
			print_volume(&report->volumes[i], out);
		return;
	}
	root = json_object_new_object();
	volumes = json_object_new_array();
	json_object_object_add(root, "dryRun", json_object_new_boolean(report->dry_run));
	if (report->meta.config)
		json_object_object_add(root, "meta", volume_json(&report->meta));
	for (size_t i = 0; i < report->volume_count; i++)
		json_object_array_add(volumes, volume_json(&report->volumes[i]));
	json_object_object_add(root, "volumes", volumes);
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static int destructive(const struct lv_apply_step *step)
{
	return step->status == LV_STEP_PLANNED &&
	       (step->action == LV_STEP_REMOVE || step->action == LV_STEP_REPLACE);
}

unsigned lv_apply_report_print_destructive(const struct lv_apply_report *report, FILE *out)
{
	char sentence[LV_ERR_MSG_MAX + 256];
	unsigned count = 0;

	for (size_t i = 0; i < report->volume_count; i++) {
		const struct lv_apply_volume *vol = &report->volumes[i];

		for (unsigned j = 0; j < vol->step_count; j++) {
			if (!destructive(&vol->steps[j]))
				continue;
			step_sentence(&vol->steps[j], sentence, sizeof(sentence));
			fprintf(out, "%s: %s\n", vol->config->volume_id, sentence);
			count++;
		}
	}
	return count;
}
