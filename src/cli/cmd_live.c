/* SPDX-License-Identifier: ISC */
/*
 * cmd_live.c: resize, refresh, suspend and resume NAME: changes to a live
 * mapping.  The LUKS2 header is read from the mapping's own device, as
 * cryptsetup's crypt_init_by_name does, and the passphrase is asked before
 * anything is loaded for good (no lock is held while someone types).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* The live mapping name: its status, and the device its header is on. */
static int live_mapping(const char *name, struct lv_mapping_status *st, struct lv_err *err)
{
	int r = lv_mapping_status(name, st, err);

	if (r < 0)
		return r;
	if (strcmp(st->type, "LUKS2") != 0)
		return lv_err_set(err, -ENODEV, "%s: not a LUKS2 mapping", name);
	if (st->device[0] != '/')
		return lv_err_set(err, -ENODEV, "%s: its device %s has no node in /dev", name,
				  st->device);
	return 0;
}

/* Unlocks the header of the mapping's device with the passphrase of
 * opts->key; with need_key unset (a hex key in the table) nothing is
 * asked and *volume_key stays NULL. */
static int unlock_mapping(const struct cli_opts *opts, const struct lv_mapping_status *st,
			  int need_key, struct lv_device **dev, struct lv_secret **volume_key,
			  struct lv_err *err)
{
	int slot, r;

	*dev = NULL;
	*volume_key = NULL;
	if (need_key)
		r = cli_load_and_unlock_path(opts, st->device, 0, dev, volume_key, &slot, err);
	else
		r = lv_device_load(dev, st->device, 0, err);
	if (r == 0 && need_key && opts->verbose)
		printf("Key slot %d unlocked.\n", slot);
	return r;
}

/* Runs op on the mapping of positional[0] with its unlocked header. */
static int run_live(const struct cli_opts *opts, int always_need_key,
		    int (*op)(const struct cli_opts *opts, struct lv_device *dev,
			      const struct lv_secret *volume_key, struct lv_err *err))
{
	struct lv_mapping_status st;
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_err err = { 0 };
	int r = live_mapping(opts->positional[0], &st, &err);

	if (r == 0)
		r = unlock_mapping(opts, &st, always_need_key || st.key_in_keyring, &dev,
				   &volume_key, &err);
	if (r == 0)
		r = op(opts, dev, volume_key, &err);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

static int resize(const struct cli_opts *opts, struct lv_device *dev,
		  const struct lv_secret *volume_key, struct lv_err *err)
{
	return lv_mapping_resize(dev, volume_key, opts->positional[0], opts->size_sectors, err);
}

/* A keyring key must be put back into the kernel keyring for the new
 * table: the passphrase is needed unless the table holds a hex key. */
int cli_resize(const struct cli_opts *opts)
{
	return run_live(opts, 0, resize);
}

static int refresh(const struct cli_opts *opts, struct lv_device *dev,
		   const struct lv_secret *volume_key, struct lv_err *err)
{
	struct lv_activate_params params = {
		.name = opts->positional[0], .flags = opts->activation_flags,
		.disable_keyring = opts->disable_keyring,
	};

	return lv_mapping_refresh(dev, volume_key, &params, err);
}

int cli_refresh(const struct cli_opts *opts)
{
	return run_live(opts, 1, refresh);
}

int cli_suspend(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_mapping_suspend(opts->positional[0], &err);

	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

static int resume(const struct cli_opts *opts, struct lv_device *dev,
		  const struct lv_secret *volume_key, struct lv_err *err)
{
	return lv_mapping_resume(dev, volume_key, opts->positional[0], opts->disable_keyring, err);
}

/* The mapping must be suspended before a passphrase is asked for. */
int cli_resume(const struct cli_opts *opts)
{
	struct lv_mapping_status st;
	struct lv_err err = { 0 };
	int r = live_mapping(opts->positional[0], &st, &err);

	if (r == 0 && !st.suspended)
		r = lv_err_set(&err, -EINVAL, "%s: the mapping is not suspended", opts->positional[0]);
	return r < 0 ? cli_fail(r, &err) : run_live(opts, 1, resume);
}
