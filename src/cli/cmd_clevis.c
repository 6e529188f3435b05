/* SPDX-License-Identifier: ISC */
/*
 * cmd_clevis.c: `bind tang|tpm2|sss`: a new keyslot and a clevis token for
 * it (include/luksvol-clevis.h), as `clevis luks bind` makes them.
 *
 * The existing passphrase is read and checked, and the binding made (a
 * tang server asked, its keys trusted, the TPM used) with no lock held;
 * only then is the device loaded for writing.  A server that cannot be
 * reached, keys not trusted, or a refused question change nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "luksvol-clevis.h"

/* Without --thumbprint: the advertised signing keys are shown and trusted
 * when the answer is YES (-q trusts them, as `clevis luks bind -y`).  With
 * no terminal to ask, they are refused. */
static int ask_trust(void *ctx, const char *url, const char *const thumbprints[], size_t count)
{
	const struct cli_opts *opts = ctx;
	char question[1024];
	size_t used;

	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "luksvol: %s: no terminal to ask whether to trust its signing keys: "
			"pass --thumbprint, or -q to trust them\n", url);
		return 0;
	}
	used = (size_t)snprintf(question, sizeof(question),
				"The advertisement of %s is signed with these keys (S256 "
				"thumbprints):\n", url);
	for (size_t i = 0; i < count && used < sizeof(question); i++)
		used += (size_t)snprintf(question + used, sizeof(question) - used, "  %s\n",
					 thumbprints[i]);
	if (used < sizeof(question))
		snprintf(question + used, sizeof(question) - used, "Trust them?");
	return cli_confirm(opts, question);
}

/* The pin's clevis config, from the options. */
static int pin_config(const struct cli_opts *opts, const char *pin, char **config,
		      struct lv_err *err)
{
	*config = NULL;
	if (strcmp(pin, "tang") == 0) {
		if (!opts->url)
			return lv_err_set(err, -EINVAL, "bind tang needs --url");
		if (opts->thumbprint &&
		    lv_clevis_thumbprint_check("--thumbprint", opts->thumbprint, err) < 0)
			return -EINVAL;
		return lv_clevis_tang_config(opts->url, opts->thumbprint, config, err);
	}
	if (strcmp(pin, "tpm2") == 0) {
		if (!opts->pcrs)
			return lv_err_set(err, -EINVAL, "bind tpm2 needs --pcrs (a list such as "
					  "0,7, or \"\" for no PCR policy)");
		return lv_clevis_tpm2_config(opts->pcr_bank ? opts->pcr_bank : "sha256", opts->pcrs,
					     config, err);
	}
	if (!opts->pin_config)
		return lv_err_set(err, -EINVAL, "bind %s needs --config JSON", pin);
	*config = strdup(opts->pin_config);
	return *config ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

/* pbkdf2 with 1000 iterations (clevis's: the passphrase is random) unless
 * a pbkdf option was given. */
static const struct lv_pbkdf_params *bind_pbkdf(const struct cli_opts *opts)
{
	static const enum cli_opt pbkdf_opts[] = { CLI_PBKDF_OPTS };

	for (size_t i = 0; i < sizeof(pbkdf_opts) / sizeof(pbkdf_opts[0]); i++)
		if (opts->given[pbkdf_opts[i]])
			return &opts->format.pbkdf;
	return NULL;
}

/* The volume key, unlocked with the existing passphrase, no lock kept. */
static int existing_volume_key(const struct cli_opts *opts, struct lv_secret **volume_key,
			       struct lv_err *err)
{
	struct lv_device *dev = NULL;
	struct cli_opts any_slot = *opts;
	int opened, r;

	any_slot.key_slot = LV_ANY_SLOT;	/* -S names the new keyslot */
	r = cli_load_and_unlock(&any_slot, 0, &dev, volume_key, &opened, err);
	lv_device_free(&dev);
	return r;
}

static int bind_pin(const struct cli_opts *opts, const char *pin)
{
	const struct lv_clevis_opts clevis_opts = {
		.timeout_ms = opts->timeout_ms,
		.tpm_tcti = opts->tpm_tcti,
		.trust_any = opts->batch,
		.trust = ask_trust,
		.trust_ctx = (void *)opts,
	};
	struct lv_clevis_binding *binding = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char *config = NULL;
	int slot = -1, token = -1, r;

	r = pin_config(opts, pin, &config, &err);
	if (r == 0)
		r = existing_volume_key(opts, &volume_key, &err);
	if (r == 0)
		r = lv_clevis_binding_new(pin, config, &clevis_opts, &binding, &err);
	if (r == 0)
		r = lv_device_load(&dev, opts->positional[0], LV_LOAD_WRITABLE, &err);
	if (r == 0)
		r = lv_clevis_binding_store(dev, volume_key, binding, opts->key_slot, opts->token_id,
					    bind_pbkdf(opts), &slot, &token, &err);
	lv_clevis_binding_free(&binding);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	free(config);
	if (r < 0)
		return cli_fail(r, &err);
	if (opts->verbose)
		printf("Key slot %d created, bound to %s by token %d.\n", slot, pin, token);
	return EXIT_OK;
}

int cli_bind_tang(const struct cli_opts *opts)
{
	return bind_pin(opts, "tang");
}

int cli_bind_tpm2(const struct cli_opts *opts)
{
	return bind_pin(opts, "tpm2");
}

int cli_bind_sss(const struct cli_opts *opts)
{
	return bind_pin(opts, "sss");
}
