/* SPDX-License-Identifier: ISC */
/*
 * token.c: LUKS2 tokens: import, export, remove, and the table of token
 * types (token.h).  Types starting with "luks2-" are reserved for
 * cryptsetup's built-in handlers: one of those luksvol has no ops for is
 * refused at import, as cryptsetup refuses it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/device.h"
#include "luks2/token.h"

#define LV_TOKEN_ENTRY(ops) &ops,
static const struct lv_token_ops *const token_types[] = { LV_TOKEN_TYPES(LV_TOKEN_ENTRY) };
#undef LV_TOKEN_ENTRY

const struct lv_token_ops *lv_token_ops_find(const char *type)
{
	for (size_t i = 0; i < sizeof(token_types) / sizeof(token_types[0]); i++)
		if (strcmp(token_types[i]->type, type) == 0)
			return token_types[i];
	return NULL;
}

static int check_type(const struct lv_token *token, struct lv_err *err)
{
	if (token->ops)
		return token->ops->validate ? token->ops->validate(token, err) : 0;
	if (strncmp(token->type, "luks2-", 6) == 0)
		return lv_err_set(err, -EINVAL, "token type \"%s\" is reserved", token->type);
	return 0;
}

/* The token just appended to md's list moved to index: cryptsetup replaces
 * a token where it stands (json-c keeps a replaced key's place), so the
 * order round-trips. */
static void move_last_token(struct lv_metadata *md, unsigned index)
{
	struct lv_token last = md->tokens[md->token_count - 1];

	memmove(&md->tokens[index + 1], &md->tokens[index],
		(size_t)(md->token_count - 1 - index) * sizeof(last));
	md->tokens[index] = last;
}

/* Imports json_text as token token_id; replace: over the token of that id,
 * in the same commit. */
static int put_token(struct lv_device *dev, int token_id, const char *json_text, int replace,
		     int *imported_id, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);
	const struct lv_token *old;
	struct lv_metadata *work;
	struct lv_token *token;
	int r;

	if (token_id == LV_ANY_SLOT && (token_id = lv_md_free_token(md)) < 0)
		return lv_err_set(err, -ENOSPC, "%s: all %d tokens are in use", dev->storage->name,
				  LV_TOKENS_MAX);
	if (token_id < 0 || token_id >= LV_TOKENS_MAX)
		return lv_err_set(err, -EINVAL, "token id %d is out of range 0..%d", token_id,
				  LV_TOKENS_MAX - 1);
	old = lv_md_token(md, (uint32_t)token_id);
	if (old && !replace)
		return lv_err_set(err, -EEXIST, "%s: token %d is already in use", dev->storage->name,
				  token_id);
	if ((r = lv_metadata_clone(md, &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	if (old)
		lv_md_remove_token(work, &work->tokens[old - md->tokens]);
	/* Keyslot references are checked by the commit, as on-disk tokens. */
	r = lv_metadata_parse_token(work, json_text, (uint32_t)token_id, &token, err);
	if (r == 0)
		r = check_type(token, err);
	if (r == 0 && old)
		move_last_token(work, (unsigned)(old - md->tokens));
	if (r == 0)
		r = lv_device_commit(dev, work, 0, err);
	lv_metadata_free(&work);
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

static const struct lv_token *existing_token(struct lv_device *dev, int token_id,
					     struct lv_err *err)
{
	const struct lv_token *token =
		token_id >= 0 ? lv_md_token(lv_dev_md(dev), (uint32_t)token_id) : NULL;

	if (!token)
		lv_err_set(err, -ENOENT, "%s: token %d does not exist", dev->storage->name, token_id);
	return token;
}

int lv_token_export(struct lv_device *dev, int token_id, char **json_text,
		    struct lv_err *err)
{
	const struct lv_token *token = existing_token(dev, token_id, err);
	int r;

	*json_text = NULL;
	if (!token)
		return -ENOENT;
	r = lv_token_to_text(token, json_text);
	return r < 0 ? lv_err_set(err, r, "out of memory") : 0;
}

int lv_token_remove(struct lv_device *dev, int token_id, struct lv_err *err)
{
	const struct lv_token *token = existing_token(dev, token_id, err);
	struct lv_metadata *work;
	int r;

	if (!token)
		return -ENOENT;
	if ((r = lv_metadata_clone(lv_dev_md(dev), &work)) < 0)
		return lv_err_set(err, r, "out of memory");
	lv_md_remove_token(work, &work->tokens[token - lv_dev_md(dev)->tokens]);
	r = lv_device_commit(dev, work, 0, err);
	lv_metadata_free(&work);
	return r;
}
