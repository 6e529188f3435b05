/* SPDX-License-Identifier: ISC */
/* fuzz_common.c: device images, checksum fixing and failure reports. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "crypto/crypto.h"
#include "luks2/hdr_disk.h"
#include "luks2/token.h"

const char *fz_current_input;

/* Where a secondary header may sit (LUKS2 spec §2.1, device.c). */
static const uint64_t secondary_offsets[] = {
	0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000,
};
#define N_SECONDARY_OFFSETS (sizeof(secondary_offsets) / sizeof(secondary_offsets[0]))

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz invariant violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (fz_current_input)
		fprintf(stderr, "input: %s\n", fz_current_input);
	fflush(stderr);
	abort();
}

int fz_known_bug(const char *name)
{
	static const char *skip;
	static int read_env;
	size_t n = strlen(name);

	if (!read_env) {
		skip = getenv("FUZZ_SKIP_KNOWN_BUGS");
		read_env = 1;
	}
	if (!skip || !*skip)
		return 0;
	if (strcmp(skip, "all") == 0)
		return 1;
	for (const char *p = skip; (p = strstr(p, name)); p += n)
		if ((p == skip || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

static ssize_t discard_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)len;
}

FILE *fz_discard_file(void)
{
	static FILE *out;
	static const cookie_io_functions_t io = { .write = discard_write };

	if (!out)
		out = fopencookie(NULL, "w", io);
	return out;
}

const struct lv_digest *fz_volume_key_digest(const struct lv_metadata *md)
{
	return lv_md_digest_of_segment(md, lv_md_data_segment(md));
}

int fz_expect_load(void)
{
	static int expect = -1;

	if (expect < 0) {
		const char *value = getenv("FUZZ_EXPECT_LOAD");

		expect = value && strcmp(value, "1") == 0;
	}
	return expect;
}

int fz_expect_reject(void)
{
	static int expect = -1;

	if (expect < 0) {
		const char *value = getenv("FUZZ_EXPECT_REJECT");

		expect = value && strcmp(value, "1") == 0;
	}
	return expect;
}

uint8_t fz_control(const uint8_t *data, size_t size)
{
	return size > FZ_CTL_OFFSET ? data[FZ_CTL_OFFSET] : 0;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* hdr_size of the copy at off when its magic is right and hdr_size is
 * 16 KiB..4 MiB, else 0; its binary header must lie inside buf (the JSON
 * area may not: an input can end inside it). */
static uint64_t plausible(const uint8_t *buf, size_t len, uint64_t off, int secondary)
{
	const uint8_t *magic = secondary ? lv_magic_secondary : lv_magic_primary;
	uint64_t hdr_size;

	if (off > len || len - off < LV_HDR_BIN_BYTES ||
	    memcmp(buf + off, magic, LV_MAGIC_BYTES) != 0)
		return 0;
	hdr_size = be64(buf + off + LV_OFF_HDR_SIZE);
	if (hdr_size < LV_HDR_MIN_BYTES || hdr_size > LV_HDR_MAX_BYTES)
		return 0;
	return hdr_size;
}

/* The copy at off gets as far as its checksum in the reader: its binary
 * header decodes (magic, version, hdr_offset, hdr_size) and the whole copy
 * is inside the device. */
static int checksummed(const uint8_t *buf, size_t len, uint64_t off, int secondary,
		       struct lv_hdr_bin *bin)
{
	return off <= len && len - off >= LV_HDR_BIN_BYTES &&
	       lv_hdr_bin_decode(buf + off, secondary, off, bin, NULL) == 0 &&
	       bin->hdr_size <= len - off;
}

/*
 * Sealing hashes the whole copy (16 KiB at least), as much again as the
 * reader's check of it, while most mutations change one copy only.  So
 * digests are remembered, direct-mapped, by an xxh64-style fingerprint of
 * what decides them: checksum_alg, hdr_size and the copy's bytes up to the
 * end of the input (the device is zeros past it), with the checksum field
 * zeroed.  A fingerprint collision would cost a refused copy, or in the
 * libFuzzer and AFL++ builds, whose reader takes the digests of sealed
 * copies from hash_memo.c, a wrong checksum passed.
 */
#define DIGEST_CACHE_SLOTS 1024
#define FP_PRIME1 0x9E3779B185EBCA87ULL
#define FP_PRIME2 0xC2B2AE3D27D4EB4FULL

struct cached_digest {
	uint64_t fingerprint;
	uint8_t digest[LV_HASH_MAX_BYTES];
};

static struct cached_digest digest_cache[DIGEST_CACHE_SLOTS];

static uint64_t fp_round(uint64_t acc, uint64_t word)
{
	acc += word * FP_PRIME2;
	acc = acc << 31 | acc >> 33;
	return acc * FP_PRIME1;
}

/* Harness code over bytes inside the image: ASan's check of every load
 * was most of its cost. */
__attribute__((no_sanitize("address")))
static uint64_t fingerprint(const uint8_t *bytes, size_t len, uint64_t seed)
{
	uint64_t lane[4] = { seed + FP_PRIME1, seed + FP_PRIME2, seed, seed - FP_PRIME1 };
	uint64_t word, acc = seed ^ len;
	size_t i = 0;

	/* Four independent lanes: the multiplications overlap. */
	for (; i + 32 <= len; i += 32)
		for (int k = 0; k < 4; k++) {
			memcpy(&word, bytes + i + 8 * (size_t)k, sizeof(word));
			lane[k] = fp_round(lane[k], word);
		}
	for (int k = 0; k < 4; k++)
		acc = fp_round(acc, lane[k]);
	for (; i < len; i++)
		acc = fp_round(acc, bytes[i]);
	acc ^= acc >> 33;
	acc *= FP_PRIME2;
	return acc ^ acc >> 29;
}

/* The digest of the copy (field zeroed) whose fingerprint is fp, from the
 * cache or computed.  0, or -1 when the backend cannot compute it. */
static int real_digest(const uint8_t *copy, const struct lv_hdr_bin *bin, uint64_t fp,
		       uint8_t digest[LV_HASH_MAX_BYTES])
{
	struct cached_digest *slot = &digest_cache[fp % DIGEST_CACHE_SLOTS];
	struct lv_hash_ctx *ctx;
	int r;

	if (slot->fingerprint != fp || fp == 0) {
		if (lv_hash_init(&ctx, bin->checksum_alg) < 0)
			return -1;
		r = lv_hash_update(ctx, copy, (size_t)bin->hdr_size);
		if (r == 0)
			r = lv_hash_final(ctx, slot->digest, sizeof(slot->digest));
		lv_hash_free(ctx);
		slot->fingerprint = r == 0 ? fp : 0;
		if (r < 0)
			return -1;
	}
	memcpy(digest, slot->digest, LV_HASH_MAX_BYTES);
	return 0;
}

/*
 * Seals the copy at off as a writer does (LUKS2 spec §2.1): the 64-byte
 * checksum field zeroed first, then the digest of the whole copy (binary
 * header with that field zeroed, then the JSON area) with the declared
 * checksum_alg, in the field's first bytes.  The digest is computed here,
 * with the crypto layer, not with the reader's lv_hdr_checksum, so a bug
 * there is not masked.  In the libFuzzer and AFL++ builds the digest is a
 * stand-in that the reader's hash of exactly these bytes returns
 * (hash_memo.c).  data_len: the bytes of buf that may be non-zero.
 * Returns 0 when checksum_alg is no hash the backend knows: the field
 * stays zeroed and the reader refuses the copy anyway.
 */
static int seal_copy(uint8_t *buf, size_t data_len, uint64_t off, const struct lv_hdr_bin *bin)
{
	uint8_t *copy = buf + off;
	int digest_bytes = lv_hash_size(bin->checksum_alg);
	size_t data_bytes = data_len <= off ? 0 :
			    data_len - off < bin->hdr_size ? data_len - off : (size_t)bin->hdr_size;
	uint8_t digest[LV_HASH_MAX_BYTES];
	uint64_t fp;

	memset(copy + LV_OFF_CSUM, 0, LV_CSUM_BYTES);
	if (fz_hash_memo_wrote)
		fz_hash_memo_wrote(copy + LV_OFF_CSUM, LV_CSUM_BYTES);
	if (digest_bytes <= 0 || digest_bytes > LV_CSUM_BYTES)
		return 0;
	fp = fingerprint((const uint8_t *)bin->checksum_alg, strlen(bin->checksum_alg),
			 bin->hdr_size);
	fp = fingerprint(copy, data_bytes, fp);
	if (!fz_hash_memo_seal ||
	    !fz_hash_memo_seal(copy, (size_t)bin->hdr_size, bin->checksum_alg, fp, digest,
			       (size_t)digest_bytes)) {
		if (real_digest(copy, bin, fp, digest) < 0)
			return 0;
		if (fz_hash_memo_add)
			fz_hash_memo_add(copy, (size_t)bin->hdr_size, bin->checksum_alg, digest,
					 (size_t)digest_bytes);
	}
	memcpy(copy + LV_OFF_CSUM, digest, (size_t)digest_bytes);
	return 1;
}

static void note_end(size_t *end, uint64_t off)
{
	if (off + LV_OFF_CSUM + LV_CSUM_BYTES > *end)
		*end = (size_t)(off + LV_OFF_CSUM + LV_CSUM_BYTES);
}

/*
 * The copies the loader verifies (device.c): the primary, and the secondary
 * at the primary's hdr_size; when the primary's binary header does not
 * decode or its checksum_alg is unknown (the loader then scans), every
 * secondary of the scan.  The secondary is sealed before the primary: it
 * lies past the primary, and a scanned one may lie inside a primary that
 * is refused anyway.
 */
unsigned fz_fix_checksums(uint8_t *buf, size_t len, size_t data_len, size_t *written_end)
{
	struct lv_hdr_bin primary, secondary;
	uint64_t secondary_done = 0;
	int primary_sealed = 0;
	size_t end = 0;
	unsigned fixed = 0;

	if (checksummed(buf, len, 0, 0, &primary)) {
		uint64_t off = primary.hdr_size;

		if (checksummed(buf, len, off, 1, &secondary)) {
			fixed += (unsigned)seal_copy(buf, data_len, off, &secondary);
			secondary_done = off;
			note_end(&end, off);
		}
		primary_sealed = seal_copy(buf, data_len, 0, &primary);
		fixed += (unsigned)primary_sealed;
		note_end(&end, 0);
	}
	for (size_t i = 0; !primary_sealed && i < N_SECONDARY_OFFSETS; i++) {
		uint64_t off = secondary_offsets[i];

		if (off == secondary_done || !checksummed(buf, len, off, 1, &secondary))
			continue;
		fixed += (unsigned)seal_copy(buf, data_len, off, &secondary);
		note_end(&end, off);
	}
	if (written_end)
		*written_end = end;
	return fixed;
}

/* Parses "keyslots_size" <ws> : <ws> "<digits>" starting at p. */
static int parse_keyslots_size(const uint8_t *p, const uint8_t *end, uint64_t *value)
{
	static const char key[] = "\"keyslots_size\"";
	uint64_t v = 0;
	int digits = 0;

	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end || *p++ != ':')
		return 0;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end || *p++ != '"')
		return 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > 12)	/* far beyond FZ_DEVICE_MAX anyway */
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!digits || p >= end || *p != '"')
		return 0;
	*value = v;
	return 1;
}

uint64_t fz_claimed_device_size(const uint8_t *buf, size_t len)
{
	static const char key[] = "\"keyslots_size\"";
	uint64_t off = 0, hdr_size = plausible(buf, len, 0, 0), keyslots = 0;

	/* The input may end inside the JSON area: trailing zeros are what the
	 * extension restores. */
	for (size_t i = 0; !hdr_size && i < N_SECONDARY_OFFSETS; i++) {
		off = secondary_offsets[i];
		if (plausible(buf, len, off, 1) == off)
			hdr_size = off;
	}
	if (!hdr_size)
		return 0;
	const uint8_t *p = buf + off + LV_HDR_BIN_BYTES;
	const uint8_t *end = buf + (off + hdr_size < len ? off + hdr_size : len);
	while (p < end) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
		if (!hit)
			break;
		if (parse_keyslots_size(hit, end, &keyslots))
			break;
		p = hit + 1;
	}
	if (keyslots > FZ_DEVICE_MAX - 2 * hdr_size)
		return 0;
	return 2 * hdr_size + keyslots;
}

/* ---- device images ---- */

/*
 * The arena: FZ_DEVICE_MAX bytes of lazily mapped memory, then a PROT_NONE
 * guard page.  A device exactly as long as the input ends at the guard, so
 * a read past its end faults.  A zero-extended device starts at the arena's
 * start instead: the input lands on the same (already faulted-in) pages
 * whatever size the header claims -- on a paravirtualized machine a page
 * fault costs more than a whole load -- and reads past its end are stopped
 * by the storage's bounds check, which the exact-size mode tests.
 */
static uint8_t *arena;
static size_t page_bytes;

static int arena_init(void)
{
	if (arena)
		return 0;
	page_bytes = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, FZ_DEVICE_MAX + page_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return -1;
	if (mprotect(map + FZ_DEVICE_MAX, page_bytes, PROT_NONE) < 0) {
		munmap(map, FZ_DEVICE_MAX + page_bytes);
		return -1;
	}
	arena = map;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return arena_init();
}

int fz_image_prepare(struct fz_image *img, const uint8_t *data, size_t size, unsigned flags)
{
	uint8_t ctl = fz_control(data, size);
	uint64_t len = size;

	if (fz_alloc_begin_run)
		fz_alloc_begin_run();
	memset(img, 0, sizeof(*img));
	img->writable = !!(flags & FZ_IMAGE_WRITABLE);
	/* The code under test may rewrite a writable image's copies in place. */
	if (fz_hash_memo_begin)
		fz_hash_memo_begin(!img->writable);
	if (!(ctl & FZ_CTL_NO_EXTEND)) {
		uint64_t claimed = fz_claimed_device_size(data, size);
		if (claimed > len)
			len = claimed;
	}
	if (len > FZ_DEVICE_MAX || arena_init() < 0) {
		/* Only a replayed file larger than any device a header can
		 * claim gets here: a plain heap copy, exactly its size. */
		img->bytes = malloc(size ? size : 1);
		if (!img->bytes)
			return -1;
		img->heap = 1;
		len = size;
	} else {
		img->bytes = len > size ? arena : arena + FZ_DEVICE_MAX - len;
	}
	img->len = (size_t)len;
	img->input_len = size;
	img->clean_len = size;
	if (size)
		memcpy(img->bytes, data, size);
	if (!(ctl & FZ_CTL_RAW)) {
		size_t written_end;

		fz_fix_checksums(img->bytes, img->len, img->input_len, &written_end);
		if (written_end > img->clean_len)
			img->clean_len = written_end;
	}
	return 0;
}

void fz_image_expect_writes(struct fz_image *img, uint64_t end)
{
	if (end > img->len)
		end = img->len;
	if (end > img->clean_len)
		img->clean_len = (size_t)end;
}

void fz_image_release(struct fz_image *img)
{
	if (!img->bytes)
		return;
	if (img->heap) {
		free(img->bytes);
	} else {
		/* A read-only storage never writes: the copy (and the checksums
		 * fixed in its headers, which lie inside it) is all that is dirty.
		 * Writers are expected below clean_len; pages beyond it are
		 * dropped, in case, and the kernel only walks populated ones. */
		memset(img->bytes, 0, img->clean_len);
		if (img->writable) {
			uintptr_t tail = (uintptr_t)img->bytes + img->clean_len;
			uintptr_t to = (uintptr_t)img->bytes + img->len;
			uintptr_t from = (tail + page_bytes - 1) & ~(uintptr_t)(page_bytes - 1);

			if (from > to)
				from = to;
			memset((void *)tail, 0, from - tail);	/* the rest of a partial page */
			if (from < to && madvise((void *)from, to - from, MADV_DONTNEED) < 0)
				memset((void *)from, 0, to - from);
		}
	}
	memset(img, 0, sizeof(*img));
	if (fz_hash_memo_begin)
		fz_hash_memo_begin(0);
	if (fz_alloc_end_of_run)
		fz_alloc_end_of_run();
}

void fz_format_accepts_token(const uint8_t *data, size_t size)
{
	struct lv_metadata *md = NULL;
	struct lv_token *token = NULL;
	struct lv_err err = { 0 };
	char *text = malloc(size + 1);
	FILE *out;

	if (!text || memchr(data, 0, size) || lv_metadata_new(&md) < 0) {
		free(text);
		return;
	}
	memcpy(text, data, size);
	text[size] = 0;
	if (lv_metadata_parse_token(md, text, 0, &token, &err) == 0 && token->ops) {
		if (token->ops->validate && token->ops->validate(token, &err) < 0)
			fz_fail("the format refuses a %s token its consumer accepts: %s",
				token->type, err.msg);
		out = fz_discard_file();
		if (out && token->ops->dump)
			token->ops->dump(token, out);
	}
	lv_metadata_free(&md);
	free(text);
}
