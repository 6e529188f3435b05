/* SPDX-License-Identifier: ISC */
/*
 * documents.c: sorts the documents of a stream as Talos's config decoder
 * does (configloader/internal/decoder/decoder.go): an empty document is
 * skipped; a mapping is identified by apiVersion, kind and name, and the
 * same identity twice is an error.  Volume documents are parsed and
 * validated; a v1alpha1 machine config (no kind, but apiVersion or version
 * v1alpha1, or a machine/cluster/debug/persist key) and documents of other
 * kinds are skipped with a notice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

static const struct {
	const char *kind;
	enum lv_volume_kind volume_kind;
} volume_kinds[] = {
	{ "VolumeConfig", LV_VOLUME_SYSTEM },
	{ "UserVolumeConfig", LV_VOLUME_USER },
	{ "RawVolumeConfig", LV_VOLUME_RAW },
	{ "SwapVolumeConfig", LV_VOLUME_SWAP },
};

struct doc_id {
	const char *api_version;	/* point into the tree */
	const char *kind;
	const char *name;
	unsigned line;
};

/* The value node of key in a mapping, or NULL. */
static const struct cfg_node *find_key(struct cfg_ctx *ctx, const struct cfg_node *mapping,
				       const char *key)
{
	if (!mapping || mapping->type != CFG_NODE_MAPPING)
		return NULL;
	for (size_t i = 0; i + 1 < mapping->count; i += 2) {
		const struct cfg_node *k = cfg_deref(ctx, mapping->items[i]);

		if (k && k->type == CFG_NODE_SCALAR && strcmp(k->value, key) == 0)
			return cfg_deref(ctx, mapping->items[i + 1]);
	}
	return NULL;
}

/* A top-level string such as kind; "" when absent or null. */
static const char *top_string(struct cfg_ctx *ctx, const struct cfg_node *root, const char *key)
{
	const struct cfg_node *value = find_key(ctx, root, key);

	if (!value || cfg_is_null(value))
		return "";
	if (value->type != CFG_NODE_SCALAR) {
		size_t saved = cfg_path_push(ctx, "%s", key);

		cfg_type_error(ctx, value, "string");
		cfg_path_pop(ctx, saved);
		return NULL;
	}
	return value->value;
}

static int is_machine_config(struct cfg_ctx *ctx, const struct cfg_node *root,
			     const char *api_version)
{
	static const char *const legacy_keys[] = { "machine", "cluster", "debug", "persist" };
	const struct cfg_node *version = find_key(ctx, root, "version");

	/* A machine config says `version: v1alpha1`; Talos itself goes by
	 * apiVersion and the keys below. */
	if (strcmp(api_version, "v1alpha1") == 0 ||
	    (version && version->type == CFG_NODE_SCALAR && strcmp(version->value, "v1alpha1") == 0))
		return 1;
	for (size_t i = 0; i < 4; i++)
		if (find_key(ctx, root, legacy_keys[i]))
			return 1;
	return 0;
}

static int present(const struct cfg_node *node)
{
	return node && !cfg_is_null(node);
}

/* machine.systemDiskEncryption.{state,ephemeral}, which conflict with a
 * VolumeConfig that encrypts the same volume (§1.2). */
static void read_machine_config(struct cfg_ctx *ctx, const struct cfg_node *root,
				struct cfg_stream *stream)
{
	const struct cfg_node *machine = find_key(ctx, root, "machine");
	const struct cfg_node *sde = find_key(ctx, machine, "systemDiskEncryption");

	cfg_notice(ctx, root->mark, "skipping the v1alpha1 machine config document");
	if (!present(sde))
		return;
	stream->legacy_state |= present(find_key(ctx, sde, "state"));
	stream->legacy_ephemeral |= present(find_key(ctx, sde, "ephemeral"));
	cfg_notice(ctx, sde->mark, "machine.systemDiskEncryption is not applied by luksvol; "
		   "write VolumeConfig documents instead");
}

static int check_duplicate(struct cfg_ctx *ctx, struct doc_id *ids, size_t *id_count,
			   struct doc_id id, struct cfg_mark mark)
{
	for (size_t i = 0; i < *id_count; i++) {
		if (strcmp(ids[i].api_version, id.api_version) == 0 &&
		    strcmp(ids[i].kind, id.kind) == 0 && strcmp(ids[i].name, id.name) == 0) {
			cfg_error(ctx, mark, "duplicate document %s/%s/%s is not allowed (line %u)",
				  id.api_version, id.kind, id.name, id.line);
			return 1;
		}
	}
	ids[(*id_count)++] = id;
	return 0;
}

static int volume_kind(const char *kind, enum lv_volume_kind *out)
{
	for (size_t i = 0; i < sizeof(volume_kinds) / sizeof(volume_kinds[0]); i++) {
		if (strcmp(kind, volume_kinds[i].kind) == 0) {
			*out = volume_kinds[i].volume_kind;
			return 1;
		}
	}
	return 0;
}

static void read_volume(struct cfg_ctx *ctx, const struct cfg_node *root, const char *kind,
			const char *api_version, struct cfg_stream *stream)
{
	struct cfg_doc *doc = &stream->docs[stream->doc_count];

	if (!api_version[0]) {
		cfg_error(ctx, root->mark, "missing apiVersion");
		return;
	}
	if (strcmp(api_version, "v1alpha1") != 0) {
		cfg_error(ctx, root->mark, "\"%s\" \"%s\": not registered", kind, api_version);
		return;
	}
	volume_kind(kind, &doc->kind);
	stream->doc_count++;
	cfg_parse_doc(ctx, root, doc);
}

static void read_document(struct cfg_ctx *ctx, const struct cfg_node *root,
			  struct cfg_stream *stream, struct doc_id *ids, size_t *id_count)
{
	const char *api_version = top_string(ctx, root, "apiVersion");
	const char *kind = top_string(ctx, root, "kind");
	const char *name = top_string(ctx, root, "name");
	enum lv_volume_kind unused;
	struct doc_id id;

	if (!api_version || !kind || !name)
		return;
	id = (struct doc_id){ api_version, kind[0] ? kind : "v1alpha1", name, root->mark.line };
	if (check_duplicate(ctx, ids, id_count, id, root->mark))
		return;
	if (!kind[0] && is_machine_config(ctx, root, api_version))
		read_machine_config(ctx, root, stream);
	else if (!kind[0])
		cfg_error(ctx, root->mark, "missing kind");
	else if (volume_kind(kind, &unused))
		read_volume(ctx, root, kind, api_version, stream);
	else
		cfg_notice(ctx, root->mark, "skipping the %s document: luksvol reads VolumeConfig, "
			   "UserVolumeConfig, RawVolumeConfig and SwapVolumeConfig", kind);
}

/* §1.2: a STATE or EPHEMERAL VolumeConfig that encrypts may not meet a
 * machine.systemDiskEncryption entry for the same volume. */
static void check_legacy_conflicts(struct cfg_ctx *ctx, const struct cfg_stream *stream)
{
	for (size_t i = 0; i < stream->doc_count; i++) {
		const struct cfg_doc *doc = &stream->docs[i];
		const char *name = doc->name.value ? doc->name.value : "";
		int legacy = strcmp(name, "STATE") == 0 ? stream->legacy_state :
			     strcmp(name, "EPHEMERAL") == 0 ? stream->legacy_ephemeral : 0;

		if (doc->kind == LV_VOLUME_SYSTEM && legacy && !cfg_encryption_zero(&doc->encryption) &&
		    (!doc->encryption.provider.set ||
		     doc->encryption.provider.value == CFG_PROVIDER_LUKS2))
			cfg_error(ctx, doc->encryption.section.mark,
				  "system disk encryption for \"%s\" is configured in both "
				  "v1alpha1.Config and VolumeConfig", name);
	}
}

int cfg_read_stream(struct cfg_ctx *ctx, const struct cfg_tree *tree, struct cfg_stream *stream)
{
	struct doc_id *ids;
	size_t id_count = 0;

	memset(stream, 0, sizeof(*stream));
	stream->docs = calloc(tree->doc_count ? tree->doc_count : 1, sizeof(*stream->docs));
	ids = calloc(tree->doc_count ? tree->doc_count : 1, sizeof(*ids));
	if (!stream->docs || !ids) {
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < tree->doc_count && !ctx->aborted; i++) {
		const struct cfg_node *root = cfg_deref(ctx, tree->docs[i]);

		if (!root || cfg_is_null(root))
			continue;
		if (root->type != CFG_NODE_MAPPING)
			cfg_error(ctx, root->mark, "expected a YAML document");
		else
			read_document(ctx, root, stream, ids, &id_count);
	}
	free(ids);
	for (size_t i = 0; i < stream->doc_count && !ctx->aborted; i++)
		cfg_validate_doc(ctx, &stream->docs[i]);
	check_legacy_conflicts(ctx, stream);
	return ctx->oom ? -ENOMEM : 0;
}

void cfg_stream_release(struct cfg_stream *stream)
{
	for (size_t i = 0; i < stream->doc_count; i++)
		cfg_doc_release(&stream->docs[i]);
	free(stream->docs);
	memset(stream, 0, sizeof(*stream));
}
