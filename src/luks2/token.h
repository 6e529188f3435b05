/* SPDX-License-Identifier: ISC */
/*
 * token.h: what luksvol knows about each LUKS2 token type, one ops table
 * per type (cryptsetup's crypt_token_handler, luks2-reference.md §1.5).
 *
 * A token is opaque JSON with "type" and "keyslots" (json_read.c checks
 * those, T1-T3).  Everything else about a token belongs to its type, and
 * token.c and dump.c reach it only through the type's ops; a type luksvol
 * has no ops for is passed through untouched and dumped as cryptsetup
 * dumps a token without a handler: its type and keyslots.
 *
 * Adding a type (sideroKMS, talos-tpm2, clevis, systemd-tpm2, ...):
 *  1. src/luks2/token_<name>.c defines one
 *       const struct lv_token_ops lv_token_<name>_ops = {
 *           .type = "<on-disk type>", .validate = ..., .dump = ...,
 *       };
 *     reading the token's fields through the lv_json_* accessors of
 *     metadata.h (never json-c);
 *  2. one line X(lv_token_<name>_ops) in LV_TOKEN_TYPES below.
 * Nothing else changes: import validates through .validate, dump prints
 * through .dump.  A type that belongs to a feature (WITH_KMS, WITH_TPM)
 * goes in the list inside that feature's #if, and without it its tokens
 * are passed through like any unknown type.
 */
#ifndef LV_TOKEN_H
#define LV_TOKEN_H

#include <stdio.h>

#include "luks2/metadata.h"

struct lv_token_ops {
	/* The on-disk "type" string. */
	const char *type;
	/*
	 * Called when luksvol writes a token of this type (token import, and
	 * whatever adds one through lv_token_import): 0, or -EINVAL with a
	 * message naming the field.  Tokens read from disk are not checked,
	 * as cryptsetup checks token contents only when importing one: a
	 * header with a malformed token loads, and the token is kept.
	 * NULL: any content is accepted.
	 */
	int (*validate)(const struct lv_token *token, struct lv_err *err);
	/*
	 * The lines `cryptsetup luksDump` prints for this type (its token
	 * handler's dump), between "  <id>: <type>" and the "\tKeyslot:"
	 * lines.  NULL: none.
	 */
	void (*dump)(const struct lv_token *token, FILE *out);
};

/* Every token type with ops: one X(instance) line each. */
#define LV_TOKEN_TYPES(X) \
	X(lv_token_keyring_ops)

#define LV_TOKEN_DECLARE(ops) extern const struct lv_token_ops ops;
LV_TOKEN_TYPES(LV_TOKEN_DECLARE)
#undef LV_TOKEN_DECLARE

/* The ops of type, or NULL for a type luksvol passes through. */
const struct lv_token_ops *lv_token_ops_find(const char *type);

#endif
