/* SPDX-License-Identifier: ISC */
/* crypt_table.h: building and parsing dm-crypt table lines. */
#ifndef LV_DM_CRYPT_TABLE_H
#define LV_DM_CRYPT_TABLE_H

#include <stdint.h>

#include "luksvol.h"

struct lv_crypt_table {
	const char *cipher;
	const struct lv_secret *key;
	const char *key_description;	/* NULL: the hex key goes in the table */
	uint32_t device_major;
	uint32_t device_minor;
	uint64_t offset_sectors;
	uint32_t sector_size;
	unsigned flags;			/* enum lv_activation_flag */
};

/* Whether dm-crypt would take cipher as "cipher-mode-iv" (no capi:). */
int lv_crypt_cipher_parsable(const char *cipher);
/* The key as lowercase hex into out (2 * len + 1 bytes). */
void lv_crypt_key_hex(const struct lv_secret *key, char *out);
/* The parameter line, in secret memory (it may hold the hex key). */
int lv_crypt_table_build(const struct lv_crypt_table *table, struct lv_secret **params);
/* Fills cipher, key size and location, device, offsets, sector size and
 * flags of st from a table line; modifies params. */
int lv_crypt_table_parse(char *params, struct lv_mapping_status *st);

#endif
