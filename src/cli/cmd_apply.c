/* SPDX-License-Identifier: ISC */
/* cmd_apply.c: `luksvol apply` and `luksvol wipe`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "luksvol-talos.h"
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
		.keys = {
			.node_uuid = opts->node_uuid,
			.state_dir = opts->state_dir,
			.kms_ca_file = opts->kms_ca_file,
			.tpm_tcti = opts->tpm_tcti,
			.tpm_pcr_public_key = opts->tpm_pcr_public_key,
			.tpm_pcr_signature = opts->tpm_pcr_signature,
			.efivars_dir = opts->efivars_dir,
		},
		.no_activate = opts->no_activate,
		.no_sync = opts->no_sync,
		.dry_run = opts->dry_run,
		.pbkdf = opts->format.pbkdf,
		.meta_device = opts->meta_device,
		.force_meta = opts->force_meta,
	};
	return params;
}

/* The question: what the plan destroys, one line per keyslot. */
static int ask_destructive(const struct cli_opts *opts, const struct lv_apply_report *plan)
{
	char *listing = NULL, *question = NULL;
	size_t listing_len = 0;
	FILE *out = open_memstream(&listing, &listing_len);
	unsigned count;
	int yes = 0;

	if (!out)
		return -ENOMEM;
	count = lv_apply_report_print_destructive(plan, out);
	if (fclose(out) != 0) {
		free(listing);
		return -ENOMEM;
	}
	if (count == 0)
		yes = 1;
	else if (asprintf(&question, "The key sync destroys %u keyslot%s; a passphrase that is not "
			  "in the config is lost with its keyslot:\n%s", count, count == 1 ? "" : "s",
			  listing) >= 0)
		yes = cli_confirm(opts, question);
	free(listing);
	free(question);
	return yes ? 0 : -ECANCELED;
}

/* On a terminal, unless -q/--yes, a sync that would destroy keyslots is
 * shown and asked about first: a --dry-run gives the plan, and the real
 * run destroys nothing the plan did not (the header may change while the
 * question waits; no lock is held then).  Without a terminal, apply goes
 * ahead as cryptsetup's confirmations do: it is what runs at boot. */
static int plan_and_confirm(const struct cli_opts *opts, const struct lv_config_file *cfg,
			    const struct lv_apply_params *params, struct lv_apply_report **plan)
{
	struct lv_apply_params plan_params = *params;
	struct lv_err err = { 0 };
	int r;

	*plan = NULL;
	if (params->dry_run || params->no_sync || opts->batch || !isatty(STDIN_FILENO))
		return 0;
	plan_params.dry_run = 1;
	r = lv_apply(cfg, &plan_params, plan, &err);
	if (r == 0)
		r = ask_destructive(opts, *plan);
	if (r == -ECANCELED)
		return cli_fail(-EINVAL, &(struct lv_err){
			.msg = "apply: not confirmed, nothing written" });
	return r < 0 ? cli_fail(r, &err) : 0;
}

int cli_apply(const struct cli_opts *opts)
{
	struct lv_apply_params params = apply_params(opts);
	struct lv_apply_report *report = NULL, *plan = NULL;
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
	r = plan_and_confirm(opts, cfg, &params, &plan);
	if (r != EXIT_OK) {
		lv_config_free(&cfg);
		lv_apply_report_free(&plan);
		return r;
	}
	params.confirmed = plan;
	r = lv_apply(cfg, &params, &report, &err);
	if (r == 0) {
		lv_apply_report_print(report, stdout, opts->json);
		r = lv_apply_report_status(report, &err);
		lv_apply_report_free(&report);
	}
	lv_apply_report_free(&plan);
	lv_config_free(&cfg);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

#endif

int cli_wipe(const struct cli_opts *opts)
{
	struct lv_err err = { 0 }, find_err = { 0 };
	char path[4096], question[4200];
	int r;

	if ((opts->label != NULL) == (opts->positional_count == 1))
		return cli_fail(-EINVAL, &(struct lv_err){ .msg = "wipe needs --label LABEL or a DEVICE" });
	if (opts->device_count)
		return cli_fail(-EINVAL, &(struct lv_err){
			.msg = "wipe: --device is an apply option; give the DEVICE itself" });
	if (opts->label) {
		r = lv_partition_find(opts->label, path, sizeof(path), &find_err);
		if (r < 0) {
			lv_err_set(&err, r, "%s: give the DEVICE instead of --label", find_err.msg);
			return cli_fail(r, &err);
		}
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
