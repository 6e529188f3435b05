/* SPDX-License-Identifier: ISC */
/*
 * print.c: `config show`, the canonical form of a loaded config: one
 * document per volume, fields in Talos's struct order, the encryption spec
 * with its effective values (provider, cipher, keySize, PCRs, flags), and
 * every other section as it was written.  Static passphrases are printed
 * as "REDACTED", Talos's placeholder (constants.Redacted).
 *
 * One walk over the config drives either writer: YAML through libyaml's
 * emitter, or JSON (an array of the same documents).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "config/cfg_internal.h"

static const char *const kind_names[] = {
	[LV_VOLUME_SYSTEM] = "VolumeConfig", [LV_VOLUME_USER] = "UserVolumeConfig",
	[LV_VOLUME_RAW] = "RawVolumeConfig", [LV_VOLUME_SWAP] = "SwapVolumeConfig",
};

static const unsigned perf_flag_order[] = {
	LV_FLAG_NO_READ_WORKQUEUE, LV_FLAG_NO_WRITE_WORKQUEUE, LV_FLAG_SAME_CPU_CRYPT,
};

/* How a string must be written to read back as the same value. */
enum string_style {
	STRING_SCALAR,			/* any non-null scalar reads back (string fields, sizes) */
	STRING_STRICT,			/* must resolve as !!str (durations) */
};

struct writer;

struct writer_ops {
	void (*doc_start)(struct writer *w);
	void (*doc_end)(struct writer *w);
	void (*map_start)(struct writer *w);
	void (*map_end)(struct writer *w);
	void (*seq_start)(struct writer *w, int flow);
	void (*seq_end)(struct writer *w);
	void (*key)(struct writer *w, const char *key);
	void (*string)(struct writer *w, const char *value, enum string_style style);
	void (*number)(struct writer *w, long long value);
	void (*boolean)(struct writer *w, int value);
};

#define JSON_DEPTH_MAX 16

struct writer {
	const struct writer_ops *ops;
	FILE *out;
	int failed;
	yaml_emitter_t emitter;
	int docs;
	/* JSON: per level, whether an element was written; after a key. */
	int json_depth;
	int json_has_items[JSON_DEPTH_MAX];
	int json_after_key;
};

/* ---- YAML writer ---- */

/* The emitter owns the event, even when it fails. */
static void yaml_emit(struct writer *w, yaml_event_t *event, int ok)
{
	if (!ok) {
		w->failed = 1;
	} else if (w->failed) {
		yaml_event_delete(event);
	} else if (!yaml_emitter_emit(&w->emitter, event)) {
		w->failed = 1;
	}
}

static void yaml_scalar(struct writer *w, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t event;
	int ok = yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *)text,
					      (int)strlen(text), 1, 1, style);

	yaml_emit(w, &event, ok);
}

static void yaml_doc_start(struct writer *w)
{
	yaml_event_t event;

	yaml_emit(w, &event, yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1));
}

static void yaml_doc_end(struct writer *w)
{
	yaml_event_t event;

	yaml_emit(w, &event, yaml_document_end_event_initialize(&event, 1));
}

static void yaml_map_start(struct writer *w)
{
	yaml_event_t event;

	yaml_emit(w, &event, yaml_mapping_start_event_initialize(&event, NULL, NULL, 1,
								 YAML_BLOCK_MAPPING_STYLE));
}

static void yaml_map_end(struct writer *w)
{
	yaml_event_t event;

	yaml_emit(w, &event, yaml_mapping_end_event_initialize(&event));
}

static void yaml_seq_start(struct writer *w, int flow)
{
	yaml_event_t event;

	yaml_emit(w, &event, yaml_sequence_start_event_initialize(&event, NULL, NULL, 1,
		  flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static void yaml_seq_end(struct writer *w)
{
	yaml_event_t event;

	yaml_emit(w, &event, yaml_sequence_end_event_initialize(&event));
}

static void yaml_key(struct writer *w, const char *key)
{
	yaml_scalar(w, key, YAML_PLAIN_SCALAR_STYLE);
}

/* Plain when it reads back the same; libyaml itself falls back to quotes
 * when plain is not allowed (leading spaces, ": ", ...). */
static void yaml_string(struct writer *w, const char *value, enum string_style style)
{
	enum cfg_scalar_type type = cfg_resolve_plain(value, strlen(value));
	int plain = style == STRING_STRICT ? type == CFG_SCALAR_STR : type != CFG_SCALAR_NULL;

	yaml_scalar(w, value, plain ? YAML_PLAIN_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE);
}

static void yaml_number(struct writer *w, long long value)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", value);
	yaml_scalar(w, text, YAML_PLAIN_SCALAR_STYLE);
}

static void yaml_boolean(struct writer *w, int value)
{
	yaml_scalar(w, value ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

static const struct writer_ops yaml_ops = {
	yaml_doc_start, yaml_doc_end, yaml_map_start, yaml_map_end, yaml_seq_start,
	yaml_seq_end, yaml_key, yaml_string, yaml_number, yaml_boolean,
};

/* ---- JSON writer: two-space indentation, one value per line ---- */

static void json_indent(struct writer *w)
{
	fputc('\n', w->out);
	for (int i = 0; i < w->json_depth; i++)
		fputs("  ", w->out);
}

/* The separator before a value or a key. */
static void json_element(struct writer *w)
{
	if (w->json_after_key) {
		w->json_after_key = 0;
		return;
	}
	if (w->json_depth > 0 && w->json_has_items[w->json_depth - 1])
		fputc(',', w->out);
	if (w->json_depth > 0) {
		w->json_has_items[w->json_depth - 1] = 1;
		json_indent(w);
	}
}

static void json_open(struct writer *w, char c)
{
	json_element(w);
	fputc(c, w->out);
	if (w->json_depth == JSON_DEPTH_MAX) {
		w->failed = 1;
		return;
	}
	w->json_has_items[w->json_depth++] = 0;
}

static void json_close(struct writer *w, char c)
{
	int had_items = w->json_depth > 0 && w->json_has_items[w->json_depth - 1];

	if (w->json_depth > 0)
		w->json_depth--;
	if (had_items)
		json_indent(w);
	fputc(c, w->out);
}

static void json_quoted(struct writer *w, const char *text)
{
	fputc('"', w->out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(w->out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(w->out, "\\u%04x", *p);
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fprintf(w->out, "\\u%04x", *++p);	/* a C1 control */
		else
			fputc(*p, w->out);
	}
	fputc('"', w->out);
}

static void json_doc_start(struct writer *w)
{
	(void)w;
}

static void json_doc_end(struct writer *w)
{
	(void)w;
}

static void json_map_start(struct writer *w)
{
	json_open(w, '{');
}

static void json_map_end(struct writer *w)
{
	json_close(w, '}');
}

static void json_seq_start(struct writer *w, int flow)
{
	(void)flow;
	json_open(w, '[');
}

static void json_seq_end(struct writer *w)
{
	json_close(w, ']');
}

static void json_key(struct writer *w, const char *key)
{
	json_element(w);
	json_quoted(w, key);
	fputs(": ", w->out);
	w->json_after_key = 1;
}

static void json_string(struct writer *w, const char *value, enum string_style style)
{
	(void)style;
	json_element(w);
	json_quoted(w, value);
}

static void json_number(struct writer *w, long long value)
{
	json_element(w);
	fprintf(w->out, "%lld", value);
}

static void json_boolean(struct writer *w, int value)
{
	json_element(w);
	fputs(value ? "true" : "false", w->out);
}

static const struct writer_ops json_ops = {
	json_doc_start, json_doc_end, json_map_start, json_map_end, json_seq_start,
	json_seq_end, json_key, json_string, json_number, json_boolean,
};

/* ---- the config, for either writer ---- */

static void put_string(struct writer *w, const char *key, const char *value)
{
	w->ops->key(w, key);
	w->ops->string(w, value, STRING_SCALAR);
}

static void put_bool(struct writer *w, const char *key, const struct cfg_bool *value)
{
	if (!value->set)
		return;
	w->ops->key(w, key);
	w->ops->boolean(w, value->value);
}

static void put_size(struct writer *w, const char *key, const struct cfg_size *size)
{
	if (size->set)
		put_string(w, key, size->raw);
}

static void put_number(struct writer *w, const char *key, long long value)
{
	w->ops->key(w, key);
	w->ops->number(w, value);
}

static void put_key_kind(struct writer *w, const struct lv_config_key *key)
{
	w->ops->key(w, lv_key_kind_name(key->kind));
	w->ops->map_start(w);
	if (key->kind == LV_KEY_STATIC)
		put_string(w, "passphrase", "REDACTED");
	if (key->kind == LV_KEY_KMS)
		put_string(w, "endpoint", key->kms.endpoint);
	if (key->kind == LV_KEY_TANG) {
		put_string(w, "url", key->tang.url);
		put_string(w, "thumbprint", key->tang.thumbprint);
	}
	if (key->kind == LV_KEY_TPM) {
		w->ops->key(w, "options");
		w->ops->map_start(w);
		w->ops->key(w, "pcrs");
		w->ops->seq_start(w, 1);
		for (size_t i = 0; i < key->tpm.pcr_count; i++)
			w->ops->number(w, key->tpm.pcrs[i]);
		w->ops->seq_end(w);
		w->ops->map_end(w);
		w->ops->key(w, "checkSecurebootStatusOnEnroll");
		w->ops->boolean(w, key->tpm.check_secureboot);
	}
	w->ops->map_end(w);
}

static void put_keys(struct writer *w, const struct lv_config_encryption *enc)
{
	w->ops->key(w, "keys");
	w->ops->seq_start(w, 0);
	for (size_t i = 0; i < enc->key_count; i++) {
		w->ops->map_start(w);
		put_number(w, "slot", enc->keys[i].slot);
		put_key_kind(w, &enc->keys[i]);
		w->ops->key(w, "lockToState");
		w->ops->boolean(w, enc->keys[i].lock_to_state);
		w->ops->map_end(w);
	}
	w->ops->seq_end(w);
}

static void put_perf_options(struct writer *w, unsigned flags)
{
	if (!flags)
		return;
	w->ops->key(w, "options");
	w->ops->seq_start(w, 0);
	for (size_t i = 0; i < sizeof(perf_flag_order) / sizeof(perf_flag_order[0]); i++)
		if (flags & perf_flag_order[i])
			w->ops->string(w, cfg_perf_name(perf_flag_order[i]), STRING_SCALAR);
	w->ops->seq_end(w);
}

static void put_encryption(struct writer *w, const struct lv_config_encryption *enc)
{
	if (!enc->enabled)
		return;
	w->ops->key(w, "encryption");
	w->ops->map_start(w);
	put_string(w, "provider", "luks2");
	put_keys(w, enc);
	put_string(w, "cipher", enc->cipher);
	put_number(w, "keySize", enc->key_bits);
	if (enc->block_size)
		put_number(w, "blockSize", enc->block_size);
	put_perf_options(w, enc->perf_flags);
	w->ops->key(w, "allowDiscards");
	w->ops->boolean(w, enc->allow_discards);
	w->ops->map_end(w);
}

static void put_provisioning(struct writer *w, const struct cfg_provisioning *prov)
{
	if (!prov->section.present)
		return;
	w->ops->key(w, "provisioning");
	w->ops->map_start(w);
	if (prov->selector.present) {
		w->ops->key(w, "diskSelector");
		w->ops->map_start(w);
		if (prov->match.value)
			put_string(w, "match", prov->match.value);
		w->ops->map_end(w);
	}
	put_bool(w, "grow", &prov->grow);
	put_size(w, "minSize", &prov->min_size);
	put_size(w, "maxSize", &prov->max_size);
	w->ops->map_end(w);
}

static void put_filesystem(struct writer *w, const struct cfg_filesystem *fs)
{
	if (!fs->section.present)
		return;
	w->ops->key(w, "filesystem");
	w->ops->map_start(w);
	if (fs->type.set)
		put_string(w, "type", cfg_fs_type_names[fs->type.value]);
	put_bool(w, "projectQuotaSupport", &fs->project_quota);
	if (fs->xfs.present) {
		w->ops->key(w, "xfs");
		w->ops->map_start(w);
		put_size(w, "minAllocationGroupSize", &fs->xfs_min_ag_size);
		w->ops->map_end(w);
	}
	w->ops->map_end(w);
}

static void put_mount(struct writer *w, const struct cfg_mount *mount)
{
	if (!mount->section.present)
		return;
	w->ops->key(w, "mount");
	w->ops->map_start(w);
	put_bool(w, "secure", &mount->secure);
	put_bool(w, "disableAccessTime", &mount->disable_atime);
	w->ops->map_end(w);
}

static void put_periodic(struct writer *w, const char *key, const struct cfg_periodic *periodic)
{
	if (!periodic->section.present)
		return;
	w->ops->key(w, key);
	w->ops->map_start(w);
	put_bool(w, "enabled", &periodic->enabled);
	if (periodic->interval.set) {
		w->ops->key(w, "interval");
		w->ops->string(w, periodic->interval.raw, STRING_STRICT);
	}
	w->ops->map_end(w);
}

static void put_volume(struct writer *w, const struct lv_config_volume *vol)
{
	static const struct cfg_doc unparsed;
	/* A volume built by hand (tests) has no private document. */
	const struct cfg_doc *doc = cfg_volume_doc(vol) ? cfg_volume_doc(vol) : &unparsed;

	w->ops->doc_start(w);
	w->ops->map_start(w);
	put_string(w, "apiVersion", "v1alpha1");
	put_string(w, "kind", kind_names[vol->kind]);
	put_string(w, "name", vol->name);
	if (vol->kind == LV_VOLUME_USER)
		put_string(w, "volumeType", cfg_volume_type_names[doc->volume_type.set ?
				doc->volume_type.value : CFG_VT_PARTITION]);
	put_provisioning(w, &doc->provisioning);
	put_filesystem(w, &doc->filesystem);
	put_encryption(w, &vol->encryption);
	put_mount(w, &doc->mount);
	put_periodic(w, "trim", &doc->trim);
	put_periodic(w, "scrub", &doc->scrub);
	w->ops->map_end(w);
	w->ops->doc_end(w);
}

static int has_static_key(const struct lv_config_file *cfg)
{
	for (size_t i = 0; i < cfg->volume_count; i++)
		for (size_t k = 0; k < cfg->volumes[i].encryption.key_count; k++)
			if (cfg->volumes[i].encryption.keys[k].kind == LV_KEY_STATIC)
				return 1;
	return 0;
}

static int print_yaml(const struct lv_config_file *cfg, struct writer *w)
{
	yaml_event_t event;

	if (!yaml_emitter_initialize(&w->emitter))
		return -ENOMEM;
	yaml_emitter_set_output_file(&w->emitter, w->out);
	yaml_emitter_set_unicode(&w->emitter, 1);
	yaml_emitter_set_indent(&w->emitter, 2);
	yaml_emitter_set_width(&w->emitter, -1);
	if (has_static_key(cfg))
		fputs("# static passphrases are shown as REDACTED\n", w->out);
	yaml_emit(w, &event, yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING));
	for (size_t i = 0; i < cfg->volume_count; i++)
		put_volume(w, &cfg->volumes[i]);
	yaml_emit(w, &event, yaml_stream_end_event_initialize(&event));
	if (!w->failed && !yaml_emitter_flush(&w->emitter))
		w->failed = 1;
	yaml_emitter_delete(&w->emitter);
	return 0;
}

static void print_json(const struct lv_config_file *cfg, struct writer *w)
{
	w->ops->seq_start(w, 0);
	for (size_t i = 0; i < cfg->volume_count; i++)
		put_volume(w, &cfg->volumes[i]);
	w->ops->seq_end(w);
	fputc('\n', w->out);
}

int lv_config_print(const struct lv_config_file *cfg, FILE *out, int json, struct lv_err *err)
{
	struct writer w = { .ops = json ? &json_ops : &yaml_ops, .out = out };
	const char *name = cfg->path ? cfg->path : "config";

	if (json)
		print_json(cfg, &w);
	else if (print_yaml(cfg, &w) < 0)
		return lv_err_set(err, -ENOMEM, "%s: out of memory", name);
	if (w.failed || fflush(out) != 0 || ferror(out))
		return lv_err_set(err, -EIO, "%s: cannot print the config", name);
	return 0;
}
