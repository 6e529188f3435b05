/* SPDX-License-Identifier: ISC */
/* cmd_header.c: token, config, header-backup, header-restore, repair, erase. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define TOKEN_JSON_MAX_BYTES (4u << 20)

/* Reads a whole token JSON document from path ("-" or NULL: stdin). */
static int read_json_text(const char *path, char **text, struct lv_err *err)
{
	FILE *in = !path || strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 4096;
	char *buf;

	*text = NULL;
	if (!in)
		return lv_err_set(err, -EINVAL, "%s: cannot open: %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, in);
		len += n;
		if (n == 0)
			break;
		if (len + 1 == cap) {
			char *bigger = cap >= TOKEN_JSON_MAX_BYTES ? NULL : realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (in != stdin)
		fclose(in);
	if (!buf)
		return lv_err_set(err, -EINVAL, "token JSON is larger than %u bytes",
				  TOKEN_JSON_MAX_BYTES);
	buf[len] = '\0';
	*text = buf;
	return 0;
}

static int token_import(struct lv_device *dev, const struct cli_opts *opts, struct lv_err *err)
{
	char *text;
	int id, r = read_json_text(opts->json_file, &text, err);

	if (r < 0)
		return r;
	r = lv_token_import(dev, opts->token_id, text, &id, err);
	free(text);
	if (r == 0 && opts->verbose)
		printf("Token %d created.\n", id);
	return r;
}

static int token_export(struct lv_device *dev, const struct cli_opts *opts, struct lv_err *err)
{
	FILE *out = opts->json_file ? fopen(opts->json_file, "w") : stdout;
	char *text;
	int r;

	if (!out)
		return lv_err_set(err, -EINVAL, "%s: cannot create: %s", opts->json_file,
				  strerror(errno));
	r = lv_token_export(dev, opts->token_id, &text, err);
	if (r == 0) {
		fprintf(out, "%s\n", text);
		free(text);
	}
	if (out != stdout && fclose(out) != 0 && r == 0)
		r = lv_err_set(err, -EIO, "%s: cannot write", opts->json_file);
	return r;
}

int cli_token(const struct cli_opts *opts)
{
	const char *action = opts->positional[0], *path = opts->positional[1];
	int writes = strcmp(action, "import") == 0 || strcmp(action, "remove") == 0;
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if (!writes && strcmp(action, "export") != 0)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "token action must be import, export or remove" });
	if (strcmp(action, "import") != 0 && opts->token_id == LV_ANY_SLOT)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--token-id is required" });
	r = lv_device_load(&dev, path, writes ? LV_LOAD_WRITABLE : 0, &err);
	if (r < 0)
		return cli_fail(r, &err);
	if (strcmp(action, "import") == 0)
		r = token_import(dev, opts, &err);
	else if (strcmp(action, "export") == 0)
		r = token_export(dev, opts, &err);
	else
		r = lv_token_remove(dev, opts->token_id, &err);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_config(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if (!opts->label && !opts->subsystem)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "config needs --label or --subsystem" });
	r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err);
	if (r == 0) {
		r = lv_set_label(dev, opts->label, opts->subsystem, &err);
		lv_device_free(&dev);
	}
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_header_backup(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if (!opts->backup_file)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--header-backup-file is required" });
	r = lv_device_load(&dev, opts->positional[0], 0, &err);
	if (r == 0) {
		r = lv_header_backup(dev, opts->backup_file, &err);
		lv_device_free(&dev);
	}
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

/* The UUID of the LUKS2 header at path into uuid (empty when it does not
 * load). */
static void header_uuid(const char *path, char *uuid, size_t uuid_len)
{
	struct lv_header_info header;
	struct lv_device *dev;
	struct lv_err err = { 0 };

	uuid[0] = '\0';
	if (lv_device_load(&dev, path, 0, &err) < 0)
		return;
	lv_header_info(dev, &header);
	snprintf(uuid, uuid_len, "%s", header.uuid);
	lv_device_free(&dev);
}

/* What the confirmation names besides the replacement itself, as
 * cryptsetup's luksHeaderRestore does: a device without a LUKS2 header
 * (the restore may overwrite data) and a backup of another volume. */
static void restore_question(const struct cli_opts *opts, char *question, size_t len)
{
	const char *device = opts->positional[0];
	enum lv_luks_version version = LV_NOT_LUKS;
	struct lv_err err = { 0 };
	char device_uuid[64], backup_uuid[64];
	int n = snprintf(question, len, "Device %s will have its header and keyslots replaced by the backup.",
			 device);

	if (n < 0 || (size_t)n >= len)
		return;
	if (lv_probe(device, &version, &err) == 0 && version != LV_LUKS2) {
		snprintf(question + n, len - (size_t)n,
			 "\nIt holds no LUKS2 header: replacing its start can destroy data on it.");
		return;
	}
	header_uuid(device, device_uuid, sizeof(device_uuid));
	header_uuid(opts->backup_file, backup_uuid, sizeof(backup_uuid));
	if (device_uuid[0] && backup_uuid[0] && strcmp(device_uuid, backup_uuid) != 0)
		snprintf(question + n, len - (size_t)n,
			 "\nThe backup's UUID %s differs from the device's %s.", backup_uuid,
			 device_uuid);
}

int cli_header_restore(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	char question[600];
	int r;

	if (!opts->backup_file)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--header-backup-file is required" });
	restore_question(opts, question, sizeof(question));
	/* cryptsetup: a declined restore is -EINVAL, exit 1. */
	if (!cli_confirm(opts, question))
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "operation aborted" });
	r = lv_header_restore(opts->positional[0], opts->backup_file, &err);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_repair(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_repair(opts->positional[0], &err);

	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_erase(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	char question[400];
	int r;

	snprintf(question, sizeof(question),
		 "This will wipe all keyslots on %s: the data becomes unrecoverable.",
		 opts->positional[0]);
	if (!cli_confirm(opts, question))
		return cli_fail(-EPERM, &(struct lv_err){ .msg = "operation aborted" });
	r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err);
	if (r == 0) {
		r = lv_erase(dev, &err);
		lv_device_free(&dev);
	}
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}
