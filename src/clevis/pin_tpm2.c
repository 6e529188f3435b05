/* SPDX-License-Identifier: ISC */
/*
 * pin_tpm2.c: clevis's tpm2 pin (tokens-clevis-systemd.md §1.5), as
 * clevis-encrypt-tpm2 and clevis-decrypt-tpm2 do it with tpm2-tools, on the
 * TPM layer of src/tpm.  The content key, a JWK, is sealed under
 * tpm2-tools' default primary key (ecc or rsa, owner hierarchy) to
 * PolicyPCR(pcr_bank:pcr_ids) when PCRs are named, else to the empty auth
 * (userWithAuth); the JWE is "dir", A256GCM, with that key.  The header:
 *   {"alg":"dir","clevis":{"pin":"tpm2","tpm2":{"hash":"sha256",
 *    "jwk_priv":b64u(TPM2B_PRIVATE),"jwk_pub":b64u(TPM2B_PUBLIC),
 *    "key":"ecc","pcr_bank":"sha256","pcr_ids":"0,7"}},"enc":"A256GCM"}
 * pcr_bank and pcr_ids only with PCRs.  Built with WITH_CLEVIS and WITH_TPM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "clevis/engine.h"
#include "tpm/tpm.h"
#include "tpm/tpm_blob.h"

/* clevis's attributes of the sealed object; userWithAuth only without PCRs. */
#define SEALED_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA | \
		      TPMA_OBJECT_ADMINWITHPOLICY)
#define SEALED_JWK_MAX 128		/* a keyedhash object holds at most this */
#define PCR_IDS_TEXT_MAX (LV_TPM_PCR_COUNT * 3)

/* A TPM without a resource manager has room for few objects: one pin at a
 * time talks to it, even when an sss runs its children in parallel. */
static pthread_mutex_t tpm_lock = PTHREAD_MUTEX_INITIALIZER;

struct tpm2_binding {
	const char *key;			/* "ecc" or "rsa" */
	enum lv_tpm_primary primary;
	TPMI_ALG_HASH bank;
	uint32_t pcr_mask;			/* 0: no PCR policy */
	TPM2B_PRIVATE private_blob;
	TPM2B_PUBLIC public_blob;
};

static int check_hash(const char *hash, struct lv_err *err)
{
	if (!hash)
		return lv_err_set(err, -EINVAL, "tpm2 pin: no \"hash\"");
	if (strcmp(hash, "sha256") != 0)
		return lv_err_set(err, -ENOTSUP, "tpm2 pin: hash \"%.16s\" is not supported (sha256 "
				  "is)", hash);
	return 0;
}

static int primary_of(const char *key, struct tpm2_binding *b, struct lv_err *err)
{
	b->key = key;
	if (key && strcmp(key, "ecc") == 0)
		b->primary = LV_TPM_PRIMARY_TOOLS_ECC;
	else if (key && strcmp(key, "rsa") == 0)
		b->primary = LV_TPM_PRIMARY_TOOLS_RSA;
	else
		return lv_err_set(err, key ? -ENOTSUP : -EINVAL, "tpm2 pin: key \"%.16s\" is not "
				  "supported (ecc and rsa are)", key ? key : "");
	return 0;
}

/* "0,7" (or, in a config, ["0","7"] or [0,7]) into a mask. */
static int add_pcr(const char *text, size_t len, uint32_t *mask, struct lv_err *err)
{
	unsigned pcr = 0;

	if (len == 0 || len > 2)
		return lv_err_set(err, -EINVAL, "tpm2 pin: pcr_ids: \"%.*s\" is not a PCR number",
				  (int)len, text);
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return lv_err_set(err, -EINVAL, "tpm2 pin: pcr_ids: \"%.*s\" is not a PCR "
					  "number", (int)len, text);
		pcr = pcr * 10 + (unsigned)(text[i] - '0');
	}
	if (pcr >= LV_TPM_PCR_COUNT)
		return lv_err_set(err, -EINVAL, "tpm2 pin: pcr_ids: PCR %u is out of range 0-%d",
				  pcr, LV_TPM_PCR_COUNT - 1);
	*mask |= 1u << pcr;
	return 0;
}

static int pcr_ids_mask(const json_t *ids, uint32_t *mask, struct lv_err *err)
{
	char number[8];
	size_t i;
	json_t *item;
	int r = 0;

	*mask = 0;
	if (json_is_string(ids)) {
		const char *text = json_string_value(ids);

		for (const char *p = text; r == 0; p += strcspn(p, ",") + 1) {
			r = add_pcr(p, strcspn(p, ","), mask, err);
			if (!p[strcspn(p, ",")])
				break;
		}
		return r;
	}
	if (!json_is_array(ids) || json_array_size(ids) == 0)
		return lv_err_set(err, -EINVAL, "tpm2 pin: pcr_ids is not a list of PCRs");
	json_array_foreach(ids, i, item) {
		if (r == 0 && json_is_integer(item) && json_integer_value(item) >= 0 &&
		    json_integer_value(item) < 100) {
			snprintf(number, sizeof(number), "%d", (int)json_integer_value(item));
			r = add_pcr(number, strlen(number), mask, err);
		} else if (r == 0 && json_is_string(item)) {
			r = add_pcr(json_string_value(item), json_string_length(item), mask, err);
		} else if (r == 0) {
			r = lv_err_set(err, -EINVAL, "tpm2 pin: pcr_ids[%zu] is not a PCR number", i);
		}
	}
	return r;
}

/* ---- decryption --------------------------------------------------------- */

/* A base64url TPM2B blob of the header into bytes (at most max). */
static int blob_bytes(const json_t *b64, const char *name, uint8_t *out, size_t max, size_t *len,
		      struct lv_err *err)
{
	size_t n = json_is_string(b64) ? jose_b64_dec(b64, NULL, 0) : SIZE_MAX;

	if (n == SIZE_MAX || n > max || jose_b64_dec(b64, out, max) != n)
		return lv_err_set(err, -EINVAL, "tpm2 JWE: clevis.tpm2.%s is not a base64url blob "
				  "of at most %zu bytes", name, max);
	*len = n;
	return 0;
}

static int binding_load(const json_t *hdr, struct tpm2_binding *b, struct lv_err *err)
{
	const json_t *tpm2 = jget(jget(hdr, "clevis"), "tpm2"), *ids = jget(tpm2, "pcr_ids");
	uint8_t bytes[LV_TPM2B_PRIVATE_MAX > LV_TPM2B_PUBLIC_MAX ? LV_TPM2B_PRIVATE_MAX :
		      LV_TPM2B_PUBLIC_MAX];
	size_t len;
	int r;

	memset(b, 0, sizeof(*b));
	if (!json_is_object(tpm2))
		return lv_err_set(err, -EINVAL, "tpm2 JWE: no clevis.tpm2 object");
	if (!jget_str(hdr, "alg") || strcmp(jget_str(hdr, "alg"), "dir") != 0)
		return lv_err_set(err, -EINVAL, "tpm2 JWE: \"alg\" is not \"dir\"");
	r = check_hash(jget_str(tpm2, "hash"), err);
	if (r == 0)
		r = primary_of(jget_str(tpm2, "key"), b, err);
	if (r == 0 && ids) {
		r = json_is_string(ids) ? pcr_ids_mask(ids, &b->pcr_mask, err) :
			lv_err_set(err, -EINVAL, "tpm2 JWE: pcr_ids is not a string");
		if (r == 0 && lv_tpm_bank_from_name(jget_str(tpm2, "pcr_bank"), &b->bank) < 0)
			r = lv_err_set(err, -EINVAL, "tpm2 JWE: pcr_bank \"%.16s\" is not sha1, "
				       "sha256, sha384 or sha512", jget_str(tpm2, "pcr_bank") ?
				       jget_str(tpm2, "pcr_bank") : "");
	}
	if (r == 0)
		r = blob_bytes(jget(tpm2, "jwk_priv"), "jwk_priv", bytes, LV_TPM2B_PRIVATE_MAX, &len,
			       err);
	if (r == 0)
		r = lv_tpm2b_private_from_bytes(bytes, len, &b->private_blob,
						"tpm2 JWE: clevis.tpm2.jwk_priv", err);
	if (r == 0)
		r = blob_bytes(jget(tpm2, "jwk_pub"), "jwk_pub", bytes, LV_TPM2B_PUBLIC_MAX, &len,
			       err);
	if (r == 0)
		r = lv_tpm2b_public_from_bytes(bytes, len, &b->public_blob,
					       "tpm2 JWE: clevis.tpm2.jwk_pub", err);
	return r;
}

/* PolicyPCR over the current values; a digest other than the sealed
 * object's policy is a PCR that changed: said before the TPM refuses. */
static int satisfy_pcrs(struct lv_tpm *tpm, const struct tpm2_binding *b, ESYS_TR session,
			struct lv_err *err)
{
	const TPM2B_DIGEST *sealed = &b->public_blob.publicArea.authPolicy;
	char ids[PCR_IDS_TEXT_MAX];
	TPML_PCR_SELECTION selection;
	TPM2B_DIGEST digest;
	int r;

	lv_tpm_pcr_selection_bank(b->bank, b->pcr_mask, &selection);
	r = lv_tpm_policy_pcr(tpm, session, &selection, err);
	if (r == 0)
		r = lv_tpm_policy_get_digest(tpm, session, &digest, err);
	if (r == 0 && (digest.size != sealed->size ||
		       memcmp(digest.buffer, sealed->buffer, digest.size) != 0)) {
		lv_tpm_pcr_list(b->pcr_mask, ids, sizeof(ids));
		r = lv_tpm_err(tpm, err, -EPERM, "tpm2 pin: PCRs %s (%s) changed since the binding: "
			       "the key is sealed to other values", ids, lv_tpm_bank_name(b->bank));
	}
	return r;
}

static int unseal_jwk(const struct lv_clevis_opts *opts, const struct tpm2_binding *b,
		      struct lv_secret **sealed, struct lv_err *err)
{
	struct lv_tpm_object primary = LV_TPM_OBJECT_INIT, object = LV_TPM_OBJECT_INIT;
	ESYS_TR session = ESYS_TR_PASSWORD;
	struct lv_tpm *tpm = NULL;
	int r = lv_tpm_open(opts->tpm_tcti, &tpm, err);

	if (r == 0)
		r = lv_tpm_create_primary(tpm, b->primary, &primary, err);
	if (r == 0)
		r = lv_tpm_load(tpm, &primary, &b->private_blob, &b->public_blob, &object, err);
	if (r == 0 && b->pcr_mask) {
		r = lv_tpm_policy_session(tpm, primary.handle, &session, err);
		if (r == 0)
			r = satisfy_pcrs(tpm, b, session, err);
	}
	if (r == 0)
		r = lv_tpm_unseal(tpm, &object, session, primary.handle, sealed, err);
	/* Closing flushes the session, the object and the primary. */
	lv_tpm_close(&tpm);
	return r;
}

/* The unsealed JWK (clevis's has a trailing newline) as the content key. */
static int parse_cek(const struct lv_secret *sealed, json_t **cek, struct lv_err *err)
{
	*cek = json_loadb((const char *)sealed->bytes, sealed->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*cek) || !jget_str(*cek, "kty") ||
	    strcmp(jget_str(*cek, "kty"), "oct") != 0 || !jget_str(*cek, "k"))
		return lv_err_set(err, -EINVAL, "tpm2 pin: the unsealed data is not a symmetric JWK");
	return 0;
}

static int tpm2_decrypt(struct clevis_ctx *ctx, const json_t *jwe, const json_t *hdr,
			struct lv_secret **plaintext, struct lv_err *err)
{
	struct lv_secret *sealed = NULL;
	struct tpm2_binding b;
	json_t *cek = NULL;
	int r = binding_load(hdr, &b, err);

	if (r == 0) {
		pthread_mutex_lock(&tpm_lock);
		r = unseal_jwk(ctx->opts, &b, &sealed, err);
		pthread_mutex_unlock(&tpm_lock);
	}
	if (r == 0)
		r = parse_cek(sealed, &cek, err);
	if (r == 0)
		r = clevis_jwe_open(ctx, jwe, cek, plaintext, err);
	json_decref(cek);
	lv_secret_free(&sealed);
	return r;
}

/* ---- encryption --------------------------------------------------------- */

struct tpm2_config {
	struct tpm2_binding b;
	const json_t *pcr_digest;		/* b64u of the PCR values to seal to */
};

static int config_load(const json_t *config, struct tpm2_config *c, struct lv_err *err)
{
	const json_t *ids = jget(config, "pcr_ids");
	const char *bank = jget(config, "pcr_bank") ? jget_str(config, "pcr_bank") : "sha256";
	int r;

	memset(c, 0, sizeof(*c));
	r = check_hash(jget(config, "hash") ? jget_str(config, "hash") : "sha256", err);
	if (r == 0)
		r = primary_of(jget(config, "key") ? jget_str(config, "key") : "ecc", &c->b, err);
	if (r == 0 && lv_tpm_bank_from_name(bank, &c->b.bank) < 0)
		r = lv_err_set(err, -EINVAL, "tpm2 config: pcr_bank \"%.16s\" is not sha1, sha256, "
			       "sha384 or sha512", bank ? bank : "");
	if (r == 0 && ids)
		r = pcr_ids_mask(ids, &c->b.pcr_mask, err);
	c->pcr_digest = jget(config, "pcr_digest");
	if (r == 0 && c->pcr_digest && !c->b.pcr_mask)
		r = lv_err_set(err, -EINVAL, "tpm2 config: pcr_digest without pcr_ids");
	return r;
}

/* The values to seal to: the TPM's current ones, or pcr_digest's. */
static int policy_values(struct lv_tpm *tpm, const struct tpm2_config *c,
			 struct lv_tpm_pcr_values *values, struct lv_err *err)
{
	size_t digest_bytes = lv_tpm_bank_digest_bytes(c->b.bank), count = 0, i = 0;
	uint8_t bytes[LV_TPM_PCR_COUNT * LV_TPM_BANK_DIGEST_MAX];

	if (!c->pcr_digest)
		return lv_tpm_pcr_read_bank(tpm, c->b.bank, c->b.pcr_mask, values, err);
	for (int pcr = 0; pcr < LV_TPM_PCR_COUNT; pcr++)
		count += c->b.pcr_mask >> pcr & 1;
	if (!json_is_string(c->pcr_digest) ||
	    jose_b64_dec(c->pcr_digest, NULL, 0) != count * digest_bytes ||
	    jose_b64_dec(c->pcr_digest, bytes, sizeof(bytes)) != count * digest_bytes)
		return lv_err_set(err, -EINVAL, "tpm2 config: pcr_digest is not base64url of %zu "
				  "bytes (%zu PCRs of %s)", count * digest_bytes, count,
				  lv_tpm_bank_name(c->b.bank));
	memset(values, 0, sizeof(*values));
	values->bank = c->b.bank;
	values->mask = c->b.pcr_mask;
	for (int pcr = 0; pcr < LV_TPM_PCR_COUNT; pcr++)
		if (c->b.pcr_mask >> pcr & 1)
			memcpy(values->value[pcr], bytes + digest_bytes * i++, digest_bytes);
	return 0;
}

static int sealing_policy(struct lv_tpm *tpm, const struct tpm2_config *c, TPM2B_DIGEST *policy,
			  struct lv_err *err)
{
	struct lv_tpm_pcr_values values;
	TPML_PCR_SELECTION selection;
	struct lv_tpm_calc calc;
	TPM2B_DIGEST composite;
	int r;

	memset(policy, 0, sizeof(*policy));
	if (!c->b.pcr_mask)
		return 0;
	r = policy_values(tpm, c, &values, err);
	if (r == 0 && lv_tpm_pcr_values_composite(&values, &composite) < 0)
		r = lv_err_set(err, -EIO, "tpm2 pin: cannot hash the PCR values");
	lv_tpm_pcr_selection_bank(c->b.bank, c->b.pcr_mask, &selection);
	lv_tpm_calc_start(&calc);
	if (r == 0 && lv_tpm_calc_pcr(&calc, &selection, composite.buffer) < 0)
		r = lv_err_set(err, -EIO, "tpm2 pin: cannot compute the PCR policy");
	if (r == 0) {
		policy->size = sizeof(calc.digest);
		memcpy(policy->buffer, calc.digest, sizeof(calc.digest));
	}
	return r;
}

static int seal_jwk(const struct lv_clevis_opts *opts, struct tpm2_config *c,
		    const struct lv_secret *jwk_text, struct lv_err *err)
{
	struct lv_tpm_object primary = LV_TPM_OBJECT_INIT;
	TPMA_OBJECT attrs = SEALED_ATTRS | (c->b.pcr_mask ? 0 : TPMA_OBJECT_USERWITHAUTH);
	struct lv_tpm *tpm = NULL;
	TPM2B_DIGEST policy;
	int r = lv_tpm_open(opts->tpm_tcti, &tpm, err);

	if (r == 0)
		r = sealing_policy(tpm, c, &policy, err);
	if (r == 0)
		r = lv_tpm_create_primary(tpm, c->b.primary, &primary, err);
	if (r == 0)
		r = lv_tpm_seal(tpm, &primary, attrs, &policy, jwk_text, &c->b.private_blob,
				&c->b.public_blob, err);
	lv_tpm_close(&tpm);
	return r;
}

/* The content key as jose makes it ({"alg":"A256GCM","k":...,"key_ops":
 * ["encrypt","decrypt"],"kty":"oct"}), and its text as clevis seals it:
 * compact, sorted, a newline after (a bash here-string). */
static int make_cek(struct clevis_ctx *ctx, json_t **cek, struct lv_secret **text,
		    struct lv_err *err)
{
	const size_t flags = JSON_COMPACT | JSON_SORT_KEYS;
	size_t len;

	*text = NULL;
	*cek = json_pack("{s:s}", "alg", "A256GCM");
	if (!*cek || !jose_jwk_gen(ctx->cfg, *cek))
		return lv_err_set(err, -EIO, "tpm2 pin: cannot make a content key");
	len = json_dumpb(*cek, NULL, 0, flags);
	if (len == 0 || len + 1 > SEALED_JWK_MAX)
		return lv_err_set(err, -EIO, "tpm2 pin: the content key's JWK is %zu bytes", len);
	*text = lv_secret_new(len + 1);
	if (!*text)
		return lv_err_set(err, -ENOMEM, "out of memory");
	json_dumpb(*cek, (char *)(*text)->bytes, len, flags);
	(*text)->bytes[len] = '\n';
	return 0;
}

static json_t *blob_b64(const void *blob, int (*marshal)(const void *, uint8_t *, size_t, size_t *))
{
	uint8_t bytes[LV_TPM2B_PRIVATE_MAX > LV_TPM2B_PUBLIC_MAX ? LV_TPM2B_PRIVATE_MAX :
		      LV_TPM2B_PUBLIC_MAX];
	size_t len = 0;

	return marshal(blob, bytes, sizeof(bytes), &len) == 0 ? jose_b64_enc(bytes, len) : NULL;
}

static int marshal_private(const void *blob, uint8_t *buf, size_t max, size_t *len)
{
	return lv_tpm2b_private_to_bytes(blob, buf, max, len);
}

static int marshal_public(const void *blob, uint8_t *buf, size_t max, size_t *len)
{
	return lv_tpm2b_public_to_bytes(blob, buf, max, len);
}

/* clevis.tpm2 in clevis's members; pcr_bank and pcr_ids only with PCRs. */
static json_t *tpm2_header(const struct tpm2_binding *b)
{
	char ids[PCR_IDS_TEXT_MAX];
	json_t *tpm2 = json_pack("{s:s,s:o,s:o,s:s}", "hash", "sha256", "jwk_priv",
				 blob_b64(&b->private_blob, marshal_private), "jwk_pub",
				 blob_b64(&b->public_blob, marshal_public), "key", b->key);

	lv_tpm_pcr_list(b->pcr_mask, ids, sizeof(ids));
	if (tpm2 && b->pcr_mask &&
	    (json_object_set_new(tpm2, "pcr_bank", json_string(lv_tpm_bank_name(b->bank))) < 0 ||
	     json_object_set_new(tpm2, "pcr_ids", json_string(ids)) < 0)) {
		json_decref(tpm2);
		return NULL;
	}
	return tpm2 ? json_pack("{s:s,s:{s:s,s:o},s:s}", "alg", "dir", "clevis", "pin", "tpm2",
				"tpm2", tpm2, "enc", "A256GCM") : NULL;
}

static int tpm2_encrypt(struct clevis_ctx *ctx, const json_t *config,
			struct clevis_recipient *recipient, struct lv_err *err)
{
	struct lv_secret *jwk_text = NULL;
	struct tpm2_config c;
	int r = config_load(config, &c, err);

	if (r == 0)
		r = make_cek(ctx, &recipient->cek, &jwk_text, err);
	if (r == 0) {
		pthread_mutex_lock(&tpm_lock);
		r = seal_jwk(ctx->opts, &c, jwk_text, err);
		pthread_mutex_unlock(&tpm_lock);
	}
	if (r == 0) {
		recipient->header = tpm2_header(&c.b);
		if (!recipient->header)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	}
	lv_secret_free(&jwk_text);
	return r;
}

/* What `clevis luks list` prints: hash, key, pcr_bank, pcr_ids. */
static int tpm2_describe(const json_t *hdr, json_t **config, struct lv_err *err)
{
	static const char *const shown[] = { "hash", "key", "pcr_bank", "pcr_ids" };
	const json_t *tpm2 = jget(jget(hdr, "clevis"), "tpm2");

	*config = NULL;
	if (!json_is_object(tpm2))
		return lv_err_set(err, -EINVAL, "tpm2 JWE: no clevis.tpm2 object");
	*config = json_object();
	for (size_t i = 0; *config && i < sizeof(shown) / sizeof(shown[0]); i++) {
		if (jget_str(tpm2, shown[i]) &&
		    json_object_set(*config, shown[i], jget(tpm2, shown[i])) < 0) {
			json_decref(*config);
			*config = NULL;
		}
	}
	return *config ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

const struct clevis_pin_ops clevis_pin_tpm2 = {
	.name = "tpm2",
	.decrypt = tpm2_decrypt,
	.encrypt = tpm2_encrypt,
	.describe = tpm2_describe,
};
