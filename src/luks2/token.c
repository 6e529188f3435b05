/* SPDX-License-Identifier: ISC */
/*
 * token.c: LUKS2 tokens: import, export, remove.  A token is opaque JSON
 * with "type" and "keyslots"; types starting with "luks2-" are reserved
 * for cryptsetup's built-in handlers, of which only luks2-keyring exists.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/device.h"

static int lowest_free_token(const struct lv_metadata *md)
{
	for (int id = 0; id < LV_TOKENS_MAX; id++) {
		int used = 0;
		for (unsigned i = 0; i < md->token_count; i++)
			used |= md->tokens[i].id == (uint32_t)id;
		if (!used)
			return id;
	}
	return -1;
}

static int find_token(const struct lv_metadata *md, int token_id)
{
	for (unsigned i = 0; i < md->token_count; i++)
		if (token_id >= 0 && md->tokens[i].id == (uint32_t)token_id)
			return (int)i;
	return -1;
}

/* luks2-keyring holds exactly type, keyslots and key_description. */
static int check_reserved_type(const struct lv_token *token, struct lv_err *err)
{
	struct json_object *desc;

	if (strncmp(token->type, "luks2-", 6) != 0)
		return 0;
	if (strcmp(token->type, "luks2-keyring") != 0)
		return lv_err_set(err, -EINVAL, "token type \"%s\" is reserved", token->type);
	if (json_object_object_length(token->json) != 3 ||
	    !json_object_object_get_ex(token->json, "key_description", &desc) ||
	    !json_object_is_type(desc, json_type_string))
		return lv_err_set(err, -EINVAL, "luks2-keyring token needs exactly type, keyslots and key_description");
	return 0;
}

/* Parses json_text through the same reader as on-disk tokens. */
static int parse_token(const char *json_text, uint32_t id, struct json_object **obj,
		       struct lv_token *token, struct lv_err *err)
{
	struct json_object *root = json_object_new_object(), *tokens = json_object_new_object();
	char key[12];
	int r;

	*obj = json_tokener_parse(json_text);
	if (!*obj || !json_object_is_type(*obj, json_type_object) || !root || !tokens) {
		json_object_put(root);
		json_object_put(tokens);
		return lv_err_set(err, -EINVAL, "token JSON is not a JSON object");
	}
	/* A throwaway document holding only this token reuses the reader's
	 * type checks; keyslot references are checked by the commit. */
	snprintf(key, sizeof(key), "%u", id);
	json_object_object_add(root, "tokens", tokens);
	json_object_object_add(tokens, key, json_object_get(*obj));
	r = lv_metadata_token_from_json(tokens, key, token, err);
	json_object_put(root);
	if (r == 0)
		token->json = *obj;
	return r;
}

/* Imports json_text as token token_id; replace: over the token of that id,
 * in the same commit. */
static int put_token(struct lv_device *dev, int token_id, const char *json_text, int replace,
		     int *imported_id, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	struct lv_metadata *work;
	struct json_object *obj = NULL;
	int index, r;

	if (token_id == LV_ANY_SLOT && (token_id = lowest_free_token(md)) < 0)
		return lv_err_set(err, -ENOSPC, "%s: all 32 tokens are in use", dev->storage->name);
	if (token_id < 0 || token_id >= LV_TOKENS_MAX)
		return lv_err_set(err, -EINVAL, "token id %d is out of range 0..31", token_id);
	index = find_token(md, token_id);
	if (index >= 0 && !replace)
		return lv_err_set(err, -EEXIST, "%s: token %d is already in use", dev->storage->name,
				  token_id);
	work = malloc(sizeof(*work));
	if (!work)
		return lv_err_set(err, -ENOMEM, "out of memory");
	memcpy(work, md, sizeof(*work));
	struct lv_token *token = &work->tokens[index >= 0 ? (unsigned)index : work->token_count];
	r = parse_token(json_text, (uint32_t)token_id, &obj, token, err);
	if (r == 0)
		r = check_reserved_type(token, err);
	if (r == 0) {
		work->token_count += index < 0;
		r = lv_device_commit(dev, work, 0, err);
	}
	json_object_put(obj);
	free(work);
	if (r == 0 && imported_id)
		*imported_id = token_id;
	return r;
}

int lv_token_import(struct lv_device *dev, int token_id, const char *json_text,
		    int *imported_id, struct lv_err *err)
{
	return put_token(dev, token_id, json_text, 0, imported_id, err);
}

int lv_token_replace(struct lv_device *dev, int token_id, const char *json_text,
		     struct lv_err *err)
{
	if (token_id == LV_ANY_SLOT)
		return lv_err_set(err, -EINVAL, "a token to replace needs its id");
	return put_token(dev, token_id, json_text, 1, NULL, err);
}

int lv_token_export(struct lv_device *dev, int token_id, char **json_text,
		    struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	int index = find_token(md, token_id);
	const char *text;

	*json_text = NULL;
	if (index < 0)
		return lv_err_set(err, -EINVAL, "%s: token %d does not exist", dev->storage->name,
				  token_id);
	text = json_object_to_json_string_ext(md->tokens[index].json,
					      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	*json_text = text ? strdup(text) : NULL;
	return *json_text ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

int lv_token_remove(struct lv_device *dev, int token_id, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	int index = find_token(md, token_id);
	struct lv_metadata *work;
	int r;

	if (index < 0)
		return lv_err_set(err, -EINVAL, "%s: token %d does not exist", dev->storage->name,
				  token_id);
	work = malloc(sizeof(*work));
	if (!work)
		return lv_err_set(err, -ENOMEM, "out of memory");
	memcpy(work, md, sizeof(*work));
	memmove(&work->tokens[index], &work->tokens[index + 1],
		(work->token_count - (unsigned)index - 1) * sizeof(work->tokens[0]));
	work->token_count--;
	r = lv_device_commit(dev, work, 0, err);
	free(work);
	return r;
}
