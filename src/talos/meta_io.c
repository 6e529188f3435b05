/* SPDX-License-Identifier: ISC */
/*
 * meta_io.c: apply's META (meta_io.h).  Talos reads META at boot: tag 15,
 * when non-empty, replaces the SMBIOS UUID (controllers/hardware/
 * system.go); with no machine config, STATE's encryption comes from tag 9
 * (volumeconfig/system_volumes.go manageStateNoConfig); with one, tag 9 is
 * rewritten when the config's bytes differ from it (manageStateConfigPresent).
 *
 * Stricter than Talos: a META neither of whose copies is valid is reported
 * and never written over unless forced (Talos starts from an empty store
 * and overwrites it), and while META cannot be read nodeID and kms keys
 * get no UUID at all: an override that could not be seen must not turn
 * into a key derived from the SMBIOS UUID, which the key sync would then
 * enrol in place of the right one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "config/state_meta.h"
#include "luksvol-meta.h"
#include "talos/meta_io.h"

#define TAG9 LV_META_TAG_STATE_ENCRYPTION_CONFIG
#define TAG15 LV_META_TAG_UUID_OVERRIDE

/* What the META part of a report names. */
static struct lv_config_volume meta_volume = {
	.kind = LV_VOLUME_SYSTEM,
	.name = LV_META_LABEL,
	.volume_id = LV_META_LABEL,
};

int lv_config_has_volume(const struct lv_config_file *cfg, const char *volume_id)
{
	for (size_t i = 0; cfg && i < cfg->volume_count; i++)
		if (strcmp(cfg->volumes[i].volume_id, volume_id) == 0)
			return 1;
	return 0;
}

/* META is there but unusable: the report says why, and neither tag 15
 * nor tag 9 can be known. */
static void meta_failed(struct lv_apply_volume *report, struct lv_meta_inputs *in,
			const struct lv_err *err, int code, int want_state)
{
	lv_apply_step(report, LV_STEP_READ_META, LV_STEP_FAILED, -1, NULL, "%s", err->msg);
	lv_apply_volume_fail(report, err, code);
	lv_err_set(&in->node_uuid_unknown, code,
		   "%s, so whether its tag 15 (UUIDOverride) replaces the SMBIOS UUID is unknown: "
		   "pass --node-uuid", err->msg);
	if (want_state)
		lv_err_set(&in->state_error, code,
			   "STATE's config in META cannot be read: %s", err->msg);
}

/* Which META: the one given, else the partition named META.  0 with an
 * empty path when there is none to find. */
static int locate(const char *given, char *path, size_t size, struct lv_err *err)
{
	struct lv_err find_err = { 0 };
	int r;

	path[0] = '\0';
	if (given) {
		snprintf(path, size, "%s", given);
		return 0;
	}
	r = lv_partition_find(LV_META_LABEL, path, size, &find_err);
	if (r == -ENODEV) {
		path[0] = '\0';
		return 0;
	}
	if (r < 0)
		return lv_err_set(err, r, "%s: pass --meta DEV", find_err.msg);
	return 0;
}

static void warn_cleartext(struct lv_apply_volume *report, const struct lv_config_volume *state)
{
	const struct lv_config_encryption *enc = &state->encryption;

	for (size_t i = 0; i < enc->key_count; i++)
		if (enc->keys[i].kind == LV_KEY_STATIC)
			lv_apply_step(report, LV_STEP_WARN, LV_STEP_DONE, -1, NULL,
				      "tag 9 holds STATE's static passphrase of keyslot %d in cleartext: "
				      "whoever can read META can open STATE", enc->keys[i].slot);
}

static void read_uuid(const struct lv_meta *meta, struct lv_apply_volume *report,
		      struct lv_meta_inputs *in)
{
	const struct lv_secret *value = lv_meta_get(meta, TAG15, NULL);

	if (!value || value->len == 0)
		return;
	if (value->len > LV_NODE_UUID_MAX || memchr(value->bytes, 0, value->len)) {
		lv_err_set(&in->node_uuid_unknown, -EINVAL,
			   "META %s: tag 15 (UUIDOverride) is not a UUID (%zu bytes): pass --node-uuid",
			   report->device, value->len);
		lv_apply_step(report, LV_STEP_READ_META, LV_STEP_FAILED, -1, NULL, "%s",
			      in->node_uuid_unknown.msg);
		return;
	}
	memcpy(in->node_uuid, value->bytes, value->len);
	in->node_uuid[value->len] = '\0';
	in->has_node_uuid = 1;
	/* The UUID is what nodeID keys are made of: not printed. */
	lv_apply_step(report, LV_STEP_READ_META, LV_STEP_DONE, -1, NULL,
		      "tag 15 (UUIDOverride): the node UUID");
}

static void read_state(const struct lv_meta *meta, struct lv_apply_volume *report,
		       struct lv_meta_inputs *in)
{
	const struct lv_secret *value = lv_meta_get(meta, TAG9, NULL);
	enum lv_state_meta_shape shape = LV_STATE_META_MODERN;
	struct lv_err err = { 0 };
	char source[4200], *diagnostics = NULL;
	int r;

	if (!value) {
		lv_apply_step(report, LV_STEP_READ_META, LV_STEP_DONE, -1, NULL,
			      "no tag 9 (StateEncryptionConfig): STATE is not encrypted");
		return;
	}
	snprintf(source, sizeof(source), "META %s tag 9", report->device);
	r = lv_state_meta_decode(source, value->bytes, value->len, &in->state_cfg, &shape,
				 &diagnostics, &err);
	if (r < 0) {
		/* The first diagnostic names the field; the rest follow it. */
		if (diagnostics && diagnostics[0])
			snprintf(err.msg, sizeof(err.msg), "%.*s", (int)strcspn(diagnostics, "\n"),
				 diagnostics);
		free(diagnostics);
		lv_apply_step(report, LV_STEP_READ_META, LV_STEP_FAILED, -1, NULL, "%s", err.msg);
		lv_err_set(&in->state_error, r, "META's tag 9 is not a STATE config: %s", err.msg);
		return;
	}
	free(diagnostics);
	lv_apply_step(report, LV_STEP_READ_META, LV_STEP_DONE, -1, NULL,
		      "tag 9 (StateEncryptionConfig): STATE's encryption config (%s shape)",
		      shape == LV_STATE_META_LEGACY ? "legacy" : "modern");
	warn_cleartext(report, &in->state_cfg->volumes[0]);
}

void lv_meta_inputs_read(const char *given, int want_state, struct lv_apply_volume *report,
			 struct lv_meta_inputs *in)
{
	struct lv_meta *meta = NULL;
	struct lv_err err = { 0 };
	int r;

	memset(in, 0, sizeof(*in));
	memset(report, 0, sizeof(*report));
	report->opened_slot = -1;
	r = locate(given, report->device, sizeof(report->device), &err);
	if (r == 0 && !report->device[0])
		return;
	report->config = &meta_volume;
	report->outcome = LV_VOLUME_OPENED;
	if (r == 0)
		r = lv_meta_open(report->device, 0, &meta, &err);
	if (r == 0)
		r = lv_meta_check(meta, &err);
	if (r < 0) {
		meta_failed(report, in, &err, r == -ENOENT ? -ENODEV : r, want_state);
		lv_meta_close(&meta);
		return;
	}
	read_uuid(meta, report, in);
	if (want_state)
		read_state(meta, report, in);
	lv_meta_close(&meta);
}

void lv_meta_inputs_release(struct lv_meta_inputs *in)
{
	lv_config_free(&in->state_cfg);
	lv_wipe(in->node_uuid, sizeof(in->node_uuid));
}

struct lv_key_settings lv_meta_key_settings(const struct lv_key_settings *given,
					    const struct lv_meta_inputs *in)
{
	struct lv_key_settings keys = *given;

	if (keys.node_uuid)
		return keys;
	if (in->has_node_uuid)
		keys.node_uuid = in->node_uuid;
	else if (in->node_uuid_unknown.msg[0])
		keys.node_uuid_unknown = in->node_uuid_unknown.msg;
	return keys;
}

/* Sets and flushes tag 9, unless it already holds json. */
static int write_tag9(struct lv_meta *meta, const struct lv_secret *json,
		      const struct lv_apply_params *params, struct lv_apply_volume *report,
		      struct lv_err *err)
{
	const struct lv_secret *current = lv_meta_get(meta, TAG9, NULL);
	int corrupt = lv_meta_state(meta) == LV_META_CORRUPT, r;

	/* Talos compares with what it reads (either ADV) and writes only
	 * when the bytes differ. */
	if (current && current->len == json->len && lv_secret_equal(current, json)) {
		lv_apply_step(report, LV_STEP_KEEP, LV_STEP_DONE, -1, NULL,
			      "tag 9 (StateEncryptionConfig) holds STATE's config");
		return 0;
	}
	if (params->dry_run || params->no_sync) {
		lv_apply_step(report, LV_STEP_WRITE_META, LV_STEP_PLANNED, -1, NULL,
			      "tag 9 (StateEncryptionConfig)%s",
			      params->dry_run ? "" : ": not written, --no-sync writes nothing");
		return 0;
	}
	r = lv_meta_set(meta, TAG9, json->bytes, json->len, err);
	if (r == 0)
		r = lv_meta_flush(meta, err);
	if (r == 0)
		lv_apply_step(report, LV_STEP_WRITE_META, LV_STEP_DONE, -1, NULL,
			      "tag 9 (StateEncryptionConfig): STATE's encryption config%s",
			      corrupt ? ", over a META neither of whose copies was valid "
					"(--force-meta): its other tags are lost" : "");
	return r;
}

/* A META that cannot be read is written over only when forced; a dry run
 * or --no-sync says what a real run would refuse. */
static int check_writable(const struct lv_meta *meta, const struct lv_apply_params *params,
			  struct lv_err *err)
{
	struct lv_err why = { 0 };

	if (params->force_meta || lv_meta_check(meta, &why) == 0)
		return 0;
	return lv_err_set(err, -EINVAL, "tag 9: %s: left as it is (--force-meta writes over it)",
			  why.msg);
}

void lv_meta_store_state(const struct lv_config_volume *state, const struct lv_apply_params *params,
			 struct lv_apply_volume *report)
{
	unsigned flags = params->dry_run || params->no_sync ? 0 : LV_META_WRITABLE;
	struct lv_secret *json = NULL;
	struct lv_meta *meta = NULL;
	struct lv_err err = { 0 };
	int r;

	/* No META, or none could be chosen (already reported). */
	if (!report->config || !report->device[0])
		return;
	r = lv_state_meta_encode(state, &json, &err);
	if (r == 0)
		r = lv_meta_open(report->device, flags | (params->force_meta ? LV_META_FORCE : 0),
				 &meta, &err);
	if (r == 0)
		r = check_writable(meta, params, &err);
	if (r == 0)
		r = write_tag9(meta, json, params, report, &err);
	if (r < 0)
		lv_apply_step(report, LV_STEP_WRITE_META, LV_STEP_FAILED, -1, NULL, "%s", err.msg);
	else
		warn_cleartext(report, state);
	lv_meta_close(&meta);
	lv_secret_free(&json);
}
