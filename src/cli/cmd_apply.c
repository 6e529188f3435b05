/* SPDX-License-Identifier: ISC */
/* cmd_apply.c: `luksvol apply` and `luksvol wipe`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lv_features.h"

#if LV_WITH_YAML

static int load_config(const char *path, struct lv_config_file **cfg)
{
	struct lv_err err = { 0 };
	char *diagnostics = NULL;
	const char *notices;
	int r = lv_config_load(path, cfg, &diagnostics, &err);

	if (r < 0) {
		if (diagnostics && diagnostics[0])
			fputs(diagnostics, stderr);
		free(diagnostics);
		return cli_fail(r, &err);
	}
	free(diagnostics);
	notices = lv_config_notices(*cfg);
	if (notices[0])
		fputs(notices, stderr);
	return EXIT_OK;
}

static struct lv_apply_params apply_params(const struct cli_opts *opts)
{
	struct lv_apply_params params = {
		.devices = opts->devices,
		.node_uuid = opts->node_uuid,
		.state_dir = opts->state_dir,
		.no_activate = opts->no_activate,
		.dry_run = opts->dry_run,
		.pbkdf = opts->format.pbkdf,
	};
	return params;
}

int cli_apply(const struct cli_opts *opts)
{
	struct lv_apply_params params = apply_params(opts);
	struct lv_apply_report *report = NULL;
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };
	int r;

	if (!opts->config_file)
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "apply needs -f FILE" });
	if (params.pbkdf.type && strcmp(params.pbkdf.type, "argon2id") != 0)
		return cli_fail(-EINVAL, &(struct lv_err){
			.msg = "apply: --pbkdf must be argon2id (Talos opens argon2 keyslots only)" });
	r = load_config(opts->config_file, &cfg);
	if (r != EXIT_OK)
		return r;
	r = lv_apply(cfg, &params, &report, &err);
	if (r == 0) {
		lv_apply_report_print(report, stdout, opts->json);
		r = lv_apply_report_status(report, &err);
		lv_apply_report_free(&report);
	}
	lv_config_free(&cfg);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

#endif

int cli_wipe(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	char path[4096], question[4200];
	int r;

	if ((opts->label != NULL) == (opts->positional_count == 1))
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "wipe needs --label LABEL or a DEVICE" });
	if (opts->label) {
		r = lv_partition_find(opts->label, path, sizeof(path), &err);
		if (r < 0)
			return cli_fail(r, &err);
	} else {
		snprintf(path, sizeof(path), "%s", opts->positional[0]);
	}
	snprintf(question, sizeof(question),
		 "This destroys the LUKS header, every keyslot and every signature on %s.", path);
	if (!cli_confirm(opts, question))
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "wipe: not confirmed, nothing written" });
	r = lv_wipe_device(path, &err);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}
