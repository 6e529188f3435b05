/* SPDX-License-Identifier: ISC */
/*
 * compat_dm.c: cryptsetup 2.6.1's device-mapper actions: open (luksOpen,
 * refresh, --test-passphrase), close, status, resize, luksSuspend and
 * luksResume, with its messages and exit codes (tests/compat/README.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/compat.h"

#define MAPPER_PREFIX "/dev/mapper/"

/* A mapping named by name or /dev/mapper/name. */
static const char *mapping_name(const char *arg)
{
	if (strncmp(arg, MAPPER_PREFIX, strlen(MAPPER_PREFIX)) == 0)
		return arg + strlen(MAPPER_PREFIX);
	return arg;
}

static int not_active(int code, const char *name)
{
	return compat_error(code, "Device %s is not active.", name);
}

/* The passphrase opens the header of path (slot: --key-slot); volume_key
 * is its key.  No lock is held while the passphrase is read. */
static int unlock_header(const struct compat_opts *opts, const char *path,
			 struct lv_device **dev, struct lv_secret **volume_key, int *slot)
{
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char prompt[300];
	int r;

	*volume_key = NULL;
	if ((r = compat_load(path, 0, dev)) < 0)
		return r;
	lv_device_free(dev);
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s", path);
	if ((r = compat_read_key(&opts->base.key, prompt, opts->copt[COPT_VERIFY], &passphrase)) < 0)
		return r;
	r = compat_load(path, 0, dev);
	if (r == 0 && (r = lv_unlock(*dev, opts->base.key_slot, passphrase, volume_key, slot, &err)) < 0) {
		compat_unlock_failed(r, &err);
		lv_device_free(dev);
	}
	lv_secret_free(&passphrase);
	if (r == 0 && opts->base.verbose)
		printf("Key slot %d unlocked.\n", *slot);
	return r;
}

/* --token-only: luksvol opens no token, so cryptsetup's outcome when no
 * token can: -EPERM with a luks2-keyring token (its key is not in the
 * keyring), -ENOENT ("No usable token is available.") without. */
static int token_only(const struct compat_opts *opts, const char *path)
{
	struct lv_device *dev = NULL;
	int keyring_tokens = 0, r = compat_load(path, 0, &dev);

	for (int id = 0; r == 0 && id < 32; id++) {
		char *json = NULL;

		if (lv_token_export(dev, id, &json, NULL) == 0)
			keyring_tokens += strstr(json, "\"type\":\"luks2-keyring\"") != NULL;
		free(json);
	}
	lv_device_free(&dev);
	if (r < 0)
		return r;
	if (keyring_tokens)
		return -EPERM;
	if (opts->base.verbose)
		printf("No usable token is available.\n");
	return -ENOENT;
}

static int activate(const struct compat_opts *opts, const char *path, const char *name)
{
	struct lv_activate_params params = {
		.name = name, .data_device = opts->header ? opts->args[0] : NULL,
		.readonly = opts->base.readonly,
		.flags = opts->base.activation_flags, .disable_keyring = opts->base.disable_keyring,
	};
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_err err = { 0 };
	int slot, r = unlock_header(opts, path, &dev, &volume_key, &slot);

	if (r == 0 && (r = lv_activate(dev, volume_key, &params, &err)) < 0) {
		if (r == -EEXIST)
			compat_error(r, "Device %s already exists.", name);
		else
			compat_fail(r, &err);
	}
	if (r == 0 && opts->base.persistent) {
		struct lv_device *writable = NULL;

		if ((r = compat_load(path, LV_LOAD_WRITABLE, &writable)) == 0 &&
		    (r = lv_set_persistent_flags(writable, opts->base.activation_flags, &err)) < 0)
			compat_error(r, "Device activated but cannot make flags persistent.");
		lv_device_free(&writable);
	}
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r;
}

/* The status of name; -ENODEV printed as cryptsetup's "not active". */
static int live(const char *name, struct lv_mapping_status *st, int inactive_code)
{
	struct lv_err err = { 0 };
	int r = lv_mapping_status(name, st, &err);

	if (r == -ENODEV)
		return not_active(inactive_code, name);
	if (r < 0)
		return compat_fail(r, &err);
	if (strcmp(st->type, "LUKS2") != 0)
		return not_active(inactive_code, name);
	return 0;
}

static int refresh(const struct compat_opts *opts, const char *name)
{
	struct lv_activate_params params = {
		.name = name, .flags = opts->base.activation_flags,
		.disable_keyring = opts->base.disable_keyring,
	};
	struct lv_mapping_status st;
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_err err = { 0 };
	int slot, r = live(name, &st, -EINVAL);

	if (r == 0 && (r = unlock_header(opts, st.device, &dev, &volume_key, &slot)) == 0 &&
	    (r = lv_mapping_refresh(dev, volume_key, &params, &err)) < 0)
		compat_fail(r, &err);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r;
}

int compat_open(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts);

	if (opts->copt[COPT_REFRESH])
		return refresh(opts, mapping_name(opts->args[opts->arg_count > 1 ? 1 : 0]));
	if (opts->copt[COPT_SHARED]) {
		compat_usage(opts, "Option --shared is allowed only for open of plain device.");
		return -EINVAL;
	}
	if (opts->type && strcmp(opts->type, "luks1") == 0)
		return compat_error(-EINVAL, "Device %s is not a valid LUKS device.", path);
	if (opts->copt[COPT_TOKEN_ONLY])
		return token_only(opts, path);
	if (opts->base.test_passphrase) {
		struct lv_device *dev = NULL;
		struct lv_secret *volume_key = NULL;
		int slot, r = unlock_header(opts, path, &dev, &volume_key, &slot);

		lv_secret_free(&volume_key);
		lv_device_free(&dev);
		return r;
	}
	if (opts->arg_count < 2)
		return compat_error(-EINVAL, "Command requires device and mapped name as arguments.");
	return activate(opts, path, opts->args[1]);
}

int compat_close(const struct compat_opts *opts)
{
	const char *name = mapping_name(opts->args[0]);
	struct lv_err err = { 0 };
	int r = lv_deactivate(name, opts->base.deferred, &err);

	if (r == -ENODEV)
		return not_active(r, name);
	if (r == -EBUSY)
		return compat_error(r, "Device %s is still in use.", name);
	return r < 0 ? compat_fail(r, &err) : 0;
}

static void print_flags(unsigned flags)
{
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {
		{ LV_FLAG_ALLOW_DISCARDS, "discards " },
		{ LV_FLAG_SAME_CPU_CRYPT, "same_cpu_crypt " },
		{ LV_FLAG_SUBMIT_FROM_CRYPT_CPUS, "submit_from_crypt_cpus " },
		{ LV_FLAG_NO_READ_WORKQUEUE, "no_read_workqueue " },
		{ LV_FLAG_NO_WRITE_WORKQUEUE, "no_write_workqueue" },
	};
	unsigned shown = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		shown |= flags & names[i].flag;
	if (!shown)
		return;
	printf("  flags:   ");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			printf("%s", names[i].name);
	printf("\n");
}

/* cryptsetup's action_status layout. */
static void print_status(const struct lv_mapping_status *st)
{
	cli_print_mapping_lines(st);
	print_flags(st->flags);
}

int compat_status(const struct compat_opts *opts)
{
	const char *arg = opts->args[0], *name = mapping_name(arg);
	int path = strchr(arg, '/') != NULL;
	struct lv_mapping_status st;
	struct lv_err err = { 0 };
	int r = lv_mapping_status(name, &st, &err);

	if (r == -ENODEV) {
		printf(path ? "%s is inactive.\n" : MAPPER_PREFIX "%s is inactive.\n", arg);
		return r;
	}
	printf(path ? "%s is active%s.\n" : MAPPER_PREFIX "%s is active%s.\n", arg,
	       r == 0 && st.open_count ? " and is in use" : "");
	if (r < 0 || !st.type[0]) {
		/* Not a crypt mapping (or not one of cryptsetup's types). */
		printf("  type:    n/a\n");
		return 0;
	}
	print_status(&st);
	return 0;
}

/* The passphrase is needed when the key is in the kernel keyring. */
int compat_resize(const struct compat_opts *opts)
{
	const char *name = mapping_name(opts->args[0]);
	struct lv_mapping_status st;
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_err err = { 0 };
	int slot, r = live(name, &st, -ENODEV);

	if (r == 0 && st.suspended)
		return not_active(-EINVAL, name);
	if (r == 0 && st.key_in_keyring && opts->base.disable_keyring)
		return compat_error(-EINVAL, "Resize of active device requires volume key in keyring "
				    "but --disable-keyring option is set.");
	if (r == 0 && st.key_in_keyring)
		r = unlock_header(opts, st.device, &dev, &volume_key, &slot);
	else if (r == 0)
		r = compat_load(st.device, 0, &dev);
	if (r == 0 && (r = lv_mapping_resize(dev, volume_key, name, opts->base.size_sectors, &err)) < 0) {
		if (strstr(err.msg, "too small"))
			compat_error(r, "Device %s is too small.", st.device);
		else
			compat_fail(r, &err);
	}
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r;
}

int compat_suspend(const struct compat_opts *opts)
{
	const char *name = mapping_name(opts->args[0]);
	struct lv_mapping_status st;
	struct lv_err err = { 0 };
	int r = lv_mapping_status(name, &st, &err);

	if (r == -ENODEV)
		return not_active(r, name);
	if (r < 0 || strncmp(st.dm_uuid, "CRYPT-LUKS", 10) != 0) {
		compat_error(-ENODEV, "This operation is supported only for LUKS device.");
		return compat_error(-ENODEV, "%s is not active LUKS device name.", name);
	}
	if (st.suspended)
		return compat_error(-EINVAL, "Volume %s is already suspended.", name);
	r = lv_mapping_suspend(name, &err);
	return r < 0 ? compat_error(r, "Error during suspending device %s.", name) : 0;
}

int compat_resume(const struct compat_opts *opts)
{
	const char *name = mapping_name(opts->args[0]);
	struct lv_mapping_status st;
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_err err = { 0 };
	int slot, r = live(name, &st, -ENODEV);

	if (r == 0 && !st.suspended)
		return compat_error(-EINVAL, "Volume %s is not suspended.", name);
	if (r == 0 && (r = unlock_header(opts, st.device, &dev, &volume_key, &slot)) == 0 &&
	    (r = lv_mapping_resume(dev, volume_key, name, opts->base.disable_keyring, &err)) < 0)
		compat_error(r, "Error during resuming device %s.", name);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r;
}
