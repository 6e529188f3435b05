/* SPDX-License-Identifier: ISC */
/*
 * tang_adv.c: a tang server's advertisement (tokens-clevis-systemd.md §1.4):
 * a JWS, flattened or general, whose payload is the JWK set {"keys":[...]}
 * of the server's signing (verify) and exchange (deriveKey) public keys.
 * It is trusted only when every signing key it lists signed it.
 */
#include <errno.h>

#include "clevis/engine.h"

void tang_adv_clear(struct tang_adv *adv)
{
	json_decref(adv->jws);
	json_decref(adv->keys);
	json_decref(adv->verify_keys);
	memset(adv, 0, sizeof(*adv));
}

/* The keys of payload that may be used for op ("verify", "deriveKey"):
 * key_ops or use must allow it (jose jwk use -r). */
static json_t *keys_for(struct clevis_ctx *ctx, const json_t *keys, const char *op)
{
	json_t *chosen = json_array();
	size_t i;
	json_t *key;

	if (!chosen)
		return NULL;
	json_array_foreach(keys, i, key) {
		if (json_is_object(key) && jose_jwk_prm(ctx->cfg, key, true, op) &&
		    json_array_append(chosen, key) < 0) {
			json_decref(chosen);
			return NULL;
		}
	}
	return chosen;
}

static int load_payload(const json_t *jws, json_t **keys, struct lv_err *err)
{
	const json_t *array;

	*keys = jose_b64_dec_load(jget(jws, "payload"));
	if (!json_is_object(*keys))
		return lv_err_set(err, -EINVAL, "tang advertisement: the payload is not a JSON object");
	array = jget(*keys, "keys");
	if (!json_is_array(array) || json_array_size(array) == 0)
		return lv_err_set(err, -EINVAL, "tang advertisement: the payload has no \"keys\"");
	return 0;
}

int tang_adv_from_json(struct clevis_ctx *ctx, const json_t *jws, struct tang_adv *adv,
		       struct lv_err *err)
{
	int r;

	memset(adv, 0, sizeof(*adv));
	if (!json_is_object(jws) || !json_is_string(jget(jws, "payload")))
		return lv_err_set(err, -EINVAL, "tang advertisement: not a JWS with a payload");
	adv->jws = json_incref((json_t *)jws);
	r = load_payload(jws, &adv->keys, err);
	if (r == 0) {
		adv->verify_keys = keys_for(ctx, jget(adv->keys, "keys"), "verify");
		if (!adv->verify_keys)
			r = lv_err_set(err, -ENOMEM, "out of memory");
		else if (json_array_size(adv->verify_keys) == 0)
			r = lv_err_set(err, -EPERM, "tang advertisement: no signing key in the payload");
	}
	/* With all set, each key must verify one of the signatures. */
	if (r == 0 && !jose_jws_ver(ctx->cfg, jws, NULL, adv->verify_keys, true))
		r = lv_err_set(err, -EPERM, "tang advertisement: not signed by every signing key "
			       "it lists%s%s", ctx->jose_msg[0] ? ": " : "", ctx->jose_msg);
	if (r < 0)
		tang_adv_clear(adv);
	return r;
}

int tang_adv_parse(struct clevis_ctx *ctx, const char *text, size_t len, struct tang_adv *adv,
		   struct lv_err *err)
{
	json_error_t parse_error;
	json_t *jws = json_loadb(text, len, JSON_REJECT_DUPLICATES, &parse_error);
	int r;

	memset(adv, 0, sizeof(*adv));
	if (!jws)
		return lv_err_set(err, -EINVAL, "tang advertisement: %s (column %d)",
				  parse_error.text, parse_error.column);
	r = tang_adv_from_json(ctx, jws, adv, err);
	json_decref(jws);
	return r;
}

static const json_t *find_by_thumbprint(struct clevis_ctx *ctx, const json_t *keys,
					const char *hash, const char *thumbprint)
{
	size_t i;
	json_t *key;

	json_array_foreach(keys, i, key) {
		json_t *thp = json_is_object(key) ? jose_jwk_thp(ctx->cfg, key, hash) : NULL;
		int same = thp && strcmp(json_string_value(thp), thumbprint) == 0;

		json_decref(thp);
		if (same)
			return key;
	}
	return NULL;
}

const json_t *tang_keys_find(struct clevis_ctx *ctx, const json_t *keys, const char *kid)
{
	const json_t *key;

	if (json_is_object(keys))
		keys = jget(keys, "keys");
	/* SHA-256 thumbprints since clevis 14; older bindings used SHA-1. */
	key = find_by_thumbprint(ctx, keys, "S256", kid);
	return key ? key : find_by_thumbprint(ctx, keys, "S1", kid);
}

int tang_adv_signed_by(struct clevis_ctx *ctx, const struct tang_adv *adv, const char *thumbprint)
{
	return tang_keys_find(ctx, adv->verify_keys, thumbprint) != NULL;
}

json_t *tang_adv_signing_thumbprints(struct clevis_ctx *ctx, const struct tang_adv *adv)
{
	json_t *thumbprints = json_array();
	size_t i;
	json_t *key;

	json_array_foreach(adv->verify_keys, i, key) {
		if (thumbprints &&
		    json_array_append_new(thumbprints, jose_jwk_thp(ctx->cfg, key, "S256")) < 0) {
			json_decref(thumbprints);
			thumbprints = NULL;
		}
	}
	return thumbprints;
}

json_t *tang_adv_exchange_key(const struct tang_adv *adv)
{
	const json_t *keys = jget(adv->keys, "keys");
	json_t *exchange = NULL;
	size_t i;
	json_t *key;

	json_array_foreach(keys, i, key) {
		if (json_is_object(key) && jose_jwk_prm(NULL, key, true, "deriveKey")) {
			exchange = json_deep_copy(key);
			break;
		}
	}
	/* clevis drops them: "deriveKey" would not allow wrapKey. */
	if (exchange) {
		json_object_del(exchange, "key_ops");
		json_object_del(exchange, "alg");
	}
	return exchange;
}
