/* SPDX-License-Identifier: ISC */
/*
 * clevis_tool.c: drives the clevis engine (src/clevis/clevis.h) for
 * tests/interop/clevis.sh, built with the ASan+UBSan library.  It stands
 * in for `luksvol bind/open --token-only` until those verbs exist.
 *
 *   clevis_tool [--timeout MS] [--tcti TCTI] [-y] [--trust yes|no] COMMAND ...
 *     decrypt                       stdin: a compact JWE; stdout: the plaintext
 *     encrypt PIN CONFIG            stdin: the plaintext; stdout: a compact JWE
 *     describe                      stdin: a compact JWE; stdout: pin 'config'
 *     token-decode                  stdin: token JSON; stdout: "SLOT JWE"
 *     token-encode SLOT             stdin: a compact JWE; stdout: token JSON
 *     pass IMAGE TOKEN_ID           stdout: the passphrase of the token's JWE
 *     unlock IMAGE TOKEN_ID         opens the token's keyslot
 *     bind IMAGE KEY_FILE PIN CONFIG   a new keyslot and clevis token
 *
 * -y trusts a tang advertisement's keys; --trust answers the trust question
 * (printing the thumbprints asked about) instead.  Exit codes as luksvol's:
 * 1 bad input or no room, 2 no key (wrong key, server down, not trusted),
 * 3 no memory, 5 in use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clevis/clevis.h"
#include "luksvol.h"

#define INPUT_MAX (2u << 20)

/* 2 when no key could be had (the server, the trust, the passphrase), else
 * as luksvol's cli_exit_code. */
static int exit_code(int r)
{
	switch (r) {
	case 0: return 0;
	case -EPERM: case -ENOKEY: case -ENOENT: case -ETIMEDOUT: case -ECONNREFUSED:
	case -EHOSTUNREACH: case -ECONNRESET: case -EPROTO: case -ECANCELED: case -EMSGSIZE: case -EIO:
		return 2;
	case -ENOMEM: return 3;
	case -EEXIST: case -EBUSY: return 5;
	default: return 1;
	}
}

static int fail(int r, const struct lv_err *err)
{
	fprintf(stderr, "clevis_tool: %s\n", err->msg[0] ? err->msg : strerror(-r));
	return exit_code(r);
}

/* All of stdin (at most INPUT_MAX), trailing newlines cut off when text. */
static struct lv_secret *read_stdin(int text)
{
	struct lv_secret *in = lv_secret_new(INPUT_MAX);
	size_t n;

	if (!in)
		return NULL;
	n = fread(in->bytes, 1, INPUT_MAX, stdin);
	while (text && n && (in->bytes[n - 1] == '\n' || in->bytes[n - 1] == '\r'))
		n--;
	in->len = n;
	return in;
}

static int write_secret(const struct lv_secret *s)
{
	return fwrite(s->bytes, 1, s->len, stdout) == s->len && fflush(stdout) == 0 ? 0 : 1;
}

static int answer_trust(void *ctx, const char *url, const char *const thumbprints[], size_t count)
{
	fprintf(stderr, "trust asked for %s:", url);
	for (size_t i = 0; i < count; i++)
		fprintf(stderr, " %s", thumbprints[i]);
	fprintf(stderr, "\n");
	return strcmp(ctx, "yes") == 0;
}

static int cmd_decrypt(const struct lv_clevis_opts *opts)
{
	struct lv_secret *in = read_stdin(1), *out = NULL;
	struct lv_err err = { 0 };
	int r = in ? lv_clevis_decrypt((const char *)in->bytes, in->len, opts, &out, &err) : -ENOMEM;

	lv_secret_free(&in);
	if (r < 0)
		return fail(r, &err);
	r = write_secret(out);
	lv_secret_free(&out);
	return r;
}

static int cmd_encrypt(const struct lv_clevis_opts *opts, const char *pin, const char *config)
{
	struct lv_secret *in = read_stdin(0);
	struct lv_err err = { 0 };
	char *jwe = NULL;
	int r = in ? lv_clevis_encrypt(pin, config, in, opts, &jwe, &err) : -ENOMEM;

	lv_secret_free(&in);
	if (r < 0)
		return fail(r, &err);
	printf("%s", jwe);
	free(jwe);
	return 0;
}

static int cmd_describe(void)
{
	struct lv_secret *in = read_stdin(1);
	struct lv_err err = { 0 };
	char *text = NULL;
	int r = in ? lv_clevis_describe((const char *)in->bytes, in->len, &text, &err) : -ENOMEM;

	lv_secret_free(&in);
	if (r < 0)
		return fail(r, &err);
	printf("%s\n", text);
	free(text);
	return 0;
}

static int cmd_token_decode(void)
{
	struct lv_secret *in = read_stdin(1);
	struct lv_clevis_token token;
	struct lv_err err = { 0 };
	char *text = in ? strndup((const char *)in->bytes, in->len) : NULL;
	int r = text ? lv_clevis_token_decode(text, &token, &err) : -ENOMEM;

	free(text);
	lv_secret_free(&in);
	if (r < 0)
		return fail(r, &err);
	printf("%d %s\n", token.keyslot, token.jwe);
	lv_clevis_token_clear(&token);
	return 0;
}

static int cmd_token_encode(const char *slot)
{
	struct lv_secret *in = read_stdin(1);
	struct lv_err err = { 0 };
	char *jwe = in ? strndup((const char *)in->bytes, in->len) : NULL, *json = NULL;
	int r = jwe ? lv_clevis_token_encode(atoi(slot), jwe, &json, &err) : -ENOMEM;

	free(jwe);
	lv_secret_free(&in);
	if (r < 0)
		return fail(r, &err);
	printf("%s\n", json);
	free(json);
	return 0;
}

static int cmd_pass(const struct lv_clevis_opts *opts, const char *image, const char *token_id)
{
	struct lv_device *dev = NULL;
	struct lv_secret *pass = NULL;
	struct lv_err err = { 0 };
	char *json = NULL;
	int slot = -1;
	int r = lv_device_load(&dev, image, 0, &err);

	if (r == 0)
		r = lv_token_export(dev, atoi(token_id), &json, &err);
	if (r == 0)
		r = lv_clevis_token_passphrase(json, opts, &pass, &slot, &err);
	free(json);
	lv_device_free(&dev);
	if (r < 0)
		return fail(r, &err);
	fprintf(stderr, "keyslot %d\n", slot);
	r = write_secret(pass);
	lv_secret_free(&pass);
	return r;
}

static int cmd_unlock(const struct lv_clevis_opts *opts, const char *image, const char *token_id)
{
	struct lv_device *dev = NULL;
	struct lv_secret *volume_key = NULL;
	struct lv_err err = { 0 };
	int slot = -1;
	int r = lv_device_load(&dev, image, 0, &err);

	if (r == 0)
		r = lv_clevis_unlock(dev, atoi(token_id), opts, &volume_key, &slot, &err);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	if (r < 0)
		return fail(r, &err);
	printf("token %s opened keyslot %d\n", token_id, slot);
	return 0;
}

static struct lv_secret *read_key_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct lv_secret *key = f ? lv_secret_new(4096) : NULL;

	if (key)
		key->len = fread(key->bytes, 1, key->len, f);
	if (f)
		fclose(f);
	return key;
}

static int cmd_bind(const struct lv_clevis_opts *opts, char **args)
{
	struct lv_clevis_bind_params params = {
		.pin = args[2], .config = args[3], .keyslot = LV_ANY_SLOT,
		.token_id = LV_ANY_SLOT, .opts = *opts,
	};
	struct lv_secret *key = read_key_file(args[1]), *volume_key = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int slot = -1, token_id = -1;
	int r = key ? lv_device_load(&dev, args[0], LV_LOAD_WRITABLE, &err) : -EINVAL;

	if (r == 0)
		r = lv_unlock(dev, LV_ANY_SLOT, key, &volume_key, NULL, &err);
	if (r == 0)
		r = lv_clevis_bind(dev, volume_key, &params, &slot, &token_id, &err);
	lv_secret_free(&volume_key);
	lv_secret_free(&key);
	lv_device_free(&dev);
	if (r < 0)
		return fail(r, &err);
	printf("keyslot %d token %d\n", slot, token_id);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: clevis_tool [--timeout MS] [--tcti TCTI] [-y] [--trust yes|no] "
		"decrypt|encrypt|describe|token-decode|token-encode|pass|unlock|bind ...\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct lv_clevis_opts opts = { 0 };
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-y") == 0) {
			opts.trust_any = 1;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			opts.timeout_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--tcti") == 0 && i + 1 < argc) {
			opts.tpm_tcti = argv[++i];
		} else if (strcmp(argv[i], "--trust") == 0 && i + 1 < argc) {
			opts.trust = answer_trust;
			opts.trust_ctx = argv[++i];
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	const char *cmd = argv[i++];
	int n = argc - i;

	if (strcmp(cmd, "decrypt") == 0 && n == 0)
		return cmd_decrypt(&opts);
	if (strcmp(cmd, "encrypt") == 0 && n == 2)
		return cmd_encrypt(&opts, argv[i], argv[i + 1]);
	if (strcmp(cmd, "describe") == 0 && n == 0)
		return cmd_describe();
	if (strcmp(cmd, "token-decode") == 0 && n == 0)
		return cmd_token_decode();
	if (strcmp(cmd, "token-encode") == 0 && n == 1)
		return cmd_token_encode(argv[i]);
	if (strcmp(cmd, "pass") == 0 && n == 2)
		return cmd_pass(&opts, argv[i], argv[i + 1]);
	if (strcmp(cmd, "unlock") == 0 && n == 2)
		return cmd_unlock(&opts, argv[i], argv[i + 1]);
	if (strcmp(cmd, "bind") == 0 && n == 4)
		return cmd_bind(&opts, argv + i);
	return usage();
}
