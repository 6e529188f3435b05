/* SPDX-License-Identifier: ISC */
/*
 * cmd_keyslot.c: format, open --test-passphrase and the keyslot verbs.
 *
 * No lock is held while a human is asked anything: every passphrase is
 * read, and every confirmation answered, before the device is loaded for
 * writing (as cryptsetup does), so `dump`, `open --test-passphrase` and
 * cryptsetup never wait on someone's typing.  A device is first loaded
 * read-only and let go, so that a wrong device is refused before anyone
 * types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define PROMPT_MAX 300

int cli_check_device(const char *path, struct lv_err *err)
{
	struct lv_device *dev;
	int r = lv_device_load(&dev, path, 0, err);

	lv_device_free(&dev);
	return r;
}

static int read_old_passphrase(const struct cli_opts *opts, const char *prompt,
			       struct lv_secret **passphrase, struct lv_err *err)
{
	return cli_read_passphrase(&opts->key, prompt, 0, passphrase, err);
}

/* Loads path with flags and unlocks slot with passphrase. */
static int load_and_unlock(const char *path, unsigned flags, int slot,
			   const struct lv_secret *passphrase, struct lv_device **dev,
			   struct lv_secret **volume_key, int *opened_slot, struct lv_err *err)
{
	int r = lv_device_load(dev, path, flags, err);

	*volume_key = NULL;
	if (r == 0 && (r = lv_unlock(*dev, slot, passphrase, volume_key, opened_slot, err)) < 0)
		lv_device_free(dev);
	return r;
}

int cli_load_and_unlock(const struct cli_opts *opts, unsigned flags, struct lv_device **dev,
			struct lv_secret **volume_key, int *opened_slot, struct lv_err *err)
{
	return cli_load_and_unlock_path(opts, opts->positional[0], flags, dev, volume_key,
					opened_slot, err);
}

int cli_load_and_unlock_path(const struct cli_opts *opts, const char *path, unsigned flags,
			     struct lv_device **dev, struct lv_secret **volume_key,
			     int *opened_slot, struct lv_err *err)
{
	struct lv_secret *passphrase = NULL;
	char prompt[PROMPT_MAX];
	int r;

	*dev = NULL;
	*volume_key = NULL;
	if (opts->token_only)
		return cli_token_unlock(opts, flags, dev, volume_key, opened_slot, err);
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s", path);
	if ((r = cli_check_device(path, err)) < 0 ||
	    (r = read_old_passphrase(opts, prompt, &passphrase, err)) < 0)
		return r;
	r = load_and_unlock(path, flags, opts->key_slot, passphrase, dev, volume_key, opened_slot,
			    err);
	lv_secret_free(&passphrase);
	return r;
}

static int read_new_passphrase(const struct cli_opts *opts, struct lv_secret **passphrase,
			       struct lv_err *err)
{
	int r = cli_read_passphrase(&opts->new_key, "Enter new passphrase", 1, passphrase, err);

	if (r == 0 && (*passphrase)->len == 0) {
		lv_secret_free(passphrase);
		return lv_err_set(err, -EINVAL, "refusing an empty passphrase");
	}
	return r;
}

/* The number of keyslots of dev. */
int cli_format(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	struct lv_format_params format = opts->format;
	struct cli_header_file header = { .fd = -1 };
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char question[400], prompt[PROMPT_MAX];
	int r;

	format.data_device = opts->header ? opts->data_device : NULL;
	if (format.data_device &&
	    (r = cli_header_file_open(path, opts->data_device, &header, &err)) < 0)
		return cli_fail(r, &err);
	snprintf(question, sizeof(question), "This will overwrite data on %s irrevocably.", path);
	/* cryptsetup luksFormat: a declined format is -EINVAL, exit 1. */
	if (!cli_confirm(opts, question)) {
		cli_header_file_close(&header, 1);
		return cli_declined(-EINVAL, "operation aborted");
	}
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s", path);
	r = cli_read_passphrase(&opts->key, prompt, 1, &passphrase, &err);
	if (r == 0 && passphrase->len == 0)
		r = lv_err_set(&err, -EINVAL, "refusing an empty passphrase");
	if (r == 0)
		r = format.data_device ? cli_header_file_format(&header, &format, passphrase, &err)
				       : lv_format(path, &format, passphrase, NULL, &err);
	lv_secret_free(&passphrase);
	cli_header_file_close(&header, r < 0);
	if (r == 0 && opts->verbose)
		printf("Key slot %d created.\n", opts->key_slot == LV_ANY_SLOT ? 0 : opts->key_slot);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_test_passphrase(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, r;

	r = cli_load_and_unlock(opts, 0, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	if (opts->verbose)
		printf("Key slot %d unlocked.\n", slot);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return EXIT_OK;
}

/* The volume key, unlocked by the existing passphrase with no lock kept. */
static int unlock_existing(const struct cli_opts *opts, int slot, const char *prompt,
			   struct lv_secret **passphrase, struct lv_secret **volume_key,
			   int *opened, struct lv_err *err)
{
	struct lv_device *dev;
	int r;

	if ((r = cli_check_device(opts->positional[0], err)) < 0 ||
	    (r = read_old_passphrase(opts, prompt, passphrase, err)) < 0)
		return r;
	r = load_and_unlock(opts->positional[0], 0, slot, *passphrase, &dev, volume_key, opened,
			    err);
	lv_device_free(&dev);
	return r;
}

int cli_add_key(const struct cli_opts *opts)
{
	struct lv_device *dev = NULL;
	struct lv_secret *passphrase = NULL, *volume_key = NULL, *new_passphrase = NULL;
	struct lv_err err = { 0 };
	int slot, added, r;

	/* -S names the new keyslot; any keyslot may open the volume. */
	r = unlock_existing(opts, LV_ANY_SLOT, "Enter any existing passphrase", &passphrase,
			    &volume_key, &slot, &err);
	lv_secret_free(&passphrase);
	if (r == 0)
		r = read_new_passphrase(opts, &new_passphrase, &err);
	/* The volume key is checked against the digest the writer reads. */
	if (r == 0)
		r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err);
	if (r == 0)
		r = lv_keyslot_add(dev, opts->key_slot, volume_key, new_passphrase,
				   &opts->format.pbkdf, &added, &err);
	if (r == 0 && opts->verbose)
		printf("Key slot %d created.\n", added);
	lv_secret_free(&new_passphrase);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_change_key(const struct cli_opts *opts)
{
	struct lv_device *dev = NULL;
	struct lv_secret *passphrase = NULL, *volume_key = NULL, *new_passphrase = NULL;
	struct lv_err err = { 0 };
	int slot, r;

	r = unlock_existing(opts, opts->key_slot, "Enter passphrase to be changed", &passphrase,
			    &volume_key, &slot, &err);
	lv_secret_free(&volume_key);
	if (r == 0 && opts->verbose)
		printf("Key slot %d unlocked.\n", slot);
	if (r == 0)
		r = read_new_passphrase(opts, &new_passphrase, &err);
	/* Unlocked again under the write lock, as cryptsetup does: the slot
	 * may have changed while the new passphrase was typed. */
	if (r == 0)
		r = load_and_unlock(opts->positional[0], LV_LOAD_WRITABLE, slot, passphrase, &dev,
				    &volume_key, &slot, &err);
	if (r == 0)
		r = lv_keyslot_change(dev, slot, volume_key, new_passphrase, &opts->format.pbkdf,
				      &err);
	if (r == 0 && opts->verbose)
		printf("Key slot %d created.\n", slot);
	lv_secret_free(&passphrase);
	lv_secret_free(&new_passphrase);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

#define LAST_KEYSLOT_QUESTION \
	"This is the last keyslot. Device will become unusable after purging this key."
#define KEYSLOT_KEPT "operation aborted, the keyslot was NOT wiped"
#define LAST_KEYSLOT_UNCONFIRMED \
	"refusing to remove the last keyslot without a confirmation: answer on a terminal, " \
	"or pass -q"

/*
 * Removing the last keyslot needs -q or a "YES" typed at a terminal.
 * cryptsetup removes it without asking when stdin is not a terminal or a
 * key file was given; a script that pipes the last passphrase to
 * remove-key would lose the volume, so luksvol refuses instead (-ENOTTY).
 */
static int confirm_last_keyslot(const struct cli_opts *opts)
{
	if (opts->batch)
		return 0;
	if (!isatty(STDIN_FILENO))
		return -ENOTTY;
	return cli_confirm(opts, LAST_KEYSLOT_QUESTION) ? 0 : -ECANCELED;
}

static int keyslot_kept(int r, const struct lv_err *err)
{
	if (r == -ECANCELED)
		return cli_declined(-EPERM, KEYSLOT_KEPT);
	if (r == -ENOTTY)
		return cli_declined(-EPERM, LAST_KEYSLOT_UNCONFIRMED);
	return r < 0 ? cli_fail(r, err) : EXIT_OK;
}

/* The end of remove-key and kill-slot: slot killed when the checks (r)
 * passed; the device let go either way. */
static int kill_checked(struct lv_device **dev, int slot, int r, int verbose, struct lv_err *err)
{
	if (r == 0)
		r = lv_keyslot_kill(*dev, slot, err);
	if (r == 0 && verbose)
		printf("Key slot %d removed.\n", slot);
	lv_device_free(dev);
	return keyslot_kept(r, err);
}

/* remove-key asks before the last keyslot goes, unless -q (cryptsetup
 * luksRemoveKey asks on a terminal only).  The lock is let go while it
 * asks; the passphrase is then checked again under it. */
static int confirm_last_removal(const struct cli_opts *opts, const struct lv_secret *passphrase,
				struct lv_device **dev, int *slot, struct lv_err *err)
{
	struct lv_secret *volume_key;

	if (lv_keyslot_status(*dev, *slot) != LV_KEYSLOT_ACTIVE_LAST || opts->batch)
		return 0;
	lv_device_free(dev);
	int r = confirm_last_keyslot(opts);
	if (r < 0)
		return r;
	r = load_and_unlock(opts->positional[0], LV_LOAD_WRITABLE, *slot, passphrase, dev,
				&volume_key, slot, err);
	lv_secret_free(&volume_key);
	return r;
}

int cli_remove_key(const struct cli_opts *opts)
{
	struct lv_device *dev = NULL;
	struct lv_secret *passphrase = NULL, *volume_key = NULL;
	struct lv_err err = { 0 };
	int slot, r;

	if ((r = cli_check_device(opts->positional[0], &err)) < 0 ||
	    (r = read_old_passphrase(opts, "Enter passphrase to be deleted", &passphrase, &err)) < 0)
		return cli_fail(r, &err);
	r = load_and_unlock(opts->positional[0], LV_LOAD_WRITABLE, LV_ANY_SLOT, passphrase, &dev,
			    &volume_key, &slot, &err);
	lv_secret_free(&volume_key);
	if (r == 0 && opts->verbose)
		printf("Key slot %d unlocked.\nKeyslot %d is selected for deletion.\n", slot, slot);
	if (r == 0)
		r = confirm_last_removal(opts, passphrase, &dev, &slot, &err);
	lv_secret_free(&passphrase);
	return kill_checked(&dev, slot, r, opts->verbose, &err);
}

static int parse_slot(const char *text, int *slot)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end || value < 0 || value > 31)
		return -EINVAL;
	*slot = (int)value;
	return 0;
}

/* The passphrase kill-slot checks: the killed slot's own when it is the
 * last, else one of another slot holding the volume key (cryptsetup's
 * verify_keyslot: an unbound keyslot's passphrase proves nothing). */
static int verify_remaining(struct lv_device *dev, int slot, int last,
			    const struct lv_secret *passphrase, int verbose, struct lv_err *err)
{
	struct lv_secret *volume_key = NULL;
	int opened, r = -EPERM;

	for (int i = 0; i < 32 && r < 0; i++) {
		enum lv_keyslot_status status = lv_keyslot_status(dev, i);

		if ((last ? i != slot : i == slot) ||
		    (status != LV_KEYSLOT_ACTIVE && status != LV_KEYSLOT_ACTIVE_LAST))
			continue;
		r = lv_unlock(dev, i, passphrase, &volume_key, &opened, err);
		lv_secret_free(&volume_key);
	}
	if (r < 0)
		return lv_err_set(err, -EPERM, "%s: no key available with this passphrase",
				  lv_device_path(dev));
	if (verbose)
		printf("Key slot %d unlocked.\n", opened);
	return 0;
}

/* Whether keyslot slot exists and is the last holding the volume key. */
static int inspect_slot(const char *path, int slot, int *last, struct lv_err *err)
{
	struct lv_device *dev;
	int r = lv_device_load(&dev, path, 0, err);

	if (r < 0)
		return r;
	if (lv_keyslot_exists(dev, slot) != 1)
		r = lv_err_set(err, -EINVAL, "%s: keyslot %d is not active", path, slot);
	*last = lv_keyslot_status(dev, slot) == LV_KEYSLOT_ACTIVE_LAST;
	lv_device_free(&dev);
	return r;
}

/*
 * kill-slot proves knowledge of a remaining passphrase, as cryptsetup
 * luksKillSlot: unless -q on a terminal without --key-file.  The last
 * keyslot is confirmed first (confirm_last_keyslot).  Piped input with
 * nothing on it skips the check (cryptsetup's -EPIPE rule).
 */
static int read_kill_passphrase(const struct cli_opts *opts, int last,
				struct lv_secret **passphrase, struct lv_err *err)
{
	int r;

	*passphrase = NULL;
	if (opts->batch && !opts->key.path && isatty(STDIN_FILENO))
		return 0;
	if (last && (r = confirm_last_keyslot(opts)) < 0)
		return r;
	r = read_old_passphrase(opts, "Enter any remaining passphrase", passphrase, err);
	if (r == -EPIPE && (!opts->key.path || strcmp(opts->key.path, "-") == 0))
		r = 0;
	return r;
}

int cli_kill_slot(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	struct lv_device *dev = NULL;
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	int slot, last, r;

	if (parse_slot(opts->positional[1], &slot) < 0)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "SLOT must be a number 0..31" });
	if ((r = inspect_slot(path, slot, &last, &err)) < 0)
		return cli_fail(r, &err);
	if (opts->verbose)
		printf("Keyslot %d is selected for deletion.\n", slot);
	r = read_kill_passphrase(opts, last, &passphrase, &err);
	if (r == 0)
		r = lv_device_load(&dev, path, LV_LOAD_WRITABLE, &err);
	if (r == 0 && passphrase)
		r = verify_remaining(dev, slot, last, passphrase, opts->verbose, &err);
	lv_secret_free(&passphrase);
	return kill_checked(&dev, slot, r, opts->verbose, &err);
}

int cli_print_volume_key(const char *path, const struct lv_device *dev,
			 const struct lv_secret *volume_key, const char *stored_in,
			 struct lv_err *err)
{
	struct lv_header_info header;
	struct lv_segment_info segment;
	int r;

	lv_header_info(dev, &header);
	if ((r = lv_segment_info(dev, &segment, err)) < 0)
		return r;
	const char *cipher = segment.cipher, *dash = strchr(cipher, '-');
	printf("LUKS header information for %s\n", path);
	printf("Cipher name:   \t%.*s\n", dash ? (int)(dash - cipher) : (int)strlen(cipher), cipher);
	printf("Cipher mode:   \t%s\n", dash ? dash + 1 : "");
	printf("Payload offset:\t%llu\n", (unsigned long long)(header.data_offset_bytes / 512));
	printf("UUID:          \t%s\n", header.uuid);
	printf("MK bits:       \t%zu\n", volume_key->len * 8);
	if (stored_in) {
		printf("Key stored to file %s.\n", stored_in);
		return 0;
	}
	printf("MK dump:\t");
	for (size_t i = 0; i < volume_key->len; i++)
		printf("%s%02x ", i && i % 16 == 0 ? "\n\t\t" : "", volume_key->bytes[i]);
	printf("\n");
	return 0;
}

/*
 * unbind: a keyslot and the clevis or systemd-tpm2 tokens bound to it
 * alone, as `clevis luks unbind`: no passphrase, a confirmation on a
 * terminal (the last keyslot's as remove-key's).
 */
int cli_unbind(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char question[PROMPT_MAX];
	unsigned removed = 0;
	int last, r;

	if (opts->key_slot == LV_ANY_SLOT)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--key-slot is required" });
	if ((r = inspect_slot(path, opts->key_slot, &last, &err)) < 0)
		return cli_fail(r, &err);
	snprintf(question, sizeof(question), "This will wipe keyslot %d of %s and its token.",
		 opts->key_slot, path);
	if (last)
		r = confirm_last_keyslot(opts);
	else if (!cli_confirm(opts, question))
		r = -ECANCELED;
	if (r == 0)
		r = lv_device_load(&dev, path, LV_LOAD_WRITABLE, &err);
	if (r == 0)
		r = lv_keyslot_unbind(dev, opts->key_slot, &removed, &err);
	lv_device_free(&dev);
	for (int id = 0; r == 0 && opts->verbose && id < 32; id++)
		if (removed & 1u << id)
			printf("Token %d removed.\n", id);
	if (r == 0 && opts->verbose)
		printf("Key slot %d removed.\n", opts->key_slot);
	return keyslot_kept(r, &err);
}

int cli_dump_volume_key(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, r;

	/* cryptsetup luksDump --dump-volume-key: declined is -EPERM, exit 2. */
	if (!cli_confirm(opts, "The header dump with volume key is sensitive information\n"
			 "that allows access to encrypted partition without a passphrase.\n"
			 "This dump should be stored encrypted in a safe place."))
		return cli_declined(-EPERM, "operation aborted");
	r = cli_load_and_unlock(opts, 0, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	if ((r = cli_print_volume_key(opts->positional[0], dev, volume_key, NULL, &err)) < 0) {
		lv_secret_free(&volume_key);
		lv_device_free(&dev);
		return cli_fail(r, &err);
	}
	fflush(stdout);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return EXIT_OK;
}
