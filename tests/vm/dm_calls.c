/* SPDX-License-Identifier: ISC */
/*
 * dm_calls.c: the library's live-mapping calls one at a time, for
 * t_dm_live.sh to check against cryptsetup and dmsetup in the VM before
 * the command line has verbs for them.
 *
 *   dm_calls resize DEVICE NAME SECTORS KEYFILE|-   (- : no volume key)
 *   dm_calls refresh DEVICE NAME KEYFILE [OPTION...]
 *   dm_calls suspend NAME
 *   dm_calls resume DEVICE NAME KEYFILE [--disable-keyring]
 *
 * OPTION: --allow-discards, --perf-<flag>, --disable-keyring.  Errors go
 * to stderr as one line; the exit code is cryptsetup's for the errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luksvol.h"

static const struct {
	const char *option;
	unsigned flag;
} flag_options[] = {
	{ "--allow-discards", LV_FLAG_ALLOW_DISCARDS },
	{ "--perf-same_cpu_crypt", LV_FLAG_SAME_CPU_CRYPT },
	{ "--perf-submit_from_crypt_cpus", LV_FLAG_SUBMIT_FROM_CRYPT_CPUS },
	{ "--perf-no_read_workqueue", LV_FLAG_NO_READ_WORKQUEUE },
	{ "--perf-no_write_workqueue", LV_FLAG_NO_WRITE_WORKQUEUE },
};

static int exit_code(int r)
{
	switch (r) {
	case 0: return 0;
	case -EEXIST: case -EBUSY: return 5;
	case -ENOTBLK: case -ENODEV: return 4;
	case -ENOMEM: return 3;
	case -EPERM: return 2;
	default: return 1;
	}
}

static int fail(int r, const struct lv_err *err)
{
	fprintf(stderr, "dm_calls: %s\n", err->msg[0] ? err->msg : strerror(-r));
	return exit_code(r);
}

static struct lv_secret *read_key_file(const char *path)
{
	uint8_t buf[1024];
	FILE *in = fopen(path, "rb");
	size_t n;

	if (!in)
		return NULL;
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	struct lv_secret *key = lv_secret_dup(buf, n);
	memset(buf, 0, sizeof(buf));
	return key;
}

/* Loads DEVICE read-only and unlocks it with the passphrase in key_file. */
static int unlock(const char *device, const char *key_file, struct lv_device **dev,
		  struct lv_secret **volume_key, struct lv_err *err)
{
	struct lv_secret *passphrase;
	int slot, r;

	*volume_key = NULL;
	r = lv_device_load(dev, device, 0, err);
	if (r < 0)
		return r;
	if (strcmp(key_file, "-") == 0)
		return 0;
	passphrase = read_key_file(key_file);
	if (!passphrase)
		return lv_err_set(err, -ENOENT, "%s: cannot read", key_file);
	r = lv_unlock(*dev, LV_ANY_SLOT, passphrase, volume_key, &slot, err);
	lv_secret_free(&passphrase);
	return r;
}

static int parse_options(int argc, char **argv, struct lv_activate_params *params)
{
	for (int i = 0; i < argc; i++) {
		size_t k, count = sizeof(flag_options) / sizeof(flag_options[0]);

		if (strcmp(argv[i], "--disable-keyring") == 0) {
			params->disable_keyring = 1;
			continue;
		}
		for (k = 0; k < count && strcmp(argv[i], flag_options[k].option) != 0; k++)
			;
		if (k == count) {
			fprintf(stderr, "dm_calls: unknown option %s\n", argv[i]);
			return -EINVAL;
		}
		params->flags |= flag_options[k].flag;
	}
	return 0;
}

static int parse_sectors(const char *text, uint64_t *sectors, struct lv_err *err)
{
	char *end;

	errno = 0;
	*sectors = strtoull(text, &end, 10);
	if (errno || end == text || *end)
		return lv_err_set(err, -EINVAL, "bad size %s", text);
	return 0;
}

/* argv: VERB DEVICE NAME [SECTORS] KEYFILE [OPTION...] */
static int run(int argc, char **argv, struct lv_err *err)
{
	struct lv_activate_params params = { .name = argv[3] };
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	int resize = strcmp(argv[1], "resize") == 0;
	int key_arg = resize ? 5 : 4;
	uint64_t sectors = 0;
	int r;

	if (argc <= key_arg || (resize && parse_sectors(argv[4], &sectors, err) < 0) ||
	    parse_options(argc - key_arg - 1, argv + key_arg + 1, &params) < 0)
		return err->code ? err->code : lv_err_set(err, -EINVAL, "bad arguments");
	r = unlock(argv[2], argv[key_arg], &dev, &volume_key, err);
	if (r < 0)
		;
	else if (resize)
		r = lv_mapping_resize(dev, volume_key, params.name, sectors, err);
	else if (strcmp(argv[1], "refresh") == 0)
		r = lv_mapping_refresh(dev, volume_key, &params, err);
	else if (strcmp(argv[1], "resume") == 0)
		r = volume_key ? lv_mapping_resume(dev, volume_key, params.name, params.disable_keyring, err)
			       : lv_err_set(err, -EINVAL, "resume needs a key file");
	else
		r = lv_err_set(err, -EINVAL, "unknown verb %s", argv[1]);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r;
}

int main(int argc, char **argv)
{
	struct lv_err err = { 0 };
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: see tests/vm/dm_calls.c\n");
		return 1;
	}
	if (strcmp(argv[1], "suspend") == 0 && argc == 3)
		r = lv_mapping_suspend(argv[2], &err);
	else
		r = run(argc, argv, &err);
	return r < 0 ? fail(r, &err) : 0;
}
