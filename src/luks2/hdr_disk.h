/* SPDX-License-Identifier: ISC */
/*
 * hdr_disk.h: the LUKS2 binary header (spec §2.1, luks2-reference.md §1.1)
 * and the reading of one header copy: binary header, JSON area, checksum,
 * metadata.
 */
#ifndef LV_HDR_DISK_H
#define LV_HDR_DISK_H

#include <stdint.h>

#include "luks2/metadata.h"
#include "luks2/storage.h"

#define LV_HDR_BIN_BYTES 4096
/* Where its fields end (the checksum is the last); padding follows. */
#define LV_HDR_FIELDS_BYTES 0x200
#define LV_HDR_MIN_BYTES 0x4000ULL
#define LV_HDR_MAX_BYTES 0x400000ULL
#define LV_MAGIC_BYTES 6
#define LV_LABEL_BYTES 48
#define LV_CSUM_ALG_BYTES 32
#define LV_SALT_BYTES 64
#define LV_UUID_BYTES 40
#define LV_SUBSYSTEM_BYTES 48
#define LV_CSUM_BYTES 64

/* Byte offsets inside the 4096-byte binary header. */
enum lv_hdr_field_offset {
	LV_OFF_MAGIC = 0x000,
	LV_OFF_VERSION = 0x006,
	LV_OFF_HDR_SIZE = 0x008,
	LV_OFF_SEQID = 0x010,
	LV_OFF_LABEL = 0x018,
	LV_OFF_CSUM_ALG = 0x048,
	LV_OFF_SALT = 0x068,
	LV_OFF_UUID = 0x0A8,
	LV_OFF_SUBSYSTEM = 0x0D0,
	LV_OFF_HDR_OFFSET = 0x100,
	LV_OFF_CSUM = 0x1C0,
};

extern const uint8_t lv_magic_primary[LV_MAGIC_BYTES];
extern const uint8_t lv_magic_secondary[LV_MAGIC_BYTES];

/* The binary header, decoded to host order; strings NUL-terminated. */
struct lv_hdr_bin {
	uint16_t version;
	uint64_t hdr_size;
	uint64_t seqid;
	uint64_t hdr_offset;
	char label[LV_LABEL_BYTES + 1];
	char checksum_alg[LV_CSUM_ALG_BYTES + 1];
	uint8_t salt[LV_SALT_BYTES];
	char uuid[LV_UUID_BYTES + 1];
	char subsystem[LV_SUBSYSTEM_BYTES + 1];
	uint8_t csum[LV_CSUM_BYTES];
};

enum lv_copy_state {
	LV_COPY_UNREAD,
	LV_COPY_OK,		/* checksum and metadata valid */
	LV_COPY_OBSOLETE,	/* checksum valid, metadata invalid, or older seqid */
	LV_COPY_BAD,		/* bad magic, version, offset, size or checksum */
	LV_COPY_IO_ERROR,
};

/* One header copy as read: its binary header, its JSON area's verdict and
 * (for the copy in use) the area's bytes.  The metadata itself is not part
 * of a copy: a device keeps one, the active copy's (device.h). */
struct lv_hdr_copy {
	enum lv_copy_state state;
	uint64_t offset_bytes;
	struct lv_hdr_bin bin;
	size_t json_area_bytes;		/* hdr_size - 4096 */
	/* The JSON area up to where its all-zero tail starts, plus one zero
	 * byte, or the whole area: what the JSON parser reads. */
	uint8_t *json_prefix;
	size_t json_prefix_bytes;
	size_t json_end_bytes;		/* end of the parsed JSON text */
	struct lv_err err;		/* why the copy is not OK */
};

/* Sanity checks before any allocation sized from disk (§1.2). */
int lv_hdr_bin_decode(const uint8_t raw[LV_HDR_FIELDS_BYTES], int secondary,
		      uint64_t read_offset, struct lv_hdr_bin *bin, struct lv_err *err);
/* The inverse, for writers: csum is written as given. */
void lv_hdr_bin_encode(const struct lv_hdr_bin *bin, int secondary,
		       uint8_t raw[LV_HDR_BIN_BYTES]);

/* H(binary header with csum zeroed || JSON area), §1.3. */
int lv_hdr_checksum(const char *alg, const uint8_t raw[LV_HDR_BIN_BYTES],
		    const uint8_t *json_area, size_t json_area_bytes,
		    uint8_t out[LV_CSUM_BYTES]);

/*
 * Reads and checks the copy at offset; sets copy->state and, for a copy
 * whose metadata is valid, *md (the caller frees it).  twin, when not NULL,
 * is a copy read before (the primary): if its JSON area holds the same
 * bytes under the same hdr_size, its verdict is taken instead of parsing
 * the same JSON again, and *md stays NULL.  Returns 0 even when the copy is
 * bad (the state says so); a negative errno only for out of memory.
 */
int lv_hdr_copy_read(struct lv_storage *st, uint64_t offset, int secondary,
		     const struct lv_hdr_copy *twin, struct lv_hdr_copy *copy,
		     struct lv_metadata **md);
void lv_hdr_copy_free(struct lv_hdr_copy *copy);

#endif
