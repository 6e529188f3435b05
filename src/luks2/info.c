/* SPDX-License-Identifier: ISC */
/*
 * info.c: the getters of luksvol.h: what a loaded header says, for the
 * command, activation and the Talos engine, which never see the metadata
 * structs of src/luks2.
 */
#include <errno.h>
#include <string.h>

#include "luks2/device.h"
#include "luks2/token.h"

const char *lv_version(void)
{
	return LV_VERSION_TEXT;
}

const char *lv_device_path(const struct lv_device *dev)
{
	return dev->storage->name;
}

static const struct lv_digest *volume_key_digest(const struct lv_metadata *md)
{
	return lv_md_digest_of_segment(md, lv_md_data_segment(md));
}

void lv_header_info(const struct lv_device *dev, struct lv_header_info *info)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_hdr_bin *bin = lv_dev_bin(dev);

	*info = (struct lv_header_info){
		.uuid = bin->uuid,
		.label = bin->label,
		.subsystem = bin->subsystem,
		.seqid = bin->seqid,
		.metadata_bytes = bin->hdr_size,
		.keyslots_bytes = md->config.keyslots_size,
		.data_offset_bytes = lv_md_data_offset(md),
		.keyslot_count = md->keyslot_count,
		.token_count = md->token_count,
		.persistent_flags = md->config.persistent_flags,
		.unknown_requirements = md->config.unknown_requirement,
		.secondary_in_use = dev->active == LV_SECONDARY,
		.other_copy_valid = dev->copies[1 - dev->active].state == LV_COPY_OK,
	};
}

int lv_keyslot_exists(const struct lv_device *dev, int slot)
{
	return slot >= 0 && lv_md_keyslot(lv_dev_md(dev), (uint32_t)slot) != NULL;
}

static int keyslot_bound(const struct lv_metadata *md, const struct lv_keyslot *ks)
{
	const struct lv_digest *digest = lv_md_digest_of_keyslot(md, ks);

	return digest && digest == volume_key_digest(md);
}

enum lv_keyslot_status lv_keyslot_status(const struct lv_device *dev, int slot)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_keyslot *ks = slot >= 0 ? lv_md_keyslot(md, (uint32_t)slot) : NULL;
	unsigned bound = 0;

	if (!ks)
		return LV_KEYSLOT_INACTIVE;
	if (!keyslot_bound(md, ks))
		return LV_KEYSLOT_UNBOUND;
	for (uint32_t i = 0; i < md->keyslot_count; i++)
		bound += keyslot_bound(md, &md->keyslots[i]);
	return bound == 1 ? LV_KEYSLOT_ACTIVE_LAST : LV_KEYSLOT_ACTIVE;
}

int lv_keyslot_info(const struct lv_device *dev, int slot, struct lv_keyslot_info *info)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_keyslot *ks = slot >= 0 ? lv_md_keyslot(md, (uint32_t)slot) : NULL;

	memset(info, 0, sizeof(*info));
	if (!ks)
		return -ENOENT;
	info->type = ks->type;
	info->key_bytes = ks->key_size;
	info->priority = ks->has_priority ? (int)ks->priority : LV_PRIORITY_NORMAL;
	info->bound = keyslot_bound(md, ks);
	info->area_offset_bytes = ks->area.offset_bytes;
	info->area_bytes = ks->area.size_bytes;
	if (ks->kind == LV_KEYSLOT_LUKS2) {
		info->cipher = ks->area.encryption;
		info->cipher_key_bytes = (uint32_t)ks->area.key_size;
		info->kdf = ks->kdf.type;
	}
	return 0;
}

int lv_token_info(const struct lv_device *dev, int token_id, struct lv_token_info *info)
{
	const struct lv_token *token =
		token_id >= 0 ? lv_md_token(lv_dev_md(dev), (uint32_t)token_id) : NULL;

	memset(info, 0, sizeof(*info));
	if (!token)
		return -ENOENT;
	info->type = token->type;
	info->known = token->ops != NULL;
	for (unsigned i = 0; i < token->keyslots.count; i++) {
		const struct lv_id *id = &token->keyslots.items[i];

		if (id->canonical && id->number < LV_KEYSLOT_COUNT)
			info->keyslots |= 1u << id->number;
	}
	return 0;
}

int lv_segment_info(const struct lv_device *dev, struct lv_segment_info *info,
		    struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_segment *seg = lv_md_data_segment(md);
	const struct lv_digest *digest = lv_md_digest_of_segment(md, seg);

	memset(info, 0, sizeof(*info));
	if (!seg || !digest)
		return lv_err_set(err, -ENOENT, "%s: no crypt segment with a digest",
				  dev->storage->name);
	*info = (struct lv_segment_info){
		.type = seg->type,
		.cipher = seg->encryption,
		.offset_bytes = seg->offset_bytes,
		.size_bytes = seg->size_bytes,
		.dynamic = seg->dynamic,
		.sector_size = seg->sector_size,
		.has_integrity = seg->integrity_type != NULL,
		.has_flags = seg->flags.present,
		.digest_id = (uint32_t)digest->id.number,
		.segment_count = md->segment_count,
	};
	return 0;
}

/* The volume key size: that of a keyslot bound to the data segment. */
uint32_t lv_volume_key_bytes(const struct lv_device *dev)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_digest *digest = volume_key_digest(md);

	for (unsigned k = 0; digest && k < digest->keyslots.count; k++) {
		const struct lv_keyslot *ks = lv_md_keyslot_named(md, digest->keyslots.items[k].text);

		if (ks)
			return ks->key_size;
	}
	return 0;
}
