/* SPDX-License-Identifier: ISC */
/*
 * apply.c: `luksvol apply`.  For each encrypted volume, STATE first: find
 * its device, format it when it is empty, open it when it is LUKS2, refuse
 * anything else, then keep its keyslots in sync with the config
 * (talos-encryption.md §3 "Format-or-open decision", §4).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talos/apply.h"
#include "talos/meta_io.h"
#include "talos/rules.h"
#include "talos/run.h"
#include "talos/sync.h"
#include "talos/volume_device.h"

/* STATE first (its salt and META live there), then EPHEMERAL, then the
 * rest in document order. */
static int volume_rank(const struct lv_config_volume *vol)
{
	if (vol->kind != LV_VOLUME_SYSTEM)
		return 3;
	if (strcmp(vol->volume_id, "STATE") == 0)
		return 0;
	return strcmp(vol->volume_id, "EPHEMERAL") == 0 ? 1 : 2;
}

static void order_volumes(const struct lv_config_volume *const *vols, size_t count, size_t *order)
{
	size_t n = 0;

	for (int rank = 0; rank <= 3; rank++)
		for (size_t i = 0; i < count; i++)
			if (volume_rank(vols[i]) == rank)
				order[n++] = i;
}

static void sort_keys(struct lv_volume_run *run, const struct lv_config_encryption *enc)
{
	run->key_count = 0;
	for (size_t i = 0; i < enc->key_count && run->key_count < LV_KEYSLOT_COUNT; i++) {
		size_t at = run->key_count++;
		while (at > 0 && run->sorted_keys[at - 1]->slot > enc->keys[i].slot) {
			run->sorted_keys[at] = run->sorted_keys[at - 1];
			at--;
		}
		run->sorted_keys[at] = &enc->keys[i];
	}
}

/* An earlier entry for the same volume ID, or NULL. */
static const char *earlier_override(const char *const *first, const char *const *entry,
				    size_t id_len)
{
	for (const char *const *other = first; other < entry; other++)
		if (strncmp(*other, *entry, id_len + 1) == 0)
			return *other;
	return NULL;
}

/* Whether entry's first len bytes are volume_id. */
static int names_volume(const char *entry, size_t len, const char *volume_id)
{
	return volume_id && strlen(volume_id) == len && strncmp(volume_id, entry, len) == 0;
}

/* known_id: a volume the run has besides vols (STATE, when META could not
 * give its config), or NULL. */
static int check_overrides(const struct lv_config_volume *const *vols, size_t count,
			   const char *known_id, const char *cfg_path,
			   const struct lv_apply_params *params, struct lv_err *err)
{
	for (const char *const *entry = params->devices; entry && *entry; entry++) {
		const char *eq = strchr(*entry, '='), *earlier;
		size_t id_len;
		int known;

		if (!eq || eq == *entry || !eq[1])
			return lv_err_set(err, -EINVAL, "--device %s: expected VOLUMEID=PATH", *entry);
		id_len = (size_t)(eq - *entry);
		earlier = earlier_override(params->devices, entry, id_len);
		if (earlier)
			return lv_err_set(err, -EINVAL, "--device %s: volume %.*s already has --device %s",
					  *entry, (int)id_len, *entry, earlier);
		known = names_volume(*entry, id_len, known_id);
		for (size_t i = 0; i < count; i++)
			known |= names_volume(*entry, id_len, vols[i]->volume_id);
		if (!known)
			return lv_err_set(err, -EINVAL, "--device %s: no volume %.*s in %s%s", *entry,
					  (int)id_len, *entry, cfg_path,
					  params->no_meta ? "" : " nor in META's tag 9");
	}
	return 0;
}

static int locate_device(struct lv_volume_run *run, struct lv_err *err)
{
	struct lv_apply_volume *vol = run->report;
	const char *path = lv_device_override(run->params->devices, vol->config->volume_id);
	struct lv_err find_err = { 0 };
	int r;

	if (path) {
		snprintf(vol->device, sizeof(vol->device), "%s", path);
		return 0;
	}
	r = lv_partition_find(vol->config->volume_id, vol->device, sizeof(vol->device), &find_err);
	if (r < 0) {
		vol->device[0] = '\0';
		lv_err_set(err, r, "%s: pass --device %s=PATH", find_err.msg, vol->config->volume_id);
	}
	return r;
}

/* §3 FormatAndEncrypt: the first key (in slot order) that can be derived
 * formats the volume at its slot; nothing is written when none can. */
static int first_derivable_key(struct lv_volume_run *run, struct lv_secret **passphrase,
			       char **token_json, struct lv_err *err)
{
	struct lv_err key_err = { 0 };
	int r = -ENOENT;

	for (size_t i = 0; i < run->key_count; i++) {
		const struct lv_config_key *key = run->sorted_keys[i];

		r = lv_plan_derive_new(run, key, passphrase, token_json, &key_err);
		if (r == 0)
			return (int)i;
		lv_apply_step(run->report, LV_STEP_FORMAT, LV_STEP_FAILED, key->slot, key, "%s",
			      key_err.msg);
	}
	return lv_err_set(err, r, "%s: no configured key can be derived: %s", run->report->device,
			  key_err.msg);
}

static int format_with_key(struct lv_volume_run *run, struct lv_device_hold **hold,
			   const struct lv_config_key *key, const struct lv_secret *passphrase,
			   const char *token_json, struct lv_err *err)
{
	const struct lv_config_encryption *enc = &run->report->config->encryption;
	struct lv_format_params format = {
		.cipher = enc->cipher,
		.key_bits = enc->key_bits,
		.sector_size = enc->block_size,
		.key_slot = key->slot,
		.pbkdf = lv_slot_pbkdf(run->params),
	};
	int r = lv_format_held(hold, &format, passphrase, &run->dev, err);

	if (r == 0)
		r = lv_slot_import_token(run, key, token_json, err);
	if (r == 0)
		r = lv_unlock(run->dev, key->slot, passphrase, &run->volume_key, NULL, err);
	return r;
}

/* Formats the held, empty device; the device keeps the hold's lock, so
 * no other writer sees it between the probe and the last added key. */
static int format_volume(struct lv_volume_run *run, struct lv_device_hold **hold,
			 struct lv_err *err)
{
	struct lv_secret *passphrase = NULL;
	char *token_json = NULL;
	int first = first_derivable_key(run, &passphrase, &token_json, err), r = 0;
	const struct lv_config_key *key;

	if (first < 0)
		return first;
	key = run->sorted_keys[first];
	if (!run->params->dry_run)
		r = format_with_key(run, hold, key, passphrase, token_json, err);
	lv_secret_free(&passphrase);
	free(token_json);
	if (r < 0)
		return r;
	lv_apply_step(run->report, LV_STEP_FORMAT, run->params->dry_run ? LV_STEP_PLANNED :
		      LV_STEP_DONE, key->slot, key, "cipher %s", run->report->config->encryption.cipher);
	run->report->outcome = LV_VOLUME_FORMATTED;
	run->opened_slot = key->slot;
	for (size_t i = (size_t)first + 1; i < run->key_count; i++)
		lv_slot_add_key(run, run->sorted_keys[i], LV_STEP_ADD);
	return 0;
}

/* §3 Open algorithm: each configured key only on its own keyslot,
 * ascending; the first that unlocks wins. */
static int try_key(struct lv_volume_run *run, const struct lv_config_key *key, struct lv_err *err)
{
	int derive_failed;

	if (!lv_keyslot_exists(run->dev, key->slot))
		return lv_err_set(err, -ENOENT, "keyslot %d is not in use", key->slot);
	return lv_slot_unlock(run, key, &run->volume_key, &derive_failed, err);
}

/* Unlocks run->dev, already loaded, with the first configured key that opens it. */
static int unlock_loaded(struct lv_volume_run *run, struct lv_err *err)
{
	struct lv_err key_err = { 0 };
	int r = lv_talos_header_check(run->dev, err);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < run->key_count && r < 0; i++) {
		const struct lv_config_key *key = run->sorted_keys[i];

		memset(&key_err, 0, sizeof(key_err));
		r = try_key(run, key, &key_err);
		lv_apply_step(run->report, LV_STEP_OPEN, r == 0 ? LV_STEP_DONE : LV_STEP_FAILED,
			      key->slot, key, "%s", key_err.msg);
		if (r == 0)
			run->opened_slot = key->slot;
	}
	if (r < 0)
		return lv_err_set(err, r == -EPERM ? -EPERM : r,
				  "%s: no configured key opens the volume", run->report->device);
	run->report->outcome = LV_VOLUME_OPENED;
	run->report->opened_slot = run->opened_slot;
	return 0;
}

/* Whether the run writes headers: not in --dry-run, never with --no-sync. */
static int run_writes(const struct lv_volume_run *run)
{
	return !run->params->dry_run && !run->params->no_sync;
}

static int open_volume(struct lv_volume_run *run, struct lv_device_hold **hold,
		       struct lv_err *err)
{
	int r = lv_device_load_held(hold, run_writes(run) ? LV_LOAD_WRITABLE : 0, &run->dev, err);

	return r < 0 ? r : unlock_loaded(run, err);
}

/* An existing mapping of this name is this volume only when it is a LUKS2
 * crypt mapping over this very device (a block device by its number, an
 * image file through its loop device's backing file). */
static int mapping_is_volume(const struct lv_mapping_status *status, const char *path)
{
	struct stat ours, theirs;

	if (strcmp(status->type, "LUKS2") != 0 || stat(path, &ours) < 0)
		return 0;
	if (S_ISBLK(ours.st_mode))
		return stat(status->device, &theirs) == 0 && S_ISBLK(theirs.st_mode) &&
		       theirs.st_rdev == ours.st_rdev;
	return status->loop_file[0] && stat(status->loop_file, &theirs) == 0 &&
	       theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

static int map_failed(struct lv_apply_volume *vol, struct lv_err *err, int r)
{
	lv_apply_step(vol, LV_STEP_MAP, LV_STEP_FAILED, -1, NULL, "%s", err->msg);
	lv_apply_volume_fail(vol, err, r);
	return r;
}

/* Maps the unlocked volume (§3 luksOpen); 0 when it is mapped (or not to
 * be), else the volume has failed and nothing may be synced. */
static int map_volume(struct lv_volume_run *run)
{
	const struct lv_config_encryption *enc = &run->report->config->encryption;
	struct lv_apply_volume *vol = run->report;
	struct lv_activate_params activate = { .name = vol->mapping };
	struct lv_mapping_status status;
	struct lv_err err = { 0 };
	int r;

	if (run->params->no_activate)
		return 0;
	activate.flags = enc->perf_flags | (enc->allow_discards ? LV_FLAG_ALLOW_DISCARDS : 0);
	activate.readonly = run->params->map_readonly;
	if (run->params->dry_run) {
		lv_apply_step(vol, LV_STEP_MAP, LV_STEP_PLANNED, -1, NULL, "/dev/mapper/%s", vol->mapping);
		return 0;
	}
	if (lv_mapping_status(vol->mapping, &status, NULL) == 0) {
		if (!mapping_is_volume(&status, vol->device)) {
			r = lv_err_set(&err, -EEXIST, "/dev/mapper/%s exists and maps another device (%s)",
				       vol->mapping, status.loop_file[0] ? status.loop_file : status.device);
			return map_failed(vol, &err, r);
		}
		lv_apply_step(vol, LV_STEP_MAP, LV_STEP_DONE, -1, NULL, "/dev/mapper/%s (already active)",
			      vol->mapping);
		return 0;
	}
	r = lv_activate(run->dev, run->volume_key, &activate, &err);
	if (r < 0)
		return map_failed(vol, &err, r);
	vol->mapping_created = 1;
	lv_apply_step(vol, LV_STEP_MAP, LV_STEP_DONE, -1, NULL, "/dev/mapper/%s", vol->mapping);
	return 0;
}

static int refuse(struct lv_volume_run *run, const char *other_type, struct lv_err *err)
{
	lv_apply_step(run->report, LV_STEP_REFUSE, LV_STEP_FAILED, -1, NULL, "%s", other_type);
	return lv_err_set(err, -ENODEV, "%s: holds %s, not LUKS2: refusing to format it (wipe it first)",
			  run->report->device, other_type);
}

static int refuse_empty(struct lv_volume_run *run, struct lv_err *err)
{
	return lv_err_set(err, -ENODEV, "%s: holds no LUKS2 header, and --no-sync never formats",
			  run->report->device);
}

/* Format or open, decided and done under the device's lock (the hold's,
 * then the device's): two runs on one empty device never both format it. */
static int format_or_open(struct lv_volume_run *run, enum lv_device_content *content,
			  struct lv_err *err)
{
	struct lv_device_hold *hold = NULL;
	char other_type[128];
	int r = lv_device_hold(run->report->device, run_writes(run), &hold, err);

	if (r == 0)
		r = lv_device_content(hold, run->report->device, content, other_type,
				      sizeof(other_type), err);
	if (r == 0 && *content == LV_CONTENT_OTHER)
		r = refuse(run, other_type, err);
	else if (r == 0 && *content == LV_CONTENT_EMPTY)
		r = run->params->no_sync ? refuse_empty(run, err) : format_volume(run, &hold, err);
	else if (r == 0)
		r = open_volume(run, &hold, err);
	lv_device_hold_release(&hold);
	return r;
}

/* §3 then §4: the keyslots are synced only once the volume is unlocked
 * and mapped (or not to be mapped), never after a failure. */
static int run_volume(struct lv_volume_run *run, struct lv_err *err)
{
	enum lv_device_content content;
	int r = locate_device(run, err);

	if (r == 0)
		r = format_or_open(run, &content, err);
	if (r < 0)
		return r;
	run->report->opened_slot = run->opened_slot;
	if (map_volume(run) < 0)
		return 0;
	if (content == LV_CONTENT_LUKS2 && !run->params->no_sync)
		lv_sync_keys(run);
	return 0;
}

static void init_run(struct lv_volume_run *run, const struct lv_config_volume *config,
		     const struct lv_apply_params *params, struct lv_apply_volume *vol)
{
	memset(run, 0, sizeof(*run));
	run->params = params;
	run->report = vol;
	run->keys.settings = &params->keys;
	run->keys.volume_id = config->volume_id;
	run->keys.may_create_salt = !params->dry_run && !params->no_sync;
	run->opened_slot = -1;
	memset(vol, 0, sizeof(*vol));
	vol->config = config;
	vol->opened_slot = -1;
	sort_keys(run, &config->encryption);
}

static void report_salt(struct lv_volume_run *run)
{
	char fingerprint[65];

	if (run->keys.salt_created && lv_state_salt_fingerprint(run->keys.salt, fingerprint) == 0)
		lv_apply_step(run->report, LV_STEP_SALT, LV_STEP_DONE, -1, NULL,
			      "%s/%s (checksum %s)", run->params->keys.state_dir, LV_STATE_SALT_FILE,
			      fingerprint);
	else if (run->keys.salt_planned)
		lv_apply_step(run->report, LV_STEP_SALT, LV_STEP_PLANNED, -1, NULL, "%s/%s",
			      run->params->keys.state_dir, LV_STATE_SALT_FILE);
}

static void apply_volume(const struct lv_config_volume *config, const struct lv_apply_params *params,
			 struct lv_apply_volume *vol)
{
	struct lv_volume_run run;
	struct lv_err err = { 0 };
	int r;

	init_run(&run, config, params, vol);
	if (!config->encryption.enabled) {
		vol->outcome = LV_VOLUME_SKIPPED;
		return;
	}
	snprintf(vol->mapping, sizeof(vol->mapping), "luks2-%s", config->volume_id);
	r = run_volume(&run, &err);
	report_salt(&run);
	if (r < 0)
		lv_apply_volume_fail(vol, &err, r);
	if (vol->outcome == LV_VOLUME_FAILED || params->no_activate || params->dry_run)
		vol->mapping[0] = '\0';
	lv_secret_free(&run.volume_key);
	lv_device_free(&run.dev);
	lv_key_context_release(&run.keys);
}

int lv_apply_loaded(struct lv_device *dev, const struct lv_config_volume *config,
		    const struct lv_apply_params *params, struct lv_apply_volume *vol)
{
	struct lv_volume_run run;
	struct lv_err err = { 0 };
	int r;

	init_run(&run, config, params, vol);
	run.dev = dev;
	snprintf(vol->device, sizeof(vol->device), "%s", lv_device_path(dev));
	r = unlock_loaded(&run, &err);
	if (r == 0)
		lv_sync_keys(&run);
	else
		lv_apply_volume_fail(vol, &err, r);
	lv_secret_free(&run.volume_key);
	lv_key_context_release(&run.keys);
	return r;
}

/* The STATE that META should have given but could not: a failed volume
 * of the report. */
static void state_from_meta_failed(struct lv_apply_report *rep, const struct lv_meta_inputs *in)
{
	static struct lv_config_volume state = {
		.kind = LV_VOLUME_SYSTEM, .name = "STATE", .volume_id = "STATE",
	};
	struct lv_apply_volume *vol = &rep->volumes[rep->volume_count++];
	struct lv_err why = { 0 };

	memset(vol, 0, sizeof(*vol));
	vol->config = &state;
	vol->opened_slot = -1;
	lv_err_set(&why, in->state_error.code, "no STATE document in the config, and %s",
		   in->state_error.msg);
	lv_apply_volume_fail(vol, &why, why.code);
}

/* The config's volumes, then STATE from META's tag 9 (none in cfg). */
static const struct lv_config_volume **run_volumes(const struct lv_config_file *cfg,
						   const struct lv_config_file *from_meta,
						   size_t *count)
{
	size_t extra = from_meta ? from_meta->volume_count : 0;
	const struct lv_config_volume **vols = calloc(cfg->volume_count + extra + 1, sizeof(*vols));

	*count = 0;
	for (size_t i = 0; vols && i < cfg->volume_count; i++)
		vols[(*count)++] = &cfg->volumes[i];
	for (size_t i = 0; vols && i < extra; i++)
		vols[(*count)++] = &from_meta->volumes[i];
	return vols;
}

static int is_state(const struct lv_config_volume *vol)
{
	return vol->kind == LV_VOLUME_SYSTEM && strcmp(vol->volume_id, "STATE") == 0;
}

/* Applies the volumes in order; an encrypted STATE of the config that
 * was formatted or opened is stored in META right after it. */
static void apply_all(const struct lv_config_volume *const *vols, size_t count,
		      const struct lv_config_file *cfg, const struct lv_apply_params *params,
		      struct lv_apply_report *rep, const size_t *order)
{
	for (size_t i = 0; i < count; i++) {
		const struct lv_config_volume *vol = vols[order[i]];
		struct lv_apply_volume *done = &rep->volumes[rep->volume_count++];

		apply_volume(vol, params, done);
		if (is_state(vol) && vol >= cfg->volumes && vol < cfg->volumes + cfg->volume_count &&
		    vol->encryption.enabled && done->outcome != LV_VOLUME_FAILED)
			lv_meta_store_state(vol, params, &rep->meta);
	}
}

static struct lv_apply_report *report_new(size_t volume_count)
{
	struct lv_apply_report *rep = calloc(1, sizeof(*rep));

	if (rep)
		rep->volumes = calloc(volume_count + 1, sizeof(*rep->volumes));
	if (rep && !rep->volumes) {
		free(rep);
		rep = NULL;
	}
	return rep;
}

/* META first (tag 15, tag 9 when cfg has no STATE document), then the
 * volumes, with the node UUID META gives unless the caller gave one. */
int lv_apply(const struct lv_config_file *cfg, const struct lv_apply_params *params,
	     struct lv_apply_report **report, struct lv_err *err)
{
	struct lv_apply_params run = *params;
	struct lv_meta_inputs in = { 0 };
	const struct lv_config_volume **vols = NULL;
	struct lv_apply_report *rep = report_new(cfg->volume_count + 1);
	size_t count = 0, *order = NULL;
	int r = rep ? 0 : -ENOMEM;

	*report = NULL;
	if (r == 0)
		r = lv_key_settings_check(&params->keys, err);
	if (r == 0 && !params->no_meta)
		lv_meta_inputs_read(params->meta_device, !lv_config_has_volume(cfg, "STATE"),
				    &rep->meta, &in);
	if (r == 0) {
		rep->meta_config = in.state_cfg;
		in.state_cfg = NULL;
		run.keys = lv_meta_key_settings(&params->keys, &in);
		vols = run_volumes(cfg, rep->meta_config, &count);
		order = calloc(count + 1, sizeof(*order));
		r = vols && order ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = check_overrides(vols, count, in.state_error.code ? "STATE" : NULL, cfg->path,
				    params, err);
	if (r == 0) {
		rep->dry_run = params->dry_run;
		order_volumes(vols, count, order);
		if (in.state_error.code)
			state_from_meta_failed(rep, &in);
		apply_all(vols, count, cfg, &run, rep, order);
		*report = rep;
	} else if (r == -ENOMEM) {
		lv_err_set(err, r, "out of memory");
	}
	if (r < 0)
		lv_apply_report_free(&rep);
	free(order);
	free(vols);
	lv_meta_inputs_release(&in);
	return r;
}

int lv_apply_report_status(const struct lv_apply_report *report, struct lv_err *err)
{
	for (size_t i = 0; i < report->volume_count; i++) {
		const struct lv_apply_volume *vol = &report->volumes[i];

		if (vol->outcome == LV_VOLUME_FAILED)
			return lv_err_set(err, vol->error_code, "%s: %s", vol->config->volume_id,
					  vol->error);
	}
	return 0;
}

void lv_apply_report_free(struct lv_apply_report **report)
{
	if (!*report)
		return;
	free((*report)->volumes);
	lv_config_free(&(*report)->meta_config);
	free(*report);
	*report = NULL;
}
