/* SPDX-License-Identifier: ISC */
/*
 * adv.c: one copy of each ADV, in memory (talos-encryption.md §6).
 *
 * Talos ADV copy (go-adv:adv/talos/talos.go), big-endian, L = 256 KiB:
 *   [0, 4)         magic1 0x5a4b3c2d
 *   [4, L-36)      records: tag u32, size u32, value[size]; tag 0 (End)
 *                  or fewer than 8 bytes left ends them
 *   [L-36, L-4)    SHA-256 of the whole copy with these 32 bytes zeroed
 *   [L-4, L)       magic2 0xa5b4c3d2
 *
 * Syslinux ADV copy (go-adv:adv/syslinux/syslinux.go), little-endian, 512:
 *   [0, 4)         head magic 0x5a2d2fa5
 *   [4, 8)         checksum: 0xa3041767 minus the sum of the u32 words of
 *                  [8, 508), so the words of [4, 508) sum to 0xa3041767
 *   [8, 508)       records: tag u8, len u8, data[len]; tag 0 ends them
 *   [508, 512)     tail magic 0xdd28bf64
 */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "meta/meta.h"

#define ADV_MAGIC1 0x5a4b3c2du
#define ADV_MAGIC2 0xa5b4c3d2u
#define ADV_RECORDS_START 4u
#define ADV_CHECKSUM_OFFSET (LV_META_ADV_BYTES - 36)
#define ADV_CHECKSUM_BYTES 32u
#define ADV_MAGIC2_OFFSET (LV_META_ADV_BYTES - 4)
#define ADV_RECORD_HEADER 8u

#define LEGACY_HEAD_MAGIC 0x5a2d2fa5u
#define LEGACY_CHECKSUM_TARGET 0xa3041767u
#define LEGACY_TAIL_MAGIC 0xdd28bf64u
#define LEGACY_RECORDS_START 8u
#define LEGACY_RECORDS_END (LV_META_LEGACY_COPY_BYTES - 4)

#define TAG_END 0u

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void free_values(struct lv_secret *values[LV_META_TAG_MAX + 1])
{
	for (unsigned t = 0; t <= LV_META_TAG_MAX; t++)
		lv_secret_free(&values[t]);
}

/* The SHA-256 of copy with its checksum field taken as zeros. */
static int adv_digest(const uint8_t *copy, uint8_t digest[ADV_CHECKSUM_BYTES])
{
	static const uint8_t zeros[ADV_CHECKSUM_BYTES];
	const void *parts[] = { copy, zeros, copy + ADV_MAGIC2_OFFSET };
	const size_t lens[] = { ADV_CHECKSUM_OFFSET, sizeof(zeros), 4 };

	return lv_hash("sha256", parts, lens, 3, digest, ADV_CHECKSUM_BYTES);
}

/*
 * go-adv's Unmarshal: the loop runs while 8 bytes are left; a size past
 * the data area fails the copy.  go-adv keeps tags as uint8 (Tag(tag)),
 * so a tag above 255 is read as its low byte, and a later record of a tag
 * replaces an earlier one (a map); luksvol reads exactly what Talos reads.
 * Positions first, values once: a copy may hold 32k tiny records.
 */
static int adv_records(const uint8_t *copy, struct lv_secret *values[LV_META_TAG_MAX + 1],
		       enum lv_meta_copy_state *state)
{
	size_t at[LV_META_TAG_MAX + 1] = { 0 }, len[LV_META_TAG_MAX + 1] = { 0 };
	size_t pos = ADV_RECORDS_START, end = ADV_CHECKSUM_OFFSET;

	while (end - pos >= ADV_RECORD_HEADER) {
		uint32_t tag = get_be32(copy + pos), size = get_be32(copy + pos + 4);

		if (tag == TAG_END)
			break;
		pos += ADV_RECORD_HEADER;
		if (size > end - pos) {
			*state = LV_META_COPY_BAD_RECORDS;
			return 0;
		}
		at[tag & LV_META_TAG_MAX] = pos;
		len[tag & LV_META_TAG_MAX] = size;
		pos += size;
	}
	for (unsigned t = 0; t <= LV_META_TAG_MAX; t++) {
		if (!at[t])
			continue;
		values[t] = lv_secret_dup(copy + at[t], len[t]);
		if (!values[t])
			return -ENOMEM;
	}
	*state = LV_META_COPY_VALID;
	return 0;
}

int lv_meta_adv_decode(const uint8_t *copy, struct lv_secret *values[LV_META_TAG_MAX + 1],
		       enum lv_meta_copy_state *state)
{
	uint8_t digest[ADV_CHECKSUM_BYTES];
	int r;

	if (all_zero(copy, LV_META_ADV_BYTES)) {
		*state = LV_META_COPY_BLANK;
		return 0;
	}
	if (get_be32(copy) != ADV_MAGIC1 || get_be32(copy + ADV_MAGIC2_OFFSET) != ADV_MAGIC2) {
		*state = LV_META_COPY_BAD_MAGIC;
		return 0;
	}
	r = adv_digest(copy, digest);
	if (r < 0)
		return r;
	if (!lv_memeq(digest, copy + ADV_CHECKSUM_OFFSET, sizeof(digest))) {
		*state = LV_META_COPY_BAD_CHECKSUM;
		return 0;
	}
	r = adv_records(copy, values, state);
	if (r < 0 || *state != LV_META_COPY_VALID)
		free_values(values);
	return r;
}

int lv_meta_adv_encode(struct lv_secret *const values[LV_META_TAG_MAX + 1], uint8_t *copy)
{
	size_t pos = ADV_RECORDS_START;

	memset(copy, 0, LV_META_ADV_BYTES);
	put_be32(copy, ADV_MAGIC1);
	put_be32(copy + ADV_MAGIC2_OFFSET, ADV_MAGIC2);
	for (unsigned tag = 1; tag <= LV_META_TAG_MAX; tag++) {
		const struct lv_secret *v = values[tag];

		if (!v)
			continue;
		if (ADV_CHECKSUM_OFFSET - pos < ADV_RECORD_HEADER ||
		    v->len > ADV_CHECKSUM_OFFSET - pos - ADV_RECORD_HEADER)
			return -ENOSPC;
		put_be32(copy + pos, tag);
		put_be32(copy + pos + 4, (uint32_t)v->len);
		memcpy(copy + pos + ADV_RECORD_HEADER, v->bytes, v->len);
		pos += ADV_RECORD_HEADER + v->len;
	}
	return adv_digest(copy, copy + ADV_CHECKSUM_OFFSET);
}

/* ---- syslinux ADV ---- */

static uint32_t legacy_checksum(const uint8_t *copy)
{
	uint32_t sum = LEGACY_CHECKSUM_TARGET;

	for (size_t i = LEGACY_RECORDS_START; i < LEGACY_RECORDS_END; i += 4)
		sum -= get_le32(copy + i);
	return sum;
}

void lv_meta_legacy_seal(uint8_t *copy)
{
	put_le32(copy, LEGACY_HEAD_MAGIC);
	put_le32(copy + 4, legacy_checksum(copy));
	put_le32(copy + LEGACY_RECORDS_END, LEGACY_TAIL_MAGIC);
}

/*
 * Calls visit for each record until tag 0 or the end.  go-adv stops when
 * fewer than 2 bytes are left before the tail (i < 506) and ignores a
 * record whose data would run into it; so does this walk.  Returns what
 * visit returned when it was not 0.
 */
static int legacy_walk(const uint8_t *copy,
		       int (*visit)(unsigned tag, size_t pos, size_t len, void *ctx), void *ctx)
{
	size_t pos = LEGACY_RECORDS_START;

	while (pos < LEGACY_RECORDS_END - 2) {
		unsigned tag = copy[pos];
		size_t len = copy[pos + 1];
		int r;

		if (tag == TAG_END || pos + 2 + len > LEGACY_RECORDS_END)
			break;
		r = visit(tag, pos, len, ctx);
		if (r)
			return r;
		pos += 2 + len;
	}
	return 0;
}

struct legacy_read {
	const uint8_t *copy;
	struct lv_secret **values;
};

/* go-adv's syslinux ReadTagBytes returns the first record of a tag. */
static int legacy_keep(unsigned tag, size_t pos, size_t len, void *ctx)
{
	struct legacy_read *rd = ctx;

	if (rd->values[tag])
		return 0;
	rd->values[tag] = lv_secret_dup(rd->copy + pos + 2, len);
	return rd->values[tag] ? 0 : -ENOMEM;
}

/*
 * Talos reads the legacy ADV without checking it (go-adv's NewADV only
 * reads the bytes); syslinux itself requires both magics and the checksum.
 * luksvol requires them too: every legacy ADV a Talos or syslinux wrote
 * has them (go-adv's cleanup seals each change), and bytes without them
 * are no ADV, whose "records" would be noise.
 */
int lv_meta_legacy_decode(const uint8_t *copy, struct lv_secret *values[LV_META_TAG_MAX + 1],
			  enum lv_meta_copy_state *state)
{
	struct legacy_read rd = { copy, values };
	int r;

	if (all_zero(copy, LV_META_LEGACY_COPY_BYTES)) {
		*state = LV_META_COPY_BLANK;
		return 0;
	}
	if (get_le32(copy) != LEGACY_HEAD_MAGIC || get_le32(copy + LEGACY_RECORDS_END) !=
							  LEGACY_TAIL_MAGIC) {
		*state = LV_META_COPY_BAD_MAGIC;
		return 0;
	}
	if (get_le32(copy + 4) != legacy_checksum(copy)) {
		*state = LV_META_COPY_BAD_CHECKSUM;
		return 0;
	}
	r = legacy_walk(copy, legacy_keep, &rd);
	if (r < 0)
		free_values(values);
	*state = LV_META_COPY_VALID;
	return r;
}

struct legacy_find {
	unsigned tag;
	size_t pos, len;
};

static int legacy_match(unsigned tag, size_t pos, size_t len, void *ctx)
{
	struct legacy_find *f = ctx;

	if (tag != f->tag)
		return 0;
	f->pos = pos;
	f->len = len;
	return 1;
}

/* go-adv's syslinux DeleteTag: the first record of the tag goes, the rest
 * moves up.  It leaves stale bytes past the new end; here they are zeroed. */
int lv_meta_legacy_remove(uint8_t *copy, unsigned tag)
{
	struct legacy_find f = { tag, 0, 0 };
	size_t next;

	if (tag == TAG_END || legacy_walk(copy, legacy_match, &f) != 1)
		return 0;
	next = f.pos + 2 + f.len;
	memmove(copy + f.pos, copy + next, LEGACY_RECORDS_END - next);
	memset(copy + LEGACY_RECORDS_END - (next - f.pos), 0, next - f.pos);
	lv_meta_legacy_seal(copy);
	return 1;
}
