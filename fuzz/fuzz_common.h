/* SPDX-License-Identifier: ISC */
/*
 * fuzz_common.h: what the luksvol fuzz targets share.
 *
 * Every target is a LLVMFuzzerTestOneInput over the in-memory storage: the
 * input is copied into a device image (struct fz_image) and loaded with
 * lv_device_load_mem, so a run does no file I/O.  The same sources build
 * for libFuzzer, for AFL++ (libAFLDriver) and, with standalone_main.c, as a
 * plain ASan+UBSan program that replays corpora (make fuzz-replay).
 *
 * The control byte.  One byte of the input steers the harness instead of
 * the code under test: the last byte of the primary binary header's
 * checksum field (offset 0x1FF).  A sha256 or sha1 checksum (all that
 * cryptsetup and luksvol write) leaves that byte out of both the stored
 * digest and the hashed data (the field is zeroed for hashing), so the
 * fuzzer can flip its bits without changing what the loader decides.  Its
 * bits (all 0 in a header cryptsetup or luksvol wrote):
 *   FZ_CTL_RAW        keep the checksums as they are in the input; when
 *                     clear, both header copies get a correct checksum
 *                     before the load (so mutations reach the JSON checks)
 *   FZ_CTL_NO_EXTEND  the device is exactly the input; when clear, it is
 *                     zero-extended to the size the header claims
 *                     (2 * hdr_size + keyslots_size) so the size check passes
 *   FZ_CTL_NAMED_SLOT luks2_unlock: unlock keyslot (ctl >> 3) instead of
 *                     trying every keyslot
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "luks2/metadata.h"
#include "luksvol.h"

/* libFuzzer's entry points; standalone_main.c and libAFLDriver call them too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CTL_OFFSET 0x1FF
enum fz_control_bits {
	FZ_CTL_RAW = 1 << 0,
	FZ_CTL_NO_EXTEND = 1 << 1,
	FZ_CTL_NAMED_SLOT = 1 << 2,
};

/* The control byte of an input (0 when the input is shorter). */
uint8_t fz_control(const uint8_t *data, size_t size);

/* The largest device a header can ask for: both 4 MiB metadata copies and
 * the 128 MiB keyslots area the validator allows. */
#define FZ_DEVICE_MAX ((8ULL << 20) + (128ULL << 20))

/*
 * A device image for one run, in a reserved, lazily mapped region (see
 * fuzz_common.c): zero-extending it to 136 MiB costs nothing until a page
 * is touched.  Only what a run dirtied is cleaned.
 */
struct fz_image {
	uint8_t *bytes;
	size_t len;		/* device size */
	size_t input_len;	/* bytes copied from the input */
	size_t clean_len;	/* bytes zeroed at release; pages past it are dropped */
	int writable;		/* the code under test may write anywhere in len */
	int heap;		/* bytes came from malloc (input larger than the arena) */
};

enum fz_image_flags {
	FZ_IMAGE_WRITABLE = 1 << 0,	/* the device will be loaded LV_LOAD_WRITABLE */
};

/* Copies data into img, fixes the checksums (unless FZ_CTL_RAW) and extends
 * the device (unless FZ_CTL_NO_EXTEND).  Returns 0, or -1 when out of
 * memory. */
int fz_image_prepare(struct fz_image *img, const uint8_t *data, size_t size, unsigned flags);
/* A writable image: the writes of this run are expected below end (both
 * metadata copies); release zeroes that much and drops the pages past it. */
void fz_image_expect_writes(struct fz_image *img, uint64_t end);
/* Zeroes what the run may have dirtied; checks for leaked large blocks. */
void fz_image_release(struct fz_image *img);

/*
 * Gives every copy the loader will verify a correct checksum (see
 * fuzz_common.c): the primary at 0 and the secondary at the primary's
 * hdr_size, or, when the reader cannot take the primary, every secondary of
 * the scan at the nine LUKS2 offsets.  A copy is sealed when the reader
 * gets as far as its checksum (its binary header decodes and the copy lies
 * inside buf, the device: zeros past the input count), with its declared
 * checksum_alg and the field zeroed first.  Only the first data_len bytes
 * of buf may be non-zero (the input; digests are cached by what decides
 * them).  Returns the number of copies sealed; *written_end (if not NULL)
 * gets the end of the last checksum field written.
 */
unsigned fz_fix_checksums(uint8_t *buf, size_t len, size_t data_len, size_t *written_end);

/* 2 * hdr_size + config.keyslots_size as the header claims them (the JSON
 * is searched for "keyslots_size", not parsed), 0 when there is no
 * plausible header or the claim is above FZ_DEVICE_MAX.  The input may end
 * inside the JSON area (seeds carry no trailing zeros). */
uint64_t fz_claimed_device_size(const uint8_t *buf, size_t len);

/*
 * Known bugs in src/ (README.md "Known bugs", each with a reproducer in
 * fuzz/regressions/): a harness asks fz_known_bug("name") before it reports
 * an invariant a known bug breaks.  It returns 1 (skip the report) only when
 * the environment variable FUZZ_SKIP_KNOWN_BUGS lists the name (comma-
 * separated) or is "all" -- so campaigns can go past a reported bug while
 * replays keep failing on its reproducer until src/ is fixed.
 */
int fz_known_bug(const char *name);

/* 1 when the environment has FUZZ_EXPECT_LOAD=1: inputs that must load
 * (fuzz/regressions/luks2_load/must-load, see replay.sh). */
int fz_expect_load(void);
/* 1 when the environment has FUZZ_EXPECT_REJECT=1: inputs that must not
 * load (fuzz/regressions/luks2_load/must-reject: headers cryptsetup
 * refuses that luksvol once loaded). */
int fz_expect_reject(void);

/* A token JSON text (size bytes) that the type's consumer accepted: the
 * format's token ops (src/luks2/token_*.c) must accept it at import too,
 * and dump it.  Text the format cannot hold as a token (its own rules on
 * type and keyslots) is skipped. */
void fz_format_accepts_token(const uint8_t *data, size_t size);

/* fuzz_alloc.c, in the libFuzzer and AFL++ builds only: fails the run when
 * a large block it caches was not freed (LeakSanitizer cannot see those).
 * fz_image_release calls it. */
void fz_alloc_begin_run(void) __attribute__((weak));
void fz_alloc_end_of_run(void) __attribute__((weak));

/* hash_memo.c, in the libFuzzer and AFL++ builds only: the copies the
 * harness sealed, whose digests the reader's hashes of the same bytes
 * take.  fz_image_prepare begins a run's memo (active for a read-only
 * image), fz_fix_checksums seals through it and reports its writes,
 * fz_image_release ends it.  fz_hash_memo_seal gives a copy a stand-in
 * digest (1), or leaves the digest to the caller (0), who then adds it. */
void fz_hash_memo_begin(int active) __attribute__((weak));
int fz_hash_memo_seal(const uint8_t *copy, size_t len, const char *alg, uint64_t fingerprint,
		      uint8_t *digest, size_t digest_bytes) __attribute__((weak));
void fz_hash_memo_add(const uint8_t *copy, size_t len, const char *alg, const uint8_t *digest,
		      size_t digest_bytes) __attribute__((weak));
void fz_hash_memo_wrote(const uint8_t *at, size_t len) __attribute__((weak));
/* A FILE that discards what is written to it (no file I/O per run), or
 * NULL when it cannot be made. */
FILE *fz_discard_file(void);

/* The digest lv_unlock checks a volume key against: the one listing the
 * first crypt segment that is not a backup (keyslot.c), or NULL. */
const struct lv_digest *fz_volume_key_digest(const struct lv_metadata *md);

/* The name of the input being run (standalone_main.c sets it), or NULL. */
extern const char *fz_current_input;

/* Reports a violated invariant (with the current input's name) and aborts,
 * so libFuzzer and AFL++ record a crash. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
