/* SPDX-License-Identifier: ISC */
/*
 * parse_volume.c: one volume document into struct cfg_doc.  The fields
 * each kind accepts (talos-encryption.md §1.2-§1.3, types/block/):
 *
 *   VolumeConfig      name, provisioning, filesystem: {xfs}, encryption,
 *                     mount: {secure, disableAccessTime}, trim, scrub
 *   UserVolumeConfig  name, volumeType, provisioning,
 *                     filesystem: {type, projectQuotaSupport, xfs},
 *                     encryption, mount, trim, scrub
 *   RawVolumeConfig,
 *   SwapVolumeConfig  name, provisioning, encryption
 *
 *   provisioning: {diskSelector: {match}, grow, minSize, maxSize}
 *   xfs: {minAllocationGroupSize}   trim, scrub: {enabled, interval}
 */
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

const char *const cfg_fs_type_names[8] = {
	"none", "xfs", "vfat", "ext4", "iso9660", "swapi", "virtiofs", "btrfs",
};
const char *const cfg_volume_type_names[7] = {
	"partition", "disk", "tmpfs", "directory", "symlink", "overlay", "external",
};

#define FIELDS(table) table, sizeof(table) / sizeof(table[0])
#define DOC(target) ((struct cfg_doc *)(target))

/* apiVersion and kind were read by documents.c. */
static void skip_field(struct cfg_ctx *ctx, const struct cfg_node *key,
		       const struct cfg_node *value, void *target)
{
	(void)ctx, (void)key, (void)value, (void)target;
}

static void doc_name(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	(void)key;
	cfg_get_string(ctx, value, &DOC(target)->name);
}

static void doc_volume_type(struct cfg_ctx *ctx, const struct cfg_node *key,
			    const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_enum(ctx, value, cfg_volume_type_names, 7, "VolumeType", &DOC(target)->volume_type);
}

/* ---- provisioning ---- */

static void selector_match(struct cfg_ctx *ctx, const struct cfg_node *key,
			   const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_string(ctx, value, &((struct cfg_provisioning *)target)->match);
}

static const struct cfg_field selector_fields[] = { { "match", selector_match } };

static void prov_selector(struct cfg_ctx *ctx, const struct cfg_node *key,
			  const struct cfg_node *value, void *target)
{
	struct cfg_provisioning *prov = target;

	cfg_walk_section(ctx, key, value, &prov->selector, FIELDS(selector_fields), prov);
}

static void prov_grow(struct cfg_ctx *ctx, const struct cfg_node *key,
		      const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_provisioning *)target)->grow);
}

static void prov_min_size(struct cfg_ctx *ctx, const struct cfg_node *key,
			  const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_byte_size(ctx, value, &((struct cfg_provisioning *)target)->min_size);
}

static void prov_max_size(struct cfg_ctx *ctx, const struct cfg_node *key,
			  const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_size(ctx, value, &((struct cfg_provisioning *)target)->max_size);
}

static const struct cfg_field provisioning_fields[] = {
	{ "diskSelector", prov_selector },
	{ "grow", prov_grow },
	{ "minSize", prov_min_size },
	{ "maxSize", prov_max_size },
};

static void doc_provisioning(struct cfg_ctx *ctx, const struct cfg_node *key,
			     const struct cfg_node *value, void *target)
{
	struct cfg_provisioning *prov = &DOC(target)->provisioning;

	cfg_walk_section(ctx, key, value, &prov->section, FIELDS(provisioning_fields), prov);
}

/* ---- filesystem ---- */

static void xfs_min_ag_size(struct cfg_ctx *ctx, const struct cfg_node *key,
			    const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_byte_size(ctx, value, &((struct cfg_filesystem *)target)->xfs_min_ag_size);
}

static const struct cfg_field xfs_fields[] = { { "minAllocationGroupSize", xfs_min_ag_size } };

static void fs_xfs(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		   void *target)
{
	struct cfg_filesystem *fs = target;

	cfg_walk_section(ctx, key, value, &fs->xfs, FIELDS(xfs_fields), fs);
}

static void fs_type(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		    void *target)
{
	(void)key;
	cfg_get_enum(ctx, value, cfg_fs_type_names, 8, "FilesystemType",
		     &((struct cfg_filesystem *)target)->type);
}

static void fs_project_quota(struct cfg_ctx *ctx, const struct cfg_node *key,
			     const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_filesystem *)target)->project_quota);
}

static const struct cfg_field user_fs_fields[] = {
	{ "type", fs_type },
	{ "projectQuotaSupport", fs_project_quota },
	{ "xfs", fs_xfs },
};

static const struct cfg_field system_fs_fields[] = { { "xfs", fs_xfs } };

static void doc_user_filesystem(struct cfg_ctx *ctx, const struct cfg_node *key,
				const struct cfg_node *value, void *target)
{
	struct cfg_filesystem *fs = &DOC(target)->filesystem;

	cfg_walk_section(ctx, key, value, &fs->section, FIELDS(user_fs_fields), fs);
}

static void doc_system_filesystem(struct cfg_ctx *ctx, const struct cfg_node *key,
				  const struct cfg_node *value, void *target)
{
	struct cfg_filesystem *fs = &DOC(target)->filesystem;

	cfg_walk_section(ctx, key, value, &fs->section, FIELDS(system_fs_fields), fs);
}

/* ---- encryption, mount, trim, scrub ---- */

static void doc_encryption(struct cfg_ctx *ctx, const struct cfg_node *key,
			   const struct cfg_node *value, void *target)
{
	cfg_parse_encryption(ctx, key, value, &DOC(target)->encryption);
}

static void mount_secure(struct cfg_ctx *ctx, const struct cfg_node *key,
			 const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_mount *)target)->secure);
}

static void mount_disable_atime(struct cfg_ctx *ctx, const struct cfg_node *key,
				const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_mount *)target)->disable_atime);
}

static const struct cfg_field mount_fields[] = {
	{ "secure", mount_secure },
	{ "disableAccessTime", mount_disable_atime },
};

static void doc_mount(struct cfg_ctx *ctx, const struct cfg_node *key,
		      const struct cfg_node *value, void *target)
{
	struct cfg_mount *mount = &DOC(target)->mount;

	cfg_walk_section(ctx, key, value, &mount->section, FIELDS(mount_fields), mount);
}

static void periodic_enabled(struct cfg_ctx *ctx, const struct cfg_node *key,
			     const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_bool(ctx, value, &((struct cfg_periodic *)target)->enabled);
}

static void periodic_interval(struct cfg_ctx *ctx, const struct cfg_node *key,
			      const struct cfg_node *value, void *target)
{
	(void)key;
	cfg_get_duration(ctx, value, &((struct cfg_periodic *)target)->interval);
}

static const struct cfg_field periodic_fields[] = {
	{ "enabled", periodic_enabled },
	{ "interval", periodic_interval },
};

static void walk_periodic(struct cfg_ctx *ctx, const struct cfg_node *key,
			  const struct cfg_node *value, struct cfg_periodic *periodic)
{
	cfg_walk_section(ctx, key, value, &periodic->section, FIELDS(periodic_fields), periodic);
}

static void doc_trim(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		     void *target)
{
	walk_periodic(ctx, key, value, &DOC(target)->trim);
}

static void doc_scrub(struct cfg_ctx *ctx, const struct cfg_node *key,
		      const struct cfg_node *value, void *target)
{
	walk_periodic(ctx, key, value, &DOC(target)->scrub);
}

/* ---- the documents ---- */

static const struct cfg_field system_fields[] = {
	{ "apiVersion", skip_field }, { "kind", skip_field }, { "name", doc_name },
	{ "provisioning", doc_provisioning }, { "filesystem", doc_system_filesystem },
	{ "encryption", doc_encryption }, { "mount", doc_mount }, { "trim", doc_trim },
	{ "scrub", doc_scrub },
};

static const struct cfg_field user_fields[] = {
	{ "apiVersion", skip_field }, { "kind", skip_field }, { "name", doc_name },
	{ "volumeType", doc_volume_type }, { "provisioning", doc_provisioning },
	{ "filesystem", doc_user_filesystem }, { "encryption", doc_encryption },
	{ "mount", doc_mount }, { "trim", doc_trim }, { "scrub", doc_scrub },
};

static const struct cfg_field raw_fields[] = {
	{ "apiVersion", skip_field }, { "kind", skip_field }, { "name", doc_name },
	{ "provisioning", doc_provisioning }, { "encryption", doc_encryption },
};

void cfg_parse_doc(struct cfg_ctx *ctx, const struct cfg_node *root, struct cfg_doc *doc)
{
	doc->mark = root->mark;
	doc->name.mark = root->mark;
	doc->encryption.section.mark = root->mark;
	doc->provisioning.section.mark = root->mark;
	switch (doc->kind) {
	case LV_VOLUME_SYSTEM:
		cfg_walk_mapping(ctx, root, FIELDS(system_fields), doc);
		break;
	case LV_VOLUME_USER:
		cfg_walk_mapping(ctx, root, FIELDS(user_fields), doc);
		break;
	default:
		cfg_walk_mapping(ctx, root, FIELDS(raw_fields), doc);
		break;
	}
}

static void key_release(struct cfg_key *key)
{
	lv_secret_free(&key->passphrase);
	free(key->kms_endpoint.value);
	free(key->tang_url.value);
	free(key->tang_thumbprint.value);
	free(key->tpm.pcrs);
	free(key->tpm.pcr_marks);
}

static void encryption_release(struct cfg_encryption *enc)
{
	for (size_t i = 0; i < enc->key_count; i++)
		key_release(&enc->keys[i]);
	free(enc->keys);
	for (size_t i = 0; i < enc->option_count; i++)
		free(enc->options[i].value);
	free(enc->options);
	free(enc->cipher.value);
}

void cfg_doc_release(struct cfg_doc *doc)
{
	free(doc->name.value);
	free(doc->provisioning.match.value);
	free(doc->provisioning.min_size.raw);
	free(doc->provisioning.max_size.raw);
	free(doc->filesystem.xfs_min_ag_size.raw);
	free(doc->trim.interval.raw);
	free(doc->scrub.interval.raw);
	encryption_release(&doc->encryption);
	memset(doc, 0, sizeof(*doc));
}
