/* SPDX-License-Identifier: ISC */
/*
 * pin_sss.c: the sss pin, Shamir's t-of-n over child pins (tang, tpm2,
 * sss), as clevis's clevis-encrypt-sss and clevis-decrypt-sss do it.  The
 * protected header is
 *   {"alg":"dir","clevis":{"pin":"sss","sss":{"jwe":[child JWEs, compact],
 *    "p":b64u(prime),"t":t}},"enc":"A256GCM"}
 * Each child JWE holds one point x || y; t points give the content key, the
 * polynomial's constant term.  Children are decrypted in parallel (one
 * thread each) until t of them succeed; the others are abandoned.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "clevis/engine.h"
#include "crypto/shamir.h"

#define SSS_KEY_BYTES 32		/* the A256GCM content key */
/* The child pins of a config, in the order clevis encrypts and lists them. */
static const char *const sss_pin_names[] = { "tang", "tpm2", "sss" };
#define SSS_PIN_NAMES (sizeof(sss_pin_names) / sizeof(sss_pin_names[0]))
#define SSS_CHILDREN_MAX LV_SHAMIR_THRESHOLD_MAX

struct sss_header {
	json_int_t t;
	const json_t *children;		/* the array of compact JWEs */
	uint8_t prime[LV_SHAMIR_BYTES_MAX];
	size_t bytes;
};

static int header_load(const json_t *hdr, struct sss_header *h, struct lv_err *err)
{
	const json_t *sss = jget(jget(hdr, "clevis"), "sss"), *t = jget(sss, "t");
	const json_t *p = jget(sss, "p");
	size_t n;

	memset(h, 0, sizeof(*h));
	h->children = jget(sss, "jwe");
	if (!json_is_integer(t) || !json_is_array(h->children) || !json_is_string(p))
		return lv_err_set(err, -EINVAL, "sss JWE: clevis.sss needs \"t\", \"p\" and \"jwe\"");
	h->t = json_integer_value(t);
	n = json_array_size(h->children);
	if (n == 0 || n > SSS_CHILDREN_MAX || h->t < 1 || (size_t)h->t > n)
		return lv_err_set(err, -EINVAL, "sss JWE: threshold %lld of %zu pins", (long long)h->t,
				  n);
	h->bytes = jose_b64_dec(p, NULL, 0);
	if (h->bytes == 0 || h->bytes > sizeof(h->prime) ||
	    jose_b64_dec(p, h->prime, sizeof(h->prime)) != h->bytes)
		return lv_err_set(err, -EINVAL, "sss JWE: \"p\" is not a base64url prime of at most %d "
				  "bytes", LV_SHAMIR_BYTES_MAX);
	return 0;
}

/* ---- decryption --------------------------------------------------------- */

struct sss_run;

struct sss_child {
	struct sss_run *run;
	struct clevis_ctx ctx;
	const char *jwe;
	size_t jwe_len;
	struct lv_secret *point;
	struct lv_err err;
	int r;
	int started;
	pthread_t thread;
};

struct sss_run {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t finished, succeeded;
	size_t point_bytes;
};

static void child_decrypt(struct sss_child *c)
{
	c->r = clevis_decrypt_jwe(&c->ctx, c->jwe, c->jwe_len, &c->point, &c->err);
	if (c->r == 0 && c->point->len != c->run->point_bytes) {
		c->r = lv_err_set(&c->err, -EINVAL, "sss: a pin's share is %zu bytes, not %zu",
				  c->point->len, c->run->point_bytes);
		lv_secret_free(&c->point);
	}
	pthread_mutex_lock(&c->run->lock);
	c->run->finished++;
	c->run->succeeded += c->r == 0;
	pthread_cond_broadcast(&c->run->changed);
	pthread_mutex_unlock(&c->run->lock);
}

static void *child_thread(void *opaque)
{
	child_decrypt(opaque);
	return NULL;
}

/* Starts every child (inline when no thread can be made), waits for t
 * successes or for all to finish, then cancels and joins the rest. */
static void decrypt_children(struct sss_run *run, struct sss_child *children, size_t n, size_t t)
{
	for (size_t i = 0; i < n; i++) {
		children[i].started = pthread_create(&children[i].thread, NULL, child_thread,
						     &children[i]) == 0;
		if (!children[i].started)
			child_decrypt(&children[i]);
	}
	pthread_mutex_lock(&run->lock);
	while (run->succeeded < t && run->finished < n)
		pthread_cond_wait(&run->changed, &run->lock);
	pthread_mutex_unlock(&run->lock);
	for (size_t i = 0; i < n; i++)
		atomic_store(&children[i].ctx.cancelled, 1);
	for (size_t i = 0; i < n; i++)
		if (children[i].started)
			pthread_join(children[i].thread, NULL);
}

/* "sss: 1 of 2 pins decrypted, 2 needed: <why>; <why>", as much as fits. */
static int children_error(const struct sss_child *children, size_t n, size_t t, size_t succeeded,
			  struct lv_err *err)
{
	char msg[LV_ERR_MSG_MAX];
	const char *separator = ": ";
	int used = snprintf(msg, sizeof(msg), "sss: %zu of %zu pins decrypted, %zu needed",
			    succeeded, n, t);

	for (size_t i = 0; i < n && used > 0 && (size_t)used < sizeof(msg); i++) {
		if (children[i].r == 0 || children[i].r == -ECANCELED)
			continue;
		used += snprintf(msg + used, sizeof(msg) - (size_t)used, "%s%s", separator,
				 children[i].err.msg);
		separator = "; ";
	}
	return lv_err_set(err, -ENOKEY, "%s", msg);
}

static int recover_cek(const struct sss_header *h, const struct sss_child *children, size_t n,
		       json_t **cek, struct lv_err *err)
{
	const struct lv_secret *points[SSS_CHILDREN_MAX];
	struct lv_secret *key = NULL;
	unsigned count = 0;
	int r;

	for (size_t i = 0; i < n && count < (size_t)h->t; i++)
		if (children[i].r == 0)
			points[count++] = children[i].point;
	r = lv_shamir_combine(h->prime, h->bytes, points, count, &key);
	if (r < 0)
		return lv_err_set(err, r, "sss: the shares do not combine (a share out of range, or "
				  "two at the same x)");
	*cek = clevis_oct_jwk(key, NULL);
	lv_secret_free(&key);
	return *cek ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

static int sss_decrypt(struct clevis_ctx *ctx, const json_t *jwe, const json_t *hdr,
		       struct lv_secret **plaintext, struct lv_err *err)
{
	struct sss_run run = { .lock = PTHREAD_MUTEX_INITIALIZER,
			       .changed = PTHREAD_COND_INITIALIZER };
	struct sss_child *children = NULL;
	struct sss_header h;
	json_t *cek = NULL;
	size_t n = 0;
	int r = header_load(hdr, &h, err);

	if (r == 0) {
		n = json_array_size(h.children);
		children = calloc(n, sizeof(*children));
		if (!children)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	}
	run.point_bytes = 2 * h.bytes;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const json_t *child = json_array_get(h.children, i);

		if (!json_is_string(child))
			r = lv_err_set(err, -EINVAL, "sss JWE: pin %zu is not a compact JWE", i);
		else
			r = clevis_ctx_init(&children[i].ctx, ctx->opts, ctx, err);
		children[i].run = &run;
		children[i].jwe = json_string_value(child);
		children[i].jwe_len = json_string_length(child);
	}
	if (r == 0) {
		decrypt_children(&run, children, n, (size_t)h.t);
		r = run.succeeded >= (size_t)h.t ? recover_cek(&h, children, n, &cek, err)
			: children_error(children, n, (size_t)h.t, run.succeeded, err);
	}
	if (r == 0)
		r = clevis_jwe_open(ctx, jwe, cek, plaintext, err);
	for (size_t i = 0; children && i < n; i++) {
		lv_secret_free(&children[i].point);
		clevis_ctx_fini(&children[i].ctx);
	}
	free(children);
	json_decref(cek);
	pthread_mutex_destroy(&run.lock);
	pthread_cond_destroy(&run.changed);
	return r;
}

/* ---- encryption --------------------------------------------------------- */

/* Appends to children the JWE of one share for each config of pin
 * (an object, or an array of them). */
static int encrypt_shares(struct clevis_ctx *ctx, const struct lv_shamir *shamir,
			  const char *pin, const json_t *configs, json_t *children,
			  struct lv_err *err)
{
	size_t count = json_is_array(configs) ? json_array_size(configs) : 1;
	int r = 0;

	for (size_t i = 0; r == 0 && i < count; i++) {
		const json_t *config = json_is_array(configs) ? json_array_get(configs, i) : configs;
		struct lv_secret *point = NULL;
		struct clevis_ctx child;
		char *compact = NULL;

		if (!json_is_object(config))
			return lv_err_set(err, -EINVAL, "sss config: pins.%s is not an object or an "
					  "array of objects", pin);
		r = clevis_ctx_init(&child, ctx->opts, ctx, err);
		if (r == 0)
			r = lv_shamir_point(shamir, &point);
		if (r == 0)
			r = clevis_encrypt_pin(&child, pin, config, point, &compact, err);
		if (r == 0 && json_array_append_new(children, json_string(compact)) < 0)
			r = lv_err_set(err, -ENOMEM, "out of memory");
		free(compact);
		lv_secret_free(&point);
		clevis_ctx_fini(&child);
	}
	return r;
}

/* The pins of config in pin-table order; *count gets how many shares. */
static int count_shares(const json_t *pins, const char *const names[], size_t n_names,
			size_t *count, struct lv_err *err)
{
	size_t named = 0;

	*count = 0;
	if (!json_is_object(pins))
		return lv_err_set(err, -EINVAL, "sss config: no \"pins\" object");
	for (size_t i = 0; i < n_names; i++) {
		const json_t *configs = jget(pins, names[i]);

		if (!configs)
			continue;
		named++;
		*count += json_is_array(configs) ? json_array_size(configs) : 1;
	}
	if (named != json_object_size(pins))
		return lv_err_set(err, -ENOTSUP, "sss config: \"pins\" names a pin other than tang, "
				  "tpm2 and sss");
	return 0;
}

static int make_shares(struct clevis_ctx *ctx, const json_t *config, struct lv_shamir **shamir,
		       json_t *children, json_int_t *t, struct lv_err *err)
{
	const json_t *pins = jget(config, "pins"), *threshold = jget(config, "t");
	size_t shares;
	int r = count_shares(pins, sss_pin_names, SSS_PIN_NAMES, &shares, err);

	if (r < 0)
		return r;
	if (threshold && !json_is_integer(threshold))
		return lv_err_set(err, -EINVAL, "sss config: \"t\" is not an integer");
	*t = threshold ? json_integer_value(threshold) : 1;
	if (*t < 1 || (size_t)*t > shares || shares > SSS_CHILDREN_MAX)
		return lv_err_set(err, -EINVAL, "sss config: threshold %lld of %zu pins (1 <= t <= "
				  "pins <= %d)", (long long)*t, shares, SSS_CHILDREN_MAX);
	r = lv_shamir_new(SSS_KEY_BYTES, (unsigned)*t, shamir);
	if (r < 0)
		return lv_err_set(err, r, "sss: cannot make the polynomial");
	for (size_t i = 0; r == 0 && i < SSS_PIN_NAMES; i++)
		if (jget(pins, sss_pin_names[i]))
			r = encrypt_shares(ctx, *shamir, sss_pin_names[i], jget(pins, sss_pin_names[i]),
					   children,
					   err);
	return r;
}

static int sss_encrypt(struct clevis_ctx *ctx, const json_t *config,
		       struct clevis_recipient *recipient, struct lv_err *err)
{
	struct lv_shamir *shamir = NULL;
	struct lv_secret *key = NULL;
	json_t *children = json_array();
	json_int_t t = 0;
	int r = children ? make_shares(ctx, config, &shamir, children, &t, err) :
		lv_err_set(err, -ENOMEM, "out of memory");

	if (r == 0 && (r = lv_shamir_secret(shamir, &key)) < 0)
		lv_err_set(err, r, "sss: cannot read the secret");
	if (r == 0) {
		recipient->cek = clevis_oct_jwk(key, "A256GCM");
		recipient->header = json_pack("{s:s,s:{s:s,s:{s:O,s:o,s:I}}}", "alg", "dir",
					      "clevis", "pin", "sss", "sss", "jwe", children, "p",
					      jose_b64_enc(lv_shamir_prime(shamir),
							   lv_shamir_bytes(shamir)), "t", t);
		if (!recipient->cek || !recipient->header)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	}
	json_decref(children);
	lv_secret_free(&key);
	lv_shamir_free(&shamir);
	return r;
}

/* ---- what `clevis luks list` prints -------------------------------------- */

/* clevis lists tang and tpm2 children as arrays, and an sss child as the
 * object of the last one (clevis_luks_process_sss_pin). */
static int add_child_config(json_t *pins, const json_t *described)
{
	const char *pin = json_string_value(json_array_get(described, 0));
	json_t *config = json_array_get(described, 1), *list;

	if (strcmp(pin, "sss") == 0)
		return json_object_set(pins, pin, config);
	list = jget(pins, pin);
	if (!list && json_object_set_new(pins, pin, list = json_array()) < 0)
		return -1;
	return json_array_append(list, config);
}

/* The pins in clevis's order: tang, then tpm2, then sss. */
static json_t *ordered(const json_t *pins)
{
	json_t *sorted = json_object();

	for (size_t i = 0; sorted && i < SSS_PIN_NAMES; i++) {
		json_t *config = jget(pins, sss_pin_names[i]);

		if (config && json_object_set(sorted, sss_pin_names[i], config) < 0) {
			json_decref(sorted);
			sorted = NULL;
		}
	}
	return sorted;
}

static int sss_describe(const json_t *hdr, json_t **config, struct lv_err *err)
{
	const json_t *sss = jget(jget(hdr, "clevis"), "sss"), *children = jget(sss, "jwe");
	json_t *pins = json_object();
	size_t i;
	json_t *child;
	int r = json_is_array(children) && json_is_integer(jget(sss, "t")) ? 0 :
		lv_err_set(err, -EINVAL, "sss JWE: clevis.sss needs \"t\" and \"jwe\"");

	*config = NULL;
	json_array_foreach(children, i, child) {
		json_t *described = NULL;

		if (r == 0 && !json_is_string(child))
			r = lv_err_set(err, -EINVAL, "sss JWE: pin %zu is not a compact JWE", i);
		if (r == 0)
			r = clevis_describe_jwe(json_string_value(child), json_string_length(child),
						&described, err);
		if (r == 0 && (!pins || add_child_config(pins, described) < 0))
			r = lv_err_set(err, -ENOMEM, "out of memory");
		json_decref(described);
	}
	if (r == 0) {
		*config = json_pack("{s:O,s:o}", "t", jget(sss, "t"), "pins", ordered(pins));
		if (!*config)
			r = lv_err_set(err, -ENOMEM, "out of memory");
	}
	json_decref(pins);
	return r;
}

const struct clevis_pin_ops clevis_pin_sss = {
	.name = "sss",
	.decrypt = sss_decrypt,
	.encrypt = sss_encrypt,
	.describe = sss_describe,
};
