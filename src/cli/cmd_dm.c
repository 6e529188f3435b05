/* SPDX-License-Identifier: ISC */
/* cmd_dm.c: open DEVICE NAME, close and status of dm-crypt mappings. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int activate(const struct cli_opts *opts)
{
	struct lv_activate_params params = {
		.name = opts->positional[1], .data_device = opts->data_device,
		.readonly = opts->readonly,
		.flags = opts->activation_flags, .disable_keyring = opts->disable_keyring,
	};
	struct lv_device *dev;
	struct lv_secret *volume_key;
	struct lv_err err = { 0 };
	int slot, r;

	if (opts->positional_count != 2)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "usage: luksvol open DEVICE NAME" });
	r = cli_load_and_unlock(opts, opts->persistent ? LV_LOAD_WRITABLE : 0, &dev, &volume_key,
				&slot, &err);
	if (r < 0)
		return cli_fail(r, &err);
	r = lv_activate(dev, volume_key, &params, &err);
	lv_secret_free(&volume_key);
	if (r == 0 && opts->persistent)
		r = lv_set_persistent_flags(dev, opts->activation_flags, &err);
	if (r == 0 && opts->verbose)
		printf("Key slot %d unlocked.\n", slot);
	lv_device_free(&dev);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

/* The token options choose tokens: they need --token-only, which takes
 * no keyslot (the token names it). */
static int check_token_options(const struct cli_opts *opts)
{
	static const enum cli_opt token_choice[] = {
		OPT_TOKEN_ID, OPT_TOKEN_TYPE, OPT_TPM_TCTI, OPT_TPM_PCR_SIGNATURE, OPT_TIMEOUT,
		OPT_END,
	};
	static const enum cli_opt no_keyslot[] = { OPT_KEY_SLOT, OPT_END };

	if (opts->token_only)
		return cli_refuse_options(opts, "--token-only", no_keyslot);
	return cli_refuse_options(opts, "open without --token-only", token_choice);
}

int cli_open(const struct cli_opts *opts)
{
	int r = check_token_options(opts);

	if (r != 0)
		return r;
	return opts->test_passphrase ? cli_test_passphrase(opts) : activate(opts);
}

int cli_close(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_deactivate(opts->positional[0], opts->deferred, &err);

	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

static const char *const flag_names[] = {
	"discards", "same_cpu_crypt", "submit_from_crypt_cpus", "no_journal",
	"no_read_workqueue", "no_write_workqueue", "high_priority",
};

void cli_print_mapping_lines(const struct lv_mapping_status *st)
{
	printf("  type:    %s\n", st->type[0] ? st->type : "n/a");
	printf("  cipher:  %s\n", st->cipher);
	printf("  keysize: %u bits\n", st->key_bits);
	printf("  key location: %s\n", st->key_in_keyring ? "keyring" : "dm-crypt");
	printf("  device:  %s\n", st->device);
	if (st->loop_file[0])
		printf("  loop:    %s\n", st->loop_file);
	printf("  sector size:  %u\n", st->sector_size);
	printf("  offset:  %llu sectors\n", (unsigned long long)st->offset_sectors);
	printf("  size:    %llu sectors\n", (unsigned long long)st->size_sectors);
	if (st->iv_offset)
		printf("  skipped: %llu sectors\n", (unsigned long long)st->iv_offset);
	printf("  mode:    %s%s\n", st->readonly ? "readonly" : "read/write",
	       st->suspended ? " (suspended)" : "");
}

static void print_status_text(const struct lv_mapping_status *st)
{
	printf("/dev/mapper/%s is active%s.\n", st->name, st->open_count ? " and is in use" : "");
	cli_print_mapping_lines(st);
	if (st->flags) {
		printf("  flags:   ");
		for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (st->flags & (1u << i))
				printf("%s ", flag_names[i]);
		printf("\n");
	}
}

/* JSON strings here are names, paths and cipher specs; escape what JSON
 * requires anyway. */
static void print_json_string(const char *key, const char *value, int last)
{
	printf("  \"%s\": \"", key);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s\n", last ? "" : ",");
}

static void print_status_json(const struct lv_mapping_status *st)
{
	printf("{\n");
	print_json_string("name", st->name, 0);
	print_json_string("type", st->type, 0);
	print_json_string("dm_uuid", st->dm_uuid, 0);
	print_json_string("cipher", st->cipher, 0);
	printf("  \"key_bits\": %u,\n", st->key_bits);
	print_json_string("key_location", st->key_in_keyring ? "keyring" : "dm-crypt", 0);
	print_json_string("device", st->device, 0);
	print_json_string("loop_file", st->loop_file, 0);
	printf("  \"sector_size\": %u,\n", st->sector_size);
	printf("  \"offset_sectors\": %llu,\n", (unsigned long long)st->offset_sectors);
	printf("  \"size_sectors\": %llu,\n", (unsigned long long)st->size_sectors);
	printf("  \"readonly\": %s,\n", st->readonly ? "true" : "false");
	printf("  \"in_use\": %s,\n", st->open_count ? "true" : "false");
	printf("  \"suspended\": %s,\n", st->suspended ? "true" : "false");
	printf("  \"flags\": [");
	for (size_t i = 0, n = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (st->flags & (1u << i))
			printf("%s\"%s\"", n++ ? ", " : "", flag_names[i]);
	printf("]\n}\n");
}

struct list_ctx {
	int json;
	int count;
};

/* One line (or JSON object) per dm-crypt mapping; other targets skipped. */
static void list_one(const char *name, void *ctx)
{
	struct list_ctx *list = ctx;
	struct lv_mapping_status st;
	struct lv_err err = { 0 };

	if (lv_mapping_status(name, &st, &err) < 0)
		return;
	if (list->json) {
		printf("%s", list->count ? "," : "[");
		print_status_json(&st);
	} else {
		printf("%s\t%s\t%s\t%s\n", st.name, st.type[0] ? st.type : "-", st.device,
		       st.cipher);
	}
	list->count++;
}

static int list_mappings(const struct cli_opts *opts)
{
	struct list_ctx list = { .json = opts->json };
	struct lv_err err = { 0 };
	int r = lv_mapping_list(list_one, &list, &err);

	if (r < 0)
		return cli_fail(r, &err);
	if (opts->json)
		printf("%s\n", list.count ? "]" : "[]");
	return EXIT_OK;
}

int cli_status(const struct cli_opts *opts)
{
	struct lv_mapping_status st;
	struct lv_err err = { 0 };
	int r;

	if (opts->positional_count == 0)
		return list_mappings(opts);
	r = lv_mapping_status(opts->positional[0], &st, &err);

	if (r == -ENODEV) {
		printf("/dev/mapper/%s is inactive.\n", opts->positional[0]);
		return EXIT_WRONG_DEVICE;
	}
	if (r < 0)
		return cli_fail(r, &err);
	if (opts->json)
		print_status_json(&st);
	else
		print_status_text(&st);
	return EXIT_OK;
}
