/* SPDX-License-Identifier: ISC */
/*
 * pin_tang.c: the tang pin (tokens-clevis-systemd.md §1.3, §1.4), as
 * clevis-encrypt-tang and clevis-decrypt-tang do it.  Encryption is ECDH-ES
 * to the server's exchange key, from its verified advertisement; decryption
 * is the McCallum-Relyea exchange, in which the server sees only a blinded
 * point and never the key.  libjose does the elliptic-curve work ("ECMR").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/constants.h"
#include "clevis/engine.h"
#include "clevis/http.h"

#define TANG_ADV_MAX (64u << 10)
#define TANG_REPLY_MAX 4096

/* http or https, printable, no spaces: the URL comes from a header. */
static int check_url(const char *url, struct lv_err *err)
{
	char why[100];
	const char *problem;

	if (!url)
		return lv_err_set(err, -EINVAL, "tang: no \"url\"");
	problem = lv_tang_url_problem(url, why, sizeof(why));
	if (problem && strncmp(problem, "is not http", 11) == 0)
		return lv_err_set(err, -EINVAL, "tang url \"%.64s\" %s", url, problem);
	return problem ? lv_err_set(err, -EINVAL, "tang: the url %s", problem) : 0;
}

static int ctx_cancelled(const void *ctx)
{
	return clevis_ctx_cancelled(ctx);
}

/* url + path + name (clevis joins them the same way: tang accepts the
 * double slash of a url ending in '/').  Errors name the server and what
 * was asked of it. */
static int tang_request(struct clevis_ctx *ctx, const char *url, const char *path,
			const char *name, const char *body, uint8_t **reply, size_t *reply_len,
			size_t reply_max, long *status, struct lv_err *err)
{
	const char *what = body ? "key recovery" : "advertisement";
	struct lv_http_request req = {
		.content_type = body ? "application/jwk+json" : NULL,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.reply_max = reply_max,
		.timeout_ms = ctx->timeout_ms,
		.cancelled = ctx_cancelled,
		.cancel_ctx = ctx,
	};
	char *full, prefix[LV_TANG_URL_MAX + 64];
	int r;

	/* An sss that has its shares starts no more requests. */
	if (clevis_ctx_cancelled(ctx))
		return lv_err_set(err, -ECANCELED, "tang server %s (%s): cancelled", url, what);
	if (asprintf(&full, "%s%s%s", url, path, name) < 0)
		return lv_err_set(err, -ENOMEM, "out of memory");
	req.url = full;
	r = lv_http_request(&req, reply, reply_len, status, err);
	if (r < 0) {
		snprintf(prefix, sizeof(prefix), "tang server %s (%s)", url, what);
		lv_err_prefix(err, prefix);
	}
	free(full);
	return r;
}

/* ---- decryption --------------------------------------------------------- */

struct tang_binding {
	const char *url, *kid, *crv;
	const json_t *epk;		/* the client's public key C */
	json_t *server_key;		/* S, the advertised key kid names */
};

static int binding_load(struct clevis_ctx *ctx, const json_t *hdr, struct tang_binding *b,
			struct lv_err *err)
{
	const json_t *tang = jget(jget(hdr, "clevis"), "tang");
	const json_t *adv = jget(tang, "adv"), *key;
	int r;

	memset(b, 0, sizeof(*b));
	b->url = jget_str(tang, "url");
	b->kid = jget_str(hdr, "kid");
	b->epk = jget(hdr, "epk");
	b->crv = jget_str(b->epk, "crv");
	r = check_url(b->url, err);
	if (r < 0)
		return r;
	if (!b->kid || !json_is_object(adv))
		return lv_err_set(err, -EINVAL, "tang JWE: no \"%s\" in the header",
				  b->kid ? "clevis.tang.adv" : "kid");
	if (!b->crv || strcmp(jget_str(b->epk, "kty") ? jget_str(b->epk, "kty") : "", "EC") != 0)
		return lv_err_set(err, -EINVAL, "tang JWE: \"epk\" is not an EC public key");
	key = tang_keys_find(ctx, adv, b->kid);
	if (!key)
		return lv_err_set(err, -EINVAL, "tang JWE: kid %.64s is the thumbprint of no key "
				  "in clevis.tang.adv", b->kid);
	if (!jget_str(key, "crv") || strcmp(jget_str(key, "crv"), b->crv) != 0)
		return lv_err_set(err, -EINVAL, "tang JWE: the server key and epk are on other curves");
	b->server_key = json_deep_copy(key);
	if (!b->server_key || !jose_jwk_pub(ctx->cfg, b->server_key))
		return lv_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* X = C + E for a fresh e: the server only ever sees X. */
static int blind(struct clevis_ctx *ctx, const struct tang_binding *b, json_t **eph, char **body,
		 struct lv_err *err)
{
	json_t *x = NULL;

	*body = NULL;
	*eph = json_pack("{s:s,s:s}", "alg", "ECMR", "crv", b->crv);
	if (!*eph || !jose_jwk_gen(ctx->cfg, *eph))
		return lv_err_set(err, -EINVAL, "tang JWE: cannot make a key on curve %.16s",
				  b->crv);
	x = jose_jwk_exc(ctx->cfg, b->epk, *eph);
	if (x && json_object_set_new(x, "alg", json_string("ECMR")) == 0)
		*body = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(x);
	if (!*body)
		return lv_err_set(err, -EINVAL, "tang JWE: \"epk\" is not a point of %.16s%s%s",
				  b->crv, ctx->jose_msg[0] ? ": " : "", ctx->jose_msg);
	return 0;
}

/* The reply Y = sX must be an EC point on our curve. */
static int parse_reply(const struct tang_binding *b, const uint8_t *reply, size_t len,
		       json_t **y, struct lv_err *err)
{
	*y = json_loadb((const char *)reply, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*y) || !jget_str(*y, "kty") || strcmp(jget_str(*y, "kty"), "EC") != 0 ||
	    !jget_str(*y, "crv") || strcmp(jget_str(*y, "crv"), b->crv) != 0)
		return lv_err_set(err, -EPROTO, "tang server %s: the key recovery reply is not an "
				  "EC key on %.16s", b->url, b->crv);
	return 0;
}

/* K = Y - eS = sC, the key ECDH-ES derived at encryption. */
static json_t *unblind(struct clevis_ctx *ctx, const struct tang_binding *b, const json_t *eph,
		       json_t *y)
{
	json_t *es = jose_jwk_exc(ctx->cfg, eph, b->server_key), *k = NULL;

	if (es && json_object_set_new(es, "alg", json_string("ECMR")) == 0 &&
	    jose_jwk_pub(ctx->cfg, y))
		k = jose_jwk_exc(ctx->cfg, y, es);
	json_decref(es);
	return k;
}

static int recover_key(struct clevis_ctx *ctx, const struct tang_binding *b, json_t **k,
		       struct lv_err *err)
{
	json_t *eph = NULL, *y = NULL;
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	char *body = NULL;
	int r = blind(ctx, b, &eph, &body, err);

	*k = NULL;
	if (r == 0)
		r = tang_request(ctx, b->url, "/rec/", b->kid, body, &reply, &reply_len,
				 TANG_REPLY_MAX, NULL, err);
	if (r == 0)
		r = parse_reply(b, reply, reply_len, &y, err);
	if (r == 0) {
		*k = unblind(ctx, b, eph, y);
		if (!*k)
			r = lv_err_set(err, -EPROTO, "tang server %s: the reply is not a point of %.16s",
				       b->url, b->crv);
	}
	free(body);
	free(reply);
	json_decref(y);
	json_decref(eph);
	return r;
}

static int tang_decrypt(struct clevis_ctx *ctx, const json_t *jwe, const json_t *hdr,
			struct lv_secret **plaintext, struct lv_err *err)
{
	char prefix[LV_TANG_URL_MAX + 16];
	struct tang_binding b;
	json_t *k = NULL, *cek = NULL;
	int r = binding_load(ctx, hdr, &b, err);

	if (r == 0)
		r = recover_key(ctx, &b, &k, err);
	if (r == 0) {
		cek = jose_jwe_dec_jwk(ctx->cfg, jwe, NULL, k);
		if (!cek)
			r = lv_err_set(err, -EINVAL, "tang JWE: cannot derive the content key: %s",
				       ctx->jose_msg[0] ? ctx->jose_msg : "bad \"alg\" or \"enc\"");
	}
	if (r == 0)
		r = clevis_jwe_open(ctx, jwe, cek, plaintext, err);
	if (r == -EPERM) {
		snprintf(prefix, sizeof(prefix), "tang server %s", b.url);
		lv_err_prefix(err, prefix);
	}
	json_decref(cek);
	json_decref(k);
	json_decref(b.server_key);
	return r;
}

/* ---- encryption --------------------------------------------------------- */

static int read_adv_file(const char *path, char **text, size_t *len, struct lv_err *err)
{
	/* O_NONBLOCK: a FIFO must not hang the open before fstat refuses it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	*text = NULL;
	if (fd < 0)
		return lv_err_set(err, -errno, "tang adv file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)TANG_ADV_MAX) {
		close(fd);
		return lv_err_set(err, -EINVAL, "tang adv file %s: not a regular file of at most %u "
				  "bytes", path, TANG_ADV_MAX);
	}
	*text = malloc((size_t)st.st_size + 1);
	n = *text ? read(fd, *text, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(*text);
		*text = NULL;
		return lv_err_set(err, -EIO, "tang adv file %s: cannot read it", path);
	}
	*len = (size_t)n;
	return 0;
}

/* The advertisement: "adv" of the config (a JWS object, or a file holding
 * one), else GET url/adv/thp.  *from_config tells which. */
static int fetch_adv(struct clevis_ctx *ctx, const json_t *config, const char *url,
		     const char *thp, struct tang_adv *adv, int *from_config, struct lv_err *err)
{
	const json_t *given = jget(config, "adv");
	char *text = NULL;
	size_t len = 0;
	long status = 0;
	int r;

	*from_config = given != NULL;
	if (json_is_object(given))
		return tang_adv_from_json(ctx, given, adv, err);
	if (json_is_string(given))
		r = read_adv_file(json_string_value(given), &text, &len, err);
	else if (given)
		return lv_err_set(err, -EINVAL, "tang config: \"adv\" is not an object or a file name");
	else
		r = tang_request(ctx, url, "/adv/", thp ? thp : "", NULL, (uint8_t **)&text, &len,
				 TANG_ADV_MAX, &status, err);
	/* tang answers 404 for a thumbprint it has no key for. */
	if (r == -EPROTO && status == 404 && thp)
		r = lv_err_set(err, -EPERM, "tang server %s: has no signing key with thumbprint "
			       "%.64s", url, thp);
	if (r == 0)
		r = tang_adv_parse(ctx, text, len, adv, err);
	free(text);
	return r;
}

/* A thumbprint given must name a signing key; otherwise an advertisement
 * from the network is trusted only when asked to (clevis -y) or when the
 * trust callback says so. */
static int check_trust(struct clevis_ctx *ctx, const char *url, const char *thp,
		       const struct tang_adv *adv, int from_config, struct lv_err *err)
{
	const char *listed[16];
	json_t *thumbprints;
	size_t count = 0;
	int trusted;

	if (thp)
		return tang_adv_signed_by(ctx, adv, thp) ? 0 :
			lv_err_set(err, -EPERM, "tang server %s: thumbprint %.64s names no key that "
				   "signed the advertisement", url, thp);
	if (from_config || ctx->opts->trust_any)
		return 0;
	thumbprints = tang_adv_signing_thumbprints(ctx, adv);
	if (!thumbprints)
		return lv_err_set(err, -ENOMEM, "out of memory");
	while (count < json_array_size(thumbprints) && count < 16) {
		listed[count] = json_string_value(json_array_get(thumbprints, count));
		count++;
	}
	trusted = ctx->opts->trust && ctx->opts->trust(ctx->opts->trust_ctx, url, listed, count) == 1;
	if (!trusted)
		lv_err_set(err, -EPERM, "tang server %s: its signing key %s is not trusted (give its "
			   "thumbprint, or trust it)", url, listed[0]);
	json_decref(thumbprints);
	return trusted ? 0 : -EPERM;
}

/* The protected header clevis writes, before libjose adds "epk". */
static json_t *tang_header(const char *url, const struct tang_adv *adv, json_t *kid)
{
	return json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:O}},s:o}", "alg", "ECDH-ES", "enc", "A256GCM",
			 "clevis", "pin", "tang", "tang", "url", url, "adv", adv->keys, "kid", kid);
}

static int tang_encrypt(struct clevis_ctx *ctx, const json_t *config,
			struct clevis_recipient *recipient, struct lv_err *err)
{
	const char *url = jget_str(config, "url"), *thp = jget_str(config, "thp");
	struct tang_adv adv = { 0 };
	int from_config = 0;
	int r = check_url(url, err);

	if (r == 0 && jget(config, "thp") && !thp)
		r = lv_err_set(err, -EINVAL, "tang config: \"thp\" is not a string");
	if (r == 0)
		r = fetch_adv(ctx, config, url, thp, &adv, &from_config, err);
	if (r == 0)
		r = check_trust(ctx, url, thp, &adv, from_config, err);
	if (r == 0) {
		recipient->jwk = tang_adv_exchange_key(&adv);
		if (!recipient->jwk)
			r = lv_err_set(err, -EINVAL, "tang server %s: no exchange (deriveKey) key is "
				       "advertised", url);
	}
	if (r == 0) {
		recipient->header = tang_header(url, &adv,
						jose_jwk_thp(ctx->cfg, recipient->jwk, "S256"));
		recipient->cek = json_object();
		if (!recipient->header || !recipient->cek)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	}
	tang_adv_clear(&adv);
	return r;
}

static int tang_describe(const json_t *hdr, json_t **config, struct lv_err *err)
{
	const char *url = jget_str(jget(jget(hdr, "clevis"), "tang"), "url");

	*config = url ? json_pack("{s:s}", "url", url) : NULL;
	if (!url)
		return lv_err_set(err, -EINVAL, "tang JWE: no clevis.tang.url");
	return *config ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

const struct clevis_pin_ops clevis_pin_tang = {
	.name = "tang",
	.decrypt = tang_decrypt,
	.encrypt = tang_encrypt,
	.describe = tang_describe,
};
