/* SPDX-License-Identifier: ISC */
/*
 * engine.h: the inside of the clevis engine, its JOSE side: JWE objects are
 * libjose's (jansson json_t, flattened serialization), one ops table per
 * pin.  Both libraries are loaded on first use (jose_api.h): each entry
 * point of the engine calls lv_jose_load first.  Only src/clevis/ includes
 * it, and no file that includes it may use json-c (clevis_token.c is the
 * json-c side).
 */
#ifndef LV_CLEVIS_ENGINE_H
#define LV_CLEVIS_ENGINE_H

#include <stdatomic.h>
#include <string.h>

#include "clevis/clevis.h"
#include "clevis/jose_calls.h"

/*
 * libjansson and libjson-c both export json_object_get and
 * json_object_iter_next, and luksvol links json-c: a name jose_calls.h
 * does not redirect binds to json-c's function, whatever object it is
 * given.  These files use jget() (json_object_getn) and never iterate over
 * objects.
 */
#undef json_object_foreach
#undef json_object_foreach_safe
#undef json_object_keylen_foreach
#undef json_object_keylen_foreach_safe
#pragma GCC poison json_object_get json_object_iter_next json_object_foreach \
	json_object_foreach_safe json_object_keylen_foreach json_object_keylen_foreach_safe

static inline json_t *jget(const json_t *object, const char *key)
{
	return json_object_getn(object, key, strlen(key));
}

/* The string member key of object, or NULL when absent or not a string. */
static inline const char *jget_str(const json_t *object, const char *key)
{
	return json_string_value(jget(object, key));
}

#define CLEVIS_DEPTH_MAX 8		/* sss inside sss ... */

/* One decryption or encryption, and each sss child's own (threads). */
struct clevis_ctx {
	const struct lv_clevis_opts *opts;
	unsigned timeout_ms;
	unsigned depth;
	const struct clevis_ctx *parent;
	atomic_int cancelled;		/* set by the parent sss once it has enough */
	jose_cfg_t *cfg;		/* libjose errors land in jose_msg */
	char jose_msg[160];
};

int clevis_ctx_init(struct clevis_ctx *ctx, const struct lv_clevis_opts *opts,
		    const struct clevis_ctx *parent, struct lv_err *err);
void clevis_ctx_fini(struct clevis_ctx *ctx);
/* True once this context or one above it was cancelled. */
int clevis_ctx_cancelled(const struct clevis_ctx *ctx);

/* What a pin encrypts to: the JWE's protected header, and either a
 * recipient key (libjose derives or wraps the content key with it) or the
 * content key itself ("dir"). */
struct clevis_recipient {
	json_t *header;
	json_t *jwk;
	json_t *cek;
};

struct clevis_pin_ops {
	const char *name;
	/* hdr is the decoded protected header of jwe. */
	int (*decrypt)(struct clevis_ctx *ctx, const json_t *jwe, const json_t *hdr,
		       struct lv_secret **plaintext, struct lv_err *err);
	/* The recipient for config; every member set on success. */
	int (*encrypt)(struct clevis_ctx *ctx, const json_t *config,
		       struct clevis_recipient *recipient, struct lv_err *err);
	/* The pin's config as `clevis luks list` shows it (a new object). */
	int (*describe)(const json_t *hdr, json_t **config, struct lv_err *err);
};

extern const struct clevis_pin_ops clevis_pin_tang;
extern const struct clevis_pin_ops clevis_pin_sss;
extern const struct clevis_pin_ops clevis_pin_tpm2;	/* WITH_TPM builds only */

/* jwe.c: the pin table and what every pin shares. */
const struct clevis_pin_ops *clevis_pin_find(const char *name);
/* Compact text to a flattened JWE and its decoded protected header. */
int clevis_jwe_parse(const char *text, size_t len, json_t **jwe, json_t **hdr,
		     struct lv_err *err);
/* The pin named in a protected header's clevis.pin. */
int clevis_hdr_pin(const json_t *hdr, const struct clevis_pin_ops **pin, struct lv_err *err);
int clevis_decrypt_jwe(struct clevis_ctx *ctx, const char *text, size_t len,
		       struct lv_secret **plaintext, struct lv_err *err);
int clevis_encrypt_pin(struct clevis_ctx *ctx, const char *pin, const json_t *config,
		       const struct lv_secret *plaintext, char **compact, struct lv_err *err);
int clevis_describe_jwe(const char *text, size_t len, json_t **pin_and_config,
			struct lv_err *err);
/* Decrypts jwe's ciphertext with a content key (a "kty":"oct" JWK) into a
 * new secret; -EPERM when the tag does not verify. */
int clevis_jwe_open(struct clevis_ctx *ctx, const json_t *jwe, const json_t *cek,
		    struct lv_secret **plaintext, struct lv_err *err);
void clevis_recipient_clear(struct clevis_recipient *recipient);
/* A JWK {"kty":"oct","k":b64u(key)} (plus "alg" when alg is non-NULL). */
json_t *clevis_oct_jwk(const struct lv_secret *key, const char *alg);

/* tang_adv.c: a tang advertisement (a JWS of the server's public keys). */
struct tang_adv {
	json_t *jws;			/* the JWS as received */
	json_t *keys;			/* its payload, {"keys":[...]} */
	json_t *verify_keys;		/* the keys with "verify" in key_ops */
};
/* Parses a JWS (flattened or general serialization) whose payload is a JWK
 * set, and checks that every signing key of the payload signed it. */
int tang_adv_parse(struct clevis_ctx *ctx, const char *text, size_t len, struct tang_adv *adv,
		   struct lv_err *err);
int tang_adv_from_json(struct clevis_ctx *ctx, const json_t *jws, struct tang_adv *adv,
		       struct lv_err *err);
/* Whether thumbprint (S256, else S1) names one of adv's signing keys. */
int tang_adv_signed_by(struct clevis_ctx *ctx, const struct tang_adv *adv, const char *thumbprint);
/* The S256 thumbprints of the signing keys (a JSON array of strings). */
json_t *tang_adv_signing_thumbprints(struct clevis_ctx *ctx, const struct tang_adv *adv);
/* A copy of the first key usable for deriveKey, without key_ops and alg, as
 * clevis encrypts to it. */
json_t *tang_adv_exchange_key(const struct tang_adv *adv);
/* The key of keys whose thumbprint (S256, else S1) is kid, or NULL. */
const json_t *tang_keys_find(struct clevis_ctx *ctx, const json_t *keys, const char *kid);
void tang_adv_clear(struct tang_adv *adv);

#endif
