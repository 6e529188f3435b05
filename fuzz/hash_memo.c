/* SPDX-License-Identifier: ISC */
/*
 * hash_memo.c: no SHA-256 for the header copies the harness seals, in the
 * libFuzzer and AFL++ builds (linked with -Wl,--wrap=lv_hash_init,
 * --wrap=lv_hash_update,--wrap=lv_hash_final,--wrap=lv_hash_free; see
 * fuzz.mk).  Not part of the replay build, which hashes everything.
 *
 * Why: the harness sealed a copy (fuzz_common.c) by hashing it, then the
 * reader verified it by hashing the same bytes again: with the copy a
 * mutation changed, 40-50 KB of SHA-256 a run, about half of a luks2_load
 * run, in uninstrumented OpenSSL code that no mutation can steer.
 *
 * What: sealing makes the digest the reader computes over a copy equal to
 * the one stored in it.  Here the harness registers each copy it seals
 * (where it lies in the image, its checksum_alg) with a stand-in digest,
 * drawn from the fingerprint of the copy's bytes, and stores that.  A hash
 * the code under test computes is compared with the registered copies as
 * its bytes come (the checksum field counted as zeros, as it is hashed);
 * a stream that is exactly a registered copy's bytes gets its digest.  Any
 * other stream is hashed by OpenSSL in full: the bytes matched so far are
 * the copy's, and are fed first.  So every check the reader makes comes
 * out as with real digests: a sealed copy passes, a stream that differs
 * from it in any byte or in length gets a real digest that is not the
 * stand-in, and inputs whose checksums are kept (FZ_CTL_RAW) are never
 * registered.  The stand-in digests are never written outside the image.
 *
 * The registered bytes must stay as they were sealed: a copy a later seal
 * wrote into is dropped (fz_hash_memo_wrote), and nothing is registered
 * for a writable image (the code under test may rewrite the copies): its
 * copies get real digests.  The memo is emptied at each run's start.
 *
 * With FUZZ_HASH_MEMO_CHECK=1 in the environment, the harness seals with
 * real digests, registers those, every stream is hashed by OpenSSL too,
 * and a memo digest that is not OpenSSL's fails the run: the memo's
 * matching is checked against the real thing (fuzz/smoke.sh runs the
 * LUKS2 targets so; a run that checked no digest is reported).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz_common.h"
#include "luks2/hdr_disk.h"

int __real_lv_hash_init(struct lv_hash_ctx **ctx, const char *hash_name);
int __real_lv_hash_update(struct lv_hash_ctx *ctx, const void *data, size_t len);
int __real_lv_hash_final(struct lv_hash_ctx *ctx, uint8_t *out, size_t out_len);
void __real_lv_hash_free(struct lv_hash_ctx *ctx);
int __wrap_lv_hash_init(struct lv_hash_ctx **ctx, const char *hash_name);
int __wrap_lv_hash_update(struct lv_hash_ctx *ctx, const void *data, size_t len);
int __wrap_lv_hash_final(struct lv_hash_ctx *ctx, uint8_t *out, size_t out_len);
void __wrap_lv_hash_free(struct lv_hash_ctx *ctx);

/* The copies fz_fix_checksums seals: the primary, its secondary, or the
 * nine secondaries of the scan. */
#define MEMO_SLOTS 10

struct sealed_copy {
	const uint8_t *bytes;	/* in the image */
	size_t len;		/* hdr_size */
	char alg[LV_CSUM_ALG_BYTES + 1];
	uint8_t digest[LV_HASH_MAX_BYTES];
	size_t digest_bytes;
};

static struct sealed_copy sealed[MEMO_SLOTS];
static unsigned sealed_count;
static bool memo_active;

static int check_against_real = -1;
static unsigned long digests_checked;

struct memo_hash {
	struct lv_hash_ctx *real;
	const struct sealed_copy *copy;	/* the stream's bytes so far are its */
	size_t pos;			/* bytes of the stream so far */
	bool started;			/* an update came since init or final */
	char alg[LV_CSUM_ALG_BYTES + 1];
};

static bool checking(void)
{
	if (check_against_real < 0) {
		const char *v = getenv("FUZZ_HASH_MEMO_CHECK");

		check_against_real = v && strcmp(v, "1") == 0;
	}
	return check_against_real;
}

void fz_hash_memo_begin(int active)
{
	sealed_count = 0;
	memo_active = active;
}

static struct sealed_copy *add_copy(const uint8_t *copy, size_t len, const char *alg,
				    size_t digest_bytes)
{
	struct sealed_copy *s;

	if (!memo_active || sealed_count == MEMO_SLOTS || strlen(alg) > LV_CSUM_ALG_BYTES ||
	    digest_bytes > LV_HASH_MAX_BYTES)
		return NULL;
	s = &sealed[sealed_count++];
	s->bytes = copy;
	s->len = len;
	strcpy(s->alg, alg);
	s->digest_bytes = digest_bytes;
	return s;
}

/* splitmix64: the fingerprint spread over a digest's length. */
static void stand_in_digest(uint64_t fingerprint, uint8_t *digest, size_t digest_bytes)
{
	uint64_t x = fingerprint;

	for (size_t i = 0; i < digest_bytes; i += sizeof(x)) {
		uint64_t z = (x += 0x9E3779B97F4A7C15ULL);

		z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9ULL;
		z = (z ^ z >> 27) * 0x94D049BB133111EBULL;
		z ^= z >> 31;
		memcpy(digest + i, &z, digest_bytes - i < sizeof(z) ? digest_bytes - i : sizeof(z));
	}
}

int fz_hash_memo_seal(const uint8_t *copy, size_t len, const char *alg, uint64_t fingerprint,
		      uint8_t *digest, size_t digest_bytes)
{
	struct sealed_copy *s;

	if (checking() || !(s = add_copy(copy, len, alg, digest_bytes)))
		return 0;
	stand_in_digest(fingerprint, s->digest, digest_bytes);
	memcpy(digest, s->digest, digest_bytes);
	return 1;
}

void fz_hash_memo_add(const uint8_t *copy, size_t len, const char *alg, const uint8_t *digest,
		      size_t digest_bytes)
{
	struct sealed_copy *s = add_copy(copy, len, alg, digest_bytes);

	if (s)
		memcpy(s->digest, digest, digest_bytes);
}

void fz_hash_memo_wrote(const uint8_t *at, size_t len)
{
	for (unsigned i = 0; i < sealed_count;) {
		const struct sealed_copy *s = &sealed[i];

		if (at < s->bytes + s->len && s->bytes < at + len)
			sealed[i] = sealed[--sealed_count];
		else
			i++;
	}
}

/*
 * memcmp() without its interceptors: libFuzzer takes the operands of every
 * memcmp the process makes as words to insert (its table of recent
 * comparisons), and 16 KiB of the harness's own comparisons are no words
 * the code under test compared.  Nor are they ASan's to check: both sides
 * are inside the image or the reader's buffers, which the reader's own
 * reads checked.
 */
__attribute__((no_sanitize("address")))
static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t wa, wb, diff = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__builtin_memcpy(&wa, a + i, 8);
		__builtin_memcpy(&wb, b + i, 8);
		diff |= wa ^ wb;
		if ((i & 1023) == 1016 && diff)
			return false;
	}
	for (; i < n; i++)
		diff |= (uint64_t)(a[i] ^ b[i]);
	return diff == 0;
}

/* Whether data is the copy's stream at [pos, pos + len): its bytes, with
 * the checksum field as zeros. */
static bool stream_is(const struct sealed_copy *s, size_t pos, const uint8_t *data, size_t len)
{
	const size_t csum_end = LV_OFF_CSUM + LV_CSUM_BYTES;

	if (len > s->len || pos > s->len - len)
		return false;
	for (size_t end = pos + len; pos < end;) {
		size_t stop = pos < LV_OFF_CSUM ? LV_OFF_CSUM : pos < csum_end ? csum_end : end;
		size_t n = (stop < end ? stop : end) - pos;

		if (pos >= LV_OFF_CSUM && pos < csum_end) {
			for (size_t i = 0; i < n; i++)
				if (data[i])
					return false;
		} else if (!same_bytes(data, s->bytes + pos, n)) {
			return false;
		}
		data += n;
		pos += n;
	}
	return true;
}

static const struct sealed_copy *first_copy_with(const char *alg, const uint8_t *data, size_t len)
{
	for (unsigned i = 0; i < sealed_count; i++)
		if (strcmp(sealed[i].alg, alg) == 0 && stream_is(&sealed[i], 0, data, len))
			return &sealed[i];
	return NULL;
}

/* The backend's context, made when a stream first needs it: a stream that
 * is a sealed copy never does. */
static int real_context(struct memo_hash *m)
{
	return m->real ? 0 : __real_lv_hash_init(&m->real, m->alg);
}

/* The stream leaves the copy: OpenSSL gets the bytes matched so far. */
static int hash_matched_prefix(struct memo_hash *m)
{
	static const uint8_t zeros[LV_CSUM_BYTES];
	const struct sealed_copy *s = m->copy;
	size_t before = m->pos < LV_OFF_CSUM ? m->pos : LV_OFF_CSUM;
	int r = real_context(m);

	m->copy = NULL;
	if (r == 0)
		r = __real_lv_hash_update(m->real, s->bytes, before);
	if (r < 0 || m->pos <= LV_OFF_CSUM)
		return r;
	size_t csum = m->pos - LV_OFF_CSUM < LV_CSUM_BYTES ? m->pos - LV_OFF_CSUM : LV_CSUM_BYTES;
	if ((r = __real_lv_hash_update(m->real, zeros, csum)) < 0 ||
	    m->pos <= LV_OFF_CSUM + LV_CSUM_BYTES)
		return r;
	return __real_lv_hash_update(m->real, s->bytes + LV_OFF_CSUM + LV_CSUM_BYTES,
				     m->pos - LV_OFF_CSUM - LV_CSUM_BYTES);
}

int __wrap_lv_hash_init(struct lv_hash_ctx **ctx, const char *hash_name)
{
	struct memo_hash *m = calloc(1, sizeof(*m));
	int r;

	*ctx = NULL;
	if (!m)
		return -ENOMEM;
	/* The backend's own verdict on a name it may refuse, and every
	 * context of a checked run, at once. */
	if (strlen(hash_name) > LV_CSUM_ALG_BYTES || lv_hash_size(hash_name) < 0 || checking()) {
		if ((r = __real_lv_hash_init(&m->real, hash_name)) < 0) {
			free(m);
			return r;
		}
	}
	if (strlen(hash_name) <= LV_CSUM_ALG_BYTES)
		strcpy(m->alg, hash_name);
	*ctx = (struct lv_hash_ctx *)m;
	return 0;
}

int __wrap_lv_hash_update(struct lv_hash_ctx *ctx, const void *data, size_t len)
{
	struct memo_hash *m = (struct memo_hash *)ctx;
	int r;

	if (!m)
		return -EINVAL;
	if (!m->started) {
		m->started = true;
		m->copy = first_copy_with(m->alg, data, len);
		if (m->copy) {
			m->pos = len;
			return check_against_real ? __real_lv_hash_update(m->real, data, len) : 0;
		}
	} else if (m->copy) {
		if (stream_is(m->copy, m->pos, data, len)) {
			m->pos += len;
			return check_against_real ? __real_lv_hash_update(m->real, data, len) : 0;
		}
		if (!check_against_real && (r = hash_matched_prefix(m)) < 0)
			return r;
		m->copy = NULL;
	}
	if ((r = real_context(m)) < 0)
		return r;
	return __real_lv_hash_update(m->real, data, len);
}

/* FUZZ_HASH_MEMO_CHECK=1: OpenSSL was fed the whole stream as well. */
static void check_digest(struct memo_hash *m, uint8_t *out, size_t out_len)
{
	if (__real_lv_hash_final(m->real, out, out_len) < 0)
		fz_fail("hash_memo: OpenSSL cannot finish a %s digest the memo has", m->alg);
	if (memcmp(out, m->copy->digest, m->copy->digest_bytes) != 0)
		fz_fail("hash_memo: the memo's %s digest of a %zu-byte copy is not OpenSSL's",
			m->alg, m->copy->len);
	digests_checked++;
}

/* For fuzz/smoke.sh: a check that never ran is reported as such. */
__attribute__((destructor)) static void report_checked(void)
{
	if (check_against_real == 1)
		fprintf(stderr, "hash_memo: %lu memo digests checked against OpenSSL\n",
			digests_checked);
}

int __wrap_lv_hash_final(struct lv_hash_ctx *ctx, uint8_t *out, size_t out_len)
{
	struct memo_hash *m = (struct memo_hash *)ctx;
	int r = 0;

	if (!m)
		return -EINVAL;
	if (m->copy && m->pos == m->copy->len && out && out_len >= m->copy->digest_bytes) {
		if (check_against_real)
			check_digest(m, out, out_len);
		memset(out, 0, out_len);
		memcpy(out, m->copy->digest, m->copy->digest_bytes);
	} else {
		if (m->copy && !check_against_real)
			r = hash_matched_prefix(m);
		if (r == 0)
			r = real_context(m);
		if (r == 0)
			r = __real_lv_hash_final(m->real, out, out_len);
	}
	/* Like the real one: the context starts over for the next stream. */
	m->copy = NULL;
	m->pos = 0;
	m->started = false;
	return r;
}

void __wrap_lv_hash_free(struct lv_hash_ctx *ctx)
{
	struct memo_hash *m = (struct memo_hash *)ctx;

	if (!m)
		return;
	__real_lv_hash_free(m->real);
	free(m);
}
