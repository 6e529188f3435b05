/* SPDX-License-Identifier: ISC */
/*
 * state_meta.h: STATE's encryption spec as Talos keeps it in META tag 9
 * (StateEncryptionConfig, talos-encryption.md §6): encoding/json of the
 * config struct, whose fields have no json tags, so the keys are Go field
 * names in struct order.  The modern shape is block.EncryptionSpec
 * (talos:pkg/machinery/config/types/block/encryption.go), the legacy one
 * v1alpha1.EncryptionConfig (…/types/v1alpha1/v1alpha1_types.go).  The
 * reader tries the modern shape, then the legacy one, as Talos's
 * UnmarshalEncryptionMeta does (talos:internal/app/machined/pkg/
 * controllers/block/internal/volumes/encryption_meta.go).
 */
#ifndef LV_STATE_META_H
#define LV_STATE_META_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum lv_state_meta_shape {
	LV_STATE_META_MODERN,		/* block.EncryptionSpec */
	LV_STATE_META_LEGACY,		/* v1alpha1.EncryptionConfig */
};

/* Tag 9's bytes for a STATE volume as Talos writes them for the same
 * document: the spec as written (cipher "" when not given, null for
 * absent pointers and lists), "luks2" as the provider; "null" for a
 * volume without encryption or none (state NULL).  The value holds any
 * static passphrase in cleartext: it comes in a secret. */
int lv_state_meta_encode(const struct lv_config_volume *state, struct lv_secret **json,
			 struct lv_err *err);

/* Reads tag 9 into a config holding one volume, STATE, validated as a
 * STATE VolumeConfig document would be; a "null" value or a zero spec
 * gives a STATE volume without encryption.  source names the value in
 * messages ("META /dev/sda4 tag 9").  On -EINVAL, *diagnostics (if not
 * NULL) gets every error, one per line. */
int lv_state_meta_decode(const char *source, const uint8_t *json, size_t len,
			 struct lv_config_file **cfg, enum lv_state_meta_shape *shape,
			 char **diagnostics, struct lv_err *err);

#endif
