/* SPDX-License-Identifier: ISC */
/* kms.c: Seal and Unseal, and Talos's NewKey / GetKey on top of them (§2.3). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "kms/grpc.h"
#include "kms/kms.h"
#include "luks2/metadata.h"

#define SEAL_METHOD "/sidero.kms.KMSService/Seal"
#define UNSEAL_METHOD "/sidero.kms.KMSService/Unseal"

/* "kms <endpoint>: <verb>: " in front of whatever failed. */
static int name_failure(const struct lv_kms_server *srv, const char *verb, int r,
			struct lv_err *err)
{
	char shown[128], prefix[160];

	lv_kms_printable(shown, sizeof(shown), srv->endpoint ? srv->endpoint : "",
			 srv->endpoint ? strlen(srv->endpoint) : 0);
	snprintf(prefix, sizeof(prefix), "kms %s: %s", shown, verb);
	lv_err_prefix(err, prefix);
	return r;
}

/* One call: parse the endpoint, frame the request, POST it. */
static int kms_call(const struct lv_kms_server *srv, const char *method, const char *node_uuid,
		    const uint8_t *data, size_t data_len, struct lv_secret **reply,
		    struct lv_err *err)
{
	struct lv_kms_endpoint ep;
	struct lv_secret *frame = NULL;
	unsigned timeout_ms = srv->timeout_ms ? srv->timeout_ms : LV_KMS_TIMEOUT_MS;
	int r;

	*reply = NULL;
	r = lv_kms_endpoint_parse(srv->endpoint, &ep, err);
	if (r < 0)
		return r;
	r = lv_grpc_request_frame(node_uuid, data, data_len, &frame, err);
	if (r == 0)
		r = lv_grpc_unary(&ep, srv->ca_file, method, frame, timeout_ms, reply, err);
	lv_secret_free(&frame);
	return r;
}

int lv_kms_seal(const struct lv_kms_server *srv, const char *node_uuid,
		const struct lv_secret *key, uint8_t **sealed, size_t *sealed_len,
		struct lv_err *err)
{
	struct lv_secret *reply = NULL;
	int r;

	*sealed = NULL;
	*sealed_len = 0;
	r = kms_call(srv, SEAL_METHOD, node_uuid, key->bytes, key->len, &reply, err);
	if (r == 0 && (reply->len == 0 || reply->len > LV_KMS_SEALED_MAX))
		r = lv_err_set(err, -EPROTO, "sealed data of %zu bytes (1 to %d expected)",
			       reply->len, LV_KMS_SEALED_MAX);
	if (r == 0 && !(*sealed = malloc(reply->len)))
		r = lv_err_set(err, -ENOMEM, "out of memory");
	if (r == 0) {
		memcpy(*sealed, reply->bytes, reply->len);
		*sealed_len = reply->len;
	}
	lv_secret_free(&reply);
	return r < 0 ? name_failure(srv, "Seal", r, err) : 0;
}

int lv_kms_unseal(const struct lv_kms_server *srv, const char *node_uuid,
		  const uint8_t *sealed, size_t sealed_len, struct lv_secret **key,
		  struct lv_err *err)
{
	int r;

	*key = NULL;
	r = kms_call(srv, UNSEAL_METHOD, node_uuid, sealed, sealed_len, key, err);
	if (r == 0 && (*key)->len != LV_KMS_KEY_BYTES) {
		r = lv_err_set(err, -EPROTO, "unsealed %zu bytes, a Talos KMS key has %d",
			       (*key)->len, LV_KMS_KEY_BYTES);
		lv_secret_free(key);
	}
	return r < 0 ? name_failure(srv, "Unseal", r, err) : 0;
}

int lv_kms_passphrase(const struct lv_secret *key, struct lv_secret **passphrase)
{
	size_t len = lv_base64_encoded_len(key->len);
	struct lv_secret *out = lv_secret_new(len + 1);	/* the encoder's NUL */

	*passphrase = NULL;
	if (!out)
		return -ENOMEM;
	lv_base64_encode(key->bytes, key->len, (char *)out->bytes);
	out->bytes[len] = 0;
	out->len = len;
	*passphrase = out;
	return 0;
}

int lv_kms_enrol(const struct lv_kms_server *srv, const char *node_uuid,
		 struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	struct lv_secret *key = lv_secret_new(LV_KMS_KEY_BYTES);
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	int r;

	*passphrase = NULL;
	*token_json = NULL;
	if (!key)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = lv_random(key->bytes, key->len);
	if (r < 0)
		r = lv_err_set(err, r, "kms: no random bytes for a new key");
	if (r == 0)
		r = lv_kms_seal(srv, node_uuid, key, &sealed, &sealed_len, err);
	if (r == 0 && !(*token_json = lv_kms_token_encode(sealed, sealed_len)))
		r = lv_err_set(err, -ENOMEM, "out of memory");
	if (r == 0 && lv_kms_passphrase(key, passphrase) < 0)
		r = lv_err_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		free(*token_json);
		*token_json = NULL;
	}
	free(sealed);
	lv_secret_free(&key);
	return r;
}

int lv_kms_open(const struct lv_kms_server *srv, const char *node_uuid,
		const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	struct lv_secret *key = NULL;
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	int r;

	*passphrase = NULL;
	r = lv_kms_token_decode(token_json, &sealed, &sealed_len, err);
	if (r == 0)
		r = lv_kms_unseal(srv, node_uuid, sealed, sealed_len, &key, err);
	if (r == 0 && lv_kms_passphrase(key, passphrase) < 0)
		r = lv_err_set(err, -ENOMEM, "out of memory");
	free(sealed);
	lv_secret_free(&key);
	return r;
}
