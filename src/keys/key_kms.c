/* SPDX-License-Identifier: ISC */
/*
 * key_kms.c: kms keys (talos-encryption.md §2.3): 32 random bytes sealed
 * by the configured KMS for this node; the passphrase is base64 of them
 * and the sealed bytes live in the slot's sideroKMS token.  The engine is
 * src/kms; this file only ties it to a configured key and its time bound.
 */
#include <stdlib.h>
#include <string.h>

#include "keys/keysrc.h"
#include "kms/kms.h"

/* The engine's "token invalid" is the key sources' (sync replaces the slot). */
_Static_assert(LV_KMS_TOKEN_INVALID == LV_KEY_TOKEN_INVALID, "one token-invalid code");

/* What one configured kms key calls: its endpoint (checked once, in
 * init) and the CA file of the settings. */
struct kms_state {
	struct lv_kms_server server;
};

/* "kms <endpoint>: " in front of what init found wrong. */
static int name_endpoint(const char *endpoint, int r, struct lv_err *err)
{
	char shown[128], prefix[140];

	lv_kms_printable(shown, sizeof(shown), endpoint, strlen(endpoint));
	snprintf(prefix, sizeof(prefix), "kms %s", shown);
	lv_err_prefix(err, prefix);
	return r;
}

/* --kms-ca: a file that is missing or no PEM is a bad option, refused
 * before apply touches anything, not a KMS that fails. */
static int kms_check_settings(const struct lv_key_settings *settings, struct lv_err *err)
{
	if (!settings->kms_ca_file)
		return 0;
	return lv_kms_ca_check(settings->kms_ca_file, err);
}

static int kms_init(struct lv_key_context *ctx, const struct lv_config_key *key, void **state,
		    struct lv_err *err)
{
	const char *endpoint = key->kms.endpoint;
	struct lv_kms_endpoint parsed;
	struct kms_state *kms;
	int r;

	if (!endpoint || !endpoint[0])
		return lv_err_set(err, -EINVAL, "slot %d: kms key has no endpoint", key->slot);
	r = lv_kms_endpoint_parse(endpoint, &parsed, err);
	if (r < 0)
		return name_endpoint(endpoint, r, err);
	kms = calloc(1, sizeof(*kms));
	if (!kms)
		return lv_err_set(err, -ENOMEM, "out of memory");
	kms->server.endpoint = endpoint;
	kms->server.ca_file = ctx->settings->kms_ca_file;
	*state = kms;
	return 0;
}

/* The server for the next call: Talos gives one KMS call 10 s (or the
 * settings' kms_timeout_ms), and no call may outlive the key's bound. */
static int kms_server_now(const struct kms_state *kms, const struct lv_key_context *ctx,
			  struct lv_kms_server *server, struct lv_err *err)
{
	unsigned call_ms = ctx->settings->kms_timeout_ms ? ctx->settings->kms_timeout_ms :
			   LV_KMS_TIMEOUT_MS;
	unsigned left_ms = lv_keysrc_remaining_ms(ctx);

	if (left_ms == 0)
		return name_endpoint(kms->server.endpoint,
				     lv_err_set(err, -ETIMEDOUT, "no time left for the call"), err);
	*server = kms->server;
	server->timeout_ms = call_ms < left_ms ? call_ms : left_ms;
	return 0;
}

/* What every call needs: the node UUID it is made for, and the server
 * with this call's time bound. */
static int kms_call_setup(const struct kms_state *kms, struct lv_key_context *ctx,
			  struct lv_kms_server *server, struct lv_err *err)
{
	int r = lv_node_uuid_load(ctx, err);

	return r < 0 ? r : kms_server_now(kms, ctx, server, err);
}

static int kms_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
		       struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	struct lv_kms_server server;
	int r = kms_call_setup(state, ctx, &server, err);

	(void)key;
	return r < 0 ? r : lv_kms_enrol(&server, ctx->node_uuid, passphrase, token_json, err);
}

static int kms_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
		       const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	struct lv_kms_server server;
	int r = kms_call_setup(state, ctx, &server, err);

	(void)key;
	return r < 0 ? r : lv_kms_open(&server, ctx->node_uuid, token_json, passphrase, err);
}

static void kms_fini(void *state)
{
	free(state);
}

const struct lv_keysrc_ops lv_keysrc_kms = {
	.name = "kms",
	.token_type = LV_KMS_TOKEN_TYPE,
	.check_settings = kms_check_settings,
	.init = kms_init,
	.new_key = kms_new_key,
	.get_key = kms_get_key,
	.fini = kms_fini,
};
