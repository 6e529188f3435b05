/* SPDX-License-Identifier: ISC */
/*
 * key_nodeid.c: nodeID keys, ASCII(node UUID) ‖ ASCII(volume ID) with no
 * separator and no KDF (talos-encryption.md §2.2).
 */
#include <string.h>

#include "keys/keysrc.h"

static int nodeid_passphrase(struct lv_key_context *ctx, struct lv_secret **passphrase,
			     struct lv_err *err)
{
	size_t uuid_len, id_len;
	int r = lv_node_uuid_get(ctx, err);

	if (r < 0)
		return r;
	uuid_len = strlen(ctx->node_uuid);
	id_len = strlen(ctx->volume_id);
	*passphrase = lv_secret_new(uuid_len + id_len);
	if (!*passphrase)
		return -ENOMEM;
	memcpy((*passphrase)->bytes, ctx->node_uuid, uuid_len);
	memcpy((*passphrase)->bytes + uuid_len, ctx->volume_id, id_len);
	return 0;
}

static int nodeid_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			  struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	(void)state;
	(void)key;
	(void)token_json;
	return nodeid_passphrase(ctx, passphrase, err);
}

static int nodeid_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			  const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	(void)state;
	(void)key;
	(void)token_json;
	return nodeid_passphrase(ctx, passphrase, err);
}

const struct lv_keysrc_ops lv_keysrc_nodeID = {
	.name = "nodeID",
	.new_key = nodeid_new_key,
	.get_key = nodeid_get_key,
};
