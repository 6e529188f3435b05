/* SPDX-License-Identifier: ISC */
/*
 * format.c: a new LUKS2 header with cryptsetup 2.6's default layout
 * (luks2-reference.md §3.5): 16 KiB metadata, a 16 MiB header area, data
 * 1 MiB aligned, aes-xts-plain64 with a 512-bit key, argon2id keyslots.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/fs.h>

#include "crypto/crypto.h"
#include "luks2/keyslot.h"
#include "luks2/pbkdf.h"

#define DEFAULT_METADATA_BYTES 0x4000ULL
#define DEFAULT_HEADER_AREA_BYTES (16ULL << 20)
#define DATA_ALIGN_BYTES (1ULL << 20)
#define KEYSLOTS_MAX_BYTES (128ULL << 20)
#define WIPE_MAX_BYTES (2 * 4 * (1ULL << 20) + KEYSLOTS_MAX_BYTES)
#define DEFAULT_CIPHER "aes-xts-plain64"

struct layout {
	uint64_t metadata_bytes;
	uint64_t keyslots_bytes;
	uint64_t data_offset_bytes;
	uint32_t sector_size;
	uint32_t volume_key_bytes;
	const char *cipher;
};

static uint64_t round_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) / align * align;
}

/* An explicit keyslots area size is taken as given or refused, as
 * cryptsetup's LUKS2_check_keyslots_area_size does; one derived from the
 * data offset is rounded down and capped (LUKS2_generate_hdr). */
static int plan_keyslots_area(const struct lv_format_params *p, uint64_t both_copies,
			      struct layout *lay, struct lv_err *err)
{
	if (p->keyslots_bytes && (p->keyslots_bytes % 4096 || p->keyslots_bytes > KEYSLOTS_MAX_BYTES))
		return lv_err_set(err, -EINVAL,
				  "keyslots area size %llu is not a multiple of 4096 bytes up to 128 MiB",
				  (unsigned long long)p->keyslots_bytes);
	if (p->keyslots_bytes)
		lay->keyslots_bytes = p->keyslots_bytes;
	else if (!p->data_device && p->data_offset_bytes && p->data_offset_bytes > both_copies)
		lay->keyslots_bytes = p->data_offset_bytes - both_copies;
	else
		lay->keyslots_bytes = DEFAULT_HEADER_AREA_BYTES - both_copies;
	if (lay->keyslots_bytes > KEYSLOTS_MAX_BYTES)
		lay->keyslots_bytes = KEYSLOTS_MAX_BYTES;
	lay->keyslots_bytes -= lay->keyslots_bytes % 4096;
	if (lay->keyslots_bytes == 0)
		return lv_err_set(err, -EINVAL, "keyslots area size must be at least 4096 bytes");
	return 0;
}

static int plan_areas(const struct lv_format_params *p, struct layout *lay, struct lv_err *err)
{
	int r;

	lay->metadata_bytes = p->metadata_bytes ? p->metadata_bytes : DEFAULT_METADATA_BYTES;
	if (!lv_metadata_size_allowed(lay->metadata_bytes))
		return lv_err_set(err, -EINVAL, "metadata size %llu is not a power of two in 16 KiB..4 MiB",
				  (unsigned long long)lay->metadata_bytes);
	uint64_t both_copies = 2 * lay->metadata_bytes;
	if (p->data_offset_bytes && p->data_offset_bytes % 512)
		return lv_err_set(err, -EINVAL, "data offset must be a multiple of 512 bytes");
	if ((r = plan_keyslots_area(p, both_copies, lay, err)) < 0)
		return r;
	if (p->data_device) {
		/* The offset is on the data device: nothing of the header is there. */
		lay->data_offset_bytes = p->data_offset_bytes;
		return 0;
	}
	lay->data_offset_bytes = p->data_offset_bytes ? p->data_offset_bytes :
				 round_up(both_copies + lay->keyslots_bytes, DATA_ALIGN_BYTES);
	if (lay->data_offset_bytes < both_copies + lay->keyslots_bytes)
		return lv_err_set(err, -EINVAL, "data offset %llu is inside the keyslots area",
				  (unsigned long long)lay->data_offset_bytes);
	return 0;
}

/* cryptsetup >= 2.4 picks 4096-byte sectors where the device allows. */
static uint32_t detect_sector_size(int fd)
{
	struct stat sb;
	struct statvfs vfs;
	int logical = 0;
	unsigned int physical = 0;

	if (fd < 0 || fstat(fd, &sb) < 0)
		return 512;
	if (S_ISREG(sb.st_mode))
		return fstatvfs(fd, &vfs) == 0 && vfs.f_bsize >= 4096 &&
		       vfs.f_bsize % 4096 == 0 ? 4096 : 512;
	if (ioctl(fd, BLKSSZGET, &logical) < 0 || logical <= 0)
		return 512;
	if (logical >= 4096)
		return logical % 4096 ? 512 : 4096;
	if (ioctl(fd, BLKPBSZGET, &physical) < 0 || physical <= (unsigned)logical ||
	    physical > 4096 || physical % (unsigned)logical)
		return (uint32_t)logical;
	return physical;
}

/* The sector size cryptsetup would pick for the data: on the header's own
 * device, or on a detached header's data device (of data_bytes). */
static int detect_data_sector_size(const struct lv_format_params *p, const struct lv_storage *st,
				   uint64_t *data_bytes, uint32_t *sector_size, struct lv_err *err)
{
	struct stat sb;
	int fd;

	if (!p->data_device) {
		*sector_size = detect_sector_size(st->fd);
		return 0;
	}
	fd = open(p->data_device, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return lv_err_set(err, -ENODEV, "%s: %s", p->data_device, strerror(e));
	}
	*sector_size = detect_sector_size(fd);
	*data_bytes = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	if (S_ISBLK(sb.st_mode) && ioctl(fd, BLKGETSIZE64, data_bytes) < 0)
		*data_bytes = 0;
	close(fd);
	return 0;
}

static int plan_cipher(const struct lv_format_params *p, struct lv_storage *st,
		       uint64_t device_bytes, struct layout *lay, struct lv_err *err)
{
	int r;

	lay->cipher = p->cipher ? p->cipher : DEFAULT_CIPHER;
	if (p->key_bits % 8 || p->key_bits > 8 * 512)
		return lv_err_set(err, -EINVAL, "key size %u bits is invalid", p->key_bits);
	lay->volume_key_bytes = p->key_bits ? p->key_bits / 8 :
				strstr(lay->cipher, "-xts-") ? 64 : 32;
	if (lv_cipher_is_null(lay->cipher))
		return lv_err_set(err, -EINVAL, "refusing to format with the null cipher");
	r = lv_sector_cipher_supported(lay->cipher, lay->volume_key_bytes);
	if (r == -ENOTSUP)
		return lv_err_set(err, r, "cipher %s with a %u-bit key is unsupported by the %s crypto backend%s",
				  lay->cipher, lay->volume_key_bytes * 8, lv_crypto_backend(),
				  lv_crypto_kernel_hint(1, lay->cipher));
	if (r < 0)
		return lv_err_set(err, r, "cipher %s with a %u-bit key is invalid", lay->cipher,
				  lay->volume_key_bytes * 8);
	lay->sector_size = p->sector_size;
	if (!lay->sector_size) {
		if ((r = detect_data_sector_size(p, st, &device_bytes, &lay->sector_size, err)) < 0)
			return r;
		if (device_bytes > lay->data_offset_bytes &&
		    (device_bytes - lay->data_offset_bytes) % lay->sector_size)
			lay->sector_size = 512;
	}
	if (lay->sector_size < 512 || lay->sector_size > 4096 ||
	    (lay->sector_size & (lay->sector_size - 1)))
		return lv_err_set(err, -EINVAL, "sector size %u is not a power of two in 512..4096",
				  lay->sector_size);
	if (lay->data_offset_bytes % lay->sector_size)
		return lv_err_set(err, -EINVAL, "data offset is not aligned to the sector size");
	return 0;
}

int lv_uuid_valid(const char *uuid)
{
	if (strlen(uuid) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = uuid[i];

		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
					(c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* A random (version 4) UUID, lower case like libuuid's. */
static int random_uuid(char out[37])
{
	uint8_t b[16];
	int r = lv_random(b, sizeof(b));

	if (r < 0)
		return r;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
	return 0;
}

static int fill_bin(const struct lv_format_params *p, const struct layout *lay,
		    struct lv_hdr_bin *bin, struct lv_err *err)
{
	memset(bin, 0, sizeof(*bin));
	bin->version = 2;
	bin->hdr_size = lay->metadata_bytes;
	snprintf(bin->checksum_alg, sizeof(bin->checksum_alg), "sha256");
	if (p->label && strlen(p->label) >= LV_LABEL_BYTES)
		return lv_err_set(err, -EINVAL, "label is longer than %d bytes", LV_LABEL_BYTES - 1);
	if (p->subsystem && strlen(p->subsystem) >= LV_SUBSYSTEM_BYTES)
		return lv_err_set(err, -EINVAL, "subsystem is longer than %d bytes",
				  LV_SUBSYSTEM_BYTES - 1);
	snprintf(bin->label, sizeof(bin->label), "%s", p->label ? p->label : "");
	snprintf(bin->subsystem, sizeof(bin->subsystem), "%s", p->subsystem ? p->subsystem : "");
	if (p->uuid && !lv_uuid_valid(p->uuid))
		return lv_err_set(err, -EINVAL, "\"%s\" is not a valid UUID", p->uuid);
	if (p->uuid) {
		snprintf(bin->uuid, sizeof(bin->uuid), "%s", p->uuid);
		return 0;
	}
	return random_uuid(bin->uuid) < 0 ? lv_err_set(err, -EIO, "cannot generate a UUID") : 0;
}

/* Segment 0 and digest 0, no keyslot yet. */
static int fill_metadata(const struct lv_format_params *p, const struct layout *lay,
			 const struct lv_secret *volume_key, struct lv_metadata *md,
			 struct lv_err *err)
{
	const char *hash = lv_md_strdup(md, p->pbkdf.hash ? p->pbkdf.hash : "sha256");
	struct lv_segment *seg = lv_md_add_segment(md, 0);
	struct lv_digest *digest = lv_md_add_digest(md, 0);
	int r;

	if (!hash || !seg || !digest || lv_md_list_add(md, &digest->segments, 0) < 0)
		return lv_err_set(err, -ENOMEM, "out of memory");
	/* add_digest may have moved the segments: look segment 0 up again. */
	seg = &md->segments[0];
	seg->type = "crypt";
	seg->offset_bytes = lay->data_offset_bytes;
	seg->dynamic = true;
	seg->is_crypt = true;
	seg->encryption = lay->cipher;
	seg->sector_size = lay->sector_size;
	r = lv_digest_fill(digest, hash, lv_digest_iterations(&p->pbkdf, hash, volume_key->len),
			   volume_key);
	if (r < 0)
		return lv_err_set(err, r, "cannot compute the volume key digest");
	md->config.json_size = lay->metadata_bytes - LV_HDR_BIN_BYTES;
	md->config.keyslots_size = lay->keyslots_bytes;
	return 0;
}

/* Zeros over both metadata copies (and up to the data), random bytes over
 * the keyslots area, as cryptsetup wipes at format. */
static int wipe_header_areas(struct lv_device *dev, const struct layout *lay, int detached,
			     struct lv_err *err)
{
	enum { CHUNK = 1 << 20 };
	uint64_t zero_bytes = detached ? 2 * lay->metadata_bytes : lay->data_offset_bytes;
	uint8_t *zeros;
	int r = 0;

	if (zero_bytes > WIPE_MAX_BYTES)
		zero_bytes = WIPE_MAX_BYTES;
	if (zero_bytes > dev->device_bytes)
		zero_bytes = dev->device_bytes;
	zeros = calloc(1, CHUNK);
	if (!zeros)
		return lv_err_set(err, -ENOMEM, "out of memory");
	for (uint64_t done = 0; r == 0 && done < zero_bytes; done += CHUNK)
		r = lv_storage_write(dev->storage, done, zeros,
				     zero_bytes - done < CHUNK ? (size_t)(zero_bytes - done) : CHUNK);
	free(zeros);
	if (r < 0)
		return lv_err_set(err, r, "%s: cannot wipe the header area: %s", dev->storage->name,
				  strerror(-r));
	return lv_keyslot_wipe_area(dev, 2 * lay->metadata_bytes, lay->keyslots_bytes, err);
}


static int storage_is_regular_file(const struct lv_storage *st)
{
	struct stat sb;

	return st->fd >= 0 && fstat(st->fd, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A detached header file shorter than the header area grows to it, as
 * cryptsetup's luksFormat --header makes it; only after every check. */
static int grow_detached_header(struct lv_device *dev, const struct layout *lay,
				struct lv_err *err)
{
	uint64_t header_bytes = 2 * lay->metadata_bytes + lay->keyslots_bytes;

	if (dev->device_bytes >= header_bytes)
		return 0;
	if (ftruncate(dev->storage->fd, (off_t)header_bytes) < 0)
		return lv_err_set(err, -errno, "%s: cannot extend the header file to %llu bytes: %s",
				  dev->storage->name, (unsigned long long)header_bytes,
				  strerror(errno));
	dev->device_bytes = header_bytes;
	return 0;
}

/* Every parameter and the layout, before anything is written. */
static int check_params(struct lv_device *dev, const struct lv_format_params *p,
			struct layout *lay, struct lv_err *err)
{
	uint64_t keyslot_bytes;
	int r;

	if ((r = plan_areas(p, lay, err)) < 0 ||
	    (r = plan_cipher(p, dev->storage, dev->device_bytes, lay, err)) < 0 ||
	    (r = lv_pbkdf_check(&p->pbkdf, err)) < 0 ||
	    (r = lv_keyslot_cipher_check(&p->pbkdf, err)) < 0)
		return r;
	if (p->key_slot != LV_ANY_SLOT && (p->key_slot < 0 || p->key_slot >= LV_KEYSLOTS_MAX))
		return lv_err_set(err, -EINVAL, "keyslot %d is out of range 0..31", p->key_slot);
	keyslot_bytes = lv_keyslot_area_bytes(lay->volume_key_bytes);
	if (lay->keyslots_bytes < keyslot_bytes)
		return lv_err_set(err, -EINVAL,
				  "keyslots area of %llu bytes has no room for one keyslot (%llu bytes)",
				  (unsigned long long)lay->keyslots_bytes,
				  (unsigned long long)keyslot_bytes);
	if (dev->device_bytes < 2 * lay->metadata_bytes + lay->keyslots_bytes &&
	    !(p->data_device && storage_is_regular_file(dev->storage)))
		return lv_err_set(err, -EINVAL, "%s: device of %llu bytes is too small for the LUKS2 metadata",
				  dev->storage->name, (unsigned long long)dev->device_bytes);
	return fill_bin(p, lay, &dev->copies[LV_PRIMARY].bin, err);
}

/* The whole new metadata, keyslot included (its KDF benchmarked), checked
 * as the commit will check it; only the keyslot's key is not stored yet. */
static int plan_metadata(struct lv_device *dev, const struct lv_format_params *p,
			 const struct layout *lay, const struct lv_secret *volume_key,
			 struct lv_metadata *md, struct lv_keyslot **ks, struct lv_err *err)
{
	int slot = p->key_slot == LV_ANY_SLOT ? 0 : p->key_slot;
	int r;

	if ((r = fill_metadata(p, lay, volume_key, md, err)) < 0 ||
	    (r = lv_keyslot_plan(md, slot, lay->volume_key_bytes, &p->pbkdf, ks, err)) < 0)
		return r;
	return lv_metadata_check(md, dev->copies[LV_PRIMARY].bin.hdr_size, err);
}

static int format_device(struct lv_device *dev, const struct lv_format_params *p,
			 const struct lv_secret *passphrase, struct lv_err *err)
{
	struct lv_metadata *md = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_keyslot *ks;
	struct layout lay = { 0 };
	int r;

	if (lv_metadata_new(&md) < 0)
		return lv_err_set(err, -ENOMEM, "out of memory");
	if ((r = check_params(dev, p, &lay, err)) < 0)
		goto out;
	if (!p->data_device && dev->device_bytes <= lay.data_offset_bytes)
		lv_device_warn(dev, "device leaves no room for data after the header");
	dev->copies[LV_PRIMARY].json_area_bytes = lay.metadata_bytes - LV_HDR_BIN_BYTES;
	dev->copies[LV_SECONDARY].json_area_bytes = lay.metadata_bytes - LV_HDR_BIN_BYTES;
	dev->active = LV_PRIMARY;
	volume_key = lv_secret_new(lay.volume_key_bytes);
	if (!volume_key || lv_random(volume_key->bytes, volume_key->len) < 0) {
		r = lv_err_set(err, -ENOMEM, "cannot generate the volume key");
		goto out;
	}
	/* One commit after the keyslot area is written: a crash leaves either
	 * no header or the complete new one, never a header without a key.
	 * cryptsetup writes twice (header, then keyslot), ending at seqid 3;
	 * starting at 2 gives the same epoch. */
	dev->copies[LV_PRIMARY].bin.seqid = 2;
	if ((r = plan_metadata(dev, p, &lay, volume_key, md, &ks, err)) < 0)
		goto out;
	/* The first write. */
	if ((r = grow_detached_header(dev, &lay, err)) < 0 ||
	    (r = wipe_header_areas(dev, &lay, p->data_device != NULL, err)) < 0 ||
	    (r = lv_keyslot_store_key(dev, ks, passphrase, volume_key, err)) < 0)
		goto out;
	r = lv_device_commit(dev, md, LV_COMMIT_FORCE | LV_COMMIT_FULL_AREA, err);
out:
	lv_secret_free(&volume_key);
	lv_metadata_free(&md);
	return r;
}

/* Formats dev, new and locked for writing; hands it to *dev_out or frees it. */
static int format_new_device(struct lv_device *dev, const struct lv_format_params *params,
			     const struct lv_secret *passphrase, struct lv_device **dev_out,
			     struct lv_err *err)
{
	int r = lv_storage_size(dev->storage, &dev->device_bytes);

	if (r < 0)
		r = lv_err_set(err, r, "%s: cannot get its size", dev->storage->name);
	else
		r = format_device(dev, params, passphrase, err);
	if (r < 0 || !dev_out)
		lv_device_free(&dev);
	else
		*dev_out = dev;
	return r;
}

int lv_format_storage(struct lv_storage *st, const struct lv_format_params *params,
		      const struct lv_secret *passphrase, struct lv_device **dev_out,
		      struct lv_err *err)
{
	struct lv_device *dev;
	int r = lv_device_new(&dev, st, LV_LOAD_WRITABLE, err);

	/* cryptsetup's luksFormat takes only the write lock, whose failure
	 * it reports as -EINVAL (exit 1); other verbs fail at their read lock
	 * first, busy (exit 5). */
	if (r == -EBUSY) {
		r = -EINVAL;
		if (err)
			err->code = r;
	}
	return r < 0 ? r : format_new_device(dev, params, passphrase, dev_out, err);
}

int lv_format_held(struct lv_device_hold **hold, const struct lv_format_params *params,
		   const struct lv_secret *passphrase, struct lv_device **dev_out,
		   struct lv_err *err)
{
	struct lv_device *dev;
	int r;

	if (dev_out)
		*dev_out = NULL;
	if (*hold && !(*hold)->storage->writable) {
		lv_device_hold_release(hold);
		return lv_err_set(err, -EINVAL, "format needs a writable hold");
	}
	r = lv_device_adopt(&dev, hold, err);
	return r < 0 ? r : format_new_device(dev, params, passphrase, dev_out, err);
}

int lv_format_fd(int fd, const char *name, const struct lv_format_params *params,
		 const struct lv_secret *passphrase, struct lv_device **dev_out,
		 struct lv_err *err)
{
	struct lv_storage *st;
	struct stat sb;
	int own, r;

	if (fstat(fd, &sb) < 0)
		return lv_err_set(err, -errno, "%s: %s", name, strerror(errno));
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode))
		return lv_err_set(err, -ENOTBLK, "%s: not a block device or a regular file", name);
	if ((own = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return lv_err_set(err, -errno, "%s: %s", name, strerror(errno));
	if ((r = lv_storage_open_fd(&st, own, name, 1)) < 0)
		return lv_err_set(err, r, "out of memory");
	return lv_format_storage(st, params, passphrase, dev_out, err);
}

int lv_format(const char *path, const struct lv_format_params *params,
	      const struct lv_secret *passphrase, struct lv_device **dev_out,
	      struct lv_err *err)
{
	struct lv_storage *st;
	int r = lv_storage_open_path(&st, path, 1);

	if (r < 0)
		return lv_err_set(err, r == -ENOENT ? -ENODEV : r, "%s: cannot open: %s", path,
				  lv_storage_strerror(r));
	return lv_format_storage(st, params, passphrase, dev_out, err);
}
