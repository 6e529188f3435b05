/* SPDX-License-Identifier: ISC */
/*
 * meta.c: an open META partition: both ADVs read and checked, tags changed
 * in memory, and the crash-safe write of the copies.
 *
 * Talos (talos:internal/pkg/meta/meta.go, go-adv:adv/talos/talos.go) reads
 * copy 1 and falls back to copy 2 when copy 1's magics, checksum or
 * records are bad; when both are bad it goes on with an empty ADV and
 * writes it over both at the next Flush.  Its Flush writes both copies in
 * one write, then the legacy ADV as it was read, then one fsync.  luksvol
 * reads the same way but never writes over a META it could not read
 * (unless forced), and writes one copy at a time, fsync after each, first
 * the copy that is not the one being read (see write_order): after a
 * power cut at any point one copy holds either the old or the new values.
 * The legacy ADV is written only when a tag that only it holds is deleted
 * (Talos's Meta.DeleteTag); Talos's rewrite of its unchanged bytes is a
 * no-op and is left out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta/meta.h"

/* The Talos ADV copies, then (when the device has room) the legacy one. */
#define TALOS_BYTES (2ull * LV_META_ADV_BYTES)

struct adv_side {
	struct lv_secret *values[LV_META_TAG_MAX + 1];
	enum lv_meta_copy_state state[2];
	int source;		/* the copy the values came from; -1: none */
	int copies_equal;	/* both copies hold the same bytes */
	int dirty;
	uint64_t offset;	/* of copy 1 */
	size_t copy_bytes;
};

struct lv_meta {
	struct lv_storage *st;
	unsigned flags;
	uint64_t device_bytes;
	struct adv_side talos;
	struct adv_side legacy;
	struct lv_secret *legacy_copy;	/* the legacy copy read, edited by deletes */
};

static const char *const copy_state_names[] = {
	[LV_META_COPY_VALID] = "valid",
	[LV_META_COPY_BLANK] = "blank (all zero)",
	[LV_META_COPY_BAD_MAGIC] = "bad magic",
	[LV_META_COPY_BAD_CHECKSUM] = "bad checksum",
	[LV_META_COPY_BAD_RECORDS] = "a record runs past the data area",
	[LV_META_COPY_ABSENT] = "absent (no room on the device)",
};

const char *lv_meta_copy_state_name(enum lv_meta_copy_state state)
{
	return state <= LV_META_COPY_ABSENT ? copy_state_names[state] : "unknown";
}

static void side_release(struct adv_side *side)
{
	for (unsigned t = 0; t <= LV_META_TAG_MAX; t++)
		lv_secret_free(&side->values[t]);
}

void lv_meta_close(struct lv_meta **meta)
{
	if (!meta || !*meta)
		return;
	side_release(&(*meta)->talos);
	side_release(&(*meta)->legacy);
	lv_secret_free(&(*meta)->legacy_copy);
	/* Closing the descriptor drops the flock. */
	lv_storage_close(&(*meta)->st);
	free(*meta);
	*meta = NULL;
}

typedef int (*decode_fn)(const uint8_t *copy, struct lv_secret *values[LV_META_TAG_MAX + 1],
			 enum lv_meta_copy_state *state);

/* Reads both copies of one ADV; the values come from copy 1 when it is
 * valid, else from copy 2.  *chosen (if not NULL) gets a copy of the bytes
 * the values came from. */
static int side_load(struct lv_meta *meta, struct adv_side *side, decode_fn decode,
		     struct lv_secret **chosen, struct lv_err *err)
{
	struct lv_secret *buf = lv_secret_new(2 * side->copy_bytes);
	struct lv_secret *second[LV_META_TAG_MAX + 1] = { 0 };
	int r;

	if (!buf)
		return lv_err_set(err, -ENOMEM, "META %s: out of memory", meta->st->name);
	r = lv_storage_read(meta->st, side->offset, buf->bytes, buf->len);
	if (r < 0) {
		lv_secret_free(&buf);
		return lv_err_set(err, -EIO, "META %s: cannot read %zu bytes at offset %llu: %s",
				  meta->st->name, 2 * side->copy_bytes,
				  (unsigned long long)side->offset, strerror(-r));
	}
	r = decode(buf->bytes, side->values, &side->state[0]);
	if (r == 0)
		r = decode(buf->bytes + side->copy_bytes, second, &side->state[1]);
	side->copies_equal = memcmp(buf->bytes, buf->bytes + side->copy_bytes, side->copy_bytes) == 0;
	side->source = side->state[0] == LV_META_COPY_VALID ? 0 :
		       side->state[1] == LV_META_COPY_VALID ? 1 : -1;
	for (unsigned t = 0; t <= LV_META_TAG_MAX; t++) {
		if (side->source == 1) {
			side->values[t] = second[t];
			second[t] = NULL;
		}
		lv_secret_free(&second[t]);
	}
	if (r == 0 && chosen && side->source >= 0) {
		*chosen = lv_secret_dup(buf->bytes + (size_t)side->source * side->copy_bytes,
					side->copy_bytes);
		if (!*chosen)
			r = -ENOMEM;
	}
	lv_secret_free(&buf);
	if (r < 0)
		return lv_err_set(err, r, "META %s: out of memory", meta->st->name);
	return 0;
}

/* The flock Talos takes on the META partition (shared to read, exclusive
 * to write); memory and test storages have no descriptor to lock. */
static int lock_device(struct lv_meta *meta, struct lv_err *err)
{
	int op = meta->flags & LV_META_WRITABLE ? LOCK_EX : LOCK_SH;

	if (meta->st->fd < 0)
		return 0;
	while (flock(meta->st->fd, op) < 0) {
		if (errno != EINTR)
			return lv_err_set(err, -errno, "META %s: cannot lock: %s", meta->st->name,
					  strerror(errno));
	}
	return 0;
}

static int load(struct lv_meta *meta, struct lv_err *err)
{
	int r = lv_storage_size(meta->st, &meta->device_bytes);

	if (r < 0)
		return lv_err_set(err, r, "META %s: cannot get its size: %s", meta->st->name,
				  strerror(-r));
	if (meta->device_bytes < TALOS_BYTES)
		return lv_err_set(err, -EINVAL,
				  "META %s: %llu bytes; a META partition holds two %u-byte ADV copies",
				  meta->st->name, (unsigned long long)meta->device_bytes,
				  LV_META_ADV_BYTES);
	r = lock_device(meta, err);
	if (r == 0)
		r = side_load(meta, &meta->talos, lv_meta_adv_decode, NULL, err);
	if (r < 0)
		return r;
	/* Talos reads the legacy ADV from the last 1024 bytes whatever the
	 * size; on a device too small for both, those bytes are the Talos
	 * ADV's own and not read as a legacy ADV. */
	if (meta->device_bytes < TALOS_BYTES + LV_META_LEGACY_BYTES) {
		meta->legacy.state[0] = meta->legacy.state[1] = LV_META_COPY_ABSENT;
		meta->legacy.source = -1;
		return 0;
	}
	meta->legacy.offset = meta->device_bytes - LV_META_LEGACY_BYTES;
	return side_load(meta, &meta->legacy, lv_meta_legacy_decode, &meta->legacy_copy, err);
}

int lv_meta_open_storage(struct lv_storage *st, unsigned flags, struct lv_meta **meta,
			 struct lv_err *err)
{
	struct lv_meta *m = calloc(1, sizeof(*m));
	int r;

	*meta = NULL;
	if (!m) {
		lv_storage_close(&st);
		return lv_err_set(err, -ENOMEM, "META: out of memory");
	}
	m->st = st;
	m->flags = flags;
	m->talos.copy_bytes = LV_META_ADV_BYTES;
	m->legacy.copy_bytes = LV_META_LEGACY_COPY_BYTES;
	r = load(m, err);
	if (r < 0) {
		lv_meta_close(&m);
		return r;
	}
	*meta = m;
	return 0;
}

/* Opens path without blocking (a FIFO would) and only when it is a
 * regular file or a block device, then the same file again, by its
 * descriptor, for the storage. */
int lv_meta_open(const char *path, unsigned flags, struct lv_meta **meta, struct lv_err *err)
{
	int writable = !!(flags & LV_META_WRITABLE);
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct lv_storage *st = NULL;
	char fd_path[64];
	struct stat sb;
	int r;

	*meta = NULL;
	if (fd < 0)
		return lv_err_set(err, errno == ENOENT ? -ENOENT : -errno, "META %s: cannot open: %s",
				  path, strerror(errno));
	if (fstat(fd, &sb) < 0 || (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode))) {
		close(fd);
		return lv_err_set(err, -EINVAL, "META %s: not a regular file or a block device",
				  path);
	}
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	r = lv_storage_open_path(&st, fd_path, writable);
	close(fd);
	if (r < 0)
		return lv_err_set(err, r, "META %s: cannot open: %s", path, strerror(-r));
	snprintf(st->name, sizeof(st->name), "%s", path);
	return lv_meta_open_storage(st, flags, meta, err);
}

const char *lv_meta_name(const struct lv_meta *meta)
{
	return meta->st->name;
}

enum lv_meta_state lv_meta_state(const struct lv_meta *meta)
{
	if (meta->talos.source >= 0)
		return LV_META_OK;
	if (meta->talos.state[0] == LV_META_COPY_BLANK && meta->talos.state[1] == LV_META_COPY_BLANK)
		return LV_META_BLANK;
	return LV_META_CORRUPT;
}

enum lv_meta_copy_state lv_meta_copy_state(const struct lv_meta *meta, int legacy, int copy)
{
	return (legacy ? &meta->legacy : &meta->talos)->state[copy ? 1 : 0];
}

int lv_meta_check(const struct lv_meta *meta, struct lv_err *err)
{
	if (lv_meta_state(meta) != LV_META_CORRUPT)
		return 0;
	return lv_err_set(err, -EINVAL,
			  "META %s: neither ADV copy is valid (copy 1: %s, copy 2: %s)",
			  meta->st->name, lv_meta_copy_state_name(meta->talos.state[0]),
			  lv_meta_copy_state_name(meta->talos.state[1]));
}

const struct lv_secret *lv_meta_get(const struct lv_meta *meta, unsigned tag, int *legacy)
{
	if (tag > LV_META_TAG_MAX)
		return NULL;
	if (legacy)
		*legacy = !meta->talos.values[tag] && meta->legacy.values[tag];
	return meta->talos.values[tag] ? meta->talos.values[tag] : meta->legacy.values[tag];
}

int lv_meta_has(const struct lv_meta *meta, unsigned tag, int legacy)
{
	return tag <= LV_META_TAG_MAX && (legacy ? &meta->legacy : &meta->talos)->values[tag];
}

size_t lv_meta_used_bytes(const struct lv_meta *meta)
{
	size_t used = 0;

	for (unsigned t = 1; t <= LV_META_TAG_MAX; t++)
		if (meta->talos.values[t])
			used += 8 + meta->talos.values[t]->len;
	return used;
}

int lv_meta_set(struct lv_meta *meta, unsigned tag, const void *value, size_t len,
		struct lv_err *err)
{
	struct lv_secret *old, *copy;
	size_t used;

	if (tag == 0 || tag > LV_META_TAG_MAX)
		return lv_err_set(err, -EINVAL, "META %s: tag %u is not 1..255 (0 ends the records)",
				  meta->st->name, tag);
	old = meta->talos.values[tag];
	if (old && old->len == len && (len == 0 || memcmp(old->bytes, value, len) == 0))
		return 0;
	used = lv_meta_used_bytes(meta) - (old ? 8 + old->len : 0);
	if (len > LV_META_DATA_BYTES - 8 || used > LV_META_DATA_BYTES - 8 - len)
		return lv_err_set(err, -ENOSPC,
				  "META %s: tag %u: a %zu-byte value does not fit (%zu of %u bytes "
				  "used by the other tags, 8 more per tag)", meta->st->name, tag, len,
				  used, LV_META_DATA_BYTES);
	copy = lv_secret_dup(value, len);
	if (!copy)
		return lv_err_set(err, -ENOMEM, "META %s: out of memory", meta->st->name);
	lv_secret_free(&meta->talos.values[tag]);
	meta->talos.values[tag] = copy;
	meta->talos.dirty = 1;
	return 0;
}

/* The legacy ADV's values again from its edited copy: after a delete a
 * later record of the same tag becomes the one Talos reads. */
static int legacy_reload(struct lv_meta *meta, struct lv_err *err)
{
	enum lv_meta_copy_state state;
	int r;

	side_release(&meta->legacy);
	r = lv_meta_legacy_decode(meta->legacy_copy->bytes, meta->legacy.values, &state);
	return r < 0 ? lv_err_set(err, r, "META %s: out of memory", meta->st->name) : 0;
}

int lv_meta_delete(struct lv_meta *meta, unsigned tag, struct lv_err *err)
{
	if (tag > LV_META_TAG_MAX)
		return lv_err_set(err, -EINVAL, "META %s: tag %u is not 1..255", meta->st->name, tag);
	if (meta->talos.values[tag]) {
		lv_secret_free(&meta->talos.values[tag]);
		meta->talos.dirty = 1;
		return 0;
	}
	if (meta->legacy_copy && lv_meta_legacy_remove(meta->legacy_copy->bytes, tag)) {
		meta->legacy.dirty = 1;
		return legacy_reload(meta, err);
	}
	return lv_err_set(err, -ENOENT, "META %s: no tag %u", meta->st->name, tag);
}

/*
 * Which copy to write first.  The copy being read (the source) must
 * survive until the other one holds the new values.  Copy 1 is the
 * source when it is valid: if copy 2 differs from it (bad, or an older
 * state: Talos's single write may have been cut), copy 2 goes first, as
 * a cut during copy 1's write would otherwise leave only copy 2's older
 * values.  Otherwise copy 1 goes first: it is not the source, or both
 * copies are the same.
 */
static int first_copy(const struct adv_side *side)
{
	return side->source == 0 && !side->copies_equal ? 1 : 0;
}

static int write_side(struct lv_meta *meta, struct adv_side *side, const uint8_t *copy,
		      struct lv_err *err)
{
	int first = first_copy(side);

	for (int i = 0; i < 2; i++) {
		int which = i == 0 ? first : !first;
		uint64_t offset = side->offset + (uint64_t)which * side->copy_bytes;
		int r = lv_storage_write(meta->st, offset, copy, side->copy_bytes);

		if (r == 0)
			r = lv_storage_sync(meta->st);
		if (r < 0)
			return lv_err_set(err, r == -EROFS ? -EROFS : -EIO,
					  "META %s: cannot write %s copy %d at offset %llu: %s",
					  meta->st->name, side == &meta->talos ? "ADV" : "legacy ADV",
					  which + 1, (unsigned long long)offset, strerror(-r));
		side->state[which] = LV_META_COPY_VALID;
	}
	side->source = 0;
	side->copies_equal = 1;
	side->dirty = 0;
	return 0;
}

static int flush_talos(struct lv_meta *meta, struct lv_err *err)
{
	struct lv_secret *copy = lv_secret_new(LV_META_ADV_BYTES);
	int r;

	if (!copy)
		return lv_err_set(err, -ENOMEM, "META %s: out of memory", meta->st->name);
	r = lv_meta_adv_encode(meta->talos.values, copy->bytes);
	if (r < 0)
		r = lv_err_set(err, r, "META %s: the tags do not fit in %u bytes", meta->st->name,
			       LV_META_DATA_BYTES);
	else
		r = write_side(meta, &meta->talos, copy->bytes, err);
	lv_secret_free(&copy);
	return r;
}

int lv_meta_flush(struct lv_meta *meta, struct lv_err *err)
{
	int r;

	if (!meta->talos.dirty && !meta->legacy.dirty)
		return 0;
	if (!(meta->flags & LV_META_WRITABLE))
		return lv_err_set(err, -EROFS, "META %s: opened read-only", meta->st->name);
	r = lv_meta_check(meta, err);
	if (r < 0 && !(meta->flags & LV_META_FORCE)) {
		lv_err_prefix(err, "refusing to write");
		return r;
	}
	if (meta->talos.dirty && (r = flush_talos(meta, err)) < 0)
		return r;
	if (meta->legacy.dirty)
		return write_side(meta, &meta->legacy, meta->legacy_copy->bytes, err);
	return 0;
}
