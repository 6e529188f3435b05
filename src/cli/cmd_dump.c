/* SPDX-License-Identifier: ISC */
/* cmd_dump.c: the `dump` and `is-luks` verbs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void print_warnings(const struct lv_device *dev)
{
	const char *line = lv_device_warnings(dev);

	while (*line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		fprintf(stderr, "WARNING: %.*s\n", len, line);
		line += len + (end ? 1 : 0);
	}
}

/* LUKS1 is recognised and named, never parsed. */
static int refuse_luks1(const char *path, struct lv_err *err)
{
	enum lv_luks_version version;
	int r = lv_probe(path, &version, err);

	if (r < 0)
		return r;
	if (version == LV_LUKS1)
		return lv_err_set(err, -EINVAL, "%s: is a LUKS1 device; luksvol supports LUKS2 only",
				  path);
	return 0;
}

static const enum cli_opt volume_key_only[] = { CLI_KEY_OPTS, OPT_KEY_SLOT, OPT_END };
static const enum cli_opt not_with_volume_key[] = { OPT_JSON, OPT_END };

int cli_dump(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if (opts->volume_key && (r = cli_refuse_options(opts, "dump --volume-key",
							not_with_volume_key)) != 0)
		return r;
	if (!opts->volume_key && (r = cli_refuse_options(opts, "dump without --volume-key",
							 volume_key_only)) != 0)
		return r;
	if ((r = refuse_luks1(path, &err)) < 0)
		return cli_fail(r, &err);
	if (opts->volume_key)
		return cli_dump_volume_key(opts);
	if ((r = lv_device_load(&dev, path, 0, &err)) < 0)
		return cli_fail(r, &err);
	print_warnings(dev);
	r = opts->json ? lv_dump_json(dev, stdout, &err) : lv_dump(dev, stdout, &err);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_is_luks(const struct cli_opts *opts)
{
	const char *path = opts->positional[0];
	enum lv_luks_version version;
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r = lv_probe(path, &version, &err);

	if (r < 0)
		return cli_fail(r, &err);
	if (version == LV_LUKS2) {
		r = lv_device_load(&dev, path, 0, &err);
		lv_device_free(&dev);
		/* Only invalid metadata is "not LUKS"; a lock or read failure
		 * says nothing about the header (cryptsetup: its own code). */
		if (r < 0 && r != -EINVAL && r != -EBADMSG && r != -ENODATA)
			return cli_fail(r, &err);
		if (r < 0)
			version = LV_NOT_LUKS;
	}
	/* Standard output stays what cryptsetup isLuks -v prints there. */
	if (opts->verbose)
		fprintf(stderr, version == LV_NOT_LUKS ? "luksvol: %s: not a LUKS device\n" :
			"luksvol: %s: LUKS%d\n", path, (int)version);
	return version == LV_NOT_LUKS ? EXIT_BAD_PARAM : EXIT_OK;
}
