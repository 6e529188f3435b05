/* SPDX-License-Identifier: ISC */
/* cmd_keyslot.c: format, open --test-passphrase and the keyslot verbs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int load(const char *path, unsigned flags, struct lv_device **dev, struct lv_err *err)
{
	return lv_device_load(dev, path, flags, err);
}

/* Loads the device and unlocks it with the passphrase of opts->key. */
int cli_load_and_unlock(const struct cli_opts *opts, unsigned flags, struct lv_device **dev,
			   struct lv_secret **volume_key, int *opened_slot, struct lv_err *err)
{
	const char *path = opts->positional[0];
	struct lv_secret *passphrase = NULL;
	char prompt[300];
	int r;

	*volume_key = NULL;
	if ((r = load(path, flags, dev, err)) < 0)
		return r;
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s", path);
	r = cli_read_passphrase(&opts->key, prompt, 0, &passphrase, err);
	if (r == 0)
		r = lv_unlock(*dev, opts->key_slot, passphrase, volume_key, opened_slot, err);
	lv_secret_free(&passphrase);
	if (r < 0)
		lv_device_free(dev);
	return r;
}

static int read_new_passphrase(const struct cli_opts *opts, struct lv_secret **passphrase,
			       struct lv_err *err)
{
	const struct cli_key_source *src = &opts->new_key;
	int r;

	r = cli_read_passphrase(src, "Enter new passphrase", 1, passphrase, err);
	if (r == 0 && (*passphrase)->len == 0) {
		lv_secret_free(passphrase);
		return lv_err_set(err, -EINVAL, "refusing an empty passphrase");
	}
	return r;
}

int cli_format(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char question[400];
	int r;

	snprintf(question, sizeof(question), "This will overwrite data on %s irrevocably.", path);
	if (!cli_confirm(opts, question))
		return cli_fail(-EPERM, &(struct lv_err){ .msg = "operation aborted" });
	r = cli_read_passphrase(&opts->key, "Enter passphrase for the new volume", 1, &passphrase,
				&err);
	if (r == 0 && passphrase->len == 0)
		r = lv_err_set(&err, -EINVAL, "refusing an empty passphrase");
	if (r == 0)
		r = lv_format(path, &opts->format, passphrase, NULL, &err);
	lv_secret_free(&passphrase);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_open(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, r;

	if (!opts->test_passphrase)
		return cli_activate(opts);
	r = cli_load_and_unlock(opts, 0, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	if (opts->verbose)
		printf("Key slot %d unlocked.\n", slot);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return EXIT_OK;
}

int cli_add_key(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key, *new_passphrase = NULL;
	struct lv_err err = { 0 };
	int slot, added, r;

	r = cli_load_and_unlock(&(struct cli_opts){ .key = opts->key, .key_slot = LV_ANY_SLOT,
						.positional = { opts->positional[0] } },
			    LV_LOAD_WRITABLE, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	r = read_new_passphrase(opts, &new_passphrase, &err);
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

int cli_remove_key(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, r;

	r = cli_load_and_unlock(opts, LV_LOAD_WRITABLE, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	lv_secret_free(&volume_key);
	r = lv_keyslot_kill(dev, slot, &err);
	if (r == 0 && opts->verbose)
		printf("Key slot %d removed.\n", slot);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
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

int cli_kill_slot(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, opened, r;

	if (parse_slot(opts->positional[1], &slot) < 0)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "SLOT must be a number 0..31" });
	/* Without -q, or with a key file, prove knowledge of a passphrase
	 * first, as cryptsetup luksKillSlot does. */
	if (!opts->batch || opts->key.path) {
		r = cli_load_and_unlock(&(struct cli_opts){ .key = opts->key, .key_slot = LV_ANY_SLOT,
							.positional = { opts->positional[0] } },
				    LV_LOAD_WRITABLE, &dev, &volume_key, &opened, &err);
		lv_secret_free(&volume_key);
	} else {
		r = load(opts->positional[0], LV_LOAD_WRITABLE, &dev, &err);
	}
	if (r < 0)
		return cli_fail(r, &err);
	r = lv_keyslot_kill(dev, slot, &err);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_change_key(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_secret *volume_key, *new_passphrase = NULL;
	struct lv_err err = { 0 };
	int slot, r;

	r = cli_load_and_unlock(opts, LV_LOAD_WRITABLE, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	r = read_new_passphrase(opts, &new_passphrase, &err);
	if (r == 0)
		r = lv_keyslot_change(dev, slot, volume_key, new_passphrase, &opts->format.pbkdf,
				      &err);
	if (r == 0 && opts->verbose)
		printf("Key slot %d changed.\n", slot);
	lv_secret_free(&new_passphrase);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_dump_volume_key(const struct cli_opts *opts)
{
	struct lv_header_info header;
	struct lv_segment_info segment;
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, r;

	r = cli_load_and_unlock(opts, 0, &dev, &volume_key, &slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	lv_header_info(dev, &header);
	if ((r = lv_segment_info(dev, &segment, &err)) < 0) {
		lv_secret_free(&volume_key);
		lv_device_free(&dev);
		return cli_fail(r, &err);
	}
	const char *cipher = segment.cipher, *dash = strchr(cipher, '-');
	printf("LUKS header information for %s\n", opts->positional[0]);
	printf("Cipher name:   \t%.*s\n", dash ? (int)(dash - cipher) : (int)strlen(cipher), cipher);
	printf("Cipher mode:   \t%s\n", dash ? dash + 1 : "");
	printf("Payload offset:\t%llu\n", (unsigned long long)(header.data_offset_bytes / 512));
	printf("UUID:          \t%s\n", header.uuid);
	printf("MK bits:       \t%zu\n", volume_key->len * 8);
	printf("MK dump:\t");
	for (size_t i = 0; i < volume_key->len; i++)
		printf("%s%02x ", i && i % 16 == 0 ? "\n\t\t" : "", volume_key->bytes[i]);
	printf("\n");
	fflush(stdout);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return EXIT_OK;
}
