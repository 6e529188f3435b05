/* SPDX-License-Identifier: ISC */
/* unit_config.h: parsing a volume config from text in the config unit tests. */
#ifndef LV_UNIT_CONFIG_H
#define LV_UNIT_CONFIG_H

#include "unit.h"

#include <errno.h>

#include "config/config.h"

static inline int unit_config_parse(const char *text, struct lv_config_file **cfg,
				    char **diagnostics)
{
	struct lv_err err = { 0 };

	return lv_config_parse_mem("t.yaml", (const uint8_t *)text, strlen(text), cfg, diagnostics,
				   &err);
}

/* Parses text, which must fail, and checks the whole diagnostics text. */
static inline void unit_config_refused(const char *text, const char *expected)
{
	struct lv_config_file *cfg = NULL;
	char *diagnostics = NULL;

	assert_int_equal(unit_config_parse(text, &cfg, &diagnostics), -EINVAL);
	assert_null(cfg);
	assert_non_null(diagnostics);
	assert_string_equal(diagnostics, expected);
	free(diagnostics);
}

#endif
