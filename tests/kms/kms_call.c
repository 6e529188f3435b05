/* SPDX-License-Identifier: ISC */
/*
 * kms_call.c: the KMS engine (src/kms/kms.h) from the command line, for
 * tests/interop/kms.sh.  A test tool: it prints keys and passphrases.
 *   kms_call enrol  ENDPOINT UUID         token JSON, then the passphrase
 *   kms_call open   ENDPOINT UUID TOKEN   the passphrase (TOKEN: a file, or - for none)
 *   kms_call seal   ENDPOINT UUID KEYHEX  the sealed bytes in hex
 *   kms_call unseal ENDPOINT UUID HEX     the unsealed key in hex
 * $KMS_CA is the CA file (unset: none), $KMS_TIMEOUT_MS the timeout.
 * Exit 0, or 1 with the error line on stderr; 3 for a token that is not
 * a sideroKMS one (LV_KMS_TOKEN_INVALID).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms/kms.h"

static void print_hex(const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", bytes[i]);
	printf("\n");
}

static size_t from_hex(const char *hex, uint8_t *out, size_t out_max)
{
	size_t n = strlen(hex) / 2;

	if (n > out_max)
		n = out_max;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 1 << 16);

	if (!f || !text || fread(text, 1, (1 << 16) - 1, f) == 0) {
		if (f)
			fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static int run(const char *verb, const struct lv_kms_server *srv, const char *uuid,
	       const char *arg, struct lv_err *err)
{
	struct lv_secret *secret = NULL;
	uint8_t buf[LV_KMS_SEALED_MAX], *sealed = NULL;
	size_t len;
	char *text = NULL;
	int r = -EINVAL;

	if (strcmp(verb, "enrol") == 0) {
		r = lv_kms_enrol(srv, uuid, &secret, &text, err);
		if (r == 0)
			printf("%s\n%.*s\n", text, (int)secret->len, (const char *)secret->bytes);
	} else if (strcmp(verb, "open") == 0 && arg) {
		if (strcmp(arg, "-") != 0 && !(text = read_file(arg)))
			return lv_err_set(err, -EINVAL, "cannot read %s", arg);
		r = lv_kms_open(srv, uuid, text, &secret, err);
		if (r == 0)
			printf("%.*s\n", (int)secret->len, (const char *)secret->bytes);
	} else if (strcmp(verb, "seal") == 0 && arg) {
		struct lv_secret *key = lv_secret_new(LV_KMS_KEY_BYTES);

		if (!key)
			return -ENOMEM;
		key->len = from_hex(arg, key->bytes, LV_KMS_KEY_BYTES);
		r = lv_kms_seal(srv, uuid, key, &sealed, &len, err);
		if (r == 0)
			print_hex(sealed, len);
		lv_secret_free(&key);
	} else if (strcmp(verb, "unseal") == 0 && arg) {
		len = from_hex(arg, buf, sizeof(buf));
		r = lv_kms_unseal(srv, uuid, buf, len, &secret, err);
		if (r == 0)
			print_hex(secret->bytes, secret->len);
	} else {
		fprintf(stderr, "usage: kms_call enrol|open|seal|unseal ENDPOINT UUID [ARG]\n");
	}
	free(sealed);
	free(text);
	lv_secret_free(&secret);
	return r;
}

int main(int argc, char **argv)
{
	struct lv_kms_server srv = { 0 };
	struct lv_err err = { 0 };
	const char *timeout = getenv("KMS_TIMEOUT_MS");
	int r;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: kms_call enrol|open|seal|unseal ENDPOINT UUID [ARG]\n");
		return 1;
	}
	srv.endpoint = argv[2];
	srv.ca_file = getenv("KMS_CA");
	srv.timeout_ms = timeout ? (unsigned)strtoul(timeout, NULL, 10) : 0;
	r = run(argv[1], &srv, argv[3], argc == 5 ? argv[4] : NULL, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "failed");
	return r == LV_KMS_TOKEN_INVALID ? 3 : r < 0 ? 1 : 0;
}
