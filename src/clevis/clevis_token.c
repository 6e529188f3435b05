/* SPDX-License-Identifier: ISC */
/*
 * clevis_token.c: the LUKS2 "clevis" token (tokens-clevis-systemd.md §1.1), as
 * `clevis luks bind` writes it and `clevis luks list/pass` read it:
 *   {"type":"clevis","keyslots":["N"],"jwe":{"ciphertext":...,
 *    "encrypted_key":"","iv":...,"protected":...,"tag":...}}
 * one keyslot per token (clevis finds a slot's token by that), the JWE in
 * flattened form with its five members as base64url strings.  This is the
 * json-c side of the engine: it never includes engine.h.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "clevis/clevis.h"
#include "clevis/compact.h"

#define LUKS2_KEYSLOTS_MAX 32

void lv_clevis_token_clear(struct lv_clevis_token *token)
{
	free(token->jwe);
	token->jwe = NULL;
	token->keyslot = -1;
}

static const char *member_string(struct json_object *obj, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/* keyslots: exactly one decimal string, 0..31. */
static int decode_keyslot(struct json_object *root, int *keyslot, struct lv_err *err)
{
	struct json_object *keyslots;
	const char *text;
	char *end;
	long slot;

	if (!json_object_object_get_ex(root, "keyslots", &keyslots) ||
	    !json_object_is_type(keyslots, json_type_array) || json_object_array_length(keyslots) != 1)
		return lv_err_set(err, -EINVAL, "clevis token: \"keyslots\" must list exactly one keyslot");
	text = json_object_get_string(json_object_array_get_idx(keyslots, 0));
	if (!json_object_is_type(json_object_array_get_idx(keyslots, 0), json_type_string) ||
	    text[0] < '0' || text[0] > '9')
		return lv_err_set(err, -EINVAL, "clevis token: the keyslot is not a decimal string");
	errno = 0;
	slot = strtol(text, &end, 10);
	if (errno || *end || slot >= LUKS2_KEYSLOTS_MAX)
		return lv_err_set(err, -EINVAL, "clevis token: keyslot \"%.16s\" is out of range 0..%d",
				  text, LUKS2_KEYSLOTS_MAX - 1);
	*keyslot = (int)slot;
	return 0;
}

/* The flattened JWE back to compact text; members the compact form cannot
 * carry (a shared unprotected header, AAD) are refused, not dropped. */
static int decode_jwe(struct json_object *root, char **compact, struct lv_err *err)
{
	static const char *const unrepresentable[] = { "header", "unprotected", "aad", "recipients" };
	const char *fields[JWE_FIELDS];
	struct json_object *jwe;

	if (!json_object_object_get_ex(root, "jwe", &jwe) || !json_object_is_type(jwe, json_type_object))
		return lv_err_set(err, -EINVAL, "clevis token: no \"jwe\" object");
	for (size_t i = 0; i < sizeof(unrepresentable) / sizeof(unrepresentable[0]); i++)
		if (json_object_object_get_ex(jwe, unrepresentable[i], NULL))
			return lv_err_set(err, -EINVAL, "clevis token: jwe.%s is not supported",
					  unrepresentable[i]);
	for (unsigned i = 0; i < JWE_FIELDS; i++) {
		fields[i] = member_string(jwe, jwe_field_names[i]);
		if (!fields[i])
			return lv_err_set(err, -EINVAL, "clevis token: jwe.%s is not a string",
					  jwe_field_names[i]);
	}
	return jwe_compact_join(fields, compact, err);
}

int lv_clevis_token_decode(const char *token_json, struct lv_clevis_token *token,
			   struct lv_err *err)
{
	struct json_object *root = json_tokener_parse(token_json);
	const char *type = member_string(root, "type");
	int r = 0;

	token->keyslot = -1;
	token->jwe = NULL;
	if (!root || !json_object_is_type(root, json_type_object))
		r = lv_err_set(err, -EINVAL, "clevis token: not a JSON object");
	else if (!type || strcmp(type, "clevis") != 0)
		r = lv_err_set(err, -EINVAL, "token type \"%.64s\" is not clevis", type ? type : "");
	if (r == 0)
		r = decode_keyslot(root, &token->keyslot, err);
	if (r == 0)
		r = decode_jwe(root, &token->jwe, err);
	json_object_put(root);
	if (r < 0)
		lv_clevis_token_clear(token);
	return r;
}

static int add_string(struct json_object *obj, const char *key, const char *text, size_t len)
{
	struct json_object *value = json_object_new_string_len(text, (int)len);

	return value ? json_object_object_add(obj, key, value) : -1;
}

/* Members in clevis's order (jose sorts them). */
static struct json_object *jwe_object(const struct jwe_span fields[JWE_FIELDS])
{
	static const unsigned sorted[JWE_FIELDS] = {
		JWE_CIPHERTEXT, JWE_ENCRYPTED_KEY, JWE_IV, JWE_PROTECTED, JWE_TAG,
	};
	struct json_object *jwe = json_object_new_object();

	for (unsigned i = 0; jwe && i < JWE_FIELDS; i++) {
		const struct jwe_span *f = &fields[sorted[i]];

		if (add_string(jwe, jwe_field_names[sorted[i]], f->text, f->len) < 0) {
			json_object_put(jwe);
			return NULL;
		}
	}
	return jwe;
}

int lv_clevis_token_encode(int keyslot, const char *jwe, char **token_json, struct lv_err *err)
{
	struct json_object *root = NULL, *keyslots = NULL, *flattened = NULL;
	struct jwe_span fields[JWE_FIELDS];
	char slot[12];
	const char *text;
	int r;

	*token_json = NULL;
	if (keyslot < 0 || keyslot >= LUKS2_KEYSLOTS_MAX)
		return lv_err_set(err, -EINVAL, "clevis token: keyslot %d is out of range", keyslot);
	r = jwe_compact_split(jwe, strlen(jwe), fields, err);
	if (r < 0)
		return r;
	snprintf(slot, sizeof(slot), "%d", keyslot);
	root = json_object_new_object();
	keyslots = json_object_new_array();
	flattened = jwe_object(fields);
	if (root && keyslots && flattened && add_string(root, "type", "clevis", 6) == 0 &&
	    json_object_array_add(keyslots, json_object_new_string(slot)) == 0 &&
	    json_object_object_add(root, "keyslots", keyslots) == 0) {
		keyslots = NULL;
		if (json_object_object_add(root, "jwe", flattened) == 0) {
			flattened = NULL;
			text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
			*token_json = text ? strdup(text) : NULL;
		}
	}
	json_object_put(flattened);
	json_object_put(keyslots);
	json_object_put(root);
	return *token_json ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

int lv_clevis_token_passphrase(const char *token_json, const struct lv_clevis_opts *opts,
			       struct lv_secret **passphrase, int *keyslot, struct lv_err *err)
{
	struct lv_clevis_token token;
	int r = lv_clevis_token_decode(token_json, &token, err);

	*passphrase = NULL;
	if (r == 0)
		r = lv_clevis_decrypt(token.jwe, strlen(token.jwe), opts, passphrase, err);
	if (r == 0)
		*keyslot = token.keyslot;
	lv_clevis_token_clear(&token);
	return r;
}

/* Prefixes err with the device's path unless the message names it already. */
static void name_device(const struct lv_device *dev, const char *what, struct lv_err *err)
{
	const char *path = lv_device_path(dev);
	char prefix[LV_ERR_MSG_MAX];

	if (!err || strncmp(err->msg, path, strlen(path)) == 0)
		return;
	snprintf(prefix, sizeof(prefix), "%s%s%s", path, what ? ": " : "", what ? what : "");
	lv_err_prefix(err, prefix);
}

int lv_clevis_unlock(struct lv_device *dev, int token_id, const struct lv_clevis_opts *opts,
		     struct lv_secret **volume_key, int *keyslot, struct lv_err *err)
{
	struct lv_secret *passphrase = NULL;
	char *token_json = NULL, what[32];
	int slot = -1;
	int r = lv_token_export(dev, token_id, &token_json, err);

	*volume_key = NULL;
	if (r == 0)
		r = lv_clevis_token_passphrase(token_json, opts, &passphrase, &slot, err);
	if (r == 0)
		r = lv_unlock(dev, slot, passphrase, volume_key, keyslot, err);
	if (r < 0) {
		snprintf(what, sizeof(what), "token %d", token_id);
		name_device(dev, what, err);
	}
	lv_secret_free(&passphrase);
	free(token_json);
	return r;
}

/* A token id that is taken fails before any keyslot is written. */
static int check_token_free(struct lv_device *dev, int token_id, struct lv_err *err)
{
	struct lv_err ignored;
	char *json = NULL;

	if (token_id == LV_ANY_SLOT || lv_token_export(dev, token_id, &json, &ignored) < 0)
		return 0;
	free(json);
	return lv_err_set(err, -EEXIST, "%s: token %d is already in use", lv_device_path(dev),
			  token_id);
}

/* Adds the keyslot, then the token; a token that cannot be added takes its
 * keyslot away again. */
static int add_slot_and_token(struct lv_device *dev, const struct lv_secret *volume_key,
			      const struct lv_clevis_bind_params *params,
			      const struct lv_secret *passphrase, const char *jwe, int *keyslot,
			      int *token_id, struct lv_err *err)
{
	static const struct lv_pbkdf_params clevis_pbkdf = {
		.type = "pbkdf2", .hash = "sha256", .forced_iterations = 1000,
	};
	char *token_json = NULL, first[LV_ERR_MSG_MAX];
	struct lv_err undo_err;
	int r;

	r = lv_keyslot_add(dev, params->keyslot, volume_key, passphrase,
			   params->pbkdf ? params->pbkdf : &clevis_pbkdf, keyslot, err);
	if (r < 0)
		return r;
	r = lv_clevis_token_encode(*keyslot, jwe, &token_json, err);
	if (r == 0)
		r = lv_token_import(dev, params->token_id, token_json, token_id, err);
	if (r < 0 && lv_keyslot_kill(dev, *keyslot, &undo_err) < 0) {
		snprintf(first, sizeof(first), "%s", err ? err->msg : "");
		lv_err_set(err, r, "%s; keyslot %d could not be removed again: %s", first, *keyslot,
			   undo_err.msg);
	}
	free(token_json);
	return r;
}

int lv_clevis_bind(struct lv_device *dev, const struct lv_secret *volume_key,
		   const struct lv_clevis_bind_params *params, int *keyslot, int *token_id,
		   struct lv_err *err)
{
	struct lv_secret *passphrase = NULL;
	char *jwe = NULL;
	int r = check_token_free(dev, params->token_id, err);

	if (r == 0 && params->keyslot != LV_ANY_SLOT && lv_keyslot_exists(dev, params->keyslot))
		r = lv_err_set(err, -EEXIST, "%s: keyslot %d is already in use", lv_device_path(dev),
			       params->keyslot);
	if (r == 0 && (r = lv_clevis_passphrase_new(&passphrase)) < 0)
		lv_err_set(err, r, "cannot make a passphrase");
	if (r == 0)
		r = lv_clevis_encrypt(params->pin, params->config, passphrase, &params->opts, &jwe,
				      err);
	if (r == 0 && (r = add_slot_and_token(dev, volume_key, params, passphrase, jwe, keyslot,
					      token_id, err)) < 0)
		name_device(dev, NULL, err);
	free(jwe);
	lv_secret_free(&passphrase);
	return r;
}
