/* SPDX-License-Identifier: ISC */
/*
 * cmd_config.c: `luksvol config check -f FILE` and `luksvol config show
 * -f FILE [--json]`, the Talos-style volume config (README "Volume config").
 * Diagnostics and notices go to stderr, one FILE:LINE:COL line each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "luksvol-talos.h"

static int load_config(const struct cli_opts *opts, struct lv_config_file **cfg)
{
	struct lv_err err = { 0 };
	char *diagnostics = NULL;
	int r = lv_config_load(opts->config_file, cfg, &diagnostics, &err);

	if (r == -EINVAL && diagnostics) {
		fputs(diagnostics, stderr);
		free(diagnostics);
		return EXIT_BAD_PARAM;
	}
	if (r < 0)
		return cli_fail(r, &err);
	fputs(lv_config_notices(*cfg), stderr);
	return EXIT_OK;
}

/* Loads -f FILE, printing its diagnostics or notices. */
static int load_required(const struct cli_opts *opts, const char *verb,
			 struct lv_config_file **cfg)
{
	if (!opts->config_file) {
		fprintf(stderr, "luksvol: config %s needs -f FILE\n", verb);
		return EXIT_BAD_PARAM;
	}
	return load_config(opts, cfg);
}

int cli_config_check(const struct cli_opts *opts)
{
	struct lv_config_file *cfg = NULL;
	int rc = load_required(opts, "check", &cfg);

	if (rc == EXIT_OK)
		printf("%s: valid\n", opts->config_file);
	lv_config_free(&cfg);
	return rc;
}

int cli_config_show(const struct cli_opts *opts)
{
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };
	int r, rc = load_required(opts, "show", &cfg);

	if (rc == EXIT_OK && (r = lv_config_print(cfg, stdout, opts->json, &err)) < 0)
		rc = cli_fail(r, &err);
	lv_config_free(&cfg);
	return rc;
}
