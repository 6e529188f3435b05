/* SPDX-License-Identifier: ISC */
/* shamir.c: Shamir's secret sharing with OpenSSL bignums (shamir.h). */
#include <errno.h>
#include <openssl/bn.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/shamir.h"

struct lv_shamir {
	size_t bytes;
	unsigned threshold;
	BIGNUM *prime;
	BIGNUM **coefficients;		/* threshold of them; [0] is the secret */
	uint8_t prime_bytes[LV_SHAMIR_BYTES_MAX];
};

void lv_shamir_free(struct lv_shamir **shamir)
{
	struct lv_shamir *s = shamir ? *shamir : NULL;

	if (!s)
		return;
	for (unsigned i = 0; s->coefficients && i < s->threshold; i++)
		BN_clear_free(s->coefficients[i]);
	free(s->coefficients);
	BN_free(s->prime);
	free(s);
	*shamir = NULL;
}

/* bn as exactly bytes big-endian bytes (-EINVAL when it does not fit). */
static int encode(const BIGNUM *bn, size_t bytes, uint8_t *out)
{
	return BN_bn2binpad(bn, out, (int)bytes) == (int)bytes ? 0 : -EINVAL;
}

int lv_shamir_new(size_t bytes, unsigned threshold, struct lv_shamir **shamir)
{
	struct lv_shamir *s;
	int r = -EIO;

	*shamir = NULL;
	if (bytes == 0 || bytes > LV_SHAMIR_BYTES_MAX || threshold == 0 ||
	    threshold > LV_SHAMIR_THRESHOLD_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->bytes = bytes;
	s->threshold = threshold;
	s->prime = BN_new();
	s->coefficients = calloc(threshold, sizeof(*s->coefficients));
	if (!s->prime || !s->coefficients) {
		r = -ENOMEM;
		goto out;
	}
	/* A safe prime, as clevis generates it. */
	if (!BN_generate_prime_ex(s->prime, (int)(bytes * 8), 1, NULL, NULL, NULL))
		goto out;
	for (unsigned i = 0; i < threshold; i++) {
		s->coefficients[i] = BN_new();
		if (!s->coefficients[i]) {
			r = -ENOMEM;
			goto out;
		}
		BN_set_flags(s->coefficients[i], BN_FLG_CONSTTIME);
		if (!BN_priv_rand_range(s->coefficients[i], s->prime))
			goto out;
	}
	r = encode(s->prime, bytes, s->prime_bytes);
out:
	if (r < 0)
		lv_shamir_free(&s);
	*shamir = s;
	return r;
}

size_t lv_shamir_bytes(const struct lv_shamir *shamir)
{
	return shamir->bytes;
}

const uint8_t *lv_shamir_prime(const struct lv_shamir *shamir)
{
	return shamir->prime_bytes;
}

int lv_shamir_secret(const struct lv_shamir *shamir, struct lv_secret **secret)
{
	int r;

	*secret = lv_secret_new(shamir->bytes);
	if (!*secret)
		return -ENOMEM;
	r = encode(shamir->coefficients[0], shamir->bytes, (*secret)->bytes);
	if (r < 0)
		lv_secret_free(secret);
	return r;
}

/* y = sum of coefficients[i] * x^i mod p (Horner). */
static int evaluate(const struct lv_shamir *s, const BIGNUM *x, BIGNUM *y, BN_CTX *ctx)
{
	if (!BN_copy(y, s->coefficients[s->threshold - 1]))
		return -EIO;
	for (unsigned i = s->threshold - 1; i-- > 0;) {
		if (!BN_mod_mul(y, y, x, s->prime, ctx) ||
		    !BN_mod_add(y, y, s->coefficients[i], s->prime, ctx))
			return -EIO;
	}
	return 0;
}

int lv_shamir_point(const struct lv_shamir *shamir, struct lv_secret **point)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *x = BN_new(), *y = BN_new();
	int r = -ENOMEM;

	*point = lv_secret_new(2 * shamir->bytes);
	if (!ctx || !x || !y || !*point)
		goto out;
	BN_set_flags(y, BN_FLG_CONSTTIME);
	r = -EIO;
	/* x = 0 would hand out the secret itself. */
	do {
		if (!BN_priv_rand_range(x, shamir->prime))
			goto out;
	} while (BN_is_zero(x));
	r = evaluate(shamir, x, y, ctx);
	if (r == 0)
		r = encode(x, shamir->bytes, (*point)->bytes);
	if (r == 0)
		r = encode(y, shamir->bytes, (*point)->bytes + shamir->bytes);
out:
	if (r < 0)
		lv_secret_free(point);
	BN_clear_free(x);
	BN_clear_free(y);
	BN_CTX_free(ctx);
	return r;
}

struct interpolation {
	BN_CTX *ctx;
	BIGNUM *prime, *sum, *term, *tmp, **x, **y;
	unsigned count;
};

static void interpolation_free(struct interpolation *in)
{
	for (unsigned i = 0; i < in->count; i++) {
		BN_clear_free(in->x ? in->x[i] : NULL);
		BN_clear_free(in->y ? in->y[i] : NULL);
	}
	free(in->x);
	free(in->y);
	BN_clear_free(in->sum);
	BN_clear_free(in->term);
	BN_clear_free(in->tmp);
	BN_free(in->prime);
	BN_CTX_free(in->ctx);
}

/* Decodes the prime and the points; each coordinate must be below p. */
static int interpolation_load(struct interpolation *in, const uint8_t *prime, size_t bytes,
			      const struct lv_secret *const points[], unsigned count)
{
	in->count = count;
	in->ctx = BN_CTX_new();
	in->prime = BN_bin2bn(prime, (int)bytes, NULL);
	in->sum = BN_new();
	in->term = BN_new();
	in->tmp = BN_new();
	in->x = calloc(count, sizeof(*in->x));
	in->y = calloc(count, sizeof(*in->y));
	if (!in->ctx || !in->prime || !in->sum || !in->term || !in->tmp || !in->x || !in->y)
		return -ENOMEM;
	if (BN_is_zero(in->prime) || BN_is_one(in->prime))
		return -EINVAL;
	for (unsigned i = 0; i < count; i++) {
		if (!points[i] || points[i]->len != 2 * bytes)
			return -EINVAL;
		in->x[i] = BN_bin2bn(points[i]->bytes, (int)bytes, NULL);
		in->y[i] = BN_bin2bn(points[i]->bytes + bytes, (int)bytes, NULL);
		if (!in->x[i] || !in->y[i])
			return -ENOMEM;
		if (BN_cmp(in->x[i], in->prime) >= 0 || BN_cmp(in->y[i], in->prime) >= 0)
			return -EINVAL;
	}
	return 0;
}

/* sum = sum over i of y[i] * prod over j != i of x[j] / (x[j] - x[i]). */
static int interpolate_at_zero(struct interpolation *in)
{
	BN_zero(in->sum);
	for (unsigned i = 0; i < in->count; i++) {
		if (!BN_copy(in->term, in->y[i]))
			return -EIO;
		for (unsigned j = 0; j < in->count; j++) {
			if (j == i)
				continue;
			if (!BN_mod_sub(in->tmp, in->x[j], in->x[i], in->prime, in->ctx))
				return -EIO;
			/* Two shares at the same x: no inverse. */
			if (!BN_mod_inverse(in->tmp, in->tmp, in->prime, in->ctx))
				return -EINVAL;
			if (!BN_mod_mul(in->term, in->term, in->tmp, in->prime, in->ctx) ||
			    !BN_mod_mul(in->term, in->term, in->x[j], in->prime, in->ctx))
				return -EIO;
		}
		if (!BN_mod_add(in->sum, in->sum, in->term, in->prime, in->ctx))
			return -EIO;
	}
	return 0;
}

int lv_shamir_combine(const uint8_t *prime, size_t bytes, const struct lv_secret *const points[],
		      unsigned count, struct lv_secret **secret)
{
	struct interpolation in = { 0 };
	int r;

	*secret = NULL;
	if (bytes == 0 || bytes > LV_SHAMIR_BYTES_MAX || count == 0 ||
	    count > LV_SHAMIR_THRESHOLD_MAX)
		return -EINVAL;
	r = interpolation_load(&in, prime, bytes, points, count);
	if (r == 0)
		r = interpolate_at_zero(&in);
	if (r == 0) {
		*secret = lv_secret_new(bytes);
		r = *secret ? encode(in.sum, bytes, (*secret)->bytes) : -ENOMEM;
		if (r < 0)
			lv_secret_free(secret);
	}
	interpolation_free(&in);
	return r;
}
