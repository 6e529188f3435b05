/* SPDX-License-Identifier: ISC */
/*
 * state_meta.c: META tag 9 to and from a STATE VolumeConfig document
 * (state_meta.h).
 *
 * Modern shape (block.EncryptionSpec; field order is key order):
 *   {"EncryptionProvider":"luks2","EncryptionKeys":[{"KeySlot":0,
 *    "KeyStatic":{"KeyData":"…"}|null,"KeyNodeID":{}|null,
 *    "KeyKMS":{"KMSEndpoint":"…"}|null,
 *    "KeyTPM":{"TPMOptions":{"PCRs":[…]|null}|null,
 *              "TPMCheckSecurebootStatusOnEnroll":bool|null}|null,
 *    "KeyLockToSTATE":bool|null}],
 *   "EncryptionCipher":"…","EncryptionKeySize":0,"EncryptionBlockSize":0,
 *   "EncryptionPerfOptions":[…]|null,"EncryptionAllowDiscards":bool|null}
 * Legacy shape (v1alpha1.EncryptionConfig): EncryptionProvider is a plain
 * string ("" means luks2), keys are {"KeyStatic","KeyNodeID","KeyKMS",
 * "KeySlot","KeyTPM":{"TPMCheckSecurebootStatusOnEnroll"}}, there is no
 * TPMOptions (PCRs are always [7]), no lock and no allowDiscards.
 *
 * The reader follows encoding/json: keys match field names exactly or
 * case-insensitively, unknown keys are ignored, null leaves a value zero
 * and a pointer nil, a type mismatch fails the shape.  Where Go would
 * silently merge or guess, it refuses instead: a key given twice, a null
 * element in a list, a NUL byte in a cipher, endpoint or option.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ascii.h"
#include "config/cfg_internal.h"
#include "config/gojson.h"
#include "config/state_meta.h"

struct sm {
	int legacy;
	char path[192];
	char msg[LV_ERR_MSG_MAX];
	int failed;
	int oom;
};

static int sm_fail(struct sm *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sm_fail(struct sm *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->failed) {
		va_start(ap, fmt);
		vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
		va_end(ap);
	}
	s->failed = 1;
	return -EINVAL;
}

static int sm_oom(struct sm *s)
{
	s->oom = 1;
	return -ENOMEM;
}

static const char *json_kind(const struct gj_value *v)
{
	static const char *const names[] = { "null", "bool", "number", "string", "array", "object" };

	return names[v->type];
}

/* encoding/json's UnmarshalTypeError text. */
static int type_error(struct sm *s, const struct gj_value *v, const char *go_type)
{
	if (v->type == GJ_NUMBER)
		return sm_fail(s, "cannot unmarshal number %.*s into Go struct field %s of type %s",
			       (int)(v->len > 40 ? 40 : v->len), v->text, s->path, go_type);
	return sm_fail(s, "cannot unmarshal %s into Go struct field %s of type %s", json_kind(v),
		       s->path, go_type);
}

typedef int (*sm_decode_fn)(struct sm *s, const struct gj_value *v, void *target);

struct sm_field {
	const char *name;
	sm_decode_fn decode;
	int modern_only;
};

static int find_field(const struct sm *s, const struct gj_value *key, const struct sm_field *fields,
		      size_t n)
{
	for (int fold = 0; fold < 2; fold++) {
		for (size_t j = 0; j < n; j++) {
			if (fields[j].modern_only && s->legacy)
				continue;
			if (fold ? gj_key_matches(key, fields[j].name) :
				   key->len == strlen(fields[j].name) &&
					   memcmp(key->text, fields[j].name, key->len) == 0)
				return (int)j;
		}
	}
	return -1;
}

/* An object into a struct: null leaves it as it is (Go), unknown keys are
 * skipped (Go), a field given twice is refused.  path_name is the Go
 * struct's name for messages. */
static int sm_struct(struct sm *s, const struct gj_value *v, const char *go_type,
		     const struct sm_field *fields, size_t n, void *target)
{
	unsigned long long seen = 0;

	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_OBJECT)
		return type_error(s, v, go_type);
	for (size_t i = 0; i < v->count; i++) {
		int j = find_field(s, &v->keys[i], fields, n);
		size_t saved = strlen(s->path);
		int r;

		if (j < 0)
			continue;
		if (seen & (1ull << j))
			return sm_fail(s, "%s: the field %s is given twice", s->path, fields[j].name);
		seen |= 1ull << j;
		snprintf(s->path + saved, sizeof(s->path) - saved, ".%s", fields[j].name);
		r = fields[j].decode(s, &v->items[i], target);
		s->path[saved] = '\0';
		if (r < 0)
			return r;
	}
	return 0;
}

#define FIELDS(table) table, sizeof(table) / sizeof(table[0])

/* ---- scalars ---- */

static int number_text(struct sm *s, const struct gj_value *v, const char *go_type, char *buf,
		       size_t size)
{
	if (v->type != GJ_NUMBER || v->len >= size || memchr(v->text, '.', v->len) ||
	    memchr(v->text, 'e', v->len) || memchr(v->text, 'E', v->len))
		return type_error(s, v, go_type);
	memcpy(buf, v->text, v->len);
	buf[v->len] = '\0';
	return 0;
}

/* strconv.ParseInt(text, 10, 64), as Go reads a number into an int. */
static int get_int(struct sm *s, const struct gj_value *v, struct cfg_int *out)
{
	char buf[32], *end;
	long long value;

	if (v->type == GJ_NULL)
		return 0;
	if (number_text(s, v, "int", buf, sizeof(buf)) < 0)
		return -EINVAL;
	errno = 0;
	value = strtoll(buf, &end, 10);
	if (errno || *end)
		return type_error(s, v, "int");
	out->set = 1;
	out->value = value;
	return 0;
}

static int get_uint(struct sm *s, const struct gj_value *v, const char *go_type,
		    struct cfg_uint *out)
{
	char buf[32], *end;
	unsigned long long value;

	if (v->type == GJ_NULL)
		return 0;
	if (number_text(s, v, go_type, buf, sizeof(buf)) < 0)
		return -EINVAL;
	errno = 0;
	value = buf[0] == '-' ? 0 : strtoull(buf, &end, 10);
	if (buf[0] == '-' || errno || *end)
		return type_error(s, v, go_type);
	out->set = 1;
	out->value = value;
	return 0;
}

/* A *bool: null makes it nil again. */
static int get_bool(struct sm *s, const struct gj_value *v, struct cfg_bool *out)
{
	if (v->type == GJ_NULL) {
		out->set = 0;
		return 0;
	}
	if (v->type != GJ_BOOL)
		return type_error(s, v, "bool");
	out->set = 1;
	out->value = v->boolean;
	return 0;
}

/* A string luksvol keeps NUL-terminated: a NUL inside is refused (it
 * would cut the value Talos sees). */
static int get_string(struct sm *s, const struct gj_value *v, struct cfg_string *out)
{
	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_STRING)
		return type_error(s, v, "string");
	if (memchr(v->text, '\0', v->len))
		return sm_fail(s, "%s: a NUL byte in the string", s->path);
	free(out->value);
	out->value = strndup(v->text, v->len);
	return out->value ? 0 : sm_oom(s);
}

/* ---- the key kinds ---- */

static int key_data(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_key *k = target;

	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_STRING)
		return type_error(s, v, "string");
	lv_secret_free(&k->passphrase);
	if (v->len == 0)
		return 0;
	k->passphrase = lv_secret_dup(v->text, v->len);
	return k->passphrase ? 0 : sm_oom(s);
}

static const struct sm_field static_fields[] = { { "KeyData", key_data, 0 } };

static int kms_endpoint(struct sm *s, const struct gj_value *v, void *target)
{
	return get_string(s, v, &((struct cfg_key *)target)->kms_endpoint);
}

static const struct sm_field kms_fields[] = { { "KMSEndpoint", kms_endpoint, 0 } };

static int pcr_list(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_tpm *tpm = target;

	free(tpm->pcrs);
	free(tpm->pcr_marks);
	tpm->pcrs = NULL;
	tpm->pcr_marks = NULL;
	tpm->pcr_count = 0;
	tpm->pcrs_listed = v->type == GJ_ARRAY;
	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_ARRAY)
		return type_error(s, v, "[]int");
	tpm->pcrs = calloc(v->count ? v->count : 1, sizeof(*tpm->pcrs));
	tpm->pcr_marks = calloc(v->count ? v->count : 1, sizeof(*tpm->pcr_marks));
	if (!tpm->pcrs || !tpm->pcr_marks)
		return sm_oom(s);
	for (size_t i = 0; i < v->count; i++) {
		struct cfg_int pcr = { 0 };

		if (v->items[i].type == GJ_NULL)
			return sm_fail(s, "%s[%zu] is null", s->path, i);
		if (get_int(s, &v->items[i], &pcr) < 0)
			return -EINVAL;
		tpm->pcrs[i] = pcr.value;
		tpm->pcr_count = i + 1;
	}
	return 0;
}

static const struct sm_field tpm_option_fields[] = { { "PCRs", pcr_list, 0 } };

static int tpm_options(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_tpm *tpm = target;

	tpm->options.present = v->type == GJ_OBJECT;
	return sm_struct(s, v, "block.EncryptionKeyTPMOptions", FIELDS(tpm_option_fields), tpm);
}

static int tpm_secureboot(struct sm *s, const struct gj_value *v, void *target)
{
	return get_bool(s, v, &((struct cfg_tpm *)target)->check_secureboot);
}

static const struct sm_field tpm_fields[] = {
	{ "TPMOptions", tpm_options, 1 },
	{ "TPMCheckSecurebootStatusOnEnroll", tpm_secureboot, 0 },
};

/* A pointer to a kind's struct: an object sets the kind, null clears it. */
static int key_kind(struct sm *s, const struct gj_value *v, struct cfg_key *k,
		    enum lv_key_kind kind, const char *go_type, const struct sm_field *fields,
		    size_t n, void *target)
{
	if (v->type == GJ_OBJECT)
		k->kinds |= 1u << kind;
	else
		k->kinds &= ~(1u << kind);
	return sm_struct(s, v, go_type, fields, n, target);
}

static int key_static(struct sm *s, const struct gj_value *v, void *target)
{
	return key_kind(s, v, target, LV_KEY_STATIC, "block.EncryptionKeyStatic",
			FIELDS(static_fields), target);
}

static int key_nodeid(struct sm *s, const struct gj_value *v, void *target)
{
	return key_kind(s, v, target, LV_KEY_NODEID, "block.EncryptionKeyNodeID", NULL, 0, target);
}

static int key_kms(struct sm *s, const struct gj_value *v, void *target)
{
	return key_kind(s, v, target, LV_KEY_KMS, "block.EncryptionKeyKMS", FIELDS(kms_fields),
			target);
}

static int key_tpm(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_key *k = target;

	return key_kind(s, v, k, LV_KEY_TPM, "block.EncryptionKeyTPM", FIELDS(tpm_fields),
			&k->tpm);
}

static int key_slot(struct sm *s, const struct gj_value *v, void *target)
{
	return get_int(s, v, &((struct cfg_key *)target)->slot);
}

static int key_lock(struct sm *s, const struct gj_value *v, void *target)
{
	return get_bool(s, v, &((struct cfg_key *)target)->lock_to_state);
}

static const struct sm_field key_fields[] = {
	{ "KeySlot", key_slot, 0 },
	{ "KeyStatic", key_static, 0 },
	{ "KeyNodeID", key_nodeid, 0 },
	{ "KeyKMS", key_kms, 0 },
	{ "KeyTPM", key_tpm, 0 },
	{ "KeyLockToSTATE", key_lock, 1 },
};

/* ---- the spec ---- */

static int enc_provider(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_encryption *enc = target;

	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_STRING)
		return type_error(s, v, s->legacy ? "string" : "block.EncryptionProviderType");
	/* v1alpha1's Provider(): "" is luks2, an unknown name none. */
	if (s->legacy && v->len == 0) {
		enc->provider.value = CFG_PROVIDER_LUKS2;
		return 0;
	}
	for (int i = CFG_PROVIDER_NONE; i <= CFG_PROVIDER_LUKS2; i++) {
		if (strlen(cfg_provider_names[i]) == v->len &&
		    lv_ascii_ncaseeq(cfg_provider_names[i], v->text, v->len)) {
			enc->provider.value = i;
			return 0;
		}
	}
	if (s->legacy) {
		enc->provider.value = CFG_PROVIDER_NONE;
		return 0;
	}
	return sm_fail(s, "%.*s does not belong to EncryptionProviderType values",
		       (int)(v->len > 40 ? 40 : v->len), v->text);
}

static int enc_keys(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_encryption *enc = target;
	size_t saved = strlen(s->path);

	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_ARRAY)
		return type_error(s, v, "[]block.EncryptionKey");
	enc->keys_section.present = 1;
	enc->keys = calloc(v->count ? v->count : 1, sizeof(*enc->keys));
	if (!enc->keys)
		return sm_oom(s);
	for (size_t i = 0; i < v->count; i++) {
		int r;

		enc->key_count = i + 1;
		if (v->items[i].type == GJ_NULL)
			return sm_fail(s, "%s[%zu] is null", s->path, i);
		snprintf(s->path + saved, sizeof(s->path) - saved, "[%zu]", i);
		r = sm_struct(s, &v->items[i], "block.EncryptionKey", FIELDS(key_fields),
			      &enc->keys[i]);
		s->path[saved] = '\0';
		if (r < 0)
			return r;
	}
	return 0;
}

static int enc_cipher(struct sm *s, const struct gj_value *v, void *target)
{
	return get_string(s, v, &((struct cfg_encryption *)target)->cipher);
}

static int enc_key_size(struct sm *s, const struct gj_value *v, void *target)
{
	return get_uint(s, v, "uint", &((struct cfg_encryption *)target)->key_size);
}

static int enc_block_size(struct sm *s, const struct gj_value *v, void *target)
{
	return get_uint(s, v, "uint64", &((struct cfg_encryption *)target)->block_size);
}

static int enc_options(struct sm *s, const struct gj_value *v, void *target)
{
	struct cfg_encryption *enc = target;

	enc->options_listed = v->type == GJ_ARRAY;
	if (v->type == GJ_NULL)
		return 0;
	if (v->type != GJ_ARRAY)
		return type_error(s, v, "[]string");
	enc->options = calloc(v->count ? v->count : 1, sizeof(*enc->options));
	if (!enc->options)
		return sm_oom(s);
	for (size_t i = 0; i < v->count; i++) {
		enc->option_count = i + 1;
		if (v->items[i].type == GJ_NULL)
			return sm_fail(s, "%s[%zu] is null", s->path, i);
		if (get_string(s, &v->items[i], &enc->options[i]) < 0)
			return -EINVAL;
	}
	return 0;
}

static int enc_allow_discards(struct sm *s, const struct gj_value *v, void *target)
{
	return get_bool(s, v, &((struct cfg_encryption *)target)->allow_discards);
}

static const struct sm_field spec_fields[] = {
	{ "EncryptionProvider", enc_provider, 0 },
	{ "EncryptionKeys", enc_keys, 0 },
	{ "EncryptionCipher", enc_cipher, 0 },
	{ "EncryptionKeySize", enc_key_size, 0 },
	{ "EncryptionBlockSize", enc_block_size, 0 },
	{ "EncryptionPerfOptions", enc_options, 0 },
	{ "EncryptionAllowDiscards", enc_allow_discards, 1 },
};

/* One shape into doc's encryption; the spec's zero value is provider none
 * (modern) or "" = luks2 (legacy), which Talos's Provider() reads. */
static int decode_shape(struct sm *s, const struct gj_value *root, struct cfg_doc *doc)
{
	struct cfg_encryption *enc = &doc->encryption;

	cfg_doc_release(doc);
	doc->kind = LV_VOLUME_SYSTEM;
	doc->name.value = strdup("STATE");
	if (!doc->name.value)
		return sm_oom(s);
	if (root->type == GJ_NULL)
		return 0;
	enc->section.present = 1;
	enc->provider.set = 1;
	enc->provider.value = s->legacy ? CFG_PROVIDER_LUKS2 : CFG_PROVIDER_NONE;
	snprintf(s->path, sizeof(s->path), "%s",
		 s->legacy ? "EncryptionConfig" : "EncryptionSpec");
	return sm_struct(s, root, s->legacy ? "v1alpha1.EncryptionConfig" : "block.EncryptionSpec",
			 FIELDS(spec_fields), enc);
}

/* Validates the document and hands it out as a config. */
static int build(const char *source, struct cfg_doc *doc, struct lv_config_file **cfg,
		 char **diagnostics, struct lv_err *err)
{
	struct cfg_ctx ctx = { .file = source };
	struct cfg_stream stream = { .docs = doc, .doc_count = 1 };
	int r;

	cfg_validate_doc(&ctx, doc);
	if (ctx.oom)
		r = lv_err_set(err, -ENOMEM, "%s: out of memory", source);
	else if (ctx.errors.count)
		r = cfg_report_errors(&ctx, diagnostics, err);
	else
		r = cfg_build_config(&ctx, &stream, cfg, err);
	cfg_ctx_release(&ctx);
	return r;
}

int lv_state_meta_decode(const char *source, const uint8_t *json, size_t len,
			 struct lv_config_file **cfg, enum lv_state_meta_shape *shape,
			 char **diagnostics, struct lv_err *err)
{
	struct sm modern = { 0 }, legacy = { .legacy = 1 };
	struct cfg_doc doc = { 0 };
	struct gj_doc tree;
	char msg[160];
	int r;

	*cfg = NULL;
	if (diagnostics)
		*diagnostics = NULL;
	r = gj_parse(json, len, &tree, msg, sizeof(msg));
	if (r < 0)
		return lv_err_set(err, r, "%s: not JSON: %s", source, msg);
	r = decode_shape(&modern, &tree.root, &doc);
	if (r == -EINVAL) {
		r = decode_shape(&legacy, &tree.root, &doc);
		if (r == 0 && shape)
			*shape = LV_STATE_META_LEGACY;
	} else if (r == 0 && shape) {
		*shape = LV_STATE_META_MODERN;
	}
	gj_free(&tree);
	if (r == 0)
		r = build(source, &doc, cfg, diagnostics, err);
	else if (r == -ENOMEM || modern.oom || legacy.oom)
		r = lv_err_set(err, -ENOMEM, "%s: out of memory", source);
	else
		r = lv_err_set(err, -EINVAL, "%s: error unmarshalling state encryption meta key: %s",
			       source, modern.msg);
	cfg_doc_release(&doc);
	return r;
}

/* ---- writer ---- */

static void put_u64(struct gj_out *out, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	gj_puts(out, buf);
}

static void put_bool_pointer(struct gj_out *out, const struct cfg_bool *b)
{
	gj_puts(out, !b->set ? "null" : b->value ? "true" : "false");
}

/* passphrase: the key's static passphrase, which export.c moved out of
 * the document into the public struct. */
static void put_key(struct gj_out *out, const struct cfg_key *k,
		    const struct lv_secret *passphrase)
{
	char slot[24];
	const struct cfg_tpm *tpm = &k->tpm;

	snprintf(slot, sizeof(slot), "%" PRId64, k->slot.value);
	gj_puts(out, "{\"KeySlot\":");
	gj_puts(out, slot);
	gj_puts(out, ",\"KeyStatic\":");
	if (k->kinds & (1u << LV_KEY_STATIC)) {
		gj_puts(out, "{\"KeyData\":");
		gj_write_string(out, passphrase ? (const char *)passphrase->bytes : "",
				passphrase ? passphrase->len : 0);
		gj_puts(out, "}");
	} else {
		gj_puts(out, "null");
	}
	gj_puts(out, k->kinds & (1u << LV_KEY_NODEID) ? ",\"KeyNodeID\":{}" : ",\"KeyNodeID\":null");
	gj_puts(out, ",\"KeyKMS\":");
	if (k->kinds & (1u << LV_KEY_KMS)) {
		const char *endpoint = k->kms_endpoint.value ? k->kms_endpoint.value : "";

		gj_puts(out, "{\"KMSEndpoint\":");
		gj_write_string(out, endpoint, strlen(endpoint));
		gj_puts(out, "}");
	} else {
		gj_puts(out, "null");
	}
	gj_puts(out, ",\"KeyTPM\":");
	if (k->kinds & (1u << LV_KEY_TPM)) {
		gj_puts(out, "{\"TPMOptions\":");
		if (tpm->options.present && tpm->pcrs_listed) {
			gj_puts(out, "{\"PCRs\":[");
			for (size_t i = 0; i < tpm->pcr_count; i++) {
				snprintf(slot, sizeof(slot), "%s%" PRId64, i ? "," : "", tpm->pcrs[i]);
				gj_puts(out, slot);
			}
			gj_puts(out, "]}");
		} else {
			gj_puts(out, tpm->options.present ? "{\"PCRs\":null}" : "null");
		}
		gj_puts(out, ",\"TPMCheckSecurebootStatusOnEnroll\":");
		put_bool_pointer(out, &tpm->check_secureboot);
		gj_puts(out, "}");
	} else {
		gj_puts(out, "null");
	}
	gj_puts(out, ",\"KeyLockToSTATE\":");
	put_bool_pointer(out, &k->lock_to_state);
	gj_puts(out, "}");
}

static void put_spec(struct gj_out *out, const struct cfg_encryption *enc,
		     const struct lv_config_encryption *exported)
{
	const char *cipher = enc->cipher.value ? enc->cipher.value : "";

	/* Talos writes tag 9 only for provider luks2 (VolumeConfig's
	 * Encryption() is nil for none); luksvol also reads an omitted
	 * provider as luks2. */
	gj_puts(out, "{\"EncryptionProvider\":\"luks2\",\"EncryptionKeys\":");
	if (enc->keys_section.present) {
		gj_puts(out, "[");
		for (size_t i = 0; i < enc->key_count; i++) {
			if (i)
				gj_puts(out, ",");
			put_key(out, &enc->keys[i], i < exported->key_count &&
				exported->keys[i].kind == LV_KEY_STATIC ?
				exported->keys[i].static_key.passphrase : NULL);
		}
		gj_puts(out, "]");
	} else {
		gj_puts(out, "null");
	}
	gj_puts(out, ",\"EncryptionCipher\":");
	gj_write_string(out, cipher, strlen(cipher));
	gj_puts(out, ",\"EncryptionKeySize\":");
	put_u64(out, enc->key_size.value);
	gj_puts(out, ",\"EncryptionBlockSize\":");
	put_u64(out, enc->block_size.value);
	gj_puts(out, ",\"EncryptionPerfOptions\":");
	if (enc->options_listed) {
		gj_puts(out, "[");
		for (size_t i = 0; i < enc->option_count; i++) {
			const char *name = enc->options[i].value ? enc->options[i].value : "";

			if (i)
				gj_puts(out, ",");
			gj_write_string(out, name, strlen(name));
		}
		gj_puts(out, "]");
	} else {
		gj_puts(out, "null");
	}
	gj_puts(out, ",\"EncryptionAllowDiscards\":");
	put_bool_pointer(out, &enc->allow_discards);
	gj_puts(out, "}");
}

int lv_state_meta_encode(const struct lv_config_volume *state, struct lv_secret **json,
			 struct lv_err *err)
{
	const struct cfg_doc *doc = state ? cfg_volume_doc(state) : NULL;
	struct gj_out out = { 0 };

	*json = NULL;
	if (!doc || !state->encryption.enabled)
		gj_puts(&out, "null");
	else
		put_spec(&out, &doc->encryption, &state->encryption);
	if (out.oom) {
		lv_secret_free(&out.buf);
		return lv_err_set(err, -ENOMEM, "STATE's encryption config: out of memory");
	}
	/* The buffer grows in pages; the secret says how much is the value. */
	out.buf->len = out.len;
	*json = out.buf;
	return 0;
}
