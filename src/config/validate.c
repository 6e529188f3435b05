/* SPDX-License-Identifier: ISC */
/*
 * validate.c: the Validate methods of Talos's volume documents
 * (talos-encryption.md §1.2-§1.3; types/block/volume_config.go,
 * user_volume_config.go, raw_volume_config.go, swap_volume_config.go),
 * with their exact messages.  Unlike Talos, every error is reported, not
 * only the first of each document; the early returns Talos makes (an
 * unknown system volume name, the first filesystem error) are kept.
 */
#include <string.h>

#include "config/cfg_internal.h"

/* GPT label length (36) minus the "u-", "r-" or "s-" prefix. */
#define VOLUME_NAME_MAX 34
#define SCRUB_MIN_NS 10000000000ll

static const char *const system_volumes[] = {
	"STATE", "EPHEMERAL", "IMAGECACHE", "ETCD", "CRI", "KUBELET", "LOG",
};
#define SYSTEM_VOLUME_COUNT (sizeof(system_volumes) / sizeof(system_volumes[0]))

static const char *doc_name(const struct cfg_doc *doc)
{
	return doc->name.value ? doc->name.value : "";
}

static int name_is(const struct cfg_doc *doc, const char *name)
{
	return strcmp(doc_name(doc), name) == 0;
}

static int provisioning_zero(const struct cfg_provisioning *prov)
{
	return !prov->grow.set && !prov->min_size.set && !prov->max_size.set &&
	       !(prov->match.value && prov->match.value[0]);
}

static int mount_zero(const struct cfg_mount *mount)
{
	return !mount->secure.set && !mount->disable_atime.set;
}

static int filesystem_zero(const struct cfg_filesystem *fs)
{
	return (!fs->type.set || fs->type.value == CFG_FS_NONE) && !fs->project_quota.set &&
	       !fs->xfs.present;
}

/* ProvisioningSpec.Validate(required, sizeSupported).  The disk selector
 * is a CEL expression luksvol does not evaluate, so it is not parsed. */
static void check_provisioning(struct cfg_ctx *ctx, const struct cfg_provisioning *prov,
			       int required, int size_supported)
{
	const struct cfg_size *min = &prov->min_size, *max = &prov->max_size;

	if (prov->section.decode_errors)
		return;
	if (!(prov->match.value && prov->match.value[0]) && required)
		cfg_error(ctx, prov->section.mark, "disk selector is required");
	if (!size_supported) {
		if (min->set || max->set || prov->grow.set)
			cfg_error(ctx, prov->section.mark, "min size, max size and grow are not supported");
		return;
	}
	if (min->set && max->set && !max->relative && !max->negative) {
		if (min->value > max->value)
			cfg_error(ctx, min->mark, "min size is greater than max size");
	} else if (required && !min->set && !max->set) {
		cfg_error(ctx, prov->section.mark, "min size or max size is required");
	}
	if (min->negative)
		cfg_error(ctx, min->mark, "min size cannot be negative");
}

/* Talos needs a disk selector and a size to create the partition;
 * luksvol only opens a partition that exists, found by its label.  So a
 * user, raw or swap volume written with no provisioning at all (as the
 * Talos guide's examples are) is accepted with a notice; a provisioning
 * section that is written is checked as Talos checks it. */
static void check_required_provisioning(struct cfg_ctx *ctx, const struct cfg_doc *doc,
					int size_supported)
{
	static const char *const prefixes[] = {
		[LV_VOLUME_USER] = "u-", [LV_VOLUME_RAW] = "r-", [LV_VOLUME_SWAP] = "s-",
	};

	if (doc->provisioning.section.present) {
		check_provisioning(ctx, &doc->provisioning, 1, size_supported);
		return;
	}
	cfg_notice(ctx, doc->mark, "provisioning is not set; luksvol uses the partition labelled "
		   "%s%s (Talos requires a disk selector and a size)", prefixes[doc->kind],
		   doc_name(doc));
}

/* FilesystemSpec.Validate: Talos stops at the first error. */
static void check_filesystem(struct cfg_ctx *ctx, const struct cfg_filesystem *fs)
{
	int type = fs->type.set ? fs->type.value : CFG_FS_NONE;
	int effective = type == CFG_FS_NONE ? CFG_FS_XFS : type;

	if (fs->section.decode_errors)
		return;
	if (type != CFG_FS_NONE && type != CFG_FS_XFS && type != CFG_FS_EXT4 && type != CFG_FS_BTRFS) {
		cfg_error(ctx, fs->type.mark, "unsupported filesystem type: %s", cfg_fs_type_names[type]);
		return;
	}
	if (fs->project_quota.set && fs->project_quota.value && effective != CFG_FS_XFS) {
		cfg_error(ctx, fs->project_quota.mark,
			  "project quota support is only available for xfs filesystem");
		return;
	}
	if (fs->xfs.present && effective != CFG_FS_XFS)
		cfg_error(ctx, fs->xfs.mark, "xfs options are only available for xfs filesystem");
}

static void check_periodic(struct cfg_ctx *ctx, const struct cfg_doc *doc)
{
	if (doc->trim.interval.set && doc->trim.interval.ns < 0)
		cfg_error(ctx, doc->trim.interval.mark, "trim interval cannot be negative");
	if (doc->scrub.interval.set && doc->scrub.interval.ns != 0 &&
	    doc->scrub.interval.ns < SCRUB_MIN_NS)
		cfg_error(ctx, doc->scrub.interval.mark, "scrub interval: minimum value is 10s");
}

static void mount_not_allowed(struct cfg_ctx *ctx, const struct cfg_doc *doc)
{
	if (!mount_zero(&doc->mount))
		cfg_error(ctx, doc->mount.section.mark, "mount config is not allowed for the \"%s\" volume",
			  doc_name(doc));
}

static void check_state_volume(struct cfg_ctx *ctx, const struct cfg_doc *doc)
{
	const struct cfg_encryption *enc = &doc->encryption;

	if (!provisioning_zero(&doc->provisioning))
		cfg_error(ctx, doc->provisioning.section.mark,
			  "provisioning config is not allowed for the \"STATE\" volume");
	for (size_t i = 0; i < enc->key_count; i++)
		if (enc->keys[i].lock_to_state.set && enc->keys[i].lock_to_state.value)
			cfg_error(ctx, enc->keys[i].lock_to_state.mark,
				  "state-locked key is not allowed for the \"STATE\" volume");
	/* STATE's encryption config goes to META, where Talos reads it. */
	for (size_t i = 0; i < enc->key_count; i++)
		if (enc->keys[i].kinds & (1u << LV_KEY_TANG))
			cfg_error(ctx, enc->keys[i].kind_marks[LV_KEY_TANG],
				  "tang key is not allowed for the \"STATE\" volume");
	mount_not_allowed(ctx, doc);
}

/* validateVolumeConstraints: which sections each system volume takes. */
static void check_system_constraints(struct cfg_ctx *ctx, const struct cfg_doc *doc)
{
	if (name_is(doc, "STATE")) {
		check_state_volume(ctx, doc);
	} else if (name_is(doc, "IMAGECACHE")) {
		mount_not_allowed(ctx, doc);
		if (doc->filesystem.xfs.present)
			cfg_error(ctx, doc->filesystem.section.mark,
				  "filesystem config is not allowed for the \"IMAGECACHE\" volume");
	} else if (!name_is(doc, "EPHEMERAL") && !mount_zero(&doc->mount) &&
		   provisioning_zero(&doc->provisioning)) {
		cfg_error(ctx, doc->mount.section.mark,
			  "mount config for the \"%s\" volume is only supported when it is "
			  "provisioned onto a dedicated partition", doc_name(doc));
	}
}

static void validate_system(struct cfg_ctx *ctx, struct cfg_doc *doc)
{
	size_t i;

	for (i = 0; i < SYSTEM_VOLUME_COUNT; i++)
		if (name_is(doc, system_volumes[i]))
			break;
	if (i == SYSTEM_VOLUME_COUNT) {
		cfg_error(ctx, doc->name.mark, "only [\"STATE\" \"EPHEMERAL\" \"IMAGECACHE\" \"ETCD\" "
			  "\"CRI\" \"KUBELET\" \"LOG\"] volumes are supported");
		return;
	}
	check_system_constraints(ctx, doc);
	check_provisioning(ctx, &doc->provisioning, 0, 1);
	cfg_validate_encryption(ctx, &doc->encryption);
	check_periodic(ctx, doc);
}

static void check_volume_name(struct cfg_ctx *ctx, const struct cfg_doc *doc)
{
	const char *name = doc_name(doc);
	size_t len = strlen(name);

	if (len == 0)
		cfg_error(ctx, doc->name.mark, "name is required");
	if (len < 1 || len > VOLUME_NAME_MAX)
		cfg_error(ctx, doc->name.mark, "name must be between 1 and %d characters long",
			  VOLUME_NAME_MAX);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != len)
		cfg_error(ctx, doc->name.mark, "name can only contain lowercase and uppercase ASCII "
			  "letters, digits, and hyphens");
}

static void check_directory_volume(struct cfg_ctx *ctx, const struct cfg_doc *doc)
{
	if (!provisioning_zero(&doc->provisioning))
		cfg_error(ctx, doc->provisioning.section.mark,
			  "provisioning spec is invalid for volumeType directory");
	if (!cfg_encryption_zero(&doc->encryption))
		cfg_error(ctx, doc->encryption.section.mark,
			  "encryption spec is invalid for volumeType directory");
	if (!filesystem_zero(&doc->filesystem))
		cfg_error(ctx, doc->filesystem.section.mark,
			  "filesystem spec is invalid for volumeType directory");
	if (doc->mount.disable_atime.set)
		cfg_error(ctx, doc->mount.disable_atime.mark,
			  "mount.disableAccessTime is invalid for volumeType directory");
}

static void validate_user(struct cfg_ctx *ctx, struct cfg_doc *doc)
{
	int type = doc->volume_type.set ? doc->volume_type.value : CFG_VT_PARTITION;

	check_volume_name(ctx, doc);
	switch (type) {
	case CFG_VT_DIRECTORY:
		check_directory_volume(ctx, doc);
		break;
	case CFG_VT_DISK:
	case CFG_VT_PARTITION:
		check_required_provisioning(ctx, doc, type == CFG_VT_PARTITION);
		check_filesystem(ctx, &doc->filesystem);
		cfg_validate_encryption(ctx, &doc->encryption);
		break;
	default:
		cfg_error(ctx, doc->volume_type.mark, "unsupported volume type \"%s\"",
			  cfg_volume_type_names[type]);
		break;
	}
	check_periodic(ctx, doc);
}

void cfg_validate_doc(struct cfg_ctx *ctx, struct cfg_doc *doc)
{
	switch (doc->kind) {
	case LV_VOLUME_SYSTEM:
		validate_system(ctx, doc);
		break;
	case LV_VOLUME_USER:
		validate_user(ctx, doc);
		break;
	default:
		check_volume_name(ctx, doc);
		check_required_provisioning(ctx, doc, 1);
		cfg_validate_encryption(ctx, &doc->encryption);
		break;
	}
}
