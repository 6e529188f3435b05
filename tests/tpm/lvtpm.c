/* SPDX-License-Identifier: ISC */
/*
 * lvtpm.c: a test driver over src/tpm, for tests/interop/tpm.sh (which
 * drives swtpm, tpm2-tools and Python as the oracles).  Not installed.
 *
 *   lvtpm enrol [OPTS] TOKEN_OUT PASS_OUT   seal; the token JSON and the
 *                                           passphrase (test use only)
 *   lvtpm unseal [OPTS] TOKEN_IN PASS_OUT   unseal a token
 *   lvtpm token TOKEN_IN                    parse, print the dump, then the
 *                                           token formatted again
 *   lvtpm primary [--tcti T] NAME           the Name (hex) of a primary:
 *                                           srk-ecc, tools-ecc, tools-rsa
 * OPTS: --tcti T --pcrs 7,8|none --pubkey F --sig F --efivars D
 *       --check-secureboot --slot N --timeout MS
 * Exit: 0, 2 when a policy or signature check failed (-EPERM), 3 when the
 * TPM did not answer within --timeout (-ETIMEDOUT), 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/small_file.h"
#include "tpm/talos_tpm2.h"
#include "tpm/tpm.h"

struct opts {
	struct lv_talos_tpm2_params params;
	int pcrs[LV_TALOS_PCR_MAX];
	const char *args[2];
	int nargs;
};

static int usage(void)
{
	fprintf(stderr, "usage: lvtpm enrol|unseal|token|primary [options] ARGS (see lvtpm.c)\n");
	return 1;
}

static int parse_pcrs(const char *text, struct opts *o)
{
	char *copy = strdup(text), *save = NULL;

	o->params.pcrs = o->pcrs;
	o->params.pcr_count = 0;
	if (!copy)
		return -1;
	if (strcmp(text, "none") != 0) {
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (o->params.pcr_count == LV_TALOS_PCR_MAX)
				break;
			o->pcrs[o->params.pcr_count++] = atoi(t);
		}
	}
	free(copy);
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static int default_pcrs[] = { LV_TALOS_SECUREBOOT_PCR };

	o->params.pcrs = default_pcrs;
	o->params.pcr_count = 1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--check-secureboot") == 0) {
			o->params.check_secureboot = 1;
			continue;
		}
		if (a[0] != '-') {
			if (o->nargs == 2)
				return -1;
			o->args[o->nargs++] = a;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (strcmp(a, "--tcti") == 0)
			o->params.tcti = v;
		else if (strcmp(a, "--pcrs") == 0)
			parse_pcrs(v, o);
		else if (strcmp(a, "--pubkey") == 0)
			o->params.pcr_public_key = v;
		else if (strcmp(a, "--sig") == 0)
			o->params.pcr_signature = v;
		else if (strcmp(a, "--efivars") == 0)
			o->params.efivars_dir = v;
		else if (strcmp(a, "--slot") == 0)
			o->params.keyslot = atoi(v);
		else if (strcmp(a, "--timeout") == 0)
			o->params.timeout_ms = (unsigned)atoi(v);
		else
			return -1;
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int fail(const struct lv_err *err, int r)
{
	fprintf(stderr, "lvtpm: %s\n", err->msg[0] ? err->msg : strerror(-r));
	return r == -EPERM ? 2 : r == -ETIMEDOUT ? 3 : 1;
}

static int read_token(const char *path, struct lv_talos_tpm2_token *token, struct lv_err *err)
{
	uint8_t *json = NULL;
	size_t len = 0;
	int r = lv_small_file_read(path, 1 << 20, "token", &json, &len, err);

	if (r == 0)
		r = lv_talos_tpm2_token_parse((const char *)json, len, token, err);
	free(json);
	return r;
}

static int cmd_enrol(struct opts *o)
{
	struct lv_talos_tpm2_token token;
	struct lv_secret *pass = NULL;
	struct lv_err err = { 0 };
	char warning[LV_TALOS_WARNING_MAX], *json = NULL;
	int r;

	if (o->nargs != 2)
		return usage();
	r = lv_talos_tpm2_enrol(&o->params, &token, &pass, warning, &err);
	if (r == 0 && warning[0])
		fprintf(stderr, "lvtpm: warning: %s\n", warning);
	if (r == 0)
		r = lv_talos_tpm2_token_format(&token, &json, &err);
	if (r == 0 && (write_file(o->args[0], json, strlen(json)) < 0 ||
		       write_file(o->args[1], pass->bytes, pass->len) < 0))
		r = lv_err_set(&err, -EIO, "cannot write the outputs");
	free(json);
	lv_secret_free(&pass);
	return r < 0 ? fail(&err, r) : 0;
}

static int cmd_unseal(struct opts *o)
{
	struct lv_talos_tpm2_token token;
	struct lv_secret *pass = NULL;
	struct lv_err err = { 0 };
	int r;

	if (o->nargs != 2)
		return usage();
	r = read_token(o->args[0], &token, &err);
	if (r == 0)
		r = lv_talos_tpm2_unseal(&o->params, &token, &pass, &err);
	if (r == 0 && write_file(o->args[1], pass->bytes, pass->len) < 0)
		r = lv_err_set(&err, -EIO, "cannot write %s", o->args[1]);
	lv_secret_free(&pass);
	return r < 0 ? fail(&err, r) : 0;
}

static int cmd_token(struct opts *o)
{
	struct lv_talos_tpm2_token token;
	struct lv_err err = { 0 };
	char *json = NULL;
	int r;

	if (o->nargs != 1)
		return usage();
	r = read_token(o->args[0], &token, &err);
	if (r == 0) {
		lv_talos_tpm2_token_dump(&token, "\t", stdout);
		r = lv_talos_tpm2_token_format(&token, &json, &err);
	}
	if (r == 0)
		printf("%s\n", json);
	free(json);
	return r < 0 ? fail(&err, r) : 0;
}

static int cmd_primary(struct opts *o)
{
	static const char *const names[] = { "srk-ecc", "tools-ecc", "tools-rsa" };
	struct lv_tpm_object primary = LV_TPM_OBJECT_INIT;
	struct lv_tpm *tpm = NULL;
	struct lv_err err = { 0 };
	int which = -1, r;

	for (int i = 0; o->nargs == 1 && i < 3; i++)
		if (strcmp(o->args[0], names[i]) == 0)
			which = i;
	if (which < 0)
		return usage();
	r = lv_tpm_open_timed(o->params.tcti, o->params.timeout_ms, &tpm, &err);
	if (r == 0)
		r = lv_tpm_create_primary(tpm, (enum lv_tpm_primary)which, &primary, &err);
	for (UINT16 i = 0; r == 0 && i < primary.name.size; i++)
		printf("%02x", primary.name.name[i]);
	if (r == 0)
		printf("\n");
	lv_tpm_close(&tpm);
	return r < 0 ? fail(&err, r) : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };

	if (argc < 2 || parse_opts(argc, argv, &o) < 0)
		return usage();
	if (strcmp(argv[1], "enrol") == 0)
		return cmd_enrol(&o);
	if (strcmp(argv[1], "unseal") == 0)
		return cmd_unseal(&o);
	if (strcmp(argv[1], "token") == 0)
		return cmd_token(&o);
	if (strcmp(argv[1], "primary") == 0)
		return cmd_primary(&o);
	return usage();
}
