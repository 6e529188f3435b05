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

#include "base/constants.h"
#include "base/token_json.h"
#include "clevis/clevis.h"
#include "clevis/compact.h"


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
	int r = lv_token_json_type(root, "clevis", err);

	token->keyslot = -1;
	token->jwe = NULL;
	if (r == 0)
		r = lv_token_json_keyslot(root, "clevis", &token->keyslot, err);
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
	if (keyslot < 0 || keyslot >= LV_KEYSLOT_COUNT)
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

struct lv_clevis_binding {
	struct lv_secret *passphrase;
	char *jwe;
};

void lv_clevis_binding_free(struct lv_clevis_binding **binding)
{
	if (!*binding)
		return;
	lv_secret_free(&(*binding)->passphrase);
	free((*binding)->jwe);
	free(*binding);
	*binding = NULL;
}

int lv_clevis_binding_new(const char *pin, const char *config, const struct lv_clevis_opts *opts,
			  struct lv_clevis_binding **binding, struct lv_err *err)
{
	int r;

	*binding = calloc(1, sizeof(**binding));
	if (!*binding)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = lv_clevis_passphrase_new(&(*binding)->passphrase, err);
	if (r == 0)
		r = lv_clevis_encrypt(pin, config, (*binding)->passphrase, opts, &(*binding)->jwe,
				      err);
	if (r < 0)
		lv_clevis_binding_free(binding);
	return r;
}

/* A keyslot or token id that is taken fails before anything is written. */
static int check_free(struct lv_device *dev, int keyslot, int token_id, struct lv_err *err)
{
	struct lv_err ignored;
	char *json = NULL;

	if (keyslot != LV_ANY_SLOT && lv_keyslot_exists(dev, keyslot))
		return lv_err_set(err, -EEXIST, "%s: keyslot %d is already in use",
				  lv_device_path(dev), keyslot);
	if (token_id == LV_ANY_SLOT || lv_token_export(dev, token_id, &json, &ignored) < 0)
		return 0;
	free(json);
	return lv_err_set(err, -EEXIST, "%s: token %d is already in use", lv_device_path(dev),
			  token_id);
}

/* Adds the keyslot, then the token; a token that cannot be added takes its
 * keyslot away again. */
static int add_slot_and_token(struct lv_device *dev, const struct lv_secret *volume_key,
			      const struct lv_clevis_binding *binding, int keyslot, int token_id,
			      const struct lv_pbkdf_params *pbkdf, int *added_keyslot,
			      int *added_token, struct lv_err *err)
{
	static const struct lv_pbkdf_params clevis_pbkdf = {
		.type = "pbkdf2", .hash = "sha256", .forced_iterations = 1000,
	};
	char *token_json = NULL, first[LV_ERR_MSG_MAX];
	struct lv_err undo_err;
	int r;

	r = lv_keyslot_add(dev, keyslot, volume_key, binding->passphrase,
			   pbkdf ? pbkdf : &clevis_pbkdf, added_keyslot, err);
	if (r < 0)
		return r;
	r = lv_clevis_token_encode(*added_keyslot, binding->jwe, &token_json, err);
	if (r == 0)
		r = lv_token_import(dev, token_id, token_json, added_token, err);
	if (r < 0 && lv_keyslot_kill(dev, *added_keyslot, &undo_err) < 0) {
		snprintf(first, sizeof(first), "%s", err ? err->msg : "");
		lv_err_set(err, r, "%s; keyslot %d could not be removed again: %s", first,
			   *added_keyslot, undo_err.msg);
	}
	free(token_json);
	return r;
}

int lv_clevis_binding_store(struct lv_device *dev, const struct lv_secret *volume_key,
			    const struct lv_clevis_binding *binding, int keyslot, int token_id,
			    const struct lv_pbkdf_params *pbkdf, int *added_keyslot,
			    int *added_token, struct lv_err *err)
{
	int r = check_free(dev, keyslot, token_id, err);

	if (r == 0 && (r = add_slot_and_token(dev, volume_key, binding, keyslot, token_id, pbkdf,
					      added_keyslot, added_token, err)) < 0)
		name_device(dev, NULL, err);
	return r;
}

int lv_clevis_bind(struct lv_device *dev, const struct lv_secret *volume_key,
		   const struct lv_clevis_bind_params *params, int *keyslot, int *token_id,
		   struct lv_err *err)
{
	struct lv_clevis_binding *binding = NULL;
	int r = check_free(dev, params->keyslot, params->token_id, err);

	if (r == 0)
		r = lv_clevis_binding_new(params->pin, params->config, &params->opts, &binding, err);
	if (r == 0)
		r = lv_clevis_binding_store(dev, volume_key, binding, params->keyslot,
					    params->token_id, params->pbkdf, keyslot, token_id, err);
	lv_clevis_binding_free(&binding);
	return r;
}

/* The object's text, owned by the caller. */
static int config_text(struct json_object *config, char **text, struct lv_err *err)
{
	const char *json = config ? json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE)
				  : NULL;

	*text = json ? strdup(json) : NULL;
	json_object_put(config);
	return *text ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

/* Adds name: value (a string) to config; a NULL config stays NULL. */
static struct json_object *with_string(struct json_object *config, const char *name,
				      const char *value)
{
	struct json_object *string = json_object_new_string(value);

	if (!config || !string || json_object_object_add(config, name, string) < 0) {
		json_object_put(string);
		json_object_put(config);
		return NULL;
	}
	return config;
}

int lv_clevis_thumbprint_check(const char *name, const char *thumbprint, struct lv_err *err)
{
	char why[100];
	const char *problem = lv_tang_thumbprint_problem(thumbprint, why, sizeof(why));

	return problem ? lv_err_set(err, -EINVAL, "%s %s", name, problem) : 0;
}

int lv_clevis_tang_config(const char *url, const char *thumbprint, char **config,
			  struct lv_err *err)
{
	struct json_object *tang;

	if (thumbprint && lv_clevis_thumbprint_check("tang thp", thumbprint, err) < 0)
		return -EINVAL;
	tang = with_string(json_object_new_object(), "url", url);
	if (thumbprint)
		tang = with_string(tang, "thp", thumbprint);
	return config_text(tang, config, err);
}

int lv_clevis_tpm2_config(const char *pcr_bank, const char *pcr_ids, char **config,
			  struct lv_err *err)
{
	struct json_object *tpm2 = json_object_new_object();

	if (pcr_ids && *pcr_ids)
		tpm2 = with_string(with_string(tpm2, "pcr_bank", pcr_bank), "pcr_ids", pcr_ids);
	return config_text(tpm2, config, err);
}
