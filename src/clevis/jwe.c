/* SPDX-License-Identifier: ISC */
/*
 * jwe.c: clevis JWEs: the compact serialization, the protected header's
 * "clevis" member and its pin table, and the content encryption every pin
 * shares (libjose does the JOSE work).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "clevis/compact.h"
#include "clevis/engine.h"
#include "crypto/crypto.h"
#include "lv_features.h"

static const struct clevis_pin_ops *const pins[] = {
	&clevis_pin_tang,
#if LV_WITH_TPM
	&clevis_pin_tpm2,
#endif
	&clevis_pin_sss,
};

const struct clevis_pin_ops *clevis_pin_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(pins) / sizeof(pins[0]); i++)
		if (strcmp(pins[i]->name, name) == 0)
			return pins[i];
	return NULL;
}

static void on_jose_error(void *misc, const char *file, int line, uint64_t code,
			  const char *fmt, va_list ap)
{
	struct clevis_ctx *ctx = misc;

	(void)file, (void)line, (void)code;
	vsnprintf(ctx->jose_msg, sizeof(ctx->jose_msg), fmt, ap);
}

int clevis_ctx_init(struct clevis_ctx *ctx, const struct lv_clevis_opts *opts,
		    const struct clevis_ctx *parent, struct lv_err *err)
{
	static const struct lv_clevis_opts defaults = { 0 };

	memset(ctx, 0, sizeof(*ctx));
	if (lv_jose_load(err) < 0)
		return -ENOTSUP;
	ctx->opts = opts ? opts : &defaults;
	ctx->timeout_ms = ctx->opts->timeout_ms ? ctx->opts->timeout_ms : LV_CLEVIS_TIMEOUT_MS;
	ctx->parent = parent;
	ctx->depth = parent ? parent->depth + 1 : 0;
	atomic_init(&ctx->cancelled, 0);
	if (ctx->depth > CLEVIS_DEPTH_MAX)
		return lv_err_set(err, -EINVAL, "clevis: pins nested deeper than %d levels",
				  CLEVIS_DEPTH_MAX);
	ctx->cfg = jose_cfg();
	if (!ctx->cfg)
		return lv_err_set(err, -ENOMEM, "out of memory");
	jose_cfg_set_err_func(ctx->cfg, on_jose_error, ctx);
	return 0;
}

void clevis_ctx_fini(struct clevis_ctx *ctx)
{
	if (ctx->cfg)
		jose_cfg_decref(ctx->cfg);
	ctx->cfg = NULL;
}

int clevis_ctx_cancelled(const struct clevis_ctx *ctx)
{
	for (; ctx; ctx = ctx->parent)
		if (atomic_load(&ctx->cancelled))
			return 1;
	return 0;
}

/* The compact text as a flattened JWE object. */
static int compact_to_json(const char *text, size_t len, json_t *jwe, struct lv_err *err)
{
	struct jwe_span fields[JWE_FIELDS];
	int r = jwe_compact_split(text, len, fields, err);

	for (unsigned i = 0; r == 0 && i < JWE_FIELDS; i++)
		if (json_object_set_new(jwe, jwe_field_names[i],
					json_stringn(fields[i].text, fields[i].len)) < 0)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	return r;
}

int clevis_jwe_parse(const char *text, size_t len, json_t **jwe, json_t **hdr,
		     struct lv_err *err)
{
	int r;

	*jwe = *hdr = NULL;
	*jwe = json_object();
	if (!*jwe)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = compact_to_json(text, len, *jwe, err);
	if (r == 0) {
		*hdr = jose_b64_dec_load(jget(*jwe, "protected"));
		if (!json_is_object(*hdr))
			r = lv_err_set(err, -EINVAL, "clevis JWE: the protected header is not a JSON object");
	}
	/* clevis never compresses; libjose's inflate is best left unreached. */
	if (r == 0 && jget(*hdr, "zip"))
		r = lv_err_set(err, -EINVAL, "clevis JWE: compressed (\"zip\") JWEs are refused");
	if (r < 0) {
		json_decref(*jwe);
		json_decref(*hdr);
		*jwe = *hdr = NULL;
	}
	return r;
}

int clevis_hdr_pin(const json_t *hdr, const struct clevis_pin_ops **pin, struct lv_err *err)
{
	const char *name = jget_str(jget(hdr, "clevis"), "pin");

	*pin = NULL;
	if (!name)
		return lv_err_set(err, -EINVAL, "clevis JWE: the header has no clevis.pin");
	*pin = clevis_pin_find(name);
	if (!*pin)
		return lv_err_set(err, -ENOTSUP, "clevis JWE: pin \"%.64s\" is not supported", name);
	return 0;
}

int clevis_decrypt_jwe(struct clevis_ctx *ctx, const char *text, size_t len,
		       struct lv_secret **plaintext, struct lv_err *err)
{
	const struct clevis_pin_ops *pin;
	json_t *jwe, *hdr;
	int r;

	*plaintext = NULL;
	r = clevis_jwe_parse(text, len, &jwe, &hdr, err);
	if (r == 0)
		r = clevis_hdr_pin(hdr, &pin, err);
	if (r == 0)
		r = pin->decrypt(ctx, jwe, hdr, plaintext, err);
	json_decref(jwe);
	json_decref(hdr);
	return r;
}

int clevis_jwe_open(struct clevis_ctx *ctx, const json_t *jwe, const json_t *cek,
		    struct lv_secret **plaintext, struct lv_err *err)
{
	const json_t *ciphertext = jget(jwe, "ciphertext");
	size_t text_len = json_string_length(ciphertext), max, len;
	jose_io_t *out = NULL, *dec = NULL, *b64 = NULL;
	int r = 0;

	*plaintext = NULL;
	max = jose_b64_dec(ciphertext, NULL, 0);
	if (max == SIZE_MAX)
		return lv_err_set(err, -EINVAL, "clevis JWE: the ciphertext is not base64url");
	if (max > LV_CLEVIS_PLAINTEXT_MAX)
		return lv_err_set(err, -EINVAL, "clevis JWE: %zu bytes of ciphertext, more than %u",
				  max, LV_CLEVIS_PLAINTEXT_MAX);
	*plaintext = lv_secret_new(max);
	if (!*plaintext)
		return lv_err_set(err, -ENOMEM, "out of memory");
	len = max;
	out = jose_io_buffer(ctx->cfg, (*plaintext)->bytes, &len);
	dec = out ? jose_jwe_dec_cek_io(ctx->cfg, jwe, cek, out) : NULL;
	b64 = dec ? jose_b64_dec_io(dec) : NULL;
	if (!b64)
		r = lv_err_set(err, out ? -EINVAL : -ENOMEM, "clevis JWE: cannot decrypt: %s",
			       ctx->jose_msg[0] ? ctx->jose_msg : "unsupported \"enc\"");
	else if (!b64->feed(b64, json_string_value(ciphertext), text_len) || !b64->done(b64))
		r = lv_err_set(err, -EPERM, "clevis JWE: does not decrypt with the key recovered "
			       "(authentication tag mismatch)");
	jose_io_decref(b64);
	jose_io_decref(dec);
	jose_io_decref(out);
	if (r < 0)
		lv_secret_free(plaintext);
	else
		(*plaintext)->len = len;
	return r;
}

/* With a recipient key: libjose wraps (or, for ECDH-ES, derives) the
 * content key, then every header goes into the protected one, as `jose jwe
 * enc -c` does, since the compact form has no other. */
static int wrap_key(struct clevis_ctx *ctx, json_t *jwe, const json_t *jwk, json_t *cek)
{
	json_t *rcp = json_object(), *merged;
	int ok = rcp && jose_jwe_enc_jwk(ctx->cfg, jwe, rcp, jwk, cek);

	json_decref(rcp);
	if (!ok)
		return -EINVAL;
	merged = jose_jwe_hdr(jwe, jwe);
	if (!merged || json_object_set_new(jwe, "protected", merged) < 0)
		return -ENOMEM;
	json_object_del(jwe, "unprotected");
	json_object_del(jwe, "header");
	return 0;
}

void clevis_recipient_clear(struct clevis_recipient *recipient)
{
	json_decref(recipient->header);
	json_decref(recipient->jwk);
	json_decref(recipient->cek);
	memset(recipient, 0, sizeof(*recipient));
}

/* A flattened JWE of plaintext for the recipient. */
static int seal(struct clevis_ctx *ctx, struct clevis_recipient *recipient,
		const struct lv_secret *plaintext, json_t **jwe, struct lv_err *err)
{
	*jwe = json_pack("{s:O}", "protected", recipient->header);
	if (!*jwe)
		return lv_err_set(err, -ENOMEM, "out of memory");
	if (recipient->jwk && wrap_key(ctx, *jwe, recipient->jwk, recipient->cek) < 0)
		return lv_err_set(err, -EINVAL, "clevis: cannot derive the content key: %s",
				  ctx->jose_msg[0] ? ctx->jose_msg : "libjose refused the key");
	if (!jose_jwe_enc_cek(ctx->cfg, *jwe, recipient->cek, plaintext->bytes, plaintext->len))
		return lv_err_set(err, -EINVAL, "clevis: cannot encrypt: %s",
				  ctx->jose_msg[0] ? ctx->jose_msg : "libjose failed");
	return 0;
}

json_t *clevis_oct_jwk(const struct lv_secret *key, const char *alg)
{
	size_t text_len = jose_b64_enc_buf(NULL, key->len, NULL, 0);
	struct lv_secret *text = lv_secret_new(text_len);
	json_t *jwk = NULL;

	if (text && jose_b64_enc_buf(key->bytes, key->len, text->bytes, text_len) == text_len)
		jwk = alg ? json_pack("{s:s,s:s%,s:s}", "kty", "oct", "k", text->bytes, text_len,
				      "alg", alg)
			  : json_pack("{s:s,s:s%}", "kty", "oct", "k", text->bytes, text_len);
	lv_secret_free(&text);
	return jwk;
}

/* The flattened JWE as compact text; a header outside "protected" would be
 * lost, so there must be none. */
static int compact_join(const json_t *jwe, char **compact, struct lv_err *err)
{
	const char *fields[JWE_FIELDS];

	*compact = NULL;
	if (jget(jwe, "header") || jget(jwe, "unprotected") || jget(jwe, "recipients") ||
	    jget(jwe, "aad"))
		return lv_err_set(err, -EINVAL, "clevis: the JWE has no compact serialization");
	for (unsigned i = 0; i < JWE_FIELDS; i++)
		fields[i] = jget_str(jwe, jwe_field_names[i]);
	/* Direct key agreement and "dir" have no encrypted key at all. */
	if (!fields[JWE_ENCRYPTED_KEY])
		fields[JWE_ENCRYPTED_KEY] = "";
	return jwe_compact_join(fields, compact, err);
}

int clevis_encrypt_pin(struct clevis_ctx *ctx, const char *pin_name, const json_t *config,
		       const struct lv_secret *plaintext, char **compact, struct lv_err *err)
{
	const struct clevis_pin_ops *pin = clevis_pin_find(pin_name);
	struct clevis_recipient recipient = { 0 };
	json_t *jwe = NULL;
	int r;

	*compact = NULL;
	if (!pin)
		return lv_err_set(err, -ENOTSUP, "clevis: pin \"%.64s\" is not supported", pin_name);
	if (!json_is_object(config))
		return lv_err_set(err, -EINVAL, "clevis %s: the config is not a JSON object",
				  pin->name);
	if (plaintext->len > LV_CLEVIS_PLAINTEXT_MAX)
		return lv_err_set(err, -EINVAL, "clevis: %zu bytes of plaintext, more than %u",
				  plaintext->len, LV_CLEVIS_PLAINTEXT_MAX);
	r = pin->encrypt(ctx, config, &recipient, err);
	if (r == 0)
		r = seal(ctx, &recipient, plaintext, &jwe, err);
	if (r == 0)
		r = compact_join(jwe, compact, err);
	json_decref(jwe);
	clevis_recipient_clear(&recipient);
	return r;
}

int clevis_describe_jwe(const char *text, size_t len, json_t **pin_and_config,
			struct lv_err *err)
{
	const struct clevis_pin_ops *pin;
	json_t *jwe, *hdr, *config = NULL;
	int r;

	*pin_and_config = NULL;
	r = clevis_jwe_parse(text, len, &jwe, &hdr, err);
	if (r == 0)
		r = clevis_hdr_pin(hdr, &pin, err);
	if (r == 0)
		r = pin->describe(hdr, &config, err);
	if (r == 0) {
		*pin_and_config = json_pack("[so]", pin->name, config);
		if (!*pin_and_config)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	}
	json_decref(jwe);
	json_decref(hdr);
	return r;
}

int lv_clevis_passphrase_new(struct lv_secret **passphrase, struct lv_err *err)
{
	struct lv_secret *random = NULL;
	size_t len;
	int r = lv_jose_load(err);

	*passphrase = NULL;
	if (r < 0)
		return r;
	random = lv_secret_new(LV_CLEVIS_PASSPHRASE_BYTES);
	len = jose_b64_enc_buf(NULL, LV_CLEVIS_PASSPHRASE_BYTES, NULL, 0);
	r = random ? lv_random(random->bytes, random->len) : -ENOMEM;
	if (r == 0) {
		*passphrase = lv_secret_new(len);
		if (!*passphrase)
			r = -ENOMEM;
		else if (jose_b64_enc_buf(random->bytes, random->len, (*passphrase)->bytes, len) != len)
			r = -EIO;
	}
	if (r < 0) {
		lv_secret_free(passphrase);
		lv_err_set(err, r, "cannot make a passphrase: %s", strerror(-r));
	}
	lv_secret_free(&random);
	return r;
}

int lv_clevis_decrypt(const char *jwe, size_t jwe_len, const struct lv_clevis_opts *opts,
		      struct lv_secret **plaintext, struct lv_err *err)
{
	struct clevis_ctx ctx;
	int r = clevis_ctx_init(&ctx, opts, NULL, err);

	*plaintext = NULL;
	if (r == 0)
		r = clevis_decrypt_jwe(&ctx, jwe, jwe_len, plaintext, err);
	clevis_ctx_fini(&ctx);
	return r;
}

int lv_clevis_encrypt(const char *pin, const char *config, const struct lv_secret *plaintext,
		      const struct lv_clevis_opts *opts, char **jwe, struct lv_err *err)
{
	struct clevis_ctx ctx;
	json_error_t parse_error;
	json_t *cfg = NULL;
	int r = clevis_ctx_init(&ctx, opts, NULL, err);

	*jwe = NULL;
	if (r == 0) {
		cfg = json_loads(config, JSON_REJECT_DUPLICATES, &parse_error);
		if (!cfg)
			r = lv_err_set(err, -EINVAL, "clevis %.32s config: %s (column %d)", pin,
				       parse_error.text, parse_error.column);
	}
	if (r == 0)
		r = clevis_encrypt_pin(&ctx, pin, cfg, plaintext, jwe, err);
	json_decref(cfg);
	clevis_ctx_fini(&ctx);
	return r;
}

int lv_clevis_describe(const char *jwe, size_t jwe_len, char **text, struct lv_err *err)
{
	json_t *described;
	char *config = NULL;
	int r;

	*text = NULL;
	r = lv_jose_load(err);
	if (r == 0)
		r = clevis_describe_jwe(jwe, jwe_len, &described, err);
	if (r < 0)
		return r;
	config = json_dumps(json_array_get(described, 1), JSON_COMPACT);
	if (config && asprintf(text, "%s '%s'", json_string_value(json_array_get(described, 0)),
			       config) < 0)
		*text = NULL;
	free(config);
	json_decref(described);
	return *text ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}
