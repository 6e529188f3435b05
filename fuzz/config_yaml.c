/* SPDX-License-Identifier: ISC */
/*
 * config_yaml.c: the volume-config parser and validator
 * (lv_config_parse_mem) over arbitrary bytes.
 *
 * Invariants (abort on violation):
 *   - a config that loads prints, as YAML and as JSON;
 *   - the printed YAML loads again and prints to the same text (the
 *     canonical form is a fixpoint; static passphrases print REDACTED,
 *     which is itself a valid passphrase);
 *   - a config that fails to load always says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_common.h"

/* The canonical YAML of cfg, malloc'ed. */
static char *print_yaml(const struct lv_config_file *cfg, size_t *len)
{
	struct lv_err err = { 0 };
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (!out)
		abort();
	if (lv_config_print(cfg, out, 0, &err) < 0)
		fz_fail("a loaded config does not print: %s", err.msg);
	fclose(out);
	return text;
}

static void print_json(const struct lv_config_file *cfg)
{
	struct lv_err err = { 0 };
	FILE *out = fz_discard_file();

	if (out && lv_config_print(cfg, out, 1, &err) < 0)
		fz_fail("a loaded config does not print as JSON: %s", err.msg);
}

static void check_fixpoint(const char *first, size_t first_len)
{
	struct lv_config_file *again = NULL;
	struct lv_err err = { 0 };
	char *diagnostics = NULL, *second;
	size_t second_len;

	if (lv_config_parse_mem("printed", (const uint8_t *)first, first_len, &again,
				&diagnostics, &err) < 0)
		fz_fail("the printed config does not load: %s %s", err.msg,
			diagnostics ? diagnostics : "");
	second = print_yaml(again, &second_len);
	if (second_len != first_len || memcmp(first, second, first_len) != 0)
		fz_fail("printing is not a fixpoint:\n%s\n---\n%s", first, second);
	free(second);
	free(diagnostics);
	lv_config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };
	char *diagnostics = NULL, *text;
	size_t len;
	int r = lv_config_parse_mem("fuzz.yaml", data, size, &cfg, &diagnostics, &err);

	if (r < 0) {
		if (!err.msg[0] && !(diagnostics && diagnostics[0]))
			fz_fail("config refused (%d) without a message", r);
	} else {
		print_json(cfg);
		text = print_yaml(cfg, &len);
		check_fixpoint(text, len);
		free(text);
		lv_config_free(&cfg);
	}
	free(diagnostics);
	return 0;
}
