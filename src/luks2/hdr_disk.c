/* SPDX-License-Identifier: ISC */
/*
 * hdr_disk.c: one LUKS2 header copy on disk: the binary header, its
 * checksum and the JSON area (luks2-reference.md §1.1-§1.4).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/hdr_disk.h"

const uint8_t lv_magic_primary[LV_MAGIC_BYTES] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
const uint8_t lv_magic_secondary[LV_MAGIC_BYTES] = { 'S', 'K', 'U', 'L', 0xba, 0xbe };

static uint64_t be64_read(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void be64_write(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* On-disk strings are NUL-padded fields; a full field is truncated by its
 * last byte, as cryptsetup does. */
static void field_to_string(char *dst, const uint8_t *field, size_t field_bytes)
{
	memcpy(dst, field, field_bytes);
	dst[field_bytes - 1] = '\0';
	dst[field_bytes] = '\0';
}

/* The inverse: at most field_bytes - 1 bytes, the rest of the (zeroed)
 * field stays NUL. */
static void string_to_field(uint8_t *field, const char *src, size_t field_bytes)
{
	memcpy(field, src, strnlen(src, field_bytes - 1));
}

int lv_hdr_bin_decode(const uint8_t raw[LV_HDR_FIELDS_BYTES], int secondary,
		      uint64_t read_offset, struct lv_hdr_bin *bin, struct lv_err *err)
{
	const char *which = secondary ? "secondary header" : "primary header";

	memset(bin, 0, sizeof(*bin));
	if (memcmp(raw, secondary ? lv_magic_secondary : lv_magic_primary, LV_MAGIC_BYTES))
		return lv_err_set(err, -EINVAL, "%s: bad magic", which);
	bin->version = (uint16_t)(raw[LV_OFF_VERSION] << 8 | raw[LV_OFF_VERSION + 1]);
	if (bin->version != 2)
		return lv_err_set(err, -EINVAL, "%s: version %u is not 2", which, bin->version);
	bin->hdr_size = be64_read(raw + LV_OFF_HDR_SIZE);
	bin->seqid = be64_read(raw + LV_OFF_SEQID);
	bin->hdr_offset = be64_read(raw + LV_OFF_HDR_OFFSET);
	if (bin->hdr_offset != read_offset)
		return lv_err_set(err, -EINVAL, "%s: hdr_offset %llu is not its offset %llu",
				  which, (unsigned long long)bin->hdr_offset,
				  (unsigned long long)read_offset);
	if (bin->hdr_size < LV_HDR_MIN_BYTES || bin->hdr_size > LV_HDR_MAX_BYTES)
		return lv_err_set(err, -EINVAL, "%s: hdr_size %llu is out of range", which,
				  (unsigned long long)bin->hdr_size);
	if (secondary && read_offset != bin->hdr_size)
		return lv_err_set(err, -EINVAL, "%s: hdr_size %llu does not match its offset",
				  which, (unsigned long long)bin->hdr_size);
	field_to_string(bin->label, raw + LV_OFF_LABEL, LV_LABEL_BYTES);
	field_to_string(bin->checksum_alg, raw + LV_OFF_CSUM_ALG, LV_CSUM_ALG_BYTES);
	field_to_string(bin->uuid, raw + LV_OFF_UUID, LV_UUID_BYTES);
	field_to_string(bin->subsystem, raw + LV_OFF_SUBSYSTEM, LV_SUBSYSTEM_BYTES);
	memcpy(bin->salt, raw + LV_OFF_SALT, LV_SALT_BYTES);
	memcpy(bin->csum, raw + LV_OFF_CSUM, LV_CSUM_BYTES);
	return 0;
}

void lv_hdr_bin_encode(const struct lv_hdr_bin *bin, int secondary,
		       uint8_t raw[LV_HDR_BIN_BYTES])
{
	memset(raw, 0, LV_HDR_BIN_BYTES);
	memcpy(raw, secondary ? lv_magic_secondary : lv_magic_primary, LV_MAGIC_BYTES);
	raw[LV_OFF_VERSION] = 0;
	raw[LV_OFF_VERSION + 1] = 2;
	be64_write(raw + LV_OFF_HDR_SIZE, bin->hdr_size);
	be64_write(raw + LV_OFF_SEQID, bin->seqid);
	be64_write(raw + LV_OFF_HDR_OFFSET, bin->hdr_offset);
	string_to_field(raw + LV_OFF_LABEL, bin->label, LV_LABEL_BYTES);
	string_to_field(raw + LV_OFF_CSUM_ALG, bin->checksum_alg, LV_CSUM_ALG_BYTES);
	string_to_field(raw + LV_OFF_UUID, bin->uuid, LV_UUID_BYTES);
	string_to_field(raw + LV_OFF_SUBSYSTEM, bin->subsystem, LV_SUBSYSTEM_BYTES);
	memcpy(raw + LV_OFF_SALT, bin->salt, LV_SALT_BYTES);
	memcpy(raw + LV_OFF_CSUM, bin->csum, LV_CSUM_BYTES);
}

_Static_assert(LV_OFF_CSUM + LV_CSUM_BYTES == LV_HDR_FIELDS_BYTES,
	       "the checksum is the binary header's last field");

/* The checksum's first part: the binary header's fields, its csum field
 * zeroed.  The padding after them comes next (lv_hdr_checksum, or read
 * by lv_hdr_copy_read). */
static int checksum_start(const char *alg, const uint8_t fields[LV_HDR_FIELDS_BYTES],
			  struct lv_hash_ctx **ctx)
{
	static const uint8_t zero_csum[LV_CSUM_BYTES];
	int hash_bytes = lv_hash_size(alg);
	int r;

	*ctx = NULL;
	if (hash_bytes <= 0 || hash_bytes > LV_CSUM_BYTES)
		return -EINVAL;
	r = lv_hash_init(ctx, alg);
	if (r < 0)
		return r;
	if ((r = lv_hash_update(*ctx, fields, LV_OFF_CSUM)) == 0)
		r = lv_hash_update(*ctx, zero_csum, LV_CSUM_BYTES);
	if (r < 0) {
		lv_hash_free(*ctx);
		*ctx = NULL;
	}
	return r;
}

int lv_hdr_checksum(const char *alg, const uint8_t raw[LV_HDR_BIN_BYTES],
		    const uint8_t *json_area, size_t json_area_bytes,
		    uint8_t out[LV_CSUM_BYTES])
{
	struct lv_hash_ctx *ctx;
	int r;

	memset(out, 0, LV_CSUM_BYTES);
	r = checksum_start(alg, raw, &ctx);
	if (r < 0)
		return r;
	if ((r = lv_hash_update(ctx, raw + LV_HDR_FIELDS_BYTES,
				LV_HDR_BIN_BYTES - LV_HDR_FIELDS_BYTES)) == 0 &&
	    (r = lv_hash_update(ctx, json_area, json_area_bytes)) == 0)
		r = lv_hash_final(ctx, out, LV_CSUM_BYTES);
	lv_hash_free(ctx);
	return r;
}

static int copy_fail(struct lv_hdr_copy *copy, enum lv_copy_state state)
{
	copy->state = state;
	return 0;
}

static int read_binary(struct lv_storage *st, uint64_t offset, int secondary,
		       struct lv_hdr_copy *copy, uint8_t fields[LV_HDR_FIELDS_BYTES])
{
	const char *which = secondary ? "secondary header" : "primary header";
	int r = lv_storage_read(st, offset, fields, LV_HDR_FIELDS_BYTES);

	if (r < 0) {
		lv_err_set(&copy->err, r, "%s at offset %llu: cannot read", which,
			   (unsigned long long)offset);
		return r == -ENODATA ? LV_COPY_BAD : LV_COPY_IO_ERROR;
	}
	if (lv_hdr_bin_decode(fields, secondary, offset, &copy->bin, &copy->err) < 0)
		return LV_COPY_BAD;
	return LV_COPY_UNREAD;
}

/* hash: the checksum of the copy, computed while reading (read_json_area). */
static int verify_checksum(struct lv_hdr_copy *copy, struct lv_hash_ctx *hash, int secondary)
{
	const char *which = secondary ? "secondary header" : "primary header";
	uint8_t computed[LV_CSUM_BYTES];
	int hash_bytes = lv_hash_size(copy->bin.checksum_alg);

	if (hash_bytes == -ENOTSUP)
		return lv_err_set(&copy->err, -ENOTSUP,
				  "%s: checksum_alg \"%s\" is unsupported by the %s crypto backend%s",
				  which, copy->bin.checksum_alg, lv_crypto_backend(),
				  lv_crypto_kernel_hint(0, copy->bin.checksum_alg));
	if (hash_bytes <= 0 || hash_bytes > LV_CSUM_BYTES)
		return lv_err_set(&copy->err, -EINVAL, "%s: unknown checksum_alg \"%s\"",
				  which, copy->bin.checksum_alg);
	if (!hash || lv_hash_final(hash, computed, sizeof(computed)) < 0)
		return lv_err_set(&copy->err, -EINVAL, "%s: cannot compute %s checksum", which,
				  copy->bin.checksum_alg);
	if (!lv_memeq(computed, copy->bin.csum, (size_t)hash_bytes))
		return lv_err_set(&copy->err, -EINVAL, "%s: checksum mismatch", which);
	return 0;
}

/*
 * Reads the JSON area in chunks, adding each to the checksum in *hash, and
 * keeps only its prefix: the bytes up to its last non-zero byte, plus one
 * zero byte (or the whole area when its last byte is not zero).  The JSON
 * text is a few KiB of an area that is mostly zero, 12 KiB to 4 MiB: an
 * area-sized buffer costs more in page faults than the load itself
 * (bench/RESULTS.md, dump-4m; bench/issue14.md, dump-16k).  A hash update
 * that fails drops *hash: verify_checksum then refuses the copy.
 */
#define JSON_READ_CHUNK_BYTES ((size_t)64 << 10)
/* Small: a header is read through it on the stack, under the JSON parse
 * and the libraries' lazy binding (bench/issue14.md, dump's stack pages). */
#define AREA_PAGE_BYTES ((size_t)1 << 10)

static void hash_chunk(struct lv_hash_ctx **hash, const uint8_t *chunk, size_t len)
{
	if (*hash && lv_hash_update(*hash, chunk, len) < 0) {
		lv_hash_free(*hash);
		*hash = NULL;
	}
}

/* len > 0.  Each byte equals the next and the first is zero: libc's
 * vectorised memcmp does the scan. */
static int chunk_is_zero(const uint8_t *chunk, size_t len)
{
	return chunk[0] == 0 && memcmp(chunk, chunk + 1, len - 1) == 0;
}

/* How many bytes of chunk come before its zero tail (len: none). */
static size_t nonzero_bytes(const uint8_t *chunk, size_t len)
{
	while (len && chunk[len - 1] == 0)
		len--;
	return len;
}

/*
 * The buffer an area is read through: page, the caller's (the binary
 * header's, once the checksums are started), for the usual small areas
 * (several reads, no heap page), a 64 KiB chunk from the heap for large
 * ones (a page at a time would be a thousand reads for 4 MiB).  NULL when
 * out of memory.
 */
static uint8_t *area_buffer(size_t area_bytes, uint8_t page[AREA_PAGE_BYTES], size_t *bytes)
{
	if (area_bytes <= JSON_READ_CHUNK_BYTES) {
		*bytes = AREA_PAGE_BYTES;
		return page;
	}
	*bytes = JSON_READ_CHUNK_BYTES;
	return malloc(JSON_READ_CHUNK_BYTES);
}

static void area_buffer_free(uint8_t *chunk, const uint8_t page[AREA_PAGE_BYTES])
{
	if (chunk != page)
		free(chunk);
}

/* Grows *prefix (holding *held bytes) to new_held bytes, zero-filled. */
static int grow_prefix(uint8_t **prefix, size_t *held, size_t new_held)
{
	uint8_t *grown = realloc(*prefix, new_held);

	if (!grown)
		return -ENOMEM;
	memset(grown + *held, 0, new_held - *held);
	*prefix = grown;
	*held = new_held;
	return 0;
}

static int read_json_area(struct lv_storage *st, uint64_t offset, size_t area_bytes,
			  uint8_t page[AREA_PAGE_BYTES], struct lv_hash_ctx **hash,
			  uint8_t **prefix, size_t *prefix_bytes)
{
	size_t chunk_bytes, held = 0;
	uint8_t *chunk = area_buffer(area_bytes, page, &chunk_bytes);
	int r = 0;

	*prefix = NULL;
	*prefix_bytes = 0;
	if (!chunk)
		return -ENOMEM;
	for (size_t done = 0, len; done < area_bytes && r == 0; done += len) {
		size_t kept, end;

		len = area_bytes - done < chunk_bytes ? area_bytes - done : chunk_bytes;
		r = lv_storage_read(st, offset + done, chunk, len);
		if (r < 0)
			break;
		hash_chunk(hash, chunk, len);
		if (chunk_is_zero(chunk, len))
			continue;
		kept = nonzero_bytes(chunk, len);
		end = done + kept < area_bytes ? done + kept + 1 : area_bytes;
		if ((r = grow_prefix(prefix, &held, end)) == 0)
			memcpy(*prefix + done, chunk, kept);
	}
	area_buffer_free(chunk, page);
	if (r == 0 && held == 0)
		r = grow_prefix(prefix, &held, 1);	/* an all-zero area */
	if (r < 0) {
		free(*prefix);
		*prefix = NULL;
		return r;
	}
	*prefix_bytes = held;
	return 0;
}

/*
 * Parses and validates (json_read.c applies the K7 repair).  Only the
 * area's prefix is parsed: the rest is zero (read_json_area saw it), and
 * the prefix ends with a zero byte unless it is the whole area, so the
 * JSON, its end and the check of what follows it come out as for the whole
 * area.
 */
static int load_metadata(struct lv_hdr_copy *copy, const char *which, struct lv_metadata **md)
{
	int r = lv_metadata_parse(copy->json_prefix, copy->json_prefix_bytes, copy->bin.hdr_size,
				  md, &copy->json_end_bytes, &copy->err);

	if (r < 0)
		lv_err_prefix(&copy->err, which);
	return r;
}

/* The twin was read and checked, and its JSON area's bytes are kept: a
 * copy with the same bytes gets its verdict. */
static bool twin_comparable(const struct lv_hdr_copy *twin, const struct lv_hdr_copy *copy)
{
	return twin && (twin->state == LV_COPY_OK || twin->state == LV_COPY_OBSOLETE) &&
	       twin->json_prefix && twin->bin.hdr_size == copy->bin.hdr_size;
}

/* The twin's JSON area holds the same bytes: the same metadata, so the
 * same verdict (a secondary written with its primary). */
static int same_json_area(const struct lv_hdr_copy *twin, const struct lv_hdr_copy *copy)
{
	return twin_comparable(twin, copy) && twin->json_prefix_bytes == copy->json_prefix_bytes &&
	       memcmp(twin->json_prefix, copy->json_prefix, copy->json_prefix_bytes) == 0;
}

/* The twin's area at [done, done + len) is chunk: its prefix, then zeros. */
static bool twin_holds(const struct lv_hdr_copy *twin, size_t done, const uint8_t *chunk,
		       size_t len)
{
	size_t held = done < twin->json_prefix_bytes ? twin->json_prefix_bytes - done : 0;

	if (held > len)
		held = len;
	if (held && memcmp(chunk, twin->json_prefix + done, held) != 0)
		return false;
	return held == len || chunk_is_zero(chunk + held, len - held);
}

/*
 * A secondary is nearly always its primary's twin: its JSON area is read
 * through area_buffer, hashed into *hash and compared with the twin's as
 * it goes, rather than kept a second time.  1: the same bytes, all hashed;
 * 0: they differ (the caller reads the copy again, the usual way); < 0: a
 * read failed.
 */
static int read_twin_json_area(struct lv_storage *st, uint64_t offset, size_t area_bytes,
			       uint8_t page[AREA_PAGE_BYTES], struct lv_hash_ctx **hash,
			       const struct lv_hdr_copy *twin)
{
	size_t chunk_bytes;
	uint8_t *chunk = area_buffer(area_bytes, page, &chunk_bytes);
	int r = 1;

	if (!chunk)
		return -ENOMEM;
	for (size_t done = 0, len; done < area_bytes && r == 1; done += len) {
		len = area_bytes - done < chunk_bytes ? area_bytes - done : chunk_bytes;
		r = lv_storage_read(st, offset + done, chunk, len);
		if (r == 0) {
			hash_chunk(hash, chunk, len);
			r = twin_holds(twin, done, chunk, len) ? 1 : 0;
		}
	}
	area_buffer_free(chunk, page);
	return r;
}

static int take_verdict(struct lv_hdr_copy *copy, const struct lv_hdr_copy *twin,
			const char *which)
{
	const char *reason = strchr(twin->err.msg, ':');

	copy->json_end_bytes = twin->json_end_bytes;
	if (twin->state == LV_COPY_OK)
		return 0;
	lv_err_set(&copy->err, twin->err.code, "%s%s", which, reason ? reason : "");
	return -EINVAL;
}

_Static_assert(AREA_PAGE_BYTES >= LV_HDR_FIELDS_BYTES, "the fields are read into the page");

/* The binary header's padding, after its fields, into both checksums. */
static int hash_padding(struct lv_storage *st, const struct lv_hdr_copy *copy,
			uint8_t page[AREA_PAGE_BYTES], struct lv_hash_ctx **hash,
			struct lv_hash_ctx **not_twin)
{
	for (size_t done = LV_HDR_FIELDS_BYTES, len; done < LV_HDR_BIN_BYTES; done += len) {
		int r;

		len = LV_HDR_BIN_BYTES - done < AREA_PAGE_BYTES ? LV_HDR_BIN_BYTES - done
							       : AREA_PAGE_BYTES;
		if ((r = lv_storage_read(st, copy->offset_bytes + done, page, len)) < 0)
			return r;
		hash_chunk(hash, page, len);
		hash_chunk(not_twin, page, len);
	}
	return 0;
}

/*
 * Reads the copy's JSON area into *hash: compared with the twin's when
 * there is one (copy->json_prefix stays NULL when the bytes are the
 * twin's; *not_twin, started as *hash, takes over when they are not), kept
 * in copy->json_prefix otherwise.  Read through page.
 */
static int hash_json_area(struct lv_storage *st, uint8_t page[AREA_PAGE_BYTES],
			  const struct lv_hdr_copy *twin, struct lv_hdr_copy *copy,
			  struct lv_hash_ctx **hash, struct lv_hash_ctx **not_twin)
{
	uint64_t area_offset = copy->offset_bytes + LV_HDR_BIN_BYTES;
	int r;

	if (twin_comparable(twin, copy)) {
		r = read_twin_json_area(st, area_offset, copy->json_area_bytes, page, hash, twin);
		if (r != 0)
			return r < 0 ? r : 0;
		lv_hash_free(*hash);	/* not the twin's bytes: start over */
		*hash = *not_twin;
		*not_twin = NULL;
	}
	return read_json_area(st, area_offset, copy->json_area_bytes, page, hash,
			      &copy->json_prefix, &copy->json_prefix_bytes);
}

/* Both checksums as far as the JSON area, or a copy state and a message
 * when the binary header cannot be read whole. */
static int hash_binary(struct lv_storage *st, const struct lv_hdr_copy *twin,
		       struct lv_hdr_copy *copy, uint8_t page[AREA_PAGE_BYTES],
		       struct lv_hash_ctx **hash, struct lv_hash_ctx **not_twin, const char *which)
{
	int r;

	/* An unsupported checksum_alg is reported by verify_checksum, after
	 * the read, as before.  For a copy that turns out not to be the
	 * twin's, *not_twin starts now, while page holds the fields. */
	(void)checksum_start(copy->bin.checksum_alg, page, hash);
	if (twin_comparable(twin, copy))
		(void)checksum_start(copy->bin.checksum_alg, page, not_twin);
	r = hash_padding(st, copy, page, hash, not_twin);
	if (r < 0) {
		lv_err_set(&copy->err, r, "%s at offset %llu: cannot read", which,
			   (unsigned long long)copy->offset_bytes);
		return r == -ENODATA ? LV_COPY_BAD : LV_COPY_IO_ERROR;
	}
	return LV_COPY_UNREAD;
}

int lv_hdr_copy_read(struct lv_storage *st, uint64_t offset, int secondary,
		     const struct lv_hdr_copy *twin, struct lv_hdr_copy *copy,
		     struct lv_metadata **md)
{
	const char *which = secondary ? "secondary header" : "primary header";
	uint8_t page[AREA_PAGE_BYTES];
	struct lv_hash_ctx *hash = NULL, *not_twin = NULL;
	int state, r;

	*md = NULL;
	memset(copy, 0, sizeof(*copy));
	copy->offset_bytes = offset;
	state = read_binary(st, offset, secondary, copy, page);
	if (state != LV_COPY_UNREAD)
		return copy_fail(copy, state);
	/* hdr_size is at most 4 MiB here: decode checked it. */
	copy->json_area_bytes = copy->bin.hdr_size - LV_HDR_BIN_BYTES;
	state = hash_binary(st, twin, copy, page, &hash, &not_twin, which);
	r = state != LV_COPY_UNREAD ? 0 : hash_json_area(st, page, twin, copy, &hash, &not_twin);
	lv_hash_free(not_twin);
	if (state != LV_COPY_UNREAD) {
		lv_hash_free(hash);
		return copy_fail(copy, state);
	}
	if (r < 0) {
		lv_hash_free(hash);
		if (r == -ENOMEM)
			return lv_err_set(&copy->err, r, "%s: out of memory", which);
		lv_err_set(&copy->err, r, "%s: cannot read the JSON area", which);
		return copy_fail(copy, r == -ENODATA ? LV_COPY_BAD : LV_COPY_IO_ERROR);
	}
	r = verify_checksum(copy, hash, secondary);
	lv_hash_free(hash);
	if (r < 0)
		return copy_fail(copy, LV_COPY_BAD);
	r = !copy->json_prefix || same_json_area(twin, copy) ? take_verdict(copy, twin, which)
							     : load_metadata(copy, which, md);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return copy_fail(copy, LV_COPY_OBSOLETE);
	copy->state = LV_COPY_OK;
	return 0;
}

void lv_hdr_copy_free(struct lv_hdr_copy *copy)
{
	free(copy->json_prefix);
	memset(copy, 0, sizeof(*copy));
}
