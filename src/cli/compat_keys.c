/* SPDX-License-Identifier: ISC */
/*
 * compat_keys.c: luksFormat and the keyslot actions of cryptsetup 2.6.1
 * (src/cryptsetup.c action_luksFormat, action_luksAddKey, ...), with its
 * messages.  As in luksvol's own verbs, every passphrase is read before
 * the header is loaded for writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "cli/compat.h"

#define LV_KEYSLOTS 32
#define PROMPT_MAX 300

static int slot_valid(int slot)
{
	if (slot == LV_ANY_SLOT || (slot >= 0 && slot < LV_KEYSLOTS))
		return 0;
	return compat_error(-EINVAL, "Key slot %d is invalid, please select between 0 and %d.",
			    slot, LV_KEYSLOTS - 1);
}

static int sector_size_valid(const struct compat_opts *opts)
{
	uint32_t size = opts->base.format.sector_size;

	if (!opts->base.given[OPT_SECTOR_SIZE] ||
	    (size >= 512 && size <= 4096 && !(size & (size - 1))))
		return 0;
	compat_usage(opts, "Unsupported encryption sector size.");
	return -EINVAL;
}

/* Unlocks path (read-only, no lock kept) with the passphrase of opts'
 * key source; slot LV_ANY_SLOT tries every keyslot. */
static int unlock(const struct compat_opts *opts, const char *path, int slot,
		  struct lv_secret **passphrase, struct lv_secret **volume_key, int *opened)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char prompt[PROMPT_MAX];
	int r;

	*volume_key = NULL;
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s", path);
	if ((r = compat_load(path, 0, &dev)) < 0)
		return r;
	lv_device_free(&dev);
	if ((r = compat_read_key(&opts->base.key, prompt, opts->copt[COPT_VERIFY], passphrase)) < 0)
		return r;
	if ((r = compat_load(path, 0, &dev)) < 0)
		return r;
	r = lv_unlock(dev, slot, *passphrase, volume_key, opened, &err);
	lv_device_free(&dev);
	return r < 0 ? compat_unlock_failed(r, &err) : 0;
}

/* The size of a block device or a file, for the "no room for data" note. */
static uint64_t device_bytes(const char *path)
{
	struct stat sb;
	uint64_t bytes = 0;
	int fd;

	if (stat(path, &sb) < 0)
		return 0;
	if (S_ISREG(sb.st_mode))
		return (uint64_t)sb.st_size;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes) < 0)
		bytes = 0;
	if (fd >= 0)
		close(fd);
	return bytes;
}

/* --align-payload: the data offset on a multiple of that many sectors,
 * after the 16 MiB header area (or the sizes given). */
static void align_payload(const struct compat_opts *opts, struct lv_format_params *format)
{
	uint64_t align = (uint64_t)opts->align_payload_sectors * 512;
	uint64_t metadata = format->metadata_bytes ? format->metadata_bytes : 16384;
	uint64_t header = format->keyslots_bytes ? 2 * metadata + format->keyslots_bytes
						 : 16u << 20;

	if (!align || format->data_offset_bytes)
		return;
	format->data_offset_bytes = (header + align - 1) / align * align;
	/* The keyslots area keeps its size, as cryptsetup's does: the gap up
	 * to the data stays unused. */
	if (!format->keyslots_bytes)
		format->keyslots_bytes = header - 2 * metadata;
}

/* --keyslot-cipher, checked where cryptsetup finds out, after the
 * passphrases are read, but before any byte is written (cryptsetup may
 * have written a header by then). */
static int keyslot_cipher_valid(const struct compat_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_keyslot_cipher_check(&opts->base.format.pbkdf, &err);

	if (r < 0)
		return compat_error(r, "Cannot use %s cipher for keyslot encryption.",
				    opts->base.format.pbkdf.area_cipher);
	return 0;
}

static int format_checks(const struct compat_opts *opts)
{
	int r;

	if (opts->type && strcmp(opts->type, "luks1") == 0)
		return compat_error(-ENOTSUP, "luksvol: LUKS1 is not supported by luksvol");
	if ((r = sector_size_valid(opts)) < 0 || (r = slot_valid(opts->base.key_slot)) < 0)
		return r;
	return 0;
}

/* --header: the data device must exist; the file is made if missing. */
static int header_file_open(const struct compat_opts *opts, struct cli_header_file *h)
{
	struct lv_err err = { 0 };
	int r = cli_header_file_open(opts->header, opts->args[0], h, &err);

	if (r == -ENODEV)
		return compat_error(r, "Device %s does not exist or access denied.", opts->args[0]);
	if (r == -ENOTBLK)
		return compat_error(r, "Device %s is not compatible.", opts->header);
	if (r == -ENOSPC)
		return compat_error(r, "Device %s is too small.", opts->header);
	if (r == -ELOOP)
		return compat_fail(r, &err);
	if (r < 0)
		return compat_error(r, "Cannot create header file %s.", opts->header);
	return 0;
}

int compat_format(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts);
	struct cli_header_file header = { .fd = -1 };
	struct cli_key_source key = opts->base.key;
	struct lv_format_params format = opts->base.format;
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	enum lv_luks_version version = LV_NOT_LUKS;
	char question[400], prompt[PROMPT_MAX];
	int r;

	if ((r = format_checks(opts)) < 0)
		return r;
	format.data_device = opts->header ? opts->args[0] : NULL;
	if (format.data_device && (r = header_file_open(opts, &header)) < 0)
		return r;
	if (opts->arg_count > 1 && key.path)
		compat_error(0, "Option --key-file takes precedence over specified key file argument.");
	else if (opts->arg_count > 1)
		key.path = opts->args[1];
	if (lv_probe(path, &version, NULL) == 0 && version != LV_NOT_LUKS && !opts->base.batch)
		printf("WARNING: Device %s already contains a 'crypto_LUKS' superblock signature.\n",
		       path);
	snprintf(question, sizeof(question), "This will overwrite data on %s irrevocably.", path);
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s", path);
	if (!cli_confirm(&opts->base, question))
		r = compat_error(-EINVAL, "Operation aborted.");
	else if ((r = compat_read_key(&key, prompt, 1, &passphrase)) == 0 &&
		 (r = keyslot_cipher_valid(opts)) == 0) {
		if (!format.data_device)
			align_payload(opts, &format);
		r = format.data_device ? cli_header_file_format(&header, &format, passphrase, &err)
				       : lv_format(path, &format, passphrase, NULL, &err);
		if (r < 0)
			compat_fail(r, &err);
	}
	lv_secret_free(&passphrase);
	cli_header_file_close(&header, r < 0);
	if (r < 0)
		return r;
	if (!format.data_device &&
	    device_bytes(path) <= (format.data_offset_bytes ? format.data_offset_bytes : 16u << 20))
		printf("Device %s is too small for activation, there is no remaining space for data.\n",
		       path);
	if (opts->base.verbose)
		printf("Key slot %d created.\n", opts->base.key_slot == LV_ANY_SLOT ? 0 : opts->base.key_slot);
	return 0;
}

/* The volume key: from --volume-key-file, or unlocked by the existing
 * passphrase (any keyslot: --key-slot names the new one). */
static int existing_volume_key(const struct compat_opts *opts, const char *path,
			       struct lv_secret **volume_key)
{
	struct lv_secret *passphrase = NULL;
	int opened, r;

	if (opts->volume_key_file) {
		struct cli_key_source src = { .path = opts->volume_key_file };

		return compat_read_key(&src, NULL, 0, volume_key);
	}
	r = unlock(opts, path, LV_ANY_SLOT, &passphrase, volume_key, &opened);
	lv_secret_free(&passphrase);
	return r;
}

static int read_new_passphrase(const struct compat_opts *opts, const char *new_key_file,
			       struct lv_secret **passphrase)
{
	struct cli_key_source src = opts->base.new_key;

	if (new_key_file)
		src.path = new_key_file;
	return compat_read_key(&src, "Enter new passphrase for key slot", 1, passphrase);
}

int compat_add_key(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts);
	int slot = opts->base.key_slot, added, r;
	struct lv_secret *volume_key = NULL, *passphrase = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };

	if (opts->base.given[OPT_KEY_SLOT])
		printf("WARNING: The --key-slot parameter is used for new keyslot number.\n");
	if ((r = slot_valid(slot)) < 0 || (r = compat_load(path, 0, &dev)) < 0)
		return r;
	if (slot != LV_ANY_SLOT && lv_keyslot_exists(dev, slot) == 1)
		r = compat_error(-EINVAL, "Key slot %d is full, please select another one.", slot);
	lv_device_free(&dev);
	if (r == 0)
		r = existing_volume_key(opts, path, &volume_key);
	if (r == 0)
		r = read_new_passphrase(opts, opts->arg_count > 1 ? opts->args[1] : NULL, &passphrase);
	if (r == 0)
		r = keyslot_cipher_valid(opts);
	if (r == 0 && (r = compat_load(path, LV_LOAD_WRITABLE, &dev)) == 0) {
		r = lv_keyslot_add(dev, slot, volume_key, passphrase, &opts->base.format.pbkdf, &added,
				   &err);
		if (r < 0)
			r = r == -EPERM ? compat_error(r, "Volume key does not match the volume.")
					: compat_fail(r, &err);
		else if (opts->base.verbose)
			printf("Key slot %d created.\n", added);
	}
	lv_device_free(&dev);
	lv_secret_free(&passphrase);
	lv_secret_free(&volume_key);
	return r;
}

/* This is the last keyslot: cryptsetup asks only on a terminal without -q. */
static int last_keyslot_confirmed(const struct compat_opts *opts)
{
	return cli_confirm(&opts->base,
			   "This is the last keyslot. Device will become unusable after purging this key.");
}

/* Kills slot of path under the write lock. */
static int kill_keyslot(const char *path, int slot, int verbose)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int r = compat_load(path, LV_LOAD_WRITABLE, &dev);

	if (r == 0 && (r = lv_keyslot_kill(dev, slot, &err)) < 0)
		compat_fail(r, &err);
	if (r == 0 && verbose)
		printf("Key slot %d removed.\n", slot);
	lv_device_free(&dev);
	return r;
}

int compat_remove_key(const struct compat_opts *opts)
{
	struct compat_opts with_key = *opts;
	const char *path = compat_header_path(opts);
	struct lv_secret *passphrase = NULL, *volume_key = NULL;
	struct lv_device *dev = NULL;
	int slot, last = 0, r;

	if (opts->arg_count > 1 && !opts->base.key.path)
		with_key.base.key.path = opts->args[1];
	r = unlock(&with_key, path, LV_ANY_SLOT, &passphrase, &volume_key, &slot);
	lv_secret_free(&passphrase);
	lv_secret_free(&volume_key);
	if (r == 0 && (r = compat_load(path, 0, &dev)) == 0)
		last = lv_keyslot_status(dev, slot) == LV_KEYSLOT_ACTIVE_LAST;
	lv_device_free(&dev);
	if (r == 0 && last && !last_keyslot_confirmed(opts))
		return compat_error(-EPERM, "Operation aborted, the keyslot was NOT wiped.");
	return r < 0 ? r : kill_keyslot(path, slot, opts->base.verbose);
}

/* Stores the volume key under a new passphrase (change) or the same one
 * with new KDF parameters (convert), in the slot the old one opens. */
static int rewrite_keyslot(const struct compat_opts *opts, int same_passphrase)
{
	const char *path = compat_header_path(opts);
	struct lv_secret *passphrase = NULL, *volume_key = NULL, *new_passphrase = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int slot, r = unlock(opts, path, opts->base.key_slot, &passphrase, &volume_key, &slot);

	if (r == 0 && !same_passphrase)
		r = read_new_passphrase(opts, opts->arg_count > 1 ? opts->args[1] : NULL,
					&new_passphrase);
	if (r == 0)
		r = keyslot_cipher_valid(opts);
	if (r == 0 && (r = compat_load(path, LV_LOAD_WRITABLE, &dev)) == 0 &&
	    (r = lv_keyslot_change(dev, slot, volume_key,
				   same_passphrase ? passphrase : new_passphrase,
				   &opts->base.format.pbkdf, &err)) < 0)
		compat_fail(r, &err);
	lv_device_free(&dev);
	lv_secret_free(&new_passphrase);
	lv_secret_free(&passphrase);
	lv_secret_free(&volume_key);
	return r;
}

int compat_change_key(const struct compat_opts *opts)
{
	return rewrite_keyslot(opts, 0);
}

int compat_convert_key(const struct compat_opts *opts)
{
	return rewrite_keyslot(opts, 1);
}

/* luksvol reads the slot as a whole number, where cryptsetup's atoi makes
 * "abc" keyslot 0. */
static int kill_slot_number(const struct compat_opts *opts, int *slot)
{
	char *end;
	long value = strtol(opts->args[1], &end, 10);

	if (end == opts->args[1] || *end || value < 0 || value >= LV_KEYSLOTS) {
		compat_usage(opts, "Key slot %s is invalid, please select between 0 and %d.",
			     opts->args[1], LV_KEYSLOTS - 1);
		return -EINVAL;
	}
	*slot = (int)value;
	return 0;
}

/* The passphrase must open a remaining keyslot holding the volume key, or
 * slot itself when it is the last. */
static int verify_for_kill(const struct compat_opts *opts, const char *path, int slot, int last)
{
	struct lv_secret *passphrase = NULL, *volume_key = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int r, opened = -1, key_from_stdin = !opts->base.key.path ||
					    strcmp(opts->base.key.path, "-") == 0;

	r = compat_read_key(&opts->base.key, "Enter any remaining passphrase", 0, &passphrase);
	/* cryptsetup: nothing on stdin, and the slot goes without a check. */
	if (r == -EPIPE && key_from_stdin)
		return 0;
	if (r == 0)
		r = compat_load(path, 0, &dev);
	for (int s = last ? slot : 0; r == 0 && s < LV_KEYSLOTS && opened < 0; s++) {
		enum lv_keyslot_status status = lv_keyslot_status(dev, s);

		if ((!last && s == slot) ||
		    (status != LV_KEYSLOT_ACTIVE && status != LV_KEYSLOT_ACTIVE_LAST))
			continue;
		if (lv_unlock(dev, s, passphrase, &volume_key, &opened, &err) == 0)
			lv_secret_free(&volume_key);
		if (last)
			break;
	}
	if (r == 0 && opened < 0)
		r = compat_error(-EPERM, "No key available with this passphrase.");
	lv_device_free(&dev);
	lv_secret_free(&passphrase);
	return r;
}

int compat_kill_slot(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts);
	struct lv_device *dev = NULL;
	int slot, last, r;

	if ((r = kill_slot_number(opts, &slot)) < 0 || (r = compat_load(path, 0, &dev)) < 0)
		return r;
	last = lv_keyslot_status(dev, slot) == LV_KEYSLOT_ACTIVE_LAST;
	if (lv_keyslot_exists(dev, slot) != 1)
		r = compat_error(-EINVAL, "Keyslot %d is not active.", slot);
	lv_device_free(&dev);
	if (r < 0)
		return r;
	if (opts->base.verbose)
		printf("Keyslot %d is selected for deletion.\n", slot);
	if (!opts->base.batch || opts->base.key.path || !isatty(STDIN_FILENO)) {
		if (last && !opts->base.batch && !opts->base.key.path && !last_keyslot_confirmed(opts))
			return compat_error(-EPERM, "Operation aborted, the keyslot was NOT wiped.");
		if ((r = verify_for_kill(opts, path, slot, last)) < 0)
			return r;
	}
	return kill_keyslot(path, slot, opts->base.verbose);
}
