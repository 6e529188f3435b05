/* SPDX-License-Identifier: ISC */
/*
 * luksvol-meta.h: Talos's META partition (src/meta; talos-encryption.md
 * §6), a tag-value store in the "Talos ADV" (two 256 KiB copies at offsets
 * 0 and 256 KiB), with the legacy syslinux ADV (the last 1024 bytes) read
 * as a fallback.  Conventions are luksvol.h's.  In every build.
 *
 * An open META is a session: the device is flocked (shared to read,
 * exclusive to write, as Talos's internal/pkg/meta/meta.go does) from
 * lv_meta_open to lv_meta_close, tags are changed in memory and
 * lv_meta_flush writes them, one copy at a time, each write fsynced, in an
 * order that keeps one valid copy on the disk at every moment.
 *
 * Errors: -EINVAL corrupt META or bad parameters, -ENOSPC the values do
 * not fit, -ENOENT no such tag, -EIO an I/O error, -EROFS opened read-only.
 */
#ifndef LUKSVOL_META_H
#define LUKSVOL_META_H

#include <stddef.h>
#include <stdio.h>

#include "luksvol.h"

#define LV_META_ADV_BYTES (256u << 10)			/* one Talos ADV copy */
#define LV_META_DATA_BYTES (LV_META_ADV_BYTES - 40)	/* room for records: 8 + value each */
#define LV_META_LEGACY_COPY_BYTES 512u			/* one syslinux ADV copy */
#define LV_META_LEGACY_BYTES (2 * LV_META_LEGACY_COPY_BYTES)
#define LV_META_TAG_MAX 255u				/* go-adv keeps tags as uint8 */
#define LV_META_LABEL "META"				/* its GPT partition name */

/* Named tags (talos:pkg/machinery/meta/constants.go). */
enum lv_meta_tag {
	LV_META_TAG_STATE_ENCRYPTION_CONFIG = 9,
	LV_META_TAG_UUID_OVERRIDE = 15,
};

/* One copy of either ADV, as read. */
enum lv_meta_copy_state {
	LV_META_COPY_VALID,
	LV_META_COPY_BLANK,		/* every byte zero: never written */
	LV_META_COPY_BAD_MAGIC,
	LV_META_COPY_BAD_CHECKSUM,
	LV_META_COPY_BAD_RECORDS,	/* a record runs past the data area */
	LV_META_COPY_ABSENT,		/* legacy: the device has no room for it */
};

/* The Talos ADV as a whole. */
enum lv_meta_state {
	LV_META_OK,			/* a valid copy was read */
	LV_META_BLANK,			/* both copies all zero: an empty META */
	LV_META_CORRUPT,		/* neither copy is valid: never written over
					 * unless opened with LV_META_FORCE */
};

enum lv_meta_open_flags {
	LV_META_WRITABLE = 1 << 0,
	LV_META_FORCE = 1 << 1,		/* a corrupt META may be written over */
};

struct lv_meta;

/* Opens a META partition or image: a regular file or a block device of at
 * least two ADV copies.  A corrupt META opens (its state says so). */
int lv_meta_open(const char *path, unsigned flags, struct lv_meta **meta, struct lv_err *err);
void lv_meta_close(struct lv_meta **meta);

enum lv_meta_state lv_meta_state(const struct lv_meta *meta);
/* legacy 0: the Talos ADV, 1: the syslinux ADV; copy 0 or 1. */
enum lv_meta_copy_state lv_meta_copy_state(const struct lv_meta *meta, int legacy, int copy);
const char *lv_meta_copy_state_name(enum lv_meta_copy_state state);
/* "META <name>: neither ADV copy is valid (copy 1: ..., copy 2: ...)"
 * in err and -EINVAL when the META is corrupt, else 0. */
int lv_meta_check(const struct lv_meta *meta, struct lv_err *err);

/* A tag's value as Talos reads it: the Talos ADV's, else the legacy
 * ADV's.  NULL when neither has it; *legacy (if not NULL) says which. */
const struct lv_secret *lv_meta_get(const struct lv_meta *meta, unsigned tag, int *legacy);
/* Whether the Talos ADV itself (legacy 0) or the legacy ADV has tag. */
int lv_meta_has(const struct lv_meta *meta, unsigned tag, int legacy);
/* Sets tag (1..255) in the Talos ADV, in memory; -ENOSPC when the values
 * would outgrow LV_META_DATA_BYTES.  Tag 0 ends the records: refused. */
int lv_meta_set(struct lv_meta *meta, unsigned tag, const void *value, size_t len,
		struct lv_err *err);
/* Deletes tag from the Talos ADV, or, when only the legacy ADV has it,
 * from that one (as Talos's Meta.DeleteTag does); -ENOENT when absent. */
int lv_meta_delete(struct lv_meta *meta, unsigned tag, struct lv_err *err);
/* Bytes the Talos ADV's records take (8 + value per tag). */
size_t lv_meta_used_bytes(const struct lv_meta *meta);
/* Writes what changed since the open or the last flush; nothing when
 * nothing did.  Refuses a corrupt META unless opened with LV_META_FORCE. */
int lv_meta_flush(struct lv_meta *meta, struct lv_err *err);

/* Prints the state of both ADVs and every tag (its number, Talos's name,
 * size, which ADV holds it and its value), as text or, when json is set, a
 * JSON document.  The values of sensitive tags (lv_meta_tag_sensitive)
 * are left out unless show_secrets is set. */
int lv_meta_dump(const struct lv_meta *meta, FILE *out, int json, int show_secrets,
		 struct lv_err *err);

/* ---- tag names ---- */

/* Talos's name of a tag ("StateEncryptionConfig"), NULL when it has none. */
const char *lv_meta_tag_name(unsigned tag);
/* A tag given as a number (decimal or 0x hex, 1..255) or a name (any
 * case): 0 and *tag, or -EINVAL. */
int lv_meta_tag_parse(const char *text, unsigned *tag);
/* Tags whose values may hold secrets: printed only when asked. */
int lv_meta_tag_sensitive(unsigned tag);

#endif
