/* SPDX-License-Identifier: ISC */
/* cmd_token.c: token import, token export and token remove; unlocking with tokens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define TOKEN_JSON_MAX_BYTES (4u << 20)

int cli_read_token_json(const char *path, int batch, char **text, struct lv_err *err)
{
	int from_stdin = !path || strcmp(path, "-") == 0;
	FILE *in = from_stdin ? stdin : fopen(path, "r");
	size_t len = 0, cap = 4096;
	char *buf;

	*text = NULL;
	if (!in)
		return lv_err_set(err, -EINVAL, "%s: cannot open: %s", path, strerror(errno));
	if (from_stdin && isatty(STDIN_FILENO) && !batch)
		fputs("Provide valid LUKS2 token JSON:\n", stderr);
	buf = malloc(cap);
	while (buf) {
		size_t want = cap - len - 1, n = fread(buf + len, 1, want, in);

		len += n;
		/* Short: the end (a terminal's ^D is not sticky, so no read
		 * may follow it) or an error. */
		if (n < want)
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
	if (buf && ferror(in)) {
		free(buf);
		buf = NULL;
		lv_err_set(err, -EINVAL, "%s: cannot read: %s", from_stdin ? "standard input" : path,
			   strerror(errno));
	} else if (!buf) {
		lv_err_set(err, -EINVAL, "token JSON is larger than %u bytes", TOKEN_JSON_MAX_BYTES);
	}
	if (in != stdin)
		fclose(in);
	if (!buf)
		return err->code;
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* The JSON is read before the device is locked: it may come from a
 * terminal. */
int cli_token_import(const struct cli_opts *opts)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char *text = NULL;
	int id, r;

	if ((r = cli_check_device(opts->positional[0], &err)) == 0 &&
	    (r = cli_read_token_json(opts->json_file, opts->batch, &text, &err)) == 0 &&
	    (r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err)) == 0) {
		id = opts->token_id;
		/* As cryptsetup: --token-replace without --token-id imports anew. */
		r = opts->given[OPT_TOKEN_REPLACE] && id != LV_ANY_SLOT
			    ? lv_token_replace(dev, id, text, &err)
			    : lv_token_import(dev, id, text, &id, &err);
	}
	free(text);
	lv_device_free(&dev);
	if (r == 0 && opts->verbose)
		printf("Token %d created.\n", id);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

static int require_token_id(const struct cli_opts *opts)
{
	if (opts->token_id != LV_ANY_SLOT)
		return 0;
	return cli_fail(-EINVAL, &(struct lv_err){ .msg = "--token-id is required" });
}

int cli_token_export(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	char *text = NULL;
	int r;

	if ((r = require_token_id(opts)) != 0)
		return r;
	if ((r = lv_device_load(&dev, opts->positional[0], 0, &err)) < 0)
		return cli_fail(r, &err);
	r = lv_token_export(dev, opts->token_id, &text, &err);
	lv_device_free(&dev);
	if (r == 0)
		r = cli_write_output(opts->json_file, text, &err);
	free(text);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_token_remove(const struct cli_opts *opts)
{
	struct lv_device *dev;
	struct lv_err err = { 0 };
	int r;

	if ((r = require_token_id(opts)) != 0)
		return r;
	if ((r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err)) < 0)
		return cli_fail(r, &err);
	r = lv_token_remove(dev, opts->token_id, &err);
	lv_device_free(&dev);
	if (r == 0 && opts->verbose)
		printf("Token %d removed.\n", opts->token_id);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

/* ---- open --token-only ---- */

static int ask_token_pin(void *ctx, int token_id, const char *type, struct lv_secret **pin,
			 struct lv_err *err)
{
	const struct cli_opts *opts = ctx;
	char prompt[400];

	int r;

	snprintf(prompt, sizeof(prompt), "Enter token PIN for %s (token %d, %s)",
		 opts->positional[0], token_id, type);
	r = cli_read_passphrase(&opts->key, prompt, 0, pin, err);
	if (r < 0)
		lv_err_prefix(err, "cannot read its PIN");
	return r;
}

/* One line per token tried, on stderr: the outcome, or why it failed. */
static void report_token(void *ctx, int token_id, const char *type, int keyslot, int r,
			 const struct lv_err *err)
{
	const struct cli_opts *opts = ctx;

	if (r == 0)
		fprintf(stderr, "luksvol: %s: token %d (%s) opened keyslot %d\n", opts->positional[0],
			token_id, type, keyslot);
	else
		fprintf(stderr, "luksvol: %s: token %d (%s): %s\n", opts->positional[0], token_id,
			type, err->msg[0] ? err->msg : strerror(-r));
}

int cli_token_unlock(const struct cli_opts *opts, unsigned flags, struct lv_device **dev,
		     struct lv_secret **volume_key, int *opened_slot, struct lv_err *err)
{
	const struct lv_token_unlock_params params = {
		.token_id = opts->token_id,
		.token_type = opts->token_type,
		.timeout_ms = opts->timeout_ms,
		.tpm_tcti = opts->tpm_tcti,
		.pcr_signature = opts->tpm_pcr_signature,
		.ask_pin = ask_token_pin,
		.ask_ctx = (void *)opts,
		.tried = report_token,
		.tried_ctx = (void *)opts,
	};
	int token_id;

	return lv_token_open(opts->positional[0], flags, &params, dev, volume_key, opened_slot,
			     &token_id, err);
}
